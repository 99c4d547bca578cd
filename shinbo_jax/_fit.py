r"""`fit_shinbo` and its baselines: the bi-level fit as one compiled call.

SHINBO learns one ℓ1 penalty per row of H by minimising an outer objective
$E(W, H_T(\lambda), \lambda)$ over λ, where $H_T$ are T penalised MU steps
(`solve`) and the gradient is the forward-mode hypergradient (`jax.jvp` through
the scan, K tangents at once). The outer loop is a `lax.scan` of optax steps on
λ, so a whole fit compiles to one XLA program and runs without host round trips.

The data are scaled to mean 1 first (IS-NMF is scale invariant); λ is reported
for that scale and H is returned in the original scale.

References:
    L. Selicato, F. Esposito, A. Ang, N. Del Buono and R. Zdunek, "Sparse
    hyperparametric Itakura-Saito nonnegative matrix factorization via bi-level
    optimization", arXiv:2502.17123 (2025). The schedule and objectives here are
    our reconstruction; see docs/method.md for which parts are the paper's.
    N. Del Buono, F. Esposito, L. Selicato and R. Zdunek, "Bi-level algorithm for
    optimizing hyperparameters in penalized nonnegative matrix factorization",
    Appl. Math. Comput. 457 (2023) 128184.
"""

from __future__ import annotations

import functools as ft
from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array
from jax.typing import ArrayLike

from ._divergence import beta_divergence, relative_floor
from ._outer import OuterObjective, resolve_outer
from ._solver import NonFiniteError, init_factors, solve
from ._updates import L1Penalty, Penalty, mu_exponent, normalize_columns, update_W
from ._validate import (
    as_float_array,
    check_matrix,
    check_nonnegative_finite,
    check_positive_int,
    is_concrete,
)

__all__ = ["FitResult", "fit_fixed_penalty", "fit_mu", "fit_shinbo", "grid_search"]

# One shared default: the optimiser is a static argument of the compiled fit, so a
# fresh `optax.adam(0.1)` per call would recompile every time. Pass your own
# optimiser object once and reuse it for the same reason.
DEFAULT_OPTIMIZER = optax.adam(0.1)

SCHEDULES = ("alternating", "joint", "realtime", "restart")

# MU exponent of the fits: the monotone MM exponent (γ = 1/2 for IS). On the
# synthetic benchmark (RESULTS.md, 24 signals, same 900-step budget) γ = 1 gave
# SHINBO higher SIR_t in 18 of 24 signals (median +0.55 dB), but on a small
# random problem its hypergradient exploded (λ → inf after one SGD step even at
# lr 0.01) where γ = 1/2 stays tame, so it is an option, not the default.
# TODO(shinbo-jax maintainers): make γ = 1 safe to default to; way out: clip or
# normalise the hypergradient, then rerun the synthetic benchmark.
DEFAULT_GAMMA = "mm"


class _FitConfig(NamedTuple):
    """The static settings of a compiled fit (hashable)."""

    schedule: str
    inner_steps: int
    gamma: str | float
    parametrization: str
    optimizer: optax.GradientTransformation
    penalty: Penalty


class FitResult(eqx.Module):
    """The result of a fit.

    Attributes:
        W: spectral profiles, F × K, unit ℓ1 columns.
        H: activations, K × N, in the scale of the input V.
        lam: penalties, length K, for V scaled to mean 1.
        history: per-outer-step arrays: `outer` (objective value), `lam`
            (outer_steps × K), `divergence` (IS divergence per bin on all bins),
            `hoyer` (outer_steps × K row sparsity) and `accepted` (False where
            the step produced NaN or inf and was skipped, the state kept).
            Baselines hold the objective trace of their solve under
            `divergence`.
    """

    W: Array
    H: Array
    lam: Array
    history: dict


def _hoyer(H: Array) -> Array:
    """Hoyer sparsity (√n − ‖h‖₁/‖h‖₂)/(√n − 1) of each row."""
    root = jnp.sqrt(H.shape[1])
    ratio = jnp.sum(H, axis=1) / (jnp.sqrt(jnp.sum(H**2, axis=1)) + 1e-30)
    return (root - ratio) / (root - 1.0)


