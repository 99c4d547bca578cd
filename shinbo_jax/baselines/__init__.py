"""Baselines: the kurtogram band selector and the envelope analysis built on it."""

from shinbo_jax.baselines._kurtogram import (
    DEFAULT_MIN_BANDWIDTH_HZ as DEFAULT_MIN_BANDWIDTH_HZ,
    KurtogramEnvelope as KurtogramEnvelope,
    KurtogramResult as KurtogramResult,
    fast_kurtogram as fast_kurtogram,
    kurtogram_envelope as kurtogram_envelope,
)

__all__ = [
    "DEFAULT_MIN_BANDWIDTH_HZ",
    "KurtogramEnvelope",
    "KurtogramResult",
    "fast_kurtogram",
    "kurtogram_envelope",
]
