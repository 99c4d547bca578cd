"""Short-time Fourier transform, its least-squares inverse, and power spectrograms.

Frames lie entirely inside the signal (no padding), as in MATLAB's
`spectrogram(x, hamming(128), 100, 512, fs)` used by the research group, so a
1 s record at 25 kHz gives F = 257 frequencies and N = 889 frames.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike


@dataclasses.dataclass(frozen=True)
class SpectrogramConfig:
    """Frame layout of the STFT.

    The functions of this module take the same three keywords; pass a stored
    layout with `stft(x, fs, **dataclasses.asdict(config))`.

    Attributes:
        window: Length of the symmetric Hamming window in samples.
        overlap: Samples shared by consecutive frames; the hop is
            `window - overlap`.
        nfft: FFT length (zero-padding each frame); `nfft // 2 + 1` frequencies.

    Examples:
        >>> config = SpectrogramConfig()
        >>> config.hop, config.n_freqs, config.n_frames(25_000)
        (28, 257, 889)
    """

    window: int = 128
    overlap: int = 100
    nfft: int = 512

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(
                f"`window` must be >= 2 samples; got {self.window}. Use e.g. 128."
            )
        if not 0 <= self.overlap < self.window:
            raise ValueError(
                f"`overlap` must satisfy 0 <= overlap < window={self.window}; got "
                f"{self.overlap}. Use e.g. overlap = window - 28."
            )
        if self.nfft < self.window:
            raise ValueError(
                f"`nfft` must be >= window={self.window}; got {self.nfft}. "
                "Raise `nfft` (zero-padding) or shorten the window."
            )

    @property
    def hop(self) -> int:
        """Frame advance in samples, `window - overlap`."""
        return self.window - self.overlap

    @property
    def n_freqs(self) -> int:
        """Number of one-sided frequency bins F, `nfft // 2 + 1`."""
        return self.nfft // 2 + 1

    def n_frames(self, n_samples: int) -> int:
        """Number of frames N that fit entirely inside the signal.

        Args:
            n_samples: Signal length n.

        Returns:
            `max(0, (n - window) // hop + 1)`.
        """
        return max(0, (n_samples - self.window) // self.hop + 1)

    def analysis_window(self) -> np.ndarray:
        """The symmetric Hamming window (MATLAB `hamming(window)`)."""
        return scipy.signal.windows.hamming(self.window, sym=True)


def _signal_1d(x: ArrayLike, config: SpectrogramConfig) -> np.ndarray:
    signal = np.asarray(x, dtype=float)
    if signal.ndim != 1:
        raise ValueError(
            f"`x` must be one-dimensional; got shape {signal.shape}. Pass one channel."
        )
    if signal.size < config.window:
        raise ValueError(
            f"`x` has {signal.size} samples, fewer than the window "
            f"({config.window}). Pass a longer signal or a shorter window."
        )
    return signal


def frame_rate(
    fs: float, *, window: int = 128, overlap: int = 100, nfft: int = 512
) -> float:
    r"""Returns the STFT frame rate `fs / (window - overlap)` in Hz.

    $f_{frame} = f_s / R$ with hop $R = L - \text{overlap}$: about 893 Hz for the
    defaults at 25 kHz, enough for 30 Hz fault harmonics.

    Args:
        fs: Sampling rate of the signal in Hz.
        window: Window length in samples.
        overlap: Overlap between frames in samples.
        nfft: FFT length (validated, does not affect the rate).

    Returns:
        Frames per second.

    Examples:
        >>> round(frame_rate(25_000.0), 1)
        892.9
    """
    return fs / SpectrogramConfig(window, overlap, nfft).hop


def stft(
    x: ArrayLike,
    fs: float,
    *,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Computes the one-sided STFT with frames fully inside the signal.

    $$
    X[f, p] = \sum_{m=0}^{L-1} x[pR + m]\, w[m]\, e^{-2\pi i f m / N_{fft}},
    \qquad p = 0, \dots, \lfloor (n - L)/R \rfloor,
    $$

    with window length L, hop R and unscaled DFT (MATLAB `spectrogram`
    convention, phase referenced to the frame start). Equals
    `scipy.signal.ShortTimeFFT(w, R, fs, mfft=N_fft, scale_to=None,
    phase_shift=None).stft(x, p0=0, p1=N, k_offset=L // 2)`.

    Args:
        x: Real signal, shape `(n,)`.
        fs: Sampling rate in Hz.
        window: Length of the symmetric Hamming window in samples.
        overlap: Samples shared by consecutive frames (hop = window - overlap).
        nfft: FFT length per frame; F = nfft // 2 + 1.

    Returns:
        `(X, freqs, times)`: complex `X` of shape `(F, N)`, the bin
        frequencies in Hz (`F`) and the frame centres in seconds (`N`),
        $(pR + L/2) / f_s$.

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal(25_000)
        >>> X, freqs, times = stft(x, 25_000.0)
        >>> X.shape, round(float(freqs[-1]), 6), round(float(times[0]), 5)
        ((257, 889), 12500.0, 0.00256)

    References:
        J. B. Allen, L. R. Rabiner, "A unified approach to short-time Fourier
        analysis and synthesis", Proc. IEEE 65 (1977) 1558–1564.
    """
    config = SpectrogramConfig(window, overlap, nfft)
    signal = _signal_1d(x, config)
    frames = np.lib.stride_tricks.sliding_window_view(signal, config.window)
    frames = frames[:: config.hop] * config.analysis_window()
    X = np.fft.rfft(frames, n=config.nfft, axis=1).T
    freqs = np.fft.rfftfreq(config.nfft, d=1.0 / fs)
    times = (np.arange(X.shape[1]) * config.hop + config.window / 2) / fs
    return X, freqs, times


