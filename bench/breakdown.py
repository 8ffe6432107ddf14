#!/usr/bin/python3
"""Where mlrun's start-up goes, next to bubblewrap and the unshare floor.

  steps    - `mlrun -v` step timings over N runs of /bin/true under the strict policy: median
             duration of every step (the supervisor's own steps and the child's, which the child
             timestamps and sends over its message pipe);
  perf     - `perf stat -r N` software counters per launch (task-clock = CPU time of every
             process of the run; context switches; page faults). Kernel threads' work (network
             namespace teardown) is not in task-clock. Hardware counters do not exist in this VM;
             if perf itself is missing or refused, the reason is recorded;
  strace   - `strace -f -c` summaries over a few runs: system time per syscall (-c), and wall
             time per syscall (-c -w: includes time blocked, e.g. the parent in wait/poll);
  phases   - no tracing: the program is bench/stamp.c (static, prints CLOCK_MONOTONIC and
             _exits); spawn -> stamp is the start-up up to the program's first instruction,
             stamp -> the caller's waitpid() returning is the exit path (pid 1, namespace
             teardown, reaping, report). Median of N runs per tool; direct exec is the baseline
             (posix_spawn and execve of the static binary);
  timeline - `strace -f -ttt -T` of single runs, cut into phases: tool start -> the program's
             execve, the execve, the program's run, the program's exit_group -> the tool's
             exit (pid 1 exit, namespace teardown, reaping, report), and the time the costliest
             namespace syscalls took (clone/clone3/unshare with CLONE_NEW*, the mount API,
             pivot_root). strace slows every syscall, so absolute numbers are inflated: read
             them as proportions.

usage: breakdown.py OUTDIR N MLRUN STRICT BWRAP_BASE UNSHARE STAMP
"""
import collections
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

STEP = re.compile(r"^mlrun: \[\+\s*([\d.]+) ms\]\s+([\d.]+) ms\s+(.*)$")
LINE = re.compile(r"^(\d+)\s+([\d.]+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*?)(?:<([\d.]+)>)?\s*$")
MOUNT_CALLS = {"mount", "umount2", "open_tree", "mount_setattr", "fsopen", "fsconfig", "fsmount", "move_mount",
               "pivot_root"}


def steps(mlrun, strict, n):
    per = collections.defaultdict(list)
    order = []
    for _ in range(n):
        r = subprocess.run([mlrun, "-v", "--policy", strict, "--workdir", "none", "-q", "--", "/bin/true"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise SystemExit(f"breakdown: mlrun -v failed ({r.returncode}): {r.stderr[-500:]}")
        for line in r.stderr.splitlines():
            m = STEP.match(line)
            if m:
                name = m.group(3).strip()
                if name not in per:
                    order.append(name)
                per[name].append(float(m.group(2)))
    return [{"step": s, "median_ms": round(statistics.median(per[s]), 3),
             "p90_ms": round(sorted(per[s])[int(0.9 * (len(per[s]) - 1))], 3)} for s in order]


def stamp_once(argv, who):
    """One run of argv, which ends in bench/stamp (it prints CLOCK_MONOTONIC and _exits):
    (spawn -> stamp, stamp -> waitpid returning), in ms."""
    r, w = os.pipe()
    t0 = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r)])
    _, st = os.waitpid(pid, 0)
    t2 = time.monotonic_ns()
    os.close(w)
    out = os.read(r, 64)
    os.close(r)
    if os.waitstatus_to_exitcode(st) != 0 or not out.strip():
        raise SystemExit(f"{who}: {argv} failed (wait status {st})")
    t1 = int(out)
    return (t1 - t0) / 1e6, (t2 - t1) / 1e6


def phases(prefix, stamp, n):
    """Median (spawn -> program's first instruction, program's exit -> caller's waitpid)."""
    argv = prefix + [stamp]
    starts, exits = [], []
    for _ in range(n):
        start, exit_ = stamp_once(argv, "breakdown")
        starts.append(start)
        exits.append(exit_)
    return {"start_ms": round(statistics.median(starts), 3), "exit_ms": round(statistics.median(exits), 3),
            "total_ms": round(statistics.median([x + y for x, y in zip(starts, exits)]), 3)}


