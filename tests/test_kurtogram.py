"""Tests for shinbo_jax.baselines: the kurtogram and its band-pass envelope."""

import math

import numpy as np
import pytest

from shinbo_jax import baselines, metrics, signals


def _overlaps(band, reference):
    return band[0] < reference[1] and reference[0] < band[1]


@pytest.mark.parametrize("noise_std", [3.0, 5.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_kurtogram_finds_the_simulated_soi_band(noise_std, seed):
    sim = signals.simulate_bearing_signal(noise_std=noise_std, seed=seed)
    result = baselines.fast_kurtogram(sim.mixture, sim.fs)
    assert _overlaps(result.band, sim.band)
    assert sim.band[0] <= result.centre <= sim.band[1]
    assert result.max_kurtosis > 3.0


def test_kurtogram_follows_the_carrier():
    # Move the resonance: the selected band must move with it.
    sim = signals.simulate_bearing_signal(carrier=9_000.0, bandwidth=1_000.0)
    result = baselines.fast_kurtogram(sim.mixture, sim.fs)
    assert _overlaps(result.band, sim.band)
    assert result.band[1] > 8_000.0


def test_kurtogram_of_white_noise_is_flat_near_zero():
    noise = np.random.default_rng(5).standard_normal(2**15)
    result = baselines.fast_kurtogram(noise, 1.0, n_levels=5)
    # K = 0 for a circular Gaussian envelope; estimation noise only.
    assert abs(result.kurtogram.mean()) < 0.1
    assert np.abs(result.kurtogram[:6]).max() < 0.5


def test_kurtogram_grid_layout():
    x = np.random.default_rng(6).standard_normal(5000)
    result = baselines.fast_kurtogram(x, 1000.0, n_levels=4)
    assert result.kurtogram.shape == (8, 3 * 2**4)
    expected_levels = [0, 1, math.log2(3), 2, 1 + math.log2(3), 3, 2 + math.log2(3), 4]
    np.testing.assert_allclose(result.levels, expected_levels)
    assert [row.size for row in result.band_kurtosis] == [1, 2, 3, 4, 6, 8, 12, 16]
    # Each row of the display repeats its band values over equal column blocks.
    for row, values in zip(result.kurtogram, result.band_kurtosis, strict=True):
        np.testing.assert_array_equal(row, np.repeat(values, row.size // values.size))
    assert result.kurtogram.max() == pytest.approx(result.max_kurtosis)
    assert result.bandwidth == pytest.approx(500.0 / 2**result.level, rel=0.01)
    assert result.envelope_fs == pytest.approx(2 * result.bandwidth, rel=0.01)


def test_kurtogram_rejects_too_many_levels():
    with pytest.raises(ValueError, match="n_levels"):
        baselines.fast_kurtogram(
            np.random.default_rng(0).standard_normal(512), 1.0, n_levels=8
        )


def test_kurtogram_envelope_is_band_limited_and_periodic():
    sim = signals.simulate_bearing_signal(noise_std=3.0)
    estimate = baselines.kurtogram_envelope(sim.mixture, sim.fs)
    lo, hi = estimate.kurtogram.band
    power = np.abs(np.fft.rfft(estimate.band_passed)) ** 2
    freqs = np.fft.rfftfreq(sim.mixture.size, d=1.0 / sim.fs)
    outside = (freqs < lo) | (freqs > hi)
    assert power[outside].sum() < 1e-20 * power.sum()
    assert np.all(estimate.envelope >= 0)
    # Band-passing improves on the raw mixture for both the waveform and ENVSI.
    assert metrics.sir_t(sim.soi, estimate.band_passed) > metrics.sir_t(
        sim.soi, sim.mixture
    )
    assert metrics.envsi(estimate.band_passed, sim.fs, 30.0) > metrics.envsi(
        sim.mixture, sim.fs, 30.0
    )
    squared = baselines.kurtogram_envelope(sim.mixture, sim.fs, squared=True)
    np.testing.assert_allclose(squared.envelope, estimate.envelope**2)
