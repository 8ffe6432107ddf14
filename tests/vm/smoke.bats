#!/usr/bin/env bats
# The VM environment the cgroup v2 suites rely on: a pure cgroup2 tree with the controllers, real
# memory.max enforcement, a working delegated subtree for the rootless pass, user namespaces, and
# the scratch disk for io.max. If this file fails, the other tests/vm suites cannot be trusted.
# Run it: tests/vm/run.sh tests/vm/smoke.bats   (outside the VM every test skips)

load helpers

setup() {
	vm_require
}

teardown() {
	vm_cgroup_cleanup
}

PY=/usr/bin/python3 # the python3 on the host's PATH is a slow shim under /root
# Allocates 100 MiB and writes to every page, so it is really charged to the cgroup.
ALLOC_100M='b = bytearray(100 << 20)
for i in range(0, len(b), 4096): b[i] = 1
print("allocated")'

@test "smoke: /sys/fs/cgroup is cgroup2 and lists memory cpu pids io" {
	run stat -fc %T /sys/fs/cgroup
	assert_output cgroup2fs
	run cat /sys/fs/cgroup/cgroup.controllers
	assert_success
	for c in memory cpu pids io; do
		assert_output --regexp "(^| )$c( |$)"
	done
}

@test "smoke: root: the controllers are enabled for children" {
	vm_require_root
	run cat /sys/fs/cgroup/cgroup.subtree_control
	for c in memory cpu pids io; do
		assert_output --regexp "(^| )$c( |$)"
	done
}

@test "smoke: memory.max=32M OOM-kills a process allocating 100M" {
	local cg
	cg=$(vm_cgroup_new oom)
	echo 32M >"$cg/memory.max"
	[ ! -e "$cg/memory.swap.max" ] || echo 0 >"$cg/memory.swap.max"
	run vm_in_cgroup "$cg" "$PY" -c "$ALLOC_100M"
	assert_equal "$status" 137 # SIGKILL from the OOM killer
	refute_output --partial allocated
	run cat "$cg/memory.events"
	assert_line "oom_kill 1"
}

@test "smoke: the same allocation succeeds under memory.max=256M" {
	local cg
	cg=$(vm_cgroup_new fits)
	echo 256M >"$cg/memory.max"
	run vm_in_cgroup "$cg" "$PY" -c "$ALLOC_100M"
	assert_success
	assert_output allocated
	run cat "$cg/memory.events"
	assert_line "oom_kill 0"
}

@test "smoke: rootless: the delegated subtree allows a leaf with memory.max" {
	vm_require_rootless
	[ "$(id -u)" != 0 ]
	run cat /proc/self/cgroup
	assert_output "0::/user-1500/shell"
	run cat "$MLRUN_VM_DELEGATED/cgroup.subtree_control"
	for c in memory cpu pids; do
		assert_output --regexp "(^| )$c( |$)"
	done
	local cg
	cg=$(vm_cgroup_new leaf)
	echo 32M >"$cg/memory.max"
	run cat "$cg/memory.max"
	assert_output 33554432
	echo 16 >"$cg/pids.max"
	echo "50000 100000" >"$cg/cpu.max"
	run cat "$cg/cpu.max"
	assert_output "50000 100000"
}

@test "smoke: rootless: the rest of the tree is out of reach" {
	vm_require_rootless
	run bash -c 'echo "+memory" >/sys/fs/cgroup/cgroup.subtree_control'
	assert_failure
	run mkdir /sys/fs/cgroup/mlrun-test-forbidden-$$
	assert_failure
}

@test "smoke: user namespaces work (unshare -Ur)" {
	run unshare --user --map-root-user --pid --fork --mount-proc id -u
	assert_success
	assert_output 0
}

@test "smoke: root: the scratch disk is a block device io.max accepts" {
	vm_require_root
	[ -b "$MLRUN_VM_DISK" ]
	local cg dev
	dev=$(stat -c '%Hr:%Lr' "$MLRUN_VM_DISK")
	cg=$(vm_cgroup_new io)
	echo "$dev wbps=1048576" >"$cg/io.max"
	run cat "$cg/io.max"
	assert_output --partial "$dev rbps=max wbps=1048576"
}
