"""The mistake catalogue: the backprop mistakes learners really make, each as a named change to a
small reference backward written here in NumPy (independent of manualbp).

Every :class:`Mistake` has its id (a contract, see DESIGN.md), a one-line explanation in course
notation, the mistaken line of code next to the right one, and the lines it changes in the course-style
learner file of :data:`LEARNER_TEMPLATE` (so ``manualbp mistakes`` can check a real file with that
mistake). :func:`reference_backward` runs the course's equations with one hook per mistake, applied to
every layer (``where="all"``), to the output layer only or to the hidden layers only: a learner who
writes each layer by hand (the two-layer style) often makes a mistake in one layer only.

Course notation: dZ[L] = A[L] - Y; for l = L..1, dW[l] = (1/m) dZ[l] A[l-1]ᵀ,
db[l] = (1/m) Σ dZ[l], dA[l-1] = W[l]ᵀ dZ[l], dZ[l-1] = dA[l-1] * g'(Z[l-1]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "MISTAKES",
    "MISTAKE_IDS",
    "WHERE",
    "LEARNER_TEMPLATE",
    "Mistake",
    "MistakeRaisedError",
    "get_mistake",
    "reference_forward",
    "reference_backward",
    "learner_source",
]

WHERE: tuple[str, ...] = ("all", "output", "hidden")


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake.

    ``template`` maps a line of :data:`LEARNER_TEMPLATE` (stripped) to its mistaken replacement.
    ``demo_hidden`` is a hidden activation under which the mistake changes the gradients (used by
    ``manualbp mistakes``); ``invisible_under`` lists hidden activations under which the mistaken
    backward gives exactly the right gradients, with the reason in ``note``.
    """

    id: str
    explanation: str
    wrong: str
    right: str
    corrupts: str
    template: Mapping[str, str] = field(default_factory=dict)
    demo_hidden: str = "relu"
    invisible_under: tuple[str, ...] = ()
    raises: bool = False
    note: str = ""
    template_where: str = "all"  # the layers the template's change affects (see reference_backward)
    two_layer: tuple[str, str] | None = None  # (wrong, right) in the two-layer course code

    def code(self, style: str | None = None) -> tuple[str, str]:
        """The mistaken line and its fix, in the code of ``style`` (the two-layer course code, or
        the L-layer course code for the other styles)."""
        if style == "two_layer" and self.two_layer is not None:
            return self.two_layer
        return self.wrong, self.right


MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "missing_divide_by_m",
        "dW[l] and db[l] are derivatives of the cost J = (1/m) Σ 𝓛: both need the factor 1/m.",
        wrong="dW = np.dot(dZ, A_prev.T); db = np.sum(dZ, axis=1, keepdims=True)",
        right="dW = 1 / m * np.dot(dZ, A_prev.T); db = 1 / m * np.sum(dZ, axis=1, keepdims=True)",
        corrupts="every dW[l] and db[l] (m times too large)",
        template={
            "dW = 1 / m * np.dot(dZ, A_prev.T)": "dW = np.dot(dZ, A_prev.T)",
            "db = 1 / m * np.sum(dZ, axis=1, keepdims=True)": "db = np.sum(dZ, axis=1, keepdims=True)",
        },
        two_layer=(
            "dW1 = np.dot(dZ1, X.T); db1 = np.sum(dZ1, axis=1, keepdims=True)",
            "dW1 = (1 / m) * np.dot(dZ1, X.T); db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        ),
    ),
    Mistake(
        "db_not_divided_by_m",
        "db[l] = (1/m) Σ dZ[l]: the sum over the m examples must be divided by m, like dW[l].",
        wrong="db = np.sum(dZ, axis=1, keepdims=True)",
        right="db = 1 / m * np.sum(dZ, axis=1, keepdims=True)",
        corrupts="every db[l] (m times too large)",
        template={"db = 1 / m * np.sum(dZ, axis=1, keepdims=True)": "db = np.sum(dZ, axis=1, keepdims=True)"},
        note="on db alone it looks exactly like missing_divide_by_m; the two differ on dW[l]",
        two_layer=(
            "db1 = np.sum(dZ1, axis=1, keepdims=True)",
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        ),
    ),
    Mistake(
        "db_sum_wrong_axis",
        "db[l] sums dZ[l] over the examples, the columns (axis=1), giving (n[l], 1); axis=0 sums "
        "over the units instead.",
        wrong="db = 1 / m * np.sum(dZ, axis=0, keepdims=True)",
        right="db = 1 / m * np.sum(dZ, axis=1, keepdims=True)",
        corrupts="every db[l] (shape (1, m) instead of (n[l], 1))",
        template={
            "db = 1 / m * np.sum(dZ, axis=1, keepdims=True)": "db = 1 / m * np.sum(dZ, axis=0, keepdims=True)"
        },
        two_layer=(
            "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        ),
    ),
    Mistake(
        "db_missing_keepdims",
        "db[l] has the shape of b[l], (n[l], 1); without keepdims=True the sum is a flat (n[l],) "
        "array that broadcasts wrongly in b[l] - α db[l].",
        wrong="db = 1 / m * np.sum(dZ, axis=1)",
        right="db = 1 / m * np.sum(dZ, axis=1, keepdims=True)",
        corrupts="every db[l] (shape (n[l],) instead of (n[l], 1))",
        template={"db = 1 / m * np.sum(dZ, axis=1, keepdims=True)": "db = 1 / m * np.sum(dZ, axis=1)"},
        two_layer=(
            "db1 = (1 / m) * np.sum(dZ1, axis=1)",
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        ),
    ),
    Mistake(
        "db_sum_all",
        "db[l] sums dZ[l] over the examples only (axis=1); np.sum without an axis adds up every "
        "unit too and returns one number.",
        wrong="db = 1 / m * np.sum(dZ)",
        right="db = 1 / m * np.sum(dZ, axis=1, keepdims=True)",
        corrupts="every db[l] (a scalar instead of (n[l], 1))",
        template={"db = 1 / m * np.sum(dZ, axis=1, keepdims=True)": "db = 1 / m * np.sum(dZ)"},
        two_layer=(
            "db1 = (1 / m) * np.sum(dZ1)",
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        ),
    ),
    Mistake(
        "derivative_at_A_not_Z",
        "dZ[l] = dA[l] * g'(Z[l]): the derivative is taken at the pre-activation Z[l], not at "
        "A[l] = g(Z[l]) (the activation cache must hold Z).",
        wrong="cache = (linear_cache, A)      # later: g'(A)",
        right="cache = (linear_cache, Z)      # later: g'(Z)",
        corrupts="every gradient below the first layer where g'(A) ≠ g'(Z)",
        template={
            "A, activation_cache = ACTIVATIONS[activation](Z)": "A, _ = ACTIVATIONS[activation](Z)",
            "cache = (linear_cache, activation_cache)": "cache = (linear_cache, A)",
        },
        demo_hidden="tanh",
        note="with ReLU hidden layers relu'(A) = relu'(Z) exactly (A > 0 ⇔ Z > 0), so only the "
        "sigmoid output layer shows it; with a linear hidden layer g' = 1 everywhere",
        two_layer=(
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(np.tanh(A1), 2))",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))  # tanh'(Z1) = 1 - A1²",
        ),
    ),
    Mistake(
        "missing_activation_derivative",
        "dZ[l] = dA[l] * g'(Z[l]): the factor g'(Z[l]) of the activation was left out.",
        wrong="dZ = dA",
        right="dZ = BACKWARDS[activation](dA, activation_cache)",
        corrupts="every gradient at and below the first layer without g'",
        template={
            "dZ = BACKWARDS[activation](dA, activation_cache)": "dZ = dA",
        },
        note="with a linear hidden activation g' = 1, so only the output layer shows it",
        two_layer=(
            "dZ1 = np.dot(W2.T, dZ2)",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
        ),
    ),
    Mistake(
        "wrong_activation_derivative",
        "dZ[l] = dA[l] * g[l]'(Z[l]) with the derivative of layer l's own activation; the backward "
        "of another activation (e.g. sigmoid' for a ReLU layer) was used.",
        wrong='linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "sigmoid")',
        right='linear_activation_backward(grads["dA" + str(l + 1)], current_cache, HIDDEN)',
        corrupts="every gradient of the hidden layers (dW[l], db[l] for l < L, and dA[l-1])",
        template={
            'grads["dA" + str(l + 1)], current_cache, HIDDEN': (
                'grads["dA" + str(l + 1)], current_cache, OTHER[HIDDEN]'
            )
        },
        template_where="hidden",
        note="the reference uses sigmoid' in place of the hidden g' (relu' when the hidden layers "
        "are themselves sigmoid)",
        two_layer=(
            "dZ1 = np.dot(W2.T, dZ2) * sigmoid(Z1) * (1 - sigmoid(Z1))",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(np.tanh(Z1), 2))",
        ),
    ),
    Mistake(
        "derivative_formula_of_other_activation",
        "g'(Z[l]) written from A[l] = g(Z[l]) must use g's own formula (tanh' = 1 - A², σ' = A(1 - A)); "
        "another activation's formula was applied to this layer's A[l].",
        wrong="return dA * np.tanh(Z) * (1 - np.tanh(Z))      # in tanh_backward: σ's A(1 - A)",
        right="return dA * (1 - np.tanh(Z) ** 2)               # tanh' = 1 - A²",
        two_layer=(
            "dZ1 = np.dot(W2.T, dZ2) * A1 * (1 - A1)        # σ' formula on tanh's A1",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))  # tanh'(Z1) = 1 - A1²",
        ),
        corrupts="every gradient of the hidden layers (dW[l], db[l] for l < L, and dA[l-1])",
        template={
            "return dA * (1 - np.tanh(Z) ** 2)": "return dA * np.tanh(Z) * (1 - np.tanh(Z))",
        },
        demo_hidden="tanh",
        template_where="hidden",
        note="the reference uses σ's A(1 - A) for tanh, ReLU and the other hidden activations, and "
        "tanh's 1 - A² for sigmoid layers",
    ),
    Mistake(
        "dW_transposed",
        "dW[l] = (1/m) dZ[l] A[l-1]ᵀ has the shape of W[l], (n[l], n[l-1]); A[l-1] dZ[l]ᵀ is its transpose.",
        wrong="dW = 1 / m * np.dot(A_prev, dZ.T)",
        right="dW = 1 / m * np.dot(dZ, A_prev.T)",
        corrupts="every dW[l] (shape (n[l-1], n[l]))",
        template={"dW = 1 / m * np.dot(dZ, A_prev.T)": "dW = 1 / m * np.dot(A_prev, dZ.T)"},
        two_layer=(
            "dW1 = (1 / m) * np.dot(X, dZ1.T)",
            "dW1 = (1 / m) * np.dot(dZ1, X.T)",
        ),
    ),
    Mistake(
        "elementwise_instead_of_matmul",
        "dW[l] = (1/m) dZ[l] A[l-1]ᵀ is a matrix product (np.dot), not an element-wise product (*).",
        wrong="dW = 1 / m * dZ * A_prev.T",
        right="dW = 1 / m * np.dot(dZ, A_prev.T)",
        corrupts="dW[L] first: (n[L], m) * (m, n[L-1]) cannot broadcast, so the call raises",
        template={"dW = 1 / m * np.dot(dZ, A_prev.T)": "dW = 1 / m * dZ * A_prev.T"},
        raises=True,
        two_layer=(
            "dW1 = (1 / m) * dZ1 * X.T",
            "dW1 = (1 / m) * np.dot(dZ1, X.T)",
        ),
    ),
    Mistake(
        "dA_prev_missing_transpose",
        "dA[l-1] = W[l]ᵀ dZ[l]: W[l] is (n[l], n[l-1]), so it must be transposed to map dZ[l] back "
        "to layer l-1.",
        wrong="dA_prev = np.dot(W, dZ)",
        right="dA_prev = np.dot(W.T, dZ)",
        corrupts="dA[L-1] first: (n[L], n[L-1]) · (n[L], m) is not defined, so the call raises",
        template={"dA_prev = np.dot(W.T, dZ)": "dA_prev = np.dot(W, dZ)"},
        raises=True,
        note="with a square W[l] (n[l] = n[l-1]) it would not raise; the checked architectures "
        "have distinct layer sizes",
        two_layer=(
            "dZ1 = np.dot(W2, dZ2) * (1 - np.power(A1, 2))",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
        ),
    ),
    Mistake(
        "divide_by_m_in_dA",
        "dA[l-1] = W[l]ᵀ dZ[l] is a per-example derivative: the 1/m belongs to dW and db only, "
        "dividing dA too divides the layers below twice.",
        wrong="dA_prev = 1 / m * np.dot(W.T, dZ)",
        right="dA_prev = np.dot(W.T, dZ)",
        corrupts="every dA[l] and every dW[l], db[l] below the output layer (m times too small)",
        template={"dA_prev = np.dot(W.T, dZ)": "dA_prev = 1 / m * np.dot(W.T, dZ)"},
        two_layer=(
            "dZ1 = (1 / m) * np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
            "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
        ),
    ),
    Mistake(
        "output_sign_flipped",
        "dZ[L] = A[L] - Y (equivalently dA[L] = -(Y/A[L]) + (1-Y)/(1-A[L])); Y - A[L] flips the "
        "sign of every gradient, and gradient descent climbs the cost.",
        wrong="dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)      # dZ[L] = Y - A[L]",
        right="dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))   # dZ[L] = A[L] - Y",
        corrupts="every gradient (negated)",
        template={
            "dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))": (
                "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)"
            )
        },
        two_layer=(
            "dZ2 = Y - A2",
            "dZ2 = A2 - Y",
        ),
    ),
    Mistake(
        "dAL_second_term_sign",
        "dA[L] = -(Y/A[L]) + (1-Y)/(1-A[L]): the second term enters with a plus sign.",
        wrong="dAL = -np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)",
        right="dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
        corrupts="every gradient (dZ[L] becomes -(Y(1-A[L]) + (1-Y)A[L]))",
        template={
            "dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))": (
                "dAL = -np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)"
            )
        },
    ),
    Mistake(
        "cache_off_by_one",
        "dW[l] = (1/m) dZ[l] A[l-1]ᵀ uses the layer's input A[l-1]; the layer's output A[l] was "
        "cached or used in its place.",
        wrong="cache = ((A, W, b), activation_cache)      # A = A[l], the layer's output",
        right="cache = (linear_cache, activation_cache)   # linear_cache = (A[l-1], W, b)",
        corrupts="every dW[l] (shape (n[l], n[l]) instead of (n[l], n[l-1]))",
        template={
            "cache = (linear_cache, activation_cache)": "cache = ((A, W, b), activation_cache)",
        },
        two_layer=(
            "dW2 = (1 / m) * np.dot(dZ2, A2.T)",
            "dW2 = (1 / m) * np.dot(dZ2, A1.T)",
        ),
    ),
)

