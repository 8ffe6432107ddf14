/* state.c - the state directory of live sandboxes (see state.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../ns/ns.h"
#include "state.h"

#define STATE_FILE_MAX 65536 /* a state file is a few hundred bytes */
#define STATE_DIR_FIX "remove it, or set XDG_RUNTIME_DIR to a directory only you can write"

/* Where the state directory lives: <parent>/<name>. */
static void state_dir_parts(char *parent, size_t plen, char *name, size_t nlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	/* root of a user namespace with a runtime directory (rootless podman's runtime) is a user of
	 * the host: /run is not its own */
	if (geteuid() == 0 && (ns_initial_userns() || !xdg || xdg[0] != '/')) {
		snprintf(parent, plen, "/run");
		snprintf(name, nlen, "mlrun");
	} else if (xdg && xdg[0] == '/') {
		snprintf(parent, plen, "%s", xdg);
		snprintf(name, nlen, "mlrun");
	} else {
		snprintf(parent, plen, "/tmp");
		snprintf(name, nlen, "mlrun-%u", (unsigned)geteuid());
	}
}

int state_dir(char *buf, size_t len, bool create, struct error *err)
{
	char parent[512], name[64];
	state_dir_parts(parent, sizeof(parent), name, sizeof(name));
	if (snprintf(buf, len, "%s/%s", parent, name) >= (int)len)
		return error_set(err, ENAMETOOLONG, "state directory path too long: %s/%s", parent, name);
	if (create) {
		int fd = state_dir_open(true, err);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

/* A directory on the way to the state directory: owned by root or by us, and writable by
 * nobody else unless sticky (/tmp: others cannot rename or remove what we own there). */
/* Inside a user namespace (rootless podman runs its runtime in one) the host's root owns /, /run
 * and /run/user but reads as the overflow uid, as every id the namespace does not map does: such an
 * ancestor is trusted as root's would be. The limit, said in docs/oci.md: there, another host user's
 * directory reads the same; the directory itself must still be the caller's (private_dir_open). */
static bool unmapped_owner(const struct stat *st)
{
	return st->st_uid == ns_overflow_uid() && !ns_initial_userns();
}

static bool ancestor_trusted(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_uid == 0 || st->st_uid == geteuid() || unmapped_owner(st)) &&
	       (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

/* Walk path (absolute, no symlinks: realpath'd) from / one component at a time, without
 * following links, checking each directory: another user who controls any of them could swap
 * the state directory for his own. Returns an O_PATH fd of the last one. */
static int open_trusted_ancestors(const char *path, struct error *err)
{
	char walked[PATH_MAX] = "";
	_cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "cannot open /");
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	for (char *c = copy;; c = NULL) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return error_set(err, errno, "cannot stat %s", walked[0] ? walked : "/");
		if (!ancestor_trusted(&st))
			return error_set(err, EPERM,
					 "cannot keep state under %s: it is owned by uid %u with mode %04o (another user "
					 "could replace what mlrun keeps there); set XDG_RUNTIME_DIR to a directory only "
					 "you can write", walked[0] ? walked : "/", (unsigned)st.st_uid,
					 (unsigned)(st.st_mode & 07777));
		char *comp = strtok_r(c, "/", &save);
		if (!comp)
			return TAKE_FD(fd);
		size_t n = strlen(walked);
		snprintf(walked + n, sizeof(walked) - n, "/%s", comp);
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return error_set(err, errno, "cannot open %s", walked);
		close(fd);
		fd = next;
	}
}

/* parent/name, verified as the state directory is: used for mlrun's own and for mlrun-oci's
 * --root (state_private_dir_open). */
static int private_dir_open(const char *parent, const char *name, bool create, struct error *err)
{
	char real[PATH_MAX];
	/* The caller's own XDG_RUNTIME_DIR may go through links; what it resolves to is checked. */
	if (!realpath(parent, real))
		return error_set(err, errno, "cannot use %s for the state directory", parent);
	_cleanup_close_ int pfd = open_trusted_ancestors(real, err);
	if (pfd < 0)
		return pfd;
	if (create && mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "cannot create the state directory %s/%s", real, name);
	/* O_PATH: a directory we may not even read (another user's, 0700) is still examined. */
	_cleanup_close_ int fd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 && errno == ENOENT)
		return -ENOENT; /* nothing registered yet (never with create) */
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP) && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return error_set(err, ENOTDIR, "the state directory %s/%s is not a directory (%s): " STATE_DIR_FIX,
				 real, name, S_ISLNK(st.st_mode) ? "a symbolic link" : "some other file");
	if (fd < 0)
		return error_set(err, errno, "cannot open the state directory %s/%s", real, name);
	/* Planted by another user (mkdir -m777 /tmp/mlrun-UID), or opened up since: files in it
	 * may not be ours, so nothing in it is read, signalled or trusted. */
	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot stat the state directory %s/%s", real, name);
	if (st.st_uid != geteuid() || (st.st_mode & 077))
		return error_set(err, EPERM,
				 "the state directory %s/%s is owned by uid %u with mode %04o, not private to uid %u: "
				 STATE_DIR_FIX, real, name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
				 (unsigned)geteuid());
	return TAKE_FD(fd);
}

