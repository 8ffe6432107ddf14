/* state.c - the state directory of live sandboxes (see state.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "state.h"

int state_dir(char *buf, size_t len, bool create, struct error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() == 0)
		snprintf(buf, len, "/run/mlrun");
	else if (xdg && xdg[0] == '/')
		snprintf(buf, len, "%s/mlrun", xdg);
	else
		snprintf(buf, len, "/tmp/mlrun-%u", (unsigned)geteuid());
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "cannot create the state directory %s", buf);
	return 0;
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
	return e->supervisor_pid > 0 && kill(e->supervisor_pid, 0) == 0 &&
	       state_proc_starttime(e->supervisor_pid) == e->supervisor_start;
}

int state_write(const struct state_entry *e, struct error *err)
{
	char dir[512], path[640], tmp[700];
	int r = state_dir(dir, sizeof(dir), true, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s.json", dir, e->id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, e->id);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "supervisor_pid", json_object_new_int(e->supervisor_pid));
	json_object_object_add(o, "supervisor_start", json_object_new_int64((int64_t)e->supervisor_start));
	json_object_object_add(o, "init_pid", json_object_new_int(e->init_pid));
	json_object_object_add(o, "policy", json_object_new_string(e->policy));
	json_object_object_add(o, "cgroup", json_object_new_string(e->cgroup));
	json_object_object_add(o, "started_ms", json_object_new_int64((int64_t)e->started_ms));
	json_object_object_add(o, "command", json_object_new_string(e->command));
	/* Written whole, then renamed: a reader never sees half a file. */
	r = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) < 0 ? -EIO : 0;
	json_object_put(o);
	if (r < 0)
		return error_set(err, EIO, "cannot write %s", tmp);
	if (rename(tmp, path) < 0) {
		r = error_set(err, errno, "cannot write %s", path);
		unlink(tmp);
	}
	return r;
}

void state_remove(const char *id)
{
	char dir[512], path[640];
	if (state_dir(dir, sizeof(dir), false, NULL) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	unlink(path);
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

static int read_entry(const char *path, struct state_entry *e)
{
	json_object *o = json_object_from_file(path);
	if (!o)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	copy_str(o, "id", e->id, sizeof(e->id));
	copy_str(o, "policy", e->policy, sizeof(e->policy));
	copy_str(o, "cgroup", e->cgroup, sizeof(e->cgroup));
	copy_str(o, "command", e->command, sizeof(e->command));
	e->supervisor_pid = (pid_t)get_int(o, "supervisor_pid");
	e->supervisor_start = (uint64_t)get_int(o, "supervisor_start");
	e->init_pid = (pid_t)get_int(o, "init_pid");
	e->started_ms = (uint64_t)get_int(o, "started_ms");
	json_object_put(o);
	return e->id[0] ? 0 : -EINVAL;
}

int state_list(struct state_entry **out, size_t *n, struct error *err)
{
	char dir[512], path[1024];
	*out = NULL;
	*n = 0;
	int r = state_dir(dir, sizeof(dir), false, err);
	if (r < 0)
		return r;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : error_set(err, errno, "cannot read %s", dir);
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
				return error_set(err, ENOMEM, "out of memory");
			}
			*out = grown;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_entry(path, &(*out)[*n]) == 0)
			(*n)++;
	}
	return 0;
}

int state_find(const char *id, struct state_entry *e, struct error *err)
{
	char dir[512], path[1024];
	int r = state_dir(dir, sizeof(dir), false, err);
	if (r < 0)
		return r;
	if (strchr(id, '/') || id[0] == '.')
		return error_set(err, 0, "no sandbox '%s'", id);
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	if (read_entry(path, e) < 0)
		return error_set(err, 0, "no sandbox '%s' (see mlrun ps)", id);
	return 0;
}
