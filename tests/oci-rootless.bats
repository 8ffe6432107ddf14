#!/usr/bin/env bats
# mlrun-oci rootless (docs/oci.md, "Rootless"): podman run by an unprivileged user with mlrun-oci
# as its runtime, multi-range id maps (written as root of podman's user namespace, or through
# newuidmap/newgidmap for a user driving mlrun-oci directly), process.user.additionalGids, and the
# attacks on them: ranges the caller does not own, a map onto host 0, a planted newuidmap.

load helpers
load oci/lib

# The test user's subordinate ids for these tests (added in setup_file, removed in teardown_file).
SUB_START=400000
SUB_COUNT=65536

setup_file() {
	require_root
	ensure_test_user
	stage_for_user
	ln -s "${USER_MLRUN##*/}" "$USER_DIR/bin/mlrun-oci"
	export USER_OCI=$USER_DIR/bin/mlrun-oci
	# newuidmap/newgidmap read these; a line we add is removed again by teardown_file
	local f
	for f in /etc/subuid /etc/subgid; do
		grep -qx "$TEST_USER:$SUB_START:$SUB_COUNT" "$f" 2>/dev/null || echo "$TEST_USER:$SUB_START:$SUB_COUNT" >>"$f"
	done
	# a directory the test user can reach, under root-owned ancestors (mlrun-oci checks them)
	RL_DIR=$(mktemp -d /tmp/mlrun-ocirl.XXXXXX)
	chmod 755 "$RL_DIR"
	mkdir -p "$RL_DIR/img/bin"
	cp /bin/busybox "$RL_DIR/img/bin/"
	for a in sh echo cat true id sleep ls nc ip tty; do ln -s busybox "$RL_DIR/img/bin/$a"; done
	chmod -R a+rX "$RL_DIR"
	mkdir -p "$RL_DIR/rootbin"
	ln -s "$MLRUN" "$RL_DIR/rootbin/mlrun-oci"
	export RL_DIR OCI_ROOT_BIN=$RL_DIR/rootbin/mlrun-oci
	# mkbundle (tests/oci/lib.bash): bundles the test user owns, each with a copy of the image
	export MKBUNDLE_ROOTFS=$RL_DIR/img MKBUNDLE_OWNER=$TEST_USER
}

teardown_file() {
	# rootless podman leaves its pause process (holding its user namespace): ours, ended by pid
	local pause=${RL_DIR:-/nonexistent}/podman/xdg/libpod/tmp/pause.pid
	[ ! -s "$pause" ] || kill "$(cat "$pause")" 2>/dev/null || true
	local f
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] && sed -i "/^$TEST_USER:$SUB_START:$SUB_COUNT\$/d" "$f"
	done
	[ -z "${RL_DIR:-}" ] || rm -rf "$RL_DIR"
	unstage_for_user
}

setup() { require_root; }

uid_of() { id -u "$TEST_USER"; }
gid_of() { id -g "$TEST_USER"; }

# The user's private state directory for direct runs.
user_root() {
	local r=$RL_DIR/state-$BATS_TEST_NUMBER
	mkdir -p -m 700 "$r" && chown "$TEST_USER" "$r" && echo "$r"
}

