"""``manualbp bench``: manualbp's training step against JAX and PyTorch, every ratio from one run.

Writes ``bench.json``, ``bench.md`` and ``scaling.png`` to ``args.out`` and prints the tables.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .blas import blas_libraries, floor_function, matmul_peaks, step_flops, torch_floor_function
from .implementations import ManualbpStep, Step, make_problem, make_steps, torch_version, x64_enabled
from .memory import step_memory
from .report import write_reports
from .sweep import sweep_throughput
from .timing import time_interleaved


@dataclass(frozen=True)
class Network:
    name: str
    dims: tuple[int, ...]
    m: int


NETWORKS = (
    Network("tiny", (4, 3, 1), 8),
    Network("small", (20, 7, 5, 1), 64),
    Network("cat", (12288, 20, 7, 5, 1), 209),
    Network("medium", (784, 256, 128, 1), 256),
    Network("large", (1024, 1024, 1024, 1), 512),
)
FLOOR_NETWORKS = ("medium", "large")  # where the step should sit at the BLAS floor
SMALL_NETWORKS = ("tiny", "small")  # where manualbp should beat PyTorch outright
IMPLEMENTATIONS = ["manualbp", "manualbp_kernels", "manualbp_checked", "jax", "torch"]
# which thread pool each implementation runs on (see timing.SWITCH_PAUSE)
FAMILIES = {
    "manualbp": "numpy",
    "manualbp_kernels": "numpy",
    "manualbp_checked": "numpy",
    "blas_floor": "numpy",
    "torch_blas_floor": "torch",
    "jax": "jax",
    "torch": "torch",
}
TARGETS = {"jax": 1.0, "torch_small": 1.0, "torch_other": 1.15, "floor": 1.10, "memory": 1.5, "sweep": 20.0}


@dataclass(frozen=True)
class Settings:
    quick: bool
    networks: tuple[Network, ...]
    dtypes: tuple[str, ...]
    hiddens: tuple[str, ...]
    target: float  # seconds per timing round and implementation
    rounds: int
    width_sweep: tuple[int, ...]
    batch_sweep: tuple[int, ...]
    memory_networks: tuple[str, ...]
    memory_steps: int
    pause: float  # seconds of rest when the timing switches library


FULL = Settings(
    quick=False,
    networks=NETWORKS,
    dtypes=("float64", "float32"),
    hiddens=("relu", "tanh"),
    target=0.03,
    rounds=11,  # best of 11: two runs of 7 differed by up to 15% on the medium network
    width_sweep=(32, 64, 128, 256, 512, 1024),
    batch_sweep=(16, 64, 256, 1024, 4096),
    memory_networks=("tiny", "small", "cat", "medium", "large"),
    memory_steps=1000,
    pause=0.1,
)
QUICK = Settings(
    quick=True,
    networks=NETWORKS[:2],
    dtypes=("float64",),
    hiddens=("relu",),
    target=0.002,
    rounds=3,
    width_sweep=(8, 32),
    batch_sweep=(8, 64),
    memory_networks=("tiny", "small"),
    memory_steps=50,
    pause=0.0,
)


def _progress(enabled: bool) -> Callable[[str], None]:
    def show(message: str) -> None:
        if enabled:
            print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)

    return show


def measure_steps(settings: Settings, show: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every network × dtype × hidden activation: each implementation's step, and the BLAS floor."""
    rows: list[dict[str, Any]] = []
    for network in settings.networks:
        for dtype in settings.dtypes:
            for hidden in settings.hiddens:
                show(f"step: {network.name} {dtype} {hidden}")
                problem = make_problem(network.name, list(network.dims), network.m, dtype, hidden)
                steps = make_steps(problem, IMPLEMENTATIONS)
                functions: dict[str, Callable[[], None]] = {name: s.step for name, s in steps.items()}
                floor_step = ManualbpStep(problem)
                floor_step.step()  # realistic values in the buffers
                functions["blas_floor"] = floor_function(floor_step._step)
                torch_floor_step = ManualbpStep(problem)
                torch_floor_step.step()
                torch_floor = torch_floor_function(torch_floor_step._step)
                if torch_floor is not None:
                    functions["torch_blas_floor"] = torch_floor
                timings = time_interleaved(
                    functions,
                    syncs={name: s.sync for name, s in steps.items()},
                    target=settings.target,
                    rounds=settings.rounds,
                    families=FAMILIES,
                    pause=settings.pause,
                )
                _close(steps.values())
                rows.append(_step_row(network, dtype, hidden, {k: t.best for k, t in timings.items()}))
                rows[-1]["median_seconds"] = {k: t.median for k, t in timings.items()}
                rows[-1]["arrangement"] = "fused" if floor_step._step.fused else "numpy"
                rows[-1]["calls_per_round"] = {k: t.number for k, t in timings.items()}
    return rows


