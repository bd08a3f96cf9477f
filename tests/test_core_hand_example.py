"""A network small enough to check on paper: n = [2, 2, 1], m = 3, ReLU hidden layer, sigmoid output.

Every expected number below was derived by hand from the course's equations (the derivation is in
the comments); only σ(1.5) and σ(-2) were read off a calculator:

    s = σ(1.5) = 1 / (1 + e^-1.5) = 0.8175744761936437,   σ(-1.5) = 1 - s = 0.18242552380635635
    t = σ(-2)  = 1 / (1 + e^2)    = 0.11920292202211755

Inputs (examples are columns):

    X  = [[1, 2, 1],        Y = [[1, 0, 1]]
          [0, 1, 2]]
    W1 = [[0.5, -1 ],       b1 = [[ 0.5],
          [2,   0.5]]             [-1  ]]
    W2 = [[2, -1]]          b2 = [[0.5]]

Forward:
    Z1 row 1 = 0.5·x1 - x2 + 0.5   -> [0.5 - 0 + 0.5, 1 - 1 + 0.5, 0.5 - 2 + 0.5] = [1, 0.5, -1]
    Z1 row 2 = 2·x1 + 0.5·x2 - 1   -> [2 + 0 - 1, 4 + 0.5 - 1, 2 + 1 - 1]         = [1, 3.5, 2]
    A1 = relu(Z1) = [[1, 0.5, 0], [1, 3.5, 2]]
    Z2 = 2·A1[1] - A1[2] + 0.5     -> [2 - 1 + 0.5, 1 - 3.5 + 0.5, 0 - 2 + 0.5]   = [1.5, -2, -1.5]
    A2 = σ(Z2) = [s, t, 1 - s]
    J  = -(1/3) (log s + log(1 - t) + log(1 - s))                                 = 0.6765848556694925

Backward (d1, d2, d3 are the three entries of dZ2 = A2 - Y):
    dZ2 = [s - 1, t - 0, (1 - s) - 1] = [-(1 - s), t, -s]
        = [-0.18242552380635635, 0.11920292202211755, -0.8175744761936437]
    dW2 = dZ2 A1ᵀ / 3 = [(d1·1 + d2·0.5 + d3·0) / 3, (d1·1 + d2·3.5 + d3·2) / 3]
    db2 = (d1 + d2 + d3) / 3 = (t - 1) / 3
    dA1 = W2ᵀ dZ2 = [[2·d1, 2·d2, 2·d3], [-d1, -d2, -d3]]
    relu'(Z1) = [[1, 1, 0], [1, 1, 1]]   (Z1[1, 3] = -1 < 0 kills that entry)
    dZ1 = [[2·d1, 2·d2, 0], [-d1, -d2, -d3]]
    dW1 = dZ1 Xᵀ / 3 = [[(2·d1·1 + 2·d2·2 + 0·1) / 3, (2·d1·0 + 2·d2·1 + 0·2) / 3],
                        [(-d1·1 - d2·2 - d3·1) / 3,   (-d1·0 - d2·1 - d3·2) / 3]]
    db1 = [(2·d1 + 2·d2) / 3, (-d1 - d2 - d3) / 3]
    dA0 = W1ᵀ dZ1 with W1ᵀ = [[0.5, 2], [-1, 0.5]]:
        row 1 = 0.5·dZ1[1] + 2·dZ1[2] = [d1 - 2·d1, d2 - 2·d2, 0 - 2·d3]         = [-d1, -d2, -2·d3]
        row 2 = -dZ1[1] + 0.5·dZ1[2]  = [-2·d1 - 0.5·d1, -2·d2 - 0.5·d2, -0.5·d3] = -[2.5·d1, 2.5·d2, 0.5·d3]
"""

from __future__ import annotations

import numpy as np
import pytest

import manualbp as mb
from manualbp import two_layer

