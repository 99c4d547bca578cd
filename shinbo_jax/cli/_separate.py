"""`shinbo separate`: pull the bearing-fault signal out of one recording.

Order of work, so that bad input never leaves files behind: load and check the
recording, the segment, the fault line and the settings; then prepare the
output folder (refusing earlier results unless --force); then fit; then write
result.npz, the figures and, last, report.json.

`--segment SECONDS` analyses one segment only (from `--start`, default 0 s); it
does not loop over segments.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np

from shinbo_jax import __version__
from shinbo_jax._pipeline import (
    FAULT_KINDS,
    METHODS,
    OUTERS,
    SELECTION_RULES,
    FaultFrequency,
    Separation,
    SeparationSettings,
    check_fault_frequency,
    check_length,
    prepare_signal,
    resolve_fault_frequency,
    separate_recording,
)
from shinbo_jax.io import (
    Recording,
    atomic_save_npz,
    atomic_write_text,
    load_signal,
    prepare_output_dir,
)
from shinbo_jax.signals import BEARINGS

from ._precision import use_dtype
from ._progress import progress_hooks
from ._report import dumps, methods_dict, metrics_dict, summary_table

#: Files `shinbo separate` writes (figures unless --no-figures).
RESULT_FILES = ("result.npz", "report.json")


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that pick the signal: rate, variable, channel, segment."""
    group = parser.add_argument_group("input")
    group.add_argument(
        "--fs",
        type=float,
        help="sampling rate in Hz, where the "
        "file stores none (NPY, CSV, generic MAT), or to override",
    )
    group.add_argument("--var", help="MAT variable to read (struct.field allowed)")
    group.add_argument("--channel", help="CWRU DE|FE|BA, or a column index/name")
    group.add_argument(
        "--decimate",
        type=int,
        default=1,
        metavar="N",
        help="decimate by N first (scipy.signal.decimate)",
    )
    group.add_argument(
        "--start",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="start of the analysed segment (default 0)",
    )
    group.add_argument(
        "--segment",
        type=float,
        default=None,
        metavar="SECONDS",
        help="analyse one segment of this length from --start (default: all)",
    )


def add_method_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the spectrogram, the fits and the selection."""
    defaults = SeparationSettings()
    group = parser.add_argument_group("spectrogram and methods")
    group.add_argument("--window", type=int, default=defaults.window)
    group.add_argument("--overlap", type=int, default=defaults.overlap)
    group.add_argument("--nfft", type=int, default=defaults.nfft)
    group.add_argument("--rank", type=int, default=defaults.rank)
    group.add_argument(
        "--outer",
        choices=OUTERS,
        default=defaults.outer,
        help="SHINBO's outer objective (envsi uses the fault line)",
    )
    group.add_argument("--outer-steps", type=int, default=defaults.outer_steps)
    group.add_argument("--inner-steps", type=int, default=defaults.inner_steps)
    group.add_argument("--seed", type=_seed, default=defaults.seed)
    group.add_argument(
        "--select",
        choices=SELECTION_RULES,
        default=defaults.select,
        help="SOI component rule (default kurtosis)",
    )


def add_separate_parser(commands) -> None:
    """Registers `shinbo separate` on the subcommand parsers `commands`."""
    parser = commands.add_parser(
        "separate",
        help="separate the fault signal of one recording",
        description="Factorise the power spectrogram of one recording with "
        "SHINBO, pick the signal-of-interest component, reconstruct it in time "
        "and score its envelope spectrum (ENVSI, PMR) at the fault line.",
    )
    parser.add_argument("path", type=pathlib.Path, help="WAV, MAT, NPY or CSV file")
    add_input_arguments(parser)
    fault = parser.add_argument_group("fault line (give --fault-freq, or --fault)")
    fault.add_argument(
        "--fault-freq", type=float, metavar="HZ",
        help="fault line in Hz; must lie below min(frame rate / 2, fs / 11)",
    )  # fmt: skip
    fault.add_argument("--fault", choices=FAULT_KINDS, help="defect kind")
    fault.add_argument(
        "--bearing",
        choices=tuple(BEARINGS),
        help="built-in geometry (default: the file's rig)",
    )
    fault.add_argument("--geometry", metavar="N,BALL_D,PITCH_D[,ANGLE]")
    fault.add_argument("--rpm", type=float, help="shaft speed (default: the file's)")
    add_method_arguments(parser)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run MU, fixed λ = 0.1 and the kurtogram",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help="output folder (default shinbo-out/<file stem>)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder holding earlier results",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the PNGs")
    parser.add_argument(
        "--json", action="store_true", help="print the report JSON instead of the table"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run_separate)


def settings_from_args(args, methods: tuple[str, ...]) -> SeparationSettings:
    """The method settings given on the command line."""
    return SeparationSettings(
        window=args.window,
        overlap=args.overlap,
        nfft=args.nfft,
        rank=args.rank,
        outer=args.outer,
        outer_steps=args.outer_steps,
        inner_steps=args.inner_steps,
        seed=args.seed,
        select=args.select,
        methods=methods,
    )


def input_info(recording: Recording, x, fs, *, decimate, start, segment) -> dict:
    """The report's description of what was analysed."""
    return {
        "path": recording.source,
        "variable": recording.variable,
        "channel": recording.meta.get("channel"),
        "rig": recording.meta.get("rig"),
        "fs_file_hz": recording.fs,
        "fs_origin": recording.meta.get("fs_origin"),
        "decimate": decimate,
        "fs_hz": fs,
        "start_s": start,
        "segment_s": segment,
        "n_samples": int(x.size),
        "duration_s": x.size / fs,
    }


