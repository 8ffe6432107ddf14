#!/usr/bin/env bats
# Every `sh` block of the user guides runs, as the guide says, and succeeds.
load helpers

setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

# A scratch directory directly under /tmp: the unprivileged user must be able to reach it, and its
# `mlrun` on PATH (ubin/) is the staged copy (the checkout may be closed to it).
setup() {
	WORK=$(mktemp -d /tmp/mlrun-docs.XXXXXX)
	chmod 755 "$WORK"
	cd "$WORK"
	cp -r "$REPO/examples" "$REPO/policies" .
	chmod -R a+rX .
	mkdir -p bin ubin && ln -s "$MLRUN" bin/mlrun && ln -s "$USER_MLRUN" ubin/mlrun
}

# Write each `sh` block of a markdown file to blockN.sh; print how many there were.
split_blocks() {
	awk '/^```sh$/ {on=1; n++; f="block" n ".sh"; next} /^```$/ && on {on=0; close(f); next}
	     on {print > f} END {print n+0}' "$1"
}

run_blocks() {
	local file=$1 as=$2 n i
	n=$(split_blocks "$file")
	[ "$n" -gt 0 ] || fail "no sh block in $file"
	chmod 644 block*.sh
	for i in $(seq "$n"); do
		if [ "$as" = user ]; then
			run as_user env PATH="$PWD/ubin:/usr/bin:/bin" MLRUN_REPO="$REPO" bash -e "$PWD/block$i.sh" </dev/null
		else
			run env PATH="$PWD/bin:/usr/bin:/bin" MLRUN_REPO="$REPO" bash -e "block$i.sh" </dev/null
		fi
		[ "$status" -eq 0 ] || fail "$(basename "$file") block $i failed ($status): $(cat "block$i.sh")
$output"
	done
}

teardown() { rm -rf "$WORK"; }

@test "docs/guide-ml.md: every example runs" {
	run_blocks "$REPO/docs/guide-ml.md" self
}

@test "docs/guide-rootless.md: every example runs as an unprivileged user" {
	ensure_test_user
	chmod 777 "$WORK"
	run_blocks "$REPO/docs/guide-rootless.md" user
}

# The README's transcript is printed by today's mlrun (the labels of report.c's summary) in the VM,
# where seccomp and Landlock are enforced: a transcript from before the filter says "NO".
@test "README: the example run's summary is today's, with seccomp and Landlock enforced" {
	awk '/^## A realistic run/ {on=1} /^## / && !/A realistic/ {on=0} on' "$REPO/README.md" >run.md
	for label in status wall cpu memory pids violations enforced; do
		grep -q "^mlrun: $label " run.md || fail "README: no 'mlrun: $label' line in the transcript"
		grep -q "\"mlrun: $label " "$REPO/runtime/report.c" || fail "report.c no longer prints 'mlrun: $label'"
	done
	grep -q '^mlrun: enforced    memory=yes cpu=yes pids=yes seccomp=yes landlock=yes network=yes$' run.md ||
		fail "README's transcript does not show everything enforced: $(grep enforced run.md)"
	# the command shown is the one tests/vm/cgroup.bats runs (and prints the summary of)
	cmd=$(sed -n 's/^\$ mlrun //p' run.md)
	[ -n "$cmd" ] || fail "no '\$ mlrun' command in the README's transcript"
	grep -q -- '--policy policies/strict.ini --timeout 120s --cpu-time 60s --summary' "$REPO/tests/vm/cgroup.bats"
	[[ $cmd == "--policy strict --timeout 120s --cpu-time 60s --summary --report report.json examples/train_numpy.py" ]] ||
		fail "README's command differs from the VM test's: $cmd"
}

# Every fix `mlrun features` can print (tools/features.c, cgroup/probe.c) is in the README's
# laptop section, so the section cannot fall behind the code.
@test "README: every fix 'mlrun features' can print is in the laptop section" {
	awk '/^## On a developer laptop/ {on=1; next} /^## / {on=0} on' "$REPO/README.md" >laptop.md
	[ -s laptop.md ] || fail "README has no '## On a developer laptop' section"
	grep -ohE 'sysctl -w [a-z_.]+=[0-9]+|systemd\.unified_cgroup_hierarchy=1' \
		"$REPO/tools/features.c" "$REPO/cgroup/probe.c" | sort -u >fixes
	sed -n 's/^#define SYSTEMD_FIX "\(.*\)"$/\1/p' "$REPO/cgroup/probe.c" >>fixes
	[ "$(wc -l <fixes)" -ge 5 ] || fail "found only $(wc -l <fixes) fixes in the sources: $(cat fixes)"
	while IFS= read -r fix; do
		grep -qF -- "$fix" laptop.md || fail "README's laptop section lacks the fix: $fix"
	done <fixes
	grep -qF 'Delegate=pids memory cpu io' laptop.md
	grep -qF 'userns,' laptop.md
}
