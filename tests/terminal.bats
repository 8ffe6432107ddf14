#!/usr/bin/env bats
# The caller's terminal and fds 0-2 are out of the program's reach (issue 18): each test
# performs the attack from inside a sandbox, in a real terminal (util-linux script), and
# looks at the caller's terminal afterwards, in the same terminal session.

load helpers

STRICT=

setup() {
	command -v script >/dev/null || skip "script(1) not installed"
	STRICT=$REPO/policies/strict.ini
	export MLRUN STRICT PY
}

# Run a bash script in a fresh terminal; its stdin stays open (script(1) sends a byte to the
# terminal when its own stdin ends). Bounded: a frozen terminal ends with the timeout.
in_terminal() {
	local body=$BATS_TEST_TMPDIR/session.sh
	cat >"$body"
	run bash -c "exec 3< <(exec sleep 600 2>/dev/null); idle=\$!
		timeout $((20 * SLOW)) script -qec 'bash $body' /dev/null <&3 | tr -d '\r'; rc=\${PIPESTATUS[0]}
		kill \$idle; exit \$rc"
}

# The attack CODE (python, run in the sandbox under --policy strict), then what the caller sees.
attack() {
	export CODE=$1
	in_terminal <<'EOF'
before=$(stty -g); size=$(stty size)
"$MLRUN" -q --policy "$STRICT" -- /usr/bin/python3 -c "$CODE"
echo "rc=$?"
[ "$(stty -g)" = "$before" ] && echo settings-unchanged
[ "$(stty size)" = "$size" ] && echo size-unchanged
/usr/bin/python3 -c 'import fcntl,os; print("nonblock", [bool(fcntl.fcntl(i, fcntl.F_GETFL) & os.O_NONBLOCK) for i in range(3)])'
echo alive >/dev/tty && echo terminal-works
timeout $((5 * ${MLRUN_SLOW:-3})) /bin/echo not-frozen
EOF
}

@test "the program runs in a terminal of its own" {
	attack 'import os; print("isatty", os.isatty(0), os.isatty(1), os.isatty(2)); print("ctty", os.tcgetpgrp(0) == os.getpgrp())'
	assert_success
	assert_output --partial "isatty True True True"
	assert_output --partial "ctty True"
	assert_output --partial "rc=0"
}

@test "TIOCSETD (N_NULL line discipline) does not kill the caller's terminal" {
	attack 'import fcntl,termios,struct; fcntl.ioctl(0, termios.TIOCSETD, struct.pack("i", 27))'
	assert_output --partial "terminal-works"
	assert_output --partial "not-frozen"
}

@test "TCOOFF does not freeze the caller's terminal" {
	attack 'import termios; termios.tcflow(1, termios.TCOOFF)'
	assert_output --partial "rc=0"
	assert_output --partial "not-frozen"
}

@test "raw mode from the program does not stay on the caller's terminal" {
	attack 'import tty; tty.setraw(0)'
	assert_output --partial "rc=0"
	assert_output --partial "settings-unchanged"
}

@test "TIOCSWINSZ from the program does not resize the caller's terminal" {
	attack 'import fcntl,termios,struct; fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 3, 7, 0, 0))'
	assert_output --partial "rc=0"
	assert_output --partial "size-unchanged"
}

@test "O_NONBLOCK on the terminal fds does not reach the caller's" {
	attack 'import fcntl,os; [fcntl.fcntl(i, fcntl.F_SETFL, fcntl.fcntl(i, fcntl.F_GETFL) | os.O_NONBLOCK) for i in range(3)]'
	assert_output --partial "rc=0"
	assert_output --partial "nonblock [False, False, False]"
}

@test "O_NONBLOCK on shared pipes is the caller's again after the run" {
	run bash -c '
		exec 3< <(exec sleep 600 2>/dev/null); idle=$!
		{ "$MLRUN" -q --policy "$STRICT" -- /usr/bin/python3 -c "import fcntl,os
for i in range(3): fcntl.fcntl(i, fcntl.F_SETFL, fcntl.fcntl(i, fcntl.F_GETFL) | os.O_NONBLOCK)"
		  echo "rc=$?"
		  "$PY" -c "import fcntl,os; print(\"nonblock\", [bool(fcntl.fcntl(i, fcntl.F_GETFL) & os.O_NONBLOCK) for i in range(3)])"
		} <&3 2> >(cat) | cat; kill $idle'
	assert_output --partial "rc=0"
	assert_output --partial "nonblock [False, False, False]"
}

@test "the report and summary survive a program that set O_NONBLOCK on fd 2" {
	# Output stopped (TCOOFF) on a non-blocking fd 2: every later write would fail with EAGAIN.
	export CODE='import fcntl,os,termios
fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) | os.O_NONBLOCK)
termios.tcflow(2, termios.TCOOFF)'
	in_terminal <<'EOF'
