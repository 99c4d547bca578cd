"""Long MU runs on data spanning 18 orders of magnitude stay finite and ≥ 0."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import shinbo_jax as sj

NUM_STEPS = 10_000


def wide_range_spectrogram(dtype, shape=(32, 64), seed=0):
    """Exponential noise times 10**u with u ~ U(-12, 6): entries from 1e-12 to 1e6."""
    key_noise, key_scale = jax.random.split(jax.random.key(seed))
    noise = jax.random.exponential(key_noise, shape, jnp.float64)
    exponent = jax.random.uniform(key_scale, shape, jnp.float64, -12.0, 6.0)
    return (noise * 10.0**exponent).astype(dtype)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("rank", [2, 4])
def test_ten_thousand_steps_stay_finite(dtype, rank):
    V = wide_range_spectrogram(dtype)
    span = np.log10(np.asarray(V, np.float64))
    assert span.min() < -10 and span.max() > 5  # the data really span the range
    W0, H0 = sj.init_factors(jax.random.key(1), V, rank)
    # H scales like V, so λ · mean(V) is the size of the penalty: none, mild and
    # strong enough to drive whole rows of H towards zero.
    lams = jnp.array([0.0, 0.1, 10.0], dtype) / jnp.mean(V)

    def run(lam):
        return sj.solve(V, W0, H0, jnp.full((rank,), lam), num_steps=NUM_STEPS)

    sol = jax.vmap(run)(lams)
    for name, value in (("W", sol.W), ("H", sol.H)):
        assert value.dtype == dtype, name
        assert bool(jnp.all(jnp.isfinite(value))), f"{name} is not finite"
        assert bool(jnp.all(value >= 0)), f"{name} has a negative entry"
    assert sol.objective.shape == (lams.size, NUM_STEPS)
    assert bool(jnp.all(jnp.isfinite(sol.objective)))
    assert bool(jnp.all(sol.finite))
