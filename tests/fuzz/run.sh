#!/usr/bin/env bash
# run.sh BUILD SECONDS HARNESS... - run each libFuzzer harness of BUILD/fuzz/: first every file of
# its seed corpus (tests/fuzz/corpus/HARNESS/) once, then SECONDS of fuzzing from that corpus plus
# what earlier runs found (BUILD/corpus/HARNESS/), with tests/fuzz/HARNESS.dict if there is one.
# A crash, leak or UBSan report fails the run and leaves the input in BUILD/artifacts/. One line
# per harness: executions and coverage reached.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1 seconds=$2
shift 2
failed=0
for h in "$@"; do
	bin=$build/fuzz/$h seeds=tests/fuzz/corpus/$h work=$build/corpus/$h log=$build/logs/$h.log
	mkdir -p "$work" "$build/artifacts" "$build/logs"
	opts=(-artifact_prefix="$build/artifacts/$h-" -timeout=60 -rss_limit_mb=4096)
	[ -f "tests/fuzz/$h.dict" ] && opts+=(-dict="tests/fuzz/$h.dict")
	if ! [ -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		echo "fuzz $h: no seed corpus in $seeds"
		failed=1
		continue
	fi
	if ! "$bin" "${opts[@]}" "$seeds"/* >"$log" 2>&1; then
		echo "fuzz $h: FAILED on its seed corpus (see $log):"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5
		failed=1
		continue
	fi
	if ! "$bin" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1; then
		echo "fuzz $h: FAILED after fuzzing (see $log; input in $build/artifacts/):"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix)' "$log" | head -5
		failed=1
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
	ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1)
	echo "fuzz $h: ok, ${seconds}s, $execs executions, $cov, $ft, corpus $(ls "$work" | wc -l) new + $(ls "$seeds" | wc -l) seeds"
done
exit $failed
