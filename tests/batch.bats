#!/usr/bin/env bats
# mlrun batch: the job file (lines, JSONL), concurrency, the aggregate, errors, Ctrl-C, and that a
# thousand jobs leave nothing behind (docs/batch.md).
bats_require_minimum_version 1.5.0
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

# A field of the text aggregate: agg KEY (reads $output).
agg() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' <<<"$output"; }

# Values of a JSON file: jvals FILE 'r["a"], r["b"]' prints them separated by spaces.
jvals() {
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(*(v if isinstance(v, tuple) else (v,)))' "$1" "$2"
}

# The aggregate's batch id, from $output (text or JSON).
batch_id() { grep -oE 'b-[0-9a-f]{12}' <<<"$output" | head -1; }

state_dir() { [ "$(id -u)" = 0 ] && echo /run/mlrun || echo "${XDG_RUNTIME_DIR:-/tmp}/mlrun"; }

# Nothing of batch ID is left: no mlrun process, no state file, no sandbox in `mlrun ps`, no cgroup.
nothing_left() {
	! pgrep -f -- "--name $1-" >/dev/null &&
		! ls "$(state_dir)" 2>/dev/null | grep -q "^$1-" &&
		! "$MLRUN" ps | grep -q "^$1-" &&
		[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "*$1-*" 2>/dev/null | head -1)" ]
}

# The largest number of jobs running at once, from the "START END" lines the jobs printed.
max_overlap() {
	cat "$@" | "$PY" -c '
import sys
ev = []
for l in sys.stdin:
    a, b = map(float, l.split())
    ev += [(a, 1), (b, -1)]
n = best = 0
for _, d in sorted(ev):
    n += d
    best = max(best, n)
print(best)'
}

@test "lines and JSONL mixed: quoting, comments, stdin, env, per-job policy, memory and timeout" {
	cat >jobs <<-'EOF'
	# a comment, then a blank line

	/bin/echo 'a  b' "c \"d\" 'e'" f\ g ''
	{"cmd": ["/bin/cat"], "stdin": "line one\nline two\n", "name": "cat"}
	{"cmd": ["/usr/bin/env"], "env": {"FOO": "bar baz"}, "name": "env"}
	{"cmd": ["/bin/sleep", "5"], "timeout": "300ms", "name": "slow"}
	  # an indented comment
	EOF
	echo "{\"cmd\": [\"/bin/true\"], \"policy\": \"$REPO/policies/strict.ini\", \"memory\": \"128M\", \"name\": \"strict\"}" >>jobs
	run "$MLRUN" batch --trust-jobs --report-dir r jobs
	assert_failure 1
	assert_equal "$(agg total)" 5
	assert_equal "$(agg failed_by_status)" "timeout 1"
	assert_equal "$(cat r/1.out)" "a  b c \"d\" 'e' f g "
	assert_equal "$(jvals r/1.json 'r["command"]')" "['/bin/echo', 'a  b', 'c \"d\" \\'e\\'', 'f g', '']"
	assert_equal "$(cat r/cat.out)" "$(printf 'line one\nline two')"
	grep -qx 'FOO=bar baz' r/env.out
	assert_equal "$(jvals r/strict.json 'r["policy"], r["limits"]["memory_bytes"], r["status"]')" "strict 134217728 exited"
	assert_equal "$(jvals r/slow.json 'r["status"], r["mlrun_exit_status"]')" "timeout 124"
	assert_equal "$(jvals r/cat.json 'r["id"]')" "$(batch_id)-cat"
}

@test "FILE - reads the jobs from stdin; without --report-dir the jobs' output is discarded" {
	run bash -c "printf '/bin/echo hello-from-the-job\n/bin/sh -c \"echo oops >&2\"\n' | '$MLRUN' batch -"
	assert_success
	refute_output --partial hello-from-the-job
	refute_output --partial oops
	assert_equal "$(agg succeeded)" 2
	assert_equal "$(agg report_dir)" -
}

@test "--jobs 1 runs one job at a time, --jobs 2 two (measured inside the jobs)" {
	for i in 1 2 3 4; do
		echo "$PY -c 'import time; a = time.time(); time.sleep(0.6 * $SLOW); print(a, time.time())'"
	done >jobs
	run "$MLRUN" batch --jobs 1 --report-dir one jobs
	assert_success
	assert_equal "$(max_overlap one/*.out)" 1
	run "$MLRUN" batch --jobs 2 --report-dir two jobs
	assert_success
	assert_equal "$(max_overlap two/*.out)" 2
}

