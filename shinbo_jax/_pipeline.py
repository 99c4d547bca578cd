r"""From one vibration recording to separated fault-signal estimates and scores.

The steps behind `shinbo separate` and `shinbo experiment`, as host functions
that print nothing:

1. :func:`prepare_signal`: optional decimation and choice of a segment.
2. :func:`resolve_fault_frequency`: the fault line to look for, given in Hz or
   computed from the shaft speed and the bearing geometry.
3. :func:`check_fault_frequency` and :func:`check_length`: refuse settings under
   which the envelope scores mean nothing.
4. :func:`separate_recording`: power spectrogram scaled to mean 1, then each
   method (SHINBO, plain MU, fixed penalty, kurtogram), SOI component selection,
   Wiener reconstruction and envelope scores (ENVSI, PMR per harmonic and a PMR
   null level, :func:`envelope_metrics`) of every estimate and of the raw signal.

Every estimate and the raw signal are scored on the same samples: those covered
by at least one STFT frame.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal

from ._fit import fit_fixed_penalty, fit_mu, fit_shinbo, shinbo_budget
from ._outer import envsi_objective
from .baselines import kurtogram_envelope
from .io import InputError, Recording, require_min_length, validate_signal
from .metrics import (
    envelope_spectrum,
    envsi,
    peak_to_median_ratio,
    select_soi_component,
)
from .signals import (
    BEARINGS,
    BearingGeometry,
    SpectrogramConfig,
    stft,
    wiener_reconstruct,
)

__all__ = [
    "FAULT_KINDS",
    "METHODS",
    "EnvelopeMetrics",
    "FaultFrequency",
    "MethodResult",
    "Separation",
    "SeparationSettings",
    "check_fault_frequency",
    "check_length",
    "envelope_metrics",
    "fault_frequency_limit",
    "parse_geometry",
    "prepare_signal",
    "resolve_fault_frequency",
    "separate_recording",
]

#: Methods :func:`separate_recording` knows, in the order they run.
METHODS = ("shinbo", "mu", "fixed", "kurtogram")
#: Outer objectives a SHINBO fit may use (``"envsi"`` needs the fault line).
OUTERS = ("holdout", "reconstruction", "kurtosis", "envsi")
#: Rules for choosing the SOI component.
SELECTION_RULES = ("kurtosis", "envsi")
#: Defect kinds, named as in :class:`shinbo_jax.signals.BearingFrequencies`.
FAULT_KINDS = ("bpfo", "bpfi", "bsf", "ftf")
#: Fewest STFT frames a recording must give.
MIN_FRAMES = 64
#: Harmonics of the fault line scored by PMR.
PMR_HARMONICS = (1, 2, 3)
#: Harmonics of the fault line scored by ENVSI (its default).
ENVSI_HARMONICS = 5
#: Band of the PMR median reference, Hz (the data README's choice).
PMR_BAND = (5.0, 600.0)
#: Band and count of the random frequencies behind the PMR null level.
NULL_BAND = (40.0, 400.0)
NULL_DRAWS = 400


@dataclasses.dataclass(frozen=True)
class SeparationSettings:
    """How :func:`separate_recording` factorises and scores a recording.

    Attributes:
        window: STFT window length in samples (Hamming).
        overlap: Samples shared by consecutive frames.
        nfft: FFT length per frame.
        rank: K, the number of NMF components.
        outer: SHINBO's outer objective, one of :data:`OUTERS`.
        outer_steps: SHINBO's λ updates.
        inner_steps: MU steps differentiated through per outer step.
        refit_steps: MU steps on all bins with the learned λ.
        seed: Seed of the initialisation (the same for every NMF method).
        select: SOI selection rule, ``"kurtosis"`` or ``"envsi"``.
        fixed_lam: λ of the fixed-penalty baseline (V at mean 1).
        methods: Methods to run, a subset of :data:`METHODS`.
        dtype: Floating type of the factorisations (``"float32"`` is about
            twice as fast on CPU as ``"float64"``).
        envsi_weight: Weight of the ENVSI reward of the ``"envsi"`` outer
            objective (:func:`shinbo_jax.envsi_objective`).
    """

    window: int = 128
    overlap: int = 100
    nfft: int = 512
    rank: int = 2
    outer: str = "kurtosis"
    outer_steps: int = 60
    inner_steps: int = 10
    refit_steps: int = 100
    seed: int = 0
    select: str = "kurtosis"
    fixed_lam: float = 0.01
    methods: tuple[str, ...] = ("shinbo",)
    dtype: str = "float32"
    envsi_weight: float = 1.0

    def __post_init__(self) -> None:
        SpectrogramConfig(self.window, self.overlap, self.nfft)
        _check_choice(self.outer, OUTERS, "outer", "--outer")
        _check_choice(self.select, SELECTION_RULES, "select", "--select")
        for method in self.methods:
            _check_choice(method, METHODS, "methods", "the method list")
        for name in ("rank", "outer_steps", "inner_steps", "refit_steps"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise InputError(
                    f"`{name}` must be a positive integer; got {value!r}. Use e.g. "
                    f"--{name.replace('_', '-')} {getattr(SeparationSettings, name)}."
                )
        for name in ("fixed_lam", "envsi_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(
                    f"`{name}` must be a nonnegative number; got {value!r}. Use "
                    f"e.g. {getattr(SeparationSettings, name)}."
                )
        if self.dtype not in ("float32", "float64"):
            raise InputError(
                f"`dtype` must be 'float32' or 'float64'; got {self.dtype!r}."
            )

    @property
    def layout(self) -> dict[str, int]:
        """The STFT keywords ``window``, ``overlap`` and ``nfft``."""
        return {"window": self.window, "overlap": self.overlap, "nfft": self.nfft}

    @property
    def hop(self) -> int:
        """Frame advance in samples."""
        return self.window - self.overlap

    def frame_rate(self, fs: float) -> float:
        """Frames per second of the spectrogram, ``fs / hop``."""
        return fs / self.hop


def _check_choice(value, choices, name: str, option: str) -> None:
    if value not in choices:
        raise InputError(
            f"Unknown {name} {value!r}; choose one of {', '.join(choices)} ({option})."
        )


# --------------------------------------------------------------------------
# Preparing the signal and the fault line


def prepare_signal(
    x: np.ndarray,
    fs: float,
    *,
    decimate: int = 1,
    start: float = 0.0,
    segment: float | None = None,
    what: str = "signal",
) -> tuple[np.ndarray, float]:
    """Decimates a signal, then keeps one segment of it.

    Args:
        x: Samples, 1-D.
        fs: Sampling rate in Hz.
        decimate: Integer factor q ≥ 1; ``scipy.signal.decimate`` (order-8
            Chebyshev I, zero phase; FIR for q > 13) gives fs / q.
        start: Start of the segment in seconds, after decimation.
        segment: Length of the segment in seconds; None keeps the rest.
        what: Name of the signal for messages.

    Returns:
        ``(samples, fs)`` after decimation and cutting, validated again (a
        segment may be constant where the whole record is not).

    Raises:
        InputError: For a bad factor, a segment outside the record, or a
            result that fails :func:`shinbo_jax.io.validate_signal`.
    """
    if not (isinstance(decimate, int) and decimate >= 1):
        raise InputError(
            f"Decimation factor {decimate!r} is not a positive integer; pass e.g. "
            "--decimate 4 (48 kHz to 12 kHz), or 1 for none."
        )
    samples = np.asarray(x, dtype=float)
    if decimate > 1:
        if samples.size <= 27 * decimate:
            raise InputError(
                f"{what} has {samples.size} samples, too few to decimate by "
                f"{decimate}; use a smaller --decimate or a longer recording."
            )
        ftype = "fir" if decimate > 13 else "iir"
        samples = scipy.signal.decimate(samples, decimate, ftype=ftype)
        fs = fs / decimate
    first = int(round(start * fs)) if math.isfinite(start) else -1
    if not (math.isfinite(start) and 0 <= first < samples.size):
        raise InputError(
            f"Segment start {start} s lies outside {what} ({samples.size / fs:.3g} "
            "s long); pass a --start within the record."
        )
    last = samples.size
    if segment is not None:
        if not (math.isfinite(segment) and segment > 0):
            raise InputError(
                f"Segment length {segment!r} s is not a positive number of seconds; "
                "pass e.g. --segment 1."
            )
        last = min(samples.size, first + int(round(segment * fs)))
    return validate_signal(samples[first:last], fs, what=what), float(fs)


@dataclasses.dataclass(frozen=True)
class FaultFrequency:
    """The fault line a run looks for.

    Attributes:
        hz: Frequency in Hz.
        kind: ``"bpfo"``, ``"bpfi"``, ``"bsf"``, ``"ftf"`` or None when the
            frequency was given directly.
        source: One sentence saying where the value came from.
        shaft_hz: Shaft speed used, Hz, or None.
        bearing: Bearing name used, or None.
    """

    hz: float
    kind: str | None
    source: str
    shaft_hz: float | None = None
    bearing: str | None = None


def parse_geometry(text: str) -> BearingGeometry:
    """Parses ``"N_ELEMENTS,BALL_D,PITCH_D[,ANGLE]"`` into a bearing geometry.

    Args:
        text: Number of rolling elements, ball and pitch diameters (any one
            unit) and optionally the contact angle in degrees, comma-separated.

    Returns:
        A :class:`shinbo_jax.signals.BearingGeometry` named "custom".

    Raises:
        InputError: If the text does not hold 3 or 4 numbers.
    """
    parts = [part.strip() for part in str(text).split(",")]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (3, 4) or numbers[0] != int(numbers[0]):
        raise InputError(
            f"Cannot read bearing geometry {text!r}; pass N_ELEMENTS,BALL_D,PITCH_D"
            "[,ANGLE_DEG], e.g. --geometry 9,0.3126,1.537,0."
        )
    angle = numbers[3] if len(numbers) == 4 else 0.0
    return BearingGeometry("custom", int(numbers[0]), numbers[1], numbers[2], angle)


def _default_bearing(recording: Recording | None) -> str | None:
    """The built-in bearing of the recording's rig (CWRU: 6205, MFPT: mfpt)."""
    rig = recording.meta.get("rig") if recording is not None else None
    return {"cwru": "6205", "mfpt": "mfpt"}.get(rig)


