#!/usr/bin/python3
"""Start and exit phases of several tools, interleaved run by run (bench/breakdown.py's method:
the program is bench/stamp.c, which prints CLOCK_MONOTONIC and _exits; spawn -> stamp is the
start-up, stamp -> the caller's waitpid() returning is the exit path). Interleaving puts a burst
of other work on the host on every tool alike. Prints one markdown table of medians (and minima).

usage: phases.py STAMP N NAME=COMMAND...     (COMMAND: the prefix, split on blanks)
"""
import os
import shlex
import statistics
import sys
import time


def once(argv):
    r, w = os.pipe()
    t0 = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1),
                                                                    (os.POSIX_SPAWN_CLOSE, r)])
    _, st = os.waitpid(pid, 0)
    t2 = time.monotonic_ns()
    os.close(w)
    out = os.read(r, 64)
    os.close(r)
    if os.waitstatus_to_exitcode(st) != 0 or not out.strip():
        raise SystemExit(f"phases: {argv} failed (wait status {st})")
    t1 = int(out)
    return (t1 - t0) / 1e6, (t2 - t1) / 1e6


def main():
    stamp, n = sys.argv[1], int(sys.argv[2])
    tools = [a.split("=", 1) for a in sys.argv[3:]]
    res = {name: ([], []) for name, _ in tools}
    for _ in range(n):
        for name, cmd in tools:
            s, e = once(shlex.split(cmd) + [stamp])
            res[name][0].append(s)
            res[name][1].append(e)
    print("| tool | start median ms | exit median ms | exit min ms | total median ms | runs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (s, e) in res.items():
        tot = [x + y for x, y in zip(s, e)]
        print(f"| {name} | {statistics.median(s):.2f} | {statistics.median(e):.2f} | {min(e):.2f} "
              f"| {statistics.median(tot):.2f} | {len(s)} |")


if __name__ == "__main__":
    main()
