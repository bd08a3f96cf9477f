"""initialize_parameters, update_parameters, train (callbacks, symmetry), the two-layer nn_model, the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import manualbp as mb
from manualbp import two_layer
from manualbp.cli import main


def separable(m=60, seed=0):
    """A linearly separable two-class problem: Y = 1 where x1 + x2 / 2 > 0."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    Y = (X[0] + 0.5 * X[1] > 0).astype(np.float64)[None, :]
    return X, Y


# --- initialize_parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["zeros", "small_random", "he", "xavier"])
def test_initialize_parameters_shapes_and_zero_biases(method):
    dims = [5, 4, 3, 2]
    parameters = mb.initialize_parameters(dims, method, seed=0)
    assert set(parameters) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for l in range(1, 4):
        assert parameters[f"W{l}"].shape == (dims[l], dims[l - 1])
        assert parameters[f"b{l}"].shape == (dims[l], 1)
        assert parameters[f"W{l}"].dtype == np.float64
        np.testing.assert_array_equal(parameters[f"b{l}"], 0.0)
    if method == "zeros":
        assert all(not p.any() for p in parameters.values())
    else:
        assert all(parameters[f"W{l}"].all() for l in range(1, 4))  # no zero weights


@pytest.mark.parametrize(
    "method,expected_std",
    [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(1 / 400)), ("small_random", 0.01)],
)
def test_initialization_scale(method, expected_std):
    # 120,000 draws: the sample std is within about 0.5 % of the truth; allow 5 %.
    W = mb.initialize_parameters([400, 300], method, seed=1)["W1"]
    assert W.std() == pytest.approx(expected_std, rel=0.05)
    assert abs(W.mean()) < 0.05 * expected_std
    # the factor depends on n[l-1], not on n[l]
    W2 = mb.initialize_parameters([300, 100, 400], method, seed=1)["W2"]
    expected_2 = {"he": np.sqrt(2 / 100), "xavier": np.sqrt(1 / 100), "small_random": 0.01}[method]
    assert W2.std() == pytest.approx(expected_2, rel=0.05)


def test_small_random_scale_argument():
    W = mb.initialize_parameters([400, 300], "small_random", seed=1, scale=0.5)["W1"]
    assert W.std() == pytest.approx(0.5, rel=0.05)


def test_seed_determinism_and_generators():
    dims = [4, 3, 2]
    a = mb.initialize_parameters(dims, "he", seed=7)
    b = mb.initialize_parameters(dims, "he", seed=7)
    c = mb.initialize_parameters(dims, "he", rng=7)
    d = mb.initialize_parameters(dims, "he", rng=np.random.default_rng(7))
    e = mb.initialize_parameters(dims, "he", rng=np.int64(7))
    for other in (b, c, d, e):
        assert set(other) == set(a)
        for key in a:
            np.testing.assert_array_equal(other[key], a[key])
    different = mb.initialize_parameters(dims, "he", seed=8)
    assert not np.array_equal(different["W1"], a["W1"])
    # a Generator is used as is, so two calls on one Generator continue its stream
    generator = np.random.default_rng(7)
    first = mb.initialize_parameters(dims, "he", rng=generator)
    second = mb.initialize_parameters(dims, "he", rng=generator)
    np.testing.assert_array_equal(first["W1"], a["W1"])
    assert not np.array_equal(second["W1"], first["W1"])
    # no seed: fresh entropy
    assert not np.array_equal(mb.initialize_parameters(dims)["W1"], mb.initialize_parameters(dims)["W1"])


@pytest.mark.parametrize("method", ["small_random", "he", "xavier"])
def test_float32_and_float64_from_one_seed_agree_up_to_rounding(method):
    p64 = mb.initialize_parameters([6, 5, 3], method, seed=3, dtype=np.float64)
    p32 = mb.initialize_parameters([6, 5, 3], method, seed=3, dtype=np.float32)
    for key in p64:
        assert p32[key].dtype == np.float32
        np.testing.assert_allclose(p32[key], p64[key], rtol=2**-23, atol=0)


def test_two_layer_initialize_parameters_is_the_course_one():
    parameters = two_layer.initialize_parameters(3, 4, 2, rng=0)
    assert {k: v.shape for k, v in parameters.items()} == {
        "W1": (4, 3),
        "b1": (4, 1),
        "W2": (2, 4),
        "b2": (2, 1),
    }
    deep = mb.initialize_parameters([3, 4, 2], "small_random", rng=0)
    for key in deep:
        np.testing.assert_array_equal(parameters[key], deep[key])


# --- update_parameters -----------------------------------------------------------------------------


