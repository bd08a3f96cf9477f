"""Input checks shared by every public function.

Each check raises one of :mod:`manualbp.errors` with a message in course notation. The checks are
cheap (one pass over an array at most) and are run once per public call; :func:`manualbp.train`
runs them once per training run, not once per step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import (
    DomainError,
    DTypeMismatchError,
    EmptyBatchError,
    KeysError,
    LabelError,
    LayerSizeError,
    NonFiniteError,
    ShapeError,
)

SUPPORTED_DTYPES: tuple[np.dtype[Any], ...] = (np.dtype(np.float32), np.dtype(np.float64))

Dim = int | str  # an expected size, or a symbol such as "m" when any size is allowed


def format_shape(shape: Iterable[Dim]) -> str:
    """``(1, 4)`` for a 2-D shape, ``(4,)`` for a 1-D one, as NumPy prints them."""
    items = [str(s) for s in shape]
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def check_array(name: str, array: object) -> np.ndarray:
    """``array`` must be a NumPy array of float32 or float64 (no silent conversion)."""
    if not isinstance(array, np.ndarray):
        raise DTypeMismatchError(
            f"{name} must be a numpy array of float32 or float64, got {type(array).__name__}"
        )
    if array.dtype not in SUPPORTED_DTYPES:
        raise DTypeMismatchError(f"{name} must be float32 or float64, got {array.dtype}")
    return array


def check_shape(name: str, array: np.ndarray, notation: str, expected: Sequence[Dim], hint: str = "") -> None:
    """Raise ShapeError unless ``array.shape`` matches ``expected`` (str entries match anything).

    ``check_shape("W2", W2, "(n[2], n[1])", (1, 4))`` reports
    ``W2 must be (n[2], n[1]) = (1, 4), got (4, 1)``.
    """
    fits = array.ndim == len(expected) and all(
        isinstance(e, str) or e == s for e, s in zip(expected, array.shape, strict=True)
    )
    if not fits:
        raise ShapeError(
            f"{name} must be {notation} = {format_shape(expected)}, got {format_shape(array.shape)}"
            + (f" ({hint})" if hint else "")
        )


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise NonFiniteError, naming the first bad entry, if ``array`` holds NaN or inf."""
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))
        first = tuple(int(i) for i in bad[0])
        raise NonFiniteError(
            f"{name} holds {len(bad)} non-finite value(s) (NaN or inf); the first is "
            f"{name}[{', '.join(map(str, first))}] = {array[first]}"
        )


def check_batch_size(m: int) -> None:
    """There must be at least one example: m >= 1."""
    if m < 1:
        raise EmptyBatchError("the batch is empty: m = 0 examples (X must be (n[0], m) with m >= 1)")


def check_same_dtype(arrays: Mapping[str, np.ndarray]) -> np.dtype[Any]:
    """All arrays share one dtype; return it. Mixed float32/float64 is an error, not an upcast."""
    dtypes = {name: a.dtype for name, a in arrays.items()}
    distinct = set(dtypes.values())
    if len(distinct) > 1:
        listing = ", ".join(f"{name}: {dt}" for name, dt in dtypes.items())
        raise DTypeMismatchError(f"all arrays must share one dtype (float32 or float64), got {listing}")
    return next(iter(distinct))


def check_labels(Y: object, dtype: np.dtype[Any], expected: Sequence[Dim]) -> np.ndarray:
    """Y must be ``(n[L], m)`` with values in {0, 1}; returned in ``dtype`` (exact for 0 and 1).

    Labels may be bool, integer or float: the course's data sets store them as integers.
    """
    if not isinstance(Y, np.ndarray):
        raise DTypeMismatchError(f"Y must be a numpy array, got {type(Y).__name__}")
    if Y.dtype.kind not in "biuf":
        raise DTypeMismatchError(f"Y must hold numbers 0 and 1, got dtype {Y.dtype}")
    check_shape("Y", Y, "(n[L], m)", expected)
    valid = (Y == 0) | (Y == 1)
    if not valid.all():
        bad = np.unique(Y[~valid])[:5]
        raise LabelError(f"Y must hold only 0 and 1, got {bad.tolist()}")
    return Y if Y.dtype == dtype else Y.astype(dtype)


def check_layer_dims(layer_dims: object) -> list[int]:
    """``layer_dims = [n[0], n[1], ..., n[L]]``: at least two positive integers."""
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Iterable):
        raise LayerSizeError(f"layer_dims must be a list [n[0], ..., n[L]], got {layer_dims!r}")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise LayerSizeError(f"layer_dims must list at least n[0] and n[1] (L >= 1 layer), got {dims}")
    for index, n in enumerate(dims):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise LayerSizeError(f"n[{index}] must be an integer, got {n!r} in {dims}")
        if n < 1:
            raise LayerSizeError(f"n[{index}] must be positive, got {n} in {dims}")
    return [int(n) for n in dims]


