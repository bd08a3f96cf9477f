"""Timeit-style timing of several functions, interleaved so that drift hits them all alike."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# After a call, a BLAS or OpenMP thread pool keeps its threads spinning for a while (OpenBLAS for
# up to ~0.1 s); on a 2-core machine they would slow the next library down. Pause when switching.
SWITCH_PAUSE = 0.15


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the best and the median over rounds (each round averages ``number`` calls)."""

    best: float
    median: float
    number: int
    rounds: int


def calibrate(function: Callable[[], None], target: float) -> int:
    """How many calls take about ``target`` seconds (at least one)."""
    start = time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    return max(1, int(target / max(elapsed, 1e-9)))


def time_interleaved(
    functions: Mapping[str, Callable[[], None]],
    *,
    target: float = 0.02,
    rounds: int = 7,
    warmup: int = 2,
    families: Mapping[str, str] | None = None,
    pause: float = SWITCH_PAUSE,
    syncs: Mapping[str, Callable[[], None]] | None = None,
) -> dict[str, Timing]:
    """Time each function in ``rounds`` rounds; within a round the functions take turns, grouped by
    family (the library whose threads they use), and the order of the families rotates from round
    to round. Before each family's turn the clock waits ``pause`` seconds and one untimed call runs.
    Warm-up calls (JIT compilation, first-touch allocation) are excluded. ``syncs[name]``, if given,
    runs after the calls and inside the clock (it waits for asynchronous work). The garbage
    collector is off while timing, as in :mod:`timeit`.
    """
    names = list(functions)
    family_of = {name: (families or {}).get(name, name) for name in names}
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(family_of[name], []).append(name)
    order = list(groups)
    finish = {name: (syncs or {}).get(name, _nothing) for name in names}

    def once(name: str) -> Callable[[], None]:
        def call() -> None:
            functions[name]()
            finish[name]()

        return call

    for name in names:
        for _ in range(warmup):
            once(name)()
    numbers = {name: calibrate(once(name), target) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            shift = r % len(order)
            for family in order[shift:] + order[:shift]:
                if pause and len(order) > 1:
                    time.sleep(pause)
                for name in groups[family]:
                    function, number, sync = functions[name], numbers[name], finish[name]
                    function()
                    sync()
                    start = time.perf_counter()
                    for _ in range(number):
                        function()
                    sync()
                    samples[name].append((time.perf_counter() - start) / number)
    finally:
        if enabled:
            gc.enable()
    return {
        name: Timing(min(values), statistics.median(values), numbers[name], rounds)
        for name, values in samples.items()
    }
