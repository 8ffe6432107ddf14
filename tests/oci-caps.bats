#!/usr/bin/env bats
# mlrun-oci's process.capabilities (docs/oci.md): the program holds exactly the sets the config
# grants (root and rootless, container root and a non-zero uid), none with run.mlrun.policy,
# none in `mlrun --policy ...`; podman's defaults, --cap-drop and --cap-add; and the attack: a
# container granted CAP_SYS_ADMIN (and CAP_SYS_PTRACE) tries to undo mlrun's masks of /proc, the
# read-only root and pid 1's protection.

load helpers
load oci/lib

setup_file() {
	require_root
	stage_for_user
	oci_setup_file sh echo cat grep head id ls mkdir mount umount touch chmod chown hostname ping wc
	mkdir -p "$OCI_DIR/rootfs/mnt"
	cp "$PROBE" "$OCI_DIR/rootfs/probe"
	chmod -R a+rX "$OCI_DIR"
}
teardown_file() { unstage_for_user; }

setup() { require_root; }

# mkbundle's edits may call caps(BOUNDING, PERMITTED, inh=, amb=, eff=): process.capabilities,
# effective = permitted unless given.
MKBUNDLE_PY='
def caps(bnd, prm, inh=(), amb=(), eff=None):
    c["process"]["capabilities"] = {"bounding": list(bnd), "permitted": list(prm),
        "effective": list(prm if eff is None else eff), "inheritable": list(inh), "ambient": list(amb)}
'

# capmask CAP_X ...: the /proc/PID/status mask of those capabilities (Linux's numbers).
capmask() {
	local m=0 n
	for c in "$@"; do
		n=$(awk -v c="$c" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
		[ -n "$n" ] || return 1
		m=$((m | (1 << n)))
	done
	printf '%016x\n' "$m"
}

# The five sets of the program, as /proc/self/status shows them, one "CapXxx: mask" per line.
CAPS_CMD='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'

# assert_caps OUTPUT INH PRM EFF BND AMB (masks)
assert_caps() {
	local out=$1
	assert_equal "$(grep '^CapInh' <<<"$out" | cut -f2)" "$2"
	assert_equal "$(grep '^CapPrm' <<<"$out" | cut -f2)" "$3"
	assert_equal "$(grep '^CapEff' <<<"$out" | cut -f2)" "$4"
	assert_equal "$(grep '^CapBnd' <<<"$out" | cut -f2)" "$5"
	assert_equal "$(grep '^CapAmb' <<<"$out" | cut -f2)" "$6"
}

# Container root (uid 0 in its namespace): after execve the kernel gives it permitted =
# (bounding | inheritable) & permitted, effective = permitted; with permitted within bounding
# those are the config's sets.
ROOT_SETS='caps(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_RAW", "CAP_SETPCAP", "CAP_KILL"], ["CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL"], inh=["CAP_CHOWN", "CAP_NET_RAW"], amb=["CAP_NET_RAW"])'
# A non-zero uid keeps only its ambient set across execve (as permitted and effective).
USER_SETS='caps(["CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL"], ["CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL"], inh=["CAP_CHOWN", "CAP_NET_RAW"], amb=["CAP_CHOWN", "CAP_NET_RAW"])'

check_root_sets() {
	assert_caps "$1" "$(capmask CAP_CHOWN CAP_NET_RAW)" "$(capmask CAP_CHOWN CAP_NET_RAW CAP_KILL)" \
		"$(capmask CAP_CHOWN CAP_NET_RAW CAP_KILL)" "$(capmask CAP_CHOWN CAP_DAC_OVERRIDE CAP_NET_RAW CAP_SETPCAP CAP_KILL)" \
		"$(capmask CAP_NET_RAW)"
}
check_user_sets() {
	assert_caps "$1" "$(capmask CAP_CHOWN CAP_NET_RAW)" "$(capmask CAP_CHOWN CAP_NET_RAW)" "$(capmask CAP_CHOWN CAP_NET_RAW)" \
		"$(capmask CAP_CHOWN CAP_NET_RAW CAP_KILL)" "$(capmask CAP_CHOWN CAP_NET_RAW)"
}

@test "oci-caps: the program holds exactly the config's five sets (container root, root caller)" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" "$CAPS_CMD; grep NoNewPrivs /proc/self/status; ping -c 1 -W 5 127.0.0.1 >/dev/null && echo raw-socket-ok" "$ROOT_SETS"
	run oci run --bundle "$b" c1
	assert_success
	check_root_sets "$output"
	assert_line --regexp '^NoNewPrivs:.1$'
	# CAP_NET_RAW acts in the container's network namespace
	assert_line raw-socket-ok
	# without it, the same ping has no raw socket
	mkbundle "$b" 'ping -c 1 -W 5 127.0.0.1 >/dev/null && echo raw-socket-ok; echo end' 'caps(["CAP_CHOWN"], ["CAP_CHOWN"])'
	run oci run --bundle "$b" c2
	assert_success
	refute_line raw-socket-ok
	assert_line end
}

