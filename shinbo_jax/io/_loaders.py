"""Loading one channel of a recording from MAT, WAV, NPY, CSV or text files."""

import os
import pathlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.io.wavfile

from ._errors import InputError
from ._matfile import load_mat
from ._recording import Recording, check_fs
from ._select import Channel, pick_column, resolve_fs, unreadable

SUPPORTED_EXTENSIONS = (".csv", ".mat", ".npy", ".txt", ".wav")
"""File extensions :func:`load_signal` understands (matched case-insensitively)."""

# UTF-8, skipping the byte-order mark that spreadsheet programs often write.
_TEXT_ENCODING = "utf-8-sig"
_TABLE_LAYOUT = (
    "numbers in comma- or whitespace-separated columns with at most one header line"
)

_Reader = Callable[[pathlib.Path, str, Any, Channel], Recording]


def _scale_pcm(data: np.ndarray) -> np.ndarray:
    """Scales integer PCM samples to [-1, 1]; floating-point data pass through."""
    if data.dtype.kind == "u":
        half = 2.0 ** (8 * data.dtype.itemsize - 1)
        return (data.astype(np.float64) - half) / half
    if data.dtype.kind == "i":
        return data.astype(np.float64) / 2.0 ** (8 * data.dtype.itemsize - 1)
    with np.errstate(invalid="ignore"):  # a signalling NaN is reported later
        return data.astype(np.float64)


def _load_wav(path: pathlib.Path, source: str, fs: Any, channel: Channel) -> Recording:
    """Reads a WAV file; channel 0 is taken when several exist and none is given."""
    try:
        with warnings.catch_warnings():
            # Unknown chunks (LIST, cue, ...) are common and harmless.
            warnings.simplefilter("ignore", scipy.io.wavfile.WavFileWarning)
            stored, data = scipy.io.wavfile.read(path)
    except Exception as exc:
        raise unreadable(source, "WAV", exc) from exc
    samples, index = pick_column(data, channel, source, default=0, squeeze=False)
    rate, origin = resolve_fs(fs, stored, source, "")
    meta = {
        "rig": None,
        "format": "wav",
        "channel": index,
        "dtype": str(data.dtype),
        "fs_origin": origin,
    }
    return Recording(_scale_pcm(samples), rate, source, None, None, meta)


def _load_npy(path: pathlib.Path, source: str, fs: Any, channel: Channel) -> Recording:
    """Reads a NumPy array of samples, or of (samples, channels)."""
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise unreadable(source, "NPY", exc) from exc
    if not isinstance(data, np.ndarray):
        data.close()
        raise InputError(
            f"'{source}' is an NPZ archive, not a single NPY array; save one array "
            "with numpy.save, or extract the signal first."
        )
    samples, index = pick_column(data, channel, source)
    rate, origin = resolve_fs(fs, None, source, "NPY files do not store one")
    meta = {"rig": None, "format": "npy", "channel": index, "fs_origin": origin}
    return Recording(samples, rate, source, None, None, meta)


def _is_number(token: str) -> bool:
    """Tells whether a text token parses as a floating-point number."""
    try:
        float(token)
    except ValueError:
        return False
    return True


def _content_lines(path: pathlib.Path, count: int) -> list[tuple[int, str]]:
    """Returns the first `count` non-blank, non-comment lines with their numbers."""
    found: list[tuple[int, str]] = []
    with path.open(encoding=_TEXT_ENCODING) as handle:
        for number, text in enumerate(handle):
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                found.append((number, stripped))
                if len(found) == count:
                    break
    return found


def _sniff_table(path: pathlib.Path) -> tuple[str | None, list[str] | None, int]:
    """Finds the delimiter and the optional header line of a text table.

    The delimiter is a comma if the first data line holds one, else whitespace.
    The first content line is a header when any of its fields is not a number.

    Returns:
        The delimiter (`","`, or None for whitespace), the header names (or
        None) and the number of leading lines to skip.
    """
    lines = _content_lines(path, 2)
    if not lines:
        return None, None, 0
    delimiter = "," if "," in lines[-1][1] else None
    number, first = lines[0]
    tokens = [token.strip().strip("\"'") for token in first.split(delimiter)]
    if all(_is_number(token) for token in tokens):
        return delimiter, None, 0
    return delimiter, tokens, number + 1


