"""The reports of ``manualbp verify``: ``verification.json`` (schema below), ``.md`` and ``.html``.

Same seed, same bytes: nothing here reads the clock or the machine. Numbers are rounded to a few
significant digits (``_round``) so that the last bits of floating-point noise never reach the files.
Run metadata (package versions) lives in the separate ``environment`` block, also deterministic
for one install.

JSON schema ``manualbp.verification`` version 1::

    {
      "schema": "manualbp.verification", "schema_version": 1,
      "verdict": "pass" | "fail",
      "run": {"command", "seed", "architectures_per_dtype", "dtypes"},
      "summary": {
        "architectures", "architectures_passed", "checks", "checks_failed",
        "by_dtype": {dtype: {oracle: {"checks", "failed", "passed_near_zero", "max_relative_difference",
                                      "max_elementwise_error", "worst": {"architecture",
                                      "function", "gradient"}}}},
        "by_function": {function: {"checks", "failed", "max_relative_difference": {oracle: x}}}
      },
      "tolerances": {dtype: {oracle: {"rtol", "atol", "max_relative_difference", "reason"}}},
      "method": {...how each oracle is computed...},
      "architectures": [
        {"id", "index", "layer_dims", "L", "m", "hidden_activation", "output_activation", "dtype",
         "cost", "passed", "errors": [str],
         "shape_invariants": {"passed": bool, "failures": [str]},
         "functions": {function: {gradient: {"shape", "expected_shape",
                       oracle: {"relative_difference", "max_elementwise_error", "passed"}}}}}
      ],
      "environment": {"python", "numpy", "jax", "jaxlib", "matplotlib", "jinja2", "manualbp"}
    }

``function`` is ``model_backward``, ``model_backward_course``, ``linear_activation_backward[l]`` or
``two_layer``; ``oracle`` is ``reverse``, ``forward`` or ``finite_difference``. For reverse mode the
metrics are over the gradient's entries; for forward mode and finite differences, over its
directional derivatives (see ``method``). Non-finite metrics are written as the strings "inf"/"nan".
"""

from __future__ import annotations

import json
import math
import platform
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .padded import COORDINATE_DIRECTIONS, DENSE_DIRECTIONS, LMAX, MMAX, NMAX
from .sweep import ArchitectureResult, SweepResult
from .templating import environment as template_environment
from .templating import render
from .tolerances import DTYPES, FD_STEP, ORACLES, TOLERANCES

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "ReportPreparation",
    "build_report",
    "write_reports",
    "environment",
]

SCHEMA = "manualbp.verification"
SCHEMA_VERSION = 1
MAX_HEATMAPS = 8
TEMPLATES = ("verification.md.j2", "verification.html.j2")
DISTRIBUTIONS = ("relative", "elementwise")  # the two error-distribution plots of each dtype

ORACLE_TITLES = {
    "reverse": "reverse mode (jax.grad)",
    "forward": "forward mode (jax.jvp)",
    "finite_difference": "float64 central differences",
}


def _round(value: float, digits: int = 4) -> float | str:
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    return float(f"{value:.{digits}g}")


def _arch_id(result: ArchitectureResult) -> str:
    return f"{result.arch.dtype}-{result.index:03d}"


