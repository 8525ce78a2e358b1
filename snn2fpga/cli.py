"""The `snn2fpga` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError, VerificationError


def _verify_count(text: str) -> int | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a sample count or 'all', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the sample count must be >= 0")
    return value


def _positive(option: str, what: str) -> Any:
    """An argparse type: an integer >= 1 for ``option``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of {what}, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{option} must be >= 1, got {value}")
        return value

    return parse


THREADS_HELP = "torch CPU threads (default: 1; SNN steps are small ops, and extra threads stall when cores are shared)"


def _nir_import_args(p: argparse.ArgumentParser, data_dir: bool = True) -> None:
    """The options of a NIR import (`import-nir`, and `export` of a .nir file)."""
    p.add_argument("--dataset", help="classes, test accuracy and calibration data (default: digits, or none "
                   "with --calibration)")
    p.add_argument("--calibration", type=Path, help="calibrate on this .npy of features [N, ...] in [0, 1] instead")
    if data_dir:
        p.add_argument("--data-dir")
    p.add_argument("--weight-bits", type=int, default=8, help="weight bits, 2..16 (default: 8)")
    p.add_argument("--state-bits", type=int, default=16, help="membrane bits, 2..32, or 0 = what calibration needs")
    p.add_argument("--per-channel", action="store_true", help="one weight scale per neuron")
    p.add_argument("--clip-percentile", type=float, default=99.9, help="PTQ weight clipping percentile")
    p.add_argument("--timesteps", type=int, default=16, help="timesteps T per sample (default: 16)")
    p.add_argument("--encoder", choices=["rate", "latency"], default="rate", help="spike encoder (default: rate)")
    p.add_argument("--seed", type=int, default=0, help="rate encoder seed")
    p.add_argument("--preset", default="snntorch", help="exporter convention: snntorch | norse | sinabs | nir")
    p.add_argument("--dt", type=float, help="time step in seconds (default: the preset's)")
    p.add_argument("--discretisation", choices=["euler", "exp"], help="default: the preset's")
    p.add_argument("--reset", choices=["zero", "subtract"], help="reset of spiking nodes (default: node metadata, "
                   "else the preset's)")
    p.add_argument("--beta-frac-bits", type=int, default=8, help="F of a multiplicative leak (default: 8)")
    p.add_argument("--calib-margin", type=float, default=0.1, help="state calibration margin (default: 0.1)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="snn2fpga", description="Quantized SNNs from PyTorch to FPGA.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a quantized SNN with surrogate-gradient BPTT")
    t.add_argument("--dataset", default="digits",
                   help="digits | fashion-mnist | mnist | radioml-synth | radioml-synth24 | rml2016 | rml2018 "
                   "(default: digits)")
    t.add_argument("--data-dir", help="folder with the IDX files of fashion-mnist / mnist")
    t.add_argument("--arch", default="lif-mlp", help="lif-mlp | lif-cnn | dcll-radioml (default: lif-mlp)")
    t.add_argument("--channels", type=int, nargs="+", help="conv channels per layer (lif-cnn: 16 32; dcll: 32 32 32)")
    t.add_argument("--kernel", type=int, help="conv kernel size (lif-cnn: 5; dcll-radioml: 7, padding K//2)")
    t.add_argument("--grid", type=int, default=32, help="radio: I/Q-plane bins per axis (default: 32)")
    t.add_argument("--frame-length", type=int,
                   help="radioml-synth(24): samples per frame (default: 128; radioml-synth24: 1024)")
    t.add_argument("--synth-frames", type=int, default=100, help="radioml-synth(24): frames per class and SNR")
    t.add_argument("--snrs", type=int, nargs="+", help="radio datasets: keep only these SNRs (dB)")
    t.add_argument("--hidden", type=int, nargs="+", default=[128], help="hidden layer widths (default: 128)")
    t.add_argument("--weight-bits", type=int, default=4, help="weight bits, 2..16 (default: 4)")
    t.add_argument("--state-bits", type=int, help="membrane bits, 2..32 (default: 16; DCLL: 24)")
    t.add_argument("--timesteps", type=int, default=16, help="timesteps T per sample (default: 16)")
    t.add_argument("--encoder", choices=["rate", "latency"], default="rate", help="spike encoder (default: rate)")
    t.add_argument("--leak-shift", type=int, default=3, help="LIF leak V - (V >> k), beta = 1 - 2^-k (default: 3)")
    t.add_argument("--threshold", type=float, help="firing threshold, real units (default: 1.0; DCLL: 0.1)")
    t.add_argument("--reset", choices=["subtract", "zero"], default="subtract", help="reset mechanism")
    t.add_argument("--per-channel", action="store_true", help="one weight scale per neuron")
    t.add_argument("--learn-threshold", action="store_true",
                   help="lif-mlp/lif-cnn: learn one threshold per channel (exported as integer thresholds)")
    t.add_argument("--learn-leak", action="store_true",
                   help="lif-mlp/lif-cnn: learn each LIF layer's beta, used as the 8-bit fixed-point beta the "
                   "hardware applies (a multiplier leak: one DSP per neuron lane instead of the shift)")
    t.add_argument("--quant", choices=["qat", "ptq"], default="qat",
                   help="quantization-aware training, or float training + post-training quantization")
    t.add_argument("--clip-percentile", type=float, default=99.9, help="PTQ weight clipping percentile")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=5e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--augment", default="none", choices=["none", "shift", "shift-flip"],
                   help="training images only: random +-2 px shifts, plus horizontal flips (default: none)")
    t.add_argument("--device", default="cpu",
                   help="where to train: cpu, cuda, cuda:N or auto (default: cpu)")
    t.add_argument("--threads", type=_positive("--threads", "threads"), default=1, help=THREADS_HELP)
    t.add_argument("--calib-margin", type=float, default=0.1, help="state calibration margin (default: 0.1)")
    t.add_argument("-o", "--output", type=Path, default=Path("model.pt"))
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--json", action="store_true", help="print a JSON summary as the last stdout line")

    e = sub.add_parser("export", help="export a checkpoint to QONNX and verify it spike for spike")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("-o", "--output", type=Path, help="output .onnx (default: beside the checkpoint)")
    e.add_argument("--verify", type=_verify_count, default=100,
                   help="test samples to verify (a count, or 'all'; 0 skips; default: 100)")
    e.add_argument("--data-dir", help="folder with the dataset's IDX files, if not where training found them")
    e.add_argument("--allow-saturation", action="store_true", help="accept state saturation (still reported)")
    e.add_argument("--threads", type=_positive("--threads", "threads"), default=1, help=THREADS_HELP)
    e.add_argument("--nir", action="store_true", help="write a NIR graph (.nir) of the checkpoint instead of QONNX")
    e.add_argument("--json", action="store_true")
    _nir_import_args(e.add_argument_group("for a .nir input (imported first) and --nir (--preset)"), data_dir=False)

    n = sub.add_parser("import-nir", help="map a NIR graph (snnTorch, Norse, Sinabs, ...) onto a quantized checkpoint")
    n.add_argument("model", type=Path, help="the .nir file")
    n.add_argument("-o", "--output", type=Path, help="checkpoint to write (default: beside the .nir, .pt)")
    n.add_argument("--json", action="store_true")
    _nir_import_args(n)

    b = sub.add_parser("build", help="lower, fold, estimate, generate HLS and C-simulate for a board")
    b.add_argument("--board", default="pynq-z2", help="target board (default: pynq-z2)")
    b.add_argument("--model", type=Path, help="exported .onnx or .pt (default: the one model in this folder)")
    b.add_argument("-o", "--output", type=Path, help="build folder (default: build/<board>)")
    b.add_argument("--folding", default="auto", help="'auto' or a JSON folding config file")
    b.add_argument("--target-fps", type=float, help="auto folding: samples/s to reach")
    b.add_argument("--max-fraction", type=float, help="auto folding: largest share of the board to use")
    b.add_argument("--clock-mhz", type=float, help="fabric clock (default: the board's)")
    b.add_argument("--csim-samples", type=int, help="samples to C-simulate (default: the whole test split)")
    b.add_argument("--dataset", help="dataset for the C-simulation (default: the model's)")
    b.add_argument("--inputs", type=Path, help="C-simulate these inputs instead (.npy: features [n, ...] in [0, 1], "
                   "I/Q frames [n, T, 2], or spike trains [T, n, N]); they become the golden vectors")
    b.add_argument("--data-dir")
    b.add_argument("--verify", type=_verify_count, default=100, help="export verification samples for a .pt")
    b.add_argument("--backend", choices=["hls", "rtl", "auto"], default="hls",
                   help="hls: HLS C++ (C-simulated); rtl: SystemVerilog (Verilator-simulated, yosys-synthesized); "
                        "auto: rtl when every stage has an RTL implementation (default: hls)")
    b.add_argument("--synth-folding", action="store_true",
                   help="rtl auto folding: synthesize each stage's chosen configuration with yosys (cached) and fold "
                        "again with those figures until the choice stands (default: use cached yosys results only)")
    b.add_argument("--csim-hw-loops", action="store_true",
                   help="C-simulate the loops as Vitis HLS synthesises them instead of the C-simulation fast "
                        "paths (same integers, about 4x slower)")
    b.add_argument("--force", action="store_true", help="rebuild every step instead of resuming")
    b.add_argument("--jobs", type=_positive("--jobs", "processes"),
                   help="C-simulation processes (default: the available cores)")
    b.add_argument("--json", action="store_true")

    r = sub.add_parser("run", help="run a deploy package through the board runtime (board or emulated)")
    r.add_argument("deploy_dir", type=Path)
    r.add_argument("--emulate", action="store_true", help="use the C-simulation of the same top, not a board")
    r.add_argument("--dataset", help="classify this dataset's test split (default: the golden inputs)")
    r.add_argument("--data-dir")
    r.add_argument("--limit", type=int, help="at most this many samples")
    r.add_argument("--json", action="store_true")

    w = sub.add_parser("sweep", help="bit-width design-space sweep: accuracy vs resources per configuration")
    w.add_argument("--dataset", default="digits")
    w.add_argument("--data-dir")
    w.add_argument("--arch", default="lif-mlp")
    w.add_argument("--weight-bits", type=int, nargs="+", default=[2, 4, 8], help="weight bits to try (2..16)")
    w.add_argument("--state-bits", type=int, nargs="+", default=[8, 16, 24], help="state bits to try (8..32)")
    w.add_argument("--timesteps", type=int, nargs="+", default=[16])
    w.add_argument("--hidden", type=int, nargs="+", default=[128], help="hidden layer widths (default: 128)")
    w.add_argument("--hidden-options", nargs="+",
                   help="make the hidden shape an axis: shapes as widths joined by 'x', e.g. 16 32 32x16")
    w.add_argument("--quant", choices=["qat", "ptq"], default="qat")
    w.add_argument("--epochs", type=int, default=5)
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--board", default="pynq-z2")
    w.add_argument("--csim-samples", type=int, default=50, help="samples C-simulated per point")
    w.add_argument("--target-fps", type=float,
                   help="fold every point's main build for this throughput (comparable resources across bits); "
                        "default: AutoFolding within half the board")
    w.add_argument("--folding-budgets", type=float, nargs="+", default=[],
                   help="also estimate each point folded within these shares of the board (e.g. 0.15 0.3 0.5)")
    w.add_argument("--workers", type=int, default=2,
                   help="points run at once (pool: processes; local Ray: its CPUs; search: trials per batch)")
    w.add_argument("--device", help="where each point trains: cpu, cuda, cuda:N (default: cpu)")
    w.add_argument("--engine", choices=["pool", "ray"], default="pool",
                   help="pool: local processes (default); ray: Ray tasks (pip install 'snn2fpga[ray]')")
    w.add_argument("--address", help="Ray cluster to use, e.g. 10.0.0.5:6379 or auto (default: start Ray here)")
    w.add_argument("--ray-cpus", type=float, default=1.0, help="CPUs each point's Ray task asks for (default: 1)")
    w.add_argument("--ray-gpus", type=float, default=0.0, help="GPUs each point's Ray task asks for (default: 0)")
    w.add_argument("--ray-retries", type=int, default=3, help="runs again a point whose Ray worker died (default: 3)")
    w.add_argument("--db", help="SQLAlchemy URL of the results database (default: sqlite in the sweep folder, "
                                "sweep.db); e.g. postgresql+psycopg://user@host/dbname to share a study")
    w.add_argument("--study", help="study name in the database (default: the sweep folder's name)")
    w.add_argument("--search", choices=["grid", "optuna"], default="grid",
                   help="grid: every point (default); optuna: multi-objective NSGA-II (pip install 'snn2fpga[search]')")
    w.add_argument("--trials", type=int, default=16, help="optuna: complete trials to reach (default: 16)")
    w.add_argument("--objective", choices=["lut", "latency"], default="lut",
                   help="optuna: the cost minimised beside accuracy (default: lut)")
    w.add_argument("--population", type=int, default=8, help="optuna: NSGA-II population per generation (default: 8)")
    w.add_argument("--sampler-seed", type=int, default=0, help="optuna: sampler seed")
    w.add_argument("--compare-grid", action="store_true",
                   help="optuna: also evaluate the whole grid and report which true-front points were found")
    w.add_argument("--from", dest="source", type=Path,
                   help="re-quantize this trained checkpoint at every point instead of training (post-training, "
                        "percentile clipping): the prior work's quantization study; dataset, arch, timesteps "
                        "and hidden shape come from the checkpoint")
    w.add_argument("--clip-percentile", type=float, default=99.9, help="--from: weight clipping percentile")
    w.add_argument("-o", "--output", type=Path, default=Path("sweep"))
    w.add_argument("--no-progress", action="store_true")
    w.add_argument("--json", action="store_true")

    c = sub.add_parser("calibrate", help="measure the membrane range each layer needs on data")
    c.add_argument("checkpoint", type=Path)
    c.add_argument("--margin", type=float, default=0.1, help="headroom added to the measured range")
    c.add_argument("--split", choices=["test", "train"], default="test")
    c.add_argument("--data-dir")
    c.add_argument("--threads", type=_positive("--threads", "threads"), default=1, help=THREADS_HELP)
    c.add_argument("--json", action="store_true")
    return p


