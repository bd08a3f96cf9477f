"""Shared test set-up: a headless plotting backend and hypothesis profiles."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from hypothesis import HealthCheck, settings

# Examples are cheap NumPy calls, but the first JAX call per shape compiles: no per-example deadline.
settings.register_profile(
    "default", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(params=["numpy-step", "fused-step"])
def step_arrangement(request, monkeypatch):
    """Run a test of ``train`` once with each arrangement of the training step (manualbp._step):
    the NumPy step, and the fused step that calls NumPy's BLAS with β = 1 (skipped where that BLAS
    cannot be reached). Sizes decide between them in ``train``; here the threshold is forced."""
    import numpy as np

    from manualbp import _blas, _step

    if request.param == "fused-step":
        if not (_blas.available(np.float64) and _blas.available(np.float32)):
            pytest.skip("NumPy's BLAS cannot be called directly here")
        monkeypatch.setattr(_step, "FUSED_MIN_WORK", 0)
    else:
        monkeypatch.setattr(_step, "FUSED_MIN_WORK", 1 << 62)
    return request.param