@test "oci-caps: a non-zero process.user.uid keeps its ambient set across execve (root caller)" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" "id -u; $CAPS_CMD" "c['process']['user'] = {'uid': 1000, 'gid': 1000}; $USER_SETS"
	run oci run --bundle "$b" u1
	assert_success
	assert_line --index 0 1000
	check_user_sets "$output"
}

@test "oci-caps: rootless, the same sets for container root and for a non-zero uid" {
	ensure_test_user
	local d uid
	uid=$(id -u "$TEST_USER")
	d=$(mktemp -d /tmp/mlrun-oci-caps.XXXXXX)
	chmod 755 "$d"
	ln -s "$USER_MLRUN" "$d/mlrun-oci"
	mkdir -p "$d/b/rootfs" "$d/u/rootfs"
	cp -a "$OCI_DIR/rootfs/." "$d/b/rootfs/"
	cp -a "$OCI_DIR/rootfs/." "$d/u/rootfs/"
	mkbundle "$d/b" "id -u; $CAPS_CMD" "c['linux']['namespaces'].append({'type': 'user'}); $ROOT_SETS"
	mkbundle "$d/u" "id -u; $CAPS_CMD" "c['linux']['namespaces'].append({'type': 'user'}); c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['linux']['uidMappings'] = [{'containerID': 1000, 'hostID': $uid, 'size': 1}]
c['linux']['gidMappings'] = [{'containerID': 1000, 'hostID': $(id -g "$TEST_USER"), 'size': 1}]
$USER_SETS"
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/u" "$d/state"
	run as_user "$d/mlrun-oci" --root "$d/state" run --bundle "$d/b" r1
	local root_out=$output root_status=$status
	run as_user "$d/mlrun-oci" --root "$d/state" run --bundle "$d/u" r2
	rm -rf "$d"
	assert_success
	assert_line --index 0 1000
	check_user_sets "$output"
	assert_equal "$root_status" 0
	assert_equal "$(head -1 <<<"$root_out")" 0
	check_root_sets "$root_out"
}

@test "oci-caps: unknown names are not granted, with a warning; sets capset would refuse fail create naming the set" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" "$CAPS_CMD" 'caps(["CAP_KILL", "CAP_NOT_A_CAP"], ["CAP_KILL", "CAP_NOT_A_CAP"])'
	run oci run --bundle "$b" w1
	assert_success
	assert_line "mlrun-oci: warning: process.capabilities: unknown capability 'CAP_NOT_A_CAP' not granted"
	assert_line --regexp "^CapEff:.$(capmask CAP_KILL)\$"
	assert_line --regexp "^CapBnd:.$(capmask CAP_KILL)\$"
	# crun's default spec lists ambient capabilities without inheritable ones: the kernel cannot
	# raise them, and as runc and crun do they are left out
	mkbundle "$b" "$CAPS_CMD"
	run oci run --bundle "$b" w2
	assert_success
	assert_line --regexp '^CapAmb:.0000000000000000$'
	assert_line --regexp "^CapEff:.$(capmask CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE)\$"
	mkbundle "$b" 'echo ran' 'caps(["CAP_KILL", "CAP_SYS_ADMIN"], ["CAP_KILL"], eff=["CAP_KILL", "CAP_SYS_ADMIN"])'
	run oci run --bundle "$b" w3
	assert_failure
	assert_output --partial "process.capabilities.effective: CAP_SYS_ADMIN is not in permitted"
	refute_output --partial ran
	mkbundle "$b" 'echo ran' 'caps(["CAP_KILL"], ["CAP_KILL"], inh=["CAP_CHOWN"])'
	run oci run --bundle "$b" w4
	assert_failure
	assert_output --partial "process.capabilities.inheritable: CAP_CHOWN is not in bounding"
	mkbundle "$b" 'echo ran' 'c["process"]["capabilities"]["bounding"] = "CAP_KILL"'
	run oci run --bundle "$b" w5
	assert_failure
	assert_output --partial "process.capabilities.bounding: not an array"
	# CAP_SYS_ADMIN's own user namespace is set up through a proc of the container's
	mkbundle "$b" 'echo ran' 'caps(["CAP_SYS_ADMIN"], ["CAP_SYS_ADMIN"]); c["mounts"] = [m for m in c["mounts"] if m["type"] != "proc"]; c["linux"]["maskedPaths"] = []; c["linux"]["readonlyPaths"] = []'
	run oci run --bundle "$b" w6
	assert_failure
	assert_output --partial "process.capabilities: CAP_SYS_ADMIN needs a proc mount"
	refute_output --partial ran
	[ ! -e "$OCI_ROOT/w3" ] && [ ! -e "$OCI_ROOT/w4" ] && [ ! -e "$OCI_ROOT/w5" ] && [ ! -e "$OCI_ROOT/w6" ]
}

