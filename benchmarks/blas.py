"""The matrix products of one manualbp step (the BLAS floor), FLOP counts and matmul peaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from manualbp._blas import accumulating_gemm
from manualbp._step import FusedStep, NumPyStep, TrainingStep

from .implementations import torch_module

PEAK_SIZE = 1024


@dataclass(frozen=True)
class Product:
    """One matrix product of the step: ``out = a b`` or, accumulating, ``out = out + alpha a b``."""

    label: str
    a: np.ndarray
    b: np.ndarray
    out: np.ndarray
    accumulate: bool = False
    alpha: float = 1.0

    @property
    def flops(self) -> int:
        """2 M K N for (M, K) by (K, N); the M N additions of an accumulating product are not counted."""
        return 2 * self.a.shape[0] * self.a.shape[1] * self.b.shape[1]

    @property
    def outer(self) -> bool:
        """K = 1: the step computes it by element-wise multiplication, not BLAS."""
        return self.a.shape[1] == 1 and self.b.shape[0] == 1


def step_products(step: TrainingStep) -> list[Product]:
    """Exactly the products the step's ``forward`` and ``backward_and_update`` execute, on the step's
    own arrays, with the same shapes, transposes, output buffers and β.

    W[1]ᵀ dZ[1] (= dA[0]) is not computed, so not listed; db[l] is a product with a column of ones.
    With n[l] = 1, W[l]ᵀ dZ[l] is an outer product, computed by element-wise multiplication.
    The fused step (:class:`manualbp._step.FusedStep`) adds its hidden layers' products onto
    Z[l] = b[l] and its gradient products onto W[l] and b[l] (the update), scaled by -1.
    """
    L, W, b, A, dZ = step.L, step.W, step.b, step.A, step.dZ
    outputs = [*A[1:], step.ZL]  # Z[l] for l = 1..L
    fused = isinstance(step, FusedStep)
    products = [
        Product(f"W[{l}] A[{l - 1}]", W[l], A[l - 1], outputs[l - 1], fused and l < L)
        for l in range(1, L + 1)
    ]
    for l in range(L, 0, -1):
        if fused:
            products.append(Product(f"W[{l}] - dZ[{l}] A[{l - 1}]ᵀ", dZ[l], A[l - 1].T, W[l], True, -1.0))
            products.append(Product(f"b[{l}] - dZ[{l}] 1", dZ[l], step.ones, b[l], True, -1.0))
        else:
            assert isinstance(step, NumPyStep)
            products.append(Product(f"dZ[{l}] A[{l - 1}]ᵀ", dZ[l], A[l - 1].T, step.rate_dW[l]))
            products.append(Product(f"dZ[{l}] 1", dZ[l], step.ones, step.rate_db[l]))
        if l > 1:
            dA_prev = _fused_dA(step, l - 1) if isinstance(step, FusedStep) else dZ[l - 1]
            products.append(Product(f"W[{l}]ᵀ dZ[{l}]", W[l].T, dZ[l], dA_prev))
    return products


def _fused_dA(step: FusedStep, layer: int) -> np.ndarray:
    """The fused step's dA[layer] buffer: the front of its scratch, shaped (n[layer], m)."""
    return step.dA_scratch[: step.dims[layer] * step.m].reshape(step.dims[layer], step.m)


def floor_products(step: TrainingStep) -> list[Product]:
    """:func:`step_products`, each writing to a private copy of its output (same shape, dtype and
    memory layout). Run again and again, they then leave the step's arrays, which are also their
    inputs, as the step left them: the values stay realistic (in place, Z[l] = W[l] A[l-1] + Z[l]
    and W[l] = W[l] - dZ[l] A[l-1]ᵀ would feed on each other and overflow within seconds)."""
    return [replace(product, out=product.out.copy()) for product in step_products(step)]


def step_matmuls(step: TrainingStep) -> list[tuple[str, Callable[[], None], int]]:
    """``(equation, call, flops)`` of each of :func:`floor_products`, run by NumPy (and its BLAS)."""
    return [(product.label, _numpy_call(product), product.flops) for product in floor_products(step)]


