"""Defines no function the checker knows."""

import numpy as np


def my_backprop(params, data):
    return np.zeros(1)
