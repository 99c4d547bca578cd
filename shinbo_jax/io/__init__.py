"""Reading bearing vibration recordings and writing results safely.

Loading: :func:`load_signal` reads one channel of a `.mat` (CWRU, MFPT or
generic), `.wav`, `.npy` or `.csv`/`.txt` file into a validated
:class:`Recording`. :func:`default_data_dir` finds the shared recordings
(`SHINBO_DATA_DIR`, else `../shared/data/bearings` next to the repository
root) and :func:`list_recordings` lists a folder's recording files.

Checking: :func:`validate_signal` and :func:`require_min_length` raise
:class:`InputError`, whose one-line message names the problem, the value and
the fix.

Writing: :func:`prepare_output_dir` refuses to reuse a folder holding results
unless forced (:class:`OutputExistsError`); the `atomic_*` writers never
leave a partial file behind.
"""

from ._atomic import (
    atomic_save_npz as atomic_save_npz,
    atomic_write_bytes as atomic_write_bytes,
    atomic_write_json as atomic_write_json,
    atomic_write_text as atomic_write_text,
    prepare_output_dir as prepare_output_dir,
)
from ._errors import InputError as InputError, OutputExistsError as OutputExistsError
from ._loaders import (
    SUPPORTED_EXTENSIONS as SUPPORTED_EXTENSIONS,
    load_signal as load_signal,
)
from ._paths import (
    DATA_DIR_ENV as DATA_DIR_ENV,
    default_data_dir as default_data_dir,
    list_recordings as list_recordings,
)
from ._recording import (
    Recording as Recording,
    require_min_length as require_min_length,
    validate_signal as validate_signal,
)

__all__ = [
    "DATA_DIR_ENV",
    "SUPPORTED_EXTENSIONS",
    "InputError",
    "OutputExistsError",
    "Recording",
    "atomic_save_npz",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "default_data_dir",
    "list_recordings",
    "load_signal",
    "prepare_output_dir",
    "require_min_length",
    "validate_signal",
]
