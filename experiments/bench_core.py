"""Core benchmarks of shinbo-jax: MU speed, hypergradient cost, hypergradient memory.

Three sections, all measured in one run and printed as markdown tables:

1. ``mu``: time per multiplicative-update (MU) iteration of :func:`shinbo_jax.solve`
   against scikit-learn's ``non_negative_factorization(solver="mu",
   beta_loss="itakura-saito")``, from the same initial factors, in float32 and
   float64. The "equal work" row uses ``gamma="mm"`` (exponent 1/2, as
   scikit-learn), ``normalize_W=False`` and ``track_objective=False``; the
   "default" row uses shinbo's defaults (``normalize_W=True``,
   ``track_objective=True``). A final column checks that the equal-work run and
   scikit-learn compute the same iterates.
2. ``hypergrad``: time of the forward-mode hypergradient divided by the time of the
   primal solve it differentiates (``solve(..., update_W=False,
   track_objective=False)``), with ``structured_tangents`` True and False, and the
   reverse-mode ratio, against the target 1 + K.
3. ``memory``: peak memory of forward and reverse mode as ``num_steps`` grows. Each
   configuration runs in a fresh subprocess (``--memory-child``) that reports its
   peak RSS (``resource.getrusage(...).ru_maxrss``); a child that only runs the
   primal solve gives the baseline, subtracted to get the extra memory of each
   mode. The XLA buffer-assignment size (``compiled.memory_analysis()
   .temp_size_in_bytes`` of the jitted computation) is reported next to it.

Only the public API of ``shinbo_jax`` is used. Compilation is excluded (one
warm-up call), every timed call ends in ``jax.block_until_ready``, and every time
is the median of ``--repeats`` runs, with the (min-max) spread in brackets.

Usage::

    python experiments/bench_core.py            # full run (a few minutes on 2 cores)
    python experiments/bench_core.py --quick    # small smoke version (seconds)
    taskset -c 0 python experiments/bench_core.py --sections mu   # pinned to 1 core
"""

from __future__ import annotations

import argparse
import functools as ft
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings

import jax

# Must happen before any array is created; float32 runs pass float32 arrays.
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import shinbo_jax  # noqa: E402

SECTIONS = ("mu", "hypergrad", "memory")
DTYPES = {"float32": np.float32, "float64": np.float64}


# --------------------------------------------------------------------------- helpers


def make_data(n_freq: int, n_frames: int, rank: int, dtype, seed: int = 0):
    """Exponential noise on a random rank-`rank` model, plus 1e-3 (strictly > 0)."""
    rng = np.random.default_rng(seed)
    W_true = rng.random((n_freq, rank))
    H_true = rng.random((rank, n_frames))
    V = (W_true @ H_true) * rng.exponential(size=(n_freq, n_frames)) + 1e-3
    return V.astype(dtype)


def initial_factors(V: np.ndarray, rank: int, seed: int = 1):
    W, H = shinbo_jax.init_factors(jax.random.key(seed), jnp.asarray(V), rank)
    return np.asarray(W), np.asarray(H)


def timed(fn) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def time_round_robin(fns: dict, repeats: int) -> dict[str, np.ndarray]:
    """Warm up each function once, then time them in turn `repeats` times.

    Interleaving the repeats makes ratios between the functions robust to slow
    drifts in the load of the machine.
    """
    for fn in fns.values():
        jax.block_until_ready(fn())
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    return {name: np.asarray(t) for name, t in times.items()}


def spread(values, scale: float = 1.0, fmt: str = "{:.3f}") -> str:
    values = np.asarray(values) * scale
    med, lo, hi = np.median(values), np.min(values), np.max(values)
    return f"{fmt.format(med)} ({fmt.format(lo)}-{fmt.format(hi)})"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def load_average() -> str:
    try:
        return "load average (1/5/15 min): " + ", ".join(
            f"{x:.2f}" for x in os.getloadavg()
        )
    except OSError:
        return "load average: n/a"


