"""A function f(parameters, X, Y) -> grads written per example (a loop over the columns), with
einsum: a very different summation order from the course's vectorised code."""

import numpy as np


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def gradients(parameters, X, Y):
    L = len(parameters) // 2
    m = X.shape[1]
    grads = {}
    for key, value in parameters.items():
        grads["d" + key] = np.zeros_like(value)
    for l in range(L):
        grads[f"dA{l}"] = np.zeros((parameters[f"W{l + 1}"].shape[1], m))
    for j in range(m):
        a = [X[:, j]]
        z = []
        for l in range(1, L + 1):
            z.append(parameters[f"W{l}"] @ a[-1] + parameters[f"b{l}"][:, 0])
            a.append(_sigmoid(z[-1]) if l == L else np.maximum(z[-1], 0))
        dz = a[-1] - Y[:, j]
        for l in range(L, 0, -1):
            grads[f"dW{l}"] += np.einsum("i,j->ij", dz, a[l - 1]) / m
            grads[f"db{l}"][:, 0] += dz / m
            da = parameters[f"W{l}"].T @ dz
            grads[f"dA{l - 1}"][:, j] = da
            if l > 1:
                dz = da * (z[l - 2] > 0)
    return grads
