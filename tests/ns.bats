#!/usr/bin/env bats
# Namespaces and identity: what the program can see and reach of the host.
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

@test "only the sandbox's processes are visible" {
	run sb -- /probe ls /proc
	assert_success
	pids=$(printf '%s\n' "$output" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ')
	assert_equal "$pids" "1 2 "
}

@test "a host pid is invisible and cannot be signalled" {
	sleep $((30 * SLOW)) &
	victim=$!
	run sb -- /probe kill "$victim" 9
	assert_failure
	assert_output "errno ESRCH"
	kill -0 "$victim"
	kill "$victim"
}

@test "pid 1 of the sandbox is mlrun's small init, the program is pid 2" {
	run sb -- /probe read /proc/1/comm
	assert_success
	assert_output "$(basename "$MLRUN")"
}

@test "the hostname is the policy's" {
	run sb --hostname box42 -- /probe read /proc/sys/kernel/hostname
	assert_output box42
	run sb -- /probe read /etc/hostname
	assert_output mlrun
}

@test "host SysV IPC objects are invisible" {
	id=$("$PY" -c 'import ctypes; l=ctypes.CDLL(None); print(l.msgget(0x6d6c72, 0o1600))')
	[ "$id" -ge 0 ]
	key=$((0x6d6c72))
	grep -qw "$key" /proc/sysvipc/msg # visible on the host: the test would fail unsandboxed
	run sb -- /probe read /proc/sysvipc/msg
	assert_success
	refute_output --partial "$key"
	ipcrm -q "$id"
}

@test "net none: only lo, and it is down" {
	run sb --net none -- /probe read /proc/net/dev
	assert_success
	ifaces=$(printf '%s\n' "$output" | tail -n +3 | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')
	assert_equal "$ifaces" "lo "
	run "$MLRUN" -q --net none -- /usr/sbin/ip -o link
	assert_success
	assert_output --regexp '^1: lo: <LOOPBACK> .*state DOWN'
	[ "${#lines[@]}" -eq 1 ]
}

@test "net loopback: lo is up inside and private to the sandbox" {
	run "$MLRUN" -q --net loopback -- /usr/sbin/ip -o link
	assert_output --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	[ "${#lines[@]}" -eq 1 ]
	run sb --net loopback -- /probe listen 8080
	assert_success
	assert_output listening
}

@test "a listener on the host's 127.0.0.1 is unreachable" {
	"$PY" -c '
import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30 * int(sys.argv[1]))' "$SLOW" > port.txt &
	server=$!
	wait_for 50 test -s port.txt
	port=$(cat port.txt)
	# The host itself can reach it: the test would fail on an unsandboxed run.
	run "$PROBE" connect 127.0.0.1 "$port"
	assert_success
	run sb --net loopback -- /probe connect 127.0.0.1 "$port"
	assert_failure
	assert_output "errno ECONNREFUSED"
	run sb --net none -- /probe connect 127.0.0.1 "$port"
	assert_failure
	kill "$server"
}

@test "as root, the program runs as an unprivileged host uid, never 0" {
	require_root
	"$MLRUN" -q --ro-bind "$PROBE:/probe" -- /probe sleep 30 &
	mlrun_pid=$!
	wait_for 100 program_running "$mlrun_pid" probe
	prog=$(program_pid "$mlrun_pid")
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/"$prog"/status)
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/"$prog"/status)
	groups=$(awk '/^Groups:/ {print $2}' /proc/"$prog"/status)
	kill -TERM "$mlrun_pid"
	wait "$mlrun_pid" || true
	assert_equal "$uids" "60000 60000 60000 60000"
	assert_equal "$gids" "60000 60000 60000 60000"
	assert_equal "$groups" ""
}

@test "inside: every capability set is empty and no_new_privs is set" {
	run sb -- /probe read /proc/self/status
	assert_success
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapPrm:\s+0+$'
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapBnd:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
}

@test "a setuid-root binary gains nothing" {
	require_root
	mkdir suid && cp "$PROBE" suid/probe-suid && chmod 4755 suid/probe-suid
	run "$MLRUN" -q --ro-bind "$PWD/suid:/suid" -- /suid/probe-suid ids
	assert_success
	assert_output "60000 60000 60000 60000"
}

@test "rootless: the caller's uid is mapped, capabilities are empty" {
	ensure_test_user
	uid=$(id -u "$TEST_USER")
	chmod 755 "$BATS_TEST_TMPDIR"
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none -- /probe ids
	assert_success
	assert_output "$uid $uid $(id -g "$TEST_USER") $(id -g "$TEST_USER")"
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none -- /probe read /proc/self/status
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapBnd:\s+0+$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
}

@test "rootless: the sandbox still hides host processes and files" {
	ensure_test_user
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none -- /probe ls /proc
	pids=$(printf '%s\n' "$output" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ')
	assert_equal "$pids" "1 2 "
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none -- /probe ls /home
	assert_failure
	assert_output "errno ENOENT"
}
