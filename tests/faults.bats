#!/usr/bin/env bats
# Fault injection at the syscall level (issue 11, items 2 and 3): strace --inject makes one step
# of a run fail (error=) or kills the supervisor at it (signal=SIGKILL), and each test checks what
# the caller is left with: one `mlrun: ` line, exit 125 (or the program's own status), the report
# saying `error`, no state file, no temporary file, no process, no mount.
#
# Every run happens in a private mount namespace with its own tmpfs on /run/mlrun, so `mlrun gc`
# and the state-file checks see only this file's runs, never other suites' or users'.
load helpers

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	strace -qq -o /dev/null --inject=getpid:error=EPERM:when=1 /bin/true 2>/dev/null || return 0
	export FAULT_NS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mlrun-faults.XXXXXX")
	# A holder process owns the namespace; every command enters it with nsenter.
	unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0700 mlrun-faults /run/mlrun &&
		echo up > "$1/ready" && exec sleep 100000' sh "$FAULT_NS_DIR" 3>&- &
	echo $! > "$FAULT_NS_DIR/holder"
	wait_for 100 test -s "$FAULT_NS_DIR/ready"
}

teardown_file() {
	[ -n "${FAULT_NS_DIR:-}" ] || return 0
	[ ! -s "$FAULT_NS_DIR/holder" ] || kill "$(cat "$FAULT_NS_DIR/holder")" 2>/dev/null || true
	rm -rf "$FAULT_NS_DIR"
}

setup() {
	require_root
	[ -n "${FAULT_NS_DIR:-}" ] || skip "strace cannot inject faults here (needs strace >= 4.16 with --inject)"
	HOLDER=$(cat "$FAULT_NS_DIR/holder")
	ID=kf-$BATS_TEST_NUMBER-$$
	REPORT=$BATS_TEST_TMPDIR/r.json
	LOG=$BATS_TEST_TMPDIR/strace.log
	export ASAN_OPTIONS=detect_leaks=0 # LeakSanitizer cannot run under ptrace
}

# A sleeper left by a failed test: killing its supervisor takes the sandbox with it.
teardown() { [ -z "${SUP:-}" ] || kill -KILL "$SUP" 2>/dev/null || true; }

in_ns() { nsenter -t "$HOLDER" -m --wd="$BATS_TEST_TMPDIR" -- "$@"; }
mounts() { wc -l < /proc/"$HOLDER"/mountinfo; }
state_left() { in_ns ls -A /run/mlrun | grep -F -- "$ID"; }

# The program every faulted run starts: it exits 3 if it gets to run.
PROG=(/bin/sh -c 'exit 3')

# The per-process number (strace's when=) of the first SYSCALL call matching REGEX in a clean
# run's trace, counted in the process that makes it: injections count per tracee.
nth_call() {
	local ref=$BATS_TEST_TMPDIR/ref.log
	[ -s "$ref" ] || in_ns strace -f -qq -s 256 -o "$ref" "$MLRUN" -q --name "$ID" --report "$REPORT" -- "${PROG[@]}" 2>/dev/null
	awk -v sc="$1" -v re="$2" '{ pid = $1; rest = $0; sub(/^[0-9]+ +/, "", rest)
		if (index(rest, sc "(") != 1) next; n[pid]++
		if (rest ~ re) { print n[pid]; found = 1; exit } } END { exit !found }' "$ref"
}

# fault [-1] [-P PATH] INJECTION[ INJECTION...] [MLRUN OPTIONS]: one run under strace with the
# fault(s) (several, blank-separated, for different syscalls); sets status and output (mlrun's
# stderr). The fault must really have been injected. strace counts when= per process and injects
# into every process it follows: -1 follows only mlrun's own (the supervisor), for a fault aimed
# at the supervisor's Nth call that another process's Nth call must not take (as root the
# supervisor's NSS lookup, mlrun-ids, makes ~70 openat calls of its own).
fault() {
	local filter=() injs=() i inj follow=(-f)
	if [ "$1" = -1 ]; then follow=(); shift; fi
	if [ "$1" = -P ]; then filter=(-P "$2"); shift 2; fi
	inj=$1
	for i in $inj; do injs+=(--inject="$i"); done
	shift
	rm -f "$REPORT"
	MOUNTS_BEFORE=$(mounts)
	run in_ns strace "${follow[@]}" -qq -o "$LOG" "${filter[@]}" "${injs[@]}" "$MLRUN" -q --name "$ID" --report "$REPORT" \
		"$@" -- "${PROG[@]}"
	grep -Eq "INJECTED|killed by SIGKILL" "$LOG" || fail "the fault $inj was never injected (see $LOG)"
}

