#!/usr/bin/env bats
# Live sandboxes: ps, stats, kill, gc (degraded mode: numbers from /proc).
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

start_named() {
	"$MLRUN" -q --ro-bind "$PROBE:/probe" --name "$1" -- /probe sleep 30 &
	mlrun_pid=$!
	wait_for 100 program_running "$mlrun_pid" probe
}

in_ps() { "$MLRUN" ps | grep -q "^$1 "; }

@test "ps lists a running sandbox, stats shows its processes, both in JSON too" {
	id=mon-$$-$RANDOM
	start_named "$id"
	run "$MLRUN" ps
	assert_success
	assert_line --regexp "^$id +$mlrun_pid +builtin .* 2  /probe sleep 30$"
	run bash -c "'$MLRUN' ps --json | $PY -c 'import json,sys; d=[x for x in json.load(sys.stdin) if x[\"id\"]==\"$id\"][0]; print(d[\"pid\"], d[\"pids\"], d[\"memory_bytes\"] > 0)'"
	assert_output "$mlrun_pid 2 True"
	run "$MLRUN" stats "$id" --json
	assert_success
	assert_output --partial "\"init_pid\":"
	kill -TERM "$mlrun_pid"
	wait "$mlrun_pid" || true
	wait_for 50 bash -c "! '$MLRUN' ps | grep -q '^$id '"
}

@test "kill ID kills the whole sandbox; kill ID SIGNAL goes through the supervisor" {
	id=kill-$$-$RANDOM
	start_named "$id"
	run "$MLRUN" kill "$id" USR1
	assert_success
	rc=0; wait "$mlrun_pid" || rc=$?
	assert_equal "$rc" $((128 + 10))
	start_named "$id"
	run "$MLRUN" kill "$id"
	assert_success
	rc=0; wait "$mlrun_pid" || rc=$?
	assert_equal "$rc" 137
	run "$MLRUN" stats "$id"
	assert_failure 125
}

@test "stats and kill of an unknown id are a 125 naming it" {
	run "$MLRUN" stats no-such-sandbox
	assert_failure 125
	assert_output --partial "no-such-sandbox"
	run "$MLRUN" kill no-such-sandbox
	assert_failure 125
}

@test "gc removes the state of a supervisor that died and keeps live ones" {
	id=gc-$$-$RANDOM
	start_named "$id"
	kill -KILL "$mlrun_pid" # the supervisor dies without cleaning up; the sandbox dies with it
	wait "$mlrun_pid" || true
	state=$( [ "$(id -u)" = 0 ] && echo /run/mlrun || echo "$XDG_RUNTIME_DIR/mlrun")
	[ -f "$state/$id.json" ]
	run "$MLRUN" gc
	assert_success
	assert_line "removed $id"
	[ ! -f "$state/$id.json" ]
}

@test "top draws the table and quits on q" {
	command -v script >/dev/null || skip "script(1) not installed"
	run bash -c "printf q | timeout $((10 * SLOW)) script -qec '$MLRUN top' /dev/null"
	assert_success
	assert_output --partial "mlrun top"
	assert_output --partial "ID"
}
