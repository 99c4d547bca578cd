"""Choosing which NMF component carries the signal of interest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from shinbo_jax.metrics._envelope import envsi
from shinbo_jax.metrics._statistics import kurtosis
from shinbo_jax.signals import filter_with_column, stft, wiener_reconstruct

SelectionRule = Literal["kurtosis", "envsi", "oracle"]


class ComponentSelection(NamedTuple):
    """Result of :func:`select_soi_component`.

    Attributes:
        index: Chosen component k* (row of H, column of W).
        scores: Score of every component under `rule`; k* is the arg-max.
        rule: The rule used.
    """

    index: int
    scores: np.ndarray
    rule: str


def select_soi_component(
    W: ArrayLike,
    H: ArrayLike,
    x: ArrayLike,
    fs: float,
    *,
    rule: SelectionRule = "kurtosis",
    fault_freq: float | None = None,
    band: tuple[float, float] | None = None,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
    envsi_kwargs: Mapping[str, Any] | None = None,
) -> ComponentSelection:
    r"""Picks the SOI component k* of an NMF `V ≈ WH` of the spectrogram of x.

    Rules (scores $s_k$; $k^* = \arg\max_k s_k$):

    - `"kurtosis"` (the research group's rule, label-free): Pearson kurtosis
      of `filter_with_column(x, w_k)`, i.e. x filtered with the amplitude
      response $\sqrt{w_k / \max w_k}$.
    - `"envsi"` (needs `fault_freq`): :func:`envsi` of the Wiener
      reconstruction of component k, $\mathrm{ISTFT}((w_k h_k / WH) \odot X)$,
      on the samples covered by STFT frames; `envsi_kwargs` are passed on.
    - `"oracle"` (**synthetic data only**, needs the true band): share of the
      spectral mass of $w_k$ inside `band`,
      $s_k = \sum_{f \in \text{band}} W_{fk} / \sum_f W_{fk}$. It uses ground
      truth and must be reported as an oracle.

    Args:
        W: Spectral profiles `(F, K)` with F = nfft // 2 + 1; NumPy or JAX.
        H: Activations `(K, N)`; NumPy or JAX.
        x: The analysed time signal, shape `(n,)`.
        fs: Sampling rate in Hz.
        rule: `"kurtosis"`, `"envsi"` or `"oracle"`.
        fault_freq: Fault frequency in Hz (rule `"envsi"`).
        band: True SOI band `(lo, hi)` in Hz (rule `"oracle"`).
        window: STFT window length of the NMF input.
        overlap: STFT overlap of the NMF input.
        nfft: STFT FFT length of the NMF input.
        envsi_kwargs: Extra keywords for :func:`envsi`.

    Returns:
        A :class:`ComponentSelection`.

    Examples:
        Two profiles, the second one concentrated in the 3.5-6.5 kHz SOI band:

        >>> import numpy as np
        >>> freqs = np.arange(257) * 25_000.0 / 512
        >>> in_band = (freqs >= 3500) & (freqs <= 6500)
        >>> W = np.stack([np.ones(257), np.where(in_band, 1.0, 0.01)], axis=1)
        >>> x = np.random.default_rng(0).standard_normal(5000)
        >>> chosen = select_soi_component(W, np.ones((2, 175)), x, 25_000.0,
        ...                               rule="oracle", band=(3500.0, 6500.0))
        >>> chosen.index, chosen.rule
        (1, 'oracle')

    References:
        J. Wodecki, P. Kruczek, A. Bartkowiak, R. Zimroz, A. Wyłomańska, "Novel
        method of informative frequency band selection for vibration signal
        using Nonnegative Matrix Factorization of spectrogram matrix", MSSP
        (2019); METHOD.md §7.
    """
    profiles = np.asarray(W, dtype=float)
    activations = np.asarray(H, dtype=float)
    signal = np.asarray(x, dtype=float)
    n_freqs = nfft // 2 + 1
    if profiles.ndim != 2 or profiles.shape[0] != n_freqs:
        raise ValueError(
            f"`W` must have shape (F={n_freqs}, K) for nfft={nfft}; got "
            f"{profiles.shape}."
        )
    n_components = profiles.shape[1]
    if rule == "kurtosis":
        scores = [
            float(kurtosis(filter_with_column(signal, profiles[:, k], fs, nfft=nfft)))
            for k in range(n_components)
        ]
    elif rule == "envsi":
        if fault_freq is None:
            raise ValueError("`rule='envsi'` needs `fault_freq` (Hz); pass it.")
        layout = {"window": window, "overlap": overlap, "nfft": nfft}
        X, _, _ = stft(signal, fs, **layout)
        covered = (X.shape[1] - 1) * (window - overlap) + window
        scores = [
            envsi(
                wiener_reconstruct(
                    X, profiles, activations, k, length=signal.size, **layout
                )[:covered],
                fs,
                fault_freq,
                **dict(envsi_kwargs or {}),
            )
            for k in range(n_components)
        ]
    elif rule == "oracle":
        if band is None:
            raise ValueError("`rule='oracle'` needs the true `band` (lo, hi) in Hz.")
        freqs = np.arange(n_freqs) * fs / nfft
        inside = (freqs >= band[0]) & (freqs <= band[1])
        totals = np.maximum(profiles.sum(axis=0), np.finfo(float).tiny)
        scores = list(profiles[inside].sum(axis=0) / totals)
    else:
        raise ValueError(
            f"`rule` must be 'kurtosis', 'envsi' or 'oracle'; got {rule!r}."
        )
    score_array = np.asarray(scores, dtype=float)
    return ComponentSelection(int(np.argmax(score_array)), score_array, rule)
