r"""One multiplicative-update (MU) step for W and for H: the only place the update
formulas live.

With $\hat V = \max(WH, \epsilon)$, a mask (weights) $M$ and the penalty gradient
$G = \partial \mathcal P / \partial H$ split into its positive and negative parts
$G^+ - G^-$, the penalised β-MU for H is (Févotte & Idier 2011, eq. 4.1 with the
penalty in the denominator as in Lee & Seung's heuristic)

$$
P = W^\top (M \odot V \odot \hat V^{\beta - 2}) + G^-, \qquad
Q = W^\top (M \odot \hat V^{\beta - 1}) + G^+, \qquad
H \leftarrow H \odot (P \oslash Q)^{\gamma}.
$$

For the ℓ1 penalty $\mathcal P(H) = \sum_k \lambda_k \|h_k\|_1$ this is row k of Q
plus $\lambda_k$. W is updated the same way with the roles transposed. When the
columns of W are kept at unit ℓ1 norm, the W update minimises the scale-invariant
lifted objective $D(V \mid WH) + \mathcal P(\operatorname{diag}(s) H)$ with
$s_k = \|w_k\|_1$: its gradient adds $c_k = \sum_n G_{kn} H_{kn}$ to column k of
the W denominator (positive part) or numerator (negative part). Normalising W
afterwards leaves that objective unchanged, so with the MM exponent every step
of the alternating scheme is monotone.

References:
    C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization with
    the β-divergence", Neural Computation 23(9), 2011.
    A. Lefèvre, F. Bach and C. Févotte, "Itakura-Saito nonnegative matrix
    factorization with group sparsity", ICASSP 2011 (normalised W, penalised H).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array

from ._divergence import floor

__all__ = [
    "DiversityPenalty",
    "L1Penalty",
    "Penalty",
    "mu_exponent",
    "normalize_columns",
    "update_H",
    "update_W",
]


class Penalty(eqx.Module):
    r"""A row-wise penalty $\mathcal P(H; \lambda)$ on the activations.

    Subclasses implement `__call__(H, lam)` (the value, a scalar) and may override
    `gradient(H, lam)` (∂P/∂H, shape K × N); the default takes it by autodiff.
    The MU step splits the gradient $G = G^+ - G^-$ and puts the positive part
    into the denominator and the negative part into the numerator,

    $$
    H \leftarrow H \odot \Big(\frac{W^\top(V \odot \hat V^{\beta-2}) + G^-}
        {W^\top \hat V^{\beta-1} + G^+}\Big)^{\gamma},
    $$

    so any differentiable penalty plugs in; the MM monotonicity guarantee holds
    for penalties linear in H (ℓ1).

    Examples:
        A squared ℓ2 (ridge) penalty, its gradient taken by autodiff:

        >>> import jax.numpy as jnp
        >>> class Ridge(Penalty):
        ...     def __call__(self, H, lam):
        ...         return 0.5 * jnp.sum(lam[:, None] * H**2)
        >>> H = jnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> Ridge().gradient(H, jnp.array([1.0, 0.5])).tolist()
        [[1.0, 2.0], [1.5, 2.0]]

    References:
        C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization
        with the β-divergence", Neural Computation 23(9), 2011 (the MU and its
        MM exponent).
    """

    def __call__(self, H: Array, lam: Array) -> Array:
        """The penalty value, a scalar; subclasses must implement it."""
        raise NotImplementedError

    def gradient(self, H: Array, lam: Array) -> Array:
        """∂P/∂H at (H, λ), shape K × N."""
        return jax.grad(self.__call__)(H, lam)


class L1Penalty(Penalty):
    r"""One ℓ1 sparsity weight per row of H: the default penalty.

    $$
    \mathcal P(H; \lambda) = \sum_k \lambda_k \|h_k\|_1
        = \sum_{k,n} \lambda_k H_{kn} \quad (H \ge 0),
    \qquad \frac{\partial \mathcal P}{\partial H_{kn}} = \lambda_k,
    $$

    so row k of the MU denominator gets $+\lambda_k$.

    Examples:
        >>> import jax.numpy as jnp
        >>> H, lam = jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([1.0, 0.5])
        >>> float(L1Penalty()(H, lam)), L1Penalty().gradient(H, lam).tolist()
        (6.5, [[1.0, 1.0], [0.5, 0.5]])

    References:
        C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization
        with the β-divergence", Neural Computation 23(9), 2011.
        A. Lefèvre, F. Bach and C. Févotte, "Itakura-Saito nonnegative matrix
        factorization with group sparsity", ICASSP 2011 (normalised W,
        penalised H).
    """

    def __call__(self, H: Array, lam: Array) -> Array:
        return jnp.sum(lam * jnp.sum(H, axis=1))

    def gradient(self, H: Array, lam: Array) -> Array:
        """∂P/∂H: λ_k in every entry of row k, shape K × N."""
        return jnp.broadcast_to(lam[:, None], H.shape)


class DiversityPenalty(Penalty):
    r"""Penalises rows of H that are active at the same time.

    $$
    \mathcal P(H; \lambda) = \sum_k \lambda_k
        \Big\langle h_k, \sum_{l \ne k} h_l \Big\rangle .
    $$

    A coupling alternative to ℓ1 for experiments (our form; see docs/method.md);
    the MU step with it is a heuristic (no monotonicity guarantee).

    Examples:
        >>> import jax.numpy as jnp
        >>> H, lam = jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([1.0, 0.5])
        >>> float(DiversityPenalty()(H, lam))  # (1 + 0.5) × <h_1, h_2> = 1.5 × 11
        16.5
    """

    def __call__(self, H: Array, lam: Array) -> Array:
        others = jnp.sum(H, axis=0, keepdims=True) - H
        return jnp.sum(lam * jnp.sum(H * others, axis=1))


def mu_exponent(gamma: str | float, beta: float) -> float:
    r"""Resolve the MU exponent γ.

    The majorisation-minimisation exponent is

    $$
    \gamma(\beta) = \begin{cases}
        1/(2 - \beta) & \beta < 1, \\
        1 & 1 \le \beta \le 2, \\
        1/(\beta - 1) & \beta > 2.
    \end{cases}
    $$

    Args:
        gamma: `"mm"` for the majorisation-minimisation exponent of Févotte & Idier
            (2011, Table 2): $1/(2 - \beta)$ for β < 1, 1 for 1 ≤ β ≤ 2,
            $1/(\beta - 1)$ for β > 2, which guarantees a monotone decrease;
            `"heuristic"` for γ = 1, the classic update (for β = 0 the IS-NMF
            update of Févotte, Bertin & Durrieu 2009); or a positive float.
        beta: the β of the divergence.

    Returns:
        γ as a Python float.

    Raises:
        ValueError: for an unknown string or a non-positive number.

    Examples:
        >>> mu_exponent("mm", 0.0), mu_exponent("mm", 1.5), mu_exponent("mm", 3.0)
        (0.5, 1.0, 0.5)
        >>> mu_exponent("heuristic", 0.0), mu_exponent(0.8, 0.0)
        (1.0, 0.8)

    References:
        C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization
        with the β-divergence", Neural Computation 23(9), 2011 (Table 2).
        C. Févotte, N. Bertin and J.-L. Durrieu, "Nonnegative matrix factorization
        with the Itakura-Saito divergence", Neural Computation 21(3), 2009.
    """
    if isinstance(gamma, str):
        if gamma == "mm":
            if beta < 1.0:
                return 1.0 / (2.0 - beta)
            return 1.0 / (beta - 1.0) if beta > 2.0 else 1.0
        if gamma == "heuristic":
            return 1.0
        raise ValueError(
            f"`gamma` must be 'mm', 'heuristic' or a positive float, got {gamma!r}; "
            "use 'mm' for guaranteed monotone decrease."
        )
    gamma = float(gamma)
    if not gamma > 0.0:
        raise ValueError(
            f"`gamma` must be positive, got {gamma}; use 'mm' or a value in (0, 1]."
        )
    return gamma


def _power(x: Array, exponent: float) -> Array:
    """x ** exponent with the cheap forms for the common exponents."""
    if exponent == 1.0:
        return x
    if 0.0 < exponent < 1.0:
        return _safe_fractional_power(x, exponent)
    if exponent == -1.0:
        return 1.0 / x
    if exponent == -2.0:
        inverse = 1.0 / x
        return inverse * inverse
    if exponent == 0.0:
        return jnp.ones_like(x)
    return x**exponent


def _safe_fractional_power(x: Array, exponent: float) -> Array:
    """x ** exponent for 0 < exponent < 1, with derivative 0 (not inf) at x = 0.

    The MU ratio is exactly 0 where a numerator vanishes (a row of V that is all
    zeros, say); the true derivative of x^γ there is infinite and multiplies a
    zero tangent, which would give NaN. The double-`where` keeps both the value
    and the tangent finite.
    """
    positive = x > 0
    safe = jnp.where(positive, x, jnp.ones_like(x))
    powered = jnp.sqrt(safe) if exponent == 0.5 else safe**exponent
    return jnp.where(positive, powered, jnp.zeros_like(x))


def mu_weights(
    V: Array, V_hat: Array, beta: float, mask: Array | None
) -> tuple[Array, Array | None]:
    r"""The two F × N weight matrices of the β-MU: $M \odot V \odot \hat V^{\beta-2}$
    (numerator) and $M \odot \hat V^{\beta - 1}$ (denominator).

    `V_hat` must already be floored. For β = 1 without a mask the denominator
    weight is all ones and is returned as None so the caller can use a sum.
    """
    numerator = V * _power(V_hat, beta - 2.0)
    if beta == 1.0 and mask is None:
        return numerator, None
    denominator = _power(V_hat, beta - 1.0)
    if mask is not None:
        numerator, denominator = mask * numerator, mask * denominator
    return numerator, denominator


def guard(x: Array) -> Array:
    """Floor a denominator at the smallest normal number of its dtype.

    MU denominators do not have the units of V (for IS they have those of
    1/V), so they get a unitless guard against exact zeros rather than the
    data floor `eps`; it leaves every positive normal value unchanged, so the
    updates stay scale-equivariant.
    """
    return floor(x, jnp.finfo(x.dtype).tiny)


def _split(gradient: Array) -> tuple[Array, Array]:
    """Positive and negative parts (G⁺, G⁻) of a penalty gradient, G = G⁺ − G⁻."""
    return jnp.maximum(gradient, 0.0), jnp.maximum(-gradient, 0.0)


def update_H(
    V: Array,
    W: Array,
    H: Array,
    V_hat: Array,
    lam: Array,
    *,
    beta: float,
    gamma: float,
    penalty: Penalty,
    mask: Array | None,
) -> Array:
    r"""One penalised β-MU step for H (module docstring): $H \odot (P \oslash
    Q)^\gamma$, with `V_hat` the floored current model $\max(WH, \epsilon)$."""
    num_weight, den_weight = mu_weights(V, V_hat, beta, mask)
    grad_plus, grad_minus = _split(penalty.gradient(H, lam))
    # Numerator P = Wᵀ(M ⊙ V ⊙ V̂^(β−2)) + G⁻.
    numerator = W.T @ num_weight + grad_minus
    # Denominator Q = Wᵀ(M ⊙ V̂^(β−1)) + G⁺ (row k gets + λ_k for ℓ1).
    if den_weight is None:
        data_term = jnp.sum(W, axis=0)[:, None]
    else:
        data_term = W.T @ den_weight
    denominator = guard(data_term + grad_plus)
    # MM exponent γ (Févotte & Idier 2011, Table 2).
    return H * _power(numerator / denominator, gamma)


def update_W(
    V: Array,
    W: Array,
    H: Array,
    V_hat: Array,
    lam: Array,
    *,
    beta: float,
    gamma: float,
    penalty: Penalty,
    mask: Array | None,
    lifted: bool,
) -> Array:
    r"""One β-MU step for W: $W \odot ([(M \odot V \odot \hat V^{\beta-2}) H^\top]
    \oslash [(M \odot \hat V^{\beta-1}) H^\top])^\gamma$.

    With `lifted=True` (used when the columns of W are normalised) column k of the
    denominator (numerator) also gets the positive (negative) part of
    $c_k = \sum_n G_{kn} H_{kn}$, the gradient of the penalty with respect to the
    scale of $w_k$; see the module docstring.
    """
    num_weight, den_weight = mu_weights(V, V_hat, beta, mask)
    # Numerator (M ⊙ V ⊙ V̂^(β−2)) Hᵀ.
    numerator = num_weight @ H.T
    # Denominator (M ⊙ V̂^(β−1)) Hᵀ.
    if den_weight is None:
        denominator = jnp.broadcast_to(jnp.sum(H, axis=1), W.shape)
    else:
        denominator = den_weight @ H.T
    if lifted:
        scale_grad = jnp.sum(penalty.gradient(H, lam) * H, axis=1)
        grad_plus, grad_minus = _split(scale_grad)
        numerator = numerator + grad_minus
        denominator = denominator + grad_plus
    return W * _power(numerator / guard(denominator), gamma)


def normalize_columns(W: Array, H: Array) -> tuple[Array, Array]:
    r"""Scale the columns of W to unit ℓ1 norm and move the scale into H:
    $w_k \leftarrow w_k / s_k$, $h_k \leftarrow s_k h_k$, $s_k = \|w_k\|_1$.
    WH is unchanged."""
    scale = guard(jnp.sum(W, axis=0))
    return W / scale, H * scale[:, None]
