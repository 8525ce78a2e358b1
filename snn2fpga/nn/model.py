"""A spiking classifier: encoder + a stack of (synapse, neuron) layers + readout.

The architecture is plain data (a list of layer specs), so a checkpoint rebuilds the model without
the script that trained it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.conv import QuantConv2d, SpikeFlatten, SpikeMaxPool
from snn2fpga.nn.dcll import DCLL
from snn2fpga.nn.neurons import IF, LI, LIF, _NeuronBase
from snn2fpga.nn.synapse import QuantLinear
from snn2fpga.semantics import EncoderKind, encode, predict, quantize_input
from snn2fpga.semantics.iq import iq_plane_encode, quantize_iq


class Readout(StrEnum):
    """How a prediction is read from the last layer."""

    MEMBRANE = "membrane"  # LI readout: argmax of the final membrane
    SPIKE_COUNT = "spike_count"  # spiking readout: argmax of spike counts over T


@dataclass
class EncoderConfig:
    """Spike encoder of the network input (see semantics.encoders)."""

    kind: EncoderKind = EncoderKind.RATE
    timesteps: int = 16
    seed: int = 0
    grid: int = 32  # iq_plane: bins per axis of the I/Q plane
    iq_range: float = 1.0  # iq_plane: the plane spans [-iq_range, iq_range) after normalisation
    iq_norm: str = "peak"  # iq_plane: per-frame normalisation (peak | rms | none)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind.value, "timesteps": self.timesteps, "seed": self.seed}
        if self.kind is EncoderKind.IQ_PLANE:
            d.update(grid=self.grid, iq_range=self.iq_range, iq_norm=self.iq_norm)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EncoderConfig:
        return cls(kind=EncoderKind(d["kind"]), timesteps=int(d["timesteps"]), seed=int(d["seed"]),
                   grid=int(d.get("grid", 32)), iq_range=float(d.get("iq_range", 1.0)),
                   iq_norm=str(d.get("iq_norm", "peak")))


@dataclass
class ModelSpec:
    """Everything needed to rebuild an :class:`SNNClassifier` (plain JSON-able data)."""

    layers: list[dict[str, Any]]
    encoder: EncoderConfig
    classes: list[str]
    input_shape: list[int]
    arch: str = "custom"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["encoder"] = self.encoder.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        return cls(
            layers=list(d["layers"]),
            encoder=EncoderConfig.from_dict(d["encoder"]),
            classes=[str(c) for c in d["classes"]],
            input_shape=[int(s) for s in d["input_shape"]],
            arch=str(d.get("arch", "custom")),
            extra=dict(d.get("extra", {})),
        )


def layer_to_spec(layer: nn.Module) -> dict[str, Any]:
    """Describe one snn2fpga layer as plain data."""
    if isinstance(layer, QuantConv2d):
        return {"type": "conv", "in_channels": layer.in_channels, "out_channels": layer.out_channels,
                "kernel": layer.kernel, "stride": layer.conv_stride, "padding": layer.conv_padding,
                "weight_bits": layer.weight_bits, "per_channel": layer.per_channel}
    if isinstance(layer, SpikeMaxPool):
        return {"type": "maxpool", "kernel": layer.kernel}
    if isinstance(layer, SpikeFlatten):
        return {"type": "flatten"}
    if isinstance(layer, DCLL):
        p = layer.params
        return {"type": "dcll", "synapse": layer_to_spec(layer.synapse), "out_features": layer.out_features,
                "num_classes": layer.num_classes, "kq": p.kq, "kp": p.kp, "kr": p.kr, "threshold": layer.threshold,
                "rho": layer.rho, "state_bits": p.state_bits, "seed": layer.seed,
                "frac_bits": p.frac_bits}
    if isinstance(layer, QuantLinear):
        return {
            "type": "linear",
            "in_features": layer.in_features,
            "out_features": layer.out_features,
            "weight_bits": layer.weight_bits,
            "per_channel": layer.per_channel,
        }
    if isinstance(layer, _NeuronBase):
        p = layer.params
        spec: dict[str, Any] = {"type": type(layer).__name__.lower(), "state_bits": p.state_bits}
        if p.leak.value == "shift":
            spec["leak_shift"] = p.leak_shift
        elif p.leak.value == "mult":
            spec["beta"] = layer.beta_float
            spec["beta_frac_bits"] = p.beta_frac_bits
        if layer.learns_leak:  # the beta above is the initial value; the learned one is in the state_dict
            spec["learn_leak"] = True
        if layer.spiking:
            spec["threshold"] = layer.threshold
            spec["reset"] = p.reset.value
        if layer.learned_threshold is not None:
            spec.update(learn_threshold=True, channels=layer.learned_threshold.channels)
        return spec
    raise SNN2FPGAError(f"cannot describe layer {type(layer).__name__}: not an snn2fpga layer")


def with_neuron_channels(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The layer specs with ``channels`` filled in for every neuron layer that learns its thresholds and
    does not state it: the output channels of the nearest synapse before it (conv: out_channels, linear:
    out_features). An explicit ``channels`` is kept (a mismatch fails at the first forward pass)."""
    out: list[dict[str, Any]] = []
    width: int | None = None
    for spec in layers:
        kind = spec.get("type")
        if kind == "conv":
            width = spec.get("out_channels")
        elif kind == "linear":
            width = spec.get("out_features")
        elif kind in ("lif", "if") and spec.get("learn_threshold") and spec.get("channels") is None:
            if width is None:
                raise SNN2FPGAError(f"a {kind} layer that learns its thresholds needs a synapse (linear or conv) "
                                    "before it, or an explicit 'channels' in its spec")
            spec = {**spec, "channels": width}
        out.append(spec)
    return out


