"""Tests for shinbo_jax.metrics: SIR variants, envelope indicators, statistics."""

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.io
import scipy.stats

from shinbo_jax import metrics, signals

FS = 25_000.0
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bearings"


@pytest.fixture(scope="module")
def sim():
    return signals.simulate_bearing_signal()


@pytest.fixture(scope="module")
def oracle_factors(sim):
    """Rank-2 factors built from the true noise (k=0) and SOI (k=1) spectrograms."""
    V_noise, _, _ = signals.power_spectrogram(sim.noise, FS)
    V_soi, _, _ = signals.power_spectrogram(sim.soi, FS)
    W = np.stack([V_noise.mean(axis=1), V_soi.mean(axis=1)], axis=1)
    H = np.stack([V_noise.mean(axis=0), V_soi.mean(axis=0)]) / W.sum(0)[:, None]
    return W, H


# --- SIR -----------------------------------------------------------------------


def test_sir_identical_is_large_and_finite_unrelated_is_low():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4000))
    assert metrics.sir(a, a) == pytest.approx(120.0)
    # Scale, offset and sign do not matter.
    assert metrics.sir(a, -3.0 * a + 5.0) > 100.0
    assert metrics.sir(a, b) < 0.0
    assert metrics.sir(a, a, floor=1e-6) == pytest.approx(60.0)


def test_sir_grows_with_the_share_of_the_reference():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 4000))
    values = [metrics.sir(a, a + scale * b) for scale in (2.0, 1.0, 0.1)]
    assert values[0] < values[1] < values[2]
    # For e = a + 0.1 b, 2 - 2ρ ≈ 0.01, i.e. about 20 dB. The sample variances
    # and correlation of 4000 draws move it by about 0.1 dB (measured 20.12 dB);
    # abs=1.0 only guards the formula.
    assert values[2] == pytest.approx(20.0, abs=1.0)


def test_sir_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        metrics.sir(np.ones(5), np.arange(4.0))
    with pytest.raises(ValueError, match="constant"):
        metrics.sir(np.ones(5), np.arange(5.0))


def test_named_sir_variants(sim, oracle_factors):
    W, H = oracle_factors
    assert metrics.sir_w(sim.soi, W[:, 1], FS) > 100.0
    assert metrics.sir_w(sim.soi, W[:, 0], FS) < 5.0
    assert metrics.sir_h(sim.soi, jnp.asarray(H[1]), FS) > 100.0
    assert metrics.sir_h(sim.soi, H[0], FS) < 5.0
    assert metrics.sir_t(sim.soi, sim.soi, trim=10) > 100.0
    assert metrics.sir_t(sim.soi, sim.mixture) < metrics.sir_t(
        sim.soi, sim.soi + 0.1 * sim.noise
    )


def test_bss_eval_sir_of_mixture_in_closed_form(sim):
    # ŝ = s + n lies in span{s, n}: s_target = (1 + c) s and e_interf = n - c s,
    # with c = <n, s> / ||s||².
    s, n = sim.soi, sim.noise
    c = (n @ s) / (s @ s)
    expected = 10 * np.log10(np.sum(((1 + c) * s) ** 2) / np.sum((n - c * s) ** 2))
    result = metrics.bss_eval_sir(sim.mixture, s, n)
    np.testing.assert_allclose(result, expected, rtol=1e-10)
    # ... which is close to the input SNR (about -4.7 dB): the two differ only
    # through the chance correlation c of 25 000 noise and SOI samples
    # (measured 0.07 dB); 0.2 dB leaves room for other seeds.
    assert abs(result - 10 * np.log10((s @ s) / (n @ n))) < 0.2
    assert metrics.bss_eval_sir(sim.soi, sim.soi, sim.noise) == pytest.approx(120.0)
    assert metrics.bss_eval_sir(sim.noise, sim.soi, sim.noise) < -20.0


# --- envelope analysis -----------------------------------------------------------


