#!/usr/bin/env bats
# Command line, exit statuses, errors, the report.
bats_require_minimum_version 1.5.0
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

@test "--version and --help" {
	run "$MLRUN" --version
	assert_success
	assert_output --regexp '^mlrun [0-9]+\.[0-9]+\.[0-9]+$'
	run "$MLRUN" --help
	assert_success
	assert_output --partial 'usage: mlrun'
}

@test "an unknown option is a 125 naming the option" {
	run "$MLRUN" --frobnicate -- /bin/true
	assert_failure 125
	assert_output "mlrun: unknown option '--frobnicate' (see mlrun --help)"
}

@test "no program is a 125" {
	run "$MLRUN" --memory 64M
	assert_failure 125
	assert_output --partial 'mlrun: no program given'
}

@test "a bad size names the flag and the value" {
	run "$MLRUN" --memory 12Q -- /bin/true
	assert_failure 125
	assert_output --regexp "^mlrun: --memory: .*12Q"
	[ "${#lines[@]}" -eq 1 ]
}

@test "a bad duration names the flag" {
	run "$MLRUN" --timeout soon -- /bin/true
	assert_failure 125
	assert_output --regexp "^mlrun: --timeout: .*soon"
}

@test "the program's exit code passes through" {
	run sb -- /probe exit 42
	assert_failure 42
	run sb -- /probe exit 0
	assert_success
}

@test "a program killed by signal N gives 128+N" {
	run sb -- /probe raise 15
	assert_failure 143
	run sb -- /probe raise 9
	assert_failure 137
}

@test "a program that does not exist in the sandbox gives 127" {
	run -127 "$MLRUN" -q -- no-such-program-xyz
	assert_output "mlrun: no-such-program-xyz: not found in the sandbox: No such file or directory (not an mlrun command either: audit, batch, check, features, gc, kill, profile, ps, run, scan, stats, top)"
	run -127 "$MLRUN" -q -- /nonexistent/prog
}

@test "a program that cannot be executed gives 126" {
	printf 'not a program\n' > data.txt
	chmod 644 data.txt
	run -126 "$MLRUN" -q -- ./data.txt
	assert_output --partial 'cannot execute'
}

@test "a missing .py script is a 127 naming the file" {
	run -127 "$MLRUN" -q -- missing.py
	assert_output --partial 'missing.py'
}

@test "a .py program runs with the policy's interpreter from its directory" {
	printf 'import sys\nprint("py", sys.version_info[0], sys.argv[1:])\n' > code.py
	run "$MLRUN" -q --policy "$REPO/policies/strict.ini" code.py a b
	assert_success
	assert_output "py 3 ['a', 'b']"
}

@test "a bare policy name is looked up in mlrun's own policies/ (next to the binary in a build tree)" {
	cd "$REPO"
	run "$MLRUN" -q --policy strict --workdir none -- /bin/true
	assert_success
	run "$MLRUN" -q --policy no-such-policy -- /bin/true
	assert_failure 125
	assert_output --partial 'no-such-policy'
}

@test "the report has the SPEC's fields with kernel-measured values" {
	run sb --report r.json -- /probe exit 3
	assert_failure 3
	run jfield r.json 'r["version"], r["status"], r["exit_code"], r["signal"], r["command"]'
	assert_output "(1, 'exited', 3, None, ['/probe', 'exit', '3'])"
	for k in id policy wall_ms cpu_user_ms cpu_system_ms memory_peak_bytes memory_avg_bytes pids_peak \
		io_read_bytes io_write_bytes oom_kills limits enforced violations samples mlrun_version; do
		run jfield r.json "'$k' in r"
		assert_output True
	done
	run jfield r.json 'r["memory_peak_bytes"] > 0 and r["wall_ms"] > 0'
	assert_output True
}

@test "the report goes to stderr with --report - and to an fd with --report-fd" {
	run bash -c "'$MLRUN' -q --ro-bind '$PROBE:/probe' --report - -- /probe exit 0 2>&1 >/dev/null"
	assert_success
	assert_output --partial '"status":"exited"'
	run bash -c "'$MLRUN' -q --ro-bind '$PROBE:/probe' --report-fd 7 -- /probe exit 0 7>fd.json"
	assert_success
	run jfield fd.json 'r["status"]'
	assert_output exited
}