def _prepare_data(V: ArrayLike, rank: int) -> tuple[Array, Array]:
    V = as_float_array(V, "V")
    check_matrix(V, "V")
    check_nonnegative_finite(V, "V", "pass a power spectrogram |X|².")
    check_positive_int(rank, "rank", "use rank ≥ 1 (K = 2: SOI + noise).")
    scale = jnp.mean(V)
    return V / scale, scale


def _split_bins(key: Array, shape, fraction: float, dtype, edges: bool = True) -> Array:
    """A 0/1 validation mask holding out `fraction` of the bins at random; with
    `edges=False` the first and last frequency rows (DC and Nyquist) are never
    held out."""
    held_out = jax.random.uniform(key, shape) < fraction
    if not edges:
        held_out = held_out.at[0].set(False).at[-1].set(False)
    return held_out.astype(dtype)


def _to_lambda(theta: Array, parametrization: str) -> Array:
    return jnp.exp(theta) if parametrization == "log" else theta


def _from_lambda(lam: Array, parametrization: str) -> Array:
    return jnp.log(lam) if parametrization == "log" else lam


def _w_step(V, W, H, lam, mask, config, eps):
    """One MU step for W on the training bins, then normalisation (alternation)."""
    W = update_W(
        V, W, H, jnp.maximum(W @ H, eps), lam, beta=0.0,
        gamma=mu_exponent(config.gamma, 0.0), penalty=config.penalty, mask=mask,
        lifted=True,
    )  # fmt: skip
    return normalize_columns(W, H)


def _tangent_basis(lam: Array, parametrization: str) -> Array:
    r"""The K tangent directions pushed through the inner solve.

    For θ = log λ they are $\partial\lambda/\partial\theta_k = \lambda_k e_k$,
    so the JVPs give $\nabla_\theta f$ directly. Besides saving the chain rule,
    this keeps float32 tangents in range: a unit tangent on a penalty of 1e-5
    is 1e5 times larger than any move the optimiser makes, and the tangents
    of H it induces overflowed on heavy-tailed spectrograms (measured: an
    infinite ∂f/∂λ_k where ∂f/∂θ_k was finite and matched float64).
    """
    basis = jnp.eye(lam.shape[0], dtype=lam.dtype)
    return basis * lam[:, None] if parametrization == "log" else basis


def _optimiser_step(grad_theta, theta, opt_state, config):
    """One optax step on θ from the hypergradient ∇_θ f; keeps λ ≥ 0."""
    updates, opt_state = config.optimizer.update(grad_theta, opt_state, theta)
    theta = optax.apply_updates(theta, updates)
    if config.parametrization == "projection":
        theta = jnp.maximum(theta, 0.0)
    return theta, opt_state


def _all_finite(*arrays) -> Array:
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in arrays]))


def _accept_if_finite(ok, new, old):
    """`new` where the outer step stayed finite, else `old` (the step is skipped
    and marked in the history, like `optax.apply_if_finite`)."""
    return jax.tree.map(lambda n, o: jnp.where(ok, n, o), new, old)


def _record(V, W, H, lam, value, accepted) -> dict:
    """The per-outer-step history entry."""
    return dict(
        outer=value,
        lam=lam,
        divergence=beta_divergence(V, W @ H, 0.0) / V.size,
        hoyer=_hoyer(H),
        accepted=accepted,
    )


def _outer_step_fn(V, train, validation, outer, config):
    """The body of the outer scan for the alternating and joint schedules."""
    schedule, parametrization = config.schedule, config.parametrization
    eps = relative_floor(V)

    def value_and_state(W, H, lam):
        sol = solve(
            V, W, H, lam, num_steps=config.inner_steps, gamma=config.gamma,
            update_W=schedule == "joint", mask=train, track_objective=False,
            throw=False, penalty=config.penalty,
        )  # fmt: skip
        return outer(sol.W, sol.H, lam, V, validation), (sol.W, sol.H)

    def step(carry, _):
        W, H, theta, opt_state = carry
        lam = _to_lambda(theta, parametrization)
        if schedule == "alternating":
            W, H = _w_step(V, W, H, lam, train, config, eps)

        def directional(tangent):
            return jax.jvp(ft.partial(value_and_state, W, H), (lam,), (tangent,))

        (value, (W_T, H_T)), (grads, _) = jax.vmap(directional, out_axes=(None, 0))(
            _tangent_basis(lam, parametrization)
        )
        if schedule != "restart":  # warm start: keep the iterates
            W, H = W_T, H_T
        update = (W, H) + _optimiser_step(grads, theta, opt_state, config)
        accepted = _all_finite(value, grads, W_T, H_T)
        new_carry = _accept_if_finite(accepted, update, carry)
        return new_carry, _record(V, W_T, H_T, lam, value, accepted)

    return step