_PARAMETER_KEY = re.compile(r"^([Wb])([1-9][0-9]*)$")


def layer_count(parameters: Mapping[str, object]) -> int:
    """L for a parameters dict that must hold exactly ``W1, b1, ..., WL, bL``."""
    if not isinstance(parameters, Mapping):
        raise KeysError(f"parameters must be a dict {{'W1', 'b1', ...}}, got {type(parameters)}")
    layers = [int(m.group(2)) for k in parameters if (m := _PARAMETER_KEY.match(str(k)))]
    L = max(layers, default=0)
    if L == 0:
        raise KeysError(f"parameters must hold W1, b1, ..., WL, bL; got keys {sorted(parameters)}")
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    _check_keys("parameters", set(map(str, parameters)), expected)
    return L


def check_gradient_keys(grads: Mapping[str, object], L: int) -> None:
    """grads holds ``dW1, db1, ..., dWL, dbL`` and optionally ``dA0 .. dA(L-1)``, nothing else."""
    if not isinstance(grads, Mapping):
        raise KeysError(f"grads must be a dict {{'dW1', 'db1', ...}}, got {type(grads)}")
    required = {f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    optional = {f"dA{l}" for l in range(L)}
    _check_keys("grads", set(map(str, grads)), required, optional)


def _check_keys(
    what: str, keys: set[str], required: set[str], optional: frozenset[str] | set[str] = frozenset()
) -> None:
    missing = sorted(required - keys, key=_natural)
    extra = sorted(keys - required - set(optional), key=_natural)
    if missing or extra:
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
        raise KeysError(f"{what} has " + " and ".join(p for p in parts if p))


def _natural(key: str) -> tuple[str, int]:
    match = re.match(r"^(\D*)(\d*)$", key)
    if match is None:  # pragma: no cover - the pattern matches every string
        return key, 0
    return match.group(1), int(match.group(2) or 0)


def check_parameters(
    parameters: Mapping[str, object], n0: int | None = None
) -> tuple[int, list[int], np.dtype[Any]]:
    """Check a parameters dict; return ``(L, [n[0], ..., n[L]], dtype)``.

    ``W[l]`` must be ``(n[l], n[l-1])`` and ``b[l]`` must be ``(n[l], 1)``, all finite, all one
    dtype. n[l] is read from ``b[l]`` when it is a column (so a transposed ``W[l]`` is reported as
    such) and from ``W[l]`` otherwise; n[0] from ``X`` when given.
    """
    L = layer_count(parameters)
    arrays = {key: check_array(key, parameters[key]) for key in _ordered_keys(L)}
    dims = [n0 if n0 is not None else _first_dim(arrays["W1"], axis=1)]
    for l in range(1, L + 1):
        W, b = arrays[f"W{l}"], arrays[f"b{l}"]
        n = b.shape[0] if b.ndim == 2 and b.shape[1] == 1 else _first_dim(W, axis=0)
        hint = f"n[0] = {n0} is the number of rows of X" if l == 1 and n0 is not None else ""
        check_shape(f"W{l}", W, f"(n[{l}], n[{l - 1}])", (n, dims[l - 1]), hint)
        check_shape(f"b{l}", b, f"(n[{l}], 1)", (n, 1))
        dims.append(n)
    for key, array in arrays.items():
        check_finite(key, array)
    dtype = check_same_dtype(arrays)
    return L, dims, dtype


def _ordered_keys(L: int) -> list[str]:
    return [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]


def _first_dim(array: np.ndarray, axis: int) -> int:
    return int(array.shape[axis]) if array.ndim > axis else 0


def check_input(X: object, n0: int | None = None) -> np.ndarray:
    """X = A[0] must be a finite float array ``(n[0], m)`` with m >= 1."""
    X = check_array("X", X)
    check_shape("X", X, "(n[0], m)", (n0 if n0 is not None else "n[0]", "m"))
    check_batch_size(X.shape[1])
    check_finite("X", X)
    return X


def check_probabilities(name: str, AL: np.ndarray, *, open_interval: bool) -> None:
    """AL must lie in [0, 1] (or (0, 1) where a formula divides by AL and 1 - AL)."""
    # 1/AL overflows below the smallest normal number (σ(-100) is subnormal in float32).
    smallest = np.finfo(AL.dtype).tiny
    if open_interval and not ((AL >= smallest) & (AL < 1)).all():
        raise DomainError(
            f"{name} must lie strictly between 0 and 1 for dAL = -(Y/AL) + (1-Y)/(1-AL); it holds "
            "0 or 1, or a value too close to 0 for 1/AL to be finite (a saturated sigmoid). "
            "Use the fused dZL = AL - Y (fused=True) instead."
        )
    if not ((AL >= 0) & (AL <= 1)).all():
        raise DomainError(f"{name} must hold probabilities in [0, 1] for the cross-entropy cost")
