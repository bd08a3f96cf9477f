"""Every error kind of manualbp.errors, raised on bad input with a message in course notation."""

from __future__ import annotations

import re

import numpy as np
import pytest

import manualbp as mb
from manualbp import errors, two_layer

M = 5


@pytest.fixture
def net():
    """A [3, 4, 1] network on m = 5 examples, with its forward caches and gradients."""
    parameters = mb.initialize_parameters([3, 4, 1], "he", seed=0)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, M))
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    AL, caches = mb.model_forward(X, parameters)
    grads = mb.model_backward(AL, Y, caches)
    return parameters, X, Y, AL, caches, grads


def raises(kind, message):
    """pytest.raises for ``kind`` with ``message`` matched literally (a prefix when it ends in ...)."""
    if message.endswith("..."):
        return pytest.raises(kind, match="^" + re.escape(message[:-3]))
    return pytest.raises(kind, match="^" + re.escape(message) + "$")


def test_error_classes_derive_from_the_expected_builtins():
    value_errors = [
        errors.ShapeError,
        errors.NonFiniteError,
        errors.EmptyBatchError,
        errors.LabelError,
        errors.UnknownActivationError,
        errors.UnknownInitializationError,
        errors.LayerSizeError,
        errors.KeysError,
        errors.DomainError,
    ]
    for kind in [*value_errors, errors.DTypeMismatchError]:
        assert issubclass(kind, errors.ManualbpError)
    for kind in value_errors:
        assert issubclass(kind, ValueError)
    assert issubclass(errors.DTypeMismatchError, TypeError)
    assert set(errors.__all__) == {k.__name__ for k in [*value_errors, errors.DTypeMismatchError]} | {
        "ManualbpError"
    }


# --- shapes ------------------------------------------------------------------------------------


def test_transposed_W2_is_reported_in_course_notation(net):
    parameters, X, Y, AL, caches, _ = net
    bad = dict(parameters, W2=parameters["W2"].T.copy())
    message = "W2 must be (n[2], n[1]) = (1, 4), got (4, 1)"
    with raises(errors.ShapeError, message):
        mb.model_forward(X, bad)
    with raises(errors.ShapeError, message):
        two_layer.forward_propagation(X, bad)
    with raises(errors.ShapeError, message):
        mb.predict(X, bad)
    # the same W2 inside a learner's caches
    (A1, W2, b2), Z2 = caches[1]
    with raises(errors.ShapeError, message):
        mb.model_backward(AL, Y, [caches[0], ((A1, W2.T.copy(), b2), Z2)])


def test_other_wrong_shapes(net):
    parameters, X, Y, AL, caches, grads = net
    with raises(errors.ShapeError, "b1 must be (n[1], 1) = (4, 1), got (4,)"):
        mb.model_forward(X, dict(parameters, b1=parameters["b1"].ravel()))
    with raises(
        errors.ShapeError,
        "W1 must be (n[1], n[0]) = (4, 2), got (4, 3) (n[0] = 2 is the number of rows of X)",
    ):
        mb.model_forward(X[:2], parameters)  # X has n[0] = 2 rows, W1 expects 3
    with raises(errors.ShapeError, "Y must be (n[L], m) = (1, 5), got (5, 1)"):
        mb.model_backward(AL, Y.T, caches)
    with raises(errors.ShapeError, "Y must be (n[L], m) = (1, 5), got (1, 4)"):
        mb.compute_cost(AL, Y[:, :4])
    with raises(errors.ShapeError, "X must be (n[0], m) = (n[0], m), got (3,)"):
        mb.model_forward(X[:, 0], parameters)
    with raises(errors.ShapeError, "W must be (n[l], n[l-1]) = (1, 4), got (4, 1)"):
        mb.linear_forward(caches[1].linear.A_prev, parameters["W2"].T.copy(), parameters["b2"])
    with raises(errors.ShapeError, "dA must be (n[l], m) = (1, 5), got (5, 1)"):
        mb.linear_activation_backward((AL - Y).T.copy(), caches[1], "sigmoid")
    with raises(errors.ShapeError, "dZ must be (n[l], m) = (1, 5), got (1, 4)"):
        mb.linear_backward((AL - Y)[:, :4], caches[1].linear)
    with raises(errors.ShapeError, "dW1 must be the shape of W1 = (4, 3), got (3, 4)"):
        mb.update_parameters(parameters, dict(grads, dW1=grads["dW1"].T.copy()), 0.1)
    with raises(errors.ShapeError, "AL must be (n[L], m) = (1, 5), got (5, 1)"):
        mb.model_backward(AL.T.copy(), Y, caches)


