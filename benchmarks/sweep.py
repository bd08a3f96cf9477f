"""Throughput of the verification sweep: ``manualbp verify`` timed as a user runs it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def verify_available() -> bool:
    """True once ``verification.verify_command`` exists (it is built separately)."""
    try:
        return importlib.util.find_spec("verification.verify_command") is not None
    except ImportError:
        return False


def _run_verify(architectures: int, seed: int, workdir: Path) -> tuple[float, int, dict[str, Any] | None]:
    out = workdir / f"n{architectures}"
    report = out / "verify.json"
    command = [
        sys.executable,
        "-m",
        "manualbp.cli",
        "verify",
        "--architectures",
        str(architectures),
        "--seed",
        str(seed),
        "--dtype",
        "both",
        "--out",
        str(out),
        "--json",
        str(report),
    ]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    data = json.loads(report.read_text()) if report.exists() else None
    return seconds, completed.returncode, data


def sweep_throughput(small: int = 10, large: int = 60, seed: int = 0) -> dict[str, Any]:
    """Run the default sweep (``large`` architectures, both dtypes, every oracle) and a short one.

    ``architectures_per_second`` is the default run's architectures over its wall time, process
    start and JAX import included; each architecture counts once and is checked in float64 and
    float32 by reverse mode, forward mode and finite differences. The marginal rate
    ``(large - small) / (t_large - t_small)`` leaves out the fixed start-up cost.
    """
    if not verify_available():
        return {
            "available": False,
            "reason": "manualbp verify is not built yet (verification.verify_command)",
        }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t_small, code_small, _ = _run_verify(small, seed, workdir)
        t_large, code_large, data = _run_verify(large, seed, workdir)
    result: dict[str, Any] = {
        "available": True,
        "architectures": large,
        "dtypes": ["float64", "float32"],
        "seconds": t_large,
        "exit_code": code_large,
        "architectures_per_second": large / t_large,
        "short_run": {"architectures": small, "seconds": t_small, "exit_code": code_small},
        "marginal_architectures_per_second": (
            (large - small) / (t_large - t_small) if t_large > t_small else None
        ),
    }
    if isinstance(data, dict):
        result["report_keys"] = sorted(data)[:20]
        for key in ("verdict", "summary", "timing", "timings", "seconds"):
            if key in data:
                result[f"report_{key}"] = data[key]
    return result