"$MLRUN" -q --policy "$STRICT" --report - --summary -- /usr/bin/python3 -c "$CODE"
echo "rc=$?"
EOF
	assert_output --partial '"mlrun_version"'
	assert_output --partial "mlrun: enforced"
	assert_output --partial "rc=0"
}

@test "a report that cannot be written makes the exit status 125" {
	run "$MLRUN" -q --report /dev/full -- /bin/true
	assert_failure 125
	assert_output --partial "cannot write the report"
}

@test "interactive input reaches the program, Ctrl-C interrupts it" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	timeout $((30 * SLOW)) script -qec "'$MLRUN' -q --policy '$STRICT' -- /usr/bin/python3 -c 'import time
print(\"say:\", flush=True); print(\"got:\" + input(), flush=True); print(\"sleeping\", flush=True); time.sleep(600)'; echo rc=\$?" /dev/null <"$fifo" >"$out" &
	local pid=$!
	exec 7>"$fifo"
	wait_for 100 grep -q "say:" "$out"
	printf 'hello\n' >&7
	wait_for 100 grep -q "sleeping" "$out"
	printf '\003' >&7
	wait_for 100 grep -q "rc=" "$out"
	exec 7>&-
	wait "$pid" || true
	run cat "$out"
	assert_output --partial "got:hello"
	assert_output --partial "rc=130"
}

@test "a backgrounded sandbox does not read keystrokes meant for the foreground" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	export BG=$BATS_TEST_TMPDIR/bg
	mkfifo "$fifo"
	cat >"$BATS_TEST_TMPDIR/session.sh" <<'EOF'
set -m
"$MLRUN" -q --policy "$STRICT" -- /usr/bin/python3 -c 'print("ready", flush=True); print("bg-got:" + input(), flush=True)' >"$BG" &
for i in $(seq $((100 * ${MLRUN_SLOW:-3}))); do grep -q ready "$BG" 2>/dev/null && break; sleep 0.1; done
echo waiting-for-input
for i in $(seq $((100 * ${MLRUN_SLOW:-3}))); do read -t 0 && break; sleep 0.1; done
read -t "${MLRUN_SLOW:-3}" -r line
echo "fg-got:[$line]"
kill %1
wait
EOF
	timeout $((30 * SLOW)) script -qec "bash $BATS_TEST_TMPDIR/session.sh" /dev/null <"$fifo" >"$out" &
	local pid=$!
	exec 7>"$fifo"
	wait_for 200 grep -q "waiting-for-input" "$out"
	printf 'secret\n' >&7
	wait_for 400 grep -q "fg-got" "$out"
	exec 7>&-
	wait "$pid" || true
	run cat "$out" "$BG"
	assert_output --partial "fg-got:[secret]"
	refute_output --partial "bg-got:secret"
}

@test "Ctrl-Z stops the whole run, fg continues it with the terminal" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	cat >"$BATS_TEST_TMPDIR/session.sh" <<'EOF'
set -m
# stopped: state T, or in a frozen cgroup (v2 freezer tasks sleep)
stopped() {
	[ "$(awk '{print $3}' /proc/$1/stat)" = T ] && return 0
	local cg m
	cg=$(sed -n 's/^0:://p' /proc/$1/cgroup)
	for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		grep -qx "frozen 1" "$m$cg/cgroup.events" 2>/dev/null && return 0
	done
	return 1
}
"$MLRUN" -q --policy "$STRICT" -- /usr/bin/python3 -c 'import time
print("running", flush=True)
while True: time.sleep(0.1); print("tick", flush=True)'
echo "suspended rc=$?"
queue=$(jobs -p %1)
while [ -n "$queue" ]; do
	set -- $queue; p=$1; shift; queue="$*"
	if [ "$(cat /proc/$p/comm)" = python3 ]; then # the program (pid 1 and mlrun only wait)
		for i in $(seq $((50 * ${MLRUN_SLOW:-3}))); do stopped "$p" && break; sleep 0.1; done
		if stopped "$p"; then echo "stopped $p"; else echo "running $p"; fi
	fi
	queue="$queue $(cat /proc/$p/task/*/children 2>/dev/null)"
	queue=$(echo $queue)
done
echo checked
fg
echo "rc=$?"
EOF
	timeout $((30 * SLOW)) script -qec "bash $BATS_TEST_TMPDIR/session.sh" /dev/null <"$fifo" >"$out" &
	local pid=$!
	exec 7>"$fifo"
	wait_for 100 grep -q "^running" "$out"
	printf '\032' >&7
	wait_for 100 grep -q "checked" "$out"
	# ticks again after the check: fg continued the program (and the terminal is raw again)
	wait_for 100 sh -c "sed -n '/checked/,\$p' '$out' | grep -q tick"
	printf '\003' >&7
	wait_for 100 grep -q "rc=" "$out"
	exec 7>&-
	wait "$pid" || true
	run tr -d '\r' <"$out"
	assert_output --partial "suspended rc=147"
	assert_output --regexp "stopped [0-9]+"
	refute_output --regexp "running [0-9]+"
	assert_output --partial "rc=130"
}
