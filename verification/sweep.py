"""The sweep: manualbp's gradients on many random architectures, against the three oracles.

For each architecture (see :mod:`verification.architectures`) the sweep runs the code under test

* ``model_backward`` (fused dZ[L] = A[L] - Y) and ``model_backward_course`` (the course's dA[L]
  route, ``fused=False``), after ``model_forward``;
* ``linear_activation_backward[l]`` for every layer l, fed the oracle's dA[l] (m ∂J/∂A[l]) and
  manualbp's own cache, so a mistake is pinned to one layer;
* ``two_layer`` (``two_layer.forward_propagation`` + ``backward_propagation``) when L = 2;

and compares every gradient it returns (dW[l], db[l], dA[l], including dA0) with reverse mode
(element-wise), forward mode and float64 finite differences (directional, see
:mod:`verification.padded`), with the tolerances of :mod:`verification.tolerances`. Shape
invariants are checked on every cache and gradient: Z[l], A[l] are (n[l], m), dW ~ W, db ~ b,
dA[l] ~ A[l], and every gradient keeps the dtype of the problem.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

import manualbp as mb

from .agreement import GradientComparison, compare
from .architectures import Architecture, gradient_shape, make_problem, random_architectures
from .padded import (
    Directions,
    OracleResult,
    PaddedProblem,
    PendingOracles,
    collect_oracles,
    compiled,
    launch_central,
    launch_exact,
    make_directions,
    pad_problem,
)
from .tolerances import ORACLES, tolerance_for

__all__ = [
    "FUNCTIONS",
    "Check",
    "ArchitectureResult",
    "SweepResult",
    "IdleWork",
    "OracleJobs",
    "run_sweep",
    "verify_architecture",
]

FUNCTIONS = (
    "model_backward",
    "model_backward_course",
    "linear_activation_backward",
    "two_layer",
)
MAX_EVIDENCE = 24  # failing comparisons whose arrays are kept for heat maps
WINDOW = 32  # architectures whose oracles are dispatched ahead (~0.3 s of oracle work)
# While both threads want the GIL, one waits up to this long for the other to hand it over; at
# CPython's default (5 ms) a main thread busy with Python (the idle work) would delay every oracle.
SWITCH_INTERVAL = 0.0005


@dataclass
class Check:
    """One gradient returned by one function, against one oracle."""

    function: str
    gradient: str
    oracle: str
    comparison: GradientComparison
    gradient_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]


@dataclass
class ArchitectureResult:
    index: int
    arch: Architecture
    cost: float
    checks: list[Check]
    shape_failures: list[str]
    errors: list[str]
    evidence: list[tuple[Check, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.shape_failures and not self.errors and all(c.comparison.passed for c in self.checks)


IdleWork = Callable[[Sequence[ArchitectureResult]], bool]
"""Work for the main thread's waits: called with the results so far, does one short piece of work
and returns True, or returns False when it has nothing to do yet."""


@dataclass
class SweepResult:
    seed: int
    count: int
    dtypes: list[str]
    results: list[ArchitectureResult]
    timings: dict[str, float]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


class _Context:
    """What the comparisons of one architecture share: its oracle values and directions."""

    def __init__(self, arch: Architecture, oracle: OracleResult, directions: Directions) -> None:
        self.arch = arch
        self.oracle = oracle
        self.tolerances = {name: tolerance_for(arch.dtype, name) for name in ORACLES}
        self.directions: dict[str, np.ndarray] = {}
        for name in arch.gradient_names():
            rows, cols = gradient_shape(arch, name)
            used = [d for d, n in enumerate(directions.names) if n == name]
            self.directions[name] = directions.values[used, :rows, :cols]

    def project(self, gradient: str, got: np.ndarray) -> np.ndarray:
        """⟨got, v⟩ for the gradient's directions, in ∂J units (dA[l] / m)."""
        values = self.directions[gradient]
        if got.shape != values.shape[1:]:
            return np.full(values.shape[0], np.nan)
        scale = 1.0 / self.arch.m if gradient.startswith("dA") else 1.0
        return np.einsum("dij,ij->d", values, got.astype(np.float64)) * scale


