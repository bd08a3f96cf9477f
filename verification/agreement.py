"""Agreement metrics of DESIGN.md: the course's relative difference and the element-wise error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tolerances import Tolerance

__all__ = ["GradientComparison", "relative_difference", "max_elementwise_error", "compare"]


@dataclass(frozen=True)
class GradientComparison:
    """One gradient array of manualbp (``got``) against one oracle (``expected``)."""

    name: str
    relative_difference: float
    max_elementwise_error: float
    passed: bool
    shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    max_abs_difference: float = 0.0


def _as64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """‖a−b‖ / (‖a‖ + ‖b‖) in float64 (Frobenius norms); 0.0 when both are zero; inf if not finite."""
    a, b = _as64(a), _as64(b)
    if a.shape != b.shape:
        return float("inf")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    denominator = float(np.linalg.norm(a) + np.linalg.norm(b))
    if denominator == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b)) / denominator


def max_elementwise_error(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> float:
    """max |a−b| / (atol + rtol·|b|): at most 1 when every entry is within tolerance (b is the oracle)."""
    a, b = _as64(a), _as64(b)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    error = np.abs(a - b) / (tol.atol + tol.rtol * np.abs(b))
    if not np.isfinite(error).all():
        return float("inf")
    return float(error.max())


def compare(name: str, got: np.ndarray, expected: np.ndarray, tol: Tolerance) -> GradientComparison:
    """Compare one gradient array; a shape mismatch or a NaN/inf fails.

    Same numbers as :func:`relative_difference` and :func:`max_elementwise_error`, computed in one
    pass (the sweep makes ~10,000 comparisons).
    """
    got_arr, expected_arr = np.asarray(got), np.asarray(expected)
    shape = tuple(int(s) for s in got_arr.shape)
    expected_shape = tuple(int(s) for s in expected_arr.shape)
    if shape != expected_shape:
        inf = float("inf")
        return GradientComparison(name, inf, inf, False, shape, expected_shape, inf)
    a, b = _as64(got_arr).ravel(), _as64(expected_arr).ravel()
    difference = a - b
    if a.size == 0:
        return GradientComparison(name, 0.0, 0.0, True, shape, expected_shape, 0.0)
    if not np.isfinite(difference).all():
        inf = float("inf")
        return GradientComparison(name, inf, inf, False, shape, expected_shape, inf)
    absolute = np.abs(difference)
    denominator = float(np.sqrt(a @ a) + np.sqrt(b @ b))
    relative = float(np.sqrt(difference @ difference)) / denominator if denominator else 0.0
    elementwise = float((absolute / (tol.atol + tol.rtol * np.abs(b))).max())
    max_abs = float(absolute.max())
    passed = elementwise <= 1.0 and (relative <= tol.max_relative_difference or max_abs <= tol.atol)
    return GradientComparison(name, relative, elementwise, bool(passed), shape, expected_shape, max_abs)
