/* attacks.c - the probe's escape attempts (tests/seccomp.bats, tests/landlock.bats and
 * `mlrun audit`). Same conventions as probe.c: print what happened, exit 0 when the attempted
 * action succeeded, 1 when it failed.
 *
 *   probe syscall NAME [ARG...]    the raw syscall with numeric args; "ok RET" or "errno NAME"
 *   probe syscall-nr NR [ARG...]   likewise by number (syscalls newer than the headers)
 *   probe loop NAME N [ARG...]     N calls, then "ns_per_call X" (the cost of a verdict)
 *   probe threads N NAME [ARG...]  N threads make the syscall at once; "denied K of N"
 *   probe x32 NR | probe int80 NR  a syscall through the x32 ABI / the i386 ABI
 *   probe ptrace-child             PTRACE_ATTACH to a child of its own
 *   probe userns                   unshare a user namespace; print the capabilities gained
 *   probe mount DIR                mount a tmpfs on DIR
 *   probe abstract NAME            connect to the abstract unix socket @NAME
 *   probe bpf | io_uring | perf    create a BPF map / an io_uring / a perf event of its own
 *   probe mknod PATH               create a character device (1:3, like /dev/null)
 *   probe open-write PATH          open PATH for writing without creating or truncating it
 *   probe caps                     "CapEff HEX NoNewPrivs N"
 *   probe exec PATH [ARG...]       execve PATH */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 6
#define X32_SYSCALL_BIT 0x40000000

#define S(n) { #n, SYS_##n }
static const struct {
	const char *name;
	long nr;
} table[] = {
	S(mount), S(umount2), S(fsopen), S(fsmount), S(move_mount), S(open_tree), S(mount_setattr), S(fsconfig),
	S(fspick), S(pivot_root), S(chroot), S(unshare), S(setns), S(clone), S(clone3), S(ptrace),
	S(process_vm_readv), S(process_vm_writev), S(kcmp), S(keyctl), S(add_key), S(request_key), S(bpf),
	S(perf_event_open), S(userfaultfd), S(io_uring_setup), S(io_uring_enter), S(io_uring_register),
	S(kexec_load), S(kexec_file_load), S(init_module), S(finit_module), S(delete_module), S(reboot),
	S(swapon), S(swapoff), S(settimeofday), S(clock_settime), S(clock_adjtime), S(adjtimex), S(acct),
	S(quotactl), S(open_by_handle_at), S(name_to_handle_at), S(personality), S(ioctl), S(socket),
	S(lookup_dcookie), S(vhangup), S(syslog), S(nfsservctl), S(uselib), S(ustat), S(sysfs), S(_sysctl),
	S(create_module), S(get_kernel_syms), S(query_module), S(fanotify_init), S(pidfd_getfd), S(getpid),
	S(getppid), S(sethostname), S(setdomainname), S(iopl), S(ioperm), S(modify_ldt), S(mbind),
	S(set_mempolicy), S(get_mempolicy), S(move_pages), S(migrate_pages), S(process_madvise), S(seccomp),
	S(quotactl_fd), S(uname), S(memfd_create), S(getrandom), S(sched_yield),
};

static int fail(void)
{
	printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	return 1;
}

static long lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].nr;
	return -1;
}

static void parse_args(int argc, char **argv, unsigned long a[MAX_ARGS])
{
	memset(a, 0, sizeof(unsigned long) * MAX_ARGS);
	for (int i = 0; i < argc && i < MAX_ARGS; i++)
		a[i] = strtoul(argv[i], NULL, 0);
}

/* A clone that succeeds must not leave two probes running the rest of main. */
static long raw(long nr, const unsigned long a[MAX_ARGS])
{
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r == 0 && nr == SYS_clone)
		_exit(0);
	if (r > 0 && nr == SYS_clone)
		waitpid((pid_t)r, NULL, __WALL);
	return r;
}

static int cmd_syscall(long nr, int argc, char **argv)
{
	unsigned long a[MAX_ARGS];
	if (nr < 0) {
		printf("unknown syscall\n");
		return 2;
	}
	parse_args(argc, argv, a);
	long r = raw(nr, a);
	if (r < 0)
		return fail();
	printf("ok %ld\n", r);
	return 0;
}