def environment() -> dict[str, str]:
    """Versions of the interpreter and the packages that compute the results."""
    versions = {"python": platform.python_version()}
    for package in ("numpy", "jax", "jaxlib", "matplotlib", "jinja2", "manualbp"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _method() -> dict[str, Any]:
    return {
        "cost": "J = -(1/m) Σ (Y log A[L] + (1-Y) log(1-A[L])), rewritten in jax.numpy with its own "
        "forward pass and a stable log-sigmoid; manualbp is only called, never reused",
        "convention": "dW[l] = ∂J/∂W[l], db[l] = ∂J/∂b[l], dA[l] = m ∂J/∂A[l] (dA0 = m ∂J/∂X)",
        "reverse": "jax.grad of J, compared entry by entry",
        "forward": "jax.jvp of J along unit directions supported on one gradient array each, "
        "compared with ⟨gradient, v⟩ (dA[l]/m for dA arrays)",
        "finite_difference": f"float64 central differences (J(θ+εv) - J(θ-εv)) / 2ε, ε = {FD_STEP:g}, "
        "along the same directions, for float32 problems too",
        "directions": f"per gradient array, {DENSE_DIRECTIONS} dense Gaussian and "
        f"{COORDINATE_DIRECTIONS} single-coordinate unit direction(s), drawn from the seed",
        "frame": f"networks are zero-padded to L = {LMAX}, n = {NMAX}, m = {MMAX} with a masked loss, so "
        "one compiled oracle per dtype serves every architecture; padding changes neither J nor "
        "the derivatives of real entries",
        "inputs": "W[l] ~ N(0, gain/n[l-1]), b ~ N(0, 0.01), X ~ N(0, 1), Y ~ Bernoulli(1/2); "
        "examples with |Z| < 1e-3 at a ReLU kink or |Z[L]| > 4 are redrawn",
        "pass": "max |a-b|/(atol + rtol|b|) <= 1 and (relative difference <= bound or max |a-b| <= atol)",
    }


def _checks_json(result: ArchitectureResult) -> dict[str, Any]:
    functions: dict[str, dict[str, Any]] = {}
    for check in result.checks:
        entry = functions.setdefault(check.function, {}).setdefault(
            check.gradient,
            {"shape": list(check.gradient_shape), "expected_shape": list(check.expected_shape)},
        )
        c = check.comparison
        entry[check.oracle] = {
            "relative_difference": _round(c.relative_difference),
            "max_elementwise_error": _round(c.max_elementwise_error),
            "passed": c.passed,
        }
    return functions


def _summary(sweep: SweepResult) -> dict[str, Any]:
    by_dtype: dict[str, dict[str, dict[str, Any]]] = {}
    by_function: dict[str, dict[str, Any]] = {}
    for result in sweep.results:
        dtype = result.arch.dtype
        for check in result.checks:
            c = check.comparison
            slot = by_dtype.setdefault(dtype, {}).setdefault(
                check.oracle,
                {
                    "checks": 0,
                    "failed": 0,
                    "passed_near_zero": 0,
                    "max_relative_difference": 0.0,
                    "max_elementwise_error": 0.0,
                    "worst": None,
                },
            )
            slot["checks"] += 1
            slot["failed"] += 0 if c.passed else 1
            bound = TOLERANCES[(dtype, check.oracle)].max_relative_difference
            slot["passed_near_zero"] += 1 if c.passed and c.relative_difference > bound else 0
            if slot["worst"] is None or c.relative_difference > slot["max_relative_difference"]:
                slot["max_relative_difference"] = c.relative_difference
                slot["worst"] = {
                    "architecture": _arch_id(result),
                    "function": check.function,
                    "gradient": check.gradient,
                }
            slot["max_elementwise_error"] = max(slot["max_elementwise_error"], c.max_elementwise_error)
            family = check.function.split("[")[0]
            fslot = by_function.setdefault(
                family, {"checks": 0, "failed": 0, "max_relative_difference": dict.fromkeys(ORACLES, 0.0)}
            )
            fslot["checks"] += 1
            fslot["failed"] += 0 if c.passed else 1
            worst = fslot["max_relative_difference"]
            worst[check.oracle] = max(worst[check.oracle], c.relative_difference)
    for oracles in by_dtype.values():
        for slot in oracles.values():
            slot["max_relative_difference"] = _round(slot["max_relative_difference"])
            slot["max_elementwise_error"] = _round(slot["max_elementwise_error"])
    for fslot in by_function.values():
        fslot["max_relative_difference"] = {k: _round(v) for k, v in fslot["max_relative_difference"].items()}
    checks = sum(len(r.checks) for r in sweep.results)
    failed = sum(1 for r in sweep.results for c in r.checks if not c.comparison.passed)
    return {
        "architectures": len(sweep.results),
        "architectures_passed": sum(1 for r in sweep.results if r.passed),
        "checks": checks,
        "checks_failed": failed,
        "by_dtype": by_dtype,
        "by_function": by_function,
    }


def command_line(sweep: SweepResult) -> str:
    dtype = "both" if len(sweep.dtypes) == 2 else sweep.dtypes[0]
    return f"manualbp verify --architectures {sweep.count} --seed {sweep.seed} --dtype {dtype}"


def _architecture_json(result: ArchitectureResult) -> dict[str, Any]:
    """One entry of the report's ``architectures`` list."""
    entry = {"id": _arch_id(result), "index": result.index, **result.arch.to_json()}
    entry["cost"] = _round(result.cost, 10)
    entry["passed"] = result.passed
    entry["errors"] = list(result.errors)
    entry["shape_invariants"] = {
        "passed": not result.shape_failures,
        "failures": list(result.shape_failures),
    }
    entry["functions"] = _checks_json(result)
    return entry


def build_report(sweep: SweepResult, entries: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The JSON document (a plain dict) of a sweep. ``entries``, when given, are the
    ``architectures`` entries of the first results, already built (by :class:`ReportPreparation`)."""
    architectures = list(entries[: len(sweep.results)])
    architectures += [_architecture_json(result) for result in sweep.results[len(architectures) :]]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "verdict": "pass" if sweep.passed else "fail",
        "run": {
            "command": command_line(sweep),
            "seed": sweep.seed,
            "architectures_per_dtype": sweep.count,
            "dtypes": list(sweep.dtypes),
        },
        "summary": _summary(sweep),
        "tolerances": {
            dtype: {
                oracle: {
                    "rtol": t.rtol,
                    "atol": t.atol,
                    "max_relative_difference": t.max_relative_difference,
                    "reason": t.reason,
                }
                for (d, oracle), t in TOLERANCES.items()
                if d == dtype
            }
            for dtype in DTYPES
        },
        "method": _method(),
        "architectures": architectures,
        "environment": environment(),
    }


def dumps(report: dict[str, Any]) -> str:
    """Indented JSON, except that each architecture takes one line (the file stays readable and
    is written by the fast C encoder)."""
    parts = []
    for key, value in report.items():
        if key == "architectures":
            lines = ["  " + json.dumps(entry, ensure_ascii=False, allow_nan=False) for entry in value]
            text = "[\n" + ",\n".join(lines) + "\n ]" if lines else "[]"
        else:
            text = json.dumps(value, indent=1, ensure_ascii=False, allow_nan=False).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


# --- pages ---------------------------------------------------------------------------------------


def _failures(sweep: SweepResult) -> list[dict[str, Any]]:
    rows = []
    for result in sweep.results:
        for message in result.errors + result.shape_failures:
            rows.append(
                {
                    "architecture": _arch_id(result),
                    "label": result.arch.label,
                    "function": "",
                    "gradient": "",
                    "oracle": "",
                    "what": message,
                }
            )
        for check in result.checks:
            if not check.comparison.passed:
                c = check.comparison
                rows.append(
                    {
                        "architecture": _arch_id(result),
                        "label": result.arch.label,
                        "function": check.function,
                        "gradient": check.gradient,
                        "oracle": check.oracle,
                        "what": f"relative difference {c.relative_difference:.3g}, "
                        f"element-wise error {c.max_elementwise_error:.3g}× tolerance",
                    }
                )
    return rows


def _architecture_rows(sweep: SweepResult) -> list[dict[str, Any]]:
    rows = []
    for result in sweep.results:
        worst = dict.fromkeys(ORACLES, 0.0)
        for check in result.checks:
            worst[check.oracle] = max(worst[check.oracle], check.comparison.relative_difference)
        rows.append(
            {
                "id": _arch_id(result),
                "dims": ",".join(map(str, result.arch.layer_dims)),
                "m": result.arch.m,
                "activation": result.arch.hidden_activation,
                "dtype": result.arch.dtype,
                "checks": len(result.checks),
                "worst": worst,
                "passed": result.passed,
            }
        )
    return rows


def _distribution_png(results: Sequence[ArchitectureResult], dtype: str, kind: str) -> str:
    """The ``kind`` ("relative" or "elementwise") error-distribution plot of ``dtype``'s results."""
    from .plots import error_distribution_png

    errors: dict[str, list[float]] = {o: [] for o in ORACLES}
    for result in results:
        if result.arch.dtype == dtype:
            for check in result.checks:
                c = check.comparison
                value = c.relative_difference if kind == "relative" else c.max_elementwise_error
                errors[check.oracle].append(value)
    if kind == "relative":
        bounds = {o: TOLERANCES[(dtype, o)].max_relative_difference for o in ORACLES}
        return error_distribution_png(errors, bounds, f"{dtype}: relative difference per gradient array")
    return error_distribution_png(
        errors,
        dict.fromkeys(ORACLES, 1.0),
        f"{dtype}: max element-wise error in units of tolerance (pass ≤ 1)",
        xlabel="max |a−b| / (atol + rtol·|b|)",
    )


def _per_layer_png(sweep: SweepResult) -> str:
    """The largest relative difference per layer, one series per dtype and oracle."""
    from .plots import errors_per_layer_png

    per_layer: dict[str, dict[int, float]] = {}
    for dtype in sweep.dtypes:
        for result in sweep.results:
            if result.arch.dtype != dtype:
                continue
            for check in result.checks:
                layer = int(check.gradient[2:])
                series = per_layer.setdefault(f"{dtype} {check.oracle}", defaultdict(float))
                series[layer] = max(series[layer], check.comparison.relative_difference)
    return errors_per_layer_png(per_layer, "largest relative difference per layer, per dtype and oracle")


def _plots(sweep: SweepResult, done: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """Every plot of the HTML report; ``done`` holds distribution plots already drawn, by
    (dtype, kind)."""
    done = done or {}
    distributions = []
    for dtype in sweep.dtypes:
        plots = {"dtype": dtype}
        for kind in DISTRIBUTIONS:
            plots[kind] = done.get((dtype, kind)) or _distribution_png(sweep.results, dtype, kind)
        distributions.append(plots)
    return {"distributions": distributions, "per_layer": _per_layer_png(sweep)}


def _heatmaps(sweep: SweepResult) -> list[dict[str, str]]:
    """Heat maps of the entries that differ, for reverse-mode disagreements (the entry-wise oracle),
    at most one per (function, gradient) so that different mistakes are all shown."""
    from .plots import heatmap_png

    maps: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for result in sweep.results:
        for check, got, expected in result.evidence:
            key = (check.function.split("[")[0], check.gradient)
            if check.oracle != "reverse" or key in seen:
                continue
            if len(maps) >= MAX_HEATMAPS:
                return maps
            seen.add(key)
            title = f"{_arch_id(result)} {check.function} {check.gradient}: manualbp vs reverse mode"
            uri = heatmap_png(got, expected, title)
            maps.append({"title": title, "label": result.arch.label, "uri": uri})
    return maps


def _context(
    sweep: SweepResult,
    report: dict[str, Any],
    with_plots: bool,
    prepared: ReportPreparation | None = None,
) -> dict[str, Any]:
    context = {
        "report": report,
        "oracles": ORACLES,
        "oracle_titles": ORACLE_TITLES,
        "failures": _failures(sweep),
        "rows": _architecture_rows(sweep),
    }
    if with_plots:
        context["plots"] = _plots(sweep, prepared.plots if prepared is not None else None)
        context["heatmaps"] = _heatmaps(sweep)
    return context


def write_reports(
    sweep: SweepResult,
    out: Path,
    json_path: Path | None = None,
    prepared: ReportPreparation | None = None,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Write verification.json, .md and .html to ``out`` (and the JSON to ``json_path``); return
    the JSON document and the paths written. ``prepared``: work done during the sweep (the files
    are the same bytes with or without it)."""
    report = build_report(sweep, prepared.entries if prepared is not None else ())
    out.mkdir(parents=True, exist_ok=True)
    text = dumps(report)
    paths = {
        "json": out / "verification.json",
        "md": out / "verification.md",
        "html": out / "verification.html",
    }
    paths["json"].write_text(text, encoding="utf-8")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text, encoding="utf-8")
        paths["extra_json"] = json_path
    paths["md"].write_text(render("verification.md.j2", **_context(sweep, report, False)), encoding="utf-8")
    paths["html"].write_text(
        render("verification.html.j2", **_context(sweep, report, True, prepared)), encoding="utf-8"
    )
    return report, paths


# --- work done while the sweep runs ---------------------------------------------------------------


def _import_plots() -> None:
    """Import Matplotlib (through :mod:`verification.plots`): a quarter of a second."""
    from . import plots  # noqa: F401


def _load_templates() -> None:
    """Compile the report templates (Jinja2 caches them in its environment)."""
    for name in TEMPLATES:
        template_environment().get_template(name)


class ReportPreparation:
    """The part of the reports that can be made before the sweep ends, made in its waits.

    ``manualbp verify``'s main thread runs manualbp and the comparisons faster than the worker
    threads compute the JAX oracles, so it would wait for them much of the sweep. :meth:`step` (an
    :data:`verification.sweep.IdleWork`) fills those waits with one short piece of work at a time:
    importing Matplotlib and compiling the templates, the JSON entries of the architectures verified
    so far, and the error-distribution plots of every dtype whose architectures are all verified.
    :func:`write_reports` then uses what is ready, and makes the rest: the files are the same bytes.
    """

    ENTRIES_PER_STEP = 8

    def __init__(self, count: int, dtypes: Sequence[str]) -> None:
        self.count = count
        self.dtypes = list(dtypes)
        self.entries: list[dict[str, Any]] = []  # JSON entries of the first len(entries) results
        self.plots: dict[tuple[str, str], str] = {}  # (dtype, kind) -> data URI
        self._setup: list[Callable[[], None]] = [_import_plots, _load_templates]

    def step(self, results: Sequence[ArchitectureResult]) -> bool:
        """Do one piece of the work that ``results`` (the sweep's so far) allow; False if none."""
        if self._setup:
            self._setup.pop(0)()
            return True
        if len(self.entries) < len(results):
            new = results[len(self.entries) : len(self.entries) + self.ENTRIES_PER_STEP]
            self.entries.extend(_architecture_json(result) for result in new)
            return True
        for dtype in self.dtypes:
            for kind in DISTRIBUTIONS:
                if (dtype, kind) not in self.plots and self._complete(results, dtype):
                    self.plots[(dtype, kind)] = _distribution_png(results, dtype, kind)
                    return True
        return False

    def _complete(self, results: Sequence[ArchitectureResult], dtype: str) -> bool:
        """Whether every architecture of ``dtype`` is among ``results``."""
        return sum(1 for result in results if result.arch.dtype == dtype) == self.count
