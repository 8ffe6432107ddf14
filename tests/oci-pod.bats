#!/usr/bin/env bats
# What a Kubernetes pod sandbox (CRI's pause container) asks of mlrun-oci, on the host
# (docs/oci.md): process.oomScoreAdj written for the container's processes by the runtime (the
# kernel's rule on lowering it holds: rootless, a value below the caller's own fails create
# naming the field), linux.resources.cpu.shares refused where no cgroup v2 leaf can take it as
# cpu.weight (this hybrid host; tests/vm/oci-pod.bats writes it in the VM), and the report's
# account of the config's own seccomp filter. The CRI pod itself runs in the VM
# (tests/vm/oci-config.bats, tests/vm/oci-pod.bats).

load helpers
load oci/lib

setup_file() {
	require_root
	stage_for_user
	export OCI_DIR=$BATS_FILE_TMPDIR/oci
	mkdir -p "$OCI_DIR/rootfs/bin"
	cp /bin/busybox "$OCI_DIR/rootfs/bin/"
	for a in sh echo cat; do ln -s busybox "$OCI_DIR/rootfs/bin/$a"; done
	ln -s "${USER_MLRUN##*/}" "$USER_DIR/bin/mlrun-oci"
	chmod -R a+rX "$OCI_DIR"
	export OCI="$USER_DIR/bin/mlrun-oci" OCI_ROOT=$OCI_DIR/state
	# mkbundle, oci (tests/oci/lib.bash): each bundle with a copy of this root
	export MKBUNDLE_ROOTFS=$OCI_DIR/rootfs
}

teardown_file() { unstage_for_user; }

setup() { require_root; }

exited() { [ "$(jfield "$1" 'r["status"]')" = exited ]; }
# CAP_SYS_RESOURCE (bit 24) in this shell's effective set: this project's host root lacks it
has_sys_resource() { (($(printf '%d' "0x$(sed -n 's/^CapEff:\t//p' /proc/self/status)") >> 24 & 1)); }

@test "oci-pod: process.oomScoreAdj is the container's oom_score_adj; the program cannot go below it" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'cat /proc/self/oom_score_adj /proc/1/oom_score_adj; echo -1000 2>/dev/null > /proc/self/oom_score_adj || echo refused; cat /proc/self/oom_score_adj' \
		'c["process"]["oomScoreAdj"] = 500'
	run oci run --bundle "$b" o1
	assert_success
	assert_equal "${lines[*]}" "500 500 refused 500"
}

@test "oci-pod: as root with CAP_SYS_RESOURCE, CRI's oomScoreAdj -998 holds" {
	local b=$BATS_TEST_TMPDIR/b
	has_sys_resource || skip "this root lacks CAP_SYS_RESOURCE: a value below its own (-998, CRI's) is tested in the VM"
	mkbundle "$b" 'cat /proc/self/oom_score_adj' 'c["process"]["oomScoreAdj"] = -998'
	run oci run --bundle "$b" o2
	assert_success
	assert_output -- -998
}

# The kernel's rule: lowering oom_score_adj below what the process may take itself needs
# CAP_SYS_RESOURCE. Rootless (and a root without it, as here), a lower value is refused by name;
# never ignored, never left half-created.
@test "oci-pod: an oomScoreAdj below the caller's own fails create naming the field, rootless or without CAP_SYS_RESOURCE" {
	ensure_test_user
	local d
	d=$(mktemp -d /tmp/mlrun-oci-pod.XXXXXX)
	chmod 755 "$d"
	mkbundle "$d/b" 'cat /proc/self/oom_score_adj' \
		'c["linux"]["namespaces"].append({"type": "user"}); c["process"]["oomScoreAdj"] = -998'
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/state"
	run as_user "$OCI" --root "$d/state" run --bundle "$d/b" u1
	assert_failure
	assert_output --partial "process.oomScoreAdj: -998 is below what mlrun-oci may set"
	assert_output --partial CAP_SYS_RESOURCE
	refute_line -- -998
	[ -z "$(ls -A "$d/state")" ]
	# a value above its own is anyone's to set
	"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["oomScoreAdj"]=300; json.dump(c,open(sys.argv[1],"w"))' "$d/b/config.json"
	run as_user "$OCI" --root "$d/state" run --bundle "$d/b" u2
	rm -rf "$d"
	assert_success
	assert_output 300
	if ! has_sys_resource; then
		mkbundle "$BATS_TEST_TMPDIR/b" 'echo ran' 'c["process"]["oomScoreAdj"] = -998'
		run oci run --bundle "$BATS_TEST_TMPDIR/b" r1
		assert_failure
		assert_output --partial "process.oomScoreAdj: -998"
		refute_output --partial ran
	fi
	# out of range, whoever asks
	mkbundle "$BATS_TEST_TMPDIR/b" 'echo ran' 'c["process"]["oomScoreAdj"] = -1001'
	run oci run --bundle "$BATS_TEST_TMPDIR/b" r2
	assert_failure
	assert_output --partial "process.oomScoreAdj: not an integer from -1000 to 1000"
}

