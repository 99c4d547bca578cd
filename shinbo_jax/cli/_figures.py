"""PNG figures of a separation: spectrogram, W, H and envelope spectra."""

from __future__ import annotations

import io
import pathlib

import numpy as np

from shinbo_jax._pipeline import ENVSI_HARMONICS, Separation
from shinbo_jax.io import atomic_write_bytes
from shinbo_jax.metrics import envelope_spectrum

from ._report import METHOD_LABELS

#: File names of the figures, in the order they are written.
FIGURES = ("spectrogram.png", "w_columns.png", "h_rows.png", "envelope.png")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: pathlib.Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    _pyplot().close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def _spectrogram(plt, separation: Separation):
    fig, axis = plt.subplots(figsize=(8, 4))
    level = 10 * np.log10(np.maximum(separation.V, np.finfo(float).tiny))
    low, high = np.percentile(level, [5, 99.5])
    extent = (
        separation.times[0], separation.times[-1],
        separation.freqs[0], separation.freqs[-1],
    )  # fmt: skip
    image = axis.imshow(
        level, origin="lower", aspect="auto", extent=extent, vmin=low, vmax=high,
        cmap="magma",
    )  # fmt: skip
    fig.colorbar(image, ax=axis, label="power, dB re mean")
    axis.set(xlabel="time [s]", ylabel="frequency [Hz]", title="power spectrogram V")
    fig.tight_layout()
    return fig


def _w_columns(plt, separation: Separation, name: str):
    result = separation.methods[name]
    fig, axis = plt.subplots(figsize=(8, 3.5))
    for k in range(result.W.shape[1]):
        chosen = " (SOI)" if k == result.component else ""
        axis.semilogy(
            separation.freqs, result.W[:, k], lw=1.5 if chosen else 0.8,
            label=f"w_{k}{chosen}, λ = {result.lam[k]:.3g}",
        )  # fmt: skip
    axis.set(xlabel="frequency [Hz]", ylabel="w_k (unit ℓ1)")
    axis.set_title(f"{METHOD_LABELS[name]}: spectral profiles (columns of W)")
    axis.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _h_rows(plt, separation: Separation, name: str):
    result = separation.methods[name]
    rank = result.H.shape[0]
    fig, axes = plt.subplots(rank, 1, figsize=(8, 1.6 * rank + 1), sharex=True)
    axes = np.atleast_1d(axes)
    for k, axis in enumerate(axes):
        chosen = " (SOI)" if k == result.component else ""
        axis.plot(separation.times, result.H[k], lw=0.5)
        axis.set_ylabel(f"h_{k}{chosen}", fontsize=8)
    axes[0].set_title(f"{METHOD_LABELS[name]}: activations (rows of H)")
    axes[-1].set_xlabel("time [s]")
    fig.tight_layout()
    return fig


def _envelope(plt, separation: Separation, label: str):
    fault = separation.fault_freqs[label]
    top = min((ENVSI_HARMONICS + 0.5) * fault, separation.fs / 2)
    names = list(separation.methods)
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 2.2 * len(names) + 0.6))
    axes = np.atleast_1d(axes)
    for name, axis in zip(names, axes, strict=True):
        freqs, spectrum = envelope_spectrum(
            separation.methods[name].estimate, separation.fs, window="hann"
        )
        shown = (freqs > 0) & (freqs <= top)
        axis.plot(freqs[shown], spectrum[shown], lw=0.6)
        for harmonic in range(1, ENVSI_HARMONICS + 1):
            axis.axvline(harmonic * fault, color="tab:red", ls="--", lw=0.6)
        axis.set_ylabel("SES", fontsize=8)
        axis.set_title(
            f"{METHOD_LABELS[name]}: squared-envelope spectrum of the SOI estimate "
            f"({label} {fault:.2f} Hz and harmonics dashed)",
            fontsize=9,
        )
    axes[-1].set_xlabel("frequency [Hz]")
    fig.tight_layout()
    return fig


def write_figures(folder: pathlib.Path, separation: Separation, label: str) -> list:
    """Writes :data:`FIGURES` for SHINBO (W, H) and every method (envelope).

    Args:
        folder: Existing output folder.
        separation: The separation to draw.
        label: Fault-line label whose harmonics are marked.

    Returns:
        The paths written.
    """
    plt = _pyplot()
    figures = (
        _spectrogram(plt, separation),
        _w_columns(plt, separation, "shinbo"),
        _h_rows(plt, separation, "shinbo"),
        _envelope(plt, separation, label),
    )
    paths = []
    for name, fig in zip(FIGURES, figures, strict=True):
        _save(fig, folder / name)
        paths.append(folder / name)
    return paths
