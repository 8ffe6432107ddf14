/* helper.c - running one of the host's own programs, verified by fd (helper.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "helper.h"

/* A directory or file only root can change: another user who could replace the program (or a
 * directory above it) would run his own code with our arguments and our rights. */
static bool root_only(const struct stat *st, uid_t root_alias)
{
	return (st->st_uid == 0 || st->st_uid == root_alias) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int helper_open_in(const char *dir, const char *name, uid_t root_alias, struct error *err)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return error_set(err, ENAMETOOLONG, "%s/%s: name too long", dir, name);
	_cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *comp = strtok_r(path, "/", &save); fd >= 0 && comp; comp = strtok_r(NULL, "/", &save)) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !root_only(&st, root_alias))
			return error_set(err, 0, "%s/%s: a directory on the way is not root's alone: not running it", dir, name);
		int next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || !root_only(&st, root_alias) || !(st.st_mode & S_IXOTH))
		return error_set(err, 0, "%s/%s is not a regular executable owned by root and writable by root "
				 "alone: not running it", dir, name);
	return TAKE_FD(fd);
}

int helper_open(const char *name, uid_t root_alias, struct error *err)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd = helper_open_in(dirs[i], name, root_alias, err);
		if (fd != -ENOENT)
			return fd;
	}
	return -ENOENT;
}

int helper_start(struct helper_run *h, int exe, char *const argv[], struct error *err)
{
	int out[2];
	h->pid = -1;
	h->out = -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		return error_set(err, errno, "cannot create a pipe for %s", argv[0]);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0) {
		int e = errno;
		close(out[0]), close(out[1]);
		return error_set(err, e, "cannot open /dev/null for %s", argv[0]);
	}
	sigset_t none;
	sigemptyset(&none);
	char *const envp[] = { NULL };
	/* vfork: the child shares our memory until its execveat and touches nothing but its own
	 * fd table and signal mask (a fork would copy-on-write-fault our pages for nothing). */
	pid_t pid = vfork();
	if (pid == 0) {
		if (dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		sigprocmask(SIG_SETMASK, &none, NULL);
		syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
		_exit(127);
	}
	int e = errno;
	close(null);
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		return error_set(err, e, "cannot start %s", argv[0]);
	}
	h->pid = pid;
	h->out = out[0];
	return 0;
}

int helper_finish(struct helper_run *h, const char *name, char *out, size_t size, struct error *err)
{
	size_t len = 0;
	char rest[256];
	ssize_t got;
	while (h->out >= 0 &&
	       (got = len + 1 < size ? read(h->out, out + len, size - 1 - len) : read(h->out, rest, sizeof(rest))) != 0)
		if (got > 0 && len + 1 < size)
			len += (size_t)got;
		else if (got < 0 && errno != EINTR)
			break;
	if (size)
		out[len] = '\0';
	if (h->out >= 0)
		close(h->out);
	h->out = -1;
	int status = 0;
	while (waitpid(h->pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "cannot wait for %s", name);
	h->pid = -1;
	return status;
}

void helper_abort(struct helper_run *h)
{
	if (h->out >= 0)
		close(h->out);
	h->out = -1;
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	h->pid = -1;
}
