r"""`solve`: penalised β-NMF by multiplicative updates, as one `lax.scan`.

The problem (W columns normalised to unit ℓ1 norm when `normalize_W`):

$$
\min_{W \ge 0,\ H \ge 0}\ D_\beta(V \mid WH) + \mathcal P(H; \lambda),
\qquad \mathcal P(H; \lambda) = \sum_k \lambda_k \|h_k\|_1 \text{ by default.}
$$

One step of the scan is: update W (optional), normalise W (optional), update H;
the updates are those of `_updates.py`. The solver is a pure function of arrays:
it can be jitted, vmapped and differentiated (forward or reverse mode) like any
other JAX function.
"""

from __future__ import annotations

import dataclasses
import functools as ft
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from ._divergence import beta_divergence, floor, relative_floor
from ._tangents import UpdateRules, _plain_update, update_H_from_factors
from ._updates import (
    L1Penalty,
    Penalty,
    mu_exponent,
    normalize_columns,
    update_W,
)
from ._validate import (
    as_float_array,
    as_penalty_vector,
    check_beta,
    check_factor_shapes,
    check_matrix,
    check_nonnegative_finite,
    check_positive_float,
    check_positive_int,
    is_concrete,
)

__all__ = ["NonFiniteError", "Solution", "SolverConfig", "init_factors", "solve"]


class NonFiniteError(FloatingPointError):
    """A solver produced NaN or inf; the message says where and what to try.

    Raised by :func:`solve`, :func:`shinbo_jax.hypergradient` and
    :func:`shinbo_jax.fit_shinbo` on concrete results; inside `jax.jit` the
    check goes through `equinox.error_if`, whose error carries the same message.
    """


class Solution(eqx.Module):
    """The result of :func:`solve`.

    Attributes:
        W: spectral profiles, F × K (unit ℓ1 columns when `normalize_W`).
        H: activations, K × N.
        objective: penalised objective $D_\\beta(V \\mid WH) + \\mathcal P(H)$ after
            every step, shape (num_steps,); empty when `track_objective=False`.
        divergence: the divergence part alone, same shape as `objective`.
        finite: scalar bool, True when W, H and the objective trace are finite.
    """

    W: Array
    H: Array
    objective: Array
    divergence: Array
    finite: Array


@dataclasses.dataclass(frozen=True)
class SolverConfig:
    """Static settings of the MU scan (hashable, so a `jax.jit` static argument).

    See :func:`solve` for the meaning of each field; `gamma` is already resolved
    to a float here. The floor `eps` is an array argument, not a setting, since
    its default depends on the data.
    """

    num_steps: int
    beta: float = 0.0
    gamma: float = 0.5
    update_W: bool = True
    normalize_W: bool = True
    penalty: Penalty = L1Penalty()
    track_objective: bool = True
    structured_tangents: bool = True


class _Carry(NamedTuple):
    W: Array
    H: Array


def _model(W: Array, H: Array, eps: Array) -> Array:
    return floor(W @ H, eps)


def mu_step(
    carry: _Carry,
    V: Array,
    lam: Array,
    mask: Array | None,
    eps: Array,
    config: SolverConfig,
) -> _Carry:
    """One step of the scheme: W update and normalisation (if enabled), H update."""
    W, H = carry
    if config.update_W:
        W = update_W(
            V, W, H, _model(W, H, eps), lam, beta=config.beta, gamma=config.gamma,
            penalty=config.penalty, mask=mask, lifted=config.normalize_W,
        )  # fmt: skip
        if config.normalize_W:
            W, H = normalize_columns(W, H)
    rules = UpdateRules(config.beta, config.gamma, config.penalty)
    if config.structured_tangents:
        H = update_H_from_factors(V, W, H, lam, mask, eps, rules)
    else:
        H = _plain_update(V, W, H, lam, mask, eps, rules)
    return _Carry(W, H)


def _trace(carry: _Carry, V, lam, mask, eps, config: SolverConfig):
    V_hat = _model(carry.W, carry.H, eps)
    divergence = beta_divergence(V, V_hat, config.beta, mask=mask, eps=eps)
    return divergence + config.penalty(carry.H, lam), divergence


@ft.partial(jax.jit, static_argnames="config")
def _solve(V, W, H, lam, mask, eps, config: SolverConfig) -> Solution:
    if config.update_W and config.normalize_W:
        W, H = normalize_columns(W, H)

    def body(carry, _):
        carry = mu_step(carry, V, lam, mask, eps, config)
        if not config.track_objective:
            return carry, None
        return carry, _trace(carry, V, lam, mask, eps, config)

    init = _Carry(W, H)
    final, trace = jax.lax.scan(body, init, None, length=config.num_steps)
    if trace is None:
        empty = jnp.zeros((0,), V.dtype)
        trace = (empty, empty)
    finite = (
        jnp.all(jnp.isfinite(final.W))
        & jnp.all(jnp.isfinite(final.H))
        & jnp.all(jnp.isfinite(trace[0]))
    )
    return Solution(final.W, final.H, trace[0], trace[1], finite)