def machine_summary() -> str:
    import sklearn

    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} ({i.get('architecture') or '-'}) "
            f"{i['num_threads']} threads"
            for i in threadpool_info()
        )
    except ImportError:
        blas = "n/a"
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = "n/a"
    return "\n".join(
        [
            f"- python {platform.python_version()}, jax {jax.__version__}, "
            f"jaxlib {jax.lib.__version__ if hasattr(jax.lib, '__version__') else '?'}"
            f", numpy {np.__version__}, scikit-learn {sklearn.__version__}",
            f"- backend: {jax.default_backend()}, devices: {jax.devices()}",
            f"- os.cpu_count() = {os.cpu_count()}, CPU affinity of this process: "
            f"{affinity}",
            f"- thread pools seen by scikit-learn (threadpoolctl): {blas}",
            f"- XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')!r}",
            f"- {platform.platform()}, {platform.processor() or platform.machine()}",
        ]
    )


# --------------------------------------------------------------------- section 1: MU


def bench_mu(args) -> str:
    from sklearn.decomposition import non_negative_factorization

    def sklearn_run(V, W0, H0, rank, iters):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: tol=0 on purpose
            W, H, _ = non_negative_factorization(
                V, W=W0.copy(), H=H0.copy(), n_components=rank, init="custom",
                solver="mu", beta_loss="itakura-saito", max_iter=iters, tol=0,
                alpha_W=0, alpha_H=0,
            )  # fmt: skip
        return W, H

    T, T_sk = args.mu_steps, args.sklearn_steps
    rows = []
    for n_freq, n_frames, rank in args.mu_sizes:
        for dtype_name in args.dtypes:
            dtype = DTYPES[dtype_name]
            V = make_data(n_freq, n_frames, rank, dtype)
            W0, H0 = initial_factors(V, rank)
            Vj, Wj, Hj = jnp.asarray(V), jnp.asarray(W0), jnp.asarray(H0)
            assert Vj.dtype == dtype and Wj.dtype == dtype

            equal = dict(gamma="mm", normalize_W=False, track_objective=False)
            solve = ft.partial(shinbo_jax.solve, Vj, Wj, Hj, 0.0, num_steps=T)
            fns = {"equal": ft.partial(solve, **equal), "default": solve}
            jax_times = time_round_robin(fns, args.repeats)

            sklearn_run(V, W0, H0, rank, 2)  # warm-up (imports, caches)
            sk_times, sk_out = [], None
            for _ in range(args.repeats):
                start = time.perf_counter()
                sk_out = sklearn_run(V, W0, H0, rank, T_sk)
                sk_times.append(time.perf_counter() - start)
            sk_per_iter = np.asarray(sk_times) / T_sk
            sk_med, sk_min = np.median(sk_per_iter), np.min(sk_per_iter)

            # Same iterates? Run shinbo for the same T_sk steps, compare W H.
            check = shinbo_jax.solve(Vj, Wj, Hj, 0.0, num_steps=T_sk, **equal)
            model_jax = np.float64(check.W) @ np.float64(check.H)
            model_sk = np.float64(sk_out[0]) @ np.float64(sk_out[1])
            rel_diff = np.max(np.abs(model_jax - model_sk) / model_sk)

            size = f"{n_freq}×{n_frames}, K={rank}"
            sk_cell = spread(sk_per_iter, 1e3)
            for label, key in (("equal work", "equal"), ("shinbo default", "default")):
                per_iter = jax_times[key] / T
                rows.append(
                    [
                        size, dtype_name, label, spread(per_iter, 1e3), sk_cell,
                        f"{sk_med / np.median(per_iter):.2f}",
                        f"{sk_min / np.min(per_iter):.2f}",
                        f"{rel_diff:.1e}" if key == "equal" else "",
                    ]
                )  # fmt: skip
            print(f"  [mu] {size} {dtype_name} done", file=sys.stderr, flush=True)
    header = [
        "size", "dtype", "shinbo settings", f"shinbo ms/iter (T={T})",
        f"sklearn ms/iter (T={T_sk})", "sklearn/shinbo (medians)",
        "sklearn/shinbo (best runs)",
        f"max rel. diff of WH after {T_sk} it.",
    ]  # fmt: skip
    return table(header, rows)