static int cmd_loop(long nr, long n, int argc, char **argv)
{
	unsigned long a[MAX_ARGS];
	struct timespec t0, t1;
	parse_args(argc, argv, a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		raw(nr, a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("ns_per_call %.0f\n", n > 0 ? ns / (double)n : 0);
	return 0;
}

struct thread_arg {
	long nr;
	unsigned long a[MAX_ARGS];
	int err;
};

static void *thread_call(void *p)
{
	struct thread_arg *t = p;
	t->err = raw(t->nr, t->a) < 0 ? errno : 0;
	return NULL;
}

static int cmd_threads(int n, long nr, int argc, char **argv)
{
	pthread_t th[64];
	struct thread_arg args[64];
	int denied = 0;
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		args[i].nr = nr;
		parse_args(argc, argv, args[i].a);
		if (pthread_create(&th[i], NULL, thread_call, &args[i]) != 0)
			return fail();
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		denied += args[i].err == EPERM;
	}
	printf("denied %d of %d\n", denied, n);
	return denied == 0 ? 0 : 1;
}

static int cmd_int80(long nr)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
	printf("returned %ld\n", r);
	return r < 0;
}

static int cmd_ptrace_child(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	long r = ptrace(PTRACE_ATTACH, c, NULL, NULL);
	int e = errno;
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	errno = e;
	if (r < 0)
		return fail();
	printf("attached\n");
	return 0;
}

static void print_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256], eff[64] = "?", nnp[16] = "?";
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "CapEff: %63s", eff);
		sscanf(line, "NoNewPrivs: %15s", nnp);
	}
	if (f)
		fclose(f);
	printf("CapEff %s NoNewPrivs %s\n", eff, nnp);
}

static int cmd_userns(void)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return fail();
	print_caps();
	return 0;
}

static int cmd_abstract(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return fail();
	if (len > sizeof(a.sun_path) - 1)
		len = sizeof(a.sun_path) - 1;
	memcpy(a.sun_path + 1, name, len);
	if (connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0)
		return fail();
	printf("connected\n");
	return 0;
}

static int cmd_bpf(void)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	if (syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)) < 0)
		return fail();
	printf("map created\n");
	return 0;
}

static int cmd_io_uring(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	if (syscall(SYS_io_uring_setup, 4, &p) < 0)
		return fail();
	printf("ring created\n");
	return 0;
}

static int cmd_perf(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	if (syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) < 0)
		return fail();
	printf("event opened\n");
	return 0;
}

static int cmd_mount(const char *dir)
{
	if (mount("none", dir, "tmpfs", 0, NULL) < 0)
		return fail();
	printf("mounted\n");
	return 0;
}

static int cmd_mknod(const char *path)
{
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) < 0)
		return fail();
	printf("created\n");
	return 0;
}

static int cmd_open_write(const char *path)
{
	if (open(path, O_WRONLY) < 0)
		return fail();
	printf("opened\n");
	return 0;
}

/* Returns -1 for a command that is not one of these. */
int probe_attack(int argc, char **argv)
{
	const char *c = argv[1];
	const char *a1 = argc > 2 ? argv[2] : "";
	if (!strcmp(c, "syscall") && argc > 2)
		return cmd_syscall(lookup(a1), argc - 3, argv + 3);
	if (!strcmp(c, "syscall-nr") && argc > 2)
		return cmd_syscall(strtol(a1, NULL, 0), argc - 3, argv + 3);
	if (!strcmp(c, "loop") && argc > 3)
		return cmd_loop(lookup(a1), atol(argv[3]), argc - 4, argv + 4);
	if (!strcmp(c, "threads") && argc > 3)
		return cmd_threads(atoi(a1), lookup(argv[3]), argc - 4, argv + 4);
	if (!strcmp(c, "x32"))
		return cmd_syscall(strtol(a1, NULL, 0) | X32_SYSCALL_BIT, 0, NULL);
	if (!strcmp(c, "int80"))
		return cmd_int80(strtol(a1, NULL, 0));
	if (!strcmp(c, "ptrace-child"))
		return cmd_ptrace_child();
	if (!strcmp(c, "userns"))
		return cmd_userns();
	if (!strcmp(c, "mount"))
		return cmd_mount(a1);
	if (!strcmp(c, "abstract"))
		return cmd_abstract(a1);
	if (!strcmp(c, "bpf"))
		return cmd_bpf();
	if (!strcmp(c, "io_uring"))
		return cmd_io_uring();
	if (!strcmp(c, "perf"))
		return cmd_perf();
	if (!strcmp(c, "mknod"))
		return cmd_mknod(a1);
	if (!strcmp(c, "open-write"))
		return cmd_open_write(a1);
	if (!strcmp(c, "caps"))
		return print_caps(), 0;
	if (!strcmp(c, "exec") && argc > 2)
		return execv(a1, argv + 2), fail();
	return -1;
}
