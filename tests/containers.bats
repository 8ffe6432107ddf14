#!/usr/bin/env bats
# mlrun inside the containers CI jobs and clusters run it in (issue 16): crun starts a container
# configured like a Kubernetes pod, a Docker/podman container or crun's own default spec (root
# inside without a user namespace, their capability sets, the standard maskedPaths/readonlyPaths,
# the containers-common seccomp profile), and mlrun runs inside it. See docs/containers.md.
load helpers

# The container binds the staged copy (readable by every uid, outside a 0700 /root).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	require_root
	command -v crun >/dev/null || skip "crun is not installed (Debian: apt-get install crun; make deps)"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$WORK" && chmod 755 "$WORK"
}

# in_container KIND [bundle.py options] -- ARGV...: run ARGV in a fresh container of KIND
# (tests/containers/bundle.py) with the staged mlrun and $WORK bound read-only; $WORK is the cwd.
in_container() {
	local bundle=$BATS_TEST_TMPDIR/bundle-$RANDOM$RANDOM opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	mkdir -p "$bundle"
	"$PY" "$REPO/tests/containers/bundle.py" "$bundle" "${opts[@]}" --bind "$USER_DIR" --bind "$WORK" \
		--cwd "$WORK" -- "$@" >/dev/null || return 125
	"$REPO/tests/containers/crun-run.sh" "$bundle" "mlrun-test-$$-$RANDOM"
}

@test "containers: root without CAP_SETUID/CAP_SETGID maps its own uid, as a rootless caller does" {
	run in_container nosetid --unmasked -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" \
		/usr/bin/python3 -c 'import os; print("uid", os.getuid())'
	assert_success
	assert_output "uid 0"
}

@test "containers: root without CAP_SETUID and CAP_SETFCAP (crun's default spec) is told why, not about AppArmor" {
	run in_container fewcaps --unmasked -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_output --partial "without CAP_SETUID/CAP_SETGID and without CAP_SETFCAP"
	assert_output --partial "Docker's default capabilities"
	refute_output --partial "AppArmor"
}
