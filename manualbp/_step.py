"""One iteration of batch gradient descent, in buffers allocated once per call to ``train``.

Unchecked: ``train`` checks X, Y and the parameters before building a step. The equations are the
kernels' (see :mod:`manualbp.model`), arranged so that a step allocates nothing and makes few
NumPy calls. Two arrangements share everything but the products:

* :class:`NumPyStep` computes α dW[l], α db[l] with ``np.matmul`` into a flat buffer dθ shaped like
  θ, and the update of every layer is the single subtraction θ = θ - α dθ.
* :class:`FusedStep` folds the update into the product that computes the gradient,
  W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ, and the bias into the forward product, Z[l] = W[l] A[l-1] + b[l]
  onto a broadcast b[l], by calling NumPy's own BLAS with β = 1 (:mod:`manualbp._blas`). No dW[l]
  is ever written and read back, and there is no update pass over the parameters.

:func:`make_training_step` picks the fused step where NumPy's BLAS can be called directly and the
products are large enough for the call's fixed cost not to matter, the NumPy step otherwise.

Shared by both:

* W[l] and b[l] are views into one flat vector θ = (W1, b1, ..., WL, bL).
* The factor α/m is applied once, to dZ[L]. Every later dA[l], dZ[l] is linear in dZ[L], so it
  carries the same factor, and the products give α dW[l] and α db[l] directly.
* A hidden A[l] = g(Z[l]) overwrites Z[l]. g'(Z[l]) is still the derivative at Z[l], evaluated
  from A[l]: relu'(Z) = [Z > 0] = [A > 0], tanh'(Z) = 1 - tanh(Z)² = 1 - A², σ'(Z) = A (1 - A),
  leaky_relu'(Z) = 1 or 0.01 as A > 0 or not (the same values the kernels compute from Z).
* db[l] = (1/m) Σ_i dZ[l](:, i) is a matrix product with a column of ones.
* The output layer works from T = log(1 + e^(-Z[L])) = -log σ(Z[L]) (``np.logaddexp``, stable):
  A[L] = e^(-T) and J = (1/m) Σ ((1 - Y) Z[L] + T), one dot product.
* With n[l] = 1, W[l]ᵀ dZ[l] is an outer product: element-wise multiplication, not BLAS.
* Element-wise passes over a layer go by blocks of rows that stay in cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _blas
from .activations import LEAKY_RELU_SLOPE, Activation

Parameters = dict[str, np.ndarray]
Kernel = Callable[[np.ndarray, np.ndarray], None]

# The fused step pays ~1 µs of foreign-function call per product; below this many multiply-adds
# in its largest product (n[l] n[l-1] m) the NumPy step's fewer, cheaper calls win (measured: at
# [20, 7, 5, 1], m = 64, the fused step is slower; at [784, 256, 128, 1], m = 256, 5-10% faster).
FUSED_MIN_WORK = 1 << 18
_BLOCK_BYTES = 256 * 1024  # a block of rows for element-wise passes: well inside L2


class TrainingStep:
    """θ and its views, the forward buffers and the output layer, common to both arrangements."""

    fused = False

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
        self.theta = np.empty(parameter_count(dims), dtype)  # θ = (W1, b1, ..., WL, bL)
        self.W, self.b = layer_views(self.theta, dims)  # index l holds layer l; index 0 is unused
        self.parameters: Parameters = {}
        for l in range(1, L + 1):
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
        # A[L] and then dZ[L] = A[L] - Y share a buffer; dZ[l] of a hidden layer takes over A[l]'s
        self.AL = np.empty((nL, m), dtype)
        self.dZ = [X[:0], *self.A[1:], self.AL]
        self._activate = _IN_PLACE_ACTIVATIONS.get(hidden.name, _activate_by_copy(hidden))
        self._prepare()

    def _prepare(self) -> None:  # pragma: no cover - each arrangement has its own
        """The arrangement's own buffers and prepared calls."""
        raise NotImplementedError

    def forward(self) -> float:  # pragma: no cover - each arrangement has its own
        raise NotImplementedError

    def backward_and_update(self) -> None:  # pragma: no cover - each arrangement has its own
        raise NotImplementedError

    def _output_forward(self) -> float:
        """Z[L] = W[L] A[L-1] + b[L], A[L] = σ(Z[L]) and J (from Z[L], stable); returns J."""
        ZL, T = self.ZL, self.T
        np.matmul(self.W[self.L], self.A[self.L - 1], out=ZL)  # Z[L] = W[L] A[L-1] + b[L]
        np.add(ZL, self.b[self.L], out=ZL)
        np.negative(ZL, out=T)
        np.logaddexp(0, T, out=T)  # T = log(1 + e^(-Z[L])) = -log σ(Z[L]), never overflows
        np.negative(T, out=self.AL)
        np.exp(self.AL, out=self.AL)  # A[L] = σ(Z[L]) = e^(-T)
        # J = -(1/m) Σ (Y log A[L] + (1-Y) log(1-A[L])) = (1/m) Σ ((1-Y) Z[L] + T)
        return float(np.vdot(self.cost_weights, self.output)) / self.m

    def _output_backward(self) -> np.ndarray:
        """(α/m) dZ[L], in the buffer of A[L]."""
        dZ = self.dZ[self.L]
        np.subtract(self.AL, self.Y, out=dZ)  # dZ[L] = A[L] - Y (sigmoid output, cross-entropy)
        np.multiply(dZ, self.scale, out=dZ)  # times α/m, once for every layer below
        return dZ


