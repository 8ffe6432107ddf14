/* peakrss.c - the peak RSS of one process over its whole life, children excluded.
 *
 *   peakrss PROGRAM [ARG...]   prints  {"VmHWM":kB,"VmRSS":kB,"RssAnon":kB,"RssFile":kB,"status":N}
 *
 * ru_maxrss from wait4() is no good for a supervisor: it is the largest of the process and every
 * descendant it reaped, and it keeps the high-water mark of the image the process was forked
 * from before its execve (a Python benchmark driver's 10 MB). Instead the program runs under
 * ptrace with PTRACE_O_TRACEEXIT only (no syscall stops, children untraced): when it exits, it
 * stops with its memory still mapped, and /proc/PID/status then holds VmHWM, the peak RSS of
 * its own image since its execve, the report writing at the very end included. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static long field(const char *status, const char *name)
{
	const char *p = strstr(status, name);
	return p ? strtol(p + strlen(name) + 1, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: peakrss PROGRAM [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(127);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	int st;
	char status[8192] = "";
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) /* the SIGTRAP of the execve */
		return perror("waitpid"), 2;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (waitpid(pid, &st, 0) < 0)
			return perror("waitpid"), 2;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		int sig = 0;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
			FILE *f = fopen(path, "r");
			if (f) {
				size_t n = fread(status, 1, sizeof(status) - 1, f);
				status[n] = '\0';
				fclose(f);
			}
		} else if (WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP) {
			sig = WSTOPSIG(st); /* pass real signals on */
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("{\"VmHWM\":%ld,\"VmRSS\":%ld,\"RssAnon\":%ld,\"RssFile\":%ld,\"status\":%d}\n", field(status, "VmHWM:"),
	       field(status, "VmRSS:"), field(status, "RssAnon:"), field(status, "RssFile:"), code);
	return code;
}
