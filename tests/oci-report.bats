#!/usr/bin/env bats
# mlrun's report for a container podman runs with mlrun-oci (docs/oci.md, "The report"): the
# violations of an mlrun policy put on top with the annotation run.mlrun.policy are counted, and so
# are the calls the config's own seccomp filter denies with ERRNO (each with its source; more in
# tests/oci-count.bats). The report outlives the container in
# its bundle (podman's StaticDir) until `podman rm`; a bundle directory another user can write
# is never written into.

load helpers
load oci/lib

setup_file() {
	require_root
	command -v podman >/dev/null || return 0
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P/bin"
	ln -s "$MLRUN" "$P/bin/mlrun-oci"
	podman_image "$P" sh echo mount mkdir hostname true
	# docs/oci.md's hybrid-host configuration, with podman's locks, tmp and network configuration
	# private to this file (the host's podman state is not touched).
	podman_conf "$P" "$P/bin/mlrun-oci"
	pm import -q "$P/bb.tar" localhost/mlrun-oci-report:1 >/dev/null
}

teardown_file() {
	[ -n "${P:-}" ] && [ -d "$P/store" ] || return 0
	pm rm -af >/dev/null 2>&1 || true
}

setup() {
	require_root
	need_podman
}

# The report a podman user reads: mlrun-report.json in the container's bundle (StaticDir).
report_of() { echo "$(pm inspect --format '{{.StaticDir}}' "$1")/mlrun-report.json"; }

@test "oci-report: podman with run.mlrun.policy=strict: the denied call is in the report with its count" {
	run pm run --name viol --annotation run.mlrun.policy=strict localhost/mlrun-oci-report:1 \
		sh -c 'mount -t tmpfs none /tmp; mount -t tmpfs none /tmp; echo after; exit 4'
	assert_equal "$status" 4
	assert_output --partial after
	local report
	report=$(report_of viol)
	[ -f "$report" ]
	assert_equal "$(jfield "$report" 'r["policy"]')" strict
	assert_equal "$(jfield "$report" 'r["exit_code"]')" 4
	assert_equal "$(jfield "$report" 'r["enforced"]["seccomp"]')" True
	assert_equal "$(jfield "$report" '[(v["syscall"], v["count"]) for v in r["violations"]]')" "[('mount', 2)]"
	[ "$(stat -c %a "$report")" = 600 ]
	# it is the container's: podman rm takes it with the bundle
	pm rm viol >/dev/null
	[ ! -e "$report" ]
}

# podman's default profile denies sethostname with ERRNO; strict on top denies it too. The
# kernel's verdict of the two stacked filters is the config's ERRNO (it precedes mlrun's
# notification), which now reaches the supervisor as a notification answered with exactly that
# errno: the call is counted, as the config's (source linux.seccomp), and the program still sees
# EPERM. mount, which podman's profile allows, is strict's (source run.mlrun.policy).
# (Before: only mount was counted.)
@test "oci-report: a call podman's own seccomp profile denies is counted, with its source" {
	run pm run --name own --annotation run.mlrun.policy=strict localhost/mlrun-oci-report:1 \
		sh -c 'hostname other; mount -t tmpfs none /tmp; echo after'
	assert_success
	assert_output --partial "sethostname: Operation not permitted"
	local report
	report=$(report_of own)
	assert_equal "$(jfield "$report" '[(v["syscall"], v["source"], v["action"], v["count"]) for v in r["violations"]]')" \
		"[('sethostname', 'linux.seccomp', 'errno', 1), ('mount', 'run.mlrun.policy', 'errno', 1)]"
	assert_equal "$(jfield "$report" 'r["seccomp_profile"]')" strict
	pm rm own >/dev/null
}

# --security-opt seccomp=FILE without the annotation: the config's filter is enforced (mkdir
# fails with the file's errnoRet), its denial is counted, and the report names the filter that
# was loaded: seccomp_profile "linux.seccomp", enforced.seccomp true. (Before: not counted,
# seccomp_profile "off", enforced.seccomp false.)
@test "oci-report: --security-opt seccomp=FILE: enforced and counted, the report names the config's filter" {
	cat >"$BATS_TEST_TMPDIR/deny-mkdir.json" <<'EOF2'
{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF2
	run pm run --name file --security-opt seccomp="$BATS_TEST_TMPDIR/deny-mkdir.json" localhost/mlrun-oci-report:1 \
		sh -c 'mkdir /tmp/x && echo made; echo after'
	assert_success
	assert_output --partial "Operation not permitted"
	refute_output --partial made
	local report
	report=$(report_of file)
	assert_equal "$(jfield "$report" '[(v["syscall"], v["source"], v["count"]) for v in r["violations"]]')" \
		"[('mkdir', 'linux.seccomp', 1)]"
	assert_equal "$(jfield "$report" 'r["seccomp_profile"]')" linux.seccomp
	assert_equal "$(jfield "$report" 'r["enforced"]["seccomp"]')" True
	# the config's filter is there, and the report says its ERRNO denials are counted
	assert_equal "$(jfield "$report" 'r["config_seccomp"]')" \
		"{'loaded': True, 'default_action': 'SCMP_ACT_ALLOW', 'denials_counted': True}"
	pm rm file >/dev/null
}

# Attack: the bundle directory is one another user can write (a caller's bundle under a shared
# directory): he plants mlrun-report.json as a link to a file of the victim's, or swaps it, so
# that delete (root) writes the report through it. A writable bundle is never written into.
@test "oci-report: delete keeps the report only in a bundle nobody else can write" {
	ensure_test_user2
	local b=$BATS_TEST_TMPDIR/b state=$BATS_TEST_TMPDIR/state victim=$BATS_TEST_TMPDIR/victim
	mkdir -p "$b" && mkdir -m 700 "$state"
	cp -a "$P/img" "$b/rootfs"
	(cd "$b" && crun spec)
	"$PY" - "$b/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'echo ran']
json.dump(c, open(sys.argv[1], 'w'))
EOF
	chmod 755 "$b" "$BATS_TEST_TMPDIR"
	# a private bundle: the report is kept there
	run "$P/bin/mlrun-oci" --root "$state" run --bundle "$b" k1
	assert_success
	assert_equal "$(jfield "$b/mlrun-report.json" 'r["exit_code"]')" 0
	rm "$b/mlrun-report.json"
	# the same bundle, writable by the attacker: whatever root wrote there he could swap for a
	# report of his own, so nothing is written
	chmod 777 "$b"
	run "$P/bin/mlrun-oci" --root "$state" run --bundle "$b" k2
	assert_success
	assert_output --partial "report not kept in the bundle"
	[ ! -e "$b/mlrun-report.json" ]
	# and with his link in place, the victim's file is untouched
	echo precious >"$victim"
	ln -s "$victim" "$b/mlrun-report.json"
	chown -h "$TEST_USER2" "$b/mlrun-report.json"
	run "$P/bin/mlrun-oci" --root "$state" run --bundle "$b" k3
	assert_success
	assert_output --partial "report not kept in the bundle"
	assert_equal "$(cat "$victim")" precious
	[ ! -e "$state/k3" ]
}
