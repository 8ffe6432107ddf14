#!/usr/bin/env bats
# mlrun-oci exec, ps, pause/resume (docs/oci.md): a process joining a running container gets
# exactly its program's isolation (namespaces, seccomp, no_new_privs, no capabilities, none of
# mlrun-oci's fds), the attacks of the container's program on the exec path, and podman exec.

load helpers

setup_file() {
	require_root
	export OCI_DIR=$BATS_FILE_TMPDIR/oci
	mkdir -p "$OCI_DIR/bin" "$OCI_DIR/rootfs/bin"
	ln -s "$MLRUN" "$OCI_DIR/bin/mlrun-oci"
	cp /bin/busybox "$OCI_DIR/rootfs/bin/"
	cp "$PROBE" "$OCI_DIR/rootfs/bin/probe"
	for a in sh echo cat true id sleep ls mkdir pwd env ln; do ln -s busybox "$OCI_DIR/rootfs/bin/$a"; done
	echo image >"$OCI_DIR/rootfs/marker"
	chmod -R a+rX "$OCI_DIR"
	export OCI="$OCI_DIR/bin/mlrun-oci" OCI_ROOT=$OCI_DIR/state
}

setup() { require_root; }
# A failed test leaves no container behind (its supervisor would hold bats' fds open).
teardown() {
	local c
	for c in "$OCI_ROOT"/*; do
		[ -d "$c" ] && "$OCI" --root "$OCI_ROOT" delete --force "${c##*/}" >/dev/null 2>&1
	done
	return 0
}

# mkbundle DIR 'SHELL COMMAND' [PYTHON STATEMENTS on c, the config]: crun's default spec
# (its own namespaces, /dev/shm a tmpfs), no terminal, running sh -c COMMAND.
mkbundle() {
	local dir=$1 cmd=$2 edit=${3:-}
	mkdir -p "$dir"
	[ -e "$dir/rootfs" ] || ln -s "$OCI_DIR/rootfs" "$dir/rootfs"
	(cd "$dir" && rm -f config.json && crun spec) || return 1
	"$PY" - "$dir/config.json" "$cmd" "$edit" <<'PYEOF'
import json, sys
path, cmd, edit = sys.argv[1:4]
c = json.load(open(path))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', cmd]
exec(edit)
json.dump(c, open(path, 'w'), indent=1)
PYEOF
}

