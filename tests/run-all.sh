#!/usr/bin/env bash
# Runs every suite (C unit tests, host BATS suites, the cgroup v2 VM suites), all in TAP, and
# closes with one line "N passed, N failed[, N skipped]". Exit status is non-zero on any failure.
#   MLRUN=path     binary under test (default ./mlrun)     BUILD=dir  build dir (default build)
#   MLRUN_SKIP_VM=1  skip the qemu suites                  SUITES="a b"  only these host suites
#   MLRUN_ASAN=path  also run the host suites against this ASan+UBSan binary
set -u
cd "$(dirname "$0")/.."
export MLRUN=${MLRUN:-$PWD/mlrun} BUILD=${BUILD:-build}
log=$(mktemp "${TMPDIR:-/tmp}/mlrun-tap.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0

section() { printf '# ---- %s\n' "$*" | tee -a "$log"; }

# The suites must leave the host's devices alone (crun, for one, fchown()s its stdio to the
# container's user, /dev/null included): a change fails the run, naming what changed.
devnull() { stat -c '%F %t,%T owner %u:%g mode %a' /dev/null; }
devnull_before=$(devnull)
[[ $devnull_before == "character special file 1,3 owner 0:0 mode 666" ]] ||
	echo "# warning: the host's /dev/null is not root's 0666 null device before the tests: $devnull_before"

section "unit tests"
for t in "$BUILD"/tests/unit/*; do
	[ -x "$t" ] || continue
	"$t" 2>&1 | tee -a "$log" || rc=1
done

section "layers (tests/check-layers.sh: no include points up, docs/design.md)"
tests/check-layers.sh 2>&1 | tee -a "$log" || rc=1

section "python (pytest: tests/python)"
if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
	# pytest's -rA summary, one line per test, as TAP
	/usr/bin/python3 -m pytest -q -p no:cacheprovider -rA tests/python 2>&1 | awk '
		/^(PASSED|FAILED|ERROR|XPASS) / { n++; print ($1 == "PASSED" || $1 == "XPASS" ? "ok " : "not ok ") n " - " $2; next }
		/^(SKIPPED|XFAIL) / { n++; $1 = ""; print "ok " n " - python" $0 " # SKIP"; next }
		/^=+ .* in [0-9.]+s/ { print "# " $0 }
		END { if (n == 0) print "not ok 1 - pytest ran no test" }' | tee -a "$log"
else
	echo "not ok 1 - python3-pytest is not installed (make deps)" | tee -a "$log"
fi

section "host suites"
suites=${SUITES:-$(ls tests/*.bats)}
# shellcheck disable=SC2086
bats --tap $suites 2>&1 | tee -a "$log" || rc=1

# The same host suites against the ASan+UBSan build, when it was built (make check builds it).
if [ -n "${MLRUN_ASAN:-}" ] && [ -x "$MLRUN_ASAN" ]; then
	section "host suites under ASan+UBSan ($MLRUN_ASAN)"
	# shellcheck disable=SC2086
	MLRUN=$MLRUN_ASAN ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		bats --tap $suites 2>&1 | sed 's/^\(not \)\{0,1\}ok \([0-9]*\) /&[asan] /' | tee -a "$log" || rc=1
fi

if [ "${MLRUN_SKIP_VM:-0}" != 1 ]; then
	section "cgroup v2 VM suites"
	tests/vm/run.sh 2>&1 | tee -a "$log" || rc=1
	section "systemd VM suites (systemd as PID 1, a rootless user with nothing set up)"
	tests/vm/run.sh --systemd 2>&1 | tee -a "$log" || rc=1
fi

if [ "$(devnull)" != "$devnull_before" ]; then
	echo "not ok 0 the host's /dev/null changed during the tests: $devnull_before -> $(devnull)" | tee -a "$log"
fi

passed=$(grep -cE '^ok [0-9]+' "$log" | head -1)
skipped=$(grep -cE '^ok [0-9]+ .*# [Ss][Kk][Ii][Pp]' "$log" | head -1)
failed=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
passed=$((passed - skipped))
[ "$failed" -eq 0 ] || rc=1
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then rc=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
