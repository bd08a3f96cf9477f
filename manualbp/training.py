"""Batch gradient descent for the L-layer network.

Inputs are checked once per call to :func:`train`, not once per step; each step then runs the
unchecked kernels: forward, the stable cost from Z[L], the fused backward, an in-place update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .cost import cross_entropy_from_logits
from .errors import LayerSizeError, NonFiniteError
from .initialization import RngLike, initialize_parameters
from .layers import activation_pair
from .model import _checked_learning_rate, _model_backward, _model_forward, _update_in_place
from .validation import check_input, check_labels, check_parameters, check_same_dtype

__all__ = ["TrainingResult", "Progress", "train"]

Parameters = dict[str, np.ndarray]


class Progress(NamedTuple):
    """What a callback sees after computing the cost of one iteration (before its update)."""

    iteration: int
    cost: float
    parameters: Mapping[str, np.ndarray]


class TrainingResult(NamedTuple):
    """Trained parameters and the cost J before each update (``costs[i]`` at iteration i)."""

    parameters: Parameters
    costs: np.ndarray


Callback = Callable[[Progress], bool | None]


def train(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: Sequence[int] | None = None,
    *,
    parameters: Mapping[str, np.ndarray] | None = None,
    learning_rate: float = 0.0075,
    num_iterations: int = 2500,
    hidden_activation: str = "relu",
    initialization: str = "he",
    rng: RngLike = None,
    callback: Callback | None = None,
    print_every: int | None = None,
) -> TrainingResult:
    """Train ``[LINEAR -> g] × (L-1) -> LINEAR -> SIGMOID`` by batch gradient descent.

    X: (n[0], m); Y: (n[L], m) of 0/1. Start from a copy of ``parameters`` or, if none, from
    ``initialize_parameters(layer_dims, initialization, rng=rng, dtype=X.dtype)``. Each iteration:
    forward, J from Z[L] (stable), fused backward (dZ[L] = A[L] - Y), W[l] -= α dW[l], b[l] -= α db[l].
    ``callback(Progress(i, J, parameters))`` runs every iteration; returning True stops training.
    ``print_every=k`` prints the cost every k iterations, as the course's ``print_cost`` does.
    Raises NonFiniteError if the cost stops being finite (a learning rate too large).
    """
    X = check_input(X)
    params = _starting_parameters(X, layer_dims, parameters, initialization, rng)
    L, dims, _ = check_parameters(params, n0=X.shape[0])
    check_same_dtype({"X": X, "W1": params["W1"]})
    Y = check_labels(Y, X.dtype, (dims[-1], X.shape[1]))
    rate = _checked_learning_rate(learning_rate)
    hidden, output = activation_pair(hidden_activation, "sigmoid")
    costs = np.empty(int(num_iterations), dtype=np.float64)
    for i in range(int(num_iterations)):
        AL, caches = _model_forward(X, params, L, hidden, output)
        costs[i] = cost = cross_entropy_from_logits(caches[-1].Z, Y)
        if not np.isfinite(cost):
            raise NonFiniteError(f"the cost J became {cost} at iteration {i}: lower learning_rate")
        if print_every and i % print_every == 0:
            print(f"Cost after iteration {i}: {cost:.6f}")
        if callback is not None and callback(Progress(i, cost, params)):
            return TrainingResult(params, costs[: i + 1].copy())
        grads = _model_backward(
            AL, Y, caches, hidden, output, fused=True, input_gradient=False, keep_dA=False
        )
        _update_in_place(params, grads, rate, L)
    return TrainingResult(params, costs)


def _starting_parameters(
    X: np.ndarray,
    layer_dims: Sequence[int] | None,
    parameters: Mapping[str, np.ndarray] | None,
    initialization: str,
    rng: RngLike,
) -> Parameters:
    if parameters is not None:
        if layer_dims is not None:
            raise TypeError("give layer_dims or parameters, not both")
        return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in parameters.items()}
    if layer_dims is None:
        raise LayerSizeError("train needs layer_dims = [n[0], ..., n[L]] or starting parameters")
    return initialize_parameters(layer_dims, initialization, rng=rng, dtype=X.dtype)
