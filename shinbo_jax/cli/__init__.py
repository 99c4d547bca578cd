"""Command-line interface: `shinbo demo`. The only layer that prints."""

from ._main import main as main

__all__ = ["main"]
