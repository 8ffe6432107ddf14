/* systemd.c - rootless limits with no set-up on a systemd machine: a delegated scope per run from
 * the caller's own systemd user manager.
 *
 * A login shell on today's distributions sits in session-N.scope, whose parent belongs to root:
 * nothing there mlrun may write. The user's manager (user@UID.service) can hand out a cgroup that
 * is the user's: a transient mlrun-<id>.scope in mlrun.slice with Delegate=yes, asked for over
 * D-Bus with StartTransientUnit (what podman and crun do). systemd moves this process into it;
 * we then step into the child cgroup "supervisor" so that the scope holds no process itself (the
 * no-internal-processes rule) and probe.c's delegated path puts the leaf beside us:
 * <scope>/mlrun-<id>. When the run ends the scope is empty and systemd removes it, with whatever
 * is left beneath it (a SIGKILLed supervisor's leaf included).
 *
 * libsystemd is loaded with dlopen when it is needed: a run that never asks systemd (root, an
 * already delegated cgroup, a host without systemd) neither pays for loading it nor needs it. */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"

#define LIBSYSTEMD "libsystemd.so.0"
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SCOPE_SUPERVISOR "supervisor" /* the scope's child cgroup that holds mlrun itself */
#define SCOPE_TIMEOUT_USEC (20ULL * 1000 * 1000) /* call + job, in all (TCG VMs are slow) */

#define SD_FUNCS(X)                                                                                  \
	X(sd_bus_open_user) X(sd_bus_flush_close_unref) X(sd_bus_message_new_method_call)          \
	X(sd_bus_message_append) X(sd_bus_message_open_container) X(sd_bus_message_close_container) \
	X(sd_bus_call) X(sd_bus_message_read) X(sd_bus_message_unref) X(sd_bus_error_free)          \
	X(sd_bus_match_signal_async) X(sd_bus_process) X(sd_bus_wait) X(sd_bus_slot_unref)          \
	X(sd_bus_get_property)

/* The libsystemd functions used here, resolved with dlsym. */
struct sdb {
	void *lib;
#define SD_MEMBER(f) __typeof__(f) *f;
	SD_FUNCS(SD_MEMBER)
#undef SD_MEMBER
	sd_bus *bus;
};

static void sdb_close(struct sdb *s)
{
	if (s->bus)
		s->sd_bus_flush_close_unref(s->bus);
	if (s->lib)
		dlclose(s->lib);
	memset(s, 0, sizeof(*s));
}

/* Whether this run should ask systemd at all: rootless on a pure v2 tree whose own cgroup is
 * not delegated (a delegated one, or root, needs nobody's help). */
static bool scope_wanted(const struct cgroup_host *host, char *why, size_t size)
{
	if (!host->unified || host->can_write_parent || !host->own_path[0])
		return false;
	if (geteuid() == 0) /* root: mlrun.slice directly, see docs/design.md */
		return false;
	if (!secure_getenv("DBUS_SESSION_BUS_ADDRESS") && !secure_getenv("XDG_RUNTIME_DIR")) {
		cgroup_reason_set(why, size, "no systemd user manager to ask: neither DBUS_SESSION_BUS_ADDRESS nor "
			 "XDG_RUNTIME_DIR is set");
		return false;
	}
	return true;
}

/* Load libsystemd and connect to the user bus ($DBUS_SESSION_BUS_ADDRESS, else
 * $XDG_RUNTIME_DIR/bus). 0, or -errno with why filled. */
static int sdb_open(struct sdb *s, char *why, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->lib = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);
	if (!s->lib) {
		cgroup_reason_set(why, size, "cannot load " LIBSYSTEMD " to ask the systemd user manager: %s", dlerror());
		return -ENOENT;
	}
