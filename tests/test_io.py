"""Loaders, input checks and atomic writers of :mod:`shinbo_jax.io`."""

import dataclasses
import json
import os
import pathlib

import numpy as np
import pytest
import scipy.io
import scipy.io.wavfile

import shinbo_jax.io as shio
from shinbo_jax.io import InputError, OutputExistsError

# name: (fs, samples, shaft_hz, rig)
SHARED = {
    "cwru_097_normal_0hp_48k.mat": (48_000.0, 243_938, 1796 / 60, "cwru"),
    "cwru_105_inner_007in_0hp_12k.mat": (12_000.0, 121_265, 1797 / 60, "cwru"),
    "cwru_130_outer_007in_at6_0hp_12k.mat": (12_000.0, 121_991, 1796 / 60, "cwru"),
    "cwru_197_outer_014in_at6_0hp_12k.mat": (12_000.0, 121_846, 1796 / 60, "cwru"),
    "mfpt_outer_vload1_25lbs_48828.mat": (48_828.0, 146_484, 25.0, "mfpt"),
    "mfpt_inner_vload1_0lbs_48828.mat": (48_828.0, 146_484, 25.0, "mfpt"),
}


def one_line(info: pytest.ExceptionInfo) -> str:
    """Returns the exception message after checking it is a single line."""
    message = str(info.value)
    assert "\n" not in message
    return message


def sine(n: int = 256) -> np.ndarray:
    """A short test tone, never constant."""
    return 0.5 * np.sin(2 * np.pi * np.arange(n) / 16.0)


# --------------------------------------------------------------------------
# Shared recordings
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_dir() -> pathlib.Path:
    folder = shio.default_data_dir()
    if folder is None or not folder.is_dir():
        pytest.skip(
            "Shared bearing recordings not found: set the environment variable "
            "SHINBO_DATA_DIR to their folder (../shared/data/bearings)."
        )
    return folder


@pytest.fixture(scope="module")
def shared(shared_dir) -> dict[str, shio.Recording]:
    return {path.name: shio.load_signal(path) for path in shio.list_recordings()}


def test_shared_folder_lists_every_recording(shared_dir, shared):
    assert set(SHARED) <= set(shared)
    for name, rec in shared.items():
        assert rec.x.dtype == np.float64 and rec.x.ndim == 1, name
        assert np.all(np.isfinite(rec.x)), name


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_recording_layout(shared, name):
    fs, n_samples, shaft_hz, rig = SHARED[name]
    rec = shared[name]
    assert rec.fs == fs
    assert rec.n_samples == n_samples
    assert rec.shaft_hz == pytest.approx(shaft_hz, rel=1e-12)
    assert rec.meta["rig"] == rig


def test_cwru_prefers_drive_end_and_offers_other_channels(shared_dir):
    path = shared_dir / "cwru_105_inner_007in_0hp_12k.mat"
    assert shio.load_signal(path).variable == "X105_DE_time"
    fan = shio.load_signal(path, channel="fe")
    assert fan.variable == "X105_FE_time" and fan.meta["channel"] == "FE"
    base = shio.load_signal(path, var="X105_BA_time")
    assert base.meta["channel"] == "BA" and base.fs == 12_000.0


def test_cwru_fs_argument_overrides_rule(shared_dir):
    rec = shio.load_signal(shared_dir / "cwru_097_normal_0hp_48k.mat", fs=12_000)
    assert rec.fs == 12_000.0 and rec.meta["fs_origin"] == "argument"


def test_mfpt_metadata(shared):
    rec = shared["mfpt_outer_vload1_25lbs_48828.mat"]
    assert rec.variable == "bearing.gs"
    assert rec.meta["load"] == 25.0
    assert rec.meta["fault_frequencies_hz"]["BPFO"] == pytest.approx(81.125)
    assert rec.meta["fault_frequencies_hz"]["BPFI"] == pytest.approx(118.875)
    assert shared["mfpt_inner_vload1_0lbs_48828.mat"].meta["load"] == 0.0


