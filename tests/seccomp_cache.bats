#!/usr/bin/env bats
# The compiled seccomp filter is never cached on disk (docs/security.md, "State directory and
# filter cache"): every run compiles its own, so nothing another user, an earlier run or the
# sandboxed program wrote can stand in for it.
load helpers

# The test user runs a staged copy: the checkout may be closed to it (/root is 0700).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	ensure_test_user
	WORK=$(mktemp -d /tmp/mlrun-cache.XXXXXX)
	chmod 755 "$WORK"
	mkdir -m 700 "$WORK/xdg" && chown "$TEST_USER" "$WORK/xdg"
	cp "$PROBE" "$WORK/probe" && chmod 755 "$WORK/probe"
	cd "$WORK"
}
teardown() { rm -rf "$WORK"; }

run_user() { run as_user env XDG_RUNTIME_DIR="$WORK/xdg" "$USER_MLRUN" -q --workdir none "$@"; }

@test "no filter is stored and the report has no cache field" {
	run_user --seccomp default --report "$WORK/xdg/r.json" -- /bin/true
	assert_success
	[ ! -e "$WORK/xdg/mlrun/seccomp" ]
	run jfield "$WORK/xdg/r.json" '"seccomp_filter_cache" in r, r["enforced"]["seccomp"]'
	assert_output "(False, True)"
}

@test "every run is as strict as the first, whatever the old cache directory holds" {
	as_user sh -c "umask 077; mkdir -p '$WORK/xdg/mlrun/seccomp'"
	for i in 1 2; do
		# Whatever names the old cache used: a file of ours that says "allow everything".
		as_user sh -c "printf 'MLRUNBPF' > '$WORK/xdg/mlrun/seccomp/$i.bpf'"
		run as_user env XDG_RUNTIME_DIR="$WORK/xdg" "$USER_MLRUN" -q --workdir none --ro-bind "$WORK/probe:/probe" \
			--seccomp default --report "$WORK/xdg/r.json" -- /probe syscall kcmp 0 0 0 0 0
		assert_failure
		run jfield "$WORK/xdg/r.json" '[v["syscall"] for v in r["violations"]]'
		assert_output "['kcmp']"
	done
}
