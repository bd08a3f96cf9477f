"""Every tolerance of the verification, written down once, per dtype and per oracle.

A comparison of manualbp's ``got`` against an oracle's ``expected`` passes when

* element-wise, ``|got - expected| <= atol + rtol·|expected|`` everywhere (the error measure
  ``max |a-b| / (atol + rtol·|b|)`` is at most 1), and
* the course's relative difference ``‖a-b‖ / (‖a‖+‖b‖)`` is at most ``max_relative_difference``,
  unless the whole difference is below ``atol`` (two gradients that are both ~0 have a
  meaningless relative difference).

The problems of the sweep are scaled so that activations and gradients are O(1) (He/Xavier-like
weights, standard normal inputs, |Z[L]| bounded), which is what makes absolute ``atol`` values
meaningful. Oracles: ``reverse`` (jax.grad), ``forward`` (jax.jvp / jax.jacfwd) and
``finite_difference`` (float64 central differences, whatever the dtype under test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tolerance", "TOLERANCES", "ORACLES", "DTYPES", "FD_STEP", "tolerance_for"]

ORACLES: tuple[str, ...] = ("reverse", "forward", "finite_difference")
DTYPES: tuple[str, ...] = ("float64", "float32")

# Central-difference step along a unit direction. Truncation error ~ ε²·|J'''| ≈ 1e-12 and rounding
# error ~ u·|J|/ε ≈ 1e-16/1e-6 = 1e-10: ε = 1e-6 balances the two for float64 (u^(1/3) ≈ 6e-6).
FD_STEP = 1e-6


@dataclass(frozen=True)
class Tolerance:
    """Bounds for one (dtype, oracle) pair, with the reason for their size."""

    rtol: float
    atol: float
    max_relative_difference: float
    reason: str


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float64", "reverse"): Tolerance(
        rtol=1e-9,
        atol=1e-12,
        max_relative_difference=1e-10,
        reason="same float64 arithmetic in another summation order: differences are a few ulps "
        "(measured ~1e-16 relative), so anything above 1e-10 is a wrong formula, not rounding",
    ),
    ("float64", "forward"): Tolerance(
        rtol=1e-9,
        atol=1e-12,
        max_relative_difference=1e-10,
        reason="forward mode is exact up to rounding like reverse mode; its directional "
        "derivatives are dot products of O(1) gradients with unit directions",
    ),
    ("float64", "finite_difference"): Tolerance(
        rtol=1e-5,
        atol=3e-8,
        max_relative_difference=1e-6,
        reason="central differences with step 1e-6 carry truncation (~1e-12) and cancellation error "
        "u·|J|/ε (up to ~4e-9 absolute when J sums 32 output units), so the bound is looser than for "
        "the exact modes; the course's grad-check threshold is 1e-7",
    ),
    ("float32", "reverse"): Tolerance(
        rtol=2e-4,
        atol=2e-6,
        max_relative_difference=1e-4,
        reason="float32 rounding (u = 6e-8) grows through up to 6 layers of 32-unit sums, db sums "
        "cancel, and the course's dA[L] route divides by A[L](1-A[L]): up to 6e-6 seen in 2,000 "
        "networks; a factor-of-m, sign or transpose mistake is off by O(1)",
    ),
    ("float32", "forward"): Tolerance(
        rtol=2e-4,
        atol=2e-6,
        max_relative_difference=1e-4,
        reason="as float32 reverse mode: both sides round in float32, in different orders",
    ),
    ("float32", "finite_difference"): Tolerance(
        rtol=2e-4,
        atol=2e-6,
        max_relative_difference=1e-4,
        reason="the float64 differences are far more accurate (~1e-9) than float32 backprop, so "
        "the bound is float32's own rounding bound",
    ),
}


def tolerance_for(dtype: str | np.dtype | type, oracle: str) -> Tolerance:
    """The tolerance for gradients computed in ``dtype`` checked against ``oracle``."""
    name = np.dtype(dtype).name
    try:
        return TOLERANCES[(name, oracle)]
    except KeyError:
        raise ValueError(
            f"no tolerance for dtype {name!r} and oracle {oracle!r}; dtypes {DTYPES}, oracles {ORACLES}"
        ) from None
