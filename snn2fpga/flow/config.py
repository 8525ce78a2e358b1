"""Typed configuration of `snn2fpga build`."""

from __future__ import annotations

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
        jobs: C-simulation processes (None: the available cores); results do not depend on it.
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
    jobs: int | None = None

    @property
    def build_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else Path("build") / self.board

    def fingerprint_data(self) -> dict[str, Any]:
        """The settings that change the build's results (not where or whether to force)."""
        d = asdict(self)
        for key in ("output_dir", "force", "jobs"):
            d.pop(key)
        d["model"] = str(self.model)
        return d
