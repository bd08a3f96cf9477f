"""Take a learner's code from a Jupyter notebook: its imports and definitions, nothing else.

Learners write their backprop in a notebook next to training runs, plots and data loading. Only
the top-level imports, ``def``/``class`` statements and assignments that call nothing
(``HIDDEN = "relu"``, ``BACKWARDS = {"relu": relu_backward}``) of the code cells are kept, in cell
order, so a later definition replaces an earlier one as it would when the notebook runs top to
bottom. Every other top-level statement is
skipped (and listed). IPython magics and shell escapes (``%matplotlib inline``, ``!pip ...``) are
blanked; a cell that still does not parse is skipped with its syntax error.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Chunk", "NotebookCode", "read_notebook"]

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Chunk:
    """One kept top-level statement: ``kind`` is ``import`` (allowed to fail: course notebooks import
    helpers such as ``testCases`` that may not be there), ``assignment`` (an assignment that calls
    nothing, allowed to fail too: it may use data the notebook loads) or ``code``."""

    kind: str
    tree: ast.Module
    filename: str
    text: str


@dataclass
class NotebookCode:
    chunks: list[Chunk] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # filename -> cell source (for tracebacks)
    skipped: list[str] = field(default_factory=list)  # "cell 4, line 2: train(...)" descriptions


def _blank_magics(source: str) -> str:
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            lines.append("")  # keep line numbers
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _is_constant(node: ast.AST) -> bool:
    if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
        return False
    try:
        ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def _is_call_free_assignment(node: ast.AST) -> bool:
    """``ACTIVATIONS = {"relu": relu}`` or ``layers_dims = [n_x, 7, 1]``: an assignment that calls
    nothing (so it cannot start a training run or load data), kept but allowed to fail."""
    if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
        return False
    forbidden = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Subscript)
    return not any(isinstance(child, forbidden) for child in ast.walk(node.value))


def read_notebook(path: str | Path) -> NotebookCode:
    """The imports and definitions of the code cells of ``path`` (read with nbformat)."""
    import nbformat

    path = Path(path)
    notebook = nbformat.read(str(path), as_version=4)
    code = NotebookCode()
    number = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        filename = f"{path.name}, cell {number}"
        raw = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if raw.lstrip().startswith("%%"):
            code.skipped.append(f"cell {number}: cell magic {raw.strip().splitlines()[0]}")
            continue
        source = _blank_magics(raw)
        try:
            tree = ast.parse(source, filename=filename)
        except SyntaxError as error:
            code.skipped.append(f"cell {number}: does not parse ({error.msg}, line {error.lineno})")
            continue
        code.sources[filename] = source
        lines = source.splitlines()
        for node in tree.body:
            text = ast.get_source_segment(source, node) or ""
            if isinstance(node, ast.Import | ast.ImportFrom):
                kind = "import"
            elif isinstance(node, _DEFINITIONS) or _is_constant(node):
                kind = "code"
            elif _is_call_free_assignment(node):
                kind = "assignment"
            else:
                first = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
                code.skipped.append(f"cell {number}, line {node.lineno}: {first[:70]}")
                continue
            module = ast.Module(body=[node], type_ignores=[])
            code.chunks.append(Chunk(kind, module, filename, text))
    return code