def perf_stat(cmds, n):
    if subprocess.run(["sh", "-c", "command -v perf"], capture_output=True).returncode != 0:
        return {"unavailable": "perf is not installed"}
    res = {}
    for name, argv in cmds.items():
        r = subprocess.run(["perf", "stat", "-x", ",", "-r", str(n), "-e",
                            "task-clock,context-switches,cpu-migrations,page-faults", "--"] + argv,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return {"unavailable": f"perf stat failed: {r.stderr.strip()[-300:]}"}
        d = {}
        for line in r.stderr.splitlines():
            f = line.split(",")
            if len(f) >= 3 and f[2] in ("task-clock", "context-switches", "cpu-migrations", "page-faults"):
                try:
                    d[f[2]] = float(f[0])
                except ValueError:
                    d[f[2]] = None  # <not supported> / <not counted>
        res[name] = d
    return res


def strace_summary(argv, runs, wall, rawfile):
    tot = collections.defaultdict(lambda: [0.0, 0])
    for i in range(runs):
        path = f"{rawfile}.{i}"
        opts = ["-f", "-c"] + (["-w"] if wall else [])
        r = subprocess.run(["strace"] + opts + ["-o", path, "--"] + argv, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise SystemExit(f"breakdown: strace {argv} failed: {r.stderr[-300:]}")
        with open(path) as f:
            for line in f:
                p = line.split()
                # % time, seconds, usecs/call, calls, [errors], syscall
                if len(p) >= 5 and re.match(r"^[\d.]+$", p[0]) and p[-1] != "total":
                    tot[p[-1]][0] += float(p[1])
                    tot[p[-1]][1] += int(p[3])
        if i > 0:
            os.unlink(path)
    rows = sorted(tot.items(), key=lambda kv: -kv[1][0])
    total = sum(v[0] for _, v in rows) or 1
    return [{"syscall": k, "ms_per_run": round(v[0] * 1e3 / runs, 3), "calls_per_run": round(v[1] / runs, 1),
             "share": round(v[0] / total, 3)} for k, v in rows[:14]]


def timeline(argv, rawfile):
    r = subprocess.run(["strace", "-f", "-ttt", "-T", "-o", rawfile, "--"] + argv, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise SystemExit(f"breakdown: strace {argv} failed: {r.stderr[-300:]}")
    events = []  # (pid, t, name, args, dur)
    pending = {}
    with open(rawfile) as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, t = int(m.group(1)), float(m.group(2))
            name = m.group(3) or m.group(4)
            rest = m.group(5)
            dur = float(m.group(6)) if m.group(6) else None
            if m.group(4) and "<unfinished ...>" in rest:
                pending[(pid, name)] = (t, rest)
                continue
            if m.group(3):
                t0, args = pending.pop((pid, name), (t, ""))
                events.append((pid, t0, name, args + rest, dur))
            else:
                events.append((pid, t, name, rest, dur))
    events.sort(key=lambda e: e[1])
    root = events[0][0]
    start = events[0][1]
    execs = [e for e in events if e[2] == "execve" and e[0] != root]
    payload_exec = execs[-1] if execs else next(e for e in reversed(events) if e[2] == "execve")
    ppid = payload_exec[0]
    exits = [e for e in events if e[2] == "exit_group" and e[0] == ppid]
    root_exit = [e for e in events if e[2] == "exit_group" and e[0] == root]
    t_exec = payload_exec[1]
    t_exec_end = t_exec + (payload_exec[4] or 0)
    t_pexit = exits[-1][1] if exits else events[-1][1]
    t_end = root_exit[-1][1] if root_exit else events[-1][1]
    ns_calls = [e for e in events if e[2] in ("clone", "clone3", "unshare") and "CLONE_NEW" in e[3]]
    mount_ms = sum((e[4] or 0) for e in events if e[2] in MOUNT_CALLS) * 1e3
    return {
        "total_ms": round((t_end - start) * 1e3, 3),
        "start_to_exec_ms": round((t_exec - start) * 1e3, 3),
        "execve_ms": round((t_exec_end - t_exec) * 1e3, 3),
        "program_ms": round((t_pexit - t_exec_end) * 1e3, 3),
        "exit_to_end_ms": round((t_end - t_pexit) * 1e3, 3),
        "ns_clone_ms": round(sum((e[4] or 0) for e in ns_calls) * 1e3, 3),
        "ns_clone_calls": [f"{e[2]}({re.findall(r'CLONE_NEW[A-Z]+', e[3])}) {round((e[4] or 0) * 1e3, 3)} ms"
                           for e in ns_calls],
        "mount_api_ms": round(mount_ms, 3),
        "mount_api_calls": sum(1 for e in events if e[2] in MOUNT_CALLS),
        "syscalls": len(events),
        "processes": len({e[0] for e in events}),
    }


def median_timeline(argv, runs, rawfile):
    tls = [timeline(argv, f"{rawfile}") for _ in range(runs)]
    out = {}
    for k, v in tls[0].items():
        if isinstance(v, (int, float)):
            out[k] = round(statistics.median(t[k] for t in tls), 3)
        else:
            out[k] = tls[len(tls) // 2][k]
    return out


def main():
    outdir, n, mlrun, strict, bwrap_base, unshare, stamp = sys.argv[1:8]
    n = int(n)
    raw = os.path.join(outdir, "raw")
    os.makedirs(raw, exist_ok=True)
    cmds = {
        "direct": ["/bin/true"],
        "unshare": shlex.split(unshare) + ["/bin/true"],
        "bwrap": shlex.split(bwrap_base) + ["/bin/true"],
        "mlrun-strict": [mlrun, "--policy", strict, "--workdir", "none", "-q", "--", "/bin/true"],
    }
    res = {"method": __doc__.split("usage:")[0].strip()}
    res["steps"] = steps(mlrun, strict, n)
    print(f"  mlrun -v: {len(res['steps'])} steps, median of {n} runs", file=sys.stderr)
    sdir = os.path.dirname(stamp)
    pre = {
        "direct": [],
        "unshare": shlex.split(unshare),
        "bwrap": shlex.split(bwrap_base) + ["--ro-bind", sdir, sdir],
        "mlrun-strict": [mlrun, "--policy", strict, "--workdir", "none", "-q", "--ro-bind", sdir, "--"],
    }
    res["phases"] = {}
    for name, prefix in pre.items():
        res["phases"][name] = phases(prefix, stamp, max(n, 5))
        print(f"  phases {name}: start {res['phases'][name]['start_ms']} ms, exit {res['phases'][name]['exit_ms']} ms",
              file=sys.stderr)
    res["perf"] = perf_stat(cmds, n)
    print(f"  perf stat: {'unavailable: ' + res['perf']['unavailable'] if 'unavailable' in res['perf'] else 'ok'}",
          file=sys.stderr)
    runs = max(1, min(n, 20))
    res["strace_cpu"], res["strace_wall"], res["timeline"] = {}, {}, {}
    for name in ("unshare", "bwrap", "mlrun-strict"):
        res["strace_cpu"][name] = strace_summary(cmds[name], runs, False, os.path.join(raw, f"strace-c-{name}"))
        res["strace_wall"][name] = strace_summary(cmds[name], runs, True, os.path.join(raw, f"strace-cw-{name}"))
        res["timeline"][name] = median_timeline(cmds[name], max(1, min(n, 9)), os.path.join(raw, f"strace-T-{name}.txt"))
        print(f"  strace {name}: {res['timeline'][name]['total_ms']} ms traced, "
              f"ns clone {res['timeline'][name]['ns_clone_ms']} ms", file=sys.stderr)
    with open(os.path.join(outdir, "breakdown.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
