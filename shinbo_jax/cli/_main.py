"""Argument parsing and dispatch for the `shinbo` command."""

from __future__ import annotations

import argparse
import sys

from ._demo import add_demo_parser
from ._experiment import add_experiment_parser
from ._separate import add_separate_parser
from ._sweep import add_sweep_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shinbo",
        description="Sparse Itakura-Saito NMF with learned row-wise penalties "
        "(SHINBO) for bearing-fault signal separation.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_demo_parser(commands)
    add_separate_parser(commands)
    add_experiment_parser(commands)
    add_sweep_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `shinbo` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError) as error:
        print(f"shinbo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
