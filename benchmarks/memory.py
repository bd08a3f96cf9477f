"""Peak memory of one manualbp step (tracemalloc, which NumPy reports its buffers to)."""

from __future__ import annotations

import tracemalloc
from typing import Any

from .implementations import ManualbpKernelStep, ManualbpStep, Problem


def reference_bytes(problem: Problem) -> dict[str, int]:
    """Bytes of the parameters, of their gradients, and of the caches Z[l], A[l] for l = 1..L."""
    itemsize = problem.dtype.itemsize
    parameters = sum(a.size for a in problem.parameters.values()) * itemsize
    caches = sum(2 * n * problem.m for n in problem.dims[1:]) * itemsize
    return {"parameters": parameters, "gradients": parameters, "caches": caches}


def step_memory(problem: Problem, steps: int = 1000) -> dict[str, Any]:
    """Peak bytes traced while building the step and running its first step (its own copy of the
    parameters, gradient and cache buffers, temporaries), then while running one more, then the
    growth of the bytes held between step 10 and step ``steps``.

    The ratio compares the first step's peak with parameters + gradients + caches. The kernels'
    step (new arrays every call) is measured too; its parameters exist before the step, so they
    are added to its peak.
    """
    reference = reference_bytes(problem)
    total = sum(reference.values())
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step = ManualbpStep(problem)
        step.step()
        first_peak = tracemalloc.get_traced_memory()[1] - base

        tracemalloc.reset_peak()
        base_warm = tracemalloc.get_traced_memory()[0]
        step.step()
        warm_peak = tracemalloc.get_traced_memory()[1] - base_warm

        for _ in range(8):
            step.step()
        held_early = tracemalloc.get_traced_memory()[0]
        for _ in range(steps - 10):
            step.step()
        held_late = tracemalloc.get_traced_memory()[0]

        kernels = ManualbpKernelStep(problem)
        tracemalloc.reset_peak()
        base_kernels = tracemalloc.get_traced_memory()[0]
        kernels.step()
        kernel_peak = tracemalloc.get_traced_memory()[1] - base_kernels + reference["parameters"]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return {
        "problem": problem.label,
        "reference_bytes": reference,
        "reference_total": total,
        "first_step_peak": first_peak,
        "first_step_ratio": first_peak / total,
        "later_step_peak": warm_peak,
        "growth_bytes": held_late - held_early,
        "growth_steps": steps - 10,
        "kernels_step_peak": kernel_peak,
        "kernels_step_ratio": kernel_peak / total,
    }