def _shaft_speed(
    rpm: float | None, shaft_hz: float | None, recording: Recording | None
) -> tuple[float, str]:
    """Shaft speed in Hz and its source: argument first, then the file."""
    if rpm is not None:
        return float(rpm) / 60.0, f"{float(rpm):g} rpm (given)"
    if shaft_hz is not None:
        return float(shaft_hz), f"{float(shaft_hz):g} Hz shaft speed (given)"
    if recording is not None and recording.shaft_hz is not None:
        speed = recording.shaft_hz
        return speed, f"{speed * 60:g} rpm (stored in the file)"
    raise InputError(
        "No shaft speed to compute the fault frequency from: the file stores "
        "none; pass --rpm RPM, or the frequency itself with --fault-freq HZ."
    )


def resolve_fault_frequency(
    *,
    fault_freq: float | None = None,
    fault: str | None = None,
    bearing: str | None = None,
    geometry: str | BearingGeometry | None = None,
    rpm: float | None = None,
    shaft_hz: float | None = None,
    recording: Recording | None = None,
) -> FaultFrequency:
    """Settles the fault frequency: given directly, or from speed and geometry.

    Precedence: ``fault_freq``; else the defect ``fault`` of ``geometry``, or
    of the built-in ``bearing``, or of the recording rig's bearing (CWRU 6205,
    MFPT), at the shaft speed ``rpm`` / ``shaft_hz`` or the one stored in the
    recording.

    Args:
        fault_freq: Fault frequency in Hz.
        fault: Defect kind, one of :data:`FAULT_KINDS`.
        bearing: Key of :data:`shinbo_jax.signals.BEARINGS`.
        geometry: A geometry, or its text for :func:`parse_geometry`.
        rpm: Shaft speed in revolutions per minute.
        shaft_hz: Shaft speed in Hz (used when ``rpm`` is None).
        recording: The recording, for its rig and stored shaft speed.

    Returns:
        A :class:`FaultFrequency`.

    Raises:
        InputError: If the inputs do not determine a positive frequency.
    """
    if fault_freq is not None:
        if not (math.isfinite(fault_freq) and fault_freq > 0):
            raise InputError(
                f"Fault frequency {fault_freq!r} Hz is not positive; pass the "
                "fault line in Hz, e.g. --fault-freq 107.3."
            )
        return FaultFrequency(float(fault_freq), None, "given in Hz")
    if fault is None:
        raise InputError(
            "No fault frequency: pass --fault-freq HZ, or --fault "
            f"{'|'.join(FAULT_KINDS)} with the bearing (--bearing or --geometry) "
            "and the speed (--rpm, if the file stores none)."
        )
    _check_choice(fault, FAULT_KINDS, "fault kind", "--fault")
    geometry = _pick_geometry(bearing, geometry, recording)
    speed, speed_source = _shaft_speed(rpm, shaft_hz, recording)
    hz = getattr(geometry.frequencies(speed), fault)
    if not hz > 0:
        raise InputError(
            f"The {fault.upper()} at a shaft speed of {speed:g} Hz is {hz:g} Hz; "
            "pass a positive speed with --rpm."
        )
    source = f"{fault.upper()} of {geometry.name} at {speed_source}"
    return FaultFrequency(float(hz), fault, source, speed, geometry.name)


