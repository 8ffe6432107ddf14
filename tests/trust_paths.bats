#!/usr/bin/env bats
# Paths mlrun resolves while it builds the root (issue 10, items 2-5): an earlier run plants links
# or directories (run 1), the next run (run 2, the victim) must not be weakened by them. Every
# test checks the host after run 2: nothing created, nothing overwritten.
load helpers

# The test user runs a staged copy: the checkout may be closed to it (/root is 0700).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	TARGET=
}

teardown() {
	if [ -n "$TARGET" ]; then rm -rf "$TARGET"; fi
}

# Run 1 of a cross-run test: a sandboxed program with a read-write bind plants something.
plant() { "$MLRUN" -q "$@"; }

# Remove a file the attack may have left on the host; print "yes" if it was there.
take() { if [ -e "$1" ]; then rm -f "$1"; echo yes; fi; }

@test "grants: a symlink an earlier run planted in a granted directory does not redirect the grant" {
	mkdir -m 777 outputs hostdir
	# run 1: the program can write outputs/ (workdir rw) and plants a link to a host directory
	run plant --workdir rw -- /bin/ln -s "$PWD/hostdir" outputs/run1
	assert_success
	[ -L outputs/run1 ]
	printf '[filesystem]\nworkdir = none\n[grants]\nwrite = outputs/*\n' > g.ini
	# run 2: the grant must not become a read-write bind of hostdir
	run sb -p ./g.ini -- /probe write "$PWD/hostdir/pwned" 3
	assert_failure 125
	assert_output --partial "mlrun: [grants] write = outputs/*: outputs/run1 is or goes through a symlink"
	[ ! -e hostdir/pwned ]
}

@test "grants: '.*' does not match '..' (the parent directory)" {
	mkdir data && touch data/.hidden && echo s3cret > secret.txt && chmod -R a+rX .
	printf '[filesystem]\nworkdir = none\n[grants]\nread = data/.*\n' > g.ini
	run sb -p ./g.ini -- /probe read "$PWD/secret.txt"
	assert_failure
	assert_output "errno ENOENT"
	run sb -p ./g.ini -- /probe read "$PWD/data/.hidden"
	assert_success
}

@test "a symlink planted in a read-write bind does not move a read-only bind onto a host path" {
	# a host directory the sandbox user could write to (BATS_TEST_TMPDIR's parents are private)
	TARGET=$(mktemp -d /tmp/mlrun-target.XXXXXX) && chmod 777 "$TARGET"
	mkdir -m 777 data data/m && mkdir models && echo weights > models/w && chmod -R a+rX models
	# run 1: the program replaces /data/m by a link to the host directory
	run plant --bind "$PWD/data:/data" -- /bin/sh -c "rmdir /data/m && ln -s '$TARGET' /data/m"
	assert_success
	[ -L data/m ]
	# run 2: the read-only bind at /data/m/models must be in force or the run refused
	run sb --bind "$PWD/data:/data" --ro-bind "$PWD/models:/data/m/models" -- /probe write /data/m/models/w 1
	assert_failure 125
	assert_output --partial "/data/m/models"
	[ -z "$(ls -A "$TARGET")" ] # nothing was created on the host through the link
	[ "$(cat models/w)" = weights ]
}

@test "a mount point missing inside a read-write bind is refused, not created on the host" {
	mkdir -m 777 data && mkdir models
	run sb --bind "$PWD/data:/data" --ro-bind "$PWD/models:/data/new/models" -- /probe ids
	assert_failure 125
	assert_output --partial "/data/new/models"
	assert_output --partial "must exist"
	[ ! -e data/new ]
	mkdir -p data/new/models # once it exists on the host, the bind works
	run sb --bind "$PWD/data:/data" --ro-bind "$PWD/models:/data/new/models" -- /probe write /data/new/models/x 1
	assert_failure
	assert_output --regexp 'errno (EROFS|EACCES)'
}

