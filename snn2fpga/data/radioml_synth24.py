"""Deterministic synthetic stand-in for RadioML 2018.01A: the 24 classes as complex I/Q frames.

Layout as in the DeepSig file: the class order of ``RML2018_CLASSES``, 1024 samples per frame, SNR
-20..30 dB in 2 dB steps. The channel is the 11-class generator's (:mod:`snn2fpga.data.radioml_synth`:
3-tap Rician/Rayleigh multipath, carrier-frequency offset, random phase, unit average power, AWGN at
the frame's SNR), applied by the same code.

Modulations (complex baseband, ``sps`` samples per symbol, frequencies in cycles/sample):

* linear (OOK, 4ASK, 8ASK, BPSK, QPSK, 8/16/32PSK, 16/32/64/128APSK, 16/32/64/128/256QAM): uniform
  random symbols of the constellation below, root-raised-cosine shaping (roll-off 0.35, span 8
  symbols) and a random symbol-timing offset, exactly as the 11-class generator's linear classes.

  - OOK {0, 1}; 4ASK/8ASK: the real amplitudes -(M-1), ..., -1, 1, ..., M-1 (bipolar, as PAM).
  - M-PSK: exp(j 2 pi k / M); QPSK at pi/4 + k pi/2.
  - 16APSK 4+12 and 32APSK 4+12+16 rings with the DVB-S2 ring ratios of code rate 3/4 (EN 302 307-1:
    gamma = 2.85; gamma1 = 2.84, gamma2 = 5.27), DVB-S2 ring phases (pi/4 + k pi/2, pi/12 + k pi/6,
    k pi/8).
  - 64APSK: DVB-S2X's 8+16+20+20 rings, radii 1, 2.2, 3.6, 5.2, ring offsets pi/8, pi/16, pi/20, pi/20.
  - 128APSK: DVB-S2X's ring structure 16+16+16+16+16+48 with radii 1, 1.715, 2.118, 2.681, 2.75, 3.25;
    the standard tabulates irregular phases, here each ring is uniform with a half-step offset on
    every other ring (this one is an approximation of the standard's constellation).
  - QAM: square grids (16, 64, 256) and the cross constellations 32QAM (6x6 without the corners) and
    128QAM (12x12 without a 2x2 block at each corner).
* OQPSK: QPSK whose Q rail is delayed by half a symbol (sps/2 samples) before the same RRC shaping.
* GMSK: binary CPM with modulation index 0.5 and a Gaussian frequency pulse of BT = 0.3.
* analog, with the 11-class generator's band-limited random message m (peak 1) and a random
  modulation depth mu in [0.3, 0.9]: AM-DSB-WC 1 + mu m, AM-DSB-SC m, AM-SSB-WC 1 + mu (m + j H(m)),
  AM-SSB-SC m + j H(m) (upper sideband, H: Hilbert transform), FM exp(j 2 pi 0.08 cumsum(m) + phase).

Every (class, SNR) group draws from its own seed, derived from (seed, class index, SNR) in a stream
separate from the 11-class generator's, the noise from a child stream: same seed, same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from snn2fpga.data.radioml_synth import (
    DEFAULT_MAX_CFO,
    FM_DEVIATION,
    RRC_SPAN,
    Channel,
    RadioFrames,
    _audio,
    assemble_frames,
    gaussian_taps,
    rrc_taps,
)
from snn2fpga.errors import SNN2FPGAError

# The order of the one-hot columns of Y in the DeepSig file. The classes.txt shipped with the 2018 download
# lists them in another order, which is known to be wrong; this is the order the data follows.
RML2018_CLASSES = ["OOK", "4ASK", "8ASK", "BPSK", "QPSK", "8PSK", "16PSK", "32PSK", "16APSK", "32APSK",
                   "64APSK", "128APSK", "16QAM", "32QAM", "64QAM", "128QAM", "256QAM", "AM-SSB-WC",
                   "AM-SSB-SC", "AM-DSB-WC", "AM-DSB-SC", "FM", "GMSK", "OQPSK"]
RML2018_SNRS = tuple(range(-20, 32, 2))
RML2018_LENGTH = 1024
GMSK_BT = 0.3
GMSK_INDEX = 0.5
_STREAM = 2018  # keeps these groups' seeds apart from the 11-class generator's

# (points per ring, radius, phase of the first point) per APSK class
APSK_RINGS: dict[str, list[tuple[int, float, float]]] = {
    "16APSK": [(4, 1.0, np.pi / 4), (12, 2.85, np.pi / 12)],
    "32APSK": [(4, 1.0, np.pi / 4), (12, 2.84, np.pi / 12), (16, 5.27, 0.0)],
    "64APSK": [(8, 1.0, np.pi / 8), (16, 2.2, np.pi / 16), (20, 3.6, np.pi / 20), (20, 5.2, np.pi / 20)],
    "128APSK": [(n, r, (i % 2) * np.pi / n) for i, (n, r) in enumerate(
        [(16, 1.0), (16, 1.715), (16, 2.118), (16, 2.681), (16, 2.75), (48, 3.25)])],
}
_ANALOG = ("AM-SSB-WC", "AM-SSB-SC", "AM-DSB-WC", "AM-DSB-SC", "FM")


def _qam(m: int) -> np.ndarray:
    """Square (16, 64, 256) or cross (32, 128) QAM on the odd-integer grid."""
    side = {16: 4, 32: 6, 64: 8, 128: 12, 256: 16}[m]
    levels = np.arange(-(side - 1), side, 2, dtype=float)
    grid = (levels[:, None] + 1j * levels[None, :]).ravel()
    if side * side == m:
        return grid
    edge = {32: 5, 128: 9}[m]  # cross: drop the corner points (32QAM) or 2x2 corner blocks (128QAM)
    return grid[~((np.abs(grid.real) >= edge) & (np.abs(grid.imag) >= edge))]


def constellation(name: str) -> np.ndarray:
    """The symbol alphabet of a linear 2018 class (complex, not normalised)."""
    if name == "OOK":
        return np.array([0.0, 1.0], dtype=complex)
    if name.endswith("ASK"):
        m = int(name[:-3])
        return np.arange(-(m - 1), m, 2, dtype=float).astype(complex)
    if name == "BPSK":
        return np.array([-1.0, 1.0], dtype=complex)
    if name in ("QPSK", "OQPSK"):
        return np.exp(1j * (np.pi / 4 + np.pi / 2 * np.arange(4)))
    if name.endswith("APSK"):
        return np.concatenate([r * np.exp(1j * (phi + 2 * np.pi * np.arange(n) / n)) for n, r, phi in APSK_RINGS[name]])
    if name.endswith("PSK"):
        m = int(name[:-3])
        return np.exp(1j * 2 * np.pi * np.arange(m) / m)
    if name.endswith("QAM"):
        return _qam(int(name[:-3]))
    raise SNN2FPGAError(f"{name} is not a linear modulation of {', '.join(RML2018_CLASSES)}")


def _shape(symbols: np.ndarray, sps: int) -> np.ndarray:
    """RRC-shaped upsampled symbols [n, n_sym * sps + taps - 1]."""
    from scipy.signal import fftconvolve  # scipy.signal takes seconds to import: only when synthesising

    up = np.zeros((symbols.shape[0], symbols.shape[1] * sps), dtype=symbols.dtype)
    up[:, ::sps] = symbols
    return fftconvolve(up, rrc_taps(sps)[None, :], axes=1)


def _linear(name: str, rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    const = constellation(name)
    n_sym = RRC_SPAN + 2 + -(-length // sps)
    symbols = const[rng.integers(0, const.size, (n, n_sym))]
    if name == "OQPSK":  # the Q rail half a symbol late
        i_rail, q_rail = _shape(symbols.real, sps), _shape(symbols.imag, sps)
        half = sps // 2
        shaped = i_rail[:, half:] + 1j * q_rail[:, :-half]
    else:
        shaped = _shape(symbols, sps)
    start = RRC_SPAN * sps + rng.integers(0, sps, n)
    return np.take_along_axis(shaped, start[:, None] + np.arange(length)[None, :], axis=1)


def _gmsk(rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    from scipy.signal import fftconvolve

    n_sym = 6 + -(-length // sps)
    freq = np.repeat(rng.choice([-1.0, 1.0], (n, n_sym)), sps, axis=1)
    freq = fftconvolve(freq, gaussian_taps(sps, GMSK_BT)[None, :], mode="same", axes=1)
    phase = np.pi * GMSK_INDEX * np.cumsum(freq, axis=1) / sps
    start = 2 * sps + rng.integers(0, sps, n)
    phase = np.take_along_axis(phase, start[:, None] + np.arange(length)[None, :], axis=1)
    return np.exp(1j * phase)


def _analog(name: str, rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    depth = rng.uniform(0.3, 0.9, (n, 1))
    if name.startswith("AM-SSB"):
        from scipy.signal import hilbert

        pad = 32  # the FFT-based Hilbert transform wraps around: discard the frame edges
        ssb = hilbert(_audio(rng, n, length, pad), axis=1)[:, pad : pad + length]
        return 1.0 + depth * ssb if name == "AM-SSB-WC" else ssb
    m = _audio(rng, n, length)
    if name == "AM-DSB-WC":
        return (1.0 + depth * m).astype(complex)
    if name == "AM-DSB-SC":
        return m.astype(complex)
    return np.exp(1j * (2 * np.pi * FM_DEVIATION * np.cumsum(m, axis=1) + rng.uniform(0, 2 * np.pi, (n, 1))))


def modulate(name: str, rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    """``n`` clean baseband frames [n, length] of class ``name`` (before the channel)."""
    if name == "GMSK":
        return _gmsk(rng, n, length, sps)
    if name in _ANALOG:
        return _analog(name, rng, n, length)
    return _linear(name, rng, n, length, sps)


def _group_seed(seed: int, name: str, snr: int) -> np.random.SeedSequence:
    zigzag = 2 * snr if snr >= 0 else -2 * snr - 1
    return np.random.SeedSequence([seed, _STREAM, RML2018_CLASSES.index(name), zigzag])


def synth_radioml2018(
    n_per_class_snr: int,
    snrs: Iterable[int] = RML2018_SNRS,
    length: int = RML2018_LENGTH,
    classes: Sequence[str] = RML2018_CLASSES,
    seed: int = 0,
    *,
    noise: bool = True,
    sps: int = 8,
    max_cfo: float = DEFAULT_MAX_CFO,
    fading: bool = True,
) -> RadioFrames:
    """``n_per_class_snr`` frames of ``length`` samples for every class and SNR (dB), see the module doc.

    ``classes`` is a subset of ``RML2018_CLASSES``; the returned class list keeps the 2018 order and labels
    index it. Frames are ordered class-major, then by SNR in the order given. ``noise=False`` returns
    the unit-power frames without the AWGN (same signal, same seed).
    """
    unknown = [c for c in classes if c not in RML2018_CLASSES]
    if unknown:
        raise SNN2FPGAError(f"unknown RadioML 2018 classes {unknown}; known: {', '.join(RML2018_CLASSES)}")
    snr_list = [int(s) for s in snrs]
    if n_per_class_snr < 1 or length < 2 or sps < 2 or sps % 2 or not snr_list or not classes:
        raise SNN2FPGAError(
            f"synth_radioml2018 needs n_per_class_snr >= 1, length >= 2 (samples), an even sps >= 2 (OQPSK "
            f"delays Q by sps/2) and at least one class and SNR; got n_per_class_snr={n_per_class_snr}, "
            f"length={length}, sps={sps}, {len(classes)} classes, {len(snr_list)} SNRs"
        )
    if seed < 0:
        raise SNN2FPGAError(f"synth_radioml2018 seed must be >= 0, got {seed}")
    names = [c for c in RML2018_CLASSES if c in set(classes)]
    return assemble_frames(names, snr_list, n_per_class_snr, length, Channel(sps, max_cfo, fading, noise),
                           lambda name, snr: _group_seed(seed, name, snr), modulate)
