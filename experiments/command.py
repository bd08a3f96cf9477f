"""``manualbp experiments [--out DIR] [--seed S] [--quick]``: run the five experiments, write the report.

Writes ``experiments.md`` and ``experiments.html`` (self-contained) to DIR (default ``reports/``), and
the figures as PNGs in ``DIR/experiments-figures/`` for the Markdown. Prints one line per experiment
with its headline number(s) and run time (the files hold no times, so one seed gives the same bytes).

Exit code: 0 when every experiment supports its claim; 1 when some experiment's numbers do not (its
section says which numbers); 2 when an experiment could not run (scikit-learn missing: experiments
4 and 5 are skipped and marked so in the report).
"""

from __future__ import annotations

import argparse
import sys
import time

from . import run_all
from .plots import figures_for
from .report import Section, Skipped, write_report

__all__ = ["run"]

EXIT_SUPPORTED, EXIT_NOT_SUPPORTED, EXIT_SKIPPED = 0, 1, 2


def run(args: argparse.Namespace) -> int:
    sections: list[Section] = []
    skipped: list[Skipped] = []
    started = time.perf_counter()
    mode = " (quick)" if args.quick else ""
    print(f"manualbp experiments, seed {args.seed}{mode}", flush=True)
    clock = time.perf_counter()
    for outcome in run_all(seed=args.seed, quick=args.quick):
        seconds = time.perf_counter() - clock
        if isinstance(outcome, tuple):
            title, reason = outcome
            skipped.append(Skipped(title, reason))
            print(f"  {title}: SKIPPED, {reason}", flush=True)
        else:
            sections.append(Section(outcome, tuple(figures_for(outcome))))
            mark = "supported" if outcome.supported else "NOT SUPPORTED"
            print(f"  {outcome.title}: {mark} ({seconds:.1f} s)\n      {outcome.headline}", flush=True)
        clock = time.perf_counter()
    written = write_report(sections, skipped, args.out, seed=args.seed, quick=args.quick)
    html = next(path for path in written if path.suffix == ".html")
    md = next(path for path in written if path.suffix == ".md")
    print(f"wrote {md} and {html} in {time.perf_counter() - started:.1f} s", flush=True)
    if skipped:
        print("some experiments were skipped: pip install '.[experiments]'", file=sys.stderr)
        return EXIT_SKIPPED
    return EXIT_SUPPORTED if all(s.result.supported for s in sections) else EXIT_NOT_SUPPORTED
