"""verification: JAX as an independent oracle for manualbp's hand-derived gradients.

The cost is written again here from its definition; manualbp is imported only to call the code
under test.
"""

# Checking a learner's backprop (verification.check), imported lazily so `import verification` stays light.
_LAZY = {
    "check_implementation": "verification.check",
    "assert_backprop_correct": "verification.check",
    "CheckResult": "verification.check",
    "MISTAKES": "verification.catalogue",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'verification' has no attribute {name!r}")
