#!/usr/bin/env bats
# mlrun-oci (docs/oci.md): runc's command line over mlrun's run path. A bundle driven directly
# through create/start/state/kill/delete, refusals of what it cannot honour, the attacks on its
# state and on the host through the image, and podman running a local image with it.

load helpers

setup_file() {
	require_root
	export OCI_DIR=$BATS_FILE_TMPDIR/oci
	mkdir -p "$OCI_DIR/bin" "$OCI_DIR/rootfs/bin"
	ln -s "$MLRUN" "$OCI_DIR/bin/mlrun-oci"
	cp /bin/busybox "$OCI_DIR/rootfs/bin/"
	for a in sh echo cat true id sleep ls mkdir mount wc hostname; do ln -s busybox "$OCI_DIR/rootfs/bin/$a"; done
	chmod -R a+rX "$OCI_DIR"
	export OCI="$OCI_DIR/bin/mlrun-oci" OCI_ROOT=$OCI_DIR/state
}

setup() { require_root; }

# mkbundle DIR 'SHELL COMMAND' [PYTHON STATEMENTS on c, the config]: a bundle in DIR whose
# config is crun's default spec, without a terminal, running sh -c COMMAND.
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
exec(edit)
json.dump(c, open(path, 'w'), indent=1)
EOF
}

oci() { "$OCI" --root "$OCI_ROOT" "$@"; }
oci_status() { oci state "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
status_is() { [ "$(oci_status "$1")" = "$2" ]; }
file_has() { grep -q "$2" "$1"; }

@test "oci: features prints the runtime-spec features JSON" {
	run "$OCI" features
	assert_success
	run "$PY" -c 'import json,sys; f=json.load(sys.stdin); print(f["ociVersionMax"], "user" in f["linux"]["namespaces"], f["linux"]["seccomp"]["enabled"])' <<<"$output"
	assert_output "1.1.0 True True"
}

@test "oci: create waits for start; state, start, kill and delete follow the runtime-spec lifecycle" {
	local b=$BATS_TEST_TMPDIR/b out=$BATS_TEST_TMPDIR/out
	mkbundle "$b" 'echo started; trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'
	oci create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" life >"$out" 2>&1
	run oci state life
	assert_success
	assert_output --partial '"status":"created"'
	assert_output --partial "\"pid\":$(cat "$BATS_TEST_TMPDIR/pid")"
	assert_output --partial '"bundle":"'"$b"'"'
	# nothing of the image has run before start
	[ ! -s "$out" ]
	oci start life
	wait_for 50 file_has "$out" started
	assert_equal "$(oci_status life)" running
	run oci start life
	assert_failure
	oci kill life TERM
	wait_for 50 status_is life stopped
	run cat "$out"
	assert_output --partial "got TERM"
	local report=$OCI_ROOT/life/report.json
	assert_equal "$(jfield "$report" 'r["exit_code"]')" 7
	oci delete life
	[ ! -e "$OCI_ROOT/life" ]
	run oci state life
	assert_failure
	assert_output --partial "does not exist"
}

@test "oci: run passes the program's exit status and output; container root is an unprivileged host uid" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo out; id -u; cat /proc/self/uid_map; exit 3'
	run oci run --bundle "$b" r1
	assert_equal "$status" 3
	assert_line --index 0 out
	assert_line --index 1 0
	assert_line --regexp '^ +0 +60000 +1$'
	[ ! -e "$OCI_ROOT/r1" ]
}

@test "oci: kill before start ends the container; delete --force removes a running one" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'while :; do sleep 0.1; done'
	oci create --bundle "$b" k1 </dev/null >/dev/null 2>&1
	local id1 id2
	id1=$(oci state k1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["annotations"]["run.mlrun.id"])')
	[ -e "/run/mlrun/$id1.json" ]
	oci kill k1 KILL
	wait_for 50 status_is k1 stopped
	oci delete k1
	# what the killed supervisor left in mlrun's own state directory is gone too
	[ ! -e "/run/mlrun/$id1.json" ]
	oci run --detach --bundle "$b" k2 </dev/null >/dev/null 2>&1
	wait_for 50 status_is k2 running
	run oci delete k2
	assert_failure
	assert_output --partial "is running"
	id2=$(oci state k2 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["annotations"]["run.mlrun.id"])')
	oci delete --force k2
	[ ! -e "$OCI_ROOT/k2" ]
	[ ! -e "/run/mlrun/$id2.json" ]
}

