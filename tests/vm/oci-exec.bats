#!/usr/bin/env bats
# mlrun-oci exec, ps, pause/resume in the cgroup v2 VM (docs/oci.md): the exec'd process joins
# the container's cgroup leaf (root; rootless exec is refused, docs/oci.md); ps lists the leaf;
# pause/resume write its cgroup.freeze (root and rootless); containerd's runc shim drives them:
# ctr task exec, ps, pause, resume (root).
# Run it: tests/vm/run.sh tests/vm/oci-exec.bats   (outside the VM every test skips)

load helpers

PY=/usr/bin/python3

setup() {
	vm_require
	vm_oci_setup sh cat echo sleep
}

teardown() {
	"$OCI" --root "$OCI_DIR/state" delete --force ex1 >/dev/null 2>&1 || true
	# a containerd left running would hold bats' fds: the pass would never end
	[ -z "${CTRD_PID:-}" ] || kill "$CTRD_PID" 2>/dev/null || true
	vm_cgroup_cleanup
}

oci() { "$OCI" --root "$OCI_DIR/state" "$@"; }
status_is() { oci state "$1" | grep -q "\"status\":\"$2\""; }
cg_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }

@test "oci exec: the exec'd process is in the container's leaf; ps lists the leaf; pause/resume freeze it" {
	(cd "$OCI_DIR/b" && crun spec)
	"$PY" - "$OCI_DIR/b/config.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['terminal'] = False
c['process']['args'] = ['sleep', '100000']  # no process comes and goes while ps is compared
c['linux']['resources'].update({'pids': {'limit': 32}})
json.dump(c, open(sys.argv[1], 'w'))
PYEOF
	if [ "$(id -u)" != 0 ]; then
		"$PY" - "$OCI_DIR/b/config.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c['linux']['namespaces'].append({'type': 'user'})
json.dump(c, open(sys.argv[1], 'w'))
PYEOF
	fi
	oci run --detach --bundle "$OCI_DIR/b" --pid-file "$OCI_DIR/pid" ex1 </dev/null >/dev/null
	wait_for 100 status_is ex1 running
	local sup init prog leaf
	sup=$(cat "$OCI_DIR/pid")
	init=$(cat "/proc/$sup/task/$sup/children")
	init=${init%% *}
	wait_for 100 test -n "$(cat "/proc/$init/task/$init/children")"
	prog=$(cat "/proc/$init/task/$init/children")
	prog=${prog%% *}
	leaf=/sys/fs/cgroup$(cg_of "$prog")
	[ -f "$leaf/cgroup.freeze" ]
	local e=$prog
	if [ "$(id -u)" = 0 ]; then
		# the exec'd process: in the leaf (its cgroup namespace's root), counted by its pids.max
		run oci exec ex1 cat /proc/self/cgroup /sys/fs/cgroup/pids.max
		assert_success
		assert_line --index 0 "0::/"
		assert_line --index 1 32
		oci exec --detach --pid-file "$OCI_DIR/exec.pid" ex1 sleep 1000
		e=$(cat "$OCI_DIR/exec.pid")
		assert_equal "$(cg_of "$e")" "$(cg_of "$prog")"
	else
		# rootless without an engine's user namespace: refused, with the reason (docs/oci.md)
		run oci exec ex1 true
		assert_failure
		assert_output --partial "rootless"
	fi
	# ps: the leaf's processes
	run oci ps --format json ex1
	assert_success
	"$PY" -c 'import json,sys; p=json.loads(sys.argv[1]); l=sorted(int(x) for x in open(sys.argv[2]).read().split()); assert p == l and int(sys.argv[3]) in p, (p, l)' "$output" "$leaf/cgroup.procs" "$e"
	# pause: the leaf's cgroup.freeze; state says paused; exec is refused
	oci pause ex1
	assert_equal "$(cat "$leaf/cgroup.freeze")" 1
	wait_for 100 grep -q "frozen 1" "$leaf/cgroup.events"
	run oci state ex1
	assert_output --partial '"status":"paused"'
	run oci exec ex1 true
	assert_failure
	assert_output --partial paused
	oci resume ex1
	assert_equal "$(cat "$leaf/cgroup.freeze")" 0
	wait_for 100 status_is ex1 running
	if [ "$(id -u)" = 0 ]; then
		run oci exec ex1 echo again
		assert_output again
	fi
	oci delete --force ex1
}

# containerd (Debian's 1.6) with its runc shim driving mlrun-oci, as a Kubernetes RuntimeClass
# would: `exec --process F --detach --pid-file F ID` (the shim is the exec's subreaper),
# `ps --format json ID`, `pause ID`, `resume ID`.
@test "oci exec: containerd: ctr task exec, ps, pause and resume with --runc-binary mlrun-oci" {
	vm_require_root
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed on the host"
	local c=$BATS_TEST_TMPDIR/ctrd
	mkdir -p "$c/root" "$c/state" "$c/rootfs/bin"
	cp /bin/busybox "$c/rootfs/bin/"
	for a in sh echo cat sleep; do ln -s busybox "$c/rootfs/bin/$a"; done
	printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$c/config.toml"
	containerd --root "$c/root" --state "$c/state" --address "$c/sock" --config "$c/config.toml" >"$c/log" 2>&1 &
	local cpid=$!
	CTRD_PID=$cpid
	wait_for 100 test -S "$c/sock"
	k() { ctr -a "$c/sock" -n mlrun "$@"; }
	k run -d --runc-binary "$OCI" --rootfs "$c/rootfs" c1 sh -c 'while :; do sleep 0.2; done'
	task_is() { k task ls | grep -E "^c1 .* $1\$"; }
	wait_for 100 task_is RUNNING
	local out ps pst=0 pau=0 ret=0 paused=0 resumed=0
	out=$(k task exec --exec-id e1 c1 sh -c 'echo from exec; exit 4' 2>&1) || ret=$?
	ps=$(k task ps c1 2>&1) || pst=$?
	k task pause c1 || pau=$?
	wait_for 50 task_is PAUSED || paused=$?
	k task resume c1 || true
	wait_for 50 task_is RUNNING || resumed=$?
	k task kill -s KILL c1 || true
	wait_for 100 task_is STOPPED || true
	k task rm c1 >/dev/null 2>&1
	k c rm c1 >/dev/null 2>&1
	kill "$cpid"
	wait "$cpid" || true
	CTRD_PID=
	[ "$ret" -eq 4 ] || { echo "exec: $ret $out"; grep -i "mlrun\|error" "$c/log" | tail -8; false; }
	[ "$out" = "from exec" ]
	[ "$pst" -eq 0 ] || { echo "ps: $ps"; false; }
	[ "$(echo "$ps" | grep -cE '^[0-9]+')" -ge 2 ] || { echo "ps: $ps"; false; }
	[ "$pau" -eq 0 ] && [ "$paused" -eq 0 ] && [ "$resumed" -eq 0 ]
}