# --------------------------------------------------------------------------
# Generated files: round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int16, np.float32])
@pytest.mark.parametrize("n_channels", [1, 2])
def test_wav_round_trip(tmp_path, dtype, n_channels):
    tone = np.stack([sine(), -0.25 * sine()], axis=1)[:, :n_channels].squeeze()
    stored = (tone * 32767).astype(dtype) if dtype == np.int16 else tone.astype(dtype)
    path = tmp_path / "tone.WAV"
    scipy.io.wavfile.write(path, 8000, stored)
    scale = 32768.0 if dtype == np.int16 else 1.0
    expected = np.asarray(stored, dtype=np.float64) / scale
    rec = shio.load_signal(path)
    assert rec.fs == 8000.0 and rec.meta["fs_origin"] == "file"
    np.testing.assert_array_equal(rec.x, expected.reshape(len(tone), -1)[:, 0])
    assert np.abs(rec.x).max() <= 1.0
    if n_channels == 2:
        second = shio.load_signal(path, channel=1)
        np.testing.assert_array_equal(second.x, expected[:, 1])


def test_wav_uint8_is_centred(tmp_path):
    path = tmp_path / "byte.wav"
    scipy.io.wavfile.write(path, 4000, np.array([0, 128, 255, 64], dtype=np.uint8))
    np.testing.assert_allclose(
        shio.load_signal(path).x, [-1.0, 0.0, 127 / 128, -0.5], rtol=0, atol=0
    )


def test_npy_round_trip(tmp_path):
    one = tmp_path / "one.npy"
    np.save(one, sine().astype(np.float32))
    rec = shio.load_signal(one, fs=1000)
    np.testing.assert_array_equal(rec.x, sine().astype(np.float32))
    assert rec.x.dtype == np.float64 and rec.fs == 1000.0

    table = tmp_path / "two.npy"
    np.save(table, np.stack([sine(), 2 * sine()], axis=1))
    np.testing.assert_array_equal(
        shio.load_signal(table, fs=1, channel=1).x, 2 * sine()
    )
    np.testing.assert_array_equal(shio.load_signal(table, fs=1, channel="0").x, sine())


@pytest.mark.parametrize(
    ("text", "channel", "variable"),
    [
        ("0.5\n-0.25\n1.0\n", None, None),
        ("1, 0.5\n2, -0.25\n3, 1.0\n", 1, None),
        ("1\t0.5\n2   -0.25\n3 1.0\n", 1, None),
        ("# comment\ntime,accel\n1,0.5\n2,-0.25\n3,1.0\n", "accel", "accel"),
        ("t accel\n1 0.5\n2 -0.25\n3 1.0\n", 1, "accel"),
    ],
    ids=["single", "comma", "whitespace", "comma-header", "space-header"],
)
def test_csv_round_trip(tmp_path, text, channel, variable):
    path = tmp_path / "table.csv"
    path.write_text(text)
    rec = shio.load_signal(path, fs=10, channel=channel)
    np.testing.assert_array_equal(rec.x, [0.5, -0.25, 1.0])
    assert rec.variable == variable


