"""The sweep's oracle: the same cost J, evaluated on arrays zero-padded to one fixed shape.

JAX compiles once per shape, and every random architecture has its own shapes; a fresh ``jax.jit``
per architecture costs ~0.2 s. So the sweep embeds each network n[0..L] (L <= 6, n[l] <= 32,
m <= 64) in a fixed frame: W is (6, 32, 32), b is (6, 32, 1), X and Y are (32, 64). Then one
compiled function per dtype serves every architecture:

* padded rows and columns of W[l], b[l] and X are zero, so a padded unit's Z is 0 and its A = g(0)
  reaches the next layer only through zero columns of W[l+1]: it changes nothing;
* Z[L] is taken from layer L (a traced index), the layers after L are computed and ignored;
* the loss is multiplied by a 0/1 mask of the real (output unit, example) entries, and divided by
  the real m.

So J(padded) equals J(real) exactly in value, and every derivative with respect to a real entry is
the same; derivatives of padded entries are thrown away. Activations and the cross-entropy come
from :mod:`verification.oracle` (its own definitions, never manualbp's). ``tests/test_oracle_*``
check that this padded oracle agrees with the plain, unpadded :func:`oracle.reference_gradients`.

Forward mode and finite differences are directional (documented in the report): for every
gradient array G of the real network, ``DIRECTIONS_PER_ARRAY`` unit directions v supported on G's
real entries (dense Gaussian ones and single coordinates), forward mode gives ``jvp(J)(v)`` and
float64 central differences give ``(J(θ + εv) - J(θ - εv)) / 2ε``; manualbp passes when
``⟨G, v⟩`` matches both (with ``dA[l]/m`` for the dA arrays). A wrong entry of G fails the
dense directions with probability 1.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import jaxlib
import numpy as np

from .architectures import (
    HIDDEN_ACTIVATIONS,
    MAX_EXAMPLES,
    MAX_LAYERS,
    MAX_UNITS,
    Architecture,
    gradient_shape,
)
from .oracle import HIDDEN, cross_entropy_terms, precision
from .tolerances import FD_STEP

__all__ = [
    "DENSE_DIRECTIONS",
    "COORDINATE_DIRECTIONS",
    "DIRECTIONS_PER_ARRAY",
    "PaddedProblem",
    "Directions",
    "OracleResult",
    "pad_problem",
    "make_directions",
    "run_oracles",
    "launch_oracles",
    "launch_exact",
    "launch_central",
    "collect_oracles",
    "PendingOracles",
    "compiled",
    "use_executable_cache",
    "padded_cost",
]

LMAX, NMAX, MMAX = MAX_LAYERS, MAX_UNITS, MAX_EXAMPLES
DENSE_DIRECTIONS = 1
COORDINATE_DIRECTIONS = 1
DIRECTIONS_PER_ARRAY = DENSE_DIRECTIONS + COORDINATE_DIRECTIONS
MAX_ARRAYS = 3 * LMAX  # dW1..dW6, db1..db6, dA0..dA5
DMAX = MAX_ARRAYS * DIRECTIONS_PER_ARRAY
KINDS = {"W": 0, "b": 1, "X": 2, "P": 3}


@dataclass
class PaddedProblem:
    """One architecture's problem embedded in the fixed frame (NumPy arrays in its dtype)."""

    W: np.ndarray  # (LMAX, NMAX, NMAX)
    b: np.ndarray  # (LMAX, NMAX, 1)
    X: np.ndarray  # (NMAX, MMAX)
    Y: np.ndarray  # (NMAX, MMAX)
    mask: np.ndarray  # (NMAX, MMAX): 1 on the real (output unit, example) entries
    L: int
    m: int
    activation: int  # index into HIDDEN_ACTIVATIONS


@dataclass
class Directions:
    """Unit directions, each supported on the real entries of one gradient array."""

    values: np.ndarray  # (DMAX, NMAX, MMAX), zero beyond the array's real entries
    kind: np.ndarray  # (DMAX,) int32: 0 W, 1 b, 2 X, 3 P (perturbation of A[l])
    layer: np.ndarray  # (DMAX,) int32: index l-1 into the W, b, P stacks
    names: list[str]  # gradient name of each used direction, in order (len <= DMAX)


@dataclass
class OracleResult:
    """Oracle values for one architecture, cut back to the real shapes."""

    cost: float
    reverse: dict[str, np.ndarray]  # in the architecture's dtype, DESIGN.md convention
    dAL: np.ndarray  # m ∂J/∂A[L], for checking the output layer's linear_activation_backward
    forward: dict[str, np.ndarray]  # per gradient: jvp(J)(v) for its directions (∂J units)
    finite_difference: dict[str, np.ndarray]  # per gradient: float64 central differences