def _parameters_and_grads(seed=0):
    parameters = mb.initialize_parameters([3, 4, 1], "he", seed=seed)
    rng = np.random.default_rng(seed + 100)
    grads = {f"d{k}": rng.standard_normal(v.shape) for k, v in parameters.items()}
    return parameters, grads


def test_update_parameters_is_not_in_place_by_default():
    parameters, grads = _parameters_and_grads()
    before = {k: v.copy() for k, v in parameters.items()}
    grads_before = {k: v.copy() for k, v in grads.items()}
    updated = mb.update_parameters(parameters, grads, 0.3)
    assert updated is not parameters
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], before[key])
        np.testing.assert_array_equal(grads[f"d{key}"], grads_before[f"d{key}"])
        assert not np.shares_memory(updated[key], parameters[key])
        np.testing.assert_array_equal(updated[key], before[key] - 0.3 * grads[f"d{key}"])
        assert not np.array_equal(updated[key], before[key])


def test_update_parameters_in_place():
    parameters, grads = _parameters_and_grads()
    before = {k: v.copy() for k, v in parameters.items()}
    arrays = dict(parameters)
    updated = mb.update_parameters(parameters, grads, 0.3, in_place=True)
    for key in parameters:
        assert parameters[key] is arrays[key]  # the same arrays, mutated
        np.testing.assert_array_equal(parameters[key], before[key] - 0.3 * grads[f"d{key}"])
        np.testing.assert_array_equal(updated[key], parameters[key])


# --- train -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("step_arrangement")
def test_costs_decrease_on_a_separable_problem():
    X, Y = separable()
    result = mb.train(X, Y, [2, 4, 1], hidden_activation="tanh", learning_rate=0.5, num_iterations=300, rng=0)
    assert isinstance(result, mb.TrainingResult)
    assert result.costs.shape == (300,)
    assert np.all(np.diff(result.costs) < 0)  # small steps of batch gradient descent: monotone
    assert result.costs[-1] < 0.1 < 0.5 < result.costs[0]
    assert mb.accuracy(X, Y, result.parameters, hidden_activation="tanh") == 1.0
    np.testing.assert_array_equal(mb.predict(X, result.parameters, hidden_activation="tanh"), Y)


@pytest.mark.usefixtures("step_arrangement")
def test_train_matches_manual_steps_of_the_public_functions():
    X, Y = separable(m=12)
    parameters = mb.initialize_parameters([2, 3, 1], "he", seed=4)
    result = mb.train(
        X, Y, parameters=parameters, learning_rate=0.2, num_iterations=3, hidden_activation="relu"
    )
    manual, costs = dict(parameters), []
    for _ in range(3):
        AL, caches = mb.model_forward(X, manual)
        costs.append(mb.compute_cost(AL, Y))
        manual = mb.update_parameters(manual, mb.model_backward(AL, Y, caches), 0.2)
    np.testing.assert_allclose(result.costs, costs, rtol=1e-12)
    for key in manual:
        np.testing.assert_allclose(result.parameters[key], manual[key], rtol=1e-12, atol=1e-15)
    # train starts from a copy: the given parameters are untouched
    np.testing.assert_array_equal(parameters["W1"], mb.initialize_parameters([2, 3, 1], "he", seed=4)["W1"])


@pytest.mark.usefixtures("step_arrangement")
def test_callback_receives_progress_and_can_stop_early():
    X, Y = separable()
    seen = []

    def callback(progress):
        assert isinstance(progress, mb.Progress)
        seen.append((progress.iteration, progress.cost, progress.parameters["W1"].copy()))
        return progress.iteration == 4

    result = mb.train(X, Y, [2, 4, 1], num_iterations=100, learning_rate=0.5, rng=0, callback=callback)
    assert [i for i, _, _ in seen] == [0, 1, 2, 3, 4]
    assert result.costs.shape == (5,)
    np.testing.assert_array_equal(result.costs, [c for _, c, _ in seen])
    assert all(type(c) is float for _, c, _ in seen)
    assert not np.array_equal(seen[0][2], seen[1][2])  # parameters move between calls
    np.testing.assert_array_equal(result.parameters["W1"], seen[-1][2])  # stopped before updating


@pytest.mark.usefixtures("step_arrangement")
def test_callback_returning_none_does_not_stop():
    X, Y = separable()
    calls = []
    result = mb.train(X, Y, [2, 3, 1], num_iterations=7, rng=0, callback=calls.append)
    assert len(calls) == 7 and result.costs.shape == (7,)


def test_print_every_prints_the_course_lines(capsys):
    X, Y = separable()
    mb.train(X, Y, [2, 3, 1], num_iterations=25, rng=0, print_every=10)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"Cost after iteration {i}" for i in (0, 10, 20)]


