/* syscalls.c - the built-in profiles and syscall names (pure logic: tables and lookups).
 *
 * "default" is a deny-list at least as tight as Docker's default profile for a container
 * without capabilities (moby profiles/seccomp/default.json): every syscall Docker allows only
 * with a capability is denied here (but the NUMA policy calls on the caller's own memory,
 * which Docker gates behind CAP_SYS_NICE), and so are ptrace, process_vm_*, io_uring, the time
 * setters and the syscalls newer than libseccomp's table. "strict" is an allow-list: what
 * CPython with numpy (reference BLAS or OpenBLAS), scipy, scikit-learn, pandas and PyTorch use
 * for CPU work (tests/ml/ proves it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/cleanup.h"
#include "syscalls.h"

/* Syscalls newer than libseccomp 2.5.4's table (one number on every architecture since the
 * syscall table unification at 424). */
static const struct {
	int nr;
	const char *name;
} newer[] = {
	{ 451, "cachestat" },	   { 452, "fchmodat2" },     { 453, "map_shadow_stack" }, { 454, "futex_wake" },
	{ 455, "futex_wait" },	   { 456, "futex_requeue" }, { 457, "statmount" },	  { 458, "listmount" },
	{ 459, "lsm_get_self_attr" }, { 460, "lsm_set_self_attr" }, { 461, "lsm_list_modules" },
	{ 462, "mseal" },	   { 463, "setxattrat" },    { 464, "getxattrat" },	  { 465, "listxattrat" },
	{ 466, "removexattrat" },  { 467, "open_tree_attr" }, { 468, "file_getattr" },   { 469, "file_setattr" },
};

/* Filesystem mounts: remounting or moving the sandbox's read-only root. */
#define DENY_MOUNT "mount", "umount2", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", \
		   "open_tree_attr", "mount_setattr", "pivot_root", "chroot", "statmount", "listmount"
/* Namespaces: a new user namespace hands out a full capability set again. */
#define DENY_NS "unshare", "setns"
/* Other processes' memory and file descriptors. */
#define DENY_PROC "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd"
/* Large kernel attack surfaces an ML program does not need. */
#define DENY_SURFACE "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", \
		     "io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init", "lookup_dcookie", \
		     "open_by_handle_at", "name_to_handle_at", "modify_ldt", "lsm_set_self_attr", \
		     "lsm_get_self_attr", "lsm_list_modules"
/* The machine itself: modules, kexec, power, swap, clocks, accounting, quotas, the kernel log. */
#define DENY_HOST "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", \
		  "create_module", "get_kernel_syms", "query_module", "reboot", "swapon", "swapoff", \
		  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "acct", "quotactl", "quotactl_fd", \
		  "syslog", "vhangup", "iopl", "ioperm", "sethostname", "setdomainname"
/* NUMA placement of other processes' pages (they take a pid). mbind, set_mempolicy, get_mempolicy
 * and set_mempolicy_home_node act on the caller's own memory and are allowed (strict_allow). */
#define DENY_NUMA "migrate_pages", "move_pages"
/* Obsolete or unimplemented entry points, kept out for good. */
#define DENY_OBSOLETE "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", \
		      "tuxcall", "security", "vserver"

static const char *const default_deny[] = { DENY_MOUNT, DENY_NS, DENY_PROC, DENY_SURFACE, DENY_HOST, DENY_NUMA,
					    DENY_OBSOLETE };

/* Newer than libseccomp but harmless: allowed by "default" although unknown numbers are not. */
static const char *const default_allow_newer[] = { "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake",
						   "futex_wait", "futex_requeue", "mseal", "setxattrat",
						   "getxattrat", "listxattrat", "removexattrat", "file_getattr",
						   "file_setattr" };

/* Allowed only with safe arguments (filter.c lists the unsafe values). */
static const char *const args_filtered[] = { "clone", "socket", "socketpair", "ioctl", "personality" };

