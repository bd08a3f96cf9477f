"""Experiment 4, real data: manualbp's gradient descent against scikit-learn's MLPClassifier.

Two data sets that ship inside scikit-learn or are generated here (nothing is downloaded):
Wisconsin breast cancer (30 features) and the course's planar flower (2-D, decision boundary drawn).
Each is split into train and test parts (stratified), features standardised with the training
statistics, and the same network is trained twice with plain full-batch gradient descent: by
manualbp, and by ``MLPClassifier(solver="sgd", batch_size=m, momentum=0, alpha=0, ...)``. The two
start from different random weights (He against scikit-learn's Glorot), so they agree closely but
not exactly. scikit-learn's binary loss is the same cross-entropy averaged over m, so the cost
curves are comparable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

import manualbp as mb

from .common import ExperimentResult, Table, fmt, generators
from .datasets import Split, breast_cancer, import_sklearn, planar_flower, split_and_standardize

__all__ = ["Comparison", "RealDataResult", "run_real_data", "fit_sklearn_mlp"]

INIT_LABELS = {"he": "He", "xavier": "Xavier"}
MIN_TEST_ACCURACY = 0.9  # on breast cancer
MAX_ACCURACY_GAP = 0.05  # manualbp and scikit-learn test accuracies within 5 points
MAX_COST_GAP = 0.05  # final training costs within 0.05 (they start from different weights near log 2)


@dataclass(frozen=True, eq=False)
class Comparison:
    """One data set, one network, trained by manualbp and by scikit-learn."""

    dataset: str
    layer_dims: tuple[int, ...]
    hidden_activation: str
    initialization: str
    learning_rate: float
    iterations: int
    split: Split
    parameters: dict[str, np.ndarray]  # manualbp's trained network
    costs: np.ndarray
    train_accuracy: float
    test_accuracy: float
    sklearn_model: Any  # the fitted MLPClassifier
    sklearn_costs: np.ndarray
    sklearn_train_accuracy: float
    sklearn_test_accuracy: float

    @property
    def accuracy_gap(self) -> float:
        return abs(self.test_accuracy - self.sklearn_test_accuracy)

    @property
    def cost_gap(self) -> float:
        """|J(manualbp) - J(scikit-learn)| after the last iteration."""
        return abs(float(self.costs[-1]) - float(self.sklearn_costs[-1]))

    @property
    def matches_sklearn(self) -> bool:
        return self.accuracy_gap <= MAX_ACCURACY_GAP and self.cost_gap <= MAX_COST_GAP


@dataclass(frozen=True, eq=False)
class RealDataResult(ExperimentResult):
    comparisons: tuple[Comparison, ...]  # breast cancer first, then the flower

    key = "real_data"
    title = "4. Real data: manualbp against scikit-learn"
    claim = (
        f"An L-layer network trained by manualbp's batch gradient descent learns real data (test "
        f"accuracy above {MIN_TEST_ACCURACY:g} on breast cancer) and matches scikit-learn's "
        f"MLPClassifier configured as the same network and the same plain gradient descent: test "
        f"accuracies within {MAX_ACCURACY_GAP * 100:g} points and final training costs within "
        f"{MAX_COST_GAP:g} of each other (they start from different random weights)."
    )

    @property
    def cancer(self) -> Comparison:
        return self.comparisons[0]

    @property
    def supported(self) -> bool:
        return self.cancer.test_accuracy > MIN_TEST_ACCURACY and all(
            c.matches_sklearn for c in self.comparisons
        )

    @property
    def verdict(self) -> str:
        sentences = [
            f"{c.dataset}: test accuracy {fmt(c.test_accuracy)} (manualbp) against "
            f"{fmt(c.sklearn_test_accuracy)} (scikit-learn), final training cost {fmt(c.costs[-1])} "
            f"against {fmt(c.sklearn_costs[-1])}."
            for c in self.comparisons
        ]
        return ("Supported. " if self.supported else "Not supported. ") + " ".join(sentences)

    @property
    def headline(self) -> str:
        return "; ".join(
            f"{c.dataset} test accuracy manualbp {fmt(c.test_accuracy)} vs scikit-learn "
            f"{fmt(c.sklearn_test_accuracy)}"
            for c in self.comparisons
        )

    @property
    def setup(self) -> str:
        parts = [
            f"{c.dataset}: {c.split.X_train.shape[1]} training and {c.split.X_test.shape[1]} test "
            f"examples, network {list(c.layer_dims)} ({c.hidden_activation}, {INIT_LABELS[c.initialization]} "
            f"initialisation in manualbp), α = {c.learning_rate:g}, {c.iterations} iterations"
            for c in self.comparisons
        ]
        return (
            "; ".join(parts) + ". scikit-learn: MLPClassifier(solver='sgd', batch_size=m, momentum=0, "
            "learning_rate='constant', alpha=0, same α, hidden sizes, activation and iterations, no "
            "early stopping). Features standardised with the training mean and deviation."
        )

    def tables(self) -> list[Table]:
        rows = []
        for c in self.comparisons:
            rows.append(
                (
                    c.dataset,
                    "manualbp",
                    fmt(c.costs[0]),
                    fmt(c.costs[-1]),
                    fmt(c.train_accuracy),
                    fmt(c.test_accuracy),
                )
            )
            rows.append(
                (
                    c.dataset,
                    "scikit-learn MLPClassifier",
                    fmt(c.sklearn_costs[0]),
                    fmt(c.sklearn_costs[-1]),
                    fmt(c.sklearn_train_accuracy),
                    fmt(c.sklearn_test_accuracy),
                )
            )
        header = ("data set", "trained by", "first cost", "final cost", "train accuracy", "test accuracy")
        return [Table("Same network, same plain gradient descent", header, tuple(rows))]


def fit_sklearn_mlp(
    split: Split,
    layer_dims: tuple[int, ...],
    hidden_activation: str,
    learning_rate: float,
    iterations: int,
    seed: int,
) -> Any:
    """MLPClassifier configured as manualbp's network and optimiser: full batch, no momentum, no L2."""
    import_sklearn()
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=tuple(layer_dims[1:-1]),
        activation=hidden_activation,
        solver="sgd",
        alpha=0.0,
        batch_size=split.X_train.shape[1],
        learning_rate="constant",
        learning_rate_init=learning_rate,
        max_iter=iterations,
        shuffle=False,
        random_state=seed,
        tol=0.0,
        momentum=0.0,
        nesterovs_momentum=False,
        early_stopping=False,
        n_iter_no_change=iterations + 1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it runs all iterations, by design
        model.fit(split.X_train.T, split.Y_train.ravel().astype(int))
    return model


