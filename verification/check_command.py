"""``manualbp check PATH``: check someone else's backprop and name the mistake (see DESIGN.md).

Exit codes: 0 every gradient agrees with the oracle, 1 some gradient is wrong, missing, badly shaped
or not finite, 2 the code could not be loaded or called (an exception, ``sys.exit``, a crash, a
time-out, no known entry point).
"""

from __future__ import annotations

import argparse
import json
import sys

from .check import check_implementation, format_terminal, write_reports

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    result = check_implementation(
        args.path,
        function=args.function,
        hidden=args.hidden,
        layers=args.layers,
        seed=args.seed,
        timeout=getattr(args, "timeout", 60.0),
    )
    print(format_terminal(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.out is not None:
        paths = write_reports(result, args.out)
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return result.exit_code
