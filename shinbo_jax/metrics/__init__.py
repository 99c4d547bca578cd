"""Metrics: SIR variants, envelope analysis (ENVSI, PMR), kurtosis, sparsity.

Host-side NumPy. Every formula is in the docstring of its function; every
tolerance, band and floor is an explicit keyword with a documented default.
"""

from shinbo_jax.metrics._envelope import (
    PeakToMedianRatio as PeakToMedianRatio,
    envelope_spectrum as envelope_spectrum,
    envsi as envsi,
    peak_to_median_ratio as peak_to_median_ratio,
)
from shinbo_jax.metrics._selection import (
    ComponentSelection as ComponentSelection,
    select_soi_component as select_soi_component,
)
from shinbo_jax.metrics._sir import (
    bss_eval_sir as bss_eval_sir,
    sir as sir,
    sir_h as sir_h,
    sir_t as sir_t,
    sir_w as sir_w,
    soi_frame_energy as soi_frame_energy,
    soi_spectral_profile as soi_spectral_profile,
)
from shinbo_jax.metrics._statistics import (
    hoyer_sparsity as hoyer_sparsity,
    kurtosis as kurtosis,
)

__all__ = [
    "ComponentSelection",
    "PeakToMedianRatio",
    "bss_eval_sir",
    "envelope_spectrum",
    "envsi",
    "hoyer_sparsity",
    "kurtosis",
    "peak_to_median_ratio",
    "select_soi_component",
    "sir",
    "sir_h",
    "sir_t",
    "sir_w",
    "soi_frame_energy",
    "soi_spectral_profile",
]
