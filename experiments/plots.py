"""Figures of the experiments: matplotlib (Agg), PNG bytes that are the same for the same numbers.

Every function takes an experiment's result and returns :class:`Figure` objects; the report embeds
them as data URIs in HTML and writes them next to the Markdown.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

import manualbp as mb

from .adversarial import AdversarialResult
from .common import ExperimentResult
from .initialization import InitializationResult
from .real_data import Comparison, RealDataResult
from .saturation import SaturationResult
from .symmetry import SymmetryResult

__all__ = ["Figure", "figures_for"]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
STYLE: dict[Any, Any] = {
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.fontsize": 8,
    "legend.framealpha": 0.8,
}


@dataclass(frozen=True)
class Figure:
    """One PNG: its file name (without extension), caption and bytes."""

    name: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _figure(name: str, caption: str, draw: Callable[[], Any]) -> Figure:
    with plt.rc_context(STYLE):
        return Figure(name, caption, _png(draw()))


def _costs(ax: Axes, curves: Sequence[tuple[str, np.ndarray]], title: str, log: bool = False) -> None:
    for k, (label, costs) in enumerate(curves):
        ax.plot(  # line styles differ too, so curves that coincide (stuck at log 2) stay visible
            np.arange(len(costs)),
            costs,
            color=COLORS[k % len(COLORS)],
            ls=("--", "-", "-.", ":")[k % 4] if len(curves) > 2 else "-",
            lw=2.4 if k == 0 else 1.6,
            label=label,
        )
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()


# --- 1. symmetry ---------------------------------------------------------------------------------


def symmetry_figures(result: SymmetryResult) -> list[Figure]:
    def draw() -> Any:
        arms = result.arms
        fig, axes = plt.subplots(1, len(arms) + 1, figsize=(4.2 * (len(arms) + 1), 3.6))
        for ax, arm in zip(axes, arms, strict=False):
            history = arm.W1_history
            steps = np.arange(history.shape[0])
            n1, n0 = history.shape[1:]
            for unit in range(n1):
                for feature in range(n0):
                    ax.plot(
                        steps,
                        history[:, unit, feature],
                        color=COLORS[unit % len(COLORS)],
                        ls=("-", "--", ":")[feature % 3],
                        lw=2.2 - 0.5 * unit if arm.symmetric else 1.4,
                        label=f"unit {unit + 1}" if feature == 0 else None,
                    )
            ax.set_title(f"W1 from {arm.name}: spread {arm.max_row_spread:.3g}")
            ax.set_xlabel("iteration")
            ax.set_ylabel("W1[k, j]  (solid j=1, dashed j=2)")
            ax.legend(loc="best")
        _costs(axes[-1], [(arm.name, arm.costs) for arm in arms], "cost")
        fig.tight_layout()
        return fig

    caption = (
        "Every entry of W1 over training, one colour per hidden unit (solid: weight on x1, dashed: on "
        "x2). From zeros and from a constant the coloured lines lie on top of each other for all of "
        "training; from small random weights they separate. Right: the cost of the three runs."
    )
    return [_figure("symmetry", caption, draw)]


# --- 2. saturation -------------------------------------------------------------------------------


def saturation_figures(result: SaturationResult) -> list[Figure]:
    activations, scales = result.activations, result.scales
    L = len(result.layer_dims) - 1

    def draw() -> Any:
        fig, axes = plt.subplots(1, 3, figsize=(15, 3.9))
        width = 0.8 / len(scales)
        x = np.arange(len(activations))
        for k, scale in enumerate(scales):
            fractions = [result.arm(a, scale).saturated_fraction for a in activations]
            axes[0].bar(x + k * width, fractions, width, color=COLORS[k], label=f"scale {scale:g}")
        axes[0].set_xticks(x + width * (len(scales) - 1) / 2, activations)
        axes[0].set_ylim(0, 1)
        axes[0].set_ylabel("fraction of hidden unit-examples")
        axes[0].set_title("saturated at initialisation (g'(Z) < 1 % of g'(0))")
        axes[0].legend()

        labels = [f"{a}\nlayer {l}" for a in activations for l in range(1, L + 1)]
        x = np.arange(len(labels))
        for k, scale in enumerate(scales):
            values = [result.arm(a, scale).relative_gradient_norms[l] for a in activations for l in range(L)]
            axes[1].bar(x + k * width, values, width, color=COLORS[k], label=f"scale {scale:g}")
        axes[1].set_xticks(x + width * (len(scales) - 1) / 2, labels)
        axes[1].set_yscale("log")
        axes[1].set_ylabel("‖dW[l]‖ / ‖W[l]‖")
        axes[1].set_title("gradient per layer, relative to the weights")
        axes[1].legend()

        for k, scale in enumerate(scales):
            for activation, ls in zip(activations, ("-", "--", ":"), strict=False):
                costs = result.arm(activation, scale).costs
                axes[2].plot(costs, color=COLORS[k], ls=ls, lw=1.5, label=f"{activation}, scale {scale:g}")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("iteration")
        axes[2].set_ylabel("cost J")
        axes[2].set_title("cost (solid sigmoid, dashed tanh)")
        axes[2].legend(ncol=2)
        fig.tight_layout()
        return fig

    caption = (
        "Left: share of (hidden unit, example) pairs whose slope g'(Z) is below 1 % of its maximum, at "
        "initialisation. Middle: ‖dW[l]‖/‖W[l]‖, the size of one gradient step relative to the weights "
        "it changes (log scale). Right: cost curves (log scale); at scale 10 the cost starts high and "
        "stays high."
    )
    return [_figure("saturation", caption, draw)]


# --- 3. initialisation ---------------------------------------------------------------------------


def initialization_figures(result: InitializationResult) -> list[Figure]:
    activations = result.activations
    L = len(result.layer_dims) - 1

    def draw() -> Any:
        fig, axes = plt.subplots(2, len(activations), figsize=(6.5 * len(activations), 7.2))
        for column, activation in enumerate(activations):
            top, bottom = axes[0, column], axes[1, column]
            arms = [a for a in result.arms if a.activation == activation]
            for k, arm in enumerate(arms):
                if np.any(arm.gradient_norms > 0):
                    top.plot(
                        np.arange(1, L + 1), arm.gradient_norms, "o-", color=COLORS[k], label=arm.label, ms=4
                    )
                else:
                    top.plot([], [], "o-", color=COLORS[k], label=f"{arm.label}: 0 in every layer")
            top.set_yscale("log")
            top.set_xlabel("layer l")
            top.set_ylabel("‖dW[l]‖ at iteration 0")
            top.set_title(f"deep {activation}: gradient norm per layer at the start")
            top.legend()
            _costs(bottom, [(arm.label, arm.costs) for arm in arms], f"deep {activation}: cost", log=True)
        fig.tight_layout()
        return fig

    caption = (
        f"Top: ‖dW[l]‖ for layers 1 to {L} at the first iteration (log scale; zeros give exactly 0, which "
        "a log axis cannot show). Bottom: the cost curves of the same runs."
    )
    return [_figure("initialization", caption, draw)]


# --- 4. real data --------------------------------------------------------------------------------


def _boundary(
    ax: Axes, comparison: Comparison, predict: Callable[[np.ndarray], np.ndarray], title: str
) -> None:
    split = comparison.split
    points = np.hstack([split.X_train, split.X_test])
    low, high = points.min(axis=1) - 0.3, points.max(axis=1) + 0.3
    xs, ys = np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300)
    gx, gy = np.meshgrid(xs, ys)
    labels = predict(np.stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    ax.contourf(gx, gy, labels, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fcbba1"], alpha=0.8)
    for X, Y, marker, name in (
        (split.X_train, split.Y_train, "o", "train"),
        (split.X_test, split.Y_test, "^", "test"),
    ):
        for label, color in ((0, COLORS[0]), (1, COLORS[1])):
            mask = Y.ravel() == label
            ax.scatter(
                X[0, mask],
                X[1, mask],
                s=12 if name == "train" else 22,
                marker=marker,
                c=color,
                edgecolors="k" if name == "test" else "none",
                linewidths=0.5,
                label=f"{name}, y = {label}",
            )
    ax.set_title(title)
    ax.set_xlabel("x1 (standardised)")
    ax.set_ylabel("x2 (standardised)")
    ax.grid(False)


def real_data_figures(result: RealDataResult) -> list[Figure]:
    def costs() -> Any:
        fig, axes = plt.subplots(1, len(result.comparisons), figsize=(6.2 * len(result.comparisons), 3.8))
        for ax, c in zip(axes, result.comparisons, strict=True):
            _costs(
                ax,
                [("manualbp", c.costs), ("scikit-learn MLPClassifier", c.sklearn_costs)],
                f"{c.dataset}: training cost ({list(c.layer_dims)}, {c.hidden_activation})",
                log=True,
            )
        fig.tight_layout()
        return fig

    flower = next(c for c in result.comparisons if c.split.X_train.shape[0] == 2)

    def boundaries() -> Any:
        fig, axes = plt.subplots(1, 2, figsize=(12.4, 5.2))

        def manual(points: np.ndarray) -> np.ndarray:
            return mb.predict(points, flower.parameters, flower.hidden_activation)

        def sklearn(points: np.ndarray) -> np.ndarray:
            return np.asarray(flower.sklearn_model.predict(points.T))

        _boundary(axes[0], flower, manual, f"manualbp: test accuracy {flower.test_accuracy:.3f}")
        _boundary(axes[1], flower, sklearn, f"scikit-learn: test accuracy {flower.sklearn_test_accuracy:.3f}")
        axes[0].legend(loc="lower left", ncol=2)
        fig.tight_layout()
        return fig

    return [
        _figure(
            "real_data_costs",
            "Cost against iteration for the same network trained with the same plain gradient descent by "
            "manualbp and by scikit-learn (log scale). They start from different random weights.",
            costs,
        ),
        _figure(
            "real_data_boundary",
            "The planar flower: decision regions of the trained networks (blue: predicts 0, red: "
            "predicts 1), training points as dots, test points as outlined triangles.",
            boundaries,
        ),
    ]


# --- 5. adversarial ------------------------------------------------------------------------------


def adversarial_figures(result: AdversarialResult) -> list[Figure]:
    def draw() -> Any:
        fig, axes = plt.subplots(1, 2, figsize=(12.4, 3.8))
        eps = result.epsilons
        axes[0].plot(eps, result.fgsm_accuracy, "o-", color=COLORS[1], label="x + ε sign(dA0)")
        axes[0].plot(eps, result.random_accuracy, "s--", color=COLORS[0], label="x + ε random signs")
        axes[0].set_ylim(0, 1.02)
        axes[0].set_xlabel("ε (standard deviations per feature)")
        axes[0].set_ylabel("test accuracy")
        axes[0].set_title(f"{result.dataset}: accuracy against ε")
        axes[0].legend()
        axes[1].plot(eps, result.fgsm_cost, "o-", color=COLORS[1])
        axes[1].set_yscale("log")
        axes[1].set_xlabel("ε")
        axes[1].set_ylabel("test cost J")
        axes[1].set_title("test cost on x + ε sign(dA0)")
        fig.tight_layout()
        return fig

    caption = (
        "Left: test accuracy when every feature of every test example moves by ε in the direction "
        "sign(dA0) that raises its loss (red), and by ε in random directions (blue). Right: the test "
        "cost on the attacked inputs."
    )
    digits = result.digits
    negative, positive = digits.classes

    def draw_digits() -> Any:
        k = len(digits.labels)
        fig = plt.figure(figsize=(12.4, 5.2))
        grid = fig.add_gridspec(2, k + 2, width_ratios=[2.6, 0.25] + [1] * k, hspace=0.35)
        ax = fig.add_subplot(grid[:, 0])
        ax.plot(digits.epsilons, digits.fgsm_accuracy, "o-", color=COLORS[1], label="clip(x + ε sign(dA0))")
        ax.plot(
            digits.epsilons, digits.random_accuracy, "s--", color=COLORS[0], label="clip(x + ε random signs)"
        )
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("ε (pixel intensity, pixels in [0, 1])")
        ax.set_ylabel("test accuracy")
        ax.set_title(f"digits {negative} against {positive}")
        ax.legend(loc="lower left")
        rows = (
            (digits.clean_images, digits.clean_probability, "clean"),
            (digits.adversarial_images, digits.adversarial_probability, f"ε = {digits.shown_epsilon:g}"),
        )
        for j in range(k):
            for row, (images, probability, tag) in enumerate(rows):
                image_ax = fig.add_subplot(grid[row, j + 2])
                image_ax.imshow(images[j], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
                guess = positive if probability[j] > 0.5 else negative
                color = "#16602e" if guess == digits.labels[j] else "#b91c1c"
                title = f"{tag}: says {guess}\nP({positive}) = {probability[j]:.2f}"
                image_ax.set_title(title, fontsize=8, color=color)
                image_ax.set_xticks([])
                image_ax.set_yticks([])
                image_ax.grid(False)
                for spine in image_ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color("#9aa3b2")
        fig.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.1)
        return fig

    digits_caption = (
        f"Left: test accuracy of the {negative}-against-{positive} network when every pixel moves by ε in "
        f"the direction sign(dA0) (red) or in random directions (blue), clipped to [0, 1]. Right: the first "
        f"correctly classified test images of each class (top) and the same images moved by "
        f"ε = {digits.shown_epsilon:g} along sign(dA0) (bottom); red titles are wrong answers."
    )
    return [_figure("adversarial", caption, draw), _figure("adversarial_digits", digits_caption, draw_digits)]


DRAWERS: dict[type, Callable[[Any], list[Figure]]] = {
    SymmetryResult: symmetry_figures,
    SaturationResult: saturation_figures,
    InitializationResult: initialization_figures,
    RealDataResult: real_data_figures,
    AdversarialResult: adversarial_figures,
}


def figures_for(result: ExperimentResult) -> list[Figure]:
    """The figures of one experiment's result."""
    return DRAWERS[type(result)](result)