def _check_gradients(
    context: _Context,
    function: str,
    grads: Mapping[str, np.ndarray],
    names: Iterable[str],
    result: ArchitectureResult,
) -> None:
    arch, oracle = context.arch, context.oracle
    for name in names:
        expected_shape = gradient_shape(arch, name)
        got = grads.get(name)
        if not isinstance(got, np.ndarray):
            result.errors.append(f"{function}: {name} is missing")
            continue
        if got.shape != expected_shape:
            result.shape_failures.append(
                f"{function}: {name} has shape {got.shape}, expected {expected_shape}"
            )
        if got.dtype != np.dtype(arch.dtype):
            result.shape_failures.append(f"{function}: {name} is {got.dtype}, expected {arch.dtype}")
        pairs = (
            ("reverse", got, oracle.reverse[name]),
            ("forward", context.project(name, got), oracle.forward[name]),
            ("finite_difference", context.project(name, got), oracle.finite_difference[name]),
        )
        for oracle_name, value, reference in pairs:
            comparison = compare(name, value, reference, context.tolerances[oracle_name])
            check = Check(function, name, oracle_name, comparison, tuple(got.shape), expected_shape)
            result.checks.append(check)
            if not comparison.passed and len(result.evidence) < MAX_EVIDENCE:
                result.evidence.append((check, np.array(value), np.array(reference)))


def _check_shape(result: ArchitectureResult, what: str, array: Any, shape: tuple[int, ...]) -> None:
    actual = getattr(array, "shape", None)
    if actual != shape:
        result.shape_failures.append(f"{what} has shape {actual}, expected {shape}")


def _check_caches(result: ArchitectureResult, arch: Architecture, AL: np.ndarray, caches: Any) -> None:
    dims, m = arch.layer_dims, arch.m
    _check_shape(result, "A[L]", AL, (dims[-1], m))
    if len(caches) != arch.L:
        result.shape_failures.append(f"model_forward returned {len(caches)} caches for L = {arch.L}")
        return
    for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
        _check_shape(result, f"cache {l}: A[{l - 1}]", A_prev, (dims[l - 1], m))
        _check_shape(result, f"cache {l}: W[{l}]", W, (dims[l], dims[l - 1]))
        _check_shape(result, f"cache {l}: b[{l}]", b, (dims[l], 1))
        _check_shape(result, f"cache {l}: Z[{l}]", Z, (dims[l], m))


def _guard(result: ArchitectureResult, function: str, call: Callable[[], None]) -> None:
    try:
        call()
    except Exception as error:  # the code under test may raise anything
        result.errors.append(f"{function} raised {type(error).__name__}: {error}")