int state_dir_open(bool create, struct error *err)
{
	char parent[512], name[64];
	state_dir_parts(parent, sizeof(parent), name, sizeof(name));
	return private_dir_open(parent, name, create, err);
}

int state_private_dir_open(const char *path, bool create, struct error *err)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1] || (size_t)(slash - path) >= sizeof(parent))
		return error_set(err, EINVAL, "%s: the state directory must be an absolute path", path);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	return private_dir_open(parent, slash + 1, create, err);
}

/* Ids name files in the state directory: [A-Za-z0-9_.-], no leading dot (as cgroup leaves). */
static bool id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n >= STATE_ID_MAX || id[0] == '.')
		return false;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
			return false;
	return true;
}

uint64_t state_proc_starttime(pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return 0;
	/* Field 22; the command (field 2) may hold spaces, so count from its closing paren. */
	char *p = strrchr(line, ')');
	unsigned long long start = 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

bool state_alive(const struct state_entry *e)
{
	return e->supervisor_pid > 0 && e->supervisor_start != 0 && kill(e->supervisor_pid, 0) == 0 &&
	       state_proc_starttime(e->supervisor_pid) == e->supervisor_start;
}

/* Create the temporary file next to the final one: O_EXCL|O_NOFOLLOW, so that a name planted
 * in advance (a link to a file elsewhere) is never opened; a leftover of a crashed writer with
 * the same pid is removed once. */
static int create_tmp(int dfd, const char *tmp)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || attempt)
			return fd < 0 ? -errno : fd;
		unlinkat(dfd, tmp, 0);
	}
	return -EEXIST;
}

int state_write(const struct state_entry *e, struct error *err)
{
	char path[STATE_ID_MAX + 8], tmp[STATE_ID_MAX + 32];
	if (!id_valid(e->id))
		return error_set(err, EINVAL, "invalid sandbox id '%s'", e->id);
	_cleanup_close_ int dfd = state_dir_open(true, err);
	if (dfd < 0)
		return dfd;
	snprintf(path, sizeof(path), "%s.json", e->id);
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", e->id, (int)getpid());
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "supervisor_pid", json_object_new_int(e->supervisor_pid));
	json_object_object_add(o, "supervisor_start", json_object_new_int64((int64_t)e->supervisor_start));
	json_object_object_add(o, "init_pid", json_object_new_int(e->init_pid));
	json_object_object_add(o, "init_start", json_object_new_int64((int64_t)e->init_start));
	json_object_object_add(o, "policy", json_object_new_string(e->policy));
	json_object_object_add(o, "cgroup", json_object_new_string(e->cgroup));
	json_object_object_add(o, "started_ms", json_object_new_int64((int64_t)e->started_ms));
	json_object_object_add(o, "command", json_object_new_string(e->command));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	/* Written whole, then renamed: a reader never sees half a file. */
	int fd = create_tmp(dfd, tmp);
	int r = fd < 0 ? fd : write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	json_object_put(o);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, path) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0)
			unlinkat(dfd, tmp, 0);
		return error_set(err, -r, "cannot write the state file %s", path);
	}
	return 0;
}

