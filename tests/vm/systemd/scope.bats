#!/usr/bin/env bats
# Rootless limits with no set-up on a systemd machine (cgroup/systemd.c, issue 15). Runs only in
# the test VM booted with systemd as PID 1 (tests/vm/run.sh --systemd), as the lingering user
# mlrunvm from a system service: its own cgroup (system.slice/mlrun-vm-suite.service) is not
# delegated to it, its user manager and bus are up, and nobody set anything up. mlrun must ask
# that manager for a delegated scope per run and enforce memory, cpu and pids in it.

load ../helpers

PY=/usr/bin/python3 # the python3 on the host's PATH is a slow shim
MiB=1048576
UID_=1500

setup() {
	vm_require_rootless
	[ -n "${MLRUN_VM_SYSTEMD:-}" ] || skip "needs the systemd boot of the VM: tests/vm/run.sh --systemd"
	[ -x "$MLRUN" ] || skip "no mlrun binary at $MLRUN (make first)"
	R=$BATS_TEST_TMPDIR/report.json
	NAME=sdt-$BATS_TEST_NUMBER-$$
	MANAGER=/sys/fs/cgroup/user.slice/user-$UID_.slice/user@$UID_.service
	SCOPE=$MANAGER/mlrun.slice/mlrun-$NAME.scope
}

# report_check EXPR: a python expression over d (the report) must hold; prints the report if not.
report_check() {
	run "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("failed: " + sys.argv[2])
    print(json.dumps(d, indent=1))
sys.exit(0 if ok else 1)' "$R" "$1"
	assert_success
}

# The run's scope, unit and cgroup, are gone: systemd removes an empty scope by itself, shortly
# after the last process left it (bounded wait, never a timed assertion).
assert_scope_gone() { # name
	local unit=mlrun-$1.scope dir=$MANAGER/mlrun.slice/mlrun-$1.scope i
	for ((i = 0; i < 50 * SLOW; i++)); do
		[ ! -e "$dir" ] && [ -z "$(systemctl --user list-units --all --no-legend "$unit")" ] && return 0
		sleep 0.1
	done
	fail "left behind: $dir $(ls -d "$dir"/* 2>/dev/null) / $(systemctl --user list-units --all --no-legend "$unit")"
}

