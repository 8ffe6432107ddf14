#!/usr/bin/env bats
# Gates around a run that must hold against the input they judge (issue 10, items 12-14):
# the [analysis] gate applies to what actually runs (-c, -m, stdin, the exact bytes scanned),
# batch job lines can only tighten the batch's limits, and time limits cannot wrap around.
load helpers

# The test user runs a staged copy: the checkout may be closed to it (/root is 0700).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
}

# ---- time values (item 14) ------------------------------------------------------------------

@test "durations: --timeout 30d and 600h (beyond poll's int milliseconds) are accepted; the run ends when the program does" {
	run sb --timeout 30d --report r.json -- /probe exit 3
	assert_failure 3
	run jfield r.json 'r["status"], r["limits"]["timeout_ms"]'
	assert_output "('exited', 2592000000)"
	run sb --timeout 600h --cpu-time 365d --report r.json -- /probe exit 0
	assert_success
	run jfield r.json 'r["status"], r["limits"]["timeout_ms"], r["limits"]["cpu_time_ms"]'
	assert_output "('exited', 2160000000, 31536000000)"
}

@test "durations: a value above 365d is refused with exit 125, naming the key (it used to wrap: RLIMIT_CPU 0, poll forever)" {
	# 18446744073709551s was accepted and (ms + 999) / 1000 wrapped to an RLIMIT_CPU of 0.
	run --separate-stderr sb --cpu-time 18446744073709551s -- /probe exit 0
	assert_failure 125
	[[ "$stderr" == "mlrun: --cpu-time: duration '18446744073709551s' is out of range for [limits] cpu_time (expected e.g. 1500ms, 10s, 1.5m, 2h, 30d (at most 365d), or unlimited)"* ]]
	run --separate-stderr sb --timeout 366d -- /probe exit 0
	assert_failure 125
	[[ "$stderr" == "mlrun: --timeout: duration '366d' is out of range for [limits] timeout"* ]]
	printf '[limits]\ntimeout = 9000000h\n' >long.ini
	run --separate-stderr sb -p ./long.ini -- /probe exit 0
	assert_failure 125
	[[ "$stderr" == *"long.ini:2"*"[limits] timeout"* ]]
	MLRUN_CPU_TIME=99999999999s run --separate-stderr sb -- /probe exit 0
	assert_failure 125
	[[ "$stderr" == *MLRUN_CPU_TIME*"[limits] cpu_time"* ]]
}

# ---- batch job lines only tighten (item 13) -------------------------------------------------

# One value of the text aggregate: agg KEY
agg() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' <<<"$output"; }

@test "batch: a job line cannot loosen the batch's limits (own policy, longer timeout, more memory); tighter ones run" {
	STRICT=$REPO/policies/strict.ini # memory 256M, timeout 10s
	printf '[limits]\nmemory = 4G\ntimeout = unlimited\n[network]\nnet = host\n' >loose.ini
	cat >jobs <<-EOF
	{"cmd": ["/bin/sleep", "0"], "name": "tight", "timeout": "5s", "memory": "64M"}
	{"cmd": ["/bin/true"], "name": "own-policy", "policy": "$PWD/loose.ini"}
	{"cmd": ["/bin/true"], "name": "forever", "timeout": "unlimited"}
	{"cmd": ["/bin/true"], "name": "longer", "timeout": "11s"}
	{"cmd": ["/bin/true"], "name": "bigger", "memory": "1G"}
	EOF
	run --separate-stderr "$MLRUN" batch --jobs 1 --policy "$STRICT" --report-dir r jobs
	assert_failure 1
	assert_equal "$(agg total)" 5
	assert_equal "$(agg succeeded)" 1
	assert_equal "$(agg failed_by_status)" "error 4"
	# The refused jobs never ran: no report; the reason is on stderr and in LABEL.err.
	assert_equal "$(jfield r/tight.json 'r["status"], r["limits"]["memory_bytes"], r["limits"]["timeout_ms"]')" "('exited', 67108864, 5000)"
	for j in own-policy forever longer bigger; do [ ! -e "r/$j.json" ]; done
	[[ "$stderr" == *"mlrun: batch: jobs:2: job own-policy not run: a job's own \"policy\" is refused without batch --trust-jobs"* ]]
	[[ "$stderr" == *"jobs:3: job forever not run: \"timeout\" unlimited is above the batch's 10000 ms (a job may only tighten the batch's limits)"* ]]
	[[ "$stderr" == *"jobs:4: job longer not run: \"timeout\" 11000 ms is above the batch's 10000 ms"* ]]
	[[ "$stderr" == *"jobs:5: job bigger not run: \"memory\" 1073741824 bytes is above the batch's 268435456 bytes"* ]]
	grep -q 'job forever not run' r/forever.err
}

