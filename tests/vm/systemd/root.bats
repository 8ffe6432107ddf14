#!/usr/bin/env bats
# Root under systemd as PID 1 (tests/vm/run.sh --systemd, the "systemd-root" pass): mlrun keeps
# writing cgroupfs itself (/sys/fs/cgroup/mlrun.slice, docs/design.md says why) and systemd must
# not fight it: a daemon-reload or a re-exec of PID 1 mid-run leaves the leaf, its processes,
# its limits and the controllers above it alone.

load ../helpers

MiB=1048576

setup() {
	vm_require_root
	[ -n "${MLRUN_VM_SYSTEMD:-}" ] || skip "needs the systemd boot of the VM: tests/vm/run.sh --systemd"
	[ -x "$MLRUN" ] || skip "no mlrun binary at $MLRUN (make first)"
	NAME=sdr-$BATS_TEST_NUMBER-$$
}

@test "systemd root: mlrun.slice survives daemon-reload and daemon-reexec mid-run" {
	[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm)"
	run "$MLRUN" features
	assert_output --partial "set-up case         root (nothing to set up)"
	local leaf=/sys/fs/cgroup/mlrun.slice/$NAME R=$BATS_TEST_TMPDIR/report.json
	"$MLRUN" --name "$NAME" --memory 64M --pids 16 --report "$R" -- /bin/sleep 985 &
	local pid=$!
	wait_for 50 leaf_populated "$leaf" || { kill $pid; wait $pid; fail "no populated leaf at $leaf"; }
	local procs
	procs=$(cat "$leaf/cgroup.procs")
	systemctl daemon-reload
	systemctl daemon-reexec
	assert_equal "$(cat "$leaf/cgroup.procs")" "$procs"
	assert_equal "$(cat "$leaf/memory.max")" $((64 * MiB))
	assert_equal "$(cat "$leaf/pids.max")" 16
	for c in memory pids; do
		grep -qw $c /sys/fs/cgroup/cgroup.subtree_control || fail "systemd took $c from the root"
		grep -qw $c /sys/fs/cgroup/mlrun.slice/cgroup.subtree_control || fail "$c gone from mlrun.slice"
	done
	run "$MLRUN" kill "$NAME"
	assert_success
	wait $pid || true
	[ ! -e "$leaf" ] || fail "$leaf left behind"
	run grep -c . "$R"
	assert_success
}
