"""manualbp: hand-derived backpropagation in NumPy, in the notation of the deeplearning.ai course.

Examples are columns: X = A[0] is (n[0], m), W[l] is (n[l], n[l-1]), b[l] is (n[l], 1).
``import manualbp`` needs NumPy alone; the JAX oracle lives in the separate ``verification`` package.
"""

from . import activations, two_layer
from .activations import ACTIVATIONS, get_activation
from .cost import compute_cost, compute_cost_from_logits
from .errors import (
    DomainError,
    DTypeMismatchError,
    EmptyBatchError,
    KeysError,
    LabelError,
    LayerSizeError,
    ManualbpError,
    NonFiniteError,
    ShapeError,
    UnknownActivationError,
    UnknownInitializationError,
)
from .initialization import INITIALIZATIONS, initialize_parameters
from .layers import (
    LayerCache,
    LinearCache,
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
)
from .model import accuracy, model_backward, model_forward, predict, update_parameters
from .training import Progress, TrainingResult, train

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITIALIZATIONS",
    "DTypeMismatchError",
    "DomainError",
    "EmptyBatchError",
    "KeysError",
    "LabelError",
    "LayerCache",
    "LayerSizeError",
    "LinearCache",
    "ManualbpError",
    "NonFiniteError",
    "Progress",
    "ShapeError",
    "TrainingResult",
    "UnknownActivationError",
    "UnknownInitializationError",
    "accuracy",
    "activations",
    "compute_cost",
    "compute_cost_from_logits",
    "get_activation",
    "initialize_parameters",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "model_backward",
    "model_forward",
    "predict",
    "train",
    "two_layer",
    "update_parameters",
]
