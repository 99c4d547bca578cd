r"""`sweep`: many solves or fits as one compiled, vmapped call sharded over devices.

A sweep runs one method (`solve`, `fit_mu`, `fit_fixed_penalty` or `fit_shinbo`)
for every configuration of a grid

$$
(b, s, g) \in \{1..B\} \times \{1..S\} \times \{1..G\}:
\quad \text{data } V_b,\ \text{key } k_s,\ \text{penalty } \lambda_g,
$$

numbered $c = (b S + s) G + g$ (λ varies fastest). The configurations are cut
into chunks whose size follows a memory bound; each chunk is padded to a
multiple of the device count, its batch axis is sharded over a 1-D mesh of all
devices (`PartitionSpec("batch")`), and a single jitted, vmapped function runs
it. Every configuration depends only on its own inputs, so the result does not
depend on the chunk size or on the number of devices (up to the round-off of
differently vectorised loops).
"""

from __future__ import annotations

import dataclasses
import functools as ft
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jax.typing import ArrayLike

from ._divergence import beta_divergence, floor, relative_floor
from ._fit import _hoyer, fit_shinbo
from ._solver import init_factors, solve
from ._validate import (
    as_float_array,
    check_nonnegative_finite,
    check_positive_int,
)

__all__ = ["SweepPlan", "SweepResult", "plan_sweep", "sweep", "sweep_config_bytes"]

METHODS = ("solve", "mu", "fixed", "shinbo")
BATCH_AXIS = "batch"

# Live F × N buffers per configuration of a vmapped chunk, from XLA's buffer
# assignment (`SweepPlan.memory_analysis`) at 257 × 889, K = 1, 2, 4: 4 for the
# MU methods, 9 / 13 / 17 for SHINBO (K tangents); the estimate adds 25 %.
_MEMORY_MARGIN = 1.25


def _fn_buffers(method: str, rank: int) -> float:
    measured = 5 + 4 * rank if method == "shinbo" else 4
    return _MEMORY_MARGIN * measured


