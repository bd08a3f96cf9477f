"""Property tests over random architectures: shapes, and agreement between routes to the gradients."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import manualbp as mb
from manualbp import two_layer

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
DTYPES = (np.float64, np.float32)


@st.composite
def networks(draw, min_layers=1, max_layers=4, hidden=HIDDEN):
    """(dims, X, Y, parameters, hidden) with moderate weights, so A[L] stays inside (0, 1)."""
    L = draw(st.integers(min_layers, max_layers))
    dims = draw(st.lists(st.integers(1, 6), min_size=L + 1, max_size=L + 1))
    m = draw(st.integers(1, 8))
    activation = draw(st.sampled_from(hidden))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = rng.integers(0, 2, size=(dims[-1], m)).astype(dtype)
    parameters = {}
    for l in range(1, L + 1):
        parameters[f"W{l}"] = (rng.standard_normal((dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])).astype(
            dtype
        )
        parameters[f"b{l}"] = (0.1 * rng.standard_normal((dims[l], 1))).astype(dtype)
    return dims, X, Y, parameters, activation


def tolerances(dtype):
    return {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-4, "atol": 1e-5}


@given(networks())
def test_every_cache_and_gradient_has_its_course_shape(network):
    dims, X, Y, parameters, hidden = network
    L, m = len(dims) - 1, X.shape[1]
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    assert AL.shape == (dims[L], m)
    assert len(caches) == L
    for l, cache in enumerate(caches, start=1):
        (A_prev, W, b), Z = cache
        assert A_prev.shape == (dims[l - 1], m)  # A[l-1]
        assert Z.shape == (dims[l], m)  # Z[l]
        assert W.shape == parameters[f"W{l}"].shape and b.shape == parameters[f"b{l}"].shape
        np.testing.assert_array_equal(W, parameters[f"W{l}"])
    # A[l] stored as the next layer's A_prev is g(Z[l])
    for l in range(1, L):
        g = mb.get_activation(hidden).forward
        np.testing.assert_array_equal(caches[l].linear.A_prev, g(caches[l - 1].Z))
    np.testing.assert_array_equal(caches[0].linear.A_prev, X)
    for fused in (True, False):
        grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=fused)
        expected_keys = {f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"} | {f"dA{l}" for l in range(L)}
        assert set(grads) == expected_keys
        for l in range(1, L + 1):
            assert grads[f"dW{l}"].shape == (dims[l], dims[l - 1])
            assert grads[f"db{l}"].shape == (dims[l], 1)
            assert grads[f"dA{l - 1}"].shape == (dims[l - 1], m)
        assert all(np.isfinite(v).all() for v in grads.values())


@given(networks(min_layers=2, max_layers=2, hidden=("tanh", "relu")))
def test_two_layer_module_agrees_with_the_l_layer_functions(network):
    _, X, Y, parameters, hidden = network
    A2, cache = two_layer.forward_propagation(X, parameters, hidden_activation=hidden)
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    tol = tolerances(X.dtype)
    np.testing.assert_allclose(A2, AL, **tol)
    np.testing.assert_allclose(cache["Z1"], caches[0].Z, **tol)
    np.testing.assert_allclose(cache["A1"], caches[1].linear.A_prev, **tol)
    np.testing.assert_allclose(cache["Z2"], caches[1].Z, **tol)
    grads_two = two_layer.backward_propagation(parameters, cache, X, Y, hidden_activation=hidden)
    grads_deep = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    assert set(grads_two) == set(grads_deep) == {"dW1", "db1", "dW2", "db2", "dA0", "dA1"}
    for key in grads_deep:
        np.testing.assert_allclose(grads_two[key], grads_deep[key], err_msg=key, **tol)


@given(networks())
def test_fused_and_course_dAL_routes_agree(network):
    _, X, Y, parameters, hidden = network
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    fused = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=True)
    course = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=False)
    assert set(fused) == set(course)
    tol = tolerances(X.dtype)
    for key in fused:
        scale = float(np.abs(fused[key]).max(initial=0.0))
        np.testing.assert_allclose(
            course[key], fused[key], rtol=tol["rtol"], atol=tol["atol"] * max(scale, 1.0), err_msg=key
        )


@given(networks())
def test_linear_activation_backward_composed_by_hand_equals_model_backward(network):
    _, X, Y, parameters, hidden = network
    L = len(parameters) // 2
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    tol = tolerances(X.dtype)

    # The course's route: dAL, then linear_activation_backward layer by layer.
    dA = -(Y / AL) + (1 - Y) / (1 - AL)
    by_hand = {}
    for l in range(L, 0, -1):
        activation = "sigmoid" if l == L else hidden
        dA, by_hand[f"dW{l}"], by_hand[f"db{l}"] = mb.linear_activation_backward(
            dA, caches[l - 1], activation
        )
        by_hand[f"dA{l - 1}"] = dA
    grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=False)
    assert set(grads) == set(by_hand)
    for key in grads:
        np.testing.assert_allclose(grads[key], by_hand[key], err_msg=key, **tol)

    # The fused route: dZL = AL - Y through linear_backward, then the hidden layers.
    dA, dW, db = mb.linear_backward(AL - Y, caches[L - 1].linear)
    fused = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    np.testing.assert_allclose(fused[f"dW{L}"], dW, **tol)
    np.testing.assert_allclose(fused[f"db{L}"], db, **tol)
    np.testing.assert_allclose(fused[f"dA{L - 1}"], dA, **tol)
    for l in range(L - 1, 0, -1):
        dA, dW, db = mb.linear_activation_backward(dA, caches[l - 1], hidden)
        np.testing.assert_allclose(fused[f"dW{l}"], dW, **tol)
        np.testing.assert_allclose(fused[f"db{l}"], db, **tol)
        np.testing.assert_allclose(fused[f"dA{l - 1}"], dA, **tol)


@given(networks())
def test_caches_built_by_a_learner_as_plain_tuples_are_accepted(network):
    _, X, Y, parameters, hidden = network
    L = len(parameters) // 2
    g = mb.get_activation(hidden).forward
    # A learner's forward pass, with caches as plain tuples ((A_prev, W, b), Z).
    caches, A = [], X
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        caches.append(((A, W, b), Z))
        A = mb.activations.sigmoid(Z) if l == L else g(Z)
    AL = A
    reference_AL, reference_caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    tol = tolerances(X.dtype)
    np.testing.assert_allclose(AL, reference_AL, **tol)
    ours = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    reference = mb.model_backward(reference_AL, Y, reference_caches, hidden_activation=hidden)
    for key in reference:
        np.testing.assert_allclose(ours[key], reference[key], err_msg=key, **tol)
    # ... and by the per-layer functions, as tuples and as lists
    (A_prev, W, b), Z = caches[-1]
    for cache in (caches[-1], [[A_prev, W, b], Z]):
        dA_prev, dW, db = mb.linear_activation_backward(AL - Y, cache, "linear")
        np.testing.assert_allclose(dW, reference[f"dW{L}"], **tol)
        np.testing.assert_allclose(dA_prev, reference[f"dA{L - 1}"], **tol)
    dA_prev, dW, db = mb.linear_backward(AL - Y, (A_prev, W, b))
    np.testing.assert_allclose(db, reference[f"db{L}"], **tol)


@given(networks(), st.floats(1e-3, 10.0))
def test_update_parameters_is_exactly_one_gradient_step(network, learning_rate):
    _, X, Y, parameters, hidden = network
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    before = {k: v.copy() for k, v in parameters.items()}
    updated = mb.update_parameters(parameters, grads, learning_rate)
    assert set(updated) == set(parameters)
    for key, value in parameters.items():
        np.testing.assert_array_equal(value, before[key])  # inputs untouched
        expected = value - value.dtype.type(learning_rate) * grads[f"d{key}"]
        np.testing.assert_array_equal(updated[key], expected)
        assert updated[key].dtype == value.dtype


@given(networks())
def test_predict_thresholds_AL_at_one_half(network):
    _, X, _, parameters, hidden = network
    AL, _ = mb.model_forward(X, parameters, hidden_activation=hidden)
    labels = mb.predict(X, parameters, hidden_activation=hidden)
    assert labels.shape == AL.shape
    np.testing.assert_array_equal(labels, (AL > 0.5).astype(labels.dtype))
    assert set(np.unique(labels)) <= {0, 1}


@given(networks(), st.floats(1e-3, 2.0), st.integers(1, 4))
def test_train_equals_steps_of_the_public_functions(network, learning_rate, iterations):
    """train's loop (however optimised) takes the same steps as forward, cost, backward, update."""
    _, X, Y, parameters, hidden = network
    result = mb.train(
        X, Y, parameters=parameters, hidden_activation=hidden, learning_rate=learning_rate,
        num_iterations=iterations,
    )  # fmt: skip
    manual, costs = dict(parameters), []
    for _ in range(iterations):
        AL, caches = mb.model_forward(X, manual, hidden_activation=hidden)
        costs.append(mb.compute_cost_from_logits(caches[-1].Z, Y))
        grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
        manual = mb.update_parameters(manual, grads, learning_rate)
    tol = tolerances(X.dtype)
    np.testing.assert_allclose(result.costs, costs, rtol=tol["rtol"] * 10, atol=tol["atol"])
    assert set(result.parameters) == set(parameters)
    for key, value in manual.items():
        assert result.parameters[key].dtype == value.dtype
        scale = max(float(np.abs(value).max()), 1.0)
        np.testing.assert_allclose(
            result.parameters[key], value, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10 * scale, err_msg=key
        )


