#!/usr/bin/python3
"""Turn bench/results/*.json into results.md (every table), startup.svg (bar chart) and a
summary on stdout: medians, p95, ratios to the unshare floor and to bubblewrap, the issue's
targets and whether each is met. Standard library only.

usage: report.py RESULTS_DIR
       report.py --oci RESULTS_DIR   (only the mlrun-oci against crun tables, on stdout)
"""
import html
import json
import math
import os
import statistics
import sys

WORKLOADS = [("true", "/bin/true"), ("pass", "python3 -c pass"), ("numpy", 'python3 -c "import numpy"')]
ORDER = ["direct", "unshare", "bwrap", "crun", "firejail", "mlrun-strict", "mlrun-default"]
LABEL = {"direct": "direct exec", "unshare": "unshare -Urpmn --fork (floor)", "bwrap": "bubblewrap",
         "crun": "crun", "firejail": "firejail", "mlrun-strict": "mlrun --policy strict",
         "mlrun-default": "mlrun --policy default"}
COLOR = {"direct": "#9e9e9e", "unshare": "#607d8b", "bwrap": "#ff9800", "crun": "#8e24aa", "firejail": "#795548",
         "mlrun-strict": "#1e88e5", "mlrun-default": "#43a047"}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def p95(xs):
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def stats(results):
    """hyperfine results -> {name: {median, p95, mean, stddev, min, runs}} in ms."""
    out = {}
    for r in results:
        t = [x * 1e3 for x in r["times"]]
        out[r["command"]] = {"median": statistics.median(t), "p95": p95(t), "mean": statistics.mean(t),
                             "stddev": statistics.stdev(t) if len(t) > 1 else 0.0, "min": min(t), "runs": len(t)}
    return out


def hf(path):
    d = load(path)
    return stats(d["results"]) if d else {}


def f(x, nd=2):
    return "–" if x is None else f"{x:.{nd}f}"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def svg_chart(startup, path):
    """Three panels (one per workload, each on its own scale): median bars, p95 whiskers."""
    bar_h, gap, left, width, top = 18, 6, 210, 470, 40
    panels, y = [], top
    for w, title in WORKLOADS:
        st = startup.get(w) or {}
        tools = [t for t in ORDER if t in st]
        if not tools:
            continue
        panels.append((w, title, tools, st, y))
        y += 28 + len(tools) * (bar_h + gap) + 24
    height = y + 10
    total_w = left + width + 170
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
         f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
         f'<rect width="{total_w}" height="{height}" fill="white"/>',
         f'<text x="10" y="22" font-size="15" font-weight="bold">Sandbox start-up: median wall time '
         f'(bar) and p95 (whisker), ms — lower is better</text>']
    for w, title, tools, st, y0 in panels:
        vmax = max(st[t]["p95"] for t in tools) * 1.05
        scale = width / vmax
        o.append(f'<text x="10" y="{y0 + 16}" font-size="13" font-weight="bold">{html.escape(title)}</text>')
        y = y0 + 28
        for t in tools:
            s = st[t]
            bw = max(1.0, s["median"] * scale)
            o.append(f'<text x="{left - 8}" y="{y + bar_h - 5}" text-anchor="end">{html.escape(LABEL[t])}</text>')
            o.append(f'<rect x="{left}" y="{y}" width="{bw:.1f}" height="{bar_h}" fill="{COLOR[t]}"/>')
            px = left + s["p95"] * scale
            o.append(f'<line x1="{left + bw:.1f}" y1="{y + bar_h / 2}" x2="{px:.1f}" y2="{y + bar_h / 2}" '
                     f'stroke="black" stroke-width="1"/>')
            o.append(f'<line x1="{px:.1f}" y1="{y + 4}" x2="{px:.1f}" y2="{y + bar_h - 4}" stroke="black"/>')
            o.append(f'<text x="{px + 6:.1f}" y="{y + bar_h - 5}">{s["median"]:.2f} ms (p95 {s["p95"]:.2f})</text>')
            y += bar_h + gap
        o.append(f'<line x1="{left}" y1="{y0 + 24}" x2="{left}" y2="{y}" stroke="#333"/>')
    o.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(o) + "\n")


OCI_TABLES = [("oci-runtime.json", "The runtime alone: `RUNTIME run --bundle B ID` of one bundle (/bin/true)"),
              ("oci-podman.json", "Under podman: `podman run --rm IMAGE true` (local busybox image, vfs storage)")]


