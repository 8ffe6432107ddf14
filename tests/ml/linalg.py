# numpy linear algebra through BLAS/LAPACK: solve, SVD, eigenvalues, QR.
import numpy as np

rng = np.random.default_rng(0)
a = rng.standard_normal((200, 200))
b = rng.standard_normal((200, 50))
x = np.linalg.solve(a @ a.T + 200 * np.eye(200), b)
u, s, vt = np.linalg.svd(a)
w = np.linalg.eigvalsh(a + a.T)
q, r = np.linalg.qr(a)
assert np.allclose(q @ r, a) and x.shape == (200, 50) and w.shape == (200,)
print("linalg ok")
