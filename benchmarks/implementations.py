"""One training step (forward, cost, backward, update) of the same network, four ways.

Every implementation starts from the same NumPy parameters and data, in the same float dtype, and
computes the same thing: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]) (sigmoid output),
J = (1/m) Σ cross-entropy (from Z[L], stable), the gradients of J, and W[l] -= α dW[l], b[l] -= α db[l].

* ``manualbp``: the step :func:`manualbp.train` runs (inputs checked once, buffers reused).
* ``manualbp_kernels``: the unchecked kernels, one call each, as before the step had buffers.
* ``manualbp_checked``: the public, checked functions (model_forward, compute_cost_from_logits,
  model_backward, update_parameters) — what a learner's loop would call every step.
* ``jax``: ``jax.jit`` of value_and_grad and the update, parameters donated.
* ``torch``: PyTorch eager autograd, ``torch.set_num_threads(cores)``.

Each :class:`Step` runs one step; ``sync()`` waits for the steps issued so far (JAX dispatches
asynchronously, the others compute in the call), so a wall clock around ``n`` steps and one
``sync()`` measures n whole steps.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

import manualbp as mb
from manualbp._step import make_training_step
from manualbp.cost import cross_entropy_from_logits
from manualbp.layers import activation_pair
from manualbp.model import _model_backward, _model_forward, _update_in_place

LEARNING_RATE = 0.01
Arrays = dict[str, np.ndarray]


@dataclass
class Problem:
    """A network, its data and its starting parameters (NumPy, one dtype)."""

    name: str
    dims: list[int]
    m: int
    dtype: np.dtype[Any]
    hidden: str
    X: np.ndarray
    Y: np.ndarray
    parameters: Arrays

    @property
    def L(self) -> int:
        return len(self.dims) - 1

    @property
    def label(self) -> str:
        return f"{self.name} {self.dims} m={self.m} {self.dtype} {self.hidden}"


def make_problem(name: str, dims: list[int], m: int, dtype: Any, hidden: str, seed: int = 0) -> Problem:
    """Seeded data X ~ N(0, 1), labels from a random hyperplane, He-initialised parameters."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = (rng.standard_normal((dims[-1], dims[0])) @ X.astype(np.float64) > 0).astype(dtype)
    parameters = mb.initialize_parameters(dims, "he", rng=seed, dtype=dtype)
    for l in range(1, len(dims)):  # nonzero biases, so that db[l] matters from the first step
        parameters[f"b{l}"] = (0.1 * rng.standard_normal((dims[l], 1))).astype(dtype)
    return Problem(name, list(dims), m, dtype, hidden, X, Y, parameters)


class Step:
    """One implementation of the training step on one problem."""

    name = "step"

    def __init__(self, problem: Problem, rate: float = LEARNING_RATE) -> None:
        self.problem, self.rate = problem, rate

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def sync(self) -> None:
        """Wait until every step issued so far has finished (JAX dispatches asynchronously)."""

    def parameters(self) -> Arrays:
        """The current parameters, as NumPy arrays (copies)."""
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        """Release what the step holds (nothing by default)."""


# --- manualbp ------------------------------------------------------------------------------------


class ManualbpStep(Step):
    """The step of :func:`manualbp.train`: checks done once, buffers reused, one flat update."""

    name = "manualbp"

    def __init__(self, problem: Problem, rate: float = LEARNING_RATE) -> None:
        hidden, _ = activation_pair(problem.hidden, "sigmoid")
        self._step = make_training_step(problem.X, problem.Y, problem.parameters, problem.L, hidden, rate)
        self.cost = float("nan")

    def step(self) -> None:
        self.cost = self._step.forward()
        self._step.backward_and_update()

    def parameters(self) -> Arrays:
        return {k: v.copy() for k, v in self._step.parameters.items()}


