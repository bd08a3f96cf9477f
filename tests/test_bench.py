"""The benchmark runs, and every implementation it times computes the same step (never times)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import warnings

import numpy as np
import pytest

import manualbp as mb
from benchmarks import command, implementations
from benchmarks.blas import _numpy_call, floor_function, floor_products, step_flops, step_matmuls
from benchmarks.implementations import (
    IMPLEMENTATIONS,
    make_problem,
    one_step_parameters,
    torch_module,
)
from benchmarks.memory import reference_bytes, step_memory
from benchmarks.report import render_markdown
from benchmarks.timing import time_interleaved
from manualbp._blas import available as blas_available
from manualbp._step import FusedStep, NumPyStep, make_training_step
from manualbp.cost import cross_entropy_from_logits
from manualbp.layers import activation_pair
from manualbp.model import _model_backward, _model_forward

HIDDEN = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
PEERS = ["manualbp_kernels", "manualbp_checked", "jax"] + (["torch"] if torch_module() else [])
# relative to the size of the update α dθ, which is what a step changes
TOLERANCE = {"float64": 1e-10, "float32": 2e-4}


def _update_error(start, after, reference):
    """max over parameters of ‖Δθ - Δθ_ref‖ / ‖Δθ_ref‖."""
    worst = 0.0
    for key, value in start.items():
        step = after[key].astype(np.float64) - value
        step_ref = reference[key].astype(np.float64) - value
        worst = max(worst, np.linalg.norm(step - step_ref) / np.linalg.norm(step_ref))
    return worst


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    ("dims", "m", "hidden"),
    [([4, 3, 1], 8, "relu"), ([20, 7, 5, 1], 64, "tanh"), ([6, 5, 2], 9, "relu"), ([5, 1], 7, "relu")],
)
def test_every_implementation_takes_the_same_step(dims, m, hidden, dtype):
    problem = make_problem("t", dims, m, dtype, hidden, seed=3)
    start = {k: v.astype(np.float64) for k, v in problem.parameters.items()}
    reference = one_step_parameters(problem, "manualbp")
    assert all(v.dtype == np.dtype(dtype) for v in reference.values())
    for name in PEERS:
        after = one_step_parameters(problem, name)
        assert set(after) == set(reference)
        assert _update_error(start, after, reference) < TOLERANCE[dtype], name


STEPS = [pytest.param(False, id="numpy-step"), pytest.param(True, id="fused-step")]


@pytest.mark.parametrize("fused", STEPS)
@pytest.mark.parametrize("dims", [[5, 6, 4, 3], [4, 3, 1, 1], [6, 1], [3, 8, 1]])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_step_matches_the_kernels(hidden, dtype, dims, fused):
    """Both arrangements of the buffered step give J, A[L] and the updated W[l], b[l] of the
    kernels, for every hidden activation (and with layers of one unit, where W[l]ᵀ dZ[l] is an
    outer product); the NumPy step's α dW[l], α db[l] are the kernels' too."""
    problem = make_problem("t", dims, 11, dtype, hidden, seed=1)
    rate = 0.3
    g, output = activation_pair(hidden, "sigmoid")
    step = make_training_step(problem.X, problem.Y, problem.parameters, problem.L, g, rate, fused=fused)
    assert isinstance(step, FusedStep if fused else NumPyStep)
    cost = step.forward()
    AL, caches = _model_forward(problem.X, problem.parameters, problem.L, g, output)
    assert cost == pytest.approx(cross_entropy_from_logits(caches[-1].Z, problem.Y), rel=1e-6)
    np.testing.assert_allclose(step.AL, AL, rtol=1e-5 if dtype == np.float32 else 1e-13)
    step.backward_and_update()
    grads = _model_backward(AL, problem.Y, caches, g, output, input_gradient=False)
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    for l in range(1, problem.L + 1):
        for p in "Wb":
            expected = rate * grads[f"d{p}{l}"]
            if not fused:
                got = (step.rate_dW if p == "W" else step.rate_db)[l]
                assert got.dtype == dtype
                np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
            after = step.parameters[f"{p}{l}"]
            assert after.dtype == dtype
            np.testing.assert_allclose(
                after, problem.parameters[f"{p}{l}"] - expected, rtol=rtol, atol=rtol * np.abs(expected).max()
            )


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_and_numpy_steps_train_alike(hidden, dtype):
    """Twenty steps of each arrangement end at the same parameters and costs (to rounding)."""
    problem = make_problem("t", [6, 9, 5, 1], 17, dtype, hidden, seed=3)
    g, _ = activation_pair(hidden, "sigmoid")
    steps = [
        make_training_step(problem.X, problem.Y, problem.parameters, problem.L, g, 0.5, fused=fused)
        for fused in (False, True)
    ]
    costs: list[list[float]] = [[], []]
    for _ in range(20):
        for step, trace in zip(steps, costs, strict=True):
            trace.append(step.forward())
            step.backward_and_update()
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(costs[0], costs[1], rtol=rtol)
    for key, value in steps[0].parameters.items():
        np.testing.assert_allclose(steps[1].parameters[key], value, rtol=rtol, atol=rtol)


def test_the_step_is_fused_only_where_it_pays():
    g, _ = activation_pair("relu", "sigmoid")
    for dims, m, fused in (([4, 3, 1], 8, False), ([784, 256, 128, 1], 256, True)):
        problem = make_problem("t", dims, m, np.float64, "relu")
        step = make_training_step(problem.X, problem.Y, problem.parameters, problem.L, g, 0.1)
        assert isinstance(step, FusedStep) == (fused and blas_available(np.float64))


def test_train_still_follows_the_kernels_over_many_steps():
    problem = make_problem("t", [4, 5, 3, 1], 10, np.float64, "tanh", seed=2)
    result = mb.train(
        problem.X,
        problem.Y,
        parameters=problem.parameters,
        learning_rate=0.5,
        num_iterations=50,
        hidden_activation="tanh",
    )
    params = {k: v.copy() for k, v in problem.parameters.items()}
    costs = []
    for _ in range(50):
        AL, caches = mb.model_forward(problem.X, params, "tanh")
        costs.append(mb.compute_cost_from_logits(caches[-1].Z, problem.Y))
        params = mb.update_parameters(params, mb.model_backward(AL, problem.Y, caches, "tanh"), 0.5)
    np.testing.assert_allclose(result.costs, costs, rtol=1e-12)
    for key, value in params.items():
        np.testing.assert_allclose(result.parameters[key], value, rtol=1e-10, atol=1e-13)
        assert result.parameters[key].flags.c_contiguous and result.parameters[key].flags.owndata


@pytest.mark.parametrize("fused", STEPS)
def test_blas_floor_runs_exactly_the_counted_products(fused):
    problem = make_problem("t", [7, 5, 4, 1], 6, np.float64, "relu")
    g, _ = activation_pair("relu", "sigmoid")
    step = make_training_step(problem.X, problem.Y, problem.parameters, problem.L, g, 0.1, fused=fused)
    step.forward()
    step.backward_and_update()
    products = step_matmuls(step)
    # L forward, L dW, L db, L - 1 dA: no W[1]ᵀ dZ[1]
    assert len(products) == 4 * problem.L - 1
    assert sum(flops for _, _, flops in products) == step_flops(problem.dims, problem.m)
    assert not any(label == "W[1]ᵀ dZ[1]" for label, _, _ in products)
    floor_function(step)()


@pytest.mark.skipif(not blas_available(np.float64), reason="NumPy's BLAS cannot be called directly")
def test_the_fused_floor_computes_the_steps_products_on_private_outputs():
    """The floor's W[1] - dZ[1] A[0]ᵀ is the step's update, written to a copy of W[1]; run many
    times, the floor leaves the step's arrays (its inputs) alone, so nothing overflows."""
    problem = make_problem("t", [7, 5, 1], 6, np.float64, "tanh")
    g, _ = activation_pair("tanh", "sigmoid")
    step = make_training_step(problem.X, problem.Y, problem.parameters, problem.L, g, 0.1, fused=True)
    step.forward()
    step.backward_and_update()
    W1, dZ1 = step.W[1].copy(), step.dZ[1].copy()
    update = next(p for p in floor_products(step) if p.label == "W[1] - dZ[1] A[0]ᵀ")
    assert update.accumulate and update.out.shape == W1.shape and not np.shares_memory(update.out, step.W[1])
    _numpy_call(update)()
    np.testing.assert_allclose(update.out, W1 - dZ1 @ problem.X.T, rtol=1e-12)
    before = {k: v.copy() for k, v in step.parameters.items()}
    run = floor_function(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, however often it runs
        for _ in range(2000):
            run()
    for key, value in before.items():
        np.testing.assert_array_equal(step.parameters[key], value)


def test_timing_interleaves_and_reports_each_function():
    calls: list[str] = []
    timings = time_interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        target=1e-4,
        rounds=2,
        families={"a": "x", "b": "y"},
        pause=0.0,
    )
    assert set(timings) == {"a", "b"} and all(t.best <= t.median for t in timings.values())
    assert "a" in calls and "b" in calls


