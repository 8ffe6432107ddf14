#!/usr/bin/python3
"""Sandboxes per second: N runs of a command back to back (xargs -P1) and two at a time
(xargs -P2), timed as a whole. xargs appends one argument (a counter) that /bin/true ignores;
any failing run makes xargs exit non-zero and fails the benchmark.

With N >= 100 every measurement is repeated in 3 trials, interleaved over the tools; the best
trial is the rate the machine sustains when nothing else runs, the median the typical one.

usage: throughput.py OUT.json N NAME COMMAND [NAME COMMAND]...
"""
import json
import shlex
import statistics
import subprocess
import sys
import time


def rate(cmd, n, jobs):
    feed = "".join(f"{i}\n" for i in range(n))
    t = time.monotonic()
    subprocess.run(["xargs", "-P", str(jobs), "-n", "1", "--"] + shlex.split(cmd), input=feed, text=True,
                   check=True, stdout=subprocess.DEVNULL)
    return n / (time.monotonic() - t)


def main():
    out, n, pairs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    tools = list(zip(pairs[::2], pairs[1::2]))
    trials = 3 if n >= 100 else 1
    got = {name: {"serial": [], "parallel2": []} for name, _ in tools}
    for t in range(trials):
        for name, cmd in tools:
            got[name]["serial"].append(rate(cmd, n, 1))
            got[name]["parallel2"].append(rate(cmd, n, 2))
    res = {"n": n, "trials": trials, "tools": {}}
    for name, _ in tools:
        g = got[name]
        res["tools"][name] = {
            "serial_per_s": round(max(g["serial"]), 1), "parallel2_per_s": round(max(g["parallel2"]), 1),
            "serial_median_per_s": round(statistics.median(g["serial"]), 1),
            "parallel2_median_per_s": round(statistics.median(g["parallel2"]), 1),
        }
        r = res["tools"][name]
        print(f"  {name:22s} {r['serial_per_s']:8.1f}/s serial, {r['parallel2_per_s']:8.1f}/s with 2 in parallel "
              f"(best of {trials})", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
