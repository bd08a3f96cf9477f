import numpy as np

import manualbp as mb


def test_train_lowers_the_cost():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = (X[:1] > 0).astype(np.float64)
    result = mb.train(X, Y, [3, 4, 1], num_iterations=200, learning_rate=0.5, rng=0)
    assert result.costs[-1] < result.costs[0]
