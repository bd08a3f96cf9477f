"""The Markdown and HTML reports: Jinja2 templates from ``experiments/templates``.

The HTML is one self-contained file (figures as data URIs); the Markdown links to PNG files written
into a folder beside it. Nothing time-dependent goes in, so the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .common import ExperimentResult
from .plots import Figure, figures_for

__all__ = ["Section", "Skipped", "build_sections", "render_html", "render_markdown", "write_report"]

FIGURES_DIR = "experiments-figures"


@dataclass(frozen=True)
class Section:
    """One experiment as the report shows it."""

    result: ExperimentResult
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Skipped:
    """An experiment that could not run (for example scikit-learn is missing)."""

    title: str
    reason: str


def build_sections(results: Sequence[ExperimentResult]) -> list[Section]:
    return [Section(result, tuple(figures_for(result))) for result in results]


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("experiments", "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _context(
    sections: Sequence[Section], skipped: Sequence[Skipped], seed: int, quick: bool
) -> dict[str, object]:
    return {
        "sections": sections,
        "skipped": skipped,
        "seed": seed,
        "quick": quick,
        "figures_dir": FIGURES_DIR,
        "all_supported": all(s.result.supported for s in sections) and not skipped,
    }


def render_markdown(
    sections: Sequence[Section], skipped: Sequence[Skipped] = (), *, seed: int, quick: bool
) -> str:
    template = _environment(autoescape=False).get_template("experiments.md.j2")
    return template.render(_context(sections, skipped, seed, quick))


def render_html(
    sections: Sequence[Section], skipped: Sequence[Skipped] = (), *, seed: int, quick: bool
) -> str:
    template = _environment(autoescape=True).get_template("experiments.html.j2")
    return template.render(_context(sections, skipped, seed, quick))


def write_report(
    sections: Sequence[Section], skipped: Sequence[Skipped], out: Path, *, seed: int, quick: bool
) -> list[Path]:
    """Write experiments.md, experiments.html and the PNGs into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    figures_dir = out / FIGURES_DIR
    figures_dir.mkdir(exist_ok=True)
    written = []
    for section in sections:
        for figure in section.figures:
            path = figures_dir / f"{figure.name}.png"
            path.write_bytes(figure.png)
            written.append(path)
    for name, text in (
        ("experiments.md", render_markdown(sections, skipped, seed=seed, quick=quick)),
        ("experiments.html", render_html(sections, skipped, seed=seed, quick=quick)),
    ):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
