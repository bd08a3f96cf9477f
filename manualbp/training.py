"""Batch gradient descent for the L-layer network.

Inputs are checked once per call to :func:`train`, not once per step; each step then runs
unchecked, in buffers allocated once (:mod:`manualbp._step`): forward, the stable cost from Z[L],
the fused backward (dZ[L] = A[L] - Y) and an in-place update.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ._step import make_training_step
from .errors import DomainError, LayerSizeError, NonFiniteError
from .initialization import RngLike, initialize_parameters
from .layers import activation_pair
from .model import _checked_learning_rate
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
    scale: float = 0.01,
    callback: Callback | None = None,
    print_every: int | None = None,
) -> TrainingResult:
    """Train ``[LINEAR -> g] × (L-1) -> LINEAR -> SIGMOID`` by batch gradient descent.

    X: (n[0], m); Y: (n[L], m) of 0/1. Start from a copy of ``parameters`` or, if none, from
    ``initialize_parameters(layer_dims, initialization, rng=rng, dtype=X.dtype, scale=scale)`` (``scale``
    multiplies randn for ``small_random`` only, as there). Each iteration:
    forward, J from Z[L] (stable), fused backward (dZ[L] = A[L] - Y), W[l] -= α dW[l], b[l] -= α db[l].
    ``callback(Progress(i, J, parameters))`` runs every iteration; returning True stops training.
    ``print_every=k`` prints the cost every k iterations, as the course's ``print_cost`` does.
    Raises NonFiniteError if the cost stops being finite (a learning rate too large).
    """
    X = check_input(X)
    params = _starting_parameters(X, layer_dims, parameters, initialization, rng, scale)
    L, dims, _ = check_parameters(params, n0=X.shape[0])
    check_same_dtype({"X": X, "W1": params["W1"]})
    Y = check_labels(Y, X.dtype, (dims[-1], X.shape[1]))
    rate = _checked_learning_rate(learning_rate)
    hidden, _ = activation_pair(hidden_activation, "sigmoid")
    iterations = _checked_iterations(num_iterations)
    costs = np.empty(iterations, dtype=np.float64)
    step = make_training_step(X, Y, params, L, hidden, rate)
    params = step.parameters  # views into the step's flat parameter vector, updated in place
    # A diverging run overflows inside the step: it is reported as NonFiniteError, not as warnings.
    for i in range(iterations):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            costs[i] = cost = step.forward()
        if not math.isfinite(cost):
            raise NonFiniteError(f"the cost J became {cost} at iteration {i}: lower learning_rate")
        if print_every and i % print_every == 0:
            print(f"Cost after iteration {i}: {cost:.6f}")
        if callback is not None and callback(Progress(i, cost, params)):
            return TrainingResult(_own_arrays(params), costs[: i + 1].copy())
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            step.backward_and_update()
    if not all(np.isfinite(p).all() for p in params.values()):
        raise NonFiniteError("the parameters became non-finite in the last update: lower learning_rate")
    return TrainingResult(_own_arrays(params), costs)


def _checked_iterations(num_iterations: int) -> int:
    if isinstance(num_iterations, (bool, np.bool_)) or not isinstance(num_iterations, (int, np.integer)):
        raise TypeError(f"num_iterations must be an integer, got {num_iterations!r}")
    if num_iterations < 0:
        raise DomainError(f"num_iterations must be >= 0, got {num_iterations}")
    return int(num_iterations)


def _starting_parameters(
    X: np.ndarray,
    layer_dims: Sequence[int] | None,
    parameters: Mapping[str, np.ndarray] | None,
    initialization: str,
    rng: RngLike,
    scale: float,
) -> Parameters:
    if parameters is not None:
        if layer_dims is not None:
            raise TypeError("give layer_dims or parameters, not both")
        return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in parameters.items()}
    if layer_dims is None:
        raise LayerSizeError("train needs layer_dims = [n[0], ..., n[L]] or starting parameters")
    return initialize_parameters(layer_dims, initialization, rng=rng, dtype=X.dtype, scale=scale)


def _own_arrays(parameters: Mapping[str, np.ndarray]) -> Parameters:
    """One contiguous array per parameter (the step's are views into one flat vector)."""
    return {key: array.copy() for key, array in parameters.items()}
