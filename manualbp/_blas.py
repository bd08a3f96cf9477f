"""C = α A B + β C: the one BLAS product ``numpy.matmul`` cannot express, from NumPy's own BLAS.

``np.matmul(A, B, out=C)`` always overwrites C (β = 0). The training step wants β = 1 twice:

* W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ: the gradient-descent update folded into the product that
  computes the gradient, so no dW[l] buffer is written and read back and no separate update pass
  runs over the parameters (what XLA does for JAX, by fusing the update into the product);
* Z[l] = W[l] A[l-1] + b[l]: b[l] is broadcast into Z[l] first, and the product adds onto it.

NumPy's wheels (NumPy ≥ 2) ship OpenBLAS as ``scipy-openblas64`` (64-bit integers), and its CBLAS
functions are exported as ``scipy_cblas_dgemm64_`` and ``scipy_cblas_sgemm64_``. This module finds
that library next to NumPy, binds the two functions with :mod:`ctypes` (stdlib) and checks them
once against ``np.matmul``. Nothing else is loaded: it is the BLAS that ``np.matmul`` already calls.
Where NumPy was built against another BLAS (conda's MKL, Apple's Accelerate, a distribution's
OpenBLAS), :func:`accumulating_gemm` returns None and the caller keeps its NumPy-only code path.
``MANUALBP_BLAS=numpy`` in the environment turns the direct calls off.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["accumulating_gemm", "available", "blas_ready"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS_ORDER and CBLAS_TRANSPOSE values
_SYMBOLS: dict[np.dtype[Any], str] = {
    np.dtype(np.float64): "scipy_cblas_dgemm64_",
    np.dtype(np.float32): "scipy_cblas_sgemm64_",
}
_SCALARS: dict[np.dtype[Any], type[ctypes.c_double] | type[ctypes.c_float]] = {
    np.dtype(np.float64): ctypes.c_double,
    np.dtype(np.float32): ctypes.c_float,
}

Call = Callable[[], None]


def _library_candidates() -> list[Path]:
    """Where NumPy's wheels keep their OpenBLAS: numpy.libs (Linux, Windows), numpy/.dylibs (macOS)."""
    numpy_dir = Path(np.__file__).resolve().parent
    folders = [numpy_dir.parent / "numpy.libs", numpy_dir / ".dylibs"]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*scipy_openblas64*"))


@functools.cache
def _gemm_functions() -> dict[np.dtype[Any], Any]:
    """{dtype: the bound ?gemm function} from NumPy's OpenBLAS, or {} where it cannot be used."""
    if os.environ.get("MANUALBP_BLAS", "").lower() in {"numpy", "off", "0"}:
        return {}
    for path in _library_candidates():
        try:
            library = ctypes.CDLL(str(path))
            functions = {dtype: _bind(library, symbol, dtype) for dtype, symbol in _SYMBOLS.items()}
        except (OSError, AttributeError):
            continue
        if all(_agrees_with_matmul(function, dtype) for dtype, function in functions.items()):
            return functions
    return {}


def _bind(library: ctypes.CDLL, symbol: str, dtype: np.dtype[Any]) -> Any:
    """cblas_?gemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), ILP64."""
    function = getattr(library, symbol)
    integer, scalar, pointer = ctypes.c_int64, _SCALARS[dtype], ctypes.c_void_p
    enum = ctypes.c_int
    function.argtypes = [enum, enum, enum, integer, integer, integer, scalar, pointer, integer]
    function.argtypes += [pointer, integer, scalar, pointer, integer]
    function.restype = None
    return function


def _agrees_with_matmul(function: Any, dtype: np.dtype[Any]) -> bool:
    """One small product with β = 1 and a transposed operand, against np.matmul."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 5)).astype(dtype)
    B = rng.standard_normal((4, 5)).astype(dtype).T  # transposed: exercises the flag
    C = rng.standard_normal((3, 4)).astype(dtype)
    expected = C - 0.5 * (A @ B)
    _prepared_call(function, -0.5, A, B, 1.0, C)()
    return bool(np.allclose(C, expected, rtol=1e-5, atol=1e-6))


def available(dtype: Any) -> bool:
    """True if :func:`accumulating_gemm` can run in this dtype (float32 or float64)."""
    return np.dtype(dtype) in _gemm_functions()


def _layout(array: np.ndarray) -> tuple[int, int] | None:
    """(CBLAS transpose flag, leading dimension) of a 2-D array for a row-major call, or None if
    BLAS cannot read it in place (no unit stride on either axis, negative or overlapping strides)."""
    if array.ndim != 2 or any(s < 0 or s % array.itemsize for s in array.strides):
        return None
    (rows, columns), (row_step, column_step) = array.shape, (s // array.itemsize for s in array.strides)
    if (column_step == 1 or columns == 1) and (rows == 1 or row_step >= columns):
        return _NO_TRANS, max(row_step if rows > 1 else columns, columns, 1)
    if (row_step == 1 or rows == 1) and (columns == 1 or column_step >= rows):
        return _TRANS, max(column_step if columns > 1 else rows, rows, 1)
    return None


def blas_ready(array: np.ndarray) -> bool:
    """True if BLAS can read ``array`` where it lies (a unit stride on one axis, no negative or
    overlapping strides): what :func:`accumulating_gemm` needs of each operand."""
    return _layout(array) is not None


def _operand(array: np.ndarray) -> tuple[int, int]:
    layout = _layout(array)
    if layout is None:
        raise ValueError(f"an operand of shape {array.shape} with strides {array.strides} is not BLAS-ready")
    return layout


def _prepared_call(
    function: Any, alpha: float, A: np.ndarray, B: np.ndarray, beta: float, C: np.ndarray
) -> Call:
    (M, K), (K_b, N) = A.shape, B.shape
    if K != K_b or C.shape != (M, N):
        raise ValueError(f"cannot compute C {C.shape} = A {A.shape} B {B.shape}")
    if not (A.dtype == B.dtype == C.dtype):
        raise TypeError(f"A, B and C must share a dtype, got {A.dtype}, {B.dtype}, {C.dtype}")
    transpose_c, ldc = _operand(C)
    if transpose_c != _NO_TRANS:
        raise ValueError("C must have unit stride along its rows")
    (transpose_a, lda), (transpose_b, ldb) = _operand(A), _operand(B)
    scalar = _SCALARS[C.dtype]
    # every argument is converted to C once, here; a call then costs one foreign-function call
    arguments = (
        _ROW_MAJOR, transpose_a, transpose_b, M, N, K, scalar(alpha),
        A.ctypes.data, lda, B.ctypes.data, ldb, scalar(beta), C.ctypes.data, ldc,
    )  # fmt: skip
    keep_alive = (A, B, C)  # the pointers above stay valid while the call exists

    def call() -> None:
        function(*arguments)

    call.operands = keep_alive  # type: ignore[attr-defined]
    return call


def accumulating_gemm(alpha: float, A: np.ndarray, B: np.ndarray, beta: float, C: np.ndarray) -> Call | None:
    """A call computing C = α A B + β C in place, on these very arrays, each time it runs; or None
    if NumPy's BLAS cannot be reached for C's dtype.

    A is (M, K), B is (K, N), C is (M, N), one float dtype; A and B may be transposed views (any
    2-D array with a unit stride on one axis), C needs a unit stride along its rows. The call holds
    the arrays' memory addresses: it must not outlive them, and they must not be reallocated.
    """
    function = _gemm_functions().get(np.dtype(C.dtype))
    if function is None:
        return None
    return _prepared_call(function, alpha, A, B, beta, C)