# -------------------------------------------------------------- section 2: hypergrad


def divergence_outer(V):
    def outer(W, H, lam):
        return shinbo_jax.beta_divergence(V, W @ H)

    return outer


def bench_hypergrad(args) -> str:
    T = args.hg_steps
    n_freq, n_frames = args.hg_size
    rows = []
    for dtype_name in args.dtypes:
        dtype = DTYPES[dtype_name]
        for rank in args.hg_ranks:
            V = jnp.asarray(make_data(n_freq, n_frames, rank, dtype))
            W0, H0 = (jnp.asarray(a) for a in initial_factors(np.asarray(V), rank))
            lam = jnp.full((rank,), 0.1, dtype)
            outer = divergence_outer(V)

            hypergrad = ft.partial(
                shinbo_jax.hypergradient, outer, V, W0, H0, lam, num_steps=T
            )
            fns = {
                "primal": ft.partial(
                    shinbo_jax.solve,
                    V,
                    W0,
                    H0,
                    lam,
                    num_steps=T,
                    update_W=False,
                    track_objective=False,
                ),
                "fwd": ft.partial(hypergrad, mode="forward", structured_tangents=True),
                "fwd_plain": ft.partial(
                    hypergrad, mode="forward", structured_tangents=False
                ),
                "rev": ft.partial(hypergrad, mode="reverse", structured_tangents=True),
            }
            times = time_round_robin(fns, args.hg_repeats)
            _, g_fwd = fns["fwd"]()
            _, g_rev = fns["rev"]()
            agree = float(jnp.max(jnp.abs(g_fwd - g_rev)) / jnp.max(jnp.abs(g_rev)))

            ratios = {name: t / times["primal"] for name, t in times.items()}
            fwd_med = np.median(ratios["fwd"])
            ratio_cells = [
                spread(ratios[n], fmt="{:.2f}") for n in ("fwd", "fwd_plain", "rev")
            ]
            rows.append(
                [
                    rank, dtype_name, spread(times["primal"], 1e3, "{:.1f}"),
                    *ratio_cells, 1 + rank,
                    "yes" if fwd_med <= 1 + rank else
                    f"no ({fwd_med / (1 + rank):.2f}× the target)",
                    f"{agree:.1e}",
                ]
            )  # fmt: skip
            print(
                f"  [hypergrad] K={rank} {dtype_name} done", file=sys.stderr, flush=True
            )
    header = [
        "K", "dtype", f"primal ms (T={T})", "forward / primal (structured)",
        "forward / primal (plain autodiff)", "reverse / primal", "target 1+K",
        "structured forward ≤ 1+K?", "fwd vs rev: max abs diff / max abs grad",
    ]  # fmt: skip
    return table(header, rows)


# ----------------------------------------------------------------- section 3: memory


def memory_child(args) -> None:
    """Run one configuration in this (fresh) process; print a JSON line."""
    n_freq, n_frames = args.hg_size
    rank, T, mode = args.child_rank, args.child_steps, args.child_mode
    V = jnp.asarray(make_data(n_freq, n_frames, rank, np.float32))
    W0, H0 = (jnp.asarray(a) for a in initial_factors(np.asarray(V), rank))
    lam = jnp.full((rank,), 0.1, jnp.float32)
    outer = divergence_outer(V)

    if mode == "primal":

        def fn(lam):
            return shinbo_jax.solve(
                V, W0, H0, lam, num_steps=T, update_W=False, track_objective=False,
                throw=False,
            ).H  # fmt: skip
    else:

        def fn(lam):
            return shinbo_jax.hypergradient(
                outer, V, W0, H0, lam, num_steps=T, mode=mode
            )

    start = time.perf_counter()
    jax.block_until_ready(fn(lam))
    wall = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    unit = 1 if sys.platform == "darwin" else 1024
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    hwm = None  # Linux cross-check: high-water mark of this process's own memory
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except OSError:
        pass
    # After the RSS reading, so this extra compilation does not affect it.
    try:
        analysis = jax.jit(fn).lower(lam).compile().memory_analysis()
        temp = int(analysis.temp_size_in_bytes)
    except Exception:  # not available on every backend / version
        temp = None
    print(json.dumps({"peak_rss": peak_rss, "hwm": hwm, "temp": temp, "wall": wall}))


