#!/usr/bin/env bats
# A Kubernetes pod under mlrun-oci, in the cgroup v2 VM (docs/oci.md, "Kubernetes"): what CRI's
# pause container asks for (linux.resources.cpu.shares as the leaf's cpu.weight, root and
# rootless; process.oomScoreAdj -998 as root, refused by name rootless), then a pod sandbox run
# through containerd's CRI plugin with the RuntimeClass handler (tests/oci/cri.py speaks the
# kubelet's gRPC calls: Debian 12 has no crictl), and containers in pods that join the pause
# container's namespaces, on the host's network and in a CNI pod network.
# Run it: tests/vm/run.sh tests/vm/oci-pod.bats   (outside the VM every test skips)

load helpers

PY=/usr/bin/python3

setup() {
	vm_require
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/bin" "$T/b/rootfs/bin" "$T/state" "$T/configs"
	chmod 700 "$T/state"
	ln -s "$MLRUN" "$T/bin/mlrun-oci"
	cp /bin/busybox "$T/b/rootfs/bin/"
	for a in sh cat echo; do ln -s busybox "$T/b/rootfs/bin/$a"; done
	OCI=$T/bin/mlrun-oci
	CPID=
}

teardown() {
	[ -z "$CPID" ] || { kill "$CPID"; wait "$CPID" || true; }
}

# bundle 'SHELL COMMAND' [PYTHON STATEMENTS on c]: crun's default spec running sh -c COMMAND
bundle() {
	(cd "$T/b" && rm -f config.json && crun spec)
	"$PY" - "$T/b/config.json" "$1" "${2:-}" <<'EOF'
import json, sys
path, cmd, edit = sys.argv[1:4]
c = json.load(open(path))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', cmd]
exec(edit)
json.dump(c, open(path, 'w'))
EOF
}

oci() { "$OCI" --root "$T/state" "$@"; }
snippet() { "$PY" "$MLRUN_VM_REPO/tests/oci/doc_snippet.py" "$MLRUN_VM_REPO/docs/oci.md" "$1"; }
cri() { "$PY" "$MLRUN_VM_REPO/tests/oci/cri.py" "$@"; }

@test "oci-pod: linux.resources.cpu.shares is the leaf's cpu.weight, by runc's conversion" {
	local pair
	for pair in 2:1 1024:100 4096:303 262144:10000; do
		bundle 'cat /sys/fs/cgroup/cpu.weight' "c['linux']['resources']['cpu'] = {'shares': ${pair%%:*}}"
		run oci run --bundle "$T/b" "w${pair%%:*}"
		assert_success
		assert_output "${pair#*:}"
	done
}

@test "oci-pod: as root, CRI's process.oomScoreAdj -998 is the container's" {
	vm_require_root
	bundle 'cat /proc/self/oom_score_adj /proc/1/oom_score_adj' "c['process']['oomScoreAdj'] = -998"
	run oci run --bundle "$T/b" o1
	assert_success
	assert_equal "${lines[*]}" "-998 -998"
}

@test "oci-pod: rootless, process.oomScoreAdj -998 fails create naming the field" {
	vm_require_rootless
	bundle 'echo ran' "c['process']['oomScoreAdj'] = -998"
	run oci run --bundle "$T/b" o2
	assert_failure
	assert_output --partial "process.oomScoreAdj: -998 is below what mlrun-oci may set"
	refute_output --partial ran
}

# containerd with docs/oci.md's config.toml, its runtime binary a wrapper that keeps each
# bundle's config.json (printed when a test fails: what CRI asked of mlrun-oci).
start_containerd() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed on the host"
	"$PY" -c 'import grpc' 2>/dev/null || skip "python3-grpcio is not installed (make deps installs it)"
	C=$T/ctrd
	mkdir -p "$C/root" "$C/state" "$T/logs"
	cat >"$T/bin/oci-wrap" <<EOF
#!/bin/sh
prev=
for a in "\$@"; do
	[ "\$prev" = --bundle ] && cp "\$a/config.json" "$T/configs/\${a##*/}.json" 2>/dev/null
	prev=\$a