def _pick_geometry(bearing, geometry, recording) -> BearingGeometry:
    if geometry is not None:
        return geometry if isinstance(geometry, BearingGeometry) else (
            parse_geometry(geometry)
        )  # fmt: skip
    bearing = bearing if bearing is not None else _default_bearing(recording)
    if bearing is None:
        raise InputError(
            "No bearing to compute the fault frequency from; pass --bearing "
            f"{'|'.join(BEARINGS)} or --geometry N,BALL_D,PITCH_D[,ANGLE]."
        )
    _check_choice(bearing, tuple(BEARINGS), "bearing", "--bearing")
    return BEARINGS[bearing]


def fault_frequency_limit(
    fs: float, settings: SeparationSettings, *, n_harmonics: int = ENVSI_HARMONICS
) -> float:
    """The highest fault frequency the scores can handle, in Hz.

    Two bounds, the tighter wins: the line must lie below the Nyquist frequency
    of the activations (``frame_rate / 2``), where H rows and the ENVSI outer
    objective see it, and ENVSI's ``n_harmonics + 1/2`` multiples of it must lie
    below ``fs / 2``.

    Args:
        fs: Sampling rate in Hz.
        settings: The STFT layout.
        n_harmonics: Harmonics ENVSI scores.

    Returns:
        The limit in Hz (a fault line must lie strictly below it).
    """
    return min(settings.frame_rate(fs) / 2, fs / (2 * n_harmonics + 1))