@test "a signal death is reported as signaled with the signal number" {
	run sb --report r.json -- /probe raise 10
	assert_failure 138
	run jfield r.json 'r["status"], r["signal"], r["exit_code"]'
	assert_output "('signaled', 10, None)"
}

@test "a failure before the program ran still writes a report with status error" {
	run "$MLRUN" --report r.json --ro-bind /does/not/exist -- /bin/true
	assert_failure 125
	run jfield r.json 'r["status"], r["error"] is not None'
	assert_output "('error', True)"
}

@test "flags win over MLRUN_* environment variables, which win over the policy" {
	run env MLRUN_MEMORY=100M "$MLRUN" -q --policy "$REPO/policies/strict.ini" --report r.json -- /bin/true
	assert_success
	run jfield r.json 'r["limits"]["memory_bytes"]'
	assert_output $((100 * 1024 * 1024))
	run env MLRUN_MEMORY=100M "$MLRUN" -q --policy "$REPO/policies/strict.ini" --memory 50M --report r.json -- /bin/true
	run jfield r.json 'r["limits"]["memory_bytes"]'
	assert_output $((50 * 1024 * 1024))
	run "$MLRUN" -q --policy "$REPO/policies/strict.ini" --report r.json -- /bin/true
	run jfield r.json 'r["limits"]["memory_bytes"], r["policy"]'
	assert_output "($((256 * 1024 * 1024)), 'strict')"
}

@test "MLRUN_POLICY selects the policy; a bad MLRUN_ variable is a 125 naming it" {
	run env MLRUN_POLICY="$REPO/policies/strict.ini" "$MLRUN" -q --report r.json -- /bin/true
	assert_success
	run jfield r.json 'r["policy"]'
	assert_output strict
	run env MLRUN_TIMEOUT=forever "$MLRUN" -- /bin/true
	assert_failure 125
	assert_output --partial MLRUN_TIMEOUT
}

@test "mlrun check accepts the shipped policies and reports every problem with file:line" {
	run "$MLRUN" check "$REPO"/policies/*.ini
	assert_success
	printf '[limits]\nmemroy = 1G\ncpus = lots\n[nope]\nx = 1\n' > bad.ini
	run "$MLRUN" check bad.ini
	assert_failure 1
	assert_line --partial "bad.ini:2: unknown key 'memroy' in [limits]"
	assert_line --regexp "^bad.ini:3: .*cpus"
	assert_line --regexp "^bad.ini:4: .*nope"
}

@test "a malformed policy given to run is a 125 with file:line" {
	printf '[limits]\nmemory = 1X\n' > bad.ini
	run "$MLRUN" --policy ./bad.ini -- /bin/true
	assert_failure 125
	assert_output --regexp '^mlrun: ./bad.ini:2: '
}

@test "net = host without allow_host is refused" {
	run "$MLRUN" --net host -- /bin/true
	assert_failure 125
	assert_output --partial 'allow_host'
}

@test "mlrun features describes the host in text and JSON" {
	run "$MLRUN" features
	assert_success
	assert_output --partial 'user namespaces'
	assert_output --partial 'cgroup'
	assert_output --regexp 'set-up case +(systemd-scope|delegated|root|no-systemd|apparmor-userns|container|no-cgroup-v2|no-userns)'
	run bash -c "'$MLRUN' features --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d))'"
	assert_success
	assert_output --partial "'cgroup'"
	assert_output --partial "'setup_case'"
	assert_output --partial "'landlock_abi'"
}

@test "-v traces every setup step with its duration" {
	run "$MLRUN" -v -- /bin/true
	assert_success
	assert_output --regexp 'mlrun: \[\+ *[0-9.]+ ms\] +[0-9.]+ ms  clone3'
	assert_output --partial 'pivot_root into the sandbox'
	assert_output --partial 'drop capabilities'
}

@test "a .js program runs with the policy's node interpreter" {
	[ -x /usr/bin/node ] || skip "nodejs not installed"
	cp "$REPO/examples/hello.js" .
	chmod 644 hello.js
	run "$MLRUN" -q --policy "$REPO/policies/strict.ini" hello.js
	assert_success
	assert_line "hello from mlrun as uid $([ "$(id -u)" = 0 ] && echo 60000 || id -u)"
	assert_line "processes visible: [1,2]"
	assert_line "writing /etc/passwd: EROFS"
}
