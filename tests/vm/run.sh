#!/usr/bin/env bash
# tests/vm/run.sh — run bats suites inside a qemu VM with a pure cgroup v2 tree.
#
# The host's cgroups are hybrid (v1 controllers, an empty cgroup2), so memory.max, cpu.max, pids.max
# and io.max can only be enforced, and therefore tested, in a VM. This boots Debian's own kernel
# under qemu (TCG: there is no usable KVM), shares the host's root read-only over 9p, and runs the
# given bats files there twice: as root, then as an unprivileged user with a delegated cgroup
# subtree. It prints ONE TAP stream on stdout, descriptions prefixed "[vm root]"/"[vm rootless]".
# See docs/testing-vm.md.
#
#   tests/vm/run.sh [BATS_FILE...]   default: every tests/vm/*.bats; exit 1 if anything failed
#   tests/vm/run.sh --filter REGEX FILE   only the tests whose name matches (bats --filter)
#   tests/vm/run.sh --shell          interactive root shell in the VM (Ctrl-A X kills qemu)
#   tests/vm/run.sh --prepare        only fetch the kernel and build the initramfs (cache warm-up)
#   tests/vm/run.sh --systemd [FILE...]  boot the host's systemd as PID 1 instead and run FILEs
#                    (default: tests/vm/systemd/*.bats) once, as the lingering user mlrunvm from a
#                    system service, with its user manager up and nothing delegated (pass "systemd"),
#                    after a pass as root from the same service (pass "systemd-root")
#
# Environment:
#   MLRUN_VM_CACHE    kernel + initramfs cache (default ~/.cache/mlrun-vm)
#   MLRUN_VM_TIMEOUT  seconds without progress (booting, a TAP line) before the VM is killed (600)
#   MLRUN_VM_MAX_TIME seconds in all before the VM is killed (default 3600)
#   MLRUN_VM_PASSES   "root rootless" (default), or just one of them
#   MLRUN_VM_KEEP=1   keep the run directory (console log, results) even when everything passed
#   MLRUN             binary under test (default <repo>/mlrun); must be visible from the VM
#   MLRUN_SLOW        slow-down factor of every bounded wait in the suites (passed to the VM; the
#                     VM's own default is higher: TCG is slow)
#   MLRUN_SOAK_VM_RUNS  runs of the VM soak (tests/vm/soak.bats; default 40, 8 at a time)
#   MLRUN_VM_BATS_ARGS  extra bats options, e.g. "--timing" or "--verbose-run"
#   MLRUN_VM_QEMU_ARGS, MLRUN_VM_APPEND   extra qemu arguments / kernel parameters (debugging)
#
# Layers: this script (host) -> tests/vm/init.sh (initramfs /init, busybox) -> switch_root ->
# tests/vm/guest.sh (PID 1 in the shared host root) -> bats.

set -uo pipefail
shopt -s nullglob

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
CACHE=${MLRUN_VM_CACHE:-$HOME/.cache/mlrun-vm}
TIMEOUT=${MLRUN_VM_TIMEOUT:-600}
MAX_TIME=$((SECONDS + ${MLRUN_VM_MAX_TIME:-3600}))
PASSES=${MLRUN_VM_PASSES:-root rootless}
# Modules the VM loads (their dependencies are added automatically, in order): 9p over virtio for
# the shares, overlay for a writable /etc, virtio_blk for the scratch disk, ext4 (which mounts ext2)
# for a file system on it, veth for netns tests.
MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_blk crc32c_generic ext4 veth"
# Bump to force an initramfs rebuild when the way it is built changes.
INITRAMFS_FORMAT=1
# Deliberately not the caller's PATH: the python3 and others under /root are slow shims.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

MODE=tests
BOOT=plain # or systemd (--systemd)
RUN_DIR="" QEMU_PID=""
TAP=()       # the output stream, numbered at the end
BATS_ARGS=() # passed to bats in the VM (--filter)

# Progress on stderr, as TAP comments: run-all.sh merges stderr into the TAP it counts.
log() { printf '# mlrun-vm: %s\n' "$*" >&2; }

# ---- TAP output ------------------------------------------------------------------------------
tap_add() { TAP+=("$1"); }          # "ok - desc" / "not ok - desc": numbered by tap_print
tap_comment() { TAP+=("# $1"); }

