#!/usr/bin/env bats
# mlrun-oci joining existing namespaces (linux.namespaces[].path) and setting namespaced sysctls
# (linux.sysctl), driven directly with bundles and through podman (pods, --network container:,
# --sysctl); the attacks on the paths (a file that is no namespace, one of another type, a link,
# a namespace the caller has no rights on) and on sysctl (a host sysctl by key or by path).
# docs/oci.md. Bundles as in tests/oci.bats: crun's default spec on a busybox root.

load helpers

setup_file() {
	require_root
	export OCI_DIR=$BATS_FILE_TMPDIR/oci
	mkdir -p "$OCI_DIR/bin" "$OCI_DIR/rootfs/bin" "$OCI_DIR/rootfs/www"
	ln -s "$MLRUN" "$OCI_DIR/bin/mlrun-oci"
	cp /bin/busybox "$OCI_DIR/rootfs/bin/"
	for a in sh echo cat true id sleep ls hostname readlink httpd wget; do ln -s busybox "$OCI_DIR/rootfs/bin/$a"; done
	echo pod-page >"$OCI_DIR/rootfs/www/index.html"
	chmod -R a+rX "$OCI_DIR"
	export OCI="$OCI_DIR/bin/mlrun-oci" OCI_ROOT=$OCI_DIR/state
}

setup() { require_root; }

