#!/bin/sh
# Stage 1 of the mlrun test VM: /init of the initramfs, run by busybox sh as PID 1.
#
# Builds the machine the tests need under /host, then switch_roots into it and hands over to stage
# 2, tests/vm/guest.sh, which is read live from the checkout (editing it rebuilds nothing):
#   - modules (virtio, 9p, overlay, virtio_blk, veth), in the order run.sh resolved;
#   - the host's root at /host (9p, read-only), the checkout at its own path (9p, read-only) and
#     at /run/mlrun-vm/repo (for the rootless pass: /root is 0700 on Debian), the results share
#     (9p, writable) at /host/run/mlrun-vm/results, tmpfs on /tmp, /run and /dev/shm, overlays
#     with a tmpfs upper on /etc (for useradd) and /var;
#   - a pure cgroup2 tree with +cpu +memory +pids +io enabled at the root, and the subtree
#     user-1500 delegated to uid 1500 the way systemd delegates user@.service.
# All of it is done here rather than in stage 2 because busybox applets from the initramfs start
# about ten times faster under TCG than the host's dynamically linked tools read over 9p (measured:
# 0.3 s here against 5 s in stage 2 for the same mounts).
#
# run.sh hashes this file: any edit here rebuilds the initramfs on the next run.
# Anything fatal is printed as "mlrun-vm: FATAL: ..." — run.sh quotes that line as the reason.

/bin/busybox --install -s /bin
export PATH=/bin

R=/host/run/mlrun-vm/results # the results share, seen from here
VM_UID=1500                  # the rootless pass' user (guest.sh creates it: mlrunvm)

# Progress on the console with the guest's uptime: the console log shows where boot time goes.
stamp() { echo "mlrun-vm: $* at $(cut -d' ' -f1 /proc/uptime 2>/dev/null || cut -d' ' -f1 /host/proc/uptime)s"; }

fatal() {
	echo "mlrun-vm: FATAL: (init) $*"
	[ -d $R ] && echo "(init) $*" >>$R/fatal
	poweroff -f
	sleep 60
}

mount -t proc proc /proc || fatal "mount /proc"
mount -t sysfs sysfs /sys || fatal "mount /sys"
mount -t devtmpfs devtmpfs /dev || fatal "mount /dev"
stamp "init started"

# ---- modules, in dependency order (run.sh resolved it from each module's "depends=") ----------
while read -r m; do
	insmod "/lib/modules/$m.ko" || fatal "insmod $m"
done </lib/modules/load-order
stamp "modules loaded"

# ---- file systems ----------------------------------------------------------------------------
# A 9p share, retrying briefly: the virtio transport may still be probing the device.
# msize: the default (8 KiB) makes every read of python/bats from the host much slower.
mount_9p() { # tag dir options
	i=0
	while ! mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$3" "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 50 ] && fatal "mount 9p share '$1' on $2"
		usleep 100000
	done
}

# An overlay with a tmpfs upper on a directory of the read-only root.
overlay_tmpfs() { # dir (relative to /host)
	mkdir -p "/host/run/overlay/$1/upper" "/host/run/overlay/$1/work"
	mount -t overlay overlay -o "lowerdir=/host/$1,upperdir=/host/run/overlay/$1/upper,workdir=/host/run/overlay/$1/work" \
		"/host/$1" || fatal "overlay on /$1"
}

mkdir -p /host
mount_9p host /host ro,cache=loose
# The host's /tmp and /run are not the guest's: tmpfs hides them (host files there are invisible).
mount -t tmpfs -o mode=1777,size=256m tmpfs /host/tmp || fatal "tmpfs /tmp"
mount -t tmpfs -o mode=755,size=64m tmpfs /host/run || fatal "tmpfs /run"
mkdir -p $R /host/run/home
# The results share: no cache, so every write reaches the host at once (even if the VM dies).
mount_9p results $R rw
# REPO: the checkout, shared on its own (read-only) and mounted at the same absolute path, so it is
# visible even where the guest hides the host's files (a CI clone in /tmp).
# shellcheck source=/dev/null
. $R/job.env || fatal "no job.env in the results share"
mkdir -p "/host$REPO" 2>/dev/null
mount_9p repo "/host$REPO" ro,cache=loose
# ... and again where the rootless pass' user can reach it: the checkout's parents may be closed to
# other users (/root is 0700 on Debian). guest.sh gives that pass paths under this one.
mkdir -p /host/run/mlrun-vm/repo
mount -o bind "/host$REPO" /host/run/mlrun-vm/repo || fatal "bind $REPO on /run/mlrun-vm/repo"
overlay_tmpfs etc # useradd writes passwd, group, shadow
overlay_tmpfs var # useradd updates /var/log/lastlog and faillog; /var/tmp for tests

# The scratch disk (for io.max): wait for its node, bounded.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
[ -b /dev/vda ] || echo "mlrun-vm: warning: no /dev/vda scratch disk"

mount --move /proc /host/proc || fatal "move /proc"
mount --move /sys /host/sys || fatal "move /sys"
mount --move /dev /host/dev || fatal "move /dev"
# devtmpfs lacks what udev would add; bash's <(...) needs /dev/fd, python multiprocessing /dev/shm.
ln -sfn /proc/self/fd /host/dev/fd
ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout
ln -sf /proc/self/fd/2 /host/dev/stderr
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /host/dev/pts || fatal "mount devpts"
ln -sf pts/ptmx /host/dev/ptmx
mount -t tmpfs -o mode=1777,size=256m tmpfs /host/dev/shm || fatal "mount /dev/shm"

# ---- cgroup v2 -------------------------------------------------------------------------------
# The options systemd uses on Debian 12 / Ubuntu / Fedora, so delegation behaves as on users' hosts.
CG=/host/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $CG ||
	fatal "mount cgroup2"
# The root cgroup is exempt from the no-internal-processes rule: PID 1 and the root pass stay there.
echo "+cpu +memory +pids +io" >$CG/cgroup.subtree_control ||
	fatal "cannot enable controllers (available: $(cat $CG/cgroup.controllers))"
# Delegation as systemd does it for user@.service: the directory and its cgroup.procs,
# cgroup.subtree_control and cgroup.threads belong to the user. The user's processes go to the leaf
# "shell", because a cgroup holding processes cannot enable controllers for its children; the user
# enables them (+cpu +memory +pids) itself, see guest.sh.
D=$CG/user-$VM_UID
mkdir -p $D/shell || fatal "mkdir $D/shell"
for d in $D $D/shell; do
	chown $VM_UID:$VM_UID "$d" "$d/cgroup.procs" "$d/cgroup.subtree_control" "$d/cgroup.threads" ||
		fatal "chown $d"
done

# ---- stage 2 ---------------------------------------------------------------------------------
[ -r "/host$REPO/tests/vm/guest.sh" ] || fatal "cannot read $REPO/tests/vm/guest.sh through 9p"
stamp "switching root"
# switch_root, not chroot: inside a chroot, CLONE_NEWUSER fails with EPERM.
# shellcheck disable=SC2093 # (exec fails only if switch_root cannot run)
exec switch_root /host /bin/bash "$REPO/tests/vm/guest.sh"
fatal "switch_root failed"
