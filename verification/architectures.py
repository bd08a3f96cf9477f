"""Random architectures and the problems (parameters, X, Y) the verification runs on.

Two sources of architectures over the same space (L from 1 to 6, n[l] from 1 to 32, m from 1 to 64,
every hidden activation, float32 and float64):

* :func:`random_architectures`: a seeded generator for the sweep and the reports; the same seed
  gives the same list. Depths and hidden activations cycle (with periods 6 and 5, from a random
  offset), so any 30 consecutive architectures cover every (L, activation) pair.
* :func:`architectures`: a hypothesis strategy for the tests.

:func:`make_problem` draws parameters and data scaled so that every Z[l] is O(1), and resamples
the examples (columns of X) whose pre-activations come within ``KINK_MARGIN`` of the ReLU kink at 0
or whose output |Z[L]| exceeds ``MAX_OUTPUT_LOGIT``; each column of the forward pass depends only
on its own example, so the resampling changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # hypothesis is imported only when a strategy is asked for
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "Architecture",
    "HIDDEN_ACTIVATIONS",
    "KINK_MARGIN",
    "MAX_LAYERS",
    "MAX_UNITS",
    "MAX_EXAMPLES",
    "random_architectures",
    "make_problem",
    "architectures",
]

HIDDEN_ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
KINKED = frozenset({"relu", "leaky_relu"})
MAX_LAYERS = 6
MAX_UNITS = 32
MAX_EXAMPLES = 64
# |Z| >= 1e-3 for kinked activations: far above float32 rounding of Z (~1e-6) and the finite-
# difference step (1e-6), so no oracle sees the other side of the kink.
KINK_MARGIN = 1e-3
# |Z[L]| <= 4 keeps A[L] in [0.018, 0.982], so the course's dA[L] = -(Y/A[L]) + (1-Y)/(1-A[L])
# stays well conditioned in float32.
MAX_OUTPUT_LOGIT = 4.0
_MAX_RESAMPLING_ROUNDS = 500


@dataclass(frozen=True)
class Architecture:
    """A network n[0], ..., n[L] with m examples, a hidden activation and a dtype; sigmoid output."""

    layer_dims: tuple[int, ...]
    m: int
    hidden_activation: str = "relu"
    dtype: str = "float64"

    def __post_init__(self) -> None:
        if len(self.layer_dims) < 2 or min(self.layer_dims) < 1 or self.m < 1:
            raise ValueError(f"invalid architecture {self.layer_dims} with m = {self.m}")
        if self.hidden_activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"unknown hidden activation {self.hidden_activation!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")

    @property
    def L(self) -> int:
        return len(self.layer_dims) - 1

    @property
    def label(self) -> str:
        """``[5,4,1] m=7 relu float64``"""
        dims = ",".join(str(n) for n in self.layer_dims)
        return f"[{dims}] m={self.m} {self.hidden_activation} {self.dtype}"

    def gradient_names(self) -> list[str]:
        """``dW1, db1, ..., dWL, dbL, dA0, ..., dA(L-1)``."""
        names = [f"d{p}{l}" for l in range(1, self.L + 1) for p in "Wb"]
        return names + [f"dA{l}" for l in range(self.L)]

    def to_json(self) -> dict[str, Any]:
        return {
            "layer_dims": list(self.layer_dims),
            "L": self.L,
            "m": self.m,
            "hidden_activation": self.hidden_activation,
            "output_activation": "sigmoid",
            "dtype": self.dtype,
        }


def random_architectures(count: int, seed: int, dtype: str = "float64") -> list[Architecture]:
    """``count`` architectures, a function of ``seed`` alone (``dtype`` only labels them, so the
    float32 and float64 sweeps of one seed run the same networks)."""
    rng = np.random.default_rng([seed, 0x4D42])
    depth_offset = int(rng.integers(MAX_LAYERS))
    activation_offset = int(rng.integers(len(HIDDEN_ACTIVATIONS)))
    result = []
    for i in range(count):
        L = 1 + (depth_offset + i) % MAX_LAYERS
        activation = HIDDEN_ACTIVATIONS[(activation_offset + i) % len(HIDDEN_ACTIVATIONS)]
        dims = [int(n) for n in rng.integers(1, MAX_UNITS + 1, size=L + 1)]
        if rng.random() < 0.5:  # half the networks have the course's single output unit
            dims[-1] = 1
        m = int(rng.integers(1, MAX_EXAMPLES + 1))
        result.append(Architecture(tuple(dims), m, activation, dtype))
    return result


def _hidden(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * Z))
    return Z


def _bad_columns(arch: Architecture, parameters: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Columns whose forward pass (in float64, on the cast values) comes near a kink or saturates."""
    bad = np.zeros(X.shape[1], dtype=bool)
    A = X.astype(np.float64)
    for l in range(1, arch.L + 1):
        Z = parameters[f"W{l}"].astype(np.float64) @ A + parameters[f"b{l}"].astype(np.float64)
        if l < arch.L:
            if arch.hidden_activation in KINKED:
                bad |= (np.abs(Z) < KINK_MARGIN).any(axis=0)
            A = _hidden(arch.hidden_activation, Z)
        else:
            bad |= (np.abs(Z) > MAX_OUTPUT_LOGIT).any(axis=0)
    return bad


