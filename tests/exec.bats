#!/usr/bin/env bats
# Exec-wrapper semantics: streams, environment, descriptors, signals, time limits.
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

@test "stdin, stdout and stderr pass through unchanged" {
	run bash -c "echo hi | '$MLRUN' -q -- cat"
	assert_success
	assert_output hi
	run bash -c "'$MLRUN' -q -- sh -c 'echo out; echo err >&2' 2>err.txt"
	assert_output out
	[ "$(cat err.txt)" = err ]
	head -c 1000000 /dev/urandom > big.bin
	run bash -c "'$MLRUN' -q -- cat < big.bin | cmp - big.bin"
	assert_success
}

@test "the environment is cleared except the fixed set" {
	export MLRUN_TEST_CANARY=leaked-$$
	run sb -- /probe env MLRUN_TEST_CANARY
	assert_output unset
	run sb -- /probe env PATH
	assert_output /usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
	run sb -- /probe env HOME
	assert_output /tmp
}

@test "--env sets and --keep-env keeps a variable" {
	export MLRUN_TEST_CANARY=kept-$$
	run sb --keep-env MLRUN_TEST_CANARY -- /probe env MLRUN_TEST_CANARY
	assert_output kept-$$
	run sb --env FOO=bar=baz -- /probe env FOO
	assert_output bar=baz
}

@test "thread counts follow --cpus" {
	run sb --cpus 1.5 -- /probe env OMP_NUM_THREADS
	assert_output 2
	run sb --cpus 1.5 -- /probe env OPENBLAS_NUM_THREADS
	assert_output 2
}

@test "every descriptor above 2 is closed inside" {
	# The host side really leaks them into mlrun: the test would fail unsandboxed.
	run bash -c "exec 5</etc/hostname 7>leak.txt; '$PROBE' fds"
	assert_line 5
	run bash -c "exec 5</etc/hostname 7>leak.txt; '$MLRUN' -q --ro-bind '$PROBE:/probe' -- /probe fds"
	assert_success
	assert_output "count 0"
}

# Start a sandboxed signal probe in the background and wait until it has its handlers.
start_signal_probe() {
	rm -f ready out.txt
	chmod 777 .
	"$MLRUN" -q --ro-bind "$PROBE:/probe" --workdir rw -- /probe signals "$1" ready > out.txt &
	mlrun_pid=$!
	wait_for 100 test -s ready
}

@test "SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 sent to mlrun reach the program" {
	start_signal_probe 6
	n=0
	for s in INT TERM HUP QUIT USR1 USR2; do
		kill -"$s" "$mlrun_pid"
		n=$((n + 1))
		# one at a time: wait until the probe has reported it
		wait_for 100 has_lines out.txt "$n"
	done
	wait "$mlrun_pid"
	run cat out.txt
	assert_output "$(printf 'INT\nTERM\nHUP\nQUIT\nUSR1\nUSR2')"
}

@test "an unhandled SIGTERM kills the program and mlrun exits 143" {
	"$MLRUN" -q --ro-bind "$PROBE:/probe" -- /probe sleep 30 &
	mlrun_pid=$!
	wait_for 100 program_running "$mlrun_pid" probe
	kill -TERM "$mlrun_pid"
	rc=0
	wait "$mlrun_pid" || rc=$?
	assert_equal "$rc" 143
}

@test "if mlrun is SIGKILLed, the whole sandbox dies" {
	"$MLRUN" -q --ro-bind "$PROBE:/probe" -- /probe sleep 60 &
	mlrun_pid=$!
	wait_for 100 program_running "$mlrun_pid" probe
	inside=$(descendants_of "$mlrun_pid")
	kill -KILL "$mlrun_pid"
	for p in $inside; do
		wait_for 50 is_dead "$p" || fail "sandbox process $p survived"
	done
}

@test "--timeout kills the program and daemons that double-forked and called setsid; exit 124" {
	chmod 777 .
	marker=daemon-$$-$RANDOM
	run "$MLRUN" -q --ro-bind "$PROBE:/probe" --workdir rw --timeout $((1500 * SLOW))ms --report r.json -- \
		sh -c "/probe daemon $PWD/up.txt $marker; /probe sleep $((30 * SLOW))"
	assert_failure 124
	[ "$(cat up.txt)" = up ]
	run jfield r.json 'r["status"]'
	assert_output timeout
	no_process_matching "$marker"
}

@test "a program that finishes leaves no background process behind" {
	chmod 777 .
	marker=bg-$$-$RANDOM
	# The program waits (bounded) until its daemon is up, then exits.
	run "$MLRUN" -q --ro-bind "$PROBE:/probe" --workdir rw -- sh -c \
		"/probe daemon $PWD/up.txt $marker; for i in \$(seq $((100 * SLOW))); do [ -s up.txt ] && exit 0; sleep 0.05; done; exit 1"
	assert_success
	wait_for 50 no_process_matching "$marker"
}

@test "TIOCSTI cannot inject into the caller's terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	run script -qec "'$MLRUN' -q --ro-bind '$PROBE:/probe' -- /probe tiocsti" /dev/null
	assert_output --partial "errno EPERM"
	# Outside a sandbox the same probe does inject: the test would fail unsandboxed.
	run script -qec "'$PROBE' tiocsti" /dev/null
	assert_output --partial injected
}

@test "an interactive python3 works in a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	run bash -c "printf 'print(6*7)\nexit()\n' | script -qec '$MLRUN -q -- $PY -i' /dev/null"
	assert_output --partial 42
}
