"""Property-based tests (hypothesis) of the solver and the divergence.

Every property is checked over random shapes (F, N in 2..12), ranks (1..4), both
float dtypes, penalties in [0, 10] (one scalar or one per row, in the data's
units or relative to its scale) and data scales from 1e-6 to 1e6. Examples are
derandomised so CI sees the same cases on every run; each new shape compiles the
scan once, so the example counts are kept small.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import shinbo_jax as sj

# When a property fails, hypothesis' pytest plugin imports its patch writer,
# which imports libcst, which triggers a DeprecationWarning from mypy_extensions;
# under the suite's warnings-as-errors that turns a clean failure report into an
# INTERNALERROR. Import it once here with warnings silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst not installed: the plugin skips the patch
        pass

STEPS = 8  # MU steps per solve (static: one compilation per shape)

PROPERTY = settings(
    max_examples=10,
    deadline=None,  # the first example of a shape includes compilation
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FEW = settings(PROPERTY, max_examples=5)  # for the costlier compilations

DTYPES = (np.float32, np.float64)
# Relative round-off allowed where two computations of the same quantity are
# compared: a few ulps of each dtype.
ROUND_OFF = {np.float32: 1e-5, np.float64: 1e-10}


def _log_scale(low: float, high: float):
    return st.floats(low, high).map(lambda exponent: 10.0**exponent)


def _factors(seed: int, shape, rank: int, scale: float, zeros: bool = False):
    """V (exponential entries times `scale`, some exact zeros if `zeros`) and
    initial W, H by the rule of `init_factors`, in float64 NumPy."""
    rng = np.random.default_rng(seed)
    V = rng.exponential(size=shape) * scale
    if zeros:  # silent bins
        V[rng.random(V.shape) < 0.2] = 0.0
    size = np.sqrt(max(V.mean(), scale * 1e-3) / rank)
    W = np.abs(rng.standard_normal((shape[0], rank))) + 1e-3
    H = np.abs(rng.standard_normal((rank, shape[1]))) * size
    column_sums = W.sum(axis=0)
    return V, W / column_sums, H * column_sums[:, None]


@st.composite
def problems(draw, dtypes=DTYPES, scales=(-6.0, 6.0)):
    """NumPy (V, W, H, lam) with V at a random scale and λ scalar or per row.

    W, H follow the rule of `init_factors` (|N(0, 1)|·√(mean V / K), W columns
    at unit ℓ1), drawn in NumPy: eager JAX ops would compile once per shape.
    """
    n_freq, n_frames = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    rank = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(dtypes))
    scale = draw(_log_scale(*scales))
    seed, zeros = draw(st.integers(0, 2**32 - 1)), draw(st.booleans())
    V, W, H = _factors(seed, (n_freq, n_frames), rank, scale, zeros)
    penalty = st.floats(0.0, 10.0)
    lam = draw(st.one_of(penalty, st.lists(penalty, min_size=rank, max_size=rank)))
    lam = np.asarray(lam, float)
    if draw(st.booleans()):  # λ in the units of 1/V, i.e. relative to the scale
        lam = lam / scale
    return tuple(np.asarray(x, dtype) for x in (V, W, H, lam))


def _penalised_objective(V, W, H, lam) -> float:
    """D_IS(V | WH) + Σ_k λ_k ‖h_k‖₁ with the solver's default floor, in NumPy.

    The floor is `relative_floor(V)`: machine epsilon of V's dtype × mean(V)
    (+ the smallest normal number); V and WH are floored at it.
    """
    finfo = np.finfo(V.dtype)
    V, W, H, lam = (np.asarray(x, np.float64) for x in (V, W, H, lam))
    eps = finfo.eps * V.mean() + finfo.tiny
    ratio = np.maximum(V, eps) / np.maximum(W @ H, eps)
    divergence = np.sum(ratio - np.log(ratio) - 1.0)
    return divergence + np.sum(np.broadcast_to(lam, (W.shape[1],)) * H.sum(axis=1))


def _is_nonnegative_and_finite(x) -> bool:
    x = np.asarray(x)
    return bool(np.all(np.isfinite(x)) and np.all(x >= 0))


@PROPERTY
@given(problems())
def test_solve_keeps_factors_and_objective_nonnegative_and_finite(problem):
    V, W, H, lam = problem
    sol = sj.solve(V, W, H, lam, num_steps=STEPS)
    assert _is_nonnegative_and_finite(sol.W) and _is_nonnegative_and_finite(sol.H)
    assert _is_nonnegative_and_finite(sol.objective)
    assert sol.objective.shape == (STEPS,) and bool(sol.finite)
    assert sol.W.dtype == sol.H.dtype == sol.objective.dtype == V.dtype


@settings(FEW, max_examples=4)  # each example compiles a batched jvp
@given(problems(), st.booleans())
def test_forward_mode_hypergradient_is_finite(problem, update_W):
    V, W, H, lam = problem
    V_mean = float(np.mean(V))

    def outer(W_T, H_T, lam):  # a fit term plus a sparsity term
        return sj.beta_divergence(V, W_T @ H_T) / V.size + jnp.mean(H_T) / V_mean

    value, grad = sj.hypergradient(
        outer, V, W, H, lam, num_steps=STEPS, update_W=update_W
    )
    assert np.isfinite(float(value)) and grad.shape == (W.shape[1],)
    assert np.all(np.isfinite(np.asarray(grad)))


def _assert_monotone(V, W, H, lam):
    sol = sj.solve(V, W, H, lam, num_steps=STEPS, gamma="mm")
    start = _penalised_objective(V, W, H, lam)  # W starts at unit ℓ1 columns
    trace = np.concatenate([[start], np.asarray(sol.objective, float)])
    # The MM exponent guarantees a monotone decrease in exact arithmetic. In
    # floating point each objective is a sum of F·N terms r − log r − 1 that
    # cancel near r = 1, so allow a relative round-off (1e-5 in float32, 1e-10
    # in float64) plus a few ulps per entry for a nearly exact fit.
    ulp = float(np.finfo(V.dtype).eps)
    slack = ROUND_OFF[V.dtype.type] * np.abs(trace[:-1]) + 4 * ulp * V.size
    rises = np.diff(trace) - slack
    assert np.all(rises <= 0), (trace, int(np.argmax(rises)))


@PROPERTY
@given(st.one_of(
    problems(dtypes=(np.float64,)),
    # float32 up to scale 1e2 here (round-off allowance); large float32 data:
    # see the test below.
    problems(dtypes=(np.float32,), scales=(-6.0, 2.0)),
))  # fmt: skip
def test_mm_updates_never_raise_the_penalised_objective(problem):
    _assert_monotone(*problem)


def test_mm_updates_never_raise_the_objective_float32_large_data():
    for seed, scale in [(0, 1e4), (1, 1e5), (2, 1e6)]:
        V, W, H = (x.astype(np.float32) for x in _factors(seed, (6, 9), 2, scale))
        _assert_monotone(V, W, H, np.float32(0.0))


@FEW
@given(problems())
def test_solve_is_the_same_under_jit_and_vmap(problem):
    V, W, H, lam = problem
    plain = sj.solve(V, W, H, lam, num_steps=STEPS)

    def run(V, W, H, lam):
        return sj.solve(V, W, H, lam, num_steps=STEPS)

    jitted = jax.jit(run)(V, W, H, lam)
    lam_vector = np.broadcast_to(lam, (W.shape[1],))
    lam_batch = np.stack([lam_vector, 2 * lam_vector + 1])
    batched = jax.vmap(run, in_axes=(None, None, None, 0))(V, W, H, lam_batch)
    # Same program, so jit is exact up to fusion; vmap batches the matrix
    # products, which may change the summation order (round-off per step).
    tol = 10 * ROUND_OFF[V.dtype.type]
    for name in ("W", "H", "objective"):
        expected = np.asarray(getattr(plain, name))
        np.testing.assert_allclose(getattr(jitted, name), expected, tol, 0)
        scale = np.max(np.abs(expected), initial=0.0)
        np.testing.assert_allclose(
            getattr(batched, name)[0], expected, tol, tol * scale
        )


@jax.jit
def _divergence(V, V_hat, eps):
    return sj.beta_divergence(V, V_hat, eps=eps)


@PROPERTY
@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.sampled_from(DTYPES),
    _log_scale(-3.0, 3.0),
    _log_scale(-3.0, 3.0),
    st.integers(0, 2**31 - 1),
)
def test_itakura_saito_divergence_is_scale_invariant(
    n_freq, n_frames, dtype, scale, factor, seed
):
    rng = np.random.default_rng(seed)
    V = (rng.exponential(size=(n_freq, n_frames)) * scale).astype(dtype)
    V_hat = (rng.exponential(size=(n_freq, n_frames)) * scale).astype(dtype)
    reference = float(_divergence(V, V_hat, None))
    scaled = float(_divergence(factor * V, factor * V_hat, None))
    # r − log r − 1 per entry: relative round-off plus a few ulps per entry.
    tol = ROUND_OFF[dtype]
    atol = 4 * float(np.finfo(dtype).eps) * V.size
    np.testing.assert_allclose(scaled, reference, tol, atol)
    # With the floor scaled too, the invariance holds for floored entries as well.
    eps = 0.5 * float(np.median(V))
    floored = float(_divergence(V, V_hat, eps))
    np.testing.assert_allclose(
        float(_divergence(factor * V, factor * V_hat, factor * eps)), floored, tol, atol
    )


def _assert_equivariant(V, W, H, lam, factor):
    base = sj.solve(V, W, H, lam, num_steps=STEPS)
    scaled = sj.solve(factor * V, W, factor * H, lam / factor, num_steps=STEPS)
    # c·V rounds each entry once; the multiplicative updates carry that
    # round-off through the steps without amplifying it much.
    tol = 100 * ROUND_OFF[V.dtype.type]
    H_scale = float(np.max(np.asarray(base.H), initial=0.0))
    np.testing.assert_allclose(scaled.W, base.W, tol, tol)
    np.testing.assert_allclose(scaled.H / factor, base.H, tol, tol * H_scale)
    np.testing.assert_allclose(
        scaled.objective, base.objective, tol, tol * float(base.objective[0])
    )


@PROPERTY
@given(
    st.one_of(
        problems(dtypes=(np.float64,), scales=(-3.0, 3.0)),
        # float32 kept small here; large float32 data: see the test below.
        problems(dtypes=(np.float32,), scales=(-3.0, 0.0)),
    ),
    _log_scale(-3.0, 3.0),
)
def test_solve_is_scale_equivariant(problem, factor):
    V, W, H, lam = problem
    if V.dtype == np.float32:
        factor = min(factor, 1e2 / float(np.mean(V)))
    _assert_equivariant(V, W, H, lam, factor)


def test_solve_is_scale_equivariant_float32_large_data():
    for seed, factor in [(0, 1e4), (1, 1e5), (2, 1e6)]:
        V, W, H = (x.astype(np.float32) for x in _factors(seed, (6, 9), 2, 1.0))
        _assert_equivariant(V, W, H, np.float32(0.0), factor)