def istft(
    X: ArrayLike,
    fs: float,
    *,
    length: int,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
) -> np.ndarray:
    r"""Inverts :func:`stft` by least-squares weighted overlap-add.

    For a (possibly modified) STFT Y, returns the signal whose STFT is closest to
    Y in the least-squares sense (Griffin & Lim 1984):

    $$
    \hat x[n] = \frac{\sum_p w[n - pR]\, y_p[n - pR]}{\sum_p w[n - pR]^2},
    \qquad y_p = \mathrm{IDFT}_{N_{fft}}(Y[:, p])[0:L].
    $$

    This is exact, `istft(stft(x)) == x` up to rounding, on every sample covered
    by at least one frame. Samples after the last frame (fewer than a hop) are
    covered by none and are returned as 0.

    Args:
        X: Complex STFT of shape `(F, N)` from :func:`stft` with the same layout.
        fs: Sampling rate in Hz (kept for symmetry with :func:`stft`).
        length: Number of samples of the output signal; must be at least
            `(N - 1) * hop + window`.
        window: Window length used by :func:`stft`.
        overlap: Overlap used by :func:`stft`.
        nfft: FFT length used by :func:`stft`.

    Returns:
        Real signal of shape `(length,)`.

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal(1000)
        >>> X, _, _ = stft(x, 1000.0)
        >>> y = istft(X, 1000.0, length=x.size)
        >>> covered = (X.shape[1] - 1) * 28 + 128  # samples inside some frame
        >>> bool(np.allclose(y[:covered], x[:covered])), bool(np.all(y[covered:] == 0))
        (True, True)

    References:
        D. W. Griffin, J. S. Lim, "Signal estimation from modified short-time
        Fourier transform", IEEE Trans. ASSP 32 (1984) 236–243.
    """
    del fs  # The inverse depends on the frame layout only.
    config = SpectrogramConfig(window, overlap, nfft)
    spectrum = np.asarray(X)
    if spectrum.ndim != 2 or spectrum.shape[0] != config.n_freqs:
        raise ValueError(
            f"`X` must have shape (F={config.n_freqs}, N); got {spectrum.shape}. "
            "Pass the output of `stft` with the same window, overlap and nfft."
        )
    n_frames = spectrum.shape[1]
    needed = (n_frames - 1) * config.hop + config.window
    if length < needed:
        raise ValueError(
            f"`length` must be >= {needed} for {n_frames} frames; got {length}. "
            "Pass the length of the original signal."
        )
    taper = config.analysis_window()
    frames = np.fft.irfft(spectrum.T, n=config.nfft, axis=1)[:, : config.window]
    starts = np.arange(n_frames) * config.hop
    indices = starts[:, None] + np.arange(config.window)[None, :]
    numerator = np.zeros(length)
    denominator = np.zeros(length)
    np.add.at(numerator, indices, frames * taper)
    np.add.at(denominator, indices, np.broadcast_to(taper**2, indices.shape))
    covered = denominator > 0
    out = np.zeros(length)
    out[covered] = numerator[covered] / denominator[covered]
    return out


def power_spectrogram(
    x: ArrayLike,
    fs: float,
    *,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Computes the power spectrogram $V = |X|^2$, the data matrix of IS-NMF.

    $V_{fn} = |X[f, n]|^2$ with X from :func:`stft` (same frame layout).

    Args:
        x: Real signal, shape `(n,)`.
        fs: Sampling rate in Hz.
        window: Length of the symmetric Hamming window in samples.
        overlap: Samples shared by consecutive frames (hop = window - overlap).
        nfft: FFT length per frame; F = nfft // 2 + 1.

    Returns:
        `(V, freqs, times)` with nonnegative `V` of shape `(F, N)`. `V` may
        contain exact zeros; floor it before an Itakura–Saito fit.

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal(25_000)
        >>> V, freqs, times = power_spectrogram(x, 25_000.0)
        >>> V.shape, bool((V >= 0).all())
        ((257, 889), True)

    References:
        C. Févotte, N. Bertin, J.-L. Durrieu, "Nonnegative matrix factorization
        with the Itakura-Saito divergence", Neural Computation 21 (2009) 793–830.
    """
    X, freqs, times = stft(x, fs, window=window, overlap=overlap, nfft=nfft)
    return np.abs(X) ** 2, freqs, times
