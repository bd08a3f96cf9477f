"""Experiment 2, saturation: large initial weights push sigmoid and tanh units into their flat tails.

With W[l] = randn × scale, Z[l] grows with the scale; where |Z| is large, g'(Z) ≈ 0, so
dZ[l] = dA[l] * g'(Z[l]) ≈ 0 and the weights feeding those units hardly move relative to their size.
We compare scale 0.01 (the course's choice) with 1 and 10 on a task whose hidden units must learn a
direction (a noisy half-space in 20 dimensions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import manualbp as mb

from .common import ExperimentResult, Table, fmt, generators, gradients, layer_norms, pct
from .datasets import noisy_halfspace

__all__ = ["SaturationArm", "SaturationResult", "run_saturation", "SATURATION_LEVEL"]

SATURATION_LEVEL = 0.01  # a unit is saturated on an example when g'(Z) < 1 % of g'(0), its maximum
SCALES = (0.01, 1.0, 10.0)
ACTIVATIONS = ("sigmoid", "tanh")


@dataclass(frozen=True, eq=False)
class SaturationArm:
    """One (activation, scale): what the hidden layers look like at the start, and how training went."""

    activation: str
    scale: float
    saturated_fraction: float  # over hidden units × examples, at initialisation
    mean_slope: float  # mean g'(Z) / g'(0) over hidden units × examples, at initialisation
    gradient_norms: np.ndarray  # ‖dW[l]‖ at initialisation, l = 1..L
    weight_norms: np.ndarray  # ‖W[l]‖ at initialisation
    costs: np.ndarray
    train_accuracy: float

    @property
    def relative_gradient_norms(self) -> np.ndarray:
        """‖dW[l]‖ / ‖W[l]‖: how far one step of size α moves W[l], relative to W[l] itself."""
        return self.gradient_norms / self.weight_norms


@dataclass(frozen=True, eq=False)
class SaturationResult(ExperimentResult):
    layer_dims: tuple[int, ...]
    learning_rate: float
    iterations: int
    examples: int
    arms: tuple[SaturationArm, ...]

    key = "saturation"
    title = "2. Saturation: why the random weights are small"
    claim = (
        "With sigmoid or tanh hidden units and large initial weights (scale 10 rather than 0.01), "
        "Z is large, g'(Z) is near zero for most units, and gradient descent learns slowly: "
        "after the same number of iterations the cost is higher."
    )

    def arm(self, activation: str, scale: float) -> SaturationArm:
        return next(a for a in self.arms if a.activation == activation and a.scale == scale)

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.activation for a in self.arms))

    @property
    def scales(self) -> tuple[float, ...]:
        return tuple(dict.fromkeys(a.scale for a in self.arms))

    def _contrast(self, activation: str) -> tuple[SaturationArm, SaturationArm]:
        return self.arm(activation, min(self.scales)), self.arm(activation, max(self.scales))

    @property
    def supported(self) -> bool:
        for activation in self.activations:
            small, large = self._contrast(activation)
            if not (
                large.saturated_fraction > 0.5 > small.saturated_fraction
                and large.costs[-1] > small.costs[-1]
            ):
                return False
        return True

    @property
    def verdict(self) -> str:
        sentences = []
        for activation in self.activations:
            small, large = self._contrast(activation)
            sentences.append(
                f"{activation}: at scale {large.scale:g}, {pct(large.saturated_fraction)} of hidden "
                f"unit-examples are saturated (mean g'(Z)/g'(0) = {fmt(large.mean_slope)}) against "
                f"{pct(small.saturated_fraction)} at scale {small.scale:g}; ‖dW1‖/‖W1‖ is "
                f"{fmt(large.relative_gradient_norms[0])} against {fmt(small.relative_gradient_norms[0])}, "
                f"and after {self.iterations} iterations the cost is {fmt(large.costs[-1])} against "
                f"{fmt(small.costs[-1])}."
            )
        return ("Supported. " if self.supported else "Not supported. ") + " ".join(sentences)

    @property
    def headline(self) -> str:
        parts = []
        for activation in self.activations:
            small, large = self._contrast(activation)
            parts.append(
                f"{activation}: saturated {pct(small.saturated_fraction)} → {pct(large.saturated_fraction)}, "
                f"final cost {fmt(small.costs[-1])} → {fmt(large.costs[-1])} (scale {small.scale:g} → "
                f"{large.scale:g})"
            )
        return "; ".join(parts)

    @property
    def setup(self) -> str:
        return (
            f"Noisy half-space in {self.layer_dims[0]} dimensions ({self.examples} points), network "
            f"{list(self.layer_dims)} with a sigmoid output, W[l] = randn × scale for every layer, "
            f"α = {self.learning_rate:g}, {self.iterations} iterations. A unit is saturated on an "
            f"example when g'(Z) < {SATURATION_LEVEL:g} × g'(0)."
        )

    def tables(self) -> list[Table]:
        L = len(self.layer_dims) - 1
        header = (
            "hidden g",
            "scale",
            "saturated",
            "mean g'(Z)/g'(0)",
            *(f"‖dW{l}‖" for l in range(1, L + 1)),
            *(f"‖dW{l}‖/‖W{l}‖" for l in range(1, L + 1)),
            "first cost",
            "final cost",
            "training accuracy",
        )
        rows = tuple(
            (
                arm.activation,
                f"{arm.scale:g}",
                pct(arm.saturated_fraction),
                fmt(arm.mean_slope),
                *(fmt(v) for v in arm.gradient_norms),
                *(fmt(v) for v in arm.relative_gradient_norms),
                fmt(arm.costs[0]),
                fmt(arm.costs[-1]),
                fmt(arm.train_accuracy),
            )
            for arm in self.arms
        )
        return [Table("Hidden layers at initialisation, and the cost after training", header, rows)]


def hidden_slopes(X: np.ndarray, parameters: dict[str, np.ndarray], activation: str) -> np.ndarray:
    """g'(Z[l]) / g'(0) for every hidden unit and example, all hidden layers flattened together."""
    _, caches = mb.model_forward(X, parameters, activation)
    derivative = mb.get_activation(activation).derivative
    peak = float(derivative(np.zeros(1))[0])
    return np.concatenate([derivative(cache.Z).ravel() / peak for cache in caches[:-1]])


def run_saturation(*, seed: int = 0, quick: bool = False) -> SaturationResult:
    """Train [20, 8, 1] with sigmoid and with tanh hidden units from W = randn × 0.01, × 1 and × 10."""
    m, iterations, rate = (300, 300, 0.5) if quick else (500, 1000, 0.5)
    dims = (20, 8, 1)
    data_rng, init_rng = generators(seed, 2)
    X, Y = noisy_halfspace(dims[0], m, rng=data_rng)
    base = mb.initialize_parameters(dims, "small_random", rng=init_rng, scale=1.0)  # randn, shared
    L = len(dims) - 1
    arms = []
    for activation in ACTIVATIONS:
        for scale in SCALES:
            parameters = {k: v * scale if k.startswith("W") else v.copy() for k, v in base.items()}
            slopes = hidden_slopes(X, parameters, activation)
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
                SaturationArm(
                    activation,
                    scale,
                    float(np.mean(slopes < SATURATION_LEVEL)),
                    float(slopes.mean()),
                    layer_norms(grads, "dW", L),
                    layer_norms(parameters, "W", L),
                    result.costs,
                    mb.accuracy(X, Y, result.parameters, activation),
                )
            )
    return SaturationResult(dims, rate, iterations, m, tuple(arms))
