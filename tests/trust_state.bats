#!/usr/bin/env bats
# Trust between runs and between users: the state directory (/tmp/mlrun-UID without
# XDG_RUNTIME_DIR) and what mlrun ps/kill/gc do with the files in it. Victim = TEST_USER,
# attacker = TEST_USER2; every attack is planted first, then the victim runs mlrun as usual.
load helpers

# The test user runs a staged copy: the checkout may be closed to it (/root is 0700).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	ensure_test_user2
	VUID=$(id -u "$TEST_USER")
	AUID=$(id -u "$TEST_USER2")
	WORK=$(mktemp -d /tmp/mlrun-trust.XXXXXX)
	chmod 755 "$WORK"
	mkdir -m 700 "$WORK/xdg" && chown "$TEST_USER" "$WORK/xdg"
	# A filter cache entry to plant is made by an mlrun that writes them: the one under test
	# if it does, else today's main (the build the attack was found on), when it is here.
	BASELINE=${MLRUN_BASELINE:-/work/baseline/mlrun}
	PIDS=()
}

teardown() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}

# Run a scenario (bash code) in a mount namespace of its own whose /tmp is an empty tmpfs:
# /tmp/mlrun-UID is shared by every suite and user on the machine, so the attacks that need it
# plant in a private one. The scenario finds the probe and the policies in /tmp/t, a directory
# /tmp/v of the victim's, and as_user/as_user2/allow_all_entry.
in_private_tmp() {
	local prelude
	prelude="set -u; mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 99
		mkdir -m 755 /tmp/t /tmp/v && chown $TEST_USER /tmp/v
		cp '$PROBE' /tmp/t/probe && cp '$REPO'/policies/*.ini /tmp/t/ && chmod 755 /tmp/t/probe && chmod 644 /tmp/t/*.ini
		cp \"\$MLRUN\" /tmp/t/${MLRUN##*/} && chmod 755 /tmp/t/${MLRUN##*/} && MLRUN=/tmp/t/${MLRUN##*/} # the checkout may be closed to the users
		$(declare -f as_user as_user2 allow_all_entry make_entry fake_entry)"
	unshare -m --propagation private env TEST_USER="$TEST_USER" TEST_USER2="$TEST_USER2" VUID="$VUID" \
		AUID="$AUID" MLRUN="$MLRUN" BASELINE="$BASELINE" bash -c "$prelude
		$1"
}

# A copy of a real cached filter with its body replaced by one "RET ALLOW": the header (magic,
# format, versions, the profile key) still matches, only the instructions count is 1.
allow_all_entry() {
	/usr/bin/python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", b, 12)[0]
h = bytearray(b[:len(b) - 8 * n])
struct.pack_into("<I", h, 12, 1)
open(sys.argv[2], "wb").write(bytes(h) + struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000))' "$1" "$2"
}

# fake_entry FILE: where no mlrun caches filters (issue 10 removed the cache: every run compiles
# its own), a file shaped like an entry (a header, one instruction) to plant all the same: an
# mlrun that ever reads such a file again must still refuse it or stay unweakened.
fake_entry() {
	/usr/bin/python3 -c 'import struct, sys
open(sys.argv[1], "wb").write(b"MLRUNBPF" + struct.pack("<II", 1, 1) + struct.pack("<HBBI", 0x06, 0, 0, 0))' "$1"
}

# make_entry RUNAS UID: run strict once as that user (no XDG_RUNTIME_DIR) with an mlrun that
# caches filters; print the cache entry it left in /tmp/mlrun-UID/seccomp.
make_entry() {
	local m e
	for m in "$MLRUN" "$BASELINE"; do
		[ -x "$m" ] || continue
		"$1" "$m" -q -p /tmp/t/strict.ini --workdir none -- /bin/true >/dev/null 2>&1
		e=$(ls /tmp/mlrun-"$2"/seccomp/*.bpf 2>/dev/null | head -1)
		[ -n "$e" ] && { echo "$e"; return 0; }
	done
	return 1
}

# The victim's strict run: ptrace(PTRACE_TRACEME) and unshare(CLONE_NEWUSER).
VICTIM_RUN='as_user "$MLRUN" -p /tmp/t/strict.ini --ro-bind /tmp/t/probe:/probe --workdir none --report /tmp/v/r.json -- /bin/sh -c "/probe syscall ptrace 0; /probe syscall unshare 0x10000000"; echo "victim rc=$?"'

# The victim's run either refused (naming the directory and the fix) or was not weakened.
assert_victim_not_weakened() {
	if [[ "$output" == *"victim rc=125"* ]]; then
		assert_output --regexp "mlrun: the state directory /tmp/mlrun-$VUID is .*not private to uid $VUID: remove it, or set XDG_RUNTIME_DIR"
	else
		assert_output --partial "victim rc=1"
		[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq 2 ]
		refute_output --partial "ok 0"
	fi
}

@test "another user's /tmp/mlrun-UID with an ALLOW-ALL filter cache entry does not switch off the victim's seccomp" {
	run in_private_tmp '
		e=$(make_entry as_user2 "$AUID") || { e=/tmp/t/strict.bpf; fake_entry $e; }
		as_user2 mkdir -m 777 /tmp/mlrun-$VUID /tmp/mlrun-$VUID/seccomp
		as_user2 bash -c "$(declare -f allow_all_entry); allow_all_entry $e /tmp/mlrun-$VUID/seccomp/${e##*/}"
		'"$VICTIM_RUN"'
		# The fix the message names: a private XDG_RUNTIME_DIR.
		mkdir -m 700 /tmp/v/xdg && chown $TEST_USER /tmp/v/xdg
		as_user env XDG_RUNTIME_DIR=/tmp/v/xdg "$MLRUN" -q -p /tmp/t/strict.ini --ro-bind /tmp/t/probe:/probe \
			--workdir none -- /probe syscall ptrace 0
		echo "private rc=$?"'
	echo "$output"
	assert_victim_not_weakened
	assert_line --regexp "^private rc=[1-9]"
}

