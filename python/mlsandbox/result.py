"""Result, Stats, SandboxError and format_report: what a run gives back, and how to read it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

__all__ = ["Result", "Stats", "SandboxError", "format_report", "compute_stats"]


@dataclass(frozen=True)
class Result:
    """One finished run.

    status: the report's verdict: exited, signaled, oom, timeout, cpu-time, pids, output, rejected,
        error (see SPEC.md).
    exit_code: mlrun's exit status, i.e. the program's own exit code when status is "exited";
        otherwise the timeout(1)-style code: 128+N (killed by signal N, OOM is 137), 124 (timeout),
        126 (not executable), 127 (not found), 125 (set-up error; run() raises SandboxError then).
    stdout, stderr: the program's output decoded as UTF-8 (undecodable bytes replaced); the raw
        bytes are in stdout_bytes/stderr_bytes. mlrun's own warnings are not in stderr (it runs
        with -q); what they said is in the report ("enforced", "not_enforced_reason").
    report: the whole JSON report as a dict.
    """

    status: str
    exit_code: Optional[int]
    stdout: str
    stderr: str
    wall_ms: float
    memory_peak_bytes: int
    violations: List[Dict[str, Any]]
    report: Dict[str, Any]
    signal: Optional[int] = None
    stdout_bytes: bytes = field(default=b"", repr=False)
    stderr_bytes: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        """True when the program exited normally with status 0."""
        return self.status == "exited" and self.exit_code == 0

    @property
    def violation_count(self) -> int:
        """Sum of the violations' counts (an entry without a count counts once)."""
        return sum(int(v.get("count", 1) or 1) for v in self.violations)


class SandboxError(RuntimeError):
    """mlrun could not run the program (exit 125: bad policy or flag, set-up failure), or could not
    be started at all. str(err) is mlrun's own message ("mlrun: ..."); .result holds the Result
    (status "error", exit_code 125) when mlrun got as far as writing a report."""

    def __init__(self, message: str, result: Optional[Result] = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Stats:
    """Aggregate over the Results a Sandbox produced (see Sandbox.stats()).

    succeeded: status "exited" with exit code 0; every other result is failed and counted in
    failed_by_status under its status ("exited" there means a non-zero exit code).
    wall_ms_p50/p95: nearest-rank percentiles (the smallest wall time with at least 50 % / 95 %
    of the runs at or below it); None when there are no runs.
    total_violations: the sum of every violation's count.
    """

    count: int
    succeeded: int
    failed: int
    failed_by_status: Dict[str, int]
    success_rate: float
    wall_ms_p50: Optional[float]
    wall_ms_p95: Optional[float]
    wall_ms_max: Optional[float]
    max_memory_peak_bytes: int
    total_violations: int


def _percentile(sorted_values: List[float], p: float) -> Optional[float]:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def compute_stats(results: Iterable[Result]) -> Stats:
    rs = list(results)
    ok = [r for r in rs if r.ok]
    by_status: Dict[str, int] = {}
    for r in rs:
        if not r.ok:
            by_status[r.status] = by_status.get(r.status, 0) + 1
    walls = sorted(float(r.wall_ms) for r in rs)
    return Stats(
        count=len(rs),
        succeeded=len(ok),
        failed=len(rs) - len(ok),
        failed_by_status=dict(sorted(by_status.items())),
        success_rate=(len(ok) / len(rs)) if rs else 0.0,
        wall_ms_p50=_percentile(walls, 50),
        wall_ms_p95=_percentile(walls, 95),
        wall_ms_max=walls[-1] if walls else None,
        max_memory_peak_bytes=max((r.memory_peak_bytes for r in rs), default=0),
        total_violations=sum(r.violation_count for r in rs),
    )


def _size(n: Optional[float]) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} GiB"  # pragma: no cover


def _ms(v: Any) -> str:
    return "-" if v is None else f"{float(v):.1f} ms"


def format_report(result: Result) -> str:
    """A short human-readable table of a run (one "key  value" row per line, no trailing newline)."""
    r = result.report or {}
    limits = r.get("limits") or {}
    status = result.status
    if status == "exited":
        status += f" (exit {result.exit_code})"
    elif result.signal:
        status += f" (signal {result.signal}, exit {result.exit_code})"
    elif result.exit_code is not None:
        status += f" (exit {result.exit_code})"
    mem = _size(result.memory_peak_bytes)
    if limits.get("memory_bytes"):
        mem += f" of {_size(limits['memory_bytes'])}"
    rows = [
        ("id", r.get("id", "-")),
        ("policy", r.get("policy", "-")),
        ("status", status),
        ("wall", _ms(result.wall_ms) + (f" of {_ms(limits['timeout_ms'])}" if limits.get("timeout_ms") else "")),
        ("cpu", f"{_ms(r.get('cpu_user_ms'))} user, {_ms(r.get('cpu_system_ms'))} system"),
        ("memory peak", mem),
        ("pids peak", "-" if r.get("pids_peak") is None else str(r["pids_peak"])),
    ]
    if result.violations:
        rows.append(("violations", ", ".join(
            f"{v.get('syscall') or v.get('kind', '?')} x{v.get('count', 1)}"
            + (f" ({v['kind']}, {v['action']})" if v.get("kind") and v.get("action") else "")
            for v in result.violations)))
    else:
        rows.append(("violations", "none"))
    off = sorted(k for k, v in (r.get("enforced") or {}).items() if v is False)
    if off:
        rows.append(("not enforced", ", ".join(off)))
    if r.get("error"):
        rows.append(("error", str(r["error"])))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