_V_FIX = "pass a power spectrogram |X|² (finite, ≥ 0) or clip with jnp.maximum(V, 0)."


def _prepare(V, W, H, lam, mask, num_steps, eps):
    """Validate and convert the inputs; return arrays of one dtype and the floor."""
    V = as_float_array(V, "V")
    W = as_float_array(W, "W")
    H = as_float_array(H, "H")
    rank = check_factor_shapes(V, W, H)
    check_positive_int(num_steps, "num_steps", "run at least one MU step.")
    dtype = jnp.result_type(V, W, H)
    check_nonnegative_finite(V, "V", _V_FIX)
    fix = "start from init_factors(key, V, rank) or clip with jnp.maximum(., 0)."
    check_nonnegative_finite(W, "W", fix)
    check_nonnegative_finite(H, "H", fix)
    lam = as_penalty_vector(lam, rank, dtype)
    if mask is not None:
        mask = as_float_array(mask, "mask").astype(dtype)
        if mask.shape != V.shape:
            raise ValueError(
                f"`mask` must have the shape of `V` {V.shape}, got {mask.shape}; "
                "pass one weight per time-frequency bin."
            )
        check_nonnegative_finite(mask, "mask", "use 0/1 or nonnegative weights.")
    if eps is None:
        eps = relative_floor(V.astype(dtype))
    else:
        fix = "the floor must be a small number > 0."
        eps = jnp.asarray(check_positive_float(eps, "eps", fix), dtype)
    return V.astype(dtype), W.astype(dtype), H.astype(dtype), lam, mask, eps


def _report_nonfinite(solution: Solution, throw: bool) -> Solution:
    message = (
        "solve produced NaN or inf in W, H or the objective; check the scale of V "
        "(normalise it, e.g. V / V.mean()), raise `eps`, or use gamma='mm'."
    )
    if not throw:
        return solution
    if is_concrete(solution.finite):
        if not bool(np.all(np.asarray(solution.finite))):
            raise NonFiniteError(message)
        return solution
    return eqx.error_if(solution, ~solution.finite, message)