def pad_problem(
    arch: Architecture, parameters: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray
) -> PaddedProblem:
    dtype = np.dtype(arch.dtype)
    dims, L, m = arch.layer_dims, arch.L, arch.m
    W = np.zeros((LMAX, NMAX, NMAX), dtype)
    b = np.zeros((LMAX, NMAX, 1), dtype)
    for l in range(1, L + 1):
        W[l - 1, : dims[l], : dims[l - 1]] = parameters[f"W{l}"]
        b[l - 1, : dims[l]] = parameters[f"b{l}"]
    Xp = np.zeros((NMAX, MMAX), dtype)
    Xp[: dims[0], :m] = X
    Yp = np.zeros((NMAX, MMAX), dtype)
    Yp[: dims[-1], :m] = Y
    mask = np.zeros((NMAX, MMAX), dtype)
    mask[: dims[-1], :m] = 1
    return PaddedProblem(W, b, Xp, Yp, mask, L, m, HIDDEN_ACTIVATIONS.index(arch.hidden_activation))


def make_directions(arch: Architecture, rng: np.random.Generator) -> Directions:
    """DENSE_DIRECTIONS Gaussian and COORDINATE_DIRECTIONS one-entry unit directions per array."""
    values = np.zeros((DMAX, NMAX, MMAX), np.float64)
    kind = np.zeros(DMAX, np.int32)
    layer = np.zeros(DMAX, np.int32)
    names: list[str] = []
    d = 0
    for name in arch.gradient_names():
        rows, cols = gradient_shape(arch, name)
        l = int(name[2:])
        k = KINDS[name[1]] if name[1] in "Wb" else (KINDS["X"] if l == 0 else KINDS["P"])
        for j in range(DIRECTIONS_PER_ARRAY):
            if j < DENSE_DIRECTIONS:
                v = rng.standard_normal((rows, cols))
                v /= np.linalg.norm(v)
            else:
                v = np.zeros((rows, cols))
                v.flat[int(rng.integers(rows * cols))] = 1.0
            values[d, :rows, :cols] = v
            kind[d] = k
            layer[d] = l - 1 if k != KINDS["X"] else 0
            names.append(name)
            d += 1
    # representable in float32, so every oracle of either dtype and the projections of manualbp's
    # gradients use exactly the same directions
    values = values.astype(np.float32).astype(np.float64)
    return Directions(values, kind, layer, names)


# --- the padded cost and its three oracles -------------------------------------------------------

Theta = dict[str, jax.Array]


def _hidden(activation: jax.Array, Z: jax.Array) -> jax.Array:
    """g(Z) for the hidden activation with index ``activation`` (a traced integer): every
    activation of :data:`oracle.HIDDEN` is evaluated and one is selected (cheap at these sizes,
    and one compiled function serves them all)."""
    choices = [HIDDEN[name](Z) for name in HIDDEN_ACTIVATIONS]
    return jnp.select([activation == i for i in range(len(choices))], choices)


def _forward(theta: Theta, consts: dict[str, jax.Array], perturb: bool = True) -> jax.Array:
    """Z[L]: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]) + P[l] for l = 1..LMAX (a scan over the
    stacked layers), Z[L] kept at the traced depth L."""

    def layer(carry: tuple[jax.Array, jax.Array], inputs: tuple[jax.Array, ...]) -> Any:
        A, ZL = carry
        l, W, b, P = inputs
        Z = W @ A + b
        ZL = jnp.where(consts["L"] == l, Z, ZL)
        A = _hidden(consts["activation"], Z) + (P if perturb else 0.0)
        return (A, ZL), None

    X = theta["X"]
    layers = jnp.arange(1, LMAX + 1)
    (_, ZL), _ = jax.lax.scan(layer, (X, jnp.zeros_like(X)), (layers, theta["W"], theta["b"], theta["P"]))
    return ZL


def padded_cost(theta: Theta, consts: dict[str, jax.Array]) -> jax.Array:
    """J of the real network from Z[L] (see :func:`_forward`): the masked cross-entropy, summed and
    divided by the real m."""
    loss = cross_entropy_terms(_forward(theta, consts), consts["Y"], "sigmoid") * consts["mask"]
    return jnp.sum(loss) / consts["m"]


