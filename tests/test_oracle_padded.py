"""The sweep's padded oracle agrees with the plain oracle, and hypothesis drives the whole check."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verification.agreement import relative_difference
from verification.architectures import Architecture, architectures, make_problem
from verification.oracle import reference_gradients
from verification.padded import make_directions, pad_problem, run_oracles
from verification.sweep import _make, verify_architecture

SMALL = [
    Architecture((3, 4, 1), 5, "relu"),
    Architecture((2, 1), 3, "linear"),
    Architecture((4, 3, 5, 2, 2), 7, "sigmoid"),
    Architecture((1, 6, 6, 6, 6, 6, 3), 2, "leaky_relu"),
]


@pytest.mark.parametrize("arch", SMALL, ids=lambda a: a.label)
def test_padded_oracle_equals_the_plain_definition(arch: Architecture) -> None:
    rng = np.random.default_rng(11)
    parameters, X, Y = make_problem(arch, rng)
    directions = make_directions(arch, rng)
    padded = run_oracles(arch, pad_problem(arch, parameters, X, Y), directions)
    plain = reference_gradients(parameters, X, Y, arch.hidden_activation)
    assert set(padded.reverse) == set(plain)
    for key, value in plain.items():
        assert padded.reverse[key].shape == value.shape
        assert relative_difference(padded.reverse[key], value) < 1e-13, key
    # forward mode and finite differences along each direction match ⟨∂J, v⟩ of the plain oracle
    for d, name in enumerate(directions.names):
        rows, cols = value_shape = plain[name].shape
        v = directions.values[d, :rows, :cols]
        grad = plain[name] / (arch.m if name.startswith("dA") else 1)
        exact = float(np.sum(grad * v))
        index = directions.names[:d].count(name)
        assert padded.forward[name][index] == pytest.approx(exact, rel=1e-10, abs=1e-14), value_shape
        assert padded.finite_difference[name][index] == pytest.approx(exact, rel=1e-4, abs=1e-8)
    assert jnp.ones(1).dtype == jnp.float32  # x64 stayed inside the oracle


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(), st.integers(0, 1000))
def test_manualbp_agrees_on_hypothesis_architectures(arch: Architecture, seed: int) -> None:
    """Every function under test, every gradient, all three oracles, shapes and dtypes."""
    problem = _make(seed, arch, seed)
    timings = {"manualbp": 0.0, "compare": 0.0, "oracle": 0.0}
    padded = run_oracles(
        arch, pad_problem(arch, problem.parameters, problem.X, problem.Y), problem.directions
    )
    result = verify_architecture(problem, padded, timings)
    assert not result.errors and not result.shape_failures
    failing = [
        (c.function, c.gradient, c.oracle, c.comparison) for c in result.checks if not c.comparison.passed
    ]
    assert not failing
    functions = {c.function for c in result.checks}
    assert {"model_backward", "model_backward_course"} <= functions
    assert {f"linear_activation_backward[{l}]" for l in range(1, arch.L + 1)} <= functions
    assert ("two_layer" in functions) == (arch.L == 2)
    # every gradient of the course, dA0 included, is checked by every oracle
    checked = {(c.gradient, c.oracle) for c in result.checks if c.function == "model_backward"}
    assert checked == {
        (g, o) for g in arch.gradient_names() for o in ("reverse", "forward", "finite_difference")
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_layers=4, max_units=6, max_examples=8, dtypes=("float64",)), st.integers(0, 1000))
def test_padding_never_changes_the_gradients(arch: Architecture, seed: int) -> None:
    """The padded frame is a faithful embedding: same J, same gradients as the plain definition."""
    rng = np.random.default_rng(seed)
    parameters, X, Y = make_problem(arch, rng)
    padded = run_oracles(arch, pad_problem(arch, parameters, X, Y), make_directions(arch, rng))
    plain = reference_gradients(parameters, X, Y, arch.hidden_activation)
    for key, value in plain.items():
        assert relative_difference(padded.reverse[key], value) < 1e-13, key
