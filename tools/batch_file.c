/* batch_file.c - the job file of `mlrun batch`: one job per line, either a shell-free command
 * line or a JSON object (JSONL); both may be mixed. Every job is checked here, with its
 * FILE:LINE, before any runs: a bad file is mlrun's own error (125) and nothing ran. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/paths.h"
#include "batch.h"
#include "../lib/cleanup.h"
#include "../runtime/run.h"

extern char **environ;

size_t batch_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static void strv_free(char **v)
{
	for (size_t i = 0; i < batch_strv_len(v); i++)
		free(v[i]);
	free(v);
}

/* Append a formatted string to the NULL-terminated vector *v. */
__attribute__((format(printf, 2, 3))) static int strv_pushf(char ***v, const char *fmt, ...)
{
	size_t n = batch_strv_len(*v);
	char *s, **grown;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (!(grown = realloc(*v, (n + 2) * sizeof(*grown))))
		return free(s), -ENOMEM;
	grown[n] = s, grown[n + 1] = NULL, *v = grown;
	return 0;
}

/* A `mlrun run` option of the job: --NAME VALUE. */
static int push_option(struct batch_job *j, const char *name, const char *value)
{
	int r = strv_pushf(&j->opts, "--%s", name);
	return r < 0 ? r : strv_pushf(&j->opts, "%s", value);
}

void batch_job_free(struct batch_job *j)
{
	strv_free(j->opts), strv_free(j->argv), free(j->label), free(j->stdin_text), free(j->refused);
}

/* A shell-free command line: blanks separate words, '...' is literal, "..." is literal except
 * for \" and \\, and outside quotes a backslash keeps the next character. Nothing is expanded. */
static int split_words(const char *s, char ***out, const char *where, struct error *err)
{
	_cleanup_free_ char *w = malloc(strlen(s) + 1);
	while (w) {
		size_t len = 0;
		char q = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (*s == q)
				q = 0;
			else if (!q && (*s == '\'' || *s == '"'))
				q = *s;
			else if (*s == '\\' && q != '\'' && s[1] && (!q || s[1] == '"' || s[1] == '\\'))
				w[len++] = *++s;
			else
				w[len++] = *s;
		}
		if (q)
			return error_set(err, 0, "%s: unterminated %s quote", where, q == '"' ? "double" : "single");
		w[len] = '\0';
		if (strv_pushf(out, "%s", w) < 0)
			break;
	}
	return error_set(err, ENOMEM, "%s", where);
}

int batch_check_policy(const char *name, struct error *err)
{
	struct policy p;
	_cleanup_free_ char *path = NULL;
	policy_init(&p);
	int r = policy_open(name, mlrun_policy_dirs(), &path, err);
	if (r >= 0)
		r = policy_load_fd(&p, r, path, err);
	policy_free(&p);
	return r;
}

/* "unlimited", else the number and its unit. */
static const char *limit_text(uint64_t v, const char *unit, char *buf, size_t len)
{
	if (v == POLICY_UNLIMITED)
		return "unlimited";
	snprintf(buf, len, "%llu %s", (unsigned long long)v, unit);
	return buf;
}

/* A job line cannot weaken the sandbox the caller chose for the batch: its "timeout" and
 * "memory" may only be at or below the batch's (its policy, then MLRUN_* variables, as every
 * job's mlrun merges them), and its own "policy" - which could change anything - only runs
 * when the caller trusts the file (--trust-jobs). A refused job fails on its own (status error). */
static int refuse_loosening(const struct batch *b, struct batch_job *j, const struct policy *ceil)
{
	char mine[32], theirs[32];
	const char *key = NULL, *unit = NULL;
	uint64_t v = 0, max = 0;
	if (b->trust_jobs)
		return 0;
	if (j->has_policy)
		return asprintf(&j->refused, "a job's own \"policy\" is refused without batch --trust-jobs "
			       "(it could loosen every limit of the batch)") < 0 ? -ENOMEM : 0;
	if (j->has_timeout && j->timeout_ms > ceil->timeout_ms)
		key = "timeout", unit = "ms", v = j->timeout_ms, max = ceil->timeout_ms;
	else if (j->has_memory && j->memory_bytes > ceil->memory_bytes)
		key = "memory", unit = "bytes", v = j->memory_bytes, max = ceil->memory_bytes;
	if (!key)
		return 0;
	return asprintf(&j->refused, "\"%s\" %s is above the batch's %s (a job may only tighten the batch's limits)",
			key, limit_text(v, unit, mine, sizeof(mine)), limit_text(max, unit, theirs, sizeof(theirs))) < 0
		       ? -ENOMEM
		       : 0;
}

