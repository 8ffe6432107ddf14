#!/usr/bin/env bats
# The compiled seccomp filter is cached per profile: same profile, same filter, no recompile.
load helpers

setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	ensure_test_user
	WORK=$(mktemp -d /tmp/mlrun-cache.XXXXXX)
	chmod 755 "$WORK"
	mkdir -m 700 "$WORK/xdg" && chown "$TEST_USER" "$WORK/xdg"
	cd "$WORK"
}
teardown() { rm -rf "$WORK"; }

# Run as the unprivileged user with a private state directory (and so a private cache).
run_user() { run as_user env XDG_RUNTIME_DIR="$WORK/xdg" "$USER_MLRUN" -q --workdir none "$@"; }

cache_field() { jfield "$WORK/xdg/r.json" 'r["seccomp_filter_cache"]'; }

@test "first run compiles and stores the filter, the next one uses the stored one" {
	run_user --seccomp default --report "$WORK/xdg/r.json" -- /bin/true
	assert_success
	run cache_field
	assert_output miss
	[ "$(ls "$WORK/xdg/mlrun/seccomp" | wc -l)" -eq 1 ]
	run_user --seccomp default --report "$WORK/xdg/r.json" -- /bin/true
	run cache_field
	assert_output hit
	run_user --seccomp strict --report "$WORK/xdg/r.json" -- /bin/true
	run cache_field
	assert_output miss
	[ "$(ls "$WORK/xdg/mlrun/seccomp" | wc -l)" -eq 2 ]
}

@test "a cached filter is as strict as a compiled one" {
	for want in miss hit; do
		run as_user env XDG_RUNTIME_DIR="$WORK/xdg" "$USER_MLRUN" -q --workdir none --ro-bind "$USER_PROBE:/probe" \
			--seccomp default --report "$WORK/xdg/r.json" -- /probe syscall kcmp 0 0 0 0 0
		assert_failure
		run jfield "$WORK/xdg/r.json" '[v["syscall"] for v in r["violations"]], r["seccomp_filter_cache"]'
		assert_output "(['kcmp'], '$want')"
	done
}

@test "a corrupted or foreign cache entry is ignored and replaced" {
	run_user --seccomp default -- /bin/true
	f=$(ls "$WORK"/xdg/mlrun/seccomp/*.bpf)
	printf 'garbage' > "$f"
	run_user --seccomp default --report "$WORK/xdg/r.json" -- /bin/true
	assert_success
	run cache_field
	assert_output miss
	run_user --seccomp default --report "$WORK/xdg/r.json" -- /bin/true
	run cache_field
	assert_output hit
}
