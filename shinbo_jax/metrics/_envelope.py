"""Envelope analysis: envelope spectrum, ENVSI and fault-line peak-to-median ratio."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike


class PeakToMedianRatio(NamedTuple):
    """Fault-line peak-to-median ratios of a squared-envelope spectrum.

    Attributes:
        ratios: PMR per harmonic, shape `(len(harmonics),)`.
        peak_freqs: Frequency (Hz) at which each peak was found.
        median: Median spectrum value over the reference band.
        harmonics: The harmonic numbers k, as given.
    """

    ratios: np.ndarray
    peak_freqs: np.ndarray
    median: float
    harmonics: tuple[int, ...]


def envelope_spectrum(
    x: ArrayLike,
    fs: float,
    *,
    squared: bool = True,
    window: Literal["hann"] | None = "hann",
    is_envelope: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One-sided amplitude spectrum of the (squared) Hilbert envelope.

    $$
    z = \mathcal{H}\{x - \bar x\},\quad e = |z|^2 \text{ (or } |z|),\quad
    \mathrm{ES}(f_j) = \frac{2}{\sum_m w_m}
    \Big|\sum_m w_m (e_m - \bar e)\, e^{-2\pi i j m / n}\Big|,
    $$

    for $f_j = j f_s / n$, j = 0..n/2, where $z$ is the analytic signal
    (`scipy.signal.hilbert`) and $w$ the taper (periodic Hann, or ones).

    Args:
        x: Real signal, shape `(n,)`.
        fs: Sampling rate in Hz.
        squared: Use the squared envelope |z|² (default, the usual choice for
            bearing diagnostics) rather than |z|.
        window: `"hann"` for a Hann taper (less leakage), `None` for none.
        is_envelope: Treat `x` as an envelope already (e.g. an activation row
            h_k at the frame rate): skip the Hilbert step and `squared`.

    Returns:
        `(freqs, spectrum)`, both of shape `(n // 2 + 1,)`.

    Examples:
        An amplitude-modulated tone: the envelope $1 + 0.5 \cos(2\pi\,10 t)$ shows
        as one line of amplitude 0.5 at 10 Hz.

        >>> import numpy as np
        >>> t = np.arange(8000) / 8000.0
        >>> x = (1 + 0.5 * np.cos(2 * np.pi * 10 * t)) * np.cos(2 * np.pi * 1000 * t)
        >>> freqs, spectrum = envelope_spectrum(x, 8000.0, squared=False, window=None)
        >>> float(freqs[np.argmax(spectrum)]), round(float(spectrum.max()), 6)
        (10.0, 0.5)

    References:
        R. B. Randall, J. Antoni, "Rolling element bearing diagnostics — A
        tutorial", MSSP 25 (2011) 485–520 (squared envelope spectrum).
    """
    signal = np.asarray(x, dtype=float)
    if signal.ndim != 1 or signal.size < 4:
        raise ValueError(
            f"`x` must be a 1-D signal of at least 4 samples; got shape {signal.shape}."
        )
    if window not in ("hann", None):
        raise ValueError(f"`window` must be 'hann' or None; got {window!r}.")
    if is_envelope:
        envelope = signal
    else:
        magnitude = np.abs(scipy.signal.hilbert(signal - signal.mean()))
        envelope = magnitude**2 if squared else magnitude
    taper = (
        scipy.signal.windows.hann(signal.size, sym=False)
        if window == "hann"
        else np.ones(signal.size)
    )
    spectrum = np.abs(np.fft.rfft((envelope - envelope.mean()) * taper))
    spectrum *= 2.0 / taper.sum()
    return np.fft.rfftfreq(signal.size, d=1.0 / fs), spectrum


def _peak_in_window(
    freqs: np.ndarray, spectrum: np.ndarray, centre: float, half_width: float
) -> tuple[float, float]:
    """Largest spectrum value within `centre ± half_width` (at least one bin)."""
    inside = np.abs(freqs - centre) <= half_width
    if not np.any(inside):
        inside = np.abs(freqs - centre) == np.min(np.abs(freqs - centre))
    candidates = np.flatnonzero(inside)
    best = candidates[np.argmax(spectrum[candidates])]
    return float(spectrum[best]), float(freqs[best])


