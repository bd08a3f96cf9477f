"""Activations g and their derivatives g'(Z), taken at the pre-activation Z.

Every function maps an array to an array of the same shape and dtype, element-wise.
Conventions at kinks: relu'(0) = 0 and leaky_relu'(0) = slope (the left derivative), as in the
course's ``relu_backward`` (``dZ[Z <= 0] = 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .errors import UnknownActivationError

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "get_activation",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "relu",
    "relu_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "linear",
    "linear_derivative",
]

LEAKY_RELU_SLOPE = 0.01

ArrayFn = Callable[[np.ndarray], np.ndarray]


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """σ(Z) = 1 / (1 + e^(-Z)), computed from e^(-|Z|) so it never overflows."""
    E = np.exp(-np.abs(Z))  # e^(-|Z|) in (0, 1]
    A = np.reciprocal(1 + E)  # σ(|Z|)
    # σ(Z) = σ(|Z|) for Z >= 0, and σ(-|Z|) = e^(-|Z|) σ(|Z|) for Z < 0: exact in both tails.
    return np.where(Z >= 0, A, E * A)


def sigmoid_derivative(Z: np.ndarray) -> np.ndarray:
    """σ'(Z) = σ(Z) (1 - σ(Z))."""
    S = sigmoid(Z)
    return S * (1 - S)


def tanh(Z: np.ndarray) -> np.ndarray:
    """tanh(Z)."""
    return np.tanh(Z)


def tanh_derivative(Z: np.ndarray) -> np.ndarray:
    """tanh'(Z) = 1 - tanh(Z)²."""
    T = np.tanh(Z)
    return 1 - T * T


def relu(Z: np.ndarray) -> np.ndarray:
    """relu(Z) = max(0, Z)."""
    return np.maximum(Z, 0)


def relu_derivative(Z: np.ndarray) -> np.ndarray:
    """relu'(Z) = 1 where Z > 0, else 0."""
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z: np.ndarray) -> np.ndarray:
    """leaky_relu(Z) = Z where Z > 0, else 0.01 Z."""
    return np.where(Z > 0, Z, Z * LEAKY_RELU_SLOPE)


def leaky_relu_derivative(Z: np.ndarray) -> np.ndarray:
    """leaky_relu'(Z) = 1 where Z > 0, else 0.01."""
    one, slope = Z.dtype.type(1), Z.dtype.type(LEAKY_RELU_SLOPE)
    return np.where(Z > 0, one, slope)


def linear(Z: np.ndarray) -> np.ndarray:
    """Identity: g(Z) = Z (a copy, so caches never alias)."""
    return Z.copy()


def linear_derivative(Z: np.ndarray) -> np.ndarray:
    """g'(Z) = 1."""
    return np.ones_like(Z)


class Activation(NamedTuple):
    """An activation g with its derivative g' (both element-wise, both taken at Z)."""

    name: str
    forward: ArrayFn
    derivative: ArrayFn


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, sigmoid_derivative),
        Activation("tanh", tanh, tanh_derivative),
        Activation("relu", relu, relu_derivative),
        Activation("leaky_relu", leaky_relu, leaky_relu_derivative),
        Activation("linear", linear, linear_derivative),
    )
}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; UnknownActivationError lists the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise UnknownActivationError(f"unknown activation {name!r}; known activations: {known}") from None
