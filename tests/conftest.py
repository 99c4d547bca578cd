"""Test configuration: float64 everywhere unless a test asks for float32."""

import jax

jax.config.update("jax_enable_x64", True)
