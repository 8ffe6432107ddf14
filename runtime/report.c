/* report.c - the JSON report (SPEC "The report"), written with json-c, and --summary.
 *
 * Every number comes from the kernel (cgroup files or wait4) and carries its unit in its
 * name; "enforced" never claims a limit that was not in force. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/num.h"
#include "../lib/paths.h"
#include "oci_spec.h"
#include "run.h"

static json_object *num_or_null(uint64_t v)
{
	return v == POLICY_UNLIMITED ? NULL : json_object_new_int64((int64_t)v);
}

static json_object *cg_int(const struct run_result *r, uint64_t v)
{
	return r->cgroup_stats ? json_object_new_int64((int64_t)v) : NULL;
}

static json_object *ms(double v)
{
	return json_object_new_double(num_round(v * 10.0) / 10.0);
}

static json_object *limits_obj(const struct policy *p)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "memory_bytes", num_or_null(p->memory_bytes));
	json_object_object_add(o, "swap_bytes", num_or_null(p->swap_bytes));
	json_object_object_add(o, "cpus", p->cpus > 0 ? json_object_new_double(p->cpus) : NULL);
	json_object_object_add(o, "pids", num_or_null(p->pids));
	json_object_object_add(o, "timeout_ms", num_or_null(p->timeout_ms));
	json_object_object_add(o, "cpu_time_ms", num_or_null(p->cpu_time_ms));
	json_object_object_add(o, "tmp_bytes", num_or_null(p->tmp_bytes));
	json_object_object_add(o, "file_size_bytes", num_or_null(p->file_size_bytes));
	return o;
}

static json_object *enforced_obj(const struct run_enforced *e)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "memory", json_object_new_boolean(e->memory));
	json_object_object_add(o, "cpu", json_object_new_boolean(e->cpu));
	json_object_object_add(o, "pids", json_object_new_boolean(e->pids));
	json_object_object_add(o, "io", json_object_new_boolean(e->io));
	json_object_object_add(o, "seccomp", json_object_new_boolean(e->seccomp));
	json_object_object_add(o, "landlock", json_object_new_boolean(e->landlock));
	json_object_object_add(o, "network", json_object_new_boolean(e->network));
	json_object_object_add(o, "proc", json_object_new_boolean(e->proc));
	json_object_object_add(o, "hostname", json_object_new_boolean(e->hostname));
	return o;
}

/* The cgroup's reason, the seccomp, proc and hostname ones, whichever apply; null when everything holds. */
static json_object *not_enforced_reason(const struct run_enforced *e)
{
	const char *parts[] = { e->why, e->seccomp_why, e->proc_why, e->hostname_why };
	char buf[sizeof(e->why) + sizeof(e->hostname_why) + 1024];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts) && used < sizeof(buf); i++)
		if (parts[i] && parts[i][0])
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "; " : "", parts[i]);
	return buf[0] ? json_object_new_string(buf) : NULL;
}

/* mlrun-oci: the config's own linux.seccomp filter (null when it has none). Loaded with the
 * program whenever it ran; its ERRNO denials are counted in violations (source linux.seccomp)
 * unless the annotation run.mlrun.seccomp_count = off left them to the kernel; its KILL and TRAP
 * are the kernel's, never counted: denials_counted says which (docs/oci.md). */
static json_object *config_seccomp_obj(const struct run_oci *oci, const struct run_result *r)
{
	json_object *sc = oci->spec->seccomp, *def = NULL;
	if (!sc)
		return NULL;
	json_object *o = json_object_new_object();
	bool ran = r->status != RUN_ERROR && r->status != RUN_REJECTED;
	json_object_object_get_ex(sc, "defaultAction", &def);
	json_object_object_add(o, "loaded", json_object_new_boolean(ran));
	json_object_object_add(o, "default_action", def ? json_object_new_string(json_object_get_string(def)) : NULL);
	json_object_object_add(o, "denials_counted", json_object_new_boolean(ran && !oci->spec->seccomp_uncounted));
	return o;
}

