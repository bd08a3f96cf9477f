"""The course's two-layer network, LINEAR -> g1 -> LINEAR -> SIGMOID, with its exact equations.

Shapes: X (n_x, m), W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1), Y (n_y, m).
The cache is the course's dict ``{"Z1", "A1", "Z2", "A2"}``; the hidden activation g1 is a
parameter (``tanh`` in the course). Names follow the course notebook: ``forward_propagation``,
``backward_propagation``, ``nn_model``, ``predict(parameters, X)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import DTypeLike

from .activations import get_activation, sigmoid
from .cost import compute_cost, cross_entropy
from .errors import KeysError
from .initialization import RngLike
from .initialization import initialize_parameters as _initialize_deep
from .model import _checked_learning_rate, _update_in_place
from .validation import (
    check_array,
    check_finite,
    check_input,
    check_labels,
    check_parameters,
    check_same_dtype,
    check_shape,
)

__all__ = [
    "initialize_parameters",
    "forward_propagation",
    "compute_cost",
    "backward_propagation",
    "nn_model",
    "predict",
]

CACHE_KEYS = ("Z1", "A1", "Z2", "A2")


def initialize_parameters(
    n_x: int,
    n_h: int,
    n_y: int,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
    scale: float = 0.01,
) -> dict[str, np.ndarray]:
    """W1 = randn(n_h, n_x) × 0.01, b1 = 0, W2 = randn(n_y, n_h) × 0.01, b2 = 0, as in the course."""
    return _initialize_deep([n_x, n_h, n_y], "small_random", rng=rng, dtype=dtype, scale=scale)


def _forward(X: np.ndarray, parameters: Mapping[str, np.ndarray], g1: str) -> dict[str, np.ndarray]:
    Z1 = parameters["W1"] @ X + parameters["b1"]  # Z1 = W1 X + b1
    A1 = get_activation(g1).forward(Z1)  # A1 = g1(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]  # Z2 = W2 A1 + b2
    A2 = sigmoid(Z2)  # A2 = σ(Z2)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def _backward(
    parameters: Mapping[str, np.ndarray],
    cache: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    g1: str,
    input_gradient: bool = True,
) -> dict[str, np.ndarray]:
    m = X.shape[1]
    W1, W2 = parameters["W1"], parameters["W2"]
    dZ2 = cache["A2"] - Y  # dZ2 = A2 - Y
    dW2 = dZ2 @ cache["A1"].T / m  # dW2 = dZ2 A1ᵀ / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m  # db2 = Σ dZ2 / m
    dA1 = W2.T @ dZ2  # dA1 = W2ᵀ dZ2
    dZ1 = dA1 * get_activation(g1).derivative(cache["Z1"])  # dZ1 = W2ᵀ dZ2 * g1'(Z1)
    dW1 = dZ1 @ X.T / m  # dW1 = dZ1 Xᵀ / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m  # db1 = Σ dZ1 / m
    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dA1": dA1}
    if input_gradient:
        grads["dA0"] = W1.T @ dZ1  # dA0 = W1ᵀ dZ1 (the input gradient, per example)
    return grads


def forward_propagation(
    X: np.ndarray, parameters: Mapping[str, np.ndarray], hidden_activation: str = "tanh"
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Z1 = W1 X + b1, A1 = g1(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2); returns ``(A2, cache)``."""
    get_activation(hidden_activation)
    X = _checked_two_layer(X, parameters)
    cache = _forward(X, parameters, hidden_activation)
    return cache["A2"], cache


def backward_propagation(
    parameters: Mapping[str, np.ndarray],
    cache: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    hidden_activation: str = "tanh",
) -> dict[str, np.ndarray]:
    """The course's six equations; returns ``{"dW1", "db1", "dW2", "db2", "dA1", "dA0"}``.

    dZ2 = A2 - Y, dW2 = dZ2 A1ᵀ / m, db2 = Σ dZ2 / m, dZ1 = W2ᵀ dZ2 * g1'(Z1),
    dW1 = dZ1 Xᵀ / m, db1 = Σ dZ1 / m; plus dA1 = W2ᵀ dZ2 and dA0 = W1ᵀ dZ1 (per example).
    """
    get_activation(hidden_activation)
    X = _checked_two_layer(X, parameters)
    n_h, n_y, m = parameters["W1"].shape[0], parameters["W2"].shape[0], X.shape[1]
    if not isinstance(cache, Mapping) or set(CACHE_KEYS) - set(cache):
        raise KeysError(f"cache must be a dict with keys {list(CACHE_KEYS)}")
    for key, n in zip(CACHE_KEYS, (n_h, n_h, n_y, n_y), strict=True):
        array = check_array(key, cache[key])
        check_shape(key, array, f"(n[{1 if key.endswith('1') else 2}], m)", (n, m))
        check_finite(key, array)
    check_same_dtype({"X": X, **{key: cache[key] for key in CACHE_KEYS}})
    Y = check_labels(Y, X.dtype, (n_y, m))
    return _backward(parameters, cache, X, Y, hidden_activation)


def nn_model(
    X: np.ndarray,
    Y: np.ndarray,
    n_h: int,
    num_iterations: int = 10000,
    learning_rate: float = 1.2,
    *,
    hidden_activation: str = "tanh",
    rng: RngLike = None,
    print_cost: bool = False,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Train the two-layer network by gradient descent; returns ``(parameters, costs)``.

    Inputs are checked once; each iteration runs forward, cost, backward and the update.
    """
    X = check_input(X)
    n_y = Y.shape[0] if isinstance(Y, np.ndarray) and Y.ndim == 2 else 1
    parameters = initialize_parameters(X.shape[0], n_h, n_y, rng=rng, dtype=X.dtype)
    Y = check_labels(Y, X.dtype, (n_y, X.shape[1]))
    rate = _checked_learning_rate(learning_rate)
    get_activation(hidden_activation)
    costs = np.empty(int(num_iterations))
    for i in range(int(num_iterations)):
        cache = _forward(X, parameters, hidden_activation)
        costs[i] = cross_entropy(cache["A2"], Y)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {costs[i]:.6f}")
        grads = _backward(parameters, cache, X, Y, hidden_activation, input_gradient=False)
        _update_in_place(parameters, grads, rate, 2)
    return parameters, costs


def predict(
    parameters: Mapping[str, np.ndarray], X: np.ndarray, hidden_activation: str = "tanh"
) -> np.ndarray:
    """Labels 0/1 of shape (n_y, m): 1 where A2 > 0.5 (argument order as in the course)."""
    A2, _ = forward_propagation(X, parameters, hidden_activation)
    return (A2 > 0.5).astype(np.int64)


def _checked_two_layer(X: object, parameters: Mapping[str, np.ndarray]) -> np.ndarray:
    X = check_input(X)
    L, _, _ = check_parameters(parameters, n0=X.shape[0])
    if L != 2:
        raise KeysError(f"the two-layer network needs W1, b1, W2, b2; got L = {L} layers")
    check_same_dtype({"X": X, "W1": parameters["W1"]})
    return X