def compare(
    dataset: str,
    split: Split,
    layer_dims: tuple[int, ...],
    hidden_activation: str,
    learning_rate: float,
    iterations: int,
    init_rng: np.random.Generator,
    sklearn_seed: int,
) -> Comparison:
    initialization = "he" if hidden_activation == "relu" else "xavier"
    result = mb.train(
        split.X_train,
        split.Y_train,
        layer_dims,
        learning_rate=learning_rate,
        num_iterations=iterations,
        hidden_activation=hidden_activation,
        initialization=initialization,
        rng=init_rng,
    )
    model = fit_sklearn_mlp(split, layer_dims, hidden_activation, learning_rate, iterations, sklearn_seed)

    def sk_accuracy(X: np.ndarray, Y: np.ndarray) -> float:
        return float(np.mean(model.predict(X.T) == Y.ravel()))

    return Comparison(
        dataset,
        layer_dims,
        hidden_activation,
        initialization,
        learning_rate,
        iterations,
        split,
        result.parameters,
        result.costs,
        mb.accuracy(split.X_train, split.Y_train, result.parameters, hidden_activation),
        mb.accuracy(split.X_test, split.Y_test, result.parameters, hidden_activation),
        model,
        np.asarray(model.loss_curve_, dtype=np.float64),
        sk_accuracy(split.X_train, split.Y_train),
        sk_accuracy(split.X_test, split.Y_test),
    )


def run_real_data(*, seed: int = 0, quick: bool = False) -> RealDataResult:
    """Breast cancer with [30, 16, 8, 1] ReLU, and the flower with [2, 8, 1] tanh, in both libraries."""
    import_sklearn()
    cancer_iterations, flower_iterations, flower_m = (300, 1000, 300) if quick else (1000, 5000, 400)
    flower_rng, cancer_init, flower_init = generators(seed, 3)
    X, Y, names = breast_cancer()
    cancer = split_and_standardize(X, Y, test_fraction=0.3, seed=seed, feature_names=names)
    X, Y = planar_flower(flower_m, rng=flower_rng)
    flower = split_and_standardize(X, Y, test_fraction=0.3, seed=seed, feature_names=("x1", "x2"))
    return RealDataResult(
        (
            compare(
                "breast cancer", cancer, (30, 16, 8, 1), "relu", 0.1, cancer_iterations, cancer_init, seed
            ),
            compare("planar flower", flower, (2, 8, 1), "tanh", 0.5, flower_iterations, flower_init, seed),
        )
    )
