"""Deterministic synthetic stand-in for RML2016.10a: the 11 modulation classes as complex I/Q frames.

Model (complex baseband, time in samples, frequencies in cycles/sample):

* linear modulations (BPSK, QPSK, 8PSK, PAM4, QAM16, QAM64): uniform random symbols at ``sps`` samples
  per symbol, root-raised-cosine pulse shaping (roll-off ``RRC_ROLLOFF``, span ``RRC_SPAN`` symbols) and a
  random symbol-timing offset of 0..sps-1 samples;
* CPFSK: binary continuous-phase FSK with a rectangular frequency pulse, modulation index ``FSK_INDEX``;
  GFSK: the same with the frequency pulse smoothed by a Gaussian filter of bandwidth-time ``GFSK_BT``;
* analog classes carry a band-limited random "audio" message (white Gaussian noise low-passed at
  ``AUDIO_CUTOFF``, scaled to peak 1): AM-DSB is double sideband with carrier, ``1 + mu * m`` with a
  random modulation depth mu in [0.3, 0.9]; AM-SSB is the upper sideband with suppressed carrier,
  the analytic signal ``m + j * Hilbert(m)``; WBFM is ``exp(j * 2 pi * FM_DEVIATION * cumsum(m))``;
* channel, per frame: 3-tap multipath at delays 0, 1, 2 samples (Rician line of sight with K factor
  uniform in [2, 10], Rayleigh echoes of mean power 0.1 and 0.03), carrier frequency offset uniform in
  +-``max_cfo``, uniform carrier phase; then the frame is scaled to unit average power (mean |s|^2 = 1)
  and complex white Gaussian noise of power 10^(-SNR/10) is added, so SNR (dB) is relative to the
  unit signal power.

Every (class, SNR) group draws from its own seed derived from (seed, class name, SNR), and the noise
from a separate child stream, so adding classes or SNRs leaves the other groups unchanged and a frame
generated with ``noise=False`` is exactly the noisy frame minus its noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from snn2fpga.errors import SNN2FPGAError

RML2016_CLASSES = ["8PSK", "AM-DSB", "AM-SSB", "BPSK", "CPFSK", "GFSK", "PAM4", "QAM16", "QAM64", "QPSK", "WBFM"]
DEFAULT_SNRS = tuple(range(-20, 20, 2))
RRC_ROLLOFF = 0.35
RRC_SPAN = 8  # symbols
FSK_INDEX = 0.5
GFSK_BT = 0.35
AUDIO_CUTOFF = 0.04  # cycles/sample
AUDIO_TAPS = 63
FM_DEVIATION = 0.08  # cycles/sample per unit message
DEFAULT_MAX_CFO = 0.002  # cycles/sample
_DELAYS = 2  # multipath spread in samples (taps at 0, 1, 2)


class RadioFrames(NamedTuple):
    """I/Q frames float32 [N, T, 2] (time-major, I then Q), labels int64 [N], SNR int64 [N] in dB."""

    iq: np.ndarray
    labels: np.ndarray
    snr: np.ndarray
    classes: list[str]


def rrc_taps(sps: int, rolloff: float = RRC_ROLLOFF, span: int = RRC_SPAN) -> np.ndarray:
    """Root-raised-cosine impulse response, ``span * sps + 1`` taps, unit energy."""
    t = np.arange(-span * sps // 2, span * sps // 2 + 1) / sps  # in symbols
    b = rolloff
    h = np.empty_like(t)
    zero = np.isclose(t, 0.0)
    edge = np.isclose(np.abs(t), 1.0 / (4.0 * b)) if b > 0 else np.zeros_like(zero)
    rest = ~(zero | edge)
    h[zero] = 1.0 - b + 4.0 * b / np.pi
    h[edge] = b / np.sqrt(2.0) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * b)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * b)))
    tr = t[rest]
    h[rest] = (np.sin(np.pi * tr * (1 - b)) + 4 * b * tr * np.cos(np.pi * tr * (1 + b))) / (
        np.pi * tr * (1 - (4 * b * tr) ** 2)
    )
    return h / np.sqrt(np.sum(h**2))


def gaussian_taps(sps: int, bt: float = GFSK_BT, span: int = 4) -> np.ndarray:
    """Gaussian smoothing filter of bandwidth-time product ``bt`` (``span`` symbols long), sum 1."""
    t = np.arange(-span * sps // 2, span * sps // 2 + 1) / sps
    h = np.exp(-2.0 * np.pi**2 * bt**2 * t**2 / np.log(2.0))
    return h / h.sum()


def _constellation(name: str) -> np.ndarray:
    if name == "BPSK":
        return np.array([-1.0, 1.0], dtype=complex)
    if name == "QPSK":
        return np.exp(1j * (np.pi / 4 + np.pi / 2 * np.arange(4)))
    if name == "8PSK":
        return np.exp(1j * 2 * np.pi * np.arange(8) / 8)
    if name == "PAM4":
        return np.array([-3.0, -1.0, 1.0, 3.0], dtype=complex)
    side = {"QAM16": 4, "QAM64": 8}[name]
    levels = np.arange(-(side - 1), side, 2, dtype=float)
    return (levels[:, None] + 1j * levels[None, :]).ravel()


def _linear(name: str, rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    const = _constellation(name)
    n_sym = RRC_SPAN + 2 + -(-length // sps)
    up = np.zeros((n, n_sym * sps), dtype=complex)
    up[:, ::sps] = const[rng.integers(0, const.size, (n, n_sym))]
    from scipy.signal import fftconvolve  # scipy.signal takes seconds to import: only when synthesising

    shaped = fftconvolve(up, rrc_taps(sps)[None, :], axes=1)
    start = RRC_SPAN * sps + rng.integers(0, sps, n)
    return np.take_along_axis(shaped, start[:, None] + np.arange(length)[None, :], axis=1)


def _fsk(gaussian: bool, rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    n_sym = 6 + -(-length // sps)
    freq = np.repeat(rng.choice([-1.0, 1.0], (n, n_sym)), sps, axis=1)
    if gaussian:
        from scipy.signal import fftconvolve

        freq = fftconvolve(freq, gaussian_taps(sps)[None, :], mode="same", axes=1)
    phase = np.pi * FSK_INDEX * np.cumsum(freq, axis=1) / sps
    start = 2 * sps + rng.integers(0, sps, n)
    phase = np.take_along_axis(phase, start[:, None] + np.arange(length)[None, :], axis=1)
    return np.exp(1j * phase)


def _audio(rng: np.random.Generator, n: int, length: int, pad: int = 0) -> np.ndarray:
    """Band-limited random message [n, length + 2 * pad], each frame scaled to peak |m| = 1."""
    from scipy.signal import fftconvolve, firwin

    taps = firwin(AUDIO_TAPS, 2.0 * AUDIO_CUTOFF)
    white = rng.standard_normal((n, length + 2 * pad + AUDIO_TAPS - 1))
    m = fftconvolve(white, taps[None, :], mode="valid", axes=1)
    return m / np.max(np.abs(m), axis=1, keepdims=True)


def _analog(name: str, rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    if name == "AM-DSB":
        depth = rng.uniform(0.3, 0.9, (n, 1))
        return (1.0 + depth * _audio(rng, n, length)).astype(complex)
    if name == "AM-SSB":
        from scipy.signal import hilbert

        pad = 32  # the FFT-based Hilbert transform wraps around: discard the frame edges
        return hilbert(_audio(rng, n, length, pad), axis=1)[:, pad : pad + length]
    m = _audio(rng, n, length)
    return np.exp(1j * (2 * np.pi * FM_DEVIATION * np.cumsum(m, axis=1) + rng.uniform(0, 2 * np.pi, (n, 1))))


def _modulate(name: str, rng: np.random.Generator, n: int, length: int, sps: int) -> np.ndarray:
    if name in ("CPFSK", "GFSK"):
        return _fsk(name == "GFSK", rng, n, length, sps)
    if name in ("AM-DSB", "AM-SSB", "WBFM"):
        return _analog(name, rng, n, length)
    return _linear(name, rng, n, length, sps)


def _channel(s: np.ndarray, rng: np.random.Generator, length: int, max_cfo: float, fading: bool) -> np.ndarray:
    """Multipath + CFO + phase on frames of ``length + _DELAYS`` samples, scaled to unit power."""
    n = s.shape[0]
    if fading:
        k = rng.uniform(2.0, 10.0, n)
        los = np.sqrt(k / (k + 1)) * np.exp(1j * rng.uniform(0, 2 * np.pi, n))
        cn = (rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))) / np.sqrt(2.0)
        h = np.stack([los + cn[:, 0] / np.sqrt(k + 1), np.sqrt(0.1) * cn[:, 1], np.sqrt(0.03) * cn[:, 2]], axis=1)
        y = sum(h[:, d : d + 1] * s[:, _DELAYS - d : _DELAYS - d + length] for d in range(_DELAYS + 1))
    else:
        y = s[:, _DELAYS:]
    cfo = rng.uniform(-max_cfo, max_cfo, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    y = y * np.exp(1j * (2 * np.pi * cfo * np.arange(length)[None, :] + phase))
    return y / np.sqrt(np.mean(np.abs(y) ** 2, axis=1, keepdims=True))


def _group_seed(seed: int, name: str, snr: int) -> np.random.SeedSequence:
    zigzag = 2 * snr if snr >= 0 else -2 * snr - 1
    return np.random.SeedSequence([seed, RML2016_CLASSES.index(name), zigzag])


class Channel(NamedTuple):
    """Symbol rate and channel settings shared by every frame of one generated set."""

    sps: int
    max_cfo: float
    fading: bool
    noise: bool


def assemble_frames(
    names: list[str], snr_list: list[int], n: int, length: int, channel: Channel,
    group_seed: Callable[[str, int], np.random.SeedSequence],
    modulate: Callable[[str, np.random.Generator, int, int, int], np.ndarray],
) -> RadioFrames:
    """``n`` frames per (class, SNR), class-major then SNR in the given order: each group's signal from its
    own seed's first child stream (modulation, then the channel), its AWGN from the second."""
    iq = np.empty((len(names) * len(snr_list) * n, length, 2), dtype=np.float32)
    pos = 0
    for name in names:
        for snr in snr_list:
            sig_ss, noise_ss = group_seed(name, snr).spawn(2)
            rng = np.random.default_rng(sig_ss)
            y = _channel(modulate(name, rng, n, length + _DELAYS, channel.sps), rng, length, channel.max_cfo,
                         channel.fading)
            if channel.noise:
                nrng = np.random.default_rng(noise_ss)
                sigma = np.sqrt(10.0 ** (-snr / 10.0) / 2.0)
                y = y + sigma * (nrng.standard_normal(y.shape) + 1j * nrng.standard_normal(y.shape))
            iq[pos : pos + n, :, 0] = y.real
            iq[pos : pos + n, :, 1] = y.imag
            pos += n
    labels = np.repeat(np.arange(len(names), dtype=np.int64), len(snr_list) * n)
    snr_arr = np.tile(np.repeat(np.array(snr_list, dtype=np.int64), n), len(names))
    return RadioFrames(iq, labels, snr_arr, names)


