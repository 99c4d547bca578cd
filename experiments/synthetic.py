"""Synthetic benchmark: MU, fixed penalty (default and oracle grid), SHINBO and the
fast kurtogram on simulated bearing-fault signals.

Usage:
    python experiments/synthetic.py configs/synthetic.toml [--out results/synthetic]
        [--seeds N] [--summary-only] [--worked-example SIGMA NOISE]

Writes one CSV row per (σ, noise, seed, method) to `<out>/runs.csv`, appending as
it goes so an interrupted run resumes where it stopped, then a markdown summary
(median and mean ± std of SIR_t and ENVSI per σ, noise and method, and the mean
compute per method) to `<out>/summary.md`, and box plots to `<out>/*.png`.
The "oracle" fixed penalty picks λ from a grid with the true SOI: it is an upper
reference, not a method.
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import shinbo_jax as sj
from shinbo_jax import baselines, metrics, signals

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCORES = ["sir_t", "envsi", "sir_t_fa", "envsi_fa"]
FIELDS = ["sigma", "noise", "seed", "method", "lam", *SCORES, "seconds"]
# Preferred column order of the tables; other methods (variants) follow.
METHODS = ["mu", "fixed", "oracle-grid", "shinbo", "kurtogram"]


def _scores(W, H, sig, X, rule):
    choice = metrics.select_soi_component(
        W, H, sig.mixture, sig.fs, rule=rule, fault_freq=sig.fault_freq
    )
    estimate = signals.wiener_reconstruct(
        X, W, H, choice.index, length=sig.mixture.size
    )
    return metrics.sir_t(sig.soi, estimate), metrics.envsi(
        estimate, sig.fs, sig.fault_freq
    )


def evaluate(W, H, sig, X, rule):
    """SIR_t and ENVSI of the Wiener reconstruction of the selected component,
    chosen by `rule` and by the fault-aware ENVSI rule (suffix `_fa`)."""
    W, H = np.asarray(W, float), np.asarray(H, float)
    sir, envsi = _scores(W, H, sig, X, rule)
    sir_fa, envsi_fa = _scores(W, H, sig, X, "envsi")
    return dict(sir_t=sir, envsi=envsi, sir_t_fa=sir_fa, envsi_fa=envsi_fa)


def timed(fn):
    start = time.perf_counter()
    result = jax.block_until_ready(fn())
    return result, time.perf_counter() - start


def run_signal(sigma, noise, seed, cfg):
    """All methods on one simulated signal; yields CSV rows."""
    sig = signals.simulate_bearing_signal(
        noise_std=sigma, noise=noise, seed=seed, **cfg.get("simulator", {})
    )
    X, _, _ = signals.stft(sig.mixture, sig.fs)
    V = jnp.asarray(np.abs(X) ** 2 / np.mean(np.abs(X) ** 2), jnp.float32)
    key, rank, rule = (
        jax.random.key(seed),
        cfg["solver"]["rank"],
        cfg["solver"]["select"],
    )
    sh = cfg["shinbo"]
    outer = sj.kurtosis_objective(weight=sh["kurtosis_weight"])
    budget = sj.shinbo_budget(
        sh["outer_steps"], sh["inner_steps"], sh["refit_steps"],
        sh["warm_start_steps"],
    )  # fmt: skip
    base = dict(sigma=sigma, noise=noise, seed=seed)

    def row(method, result, seconds):
        scores = evaluate(result.W, result.H, sig, X, rule)
        lam = " ".join(f"{v:.4g}" for v in np.asarray(result.lam))
        return base | scores | dict(method=method, lam=lam, seconds=seconds)

    shinbo_variants = [
        (gamma, edges)
        for gamma in sh.get("gammas", ["mm"])
        for edges in sh.get("holdout_edges", [True])
    ]
    for gamma, edges in shinbo_variants:
        method = "shinbo" if gamma == "mm" else f"shinbo-γ={gamma}"
        method += "" if edges else "-interior"
        # A diverging fit raises NonFiniteError; it is recorded as a failed row
        # (NaN scores) instead of stopping the benchmark.
        try:
            shinbo, seconds = timed(lambda gamma=gamma, edges=edges: sj.fit_shinbo(
                V, rank, key=key, outer=outer, gamma=gamma,
                warm_start_steps=sh["warm_start_steps"],
                outer_steps=sh["outer_steps"], inner_steps=sh["inner_steps"],
                refit_steps=sh["refit_steps"], lam0=sh["lam0"],
                holdout_edges=edges))  # fmt: skip
            yield row(method, shinbo, seconds)
        except sj.NonFiniteError:
            failed = dict.fromkeys(SCORES, float("nan"))
            yield base | failed | dict(
                method=method, lam="diverged", seconds=float("nan")
            )
    for gamma in sh.get("gammas", ["mm"]):
        method = "mu" if gamma == "mm" else f"mu-γ={gamma}"
        mu, seconds = timed(lambda gamma=gamma: sj.fit_mu(
            V, rank, key=key, num_steps=budget, gamma=gamma
        ))  # fmt: skip
        yield row(method, mu, seconds)
    fixed_lam = cfg["fixed"]["default_lam"]
    fixed, seconds = timed(
        lambda: sj.fit_fixed_penalty(V, rank, fixed_lam, key=key, num_steps=budget)
    )
    yield row("fixed", fixed, seconds)
    best, total = None, 0.0
    for lam in cfg["fixed"]["oracle_grid"]:
        fit, seconds = timed(
            lambda lam=lam: sj.fit_fixed_penalty(
                V, rank, lam, key=key, num_steps=budget
            )
        )
        total += seconds
        candidate = row("oracle-grid", fit, 0.0)
        if best is None or candidate["sir_t"] > best["sir_t"]:
            best = candidate
    yield best | dict(seconds=total)
    start = time.perf_counter()
    kurtogram = baselines.kurtogram_envelope(sig.mixture, sig.fs)
    seconds = time.perf_counter() - start
    estimate = np.real(kurtogram.band_passed)
    sir = metrics.sir_t(sig.soi, estimate)
    envsi = metrics.envsi(estimate, sig.fs, sig.fault_freq)
    # One band, nothing to select: the fault-aware columns repeat the scores.
    yield base | dict(
        method="kurtogram", lam="", sir_t=sir, envsi=envsi, sir_t_fa=sir,
        envsi_fa=envsi, seconds=seconds,
    )  # fmt: skip


def done_keys(path: pathlib.Path) -> set:
    if not path.exists():
        return set()
    with path.open() as handle:
        return {
            (float(r["sigma"]), r["noise"], int(r["seed"]))
            for r in csv.DictReader(handle)
        }


def run(cfg, out: pathlib.Path, n_seeds: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "runs.csv"
    finished = done_keys(path)
    new_file = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        if new_file:
            writer.writeheader()
        for seed in range(n_seeds):
            for sigma in cfg["signal"]["noise_std"]:
                for noise in cfg["signal"]["noise"]:
                    if (float(sigma), noise, seed) in finished:
                        continue
                    rows = list(run_signal(float(sigma), noise, seed, cfg))
                    writer.writerows(rows)  # one signal's rows together
                    handle.flush()
                    shinbo = next(r for r in rows if r["method"] == "shinbo")
                    print(f"seed {seed} σ={sigma} {noise}: " + ", ".join(
                        f"{r['method']} {r['sir_t']:.2f}" for r in rows
                    ) + f" (λ {shinbo['lam']})", flush=True)  # fmt: skip


def _methods(rows) -> list[str]:
    present = {r["method"] for r in rows}
    return [m for m in METHODS if m in present] + sorted(present - set(METHODS))


def summarise(out: pathlib.Path) -> str:
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    methods = _methods(rows)
    lines = []
    titles = dict(
        sir_t="SIR_t [dB], kurtosis selection",
        envsi="ENVSI, kurtosis selection",
        sir_t_fa="SIR_t [dB], fault-aware (ENVSI) selection",
        envsi_fa="ENVSI, fault-aware (ENVSI) selection",
    )
    for metric, title in titles.items():
        lines += [f"\n### {title}: median (mean ± std) over seeds\n"]
        lines += ["| noise | σ | n | " + " | ".join(methods) + " |"]
        lines += ["|---" * (3 + len(methods)) + "|"]
        keys = sorted({(r["noise"], float(r["sigma"])) for r in rows})
        for noise, sigma in keys:
            cells, count = [], 0
            for method in methods:
                values = np.array([
                    float(r[metric]) for r in rows
                    if r["noise"] == noise and float(r["sigma"]) == sigma
                    and r["method"] == method
                ])  # fmt: skip
                count = max(count, values.size)
                failed = int(np.sum(~np.isfinite(values)))
                values = values[np.isfinite(values)]
                spread = f"({values.mean():.2f} ± {values.std():.2f})"
                text = f"{np.median(values):.2f} {spread}" if values.size else "–"
                text += f" [{failed} failed]" if failed else ""
                cells.append(text)
            lines.append(
                f"| {noise} | {sigma:g} | {count} | " + " | ".join(cells) + " |"
            )
    lines += ["\n### compute: mean seconds per signal (2-core CPU)\n"]
    lines += ["| " + " | ".join(methods) + " |", "|---" * len(methods) + "|"]
    lines += ["| " + " | ".join(
        f"{np.nanmean([float(r['seconds']) for r in rows if r['method'] == m]):.2f}"
        for m in methods
    ) + " |"]  # fmt: skip
    return "\n".join(lines)


def box_plots(out: pathlib.Path) -> None:
    """One PNG per metric: box plots per noise type and σ, one box per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    methods = _methods(rows)
    noises = sorted({r["noise"] for r in rows})
    sigmas = sorted({float(r["sigma"]) for r in rows})
    for metric in ("sir_t", "envsi", "sir_t_fa"):
        fig, axes = plt.subplots(1, len(noises), figsize=(5 * len(noises), 4))
        for axis, noise in zip(np.atleast_1d(axes), noises, strict=True):
            for offset, method in enumerate(methods):
                data = [
                    [float(r[metric]) for r in rows if r["noise"] == noise
                     and float(r["sigma"]) == sigma and r["method"] == method
                     and np.isfinite(float(r[metric]))]
                    for sigma in sigmas
                ]  # fmt: skip
                positions = np.arange(len(sigmas)) * (len(methods) + 1) + offset
                parts = axis.boxplot(data, positions=positions, widths=0.8,
                                     patch_artist=True)  # fmt: skip
                for box in parts["boxes"]:
                    box.set_facecolor(f"C{offset}")
            centres = np.arange(len(sigmas)) * (len(methods) + 1)
            centres = centres + (len(methods) - 1) / 2
            axis.set_xticks(centres, [f"σ={s:g}" for s in sigmas])
            axis.set_title(f"{noise} noise")
            axis.set_ylabel(metric)
        handles = [
            plt.Rectangle((0, 0), 1, 1, color=f"C{i}") for i in range(len(methods))
        ]
        fig.legend(handles, methods, loc="upper center", ncol=len(methods))
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        fig.savefig(out / f"{metric}.png", dpi=90)
        plt.close(fig)


