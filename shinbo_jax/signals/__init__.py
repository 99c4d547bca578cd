"""Signals: fault simulator, STFT round trip, reconstruction, bearing kinematics.

Host-side NumPy/SciPy code that feeds the IS-NMF solvers (V = |X|²) and maps their
factors W (F × K spectral profiles) and H (K × N activations) back to time.
"""

from shinbo_jax.signals._bearing import (
    BEARINGS as BEARINGS,
    BearingFrequencies as BearingFrequencies,
    BearingGeometry as BearingGeometry,
    bearing_frequencies as bearing_frequencies,
)
from shinbo_jax.signals._reconstruct import (
    activation_envelope as activation_envelope,
    filter_with_column as filter_with_column,
    wiener_reconstruct as wiener_reconstruct,
)
from shinbo_jax.signals._simulate import (
    BearingSignal as BearingSignal,
    simulate_bearing_signal as simulate_bearing_signal,
)
from shinbo_jax.signals._stft import (
    SpectrogramConfig as SpectrogramConfig,
    frame_rate as frame_rate,
    istft as istft,
    power_spectrogram as power_spectrogram,
    stft as stft,
)

__all__ = [
    "BEARINGS",
    "BearingFrequencies",
    "BearingGeometry",
    "BearingSignal",
    "SpectrogramConfig",
    "activation_envelope",
    "bearing_frequencies",
    "filter_with_column",
    "frame_rate",
    "istft",
    "power_spectrogram",
    "simulate_bearing_signal",
    "stft",
    "wiener_reconstruct",
]
