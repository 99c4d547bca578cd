"""β-divergence against a naive reference, scale invariance and masks."""

import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_close

import shinbo_jax as sj


def naive_beta_divergence(V, V_hat, beta):
    """Entry-by-entry loop over the textbook definition (Févotte & Idier 2011)."""
    total = 0.0
    for v, vh in zip(np.ravel(V), np.ravel(V_hat), strict=True):
        if beta == 0:
            total += v / vh - np.log(v / vh) - 1
        elif beta == 1:
            total += v * np.log(v / vh) - v + vh
        else:
            total += (v**beta + (beta - 1) * vh**beta - beta * v * vh ** (beta - 1)) / (
                beta * (beta - 1)
            )
    return total


@pytest.mark.parametrize("beta", [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
def test_matches_naive_reference(beta):
    rng = np.random.default_rng(0)
    V = rng.exponential(size=(7, 9)) + 0.01
    V_hat = rng.exponential(size=(7, 9)) + 0.01
    expected = naive_beta_divergence(V, V_hat, beta)
    assert_close(sj.beta_divergence(V, V_hat, beta), expected)


def test_zero_only_for_equal_arguments():
    V = jnp.linspace(0.1, 3.0, 12).reshape(3, 4)
    assert float(sj.beta_divergence(V, V)) == pytest.approx(0.0, abs=1e-12)
    assert float(sj.beta_divergence(V, 1.1 * V)) > 0.0


@pytest.mark.parametrize("scale", [1e-6, 0.3, 1e4])
def test_itakura_saito_is_scale_invariant(scale):
    rng = np.random.default_rng(1)
    V, V_hat = rng.exponential(size=(2, 5, 6)) + 0.01
    base = sj.beta_divergence(V, V_hat, 0.0)
    assert_close(sj.beta_divergence(scale * V, scale * V_hat, 0.0), base, rtol=1e-9)


def test_euclidean_is_not_scale_invariant():
    # Guards the test above: a broken implementation that ignored the scale
    # of its inputs would pass it but fail here.
    V, V_hat = jnp.ones((2, 2)), 2 * jnp.ones((2, 2))
    assert float(sj.beta_divergence(3 * V, 3 * V_hat, 2.0)) == pytest.approx(
        9 * float(sj.beta_divergence(V, V_hat, 2.0))
    )


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
def test_mask_selects_and_weights_entries(beta):
    rng = np.random.default_rng(2)
    V, V_hat = rng.exponential(size=(2, 6, 5)) + 0.01
    mask = (rng.uniform(size=V.shape) < 0.5).astype(float)
    expected = naive_beta_divergence(V[mask == 1], V_hat[mask == 1], beta)
    assert_close(sj.beta_divergence(V, V_hat, beta, mask=mask), expected)
    weights = rng.uniform(size=V.shape)
    terms = [
        w * naive_beta_divergence(v, vh, beta)
        for w, v, vh in zip(weights.ravel(), V.ravel(), V_hat.ravel(), strict=True)
    ]
    assert_close(sj.beta_divergence(V, V_hat, beta, mask=weights), sum(terms))


def test_exact_zeros_give_finite_values_and_tangents():
    import jax

    V = jnp.array([[0.0, 1.0], [2.0, 0.0]])
    V_hat = jnp.array([[0.0, 1.0], [0.0, 3.0]])
    value, tangent = jax.jvp(
        lambda x: sj.beta_divergence(V, x, 0.0), (V_hat,), (jnp.ones_like(V_hat),)
    )
    assert np.isfinite(value) and np.isfinite(tangent)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtype_follows_inputs(dtype):
    V = jnp.ones((3, 3), dtype)
    assert sj.beta_divergence(V, 2 * V).dtype == dtype
