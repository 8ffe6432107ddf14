#!/usr/bin/env bats
# mlrun profile with a cgroup v2 leaf: the timeline comes from the leaf's files (source cgroup,
# io counted) and shows the limits at work. Runs only in the test VM, as root and rootless:
#   tests/vm/run.sh tests/vm/profile.bats   (outside the VM every test skips; tests/profile.bats
#   covers the /proc source on the host)

load helpers

PY=/usr/bin/python3 # the python3 on the host's PATH is a slow shim
MiB=1048576

setup() {
	vm_require
	[ -x "$MLRUN" ] || skip "no mlrun binary at $MLRUN (make first)"
	cd "$BATS_TEST_TMPDIR" || return 1
	NAME=prof-$BATS_TEST_NUMBER-$$
}

# check EXPR: a python expression over d (the JSON timeline t.json) and s (its samples) holds.
# One python start per check: under TCG each costs over a second.
check() {
	run "$PY" -c '
import json, sys
d = json.load(open("t.json")); s = d["samples"]; m = [x["memory_bytes"] for x in s]
ok = eval(sys.argv[1])
if not ok: print("failed: " + sys.argv[1]); print(json.dumps(d, indent=1))
sys.exit(0 if ok else 1)' "$1"
	assert_success
}

@test "profile: cgroup source: memory.current rises in steps, io is counted, the leaf is removed" {
	run "$MLRUN" profile -q --name "$NAME" --format json --output t.json --interval 100ms --memory 256M \
		--timeout $((40 * SLOW))s -- "$PY" -c '
import time
chunks = []
for i in range(6):
    chunks.append(b"x" * (10 << 20))
    time.sleep(0.3)
time.sleep(0.5)'
	assert_success
	check "d['source'] == 'cgroup' and len(s) >= 10 and all(x['source'] == 'cgroup' for x in s)"
	check "all(isinstance(x['io_read_bytes'], int) and isinstance(x['io_write_bytes'], int) for x in s)"
	check "max(m) >= 60 * $MiB and max(m) < 256 * $MiB and d['summary']['pids_peak'] >= 1"
	check "[k := max(i for i, b in enumerate(m) if b >= max(m) - 4 * $MiB)] and all(m[i + 1] >= m[i] - 4 * $MiB for i in range(k))"
	[ -z "$(find /sys/fs/cgroup -type d -name "*$NAME" 2>/dev/null)" ] || fail "leaf of $NAME left behind"
}

@test "profile: under --cpus 0.5 a spinner's CPU% is held near 50 (cpu.max, 100 ms periods)" {
	# Samples of 400 ms span four quota periods: each averages out the run/throttle cycle.
	run "$MLRUN" profile -q --name "$NAME" --format json --output t.json --interval 400ms --cpus 0.5 \
		--timeout $((20 * SLOW))s -- /bin/bash -c '
		end=$(( ${EPOCHREALTIME/./} + 3000000 ))
		while [ ${EPOCHREALTIME/./} -lt $end ]; do :; done'
	assert_success
	check "d['source'] == 'cgroup' and len(s) >= 5"
	# the limit is the upper bound; a loaded host may give the guest less than its quota
	check "0 < sorted(x['cpu_percent'] for x in s[1:])[len(s[1:]) // 2] <= 65 and d['summary']['cpu_peak_percent'] <= 80"
}

@test "profile: --plot of a cgroup run is a valid SVG" {
	run "$MLRUN" profile -q --name "$NAME" --output t.csv --plot p.svg --timeout $((20 * SLOW))s -- /bin/bash -c 'sleep 1'
	assert_success
	run head -1 t.csv
	assert_output "elapsed_ms,memory_bytes,cpu_usec,cpu_percent,pids,io_read_bytes,io_write_bytes,source"
	run grep -c ',cgroup$' t.csv
	assert_success
	run "$PY" -c 'import sys, xml.dom.minidom as m; t = m.parse(sys.argv[1]).toxml(); print("Memory (MiB)" in t and "CPU (% of one core)" in t)' p.svg
	assert_output True
}