#define SD_LOAD(f)                                                                               \
	if (!(s->f = (__typeof__(f) *)dlsym(s->lib, #f))) {                                      \
		cgroup_reason_set(why, size, LIBSYSTEMD " has no %s (too old)", #f);                       \
		sdb_close(s);                                                                    \
		return -ENOSYS;                                                                  \
	}
	SD_FUNCS(SD_LOAD)
#undef SD_LOAD
	int r = s->sd_bus_open_user(&s->bus);
	if (r < 0) {
		const char *addr = secure_getenv("DBUS_SESSION_BUS_ADDRESS");
		const char *rt = secure_getenv("XDG_RUNTIME_DIR");
		if (addr)
			cgroup_reason_set(why, size, "cannot connect to the user bus %s: %s", addr, strerror(-r));
		else
			cgroup_reason_set(why, size, "cannot connect to the user bus %s/bus: %s", rt ? rt : "$XDG_RUNTIME_DIR",
				 strerror(-r));
		s->bus = NULL;
		sdb_close(s);
		return r;
	}
	return 0;
}

static void bus_why(char *why, size_t size, const char *what, const sd_bus_error *e, int r)
{
	if (e && e->message)
		cgroup_reason_set(why, size, "%s: %s", what, e->message);
	else
		cgroup_reason_set(why, size, "%s: %s", what, strerror(-r));
}

struct job_wait {
	struct sdb *s;
	const char *path; /* the job's object path, once StartTransientUnit returned it */
	bool done;
	char result[32];  /* "done", "failed", "canceled", ... */
};

/* JobRemoved(u id, o path, s unit, s result): ours when the path is our job's. */
static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct job_wait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;
	(void)ret_error;
	if (w->s->sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->path)
		return 0;
	if (strcmp(path, w->path) == 0) {
		w->done = true;
		snprintf(w->result, sizeof(w->result), "%s", result);
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t now_usec(void)
{
	return now_ns() / 1000;
}

/* StartTransientUnit(unit, "fail", properties, no aux units). OOMPolicy=continue keeps systemd
 * from stopping the scope (and killing the supervisor with it) when the kernel OOM-kills the
 * sandbox: memory.oom.group already ends the sandbox alone, and the supervisor must live to
 * report it. Managers older than 253 do not know OOMPolicy for scopes (nor act on OOM in them):
 * the caller retries without it. */
static int start_scope(struct sdb *s, const char *unit, const char *id, bool oom_policy,
		       uint64_t timeout_usec, sd_bus_message **reply, sd_bus_error *e)
{
	char desc[128];
	sd_bus_message *m = NULL;
	snprintf(desc, sizeof(desc), "mlrun sandbox %s", id);
	int r = s->sd_bus_message_new_method_call(s->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
	if (r >= 0)
		r = s->sd_bus_message_append(m, "ss", unit, "fail");
	if (r >= 0)
		r = s->sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = s->sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc,
					     "Slice", "s", CGROUP_SCOPE_SLICE, "Delegate", "b", 1,
					     "DelegateControllers", "as", 4, "cpu", "memory", "pids", "io",
					     "MemoryAccounting", "b", 1, "CPUAccounting", "b", 1, "TasksAccounting",
					     "b", 1, "CollectMode", "s", "inactive-or-failed", "PIDs", "au", 1,
					     (uint32_t)getpid());
	if (r >= 0 && oom_policy)
		r = s->sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", "continue");
	if (r >= 0)
		r = s->sd_bus_message_close_container(m);
	if (r >= 0)
		r = s->sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = s->sd_bus_call(s->bus, m, timeout_usec, e, reply);
	s->sd_bus_message_unref(m);
	return r;
}

/* Ask for the scope and wait for its job. 0 when the job is done; -EEXIST (err filled) when a
 * unit of that name exists; another -errno with why filled when systemd said no. */
static int scope_request(struct sdb *s, struct cgroup_host *host, const char *unit, const char *id, char *why,
			 size_t size, struct error *err)
{
	uint64_t deadline = now_usec() + SCOPE_TIMEOUT_USEC;
	struct job_wait w = { .s = s };
	sd_bus_slot *slot = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *job;
	int r;

	/* Installed (asynchronously: no extra round trip) before the call, so that the job's end
	 * cannot come before we listen for it. */
	r = s->sd_bus_match_signal_async(s->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed,
					 NULL, &w);
	if (r < 0) {
		bus_why(why, size, "cannot listen for systemd's JobRemoved", NULL, r);
		return r;
	}
	r = start_scope(s, unit, id, true, SCOPE_TIMEOUT_USEC, &reply, &e);
	if (r < 0 && e.message && strstr(e.message, "OOMPolicy")) {
		s->sd_bus_error_free(&e);
		host->systemd_retried = true;
		r = start_scope(s, unit, id, false, deadline - now_usec(), &reply, &e);
	}
	host->systemd_ns[2] = now_ns();
	if (r < 0) {
		if (e.name && strcmp(e.name, "org.freedesktop.systemd1.UnitExists") == 0)
			r = error_set(err, EEXIST, "cannot start systemd scope %s: %s (a sandbox named '%s' is running)",
				      unit, e.message ? e.message : "it exists", id);
		else
			bus_why(why, size, "the systemd user manager refused a delegated scope", &e, r);
		goto out;
	}
	if ((r = s->sd_bus_message_read(reply, "o", &job)) < 0) {
		bus_why(why, size, "unexpected reply to StartTransientUnit", NULL, r);
		goto out;
	}
	w.path = job;
	while (!w.done) {
		uint64_t now = now_usec();
		if (now >= deadline) {
			cgroup_reason_set(why, size, "systemd did not finish starting %s within %llu s", unit,
				 (unsigned long long)(SCOPE_TIMEOUT_USEC / 1000000));
			r = -ETIMEDOUT;
			goto out;
		}
		r = s->sd_bus_process(s->bus, NULL);
		if (r > 0)
			continue;
		if (r == 0)
			r = s->sd_bus_wait(s->bus, deadline - now);
		if (r < 0) {
			bus_why(why, size, "lost the systemd user bus while waiting for the scope", NULL, r);
			goto out;
		}
	}
	r = 0;
	host->systemd_ns[3] = now_ns();
	if (strcmp(w.result, "done") != 0) {
		cgroup_reason_set(why, size, "systemd's job for %s ended '%s'", unit, w.result);
		r = -ECANCELED;
	}
out:
	s->sd_bus_message_unref(reply);
	s->sd_bus_error_free(&e);
	s->sd_bus_slot_unref(slot);
	return r;
}

/* systemd has put us in <...>/mlrun.slice/<unit>: check that with the kernel (a bus peer's word
 * moves no process), then move into <scope>/supervisor so that the scope can hand controllers to
 * the leaf. Our own cgroup belongs to us only if systemd delegated it: the re-probe checks that
 * the scope is owned by our uid and writable, and finds the leaf's place. */
static int scope_enter(struct cgroup_host *host, const char *unit, char *why, size_t size)
{
	char text[4096], own[sizeof(host->own_path)], suffix[160], dir[sizeof(host->parent_path)], pid[32];
	char sup_path[sizeof(dir) + sizeof(SCOPE_SUPERVISOR)];
	int r = cgroup_read(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));
	if (r == 0)
		r = cgroup_parse_own_path(text, own, sizeof(own));
	if (r < 0) {
		cgroup_reason_set(why, size, "cannot read this process' cgroup after systemd started %s: %s", unit, strerror(-r));
		return r;
	}
	snprintf(suffix, sizeof(suffix), "/" CGROUP_SCOPE_SLICE "/%s", unit);
	size_t n = strlen(own), k = strlen(suffix);
	if (n <= k || strcmp(own + n - k, suffix) != 0) {
		cgroup_reason_set(why, size, "systemd reported %s started, but this process is in cgroup %s", unit, own);
		return -ESRCH;
	}
	if (snprintf(dir, sizeof(dir), CGROUP_MOUNT "%s", own) >= (int)sizeof(dir)) {
		cgroup_reason_set(why, size, "cgroup path too long: %s", own);
		return -ENAMETOOLONG;
	}
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || (mkdirat(fd, SCOPE_SUPERVISOR, 0755) < 0 && errno != EEXIST)) {
		cgroup_reason_set(why, size, "cannot create cgroup %s/" SCOPE_SUPERVISOR " in the delegated scope: %s", dir,
			 strerror(errno));
		return -errno;
	}
	_cleanup_close_ int sup = openat(fd, SCOPE_SUPERVISOR, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct error e = { 0 };
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(sup_path, sizeof(sup_path), "%s/" SCOPE_SUPERVISOR, dir);
	if (sup < 0 || (r = cgroup_write(sup, sup_path, "cgroup.procs", pid, &e)) < 0) {
		cgroup_reason_set(why, size, "cannot move mlrun into %s/" SCOPE_SUPERVISOR ": %s", dir,
			 sup < 0 ? strerror(errno) : e.msg);
		return sup < 0 ? -errno : r;
	}
	cgroup_probe(host);
	if (!host->can_write_parent || strcmp(host->parent_path, dir) != 0) {
		cgroup_reason_set(why, size, "the scope %s is not delegated to uid %u: %s", dir, (unsigned)geteuid(),
			 host->reason[0] ? host->reason : "not writable");
		return -EPERM;
	}
	return 0;
}

int cgroup_systemd_scope(struct cgroup_host *host, const char *id, struct error *err)
{
	char why[CGROUP_REASON_MAX / 2] = "", unit[CGROUP_ID_MAX + 32];
	struct sdb s;
	int r;

	if (!scope_wanted(host, why, sizeof(why))) {
		if (why[0])
			cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
		return 0;
	}
	if (!cgroup_id_valid(id))
		return error_set(err, EINVAL, "invalid sandbox id '%s'", id ? id : "");
	snprintf(unit, sizeof(unit), CGROUP_DELEGATED_PREFIX "%s.scope", id);
	host->systemd_ns[0] = now_ns();
	if (sdb_open(&s, why, sizeof(why)) < 0) {
		cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
		return 0;
	}
	host->systemd_ns[1] = now_ns();
	r = scope_request(&s, host, unit, id, why, sizeof(why), err);
	sdb_close(&s);
	if (r == -EEXIST && err && err->msg[0])
		return r;
	if (r == 0) {
		struct cgroup_host saved = *host;
		r = scope_enter(host, unit, why, sizeof(why)); /* re-probes: keep the timings */
		memcpy(host->systemd_ns, saved.systemd_ns, sizeof(host->systemd_ns));
		host->systemd_retried = saved.systemd_retried;
		if (r < 0)
			*host = saved; /* as before: no leaves, the reason says why */
	}
	if (r < 0) {
		cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
		return 0;
	}
	snprintf(host->systemd_unit, sizeof(host->systemd_unit), "%s", unit);
	return 1;
}

void cgroup_systemd_probe(struct cgroup_host *host)
{
	char why[CGROUP_REASON_MAX / 2] = "", list[512], path[sizeof(host->parent_path)];
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *cg = NULL;
	struct sdb s;

	if (!scope_wanted(host, why, sizeof(why))) {
		if (why[0])
			cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
		return;
	}
	if (sdb_open(&s, why, sizeof(why)) < 0) {
		cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
		return;
	}
	/* The manager's own cgroup: what it holds in cgroup.controllers it can delegate. */
	/* read from the reply, which the library frees: mlrun is static and libsystemd (dlopen) has
	 * a malloc of its own, so nothing it allocated is ever given to our free() */
	int r = s.sd_bus_get_property(s.bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &reply, "s");
	if (r >= 0)
		r = s.sd_bus_message_read(reply, "s", &cg);
	if (r < 0) {
		bus_why(why, sizeof(why), "no systemd user manager on the user bus", &e, r);
		cgroup_reason_add(host->reason, sizeof(host->reason), "%s", why);
	} else {
		snprintf(path, sizeof(path), CGROUP_MOUNT "%s", cg);
		_cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = fd < 0 ? -errno : cgroup_read(fd, "cgroup.controllers", list, sizeof(list));
		if (r < 0) {
			cgroup_reason_add(host->reason, sizeof(host->reason), "cannot read %s/cgroup.controllers: %s", path,
					  strerror(-r));
		} else {
			host->memory = cgroup_list_has(list, "memory");
			host->cpu = cgroup_list_has(list, "cpu");
			host->pids = cgroup_list_has(list, "pids");
			host->io = cgroup_list_has(list, "io");
			snprintf(host->systemd_unit, sizeof(host->systemd_unit), CGROUP_DELEGATED_PREFIX "<id>.scope");
			cgroup_reason_set(host->parent_path, sizeof(host->parent_path), "%s/" CGROUP_SCOPE_SLICE "/%s", path,
				 host->systemd_unit);
			host->reason[0] = '\0';
		}
	}
	s.sd_bus_message_unref(reply);
	s.sd_bus_error_free(&e);
	sdb_close(&s);
}

/* Whether the n bytes at s are one path component "mlrun-<valid id>.scope". */
static bool is_scope_name(const char *s, size_t n)
{
	const size_t pre = strlen(CGROUP_DELEGATED_PREFIX), suf = strlen(".scope");
	char id[CGROUP_ID_MAX + 1];
	if (n <= pre + suf || n - pre - suf > CGROUP_ID_MAX || strncmp(s, CGROUP_DELEGATED_PREFIX, pre) != 0 ||
	    strncmp(s + n - suf, ".scope", suf) != 0)
		return false;
	snprintf(id, sizeof(id), "%.*s", (int)(n - pre - suf), s + pre);
	return cgroup_id_valid(id);
}

int cgroup_host_use_scope(struct cgroup_host *host, const char *id, const char *leaf_path)
{
	char leaf[CGROUP_ID_MAX + 16];
	if (!host->unified || !cgroup_id_valid(id) || strncmp(leaf_path, CGROUP_MOUNT "/", sizeof(CGROUP_MOUNT)) != 0 ||
	    strstr(leaf_path, "/.") || strstr(leaf_path, "//") || strlen(leaf_path) >= sizeof(host->parent_path))
		return -ENOENT;
	/* .../mlrun.slice/mlrun-<run or batch id>.scope/mlrun-<id> */
	snprintf(leaf, sizeof(leaf), "/" CGROUP_DELEGATED_PREFIX "%s", id);
	size_t n = strlen(leaf_path), k = strlen(leaf);
	if (n <= k || strcmp(leaf_path + n - k, leaf) != 0)
		return -ENOENT;
	const char *end = leaf_path + n - k, *scope = end;
	while (scope > leaf_path && scope[-1] != '/')
		scope--;
	const char *slice = scope - 1 - strlen(CGROUP_SCOPE_SLICE);
	if (!is_scope_name(scope, (size_t)(end - scope)) || slice <= leaf_path || slice[-1] != '/' ||
	    strncmp(slice, CGROUP_SCOPE_SLICE "/", strlen(CGROUP_SCOPE_SLICE) + 1) != 0)
		return -ENOENT;
	snprintf(host->parent_path, sizeof(host->parent_path), "%.*s", (int)(end - leaf_path), leaf_path);
	snprintf(host->leaf_prefix, sizeof(host->leaf_prefix), CGROUP_DELEGATED_PREFIX);
	return 0;
}
