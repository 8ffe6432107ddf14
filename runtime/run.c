/* run.c - `mlrun run`, top to bottom: merge the policy, prepare the sandbox, create the
 * cgroup leaf, supervise, remove the leaf, report, exit with the program's status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "paths.h"
#include "cleanup.h"
#include "prepare.h"
#include "run.h"
#include "scan.h"
#include "state.h"
#include "supervisor.h"
#include "trace.h"

extern char **environ;

void run_make_id(char *buf, size_t len)
{
	unsigned char b[6] = { 0 };
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		uint64_t t = trace_now_ns() ^ (uint64_t)getpid();
		memcpy(b, &t, sizeof(b));
	}
	snprintf(buf, len, "r-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* built-in defaults < policy file < MLRUN_* environment < flags */
static int merge_policy(struct policy *p, const struct run_options *o, struct error *err)
{
	const char *name = o->policy ? o->policy : getenv("MLRUN_POLICY");
	int r;

	policy_init(p);
	if (name && *name) {
		_cleanup_free_ char *path = NULL;
		if ((r = policy_resolve(name, mlrun_datadir(), &path, err)) < 0)
			return r;
		if ((r = policy_load_file(p, path, err)) < 0)
			return r;
	}
	if ((r = policy_apply_env(p, environ, err)) < 0)
		return r;
	for (size_t i = 0; i < o->n_sets; i++) {
		struct error e = { 0 };
		const struct run_set *s = &o->sets[i];
		if ((r = policy_set(p, s->section, s->key, s->value, &e)) < 0)
			return error_set(err, e.code, "%s: %s", s->flag, e.msg), r;
	}
	return policy_validate(p, err);
}

/* The .py file the run would execute: PROGRAM itself, or the script given to an interpreter. */
static const char *python_source(const struct run_options *o)
{
	for (int i = 0; i < o->argc && i < 2; i++) {
		size_t n = strlen(o->argv[i]);
		if (n > 3 && strcmp(o->argv[i] + n - 3, ".py") == 0)
			return o->argv[i];
	}
	return NULL;
}

static int level_rank(const char *level)
{
	static const char *const levels[] = { "SAFE", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
	for (int i = 0; i < (int)ARRAY_SIZE(levels); i++)
		if (strcmp(level, levels[i]) == 0)
			return i;
	return (int)ARRAY_SIZE(levels); /* unknown: treat as worse than anything */
}

/* [analysis] python: scan the program before anything is created; warn, or refuse to run it
 * (status "rejected", exit 125) at or above the policy's level. */
static int analyze_program(const struct policy *p, const struct run_options *o, struct run_result *res,
			   struct error *err)
{
	const char *src = python_source(o);
	if (p->analysis_python == ANALYSIS_OFF || !src)
		return 0;
	int r = scan_file_json(src, &res->analysis_json, err);
	if (r < 0)
		return r;
	json_object *a = json_tokener_parse(res->analysis_json), *v;
	const char *level = a && json_object_object_get_ex(a, "level", &v) ? json_object_get_string(v) : "?";
	int score = a && json_object_object_get_ex(a, "score", &v) ? json_object_get_int(v) : -1;
	size_t findings = a && json_object_object_get_ex(a, "findings", &v) ? json_object_array_length(v) : 0;
	int threshold = p->analysis_python == ANALYSIS_REJECT_HIGH ? level_rank("HIGH")
			: p->analysis_python == ANALYSIS_REJECT_CRITICAL ? level_rank("CRITICAL")
									  : INT32_MAX;
	if (level_rank(level) >= threshold) {
		res->status = RUN_REJECTED;
		r = error_set(err, 0, "%s rejected by the policy's [analysis]: level %s, score %d, %zu finding(s) (mlrun scan %s)",
			      src, level, score, findings, src);
	} else if (!o->quiet && level_rank(level) > 0)
		fprintf(stderr, "mlrun: scan: %s: level %s, score %d, %zu finding(s) (mlrun scan %s)\n", src, level, score,
			findings, src);
	json_object_put(a);
	return r;
}

/* What holds for this run, whatever the policy asked. */
static void compute_enforced(const struct cgroup_leaf *leaf, const struct policy *p, struct run_enforced *e)
{
	memset(e, 0, sizeof(*e));
	e->memory = leaf->enforced_memory;
	e->cpu = leaf->enforced_cpu;
	e->pids = leaf->enforced_pids;
	e->io = leaf->enforced_io;
	e->seccomp = security_seccomp_enforced(p);
	e->landlock = security_landlock_enforced(p);
	e->network = p->net != NET_HOST;
	snprintf(e->why, sizeof(e->why), "%s", leaf->reason);
}

static void warn_degraded(const struct run_options *o, const struct run_enforced *e)
{
	if (o->quiet || (e->memory && e->cpu && e->pids))
		return;
	fprintf(stderr, "mlrun: warning: not enforced here:%s%s%s (%s); using rlimit fallbacks, see `mlrun features`\n",
		e->memory ? "" : " memory", e->cpu ? "" : " cpu", e->pids ? "" : " pids",
		e->why[0] ? e->why : "no cgroup v2 controllers");
}

/* A state directory another user made (or opened up) refuses the run: its files would be
 * trusted by the next mlrun ps/kill/gc. One that cannot be made at all (read-only /run) only
 * costs the run's visibility to those commands, as before. */
static int check_state_dir(struct error *err)
{
	struct error e = { 0 };
	int fd = state_dir_open(true, &e);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd == -EPERM || fd == -ENOTDIR) {
		*err = e;
		return fd;
	}
	return 0;
}

