"""`shinbo experiment CONFIG.toml`: every configured recording, every method.

The TOML file has an optional ``[settings]`` table (fields of
:class:`shinbo_jax._pipeline.SeparationSettings`; ``methods`` defaults to all
four) and one ``[[recording]]`` table per file of the data folder::

    [[recording]]
    file = "cwru_105_inner_007in_0hp_12k.mat"   # name inside the data folder
    faults = ["bpfi"]        # defect kinds to score, or: fault_freq = 162.19
    bearing = "6205"         # optional: default from the file's rig
    rpm = 1797               # optional: default the file's; or shaft_hz = 25
    decimate = 4             # optional; also start, segment, fs, var, channel
    role = "control"         # optional: "fault" (default) or "control"

Every entry is loaded and checked before anything is fitted or written, so a
bad entry fails at once (exit 2). Files of the folder with no entry are listed
as skipped. The fit and the SOI selection use the first fault line of an entry;
every line of the entry is scored from the same fit.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import os
import pathlib
import sys
import time

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from shinbo_jax._pipeline import (
    METHODS,
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
    DATA_DIR_ENV,
    InputError,
    atomic_write_text,
    default_data_dir,
    list_recordings,
    load_signal,
    prepare_output_dir,
)

from ._precision import use_dtype
from ._progress import progress_hooks
from ._report import (
    METHOD_LABELS,
    dumps,
    format_number,
    markdown_table,
    methods_dict,
    metrics_dict,
    summary_table,
)

#: Files `shinbo experiment` writes.
RESULT_FILES = ("summary.csv", "summary.md", "report.json")
_ENTRY_KEYS = {
    "file", "faults", "fault_freq", "bearing", "geometry", "rpm", "shaft_hz",
    "decimate", "start", "segment", "fs", "var", "channel", "role", "note",
}  # fmt: skip


def add_experiment_parser(commands) -> None:
    """Registers `shinbo experiment` on the subcommand parsers `commands`."""
    parser = commands.add_parser(
        "experiment",
        help="run every method on every recording of a config",
        description="Separate the fault signal of every recording listed in a "
        "TOML config with every method and write a CSV and markdown summary of "
        "ENVSI and PMR.",
    )
    parser.add_argument("config", type=pathlib.Path, help="TOML file")
    parser.add_argument(
        "--data-dir", type=pathlib.Path, default=None,
        help=f"folder of recordings (default ${DATA_DIR_ENV}, else "
        "../shared/data/bearings next to the repository)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=pathlib.Path, default=None,
        help="output folder (default shinbo-out/experiment-<config stem>)",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run_experiment)


@dataclasses.dataclass(frozen=True)
class Job:
    """One checked config entry, ready to fit."""

    name: str
    role: str
    x: object
    fs: float
    faults: dict[str, FaultFrequency]
    decimate: int
    note: str


def read_config(path: pathlib.Path) -> dict:
    """Parses the TOML config; raises InputError with the fix on failure."""
    try:
        with open(path, "rb") as handle:
            config = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise InputError(
            f"Config '{path}' does not exist; pass the path of a TOML file, e.g. "
            "configs/real.toml."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"Config '{path}' is not valid TOML ({exc}); fix the syntax."
        ) from exc
    entries = config.get("recording")
    if not isinstance(entries, list) or not entries:
        raise InputError(
            f"Config '{path}' lists no [[recording]] tables; add one per file."
        )
    return config


def settings_from_config(config: dict) -> SeparationSettings:
    """The [settings] table as :class:`SeparationSettings` (all methods default)."""
    table = dict(config.get("settings", {}))
    table["methods"] = tuple(table.get("methods", METHODS))
    known = set(SeparationSettings.__dataclass_fields__)
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(
            f"Unknown [settings] key(s) {', '.join(unknown)}; use only "
            f"{', '.join(sorted(known))}."
        )
    try:
        return SeparationSettings(**table)
    except TypeError as exc:
        raise InputError(f"Bad [settings] value ({exc}); check the types.") from exc


def _entry_faults(entry: dict, recording) -> dict[str, FaultFrequency]:
    common = dict(
        bearing=entry.get("bearing"), geometry=entry.get("geometry"),
        rpm=entry.get("rpm"), shaft_hz=entry.get("shaft_hz"), recording=recording,
    )  # fmt: skip
    if "fault_freq" in entry:
        return {"fault": resolve_fault_frequency(fault_freq=entry["fault_freq"])}
    kinds = entry.get("faults")
    if not isinstance(kinds, list) or not kinds:
        raise InputError(
            f"Entry for '{entry.get('file')}' gives no fault line; add faults = "
            '["bpfo"] (or fault_freq = HZ).'
        )
    return {kind: resolve_fault_frequency(fault=kind, **common) for kind in kinds}


def check_entry(entry: dict, folder: pathlib.Path, settings) -> Job:
    """Loads and checks one [[recording]] entry."""
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if "file" not in entry or unknown:
        raise InputError(
            f"Bad [[recording]] entry {entry!r}: it needs file = NAME and may use "
            f"only {', '.join(sorted(_ENTRY_KEYS))}."
        )
    path = folder / entry["file"]
    recording = load_signal(
        path, fs=entry.get("fs"), var=entry.get("var"), channel=entry.get("channel")
    )
    decimate = entry.get("decimate", 1)
    x, fs = prepare_signal(
        recording.x, recording.fs, decimate=decimate, start=entry.get("start", 0.0),
        segment=entry.get("segment"), what=f"signal from '{path}'",
    )  # fmt: skip
    faults = _entry_faults(entry, recording)
    check_length(x, settings)
    for fault in faults.values():
        check_fault_frequency(fault.hz, fs, settings)
    role = entry.get("role", "fault")
    if role not in ("fault", "control"):
        raise InputError(
            f"Entry for '{entry['file']}' has role {role!r}; use 'fault' or 'control'."
        )
    return Job(entry["file"], role, x, fs, faults, decimate, entry.get("note", ""))


def _data_folder(args) -> pathlib.Path:
    folder = args.data_dir if args.data_dir is not None else default_data_dir()
    if folder is None:
        raise InputError(
            "No data folder found; pass --data-dir DIR or set the environment "
            f"variable {DATA_DIR_ENV}."
        )
    list_recordings(folder)  # raises if the folder does not exist
    return pathlib.Path(folder)


def run_experiment(args) -> int:
    """Runs `shinbo experiment` for parsed `args`; returns the exit status."""
    config = read_config(args.config)
    settings = settings_from_config(config)
    use_dtype(settings.dtype)
    folder = _data_folder(args)
    jobs = [check_entry(entry, folder, settings) for entry in config["recording"]]
    listed = {job.name for job in jobs}
    skipped = [path.name for path in list_recordings(folder) if path.name not in listed]
    out = args.out or pathlib.Path("shinbo-out") / f"experiment-{args.config.stem}"
    out = prepare_output_dir(out, force=args.force, expected=RESULT_FILES)
    for name in skipped:
        print(f"skipping {name}: no [[recording]] entry", file=sys.stderr)
    start = time.perf_counter()
    results = []
    for job in jobs:
        results.append((job, _run_job(job, settings, args.quiet)))
    total = time.perf_counter() - start
    _write_outputs(out, args, folder, settings, results, skipped, total)
    print(f"\ntotal {total:.1f} s; summary in {out / 'summary.md'}")
    return 0


def _run_job(job: Job, settings: SeparationSettings, quiet: bool) -> Separation:
    lines = {label: fault.hz for label, fault in job.faults.items()}
    with progress_hooks(
        settings.methods, settings.outer_steps, quiet=quiet, prefix=f"{job.name}: "
    ) as hooks:
        separation = separate_recording(
            job.x, job.fs, lines, settings, on_method=hooks.on_method,
            callback=hooks.callback,
        )  # fmt: skip
    for label, fault in job.faults.items():
        print(f"\n{job.name} ({job.role}), {label} {fault.hz:.2f} Hz: {fault.source}")
        print(summary_table(separation, label))
    sys.stdout.flush()
    return separation


def _rows(results):
    """One flat record per (config entry, fault line, signal)."""
    for index, (job, separation) in enumerate(results, start=1):
        for label, fault in job.faults.items():
            base = {
                "entry": index, "recording": job.name, "role": job.role, "line": label,
                "fault_hz": fault.hz, "fs_hz": job.fs, "decimate": job.decimate,
                "duration_s": job.x.size / job.fs,
            }  # fmt: skip
            yield {**base, "method": "raw", **metrics_dict(separation.raw[label])}
            for name, entry in methods_dict(separation, label).items():
                yield {**base, "method": name, **entry}


_CSV_COLUMNS = (
    "entry", "recording", "role", "line", "fault_hz", "fs_hz", "decimate", "duration_s",
    "method", "envsi", "pmr1", "pmr2", "pmr3", "peak1_hz", "peak2_hz", "peak3_hz",
    "pmr_null95", "component", "band_lo_hz", "band_hi_hz", "seconds",
)  # fmt: skip


def _csv_text(records) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, _CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = {key: record.get(key, "") for key in _CSV_COLUMNS}
        for k in range(3):
            row[f"pmr{k + 1}"] = record["pmr"][k]
            row[f"peak{k + 1}_hz"] = record["pmr_peak_freqs_hz"][k]
        if "band_hz" in record:
            row["band_lo_hz"], row["band_hi_hz"] = record["band_hz"]
        writer.writerow({key: _csv_value(value) for key, value in row.items()})
    return buffer.getvalue()


def _csv_value(value):
    if isinstance(value, float):
        return "" if value != value or abs(value) == float("inf") else f"{value:.6g}"
    return value


def _compact_tables(records, methods) -> str:
    """ENVSI and PMR k = 1 of every signal, one row per recording and line."""
    grouped: dict[tuple, dict] = {}
    for record in records:
        key = (record["entry"], record["recording"], record["role"], record["line"],
               record["fault_hz"])  # fmt: skip
        grouped.setdefault(key, {})[record["method"]] = record
    # A file listed twice (e.g. with another first line) keeps both rows.
    listed = collections.Counter(name for _, name in {key[:2] for key in grouped})
    signals = ["raw", *methods]
    header = ["recording", "line [Hz]"] + [METHOD_LABELS[name] for name in signals]
    parts = []
    for title, cell in (
        ("ENVSI", lambda r: format_number(r["envsi"])),
        (
            "PMR k=1 (null 95 % in brackets)",
            lambda r: (
                f"{format_number(r['pmr'][0])} ({format_number(r['pmr_null95'])})"
            ),
        ),
    ):
        rows = []
        for (entry, name, role, line, hz), by_method in grouped.items():
            label = name + (" (control)" if role == "control" else "")
            label += f" [entry {entry}]" if listed[name] > 1 else ""
            rows.append(
                [label, f"{line.upper()} {hz:.2f}"]
                + [cell(by_method[signal]) for signal in signals]
            )
        parts.append(f"### {title}\n\n" + markdown_table(header, rows))
    return "\n\n".join(parts)


def _detail_table(records) -> str:
    header = ["entry", "recording", "line", "signal", "ENVSI", "PMR k=1", "PMR k=2",
              "PMR k=3", "peak k=1 [Hz]", "null 95 %", "time [s]"]  # fmt: skip
    rows = [
        [
            str(record["entry"]),
            record["recording"],
            record["line"],
            METHOD_LABELS[record["method"]],
            format_number(record["envsi"]),
            *[format_number(value) for value in record["pmr"]],
            format_number(record["pmr_peak_freqs_hz"][0], 4),
            format_number(record["pmr_null95"]),
            format_number(record.get("seconds"), 2),
        ]  # fmt: skip
        for record in records
    ]
    return markdown_table(header, rows)


def _markdown(args, folder, settings, records, skipped, total) -> str:
    methods = list(settings.methods)
    settings_text = ", ".join(
        f"{key} = {getattr(settings, key)}" for key in settings.__dataclass_fields__
    )
    lines = [
        f"# shinbo experiment {args.config.name}",
        "",
        f"Data folder: `{_shown_path(folder)}`; total run time {total:.1f} s.",
        "",
        f"Settings: {settings_text}.",
        "",
        _compact_tables(records, methods),
        "",
        "### All scores",
        "",
        _detail_table(records),
    ]
    if skipped:
        lines += ["", "Skipped (no config entry): " + ", ".join(skipped) + "."]
    return "\n".join(lines) + "\n"


def _shown_path(folder: pathlib.Path) -> str:
    """The folder relative to the working directory when it lies near it."""
    try:
        return os.path.relpath(folder)
    except ValueError:
        return str(folder)


def _write_outputs(out, args, folder, settings, results, skipped, total) -> None:
    records = list(_rows(results))
    report = {
        "command": "experiment",
        "config": str(args.config),
        "data_dir": _shown_path(folder),
        "settings": dataclasses.asdict(settings),
        "total_seconds": total,
        "skipped": skipped,
        "rows": records,
        "fault_sources": {
            job.name: {label: fault.source for label, fault in job.faults.items()}
            for job, _ in results
        },
    }
    atomic_write_text(out / "summary.csv", _csv_text(records))
    atomic_write_text(
        out / "summary.md", _markdown(args, folder, settings, records, skipped, total)
    )
    atomic_write_text(out / "report.json", dumps(report) + "\n")