int batch_check_tighten(struct batch *b, struct error *err)
{
	const char *name = b->policy ? b->policy : getenv("MLRUN_POLICY");
	_cleanup_free_ char *path = NULL;
	struct error e = { 0 };
	struct policy ceil;
	int r = 0;
	policy_init(&ceil);
	if (name && *name && (r = policy_open(name, mlrun_policy_dirs(), &path, &e)) >= 0)
		r = policy_load_fd(&ceil, r, path, &e);
	if (r == 0)
		r = policy_apply_env(&ceil, environ, &e);
	if (r < 0)
		r = error_set(err, -r, "batch: the batch's limits: %s", e.msg);
	for (size_t i = 0; i < b->n_jobs && r == 0; i++)
		if (refuse_loosening(b, &b->jobs[i], &ceil) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	policy_free(&ceil);
	return r;
}

/* "cmd": a non-empty array of strings. */
static int json_cmd(json_object *v, struct batch_job *j)
{
	size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(v, i);
		if (!json_object_is_type(a, json_type_string) || strv_pushf(&j->argv, "%s", json_object_get_string(a)) < 0)
			return -EINVAL;
	}
	return n ? 0 : -EINVAL;
}

/* "env": {"NAME": "VALUE", ...}, each an --env NAME=VALUE. */
static int json_env(json_object *v, struct batch_job *j)
{
	if (!json_object_is_type(v, json_type_object))
		return -EINVAL;
	json_object_object_foreach(v, name, val)
	{
		if (!json_object_is_type(val, json_type_string) || !*name || strchr(name, '=') ||
		    strv_pushf(&j->opts, "--env") < 0 || strv_pushf(&j->opts, "%s=%s", name, json_object_get_string(val)) < 0)
			return -EINVAL;
	}
	return 0;
}

/* A string key. policy, timeout and memory become `mlrun run` options, checked here so that a
 * bad value is an error of the file rather than a failed job. */
static int json_string(const char *key, const char *s, size_t len, struct batch_job *j, const char *where,
		       struct error *err)
{
	struct error e = { 0 };
	uint64_t n;
	if (!strcmp(key, "timeout") && parse_duration_ms(s, &n) < 0)
		return error_set(err, 0, "%s: bad timeout '%s' (1500ms, 10s, 2m)", where, s);
	if (!strcmp(key, "memory") && parse_size(s, &n) < 0)
		return error_set(err, 0, "%s: bad memory size '%s' (bytes or K/M/G)", where, s);
	if (!strcmp(key, "policy") && batch_check_policy(s, &e) < 0)
		return error_set(err, 0, "%s: \"policy\": %s", where, e.msg);
	if (!strcmp(key, "timeout"))
		j->has_timeout = true, j->timeout_ms = n;
	if (!strcmp(key, "memory"))
		j->has_memory = true, j->memory_bytes = n;
	if (!strcmp(key, "timeout") || !strcmp(key, "memory") || !strcmp(key, "policy")) {
		j->has_policy |= !strcmp(key, "policy");
		return push_option(j, key, s);
	}
	char **dst = !strcmp(key, "name") ? &j->label : &j->stdin_text;
	free(*dst);
	if (!(*dst = malloc(len + 1)))
		return -ENOMEM;
	memcpy(*dst, s, len + 1); /* stdin may hold NUL bytes */
	if (dst == &j->stdin_text)
		j->stdin_len = len, j->has_stdin = true;
	return 0;
}

static int json_field(const char *key, json_object *v, struct batch_job *j, const char *where, struct error *err)
{
	static const char *const strings[] = { "name", "stdin", "policy", "timeout", "memory" };
	if (!strcmp(key, "cmd"))
		return json_cmd(v, j) < 0 ? error_set(err, 0, "%s: \"cmd\" must be a non-empty array of strings", where) : 0;
	if (!strcmp(key, "env"))
		return json_env(v, j) < 0 ? error_set(err, 0, "%s: \"env\" must be {\"NAME\": \"VALUE\", ...}", where) : 0;
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		if (strcmp(key, strings[i]))
			continue;
		if (!json_object_is_type(v, json_type_string))
			return error_set(err, 0, "%s: \"%s\" must be a string", where, key);
		return json_string(key, json_object_get_string(v), (size_t)json_object_get_string_len(v), j, where, err);
	}
	return error_set(err, 0, "%s: unknown key \"%s\" (cmd, env, name, stdin, policy, timeout, memory)", where, key);
}