# On Linux a process started by fork/vfork + exec inherits, in its ru_maxrss, the
# peak RSS of the process it was forked from: children started straight from this
# (by then large) benchmark process would all report its peak. Starting them from
# this tiny launcher, whose own memory is small, gives each its own peak.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def bench_memory(args) -> str:
    rank = args.mem_rank
    results = {}
    for T in args.mem_steps:
        for mode in ("primal", "forward", "reverse"):
            command = [
                sys.executable, "-c", _LAUNCHER,
                sys.executable, os.path.abspath(__file__), "--memory-child",
                "--child-mode", mode, "--child-steps", str(T),
                "--child-rank", str(rank),
                "--hg-size", *(str(s) for s in args.hg_size),
            ]  # fmt: skip
            proc = subprocess.run(command, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"memory child failed: {command}\n{proc.stderr}")
            results[T, mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  [memory] T={T} {mode} done", file=sys.stderr, flush=True)

    mib = 2.0**20
    rows = []
    for T in args.mem_steps:
        base = results[T, "primal"]
        for mode in ("primal", "forward", "reverse"):
            r = results[T, mode]
            extra = "(baseline)" if mode == "primal" else (
                f"{(r['peak_rss'] - base['peak_rss']) / mib:.1f}"
            )  # fmt: skip
            temp = "n/a" if r["temp"] is None else f"{r['temp'] / mib:.2f}"
            hwm = "n/a" if r["hwm"] is None else f"{r['hwm'] / mib:.1f}"
            rows.append(
                [
                    T, mode, f"{r['peak_rss'] / mib:.1f}", extra, hwm, temp,
                    f"{r['wall']:.2f}",
                ]
            )  # fmt: skip
    n_freq, n_frames = args.hg_size
    header = [
        "num_steps", "mode", "peak RSS (MiB)", "extra RSS over primal (MiB)",
        "VmHWM check (MiB)", "XLA temp buffers (MiB)", "wall s (incl. compile)",
    ]  # fmt: skip
    note = (
        f"{n_freq}×{n_frames}, K={rank}, float32; one fresh process per row. "
        "Peak RSS = `ru_maxrss` of the child after its run (children are started "
        "through a tiny launcher so that they do not inherit this process's peak); "
        "it includes the interpreter, JAX and compilation, and the primal row of the "
        "same num_steps is the baseline. VmHWM (`/proc/self/status`) is an "
        "independent reading of the same peak. XLA temp = "
        "`jax.jit(f).lower(lam).compile().memory_analysis().temp_size_in_bytes`."
    )
    return note + "\n\n" + table(header, rows), results


def memory_verdict(args, results) -> str:
    small, large = min(args.mem_steps), max(args.mem_steps)
    lines = []

    def extra(T, mode):
        return (results[T, mode]["peak_rss"] - results[T, "primal"]["peak_rss"]) / 2**20

    for mode in ("forward", "reverse"):
        t_small, t_large = results[small, mode]["temp"], results[large, mode]["temp"]
        temp_text = ""
        if t_small is not None and t_large is not None:
            temp_text = (
                f", XLA temp {t_small / 2**20:.2f} → {t_large / 2**20:.2f} MiB "
                f"(×{t_large / t_small:.2f})"
            )
        lines.append(
            f"- {mode}: extra RSS {extra(small, mode):.1f} MiB at T={small} → "
            f"{extra(large, mode):.1f} MiB at T={large}{temp_text}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small smoke version")
    p.add_argument(
        "--sections", default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )  # fmt: skip
    p.add_argument(
        "--repeats", type=int, default=None, help="timed repeats in section 1 (≥ 3)"
    )
    p.add_argument(
        "--hg-repeats", type=int, default=3, help="timed repeats in section 2 (≥ 3)"
    )
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--mu-steps", type=int, default=None, help="T for shinbo")
    p.add_argument("--sklearn-steps", type=int, default=None, help="T for sklearn")
    p.add_argument("--hg-steps", type=int, default=None)
    p.add_argument("--hg-size", type=int, nargs=2, default=None, metavar=("F", "N"))
    p.add_argument("--hg-ranks", default=None, help="e.g. 2,4,8")
    p.add_argument("--mem-steps", default=None, help="e.g. 100,1000,5000")
    p.add_argument("--mem-rank", type=int, default=2)
    # Internal: one memory measurement in a fresh process.
    p.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-mode", default="forward", help=argparse.SUPPRESS)
    p.add_argument("--child-steps", type=int, default=100, help=argparse.SUPPRESS)
    p.add_argument("--child-rank", type=int, default=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    q = args.quick
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    args.dtypes = [d.strip() for d in args.dtypes.split(",")]
    if set(args.dtypes) - set(DTYPES):
        p.error(f"--dtypes must be a subset of {sorted(DTYPES)}")
    args.repeats = args.repeats or (3 if q else 5)
    if min(args.repeats, args.hg_repeats) < 3:
        p.error("--repeats and --hg-repeats must be ≥ 3 (median of ≥ 3 runs)")
    args.mu_steps = args.mu_steps or (50 if q else 200)
    args.sklearn_steps = args.sklearn_steps or (20 if q else 50)
    big = [(257, 889, 2), (513, 2000, 8)]
    args.mu_sizes = [(64, 200, 2), (128, 300, 4)] if q else big
    args.hg_steps = args.hg_steps or (50 if q else 200)
    args.hg_size = tuple(args.hg_size or ((64, 200) if q else (257, 889)))
    ranks = args.hg_ranks or ("2,4" if q else "2,4,8")
    args.hg_ranks = [int(k) for k in ranks.split(",")]
    steps = args.mem_steps or ("50,200" if q else "100,1000,5000")
    args.mem_steps = [int(t) for t in steps.split(",")]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args)
        return

    start = time.perf_counter()
    print("# shinbo-jax core benchmarks" + (" (--quick)" if args.quick else ""))
    print()
    print("Command: `" + " ".join([os.path.basename(sys.executable), *sys.argv]) + "`")
    print()
    print(machine_summary())
    print(
        f"- timing: median (min-max) of {args.repeats} runs (section 1) and "
        f"{args.hg_repeats} runs (section 2), after one warm-up call"
    )
    print(f"- at start: {load_average()} (other processes share these cores)")
    if "mu" in args.sections:
        print()
        print("## 1. MU time per iteration vs scikit-learn (Itakura-Saito, γ = 1/2)")
        print()
        t0 = time.perf_counter()
        print(bench_mu(args))
        print(f"\n(section 1: {time.perf_counter() - t0:.0f} s; {load_average()})")
    if "hypergrad" in args.sections:
        n_freq, n_frames = args.hg_size
        print()
        print(
            f"## 2. Hypergradient time / primal solve time "
            f"({n_freq}×{n_frames}, T={args.hg_steps})"
        )
        print()
        print(
            "Primal: `solve(V, W, H, lam, num_steps=T, update_W=False, "
            "track_objective=False)`; outer = IS divergence of WH on V. Ratios are "
            "per interleaved repeat, median (min-max)."
        )
        print()
        t0 = time.perf_counter()
        print(bench_hypergrad(args))
        print(f"\n(section 2: {time.perf_counter() - t0:.0f} s; {load_average()})")
    if "memory" in args.sections:
        print()
        print("## 3. Peak memory of forward vs reverse mode as num_steps grows")
        print()
        t0 = time.perf_counter()
        text, results = bench_memory(args)
        print(text)
        print()
        print(memory_verdict(args, results))
        print(f"\n(section 3: {time.perf_counter() - t0:.0f} s; {load_average()})")
    print()
    total = time.perf_counter() - start
    print(f"Total wall time: {total:.0f} s; at end: {load_average()}")


if __name__ == "__main__":
    main()
