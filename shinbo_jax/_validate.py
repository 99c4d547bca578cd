"""Input checks shared by the public entry points.

Static facts (shapes, ranks, Python settings) are checked at trace time and always
raise. Value checks (signs, finiteness) run only on concrete arrays: inside a
user's `jit` or `vmap` the values are unknown, and the solver reports non-finite
results through `Solution.finite` instead.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike


def is_concrete(x) -> bool:
    """True when `x` holds known values (not a tracer inside jit/vmap/grad)."""
    return not isinstance(x, jax.core.Tracer)


def as_float_array(x: ArrayLike, name: str) -> Array:
    """`x` as a JAX array with a floating dtype (integers become the default float)."""
    try:
        array = jnp.asarray(x)
    except TypeError as error:
        raise TypeError(
            f"`{name}` must be an array of numbers, got {type(x).__name__}; "
            "pass a NumPy or JAX array."
        ) from error
    if not jnp.issubdtype(array.dtype, jnp.floating):
        array = array.astype(jnp.result_type(float))
    return array


def check_matrix(x: Array, name: str) -> None:
    if x.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D matrix, got shape {tuple(x.shape)}; "
            "reshape it (a spectrogram V is frequencies × frames)."
        )


def check_nonnegative_finite(x: Array, name: str, fix: str) -> None:
    """Raise if a concrete `x` holds a negative, NaN or infinite entry."""
    if not is_concrete(x):
        return
    values = np.asarray(x)
    bad = ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}` must be finite, but {int(bad.sum())} entries are NaN or inf "
            f"(first at {where}: {values[where]}); {fix}"
        )
    if values.size and values.min() < 0:
        where = tuple(int(i) for i in np.unravel_index(values.argmin(), values.shape))
        raise ValueError(
            f"`{name}` must be nonnegative, but its smallest entry is "
            f"{values.min():.6g} at {where}; {fix}"
        )


def check_positive_int(value, name: str, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int, got {value!r}; {fix}")
    if value < 1:
        raise ValueError(f"`{name}` must be at least 1, got {value}; {fix}")
    return int(value)


def check_positive_float(value, name: str, fix: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"`{name}` must be a number, got {value!r}; {fix}") from error
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be positive and finite, got {value}; {fix}")
    return value


def check_beta(beta) -> float:
    if isinstance(beta, jax.core.Tracer):
        raise TypeError(
            "`beta` must be a Python number, got a traced array; it selects the "
            "update formulas at trace time, so pass it as a constant."
        )
    return float(beta)


def as_penalty_vector(lam: ArrayLike, rank: int, dtype) -> Array:
    """λ as a length-K vector of `dtype`, checked (when concrete) to be ≥ 0."""
    lam = jnp.asarray(lam)
    if lam.ndim == 0:
        lam = jnp.broadcast_to(lam, (rank,))
    elif lam.shape != (rank,):
        raise ValueError(
            f"`lam` must be a scalar or have shape ({rank},), one penalty per row of "
            f"H, got shape {tuple(lam.shape)}; pass one value per component."
        )
    if is_concrete(lam):
        values = np.asarray(lam, dtype=float)
        if not np.all(np.isfinite(values)) or values.min() < 0:
            raise ValueError(
                f"`lam` must be finite and nonnegative, got {values.tolist()}; "
                "penalties are weights λ_k ≥ 0 (use 0 for no penalty)."
            )
    return lam.astype(dtype)


def check_factor_shapes(V: Array, W: Array, H: Array) -> int:
    """Check W is F × K and H is K × N for V of F × N; return K."""
    for matrix, name in ((V, "V"), (W, "W"), (H, "H")):
        check_matrix(matrix, name)
    n_freq, n_frames = V.shape
    rank = W.shape[1]
    if rank < 1:
        raise ValueError(
            f"`W` must have at least one column (rank ≥ 1), got shape {W.shape}; "
            "use init_factors(key, V, rank) with rank ≥ 1."
        )
    if W.shape[0] != n_freq:
        raise ValueError(
            f"`W` must have shape ({n_freq}, K) to match `V` of shape {V.shape}, got "
            f"{W.shape}; W has one row per row (frequency) of V."
        )
    if H.shape != (rank, n_frames):
        raise ValueError(
            f"`H` must have shape ({rank}, {n_frames}) to match `W` {W.shape} and "
            f"`V` {V.shape}, got {H.shape}; H has one row per column of W."
        )
    return rank
