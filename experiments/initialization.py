"""Experiment 3, initialisation of deep networks: zeros, small random, He and Xavier.

In a deep network the backward pass multiplies by W[l]ᵀ and g'(Z[l]) once per layer, so the scale of
the initial weights decides whether ‖dW[l]‖ survives the trip down to layer 1: zeros give no
gradient at all, randn × 0.01 shrinks it geometrically, He (√(2/n[l-1]), for ReLU) and
Xavier (√(1/n[l-1]), for tanh) keep it of the same order in every layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import manualbp as mb

from .common import ExperimentResult, Table, fmt, generators, gradients, layer_norms
from .datasets import planar_flower

__all__ = ["InitializationArm", "InitializationResult", "run_initialization", "MATCHED"]

METHODS = ("zeros", "small_random", "he", "xavier")
MATCHED = {"relu": "he", "tanh": "xavier"}  # the initialisation designed for each activation
LABELS = {"zeros": "zeros", "small_random": "small random (×0.01)", "he": "He", "xavier": "Xavier"}
VANISHED = 1e-6  # a layer-1 gradient this many times smaller than the matched one has vanished
LEARNED = 0.5  # "learns": the final cost is below this fraction of the first cost


@dataclass(frozen=True, eq=False)
class InitializationArm:
    activation: str
    method: str
    gradient_norms: np.ndarray  # ‖dW[l]‖ at initialisation, l = 1..L
    costs: np.ndarray
    train_accuracy: float

    @property
    def label(self) -> str:
        return LABELS[self.method]

    @property
    def learned(self) -> bool:
        return bool(self.costs[-1] < LEARNED * self.costs[0])

    @property
    def layer_spread(self) -> float:
        """max_l ‖dW[l]‖ / min_l ‖dW[l]‖ (inf when some layer gets no gradient)."""
        low = float(self.gradient_norms.min())
        return float(self.gradient_norms.max()) / low if low > 0 else float("inf")


@dataclass(frozen=True, eq=False)
class InitializationResult(ExperimentResult):
    layer_dims: tuple[int, ...]
    learning_rate: float
    iterations: int
    examples: int
    arms: tuple[InitializationArm, ...]

    key = "initialization"
    title = "3. Initialisation of deep networks: zeros, small random, He, Xavier"
    claim = (
        "In a deep network, zero weights give no gradient to any hidden weight, and small random "
        "weights (× 0.01) shrink the activations on the way forward and the gradients on the way "
        "back by a factor of about 0.01·√n per layer, so ‖dW[l]‖ vanishes and neither learns; He "
        "initialisation for ReLU and Xavier for tanh keep ‖dW[l]‖ of the same order in every layer "
        "and the cost falls."
    )

    def arm(self, activation: str, method: str) -> InitializationArm:
        return next(a for a in self.arms if a.activation == activation and a.method == method)

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.activation for a in self.arms))

    def _supports(self, activation: str) -> bool:
        zeros = self.arm(activation, "zeros")
        small = self.arm(activation, "small_random")
        matched = self.arm(activation, MATCHED[activation])
        return (
            not np.any(zeros.gradient_norms[:-1])
            and small.gradient_norms[0] < VANISHED * matched.gradient_norms[0]
            and not zeros.learned
            and not small.learned
            and matched.learned
        )

    @property
    def supported(self) -> bool:
        return all(self._supports(activation) for activation in self.activations)

    @property
    def verdict(self) -> str:
        hidden = len(self.layer_dims) - 2
        sentences = []
        for activation in self.activations:
            zeros = self.arm(activation, "zeros")
            small = self.arm(activation, "small_random")
            matched = self.arm(activation, MATCHED[activation])
            sentences.append(
                f"Deep {activation} ({hidden} hidden layers): ‖dW1‖ at the start is "
                f"{fmt(zeros.gradient_norms[0])} from zeros, {fmt(small.gradient_norms[0])} from small "
                f"random and {fmt(matched.gradient_norms[0])} from {matched.label} (whose ‖dW[l]‖ stay "
                f"within a factor {fmt(matched.layer_spread)} across layers); the cost goes "
                f"{fmt(zeros.costs[0])} → {fmt(zeros.costs[-1])}, {fmt(small.costs[0])} → "
                f"{fmt(small.costs[-1])} and {fmt(matched.costs[0])} → {fmt(matched.costs[-1])}."
            )
            other = self.arm(activation, next(m for m in MATCHED.values() if m != MATCHED[activation]))
            if other.costs[-1] < matched.costs[-1]:
                sentences.append(
                    f"(On this run {other.label} reached a lower final cost than {matched.label} for "
                    f"{activation}: {fmt(other.costs[-1])} against {fmt(matched.costs[-1])}.)"
                )
        return ("Supported. " if self.supported else "Not supported. ") + " ".join(sentences)

    @property
    def headline(self) -> str:
        parts = []
        for activation in self.activations:
            cells = ", ".join(
                f"{arm.label} {fmt(arm.gradient_norms[0])}"
                for arm in self.arms
                if arm.activation == activation
            )
            parts.append(f"deep {activation} ‖dW1‖ at start: {cells}")
        return "; ".join(parts)

    @property
    def setup(self) -> str:
        hidden = len(self.layer_dims) - 2
        return (
            f"Planar flower ({self.examples} points, standardised), {hidden} hidden layers: network "
            f"{list(self.layer_dims)} with ReLU or tanh hidden units, α = {self.learning_rate:g}, "
            f"{self.iterations} iterations; gradients ‖dW[l]‖ (Frobenius) at iteration 0."
        )

    def tables(self) -> list[Table]:
        L = len(self.layer_dims) - 1
        shown = sorted({1, 2, L // 2, L - 1, L})
        header = (
            "hidden g",
            "initialisation",
            *(f"‖dW{l}‖" for l in shown),
            "max/min over layers",
            "first cost",
            "final cost",
            "training accuracy",
        )
        rows = tuple(
            (
                arm.activation,
                arm.label,
                *(fmt(arm.gradient_norms[l - 1]) for l in shown),
                fmt(arm.layer_spread),
                fmt(arm.costs[0]),
                fmt(arm.costs[-1]),
                fmt(arm.train_accuracy),
            )
            for arm in self.arms
        )
        return [Table("Gradient norms per layer at the start, and the cost after training", header, rows)]


def run_initialization(*, seed: int = 0, quick: bool = False) -> InitializationResult:
    """Train a deep ReLU and a deep tanh network from each of the four initialisations."""
    m, depth, iterations, rate = (200, 6, 300, 0.05) if quick else (400, 10, 1500, 0.05)
    dims = (2, *([16] * depth), 1)
    data_rng, init_rng = generators(seed, 2)
    init_seed = int(init_rng.integers(2**63))
    X, Y = planar_flower(m, rng=data_rng)
    X = X / X.std(axis=1, keepdims=True)
    L = len(dims) - 1
    arms = []
    for activation in MATCHED:
        for method in METHODS:
            # one seed per method, the same for both activations: He and Xavier draw the same randn
            parameters = mb.initialize_parameters(dims, method, rng=init_seed)
            grads = gradients(X, Y, parameters, activation)
            result = mb.train(
                X,
                Y,
                parameters=parameters,
                learning_rate=rate,
                num_iterations=iterations,
                hidden_activation=activation,
            )
            arms.append(
                InitializationArm(
                    activation,
                    method,
                    layer_norms(grads, "dW", L),
                    result.costs,
                    mb.accuracy(X, Y, result.parameters, activation),
                )
            )
    return InitializationResult(dims, rate, iterations, m, tuple(arms))