# userns + maps: container 0 is the user, 1..N its subordinate ids (as `crun spec --rootless` + subuid).
USERNS_MAPS='
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": UID, "size": 1}, {"containerID": 1, "hostID": 400000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": GID, "size": 1}, {"containerID": 1, "hostID": 400000, "size": 65536}]
'
user_maps() { local m=${USERNS_MAPS//UID/$(uid_of)}; echo "${m//GID/$(gid_of)}"; }

@test "oci-rootless: a user's config with multi-range maps and additionalGids runs through newuidmap/newgidmap" {
	local b=$RL_DIR/b1 root
	root=$(user_root)
	mkbundle "$b" 'id -u; id -G; cat /proc/self/uid_map; cat /proc/self/gid_map; exit 4' \
		"$(user_maps)"'
c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [1001, 2000]}'
	run as_user "$USER_OCI" --root "$root" run --bundle "$b" r1
	assert_equal "$status" 4
	assert_line --index 0 1000
	assert_line --index 1 "1000 1001 2000"
	assert_line --regexp "^ +0 +$(uid_of) +1\$"
	assert_line --regexp '^ +1 +400000 +65536$'
	assert_line --regexp "^ +0 +$(gid_of) +1\$"
	[ ! -e "$root/r1" ]
}

# Attack: a user's config maps ids /etc/subuid does not give him (another user's range, or
# host root's). newuidmap refuses; mlrun-oci must say so, fail, and leave nothing behind.
@test "oci-rootless: ranges the caller does not own in /etc/subuid are refused, cleanly" {
	local b=$RL_DIR/b2 root
	root=$(user_root)
	local maps
	maps=$(user_maps)
	mkbundle "$b" 'echo ran-ocirl-attack; sleep 1000' "${maps//400000/500000}"
	run as_user "$USER_OCI" --root "$root" run --bundle "$b" a1
	assert_failure
	assert_output --partial "newuidmap refused"
	assert_output --partial "linux.uidMappings"
	refute_output --partial ran-ocirl-attack
	[ ! -e "$root/a1" ]
	# no supervisor or half-built container is left (their command lines name the state directory)
	wait_for 50 no_process_matching "mlrun-oci --root $root"
	no_process_matching ran-ocirl-attack
	# and create, the engine's path, leaves no container either
	run as_user "$USER_OCI" --root "$root" create --bundle "$b" a2
	assert_failure
	assert_output --partial "newuidmap refused"
	[ ! -e "$root/a2" ]
	wait_for 50 no_process_matching "mlrun-oci --root $root"
	no_process_matching ran-ocirl-attack
}

@test "oci-rootless: additionalGids when newgidmap denies setgroups (no /etc/subgid range) fail create cleanly" {
	local b=$RL_DIR/b4 root
	root=$(user_root)
	mkbundle "$b" 'echo program-ran' "$(user_maps)"'
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": '"$(gid_of)"', "size": 1}]
c["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [0]}'
	run as_user "$USER_OCI" --root "$root" run --bundle "$b" s1
	assert_failure
	assert_output --partial "process.user.additionalGids: newgidmap denied setgroups"
	refute_output --partial program-ran
	[ ! -e "$root/s1" ]
	# the same without the supplementary group runs, with setgroups denied in the container
	mkbundle "$b" 'cat /proc/self/setgroups' "$(user_maps)"'
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": '"$(gid_of)"', "size": 1}]'
	run as_user "$USER_OCI" --root "$root" run --bundle "$b" s2
	assert_success
	assert_output deny
}

# Attack: a newuidmap planted earlier in the caller's PATH (or a directory he controls) would
# receive mlrun-oci's pid and ranges; mlrun-oci runs only root's /usr/bin/newuidmap.
@test "oci-rootless: a newuidmap planted earlier in PATH is never run" {
	local b=$RL_DIR/b3 root evil=$RL_DIR/evil-bin
	root=$(user_root)
	mkdir -p "$evil"
	for h in newuidmap newgidmap; do
		printf '#!/bin/sh\ntouch %s/planted-%s-ran\nexit 0\n' "$RL_DIR" "$h" >"$evil/$h"
		chmod 755 "$evil/$h"
	done
	chown -R "$TEST_USER" "$evil"
	mkbundle "$b" 'cat /proc/self/uid_map' "$(user_maps)"
	run as_user env PATH="$evil:/usr/bin:/bin" "$USER_OCI" --root "$root" run --bundle "$b" p1
	assert_success
	assert_line --regexp '^ +1 +400000 +65536$'
	[ ! -e "$RL_DIR/planted-newuidmap-ran" ]
	[ ! -e "$RL_DIR/planted-newgidmap-ran" ]
}

# Attack: a config that maps container ids onto host uid or gid 0 (root's ranges are the
# caller's intent, but mlrun-oci never runs a container as host root).
@test "oci-rootless: root's map onto host uid or gid 0 is refused, the same map without 0 runs" {
	local b=$BATS_TEST_TMPDIR/b root=$BATS_TEST_TMPDIR/state
	local ns='c["linux"]["namespaces"].append({"type": "user"}); c["process"]["user"] = {"uid": 1000, "gid": 1000}
'
	mkbundle "$b" 'cat /proc/self/uid_map; id -G' "$ns"'
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["process"]["user"]["additionalGids"] = [5, 3000]'
	run "$OCI_ROOT_BIN" --root "$root" run --bundle "$b" z0
	assert_success
	assert_line --regexp '^ +0 +100000 +65536$'
	assert_line "1000 5 3000"
	mkbundle "$b" 'echo program-ran' "$ns"'
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run "$OCI_ROOT_BIN" --root "$root" run --bundle "$b" z1
	assert_failure
	assert_output --partial "linux.uidMappings[0]: maps container uids onto host uid 0"
	refute_output --partial program-ran
	[ ! -e "$root/z1" ]
	mkbundle "$b" 'echo program-ran' "$ns"'
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 200000, "size": 1000}, {"containerID": 5000, "hostID": 0, "size": 1}]'
	run "$OCI_ROOT_BIN" --root "$root" run --bundle "$b" z2
	assert_failure
	assert_output --partial "linux.gidMappings[2]: maps container gids onto host gid 0"
	refute_output --partial program-ran
	[ ! -e "$root/z2" ]
}