def solve(
    V: ArrayLike,
    W: ArrayLike,
    H: ArrayLike,
    lam: ArrayLike,
    *,
    num_steps: int,
    beta: float = 0.0,
    gamma: str | float = "mm",
    update_W: bool = True,
    normalize_W: bool = True,
    mask: ArrayLike | None = None,
    eps: float | None = None,
    penalty: Penalty | None = None,
    track_objective: bool = True,
    structured_tangents: bool = True,
    throw: bool = True,
) -> Solution:
    r"""Penalised β-NMF $V \approx WH$ by `num_steps` multiplicative updates.

    Minimises $D_\beta(V \mid WH) + \sum_k \lambda_k \|h_k\|_1$ (or another
    `penalty`) over W, H ≥ 0. Each step updates W, normalises its columns to unit
    ℓ1 norm (moving the scale into H), then updates H:

    $$
    H \leftarrow H \odot \Big(\frac{W^\top(V \odot \hat V^{\beta-2})}
        {W^\top \hat V^{\beta-1} + \lambda 1^\top}\Big)^{\gamma},
    \qquad \hat V = \max(WH, \epsilon).
    $$

    The loop is one `jax.lax.scan`; the function is pure, so `jax.jit`,
    `jax.vmap` (over λ, initialisations or same-shape spectrograms), `jax.jvp` and
    `jax.grad` all apply to it.

    Args:
        V: data, F × N, nonnegative (a power spectrogram for IS-NMF).
        W: initial spectral profiles, F × K, nonnegative.
        H: initial activations, K × N, nonnegative.
        lam: penalty weights λ, a scalar (same for every row) or a length-K vector
            (one per row of H), all ≥ 0.
        num_steps: number of MU steps T (static: a new value retraces).
        beta: β of the divergence (0 Itakura-Saito, 1 KL, 2 Euclidean); static.
        gamma: MU exponent: `"mm"` (default, monotone: 1/2 for IS),
            `"heuristic"` (1) or a positive float; see :func:`mu_exponent`.
        update_W: update W (True) or keep it fixed and only update H (False).
        normalize_W: keep the columns of W at unit ℓ1 norm, so that the penalty on
            H cannot be absorbed into the scale of W. Ignored when `update_W` is
            False (a fixed W is used as given).
        mask: optional F × N weights M (0/1 to fit only some bins); every V and
            V̂ term of the updates and the divergence is multiplied by M.
        eps: absolute floor for V̂ = WH, V and the update denominators. `None`
            (default) uses machine epsilon of the dtype times the mean of V
            (:func:`relative_floor`), which keeps the solver exactly
            scale-equivariant: V → cV gives the same W, H → cH and λ → λ/c.
            Keeps every ratio, logarithm and tangent finite; derivatives are
            exact above the floor.
        penalty: the penalty; `None` means :class:`L1Penalty`.
        track_objective: record the objective after every step (costs one
            elementwise pass with a logarithm per step).
        structured_tangents: differentiate the H update with the JVP of
            `_tangents.py`, which does the work shared by all tangents once
            (forward-mode hypergradients then cost far less than K primal
            solves). False uses plain autodiff; both agree to round-off.
        throw: raise :class:`NonFiniteError` when the result holds NaN or inf
            (inside jit: through `equinox.error_if`). With False, check
            `Solution.finite` yourself.

    Returns:
        A :class:`Solution` with `W`, `H`, the `objective` and `divergence` traces
        and the `finite` flag. Float32 inputs give float32 outputs, float64
        give float64.

    Raises:
        ValueError, TypeError: for inputs of the wrong shape or value, naming the
            parameter, the value received and the fix.
        NonFiniteError: when `throw` and the result is not finite.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> V = jax.random.exponential(jax.random.key(0), (16, 40)) + 0.1
        >>> W, H = init_factors(jax.random.key(1), V, 2)
        >>> sol = solve(V, W, H, lam=0.1, num_steps=50)
        >>> bool(sol.objective[-1] <= sol.objective[0])
        True

    References:
        C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization
        with the β-divergence", Neural Computation 23(9), 2011.
        C. Févotte, N. Bertin and J.-L. Durrieu, "Nonnegative matrix factorization
        with the Itakura-Saito divergence", Neural Computation 21(3), 2009.
    """
    V, W, H, lam, mask, eps = _prepare(V, W, H, lam, mask, num_steps, eps)
    beta = check_beta(beta)
    config = SolverConfig(
        num_steps=num_steps,
        beta=beta,
        gamma=mu_exponent(gamma, beta),
        update_W=bool(update_W),
        normalize_W=bool(normalize_W),
        penalty=L1Penalty() if penalty is None else penalty,
        track_objective=bool(track_objective),
        structured_tangents=bool(structured_tangents),
    )
    return _report_nonfinite(_solve(V, W, H, lam, mask, eps, config), throw)


def init_factors(
    key: Array, V: ArrayLike, rank: int, *, method: str = "random"
) -> tuple[Array, Array]:
    r"""Random nonnegative initial factors for `solve`.

    `"random"` draws $W, H = |\mathcal N(0, 1)| \sqrt{\bar V / K}$ (the rule of
    scikit-learn's `init="random"`, with $\bar V$ the mean of V), then scales the
    columns of W to unit ℓ1 norm and moves the scale into H, so WH is unchanged.

    Args:
        key: a `jax.random` key.
        V: data, F × N (only its shape, mean and dtype are used).
        rank: K ≥ 1, the number of components.
        method: only `"random"` for now.

    Returns:
        `(W, H)` of shapes F × K and K × N, in V's floating dtype.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> W, H = init_factors(jax.random.key(0), jnp.ones((5, 7)), 3)
        >>> W.shape, H.shape, bool(jnp.allclose(W.sum(axis=0), 1.0))
        ((5, 3), (3, 7), True)

    References:
        F. Pedregosa et al., "Scikit-learn: machine learning in Python", JMLR 12
        (2011) 2825–2830 (`sklearn.decomposition.NMF`, `init="random"`).
    """
    V = as_float_array(V, "V")
    check_matrix(V, "V")
    rank = check_positive_int(rank, "rank", "use rank ≥ 1 (K = 2: SOI + noise).")
    # TODO(shinbo-jax maintainers): only scikit-learn's random rule is
    #   implemented, so every run depends on the key; way out: add the
    #   deterministic NNDSVD/NNDSVDa rules (Boutsidis & Gallopoulos 2008) as
    #   further `method` values and test them like "random".
    if method != "random":
        raise ValueError(
            f"`method` must be 'random', got {method!r}; only the random rule of "
            "scikit-learn's NMF is implemented."
        )
    n_freq, n_frames = V.shape
    scale = jnp.sqrt(jnp.mean(V) / rank)
    key_W, key_H = jax.random.split(key)
    W = scale * jnp.abs(jax.random.normal(key_W, (n_freq, rank), V.dtype))
    H = scale * jnp.abs(jax.random.normal(key_H, (rank, n_frames), V.dtype))
    return normalize_columns(W, H)
