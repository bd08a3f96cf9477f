"""Check anyone's backprop against the JAX oracle, and name the mistake when it is wrong.

:func:`check_implementation` loads the learner's code in a separate process (see
:mod:`verification.sandbox`), runs it on a few seeded architectures chosen so that a transposed or
broadcast result cannot pass by accident (distinct layer sizes, m different from every n[l], more
than one output unit), and compares every gradient with :func:`verification.oracle.reference_gradients`.

Each gradient gets a status: ``ok``, ``wrong``, ``missing``, ``bad_shape`` or ``not_finite``. A gradient
that is not ok is diagnosed against the mistake catalogue (:mod:`verification.catalogue`): every
catalogued mistake, made in every layer, in the output layer only or in the hidden layers only, is run
on the same inputs, and the mistakes whose output reproduces the learner's gradient on every
architecture are named. When one mistake explains all of the learner's gradients at once, only such
mistakes are named. When no mistake reproduces a gradient, the result says so and shows where the
entries differ (a constant factor, the worst entries).
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .agreement import compare, relative_difference
from .architectures import Architecture, make_problem
from .catalogue import MISTAKES, WHERE, MistakeRaisedError, get_mistake, reference_backward, reference_forward
from .sandbox import (
    STYLE_FUNCTIONS,
    CodeSpec,
    Failure,
    Loaded,
    RunOutput,
    Sandbox,
    SandboxFailedError,
    _exception_reply,
    _run,
    parse_target,
)
from .tolerances import tolerance_for

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "CheckResult",
    "GradientResult",
    "architectures_for",
    "assert_backprop_correct",
    "check_implementation",
    "default_hidden",
]

SCHEMA_VERSION = 1
STATUSES: tuple[str, ...] = ("ok", "wrong", "missing", "bad_shape", "not_finite")
_SEVERITY = {"bad_shape": 0, "not_finite": 1, "wrong": 2, "missing": 3, "ok": 4}
STYLE_NAMES = {
    "l_layer": "L-layer course style (L_model_forward, L_model_backward)",
    "two_layer": "two-layer course style (forward_propagation, backward_propagation)",
    "function": "a function f(parameters, X, Y) -> grads",
}

# Shapes chosen so that no transposed, broadcast or summed-over-the-wrong-axis result can have the
# right shape: consecutive layer sizes differ, m differs from every n[l], and most nets have several
# output units. Small, so a learner's slow loop still runs in milliseconds.
_DEEP = (((5, 4, 3, 2), 7), ((6, 9, 1), 5), ((3, 8, 6, 4, 2), 10))
_TWO_LAYER = (((5, 4, 3), 7), ((3, 6, 2), 9), ((2, 4, 1), 6))


def default_hidden(style: str) -> str:
    """The course's hidden activation of a style: tanh for the two-layer network, else relu."""
    return "tanh" if style == "two_layer" else "relu"


def _m_for(dims: Sequence[int]) -> int:
    return next(m for m in range(7, 100) if m not in dims)


def architectures_for(style: str, hidden: str, layers: Sequence[int] | None = None) -> list[Architecture]:
    """The seeded architectures a style is checked on (plus ``layers``, with an m unlike its sizes)."""
    shapes = _TWO_LAYER if style == "two_layer" else _DEEP
    result = [Architecture(tuple(dims), m, hidden) for dims, m in shapes]
    if layers is not None:
        result.append(Architecture(tuple(int(n) for n in layers), _m_for(layers), hidden))
    return result


def expected_shape(name: str, dims: Sequence[int], m: int) -> tuple[int, int]:
    l = int(name[2:])
    if name.startswith("dW"):
        return dims[l], dims[l - 1]
    if name.startswith("db"):
        return dims[l], 1
    return dims[l], m


def course_shape(name: str) -> str:
    """The shape of a gradient in course notation: dW[l] is (n[l], n[l-1]) and so on."""
    l = int(name[2:])
    if name.startswith("dW"):
        return f"(n[{l}], n[{l - 1}])"
    if name.startswith("db"):
        return f"(n[{l}], 1)"
    return f"(n[{l}], m)"


