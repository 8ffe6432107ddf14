#!/usr/bin/env bats
# mlrun scan: the Python analyzer (tools/scan/mlrun_scan.py) run the way `mlrun scan` runs it
# (docs/scan.md: strict sandbox, no workdir, source on stdin, JSON on stdout), then the `mlrun scan`
# command itself (skipped until the C side has it).
load helpers
bats_require_minimum_version 1.5.0

SCAN_DIR=$REPO/tools/scan
STRICT=$REPO/policies/strict.ini

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	cat >evil.py <<-'EOF'
	import subprocess as sp
	from os import system
	def go(cmd):
	    sp.run(cmd, shell=True)
	    system(cmd)
	    return ().__class__.__bases__[0].__subclasses__()
	EOF
	printf 'import numpy as np\nprint(np.arange(3).sum())\n' >clean.py
	printf 'def broken(:\n    pass\n' >broken.py
}

# The documented contract, verbatim: analyze FILE [--text]
analyze() {
	local file=$1; shift
	"$MLRUN" -q --policy "$STRICT" --workdir none --ro-bind "$SCAN_DIR:/opt/mlrun-scan" \
		-- "$PY" /opt/mlrun-scan/mlrun_scan.py --name "$file" "$@" <"$file"
}


@test "analyzer in the strict sandbox: JSON on stdout, exit 0 with findings" {
	run --separate-stderr analyze evil.py
	assert_success
	[ -z "$stderr" ]
	run "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["file"], r["level"], r["score"], sorted({f["rule"] for f in r["findings"]}))' "$output"
	assert_success
	assert_output --partial "evil.py CRITICAL 0"
	assert_output --partial "'call-subprocess'"
	assert_output --partial "'call-os-system'"
	assert_output --partial "'attr-__subclasses__'"
}

@test "analyzer in the strict sandbox: a clean file is SAFE" {
	run analyze clean.py
	assert_success
	assert_output --regexp '"findings": \[\].*"score": 100, "level": "SAFE"'
}

@test "analyzer in the strict sandbox: a syntax error is a finding, exit 0" {
	run analyze broken.py
	assert_success
	assert_output --partial '"rule": "syntax-error"'
	assert_output --partial '"line": 1'
}

@test "analyzer in the strict sandbox: --text table" {
	run analyze evil.py --text
	assert_success
	assert_line --index 0 "evil.py: score 0/100 (100 = nothing found), level CRITICAL, 7 finding(s)"
	assert_output --regexp '4:4 +critical +call-subprocess'
}

@test "analyzer never opens the file: --name is only a label" {
	run --separate-stderr bash -c "\"$MLRUN\" -q --policy \"$STRICT\" --workdir none --ro-bind \"$SCAN_DIR:/opt/mlrun-scan\" -- \"$PY\" /opt/mlrun-scan/mlrun_scan.py --name /nonexistent/job.py <evil.py"
	assert_success
	assert_output --partial '"file": "/nonexistent/job.py"'
}

@test "analyzer usage error is exit 2 with nothing on stdout" {
	run --separate-stderr analyze clean.py --frobnicate
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == *usage* ]]
}

@test "mlrun scan FILE --json prints the analyzer's report" {
	run --separate-stderr "$MLRUN" scan evil.py --json
	assert_success
	run "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["file"], r["level"], r["score"])' "$output"
	assert_output --regexp 'evil.py CRITICAL 0$'
}

@test "mlrun scan FILE prints a table and exits 0 whatever the level" {
	run "$MLRUN" scan clean.py
	assert_success
	assert_output --partial 'score 100/100 (100 = nothing found), level SAFE'
	run "$MLRUN" scan broken.py
	assert_success
	assert_output --partial 'syntax-error'
}

@test "mlrun scan of a missing file is a 125 naming it" {
	run "$MLRUN" scan no-such-file.py
	assert_failure 125
	assert_output --regexp '^mlrun: .*no-such-file.py'
}