def check_fault_frequency(
    fault_freq: float, fs: float, settings: SeparationSettings
) -> None:
    """Raises :class:`InputError` if the fault line is too high to score.

    Args:
        fault_freq: Fault frequency in Hz.
        fs: Sampling rate in Hz (after any decimation).
        settings: The STFT layout.
    """
    limit = fault_frequency_limit(fs, settings)
    if not fault_freq < limit:
        raise InputError(
            f"Fault frequency {fault_freq:.6g} Hz is too high for the envelope "
            f"analysis at fs = {fs:g} Hz and hop {settings.hop}: it must lie below "
            f"{limit:.6g} Hz (frame rate / 2 and fs / {2 * ENVSI_HARMONICS + 1}); "
            "lower --overlap (shorter hop), drop --decimate, or check the value."
        )


def check_length(x: np.ndarray, settings: SeparationSettings) -> None:
    """Raises :class:`InputError` if ``x`` gives fewer than :data:`MIN_FRAMES`.

    Args:
        x: Samples, 1-D.
        settings: The STFT layout.
    """
    needed = settings.window + (MIN_FRAMES - 1) * settings.hop
    require_min_length(
        x,
        needed,
        f"a spectrogram of {MIN_FRAMES} frames (window {settings.window}, hop "
        f"{settings.hop}); pass a longer --segment or a smaller --window",
    )


