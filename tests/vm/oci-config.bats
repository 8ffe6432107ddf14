#!/usr/bin/env bats
# docs/oci.md's engine configuration, taken from the doc (tests/oci/doc_snippet.py: the code block
# after `<!-- test: NAME -->`), run in the cgroup v2 VM (root pass): containerd started with the
# doc's config.toml loads the mlrun runtime into its CRI plugin, and a pod sandbox asked for
# through CRI with the RuntimeClass' handler runs under mlrun-oci through the runc shim's
# BinaryName (tests/oci/cri.py: the kubelet's gRPC calls; Debian 12 has no crictl); podman runs a
# container with the doc's plain containers.conf. The host-side checks are tests/oci-docs.bats.
# Run it: tests/vm/run.sh tests/vm/oci-config.bats   (outside the VM every test skips)

load helpers

PY=/usr/bin/python3

setup() {
	vm_require
	vm_require_root
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/bin"
	ln -s "$MLRUN" "$T/bin/mlrun-oci"
	OCI=$T/bin/mlrun-oci
}

snippet() { "$PY" "$MLRUN_VM_REPO/tests/oci/doc_snippet.py" "$MLRUN_VM_REPO/docs/oci.md" "$1"; }
cri() { "$PY" "$MLRUN_VM_REPO/tests/oci/cri.py" "$@"; }

@test "oci-config: containerd with docs/oci.md's config.toml: CRI loads the runtime, a pod sandbox runs under mlrun-oci" {
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed on the host"
	"$PY" -c 'import grpc' 2>/dev/null || skip "python3-grpcio is not installed (make deps installs it)"
	local c=$T/ctrd
	mkdir -p "$c/root" "$c/state"
	snippet containerd-config.toml | sed "s|/usr/local/bin/mlrun-oci|$OCI|" >"$c/config.toml"
	grep -q "BinaryName = \"$OCI\"" "$c/config.toml"
	containerd --root "$c/root" --state "$c/state" --address "$c/sock" --config "$c/config.toml" >"$c/log" 2>&1 &
	local cpid=$!
	wait_for 300 test -S "$c/sock"
	# the CRI plugin started with this config (a bad runtime table fails the plugin, not containerd)
	wait_for 300 sh -c "ctr -a '$c/sock' plugins ls | grep -q 'io.containerd.grpc.v1 *cri .* ok'"
	# and holds the runtime as the doc wrote it (Status, verbose: the CRI plugin's own config)
	run cri status "$c/sock"
	local config=$output
	run "$PY" -c 'import json, sys; r = json.loads(sys.argv[1])["containerd"]["runtimes"]["mlrun"]
print(r["runtimeType"], r["options"]["BinaryName"])' "$config"
	[ "$status" -eq 0 ] || echo "$config"
	assert_output "io.containerd.runc.v2 $OCI"
	# a pod sandbox with the RuntimeClass' handler: its pause image is a local one under the name
	# the CRI plugin asks for (no registry)
	local handler pause
	handler=$(snippet kubernetes-runtimeclass | sed -n 's/^handler: //p')
	pause=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["sandboxImage"])' "$config")
	cri image "$T/pause.tar" "$pause" /bin/busybox
	ctr -a "$c/sock" -n k8s.io images import "$T/pause.tar" >/dev/null
	run cri runpod "$c/sock" "$handler" mlrun-pod
	local pod_status=$status pod_output=$output
	[ "$pod_status" -eq 0 ] && cri rmpod "$c/sock" "$pod_output"
	kill "$cpid"
	wait "$cpid" || true
	# The handler reaches mlrun-oci through the shim's BinaryName, and the pause container runs
	# (tests/vm/oci-pod.bats looks inside it).
	[ "$pod_status" -eq 0 ] || { echo "$pod_output"; grep -i "error" "$c/log" | tail -5; false; }
}

@test "oci-config: podman runs a container with docs/oci.md's containers.conf" {
	command -v podman >/dev/null || skip "podman is not installed on the host"
	local p=$T/podman
	mkdir -p "$p/img/bin"
	snippet podman-containers.conf | sed "s|/usr/local/bin/mlrun-oci|$OCI|" >"$p/containers.conf"
	grep -q "\"$OCI\"" "$p/containers.conf"
	cp /bin/busybox "$p/img/bin/"
	for a in sh cat; do ln -s busybox "$p/img/bin/$a"; done
	tar -C "$p/img" -cf "$p/bb.tar" .
	export CONTAINERS_CONF=$p/containers.conf
	pm() { podman --root "$p/store" --runroot "$p/run" --storage-driver vfs "$@"; }
	run pm info --format '{{.Host.OCIRuntime.Path}}'
	assert_output "$OCI"
	pm import -q "$p/bb.tar" localhost/bb:1 >/dev/null
	run pm run --rm --network none --memory 64m localhost/bb:1 sh -c 'cat /proc/self/uid_map /sys/fs/cgroup/memory.max'
	assert_success
	assert_line --regexp '^ +0 +60000 +1$'
	assert_line 67108864
}