def build_report(
    separation: Separation, fault: FaultFrequency, label: str, info: dict
) -> dict:
    """The report of one separation at one fault line (report.json)."""
    settings = separation.settings
    return {
        "command": "separate",
        "version": __version__,
        "input": info,
        "fault": {
            "frequency_hz": fault.hz,
            "kind": fault.kind,
            "source": fault.source,
            "shaft_hz": fault.shaft_hz,
            "bearing": fault.bearing,
        },
        "settings": {
            **{key: getattr(settings, key) for key in settings.__dataclass_fields__},
            "frame_rate_hz": separation.frame_rate,
            "spectrogram_shape": list(separation.V.shape),
            "n_scored_samples": separation.n_scored,
        },
        "raw": metrics_dict(separation.raw[label]),
        "methods": methods_dict(separation, label),
    }


def _write_results(folder, separation, report, label, figures: bool) -> list:
    shinbo = separation.methods["shinbo"]
    arrays = {
        "W": shinbo.W, "H": shinbo.H, "lam": shinbo.lam, "soi": shinbo.estimate,
        "component": shinbo.component, "fs": separation.fs,
        "fault_freq": separation.fault_freqs[label],
        "settings": np.array(dumps(report["settings"])),
    }  # fmt: skip
    for name, result in separation.methods.items():
        if name != "shinbo":
            arrays[f"{name}_soi"] = result.estimate
        if name in ("mu", "fixed"):
            arrays.update({f"{name}_W": result.W, f"{name}_H": result.H})
    written = [atomic_save_npz(folder / "result.npz", **arrays)]
    if figures:
        from ._figures import write_figures

        written += write_figures(folder, separation, label)
    report["files"] = [path.name for path in written] + ["report.json"]
    written.append(atomic_write_text(folder / "report.json", dumps(report) + "\n"))
    return written


def load_checked(args) -> tuple[Recording, np.ndarray, float]:
    """Loads the recording and cuts the segment; raises InputError on bad input."""
    recording = load_signal(args.path, fs=args.fs, var=args.var, channel=args.channel)
    x, fs = prepare_signal(
        recording.x,
        recording.fs,
        decimate=args.decimate,
        start=args.start,
        segment=args.segment,
        what=f"signal from '{recording.source}'",
    )
    return recording, x, fs


def run_separate(args) -> int:
    """Runs `shinbo separate` for parsed `args`; returns the exit status."""
    methods = METHODS if args.compare else ("shinbo",)
    settings = settings_from_args(args, methods)
    use_dtype(settings.dtype)
    recording, x, fs = load_checked(args)
    fault = resolve_fault_frequency(
        fault_freq=args.fault_freq,
        fault=args.fault,
        bearing=args.bearing,
        geometry=args.geometry,
        rpm=args.rpm,
        recording=recording,
    )
    check_length(x, settings)
    check_fault_frequency(fault.hz, fs, settings)
    out = args.out or pathlib.Path("shinbo-out") / args.path.stem
    folder = prepare_output_dir(out, force=args.force, expected=_expected(args))
    label = fault.kind or "fault"
    start = time.perf_counter()
    with progress_hooks(methods, settings.outer_steps, quiet=args.quiet) as hooks:
        separation = separate_recording(
            x,
            fs,
            {label: fault.hz},
            settings,
            on_method=hooks.on_method,
            callback=hooks.callback,
        )
    info = input_info(
        recording,
        x,
        fs,
        decimate=args.decimate,
        start=args.start,
        segment=args.segment,
    )
    report = build_report(separation, fault, label, info)
    report["total_seconds"] = time.perf_counter() - start
    _write_results(folder, separation, report, label, not args.no_figures)
    if args.json:
        print(dumps(report))
    else:
        _print_summary(recording, x, fs, fault, separation, label, folder, report)
    return 0


def _expected(args) -> tuple[str, ...]:
    if args.no_figures:
        return RESULT_FILES
    from ._figures import FIGURES

    return RESULT_FILES + FIGURES


def _print_summary(recording, x, fs, fault, separation, label, folder, report):
    print(
        f"{recording.source}: {x.size / fs:.2f} s at {fs:g} Hz; spectrogram "
        f"{separation.V.shape[0]} × {separation.V.shape[1]}"
    )
    print(f"fault line: {fault.hz:.2f} Hz ({fault.source})")
    print()
    print(summary_table(separation, label))
    print()
    print(f"total {report['total_seconds']:.1f} s; results in {folder}")


def _seed(text: str) -> int:
    """An argparse type: an integer seed that `jax.random.key` accepts."""
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(
            f"seed {value} is outside 0 … 2**63 − 1; pass a smaller integer"
        )
    return value
