"""The agreement metrics and the tolerance table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from verification.agreement import compare, max_elementwise_error, relative_difference
from verification.tolerances import DTYPES, ORACLES, TOLERANCES, Tolerance, tolerance_for

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
matrices = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=finite)


def test_relative_difference_of_the_course() -> None:
    a, b = np.array([3.0, 4.0]), np.array([0.0, 0.0])
    assert relative_difference(a, b) == 1.0  # ‖a‖/(‖a‖ + 0)
    assert relative_difference(b, b) == 0.0  # both zero: 0, not NaN
    assert relative_difference(a, a) == 0.0
    assert relative_difference(a, -a) == 1.0
    assert relative_difference(np.ones((2, 3)), np.ones((3, 2))) == np.inf  # transposed
    assert relative_difference(np.array([np.nan]), np.array([1.0])) == np.inf


@given(matrices, matrices, st.floats(1e-3, 1e3))
def test_relative_difference_is_symmetric_bounded_and_scale_free(
    a: np.ndarray, b: np.ndarray, s: float
) -> None:
    if a.shape != b.shape:
        b = np.resize(b, a.shape)
    r = relative_difference(a, b)
    assert 0.0 <= r <= 1.0 + 1e-12
    assert r == pytest.approx(relative_difference(b, a))
    assert relative_difference(s * a, s * b) == pytest.approx(r, rel=1e-9, abs=1e-12)


def test_max_elementwise_error_is_in_units_of_tolerance() -> None:
    tol = Tolerance(rtol=0.1, atol=1.0, max_relative_difference=1.0, reason="test")
    expected = np.array([10.0, 0.0])
    assert max_elementwise_error(np.array([12.0, 0.0]), expected, tol) == pytest.approx(1.0)  # 2/(1+1)
    assert max_elementwise_error(np.array([10.0, 0.5]), expected, tol) == pytest.approx(0.5)
    assert max_elementwise_error(np.ones(3), np.ones(2), tol) == np.inf


def test_compare_reports_shapes_and_fails_mismatches() -> None:
    tol = tolerance_for("float64", "reverse")
    good = compare("dW1", np.ones((2, 3)), np.ones((2, 3)), tol)
    assert good.passed and good.shape == (2, 3) == good.expected_shape
    transposed = compare("dW1", np.ones((3, 2)), np.ones((2, 3)), tol)
    assert not transposed.passed and transposed.shape == (3, 2) and transposed.expected_shape == (2, 3)
    assert not compare("db1", np.ones(2), np.ones((2, 1)), tol).passed  # lost keepdims
    assert not compare("db1", np.full((2, 1), np.inf), np.ones((2, 1)), tol).passed


def test_near_zero_gradients_pass_on_atol_but_not_beyond() -> None:
    tol = tolerance_for("float32", "reverse")
    tiny = np.array([1e-9, -2e-9])
    assert compare(
        "db1", tiny, np.array([3e-9, 1e-9]), tol
    ).passed  # both ≈ 0: relative difference meaningless
    assert not compare("db1", tiny + 1e-3, np.array([3e-9, 1e-9]), tol).passed


def test_every_dtype_and_oracle_has_a_reasoned_tolerance() -> None:
    assert set(TOLERANCES) == {(d, o) for d in DTYPES for o in ORACLES}
    for (dtype, oracle), tol in TOLERANCES.items():
        assert tol.reason and tol.rtol > 0 and tol.atol > 0 and 0 < tol.max_relative_difference < 1e-3
        assert tolerance_for(np.dtype(dtype), oracle) is tol
    # finite differences get a looser bound than the exact modes, float32 looser than float64
    assert tolerance_for("float64", "finite_difference").rtol > tolerance_for("float64", "reverse").rtol
    assert tolerance_for("float32", "reverse").rtol > tolerance_for("float64", "reverse").rtol
    with pytest.raises(ValueError, match="no tolerance"):
        tolerance_for("float16", "reverse")
