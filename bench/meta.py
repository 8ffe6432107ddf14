#!/usr/bin/python3
"""Record what a benchmark ran on: machine, kernel, date, versions, load.

usage: meta.py OUT.json MLRUN SMOKE
"""
import datetime
import json
import os
import platform
import subprocess
import sys


def cmd(*argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else ""
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def main():
    out, mlrun, smoke = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    try:
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    except OSError:
        debian = ""
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip() != ""
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "smoke": smoke,
        "host": platform.node(),
        "kernel": platform.release(),
        "debian": debian,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "mlrun": mlrun,
        "mlrun_commit": os.environ.get("MLRUN_COMMIT") or (commit + ("-dirty" if dirty else "")),
        "versions": {
            "hyperfine": cmd("hyperfine", "--version"),
            "bwrap": cmd("bwrap", "--version"),
            "crun": cmd("crun", "--version"),
            "firejail": cmd("firejail", "--version"),
            "unshare": cmd("unshare", "--version"),
            "strace": cmd("strace", "-V"),
            "python3": cmd("/usr/bin/python3", "--version"),
        },
    }
    with open(out, "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
