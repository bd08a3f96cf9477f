"""Run a learner's code in a separate process, with a time limit.

One worker process (``multiprocessing`` with the ``spawn`` start method, so no state of the
checker leaks in) loads the code once and then runs it on every problem it is sent. Whatever their
code does — raises, hangs, calls ``sys.exit``, prints, or kills the interpreter — the checker survives
it and reports what happened: the exception with its traceback (frames of the learner's code
only), ``sys.exit`` with its code, a crash with its exit code or signal and the tail of what the
process printed, or a time-out.

Recognised styles (in this order, see DESIGN.md):

* ``l_layer``: ``L_model_forward(X, parameters) -> (AL, caches)`` and
  ``L_model_backward(AL, Y, caches) -> grads``;
* ``two_layer``: ``forward_propagation(X, parameters) -> (A2, cache)`` and
  ``backward_propagation(parameters, cache, X, Y) -> grads``;
* ``function``: any callable ``f(parameters, X, Y) -> grads``, named by ``--function`` or by
  ``module:function``.

Only NumPy arrays go back and forth (pickled through a pipe).
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import importlib.util
import linecache
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

__all__ = [
    "STYLES",
    "CodeSpec",
    "Failure",
    "Loaded",
    "RunOutput",
    "Sandbox",
    "SandboxFailedError",
    "parse_target",
]

STYLES: tuple[str, ...] = ("l_layer", "two_layer", "function")
STYLE_FUNCTIONS: dict[str, tuple[str, str]] = {
    "l_layer": ("L_model_forward", "L_model_backward"),
    "two_layer": ("forward_propagation", "backward_propagation"),
}
_MODULE_NAME = "learner_code"


@dataclass(frozen=True)
class CodeSpec:
    """What to load: a ``.py``/``.ipynb`` file, or an importable module; ``function`` forces the
    ``function`` style with that callable."""

    path: str | None = None
    module: str | None = None
    function: str | None = None
    workdir: str | None = None  # put on sys.path for module imports (default: the current directory)

    @property
    def label(self) -> str:
        where = self.path or self.module or "?"
        return f"{where}:{self.function}" if self.function and self.module else where


def parse_target(target: str, function: str | None = None) -> CodeSpec:
    """``PATH`` (a file), ``module:function`` or ``module`` into a :class:`CodeSpec`."""
    if Path(target).exists() or target.endswith((".py", ".ipynb")):
        return CodeSpec(path=str(Path(target).resolve()), function=function, workdir=os.getcwd())
    if ":" in target:
        module, _, name = target.partition(":")
        return CodeSpec(module=module, function=function or name, workdir=os.getcwd())
    return CodeSpec(module=target, function=function, workdir=os.getcwd())


@dataclass
class Failure:
    """The learner's code did not give gradients: ``kind`` is ``exception``, ``exit``, ``crash``,
    ``timeout`` or ``load`` (the code could not be found or has no known entry point)."""

    kind: str
    message: str
    traceback: str = ""
    exception_type: str = ""
    exception_message: str = ""
    output: str = ""
    where: str = ""  # which call: "loading", "L_model_backward", ...

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "where": self.where,
            "exception_type": self.exception_type or None,
            "traceback": self.traceback or None,
        }


class SandboxFailedError(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass
class Loaded:
    style: str
    functions: tuple[str, ...]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunOutput:
    """What the learner's code returned: gradient arrays, values that are not numeric arrays
    (``not_arrays``, name -> description), and their forward output (``None`` in function style)."""

    grads: dict[str, np.ndarray]
    not_arrays: dict[str, str]
    output: np.ndarray | None


# --- the worker (runs in the child process) -------------------------------------------------------


def _learner_traceback(error: BaseException) -> str:
    """The traceback without the sandbox's own frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _exception_reply(error: BaseException, where: str) -> tuple[str, dict[str, Any]]:
    if isinstance(error, SystemExit):
        return "failed", {
            "kind": "exit",
            "message": f"the code called sys.exit({error.code!r}) in {where}",
            "traceback": _learner_traceback(error),
            "where": where,
        }
    return "failed", {
        "kind": "exception",
        "message": f"{type(error).__name__}: {error}",
        "traceback": _learner_traceback(error),
        "exception_type": type(error).__name__,
        "exception_message": str(error),
        "where": where,
    }


