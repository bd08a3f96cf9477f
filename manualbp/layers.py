"""One layer, forward and backward, in the course's step-by-step functions.

Shapes: A[l-1] is (n[l-1], m), W[l] is (n[l], n[l-1]), b[l] is (n[l], 1), Z[l] and A[l] are
(n[l], m). Caches are tuples in the course's order, so a learner's own caches can be passed in:
``linear_cache = (A_prev, W, b)`` and ``cache = (linear_cache, Z)``.

Each public function checks its inputs and calls an unchecked kernel (``_name``); the model and
the training loop call the kernels directly once their inputs have been checked.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .activations import Activation, get_activation
from .errors import ShapeError
from .validation import (
    check_array,
    check_batch_size,
    check_finite,
    check_same_dtype,
    check_shape,
)

__all__ = [
    "LinearCache",
    "LayerCache",
    "linear_forward",
    "linear_activation_forward",
    "linear_backward",
    "linear_activation_backward",
]


class LinearCache(NamedTuple):
    """The course's ``linear_cache = (A_prev, W, b)`` of one layer."""

    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray


class LayerCache(NamedTuple):
    """The course's ``cache = (linear_cache, activation_cache)``, the activation cache being Z."""

    linear: LinearCache
    Z: np.ndarray


# --- kernels (unchecked) -------------------------------------------------------------------------


def _linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    Z = W @ A_prev  # Z[l] = W[l] A[l-1] + b[l]
    Z += b
    return Z


def _linear_backward(
    dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, input_gradient: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    m = dZ.shape[1]
    dW = dZ @ A_prev.T  # dW[l] = (1/m) dZ[l] A[l-1]ᵀ
    dW /= m
    db = dZ.sum(axis=1, keepdims=True)  # db[l] = (1/m) Σ_i dZ[l](:, i)
    db /= m
    dA_prev = W.T @ dZ if input_gradient else None  # dA[l-1] = W[l]ᵀ dZ[l]
    return dA_prev, dW, db


# --- public, checked -----------------------------------------------------------------------------


def linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Z[l] = W[l] A[l-1] + b[l]; returns ``(Z, LinearCache(A_prev, W, b))``.

    A_prev: (n[l-1], m); W: (n[l], n[l-1]); b: (n[l], 1); Z: (n[l], m).
    """
    A_prev, W, b = _checked_linear_inputs(A_prev, W, b)
    return _linear_forward(A_prev, W, b), LinearCache(A_prev, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str
) -> tuple[np.ndarray, LayerCache]:
    """A[l] = g(Z[l]) with Z[l] = W[l] A[l-1] + b[l]; returns ``(A, LayerCache(linear, Z))``."""
    g = get_activation(activation)
    A_prev, W, b = _checked_linear_inputs(A_prev, W, b)
    Z = _linear_forward(A_prev, W, b)
    return g.forward(Z), LayerCache(LinearCache(A_prev, W, b), Z)


def linear_backward(
    dZ: np.ndarray, linear_cache: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From dZ[l] (n[l], m) and ``(A_prev, W, b)``, return ``(dA_prev, dW, db)``:

    dW[l] = (1/m) dZ[l] A[l-1]ᵀ, db[l] = (1/m) Σ dZ[l] (over examples), dA[l-1] = W[l]ᵀ dZ[l].
    """
    A_prev, W, _ = _checked_linear_inputs(*_unpack_linear_cache(linear_cache))
    dZ = _checked_like("dZ", dZ, "(n[l], m)", (W.shape[0], A_prev.shape[1]), A_prev)
    dA_prev, dW, db = _linear_backward(dZ, A_prev, W)
    assert dA_prev is not None
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: tuple[Any, np.ndarray], activation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dZ[l] = dA[l] * g'(Z[l]), then :func:`linear_backward`; returns ``(dA_prev, dW, db)``."""
    g = get_activation(activation)
    linear_cache, Z = unpack_layer_cache(cache)
    A_prev, W, _ = _checked_linear_inputs(*linear_cache)
    shape = (W.shape[0], A_prev.shape[1])
    Z = _checked_like("Z", Z, "(n[l], m)", shape, A_prev)
    dA = _checked_like("dA", dA, "(n[l], m)", shape, A_prev)
    dZ = dA * g.derivative(Z)  # dZ[l] = dA[l] * g'(Z[l])
    dA_prev, dW, db = _linear_backward(dZ, A_prev, W)
    assert dA_prev is not None
    return dA_prev, dW, db


# --- helpers -------------------------------------------------------------------------------------


def activation_pair(hidden: str, output: str) -> tuple[Activation, Activation]:
    """Look up the hidden and output activations (UnknownActivationError lists the known ones)."""
    return get_activation(hidden), get_activation(output)


def unpack_layer_cache(cache: Any, layer: int | None = None) -> tuple[LinearCache, np.ndarray]:
    """``(linear_cache, Z)`` from a LayerCache or a learner's plain tuple."""
    where = f"caches[{layer - 1}] (layer {layer})" if layer is not None else "cache"
    linear_cache: Any
    Z: Any
    try:
        linear_cache, Z = cache
    except (TypeError, ValueError):
        raise ShapeError(
            f"{where} must be a pair (linear_cache, Z) with linear_cache = (A_prev, W, b)"
        ) from None
    return _unpack_linear_cache(linear_cache, f"{where}: linear_cache"), Z


def _unpack_linear_cache(linear_cache: Any, where: str = "linear_cache") -> LinearCache:
    A_prev: Any
    W: Any
    b: Any
    try:
        A_prev, W, b = linear_cache
    except (TypeError, ValueError):
        raise ShapeError(f"{where} must be a triple (A_prev, W, b)") from None
    return LinearCache(A_prev, W, b)


def _checked_linear_inputs(A_prev: object, W: object, b: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A_prev, W, b = check_array("A_prev", A_prev), check_array("W", W), check_array("b", b)
    check_shape("A_prev", A_prev, "(n[l-1], m)", ("n[l-1]", "m"))
    check_batch_size(A_prev.shape[1])
    n_prev = A_prev.shape[0]
    n = b.shape[0] if b.ndim == 2 and b.shape[1] == 1 else (W.shape[0] if W.ndim else 0)
    check_shape("W", W, "(n[l], n[l-1])", (n, n_prev))
    check_shape("b", b, "(n[l], 1)", (n, 1))
    for name, array in (("A_prev", A_prev), ("W", W), ("b", b)):
        check_finite(name, array)
    check_same_dtype({"A_prev": A_prev, "W": W, "b": b})
    return A_prev, W, b


def _checked_like(
    name: str, array: object, notation: str, shape: tuple[int, int], reference: np.ndarray
) -> np.ndarray:
    array = check_array(name, array)
    check_shape(name, array, notation, shape)
    check_finite(name, array)
    check_same_dtype({name: array, "A_prev": reference})
    return array
