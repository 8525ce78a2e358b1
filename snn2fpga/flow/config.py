"""Typed configuration of `snn2fpga build`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

AUTO_FOLDING = "auto"


@dataclass
class BuildConfig:
    """Everything a build depends on (its fingerprint decides whether a re-run may resume).

    Attributes:
        model: the exported .onnx or a .pt checkpoint (exported on the fly).
        board: board name (see build_flows/boards/).
        output_dir: build folder (default build/<board>).
        folding: "auto" or the path of a JSON folding config {"layer0": {"PE": .., "SIMD": ..}}.
        target_fps: auto folding: samples/s to reach (None: fit ``max_fraction`` of the board).
        max_fraction: auto folding: largest share of any board resource to use.
        clock_mhz: fabric clock (None: the board's default).
        csim_samples: samples to C-simulate (None: the whole test split, or 64 random inputs).
        dataset / data_dir: data for the C-simulation (default: the dataset the model was trained on).
        verify_samples: export verification samples when the model is a .pt.
        backend: ``hls`` (HLS C++, C-simulated), ``rtl`` (SystemVerilog, Verilator-simulated and
            yosys-synthesized) or ``auto`` (rtl when every stage has an RTL implementation, else hls).
        force: rebuild every step even if a previous build can be resumed.
        inputs: a .npy of the user's inputs to C-simulate (and keep as golden vectors) instead of the test
            split or random inputs (format: flow.user_inputs); its contents are part of the fingerprint.
        jobs: C-simulation processes (None: the available cores); results do not depend on it.
        synth_folding: auto folding of an RTL design: synthesize (yosys, cached) each stage's chosen
            configuration and fold again with those figures until the choice stands (a few rounds); without it
            the folding uses only the yosys results already in the synth cache.
        csim_hw_loops: C-simulate the loops exactly as Vitis HLS synthesises them (``-DSNN_CSIM_HW_LOOPS``)
            instead of the C-simulation fast paths (hls/snn_common.h: set spike bits only, C integers),
            which compute the same integers about 4x faster; results must not differ.
    """

    model: Path
    board: str = "pynq-z2"
    output_dir: Path | None = None
    folding: str = AUTO_FOLDING
    target_fps: float | None = None
    max_fraction: float | None = None
    clock_mhz: float | None = None
    csim_samples: int | None = None
    dataset: str | None = None
    data_dir: str | None = None
    verify_samples: int | None = 100
    backend: str = "hls"
    force: bool = False
    inputs: Path | None = None
    jobs: int | None = None
    synth_folding: bool = False
    csim_hw_loops: bool = False

    @property
    def build_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else Path("build") / self.board

    def fingerprint_data(self) -> dict[str, Any]:
        """The settings that change the build's results (not where or whether to force)."""
        d = asdict(self)
        for key in ("output_dir", "force", "jobs"):
            d.pop(key)
        # contents, not places: the model's and folding file's bytes are hashed by the fingerprint, so a
        # build folder (or its model) can move; the model's name stays (it names the Vivado project)
        d["model"] = self.model.name
        d["folding"] = AUTO_FOLDING if self.folding == AUTO_FOLDING else "file"
        d["inputs"] = None if self.inputs is None else "file"
        for opt in ("synth_folding", "csim_hw_loops"):
            if not d[opt]:  # absent when off: build folders made before the option resume as before
                d.pop(opt)
        return d

    def validate(self) -> None:
        """Refuse option values outside their ranges (SNN2FPGAError naming the option and the range)."""
        from snn2fpga.errors import SNN2FPGAError

        def positive(name: str, value: float | None, upper: float = math.inf) -> None:
            if value is not None and not (math.isfinite(value) and 0 < value <= upper):
                bound = "" if upper == math.inf else f" and <= {upper:g}"
                raise SNN2FPGAError(f"{name} {value:g} is out of range: it must be > 0{bound}")

        positive("--clock-mhz", self.clock_mhz, 1000)
        positive("--target-fps", self.target_fps)
        positive("--max-fraction", self.max_fraction, 1)
        if self.csim_samples is not None and self.csim_samples < 1:
            raise SNN2FPGAError(f"--csim-samples {self.csim_samples} is out of range: C-simulate at least 1 "
                                "sample (leave it out for the whole test split)")
        if self.verify_samples is not None and self.verify_samples < 0:
            raise SNN2FPGAError(f"--verify {self.verify_samples} is out of range: 0 (skip), a count >= 1, or all")
        if self.jobs is not None and self.jobs < 1:
            raise SNN2FPGAError(f"--jobs {self.jobs} is out of range: at least 1 C-simulation process (leave it out "
                                "for the available cores)")
        if self.backend not in ("hls", "rtl", "auto"):
            raise SNN2FPGAError(f"backend {self.backend!r} is unknown: use hls, rtl or auto")
        if self.synth_folding and self.backend == "hls":
            raise SNN2FPGAError("--synth-folding synthesizes RTL stages with yosys: it needs --backend rtl (or auto)")
        if self.csim_hw_loops and self.backend == "rtl":
            raise SNN2FPGAError("--csim-hw-loops chooses how the HLS C++ is C-simulated; a --backend rtl build "
                                "simulates its RTL with Verilator instead: use --backend hls (or auto)")
        if self.synth_folding and self.folding != AUTO_FOLDING:
            raise SNN2FPGAError("--synth-folding refines the auto folding: leave --folding out (or set it to auto)")
