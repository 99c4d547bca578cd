"""The `shinbo` command line."""

import os
import subprocess
import sys

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


def test_float64_request_turns_on_jax_64_bit_mode():
    # Without it JAX computes float64 inputs in float32 and says nothing: a sweep
    # with dtype = "float64" run as a command (a fresh process, 64-bit mode
    # off) wrote float32 results (found by test_sweep.py's kill-and-resume test).
    code = (
        "import jax.numpy as jnp, numpy as np\n"
        "from shinbo_jax.cli._precision import use_dtype\n"
        "before = jnp.asarray(np.ones(1)).dtype\n"
        "use_dtype('float32')\n"
        "same = jnp.asarray(np.ones(1)).dtype\n"
        "use_dtype('float64')\n"
        "print(before, same, jnp.asarray(np.ones(1)).dtype)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True, env=env)  # fmt: skip
    assert done.stdout.split() == ["float32", "float32", "float64"]
