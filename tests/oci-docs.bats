#!/usr/bin/env bats
# The configuration docs/oci.md gives for engines, taken from the doc itself (the code block after
# each `<!-- test: NAME -->` line, tests/oci/doc_snippet.py) so that doc and test cannot drift:
# podman's hybrid-host containers.conf runs a container here; containerd parses the config.toml
# and the RuntimeClass names its runtime. The daemon with that config.toml, its CRI plugin and a
# pod sandbox through CRI, and podman's plain containers.conf run in the cgroup v2 VM
# (tests/vm/oci-config.bats).

load helpers
load oci/lib

snippet() { "$PY" "$REPO/tests/oci/doc_snippet.py" "$REPO/docs/oci.md" "$1"; }

setup() {
	require_root
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/bin"
	ln -s "$MLRUN" "$T/bin/mlrun-oci"
	OCI=$T/bin/mlrun-oci
}

@test "oci-docs: containerd parses docs/oci.md's config.toml; the RuntimeClass' handler is its runtime" {
	command -v containerd >/dev/null || skip "containerd is not installed (make deps installs it)"
	snippet containerd-config.toml | sed "s|/usr/local/bin/mlrun-oci|$OCI|" >"$T/config.toml"
	grep -q "BinaryName = \"$OCI\"" "$T/config.toml"
	run containerd --config "$T/config.toml" config dump
	assert_success
	# the runtime table as containerd merged it: the doc's runtime type and binary, and the
	# default runtime still there (a config.toml naming any runtime replaces the built-in table,
	# and the CRI plugin refuses to load without its default_runtime_name)
	run "$PY" -c 'import sys, tomllib; c = tomllib.loads(sys.stdin.read())["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]
r = c["runtimes"]["mlrun"]
print(r["runtime_type"], r["options"]["BinaryName"], c["default_runtime_name"] in c["runtimes"])' <<<"$output"
	assert_output "io.containerd.runc.v2 $OCI True"
	# the RuntimeClass' handler is that runtime's name (a handler containerd does not know fails the pod)
	run snippet kubernetes-runtimeclass
	assert_line "handler: mlrun"
	assert_line "  runtimeClassName: mlrun"
}

# The hybrid-host snippet verbatim (the binary's path replaced), plus podman's locks, tmp and
# network configuration in this test's directory (the host's podman state is not touched).
@test "oci-docs: podman runs a container with docs/oci.md's hybrid-host containers.conf" {
	need_podman
	snippet podman-containers.conf-hybrid | sed "s|/usr/local/bin/mlrun-oci|$OCI|" >"$T/doc.conf"
	grep -q "\"$OCI\"" "$T/doc.conf"
	mkdir -p "$T/tmp" "$T/net"
	sed "/^\[engine\]\$/a lock_type = \"file\"\ntmp_dir = \"$T/tmp\"" "$T/doc.conf" >"$T/containers.conf"
	printf '\n[network]\nnetwork_config_dir = "%s"\n' "$T/net" >>"$T/containers.conf"
	podman_image "$T" sh echo cat
	P=$T
	run pm info --format '{{.Host.OCIRuntime.Path}}'
	assert_output "$OCI"
	pm import -q "$T/bb.tar" localhost/mlrun-oci-docs:1 >/dev/null
	run pm run --rm localhost/mlrun-oci-docs:1 sh -c 'echo from the doc; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 "from the doc"
	assert_line --regexp '^ +0 +60000 +1$'
	pm rmi -f localhost/mlrun-oci-docs:1 >/dev/null
}
