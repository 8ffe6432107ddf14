#!/usr/bin/env bats
# [grants]: capability-style access to chosen host paths; [analysis]: scan before running.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	mkdir -p data out && echo a > data/a.csv && echo b > data/b.csv && echo s3cret > data/secret.txt
	chmod -R a+rX data && chmod 777 out
	printf '[filesystem]\nworkdir = none\n[grants]\nread = ./data/*.csv\nwrite = ./out\n' > grants.ini
}

@test "grants: matched files are readable, the rest of the directory is not" {
	run sb -p ./grants.ini -- /probe read "$PWD/data/a.csv"
	assert_success
	assert_output a
	cat data/secret.txt # readable on the host: the test would fail unsandboxed
	run sb -p ./grants.ini -- /probe read "$PWD/data/secret.txt"
	assert_failure
	assert_output "errno ENOENT"
}

@test "grants: read grants are read-only, write grants are writable" {
	run sb -p ./grants.ini -- /probe write "$PWD/data/a.csv"
	assert_failure
	assert_output --regexp 'errno (EROFS|EACCES)'
	run sb -p ./grants.ini -- /probe write "$PWD/out/result.txt" 7
	assert_success
	[ "$(stat -c %s out/result.txt)" = 7 ]
}

@test "grants: /run/mlrun/grants.json lists what was granted, read-only" {
	run sb -p ./grants.ini -- /probe read /run/mlrun/grants.json
	assert_success
	printf '%s' "$output" > g.json
	run jfield g.json 'sorted(r["read"]), r["write"], r["patterns"]["read"]'
	assert_output "(['$PWD/data/a.csv', '$PWD/data/b.csv'], ['$PWD/out'], ['./data/*.csv'])"
	run sb -p ./grants.ini -- /probe write /run/mlrun/grants.json
	assert_failure
}

@test "grants: a pattern that matches nothing is a 125 naming it" {
	printf '[grants]\nread = ./nothing/*.csv\n' > none.ini
	run "$MLRUN" -q -p ./none.ini -- /bin/true
	assert_failure 125
	assert_output "mlrun: ./none.ini:2: [grants] read = ./nothing/*.csv matches nothing: No such file or directory"
}

@test "grants: '..' and empty entries are policy errors with file:line" {
	printf '[grants]\nread = ../etc\nwrite = ,\n' > bad.ini
	run "$MLRUN" check bad.ini
	assert_failure 1
	assert_line --partial "bad.ini:2: bad grant '../etc'"
	assert_line --partial "bad.ini:3: "
}

@test "analysis reject-high: a program with critical findings is rejected before anything runs" {
	printf 'import subprocess\nopen("%s/ran", "w")\nsubprocess.run(["id"])\n' "$PWD/out" > evil.py
	chmod 644 evil.py
	printf '[filesystem]\nworkdir = ro\n[analysis]\npython = reject-high\n' > reject.ini
	run "$MLRUN" -q -p ./reject.ini --bind "$PWD/out:$PWD/out" --report r.json evil.py
	assert_failure 125
	assert_output --partial "evil.py rejected by the policy's [analysis]: level CRITICAL"
	[ ! -e out/ran ]
	run jfield r.json 'r["status"], r["analysis"]["level"], len(r["analysis"]["findings"]) >= 2'
	assert_output "('rejected', 'CRITICAL', True)"
}

@test "analysis: reject-critical lets a HIGH program run; warn runs and says why" {
	printf 'import pickle\nprint("ran")\n' > high.py
	chmod 644 high.py
	printf '[analysis]\npython = reject-critical\n' > rc.ini
	run "$MLRUN" -q -p ./rc.ini high.py
	assert_success
	assert_output ran
	printf '[analysis]\npython = warn\n' > warn.ini
	run "$MLRUN" -p ./warn.ini high.py
	assert_success
	assert_line --regexp '^mlrun: scan: high.py: level HIGH, score [0-9]+, 1 finding\(s\)'
	assert_line ran
}
