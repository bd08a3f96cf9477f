"""What every experiment shares: the result interface, tables, gradient norms, number formatting."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import manualbp as mb

__all__ = [
    "ExperimentResult",
    "Table",
    "fmt",
    "generators",
    "join_words",
    "gradients",
    "layer_norms",
    "pct",
]


@dataclass(frozen=True)
class Table:
    """A small table of already formatted cells, rendered in both reports."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


class ExperimentResult(ABC):
    """The measured numbers of one experiment, and what they say about its claim.

    ``supported`` and ``verdict`` are computed from the numbers every time they are read, so a
    result can never say more than it measured.
    """

    key: ClassVar[str]
    title: ClassVar[str]
    claim: ClassVar[str]

    @property
    @abstractmethod
    def supported(self) -> bool:
        """Whether this run's numbers support the claim."""

    @property
    @abstractmethod
    def verdict(self) -> str:
        """One or two sentences quoting the numbers that decide ``supported``."""

    @property
    @abstractmethod
    def headline(self) -> str:
        """The experiment's headline number(s), one line."""

    @property
    @abstractmethod
    def setup(self) -> str:
        """How it was run: data, network, learning rate, iterations."""

    @abstractmethod
    def tables(self) -> list[Table]:
        """The numbers behind the verdict."""


def gradients(
    X: np.ndarray, Y: np.ndarray, parameters: Mapping[str, np.ndarray], hidden_activation: str
) -> dict[str, np.ndarray]:
    """manualbp's gradients (dW, db and dA, including dA0) at ``parameters`` on (X, Y)."""
    AL, caches = mb.model_forward(X, parameters, hidden_activation)
    return mb.model_backward(AL, Y, caches, hidden_activation)


def layer_norms(arrays: Mapping[str, np.ndarray], prefix: str, L: int) -> np.ndarray:
    """Frobenius norms ``‖prefix1‖, ..., ‖prefixL‖`` (for example ‖dW[l]‖ for prefix "dW")."""
    return np.array([float(np.linalg.norm(arrays[f"{prefix}{l}"])) for l in range(1, L + 1)])


def fmt(value: float, digits: int = 3) -> str:
    """A number for a report, to ``digits`` significant digits (0 stays "0", tiny ones go 1.5e-17)."""
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


def pct(value: float) -> str:
    """A fraction as a percentage with one decimal."""
    return f"{100 * value:.1f} %"


def join_words(items: Sequence[str]) -> str:
    """``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def generators(seed: int, count: int) -> list[np.random.Generator]:
    """``count`` independent Generators from one seed (data and initialisation must not share draws)."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(count)]
