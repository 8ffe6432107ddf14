"""mlsandbox against the REAL ./mlrun (built by `make`): runs, exit codes, I/O, limits, isolation,
batches, stats, asyncio, and the helpers. Run from the repository root:

    /usr/bin/python3 -m pytest -q -rA -p no:cacheprovider tests/python
"""
import asyncio
import json
import os
import socket
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO, SLOW
import mlsandbox
from mlsandbox import Result, SandboxError, Stats, compute_stats, format_report


def Sandbox(*args, **kw):
    """mlsandbox.Sandbox with a timeout that scales with MLRUN_SLOW (its own default is 10 s):
    a test that means a timeout passes one."""
    kw.setdefault("timeout", 10 * SLOW)
    return mlsandbox.Sandbox(*args, **kw)

MLRUN = os.environ["MLRUN"]
pytestmark = pytest.mark.skipif(not os.access(MLRUN, os.X_OK), reason=f"{MLRUN} not built (run make)")


@pytest.fixture
def sb():
    return Sandbox(policy="strict")


@pytest.fixture
def shared_dir():
    """A host directory the sandbox's uid can read (pytest's tmp_path is 0700 root)."""
    d = tempfile.mkdtemp(prefix="mlsandbox-test-")
    os.chmod(d, 0o755)
    yield Path(d)
    for p in sorted(Path(d).rglob("*"), reverse=True):
        p.unlink() if not p.is_dir() else p.rmdir()
    os.rmdir(d)


def src(s):
    return textwrap.dedent(s)


# ---- basics ---------------------------------------------------------------------------------------
def test_hello_world(sb):
    r = sb.run("print('hello, world')")
    assert isinstance(r, Result)
    assert (r.status, r.exit_code, r.stdout, r.stderr) == ("exited", 0, "hello, world\n", "")
    assert r.ok and r.signal is None and r.violations == []
    assert r.report["version"] == 1 and r.report["status"] == "exited"
    assert r.report["command"][-1] == "main.py" and r.report["policy"] == "strict"
    assert r.wall_ms > 0 and r.memory_peak_bytes > 0
    assert r.report["limits"]["memory_bytes"] == 256 * 1024 * 1024
    assert r.report["limits"]["timeout_ms"] == round(10000 * SLOW) and r.report["limits"]["cpus"] == 0.5


@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_codes(sb, code):
    r = sb.run(f"import sys; sys.exit({code})")
    assert (r.status, r.exit_code, r.ok) == ("exited", code, code == 0)
    assert r.report["exit_code"] == code


def test_raised_exception_is_exit_1_with_stderr(sb):
    r = sb.run("def f():\n    raise ValueError('boom in the sandbox')\nf()\n")
    assert (r.status, r.exit_code) == ("exited", 1)
    assert "Traceback (most recent call last)" in r.stderr
    assert "ValueError: boom in the sandbox" in r.stderr and r.stdout == ""