# --- non-finite, empty, labels ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_and_parameters(net, bad):
    parameters, X, Y, AL, _, _ = net
    X_bad = X.copy()
    X_bad[1, 2] = bad
    with raises(
        errors.NonFiniteError, f"X holds 1 non-finite value(s) (NaN or inf); the first is X[1, 2] = {bad}"
    ):
        mb.model_forward(X_bad, parameters)
    with raises(errors.NonFiniteError, "X holds 1 non-finite value(s)..."):
        mb.train(X_bad, Y, [3, 4, 1], num_iterations=1)
    W_bad = parameters["W2"].copy()
    W_bad[0, 3] = bad
    with raises(
        errors.NonFiniteError, f"W2 holds 1 non-finite value(s) (NaN or inf); the first is W2[0, 3] = {bad}"
    ):
        mb.model_forward(X, dict(parameters, W2=W_bad))
    with raises(errors.NonFiniteError, "W2 holds 1 non-finite value(s)..."):
        mb.train(X, Y, parameters=dict(parameters, W2=W_bad), num_iterations=1)
    with raises(errors.NonFiniteError, "AL holds 1 non-finite value(s)..."):
        AL_bad = AL.copy()
        AL_bad[0, 0] = bad
        mb.compute_cost(AL_bad, Y)


def test_empty_batch(net):
    parameters, *_ = net
    message = "the batch is empty: m = 0 examples (X must be (n[0], m) with m >= 1)"
    with raises(errors.EmptyBatchError, message):
        mb.model_forward(np.zeros((3, 0)), parameters)
    with raises(errors.EmptyBatchError, message):
        mb.compute_cost(np.zeros((1, 0)), np.zeros((1, 0)))
    with raises(errors.EmptyBatchError, message):
        mb.train(np.zeros((3, 0)), np.zeros((1, 0)), [3, 1], num_iterations=1)
    with raises(errors.EmptyBatchError, message):
        mb.linear_forward(np.zeros((3, 0)), parameters["W1"], parameters["b1"])


@pytest.mark.parametrize(
    "labels,shown",
    [
        ([[0, 2, 1, 0, 1]], "[2]"),
        ([[0.0, 0.5, -1.0, 1.0, 1.0]], "[-1.0, 0.5]"),
        ([[0, 1, 1, 0, np.nan]], "[nan]"),
    ],
)
def test_labels_outside_0_1(net, labels, shown):
    _, X, _, AL, caches, _ = net
    Y = np.array(labels)
    message = f"Y must hold only 0 and 1, got {shown}"
    with raises(errors.LabelError, message):
        mb.compute_cost(AL, Y)
    with raises(errors.LabelError, message):
        mb.model_backward(AL, Y, caches)
    with raises(errors.LabelError, message):
        mb.train(X, Y, [3, 4, 1], num_iterations=1)
    with raises(errors.LabelError, message):
        mb.compute_cost_from_logits(caches[-1].Z, Y)


def test_labels_that_are_not_numbers(net):
    *_, AL, _, _ = net
    with raises(errors.DTypeMismatchError, "Y must hold numbers 0 and 1, got dtype <U1"):
        mb.compute_cost(AL, np.array([["0", "1", "1", "0", "1"]]))


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["softmax", "Sigmoid", "", None])
def test_unknown_activation_lists_the_known_ones(net, name):
    parameters, X, Y, AL, caches, _ = net
    message = f"unknown activation {name!r}; known activations: sigmoid, tanh, relu, leaky_relu, linear"
    with raises(errors.UnknownActivationError, message):
        mb.model_forward(X, parameters, hidden_activation=name)
    with raises(errors.UnknownActivationError, message):
        mb.model_forward(X, parameters, output_activation=name)
    with raises(errors.UnknownActivationError, message):
        mb.model_backward(AL, Y, caches, hidden_activation=name)
    with raises(errors.UnknownActivationError, message):
        mb.linear_activation_forward(X, parameters["W1"], parameters["b1"], name)
    with raises(errors.UnknownActivationError, message):
        mb.linear_activation_backward(AL - Y, caches[1], name)
    with raises(errors.UnknownActivationError, message):
        two_layer.forward_propagation(X, parameters, hidden_activation=name)
    with raises(errors.UnknownActivationError, message):
        mb.train(X, Y, [3, 4, 1], hidden_activation=name, num_iterations=1)
    with raises(errors.UnknownActivationError, message):
        mb.get_activation(name)


