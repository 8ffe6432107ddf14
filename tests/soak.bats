#!/usr/bin/env bats
# The short soak of `make check` (tests/soak.sh; `make soak` is the long one): many runs in a row
# and side by side leave nothing behind and do not grow the supervisor. The 10,000-run numbers
# are in docs/testing.md.

load helpers

setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

@test "soak: 300 sequential runs leave no state file, leaf, mount, fd, zombie or process and the supervisor stays flat" {
	require_root
	run "$REPO/tests/soak.sh" 300 1
	echo "$output"
	assert_success
	assert_output --partial "runs failed                             0"
}

@test "soak: 100 runs 4 at a time leave nothing behind" {
	require_root
	run "$REPO/tests/soak.sh" 100 4
	echo "$output"
	assert_success
}

@test "soak: rootless, 100 runs 4 at a time leave nothing behind" {
	ensure_test_user
	mkdir -p "$USER_DIR/tests" && cp "$REPO/tests/soak.sh" "$USER_DIR/tests/" && chmod a+rx "$USER_DIR/tests"
	run as_user env MLRUN="$USER_MLRUN" MLRUN_SLOW="$SLOW" "$USER_DIR/tests/soak.sh" 100 4
	echo "$output"
	assert_success
}

@test "soak: a leak is seen (a state file left behind fails the soak)" {
	require_root
	# A wrapper that runs mlrun, then leaves a state file named like the run's, as a leaky mlrun would.
	local fake=$BATS_TEST_TMPDIR/leaky
	mkdir -p "$fake/bin" && ln -s "$REPO/policies" "$fake/policies"
	cat >"$fake/bin/mlrun" <<-SH
		#!/bin/bash
		"$MLRUN" "\$@"; rc=\$?
		for a in "\$@"; do [ "\$prev" = --name ] && case \$a in *-5) echo '{}' >/run/mlrun/"\$a".json ;; esac; prev=\$a; done
		exit \$rc
	SH
	chmod +x "$fake/bin/mlrun"
	run env MLRUN="$fake/bin/mlrun" "$REPO/tests/soak.sh" 10 1
	rm -f /run/mlrun/soak-*-5.json
	echo "$output"
	assert_failure
	assert_output --regexp "state files left +0 +1  <- changed"
}
