"""`sweep`, `plan_sweep` and `shinbo sweep`: sharding, chunking, resuming."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_close

import shinbo_jax as sj
import shinbo_jax._sweep as sj_sweep
from shinbo_jax.cli import main

LAMS = np.array([0.0, 0.3, 2.0])
SEEDS = (0, 1)
FIELDS = ("lam", "objective", "divergence", "hoyer", "W", "H")


def data_stack(shape=(12, 20)):
    """Two same-shape positive spectrograms, B × F × N."""
    keys = jax.random.split(jax.random.key(0), 2)
    return jnp.stack([jax.random.exponential(key, shape) + 0.05 for key in keys])


def assert_same_results(actual, expected, rtol=1e-10):
    # Differently vectorised loops may associate sums differently: round-off only.
    for name in ("data_index", "seed_index", "lam_index", "finite"):
        np.testing.assert_array_equal(getattr(actual, name), getattr(expected, name))
    for name in FIELDS:
        if getattr(expected, name) is not None:
            assert_close(getattr(actual, name), getattr(expected, name), rtol, 1e-12)


_CHILD = """
import sys, numpy as np, jax, shinbo_jax as sj
folder = sys.argv[1]
plan = sj.plan_sweep(np.load(folder + "/V.npy"), np.load(folder + "/lams.npy"),
                     seeds=(0, 1), num_steps=15, chunk_size=5, return_factors=True)
assert plan.num_devices == 8 and plan.padded_size == 8, plan.num_devices
result = plan.run()
for name, value in result.arrays().items():
    np.save(f"{folder}/{name}.npy", value)
"""


@pytest.fixture(scope="module")
def reference():
    """The sweep of `data_stack()` in one chunk on the one device of this process."""
    return sj.sweep(data_stack(), LAMS, seeds=SEEDS, num_steps=15, return_factors=True)


def test_sharded_over_eight_devices_equals_unsharded(tmp_path, reference):
    V = data_stack()
    np.save(tmp_path / "V.npy", np.asarray(V))
    np.save(tmp_path / "lams.npy", LAMS)
    env = dict(
        os.environ,
        XLA_FLAGS="--xla_force_host_platform_device_count=8",
        JAX_ENABLE_X64="1",
        JAX_PLATFORMS="cpu",
    )
    child = [sys.executable, "-c", textwrap.dedent(_CHILD), str(tmp_path)]
    done = subprocess.run(child, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = reference
    assert len(jax.devices()) == 1
    sharded = sj.SweepResult(
        **{name: np.load(tmp_path / f"{name}.npy") for name in expected.arrays()}
    )
    assert len(sharded) == 12  # 3 chunks padded to 8 slots: the padding is gone
    assert_same_results(sharded, expected)


def test_results_do_not_depend_on_the_chunk_size(reference):
    V = data_stack()
    runs = [
        sj.sweep(V, LAMS, seeds=SEEDS, num_steps=15, chunk_size=size,
                 return_factors=True)
        for size in (1, 5)
    ] + [reference]  # fmt: skip
    assert [len(run) for run in runs] == [12, 12, 12]
    assert reference.W.shape == (12, 12, 2) and reference.H.shape == (12, 2, 20)
    # Configuration c = (b·S + s)·G + g: λ fastest, then the seed, then the data.
    np.testing.assert_array_equal(runs[0].lam_index, np.tile([0, 1, 2], 4))
    np.testing.assert_array_equal(runs[0].seed_index, np.tile([0, 0, 0, 1, 1, 1], 2))
    np.testing.assert_array_equal(runs[0].data_index, np.repeat([0, 1], 6))
    for run in runs[1:]:
        assert_same_results(run, runs[0])


def test_chunk_size_follows_the_memory_bound():
    V = data_stack()
    config_bytes = sj.sweep_config_bytes(12, 20, 2, V.dtype)
    plan = sj.plan_sweep(V, LAMS, seeds=SEEDS, max_batch_bytes=3 * config_bytes)
    assert (plan.chunk_size, plan.num_chunks, plan.config_bytes) == (3, 4, config_bytes)
    tiny = sj.plan_sweep(V, LAMS, seeds=SEEDS, max_batch_bytes=1)
    assert tiny.chunk_size == 1  # at least one configuration per device
    huge = sj.plan_sweep(V, LAMS, seeds=SEEDS, max_batch_bytes=2**40)
    # On CPU devices the cache, not the memory, bounds a chunk.
    assert (huge.chunk_size, huge.num_chunks) == (sj_sweep.CPU_CHUNK_SIZE, 3)
    assert sj.sweep_config_bytes(12, 20, 2, jnp.float32) * 2 == config_bytes


@pytest.mark.parametrize(
    ("platform", "count", "fitting", "expected"),
    [("gpu", 1, 12, 12), ("gpu", 4, 10, 8), ("gpu", 4, 0, 4), ("cpu", 1, 12, 4),
     ("cpu", 2, 12, 4), ("cpu", 8, 12, 8), ("cpu", 3, 12, 3)],
)  # fmt: skip
def test_default_chunk_size_caps_cpu_chunks(platform, count, fitting, expected):
    devices = [types.SimpleNamespace(platform=platform)] * count
    assert sj_sweep._default_chunk_size(fitting, devices) == expected


def test_each_method_matches_its_single_run():
    V = data_stack()[0]
    key = jax.random.key(1)
    kwargs = dict(seeds=(1,), num_steps=10, return_factors=True)
    W0, H0 = sj.init_factors(key, V, 2)
    single = sj.solve(V, W0, H0, 0.3, num_steps=10)
    swept = sj.sweep(V, [0.3], method="solve", **kwargs)
    assert_close(swept.H[0], single.H)
    assert_close(swept.objective[0], single.objective[-1])
    fixed = sj.fit_fixed_penalty(V, 2, 0.3, key=key, num_steps=10)
    swept = sj.sweep(V, [0.3], method="fixed", **kwargs)
    assert_close(swept.W[0], fixed.W)
    assert_close(swept.H[0], fixed.H)
    options = dict(outer_steps=3, inner_steps=3, refit_steps=3)
    shinbo = sj.fit_shinbo(V, 2, key=key, lam0=0.3, **options)
    swept = sj.sweep(V, [0.3], method="shinbo", fit_options=options, **kwargs)
    assert_close(swept.lam[0], shinbo.lam)
    assert_close(swept.H[0], shinbo.H)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(method="nmf"), "`method` must be one of"),
        (dict(method="mu", lams=[0.1]), "`lams` must be None for method='mu'"),
        (dict(lams=np.ones((2, 3))), r"`lams` must have shape \(G,\) or \(G, 2\)"),
        (dict(lams=[-0.1]), "finite and ≥ 0"),
        (dict(fit_options=dict(outer_steps=2)), "applies to method='shinbo' only"),
        (dict(seeds=()), "`seeds` must be a non-empty list"),
        (dict(V=np.ones((1, 2, 3, 4))), "B × F × N stack"),
    ],
)
def test_invalid_arguments_are_refused(kwargs, match):
    kwargs = dict(dict(V=data_stack()[0], lams=LAMS), **kwargs)
    with pytest.raises(ValueError, match=match):
        sj.plan_sweep(kwargs.pop("V"), kwargs.pop("lams"), **kwargs)


_CONFIG = """
[data]
noise_std = [1.0, 3.0]
duration = 0.2
dtype = "float64"