@test "--bind over /etc does not make the set-up overwrite files in the host directory" {
	mkdir -m 777 etcx && for f in passwd group hosts hostname; do echo keep > etcx/$f; done && chmod 666 etcx/*
	run sb --bind "$PWD/etcx:/etc" -- /probe ids
	assert_failure 125
	assert_line --index 0 --partial "mlrun: --bind: cannot bind over /etc"
	for f in passwd group hosts hostname; do [ "$(cat etcx/$f)" = keep ]; done
}

@test "binds over /proc, /dev, the generated /etc files and /run/mlrun are refused naming the flag" {
	mkdir x && touch f
	for dst in /proc /proc/sys /dev /dev/shm /run /run/mlrun /etc; do
		run sb --ro-bind "$PWD/x:$dst" -- /probe ids
		assert_failure 125
		assert_output --regexp "^mlrun: --ro-bind: cannot bind over $dst: "
	done
	for dst in /etc/passwd /etc/hosts /dev/null; do
		run sb --bind "$PWD/f:$dst" -- /probe ids
		assert_failure 125
		assert_output --regexp "^mlrun: --bind: cannot bind over $dst: "
	done
	run sb --ro-bind "$PWD/x:/data/../proc" -- /probe ids
	assert_failure 125
	assert_output --partial "must not contain"
}

@test "a bind destination through a symlink of the root is refused" {
	[ -L /bin ] || skip "this host's /bin is not a symlink"
	mkdir x
	run sb --ro-bind "$PWD/x:/bin/x" -- /probe ids
	assert_failure 125
	assert_output --partial "goes through the symlink /bin"
}

@test "rootless from /tmp with --workdir rw: mlrun's state directory is hidden, the rest of /tmp writable" {
	ensure_test_user
	local uid; uid=$(id -u "$TEST_USER")
	TARGET=$(mktemp -d /tmp/mlrun-trust.XXXXXX) && chmod 755 "$TARGET"
	local dir=$TARGET
	chown "$TEST_USER" "$dir"
	cd /tmp
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir rw -- /probe write "/tmp/mlrun-$uid/planted" 1
	local planted; planted=$(take "/tmp/mlrun-$uid/planted")
	assert_failure
	assert_output --regexp 'errno (EROFS|EACCES|ENOENT)'
	[ -z "$planted" ]
	[ "$(stat -c %u "/tmp/mlrun-$uid")" = "$uid" ] # it exists (created 0700 by mlrun) and is masked
	# the same through a bind at another destination
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none --bind /tmp:/host -- /probe write "/host/mlrun-$uid/planted" 1
	planted=$(take "/tmp/mlrun-$uid/planted")
	assert_failure
	[ -z "$planted" ]
	# running from /tmp keeps working
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir rw -- /probe write "$dir/ok" 2
	assert_success
	[ "$(stat -c %s "$dir/ok")" = 2 ]
}

@test "a bind source inside mlrun's state directory is refused" {
	ensure_test_user
	local uid; uid=$(id -u "$TEST_USER")
	cd /tmp
	as_user "$USER_MLRUN" -q --workdir none -- /bin/true # creates the state directory
	run as_user "$USER_MLRUN" -q --workdir none --ro-bind "/tmp/mlrun-$uid:/x" -- /bin/true
	assert_failure 125
	assert_output --partial "mlrun: --ro-bind: cannot expose /tmp/mlrun-$uid: it is inside mlrun's state directory"
}

@test "bind sources are cloned from a descriptor, never re-resolved by path in the child" {
	# A swap between the parent's check and the child's use cannot be timed deterministically;
	# this checks the mechanism: parent and child both open the source with RESOLVE_NO_SYMLINKS
	# and the child clones the descriptor it opened (no path), after comparing its inode.
	command -v strace >/dev/null || skip "no strace"
	require_root
	mkdir data
	# LeakSanitizer cannot run under ptrace (the ASan build)
	# -ff: one file per process, so no line is split by another process's call under load
	ASAN_OPTIONS=detect_leaks=0 run strace -ff -qq -e trace=open_tree,openat2 -o trace "$MLRUN" -q --ro-bind "$PWD/data:/data" --workdir none -- /bin/true
	assert_success
	run bash -c "cat trace.* | grep -c 'openat2(AT_FDCWD, \"$PWD/data\", .*resolve=RESOLVE_NO_SYMLINKS'"
	assert_output 2
	local f fd found=
	for f in trace.*; do
		fd=$(grep "openat2(AT_FDCWD, \"$PWD/data\"" "$f" | tail -1 | sed -n 's/.*= \([0-9][0-9]*\)$/\1/p')
		[ -n "$fd" ] && grep -qE "^open_tree\($fd, \"\", .*AT_EMPTY_PATH" "$f" && found=$f
	done
	[ -n "$found" ] || fail "no process cloned the source from the descriptor it opened"
	# no host path is cloned by name (the /proc masks clone paths of the new root, relative to its fd)
	run bash -c "cat trace.* | grep -E 'open_tree\((AT_FDCWD|-100), '"
	refute_output
}