teardown() {
	local d
	for d in "$OCI_ROOT"/*/; do [ -d "$d" ] && oci delete --force "$(basename "$d")" >/dev/null 2>&1; done
	[ -z "${HELPER_PID:-}" ] || kill "$HELPER_PID" 2>/dev/null || true
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

# mkbundle DIR 'SHELL COMMAND' [PYTHON STATEMENTS on c, the config]
mkbundle() {
	local dir=$1 cmd=$2 edit=${3:-}
	mkdir -p "$dir"
	[ -e "$dir/rootfs" ] || ln -s "$OCI_DIR/rootfs" "$dir/rootfs"
	(cd "$dir" && rm -f config.json && crun spec) || return 1
	"$PY" - "$dir/config.json" "$cmd" "$edit" <<'EOF'
import json, sys
path, cmd, edit = sys.argv[1:4]
c = json.load(open(path))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', cmd]
def join(t, p):
    for n in c['linux']['namespaces']:
        if n['type'] == t:
            n['path'] = p
exec(edit)
json.dump(c, open(path, 'w'), indent=1)
EOF
}

oci() { "$OCI" --root "$OCI_ROOT" "$@"; }
ns_ino() { stat -L -c %i "$1"; }

# A network namespace of the test's own (ip netns: a bind of the nsfs file under /run/netns).
make_netns() {
	NETNS=mlrun-join-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS"
	ip -n "$NETNS" link add mlrun-d0 type bridge
	ip -n "$NETNS" link set lo up
}

# A host process in IPC and UTS namespaces of its own, hostname joined-uts.
start_ns_holder() {
	unshare --ipc --uts sh -c 'hostname joined-uts; exec sleep 1000' 3>&- &
	HELPER_PID=$!
	wait_for 50 holder_ready
}
holder_ready() {
	[ "$(cat /proc/$HELPER_PID/comm)" = sleep ] && [ "$(readlink /proc/$HELPER_PID/ns/uts)" != "$(readlink /proc/self/ns/uts)" ]
}
report_network() { [ "$(jfield "$OCI_ROOT/$1/report.json" 'r["enforced"]["network"]')" = "$2" ]; }

@test "oci-join: a bundle joins a network namespace by path: its devices in sysfs, its lo; the report says network: false" {
	make_netns
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'readlink /proc/self/ns/net; ls /sys/class/net' "join('network', '/run/netns/$NETNS')"
	run oci run --bundle "$b" j1
	assert_success
	assert_line --index 0 "net:[$(ns_ino /run/netns/$NETNS)]"
	assert_line mlrun-d0
	# the sandbox's report: a joined network namespace is not one of mlrun's
	mkbundle "$b" 'sleep 1000' "join('network', '/run/netns/$NETNS')"
	oci create --bundle "$b" j2
	oci kill j2 TERM
	wait_for 100 report_network j2 False
	oci delete --force j2
	# one of mlrun's own: true
	mkbundle "$b" 'sleep 1000'
	oci create --bundle "$b" j2
	oci kill j2 TERM
	wait_for 100 report_network j2 True
	oci delete --force j2
}

@test "oci-join: IPC and UTS namespaces joined through /proc/PID/ns; a hostname in a joined UTS namespace is refused" {
	start_ns_holder
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'hostname; readlink /proc/self/ns/ipc' \
		"join('ipc', '/proc/$HELPER_PID/ns/ipc'); join('uts', '/proc/$HELPER_PID/ns/uts'); c.pop('hostname', None)"
	run oci run --bundle "$b" j3
	assert_success
	assert_line --index 0 joined-uts
	assert_line --index 1 "ipc:[$(ns_ino /proc/$HELPER_PID/ns/ipc)]"
	[ "$(hostname)" != joined-uts ]
	mkbundle "$b" 'echo ran' "join('uts', '/proc/$HELPER_PID/ns/uts'); c['hostname'] = 'other'"
	run oci run --bundle "$b" j4
	assert_failure
	assert_output --partial "hostname: cannot be set in the UTS namespace"
	refute_output --partial ran
}

# The supervisor's pid is what `create` gives the engine, and engines join a container's
# namespaces through it: it must lead to the container's, not the host's.
@test "oci-join: /proc/PID/ns/net of the pid create gave is the container's network namespace" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'sleep 1000'
	oci create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" j5
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	refute [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]
	mkbundle "$BATS_TEST_TMPDIR/b2" 'readlink /proc/self/ns/net' "join('network', '/proc/$pid/ns/net')"
	run oci run --bundle "$BATS_TEST_TMPDIR/b2" j6
	assert_success
	assert_output "$(readlink /proc/$pid/ns/net)"
	oci delete --force j5
}

# Attack: a path that is no namespace (a regular file, /dev/null) reaching setns, which would
# fail with EINVAL at best, unnamed; the checks name the field and the reason.
@test "oci-join: a namespace path at a file that is not a namespace is refused naming the field" {
	local b=$BATS_TEST_TMPDIR/b f
	for f in /etc/hostname /dev/null; do
		mkbundle "$b" 'echo ran' "join('network', '$f')"
		run oci run --bundle "$b" a1
		assert_failure
		assert_output --partial "linux.namespaces (network).path: $f is not a namespace file"
		refute_output --partial ran
		[ ! -e "$OCI_ROOT/a1" ]
	done
}

# Attack: a namespace of another type than the config says (an IPC namespace given as the
# network): setns(fd, CLONE_NEWNET) refuses it, but a runtime passing 0 as the type would join it.
@test "oci-join: a namespace path at a namespace of another type is refused" {
	start_ns_holder
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo ran' "join('network', '/proc/$HELPER_PID/ns/ipc')"
	run oci run --bundle "$b" a2
	assert_failure
	assert_output --partial "linux.namespaces (network).path: /proc/$HELPER_PID/ns/ipc is a ipc namespace, the config says network"
	refute_output --partial ran
}

# Attack: a link where the engine's path points (another user's /tmp, a planted name): it is not
# followed to whatever namespace file it names.
@test "oci-join: a namespace path that is a symbolic link is refused" {
	make_netns
	local b=$BATS_TEST_TMPDIR/b
	ln -s "/run/netns/$NETNS" "$BATS_TEST_TMPDIR/netlink"
	mkbundle "$b" 'echo ran' "join('network', '$BATS_TEST_TMPDIR/netlink')"
	run oci run --bundle "$b" a3
	assert_failure
	assert_output --partial "linux.namespaces (network).path: $BATS_TEST_TMPDIR/netlink is a symbolic link"
	refute_output --partial ran
}

# Attack: a rootless caller naming root's network namespace, readable by everyone under
# /run/netns: it must not get a network it has no rights on.
@test "oci-join: rootless, a network namespace of root's is refused" {
	ensure_test_user
	make_netns
	local d
	d=$(mktemp -d /tmp/mlrun-oci-join.XXXXXX)
	chmod 755 "$d"
	cp "$MLRUN" "$d/mlrun"
	ln -s mlrun "$d/mlrun-oci"
	mkdir -p "$d/b/rootfs"
	cp -a "$OCI_DIR/rootfs/." "$d/b/rootfs/"
	mkbundle "$d/b" 'echo ran; readlink /proc/self/ns/net' "c['linux']['namespaces'].append({'type': 'user'}); join('network', '/run/netns/$NETNS')"
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/state"
	run as_user "$d/mlrun-oci" --root "$d/state" run --bundle "$d/b" r1
	rm -rf "$d"
	assert_failure
	assert_output --partial "linux.namespaces (network).path: /run/netns/$NETNS belongs to a user namespace in which uid $(id -u "$TEST_USER") has no CAP_SYS_ADMIN"
	refute_output --partial ran
}

@test "oci-join: linux.sysctl sets namespaced sysctls in the container's own namespaces, not the host's" {
	local b=$BATS_TEST_TMPDIR/b host_pg host_shm
	host_pg=$(cat /proc/sys/net/ipv4/ping_group_range)
	host_shm=$(cat /proc/sys/kernel/shmmni)
	mkbundle "$b" 'cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max' \
		'c["linux"]["sysctl"] = {"net.ipv4.ping_group_range": "0 0", "kernel.shmmni": "1234", "fs.mqueue.msg_max": "17"}'
	run oci run --bundle "$b" s1
	assert_success
	assert_line --index 0 --regexp '^0[[:space:]]+0$'
	assert_line --index 1 1234
	assert_line --index 2 17
	assert_equal "$(cat /proc/sys/net/ipv4/ping_group_range)" "$host_pg"
	assert_equal "$(cat /proc/sys/kernel/shmmni)" "$host_shm"
}

# Attack: a config writing a sysctl of the host (by key, by a key that walks out of its
# namespace's directory, or a namespaced one of a namespace the container shares).
@test "oci-join: a sysctl that is not the container's own namespace's is refused naming the key" {
	local b=$BATS_TEST_TMPDIR/b key before
	before=$(cat /proc/sys/kernel/core_pattern)
	local -A edits=(
		['linux.sysctl.kernel.core_pattern: not a namespaced sysctl']='c["linux"]["sysctl"] = {"kernel.core_pattern": "|/tmp/x"}'
		['linux.sysctl.vm.overcommit_memory: not a namespaced sysctl']='c["linux"]["sysctl"] = {"vm.overcommit_memory": "1"}'
		['linux.sysctl.kernel.hostname: not a namespaced sysctl']='c["linux"]["sysctl"] = {"kernel.hostname": "x"}'
		['linux.sysctl.net/../kernel/core_pattern: not a sysctl name']='c["linux"]["sysctl"] = {"net/../kernel/core_pattern": "|/tmp/x"}'
		['linux.sysctl.net..kernel: not a sysctl name']='c["linux"]["sysctl"] = {"net..kernel": "1"}'
		["linux.sysctl.net.ipv4.ip_forward: the container has the host's network namespace"]='c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}; c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
		['linux.sysctl.net.ipv4.ip_forward: the network namespace is joined']='c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}; join("network", "/proc/1/ns/net")'
	)
	for key in "${!edits[@]}"; do
		mkbundle "$b" 'echo ran' "${edits[$key]}"
		run oci run --bundle "$b" s2
		assert_failure
		assert_output --partial "$key"
		refute_output --partial ran
		[ ! -e "$OCI_ROOT/s2" ]
	done
	assert_equal "$(cat /proc/sys/kernel/core_pattern)" "$before"
}

# podman (Debian's 4.3) with mlrun-oci registered as "crun", cgroups disabled (this hybrid host:
# tests/oci.bats explains the configuration), a local busybox image and a pod whose infra
# container is that image (no catatonit, no registry).
podman_setup() {
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
	P=$BATS_TEST_TMPDIR/podman
	mkdir -p "$P"
	tar -C "$OCI_DIR/rootfs" -cf "$P/bb.tar" .
	cat >"$P/containers.conf" <<EOF
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "crun"
runtime_supports_nocgroups = ["crun"]

[engine.runtimes]
crun = ["$OCI"]
EOF
	export CONTAINERS_CONF=$P/containers.conf
	pm import -q "$P/bb.tar" localhost/mlrun-oci-join:1 >/dev/null
}
pm() { podman --root "$P/store" --runroot "$P/run" --storage-driver vfs "$@"; }
podman_teardown() {
	local d
	for d in "$OCI_ROOT"/*/; do [ -d "$d" ] && oci delete --force "$(basename "$d")" >/dev/null 2>&1; done
	pm pod rm -fa >/dev/null 2>&1 || true
	pm rm -fa >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
}

