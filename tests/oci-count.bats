#!/usr/bin/env bats
# The calls an OCI config's own seccomp filter (linux.seccomp: podman's default profile,
# --security-opt seccomp=FILE) denies with ERRNO are counted in mlrun-oci's report (docs/oci.md,
# "The report"): that filter and the run.mlrun.policy filter are one program whose config-ERRNO
# verdict notifies the supervisor, which answers with exactly the config's errno. The program sees
# the same errno as before; a storm is throttled and still answered with it; KILL stays the
# kernel's; a killed supervisor never lets a denied call through.

load helpers
load oci/lib

setup_file() {
	require_root
	oci_setup_file sh echo cat true mkdir
	mkdir -p "$OCI_DIR/rootfs/tmp"
	cp "$PROBE" "$OCI_DIR/rootfs/bin/"
	chmod -R a+rX "$OCI_DIR"
	command -v podman >/dev/null || return 0
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P"
	tar -C "$OCI_DIR/rootfs" -cf "$P/img.tar" .
	podman_conf "$P" "$OCI"
	pm import -q "$P/img.tar" localhost/mlrun-oci-count:1 >/dev/null
}

teardown_file() {
	[ -n "${P:-}" ] && [ -d "$P/store" ] || return 0
	pm rm -af >/dev/null 2>&1 || true
}

setup() { require_root; }

report_of() { echo "$(pm inspect --format '{{.StaticDir}}' "$1")/mlrun-report.json"; }

# A bundle running sh -c CMD with a linux.seccomp of ours: allow by default; bpf ERRNO 1 (EPERM),
# add_key ERRNO with defaultErrnoRet-like 38 (ENOSYS), mkdir ERRNO 13 (EACCES), acct KILL_PROCESS.
# EDIT: more Python on c, the config.
MKBUNDLE_PY='
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
    {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["add_key"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["acct"], "action": "SCMP_ACT_KILL_PROCESS"}]}
'

@test "oci-count: podman's default profile: denied calls are counted, each answered with the profile's own errno" {
	need_podman
	# bpf: an explicit ERRNO 1 rule (without CAP_SYS_ADMIN); add_key: not listed, so the
	# defaultAction ERRNO with defaultErrnoRet 38
	run pm run --name dflt localhost/mlrun-oci-count:1 \
		sh -c 'probe call bpf; probe call bpf; probe call add_key; echo after'
	assert_success
	assert_line "bpf: errno 1"
	assert_line "add_key: errno 38"
	assert_output --partial after
	local report
	report=$(report_of dflt)
	assert_equal "$(jfield "$report" 'sorted((v["syscall"], v["count"], v["source"], v["action"]) for v in r["violations"])')" \
		"[('add_key', 1, 'linux.seccomp', 'errno'), ('bpf', 2, 'linux.seccomp', 'errno')]"
	assert_equal "$(jfield "$report" 'r["seccomp_profile"]')" linux.seccomp
	assert_equal "$(jfield "$report" 'r["enforced"]["seccomp"]')" True
	pm rm dflt >/dev/null
}

@test "oci-count: a bundle: the program sees exactly the config's errno, the report counts it" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'probe call bpf; probe call add_key; probe call mkdir; probe call mkdir; probe call audit-socket'
	run oci run --bundle "$b" c1
	assert_success
	assert_line "bpf: errno 1"
	assert_line "add_key: errno 38"
	assert_line "mkdir: errno 13"
	assert_line "audit-socket: ok"
	assert_equal "$(jfield "$b/mlrun-report.json" '[(v["syscall"], v["count"], v["source"]) for v in r["violations"]]')" \
		"[('bpf', 1, 'linux.seccomp'), ('add_key', 1, 'linux.seccomp'), ('mkdir', 2, 'linux.seccomp')]"
}

# A call both filters deny gets what the kernel would give the two stacked filters: the config's
# ERRNO (13 here) precedes mlrun's notification, and it is counted as the config's. A call only
# strict denies (mount) is strict's.
@test "oci-count: with run.mlrun.policy=strict: a call both deny gets the config's errno; sources are told apart" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'probe call mkdir; probe call mount; probe call bpf' \
		"c.setdefault('annotations', {})['run.mlrun.policy'] = 'strict'"
	run oci run --bundle "$b" c2
	assert_success
	assert_line "mkdir: errno 13"
	assert_line "mount: errno 1"
	assert_line "bpf: errno 1"
	assert_equal "$(jfield "$b/mlrun-report.json" '[(v["syscall"], v["count"], v["source"]) for v in r["violations"]]')" \
		"[('mkdir', 1, 'linux.seccomp'), ('mount', 1, 'run.mlrun.policy'), ('bpf', 1, 'linux.seccomp')]"
	assert_equal "$(jfield "$b/mlrun-report.json" 'r["seccomp_profile"]')" strict
}