MISTAKE_IDS: tuple[str, ...] = tuple(mistake.id for mistake in MISTAKES)
_BY_ID = {mistake.id: mistake for mistake in MISTAKES}


def get_mistake(mistake_id: str) -> Mistake:
    try:
        return _BY_ID[mistake_id]
    except KeyError:
        raise KeyError(f"unknown mistake {mistake_id!r}; known: {', '.join(MISTAKE_IDS)}") from None


class MistakeRaisedError(ValueError):
    """A mistaken backward that fails; ``messages`` are the errors NumPy gives for its variants
    (``np.dot`` or ``@``, either operand order), to recognise a learner's traceback."""

    def __init__(self, messages: tuple[str, ...]) -> None:
        super().__init__(messages[0])
        self.messages = messages


def _error(call: object) -> str | None:
    try:
        call()  # type: ignore[operator]
    except ValueError as error:
        return str(error)
    return None


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] != b.shape[0]:
        calls = (lambda: np.dot(a, b), lambda: a @ b, lambda: np.matmul(a, b))
        messages = tuple(m for m in (_error(c) for c in calls) if m)
        raise MistakeRaisedError(messages)
    return np.dot(a, b)


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return a * b
    except ValueError:
        messages = tuple(m for m in (_error(lambda: a * b), _error(lambda: b * a)) if m)
        raise MistakeRaisedError(messages) from None


