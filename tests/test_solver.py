"""The MU solver: peer agreement with scikit-learn, monotonicity, dtypes, errors,
jit and vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_close, random_problem
from sklearn.decomposition import non_negative_factorization

import shinbo_jax as sj

SKLEARN_EPSILON = float(np.finfo(np.float32).eps)  # sklearn's floor in _nmf.py


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("lam", [0.0, 0.3])
@pytest.mark.parametrize("num_steps", [1, 7, 25])
def test_reproduces_sklearn_mu_iterates(beta, lam, num_steps):
    V, W, H = random_problem(seed=3, shape=(10, 14), rank=3)
    V, W, H = (np.asarray(a) for a in (V, W, H))
    n_samples = V.shape[0]
    # sklearn scales alpha_H by n_samples: its ℓ1 weight on H is n_samples·alpha_H.
    W_ref, H_ref, n_iter = non_negative_factorization(
        V, W=W.copy(), H=H.copy(), n_components=3, init="custom", solver="mu",
        beta_loss=beta, max_iter=num_steps, tol=0.0, alpha_W=0.0,
        alpha_H=lam / n_samples, l1_ratio=1.0,
    )  # fmt: skip
    assert n_iter == num_steps
    # Same update order (W then H), exponent and floor; no W normalisation.
    sol = sj.solve(
        V, W, H, lam, num_steps=num_steps, beta=beta, gamma="mm",
        normalize_W=False, eps=SKLEARN_EPSILON,
    )  # fmt: skip
    np.testing.assert_allclose(sol.W, W_ref, rtol=1e-8)
    np.testing.assert_allclose(sol.H, H_ref, rtol=1e-8)


def _objective_at_start(V, W, H, lam, beta):
    return sj.beta_divergence(V, W @ H, beta) + jnp.sum(lam * H.sum(axis=1))


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize(
    "update_W, normalize_W", [(True, True), (True, False), (False, True)]
)
def test_mm_exponent_never_increases_penalised_objective(beta, update_W, normalize_W):
    V, W, H = random_problem(seed=4, shape=(15, 25), rank=3)
    lam = jnp.array([0.05, 0.5, 2.0])
    sol = sj.solve(
        V, W, H, lam, num_steps=200, beta=beta, gamma="mm",
        update_W=update_W, normalize_W=normalize_W,
    )  # fmt: skip
    trace = np.concatenate([[_objective_at_start(V, W, H, lam, beta)], sol.objective])
    increases = np.diff(trace)
    # Round-off allowance: 1e-12 of the objective's size.
    assert np.all(increases <= 1e-12 * np.abs(trace[:-1])), increases.max()
    assert trace[-1] < trace[0]


def test_objective_trace_matches_recomputed_objective():
    V, W, H = random_problem(seed=5)
    lam = jnp.array([0.1, 0.4])
    sol = sj.solve(V, W, H, lam, num_steps=9)
    expected = sj.beta_divergence(V, sol.W @ sol.H) + jnp.sum(lam * sol.H.sum(axis=1))
    assert_close(sol.objective[-1], expected)
    assert_close(sol.divergence[-1], sj.beta_divergence(V, sol.W @ sol.H))


def test_normalised_columns_and_unchanged_product_scale():
    V, W, H = random_problem(seed=6)
    sol = sj.solve(V, W, H, 0.2, num_steps=5)
    assert_close(sol.W.sum(axis=0), jnp.ones(2))


def test_penalty_makes_rows_sparser():
    V, W, H = random_problem(seed=7, shape=(20, 40))
    free = sj.solve(V, W, H, 0.0, num_steps=200)
    penalised = sj.solve(V, W, H, jnp.array([0.0, 5.0]), num_steps=200)
    assert penalised.H[1].sum() < 0.5 * free.H[1].sum()


@pytest.mark.parametrize("gamma", ["mm", "heuristic", 0.8])
def test_zeros_and_floor_entries_stay_finite_and_nonnegative(gamma):
    V, W, H = random_problem(seed=8, shape=(12, 16), rank=3)
    eps = float(sj.relative_floor(V))
    V = V.at[0, :].set(0.0).at[:, 3].set(eps).at[4, 4].set(0.0)
    H = H.at[1, :5].set(0.0)
    W = W.at[:3, 2].set(0.0)
    sol = sj.solve(V, W, H, jnp.array([0.0, 1.0, 1e3]), num_steps=300, gamma=gamma)
    for matrix in (sol.W, sol.H, sol.objective):
        assert np.all(np.isfinite(matrix))
    assert np.all(sol.W >= 0) and np.all(sol.H >= 0)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtype_in_equals_dtype_out(dtype):
    V, W, H = random_problem(seed=9, dtype=dtype)
    W, H = W.astype(dtype), H.astype(dtype)
    sol = sj.solve(V, W, H, 0.1, num_steps=3)
    assert sol.W.dtype == sol.H.dtype == sol.objective.dtype == dtype


def test_float32_agrees_with_float64():
    V, W, H = random_problem(seed=10)
    sol64 = sj.solve(V, W, H, 0.1, num_steps=50)
    as32 = (a.astype(jnp.float32) for a in (V, W, H))
    sol32 = sj.solve(*as32, 0.1, num_steps=50)
    # float32 round-off accumulated over 50 steps: 1e-4 relative is ~1000 ulps.
    np.testing.assert_allclose(sol32.H, sol64.H, rtol=1e-4, atol=1e-6)


def test_jit_matches_eager_and_vmap_matches_loop():
    V, W, H = random_problem(seed=11)
    lams = jnp.array([[0.0, 0.0], [0.1, 1.0], [2.0, 0.3]])

    def final_H(lam):
        return sj.solve(V, W, H, lam, num_steps=20).H

    looped = jnp.stack([final_H(lam) for lam in lams])
    assert_close(jax.jit(final_H)(lams[1]), looped[1])
    assert_close(jax.vmap(final_H)(lams), looped)
    assert_close(jax.jit(jax.vmap(final_H))(lams), looped)


def test_vmap_over_initialisations():
    V, _, _ = random_problem(seed=12)
    keys = jax.random.split(jax.random.key(0), 3)

    def fit(key):
        W, H = sj.init_factors(key, V, 2)
        return sj.solve(V, W, H, 0.1, num_steps=10).objective[-1]

    assert_close(jax.vmap(fit)(keys), jnp.stack([fit(k) for k in keys]))


def test_no_objective_tracking_gives_same_factors():
    V, W, H = random_problem(seed=13)
    tracked = sj.solve(V, W, H, 0.1, num_steps=10)
    untracked = sj.solve(V, W, H, 0.1, num_steps=10, track_objective=False)
    assert untracked.objective.shape == (0,)
    assert_close(untracked.H, tracked.H)


def test_nonfinite_result_is_reported():
    V, W, H = random_problem(seed=14)
    with pytest.raises(sj.NonFiniteError, match="NaN or inf"):
        sj.solve(V, W, H, 0.1, num_steps=3, gamma=1e308)
    quiet = sj.solve(V, W, H, 0.1, num_steps=3, gamma=1e308, throw=False)
    assert not bool(quiet.finite)


def test_nonfinite_result_is_reported_inside_jit():
    V, W, H = random_problem(seed=14)
    run = jax.jit(lambda V: sj.solve(V, W, H, 0.1, num_steps=3, gamma=1e308).H)
    with pytest.raises(Exception, match="NaN or inf"):
        jax.block_until_ready(run(V))


def test_init_factors_shapes_and_normalisation():
    V, _, _ = random_problem(seed=15)
    W, H = sj.init_factors(jax.random.key(3), V, 4)
    assert W.shape == (V.shape[0], 4) and H.shape == (4, V.shape[1])
    assert_close(W.sum(axis=0), jnp.ones(4))
    assert np.all(W >= 0) and np.all(H >= 0)
    assert W.dtype == V.dtype


# --- error paths -----------------------------------------------------------------


def _base():
    V, W, H = random_problem(seed=16)
    return dict(V=V, W=W, H=H, lam=0.1)


@pytest.mark.parametrize(
    "change, error, pattern",
    [
        (dict(W=jnp.ones((5, 2))), ValueError, r"`W` must have shape \(12, K\)"),
        (dict(H=jnp.ones((3, 20))), ValueError, r"`H` must have shape \(2, 20\)"),
        (dict(V=jnp.ones(12)), ValueError, r"`V` must be a 2-D matrix"),
        (dict(W=jnp.ones((12, 0)), H=jnp.ones((0, 20))), ValueError, "rank ≥ 1"),
        (dict(lam=-0.5), ValueError, r"`lam` must be finite and nonnegative"),
        (dict(lam=jnp.ones(3)), ValueError, r"`lam` must be a scalar or have shape"),
        (dict(lam=jnp.nan), ValueError, r"`lam` must be finite"),
    ],
)
def test_bad_arguments_name_parameter_value_and_fix(change, error, pattern):
    args = _base() | change
    with pytest.raises(error, match=pattern):
        sj.solve(args["V"], args["W"], args["H"], args["lam"], num_steps=2)


def test_negative_and_nonfinite_data_are_rejected():
    V, W, H = random_problem(seed=17)
    with pytest.raises(ValueError, match=r"`V` must be nonnegative.*-1.*clip"):
        sj.solve(V.at[2, 3].set(-1.0), W, H, 0.1, num_steps=2)
    with pytest.raises(ValueError, match=r"`V` must be finite.*first at \(1, 1\)"):
        sj.solve(V.at[1, 1].set(jnp.inf), W, H, 0.1, num_steps=2)


@pytest.mark.parametrize("num_steps", [0, -3])
def test_num_steps_must_be_positive(num_steps):
    V, W, H = random_problem(seed=18)
    with pytest.raises(
        ValueError, match=f"`num_steps` must be at least 1, got {num_steps}"
    ):
        sj.solve(V, W, H, 0.1, num_steps=num_steps)


def test_other_settings_are_checked():
    V, W, H = random_problem(seed=19)
    with pytest.raises(TypeError, match="`num_steps` must be an int"):
        sj.solve(V, W, H, 0.1, num_steps=2.5)
    with pytest.raises(ValueError, match="`eps` must be positive"):
        sj.solve(V, W, H, 0.1, num_steps=2, eps=0.0)
    with pytest.raises(ValueError, match="`gamma` must be 'mm'"):
        sj.solve(V, W, H, 0.1, num_steps=2, gamma="fast")
    with pytest.raises(ValueError, match="`mask` must have the shape of `V`"):
        sj.solve(V, W, H, 0.1, num_steps=2, mask=jnp.ones((3, 3)))
    with pytest.raises(ValueError, match="`rank` must be at least 1, got 0"):
        sj.init_factors(jax.random.key(0), V, 0)


def test_l1_penalty_under_is_shrinks_large_activations_most():
    # Why a per-row ℓ1 penalty does not "sparsify" an IS-NMF row: for one
    # component with v = w·ĥ (unit ℓ1 w, F bins) the penalised stationarity
    # condition F/h − Fĥ/h² + λ = 0 gives h = (−F + √(F² + 4λFĥ)) / (2λ), a
    # relative shrinkage ≈ λĥ/F that grows with ĥ: the penalty caps the large
    # activations (a sparse row's peaks) and hardly touches the small ones.
    n_freq, lam = 8, 0.05
    w = jnp.linspace(1.0, 2.0, n_freq)[:, None]
    w = w / jnp.sum(w)
    h_free = jnp.array([[0.5, 5.0, 50.0, 500.0]])
    V = w @ h_free
    sol = sj.solve(V, w, jnp.ones_like(h_free), jnp.array([lam]), num_steps=3000,
                   update_W=False, eps=1e-300, track_objective=False)  # fmt: skip
    closed = (-n_freq + jnp.sqrt(n_freq**2 + 4 * lam * n_freq * h_free)) / (2 * lam)
    assert_close(sol.H, closed, rtol=1e-7, atol=0)
    shrinkage = 1.0 - np.asarray(sol.H / h_free)[0]
    assert np.all(np.diff(shrinkage) > 0)
    assert shrinkage[0] < 0.01 and shrinkage[-1] > 0.5