def layer_from_spec(spec: dict[str, Any]) -> nn.Module:
    """Rebuild a layer from :func:`layer_to_spec` output."""
    kind = spec.get("type")
    leak = {k: spec[k] for k in ("beta", "leak_shift", "beta_frac_bits") if k in spec}
    if kind == "conv":
        return QuantConv2d(spec["in_channels"], spec["out_channels"], spec["kernel"], spec["stride"],
                           spec["padding"], spec["weight_bits"], bool(spec.get("per_channel")))
    if kind == "maxpool":
        return SpikeMaxPool(spec["kernel"])
    if kind == "flatten":
        return SpikeFlatten()
    if kind == "dcll":
        syn = layer_from_spec(spec["synapse"])
        assert isinstance(syn, (QuantConv2d, QuantLinear))
        return DCLL(syn, spec["out_features"], spec["num_classes"], spec["kq"], spec["kp"], spec["kr"],
                    spec["threshold"], spec["rho"], spec["state_bits"], spec["seed"], int(spec.get("frac_bits", 8)))
    if kind == "linear":
        return QuantLinear(
            spec["in_features"], spec["out_features"], spec["weight_bits"], bool(spec.get("per_channel"))
        )
    learn = {"learn_leak": bool(spec.get("learn_leak", False))}
    if kind in ("lif", "if"):
        learn.update(learn_threshold=bool(spec.get("learn_threshold", False)), channels=spec.get("channels"))
    if kind == "lif":
        return LIF(threshold=spec["threshold"], reset=spec["reset"], state_bits=spec["state_bits"], **leak, **learn)
    if kind == "if":
        return IF(threshold=spec["threshold"], reset=spec["reset"], state_bits=spec["state_bits"], **learn)
    if kind == "li":
        return LI(state_bits=spec["state_bits"], learn_threshold=bool(spec.get("learn_threshold", False)),
                  **leak, **learn)
    raise SNN2FPGAError(
        f"unknown layer type {kind!r} in model spec (known: linear, conv, maxpool, flatten, lif, if, li, dcll)"
    )


def learn_flags(learn_threshold: bool, learn_leak: bool, channels: int) -> dict[str, Any]:
    """The spec keys of the opt-in learnable neuron parameters (none when both are off, so that the
    specs of models without them stay as they were)."""
    flags: dict[str, Any] = {}
    if learn_threshold:
        flags.update(learn_threshold=True, channels=channels)
    if learn_leak:
        flags["learn_leak"] = True
    return flags


def _spike_layout(after: list[nn.Module]) -> str:
    """How a DCLL layer followed by the layers ``after`` returns its spikes (dcll_native.LAYOUTS)."""
    if after and isinstance(after[0], DCLL):
        return "dcll"
    if len(after) > 1 and isinstance(after[0], SpikeFlatten) and isinstance(after[1], QuantLinear):
        return "uint8"  # a readout on flattened spikes takes uint8
    return "float"