[sweep]
method = "fixed"
num_steps = {num_steps}
lam = [0.0, 0.1, 1.0]
seeds = [0, 1]
chunk_size = {chunk_size}
"""


def write_config(folder, chunk_size=4, num_steps=15):
    path = folder / "sweep.toml"
    text = _CONFIG.format(chunk_size=chunk_size, num_steps=num_steps)
    path.write_text(text, encoding="utf-8")
    return str(path)


_RUN_CLI = "import sys; from shinbo_jax.cli import main; sys.exit(main(sys.argv[1:]))"


def _wait_for(path, process, timeout):
    start = time.monotonic()
    while not path.exists():
        assert process.poll() is None, "the sweep ended before its first chunk"
        assert time.monotonic() - start < timeout, f"no {path.name} in {timeout} s"
        time.sleep(0.01)


def test_sweep_killed_mid_run_resumes_to_the_same_table(tmp_path):
    # A hard kill (SIGKILL, no cleanup) as soon as the first chunk is on disk:
    # finished chunks must be complete files, and a rerun must finish the rest
    # and write the table of an uninterrupted run.
    config = write_config(tmp_path, chunk_size=1, num_steps=4000)
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN_CLI, "sweep", config, "--out", str(killed)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(killed / "chunks" / "chunk-00000.npz", process, timeout=300)
    finally:
        process.kill()
        process.wait()
    finished = sorted((killed / "chunks").glob("chunk-*.npz"))
    assert 1 <= len(finished) < 12  # killed part-way, not after the end
    assert not (killed / "results.csv").exists()
    stamps = {path.name: path.stat().st_mtime_ns for path in finished}
    assert main(["sweep", config, "--out", str(killed)]) == 0
    for path in finished:  # finished chunks were loaded, not recomputed
        assert path.stat().st_mtime_ns == stamps[path.name]
    assert main(["sweep", config, "--out", str(fresh)]) == 0
    table = (killed / "results.csv").read_bytes()
    assert table == (fresh / "results.csv").read_bytes()
    assert table.count(b"\n") == 1 + 12


def test_interrupted_sweep_resumes_to_the_same_table(tmp_path, capsys):
    config = write_config(tmp_path)
    resumed, fresh = tmp_path / "resumed", tmp_path / "fresh"
    assert main(["sweep", config, "--out", str(resumed), "--max-chunks", "1"]) == 0
    assert "rerun to continue" in capsys.readouterr().out
    first = resumed / "chunks" / "chunk-00000.npz"
    assert sorted(p.name for p in first.parent.iterdir()) == ["chunk-00000.npz"]
    assert not (resumed / "results.csv").exists()
    stamp = first.stat().st_mtime_ns
    assert main(["sweep", config, "--out", str(resumed)]) == 0
    assert first.stat().st_mtime_ns == stamp  # the finished chunk was not redone
    assert main(["sweep", config, "--out", str(fresh)]) == 0
    table = (resumed / "results.csv").read_bytes()
    assert table == (fresh / "results.csv").read_bytes()
    assert table.count(b"\n") == 1 + 12 and b"False" not in table
    assert (fresh / "sweep.png").stat().st_size > 1000
    # A finished folder reruns to the same table without computing anything.
    assert main(["sweep", config, "--out", str(resumed)]) == 0
    assert (resumed / "results.csv").read_bytes() == table


def test_a_folder_of_another_sweep_is_refused(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert (
        main(["sweep", write_config(tmp_path), "--out", out, "--max-chunks", "0"]) == 0
    )
    other = tmp_path / "other"
    other.mkdir()
    status = main(["sweep", write_config(other, chunk_size=3), "--out", out])
    assert status == 2
    err = capsys.readouterr().err
    assert "different config" in err and "[sweep] chunk_size" in err
