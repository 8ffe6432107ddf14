# tests/vm/helpers.bash — shared by the tests/vm/*.bats suites: `load helpers` at the top.
#
# These suites run inside the VM that tests/vm/run.sh boots, twice: as root (MLRUN_VM_ROOTLESS
# unset) and as the user mlrunvm (uid 1500, MLRUN_VM_ROOTLESS=1) in the delegated subtree
# $MLRUN_VM_DELEGATED (= /sys/fs/cgroup/user-1500; its processes live in .../shell). The
# environment also holds MLRUN (the binary under test), MLRUN_VM_REPO (the checkout, also the cwd)
# and MLRUN_VM_DISK (/dev/vda, a 64 MiB scratch disk for io.max).
#
#   setup() { vm_require; ... }     skip unless inside the VM (never touch the host's cgroups)
#   vm_require_root / vm_require_rootless      skip in the other pass
#   cg=$(vm_cgroup_new NAME)        a fresh cgroup this pass may use, removed by vm_cgroup_cleanup
#   vm_in_cgroup CG CMD...          run CMD inside CG (use with bats' `run`)
#   teardown() { vm_cgroup_cleanup; }

# bats-support, then bats-assert. Their load.bash files run `$(dirname ...)` once per source file:
# 15 forks, 1.5 s per test under TCG (bats re-sources the test file for every test). Sourcing the
# function files directly is equivalent and nearly free; load.bash stays the fallback.
vm_load_lib() { # dir
	local f
	if [ -d "$1/src" ]; then
		for f in "$1"/src/*.bash; do
			# shellcheck source=/dev/null
			source "$f" || return 1
		done
	else
		load "$1/load.bash"
	fi
}
vm_load_lib /usr/lib/bats/bats-support
vm_load_lib /usr/lib/bats/bats-assert

VM_CGROUPS_FILE=${BATS_TEST_TMPDIR:-/tmp}/vm-cgroups

# Slow-down factor of every bounded wait, as on the host (tests/helpers.bash); run.sh passes the
# host's MLRUN_SLOW into the VM.
SLOW=${MLRUN_SLOW:-3}

# Poll until a command succeeds, at most N tenths of a second (times SLOW): tests/helpers.bash's.
wait_for() {
	local tries=$(($1 * SLOW)); shift
	while ! "$@" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# A cgroup with a process in it (cgroupfs files have st_size 0: read them, do not test -s).
leaf_populated() { [ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }

# Inside the VM means: run.sh said so AND a pure cgroup2 tree AND guest.sh's run directory. The
# host's /sys/fs/cgroup is a tmpfs of v1 mounts: even with MLRUN_VM=1 exported by mistake, the
# tests skip there instead of writing to it.
vm_inside() {
	[ "${MLRUN_VM:-}" = 1 ] && [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] &&
		[ -d /run/mlrun-vm/results ]
}

vm_require() {
	vm_inside || skip "needs the cgroup v2 test VM: run tests/vm/run.sh $(basename "$BATS_TEST_FILENAME")"
}

vm_require_root() {
	vm_require
	[ -z "${MLRUN_VM_ROOTLESS:-}" ] || skip "root pass only"
}

vm_require_rootless() {
	vm_require
	[ -n "${MLRUN_VM_ROOTLESS:-}" ] || skip "rootless pass only"
}

# Where this pass may create cgroups: the root of the tree, or the delegated subtree.
vm_cgroup_base() {
	if [ -n "${MLRUN_VM_ROOTLESS:-}" ]; then echo "$MLRUN_VM_DELEGATED"; else echo /sys/fs/cgroup; fi
}

vm_cgroup_new() { # NAME -> prints the path
	local cg
	cg=$(vm_cgroup_base)/mlrun-test-$1-$$
	mkdir "$cg" || return 1
	echo "$cg" >>"$VM_CGROUPS_FILE"
	echo "$cg"
}

vm_in_cgroup() { # CG CMD...
	local cg=$1
	shift
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' vm_in_cgroup "$cg" "$@"
}

# Kill what is left in the cgroups vm_cgroup_new made, then remove them, children first.
vm_cgroup_cleanup() {
	local cg sub i
	[ -f "$VM_CGROUPS_FILE" ] || return 0
	while IFS= read -r cg; do
		[ -d "$cg" ] || continue
		[ -e "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
		# Every exec costs ~0.1 s under TCG: try the plain rmdir first.
		rmdir "$cg" 2>/dev/null && continue
		for ((i = 0; i < 20 * SLOW; i++)); do # a killed task leaves the cgroup asynchronously
			while IFS= read -r sub; do rmdir "$sub" 2>/dev/null; done < <(find "$cg" -depth -type d)
			[ -d "$cg" ] || break
			sleep 0.1
		done
		[ ! -d "$cg" ] || echo "# vm_cgroup_cleanup: could not remove $cg" >&3
	done <"$VM_CGROUPS_FILE"
	rm -f "$VM_CGROUPS_FILE"
}

# vm_oci_setup APPLET...: mlrun-oci ($OCI, a link to $MLRUN) in $OCI_DIR/bin, a private state
# directory $OCI_DIR/state, and a bundle root $OCI_DIR/b/rootfs of busybox with links for APPLETs
# (the OCI suites' per-test set-up).
vm_oci_setup() {
	OCI_DIR=$BATS_TEST_TMPDIR/oci
	mkdir -p "$OCI_DIR/bin" "$OCI_DIR/b/rootfs/bin" "$OCI_DIR/state"
	chmod 700 "$OCI_DIR/state"
	ln -s "$MLRUN" "$OCI_DIR/bin/mlrun-oci"
	cp /bin/busybox "$OCI_DIR/b/rootfs/bin/"
	local a
	for a in "$@"; do ln -s busybox "$OCI_DIR/b/rootfs/bin/$a"; done
	OCI="$OCI_DIR/bin/mlrun-oci"
}
