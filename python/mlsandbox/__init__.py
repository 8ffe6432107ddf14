"""mlsandbox - run untrusted Python in the mlrun sandbox, from Python.

    from mlsandbox import Sandbox
    sb = Sandbox(policy="strict", memory="256M", cpus=0.5, timeout=10)
    r = sb.run("print(sum(range(10)))")
    r.status, r.exit_code, r.stdout   # ('exited', 0, '45\\n')

Stdlib only; drives the `mlrun` binary ($MLRUN, else `mlrun` on PATH, else the source tree's).
"""
from .result import Result, SandboxError, Stats, compute_stats, format_report
from .sandbox import Sandbox, find_mlrun, resolve_policy

__all__ = ["Sandbox", "Result", "Stats", "SandboxError", "format_report", "compute_stats",
           "find_mlrun", "resolve_policy"]
__version__ = "0.1.0"