@test "oci-rootless: additionalGids outside the gid map are refused" {
	local b=$BATS_TEST_TMPDIR/b root=$BATS_TEST_TMPDIR/state
	mkbundle "$b" 'echo program-ran' 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 100}]
c["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [5, 200]}'
	run "$OCI_ROOT_BIN" --root "$root" run --bundle "$b" g1
	assert_failure
	assert_output --partial "process.user.additionalGids[1]: gid 200 is not in the container's gid map"
	refute_output --partial program-ran
}

@test "oci-rootless: a user's container with process.terminal: its pty is /dev/console, writable by name" {
	local b=$RL_DIR/b5 root
	root=$(user_root)
	mkbundle "$b" 'tty; echo via-name >/dev/console' 'c["process"]["terminal"] = True'
	local sock=$b/console.sock out=$b/console.out
	cp "$REPO/tests/oci/console_recv.py" "$RL_DIR/console_recv.py"
	chmod a+r "$RL_DIR/console_recv.py"
	as_user "$PY" "$RL_DIR/console_recv.py" "$sock" "$out" 3>&- &
	local recv=$!
	wait_for 50 test -S "$sock"
	as_user "$USER_OCI" --root "$root" create --bundle "$b" --console-socket "$sock" t1 </dev/null 3>&-
	as_user "$USER_OCI" --root "$root" start t1
	wait "$recv"
	as_user "$USER_OCI" --root "$root" delete t1
	run tr -d '\r' <"$out"
	assert_line --index 1 /dev/console
	# the user's own pty, mapped to container root: it opens /dev/console by name
	assert_line --index 2 via-name
}

# ---- podman (Debian's 4.3) run by the test user, mlrun-oci its runtime

# podman as the test user: its storage and runtime directory in RL_DIR, its runtime mlrun-oci
# (under the name crun: podman 4.3 honours cgroups = "disabled" only for that name, docs/oci.md).
podman_setup() {
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
	[ -x /usr/bin/newuidmap ] || skip "newuidmap is not installed (Debian's uidmap, make deps)"
	P=$RL_DIR/podman
	if [ ! -e "$P/containers.conf" ]; then
		mkdir -p "$P/home" "$P/xdg"
		tar -C "$RL_DIR/img" -cf "$P/bb.tar" .
		cat >"$P/containers.conf" <<EOF
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "crun"
runtime_supports_nocgroups = ["crun"]

[engine.runtimes]
crun = ["$USER_OCI"]
EOF
		chmod -R a+rX "$P"
		chown "$TEST_USER" "$P/home" "$P/xdg"
		chmod 700 "$P/xdg"
		upm import -q "$P/bb.tar" localhost/mlrun-oci-bb:1 >/dev/null
	fi
}
# (in a subshell whose cwd the user can enter: the checkout may sit under a 0700 /root, and
# podman's runtime chdirs to its caller's cwd)
upm() (
	cd "$P" || exit 125
	if as_user test -r /dev/net/tun -a -w /dev/net/tun; then
		as_user env HOME="$P/home" XDG_RUNTIME_DIR="$P/xdg" CONTAINERS_CONF="$P/containers.conf" \
			podman --root "$P/home/store" --runroot "$P/xdg/run" --storage-driver vfs "$@"
		return
	fi
	# slirp4netns opens /dev/net/tun as the user: udev makes it 0666 on a usual host, this one
	# has 0600 (and the host's /dev is never chmod'ed). So podman runs in a private mount
	# namespace whose /dev/net/tun is a 0666 node on a tmpfs of its own (its pause process keeps
	# that namespace for the next calls: every call takes this path).
	mkdir -p "$RL_DIR/tundev"
	TUNDEV=$RL_DIR/tundev P=$P unshare -m --propagation private bash -c '
		mount -t tmpfs -o mode=755 none "$TUNDEV" && mknod -m 666 "$TUNDEV/tun" c 10 200 &&
			mount --bind "$TUNDEV/tun" /dev/net/tun || exit 125
		exec setpriv --reuid "$0" --regid "$0" --init-groups --reset-env -- \
			env HOME="$P/home" XDG_RUNTIME_DIR="$P/xdg" CONTAINERS_CONF="$P/containers.conf" \
			podman --root "$P/home/store" --runroot "$P/xdg/run" --storage-driver vfs "$@"' "$TEST_USER" "$@"
)

