"""The independent oracle: the cost J written again from its definition in ``jax.numpy``.

    J = -(1/m) Σ_units Σ_examples ( Y log A[L] + (1 - Y) log(1 - A[L]) )

with its own forward pass ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])`` over the same
parameters dict. Nothing here imports manualbp. Three ways to differentiate it:

* ``reverse``: ``jax.grad`` (reverse mode);
* ``forward``: ``jax.jacfwd`` (forward mode, one JVP per input coordinate);
* ``finite_difference``: float64 central differences over every coordinate,
  ``(J(θ + ε e_i) - J(θ - ε e_i)) / 2ε`` with ε = ``FD_STEP``.

Gradients follow DESIGN.md: ``dW[l] = ∂J/∂W[l]``, ``db[l] = ∂J/∂b[l]`` and ``dA[l] = m ∂J/∂A[l]``;
``dA[l]`` for l >= 1 is the derivative with respect to an additive perturbation P[l] of A[l] (taken at
P[l] = 0), and ``dA0 = m ∂J/∂X``.

float64 runs inside ``jax.enable_x64(True)`` (a scoped, thread-local switch), so the rest of the
process keeps JAX's float32 default; float32 inputs stay float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .tolerances import FD_STEP

__all__ = [
    "METHODS",
    "HIDDEN",
    "jax_cost",
    "cost_with_perturbations",
    "reference_gradients",
    "precision",
]

METHODS = ("reverse", "forward", "finite_difference")
_FD_CHUNK = 128


# --- activations, from their definitions --------------------------------------------------------


def _relu(Z: jax.Array) -> jax.Array:
    return jnp.where(Z > 0, Z, jnp.zeros_like(Z))  # g'(0) = 0, the course's convention


def _leaky_relu(Z: jax.Array) -> jax.Array:
    return jnp.where(Z > 0, Z, 0.01 * Z)


def _sigmoid(Z: jax.Array) -> jax.Array:
    return 0.5 * (1.0 + jnp.tanh(0.5 * Z))  # σ(z) = (1 + tanh(z/2)) / 2, finite everywhere


def _linear(Z: jax.Array) -> jax.Array:
    return Z


HIDDEN: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "tanh": jnp.tanh,
    "sigmoid": _sigmoid,
    "linear": _linear,
}


def softplus(x: jax.Array) -> jax.Array:
    """log(1 + e^x) = max(x, 0) + log(1 + e^(-|x|)), finite for every finite x."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def cross_entropy_terms(ZL: jax.Array, Y: jax.Array, output_activation: str) -> jax.Array:
    """Per-entry loss -(Y log A[L] + (1-Y) log(1-A[L])) with A[L] = g(Z[L]).

    For the sigmoid, log σ(z) = -softplus(-z) and log(1 - σ(z)) = -softplus(z): the stable
    log-sigmoid form, exact where σ saturates.
    """
    if output_activation == "sigmoid":
        return Y * softplus(-ZL) + (1.0 - Y) * softplus(ZL)
    AL = HIDDEN[output_activation](ZL)
    return -(Y * jnp.log(AL) + (1.0 - Y) * jnp.log(1.0 - AL))


# --- the cost -------------------------------------------------------------------------------------