@test "the aggregate of a known mix: 2 ok, exit 3, a timeout, a missing program (127)" {
	cat >jobs <<-'EOF'
	/bin/true
	{"cmd": ["/bin/sh", "-c", "exit 0"], "name": "ok2"}
	{"cmd": ["/bin/sh", "-c", "exit 3"], "name": "three"}
	{"cmd": ["/bin/sleep", "10"], "timeout": "400ms", "name": "slow"}
	{"cmd": ["/no/such/program"], "name": "missing"}
	EOF
	run "$MLRUN" batch --report-dir r jobs
	assert_failure 1
	assert_equal "$(agg total)" 5
	assert_equal "$(agg succeeded)" 2
	assert_equal "$(agg failed)" 3
	assert_equal "$(agg failed_by_status)" "exited 1, timeout 1, error 1"
	assert_equal "$(agg success_rate)" 0.4000
	assert_equal "$(agg violations)" 0
	assert_equal "$(agg not_started)" 0
	assert_equal "$(agg interrupted)" -
	assert_equal "$(jvals r/missing.json 'r["status"], r["mlrun_exit_status"]')" "error 127"
	assert_equal "$(jvals r/three.json 'r["status"], r["exit_code"]')" "exited 3"
	# p95 of the four that ran is the timeout's wall time; p50 the second fastest; the largest
	# memory peak is one of the reports' own numbers.
	walls=$(for j in 1 ok2 three slow; do jvals r/$j.json 'r["wall_ms"]'; done | sort -n | tr '\n' ' ')
	read -r w1 w2 w3 w4 <<<"$walls"
	assert_equal "$(agg wall_ms_p50)" "$w2"
	assert_equal "$(agg wall_ms_p95)" "$w4"
	"$PY" -c "assert $w4 >= 400 > $w2"
	peaks=$(for j in 1 ok2 three slow; do jvals r/$j.json 'r["memory_peak_bytes"]'; done)
	assert_equal "$(agg memory_peak_bytes)" "$(sort -n <<<"$peaks" | tail -1)"
	assert_equal "$(jvals "r/$(agg memory_peak_job).json" 'r["memory_peak_bytes"]')" "$(agg memory_peak_bytes)"
}

@test "--json prints one object with every aggregate field" {
	printf '/bin/true\n/bin/false\n' >jobs
	run --separate-stderr "$MLRUN" batch --json --jobs 2 jobs
	assert_failure 1
	echo "$output" >agg.json
	assert_equal "$(jvals agg.json 'sorted(r)')" "$(
		"$PY" -c 'print(sorted(["id", "total", "succeeded", "failed", "failed_by_status", "success_rate",
			"violations", "wall_ms_p50", "wall_ms_p95", "memory_peak_bytes", "memory_peak_job",
			"not_started", "interrupted", "report_dir"]))')"
	assert_equal "$(jvals agg.json 'r["total"], r["succeeded"], r["failed_by_status"], r["success_rate"]')" \
		"2 1 {'exited': 1} 0.5"
	assert_equal "$(jvals agg.json 'r["interrupted"], r["report_dir"], r["wall_ms_p50"] > 0')" "None None True"
	[ -z "$stderr" ]
}

@test "a bad job file is a 125 with FILE:LINE, and nothing ran" {
	printf '/bin/true\n\n{"cmd": ["/bin/true"]\n' >broken.jsonl
	run "$MLRUN" batch --report-dir r broken.jsonl
	assert_failure 125
	assert_line --index 0 "mlrun: broken.jsonl:3: bad JSON: the object does not end on this line"
	assert_line --index 1 "mlrun: batch: broken.jsonl: 1 bad job line (line 3); nothing was run"
	[ ! -e r ]
	printf '{"cmd": ["/bin/true"], "timout": "1s"}\n' >typo.jsonl
	run "$MLRUN" batch typo.jsonl
	assert_failure 125
	assert_output --partial 'mlrun: typo.jsonl:1: unknown key "timout"'
	printf '/bin/true\n/bin/echo "open\n' >quote.txt
	run "$MLRUN" batch quote.txt
	assert_failure 125
	assert_line --index 0 "mlrun: quote.txt:2: unterminated double quote"
	printf '{"cmd": ["/bin/true"], "timeout": "soon"}\n' >t.jsonl
	run "$MLRUN" batch t.jsonl
	assert_failure 125
	assert_output --partial "t.jsonl:1: bad timeout 'soon'"
	printf '{"cmd": ["/bin/true"], "name": "x"}\n{"cmd": ["/bin/true"], "name": "x"}\n' >dup.jsonl
	run "$MLRUN" batch dup.jsonl
	assert_failure 125
	assert_output "mlrun: dup.jsonl:2: job name 'x' is already used on line 1"
	run "$MLRUN" batch --jobs 0 dup.jsonl
	assert_failure 125
	run "$MLRUN" batch --frobnicate dup.jsonl
	assert_failure 125
	assert_output --partial "unknown option '--frobnicate'"
	run "$MLRUN" batch no-such-file
	assert_failure 125
}