@test "oci-join: podman pod: two containers talk over the pod's loopback, in the infra container's namespaces" {
	podman_setup
	local img=localhost/mlrun-oci-join:1 infra pod_net
	pm pod create --name jp --infra-image "$img" --infra-command 'sleep 100000' >/dev/null
	pm pod start jp >/dev/null
	infra=$(pm pod inspect -f '{{.InfraContainerID}}' jp)
	pod_net=$(readlink "/proc/$(pm inspect -f '{{.State.Pid}}' "$infra")/ns/net")
	refute [ "$pod_net" = "$(readlink /proc/self/ns/net)" ]
	pm run -d --name web --pod jp "$img" httpd -f -p 127.0.0.1:8080 -h /www >/dev/null
	run pm run --rm --pod jp "$img" sh -c 'readlink /proc/self/ns/net; for i in $(seq 50); do wget -q -O - http://127.0.0.1:8080/index.html && exit 0; sleep 0.2; done; exit 1'
	podman_teardown
	assert_success
	assert_line --index 0 "$pod_net"
	assert_line --index 1 pod-page
}

@test "oci-join: podman --network/--ipc/--uts container:X joins X's namespaces" {
	podman_setup
	local img=localhost/mlrun-oci-join:1 x xpid
	x=$(pm run -d --hostname xhost "$img" sleep 100000)
	xpid=$(pm inspect -f '{{.State.Pid}}' "$x")
	run pm run --rm --network "container:$x" --ipc "container:$x" --uts "container:$x" "$img" \
		sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; hostname'
	local want_net want_ipc
	want_net=$(readlink "/proc/$xpid/ns/net")
	want_ipc=$(readlink "/proc/$xpid/ns/ipc")
	podman_teardown
	assert_success
	assert_line --index 0 "$want_net"
	assert_line --index 1 "$want_ipc"
	assert_line --index 2 xhost
}