def _impulse_train(fs, fault_freq, duration, rng=None):
    x = np.zeros(int(fs * duration))
    x[:: round(fs / fault_freq)] = 1.0
    # Ring each impulse at 3 kHz so the envelope, not the carrier, is periodic.
    t = np.arange(200) / fs
    return np.convolve(x, np.sin(2 * np.pi * 3000 * t) * np.exp(-2000 * t))[: x.size]


def test_envelope_spectrum_finds_the_repetition_rate():
    x = _impulse_train(10_000.0, 40.0, 1.0)
    freqs, spectrum = metrics.envelope_spectrum(x, 10_000.0)
    # abs=1.0 is one bin of the 1 s record: the line must be at (or next to)
    # 40 Hz rather than at a harmonic; it lands exactly on 40 Hz today.
    assert freqs[np.argmax(spectrum)] == pytest.approx(40.0, abs=1.0)
    plain = metrics.envelope_spectrum(x, 10_000.0, squared=False, window=None)[1]
    assert freqs[np.argmax(plain)] == pytest.approx(40.0, abs=1.0)


def test_envelope_spectrum_of_an_am_tone_is_its_modulation_line():
    fs, n = 8000.0, 8000
    t = np.arange(n) / fs
    x = (1.0 + 0.5 * np.cos(2 * np.pi * 10 * t)) * np.cos(2 * np.pi * 1000 * t)
    freqs, spectrum = metrics.envelope_spectrum(x, fs, squared=False, window=None)
    # The Hilbert envelope is exactly 1 + 0.5 cos(2π 10 t): one line of amplitude
    # 0.5 at 10 Hz and nothing at the carrier harmonics (2 kHz). With whole
    # cycles and no taper the result is exact to round-off (measured 1e-15);
    # the 1e-3 bounds (a tolerance, a floor, a tolerance) test the formula's
    # scaling 2 / Σw, not the FFT's round-off.
    np.testing.assert_allclose(spectrum[freqs == 10.0], 0.5, rtol=1e-3)
    assert spectrum[freqs == 2000.0] < 1e-3
    assert np.sum(spectrum**2) == pytest.approx(0.25, rel=1e-3)


def test_envsi_high_for_impulse_train_low_for_noise():
    x = _impulse_train(FS, 30.0, 1.0)
    noise = np.random.default_rng(3).standard_normal(x.size)
    assert metrics.envsi(x, FS, 30.0) > 0.8
    assert metrics.envsi(noise, FS, 30.0) < 0.15
    # The indicator is specific to the fault frequency.
    assert metrics.envsi(x, FS, 37.0) < 0.3


def test_envsi_on_an_activation_row_at_the_frame_rate(sim, oracle_factors):
    _, H = oracle_factors
    envelope, rate = signals.activation_envelope(H[1], FS)
    soi_row = metrics.envsi(envelope, rate, 30.0, is_envelope=True)
    noise_row = metrics.envsi(H[0], rate, 30.0, is_envelope=True)
    assert soi_row > 0.5 > noise_row


def test_envsi_validates_f_max():
    with pytest.raises(ValueError, match="f_max"):
        metrics.envsi(
            np.random.default_rng(0).standard_normal(1000), 1000.0, 30.0, f_max=100.0
        )


def test_pmr_at_the_fault_line_beats_a_wrong_line(sim):
    right = metrics.peak_to_median_ratio(sim.mixture, FS, 30.0)
    wrong = metrics.peak_to_median_ratio(sim.mixture, FS, 37.3)
    assert np.all(right.ratios > 5 * wrong.ratios)
    # atol=1.0 is one bin of the 1 s record: the impulse period is 833 samples,
    # so the true lines sit at 30.01, 60.02 and 90.04 Hz, between bins.
    np.testing.assert_allclose(right.peak_freqs, [30.0, 60.0, 90.0], atol=1.0)
    assert right.harmonics == (1, 2, 3)
    prefiltered = metrics.peak_to_median_ratio(
        sim.mixture, FS, 30.0, prefilter_band=sim.band
    )
    # Band-passing at the SOI band removes out-of-band noise, sharpening the lines.
    assert np.all(prefiltered.ratios > right.ratios)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared bearing data not present")