def _backprop_order(names: Sequence[str]) -> list[str]:
    """dW[L], db[L], dA[L-1], dW[L-1], ...: the order backprop computes them in."""

    def key(name: str) -> tuple[int, int]:
        l = int(name[2:])
        return (-l, 0) if name.startswith("dW") else (-l, 1) if name.startswith("db") else (-(l + 1), 2)

    return sorted(names, key=key)


@dataclass
class GradientResult:
    """The verdict on one gradient over every architecture it exists in."""

    name: str
    status: str
    max_relative_error: float | None
    threshold: float
    diagnosis: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # mistake id -> all / output / hidden
    detail: str = ""
    got: np.ndarray | None = None  # on the first architecture where it is not ok
    expected: np.ndarray | None = None
    architecture: str = ""
    combined: bool = False  # the diagnosis is two mistakes made together, not alternatives

    def to_json(self) -> dict[str, Any]:
        error = self.max_relative_error
        return {
            "status": self.status,
            "max_relative_error": error if error is not None and np.isfinite(error) else None,
            "diagnosis": list(self.diagnosis),
            "combined": self.combined,
            "threshold": self.threshold,
            "detail": self.detail or None,
            "where": dict(self.where),
        }


@dataclass
class CheckResult:
    """What :func:`check_implementation` found. ``verdict`` is ``correct``, ``incorrect`` or
    ``error``; ``exit_code`` is 0, 1 or 2 accordingly. Prints as the terminal report and shows
    itself as a table in a notebook."""

    target: str
    verdict: str
    style: str | None
    hidden: str
    gradients: dict[str, GradientResult]
    architectures: list[Architecture]
    failure: Failure | None = None
    error_diagnosis: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seed: int = 0

    @property
    def passed(self) -> bool:
        return self.verdict == "correct"

    @property
    def exit_code(self) -> int:
        return {"correct": 0, "incorrect": 1}.get(self.verdict, 2)

    @property
    def mistakes(self) -> list[str]:
        """Every mistake id named, in catalogue order."""
        named = set(self.error_diagnosis)
        for gradient in self.gradients.values():
            named.update(gradient.diagnosis)
        return [m.id for m in MISTAKES if m.id in named]

    def not_ok(self) -> dict[str, GradientResult]:
        return {n: g for n, g in self.gradients.items() if g.status != "ok"}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": self.verdict,
            "style": self.style,
            "gradients": {name: g.to_json() for name, g in self.gradients.items()},
            "error": None if self.failure is None else self.failure.message,
            "error_details": None if self.failure is None else self.failure.to_json(),
            "error_diagnosis": list(self.error_diagnosis),
            "explanations": {
                mid: {
                    "explanation": get_mistake(mid).explanation,
                    "wrong": get_mistake(mid).code(self.style)[0],
                    "fix": get_mistake(mid).code(self.style)[1],
                }
                for mid in self.mistakes
            },
            "target": self.target,
            "hidden_activation": self.hidden,
            "output_activation": "sigmoid",
            "seed": self.seed,
            "architectures": [a.to_json() for a in self.architectures],
            "notes": list(self.notes),
            "skipped": list(self.skipped),
        }

    def __str__(self) -> str:
        return format_terminal(self, color=False)

    def _repr_html_(self) -> str:
        return _html_table(self)


# --- running the learner's code ------------------------------------------------------------------