def test_memory_measurement_runs():
    problem = make_problem("t", [20, 7, 5, 1], 64, np.float64, "relu")
    result = step_memory(problem, steps=30)
    assert result["reference_total"] == sum(reference_bytes(problem).values())
    assert result["first_step_peak"] > 0 and result["later_step_peak"] >= 0
    assert result["growth_steps"] == 20


def _tiny_settings():
    return dataclasses.replace(
        command.QUICK,
        networks=command.NETWORKS[:1],
        dtypes=("float64",),
        width_sweep=(4, 8),
        batch_sweep=(4, 8),
        memory_networks=("tiny",),
        memory_steps=20,
        rounds=2,
    )


def test_quick_bench_writes_its_reports(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "QUICK", _tiny_settings())
    assert command.run(argparse.Namespace(out=tmp_path, quick=True)) == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    assert {"environment", "matmul_gflops", "steps", "memory", "scaling", "sweep", "targets"} <= set(data)
    row = data["steps"][0]
    assert set(row["seconds"]) >= {"manualbp", "manualbp_kernels", "manualbp_checked", "jax", "blas_floor"}
    assert row["ratio_jax"] > 0 and row["flops"] == step_flops(row["dims"], row["m"])
    assert (tmp_path / "scaling.png").stat().st_size > 0
    text = (tmp_path / "bench.md").read_text()
    assert "## Targets" in text and "Training step" in text
    assert "## Targets" in capsys.readouterr().out


