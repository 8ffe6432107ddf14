#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "paths.h"

/* The running binary's directory, or "" when /proc/self/exe cannot be read. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	static bool done;

	if (!done) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		char *slash;

		dir[n > 0 ? n : 0] = '\0';
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		done = true;
	}
	return dir;
}

const char *mlrun_datadir(void)
{
	static char dir[PATH_MAX];
	struct stat st;

	if (dir[0])
		return dir;
	if (exe_dir()[0] && snprintf(dir, sizeof(dir), "%s/../share/mlrun", exe_dir()) < (int)sizeof(dir) &&
	    stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return dir;
	snprintf(dir, sizeof(dir), "%s", MLRUN_DATADIR);
	return dir;
}

const char *const *mlrun_helper_dirs(void)
{
	static const char *dirs[4];
	static char installed[PATH_MAX];

	if (!dirs[0]) {
		size_t n = 0;

		if (exe_dir()[0]) {
			dirs[n++] = exe_dir(); /* a checkout */
			/* PREFIX/bin/mlrun: PREFIX/libexec/mlrun, wherever PREFIX was moved */
			const char *slash = strrchr(exe_dir(), '/');
			if (slash && snprintf(installed, sizeof(installed), "%.*s/libexec/mlrun", (int)(slash - exe_dir()),
					      exe_dir()) < (int)sizeof(installed))
				dirs[n++] = installed;
		}
		dirs[n++] = MLRUN_LIBEXECDIR;
		dirs[n] = NULL;
	}
	return dirs;
}

const char *const *mlrun_policy_dirs(void)
{
	static const char *dirs[3];

	if (!dirs[0]) {
		size_t n = 0;

		dirs[n++] = mlrun_datadir();
		if (exe_dir()[0])
			dirs[n++] = exe_dir();
		dirs[n] = NULL;
	}
	return dirs;
}

/* "/dev/stdout", "/dev/stderr", "/dev/fd/N", "/proc/self/fd/N": the caller hands over one of
 * its own descriptors (`--report /dev/fd/3`, a shell's `>(jq .)`); it is used as it is, never
 * resolved as a path. Returns the fd number or -1. */
static int caller_fd(const char *path)
{
	static const char *const prefixes[] = { "/dev/fd/", "/proc/self/fd/" };
	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		char *end;
		if (strncmp(path, prefixes[i], n) || !path[n] || path[n] < '0' || path[n] > '9')
			continue;
		long fd = strtol(path + n, &end, 10);
		return *end || fd > INT_MAX ? -1 : (int)fd;
	}
	return -1;
}

/* O_NOFOLLOW and no O_TRUNC: a link or another user's file planted at the path (in /tmp, in a
 * shared directory) is refused before a byte of it changes. O_NONBLOCK: a FIFO planted there
 * cannot hang the run (ENXIO without a reader). Besides the caller's own regular files and
 * FIFOs, root's character devices (/dev/null, /dev/tty) are accepted. */
int paths_open_output(int dirfd, const char *path, const char *what, bool keep, bool *created,
		      struct error *err)
{
	const int flags = O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK;
	int own = caller_fd(path);
	if (own >= 0) {
		int fl = fcntl(own, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			return error_set(err, fl < 0 ? errno : EBADF, "cannot write the %s to %s", what, path);
		if (created)
			*created = false;
		int fd = fcntl(own, F_DUPFD_CLOEXEC, 3);
		return fd >= 0 ? fd : error_set(err, errno, "cannot write the %s to %s", what, path);
	}
	_cleanup_close_ int fd = openat(dirfd, path, flags | O_CREAT | O_EXCL, 0644);
	bool made = fd >= 0;
	struct stat st;

	if (fd < 0 && errno == EEXIST)
		fd = openat(dirfd, path, flags);
	if (fd < 0)
		return error_set(err, errno == ELOOP ? 0 : errno,
				 errno == ELOOP ? "refusing to write the %s to %s: it is a symbolic link"
						: "cannot write the %s to %s",
				 what, path);
	if (fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, O_WRONLY) < 0)
		return error_set(err, errno, "cannot write the %s to %s", what, path);
	if (S_ISCHR(st.st_mode) && st.st_uid == 0) {
		if (created)
			*created = false;
		return TAKE_FD(fd);
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		return error_set(err, 0, "refusing to write the %s to %s: not a regular file", what, path);
	if (st.st_uid != geteuid())
		return error_set(err, 0, "refusing to write the %s to %s: it belongs to uid %u, not to uid %u; "
				 "remove it or choose another path", what, path, (unsigned)st.st_uid,
				 (unsigned)geteuid());
	if (S_ISFIFO(st.st_mode))
		keep = true;
	if (!keep && ftruncate(fd, 0) < 0)
		return error_set(err, errno, "cannot truncate %s", path);
	if (created)
		*created = made;
	return TAKE_FD(fd);
}
