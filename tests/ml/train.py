# A tiny training loop: logistic regression by gradient descent, in numpy.
import numpy as np

rng = np.random.default_rng(1)
X = rng.standard_normal((512, 16))
y = (X @ rng.standard_normal(16) > 0).astype(float)
w = np.zeros(16)
for _ in range(300):
    p = 1 / (1 + np.exp(-(X @ w)))
    w -= 0.1 * X.T @ (p - y) / len(y)
accuracy = ((1 / (1 + np.exp(-(X @ w))) > 0.5) == y).mean()
assert accuracy > 0.9, accuracy
print("train ok", round(float(accuracy), 2))