@dataclass
class _Problem:
    index: int
    arch: Architecture
    parameters: dict[str, np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    directions: Directions


def _make(index: int, arch: Architecture, seed: int) -> _Problem:
    rng = np.random.default_rng([seed, index, 0 if arch.dtype == "float64" else 1])
    parameters, X, Y = make_problem(arch, rng)
    return _Problem(index, arch, parameters, X, Y, make_directions(arch, rng))


class OracleJobs:
    """The two oracle computations of one architecture, running on the sweep's worker threads:
    reverse + forward mode, and float64 finite differences."""

    def __init__(self, problem: _Problem, exact: Future[Any], central: Future[Any]) -> None:
        self.problem = problem
        self.exact = exact
        self.central = central

    def done(self) -> bool:
        return self.exact.done() and self.central.done()

    def result(self) -> OracleResult:
        """Wait for both and cut the values back to the architecture's shapes."""
        pending = PendingOracles(
            self.problem.arch, self.problem.directions, self.exact.result(), self.central.result()
        )
        return collect_oracles(pending)


def _wait(oracle: OracleJobs, timings: dict[str, float], idle: Callable[[], bool] | None) -> OracleResult:
    """The oracle values, once computed; until then, ``idle()`` runs as long as it finds work."""
    if idle is not None:
        start = time.perf_counter()
        while not oracle.done() and idle():
            pass
        timings["idle_work"] = timings.get("idle_work", 0.0) + time.perf_counter() - start
    start = time.perf_counter()
    result = oracle.result()
    timings["oracle_wait"] = timings.get("oracle_wait", 0.0) + time.perf_counter() - start
    return result


def verify_architecture(
    problem: _Problem,
    oracle: OracleResult | OracleJobs,
    timings: dict[str, float],
    idle: Callable[[], bool] | None = None,
) -> ArchitectureResult:
    """Run manualbp on one problem and compare everything it returns with the oracle values.

    ``oracle`` may still be computing (:class:`OracleJobs` on the sweep's worker threads):
    manualbp's forward and backward passes run first, then the oracle values are waited for,
    running ``idle()`` meanwhile as long as it finds work (see :data:`IdleWork`).
    """
    arch, parameters, X, Y = problem.arch, problem.parameters, problem.X, problem.Y
    hidden, L = arch.hidden_activation, arch.L
    result = ArchitectureResult(problem.index, arch, float("nan"), [], [], [])
    outputs: dict[str, Any] = {}

    start = time.perf_counter()

    def forward() -> None:
        outputs["AL"], outputs["caches"] = mb.model_forward(X, parameters, hidden)

    def fused() -> None:
        outputs["model_backward"] = mb.model_backward(outputs["AL"], Y, outputs["caches"], hidden)

    def course() -> None:
        outputs["model_backward_course"] = mb.model_backward(
            outputs["AL"], Y, outputs["caches"], hidden, fused=False
        )

    def two_layer() -> None:
        _, cache = mb.two_layer.forward_propagation(X, parameters, hidden)
        for key in ("Z1", "A1"):
            _check_shape(result, f"two_layer cache {key}", cache[key], (arch.layer_dims[1], arch.m))
        for key in ("Z2", "A2"):
            _check_shape(result, f"two_layer cache {key}", cache[key], (arch.layer_dims[2], arch.m))
        outputs["two_layer"] = mb.two_layer.backward_propagation(parameters, cache, X, Y, hidden)

    _guard(result, "model_forward", forward)
    if "caches" in outputs:
        _check_caches(result, arch, outputs["AL"], outputs["caches"])
        _guard(result, "model_backward", fused)
        _guard(result, "model_backward_course", course)
    if L == 2:
        _guard(result, "two_layer", two_layer)
    timings["manualbp"] += time.perf_counter() - start

    if not isinstance(oracle, OracleResult):
        oracle = _wait(oracle, timings, idle)
    result.cost = oracle.cost

    start = time.perf_counter()
    if "caches" in outputs:
        caches = outputs["caches"]
        for l in range(1, L + 1):
            # fed the oracle's dA[l] (m ∂J/∂A[l]), so each layer is checked on its own
            dA = oracle.dAL if l == L else oracle.reverse[f"dA{l}"]
            activation = "sigmoid" if l == L else hidden

            def layer(l: int = l, dA: np.ndarray = dA, activation: str = activation) -> None:
                dA_prev, dW, db = mb.linear_activation_backward(dA, caches[l - 1], activation)
                grads = {f"dA{l - 1}": dA_prev, f"dW{l}": dW, f"db{l}": db}
                outputs[f"linear_activation_backward[{l}]"] = grads

            _guard(result, f"linear_activation_backward[{l}]", layer)
    timings["manualbp"] += time.perf_counter() - start

    start = time.perf_counter()
    context = _Context(arch, oracle, problem.directions)
    names = arch.gradient_names()
    for function in ("model_backward", "model_backward_course", "two_layer"):
        if function in outputs:
            _check_gradients(context, function, outputs[function], names, result)
    for l in range(1, L + 1):
        function = f"linear_activation_backward[{l}]"
        if function in outputs:
            layer_names = [f"dA{l - 1}", f"dW{l}", f"db{l}"]
            _check_gradients(context, function, outputs[function], layer_names, result)
    timings["compare"] += time.perf_counter() - start
    return result


def run_sweep(
    count: int,
    seed: int,
    dtypes: list[str],
    *,
    progress: Callable[[int], None] | None = None,
    idle: IdleWork | None = None,
) -> SweepResult:
    """Verify ``count`` seeded architectures in each of ``dtypes``; deterministic for a seed.

    ``idle`` is called whenever this thread would wait for the oracles (see :data:`IdleWork`);
    ``manualbp verify`` prepares its reports there.
    """
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        return _sweep(count, seed, dtypes, progress, idle)
    finally:
        sys.setswitchinterval(previous_interval)


def _sweep(
    count: int,
    seed: int,
    dtypes: list[str],
    progress: Callable[[int], None] | None,
    idle: IdleWork | None,
) -> SweepResult:
    """:func:`run_sweep` (at the sweep's GIL switch interval)."""
    phases = ("problems", "compile", "oracle", "exact", "finite_differences", "oracle_wait", "idle_work")
    timings = dict.fromkeys((*phases, "manualbp", "compare"), 0.0)
    lock = threading.Lock()
    start_all = time.perf_counter()

    def record(key: str, start: float) -> None:
        with lock:  # the worker threads add up their times too
            timings[key] += time.perf_counter() - start

    # Two worker threads run the JAX work, WINDOW architectures ahead of this thread, which draws
    # the problems, runs manualbp and compares: one takes reverse + forward mode, the other finite
    # differences, each compiling (or loading) its function at its first use. XLA releases the GIL,
    # so on two cores the oracles run side by side while this thread waits.
    def load(kind: str, dtype: str) -> None:
        start = time.perf_counter()
        compiled(kind, dtype)
        record("compile", start)

    def job(kind: str, problem: _Problem, padded: PaddedProblem) -> Any:
        load(kind, problem.arch.dtype if kind == "exact" else "float64")
        start = time.perf_counter()
        if kind == "exact":
            values = launch_exact(problem.arch, padded, problem.directions)
        else:
            values = launch_central(padded, problem.directions)
        jax.block_until_ready(values)
        record("exact" if kind == "exact" else "finite_differences", start)
        return values

    results: list[ArchitectureResult] = []
    pending: dict[int, OracleJobs] = {}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="oracle") as pool:
        pool.submit(load, "exact", dtypes[0])  # while the problems are drawn
        pool.submit(load, "central", "float64")
        start = time.perf_counter()
        problems = [
            _make(index, arch, seed)
            for dtype in dtypes
            for index, arch in enumerate(random_architectures(count, seed, dtype))
        ]
        timings["problems"] += time.perf_counter() - start

        def submit(i: int) -> None:
            if i < len(problems):
                problem = problems[i]
                padded = pad_problem(problem.arch, problem.parameters, problem.X, problem.Y)
                exact = pool.submit(job, "exact", problem, padded)
                central = pool.submit(job, "central", problem, padded)
                pending[i] = OracleJobs(problem, exact, central)

        def idle_step() -> bool:
            return idle is not None and idle(results)

        for i in range(WINDOW):
            submit(i)
        wait_with = idle_step if idle is not None else None
        for i, problem in enumerate(problems):
            submit(i + WINDOW)
            results.append(verify_architecture(problem, pending.pop(i), timings, wait_with))
            if progress is not None:
                progress(1)
    timings["oracle"] = timings["exact"] + timings["finite_differences"]
    timings["total"] = time.perf_counter() - start_all
    return SweepResult(seed, count, list(dtypes), results, timings)