@test "systemd: the test runs where a login would: not delegated, user bus up" {
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[[ $own == /system.slice/* ]] || fail "expected a system service's cgroup, got $own"
	[ "$(stat -c %u "/sys/fs/cgroup${own%/*}")" = 0 ] || fail "${own%/*} is not root's"
	[ -S "$XDG_RUNTIME_DIR/bus" ]
	run "$MLRUN" features
	assert_success
	assert_output --partial "set-up case         systemd-scope (nothing to set up)"
	assert_output --partial "$MANAGER/mlrun.slice/mlrun-<id>.scope"
	run bash -c '"$1" features --json | tr -d " \n"' _ "$MLRUN"
	assert_output --partial '"setup_case":"systemd-scope"'
	assert_output --partial '"would_enforce":{"memory":true,"cpu":true,"pids":true'
}

@test "systemd: no set-up: memory, cpu and pids enforced in mlrun-<id>.scope, limits in place" {
	"$MLRUN" --name "$NAME" --memory 64M --pids 16 --cpus 0.5 --timeout $((20 * SLOW))s --report "$R" \
		-- /bin/sleep $((3 * SLOW)) &
	local pid=$! leaf=$SCOPE/mlrun-$NAME
	wait_for 50 leaf_populated "$leaf" || { wait $pid; fail "no populated leaf at $leaf"; }
	run systemctl --user show -P Delegate,ActiveState "mlrun-$NAME.scope"
	assert_output "$(printf 'yes\nactive')"
	run systemctl --user show -P Slice "mlrun-$NAME.scope"
	assert_output mlrun.slice
	assert_equal "$(stat -c %u "$SCOPE")" $UID_
	assert_equal "$(cat "$leaf/memory.max")" $((64 * MiB))
	assert_equal "$(cat "$leaf/pids.max")" 16
	assert_equal "$(cat "$leaf/cpu.max")" "50000 100000"
	# the supervisor sits beside the leaf, not in the scope itself (no-internal-processes)
	assert_equal "$(cat "$SCOPE/cgroup.procs")" ""
	grep -qx "$pid" "$SCOPE/supervisor/cgroup.procs" || fail "mlrun ($pid) is not in $SCOPE/supervisor"
	local rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 0
	report_check 'd["enforced"]["memory"] and d["enforced"]["cpu"] and d["enforced"]["pids"] and d["status"] == "exited"'
	assert_scope_gone "$NAME"
}

@test "systemd: OOM: 256 MiB under --memory 64M is killed at the limit, status oom, exit 137" {
	run "$MLRUN" --name "$NAME" --memory 64M --timeout $((20 * SLOW))s --report "$R" -- "$PY" -c '
b = bytearray(256 << 20)
for i in range(0, len(b), 4096): b[i] = 1
print("allocated")'
	assert_equal "$status" 137
	refute_output --partial allocated
	report_check 'd["status"] == "oom" and d["signal"] == 9 and d["oom_kills"] >= 1 and d["enforced"]["memory"]'
	assert_scope_gone "$NAME"
}

@test "systemd: a fork bomb stops at --pids 16" {
	run "$MLRUN" --name "$NAME" --pids 16 --timeout 5s --report "$R" -- /bin/bash -c 'f() { while :; do f & done; }; f'
	assert_failure
	report_check 'd["status"] in ("pids", "timeout") and 0 < d["pids_peak"] <= 16 and d["enforced"]["pids"]'
	run /bin/bash -c 'for i in 1 2 3; do /bin/true & done; wait; echo alive'
	assert_output alive
	assert_scope_gone "$NAME"
}

@test "systemd: the supervisor SIGKILLed mid-run: systemd removes the scope and its cgroups" {
	"$MLRUN" --name "$NAME" --memory 64M --timeout $((30 * SLOW))s -- /bin/sleep 987 &
	local pid=$! leaf=$SCOPE/mlrun-$NAME
	wait_for 50 leaf_populated "$leaf" || { kill $pid; wait $pid; fail "no populated leaf at $leaf"; }
	kill -KILL $pid
	wait $pid || true
	assert_scope_gone "$NAME"
	run pgrep -u $UID_ -f 'sleep 987'
	assert_failure
}

@test "systemd: mlrun kill NAME from outside the scope finds the leaf" {
	"$MLRUN" --name "$NAME" --timeout $((30 * SLOW))s --report "$R" -- /bin/sleep 986 &
	local pid=$! leaf=$SCOPE/mlrun-$NAME
	wait_for 50 leaf_populated "$leaf" || { kill $pid; wait $pid; fail "no populated leaf at $leaf"; }
	run "$MLRUN" kill "$NAME"
	assert_success
	wait $pid || true
	report_check 'd["status"] == "signaled"'
	assert_scope_gone "$NAME"
}

@test "systemd: mlrun batch asks for one scope for all its jobs, each job's limits enforced" {
	cd "$BATS_TEST_TMPDIR"
	local i
	for i in 1 2 3; do echo "{\"cmd\": [\"/bin/sleep\", \"$SLOW\"], \"memory\": \"64M\", \"name\": \"j$i\"}"; done >jobs
	"$MLRUN" batch --jobs 3 --report-dir r jobs >out 2>&1 &
	local pid=$! leaves=()
	for ((i = 0; i < 50 * SLOW; i++)); do
		leaves=("$MANAGER"/mlrun.slice/mlrun-b-*.scope/mlrun-b-*)
		[ -e "${leaves[0]}" ] && break
		sleep 0.1
	done
	[ -e "${leaves[0]}" ] || { wait $pid; fail "no job leaf in a batch scope: $(ls -R "$MANAGER/mlrun.slice" 2>&1; cat out)"; }
	run systemctl --user list-units --all --no-legend --plain 'mlrun-*'
	[ "${#lines[@]}" = 1 ] && [[ ${lines[0]} == mlrun-b-*.scope* ]] || fail "expected one batch scope: $output"
	wait $pid || fail "batch failed: $(cat out)"
	for i in 1 2 3; do
		R=r/j$i.json report_check 'd["enforced"]["memory"] and d["status"] == "exited"'
	done
	local id=${lines[0]%%.scope*}
	assert_scope_gone "${id#mlrun-}"
}

@test "systemd: no bus: the rlimit fallback, and the exact reason in the report and features" {
	run env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS "$MLRUN" -q --name "$NAME" --memory 64M \
		--report "$R" -- /bin/true
	assert_success
	report_check 'not d["enforced"]["memory"] and "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set" in d["not_enforced_reason"]'
	run env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=/nonexistent "$MLRUN" -q --name "$NAME" --memory 64M \
		--report "$R" -- /bin/true
	assert_success
	report_check 'not d["enforced"]["memory"] and "cannot connect to the user bus /nonexistent/bus: No such file or directory" in d["not_enforced_reason"]'
	run env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=/nonexistent "$MLRUN" features
	assert_output --partial "cannot connect to the user bus /nonexistent/bus"
	assert_output --partial "set-up case         no-systemd"
	assert_scope_gone "$NAME"
}
