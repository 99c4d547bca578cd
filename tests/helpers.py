"""Small shared problems and closeness helpers for the tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import shinbo_jax as sj

# Default tolerances for float64 comparisons of two exact computations of the
# same quantity (different association orders only).
RTOL = 1e-10
ATOL = 1e-12


def random_problem(seed: int = 0, shape=(12, 20), rank: int = 2, dtype=jnp.float64):
    """A positive V (exponential noise on a low-rank model) and initial W, H."""
    key_v, key_model, key_init = jax.random.split(jax.random.key(seed), 3)
    n_freq, n_frames = shape
    W_true = jax.random.uniform(key_model, (n_freq, rank), dtype) + 0.1
    H_true = jax.random.uniform(jax.random.fold_in(key_model, 1), (rank, n_frames))
    V = (W_true @ H_true.astype(dtype)) * jax.random.exponential(key_v, shape, dtype)
    V = V + 0.01
    W, H = sj.init_factors(key_init, V, rank)
    return V.astype(dtype), W, H


def assert_close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol, atol)


def central_difference(f, lam, step):
    """∂f/∂λ_k by central differences, one coordinate at a time (float64 only)."""
    assert jnp.asarray(lam).dtype == jnp.float64, "finite differences need float64"
    grads = []
    for k in range(lam.shape[0]):
        up, down = lam.at[k].add(step), lam.at[k].add(-step)
        grads.append((f(up) - f(down)) / (2 * step))
    return jnp.stack(grads)
