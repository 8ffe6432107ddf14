#!/usr/bin/env bats
# mlrun-oci in the cgroup v2 VM (docs/oci.md): a config's linux.resources become the container's
# cgroup limits, root and rootless; podman's --memory/--pids-limit reach them (root pass).
# Run it: tests/vm/run.sh tests/vm/oci.bats   (outside the VM every test skips)

load helpers

PY=/usr/bin/python3

setup() {
	vm_require
	vm_oci_setup sh cat echo
}

teardown() {
	vm_cgroup_cleanup
}

# The bundle's config (crun spec): a container that prints its memory.max and pids.max, with
# linux.resources of 64 MiB and 32 pids.
limits_config() {
	(cd "$OCI_DIR/b" && crun spec)
	"$PY" - "$OCI_DIR/b/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max']
c['linux']['resources'].update({'memory': {'limit': 67108864}, 'pids': {'limit': 32}})
json.dump(c, open(sys.argv[1], 'w'))
EOF
}

@test "oci: linux.resources memory and pids are the container's memory.max and pids.max, enforced" {
	limits_config
	run "$OCI" --root "$OCI_DIR/state" run --detach --bundle "$OCI_DIR/b" lim1
	assert_success
	wait_stopped() { "$OCI" --root "$OCI_DIR/state" state lim1 | grep -q '"status":"stopped"'; }
	wait_for 100 wait_stopped
	local report=$OCI_DIR/state/lim1/report.json
	run "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["exit_code"], r["enforced"]["memory"], r["enforced"]["pids"], r["limits"]["memory_bytes"])' "$report"
	assert_output "0 True True 67108864"
	"$OCI" --root "$OCI_DIR/state" delete lim1
}

@test "oci: run's output shows the limits inside the container" {
	limits_config
	run "$OCI" --root "$OCI_DIR/state" run --bundle "$OCI_DIR/b" lim2
	assert_success
	assert_line --index 0 67108864
	assert_line --index 1 32
}

@test "oci: podman --memory and --pids-limit with mlrun-oci" {
	vm_require_root
	command -v podman >/dev/null || skip "podman is not installed on the host"
	local p=$BATS_TEST_TMPDIR/podman
	mkdir -p "$p/img/bin"
	cp /bin/busybox "$p/img/bin/"
	for a in sh cat; do ln -s busybox "$p/img/bin/$a"; done
	tar -C "$p/img" -cf "$p/bb.tar" .
	cat >"$p/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "mlrun-oci"

[engine.runtimes]
mlrun-oci = ["$OCI"]
EOF
	export CONTAINERS_CONF=$p/containers.conf
	pm() { podman --root "$p/store" --runroot "$p/run" --storage-driver vfs "$@"; }
	pm import -q "$p/bb.tar" localhost/bb:1 >/dev/null
	run pm run --rm --memory 64m --pids-limit 32 localhost/bb:1 sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
	assert_success
	assert_line --index 0 67108864
	assert_line --index 1 32
}

# containerd (Debian's 1.6), started by the test with its own state, and `ctr run --runc-binary`:
# the io.containerd.runc.v2 shim drives mlrun-oci as a Kubernetes RuntimeClass through containerd
# would (create --bundle --pid-file with --root/--log/--log-format json, start, delete).
@test "oci: containerd's runc shim runs a container with ctr run --runc-binary mlrun-oci" {
	vm_require_root
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed on the host"
	local c=$BATS_TEST_TMPDIR/ctrd
	mkdir -p "$c/root" "$c/state" "$c/rootfs/bin"
	cp /bin/busybox "$c/rootfs/bin/"
	for a in sh echo id cat; do ln -s busybox "$c/rootfs/bin/$a"; done
	printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$c/config.toml"
	containerd --root "$c/root" --state "$c/state" --address "$c/sock" --config "$c/config.toml" >"$c/log" 2>&1 &
	local cpid=$!
	wait_for 100 test -S "$c/sock"
	run ctr -a "$c/sock" -n mlrun run --rm --runc-binary "$OCI" --rootfs "$c/rootfs" c1 sh -c 'echo hello from containerd; cat /proc/self/uid_map; exit 3'
	kill "$cpid"
	wait "$cpid" || true
	[ "$status" -eq 3 ] || { echo "$output"; grep -i "mlrun\|error" "$c/log" | tail -8; false; }
	assert_line --index 0 "hello from containerd"
	assert_line --regexp '^ +0 +60000 +1$'
}