def oci_tables(d):
    """bench/run.sh step 7: mlrun-oci against crun, ms; × crun = median / crun's median (same run)."""
    md = []
    for name, title in OCI_TABLES:
        st = hf(os.path.join(d, name))
        if not st:
            continue
        base = st.get("crun", {}).get("median")
        rows = [[t, f(s["median"]), f(s["p95"]), f"{f(s['mean'])} ± {f(s['stddev'])}",
                 f(s["min"]), f(s["median"] / base) if base else "–", s["runs"]] for t, s in sorted(st.items(), key=lambda kv: kv[0] != "crun")]
        md += [f"### {title}", "", table(["runtime", "median", "p95", "mean ± σ", "min", "× crun", "runs"], rows), ""]
    return md


def main():
    if sys.argv[1] == "--oci":
        print("\n".join(oci_tables(sys.argv[2])))
        return
    d = sys.argv[1]
    meta = load(os.path.join(d, "meta.json")) or {}
    notes = []
    if os.path.exists(os.path.join(d, "notes.txt")):
        notes = [l.strip() for l in open(os.path.join(d, "notes.txt")) if l.strip()]
    startup = {}
    for w, _ in WORKLOADS:
        st = hf(os.path.join(d, f"startup-{w}.json"))
        if st:
            startup[w] = st

    md = ["# mlrun benchmark results", ""]
    if meta:
        md += [f"- date: {meta['date']}{' (SMOKE RUN: 3 runs per command, numbers are not meaningful)' if meta.get('smoke') else ''}",
               f"- machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gib']} GiB; kernel {meta['kernel']}; "
               f"Debian {meta['debian']}",
               f"- load average at start: {' '.join(meta['loadavg_start'])}; "
               f"at end: {' '.join(open('/proc/loadavg').read().split()[:3])}",
               f"- mlrun {meta['mlrun_commit']}; " + "; ".join(f"{k} {v}" for k, v in meta["versions"].items()),
               "- command: `make bench` (bench/run.sh)", ""]
    for n in notes:
        md.append(f"- note: {n}")
    if notes:
        md.append("")

    # ---- start-up
    md += ["## Start-up, side by side", "",
           "Wall time of one whole run (hyperfine -N, no shell), in ms. × floor = median / median of "
           "`unshare -Urpmn --fork` for the same program; × bwrap = median / bubblewrap's median.", ""]
    summary = []
    for w, title in WORKLOADS:
        st = startup.get(w)
        if not st:
            continue
        floor = st.get("unshare", {}).get("median")
        bw = st.get("bwrap", {}).get("median")
        rows = []
        for t in ORDER:
            if t not in st:
                continue
            s = st[t]
            rows.append([LABEL[t], f(s["median"]), f(s["p95"]), f"{f(s['mean'])} ± {f(s['stddev'])}", f(s["min"]),
                         f(s["median"] / floor) if floor else "–", f(s["median"] / bw) if bw else "–", s["runs"]])
        md += [f"### {title}", "", table(["tool", "median", "p95", "mean ± σ", "min", "× floor", "× bwrap", "runs"], rows), ""]
        summary.append((title, rows))

    # ---- targets
    tg = []
    st_true, st_pass = startup.get("true", {}), startup.get("pass", {})
    mem = load(os.path.join(d, "memory.json"))
    thr = load(os.path.join(d, "throughput.json"))
    if "mlrun-strict" in st_true and "unshare" in st_true:
        r = st_true["mlrun-strict"]["median"] / st_true["unshare"]["median"]
        tg.append(["strict /bin/true ≤ 1.2× the unshare floor", f"{r:.2f}× ({f(st_true['mlrun-strict']['median'])} "
                   f"vs {f(st_true['unshare']['median'])} ms)", "met" if r <= 1.2 else "NOT met"])
    if "mlrun-strict" in st_true and "bwrap" in st_true:
        r = st_true["mlrun-strict"]["median"] / st_true["bwrap"]["median"]
        tg.append(["strict /bin/true faster than bwrap", f"{r:.2f}× bwrap ({f(st_true['mlrun-strict']['median'])} vs "
                   f"{f(st_true['bwrap']['median'])} ms)", "met" if r < 1 else "NOT met"])
    if "mlrun-strict" in st_pass and "direct" in st_pass:
        dlt = st_pass["mlrun-strict"]["median"] - st_pass["direct"]["median"]
        tg.append(["python3 -c pass under strict ≤ 3 ms slower than direct", f"+{f(dlt)} ms "
                   f"({f(st_pass['mlrun-strict']['median'])} vs {f(st_pass['direct']['median'])} ms)",
                   "met" if dlt <= 3 else "NOT met"])
    if mem and "mlrun-strict" in mem["supervisor"]:
        s = mem["supervisor"]["mlrun-strict"]
        hwm = max(s["sampled"]["VmHWM"], s["at_exit"]["VmHWM"])
        tg.append(["supervisor peak RSS ≤ 2 MB", f"VmHWM {hwm / 1024:.2f} MiB = {hwm} kB (of which RssAnon "
                   f"{s['at_exit']['RssAnon']} kB, RssFile {s['at_exit']['RssFile']} kB at exit)",
                   "met" if hwm <= 2048 else "NOT met"])
    if thr and "mlrun-strict" in thr["tools"]:
        t = thr["tools"]["mlrun-strict"]
        p, q = t["parallel2_per_s"], t["serial_per_s"]
        tg.append(["≥ 300 sandboxes/s serial and ≥ 500/s two at a time", f"{q:.0f}/s serial, {p:.0f}/s with 2 in "
                   f"parallel, best trials ({t.get('serial_x_floor', 0):.2f}× and {t.get('parallel2_x_floor', 0):.2f}× "
                   "the floor's rates, medians)", "met" if p >= 500 and q >= 300 else "NOT met"])
    md += ["## The issue's targets", "", table(["target", "measured", "today"], tg), ""]

    # ---- network namespace
    ns = hf(os.path.join(d, "netns.json"))
    loop = load(os.path.join(d, "netns-loop.json"))
    if ns:
        md += ["## What a network namespace costs", "", "hyperfine, /bin/true, ms:", ""]
        rows = [[k, f(v["median"]), f(v["p95"]), f(v["min"]), v["runs"]] for k, v in ns.items()]
        md += [table(["command", "median", "p95", "min", "runs"], rows), ""]
        pairs = [("unshare -Ur", "unshare -Urn"), ("unshare -Urpm --fork", "unshare -Urpmn --fork"),
                 ("mlrun-strict net=host", "mlrun-strict")]
        md += [", ".join(f"`{b}` − `{a}` = {f(ns[b]['median'] - ns[a]['median'])} ms" for a, b in pairs
                         if a in ns and b in ns) + " (difference of medians).", ""]
    if loop:
        rows = []
        for name, runs in loop["variants"].items():
            for r in runs:
                rows.append([name, r["n"], f(r["loop_s"] * 1e3 / r["n"], 3), f(r["first_tenth_median_ms"], 3),
                             f(r["last_tenth_median_ms"], 3), f(r["children_cpu_ms"], 1), f(r["kthread_cpu_ms"], 1),
                             f"{r['netns_slab_before']} → {r['netns_slab_after']} (peak {r['netns_slab_peak']})",
                             f"{r.get('slab_percpu_delta_kb', '–')}",
                             f"not within {r.get('settle_window_s', '')} s" if r["drained_after_ms"] is None
                             else f"{r['drained_after_ms']} ms"])
        md += ["Back-to-back loops (bench/netns_loop.py; rounds in the order A B B A):", "",
               table(["command", "runs", "ms/run", "median first 10%", "median last 10%", "CPU of the runs, ms",
                      "kernel-thread CPU, ms", "net_namespace slab objects", "Slab+Percpu Δ kB",
                      "back to baseline after"], rows), ""]
        if loop.get("parallel"):
            rows = [[k, f(v["serial_per_s"], 0), f(v["parallel2_per_s"], 0),
                     f(v["parallel2_per_s"] / v["serial_per_s"], 2)] for k, v in loop["parallel"].items()]
            md += [f"Runs per second, one loop against two concurrent loops ({loop['variants'][next(iter(loop['variants']))][0]['n']} runs):", "",
                   table(["command", "serial /s", "2 loops /s", "speed-up"], rows), ""]

    # ---- memory
    if mem:
        md += ["## Memory", "", "### Supervisor peak RSS", ""]
        rows = []
        for name, s in mem["supervisor"].items():
            sm = s["sampled"]
            ex = s["at_exit"]
            rows.append([name, sm["VmHWM"], sm["RssAnon"], sm["RssFile"], ex["VmHWM"], ex["RssAnon"], ex["RssFile"]])
        md += ["Sampled: /proc/PID/status every 2 ms while the program (`sleep`) runs. At exit: read when the "
               "supervisor exits after running /bin/true (bench/peakrss.c, ptrace exit stop), largest of 20 runs. "
               "RssFile is mostly shared libraries' pages (also resident for other processes); RssAnon is the "
               "process's own memory.", "",
               table(["tool (supervisor process)", "VmHWM kB (sampled)", "RssAnon kB", "RssFile kB",
                      "VmHWM kB (at exit)", "RssAnon kB", "RssFile kB"], rows), ""]
        sm = mem["supervisor"].get("mlrun-strict", {}).get("sampled") or {}
        if sm.get("rss_by_mapping_kb"):
            md += ["mlrun's supervisor, resident kB per mapping (/proc/PID/smaps while the program runs): " +
                   ", ".join(f"{k} {v}" for k, v in sm["rss_by_mapping_kb"].items()), ""]
        for prog, tools in mem["idle"].items():
            md += [f"### Idle sandbox: {prog}", ""]
            rows = []
            for name, r in tools.items():
                procs = ", ".join(f"{p['name']} {p['pss_kb']}" for p in r["processes"])
                rows.append([name, len(r["processes"]), r["total"]["pss_kb"], f"+{r['overhead']['pss_kb']}",
                             r["total"]["rss_kb"], f"+{r['overhead']['rss_kb']}", r["total"]["uss_kb"],
                             f"+{r['overhead']['uss_kb']}", procs])
            md += [table(["tool", "processes", "PSS kB", "overhead PSS", "RSS kB", "overhead RSS", "USS kB",
                          "overhead USS", "PSS per process (kB)"], rows), ""]

    # ---- throughput
    if thr:
        md += ["## Throughput", "", f"{thr['n']} runs of /bin/true through xargs, sandboxes per second, best of "
               f"{thr.get('trials', 1)} interleaved trials (median of the trials in brackets):", ""]
        rows = [[n, f"{f(t['serial_per_s'], 0)} ({f(t.get('serial_median_per_s'), 0)})", f(t.get("serial_x_floor"), 2),
                 f"{f(t['parallel2_per_s'], 0)} ({f(t.get('parallel2_median_per_s'), 0)})",
                 f(t.get("parallel2_x_floor"), 2)] for n, t in thr["tools"].items()]
        md += [table(["tool", "serial (xargs -P1)", "× floor (medians)", "2 in parallel (xargs -P2)",
                      "× floor (medians)"], rows), ""]

    # ---- scaling
    binds = hf(os.path.join(d, "binds.json"))
    if binds:
        md += ["## Scaling", "", "Start-up of /bin/true against the number of extra `--ro-bind`s of distinct "
               "directories (ms, median; Δ/bind = (median − median at 0) / binds):", ""]
        rows = []
        for n in (0, 1, 10, 100):
            m = binds.get(f"mlrun-strict binds={n}")
            b = binds.get(f"bwrap binds={n}")
            m0 = binds.get("mlrun-strict binds=0")
            b0 = binds.get("bwrap binds=0")
            rows.append([f"binds: {n}", f(m and m["median"]), f(m and m["p95"]),
                         f((m["median"] - m0["median"]) / n, 3) if n and m and m0 else "–",
                         f(b and b["median"]), f((b["median"] - b0["median"]) / n, 3) if n and b and b0 else "–"])
        md += [table(["axis", "mlrun-strict median", "p95", "Δ/bind", "bwrap median", "bwrap Δ/bind"], rows), ""]
    rules = hf(os.path.join(d, "seccomp-rules.json"))
    if rules:
        md += ["Start-up of /bin/true under the default profile plus N extra `deny_syscalls` (ms; the "
               "filter is compiled on every run):", ""]
        rows = []
        r0 = rules.get("mlrun-default deny=0")
        for n in (0, 10, 50, 100):
            m = rules.get(f"mlrun-default deny={n}")
            rows.append([f"deny rules: {n}", f(m and m["median"]), f(m and m["p95"]),
                         f((m["median"] - r0["median"]) / n, 3) if n and m and r0 else "–"])
        md += [table(["axis", "mlrun-default median", "p95", "Δ/rule"], rows), ""]

    # ---- mlrun-oci against crun
    oci = oci_tables(d)
    if oci:
        md += ["## mlrun-oci against crun", "", "Wall time, ms (hyperfine -N); × crun = median / crun's median in "
               "the same rounds. crun runs with a scratch /dev/null and no cgroup tree (CRUN_NS in bench/run.sh).", ""]
        md += oci

    # ---- breakdown
    bd = load(os.path.join(d, "breakdown.json"))
    if bd:
        md += ["## Where mlrun's start-up goes", "", "### `mlrun -v` steps (strict, /bin/true)", ""]
        rows = [[s["step"], f(s["median_ms"], 3), f(s["p90_ms"], 3)] for s in bd["steps"]]
        rows.append(["**sum of medians**", f(sum(s["median_ms"] for s in bd["steps"]), 3), ""])
        md += [table(["step", "median ms", "p90 ms"], rows), ""]
        if bd.get("phases"):
            md += ["### Before and after the program (bench/stamp.c, no tracing)", "",
                   "start = spawn → the program's first instruction; exit = the program's `_exit` → the "
                   "caller's `waitpid` returns (pid 1, namespace teardown, reaping, report). Medians, ms; "
                   "the extra columns subtract direct exec (posix_spawn + execve of a static binary).", ""]
            d0 = bd["phases"].get("direct")
            rows = [[n, f(p["start_ms"], 3), f(p["exit_ms"], 3), f(p["total_ms"], 3),
                     f(p["start_ms"] - d0["start_ms"], 3) if d0 else "–", f(p["exit_ms"] - d0["exit_ms"], 3) if d0 else "–"]
                    for n, p in bd["phases"].items()]
            md += [table(["tool", "start", "exit", "total", "start − direct", "exit − direct"], rows), ""]
        if "unavailable" in bd["perf"]:
            md += [f"perf stat: unavailable ({bd['perf']['unavailable']}).", ""]
        else:
            md += ["### perf stat (software counters, per run)", ""]
            rows = [[n, f(c.get("task-clock"), 2), f(c.get("context-switches"), 1), f(c.get("cpu-migrations"), 1),
                     f(c.get("page-faults"), 0)] for n, c in bd["perf"].items()]
            md += [table(["tool", "task-clock ms (CPU)", "context switches", "CPU migrations", "page faults"], rows), ""]
        md += ["### strace timeline (single runs, median; inflated by strace)", ""]
        rows = []
        for n, t in bd["timeline"].items():
            rows.append([n, f(t["total_ms"]), f(t["start_to_exec_ms"]), f(t["execve_ms"]), f(t["program_ms"]),
                         f(t["exit_to_end_ms"]), f(t["ns_clone_ms"], 3), f"{f(t['mount_api_ms'], 3)} ({t['mount_api_calls']})",
                         t["syscalls"], t["processes"]])
        md += [table(["tool", "total", "start → exec", "execve", "program", "exit → end", "ns clone/unshare",
                      "mount API ms (calls)", "syscalls", "processes"], rows), ""]
        for kind, title in (("strace_cpu", "system time (`strace -f -c`; wait4 also carries the reaped "
                                           "children's system time, taken from rusage)"),
                            ("strace_wall", "wall time (`strace -f -c -w`; includes time blocked)")):
            md += [f"### Top syscalls by {title}", ""]
            for n, rows_ in bd[kind].items():
                md += [f"{n}: " + ", ".join(f"{r['syscall']} {r['ms_per_run']:.3f} ms/{r['calls_per_run']:g}"
                                            for r in rows_[:10]), ""]

    with open(os.path.join(d, "results.md"), "w") as fh:
        fh.write("\n".join(md))
    svg_chart(startup, os.path.join(d, "startup.svg"))

    # ---- stdout: the headline
    for title, rows in summary:
        print(f"\n{title}")
        print(f"  {'tool':32s} {'median':>8s} {'p95':>8s} {'×floor':>7s} {'×bwrap':>7s}")
        for r in rows:
            print(f"  {r[0]:32s} {r[1]:>8s} {r[2]:>8s} {r[5]:>7s} {r[6]:>7s}")
    if tg:
        print("\ntargets:")
        for t in tg:
            print(f"  [{t[2]:7s}] {t[0]}: {t[1]}")


if __name__ == "__main__":
    main()
