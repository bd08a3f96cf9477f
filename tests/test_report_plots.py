"""The report plots: log-axis labels in plain Unicode text, and stable PNG bytes."""

from __future__ import annotations

import numpy as np

from verification.plots import _plain_text, error_distribution_png, errors_per_layer_png, heatmap_png


def test_log_labels_become_unicode_text() -> None:
    assert _plain_text(r"$\mathdefault{10^{-16}}$") == "10⁻¹⁶"
    assert _plain_text(r"$\mathdefault{10^{3}}$") == "10³"
    assert _plain_text(r"$\mathdefault{2\times10^{-5}}$") == "2×10⁻⁵"
    assert _plain_text(r"$\mathdefault{1}$") == "1"
    assert _plain_text(r"$\mathdefault{-10^{2}}$") == "−10²"
    assert "$" not in _plain_text(r"$\mathdefault{10^{-2.50}}$")


def test_plots_are_png_data_uris_with_stable_bytes() -> None:
    errors = {"reverse": [1e-16, 3e-16, 0.0], "forward": [2e-16], "finite_difference": [1e-9, 4e-8]}
    bounds = {"reverse": 1e-12, "forward": 1e-10, "finite_difference": 1e-6}
    first = error_distribution_png(errors, bounds, "title")
    assert first.startswith("data:image/png;base64,")
    assert error_distribution_png(errors, bounds, "title") == first
    layers = {"float64 reverse": {1: 1e-16, 2: 0.0}, "float32 forward": {1: 1e-7, 2: 3e-7}}
    assert errors_per_layer_png(layers, "layers", 1e-6) == errors_per_layer_png(layers, "layers", 1e-6)
    got = np.arange(6.0).reshape(2, 3)
    assert heatmap_png(got, got + 1e-3, "map").startswith("data:image/png;base64,")
    assert heatmap_png(got, got[:1], "shapes").startswith("data:image/png;base64,")
