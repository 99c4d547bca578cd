"""Synthetic bearing-fault signal: periodic decaying impulses in additive noise."""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import scipy.signal
import scipy.stats

NoiseKind = Literal["gaussian", "pink", "impulsive"]
_NOISE_KINDS = ("gaussian", "pink", "impulsive")

# Median of |Z| for Z ~ N(0, 1); the MAD of Gaussian noise of std σ is this times σ.
_GAUSSIAN_MAD = float(scipy.stats.norm.ppf(0.75))


class BearingSignal(NamedTuple):
    """A simulated vibration record and its ground-truth parts.

    Attributes:
        mixture: The observed signal, exactly `soi + noise`, shape `(n,)`.
        soi: The signal of interest (the scaled, band-passed impulse train).
        noise: The additive noise.
        fs: Sampling rate in Hz.
        fault_freq: Nominal fault (impulse repetition) frequency in Hz.
        band: `(lo, hi)` pass band of the SOI filter in Hz, `carrier ∓ bandwidth`.
        impulse_starts: Sample index at which each impulse starts.
    """

    mixture: np.ndarray
    soi: np.ndarray
    noise: np.ndarray
    fs: float
    fault_freq: float
    band: tuple[float, float]
    impulse_starts: np.ndarray


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _validate(
    fs: float,
    duration: float,
    fault_freq: float,
    carrier: float,
    bandwidth: float,
    amplitude: float,
    decay: float,
    impulse_length: float,
    noise_std: float,
    noise: str,
    filter_order: int,
) -> None:
    _require(fs > 0, f"`fs` must be positive; got {fs}. Pass a sampling rate in Hz.")
    _require(
        duration > 0, f"`duration` must be positive; got {duration}. Pass seconds."
    )
    _require(
        fault_freq > 0,
        f"`fault_freq` must be positive; got {fault_freq}. Pass the fault rate in Hz.",
    )
    _require(
        round(fs / fault_freq) >= 1,
        f"`fault_freq`={fault_freq} exceeds `fs`={fs}; the impulse period "
        "round(fs / fault_freq) would be zero samples. Lower `fault_freq`.",
    )
    _require(
        bandwidth > 0,
        f"`bandwidth` must be positive; got {bandwidth}. Pass a half-width in Hz.",
    )
    _require(
        carrier - bandwidth > 0,
        f"`carrier - bandwidth` must be > 0 Hz; got {carrier} - {bandwidth}. "
        "Raise `carrier` or narrow `bandwidth`.",
    )
    _require(
        carrier + bandwidth < fs / 2,
        f"`carrier + bandwidth` must be below the Nyquist frequency fs/2 = "
        f"{fs / 2}; got {carrier} + {bandwidth}. Lower `carrier` or `bandwidth`, "
        "or raise `fs`.",
    )
    _require(amplitude >= 0, f"`amplitude` must be >= 0; got {amplitude}. Pass B >= 0.")
    _require(decay > 0, f"`decay` must be positive; got {decay}. Pass d in 1/s.")
    _require(
        0 < impulse_length <= duration,
        f"`impulse_length` must be in (0, duration={duration}]; got "
        f"{impulse_length}. Shorten the impulse or lengthen the record.",
    )
    _require(
        noise_std >= 0,
        f"`noise_std` must be >= 0; got {noise_std}. Pass a standard deviation.",
    )
    _require(
        noise in _NOISE_KINDS,
        f"`noise` must be one of {_NOISE_KINDS}; got {noise!r}.",
    )
    _require(
        isinstance(filter_order, (int, np.integer)) and filter_order >= 2,
        f"`filter_order` must be an integer >= 2; got {filter_order!r}. "
        "The recipe uses 80.",
    )


