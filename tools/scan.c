/* scan.c - `mlrun scan FILE.py [--json]`: static analysis of Python source.
 *
 * mlrun opens FILE itself and hands it to the analyzer, which runs in a strict sandbox of its
 * own (runtime/scan.c); the analyzer's JSON (or table) goes straight to stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../runtime/exitcodes.h"
#include "../runtime/scan.h"
#include "scan.h"

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
	struct error err = { 0 };
	/* O_NONBLOCK: a FIFO at the path must not hang the open; only a regular file is read (the
	 * analyzer reads it as its stdin, and Python aborts on a directory with a core dump text). */
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "mlrun: %s: %s\n", file, strerror(errno));
		return EXIT_MLRUN_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "mlrun: scan: %s is %s, not a file (usage: mlrun scan FILE.py [--json])\n", file,
			S_ISDIR(st.st_mode) ? "a directory" : "a special file");
		return EXIT_MLRUN_ERROR;
	}
	if (scan_run_fd(file, fd, 1, json, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return EXIT_MLRUN_ERROR;
	}
	return 0;
}
