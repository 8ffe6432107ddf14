#!/usr/bin/env bats
# A newcomer's first hour (issue 17): a build tree that works from any directory, short wrapper
# output that says when mlrun ended the program, errors that keep their origin, one rule for 0.
bats_require_minimum_version 1.5.0
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

# A copy of the binary under test alone in a directory: no build tree, no install beside it.
lone_copy() { mkdir -p lone && cp "$MLRUN" lone/mlrun && echo "$PWD/lone/mlrun"; }

# ---- 2. a build tree from another directory -------------------------------------------------

@test "build tree: a bare policy name is found next to the binary from any directory" {
	cd /
	run "$MLRUN" -q --policy strict --workdir none -- /bin/true
	assert_success
	refute_output
	# / as the working directory would expose the whole host: refused, in plain words
	run -125 "$MLRUN" -q --policy strict -- /bin/true
	assert_output "mlrun: --workdir: the current directory is / (the whole host); run from a project directory or use --workdir none"
}

@test "build tree: a bare policy name is never read from the current directory" {
	# An untrusted repository plants ./policies/strict.ini that opens the host network.
	mkdir -p repo/policies
	printf '[network]\nallow_host = true\nnet = host\n' >repo/policies/strict.ini
	lone=$(lone_copy)
	cd repo
	run "$lone" -q --policy strict -- /bin/true
	assert_failure 125
	assert_output --partial "policy 'strict' not found"
	refute_output --partial "./policies"
}

@test "build tree: a plain make builds the probe mlrun audit needs" {
	run make -C "$REPO" -n all BUILD="$BATS_TEST_TMPDIR/b"
	assert_success
	assert_output --partial "$BATS_TEST_TMPDIR/b/tests/probe"
}

@test "build tree: a copied binary's scan and audit say where they looked" {
	lone=$(lone_copy)
	printf 'print(1)\n' >job.py
	run "$lone" scan job.py
	assert_failure 125
	assert_output --partial "$PWD/lone/tools/scan"
	assert_output --partial "/share/mlrun/scan"
	run "$lone" audit
	assert_failure 125
	assert_output --partial "$PWD/lone/build/tests/probe"
	refute_output --partial "make test-deps"
}

@test "build tree: scan through a link to the build tree's binary finds its analyzer from /" {
	ln -s "$MLRUN" linked-mlrun
	printf 'print(1)\n' >job.py
	run "$PWD/linked-mlrun" scan "$PWD/job.py"
	[ "$(basename "$MLRUN")" = mlrun ] || skip "the binary under test is not the build tree's mlrun"
	assert_success
	assert_output --partial "score 100/100 (100 = nothing found), level SAFE"
}

# ---- 3. wrapper output ----------------------------------------------------------------------

@test "output: a time limit says so in one line, without --summary" {
	run -124 --separate-stderr "$MLRUN" --timeout 1s -- /bin/sleep 30
	[[ "$stderr" == *"mlrun: time limit 1s reached, program killed"* ]]
	run -124 --separate-stderr "$MLRUN" -q --timeout 1500ms -- /bin/sleep 30
	[ -z "$stderr" ]
}

@test "output: a cpu-time limit says so in one line" {
	run -124 --separate-stderr sb --cpu-time 1s --timeout 60s -- /probe spin 60
	[ -z "$stderr" ] # -q
	run -124 --separate-stderr "$MLRUN" --ro-bind "$PROBE:/probe" --cpu-time 1s --timeout 60s -- /probe spin 60
	[[ "$stderr" == *"mlrun: cpu time limit 1s reached, program killed"* ]]
}

