#!/usr/bin/env bats
# Gates around a run that must hold against the input they judge (issue 10, items 12-14):
# the [analysis] gate applies to what actually runs (-c, -m, stdin, the exact bytes scanned),
# batch job lines can only tighten the batch's limits, and time limits cannot wrap around.
load helpers
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
