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