@test "output: the degraded-host warning is one short line, silenced by -q, MLRUN_QUIET=1 or quiet = true" {
	"$MLRUN" features --json >f.json
	degraded=$(jfield f.json "not all(r['would_enforce'][c] for c in ('memory', 'cpu', 'pids'))")
	run --separate-stderr "$MLRUN" -- /bin/true
	assert_success
	if [ "$degraded" = True ]; then
		[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
		[[ "$stderr" == "mlrun: warning: not enforced here:"*"see \`mlrun features\`)" ]]
		[ "${#stderr}" -le 110 ]
	else
		[ -z "$stderr" ]
	fi
	run --separate-stderr env MLRUN_QUIET=1 "$MLRUN" -- /bin/true
	assert_success
	[ -z "$stderr" ]
	printf '[sandbox]\nquiet = true\n' >quiet.ini
	run --separate-stderr "$MLRUN" --policy "$PWD/quiet.ini" -- /bin/true
	assert_success
	[ -z "$stderr" ]
	# quiet never hides a failure
	run -124 --separate-stderr env MLRUN_QUIET=1 "$MLRUN" --timeout 100ms -- /bin/sleep 30
	run -125 --separate-stderr env MLRUN_QUIET=1 "$MLRUN" --memory 12Q -- /bin/true
	[[ "$stderr" == "mlrun: --memory: bad size '12Q'"* ]]
}

@test "output: flag errors carry no stray ': Invalid argument'; '--' is not a value" {
	run -125 "$MLRUN" --memory 12Q -- /bin/true
	refute_output --partial "Invalid argument"
	run -125 "$MLRUN" --memory -- /bin/true
	assert_output "mlrun: option '--memory' needs a value before '--' (see mlrun --help)"
	run -125 "$MLRUN" -p -- /bin/true
	assert_output "mlrun: option '-p' needs a value before '--' (see mlrun --help)"
}

# ---- 4. errors keep their origin ------------------------------------------------------------

@test "origin: ro_bind from a policy file names FILE:LINE, not a flag" {
	printf '[limits]\nmemory = 64M\n[filesystem]\nro_bind = /nonexistent-nc\n' >p.ini
	run -125 "$MLRUN" -q --policy "$PWD/p.ini" -- /bin/true
	assert_output "mlrun: $PWD/p.ini:4: cannot expose /nonexistent-nc ([filesystem] ro_bind): No such file or directory"
	refute_output --partial -- "--ro-bind"
	run -125 "$MLRUN" -q --ro-bind /nonexistent-nc -- /bin/true
	assert_output "mlrun: cannot expose /nonexistent-nc (--ro-bind): No such file or directory"
}

@test "origin: allow_syscalls and [grants] from a policy file name FILE:LINE" {
	printf '[security]\n\nallow_syscalls = frobnicate\n' >s.ini
	run -125 "$MLRUN" -q --policy "$PWD/s.ini" -- /bin/true
	assert_output "mlrun: $PWD/s.ini:3: unknown syscall 'frobnicate' in [security] allow_syscalls"
	printf '[grants]\nread = /nonexistent-nc/*.csv\n' >g.ini
	run -125 "$MLRUN" -q --policy "$PWD/g.ini" -- /bin/true
	assert_output --partial "mlrun: $PWD/g.ini:2: [grants] read = /nonexistent-nc/*.csv matches nothing"
	run "$MLRUN" check s.ini
	assert_failure 1
	assert_output --partial "s.ini:3: unknown syscall 'frobnicate'"
}

@test "origin: --keep-env takes one variable name, as the policy's names are checked" {
	run -125 "$MLRUN" -q --keep-env 'A B' -- /bin/true
	assert_output --partial "--keep-env: 'A B' is not one variable name"
	run -125 "$MLRUN" -q --keep-env 'A,B' -- /bin/true
	run -125 "$MLRUN" -q --keep-env '1A' -- /bin/true
	MLRUN_NC=kept run sb --keep-env MLRUN_NC -- /probe env MLRUN_NC
	assert_success
	assert_output kept
}

# ---- 5. consistency -------------------------------------------------------------------------

@test "zero: never 'no limit'; a real zero for file_size and swap, refused elsewhere" {
	for flag in --timeout --cpu-time --memory --pids --tmp-size --shm-size; do
		run -125 "$MLRUN" -q "$flag" 0 -- /bin/true
		assert_output --partial "0 is not allowed; write unlimited for no limit"
	done
	for key in timeout cpu_time io_read_bps io_write_bps; do
		printf '[limits]\n%s = 0\n' "$key" >z.ini
		run -125 "$MLRUN" -q --policy "$PWD/z.ini" -- /bin/true
		assert_output --partial "z.ini:2: "
		assert_output --partial "0 is not allowed"
	done
	run "$MLRUN" -q --timeout unlimited --cpu-time unlimited -- /bin/true
	assert_success
	# file_size 0: nothing may be written
	run "$MLRUN" -q --file-size 0 --bind "$PWD:/out" -- /bin/sh -c 'echo x >/out/f'
	assert_failure
	[ ! -s f ]
	run "$MLRUN" -q --file-size 0 -- /bin/true
	assert_success
}

@test "audit: a limit held by the rlimit fallback says which rlimit held it" {
	"$MLRUN" features --json >f.json
	[ "$(jfield f.json "r['would_enforce']['pids']")" = False ] || skip "cgroups enforce pids here"
	run "$MLRUN" audit
	assert_success
	assert_line --regexp '^fork-bomb .*\(RLIMIT_NPROC\) +held by rlimit$'
	assert_line --regexp '^memory-balloon .*\(RLIMIT_DATA\) +held by rlimit$'
	assert_line --regexp '^mlrun: audit of .*[0-9]+ held by rlimit'
}

@test "batch: every bad job line is reported, with its line number" {
	printf '/bin/true\n{"cmd": 1}\n/bin/echo "open\n\n/bin/true\n{"bogus": 1}\n' >jobs.txt
	run -125 --separate-stderr "$MLRUN" batch --report-dir r jobs.txt
	[ ! -e r ]
	assert_equal "$stderr" "mlrun: jobs.txt:2: \"cmd\" must be a non-empty array of strings
mlrun: jobs.txt:3: unterminated double quote
mlrun: jobs.txt:6: unknown key \"bogus\" (cmd, env, name, stdin, policy, timeout, memory)
mlrun: batch: jobs.txt: 3 bad job lines (lines 2, 3, 6); nothing was run"
}

@test "scan: the score says that 100 is clean" {
	printf 'import os\nos.system("rm -rf /")\n' >job.py
	run "$MLRUN" scan job.py
	assert_line --index 0 --regexp '^job.py: score [0-9]+/100 \(100 = nothing found\), level '
}

@test "a mistyped subcommand lists mlrun's subcommands; a path does not" {
	run -127 "$MLRUN" frobnicate
	assert_output --partial "mlrun: frobnicate: not found in the sandbox"
	assert_output --partial "not an mlrun command either: audit, batch, check, features"
	run -127 "$MLRUN" -q -- /nonexistent/frobnicate
	refute_output --partial "mlrun command"
}
