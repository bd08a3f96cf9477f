"""The matrix products of one manualbp step (the BLAS floor), FLOP counts and matmul peaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from manualbp.training import _TrainingStep

from .implementations import torch_module

PEAK_SIZE = 1024


def step_matmuls(step: _TrainingStep) -> list[tuple[str, Callable[[], None], int]]:
    """Exactly the products :meth:`_TrainingStep.backward_and_update` and ``forward`` execute, on the
    step's own arrays, with the same shapes, transposes and output buffers: ``(equation, call, flops)``.

    A product of (M, K) by (K, N) counts 2 M K N FLOPs. W[1]ᵀ dZ[1] (= dA[0]) is not computed, so not
    counted; db[l] is a product with a column of ones (2 n[l] m). With n[l] = 1, W[l]ᵀ dZ[l] is an
    outer product and the step (and so this list) computes it by element-wise multiplication.
    """
    L, W, A, dZ = step.L, step.W, step.A, step.dZ  # dZ[l] (and dA[l]): the step's buffers
    outputs = [*A[1:], step.ZL]  # Z[l] for l = 1..L
    products: list[tuple[str, Callable[[], None], int]] = []

    def add(label: str, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        flops = 2 * a.shape[0] * a.shape[1] * b.shape[1]
        # the step computes an outer product (K = 1) by element-wise multiplication
        product = np.multiply if a.shape[1] == 1 and b.shape[0] == 1 else np.matmul

        def call() -> None:
            product(a, b, out=out)

        products.append((label, call, flops))

    for l in range(1, L + 1):
        add(f"W[{l}] A[{l - 1}]", W[l], A[l - 1], outputs[l - 1])
    for l in range(L, 0, -1):
        add(f"dZ[{l}] A[{l - 1}]ᵀ", dZ[l], A[l - 1].T, step.rate_dW[l])
        add(f"dZ[{l}] 1", dZ[l], step.ones, step.rate_db[l])
        if l > 1:
            add(f"W[{l}]ᵀ dZ[{l}]", W[l].T, dZ[l], dZ[l - 1])
    return products


def step_flops(dims: list[int], m: int) -> int:
    """FLOPs of the step's matrix products (see :func:`step_matmuls`)."""
    total = 0
    for l in range(1, len(dims)):
        n, n_prev = dims[l], dims[l - 1]
        total += 2 * n * n_prev * m * 2 + 2 * n * m  # W A, dZ Aᵀ, dZ 1
        if l > 1:
            total += 2 * n * n_prev * m  # Wᵀ dZ
    return total


def floor_function(step: _TrainingStep) -> Callable[[], None]:
    """All of the step's matrix products, one after the other, and nothing else."""
    calls = [call for _, call, _ in step_matmuls(step)]

    def run() -> None:
        for call in calls:
            call()

    return run


def torch_floor_function(step: _TrainingStep) -> Callable[[], None] | None:
    """The same products as :func:`floor_function`, by PyTorch's BLAS (MKL) on the same memory
    (``torch.from_numpy`` shares it), or None without PyTorch: the share of a gap that is BLAS."""
    torch = torch_module()
    if torch is None:
        return None
    L, W, A, dZ = step.L, step.W, step.A, step.dZ
    outputs = [*A[1:], step.ZL]
    triples: list[tuple[Any, Any, Any, Any]] = []

    def add(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        product = torch.mul if a.shape[1] == 1 and b.shape[0] == 1 else torch.matmul
        triples.append((product, torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)))

    for l in range(1, L + 1):
        add(W[l], A[l - 1], outputs[l - 1])
    for l in range(L, 0, -1):
        add(dZ[l], A[l - 1].T, step.rate_dW[l])
        add(dZ[l], step.ones, step.rate_db[l])
        if l > 1:
            add(W[l].T, dZ[l], dZ[l - 1])

    def run() -> None:
        for product, a, b, out in triples:
            product(a, b, out=out)

    return run


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
