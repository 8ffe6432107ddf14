/* proc_mask.c - hide what a fresh proc still tells about the host.
 *
 * The sandbox's proc belongs to its own pid namespace, but many files in it are global: kernel
 * symbols, timers of every process on the host, interrupt counts (a side channel), keys. Like
 * runc's and crun's default maskedPaths, files are covered with a read-only /dev/null and
 * directories with an empty read-only tmpfs; readonlyPaths (/proc/sys, sysrq-trigger, ...) are
 * bound read-only onto themselves. The masks are mounted after the proc itself, before the
 * root is entered, and the program cannot take them off: it has no capability to unmount, and
 * in a user namespace of its own the masks are locked to the proc they cover (the kernel also
 * refuses it a fresh proc of its own while this one is not fully visible). Nothing here
 * allocates: the paths are constants. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "rootfs.h"

#define MASK_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
/* /dev/null must stay a device to read as empty: only nodev is left out. */
#define NULL_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)

/* runc's maskedPaths, plus kallsyms (symbol names and, to a privileged reader, addresses) and
 * interrupts (per-CPU counts, a side channel on other users' activity). Missing ones are
 * skipped: which exist depends on the kernel's configuration. */
static const char *const masked[] = {
	"proc/acpi",	    "proc/asound",     "proc/interrupts", "proc/kallsyms",  "proc/kcore",
	"proc/keys",	    "proc/latency_stats", "proc/sched_debug", "proc/scsi",	"proc/timer_list",
	"proc/timer_stats",
};

/* runc's readonlyPaths: kernel tunables and the sysrq trigger. */
static const char *const read_only[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

#define N_MASKED (sizeof(masked) / sizeof(masked[0]))
#define N_READ_ONLY (sizeof(read_only) / sizeof(read_only[0]))

const char *rootfs_proc_mask_path(size_t i)
{
	return i < N_MASKED ? masked[i] : i < N_MASKED + N_READ_ONLY ? read_only[i - N_MASKED] : "proc";
}

static int attach(int mfd, int target)
{
	int r = move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -errno : 0;
	close(mfd);
	return r;
}

/* A detached clone of the mount at fd (not recursive) carrying attr. */
static int clone_with(int fd, uint64_t attr)
{
	int m = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (m < 0)
		return -errno;
	struct mount_attr a = { .attr_set = attr };
	if (mount_setattr(m, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
		int r = -errno;
		close(m);
		return r;
	}
	return m;
}

/* An empty tmpfs that nothing can write to. */
static int empty_dir_mount(void)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int m = -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, MASK_ATTR);
	int r = m < 0 ? -errno : m;
	close(fs);
	return r;
}

/* The file a masked file is covered with must really be the null device, whatever the root
 * holds at dev/null: reading it gives nothing. */
static int null_device_mount(int rootfd)
{
	struct stat st;
	_cleanup_close_ int fd = rootfs_openat2(rootfd, "dev/null", O_PATH, RESOLVE_STRICT);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return -ENODEV;
	return clone_with(fd, NULL_ATTR);
}

/* One mask; a file is covered with a clone of nullfd (the root's dev/null, already checked to
 * be 1:3), or, with nullfd -1, of dev/null opened and checked now. */
static int mask_one(int rootfd, int nullfd, const char *path, bool ro)
{
	struct stat st;
	_cleanup_close_ int fd = rootfs_openat2(rootfd, path, O_PATH, RESOLVE_STRICT);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	int m = ro		       ? clone_with(fd, MASK_ATTR)
		: S_ISDIR(st.st_mode) ? empty_dir_mount()
		: nullfd >= 0	       ? clone_with(nullfd, NULL_ATTR)
				       : null_device_mount(rootfd);
	return m < 0 ? m : attach(m, fd);
}

int rootfs_mask_one(int rootfd, const char *path, bool ro)
{
	return mask_one(rootfd, -1, path, ro);
}

/* The null device, opened and checked once for every masked file: mlrun's own root binds it
 * at dev/null before this runs, and nothing but this process can change that root meanwhile. */
int rootfs_mask_proc(int rootfd, size_t *failed)
{
	struct stat st;
	*failed = 0;
	_cleanup_close_ int nullfd = rootfs_openat2(rootfd, "dev/null", O_PATH, RESOLVE_STRICT);
	if (nullfd < 0)
		return nullfd;
	if (fstat(nullfd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return -ENODEV;
	for (size_t i = 0; i < N_MASKED + N_READ_ONLY; i++) {
		*failed = i;
		int r = mask_one(rootfd, nullfd, rootfs_proc_mask_path(i), i >= N_MASKED);
		if (r < 0)
			return r;
	}
	return 0;
}
