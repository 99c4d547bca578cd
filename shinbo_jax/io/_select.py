"""Choosing one channel of a table and settling the sampling rate."""

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import InputError
from ._recording import check_fs

Channel = int | str | None


def unreadable(
    source: str, kind: str, exc: BaseException, expected: str | None = None
) -> InputError:
    """Builds the error for a file that a reader could not parse.

    Args:
        source: The file, as the user gave it.
        kind: The format the file was read as, e.g. `"WAV"`.
        exc: The reader's exception.
        expected: What the file should hold, for the fix; defaults to
            `"<kind> data"`.

    Returns:
        An :class:`InputError` to raise `from exc`.
    """
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    expected = expected or f"{kind} data"
    return InputError(
        f"Cannot read '{source}' as a {kind} file ({reason}); check that the file "
        f"is complete, not corrupted and really holds {expected}."
    )


def resolve_fs(
    fs: Any, stored: Any, source: str, why_missing: str
) -> tuple[float, str]:
    """Settles the sampling rate: the argument wins over the file's own rate.

    Args:
        fs: The `fs` argument, or None.
        stored: The rate stored in the file, or None.
        source: The file, as the user gave it.
        why_missing: Why the file gives no rate, for the message.

    Returns:
        The rate in Hz and its origin, `"argument"` or `"file"`.

    Raises:
        InputError: If neither gives a rate, or the rate is not positive.
    """
    if fs is not None:
        return check_fs(fs, f"'{source}'"), "argument"
    if stored is not None:
        return check_fs(stored, f"'{source}' (rate stored in the file)"), "file"
    raise InputError(
        f"No sampling rate for '{source}': {why_missing}; pass it as fs= "
        "(or --fs on the command line), e.g. fs=12000."
    )


def _labels(n_columns: int, names: Sequence[str] | None) -> str:
    """Lists channel indices, with their names when known."""
    if names:
        return ", ".join(f"{i} ({name})" for i, name in enumerate(names))
    return ", ".join(str(i) for i in range(n_columns))


def _as_index(channel: Channel, names: Sequence[str] | None) -> int | None:
    """Turns a channel given as int, digit string or column name into an index."""
    if isinstance(channel, str):
        if names and channel in names:
            return list(names).index(channel)
        return int(channel) if channel.strip().isdigit() else None
    try:
        return operator.index(channel)
    except TypeError:
        return None


def channel_index(
    channel: Channel,
    n_columns: int,
    source: str,
    *,
    names: Sequence[str] | None = None,
    default: int | None = None,
) -> int:
    """Resolves the `channel` argument against the columns of a table.

    Args:
        channel: Column index (int or digit string), a column name from
            `names`, or None.
        n_columns: Number of columns available.
        source: The file, as the user gave it.
        names: Column names (e.g. from a CSV header), if any.
        default: Column used when `channel` is None and there are several
            columns; None makes the choice mandatory.

    Returns:
        The column index.

    Raises:
        InputError: If the channel is unknown, or several columns exist and no
            channel (and no default) was given.
    """
    if channel is None:
        if n_columns == 1 or default is not None:
            return 0 if n_columns == 1 else int(default)
        raise InputError(
            f"'{source}' has {n_columns} channels ({_labels(n_columns, names)}); "
            "choose one with channel= (or --channel), e.g. channel=0."
        )
    index = _as_index(channel, names)
    if index is None or not 0 <= index < n_columns:
        raise InputError(
            f"Unknown channel {channel!r} for '{source}'; available channels: "
            f"{_labels(n_columns, names)}; pass one of them as channel= "
            "(or --channel)."
        )
    return index


def pick_column(
    data: Any,
    channel: Channel,
    source: str,
    *,
    names: Sequence[str] | None = None,
    default: int | None = None,
    squeeze: bool = True,
) -> tuple[np.ndarray, int]:
    """Takes one channel out of a 1-D signal or a 2-D (samples, channels) table.

    With `squeeze` (the default) singleton axes are dropped first, so MATLAB row
    and column vectors count as one channel. Formats whose 2-D layout is always
    (samples, channels), such as WAV, pass `squeeze=False`, so that one frame of
    several channels is not mistaken for a signal.

    Args:
        data: The array read from the file.
        channel: See :func:`channel_index`.
        source: The file, as the user gave it.
        names: Column names, if any.
        default: See :func:`channel_index`.
        squeeze: Drop singleton axes first (see above).

    Returns:
        The chosen channel as a 1-D array and its column index.

    Raises:
        InputError: If the array has more than two non-singleton axes or the
            channel cannot be resolved.
    """
    arr = np.asarray(data)
    if arr.ndim > 1 and squeeze:
        arr = arr.squeeze()
    if arr.ndim > 2:
        raise InputError(
            f"'{source}' holds an array of shape {arr.shape}; expected samples "
            "(1-D) or a (samples, channels) table (2-D); reshape it before loading."
        )
    if arr.ndim < 2:
        index = channel_index(channel, 1, source, names=names)
        return arr.reshape(-1), index
    index = channel_index(channel, arr.shape[1], source, names=names, default=default)
    return arr[:, index], index