def envsi(
    x: ArrayLike,
    fs: float,
    fault_freq: float,
    *,
    n_harmonics: int = 5,
    rel_tolerance: float = 0.02,
    tolerance_hz: float | None = None,
    f_max: float | None = None,
    squared: bool = True,
    window: Literal["hann"] | None = None,
    is_envelope: bool = False,
) -> float:
    r"""Envelope-spectrum-based indicator (ENVSI) of a fault at `fault_freq`.

    $$
    \mathrm{AIS}_i = \max_{|f - i f_{fault}| \le \delta_i} \mathrm{ES}(f),
    \qquad
    \mathrm{ENVSI} = \frac{\sum_{i=1}^{M_1} \mathrm{AIS}_i^2}
    {\sum_{0 < f_j \le f_{max}} \mathrm{ES}(f_j)^2},
    $$

    with ES from :func:`envelope_spectrum`. Defaults and why:

    - $M_1$ = `n_harmonics` = 5 harmonics.
    - $\delta_i = \max(r \cdot i \cdot f_{fault}, \Delta f)$ with
      $r$ = `rel_tolerance` and $\Delta f = f_s / n$ the bin
      width: 2 % follows the slip of real bearings (README §2: lines sit 0.7–1.4 %
      below nominal and harmonics drift by the same percentage), and at least one
      bin each side keeps a line that falls between bins. For 30 Hz in a 1 s
      record (Δf = 1 Hz) this gives ±1 Hz to ±3 Hz; for a 10 s CWRU record at
      107 Hz, ±2.1 Hz to ±10.7 Hz. `tolerance_hz` replaces
      $r \cdot i \cdot f_{fault}$ by a fixed half-width.
    - $f_{max} = (M_1 + 0.5) f_{fault}$, so the denominator covers exactly
      the searched harmonics plus half a spacing. Then each AIS bin is one of the
      denominator bins and ENVSI lies in [0, 1] while the search windows do not
      overlap (true for $\delta_i < f_{fault} / 2$); a perfectly periodic
      impulse train scores close to 1 and white noise close to its share of
      bins, about $3 M_1 / (f_{max} / \Delta f)$.
    - `window=None` (rectangular), the formula as written in METHOD.md §8.

    Args:
        x: SOI estimate (or an envelope, with `is_envelope=True`), 1-D.
        fs: Sampling rate of `x` in Hz.
        fault_freq: Fault characteristic frequency f_fault in Hz.
        n_harmonics: Number M_1 of harmonics.
        rel_tolerance: Relative half-width of the search windows.
        tolerance_hz: Fixed half-width in Hz; overrides `rel_tolerance`.
        f_max: Upper end of the denominator band in Hz.
        squared: Squared (default) or plain Hilbert envelope.
        window: Taper of the envelope spectrum, `None` or `"hann"`.
        is_envelope: `x` is already an envelope; see :func:`envelope_spectrum`.

    Returns:
        ENVSI, a nonnegative float.

    Raises:
        ValueError: For bad frequencies, or an envelope spectrum that is zero
            over (0, f_max].

    Examples:
        An impulse train at 30 Hz scores close to 1 at 30 Hz, much less at 37 Hz:

        >>> import numpy as np
        >>> x = np.zeros(25_000)
        >>> x[::833] = 1.0  # one impulse every 833 samples at 25 kHz
        >>> round(envsi(x, 25_000.0, 30.0), 2), round(envsi(x, 25_000.0, 37.0), 2)
        (0.97, 0.16)

    References:
        J. Hebda-Sobkowicz, R. Zimroz, A. Wyłomańska and co-authors (the Wrocław
        group's ENVSI); the formula follows METHOD.md §8 and is our reading of it.
    """
    if fault_freq <= 0:
        raise ValueError(f"`fault_freq` must be positive; got {fault_freq}.")
    if n_harmonics < 1:
        raise ValueError(f"`n_harmonics` must be >= 1; got {n_harmonics}.")
    if f_max is None:
        f_max = (n_harmonics + 0.5) * fault_freq
    if not n_harmonics * fault_freq < f_max <= fs / 2:
        raise ValueError(
            f"`f_max` must lie in ({n_harmonics} x fault_freq, fs/2] = "
            f"({n_harmonics * fault_freq}, {fs / 2}]; got {f_max}. Lower "
            "`n_harmonics` or `fault_freq`, or raise `f_max` or `fs`."
        )
    freqs, spectrum = envelope_spectrum(
        x, fs, squared=squared, window=window, is_envelope=is_envelope
    )
    bin_width = freqs[1] - freqs[0]
    peaks = []
    for harmonic in range(1, n_harmonics + 1):
        half_width = (
            tolerance_hz
            if tolerance_hz is not None
            else rel_tolerance * harmonic * fault_freq
        )
        peak, _ = _peak_in_window(
            freqs, spectrum, harmonic * fault_freq, max(half_width, bin_width)
        )
        peaks.append(peak)
    in_range = (freqs > 0) & (freqs <= f_max)
    total = float(np.sum(spectrum[in_range] ** 2))
    if total == 0.0:
        raise ValueError(
            "The envelope spectrum is zero over (0, f_max]; ENVSI is undefined. "
            "Check that `x` is not constant."
        )
    return float(np.sum(np.square(peaks)) / total)


