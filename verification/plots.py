"""Plots of the reports, as self-contained ``data:image/png;base64,...`` URIs with stable bytes.

Matplotlib is driven through its object API on the Agg canvas (no display, no pyplot state), and
every PNG is saved without the metadata that changes between runs or versions ("Software").

They are drawn in one pass each, because ``manualbp verify`` waits for them: the plots of the
sweep have fixed margins instead of a layout engine (constrained layout draws every text twice),
and log axes are labelled ``10⁻¹⁶`` in plain Unicode text rather than mathtext, whose parser
would take most of the drawing time.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation, MaxNLocator

__all__ = ["heatmap_png", "error_distribution_png", "errors_per_layer_png", "figure_to_uri"]

_DPI = 96
_COLORS = {"reverse": "#1f77b4", "forward": "#2ca02c", "finite_difference": "#d62728"}
_FLOOR = 1e-20  # errors of exactly 0 are drawn at this floor on log axes
_SUPERSCRIPTS = str.maketrans("0123456789-−.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻·")
_MARGINS = {"left": 0.8, "right": 0.15, "bottom": 0.55, "top": 0.3}  # inches, for 10-point labels


def _plain_text(mathtext: str) -> str:
    """``$\\mathdefault{2\\times10^{-5}}$`` → ``2×10⁻⁵``: a log-axis label without mathtext."""
    text = mathtext.strip("$").replace("\\mathdefault{", "", 1)
    text = text[:-1] if text.endswith("}") else text
    text = text.replace("\\times", "×")
    text = re.sub(r"\^\{([^}]*)\}", lambda match: match.group(1).translate(_SUPERSCRIPTS), text)
    return text.replace("-", "−")


class _UnicodeLogFormatter(LogFormatterSciNotation):
    """Matplotlib's log-axis labels (same ticks labelled, same ``10ᵏ`` and ``a×10ᵏ`` forms) as plain
    text, so that drawing them needs no mathtext parsing."""

    def __call__(self, x: float, pos: Any = None) -> str:
        label = super().__call__(x, pos)
        return _plain_text(label) if label else label


def _log_scale(axes: Any, which: str) -> None:
    """Log scale on the ``which`` ("x" or "y") axis of ``axes``, labelled in Unicode text."""
    if which == "x":
        axes.set_xscale("log")
        axis = axes.xaxis
    else:
        axes.set_yscale("log")
        axis = axes.yaxis
    axis.set_major_formatter(_UnicodeLogFormatter())
    axis.set_minor_formatter(_UnicodeLogFormatter(labelOnlyBase=False))


def _sweep_figure(height: float) -> tuple[Figure, Any]:
    """A 6.4-inch-wide figure with one axes inside fixed margins (no layout engine)."""
    width = 6.4
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=_MARGINS["left"] / width,
        right=1 - _MARGINS["right"] / width,
        bottom=_MARGINS["bottom"] / height,
        top=1 - _MARGINS["top"] / height,
    )
    return figure, figure.add_subplot()


def figure_to_uri(figure: Figure) -> str:
    """PNG bytes of ``figure`` (no date, no software version) as a data URI."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap_png(got: np.ndarray, expected: np.ndarray, title: str) -> str:
    """Heat map of |got − expected| per entry (log colour scale), entries that differ most stand out.

    1-D or scalar inputs are drawn as one row; shapes must match (otherwise the two shapes are
    written on an empty figure).
    """
    got_arr = np.atleast_2d(np.asarray(got, dtype=np.float64))
    expected_arr = np.atleast_2d(np.asarray(expected, dtype=np.float64))
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = figure.add_subplot()
    if got_arr.shape != expected_arr.shape:
        axes.text(
            0.5,
            0.5,
            f"shape {got_arr.shape} against expected {expected_arr.shape}",
            ha="center",
            va="center",
        )
        axes.set_axis_off()
        axes.set_title(title)
        return figure_to_uri(figure)
    if got_arr.ndim > 2:
        got_arr = got_arr.reshape(got_arr.shape[0], -1)
        expected_arr = expected_arr.reshape(expected_arr.shape[0], -1)
    difference = np.abs(got_arr - expected_arr)
    difference = np.where(np.isfinite(difference), difference, np.nan)
    finite = difference[np.isfinite(difference)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    bottom = max(top * 1e-8, _FLOOR)
    image = axes.imshow(
        np.clip(difference, bottom, None),
        cmap="magma",
        norm=LogNorm(vmin=bottom, vmax=max(top, bottom * 10)),
        aspect="auto",
        interpolation="nearest",
    )
    colorbar = figure.colorbar(image, ax=axes)
    colorbar.set_label("|got − expected|")
    colorbar.ax.yaxis.set_major_formatter(_UnicodeLogFormatter())
    colorbar.ax.yaxis.set_minor_formatter(_UnicodeLogFormatter(labelOnlyBase=False))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("column (example j, or input unit for dW)")
    axes.set_ylabel("row (unit i)")
    axes.set_title(title, fontsize=10)
    return figure_to_uri(figure)


def error_distribution_png(
    errors: Mapping[str, Sequence[float]],
    tolerances: Mapping[str, float],
    title: str,
    xlabel: str = "relative difference ‖a−b‖/(‖a‖+‖b‖)   (dashed: bound)",
) -> str:
    """Per oracle, the distribution (log x axis) of an error measure over every gradient array,
    with the oracle's bound as a dashed line of the same colour. Zeros are drawn at the left edge."""
    figure, axes = _sweep_figure(3.4)
    values = [v for seq in errors.values() for v in seq if np.isfinite(v)]
    low = max(min([v for v in values if v > 0] + [1e-17]), _FLOOR)
    high = max([*values, *tolerances.values(), low * 10])
    bins = list(np.logspace(np.log10(low) - 0.5, np.log10(high) + 0.5, 60))
    for oracle, seq in errors.items():
        raw = np.asarray(list(seq), dtype=np.float64)
        data = np.clip(np.nan_to_num(raw, nan=high, posinf=high), low, high)  # inf/NaN at the right edge
        color = _COLORS.get(oracle, "black")
        axes.hist(data, bins=bins, histtype="step", linewidth=1.6, color=color, label=oracle)
        if oracle in tolerances:
            axes.axvline(tolerances[oracle], color=color, linestyle="--", linewidth=1.2)
    _log_scale(axes, "x")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("gradient arrays")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return figure_to_uri(figure)


def errors_per_layer_png(
    per_layer: Mapping[str, Mapping[int, float]], title: str, tolerance: float | None = None
) -> str:
    """Largest relative difference per layer index l (dW[l], db[l] and dA[l] pooled), one line
    per series (for example ``float64 reverse``), log y axis."""
    figure, axes = _sweep_figure(3.4)
    for label, values in per_layer.items():
        layers = sorted(values)
        data = [max(values[l], _FLOOR) for l in layers]
        oracle = label.split()[-1] if label.split() else label
        style = "-" if label.startswith("float64") else ":"
        axes.plot(layers, data, style, marker="o", color=_COLORS.get(oracle, "black"), label=label)
    if tolerance is not None:
        axes.axhline(tolerance, color="grey", linestyle="--", linewidth=1)
    _log_scale(axes, "y")
    axes.set_xlabel("layer l  (dW[l], db[l], dA[l])")
    axes.set_ylabel("largest relative difference")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, frameon=False, ncol=2)
    return figure_to_uri(figure)