@dataclasses.dataclass(frozen=True)
class SweepResult:
    r"""Per-configuration results of a sweep, as host NumPy arrays.

    Configuration c holds data `data_index[c]`, key `seed_index[c]` and penalty
    `lam_index[c]` of the grid. For the fit methods (`"mu"`, `"fixed"`,
    `"shinbo"`) the objective is that of V scaled to mean 1, where λ is defined;
    for `"solve"` it is that of V as given.

    Attributes:
        data_index: index of the spectrogram, shape (C,).
        seed_index: index of the key, shape (C,).
        lam_index: index into the λ grid, shape (C,).
        lam: penalties of the final factors, C × K (the learned ones for
            `"shinbo"`, the grid point otherwise).
        objective: final $D_{IS}(V \mid WH) + \sum_k \lambda_k \|h_k\|_1$, (C,).
        divergence: final IS divergence per bin $D_{IS}(V \mid WH) / (FN)$, (C,).
        hoyer: Hoyer sparsity of each row of H, C × K.
        finite: True where W, H and the objective are finite, (C,).
        W: final W, C × F × K, or None unless `return_factors`.
        H: final H (in the scale of V as given), C × K × N, or None.
    """

    data_index: np.ndarray
    seed_index: np.ndarray
    lam_index: np.ndarray
    lam: np.ndarray
    objective: np.ndarray
    divergence: np.ndarray
    hoyer: np.ndarray
    finite: np.ndarray
    W: np.ndarray | None = None
    H: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.objective.shape[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The fields as a dict of arrays (W and H only when present)."""
        fields = dataclasses.asdict(self)
        return {name: value for name, value in fields.items() if value is not None}

    @classmethod
    def concatenate(cls, parts: Sequence[SweepResult]) -> SweepResult:
        """Join results of consecutive chunks along the configuration axis."""
        if not parts:
            raise ValueError("`parts` is empty; pass at least one SweepResult.")
        fields = {}
        for field in dataclasses.fields(cls):
            values = [getattr(part, field.name) for part in parts]
            joined = None if values[0] is None else np.concatenate(values)
            fields[field.name] = joined
        return cls(**fields)


def sweep_config_bytes(
    n_freq: int, n_frames: int, rank: int, dtype: Any, method: str = "solve"
) -> int:
    r"""Estimated device memory of one configuration of a sweep, in bytes.

    $\text{bytes} = s\,(1.25\,c_m F N + 4 K (F + N))$ with $s$ the item size of
    `dtype` and $c_m$ the number of live F × N buffers per configuration: 4 for
    the MU methods, $5 + 4K$ for SHINBO (its forward-mode tangents), fitted to
    XLA's buffer assignment (:meth:`SweepPlan.memory_analysis`) at 257 × 889,
    with a 25 % margin. The K-sized term covers W, H and their updates; the
    data themselves are counted once per chunk, not per configuration.

    Args:
        n_freq: F.
        n_frames: N.
        rank: K.
        dtype: the floating dtype of the computation.
        method: one of `METHODS`.

    Returns:
        The estimate as an int.

    Examples:
        >>> sweep_config_bytes(257, 889, 2, "float32")  # about 4.6 MB
        4606132
        >>> sweep_config_bytes(257, 889, 2, "float32", "shinbo")  # 5 + 4K buffers
        14887417
    """
    _check_method(method)
    itemsize = np.dtype(dtype).itemsize
    fn_terms = _fn_buffers(method, rank) * n_freq * n_frames
    return int(itemsize * (fn_terms + 4 * rank * (n_freq + n_frames)))


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(
            f"`method` must be one of {METHODS}, got {method!r}; 'solve' runs the "
            "MU solver alone, 'shinbo' the bi-level fit."
        )


def _as_data_stack(V: ArrayLike) -> Array:
    """The spectrograms as a B × F × N float array, checked."""
    V = as_float_array(V, "V")
    if V.ndim == 2:
        V = V[None]
    if V.ndim != 3:
        raise ValueError(
            f"`V` must be one F × N spectrogram or a B × F × N stack of same-shape "
            f"ones, got shape {tuple(V.shape)}; stack them with np.stack."
        )
    check_nonnegative_finite(V, "V", "pass power spectrograms |X|² (finite, ≥ 0).")
    return V


def _as_lam_grid(lams: ArrayLike | None, rank: int, method: str, dtype) -> Array:
    """The λ grid as G × K (a 1-D grid gives the same λ to every row)."""
    if method == "mu":
        if lams is not None and np.any(np.asarray(lams) != 0):
            raise ValueError(
                "`lams` must be None for method='mu' (plain MU has λ = 0); use "
                "method='fixed' to sweep penalties."
            )
        return jnp.zeros((1, rank), dtype)
    grid = np.asarray(0.0 if lams is None else lams, dtype=float)
    if grid.ndim == 0:
        grid = grid[None]
    if grid.ndim == 1:
        grid = np.repeat(grid[:, None], rank, axis=1)
    if grid.ndim != 2 or grid.shape[1] != rank or grid.shape[0] == 0:
        raise ValueError(
            f"`lams` must have shape (G,) or (G, {rank}) (one λ per row of H), got "
            f"{np.shape(lams)}; pass a 1-D grid or one row of {rank} per point."
        )
    if not (np.all(np.isfinite(grid)) and grid.min() >= 0):
        raise ValueError(
            f"`lams` must be finite and ≥ 0, got min {grid.min()}; penalties are "
            "weights λ ≥ 0."
        )
    return jnp.asarray(grid, dtype)


def _as_key_data(seeds) -> tuple[np.ndarray, str]:
    """Raw key data (S × ...) and the PRNG implementation, from ints or keys."""
    if isinstance(seeds, jax.Array) and jnp.issubdtype(
        seeds.dtype, jax.dtypes.prng_key
    ):
        keys = seeds.reshape(-1)
    else:
        values = np.asarray(seeds).reshape(-1)
        if values.size == 0 or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(
                f"`seeds` must be a non-empty list of ints or an array of "
                f"jax.random keys, got {seeds!r}; e.g. seeds=(0, 1, 2)."
            )
        keys = jnp.stack([jax.random.key(int(value)) for value in values])
    return np.asarray(jax.random.key_data(keys)), str(jax.random.key_impl(keys))


@dataclasses.dataclass(frozen=True)
class _Spec:
    """Static settings of the per-configuration function (hashable)."""

    method: str
    rank: int
    num_steps: int
    gamma: Any
    fit_options: tuple
    return_factors: bool
    key_impl: str


def _fit_one(V: Array, key: Array, lam: Array, spec: _Spec):
    """W, H (H in the scale of `V`), the λ used, and the scale λ refers to."""
    if spec.method == "shinbo":
        options = dict(spec.fit_options)
        fit = fit_shinbo(V, spec.rank, key=key, lam0=lam, gamma=spec.gamma, **options)
        return fit.W, fit.H, fit.lam, jnp.mean(V)
    scale = jnp.ones((), V.dtype) if spec.method == "solve" else jnp.mean(V)
    if spec.method != "solve":
        # The key roles of fit_fixed_penalty: the first half initialises.
        key, _ = jax.random.split(key)
    W, H = init_factors(key, V / scale, spec.rank)
    sol = solve(
        V / scale, W, H, lam, num_steps=spec.num_steps, gamma=spec.gamma,
        track_objective=False, throw=False,
    )  # fmt: skip
    return sol.W, sol.H * scale, lam, scale


def _one_configuration(V: Array, key: Array, lam: Array, spec: _Spec) -> dict:
    W, H, lam_used, scale = _fit_one(V, key, lam, spec)
    V_fit, H_fit = V / scale, H / scale
    eps = relative_floor(V_fit)
    divergence = beta_divergence(V_fit, floor(W @ H_fit, eps), 0.0, eps=eps)
    objective = divergence + jnp.sum(lam_used * jnp.sum(H_fit, axis=1))
    finite = jnp.all(jnp.isfinite(W)) & jnp.all(jnp.isfinite(H))
    out = dict(
        lam=lam_used,
        objective=objective,
        divergence=divergence / V.size,
        hoyer=_hoyer(H),
        finite=finite & jnp.isfinite(objective),
    )
    if spec.return_factors:
        out.update(W=W, H=H)
    return out


def _run_batch(data_index, seed_index, lam_index, V_stack, key_data, grid, spec):
    def one(b, s, g):
        key = jax.random.wrap_key_data(key_data[s], impl=spec.key_impl)
        # One spectrogram: keep V unbatched, so the chunk shares a single copy
        # instead of gathering one per configuration.
        V = V_stack[0] if V_stack.shape[0] == 1 else V_stack[b]
        return _one_configuration(V, key, grid[g], spec)

    return jax.vmap(one)(data_index, seed_index, lam_index)


@ft.lru_cache(maxsize=32)
def _compiled_batch(spec: _Spec, batch: NamedSharding, replicated: NamedSharding):
    """The jitted batch function, shared by plans of equal settings (no retrace)."""
    return jax.jit(
        ft.partial(_run_batch, spec=spec),
        in_shardings=(batch,) * 3 + (replicated,) * 3,
        out_shardings=replicated,
    )


class SweepPlan:
    """A sweep cut into chunks: build with :func:`plan_sweep`, run chunk by chunk.

    Attributes:
        num_configs: C = B · S · G.
        chunk_size: configurations per chunk (the last one may hold fewer).
        padded_size: slots per compiled call, `chunk_size` rounded up to a
            multiple of `num_devices`; padding slots repeat configuration 0 and
            are dropped.
        num_chunks: ⌈C / chunk_size⌉.
        num_devices: size of the 1-D device mesh.
        config_bytes: :func:`sweep_config_bytes` for this problem.
        grid: the λ grid, G × K (NumPy).
    """

    def __init__(
        self,
        V_stack: np.ndarray | Array,
        key_data: np.ndarray,
        grid: ArrayLike,
        spec: _Spec,
        chunk_size: int,
        devices: Sequence[Any],
    ) -> None:
        self._spec = spec
        self.num_devices = len(devices)
        self._mesh = Mesh(np.asarray(devices), (BATCH_AXIS,))
        batch = NamedSharding(self._mesh, PartitionSpec(BATCH_AXIS))
        replicated = NamedSharding(self._mesh, PartitionSpec())
        self._batch, self._replicated = batch, replicated
        self._V = _place(np.asarray(V_stack), replicated)
        self._keys = _place(key_data, replicated)
        self.grid = np.asarray(grid)
        self._grid = _place(self.grid, replicated)
        shape = (V_stack.shape[0], key_data.shape[0], self.grid.shape[0])
        self._shape = shape
        self.num_configs = math.prod(shape)
        self.chunk_size = min(chunk_size, self.num_configs)
        self.padded_size = -(-self.chunk_size // self.num_devices) * self.num_devices
        self.num_chunks = -(-self.num_configs // self.chunk_size)
        n_freq, n_frames = V_stack.shape[1:]
        self.config_bytes = sweep_config_bytes(
            n_freq, n_frames, spec.rank, V_stack.dtype, spec.method
        )
        self._compiled = _compiled_batch(spec, batch, replicated)

    def chunk_configs(self, index: int) -> np.ndarray:
        """The configuration numbers of chunk `index`."""
        if not 0 <= index < self.num_chunks:
            raise IndexError(
                f"`index` must be in [0, {self.num_chunks}), got {index}; the plan "
                f"has {self.num_chunks} chunks."
            )
        start = index * self.chunk_size
        return np.arange(start, min(start + self.chunk_size, self.num_configs))

    def _arguments(self, configs: np.ndarray) -> tuple:
        """The sharded (b, s, g) indices of `configs`, padded, and the data."""
        padded = np.zeros(self.padded_size, np.int32)
        padded[: configs.size] = configs
        indices = np.unravel_index(padded, self._shape)
        indices = [_place(np.asarray(i, np.int32), self._batch) for i in indices]
        return (*indices, self._V, self._keys, self._grid)

    def run_chunk(self, index: int) -> SweepResult:
        """Run chunk `index` as one compiled call and return its configurations."""
        configs = self.chunk_configs(index)
        out = self._compiled(*self._arguments(configs))
        out = {name: np.asarray(value)[: configs.size] for name, value in out.items()}
        b, s, g = np.unravel_index(configs, self._shape)
        return SweepResult(data_index=b, seed_index=s, lam_index=g, **out)

    def memory_analysis(self) -> Any:
        """XLA's memory statistics of the compiled chunk call (compiles it once).

        Returns:
            The `compiled.memory_analysis()` object (`temp_size_in_bytes`,
            `argument_size_in_bytes`, ...; per device), or None where the
            backend does not report it.
        """
        lowered = self._compiled.lower(*self._arguments(self.chunk_configs(0)))
        return lowered.compile().memory_analysis()

    def run(self, callback: Callable[[int, int], None] | None = None) -> SweepResult:
        """Run every chunk in order; `callback(done, total)` after each."""
        parts = []
        for index in range(self.num_chunks):
            parts.append(self.run_chunk(index))
            if callback is not None:
                callback(index + 1, self.num_chunks)
        return SweepResult.concatenate(parts)


def _place(host: np.ndarray, sharding: NamedSharding) -> Array:
    """A global array from a host array that every process holds in full."""
    return jax.make_array_from_callback(host.shape, sharding, lambda i: host[i])


# Chunk size of CPU sweeps when none is given. Measured by
# experiments/bench_sweep.py (BENCHMARKS.md, 2-core CPU, 257 × 889, K = 2,
# float32): 64 configurations ran at 5.0-8.5 × scikit-learn's throughput in
# chunks of 4, 4.3-6.3 × in chunks of 8, 2.2-3.9 × in chunks of 16 and 1.3-1.8 ×
# in one chunk of 64: a chunk's working set must stay near the CPU caches, and
# memory, the bound that sizes GPU chunks, is never the limit on a CPU.
# TODO(shinbo-jax maintainers): measured on 2 cores only; way out: rerun the
#   benchmark on a many-core host and make this per device if it scales so.
CPU_CHUNK_SIZE = 4


def _default_chunk_size(fitting: int, devices: Sequence[Any]) -> int:
    """Configurations per chunk: as many as fit the memory bound (`fitting`), at
    most `CPU_CHUNK_SIZE` on CPU devices, and a multiple of the device count."""
    if all(device.platform == "cpu" for device in devices):
        fitting = min(fitting, CPU_CHUNK_SIZE)
    count = len(devices)
    return max(count, fitting // count * count)


def plan_sweep(
    V: ArrayLike,
    lams: ArrayLike | None = None,
    *,
    rank: int = 2,
    seeds: Sequence[int] | Array = (0,),
    method: str = "solve",
    num_steps: int = 200,
    gamma: str | float = "mm",
    fit_options: Mapping[str, Any] | None = None,
    max_batch_bytes: int = 2**30,
    chunk_size: int | None = None,
    return_factors: bool = False,
    devices: Sequence[Any] | None = None,
) -> SweepPlan:
    r"""Validate a sweep and cut it into chunks, without running it.

    Takes the arguments of :func:`sweep` (see there); use it to run the chunks
    one at a time, e.g. to save each as it finishes and resume later. The
    $C = B \cdot S \cdot G$ configurations make $\lceil C / s \rceil$ chunks of
    $s$ = `chunk_size` configurations each (the last may hold fewer).

    Args:
        V: as for :func:`sweep`.
        lams: as for :func:`sweep`.
        rank: as for :func:`sweep`.
        seeds: as for :func:`sweep`.
        method: as for :func:`sweep`.
        num_steps: as for :func:`sweep`.
        gamma: as for :func:`sweep`.
        fit_options: as for :func:`sweep`.
        max_batch_bytes: as for :func:`sweep`.
        chunk_size: as for :func:`sweep`.
        return_factors: as for :func:`sweep`.
        devices: as for :func:`sweep`.

    Returns:
        A :class:`SweepPlan`.

    Raises:
        ValueError, TypeError: for inputs of the wrong shape or value.

    Examples:
        Planning compiles nothing; `plan.run_chunk(i)` or `plan.run()` does.

        >>> import jax.numpy as jnp
        >>> V = jnp.ones((8, 10), jnp.float32)
        >>> plan = plan_sweep(V, jnp.array([0.0, 0.1, 1.0]), seeds=(0, 1),
        ...                   chunk_size=4)
        >>> plan.num_configs, plan.num_chunks, plan.chunk_configs(1).tolist()
        (6, 2, [4, 5])
    """
    _check_method(method)
    rank = check_positive_int(rank, "rank", "use rank ≥ 1 (K = 2: SOI + noise).")
    check_positive_int(num_steps, "num_steps", "run at least one MU step.")
    fix = "give the device memory a chunk may use, e.g. 2**30."
    max_batch_bytes = check_positive_int(max_batch_bytes, "max_batch_bytes", fix)
    V_stack = _as_data_stack(V)
    grid = _as_lam_grid(lams, rank, method, V_stack.dtype)
    key_data, key_impl = _as_key_data(seeds)
    if method != "shinbo" and fit_options:
        raise ValueError(
            f"`fit_options` applies to method='shinbo' only, got {dict(fit_options)} "
            f"with method={method!r}; use `num_steps` and `gamma` instead."
        )
    options = tuple(sorted((fit_options or {}).items()))
    spec = _Spec(
        method, rank, num_steps, gamma, options, bool(return_factors), key_impl
    )
    devices = list(jax.devices() if devices is None else devices)
    if chunk_size is None:
        per_config = sweep_config_bytes(*V_stack.shape[1:], rank, V_stack.dtype, method)
        chunk_size = _default_chunk_size(max_batch_bytes // per_config, devices)
    else:
        chunk_size = check_positive_int(
            chunk_size, "chunk_size", "run at least one configuration per chunk."
        )
    return SweepPlan(V_stack, key_data, grid, spec, chunk_size, devices)


def sweep(
    V: ArrayLike,
    lams: ArrayLike | None = None,
    *,
    rank: int = 2,
    seeds: Sequence[int] | Array = (0,),
    method: str = "solve",
    num_steps: int = 200,
    gamma: str | float = "mm",
    fit_options: Mapping[str, Any] | None = None,
    max_batch_bytes: int = 2**30,
    chunk_size: int | None = None,
    return_factors: bool = False,
    devices: Sequence[Any] | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> SweepResult:
    r"""Run a method over a grid of λ, keys and spectrograms, vmapped and sharded.

    Every configuration (spectrogram $V_b$, key $k_s$, penalty $\lambda_g$) runs

    - `"solve"`: :func:`init_factors` with $k_s$, then `num_steps` MU steps of
      :func:`solve` on $V_b$ as given, minimising
      $D_{IS}(V \mid WH) + \sum_k \lambda_k \|h_k\|_1$;
    - `"fixed"`: :func:`fit_fixed_penalty` ($V_b$ scaled to mean 1, same key
      roles, `num_steps` steps);
    - `"mu"`: :func:`fit_mu` (λ = 0; `lams` must be None);
    - `"shinbo"`: :func:`fit_shinbo` with $\lambda_0 = \lambda_g$ and
      `fit_options` (e.g. `outer_steps`, `inner_steps`, `refit_steps`, `outer`).

    The C = B·S·G configurations are cut into chunks of `chunk_size` (by default
    as many as fit in `max_batch_bytes` by :func:`sweep_config_bytes`, at most
    `CPU_CHUNK_SIZE` on CPUs, at least one per device). Each chunk is padded to
    a multiple of the device count and run by one jitted `jax.vmap` whose batch
    axis is sharded over a 1-D mesh of `devices`
    (`NamedSharding(mesh, PartitionSpec("batch"))`); the padding is dropped.
    Pure and deterministic: the same inputs give the same result, for
    any chunk size and device count up to round-off. Non-finite runs do not
    raise; they are flagged in `SweepResult.finite`.

    Multi-host: start every process with :func:`jax.distributed.initialize`,
    build the same inputs in each, and make the same call; the mesh then spans
    the devices of all hosts (`jax.devices()`) and every process receives the
    full result:

    ```python
    # on each of 2 hosts: python run.py 0|1
    import sys, jax, shinbo_jax as sj
    jax.distributed.initialize(coordinator_address="10.0.0.1:1234",
                               num_processes=2, process_id=int(sys.argv[1]))
    result = sj.sweep(V, jnp.logspace(-3, 1, 64), seeds=range(8))
    ```

    On a multi-core CPU the cores can act as devices with
    `XLA_FLAGS=--xla_force_host_platform_device_count=<cores>` (set before JAX
    starts).

    Args:
        V: one F × N spectrogram or a B × F × N stack of same-shape ones,
            nonnegative; its dtype (float32 or float64) is the computation's.
        lams: the λ grid, shape (G,) (same λ for every row) or (G, K) (row-wise);
            None means λ = 0.
        rank: K.
        seeds: S ints (each becomes `jax.random.key(seed)`) or an array of S
            `jax.random` keys; the initialisation (and SHINBO's bin split).
        method: `"solve"`, `"mu"`, `"fixed"` or `"shinbo"`.
        num_steps: MU steps per configuration (`"solve"`, `"mu"`, `"fixed"`).
        gamma: MU exponent, as for :func:`solve`.
        fit_options: keyword arguments for :func:`fit_shinbo` (not `key`,
            `lam0`, `gamma`).
        max_batch_bytes: device memory bound of one chunk (all devices together).
        chunk_size: configurations per chunk; overrides `max_batch_bytes`.
            By default as many as fit `max_batch_bytes`, and at most
            `CPU_CHUNK_SIZE` (4, rounded up to a multiple of the device
            count) on CPU devices, where small chunks ran fastest
            (BENCHMARKS.md).
        return_factors: also return every W and H.
        devices: devices of the mesh; default `jax.devices()`.
        callback: `callback(done, total)` on the host after each chunk.

    Returns:
        A :class:`SweepResult` with C entries in the order c = (b·S + s)·G + g.

    Raises:
        ValueError, TypeError: for inputs of the wrong shape or value.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> V = jax.random.exponential(jax.random.key(0), (16, 30)) + 0.1
        >>> result = sweep(V, jnp.array([0.0, 0.1, 1.0]), seeds=(0, 1),
        ...                num_steps=20)
        >>> len(result), result.hoyer.shape, bool(result.finite.all())
        (6, (6, 2), True)
    """
    plan = plan_sweep(
        V, lams, rank=rank, seeds=seeds, method=method, num_steps=num_steps,
        gamma=gamma, fit_options=fit_options, max_batch_bytes=max_batch_bytes,
        chunk_size=chunk_size, return_factors=return_factors, devices=devices,
    )  # fmt: skip
    return plan.run(callback)
