"""``manualbp verify``: the sweep, a summary on the terminal, and the three reports.

Exit code 0 when every gradient agrees with every oracle and every shape invariant holds, 1 when
something disagrees, 2 when the reports cannot be written.

The oracle's three compiled functions take a few seconds to build and a fraction of a second to
load, so this command keeps them in ``$MANUALBP_JAX_CACHE`` (default ``~/.cache/manualbp/jax``; set
it to ``off`` to disable), see :func:`verification.padded.use_executable_cache`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["run", "cache_folder", "configure_caches"]


def cache_folder() -> Path | None:
    """The per-user folder of the compiled oracle (None if switched off or not writable)."""
    setting = os.environ.get("MANUALBP_JAX_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = Path(setting) if setting else base / "manualbp" / "jax"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def configure_caches() -> Path | None:
    """Load and keep the oracle's compiled executables in :func:`cache_folder`; returns it.

    JAX's own persistent compilation cache is not switched on: it would still trace and lower
    every function to compute its key, and an executable it loads cannot be serialized again.
    """
    from .padded import use_executable_cache

    folder = cache_folder()
    use_executable_cache(folder)
    return folder


def _print_summary(report: dict[str, Any], stream: TextIO) -> None:
    from .templating import _number

    summary = report["summary"]
    print(
        f"{summary['architectures_passed']}/{summary['architectures']} architectures pass, "
        f"{summary['checks'] - summary['checks_failed']}/{summary['checks']} gradient comparisons agree",
        file=stream,
    )
    header = (
        f"{'dtype':<8} {'oracle':<18} {'checks':>7} {'failed':>6} {'near 0':>6} {'max rel diff':>12} "
        f"{'bound':>8} {'max err/tol':>11}"
    )
    print(header, file=stream)
    print("-" * len(header), file=stream)
    for dtype, oracles in summary["by_dtype"].items():
        for oracle, slot in oracles.items():
            bound = report["tolerances"][dtype][oracle]["max_relative_difference"]
            print(
                f"{dtype:<8} {oracle:<18} {slot['checks']:>7} {slot['failed']:>6} "
                f"{slot['passed_near_zero']:>6} {_number(slot['max_relative_difference']):>12} "
                f"{_number(bound):>8} {_number(slot['max_elementwise_error']):>11}",
                file=stream,
            )


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    configure_caches()
    from tqdm import tqdm

    from .report import ReportPreparation, write_reports
    from .sweep import run_sweep

    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    total = args.architectures * len(dtypes)
    prepared = ReportPreparation(args.architectures, dtypes)  # made while waiting for the oracles
    interactive = sys.stderr.isatty()
    bar_options = {"unit": "arch", "disable": not interactive, "file": sys.stderr}
    with tqdm(total=total, desc="verify (compiling the oracle)", **bar_options) as bar:

        def advance(n: int) -> None:
            if bar.n == 0:
                bar.set_description("verify", refresh=False)
            bar.update(n)

        sweep = run_sweep(args.architectures, args.seed, dtypes, progress=advance, idle=prepared.step)
    report_start = time.perf_counter()
    try:
        report, paths = write_reports(sweep, Path(args.out), args.json, prepared)
    except OSError as error:
        print(f"manualbp verify: cannot write the reports: {error}", file=sys.stderr)
        return 2
    reports_time = time.perf_counter() - report_start
    elapsed = time.perf_counter() - start
    try:
        _print_summary(report, sys.stdout)
        t = sweep.timings
        fd = t["finite_differences"]
        print(
            f"{total} architectures in {elapsed:.1f} s ({total / elapsed:.1f} architectures/s): "
            f"compile {t['compile']:.1f} s; oracles {t['oracle']:.1f} s on two worker threads "
            f"(reverse + forward mode {t['exact']:.1f} s, finite differences {fd:.1f} s; "
            f"the main thread waited {t['oracle_wait']:.1f} s for them, and prepared the reports for "
            f"{t['idle_work']:.1f} s meanwhile); manualbp {t['manualbp']:.2f} s; "
            f"problems {t['problems']:.2f} s; comparisons {t['compare']:.2f} s; reports {reports_time:.1f} s",
        )
        print("reports: " + ", ".join(str(p) for p in paths.values()))
        verdict = "PASS: every gradient agrees" if sweep.passed else "FAIL: some gradients disagree"
        print(verdict)
        sys.stdout.flush()
    except BrokenPipeError:  # `manualbp verify | head`: the reports are written, the exit code stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at the final flush
    return 0 if sweep.passed else 1