static int json_job(const char *text, struct batch_job *j, const char *where, struct error *err)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return error_set(err, ENOMEM, "%s", where);
	json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	enum json_tokener_error e = json_tokener_get_error(tok);
	const char *rest = text + json_tokener_get_parse_end(tok);
	int r = 0;
	json_tokener_free(tok);
	while (isspace((unsigned char)*rest))
		rest++;
	if (e == json_tokener_continue)
		r = error_set(err, 0, "%s: bad JSON: the object does not end on this line", where);
	else if (!o || e != json_tokener_success || *rest)
		r = error_set(err, 0, "%s: bad JSON: %s", where, *rest ? "text after the object" : json_tokener_error_desc(e));
	else {
		json_object_object_foreach(o, key, val)
		{
			if ((r = json_field(key, val, j, where, err)) < 0)
				break;
		}
	}
	if (r == 0 && !j->argv)
		r = error_set(err, 0, "%s: the job has no \"cmd\"", where);
	json_object_put(o);
	return r < 0 ? error_set(err, -r, "%s", where) : 0;
}

/* Labels name files in --report-dir and end sandbox ids: the id alphabet, no leading dot. */
static bool label_valid(const char *s)
{
	if (!*s || strlen(s) > BATCH_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static int cmp_label(const void *a, const void *b)
{
	const struct batch_job *x = *(const struct batch_job *const *)a, *y = *(const struct batch_job *const *)b;
	int c = strcmp(x->label, y->label);
	return c ? c : x->line - y->line;
}

static int unique_labels(const struct batch *b, const char *fname, struct error *err)
{
	_cleanup_free_ const struct batch_job **v = malloc((b->n_jobs + 1) * sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < b->n_jobs; i++)
		v[i] = &b->jobs[i];
	qsort(v, b->n_jobs, sizeof(*v), cmp_label);
	for (size_t i = 1; i < b->n_jobs; i++)
		if (strcmp(v[i - 1]->label, v[i]->label) == 0)
			return error_set(err, 0, "%s:%d: job name '%s' is already used on line %d", fname, v[i]->line,
					 v[i]->label, v[i - 1]->line);
	return 0;
}

static int add_job(struct batch *b, const char *s, int lineno, const char *where, struct error *err)
{
	struct batch_job j = { .line = lineno };
	int r = *s == '{' ? json_job(s, &j, where, err) : split_words(s, &j.argv, where, err);
	if (r == 0 && !j.label && asprintf(&j.label, "%zu", b->n_jobs + 1) < 0)
		j.label = NULL, r = error_set(err, ENOMEM, "%s", where);
	if (r == 0 && !label_valid(j.label))
		r = error_set(err, 0, "%s: bad job name '%s' (letters, digits, '.', '_', '-'; at most %d)", where, j.label,
			      BATCH_NAME_MAX);
	if (r == 0 && b->n_jobs == b->jobs_cap) {
		struct batch_job *grown = realloc(b->jobs, (2 * b->jobs_cap + 64) * sizeof(*grown));
		if (grown)
			b->jobs = grown, b->jobs_cap = 2 * b->jobs_cap + 64;
		else
			r = error_set(err, ENOMEM, "out of memory");
	}
	if (r < 0)
		return batch_job_free(&j), r;
	b->jobs[b->n_jobs++] = j;
	return 0;
}

/* Blank lines and lines starting with '#' are skipped; a line starting with '{' is JSON. Every
 * bad line is named on stderr (fixing one at a time and re-running is a newcomer's hour);
 * err then sums them up. */
#define BAD_LINES_LISTED 16
int batch_load_jobs(struct batch *b, struct error *err)
{
	char bad[BAD_LINES_LISTED * 12] = "";
	int n_bad = 0, first_r = 0;
	bool from_stdin = strcmp(b->file, "-") == 0;
	const char *fname = from_stdin ? "<stdin>" : b->file;
	_cleanup_fclose_ FILE *f = from_stdin ? NULL : fopen(b->file, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int lineno = 0, r;
	if (!from_stdin && !f)
		return error_set(err, errno, "cannot read %s", b->file);
	while (getline(&line, &cap, from_stdin ? stdin : f) >= 0) {
		char where[PATH_MAX + 16];
		const char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		snprintf(where, sizeof(where), "%s:%d", fname, ++lineno);
		struct error e = { 0 };
		if (!*s || *s == '#' || (r = add_job(b, s, lineno, where, &e)) == 0)
			continue;
		if (r == -ENOMEM)
			return error_set(err, ENOMEM, "%s", e.msg);
		fprintf(stderr, "mlrun: %s\n", e.msg);
		first_r = first_r ? first_r : r;
		if (n_bad++ < BAD_LINES_LISTED)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%d", n_bad > 1 ? ", " : "", lineno);
	}
	if (ferror(from_stdin ? stdin : f))
		return error_set(err, EIO, "cannot read %s", fname);
	if (n_bad)
		return error_set(err, 0, "batch: %s: %d bad job line%s (line%s %s%s); nothing was run", fname, n_bad,
				 n_bad > 1 ? "s" : "", n_bad > 1 ? "s" : "", bad, n_bad > BAD_LINES_LISTED ? ", ..." : ""),
		       first_r;
	return unique_labels(b, fname, err);
}
