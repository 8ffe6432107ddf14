#!/usr/bin/env bats
# mlrun's report for a container podman runs with mlrun-oci (docs/oci.md, "The report"): the
# violations of an mlrun policy put on top with the annotation run.mlrun.policy are counted; a
# call the config's own seccomp filter denies is not (its ERRNO is returned in the kernel,
# nothing is notified), and the report does not claim it. The report outlives the container in
# its bundle (podman's StaticDir) until `podman rm`; a bundle directory another user can write
# is never written into.

load helpers

setup_file() {
	require_root
	command -v podman >/dev/null || return 0
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P/bin" "$P/img/bin" "$P/tmp" "$P/net"
	ln -s "$MLRUN" "$P/bin/mlrun-oci"
	cp /bin/busybox "$P/img/bin/"
	for a in sh echo mount mkdir hostname true; do ln -s busybox "$P/img/bin/$a"; done
	tar -C "$P/img" -cf "$P/bb.tar" .
	# docs/oci.md's hybrid-host configuration, with podman's locks, tmp and network configuration
	# private to this file (the host's podman state is not touched).
	cat >"$P/containers.conf" <<EOF
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
lock_type = "file"
tmp_dir = "$P/tmp"
runtime = "crun"
runtime_supports_nocgroups = ["crun"]

[engine.runtimes]
crun = ["$P/bin/mlrun-oci"]

[network]
network_config_dir = "$P/net"
EOF
	CONTAINERS_CONF=$P/containers.conf podman --root "$P/store" --runroot "$P/run" --storage-driver vfs \
		import -q "$P/bb.tar" localhost/mlrun-oci-report:1 >/dev/null
}

teardown_file() {
	[ -n "${P:-}" ] && [ -d "$P/store" ] || return 0
	CONTAINERS_CONF=$P/containers.conf podman --root "$P/store" --runroot "$P/run" --storage-driver vfs \
		rm -af >/dev/null 2>&1 || true
}

setup() {
	require_root
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
}

pm() { CONTAINERS_CONF=$P/containers.conf podman --root "$P/store" --runroot "$P/run" --storage-driver vfs "$@"; }
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

# podman's default profile returns ERRNO for sethostname in the kernel: with strict on top (which
# denies it too) the stricter verdict, the config's ERRNO, wins over mlrun's notification, so
# the supervisor never sees the call. The report lists only what mlrun's own filter caught.
@test "oci-report: a call podman's own seccomp profile denies is not counted" {
	run pm run --name own --annotation run.mlrun.policy=strict localhost/mlrun-oci-report:1 \
		sh -c 'hostname other; mount -t tmpfs none /tmp; echo after'
	assert_success
	assert_output --partial "sethostname: Operation not permitted"
	local report
	report=$(report_of own)
	assert_equal "$(jfield "$report" '[v["syscall"] for v in r["violations"]]')" "['mount']"
	pm rm own >/dev/null
}

# --security-opt seccomp=FILE without the annotation: the config's filter is enforced (mkdir
# fails), mlrun's monitor is not in the loop, and the report says so (no mlrun profile, seccomp
# not among what mlrun enforced, no violations) rather than claiming a count.
@test "oci-report: --security-opt seccomp=FILE: enforced, not counted, and the report does not claim it" {
	cat >"$BATS_TEST_TMPDIR/deny-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
	run pm run --name file --security-opt seccomp="$BATS_TEST_TMPDIR/deny-mkdir.json" localhost/mlrun-oci-report:1 \
		sh -c 'mkdir /tmp/x && echo made; echo after'
	assert_success
	assert_output --partial "Operation not permitted"
	refute_output --partial made
	local report
	report=$(report_of file)
	assert_equal "$(jfield "$report" 'r["violations"]')" "[]"
	assert_equal "$(jfield "$report" 'r["seccomp_profile"]')" off
	assert_equal "$(jfield "$report" 'r["enforced"]["seccomp"]')" False
	# the config's filter is there, and the report says its denials are not counted
	assert_equal "$(jfield "$report" 'r["config_seccomp"]')" \
		"{'loaded': True, 'default_action': 'SCMP_ACT_ALLOW', 'denials_counted': False}"
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