# --------------------------------------------------------------------------
# Scores


@dataclasses.dataclass(frozen=True)
class EnvelopeMetrics:
    """Envelope scores of one estimate at one fault line.

    Attributes:
        envsi: ENVSI over :data:`ENVSI_HARMONICS` harmonics (NaN if undefined).
        pmr: PMR of the squared-envelope spectrum for each of
            :data:`PMR_HARMONICS`.
        peak_freqs: Frequency of each PMR peak, Hz.
        pmr_null95: 95th percentile of the same statistic at
            :data:`NULL_DRAWS` random frequencies in :data:`NULL_BAND`, at
            least 5 % away from the fault harmonics: the PMR a line that is not
            there typically reaches (shaft and mains lines included).
    """

    envsi: float
    pmr: tuple[float, ...]
    peak_freqs: tuple[float, ...]
    pmr_null95: float


def _null_level(
    x: np.ndarray, fs: float, fault_freq: float, median_band, seed: int
) -> float:
    """95th percentile of the peak-to-median ratio off the fault harmonics."""
    freqs, spectrum = envelope_spectrum(x, fs, squared=True, window="hann")
    reference = (freqs >= median_band[0]) & (freqs <= median_band[1])
    median = float(np.median(spectrum[reference]))
    hi = min(NULL_BAND[1], 0.9 * fs / 2)
    rng = np.random.default_rng(seed)
    candidates = rng.uniform(NULL_BAND[0], hi, size=4 * NULL_DRAWS)
    ratio = candidates / fault_freq
    away = np.abs(ratio - np.round(ratio)) * fault_freq > 0.05 * candidates
    away |= np.round(ratio) == 0
    chosen = candidates[away][:NULL_DRAWS]
    if chosen.size == 0 or median <= 0:
        return math.nan
    bin_width = freqs[1] - freqs[0]
    peaks = []
    for centre in chosen:
        half = max(0.02 * centre, bin_width)
        lo, hi_index = np.searchsorted(freqs, [centre - half, centre + half + 1e-9])
        window = spectrum[lo : max(hi_index, lo + 1)]
        peaks.append(window.max())
    return float(np.quantile(np.asarray(peaks) / median, 0.95))


def envelope_metrics(
    estimate: np.ndarray, fs: float, fault_freq: float, *, seed: int = 0
) -> EnvelopeMetrics:
    """ENVSI, PMR per harmonic and the PMR null level of one estimate.

    PMR uses no prefilter (the estimate is the band selection) and the median
    band :data:`PMR_BAND`, cut at fs / 2; ENVSI uses its defaults
    (:func:`shinbo_jax.metrics.envsi`). A constant estimate scores NaN.

    Args:
        estimate: Time-domain SOI estimate (or the raw signal).
        fs: Sampling rate in Hz.
        fault_freq: Fault frequency in Hz.
        seed: Seed of the random frequencies of the null level.

    Returns:
        An :class:`EnvelopeMetrics`.
    """
    signal = np.asarray(estimate, dtype=float)
    nan_harmonics = tuple(math.nan for _ in PMR_HARMONICS)
    if not np.all(np.isfinite(signal)) or np.ptp(signal) == 0:
        return EnvelopeMetrics(math.nan, nan_harmonics, nan_harmonics, math.nan)
    band = (PMR_BAND[0], min(PMR_BAND[1], fs / 2))
    pmr = peak_to_median_ratio(
        signal, fs, fault_freq, harmonics=PMR_HARMONICS, band=band
    )
    try:
        score = envsi(signal, fs, fault_freq, n_harmonics=ENVSI_HARMONICS)
    except ValueError:
        score = math.nan
    return EnvelopeMetrics(
        envsi=float(score),
        pmr=tuple(float(value) for value in pmr.ratios),
        peak_freqs=tuple(float(value) for value in pmr.peak_freqs),
        pmr_null95=_null_level(signal, fs, fault_freq, band, seed),
    )


