#!/usr/bin/env bats
# Bad outcomes a wrapper must not hide (issue 11, item 6), each tried the way a new user would:
# a report that cannot be written, the file_size limit on the caller's own stdout/stderr, a
# memory limit too small to start anything, `mlrun scan DIR`, and a command line with control
# characters in `mlrun ps`.
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 1777 "$BATS_TEST_TMPDIR"; }

# --- the report is opened before the program starts -------------------------------------------

@test "outcomes: --report into a missing directory refuses the run before the program starts" {
	run "$MLRUN" -q --workdir rw --report /nonexistent/dir/r.json -- /bin/sh -c 'echo ran > marker'
	assert_failure 125
	assert_output --partial "mlrun: cannot write the report to /nonexistent/dir/r.json"
	[ ! -e marker ]
}

@test "outcomes: --report-fd on a closed or read-only fd refuses the run before the program starts" {
	run "$MLRUN" -q --workdir rw --report-fd 99 -- /bin/sh -c 'echo ran > marker'
	assert_failure 125
	assert_output --partial "--report-fd 99"
	[ ! -e marker ]
	run "$MLRUN" -q --workdir rw --report-fd 0 -- /bin/sh -c 'echo ran > marker' </dev/null
	assert_failure 125
	assert_output --partial "read-only"
	[ ! -e marker ]
}

@test "outcomes: a report to a writable fd and to a file still arrives after the run" {
	run bash -c "'$MLRUN' -q --report r.json --report-fd 3 -- /bin/true 3>fd.json"
	assert_success
	assert_equal "$(jfield r.json 'r["status"]')" exited
	assert_equal "$(jfield fd.json 'r["status"]')" exited
}

# --- file_size limits the program's files, not the caller's stdout/stderr ------------------------

@test "outcomes: --file-size 1K does not kill a program appending to the caller's 4 KiB log" {
	head -c 4096 /dev/zero >log
	run bash -c "'$MLRUN' -q --file-size 1K -- /bin/echo hello >>log"
	assert_success
	assert_equal "$(stat -c %s log)" 4102
	assert_equal "$(tail -c 6 log)" hello
}

@test "outcomes: output to the caller's file is not cut at file_size (3 MiB through --file-size 1M)" {
	run bash -c "'$MLRUN' -q --file-size 1M -- /bin/sh -c 'head -c 3145728 /dev/zero; echo done >&2' >big.out 2>err.out"
	assert_success
	assert_equal "$(stat -c %s big.out)" 3145728
	assert_equal "$(cat err.out)" done
}

@test "outcomes: stdout and stderr on one file keep their order through the relay" {
	run bash -c "'$MLRUN' -q --file-size 1K -- /bin/sh -c 'for i in 1 2 3; do echo out\$i; echo err\$i >&2; done' >both 2>&1"
	assert_success
	assert_equal "$(tr '\n' ' ' <both)" "out1 err1 out2 err2 out3 err3 "
}

@test "outcomes: file_size still limits the files the program creates" {
	run "$MLRUN" -q --workdir rw --file-size 1K -- /bin/sh -c 'head -c 5000 /dev/zero >made'
	assert_failure
	assert_equal "$(stat -c %s made)" 1024
}

@test "outcomes: the program cannot truncate the caller's output file" {
	echo "the caller's line" >keep
	# through the inherited fd 1: with the file itself it could ftruncate it; through a pipe it cannot
	run bash -c "'$MLRUN' -q --file-size 1M -- /usr/bin/python3 -c 'import os; os.ftruncate(1, 0)' >>keep"
	assert_failure
	assert_equal "$(head -1 keep)" "the caller's line"
}

# --- memory too small to start anything ----------------------------------------------------------

@test "outcomes: --memory 1K is refused with the smallest value named, before anything runs" {
	run "$MLRUN" -q --workdir rw --memory 1K -- /bin/sh -c 'echo ran > marker'
	assert_failure 125
	assert_output --partial "memory"
	assert_output --partial "1M"
	[ ! -e marker ]
	run "$MLRUN" -q --memory 1M -- /bin/true
	assert_success
}

@test "outcomes: a program the rlimit memory fallback kills gets a line naming the limit" {
	"$MLRUN" features --json | "$PY" -c 'import json,sys; sys.exit(json.load(sys.stdin)["would_enforce"]["memory"])' ||
		skip "memory is enforced by a cgroup here (no rlimit fallback)"
	run "$MLRUN" --memory 2M -- /bin/sh -c 'x=$(head -c 3000000 /dev/zero | tr "\0" a); echo ${#x}'
	assert_failure
	assert_output --partial "rlimit fallback"
	assert_output --partial "--memory"
}

# --- scan on a directory -------------------------------------------------------------------------

@test "outcomes: mlrun scan DIR is one clear line and 125, not a Python crash dump" {
	mkdir -p d
	run "$MLRUN" scan d
	assert_failure 125
	assert_output "mlrun: scan: d is a directory, not a file (usage: mlrun scan FILE.py [--json])"
}

# --- ps/top: control characters in a command line ------------------------------------------------

@test "outcomes: mlrun ps shows a command's newline and escape bytes escaped, one line per sandbox" {
	local id=outc-$$-$RANDOM
	"$MLRUN" -q --ro-bind "$PROBE:/probe" --name "$id" -- /probe sleep 30 $'x\nFORGED-ROW 1 2 3\e[2J' &
	local pid=$!
	wait_for 100 program_running "$pid" probe
	run "$MLRUN" ps
	kill -TERM "$pid"; wait "$pid" || true
	assert_success
	refute_line --regexp '^FORGED-ROW'
	assert_line --regexp "^$id .*/probe sleep 30 x\\\\nFORGED-ROW"
	[[ $output != *$'\e'* ]]
}