@given(networks())
def test_no_public_function_mutates_its_inputs(network):
    _, X, Y, parameters, hidden = network
    frozen = {"X": X.copy(), "Y": Y.copy(), **{k: v.copy() for k, v in parameters.items()}}

    def unchanged():
        np.testing.assert_array_equal(X, frozen["X"])
        np.testing.assert_array_equal(Y, frozen["Y"])
        for key, value in parameters.items():
            np.testing.assert_array_equal(value, frozen[key], err_msg=key)

    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    saved_AL = AL.copy()
    saved_caches = [((a.copy(), w.copy(), b.copy()), z.copy()) for (a, w, b), z in caches]
    mb.compute_cost(AL, Y)
    mb.compute_cost_from_logits(caches[-1].Z, Y)
    for fused in (True, False):
        mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=fused)
    mb.model_backward(AL, Y, caches, hidden_activation=hidden, input_gradient=False)
    mb.linear_activation_backward(AL - Y, caches[-1], "sigmoid")
    mb.linear_backward(AL - Y, caches[-1].linear)
    for cache in caches[:-1]:
        mb.linear_activation_backward(cache.Z.copy(), cache, hidden)
    mb.predict(X, parameters, hidden_activation=hidden)
    mb.train(X, Y, parameters=parameters, hidden_activation=hidden, num_iterations=2, learning_rate=0.1)
    np.testing.assert_array_equal(AL, saved_AL)
    for ((a, w, b), z), ((a0, w0, b0), z0) in zip(caches, saved_caches, strict=True):
        for now, then in ((a, a0), (w, w0), (b, b0), (z, z0)):
            np.testing.assert_array_equal(now, then)
    unchanged()
    if len(parameters) == 4:
        _, cache = two_layer.forward_propagation(X, parameters, hidden_activation=hidden)
        saved = {k: v.copy() for k, v in cache.items()}
        two_layer.backward_propagation(parameters, cache, X, Y, hidden_activation=hidden)
        for key, value in cache.items():
            np.testing.assert_array_equal(value, saved[key], err_msg=key)
        unchanged()


@given(networks())
def test_input_gradient_false_skips_only_dA0(network):
    _, X, Y, parameters, hidden = network
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    full = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    short = mb.model_backward(AL, Y, caches, hidden_activation=hidden, input_gradient=False)
    assert set(short) == set(full) - {"dA0"}
    for key in short:
        np.testing.assert_array_equal(short[key], full[key], err_msg=key)