def test_killed_by_signal(sb):
    r = sb.run("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert (r.status, r.exit_code, r.signal) == ("signaled", 137, 9)


@pytest.mark.parametrize("data", ["line one\nline two\n", b"\x00\xffbinary\n"])
def test_stdin(sb, data):
    r = sb.run("import sys; d = sys.stdin.buffer.read(); sys.stdout.write(d[::-1].hex())", stdin=data)
    raw = data.encode() if isinstance(data, str) else data
    assert r.ok and r.stdout == raw[::-1].hex()


def test_no_stdin_is_empty(sb):
    assert sb.run("import sys; print(repr(sys.stdin.read()))").stdout == "''\n"


def test_args_are_passed(sb):
    r = sb.run("import sys; print(sys.argv[1:])", args=["a b", "--flag", 3])
    assert r.stdout == "['a b', '--flag', '3']\n"


def test_large_output_is_captured_whole(sb):
    r = sb.run("import sys\nfor i in range(100000): sys.stdout.write('%07d\\n' % i)\nsys.stderr.write('e' * 200000)")
    assert r.ok and len(r.stdout) == 800000 and r.stdout.endswith("0099999\n") and len(r.stderr) == 200000


def test_undecodable_output_keeps_bytes(sb):
    r = sb.run("import sys; sys.stdout.buffer.write(b'ok\\xff')")
    assert r.stdout_bytes == b"ok\xff" and r.stdout == "ok\ufffd"


# ---- limits and errors -------------------------------------------------------------------------------
def test_timeout():
    t0 = time.monotonic()
    r = Sandbox(timeout=1).run("import time\nprint('started', flush=True)\ntime.sleep(60)")
    assert (r.status, r.exit_code) == ("timeout", 124)
    assert r.stdout == "started\n" and 900 <= r.wall_ms < 10000
    assert time.monotonic() - t0 < 15


def test_timeout_as_duration_string():
    r = Sandbox(timeout="700ms").run("while True: pass")
    assert r.status == "timeout" and r.report["limits"]["timeout_ms"] == 700


def test_missing_script_is_127(sb):
    """SPEC: 127 = PROGRAM not found in the sandbox; a Result (status "error"), not an exception."""
    r = sb.run(path="/nonexistent-dir/nothing.py")
    assert (r.status, r.exit_code) == ("error", 127)
    assert "mlrun: " in r.stderr and "nothing.py" in r.stderr


def test_missing_script_in_existing_dir_is_127(sb, shared_dir):
    r = sb.run(path=shared_dir / "absent.py")
    assert (r.status, r.exit_code) == ("error", 127) and "absent.py" in r.stderr


def test_setup_error_raises_sandbox_error_with_mlruns_message():
    with pytest.raises(SandboxError) as ei:
        Sandbox(memory="lots").run("print(1)")
    msg = str(ei.value)
    assert msg.startswith("mlrun: ") and "--memory" in msg and "lots" in msg
    assert ei.value.result is not None
    assert (ei.value.result.status, ei.value.result.exit_code) == ("error", 125)


def test_unknown_policy_raises(shared_dir):
    with pytest.raises(SandboxError, match=r"^mlrun: .*no-such-policy"):
        Sandbox(policy="no-such-policy").run("print(1)")


def test_missing_bind_source_raises():
    with pytest.raises(SandboxError, match=r"mlrun: .*/nonexistent/data\.csv"):
        Sandbox(files=["/nonexistent/data.csv"]).run("print(1)")


def test_code_xor_path(sb):
    with pytest.raises(TypeError):
        sb.run()
    with pytest.raises(TypeError):
        sb.run("print(1)", path="x.py")


# ---- isolation --------------------------------------------------------------------------------------
CONNECT = """
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except OSError as e:
    print("blocked", type(e).__name__, e.errno)
"""


@pytest.fixture
def host_listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)
    yield srv
    srv.close()


def _accepted_nothing(srv):
    try:
        conn, _ = srv.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


@pytest.mark.parametrize("network", [False, True])
def test_network_cannot_reach_a_host_listener(host_listener, network):
    port = host_listener.getsockname()[1]
    r = Sandbox(network=network).run(CONNECT, args=[port])
    assert r.ok and r.stdout.startswith("blocked"), r.stdout + r.stderr
    assert _accepted_nothing(host_listener)
    assert r.report["enforced"]["network"] is True


def test_network_false_is_net_none_true_is_private_loopback():
    code = src("""
        import socket
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 0)); s.listen(1)
            c = socket.create_connection(s.getsockname(), timeout=TIMEOUT)
            print("loopback works")
        except OSError as e:
            print("no loopback", e.errno)
    """).replace("TIMEOUT", str(2 * SLOW))
    assert Sandbox(network=False).run(code).stdout.startswith("no loopback")
    assert Sandbox(network=True).run(code).stdout == "loopback works\n"


