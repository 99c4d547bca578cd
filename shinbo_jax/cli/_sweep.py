"""`shinbo sweep CONFIG.toml`: a resumable sweep over λ, seeds and spectrograms.

The TOML file has three tables (every key optional; see configs/sweep.toml)::

    [data]                 # what to factorise
    source = "simulated"   # or "npy": files = ["a.npy", ...], same-shape F × N
    noise_std = [1.0, 3.0] # simulated: one spectrogram per (σ, seed)
    seeds = [0]
    duration = 1.0         # seconds; also window, overlap, nfft (the STFT)
    dtype = "float32"
    normalise = true       # scale each spectrogram to mean 1

    [sweep]
    method = "fixed"       # "solve", "mu", "fixed" or "shinbo"
    rank = 2
    num_steps = 200
    lam = [0.0, 0.01, 0.1, 1.0]    # or lam_logspace = [start, stop, num]
    seeds = [0, 1]         # initialisation keys
    chunk_size = 8         # or max_batch_bytes = 1073741824

    [shinbo]               # keyword arguments of fit_shinbo (method "shinbo")
    outer_steps = 20

    [output]
    dir = "runs/sweep"

Output folder: `manifest.json` (the resolved configuration), one
`chunks/chunk-NNNNN.npz` per finished chunk, then `results.csv` and
`sweep.png`. A rerun with the same configuration skips the finished chunks;
a folder whose manifest differs is refused (exit 2).
"""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import numpy as np
from tqdm import tqdm

from shinbo_jax import signals
from shinbo_jax._sweep import SweepResult, plan_sweep
from shinbo_jax.io import (
    InputError,
    atomic_save_npz,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    prepare_output_dir,
)

from ._precision import use_dtype
from ._progress import enabled

MANIFEST = "manifest.json"
CHUNK_DIR = "chunks"
MANIFEST_FORMAT = 1

_DEFAULTS = {
    "data": {
        "source": "simulated", "noise_std": [3.0], "seeds": [0], "duration": 1.0,
        "window": 128, "overlap": 100, "nfft": 512, "dtype": "float32",
        "normalise": True, "files": [],
    },
    "sweep": {
        "method": "fixed", "rank": 2, "num_steps": 200, "lam": [0.0, 0.1, 1.0],
        "lam_logspace": None, "seeds": [0], "chunk_size": None,
        "max_batch_bytes": 2**30, "gamma": "mm",
    },
    "shinbo": {},
    "output": {"dir": "sweep-results"},
}  # fmt: skip