def test_bench_without_pytorch_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(command, "QUICK", _tiny_settings())
    monkeypatch.setattr(implementations, "torch_module", lambda: None)
    monkeypatch.setattr("benchmarks.blas.torch_module", lambda: None)
    monkeypatch.setattr(command, "torch_version", lambda: None)
    assert command.run(argparse.Namespace(out=tmp_path, quick=True)) == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    assert "torch" not in data["steps"][0]["seconds"] and data["steps"][0]["ratio_torch"] is None
    assert data["matmul_gflops"]["torch"]["float64"] is None
    assert "not installed" in render_markdown(data)


def test_implementations_are_registered():
    assert set(IMPLEMENTATIONS) == {"manualbp", "manualbp_kernels", "manualbp_checked", "jax", "torch"}


@pytest.mark.parametrize(("code", "met"), [(0, True), (1, False)])
def test_a_sweep_that_fails_earns_no_rate(code, met):
    """The sweep target counts only a run whose architectures all agree (exit code 0)."""
    sweep = {
        "available": True,
        "exit_code": code,
        "short_run": {"exit_code": 0},
        "architectures_per_second": 80.0,
        "marginal_architectures_per_second": 90.0,
        "verify_printed": {"runs_per_second": 100.0},
    }
    results = {"steps": [], "memory": [], "quick": True, "sweep": sweep}
    rows = [row for row in command.targets(results) if row["target"].startswith("verify sweep")]
    assert len(rows) == 3
    assert all(row["met"] is met for row in rows)


def test_each_step_target_names_its_worst_case_and_the_blas_share():
    def row(network, hidden, ratio_torch, blas):
        return {
            "network": network,
            "dtype": "float64",
            "hidden": hidden,
            "ratio_jax": 0.5,
            "ratio_torch": ratio_torch,
            "ratio_floor": 1.0,
            "blas_ratio_torch": blas,
        }

    steps = [row("cat", "relu", 1.3, 1.6), row("medium", "tanh", 1.0, 1.2), row("tiny", "relu", 0.2, 0.9)]
    rows = {t["target"]: t for t in command.targets({"steps": steps, "memory": [], "quick": False})}
    other = rows["manualbp / PyTorch, worst on the others"]
    assert other["value"] == 1.3 and other["met"] is False
    assert other["where"] == "cat float64 relu; its products alone: NumPy's BLAS takes 1.60× PyTorch's time"
    assert rows["step / BLAS floor, worst on medium and large"]["where"] == "medium float64 tanh"