class NumPyStep(TrainingStep):
    """Every product by ``np.matmul``: α dW[l], α db[l] into dθ, then θ = θ - α dθ in one pass.

    Once g'(Z[l]) and dW[l+1] are computed, dA[l] and dZ[l] take over the buffer of A[l].
    """

    def _prepare(self) -> None:
        X, L, hidden = self.X, self.L, self.hidden
        dims, m = self.dims, self.m
        self.step = np.empty_like(self.theta)  # α dθ = (α dW1, α db1, ..., α dWL, α dbL)
        self.rate_dW, self.rate_db = layer_views(self.step, dims)
        # g'(Z[l]) of a hidden layer: a mask (relu, leaky_relu) or an array (tanh, sigmoid)
        hidden_size = max(dims[1:L], default=0) * m
        self.mask = np.empty(hidden_size if hidden.name in ("relu", "leaky_relu") else 0, dtype=bool)
        self.scratch = np.empty(hidden_size if hidden.name in ("tanh", "sigmoid") else 0, X.dtype)
        self._derivative, self._times_derivative = _DERIVATIVES[hidden.name]
        self._forward_layers = [
            (self.W[l], self.A[l - 1], self.A[l], row_blocks(self.A[l], self.b[l])) for l in range(1, L)
        ]
        g_prime_buffer = self.mask if self.mask.size else self.scratch
        self._backward_layers = [
            (
                self.dZ[l],
                row_blocks(self.A[l - 1], _view(g_prime_buffer, (dims[l - 1], m))),
                self.A[l - 1].T,
                self.rate_dW[l],
                self.rate_db[l],
                self.W[l].T,
                outer_or_matmul(dims[l]),
                self.dZ[l - 1],
                _view(g_prime_buffer, (dims[l - 1], m)),
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
        return self._output_forward()

    def backward_and_update(self) -> None:
        """Backward propagation from the last :meth:`forward`, and W[l] -= α dW[l], b[l] -= α db[l]."""
        self._output_backward()
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


class FusedStep(TrainingStep):
    """The bias and the update folded into BLAS products with β = 1 (NumPy's own BLAS).

    Backward, layer l: dA[l-1] = W[l]ᵀ dZ[l] goes to a scratch buffer first (it needs W[l] before
    its update), then W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ and b[l] = b[l] - (α/m) dZ[l] 1 in place,
    and last dZ[l-1] = dA[l-1] * g'(Z[l-1]) overwrites A[l-1], whose last use was that update.
    """

    fused = True

    def _prepare(self) -> None:
        X, L, hidden = self.X, self.L, self.hidden
        dims, m = self.dims, self.m
        self.dA_scratch = np.empty(max(dims[1:L], default=0) * m, X.dtype)
        self._times_derivative = _FUSED_DERIVATIVES[hidden.name]
        W, b, A, dZ, ones = self.W, self.b, self.A, self.dZ, self.ones
        # forward, hidden layers: Z[l] = b[l] (broadcast), then Z[l] = W[l] A[l-1] + Z[l]
        self.forward_products = [_gemm(1, W[l], A[l - 1], 1, A[l]) for l in range(1, L)]
        # backward, every layer: W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ; b[l] = b[l] - (α/m) dZ[l] 1
        self.update_products = [
            (_gemm(-1, dZ[l], A[l - 1].T, 1, W[l]), _gemm(-1, dZ[l], ones, 1, b[l])) for l in range(1, L + 1)
        ]
        self._forward_layers = [
            (self.b[l], A[l], self.forward_products[l - 1], _rows(A[l])) for l in range(1, L)
        ]
        self._backward_layers = []
        for l in range(L, 1, -1):
            dA_prev = _view(self.dA_scratch, (dims[l - 1], m))
            update_W, update_b = self.update_products[l - 1]
            blocks = row_blocks(A[l - 1], dA_prev)  # dZ[l-1] is computed in A[l-1]'s buffer
            self._backward_layers.append(
                (dZ[l], W[l].T, outer_or_matmul(dims[l]), dA_prev, update_W, update_b, blocks)
            )

    def forward(self) -> float:
        """Forward propagation and the cost J (from Z[L], stable); returns J."""
        activate = self._activate
        for b, Z, product, rows in self._forward_layers:
            np.copyto(Z, b)  # Z[l] = b[l], broadcast over the m columns ...
            product()  # ... + W[l] A[l-1] (BLAS, β = 1)
            for Z_rows in rows:
                activate(Z_rows)  # A[l] = g(Z[l]), in place
        return self._output_forward()

    def backward_and_update(self) -> None:
        """Backward propagation from the last :meth:`forward`, with W[l] -= α dW[l], b[l] -= α db[l]
        done by the products that compute them."""
        self._output_backward()
        times_derivative = self._times_derivative
        for dZ, W_T, product, dA_prev, update_W, update_b, blocks in self._backward_layers:
            product(W_T, dZ, out=dA_prev)  # dA[l-1] = W[l]ᵀ dZ[l], with W[l] before its update
            update_W()  # W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ
            update_b()  # b[l] = b[l] - (α/m) Σ_i dZ[l](:, i)
            for A_rows, dA_rows in blocks:
                times_derivative(A_rows, dA_rows)  # dZ[l-1] = dA[l-1] * g'(Z[l-1]), into A[l-1]
        update_W, update_b = self.update_products[0]
        update_W()  # W[1] = W[1] - (α/m) dZ[1] A[0]ᵀ
        update_b()  # b[1] = b[1] - (α/m) Σ_i dZ[1](:, i)


def make_training_step(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    L: int,
    hidden: Activation,
    learning_rate: float,
    *,
    fused: bool | None = None,
) -> TrainingStep:
    """The fused step if NumPy's BLAS is reachable, can read X where it lies, and the largest
    product has at least :data:`FUSED_MIN_WORK` multiply-adds (``fused=None``), or as asked."""
    if fused is None:
        dims = [X.shape[0]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]
        work = max(n * n_prev for n, n_prev in zip(dims[1:], dims[:-1], strict=True)) * X.shape[1]
        # X is the user's array, used where it lies: the fused step needs BLAS to read it in place
        fused = work >= FUSED_MIN_WORK and _blas.available(X.dtype) and _blas.blas_ready(X)
    step_class = FusedStep if fused else NumPyStep
    return step_class(X, Y, parameters, L, hidden, learning_rate)


# --- layout helpers ------------------------------------------------------------------------------


def parameter_count(dims: list[int]) -> int:
    """Entries of θ = (W1, b1, ..., WL, bL): Σ_l n[l] (n[l-1] + 1)."""
    return sum(n * (n_prev + 1) for n, n_prev in zip(dims[1:], dims[:-1], strict=True))


def layer_views(flat: np.ndarray, dims: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """[W1..WL], [b1..bL] as (n[l], n[l-1]) and (n[l], 1) views into ``flat``; index 0 is empty."""
    W, b, start = [flat[:0]], [flat[:0]], 0
    for n, n_prev in zip(dims[1:], dims[:-1], strict=True):
        W.append(flat[start : start + n * n_prev].reshape(n, n_prev))
        b.append(flat[start + n * n_prev : start + n * (n_prev + 1)].reshape(n, 1))
        start += n * (n_prev + 1)
    return W, b


def row_blocks(Z: np.ndarray, other: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(Z[rows], other[rows]) by blocks of about _BLOCK_BYTES of Z (one block for small layers)."""
    return [(Z[i : i + rows], other[i : i + rows]) for i, rows in _row_starts(Z)]


def _rows(Z: np.ndarray) -> list[np.ndarray]:
    """Z[rows] by blocks of about _BLOCK_BYTES."""
    return [Z[i : i + rows] for i, rows in _row_starts(Z)]


def _row_starts(Z: np.ndarray) -> list[tuple[int, int]]:
    rows = max(1, _BLOCK_BYTES // max(1, Z.shape[1] * Z.itemsize))
    return [(i, rows) for i in range(0, Z.shape[0], rows)]


def _view(buffer: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The first elements of a flat buffer as an array of ``shape`` (the buffer itself if empty)."""
    return buffer[: shape[0] * shape[1]].reshape(shape) if buffer.size else buffer


def outer_or_matmul(n: int) -> Callable[..., Any]:
    """W[l]ᵀ dZ[l] with n[l] = 1 (a sigmoid output unit) is an outer product, which element-wise
    multiplication computes exactly and much faster than BLAS at K = 1."""
    return np.multiply if n == 1 else np.matmul


def _gemm(alpha: float, A: np.ndarray, B: np.ndarray, beta: float, C: np.ndarray) -> Callable[[], None]:
    call = _blas.accumulating_gemm(alpha, A, B, beta, C)
    if call is None:
        raise RuntimeError(f"NumPy's BLAS cannot be called directly for {C.dtype}: use NumPyStep")
    return call


# --- activations in place ------------------------------------------------------------------------


# A[l] = g(Z[l]) in the buffer of Z[l].
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


# NumPyStep: g'(Z) from A = g(Z), into a mask (relu, leaky_relu) or an array (tanh, sigmoid);
# then dA *= g'(Z).
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


_DERIVATIVES: dict[str, tuple[Kernel, Kernel]] = {
    "relu": (_relu_derivative, _times_relu_derivative),
    "leaky_relu": (_leaky_relu_derivative, _times_leaky_relu_derivative),
    "tanh": (_tanh_derivative, _times_array),
    "sigmoid": (_sigmoid_derivative, _times_array),
    "linear": (_nothing, _nothing),
}


# FusedStep: dZ = dA * g'(Z) into the buffer of A = g(Z), g'(Z) evaluated from A: (A, dA) -> None.
def _fused_relu(A: np.ndarray, dA: np.ndarray) -> None:
    np.greater(A, 0, out=A)  # relu'(Z) = [Z > 0] = [A > 0], as 0.0 or 1.0
    np.multiply(A, dA, out=A)  # dZ = dA * relu'(Z)


def _fused_leaky_relu(A: np.ndarray, dA: np.ndarray) -> None:
    np.greater(A, 0, out=A)  # [A > 0] = [Z > 0], as 0.0 or 1.0
    np.maximum(A, LEAKY_RELU_SLOPE, out=A)  # leaky_relu'(Z) = 1 where Z > 0, else 0.01
    np.multiply(A, dA, out=A)  # dZ = dA * leaky_relu'(Z)


def _fused_tanh(A: np.ndarray, dA: np.ndarray) -> None:
    np.multiply(A, A, out=A)
    np.subtract(1, A, out=A)  # tanh'(Z) = 1 - A²
    np.multiply(A, dA, out=A)  # dZ = dA * tanh'(Z)


def _fused_sigmoid(A: np.ndarray, dA: np.ndarray) -> None:
    np.multiply(dA, A, out=dA)  # dA * A
    np.subtract(1, A, out=A)  # 1 - A
    np.multiply(A, dA, out=A)  # dZ = dA * A (1 - A) = dA * σ'(Z)


def _fused_linear(A: np.ndarray, dA: np.ndarray) -> None:
    np.copyto(A, dA)  # linear'(Z) = 1: dZ = dA


_FUSED_DERIVATIVES: dict[str, Kernel] = {
    "relu": _fused_relu,
    "leaky_relu": _fused_leaky_relu,
    "tanh": _fused_tanh,
    "sigmoid": _fused_sigmoid,
    "linear": _fused_linear,
}
