#!/usr/bin/python3
"""Sandboxes per second: N runs of a command back to back (xargs -P1) and two at a time
(xargs -P2), timed as a whole. xargs appends one argument (a counter) that /bin/true ignores;
any failing run makes xargs exit non-zero and fails the benchmark.

With N >= 100 every measurement is repeated in 3 trials, interleaved over the tools; the best
trial is the rate the machine sustains when nothing else runs, the median the typical one. Each
rate is also given as a ratio to the floor's (the tool named "unshare") in the same run.

Tools named crun* run under the prefix in $THROUGHPUT_CRUN_PREFIX (a JSON list: bench/run.sh's
cgroup-masking namespace); there xargs's output goes to that namespace's scratch /dev/null, so
crun, which fchown()s its stdio, never gets one of the host's (docs/performance.md).

usage: throughput.py OUT.json N NAME COMMAND [NAME COMMAND]...
"""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def rate(name, cmd, n, jobs):
    feed = "".join(f"{i}\n" for i in range(n))
    argv = ["xargs", "-P", str(jobs), "-n", "1", "--"] + shlex.split(cmd)
    if name.startswith("crun"):  # the counter xargs appends is the container's id
        argv = json.loads(os.environ["THROUGHPUT_CRUN_PREFIX"]) + ["sh", "-c", 'exec "$@" >/dev/null 2>&1', "sh"] + argv
    t = time.monotonic()
    subprocess.run(argv, input=feed, text=True, check=True, stdout=subprocess.DEVNULL)
    return n / (time.monotonic() - t)


def main():
    out, n, pairs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    tools = list(zip(pairs[::2], pairs[1::2]))
    trials = 3 if n >= 100 else 1
    got = {name: {"serial": [], "parallel2": []} for name, _ in tools}
    for t in range(trials):
        for name, cmd in tools:
            got[name]["serial"].append(rate(name, cmd, n, 1))
            got[name]["parallel2"].append(rate(name, cmd, n, 2))
    res = {"n": n, "trials": trials, "tools": {}}
    floor = got.get("unshare")
    for name, _ in tools:
        g = got[name]
        res["tools"][name] = {
            "serial_per_s": round(max(g["serial"]), 1), "parallel2_per_s": round(max(g["parallel2"]), 1),
            "serial_median_per_s": round(statistics.median(g["serial"]), 1),
            "parallel2_median_per_s": round(statistics.median(g["parallel2"]), 1),
        }
        r = res["tools"][name]
        if floor:  # medians of the trials, against the floor's in the same run
            r["serial_x_floor"] = round(statistics.median(g["serial"]) / statistics.median(floor["serial"]), 2)
            r["parallel2_x_floor"] = round(statistics.median(g["parallel2"]) / statistics.median(floor["parallel2"]), 2)
        print(f"  {name:22s} {r['serial_per_s']:8.1f}/s serial, {r['parallel2_per_s']:8.1f}/s with 2 in parallel "
              f"(best of {trials})", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