static json_object *build(const struct run_oci *oci, const char *id, const struct policy *p, char *const *command,
			  const struct run_result *r, const struct run_enforced *e)
{
	json_object *o = json_object_new_object();
	json_object *cmd = json_object_new_array();
	for (char *const *a = command; a && *a; a++)
		json_object_array_add(cmd, json_object_new_string(*a));

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "policy", json_object_new_string(p->name ? p->name : "builtin"));
	json_object_object_add(o, "command", cmd);
	json_object_object_add(o, "status", json_object_new_string(run_status_name(r->status)));
	json_object_object_add(o, "exit_code", r->code >= 0 ? json_object_new_int(r->code) : NULL);
	json_object_object_add(o, "signal", r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(o, "mlrun_exit_status", json_object_new_int(r->exit_code));
	json_object_object_add(o, "wall_ms", ms(r->wall_ms));
	json_object_object_add(o, "cpu_user_ms", ms(r->cpu_user_ms));
	json_object_object_add(o, "cpu_system_ms", ms(r->cpu_system_ms));
	/* wait4's rusage counts only processes pid 1 reaped: one killed by a time limit is missing. */
	json_object_object_add(o, "cpu_source", json_object_new_string(r->cgroup_stats ? "cgroup" : "rusage"));
	json_object_object_add(o, "memory_peak_bytes", json_object_new_int64((int64_t)r->memory_peak_bytes));
	json_object_object_add(o, "memory_peak_source",
			       json_object_new_string(r->memory_from_rusage ? "rusage-maxrss" : "cgroup"));
	/* Without a cgroup these cannot be measured: null, not a made-up 0. */
	json_object_object_add(o, "memory_avg_bytes", cg_int(r, r->memory_avg_bytes));
	json_object_object_add(o, "pids_peak", cg_int(r, r->pids_peak));
	json_object_object_add(o, "io_read_bytes", cg_int(r, r->io_read_bytes));
	json_object_object_add(o, "io_write_bytes", cg_int(r, r->io_write_bytes));
	json_object_object_add(o, "oom_kills", cg_int(r, r->oom_kills));
	json_object_object_add(o, "cpu_throttled_count", cg_int(r, r->cpu_throttled_count));
	json_object_object_add(o, "cpu_throttled_ms", cg_int(r, r->cpu_throttled_ms));
	const char *profile = e->seccomp_profile ? e->seccomp_profile : p->seccomp;
	json_object_object_add(o, "seccomp_profile", profile ? json_object_new_string(profile) : NULL);
	if (oci)
		json_object_object_add(o, "config_seccomp", config_seccomp_obj(oci, r));
	json_object *env = json_object_new_object();
	for (size_t i = 0; i < r->n_env; i++)
		json_object_object_add(env, r->env_names[i], json_object_new_string(r->env_values[i]));
	json_object_object_add(o, "env_overrides", env);
	json_object_object_add(o, "limits", limits_obj(p));
	json_object_object_add(o, "enforced", enforced_obj(e));
	json_object_object_add(o, "not_enforced_reason", not_enforced_reason(e));
	json_object *v = json_object_new_array();
	for (size_t i = 0; i < r->violations.n; i++) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "kind", json_object_new_string("seccomp"));
		json_object_object_add(x, "syscall", json_object_new_string(r->violations.v[i].syscall));
		json_object_object_add(x, "count", json_object_new_int64((int64_t)r->violations.v[i].count));
		json_object_object_add(x, "action", json_object_new_string(r->violations.v[i].action));
		if (r->violations.v[i].source) /* mlrun-oci: which filter denied it (docs/oci.md) */
			json_object_object_add(x, "source", json_object_new_string(r->violations.v[i].source));
		json_object_object_add(x, "first_ms", ms(r->violations.v[i].first_ms));
		json_object_array_add(v, x);
	}
	json_object_object_add(o, "violations", v);
	/* A throttled storm: every call answered was counted, one still waiting at the end may not. */
	json_object_object_add(o, "violations_lower_bound", json_object_new_boolean(r->violations.lower_bound));
	json_object_object_add(o, "violations_throttled_ms", ms(r->violations.throttled_ms));
	json_object_object_add(o, "supervisor_cpu_ms", ms(r->supervisor_cpu_ms));
	json_object_object_add(o, "samples", json_object_new_int64((int64_t)r->samples));
	json_object_object_add(o, "error", r->error[0] ? json_object_new_string(r->error) : NULL);
	if (r->analysis_json)
		json_object_object_add(o, "analysis", json_tokener_parse(r->analysis_json));
	json_object_object_add(o, "mlrun_version", json_object_new_string(MLRUN_VERSION));
	return o;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) { /* an O_NONBLOCK someone else set: wait, do not lose it */
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A report cut short (ENOSPC, EIO) must not be read as the run's: a half JSON, or a whole one
 * saying "exited" while mlrun exits 125. The file goes if this run created it (and is still the
 * one at the path), else it is emptied. */
static void discard_partial(int fd, const char *path, bool created)
{
	struct stat fst, pst;
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode))
		return;
	if (created && fstatat(AT_FDCWD, path, &pst, AT_SYMLINK_NOFOLLOW) == 0 && pst.st_dev == fst.st_dev &&
	    pst.st_ino == fst.st_ino && unlink(path) == 0)
		return;
	if (ftruncate(fd, 0) < 0)
		return; /* nothing more to do: the error is already reported */
}