def synth_radioml(
    n_per_class_snr: int,
    snrs: Iterable[int] = DEFAULT_SNRS,
    length: int = 128,
    classes: Sequence[str] = RML2016_CLASSES,
    seed: int = 0,
    *,
    noise: bool = True,
    sps: int = 8,
    max_cfo: float = DEFAULT_MAX_CFO,
    fading: bool = True,
) -> RadioFrames:
    """``n_per_class_snr`` frames of ``length`` samples for every class and SNR (dB), see the module doc.

    ``classes`` is a subset of ``RML2016_CLASSES``; the returned class list keeps the RML2016 order and
    labels index it. Frames are ordered class-major, then by SNR in the order given. ``noise=False``
    returns the unit-power frames without the AWGN (same signal, same seed).
    """
    unknown = [c for c in classes if c not in RML2016_CLASSES]
    if unknown:
        raise SNN2FPGAError(f"unknown RML2016 classes {unknown}; known: {', '.join(RML2016_CLASSES)}")
    snr_list = [int(s) for s in snrs]
    if n_per_class_snr < 1 or length < 1 or sps < 2 or not snr_list or not classes:
        raise SNN2FPGAError(
            f"synth_radioml needs n_per_class_snr >= 1, length >= 1 (samples), sps >= 2 and at least one "
            f"class and SNR; got n_per_class_snr={n_per_class_snr}, length={length}, sps={sps}, "
            f"{len(classes)} classes, {len(snr_list)} SNRs"
        )
    if seed < 0:
        raise SNN2FPGAError(f"synth_radioml seed must be >= 0, got {seed}")
    names = [c for c in RML2016_CLASSES if c in set(classes)]
    return assemble_frames(names, snr_list, n_per_class_snr, length, Channel(sps, max_cfo, fading, noise),
                           lambda name, snr: _group_seed(seed, name, snr), _modulate)
