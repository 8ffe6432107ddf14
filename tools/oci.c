/* oci.c - mlrun-oci: runc's command line over mlrun's run path (docs/oci.md).
 *
 *   mlrun-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] COMMAND
 *   create --bundle DIR --pid-file FILE ID | start ID | state ID | kill ID [SIGNAL]
 *   delete [--force] ID | run --bundle DIR [--pid-file FILE] [--detach] ID | features
 *
 * The container's process, as the engine sees it (the pid file, `state`'s pid), is mlrun's
 * supervisor: `create` forks it, detached, and returns once the sandbox is built and its
 * program waits for `start`; the engine (conmon, containerd's shim) then reaps it as its
 * subreaper, and its exit status is the program's. Signals from `kill` go to the supervisor,
 * which relays them to the program as `mlrun run` does (SIGKILL ends the supervisor, and with
 * it, through PDEATHSIG, the whole pid namespace).
 *
 * State: --root (default /run/mlrun-oci as root, else $XDG_RUNTIME_DIR/mlrun-oci or
 * /tmp/mlrun-oci-UID), verified as mlrun's own state directory (runtime/state.c); one private
 * directory per container holding state.json, the start FIFO and report.json (the run's mlrun
 * report). Every file there is opened relative to the verified directory without following
 * links and used only when fstat says it is ours and private. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json.h>
#include <linux/openat2.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../ns/ns.h"
#include "../lib/cleanup.h"
#include "../lib/paths.h"
#include "../runtime/oci_hooks.h"
#include "../runtime/oci_spec.h"
#include "../runtime/run.h"
#include "../runtime/state.h"
#include "oci.h"
#include "oci_int.h"

#define OCI_VERSION "1.0.2"
#define CONFIG_MAX (4 << 20)
#define STATE_MAX 65536
#define OCI_ID_MAX 200
#define DELETE_WAIT_MS 10000
#define BUNDLE_REPORT "mlrun-report.json"

struct oci_global {
	const char *root;
	char root_buf[PATH_MAX];
	int log_fd;
	bool log_json;
};

static struct oci_global g = { .log_fd = -1 };

/* One line: "mlrun-oci: ..." on stderr, and in --log (one JSON object per line with
 * --log-format json, as runc writes it: conmon and containerd's shim show its "msg"). */
static void log_line(const char *level, const char *msg)
{
	fprintf(stderr, "mlrun-oci: %s%s\n", strcmp(level, "warning") == 0 ? "warning: " : "", msg);
	if (g.log_fd >= 0) {
		char line[ERROR_MSG_MAX * 4 + 128], ts[40];
		time_t now = time(NULL);
		struct tm tm;
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		if (g.log_json) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "level", json_object_new_string(level));
			json_object_object_add(o, "msg", json_object_new_string(msg));
			json_object_object_add(o, "time", json_object_new_string(ts));
			snprintf(line, sizeof(line), "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else
			snprintf(line, sizeof(line), "%s %s: %s\n", ts, level, msg);
		ssize_t n = write(g.log_fd, line, strlen(line));
		(void)n;
	}
}

__attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line("error", msg);
	return 1;
}

__attribute__((format(printf, 1, 2))) static void warning(const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line("warning", msg);
}

/* process.capabilities that cannot be granted are left out with a warning, as the runtime-spec
 * asks and runc and crun do: names mlrun does not know (oci_caps.c), and capabilities this
 * kernel lacks (beyond its last capability: PR_CAPBSET_READ says EINVAL). */
static void drop_unavailable_caps(struct oci_caps *c)
{
	for (size_t i = 0; i < c->n_unknown && i < OCI_CAP_MAX_UNKNOWN; i++)
		warning("process.capabilities: unknown capability '%s' not granted", c->unknown[i]);
	if (c->n_unknown > OCI_CAP_MAX_UNKNOWN)
		warning("process.capabilities: %zu more unknown capabilities not granted", c->n_unknown - OCI_CAP_MAX_UNKNOWN);
	for (int cap = 0; cap < OCI_CAP_COUNT; cap++) {
		uint64_t bit = 1ull << cap;
		bool listed = false;
		for (int set = 0; set < OCI_CAP_SETS; set++)
			listed = listed || (c->set[set] & bit);
		if (!listed || prctl(PR_CAPBSET_READ, cap) >= 0)
			continue;
		for (int set = 0; set < OCI_CAP_SETS; set++)
			c->set[set] &= ~bit;
		warning("process.capabilities: %s is not known to this kernel, not granted", oci_cap_name(cap));
	}
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > OCI_ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '_' || id[i] == '-' || id[i] == '.'))
			return false;
	return true;
}

