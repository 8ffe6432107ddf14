#!/usr/bin/env bats
# make install: binary, NSS helper, policies, analyzer, probe and man pages, relocatable under any PREFIX.
load helpers

setup() {
	WORK=$(mktemp -d /tmp/mlrun-install.XXXXXX)
	chmod 755 "$WORK"
}
teardown() { rm -rf "$WORK"; }

@test "make install PREFIX=... installs everything, and the installed mlrun finds its data" {
	run make -C "$REPO" -s install PREFIX="$WORK/prefix"
	assert_success
	for f in bin/mlrun libexec/mlrun/mlrun-ids share/mlrun/policies/strict.ini share/mlrun/policies/default.ini \
		share/mlrun/policies/permissive.ini share/mlrun/scan/mlrun_scan.py share/mlrun/probes/probe \
		share/man/man1/mlrun.1 share/man/man5/mlrun-policy.5; do
		[ -e "$WORK/prefix/$f" ] || fail "missing $f"
	done
	mkdir "$WORK/elsewhere" && cd "$WORK/elsewhere" # no ./policies here
	run "$WORK/prefix/bin/mlrun" -q --policy strict --report r.json -- /bin/true
	assert_success
	run jfield r.json 'r["policy"], r["limits"]["memory_bytes"]'
	assert_output "('strict', 268435456)"
	printf 'eval("1")\n' > x.py
	run "$WORK/prefix/bin/mlrun" scan --json x.py
	assert_success
	assert_output --partial '"rule": "call-eval"'
	grep -q "run an untrusted program in a fresh Linux sandbox" "$WORK/prefix/share/man/man1/mlrun.1"
}
