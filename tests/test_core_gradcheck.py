"""Float64 central finite differences of every gradient, written here in NumPy alone.

The cost is recomputed by an independent forward pass in this file (not manualbp's), and
dJ/dθ ≈ (J(θ + ε) - J(θ - ε)) / 2ε with ε = 1e-6. Course convention: dW[l], db[l] are derivatives of
J, while dA[0] is m·∂J/∂X (per example). Parameters are resampled until every hidden |Z| > 1e-3,
so no perturbation crosses the ReLU kink.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import manualbp as mb
from manualbp import two_layer

EPS = 1e-6
TOLERANCE = 1e-7
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
# (layer_dims, m): L = 1, 2 (one and two output units), 3 and 4; m differs from every n[l].
ARCHITECTURES = [
    ([3, 1], 5),
    ([4, 3, 1], 7),
    ([3, 5, 2], 6),
    ([4, 5, 3, 1], 7),
    ([3, 4, 4, 3, 2], 5),
]

# Largest relative difference seen, per hidden activation ("none" for L = 1); printed at the end.
LARGEST: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_largest(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and LARGEST:
        listing = ", ".join(f"{name}: {value:.2e}" for name, value in sorted(LARGEST.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfinite differences, largest relative difference: {listing}")


def _g(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-Z))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    assert name == "linear"
    return Z


def _forward_zs(X, parameters, L, hidden):
    A, zs = X, []
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        zs.append(Z)
        A = _g(hidden, Z) if l < L else None
    return zs


def _cost(X, Y, parameters, L, hidden) -> float:
    ZL = _forward_zs(X, parameters, L, hidden)[-1]
    # J = (1/m) Σ [log(1 + e^ZL) - Y ZL], the cross-entropy of σ(ZL)
    return float(np.sum(np.logaddexp(0.0, ZL) - Y * ZL) / X.shape[1])


def _numeric_gradient(f, array: np.ndarray) -> np.ndarray:
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + EPS
        plus = f()
        array[index] = saved - EPS
        minus = f()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def _problem(dims, m, hidden, seed):
    """Random X, Y, parameters with every hidden |Z| > 1e-3 (resampled otherwise)."""
    rng = np.random.default_rng(seed)
    L = len(dims) - 1
    # Weights large enough that no gradient is tiny: the differences carry a round-off error of
    # about 1e-16·J/ε ≈ 1e-10 per entry, which must stay far below 1e-7 of each gradient's norm
    # (σ' <= 1/4 shrinks gradients layer by layer, hence the larger sigmoid weights).
    scale = 4.0 if hidden == "sigmoid" else 2.0
    for _ in range(200):
        X = rng.standard_normal((dims[0], m))
        parameters = {}
        for l in range(1, L + 1):
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale / np.sqrt(dims[l - 1])
            parameters[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.5
        zs = _forward_zs(X, parameters, L, hidden)
        if all(np.abs(Z).min() > 1e-3 for Z in zs[:-1]):
            Y = rng.integers(0, 2, size=(dims[-1], m)).astype(np.float64)
            return X, Y, parameters
    raise AssertionError("could not keep Z away from the kink")  # pragma: no cover


def numeric_gradients(X, Y, parameters, hidden):
    L = len(parameters) // 2
    m = X.shape[1]
    work = {k: v.copy() for k, v in parameters.items()}
    Xw = X.copy()

    def f():
        return _cost(Xw, Y, work, L, hidden)

    grads = {f"d{k}": _numeric_gradient(f, work[k]) for k in work}
    grads["dA0"] = m * _numeric_gradient(f, Xw)  # dA0 = m ∂J/∂X
    return grads


def _check(analytic, numeric, label):
    worst = 0.0
    for key, expected in numeric.items():
        assert key in analytic, f"{label}: {key} missing"
        assert analytic[key].shape == expected.shape, key
        difference = relative_difference(analytic[key], expected)
        assert difference < TOLERANCE, f"{label}: {key} relative difference {difference:.3e}"
        worst = max(worst, difference)
    return worst


def _record(hidden, L, worst):
    name = hidden if L > 1 else "none (L = 1)"
    LARGEST[name] = max(LARGEST.get(name, 0.0), worst)


# L = 1 has no hidden layer, so it is checked once.
CASES = [
    (hidden, dims, m)
    for hidden in HIDDEN
    for dims, m in ARCHITECTURES
    if len(dims) > 2 or hidden == HIDDEN[0]
]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "dAL"])
@pytest.mark.parametrize("hidden,dims,m", CASES, ids=[f"{h}-{d}" for h, d, _ in CASES])
def test_model_backward_matches_central_differences(hidden, dims, m, fused):
    L = len(dims) - 1
    X, Y, parameters = _problem(dims, m, hidden, seed=zlib.crc32(f"{hidden}{dims}".encode()))
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    # manualbp's forward agrees with the independent one used for the differences
    np.testing.assert_allclose(caches[-1].Z, _forward_zs(X, parameters, L, hidden)[-1], rtol=1e-12)
    assert mb.compute_cost(AL, Y) == pytest.approx(_cost(X, Y, parameters, L, hidden), rel=1e-10)
    grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden, fused=fused)
    numeric = numeric_gradients(X, Y, parameters, hidden)
    worst = _check(grads, numeric, f"{hidden} {dims}")
    _record(hidden, L, worst)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_hidden_dA_matches_central_differences(hidden):
    """dA[l] for 0 < l < L: m·∂J/∂A[l], by perturbing A[l] and running the rest of the network."""
    dims, m = [3, 4, 5, 2], 6
    X, Y, parameters = _problem(dims, m, hidden, seed=11)
    AL, caches = mb.model_forward(X, parameters, hidden_activation=hidden)
    grads = mb.model_backward(AL, Y, caches, hidden_activation=hidden)
    L = 3
    for l in (1, 2):
        A = caches[l].linear.A_prev.copy()  # A[l]
        tail = {f"W{k - l}": parameters[f"W{k}"] for k in range(l + 1, L + 1)}
        tail.update({f"b{k - l}": parameters[f"b{k}"] for k in range(l + 1, L + 1)})
        numeric = m * _numeric_gradient(lambda A=A, tail=tail, l=l: _cost(A, Y, tail, L - l, hidden), A)
        difference = relative_difference(grads[f"dA{l}"], numeric)
        assert difference < TOLERANCE, f"dA{l}: {difference:.3e}"
        _record(hidden, L, difference)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_two_layer_module_matches_central_differences(hidden):
    dims, m = [3, 4, 2], 5
    X, Y, parameters = _problem(dims, m, hidden, seed=7)
    A2, cache = two_layer.forward_propagation(X, parameters, hidden_activation=hidden)
    assert A2 is cache["A2"]
    grads = two_layer.backward_propagation(parameters, cache, X, Y, hidden_activation=hidden)
    numeric = numeric_gradients(X, Y, parameters, hidden)
    worst = _check(grads, numeric, f"two_layer {hidden}")
    _record(hidden, 2, worst)


def test_the_check_can_fail():
    """The comparison is not vacuous: a gradient missing its 1/m is caught."""
    dims, m = [3, 4, 1], 5
    X, Y, parameters = _problem(dims, m, "tanh", seed=3)
    AL, caches = mb.model_forward(X, parameters, hidden_activation="tanh")
    grads = mb.model_backward(AL, Y, caches, hidden_activation="tanh")
    numeric = numeric_gradients(X, Y, parameters, "tanh")
    wrong = dict(grads, dW1=grads["dW1"] * m)
    with pytest.raises(AssertionError, match="dW1"):
        _check(wrong, numeric, "tanh")
    wrong = dict(grads, dA0=grads["dA0"] / m)  # ∂J/∂X instead of the course's per-example dA0
    with pytest.raises(AssertionError, match="dA0"):
        _check(wrong, numeric, "tanh")
