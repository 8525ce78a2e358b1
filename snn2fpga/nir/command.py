"""The work behind `snn2fpga import-nir`, `export X.nir` and `export --nir` (JSON-able summaries)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.importer import ImportOptions, import_nir

IMPORT_OPTION_NAMES = ("dataset", "calibration", "weight_bits", "state_bits", "per_channel", "clip_percentile",
                       "timesteps", "encoder", "seed", "preset", "dt", "discretisation", "reset", "beta_frac_bits",
                       "calib_margin")


def options_from_args(args: Any) -> ImportOptions:
    """ImportOptions from the parsed CLI arguments that carry the same names."""
    values = {k: getattr(args, k) for k in IMPORT_OPTION_NAMES if getattr(args, k, None) is not None}
    values.setdefault("dataset", None if values.get("calibration") else "digits")
    if getattr(args, "data_dir", None):
        values["data_dir"] = args.data_dir
    if not 2 <= values.get("weight_bits", 8) <= 16:
        raise SNN2FPGAError(f"--weight-bits {values['weight_bits']} is out of range: use 2..16")
    if values.get("state_bits", 16) != 0 and not 2 <= values.get("state_bits", 16) <= 32:
        raise SNN2FPGAError(f"--state-bits {values['state_bits']} is out of range: use 2..32, or 0 for the width "
                            "the calibration asks for")
    return ImportOptions(**values)


def run_import_nir(source: Path, output: Path | None, opts: ImportOptions, log: Any = print) -> dict[str, Any]:
    """`snn2fpga import-nir`: NIR file -> quantized, calibrated checkpoint (default: beside it, .pt)."""
    if source.suffix == ".pt":
        raise SNN2FPGAError(f"{source} is a checkpoint, not a NIR graph; import-nir reads .nir files")
    out = output or source.with_suffix(".pt")
    result = import_nir(source, out, opts, log=log)
    for row in result.report:
        notes = "; ".join(row.get("notes", []))
        log(f"  {row['node']} ({row['type']}) -> {row['mapped_to']}" + (f": {notes}" if notes else ""))
    for c in result.calibration:
        log(f"state of layer {c['layer']} ({c['name']}): max |V| {c['max_abs']}, {c['saturations']} saturations at "
            f"{c['state_bits']} bits, needs {c['required_bits']} bits")
    return result.summary()


def run_export_nir(checkpoint: Path, output: Path | None, preset: str, log: Any = print) -> dict[str, Any]:
    """`snn2fpga export --nir`: one of our checkpoints -> a NIR graph (default: beside it, .nir)."""
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.nir.exporter import export_nir

    model, _ = load_checkpoint(checkpoint)
    out = output or checkpoint.with_suffix(".nir")
    export_nir(model, out, preset)
    log(f"wrote {out} (NIR, preset {preset}: dt and tau as that framework reads them)")
    return {"nir": str(out), "preset": preset}
