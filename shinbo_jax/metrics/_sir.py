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
    ``a = (r - mean r) / ||r - mean r||``, ``b`` likewise; then

    .. math::

        \mathrm{SIR} = -10 \log_{10} \max\big(\min(\|a - b\|_2^2,
        \|a + b\|_2^2),\ \text{floor}\big)
        = -10 \log_{10} \max(2 - 2|\rho|, \text{floor}),

    where ρ is the correlation coefficient of ``r`` and ``e``. The measure is
    invariant to the scale and sign of the estimate. Identical signals give the
    finite ceiling ``-10 log10(floor)`` (120 dB by default); uncorrelated ones
    give about -3 dB.

    Args:
        reference: Ground truth, 1-D.
        estimate: Estimate of the same length.
        demean: Remove the means before normalising (the usual convention).
        floor: Smallest squared error, so that SIR stays finite.

    Returns:
        The SIR in dB.

    Raises:
        ValueError: On mismatched lengths or a constant input.

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

    ``p[f] = (1/N) Σ_n |X_soi[f, n]|²``, shape ``(F,)``, the reference for w_k.

    Args:
        soi: Ground-truth SOI waveform.
        fs: Sampling rate in Hz.
        window: STFT window length.
        overlap: STFT overlap.
        nfft: STFT FFT length.

    Returns:
        The profile, shape ``(nfft // 2 + 1,)``.

    References:
        METHOD.md §8 (SIR_W).
    """
    V_soi, _, _ = power_spectrogram(soi, fs, window=window, overlap=overlap, nfft=nfft)
    return V_soi.mean(axis=1)


def soi_frame_energy(
    soi: ArrayLike, fs: float, *, window: int = 128, overlap: int = 100, nfft: int = 512
) -> np.ndarray:
    r"""True frame energy of the SOI: its power spectrogram summed over frequency.

    ``e[n] = Σ_f |X_soi[f, n]|²``, shape ``(N,)``, the reference for h_k.

    Args:
        soi: Ground-truth SOI waveform.
        fs: Sampling rate in Hz.
        window: STFT window length.
        overlap: STFT overlap.
        nfft: STFT FFT length.

    Returns:
        The frame energies, shape ``(N,)``.

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
    """SIR_W: :func:`sir` of the true SOI spectral profile against column w_k.

    Args:
        soi: Ground-truth SOI waveform.
        w_k: Estimated spectral profile, shape ``(nfft // 2 + 1,)``.
        fs: Sampling rate in Hz.
        window: STFT window length used for the NMF.
        overlap: STFT overlap used for the NMF.
        nfft: STFT FFT length used for the NMF.
        floor: See :func:`sir`.

    Returns:
        SIR_W in dB (demeaned, see :func:`sir`).

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
    """SIR_H: :func:`sir` of the true SOI frame energy against activation row h_k.

    Args:
        soi: Ground-truth SOI waveform.
        h_k: Estimated activation row, shape ``(N,)``.
        fs: Sampling rate in Hz.
        window: STFT window length used for the NMF.
        overlap: STFT overlap used for the NMF.
        nfft: STFT FFT length used for the NMF.
        floor: See :func:`sir`.

    Returns:
        SIR_H in dB (demeaned, see :func:`sir`).

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
    """SIR_t: :func:`sir` of the true SOI waveform against a time-domain estimate.

    Args:
        soi: Ground-truth SOI waveform, shape ``(n,)``.
        estimate: Reconstructed SOI, shape ``(n,)``.
        trim: Samples dropped at each end before comparing (e.g. the few samples
            after the last STFT frame, which an inverse STFT cannot recover).
        floor: See :func:`sir`.

    Returns:
        SIR_t in dB.

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

    .. math::

        s_{target} = \frac{\langle \hat s, s\rangle}{\|s\|^2} s, \quad
        e_{interf} = P_{\{s, n\}} \hat s - s_{target}, \quad
        \mathrm{SIR} = 10 \log_{10}
        \frac{\|s_{target}\|^2}{\|e_{interf}\|^2}.

    Both energies are floored at ``floor · ||ŝ||²``, so the result lies in
    ``[10 log10 floor, -10 log10 floor]`` (±120 dB by default). Unlike
    :func:`sir`, the mean is kept and artefacts (the part of ŝ outside
    span{s, n}) do not count as interference.

    Args:
        estimate: Estimated SOI waveform ŝ, shape ``(n,)``.
        soi: True SOI s, shape ``(n,)``.
        noise: True interference n, shape ``(n,)``.
        floor: Relative floor on the energies (see above).

    Returns:
        The SIR in dB.

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