def _output_cost(AL: jax.Array, consts: dict[str, jax.Array]) -> jax.Array:
    """J as a function of A[L] itself: -(1/m) Σ mask (Y log A[L] + (1-Y) log(1-A[L]))."""
    Y = consts["Y"]
    AL = jnp.where(consts["mask"] > 0, AL, 0.5)
    loss = -(Y * jnp.log(AL) + (1.0 - Y) * jnp.log(1.0 - AL))
    return jnp.sum(loss * consts["mask"]) / consts["m"]


def _tangent(v: jax.Array, kind: jax.Array, layer: jax.Array, dtype: Any) -> Theta:
    one_hot = jax.nn.one_hot(layer, LMAX, dtype=dtype)
    v = v.astype(dtype)
    return {
        "W": jnp.where(kind == 0, 1.0, 0.0).astype(dtype) * one_hot[:, None, None] * v[None, :, :NMAX],
        "b": jnp.where(kind == 1, 1.0, 0.0).astype(dtype) * one_hot[:, None, None] * v[None, :, :1],
        "X": jnp.where(kind == 2, 1.0, 0.0).astype(dtype) * v,
        "P": jnp.where(kind == 3, 1.0, 0.0).astype(dtype) * one_hot[:, None, None] * v[None],
    }


def _exact(theta: Theta, consts: dict[str, jax.Array], directions: tuple[jax.Array, ...]) -> Any:
    """Reverse-mode gradient, m ∂J/∂A[L], and forward-mode directional derivatives."""
    cost, grad = jax.value_and_grad(padded_cost)(theta, consts)
    ZL = _forward(theta, consts, perturb=False)
    AL = HIDDEN["sigmoid"](ZL)
    dAL = consts["m"] * jax.grad(_output_cost)(AL, consts)
    dtype = theta["X"].dtype

    def jvp(v: jax.Array, kind: jax.Array, layer: jax.Array) -> jax.Array:
        tangent = _tangent(v, kind, layer, dtype)
        return jax.jvp(lambda t: padded_cost(t, consts), (theta,), (tangent,))[1]

    return cost, grad, dAL, jax.vmap(jvp)(*directions)


def _central_differences(
    theta: Theta, consts: dict[str, jax.Array], directions: tuple[jax.Array, ...]
) -> jax.Array:
    dtype = theta["X"].dtype

    def difference(v: jax.Array, kind: jax.Array, layer: jax.Array) -> jax.Array:
        tangent = _tangent(v, kind, layer, dtype)
        plus = jax.tree_util.tree_map(lambda p, t: p + FD_STEP * t, theta, tangent)
        minus = jax.tree_util.tree_map(lambda p, t: p - FD_STEP * t, theta, tangent)
        return (padded_cost(plus, consts) - padded_cost(minus, consts)) / (2 * FD_STEP)

    return jax.vmap(difference)(*directions)


_EXACT = jax.jit(_exact)
_CENTRAL = jax.jit(_central_differences)


def _abstract_inputs(dtype: np.dtype) -> tuple[Any, ...]:
    s = jax.ShapeDtypeStruct
    theta = {
        "W": s((LMAX, NMAX, NMAX), dtype),
        "b": s((LMAX, NMAX, 1), dtype),
        "X": s((NMAX, MMAX), dtype),
        "P": s((LMAX, NMAX, MMAX), dtype),
    }
    consts = {
        "Y": s((NMAX, MMAX), dtype),
        "mask": s((NMAX, MMAX), dtype),
        "m": s((), dtype),
        "L": s((), np.int32),
        "activation": s((), np.int32),
    }
    directions = (s((DMAX, NMAX, MMAX), dtype), s((DMAX,), np.int32), s((DMAX,), np.int32))
    return theta, consts, directions


_COMPILE_LOCKS: dict[tuple[str, str], threading.Lock] = {}


def compiled(kind: str, dtype_name: str) -> Callable[..., Any]:
    """The compiled ``exact`` (reverse + forward mode) or ``central`` (finite differences)
    function for one dtype; compiled ahead of time, once per process, or loaded from the
    executable cache (:func:`use_executable_cache`) when it holds this very function.
    Thread-safe: threads asking for the same function wait for one compilation."""
    with _COMPILE_LOCKS.setdefault((kind, dtype_name), threading.Lock()):
        return _compile_or_load(kind, dtype_name)