done
exec "$OCI" "\$@"
EOF
	chmod 755 "$T/bin/oci-wrap"
	snippet containerd-config.toml | sed "s|/usr/local/bin/mlrun-oci|$T/bin/oci-wrap|" >"$C/config.toml"
	[ -z "${CNI_DIR:-}" ] || printf '[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/usr/lib/cni"\n  conf_dir = "%s"\n' \
		"$CNI_DIR" >>"$C/config.toml"
	containerd --root "$C/root" --state "$C/state" --address "$C/sock" --config "$C/config.toml" >"$C/log" 2>&1 &
	CPID=$!
	wait_for 300 test -S "$C/sock"
	wait_for 300 sh -c "ctr -a '$C/sock' plugins ls | grep -q 'io.containerd.grpc.v1 *cri .* ok'"
	local pause
	pause=$(cri status "$C/sock" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["sandboxImage"])')
	cri image "$T/pause.tar" "$pause" /bin/busybox
	ctr -a "$C/sock" -n k8s.io images import "$T/pause.tar" >/dev/null
	PAUSE=$pause
}

# What CRI handed mlrun-oci, and containerd's last errors, for a failing test's output.
show_configs() {
	local f
	for f in "$T"/configs/*.json; do
		[ -e "$f" ] && echo "# config.json of ${f##*/}: $("$PY" -c 'import json, sys; c = json.load(open(sys.argv[1]))
print(json.dumps({"namespaces": c["linux"].get("namespaces"), "mounts": [m["destination"] for m in c.get("mounts", [])],
                  "process": {k: v for k, v in c["process"].items() if k not in ("capabilities", "env")}}))' "$f")" >&3
	done
	grep -i 'level=error' "$C/log" | tail -5 | sed 's/^/# /' >&3
}

# After a failed call: containerd's complaints, the processes left, mlrun-oci's view of the pod.
diagnose() { # POD-ID
	{
		grep -E 'level=(error|warning)' "$C/log" | tail -8
		ps -eo pid,ppid,stat,args | grep -E 'containerd-shim|mlrun|sleep' | grep -v grep
		"$OCI" --root /run/containerd/runc/k8s.io state "$1" 2>&1
	} | sed 's/^/# /' >&3
}

# The sandbox's mlrun pid 1: the first child of the pid CRI knows (mlrun-oci's supervisor).
sandbox_init() { cut -d' ' -f1 "/proc/$1/task/$1/children"; }

# start_pod NAME MODES: a pod sandbox (the pause container) through CRI; sets pod (its id) and
# init (its pid 1 on this host: the child of the mlrun-oci supervisor whose pid CRI reports).
start_pod() {
	run cri runpod "$C/sock" mlrun "$1" "$T/logs" "$2"
	[ "$status" -eq 0 ] || { show_configs; echo "$output"; return 1; }
	pod=$output
	local sup
	sup=$(cri podstatus "$C/sock" "$pod" | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["pid"])')
	init=$(sandbox_init "$sup")
}

# run_in_pod NAME LOG MODES EXIT COMMAND...: a container of $pod through CRI, its output in
# $T/logs/LOG; sets cid and waits until CRI reports it exited with EXIT.
run_in_pod() {
	local name=$1 log=$2 modes=$3 code=$4
	shift 4
	run cri run "$C/sock" "$pod" "$name" "$T/logs" "$log" "$modes" "$PAUSE" "$@"
	[ "$status" -eq 0 ] || { show_configs; diagnose "$pod"; echo "$output"; return 1; }
	cid=$output
	exited_with() { [ "$(cri cstatus "$C/sock" "$cid")" = "EXITED $1" ]; }
	wait_for 300 exited_with "$code" || { diagnose "$cid"; cri cstatus "$C/sock" "$cid"; cat "$T/logs/$log"; return 1; }
}

@test "oci-pod: a CRI pod sandbox (the pause container) runs under mlrun-oci, with its weight and oom_score_adj" {
	vm_require_root
	start_containerd
	run cri runpod "$C/sock" mlrun mlrun-pod "$T/logs"
	[ "$status" -eq 0 ] || { show_configs; echo "$output"; false; }
	local pod=$output
	run cri podstatus "$C/sock" "$pod"
	assert_success
	[[ $output == READY* ]] || { show_configs; echo "$output"; false; }
	local pid init
	pid=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1].split(" ", 1)[1])["pid"])' "$output")
	init=$(sandbox_init "$pid")
	# the pause container's config asked for cpu.shares 2 and oomScoreAdj -998
	assert_equal "$(cat "/proc/$init/oom_score_adj")" -998
	assert_equal "$(cat "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$init/cgroup")/cpu.weight")" 1
	CRI_TIMEOUT=60 run cri rmpod "$C/sock" "$pod"
	[ "$status" -eq 0 ] || { diagnose "$pod"; echo "$output" | tail -3; false; }
	wait_for 100 sh -c "! kill -0 $pid"
}