@test "SIGINT mid-batch stops everything, reports what finished, leaves nothing behind" {
	marker=41.$$$RANDOM
	for i in 1 2 3 4 5 6; do echo "/bin/sleep $marker"; done >jobs
	"$MLRUN" batch --jobs 2 jobs >agg.txt 2>err.txt &
	pid=$!
	wait_for 100 bash -c "[ \$(pgrep -fx '/bin/sleep $marker' | wc -l) -eq 2 ]"
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	assert_equal "$rc" 130
	output=$(cat agg.txt)
	assert_equal "$(agg interrupted)" SIGINT
	assert_equal "$(agg total)" 2
	assert_equal "$(agg not_started)" 4
	assert_equal "$(agg failed_by_status)" "signaled 2"
	[ ! -s err.txt ]
	id=$(batch_id)
	wait_for 50 nothing_left "$id"
	no_process_matching "sleep $marker"
}

@test "SIGTERM: a job that ignores it is killed after the grace period; nothing left behind" {
	marker=42.$$$RANDOM
	echo "/bin/sh -c 'trap \"\" TERM; /bin/sleep $marker; true'" >jobs
	"$MLRUN" batch --json jobs >agg.json &
	pid=$!
	wait_for 100 pgrep -fx "/bin/sleep $marker"
	start=$(date +%s%N)
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	assert_equal "$rc" 143
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	[ "$elapsed_ms" -ge 4500 ] && [ "$elapsed_ms" -lt 15000 ]
	assert_equal "$(jvals agg.json 'r["interrupted"], r["failed_by_status"]')" "SIGTERM {'error': 1}"
	id=$(jvals agg.json 'r["id"]')
	wait_for 50 nothing_left "$id"
	no_process_matching "sleep $marker"
}

@test "a progress bar on a terminal's stderr, nothing when stderr is not a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	printf '/bin/true\n/bin/true\n/bin/false\n' >jobs
	run script -qec "'$MLRUN' batch jobs" /dev/null
	assert_failure 1 # the batch's status: one job failed
	assert_output --partial "] 0/3  ok 0  failed 0"
	assert_output --partial "[##############################] 3/3  ok 2  failed 1"
	run --separate-stderr "$MLRUN" batch jobs
	assert_failure 1
	[ -z "$stderr" ]
}

@test "1,000 /bin/true jobs at --jobs 2 all succeed and leave nothing behind" {
	for i in $(seq 1000); do echo /bin/true; done >jobs
	start=$(date +%s%N)
	run "$MLRUN" batch --jobs 2 jobs
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "# 1000 /bin/true jobs at --jobs 2: $ms ms" >&3
	assert_success
	assert_equal "$(agg total)" 1000
	assert_equal "$(agg succeeded)" 1000
	id=$(batch_id)
	wait_for 50 nothing_left "$id"
}

@test "--policy and --report-dir together, for a job with every option (the longest argument list)" {
	printf '{"cmd": ["/bin/sh", "-c", "echo $X"], "name": "all", "timeout": "5s", "memory": "128M", "env": {"X": "x1"}}\n' > jobs.jsonl
	run "$MLRUN" batch --jobs 1 --policy "$REPO/policies/strict.ini" --report-dir out jobs.jsonl
	assert_success
	[ "$(cat out/all.out)" = x1 ]
	run jfield out/all.json 'r["status"], r["policy"], r["limits"]["memory_bytes"]'
	assert_output "('exited', 'strict', 134217728)"
}