@lru_cache(maxsize=4)
def _compile_or_load(kind: str, dtype_name: str) -> Callable[..., Any]:
    """:func:`compiled`, without the lock."""
    path = _executable_path(kind, dtype_name)
    executable = _load_executable(path, dtype_name) if path is not None else None
    if executable is None:
        dtype = np.dtype(dtype_name)
        function = _EXACT if kind == "exact" else _CENTRAL
        with precision(dtype):
            executable = function.lower(*_abstract_inputs(dtype)).compile()
        if path is not None:
            _store_executable(path, executable, dtype_name)
    return executable


# --- the executable cache ------------------------------------------------------------------------
# Tracing and lowering the oracle functions is Python work (~0.1 s each, holding the GIL) that
# JAX's persistent compilation cache cannot skip: its key is computed from the lowered program. So
# ``manualbp verify`` keeps the compiled executables themselves, under a key that covers everything
# they are built from, each with its outputs on a fixed probe input: a loaded executable is used
# only if it reproduces them bit for bit.

_EXECUTABLE_FOLDER: list[Path] = []  # empty: no executable cache
_SOURCES = ("padded.py", "oracle.py", "architectures.py", "tolerances.py")  # the oracle's definition


def use_executable_cache(folder: Path | None) -> None:
    """Keep the oracle's compiled executables in ``folder`` (None: compile in every process).

    An executable is reused only by a process with the same oracle sources (this module,
    :mod:`verification.oracle`, the frame and tolerance constants), jax and jaxlib versions, JAX
    configuration, XLA flags and CPU, and only if it reproduces its stored probe outputs; anything
    else compiles anew. Like JAX's own cache, the folder holds machine code that is loaded and run:
    it must be the user's own.
    """
    folders = [] if folder is None else [Path(folder)]
    if folders != _EXECUTABLE_FOLDER:  # the functions compiled so far stay, unless it changes
        _EXECUTABLE_FOLDER[:] = folders
        _compile_or_load.cache_clear()


