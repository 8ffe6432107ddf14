#!/bin/bash
# bench/vm.sh - the start-up table with a cgroup leaf (docs/performance.md, "With a cgroup leaf"):
# boots the cgroup v2 test VM (tests/vm/run.sh) with bench/vm-startup.bats, root and rootless
# passes, and writes the tables to bench/results/vm-startup.md (BENCH_OUT=DIR elsewhere).
# MLRUN_VM_BENCH_RUNS=N: runs per command (default 100, in 10 rounds). Several minutes under TCG.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/results}
mkdir -p "$OUT"
log=$(mktemp /tmp/mlrun-vm-bench.XXXXXX)
trap 'rm -f "$log"' EXIT
rc=0
"$ROOT/tests/vm/run.sh" "$ROOT/bench/vm-startup.bats" >"$log" 2>&1 || rc=$?
grep -E '^(not )?ok ' "$log" >&2 || true
sed -n 's/^# \(vm-bench .*\|[|#].*\|\)$/\1/p' "$log" >"$OUT/vm-startup.md"
cat "$OUT/vm-startup.md"
[ $rc = 0 ] || { echo "bench/vm.sh: the VM run failed (status $rc):" >&2; tail -n 30 "$log" >&2; }
exit $rc