def peak_to_median_ratio(
    x: ArrayLike,
    fs: float,
    fault_freq: float,
    *,
    harmonics: Sequence[int] = (1, 2, 3),
    rel_tolerance: float = 0.02,
    band: tuple[float, float] = (5.0, 600.0),
    prefilter_band: tuple[float, float] | None = None,
    prefilter_order: int = 4,
) -> PeakToMedianRatio:
    r"""Fault-line peak-to-median ratio (PMR) of the squared-envelope spectrum.

    Follows the data README §3: optionally band-pass `x` (Butterworth of order
    `prefilter_order`, zero-phase `sosfiltfilt`), take the squared-envelope
    spectrum SES (Hann taper, :func:`envelope_spectrum`), then for each k

    $$
    \mathrm{PMR}_k = \frac{\max_{|f - k f_{fault}| \le r k f_{fault}}
    \mathrm{SES}(f)}{\mathrm{median}_{f_{lo} \le f \le f_{hi}} \mathrm{SES}(f)},
    $$

    with $r$ = `rel_tolerance` (the window always holds at least the nearest
    bin). The README's figures use `prefilter_band=(2000, 5000)`.

    Args:
        x: Real signal, 1-D.
        fs: Sampling rate in Hz.
        fault_freq: Fault characteristic frequency in Hz.
        harmonics: Harmonic numbers k to evaluate.
        rel_tolerance: Relative half-width r of the peak search.
        band: `(f_lo, f_hi)` of the median reference in Hz.
        prefilter_band: Optional `(lo, hi)` band-pass in Hz before the envelope.
        prefilter_order: Order of the Butterworth prefilter.

    Returns:
        A :class:`PeakToMedianRatio` with per-harmonic ratios and peak frequencies.

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(seed=0)
        >>> pmr = peak_to_median_ratio(sim.mixture, sim.fs, 30.0)
        >>> pmr.peak_freqs.tolist(), bool(pmr.ratios[0] > 10)
        ([30.0, 60.0, 90.0], True)

    References:
        shared/data/bearings/README.md §3; R. B. Randall, J. Antoni (2011), see
        :func:`envelope_spectrum`.
    """
    signal = np.asarray(x, dtype=float)
    if fault_freq <= 0:
        raise ValueError(f"`fault_freq` must be positive; got {fault_freq}.")
    if not 0 <= band[0] < band[1] <= fs / 2:
        raise ValueError(
            f"`band` must satisfy 0 <= lo < hi <= fs/2 = {fs / 2}; got {band}."
        )
    if prefilter_band is not None:
        if not 0 < prefilter_band[0] < prefilter_band[1] < fs / 2:
            raise ValueError(
                f"`prefilter_band` must satisfy 0 < lo < hi < fs/2 = {fs / 2}; got "
                f"{prefilter_band}."
            )
        sos = scipy.signal.butter(
            prefilter_order, prefilter_band, btype="bandpass", fs=fs, output="sos"
        )
        signal = scipy.signal.sosfiltfilt(sos, signal)
    freqs, spectrum = envelope_spectrum(signal, fs, squared=True, window="hann")
    in_band = (freqs >= band[0]) & (freqs <= band[1])
    if not np.any(in_band):
        raise ValueError(f"`band` {band} contains no frequency bin; widen it.")
    median = float(np.median(spectrum[in_band]))
    found = [
        _peak_in_window(freqs, spectrum, k * fault_freq, rel_tolerance * k * fault_freq)
        for k in harmonics
    ]
    peaks = np.array([value for value, _ in found])
    ratios = peaks / median if median > 0 else np.full(peaks.shape, np.inf)
    return PeakToMedianRatio(
        ratios=ratios,
        peak_freqs=np.array([freq for _, freq in found]),
        median=median,
        harmonics=tuple(int(k) for k in harmonics),
    )
