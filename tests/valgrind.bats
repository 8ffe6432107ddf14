#!/usr/bin/env bats
# The supervisor under valgrind: no invalid access, no definite or indirect leak.
# Debian 12's valgrind (3.19) knows neither clone3 nor open_tree: mlrun falls back to clone, and
# the child (its own valgrind log, pid 1 of the sandbox) stops at open_tree; the supervisor's
# own log covers its full path up to reporting that failure. ASan (make check) covers the rest.
# mlrun is a static binary, whose malloc memcheck cannot replace (it preloads a library): the
# suite runs build/mlrun-dynamic, the same objects linked against the shared glibc (Makefile).
load helpers

setup() {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	# valgrind cannot run an ASan build (make check runs this suite against the plain one)
	case "$MLRUN" in *asan*) skip "valgrind does not run ASan builds";; esac
	MLRUN=$REPO/build/mlrun-dynamic
	[ -x "$MLRUN" ] || fail "$MLRUN is missing (make test-deps)"
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
}

# vg ARGS...: run mlrun under valgrind; the supervisor's log is every log but the child's (vg.1).
vg() {
	rm -f vg.*
	valgrind --log-file="$PWD/vg.%p" --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect "$MLRUN" "$@"
}
# As root the supervisor vforks mlrun-ids or getent (the sandbox ids' NSS lookup): valgrind gives
# that child a log of its own, which holds only valgrind's header, since the child's one act is
# execveat of the other program (an error or an _exit before it would end with a summary). Such a
# log is skipped; every other log but the sandbox's must say 0 errors.
only_header() {
	! grep -qvE '^==[0-9]+== ?(Memcheck, a memory error detector|Copyright .*|Using Valgrind.*|Command: .*|Parent PID: [0-9]+)?$' "$1"
}
supervisor_clean() {
	for f in vg.*; do
		[ "$f" = vg.1 ] && continue
		! only_header "$f" || continue
		grep -qE 'ERROR SUMMARY: 0 errors' "$f" || { cat "$f"; return 1; }
	done
}

@test "valgrind: argument, policy and bind errors" {
	run vg --memory 12Q -- /bin/true
	assert_failure 125
	supervisor_clean
	run vg --policy "$REPO/policies/strict.ini" --ro-bind /does/not/exist -- /bin/true
	assert_failure 125
	supervisor_clean
	run vg check "$REPO"/policies/*.ini
	assert_success
	supervisor_clean
}

@test "valgrind: features, ps" {
	run vg features --json
	assert_success
	supervisor_clean
	run vg ps
	assert_success
	supervisor_clean
}

@test "valgrind: a run through clone, supervision and the report" {
	run vg -q --report r.json -- /bin/true
	[ "$status" -ne 99 ]
	supervisor_clean
	run jfield r.json 'r["status"]'
	assert_output error
}