def _realtime_step_fn(V, train, validation, outer, config):
    """Outer scan body for the real-time schedule: T = 1, tangent Z carried."""
    eps = relative_floor(V)

    def h_step(W, H, lam):
        return solve(
            V, W, H, lam, num_steps=1, gamma=config.gamma, update_W=False,
            mask=train, track_objective=False, throw=False, penalty=config.penalty,
        ).H  # fmt: skip

    def step(carry, _):
        W, H, theta, opt_state, Z = carry
        lam = _to_lambda(theta, config.parametrization)
        W, H = _w_step(V, W, H, lam, train, config, eps)
        basis = jnp.eye(lam.shape[0], dtype=lam.dtype)

        def push(z, tangent):
            return jax.jvp(ft.partial(h_step, W), (H, lam), (z, tangent))

        H_new, Z = jax.vmap(push, out_axes=(None, 0))(Z, basis)
        value, (grad_H, grad_lam) = jax.value_and_grad(outer, argnums=(1, 2))(
            W, H_new, lam, V, validation
        )
        grads = jnp.einsum("tkn,kn->t", Z, grad_H) + grad_lam
        # Z holds ∂H/∂λ (unit tangents, carried across steps); chain rule to θ.
        grads = grads * lam if config.parametrization == "log" else grads
        theta, opt_state = _optimiser_step(grads, theta, opt_state, config)
        accepted = _all_finite(value, grads, H_new, Z)
        new_carry = _accept_if_finite(accepted, (W, H_new, theta, opt_state, Z), carry)
        return new_carry, _record(V, W, H_new, lam, value, accepted)

    return step


def _check_fit_options(schedule, parametrization, outer_steps, inner_steps, lam0):
    if schedule not in SCHEDULES:
        raise ValueError(
            f"`schedule` must be one of {SCHEDULES}, got {schedule!r}; "
            "'alternating' is the default."
        )
    if parametrization not in ("log", "projection"):
        raise ValueError(
            f"`parametrization` must be 'log' or 'projection', got "
            f"{parametrization!r}; 'log' keeps λ > 0 by construction."
        )
    check_positive_int(outer_steps, "outer_steps", "take at least one outer step.")
    check_positive_int(inner_steps, "inner_steps", "run at least one MU step.")
    concrete = is_concrete(lam0)
    if parametrization == "log" and concrete and not np.all(np.asarray(lam0) > 0):
        raise ValueError(
            f"`lam0` must be positive with parametrization='log', got {lam0}; "
            "start from a small positive value such as 0.1."
        )


def _resolve_penalty(penalty: Penalty | None) -> Penalty:
    """`penalty`, or ℓ1 for None; anything else is refused with the fix."""
    if penalty is None:
        return L1Penalty()
    if not isinstance(penalty, Penalty):
        raise TypeError(
            f"`penalty` must be a shinbo_jax.Penalty, got {penalty!r}; pass e.g. "
            "L1Penalty(), or subclass Penalty and implement __call__(H, lam)."
        )
    return penalty


