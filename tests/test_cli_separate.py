"""`shinbo separate`: end to end on simulated and real recordings, bad input."""

import json

import numpy as np
import pytest
import scipy.io
import scipy.io.wavfile

from shinbo_jax._pipeline import SeparationSettings
from shinbo_jax.cli import main
from shinbo_jax.cli._report import json_safe
from shinbo_jax.io import InputError, default_data_dir
from shinbo_jax.signals import simulate_bearing_signal

FS = 25_000.0
FAST = ["--outer-steps", "2", "--inner-steps", "2"]
FIGURES = ("spectrogram.png", "w_columns.png", "h_rows.png", "envelope.png")


@pytest.fixture(scope="module")
def simulated():
    """One second of the simulated 30 Hz fault at 25 kHz."""
    return simulate_bearing_signal(fs=FS, duration=1.0, seed=1).mixture


@pytest.fixture
def wav_file(tmp_path, simulated):
    path = tmp_path / "sim.wav"
    scipy.io.wavfile.write(path, int(FS), simulated.astype(np.float32))
    return path


def _npy(tmp_path, samples, name="sim.npy"):
    path = tmp_path / name
    np.save(path, samples)
    return path


def test_separate_simulated_wav_writes_results_and_table(wav_file, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["separate", str(wav_file), "--fault-freq", "30", "--compare", "--out"]
    status = main([*argv, str(out), *FAST])
    printed = capsys.readouterr().out
    assert status == 0
    for name in ("result.npz", "report.json", *FIGURES):
        assert (out / name).stat().st_size > 100, name
    for row in ("| raw signal |", "| SHINBO |", "| MU (λ = 0) |", "| kurtogram |"):
        assert row in printed
    report = json.loads((out / "report.json").read_text())
    assert report["fault"] == {
        "frequency_hz": 30.0, "kind": None, "source": "given in Hz",
        "shaft_hz": None, "bearing": None,
    }  # fmt: skip
    assert report["input"]["fs_hz"] == FS and report["input"]["n_samples"] == FS
    assert set(report["methods"]) == {"shinbo", "mu", "fixed", "kurtogram"}
    shinbo = report["methods"]["shinbo"]
    assert len(shinbo["pmr"]) == 3 and len(shinbo["pmr_peak_freqs_hz"]) == 3
    assert shinbo["component"] in (0, 1) and shinbo["seconds"] > 0
    assert 0 <= report["raw"]["envsi"] <= 1
    # The simulated fault is strong: the SOI estimate shows the 30 Hz line. The
    # PMR peak is searched within ±2 % of 30 Hz (0.6 Hz), or at the nearest bin
    # (~1 Hz apart) when that window holds none, so it is at most ~0.6 Hz off;
    # 1.5 Hz (one and a half bins) therefore only catches a broken search.
    assert abs(shinbo["pmr_peak_freqs_hz"][0] - 30) < 1.5
    with np.load(out / "result.npz") as result:
        assert result["W"].shape == (257, 2) and result["H"].shape[0] == 2
        assert result["soi"].ndim == 1 and "settings" in result.files


def test_separate_json_on_npy_and_force(tmp_path, simulated, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("old")
    argv = ["separate", str(_npy(tmp_path, simulated)), "--fs", str(FS),
            "--fault-freq", "30", "--out", str(out), "--json", "--no-figures",
            "--force", "--segment", "0.5", *FAST]  # fmt: skip
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads((out / "report.json").read_text())
    assert report["input"]["segment_s"] == 0.5
    assert report["input"]["n_samples"] == FS / 2
    assert report["files"] == ["result.npz", "report.json"]
    assert not (out / "spectrogram.png").exists()


def test_json_safe_writes_nan_and_inf_as_null():
    assert json_safe({"a": float("nan"), "b": [np.float64("inf"), 1.5]}) == {
        "a": None, "b": [None, 1.5],
    }  # fmt: skip


def test_separate_real_recording_segment(tmp_path, capsys):
    data = default_data_dir()
    path = None if data is None else data / "cwru_130_outer_007in_at6_0hp_12k.mat"
    if path is None or not path.is_file():
        pytest.skip("shared bearing recordings not found (set SHINBO_DATA_DIR)")
    out = tmp_path / "out"
    argv = ["separate", str(path), "--fault", "bpfo", "--segment", "1", "--out"]
    assert main([*argv, str(out), "--no-figures", *FAST]) == 0
    assert "BPFO" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    fault = report["fault"]
    assert fault["kind"] == "bpfo" and fault["bearing"] == "SKF 6205-2RS JEM"
    # 1796 rpm (X130RPM) gives BPFO = 107.304 Hz; abs=0.01 matches the 0.01 Hz
    # rounding of the literal.
    assert fault["frequency_hz"] == pytest.approx(107.30, abs=0.01)
    assert "stored in the file" in fault["source"]
    assert report["input"]["fs_hz"] == 12_000 and report["input"]["channel"] == "DE"
    # The 0.007" outer-race fault is strong: raw and SHINBO both show BPFO.
    assert report["raw"]["pmr"][0] > report["raw"]["pmr_null95"]
    peak = report["methods"]["shinbo"]["pmr_peak_freqs_hz"][0]
    # 2.2 Hz: the PMR search window, ±2 % of 107.3 Hz = ±2.15 Hz (bearing slip),
    # rounded up, so this checks that the peak came from that window.
    assert abs(peak - 107.3) < 2.2


# --------------------------------------------------------------------------
# Bad input: one line on stderr, exit status 2, nothing written.


def _fails(capsys, tmp_path, argv, *words):
    out = tmp_path / "never"
    status = main(["separate", *argv, "--out", str(out), *FAST])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("shinbo separate: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    _fails(capsys, tmp_path, [str(tmp_path / "nope.wav")], "nope.wav")


def test_unreadable_file(tmp_path, capsys):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF not really a wave file")
    _fails(capsys, tmp_path, [str(path)], "Cannot read", "WAV")


def test_unknown_format(tmp_path, capsys):
    path = tmp_path / "signal.xyz"
    path.write_text("1 2 3")
    _fails(capsys, tmp_path, [str(path)], ".xyz")


def test_unknown_variable(tmp_path, capsys, simulated):
    path = tmp_path / "signal.mat"
    scipy.io.savemat(path, {"vibration": simulated, "fs": FS})
    _fails(capsys, tmp_path, [str(path), "--var", "nope"], "nope", "vibration")


def test_unknown_channel(tmp_path, capsys, simulated):
    path = _npy(tmp_path, np.stack([simulated, simulated], axis=1))
    argv = [str(path), "--fs", str(FS), "--channel", "5", "--fault-freq", "30"]
    _fails(capsys, tmp_path, argv, "5")


def test_signal_too_short(tmp_path, capsys, simulated):
    path = _npy(tmp_path, simulated[:1000])
    argv = [str(path), "--fs", str(FS), "--fault-freq", "30"]
    _fails(capsys, tmp_path, argv, "too short", "--segment")


def test_nan_samples(tmp_path, capsys, simulated):
    samples = simulated.copy()
    samples[100] = np.nan
    argv = [str(_npy(tmp_path, samples)), "--fs", str(FS), "--fault-freq", "30"]
    _fails(capsys, tmp_path, argv, "non-finite", "index 100")


def test_constant_signal(tmp_path, capsys):
    argv = [str(_npy(tmp_path, np.ones(30_000))), "--fs", str(FS)]
    _fails(capsys, tmp_path, [*argv, "--fault-freq", "30"], "constant")


def test_missing_sampling_rate(tmp_path, capsys, simulated):
    argv = [str(_npy(tmp_path, simulated)), "--fault-freq", "30"]
    _fails(capsys, tmp_path, argv, "--fs")


def test_no_fault_frequency(tmp_path, capsys, simulated):
    _fails(capsys, tmp_path, [str(_npy(tmp_path, simulated)), "--fs", str(FS)],
           "--fault-freq", "--fault")  # fmt: skip


def test_fault_kind_without_shaft_speed(tmp_path, capsys, simulated):
    argv = [str(_npy(tmp_path, simulated)), "--fs", str(FS), "--fault", "bpfo",
            "--bearing", "6205"]  # fmt: skip
    _fails(capsys, tmp_path, argv, "--rpm")


def test_fault_frequency_too_high(tmp_path, capsys, simulated):
    argv = [str(_npy(tmp_path, simulated)), "--fs", str(FS), "--fault-freq", "900"]
    _fails(capsys, tmp_path, argv, "too high", "446.4")


def test_refuses_existing_results(tmp_path, capsys, wav_file):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("old")
    status = main(["separate", str(wav_file), "--fault-freq", "30", "--out",
                   str(out), *FAST])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--force" in err
    assert sorted(path.name for path in out.iterdir()) == ["report.json"]
    assert (out / "report.json").read_text() == "old"


@pytest.mark.parametrize(
    ("field", "value"), [("fixed_lam", -0.1), ("envsi_weight", float("nan"))]
)
def test_settings_refuse_negative_or_nonfinite_weights(field, value):
    with pytest.raises(InputError, match=rf"`{field}` must be a nonnegative number"):
        SeparationSettings(**{field: value})