oci() { "$OCI" --root "$OCI_ROOT" "$@"; }
oci_status() { oci state "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
status_is() { [ "$(oci_status "$1")" = "$2" ]; }
file_has() { grep -q "$2" "$1"; }
mlrun_id() { oci state "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["annotations"]["run.mlrun.id"])'; }
# The host pid of a container's program: the supervisor's child is mlrun's pid 1, its child the program.
program_pid() {
	local sup=$1 init
	init=$(cat "/proc/$sup/task/$sup/children")
	init=${init%% *}
	local p
	p=$(cat "/proc/$init/task/$init/children")
	echo "${p%% *}"
}
# start_bg ID 'COMMAND' [EDIT]: a running container whose program has said "up".
start_bg() {
	local id=$1 b=$BATS_TEST_TMPDIR/b-$1 out=$BATS_TEST_TMPDIR/out-$1
	mkbundle "$b" "echo up; $2" "${3:-}"
	oci run --detach --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid-$id" "$id" </dev/null >"$out" 2>&1
	wait_for 50 file_has "$out" up
}

SECCOMP_NO_MKDIR='c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'

@test "oci-exec: the exec'd process has the program's namespaces, seccomp filter, no_new_privs, capabilities, no fd of ours" {
	start_bg x1 'while :; do sleep 0.2; done' "$SECCOMP_NO_MKDIR"
	local sup prog
	sup=$(cat "$BATS_TEST_TMPDIR/pid-x1")
	prog=$(program_pid "$sup")
	# fds 5 and 7 of mlrun-oci's caller (and its own) must not reach the process
	run oci exec x1 probe isolation 5</etc/hostname 7>"$BATS_TEST_TMPDIR/leak"
	assert_success
	local n
	for n in user mnt pid net ipc uts cgroup; do
		assert_line "ns $n $(stat -L -c %i "/proc/$prog/ns/$n")"
	done
	assert_line "Seccomp 2"
	assert_line "NoNewPrivs 1"
	# exactly the config's process.capabilities (the bundle's: AUDIT_WRITE, KILL,
	# NET_BIND_SERVICE), as the program holds them
	assert_line "CapEff 0000000020000420"
	local set
	for set in CapEff CapPrm CapBnd; do
		assert_line "$set $(awk -v s="$set:" '$1 == s {print $2}' "/proc/$prog/status")"
	done
	assert_line "fds 0 1 2"
	assert_line "cwd /"
	# the config's filter itself: mkdir is denied in the exec'd process as in the program
	run oci exec x1 mkdir /dev/shm/d
	assert_failure
	assert_output --partial "Operation not permitted"
	# the image's root, not the host's
	run oci exec x1 cat /marker
	assert_output image
	oci delete --force x1
}

@test "oci-exec: exit status, stdin/stdout, --cwd, --env, --user, --process FILE; ps lists it" {
	start_bg x2 'while :; do sleep 0.2; done'
	run oci exec x2 sh -c 'echo out; exit 9'
	assert_equal "$status" 9
	assert_output out
	run oci exec x2 cat <<<"via stdin"
	assert_output "via stdin"
	run oci exec --cwd /dev --env FOO=bar --user 0:0 x2 sh -c 'pwd; echo $FOO; id -u'
	assert_success
	assert_line --index 0 /dev
	assert_line --index 1 bar
	assert_line --index 2 0
	# a uid the container does not map cannot be taken
	run oci exec --user 1000 x2 true
	assert_failure
	assert_output --partial "switch to process.user"
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'JSON'
	{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo from-process-json; exit 4"],
	 "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true}
	JSON
	run oci exec --process "$BATS_TEST_TMPDIR/process.json" x2
	assert_equal "$status" 4
	assert_output from-process-json
	# ps: the program and an exec'd process (not pid 1's descendant), as host pids
	oci exec --detach x2 sleep 1000
	run oci ps --format json x2
	assert_success
	local sup prog
	sup=$(cat "$BATS_TEST_TMPDIR/pid-x2")
	prog=$(program_pid "$sup")
	"$PY" -c 'import json,sys; p=json.loads(sys.argv[1]); assert int(sys.argv[2]) in p and len(p) >= 3, p' "$output" "$prog"
	run oci ps x2
	assert_line --index 0 --regexp '^PID +CMD$'
	assert_output --partial sleep
	oci delete --force x2
	run oci exec x2 true
	assert_failure
}

# The engine's way: exec --detach --pid-file, the engine a subreaper that reaps the pid the
# file names (conmon, containerd's shim).
@test "oci-exec: --detach --pid-file: the process is reaped by the caller's subreaper with its exit status" {
	start_bg x3 'while :; do sleep 0.2; done'
	run "$PY" "$REPO/tests/oci/subreaper.py" "$BATS_TEST_TMPDIR/exec.pid" \
		"$OCI" --root "$OCI_ROOT" exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" x3 sh -c 'exit 6'
	assert_success
	assert_line "runtime status 0"
	assert_line "exec status 6"
	# an exec that cannot start fails the runtime with the step named
	run oci exec --detach x3 /no/such/program
	assert_failure
	assert_output --partial "execute the program"
	oci delete --force x3
}

# Attack: a link the container plants where exec will chdir. Every descriptor of mlrun-oci is
# closed before the cwd is resolved, and it is resolved inside the container's root without
# /proc magic links: /proc/self/fd/N cannot lead to a host directory mlrun-oci held open, and
# ../.. stays in the container.
@test "oci-exec: a link planted at the exec cwd never leads out of the container" {
	start_bg x4 'for n in 3 4 5 6 7 8 9 10 11 12; do ln -s /proc/self/fd/$n /dev/shm/fd$n; done; ln -s ../../../../.. /dev/shm/up; ln -s /proc/1/cwd /dev/shm/init; echo planted; while :; do sleep 0.2; done'
	wait_for 50 file_has "$BATS_TEST_TMPDIR/out-x4" planted
	# a host directory open in mlrun-oci, as an engine's or mlrun-oci's own could be
	local n host=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$host"
	touch "$host/host-only"
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run oci exec --cwd "/dev/shm/fd$n" x4 ls 8<"$host"
		assert_failure
		assert_output --partial "enter process.cwd"
		refute_output --partial host-only
	done
	run oci exec --cwd /dev/shm/init x4 pwd
	assert_failure
	assert_output --partial "enter process.cwd"
	run oci exec --cwd /dev/shm/up x4 cat marker
	assert_success
	assert_output image
	oci delete --force x4
}

# Attack: make exec join something else than the container. The process joined is mlrun's
# pid 1 of the container as its state entry records it, verified after a pidfd pins it (start
# time, parent = the container's live supervisor, another pid namespace): an entry naming a
# process of the host (as a planted or stale entry would, or a reused pid) is refused.
@test "oci-exec: exec never joins a process other than the container's verified pid 1" {
	start_bg x5 'while :; do sleep 0.2; done'
	local id entry=/run/mlrun
	id=$(mlrun_id x5)
	entry=/run/mlrun/$id.json
	[ -f "$entry" ]
	sleep 1000 &
	local host=$!
	local start
	start=$(awk '{print $22}' "/proc/$host/stat")
	cp "$entry" "$BATS_TEST_TMPDIR/entry.json"
	"$PY" - "$entry" "$host" "$start" <<'PYEOF'
import json, os, sys
path, pid, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
e = json.load(open(path))
e["init_pid"], e["init_start"] = pid, start
tmp = path + ".t"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, json.dumps(e).encode())
os.close(fd)
os.rename(tmp, path)
PYEOF
	run oci exec x5 probe isolation
	kill "$host"
	assert_failure
	assert_output --partial "not the one mlrun recorded"
	refute_output --partial "ns user"
	cp "$BATS_TEST_TMPDIR/entry.json" "$entry"
	run oci exec x5 cat /marker
	assert_output image
	# its pid 1 gone (the container stopped): nothing is joined
	oci kill x5 KILL
	wait_for 50 status_is x5 stopped
	run oci exec x5 true
	assert_failure
	assert_output --partial "not running"
	oci delete x5
}

@test "oci-exec: the run.mlrun.policy filter applies to an exec'd process, answered by the kernel" {
	start_bg x6 'while :; do sleep 0.2; done'
	run oci exec x6 probe syscall ptrace
	assert_output "ok 0"
	oci delete --force x6
	start_bg x7 'sleep 3' 'c["annotations"] = {"run.mlrun.policy": "strict"}'
	run oci exec x7 probe syscall ptrace
	assert_failure
	assert_output --partial EPERM
	wait_for 100 status_is x7 stopped
	# not counted: no monitor listens to an exec'd process (docs/oci.md), and the report says
	# nothing of what it did
	refute [ "$(jfield "$OCI_ROOT/x7/report.json" '[v["syscall"] for v in r["violations"]]')" = "['ptrace']" ]
	oci delete x7
}

@test "oci-exec: pause without a cgroup v2 leaf fails with one clear line; the container keeps running" {
	start_bg x8 'while :; do sleep 0.2; done'
	local id
	id=$(mlrun_id x8)
	if [ -n "$(jfield "/run/mlrun/$id.json" 'r["cgroup"]')" ]; then
		oci delete --force x8
		skip "this host gives the container a cgroup v2 leaf (tests/vm/oci.bats covers pause there)"
	fi
	run oci pause x8
	assert_failure
	assert_output --regexp '^mlrun-oci: pause x8: the container has no cgroup v2 leaf'
	assert_equal "${#lines[@]}" 1
	assert_equal "$(oci_status x8)" running
	run oci resume x8
	assert_failure
	assert_output --partial "no cgroup v2 leaf"
	oci delete --force x8
}

# podman (Debian's 4.3) with mlrun-oci as its runtime, configured as tests/oci.bats does on
# this hybrid-cgroup host (cgroups disabled, the runtime named crun).
@test "oci-exec: podman exec: stdout, exit status, -i, -t, and the isolation of the exec'd process" {
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
	local p=$BATS_TEST_TMPDIR/podman
	mkdir -p "$p/img/bin"
	cp /bin/busybox "$p/img/bin/"
	cp "$PROBE" "$p/img/bin/probe"
	for a in sh echo cat sleep id; do ln -s busybox "$p/img/bin/$a"; done
	tar -C "$p/img" -cf "$p/bb.tar" .
	cat >"$p/containers.conf" <<CONF
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
CONF
	export CONTAINERS_CONF=$p/containers.conf
	pm() { podman --root "$p/store" --runroot "$p/run" --storage-driver vfs "$@"; }
	pm import -q "$p/bb.tar" localhost/mlrun-oci-exec:1 >/dev/null
	local id sup prog
	id=$(pm run -d localhost/mlrun-oci-exec:1 sleep 1000)
	run pm exec "$id" sh -c 'echo hello from exec; exit 5'
	assert_equal "$status" 5
	assert_output "hello from exec"
	run pm exec -i "$id" cat <<<"through stdin"
	assert_success
	assert_output "through stdin"
	run pm exec -t "$id" sh -c '[ -t 1 ] && echo is-a-tty; exit 3' </dev/null
	assert_equal "$status" 3
	assert_output --partial is-a-tty
	sup=$(pm inspect --format '{{.State.Pid}}' "$id")
	prog=$(program_pid "$sup")
	run pm exec "$id" probe isolation
	assert_success
	local n
	for n in user mnt pid net ipc uts cgroup; do
		assert_line "ns $n $(stat -L -c %i "/proc/$prog/ns/$n")"
	done
	assert_line "Seccomp 2"
	assert_line "NoNewPrivs 1"
	# exactly what podman's process.capabilities grants, as the program holds (tests/oci-caps.bats)
	assert_line "CapEff $(awk '/^CapEff/ {print $2}' "/proc/$prog/status")"
	assert_line "CapBnd $(awk '/^CapBnd/ {print $2}' "/proc/$prog/status")"
	assert_line "fds 0 1 2"
	pm rm -f "$id" >/dev/null
	# CAP_SYS_ADMIN: the program holds it in a user namespace of its own; an exec'd process would
	# join pid 1's, the one that made the mounts, where it could undo the masks: refused
	id=$(pm run -d --cap-add SYS_ADMIN localhost/mlrun-oci-exec:1 sleep 1000)
	run pm exec "$id" cat /proc/self/status
	assert_failure
	assert_output --partial "CAP_SYS_ADMIN cannot be granted to an exec'd process"
	refute_output --partial "CapEff"
	pm rm -f "$id" >/dev/null
	pm rmi -f localhost/mlrun-oci-exec:1 >/dev/null
	pm system reset -f >/dev/null 2>&1 || true
}

# Rootless without an engine's user namespace, the kernel refuses setns() through a pidfd of
# mlrun's undumpable pid 1 (its mm belongs to the host's user namespace, where the caller cannot
# ptrace): exec fails with one line saying so, and the container is untouched.
@test "oci-exec: rootless outside a user namespace of its own, exec is refused with the reason" {
	ensure_test_user
	local d
	d=$(mktemp -d /tmp/mlrun-oci-exec-user.XXXXXX)
	chmod 755 "$d"
	cp "$MLRUN" "$d/mlrun"
	ln -s mlrun "$d/mlrun-oci"
	mkdir -p "$d/b/rootfs"
	cp -a "$OCI_DIR/rootfs/." "$d/b/rootfs/"
	mkbundle "$d/b" 'echo up; while :; do sleep 0.2; done' 'c["linux"]["namespaces"].append({"type": "user"})'
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/state"
	as_user "$d/mlrun-oci" --root "$d/state" run --detach --bundle "$d/b" u1 </dev/null >"$d/out" 2>&1
	wait_for 50 file_has "$d/out" up
	run as_user "$d/mlrun-oci" --root "$d/state" exec u1 probe isolation
	local st
	st=$(as_user "$d/mlrun-oci" --root "$d/state" state u1)
	as_user "$d/mlrun-oci" --root "$d/state" delete --force u1
	rm -rf "$d"
	assert_failure
	assert_output --regexp "^mlrun-oci: exec u1: cannot join the container's namespaces: Operation not permitted \\(rootless"
	assert_equal "${#lines[@]}" 1
	[[ $st == *'"status":"running"'* ]]
}