void state_remove(const char *id)
{
	char path[STATE_ID_MAX + 8];
	if (!id_valid(id))
		return;
	_cleanup_close_ int dfd = state_dir_open(false, NULL);
	if (dfd < 0)
		return;
	snprintf(path, sizeof(path), "%s.json", id);
	unlinkat(dfd, path, 0);
}

/* ".ID.PID.tmp" of a PID that no longer exists: no writer will ever rename it. A live PID's
 * file is left alone (it may be mid-write, or the pid reused: then the next gc gets it). */
static bool orphan_tmp(int dfd, const char *name)
{
	size_t len = strlen(name);
	if (name[0] != '.' || len < 7 || strcmp(name + len - 4, ".tmp"))
		return false;
	const char *dot = name + len - 5;
	while (dot > name + 1 && isdigit((unsigned char)*dot))
		dot--;
	if (*dot != '.' || dot == name + len - 5)
		return false;
	long pid = strtol(dot + 1, NULL, 10);
	struct stat st;
	if (pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
		return false;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

size_t state_remove_orphan_tmp(void)
{
	size_t removed = 0;
	_cleanup_close_ int dfd = state_dir_open(false, NULL);
	if (dfd < 0)
		return 0;
	int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (orphan_tmp(dfd, de->d_name) && unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
	return removed;
}

static void copy_str(json_object *o, const char *key, char *dst, size_t len)
{
	json_object *v;
	snprintf(dst, len, "%s", json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "");
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* One state file, read through the verified directory's fd: a regular file of ours, private,
 * with one link (not a hard link to something else), whose id is its name. */
static int read_entry(int dfd, const char *name, struct state_entry *e)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) || st.st_nlink != 1 ||
	    st.st_size <= 0 || st.st_size >= STATE_FILE_MAX)
		return -EPERM;
	_cleanup_free_ char *text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	ssize_t n = read(fd, text, (size_t)st.st_size);
	if (n != st.st_size)
		return -EIO;
	text[n] = '\0';
	return state_entry_parse(text, name, e);
}

int state_entry_parse(const char *text, const char *name, struct state_entry *e)
{
	json_object *o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	memset(e, 0, sizeof(*e));
	copy_str(o, "id", e->id, sizeof(e->id));
	copy_str(o, "policy", e->policy, sizeof(e->policy));
	copy_str(o, "cgroup", e->cgroup, sizeof(e->cgroup));
	copy_str(o, "command", e->command, sizeof(e->command));
	e->supervisor_pid = (pid_t)get_int(o, "supervisor_pid");
	e->supervisor_start = (uint64_t)get_int(o, "supervisor_start");
	e->init_pid = (pid_t)get_int(o, "init_pid");
	e->init_start = (uint64_t)get_int(o, "init_start");
	e->started_ms = (uint64_t)get_int(o, "started_ms");
	json_object_put(o);
	size_t len = strlen(e->id);
	if (!id_valid(e->id) || strncmp(name, e->id, len) || strcmp(name + len, ".json"))
		return -EINVAL;
	return 0;
}

int state_list(struct state_entry **out, size_t *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_close_ int dfd = state_dir_open(false, err);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		return error_set(err, errno, "cannot read the state directory");
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct state_entry *grown = realloc(*out, cap * sizeof(**out));
			if (!grown) {
				free(*out);
				*out = NULL;
				*n = 0;
				return error_set(err, ENOMEM, "out of memory");
			}
			*out = grown;
		}
		if (read_entry(dfd, de->d_name, &(*out)[*n]) == 0)
			(*n)++;
	}
	return 0;
}

int state_find(const char *id, struct state_entry *e, struct error *err)
{
	char name[STATE_ID_MAX + 8];
	if (!id_valid(id))
		return error_set(err, 0, "no sandbox '%s'", id);
	_cleanup_close_ int dfd = state_dir_open(false, err);
	if (dfd < 0)
		return dfd == -ENOENT ? error_set(err, 0, "no sandbox '%s' (see mlrun ps)", id) : dfd;
	snprintf(name, sizeof(name), "%s.json", id);
	if (read_entry(dfd, name, e) < 0)
		return error_set(err, 0, "no sandbox '%s' (see mlrun ps)", id);
	return 0;
}
