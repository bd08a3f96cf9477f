"""Data sets of the experiments, examples as columns: X is (n[0], m), Y is (1, m) of 0/1.

The planar flower is the course's ``load_planar_dataset`` made from a seeded Generator. The real
data sets ship inside scikit-learn (no download at run time); scikit-learn is imported lazily and
only for them, so the NumPy-only experiments run without it.
"""

from __future__ import annotations

from types import ModuleType
from typing import NamedTuple

import numpy as np

__all__ = [
    "SKLEARN_HINT",
    "Split",
    "breast_cancer",
    "digits_pair",
    "import_sklearn",
    "noisy_halfspace",
    "planar_flower",
    "split_and_standardize",
]

SKLEARN_HINT = "the real-data experiments need scikit-learn: pip install '.[experiments]'"


def import_sklearn() -> ModuleType:
    """scikit-learn, or ImportError with the install hint."""
    try:
        import sklearn
    except ImportError as error:
        raise ImportError(SKLEARN_HINT) from error
    return sklearn


class Split(NamedTuple):
    """A train/test split, examples as columns, features standardised with the training statistics."""

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    feature_names: tuple[str, ...]


def planar_flower(m: int = 400, *, rng: np.random.Generator | int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The course's flower: X (2, m), Y (1, m); two classes as the petals of r = 4 sin(4θ)."""
    generator = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    half = m // 2
    X = np.zeros((2, 2 * half))
    Y = np.zeros((1, 2 * half))
    for j in range(2):
        columns = slice(half * j, half * (j + 1))
        theta = np.linspace(j * 3.12, (j + 1) * 3.12, half) + generator.standard_normal(half) * 0.2
        radius = 4 * np.sin(4 * theta) + generator.standard_normal(half) * 0.2
        X[:, columns] = np.stack([radius * np.sin(theta), radius * np.cos(theta)])
        Y[:, columns] = j
    return X, Y


def noisy_halfspace(
    n0: int, m: int, *, rng: np.random.Generator, noise: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """X (n0, m) standard normal; Y = 1 where w·x + noise > 0 for a random direction w.

    The boundary is a plane through the origin, blurred by Gaussian noise of ``noise``·‖w‖, so the
    task needs the hidden units to find one direction, not to memorise points.
    """
    X = rng.standard_normal((n0, m))
    w = rng.standard_normal(n0)
    score = w @ X + noise * np.linalg.norm(w) * rng.standard_normal(m)
    return X, (score > 0).astype(np.float64).reshape(1, m)


def split_and_standardize(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    test_fraction: float,
    seed: int,
    feature_names: tuple[str, ...] = (),
    standardize: bool = True,
) -> Split:
    """A stratified split (scikit-learn's ``train_test_split``), then z-scores from the training part
    (unless ``standardize=False``: images keep their pixel scale)."""
    import_sklearn()
    from sklearn.model_selection import train_test_split

    labels = Y.ravel()
    train_idx, test_idx = train_test_split(
        np.arange(labels.size), test_size=test_fraction, random_state=seed, stratify=labels
    )
    mean = X[:, train_idx].mean(axis=1, keepdims=True)
    std = X[:, train_idx].std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    if not standardize:
        mean, std = np.zeros_like(mean), np.ones_like(std)

    def standardized(columns: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((X[:, columns] - mean) / std)

    return Split(
        standardized(train_idx),
        Y[:, train_idx].copy(),
        standardized(test_idx),
        Y[:, test_idx].copy(),
        feature_names,
    )


def breast_cancer() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Wisconsin breast cancer (569 examples, 30 features), shipped with scikit-learn.

    Y = 1 for malignant (scikit-learn codes malignant as 0), the class a screening test looks for.
    """
    import_sklearn()
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = np.asarray(data.data, dtype=np.float64).T
    Y = (np.asarray(data.target) == 0).astype(np.float64).reshape(1, -1)
    return X, Y, tuple(str(name) for name in data.feature_names)


def digits_pair(negative: int = 3, positive: int = 8) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """8×8 handwritten digits of two classes (shipped with scikit-learn): X (64, m), pixels in [0, 1],
    Y = 1 for ``positive``. Pixel (r, c) is row 8r + c of X."""
    import_sklearn()
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = np.isin(data.target, (negative, positive))
    X = np.asarray(data.data[keep], dtype=np.float64).T / 16.0
    Y = (data.target[keep] == positive).astype(np.float64).reshape(1, -1)
    return X, Y, tuple(f"pixel {r},{c}" for r in range(8) for c in range(8))
