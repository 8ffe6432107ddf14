#!/usr/bin/env bats
# mlrun audit: the escape and limit probes pass under the shipped policies, and escapes are
# reported (exit 1) under a deliberately weak one, which proves the probes can fail.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	mkdir -p host && chmod 755 host
	export TMPDIR=$BATS_TEST_TMPDIR/host MLRUN_PROBE=$PROBE
}

# The verdict of probe $1 in the JSON audit a.json.
verdict() { jfield a.json "{p['probe']: p['verdict'] for p in r['probes']}['$1']"; }

# The host-details probes (masked /proc files, pid 1's command line) pass in a.json.
assert_proc_probes_pass() {
	for p in proc-kallsyms proc-keys proc-timer-list proc-sched-debug proc-interrupts pid1-cmdline pid1-environ; do
		assert_equal "$p: $(verdict "$p")" "$p: pass"
	done
}

@test "audit under the default policy: at least 30 probes, nothing escapes" {
	run "$MLRUN" audit
	assert_success
	[ "$(printf '%s\n' "$output" | grep -cE ' (pass|ESCAPED|not enforced here|skipped|error)$')" -ge 30 ]
	refute_output --partial "ESCAPED"
	refute_output --regexp ' error$'
	assert_line --regexp '^mlrun: audit of the built-in defaults: [0-9]+ passed, 0 escaped'
}

@test "audit --policy strict --json: nothing escapes" {
	run "$MLRUN" audit --policy "$REPO/policies/strict.ini" --json
	assert_success
	echo "$output" > a.json
	[ "$(jfield a.json 'len(r["probes"]) >= 30 and r["escaped"] == 0 and r["errors"] == 0')" = True ]
	[ "$(verdict read-host-secret)" = pass ]
	[ "$(verdict bpf)" = pass ]
	assert_proc_probes_pass
}

@test "the /proc masks and pid 1's command line hold under the default policy and a weak one" {
	run "$MLRUN" audit --json
	assert_success
	echo "$output" > a.json
	assert_proc_probes_pass
	# masking is unconditional: no policy or flag turns it off
	printf '[network]\nallow_host = true\n' > weak.ini
	run "$MLRUN" audit --policy "$PWD/weak.ini" --seccomp off --net host --bind "$TMPDIR" --json
	assert_failure 1 # other probes escape under it
	echo "$output" > a.json
	assert_proc_probes_pass
}

@test "audit of a weak policy (no seccomp, host network, the secret bound rw) reports escapes" {
	printf '[network]\nallow_host = true\n' > weak.ini
	run "$MLRUN" audit --policy "$PWD/weak.ini" --seccomp off --net host --bind "$TMPDIR" --json
	assert_failure 1
	echo "$output" > a.json
	for p in read-host-secret write-host-dir new-user-namespace ptrace-child keyctl userfaultfd i386-abi-syscall; do
		assert_equal "$p: $(verdict "$p")" "$p: ESCAPED"
	done
	run "$MLRUN" audit --policy "$PWD/weak.ini" --seccomp off --net host --bind "$TMPDIR"
	assert_failure 1
	assert_line --regexp '^read-host-secret .* ESCAPED$'
	assert_line --regexp '^mlrun: audit of .*weak.ini: [0-9]+ passed, [1-9][0-9]* escaped'
}

@test "limit probes say 'not enforced here' exactly when the host cannot enforce the limit" {
	run "$MLRUN" audit --json
	assert_success
	echo "$output" > a.json
	"$MLRUN" features --json > f.json
	# Without the cgroup controller an rlimit fallback holds pids and memory (and says so); no
	# rlimit holds a CPU share.
	for triple in fork-bomb:pids:held cpu-share:cpu:not memory-balloon:memory:held; do
		IFS=: read -r probe ctl fallback <<<"$triple"
		none=$([ "$fallback" = held ] && echo 'held by rlimit' || echo 'not enforced here')
		want=$(jfield f.json "'pass' if r['would_enforce']['$ctl'] else '$none'")
		assert_equal "$probe: $(verdict "$probe")" "$probe: $want"
	done
	# tmpfs sizes and the wall clock hold on every host
	[ "$(verdict fill-tmp)" = pass ]
	[ "$(verdict wall-clock)" = pass ]
}

@test "the audit removes its bait: no directory, no listener, no process left" {
	run "$MLRUN" audit --policy "$REPO/policies/strict.ini"
	assert_success
	[ -z "$(ls -A "$TMPDIR")" ]
	no_process_matching "mlrun audit --policy $REPO/policies/strict.ini"
}

@test "a policy the sandbox cannot start with is an error (125), not a verdict" {
	printf '[limits]\nmemroy = 1G\n' > bad.ini
	run "$MLRUN" audit --policy "$PWD/bad.ini"
	assert_equal "$status" 125
	assert_output --partial "unknown key 'memroy'"
	run "$MLRUN" audit --net host
	assert_equal "$status" 125
	assert_output --partial "allow_host"
}

@test "audit: module-autoload socket probes pass only when the filter answers, and escape without it" {
	run "$MLRUN" audit --policy "$REPO/policies/strict.ini" --json
	assert_success
	echo "$output" > a.json
	for p in autoload-sctp autoload-inet-proto autoload-socketpair; do
		assert_equal "$p: $(verdict "$p")" "$p: pass"
	done
	# Without seccomp the calls still fail (EPROTONOSUPPORT, EOPNOTSUPP), but in the kernel,
	# after its module lookup: that is an escape, not a pass.
	run "$MLRUN" audit --policy "$REPO/policies/strict.ini" --seccomp off --json
	assert_failure 1
	echo "$output" > a.json
	for p in autoload-sctp autoload-inet-proto autoload-socketpair; do
		assert_equal "$p: $(verdict "$p")" "$p: ESCAPED"
	done
}
