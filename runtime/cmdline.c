/* cmdline.c - the sandbox's pid 1 must not show mlrun's own command line.
 *
 * pid 1 of the sandbox is a fork of mlrun, so until it is told otherwise the kernel shows the
 * program mlrun's argv and environment as /proc/1/cmdline (readable by anyone) and
 * /proc/1/environ: the caller's binds, --env values, report paths, the host environment. The
 * parent finds where the kernel keeps those strings; the child overwrites its copy of them
 * before the program is forked, in place (nothing allocated, nothing moved). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "sandbox.h"

#define INIT_TITLE "mlrun-init"
#define STAT_ARG_START 48 /* proc(5): fields 48-51 are arg_start, arg_end, env_start, env_end */
#define STAT_MAX 4096

/* The kernel's own bounds (proc(5) /proc/self/stat), not argv[] and environ, which the C
 * library and mlrun itself may have moved or rewritten. */
int sandbox_find_cmdline(struct sandbox_cmdline *c, struct error *err)
{
	char buf[STAT_MAX];
	unsigned long long v[4];
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return error_set(err, n < 0 ? errno : EIO, "cannot read /proc/self/stat");
	buf[n] = '\0';
	/* Field 2 (the command name) may hold spaces and parentheses: count from the last ')'. */
	const char *s = strrchr(buf, ')');
	for (int field = 2; s && field < STAT_ARG_START; field++)
		s = strchr(s + 1, ' '); /* s: the space in front of field + 1 */
	if (!s || sscanf(s, " %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4 || v[1] < v[0] || v[3] < v[2])
		return error_set(err, EIO, "cannot find the command line in /proc/self/stat");
	c->args = (char *)(uintptr_t)v[0];
	c->args_len = (size_t)(v[1] - v[0]);
	c->env = (char *)(uintptr_t)v[2];
	c->env_len = (size_t)(v[3] - v[2]);
	return 0;
}

void sandbox_hide_cmdline(const struct sandbox_cmdline *c)
{
	if (c->args_len > 0) {
		memset(c->args, 0, c->args_len);
		memcpy(c->args, INIT_TITLE, c->args_len > sizeof(INIT_TITLE) ? sizeof(INIT_TITLE) - 1 : c->args_len - 1);
	}
	if (c->env_len > 0)
		memset(c->env, 0, c->env_len);
}