# What every failed run leaves: one line, its status, the report (if it could be written), and
# nothing else. strace -f returns only once every tracee (mlrun, pid 1, the program) is gone.
assert_clean_failure() { # EXPECTED_STATUS MESSAGE_REGEX [no-report]
	assert_equal "$status" "$1"
	assert_equal "$(printf '%s\n' "$output" | grep -c .)" 1
	assert_output --regexp "^mlrun: $2"
	if [ "${3:-}" = no-report ]; then
		[ ! -e "$REPORT" ] || fail "a report cut short was left at $REPORT: $(cat "$REPORT")"
	else
		assert_equal "$(jfield "$REPORT" 'r["status"]')" error
		assert_equal "$(jfield "$REPORT" 'r["mlrun_exit_status"]')" "$1"
	fi
	assert_clean
}
assert_clean() {
	assert_equal "$(mounts)" "$MOUNTS_BEFORE"
	run state_left
	assert_output ""
}

@test "faults: each failing step of the supervisor and the child: one line, exit 125, error report, nothing left" {

	# A profile that is not built in: mlrun compiles its filter (through a memfd) for this run.
	printf 'default allow\ndeny kexec_load\n' > "$BATS_TEST_TMPDIR/deny.prof"
	# syscall:errno[:when] | -P path or - | message [| mlrun options]
	local rows=(
		# (as root the first pipe is the sandbox ids' NSS lookup's: mlrun-ids or getent)
		"pipe2:error=EMFILE:when=1|-|cannot create a pipe[a-z -]*: Too many open files \\(mlrun's own open-file limit"
		"pipe2:error=ENFILE:when=2|-|cannot create a pipe"
		"socketpair:error=ENFILE:when=1|-|cannot create the seccomp notification socket"
		"socketpair:error=ENOMEM:when=2|-|cannot create the sandbox's start channel"
		"signalfd4:error=ENOMEM|-|cannot create a signalfd"
		"memfd_create:error=EMFILE|-|cannot create a buffer for the seccomp filter|--seccomp $BATS_TEST_TMPDIR/deny.prof"
		"clone3:error=ENOMEM|-|cannot create the sandbox \\(clone3"
		"clone3:error=EPERM|-|cannot create the sandbox \\(clone3"
		# The child fails before the start signal: no SIGPIPE for the supervisor (exit 141 before).
		"close_range:error=EINVAL:when=1|-|cannot close inherited descriptors"
		"open_tree:error=ENOMEM:when=1|-|cannot bind "
		"open_tree:error=EMFILE:when=3|-|cannot bind .*ulimit -n"
		"mount_setattr:error=EPERM:when=1|-|cannot bind "
		"fsmount:error=ENOSPC:when=1|-|cannot mount the root filesystem"
		"fsmount:error=ENOSPC:when=2|-|cannot mount "
		"pivot_root:error=EPERM|-|cannot pivot_root into the sandbox"
		"setresuid:error=EPERM|-|cannot switch to the sandbox user"
		"unshare:error=ENOMEM|-|cannot enter a cgroup namespace"
		"landlock_restrict_self:error=E2BIG|-|cannot enforce the Landlock ruleset"
	)
	for row in "${rows[@]}"; do
		IFS='|' read -r inj path msg opts <<<"$row"
		echo "# $inj" >&3
		# shellcheck disable=SC2086 # opts: words without blanks
		if [ "$path" = - ]; then fault "$inj" $opts; else fault -P "$path" "$inj" $opts; fi
		assert_clean_failure 125 "$msg"
	done
}

@test "faults: the child fails before the start signal: its error is reported, mlrun is not killed by SIGPIPE" {
	# The supervisor is held back at gid_map (a delay, not a timed assertion: the trace below
	# proves the child was gone when the start signal went out) while the child fails at its
	# first step. A pipe as the start channel killed mlrun with SIGPIPE: exit 141, no message.
	local n
	n=$(nth_call openat '/proc/[0-9]+/gid_map') || fail "no such call in a clean run"
	fault "close_range:error=EINVAL:when=1 openat:delay_enter=$((SLOW * 300000)):when=$n"
	grep -Eq 'EPIPE' "$LOG" || skip "the child was not gone before the start signal (see $LOG)"
	assert_clean_failure 125 'cannot close inherited descriptors: Invalid argument'
}