def add_sweep_parser(commands) -> None:
    parser = commands.add_parser(
        "sweep",
        help="run a method over a grid of λ, seeds and spectrograms (resumable)",
        description="Run solve / MU / fixed-penalty / SHINBO for every (data, "
        "seed, λ) of a TOML config as vmapped chunks sharded over all devices. "
        "Each finished chunk is saved, so an interrupted sweep resumes where it "
        "stopped; the results table (CSV) and a figure are written at the end.",
    )
    parser.add_argument("config", type=pathlib.Path, help="sweep config (TOML)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=None,
        help="output folder (default: [output] dir of the config)",
    )  # fmt: skip
    parser.add_argument(
        "--max-chunks", type=int, default=None,
        help="stop after computing this many new chunks (rerun to continue)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_sweep)


def load_config(path: pathlib.Path) -> dict:
    """The TOML config merged over the defaults, with unknown keys refused."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(
            f"Config '{path}' does not exist; pass a TOML file."
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"Config '{path}' is not valid TOML ({error}).") from error
    config = {}
    for table, defaults in _DEFAULTS.items():
        given = raw.pop(table, {})
        unknown = sorted(set(given) - set(defaults)) if table != "shinbo" else []
        if unknown:
            raise InputError(
                f"Config '{path}': unknown key(s) {unknown} in [{table}]; allowed: "
                f"{sorted(defaults)}."
            )
        config[table] = {**defaults, **given}
    if raw:
        raise InputError(
            f"Config '{path}': unknown table(s) {sorted(raw)}; allowed: "
            f"{sorted(_DEFAULTS)}."
        )
    config["data"]["files"] = [
        str((path.parent / name).resolve()) for name in config["data"]["files"]
    ]
    return config


def lam_grid(sweep: dict) -> np.ndarray:
    """The λ grid of the [sweep] table: `lam`, or `lam_logspace` = [start, stop,
    num] (log10 exponents; 0 prepended)."""
    if sweep["method"] == "mu":
        return np.zeros((1,))
    if sweep["lam_logspace"] is not None:
        start, stop, num = sweep["lam_logspace"]
        return np.concatenate([[0.0], np.logspace(start, stop, int(num))])
    return np.asarray(sweep["lam"], dtype=float)


def _simulated_spectrograms(data: dict) -> tuple[list[np.ndarray], list[dict]]:
    spectra, labels = [], []
    for noise_std in data["noise_std"]:
        for seed in data["seeds"]:
            sig = signals.simulate_bearing_signal(
                noise_std=float(noise_std), seed=int(seed), duration=data["duration"]
            )
            V, _, _ = signals.power_spectrogram(
                sig.mixture, sig.fs, window=data["window"],
                overlap=data["overlap"], nfft=data["nfft"],
            )  # fmt: skip
            spectra.append(V)
            labels.append({"noise_std": float(noise_std), "data_seed": int(seed)})
    return spectra, labels


def _file_spectrograms(data: dict) -> tuple[list[np.ndarray], list[dict]]:
    if not data["files"]:
        raise InputError(
            "[data] source = 'npy' needs files = ['a.npy', ...]: F × N spectrograms "
            "of the same shape."
        )
    spectra = [np.load(name) for name in data["files"]]
    labels = [{"file": pathlib.Path(name).name} for name in data["files"]]
    return spectra, labels


def build_data(data: dict) -> tuple[np.ndarray, list[dict]]:
    """The B × F × N stack of spectrograms and a label per spectrogram."""
    if data["source"] == "simulated":
        spectra, labels = _simulated_spectrograms(data)
    elif data["source"] == "npy":
        spectra, labels = _file_spectrograms(data)
    else:
        raise InputError(
            f"[data] source must be 'simulated' or 'npy', got {data['source']!r}."
        )
    shapes = {np.shape(V) for V in spectra}
    if len(shapes) != 1:
        raise InputError(
            f"The spectrograms must all have one shape, got {sorted(shapes)}; use "
            "recordings of one length and one STFT layout."
        )
    stack = np.stack(spectra).astype(np.float64)
    if data["normalise"]:
        stack = stack / stack.mean(axis=(1, 2), keepdims=True)
    return stack.astype(np.dtype(data["dtype"])), labels


def _plan(config: dict, chunk_size: int | None):
    data, spec = config["data"], config["sweep"]
    use_dtype(data["dtype"])
    stack, labels = build_data(data)
    method = spec["method"]
    options = config["shinbo"] if method == "shinbo" else None
    plan = plan_sweep(
        stack, None if method == "mu" else lam_grid(spec), rank=spec["rank"],
        seeds=spec["seeds"], method=method, num_steps=spec["num_steps"],
        gamma=spec["gamma"], fit_options=options,
        max_batch_bytes=int(spec["max_batch_bytes"]),
        chunk_size=spec["chunk_size"] if chunk_size is None else chunk_size,
    )  # fmt: skip
    return plan, labels


def open_output(folder: pathlib.Path, config: dict) -> dict | None:
    """The manifest of a previous run with this config, or None for a new folder.

    Raises:
        InputError: if the folder holds a different sweep or other results.
    """
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("config") != _jsonable(config):
            raise InputError(
                f"Output folder '{folder}' holds a sweep with a different config "
                f"({_differences(manifest.get('config', {}), config)}); use another "
                "--out, or delete the folder to start again."
            )
        return manifest
    prepare_output_dir(folder)
    return None


def _jsonable(config: dict) -> dict:
    return json.loads(json.dumps(config))


def _differences(old: dict, new: dict) -> str:
    new = _jsonable(new)
    keys = sorted(
        f"[{table}] {key}"
        for table in set(old) | set(new)
        for key in set(old.get(table, {})) | set(new.get(table, {}))
        if old.get(table, {}).get(key) != new.get(table, {}).get(key)
    )
    return "differs in " + ", ".join(keys) if keys else "differs"


def chunk_path(folder: pathlib.Path, index: int) -> pathlib.Path:
    return folder / CHUNK_DIR / f"chunk-{index:05d}.npz"


def load_chunk(path: pathlib.Path, expected: np.ndarray) -> SweepResult | None:
    """A saved chunk, or None when it is missing or does not match the plan."""
    if not path.exists():
        return None
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    configs = arrays.pop("configs", None)
    if configs is None or not np.array_equal(configs, expected):
        return None
    return SweepResult(**arrays)


def run_chunks(plan, folder: pathlib.Path, max_new: int | None, show: bool):
    """Load or compute every chunk in order; None when stopped by `max_new`."""
    (folder / CHUNK_DIR).mkdir(exist_ok=True)
    parts, new = [], 0
    with tqdm(total=plan.num_chunks, unit="chunk", disable=not show,
              file=sys.stderr, desc="sweep") as bar:  # fmt: skip
        for index in range(plan.num_chunks):
            configs = plan.chunk_configs(index)
            part = load_chunk(chunk_path(folder, index), configs)
            if part is None:
                if max_new is not None and new >= max_new:
                    return None
                part = plan.run_chunk(index)
                atomic_save_npz(
                    chunk_path(folder, index), configs=configs, **part.arrays()
                )
                new += 1
            parts.append(part)
            bar.update()
    return SweepResult.concatenate(parts)


def results_csv(result: SweepResult, plan, labels: list[dict], config: dict) -> str:
    """One row per configuration; floats written exactly (shortest round trip)."""
    rank = result.lam.shape[1]
    label_keys = list(labels[0])
    header = (
        ["config", "data_index", *label_keys, "seed", "lam_index"]
        + [f"lam_{k + 1}" for k in range(rank)]
        + ["objective", "divergence_per_bin"]
        + [f"hoyer_{k + 1}" for k in range(rank)]
        + ["finite"]
    )
    seeds = config["sweep"]["seeds"]
    lines = [",".join(header)]
    for c in range(len(result)):
        b = int(result.data_index[c])
        row = [c, b, *labels[b].values(), seeds[int(result.seed_index[c])]]
        row += [int(result.lam_index[c]), *map(_number, result.lam[c])]
        row += [_number(result.objective[c]), _number(result.divergence[c])]
        row += [*map(_number, result.hoyer[c]), bool(result.finite[c])]
        lines.append(",".join(str(value) for value in row))
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    return repr(float(value))


def sweep_figure(result: SweepResult, plan, labels: list[dict]) -> bytes:
    """PNG: divergence per bin and the largest row Hoyer sparsity over the λ grid,
    one line per spectrogram (mean over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = plan.grid.mean(axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for b, label in enumerate(labels):
        rows = result.data_index == b
        grid_index = result.lam_index[rows]
        text = ", ".join(f"{key} {value}" for key, value in label.items())
        for ax, values in zip(
            axes, (result.divergence[rows], result.hoyer[rows].max(axis=1)), strict=True
        ):
            means = [values[grid_index == g].mean() for g in range(x.size)]
            ax.plot(x, means, marker="o", label=text)
    for ax, name in zip(
        axes, ("IS divergence per bin", "max row Hoyer of H"), strict=True
    ):
        ax.set_xscale("symlog", linthresh=_linthresh(x))
        ax.set_xlabel("λ (mean over rows; λ₀ for SHINBO)")
        ax.set_ylabel(name)
    axes[0].legend(fontsize="small")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()


def _linthresh(x: np.ndarray) -> float:
    positive = x[x > 0]
    return float(positive.min()) if positive.size else 1.0


def run_sweep(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    folder = args.out or pathlib.Path(config["output"]["dir"])
    config_key = {
        table: values for table, values in config.items() if table != "output"
    }
    manifest = open_output(folder, config_key)
    chunk_size = None if manifest is None else manifest["chunk_size"]
    plan, labels = _plan(config, chunk_size)
    if manifest is None:
        atomic_write_json(
            folder / MANIFEST,
            {"format": MANIFEST_FORMAT, "config": config_key,
             "chunk_size": plan.chunk_size, "num_configs": plan.num_configs},
        )  # fmt: skip
    print(
        f"sweep: {plan.num_configs} configurations ({config['sweep']['method']}) in "
        f"{plan.num_chunks} chunks of {plan.chunk_size} on {plan.num_devices} "
        f"device(s); output in {folder}"
    )
    show = enabled(args.quiet)
    result = run_chunks(plan, folder, args.max_chunks, show)
    if result is None:
        print(f"stopped after {args.max_chunks} new chunk(s); rerun to continue.")
        return 0
    atomic_write_text(folder / "results.csv", results_csv(result, plan, labels, config))
    atomic_write_bytes(folder / "sweep.png", sweep_figure(result, plan, labels))
    print(
        f"done: {int(result.finite.sum())}/{len(result)} configurations finite; "
        f"wrote {folder / 'results.csv'} and {folder / 'sweep.png'}"
    )
    return 0
