#!/usr/bin/python3
"""Start and exit phases of several tools, interleaved run by run (bench/breakdown.py's method:
the program is bench/stamp.c, which prints CLOCK_MONOTONIC and _exits; spawn -> stamp is the
start-up, stamp -> the caller's waitpid() returning is the exit path). Interleaving puts a burst
of other work on the host on every tool alike. Prints one markdown table of medians (and minima).

usage: phases.py STAMP N NAME=COMMAND...     (COMMAND: the prefix, split on blanks)
"""
import shlex
import statistics
import sys

from breakdown import stamp_once  # the same method, one implementation


def main():
    stamp, n = sys.argv[1], int(sys.argv[2])
    tools = [a.split("=", 1) for a in sys.argv[3:]]
    res = {name: ([], []) for name, _ in tools}
    for _ in range(n):
        for name, cmd in tools:
            s, e = stamp_once(shlex.split(cmd) + [stamp], "phases")
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