class _InProcess:
    """The sandbox's interface for code already in this process: a callable f(parameters, X, Y)
    or a namespace (e.g. ``globals()`` of a notebook) holding the course functions. No time limit."""

    def __init__(self, target: Callable[..., Any] | Mapping[str, Any], function: str | None) -> None:
        if callable(target) and not isinstance(target, Mapping):
            namespace: dict[str, Any] = {"f": target}
            style, functions = "function", tuple[str, ...](("f",))
        else:
            namespace = dict(target)
            if function is not None:
                style, functions = "function", (function,)
            else:
                for candidate, names in STYLE_FUNCTIONS.items():
                    if all(callable(namespace.get(n)) for n in names):
                        style, functions = candidate, names
                        break
                else:
                    raise SandboxFailedError(
                        Failure(
                            "load",
                            "found no L_model_forward/L_model_backward, no forward_propagation/"
                            "backward_propagation, and no function named with function=",
                        )
                    )
        self.state: dict[str, Any] = {"namespace": namespace, "style": style, "functions": functions}
        self.loaded = Loaded(style, functions)

    def load(self) -> Loaded:
        return self.loaded

    def run(self, parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> RunOutput:
        try:
            info = _run(self.state, {"parameters": dict(parameters), "X": X, "Y": Y})
        except Exception as error:
            _, data = _exception_reply(error, self.state.get("where", "running"))
            raise SandboxFailedError(
                Failure(
                    kind=data["kind"],
                    message=data["message"],
                    traceback=data.get("traceback", ""),
                    exception_type=data.get("exception_type", ""),
                    exception_message=data.get("exception_message", ""),
                    where=data.get("where", ""),
                )
            ) from None
        return RunOutput(info["grads"], info["not_arrays"], info["output"])

    def close(self) -> None:
        pass


def _shift_old_dA(grads: dict[str, np.ndarray], L: int) -> bool:
    """The older course notebooks name dA one higher (dA1 is the input gradient): rename in place."""
    if "dA0" in grads or f"dA{L}" not in grads:
        return False
    shifted = {f"dA{l - 1}": grads.pop(f"dA{l}") for l in range(1, L + 1) if f"dA{l}" in grads}
    grads.update(shifted)
    return True


# --- diagnosis -----------------------------------------------------------------------------------


@dataclass
class _Run:
    arch: Architecture
    parameters: dict[str, np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    oracle: dict[str, np.ndarray]
    output: RunOutput | None = None


_Where = tuple[_Run, np.ndarray | None, str]


def _tolerance(array: np.ndarray) -> Any:
    dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return tolerance_for(dtype, "reverse")


def _same(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and compare("", got, expected, _tolerance(got)).passed


def _mistake_outputs(run: _Run) -> dict[tuple[str, str], dict[str, np.ndarray] | MistakeRaisedError]:
    outputs: dict[tuple[str, str], dict[str, np.ndarray] | MistakeRaisedError] = {}
    for mistake in MISTAKES:
        for where in WHERE:
            try:
                outputs[(mistake.id, where)] = reference_backward(
                    run.parameters, run.X, run.Y, run.arch.hidden_activation, mistake.id, where
                )
            except MistakeRaisedError as error:
                outputs[(mistake.id, where)] = error
    return outputs


def _diagnose(runs: Sequence[_Run], results: dict[str, GradientResult], checked: set[str]) -> None:
    """Fill ``diagnosis`` of every gradient that is not ok (see the module docstring)."""
    outputs = [_mistake_outputs(run) for run in runs]
    candidates = [(m.id, where) for m in MISTAKES for where in WHERE]

    def reproduces(key: tuple[str, str], name: str) -> bool | None:
        """True if the mistake gives the learner's ``name`` everywhere and is wrong somewhere."""
        changes = False
        seen = False
        for run, out in zip(runs, outputs, strict=True):
            assert run.output is not None
            got = run.output.grads.get(name)
            mistaken = out[key]
            if isinstance(mistaken, MistakeRaisedError):
                return False
            if name not in mistaken:
                continue
            if got is None:
                continue
            seen = True
            if not _same(got, mistaken[name]):
                return False
            right = run.oracle.get(name)
            if right is None or not _same(mistaken[name], right):
                changes = True
        return seen and changes

    def misfits(key: tuple[str, str]) -> float:
        """How many of the learner's gradients (over every run) the mistake does not reproduce."""
        count = 0
        for run, out in zip(runs, outputs, strict=True):
            assert run.output is not None
            mistaken = out[key]
            if isinstance(mistaken, MistakeRaisedError):
                return float("inf")
            for name, got in run.output.grads.items():
                if name in checked and name in mistaken and not _same(got, mistaken[name]):
                    count += 1
        return count

    score = {key: misfits(key) for key in candidates}
    for name, result in results.items():
        if result.status in ("ok", "missing"):
            continue
        matches = [key for key in candidates if reproduces(key, name)]
        if any(score[key] == 0 for key in matches):  # one mistake explains every gradient
            matches = [key for key in matches if score[key] == 0]
        for mistake_id, where in sorted(matches, key=lambda key: (score[key], WHERE.index(key[1]))):
            result.where.setdefault(mistake_id, where)  # the layers that explain the most
        result.diagnosis = [m.id for m in MISTAKES if m.id in result.where]
    unexplained = [n for n, r in results.items() if r.status in ("wrong", "bad_shape") and not r.diagnosis]
    if unexplained:
        _diagnose_pairs(runs, results, unexplained)


def _diagnose_pairs(runs: Sequence[_Run], results: dict[str, GradientResult], names: Sequence[str]) -> None:
    """Two mistakes made together (in every layer) that reproduce a gradient no single one does;
    named together, with ``combined`` set."""
    ids = [m.id for m in MISTAKES if not m.raises]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    outputs: dict[tuple[str, str], list[dict[str, np.ndarray] | None]] = {}
    for pair in pairs:
        outputs[pair] = []
        for run in runs:
            try:
                outputs[pair].append(
                    reference_backward(run.parameters, run.X, run.Y, run.arch.hidden_activation, pair)
                )
            except MistakeRaisedError:
                outputs[pair].append(None)
    for name in names:
        for pair in pairs:
            seen = False
            for run, mistaken in zip(runs, outputs[pair], strict=True):
                assert run.output is not None
                got = run.output.grads.get(name)
                if got is None:
                    continue
                if mistaken is None or name not in mistaken or not _same(got, mistaken[name]):
                    break
                seen = True
            else:
                if seen:
                    result = results[name]
                    result.diagnosis = list(pair)
                    result.where = dict.fromkeys(pair, "all")
                    result.combined = True
                    break


def _error_diagnosis(run: _Run, failure: Failure) -> list[str]:
    """Catalogue mistakes that raise the very error the learner's code raised on ``run``."""
    if failure.kind != "exception" or not failure.exception_message:
        return []
    message = failure.exception_message.strip()
    named = []
    for mistake in MISTAKES:
        for where in WHERE:
            try:
                reference_backward(
                    run.parameters, run.X, run.Y, run.arch.hidden_activation, mistake.id, where
                )
            except MistakeRaisedError as error:
                if message in (m.strip() for m in error.messages):
                    named.append(mistake.id)
                    break
    return named


def _describe_difference(got: np.ndarray, expected: np.ndarray) -> str:
    """Where the entries differ, for a wrong gradient no catalogued mistake reproduces."""
    got64, exp64 = got.astype(np.float64), expected.astype(np.float64)
    parts = []
    norm = float(np.vdot(exp64, exp64))
    if norm > 0:
        factor = float(np.vdot(got64, exp64)) / norm
        if relative_difference(got64, factor * exp64) < 1e-8:
            parts.append(f"yours is {factor:.6g} × the right value")
    difference = np.abs(got64 - exp64)
    scale = 1e-9 * (np.abs(exp64).max() + 1e-300)
    bad = difference > scale
    parts.append(f"{int(bad.sum())} of {bad.size} entries differ")
    if got.ndim == 2:
        rows = np.flatnonzero(bad.any(axis=1))
        cols = np.flatnonzero(bad.any(axis=0))
        if len(rows) < got.shape[0]:
            parts.append(f"only rows {', '.join(map(str, rows[:6]))}")
        if len(cols) < got.shape[1]:
            parts.append(f"only columns {', '.join(map(str, cols[:6]))}")
    worst = np.unravel_index(int(np.argmax(difference)), difference.shape)
    parts.append(
        f"largest at {tuple(int(i) for i in worst)}: yours {got64[worst]:.4g}, right {exp64[worst]:.4g}"
    )
    return "; ".join(parts)


def _bad_shape_detail(name: str, got: np.ndarray, expected: np.ndarray) -> str:
    text = f"shape {got.shape}, expected {expected.shape} = {course_shape(name)}"
    if got.ndim == 2 and got.shape == expected.shape[::-1]:
        text += " (yours is transposed)"
    return text


# --- the check -----------------------------------------------------------------------------------


def check_implementation(
    target: str | os.PathLike[str] | Callable[..., Any] | Mapping[str, Any],
    *,
    function: str | None = None,
    hidden: str | None = None,
    layers: Sequence[int] | None = None,
    seed: int = 0,
    timeout: float = 60.0,
) -> CheckResult:
    """Check a learner's backprop and name the likely mistake.

    ``target``: a ``.py`` or ``.ipynb`` file, ``"module:function"``, an importable module name, a
    callable ``f(parameters, X, Y) -> grads`` or a namespace such as ``globals()`` holding the
    course's functions. Files and modules run in a separate process with a ``timeout`` (seconds) per
    call; callables and namespaces run in this process. ``hidden`` is the hidden activation their code
    uses (default: relu, tanh for the two-layer style); ``layers`` adds one architecture
    n[0], ..., n[L] to the seeded ones.
    """
    label = target if isinstance(target, str) else getattr(target, "__name__", None) or "namespace"
    if isinstance(target, os.PathLike):
        label = os.fspath(target)
    runner: Sandbox | _InProcess
    try:
        if isinstance(target, str | os.PathLike):
            spec: CodeSpec = parse_target(os.fspath(target), function)
            label = spec.label
            runner = Sandbox(spec, timeout=timeout)
        else:
            runner = _InProcess(target, function)
    except SandboxFailedError as failed:
        return CheckResult(
            str(label), "error", None, hidden or "relu", {}, [], failure=failed.failure, seed=seed
        )
    try:
        return _check(runner, str(label), hidden, layers, seed)
    finally:
        runner.close()


def _detect_hidden(runner: Sandbox | _InProcess, style: str, hidden: str, seed: int) -> str | None:
    """The hidden activation whose forward pass gives the learner's A[L] on a probe problem (None if
    their forward pass matches none, or gives no A[L], or fails: the check proper reports that)."""
    from .architectures import HIDDEN_ACTIVATIONS

    arch = architectures_for(style, hidden)[0]
    parameters, X, Y = make_problem(arch, np.random.default_rng([seed, 0]))
    try:
        run = runner.run(parameters, X, Y)
    except SandboxFailedError:
        return None
    for name in (hidden, *HIDDEN_ACTIVATIONS):
        if run.output is not None:  # the forward pass tells
            AL, _ = reference_forward(parameters, X, name)
            if run.output.shape == AL.shape and relative_difference(run.output, AL) < 1e-8:
                return name
        else:  # function style: the weight gradients tell, if they are right for some activation
            right = reference_backward(parameters, X, Y, name)
            keys = [k for k in right if k[:2] in ("dW", "db")]
            if all(k in run.grads and _same(run.grads[k], right[k]) for k in keys):
                return name
    return None


def _check(
    runner: Sandbox | _InProcess, label: str, hidden: str | None, layers: Sequence[int] | None, seed: int
) -> CheckResult:
    from .oracle import reference_gradients

    try:
        loaded = runner.load()
    except SandboxFailedError as failed:
        return CheckResult(label, "error", None, hidden or "relu", {}, [], failure=failed.failure, seed=seed)
    style = loaded.style
    notes = list(loaded.warnings)
    if hidden is None:
        hidden = default_hidden(style)
        detected = _detect_hidden(runner, style, hidden, seed)
        if detected is not None and detected != hidden:
            notes.append(
                f"your forward pass uses the hidden activation {detected}, not the course's {hidden} "
                f"for this style: checked with {detected} (set it with --hidden)"
            )
            hidden = detected
    if layers is not None and style == "two_layer" and len(layers) != 3:
        notes.append(f"--layers {layers} ignored: the two-layer style needs exactly n[0], n[1], n[2]")
        layers = None
    try:
        archs = architectures_for(style, hidden, layers)
    except ValueError as error:
        failure = Failure("load", str(error))
        return CheckResult(label, "error", style, hidden, {}, [], failure=failure, seed=seed)
    result = CheckResult(
        label, "correct", style, hidden, {}, archs, notes=notes, skipped=loaded.skipped, seed=seed
    )
    runs: list[_Run] = []
    old_dA = None
    for index, arch in enumerate(archs):
        parameters, X, Y = make_problem(arch, np.random.default_rng([seed, index]))
        run = _Run(arch, parameters, X, Y, reference_gradients(parameters, X, Y, hidden))
        try:
            run.output = runner.run(parameters, X, Y)
        except SandboxFailedError as failed:
            result.verdict, result.failure = "error", failed.failure
            result.error_diagnosis = _error_diagnosis(run, failed.failure)
            result.architectures = archs[: index + 1]
            return result
        shifted = _shift_old_dA(run.output.grads, arch.L)
        if old_dA is None:
            old_dA = shifted
            if shifted:
                result.notes.append(
                    "your dA keys are one higher (older course version: dA1 is the input gradient); "
                    "they were read as dA0, dA1, ..."
                )
        if run.output.output is not None:
            AL, _ = reference_forward(parameters, X, hidden)
            forward = (
                relative_difference(run.output.output, AL) if run.output.output.shape == AL.shape else 1.0
            )
            if forward > 1e-8 and not any("forward pass" in n for n in result.notes):
                result.notes.append(
                    f"your forward pass gives another A[L] (relative difference {forward:.2g} on "
                    f"{arch.label}): check the forward pass (and the hidden activation, --hidden) first"
                )
        runs.append(run)
    checked = _compare_all(runs, style, result)
    _diagnose(runs, result.gradients, checked)
    for gradient in result.gradients.values():
        if gradient.status == "wrong" and not gradient.diagnosis and gradient.got is not None:
            assert gradient.expected is not None
            gradient.detail = _describe_difference(gradient.got, gradient.expected)
    if any(g.status != "ok" for g in result.gradients.values()):
        result.verdict = "incorrect"
    return result


def _compare_all(runs: Sequence[_Run], style: str, result: CheckResult) -> set[str]:
    names: list[str] = []
    for run in runs:
        names += [n for n in run.arch.gradient_names() if n not in names]
    extra: set[str] = set()
    checked: set[str] = set()
    for name in _backprop_order(names):
        required = not name.startswith("dA") or style == "l_layer"
        statuses: list[tuple[str, float, _Where]] = []
        for run in runs:
            assert run.output is not None
            if name not in run.oracle:
                continue
            expected = run.oracle[name]
            tolerance = tolerance_for(np.float64, "reverse")
            if name in run.output.not_arrays:
                statuses.append(
                    ("bad_shape", np.inf, (run, None, f"not an array: {run.output.not_arrays[name]}"))
                )
                continue
            got = run.output.grads.get(name)
            if got is None:
                if required:
                    statuses.append(("missing", np.nan, (run, None, "")))
                continue
            tolerance = _tolerance(got)
            if got.shape != expected.shape:
                statuses.append(("bad_shape", np.inf, (run, got, _bad_shape_detail(name, got, expected))))
            elif not np.isfinite(got).all():
                count = int((~np.isfinite(got)).sum())
                statuses.append(
                    ("not_finite", np.inf, (run, got, f"{count} of {got.size} entries are NaN or inf"))
                )
            else:
                comparison = compare(name, got, expected, tolerance)
                status = "ok" if comparison.passed else "wrong"
                statuses.append((status, comparison.relative_difference, (run, got, "")))
        if not statuses:
            continue
        checked.add(name)
        worst = min(statuses, key=lambda s: _SEVERITY[s[0]])
        errors = [s[1] for s in statuses if not np.isnan(s[1])]
        gradient = GradientResult(
            name,
            worst[0],
            max(errors) if errors else None,
            max(_tolerance(s[2][1]).max_relative_difference for s in statuses if s[2][1] is not None)
            if any(s[2][1] is not None for s in statuses)
            else tolerance_for(np.float64, "reverse").max_relative_difference,
        )
        if worst[0] != "ok":
            run, got, detail = worst[2]
            gradient.detail = detail
            gradient.got, gradient.expected = got, run.oracle[name]
            gradient.architecture = run.arch.label
        result.gradients[name] = gradient
    for run in runs:
        assert run.output is not None
        extra |= set(run.output.grads) - set(run.arch.gradient_names())
    extra -= {f"dA{run.arch.L}" for run in runs}  # the learner's own dA[L]
    if extra:
        result.notes.append(f"keys not checked: {', '.join(sorted(extra))}")
    return checked


def assert_backprop_correct(target: Any, **options: Any) -> CheckResult:
    """For a learner's own pytest file: ``assert_backprop_correct("my_backprop.py")`` fails with the
    full report (which gradient is wrong, the likely mistake and its fix) unless every gradient
    agrees with the oracle. Takes the options of :func:`check_implementation`."""
    result = check_implementation(target, **options)
    if not result.passed:
        raise AssertionError("\n" + format_terminal(result, color=False))
    return result


# --- presentation --------------------------------------------------------------------------------

_COLORS = {"ok": "32", "wrong": "31", "missing": "33", "bad_shape": "31", "not_finite": "35", "error": "31"}


def _paint(text: str, status: str, color: bool) -> str:
    return f"\033[{_COLORS.get(status, '0')}m{text}\033[0m" if color else text


def where_text(where: str, style: str | None) -> str:
    """Where a mistake was made, in words: "" (every layer), "output layer only", ..."""
    if where == "all":
        return ""
    if style == "two_layer":
        return "layer 2 only" if where == "output" else "layer 1 only"
    return "output layer only" if where == "output" else "hidden layers only"


def _fix_text(mistake_id: str, where: str, name: str, style: str | None = None) -> str:
    """``id (where): fix `line``` with the part of the fix that computes ``name``'s kind of gradient."""
    mistake = get_mistake(mistake_id)
    place = f" ({where_text(where, style)})" if where != "all" else ""
    right = mistake.code(style)[1]
    parts = [p.strip() for p in right.split("; ")]
    kind = name[:2] if not name.startswith("dA") else "dA_prev"
    fix = next((p for p in parts if p.startswith(kind)), right)
    if style == "two_layer" and name in ("dW2", "db2") and fix.startswith(("dW1", "db1")):
        for one, two in (("dW1", "dW2"), ("db1", "db2"), ("dZ1", "dZ2"), ("X.T", "A1.T")):
            fix = fix.replace(one, two)  # the same line, written for layer 2
    return f"{mistake_id}{place}: fix `{fix}`"


def format_terminal(result: CheckResult, color: bool | None = None) -> str:
    """The report for a learner: one line per gradient, then the explanations and a verdict."""
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    lines = [f"manualbp check {result.target}"]
    if result.style:
        lines.append(f"style: {STYLE_NAMES[result.style]}, hidden activation {result.hidden}, sigmoid output")
    if result.architectures:
        shown = ", ".join(f"[{','.join(map(str, a.layer_dims))}] m={a.m}" for a in result.architectures)
        lines.append(f"architectures (seed {result.seed}): {shown}")
    if result.skipped:
        shown = "; ".join(result.skipped[:3]) + ("; ..." if len(result.skipped) > 3 else "")
        lines.append(
            f"notebook: kept imports and definitions, skipped {len(result.skipped)} other statements"
        )
        lines.append(f"  ({shown})")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append("")
    width = max((len(n) for n in result.gradients), default=4)
    for name, g in result.gradients.items():
        status = _paint(f"{g.status:<10}", g.status, color)
        if g.status in ("ok", "wrong") and g.max_relative_error is not None:
            sign = "≤" if g.status == "ok" else ">"
            error = f"rel. diff {g.max_relative_error:.1e} {sign} {g.threshold:.0e}"
        elif g.status == "missing":
            error = f"not returned (expected {course_shape(name)})"
        else:
            error = g.detail
        line = f"  {name:<{width}}  {status} {error:<27}"
        if g.diagnosis:
            joined = " together with " if g.combined else " or "
            line += "  likely " + joined.join(
                _fix_text(d, g.where.get(d, "all"), name, result.style) for d in g.diagnosis
            )
        elif g.status == "wrong" and g.detail:
            line += "  no catalogued mistake reproduces this: " + g.detail
        elif g.status == "bad_shape":
            line += "  no catalogued mistake reproduces this"
        lines.append(line.rstrip())
    if result.failure is not None:
        f = result.failure
        lines.append(_paint(f"could not run the code: {f.message}", "error", color))
        if f.traceback and "File " in f.traceback:
            lines.append("")
            lines.extend("  " + t for t in f.traceback.rstrip().splitlines()[-12:])
        elif f.output.strip():
            lines.append("  its output ended with:")
            lines.extend("  " + t for t in f.output.rstrip().splitlines()[-8:])
        if result.error_diagnosis:
            lines.append("")
            lines.append("this is the error a catalogued mistake raises:")
    named = result.mistakes
    if named and result.failure is None:
        lines.append("")
    for mistake_id in named:
        mistake = get_mistake(mistake_id)
        lines.append(f"  {mistake_id}: {mistake.explanation}")
        wrong, right = mistake.code(result.style)
        lines.append(f"      yours (likely): {wrong}")
        lines.append(f"      fix:            {right}")
    lines.append("")
    bad = len(result.not_ok())
    if result.verdict == "correct":
        verdict = f"verdict: CORRECT — all {len(result.gradients)} gradients agree with JAX"
    elif result.verdict == "incorrect":
        verdict = f"verdict: INCORRECT — {bad} of {len(result.gradients)} gradients are not right"
        unexplained = [n for n, g in result.not_ok().items() if g.status in ("wrong", "bad_shape")]
        if unexplained and not any(g.diagnosis for g in result.not_ok().values()):
            verdict += (
                f"; no catalogued mistake reproduces them, start with {unexplained[0]} "
                "(the first in backprop order)"
            )
    else:
        verdict = "verdict: ERROR — the code could not be run to the end"
    lines.append(_paint(verdict, "ok" if result.verdict == "correct" else "error", color))
    return "\n".join(lines)


def _html_table(result: CheckResult) -> str:
    rows = []
    for name, g in result.gradients.items():
        colour = "#1a7f37" if g.status == "ok" else "#cf222e"
        error = "" if g.max_relative_error is None else f"{g.max_relative_error:.1e}"
        why = ", ".join(g.diagnosis) or g.detail
        rows.append(
            f"<tr><td><code>{name}</code></td><td style='color:{colour}'><b>{g.status}</b></td>"
            f"<td>{error}</td><td>{g.threshold:.0e}</td><td>{html.escape(why)}</td></tr>"
        )
    head = (
        f"<p><b>{html.escape(result.verdict.upper())}</b> — {html.escape(result.target)}"
        f" ({html.escape(STYLE_NAMES.get(result.style or '', 'style unknown'))}, hidden {result.hidden})</p>"
    )
    if result.failure is not None:
        head += f"<pre>{html.escape(result.failure.message)}\n{html.escape(result.failure.traceback)}</pre>"
    table = (
        "<table><tr><th>gradient</th><th>status</th><th>rel. diff</th><th>threshold</th>"
        "<th>likely mistake / where it differs</th></tr>" + "".join(rows) + "</table>"
    )
    fixes = "".join(
        f"<li><code>{m}</code>: {html.escape(get_mistake(m).explanation)}<br>fix: "
        f"<code>{html.escape(get_mistake(m).code(result.style)[1])}</code></li>"
        for m in result.mistakes
    )
    return head + table + (f"<ul>{fixes}</ul>" if fixes else "")


def write_reports(result: CheckResult, out: Path) -> list[Path]:
    """``check.md`` and ``check.html`` (with a heat map per wrong gradient) in ``out``."""
    from .plots import heatmap_png
    from .templating import write_report_pair

    out.mkdir(parents=True, exist_ok=True)
    heatmaps = {}
    for name, g in result.not_ok().items():
        if g.got is not None and g.expected is not None:
            heatmaps[name] = heatmap_png(g.got, g.expected, f"{name}: |yours − right| on {g.architecture}")
    context = {
        "result": result,
        "data": result.to_json(),
        "style_name": STYLE_NAMES.get(result.style or "", "not recognised"),
        "heatmaps": heatmaps,
        "mistakes": [get_mistake(m) for m in result.mistakes],
        "terminal": format_terminal(result, color=False),
        "course_shape": course_shape,
        "where_text": where_text,
    }
    return write_report_pair(out, "check", context)