def _impulse_train(
    n_samples: int,
    fs: float,
    fault_freq: float,
    carrier: float,
    decay: float,
    impulse_length: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of g(τ) = sin(2π f_c τ) exp(−d τ) started every round(fs/f_fault) samples."""
    tau = np.arange(int(math.floor(impulse_length * fs)) + 1) / fs
    impulse = np.sin(2.0 * np.pi * carrier * tau) * np.exp(-decay * tau)
    period = int(round(fs / fault_freq))
    # Keep only impulses that fit entirely inside the record.
    starts = np.arange(0, n_samples - impulse.size + 1, period)
    train = np.zeros(n_samples)
    for start in starts:
        train[start : start + impulse.size] += impulse
    return train, starts


def _pink_noise(rng: np.random.Generator, n_samples: int) -> np.ndarray:
    """Zero-mean noise with a 1/f power spectrum and unit sample std."""
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    bins = np.arange(spectrum.size, dtype=float)
    gain = np.zeros_like(bins)
    gain[1:] = 1.0 / np.sqrt(bins[1:])  # |G(f)|² ∝ 1/f; DC removed
    shaped = np.fft.irfft(spectrum * gain, n=n_samples)
    return shaped / shaped.std()


def _impulsive_noise(
    rng: np.random.Generator, n_samples: int, alpha: float
) -> np.ndarray:
    """Symmetric α-stable noise whose population MAD equals that of N(0, 1)."""
    raw = scipy.stats.levy_stable.rvs(alpha, 0.0, size=n_samples, random_state=rng)
    # For unit scale, median |S| is the 0.75 quantile of the symmetric law.
    unit_mad = float(scipy.stats.levy_stable.ppf(0.75, alpha, 0.0))
    return raw * (_GAUSSIAN_MAD / unit_mad)


def simulate_bearing_signal(
    *,
    fs: float = 25_000.0,
    duration: float = 1.0,
    fault_freq: float = 30.0,
    carrier: float = 5_000.0,
    bandwidth: float = 1_500.0,
    amplitude: float = 40.0,
    decay: float = 3000.0,
    impulse_length: float = 0.05,
    noise_std: float = 3.0,
    noise: NoiseKind = "gaussian",
    seed: int = 0,
    filter_order: int = 80,
    impulsive_alpha: float = 1.7,
) -> BearingSignal:
    r"""Simulates a periodic impulsive bearing-fault signal buried in noise.

    The recipe of the Wrocław group (METHOD.md §6):

    $$
    g(\tau) = \sin(2\pi f_c \tau)\, e^{-d\tau}, \quad \tau \in [0, L],
    \qquad s_0[n] = \sum_j g(n - j P), \quad P = \mathrm{round}(f_s / f_{fault}),
    $$

    $$
    \mathrm{soi} = B\,(h_{bp} \ast s_0), \qquad x = \mathrm{soi} + \mathrm{noise}.
    $$

    The first impulse starts at sample 0; an impulse that would run past the end of
    the record is dropped. $h_{bp}$ is a linear-phase FIR band-pass
    (`scipy.signal.firwin` with `filter_order + 1` taps, Hamming window) on
    $[f_c - bw, f_c + bw]$, applied by `numpy.convolve(..., mode="same")`, so
    its group delay is compensated and the filtered impulses stay aligned with
    `impulse_starts`.

    Noise models, all zero-mean and drawn from `numpy.random.default_rng(seed)`:

    - `"gaussian"`: i.i.d. N(0, σ²) (population std σ).
    - `"pink"`: white Gaussian noise shaped in the frequency domain by
      $|G(f)|^2 \propto 1/f$ (DC removed), then rescaled so that its *sample*
      standard deviation equals σ exactly.
    - `"impulsive"`: symmetric α-stable noise (`scipy.stats.levy_stable`,
      α = `impulsive_alpha`, β = 0; infinite variance for α < 2). Its scale is
      set so that its *population* median absolute deviation equals that of
      N(0, σ²), i.e. 0.6745 σ.

    Args:
        fs: Sampling rate in Hz.
        duration: Record length in seconds; `round(duration * fs)` samples.
        fault_freq: Impulse repetition (fault characteristic) frequency in Hz.
        carrier: Carrier f_c of each impulse in Hz (the structural resonance).
        bandwidth: Half-width of the band-pass filter in Hz.
        amplitude: Gain B applied to the filtered impulse train.
        decay: Damping d of each impulse in 1/s.
        impulse_length: Support L of each impulse in seconds.
        noise_std: Noise scale σ (see the noise models above).
        noise: Noise model, one of `"gaussian"`, `"pink"`, `"impulsive"`.
        seed: Seed of the `numpy.random.Generator` used for the noise.
        filter_order: Order of the FIR band-pass (taps minus one).
        impulsive_alpha: Stability index α in (0, 2] of the impulsive noise.

    Returns:
        A :class:`BearingSignal` with `mixture == soi + noise` exactly.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Examples:
        >>> import numpy as np
        >>> sim = simulate_bearing_signal(duration=0.2, seed=1)
        >>> sim.mixture.shape, sim.band, sim.impulse_starts[:3].tolist()
        ((5000,), (3500.0, 6500.0), [0, 833, 1666])
        >>> bool(np.array_equal(sim.mixture, sim.soi + sim.noise))
        True

    References:
        R. Zimroz, A. Wyłomańska, R. Zdunek et al., simulated SOI used by the
        Wrocław group for NMF-based band selection; see METHOD.md §6.
        J. P. Nolan, *Univariate Stable Distributions*, Springer (2020), for
        α-stable noise.
    """
    _validate(
        fs,
        duration,
        fault_freq,
        carrier,
        bandwidth,
        amplitude,
        decay,
        impulse_length,
        noise_std,
        noise,
        filter_order,
    )
    _require(
        0 < impulsive_alpha <= 2,
        f"`impulsive_alpha` must be in (0, 2]; got {impulsive_alpha}. Use e.g. 1.7.",
    )
    n_samples = int(round(duration * fs))
    train, starts = _impulse_train(
        n_samples, fs, fault_freq, carrier, decay, impulse_length
    )
    taps = scipy.signal.firwin(
        filter_order + 1,
        [carrier - bandwidth, carrier + bandwidth],
        pass_zero=False,
        fs=fs,
    )
    soi = amplitude * np.convolve(train, taps, mode="same")

    rng = np.random.default_rng(seed)
    if noise == "gaussian":
        unit_noise = rng.standard_normal(n_samples)
    elif noise == "pink":
        unit_noise = _pink_noise(rng, n_samples)
    else:
        unit_noise = _impulsive_noise(rng, n_samples, impulsive_alpha)
    noise_part = noise_std * unit_noise
    return BearingSignal(
        mixture=soi + noise_part,
        soi=soi,
        noise=noise_part,
        fs=float(fs),
        fault_freq=float(fault_freq),
        band=(float(carrier - bandwidth), float(carrier + bandwidth)),
        impulse_starts=starts,
    )