@test "oci-join: podman --sysctl sets a namespaced sysctl; a host sysctl is refused" {
	podman_setup
	local img=localhost/mlrun-oci-join:1
	run pm run --rm --sysctl net.ipv4.ping_group_range='0 0' --sysctl kernel.msgmax=4321 "$img" \
		cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/msgmax
	assert_success
	assert_line --index 0 --regexp '^0[[:space:]]+0$'
	assert_line --index 1 4321
	run pm run --rm --sysctl kernel.core_pattern='|/tmp/x' "$img" echo ran
	podman_teardown
	assert_failure
	refute_output --partial ran
}

# hook NAME: a hook script recording its state, network namespace and open fds under $HOOK_OUT.
make_hook() {
	export HOOK_OUT=$BATS_TEST_TMPDIR/hooks
	mkdir -p "$HOOK_OUT"
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<'EOF2'
#!/bin/sh
cat >"$HOOK_OUT/$1.json"
readlink /proc/self/ns/net >"$HOOK_OUT/$1.net"
ls -l /proc/$$/fd >"$HOOK_OUT/$1.fds" 2>&1
pwd >"$HOOK_OUT/$1.cwd"
[ -z "$HOOK_SLEEP" ] || sleep "$HOOK_SLEEP"
exit "${HOOK_EXIT:-0}"
EOF2
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
}
# hook_json STAGE [EXTRA ENV] -> the config's hook entry
hook_json() {
	echo "{\"path\": \"$BATS_TEST_TMPDIR/hook.sh\", \"args\": [\"hook.sh\", \"$1\"], \"env\": [\"PATH=/usr/bin:/bin\", \"HOOK_OUT=$HOOK_OUT\"${2:+, $2}]${3:+, $3}}"
}
state_field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$HOOK_OUT/$1.json" "$2"; }

