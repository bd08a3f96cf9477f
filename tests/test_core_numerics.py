"""Extreme inputs raise no NumPy warning, and float32 stays float32 everywhere.

``quiet()`` turns every warning into an error and makes NumPy raise on overflow, division by zero
and invalid operations. Underflow keeps NumPy's default (ignored): σ(-1000) underflowing to an exact
0 is the intended tail, not a fault.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import manualbp as mb
from manualbp import activations, two_layer

DTYPES = [np.float32, np.float64]
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")


@contextlib.contextmanager
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def data(dtype, n0=3, m=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n0, m)).astype(dtype)
    Y = np.array([[0, 1] * (m // 2)], dtype=dtype)
    return X, Y


# --- activations at the extremes ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_has_exact_tails_without_overflow(dtype):
    Z = np.array([[-1e30, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e30]], dtype=dtype)
    with quiet():
        A = activations.sigmoid(Z)
        dA = activations.sigmoid_derivative(Z)
    assert A.dtype == dtype and dA.dtype == dtype
    assert np.isfinite(A).all() and np.isfinite(dA).all()
    assert A[0, 0] == 0.0 and A[0, 1] == 0.0  # exact 0 tail
    assert A[0, -1] == 1.0 and A[0, -2] == 1.0  # exact 1 tail
    assert A[0, 3] == 0.5
    assert 0 < A[0, 2] < 1e-20  # σ(-50) = e^-50 / (1 + e^-50): tiny but not flushed to 0
    assert A[0, 4] == 1.0  # σ(50) = 1 - 2e-22 rounds to 1 in both dtypes
    assert dA[0, 0] == 0.0 and dA[0, -1] == 0.0 and dA[0, 3] == 0.25


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_every_activation_is_quiet_at_huge_Z(name, dtype):
    big = 1e30 if dtype == np.float32 else 1e300
    Z = np.array([[-big, -1000.0, 0.0, 1000.0, big]], dtype=dtype)
    g = mb.get_activation(name)
    with quiet():
        A, dA = g.forward(Z), g.derivative(Z)
    assert A.dtype == dtype and dA.dtype == dtype
    assert A.shape == Z.shape and dA.shape == Z.shape
    assert np.isfinite(A).all() and np.isfinite(dA).all()


def test_activation_values_and_kink_conventions():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.relu(Z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.relu_derivative(Z), [[0.0, 0.0, 1.0]])  # relu'(0) = 0
    np.testing.assert_allclose(activations.leaky_relu(Z), [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(activations.leaky_relu_derivative(Z), [[0.01, 0.01, 1.0]])
    np.testing.assert_allclose(activations.tanh_derivative(Z), 1 - np.tanh(Z) ** 2)
    np.testing.assert_array_equal(activations.linear_derivative(Z), np.ones((1, 3)))
    A = activations.linear(Z)
    np.testing.assert_array_equal(A, Z)
    assert not np.shares_memory(A, Z)  # caches never alias


# --- costs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_compute_cost_with_AL_exactly_0_or_1(dtype):
    right = np.array([[0.0, 1.0]], dtype=dtype)
    with quiet():
        assert mb.compute_cost(right, np.array([[0, 1]])) == 0.0  # certain and right
        wrong = mb.compute_cost(right, np.array([[1, 0]]))  # certain and wrong
    assert np.isfinite(wrong)
    # -log(tiny) per wrong example (≈ 708 in float64, ≈ 87 in float32), averaged over m = 2
    assert wrong == pytest.approx(-np.log(float(np.finfo(dtype).tiny)), rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_compute_cost_from_logits_at_huge_Z(dtype):
    big = 1e30 if dtype == np.float32 else 1e300
    Z = np.array([[big, -big, big, -big, 1000.0, -1000.0]], dtype=dtype)
    Y = np.array([[1, 0, 0, 1, 1, 1]])
    with quiet():
        cost = mb.compute_cost_from_logits(Z, Y)
    # losses: 0, 0, big, big, 0, 1000 (log(1 + e^Z) - Y Z, exactly)
    assert cost == pytest.approx((2 * float(dtype(big)) + 1000.0) / 6, rel=1e-6)
    assert type(cost) is float


@pytest.mark.parametrize("dtype", DTYPES)
def test_compute_cost_from_logits_does_not_overflow_its_sum(dtype):
    big = float(np.finfo(dtype).max) / 1.5  # each loss is finite, and so is their mean
    Z = np.array([[big, big]], dtype=dtype)
    with quiet():
        cost = mb.compute_cost_from_logits(Z, np.array([[0, 0]]))
    assert cost == pytest.approx(float(dtype(big)), rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cost_agrees_with_the_cost_from_logits(dtype):
    Z = np.array([[-3.0, -0.5, 0.0, 0.7, 4.0]], dtype=dtype)
    Y = np.array([[0, 1, 1, 0, 1]])
    AL = activations.sigmoid(Z)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert mb.compute_cost(AL, Y) == pytest.approx(mb.compute_cost_from_logits(Z, Y), rel=tol)
    expected = float(np.mean(np.logaddexp(0, Z.astype(np.float64)) - Y * Z.astype(np.float64)))
    assert mb.compute_cost_from_logits(Z, Y) == pytest.approx(expected, rel=tol)


# --- the network with large weights -------------------------------------------------------------------


@pytest.mark.usefixtures("step_arrangement")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_backward_and_train_are_quiet_with_large_weights(hidden, dtype):
    X, Y = data(dtype)
    parameters = {
        k: (1e3 * v).astype(dtype) for k, v in mb.initialize_parameters([3, 5, 4, 1], "he", seed=1).items()
    }
    with quiet():
        AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
        assert np.isfinite(mb.compute_cost(AL, Y))
        assert np.isfinite(mb.compute_cost_from_logits(caches[-1].Z, Y))
        grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
        result = mb.train(
            X, Y, parameters=parameters, hidden_activation=hidden, num_iterations=20, learning_rate=1e-3
        )
        mb.predict(X, parameters, hidden_activation=hidden)
    assert ((AL == 0) | (AL == 1)).any()  # the output really saturates
    assert all(np.isfinite(g).all() for g in grads.values())
    assert np.isfinite(result.costs).all()
    assert all(np.isfinite(p).all() for p in result.parameters.values())


@pytest.mark.parametrize("dtype,z", [(np.float32, -100.0), (np.float64, -740.0)])
def test_course_dAL_route_with_a_subnormal_AL_is_refused_or_finite(dtype, z):
    X, Y = np.ones((1, 2), dtype=dtype), np.array([[1, 0]])
    parameters = {"W1": np.array([[z]], dtype=dtype), "b1": np.zeros((1, 1), dtype=dtype)}
    AL, caches = mb.model_forward(X, parameters)
    assert 0 < AL.min() < np.finfo(dtype).tiny  # positive, so the exactly-0 check lets it through
    with quiet():
        try:
            grads = mb.model_backward(AL, Y, caches, fused=False)
        except mb.DomainError:
            return  # refused, as for AL = 0: fine
    assert all(np.isfinite(g).all() for g in grads.values())


# --- divergence -------------------------------------------------------------------------------------


def _diverging_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = (X[:1] > 0).astype(np.float64)
    return X, Y


@pytest.mark.usefixtures("step_arrangement")
def test_train_raises_NonFiniteError_when_the_cost_diverges():
    X, Y = _diverging_problem()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with pytest.raises(
            mb.NonFiniteError, match=r"^the cost J became .* at iteration \d+: lower learning_rate$"
        ):
            mb.train(X, Y, [3, 4, 1], num_iterations=100, learning_rate=1e10, rng=0)


@pytest.mark.usefixtures("step_arrangement")
def test_train_diverges_with_NonFiniteError_and_no_numpy_warning():
    X, Y = _diverging_problem()
    with quiet(), pytest.raises(mb.NonFiniteError):
        mb.train(X, Y, [3, 4, 1], num_iterations=100, learning_rate=1e10, rng=0)


# --- dtype preservation ------------------------------------------------------------------------------


def _all_float32(arrays):
    return all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_float32_in_float32_out_everywhere(hidden):
    X, Y = data(np.float32)
    parameters = mb.initialize_parameters([3, 5, 4, 1], "he", seed=2, dtype=np.float32)
    assert _all_float32(parameters.values())

    Z, linear_cache = mb.linear_forward(X, parameters["W1"], parameters["b1"])
    A, cache = mb.linear_activation_forward(X, parameters["W1"], parameters["b1"], hidden)
    assert _all_float32([Z, A, cache.Z, *linear_cache, *cache.linear])
    assert _all_float32(mb.linear_backward(Z, linear_cache))
    assert _all_float32(mb.linear_activation_backward(A, cache, hidden))

    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    assert AL.dtype == np.float32
    for (A_prev, W, b), Z in caches:
        assert _all_float32([A_prev, W, b, Z])
    cost = mb.compute_cost(AL, Y)
    assert type(cost) is float
    assert type(mb.compute_cost_from_logits(caches[-1].Z, Y)) is float
    for fused in (True, False):
        grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=fused)
        assert _all_float32(grads.values()), {k: v.dtype for k, v in grads.items()}
    updated = mb.update_parameters(parameters, grads, 0.1)
    assert _all_float32(updated.values())
    mb.update_parameters(parameters, grads, 0.1, in_place=True)
    assert _all_float32(parameters.values())

    result = mb.train(X, Y, [3, 5, 4, 1], hidden_activation=hidden, num_iterations=5, rng=0)
    assert _all_float32(result.parameters.values())
    assert np.isfinite(result.costs).all()


def test_float32_two_layer_module():
    X, Y = data(np.float32)
    parameters = two_layer.initialize_parameters(3, 4, 1, rng=0, dtype=np.float32)
    assert _all_float32(parameters.values())
    A2, cache = two_layer.forward_propagation(X, parameters)
    assert _all_float32([A2, *cache.values()])
    grads = two_layer.backward_propagation(parameters, cache, X, Y)
    assert _all_float32(grads.values())
    trained, costs = two_layer.nn_model(X, Y, 4, num_iterations=5, rng=0)
    assert _all_float32(trained.values())
    assert costs.shape == (5,) and np.isfinite(costs).all()


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8, bool, np.float32])
def test_integer_and_bool_labels_are_accepted_and_cast(label_dtype):
    X, Y = data(np.float64)
    Y_other = Y.astype(label_dtype)
    parameters = mb.initialize_parameters([3, 4, 1], "he", seed=3)
    AL, caches = mb.model_forward(X, parameters)
    assert mb.compute_cost(AL, Y_other) == mb.compute_cost(AL, Y)
    assert mb.compute_cost_from_logits(caches[-1].Z, Y_other) == mb.compute_cost_from_logits(caches[-1].Z, Y)
    grads, reference = mb.model_backward(AL, Y_other, caches), mb.model_backward(AL, Y, caches)
    for key in reference:
        np.testing.assert_array_equal(grads[key], reference[key])
        assert grads[key].dtype == np.float64
    trained = mb.train(X, Y_other, [3, 4, 1], num_iterations=3, rng=0)
    expected = mb.train(X, Y, [3, 4, 1], num_iterations=3, rng=0)
    np.testing.assert_array_equal(trained.costs, expected.costs)
    assert mb.accuracy(X, Y_other, parameters) == mb.accuracy(X, Y, parameters)
