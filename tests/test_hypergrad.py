"""Hypergradients: forward = reverse = explicit Z recursion = finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_close, central_difference, random_problem

import shinbo_jax as sj


def make_outer(V):
    """A smooth outer objective touching W_T, H_T and λ (all three paths)."""
    held_out = (jnp.arange(V.size).reshape(V.shape) % 3 == 0).astype(V.dtype)

    def outer(W, H, lam):
        fit = sj.beta_divergence(V, W @ H, 0.0, mask=held_out)
        return fit + 0.3 * jnp.sum(H[0] ** 2) / H.shape[1] + 0.01 * jnp.sum(lam**2)

    return outer


def value_at(outer, V, W, H, num_steps, update_W):
    def f(lam):
        sol = sj.solve(V, W, H, lam, num_steps=num_steps, update_W=update_W)
        return outer(sol.W, sol.H, lam)

    return jax.jit(f)


@pytest.mark.parametrize("rank", [2, 4])
@pytest.mark.parametrize("update_W", [False, True])
def test_forward_reverse_and_finite_differences_agree(rank, update_W):
    V, W, H = random_problem(seed=20 + rank, shape=(10, 16), rank=rank)
    lam = jnp.linspace(0.05, 0.6, rank)
    outer = make_outer(V)
    kwargs = dict(num_steps=15, update_W=update_W)
    value_fwd, grad_fwd = sj.hypergradient(outer, V, W, H, lam, **kwargs)
    value_rev, grad_rev = sj.hypergradient(
        outer, V, W, H, lam, mode="reverse", **kwargs
    )
    assert_close(value_fwd, value_rev)
    np.testing.assert_allclose(grad_fwd, grad_rev, rtol=1e-8)
    f = value_at(outer, V, W, H, 15, update_W)
    # Central differences in float64: truncation O(h²) ≈ 1e-12 and round-off
    # O(ε/h) ≈ 1e-10 relative, well inside rtol 1e-5.
    fd = central_difference(f, lam, step=1e-5)
    np.testing.assert_allclose(grad_fwd, fd, rtol=1e-5, atol=1e-9)
    assert np.all(np.abs(grad_fwd) > 1e-6)  # a trivial zero gradient must not pass


@pytest.mark.parametrize("rank", [2, 4])
@pytest.mark.parametrize("beta, gamma", [(0.0, "mm"), (0.0, "heuristic"), (1.0, "mm")])
def test_explicit_recursion_matches_autodiff(rank, beta, gamma):
    V, W, H = random_problem(seed=30 + rank, shape=(9, 13), rank=rank)
    lam = jnp.linspace(0.1, 0.9, rank)
    outer = make_outer(V)
    options = dict(num_steps=12, beta=beta, gamma=gamma)
    value_auto, grad_auto = sj.hypergradient(outer, V, W, H, lam, **options)
    value_z, grad_z = sj.explicit_forward_hypergradient(outer, V, W, H, lam, **options)
    assert_close(value_z, value_auto)
    np.testing.assert_allclose(grad_z, grad_auto, rtol=1e-8)


def test_explicit_recursion_with_mask():
    V, W, H = random_problem(seed=40, shape=(9, 13))
    mask = (jax.random.uniform(jax.random.key(1), V.shape) < 0.7).astype(V.dtype)
    outer = make_outer(V)
    lam = jnp.array([0.2, 0.7])
    options = dict(num_steps=10, mask=mask)
    _, grad_auto = sj.hypergradient(outer, V, W, H, lam, **options)
    _, grad_z = sj.explicit_forward_hypergradient(outer, V, W, H, lam, **options)
    np.testing.assert_allclose(grad_z, grad_auto, rtol=1e-8)


def test_scalar_lambda_gives_vector_gradient():
    V, W, H = random_problem(seed=41)
    _, grad = sj.hypergradient(make_outer(V), V, W, H, 0.3, num_steps=5)
    assert grad.shape == (2,)


def test_tangents_finite_at_floored_entries():
    V, W, H = random_problem(seed=42, shape=(10, 12), rank=3)
    V = V.at[0, :].set(0.0).at[2, 2].set(float(sj.relative_floor(V)))
    W = W.at[5, :].set(0.0)  # row 5 of WH is exactly 0: V̂ at the floor
    H = H.at[1, :4].set(0.0)
    for update_W in (False, True):
        _, grad = sj.hypergradient(
            make_outer(V), V, W, H, jnp.array([0.1, 0.2, 0.3]), num_steps=20,
            update_W=update_W,
        )  # fmt: skip
        assert np.all(np.isfinite(grad))


def test_jit_and_vmap_of_hypergradient():
    V, W, H = random_problem(seed=43)
    outer = make_outer(V)
    lams = jnp.array([[0.1, 0.2], [0.5, 0.05], [1.0, 1.0]])

    def grad_at(lam):
        return sj.hypergradient(outer, V, W, H, lam, num_steps=8)[1]

    looped = jnp.stack([grad_at(lam) for lam in lams])
    assert_close(jax.jit(grad_at)(lams[0]), looped[0])
    assert_close(jax.vmap(grad_at)(lams), looped)


def test_unknown_mode_is_rejected():
    V, W, H = random_problem(seed=44)
    with pytest.raises(ValueError, match="`mode` must be 'forward' or 'reverse'"):
        sj.hypergradient(make_outer(V), V, W, H, 0.1, num_steps=2, mode="adjoint")


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("update_W", [False, True])
def test_structured_tangents_equal_plain_autodiff(beta, update_W):
    V, W, H = random_problem(seed=50, shape=(9, 14), rank=3)
    lam = jnp.array([0.05, 0.3, 0.8])
    outer = make_outer(V)
    options = dict(num_steps=10, beta=beta, update_W=update_W)
    _, fast = sj.hypergradient(outer, V, W, H, lam, **options)
    _, plain = sj.hypergradient(
        outer, V, W, H, lam, structured_tangents=False, mode="reverse", **options
    )
    np.testing.assert_allclose(fast, plain, rtol=1e-8)


def test_structured_tangents_with_respect_to_data():
    # Tangents of V take the plain-autodiff path of the same update.
    V, W, H = random_problem(seed=51, shape=(8, 10))

    def final_sum(V, structured):
        sol = sj.solve(V, W, H, 0.2, num_steps=6, structured_tangents=structured)
        return jnp.sum(sol.H)

    direction = jnp.ones_like(V)
    fast = jax.jvp(lambda v: final_sum(v, True), (V,), (direction,))[1]
    plain = jax.jvp(lambda v: final_sum(v, False), (V,), (direction,))[1]
    np.testing.assert_allclose(fast, plain, rtol=1e-9)
