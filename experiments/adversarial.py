"""Experiment 5, the input gradient: dA0 = m ∂J/∂X, and the fast-gradient-sign adversarial example.

Column i of dA0 is ∂𝓛(i)/∂x(i), the gradient of example i's own loss with respect to its input.
Moving every feature by ε in the direction that raises the loss, x + ε·sign(dA0), is the fast
gradient sign method (FGSM): the smallest step in the max-norm that does the most harm to a
network that is locally linear. A random sign pattern of the same size is the control: it shows
that the harm comes from the direction dA0 gives, not from the size of the change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import manualbp as mb

from .common import ExperimentResult, Table, fmt, generators
from .datasets import digits_pair, split_and_standardize
from .real_data import Comparison, run_real_data

__all__ = [
    "AdversarialResult",
    "DigitsAttack",
    "run_adversarial",
    "run_digits_attack",
    "attack_direction",
    "fgsm",
    "input_gradient_check",
]

EPSILONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
QUICK_EPSILONS = (0.0, 0.1, 0.3, 1.0)
GRADIENT_CHECK_TOLERANCE = 1e-6  # relative error of dA0 / m against central differences of J
MONOTONE_SLACK = 0.02  # "non-increasing": no rise larger than this between consecutive ε


def attack_direction(
    X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray], hidden: str
) -> np.ndarray:
    """sign(dA0): for every feature of every example, the direction that raises that example's loss."""
    AL, caches = mb.model_forward(X, parameters, hidden)
    return np.sign(mb.model_backward(AL, Y, caches, hidden)["dA0"])


def fgsm(
    X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray], hidden: str, epsilon: float
) -> np.ndarray:
    """X + ε·sign(dA0): every feature of every example moved by ε towards a larger loss."""
    return X + epsilon * attack_direction(X, Y, parameters, hidden)


def input_gradient_check(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: dict[str, np.ndarray],
    hidden: str,
    examples: int = 5,
    h: float = 1e-6,
) -> float:
    """The course's relative difference ‖a - n‖ / (‖a‖ + ‖n‖) between a = dA0 / m and n, the central
    differences (J(X + h e_ij) - J(X - h e_ij)) / 2h, over every feature of the ``examples`` test
    examples with the largest loss (where ∂J/∂X is large enough to be measured by differences of J).
    """
    AL, caches = mb.model_forward(X, parameters, hidden)
    dA0 = mb.model_backward(AL, Y, caches, hidden)["dA0"]
    m = X.shape[1]
    ZL = caches[-1].Z
    loss = (np.maximum(ZL, 0) - Y * ZL + np.log1p(np.exp(-np.abs(ZL)))).sum(axis=0)  # 𝓛 from Z[L]

    def cost(Xp: np.ndarray) -> float:
        return mb.compute_cost_from_logits(mb.model_forward(Xp, parameters, hidden)[1][-1].Z, Y)

    analytic, numeric = [], []
    for j in np.argsort(-loss, kind="stable")[:examples]:
        for i in range(X.shape[0]):
            plus, minus = X.copy(), X.copy()
            plus[i, j] += h
            minus[i, j] -= h
            numeric.append((cost(plus) - cost(minus)) / (2 * h))
            analytic.append(dA0[i, j] / m)
    a, n = np.array(analytic), np.array(numeric)
    return float(np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)))


@dataclass(frozen=True, eq=False)
class DigitsAttack:
    """FGSM on images: a [64, 32, 1] network telling two handwritten digits apart, pixels in [0, 1]."""

    classes: tuple[int, int]  # (label 0, label 1)
    layer_dims: tuple[int, ...]
    test_examples: int
    epsilons: np.ndarray
    fgsm_accuracy: np.ndarray  # on clip(x + ε sign(dA0), 0, 1)
    random_accuracy: np.ndarray  # on clip(x + ε random signs, 0, 1)
    shown_epsilon: float
    clean_images: np.ndarray  # (k, 8, 8): the first correctly classified test images of each class
    adversarial_images: np.ndarray  # (k, 8, 8) at shown_epsilon
    labels: np.ndarray  # (k,) true digit
    clean_probability: np.ndarray  # (k,) A[L] = P(second class) on the clean image
    adversarial_probability: np.ndarray  # (k,) on the attacked image

    @property
    def shown_index(self) -> int:
        return int(np.argmin(np.abs(self.epsilons - self.shown_epsilon)))

    @property
    def fooled(self) -> bool:
        k = self.shown_index
        return bool(
            self.fgsm_accuracy[k] < self.fgsm_accuracy[0] and self.fgsm_accuracy[k] < self.random_accuracy[k]
        )