@test "oci-rootless: rootless podman runs a local image with mlrun-oci: exit status, stdout, stdin; state under XDG_RUNTIME_DIR" {
	podman_setup
	run upm info --format '{{.Host.OCIRuntime.Path}} {{.Host.Security.Rootless}}'
	assert_output "$USER_OCI true"
	run upm run --rm localhost/mlrun-oci-bb:1 sh -c 'echo hello rootless; id -u; cat /proc/self/uid_map; exit 5'
	assert_equal "$status" 5
	assert_line --index 0 "hello rootless"
	assert_line --index 1 0
	# container root is uid 60000 of podman's namespace (a subordinate id of the user), never the user
	assert_line --regexp '^ +0 +60000 +1$'
	run upm run --rm -i localhost/mlrun-oci-bb:1 cat <<<"through stdin"
	assert_success
	assert_output "through stdin"
	# --network host: no network namespace in the config, the user's own (the host's) network
	run upm run --rm --network host localhost/mlrun-oci-bb:1 sh -c 'ls /sys/class/net | wc -l'
	assert_success
	[ "$output" -eq "$(ls /sys/class/net | wc -l)" ]
	# mlrun-oci kept its state in the user's runtime directory, and --rm left none of it
	[ -d "$P/xdg/mlrun-oci" ]
	[ "$(stat -c %u "$P/xdg/mlrun-oci")" = "$(uid_of)" ]
	run ls -A "$P/xdg/mlrun-oci"
	assert_output ""
}

@test "oci-rootless: rootless podman --userns=keep-id and --uidmap: multi-range maps written by mlrun-oci" {
	podman_setup
	run upm run --rm --userns=keep-id localhost/mlrun-oci-bb:1 sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 "$(uid_of)"
	# keep-id: podman's ns 0 (the user) is the user's own uid in the container, the rest around it
	assert_line --regexp "^ +$(uid_of) +0 +1\$"
	assert_line --regexp '^ +0 +1 +[0-9]+$'
	run upm run --rm --uidmap 0:1:2000 --uidmap 5000:3000:100 --gidmap 0:1:2000 localhost/mlrun-oci-bb:1 \
		sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 0
	assert_line --regexp '^ +0 +1 +2000$'
	assert_line --regexp '^ +5000 +3000 +100$'
}

@test "oci-rootless: rootful podman --uidmap/--gidmap multi-range; a map onto host 0 is refused" {
	need_podman
	P=$BATS_TEST_TMPDIR/podman
	mkdir -p "$P"
	tar -C "$RL_DIR/img" -cf "$P/bb.tar" .
	podman_conf "$P" "$OCI_ROOT_BIN"
	pm import -q "$P/bb.tar" localhost/mlrun-oci-bb:1 >/dev/null
	run pm run --rm --uidmap 0:100000:1000 --uidmap 1000:300000:1000 --gidmap 0:100000:2000 localhost/mlrun-oci-bb:1 \
		sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	assert_success
	assert_line --regexp '^ +0 +100000 +1000$'
	assert_line --regexp '^ +1000 +300000 +1000$'
	assert_line --regexp '^ +0 +100000 +2000$'
	run pm run --rm --uidmap 0:100000:1000 --uidmap 1000:0:1 --gidmap 0:100000:2000 localhost/mlrun-oci-bb:1 echo program-ran
	assert_failure
	assert_output --partial "maps container uids onto host uid 0"
	refute_output --partial program-ran
	podman_reset localhost/mlrun-oci-bb:1
}