# --- activations, derivatives at Z ----------------------------------------------------------------


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def _forward_g(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return _sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    if name == "linear":
        return Z.copy()
    raise ValueError(f"unknown activation {name!r}")


def _derivative(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        s = _sigmoid(Z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(Z) ** 2
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, 0.01).astype(Z.dtype)
    if name == "linear":
        return np.ones_like(Z)
    raise ValueError(f"unknown activation {name!r}")


def _other(name: str) -> str:
    """The activation whose derivative ``wrong_activation_derivative`` uses in place of ``name``'s."""
    return "relu" if name == "sigmoid" else "sigmoid"


def _other_formula(name: str, A: np.ndarray) -> np.ndarray:
    """Another activation's derivative written from its output, applied to this layer's A:
    tanh's 1 - A² for a sigmoid layer, σ's A(1 - A) for any other."""
    return 1 - A**2 if name == "sigmoid" else A * (1 - A)


# --- reference forward and backward ---------------------------------------------------------------


def reference_forward(
    parameters: Mapping[str, np.ndarray], X: np.ndarray, hidden: str = "relu"
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """A[L] and, per layer, ``(A[l-1], Z[l], A[l])``; output activation sigmoid."""
    L = len(parameters) // 2
    layers = []
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]  # Z[l] = W[l] A[l-1] + b[l]
        A_new = _forward_g(hidden if l < L else "sigmoid", Z)  # A[l] = g[l](Z[l])
        layers.append((A, Z, A_new))
        A = A_new
    return A, layers


def reference_backward(
    parameters: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    hidden: str = "relu",
    mistake: str | tuple[str, ...] | None = None,
    where: str = "all",
) -> dict[str, np.ndarray]:
    """The course's gradients ``dW1..dWL, db1..dbL, dA0..dA(L-1)``, with ``mistake`` (an id, or a
    tuple of ids made together) made in the layers named by ``where`` (``all``, ``output`` = layer L,
    ``hidden`` = layers 1..L-1).

    Raises :class:`MistakeRaisedError` when the mistaken line cannot run (a shape error)."""
    mistakes = (mistake,) if isinstance(mistake, str) else tuple(mistake or ())
    for name in mistakes:
        get_mistake(name)
    if where not in WHERE:
        raise ValueError(f"where must be one of {WHERE}, got {where!r}")
    L = len(parameters) // 2
    m = X.shape[1]
    AL, layers = reference_forward(parameters, X, hidden)

    def made(name: str, l: int) -> bool:
        return name in mistakes and (where == "all" or (where == "output") == (l == L))

    grads: dict[str, np.ndarray] = {}
    dA: np.ndarray | None = None
    for l in range(L, 0, -1):
        A_prev, Z, A = layers[l - 1]
        W = parameters[f"W{l}"]
        g = hidden if l < L else "sigmoid"
        # dZ[l]
        if l == L:
            if made("output_sign_flipped", l):
                dZ = Y - AL  # mistake: dZ[L] = Y - A[L]
            elif made("dAL_second_term_sign", l):
                dZ = (-(Y / AL) - (1 - Y) / (1 - AL)) * _derivative("sigmoid", Z)
            elif made("derivative_at_A_not_Z", l):
                dZ = (-(Y / AL) + (1 - Y) / (1 - AL)) * _derivative("sigmoid", A)
            elif made("missing_activation_derivative", l):
                dZ = -(Y / AL) + (1 - Y) / (1 - AL)  # mistake: dZ[L] = dA[L]
            elif made("wrong_activation_derivative", l):
                dZ = (-(Y / AL) + (1 - Y) / (1 - AL)) * _derivative(_other("sigmoid"), Z)
            elif made("derivative_formula_of_other_activation", l):
                dZ = (-(Y / AL) + (1 - Y) / (1 - AL)) * _other_formula("sigmoid", AL)
            else:
                dZ = AL - Y  # dZ[L] = A[L] - Y
        else:
            assert dA is not None
            if made("derivative_at_A_not_Z", l):
                dZ = dA * _derivative(g, A)  # mistake: g'(A[l])
            elif made("missing_activation_derivative", l):
                dZ = dA  # mistake: no g'
            elif made("wrong_activation_derivative", l):
                dZ = dA * _derivative(_other(g), Z)
            elif made("derivative_formula_of_other_activation", l):
                dZ = dA * _other_formula(g, A)  # mistake: the other activation's g'(A) formula
            else:
                dZ = dA * _derivative(g, Z)  # dZ[l] = dA[l] * g'(Z[l])
        # dW[l] = (1/m) dZ[l] A[l-1]ᵀ
        if made("dW_transposed", l):
            dW = _dot(A_prev, dZ.T) / m
        elif made("elementwise_instead_of_matmul", l):
            dW = _mul(dZ, A_prev.T) / m
        elif made("cache_off_by_one", l):
            dW = _dot(dZ, A.T) / m
        elif made("missing_divide_by_m", l):
            dW = _dot(dZ, A_prev.T)
        else:
            dW = _dot(dZ, A_prev.T) / m
        # db[l] = (1/m) Σ dZ[l]
        if made("db_sum_wrong_axis", l):
            db = dZ.sum(axis=0, keepdims=True) / m
        elif made("db_missing_keepdims", l):
            db = dZ.sum(axis=1) / m
        elif made("db_sum_all", l):
            db = np.asarray(dZ.sum() / m)
        elif made("missing_divide_by_m", l) or made("db_not_divided_by_m", l):
            db = dZ.sum(axis=1, keepdims=True)
        else:
            db = dZ.sum(axis=1, keepdims=True) / m
        # dA[l-1] = W[l]ᵀ dZ[l]
        if made("dA_prev_missing_transpose", l):
            dA = _dot(W, dZ)
        elif made("divide_by_m_in_dA", l):
            dA = _dot(W.T, dZ) / m
        else:
            dA = _dot(W.T, dZ)
        grads[f"dW{l}"], grads[f"db{l}"], grads[f"dA{l - 1}"] = dW, db, dA
    return grads


# --- a course-style learner file, to plant each mistake in ---------------------------------------

LEARNER_TEMPLATE = '''"""A learner's deep network in the course style: L_model_forward / L_model_backward."""

import numpy as np

HIDDEN = "{hidden}"


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def tanh(Z):
    return np.tanh(Z), Z


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def tanh_backward(dA, cache):
    Z = cache
    return dA * (1 - np.tanh(Z) ** 2)


ACTIVATIONS = {{"sigmoid": sigmoid, "relu": relu, "tanh": tanh}}
BACKWARDS = {{"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward}}
OTHER = {{"relu": "sigmoid", "tanh": "sigmoid", "sigmoid": "relu"}}


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = ACTIVATIONS[activation](Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(
            A_prev, parameters["W" + str(l)], parameters["b" + str(l)], HIDDEN
        )
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = BACKWARDS[activation](dA, activation_cache)
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {{}}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(
            grads["dA" + str(l + 1)], current_cache, HIDDEN
        )
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads
'''


def learner_source(mistake_id: str | None = None, hidden: str = "relu") -> str:
    """The course-style learner file, with ``mistake_id`` planted (``None``: the right code)."""
    source = LEARNER_TEMPLATE.format(hidden=hidden)
    if mistake_id is None:
        return source
    mistake = get_mistake(mistake_id)
    for right, wrong in mistake.template.items():
        if source.count(right) != 1:
            raise AssertionError(f"template line for {mistake_id} found {source.count(right)} times: {right}")
        source = source.replace(right, wrong + f"  # <- mistake: {mistake_id}")
    return source