@dataclass(frozen=True, eq=False)
class AdversarialResult(ExperimentResult):
    dataset: str
    layer_dims: tuple[int, ...]
    test_examples: int
    epsilons: np.ndarray
    fgsm_accuracy: np.ndarray  # test accuracy on x + ε sign(dA0)
    random_accuracy: np.ndarray  # test accuracy on x + ε × random signs
    fgsm_cost: np.ndarray  # test cost on the adversarial inputs
    gradient_check_error: float
    digits: DigitsAttack

    key = "adversarial"
    title = "5. The input gradient dA0 and the adversarial example"
    claim = (
        "dA0 = m ∂J/∂X is the gradient of the loss with respect to the input. Moving each test "
        "example by ε·sign(dA0) (the fast gradient sign method) lowers the trained network's accuracy "
        "below its clean accuracy for every ε > 0, more as ε grows, and far more than random signs "
        "of the same size: a network can be fooled by small, targeted changes to its input."
    )

    @property
    def clean_accuracy(self) -> float:
        return float(self.fgsm_accuracy[0])

    @property
    def supported(self) -> bool:
        attacked = self.fgsm_accuracy[1:]
        return bool(
            self.gradient_check_error < GRADIENT_CHECK_TOLERANCE
            and np.all(attacked < self.clean_accuracy)
            and np.all(np.diff(self.fgsm_accuracy) <= MONOTONE_SLACK)
            and self.fgsm_accuracy[-1] < self.random_accuracy[-1]
            and self.digits.fooled
        )

    def _at(self, epsilon: float) -> int:
        return int(np.argmin(np.abs(self.epsilons - epsilon)))

    @property
    def verdict(self) -> str:
        k = len(self.epsilons) - 1
        mid = self._at(0.3)
        first = (
            f"dA0 / m agrees with central differences of J to {fmt(self.gradient_check_error, 2)} "
            f"(relative). Test accuracy is {fmt(self.clean_accuracy)} clean, "
            f"{fmt(self.fgsm_accuracy[mid])} at ε = {self.epsilons[mid]:g} and "
            f"{fmt(self.fgsm_accuracy[k])} at ε = {self.epsilons[k]:g} (standard deviations of each "
            f"feature); random signs of the same size give {fmt(self.random_accuracy[mid])} and "
            f"{fmt(self.random_accuracy[k])}."
        )
        d, k = self.digits, self.digits.shown_index
        first += (
            f" On {d.classes[0]}-against-{d.classes[1]} digit images (pixels in [0, 1]) a change of "
            f"{d.shown_epsilon:g} per pixel takes test accuracy from {fmt(d.fgsm_accuracy[0])} to "
            f"{fmt(d.fgsm_accuracy[k])} (random signs: {fmt(d.random_accuracy[k])})."
        )
        rises = np.diff(self.fgsm_accuracy)
        if np.any(rises > MONOTONE_SLACK):
            first += f" The accuracy rose by {fmt(float(rises.max()))} between two consecutive ε."
        return ("Supported. " if self.supported else "Not supported. ") + first

    @property
    def headline(self) -> str:
        k = len(self.epsilons) - 1
        mid = self._at(0.3)
        return (
            f"test accuracy {fmt(self.clean_accuracy)} clean → {fmt(self.fgsm_accuracy[mid])} at "
            f"ε = {self.epsilons[mid]:g} → {fmt(self.fgsm_accuracy[k])} at ε = {self.epsilons[k]:g} "
            f"(random signs: {fmt(self.random_accuracy[k])}); digits {fmt(self.digits.fgsm_accuracy[0])} → "
            f"{fmt(self.digits.fgsm_accuracy[self.digits.shown_index])} at ε = {self.digits.shown_epsilon:g}"
        )

    @property
    def setup(self) -> str:
        return (
            f"The {self.dataset} network of experiment 4 ({list(self.layer_dims)}), its "
            f"{self.test_examples} test examples (standardised features, so ε is in standard "
            f"deviations), ε ∈ {{{', '.join(f'{e:g}' for e in self.epsilons)}}}; dA0 from "
            f"model_backward with the true labels; dA0 checked against central differences of J "
            f"(h = 1e-6) on every feature of the 5 test examples with the largest loss. Digits: "
            f"{self.digits.classes[0]} against {self.digits.classes[1]} from scikit-learn's 8×8 digits, "
            f"network {list(self.digits.layer_dims)} (ReLU, He), {self.digits.test_examples} test images, "
            f"attacked images clipped to [0, 1]."
        )

    def tables(self) -> list[Table]:
        rows = tuple(
            (f"{e:g}", fmt(a), fmt(r), fmt(c))
            for e, a, r, c in zip(
                self.epsilons, self.fgsm_accuracy, self.random_accuracy, self.fgsm_cost, strict=True
            )
        )
        header = ("ε", "accuracy, x + ε sign(dA0)", "accuracy, x + ε random signs", "cost, x + ε sign(dA0)")
        d = self.digits
        digit_rows = tuple(
            (f"{e:g}", fmt(a), fmt(r))
            for e, a, r in zip(d.epsilons, d.fgsm_accuracy, d.random_accuracy, strict=True)
        )
        return [
            Table(f"{self.dataset}: test accuracy against the size of the change", header, rows),
            Table(
                f"Digits {d.classes[0]} against {d.classes[1]}: test accuracy against ε (pixel units)",
                ("ε", "accuracy, clip(x + ε sign(dA0))", "accuracy, clip(x + ε random signs)"),
                digit_rows,
            ),
        ]


