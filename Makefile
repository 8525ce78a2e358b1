# One entry point for setting up, testing and running snn2fpga.
#   make test   : create .venv, install everything (and the Fashion-MNIST data), lint, run the test suite
#                 (what .ci/run calls)
#   make demo   : create .venv, install everything, run the main job on the bundled digits data
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := runs/digits

.PHONY: setup data test test-slow lint demo clean

setup: $(VENV)/.installed

# torch is installed first and pinned: the CPU build 2.13.0 is what this project is tested with,
# and any looser request makes pip download a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,hls,rtl,nir]"
	# Norse (NIR import tests/fidelity): its declared torchvision dependency would pull another torch
	$(BIN)/pip install --quiet --no-deps norse==1.1.0
	touch $@

# Fashion-MNIST (Debian package dataset-fashion-mnist, IDX files in /usr/share/datasets/fashion-mnist)
# for the shipped examples' tests and the benchmarks. Installed when missing and we are root; otherwise
# those tests are skipped with the reason.
FMNIST := /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
data:
	@if [ ! -f $(FMNIST) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist \
				>/dev/null) || echo "note: could not install dataset-fashion-mnist; its tests will be skipped"; \
		else echo "note: Fashion-MNIST missing (apt-get install dataset-fashion-mnist); its tests will be skipped"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .

test: setup data lint
	$(BIN)/pytest -q -n 2

test-slow: setup data
	$(BIN)/pytest -q -n 2 -m slow

# train -> export (verified) -> build (C-simulated; exit code 4 = done except the Vivado steps, which
# need the Xilinx tools) -> run the deploy package on the emulated device.
demo: setup
	mkdir -p $(DEMO)
	$(BIN)/snn2fpga train --dataset digits --arch lif-mlp --hidden 128 --weight-bits 4 --state-bits 16 \
		--timesteps 16 --epochs 20 --seed 0 -o $(DEMO)/model.pt
	$(BIN)/snn2fpga export $(DEMO)/model.pt --verify all
	cd $(DEMO) && ../../$(BIN)/snn2fpga build --board pynq-z2 -o build/pynq-z2; rc=$$?; \
		if [ $$rc -ne 0 ] && [ $$rc -ne 4 ]; then exit $$rc; fi
	$(BIN)/snn2fpga run $(DEMO)/build/pynq-z2/deploy --emulate --dataset digits --json

clean:
	rm -rf $(VENV) build runs .pytest_cache .hypothesis
