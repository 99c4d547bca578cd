"""MATLAB `.mat` recordings: the CWRU and MFPT layouts, and generic files.

CWRU sampling-rate rule. CWRU files do not store their sampling rate. The rate
is inferred from the CWRU file number found in the variable names
(`X105_DE_time` comes from file `105.mat`):

* files 97-100 (normal baseline) are 48 kHz; the README of the shared data
  shows this for 97 (its 243 938 samples match the 48 kHz fault file 109, and
  its spectral lines only line up with other records when read at 48 kHz);
* the 48 kHz drive-end fault set is 48 kHz: files 109-112, 122-125, 135-138,
  148-151, 161-164, 174-177, 189-192, 201-204, 213-215, 217, 226-229, 238-241,
  250-253 and 262-265;
* every other file number is 12 kHz (the 12 kHz drive-end and fan-end sets).

An explicit `fs` argument always overrides the rule.
"""

import itertools
import pathlib
import re
from typing import Any

import numpy as np
import scipy.io

from ._errors import InputError
from ._recording import Recording
from ._select import Channel, pick_column, resolve_fs, unreadable

_CWRU_KEY = re.compile(r"^X(\d+)_(DE|FE|BA)_time$")
_CWRU_PREFERENCE = ("DE", "FE", "BA")
_CWRU_48K_FILES = frozenset(
    itertools.chain(
        range(97, 101),
        *(range(first, first + 4) for first in (109, 122, 135, 148, 161, 174)),
        *(range(first, first + 4) for first in (189, 201, 226, 238, 250, 262)),
        (213, 214, 215, 217),
    )
)
_MFPT_SIGNAL = "bearing.gs"
_MFPT_FAULT_LINES = ("BPFO", "BPFI", "BSF", "FTF")
_RATE_NAMES = ("fs", "Fs", "sr")


def cwru_rate(file_number: int) -> float:
    """Returns the sampling rate of a CWRU file by the rule in the module notes."""
    return 48_000.0 if file_number in _CWRU_48K_FILES else 12_000.0


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flattens nested MATLAB structs into `"outer.inner"` keys."""
    flat: dict[str, Any] = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _read_mat(path: pathlib.Path, source: str) -> dict[str, Any]:
    """Reads a MAT file into a flat name-to-value dict, structs as dotted keys."""
    # TODO(shinbo-jax maintainers): a corrupt v5 file can crash the interpreter
    #   (SIGSEGV) inside scipy.io.loadmat, which does not range-check element
    #   type codes (the strict xfail in tests/test_fuzz.py); way out: parse in
    #   a child process, or check the element headers first, so the crash
    #   becomes an InputError.
    # TODO(shinbo-jax maintainers): MATLAB v7.3 (HDF5) files are refused;
    #   way out: read them with h5py, an optional dependency, when installed.
    try:
        contents = scipy.io.loadmat(path, simplify_cells=True)
    except NotImplementedError as exc:
        raise InputError(
            f"Cannot read '{source}': it is a MATLAB v7.3 (HDF5) file, which scipy "
            "cannot open; re-save it in MATLAB with save(name, '-v7')."
        ) from exc
    except Exception as exc:
        raise unreadable(source, "MAT", exc) from exc
    return _flatten({k: v for k, v in contents.items() if not k.startswith("__")})


def _is_signal(value: Any) -> bool:
    """Tells whether a MAT value is a numeric array of more than one element."""
    return (
        isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size > 1
    )


def _scalar(value: Any) -> float | None:
    """Returns a numeric scalar MAT value as a float, else None."""
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf" and arr.size == 1:
        return float(arr.reshape(-1)[0])
    return None


def _number_or_text(value: Any) -> float | str | None:
    """Reads a MAT value stored either as a number or as text (MFPT `load`)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value.strip()
    return _scalar(value)


def _describe(fields: dict[str, Any]) -> str:
    """Lists the signal-like variables with their shapes."""
    signals = [
        f"{name} {value.shape}" for name, value in fields.items() if _is_signal(value)
    ]
    return ", ".join(signals) if signals else "none"


def _variable(fields: dict[str, Any], var: str, source: str) -> np.ndarray:
    """Looks up a signal variable, raising a helpful error when it is unusable."""
    value = fields.get(var)
    if not _is_signal(value):
        problem = "has no variable" if value is None else "has no signal variable"
        raise InputError(
            f"'{source}' {problem} {var!r}; signal variables available: "
            f"{_describe(fields)}; pass one of them as var= (or --var)."
        )
    return value


def _channel_key(cwru: dict[str, str], channel: Channel, source: str) -> str:
    """Chooses the CWRU channel variable (DE preferred, then FE, then BA)."""
    if channel is None:
        return next(cwru[name] for name in _CWRU_PREFERENCE if name in cwru)
    wanted = str(channel).upper()
    if wanted not in cwru:
        available = ", ".join(name for name in _CWRU_PREFERENCE if name in cwru)
        raise InputError(
            f"Unknown channel {channel!r} for CWRU file '{source}'; available "
            f"channels: {available}; pass one of them as channel= (or --channel)."
        )
    return cwru[wanted]


