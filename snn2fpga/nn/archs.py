"""Built-in architectures as model specs (plain data): lif-cnn and the prior work's dcll-radioml."""

from __future__ import annotations

from typing import Any

from snn2fpga.nn.model import EncoderConfig, ModelSpec, learn_flags
from snn2fpga.semantics.conv import conv_out_size
from snn2fpga.semantics.encoders import EncoderKind


def _map_shape(input_shape: list[int]) -> tuple[int, int, int]:
    if len(input_shape) == 2:
        return 1, input_shape[0], input_shape[1]
    if len(input_shape) == 3:
        return input_shape[0], input_shape[1], input_shape[2]
    raise ValueError(f"a convolutional network needs a [H, W] or [C, H, W] input, got {input_shape}")


def lif_cnn_spec(
    input_shape: list[int], classes: list[str], channels: tuple[int, ...] = (16, 32), kernel: int = 5,
    pool: int = 2, weight_bits: int | None = 4, state_bits: int = 16, leak_shift: int = 3, threshold: float = 1.0,
    reset: str = "subtract", encoder: EncoderConfig | None = None, per_channel: bool = False,
    learn_threshold: bool = False, learn_leak: bool = False,
) -> ModelSpec:
    """`lif-cnn`: [conv (same padding) -> LIF -> OR max-pool] per channel count -> flatten -> LI readout.

    ``learn_threshold`` / ``learn_leak``: learnable per-channel thresholds / beta of the LIF layers.

    With an ``iq_plane`` encoder (radio frames ``[T, 2]``) the convolutions see the encoder's
    1 x grid x grid I/Q plane at every timestep, as in ``dcll-radioml``, and learn by BPTT."""
    if encoder is not None and encoder.kind is EncoderKind.IQ_PLANE:
        c, h, w = 1, encoder.grid, encoder.grid
    else:
        c, h, w = _map_shape(input_shape)
    layers: list[dict[str, Any]] = []
    for out_c in channels:
        layers.append({"type": "conv", "in_channels": c, "out_channels": out_c, "kernel": kernel, "stride": 1,
                       "padding": kernel // 2, "weight_bits": weight_bits, "per_channel": per_channel})
        layers.append({"type": "lif", "leak_shift": leak_shift, "threshold": threshold, "reset": reset,
                       "state_bits": state_bits, **learn_flags(learn_threshold, learn_leak, out_c)})
        h, w = conv_out_size(h, kernel, 1, kernel // 2), conv_out_size(w, kernel, 1, kernel // 2)
        if pool > 1:
            layers.append({"type": "maxpool", "kernel": pool})
            h, w = conv_out_size(h, pool, pool, 0), conv_out_size(w, pool, pool, 0)
        c = out_c
    layers.append({"type": "flatten"})
    layers.append({"type": "linear", "in_features": c * h * w, "out_features": len(classes),
                   "weight_bits": weight_bits, "per_channel": per_channel})
    layers.append({"type": "li", "state_bits": state_bits})
    return ModelSpec(layers=layers, encoder=encoder or EncoderConfig(), classes=classes, input_shape=input_shape,
                     arch="lif-cnn")


def dcll_radioml_spec(
    frame_length: int, classes: list[str], grid: int = 32, channels: tuple[int, ...] = (32, 32, 32),
    kernel: int = 7, padding: int = 3, pool: int = 1, weight_bits: int | None = 8, state_bits: int = 24,
    kq: int = 1, kp: int = 1, kr: int = 1, threshold: float = 1.0, rho: float = 0.5, iq_range: float = 1.0,
    iq_norm: str = "peak", seed: int = 0,
) -> ModelSpec:
    """`dcll-radioml` (prior work 000/001): I/Q-plane spikes on a grid x grid plane -> conv DCLL layers
    (32 kernels of 7x7, zero padding 3) -> flatten -> dense LI readout over the modulation classes.
    Each DCLL layer has a fixed random local readout for local learning (training only)."""
    c, h, w = 1, grid, grid
    layers: list[dict[str, Any]] = []
    for i, out_c in enumerate(channels):
        h, w = conv_out_size(h, kernel, 1, padding), conv_out_size(w, kernel, 1, padding)
        syn = {"type": "conv", "in_channels": c, "out_channels": out_c, "kernel": kernel, "stride": 1,
               "padding": padding, "weight_bits": weight_bits, "per_channel": False}
        layers.append({"type": "dcll", "synapse": syn, "out_features": out_c * h * w, "num_classes": len(classes),
                       "kq": kq, "kp": kp, "kr": kr, "threshold": threshold, "rho": rho, "state_bits": state_bits,
                       "seed": seed + i})
        if pool > 1:
            layers.append({"type": "maxpool", "kernel": pool})
            h, w = conv_out_size(h, pool, pool, 0), conv_out_size(w, pool, pool, 0)
        c = out_c
    layers.append({"type": "flatten"})
    layers.append({"type": "linear", "in_features": c * h * w, "out_features": len(classes),
                   "weight_bits": weight_bits, "per_channel": False})
    layers.append({"type": "li", "state_bits": state_bits})
    enc = EncoderConfig(kind=EncoderKind.IQ_PLANE, timesteps=frame_length, seed=0, grid=grid, iq_range=iq_range,
                        iq_norm=iq_norm)
    return ModelSpec(layers=layers, encoder=enc, classes=classes, input_shape=[frame_length, 2], arch="dcll-radioml")
