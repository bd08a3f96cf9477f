"""Batch gradient descent for the L-layer network.

Inputs are checked once per call to :func:`train`, not once per step; each step then runs the
unchecked kernels: forward, the stable cost from Z[L], the fused backward, an in-place update.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .activations import LEAKY_RELU_SLOPE, Activation
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
    hidden, _ = activation_pair(hidden_activation, "sigmoid")
    iterations = _checked_iterations(num_iterations)
    costs = np.empty(iterations, dtype=np.float64)
    step = _TrainingStep(X, Y, params, L, hidden, rate)
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
) -> Parameters:
    if parameters is not None:
        if layer_dims is not None:
            raise TypeError("give layer_dims or parameters, not both")
        return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in parameters.items()}
    if layer_dims is None:
        raise LayerSizeError("train needs layer_dims = [n[0], ..., n[L]] or starting parameters")
    return initialize_parameters(layer_dims, initialization, rng=rng, dtype=X.dtype)


def _own_arrays(parameters: Mapping[str, np.ndarray]) -> Parameters:
    """One contiguous array per parameter (the step's are views into one flat vector)."""
    return {key: array.copy() for key, array in parameters.items()}


class _TrainingStep:
    """One iteration of batch gradient descent, in buffers allocated once per call to :func:`train`.

    Unchecked: :func:`train` checks X, Y and the parameters before building it. The equations are
    the kernels' (see :mod:`manualbp.model`), arranged so that a step allocates nothing and makes
    few NumPy calls:

    * W[l] and b[l] are views into one flat vector θ, and the steps α dW[l], α db[l] views into
      another, so the update of every layer is the single subtraction θ = θ - α dθ.
    * The factor α/m is applied once, to dZ[L]. Every later dA[l], dZ[l] is linear in dZ[L], so it
      carries the same factor, and the matrix products give α dW[l] and α db[l] directly.
    * A hidden A[l] = g(Z[l]) overwrites Z[l]. g'(Z[l]) is still the derivative at Z[l], evaluated
      from A[l]: relu'(Z) = [Z > 0] = [A > 0], tanh'(Z) = 1 - tanh(Z)² = 1 - A², σ'(Z) = A (1 - A),
      leaky_relu'(Z) = 1 or 0.01 as A > 0 or not (the same values the kernels compute from Z).
      Once g'(Z[l]) and dW[l+1] are computed, dA[l] and dZ[l] take over the buffer of A[l].
    * db[l] = (1/m) Σ_i dZ[l](:, i) is a matrix product with a column of ones.
    * The output layer works from T = log(1 + e^(-Z[L])) = -log σ(Z[L]) (``np.logaddexp``, stable):
      A[L] = e^(-T) and J = (1/m) Σ ((1 - Y) Z[L] + T), one dot product.
    * With n[l] = 1, W[l]ᵀ dZ[l] is an outer product: element-wise multiplication, not BLAS.
    * Element-wise passes over a layer (bias and activation; g') go by blocks of rows that stay
      in cache.
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        parameters: Mapping[str, np.ndarray],
        L: int,
        hidden: Activation,
        learning_rate: float,
    ) -> None:
        dtype, m = X.dtype, X.shape[1]
        dims = [X.shape[0]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]
        self.X, self.Y, self.L, self.m, self.dims, self.hidden = X, Y, L, m, dims, hidden
        self.scale = dtype.type(learning_rate / m)  # α/m
        sizes = [n * n_prev + n for n, n_prev in zip(dims[1:], dims[:-1], strict=True)]
        self.theta = np.empty(sum(sizes), dtype)  # θ = (W1, b1, ..., WL, bL)
        self.step = np.empty_like(self.theta)  # α dθ = (α dW1, α db1, ..., α dWL, α dbL)
        self.W: list[np.ndarray] = [self.theta[:0]]  # index l holds layer l; index 0 is unused
        self.b: list[np.ndarray] = [self.theta[:0]]
        self.rate_dW: list[np.ndarray] = [self.step[:0]]
        self.rate_db: list[np.ndarray] = [self.step[:0]]
        self.parameters: Parameters = {}
        start = 0
        for l in range(1, L + 1):
            n, n_prev = dims[l], dims[l - 1]
            for views, flat in ((self.W, self.theta), (self.rate_dW, self.step)):
                views.append(flat[start : start + n * n_prev].reshape(n, n_prev))
            for views, flat in ((self.b, self.theta), (self.rate_db, self.step)):
                views.append(flat[start + n * n_prev : start + n * n_prev + n].reshape(n, 1))
            start += n * n_prev + n
            self.W[l][...] = parameters[f"W{l}"]
            self.b[l][...] = parameters[f"b{l}"]
            self.parameters[f"W{l}"], self.parameters[f"b{l}"] = self.W[l], self.b[l]
        # A[0] = X; A[l] for hidden l (Z[l] is computed in the same buffer)
        self.A = [X] + [np.empty((dims[l], m), dtype) for l in range(1, L)]
        nL = dims[L]
        # [Z[L]; T] and [1 - Y; 1]: the cost is the dot product of the two
        self.output = np.empty((2 * nL, m), dtype)
        self.ZL, self.T = self.output[:nL], self.output[nL:]
        self.cost_weights = np.ones((2 * nL, m), dtype)
        np.subtract(1, Y, out=self.cost_weights[:nL])
        self.ones = self.cost_weights[-1].reshape(m, 1)  # a column of ones: Σ_i as a matrix product
        # A[L] and then dZ[L] = A[L] - Y share a buffer. For l < L, dA[l] = W[l+1]ᵀ dZ[l+1] and
        # then dZ[l] are computed in the buffer of A[l], which is no longer needed once
        # dW[l+1] = dZ[l+1] A[l]ᵀ is done and g'(Z[l]) has been evaluated from it.
        self.AL = np.empty((nL, m), dtype)
        self.dZ = [X[:0], *self.A[1:], self.AL]
        # g'(Z[l]) of a hidden layer: a mask (relu, leaky_relu) or an array (tanh, sigmoid)
        hidden_size = max(dims[1:L], default=0) * m
        self.mask = np.empty(hidden_size if hidden.name in ("relu", "leaky_relu") else 0, dtype=bool)
        self.scratch = np.empty(hidden_size if hidden.name in ("tanh", "sigmoid") else 0, dtype)
        self._activate = _IN_PLACE_ACTIVATIONS.get(hidden.name, _activate_by_copy(hidden))
        self._derivative, self._times_derivative = _DERIVATIVES[hidden.name]
        self._forward_layers = [
            (self.W[l], self.A[l - 1], self.A[l], _row_blocks(self.A[l], self.b[l])) for l in range(1, L)
        ]
        self._backward_layers = [
            (
                self.dZ[l],
                _row_blocks(
                    self.A[l - 1], _view(self.mask if self.mask.size else self.scratch, (dims[l - 1], m))
                ),
                self.A[l - 1].T,
                self.rate_dW[l],
                self.rate_db[l],
                self.W[l].T,
                # n[l] = 1 (a sigmoid output unit): W[l]ᵀ dZ[l] is an outer product, which
                # element-wise multiplication computes exactly and much faster than BLAS at K = 1
                np.multiply if dims[l] == 1 else np.matmul,
                self.dZ[l - 1],
                _view(self.mask if self.mask.size else self.scratch, (dims[l - 1], m)),
            )
            for l in range(L, 1, -1)
        ]

    def forward(self) -> float:
        """Forward propagation and the cost J (from Z[L], stable); returns J."""
        activate = self._activate
        for W, A_prev, Z, blocks in self._forward_layers:
            np.matmul(W, A_prev, out=Z)  # Z[l] = W[l] A[l-1] + b[l]
            for Z_rows, b_rows in blocks:  # by blocks of rows that stay in cache for both passes
                np.add(Z_rows, b_rows, out=Z_rows)
                activate(Z_rows)  # A[l] = g(Z[l]), in place
        ZL, T = self.ZL, self.T
        np.matmul(self.W[self.L], self.A[self.L - 1], out=ZL)  # Z[L] = W[L] A[L-1] + b[L]
        np.add(ZL, self.b[self.L], out=ZL)
        np.negative(ZL, out=T)
        np.logaddexp(0, T, out=T)  # T = log(1 + e^(-Z[L])) = -log σ(Z[L]), never overflows
        np.negative(T, out=self.AL)
        np.exp(self.AL, out=self.AL)  # A[L] = σ(Z[L]) = e^(-T)
        # J = -(1/m) Σ (Y log A[L] + (1-Y) log(1-A[L])) = (1/m) Σ ((1-Y) Z[L] + T)
        return float(np.vdot(self.cost_weights, self.output)) / self.m

    def backward_and_update(self) -> None:
        """Backward propagation from the last :meth:`forward`, and W[l] -= α dW[l], b[l] -= α db[l]."""
        dZ = self.dZ[self.L]  # the buffer of A[L]
        np.subtract(self.AL, self.Y, out=dZ)  # dZ[L] = A[L] - Y (sigmoid output, cross-entropy)
        np.multiply(dZ, self.scale, out=dZ)  # times α/m, once for every layer below
        ones, derivative, times_derivative = self.ones, self._derivative, self._times_derivative
        for dZ, blocks, A_prev_T, rate_dW, rate_db, W_T, product, dA_prev, g_prime in self._backward_layers:
            np.matmul(dZ, A_prev_T, out=rate_dW)  # α dW[l] = (α/m) dZ[l] A[l-1]ᵀ
            np.matmul(dZ, ones, out=rate_db)  # α db[l] = (α/m) Σ_i dZ[l](:, i)
            for A_rows, g_prime_rows in blocks:
                derivative(A_rows, g_prime_rows)  # g'(Z[l-1]), from A[l-1] = g(Z[l-1])
            product(W_T, dZ, out=dA_prev)  # dA[l-1] = W[l]ᵀ dZ[l], in the buffer of A[l-1]
            times_derivative(dA_prev, g_prime)  # dZ[l-1] = dA[l-1] * g'(Z[l-1]), in place
        dZ = self.dZ[1]
        np.matmul(dZ, self.X.T, out=self.rate_dW[1])  # α dW[1] = (α/m) dZ[1] A[0]ᵀ
        np.matmul(dZ, ones, out=self.rate_db[1])  # α db[1] = (α/m) Σ_i dZ[1](:, i)
        # W[l] = W[l] - α dW[l];  b[l] = b[l] - α db[l], for every layer at once
        np.subtract(self.theta, self.step, out=self.theta)


_BLOCK_BYTES = 256 * 1024  # a block of rows for element-wise passes: well inside L2


def _row_blocks(Z: np.ndarray, other: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(Z[rows], other[rows]) by blocks of about _BLOCK_BYTES of Z (one block for small layers)."""
    rows = max(1, _BLOCK_BYTES // max(1, Z.shape[1] * Z.itemsize))
    return [(Z[i : i + rows], other[i : i + rows]) for i in range(0, Z.shape[0], rows)]


def _view(buffer: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The first elements of a flat buffer as an array of ``shape`` (the buffer itself if empty)."""
    return buffer[: shape[0] * shape[1]].reshape(shape) if buffer.size else buffer


# A[l] = g(Z[l]) in the buffer of Z[l]; and dA *= g'(Z) with g'(Z) evaluated from A = g(Z).
def _relu_in_place(Z: np.ndarray) -> None:
    np.maximum(Z, 0, out=Z)  # relu(Z) = max(0, Z)


def _tanh_in_place(Z: np.ndarray) -> None:
    np.tanh(Z, out=Z)


def _activate_by_copy(g: Activation) -> Callable[[np.ndarray], None]:
    def activate(Z: np.ndarray) -> None:
        Z[...] = g.forward(Z)

    return activate


_IN_PLACE_ACTIVATIONS: dict[str, Callable[[np.ndarray], None]] = {
    "relu": _relu_in_place,
    "tanh": _tanh_in_place,
}


# g'(Z) from A = g(Z), into a mask (relu, leaky_relu) or an array (tanh, sigmoid); then dA *= g'(Z).
def _relu_derivative(A: np.ndarray, mask: np.ndarray) -> None:
    np.greater(A, 0, out=mask)  # relu'(Z) = [Z > 0] = [A > 0]


def _times_relu_derivative(dA: np.ndarray, mask: np.ndarray) -> None:
    np.multiply(dA, mask, out=dA)


def _leaky_relu_derivative(A: np.ndarray, mask: np.ndarray) -> None:
    np.less_equal(A, 0, out=mask)  # [Z <= 0] = [A <= 0]: leaky_relu'(Z) = 0.01 there, 1 elsewhere


def _times_leaky_relu_derivative(dA: np.ndarray, mask: np.ndarray) -> None:
    np.multiply(dA, LEAKY_RELU_SLOPE, out=dA, where=mask)


def _tanh_derivative(A: np.ndarray, work: np.ndarray) -> None:
    np.multiply(A, A, out=work)
    np.subtract(1, work, out=work)  # tanh'(Z) = 1 - tanh(Z)² = 1 - A²


def _sigmoid_derivative(A: np.ndarray, work: np.ndarray) -> None:
    np.subtract(1, A, out=work)
    np.multiply(A, work, out=work)  # σ'(Z) = σ(Z) (1 - σ(Z)) = A (1 - A)


def _times_array(dA: np.ndarray, work: np.ndarray) -> None:
    np.multiply(dA, work, out=dA)


def _nothing(first: np.ndarray, second: np.ndarray) -> None:
    """linear: g'(Z) = 1, nothing to compute or multiply."""


_Kernel = Callable[[np.ndarray, np.ndarray], None]
_DERIVATIVES: dict[str, tuple[_Kernel, _Kernel]] = {
    "relu": (_relu_derivative, _times_relu_derivative),
    "leaky_relu": (_leaky_relu_derivative, _times_leaky_relu_derivative),
    "tanh": (_tanh_derivative, _times_array),
    "sigmoid": (_sigmoid_derivative, _times_array),
    "linear": (_nothing, _nothing),
}
