"""``manualbp mistakes``: every catalogued mistake, planted in a course-style learner file, is checked
by ``manualbp check`` and must be caught (the verdict is not ``correct``) and named (its id is in the
diagnosis). With ``--out DIR``, a gallery a teacher can show: each mistake with its explanation, the
mistaken and the right code, the gradients it corrupts and the size of the error it produces.

The gallery also says which mistakes cannot be told apart, and under which hidden activation a
mistake is invisible (it gives exactly the right gradients), both computed on the reference backward.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .architectures import HIDDEN_ACTIVATIONS, Architecture, make_problem
from .catalogue import MISTAKES, Mistake, MistakeRaisedError, learner_source, reference_backward
from .check import CheckResult, check_implementation

__all__ = [
    "MistakeOutcome",
    "alike_on_some_gradients",
    "indistinguishable_pairs",
    "invisible_under",
    "run",
    "run_catalogue",
]

# Architectures of the static analysis (distinct sizes, m unlike every n[l], several outputs).
_ANALYSIS = (Architecture((5, 4, 3, 2), 7), Architecture((3, 8, 6, 4, 2), 10))


@dataclass
class MistakeOutcome:
    mistake: Mistake
    hidden: str
    result: CheckResult
    caught: bool
    named: bool
    also_named: list[str] = field(default_factory=list)

    @property
    def corrupted(self) -> dict[str, float | None]:
        """Gradient -> its largest relative difference (None for a wrong shape or NaN)."""
        return {
            name: (g.max_relative_error if g.status == "wrong" else None)
            for name, g in self.result.not_ok().items()
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.mistake.id,
            "hidden_activation": self.hidden,
            "caught": self.caught,
            "named": self.named,
            "also_named": self.also_named,
            "verdict": self.result.verdict,
            "corrupted": {
                name: {"status": g.status, "max_relative_error": g.to_json()["max_relative_error"]}
                for name, g in self.result.not_ok().items()
            },
            "error": None if self.result.failure is None else self.result.failure.message,
        }


def run_catalogue(
    folder: Path | None = None, timeout: float = 60.0, progress: bool = False
) -> list[MistakeOutcome]:
    """Plant each mistake in the course-style learner file and check it (with the hidden activation
    under which the mistake is visible)."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="manualbp-mistakes-") as tmp:
        where = Path(folder or tmp)
        where.mkdir(parents=True, exist_ok=True)
        items: Any = MISTAKES
        if progress:
            from tqdm import tqdm

            items = tqdm(MISTAKES, desc="mistakes", unit="mistake", leave=False)
        for mistake in items:
            path = where / f"{mistake.id}.py"
            path.write_text(learner_source(mistake.id, mistake.demo_hidden), encoding="utf-8")
            result = check_implementation(str(path), hidden=mistake.demo_hidden, timeout=timeout)
            named = result.mistakes
            outcomes.append(
                MistakeOutcome(
                    mistake,
                    mistake.demo_hidden,
                    result,
                    caught=result.verdict != "correct",
                    named=mistake.id in named,
                    also_named=[m for m in named if m != mistake.id],
                )
            )
    return outcomes


def _outputs(mistake: str | None, hidden: str, where: str = "all") -> list[dict[str, np.ndarray] | str]:
    results: list[dict[str, np.ndarray] | str] = []
    for index, arch in enumerate(_ANALYSIS):
        arch = Architecture(arch.layer_dims, arch.m, hidden)
        parameters, X, Y = make_problem(arch, np.random.default_rng([7, index]))
        try:
            results.append(reference_backward(parameters, X, Y, hidden, mistake, where))
        except MistakeRaisedError as error:
            results.append(f"raises {error.messages[0].strip()}")
    return results


def _equal(a: list[dict[str, np.ndarray] | str], b: list[dict[str, np.ndarray] | str]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
            continue
        for name in x:
            if x[name].shape != y[name].shape or not np.allclose(x[name], y[name], rtol=1e-9, atol=1e-12):
                return False
    return True


def invisible_under(mistake: Mistake, where: str | None = None) -> list[str]:
    """Hidden activations under which the mistake, made in ``where`` (default: as planted in the
    learner file), gives exactly the right gradients."""
    where = where or mistake.template_where
    return [
        hidden
        for hidden in HIDDEN_ACTIVATIONS
        if _equal(_outputs(mistake.id, hidden, where), _outputs(None, hidden))
    ]


def indistinguishable_pairs(hidden: str) -> list[tuple[str, str]]:
    """Pairs of mistakes that give identical gradients (all of them) under ``hidden``."""
    outputs = {m.id: _outputs(m.id, hidden, m.template_where) for m in MISTAKES}
    ids = [m.id for m in MISTAKES]
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if _equal(outputs[a], outputs[b])]