@test "oci-rootless: rootless podman -t, -d, stop and rm" {
	podman_setup
	run upm run --rm -t localhost/mlrun-oci-bb:1 sh -c '[ -t 1 ] && echo is-a-tty; tty; exit 3' </dev/null
	assert_equal "$status" 3
	assert_output --partial is-a-tty
	assert_line $'/dev/console\r'
	local id
	id=$(upm run -d localhost/mlrun-oci-bb:1 sleep 1000)
	run upm ps --format '{{.ID}} {{.Status}}'
	assert_output --partial Up
	upm stop -t 5 "$id" >/dev/null
	run upm inspect --format '{{.State.ExitCode}}' "$id"
	assert_output 143
	upm rm "$id" >/dev/null
	run upm ps -a -q
	assert_output ""
	run ls -A "$P/xdg/mlrun-oci"
	assert_output ""
}

# rootless podman's default network (slirp4netns, Debian's package; podman 4.3 has no pasta):
# podman makes the network namespace in its own user namespace, starts slirp4netns on it and
# hands its path in config.json, which mlrun-oci joins (docs/oci.md, "podman, rootless").
# Host loopback only: the listener is the test's own on 127.0.0.1.
@test "oci-rootless: rootless podman's slirp4netns network: the host's loopback through 10.0.2.2, a port published on 127.0.0.1" {
	podman_setup
	command -v slirp4netns >/dev/null || skip "slirp4netns is not installed (make deps installs it)"
	local got=$BATS_TEST_TMPDIR/got lpid
	"$PY" - "$got" <<'EOF' &
import os, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(1)
open(sys.argv[1] + '.port', 'w').write(str(s.getsockname()[1]))
c, _ = s.accept(); c.settimeout(60); data = b''
while True:
    b = c.recv(4096)
    if not b: break
    data += b
open(sys.argv[1] + '.tmp', 'wb').write(data); os.rename(sys.argv[1] + '.tmp', sys.argv[1])
EOF
	lpid=$!
	wait_for 50 test -s "$got.port"
	local port
	port=$(cat "$got.port")
	# slirp4netns is podman's default without netns = "none" (the tests' containers.conf sets it)
	run upm run --rm --network slirp4netns:allow_host_loopback=true localhost/mlrun-oci-bb:1 sh -c \
		"ip -4 addr show tap0 | grep -o 'inet [0-9.]*'; echo from-the-container | nc 10.0.2.2 $port; echo nc=\$?"
	kill "$lpid" 2>/dev/null || true
	assert_success
	assert_line "inet 10.0.2.100"
	assert_line nc=0
	wait_for 50 test -e "$got"
	assert_equal "$(cat "$got")" from-the-container
	# without allow_host_loopback (podman's default) 10.0.2.2 does not lead to the host's loopback
	run upm run --rm --network slirp4netns localhost/mlrun-oci-bb:1 sh -c "nc 10.0.2.2 $port </dev/null; echo nc=\$?"
	assert_line nc=1
	# -p 127.0.0.1:HOST:8080: the host reaches the container's listener (podman's rootlessport
	# and slirp4netns)
	local hp=$((40000 + RANDOM % 20000)) id
	id=$(upm run -d --network slirp4netns -p "127.0.0.1:$hp:8080" localhost/mlrun-oci-bb:1 nc -l -p 8080)
	wait_for 100 ss -Htln "sport = :$hp"
	# the published port accepts before the container listens: retry until the container got it
	publish_to() {
		[ "$(upm logs "$id")" = to-the-container ] && return
		echo to-the-container | busybox nc 127.0.0.1 "$hp"
		false
	}
	wait_for 100 publish_to
	run upm wait "$id"
	assert_output 0
	upm rm "$id" >/dev/null
}