@test "batch: the ceiling is what every job's mlrun merges (policy, then MLRUN_*); --trust-jobs lets job lines win" {
	printf '{"cmd": ["/bin/true"], "name": "t", "timeout": "30s"}\n' >jobs
	# default policy (60s) lowered by the environment to 20s: 30s loosens it
	MLRUN_TIMEOUT=20s run --separate-stderr "$MLRUN" batch --jobs 1 --report-dir r jobs
	assert_failure 1
	assert_equal "$(agg failed_by_status)" "error 1"
	[[ "$stderr" == *"\"timeout\" 30000 ms is above the batch's 20000 ms"* ]]
	# raised by the environment, the same job runs
	MLRUN_TIMEOUT=1m run "$MLRUN" batch --jobs 1 --report-dir r jobs
	assert_success
	# the caller who trusts the file
	printf '{"cmd": ["/bin/true"], "name": "t", "timeout": "unlimited", "policy": "'"$REPO/policies/strict.ini"'"}\n' >jobs
	run "$MLRUN" batch --trust-jobs --jobs 1 --report-dir r jobs
	assert_success
	assert_equal "$(jfield r/t.json 'r["policy"], r["limits"]["timeout_ms"]')" "('strict', None)"
}

# ---- [analysis] applies to what runs (item 12) ----------------------------------------------

# bad.py is CRITICAL (subprocess) and leaves a mark when it runs; good.py is SAFE.
analysis_files() {
	mkdir -p out && chmod 777 out
	printf 'import subprocess\nopen("%s/out/bad-ran", "w").close()\nprint("BAD RAN")\n' "$PWD" >bad.py
	printf 'print("good ran")\n' >good.py
	chmod 644 bad.py good.py
	printf '[filesystem]\nworkdir = ro\n[analysis]\npython = reject-high\n' >reject.ini
	printf '[filesystem]\nworkdir = ro\n[analysis]\npython = warn\n' >warn.ini
}

@test "analysis: -c CODE is what is scanned: exec(open('bad.py').read()) is rejected under reject-high" {
	analysis_files
	run --separate-stderr "$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" --report r.json \
		-- "$PY" -c 'exec(open("bad.py").read())'
	assert_failure 125
	assert_equal "$stderr" "mlrun: python3 -c CODE rejected by the policy's [analysis]: level HIGH, score 49, 1 finding(s)"
	[ ! -e out/bad-ran ]
	run jfield r.json 'r["status"], r["analysis"]["findings"][0]["rule"]'
	assert_output "('rejected', 'call-exec')"
	# attached (-cCODE) and after other options
	run "$MLRUN" -q -p ./reject.ini -- "$PY" -I -B '-cimport subprocess'
	assert_failure 125
	# harmless code still runs; under warn, risky code runs with the scan's line
	run "$MLRUN" -q -p ./reject.ini -- "$PY" -c 'print(6 * 7)'
	assert_success
	assert_output 42
	run --separate-stderr "$MLRUN" -p ./warn.ini --bind "$PWD/out:$PWD/out" -- "$PY" -c 'exec(open("bad.py").read())'
	assert_success
	assert_output "BAD RAN"
	[[ "$stderr" == *"mlrun: scan: python3 -c CODE: level HIGH, score 49, 1 finding(s)"* ]]
}

@test "analysis: the script after interpreter options (-I -B, --, -W x) is scanned, not only argv[1]" {
	analysis_files
	for opts in "-I -B" "--" "-W ignore" "-u -X dev"; do
		# shellcheck disable=SC2086 # the options are words
		run --separate-stderr "$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" -- "$PY" $opts bad.py
		assert_failure 125
		[[ "$stderr" == "mlrun: bad.py rejected by the policy's [analysis]: level HIGH"* ]]
	done
	[ ! -e out/bad-ran ]
	run "$MLRUN" -q -p ./reject.ini -- "$PY" -I -B good.py
	assert_success
	assert_output "good ran"
}