static const char *const strict_allow[] = {
	/* processes and threads */
	"arch_prctl", "brk", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex", "futex_waitv", "gettid",
	"getpid", "getppid", "getpgid", "getpgrp", "getsid", "setsid", "setpgid", "prctl", "capget", "getrlimit",
	"setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority", "uname", "sysinfo", "times",
	"membarrier", "getcpu", "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
	"sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "sched_getattr",
	"sched_rr_get_interval", "ioprio_get",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	/* signals and time */
	"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "pause",
	"restart_syscall", "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_gettime",
	"timer_settime", "timer_getoverrun", "timerfd_create", "timerfd_gettime", "timerfd_settime",
	"nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"pidfd_open", "pidfd_send_signal",
	/* memory */
	"mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync", "mlock", "munlock", "mlock2",
	"mlockall", "munlockall", /* bounded by RLIMIT_MEMLOCK like mlock: no CAP_IPC_LOCK in the sandbox */
	"memfd_create", "pkey_alloc", "pkey_free", "pkey_mprotect",
	/* NUMA policy of the caller's own memory (OpenBLAS, PyTorch): moving pages shared with others
	 * (MPOL_MF_MOVE_ALL) needs CAP_SYS_NICE, which the sandbox never holds */
	"mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
	/* files */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"open", "openat", "openat2", "creat", "close", "close_range", "lseek", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
	"chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate",
	"fallocate", "fsync", "fdatasync", "flock", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "umask",
	"utime", "utimes", "utimensat", "futimesat", "fadvise64", "readahead", "sendfile", "copy_file_range",
	"splice", "tee", "mknod", "mknodat", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
	"flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
	/* waiting for events */
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "inotify_init",
	"inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	/* sockets (socket itself is argument-filtered) and System V shared memory/semaphores */
	"socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
	"getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"shutdown", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
	"getrandom",
};

static const char *const required[] = { "execve", "sendmsg", "close", "write", "exit_group" };

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

int syscall_resolve(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr >= 0)
		return nr < SYSCALL_NR_MAX ? nr : -1;
	for (size_t i = 0; i < ARRAY_SIZE(newer); i++)
		if (strcmp(newer[i].name, name) == 0)
			return newer[i].nr;
	return -1;
}

const char *syscall_name(int nr, char *buf, size_t len)
{
	_cleanup_free_ char *n = nr >= 0 ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr) : NULL;
	if (n) {
		snprintf(buf, len, "%s", n);
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(newer); i++)
		if (newer[i].nr == nr) {
			snprintf(buf, len, "%s", newer[i].name);
			return buf;
		}
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

bool syscall_is_required(const char *name)
{
	return in_list(required, ARRAY_SIZE(required), name);
}

const char *syscall_list_problem(const char *name, const char *key, char *buf, size_t len)
{
	if (syscall_resolve(name) < 0)
		snprintf(buf, len, "unknown syscall '%s' in [security] %s", name, key);
	else if (strcmp(key, "deny_syscalls") == 0 && syscall_is_required(name))
		snprintf(buf, len, "'%s' in [security] deny_syscalls cannot be denied: mlrun needs it to start the program",
			 name);
	else
		return NULL;
	return buf;
}

/* Names in these tables are ours: one missing from libseccomp's table on this architecture
 * (an x86-only name elsewhere) is simply skipped. */
static void set_names(struct syscall_profile *sp, const char *const *names, size_t n, enum syscall_verdict v)
{
	for (size_t i = 0; i < n; i++) {
		int nr = syscall_resolve(names[i]);
		if (nr >= 0)
			sp->verdict[nr] = (uint8_t)v;
	}
}

/* Numbers past the last one libseccomp can name are syscalls added after it was built:
 * a deny-list denies them until someone has looked at them. */
static void deny_unknown_numbers(struct syscall_profile *sp)
{
	int last_known = 0;
	/* From the top down, stopping at the first name: each lookup is a linear search of
	 * libseccomp's table, and all 512 of them cost ~60 us on every run of a deny-list. */
	for (int nr = SYSCALL_NR_MAX - 1; nr > 0 && !last_known; nr--) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (n)
			last_known = nr;
		free(n);
	}
	for (int nr = last_known + 1; nr < SYSCALL_NR_MAX; nr++)
		sp->verdict[nr] = SV_DENY;
}

int syscall_profile_builtin(struct syscall_profile *sp, const char *name)
{
	memset(sp, 0, sizeof(*sp));
	if (strcmp(name, "default") == 0) {
		sp->default_allow = true;
		deny_unknown_numbers(sp);
		set_names(sp, default_allow_newer, ARRAY_SIZE(default_allow_newer), SV_ALLOW);
		set_names(sp, default_deny, ARRAY_SIZE(default_deny), SV_DENY);
	} else if (strcmp(name, "strict") == 0) {
		sp->default_allow = false;
		set_names(sp, strict_allow, ARRAY_SIZE(strict_allow), SV_ALLOW);
	} else {
		return -ENOENT;
	}
	set_names(sp, args_filtered, ARRAY_SIZE(args_filtered), SV_ARGS);
	set_names(sp, (const char *const[]){ "clone3" }, 1, SV_ENOSYS);
	return 0;
}