# KILL never waits for the supervisor: the kernel kills (SIGSYS), nothing is counted.
@test "oci-count: the config's KILL stays the kernel's, not counted" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'probe call bpf; exec probe call acct'
	run oci run --bundle "$b" c3
	assert_equal "$status" 159
	assert_line "bpf: errno 1"
	refute_output --partial "acct:"
	assert_equal "$(jfield "$b/mlrun-report.json" '[v["syscall"] for v in r["violations"]]')" "['bpf']"
}

# A program hammering a denied call must not burn the supervisor's CPU: the storm throttle holds
# the calls in the kernel, and every one is still answered with the config's errno (never
# allowed, never another errno), and counted.
@test "oci-count: a storm of config-denied calls is throttled and still answered with the errno" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'probe call-storm bpf 1.5 1'
	run oci run --bundle "$b" c4
	assert_success
	assert_output --regexp '^calls [0-9]+ unexpected 0$'
	local calls=${output#calls }
	calls=${calls%% *}
	local report=$b/mlrun-report.json
	assert_equal "$(jfield "$report" 'r["violations_lower_bound"]')" True
	assert_equal "$(jfield "$report" 'r["violations_throttled_ms"] > 0')" True
	assert_equal "$(jfield "$report" '[(v["syscall"], v["count"]) for v in r["violations"]]')" "[('bpf', $calls)]"
	# the throttle kept mlrun's CPU to a small share of the run's wall time (grace + 1/50)
	assert_equal "$(jfield "$report" 'r["supervisor_cpu_ms"] < 20 + r["wall_ms"] / 50 + 60')" True
}

# Attack: the program makes config-denied calls in a loop while the supervisor is killed. The
# listener closes with it: a waiting or later call fails (ENOSYS), PDEATHSIG ends the container;
# no call is ever allowed.
@test "oci-count: denied calls while the supervisor is killed are never allowed" {
	local b=$BATS_TEST_TMPDIR/b out=$BATS_TEST_TMPDIR/out
	mkdir -p "$out" && chmod 777 "$out" # container root is host uid 60000
	mkbundle "$b" 'exec probe call-loop bpf /out/log' \
		"c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$out', 'options': ['rbind', 'rw']})"
	oci create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" c5 </dev/null >/dev/null 2>&1
	oci start c5
	wait_for 50 file_has "$out/log" running
	wait_for 50 file_has "$out/log" "errno 1"
	kill -KILL "$(cat "$BATS_TEST_TMPDIR/pid")"
	wait_for 50 status_is c5 stopped
	oci delete c5
	run cat "$out/log"
	refute_output --partial ALLOWED
	assert_line "errno 1"
	# nothing but the config's errno and, once the listener is gone, the kernel's ENOSYS
	run grep -cvxE 'running|errno 1|errno 38' "$out/log"
	assert_output 0
}

# An exec'd process has no monitor: its config filter stays the kernel's (ERRNO in the kernel),
# the same errno, not counted.
@test "oci-count: an exec'd process gets the config's errno from the kernel" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'while :; do sleep 0.1; done'
	ln -sf busybox "$OCI_DIR/rootfs/bin/sleep"
	oci create --bundle "$b" c6 </dev/null >/dev/null 2>&1
	oci start c6
	wait_for 50 status_is c6 running
	run oci exec c6 probe call bpf
	assert_success
	assert_output "bpf: errno 1"
	oci kill c6 TERM
	wait_for 50 status_is c6 stopped
	assert_equal "$(jfield "$OCI_ROOT/c6/report.json" 'r["violations"]')" "[]"
	oci delete c6
}

# The kernel allows one seccomp listener per process: the counting filter holds it, so a program
# that needs its own (a nested sandbox: mlrun, a container runtime) gets EBUSY. The annotation
# run.mlrun.seccomp_count = "off" gives it back: the config's filter is the kernel's alone, as
# before, its denials not counted and the report saying so.
@test "oci-count: run.mlrun.seccomp_count=off leaves the listener to the program, and counts nothing" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'probe listener'
	run oci run --bundle "$b" c7
	assert_success
	assert_output "listener: errno 16"
	mkbundle "$b" 'probe call bpf; probe listener' \
		"c.setdefault('annotations', {})['run.mlrun.seccomp_count'] = 'off'"
	run oci run --bundle "$b" c8
	assert_success
	assert_line "bpf: errno 1"
	assert_line "listener: ok"
	assert_equal "$(jfield "$b/mlrun-report.json" 'r["violations"]')" "[]"
	assert_equal "$(jfield "$b/mlrun-report.json" 'r["seccomp_profile"]')" off
	assert_equal "$(jfield "$b/mlrun-report.json" 'r["enforced"]["seccomp"]')" False
	mkbundle "$b" 'true' "c.setdefault('annotations', {})['run.mlrun.seccomp_count'] = 'no'"
	run oci run --bundle "$b" c9
	assert_failure
	assert_output --partial "annotations.run.mlrun.seccomp_count: 'no': only \"off\" is accepted"
}
