r"""Hypergradients: derivatives of an outer objective through T MU steps.

Replacing the inner argmin by T iterates $H_t = \Phi(H_{t-1}; W, \lambda)$ gives the
bi-level problem $\min_\lambda f(\lambda) = E(W_T, H_T(\lambda), \lambda)$
(Franceschi, Donini, Frasconi and Pontil, ICML 2017). Forward mode propagates the
sensitivities $Z_t = dH_t / d\lambda$,

$$
Z_0 = 0, \qquad Z_t = A_t Z_{t-1} + B_t, \qquad
A_t = \partial\Phi/\partial H, \quad B_t = \partial\Phi/\partial\lambda,
\qquad \nabla_\lambda f = Z_T^\top \nabla_H E + \partial E/\partial\lambda,
$$

which is exactly what `jax.jvp` through the `lax.scan` of the solver computes, one
tangent per penalty: memory does not grow with T. Reverse mode gives the same
numbers with memory growing with T.

References:
    L. Franceschi, M. Donini, P. Frasconi and M. Pontil, "Forward and reverse
    gradient-based hyperparameter optimization", ICML 2017. arXiv:1703.01785
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from ._divergence import floor, relative_floor
from ._solver import NonFiniteError, solve
from ._updates import _power, guard, mu_exponent, mu_weights
from ._validate import is_concrete

__all__ = ["explicit_forward_hypergradient", "hypergradient"]

OuterFn = Callable[[Array, Array, Array], Array]


def _check_finite(value: Array, grad: Array) -> None:
    if is_concrete(grad) and not (
        np.all(np.isfinite(np.asarray(value))) and np.all(np.isfinite(np.asarray(grad)))
    ):
        raise NonFiniteError(
            "hypergradient produced NaN or inf; check the scale of V (normalise "
            "it), the outer objective, or use fewer inner steps."
        )


def hypergradient(
    outer: OuterFn,
    V: ArrayLike,
    W: ArrayLike,
    H: ArrayLike,
    lam: ArrayLike,
    *,
    num_steps: int,
    mode: str = "forward",
    update_W: bool = False,
    **solver_options,
) -> tuple[Array, Array]:
    r"""Value and gradient of $f(\lambda) = E(W_T, H_T(\lambda), \lambda)$.

    $W_T, H_T$ are the output of :func:`solve` run for `num_steps` steps from
    (W, H) with penalties λ. With `update_W=False` (the default, the alternation
    schedule) only H moves inside the differentiated dynamics; with True, W is
    updated (and normalised) inside them too and the gradient is that of the
    joint T-step map.

    Args:
        outer: the outer objective $E$, any differentiable scalar function
            `outer(W_T, H_T, lam)`; close over V or masks it needs.
        V, W, H: data and initial factors, as for :func:`solve`.
        lam: the penalties λ; a scalar is broadcast to length K. The gradient is
            always a length-K vector.
        num_steps: T, the number of inner MU steps differentiated through.
        mode: `"forward"`: one `jax.jvp` through the scan with the K tangents
            batched together (memory independent of T); `"reverse"`:
            `jax.value_and_grad` through the scan (memory grows with T), for
            comparison.
        update_W: whether W moves inside the differentiated dynamics.
        **solver_options: passed to :func:`solve` (`beta`, `gamma`, `mask`, `eps`,
            `normalize_W`, `penalty`).

    Returns:
        `(value, grad)`: $f(\lambda)$ and $\nabla_\lambda f$ (shape (K,)).

    Raises:
        ValueError: for an unknown `mode` (and every input error of `solve`).
        NonFiniteError: when the value or the gradient is not finite.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from shinbo_jax import init_factors
        >>> V = jax.random.exponential(jax.random.key(0), (12, 30)) + 0.1
        >>> W, H = init_factors(jax.random.key(1), V, 2)
        >>> sparsity = lambda W, H, lam: jnp.sum(H)
        >>> value, grad = hypergradient(sparsity, V, W, H, 0.1, num_steps=20)
        >>> grad.shape, bool(jnp.all(grad < 0))  # more penalty, smaller H
        ((2,), True)

    References:
        L. Franceschi, M. Donini, P. Frasconi and M. Pontil, "Forward and reverse
        gradient-based hyperparameter optimization", ICML 2017. arXiv:1703.01785
    """
    rank = jnp.shape(W)[1]
    dtype = jnp.result_type(jnp.asarray(V), jnp.asarray(W), jnp.asarray(H), float)
    lam = jnp.broadcast_to(jnp.asarray(lam, dtype), (rank,))
    options = dict(solver_options, track_objective=False, throw=False)

    def objective(lam_vector: Array) -> Array:
        solution = solve(
            V, W, H, lam_vector, num_steps=num_steps, update_W=update_W, **options
        )
        return outer(solution.W, solution.H, lam_vector)

    if mode == "forward":
        value, grad = _forward(objective, lam)
    elif mode == "reverse":
        value, grad = jax.value_and_grad(objective)(lam)
    else:
        raise ValueError(
            f"`mode` must be 'forward' or 'reverse', got {mode!r}; forward mode "
            "keeps memory flat in num_steps."
        )
    _check_finite(value, grad)
    return value, grad


def _forward(objective: Callable[[Array], Array], lam: Array) -> tuple[Array, Array]:
    """All K directional derivatives of `objective` in one batched `jax.jvp`."""
    basis = jnp.eye(lam.shape[0], dtype=lam.dtype)

    def directional(tangent: Array) -> tuple[Array, Array]:
        return jax.jvp(objective, (lam,), (tangent,))

    return jax.vmap(directional, out_axes=(None, 0))(basis)


def explicit_forward_hypergradient(
    outer: OuterFn,
    V: ArrayLike,
    W: ArrayLike,
    H: ArrayLike,
    lam: ArrayLike,
    *,
    num_steps: int,
    beta: float = 0.0,
    gamma: str | float = "mm",
    mask: ArrayLike | None = None,
    eps: float | None = None,
) -> tuple[Array, Array]:
    r"""The forward recursion $Z_t = A_t Z_{t-1} + B_t$ written out by hand.

    An independent check of :func:`hypergradient` for a fixed W and the ℓ1
    penalty, with no autodiff through the dynamics. With
    $\hat V = \max(WH, \epsilon)$, $R = P \oslash Q$ and a tangent Δ of H:

    $$
    d\hat V = W\Delta \ (0 \text{ where floored}),\quad
    dP = (\beta - 2) W^\top(M V \hat V^{\beta-3} d\hat V),\quad
    dQ = (\beta - 1) W^\top(M \hat V^{\beta-2} d\hat V),
    $$
    $$
    A_t[\Delta] = \Delta \odot R^\gamma
        + \gamma H \odot R^{\gamma-1} \odot (dP - R \odot dQ) \oslash Q, \qquad
    (B_t)_{k,:} = -\gamma\, \Phi_{k,:} \oslash Q_{k,:}.
    $$

    Args:
        outer: `outer(W, H_T, lam)`, differentiable in H and λ.
        V, W, H, lam: as for :func:`hypergradient` (W is kept fixed).
        num_steps: T.
        beta, gamma, mask, eps: as for :func:`solve`.

    Returns:
        `(value, grad)` with grad of shape (K,).

    References:
        L. Franceschi, M. Donini, P. Frasconi and M. Pontil, "Forward and reverse
        gradient-based hyperparameter optimization", ICML 2017. arXiv:1703.01785
    """
    V, W, H = (jnp.asarray(a) for a in (V, W, H))
    rank = W.shape[1]
    lam = jnp.broadcast_to(jnp.asarray(lam, H.dtype), (rank,))
    gamma = mu_exponent(gamma, beta)
    eps = relative_floor(V) if eps is None else jnp.asarray(eps, V.dtype)
    mask = None if mask is None else jnp.asarray(mask, V.dtype)
    weight = 1.0 if mask is None else mask

    def step(carry, _):
        H, Z = carry  # Z: (K tangents, K, N)
        product = W @ H
        V_hat = floor(product, eps)
        num_weight, den_weight = mu_weights(V, V_hat, beta, mask)
        den_weight = weight * jnp.ones_like(V) if den_weight is None else den_weight
        P = W.T @ num_weight
        Q_raw = W.T @ den_weight + lam[:, None]
        Q = guard(Q_raw)
        R = P / Q
        Phi = H * _power(R, gamma)
        # Tangent of V̂ for every tangent of H; zero where the model is floored.
        dV_hat = jnp.where(product > eps, jnp.einsum("fk,tkn->tfn", W, Z), 0.0)
        dP_weight = (beta - 2.0) * weight * V * _power(V_hat, beta - 3.0)
        dQ_weight = (beta - 1.0) * weight * _power(V_hat, beta - 2.0)
        dP = jnp.einsum("fk,tfn->tkn", W, dP_weight * dV_hat)
        dQ = jnp.where(
            Q_raw == Q, jnp.einsum("fk,tfn->tkn", W, dQ_weight * dV_hat), 0.0
        )
        A_Z = (
            Z * _power(R, gamma)
            + gamma * H * _power(R, gamma - 1.0) * (dP - R * dQ) / Q
        )
        # B_t: ∂Φ/∂λ_k is nonzero in row k only.
        B = -gamma * jnp.where(Q_raw == Q, Phi / Q, 0.0)
        B_rows = jnp.eye(rank, dtype=H.dtype)[:, :, None] * B[None]
        return (Phi, A_Z + B_rows), None

    Z0 = jnp.zeros((rank,) + H.shape, H.dtype)
    (H_T, Z_T), _ = jax.lax.scan(step, (H, Z0), None, length=num_steps)
    value, (grad_H, grad_lam) = jax.value_and_grad(outer, argnums=(1, 2))(W, H_T, lam)
    return value, jnp.einsum("tkn,kn->t", Z_T, grad_H) + grad_lam
