"""The L-layer network: [LINEAR -> g] × (L-1) -> LINEAR -> SIGMOID, forward and backward.

Gradients follow the course (see DESIGN.md): dW[l] and db[l] are derivatives of J = (1/m) Σ 𝓛,
while dZ[l] and dA[l] are per-example derivatives of 𝓛, so ``dA0 = m ∂J/∂X``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .activations import Activation
from .errors import DomainError, ShapeError
from .layers import (
    LayerCache,
    LinearCache,
    _linear_backward,
    _linear_forward,
    activation_pair,
    unpack_layer_cache,
)
from .validation import (
    check_array,
    check_finite,
    check_gradient_keys,
    check_input,
    check_labels,
    check_parameters,
    check_probabilities,
    check_same_dtype,
    check_shape,
)

__all__ = ["model_forward", "model_backward", "update_parameters", "predict", "accuracy"]

Parameters = dict[str, np.ndarray]


# --- kernels (unchecked) -------------------------------------------------------------------------


def _model_forward(
    X: np.ndarray, parameters: Mapping[str, np.ndarray], L: int, hidden: Activation, output: Activation
) -> tuple[np.ndarray, list[LayerCache]]:
    caches: list[LayerCache] = []
    A = X  # A[0] = X
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = _linear_forward(A, W, b)  # Z[l] = W[l] A[l-1] + b[l]
        caches.append(LayerCache(LinearCache(A, W, b), Z))
        A = (hidden if l < L else output).forward(Z)  # A[l] = g[l](Z[l])
    return A, caches


def _output_dZ(AL: np.ndarray, Y: np.ndarray, ZL: np.ndarray, output: Activation, fused: bool) -> np.ndarray:
    if fused and output.name == "sigmoid":
        return AL - Y  # dZ[L] = A[L] - Y
    dAL = -(Y / AL) + (1 - Y) / (1 - AL)  # dA[L] = -(Y/A[L]) + (1-Y)/(1-A[L])
    return dAL * output.derivative(ZL)  # dZ[L] = dA[L] * g[L]'(Z[L])


def _model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: Sequence[tuple[Any, np.ndarray]],
    hidden: Activation,
    output: Activation,
    *,
    fused: bool = True,
    input_gradient: bool = True,
    keep_dA: bool = True,
) -> dict[str, np.ndarray]:
    L = len(caches)
    dZ = _output_dZ(AL, Y, caches[L - 1][1], output, fused)
    grads: dict[str, np.ndarray] = {}
    for l in range(L, 0, -1):
        A_prev, W, _ = caches[l - 1][0]
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = _linear_backward(
            dZ, A_prev, W, input_gradient=l > 1 or input_gradient
        )
        if dA_prev is None:
            continue
        if keep_dA:
            grads[f"dA{l - 1}"] = dA_prev
        if l > 1:
            g_prime = hidden.derivative(caches[l - 2][1])
            # dZ[l-1] = dA[l-1] * g'(Z[l-1]); in place when dA[l-1] is not returned
            dZ = dA_prev * g_prime if keep_dA else np.multiply(dA_prev, g_prime, out=dA_prev)
    return grads


def _update_in_place(
    parameters: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], rate: float, L: int
) -> None:
    for l in range(1, L + 1):
        for p in "Wb":
            # W[l] = W[l] - α dW[l];  b[l] = b[l] - α db[l]
            parameters[f"{p}{l}"] -= rate * grads[f"d{p}{l}"]


# --- public, checked -----------------------------------------------------------------------------


def model_forward(
    X: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> tuple[np.ndarray, list[LayerCache]]:
    """A[L] and the caches of every layer for X = A[0] of shape (n[0], m).

    For l = 1..L: Z[l] = W[l] A[l-1] + b[l], A[l] = g[l](Z[l]), with g[l] the hidden activation
    for l < L and the output activation for l = L. ``caches[l-1] = ((A[l-1], W[l], b[l]), Z[l])``.
    """
    hidden, output = activation_pair(hidden_activation, output_activation)
    X = check_input(X)
    L, _, _ = check_parameters(parameters, n0=X.shape[0])
    check_same_dtype({"X": X, "W1": parameters["W1"]})
    return _model_forward(X, parameters, L, hidden, output)


def model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: Sequence[tuple[Any, np.ndarray]],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    *,
    fused: bool = True,
    input_gradient: bool = True,
) -> dict[str, np.ndarray]:
    """Gradients ``{"dW1", "db1", ..., "dWL", "dbL", "dA0", ..., "dA(L-1)"}`` of the cross-entropy.

    fused=True (sigmoid output): dZ[L] = A[L] - Y, exact even where σ saturates.
    fused=False, or another output activation: the course's route
    dA[L] = -(Y/A[L]) + (1-Y)/(1-A[L]), dZ[L] = dA[L] * g[L]'(Z[L]), which needs 0 < A[L] < 1.
    Then for l = L..1: dW[l] = (1/m) dZ[l] A[l-1]ᵀ, db[l] = (1/m) Σ dZ[l], dA[l-1] = W[l]ᵀ dZ[l],
    dZ[l-1] = dA[l-1] * g'(Z[l-1]). ``input_gradient=False`` skips dA0 (training does not need it).
    """
    hidden, output = activation_pair(hidden_activation, output_activation)
    AL, Y = _checked_backward_inputs(AL, Y, caches)
    uses_dAL = not (fused and output.name == "sigmoid")
    check_probabilities("AL", AL, open_interval=uses_dAL)
    return _model_backward(AL, Y, caches, hidden, output, fused=fused, input_gradient=input_gradient)


def update_parameters(
    parameters: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    learning_rate: float,
    *,
    in_place: bool = False,
) -> Parameters:
    """One step of gradient descent: W[l] = W[l] - α dW[l], b[l] = b[l] - α db[l].

    Returns a new dict (the inputs are left alone) unless ``in_place=True``, which updates the
    arrays of ``parameters`` and returns that dict.
    """
    L, _, _ = check_parameters(parameters)
    check_gradient_keys(grads, L)
    for l in range(1, L + 1):
        for p in "Wb":
            key = f"d{p}{l}"
            gradient = check_array(key, grads[key])
            check_shape(key, gradient, f"the shape of {p}{l}", parameters[f"{p}{l}"].shape)
            check_finite(key, gradient)
            check_same_dtype({f"{p}{l}": parameters[f"{p}{l}"], key: gradient})
    rate = _checked_learning_rate(learning_rate)
    target = parameters if in_place else {k: v.copy() for k, v in parameters.items()}
    _update_in_place(target, grads, rate, L)
    return dict(target)


def predict(
    X: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    *,
    threshold: float = 0.5,
) -> np.ndarray:
    """Labels 0/1 of shape (n[L], m) (``(1, m)`` for one output unit): 1 where A[L] > threshold."""
    AL, _ = model_forward(X, parameters, hidden_activation, output_activation)
    return (threshold < AL).astype(np.int64)


def accuracy(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> float:
    """The fraction of labels that :func:`predict` gets right."""
    predictions = predict(X, parameters, hidden_activation, output_activation)
    labels = check_labels(Y, np.dtype(np.float64), predictions.shape)
    return float((predictions == labels).mean())


# --- helpers -------------------------------------------------------------------------------------


def _checked_learning_rate(learning_rate: float) -> float:
    if isinstance(learning_rate, (bool, np.bool_)) or not isinstance(
        learning_rate, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"learning_rate α must be a number, got {learning_rate!r}")
    rate = float(learning_rate)
    if not np.isfinite(rate) or rate <= 0:
        raise DomainError(f"learning_rate α must be a positive finite number, got {learning_rate!r}")
    return rate


def _checked_backward_inputs(
    AL: object, Y: object, caches: Sequence[tuple[Any, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Check caches layer by layer against course notation; return AL and Y (in AL's dtype)."""
    if isinstance(caches, (str, bytes)) or not isinstance(caches, Sequence) or len(caches) == 0:
        raise ShapeError("caches must be a non-empty list with one (linear_cache, Z) per layer")
    X = check_input(unpack_layer_cache(caches[0], 1)[0].A_prev)
    m = X.shape[1]
    parameters: dict[str, np.ndarray] = {}
    arrays: dict[str, np.ndarray] = {"A0": X}
    for l, cache in enumerate(caches, start=1):
        (A_prev, W, b), Z = unpack_layer_cache(cache, l)
        parameters[f"W{l}"], parameters[f"b{l}"] = W, b
        if l > 1:
            arrays[f"A{l - 1}"] = check_array(f"A{l - 1}", A_prev)
        arrays[f"Z{l}"] = check_array(f"Z{l}", Z)
    _, dims, dtype = check_parameters(parameters, n0=X.shape[0])
    arrays["AL"] = check_array("AL", AL)
    for name, array in arrays.items():
        n = dims[len(dims) - 1] if name == "AL" else dims[int(name[1:])]
        check_shape(name, array, f"(n[{'L' if name == 'AL' else name[1:]}], m)", (n, m))
        check_finite(name, array)
    check_same_dtype({"W1": parameters["W1"], **arrays})
    return arrays["AL"], check_labels(Y, dtype, arrays["AL"].shape)
