"""Shared set-up for the Python suites: the repository root, the source-tree package, the binary.

Run from the repository root:  /usr/bin/python3 -m pytest -q -rA -p no:cacheprovider tests/python
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))  # mlsandbox from the source tree, nothing installed
sys.path.insert(0, str(REPO / "tools" / "scan"))  # mlrun_scan
sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout

# The binary under test: $MLRUN (as for the BATS suites), else the repository's ./mlrun.
os.environ.setdefault("MLRUN", str(REPO / "mlrun"))

# The slow-down factor of every bounded wait, as in the BATS suites (tests/helpers.bash): a busy
# machine sets MLRUN_SLOW higher. Sandbox() runs get a timeout of 10 s times this.
SLOW = float(os.environ.get("MLRUN_SLOW", "3"))