@test "oci: run in the foreground relays its signals to the program; delete removes a half-created container" {
	local b=$BATS_TEST_TMPDIR/b out=$BATS_TEST_TMPDIR/out
	mkbundle "$b" 'trap "echo got TERM; exit 7" TERM; echo up; while :; do sleep 0.1; done'
	"$OCI" --root "$OCI_ROOT" run --bundle "$b" f1 >"$out" 2>&1 &
	local runner=$!
	wait_for 50 file_has "$out" up
	kill -TERM "$runner"
	local code=0
	wait "$runner" || code=$?
	run cat "$out"
	assert_equal "$code" 7
	assert_output --partial "got TERM"
	[ ! -e "$OCI_ROOT/f1" ]
	# a create killed before it wrote its state leaves only its directory: delete takes it
	mkdir -p -m 700 "$OCI_ROOT/half"
	oci delete half
	[ ! -e "$OCI_ROOT/half" ]
}

@test "oci: process.terminal: the pty's master goes to the console socket, the program has the terminal" {
	local b=$BATS_TEST_TMPDIR/b sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/console.out
	mkbundle "$b" '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; stty size; exit 6' \
		'c["process"]["terminal"] = True; c["process"]["consoleSize"] = {"height": 30, "width": 99}'
	"$PY" "$REPO/tests/oci/console_recv.py" "$sock" "$out" &
	local recv=$!
	wait_for 50 test -S "$sock"
	oci create --bundle "$b" --console-socket "$sock" t1 </dev/null >/dev/null
	oci start t1
	wait_for 50 status_is t1 stopped
	wait "$recv"
	run cat "$out"
	assert_line --index 0 "name=/dev/ptmx"
	assert_line --index 1 --partial is-a-tty
	assert_line --index 2 --partial "30 99"
	assert_equal "$(jfield "$OCI_ROOT/t1/report.json" 'r["exit_code"]')" 6
	oci delete t1
	# the same program without a terminal: its fds are the engine's pipes
	mkbundle "$b" '[ -t 1 ] && echo is-a-tty; echo done'
	run oci run --bundle "$b" t2
	assert_output done
}

@test "oci: make install links mlrun-oci to mlrun" {
	local prefix=$BATS_TEST_TMPDIR/prefix
	run make -C "$REPO" -s install PREFIX="$prefix"
	assert_success
	[ "$(readlink "$prefix/bin/mlrun-oci")" = mlrun ]
	run "$prefix/bin/mlrun-oci" --version
	assert_output --partial "mlrun-oci version"
}

@test "oci: a field mlrun-oci cannot honour fails create naming it, and leaves nothing behind" {
	local b=$BATS_TEST_TMPDIR/b
	local -A edits=(
		['hooks.createContainer']='c["hooks"] = {"createContainer": [{"path": "/bin/true"}]}'
		['linux.devices']='c["linux"]["devices"] = [{"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}]'
		['linux.namespaces[0].path']='c["linux"]["namespaces"][0]["path"] = "/proc/1/ns/pid"'
		['process.terminal']='c["process"]["terminal"] = True'
		['linux.sysctl']='c["linux"]["sysctl"] = {"kernel.core_pattern": "|/x"}'
		['process.user.additionalGids']='c["process"]["user"]["additionalGids"] = [4]'
		['linux.seccomp.syscalls[0].action']='c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
		['mounts[7].options']='c["mounts"].append({"destination": "/x", "type": "tmpfs", "source": "x", "options": ["shared"]})'
	)
	for field in "${!edits[@]}"; do
		mkbundle "$b" 'echo ran' "${edits[$field]}"
		run oci create --bundle "$b" refused
		assert_failure
		assert_output --partial "$field"
		refute_output --partial ran
		[ ! -e "$OCI_ROOT/refused" ]
	done
}

