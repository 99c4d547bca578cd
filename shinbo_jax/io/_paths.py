"""Where the shared bearing recordings live, and which files a folder offers."""

import os
import pathlib

from ._errors import InputError

DATA_DIR_ENV = "SHINBO_DATA_DIR"
"""Environment variable that points at the folder of bearing recordings."""

RECORDING_EXTENSIONS = (".csv", ".mat", ".npy", ".wav")
"""File extensions :func:`list_recordings` reports (lower case)."""

# The repository root is two levels above this package folder (shinbo_jax/io/);
# the shared data sit at ../shared/data/bearings relative to that root.
_REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
_SHARED_DATA = pathlib.Path(os.pardir, "shared", "data", "bearings")


def default_data_dir() -> pathlib.Path | None:
    """Finds the folder of bearing recordings.

    The environment variable `SHINBO_DATA_DIR` wins when it is set and not
    empty; its value is returned even if the folder does not exist, so that a
    mistyped setting surfaces as an error later rather than being ignored.
    Otherwise the folder `../shared/data/bearings` next to the repository root
    is returned if it exists (this only works from a source checkout).

    Returns:
        The folder, or None when neither source gives one.

    Examples:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"SHINBO_DATA_DIR": "/data/vib"}):
        ...     print(default_data_dir().as_posix())
        /data/vib
    """
    from_env = os.environ.get(DATA_DIR_ENV, "")
    if from_env:
        return pathlib.Path(from_env).expanduser()
    candidate = (_REPO_ROOT / _SHARED_DATA).resolve()
    return candidate if candidate.is_dir() else None


def list_recordings(
    data_dir: str | os.PathLike[str] | None = None,
) -> list[pathlib.Path]:
    """Lists the recording files in a folder (not its subfolders).

    Args:
        data_dir: Folder to list; None means :func:`default_data_dir`.

    Returns:
        The `.mat`, `.wav`, `.npy` and `.csv` files (extension matched
        case-insensitively), sorted by name.

    Raises:
        InputError: If no folder is given and none is found, or the folder does
            not exist.

    Examples:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     for name in ("b.wav", "a.MAT", "notes.md"):
        ...         _ = (pathlib.Path(folder) / name).write_bytes(b"")
        ...     print([path.name for path in list_recordings(folder)])
        ['a.MAT', 'b.wav']
    """
    folder = default_data_dir() if data_dir is None else pathlib.Path(data_dir)
    if folder is None:
        raise InputError(
            "No data folder given and none found; set the environment variable "
            f"{DATA_DIR_ENV} to the folder of recordings or pass data_dir=."
        )
    if not folder.is_dir():
        raise InputError(
            f"Data folder '{folder}' does not exist or is not a folder; check the "
            f"path (or the {DATA_DIR_ENV} environment variable)."
        )
    files = (
        entry
        for entry in folder.iterdir()
        if entry.is_file() and entry.suffix.lower() in RECORDING_EXTENSIONS
    )
    return sorted(files, key=lambda entry: entry.name)