static const char *default_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	/* root of a user namespace with a runtime directory (rootless podman's) is a user of the host */
	if (geteuid() == 0 && (ns_initial_userns() || !xdg || xdg[0] != '/'))
		return "/run/mlrun-oci";
	if (xdg && xdg[0] == '/')
		snprintf(g.root_buf, sizeof(g.root_buf), "%s/mlrun-oci", xdg);
	else
		snprintf(g.root_buf, sizeof(g.root_buf), "/tmp/mlrun-oci-%u", (unsigned)geteuid());
	return g.root_buf;
}

/* --root's missing parents, made 0700 as runc's MkdirAll would (containerd's shim names
 * /run/containerd/runc/NAMESPACE before anything made /run/containerd/runc). Walked from /
 * without following links, creating only inside directories owned by root or us that no one
 * else can write: another user's directory (or link) on the way stops the walk, and
 * state_private_dir_open() then refuses the path with its reason. */
static void make_root_parents(const char *root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", root);
	char *last = strrchr(path, '/');
	if (!last || last == path)
		return;
	*last = '\0';
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *comp = strtok_r(path, "/", &save); fd >= 0 && comp; comp = strtok_r(NULL, "/", &save)) {
		struct stat st;
		if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
			break;
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && mkdirat(fd, comp, 0700) == 0)
			next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd >= 0)
		close(fd);
}

/* The verified root, and the container's directory in it: ours, private, not a link. */
int open_container_dir(const char *id, bool create, int *rootfd_out)
{
	struct error err = { 0 };
	struct stat st;
	if (!id_valid(id))
		return -fail("invalid container id '%s' (letters, digits, '_', '-', '.'; at most %d)", id, OCI_ID_MAX);
	if (create)
		make_root_parents(g.root);
	int rootfd = state_private_dir_open(g.root, true, &err);
	if (rootfd < 0)
		return -fail("--root %s: %s", g.root, err.msg[0] ? err.msg : strerror(-rootfd));
	if (create && mkdirat(rootfd, id, 0700) < 0) {
		int e = errno;
		close(rootfd);
		return e == EEXIST ? -fail("container %s already exists", id) : -fail("cannot create %s/%s: %s", g.root, id, strerror(e));
	}
	int fd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		close(rootfd);
		return e == ENOENT ? -fail("container %s does not exist", id) : -fail("cannot open %s/%s: %s", g.root, id, strerror(e));
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		close(rootfd);
		return -fail("%s/%s is not a private directory of uid %u: refusing it", g.root, id, (unsigned)geteuid());
	}
	if (rootfd_out)
		*rootfd_out = rootfd;
	else
		close(rootfd);
	return fd;
}

/* ---- state.json ----------------------------------------------------------------------------- */

static int write_state(int dfd, const char *id, const struct oci_state *s)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "pid", json_object_new_int(s->pid));
	json_object_object_add(o, "pid_start", json_object_new_int64((int64_t)s->pid_start));
	json_object_object_add(o, "started", json_object_new_boolean(s->started));
	json_object_object_add(o, "bundle", json_object_new_string(s->bundle));
	json_object_object_add(o, "mlrun_id", json_object_new_string(s->mlrun_id));
	json_object_object_add(o, "annotations", s->annotations ? json_object_get(s->annotations) : json_object_new_object());
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".state.%d.tmp", (int)getpid());
	unlinkat(dfd, tmp, 0);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = fd < 0 ? -errno : write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	json_object_put(o);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, "state.json") < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

/* A private regular file of ours with one link, opened without following a link. */
int open_private(int dfd, const char *name, int flags)
{
	struct stat st;
	int fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) || st.st_nlink != 1) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* 0, or -errno without a message (-ENOENT: create has not written it, or died first). */
static int load_state(int dfd, struct oci_state *s)
{
	char buf[STATE_MAX];
	struct stat st;
	memset(s, 0, sizeof(*s));
	_cleanup_close_ int fd = open_private(dfd, "state.json", O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EPERM;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	json_object *o = json_tokener_parse(buf), *v;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	if (json_object_object_get_ex(o, "pid", &v))
		s->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "pid_start", &v))
		s->pid_start = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "started", &v))
		s->started = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "bundle", &v))
		snprintf(s->bundle, sizeof(s->bundle), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "mlrun_id", &v))
		snprintf(s->mlrun_id, sizeof(s->mlrun_id), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "annotations", &v) && json_object_is_type(v, json_type_object))
		s->annotations = json_object_get(v);
	json_object_put(o);
	return 0;
}

