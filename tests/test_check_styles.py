"""Correct implementations in different styles must pass `manualbp check` (false alarms are as bad
as misses), whatever their style, convention or summation order."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import manualbp as mb
from manualbp.cli import main
from verification import assert_backprop_correct, check_implementation
from verification.architectures import HIDDEN_ACTIVATIONS
from verification.check import architectures_for
from verification.notebook import read_notebook
from verification.tolerances import tolerance_for

HERE = Path(__file__).parent / "learner_code"


@pytest.mark.parametrize(
    ("name", "style", "count"),
    [
        ("course_l_layer.py", "l_layer", 12),
        ("l_layer_old_dA.py", "l_layer", 12),
        ("two_layer_course.py", "two_layer", 4),
        ("course_notebook.ipynb", "l_layer", 12),
    ],
)
def test_correct_files_pass(name: str, style: str, count: int) -> None:
    result = check_implementation(HERE / name)
    assert result.verdict == "correct", str(result)
    assert result.style == style
    assert len(result.gradients) == count
    assert all(g.status == "ok" and not g.diagnosis for g in result.gradients.values())
    assert result.exit_code == 0


def test_old_course_dA_keys_are_read_one_lower() -> None:
    result = check_implementation(HERE / "l_layer_old_dA.py")
    assert any("one higher" in note for note in result.notes)
    assert {"dA0", "dA1", "dA2", "dA3"} <= set(result.gradients)


def test_notebook_keeps_definitions_and_skips_everything_else() -> None:
    code = read_notebook(HERE / "course_notebook.ipynb")
    kept = [chunk.text.splitlines()[0] for chunk in code.chunks]
    assert any(line.startswith("def L_model_backward") for line in kept)
    assert any("while True" in skipped for skipped in code.skipped)  # the endless loop is not run
    assert any("load_dataset" in skipped for skipped in code.skipped)
    assert any("%%time" in skipped for skipped in code.skipped)
    # the notebook first defines a linear_backward without 1/m, then the right one: the later wins
    assert sum(line.startswith("def linear_backward") for line in kept) == 2
    result = check_implementation(HERE / "course_notebook.ipynb")
    assert result.passed
    assert any("testCases" in note for note in result.notes)  # a missing import is reported, not fatal


def test_function_style_per_example_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    result = check_implementation(HERE / "function_style.py", function="gradients")
    assert result.passed, str(result)
    assert result.style == "function"
    monkeypatch.chdir(HERE)  # module:function imports from the current directory
    result = check_implementation("function_style:gradients")
    assert result.passed, str(result)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_manualbp_itself_passes_in_process(hidden: str) -> None:
    def gradients(parameters, X, Y):  # type: ignore[no-untyped-def]
        AL, caches = mb.model_forward(X, parameters, hidden)
        return mb.model_backward(AL, Y, caches, hidden)

    result = check_implementation(gradients, hidden=hidden)
    assert result.passed, str(result)
    assert set(result.gradients) == {"dW1", "db1", "dW2", "db2", "dW3", "db3", "dW4", "db4"} | {
        f"dA{l}" for l in range(4)
    }


def test_float32_gradients_pass_with_float32_tolerances_and_tanh_is_detected() -> None:
    def gradients(parameters, X, Y):  # type: ignore[no-untyped-def]
        AL, caches = mb.model_forward(X, parameters, "tanh")
        return {k: v.astype(np.float32) for k, v in mb.model_backward(AL, Y, caches, "tanh").items()}

    result = check_implementation(gradients)
    assert result.passed and result.hidden == "tanh", str(result)
    bound = tolerance_for("float32", "reverse").max_relative_difference
    assert all(g.threshold == bound for g in result.gradients.values())


def test_namespace_in_process_and_the_assertion_helper() -> None:
    namespace = {
        "forward_propagation": lambda X, p: mb.two_layer.forward_propagation(X, p),
        "backward_propagation": mb.two_layer.backward_propagation,
    }
    result = assert_backprop_correct(namespace)
    assert result.style == "two_layer" and result.hidden == "tanh"


def test_hidden_activation_is_detected_from_the_forward_pass(tmp_path: Path) -> None:
    source = (HERE / "course_l_layer.py").read_text().replace('HIDDEN = "relu"', 'HIDDEN = "tanh"')
    path = tmp_path / "tanh_net.py"
    path.write_text(source)
    result = check_implementation(path)
    assert result.passed and result.hidden == "tanh", str(result)
    assert any("hidden activation tanh" in note for note in result.notes)


def test_architectures_cannot_hide_a_transpose_or_broadcast() -> None:
    for style in ("l_layer", "two_layer", "function"):
        archs = architectures_for(style, "relu", [4, 6, 2])
        assert len(archs) == 4
        assert any(a.layer_dims[-1] > 1 for a in archs)
        for arch in archs:
            dims = arch.layer_dims
            assert all(a != b for a, b in itertools.pairwise(dims))  # no square W[l]
            assert arch.m not in dims and arch.m > 1


def test_cli_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    code = main(["check", str(HERE / "two_layer_course.py"), "--json", str(out), "--layers", "3,5,2"])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["verdict"] == "correct" and data["style"] == "two_layer" and data["error"] is None
    for gradient in data["gradients"].values():
        assert set(gradient) >= {"status", "max_relative_error", "diagnosis"}
        assert gradient["status"] == "ok" and gradient["diagnosis"] == []
        assert 0 <= gradient["max_relative_error"] < 1e-10
    assert [5, 4, 3] in [a["layer_dims"] for a in data["architectures"]]
    assert [3, 5, 2] in [a["layer_dims"] for a in data["architectures"]]
    assert "verdict: CORRECT" in capsys.readouterr().out


def test_result_shows_as_a_table_in_a_notebook() -> None:
    result = check_implementation(HERE / "two_layer_course.py")
    table = result._repr_html_()
    assert "<table>" in table and "dW1" in table and "CORRECT" in table
    assert np.isfinite([g.max_relative_error or 0 for g in result.gradients.values()]).all()
