#!/usr/bin/env bats
# The soak in the cgroup v2 VM (tests/soak.sh), where every run also creates and removes a cgroup
# leaf with the memory/cpu/pids controllers: runs 8 at a time leave no leaf, state file, mount,
# fd, zombie or process behind, in the root and in the rootless pass. MLRUN_SOAK_VM_RUNS (40 by
# default; `make soak` asks for 1000) sets the number of runs.
# Run it: tests/vm/run.sh tests/vm/soak.bats   (outside the VM every test skips)

load helpers

setup() {
	vm_require
}

@test "soak: ${MLRUN_SOAK_VM_RUNS:-40} runs 8 at a time leave no cgroup leaf, state file or process behind" {
	run "$MLRUN_VM_REPO/tests/soak.sh" "${MLRUN_SOAK_VM_RUNS:-40}" 8
	echo "$output" >&3
	assert_success
	assert_output --regexp "cgroup leaves left +0 +0"
}