static int state_error(const char *id, int r)
{
	if (r == -EPERM)
		return -fail("container %s: its state file is not a private regular file of uid %u: refusing it", id,
			     (unsigned)geteuid());
	return -fail("container %s: no usable state file (%s)", id, strerror(-r));
}

int read_state(int dfd, const char *id, struct oci_state *s)
{
	int r = load_state(dfd, s);
	return r < 0 ? state_error(id, r) : 0;
}

/* The supervisor recorded is still the same process, and has not ended (a zombie waiting for
 * the engine to reap it is a stopped container). */
bool supervisor_running(const struct oci_state *s)
{
	char path[64], line[1024];
	if (s->pid <= 0 || !s->pid_start || state_proc_starttime(s->pid) != s->pid_start)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return false;
	char *p = strrchr(line, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* A pidfd of the recorded supervisor, only if it is still that process (checked after the
 * pidfd is held: a reused pid cannot slip in between). */
static int supervisor_pidfd(const struct oci_state *s)
{
	int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (fd < 0)
		return -errno;
	if (!supervisor_running(s)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static const char *status_of(const struct oci_state *s)
{
	if (!supervisor_running(s))
		return "stopped";
	if (s->started && oci_frozen(s))
		return "paused";
	return s->started ? "running" : "created";
}

/* ---- create / start / run ------------------------------------------------------------------ */

static int read_config(const char *bundle, char **text, size_t *len)
{
	_cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -fail("--bundle %s: %s", bundle, strerror(errno));
	_cleanup_close_ int fd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -fail("%s/config.json: %s", bundle, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX)
		return -fail("%s/config.json: not a regular file of at most %d bytes", bundle, CONFIG_MAX);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -fail("out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			return -fail("%s/config.json: cannot read: %s", bundle, n < 0 ? strerror(errno) : "short read");
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

static void remove_container_dir(int rootfd, int dfd, const char *id)
{
	static const char *const files[] = { "state.json", "start", "report.json", "config.json" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		unlinkat(dfd, files[i], 0);
	unlinkat(rootfd, id, AT_REMOVEDIR);
}

int write_pid_file(const char *path, pid_t pid)
{
	char buf[32], tmp[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (snprintf(tmp, sizeof(tmp), "%s.mlrun-tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = write(fd, buf, (size_t)n) == n ? 0 : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The supervisor, in the forked child: mlrun's own run path with the bundle as its input. Its
 * stderr is a memfd `create` reads if the container could not be built; the program gets the
 * engine's fds 0-2. */
__attribute__((noreturn)) static void supervisor_main(struct run_oci *oci, const char *report, const char *mlrun_id,
						     int memfd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* `run` blocks what it relays; the program gets nothing blocked */
	setsid();
	for (int fd = 0; fd < 3; fd++)
		oci->stdio[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	dup2(memfd, 2);
	close(memfd);
	struct run_options o;
	memset(&o, 0, sizeof(o));
	o.report_fd = -1;
	o.report_path = report;
	o.name = mlrun_id;
	o.quiet = true;
	o.oci = oci;
	_exit(run_main(&o));
}

/* process.terminal: a pty from the host's /dev/ptmx (the slave by TIOCGPTPEER, no path), its
 * master sent to the engine's --console-socket as runc does (SCM_RIGHTS); the slave, returned,
 * becomes the program's fds 0-2 and controlling terminal. */
int open_console(const char *socket_path, const struct oci_spec *spec)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -fail("--console-socket %s: path too long", socket_path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0)
		return -fail("cannot open a pty for the container: %s", strerror(errno));
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -fail("cannot open the pty's slave: %s", strerror(errno));
	if (spec->console_rows && spec->console_cols) {
		struct winsize ws = { .ws_row = (unsigned short)spec->console_rows, .ws_col = (unsigned short)spec->console_cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(slave);
		return -fail("--console-socket %s: %s", socket_path, strerror(e));
	}
	char name[] = "/dev/ptmx";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		int e = errno;
		close(slave);
		return -fail("--console-socket %s: cannot send the pty: %s", socket_path, strerror(e));
	}
	return slave;
}

static int save_config(int dfd, const char *text, size_t len)
{
	int fd = openat(dfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

struct create_args {
	const char *bundle, *pid_file, *console_socket, *id;
};

/* Build the container; on success *pid is its supervisor (our child), waiting for start. */
static int do_create(const struct create_args *a, pid_t *pid_out)
{
	char bundle[PATH_MAX], report[PATH_MAX + 64], mlrun_id[64];
	struct error err = { 0 };
	struct oci_spec spec;
	char *text = NULL;
	size_t len = 0;
	int rootfd = -1, r;

	if (!realpath(a->bundle ? a->bundle : ".", bundle))
		return fail("--bundle %s: %s", a->bundle ? a->bundle : ".", strerror(errno));
	if (read_config(bundle, &text, &len) < 0)
		return 1;
	r = oci_spec_parse(text, len, &spec, &err);
	if (r < 0) {
		free(text);
		oci_spec_free(&spec);
		return fail("%s/config.json: %s", bundle, err.msg);
	}
	drop_unavailable_caps(&spec.caps);
	if (spec.terminal && !a->console_socket) {
		free(text);
		oci_spec_free(&spec);
		return fail("process.terminal is true but no --console-socket was given");
	}
	int dfd = open_container_dir(a->id, true, &rootfd);
	if (dfd < 0) {
		free(text);
		oci_spec_free(&spec);
		return 1;
	}
	int startfd = -1, memfd = -1, ready[2] = { -1, -1 }, tty = -1;
	struct stat st;
	r = 1;
	if (mkfifoat(dfd, "start", 0600) < 0 ||
	    (startfd = openat(dfd, "start", O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(startfd, &st) < 0 ||
	    !S_ISFIFO(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) || fcntl(startfd, F_SETFL, 0) < 0) {
		fail("cannot create the start FIFO of %s: %s", a->id, strerror(errno));
		goto out;
	}
	/* exec's copy of the config (its seccomp filter, rlimits, policy), private to us: the bundle
	 * is the engine's and may be within the container's reach through a bind. */
	if ((r = save_config(dfd, text, len)) < 0) {
		fail("cannot save the config of %s: %s", a->id, strerror(-r));
		r = 1;
		goto out;
	}
	r = 1;
	if ((memfd = memfd_create("mlrun-oci-log", MFD_CLOEXEC)) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		fail("cannot create the container's channels: %s", strerror(errno));
		goto out;
	}
	if (spec.terminal && (tty = open_console(a->console_socket, &spec)) < 0)
		goto out;
	run_make_id(mlrun_id, sizeof(mlrun_id));
	snprintf(report, sizeof(report), "%s/%s/report.json", g.root, a->id);
	struct run_oci oci = { &spec, bundle, ready[1], startfd, { -1, -1, -1 }, tty, a->id };
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fail("cannot fork the supervisor: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		supervisor_main(&oci, report, mlrun_id, memfd);
	}
	close(ready[1]);
	ready[1] = -1;
	char c;
	ssize_t n;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) { /* the supervisor failed before the container existed: its message */
		int status = 0;
		waitpid(pid, &status, 0);
		char msg[4096];
		ssize_t m = pread(memfd, msg, sizeof(msg) - 1, 0);
		msg[m > 0 ? m : 0] = '\0';
		char *nl = strrchr(msg, '\n');
		if (nl && !nl[1])
			*nl = '\0';
		const char *text_msg = msg;
		if (strncmp(text_msg, "mlrun: ", 7) == 0)
			text_msg += 7;
		fail("create %s: %s", a->id, text_msg[0] ? text_msg : "the supervisor ended before the container was created");
		goto out;
	}
	struct oci_state s = { .pid = pid, .pid_start = state_proc_starttime(pid) };
	snprintf(s.bundle, sizeof(s.bundle), "%s", bundle);
	snprintf(s.mlrun_id, sizeof(s.mlrun_id), "%s", mlrun_id);
	s.annotations = spec.annotations ? json_object_get(spec.annotations) : json_object_new_object();
	if (json_object_is_type(s.annotations, json_type_object)) {
		json_object *copy = NULL;
		json_object_deep_copy(s.annotations, &copy, NULL);
		json_object_put(s.annotations);
		s.annotations = copy ? copy : json_object_new_object();
		json_object_object_add(s.annotations, "run.mlrun.report", json_object_new_string(report));
		json_object_object_add(s.annotations, "run.mlrun.id", json_object_new_string(mlrun_id));
	}
	int w = write_state(dfd, a->id, &s);
	json_object_put(s.annotations);
	if (w < 0 || (a->pid_file && (w = write_pid_file(a->pid_file, pid)) < 0)) {
		fail("create %s: cannot record the container (%s): %s", a->id, w < 0 && a->pid_file ? a->pid_file : "state",
		     strerror(-w));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	*pid_out = pid;
	r = 0;
out:
	free(text);
	if (r != 0)
		remove_container_dir(rootfd, dfd, a->id);
	if (startfd >= 0)
		close(startfd);
	if (tty >= 0)
		close(tty);
	if (memfd >= 0)
		close(memfd);
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	close(dfd);
	close(rootfd);
	oci_spec_free(&spec);
	return r;
}

static int parse_create_args(int argc, char **argv, struct create_args *a, bool *detach)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },	    { "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' }, { "detach", no_argument, NULL, 'd' },
		{ "no-pivot", no_argument, NULL, 'P' },		    { "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'f' },  { NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	opterr = 0;
	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->bundle = optarg;
			break;
		case 'p':
			a->pid_file = optarg;
			break;
		case 'c':
			a->console_socket = optarg;
			break;
		case 'd':
			if (detach)
				*detach = true;
			break;
		case 'P': /* pivot_root is always used; no keyring is joined */
		case 'K':
			break;
		case 'f':
			if (strcmp(optarg, "0") != 0)
				return fail("--preserve-fds %s: passing extra descriptors is not supported", optarg);
			break;
		default:
			return fail("%s: unknown option %s", argv[0], argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fail("usage: %s --bundle DIR [--pid-file FILE] ID", argv[0]);
	a->id = argv[optind];
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct create_args a;
	pid_t pid;
	if (parse_create_args(argc, argv, &a, NULL))
		return 1;
	return do_create(&a, &pid);
}

/* hooks.poststart (after start) and poststop (after delete): the config read again from the
 * recorded bundle, the pid from the verified state, in mlrun-oci's own namespaces with its
 * stderr as their output. A failure is a warning and the rest go on (runtime-spec). */
static void run_late_hooks(const struct oci_state *s, const char *id, enum oci_hook_stage st, const char *status)
{
	char *text = NULL;
	size_t len = 0;
	struct oci_spec spec;
	struct error err = { 0 };
	if (!s->bundle[0] || read_config(s->bundle, &text, &len) < 0)
		return;
	int r = oci_spec_parse(text, len, &spec, &err);
	free(text);
	if (r < 0) {
		fail("warning: %s/config.json: %s (hooks.%s not run)", s->bundle, err.msg, oci_hook_stage_name(st));
		oci_spec_free(&spec);
		return;
	}
	char *state = spec.n_hooks[st] ? oci_hook_state(id, status, s->pid, s->bundle, spec.annotations) : NULL;
	for (size_t i = 0; state && i < spec.n_hooks[st]; i++) {
		struct oci_spec one = spec; /* each hook on its own: one failing does not stop the rest */
		memcpy(one.hooks[st], &spec.hooks[st][i], sizeof(spec.hooks[st][i]));
		one.n_hooks[st] = 1;
		if (oci_hooks_run(&one, st, state, s->bundle, NULL, 2, &err) < 0)
			fail("warning: %s", err.msg);
	}
	free(state);
	oci_spec_free(&spec);
}

static int start_container(const char *id)
{
	struct oci_state s;
	int rootfd;
	_cleanup_close_ int dfd = open_container_dir(id, false, &rootfd);
	if (dfd < 0)
		return 1;
	close(rootfd);
	if (read_state(dfd, id, &s) < 0)
		return 1;
	int r = 0;
	if (!supervisor_running(&s))
		r = -fail("container %s is stopped: it cannot be started", id);
	else if (s.started)
		r = -fail("container %s has already been started", id);
	/* The FIFO the supervisor holds open: ours, private, a FIFO. */
	struct stat st;
	_cleanup_close_ int fd = r < 0 ? -1 : openat(dfd, "start", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (r == 0 &&
	    (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)))
		r = -fail("container %s: its start FIFO is missing or not private (%s)", id, strerror(errno));
	if (r == 0 && write(fd, "s", 1) != 1)
		r = -fail("container %s: cannot start it: %s", id, strerror(errno));
	if (r < 0) {
		json_object_put(s.annotations);
		return 1;
	}
	/* Only start writes the state after create: what was read above is still the record. */
	s.started = true;
	r = write_state(dfd, id, &s);
	json_object_put(s.annotations);
	if (r < 0)
		return fail("container %s: started, but its state could not be updated: %s", id, strerror(-r));
	run_late_hooks(&s, id, OCI_HOOK_POSTSTART, "running");
	return 0;
}

static int cmd_start(int argc, char **argv)
{
	if (argc != 2)
		return fail("usage: start ID");
	return start_container(argv[1]);
}

/* ---- state / kill / delete ----------------------------------------------------------------- */

static int cmd_state(int argc, char **argv)
{
	if (argc != 2)
		return fail("usage: state ID");
	struct oci_state s;
	_cleanup_close_ int dfd = open_container_dir(argv[1], false, NULL);
	if (dfd < 0 || read_state(dfd, argv[1], &s) < 0)
		return 1;
	const char *status = status_of(&s);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(argv[1]));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(strcmp(status, "stopped") ? s.pid : 0));
	json_object_object_add(o, "bundle", json_object_new_string(s.bundle));
	json_object_object_add(o, "annotations", s.annotations ? s.annotations : json_object_new_object());
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);
		if (name && strcasecmp(name, s) == 0)
			return sig;
	}
	return -1;
}

static int cmd_kill(int argc, char **argv)
{
	int i = 1;
	bool all = false;
	while (i < argc && (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0))
		i++, all = true; /* every process dies with the supervisor's relay or SIGKILL anyway */
	if (argc - i < 1 || argc - i > 2)
		return fail("usage: kill [--all] ID [SIGNAL]");
	const char *id = argv[i];
	int sig = argc - i == 2 ? parse_signal(argv[i + 1]) : SIGTERM;
	if (sig < 0)
		return fail("kill: unknown signal '%s'", argv[i + 1]);
	struct oci_state s;
	_cleanup_close_ int dfd = open_container_dir(id, false, NULL);
	if (dfd < 0 || read_state(dfd, id, &s) < 0)
		return 1;
	json_object_put(s.annotations);
	_cleanup_close_ int pfd = supervisor_pidfd(&s);
	/* runc's words, which containerd's shim matches to treat it as done: with --all (its
	 * cleanup after the exit, CRI's StopPodSandbox) there is nothing left to signal, as in runc */
	if (pfd < 0)
		return all ? 0 : fail("container %s: container not running", id);
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return fail("kill %s: %s", id, strerror(errno));
	return 0;
}

/* What a supervisor killed with SIGKILL leaves behind: mlrun's state file and the cgroup leaf
 * (each checked by runtime/state_target.c before it is acted on). */
static void cleanup_mlrun_run(const struct oci_state *s)
{
	struct state_entry e;
	struct error err = { 0 };
	/* The entry must be this container's supervisor's, and that supervisor gone (a zombie its
	 * new parent has not reaped yet counts as gone: state_alive() would still see it). */
	if (!s->mlrun_id[0] || state_find(s->mlrun_id, &e, &err) < 0 || e.supervisor_pid != s->pid ||
	    e.supervisor_start != s->pid_start || supervisor_running(s))
		return;
	struct cgroup_leaf leaf = { .dirfd = -1 };
	if (e.cgroup[0] && state_open_leaf(&e, &leaf) == 0) {
		cgroup_leaf_kill(&leaf);
		cgroup_leaf_destroy(&leaf, NULL);
	}
	state_remove(s->mlrun_id);
}

/* The report outlives the container in its bundle, as BUNDLE/mlrun-report.json: engines delete
 * a container as soon as its program has ended (podman does so without --rm too), and ROOT/ID
 * goes with it, while the bundle stays until the engine removes the container (`podman rm`;
 * containerd's bundle goes with its task). The bundle is the engine's directory, but a
 * directory another user can write is never written into: it is reached without following a
 * link, must be root's or the caller's and writable by nobody else, and the file is opened
 * without following a link and used only when it is the caller's regular file
 * (paths_open_output). 0, or -errno with a message. */
static int keep_report(int dfd, const char *id, const char *bundle)
{
	/* the supervisor's report (0644 as every mlrun report, inside the private ID/ directory) */
	_cleanup_close_ int src = openat(dfd, "report.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat rs;
	if (src < 0)
		src = -errno;
	else if (fstat(src, &rs) < 0 || !S_ISREG(rs.st_mode) || rs.st_uid != geteuid() || rs.st_nlink != 1) {
		close(src);
		src = -EPERM;
	}
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	_cleanup_close_ int bfd = (int)syscall(SYS_openat2, AT_FDCWD, bundle, &how, sizeof(how));
	struct stat st;
	bool opened = bfd >= 0 && fstat(bfd, &st) == 0;
	bool trusted = opened && (st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & 022);
	if (src == -ENOENT) { /* no report (a killed supervisor): none of an earlier container stays either */
		if (trusted)
			unlinkat(bfd, BUNDLE_REPORT, 0);
		return 0;
	}
	if (src < 0)
		return -fail("container %s: its report.json is not a regular file of ours: not kept", id);
	if (!opened)
		return -fail("container %s: report not kept in the bundle %s: %s", id, bundle, strerror(errno));
	if (!trusted)
		return -fail("container %s: report not kept in the bundle %s: a directory of uid %u, mode %04o (root's or "
			     "ours, writable by nobody else, is required)",
			     id, bundle, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	struct error err = { 0 };
	_cleanup_close_ int out = paths_open_output(bfd, BUNDLE_REPORT, "report", false, NULL, &err);
	if (out < 0)
		return -fail("container %s: report not kept in the bundle %s: %s", id, bundle, err.msg);
	if (fchmod(out, 0600) < 0)
		return -fail("container %s: cannot make %s/%s private: %s", id, bundle, BUNDLE_REPORT, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -fail("container %s: cannot write %s/%s: %s", id, bundle, BUNDLE_REPORT, strerror(errno));
	if (n < 0)
		return -fail("container %s: cannot read its report: %s", id, strerror(errno));
	return 0;
}

static int wait_gone(int pfd)
{
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, DELETE_WAIT_MS)) < 0 && errno == EINTR)
		;
	return n == 1 ? 0 : -ETIMEDOUT;
}

static int delete_container(const char *id, bool force)
{
	struct oci_state s;
	int rootfd;
	_cleanup_close_ int dfd = open_container_dir(id, false, &rootfd);
	if (dfd < 0)
		return 1;
	int r = load_state(dfd, &s);
	if (r == -ENOENT) { /* a create that never finished: nothing runs that it recorded */
		remove_container_dir(rootfd, dfd, id);
		close(rootfd);
		return 0;
	}
	if (r < 0) {
		close(rootfd);
		state_error(id, r);
		return 1;
	}
	json_object_put(s.annotations);
	int pfd = supervisor_pidfd(&s);
	if (pfd >= 0) {
		if (s.started && !force) {
			close(pfd);
			close(rootfd);
			return fail("container %s is running: stop it first, or delete --force", id);
		}
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		r = wait_gone(pfd);
		close(pfd);
		if (r < 0) {
			close(rootfd);
			return fail("container %s: its supervisor did not end within %d ms", id, DELETE_WAIT_MS);
		}
	}
	cleanup_mlrun_run(&s);
	keep_report(dfd, id, s.bundle); /* a failure is said; the container is removed all the same */
	remove_container_dir(rootfd, dfd, id);
	close(rootfd);
	run_late_hooks(&s, id, OCI_HOOK_POSTSTOP, "stopped");
	return 0;
}

static int cmd_delete(int argc, char **argv)
{
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = true;
		else
			return fail("delete: unknown option %s", argv[i]);
	}
	if (i != argc - 1)
		return fail("usage: delete [--force] ID");
	return delete_container(argv[i], force);
}

/* `run` in the foreground stands for the container: the signals it gets go to the supervisor,
 * which relays them to the program (or, SIGKILL aside, ends with it). */
static volatile pid_t run_pid;
static const int run_forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static void forward_to_run(int sig)
{
	if (run_pid > 0)
		kill(run_pid, sig);
}

/* run = create + start, then (without --detach) wait for the program and delete. */
static int cmd_run(int argc, char **argv)
{
	struct create_args a;
	bool detach = false;
	pid_t pid;
	if (parse_create_args(argc, argv, &a, &detach))
		return 1;
	/* Held from before the container exists, delivered to it once it runs. */
	sigset_t fwd, old;
	sigemptyset(&fwd);
	for (size_t i = 0; !detach && i < ARRAY_SIZE(run_forwarded); i++)
		sigaddset(&fwd, run_forwarded[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	if (do_create(&a, &pid))
		return 1;
	if (start_container(a.id)) {
		delete_container(a.id, true);
		return 1;
	}
	if (detach)
		return 0;
	int status;
	run_pid = pid;
	struct sigaction sa = { .sa_handler = forward_to_run };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(run_forwarded); i++)
		sigaction(run_forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	delete_container(a.id, true);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- features ------------------------------------------------------------------------------ */

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static int cmd_features(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const char *const mount_opts[] = { "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
						  "noatime", "nodiratime", "relatime", "strictatime", "atime",
						  "bind", "rbind", "private", "rprivate", "slave", "rslave",
						  "unbindable", "runbindable", NULL };
	static const char *const namespaces[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", NULL };
	static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
					       "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
					       "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };
	static const char *const operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
						 "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
	static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
					     "SCMP_ARCH_ARM", NULL };
	static const char *const hooks[] = { "prestart", "createRuntime", "poststart", "poststop", NULL };
	json_object *o = json_object_new_object(), *l = json_object_new_object(), *cg = json_object_new_object(),
		    *sc = json_object_new_object(), *ann = json_object_new_object(), *off = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.1.0"));
	json_object_object_add(o, "hooks", strings(hooks));
	json_object_object_add(o, "mountOptions", strings(mount_opts));
	json_object_object_add(l, "namespaces", strings(namespaces));
	json_object *caps = json_object_new_array(); /* the names mlrun-oci can grant (runc lists its known ones) */
	for (int cap = 0; oci_cap_name(cap); cap++)
		json_object_array_add(caps, json_object_new_string(oci_cap_name(cap)));
	json_object_object_add(l, "capabilities", caps);
	json_object_object_add(cg, "v1", json_object_new_boolean(false));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(sc, "enabled", json_object_new_boolean(true));
	json_object_object_add(sc, "actions", strings(actions));
	json_object_object_add(sc, "operators", strings(operators));
	json_object_object_add(sc, "archs", strings(archs));
	json_object_object_add(l, "seccomp", sc);
	json_object_object_add(off, "enabled", json_object_new_boolean(false));
	json_object_object_add(l, "apparmor", json_object_get(off));
	json_object_object_add(l, "selinux", off);
	json_object_object_add(o, "linux", l);
	json_object_object_add(ann, "run.mlrun.policy", json_object_new_string("an mlrun policy name; only tightens"));
	json_object_object_add(ann, "run.mlrun.seccomp_count", json_object_new_string("off: linux.seccomp's denials uncounted"));
	json_object_object_add(ann, "org.opencontainers.runc.version", json_object_new_string("mlrun-oci " MLRUN_VERSION));
	json_object_object_add(o, "annotations", ann);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mlrun-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] COMMAND\n"
		   "  create --bundle DIR [--pid-file FILE] ID   build the container; it waits for start\n"
		   "  start ID                                   run its program\n"
		   "  state ID                                   the runtime-spec state JSON\n"
		   "  kill [--all] ID [SIGNAL]                   signal it (default TERM)\n"
		   "  delete [--force] ID                        remove it (--force: kill it first)\n"
		   "  run --bundle DIR [--pid-file F] [--detach] ID  create, start, wait, delete\n"
		   "  exec [--process F] [--detach] [--pid-file F] [--console-socket S] [--tty] [--cwd D]\n"
		   "       [--env K=V] [--user UID[:GID]] ID [ARGS...]  run a process in the container\n"
		   "  ps [--format table|json] ID                the container's host pids\n"
		   "  pause ID | resume ID                       freeze/thaw its cgroup v2 leaf\n"
		   "  features                                   the runtime-spec features JSON\n"
		   "See docs/oci.md.\n");
}

int oci_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },     { "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' }, { "systemd-cgroup", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'D' },	      { "rootless", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },	      { "version", no_argument, NULL, 'v' },
		{ "cgroup-manager", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	g.root = default_root();
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (optarg[0] != '/')
				return fail("--root %s: an absolute path", optarg);
			g.root = optarg;
			break;
		case 'l':
			if (g.log_fd >= 0)
				close(g.log_fd);
			g.log_fd = open(optarg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
			if (g.log_fd < 0)
				return fail("--log %s: %s", optarg, strerror(errno));
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return fail("--log-format %s: json or text", optarg);
			g.log_json = strcmp(optarg, "json") == 0;
			break;
		case 's': /* accepted: mlrun places the cgroup itself (docs/oci.md) */
		case 'C': /* crun's spelling of the same, which podman passes to a runtime named crun */
		case 'D':
		case 'R':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("mlrun-oci version %s\nspec: %s\n", MLRUN_VERSION, OCI_VERSION);
			return 0;
		default:
			usage(stderr);
			return fail("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} commands[] = {
		{ "create", cmd_create }, { "start", cmd_start },   { "state", cmd_state },	{ "kill", cmd_kill },
		{ "delete", cmd_delete }, { "run", cmd_run },	    { "features", cmd_features },
		{ "exec", oci_cmd_exec }, { "ps", oci_cmd_ps },	    { "pause", oci_cmd_pause },
		{ "resume", oci_cmd_resume },
	};
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(argc - optind, argv + optind);
	return fail("unknown command '%s' (create, start, state, kill, delete, run, exec, ps, pause, resume, features)",
		    argv[optind]);
}