@test "faults: id maps and the start signal (counted in the supervisor's own calls)" {
	local n
	# the sandbox's maps (/proc/PID/...), not mlrun's own (/proc/self/..., read to choose root mode)
	n=$(nth_call openat '/proc/[0-9]+/uid_map') || fail "no such call in a clean run"; fault -1 "openat:error=EPERM:when=$n"
	assert_clean_failure 125 'cannot open /proc/[0-9]+/uid_map'
	n=$(nth_call write '^write\([0-9]+, "[0-9]+ [0-9]+ 1') || fail "no such call in a clean run"; fault -1 "write:error=EPERM:when=$n"
	assert_clean_failure 125 "cannot write '[0-9]+ [0-9]+ 1' to /proc/[0-9]+/uid_map"
	n=$(nth_call openat '/proc/[0-9]+/gid_map') || fail "no such call in a clean run"; fault -1 "openat:error=ENOENT:when=$n"
	assert_clean_failure 125 'cannot open /proc/[0-9]+/gid_map'
}

@test "faults: the program cannot be executed: 126, one line, error report" {
	fault "execve:error=ENOEXEC:when=1"
	assert_clean_failure 126 '/bin/sh: cannot execute: Exec format error'
}

@test "faults: the state directory or file cannot be written: the run goes on unregistered, nothing left" {
	# The state file is the supervisor's only renameat, on dirfd-relative names (-P cannot
	# match them): counted from a clean run, like the other steps the supervisor makes.
	local n
	local sc
	for sc in renameat rename renameat2; do n=$(nth_call $sc '\.json"') && break; done
	[ -n "$n" ] || fail "no rename of the state file in a clean run"
	fault -1 "$sc:error=ENOSPC:when=$n"
	assert_state_lost
	# (A failed write of the temporary file takes the rename's path; it cannot be aimed at here:
	# when= counts per process and the child's write of that number is /etc/hosts.)
	n=$(nth_call openat '\.tmp"') || fail "no such call in a clean run"; fault -1 "openat:error=EACCES:when=$n"
	assert_state_lost
}
# The run went on unregistered (mlrun ps would not list it; no message: -q), with the program's
# status and report, and the temporary file did not stay.
assert_state_lost() {
	assert_equal "$status" 3
	assert_output ""
	assert_equal "$(jfield "$REPORT" 'r["status"]')" exited
	assert_clean
	run in_ns ls -A /run/mlrun
	refute_output --partial ".tmp"
}

@test "faults: an interrupted wait4 or poll is retried, not a failed run" {
	# the first two wait4s of each process: pid 1 reaping the program; as root the supervisor
	# reaping its NSS lookup (mlrun-ids), and pid 1 when it is gone before the supervisor looks
	fault "wait4:error=EINTR:when=1..2"
	assert_equal "$status" 3
	assert_equal "$(jfield "$REPORT" 'r["status"]')" exited
	assert_clean
	fault "poll:error=EINTR:when=1" # pid 1 checking that the supervisor still lives
	assert_equal "$status" 3
	assert_clean
}

@test "faults: the report cannot be opened or written (EACCES, ENOSPC, EIO): exit 125, no report cut short" {
	fault -P "$REPORT" "openat:error=EACCES"
	assert_clean_failure 125 'cannot write the report to .*Permission denied' no-report
	fault -P "$REPORT" "write:error=ENOSPC:when=1"
	assert_clean_failure 125 'cannot write the report to .*No space left on device' no-report
	fault -P "$REPORT" "write:error=EIO:when=2" # the JSON went out, its last newline did not
	assert_clean_failure 125 'cannot write the report to .*Input/output error' no-report
}

@test "faults: mlrun's own descriptor limit (ulimit -n) is named when it runs out" {
	MOUNTS_BEFORE=$(mounts)
	run in_ns sh -c 'ulimit -n 8 && exec "$@"' sh "$MLRUN" -q --name "$ID" -- /bin/true
	assert_equal "$status" 125
	assert_output --regexp "^mlrun: .*Too many open files \\(mlrun's own open-file limit, ulimit -n = 8"
	assert_clean
}

