#!/usr/bin/env bats
# The cost of the systemd scope (cgroup/systemd.c) per run, measured in the systemd boot of the
# test VM: tests/vm/run.sh --systemd tests/vm/bench/scope.bats (not part of make check; numbers
# in docs/performance.md). Output: TAP comments. Under TCG every number is several times a real
# machine's: compare the rows with each other, not with host numbers.

load ../helpers

setup() {
	vm_require_rootless
	[ -n "${MLRUN_VM_SYSTEMD:-}" ] || skip "needs the systemd boot of the VM: tests/vm/run.sh --systemd"
	command -v hyperfine >/dev/null || skip "no hyperfine (make bench-deps)"
}

@test "bench: -v's step time of the scope request" {
	local i
	for i in 1 2 3 4 5; do
		run "$MLRUN" -v -q -- /bin/true
		assert_success
		echo "# $(grep -E "systemd scope|create cgroup leaf" <<<"$output" | sed "s/^mlrun: \[+ *[0-9.]* ms\] *//" | tr "\n" ";")" >&3
	done
}

# One round: N runs of `mlrun -q -- /bin/true`, one wall time (ms) per line.
round() { # N
	local i t0
	for ((i = 0; i < $1; i++)); do
		t0=$EPOCHREALTIME
		"$MLRUN" -q -- /bin/true || return 1
		echo "$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))"
	done
}
export -f round

@test "bench: a whole run with a scope per run, against a delegated cgroup (no D-Bus) and no cgroup" {
	# Interleaved rounds, so that the host's load (other VMs) drifts over all three alike.
	local out=$BATS_TEST_TMPDIR/t r
	for ((r = 0; r < 8; r++)); do
		# inside a delegated scope: mlrun's own cgroup is delegated, it asks nobody
		systemd-run --user --scope -p Delegate=yes --quiet env MLRUN="$MLRUN" bash -c 'round 5' >>"$out.delegated"
		round 5 >>"$out.scope"
		env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS bash -c 'round 5' >>"$out.none"
	done
	/usr/bin/python3 -c '
import statistics, sys
for name in ("delegated", "scope", "none"):
    t = sorted(int(l) for l in open(sys.argv[1] + "." + name))
    print("# %-9s median %5d ms  p25 %5d ms  min %5d ms (%d runs)" % (name, statistics.median(t), t[len(t) // 4], t[0], len(t)))
' "$out" >&3
}
