"""`shinbo experiment`: a tiny config over generated recordings, bad configs."""

import csv
import json

import numpy as np
import pytest
import scipy.io.wavfile

from shinbo_jax.cli import main
from shinbo_jax.io import DATA_DIR_ENV
from shinbo_jax.signals import simulate_bearing_signal

FS = 25_000.0
TINY = """
[settings]
outer_steps = 2
inner_steps = 2
refit_steps = 5

[[recording]]
file = "fault.npy"
fs = 25000.0
fault_freq = 30.0

[[recording]]
file = "noise.wav"
role = "control"
faults = ["bpfo", "bpfi"]
geometry = "9,0.3126,1.537"
shaft_hz = 10.0
"""


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    fault = simulate_bearing_signal(fs=FS, duration=1.0, seed=2).mixture
    np.save(folder / "fault.npy", fault)
    noise = np.random.default_rng(3).standard_normal(int(FS)).astype(np.float32)
    scipy.io.wavfile.write(folder / "noise.wav", int(FS), noise)
    np.save(folder / "unlisted.npy", noise)
    return folder


def _config(tmp_path, text=TINY):
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    return path


def test_experiment_writes_csv_and_markdown(tmp_path, data_dir, capsys, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    out = tmp_path / "out"
    assert main(["experiment", str(_config(tmp_path)), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "skipping unlisted.npy" in captured.err
    assert captured.out.count("| SHINBO |") == 3  # one table per fault line
    with open(out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # fault.npy: one line; noise.wav: BPFO and BPFI; raw + 4 methods each.
    assert len(rows) == 3 * 5
    assert {row["method"] for row in rows} == {
        "raw", "shinbo", "mu", "fixed", "kurtogram",
    }  # fmt: skip
    fault_rows = [row for row in rows if row["recording"] == "fault.npy"]
    assert all(float(row["envsi"]) >= 0 for row in fault_rows)
    bpfo = next(row for row in rows if row["line"] == "bpfo")
    # BPFO = 4.5 · 10 Hz · (1 − 0.3126/1.537) = 35.848 Hz; abs=0.01 accepts the
    # value cut to the 2 decimals written here (the check is on the geometry and
    # shaft speed reaching the formula, not on its arithmetic).
    assert float(bpfo["fault_hz"]) == pytest.approx(35.84, abs=0.01)
    summary = (out / "summary.md").read_text()
    assert "### ENVSI" in summary and "noise.wav (control)" in summary
    report = json.loads((out / "report.json").read_text())
    assert report["skipped"] == ["unlisted.npy"] and len(report["rows"]) == 15


def test_a_file_listed_twice_keeps_both_rows(tmp_path, data_dir, monkeypatch):
    # The same control with each line first (the first line drives the
    # fault-aware objective): the summary must show both entries, not let the
    # second overwrite the first.
    text = (
        TINY.split("[[recording]]")[0]
        + (
            '[[recording]]\nfile = "noise.wav"\nrole = "control"\n'
            'faults = ["bpfo", "bpfi"]\ngeometry = "9,0.3126,1.537"\nshaft_hz = 10.0\n'
        )
        * 2
    )
    text = text.replace("[settings]", '[settings]\nmethods = ["mu"]')
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    out = tmp_path / "out"
    assert main(["experiment", str(_config(tmp_path, text)), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    with open(out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted({row["entry"] for row in rows}) == ["1", "2"]
    summary = (out / "summary.md").read_text()
    for entry in (1, 2):
        assert summary.count(f"noise.wav (control) [entry {entry}]") == 2 * 2


def _fails(capsys, argv, *words):
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("shinbo experiment: error: ") and err.count("\n") == 1
    for word in words:
        assert word in err, (word, err)


def test_missing_recording_fails_before_writing(tmp_path, data_dir, capsys):
    config = _config(tmp_path, TINY.replace("fault.npy", "gone.npy"))
    out = tmp_path / "out"
    argv = ["experiment", str(config), "--data-dir", str(data_dir), "--out"]
    _fails(capsys, [*argv, str(out)], "gone.npy")
    assert not out.exists()


def test_bad_config_and_missing_data_dir(tmp_path, data_dir, capsys):
    out = str(tmp_path / "out")
    broken = _config(tmp_path, "[settings\n")
    _fails(capsys, ["experiment", str(broken), "--out", out], "TOML")
    unknown = _config(tmp_path, TINY.replace("outer_steps", "outer_stepz"))
    argv = ["experiment", str(unknown), "--data-dir", str(data_dir), "--out", out]
    _fails(capsys, argv, "outer_stepz")
    missing = ["--data-dir", str(tmp_path / "nowhere"), "--out", out]
    _fails(capsys, ["experiment", str(_config(tmp_path)), *missing], "nowhere")
    assert not (tmp_path / "out").exists()
