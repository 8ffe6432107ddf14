#!/usr/bin/python3
"""Merge the hyperfine --export-json files of several rounds into one, in hyperfine's format.

The benchmark runs every comparison in rounds (each round runs every command, in a rotated
order): load from other work on the host then falls on all commands alike instead of on the one
that happened to be running. Times of a command are concatenated over the rounds and its
statistics recomputed.

usage: merge_hf.py OUT.json ROUND.json...
"""
import json
import statistics
import sys


def main():
    out, parts = sys.argv[1], sys.argv[2:]
    merged, order = {}, []
    for p in parts:
        with open(p) as f:
            for r in json.load(f)["results"]:
                m = merged.get(r["command"])
                if m is None:
                    merged[r["command"]] = m = {"command": r["command"], "times": [], "user": [], "system": [],
                                                "exit_codes": []}
                    order.append(r["command"])
                n = len(r["times"])
                m["times"] += r["times"]
                m["exit_codes"] += r.get("exit_codes", [0] * n)
                # hyperfine gives mean user/system per command; weight them by the round's runs
                m["user"] += [r["user"]] * n
                m["system"] += [r["system"]] * n
    results = []
    for c in order:
        m = merged[c]
        t = m["times"]
        results.append({
            "command": c,
            "mean": statistics.mean(t),
            "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
            "median": statistics.median(t),
            "user": statistics.mean(m["user"]),
            "system": statistics.mean(m["system"]),
            "min": min(t),
            "max": max(t),
            "times": t,
            "exit_codes": m["exit_codes"],
            "rounds": len(parts),
        })
    with open(out, "w") as f:
        json.dump({"results": results}, f, indent=1)


if __name__ == "__main__":
    main()