def test_csv_byte_order_mark_is_not_a_header(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("0.5\n-0.25\n1.0\n".encode("utf-8-sig"))
    np.testing.assert_array_equal(shio.load_signal(path, fs=1).x, [0.5, -0.25, 1.0])


def test_error_csv_with_two_header_lines(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("sensor\naccel\n0.5\n1.0\n")
    pattern = r"Cannot read '.*table\.csv' as a CSV/text file.*at most one header"
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, fs=1)
    one_line(info)


def test_txt_extension_is_a_text_table(tmp_path):
    path = tmp_path / "signal.TXT"
    path.write_text("0.1\n0.2\n0.4\n")
    np.testing.assert_array_equal(shio.load_signal(path, fs=2).x, [0.1, 0.2, 0.4])


def test_generic_mat_single_vector_and_rate_variable(tmp_path):
    path = tmp_path / "generic.mat"
    scipy.io.savemat(path, {"accel": sine()[None, :], "Fs": 2560.0, "note": "x"})
    rec = shio.load_signal(path)
    assert rec.variable == "accel" and rec.fs == 2560.0 and rec.meta["rig"] is None
    np.testing.assert_array_equal(rec.x, sine())


def test_generic_mat_var_and_struct_field(tmp_path):
    path = tmp_path / "two.mat"
    data = {"a": sine(), "rig": {"b": 3 * sine(), "sr": 100}}
    scipy.io.savemat(path, data)
    np.testing.assert_array_equal(shio.load_signal(path, var="a", fs=5).x, sine())
    rec = shio.load_signal(path, var="rig.b", fs=5)
    np.testing.assert_array_equal(rec.x, 3 * sine())


@pytest.mark.parametrize(
    ("number", "fs"), [(97, 48_000.0), (109, 48_000.0), (217, 48_000.0), (118, 12e3)]
)
def test_cwru_rate_rule(tmp_path, number, fs):
    path = tmp_path / "cwru.mat"
    key = f"X{number:03d}"
    scipy.io.savemat(path, {f"{key}_FE_time": sine()[:, None], f"{key}RPM": 1772})
    rec = shio.load_signal(path)
    assert rec.fs == fs and rec.meta["fs_origin"] == "cwru-rule"
    assert rec.variable == f"{key}_FE_time" and rec.meta["file_number"] == number
    assert rec.shaft_hz == pytest.approx(1772 / 60)


def test_cwru_second_record_resolved_by_rpm(tmp_path):
    path = tmp_path / "175.mat"
    data = {"X175_DE_time": sine(), "X217_DE_time": -sine(), "X175RPM": 1772}
    scipy.io.savemat(path, data)
    assert shio.load_signal(path).variable == "X175_DE_time"


def test_recording_is_frozen_and_read_only(tmp_path):
    rec = shio.Recording(sine(), 100, "memory")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.fs = 5.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        rec.x[0] = 1.0
    assert rec.duration == pytest.approx(2.56)


# --------------------------------------------------------------------------
# Error paths: one line naming the problem, the value and the fix
# --------------------------------------------------------------------------


def test_error_missing_file(tmp_path):
    with pytest.raises(
        InputError, match=r"File not found: '.*nope\.wav'.*check"
    ) as info:
        shio.load_signal(tmp_path / "nope.wav")
    one_line(info)


@pytest.mark.parametrize("suffix", [".mat", ".wav", ".npy"])
def test_error_corrupt_file(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\x00\x01 definitely not a recording " * 4)
    with pytest.raises(
        InputError, match=rf"Cannot read '.*broken\{suffix}'.*check"
    ) as info:
        shio.load_signal(path, fs=1000)
    one_line(info)


def test_error_matlab_v73(tmp_path):
    path = tmp_path / "hdf5.mat"
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116) + bytes(8)
    path.write_bytes(header + b"\x00\x02IM" + bytes(512))
    with pytest.raises(InputError, match=r"hdf5\.mat.*v7\.3.*'-v7'") as info:
        shio.load_signal(path)
    one_line(info)


def test_error_unknown_format(tmp_path):
    path = tmp_path / "song.flac"
    path.write_bytes(b"fLaC")
    pattern = r"Unknown file format '\.flac'.*supported extensions: \.csv, \.mat"
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path)
    one_line(info)


def test_error_unknown_variable(tmp_path):
    path = tmp_path / "generic.mat"
    scipy.io.savemat(path, {"accel": sine(), "fs": 10.0})
    pattern = r"no variable 'velocity'.*available: accel \(256,\).*var="
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, var="velocity")
    one_line(info)


def test_error_ambiguous_variable(tmp_path):
    path = tmp_path / "two.mat"
    scipy.io.savemat(path, {"a": sine(), "b": sine(), "fs": 10.0})
    with pytest.raises(
        InputError, match=r"which variable.*a \(256,\), b .*var="
    ) as info:
        shio.load_signal(path)
    one_line(info)


