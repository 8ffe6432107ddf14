"""Sandbox: runs Python code (or any program) under the mlrun binary and parses its JSON report."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .result import Result, SandboxError, Stats, compute_stats

__all__ = ["Sandbox", "find_mlrun", "resolve_policy"]

PathLike = Union[str, "os.PathLike[str]"]
FileSpec = Union[PathLike, Tuple[PathLike, PathLike]]
Job = Union[str, Mapping[str, Any]]

_REPO = Path(__file__).resolve().parent.parent.parent  # python/mlsandbox/ -> the source tree
_JOB_KEYS = {"code", "path", "args", "stdin"}
SETUP_ERROR = 125
_GRACE_S = 30.0  # the host-side guard: mlrun's own timeout plus this, in case mlrun itself hangs


def find_mlrun(explicit: Optional[PathLike] = None) -> str:
    """The mlrun binary: `explicit`, else $MLRUN, else `mlrun` on PATH, else the source tree's
    ./mlrun (for development: python/ sits next to it). Raises SandboxError if none is usable."""
    for cand, origin in ((explicit, "mlrun="), (os.environ.get("MLRUN"), "$MLRUN")):
        if cand:
            cand = os.fspath(cand)
            found = shutil.which(cand) if os.sep not in cand else cand
            if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
                raise SandboxError(f"mlrun binary {cand!r} (from {origin}) is not an executable file")
            return os.path.abspath(found)
    found = shutil.which("mlrun")
    if found:
        return os.path.abspath(found)
    dev = _REPO / "mlrun"
    if dev.is_file() and os.access(dev, os.X_OK):
        return str(dev)
    raise SandboxError("mlrun binary not found: set MLRUN=/path/to/mlrun, put mlrun on PATH, "
                       f"or build it with `make` in {_REPO}")


def resolve_policy(policy: PathLike, mlrun: str) -> str:
    """A policy for the command line. Runs start in a temporary directory, so mlrun's own lookup
    of a bare NAME in ./policies would miss; a NAME is therefore looked up here first, in
    <mlrun's dir>/policies (the source tree), <mlrun's dir>/../share/mlrun/policies and the
    caller's ./policies, and passed as an absolute path when found. Otherwise the NAME is passed
    as is (mlrun then finds it in its installed policy directory). A path is made absolute."""
    policy = os.fspath(policy)
    if os.sep in policy or policy.endswith(".ini"):
        return os.path.abspath(policy)
    here = Path(mlrun).resolve().parent
    for d in (here / "policies", here.parent / "share" / "mlrun" / "policies", Path.cwd() / "policies"):
        f = d / f"{policy}.ini"
        if f.is_file():
            return str(f)
    return policy


def _seconds(value: Union[float, int, str, None]) -> Optional[float]:
    if value is None or isinstance(value, (int, float)):
        return None if value is None else float(value)
    m = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m|h)?\s*", value)
    if not m:
        return None
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


@dataclass
class _Invocation:
    argv: List[str]
    cwd: str
    stdin: Optional[bytes]
    report: IO[bytes]


class Sandbox:
    """A reusable sandbox configuration; every run() is a fresh mlrun sandbox.

    policy: a policy NAME (strict, default, permissive) or an INI path.
    memory: bytes (int) or "256M"; cpus: cores (0.5); timeout: seconds (int/float) or "1500ms".
    network: False -> --net none, True -> --net loopback (a private lo: the host's services stay
        unreachable either way), or a string passed to --net.
    files: host paths exposed read-only, each at the same path (`"/data/x.csv"`) or elsewhere
        (`("/data/x.csv", "/input.csv")` or `"/data/x.csv:/input.csv"`).
    env: variables set in the sandbox (the rest of the environment is cleared by mlrun).
    mlrun: the binary (default: see find_mlrun()).
    pids, extra_args: --pids N and any further mlrun options, passed before `--`.
    Any of policy's settings left as None keeps the policy's value.

    Thread-safe: run() may be called from several threads; stats() covers all of them.
    """

    def __init__(
        self,
        policy: Optional[PathLike] = "strict",
        memory: Union[int, str, None] = "256M",
        cpus: Optional[float] = 0.5,
        timeout: Union[float, int, str, None] = 10,
        network: Union[bool, str, None] = False,
        files: Sequence[FileSpec] = (),
        env: Optional[Mapping[str, str]] = None,
        mlrun: Optional[PathLike] = None,
        *,
        pids: Optional[int] = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.mlrun = find_mlrun(mlrun)
        self.policy = resolve_policy(policy, self.mlrun) if policy is not None else None
        self.memory, self.cpus, self.timeout, self.network = memory, cpus, timeout, network
        self.files = [self._bind_spec(f) for f in files]
        self.env = dict(env or {})
        self.pids, self.extra_args = pids, list(extra_args)
        if isinstance(timeout, (int, float)) and timeout <= 0:
            # mlrun's one rule: 0 never means "no limit" (write "unlimited"); None keeps the policy's
            raise ValueError("timeout must be > 0 seconds; use 'unlimited' for no time limit")
        t = _seconds(timeout)
        self._guard = None if t is None else t + _GRACE_S
        self._results: List[Result] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"Sandbox(policy={self.policy!r}, memory={self.memory!r}, cpus={self.cpus!r}, "
                f"timeout={self.timeout!r}, network={self.network!r}, files={self.files!r}, "
                f"mlrun={self.mlrun!r})")

    # ---- command line ---------------------------------------------------------------------------
    @staticmethod
    def _bind_spec(spec: FileSpec) -> str:
        if isinstance(spec, tuple):
            src, dst = spec
            return f"{os.path.abspath(os.fspath(src))}:{os.fspath(dst)}"
        s = os.fspath(spec)
        src, sep, dst = s.partition(":")
        return os.path.abspath(src) + sep + dst

    def options(self) -> List[str]:
        """The mlrun options this configuration stands for (without --report-fd and --workdir)."""
        o: List[str] = ["-q"]
        if self.policy is not None:
            o += ["--policy", self.policy]
        if self.memory is not None:
            o += ["--memory", str(self.memory)]
        if self.cpus is not None:
            o += ["--cpus", f"{float(self.cpus):g}"]
        if self.timeout is not None:
            t = self.timeout
            o += ["--timeout", f"{max(1, round(float(t) * 1000))}ms" if isinstance(t, (int, float)) else str(t)]
        if self.network is not None:
            o += ["--net", ("loopback" if self.network else "none") if isinstance(self.network, bool)
                  else str(self.network)]
        if self.pids is not None:
            o += ["--pids", str(int(self.pids))]
        for b in self.files:
            o += ["--ro-bind", b]
        for k, v in self.env.items():
            o += ["--env", f"{k}={v}"]
        return o + self.extra_args

    @contextlib.contextmanager
    def _prepared(self, code: Optional[str], path: Optional[PathLike], args: Sequence[str],
                  stdin: Union[bytes, str, None]) -> Iterator[_Invocation]:
        if (code is None) == (path is None):
            raise TypeError("give exactly one of code= or path=")
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        tmp = tempfile.mkdtemp(prefix="mlsandbox-")
        try:
            os.chmod(tmp, 0o755)  # the sandbox may run as another uid (60000 when mlrun is root)
            cwd = tmp
            if code is not None:
                prog = "main.py"
                with open(os.path.join(tmp, prog), "w", encoding="utf-8") as f:
                    f.write(code)
                os.chmod(os.path.join(tmp, prog), 0o644)
            else:
                script = os.path.abspath(os.fspath(path))  # type: ignore[arg-type]
                prog = script
                if os.path.isdir(os.path.dirname(script)):  # like `cd dir && mlrun code.py`
                    cwd, prog = os.path.dirname(script), os.path.basename(script)
            with tempfile.TemporaryFile(prefix="mlsandbox-report-") as report:
                argv = [self.mlrun, *self.options(), "--workdir", "ro",
                        "--report-fd", str(report.fileno()), "--", prog, *[str(a) for a in args]]
                yield _Invocation(argv, cwd, stdin, report)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _finish(self, inv: _Invocation, rc: int, out: bytes, err: bytes) -> Result:
        inv.report.seek(0)
        raw = inv.report.read()
        try:
            report: Dict[str, Any] = json.loads(raw) if raw.strip() else {}
        except ValueError:
            report = {}
        stderr = err.decode("utf-8", "replace")
        mlrun_msg = "\n".join(line for line in stderr.splitlines() if line.startswith("mlrun: "))
        if rc < 0:
            raise SandboxError(f"mlrun was killed by signal {-rc}")
        if not report and rc != SETUP_ERROR:
            raise SandboxError(mlrun_msg or f"mlrun exited {rc} without writing a report: {stderr.strip()}")
        result = Result(
            status=str(report.get("status") or "error"),
            exit_code=rc,
            stdout=out.decode("utf-8", "replace"),
            stderr=stderr,
            wall_ms=float(report.get("wall_ms") or 0.0),
            memory_peak_bytes=int(report.get("memory_peak_bytes") or 0),
            violations=list(report.get("violations") or []),
            report=report,
            signal=report.get("signal"),
            stdout_bytes=out,
            stderr_bytes=err,
        )
        with self._lock:
            self._results.append(result)
        if rc == SETUP_ERROR:
            msg = mlrun_msg or (f"mlrun: {report['error']}" if report.get("error") else
                                f"mlrun failed (exit 125): {stderr.strip()}")
            raise SandboxError(msg, result)
        return result

    # ---- running --------------------------------------------------------------------------------
    def run(self, code: Optional[str] = None, *, path: Optional[PathLike] = None,
            args: Sequence[str] = (), stdin: Union[bytes, str, None] = None) -> Result:
        """Run Python source `code` (written to a fresh temporary directory, which becomes the
        read-only working directory) or the script at host `path` (run from its directory, which
        is exposed read-only, like `cd dir && mlrun script.py`), with `args` and `stdin`.
        Returns a Result whatever the program did; raises SandboxError when mlrun could not run
        it (exit 125) or did not finish within timeout + 30 s."""
        with self._prepared(code, path, args, stdin) as inv:
            try:
                proc = subprocess.Popen(inv.argv, cwd=inv.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL if inv.stdin is None else subprocess.PIPE,
                                        pass_fds=(inv.report.fileno(),))
            except OSError as e:
                raise SandboxError(f"cannot start {self.mlrun}: {e}") from e
            try:
                out, err = proc.communicate(inv.stdin, timeout=self._guard)
            except subprocess.TimeoutExpired:
                self._stop(proc)
                raise SandboxError(f"mlrun did not finish within {self._guard:.0f} s; stopped it") from None
            except BaseException:
                self._stop(proc)
                raise
            return self._finish(inv, proc.returncode, out, err)

    @staticmethod
    def _stop(proc: "subprocess.Popen[bytes]") -> None:
        proc.terminate()  # mlrun forwards it and removes the sandbox
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

    async def arun(self, code: Optional[str] = None, *, path: Optional[PathLike] = None,
                   args: Sequence[str] = (), stdin: Union[bytes, str, None] = None) -> Result:
        """run(), with an asyncio subprocess."""
        with self._prepared(code, path, args, stdin) as inv:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *inv.argv, cwd=inv.cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                    stdin=asyncio.subprocess.DEVNULL if inv.stdin is None else asyncio.subprocess.PIPE,
                    pass_fds=(inv.report.fileno(),))
            except OSError as e:
                raise SandboxError(f"cannot start {self.mlrun}: {e}") from e
            try:
                out, err = await asyncio.wait_for(proc.communicate(inv.stdin), self._guard)
            except asyncio.TimeoutError:
                await self._astop(proc)
                raise SandboxError(f"mlrun did not finish within {self._guard:.0f} s; stopped it") from None
            except BaseException:
                await self._astop(proc)
                raise
            assert proc.returncode is not None
            return self._finish(inv, proc.returncode, out, err)

    @staticmethod
    async def _astop(proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()

    @staticmethod
    def _job(job: Job) -> Dict[str, Any]:
        if isinstance(job, str):
            return {"code": job}
        if isinstance(job, Mapping) and set(job) <= _JOB_KEYS:
            return dict(job)
        raise TypeError(f"a job is Python source (str) or a mapping with keys {sorted(_JOB_KEYS)}: {job!r}")

    def run_batch(self, jobs: Iterable[Job], jobs_parallel: int = 1) -> List[Result]:
        """Run many jobs, at most `jobs_parallel` at a time (threads); Results in job order.
        A job is source code (str) or a dict of run() arguments. A job mlrun refused (exit 125)
        gives its status "error" Result instead of raising, so one bad job does not hide the rest."""
        kwargs = [self._job(j) for j in jobs]

        def one(kw: Dict[str, Any]) -> Result:
            try:
                return self.run(**kw)
            except SandboxError as e:
                if e.result is None:
                    raise
                return e.result

        with ThreadPoolExecutor(max_workers=max(1, int(jobs_parallel))) as pool:
            return list(pool.map(one, kwargs))

    async def arun_batch(self, jobs: Iterable[Job], jobs_parallel: int = 1) -> List[Result]:
        """run_batch() with asyncio: at most `jobs_parallel` sandboxes at a time."""
        kwargs = [self._job(j) for j in jobs]
        sem = asyncio.Semaphore(max(1, int(jobs_parallel)))

        async def one(kw: Dict[str, Any]) -> Result:
            async with sem:
                try:
                    return await self.arun(**kw)
                except SandboxError as e:
                    if e.result is None:
                        raise
                    return e.result

        return list(await asyncio.gather(*(one(kw) for kw in kwargs)))

    # ---- aggregate and self-test ------------------------------------------------------------------
    @property
    def results(self) -> List[Result]:
        """Every Result this Sandbox produced so far (a copy), set-up errors included."""
        with self._lock:
            return list(self._results)

    def stats(self) -> Stats:
        """Aggregate over self.results: counts, success rate, wall p50/p95, peak memory, violations."""
        return compute_stats(self.results)

    def reset_stats(self) -> None:
        with self._lock:
            self._results.clear()

    def self_test(self, timeout: float = 300.0) -> Any:
        """Run `mlrun audit --json` (with this Sandbox's policy) and return its parsed JSON.
        Raises SandboxError with mlrun's message if the audit is unavailable or fails to report."""
        argv = [self.mlrun, "audit", "--json"] + (["--policy", self.policy] if self.policy else [])
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SandboxError(f"mlrun audit: {e}") from e
        err = p.stderr.decode("utf-8", "replace").strip()
        try:
            return json.loads(p.stdout)
        except ValueError:
            why = err or f"exit {p.returncode}, no JSON on stdout"
            raise SandboxError(f"mlrun audit is unavailable or failed (exit {p.returncode}): {why}") from None