def test_files_are_exposed_read_only(shared_dir):
    data = shared_dir / "train.csv"
    data.write_text("x,y\n1,2\n")
    os.chmod(data, 0o666)  # so only the read-only bind can refuse the write
    code = src(f"""
        import errno
        print(open({str(data)!r}).read(), end="")
        try:
            open({str(data)!r}, "a").write("tampered")
            print("WROTE")
        except OSError as e:
            print("write refused:", errno.errorcode[e.errno])
    """)
    r = Sandbox(files=[data]).run(code)
    assert r.ok, r.stderr
    assert r.stdout == "x,y\n1,2\nwrite refused: EROFS\n"
    assert data.read_text() == "x,y\n1,2\n"


def test_files_with_a_destination(shared_dir):
    data = shared_dir / "weights.bin"
    data.write_bytes(b"\x01\x02\x03")
    os.chmod(data, 0o644)
    for spec in [(data, "/data/w.bin"), f"{data}:/data/w.bin"]:
        r = Sandbox(files=[spec]).run("print(open('/data/w.bin', 'rb').read().hex())")
        assert r.stdout == "010203\n", r.stderr


def test_workdir_is_read_only_and_tmp_is_writable(sb):
    code = src("""
        import errno, os
        try:
            open("out.txt", "w")
        except OSError as e:
            print("cwd:", errno.errorcode[e.errno])
        open("/tmp/scratch", "w").write("ok")
        print("tmp:", open("/tmp/scratch").read())
        print(sorted(os.listdir(".")))
    """)
    r = sb.run(code)
    assert r.stdout == "cwd: EROFS\ntmp: ok\n['main.py']\n", r.stderr


def test_env_is_passed_and_host_env_is_not(monkeypatch):
    monkeypatch.setenv("HOST_SECRET", "s3cr3t")
    r = Sandbox(env={"MODEL_NAME": "tiny-net", "SEED": "7"}).run(
        "import os; print(os.environ.get('MODEL_NAME'), os.environ.get('SEED'), os.environ.get('HOST_SECRET'))")
    assert r.stdout == "tiny-net 7 None\n"


def test_path_runs_a_script_from_its_directory(sb, shared_dir):
    (shared_dir / "helper.py").write_text("VALUE = 41\n")
    (shared_dir / "job.py").write_text("import sys, helper\nprint(helper.VALUE + 1, sys.argv[1], open('helper.py').read().strip())\n")
    for f in shared_dir.iterdir():
        os.chmod(f, 0o644)
    r = sb.run(path=shared_dir / "job.py", args=["arg"])
    assert r.stdout == "42 arg VALUE = 41\n", r.stderr


def test_numpy_under_strict(sb):
    r = sb.run(src("""
        import numpy as np
        rng = np.random.default_rng(0)
        a = rng.standard_normal((200, 200))
        print(np.__version__, round(float(np.linalg.norm(a @ a.T) > 0), 1), np.arange(10).sum())
    """))
    assert r.ok, r.stderr
    assert r.stdout.split()[1:] == ["1.0", "45"]


# ---- batches and stats --------------------------------------------------------------------------------
def test_batch_of_10_with_2_parallel(shared_dir):
    os.chmod(shared_dir, 0o777)
    sb = Sandbox(extra_args=["--bind", str(shared_dir)])
    job = src(f"""
        import sys, time
        i = int(sys.argv[1])
        t0 = time.time(); time.sleep({0.6 * SLOW}); t1 = time.time()
        open({str(shared_dir)!r} + f"/job{{i}}", "w").write(f"{{t0}} {{t1}}")
        print(i * i)
    """)
    results = sb.run_batch([{"code": job, "args": [i]} for i in range(10)], jobs_parallel=2)
    assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(10)]  # in job order
    assert all(r.ok for r in results)
    spans = [tuple(map(float, (shared_dir / f"job{i}").read_text().split())) for i in range(10)]
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, d in events:
        running += d
        peak = max(peak, running)
    assert peak == 2  # two at a time, never more
    s = sb.stats()
    assert (s.count, s.succeeded, s.failed, s.success_rate) == (10, 10, 0, 1.0)


