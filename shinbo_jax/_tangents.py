r"""A JVP for the H update that shares its work across all tangents.

Forward-mode hypergradients push K tangents (one per penalty λ_k) through every
H update. Plain autodiff repeats the F × N work of the update for each tangent.
The tangent of the data terms is, for a tangent Δ of H,

$$
dP_{kn} = \sum_f W_{fk}\, a_{fn}\, (W\Delta)_{fn}
        = \sum_j \Big(\sum_f W_{fk} W_{fj} a_{fn}\Big) \Delta_{jn}
        = \sum_j G^a_{kjn} \Delta_{jn},
\qquad a = (\beta - 2)\, M \odot V \odot \hat V^{\beta - 3},
$$

and likewise $dQ$ with $b = (\beta - 1)\, M \odot \hat V^{\beta - 2}$. The K × K × N
tensors $G^a, G^b$ do not depend on the tangent: they cost two matrix products
per step, after which each tangent costs only O(K² N). Tangents with respect to W,
V or the mask (joint schedule, differentiable front ends) fall back to plain
autodiff of the same update, so the function differentiates like any other.
"""

from __future__ import annotations

import functools as ft
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import Array
from jax.custom_derivatives import SymbolicZero

from ._divergence import floor
from ._updates import (
    Penalty,
    _power,
    _safe_fractional_power,
    guard,
    mu_weights,
    update_H,
)

__all__ = ["UpdateRules", "update_H_from_factors"]


class UpdateRules(NamedTuple):
    """The static part of an H update (hashable)."""

    beta: float
    gamma: float
    penalty: Penalty


def _plain_update(V, W, H, lam, mask, eps, rules: UpdateRules) -> Array:
    V_hat = floor(W @ H, eps)
    return update_H(
        V, W, H, V_hat, lam, beta=rules.beta, gamma=rules.gamma,
        penalty=rules.penalty, mask=mask,
    )  # fmt: skip


@ft.partial(jax.custom_jvp, nondiff_argnums=(6,))
def update_H_from_factors(V, W, H, lam, mask, eps, rules: UpdateRules) -> Array:
    """The H update of `_updates.update_H` with V̂ = max(WH, eps) computed inside,
    carrying the structured JVP of this module."""
    return _plain_update(V, W, H, lam, mask, eps, rules)


def _is_zero(tangent) -> bool:
    return tangent is None or isinstance(tangent, SymbolicZero)


def _instantiate(tangent, primal):
    if tangent is None or primal is None:
        return tangent
    return jnp.zeros_like(primal) if isinstance(tangent, SymbolicZero) else tangent


def _pair_products(W: Array, weights: Array) -> Array:
    """$G_{kjn} = \\sum_f W_{fk} W_{fj}\\, \\text{weights}_{fn}$, shape K × K × N."""
    n_freq, rank = W.shape
    pairs = (W[:, :, None] * W[:, None, :]).reshape(n_freq, rank * rank)
    return (pairs.T @ weights).reshape(rank, rank, -1)


def _data_tangent_weights(V, V_hat, active, mask, beta):
    """∂(numerator weight)/∂V̂ and ∂(denominator weight)/∂V̂, zero where floored."""
    weight = active if mask is None else active * mask
    a = None if beta == 2.0 else (beta - 2.0) * weight * V * _power(V_hat, beta - 3.0)
    b = None if beta == 1.0 else (beta - 1.0) * weight * _power(V_hat, beta - 2.0)
    return a, b


def _contract(G: Array | None, dH: Array) -> Array:
    if G is None:
        return jnp.zeros_like(dH)
    return jnp.einsum("kjn,jn->kn", G, dH)


def _power_tangent(R: Array, dR: Array, gamma: float) -> Array:
    """Tangent of R^γ; 0 (not NaN) where R = 0 for 0 < γ < 1."""
    if gamma == 1.0:
        return dR
    if 0.0 < gamma < 1.0:
        return gamma * _safe_fractional_power(R, gamma) / jnp.where(R > 0, R, 1.0) * dR
    return gamma * _power(R, gamma - 1.0) * dR


def _update_H_jvp(rules: UpdateRules, primals, tangents):
    V, W, H, lam, mask, eps = primals
    dV, dW, dH, dlam, dmask, deps = tangents
    # TODO(shinbo-jax maintainers): tangents in V, W, the mask or eps take plain
    #   autodiff, which repeats the F × N work for each tangent (the "joint"
    #   schedule pays it K times per step); way out: add the dW terms,
    #   dV̂ = dW H + W dH, to the shared G^a/G^b contraction and test them
    #   against plain autodiff as tests/test_hypergrad.py does for dH.
    if not all(_is_zero(t) for t in (dV, dW, dmask, deps)):
        dense = tuple(
            _instantiate(t, p) for t, p in zip(tangents, primals, strict=True)
        )
        return jax.jvp(lambda *args: _plain_update(*args, rules), primals, dense)
    dH, dlam = _instantiate(dH, H), _instantiate(dlam, lam)
    beta, gamma, penalty = rules
    product = W @ H
    active = product > eps
    V_hat = jnp.where(active, product, eps)
    num_weight, den_weight = mu_weights(V, V_hat, beta, mask)
    # Primal numerator P and denominator Q, as in `_updates.update_H`.
    grad, dgrad = jax.jvp(penalty.gradient, (H, lam), (dH, dlam))
    grad_plus, grad_minus = jnp.maximum(grad, 0.0), jnp.maximum(-grad, 0.0)
    numerator = W.T @ num_weight + grad_minus
    if den_weight is None:
        data_term = jnp.sum(W, axis=0)[:, None]
    else:
        data_term = W.T @ den_weight
    raw_denominator = data_term + grad_plus
    denominator = guard(raw_denominator)
    ratio = numerator / denominator
    # Shared work: G^a, G^b (module docstring), then O(K² N) per tangent.
    a, b = _data_tangent_weights(V, V_hat, active, mask, beta)
    G_a = None if a is None else _pair_products(W, a)
    G_b = None if b is None else _pair_products(W, b)
    d_numerator = _contract(G_a, dH) + jnp.where(grad < 0, -dgrad, 0.0)
    d_denominator = _contract(G_b, dH) + jnp.where(grad > 0, dgrad, 0.0)
    d_denominator = jnp.where(raw_denominator == denominator, d_denominator, 0.0)
    d_ratio = (d_numerator - ratio * d_denominator) / denominator
    scaled = _power(ratio, gamma)
    tangent = dH * scaled + H * _power_tangent(ratio, d_ratio, gamma)
    return H * scaled, tangent


update_H_from_factors.defjvp(_update_H_jvp, symbolic_zeros=True)
