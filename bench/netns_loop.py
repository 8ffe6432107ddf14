#!/usr/bin/python3
"""What a new network namespace costs beyond its creation: back-to-back loops of
`unshare -Ur /bin/true` and `unshare -Urn /bin/true`.

A network namespace is torn down asynchronously: when its last process exits, the kernel queues
it for cleanup_net() on a workqueue (which waits for RCU grace periods), so the exiting process
does not pay for it, a kworker does, later. For each loop this records:
  - wall time of the loop and the median time of one iteration (first and last tenth too, to
    see whether a backlog of dying namespaces slows creation down);
  - CPU time spent by kernel threads (kworkers, RCU) during the loop and until the backlog is
    gone: that is the teardown work the caller does not see (sum of utime+stime of every child
    of kthreadd, in clock ticks, so +-10 ms; other activity on the host adds to it);
  - active objects of the net_namespace slab cache (/proc/slabinfo) before, right after, at its
    peak, and how long after the loop it takes to drain back. SLUB counts objects cached per CPU
    as active, so this is an approximation; other namespaces on the host move it too;
  - Slab + Percpu of /proc/meminfo right after the loop minus before it: memory still held
    by namespaces waiting for their teardown (approximate, host-wide);
  - the same runs from two concurrent loops: runs per second serial and two at a time, which
    shows whether creating and destroying the namespace serialises in the kernel.

usage: netns_loop.py OUT.json N
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

VARIANTS = [("unshare -Ur", ["unshare", "-Ur", "/bin/true"]), ("unshare -Urn", ["unshare", "-Urn", "/bin/true"])]
# (the parallel rates also cover the full floor, with and without the network namespace)
PARALLEL = VARIANTS + [("unshare -Urpm --fork", ["unshare", "-Urpm", "--fork", "/bin/true"]),
                       ("unshare -Urpmn --fork", ["unshare", "-Urpmn", "--fork", "/bin/true"])]


def netns_objects():
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                if line.startswith("net_namespace "):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def meminfo_kb(*keys):
    tot = 0
    with open("/proc/meminfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in keys:
                tot += int(v.split()[0])
    return tot


def rate(argv, n, jobs):
    """Runs per second of n runs of argv from `jobs` concurrent loops."""
    def worker(count):
        for _ in range(count):
            subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    ts = [threading.Thread(target=worker, args=(n // jobs,)) for _ in range(jobs)]
    t = time.monotonic()
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    return (n // jobs) * jobs / (time.monotonic() - t)


def kthread_ticks():
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        ppid = int(fields[1])
        if pid == "2" or ppid == 2:
            total += int(fields[11]) + int(fields[12])
    return total


def one_loop(argv, n, settle_s):
    hz = os.sysconf("SC_CLK_TCK")
    base = netns_objects()
    m0 = meminfo_kb("Slab", "Percpu")
    k0 = kthread_ticks()
    c0 = os.times()
    durs = []
    t0 = time.monotonic()
    for _ in range(n):
        t = time.monotonic()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        durs.append(time.monotonic() - t)
    loop_s = time.monotonic() - t0
    c1 = os.times()
    after = netns_objects()
    held_kb = meminfo_kb("Slab", "Percpu") - m0
    peak, drained_ms = after, None
    t1 = time.monotonic()
    while base is not None and time.monotonic() - t1 < settle_s:
        cur = netns_objects()
        peak = max(peak, cur)
        if cur <= base:
            drained_ms = round((time.monotonic() - t1) * 1e3, 1)
            break
        time.sleep(0.005)
    settle = time.monotonic() - t1
    k1 = kthread_ticks()
    tenth = max(1, n // 10)
    ms = lambda xs: round(statistics.median(xs) * 1e3, 3)
    return {
        "n": n,
        "loop_s": round(loop_s, 4),
        "per_run_median_ms": ms(durs),
        "first_tenth_median_ms": ms(durs[:tenth]),
        "last_tenth_median_ms": ms(durs[-tenth:]),
        "children_cpu_ms": round(((c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)) * 1e3, 1),
        "kthread_cpu_ms": round((k1 - k0) * 1000 / hz, 1),
        "observed_s": round(loop_s + settle, 3),
        "netns_slab_before": base,
        "netns_slab_after": after,
        "netns_slab_peak": peak,
        "drained_after_ms": drained_ms,  # None: not back to the baseline within settle_s
        "settle_window_s": settle_s,
        "slab_percpu_delta_kb": held_kb,
    }


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    settle = 10.0 if n >= 100 else 1.0
    rounds = 2 if n >= 100 else 1
    res = {name: [] for name, _ in VARIANTS}
    order = VARIANTS + VARIANTS[::-1] if rounds == 2 else VARIANTS  # A B B A: load drifts cancel
    for name, argv in order:
        r = one_loop(argv, n, settle)
        res[name].append(r)
        print(f"  {name:14s} {n} runs: {r['loop_s']*1e3/n:.3f} ms/run, kthreads {r['kthread_cpu_ms']} ms, "
              f"net_namespace objs {r['netns_slab_before']}->{r['netns_slab_after']} "
              f"(drained after {r['drained_after_ms']} ms)", file=sys.stderr)
    par = {}
    for name, argv in PARALLEL:
        serial, two = rate(argv, n, 1), rate(argv, n, 2)
        par[name] = {"serial_per_s": round(serial, 1), "parallel2_per_s": round(two, 1)}
        print(f"  {name:14s} {serial:.0f}/s serial, {two:.0f}/s from two loops", file=sys.stderr)
    with open(out, "w") as f:
        json.dump({"variants": res, "parallel": par}, f, indent=1)


if __name__ == "__main__":
    main()