def fit_shinbo(
    V: ArrayLike,
    rank: int = 2,
    *,
    key: Array,
    outer: str | OuterObjective = "kurtosis",
    optimizer: optax.GradientTransformation | None = None,
    outer_steps: int = 60,
    inner_steps: int = 10,
    lam0: float | ArrayLike = 0.003,
    schedule: str = "alternating",
    parametrization: str = "log",
    holdout_fraction: float = 0.2,
    holdout_edges: bool = True,
    refit_steps: int = 100,
    warm_start_steps: int = 200,
    gamma: str | float = DEFAULT_GAMMA,
    penalty: Penalty | None = None,
    callback: Callable | None = None,
    callback_every: int = 10,
) -> FitResult:
    r"""Learn one sparsity penalty per row of H by bi-level optimisation.

    Inner problem (T = `inner_steps` MU steps, on the training bins):
    $\min_{W,H \ge 0} D_{IS}(V \mid WH) + \sum_k \lambda_k \|h_k\|_1$;
    outer problem: $\min_\lambda E(W, H_T(\lambda), \lambda)$ by `optimizer`
    with forward-mode hypergradients. After the outer loop, W and H are refitted
    on all bins with the learned λ for `refit_steps` steps.

    Args:
        V: power spectrogram, F × N, nonnegative.
        rank: K, the number of components.
        key: `jax.random` key for the initialisation and the bin split.
        outer: `"kurtosis"` (default: holdout fit plus a small reward, weight
            0.01, for the impulsiveness of the most impulsive row; chosen by the
            synthetic benchmark, see RESULTS.md), `"holdout"`,
            `"reconstruction"`, or a callable `E(W, H, lam, V,
            validation_mask)`; see :func:`kurtosis_objective` and
            :func:`holdout_objective`.
        optimizer: any optax `GradientTransformation`; default `optax.adam(0.1)`
            on θ (θ = log λ by default).
        outer_steps: number of λ updates.
        inner_steps: T, the MU steps differentiated through per outer step.
        lam0: initial λ, scalar or length K.
        schedule: `"alternating"` (one W step between outer steps, W frozen inside
            the differentiated dynamics, H warm-started), `"joint"` (W updated
            inside the dynamics) or `"realtime"` (T = 1 and the tangent carried
            across outer steps) or `"restart"` (W and the starting H fixed at the
            warm-start state, every outer step differentiates the same T-step
            map from there: f(λ) does not change under the optimiser's feet).
        parametrization: `"log"` (θ = log λ, λ > 0 by construction) or
            `"projection"` (θ = λ, projected onto λ ≥ 0 after each step).
        holdout_fraction: share of bins held out for validation-type objectives.
        holdout_edges: whether the DC and Nyquist rows of V may be held out.
            `False` keeps them for training: their power is small and erratic,
            and at high noise one held-out DC bin the model puts near zero
            dominated the held-out IS divergence (RESULTS.md, fit vs grid).
        refit_steps: MU steps on all bins with the learned λ at the end.
        warm_start_steps: joint MU steps with λ = `lam0` on the training bins
            before the outer loop, so that λ is tuned around an established
            decomposition rather than from a random start.
        gamma: MU exponent, as for :func:`solve`. `"heuristic"` (γ = 1) gave
            higher SIR than the default `"mm"` (γ = 1/2) at the same step
            budget on the synthetic benchmark, but its hypergradients can be
            far larger: use it with a scale-free optimiser such as Adam
            (RESULTS.md).
        penalty: the row-wise penalty whose weights are learned, any
            :class:`Penalty`; `None` means :class:`L1Penalty`. Its λ scale may
            differ from ℓ1's, so pass a matching `lam0`.
        callback: optional host function `callback(step, outer_value, lam)` called
            every `callback_every` outer steps (progress reporting).
        callback_every: see `callback`.

    Returns:
        A :class:`FitResult`.

    Examples:
        >>> import jax
        >>> V = jax.random.exponential(jax.random.key(0), (20, 60)) + 0.1
        >>> result = fit_shinbo(V, 2, key=jax.random.key(1), outer_steps=5,
        ...                     inner_steps=5, refit_steps=5)
        >>> result.lam.shape, bool((result.lam > 0).all())
        ((2,), True)

    References:
        L. Selicato, F. Esposito, A. Ang, N. Del Buono and R. Zdunek, "Sparse
        hyperparametric Itakura-Saito nonnegative matrix factorization via
        bi-level optimization", arXiv:2502.17123 (2025): the bi-level problem
        and forward-mode hypergradients. The objectives, schedules, step sizes
        and the warm start here are our reconstruction (docs/method.md).
    """
    _check_fit_options(schedule, parametrization, outer_steps, inner_steps, lam0)
    V, scale = _prepare_data(V, rank)
    optimizer = DEFAULT_OPTIMIZER if optimizer is None else optimizer
    penalty = _resolve_penalty(penalty)
    config = _FitConfig(
        schedule, inner_steps, gamma, parametrization, optimizer, penalty
    )
    W, H, lam, history = _fit_shinbo(
        V, key, jnp.broadcast_to(jnp.asarray(lam0, V.dtype), (rank,)), outer,
        config, rank, outer_steps, (holdout_fraction, holdout_edges), refit_steps,
        warm_start_steps, callback, callback_every,
    )  # fmt: skip
    return _report_nonfinite(FitResult(W, H * scale, lam, history))


