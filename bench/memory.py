#!/usr/bin/python3
"""Memory: the supervisor's own peak RSS, and what an idle sandbox costs on top of its program.

Supervisor peak RSS (two methods, both reported):
  sampled  - run `TOOL -- /bin/sleep` and read VmHWM (peak RSS), VmRSS, RssAnon and RssFile
             from /proc/<supervisor>/status every 2 ms for the whole run; the largest VmHWM
             seen is the peak up to the program's end (what it allocates while writing the
             report after that is not seen);
  at exit  - run `TOOL -- /bin/true` under bench/peakrss.c, which stops the supervisor at its
             exit (ptrace, PTRACE_O_TRACEEXIT only) and reads VmHWM then: the peak over the
             whole run, report included (the largest of 20 runs). wait4()'s ru_maxrss is not used:
             it also covers every reaped descendant and the pre-execve image of the process
             that forked the supervisor.
  RSS counts shared library pages that are resident anyway (libc...): RssAnon is what the
  supervisor itself allocated.

Idle-sandbox overhead (no usable cgroup v2 here, so no memory.current): start the program
(`sleep`, or python3 sleeping after start-up) alone and under each tool; once it is idle, sum
over the whole process tree (the tool's supervisor, the sandbox's pid 1, the program) the RSS,
the PSS (/proc/PID/smaps_rollup: shared pages divided among the processes mapping them) and the
USS (Private_Clean + Private_Dirty: what killing the process would free). The overhead is the
tree's total minus the program alone. PSS is the fairest sum; it moves a little with whatever
else maps the same libraries on the host.

usage: memory.py OUT.json SCALE PEAKRSS MLRUN STRICT DEFAULT BWRAP_BASE UNSHARE
"""
import json
import os
import shlex
import subprocess
import sys
import time


def status(pid):
    d = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Name", "PPid"):
                    d[k] = v.strip()
                elif k.startswith("Vm") or k.startswith("Rss"):
                    d[k] = int(v.split()[0])
    except OSError:
        return None
    return d


def rollup(pid):
    d = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":"):
                    d[parts[0][:-1]] = int(parts[1])
    except OSError:
        return None
    return d


def children_map():
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(p))
    return kids


def tree(root):
    kids, out, todo = children_map(), [], [root]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(sorted(kids.get(p, [])))
    return out


def rss_by_mapping(pid):
    """Resident kB per mapped file (or [heap], [stack], anonymous) from /proc/PID/smaps."""
    by, name = {}, None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if "-" in parts[0] and ":" not in parts[0]:
                    name = os.path.basename(parts[5]) if len(parts) > 5 else "[anonymous]"
                elif parts[0] == "Rss:":
                    by[name] = by.get(name, 0) + int(parts[1])
    except OSError:
        return {}
    return dict(sorted(by.items(), key=lambda kv: -kv[1]))


def peak_sampled(prefix, seconds):
    argv = prefix + ["/bin/sleep", str(seconds)]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    best, mapping, t0 = None, {}, time.monotonic()
    while p.poll() is None:
        st = status(p.pid)
        if st and "VmHWM" in st and (best is None or st["VmHWM"] >= best["VmHWM"]):
            best = st
        if not mapping and time.monotonic() - t0 > seconds / 2:
            mapping = rss_by_mapping(p.pid)
        time.sleep(0.002)
    if p.returncode != 0:
        raise SystemExit(f"memory: {argv} exited {p.returncode}")
    out = {k: best.get(k) for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem")} if best else None
    if out is not None:
        out["rss_by_mapping_kb"] = mapping
    return out


def peak_at_exit(peakrss, prefix, repeat):
    """VmHWM read by bench/peakrss.c when the supervisor exits (ptrace exit stop)."""
    best = None
    for _ in range(repeat):
        r = subprocess.run([peakrss] + prefix + ["/bin/true"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"memory: peakrss {prefix} /bin/true exited {r.returncode}: {r.stderr[-300:]}")
        d = json.loads(r.stdout.strip().splitlines()[-1])
        if best is None or d["VmHWM"] > best["VmHWM"]:
            best = d
    return best


def idle_tree(prefix, program, settle):
    """Start prefix+program, wait until it idles, measure every process of its tree."""
    p = subprocess.Popen(prefix + program, stdin=subprocess.DEVNULL)
    time.sleep(settle)
    procs = []
    for pid in tree(p.pid):
        st, ro = status(pid), rollup(pid)
        if not st or not ro:
            continue
        procs.append({"pid": pid, "name": st.get("Name"), "rss_kb": ro.get("Rss", 0), "pss_kb": ro.get("Pss", 0),
                      "uss_kb": ro.get("Private_Clean", 0) + ro.get("Private_Dirty", 0),
                      "anon_kb": ro.get("Anonymous", 0)})
    p.wait()
    if p.returncode != 0:
        raise SystemExit(f"memory: {prefix + program} exited {p.returncode}")
    total = {k: sum(x[k] for x in procs) for k in ("rss_kb", "pss_kb", "uss_kb", "anon_kb")}
    return {"processes": procs, "total": total}


def main():
    out, scale, peakrss, mlrun, strict, default, bwrap_base, unshare = sys.argv[1:9]
    scale = float(scale)
    tools = {
        "direct": [],
        "unshare": shlex.split(unshare),
        "bwrap": shlex.split(bwrap_base),
        "mlrun-strict": [mlrun, "--policy", strict, "--workdir", "none", "-q", "--"],
        "mlrun-default": [mlrun, "--policy", default, "--workdir", "none", "-q", "--"],
    }
    res = {"supervisor": {}, "idle": {}, "method": __doc__.split("usage:")[0].strip()}
    repeat = 20 if scale >= 1 else 2
    for name, prefix in tools.items():
        if not prefix:
            continue
        res["supervisor"][name] = {
            "sampled": peak_sampled(prefix, round(0.5 * scale, 2)),
            "at_exit": peak_at_exit(peakrss, prefix, repeat),
        }
        s = res["supervisor"][name]
        print(f"  {name:14s} supervisor VmHWM {s['sampled']['VmHWM']} kB (RssAnon {s['sampled']['RssAnon']} kB), "
              f"at exit VmHWM {s['at_exit']['VmHWM']} kB", file=sys.stderr)

    sleep_s = round(1.0 * scale + 0.3, 2)
    programs = {
        "sleep": (["/bin/sleep", str(sleep_s)], 0.3 * scale + 0.1),
        "python3 idle": (["/usr/bin/python3", "-c", f"import time; time.sleep({sleep_s + 1})"], 0.8 * scale + 0.3),
    }
    for prog, (argv, settle) in programs.items():
        res["idle"][prog] = {}
        for name, prefix in tools.items():
            r = idle_tree(prefix, argv, settle)
            res["idle"][prog][name] = r
        alone = res["idle"][prog]["direct"]["total"]
        for name, r in res["idle"][prog].items():
            r["overhead"] = {k: r["total"][k] - alone[k] for k in alone}
            print(f"  {prog:13s} {name:14s} PSS {r['total']['pss_kb']:6d} kB (+{r['overhead']['pss_kb']}), "
                  f"RSS {r['total']['rss_kb']:6d} kB (+{r['overhead']['rss_kb']}), "
                  f"{len(r['processes'])} processes", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