@test "a state directory planted as a symlink to a directory of the victim's is refused" {
	run in_private_tmp '
		mkdir -m 700 /tmp/v/elsewhere && chown $TEST_USER /tmp/v/elsewhere
		as_user2 ln -s /tmp/v/elsewhere /tmp/mlrun-$VUID
		as_user "$MLRUN" -q --workdir none -- /bin/true; echo "victim rc=$?"
		as_user "$MLRUN" ps; echo "ps rc=$?"
		ls -A /tmp/v/elsewhere | wc -l'
	echo "$output"
	assert_line "victim rc=125"
	assert_line "ps rc=125"
	assert_output --partial "the state directory /tmp/mlrun-$VUID is not a directory (a symbolic link): remove it"
	assert_line 0
}

@test "a sandbox that plants a filter into the cache directory does not weaken the next run" {
	run in_private_tmp '
		e=$(make_entry as_user "$VUID") || { e=/tmp/t/strict.bpf; fake_entry $e; }
		as_user bash -c "$(declare -f allow_all_entry); allow_all_entry $e /tmp/v/plant.bpf"
		# Run 1: rootless from /tmp, workdir read-write; the program overwrites the entry.
		cd /tmp && as_user "$MLRUN" -q -p /tmp/t/permissive.ini --workdir rw -- \
			/bin/sh -c "cat v/plant.bpf > mlrun-$VUID/seccomp/${e##*/}; echo planted \$?"
		# Run 2: strict, as usual.
		'"$VICTIM_RUN"
	echo "$output"
	assert_victim_not_weakened
}

@test "a state file planted by another user makes the victim's gc kill nothing" {
	start_as_user sleep 1000
	victim=$bg
	run in_private_tmp '
		as_user2 mkdir -m 777 /tmp/mlrun-$VUID /tmp/evil
		echo '"$victim"' > /tmp/evil/cgroup.procs
		printf "{\"id\":\"x\",\"supervisor_pid\":0,\"init_pid\":'"$victim"',\"cgroup\":\"/tmp/evil\"}" > /tmp/mlrun-$VUID/x.json
		chown $TEST_USER2 /tmp/mlrun-$VUID/x.json /tmp/evil/cgroup.procs
		as_user "$MLRUN" gc; echo "gc rc=$?"'
	echo "$output"
	alive "$victim"
	assert_line "gc rc=125"
	assert_output --partial "not private to uid $VUID"
}

# A process of the victim's in the background (setpriv itself, not a subshell of ours): $bg.
start_as_user() {
	setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups --reset-env -- "$@" &
	bg=$!
	PIDS+=("$bg")
}

# ---- kill/gc/ps on entries in the victim's own (private) state directory ----

run_user() { as_user env XDG_RUNTIME_DIR="$WORK/xdg" "$USER_MLRUN" "$@"; }

alive() { ! is_dead "$1"; }

start_of() { sed 's/.*) //' /proc/"$1"/stat | cut -d' ' -f20; }

# plant ID SUPERVISOR_PID INIT_PID CGROUP: a state file in the victim's own directory, as an
# earlier run (or its sandbox) could write it, with true start times.
plant() {
	local s=0 i=0
	[ "$2" -gt 0 ] && s=$(start_of "$2")
	[ "$3" -gt 0 ] && i=$(start_of "$3")
	as_user sh -c "umask 077; mkdir -p '$WORK/xdg/mlrun'; printf '%s' '{\"id\":\"$1\",\"supervisor_pid\":$2,\"supervisor_start\":$s,\"init_pid\":$3,\"init_start\":$i,\"policy\":\"strict\",\"cgroup\":\"$4\",\"started_ms\":1,\"command\":\"x\"}' > '$WORK/xdg/mlrun/$1.json'"
}

