#!/usr/bin/python3
"""The table of `bench/run.sh --startup`: start-up medians side by side, ratios to the floor
(unshare -Urpmn --fork) and to bubblewrap taken within the same run, sandboxes per second (serial
and two at a time, as rates and ratios to the floor's), and the supervisors' peak RSS.

usage: quick_table.py RESULTS_DIR
       quick_table.py --one HYPERFINE.json TITLE    one start-up table (bench/vm-startup.bats)
"""
import json
import os
import statistics
import sys


def p95(t):
    t = sorted(t)
    return t[max(0, -(-95 * len(t) // 100) - 1)]


def startup(path, title):
    with open(path) as f:
        res = json.load(f)["results"]
    med = {r["command"]: statistics.median(r["times"]) * 1e3 for r in res}
    names = {r["command"]: r.get("name", r["command"]) for r in res}
    floor = next((m for c, m in med.items() if c.startswith("unshare")), None)
    ref = "bwrap" if any(c.startswith("bwrap") for c in med) else "crun"  # the VM has no bwrap row
    bwrap = next(m for c, m in med.items() if c.startswith(ref))
    direct = next((m for c, m in med.items() if names[c] == "direct"), None)
    print(f"\n#### {title}\n")
    print(f"| tool | median ms | p95 ms | min ms | × floor | × {ref} | − direct ms | runs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in res:
        t = [x * 1e3 for x in r["times"]]
        m = med[r["command"]]
        print(f"| {names[r['command']]} | {m:.2f} | {p95(t):.2f} | {min(t):.2f} | {m / floor:.2f} | {m / bwrap:.2f} "
              f"| {m - direct:+.2f} | {len(t)} |")


def throughput(path):
    with open(path) as f:
        thr = json.load(f)
    print(f"\n#### Sandboxes per second, /bin/true ({thr['n']} runs through xargs, median of {thr['trials']} "
          f"interleaved trials, best in brackets)\n")
    print("| tool | serial (-P1) /s | × floor | 2 at a time (-P2) /s | × floor |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, t in thr["tools"].items():
        print(f"| {name} | {t['serial_median_per_s']:.0f} ({t['serial_per_s']:.0f}) | {t.get('serial_x_floor', 0):.2f} "
              f"| {t['parallel2_median_per_s']:.0f} ({t['parallel2_per_s']:.0f}) | {t.get('parallel2_x_floor', 0):.2f} |")


def main():
    if sys.argv[1] == "--one":
        startup(sys.argv[2], sys.argv[3])
        return
    out = sys.argv[1]
    startup(os.path.join(out, "startup-true.json"), "Start-up, /bin/true")
    startup(os.path.join(out, "startup-pass.json"), "Start-up, python3 -c pass")
    throughput(os.path.join(out, "throughput.json"))
    with open(os.path.join(out, "memory.json")) as f:
        mem = json.load(f)["supervisor"]
    print("\n#### Supervisor peak RSS (kB)\n")
    print("| tool | VmHWM at exit | VmHWM sampled | RssAnon | RssFile |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, s in mem.items():
        print(f"| {name} | {s['at_exit']['VmHWM']} | {s['sampled']['VmHWM']} | {s['sampled']['RssAnon']} "
              f"| {s['sampled']['RssFile']} |")
    with open("/proc/loadavg") as f:
        print(f"\nload average at the end: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
