"""Experiment 1, symmetry: identical initial weights give identical hidden units for all of training.

With W[l] = 0 (or any constant) every hidden unit of a layer computes the same Z, gets the same
dZ, hence the same row of dW1: the rows of W1 start equal and stay equal, so n[1] units are one.
A small random W1 breaks the tie. Course setting: the planar flower, one tanh hidden layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

import manualbp as mb

from .common import ExperimentResult, Table, fmt, generators, join_words
from .datasets import planar_flower

__all__ = ["SymmetryArm", "SymmetryResult", "run_symmetry", "EQUAL_ROWS_TOLERANCE"]

EQUAL_ROWS_TOLERANCE = 1e-12  # rows of W1 "equal": max |W1[i, :] - W1[0, :]| below this
DISTINCT_ROWS_MINIMUM = 1e-3  # rows "differ": the closest two rows at the end at least this far apart


@dataclass(frozen=True, eq=False)
class SymmetryArm:
    """One initialisation: W1 at every iteration (before its update) and the cost curve."""

    name: str
    description: str
    W1_history: np.ndarray  # (iterations, n[1], n[0])
    costs: np.ndarray
    train_accuracy: float

    @property
    def max_row_spread(self) -> float:
        """max over iterations i and units k of |W1[k, :] - W1[0, :]| (0 when all rows are equal)."""
        return float(np.abs(self.W1_history - self.W1_history[:, :1, :]).max())

    @property
    def final_min_row_distance(self) -> float:
        """Euclidean distance between the two closest rows of W1 at the last iteration."""
        W1 = self.W1_history[-1]
        return min(float(np.linalg.norm(W1[i] - W1[j])) for i, j in combinations(range(W1.shape[0]), 2))

    @property
    def symmetric(self) -> bool:
        return self.max_row_spread <= EQUAL_ROWS_TOLERANCE


@dataclass(frozen=True, eq=False)
class SymmetryResult(ExperimentResult):
    layer_dims: tuple[int, ...]
    hidden_activation: str
    learning_rate: float
    iterations: int
    examples: int
    arms: tuple[SymmetryArm, ...]  # the symmetric starts first, small random last

    key = "symmetry"
    title = "1. Symmetry: why weights are not initialised to zero"
    claim = (
        "With all weights zero (or all equal), every hidden unit computes the same function and "
        "gets the same update, for the whole of training: the rows of W1 stay equal. With small "
        "random weights the units differ and the network learns more."
    )

    @property
    def symmetric_arms(self) -> tuple[SymmetryArm, ...]:
        return self.arms[:-1]

    @property
    def random_arm(self) -> SymmetryArm:
        return self.arms[-1]

    @property
    def supported(self) -> bool:
        random = self.random_arm
        return (
            all(arm.symmetric for arm in self.symmetric_arms)
            and random.final_min_row_distance > DISTINCT_ROWS_MINIMUM
            and all(random.costs[-1] < arm.costs[-1] for arm in self.symmetric_arms)
        )

    @property
    def verdict(self) -> str:
        spreads = join_words([f"{fmt(arm.max_row_spread)} ({arm.name})" for arm in self.symmetric_arms])
        costs = join_words([f"{fmt(arm.costs[-1])} ({arm.name})" for arm in self.symmetric_arms])
        random = self.random_arm
        n1 = self.layer_dims[1]
        first = (
            f"From equal weights the rows of W1 differed by at most {spreads} over "
            f"{self.iterations} iterations (equal means ≤ {EQUAL_ROWS_TOLERANCE:g}), so the {n1} hidden "
            f"units stayed one unit; final cost {costs}."
        )
        second = (
            f"With small random initialisation the two closest rows of W1 ended "
            f"{fmt(random.final_min_row_distance)} apart and the cost fell to {fmt(random.costs[-1])}."
        )
        return ("Supported. " if self.supported else "Not supported. ") + first + " " + second

    @property
    def headline(self) -> str:
        parts = [
            f"{arm.name}: W1 row spread {fmt(arm.max_row_spread)}, final cost {fmt(arm.costs[-1])}"
            for arm in self.arms
        ]
        return "; ".join(parts)

    @property
    def setup(self) -> str:
        return (
            f"Planar flower ({self.examples} points), network {list(self.layer_dims)} with "
            f"{self.hidden_activation} hidden units and a sigmoid output, batch gradient descent, "
            f"α = {self.learning_rate:g}, {self.iterations} iterations."
        )

    def tables(self) -> list[Table]:
        rows = tuple(
            (
                arm.name,
                arm.description,
                fmt(arm.max_row_spread),
                fmt(arm.final_min_row_distance),
                fmt(arm.costs[-1]),
                fmt(arm.train_accuracy),
            )
            for arm in self.arms
        )
        return [
            Table(
                "Rows of W1 over training",
                (
                    "start",
                    "W[l] at iteration 0",
                    "max row spread (all iterations)",
                    "closest rows at the end",
                    "final cost",
                    "training accuracy",
                ),
                rows,
            )
        ]


def run_symmetry(*, seed: int = 0, quick: bool = False) -> SymmetryResult:
    """Train the flower network from zeros, from a constant and from small random weights."""
    m, iterations, rate = (200, 300, 1.2) if quick else (400, 2000, 1.2)
    dims = (2, 4, 1)
    activation = "tanh"
    data_rng, init_rng = generators(seed, 2)
    X, Y = planar_flower(m, rng=data_rng)
    constant = 0.5
    zeros = mb.initialize_parameters(dims, "zeros")
    starts = [
        ("zeros", "W[l] = 0", zeros),
        (
            "constant",
            f"W[l] = {constant:g} everywhere",
            {k: np.full_like(v, constant) if k.startswith("W") else v for k, v in zeros.items()},
        ),
        ("small random", "W[l] = randn × 0.01", mb.initialize_parameters(dims, "small_random", rng=init_rng)),
    ]
    arms = []
    for name, description, parameters in starts:
        history = np.empty((iterations, dims[1], dims[0]))

        def record(progress: mb.Progress, history: np.ndarray = history) -> None:
            history[progress.iteration] = progress.parameters["W1"]

        result = mb.train(
            X,
            Y,
            parameters=parameters,
            learning_rate=rate,
            num_iterations=iterations,
            hidden_activation=activation,
            callback=record,
        )
        arms.append(
            SymmetryArm(
                name,
                description,
                history,
                result.costs,
                mb.accuracy(X, Y, result.parameters, activation),
            )
        )
    return SymmetryResult(dims, activation, rate, iterations, X.shape[1], tuple(arms))
