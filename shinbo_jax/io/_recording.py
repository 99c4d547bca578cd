"""The `Recording` container and the checks every loaded signal passes."""

import dataclasses
import math
from typing import Any

import numpy as np

from ._errors import InputError


def _capitalise(text: str) -> str:
    """Upper-cases the first character of `text` to start a message."""
    return text[:1].upper() + text[1:]


def check_fs(fs: Any, what: str = "signal") -> float:
    """Checks that a sampling rate is a finite, positive number of hertz.

    Args:
        fs: Candidate sampling rate.
        what: Name of the signal or file the rate belongs to, for the message.

    Returns:
        The rate as a Python float.

    Raises:
        InputError: If `fs` is not a number, not finite or not positive.
    """
    try:
        value = float(fs)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(
            f"Sampling rate fs={fs!r} for {what} is not a positive number of hertz; "
            "pass the rate in Hz, e.g. fs=12000 (--fs 12000)."
        )
    return value


def _as_real_vector(x: Any, what: str) -> np.ndarray:
    """Converts `x` to a 1-D float64 array, squeezing singleton axes."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise InputError(
            f"{_capitalise(what)} has data type {arr.dtype}, not real numbers; "
            "pass a real-valued (integer or floating-point) signal."
        )
    if arr.ndim != 1:
        arr = arr.squeeze()
        arr = arr.reshape(1) if arr.ndim == 0 else arr
    if arr.ndim != 1 and arr.size != 0:
        raise InputError(
            f"{_capitalise(what)} has shape {np.shape(x)}, not one channel; "
            "pick a single channel (channel= or --channel) before loading."
        )
    with np.errstate(invalid="ignore"):  # NaN samples are reported by the caller
        return arr.astype(np.float64).reshape(-1)


def _check_finite(arr: np.ndarray, fs: float, what: str) -> None:
    """Raises if `arr` holds NaN or infinite samples, locating the first."""
    bad = ~np.isfinite(arr)
    n_bad = int(np.count_nonzero(bad))
    if n_bad:
        first = int(np.argmax(bad))
        n_nan = int(np.count_nonzero(np.isnan(arr)))
        raise InputError(
            f"{_capitalise(what)} holds {n_bad} non-finite samples ({n_nan} NaN, "
            f"{n_bad - n_nan} inf) out of {arr.size}; the first is at index "
            f"{first} (t = {first / fs:.6g} s, value {float(arr[first])}); remove or "
            "interpolate them before analysis."
        )


def validate_signal(x: Any, fs: Any, *, what: str = "signal") -> np.ndarray:
    """Checks that a signal and its sampling rate are usable for analysis.

    Singleton axes are squeezed away, so a column vector of shape `(N, 1)` is
    accepted as a signal of `N` samples.

    Args:
        x: Samples of one channel; anything :func:`numpy.asarray` accepts.
        fs: Sampling rate in Hz.
        what: Name of the signal (e.g. the file it came from) for messages.

    Returns:
        The samples as a new 1-D float64 array.

    Raises:
        InputError: If `fs` is not positive and finite, or the signal is not
            real-valued, has more than one channel, is empty, holds NaN or
            infinite values, or is constant.

    Examples:
        >>> validate_signal([[1], [2], [4]], 1000.0).tolist()
        [1.0, 2.0, 4.0]
        >>> validate_signal([3.0, 3.0, 3.0], 1000.0, what="channel 2")
        Traceback (most recent call last):
            ...
        shinbo_jax.io._errors.InputError: Channel 2 is constant (all 3 samples ...
    """
    rate = check_fs(fs, what)
    arr = _as_real_vector(x, what)
    if arr.size == 0:
        raise InputError(
            f"{_capitalise(what)} is empty (0 samples); check the file contents "
            "and the chosen variable or channel (var=/--var, channel=/--channel)."
        )
    _check_finite(arr, rate, what)
    if arr.min() == arr.max():
        raise InputError(
            f"{_capitalise(what)} is constant (all {arr.size} samples equal "
            f"{float(arr[0]):g}); check that the sensor was connected and that "
            "the right variable or channel was chosen (var=/--var, "
            "channel=/--channel)."
        )
    return arr


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """One validated channel of a vibration recording.

    Construction validates the signal with :func:`validate_signal`, so every
    `Recording` holds a finite, non-constant, 1-D float64 signal and a positive
    sampling rate. `x` is a private read-only copy of the samples: copy it
    (`rec.x.copy()`) before modifying it in place. Recordings compare by
    identity.

    Attributes:
        x: Samples, 1-D float64, read-only.
        fs: Sampling rate in Hz.
        source: Where the samples came from (usually the path as given).
        variable: Name of the MAT variable or CSV column read, or None.
        shaft_hz: Shaft rotation frequency in Hz when the file records it
            (CWRU `X???RPM` / 60, MFPT `bearing.rate`), else None.
        meta: Further facts about the recording, e.g. `"rig"` (`"cwru"`,
            `"mfpt"` or None), `"format"`, `"channel"` and `"fs_origin"`.

    Examples:
        >>> rec = Recording([0.0, 1.0, 0.0, -1.0], 2.0, "example")
        >>> rec.n_samples, rec.duration, rec.x.flags.writeable
        (4, 2.0, False)
    """

    x: np.ndarray
    fs: float
    source: str
    variable: str | None = None
    shaft_hz: float | None = None
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        what = f"signal from '{self.source}'"
        samples = validate_signal(self.x, self.fs, what=what).copy()
        samples.flags.writeable = False
        object.__setattr__(self, "x", samples)
        object.__setattr__(self, "fs", check_fs(self.fs, what))
        if self.shaft_hz is not None:
            object.__setattr__(self, "shaft_hz", float(self.shaft_hz))
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def n_samples(self) -> int:
        """Number of samples in the signal."""
        return int(self.x.size)

    @property
    def duration(self) -> float:
        """Length of the signal in seconds."""
        return self.x.size / self.fs


def require_min_length(recording: Recording | np.ndarray, n: int, what: str) -> None:
    """Checks that a recording is long enough for a given use.

    Args:
        recording: The recording (or a bare 1-D array of samples).
        n: Minimum number of samples needed.
        what: What needs the samples, e.g. `"an STFT frame of 4096 samples"`.

    Raises:
        InputError: If the recording has fewer than `n` samples.

    Examples:
        >>> import numpy as np
        >>> require_min_length(np.ones(128), 128, "one STFT frame")  # enough
        >>> require_min_length(np.ones(100), 128, "one STFT frame")
        Traceback (most recent call last):
            ...
        shinbo_jax.io._errors.InputError: Signal is too short for one STFT frame: ...
    """
    if isinstance(recording, Recording):
        size, name = recording.n_samples, f"Recording '{recording.source}'"
    else:
        size, name = int(np.asarray(recording).size), "Signal"
    if size < n:
        raise InputError(
            f"{name} is too short for {what}: it has {size} samples but at least "
            f"{n} are needed; use a longer recording or settings that need fewer "
            "samples."
        )