@pytest.mark.usefixtures("step_arrangement")
def test_zero_initialisation_keeps_hidden_units_identical():
    # Sigmoid hidden units: A1 = 1/2 ≠ 0, so W2 and then W1 really move, yet their rows stay equal.
    X, Y = separable()
    zeros = mb.initialize_parameters([2, 4, 1], "zeros")
    result = mb.train(
        X, Y, parameters=zeros, hidden_activation="sigmoid", learning_rate=2.0, num_iterations=300
    )
    W1, W2 = result.parameters["W1"], result.parameters["W2"]
    assert np.abs(W1).max() > 1e-2  # trained, not stuck at 0
    np.testing.assert_allclose(W1, np.broadcast_to(W1[0], W1.shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(W2, np.broadcast_to(W2[0, 0], W2.shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.parameters["b1"], result.parameters["b1"][0, 0], rtol=0, atol=1e-12)
    for hidden in ("tanh", "relu"):  # there the symmetry is total: every W stays 0
        result = mb.train(
            X, Y, parameters=zeros, hidden_activation=hidden, learning_rate=2.0, num_iterations=50
        )
        W1 = result.parameters["W1"]
        np.testing.assert_allclose(W1, np.broadcast_to(W1[0], W1.shape), rtol=0, atol=1e-12)


@pytest.mark.usefixtures("step_arrangement")
def test_small_random_initialisation_breaks_the_symmetry():
    X, Y = separable()
    result = mb.train(
        X, Y, [2, 4, 1], initialization="small_random", hidden_activation="sigmoid", learning_rate=2.0,
        num_iterations=300, rng=0,
    )  # fmt: skip
    W1 = result.parameters["W1"]
    differences = [np.abs(W1[i] - W1[j]).max() for i in range(4) for j in range(i + 1, 4)]
    assert min(differences) > 1e-3


@pytest.mark.usefixtures("step_arrangement")
def test_train_with_int_labels_and_layer_dims():
    X, Y = separable()
    result = mb.train(X, Y.astype(np.int64), [2, 3, 1], num_iterations=5, rng=0, initialization="xavier")
    assert set(result.parameters) == {"W1", "b1", "W2", "b2"}
    assert result.parameters["W1"].shape == (3, 2)


def test_negative_num_iterations_is_a_manualbp_error():
    X, Y = separable(m=6)
    with pytest.raises(mb.ManualbpError, match="num_iterations"):
        mb.train(X, Y, [2, 3, 1], num_iterations=-1, rng=0)


def test_two_layer_nn_model_learns():
    X, Y = separable()
    parameters, costs = two_layer.nn_model(X, Y, 4, num_iterations=300, learning_rate=1.2, rng=0)
    assert costs[-1] < 0.1 < costs[0]
    np.testing.assert_array_equal(two_layer.predict(parameters, X), Y)


# --- the command line ----------------------------------------------------------------------------------


def test_cli_demo_runs(capsys):
    assert main(["demo", "--iterations", "50"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"iteration +0 +cost J = \d+\.\d+", out)
    assert re.search(r"iteration +49 +cost J = \d+\.\d+", out)
    assert re.search(r"training accuracy: [01]\.\d+", out)


@pytest.mark.parametrize("argv", [["nonsense"], [], ["demo", "--iterations", "0"], ["demo", "--layers", "2"]])
def test_cli_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: manualbp" in capsys.readouterr().err


def test_import_manualbp_does_not_import_jax():
    code = "import sys, manualbp, manualbp.cli; sys.exit(int('jax' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_train_passes_scale_to_small_random():
    X, Y = separable()
    tiny = mb.train(X, Y, [2, 3, 1], initialization="small_random", scale=1e-6, num_iterations=0, rng=0)
    wide = mb.train(X, Y, [2, 3, 1], initialization="small_random", scale=1.0, num_iterations=0, rng=0)
    expected = mb.initialize_parameters([2, 3, 1], "small_random", rng=0, scale=1e-6)
    np.testing.assert_array_equal(tiny.parameters["W1"], expected["W1"])
    np.testing.assert_allclose(wide.parameters["W1"], tiny.parameters["W1"] * 1e6)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -0.1])
def test_a_scale_that_is_not_finite_and_non_negative_is_a_domain_error(scale):
    with pytest.raises(mb.DomainError, match="scale must be finite and >= 0"):
        mb.initialize_parameters([2, 3, 1], "small_random", rng=0, scale=scale)


def test_a_scale_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="scale must be a real number"):
        mb.initialize_parameters([2, 3, 1], "small_random", rng=0, scale="0.01")


@pytest.mark.parametrize("seed", [-1, np.int64(-5)])
def test_a_negative_seed_is_a_domain_error_in_course_words(seed):
    with pytest.raises(mb.DomainError, match="a seed must be a non-negative integer"):
        mb.initialize_parameters([2, 3, 1], rng=seed)