def _numpy_call(product: Product) -> Callable[[], None]:
    if product.accumulate:
        call = accumulating_gemm(product.alpha, product.a, product.b, 1.0, product.out)
        if call is None:  # pragma: no cover - a fused step exists only where the call does
            raise RuntimeError("NumPy's BLAS cannot be called directly")
        return call
    function = np.multiply if product.outer else np.matmul
    return partial(function, product.a, product.b, out=product.out)


def step_flops(dims: list[int], m: int) -> int:
    """FLOPs of the step's matrix products (see :func:`step_products`)."""
    total = 0
    for l in range(1, len(dims)):
        n, n_prev = dims[l], dims[l - 1]
        total += 2 * n * n_prev * m * 2 + 2 * n * m  # W A, dZ Aᵀ, dZ 1
        if l > 1:
            total += 2 * n * n_prev * m  # Wᵀ dZ
    return total


def floor_function(step: TrainingStep) -> Callable[[], None]:
    """All of the step's matrix products, one after the other, and nothing else."""
    calls = [call for _, call, _ in step_matmuls(step)]

    def run() -> None:
        for call in calls:
            call()

    return run


def torch_floor_function(step: TrainingStep) -> Callable[[], None] | None:
    """The same products as :func:`floor_function`, by PyTorch's BLAS (MKL) on the same inputs
    (``torch.from_numpy`` shares their memory) and private outputs (``addmm_`` where the step
    accumulates), or None without PyTorch: the share of a gap that is BLAS."""
    torch = torch_module()
    if torch is None:
        return None
    calls = [_torch_call(torch, product) for product in floor_products(step)]

    def run() -> None:
        for call in calls:
            call()

    return run


def _torch_call(torch: Any, product: Product) -> Callable[[], None]:
    a, b, out = (torch.from_numpy(array) for array in (product.a, product.b, product.out))
    if product.accumulate:
        return partial(out.addmm_, a, b, alpha=product.alpha)
    return partial(torch.mul if product.outer else torch.matmul, a, b, out=out)


def _best(function: Callable[[], Any], repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peaks(size: int = PEAK_SIZE, repeats: int = 7) -> dict[str, dict[str, float | None]]:
    """GFLOP/s of one (size × size) by (size × size) product: NumPy, PyTorch, JAX; both dtypes."""
    flops = 2 * size**3
    rng = np.random.default_rng(0)
    torch = torch_module()
    peaks: dict[str, dict[str, float | None]] = {"numpy": {}, "torch": {}, "jax": {}}
    for dtype in ("float64", "float32"):
        a = rng.standard_normal((size, size)).astype(dtype)
        b = rng.standard_normal((size, size)).astype(dtype)
        out = np.empty_like(a)
        peaks["numpy"][dtype] = flops / _best(partial(np.matmul, a, b, out=out), repeats) / 1e9
        peaks["jax"][dtype] = _jax_peak(a, b, flops, repeats)
        if torch is None:
            peaks["torch"][dtype] = None
            continue
        ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        tout = torch.empty_like(ta)
        seconds = _best(partial(torch.matmul, ta, tb, out=tout), repeats)
        peaks["torch"][dtype] = flops / seconds / 1e9
    return peaks


def _jax_peak(a: np.ndarray, b: np.ndarray, flops: int, repeats: int) -> float:
    """GFLOP/s of ``jax.jit(jnp.matmul)`` (XLA's CPU dot), in a's dtype (x64 on for float64)."""
    import jax
    import jax.numpy as jnp

    from .implementations import jax_precision

    with jax_precision(a.dtype):
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        product = jax.jit(jnp.matmul)

        def run() -> None:
            product(ja, jb).block_until_ready()

        return flops / _best(run, repeats) / 1e9


def blas_libraries() -> dict[str, str]:
    """Which BLAS each library calls (NumPy: its build config; PyTorch: its config string)."""
    libraries: dict[str, str] = {}
    try:
        config: Any = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        libraries["numpy"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config varies between NumPy versions
        libraries["numpy"] = "unknown"
    torch = torch_module()
    if torch is not None:
        config_text = str(torch.__config__.show())
        libraries["torch"] = "MKL" if "MKL" in config_text or "mkl" in config_text else "see torch.__config__"
    else:
        libraries["torch"] = "not installed"
    return libraries