def _report_nonfinite(result: FitResult) -> FitResult:
    """Raise (or, inside jit, `error_if`) when a fit produced NaN or inf."""
    finite = _all_finite(result.W, result.H, result.lam, result.history["lam"])
    message = (
        "fit_shinbo produced NaN or inf (λ diverged or the factors overflowed); "
        "use a smaller optimiser step (e.g. optax.adam(0.05)) or fewer outer steps."
    )
    if is_concrete(finite):
        if not bool(finite):
            raise NonFiniteError(message)
        return result
    return eqx.error_if(result, ~finite, message)


@ft.partial(jax.jit, static_argnums=(3, 4, 5, 6, 7, 8, 9, 10, 11))
def _fit_shinbo(
    V, key, lam0, outer, config, rank, outer_steps, holdout, refit_steps,
    warm_start_steps, callback, callback_every,
):  # fmt: skip
    key_init, key_split = jax.random.split(key)
    W, H = init_factors(key_init, V, rank)
    outer_fn, holds_out = resolve_outer(outer)
    if holds_out:
        fraction, edges = holdout
        validation = _split_bins(key_split, V.shape, fraction, V.dtype, edges)
    else:
        validation = jnp.zeros_like(V)
    train = 1.0 - validation
    gamma, parametrization = config.gamma, config.parametrization
    penalty = config.penalty
    if warm_start_steps:
        warm = solve(
            V, W, H, lam0, num_steps=warm_start_steps, gamma=gamma, mask=train,
            track_objective=False, throw=False, penalty=penalty,
        )  # fmt: skip
        W, H = warm.W, warm.H
    theta = _from_lambda(lam0, parametrization)
    carry = (W, H, theta, config.optimizer.init(theta))
    if config.schedule == "realtime":
        body = _realtime_step_fn(V, train, validation, outer_fn, config)
        carry = carry + (jnp.zeros((rank,) + H.shape, H.dtype),)
    else:
        body = _outer_step_fn(V, train, validation, outer_fn, config)
    body = _with_progress(body, callback, callback_every)
    carry, history = jax.lax.scan(body, carry, jnp.arange(outer_steps))
    W, H, theta = carry[0], carry[1], carry[2]
    lam = _to_lambda(theta, parametrization)
    final = solve(
        V, W, H, lam, num_steps=refit_steps, gamma=gamma, track_objective=False,
        throw=False, penalty=penalty,
    )  # fmt: skip
    return final.W, final.H, lam, history


def _with_progress(body, callback, every):
    """Wrap a scan body (carry, step) so it calls `callback` every `every` steps."""
    if callback is None:
        return lambda carry, step: body(carry, None)

    def wrapped(carry, step):
        carry, record = body(carry, None)
        jax.lax.cond(
            (step + 1) % every == 0,
            lambda: jax.debug.callback(
                callback, step + 1, record["outer"], record["lam"]
            ),
            lambda: None,
        )
        return carry, record

    return wrapped


def shinbo_budget(
    outer_steps: int = 60,
    inner_steps: int = 10,
    refit_steps: int = 100,
    warm_start_steps: int = 200,
) -> int:
    """Total MU steps of a SHINBO fit: the budget the baselines get.

    Args:
        outer_steps, inner_steps, refit_steps, warm_start_steps: as for
            :func:`fit_shinbo` (whose defaults these are).

    Returns:
        warm_start_steps + outer_steps · inner_steps + refit_steps.

    Examples:
        >>> shinbo_budget()
        900
    """
    return warm_start_steps + outer_steps * inner_steps + refit_steps


def fit_fixed_penalty(
    V: ArrayLike,
    rank: int,
    lam: float | ArrayLike,
    *,
    key: Array,
    num_steps: int | None = None,
    gamma: str | float = DEFAULT_GAMMA,
    penalty: Penalty | None = None,
) -> FitResult:
    """Penalised IS-NMF with a fixed penalty (one scalar or one per row).

    The baseline "fixed penalty" of SHINBO's comparisons: the same
    initialisation as :func:`fit_shinbo` for the same key, and by default the
    same number of MU steps (`shinbo_budget()`).

    Args:
        V: power spectrogram, F × N.
        rank: K.
        lam: fixed penalty λ (for V scaled to mean 1).
        key: `jax.random` key (same role as in :func:`fit_shinbo`).
        num_steps: MU steps; default the SHINBO budget.
        gamma: MU exponent (default `"mm"`, as for :func:`fit_shinbo`).
        penalty: as for :func:`fit_shinbo` (`None`: ℓ1).

    Returns:
        A :class:`FitResult` whose history holds the objective trace.
    """
    V, scale = _prepare_data(V, rank)
    num_steps = shinbo_budget() if num_steps is None else num_steps
    key_init, _ = jax.random.split(key)
    W, H = init_factors(key_init, V, rank)
    lam = jnp.broadcast_to(jnp.asarray(lam, V.dtype), (rank,))
    penalty = _resolve_penalty(penalty)
    sol = solve(V, W, H, lam, num_steps=num_steps, gamma=gamma, penalty=penalty)
    return FitResult(
        sol.W, sol.H * scale, lam, dict(divergence=sol.divergence / V.size)
    )