def _load_text(path: pathlib.Path, source: str, fs: Any, channel: Channel) -> Recording:
    """Reads a comma- or whitespace-separated table with an optional header."""
    try:
        delimiter, names, skip = _sniff_table(path)
        with warnings.catch_warnings():
            # An empty table is reported below as an empty signal.
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(
                path,
                delimiter=delimiter,
                skiprows=skip,
                ndmin=2,
                dtype=np.float64,
                encoding=_TEXT_ENCODING,
            )
    except Exception as exc:
        raise unreadable(source, "CSV/text", exc, _TABLE_LAYOUT) from exc
    samples, index = pick_column(data, channel, source, names=names)
    rate, origin = resolve_fs(fs, None, source, "CSV/text files do not store one")
    column = names[index] if names and index < len(names) else None
    meta = {
        "rig": None,
        "format": path.suffix.lower().lstrip("."),
        "channel": index,
        "fs_origin": origin,
    }
    return Recording(samples, rate, source, column, None, meta)


_READERS: dict[str, _Reader] = {
    ".csv": _load_text,
    ".npy": _load_npy,
    ".txt": _load_text,
    ".wav": _load_wav,
}


def _existing_file(path: str | os.PathLike[str], source: str) -> pathlib.Path:
    """Checks that `path` names an existing regular file."""
    file = pathlib.Path(path).expanduser()
    if file.is_dir():
        raise InputError(
            f"'{source}' is a folder, not a recording file; pass one file (see "
            "shinbo_jax.io.list_recordings for the files in a folder)."
        )
    if not file.exists():
        raise InputError(
            f"File not found: '{source}' (working folder '{os.getcwd()}'); check "
            "the path, or set SHINBO_DATA_DIR and use list_recordings()."
        )
    return file


def _check_format(file: pathlib.Path, source: str) -> str:
    """Returns the lower-case extension, raising if it is not supported."""
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise InputError(
            f"Unknown file format {suffix or '(no extension)'!r} for '{source}'; "
            f"supported extensions: {', '.join(SUPPORTED_EXTENSIONS)}; convert the "
            "file or rename it with the right extension."
        )
    return suffix


def load_signal(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    var: str | None = None,
    channel: int | str | None = None,
) -> Recording:
    r"""Loads one channel of a vibration recording and validates it.

    The format follows the extension, case-insensitively:

    * `.mat`: CWRU files (variables `X???_DE_time`/`_FE_time`/`_BA_time`)
      are recognised; the drive-end channel is preferred, then fan end, then
      base plate, and the rate follows the CWRU rule of
      `shinbo_jax.io._matfile` (48 kHz for files 97-100 and the 48 kHz
      drive-end set, else 12 kHz). MFPT files (struct `bearing` with `gs`,
      `sr`, `rate`, `load`) are recognised too. Other files need `var`
      unless they hold exactly one one-channel numeric variable; their rate
      comes from a scalar `fs`, `Fs` or `sr` variable, else from `fs`.
    * `.wav`: integer samples are scaled to [-1, 1]; `channel` picks a
      channel of a multi-channel file (default 0).
    * `.npy`: a 1-D array, or 2-D (samples, channels) with `channel`.
    * `.csv`/`.txt`: comma- or whitespace-separated columns with at most
      one header line; `channel` picks a column by index or header name.

    Several columns (NPY, CSV, 2-D MAT variables) with no `channel` is an
    error rather than a silent choice; only WAV defaults to channel 0.

    Args:
        path: The recording file.
        fs: Sampling rate in Hz. Required for NPY and CSV/text files and for
            MAT files that store no rate; when given it overrides the rate in
            the file or the CWRU rule.
        var: MAT variable to read (struct fields as `"struct.field"`). MAT
            files only.
        channel: CWRU `"DE"`, `"FE"` or `"BA"`; for other formats a
            column index (int or digit string) or a CSV header name.

    Returns:
        The validated recording; `meta["fs_origin"]` says whether the rate
        came from the `"argument"`, the `"file"` or the `"cwru-rule"`.

    Raises:
        InputError: If the file is missing, unreadable or of an unknown format;
            the variable or channel is unknown; the sampling rate is missing or
            not positive; or the signal is empty, constant or not finite.

    Examples:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "accel.csv"
        ...     _ = path.write_text("time,accel\n0.0,0.5\n0.001,-0.25\n0.002,1.0\n")
        ...     rec = load_signal(path, fs=1000.0, channel="accel")
        >>> rec.x.tolist(), rec.fs, rec.variable, rec.meta["fs_origin"]
        ([0.5, -0.25, 1.0], 1000.0, 'accel', 'argument')
    """
    source = os.fspath(path)
    if fs is not None:
        check_fs(fs, f"'{source}'")
    file = _existing_file(path, source)
    suffix = _check_format(file, source)
    if suffix == ".mat":
        return load_mat(file, source, fs=fs, var=var, channel=channel)
    if var is not None:
        raise InputError(
            f"var={var!r} only applies to MAT files, not '{source}'; drop var= "
            "(--var) and choose a column with channel= (--channel) instead."
        )
    return _READERS[suffix](file, source, fs, channel)