def run_digits_attack(*, seed: int = 0, quick: bool = False) -> DigitsAttack:
    """Train [64, 32, 1] on 3 against 8, then attack its test images with clipped FGSM."""
    classes, dims, shown, per_class = (3, 8), (64, 32, 1), 0.2, 2
    iterations = 200 if quick else 500
    init_rng, noise_rng = generators(seed + 2, 2)
    X, Y, names = digits_pair(*classes)
    split = split_and_standardize(X, Y, test_fraction=0.3, seed=seed, feature_names=names, standardize=False)
    trained = mb.train(
        split.X_train, split.Y_train, dims, learning_rate=0.5, num_iterations=iterations, rng=init_rng
    )
    parameters = trained.parameters
    X, Y = split.X_test, split.Y_test
    epsilons = np.array((0.0, 0.05, 0.1, 0.2, 0.3) if quick else (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3))
    step = attack_direction(X, Y, parameters, "relu")
    signs = noise_rng.choice(np.array([-1.0, 1.0]), size=X.shape)
    fgsm_accuracy = [mb.accuracy(np.clip(X + e * step, 0, 1), Y, parameters) for e in epsilons]
    random_accuracy = [mb.accuracy(np.clip(X + e * signs, 0, 1), Y, parameters) for e in epsilons]
    X_adv = np.clip(X + shown * step, 0, 1)
    clean_p = mb.model_forward(X, parameters)[0].ravel()
    adv_p = mb.model_forward(X_adv, parameters)[0].ravel()
    right = (clean_p > 0.5) == (Y.ravel() == 1)
    chosen = [j for label in (0, 1) for j in np.flatnonzero(right & (Y.ravel() == label))[:per_class]]
    return DigitsAttack(
        classes,
        dims,
        X.shape[1],
        epsilons,
        np.array(fgsm_accuracy),
        np.array(random_accuracy),
        shown,
        X[:, chosen].T.reshape(-1, 8, 8),
        X_adv[:, chosen].T.reshape(-1, 8, 8),
        np.array([classes[int(Y[0, j])] for j in chosen]),
        clean_p[chosen],
        adv_p[chosen],
    )


def run_adversarial(
    *, seed: int = 0, quick: bool = False, network: Comparison | None = None
) -> AdversarialResult:
    """Attack the breast-cancer network of experiment 4 (trained here when ``network`` is None)."""
    if network is None:
        network = run_real_data(seed=seed, quick=quick).cancer
    (noise_rng,) = generators(seed + 1, 1)
    X, Y = network.split.X_test, network.split.Y_test
    hidden, parameters = network.hidden_activation, network.parameters
    epsilons = np.array(QUICK_EPSILONS if quick else EPSILONS)
    signs = noise_rng.choice(np.array([-1.0, 1.0]), size=X.shape)
    step = attack_direction(X, Y, parameters, hidden)
    fgsm_accuracy, random_accuracy, costs = [], [], []
    for epsilon in epsilons:
        X_adv = X + epsilon * step
        fgsm_accuracy.append(mb.accuracy(X_adv, Y, parameters, hidden))
        random_accuracy.append(mb.accuracy(X + epsilon * signs, Y, parameters, hidden))
        costs.append(mb.compute_cost_from_logits(mb.model_forward(X_adv, parameters, hidden)[1][-1].Z, Y))
    return AdversarialResult(
        network.dataset,
        network.layer_dims,
        X.shape[1],
        epsilons,
        np.array(fgsm_accuracy),
        np.array(random_accuracy),
        np.array(costs),
        input_gradient_check(X, Y, parameters, hidden),
        run_digits_attack(seed=seed, quick=quick),
    )