def test_error_unknown_channel(tmp_path):
    path = tmp_path / "stereo.wav"
    scipy.io.wavfile.write(path, 8000, np.stack([sine(), sine()], 1).astype(np.float32))
    pattern = r"Unknown channel 5 .*available channels: 0, 1.*channel="
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, channel=5)
    one_line(info)


def test_error_unknown_cwru_channel(tmp_path):
    path = tmp_path / "097.mat"
    scipy.io.savemat(path, {"X097_DE_time": sine(), "X097_FE_time": sine()})
    pattern = r"Unknown channel 'BA' .*available channels: DE, FE.*channel="
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, channel="BA")
    one_line(info)


def test_error_several_columns_need_a_channel(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("time,accel\n0,1\n1,2\n2,0\n")
    pattern = r"has 2 channels \(0 \(time\), 1 \(accel\)\).*channel="
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, fs=10)
    one_line(info)


def test_error_missing_sampling_rate(tmp_path):
    path = tmp_path / "signal.npy"
    np.save(path, sine())
    with pytest.raises(
        InputError, match=r"No sampling rate for '.*signal\.npy'.*fs=.*--fs"
    ) as info:
        shio.load_signal(path)
    one_line(info)


def test_error_non_finite_samples(tmp_path):
    path = tmp_path / "gaps.npy"
    samples = sine()
    samples[[3, 10]] = [np.nan, np.inf]
    np.save(path, samples)
    pattern = r"2 non-finite samples \(1 NaN, 1 inf\).*first is at index 3.*interpolate"
    with pytest.raises(InputError, match=pattern) as info:
        shio.load_signal(path, fs=100)
    one_line(info)


def test_error_constant_signal():
    with pytest.raises(
        InputError, match=r"constant \(all 50 samples equal 0\.2\).*channel"
    ) as info:
        shio.validate_signal(np.full(50, 0.2), 10.0)
    one_line(info)