class SNNClassifier(nn.Module):
    """Encoder + sequential spiking layers + readout, the model `snn2fpga train` produces.

    ``forward(x)`` takes features [B, *input_shape] in [0, 1], quantizes them to 8 bits, encodes them
    into spikes [T, B, N] and returns the last layer's output [T, B, classes] (membranes for an LI
    readout, spikes otherwise). In eval mode with quantized layers every number is an exact integer.
    """

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        spec.layers = with_neuron_channels(spec.layers)
        self.spec = spec
        self.layers = nn.Sequential(*[layer_from_spec(s) for s in spec.layers])
        after_dcll = False
        for i, layer in enumerate(self.layers):
            if isinstance(layer, DCLL):  # the layout of its spikes: what the next layer reads fastest
                layer.spike_layout = _spike_layout(list(self.layers[i + 1:]))
            elif isinstance(layer, QuantLinear) and after_dcll:  # detached binary spikes: the spike kernel
                layer.spike_input = True
            after_dcll = isinstance(layer, DCLL) or (after_dcll and isinstance(layer, SpikeFlatten))
        self.encoder = spec.encoder
        self.readout = Readout.MEMBRANE if isinstance(self.layers[-1], LI) else Readout.SPIKE_COUNT

    @property
    def num_inputs(self) -> int:
        return int(np.prod(self.spec.input_shape))

    def quantize(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        """Host-side input quantization: features [B, *input_shape] in [0, 1] -> uint8 [B, N]; for the
        iq_plane encoder, I/Q frames [B, T, 2] -> normalised signed 8-bit codes [B, T, 2]."""
        arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        if arr.ndim < 2 or int(np.prod(arr.shape[1:])) != self.num_inputs:
            raise SNN2FPGAError(
                f"input has shape {tuple(arr.shape)}, the model expects [batch, "
                f"{', '.join(map(str, self.spec.input_shape))}] ({self.num_inputs} features)"
            )
        if self.encoder.kind is EncoderKind.IQ_PLANE:
            from snn2fpga.data.radioml import iq_normalize

            frames = iq_normalize(arr.reshape(arr.shape[0], -1, 2), self.encoder.iq_norm)
            return quantize_iq(frames, self.encoder.iq_range)
        return quantize_input(arr.reshape(arr.shape[0], -1))

    def encode(self, x: torch.Tensor | np.ndarray, seed: int | None = None) -> torch.Tensor:
        """Spikes [T, B, N] (or [T, B, 1, G, G] for iq_plane into a convolution), float 0/1; ``seed``
        overrides the rate encoder's seed (training)."""
        q = self.quantize(x)
        if self.encoder.kind is EncoderKind.IQ_PLANE:
            planes = torch.from_numpy(iq_plane_encode(q, self.encoder.grid)).to(torch.float32)
            return planes if self.takes_maps else planes.flatten(2)  # a dense first layer sees G*G inputs
        s = encode(q, self.encoder.kind, self.encoder.timesteps, self.encoder.seed if seed is None else seed)
        spikes = torch.from_numpy(s).to(torch.float32)
        if self.takes_maps:  # a convolutional first layer: [T, B, N] -> [T, B, C, H, W]
            shape = self.spec.input_shape if len(self.spec.input_shape) == 3 else [1, *self.spec.input_shape]
            spikes = spikes.reshape(spikes.shape[0], spikes.shape[1], *shape)
        return spikes

    @property
    def takes_maps(self) -> bool:
        """True when the first layer is convolutional (its input is spike maps)."""
        first = self.layers[0]
        return isinstance(first, QuantConv2d) or (isinstance(first, DCLL) and isinstance(first.synapse, QuantConv2d))

    @property
    def device(self) -> torch.device:
        """Where the parameters live (the encoded spikes are moved there)."""
        return next(self.parameters()).device

    def forward(self, x: torch.Tensor | np.ndarray, seed: int | None = None) -> torch.Tensor:
        return self.layers(self.encode(x, seed).to(self.device))

    def scores(self, out: torch.Tensor) -> torch.Tensor:
        """Class scores [B, C] from the last layer's output [T, B, C]."""
        return out[-1] if self.readout is Readout.MEMBRANE else out.sum(dim=0)

    @torch.no_grad()
    def predict(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        """Hardware-exact predictions (eval mode integer path); ties go to the lowest index."""
        was_training = self.training
        neurons = [m for m in self.modules() if isinstance(m, _NeuronBase)]
        recording = [m.record_trace for m in neurons]
        self.eval()
        for m in neurons:  # predictions need no per-layer traces: skip copying them out
            m.record_trace = False
        try:
            return predict(self.scores(self(x)).cpu().numpy())
        finally:
            self.train(was_training)
            for m, rec in zip(neurons, recording, strict=True):
                m.record_trace = rec


def lif_mlp_spec(
    num_inputs: int,
    hidden: list[int],
    classes: list[str],
    input_shape: list[int],
    weight_bits: int | None = 4,
    state_bits: int = 16,
    leak_shift: int = 3,
    threshold: float = 1.0,
    reset: str = "subtract",
    encoder: EncoderConfig | None = None,
    per_channel: bool = False,
    learn_threshold: bool = False,
    learn_leak: bool = False,
) -> ModelSpec:
    """The `lif-mlp` architecture: N -> hidden LIF layers -> non-leaky LI readout over the classes.

    ``learn_threshold`` / ``learn_leak`` make the LIF layers' thresholds (per channel) / beta learnable
    (see :mod:`snn2fpga.nn.learnable`); the readout keeps its fixed, leak-free integration."""
    layers: list[dict[str, Any]] = []
    width = num_inputs
    for h in hidden:
        layers.append({"type": "linear", "in_features": width, "out_features": h,
                       "weight_bits": weight_bits, "per_channel": per_channel})
        layers.append({"type": "lif", "leak_shift": leak_shift, "threshold": threshold,
                       "reset": reset, "state_bits": state_bits, **learn_flags(learn_threshold, learn_leak, h)})
        width = h
    layers.append({"type": "linear", "in_features": width, "out_features": len(classes),
                   "weight_bits": weight_bits, "per_channel": per_channel})
    layers.append({"type": "li", "state_bits": state_bits})
    return ModelSpec(layers=layers, encoder=encoder or EncoderConfig(), classes=classes,
                     input_shape=input_shape, arch="lif-mlp")
