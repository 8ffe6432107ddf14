/* scan.c - `mlrun scan FILE.py [--json]`: static analysis of Python source.
 *
 * The analyzer (tools/scan/mlrun_scan.py, docs/scan.md) parses hostile input, so it runs in a
 * strict sandbox of its own, without the file system: mlrun opens FILE itself and pipes it in
 * as the analyzer's stdin. The analyzer's JSON (or table) goes straight to stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exitcodes.h"
#include "scan.h"

#define ANALYZER "mlrun_scan.py"

/* The directory holding the analyzer and the strict policy: next to the binary in the source
 * tree (tools/scan, policies), else the installed data directory. */
#define SCAN_PATH_MAX (PATH_MAX + 64)
static int find_file(const char *exe_dir, const char *dev_rel, const char *installed, char out[SCAN_PATH_MAX])
{
	const char *dirs[] = { exe_dir, MLRUN_DATADIR }, *rels[] = { dev_rel, installed };
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

int scan_main(int argc, char **argv)
{
	const char *file = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-' || file) {
			fprintf(stderr, "mlrun: scan: unexpected argument '%s' (usage: mlrun scan FILE.py [--json])\n", argv[i]);
			return EXIT_MLRUN_ERROR;
		} else
			file = argv[i];
	}
	if (!file) {
		fprintf(stderr, "mlrun: scan: no file given (usage: mlrun scan FILE.py [--json])\n");
		return EXIT_MLRUN_ERROR;
	}
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mlrun: %s: %s\n", file, strerror(errno));
		return EXIT_MLRUN_ERROR;
	}

	char exe[PATH_MAX], analyzer[SCAN_PATH_MAX], policy[SCAN_PATH_MAX], bind[2 * PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		fprintf(stderr, "mlrun: scan: cannot find the mlrun binary: %s\n", strerror(errno));
		return EXIT_MLRUN_ERROR;
	}
	exe[n] = '\0';
	char exe_dir[PATH_MAX];
	snprintf(exe_dir, sizeof(exe_dir), "%s", exe);
	dirname(exe_dir);
	if (find_file(exe_dir, "tools/scan/" ANALYZER, "scan/" ANALYZER, analyzer) < 0 ||
	    find_file(exe_dir, "policies/strict.ini", "policies/strict.ini", policy) < 0) {
		fprintf(stderr, "mlrun: scan: the analyzer or the strict policy is not installed (%s)\n", MLRUN_DATADIR);
		return EXIT_MLRUN_ERROR;
	}
	snprintf(bind, sizeof(bind), "%s:/opt/mlrun-scan", dirname(analyzer));

	char *args[] = { exe, "-q", "--policy", policy, "--workdir", "none", "--net", "none", "--ro-bind", bind, "--",
			 "/usr/bin/python3", "-I", "-B", "/opt/mlrun-scan/" ANALYZER, "--name", (char *)file,
			 json ? NULL : "--text", NULL };
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mlrun: scan: cannot fork: %s\n", strerror(errno));
		return EXIT_MLRUN_ERROR;
	}
	if (pid == 0) {
		if (dup2(fd, 0) < 0)
			_exit(EXIT_MLRUN_ERROR);
		execv(exe, args);
		_exit(EXIT_MLRUN_ERROR);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_MLRUN_ERROR;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "mlrun: scan: the analyzer failed (%s %d)\n", WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return EXIT_MLRUN_ERROR;
}