@test "analysis: -m MODULE and code from stdin cannot be scanned: refused under reject-*, a warning under warn" {
	analysis_files
	run --separate-stderr "$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" --report r.json -- "$PY" -m bad
	assert_failure 125
	assert_equal "$stderr" "mlrun: python3 -m bad: a module is found on sys.path at run time; [analysis] python = reject-high cannot scan it before it runs, so it is refused (run a .py file)"
	assert_equal "$(jfield r.json 'r["status"]')" rejected
	for opts in "-" "" "-I" "-i good.py"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" -- "$PY" $opts <bad.py
		assert_failure 125
		[[ "$stderr" == "mlrun: python3: code from standard input (-, no script, or -i); [analysis] python = reject-high cannot scan it"* ]]
	done
	[ ! -e out/bad-ran ]
	run --separate-stderr "$MLRUN" -p ./warn.ini --bind "$PWD/out:$PWD/out" -- "$PY" -m bad
	assert_success
	assert_output "BAD RAN"
	[[ "$stderr" == *"mlrun: scan: warning: not scanned: python3 -m bad: a module is found on sys.path at run time"* ]]
	# nothing to scan: python3 -V runs no code
	run "$MLRUN" -q -p ./reject.ini -- "$PY" -V
	assert_success
}

@test "analysis: the sandbox runs the bytes that were scanned, even when the file is rewritten after the scan" {
	analysis_files
	cp good.py job.py && chmod 644 job.py
	mkdir -p site sync && chmod 777 sync
	# A barrier, not a race: sitecustomize runs in the sandbox's python before it opens the
	# script; it waits there until the host has swapped the file.
	cat >site/sitecustomize.py <<-EOF
	import os, time
	open("$PWD/sync/ready", "w").close()
	while not os.path.exists("$PWD/sync/swapped"):
	    time.sleep(0.01)
	EOF
	chmod -R a+rX site
	"$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" --bind "$PWD/sync:$PWD/sync" --env PYTHONPATH="$PWD/site" \
		--report r.json -- "$PY" job.py >job.out 2>job.err &
	pid=$!
	wait_for 100 test -e sync/ready || fail "no barrier: $(cat job.err)"
	cat bad.py >job.py # after the scan (which saw good.py), before python opens the script
	touch sync/swapped
	wait "$pid" || fail "mlrun failed: $(cat job.err)"
	assert_equal "$(cat job.out)" "good ran"
	[ ! -e out/bad-ran ]
	cmp bad.py job.py # the host file was really swapped (and is left as the host has it)
	assert_equal "$(jfield r.json 'r["analysis"]["level"]')" SAFE
}

@test "analysis: the scanned copy is read-only, leaves nothing behind, and only exists inside the sandbox" {
	analysis_files
	printf 'import os, sys\ntry:\n    open(sys.argv[0], "a").write("x")\nexcept OSError as e:\n    print(e.errno in (13, 30))  # EACCES (mode 0444) or EROFS (read-only mount)\nprint(os.path.exists("/.mlrun-scanned"))\n' >self.py
	cp self.py orig.py
	chmod 666 self.py # writable on the host, and the workdir is rw: only the copy stops the write
	run "$MLRUN" -q -p ./reject.ini --workdir rw -- "$PY" self.py
	assert_success
	assert_output "$(printf 'True\nFalse')"
	cmp self.py orig.py
	# rootless too: the copy is placed in the user's own mount namespace
	ensure_test_user
	GATE_DIR=$(mktemp -d /tmp/mlrun-gates.XXXXXX) # the test user must reach it
	chmod 755 "$GATE_DIR" && cp reject.ini self.py "$GATE_DIR/" && chmod 644 "$GATE_DIR"/* && chown "$TEST_USER" "$GATE_DIR/self.py"
	run as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$GATE_DIR" "$USER_MLRUN" -q -p ./reject.ini --workdir rw -- "$PY" self.py
	assert_success
	assert_output "$(printf 'True\nFalse')"
	cmp "$GATE_DIR/self.py" orig.py
}

teardown() {
	[ -z "${GATE_DIR:-}" ] || rm -rf "$GATE_DIR"
}