class ManualbpKernelStep(Step):
    """The unchecked kernels, each returning new arrays: _model_forward, _model_backward, update."""

    name = "manualbp_kernels"

    def __init__(self, problem: Problem, rate: float = LEARNING_RATE) -> None:
        self.problem, self.rate = problem, rate
        self.hidden, self.output = activation_pair(problem.hidden, "sigmoid")
        self.params = {k: v.copy() for k, v in problem.parameters.items()}
        self.cost = float("nan")

    def step(self) -> None:
        p = self.problem
        AL, caches = _model_forward(p.X, self.params, p.L, self.hidden, self.output)
        self.cost = cross_entropy_from_logits(caches[-1].Z, p.Y)
        grads = _model_backward(
            AL, p.Y, caches, self.hidden, self.output, fused=True, input_gradient=False, keep_dA=False
        )
        _update_in_place(self.params, grads, self.rate, p.L)

    def parameters(self) -> Arrays:
        return {k: v.copy() for k, v in self.params.items()}


class ManualbpCheckedStep(ManualbpKernelStep):
    """The public functions, every input checked on every call."""

    name = "manualbp_checked"

    def step(self) -> None:
        p = self.problem
        AL, caches = mb.model_forward(p.X, self.params, p.hidden)
        self.cost = mb.compute_cost_from_logits(caches[-1].Z, p.Y)
        grads = mb.model_backward(AL, p.Y, caches, p.hidden, input_gradient=False)
        mb.update_parameters(self.params, grads, self.rate, in_place=True)


# --- JAX -----------------------------------------------------------------------------------------


@contextmanager
def jax_precision(dtype: np.dtype[Any]) -> Iterator[None]:
    """float64 needs ``jax.enable_x64`` (scoped); float32 runs as is."""
    import jax

    if dtype == np.float64:
        with jax.enable_x64(True):
            yield
    else:
        yield


@contextmanager
def x64_enabled() -> Iterator[None]:
    """``jax_enable_x64`` on for a whole benchmark run (restored after): float64 steps then skip
    the ~2 µs of entering ``jax.enable_x64`` on every call. float32 arrays stay float32."""
    import jax

    previous = bool(jax.config.read("jax_enable_x64"))
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


def _jax_activation(name: str) -> Callable[[Any], Any]:
    import jax
    import jax.numpy as jnp

    table: dict[str, Callable[[Any], Any]] = {
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "leaky_relu": lambda z: jnp.where(z > 0, z, z * mb.activations.LEAKY_RELU_SLOPE),
        "linear": lambda z: z,
    }
    return table[name]


class JaxStep(Step):
    """``jax.jit`` of (value_and_grad of J, then the update), parameters donated to the update."""

    name = "jax"

    def __init__(self, problem: Problem, rate: float = LEARNING_RATE) -> None:
        import jax
        import jax.numpy as jnp

        self.problem = problem
        g = _jax_activation(problem.hidden)
        L, m = problem.L, problem.m

        def cost(params: tuple[Any, ...], X: Any, Y: Any) -> Any:
            A = X
            for l in range(L):
                Z = params[2 * l] @ A + params[2 * l + 1]
                A = g(Z) if l < L - 1 else Z
            # J = (1/m) Σ [max(Z, 0) - Y Z + log(1 + e^(-|Z|))], Z = Z[L]
            return jnp.sum(jnp.maximum(A, 0) - Y * A + jnp.log1p(jnp.exp(-jnp.abs(A)))) / m

        def step(params: tuple[Any, ...], X: Any, Y: Any) -> tuple[tuple[Any, ...], Any]:
            J, grads = jax.value_and_grad(cost)(params, X, Y)
            return tuple(p - rate * d for p, d in zip(params, grads, strict=True)), J

        self._jitted = jax.jit(step, donate_argnums=(0,))
        self._config: Any = jax.config
        self._scoped = problem.dtype == np.float64
        with jax_precision(problem.dtype):
            keys = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
            self.keys = keys
            self.params = tuple(jnp.asarray(problem.parameters[k]) for k in keys)
            self.X, self.Y = jnp.asarray(problem.X), jnp.asarray(problem.Y)
            assert self.params[0].dtype == problem.dtype, "JAX changed the dtype"
            self.cost: Any = None

    def step(self) -> None:
        if self._scoped and not self._config.jax_enable_x64:
            with jax_precision(self.problem.dtype):
                self._step()
        else:  # x64 is on for the whole run (see x64_enabled): no per-call switch to pay for
            self._step()

    def _step(self) -> None:
        # Dispatched asynchronously, as in a JAX training loop; each step's parameters are the next
        # one's inputs, so the steps run one after the other and sync() waits for the last.
        self.params, self.cost = self._jitted(self.params, self.X, self.Y)

    def sync(self) -> None:
        self.cost.block_until_ready()
        for param in self.params:
            param.block_until_ready()

    def parameters(self) -> Arrays:
        return {k: np.array(v) for k, v in zip(self.keys, self.params, strict=True)}


