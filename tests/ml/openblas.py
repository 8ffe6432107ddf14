# numpy on OpenBLAS (what numpy's pip wheels bundle, and Debian's default BLAS alternative):
# proves OpenBLAS is the BLAS in use, then runs the linear algebra and the training loop.
import runpy

import numpy  # noqa: F401  (loads the BLAS)

maps = open("/proc/self/maps").read()
assert "openblas" in maps, "OpenBLAS is not loaded (LD_LIBRARY_PATH?)"
runpy.run_path("/ml/linalg.py")
runpy.run_path("/ml/train.py")
