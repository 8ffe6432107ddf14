"""Train and evaluate a tiny logistic-regression classifier with numpy only.

A realistic shape of untrusted ML code: generate (or load) data, fit with gradient descent,
report accuracy. Runs under `mlrun --policy strict examples/train_numpy.py`.
"""
import sys

import numpy as np


def make_data(n: int, rng: np.random.Generator):
    # Two Gaussian blobs in 8 dimensions.
    x0 = rng.normal(-1.0, 1.0, size=(n // 2, 8))
    x1 = rng.normal(+1.0, 1.0, size=(n // 2, 8))
    x = np.vstack([x0, x1])
    y = np.concatenate([np.zeros(n // 2), np.ones(n // 2)])
    order = rng.permutation(n)
    return x[order], y[order]


def train(x, y, epochs=200, lr=0.1):
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        grad = p - y
        w -= lr * (x.T @ grad) / len(y)
        b -= lr * grad.mean()
    return w, b


def main() -> int:
    rng = np.random.default_rng(0)
    x, y = make_data(20000, rng)
    split = int(0.8 * len(y))
    w, b = train(x[:split], y[:split])
    pred = (x[split:] @ w + b) > 0
    acc = float((pred == y[split:]).mean())
    print(f"trained on {split} samples, test accuracy {acc:.3f}")
    return 0 if acc > 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
