"""manualbp._blas: C = α A B + β C from NumPy's own BLAS, and the fused step's use of it."""

from __future__ import annotations

import numpy as np
import pytest

import manualbp as mb
from manualbp import _blas, _step

needs_blas = pytest.mark.skipif(
    not (_blas.available(np.float64) and _blas.available(np.float32)),
    reason="NumPy's BLAS cannot be called directly here (NumPy built on another BLAS)",
)
DTYPES = [np.float64, np.float32]


def _operands(layout: str, rng: np.random.Generator, dtype) -> tuple[np.ndarray, np.ndarray]:
    """A (5, 7) and B (7, 4) in several memory layouts BLAS can read in place."""
    A = rng.standard_normal((5, 7)).astype(dtype)
    B = rng.standard_normal((7, 4)).astype(dtype)
    if layout == "transposed":  # Fortran-ordered: the transpose of a C-ordered array
        A, B = np.asfortranarray(A), np.asfortranarray(B)
    elif layout == "row-strided":  # a slice of wider arrays: leading dimension > number of columns
        A = np.pad(A, ((0, 0), (0, 3)))[:, :7]
        B = np.pad(B, ((0, 0), (0, 2)))[:, :4]
    elif layout == "transposed views":
        A = rng.standard_normal((7, 5)).astype(dtype).T
        B = rng.standard_normal((4, 7)).astype(dtype).T
    return A, B


@needs_blas
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["c", "transposed", "row-strided", "transposed views"])
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (-1.0, 1.0), (0.5, 0.0), (2.0, -0.5)])
def test_accumulating_gemm_is_alpha_A_B_plus_beta_C(dtype, layout, alpha, beta):
    rng = np.random.default_rng(0)
    A, B = _operands(layout, rng, dtype)
    C = rng.standard_normal((5, 4)).astype(dtype)
    expected = alpha * (A.astype(np.float64) @ B.astype(np.float64)) + beta * C
    call = _blas.accumulating_gemm(alpha, A, B, beta, C)
    assert call is not None
    call()
    np.testing.assert_allclose(C, expected, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5)
    call()  # each run accumulates again, on the same arrays
    expected = alpha * (A.astype(np.float64) @ B.astype(np.float64)) + beta * expected
    np.testing.assert_allclose(C, expected, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-4)


@needs_blas
def test_vectors_and_a_column_of_ones():
    """db[l] = db[l] - dZ[l] 1: N = 1 products with a (m, 1) column, as the fused step runs them."""
    rng = np.random.default_rng(1)
    dZ = rng.standard_normal((3, 6))
    ones = np.ones((2, 6))[-1].reshape(6, 1)  # a row of a buffer, as a column
    b = rng.standard_normal((3, 1))
    expected = b - dZ.sum(axis=1, keepdims=True)
    call = _blas.accumulating_gemm(-1.0, dZ, ones, 1.0, b)
    assert call is not None
    call()
    np.testing.assert_allclose(b, expected, rtol=1e-14)


def test_blas_ready_accepts_in_place_layouts_and_refuses_the_rest():
    X = np.zeros((6, 8))
    assert _blas.blas_ready(X) and _blas.blas_ready(X.T) and _blas.blas_ready(X[:, :5])
    assert _blas.blas_ready(X[:1]) and _blas.blas_ready(X[:, :1])
    assert not _blas.blas_ready(X[::-1])  # negative strides
    assert not _blas.blas_ready(X[:, ::-1])
    assert not _blas.blas_ready(X[::2, ::2])  # no unit stride
    overlapping = np.lib.stride_tricks.as_strided(X, shape=(4, 5), strides=(16, 8))
    assert not _blas.blas_ready(overlapping)


@needs_blas
def test_bad_operands_raise_instead_of_computing_garbage():
    A, B, C = np.zeros((2, 3)), np.zeros((3, 4)), np.zeros((2, 4))
    with pytest.raises(ValueError, match="cannot compute"):
        _blas.accumulating_gemm(1.0, A, B, 1.0, np.zeros((4, 2)))
    with pytest.raises(TypeError, match="share a dtype"):
        _blas.accumulating_gemm(1.0, A.astype(np.float32), B, 1.0, C)
    with pytest.raises(ValueError, match="not BLAS-ready"):
        _blas.accumulating_gemm(1.0, np.zeros((2, 6))[:, ::2], B, 1.0, C)
    with pytest.raises(ValueError, match="unit stride along its rows"):
        _blas.accumulating_gemm(1.0, A, B, 1.0, np.zeros((4, 2)).T)


def test_the_environment_variable_turns_the_direct_calls_off(monkeypatch):
    monkeypatch.setenv("MANUALBP_BLAS", "numpy")
    _blas._gemm_functions.cache_clear()
    try:
        assert not _blas.available(np.float64)
        assert _blas.accumulating_gemm(1.0, np.zeros((1, 1)), np.zeros((1, 1)), 1.0, np.zeros((1, 1))) is None
        X, Y = np.ones((3, 4)), np.array([[0.0, 1.0, 1.0, 0.0]])
        monkeypatch.setattr(_step, "FUSED_MIN_WORK", 0)
        step = _step.make_training_step(
            X, Y, mb.initialize_parameters([3, 2, 1], rng=0), 2, mb.get_activation("relu"), 0.1
        )
        assert isinstance(step, _step.NumPyStep)  # the NumPy-only path, not an error
    finally:
        monkeypatch.delenv("MANUALBP_BLAS")
        _blas._gemm_functions.cache_clear()


@needs_blas
@pytest.mark.parametrize(
    ("make_X", "fused"),
    [
        (np.ascontiguousarray, True),
        (np.asfortranarray, True),
        (lambda X: np.pad(X, ((0, 0), (0, 5)))[:, :-5], True),  # a slice of a wider array
        (lambda X: np.ascontiguousarray(X[::-1])[::-1], False),  # negative strides: NumPy step
    ],
    ids=["C order", "Fortran order", "row-strided", "negative strides"],
)
def test_train_uses_X_where_it_lies_and_agrees_with_the_kernels(monkeypatch, make_X, fused):
    monkeypatch.setattr(_step, "FUSED_MIN_WORK", 0)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 12))
    Y = (X[:1] + X[1:2] > 0).astype(np.float64)
    X_layout = make_X(X)
    np.testing.assert_array_equal(X_layout, X)
    step = _step.make_training_step(
        X_layout, Y, mb.initialize_parameters([5, 4, 1], rng=0), 2, mb.get_activation("tanh"), 0.1
    )
    assert isinstance(step, _step.FusedStep) == fused
    result = mb.train(
        X_layout, Y, [5, 4, 1], learning_rate=0.5, num_iterations=30, rng=0, hidden_activation="tanh"
    )
    params = mb.initialize_parameters([5, 4, 1], "he", rng=0)
    for _ in range(30):
        AL, caches = mb.model_forward(X, params, "tanh")
        params = mb.update_parameters(params, mb.model_backward(AL, Y, caches, "tanh"), 0.5)
    for key, value in params.items():
        np.testing.assert_allclose(result.parameters[key], value, rtol=1e-10, atol=1e-13)
