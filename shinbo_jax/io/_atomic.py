"""Writing result files atomically, and guarding output folders.

Every writer here first writes a hidden temporary file in the target's folder,
flushes it to disk, then renames it over the target with `os.replace`, so
readers see either the old file or the complete new one, never a partial file.
If anything fails, the temporary file is removed and the target is untouched.

The guard against overwriting earlier results is :func:`prepare_output_dir`:
call it once per run before writing. The writers themselves replace an existing
file of the same name, which lets a run update its own files (e.g. progress).
"""

import contextlib
import json
import os
import pathlib
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import numpy as np

from ._errors import InputError, OutputExistsError

PathLike = str | os.PathLike[str]

# Write the temporary file with the same permissions a plain open() would give
# (0o666 less the umask), not the 0o600 of tempfile.mkstemp.
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _fsync_folder(folder: pathlib.Path) -> None:
    """Flushes a folder's entry table so a completed rename survives a crash."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def _atomic_file(path: PathLike) -> Iterator[BinaryIO]:
    """Yields a binary file that replaces `path` only if the block succeeds."""
    target = pathlib.Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise InputError(
            f"Cannot write '{target}': folder '{folder}' does not exist; create "
            "it first (e.g. with shinbo_jax.io.prepare_output_dir)."
        )
    temp = folder / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
    descriptor = os.open(temp, _TEMP_FLAGS, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(path: PathLike, data: bytes) -> pathlib.Path:
    """Writes bytes to a file atomically.

    Args:
        path: Target file; its folder must exist. An existing file is replaced.
        data: The complete contents.

    Returns:
        The target path.

    Raises:
        InputError: If the target's folder does not exist.
        OSError: If writing or renaming fails; no partial file is left behind.

    Examples:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = atomic_write_bytes(pathlib.Path(folder) / "a.bin", b"abc")
        ...     print(path.name, path.read_bytes())
        a.bin b'abc'
    """
    with _atomic_file(path) as handle:
        handle.write(data)
    return pathlib.Path(path)


def atomic_write_text(
    path: PathLike, text: str, *, encoding: str = "utf-8"
) -> pathlib.Path:
    r"""Writes text to a file atomically, without newline translation.

    Args:
        path: Target file; its folder must exist. An existing file is replaced.
        text: The complete contents.
        encoding: Text encoding.

    Returns:
        The target path.

    Raises:
        InputError: If the target's folder does not exist.
        OSError: If writing or renaming fails; no partial file is left behind.

    Examples:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = atomic_write_text(pathlib.Path(folder) / "a.txt", "λ = 0.1\n")
        ...     print(path.read_text(encoding="utf-8"), end="")
        λ = 0.1
    """
    return atomic_write_bytes(path, text.encode(encoding))


def _jsonable(obj: Any) -> Any:
    """Converts NumPy values, tuples and paths into plain JSON types."""
    if isinstance(obj, dict):
        return {_json_key(key): _jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(item) for item in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def _json_key(key: Any) -> Any:
    """Converts a NumPy scalar used as a dict key into a plain Python value."""
    return key.item() if isinstance(key, np.generic) else key


def atomic_write_json(path: PathLike, obj: Any) -> pathlib.Path:
    """Writes an object as JSON (indent 2, sorted keys) atomically.

    NumPy scalars and arrays become numbers and lists, tuples become lists and
    paths become strings. Non-finite floats are written as `NaN`/
    `Infinity`, as Python's `json` module does. The text is built before the
    file is opened, so an unserialisable object leaves no file behind.

    Args:
        path: Target file; its folder must exist. An existing file is replaced.
        obj: The object to write.

    Returns:
        The target path.

    Raises:
        TypeError: If `obj` holds something JSON cannot represent.
        InputError: If the target's folder does not exist.
        OSError: If writing or renaming fails; no partial file is left behind.

    Examples:
        >>> import json, pathlib, tempfile
        >>> import numpy as np
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "report.json"
        ...     _ = atomic_write_json(path, {"lam": np.array([0.1, 0.5]), "k": 2})
        ...     print(json.loads(path.read_text()))
        {'k': 2, 'lam': [0.1, 0.5]}
    """
    text = json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n"
    return atomic_write_text(path, text)


def atomic_save_npz(path: PathLike, **arrays: Any) -> pathlib.Path:
    """Saves arrays to an uncompressed `.npz` archive atomically.

    Args:
        path: Target file, written exactly as named (no `.npz` is appended);
            its folder must exist. An existing file is replaced.
        **arrays: The arrays, stored under their keyword names.

    Returns:
        The target path.

    Raises:
        InputError: If the target's folder does not exist.
        OSError: If writing or renaming fails; no partial file is left behind.

    Examples:
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = atomic_save_npz(pathlib.Path(folder) / "r.npz", W=np.eye(2))
        ...     with np.load(path) as saved:
        ...         print(saved.files, saved["W"].shape)
        ['W'] (2, 2)
    """
    with _atomic_file(path) as handle:
        np.savez(handle, **arrays)
    return pathlib.Path(path)


def _existing_results(folder: pathlib.Path, expected: Iterable[str]) -> list[str]:
    """Names the entries of `folder` that count as earlier results."""
    names = tuple(expected)
    if names:
        return [name for name in names if (folder / name).exists()]
    return sorted(entry.name for entry in folder.iterdir())


def prepare_output_dir(
    path: PathLike, *, force: bool = False, expected: Iterable[str] = ()
) -> pathlib.Path:
    """Creates an output folder, refusing one that already holds results.

    What counts as results: with `expected` empty (the default), any entry
    at all in the folder, hidden files and subfolders included; with
    `expected` names, only those names, so a folder holding, say, a config
    file can be reused. With `force=True` the folder is used as it is:
    nothing is deleted, and files of the same names are replaced when the run
    writes them.

    Args:
        path: The output folder; missing parents are created.
        force: Whether to accept a folder that already holds results.
        expected: File names the run will write.

    Returns:
        The folder as a path.

    Raises:
        InputError: If `path` exists and is not a folder, or cannot be
            created.
        OutputExistsError: If the folder holds results and `force` is False.

    Examples:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as root:
        ...     out = prepare_output_dir(pathlib.Path(root) / "run")
        ...     _ = (out / "report.json").write_text("{}")
        ...     try:
        ...         prepare_output_dir(out)
        ...     except OutputExistsError:
        ...         print("refused")
        ...     print(prepare_output_dir(out, force=True) == out)
        refused
        True
    """
    folder = pathlib.Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"Output path '{folder}' exists and is not a folder; choose a folder "
            "name for the results."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"Cannot create output folder '{folder}' ({exc.strerror}); choose a "
            "folder you can write to."
        ) from exc
    found = _existing_results(folder, expected)
    if found and not force:
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        shown = ", ".join(found[:5]) + more
        raise OutputExistsError(
            f"Output folder '{folder}' already holds results ({shown}); pass "
            "--force / force=True to overwrite them, or choose another folder."
        )
    return folder
