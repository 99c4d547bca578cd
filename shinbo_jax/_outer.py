r"""Outer (upper-level) objectives $E$ for learning the row penalties λ.

An outer objective is any differentiable scalar function
`E(W, H, lam, V, validation_mask)` of the inner solver's output; the fit
minimises it over λ. Which objective SHINBO itself uses is not public, so the
choices here are ours (see docs/method.md):

- `"holdout"`: the Itakura-Saito divergence on time-frequency bins held out from
  the inner fit. Periodogram bins of noise are nearly independent, so this is an
  honest bias-variance trade-off with an interior optimum in λ.
- `"reconstruction"`: the IS divergence on the bins the inner problem fitted. With
  exact inner solutions λ = 0 minimises it, so descent drives λ towards 0; kept to
  show that.
- `kurtosis_objective(weight)`: holdout plus a label-free reward for the
  impulsiveness (kurtosis) of the most impulsive row of H.
- `envsi_objective(fault_freq, frame_rate)`: reward the envelope-spectrum energy at
  a known fault frequency of the most periodic row of H.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import Array

from ._divergence import beta_divergence

__all__ = [
    "OuterObjective",
    "envsi_objective",
    "holdout_objective",
    "kurtosis_objective",
    "reconstruction_objective",
    "resolve_outer",
]

OuterObjective = Callable[[Array, Array, Array, Array, Array], Array]


def holdout_objective(
    W: Array, H: Array, lam: Array, V: Array, validation_mask: Array
) -> Array:
    r"""The held-out fit: $E = D_{IS}(V \mid WH)$ on the held-out bins, divided
    by their number.

    Args:
        W, H: the inner solver's factors (F × K, K × N).
        lam: the penalties (unused; part of the objective signature).
        V: the power spectrogram, F × N.
        validation_mask: 1 on the held-out bins, 0 elsewhere.

    Returns:
        The mean IS divergence over the held-out bins, a scalar.
    """
    count = jnp.maximum(jnp.sum(validation_mask), 1.0)
    return beta_divergence(V, W @ H, 0.0, mask=validation_mask) / count


def reconstruction_objective(
    W: Array, H: Array, lam: Array, V: Array, validation_mask: Array
) -> Array:
    r"""The literal reading: $E = D_{IS}(V \mid WH)$ on the fitted bins, per bin.

    Args:
        W, H, lam, V, validation_mask: as for :func:`holdout_objective`; the
            bins scored are those with `validation_mask` 0.

    Returns:
        The mean IS divergence over the fitted bins, a scalar.
    """
    fitted = 1.0 - validation_mask
    count = jnp.maximum(jnp.sum(fitted), 1.0)
    return beta_divergence(V, W @ H, 0.0, mask=fitted) / count


@dataclasses.dataclass(frozen=True)
class _Objective:
    """An outer objective made of a module-level `rule` and its `settings`.

    Equal settings give equal, equally hashed objectives. `fit_shinbo` takes
    the objective as a static argument of its compiled program, so building
    `kurtosis_objective(0.01)` afresh for every call reuses one compilation
    instead of compiling (and caching) a new program each time; a closure would
    hash by identity and recompile on every call.
    """

    rule: Callable
    settings: tuple

    def __call__(self, W, H, lam, V, validation_mask) -> Array:
        return self.rule(W, H, lam, V, validation_mask, *self.settings)


def _row_kurtosis(H: Array) -> Array:
    """Pearson kurtosis E[(h − μ)⁴]/σ⁴ of each row of H (Gaussian: 3)."""
    centred = H - jnp.mean(H, axis=1, keepdims=True)
    variance = jnp.mean(centred**2, axis=1) + 1e-30
    return jnp.mean(centred**4, axis=1) / variance**2


def kurtosis_objective(
    weight: float = 0.01, temperature: float = 0.2
) -> OuterObjective:
    r"""Holdout fit minus a reward for the most impulsive activation row.

    $E = E_{\text{holdout}} - w \cdot \operatorname{smoothmax}_k \log \kappa(h_k)$,
    with κ the kurtosis and a log-sum-exp smooth maximum of temperature τ.

    Args:
        weight: w, the weight of the impulsiveness reward against the fit.
        temperature: τ of the smooth maximum (small: close to the max).

    Returns:
        An outer objective.
    """

    return _Objective(_kurtosis_rule, (float(weight), float(temperature)))


def _smooth_max(x: Array, temperature: float, axis=None) -> Array:
    """Log-sum-exp smooth maximum τ·log Σ exp(x/τ) (→ max x as τ → 0)."""
    return temperature * jax.nn.logsumexp(x / temperature, axis=axis)


def _rewarded_holdout(W, H, lam, V, validation_mask, scores, weight, temperature):
    """Holdout fit minus `weight` × the smooth maximum of per-row `scores`."""
    reward = _smooth_max(scores, temperature)
    return holdout_objective(W, H, lam, V, validation_mask) - weight * reward


def _kurtosis_rule(W, H, lam, V, validation_mask, weight, temperature):
    scores = jnp.log(_row_kurtosis(H))
    return _rewarded_holdout(W, H, lam, V, validation_mask, scores, weight,
                             temperature)  # fmt: skip


def activation_envsi(H: Array, fault_freq: float, frame_rate: float, n_harmonics=3):
    r"""ENVSI of each row of H read as an envelope sampled at the frame rate:
    energy of $|\mathrm{DFT}(h_k - \bar h_k)|$ at the fault harmonics (±1 bin)
    over its energy up to $(M + 0.5) f_{\text{fault}}$."""
    n_frames = H.shape[1]
    spectrum = jnp.abs(jnp.fft.rfft(H - jnp.mean(H, axis=1, keepdims=True), axis=1))
    freqs = jnp.fft.rfftfreq(n_frames, 1.0 / frame_rate)
    resolution = frame_rate / n_frames
    on_line = jnp.zeros_like(freqs, dtype=bool)
    for harmonic in range(1, n_harmonics + 1):
        on_line |= jnp.abs(freqs - harmonic * fault_freq) <= 1.01 * resolution
    in_band = (freqs > 0) & (freqs <= (n_harmonics + 0.5) * fault_freq)
    energy = spectrum**2
    return jnp.sum(energy * on_line, axis=1) / (
        jnp.sum(energy * in_band, axis=1) + 1e-30
    )


def envsi_objective(
    fault_freq: float, frame_rate: float, weight: float = 1.0, temperature=0.05
) -> OuterObjective:
    r"""Fault-aware objective for a known fault frequency:
    $E = E_{\text{holdout}} - w \cdot \operatorname{smoothmax}_k
    \mathrm{ENVSI}(h_k)$.

    The reward can put the line there: on fault-free simulated noise the
    component it selected showed the fault line above its null level in 5 of
    12 seeds, against 1 of 12 for plain MU, and it did not raise SIR
    (RESULTS.md, "Fault-aware objective"). Confirm a line it finds with a fit
    that was not told the line.

    Args:
        fault_freq: the fault frequency in Hz (from shaft speed and geometry).
        frame_rate: frames per second of the spectrogram (fs / hop).
        weight: w.
        temperature: τ of the log-sum-exp smooth maximum.

    Returns:
        An outer objective.
    """

    settings = (float(fault_freq), float(frame_rate), float(weight), float(temperature))
    return _Objective(_envsi_rule, settings)


def _envsi_rule(W, H, lam, V, validation_mask, fault_freq, frame_rate, weight,
                temperature):  # fmt: skip
    scores = activation_envsi(H, fault_freq, frame_rate)
    return _rewarded_holdout(W, H, lam, V, validation_mask, scores, weight,
                             temperature)  # fmt: skip


def _harmonic_comb(n_frames: int, frame_rate: float, f_min, f_max, n_harmonics):
    """0/1 matrix (candidates × rfft bins): bins within one bin of the first
    `n_harmonics` multiples of each candidate fundamental in [f_min, f_max]."""
    import numpy as np

    resolution = frame_rate / n_frames
    n_bins = n_frames // 2 + 1
    first = max(int(np.ceil(f_min / resolution)), 2)
    last = min(int(np.floor(f_max / resolution)), (n_bins - 2) // n_harmonics)
    candidates = np.arange(first, last + 1)
    comb = np.zeros((candidates.size, n_bins))
    for harmonic in range(1, n_harmonics + 1):
        for offset in (-1, 0, 1):
            comb[np.arange(candidates.size), harmonic * candidates + offset] = 1.0
    return comb, candidates * resolution


def periodicity_scores(
    H: Array, frame_rate: float, f_min=5.0, f_max=300.0, n_harmonics=3, temperature=0.02
) -> Array:
    r"""Blind periodicity of each row of H: the share of the energy of
    $|\mathrm{DFT}(h_k - \bar h_k)|^2$ that falls on the first M harmonics of the
    best fundamental in [f_min, f_max] (a smooth maximum over candidates), i.e.
    ENVSI maximised over the unknown fault frequency. A single spike or white
    activation scores low; a periodic impulse train scores high."""
    comb, _ = _harmonic_comb(H.shape[1], frame_rate, f_min, f_max, n_harmonics)
    centred = H - jnp.mean(H, axis=1, keepdims=True)
    energy = jnp.abs(jnp.fft.rfft(centred, axis=1)) ** 2
    share = (energy @ jnp.asarray(comb.T, H.dtype)) / (
        jnp.sum(energy[:, 1:], axis=1, keepdims=True) + 1e-30
    )
    return _smooth_max(share, temperature, axis=1)


def periodicity_objective(
    frame_rate: float, weight: float = 1.0, f_min=5.0, f_max=300.0, temperature=0.02
) -> OuterObjective:
    r"""Label-free task-aware objective: holdout fit minus a reward for the most
    periodic activation row,
    $E = E_{\text{holdout}} - w \cdot \operatorname{smoothmax}_k P(h_k)$ with P
    from :func:`periodicity_scores`. Needs no fault frequency, only the range
    [f_min, f_max] in which it may lie.

    Args:
        frame_rate: frames per second of the spectrogram (fs / hop).
        weight: w.
        f_min, f_max: the range of candidate fault frequencies, Hz.
        temperature: τ of the smooth maxima.

    Returns:
        An outer objective.
    """

    settings = (float(frame_rate), float(weight), float(f_min), float(f_max),
                float(temperature))  # fmt: skip
    return _Objective(_periodicity_rule, settings)


def _periodicity_rule(W, H, lam, V, validation_mask, frame_rate, weight, f_min,
                      f_max, temperature):  # fmt: skip
    scores = periodicity_scores(H, frame_rate, f_min, f_max, 3, temperature)
    return _rewarded_holdout(W, H, lam, V, validation_mask, scores, weight,
                             temperature)  # fmt: skip


_NAMED = {"holdout": holdout_objective, "reconstruction": reconstruction_objective}


def resolve_outer(outer: str | OuterObjective) -> tuple[OuterObjective, bool]:
    """The objective function and whether the inner fit must hold bins out."""
    if callable(outer):
        return outer, True
    if outer == "kurtosis":
        return kurtosis_objective(), True
    if outer not in _NAMED:
        raise ValueError(
            f"`outer` must be 'holdout', 'reconstruction', 'kurtosis' or a callable "
            f"E(W, H, lam, V, validation_mask), got {outer!r}."
        )
    return _NAMED[outer], outer == "holdout"
