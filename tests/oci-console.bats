#!/usr/bin/env bats
# mlrun-oci's console (docs/oci.md, "process.terminal"): with process.terminal the pty whose
# master the engine got over --console-socket is the program's fds 0-2, its controlling terminal
# and /dev/console, so tty and ttyname() name it; never another terminal of the host.

load helpers
load oci/lib

setup_file() {
	require_root
	oci_setup_file sh echo cat true id ls stat tty
}

setup() { require_root; }

# mkbundle (tests/oci/lib.bash) with a terminal: crun's default spec as it is
MKBUNDLE_PY="c['process']['terminal'] = True"

# run_console BUNDLE ID: create with a console socket (tests/oci/console_recv.py plays the
# engine), start, wait; the program's terminal output in $output.
run_console() {
	local sock=$BATS_TEST_TMPDIR/$2.sock out=$BATS_TEST_TMPDIR/$2.out
	"$PY" "$REPO/tests/oci/console_recv.py" "$sock" "$out" &
	local recv=$!
	wait_for 50 test -S "$sock"
	oci create --bundle "$1" --console-socket "$sock" "$2" </dev/null >/dev/null || { kill "$recv"; return 1; }
	oci start "$2"
	wait_for 50 status_is "$2" stopped
	wait "$recv"
	oci delete "$2"
	output=$(tr -d '\r' <"$out")
	mapfile -t lines <<<"$output"
}

@test "oci-console: /dev/console is the program's pty: tty and ttyname() name it" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" 'tty; [ /dev/console -ef /proc/self/fd/0 ] && echo console-is-fd0;
		[ /dev/console -ef /proc/self/fd/2 ] && echo console-is-fd2; stat -L -c "rdev=%t:%T" /dev/console /proc/self/fd/0'
	run_console "$b" c1
	assert_line --index 0 "name=/dev/ptmx"
	assert_line --index 1 /dev/console
	assert_line console-is-fd0
	assert_line console-is-fd2
	# a pty slave (major 136 = 0x88), never the host's /dev/console (5:1) or another terminal
	assert_line --index 4 --regexp '^rdev=88:'
	assert_equal "${lines[4]}" "${lines[5]}"
}

# The console is the engine's pty even when mlrun-oci itself runs on a terminal (the caller's,
# here script(1)'s): the container never gets the caller's terminal as /dev/console.
@test "oci-console: /dev/console is not the caller's terminal" {
	command -v script >/dev/null || skip "script(1) is not installed (util-linux)"
	local b=$BATS_TEST_TMPDIR/b sock=$BATS_TEST_TMPDIR/c2.sock out=$BATS_TEST_TMPDIR/c2.out
	mkbundle "$b" 'stat -L -c "rdev=%t:%T" /dev/console'
	"$PY" "$REPO/tests/oci/console_recv.py" "$sock" "$out" &
	local recv=$!
	wait_for 50 test -S "$sock"
	OCI_ROOT=$OCI_ROOT B=$b SOCK=$sock CALLER=$BATS_TEST_TMPDIR/caller script -qec \
		'stat -L -c "rdev=%t:%T" /proc/self/fd/0 >"$CALLER"; "$OCI" --root "$OCI_ROOT" create --bundle "$B" --console-socket "$SOCK" c2' /dev/null
	oci start c2
	wait_for 50 status_is c2 stopped
	wait "$recv"
	oci delete c2
	run tr -d '\r' <"$out"
	assert_line --index 1 --regexp '^rdev=88:'
	# script's pty is a pty too: a different one
	run cat "$BATS_TEST_TMPDIR/caller"
	assert_output --regexp '^rdev=88:'
	[ "$output" != "$(tr -d '\r' <"$out" | sed -n 2p)" ]
}

# Attack: an image (without a /dev mount of the config) whose dev/console is a link to a host
# file: the console is never bound through it, create fails naming it, the file is untouched.
@test "oci-console: an image's dev/console link is not followed" {
	local b=$BATS_TEST_TMPDIR/b victim=$BATS_TEST_TMPDIR/victim sock=$BATS_TEST_TMPDIR/c3.sock
	echo precious >"$victim"
	mkdir -p "$b/rootfs/dev"
	cp -a "$OCI_DIR/rootfs/bin" "$b/rootfs/"
	ln -s "$victim" "$b/rootfs/dev/console"
	mkbundle "$b" 'echo program-ran' \
		'c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/dev")]'
	"$PY" "$REPO/tests/oci/console_recv.py" "$sock" /dev/null &
	local recv=$!
	wait_for 50 test -S "$sock"
	# (a file, not run's pipe: a container wrongly created would hold it open)
	local st=0
	oci create --bundle "$b" --console-socket "$sock" c3 </dev/null >"$BATS_TEST_TMPDIR/c3.out" 2>&1 3>&- || st=$?
	kill "$recv" 2>/dev/null || true
	[ "$st" = 0 ] && oci delete --force c3
	run cat "$BATS_TEST_TMPDIR/c3.out"
	[ "$st" != 0 ]
	assert_output --partial "at /dev/console"
	refute_output --partial program-ran
	[ "$(cat "$victim")" = precious ]
	[ -L "$b/rootfs/dev/console" ]
	run findmnt -rno TARGET
	refute_output --partial "$victim"
	run oci state c3
	assert_failure
}

# podman -t (rootful; the rootless run is in tests/oci-rootless.bats)
@test "oci-console: podman run -t: tty prints /dev/console" {
	need_podman
	P=$BATS_TEST_TMPDIR/podman
	mkdir -p "$P/img"
	cp -a "$OCI_DIR/rootfs/bin" "$P/img/"
	tar -C "$P/img" -cf "$P/bb.tar" .
	podman_conf "$P" "$OCI"
	pm import -q "$P/bb.tar" localhost/mlrun-oci-bb:1 >/dev/null
	run pm run --rm -t localhost/mlrun-oci-bb:1 sh -c 'tty; [ /dev/console -ef /proc/self/fd/1 ] && echo console-is-fd1' </dev/null
	podman_reset localhost/mlrun-oci-bb:1
	assert_success
	assert_line --index 0 $'/dev/console\r'
	assert_line --index 1 $'console-is-fd1\r'
}