def test_pmr_reproduces_the_data_readme_on_cwru_130():
    record = scipy.io.loadmat(DATA / "cwru_130_outer_007in_at6_0hp_12k.mat")
    x = record["X130_DE_time"].ravel()
    result = metrics.peak_to_median_ratio(
        x, 12_000.0, 107.31, prefilter_band=(2000.0, 5000.0)
    )
    # README §3 table: 816 / 539 / 336 at 107.6, 215.3, 322.9 Hz (rounded). The
    # README rounds the ratios to integers (measured 816.4 / 538.6 / 336.3
    # here, well inside rtol=0.01) and the frequencies to 0.1 Hz (bins of
    # 0.098 Hz), hence atol=0.1.
    np.testing.assert_allclose(result.ratios, [816, 539, 336], rtol=0.01)
    np.testing.assert_allclose(result.peak_freqs, [107.6, 215.3, 322.9], atol=0.1)


# --- statistics ----------------------------------------------------------------


def test_kurtosis_matches_scipy_and_flags_impulses():
    rng = np.random.default_rng(4)
    gaussian = rng.standard_normal(20_000)
    np.testing.assert_allclose(
        metrics.kurtosis(gaussian), scipy.stats.kurtosis(gaussian, fisher=False)
    )
    np.testing.assert_allclose(
        metrics.kurtosis(gaussian, excess=True), scipy.stats.kurtosis(gaussian)
    )
    # The sample kurtosis of n = 20 000 Gaussian draws has standard deviation
    # sqrt(24 / n) = 0.035, so 0.15 is over 4 sigmas.
    assert abs(float(metrics.kurtosis(gaussian)) - 3.0) < 0.15
    assert metrics.kurtosis(_impulse_train(FS, 30.0, 0.5)) > 20.0
    with pytest.raises(ValueError, match="constant"):
        metrics.kurtosis(np.ones(10))


def test_hoyer_sparsity_extremes_and_rows():
    H = np.array([[0.0, 0.0, 5.0, 0.0], [2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    sparsity = metrics.hoyer_sparsity(H)
    np.testing.assert_allclose(sparsity[:2], [1.0, 0.0], atol=1e-12)
    assert 0.0 < sparsity[2] < 1.0
    assert np.isnan(metrics.hoyer_sparsity(np.zeros(4)))
    with pytest.raises(ValueError, match="N >= 2"):
        metrics.hoyer_sparsity(np.ones((2, 1)))


# --- component selection --------------------------------------------------------


@pytest.mark.parametrize("rule", ["kurtosis", "envsi", "oracle"])
def test_select_soi_component_finds_the_soi(sim, oracle_factors, rule):
    W, H = oracle_factors
    for order in ([0, 1], [1, 0]):  # the answer must follow the permutation
        chosen = metrics.select_soi_component(
            W[:, order],
            H[order],
            sim.mixture,
            FS,
            rule=rule,
            fault_freq=30.0,
            band=sim.band,
        )
        assert order[chosen.index] == 1
        assert chosen.scores.shape == (2,) and chosen.rule == rule


def test_select_soi_component_needs_its_inputs(sim, oracle_factors):
    W, H = oracle_factors
    with pytest.raises(ValueError, match="fault_freq"):
        metrics.select_soi_component(W, H, sim.mixture, FS, rule="envsi")
    with pytest.raises(ValueError, match="band"):
        metrics.select_soi_component(W, H, sim.mixture, FS, rule="oracle")
    with pytest.raises(ValueError, match="rule"):
        metrics.select_soi_component(W, H, sim.mixture, FS, rule="snr")
