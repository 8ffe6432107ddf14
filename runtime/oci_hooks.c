/* oci_hooks.c - running an OCI config's hooks (see oci_hooks.h).
 *
 * A hook is a host program the engine names: running it is the caller's intent. What it must
 * not get is anything the container controls: it gets no descriptor but its stdin (the state,
 * through a pipe of its own), and stdout/stderr the caller chose (the supervisor's log, or the
 * runtime command's stderr: never the container's stdio), it runs in the runtime's namespaces
 * and the bundle as cwd (never inside the container's root), and the pid in its state is the
 * supervisor's, taken from the process itself or from the verified state (never from a file of
 * the container). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci_hooks.h"

char *oci_hook_state(const char *id, const char *status, pid_t pid, const char *bundle, json_object *annotations)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(bundle));
	json_object_object_add(o, "annotations", annotations ? json_object_get(annotations) : json_object_new_object());
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *copy = text ? strdup(text) : NULL;
	json_object_put(o);
	return copy;
}

/* The hook's process, between fork and execve: its own stdin, the chosen output, nothing else;
 * back in the runtime's namespaces if the supervisor has entered the container's. */
__attribute__((noreturn)) static void exec_hook(const struct oci_hook *h, int in_fd, int output_fd, const char *bundle,
						const int runtime_ns[3])
{
	static char *const empty[] = { NULL };
	char *const self[] = { h->path, NULL };
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	for (int i = 0; runtime_ns && i < 3; i++)
		if (runtime_ns[i] >= 0 && setns(runtime_ns[i], 0) < 0)
			_exit(126);
	if (dup2(in_fd, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 3, ~0u, 0) < 0 || chdir(bundle) < 0)
		_exit(126);
	execve(h->path, h->n_args ? h->args : self, h->n_env ? h->env : empty);
	_exit(127);
}

static int wait_hook(pid_t pid, uint64_t timeout_s, bool *timed_out)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
	*timed_out = false;
	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int n;
		while ((n = poll(&p, 1, timeout_s ? (int)(timeout_s * 1000) : -1)) < 0 && errno == EINTR)
			;
		if (n == 0) {
			*timed_out = true;
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		}
		close(pfd);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static int run_one(const struct oci_hook *h, const char *where, const char *state, const char *bundle,
		   const int runtime_ns[3], int output_fd, struct error *err)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return error_set(err, errno, "%s: cannot create its stdin", where);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]), close(in[1]);
		return error_set(err, e, "%s: cannot fork", where);
	}
	if (pid == 0)
		exec_hook(h, in[0], output_fd, bundle, runtime_ns);
	close(in[0]);
	/* The state is small (under a pipe's buffer): a hook that never reads it cannot block us.
	 * One that exits without reading gives EPIPE, not SIGPIPE (blocked here). */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	size_t len = strlen(state), off = 0;
	while (off < len) {
		ssize_t n = write(in[1], state + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(in[1]);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0) /* drop a pending SIGPIPE of ours */
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	bool timed_out;
	int status = wait_hook(pid, h->timeout, &timed_out);
	if (timed_out)
		return error_set(err, ETIMEDOUT, "%s: %s did not end within its timeout of %llu s (killed)", where, h->path,
				 (unsigned long long)h->timeout);
	if (status < 0)
		return error_set(err, ECHILD, "%s: %s: lost", where, h->path);
	if (WIFSIGNALED(status))
		return error_set(err, ECANCELED, "%s: %s was killed by signal %d", where, h->path, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return error_set(err, ECANCELED, "%s: %s exited with status %d%s", where, h->path, WEXITSTATUS(status),
				 WEXITSTATUS(status) == 127 ? " (not found or not executable?)" : "");
	return 0;
}

int oci_hooks_run(const struct oci_spec *s, enum oci_hook_stage st, const char *state, const char *bundle,
		  const int runtime_ns[3], int output_fd, struct error *err)
{
	for (size_t i = 0; i < s->n_hooks[st]; i++) {
		char where[64];
		snprintf(where, sizeof(where), "hooks.%s[%zu]", oci_hook_stage_name(st), i);
		int r = run_one(&s->hooks[st][i], where, state, bundle, runtime_ns, output_fd, err);
		if (r < 0)
			return r;
	}
	return 0;
}