def _cpu_signature() -> str:
    """Machine, CPU model and feature flags: executables are compiled for the host CPU."""
    parts = [platform.machine(), platform.processor()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            parts += sorted({line for line in cpuinfo if line.startswith(("model name", "flags"))})
    except OSError:
        pass
    return "\n".join(parts)


def _executable_path(kind: str, dtype_name: str) -> Path | None:
    """Where the executable of (kind, dtype) lives in the cache, its name a digest of what it is
    built from; None when there is no cache."""
    if not _EXECUTABLE_FOLDER:
        return None
    device = jax.devices()[0]
    parts = [
        kind,
        dtype_name,
        jax.__version__,
        jaxlib.__version__,
        device.client.platform,
        device.client.platform_version,
        device.device_kind,
        os.environ.get("XLA_FLAGS", ""),
        repr(sorted(jax.config.values.items())),
        _cpu_signature(),
    ]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    for name in _SOURCES:
        digest.update(Path(__file__).with_name(name).read_bytes() + b"\0")
    return _EXECUTABLE_FOLDER[0] / f"oracle-{kind}-{dtype_name}-{digest.hexdigest()[:32]}.pickle"


def _probe(executable: Any, dtype_name: str) -> list[np.ndarray]:
    """The outputs of ``executable`` on a fixed pseudo-random input in the frame (a few ms)."""
    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng(20240601)
    theta, consts, directions = _abstract_inputs(dtype)

    def fill(spec: Any) -> np.ndarray:
        if np.issubdtype(spec.dtype, np.integer):
            return rng.integers(0, 3, spec.shape).astype(spec.dtype)
        return (0.3 * rng.standard_normal(spec.shape)).astype(spec.dtype)

    arguments = jax.tree_util.tree_map(fill, (theta, consts, directions))
    with precision(dtype):
        outputs = executable(*arguments)
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(outputs)]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Bit-for-bit equality of two probes (NaN equal to NaN)."""
    return len(a) == len(b) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(a, b, strict=True)
    )


def _load_executable(path: Path, dtype_name: str) -> Any:
    """The executable stored at ``path`` if it reproduces its probe; else None (absent,
    unreadable, from another build, or not working here)."""
    from jax.experimental import serialize_executable

    try:
        serialized, in_tree, out_tree, probe = pickle.loads(path.read_bytes())
        executable = serialize_executable.deserialize_and_load(serialized, in_tree, out_tree)
        return executable if _same(_probe(executable, dtype_name), probe) else None
    except Exception:  # missing, damaged or foreign: compile instead (and replace it)
        return None


def _store_executable(path: Path, executable: Any, dtype_name: str) -> None:
    """Write ``executable`` with its probe to ``path`` atomically, if a deserialized copy
    reproduces the probe (an executable that JAX itself loaded from its persistent cache does
    not); a cache that cannot be written is skipped."""
    from jax.experimental import serialize_executable

    try:
        serialized = serialize_executable.serialize(executable)
        probe = _probe(executable, dtype_name)
        if not _same(_probe(serialize_executable.deserialize_and_load(*serialized), dtype_name), probe):
            return
        data = pickle.dumps((*serialized, probe))
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except Exception:  # read-only folder, an executable that cannot be serialized or reloaded
        return
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)  # readers see the old file or the whole new one
    except OSError:  # full disk
        temporary.unlink(missing_ok=True)


def _inputs(problem: PaddedProblem, dtype: np.dtype) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """NumPy arguments of the compiled functions (no per-call jnp ops: each would dispatch)."""
    theta = {
        "W": problem.W.astype(dtype, copy=False),
        "b": problem.b.astype(dtype, copy=False),
        "X": problem.X.astype(dtype, copy=False),
        "P": np.zeros((LMAX, NMAX, MMAX), dtype),
    }
    consts = {
        "Y": problem.Y.astype(dtype, copy=False),
        "mask": problem.mask.astype(dtype, copy=False),
        "m": np.asarray(problem.m, dtype),
        "L": np.asarray(problem.L, np.int32),
        "activation": np.asarray(problem.activation, np.int32),
    }
    return theta, consts


@dataclass
class PendingOracles:
    """Oracle computations dispatched to XLA and not yet waited for (JAX dispatches
    asynchronously, so NumPy work can run meanwhile)."""

    arch: Architecture
    directions: Directions
    exact: Any
    central: Any


def launch_exact(arch: Architecture, problem: PaddedProblem, directions: Directions) -> Any:
    """Dispatch reverse and forward mode in ``arch.dtype``; returns the (future) device values."""
    dtype = np.dtype(arch.dtype)
    exact = compiled("exact", dtype.name)
    theta, consts = _inputs(problem, dtype)
    with precision(dtype):
        return exact(theta, consts, (directions.values.astype(dtype), directions.kind, directions.layer))


def launch_central(problem: PaddedProblem, directions: Directions) -> Any:
    """Dispatch float64 central differences (for every dtype); returns the (future) device values."""
    central = compiled("central", "float64")
    theta64, consts64 = _inputs(problem, np.dtype(np.float64))
    with precision("float64"):
        return central(theta64, consts64, (directions.values, directions.kind, directions.layer))


def launch_oracles(arch: Architecture, problem: PaddedProblem, directions: Directions) -> PendingOracles:
    """Dispatch reverse and forward mode in ``arch.dtype`` and finite differences in float64."""
    exact_out = launch_exact(arch, problem, directions)
    central_out = launch_central(problem, directions)
    return PendingOracles(arch, directions, exact_out, central_out)


def run_oracles(arch: Architecture, problem: PaddedProblem, directions: Directions) -> OracleResult:
    """Reverse mode and forward mode in ``arch.dtype``, finite differences in float64."""
    return collect_oracles(launch_oracles(arch, problem, directions))


def collect_oracles(pending: PendingOracles) -> OracleResult:
    """Wait for the oracle values of one architecture and cut them back to its real shapes."""
    arch, directions = pending.arch, pending.directions
    dtype = np.dtype(arch.dtype)
    cost, grad, dAL, jvps = jax.device_get(pending.exact)
    fd = np.asarray(pending.central)
    cost = float(cost)
    dims, L, m = arch.layer_dims, arch.L, arch.m
    reverse: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        reverse[f"dW{l}"] = grad["W"][l - 1, : dims[l], : dims[l - 1]].copy()
        reverse[f"db{l}"] = grad["b"][l - 1, : dims[l]].copy()
    reverse["dA0"] = m * grad["X"][: dims[0], :m]
    for l in range(1, L):
        reverse[f"dA{l}"] = m * grad["P"][l - 1, : dims[l], :m]
    forward: dict[str, list[float]] = {}
    differences: dict[str, list[float]] = {}
    for d, name in enumerate(directions.names):
        forward.setdefault(name, []).append(float(jvps[d]))
        differences.setdefault(name, []).append(float(fd[d]))
    return OracleResult(
        cost=cost,
        reverse={k: v.astype(dtype, copy=False) for k, v in reverse.items()},
        dAL=dAL[: dims[-1], :m].astype(dtype, copy=False),
        forward={k: np.asarray(v) for k, v in forward.items()},
        finite_difference={k: np.asarray(v) for k, v in differences.items()},
    )