# --------------------------------------------------------------------------
# Separation


@dataclasses.dataclass(frozen=True)
class MethodResult:
    """One method's SOI estimate and its scores.

    Attributes:
        name: Method name, one of :data:`METHODS`.
        estimate: Time-domain SOI estimate on the scored samples.
        metrics: :class:`EnvelopeMetrics` per fault-line label.
        seconds: Wall time of the method, selection and reconstruction included.
        W: Spectral profiles (F × K) for NMF methods, else None.
        H: Activations (K × N) for NMF methods, in the scale of V (mean 1).
        lam: Penalties λ per row for NMF methods.
        component: Index of the selected SOI component (NMF methods).
        selection_scores: Score of every component under the selection rule.
        band: Selected band (lo, hi) in Hz for the kurtogram.
    """

    name: str
    estimate: np.ndarray
    metrics: dict[str, EnvelopeMetrics]
    seconds: float
    W: np.ndarray | None = None
    H: np.ndarray | None = None
    lam: np.ndarray | None = None
    component: int | None = None
    selection_scores: np.ndarray | None = None
    band: tuple[float, float] | None = None


@dataclasses.dataclass(frozen=True)
class Separation:
    """Everything :func:`separate_recording` computed.

    Attributes:
        fs: Sampling rate of the analysed signal in Hz.
        n_scored: Number of samples scored (covered by an STFT frame).
        frame_rate: Frames per second of the spectrogram.
        V: Power spectrogram scaled to mean 1, F × N.
        freqs: Frequencies of the rows of V, Hz.
        times: Times of the frame centres, s.
        fault_freqs: Fault lines scored, Hz, by label; the first is primary.
        raw: :class:`EnvelopeMetrics` of the raw signal per label.
        methods: :class:`MethodResult` per method name, in run order.
        settings: The settings used.
    """

    fs: float
    n_scored: int
    frame_rate: float
    V: np.ndarray
    freqs: np.ndarray
    times: np.ndarray
    fault_freqs: dict[str, float]
    raw: dict[str, EnvelopeMetrics]
    methods: dict[str, MethodResult]
    settings: SeparationSettings


def _score_all(estimate, fs, fault_freqs) -> dict[str, EnvelopeMetrics]:
    return {
        label: envelope_metrics(estimate, fs, hz) for label, hz in fault_freqs.items()
    }


def _fit(name, V, settings, primary, fs, callback):
    """Runs one NMF method on V (mean 1) and returns (W, H, lam) as NumPy."""
    key = jax.random.key(settings.seed)
    budget = shinbo_budget(
        settings.outer_steps, settings.inner_steps, settings.refit_steps
    )
    if name == "shinbo":
        outer = settings.outer
        if outer == "envsi":
            outer = envsi_objective(
                primary, settings.frame_rate(fs), weight=settings.envsi_weight
            )
        result = fit_shinbo(
            V, settings.rank, key=key, outer=outer, outer_steps=settings.outer_steps,
            inner_steps=settings.inner_steps, refit_steps=settings.refit_steps,
            callback=callback, callback_every=1,
        )  # fmt: skip
    elif name == "mu":
        result = fit_mu(V, settings.rank, key=key, num_steps=budget)
    else:
        result = fit_fixed_penalty(
            V, settings.rank, settings.fixed_lam, key=key, num_steps=budget
        )
    jax.block_until_ready(result.H)
    parts = (result.W, result.H, result.lam)
    return tuple(np.asarray(part, dtype=float) for part in parts)