@test "oci: the config's linux.seccomp filter is enforced" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'mkdir /dev/shm/x && echo made'
	run oci run --bundle "$b" s0
	assert_success
	assert_output made
	mkbundle "$b" 'mkdir /dev/shm/x && echo made' \
		'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	run oci run --bundle "$b" s1
	assert_failure
	assert_output --partial "Operation not permitted"
	refute_output --partial made
}

@test "oci: maskedPaths read as empty, readonlyPaths are read-only" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'ls /sys/firmware | wc -l; cat /proc/keys | wc -c; echo x > /proc/sys/kernel/hostname && echo wrote'
	run oci run --bundle "$b" m1
	assert_line --index 0 0
	assert_line --index 1 0
	refute_output --partial wrote
	assert_output --partial "Read-only file system"
	# the same without the config's lists: /sys/firmware is the host's (so the check above can fail)
	mkbundle "$b" 'ls /sys/firmware | wc -l' 'c["linux"]["maskedPaths"] = []'
	run oci run --bundle "$b" m2
	refute_output 0
}

@test "oci: the run.mlrun.policy annotation applies an mlrun policy on top: its violations reach the report" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'mount -t tmpfs none /dev/shm; echo after' 'c["annotations"] = {"run.mlrun.policy": "strict"}'
	run oci run --detach --bundle "$b" p1
	assert_success
	wait_for 50 status_is p1 stopped
	local report=$OCI_ROOT/p1/report.json
	assert_equal "$(jfield "$report" '[v["syscall"] for v in r["violations"]]')" "['mount']"
	assert_equal "$(jfield "$report" 'r["policy"]')" strict
	run oci state p1
	assert_output --partial "\"run.mlrun.report\":\"$report\""
	oci delete p1
	# a path is not a policy name: the annotation cannot point at a file it chose
	mkbundle "$b" 'echo ran' 'c["annotations"] = {"run.mlrun.policy": "/tmp/loose.ini"}'
	run oci create --bundle "$b" p2
	assert_failure
	assert_output --partial "run.mlrun.policy"
}

@test "oci: rootless, the container's uid 0 is the caller's own uid" {
	ensure_test_user
	local d
	d=$(mktemp -d /tmp/mlrun-oci-user.XXXXXX)
	chmod 755 "$d"
	cp "$MLRUN" "$d/mlrun"
	ln -s mlrun "$d/mlrun-oci"
	mkdir -p "$d/b/rootfs"
	cp -a "$OCI_DIR/rootfs/." "$d/b/rootfs/"
	mkbundle "$d/b" 'echo rootless; id -u; cat /proc/self/uid_map; exit 4' 'c["linux"]["namespaces"].append({"type": "user"})'
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/state"
	run as_user "$d/mlrun-oci" --root "$d/state" run --bundle "$d/b" u1
	rm -rf "$d"
	assert_equal "$status" 4
	assert_line --index 0 rootless
	assert_line --index 1 0
	assert_line --regexp "^ +0 +$(id -u "$TEST_USER") +1\$"
}

# Attack: the image's links. The mount points of the config's mounts are created by the
# supervisor (host root) in the bundle's root: a link there (etc -> a host directory) must
# never make it create or mount anything on the host.
@test "oci: a link in the image never leads a mount point onto the host" {
	local b=$BATS_TEST_TMPDIR/b victim=$BATS_TEST_TMPDIR/victim img=$BATS_TEST_TMPDIR/img
	mkdir -p "$victim" "$img/bin"
	cp -a "$OCI_DIR/rootfs/bin/." "$img/bin/"
	ln -s "$victim" "$img/etc"
	mkbundle "$b" 'echo ran' 'c["mounts"].append({"destination": "/etc/hosts", "type": "bind", "source": "/etc/hosts", "options": ["bind", "ro"]})'
	ln -sfn "$img" "$b/rootfs"
	run oci create --bundle "$b" l1
	assert_failure
	assert_output --partial "/etc/hosts"
	[ ! -e "$victim/hosts" ]
	[ ! -e "$OCI_ROOT/l1" ]
}