@test "oci-caps: with the run.mlrun.policy annotation the program holds no capability" {
	local b=$BATS_TEST_TMPDIR/b
	mkbundle "$b" "$CAPS_CMD" "c['annotations'] = {'run.mlrun.policy': 'strict'}; $ROOT_SETS"
	run oci run --bundle "$b" p1
	assert_success
	assert_caps "$output" 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000
}

@test "oci-caps: mlrun --policy still drops every capability" {
	run "$MLRUN" -q --policy default -- /bin/sh -c "$CAPS_CMD"
	assert_success
	assert_caps "$output" 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000
}

# Attack: a container granted CAP_SYS_ADMIN (and CAP_SYS_PTRACE) tries to undo what mlrun set
# up: unmount or remount the config's masks of /proc (maskedPaths, readonlyPaths) and the
# read-only root, mount a fresh proc (all of it unmasked), and trace pid 1 (mlrun's init, holding
# the pipe that carries the program's exit status to the supervisor). CAP_SYS_ADMIN acts in a
# user namespace of the program's own whose copy of the mounts the kernel locks; pid 1's memory
# belongs to the caller's user namespace (it never exec'd), which no capability of the container
# reaches.
ATTACK_CMD="$CAPS_CMD"'
try() { name=$1; shift; if "$@" 2>/dev/null; then echo "$name: done"; else echo "$name: refused"; fi; }
try remount-sys-rw mount -o remount,bind,rw /proc/sys
try remount-root-rw mount -o remount,bind,rw /
try write-root touch /planted
try fresh-proc sh -c "mkdir -p /dev/shm/p && mount -t proc proc /dev/shm/p"
try ptrace-pid1 sh -c "/probe syscall ptrace 0x4206 1 0 0 >/dev/null"
try mount-over-root mount -t tmpfs none /mnt
try hostname hostname inside
try raw-socket sh -c "ping -c 1 -W 5 127.0.0.1 >/dev/null"
try umount-acpi umount /proc/acpi
try umount-keys umount -l /proc/keys
echo acpi-entries: $(ls /proc/acpi | wc -l)
echo acpi-masks: $(grep -c " /proc/acpi " /proc/self/mountinfo)
try umount-proc umount -l /proc'
ATTACK_CAPS='caps(["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_NET_RAW"], ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_NET_RAW"])'

check_attack() {
	local out=$1 rootfs=$2
	# the capabilities are held...
	assert_line --regexp "^CapEff:.$(capmask CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_OVERRIDE CAP_NET_RAW)\$"
	# ...and act in the container's own namespaces: a mount over its root, its hostname, a raw
	# socket in its network namespace (lo up there)
	assert_line "mount-over-root: done"
	assert_line "hostname: done"
	assert_line "raw-socket: done"
	# but mlrun's set-up holds
	assert_line "umount-acpi: refused"
	assert_line "umount-keys: refused"
	assert_line "umount-proc: refused"
	assert_line "remount-sys-rw: refused"
	assert_line "remount-root-rw: refused"
	assert_line "write-root: refused"
	assert_line "fresh-proc: refused"
	assert_line "ptrace-pid1: refused"
	assert_line "acpi-entries: 0"
	assert_line "acpi-masks: 1"
	[ ! -e "$rootfs/planted" ]
}

