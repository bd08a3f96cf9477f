"""Random architectures and problems: coverage, determinism, and Z kept away from the kinks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.architectures import (
    HIDDEN_ACTIVATIONS,
    KINK_MARGIN,
    MAX_EXAMPLES,
    MAX_LAYERS,
    MAX_UNITS,
    Architecture,
    architectures,
    make_problem,
    random_architectures,
)


def test_same_seed_same_architectures_and_full_coverage() -> None:
    first = random_architectures(60, seed=5)
    assert first == random_architectures(60, seed=5)
    assert first != random_architectures(60, seed=6)
    assert {(a.L, a.hidden_activation) for a in first[:30]} == {
        (L, g) for L in range(1, MAX_LAYERS + 1) for g in HIDDEN_ACTIVATIONS
    }
    for a in first:
        assert 1 <= a.L <= MAX_LAYERS and 1 <= a.m <= MAX_EXAMPLES
        assert all(1 <= n <= MAX_UNITS for n in a.layer_dims)
    # the float32 sweep runs the same networks
    assert [a.layer_dims for a in random_architectures(10, 5, "float32")] == [
        a.layer_dims for a in first[:10]
    ]


def _hidden(name: str, Z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda z: np.maximum(z, 0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "linear": lambda z: z,
    }[name](Z)


@settings(max_examples=60)
@given(architectures(), st.integers(0, 2**32 - 1))
def test_problems_have_course_shapes_and_keep_away_from_the_kink(arch: Architecture, seed: int) -> None:
    parameters, X, Y = make_problem(arch, seed)
    dims, m, dtype = arch.layer_dims, arch.m, np.dtype(arch.dtype)
    assert X.shape == (dims[0], m) and Y.shape == (dims[-1], m)
    assert set(np.unique(Y)) <= {0.0, 1.0}
    A = X.astype(np.float64)
    for l in range(1, arch.L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        assert W.shape == (dims[l], dims[l - 1]) and b.shape == (dims[l], 1)
        assert W.dtype == b.dtype == X.dtype == Y.dtype == dtype
        Z = W.astype(np.float64) @ A + b.astype(np.float64)
        if l < arch.L:
            if arch.hidden_activation in ("relu", "leaky_relu"):
                assert np.abs(Z).min() >= KINK_MARGIN
            A = _hidden(arch.hidden_activation, Z)
        else:
            assert np.abs(Z).max() <= 4.0  # A[L] well inside (0, 1) for the course's dA[L] route
    again = make_problem(arch, seed)
    assert all(np.array_equal(again[0][k], parameters[k]) for k in parameters)
