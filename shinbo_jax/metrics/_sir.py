"""Signal-to-interference ratios: Cichocki/Zdunek-style and BSS-Eval-style."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from shinbo_jax.signals import power_spectrogram

# Default floor on normalised squared errors: SIR values are clipped to ±120 dB.
DEFAULT_SIR_FLOOR = 1e-12


def _as_vector(values: ArrayLike, name: str) -> np.ndarray:
    vector = np.asarray(values, dtype=float)
    if vector.ndim != 1 or vector.size < 2:
        raise ValueError(
            f"`{name}` must be a 1-D array with at least 2 entries; got shape "
            f"{vector.shape}. Pass one signal, profile or activation row."
        )
    return vector


def _unit(vector: np.ndarray, name: str, demean: bool) -> np.ndarray:
    centred = vector - vector.mean() if demean else vector
    norm = np.linalg.norm(centred)
    if norm == 0:
        raise ValueError(
            f"`{name}` is constant{' after removing its mean' if demean else ''}, "
            "so it has no direction to compare. Pass a non-constant array."
        )
    return centred / norm


def sir(
    reference: ArrayLike,
    estimate: ArrayLike,
    *,
    demean: bool = True,
    floor: float = DEFAULT_SIR_FLOOR,
) -> float:
    r"""Cichocki/Zdunek-style signal-to-interference ratio, in dB.

    Both vectors are (optionally) demeaned and scaled to unit Euclidean norm,
    $a = (r - \bar r) / \|r - \bar r\|_2$, $b$ likewise from $e$; then

    $$
    \mathrm{SIR} = -10 \log_{10} \max\big(\min(\|a - b\|_2^2,
    \|a + b\|_2^2),\ \text{floor}\big)
    = -10 \log_{10} \max(2 - 2|\rho|, \text{floor}),
    $$

    where ρ is the correlation coefficient of the reference $r$ and the
    estimate $e$. The measure is invariant to the scale and sign of the
    estimate. Identical signals give the finite ceiling $-10 \log_{10}$ floor
    (120 dB by default); uncorrelated ones give about -3 dB.

    Args:
        reference: Ground truth, 1-D.
        estimate: Estimate of the same length.
        demean: Remove the means before normalising (the usual convention).
        floor: Smallest squared error, so that SIR stays finite.

    Returns:
        The SIR in dB.

    Raises:
        ValueError: On mismatched lengths or a constant input.

    Examples:
        >>> import numpy as np
        >>> a, b = np.random.default_rng(0).standard_normal((2, 4000))
        >>> sir(a, a), sir(a, -3 * a + 5), round(sir(a, a + 0.1 * b), 1)
        (120.0, 120.0, 20.0)

    References:
        A. Cichocki, R. Zdunek, A. H. Phan, S. Amari, *Nonnegative Matrix and
        Tensor Factorizations*, Wiley (2009) (the SIR of its NMFLAB toolbox).
    """
    ref = _as_vector(reference, "reference")
    est = _as_vector(estimate, "estimate")
    if ref.shape != est.shape:
        raise ValueError(
            f"`reference` and `estimate` must have the same shape; got {ref.shape} "
            f"and {est.shape}. Trim both to the same samples/frames/bins."
        )
    a = _unit(ref, "reference", demean)
    b = _unit(est, "estimate", demean)
    error = min(float(np.sum((a - b) ** 2)), float(np.sum((a + b) ** 2)))
    return -10.0 * float(np.log10(max(error, floor)))


def soi_spectral_profile(
    soi: ArrayLike, fs: float, *, window: int = 128, overlap: int = 100, nfft: int = 512
) -> np.ndarray:
    r"""True spectral profile of the SOI: its power spectrogram averaged over frames.

    $p_f = \frac1N \sum_n |X_{soi}[f, n]|^2$, shape `(F,)`, the reference for
    $w_k$.

    Args:
        soi: Ground-truth SOI waveform.
        fs: Sampling rate in Hz.
        window: STFT window length.
        overlap: STFT overlap.
        nfft: STFT FFT length.

    Returns:
        The profile, shape `(nfft // 2 + 1,)`.

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> soi_spectral_profile(sim.soi, sim.fs).shape
        (257,)

    References:
        METHOD.md §8 (SIR_W).
    """
    V_soi, _, _ = power_spectrogram(soi, fs, window=window, overlap=overlap, nfft=nfft)
    return V_soi.mean(axis=1)


def soi_frame_energy(
    soi: ArrayLike, fs: float, *, window: int = 128, overlap: int = 100, nfft: int = 512
) -> np.ndarray:
    r"""True frame energy of the SOI: its power spectrogram summed over frequency.

    $e_n = \sum_f |X_{soi}[f, n]|^2$, shape `(N,)`, the reference for $h_k$.

    Args:
        soi: Ground-truth SOI waveform.
        fs: Sampling rate in Hz.
        window: STFT window length.
        overlap: STFT overlap.
        nfft: STFT FFT length.

    Returns:
        The frame energies, shape `(N,)`.

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> soi_frame_energy(sim.soi, sim.fs).shape  # (5000 - 128) // 28 + 1 frames
        (175,)

    References:
        METHOD.md §8 (SIR_H).
    """
    V_soi, _, _ = power_spectrogram(soi, fs, window=window, overlap=overlap, nfft=nfft)
    return V_soi.sum(axis=0)


def sir_w(
    soi: ArrayLike,
    w_k: ArrayLike,
    fs: float,
    *,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
    floor: float = DEFAULT_SIR_FLOOR,
) -> float:
    r"""SIR_W: :func:`sir` of the true SOI spectral profile against column w_k.

    $\mathrm{SIR}_W = \mathrm{SIR}(p, w_k)$ with $p$ from
    :func:`soi_spectral_profile` (same STFT layout).

    Args:
        soi: Ground-truth SOI waveform.
        w_k: Estimated spectral profile, shape `(nfft // 2 + 1,)`.
        fs: Sampling rate in Hz.
        window: STFT window length used for the NMF.
        overlap: STFT overlap used for the NMF.
        nfft: STFT FFT length used for the NMF.
        floor: See :func:`sir`.

    Returns:
        SIR_W in dB (demeaned, see :func:`sir`).

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> sir_w(sim.soi, soi_spectral_profile(sim.soi, sim.fs), sim.fs)
        120.0

    References:
        METHOD.md §8; Cichocki et al. (2009), see :func:`sir`.
    """
    layout = {"window": window, "overlap": overlap, "nfft": nfft}
    return sir(soi_spectral_profile(soi, fs, **layout), w_k, floor=floor)


def sir_h(
    soi: ArrayLike,
    h_k: ArrayLike,
    fs: float,
    *,
    window: int = 128,
    overlap: int = 100,
    nfft: int = 512,
    floor: float = DEFAULT_SIR_FLOOR,
) -> float:
    r"""SIR_H: :func:`sir` of the true SOI frame energy against activation row h_k.

    $\mathrm{SIR}_H = \mathrm{SIR}(e, h_k)$ with $e$ from
    :func:`soi_frame_energy` (same STFT layout).

    Args:
        soi: Ground-truth SOI waveform.
        h_k: Estimated activation row, shape `(N,)`.
        fs: Sampling rate in Hz.
        window: STFT window length used for the NMF.
        overlap: STFT overlap used for the NMF.
        nfft: STFT FFT length used for the NMF.
        floor: See :func:`sir`.

    Returns:
        SIR_H in dB (demeaned, see :func:`sir`).

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> sir_h(sim.soi, soi_frame_energy(sim.soi, sim.fs), sim.fs)
        120.0

    References:
        METHOD.md §8; Cichocki et al. (2009), see :func:`sir`.
    """
    layout = {"window": window, "overlap": overlap, "nfft": nfft}
    return sir(soi_frame_energy(soi, fs, **layout), h_k, floor=floor)


def sir_t(
    soi: ArrayLike,
    estimate: ArrayLike,
    *,
    trim: int = 0,
    floor: float = DEFAULT_SIR_FLOOR,
) -> float:
    r"""SIR_t: :func:`sir` of the true SOI waveform against a time-domain estimate.

    $\mathrm{SIR}_t = \mathrm{SIR}(s[t_0{:}n - t_0], \hat s[t_0{:}n - t_0])$
    with $t_0$ = `trim`.

    Args:
        soi: Ground-truth SOI waveform, shape `(n,)`.
        estimate: Reconstructed SOI, shape `(n,)`.
        trim: Samples dropped at each end before comparing (e.g. the few samples
            after the last STFT frame, which an inverse STFT cannot recover).
        floor: See :func:`sir`.

    Returns:
        SIR_t in dB.

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> sir_t(sim.soi, 2.0 * sim.soi, trim=10), sir_t(sim.soi, sim.mixture) < 0
        (120.0, True)

    References:
        METHOD.md §8; Cichocki et al. (2009), see :func:`sir`.
    """
    if trim < 0:
        raise ValueError(f"`trim` must be >= 0; got {trim}.")
    ref = np.asarray(soi, dtype=float)
    est = np.asarray(estimate, dtype=float)
    stop_ref, stop_est = ref.size - trim, est.size - trim
    return sir(ref[trim:stop_ref], est[trim:stop_est], floor=floor)


def bss_eval_sir(
    estimate: ArrayLike,
    soi: ArrayLike,
    noise: ArrayLike,
    *,
    floor: float = DEFAULT_SIR_FLOOR,
) -> float:
    r"""BSS-Eval SIR of an SOI estimate with the sources SOI and noise known.

    The estimate ŝ is projected onto the true SOI s and onto the span of
    {s, n} (time-invariant gains, i.e. distortion filters of length 1):

    $$
    s_{target} = \frac{\langle \hat s, s\rangle}{\|s\|^2} s, \quad
    e_{interf} = P_{\{s, n\}} \hat s - s_{target}, \quad
    \mathrm{SIR} = 10 \log_{10}
    \frac{\|s_{target}\|^2}{\|e_{interf}\|^2}.
    $$

    Both energies are floored at $\text{floor} \cdot \|\hat s\|^2$, so the
    result lies in $[10 \log_{10} \text{floor}, -10 \log_{10} \text{floor}]$
    (±120 dB by default). Unlike :func:`sir`, the mean is kept and artefacts
    (the part of ŝ outside span{s, n}) do not count as interference.

    Args:
        estimate: Estimated SOI waveform ŝ, shape `(n,)`.
        soi: True SOI s, shape `(n,)`.
        noise: True interference n, shape `(n,)`.
        floor: Relative floor on the energies (see above).

    Returns:
        The SIR in dB.

    Examples:
        >>> from shinbo_jax.signals import simulate_bearing_signal
        >>> sim = simulate_bearing_signal(duration=0.2)
        >>> bss_eval_sir(sim.soi, sim.soi, sim.noise)
        120.0
        >>> round(bss_eval_sir(sim.mixture, sim.soi, sim.noise), 1)  # about the SNR
        -5.3

    References:
        E. Vincent, R. Gribonval, C. Févotte, "Performance measurement in blind
        audio source separation", IEEE TASLP 14 (2006) 1462–1469.
    """
    est = _as_vector(estimate, "estimate")
    target = _as_vector(soi, "soi")
    interference = _as_vector(noise, "noise")
    if not est.shape == target.shape == interference.shape:
        raise ValueError(
            f"`estimate`, `soi` and `noise` must share one shape; got {est.shape}, "
            f"{target.shape}, {interference.shape}."
        )
    if not np.any(target):
        raise ValueError("`soi` is all zeros; the SIR is undefined.")
    s_target = (est @ target) / (target @ target) * target
    sources = np.stack([target, interference], axis=1)
    gains, *_ = np.linalg.lstsq(sources, est, rcond=None)
    e_interf = sources @ gains - s_target
    scale = max(float(est @ est), np.finfo(float).tiny)
    target_energy = max(float(s_target @ s_target), floor * scale)
    interf_energy = max(float(e_interf @ e_interf), floor * scale)
    return 10.0 * float(np.log10(target_energy / interf_energy))