@test "faults: open_files = 3 names the policy's limit, not the step that ran out (exit 125, error report)" {
	# 3 leaves the set-up no descriptor beyond fds 0-2. (With 4 it depends on which numbers the
	# child's own fds hold: the set-up may fit, and then a program that needs no fifth fd runs.)
	printf '[limits]\nopen_files = 3\n' > "$BATS_TEST_TMPDIR/of.ini"
	rm -f "$REPORT"
	MOUNTS_BEFORE=$(mounts)
	run in_ns "$MLRUN" -q --name "$ID" --policy "$BATS_TEST_TMPDIR/of.ini" --report "$REPORT" -- "${PROG[@]}"
	assert_clean_failure 125 "open_files = 3 is too low: .*raise open_files: Too many open files"
}

# --- the supervisor killed at every stage (item 3) ---

# After a killed supervisor: every process of the sandbox goes, one gc removes every trace, and
# the next run works.
assert_recovers() {
	local p
	for p in "$@"; do wait_for 100 is_dead "$p" || fail "process $p of the sandbox outlived its supervisor"; done
	run in_ns "$MLRUN" gc
	assert_success
	run state_left
	assert_output ""
	assert_equal "$(mounts)" "$MOUNTS_BEFORE"
	run in_ns "$MLRUN" -q --name "$ID-next" -- /bin/sh -c 'exit 7'
	assert_equal "$status" 7
}

@test "kill: SIGKILL to the supervisor before clone, between clone and exec, and while it registers the run" {
	# Between clone and exec: at the supervisor's uid_map write (the child waits for the start
	# signal); while registering: at the rename of the state file (a temporary file exists).
	# A call missing from the clean trace made an empty when= (strace exit 1, not 137).
	local n_map n_reg
	n_map=$(nth_call write '^write\([0-9]+, "[0-9]+ [0-9]+ 1') || fail "no uid_map write in a clean run"
	n_reg=$(nth_call renameat '\.json"') || fail "no rename of the state file in a clean run"
	for inj in "pipe2:signal=SIGKILL:when=1" "clone3:signal=SIGKILL:when=1" \
		"write:signal=SIGKILL:when=$n_map" "renameat:signal=SIGKILL:when=$n_reg"; do
		echo "# $inj" >&3
		fault "$inj"
		assert_equal "$status" 137 # strace passes on how mlrun died
		assert_recovers
	done
}

@test "kill: SIGKILL to the supervisor while the report is written" {
	fault -P "$REPORT" "write:signal=SIGKILL:when=1"
	assert_equal "$status" 137
	assert_recovers
}

# A run of /bin/sleep in a session of its own (its pgid is its pid, ours to kill); sets SUP and
# the sandbox's PIDS once the program runs and the run is registered.
start_sleeper() {
	MOUNTS_BEFORE=$(mounts)
	setsid nsenter -t "$HOLDER" -m --wd="$BATS_TEST_TMPDIR" -- "$MLRUN" -q --name "$ID" -- /bin/sleep 1000 </dev/null >"$BATS_TEST_TMPDIR/sleeper.out" 2>&1 &
	SUP=$!
	wait_for 100 program_running "$SUP" sleep || fail "the program never ran: $(cat "$BATS_TEST_TMPDIR/sleeper.out"; ps -o pid,pgid,comm --ppid "$SUP")"
	wait_for 100 in_ns test -e "/run/mlrun/$ID.json" || fail "the run was never registered"
	[ "$(ps -o pgid= -p "$SUP" | tr -d ' ')" = "$SUP" ] || fail "mlrun $SUP does not lead its own process group"
	PIDS=("$(children_of "$SUP" | head -1)" "$(program_pid "$SUP")")
}

@test "kill: SIGKILL to the supervisor while the program runs: the sandbox dies, one gc cleans up" {
	start_sleeper
	kill -KILL "$SUP"
	wait "$SUP" || true
	assert_recovers "$SUP" "${PIDS[@]}"
}

@test "kill: SIGKILL to the caller's whole process group while the program runs: the same" {
	start_sleeper
	kill -KILL -- "-$SUP"
	wait "$SUP" || true
	assert_recovers "$SUP" "${PIDS[@]}"
}