def cost_with_perturbations(
    parameters: Mapping[str, jax.Array],
    X: jax.Array,
    Y: jax.Array,
    perturbations: Mapping[str, jax.Array],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> jax.Array:
    """J with A[l] replaced by A[l] + P[l] for every ``"P{l}"`` in ``perturbations`` (1 <= l < L)."""
    L = len(parameters) // 2
    g = HIDDEN[hidden_activation]
    A = X
    ZL = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        if l == L:
            ZL = Z
        else:
            A = g(Z)
            if f"P{l}" in perturbations:
                A = A + perturbations[f"P{l}"]
    m = X.shape[1]
    return jnp.sum(cross_entropy_terms(ZL, Y, output_activation)) / m


def jax_cost(
    parameters: Mapping[str, Any],
    X: Any,
    Y: Any,
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> jax.Array:
    """J = -(1/m) Σ (Y log A[L] + (1-Y) log(1-A[L])), its own forward pass, in ``jax.numpy``."""
    params = {k: jnp.asarray(v) for k, v in parameters.items()}
    return cost_with_perturbations(
        params, jnp.asarray(X), jnp.asarray(Y), {}, hidden_activation, output_activation
    )


@contextlib.contextmanager
def precision(dtype: np.dtype | str) -> Iterator[None]:
    """``jax.enable_x64(True)`` for float64 (scoped to the block and the thread), nothing for float32."""
    if np.dtype(dtype) == np.float64:
        with jax.enable_x64(True):
            yield
    else:
        yield


# --- the three oracles ----------------------------------------------------------------------------

Inputs = tuple[dict[str, jax.Array], jax.Array, dict[str, jax.Array]]


def _objective(hidden: str, output: str) -> Callable[[Inputs, jax.Array], jax.Array]:
    def objective(inputs: Inputs, Y: jax.Array) -> jax.Array:
        params, X, perturbations = inputs
        return cost_with_perturbations(params, X, Y, perturbations, hidden, output)

    return objective


@lru_cache(maxsize=64)
def _compiled(method: str, hidden: str, output: str) -> Callable[..., Any]:
    objective = _objective(hidden, output)
    if method == "reverse":
        return jax.jit(jax.grad(objective))
    if method == "forward":
        return jax.jit(jax.jacfwd(objective))
    raise ValueError(method)


Layout = tuple[tuple[str, tuple[int, ...]], ...]


def _flatten(inputs: Inputs) -> tuple[jax.Array, Layout]:
    """θ: every input of J in one vector (W1, b1, ..., X, P1, ...), and its static layout."""
    params, X, perturbations = inputs
    named = [*params.items(), ("X", X), *perturbations.items()]
    layout = tuple((name, tuple(int(s) for s in a.shape)) for name, a in named)
    return jnp.concatenate([jnp.ravel(a) for _, a in named]), layout


def _unflatten(theta: jax.Array, layout: Layout) -> Inputs:
    arrays: dict[str, jax.Array] = {}
    offset = 0
    for name, shape in layout:
        size = int(np.prod(shape))
        arrays[name] = theta[offset : offset + size].reshape(shape)
        offset += size
    params = {k: v for k, v in arrays.items() if k[0] in "Wb"}
    perturbations = {k: v for k, v in arrays.items() if k[0] == "P"}
    return params, arrays["X"], perturbations


@lru_cache(maxsize=16)
def _fd_chunk(hidden: str, output: str) -> Callable[..., Any]:
    objective = _objective(hidden, output)

    def chunk(theta: jax.Array, indices: jax.Array, Y: jax.Array, layout: Layout) -> jax.Array:
        def derivative(i: jax.Array) -> jax.Array:
            step = FD_STEP * jax.nn.one_hot(i, theta.shape[0], dtype=theta.dtype)
            plus = objective(_unflatten(theta + step, layout), Y)
            minus = objective(_unflatten(theta - step, layout), Y)
            return (plus - minus) / (2 * FD_STEP)

        return jax.vmap(derivative)(indices)

    return jax.jit(chunk, static_argnums=3)


def _to_jax(parameters: Mapping[str, np.ndarray], X: np.ndarray, dtype: np.dtype) -> Inputs:
    L = len(parameters) // 2
    params = {k: jnp.asarray(np.asarray(v, dtype=dtype)) for k, v in parameters.items()}
    Xj = jnp.asarray(np.asarray(X, dtype=dtype))
    m = Xj.shape[1]
    perturbations = {f"P{l}": jnp.zeros((params[f"W{l}"].shape[0], m), dtype=dtype) for l in range(1, L)}
    return params, Xj, perturbations


def _to_grads(tree: Inputs, m: int, L: int, dtype: np.dtype) -> dict[str, np.ndarray]:
    params, dX, dP = tree
    grads: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        grads[f"dW{l}"] = np.asarray(params[f"W{l}"]).astype(dtype)
        grads[f"db{l}"] = np.asarray(params[f"b{l}"]).astype(dtype)
    grads["dA0"] = (m * np.asarray(dX)).astype(dtype)
    for l in range(1, L):
        grads[f"dA{l}"] = (m * np.asarray(dP[f"P{l}"])).astype(dtype)
    return grads


def _check_parameters(parameters: Mapping[str, np.ndarray]) -> int:
    L = len(parameters) // 2
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L < 1 or set(parameters) != expected:
        raise KeyError(f"parameters must have keys W1, b1, ..., WL, bL; got {sorted(parameters)}")
    return L


def reference_gradients(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    *,
    method: str = "reverse",
) -> dict[str, np.ndarray]:
    """The true gradients of J, keys ``dW1..dWL, db1..dbL, dA0..dA(L-1)``, as NumPy arrays.

    ``method`` is ``"reverse"`` (jax.grad), ``"forward"`` (jax.jacfwd) or ``"finite_difference"``
    (float64 central differences over every coordinate). Reverse and forward results have the
    dtype of X; finite differences are always computed and returned in float64.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if hidden_activation not in HIDDEN or output_activation not in HIDDEN:
        raise ValueError(f"unknown activation: {hidden_activation!r} / {output_activation!r}")
    L = _check_parameters(parameters)
    dtype = np.dtype(np.asarray(X).dtype)
    if dtype not in (np.float32, np.float64):
        dtype = np.dtype(np.float64)
    if method == "finite_difference":
        dtype = np.dtype(np.float64)
    m = int(np.asarray(X).shape[1])
    with precision(dtype):
        inputs = _to_jax(parameters, X, dtype)
        Yj = jnp.asarray(np.asarray(Y, dtype=dtype))
        if method == "finite_difference":
            theta, layout = _flatten(inputs)
            n = int(theta.shape[0])
            chunk = _fd_chunk(hidden_activation, output_activation)
            parts = []
            for start in range(0, n, _FD_CHUNK):
                indices = np.arange(start, start + _FD_CHUNK) % n  # fixed chunk: one compilation
                parts.append(np.asarray(chunk(theta, jnp.asarray(indices), Yj, layout)))
            flat = np.concatenate(parts)[:n]
            tree = _unflatten(jnp.asarray(flat), layout)
        else:
            tree = _compiled(method, hidden_activation, output_activation)(inputs, Yj)
        return _to_grads(tree, m, L, dtype)
