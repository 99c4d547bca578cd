r"""β-divergences and the numerical floors shared by the solver.

The β-divergence between a data entry $v$ and a model entry $\hat v$ is

$$
d_\beta(v \mid \hat v) =
\begin{cases}
\frac{v}{\hat v} - \log\frac{v}{\hat v} - 1 & \beta = 0
    \text{ (Itakura-Saito)}\\
v \log\frac{v}{\hat v} - v + \hat v & \beta = 1
    \text{ (generalised Kullback-Leibler)}\\
\frac{v^\beta + (\beta - 1)\hat v^\beta - \beta v \hat v^{\beta - 1}}
     {\beta(\beta - 1)} & \text{otherwise } (\beta = 2: \tfrac12 (v - \hat v)^2)
\end{cases}
$$

References:
    C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization with
    the β-divergence", Neural Computation 23(9), 2011. doi:10.1162/NECO_a_00168
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike, DTypeLike

__all__ = ["beta_divergence", "default_eps", "floor", "relative_floor"]


def default_eps(dtype: DTypeLike) -> float:
    r"""The default positivity floor of :func:`beta_divergence` for a dtype.

    $\epsilon = t^{1/3}$ with $t$ the smallest normal number of the dtype (about
    2.3e-13 in float32 and 2.8e-103 in float64): the smallest floor for which
    $\hat v^{-3}$, the largest negative power that the Itakura-Saito updates and
    their tangents use, stays representable. It changes data at ordinary scales
    not at all.

    Args:
        dtype: a floating dtype.

    Returns:
        The floor as a Python float.

    Examples:
        >>> import jax.numpy as jnp
        >>> f"{default_eps(jnp.float32):.2e}", f"{default_eps(jnp.float64):.2e}"
        ('2.27e-13', '2.81e-103')
    """
    return float(jnp.finfo(dtype).tiny) ** (1.0 / 3.0)


def relative_floor(V: Array) -> Array:
    r"""The solver's default floor: $\epsilon = \varepsilon_{\text{mach}}\,\bar V$.

    Machine epsilon of V's dtype times the mean of V (plus the smallest normal
    number, so an all-zero V still gets a positive floor). Below it a bin is
    indistinguishable from zero at the precision of the typical bin, and because
    it scales with V the multiplicative updates stay exactly scale-equivariant.
    In float32 it keeps $\hat V^{-2}$ and the products of the quotient rule in
    forward mode far from overflow (about 1e14 and 1e28 relative to the data).

    Args:
        V: the data (possibly traced).

    Returns:
        A scalar array of V's dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> V = jnp.full((2, 3), 4.0, dtype=jnp.float32)
        >>> float(relative_floor(V)) == 4.0 * float(jnp.finfo(jnp.float32).eps)
        True
    """
    finfo = jnp.finfo(V.dtype)
    return finfo.eps * jnp.mean(V) + finfo.tiny


def floor(x: Array, eps: float | Array) -> Array:
    """`max(x, eps)` whose derivative is 1 above the floor and 0 at or below it.

    `jnp.maximum` splits the derivative in half at a tie; a `where` gives the
    one-sided derivative that the hand-derived tangents of the solver assume.

    Args:
        x: array to floor.
        eps: the floor (positive).

    Returns:
        The floored array, same dtype as `x`.
    """
    return jnp.where(x > eps, x, jnp.asarray(eps, x.dtype))


def _pointwise(V: Array, V_hat: Array, beta: float) -> Array:
    """d_β(V | V̂) entry by entry, for already floored positive V and V̂."""
    if beta == 0.0:
        ratio = V / V_hat
        return ratio - jnp.log(ratio) - 1.0
    if beta == 1.0:
        return V * jnp.log(V / V_hat) - V + V_hat
    if beta == 2.0:
        return 0.5 * (V - V_hat) ** 2
    scale = 1.0 / (beta * (beta - 1.0))
    return scale * (
        V**beta + (beta - 1.0) * V_hat**beta - beta * V * V_hat ** (beta - 1)
    )


def beta_divergence(
    V: ArrayLike,
    V_hat: ArrayLike,
    beta: float = 0.0,
    *,
    mask: ArrayLike | None = None,
    eps: float | None = None,
) -> Array:
    r"""The β-divergence between data and model, summed over entries.

    $$
    D_\beta(V \mid \hat V) = \sum_{f,n} M_{fn}\,
        d_\beta(V_{fn} \mid \hat V_{fn}), \qquad
    d_\beta(v \mid \hat v) = \frac{v^\beta + (\beta - 1)\hat v^\beta
        - \beta v \hat v^{\beta - 1}}{\beta(\beta - 1)},
    $$

    with the limits $d_0 = v/\hat v - \log(v/\hat v) - 1$ (Itakura-Saito) and
    $d_1 = v \log(v/\hat v) - v + \hat v$ (generalised Kullback-Leibler). β = 0
    is the divergence used by SHINBO, which is scale invariant:
    $D_0(cV \mid c\hat V) = D_0(V \mid \hat V)$ for any $c > 0$.

    Args:
        V: data, nonnegative, any shape.
        V_hat: model, nonnegative, same shape as `V`.
        beta: the β of the divergence (a Python float: 0 Itakura-Saito,
            1 Kullback-Leibler, 2 half squared Euclidean).
        mask: optional weights $M$ of the same shape (0/1 for a train or
            validation split, or any nonnegative weights). `None` means all ones.
        eps: positivity floor applied to `V_hat` (and to `V` where a logarithm or a
            negative power of it is taken, i.e. for β ≤ 1). Protects the logarithm
            and the division; derivatives are exact above the floor and zero below.
            `None` uses :func:`default_eps` of the dtype.

    Returns:
        A scalar of the inputs' floating dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> V = jnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> float(beta_divergence(V, V, beta=0.0))
        0.0
        >>> float(beta_divergence(2 * V, V, beta=0.0))  # 4 × (2 − log 2 − 1)
        1.2274112...

    References:
        C. Févotte, N. Bertin and J.-L. Durrieu, "Nonnegative matrix factorization
        with the Itakura-Saito divergence: with application to music analysis",
        Neural Computation 21(3), 2009. doi:10.1162/neco.2008.04-08-771
    """
    V, V_hat = jnp.asarray(V), jnp.asarray(V_hat)
    dtype = jnp.result_type(V, V_hat, float)
    V, V_hat = V.astype(dtype), V_hat.astype(dtype)
    eps = default_eps(dtype) if eps is None else eps
    V_hat = floor(V_hat, eps)
    if beta <= 1.0:
        V = floor(V, eps)
    terms = _pointwise(V, V_hat, float(beta))
    if mask is not None:
        terms = jnp.asarray(mask, dtype) * terms
    return jnp.sum(terms)