def _sweep_engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The sweep's engine, database and training-device settings, as SweepConfig fields."""
    from snn2fpga.sweep.engines import EngineKind, RayResources

    return {"engine": EngineKind(args.engine), "address": args.address, "db_url": args.db, "study": args.study,
            "ray_resources": RayResources(args.ray_cpus, args.ray_gpus, args.ray_retries),
            "train_extra": {"device": args.device} if args.device else {}}


def _from_checkpoint(args: argparse.Namespace) -> None:
    """``sweep --from CKPT``: take the dataset, arch, timesteps and hidden shape from the checkpoint."""
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.sweep.requant import source_dataset
    from snn2fpga.validate import check_float

    check_float("--clip-percentile", args.clip_percentile, 0, 100, lo_open=True)
    if args.search != "grid":
        raise SNN2FPGAError("sweep --from re-quantizes one trained model: use it with the grid search")
    model, meta = load_checkpoint(args.source)
    training = meta.get("training", {})
    args.dataset = source_dataset(args.source, model, meta)
    args.arch = model.spec.arch or training.get("arch", args.arch)
    args.timesteps = [model.encoder.timesteps]
    args.hidden = list(training.get("hidden") or args.hidden)
    args.hidden_options = None
    args.data_dir = args.data_dir or training.get("data_dir")


