"""Wall time of one SHINBO fit against a 32-point scalar grid, compilation included.

Usage:
    python experiments/fit_walltime.py [--repeats 3]

Each measurement runs in a fresh Python process (so nothing is compiled yet) on
the simulated bearing spectrogram of the paper's size (257 × 889, σ = 8, K = 2,
float32): the time from the call to the result, compilation included, then the
time of a second call with the same shapes (compiled). The grid scores each of
32 log-spaced scalar λ ∈ [1e-4, 1] with the SHINBO budget of MU steps
(`shinbo_budget()`), vmapped in one call. Prints one markdown table with the
median over the repeats.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, sys, time
import jax, jax.numpy as jnp
import shinbo_jax as sj
from shinbo_jax import signals

sig = signals.simulate_bearing_signal(noise_std=8.0, seed=0)
V, _, _ = signals.power_spectrogram(sig.mixture, sig.fs)
V = jnp.asarray(V / V.mean(), jnp.float32)
key = jax.random.key(0)
if sys.argv[1] == "fit":
    call = lambda: sj.fit_shinbo(V, 2, key=key).lam
else:
    grid = jnp.logspace(-4, 0, 32)
    call = lambda: sj.grid_search(V, 2, grid, key=key, select="kurtosis")[1]
times = []
for _ in range(2):
    start = time.perf_counter()
    jax.block_until_ready(call())
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def measure(kind: str) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for kind in ("fit", "grid"):
        runs = np.array([measure(kind) for _ in range(args.repeats)])
        results[kind] = np.median(runs, axis=0)
    print("| call | first call, compile included [s] | second call [s] |")
    print("|---|---|---|")
    for kind, label in (("fit", "fit_shinbo (defaults)"), ("grid", "32-point grid")):
        cold, warm = results[kind]
        print(f"| {label} | {cold:.2f} | {warm:.2f} |")
    ratio = results["grid"] / results["fit"]
    print(f"\ngrid ÷ fit: {ratio[0]:.1f} × (compile included), "
          f"{ratio[1]:.1f} × (compiled)")  # fmt: skip


if __name__ == "__main__":
    main()
