"""``manualbp verify`` end to end on small sweeps: reports, exit codes, determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import manualbp
from manualbp.cli import main
from verification.report import SCHEMA, SCHEMA_VERSION

ORACLES = ("reverse", "forward", "finite_difference")


def _verify(out: Path, *extra: str) -> int:
    return main(["verify", "--architectures", "6", "--seed", "3", "--out", str(out), *extra])


def test_a_small_sweep_passes_and_writes_three_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(tmp_path / "r", "--json", str(tmp_path / "extra.json")) == 0
    output = capsys.readouterr().out
    assert "12/12 architectures pass" in output and "PASS" in output
    assert "architectures/s" in output  # the run time is reported on the terminal only
    report: dict[str, Any] = json.loads((tmp_path / "r" / "verification.json").read_text())
    assert (tmp_path / "extra.json").read_bytes() == (tmp_path / "r" / "verification.json").read_bytes()
    assert report["schema"] == SCHEMA and report["schema_version"] == SCHEMA_VERSION
    assert report["verdict"] == "pass"
    assert report["run"] == {
        "command": "manualbp verify --architectures 6 --seed 3 --dtype both",
        "seed": 3,
        "architectures_per_dtype": 6,
        "dtypes": ["float64", "float32"],
    }
    assert report["environment"]["manualbp"] == manualbp.__version__
    assert len(report["architectures"]) == 12
    for arch in report["architectures"]:
        assert arch["passed"] and arch["shape_invariants"] == {"passed": True, "failures": []}
        dims, m = arch["layer_dims"], arch["m"]
        fused = arch["functions"]["model_backward"]
        for l in range(1, arch["L"] + 1):
            assert fused[f"dW{l}"]["shape"] == [dims[l], dims[l - 1]]
            assert fused[f"db{l}"]["shape"] == [dims[l], 1]
            assert fused[f"dA{l - 1}"]["shape"] == [dims[l - 1], m]
        for entry in fused.values():
            for oracle in ORACLES:
                assert set(entry[oracle]) == {"relative_difference", "max_elementwise_error", "passed"}
        assert f"linear_activation_backward[{arch['L']}]" in arch["functions"]
    summary = report["summary"]["by_dtype"]
    assert set(summary) == {"float64", "float32"} and set(summary["float64"]) == set(ORACLES)
    html = (tmp_path / "r" / "verification.html").read_text()
    assert html.count("data:image/png;base64,") >= 5 and "<script" not in html
    assert 'src="http' not in html  # self-contained
    md = (tmp_path / "r" / "verification.md").read_text()
    assert md.startswith("# manualbp verification: PASS")


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert (
            main(
                [
                    "verify",
                    "--architectures",
                    "4",
                    "--seed",
                    "9",
                    "--dtype",
                    "float32",
                    "--out",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    for report in ("verification.json", "verification.md", "verification.html"):
        assert (tmp_path / "a" / report).read_bytes() == (tmp_path / "b" / report).read_bytes(), report
    other = tmp_path / "c"
    assert (
        main(["verify", "--architectures", "4", "--seed", "10", "--dtype", "float32", "--out", str(other)])
        == 0
    )
    assert (other / "verification.json").read_bytes() != (tmp_path / "a" / "verification.json").read_bytes()


def test_a_wrong_gradient_fails_with_exit_code_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = manualbp.model_backward

    def db1_off_by_a_tenth_of_a_percent(*args: Any, **kwargs: Any) -> dict[str, np.ndarray]:
        grads = real(*args, **kwargs)
        grads["db1"] = grads["db1"] * 1.001  # off by 0.1%: far above rounding, far below a typo's O(1)
        return grads

    monkeypatch.setattr(manualbp, "model_backward", db1_off_by_a_tenth_of_a_percent)
    assert _verify(tmp_path, "--dtype", "float64") == 1
    assert "FAIL" in capsys.readouterr().out
    report = json.loads((tmp_path / "verification.json").read_text())
    assert report["verdict"] == "fail"
    for arch in report["architectures"]:
        assert not arch["passed"]
        for function in ("model_backward", "model_backward_course"):
            entry = arch["functions"][function]["db1"]
            assert not any(entry[o]["passed"] for o in ORACLES)  # every oracle catches it
            assert all(arch["functions"][function]["dW1"][o]["passed"] for o in ORACLES)
    html = (tmp_path / "verification.html").read_text()
    assert "FAIL" in html and "model_backward db1: manualbp vs reverse mode" in html  # heat map of entries
    assert "db1" in (tmp_path / "verification.md").read_text()


def test_a_wrong_layer_is_pinned_to_that_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = manualbp.linear_activation_backward

    def missing_divide_by_m(dA: np.ndarray, cache: Any, activation: str) -> tuple[np.ndarray, ...]:
        dA_prev, dW, db = real(dA, cache, activation)
        return dA_prev, dW * dA.shape[1], db

    monkeypatch.setattr(manualbp, "linear_activation_backward", missing_divide_by_m)
    assert main(["verify", "--architectures", "3", "--dtype", "float32", "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "verification.json").read_text())
    for arch in report["architectures"]:
        failed = {
            (function, gradient)
            for function, grads in arch["functions"].items()
            for gradient, entry in grads.items()
            if not entry["reverse"]["passed"]
        }
        m = arch["m"]
        expected = {(f"linear_activation_backward[{l}]", f"dW{l}") for l in range(1, arch["L"] + 1)}
        assert failed == (expected if m > 1 else set())  # with m = 1, forgetting /m is harmless


def test_a_shape_mistake_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = manualbp.model_backward

    def flat_db(*args: Any, **kwargs: Any) -> dict[str, np.ndarray]:
        grads = real(*args, **kwargs)
        grads["db1"] = grads["db1"].ravel()  # np.sum without keepdims
        return grads

    monkeypatch.setattr(manualbp, "model_backward", flat_db)
    assert main(["verify", "--architectures", "2", "--dtype", "float64", "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "verification.json").read_text())
    failures = report["architectures"][0]["shape_invariants"]["failures"]
    assert any("db1 has shape" in f for f in failures)


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["verify", "--architectures", "1", "--dtype", "float64", "--out", str(blocker)]) == 2


def test_reports_prepared_during_the_sweep_are_the_same_bytes(tmp_path: Path) -> None:
    """The report work done in the sweep's waits (ReportPreparation) changes nothing in the files."""
    from verification.report import ReportPreparation, write_reports
    from verification.sweep import run_sweep

    dtypes = ["float64", "float32"]
    prepared = ReportPreparation(3, dtypes)
    calls: list[int] = []

    def idle(results: Any) -> bool:
        calls.append(len(results))
        return prepared.step(results)

    sweep = run_sweep(3, 5, dtypes, idle=idle)
    while prepared.step(sweep.results):  # finish what the waits left (on a fast oracle, everything)
        pass
    assert calls and len(prepared.entries) == 6 and len(prepared.plots) == 4
    write_reports(sweep, tmp_path / "prepared", None, prepared)
    write_reports(sweep, tmp_path / "plain")
    for report in ("verification.json", "verification.md", "verification.html"):
        assert (tmp_path / "prepared" / report).read_bytes() == (tmp_path / "plain" / report).read_bytes()


def test_the_executable_cache_reloads_and_survives_a_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verification import padded

    previous = list(padded._EXECUTABLE_FOLDER)
    try:
        padded.use_executable_cache(tmp_path)
        fresh = padded.compiled("central", "float64")
        (stored,) = tmp_path.glob("oracle-central-float64-*.pickle")
        probe = padded._probe(fresh, "float64")

        padded._compile_or_load.cache_clear()
        with monkeypatch.context() as patch:  # loaded, not compiled: lowering would fail
            patch.setattr(padded, "_CENTRAL", None)
            loaded = padded.compiled("central", "float64")
        assert loaded is not fresh and padded._same(padded._probe(loaded, "float64"), probe)

        stored.write_bytes(b"not an executable")
        padded._compile_or_load.cache_clear()
        recompiled = padded.compiled("central", "float64")
        assert padded._same(padded._probe(recompiled, "float64"), probe)
        assert stored.read_bytes() != b"not an executable"  # replaced by a working one
        assert not list(tmp_path.glob("*.tmp"))
    finally:
        padded.use_executable_cache(previous[0] if previous else None)
        padded._compile_or_load.cache_clear()
