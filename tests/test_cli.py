"""The `shinbo` command line."""

from shinbo_jax.cli import main


def test_demo_runs_and_prints_the_comparison(tmp_path, capsys):
    status = main(
        ["demo", "--outer-steps", "2", "--inner-steps", "2", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "| SHINBO |" in out and "| MU |" in out and "hypergradient" in out
    assert (tmp_path / "demo.png").stat().st_size > 1000


def test_demo_refuses_to_overwrite_results(tmp_path, capsys):
    (tmp_path / "demo.png").write_bytes(b"old")
    status = main(["demo", "--outer-steps", "1", "--inner-steps", "1",
                   "--out", str(tmp_path)])  # fmt: skip
    assert status == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "demo.png").read_bytes() == b"old"
