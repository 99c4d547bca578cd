"""The composition example (experiments/compose_example.py) on a tiny problem.

The solver used as a differentiable layer inside an equinox model: the gradient
of the training loss with respect to the front end's log-weights is finite and
nonzero, matches a float64 central difference, and a few Adam steps lower the
loss. Float64 throughout (tests/conftest.py enables x64 for the whole suite).
"""

import importlib.util
import pathlib
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load_example():
    name = "compose_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "experiments" / "compose_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses (equinox modules) look it up
    spec.loader.exec_module(module)
    return module


ce = _load_example()


@pytest.fixture(scope="module")
def problem():
    # Two 0.08 s signals at 25 kHz, nfft 128: F × N = 65 × 67 each.
    return ce.make_problem([0, 1], duration=0.08, nfft=128, dtype=jnp.float64)


@pytest.fixture(scope="module")
def model(problem):
    return ce.init_model(jax.random.key(0), problem.V[0], num_steps=15)


@pytest.fixture(scope="module")
def loss_and_grad(problem, model):
    """θ ↦ (L(θ), ∇L(θ)), jitted once for the module."""
    params, static = eqx.partition(model, ce.trainable(model))

    def loss(log_weights):
        params_θ = eqx.tree_at(lambda m: m.log_weights, params, log_weights)
        return ce.batch_loss(eqx.combine(params_θ, static), problem.V, problem.envelope)

    return jax.jit(jax.value_and_grad(loss))


def test_problem_and_model_shapes(problem, model):
    assert problem.V.shape == (2, 65, 67)
    assert problem.envelope.shape == (2, 67)
    assert problem.V.dtype == jnp.float64
    assert model.log_weights.shape == (65,)
    np.testing.assert_allclose(np.asarray(model.weights()), 1.0)


def test_only_the_log_weights_are_trainable(model):
    params, _ = eqx.partition(model, ce.trainable(model))
    leaves = jax.tree_util.tree_leaves(params)
    assert len(leaves) == 1 and leaves[0] is model.log_weights


def test_gradient_is_finite_and_nonzero(model, loss_and_grad):
    value, grad = loss_and_grad(model.log_weights)
    assert 0.0 <= float(value) <= 2.0
    assert grad.shape == model.log_weights.shape
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert float(jnp.linalg.norm(grad)) > 1e-4


def test_gradient_matches_central_difference(model, loss_and_grad):
    theta = model.log_weights
    direction = jax.random.normal(jax.random.key(1), theta.shape, theta.dtype)
    direction = direction / jnp.linalg.norm(direction)
    _, grad = loss_and_grad(theta)
    step = 1e-4
    up, _ = loss_and_grad(theta + step * direction)
    down, _ = loss_and_grad(theta - step * direction)
    difference = float((up - down) / (2 * step))
    directional = float(grad @ direction)
    assert abs(directional) > 1e-4  # the comparison is not between two zeros
    np.testing.assert_allclose(directional, difference, rtol=1e-6)


def test_a_few_adam_steps_lower_the_loss(problem, model, loss_and_grad):
    trained, losses = ce.train(model, problem, steps=8, learning_rate=0.1)
    final, _ = loss_and_grad(trained.log_weights)
    assert losses[0] == pytest.approx(float(loss_and_grad(model.log_weights)[0]))
    # About 0.82 → 0.56 on this problem; require at least a 15 % decrease.
    assert float(final) < 0.85 * losses[0], (losses, float(final))
    # The initial factors are frozen; only θ moved.
    np.testing.assert_array_equal(np.asarray(trained.W0), np.asarray(model.W0))
    np.testing.assert_array_equal(np.asarray(trained.H0), np.asarray(model.H0))
    assert not np.allclose(np.asarray(trained.log_weights), 0.0)


def test_unknown_front_end_is_refused(problem):
    with pytest.raises(ValueError, match="front_end"):
        ce.init_model(jax.random.key(0), problem.V[0], front_end="fir")