# Without a cgroup v2 leaf (this hybrid host) a weight cannot be set: any value other than the
# default (0: unset, 1024: cpu.weight 100, what a cgroup has anyway) fails create naming the
# field, as memory, pids and cpu quota do; never a silent skip. CRI's pause container asks for 2.
@test "oci-pod: linux.resources.cpu.shares without a cgroup v2 leaf: only the default passes, others fail naming the field" {
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "a pure cgroup v2 host: tests/vm/oci-pod.bats covers the leaf"
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo ran' 'c["linux"]["resources"] = {"cpu": {"shares": 2}}'
	run oci run --bundle "$b" s1
	assert_failure
	assert_output --partial "linux.resources.cpu.shares: cannot be enforced on this host"
	refute_output --partial ran
	[ ! -e "$OCI_ROOT/s1" ]
	mkbundle "$b" 'echo ran' 'c["linux"]["resources"] = {"cpu": {"shares": 1024}}'
	run oci run --bundle "$b" s2
	assert_success
	assert_output ran
}

# With run.mlrun.seccomp_count = off and no policy annotation the report's seccomp fields say
# mlrun enforces and counts nothing (off, not enforced by mlrun); config_seccomp says the config's
# filter was loaded and that its denials are not counted, and not_enforced_reason says why
# enforced.seccomp is false. (Counted denials: tests/oci-report.bats, tests/oci-count.bats.)
@test "oci-pod: with seccomp_count off the report says the config's own seccomp filter is loaded and its denials are not counted" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo x > /dev/null; cat /nonexistent 2>/dev/null; echo ran' \
		'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}; c.setdefault("annotations", {})["run.mlrun.seccomp_count"] = "off"'
	run oci run --detach --bundle "$b" r1
	assert_success
	local report=$OCI_ROOT/r1/report.json
	wait_for 50 exited "$report"
	assert_equal "$(jfield "$report" 'r["config_seccomp"]')" \
		"{'loaded': True, 'default_action': 'SCMP_ACT_ALLOW', 'denials_counted': False}"
	assert_equal "$(jfield "$report" 'r["seccomp_profile"]')" off
	assert_equal "$(jfield "$report" 'r["enforced"]["seccomp"]')" False
	assert_equal "$(jfield "$report" 'r["violations"]')" "[]"
	[[ $(jfield "$report" 'r["not_enforced_reason"]') == *"the config's linux.seccomp filter is loaded"*"not counted"* ]]
	oci delete r1
	# a config without one: null, and the reason says nothing is filtered
	mkbundle "$b" 'echo ran' 'c["linux"].pop("seccomp", None)'
	run oci run --detach --bundle "$b" r2
	assert_success
	report=$OCI_ROOT/r2/report.json
	wait_for 50 exited "$report"
	assert_equal "$(jfield "$report" 'r["config_seccomp"]')" None
	[[ $(jfield "$report" 'r["not_enforced_reason"]') == *"no system call is filtered"* ]]
	oci delete r2
	# mlrun run's own report has no such key (it has no config)
	run "$MLRUN" --report "$BATS_TEST_TMPDIR/own.json" -- /bin/true
	assert_equal "$(jfield "$BATS_TEST_TMPDIR/own.json" '"config_seccomp" in r')" False
}

# A pod on the host's network (hostNetwork; CRI's NODE mode) has no network namespace of its own:
# a fresh sysfs cannot be mounted there (the kernel asks for CAP_SYS_ADMIN over the network
# namespace's owner, the host's), so create used to fail on the pause container's /sys. Now the
# host's /sys, read-only, as runc and crun fall back; nothing under it is writable.
@test "oci-pod: without a network namespace, sysfs is the host's /sys read-only" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'cat /sys/class/net/lo/address; echo x 2>/dev/null > /sys/kernel/uevent_helper || echo refused; grep " /sys " /proc/self/mountinfo' \
		'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
	run oci run --bundle "$b" h1
	assert_success
	assert_line --index 0 00:00:00:00:00:00
	assert_line --index 1 refused
	assert_line --index 2 --regexp ' /sys ro,nosuid,nodev,noexec'
}

# containerd's shim kills a container again once it has exited (CRI's StopPodSandbox, and the
# exit handler's delete with kill --all): runc then says "container not running", which the
# shim takes as done, or with --all signals nothing and succeeds. Any other answer left CRI
# retrying the pod's exit forever (StopPodSandbox never returned).
@test "oci-pod: kill of an exited container: --all succeeds, plain kill says 'container not running'" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'exit 0'
	run oci run --detach --bundle "$b" k1
	assert_success
	wait_for 50 exited "$OCI_ROOT/k1/report.json"
	run oci kill --all k1 KILL
	assert_success
	run oci kill k1 KILL
	assert_failure
	assert_output --partial "container not running"
	oci delete k1
}