def _close(steps: Iterable[Step]) -> None:
    for step in steps:
        step.close()


def _step_row(network: Network, dtype: str, hidden: str, seconds: dict[str, float]) -> dict[str, Any]:
    flops = step_flops(list(network.dims), network.m)
    mine = seconds["manualbp"]
    row: dict[str, Any] = {
        "network": network.name,
        "dims": list(network.dims),
        "m": network.m,
        "dtype": dtype,
        "hidden": hidden,
        "flops": flops,
        "seconds": seconds,
        "ratio_jax": mine / seconds["jax"],
        "ratio_torch": mine / seconds["torch"] if "torch" in seconds else None,
        "ratio_floor": mine / seconds["blas_floor"],
        # the same products by NumPy's BLAS over PyTorch's: the part of "ratio_torch" that is BLAS
        "blas_ratio_torch": (
            seconds["blas_floor"] / seconds["torch_blas_floor"] if "torch_blas_floor" in seconds else None
        ),
        "gflops": flops / mine / 1e9,
        "floor_gflops": flops / seconds["blas_floor"] / 1e9,
        "checks_overhead": seconds["manualbp_checked"] / mine,
        "kernels_over_step": seconds["manualbp_kernels"] / mine,
    }
    return row


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = np.log(xs), np.log(ys)
    return float(np.polyfit(lx, ly, 1)[0])


def measure_scaling(settings: Settings, show: Callable[[str], None]) -> dict[str, Any]:
    """Seconds per step against the batch size m (network [256, 256, 1]) and against the width n
    (network [n, n, 1], m = 256): float64, relu. Expected growth: m¹ and n²."""
    names = ["manualbp", "jax", "torch"]
    quick = settings.quick
    width_fixed, m_fixed = (16, 16) if quick else (256, 256)
    curves: dict[str, Any] = {}
    for axis, values in (("m", settings.batch_sweep), ("width", settings.width_sweep)):
        series: dict[str, list[float]] = {}
        for value in values:
            show(f"scaling: {axis} = {value}")
            dims = [width_fixed, width_fixed, 1] if axis == "m" else [value, value, 1]
            m = value if axis == "m" else m_fixed
            problem = make_problem(f"{axis}={value}", dims, m, "float64", "relu")
            steps = make_steps(problem, names)
            timings = time_interleaved(
                {k: s.step for k, s in steps.items()},
                syncs={k: s.sync for k, s in steps.items()},
                target=settings.target,
                rounds=max(3, settings.rounds - 2),
                families=FAMILIES,
                pause=settings.pause,
            )
            for name, timing in timings.items():
                series.setdefault(name, []).append(timing.best)
        upper = len(values) // 2  # fit the upper half, where fixed per-call costs no longer dominate
        curves[axis] = {
            "values": list(values),
            "network": (
                f"[{width_fixed}, {width_fixed}, 1], m varies" if axis == "m" else f"[n, n, 1], m = {m_fixed}"
            ),
            "seconds": series,
            "slopes": {
                name: _slope(list(values)[upper:], times[upper:]) if len(values) - upper >= 2 else None
                for name, times in series.items()
            },
            "expected_slope": 1 if axis == "m" else 2,
        }
    return curves


def measure_memory(settings: Settings, show: Callable[[str], None]) -> list[dict[str, Any]]:
    rows = []
    for network in settings.networks if settings.quick else NETWORKS:
        if network.name not in settings.memory_networks:
            continue
        show(f"memory: {network.name}")
        problem = make_problem(network.name, list(network.dims), network.m, "float64", "relu")
        steps = settings.memory_steps if network.name != "large" else min(settings.memory_steps, 100)
        rows.append({"network": network.name, **step_memory(problem, steps)})
    return rows


def environment() -> dict[str, Any]:
    import jax

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "jax": jax.__version__,
        "torch": torch_version(),
        "cores": os.cpu_count(),
        "blas": blas_libraries(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }


def _worst(rows: Sequence[dict[str, Any]], key: str, blas: bool = False) -> tuple[float | None, str]:
    """The largest ``row[key]`` and where it is ("network dtype g"; with ``blas``, also how much
    slower NumPy's BLAS ran the step's very products than PyTorch's, the part of the ratio that is
    the BLAS library)."""
    if not rows:
        return None, ""
    row = max(rows, key=lambda r: r[key])
    where = f"{row['network']} {row['dtype']} {row['hidden']}"
    if blas and row.get("blas_ratio_torch") is not None:
        where += f"; its products alone: NumPy's BLAS takes {row['blas_ratio_torch']:.2f}× PyTorch's time"
    return row[key], where


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, its measured value and whether it is met."""
    out: list[dict[str, Any]] = []

    def add(
        name: str,
        value: float | None,
        target: float,
        higher_is_better: bool = False,
        failed: bool = False,
        where: str = "",
    ) -> None:
        met = None if value is None else (value >= target if higher_is_better else value <= target)
        met = False if failed else met
        out.append({"target": name, "value": value, "limit": target, "met": met, "where": where})

    steps = results["steps"]
    if steps:
        value, where = _worst(steps, "ratio_jax")
        add("manualbp / JAX jit, worst over all steps", value, TARGETS["jax"], where=where)
        torch_rows = [r for r in steps if r["ratio_torch"] is not None]
        small = [r for r in torch_rows if r["network"] in SMALL_NETWORKS]
        other = [r for r in torch_rows if r["network"] not in SMALL_NETWORKS]
        value, where = _worst(small, "ratio_torch", blas=True)
        add("manualbp / PyTorch, worst on tiny and small", value, TARGETS["torch_small"], where=where)
        if other or not results["quick"]:
            value, where = _worst(other, "ratio_torch", blas=True)
            add("manualbp / PyTorch, worst on the others", value, TARGETS["torch_other"], where=where)
        value, where = _worst([r for r in steps if r["network"] in FLOOR_NETWORKS], "ratio_floor")
        if value is not None:
            add("step / BLAS floor, worst on medium and large", value, TARGETS["floor"], where=where)
    # tiny and small hold 0.8 and 16 kB of arrays: ~8 kB of Python objects (views, lists) and NumPy's
    # iterator buffers (~5 kB) dominate their peaks. Reported, judged on the networks of ≥ 1 MB.
    judged = [r for r in results["memory"] if r["network"] not in SMALL_NETWORKS]
    if judged:
        add(
            "first-step peak / (params + grads + caches), worst on cat, medium, large",
            max(r["first_step_ratio"] for r in judged),
            TARGETS["memory"],
        )
    if results["memory"]:
        add(
            "bytes held: growth over the steps, most", max(r["growth_bytes"] for r in results["memory"]), 1024
        )
    sweep = results.get("sweep") or {}
    if sweep.get("available"):
        # a sweep that did not pass (exit code 0: every architecture agrees) earns no rate
        passed = sweep.get("exit_code") == 0 and sweep.get("short_run", {}).get("exit_code") == 0
        add(
            "verify sweep, architectures (each in both dtypes) per second, wall clock",
            sweep["architectures_per_second"] if passed else None,
            TARGETS["sweep"],
            True,
            failed=not passed,
        )
        marginal = sweep.get("marginal_architectures_per_second") if passed else None
        add(
            "verify sweep, architectures per second, start-up left out",
            marginal,
            TARGETS["sweep"],
            True,
            failed=not passed,
        )
        printed = sweep.get("verify_printed") or {}
        add(
            "verify sweep, architecture-dtype runs per second as manualbp verify prints it",
            printed.get("runs_per_second") if passed else None,
            TARGETS["sweep"],
            True,
            failed=not passed,
        )
    return out


def run(args: argparse.Namespace) -> int:
    settings = QUICK if getattr(args, "quick", False) else FULL
    out = Path(getattr(args, "out", "reports"))
    show = _progress(sys.stderr.isatty())
    started = time.perf_counter()
    show("matmul peaks")
    results: dict[str, Any] = {
        "quick": settings.quick,
        "environment": environment(),
        "matmul_gflops": matmul_peaks(256 if settings.quick else 1024, 3 if settings.quick else 7),
    }
    results["matmul_size"] = 256 if settings.quick else 1024
    with x64_enabled():
        results["steps"] = measure_steps(settings, show)
        results["scaling"] = measure_scaling(settings, show)
    results["memory"] = measure_memory(settings, show)
    if settings.quick:
        results["sweep"] = {"available": False, "reason": "not measured by --quick"}
    else:
        show("verify sweep")
        results["sweep"] = sweep_throughput()
    results["targets"] = targets(results)
    results["seconds"] = time.perf_counter() - started
    show("")
    if sys.stderr.isatty():
        print(file=sys.stderr)
    text = write_reports(results, out)
    print(text)
    return 0