def worked_example(cfg, out: pathlib.Path, sigma: float, noise: str) -> None:
    """Spectrogram, W columns, H rows and envelope spectra of one simulated
    signal (seed 0), through the same pipeline as `shinbo separate`."""
    from shinbo_jax._pipeline import METHODS, SeparationSettings, separate_recording
    from shinbo_jax.cli._figures import write_figures

    sig = signals.simulate_bearing_signal(
        noise_std=sigma, noise=noise, seed=0, **cfg.get("simulator", {})
    )
    settings = SeparationSettings(select=cfg["solver"]["select"], methods=METHODS)
    separation = separate_recording(
        sig.mixture, sig.fs, {"fault": sig.fault_freq}, settings
    )
    folder = out / f"worked_{noise}_sigma{sigma:g}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in write_figures(folder, separation, "fault"):
        print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=pathlib.Path)
    parser.add_argument(
        "--out", type=pathlib.Path, default=pathlib.Path("results/synthetic")
    )
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument(
        "--worked-example", nargs=2, metavar=("SIGMA", "NOISE"), default=None,
        help="only draw the worked-example figures for one σ and noise type",
    )  # fmt: skip
    args = parser.parse_args()
    cfg = tomllib.loads(args.config.read_text())
    if args.worked_example is not None:
        sigma, noise = args.worked_example
        worked_example(cfg, args.out, float(sigma), noise)
        return
    if not args.summary_only:
        run(cfg, args.out, args.seeds or cfg["signal"]["seeds"])
    summary = summarise(args.out)
    (args.out / "summary.md").write_text(summary)
    box_plots(args.out)
    print(summary)


if __name__ == "__main__":
    main()