def _cwru_channels(fields: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Maps each CWRU file number (as written) to its channels' variable names."""
    numbers: dict[str, dict[str, str]] = {}
    for name in fields:
        match = _CWRU_KEY.match(name)
        if match and _is_signal(fields[name]):
            numbers.setdefault(match.group(1), {})[match.group(2)] = name
    return numbers


def _cwru_number(
    numbers: dict[str, dict[str, str]], fields: dict[str, Any], source: str
) -> str:
    """Picks the file number when a CWRU file holds records of several numbers.

    Some CWRU files carry a second record under another number; the one with
    its own `X???RPM` variable is taken to be the file's own.
    """
    if len(numbers) == 1:
        return next(iter(numbers))
    with_rpm = [digits for digits in numbers if f"X{digits}RPM" in fields]
    if len(with_rpm) == 1:
        return with_rpm[0]
    names = ", ".join(sorted(v for ch in numbers.values() for v in ch.values()))
    raise InputError(
        f"CWRU file '{source}' holds records of several file numbers "
        f"({', '.join(sorted(numbers))}); pass the one you want as var= "
        f"(or --var), one of: {names}."
    )


def _load_cwru(
    fields: dict[str, Any],
    numbers: dict[str, dict[str, str]],
    source: str,
    fs: Any,
    var: str | None,
    channel: Channel,
) -> Recording:
    """Builds a :class:`Recording` from a CWRU file."""
    if var is not None and channel is not None:
        raise InputError(
            f"Both var={var!r} and channel={channel!r} were given for CWRU file "
            f"'{source}'; pass only one of them (--var or --channel)."
        )
    match = _CWRU_KEY.match(var) if var is not None else None
    digits = match.group(1) if match else _cwru_number(numbers, fields, source)
    key = var if var is not None else _channel_key(numbers[digits], channel, source)
    signal = _variable(fields, key, source)
    key_match = _CWRU_KEY.match(key)
    rate, origin = resolve_fs(fs, cwru_rate(int(digits)), source, "")
    rpm = _scalar(fields.get(f"X{digits}RPM"))
    meta = {
        "rig": "cwru",
        "format": "mat",
        "file_number": int(digits),
        "channel": key_match.group(2) if key_match else None,
        "rpm": rpm,
        "fs_origin": "argument" if origin == "argument" else "cwru-rule",
    }
    shaft_hz = None if rpm is None else rpm / 60.0
    return Recording(signal, rate, source, key, shaft_hz, meta)


def _load_mfpt(
    fields: dict[str, Any], source: str, fs: Any, var: str | None, channel: Channel
) -> Recording:
    """Builds a :class:`Recording` from an MFPT file (struct `bearing`)."""
    key = _MFPT_SIGNAL if var is None else var
    if channel is not None and str(channel).lower() != "gs":
        raise InputError(
            f"Unknown channel {channel!r} for MFPT file '{source}'; available "
            "channels: gs; omit channel= (or --channel) or pass channel='gs'."
        )
    signal = _variable(fields, key, source)
    stored = _scalar(fields.get("bearing.sr"))
    rate, origin = resolve_fs(fs, stored, source, "its bearing struct has no sr")
    faults = {
        name: _scalar(fields[name])
        for name in _MFPT_FAULT_LINES
        if name in fields and _scalar(fields[name]) is not None
    }
    meta = {
        "rig": "mfpt",
        "format": "mat",
        "channel": "gs",
        "load": _number_or_text(fields.get("bearing.load")),
        "fault_frequencies_hz": faults,
        "fs_origin": origin,
    }
    shaft_hz = _scalar(fields.get("bearing.rate"))
    return Recording(signal, rate, source, key, shaft_hz, meta)


def _only_vector(fields: dict[str, Any], source: str) -> str:
    """Finds the single 1-D signal variable of a generic MAT file."""
    vectors = [
        name
        for name, value in fields.items()
        if _is_signal(value) and np.squeeze(value).ndim == 1
    ]
    if len(vectors) == 1:
        return vectors[0]
    found = f"{len(vectors)} one-channel signal variables"
    raise InputError(
        f"Cannot tell which variable of '{source}' is the signal ({found}); "
        f"signal variables available: {_describe(fields)}; pass one of them as "
        "var= (or --var)."
    )


def _load_generic(
    fields: dict[str, Any], source: str, fs: Any, var: str | None, channel: Channel
) -> Recording:
    """Builds a :class:`Recording` from a MAT file of no known rig."""
    key = _only_vector(fields, source) if var is None else var
    signal, index = pick_column(_variable(fields, key, source), channel, source)
    rates = (_scalar(fields.get(name)) for name in _RATE_NAMES)
    stored = next((rate for rate in rates if rate is not None), None)
    why = "the file has no scalar fs, Fs or sr variable"
    rate, origin = resolve_fs(fs, stored, source, why)
    meta = {"rig": None, "format": "mat", "channel": index, "fs_origin": origin}
    return Recording(signal, rate, source, key, None, meta)


def load_mat(
    path: pathlib.Path, source: str, *, fs: Any, var: str | None, channel: Channel
) -> Recording:
    """Loads one channel of a MAT file, recognising CWRU and MFPT layouts.

    Args:
        path: The file.
        source: The file as the user gave it, for messages and the record.
        fs: Sampling-rate override in Hz, or None.
        var: Variable to read (struct fields as `"struct.field"`), or None.
        channel: CWRU `"DE"`/`"FE"`/`"BA"`; a column of a 2-D variable in
            generic files; `"gs"` or None for MFPT files.

    Returns:
        The validated recording.

    Raises:
        InputError: If the file cannot be read or the request does not fit it.
    """
    fields = _read_mat(path, source)
    numbers = _cwru_channels(fields)
    if numbers:
        return _load_cwru(fields, numbers, source, fs, var, channel)
    if _MFPT_SIGNAL in fields:
        return _load_mfpt(fields, source, fs, var, channel)
    return _load_generic(fields, source, fs, var, channel)
