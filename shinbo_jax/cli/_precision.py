"""Floating-point precision of a command's computations."""

from __future__ import annotations

import jax


def use_dtype(dtype: str) -> None:
    """Let JAX compute in `dtype`: turns on its 64-bit mode for `"float64"`.

    JAX keeps 64-bit mode off by default and then silently computes float64
    inputs in float32. The `shinbo` commands own their process, so a config or
    option that asks for float64 switches the mode on (before any computation)
    instead of getting float32 results labelled float64.
    """
    if dtype == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