@pytest.mark.parametrize("method", ["glorot", "He", "random", None])
def test_unknown_initialisation_lists_the_known_ones(method):
    message = f"unknown initialisation {method!r}; known methods: zeros, small_random, he, xavier"
    with raises(errors.UnknownInitializationError, message):
        mb.initialize_parameters([3, 1], method)
    with raises(errors.UnknownInitializationError, message):
        mb.train(np.zeros((3, 2)), np.zeros((1, 2)), [3, 1], initialization=method, num_iterations=1)


@pytest.mark.parametrize(
    "layer_dims,message",
    [
        ([3, 0, 1], "n[1] must be positive, got 0 in [3, 0, 1]"),
        ([3, 4, -2], "n[2] must be positive, got -2 in [3, 4, -2]"),
        ([0, 1], "n[0] must be positive, got 0 in [0, 1]"),
        ([3, 2.0, 1], "n[1] must be an integer, got 2.0 in [3, 2.0, 1]"),
        ([3, 2.5, 1], "n[1] must be an integer, got 2.5 in [3, 2.5, 1]"),
        ([3, True, 1], "n[1] must be an integer, got True in [3, True, 1]"),
        ([3, np.True_, 1], "n[1] must be an integer, got..."),
        ([3, "4", 1], "n[1] must be an integer, got '4' in [3, '4', 1]"),
        ([3], "layer_dims must list at least n[0] and n[1] (L >= 1 layer), got [3]"),
        ([], "layer_dims must list at least n[0] and n[1] (L >= 1 layer), got []"),
        ("341", "layer_dims must be a list [n[0], ..., n[L]], got '341'"),
        (3, "layer_dims must be a list [n[0], ..., n[L]], got 3"),
    ],
)
def test_bad_layer_sizes(layer_dims, message):
    with raises(errors.LayerSizeError, message):
        mb.initialize_parameters(layer_dims)
    with raises(errors.LayerSizeError, message):
        mb.train(np.zeros((3, 2)), np.zeros((1, 2)), layer_dims, num_iterations=1)


def test_numpy_integer_layer_sizes_are_accepted():
    parameters = mb.initialize_parameters(np.array([3, 4, 1]), seed=0)
    assert parameters["W1"].shape == (4, 3)


# --- keys ----------------------------------------------------------------------------------------


def test_missing_and_extra_parameter_keys(net):
    parameters, X, *_ = net
    without_b2 = {k: v for k, v in parameters.items() if k != "b2"}
    with raises(errors.KeysError, "parameters has missing ['b2']"):
        mb.model_forward(X, without_b2)
    with raises(errors.KeysError, "parameters has missing ['b3']"):
        mb.model_forward(X, dict(parameters, W3=np.ones((1, 1))))
    with raises(errors.KeysError, "parameters has unexpected ['gamma']"):
        mb.model_forward(X, dict(parameters, gamma=np.ones(1)))
    with raises(errors.KeysError, "parameters has missing ['W1', 'b1']"):
        mb.model_forward(X, {"W2": parameters["W2"], "b2": parameters["b2"]})
    with raises(errors.KeysError, "parameters must hold W1, b1, ..., WL, bL; got keys []"):
        mb.model_forward(X, {})
    with raises(errors.KeysError, "parameters has missing ['b2']"):
        mb.update_parameters(without_b2, net[5], 0.1)
    with raises(errors.KeysError, "parameters must be a dict..."):
        mb.model_forward(X, [parameters["W1"], parameters["b1"]])