def fit_mu(
    V: ArrayLike,
    rank: int,
    *,
    key: Array,
    num_steps: int | None = None,
    gamma: str | float = DEFAULT_GAMMA,
) -> FitResult:
    """Plain IS-NMF by MU (λ = 0): :func:`fit_fixed_penalty` with λ = 0.

    Args:
        V: power spectrogram, F × N, nonnegative.
        rank: K, the number of components.
        key: `jax.random` key of the initialisation (the same rule as
            :func:`fit_shinbo`, so equal keys give equal starts).
        num_steps: MU steps; default the SHINBO budget (:func:`shinbo_budget`).
        gamma: MU exponent (default `"mm"`, as for :func:`fit_shinbo`).

    Returns:
        A :class:`FitResult` with λ = 0 and the objective trace under
        `history["divergence"]`.
    """
    return fit_fixed_penalty(V, rank, 0.0, key=key, num_steps=num_steps, gamma=gamma)


def grid_search(
    V: ArrayLike,
    rank: int,
    lams: ArrayLike,
    *,
    key: Array,
    num_steps: int | None = None,
    select: str | OuterObjective = "holdout",
    holdout_fraction: float = 0.2,
    holdout_edges: bool = True,
    gamma: str | float = DEFAULT_GAMMA,
    penalty: Penalty | None = None,
) -> tuple[FitResult, Array]:
    """Fit every λ of a grid in one vmapped call and keep the best.

    Each grid point runs `num_steps` MU steps on the training bins from the same
    initialisation; the points are scored by `select` (an outer objective, as
    in :func:`fit_shinbo`); the best λ is refitted on all bins.

    Args:
        V: power spectrogram, F × N.
        rank: K.
        lams: grid, shape (G,) for scalar penalties or (G, K) for row-wise ones.
        key: `jax.random` key (same roles as in :func:`fit_shinbo`).
        num_steps: MU steps per grid point; default the SHINBO budget.
        select: objective used to score the grid points (lower is better).
        holdout_fraction: share of bins held out.
        holdout_edges: as for :func:`fit_shinbo`.
        gamma: MU exponent (default `"mm"`, as for :func:`fit_shinbo`).
        penalty: as for :func:`fit_shinbo` (`None`: ℓ1).

    Returns:
        `(best, scores)`: the refitted :class:`FitResult` at the best λ and the
        score of every grid point.
    """
    V, scale = _prepare_data(V, rank)
    penalty = _resolve_penalty(penalty)
    num_steps = shinbo_budget() if num_steps is None else num_steps
    key_init, key_split = jax.random.split(key)
    W, H = init_factors(key_init, V, rank)
    outer_fn, holds_out = resolve_outer(select)
    validation = (
        _split_bins(key_split, V.shape, holdout_fraction, V.dtype, holdout_edges)
        if holds_out
        else jnp.zeros_like(V)
    )
    grid = jnp.asarray(lams, V.dtype)
    grid = grid[:, None] * jnp.ones(rank, V.dtype) if grid.ndim == 1 else grid

    @jax.jit
    def score(lam):
        sol = solve(
            V, W, H, lam, num_steps=num_steps, gamma=gamma, mask=1.0 - validation,
            track_objective=False, throw=False, penalty=penalty,
        )  # fmt: skip
        return outer_fn(sol.W, sol.H, lam, V, validation)

    scores = jax.vmap(score)(grid)
    best = grid[jnp.argmin(scores)]
    sol = solve(V, W, H, best, num_steps=num_steps, gamma=gamma, penalty=penalty)
    history = dict(divergence=sol.divergence / V.size)
    return FitResult(sol.W, sol.H * scale, best, history), scores