# A container in a pod: containerd lists the pause container's network, IPC and UTS namespaces by
# path, /proc/PID/ns/TYPE with PID the sandbox's pid as the shim knows it, mlrun-oci's supervisor,
# which follows its container into them (runtime/supervisor.c), so the container joins the
# pause container's namespaces, never the host's. CreateContainer + StartContainer through CRI
# (its own pid namespace: CONTAINER mode); the container sees the pause container's IPC and UTS
# namespaces (the sandbox's pid 1's, not this shell's), and its exit code and output reach CRI.
@test "oci-pod: a container in a pod runs under mlrun-oci in the pause container's namespaces; exit code and output reach CRI" {
	vm_require_root
	start_containerd
	local modes=node,container,pod pod cid init
	start_pod job-pod "$modes"
	run_in_pod job job.log "$modes" 3 \
		sh -c 'echo hello from the pod; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; exit 3'
	run cat "$T/logs/job.log"
	assert_line --regexp ' stdout F hello from the pod$'
	# the pause container's IPC and UTS namespaces, which are not the host's
	assert_line --regexp " stdout F $(readlink "/proc/$init/ns/ipc" | sed 's/[][]/\\&/g')\$"
	assert_line --regexp " stdout F $(readlink "/proc/$init/ns/uts" | sed 's/[][]/\\&/g')\$"
	[ "$(readlink "/proc/$init/ns/ipc")" != "$(readlink /proc/self/ns/ipc)" ]
	[ "$(readlink "/proc/$init/ns/uts")" != "$(readlink /proc/self/ns/uts)" ]
	CRI_TIMEOUT=60 run cri rmpod "$C/sock" "$pod"
	[ "$status" -eq 0 ] || { diagnose "$pod"; echo "$output" | tail -3; false; }
}

# A pod with a network of its own (CNI's ptp plugin: a veth pair, an address from host-local):
# containerd makes the netns and hands its path to the pause container; the container in the pod
# joins the pause container's (through /proc/SUPERVISOR/ns/net) and sees its eth0, not the host's
# network.
@test "oci-pod: in a pod with a CNI network, a container shares the pause container's network namespace" {
	vm_require_root
	[ -x /usr/lib/cni/ptp ] && [ -x /usr/lib/cni/host-local ] || skip "containernetworking-plugins is not installed"
	CNI_DIR=$T/cni
	mkdir -p "$CNI_DIR" "$T/cni-data"
	printf '{"cniVersion": "0.4.0", "name": "mlrun-pod", "plugins": [{"type": "ptp", "ipMasq": false, "ipam": {"type": "host-local", "subnet": "10.88.7.0/24", "dataDir": "%s"}}]}\n' \
		"$T/cni-data" >"$CNI_DIR/10-mlrun.conflist"
	start_containerd
	local modes=pod,container,pod pod cid init
	start_pod net-pod "$modes"
	run_in_pod web web.log "$modes" 0 \
		sh -c 'readlink /proc/self/ns/net; cat /proc/self/net/dev; echo "ifindex $(cat /sys/class/net/eth0/ifindex)"'
	run cat "$T/logs/web.log"
	assert_line --regexp " stdout F $(readlink "/proc/$init/ns/net" | sed 's/[][]/\\&/g')\$"
	assert_line --regexp ' stdout F +eth0:'
	# its sysfs is the pod network's too (the VM itself has no eth0)
	assert_line --regexp ' stdout F ifindex [0-9]+$'
	[ "$(readlink "/proc/$init/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	CRI_TIMEOUT=60 run cri rmpod "$C/sock" "$pod"
	[ "$status" -eq 0 ] || { diagnose "$pod"; echo "$output" | tail -3; false; }
}