def _dispatch(args: argparse.Namespace) -> dict[str, Any]:
    from snn2fpga import commands

    if args.command == "train":
        opts = commands.TrainOptions(
            dataset=args.dataset, output=args.output, data_dir=args.data_dir, arch=args.arch,
            hidden=tuple(args.hidden), weight_bits=args.weight_bits, state_bits=args.state_bits,
            timesteps=args.timesteps, encoder=args.encoder, leak_shift=args.leak_shift,
            threshold=args.threshold, reset=args.reset, per_channel=args.per_channel, quant=args.quant,
            clip_percentile=args.clip_percentile, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            seed=args.seed, calib_margin=args.calib_margin, progress=not args.no_progress, device=args.device,
            augment=args.augment, threads=args.threads,
            learn_threshold=args.learn_threshold, learn_leak=args.learn_leak,
            channels=tuple(args.channels) if args.channels else None, kernel=args.kernel, grid=args.grid,
            frame_length=args.frame_length, synth_frames=args.synth_frames,
            snrs=tuple(args.snrs) if args.snrs else None,
        )
        return commands.run_train(opts)
    if args.command == "import-nir":
        from snn2fpga.nir.command import options_from_args, run_import_nir

        return run_import_nir(args.model, args.output, options_from_args(args))
    if args.command == "export" and args.nir:
        from snn2fpga.nir.command import run_export_nir

        return run_export_nir(args.checkpoint, args.output, args.preset)
    if args.command == "export" and args.checkpoint.suffix == ".nir":
        from snn2fpga.nir.command import options_from_args, run_import_nir

        ckpt = args.checkpoint.with_suffix(".pt")
        run_import_nir(args.checkpoint, ckpt, options_from_args(args))
        return commands.run_export(ckpt, args.output, args.verify, args.data_dir, args.allow_saturation,
                                   threads=args.threads)
    if args.command == "export":
        return commands.run_export(args.checkpoint, args.output, args.verify, args.data_dir, args.allow_saturation,
                                   threads=args.threads)
    if args.command == "sweep":
        from snn2fpga.boards import load_board
        from snn2fpga.sweep import SweepConfig, run_sweep
        from snn2fpga.sweep.runner import parse_hidden

        load_board(args.board)  # an unknown board fails before any training
        from snn2fpga.validate import check_int, check_ints

        check_int("--csim-samples", args.csim_samples, 1)
        check_int("--epochs", args.epochs, 1)
        check_int("--workers", args.workers, 1)
        check_ints("--weight-bits", args.weight_bits, 2, 16)
        check_ints("--state-bits", args.state_bits, 2, 32)
        check_ints("--timesteps", args.timesteps, 1, 4096)
        check_ints("--hidden", args.hidden, 1)
        if args.source is not None:
            _from_checkpoint(args)
        cfg = SweepConfig(
            dataset=args.dataset, arch=args.arch, out_dir=args.output, weight_bits=args.weight_bits,
            state_bits=args.state_bits, timesteps=args.timesteps, quant=args.quant, epochs=args.epochs,
            hidden=tuple(args.hidden), seed=args.seed, board=args.board, csim_samples=args.csim_samples,
            workers=args.workers, data_dir=args.data_dir, folding_budgets=tuple(args.folding_budgets),
            target_fps=args.target_fps, **_sweep_engine_options(args),
            hidden_options=[parse_hidden(h) for h in args.hidden_options or []],
            source=None if args.source is None else str(args.source), clip_percentile=args.clip_percentile,
        )
        if args.search == "optuna":
            from snn2fpga.sweep.search import Objective, SearchConfig, run_search

            search = SearchConfig(trials=args.trials, objective=Objective[args.objective.upper()],
                                  population=args.population, sampler_seed=args.sampler_seed,
                                  compare_grid=args.compare_grid)
            summary = run_search(cfg, search, progress=not args.no_progress)
            print(Path(summary["search_front_markdown"]).read_text())
            return summary
        summary = run_sweep(cfg, progress=not args.no_progress)
        if "float_top1" in summary:
            print(f"{args.source} unquantized (float weights and state): top-1 {summary['float_top1']:.4f}")
        print(Path(summary["markdown"]).read_text())
        return summary
    if args.command == "run":
        summary = commands.run_deploy(args.deploy_dir, args.emulate, args.dataset, args.data_dir, args.limit)
        print(f"{summary['samples']} samples on {summary['device']}: {summary['mismatches']} mismatches vs the "
              f"golden reference, accuracy {summary['accuracy']}, {summary['samples_per_s']} samples/s")
        if summary["mismatches"]:  # the device disagrees with the reference: a failed check, not a result
            raise VerificationError(
                f"{summary['mismatches']} of {summary['samples']} predictions on {summary['device']} differ from "
                "the golden reference of the deploy package", summary)
        return summary
    if args.command == "build":
        from snn2fpga.flow.config import BuildConfig

        cfg = BuildConfig(
            model=args.model or commands.find_model(Path.cwd()), board=args.board, output_dir=args.output,
            folding=args.folding, target_fps=args.target_fps, max_fraction=args.max_fraction,
            clock_mhz=args.clock_mhz, csim_samples=args.csim_samples, dataset=args.dataset, data_dir=args.data_dir,
            verify_samples=args.verify, backend=args.backend, force=args.force, inputs=args.inputs,
            jobs=args.jobs, synth_folding=args.synth_folding, csim_hw_loops=args.csim_hw_loops,
        )
        return commands.run_build_command(cfg)
    summary = commands.run_calibrate(args.checkpoint, args.margin, args.split, args.data_dir, args.threads)
    for layer in summary["layers"]:
        print(f"layer {layer['layer']} ({layer['name']}): max |V| {layer['max_abs']}, "
              f"{layer['saturations']} saturations at {layer['state_bits']} bits, needs {layer['required_bits']} bits")
    return summary


INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped with Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit codes: 0 done, 2 bad input, 3 stages disagree or saturation, 4 done except the
    vendor-tool steps, 130 interrupted (Ctrl-C)."""
    args = _parser().parse_args(argv)
    try:
        summary = _dispatch(args)
    except KeyboardInterrupt:
        print(f"interrupted: snn2fpga {args.command} stopped (files already written are complete; a build "
              "resumes from its last finished step)", file=sys.stderr)
        return INTERRUPTED
    except VerificationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({**exc.summary, "error": str(exc)}))
        return exc.exit_code
    except SNN2FPGAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if getattr(args, "json", False):
        print(json.dumps(summary))
    if summary.get("tools_missing"):
        from snn2fpga.flow.tools import ToolsMissing

        print(summary["tools_missing"], file=sys.stderr)
        return ToolsMissing.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
