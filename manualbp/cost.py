"""Binary cross-entropy cost J = -(1/m) Σ (Y log AL + (1 - Y) log(1 - AL)).

The sum runs over every output unit and every example; m is the number of examples (columns).
"""

from __future__ import annotations

import numpy as np

from .validation import (
    check_array,
    check_batch_size,
    check_finite,
    check_labels,
    check_probabilities,
    check_shape,
)

__all__ = ["compute_cost", "compute_cost_from_logits", "cross_entropy", "cross_entropy_from_logits"]


def cross_entropy(AL: np.ndarray, Y: np.ndarray) -> float:
    """J from probabilities, unchecked: -(1/m) Σ (Y log AL + (1-Y) log(1-AL)).

    Y is in {0, 1}, so each term is -log(AL) or -log(1 - AL): the other product is never formed,
    so AL = 0 or 1 never gives 0·log 0 = NaN. A probability of exactly 0 on the true class is
    clipped to the smallest normal number of the dtype (loss ≈ 708 in float64, 87 in float32).
    """
    P = np.where(Y == 1, AL, 1 - AL)  # probability given to the true label
    np.maximum(P, np.finfo(AL.dtype).tiny, out=P)
    return float(-np.log(P).sum(dtype=np.float64) / AL.shape[1])


def cross_entropy_from_logits(ZL: np.ndarray, Y: np.ndarray) -> float:
    """J from the output pre-activation, unchecked: with AL = σ(ZL), each term is
    log(1 + e^(ZL)) - Y ZL = max(ZL, 0) - Y ZL + log(1 + e^(-|ZL|)), finite for every finite ZL.
    """
    loss = np.maximum(ZL, 0) - Y * ZL + np.log1p(np.exp(-np.abs(ZL)))
    # Averaged in float64, dividing before summing: finite losses near the dtype's maximum
    # must not overflow their sum.
    return float(np.divide(loss, ZL.shape[1], dtype=np.float64).sum())


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """J = -(1/m) Σ (Y log AL + (1-Y) log(1-AL)) for AL, Y of shape (n[L], m). Returns a float.

    Finite when AL saturates to exactly 0 or 1 (see :func:`cross_entropy`); for a cost that stays
    exact there, use :func:`compute_cost_from_logits` on Z[L].
    """
    AL = _checked_output("AL", AL)
    check_probabilities("AL", AL, open_interval=False)
    return cross_entropy(AL, check_labels(Y, AL.dtype, AL.shape))


def compute_cost_from_logits(ZL: np.ndarray, Y: np.ndarray) -> float:
    """J for a sigmoid output, from Z[L] of shape (n[L], m): stable and exact when σ saturates."""
    ZL = _checked_output("ZL", ZL)
    return cross_entropy_from_logits(ZL, check_labels(Y, ZL.dtype, ZL.shape))


def _checked_output(name: str, array: np.ndarray) -> np.ndarray:
    array = check_array(name, array)
    check_shape(name, array, "(n[L], m)", ("n[L]", "m"))
    check_batch_size(array.shape[1])
    check_finite(name, array)
    return array
