"""Turning a separation into report dictionaries, JSON text and tables."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from shinbo_jax._pipeline import EnvelopeMetrics, Separation

#: Display names of the methods, in table order.
METHOD_LABELS = {
    "raw": "raw signal",
    "shinbo": "SHINBO",
    "mu": "MU (λ = 0)",
    "fixed": "fixed λ",
    "kurtogram": "kurtogram",
}


def json_safe(obj: Any) -> Any:
    """Converts NumPy values to plain types and non-finite floats to None."""
    if isinstance(obj, dict):
        return {str(key): json_safe(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(item) for item in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any) -> str:
    """JSON text (indent 2, sorted keys) with NaN and infinities as null."""
    return json.dumps(json_safe(obj), indent=2, sort_keys=True, allow_nan=False)


def metrics_dict(metrics: EnvelopeMetrics) -> dict[str, Any]:
    """The scores of one estimate at one fault line, as a report entry."""
    return {
        "envsi": metrics.envsi,
        "pmr": list(metrics.pmr),
        "pmr_peak_freqs_hz": list(metrics.peak_freqs),
        "pmr_null95": metrics.pmr_null95,
    }


def methods_dict(separation: Separation, label: str) -> dict[str, Any]:
    """Per-method report entries (scores at fault line ``label``, run data)."""
    entries = {}
    for name, result in separation.methods.items():
        entry = metrics_dict(result.metrics[label])
        entry["seconds"] = result.seconds
        if result.component is not None:
            entry["component"] = result.component
            entry["selection_scores"] = result.selection_scores
            entry["lam"] = result.lam
        if result.band is not None:
            entry["band_hz"] = list(result.band)
        entries[name] = entry
    return entries


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-style markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def score_row(name: str, metrics: EnvelopeMetrics, extra: Sequence[str]) -> list[str]:
    """One table row: method, ENVSI, PMR k = 1..3, null level, then ``extra``."""
    pmr = [_number(value) for value in metrics.pmr]
    return [
        METHOD_LABELS.get(name, name),
        _number(metrics.envsi),
        *pmr,
        _number(metrics.pmr_null95),
        *extra,
    ]


SCORE_HEADER = ["signal", "ENVSI", "PMR k=1", "PMR k=2", "PMR k=3", "PMR null 95 %"]


def summary_table(separation: Separation, label: str) -> str:
    """Scores of the raw signal and of each method at fault line ``label``."""
    rows = [score_row("raw", separation.raw[label], ["–", "–"])]
    for name, result in separation.methods.items():
        component = "–" if result.component is None else str(result.component)
        if result.band is not None:
            component = f"band {result.band[0]:.0f}–{result.band[1]:.0f} Hz"
        extra = [component, f"{result.seconds:.1f}"]
        rows.append(score_row(name, result.metrics[label], extra))
    return markdown_table([*SCORE_HEADER, "component", "time [s]"], rows)


def format_number(value: float | None, digits: int = 3) -> str:
    """A number for a table cell; NaN and None as an en dash."""
    return _number(value, digits)
