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