int run_main(const struct run_options *o)
{
	struct error err = { 0 };
	struct policy p;
	struct sandbox sb;
	struct cgroup_host host;
	struct cgroup_leaf leaf = { .dirfd = -1 };
	struct run_result res = { .exit_code = EXIT_MLRUN_ERROR, .status = RUN_ERROR, .code = -1 };
	struct run_enforced enf = { 0 };
	struct trace tr;
	char id[64];
	int r;
	bool prepared = false;

	memset(&sb, 0, sizeof(sb));
	trace_start(&tr, o->verbose);
	snprintf(id, sizeof(id), "%s", o->name ? o->name : "");
	if (!o->name)
		run_make_id(id, sizeof(id));

	if ((r = merge_policy(&p, o, &err)) < 0 || (r = check_state_dir(&err)) < 0)
		goto fail;
	trace_step(&tr, 0, "merge policy");
	if ((r = analyze_program(&p, o, &res, &err)) < 0)
		goto fail;

	cgroup_probe(&host);
	if (o->cgroup_parent && (r = cgroup_host_set_parent(&host, o->cgroup_parent, &err)) < 0)
		goto fail;
	if ((r = cgroup_leaf_create(&leaf, &host, id, &p, &err)) < 0)
		goto fail;
	trace_step(&tr, 0, leaf.dirfd >= 0 ? "create cgroup leaf" : "probe cgroups (none usable)");
	compute_enforced(&leaf, &p, &enf);

	struct sandbox_fallbacks fb = { !enf.memory, !enf.pids, leaf.dirfd < 0 };
	prepared = true;
	if ((r = sandbox_prepare(&sb, &p, o, id, &fb, &err)) < 0) {
		if (sb.program_missing)
			res.exit_code = r == -ENOENT ? EXIT_MLRUN_NOT_FOUND : EXIT_MLRUN_CANNOT_EXEC;
		goto fail;
	}
	trace_step(&tr, 0, "prepare sandbox");
	warn_degraded(o, &enf);
	if (!o->quiet && p.landlock && !enf.landlock)
		fprintf(stderr, "mlrun: warning: not enforced here: landlock (the kernel has no Landlock ABI)\n");

	r = supervise(&sb, &leaf, &p, &tr, &res, &err);
	trace_step(&tr, 0, "program ended");
	if (cgroup_leaf_destroy(&leaf, r < 0 ? NULL : &err) < 0 && r == 0) {
		r = -EBUSY;
		res.exit_code = EXIT_MLRUN_ERROR;
	}
	if (r < 0)
		goto fail;
	trace_step(&tr, 0, "remove cgroup leaf");
	if (report_write(o, id, &p, sb.argv, &res, &enf, &err) < 0)
		fprintf(stderr, "mlrun: %s\n", err.msg);
	if (o->summary)
		report_summary(stderr, &res, &enf);
	if (!o->quiet)
		violations_print(stderr, &res);
	sandbox_release(&sb);
	policy_free(&p);
	free(res.analysis_json);
	return res.exit_code;

fail:
	cgroup_leaf_destroy(&leaf, NULL);
	fprintf(stderr, "mlrun: %s\n", err.msg[0] ? err.msg : strerror(-r));
	if (res.status != RUN_REJECTED)
		res.status = RUN_ERROR;
	snprintf(res.error, sizeof(res.error), "%s", err.msg);
	struct error ignored = { 0 };
	report_write(o, id, &p, sb.argv ? sb.argv : o->argv, &res, &enf, &ignored);
	if (prepared)
		sandbox_release(&sb);
	policy_free(&p);
	free(res.analysis_json);
	return res.exit_code;
}
