"""experiments: teaching experiments that show, with measured numbers, what the course claims.

1. symmetry: zero or constant weights keep every hidden unit identical for all of training.
2. saturation: large weights saturate sigmoid/tanh units, g'(Z) ≈ 0, learning is slow.
3. initialisation: zeros, small random, He and Xavier in deep ReLU and tanh networks.
4. real data: manualbp against scikit-learn's MLPClassifier with the same plain gradient descent.
5. the input gradient: dA0 = m ∂J/∂X and the fast-gradient-sign adversarial example.

Each ``run_<name>(*, seed, quick)`` returns a result holding the measured numbers, the claim, and
``supported`` / ``verdict`` computed from those numbers. ``run_all`` runs the five;
``manualbp experiments`` writes them as a Markdown and an HTML report (see ``experiments.command``).
Experiments 4 and 5 need scikit-learn: ``pip install '.[experiments]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .adversarial import AdversarialResult, run_adversarial
from .common import ExperimentResult, Table
from .datasets import SKLEARN_HINT
from .initialization import InitializationResult, run_initialization
from .real_data import RealDataResult, run_real_data
from .saturation import SaturationResult, run_saturation
from .symmetry import SymmetryResult, run_symmetry

__all__ = [
    "AdversarialResult",
    "ExperimentResult",
    "InitializationResult",
    "RealDataResult",
    "SaturationResult",
    "SymmetryResult",
    "Table",
    "run_adversarial",
    "run_all",
    "run_initialization",
    "run_real_data",
    "run_saturation",
    "run_symmetry",
]

NEEDS_SKLEARN = (RealDataResult.title, AdversarialResult.title)


def run_all(*, seed: int = 0, quick: bool = False) -> Iterator[ExperimentResult | tuple[str, str]]:
    """Yield each experiment's result as it finishes, or ``(title, reason)`` for one that cannot run.

    Experiment 5 attacks the breast-cancer network trained in experiment 4, so it is trained once.
    """
    runners: tuple[Callable[..., ExperimentResult], ...] = (run_symmetry, run_saturation, run_initialization)
    for runner in runners:
        yield runner(seed=seed, quick=quick)
    try:
        real = run_real_data(seed=seed, quick=quick)
    except ImportError:
        for title in NEEDS_SKLEARN:
            yield (title, f"scikit-learn is not installed ({SKLEARN_HINT})")
        return
    yield real
    yield run_adversarial(seed=seed, quick=quick, network=real.cancer)
