"""Throughput of the verification sweep: ``manualbp verify`` timed as a user runs it."""

from __future__ import annotations

import importlib.util
import json
import re
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


# the timing line that ``manualbp verify`` prints (its own count: architectures × dtypes, in-process)
_TIMING_LINE = re.compile(r"^(\d+) architectures in ([\d.]+) s \(([\d.]+) architectures/s\)(.*)$", re.M)


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
    data: dict[str, Any] | None = json.loads(report.read_text()) if report.exists() else None
    line = _TIMING_LINE.search(completed.stdout)
    if data is not None and line is not None:
        data["_printed_timing"] = {
            "runs": int(line.group(1)),
            "seconds": float(line.group(2)),
            "runs_per_second": float(line.group(3)),
            "line": line.group(0).strip(),
        }
    return seconds, completed.returncode, data


def sweep_throughput(small: int = 10, large: int = 60, seed: int = 0, repeats: int = 2) -> dict[str, Any]:
    """Run the default sweep (``large`` architectures, both dtypes, every oracle) and a short one,
    each ``repeats`` times, keeping the fastest.

    ``architectures_per_second`` is the default run's architectures over its wall time, process
    start, JAX import and compilation included; an architecture counts once and is checked in
    float64 and in float32 by reverse mode, forward mode and finite differences (the report of
    ``manualbp verify`` lists it twice, once per dtype). The marginal rate
    ``(large - small) / (t_large - t_small)`` leaves out the fixed start-up cost.
    """
    if not verify_available():
        return {"available": False, "reason": "manualbp verify is not built (verification.verify_command)"}
    runs: dict[int, list[tuple[float, int, dict[str, Any] | None]]] = {small: [], large: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for n in (small, large):
                runs[n].append(_run_verify(n, seed, Path(tmp)))
    t_small, code_small, _ = min(runs[small], key=lambda run: run[0])
    t_large, code_large, data = min(runs[large], key=lambda run: run[0])
    summary = data.get("summary", {}) if isinstance(data, dict) else {}
    return {
        "available": True,
        "architectures": large,
        "dtypes": ["float64", "float32"],
        "seconds": t_large,
        "exit_code": code_large,
        "verdict": data.get("verdict") if isinstance(data, dict) else None,
        "reported_architecture_runs": summary.get("architectures"),
        "reported_checks": summary.get("checks"),
        "architectures_per_second": large / t_large,
        "short_run": {"architectures": small, "seconds": t_small, "exit_code": code_small},
        "fixed_seconds": max(0.0, t_small - small * (t_large - t_small) / (large - small)),
        "marginal_architectures_per_second": (
            (large - small) / (t_large - t_small) if t_large > t_small else None
        ),
        # what ``manualbp verify`` itself prints: architecture-dtype runs over its in-process time
        "verify_printed": data.get("_printed_timing") if isinstance(data, dict) else None,
    }