# A fake "cgroup" directory whose cgroup.procs lists pid: writing cgroup.kill fails there, and
# the old fallback SIGKILLed every pid listed.
fake_cgroup() { mkdir -p "$1" && echo "$2" > "$1/cgroup.procs" && chown -R "$TEST_USER" "$1"; }

# A victim's process that looks like a supervisor with a child: bash, and its sleep.
start_pair() {
	start_as_user bash -c 'sleep 1000 & wait'
	sup=$bg
	wait_for 50 bash -c "children_of() { cat /proc/\$1/task/*/children; }; [ -n \"\$(children_of $sup)\" ]"
	init=$(cat /proc/"$sup"/task/*/children | tr ' ' '\n' | grep . | head -1)
	PIDS+=("$init")
}

@test "kill with a planted entry signals neither a process of ours nor what a bogus cgroup lists" {
	start_pair
	fake_cgroup "$WORK/fakecg" "$init"
	mkdir -m 755 "$WORK/cwd" && fake_cgroup "$WORK/cwd/x" "$init"
	cd "$WORK/cwd" # where the relative "x" would resolve
	n=0
	for cg in "$WORK/fakecg" x ../.. /sys/fs/cgroup/user.slice /sys/fs/cgroup ""; do
		n=$((n + 1))
		plant "k$n" "$sup" "$init" "$cg"
		run run_user kill "k$n"
		alive "$sup"
		alive "$init"
		assert_failure 125
		assert_output --partial "not running"
		run run_user kill "k$n" USR1
		alive "$sup"
		assert_failure 125
	done
}

@test "gc with planted entries neither kills, crashes nor removes what a bogus cgroup names" {
	start_pair
	fake_cgroup "$WORK/fakecg" "$init"
	mkdir -m 755 "$WORK/cwd" && fake_cgroup "$WORK/cwd/x" "$init"
	n=0
	for cg in "$WORK/fakecg" x ../.. /sys/fs/cgroup/user.slice ""; do
		n=$((n + 1))
		plant "g$n" 0 "$init" "$cg"
	done
	cd "$WORK/cwd" # where the relative "x" would resolve
	run run_user gc
	echo "$output"
	assert_success
	assert_line "5 removed"
	assert_output --partial "not removing cgroup $WORK/fakecg"
	alive "$sup"
	alive "$init"
	[ -d "$WORK/fakecg" ]
	[ -d "$WORK/cwd/x" ]
	[ -z "$(ls -A "$WORK/xdg/mlrun")" ]
}

@test "ps and stats do not read a reused pid as the sandbox's" {
	start_pair
	plant p1 "$sup" "$init" ""
	run run_user stats p1
	assert_failure 125
	run run_user ps --json
	assert_success
	refute_output --partial '"p1"'
}

@test "state files that are not private regular files of ours are ignored" {
	start_pair
	plant s1 0 "$init" ""
	chmod 644 "$WORK/xdg/mlrun/s1.json"
	plant s2 0 "$init" ""
	ln "$WORK/xdg/mlrun/s2.json" "$WORK/xdg/mlrun/s2-link.json"
	plant s3 0 "$init" ""
	mv "$WORK/xdg/mlrun/s3.json" "$WORK/xdg/mlrun/other.json" # its id is not its name
	run run_user gc
	assert_success
	assert_line "0 removed"
}

@test "the temporary state file is never a planted link" {
	echo precious > "$WORK/target" && chown "$TEST_USER" "$WORK/target"
	as_user sh -c "umask 077; mkdir -p '$WORK/xdg/mlrun'"
	as_user ln -s "$WORK/target" "$WORK/xdg/mlrun/.t1.tmp"
	run run_user -q --name t1 --workdir none -- /bin/true
	assert_success
	assert_equal "$(cat "$WORK/target")" precious
}

@test "the state directory is made 0700 and an opened-up one of ours is refused" {
	run run_user -q --workdir none -- /bin/true
	assert_success
	[ "$(stat -c %a "$WORK/xdg/mlrun")" = 700 ]
	chmod 755 "$WORK/xdg/mlrun"
	run run_user -q --workdir none -- /bin/true
	assert_failure 125
	assert_output --partial "the state directory $WORK/xdg/mlrun is owned by uid $VUID with mode 0755, not private"
	run run_user ps
	assert_failure 125
}

@test "an XDG_RUNTIME_DIR that another user can write is refused" {
	chmod 1777 "$WORK/xdg" # sticky: others cannot rename ours, but they could have made mlrun/
	as_user2 mkdir -m 700 "$WORK/xdg/mlrun"
	run run_user -q --workdir none -- /bin/true
	assert_failure 125
	assert_output --partial "owned by uid $AUID"
	chmod 777 "$WORK/xdg" && rmdir "$WORK/xdg/mlrun"
	run run_user -q --workdir none -- /bin/true
	assert_failure 125
	assert_output --partial "cannot keep state under $WORK/xdg: it is owned by uid $VUID with mode 0777"
}
