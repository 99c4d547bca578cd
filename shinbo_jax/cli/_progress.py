"""Progress bars on stderr (tqdm) for long runs: methods and SHINBO outer steps."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterator, Sequence

from tqdm import tqdm


@dataclasses.dataclass
class ProgressHooks:
    """Callbacks for :func:`shinbo_jax._pipeline.separate_recording`.

    Attributes:
        on_method: Called with each method's name as it starts, or None.
        callback: SHINBO's per-outer-step `callback(step, value, lam)`, or None.
    """

    on_method: Callable[[str], None] | None = None
    callback: Callable | None = None


def enabled(quiet: bool) -> bool:
    """Progress bars only on an interactive stderr and without --quiet."""
    return not quiet and sys.stderr.isatty()


@contextlib.contextmanager
def progress_hooks(
    methods: Sequence[str], outer_steps: int, *, quiet: bool, prefix: str = ""
) -> Iterator[ProgressHooks]:
    """Bars over the methods and over SHINBO's outer steps, closed on exit.

    Without an interactive stderr (or with ``quiet``) the hooks are None, so
    the fit compiles without host callbacks.

    Args:
        methods: The methods that will run.
        outer_steps: SHINBO's outer steps.
        quiet: Switch the bars off.
        prefix: Text in front of the bars' descriptions (e.g. a file name).

    Yields:
        A :class:`ProgressHooks`.
    """
    if not enabled(quiet):
        yield ProgressHooks()
        return
    method_bar = tqdm(total=len(methods), desc=f"{prefix}methods", file=sys.stderr)
    step_bar = tqdm(
        total=outer_steps,
        desc=f"{prefix}SHINBO outer steps",
        file=sys.stderr,
        leave=False,
    )
    started: list[str] = []

    def on_method(name: str) -> None:
        if started:
            method_bar.update(1)
        started.append(name)
        method_bar.set_postfix_str(name)

    def callback(step, value, lam) -> None:
        step_bar.n = int(step)
        step_bar.set_postfix_str(f"outer {float(value):.4g}")

    try:
        yield ProgressHooks(on_method, callback)
        method_bar.update(len(methods) - method_bar.n)
    finally:
        step_bar.close()
        method_bar.close()
