"""An older version of the course notebook: dA keys one higher (grads["dA" + str(L)] is dA[L-1]),
relu_backward/sigmoid_backward taking the activation cache, and the @ operator."""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(0, Z), Z


def relu_backward(dA, cache):
    Z = cache
    return dA * (Z > 0)


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters["W%d" % l], parameters["b%d" % l]
        Z = W @ A + b
        A_next, activation_cache = sigmoid(Z) if l == L else relu(Z)
        caches.append(((A, W, b), activation_cache))
        A = A_next
    return A, caches


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA = dAL
    for l in reversed(range(L)):
        (A_prev, W, b), Z = caches[l]
        dZ = sigmoid_backward(dA, Z) if l == L - 1 else relu_backward(dA, Z)
        grads["dW" + str(l + 1)] = dZ @ A_prev.T / m
        grads["db" + str(l + 1)] = dZ.sum(axis=1, keepdims=True) / m
        dA = W.T @ dZ
        grads["dA" + str(l + 1)] = dA  # older notebooks: "dA" + str(l + 1) holds dA[l]
    return grads