def test_missing_and_extra_gradient_keys(net):
    parameters, *_, grads = net
    with raises(errors.KeysError, "grads has missing ['db1']"):
        mb.update_parameters(parameters, {k: v for k, v in grads.items() if k != "db1"}, 0.1)
    with raises(errors.KeysError, "grads has unexpected ['dW3']"):
        mb.update_parameters(parameters, dict(grads, dW3=grads["dW2"]), 0.1)
    with raises(errors.KeysError, "grads has unexpected ['dA2']"):
        mb.update_parameters(parameters, dict(grads, dA2=grads["dA1"]), 0.1)
    with pytest.raises(errors.KeysError, match=r"^grads has missing \[.*\] and unexpected \['W1'\]$") as info:
        mb.update_parameters(parameters, {"W1": grads["dW1"]}, 0.1)
    for key in ("dW1", "db1", "dW2", "db2"):
        assert repr(key) in str(info.value)
    # dA0 and dA1 are optional: the dict model_backward returns is accepted as it is
    mb.update_parameters(parameters, grads, 0.1)
    mb.update_parameters(parameters, {k: v for k, v in grads.items() if not k.startswith("dA")}, 0.1)


def test_two_layer_needs_two_layers_and_a_full_cache(net):
    parameters, X, Y, *_ = net
    three = mb.initialize_parameters([3, 4, 2, 1], seed=0)
    with raises(errors.KeysError, "the two-layer network needs W1, b1, W2, b2; got L = 3 layers"):
        two_layer.forward_propagation(X, three)
    _, cache = two_layer.forward_propagation(X, parameters)
    with raises(errors.KeysError, "cache must be a dict with keys ['Z1', 'A1', 'Z2', 'A2']"):
        two_layer.backward_propagation(parameters, {k: v for k, v in cache.items() if k != "Z1"}, X, Y)


# --- dtypes --------------------------------------------------------------------------------------


def test_mixed_float32_float64_is_a_dtype_mismatch(net):
    parameters, X, Y, AL, caches, grads = net
    parameters32 = {k: v.astype(np.float32) for k, v in parameters.items()}
    with raises(
        errors.DTypeMismatchError,
        "all arrays must share one dtype (float32 or float64), got X: float32, W1: float64",
    ):
        mb.model_forward(X.astype(np.float32), parameters)
    with raises(errors.DTypeMismatchError, "all arrays must share one dtype..."):
        mb.model_forward(X, dict(parameters32, b1=parameters["b1"]))
    with raises(
        errors.DTypeMismatchError,
        "all arrays must share one dtype (float32 or float64), got W1: float32, dW1: float64",
    ):
        mb.update_parameters(parameters32, grads, 0.1)
    with raises(errors.DTypeMismatchError, "all arrays must share one dtype..."):
        mb.linear_forward(X.astype(np.float32), parameters["W1"], parameters["b1"])
    with raises(errors.DTypeMismatchError, "all arrays must share one dtype..."):
        mb.model_backward(AL.astype(np.float32), Y, caches)
    with raises(errors.DTypeMismatchError, "all arrays must share one dtype..."):
        mb.train(X.astype(np.float32), Y, parameters=parameters, num_iterations=1)
    with pytest.raises(TypeError):  # a DTypeMismatchError is a TypeError for plain Python code
        mb.model_forward(X.astype(np.float32), parameters)


def test_unsupported_dtypes_and_non_arrays(net):
    parameters, X, *_ = net
    with raises(errors.DTypeMismatchError, "X must be float32 or float64, got int64"):
        mb.model_forward(X.astype(np.int64), parameters)
    with raises(errors.DTypeMismatchError, "X must be float32 or float64, got float16"):
        mb.model_forward(X.astype(np.float16), parameters)
    with raises(errors.DTypeMismatchError, "X must be a numpy array of float32 or float64, got list"):
        mb.model_forward(X.tolist(), parameters)
    with raises(errors.DTypeMismatchError, "dtype must be float32 or float64, got float16"):
        mb.initialize_parameters([3, 1], dtype=np.float16)


# --- domains ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("saturated", [0.0, 1.0])
def test_course_dAL_route_refuses_AL_of_exactly_0_or_1(net, saturated):
    _, _, Y, AL, caches, _ = net
    AL_bad = AL.copy()
    AL_bad[0, 2] = saturated
    with raises(
        errors.DomainError, "AL must lie strictly between 0 and 1 for dAL = -(Y/AL) + (1-Y)/(1-AL)..."
    ):
        mb.model_backward(AL_bad, Y, caches, fused=False)
    with raises(errors.DomainError, "AL must lie strictly between 0 and 1..."):
        mb.model_backward(AL_bad, Y, caches, output_activation="tanh")  # a non-sigmoid output takes dAL too
    grads = mb.model_backward(AL_bad, Y, caches, fused=True)  # the fused route is fine there
    assert all(np.isfinite(g).all() for g in grads.values())