@test "oci-join: hooks prestart, createRuntime, poststart, poststop run in the runtime's namespaces with the state on stdin and no container fd" {
	make_hook
	local b=$BATS_TEST_TMPDIR/b out=$BATS_TEST_TMPDIR/out pid
	mkbundle "$b" 'echo program-ran; sleep 1000' \
		"c['hooks'] = {s: [json.loads('''$(hook_json prestart)'''.replace('prestart', s))] for s in ['prestart', 'createRuntime', 'poststart', 'poststop']}"
	oci create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" h1 >"$out" 2>&1
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	for s in prestart createRuntime; do
		assert_equal "$(state_field $s status)" creating
		assert_equal "$(state_field $s id)" h1
		assert_equal "$(state_field $s pid)" "$pid"
		assert_equal "$(state_field $s bundle)" "$b"
		# the runtime's network namespace, not the container's (which the pid leads to)
		assert_equal "$(cat "$HOOK_OUT/$s.net")" "$(readlink /proc/self/ns/net)"
		refute [ "$(cat "$HOOK_OUT/$s.net")" = "$(readlink /proc/$pid/ns/net)" ]
		assert_equal "$(cat "$HOOK_OUT/$s.cwd")" "$b"
		# nothing of the container: not its stdio (the engine's $out), not its start FIFO
		run cat "$HOOK_OUT/$s.fds"
		refute_output --partial "$out"
		refute_output --partial "$OCI_ROOT"
	done
	[ ! -e "$HOOK_OUT/poststart.json" ]
	refute grep -q program-ran "$out"
	oci start h1
	assert_equal "$(state_field poststart status)" running
	assert_equal "$(state_field poststart pid)" "$pid"
	[ ! -e "$HOOK_OUT/poststop.json" ]
	oci delete --force h1
	assert_equal "$(state_field poststop status)" stopped
	[ ! -e "$OCI_ROOT/h1" ]
}

@test "oci-join: a failing or overlong createRuntime hook fails create naming it; nothing of the container runs" {
	make_hook
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo program-ran' "c['hooks'] = {'createRuntime': [json.loads('''$(hook_json createRuntime '"HOOK_EXIT=3"')''')]}"
	run oci run --bundle "$b" h2
	assert_failure
	assert_output --partial "hooks.createRuntime[0]: $BATS_TEST_TMPDIR/hook.sh exited with status 3"
	refute_output --partial program-ran
	[ ! -e "$OCI_ROOT/h2" ]
	mkbundle "$b" 'echo program-ran' "c['hooks'] = {'prestart': [json.loads('''$(hook_json prestart '"HOOK_SLEEP=100"' '"timeout": 1')''')]}"
	run oci run --bundle "$b" h3
	assert_failure
	assert_output --partial "hooks.prestart[0]: $BATS_TEST_TMPDIR/hook.sh did not end within its timeout of 1 s"
	refute_output --partial program-ran
	[ ! -e "$OCI_ROOT/h3" ]
}

@test "oci-join: createContainer and startContainer hooks are refused naming them" {
	local b=$BATS_TEST_TMPDIR/b s
	for s in createContainer startContainer; do
		mkbundle "$b" 'echo program-ran' "c['hooks'] = {'$s': [{'path': '/bin/true'}]}"
		run oci run --bundle "$b" h4
		assert_failure
		assert_output --partial "hooks.$s: not supported by mlrun-oci"
		refute_output --partial program-ran
	done
}

@test "oci-join: podman --hooks-dir: an OCI hook (prestart) runs with the container's state" {
	podman_setup
	make_hook
	mkdir -p "$P/hooks.d"
	cat >"$P/hooks.d/mlrun-test.json" <<EOF2
{"version": "1.0.0", "hook": {"path": "$BATS_TEST_TMPDIR/hook.sh", "args": ["hook.sh", "prestart"], "env": ["PATH=/usr/bin:/bin", "HOOK_OUT=$HOOK_OUT"]},
 "when": {"always": true}, "stages": ["prestart"]}
EOF2
	run pm --hooks-dir "$P/hooks.d" run --rm localhost/mlrun-oci-join:1 echo program-ran
	local id
	id=$(state_field prestart id 2>/dev/null || true)
	podman_teardown
	assert_success
	assert_output program-ran
	assert_equal "$(state_field prestart status)" creating
	[ ${#id} = 64 ]
}

@test "oci-join: features lists the hooks mlrun-oci runs" {
	run "$OCI" features
	assert_success
	run "$PY" -c 'import json,sys; print(json.load(sys.stdin)["hooks"])' <<<"$output"
	assert_output "['prestart', 'createRuntime', 'poststart', 'poststop']"
}