int report_open(const struct run_options *opt, struct report_dest *d, struct error *err)
{
	d->fd = d->file = -1;
	d->created = false;
	if (opt->report_fd >= 0) {
		int fl = fcntl(opt->report_fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			return error_set(err, fl < 0 ? errno : 0,
					 fl < 0 ? "--report-fd %d: cannot write the report there"
						: "--report-fd %d: cannot write the report there: it is open read-only",
					 opt->report_fd);
		d->fd = opt->report_fd;
	}
	if (opt->report_path && strcmp(opt->report_path, "-") == 0) {
		if ((d->file = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0)
			return d->fd = -1, error_set(err, errno, "cannot write the report to stderr");
	} else if (opt->report_path) {
		int fd = paths_open_output(AT_FDCWD, opt->report_path, "report", false, &d->created, err);
		if (fd < 0)
			return d->fd = -1, fd;
		d->file = fd;
	}
	return 0;
}

void report_close(struct report_dest *d)
{
	closep(&d->file);
	d->fd = d->file = -1;
}

int report_write(const struct run_options *opt, const struct report_dest *d, const char *id, const struct policy *p,
		 char *const *command, const struct run_result *res, const struct run_enforced *enf, struct error *err)
{
	if (d->fd < 0 && d->file < 0)
		return 0;
	json_c_set_serialization_double_format("%.1f", JSON_C_OPTION_THREAD);
	json_object *o = build(opt->oci, id, p, command, res, enf);
	size_t len;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int r = 0;
	if (d->fd >= 0) {
		if ((r = write_all(d->fd, text, len)) == 0)
			r = write_all(d->fd, "\n", 1);
		if (r < 0)
			error_set(err, -r, "cannot write the report to fd %d", d->fd);
	}
	if (r == 0 && d->file >= 0 && ((r = write_all(d->file, text, len)) < 0 || (r = write_all(d->file, "\n", 1)) < 0)) {
		bool to_stderr = strcmp(opt->report_path, "-") == 0;
		error_set(err, -r, "cannot write the report to %s", to_stderr ? "stderr" : opt->report_path);
		if (!to_stderr)
			discard_partial(d->file, opt->report_path, d->created);
	}
	json_object_put(o);
	return r;
}

static void human_bytes(char *buf, size_t len, uint64_t v)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	size_t i = 0;
	while (d >= 1024 && i + 1 < ARRAY_SIZE(unit)) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", d, unit[i]);
}

void report_summary(FILE *f, const struct run_result *r, const struct run_enforced *e)
{
	char peak[32], avg[32];
	human_bytes(peak, sizeof(peak), r->memory_peak_bytes);
	human_bytes(avg, sizeof(avg), r->memory_avg_bytes);
	fprintf(f, "mlrun: ---------------- summary ----------------\n");
	if (r->status == RUN_EXITED)
		fprintf(f, "mlrun: status      exited %d\n", r->code);
	else if (r->signal)
		fprintf(f, "mlrun: status      %s (signal %d)\n", run_status_name(r->status), r->signal);
	else
		fprintf(f, "mlrun: status      %s\n", run_status_name(r->status));
	fprintf(f, "mlrun: wall        %.1f ms\n", r->wall_ms);
	fprintf(f, "mlrun: cpu         %.1f ms user, %.1f ms system\n", r->cpu_user_ms, r->cpu_system_ms);
	if (r->cgroup_stats) {
		fprintf(f, "mlrun: memory      peak %s, avg %s\n", peak, avg);
		fprintf(f, "mlrun: pids        peak %llu\n", (unsigned long long)r->pids_peak);
	} else {
		fprintf(f, "mlrun: memory      peak %s (max RSS of one process; no cgroup here)\n", peak);
	}
	fprintf(f, "mlrun: violations  %zu\n", r->violations.n);
	for (size_t i = 0; i < r->n_env; i++)
		fprintf(f, "mlrun: from env    %s=%s\n", r->env_names[i], r->env_values[i]);
	fprintf(f, "mlrun: enforced    memory=%s cpu=%s pids=%s seccomp=%s landlock=%s network=%s\n",
		e->memory ? "yes" : "NO", e->cpu ? "yes" : "NO", e->pids ? "yes" : "NO", e->seccomp ? "yes" : "NO",
		e->landlock ? "yes" : "NO", e->network ? "yes" : "NO");
}