tap_print() {
	local line n=0 total=0
	for line in "${TAP[@]}"; do [[ $line == "#"* ]] || total=$((total + 1)); done
	echo "1..$total"
	for line in "${TAP[@]}"; do
		if [[ $line =~ ^(ok|not\ ok)\ (.*)$ ]]; then
			n=$((n + 1))
			echo "${BASH_REMATCH[1]} $n ${BASH_REMATCH[2]}"
		else
			echo "$line"
		fi
	done
}

# A failure before any test could run: one "not ok", the console's last lines, exit 1.
vm_fail() {
	tap_add "not ok - vm: $1"
	if [ -n "$RUN_DIR" ] && [ -s "$RUN_DIR/console.log" ]; then
		tap_comment "last 40 lines of the console ($RUN_DIR/console.log):"
		console_tail 40
	fi
	tap_print
	exit 1
}

vm_interrupted() { # signal status
	tap_add "not ok - vm: interrupted by SIG$1"
	tap_print
	exit "$2"
}

# The console's last lines, without SeaBIOS' terminal escapes and CRs.
console_tail() { # lines
	local line
	while IFS= read -r line; do
		tap_comment "  $line"
	done < <(sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[a-zA-Z]//g; s/\r//g' "$RUN_DIR/console.log" | tail -n "$1")
}

# ---- prerequisites ---------------------------------------------------------------------------
# Missing tools are a failure, not a skip: CI must exercise real enforcement (`make deps`).
check_prereqs() {
	local missing=() t
	for t in qemu-system-x86_64 cpio xz apt-get apt-cache dpkg-deb bats flock; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if [ ! -x /bin/busybox ]; then
		missing+=(busybox-static)
	elif ldd /bin/busybox >/dev/null 2>&1; then
		missing+=("busybox-static (/bin/busybox is dynamically linked)")
	fi
	if [ "$BOOT" = systemd ]; then # the root's own systemd becomes the VM's PID 1
		[ -x /lib/systemd/systemd ] || missing+=("systemd (/lib/systemd/systemd)")
		command -v dbus-daemon >/dev/null || missing+=("dbus")
		[ -e /usr/lib/systemd/user/dbus.socket ] || missing+=("dbus-user-session")
	fi
	[ ${#missing[@]} -eq 0 ] || vm_fail "missing: ${missing[*]} (run: make deps)"
}

# ---- kernel ----------------------------------------------------------------------------------
# The ELF vmlinux inside a bzImage: its payload is an xz stream. Booting it (PVH entry) instead of
# the bzImage skips the in-guest decompression, which under TCG halves the boot time.
# --single-stream stops at the end of the xz stream and ignores what follows (the bzImage trailer).
extract_vmlinux() { # bzImage output
	local off
	local offsets
	offsets=$(grep -aboP '\xFD7zXZ\x00' "$1" | cut -d: -f1)
	for off in $offsets; do
		# xz's status is not checked: it quits at the end of the stream, tail dies of SIGPIPE.
		tail -c +$((off + 1)) "$1" 2>/dev/null | xz -dc --single-stream >"$2" 2>/dev/null
		[ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ] && return 0
	done
	rm -f "$2"
	return 1
}

# Debian's current kernel: "PKG VERSION" of the linux-image-6.1.0-N-amd64 that linux-image-amd64
# depends on. apt-cache takes 2 s here, so the answer is kept until apt's lists change.
resolve_kernel_pkg() {
	local memo=$CACHE/kernel/resolved pkg ver
	if [ -s "$memo" ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -cnewer "$memo" 2>/dev/null)" ]; then
		cat "$memo"
		return
	fi
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
	ver=${pkg:+$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')}
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 0
	mkdir -p "$CACHE/kernel"
	echo "$pkg $ver" | tee "$memo"
}

# Sets KDIR to the kernel's cache directory, downloading and unpacking it the first time.
prepare_kernel() {
	local pkg ver tmp deb apt_opts=()
	read -r pkg ver < <(resolve_kernel_pkg)
	if [ -z "$pkg" ] || [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		# No apt lists (e.g. offline): fall back to whatever kernel is cached.
		KDIR=$(find "$CACHE/kernel" -mindepth 1 -maxdepth 1 -name 'linux-image-*' 2>/dev/null | sort | tail -n 1)
		[ -n "$KDIR" ] && [ -f "$KDIR/complete" ] && return 0
		vm_fail "cannot resolve the kernel package behind linux-image-amd64 (apt-get update?)"
	fi
	KDIR=$CACHE/kernel/${pkg}_$ver
	if [ -f "$KDIR/complete" ]; then
		touch "$KDIR"
		return 0
	fi

	log "fetching $pkg $ver (once; cached in $CACHE)"
	mkdir -p "$CACHE/kernel"
	tmp=$(mktemp -d "$CACHE/kernel/.tmp.XXXXXX")
	# As root, apt's _apt sandbox user cannot write here; download as root without the warning.
	[ "$(id -u)" = 0 ] && apt_opts=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download -q "$pkg=$ver" >/dev/null); then
		# Stale lists name a version the mirror no longer has; refresh once if we may.
		if [ -z "${APT_UPDATED:-}" ] && [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1; then
			APT_UPDATED=1
			rm -rf "$tmp" "$CACHE/kernel/resolved"
			prepare_kernel
			return
		fi
		rm -rf "$tmp"
		vm_fail "apt-get download $pkg=$ver failed"
	fi
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/tree" || { rm -rf "$tmp"; vm_fail "dpkg-deb -x $deb failed"; }
	rm -f "$deb"
	local img=("$tmp"/tree/boot/vmlinuz-*)
	extract_vmlinux "${img[0]}" "$tmp/vmlinux" ||
		{ rm -rf "$tmp"; vm_fail "no xz-compressed ELF kernel found in ${img[0]##*/}"; }
	touch "$tmp/complete"
	rm -rf "$KDIR"
	mv "$tmp" "$KDIR"
	prune_stale "$CACHE/kernel" 'linux-image-*' "$KDIR"
}

# ---- initramfs -------------------------------------------------------------------------------
# The module file for a module name, from an index of the tree (names use "_", files may use "-").
index_modules() {
	local f n
	declare -gA MODFILE=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		MODFILE[${n//-/_}]=$f
	done < <(find "$KMOD_DIR/kernel" -name '*.ko*')
}

module_file() { # name
	[ -n "${MODFILE[$1]:-}" ] && echo "${MODFILE[$1]}"
}

module_cat() { # file: the uncompressed module
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# Depth-first over "depends=" in each module's .modinfo: appends to LOAD_ORDER, deps first.
resolve_module() { # name
	local f deps d
	case " ${LOAD_ORDER[*]} " in *" $1 "*) return 0 ;; esac
	f=$(module_file "$1") || vm_fail "module $1 not found under $KMOD_DIR"
	deps=$(module_cat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1)
	for d in ${deps//,/ }; do resolve_module "$d"; done
	LOAD_ORDER+=("$1")
}

# Sets INITRAMFS; rebuilds it only when one of its inputs changed: /init's source, the module list,
# the kernel, busybox, or INITRAMFS_FORMAT.
prepare_initramfs() {
	local hash root m f
	KMOD_DIR=$(find "$KDIR/tree/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	index_modules
	LOAD_ORDER=()
	for m in $MODULES; do resolve_module "$m"; done
	hash=$({
		echo "format $INITRAMFS_FORMAT kernel ${KMOD_DIR##*/} modules ${LOAD_ORDER[*]}"
		cat "$HERE/init.sh"
		sha256sum </bin/busybox
	} | sha256sum | cut -c1-16)
	INITRAMFS=$KDIR/initramfs-$hash.cpio
	if [ -f "$INITRAMFS" ]; then
		touch "$INITRAMFS" # mtime = last use, for prune_stale
		return 0
	fi

	log "building the initramfs (${LOAD_ORDER[*]})"
	root=$(mktemp -d "$KDIR/.initramfs.XXXXXX")
	mkdir -p "$root"/{bin,dev,proc,sys,host,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	install -m 755 "$HERE/init.sh" "$root/init"
	for m in "${LOAD_ORDER[@]}"; do
		f=$(module_file "$m")
		module_cat "$f" >"$root/lib/modules/$m.ko" || vm_fail "cannot unpack $f"
		echo "$m" >>"$root/lib/modules/load-order"
	done
	# Uncompressed: it is small, and the kernel unpacks it faster than it would decompress it.
	(cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --quiet) >"$root.cpio" ||
		vm_fail "cpio failed"
	rm -rf "$root"
	mv "$root.cpio" "$INITRAMFS"
	prune_stale "$KDIR" 'initramfs-*.cpio' "$INITRAMFS"
}

# Removes superseded cache entries, but only those unused for an hour (runs touch what they use): a
# concurrent run, or another checkout sharing the cache, may be about to boot one.
prune_stale() { # dir glob keep
	find "$1" -mindepth 1 -maxdepth 1 -name "$2" ! -path "$3" -mmin +60 -exec rm -rf {} +
}

# Several runs may share a cache (two engineers, two CI jobs): prepare under a lock.
prepare_cache() {
	mkdir -p "$CACHE" || vm_fail "cannot create $CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	prepare_kernel
	prepare_initramfs
	# Left-overs of runs interrupted while preparing.
	prune_stale "$CACHE/kernel" '.tmp.*' ''
	prune_stale "$KDIR" '.initramfs.*' ''
	flock -u 9
	exec 9>&-
}

# ---- the VM ----------------------------------------------------------------------------------
# Whether the guest sees this absolute host path: it has its own /tmp, /run, /proc, /sys and /dev,
# but the checkout is mounted at its own path wherever it is.
visible_in_vm() { # abs-path
	case $1 in
	"$REPO" | "$REPO"/*) return 0 ;;
	/tmp | /tmp/* | /run | /run/* | /proc/* | /sys/* | /dev/*) return 1 ;;
	esac
}

# The bats files, as absolute paths the VM can see.
resolve_files() {
	local f abs
	FILES=()
	if [ $# -eq 0 ] && [ "$BOOT" = systemd ]; then
		set -- "$HERE"/systemd/*.bats
		[ $# -gt 0 ] || vm_fail "no tests/vm/systemd/*.bats to run"
	elif [ $# -eq 0 ]; then
		set -- "$HERE"/*.bats
		[ $# -gt 0 ] || vm_fail "no tests/vm/*.bats to run"
	fi
	for f in "$@"; do
		abs=$(realpath -e "$f" 2>/dev/null) || vm_fail "no such file: $f"
		visible_in_vm "$abs" ||
			vm_fail "$f: the VM cannot see host files under ${abs%"${abs#/*/}"} (it mounts its own)"
		FILES+=("$abs")
	done
}

make_run_dir() {
	RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mlrun-vm.XXXXXX") || vm_fail "mktemp failed"
	mkdir "$RUN_DIR/results"
	local mlrun
	mlrun=$(realpath -m "${MLRUN:-$REPO/mlrun}")
	visible_in_vm "$mlrun" || vm_fail "MLRUN=$mlrun: the VM cannot see it (put it in the checkout)"
	{
		printf "REPO='%s'\n" "$REPO"
		printf "MODE='%s'\n" "$MODE"
		printf "MLRUN='%s'\n" "$mlrun"
		printf "PASSES='%s'\n" "$PASSES"
		printf "BOOT='%s'\n" "$BOOT"
		# the suites' slow-down factor and the VM soak's size cross into the VM (env -i there)
		printf "SLOW='%s'\n" "${MLRUN_SLOW:-}"
		printf "SOAK_RUNS='%s'\n" "${MLRUN_SOAK_VM_RUNS:-}"
	} >"$RUN_DIR/results/job.env"
	printf '%s\n' "${FILES[@]}" >"$RUN_DIR/results/files"
	local extra=()
	read -ra extra <<<"${MLRUN_VM_BATS_ARGS:-}"
	BATS_ARGS+=("${extra[@]}")
	: >"$RUN_DIR/results/bats-args"
	[ ${#BATS_ARGS[@]} -eq 0 ] || printf '%s\n' "${BATS_ARGS[@]}" >"$RUN_DIR/results/bats-args"
	# A sparse scratch disk: /dev/vda in the guest, a real block device for io.max.
	truncate -s 64M "$RUN_DIR/scratch.img"
}

cleanup() {
	stop_qemu
	[ -n "$RUN_DIR" ] || return 0
	rm -f "$RUN_DIR/scratch.img"
	if [ "${MLRUN_VM_KEEP:-0}" = 1 ] || [ "${KEEP_RUN_DIR:-0}" = 1 ]; then
		log "run directory kept: $RUN_DIR"
	else
		rm -rf "$RUN_DIR"
	fi
}

# Only ever the qemu this script started, by its pid.
stop_qemu() {
	[ -n "$QEMU_PID" ] || return 0
	if kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QEMU_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$QEMU_PID" 2>/dev/null
	fi
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}

# -nic none: no network device to probe (mlrun makes its own net namespaces). multidevs=remap:
# the host's root spans several file systems; without it inode numbers could collide in the guest.
qemu_args() {
	local extra=()
	read -ra extra <<<"${MLRUN_VM_QEMU_ARGS:-}"
	QEMU=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot
		-nic none
		-kernel "$KDIR/vmlinux" -initrd "$INITRAMFS"
		-append "console=ttyS0 quiet panic=-1${MLRUN_VM_APPEND:+ $MLRUN_VM_APPEND}"
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$RUN_DIR/results,mount_tag=results,security_model=none"
		-drive "file=$RUN_DIR/scratch.img,if=virtio,format=raw"
		"${extra[@]}")
}

now() { echo "${EPOCHREALTIME/./}"; }                     # microseconds
secs() { printf '%d.%01d' $(($1 / 1000000)) $(($1 % 1000000 / 100000)); } # µs -> "12.3"

# Boots the VM and waits for it to power off, bounded: TIMEOUT seconds without progress (no boot,
# no new TAP line: a hung test), or MAX_TIME in all. Records when each result appeared.
boot_and_wait() {
	local start deadline m f stamp=$RUN_DIR/progress
	declare -gA SEEN=()
	qemu_args
	start=$(now)
	touch "$stamp"
	"${QEMU[@]}" </dev/null >"$RUN_DIR/console.log" 2>&1 &
	QEMU_PID=$!
	deadline=$((SECONDS + TIMEOUT))
	TIMED_OUT=0
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		for m in ready root.rc rootless.rc systemd-root.rc systemd.rc; do
			[ -z "${SEEN[$m]:-}" ] && [ -e "$RUN_DIR/results/$m" ] && SEEN[$m]=$(($(now) - start))
		done
		for f in "$RUN_DIR"/results/*; do
			if [ "$f" -nt "$stamp" ]; then # the guest wrote something: progress
				touch "$stamp"
				deadline=$((SECONDS + TIMEOUT))
				break
			fi
		done
		if [ $SECONDS -ge $deadline ] || [ $SECONDS -ge "$MAX_TIME" ]; then
			TIMED_OUT="no progress for ${TIMEOUT}s"
			[ $SECONDS -lt "$MAX_TIME" ] || TIMED_OUT="still running after ${MLRUN_VM_MAX_TIME:-3600}s"
			stop_qemu
			break
		fi
		sleep 0.2
	done
	[ -n "$QEMU_PID" ] && { wait "$QEMU_PID"; QEMU_RC=$?; QEMU_PID=; }
	for m in ready root.rc rootless.rc systemd-root.rc systemd.rc; do
		[ -z "${SEEN[$m]:-}" ] && [ -e "$RUN_DIR/results/$m" ] && SEEN[$m]=$(($(now) - start))
	done
	ELAPSED=$(($(now) - start))
}

# Appends one pass's TAP, renumbered and labelled, plus a "not ok" for anything that went wrong
# outside the tests (bats did not finish, failed to start, reported fewer tests than planned).
collect_pass() { # pass
	local pass=$1 tap=$RUN_DIR/results/$1.tap rc line planned=-1 seen=0 failed=0 status
	local label="[vm $pass]"
	if [ -f "$tap" ]; then
		while IFS= read -r line; do
			if [[ $line =~ ^1\.\.([0-9]+) ]]; then
				planned=${BASH_REMATCH[1]}
			elif [[ $line =~ ^(ok|not\ ok)\ [0-9]+\ ?(-\ )?(.*)$ ]]; then
				status=${BASH_REMATCH[1]}
				[ "$status" = "not ok" ] && failed=$((failed + 1))
				tap_add "$status - $label ${BASH_REMATCH[3]}"
				seen=$((seen + 1))
			elif [[ $line == "#"* ]]; then
				TAP+=("$line")
			else
				tap_comment "$line"
			fi
		done <"$tap"
	fi
	if [ ! -f "$RUN_DIR/results/$pass.rc" ]; then
		if [ "$TIMED_OUT" != 0 ]; then
			tap_add "not ok - $label vm: killed, $TIMED_OUT ($seen tests reported; the next one hung?)"
		else
			tap_add "not ok - $label vm: the pass did not finish ($seen tests reported)"
		fi
		[ -z "${CONSOLE_SHOWN:-}" ] && { tap_comment "last 40 lines of the console:"; console_tail 40; CONSOLE_SHOWN=1; }
		return
	fi
	rc=$(cat "$RUN_DIR/results/$pass.rc")
	if [ "$planned" -ge 0 ] && [ "$seen" -lt "$planned" ]; then
		tap_add "not ok - $label bats reported $seen of $planned tests (exit status $rc)"
	elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
		tap_add "not ok - $label bats exited with status $rc"
	else
		return
	fi
	while IFS= read -r line; do tap_comment "  $line"; done < <(tail -n 40 "$RUN_DIR/results/$pass.err")
}

report() {
	local pass reason
	if [ -z "${SEEN[ready]:-}" ]; then
		reason=$(grep -ao 'mlrun-vm: FATAL: .*' "$RUN_DIR/console.log" | head -n 1 | tr -d '\r')
		reason=${reason#mlrun-vm: FATAL: }
		if [ -n "$reason" ]; then
			:
		elif [ "$TIMED_OUT" != 0 ]; then
			reason="did not boot: $TIMED_OUT"
		else
			reason="did not boot (qemu exited with status $QEMU_RC)"
		fi
		KEEP_RUN_DIR=1
		vm_fail "$reason"
	fi
	for pass in $PASSES; do collect_pass "$pass"; done
	# guest.sh failed after the first test had started (e.g. useradd before the rootless pass).
	if [ -s "$RUN_DIR/results/fatal" ]; then
		tap_add "not ok - vm: $(head -n 1 "$RUN_DIR/results/fatal")"
	fi
	tap_print
	printf '# vm: boot to first test %ss' "$(secs "${SEEN[ready]}")"
	[ -n "${SEEN[root.rc]:-}" ] && printf ', root pass done at %ss' "$(secs "${SEEN[root.rc]}")"
	[ -n "${SEEN[rootless.rc]:-}" ] && printf ', rootless pass done at %ss' "$(secs "${SEEN[rootless.rc]}")"
	[ -n "${SEEN[systemd-root.rc]:-}" ] && printf ', systemd-root pass done at %ss' "$(secs "${SEEN[systemd-root.rc]}")"
	[ -n "${SEEN[systemd.rc]:-}" ] && printf ', systemd pass done at %ss' "$(secs "${SEEN[systemd.rc]}")"
	printf ', total %ss\n' "$(secs "$ELAPSED")"
	if printf '%s\n' "${TAP[@]}" | grep -q '^not ok'; then
		KEEP_RUN_DIR=1
		echo "# vm: console log and results kept in $RUN_DIR"
		return 1
	fi
	return 0
}

run_shell() {
	qemu_args
	log "booting; the shell appears in ~10s. 'exit' powers off; Ctrl-A X kills qemu."
	"${QEMU[@]}"
}

main() {
	local args=()
	while [ $# -gt 0 ]; do
		case $1 in
		--shell) MODE=shell ;;
		--filter)
			[ $# -ge 2 ] || { echo "$0: --filter needs a regex" >&2; exit 2; }
			BATS_ARGS+=(--filter "$2")
			shift
			;;
		--prepare) MODE=prepare ;;
		--systemd) BOOT=systemd PASSES="systemd-root systemd" ;;
		-h | --help)
			sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
			exit 0
			;;
		--) shift; args+=("$@"); break ;;
		-*) echo "usage: $0 [--shell|--prepare|--systemd] [--filter REGEX] [BATS_FILE...]" >&2; exit 2 ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	check_prereqs
	prepare_cache
	[ "$MODE" = prepare ] && { log "cache ready: $KDIR"; exit 0; }
	resolve_files "${args[@]}"
	trap cleanup EXIT
	trap 'trap - INT; vm_interrupted INT 130' INT
	trap 'trap - TERM; vm_interrupted TERM 143' TERM
	make_run_dir
	if [ "$MODE" = shell ]; then
		run_shell
		exit
	fi
	boot_and_wait
	report
}

main "$@"
