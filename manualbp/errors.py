"""Exception classes: one per kind of bad input.

Every class derives from :class:`ManualbpError` (so ``except ManualbpError`` catches them all) and
from the built-in exception a Python user expects (``ValueError`` or ``TypeError``).
Messages speak course notation: ``W2 must be (n[2], n[1]) = (1, 4), got (4, 1)``.
"""

from __future__ import annotations

__all__ = [
    "ManualbpError",
    "ShapeError",
    "NonFiniteError",
    "EmptyBatchError",
    "LabelError",
    "UnknownActivationError",
    "UnknownInitializationError",
    "LayerSizeError",
    "DTypeMismatchError",
    "KeysError",
    "DomainError",
]


class ManualbpError(Exception):
    """Base class of every error manualbp raises on bad input."""


class ShapeError(ManualbpError, ValueError):
    """An array does not have the shape course notation requires."""


class NonFiniteError(ManualbpError, ValueError):
    """An input, a parameter or a cost holds NaN or infinity."""


class EmptyBatchError(ManualbpError, ValueError):
    """The batch has no examples (m = 0)."""


class LabelError(ManualbpError, ValueError):
    """Labels Y hold values outside {0, 1}."""


class UnknownActivationError(ManualbpError, ValueError):
    """An activation name that manualbp does not know."""


class UnknownInitializationError(ManualbpError, ValueError):
    """An initialisation method that manualbp does not know."""


class LayerSizeError(ManualbpError, ValueError):
    """layer_dims holds a size that is not a positive integer, or too few layers."""


class DTypeMismatchError(ManualbpError, TypeError):
    """Arrays of different or unsupported dtypes meet in one computation."""


class KeysError(ManualbpError, ValueError):
    """A parameters or gradients dict has missing or extra keys."""


class DomainError(ManualbpError, ValueError):
    """A value outside the domain of a formula (for example AL = 0 in dAL = -Y/AL + ...)."""
