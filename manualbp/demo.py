"""``manualbp demo``: train a small network on a seeded two-class data set and print the cost curve.

NumPy only, so it runs with nothing but manualbp installed.
"""

from __future__ import annotations

import argparse

import numpy as np

from .initialization import make_rng
from .model import accuracy
from .training import train

__all__ = ["two_spirals", "run"]


def two_spirals(
    m: int, rng: np.random.Generator | int = 0, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """X (2, m) and Y (1, m): two interleaved spirals, a data set no linear model separates."""
    generator = make_rng(rng)
    labels = generator.integers(0, 2, size=m)
    t = generator.uniform(0.25, 1.0, size=m) * 3 * np.pi
    angle = t + np.pi * labels
    X = np.stack([t * np.cos(angle), t * np.sin(angle)]) / (3 * np.pi)
    X += noise * generator.standard_normal(X.shape) / 5
    return X, labels.reshape(1, m).astype(np.float64)


def _sparkline(values: np.ndarray, width: int = 60) -> str:
    marks = "▁▂▃▄▅▆▇█"
    sample = values[np.linspace(0, len(values) - 1, min(width, len(values))).astype(int)]
    low, high = float(sample.min()), float(sample.max())
    span = high - low or 1.0
    return "".join(marks[int((v - low) / span * (len(marks) - 1))] for v in sample)


def run(args: argparse.Namespace) -> int:
    X, Y = two_spirals(400, rng=args.seed)
    if args.layers[0] != 2 or args.layers[-1] != 1:
        print("demo: --layers must start with 2 (the data is 2-D) and end with 1")
        return 2
    result = train(
        X,
        Y,
        args.layers,
        learning_rate=args.learning_rate,
        num_iterations=args.iterations,
        rng=args.seed,
        initialization="he",
    )
    step = max(1, args.iterations // 10)
    for i in range(0, args.iterations, step):
        print(f"iteration {i:6d}  cost J = {result.costs[i]:.6f}")
    print(f"iteration {args.iterations - 1:6d}  cost J = {result.costs[-1]:.6f}")
    print("cost curve:", _sparkline(result.costs))
    print(f"training accuracy: {accuracy(X, Y, result.parameters):.3f}")
    return 0