# Attack: another user prepares the state directory (or a directory above it) so that the
# state files mlrun-oci trusts (the pid it signals, the FIFO it writes) are his.
@test "oci: a state directory another user controls is refused" {
	ensure_test_user2
	local parent=$BATS_TEST_TMPDIR/shared
	mkdir -p "$parent"
	chmod 755 "$BATS_TEST_TMPDIR"
	chown "$TEST_USER2" "$parent"
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'echo ran'
	run "$OCI" --root "$parent/state" run --bundle "$b" a1
	assert_failure
	assert_output --partial "owned by uid $(id -u "$TEST_USER2")"
	refute_output --partial ran
	# and a private one of ours with a container directory he planted is not trusted either
	mkdir -p -m 700 "$BATS_TEST_TMPDIR/mine"
	mkdir -m 777 "$BATS_TEST_TMPDIR/mine/a2"
	run "$OCI" --root "$BATS_TEST_TMPDIR/mine" state a2
	assert_failure
	assert_output --partial "not a private directory"
}

# podman (Debian's 4.3) with mlrun-oci as its runtime, on this hybrid-cgroup host:
# --cgroups=disabled (crun and conmon would otherwise write the host's v1 hierarchy, and crun
# refuses the layout), so podman needs a runtime it believes supports that; 4.3 only honours
# runtime_supports_nocgroups for the runtime named "crun", hence the name (docs/oci.md).
@test "oci: podman runs a local image with mlrun-oci: exit status, stdout, stdin, stop, rm" {
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
	local p=$BATS_TEST_TMPDIR/podman
	mkdir -p "$p/img/bin"
	cp /bin/busybox "$p/img/bin/"
	for a in sh echo cat sleep id; do ln -s busybox "$p/img/bin/$a"; done
	tar -C "$p/img" -cf "$p/bb.tar" .
	cat >"$p/containers.conf" <<EOF
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
	export CONTAINERS_CONF=$p/containers.conf
	pm() { podman --root "$p/store" --runroot "$p/run" --storage-driver vfs "$@"; }
	run pm info --format '{{.Host.OCIRuntime.Path}}'
	assert_output "$OCI"
	pm import -q "$p/bb.tar" localhost/mlrun-oci-bb:1 >/dev/null
	run pm run --rm localhost/mlrun-oci-bb:1 sh -c 'echo hello from mlrun-oci; cat /proc/self/uid_map; exit 5'
	assert_equal "$status" 5
	assert_line --index 0 "hello from mlrun-oci"
	assert_line --regexp '^ +0 +60000 +1$'
	run pm run --rm -i localhost/mlrun-oci-bb:1 cat <<<"through stdin"
	assert_success
	assert_output "through stdin"
	run pm run --rm -t localhost/mlrun-oci-bb:1 sh -c '[ -t 1 ] && echo is-a-tty; exit 3' </dev/null
	assert_equal "$status" 3
	assert_output --partial is-a-tty
	local id
	id=$(pm run -d localhost/mlrun-oci-bb:1 sleep 1000)
	run pm ps --format '{{.ID}} {{.Status}}'
	assert_output --partial "Up"
	pm stop -t 5 "$id" >/dev/null
	run pm inspect --format '{{.State.ExitCode}}' "$id"
	assert_output 143
	pm rm "$id" >/dev/null
	run pm ps -a -q
	assert_output ""
	pm rmi -f localhost/mlrun-oci-bb:1 >/dev/null
	pm system reset -f >/dev/null 2>&1 || true
}