def _load(spec: CodeSpec, state: dict[str, Any]) -> dict[str, Any]:
    skipped: list[str] = []
    warnings: list[str] = []
    if spec.workdir and spec.workdir not in sys.path:
        sys.path.insert(0, spec.workdir)
    if spec.module is not None:
        module = importlib.import_module(spec.module)
        namespace = vars(module)
    else:
        assert spec.path is not None
        path = Path(spec.path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        sys.path.insert(0, str(path.parent))
        module = types.ModuleType(_MODULE_NAME)
        module.__file__ = str(path)
        sys.modules[_MODULE_NAME] = module
        namespace = vars(module)
        if path.suffix == ".ipynb":
            from verification.notebook import read_notebook

            code = read_notebook(path)
            skipped = code.skipped
            for filename, source in code.sources.items():
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            for chunk in code.chunks:
                compiled = compile(chunk.tree, chunk.filename, "exec")
                if chunk.kind == "code":
                    exec(compiled, namespace)
                    continue
                try:
                    exec(compiled, namespace)
                except (ImportError, NameError, AttributeError, TypeError, ValueError) as error:
                    warnings.append(f"{chunk.filename}: skipped `{chunk.text[:60]}` ({error})")
        else:
            source = path.read_text(encoding="utf-8")
            exec(compile(source, str(path), "exec"), namespace)
    if spec.function is not None:
        style, functions = "function", tuple[str, ...]((spec.function,))
    else:
        for candidate, names in STYLE_FUNCTIONS.items():
            if all(callable(namespace.get(name)) for name in names):
                style, functions = candidate, names
                break
        else:
            found = sorted(
                name
                for name, value in namespace.items()
                if isinstance(value, types.FunctionType) and not name.startswith("_")
            )
            raise LookupError(
                "found no backprop to check: expected L_model_forward and L_model_backward (L-layer "
                "course style), forward_propagation and backward_propagation (two-layer course style), "
                "or a function f(parameters, X, Y) -> grads named with --function NAME. "
                f"Functions found: {', '.join(found) or 'none'}"
            )
    for name in functions:
        if not callable(namespace.get(name)):
            raise LookupError(f"{spec.label} defines no function {name!r}")
    state["namespace"], state["style"], state["functions"] = namespace, style, functions
    return {"style": style, "functions": functions, "skipped": skipped, "warnings": warnings}


def _as_arrays(grads: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    arrays: dict[str, np.ndarray] = {}
    not_arrays: dict[str, str] = {}
    for key, value in grads.items():
        name = str(key)
        try:
            array = np.array(value)
        except Exception as error:
            not_arrays[name] = f"{type(value).__name__} that NumPy cannot read ({error})"
            continue
        if array.dtype.kind not in "fiub":
            not_arrays[name] = f"{type(value).__name__} of {array.dtype} values, not numbers"
            continue
        arrays[name] = array
    return arrays, not_arrays


def _pair(result: Any, function: str, expected: str) -> tuple[Any, Any]:
    """A learner's forward function must return a pair; say which and what it gave otherwise."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"{function} should return {expected}, got {type(result).__name__}")
    return result[0], result[1]


def _run(state: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    namespace, style, functions = state["namespace"], state["style"], state["functions"]
    parameters = {key: value.copy() for key, value in problem["parameters"].items()}
    X, Y = problem["X"].copy(), problem["Y"].copy()
    output = None
    state["where"] = functions[0]
    if style == "l_layer":
        output, caches = _pair(namespace[functions[0]](X, parameters), "L_model_forward", "(AL, caches)")
        state["where"] = functions[1]
        grads = namespace[functions[1]](output, Y, caches)
    elif style == "two_layer":
        output, cache = _pair(namespace[functions[0]](X, parameters), "forward_propagation", "(A2, cache)")
        state["where"] = functions[1]
        grads = namespace[functions[1]](parameters, cache, X, Y)
    else:
        grads = namespace[functions[0]](parameters, X, Y)
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"{state['where']} should return a dict of gradients like {{'dW1': ..., 'db1': ...}}, "
            f"got {type(grads).__name__}"
        )
    arrays, not_arrays = _as_arrays(grads)
    forward = None
    if output is not None:
        try:
            forward = np.array(output, dtype=np.float64)
        except (TypeError, ValueError):
            forward = None
    return {"grads": arrays, "not_arrays": not_arrays, "output": forward}


def _worker(conn_in: Connection, conn_out: Connection) -> None:  # pragma: no cover - in the child
    faulthandler.enable()
    state: dict[str, Any] = {}
    while True:
        try:
            command, payload = conn_in.recv()
        except EOFError:
            return
        if command == "stop":
            return
        try:
            if command == "load":
                reply: tuple[str, Any] = ("ok", _load(payload, state))
            else:
                reply = ("ok", _run(state, payload))
        except BaseException as error:
            where = "loading the code" if command == "load" else state.get("where", "running")
            reply = _exception_reply(error, where)
        sys.stdout.flush()
        sys.stderr.flush()
        conn_out.send(reply)


def _worker_main(read_fd: int, write_fd: int) -> None:  # pragma: no cover - in the child
    _worker(Connection(read_fd, writable=False), Connection(write_fd, readable=False))


# --- the parent side ------------------------------------------------------------------------------


def _tail(path: str, limit: int = 2000) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:]


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the process stopped"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the process was killed by {name}"
    return f"the process exited with code {code}"


class Sandbox:
    """A worker process holding the learner's code. Use as a context manager::

    with Sandbox(spec, timeout=60) as box:
        loaded = box.loaded
        out = box.run(parameters, X, Y)   # RunOutput, or raises SandboxFailedError
    """

    def __init__(self, spec: CodeSpec, timeout: float = 60.0) -> None:
        self.spec = spec
        self.timeout = float(timeout)
        self._log = tempfile.NamedTemporaryFile(prefix="manualbp-check-", suffix=".log", delete=False)  # noqa: SIM115
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)  # so the child finds `verification`
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env.setdefault("MPLBACKEND", "Agg")
        code = f"from verification.sandbox import _worker_main; _worker_main({to_child_r}, {from_child_w})"
        self._process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(to_child_r, from_child_w),
            cwd=spec.workdir or None,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        self.loaded: Loaded | None = None
        self.failure: Failure | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self) -> Loaded:
        info = self._call("load", self.spec, "loading the code")
        self.loaded = Loaded(info["style"], tuple(info["functions"]), info["skipped"], info["warnings"])
        return self.loaded

    def run(self, parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> RunOutput:
        info = self._call("run", {"parameters": dict(parameters), "X": X, "Y": Y}, "running the code")
        return RunOutput(info["grads"], info["not_arrays"], info["output"])

    def _exit_code(self, wait_seconds: float = 1.0) -> int | None:
        try:
            return self._process.wait(wait_seconds)
        except subprocess.TimeoutExpired:
            return None

    def _call(self, command: str, payload: Any, where: str) -> Any:
        if self.failure is not None:
            raise SandboxFailedError(self.failure)
        try:
            self._send.send((command, payload))
        except OSError:
            self._fail(
                Failure("crash", f"{_describe_exit(self._exit_code())} before {where}", output=self._output())
            )
        if not wait([self._recv], timeout=self.timeout):
            self._fail(
                Failure(
                    "timeout",
                    f"no answer after {self.timeout:g} s while {where} (an endless loop, or input()?); "
                    "the process was stopped",
                    output=self._output(),
                    where=where,
                )
            )
        try:
            status, info = self._recv.recv()
        except (EOFError, OSError):
            self._fail(
                Failure(
                    "crash",
                    f"{_describe_exit(self._exit_code())} while {where}",
                    output=self._output(),
                    where=where,
                )
            )
        if status == "ok":
            return info
        failure = Failure(
            kind=info["kind"],
            message=info["message"],
            traceback=info.get("traceback", ""),
            exception_type=info.get("exception_type", ""),
            exception_message=info.get("exception_message", ""),
            output=self._output(),
            where=info.get("where", where),
        )
        if command == "load" and failure.kind == "exception":
            failure.kind = "load"
        self._fail(failure)

    def _output(self) -> str:
        self._log.flush()
        return _tail(self._log.name)

    def _fail(self, failure: Failure) -> NoReturn:
        self.failure = failure
        self.close()
        raise SandboxFailedError(failure)

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(OSError):
                self._send.send(("stop", None))
            if self._exit_code(0.5) is None:
                self._process.kill()
                self._process.wait(5.0)
        self._send.close()
        self._recv.close()
        self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)
