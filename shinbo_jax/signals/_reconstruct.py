"""From an NMF of the power spectrogram back to time-domain component estimates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from shinbo_jax.signals._stft import SpectrogramConfig, istft


def _component_indices(k: int | Sequence[int], n_components: int) -> list[int]:
    indices = [int(k)] if np.ndim(k) == 0 else [int(i) for i in k]
    if not indices or any(not 0 <= i < n_components for i in indices):
        raise ValueError(
            f"`k` must be a component index (or a non-empty list of them) in "
            f"[0, {n_components}); got {k!r}. Pick rows of H that exist."
        )
    return indices


def wiener_reconstruct(
    X: ArrayLike,
    W: ArrayLike,
    H: ArrayLike,
    k: int | Sequence[int],
    *,
    length: int,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
    eps: float = 1e-300,
) -> np.ndarray:
    r"""Reconstructs component(s) k in time with a Wiener (soft) mask.

    $$
    \hat X_k = \frac{\sum_{j \in k} w_j h_j}{\max(WH, \varepsilon)} \odot X,
    \qquad \hat x_k = \mathrm{ISTFT}(\hat X_k).
    $$

    Under the IS-NMF model ($X_{fn}$ complex Gaussian with variance
    $(WH)_{fn}$) the mask is the posterior-mean (Wiener) estimate of each
    component, and the component estimates add up to `x` on every sample
    covered by a frame. With K = 1 (or `k` listing all components) the mask is
    1 wherever `WH > eps` and `x` is returned.

    Args:
        X: Complex STFT of the mixture, shape `(F, N)`, from
            :func:`shinbo_jax.signals.stft` with the same layout.
        W: Spectral profiles, shape `(F, K)`; NumPy or JAX array.
        H: Activations, shape `(K, N)`; NumPy or JAX array.
        k: Index of the component to keep, or a list of indices to sum.
        length: Number of samples of the original signal.
        window: Window length used for `X`.
        overlap: Overlap used for `X`.
        nfft: FFT length used for `X`.
        eps: Floor on `WH` in the mask denominator; only matters where the
            model is exactly zero (the mask is then 0).

    Returns:
        The reconstructed component, real, shape `(length,)`.

    Examples:
        The components of any nonnegative W, H add up to the signal on every
        sample covered by a frame:

        >>> import numpy as np
        >>> from shinbo_jax.signals import stft
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal(2000)
        >>> X, _, _ = stft(x, 1000.0)
        >>> W, H = rng.uniform(size=(257, 2)), rng.uniform(size=(2, X.shape[1]))
        >>> parts = [wiener_reconstruct(X, W, H, k, length=x.size) for k in (0, 1)]
        >>> covered = (X.shape[1] - 1) * 28 + 128
        >>> bool(np.allclose((parts[0] + parts[1])[:covered], x[:covered]))
        True

    References:
        C. Févotte, N. Bertin, J.-L. Durrieu, "Nonnegative matrix factorization
        with the Itakura-Saito divergence", Neural Computation 21 (2009) 793–830
        (Wiener reconstruction of the components).
    """
    spectrum = np.asarray(X)
    profiles = np.asarray(W, dtype=float)
    activations = np.asarray(H, dtype=float)
    if profiles.ndim != 2 or activations.ndim != 2:
        raise ValueError(
            f"`W` and `H` must be matrices; got shapes {profiles.shape} and "
            f"{activations.shape}. Pass W as (F, K) and H as (K, N)."
        )
    if (
        profiles.shape[0] != spectrum.shape[0]
        or activations.shape[1] != spectrum.shape[1]
        or profiles.shape[1] != activations.shape[0]
    ):
        raise ValueError(
            f"Shapes do not chain: X {spectrum.shape}, W {profiles.shape}, "
            f"H {activations.shape}. Expected X (F, N), W (F, K), H (K, N)."
        )
    indices = _component_indices(k, profiles.shape[1])
    model = np.maximum(profiles @ activations, eps)
    kept = profiles[:, indices] @ activations[indices, :]
    return istft(
        (kept / model) * spectrum,
        0.0,
        length=length,
        window=window,
        overlap=overlap,
        nfft=nfft,
    )


def filter_with_column(
    x: ArrayLike,
    w_k: ArrayLike,
    fs: float,
    *,
    nfft: int = 512,
    gain: Literal["sqrt", "linear"] = "sqrt",
) -> np.ndarray:
    r"""Filters `x` with the spectral profile `w_k` as a zero-phase filter.

    `w_k` lives on the STFT grid $f_j = j f_s / N_{fft}$, j = 0..F-1. It is
    normalised to a peak of 1, turned into an amplitude response and linearly
    interpolated onto the `rfft` grid of the zero-padded signal:

    $$
    G(f) = \mathrm{interp}\Big(f;\ f_j,\ \big(w_{jk} / \max_j w_{jk}\big)^{p}\Big),
    \qquad y = \mathrm{IRFFT}\big(G \cdot \mathrm{RFFT}(x)\big),
    $$

    with $p = 1/2$ for `gain="sqrt"` (the power response of the filter is
    proportional to $w_k$, which is a power profile) and $p = 1$ for
    `gain="linear"`. G is real and nonnegative, so the filter has zero phase.
    The signal is zero-padded by `nfft` samples before the FFT so that the
    (about `nfft`-tap) impulse response does not wrap around.

    Args:
        x: Real signal, shape `(n,)`.
        w_k: Spectral profile, shape `(nfft // 2 + 1,)`, nonnegative.
        fs: Sampling rate in Hz.
        nfft: FFT length of the STFT on which `w_k` was estimated.
        gain: `"sqrt"` or `"linear"`, the exponent p above.

    Returns:
        The filtered signal, shape `(n,)`.

    Examples:
        A flat profile passes the signal unchanged:

        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal(1000)
        >>> y = filter_with_column(x, np.ones(257), 1000.0)
        >>> bool(np.allclose(y, x))
        True

    References:
        J. Wodecki, P. Kruczek, A. Bartkowiak, R. Zimroz, A. Wyłomańska, "Novel
        method of informative frequency band selection for vibration signal
        using Nonnegative Matrix Factorization of spectrogram matrix", MSSP
        (2019): a column of W used as a filter. See also METHOD.md §7.
    """
    signal = np.asarray(x, dtype=float)
    profile = np.asarray(w_k, dtype=float)
    n_freqs = nfft // 2 + 1
    if signal.ndim != 1:
        raise ValueError(f"`x` must be one-dimensional; got shape {signal.shape}.")
    if profile.shape != (n_freqs,):
        raise ValueError(
            f"`w_k` must have shape ({n_freqs},) for nfft={nfft}; got "
            f"{profile.shape}. Pass one column of W, or the matching `nfft`."
        )
    if np.any(profile < 0) or not np.any(profile > 0):
        raise ValueError(
            "`w_k` must be nonnegative with at least one positive entry. "
            "Pass a column of a nonnegative W."
        )
    if gain not in ("sqrt", "linear"):
        raise ValueError(f"`gain` must be 'sqrt' or 'linear'; got {gain!r}.")
    response = profile / profile.max()
    if gain == "sqrt":
        response = np.sqrt(response)
    n_padded = signal.size + nfft
    stft_freqs = np.arange(n_freqs) * fs / nfft
    signal_freqs = np.fft.rfftfreq(n_padded, d=1.0 / fs)
    interpolated = np.interp(signal_freqs, stft_freqs, response)
    filtered = np.fft.irfft(np.fft.rfft(signal, n=n_padded) * interpolated, n=n_padded)
    return filtered[: signal.size]


def activation_envelope(
    h_k: ArrayLike,
    fs: float,
    *,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
    amplitude: bool = False,
) -> tuple[np.ndarray, float]:
    r"""Reads an activation row as an envelope sampled at the frame rate.

    `h_k` scales the power of component k in each frame, so it estimates the
    squared envelope $|e_k|^2$ of that component; `amplitude=True` returns
    $\sqrt{h_k}$, an estimate of the plain envelope. Pass the result to
    :func:`shinbo_jax.metrics.envelope_spectrum` or
    :func:`shinbo_jax.metrics.envsi` with `is_envelope=True`.

    Args:
        h_k: Activation row, shape `(N,)`, nonnegative.
        fs: Sampling rate of the original signal in Hz.
        window: STFT window length.
        overlap: STFT overlap.
        nfft: STFT FFT length.
        amplitude: Return `sqrt(h_k)` instead of `h_k`.

    Returns:
        `(envelope, frame_rate)`: the envelope samples (shape `(N,)`) and
        their sampling rate `fs / (window - overlap)` in Hz.

    Examples:
        >>> import numpy as np
        >>> envelope, rate = activation_envelope(np.array([0.0, 4.0, 9.0]),
        ...                                      28_000.0, amplitude=True)
        >>> envelope.tolist(), rate
        ([0.0, 2.0, 3.0], 1000.0)

    References:
        METHOD.md §7 ("use h_k directly as an envelope sampled at the frame
        rate").
    """
    row = np.asarray(h_k, dtype=float)
    if row.ndim != 1 or np.any(row < 0):
        raise ValueError(
            f"`h_k` must be a nonnegative 1-D row of H; got shape {row.shape}."
        )
    rate = fs / SpectrogramConfig(window, overlap, nfft).hop
    return (np.sqrt(row) if amplitude else row.copy()), rate