static int set_verdict(struct syscall_profile *sp, const char *name, enum syscall_verdict v, const char *where,
		       struct error *err)
{
	int nr = syscall_resolve(name);
	/* Not echoed: the word may be a line of any file the profile path names (/etc/shadow). */
	if (nr < 0)
		return error_set(err, 0, "%s: not a syscall name this libseccomp knows", where);
	if (v == SV_DENY && syscall_is_required(name))
		return error_set(err, 0, "%s: '%s' cannot be denied: mlrun needs it to start the program", where,
				 name);
	sp->verdict[nr] = (uint8_t)v;
	return 0;
}

static int profile_line(struct syscall_profile *sp, char *line, const char *where, bool *seen_rule,
			struct error *err)
{
	char *save = NULL, *word = strtok_r(line, " \t\r\n", &save);
	if (!word || word[0] == '#')
		return 0;
	if (strcmp(word, "default") == 0) {
		char *what = strtok_r(NULL, " \t\r\n", &save);
		if (*seen_rule || !what || (strcmp(what, "allow") != 0 && strcmp(what, "deny") != 0) ||
		    strtok_r(NULL, " \t\r\n", &save))
			return error_set(err, 0, "%s: expected 'default allow' or 'default deny' before any rule",
					 where);
		sp->default_allow = strcmp(what, "allow") == 0;
		return 0;
	}
	*seen_rule = true;
	enum syscall_verdict v = SV_ALLOW;
	if (strcmp(word, "allow") == 0 || strcmp(word, "deny") == 0) {
		v = strcmp(word, "deny") == 0 ? SV_DENY : SV_ALLOW;
		word = strtok_r(NULL, " \t\r\n", &save);
		if (!word)
			return error_set(err, 0, "%s: expected a syscall name", where);
	}
	for (; word && word[0] != '#'; word = strtok_r(NULL, " \t\r\n", &save)) {
		int r = set_verdict(sp, word, v, where, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int syscall_profile_load(struct syscall_profile *sp, const char *path, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char where[4200];
	bool seen_rule = false;
	int r, lineno = 0;
	struct stat st;

	/* Opened once and read from this fd: the file checked is the file parsed. */
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot open the seccomp profile %s", path);
	if (!S_ISREG(st.st_mode))
		return error_set(err, 0, "the seccomp profile %s is not a regular file", path);
	if (!(f = fdopen(fd, "re")))
		return error_set(err, errno, "cannot read the seccomp profile %s", path);
	fd = -1; /* f owns it now */
	memset(sp, 0, sizeof(*sp));
	while (getline(&line, &cap, f) >= 0) {
		snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
		if ((r = profile_line(sp, line, where, &seen_rule, err)) < 0)
			return r;
	}
	if (ferror(f))
		return error_set(err, EIO, "cannot read the seccomp profile %s", path);
	/* The same argument rules as the built-in profiles for what the file allows. */
	for (size_t i = 0; i < ARRAY_SIZE(args_filtered); i++) {
		int nr = syscall_resolve(args_filtered[i]);
		if (nr >= 0 && (sp->verdict[nr] == SV_ALLOW || (sp->verdict[nr] == SV_UNSET && sp->default_allow)))
			sp->verdict[nr] = SV_ARGS;
	}
	int clone3 = syscall_resolve("clone3");
	if (clone3 >= 0 && sp->verdict[clone3] != SV_DENY)
		sp->verdict[clone3] = SV_ENOSYS;
	return 0;
}

int syscall_profile_adjust(struct syscall_profile *sp, char *const *allow, size_t n_allow, char *const *deny,
			   size_t n_deny, struct error *err)
{
	int r;
	for (size_t i = 0; i < n_allow; i++)
		if ((r = set_verdict(sp, allow[i], SV_ALLOW, "[security] allow_syscalls", err)) < 0)
			return r;
	for (size_t i = 0; i < n_deny; i++)
		if ((r = set_verdict(sp, deny[i], SV_DENY, "[security] deny_syscalls", err)) < 0)
			return r;
	set_names(sp, required, ARRAY_SIZE(required), SV_ALLOW);
	return 0;
}
