"""Whatever the learner's code does, the checker survives it and says what happened: exceptions,
hangs, sys.exit and crashes are errors (exit code 2, with the message); NaN, missing keys and wrong
shapes are statuses of the gradients (exit code 1)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from manualbp.cli import main
from verification import check_implementation

HERE = Path(__file__).parent / "learner_code"


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("status_raises.py", "exception", "RuntimeError: not finished yet"),
        ("status_exits.py", "exit", "sys.exit('done')"),
        ("status_crashes.py", "crash", "exited with code 7"),
        ("status_no_entry_point.py", "load", "my_backprop"),
        ("syntax_error", "load", "SyntaxError"),
    ],
)
def test_failures_are_errors_with_their_message(name: str, kind: str, message: str, tmp_path: Path) -> None:
    path = HERE / name
    if name == "syntax_error":  # generated here: a file that does not parse would fail `ruff check .`
        path = tmp_path / "syntax_error.py"
        path.write_text("def backward_propagation(parameters, cache, X, Y)\n    return {}\n")
    result = check_implementation(path, timeout=20)
    assert result.verdict == "error" and result.exit_code == 2
    assert result.failure is not None and result.failure.kind == kind
    assert message in result.failure.message
    assert result.to_json()["error"] == result.failure.message


def test_exception_traceback_points_at_the_learner_line() -> None:
    result = check_implementation(HERE / "status_raises.py")
    assert result.failure is not None
    assert "status_raises.py" in result.failure.traceback and "line 30" in result.failure.traceback
    assert "sandbox.py" not in result.failure.traceback
    assert 'raise RuntimeError("not finished yet")' in str(result)


def test_a_hang_is_stopped_at_the_time_limit() -> None:
    start = time.perf_counter()
    result = check_implementation(HERE / "status_hangs.py", timeout=1.5)
    assert time.perf_counter() - start < 10
    assert result.verdict == "error" and result.failure is not None
    assert result.failure.kind == "timeout" and "1.5 s" in result.failure.message


@pytest.mark.parametrize(
    ("name", "gradient", "status", "detail"),
    [
        ("status_nan.py", "dW1", "not_finite", "1 of 20 entries are NaN"),
        ("status_missing.py", "db2", "missing", ""),
        ("status_bad_shape.py", "dW1", "bad_shape", "expected (4, 5) = (n[1], n[0])"),
    ],
)
def test_gradient_statuses(name: str, gradient: str, status: str, detail: str) -> None:
    result = check_implementation(HERE / name)
    assert result.verdict == "incorrect" and result.exit_code == 1
    assert {n: g.status for n, g in result.gradients.items() if g.status != "ok"} == {gradient: status}
    assert detail in result.gradients[gradient].detail
    assert result.gradients[gradient].diagnosis == []


def test_missing_gradient_says_the_expected_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(HERE / "status_missing.py")]) == 1
    assert "db2  missing    not returned (expected (n[2], 1))" in capsys.readouterr().out


def test_cli_exit_code_2_and_json_on_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "e.json"
    assert main(["check", str(HERE / "status_raises.py"), "--json", str(out)]) == 2
    data = json.loads(out.read_text())
    assert data["verdict"] == "error" and data["gradients"] == {}
    assert data["error"].startswith("RuntimeError")
    assert "verdict: ERROR" in capsys.readouterr().out


def test_no_such_file_is_an_error() -> None:
    result = check_implementation("no_such_learner_file.py")
    assert result.verdict == "error" and result.exit_code == 2
    assert result.failure is not None and "no such file" in result.failure.message


def test_console_command_in_a_fresh_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "wrong.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "manualbp.cli",
            "check",
            str(HERE / "two_layer_dW1_missing_m.py"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert (
        "dW1  wrong" in completed.stdout and "likely missing_divide_by_m (layer 1 only)" in completed.stdout
    )
    data = json.loads(out.read_text())
    assert data["gradients"]["dW1"]["diagnosis"] == ["missing_divide_by_m"]
    assert data["gradients"]["dW2"]["status"] == "ok"