def test_AL_outside_0_1_is_not_a_probability(net):
    _, _, Y, AL, _, _ = net
    with raises(errors.DomainError, "AL must hold probabilities in [0, 1] for the cross-entropy cost"):
        mb.compute_cost(AL + 1.5, Y)


@pytest.mark.parametrize("rate", [0, -0.1, -1, float("nan"), float("inf")])
def test_non_positive_learning_rate(net, rate):
    parameters, X, Y, *_, grads = net
    message = f"learning_rate α must be a positive finite number, got {rate!r}"
    with raises(errors.DomainError, message):
        mb.update_parameters(parameters, grads, rate)
    with raises(errors.DomainError, message):
        mb.train(X, Y, [3, 4, 1], learning_rate=rate, num_iterations=1)
    with raises(errors.DomainError, message):
        two_layer.nn_model(X, Y, 4, num_iterations=1, learning_rate=rate)


# --- caches ----------------------------------------------------------------------------------------


def test_a_cache_that_is_not_linear_cache_Z(net):
    _, _, Y, AL, caches, _ = net
    (A1, W2, b2), Z2 = caches[1]
    message = "cache must be a pair (linear_cache, Z) with linear_cache = (A_prev, W, b)"
    for bad in [((A1, W2, b2),), ((A1, W2, b2), Z2, Z2), None, Z2[:, :2]]:
        with raises(errors.ShapeError, message):
            mb.linear_activation_backward(AL - Y, bad, "sigmoid")
    with raises(errors.ShapeError, "cache: linear_cache must be a triple (A_prev, W, b)"):
        mb.linear_activation_backward(AL - Y, ((A1, W2), Z2), "sigmoid")
    with pytest.raises(errors.ShapeError, match=r"linear_cache must be a triple \(A_prev, W, b\)$"):
        mb.linear_backward(AL - Y, (A1, W2))
    with raises(
        errors.ShapeError,
        "caches[1] (layer 2) must be a pair (linear_cache, Z) with linear_cache = (A_prev, W, b)",
    ):
        mb.model_backward(AL, Y, [caches[0], "not a cache"])
    with raises(errors.ShapeError, "caches[0] (layer 1): linear_cache must be a triple (A_prev, W, b)"):
        mb.model_backward(AL, Y, [((A1,), caches[0].Z), caches[1]])
    with raises(errors.ShapeError, "caches must be a non-empty list with one (linear_cache, Z) per layer"):
        mb.model_backward(AL, Y, [])
    with raises(errors.ShapeError, "Z2 must be (n[2], m) = (1, 5), got (5, 1)"):
        mb.model_backward(AL, Y, [caches[0], ((A1, W2, b2), Z2.T.copy())])


# --- rng / seed / train arguments --------------------------------------------------------------------


def test_seed_and_rng_together_is_a_type_error():
    with raises(TypeError, "give rng or seed, not both"):
        mb.initialize_parameters([3, 1], seed=1, rng=np.random.default_rng(1))
    with pytest.raises(TypeError, match=r"^rng must be a numpy\.random\.Generator, an integer seed or None"):
        mb.initialize_parameters([3, 1], rng="seven")


def test_train_needs_exactly_one_of_layer_dims_and_parameters(net):
    parameters, X, Y, *_ = net
    with raises(TypeError, "give layer_dims or parameters, not both"):
        mb.train(X, Y, [3, 4, 1], parameters=parameters, num_iterations=1)
    with raises(errors.LayerSizeError, "train needs layer_dims = [n[0], ..., n[L]] or starting parameters"):
        mb.train(X, Y, num_iterations=1)


def test_every_error_is_a_manualbp_error(net):
    parameters, X, *_ = net
    with pytest.raises(errors.ManualbpError):
        mb.model_forward(X, dict(parameters, W2=parameters["W2"].T.copy()))
    with pytest.raises(errors.ManualbpError):
        mb.initialize_parameters([3, 0])


@pytest.mark.parametrize("rate", [True, "0.1", None])
def test_learning_rate_of_the_wrong_type_is_a_TypeError(net, rate):
    parameters, _, _, _, _, grads = net
    with pytest.raises(TypeError, match="learning_rate α must be a number"):
        mb.update_parameters(parameters, grads, rate)