def test_batch_jobs_as_strings_and_errors_do_not_stop_it():
    sb = Sandbox()
    rs = sb.run_batch(["print(1)", "import sys; sys.exit(5)", {"path": "/nonexistent/x.py"}], jobs_parallel=3)
    assert [(r.status, r.exit_code) for r in rs] == [("exited", 0), ("exited", 5), ("error", 127)]
    bad = Sandbox(memory="lots").run_batch(["print(1)", "print(2)"], jobs_parallel=2)
    assert [(r.status, r.exit_code) for r in bad] == [("error", 125)] * 2
    with pytest.raises(TypeError):
        sb.run_batch([42])


def test_stats_numbers():
    sb = Sandbox(timeout=1)
    codes = ["print('a')", "print('b')", "x = bytearray(32 << 20); print(len(x))",
             "import sys; sys.exit(2)", "import time; time.sleep(30)"]
    results = [sb.run(c) for c in codes]
    s = sb.stats()
    assert isinstance(s, Stats)
    assert (s.count, s.succeeded, s.failed) == (5, 3, 2)
    assert s.failed_by_status == {"exited": 1, "timeout": 1}
    assert s.success_rate == pytest.approx(0.6)
    walls = sorted(r.wall_ms for r in results)
    assert (s.wall_ms_p50, s.wall_ms_p95, s.wall_ms_max) == (walls[2], walls[4], walls[4])
    assert s.wall_ms_p95 >= 900  # the timeout run
    assert s.max_memory_peak_bytes == max(r.memory_peak_bytes for r in results) >= 32 << 20
    assert s.total_violations == sum(r.violation_count for r in results)
    sb.reset_stats()
    assert sb.stats().count == 0 and sb.stats().wall_ms_p50 is None


def _res(status="exited", code=0, wall=1.0, mem=0, violations=()):
    return Result(status, code, "", "", wall, mem, list(violations), {})


def test_compute_stats_percentiles_and_violations():
    rs = [_res(wall=w) for w in (50, 10, 40, 30, 20)] + [
        _res("oom", 137, 60, mem=300), _res("exited", 1, 70, violations=[{"kind": "seccomp", "count": 3}, {"kind": "x"}])]
    s = compute_stats(rs)
    assert (s.count, s.succeeded, s.failed_by_status) == (7, 5, {"exited": 1, "oom": 1})
    assert (s.wall_ms_p50, s.wall_ms_p95, s.wall_ms_max) == (40, 70, 70)  # nearest rank: 4th and 7th of 7
    assert (s.max_memory_peak_bytes, s.total_violations) == (300, 4)
    assert compute_stats([]) == Stats(0, 0, 0, {}, 0.0, None, None, None, 0, 0)


def test_stats_across_threads():
    sb = Sandbox()
    sb.run_batch(["print(1)"] * 6, jobs_parallel=3)
    sb.run("import sys; sys.exit(1)")
    s = sb.stats()
    assert (s.count, s.succeeded, s.failed_by_status) == (7, 6, {"exited": 1})


# ---- asyncio --------------------------------------------------------------------------------------
def test_async_run():
    sb = Sandbox()

    async def main():
        return await asyncio.gather(sb.arun("print('async')"), sb.arun("import sys; print(sys.stdin.read())", stdin="in"),
                                    sb.arun("import sys; sys.exit(4)"))
    a, b, c = asyncio.run(main())
    assert (a.stdout, b.stdout, c.exit_code) == ("async\n", "in\n", 4)
    assert sb.stats().count == 3


