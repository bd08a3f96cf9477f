"""Rendering of the report templates in ``verification/templates/`` with Jinja2."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["render", "environment", "write_report_pair"]


def _number(value: Any, digits: int = 2) -> str:
    """``1.2e-16``: a float in short scientific notation ("—" for None, "inf" kept)."""
    if value is None:
        return "—"
    value = float(value)
    if value == 0.0:
        return "0"
    return f"{value:.{digits}g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.{digits - 1}e}"


def _markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, no line breaks)."""
    return str(value).replace("|", "\\|").replace("\n", " ")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One Environment over the package's templates; autoescape for .html (and .html.j2) files."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("verification", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "html.j2"), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["sci"] = _number
    env.filters["cell"] = _markdown_cell
    return env


def render(template_name: str, **context: Any) -> str:
    """Render ``verification/templates/<template_name>`` with ``context``."""
    return environment().get_template(template_name).render(**context)


def write_report_pair(out: Path, stem: str, context: dict[str, Any]) -> list[Path]:
    """Render ``{stem}.md.j2`` and ``{stem}.html.j2`` with ``context`` into ``out``; return the paths."""
    paths = []
    for name in (f"{stem}.md", f"{stem}.html"):
        path = out / name
        path.write_text(render(f"{name}.j2", **context), encoding="utf-8")
        paths.append(path)
    return paths
