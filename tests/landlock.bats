#!/usr/bin/env bats
# Landlock: the second wall behind the mount namespace. Each test finds something the mounts
# alone allow and shows Landlock refusing it (and --landlock false letting it through).
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	abi=$("$MLRUN" features --json | jfield /dev/stdin 'r["landlock_abi"]')
	[ "$abi" -ge 1 ] || skip "this kernel has no Landlock"
}

teardown() {
	for p in ${server:-}; do kill "$p" 2>/dev/null || true; done
}

# A policy that may use the host's network.
host_policy() { printf '[network]\nnet = host\nallow_host = true\n' > host.ini; }

@test "the report says whether Landlock is in force" {
	run sb --report r.json -- /probe exit 0
	[ "$(jfield r.json 'r["enforced"]["landlock"]')" = True ]
	run sb --landlock false --report r.json -- /probe exit 0
	[ "$(jfield r.json 'r["enforced"]["landlock"]')" = False ]
}

@test "/proc is writable as a mount, not under Landlock: /proc/self/mem and /proc/self/comm" {
	run sb --landlock false -- /probe open-write /proc/self/mem
	assert_output "opened"
	run sb -- /probe open-write /proc/self/mem
	assert_failure
	assert_output "errno EACCES"
	run sb -- /probe open-write /proc/self/comm
	assert_output "errno EACCES"
}

@test "what the policy made writable stays writable: /tmp, /dev/shm, /dev/null, a rw bind, a rw workdir" {
	mkdir data && chmod 777 data && chmod 777 .
	run sb --workdir rw --bind "$PWD/data:/data" -- /bin/sh -c \
		'/probe write /tmp/a 10 && /probe write /dev/shm/b 10 && echo x > /dev/null && /probe write /data/c 10 && /probe write ./d 10 && mkdir /tmp/e && mv /tmp/a /tmp/e/ && rm -r /tmp/e && echo all-ok'
	assert_success
	assert_line "all-ok"
	[ -f data/c ] && [ -f d ]
}

@test "a read-write bind of a single file is writable, its directory is not" {
	echo old > f.txt && chmod 666 f.txt
	run sb --bind "$PWD/f.txt:/data/f.txt" -- /bin/sh -c 'echo new > /data/f.txt && cat /data/f.txt'
	assert_success
	assert_output "new"
	assert_equal "$(cat f.txt)" "new"
}

@test "signals cannot leave the Landlock domain: pid 1 is out of reach (ABI 6)" {
	[ "$abi" -ge 6 ] || skip "Landlock ABI $abi has no signal scoping"
	run sb --landlock false -- /probe kill 1 0
	assert_output "sent"
	run sb -- /probe kill 1 0
	assert_failure
	assert_output "errno EPERM"
}

@test "net = host: TCP connect and bind are denied (ABI 4)" {
	[ "$abi" -ge 4 ] || skip "Landlock ABI $abi has no network rules"
	host_policy
	"$PY" -c '
import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(60 * int(sys.argv[1]))' "$SLOW" > port.txt &
	server=$!
	wait_for 50 test -s port.txt
	port=$(cat port.txt)
	run sb --policy "$PWD/host.ini" --landlock false -- /probe connect 127.0.0.1 "$port"
	assert_output "connected"
	run sb --policy "$PWD/host.ini" -- /probe connect 127.0.0.1 "$port"
	assert_failure
	assert_output "errno EACCES"
	run sb --policy "$PWD/host.ini" -- /probe listen 0
	assert_output "errno EACCES"
}

@test "net = host: the host's abstract unix sockets are out of reach (ABI 6)" {
	[ "$abi" -ge 6 ] || skip "Landlock ABI $abi has no abstract socket scoping"
	host_policy
	name="mlrun-test-$$-$BATS_TEST_NUMBER"
	"$PY" -c '
import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(8); open("up", "w").close(); time.sleep(60 * int(sys.argv[2]))' "$name" "$SLOW" &
	server=$!
	wait_for 50 test -e up
	run sb --policy "$PWD/host.ini" --landlock false -- /probe abstract "$name"
	assert_output "connected"
	run sb --policy "$PWD/host.ini" -- /probe abstract "$name"
	assert_failure
	assert_output "errno EPERM"
}

@test "neither the ruleset fd nor a leaked one reaches the program; Python runs and meets the wall" {
	run sb -- /probe fds 7</etc/hostname
	assert_output "count 0"
	run "$MLRUN" -q -- "$PY" -c '
import numpy, json, ssl
open("/tmp/x", "w").write("1")
try:
    open("/proc/self/comm", "w")
except PermissionError:
    print("ok")'
	assert_success
	assert_output "ok"
}