def test_async_timeout_and_setup_error():
    async def main():
        r = await Sandbox(timeout=1).arun("import time; time.sleep(30)")
        with pytest.raises(SandboxError, match="^mlrun: "):
            await Sandbox(cpus=-1).arun("print(1)")
        return r
    assert asyncio.run(main()).status == "timeout"


def test_async_batch():
    sb = Sandbox()
    rs = asyncio.run(sb.arun_batch([{"code": "import sys; print(sys.argv[1])", "args": [i]} for i in range(5)],
                                   jobs_parallel=2))
    assert [r.stdout for r in rs] == [f"{i}\n" for i in range(5)]


# ---- helpers ----------------------------------------------------------------------------------------
def test_format_report(sb):
    r = sb.run("import sys; sys.exit(3)")
    table = format_report(r)
    assert "status" in table and "exited (exit 3)" in table
    assert "memory peak" in table and "MiB" in table and r.report["id"] in table
    t = format_report(Sandbox(timeout=1).run("while True: pass"))
    assert "timeout (" in t and "exit 124)" in t


def test_self_test_returns_json_or_raises_with_mlruns_message(sb):
    try:
        out = sb.self_test()
    except SandboxError as e:
        assert "audit" in str(e) and "mlrun" in str(e)
    else:
        assert isinstance(out, (dict, list))


def test_find_mlrun(monkeypatch):
    assert mlsandbox.find_mlrun(MLRUN) == os.path.abspath(MLRUN)
    monkeypatch.setenv("MLRUN", "/nonexistent/mlrun")
    with pytest.raises(SandboxError, match="MLRUN"):
        mlsandbox.find_mlrun()
    monkeypatch.delenv("MLRUN")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert mlsandbox.find_mlrun() == str(REPO / "mlrun")  # the source tree's, for development


def test_policy_resolution(shared_dir):
    beside = Path(MLRUN).resolve().parent / "policies" / "strict.ini"  # the source tree's
    assert mlsandbox.resolve_policy("strict", MLRUN) == (str(beside) if beside.is_file() else "strict")
    assert mlsandbox.resolve_policy("mine.ini", MLRUN) == os.path.abspath("mine.ini")
    assert mlsandbox.resolve_policy("installed-only", MLRUN) == "installed-only"
    p = shared_dir / "tight.ini"
    p.write_text((REPO / "policies" / "strict.ini").read_text().replace("memory = 256M", "memory = 128M"))
    os.chmod(p, 0o644)
    r = Sandbox(policy=p, memory=None).run("print(1)")
    assert r.report["limits"]["memory_bytes"] == 128 << 20


def test_options_map_the_arguments():
    o = Sandbox(memory=1 << 30, cpus=2, timeout=2.5, network=True, env={"A": "1"}, files=["/etc/hostname"],
                pids=16).options()
    assert o[:1] == ["-q"]
    for pair in (["--memory", str(1 << 30)], ["--cpus", "2"], ["--timeout", "2500ms"], ["--net", "loopback"],
                 ["--pids", "16"], ["--ro-bind", "/etc/hostname"], ["--env", "A=1"]):
        assert any(o[i:i + 2] == pair for i in range(len(o))), pair
    o = Sandbox(policy=None, memory=None, cpus=None, timeout=None, network=None).options()
    assert o == ["-q"]


def test_typed_package():
    pkg = REPO / "python" / "mlsandbox"
    assert (pkg / "py.typed").exists()
    assert mlsandbox.Sandbox.run.__annotations__["return"] in ("Result", Result)


def test_package_imports_without_the_binary(tmp_path):
    """Importing needs nothing but the stdlib; only Sandbox() looks for mlrun."""
    import subprocess
    env = dict(os.environ, MLRUN="/nonexistent", PATH="/nonexistent", PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-c", "import mlsandbox, json; print(json.dumps(mlsandbox.__all__))"],
                       cwd=REPO / "python", env=env, capture_output=True, text=True)
    assert p.returncode == 0 and "Sandbox" in json.loads(p.stdout)