def test_error_empty_signal(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("accel\n")
    with pytest.raises(
        InputError,
        match=r"header_only\.csv' is empty \(0 samples\).*channel=",
    ) as info:
        shio.load_signal(path, fs=10)
    one_line(info)


def test_error_too_short():
    rec = shio.Recording(sine(100), 1000.0, "short.wav")
    pattern = r"'short\.wav' is too short for an STFT frame: it has 100 .*4096.*longer"
    with pytest.raises(InputError, match=pattern) as info:
        shio.require_min_length(rec, 4096, "an STFT frame")
    one_line(info)
    shio.require_min_length(rec, 100, "an STFT frame")


@pytest.mark.parametrize("fs", [0, -48_000.0, float("nan")])
def test_error_non_positive_fs(tmp_path, fs):
    path = tmp_path / "signal.npy"
    np.save(path, sine())
    with pytest.raises(
        InputError, match=r"fs=.* is not a positive number.*--fs"
    ) as info:
        shio.load_signal(path, fs=fs)
    one_line(info)


def test_error_var_outside_mat(tmp_path):
    path = tmp_path / "signal.npy"
    np.save(path, sine())
    with pytest.raises(
        InputError, match=r"var='x' only applies to MAT files.*channel="
    ) as info:
        shio.load_signal(path, fs=1, var="x")
    one_line(info)


def test_validate_signal_returns_float64_vector():
    checked = shio.validate_signal(np.arange(5, dtype=np.int16)[:, None], 3)
    assert checked.dtype == np.float64 and checked.shape == (5,)


# --------------------------------------------------------------------------
# Data folder discovery
# --------------------------------------------------------------------------


def test_default_data_dir_prefers_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(shio.DATA_DIR_ENV, str(tmp_path))
    assert shio.default_data_dir() == tmp_path


def test_default_data_dir_without_environment(monkeypatch):
    monkeypatch.delenv(shio.DATA_DIR_ENV, raising=False)
    found = shio.default_data_dir()
    repo_root = pathlib.Path(shio.__file__).resolve().parents[2]
    expected = (repo_root / ".." / "shared" / "data" / "bearings").resolve()
    assert found == (expected if expected.is_dir() else None)


def test_list_recordings_filters_and_sorts(tmp_path):
    for name in ["b.WAV", "a.mat", "c.npy", "d.csv", "notes.md", "e.txt"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.mat").mkdir()
    names = [path.name for path in shio.list_recordings(tmp_path)]
    assert names == ["a.mat", "b.WAV", "c.npy", "d.csv"]


def test_list_recordings_missing_folder(tmp_path):
    with pytest.raises(
        InputError, match=r"'.*absent' does not exist.*SHINBO_DATA_DIR"
    ) as info:
        shio.list_recordings(tmp_path / "absent")
    one_line(info)


# --------------------------------------------------------------------------
# Atomic writing and output folders
# --------------------------------------------------------------------------


def test_atomic_writers_produce_complete_files(tmp_path):
    shio.atomic_write_bytes(tmp_path / "raw.bin", b"\x00\x01")
    shio.atomic_write_text(tmp_path / "note.txt", "héllo\n")
    result = {"b": np.float32(1.5), "a": np.arange(3), "c": (np.int64(2), True)}
    shio.atomic_write_json(tmp_path / "result.json", result)
    shio.atomic_save_npz(tmp_path / "arrays.npz", W=np.eye(2), H=np.ones((2, 3)))

    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "héllo\n"
    text = (tmp_path / "result.json").read_text()
    assert json.loads(text) == {"a": [0, 1, 2], "b": 1.5, "c": [2, True]}
    assert text.startswith('{\n  "a": [')
    with np.load(tmp_path / "arrays.npz") as archive:
        np.testing.assert_array_equal(archive["W"], np.eye(2))
        assert archive["H"].shape == (2, 3)
    assert sorted(os.listdir(tmp_path)) == [
        "arrays.npz",
        "note.txt",
        "raw.bin",
        "result.json",
    ]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        shio.atomic_write_json(target, {"new": 1})
    with pytest.raises(OSError, match="disk full"):
        shio.atomic_save_npz(tmp_path / "arrays.npz", W=np.eye(2))
    assert os.listdir(tmp_path) == ["result.json"]
    assert target.read_text() == "old"


def test_atomic_write_unserialisable_object_writes_nothing(tmp_path):
    with pytest.raises(TypeError):
        shio.atomic_write_json(tmp_path / "result.json", {"bad": object()})
    assert os.listdir(tmp_path) == []


def test_atomic_write_missing_folder(tmp_path):
    with pytest.raises(
        InputError, match=r"folder '.*absent' does not exist.*create"
    ) as info:
        shio.atomic_write_text(tmp_path / "absent" / "x.txt", "x")
    one_line(info)


def test_prepare_output_dir_refuses_results_unless_forced(tmp_path):
    out = shio.prepare_output_dir(tmp_path / "run" / "one")
    assert out.is_dir()
    assert shio.prepare_output_dir(out) == out  # still empty
    shio.atomic_write_json(out / "result.json", {"ok": True})
    pattern = r"Output folder '.*one' already holds results \(result\.json\).*--force"
    with pytest.raises(OutputExistsError, match=pattern) as info:
        shio.prepare_output_dir(out)
    one_line(info)
    assert shio.prepare_output_dir(out, force=True) == out
    assert (out / "result.json").exists()


def test_prepare_output_dir_with_expected_names(tmp_path):
    (tmp_path / "config.toml").write_text("")
    expected = ("W.npy", "result.json")
    assert shio.prepare_output_dir(tmp_path, expected=expected) == tmp_path
    (tmp_path / "W.npy").write_bytes(b"")
    with pytest.raises(OutputExistsError, match=r"\(W\.npy\).*force=True"):
        shio.prepare_output_dir(tmp_path, expected=expected)


def test_prepare_output_dir_rejects_a_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("")
    with pytest.raises(InputError, match=r"'.*taken' exists and is not a folder"):
        shio.prepare_output_dir(path)
