/* scan.c - running the Python analyzer: for `mlrun run`'s [analysis] gate (analysis.c) and
 * for `mlrun scan` (tools/scan.c).
 *
 * The analyzer (tools/scan/mlrun_scan.py, docs/scan.md) parses hostile input, so it runs in a
 * strict sandbox of its own, without the file system: mlrun hands it the source as its stdin
 * (an fd it opened itself, or a sealed memfd of the bytes the run will execute). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../lib/cleanup.h"
#include "exitcodes.h"
#include "../lib/error.h"
#include "scan.h"

#define ANALYZER "mlrun_scan.py"

/* The directory holding the analyzer and the strict policy: next to the binary in the source
 * tree (tools/scan, policies), else the installed data directory. */
#define SCAN_PATH_MAX (PATH_MAX + 64)
static int find_file(const char *exe_dir, const char *dev_rel, const char *installed, char out[SCAN_PATH_MAX])
{
	const char *dirs[] = { exe_dir, mlrun_datadir() }, *rels[] = { dev_rel, installed };
	for (size_t i = 0; i < 2; i++) {
		size_t a = strlen(dirs[i]), b = strlen(rels[i]);
		if (a + 1 + b >= SCAN_PATH_MAX)
			continue;
		memcpy(out, dirs[i], a);
		out[a] = '/';
		memcpy(out + a + 1, rels[i], b + 1);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Start the analyzer on FILE (already open as in_fd) with its stdout on out_fd. */
static pid_t spawn_analyzer(const char *file, int in_fd, int out_fd, bool json, struct error *err)
{
	char exe[PATH_MAX], analyzer[SCAN_PATH_MAX], policy[SCAN_PATH_MAX], bind[2 * PATH_MAX], exe_dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return error_set(err, errno, "scan: cannot find the mlrun binary");
	exe[n] = '\0';
	snprintf(exe_dir, sizeof(exe_dir), "%s", exe);
	dirname(exe_dir);
	/* Say where it looked: a copied binary has neither a build tree nor an install beside it. */
	if (find_file(exe_dir, "tools/scan/" ANALYZER, "scan/" ANALYZER, analyzer) < 0)
		return error_set(err, 0, "scan: the analyzer " ANALYZER " is in neither %s/tools/scan (a build tree "
				 "next to this mlrun) nor %s/scan (installed by `make install`)", exe_dir, mlrun_datadir());
	if (find_file(exe_dir, "policies/strict.ini", "policies/strict.ini", policy) < 0)
		return error_set(err, 0, "scan: the strict policy is in neither %s/policies (a build tree next to "
				 "this mlrun) nor %s/policies (installed by `make install`)", exe_dir, mlrun_datadir());
	snprintf(bind, sizeof(bind), "%s:/opt/mlrun-scan", dirname(analyzer));

	char *args[] = { exe, "-q", "--policy", policy, "--workdir", "none", "--net", "none", "--ro-bind", bind, "--",
			 "/usr/bin/python3", "-I", "-B", "/opt/mlrun-scan/" ANALYZER, "--name", (char *)file,
			 json ? NULL : "--text", NULL };
	pid_t pid = fork();
	if (pid < 0)
		return error_set(err, errno, "scan: cannot fork");
	if (pid == 0) {
		if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
			_exit(EXIT_MLRUN_ERROR);
		execv(exe, args);
		_exit(EXIT_MLRUN_ERROR);
	}
	return pid;
}

static int wait_analyzer(pid_t pid, struct error *err)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "scan: cannot wait for the analyzer");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return error_set(err, 0, "scan: the analyzer failed (%s %d)", WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* The source as the analyzer's stdin: a sealed memfd holding exactly these bytes (no pipe to
 * keep fed, and the analyzer cannot change what it reads). */
static int source_memfd(const char *src, size_t len, struct error *err)
{
	_cleanup_close_ int fd = memfd_create("mlrun-scan-source", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return error_set(err, errno, "scan: cannot create a memfd");
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, src + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : EIO, "scan: cannot copy the source");
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return error_set(err, errno, "scan: cannot seal the source");
	return TAKE_FD(fd);
}

int scan_bytes_json(const char *name, const char *src, size_t len, char **json, struct error *err)
{
	*json = NULL;
	_cleanup_close_ int fd = source_memfd(src, len, err);
	if (fd < 0)
		return fd;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_set(err, errno, "scan: cannot create a pipe");
	pid_t pid = spawn_analyzer(name, fd, pipefd[1], true, err);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return pid;
	}
	/* The analyzer prints one JSON line; read it all, then reap. */
	_cleanup_fclose_ FILE *in = fdopen(pipefd[0], "re");
	size_t cap = 0;
	ssize_t got = in ? getdelim(json, &cap, '\0', in) : -1;
	int r = wait_analyzer(pid, err);
	if (r == 0 && got <= 0)
		r = error_set(err, EIO, "scan: the analyzer printed nothing");
	if (r < 0) {
		free(*json);
		*json = NULL;
	}
	return r;
}

int scan_run_fd(const char *name, int in_fd, int out_fd, bool json, struct error *err)
{
	pid_t pid = spawn_analyzer(name, in_fd, out_fd, json, err);
	if (pid < 0)
		return pid;
	return wait_analyzer(pid, err);
}