def alike_on_some_gradients(hidden: str) -> list[tuple[str, str, list[str]]]:
    """Pairs of mistakes that give the same wrong value on some gradients (but not on all: those
    are :func:`indistinguishable_pairs`), with those gradients. The checker tells such a pair apart
    by the other gradients."""
    right = _outputs(None, hidden)
    outputs = {m.id: _outputs(m.id, hidden, m.template_where) for m in MISTAKES}
    ids = [m.id for m in MISTAKES]
    found = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            names: set[str] = set()
            for x, y, r in zip(outputs[a], outputs[b], right, strict=True):
                if isinstance(x, str) or isinstance(y, str) or isinstance(r, str):
                    continue
                for name in r:
                    same = x[name].shape == y[name].shape and np.allclose(x[name], y[name], 1e-9, 1e-12)
                    wrong = x[name].shape != r[name].shape or not np.allclose(x[name], r[name], 1e-9, 1e-12)
                    if same and wrong:
                        names.add(name)
            if names:
                found.append((a, b, sorted(names)))
    return found


def _format(outcomes: list[MistakeOutcome]) -> str:
    lines = ["manualbp mistakes: each catalogued mistake planted in a course-style file and checked", ""]
    width = max(len(o.mistake.id) for o in outcomes)
    for o in outcomes:
        mark = "caught and named" if o.caught and o.named else "caught, NOT named" if o.caught else "MISSED"
        if o.result.verdict == "error":
            what = "raises: " + (o.result.failure.message if o.result.failure else "")
        else:
            names = list(o.result.not_ok())
            what = f"{len(names)} gradients: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}"
        also = f" (also named: {', '.join(o.also_named)})" if o.also_named else ""
        lines.append(f"  {o.mistake.id:<{width}}  [{o.hidden:<4}]  {mark}{also}  {what[:90]}")
    caught = sum(o.caught for o in outcomes)
    named = sum(o.caught and o.named for o in outcomes)
    lines += ["", f"{len(outcomes)} mistakes: {caught} caught, {named} caught and named"]
    return "\n".join(lines)


def write_gallery(outcomes: list[MistakeOutcome], out: Path) -> list[Path]:
    from .plots import heatmap_png
    from .templating import write_report_pair

    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for o in outcomes:
        heatmap = None
        wrong = [
            (g.got.size, name, g)
            for name, g in o.result.not_ok().items()
            if g.status == "wrong" and g.got is not None and g.expected is not None
        ]
        if wrong:
            _, name, g = max(wrong, key=lambda item: item[0])
            assert g.got is not None and g.expected is not None
            heatmap = heatmap_png(g.got, g.expected, f"{o.mistake.id}: {name} on {g.architecture}")
        entries.append(
            {
                "outcome": o,
                "mistake": o.mistake,
                "corrupted": o.result.not_ok(),
                "invisible": invisible_under(o.mistake),
                "invisible_hidden": [
                    h
                    for h in (
                        invisible_under(o.mistake, "hidden") if o.mistake.template_where != "hidden" else []
                    )
                    if len(invisible_under(o.mistake, "hidden")) < len(HIDDEN_ACTIVATIONS)
                ],
                "heatmap": heatmap,
                "largest": max(
                    (g.max_relative_error or 0.0 for g in o.result.not_ok().values() if g.status == "wrong"),
                    default=None,
                ),
            }
        )
    pairs = {hidden: indistinguishable_pairs(hidden) for hidden in HIDDEN_ACTIVATIONS}
    alike = {hidden: alike_on_some_gradients(hidden) for hidden in ("relu", "tanh")}
    context = {
        "entries": entries,
        "pairs": pairs,
        "alike": alike,
        "caught": sum(o.caught for o in outcomes),
        "named": sum(o.caught and o.named for o in outcomes),
        "total": len(outcomes),
    }
    return write_report_pair(out, "mistakes", context)


def run(args: argparse.Namespace) -> int:
    outcomes = run_catalogue(progress=sys.stderr.isatty())
    print(_format(outcomes))
    out = getattr(args, "out", None)
    if out is not None:
        paths = write_gallery(outcomes, Path(out))
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0 if all(o.caught and o.named for o in outcomes) else 1
