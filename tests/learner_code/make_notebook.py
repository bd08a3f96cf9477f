"""Writes course_notebook.ipynb (run once; the notebook is committed): a learner's notebook with the
course's L-layer functions between imports that are not installed, magics, data loading, a training
run and an endless loop, none of which the checker may run."""

from pathlib import Path

import nbformat

HERE = Path(__file__).parent

cells = [
    nbformat.v4.new_markdown_cell("# Building your Deep Neural Network: Step by Step"),
    nbformat.v4.new_code_cell(
        "import numpy as np\nimport h5py_not_installed\nfrom testCases import *\n%matplotlib inline\n"
        "np.random.seed(1)"
    ),
    nbformat.v4.new_code_cell(
        "def sigmoid(Z):\n    return 1 / (1 + np.exp(-Z)), Z\n\n\ndef relu(Z):\n    return np.maximum(0, Z), Z\n\n\n"
        "def sigmoid_backward(dA, cache):\n    s = 1 / (1 + np.exp(-cache))\n    return dA * s * (1 - s)\n\n\n"
        "def relu_backward(dA, cache):\n    dZ = np.array(dA, copy=True)\n    dZ[cache <= 0] = 0\n    return dZ"
    ),
    nbformat.v4.new_code_cell("train_x, train_y = load_dataset()\nprint(train_x.shape)"),
    nbformat.v4.new_code_cell(
        "def linear_activation_forward(A_prev, W, b, activation):\n"
        "    Z = np.dot(W, A_prev) + b\n"
        "    A, activation_cache = sigmoid(Z) if activation == 'sigmoid' else relu(Z)\n"
        "    return A, ((A_prev, W, b), activation_cache)\n\n\n"
        "def L_model_forward(X, parameters):\n"
        "    caches = []\n    A = X\n    L = len(parameters) // 2\n"
        "    for l in range(1, L):\n"
        "        A, cache = linear_activation_forward(A, parameters['W' + str(l)], parameters['b' + str(l)], 'relu')\n"
        "        caches.append(cache)\n"
        "    AL, cache = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], 'sigmoid')\n"
        "    caches.append(cache)\n    return AL, caches"
    ),
    nbformat.v4.new_code_cell(
        "# first attempt (forgot 1/m); redefined correctly below\n"
        "def linear_backward(dZ, cache):\n    A_prev, W, b = cache\n"
        "    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T), np.sum(dZ, axis=1, keepdims=True)"
    ),
    nbformat.v4.new_code_cell(
        "def linear_backward(dZ, cache):\n    A_prev, W, b = cache\n    m = A_prev.shape[1]\n"
        "    dW = 1 / m * np.dot(dZ, A_prev.T)\n    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)\n"
        "    dA_prev = np.dot(W.T, dZ)\n    return dA_prev, dW, db\n\n\n"
        "BACKWARD = {'relu': relu_backward, 'sigmoid': sigmoid_backward}\n"
        "n_x = train_x.shape[0]  # needs the data: skipped with a note\n\n\n"
        "def linear_activation_backward(dA, cache, activation):\n    linear_cache, activation_cache = cache\n"
        "    dZ = BACKWARD[activation](dA, activation_cache)\n"
        "    return linear_backward(dZ, linear_cache)\n\n\n"
        "def L_model_backward(AL, Y, caches):\n    grads = {}\n    L = len(caches)\n"
        "    Y = Y.reshape(AL.shape)\n    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))\n"
        "    grads['dA' + str(L - 1)], grads['dW' + str(L)], grads['db' + str(L)] = "
        "linear_activation_backward(dAL, caches[L - 1], 'sigmoid')\n"
        "    for l in reversed(range(L - 1)):\n"
        "        dA_prev, dW, db = linear_activation_backward(grads['dA' + str(l + 1)], caches[l], 'relu')\n"
        "        grads['dA' + str(l)], grads['dW' + str(l + 1)], grads['db' + str(l + 1)] = dA_prev, dW, db\n"
        "    return grads"
    ),
    nbformat.v4.new_code_cell("L_model_backward_test(L_model_backward)"),
    nbformat.v4.new_code_cell("while True:\n    pass  # a training run that never ends"),
    nbformat.v4.new_code_cell("%%time\nparameters = L_layer_model(train_x, train_y, [12288, 20, 7, 5, 1])"),
]

if __name__ == "__main__":
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, str(HERE / "course_notebook.ipynb"))