@test "oci-caps: attack: CAP_SYS_ADMIN cannot unmount or remount the masks of /proc or the read-only root" {
	local b=$BATS_TEST_TMPDIR/b host_name
	mkbundle "$b" "$ATTACK_CMD" "$ATTACK_CAPS"
	host_name=$(hostname)
	run oci run --bundle "$b" a1
	assert_success
	check_attack "$output" "$OCI_DIR/rootfs"
	assert_equal "$(hostname)" "$host_name"
}

@test "oci-caps: attack, rootless: CAP_SYS_ADMIN cannot unmount or remount the masks of /proc or the read-only root" {
	ensure_test_user
	local d
	d=$(mktemp -d /tmp/mlrun-oci-caps.XXXXXX)
	chmod 755 "$d"
	ln -s "$USER_MLRUN" "$d/mlrun-oci"
	mkdir -p "$d/b/rootfs"
	cp -a "$OCI_DIR/rootfs/." "$d/b/rootfs/"
	mkbundle "$d/b" "$ATTACK_CMD" "c['linux']['namespaces'].append({'type': 'user'}); $ATTACK_CAPS"
	mkdir -m 700 "$d/state"
	chown -R "$TEST_USER" "$d/b" "$d/state"
	chown -h root "$d/b/rootfs"
	chown -R root "$d/b/rootfs/"
	run as_user "$d/mlrun-oci" --root "$d/state" run --bundle "$d/b" a2
	local planted=0
	[ ! -e "$d/b/rootfs/planted" ] || planted=1
	rm -rf "$d"
	assert_success
	check_attack "$output" "$d/b/rootfs"
	assert_equal "$planted" 0
}

# podman (Debian's 4.3) with mlrun-oci as its runtime, as tests/oci.bats runs it on this
# hybrid-cgroup host (registered under the name crun, cgroups disabled: docs/oci.md).
@test "oci-caps: podman: its default capabilities, --cap-drop all and --cap-add" {
	need_podman
	P=$BATS_TEST_TMPDIR/podman
	podman_image "$P" sh echo cat grep touch chmod chown ping
	podman_conf "$P" "$OCI"
	pm import -q "$P/bb.tar" localhost/mlrun-oci-caps:1 >/dev/null
	# a file only CAP_DAC_OVERRIDE can read, and one chown gives back to container root
	local cmd="$CAPS_CMD"'; echo secret >/dev/shm/f; chmod 000 /dev/shm/f; cat /dev/shm/f 2>/dev/null || echo no-dac
chown 0:0 /dev/shm/f && echo chown-ok; ping -c 1 -W 5 127.0.0.1 >/dev/null 2>&1 && echo raw-socket-ok; true'
	local id cfg
	id=$(pm create localhost/mlrun-oci-caps:1 sh -c "$cmd")
	run pm start -a "$id"
	assert_success
	cfg=$(pm inspect --format '{{.OCIConfigPath}}' "$id")
	# exactly what podman wrote into the config's effective set
	local want
	want=$(capmask $("$PY" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["process"]["capabilities"]["effective"]))' "$cfg"))
	assert_line --regexp "^CapEff:.$want\$"
	assert_line --regexp "^CapBnd:.$want\$"
	assert_line secret
	assert_line chown-ok
	assert_line raw-socket-ok
	pm rm "$id" >/dev/null
	run pm run --rm --cap-drop all localhost/mlrun-oci-caps:1 sh -c "$cmd"
	assert_success
	assert_line --regexp '^CapEff:.0000000000000000$'
	assert_line --regexp '^CapBnd:.0000000000000000$'
	assert_line no-dac
	refute_line raw-socket-ok
	run pm run --rm --cap-drop all --cap-add NET_ADMIN --cap-add DAC_OVERRIDE localhost/mlrun-oci-caps:1 sh -c "$cmd"
	assert_success
	assert_line --regexp "^CapEff:.$(capmask CAP_NET_ADMIN CAP_DAC_OVERRIDE)\$"
	assert_line secret
	podman_reset localhost/mlrun-oci-caps:1
}
