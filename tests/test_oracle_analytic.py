"""The oracle against gradients worked out by hand, and against deliberately wrong gradients."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from verification.agreement import compare
from verification.oracle import jax_cost, reference_gradients
from verification.tolerances import ORACLES, tolerance_for

METHODS = ("reverse", "forward", "finite_difference")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _logistic_problem(dtype: type = np.float64) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    parameters = {
        "W1": rng.standard_normal((2, 3)).astype(dtype),
        "b1": rng.standard_normal((2, 1)).astype(dtype),
    }
    X = rng.standard_normal((3, 5)).astype(dtype)
    Y = (rng.random((2, 5)) < 0.5).astype(dtype)
    return parameters, X, Y


def test_cost_matches_the_definition_on_a_hand_example() -> None:
    # Z = 0 everywhere, so A = 1/2 and every term is log 2: J = n[L] * m * log 2 / m.
    parameters = {"W1": np.zeros((3, 2)), "b1": np.zeros((3, 1))}
    X, Y = np.ones((2, 4)), np.array([[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 1.0]])
    assert float(jax_cost(parameters, X, Y)) == pytest.approx(3 * np.log(2), rel=1e-6)


def test_cost_is_stable_where_the_sigmoid_saturates() -> None:
    parameters = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    X, Y = np.array([[200.0, -200.0]]), np.array([[0.0, 1.0]])
    # each example pays -log(1 - σ(200)) = -log σ(-200) ≈ 200 (a naive log(1 - A) gives inf)
    value = float(jax_cost(parameters, X, Y))
    assert np.isfinite(value)
    assert value == pytest.approx(200.0, rel=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_logistic_regression_gradients_by_hand(method: str) -> None:
    parameters, X, Y = _logistic_problem()
    m = X.shape[1]
    A = _sigmoid(parameters["W1"] @ X + parameters["b1"])
    # by hand: ∂J/∂Z = (A - Y)/m, so dW = (A - Y) Xᵀ/m, db = Σ (A - Y)/m, dA0 = m ∂J/∂X = Wᵀ (A - Y)
    expected = {
        "dW1": (A - Y) @ X.T / m,
        "db1": (A - Y).sum(axis=1, keepdims=True) / m,
        "dA0": parameters["W1"].T @ (A - Y),
    }
    grads = reference_gradients(parameters, X, Y, method=method)
    assert set(grads) == set(expected)
    tol = 1e-7 if method == "finite_difference" else 1e-12
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=tol, atol=tol)


@pytest.mark.parametrize("method", METHODS)
def test_two_layer_tanh_gradients_by_hand(method: str) -> None:
    rng = np.random.default_rng(3)
    W1, b1 = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    W2, b2 = rng.standard_normal((1, 4)), rng.standard_normal((1, 1))
    X, Y = rng.standard_normal((3, 6)), (rng.random((1, 6)) < 0.5).astype(float)
    m = 6
    A1 = np.tanh(W1 @ X + b1)
    A2 = _sigmoid(W2 @ A1 + b2)
    dZ2 = A2 - Y
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (1 - A1**2)
    expected = {
        "dW2": dZ2 @ A1.T / m,
        "db2": dZ2.sum(axis=1, keepdims=True) / m,
        "dA1": dA1,
        "dW1": dZ1 @ X.T / m,
        "db1": dZ1.sum(axis=1, keepdims=True) / m,
        "dA0": W1.T @ dZ1,
    }
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    grads = reference_gradients(parameters, X, Y, "tanh", method=method)
    tol = 1e-7 if method == "finite_difference" else 1e-12
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=tol, atol=tol, err_msg=key)


def test_relu_derivative_at_zero_follows_the_course() -> None:
    # Z[1] = 0 exactly for the first unit: relu'(0) = 0, so nothing flows back through it.
    parameters = {
        "W1": np.array([[0.0, 0.0], [1.0, 0.5]]),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[1.0, 1.0]]),
        "b2": np.zeros((1, 1)),
    }
    X, Y = np.array([[1.0], [2.0]]), np.array([[1.0]])
    grads = reference_gradients(parameters, X, Y, "relu")
    assert grads["dW1"][0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("method", ("reverse", "forward"))
def test_dtype_is_kept_and_x64_does_not_leak(method: str) -> None:
    parameters, X, Y = _logistic_problem(np.float32)
    grads32 = reference_gradients(parameters, X, Y, method=method)
    assert {g.dtype for g in grads32.values()} == {np.dtype(np.float32)}
    p64 = {k: v.astype(np.float64) for k, v in parameters.items()}
    grads64 = reference_gradients(p64, X.astype(np.float64), Y.astype(np.float64), method=method)
    assert {g.dtype for g in grads64.values()} == {np.dtype(np.float64)}
    # float64 ran inside a scoped enable_x64: the rest of the process still defaults to float32
    assert jnp.ones(2).dtype == jnp.float32
    # and float64 really is float64: its gradients are closer to the float64 truth than float32's
    truth = reference_gradients(p64, X.astype(np.float64), Y.astype(np.float64), method="finite_difference")
    assert np.abs(grads64["dW1"] - truth["dW1"]).max() < 1e-8 < np.abs(grads32["dW1"] - truth["dW1"]).max()


def test_finite_differences_are_float64_even_for_float32_inputs() -> None:
    parameters, X, Y = _logistic_problem(np.float32)
    grads = reference_gradients(parameters, X, Y, method="finite_difference")
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float64)}


def _wrong_variants(grads: dict[str, np.ndarray], m: int) -> dict[str, tuple[str, np.ndarray]]:
    dW, db = grads["dW1"], grads["db1"]
    return {
        "missing_divide_by_m": ("dW1", dW * m),
        "sign_flipped": ("dW1", -dW),
        "one_entry_off_by_one_percent": (
            "dW1",
            dW + 0.01 * np.abs(dW).max() * (np.arange(dW.size) == 3).reshape(dW.shape),
        ),
        "transposed": ("dW1", dW.T.copy()),
        "db_without_keepdims": ("db1", db.ravel()),
        "nan": ("db1", np.full_like(db, np.nan)),
    }


@pytest.mark.parametrize("oracle", ORACLES)
@pytest.mark.parametrize("dtype", ("float64", "float32"))
def test_the_oracle_fails_wrong_gradients(oracle: str, dtype: str) -> None:
    """So the sweep cannot pass by construction: every deliberately wrong gradient is rejected."""
    parameters, X, Y = _logistic_problem(np.dtype(dtype).type)
    method = oracle
    expected = reference_gradients(parameters, X, Y, method=method)
    right = reference_gradients(parameters, X, Y, method="reverse")  # the correct gradients in dtype
    tol = tolerance_for(dtype, oracle)
    for key in ("dW1", "db1", "dA0"):
        assert compare(key, right[key], expected[key], tol).passed
    for name, (key, wrong) in _wrong_variants(right, X.shape[1]).items():
        result = compare(key, wrong, expected[key], tol)
        assert not result.passed, f"{name} passed against {oracle} in {dtype}"
