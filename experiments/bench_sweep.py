"""Sweep benchmark: 64 configurations at the paper's size, three ways, one run.

The problem: the power spectrogram of the simulated bearing fault (σ = 3,
257 × 889 after the default STFT, scaled to mean 1), K = 2, float32 by default,
64 configurations = 16 penalties λ (0, then 10^-3 … 10^1) × 4 initialisation
seeds, T MU steps each (default 200). Three ways of running them:

- ``sweep``: :func:`shinbo_jax.sweep` (``method="solve"``), vmapped chunks with
  the batch axis sharded over every device; run once with the single CPU device
  and once with the cores exposed as devices
  (``XLA_FLAGS=--xla_force_host_platform_device_count=<cores>``).
- ``loop``: a Python loop of jitted :func:`shinbo_jax.solve` calls (same
  settings, ``track_objective=False``), one configuration at a time.
- ``sklearn``: a loop of scikit-learn's ``non_negative_factorization`` (``mu``
  solver, Itakura-Saito loss, ``init="custom"`` from the same factors,
  ``alpha_H = λ / F`` and ``l1_ratio = 1`` so that its penalty is λ‖H‖₁, ``tol=0``)
  run for the same T iterations by default (``--sklearn-iters`` to shorten it;
  the time is normalised per configuration·iteration, and a short run
  overstates scikit-learn's cost per iteration: its per-call work, validation
  and the initial divergence, is about 16 % of 20 iterations at this size).

Each way runs in a fresh subprocess (``--child``) that reports its wall time
(median of ``--repeats`` timed runs after one warm-up run that compiles) and
its peak resident memory (``resource.getrusage(...).ru_maxrss``); a child that
only builds the data gives the baseline. For the sweep, XLA's buffer
assignment of the compiled chunk (``SweepPlan.memory_analysis``) is reported
too. Throughput is configurations per second at T steps (for scikit-learn:
configurations × iterations per second divided by T).

Usage::

    python experiments/bench_sweep.py                 # full run (minutes on 2 cores)
    python experiments/bench_sweep.py --quick         # smoke version (seconds)
    python experiments/bench_sweep.py --dtype float64 --steps 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

NUM_LAMS, NUM_SEEDS, RANK = 16, 4, 2


def build_problem(dtype: str, quick: bool):
    """V (mean 1), the λ grid and the seeds of the benchmark."""
    from shinbo_jax import signals

    duration = 0.25 if quick else 1.0
    sig = signals.simulate_bearing_signal(noise_std=3.0, seed=0, duration=duration)
    V, _, _ = signals.power_spectrogram(sig.mixture, sig.fs)
    V = (V / V.mean()).astype(dtype)
    lams = np.concatenate([[0.0], np.logspace(-3, 1, NUM_LAMS - 1)]).astype(dtype)
    return V, lams, list(range(NUM_SEEDS))


def _chunk(value: str) -> int | None:
    """A `--chunk-sizes` entry: an integer, or `auto` for the library default."""
    return None if value.strip() == "auto" else int(value)


def _timed(run, repeats: int) -> float:
    run()  # warm-up: compiles
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def child_sweep(V, lams, seeds, args) -> dict:
    import jax

    import shinbo_jax as sj

    plan = sj.plan_sweep(
        V, lams, rank=RANK, seeds=seeds, num_steps=args.steps,
        chunk_size=args.chunk_size, max_batch_bytes=args.max_batch_bytes,
    )  # fmt: skip
    analysis = plan.memory_analysis()
    seconds = _timed(plan.run, args.repeats)
    temp = None if analysis is None else analysis.temp_size_in_bytes
    return dict(
        seconds=seconds, configs=plan.num_configs, iters=args.steps,
        devices=len(jax.devices()), chunk=plan.chunk_size, xla_temp_bytes=temp,
        estimate_bytes=plan.config_bytes * plan.chunk_size,
    )  # fmt: skip


def child_loop(V, lams, seeds, args) -> dict:
    import jax
    import jax.numpy as jnp

    import shinbo_jax as sj

    V = jnp.asarray(V)

    def run():
        for seed in seeds:
            W0, H0 = sj.init_factors(jax.random.key(seed), V, RANK)
            for lam in lams:
                sol = sj.solve(
                    V, W0, H0, lam, num_steps=args.steps, track_objective=False,
                    throw=False,
                )  # fmt: skip
                jax.block_until_ready(sol.H)

    seconds = _timed(run, args.repeats)
    return dict(seconds=seconds, configs=len(lams) * len(seeds), iters=args.steps)


def child_sklearn(V, lams, seeds, args) -> dict:
    import jax
    from sklearn.decomposition import non_negative_factorization
    from sklearn.exceptions import ConvergenceWarning

    import shinbo_jax as sj

    starts = [
        [np.asarray(x) for x in sj.init_factors(jax.random.key(seed), V, RANK)]
        for seed in seeds
    ]
    n_freq = V.shape[0]

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for W0, H0 in starts:
                for lam in lams:
                    non_negative_factorization(
                        V, W=W0.copy(), H=H0.copy(), n_components=RANK,
                        init="custom", solver="mu", beta_loss="itakura-saito",
                        max_iter=args.sklearn_iters, tol=0, alpha_W=0.0,
                        alpha_H=float(lam) / n_freq, l1_ratio=1.0,
                    )  # fmt: skip

    seconds = _timed(run, max(1, args.repeats // 2))
    return dict(
        seconds=seconds, configs=len(lams) * len(seeds), iters=args.sklearn_iters
    )


CHILDREN = {"sweep": child_sweep, "loop": child_loop, "sklearn": child_sklearn}


def run_child(args) -> None:
    V, lams, seeds = build_problem(args.dtype, args.quick)
    if args.child == "baseline":
        import jax.numpy as jnp

        jnp.asarray(V).block_until_ready()
        record = dict(seconds=None)
    else:
        record = CHILDREN[args.child](V, lams, seeds, args)
    record["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(record))


def spawn(args, child: str, devices: int = 1, **extra) -> dict:
    command = [sys.executable, __file__, "--child", child, "--dtype", args.dtype]
    command += ["--steps", str(args.steps), "--repeats", str(args.repeats)]
    command += ["--sklearn-iters", str(args.sklearn_iters)]
    command += ["--max-batch-bytes", str(args.max_batch_bytes)]
    if args.quick:
        command.append("--quick")
    for name, value in extra.items():
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", ""))
    if devices > 1:
        flag = f"--xla_force_host_platform_device_count={devices}"
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flag).strip()
    if args.dtype == "float64":
        env["JAX_ENABLE_X64"] = "1"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"child {child} failed:\n{done.stderr[-3000:]}")
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def throughput(record: dict, steps: int) -> float:
    """Configurations per second at `steps` MU steps each."""
    return record["configs"] * record["iters"] / record["seconds"] / steps


def table(rows: list[tuple[str, dict]], baseline: dict, args) -> str:
    loop = next(record for name, record in rows if name.startswith("loop"))
    sk = next(record for name, record in rows if name.startswith("scikit"))
    lines = [
        "| way | devices | chunk | configs × iters timed | wall (s) | configs/s "
        "| × sklearn | × loop | peak RSS − baseline (MiB) "
        "| XLA temp / estimate (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, record in rows:
        rate = throughput(record, args.steps)
        xla = record.get("xla_temp_bytes")
        memory = (
            f"{xla / 2**20:.0f} / {record['estimate_bytes'] / 2**20:.0f}"
            if xla is not None
            else "–"
        )
        lines.append(
            f"| {name} | {record.get('devices', 1)} | {record.get('chunk', '–')} | "
            f"{record['configs']} × {record['iters']} | {record['seconds']:.2f} | "
            f"{rate:.2f} | {rate / throughput(sk, args.steps):.1f} | "
            f"{rate / throughput(loop, args.steps):.2f} | "
            f"{record['maxrss_mib'] - baseline['maxrss_mib']:.0f} | {memory} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=[*CHILDREN, "baseline"], default=None)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--steps", type=int, default=200, help="MU steps T")
    parser.add_argument(
        "--sklearn-iters",
        type=int,
        default=None,
        help="scikit-learn iterations (default: --steps)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--chunk-sizes", default="8,16,64",
                        help="sweep chunk sizes to run (comma-separated; "
                        "'auto' = the library's default sizing)")  # fmt: skip
    parser.add_argument("--max-batch-bytes", type=int, default=2**30)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--json", default=None, help="also write the rows here")
    parser.add_argument(
        "--host-devices", type=int, default=os.cpu_count() or 1,
        help="also run the sweep with the CPU cores as this many devices "
        "(default: the core count; 1 to skip, e.g. on a GPU machine)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    if args.quick:
        args.steps, args.repeats, args.sklearn_iters = 20, 1, 5
    if args.sklearn_iters is None:
        args.sklearn_iters = args.steps
    cores = os.cpu_count() or 1
    host_devices = args.host_devices
    baseline = spawn(args, "baseline")
    rows = [("loop of jitted solves", spawn(args, "loop"))]
    for size in [_chunk(value) for value in args.chunk_sizes.split(",")]:
        rows.append(("sweep", spawn(args, "sweep", chunk_size=size)))
        if host_devices > 1:
            extra = spawn(args, "sweep", host_devices, chunk_size=size)
            rows.append(("sweep, cores as devices", extra))
    rows.append(("scikit-learn loop", spawn(args, "sklearn")))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"64 configurations (16 λ × 4 seeds), V 257 × 889 "
        f"({'quick: shorter signal' if args.quick else 'full size'}), K = {RANK}, "
        f"{args.dtype}, T = {args.steps} MU steps (scikit-learn: "
        f"{args.sklearn_iters} iterations, normalised); {cores} CPU cores, "
        f"{platform.processor() or platform.machine()}, load average {load:.1f} "
        f"at the end; peak RSS of the baseline child {baseline['maxrss_mib']:.0f} "
        "MiB.\n"
    )
    print(table(rows, baseline, args))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(dict(steps=args.steps, rows=rows, baseline=baseline), handle)


if __name__ == "__main__":
    main()
