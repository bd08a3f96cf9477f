"""The ``manualbp`` command line.

Arguments are declared here (they are a contract, see DESIGN.md); each command's work lives in
another package and is imported only when that command runs, so ``import manualbp`` and
``manualbp --help`` never need JAX. A handler takes the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]

# command -> "module:function" of its handler, imported lazily
HANDLERS: dict[str, str] = {
    "verify": "verification.verify_command:run",
    "check": "verification.check_command:run",
    "mistakes": "verification.mistakes_command:run",
    "bench": "benchmarks.command:run",
    "experiments": "experiments.command:run",
    "demo": "manualbp.demo:run",
}

EXIT_USAGE = 2


def _layers(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers takes sizes like 5,4,1, got {text!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--layers needs at least two positive sizes, got {text!r}")
    return dims


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manualbp",
        description="Hand-derived backprop in NumPy, checked against JAX.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verify = commands.add_parser(
        "verify", help="check manualbp's gradients against JAX on random architectures; write reports"
    )
    verify.add_argument(
        "--architectures",
        type=_positive,
        default=60,
        metavar="N",
        help="random architectures per dtype (default 60)",
    )
    verify.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the sweep (default 0)")
    verify.add_argument("--dtype", choices=("float64", "float32", "both"), default="both")
    verify.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="folder for verification.json/.md/.html (default reports/)",
    )
    verify.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the JSON report to PATH"
    )

    check = commands.add_parser("check", help="check someone else's backprop and name the mistake")
    check.add_argument("path", metavar="PATH", help="a .py or .ipynb file, or module:function")
    check.add_argument(
        "--function", default=None, metavar="NAME", help="a callable f(parameters, X, Y) -> grads"
    )
    check.add_argument(
        "--hidden",
        default=None,
        metavar="ACT",
        help="hidden activation (default relu for L-layer, tanh for two-layer)",
    )
    check.add_argument(
        "--layers",
        type=_layers,
        default=None,
        metavar="5,4,1",
        help="one architecture n[0],...,n[L] to add to the seeded ones",
    )
    check.add_argument("--seed", type=int, default=0, metavar="S")
    check.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time limit for the checked code (default 60)",
    )
    check.add_argument("--json", type=Path, default=None, metavar="PATH")
    check.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="write check.md and check.html here"
    )

    mistakes = commands.add_parser("mistakes", help="show that every catalogued mistake is caught and named")
    mistakes.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the gallery (mistakes.md, mistakes.html) here",
    )

    bench = commands.add_parser("bench", help="speed against JAX and PyTorch")
    bench.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR")
    bench.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke run)")

    experiments = commands.add_parser("experiments", help="teaching experiments with plots")
    experiments.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR")
    experiments.add_argument("--seed", type=int, default=0, metavar="S")
    experiments.add_argument("--quick", action="store_true", help="small, fast configurations")

    demo = commands.add_parser("demo", help="train a small network in NumPy and print its cost curve")
    demo.add_argument("--layers", type=_layers, default=[2, 8, 4, 1], metavar="2,8,4,1")
    demo.add_argument("--iterations", type=_positive, default=2000)
    demo.add_argument("--learning-rate", type=float, default=0.5)
    demo.add_argument("--seed", type=int, default=0)
    return parser


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module_name, function_name = HANDLERS[command].split(":")
    module = importlib.import_module(module_name)
    handler: Callable[[argparse.Namespace], int] = getattr(module, function_name)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        handler = _handler(args.command)
    except ImportError as error:
        print(
            f"manualbp {args.command} needs a package that is not installed ({error}).\n"
            f"Install the project with its dependencies: pip install .",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return int(handler(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
