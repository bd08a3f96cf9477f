"""Plots of the reports, as self-contained ``data:image/png;base64,...`` URIs with stable bytes.

Matplotlib is driven through its object API on the Agg canvas (no display, no pyplot state), and
every PNG is saved without the metadata that changes between runs or versions ("Software").
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["heatmap_png", "error_distribution_png", "errors_per_layer_png", "figure_to_uri"]

_DPI = 96
_COLORS = {"reverse": "#1f77b4", "forward": "#2ca02c", "finite_difference": "#d62728"}
_FLOOR = 1e-20  # errors of exactly 0 are drawn at this floor on log axes


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
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
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
    axes.set_xscale("log")
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
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
    for label, values in per_layer.items():
        layers = sorted(values)
        data = [max(values[l], _FLOOR) for l in layers]
        oracle = label.split()[-1] if label.split() else label
        style = "-" if label.startswith("float64") else ":"
        axes.plot(layers, data, style, marker="o", color=_COLORS.get(oracle, "black"), label=label)
    if tolerance is not None:
        axes.axhline(tolerance, color="grey", linestyle="--", linewidth=1)
    axes.set_yscale("log")
    axes.set_xlabel("layer l  (dW[l], db[l], dA[l])")
    axes.set_ylabel("largest relative difference")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, frameon=False, ncol=2)
    return figure_to_uri(figure)