X = np.array([[1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
Y = np.array([[1.0, 0.0, 1.0]])
PARAMETERS = {
    "W1": np.array([[0.5, -1.0], [2.0, 0.5]]),
    "b1": np.array([[0.5], [-1.0]]),
    "W2": np.array([[2.0, -1.0]]),
    "b2": np.array([[0.5]]),
}

S = 0.8175744761936437  # σ(1.5)
T = 0.11920292202211755  # σ(-2)
D1, D2, D3 = -0.18242552380635635, 0.11920292202211755, -0.8175744761936437  # dZ2 = A2 - Y

EXPECTED = {
    "Z1": np.array([[1.0, 0.5, -1.0], [1.0, 3.5, 2.0]]),
    "A1": np.array([[1.0, 0.5, 0.0], [1.0, 3.5, 2.0]]),
    "Z2": np.array([[1.5, -2.0, -1.5]]),
    "A2": np.array([[0.8175744761936437, 0.11920292202211755, 0.18242552380635635]]),
    "dZ2": np.array([[-0.18242552380635635, 0.11920292202211755, -0.8175744761936437]]),
    # (d1 + 0.5 d2) / 3, (d1 + 3.5 d2 + 2 d3) / 3
    "dW2": np.array([[-0.04094135426509919, -0.4667880830387441]]),
    # (t - 1) / 3
    "db2": np.array([[-0.2935990259926275]]),
    # [[2 d1, 2 d2, 2 d3], [-d1, -d2, -d3]]
    "dA1": np.array(
        [
            [-0.3648510476127127, 0.2384058440442351, -1.6351489523872873],
            [0.18242552380635635, -0.11920292202211755, 0.8175744761936437],
        ]
    ),
    # [[(2 d1 + 4 d2) / 3, 2 d2 / 3], [(-d1 - 2 d2 - d3) / 3, (-d2 - 2 d3) / 3]]
    "dW1": np.array([[0.03732021349191916, 0.0794686146814117], [0.2538647186519216, 0.5053153434550566]]),
    # [(2 d1 + 2 d2) / 3, (-d1 - d2 - d3) / 3]
    "db1": np.array([[-0.042148401189492535], [0.2935990259926275]]),
    # [[-d1, -d2, -2 d3], [-2.5 d1, -2.5 d2, -0.5 d3]]
    "dA0": np.array(
        [
            [0.18242552380635635, -0.11920292202211755, 1.6351489523872873],
            [0.4560638095158909, -0.2980073050552939, 0.4087872380968218],
        ]
    ),
}
EXPECTED_COST = 0.6765848556694925

GRADIENTS = ("dW1", "db1", "dW2", "db2", "dA0", "dA1")


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)


def test_the_hand_numbers_are_consistent_with_each_other():
    # A guard on the literals themselves: σ(-1.5) = 1 - σ(1.5), and dZ2 = A2 - Y.
    assert abs((1 - S) - 0.18242552380635635) < 1e-16
    close(EXPECTED["A2"] - Y, EXPECTED["dZ2"])
    close(np.array([[D1, D2, D3]]), EXPECTED["dZ2"])
    assert EXPECTED["db2"][0, 0] == pytest.approx((T - 1) / 3, rel=1e-15)


def test_linear_and_activation_forward_by_hand():
    Z1, linear_cache = mb.linear_forward(X, PARAMETERS["W1"], PARAMETERS["b1"])
    close(Z1, EXPECTED["Z1"])
    assert isinstance(linear_cache, mb.LinearCache)
    assert linear_cache.A_prev is X and linear_cache.W is PARAMETERS["W1"]

    A1, cache1 = mb.linear_activation_forward(X, PARAMETERS["W1"], PARAMETERS["b1"], "relu")
    close(A1, EXPECTED["A1"])
    close(cache1.Z, EXPECTED["Z1"])
    A2, cache2 = mb.linear_activation_forward(A1, PARAMETERS["W2"], PARAMETERS["b2"], "sigmoid")
    close(cache2.Z, EXPECTED["Z2"])
    close(A2, EXPECTED["A2"])


def test_model_forward_and_cost_by_hand():
    AL, caches = mb.model_forward(X, PARAMETERS, hidden_activation="relu")
    assert len(caches) == 2
    (A0, W1, b1), Z1 = caches[0]
    (A1, W2, b2), Z2 = caches[1]
    close(A0, X)
    close(Z1, EXPECTED["Z1"])
    close(A1, EXPECTED["A1"])
    close(Z2, EXPECTED["Z2"])
    close(AL, EXPECTED["A2"])
    close(W1, PARAMETERS["W1"])
    close(b1, PARAMETERS["b1"])
    close(W2, PARAMETERS["W2"])
    close(b2, PARAMETERS["b2"])
    assert mb.compute_cost(AL, Y) == pytest.approx(EXPECTED_COST, rel=1e-13)
    assert mb.compute_cost_from_logits(Z2, Y) == pytest.approx(EXPECTED_COST, rel=1e-13)


@pytest.mark.parametrize("fused", [True, False])
def test_model_backward_by_hand(fused):
    AL, caches = mb.model_forward(X, PARAMETERS, hidden_activation="relu")
    grads = mb.model_backward(AL, Y, caches, hidden_activation="relu", fused=fused)
    assert set(grads) == set(GRADIENTS)
    for key in GRADIENTS:
        np.testing.assert_allclose(grads[key], EXPECTED[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_layer_by_layer_backward_by_hand():
    AL, caches = mb.model_forward(X, PARAMETERS, hidden_activation="relu")
    dA1, dW2, db2 = mb.linear_backward(EXPECTED["dZ2"], caches[1].linear)
    close(dA1, EXPECTED["dA1"])
    close(dW2, EXPECTED["dW2"])
    close(db2, EXPECTED["db2"])
    dA0, dW1, db1 = mb.linear_activation_backward(EXPECTED["dA1"], caches[0], "relu")
    close(dA0, EXPECTED["dA0"])
    close(dW1, EXPECTED["dW1"])
    close(db1, EXPECTED["db1"])
    # The course's dAL route through the sigmoid layer gives the same dA1, dW2, db2.
    dAL = -(Y / AL) + (1 - Y) / (1 - AL)
    dA1_course, dW2_course, db2_course = mb.linear_activation_backward(dAL, caches[1], "sigmoid")
    close(dA1_course, EXPECTED["dA1"])
    close(dW2_course, EXPECTED["dW2"])
    close(db2_course, EXPECTED["db2"])


def test_two_layer_module_by_hand():
    A2, cache = two_layer.forward_propagation(X, PARAMETERS, hidden_activation="relu")
    assert set(cache) == {"Z1", "A1", "Z2", "A2"}
    for key in ("Z1", "A1", "Z2", "A2"):
        np.testing.assert_allclose(cache[key], EXPECTED[key], rtol=1e-12, atol=1e-15, err_msg=key)
    close(A2, EXPECTED["A2"])
    assert two_layer.compute_cost(A2, Y) == pytest.approx(EXPECTED_COST, rel=1e-13)
    grads = two_layer.backward_propagation(PARAMETERS, cache, X, Y, hidden_activation="relu")
    assert set(grads) == set(GRADIENTS)
    for key in GRADIENTS:
        np.testing.assert_allclose(grads[key], EXPECTED[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_one_update_step_by_hand():
    # W[l] := W[l] - α dW[l] with α = 0.5, e.g. W2 = [2 - 0.5·dW2[1], -1 - 0.5·dW2[2]].
    AL, caches = mb.model_forward(X, PARAMETERS, hidden_activation="relu")
    grads = mb.model_backward(AL, Y, caches, hidden_activation="relu")
    updated = mb.update_parameters(PARAMETERS, grads, 0.5)
    close(updated["W2"], np.array([[2.0 + 0.5 * 0.04094135426509919, -1.0 + 0.5 * 0.4667880830387441]]))
    close(updated["b2"], np.array([[0.5 + 0.5 * 0.2935990259926275]]))
    close(updated["b1"], np.array([[0.5 + 0.5 * 0.042148401189492535], [-1.0 - 0.5 * 0.2935990259926275]]))
