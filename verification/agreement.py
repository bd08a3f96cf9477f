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
    """Compare one gradient array; a shape mismatch or a NaN/inf fails."""
    got_arr, expected_arr = np.asarray(got), np.asarray(expected)
    relative = relative_difference(got_arr, expected_arr)
    elementwise = max_elementwise_error(got_arr, expected_arr, tol)
    same_shape = got_arr.shape == expected_arr.shape
    if same_shape and got_arr.size:
        max_abs = float(np.max(np.abs(_as64(got_arr) - _as64(expected_arr))))
        if not np.isfinite(max_abs):
            max_abs = float("inf")
    else:
        max_abs = 0.0 if same_shape else float("inf")
    passed = (
        same_shape and elementwise <= 1.0 and (relative <= tol.max_relative_difference or max_abs <= tol.atol)
    )
    return GradientComparison(
        name=name,
        relative_difference=relative,
        max_elementwise_error=elementwise,
        passed=bool(passed),
        shape=tuple(int(s) for s in got_arr.shape),
        expected_shape=tuple(int(s) for s in expected_arr.shape),
        max_abs_difference=max_abs,
    )
