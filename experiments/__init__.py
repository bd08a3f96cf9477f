"""experiments: teaching experiments (symmetry, saturation, initialisation, real data, dA0)."""
