#!/usr/bin/python3
"""Sandboxes per second: N runs of a command back to back (xargs -P1) and two at a time
(xargs -P2), timed as a whole. xargs appends one argument (a counter) that /bin/true ignores;
any failing run makes xargs exit non-zero and fails the benchmark.

usage: throughput.py OUT.json N NAME COMMAND [NAME COMMAND]...
"""
import json
import shlex
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
    res = {"n": n, "tools": {}}
    for name, cmd in zip(pairs[::2], pairs[1::2]):
        serial = rate(cmd, n, 1)
        parallel = rate(cmd, n, 2)
        res["tools"][name] = {"serial_per_s": round(serial, 1), "parallel2_per_s": round(parallel, 1)}
        print(f"  {name:14s} {serial:8.1f}/s serial, {parallel:8.1f}/s with 2 in parallel", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
