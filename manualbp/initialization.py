"""Parameter initialisation: W[l] of shape (n[l], n[l-1]) and b[l] = 0 of shape (n[l], 1).

| method         | W[l]                                   |
|----------------|----------------------------------------|
| ``zeros``      | 0 (every hidden unit stays identical: the symmetry problem) |
| ``small_random``| randn(n[l], n[l-1]) × scale (scale = 0.01, the course's default) |
| ``he``         | randn(n[l], n[l-1]) × √(2 / n[l-1])     |
| ``xavier``     | randn(n[l], n[l-1]) × √(1 / n[l-1])     |

Random draws are made in float64 and then cast, so one seed gives the same network (up to
rounding) in float32 and float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .errors import DomainError, DTypeMismatchError, UnknownInitializationError
from .validation import SUPPORTED_DTYPES, check_layer_dims

__all__ = ["INITIALIZATIONS", "initialize_parameters", "make_rng", "weight_scale"]

RngLike = np.random.Generator | int | np.integer[Any] | None


def make_rng(rng: RngLike = None) -> np.random.Generator:
    """A Generator from a Generator (used as is), a seed, or None (fresh OS entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise DomainError(f"a seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an integer seed or None, got {rng!r}")


def _zeros(n_prev: int, scale: float) -> float:
    return 0.0


def _small_random(n_prev: int, scale: float) -> float:
    return scale


def _he(n_prev: int, scale: float) -> float:
    return float(np.sqrt(2.0 / n_prev))


def _xavier(n_prev: int, scale: float) -> float:
    return float(np.sqrt(1.0 / n_prev))


INITIALIZATIONS: dict[str, Callable[[int, float], float]] = {
    "zeros": _zeros,
    "small_random": _small_random,
    "he": _he,
    "xavier": _xavier,
}


def weight_scale(method: str, n_prev: int, scale: float = 0.01) -> float:
    """The factor multiplying randn for W[l] given n[l-1]: 0, scale, √(2/n[l-1]) or √(1/n[l-1])."""
    try:
        factor = INITIALIZATIONS[method]
    except (KeyError, TypeError):
        known = ", ".join(INITIALIZATIONS)
        raise UnknownInitializationError(
            f"unknown initialisation {method!r}; known methods: {known}"
        ) from None
    return factor(n_prev, scale)


def _checked_scale(scale: float) -> float:
    """``scale`` must be a finite real number >= 0 (a NaN would give NaN weights, silently)."""
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer, np.floating)):
        raise TypeError(f"scale must be a real number, got {scale!r}")
    if not math.isfinite(scale) or scale < 0:
        raise DomainError(f"scale must be finite and >= 0, got {scale}")
    return float(scale)


def initialize_parameters(
    layer_dims: Sequence[int],
    method: str = "small_random",
    *,
    rng: RngLike = None,
    seed: int | None = None,
    dtype: DTypeLike = np.float64,
    scale: float = 0.01,
) -> dict[str, np.ndarray]:
    """Parameters ``{"W1", "b1", ..., "WL", "bL"}`` for ``layer_dims = [n[0], ..., n[L]]``.

    ``W[l] = randn(n[l], n[l-1]) × factor`` (see the module table), ``b[l] = zeros(n[l], 1)``.
    Give ``rng`` (a Generator or a seed) or ``seed``, not both; neither means fresh entropy.
    """
    dims = check_layer_dims(layer_dims)
    factors = [weight_scale(method, n_prev, _checked_scale(scale)) for n_prev in dims[:-1]]
    target = np.dtype(dtype)
    if target not in SUPPORTED_DTYPES:
        raise DTypeMismatchError(f"dtype must be float32 or float64, got {target}")
    if seed is not None and rng is not None:
        raise TypeError("give rng or seed, not both")
    generator = make_rng(seed if seed is not None else rng)
    parameters: dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        shape = (dims[l], dims[l - 1])
        if factors[l - 1] == 0.0:
            W = np.zeros(shape, dtype=target)
        else:
            W = (generator.standard_normal(shape) * factors[l - 1]).astype(target, copy=False)
        parameters[f"W{l}"] = W
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=target)
    return parameters
