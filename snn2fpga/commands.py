"""The work behind each CLI subcommand, as plain functions returning a JSON-able summary.

torch and brevitas are imported inside the commands that need them (train, export, calibrate), so
that `build` of an exported .onnx, `run` and `sweep` start without them (seconds of imports).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snn2fpga.data import Dataset, load_any_dataset
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.io import check_writable_file
from snn2fpga.validate import check_float, check_int, check_ints

if TYPE_CHECKING:
    import torch

    from snn2fpga.nn import ModelSpec, SNNClassifier

ARCHS = ("lif-mlp", "lif-cnn", "dcll-radioml")
# torch's CPU threads for training and evaluation. SNN batches are many small ops: one thread is as fast
# as two on an idle 2-core host, and 10x faster when other processes share the cores (digits epoch:
# 0.7 s vs 8.7-16 s; bench/README.md), because every op's threads wait for the slowest one.
TORCH_THREADS = 1
DCLL_THRESHOLD = 0.1  # default firing threshold of DCLL layers (real units; LIF layers default to 1.0)


@dataclass
class TrainOptions:
    """Options of `snn2fpga train` (see cli.py for their help texts)."""

    dataset: str
    output: Path
    data_dir: str | None = None
    arch: str = "lif-mlp"
    hidden: tuple[int, ...] = (128,)
    weight_bits: int = 4
    state_bits: int | None = None  # default 16 (LIF), 24 (DCLL)
    timesteps: int = 16
    encoder: str = "rate"
    leak_shift: int = 3
    threshold: float | None = None
    reset: str = "subtract"
    channels: tuple[int, ...] | None = None
    kernel: int | None = None
    grid: int = 32
    frame_length: int | None = None  # radioml-synth: 128, radioml-synth24: 1024
    synth_frames: int = 100
    snrs: tuple[int, ...] | None = None
    per_channel: bool = False
    quant: str = "qat"
    clip_percentile: float = 99.9
    epochs: int = 5
    batch_size: int = 64
    lr: float = 5e-3
    seed: int = 0
    calib_margin: float = 0.1
    progress: bool = True
    device: str = "cpu"
    augment: str = "none"
    threads: int = TORCH_THREADS
    learn_threshold: bool = False
    learn_leak: bool = False

    def validate(self) -> None:
        """Refuse out-of-range numbers before any data is loaded or any training starts."""
        check_int("--epochs", self.epochs, 1, hint="at least one pass over the training data")
        check_int("--batch-size", self.batch_size, 1)
        check_float("--lr", self.lr, 0, lo_open=True)
        check_ints("--hidden", self.hidden, 1)
        check_int("--weight-bits", self.weight_bits, 2, 16)
        check_int("--state-bits", self.state_bits, 2, 32)
        check_int("--timesteps", self.timesteps, 1, 4096)
        check_int("--leak-shift", self.leak_shift, 0, 32)
        check_float("--threshold", self.threshold, 0, lo_open=True)
        check_ints("--channels", self.channels, 1)
        check_int("--kernel", self.kernel, 1)
        check_int("--grid", self.grid, 2, 1024)
        check_int("--frame-length", self.frame_length, 2)
        check_int("--synth-frames", self.synth_frames, 1)
        check_float("--clip-percentile", self.clip_percentile, 0, 100, lo_open=True)
        check_float("--calib-margin", self.calib_margin, 0, 10)
        if self.arch == "dcll-radioml" and (self.learn_threshold or self.learn_leak):
            flag = "--learn-threshold" if self.learn_threshold else "--learn-leak"
            raise SNN2FPGAError(f"{flag} is not supported for --arch dcll-radioml (its layers have fixed shift "
                                "trace leaks kq/kp/kr and one threshold): use it with lif-mlp or lif-cnn")


def _selection(opt: TrainOptions) -> dict[str, Any]:
    """How a radio dataset was selected and split (stored with the model so later steps reload it);
    empty for every other dataset."""
    from snn2fpga.data.radioml import RADIO_DATASETS

    if opt.dataset not in RADIO_DATASETS:
        return {}
    sel: dict[str, Any] = {"seed": opt.seed}
    if opt.dataset in ("radioml-synth", "radioml-synth24"):
        default_length = 1024 if opt.dataset == "radioml-synth24" else 128
        sel.update(n_per_class_snr=opt.synth_frames, length=opt.frame_length or default_length)
    if opt.snrs:
        sel["snrs"] = list(opt.snrs)
    return sel


def _spec_for(opt: TrainOptions, data: Dataset) -> ModelSpec:
    from snn2fpga.data.radioml import RadioData
    from snn2fpga.nn import EncoderConfig, lif_mlp_spec
    from snn2fpga.nn.archs import dcll_radioml_spec, lif_cnn_spec
    from snn2fpga.semantics import EncoderKind

    wbits = None if opt.quant == "ptq" else opt.weight_bits
    radio = isinstance(data, RadioData)
    if opt.arch == "dcll-radioml":
        if not radio:
            raise SNN2FPGAError(f"--arch dcll-radioml needs a radio dataset (radioml-synth, rml2016, rml2018), "
                                f"not {opt.dataset}")
        return dcll_radioml_spec(
            frame_length=int(data.x_train.shape[1]), classes=data.classes, grid=opt.grid,
            channels=opt.channels or (32, 32, 32), kernel=opt.kernel or 7, padding=(opt.kernel or 7) // 2,
            weight_bits=wbits, state_bits=opt.state_bits or 24,
            threshold=DCLL_THRESHOLD if opt.threshold is None else opt.threshold, seed=opt.seed,
        )
    if radio:  # lif-cnn / lif-mlp over the I/Q plane: one timestep per I/Q sample, as dcll-radioml
        enc = EncoderConfig(EncoderKind.IQ_PLANE, int(data.x_train.shape[1]), 0, grid=opt.grid)
    else:
        enc = EncoderConfig(EncoderKind(opt.encoder), opt.timesteps, opt.seed)
    threshold = 1.0 if opt.threshold is None else opt.threshold
    if opt.arch == "lif-cnn":
        return lif_cnn_spec(data.input_shape, data.classes, channels=opt.channels or (16, 32), kernel=opt.kernel or 5,
                            weight_bits=wbits, state_bits=opt.state_bits or 16, leak_shift=opt.leak_shift,
                            threshold=threshold, reset=opt.reset, encoder=enc, per_channel=opt.per_channel,
                            learn_threshold=opt.learn_threshold, learn_leak=opt.learn_leak)
    return lif_mlp_spec(  # over the I/Q plane, the first dense layer reads the G x G plane flattened
        num_inputs=opt.grid * opt.grid if radio else int(np.prod(data.input_shape)), hidden=list(opt.hidden),
        classes=data.classes,
        input_shape=data.input_shape, weight_bits=wbits, state_bits=opt.state_bits or 16, leak_shift=opt.leak_shift,
        threshold=threshold, reset=opt.reset, encoder=enc, per_channel=opt.per_channel,
        learn_threshold=opt.learn_threshold, learn_leak=opt.learn_leak,
    )


def set_torch_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for torch's ops in this process (see :data:`TORCH_THREADS`)."""
    import torch

    if threads < 1:
        raise SNN2FPGAError(f"--threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)


def training_device(name: str) -> torch.device:
    """The torch device for ``--device`` (cpu, cuda, cuda:N or auto = cuda when available)."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as err:
        raise SNN2FPGAError(f"unknown --device {name!r}: use cpu, cuda, cuda:N or auto") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SNN2FPGAError(f"--device {name} asks for a GPU, but torch sees none here (torch "
                            f"{torch.__version__}); use --device cpu or auto")
    if dev.type not in ("cpu", "cuda"):
        raise SNN2FPGAError(f"--device {name}: only cpu and cuda are supported")
    return dev


def accuracy_by_snr(model: SNNClassifier, data: Dataset) -> dict[str, float]:
    """Hardware-exact test accuracy per SNR (dB) of a radio dataset."""
    snr = getattr(data, "snr_test", None)
    if snr is None:
        return {}
    pred = np.concatenate([model.predict(data.x_test[i : i + 100]) for i in range(0, len(data.x_test), 100)])
    return {str(int(v)): float((pred[snr == v] == data.y_test[snr == v]).mean()) for v in np.unique(snr)}


def run_train(opt: TrainOptions, log: Any = print) -> dict[str, Any]:
    """Train, quantize (QAT or PTQ), calibrate the state and write a self-describing checkpoint."""
    import torch

    from snn2fpga.checkpoint import save_checkpoint
    from snn2fpga.malloc_tuning import keep_freed_memory
    from snn2fpga.nn import SNNClassifier
    from snn2fpga.train import TrainConfig, calibrate_state, evaluate, quantize_post_training, train_bptt
    from snn2fpga.train.augment import check_augmentable, parse_augment

    if opt.arch not in ARCHS:
        raise SNN2FPGAError(f"unknown architecture {opt.arch!r}; available: {', '.join(ARCHS)}")
    opt.validate()
    check_writable_file(opt.output, "checkpoint output")  # before training, not after: nothing is lost
    set_torch_threads(opt.threads)
    keep_freed_memory()  # big per-batch tensors reuse freed memory instead of faulting pages in again
    device = training_device(opt.device)
    augment = parse_augment(opt.augment)
    selection = _selection(opt)
    data = load_any_dataset(opt.dataset, opt.data_dir, selection)
    spec = _spec_for(opt, data)
    spec.extra["dataset"] = opt.dataset
    if selection:
        spec.extra["dataset_selection"] = selection
    check_augmentable(augment, data.input_shape, opt.dataset, radio=bool(selection))
    torch.manual_seed(opt.seed)  # the weight initialisation too: the same seed gives the same model
    model = SNNClassifier(spec).to(device)
    t0 = time.perf_counter()
    tcfg = TrainConfig(opt.epochs, opt.batch_size, opt.lr, opt.seed, opt.progress, augment)
    if opt.arch == "dcll-radioml":
        from snn2fpga.train.local import train_local

        history = train_local(model, data, tcfg, log)
    else:
        history = train_bptt(model, data, tcfg, log)
    train_seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {"history": [h.__dict__ for h in history], "train_seconds": round(train_seconds, 2)}
    if opt.quant == "ptq":
        metrics["float_test_accuracy"] = evaluate(model, data.x_test, data.y_test)
        model = quantize_post_training(model.cpu(), opt.weight_bits, opt.clip_percentile, opt.per_channel)
        model = model.to(device)
        log(f"post-training quantization to {opt.weight_bits}-bit weights (clip at the "
            f"{opt.clip_percentile} percentile): float {metrics['float_test_accuracy']:.4f}")
    test_acc = evaluate(model, data.x_test, data.y_test, batch_size=100)
    calib = calibrate_state(model, data.x_test, opt.calib_margin)
    metrics.update(test_accuracy=test_acc, calibration=[c.to_dict() for c in calib],
                   accuracy_by_snr=accuracy_by_snr(model, data))
    for c in calib:
        log(f"state of layer {c.layer} ({c.name}): max |V| {c.max_abs}, {c.saturations} saturations at "
            f"{c.state_bits} bits, needs {c.required_bits} bits (margin {opt.calib_margin:.0%})")
    log(f"test accuracy (integer, hardware-exact): {test_acc:.4f}  training time {train_seconds:.1f}s")
    training = {k: (str(v) if isinstance(v, Path) else v) for k, v in opt.__dict__.items()}
    training["hidden"] = list(opt.hidden)
    save_checkpoint(model.cpu(), opt.output, metrics, training)
    log(f"wrote {opt.output}")
    return {"checkpoint": str(opt.output), "test_accuracy": test_acc, "train_seconds": round(train_seconds, 2)}


def run_export(
    checkpoint: Path, output: Path | None, verify: int | None, data_dir: str | None, allow_saturation: bool,
    log: Any = print, threads: int = TORCH_THREADS,
) -> dict[str, Any]:
    """`snn2fpga export`: export a checkpoint to QONNX beside it (or at ``output``) and verify ``verify``
    test samples (:func:`snn2fpga.export.checkpoint_export.export_checkpoint`) with ``threads`` torch threads."""
    from snn2fpga.export.checkpoint_export import export_checkpoint

    if checkpoint.is_file():  # a missing checkpoint is reported as such by the export itself
        check_writable_file(output or checkpoint.with_suffix(".onnx"), "export output")
    set_torch_threads(threads)
    return export_checkpoint(checkpoint, output, verify, data_dir, allow_saturation, log=log)


def run_calibrate(checkpoint: Path, margin: float, split: str, data_dir: str | None,
                  threads: int = TORCH_THREADS) -> dict[str, Any]:
    """Measure each layer's membrane range on a split of the checkpoint's dataset."""
    check_float("--margin", margin, 0, 10, hint="the headroom added to the measured range, 0.1 = 10 %")
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.train import calibrate_state

    set_torch_threads(threads)
    model, meta = load_checkpoint(checkpoint)
    dataset = meta.get("training", {}).get("dataset")
    if not dataset:
        raise SNN2FPGAError("the checkpoint does not name its dataset, so there is no data to calibrate on")
    data = load_any_dataset(dataset, data_dir or meta["training"].get("data_dir"),
                            model.spec.extra.get("dataset_selection", {}))
    x = data.x_test if split == "test" else data.x_train
    calib = calibrate_state(model, x, margin)
    return {"samples": len(x), "margin": margin, "layers": [c.to_dict() for c in calib]}


def find_model(folder: Path) -> Path:
    """The one model `build` takes when none is named: an exported .onnx in ``folder``, else a .pt."""
    for pattern in ("*.onnx", "*.pt"):
        found = sorted(folder.glob(pattern))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise SNN2FPGAError(f"several models in {folder}: {names}; name one with --model")
    raise SNN2FPGAError(
        f"no model in {folder}: export one first (`snn2fpga export model.pt`) or name it with --model PATH"
    )


def run_build_command(cfg: Any, log: Any = print) -> dict[str, Any]:
    """`snn2fpga build`: run (or resume) the build flow and return its JSON summary."""
    from snn2fpga.flow.driver import run_build, summary_of

    results = run_build(cfg, log)
    summary = summary_of(results, cfg, cfg.board)
    if summary["pending_commands"]:
        from snn2fpga.flow.tools import ToolsMissing

        missing = sorted({results[s]["missing"] for s in ("hls_synth", "vivado") if results[s].get("pending")}
                         - {"HLS synthesis"})
        generated = [summary["hls_dir"] or summary["rtl_dir"], *results["hls_synth"]["scripts"], summary["deploy"]]
        summary["tools_missing"] = str(ToolsMissing(missing, generated, summary["pending_commands"]))
    est = summary["estimate"]
    log(f"estimate on {cfg.board}: {est['lut']} LUT, {est['ff']} FF, {est['bram36']} BRAM36, {est['dsp']} DSP; "
        f"{est['latency_us']:.2f} us/sample, {est['fps']:.0f} samples/s")
    for line in measured_lines(summary):
        log(line)
    if summary["saturations"]:
        log(f"WARNING: the membranes saturated (clamped) during this build: {summary['saturations']}; the "
            "stages agree, but the accuracy is that of clamped states: raise state_bits (snn2fpga calibrate)")
    return summary


def measured_lines(summary: dict[str, Any]) -> list[str]:
    """The RTL backend's measured figures beside the modelled ones (level named on every line)."""
    lines = []
    sim, syn = summary.get("rtlsim"), summary.get("synth")
    if sim:
        model = sim.get("model") or {}
        lines.append(f"cycles per sample: latency {sim['latency_cycles']} (rtlsim) vs {model.get('latency')} (model), "
                     f"interval {sim['interval_cycles']} (rtlsim) vs {model.get('interval')} (model)")
    if syn:
        lines.append(f"resources: {syn['lut']} LUT + {syn['lutram']} LUTRAM, {syn['ff']} FF, {syn['bram36']} BRAM36, "
                     f"{syn['dsp']} DSP (synth: {syn['tool']})")
    return lines


def run_deploy(deploy_dir: Path, emulate: bool, dataset: str | None, data_dir: str | None,
               limit: int | None) -> dict[str, Any]:
    """`snn2fpga run`: run a deploy package through the board runtime (on a board, or emulated).

    The inputs are the test split of ``dataset`` (default: the golden vectors' own inputs); the
    predictions are compared with the reference predictions stored in the golden vectors, which were
    made for the same test split by `build`.
    """
    from snn2fpga_board import DeployError, SNNOverlay

    check_int("--limit", limit, 1)
    try:
        overlay = SNNOverlay(str(deploy_dir), device="emulated" if emulate else "auto")
    except DeployError as exc:
        raise SNN2FPGAError(str(exc)) from None
    with overlay:
        golden = overlay.golden()
        n = golden.count if limit is None else min(limit, golden.count)
        inp = overlay.deploy.input
        try:
            if dataset:
                from snn2fpga_board.host import iq_codes, quantize_input

                data = load_any_dataset(dataset, data_dir, {})
                x, labels = data.x_test[:n], data.y_test[:n]
                sent = (iq_codes(x, inp.iq.norm, inp.iq.range) if inp.kind == "iq"
                        else quantize_input(x.reshape(len(x), -1)))
                if x.shape[0] < n or not np.array_equal(sent, golden.inputs[:n]):
                    raise SNN2FPGAError(
                        f"the golden vectors in {deploy_dir} were not made from the {dataset} test split; "
                        "run without --dataset to use the golden inputs, or rebuild the deploy package"
                    )
                result = overlay.run(x)
            else:
                labels = golden.labels[:n] if golden.labels is not None else None
                # stored codes go out as they are (some I/Q codes have no float frame that quantises to them)
                result = overlay.run_codes(golden.batch(n, codes=True))
        except DeployError as exc:
            raise SNN2FPGAError(str(exc)) from None
        mismatches = int((result.predictions != golden.predictions[:n]).sum())
        accuracy = float((result.predictions == labels).mean()) if labels is not None and n else None
        return {"deploy": str(deploy_dir), "device": overlay.device_name, "samples": int(n), "accuracy": accuracy,
                "mismatches": mismatches, "samples_per_s": round(float(result.samples_per_s), 1)}
