# Set-up shared by the mlrun-oci suites (tests/oci*.bats, after `load helpers`: `load oci/lib`):
# a busybox root and mlrun-oci for bundles driven directly, and podman with mlrun-oci as its
# runtime on this hybrid-cgroup host. Not a suite itself (tests/run-all.sh runs tests/*.bats).

# oci_setup_file APPLET...: $OCI (mlrun-oci, a link to $MLRUN) in $OCI_DIR/bin, a busybox root in
# $OCI_DIR/rootfs with links for APPLETs, state in $OCI_ROOT. A suite adding to the root runs
# `chmod -R a+rX "$OCI_DIR"` again after.
oci_setup_file() {
	export OCI_DIR=$BATS_FILE_TMPDIR/oci
	mkdir -p "$OCI_DIR/bin" "$OCI_DIR/rootfs/bin"
	ln -s "$MLRUN" "$OCI_DIR/bin/mlrun-oci"
	cp /bin/busybox "$OCI_DIR/rootfs/bin/"
	local a
	for a in "$@"; do ln -s busybox "$OCI_DIR/rootfs/bin/$a"; done
	chmod -R a+rX "$OCI_DIR"
	export OCI="$OCI_DIR/bin/mlrun-oci" OCI_ROOT=$OCI_DIR/state
}

# mkbundle DIR 'SHELL COMMAND' [PYTHON STATEMENTS on c, the config]: a bundle in DIR whose
# config is crun's default spec, without a terminal, running sh -c COMMAND. A suite's
# $MKBUNDLE_PY (Python: helpers for its edits, or its own defaults) runs before the statements.
# The root is a link to $OCI_DIR/rootfs, or a copy of $MKBUNDLE_ROOTFS when a suite sets it, and
# the bundle is chowned to $MKBUNDLE_OWNER when set (a user's mlrun-oci creates its mount points
# in a root the user owns).
mkbundle() {
	local dir=$1 cmd=$2 edit=${3:-}
	mkdir -p "$dir"
	if [ -n "${MKBUNDLE_ROOTFS:-}" ]; then
		[ -e "$dir/rootfs" ] || cp -a "$MKBUNDLE_ROOTFS" "$dir/rootfs"
	else
		[ -e "$dir/rootfs" ] || ln -s "$OCI_DIR/rootfs" "$dir/rootfs"
	fi
	(cd "$dir" && rm -f config.json && crun spec) || return 1
	"$PY" - "$dir/config.json" "$cmd" "${MKBUNDLE_PY:-}" "$edit" <<'EOF'
import json, sys
path, cmd, prelude, edit = sys.argv[1:5]
c = json.load(open(path))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', cmd]
exec(prelude)
exec(edit)
json.dump(c, open(path, 'w'), indent=1)
EOF
	[ -z "${MKBUNDLE_OWNER:-}" ] || chown -R "$MKBUNDLE_OWNER" "$dir"
}

oci() { "$OCI" --root "$OCI_ROOT" "$@"; }
oci_status() { oci state "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
status_is() { [ "$(oci_status "$1")" = "$2" ]; }
file_has() { grep -q "$2" "$1"; }

need_podman() { command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"; }

# podman_image DIR APPLET...: DIR/bb.tar, an image of busybox in DIR/img/bin with links for
# APPLETs (and whatever the caller put in DIR/img before).
podman_image() {
	local dir=$1 a
	shift
	mkdir -p "$dir/img/bin"
	cp /bin/busybox "$dir/img/bin/"
	for a in "$@"; do ln -s busybox "$dir/img/bin/$a"; done
	tar -C "$dir/img" -cf "$dir/bb.tar" .
}

# podman_conf DIR RUNTIME: DIR/containers.conf, docs/oci.md's hybrid-host configuration
# for podman (Debian's 4.3): --cgroups=disabled (crun and conmon would otherwise write the host's
# v1 hierarchy, and crun refuses the layout), so podman needs a runtime it believes supports that;
# 4.3 only honours runtime_supports_nocgroups for the runtime named "crun", hence RUNTIME
# registered under that name. podman's locks, tmp and network configuration are in DIR too: the
# host's podman state is not touched, and a test's podman never shares /run/libpod's locks with
# another podman running at the same time (that made the podman tests fail under concurrency).
podman_conf() {
	local dir=$1 runtime=$2
	mkdir -p "$dir/tmp" "$dir/net"
	{
		cat <<EOF
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
EOF
		printf 'lock_type = "file"\ntmp_dir = "%s"\n' "$dir/tmp"
		cat <<EOF
runtime = "crun"
runtime_supports_nocgroups = ["crun"]

[engine.runtimes]
crun = ["$runtime"]
EOF
		printf '\n[network]\nnetwork_config_dir = "%s"\n' "$dir/net"
	} >"$dir/containers.conf"
}

# pm ARGS: podman with $P's containers.conf and a private store (vfs) and run root in $P.
pm() { CONTAINERS_CONF=$P/containers.conf podman --root "$P/store" --runroot "$P/run" --storage-driver vfs "$@"; }

# podman_reset IMAGE: the end of a podman test: its image and podman's state in $P gone.
podman_reset() {
	pm rmi -f "$1" >/dev/null || return
	pm system reset -f >/dev/null 2>&1 || true
}
