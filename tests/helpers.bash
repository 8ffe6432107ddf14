# Shared set-up for the host BATS suites: the binary under test, the static probe, and a few
# helpers that observe the sandbox from outside.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
MLRUN=${MLRUN:-$REPO/mlrun}
PROBE=$REPO/${BUILD:-build}/tests/probe
PY=/usr/bin/python3
TEST_USER=mlrun-test

# Run the probe in a sandbox: sandbox_probe [MLRUN OPTIONS] -- probe ARGS
sb() { "$MLRUN" -q --ro-bind "$PROBE:/probe" "$@"; }

# JSON field of a report file: jfield FILE 'expr' (python expression over r).
jfield() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# Slow-down factor for every bounded wait (the one knob for a loaded machine): each bound below is
# multiplied by it. The default leaves room for a busy 2-core CI host.
SLOW=${MLRUN_SLOW:-3}

# Poll until a command succeeds, at most N tenths of a second (times SLOW).
wait_for() {
	local tries=$(($1 * SLOW)); shift
	while ! "$@" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# An unprivileged user for the rootless tests (created once, like the test suites of peers do).
ensure_test_user() {
	require_root
	id -u "$TEST_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER" \
		|| skip "cannot create $TEST_USER"
}

# Run a command as the unprivileged test user.
as_user() { setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups --reset-env -- "$@"; }

# What the test users run (the binary under test, the probe, the policies, the analyzer), copied
# once per file into a directory they can reach, laid out as `make install` does (bin/,
# share/mlrun/): the checkout may sit where other users cannot go (/root is 0700 on Debian).
# setup_file() { stage_for_user; }  teardown_file() { unstage_for_user; }
# Sets USER_MLRUN (same name as $MLRUN), USER_PROBE and USER_POLICIES.
stage_for_user() {
	USER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mlrun-user.XXXXXX") || return 1
	local share=$USER_DIR/share/mlrun
	mkdir -p "$USER_DIR/bin" "$share/probes" "$share/scan" && cp "$MLRUN" "$USER_DIR/bin/" &&
		cp "$PROBE" "$share/probes/probe" && cp -r "$REPO/policies" "$share/policies" &&
		cp "$REPO/tools/scan/mlrun_scan.py" "$share/scan/" && chmod -R a+rX,go-w "$USER_DIR" || return 1
	export USER_DIR USER_MLRUN="$USER_DIR/bin/${MLRUN##*/}" USER_PROBE="$share/probes/probe" \
		USER_POLICIES="$share/policies"
}
unstage_for_user() { [ -z "${USER_DIR:-}" ] || rm -rf "$USER_DIR"; }

# A second unprivileged user, for cross-user attacks (the attacker; TEST_USER is the victim).
TEST_USER2=mlrun-test2
ensure_test_user2() {
	ensure_test_user
	id -u "$TEST_USER2" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER2" \
		|| skip "cannot create $TEST_USER2"
}
as_user2() { setpriv --reuid "$TEST_USER2" --regid "$TEST_USER2" --init-groups --reset-env -- "$@"; }


# Direct children of a pid.
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep .; }

# The pids of every descendant of a pid (breadth first).
descendants_of() {
	local queue=("$1") p c
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}; queue=("${queue[@]:1}")
		for c in $(children_of "$p"); do echo "$c"; queue+=("$c"); done
	done
}

# A process that is gone or a zombie (this host's pid 1 may be slow to reap orphans).
is_dead() { [ ! -e /proc/"$1" ] || grep -q '^State:.*Z' /proc/"$1"/status; }

# No process has pattern in its command line (checked, never killed: we end only our own pids).
no_process_matching() { ! pgrep -f "$1" >/dev/null; }

# FILE has at least N lines (re-evaluated on every poll).
has_lines() { [ "$(grep -c . "$1" 2>/dev/null)" -ge "$2" ]; }

# The sandboxed program of a running mlrun: mlrun -> pid 1 (init) -> program.
program_pid() { local init; init=$(children_of "$1" | head -1); [ -n "$init" ] && children_of "$init" | head -1; }
# The program exists and has exec'd NAME (poll with wait_for).
program_running() { local p; p=$(program_pid "$1") && [ -n "$p" ] && grep -q "^Name:.*$2" /proc/"$p"/status; }