def make_problem(
    arch: Architecture, rng: np.random.Generator | int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Seeded ``(parameters, X, Y)`` in ``arch.dtype``: W[l] ~ N(0, gain/n[l-1]) (gain 2 for
    ReLU-like layers, 1 otherwise, 0.25 for the output layer), b[l] ~ N(0, 0.1²), X ~ N(0, 1),
    Y ~ Bernoulli(1/2); then columns of X are redrawn until every hidden |Z| >= KINK_MARGIN (ReLU
    and leaky ReLU) and every |Z[L]| <= MAX_OUTPUT_LOGIT."""
    rng = np.random.default_rng(rng)
    dims, L = arch.layer_dims, arch.L
    dtype = np.dtype(arch.dtype)
    gain = 2.0 if arch.hidden_activation in KINKED else 1.0
    parameters: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        scale = np.sqrt((gain if l < L else 0.25) / dims[l - 1])
        parameters[f"W{l}"] = (scale * rng.standard_normal((dims[l], dims[l - 1]))).astype(dtype)
        parameters[f"b{l}"] = (0.1 * rng.standard_normal((dims[l], 1))).astype(dtype)
    X = rng.standard_normal((dims[0], arch.m)).astype(dtype)
    for _ in range(_MAX_RESAMPLING_ROUNDS):
        bad = _bad_columns(arch, parameters, X)
        if not bad.any():
            break
        X[:, bad] = rng.standard_normal((dims[0], int(bad.sum()))).astype(dtype)
    else:  # pragma: no cover - would need a pathological network
        raise RuntimeError(f"could not keep Z away from the kinks for {arch.label}")
    Y = (rng.random((dims[-1], arch.m)) < 0.5).astype(dtype)
    return parameters, X, Y


def architectures(
    *,
    max_layers: int = MAX_LAYERS,
    max_units: int = MAX_UNITS,
    max_examples: int = MAX_EXAMPLES,
    activations: tuple[str, ...] = HIDDEN_ACTIVATIONS,
    dtypes: tuple[str, ...] = ("float64", "float32"),
) -> SearchStrategy[Architecture]:
    """A hypothesis strategy of :class:`Architecture` (L in 1..max_layers, n[l] in 1..max_units,
    m in 1..max_examples); shrinks towards small, shallow float64 ReLU networks."""
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw: Any) -> Architecture:
        L = draw(st.integers(1, max_layers))
        dims = draw(st.lists(st.integers(1, max_units), min_size=L + 1, max_size=L + 1))
        m = draw(st.integers(1, max_examples))
        activation = draw(st.sampled_from(activations))
        dtype = draw(st.sampled_from(dtypes))
        return Architecture(tuple(dims), m, activation, dtype)

    result: SearchStrategy[Architecture] = strategy()
    return result


def gradient_shape(arch: Architecture, name: str) -> tuple[int, int]:
    """The course shape of gradient ``name``: dW[l] (n[l], n[l-1]), db[l] (n[l], 1), dA[l] (n[l], m)."""
    dims, l = arch.layer_dims, int(name[2:])
    if name.startswith("dW"):
        return dims[l], dims[l - 1]
    if name.startswith("db"):
        return dims[l], 1
    return dims[l], arch.m