# --- PyTorch -------------------------------------------------------------------------------------


def torch_module() -> Any | None:
    """``torch`` if it is installed (the optional ``bench`` extra), else None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def torch_version() -> str | None:
    torch = torch_module()
    return None if torch is None else str(torch.__version__)


class TorchStep(Step):
    """PyTorch eager autograd: addmm forward, BCE with logits, backward(), in-place SGD update."""

    name = "torch"

    def __init__(self, problem: Problem, rate: float = LEARNING_RATE) -> None:
        torch = torch_module()
        if torch is None:
            raise ImportError("PyTorch is not installed (pip install '.[bench]')")
        self.torch, self.problem, self.rate = torch, problem, rate
        L = problem.L
        self.keys = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
        self.params = [torch.tensor(problem.parameters[k], requires_grad=True) for k in self.keys]
        self.X, self.Y = torch.from_numpy(problem.X.copy()), torch.from_numpy(problem.Y.copy())
        functional = torch.nn.functional
        self.g: Callable[[Any], Any] = {
            "relu": torch.relu,
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "leaky_relu": lambda z: functional.leaky_relu(z, mb.activations.LEAKY_RELU_SLOPE),
            "linear": lambda z: z,
        }[problem.hidden]
        self.cost: Any = None

    def step(self) -> None:
        torch, p, L = self.torch, self.params, self.problem.L
        A = self.X
        for l in range(L):
            Z = torch.addmm(p[2 * l + 1], p[2 * l], A)  # b + W A
            A = self.g(Z) if l < L - 1 else Z
        J = torch.nn.functional.binary_cross_entropy_with_logits(A, self.Y, reduction="sum") / self.problem.m
        J.backward()
        with torch.no_grad():
            for param in p:
                param.sub_(param.grad, alpha=self.rate)
                param.grad = None
        self.cost = J.detach()

    def parameters(self) -> Arrays:
        return {k: v.detach().numpy().copy() for k, v in zip(self.keys, self.params, strict=True)}


IMPLEMENTATIONS: dict[str, type[Step]] = {
    "manualbp": ManualbpStep,
    "manualbp_kernels": ManualbpKernelStep,
    "manualbp_checked": ManualbpCheckedStep,
    "jax": JaxStep,
    "torch": TorchStep,
}


def make_steps(problem: Problem, names: list[str]) -> dict[str, Step]:
    """The named steps on ``problem`` (PyTorch is left out, silently, when it is not installed)."""
    steps: dict[str, Step] = {}
    for name in names:
        if name == "torch" and torch_module() is None:
            continue
        steps[name] = IMPLEMENTATIONS[name](problem)
    return steps


def one_step_parameters(problem: Problem, name: str) -> Mapping[str, np.ndarray]:
    """The parameters after one step of implementation ``name`` from the problem's start."""
    step = IMPLEMENTATIONS[name](problem)
    step.step()
    step.sync()
    return step.parameters()