def _nmf_method(name, x, X, V, fs, fault_freqs, settings, callback, n_scored):
    start = time.perf_counter()
    primary = next(iter(fault_freqs.values()))
    W, H, lam = _fit(name, V, settings, primary, fs, callback)
    choice = select_soi_component(
        W, H, x, fs, rule=settings.select, fault_freq=primary, **settings.layout
    )
    estimate = wiener_reconstruct(
        X, W, H, choice.index, length=x.size, **settings.layout
    )[:n_scored]
    seconds = time.perf_counter() - start
    return MethodResult(
        name, estimate, _score_all(estimate, fs, fault_freqs), seconds, W=W, H=H,
        lam=lam, component=choice.index, selection_scores=choice.scores,
    )  # fmt: skip


def _kurtogram_method(x, fs, fault_freqs, n_scored):
    start = time.perf_counter()
    result = kurtogram_envelope(x, fs)
    estimate = result.band_passed[:n_scored]
    seconds = time.perf_counter() - start
    return MethodResult(
        "kurtogram", estimate, _score_all(estimate, fs, fault_freqs), seconds,
        band=tuple(float(edge) for edge in result.kurtogram.band),
    )  # fmt: skip


def separate_recording(
    x: np.ndarray,
    fs: float,
    fault_freqs: Mapping[str, float],
    settings: SeparationSettings = SeparationSettings(),
    *,
    on_method: Callable[[str], None] | None = None,
    callback: Callable | None = None,
) -> Separation:
    """Separates the fault signal of one recording with each chosen method.

    The power spectrogram V = |STFT(x)|² (Hamming window, frames inside the
    signal) is scaled to mean 1 and factorised by each NMF method from the same
    initialisation with the same MU budget (SHINBO's). The SOI component is
    chosen by ``settings.select`` and reconstructed in time by a Wiener mask.
    The kurtogram baseline band-passes x at the kurtogram's band. Every
    estimate, and the raw signal, is scored at every fault line.

    Args:
        x: Validated samples, 1-D (see :func:`prepare_signal`).
        fs: Sampling rate in Hz.
        fault_freqs: Fault lines to score, Hz, by label (e.g. ``{"bpfo":
            107.3}``); the first one drives the ``"envsi"`` outer objective and
            selection rule.
        settings: Method settings.
        on_method: Called with each method's name before it runs (progress).
        callback: Passed to :func:`shinbo_jax.fit_shinbo` as its per-outer-step
            ``callback(step, value, lam)``.

    Returns:
        A :class:`Separation`.

    Raises:
        InputError: If the signal is too short or a fault line too high.
    """
    if not fault_freqs:
        raise InputError("No fault frequency to score; pass at least one.")
    check_length(x, settings)
    for hz in fault_freqs.values():
        check_fault_frequency(hz, fs, settings)
    X, freqs, times = stft(x, fs, **settings.layout)
    power = np.abs(X) ** 2
    V = power / np.mean(power)
    n_scored = (X.shape[1] - 1) * settings.hop + settings.window
    V_fit = jnp.asarray(V, dtype=settings.dtype)
    fault_freqs = dict(fault_freqs)
    methods = {}
    for name in (method for method in METHODS if method in settings.methods):
        if on_method is not None:
            on_method(name)
        if name == "kurtogram":
            methods[name] = _kurtogram_method(x, fs, fault_freqs, n_scored)
        else:
            methods[name] = _nmf_method(
                name, x, X, V_fit, fs, fault_freqs, settings,
                callback if name == "shinbo" else None, n_scored,
            )  # fmt: skip
    return Separation(
        fs=float(fs),
        n_scored=n_scored,
        frame_rate=settings.frame_rate(fs),
        V=V,
        freqs=freqs,
        times=times,
        fault_freqs=fault_freqs,
        raw=_score_all(x[:n_scored], fs, fault_freqs),
        methods=methods,
        settings=settings,
    )
