/* test_policy_file.c - policy files: line-numbered errors, INI syntax, precedence of
 * defaults < file < env < flags, `mlrun check`, the shipped policies, name resolution.
 * Run from the repository root. TAP on stdout; exit 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"

#include "expect.h"
#include "tap.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)
#define MAX_TEMP_FILES 64

static char tmpdir[] = "/tmp/mlrun-test-policy.XXXXXX";
static char *temp_files[MAX_TEMP_FILES];
static size_t n_temp_files;


/* A file under tmpdir (sub/dirs created), removed at the end. Returns its path. */
static const char *write_file(const char *name, const char *content)
{
	char *path, *slash;
	FILE *f;

	if (asprintf(&path, "%s/%s", tmpdir, name) < 0 || n_temp_files == MAX_TEMP_FILES)
		abort();
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
	temp_files[n_temp_files++] = path;
	return path;
}

static void remove_temp_files(void)
{
	/* Deepest first: files, then the directories they were created in. */
	for (size_t i = n_temp_files; i-- > 0;) {
		char *slash;

		unlink(temp_files[i]);
		while ((slash = strrchr(temp_files[i], '/')) && slash > temp_files[i] + strlen(tmpdir)) {
			*slash = '\0';
			rmdir(temp_files[i]);
		}
		free(temp_files[i]);
	}
	rmdir(tmpdir);
}

static int set(struct policy *p, const char *section, const char *key, const char *value)
{
	return policy_set(p, section, key, value, NULL);
}

/* Load content as a file named name; returns rc, err filled. */
static int load_text(struct policy *p, const char *name, const char *content, struct error *err,
		     const char **path)
{
	*path = write_file(name, content);
	*err = (struct error){ 0 };
	return policy_load_file(p, *path, err);
}

static void expect_load_error(const char *name, const char *content, int line, const char *msg)
{
	struct policy p;
	struct error err;
	const char *path;
	char want[ERROR_MSG_MAX];
	int rc;

	policy_init(&p);
	rc = load_text(&p, name, content, &err, &path);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	expect_err(rc, &err, want, strchr(msg, '(') == NULL, want + strlen(tmpdir) + 1);
	policy_free(&p);
}

static void test_file_errors(void)
{
	char longline[400];
	struct policy p;
	struct error err = { 0 };
	int rc;

	expect_load_error("typo.ini", "[limits]\nmemory = 512M\nmemroy = 1G\n", 3,
			  "unknown key 'memroy' in [limits]");
	expect_load_error("section.ini", "; comment\n\n[limitz]\nmemory = 1G\n", 3,
			  "unknown section [limitz]");
	expect_load_error("syntax.ini", "[limits]\nmemory 1G\n", 2,
			  "expected 'key = value', '[section]' or a comment");
	expect_load_error("bracket.ini", "[limits\nmemory = 1G\n", 1, "missing ']' in section header");
	expect_load_error("value.ini", "\n# comment\n[limits]\ncpus = fast\n", 4,
			  "bad cpus 'fast' for [limits] cpus (");
	expect_load_error("outside.ini", "memory = 1G\n", 1, "key 'memory' is outside any [section]");
	snprintf(longline, sizeof(longline), "[filesystem]\nro_bind = /%0300d\n", 0);
	expect_load_error("long.ini", longline, 2, "line too long (");

	policy_init(&p);
	rc = policy_load_file(&p, "/nonexistent/mlrun.ini", &err);
	expect_err(rc, &err, "cannot open policy /nonexistent/mlrun.ini: No such file or directory",
		   true, "a missing file names the path and the reason");
	tap(rc == -ENOENT, NULL, "a missing file is -ENOENT");
	policy_free(&p);
}

static void test_file_syntax(void)
{
	struct policy p;
	struct error err;
	const char *path;
	int rc;

	policy_init(&p);
	rc = load_text(&p, "syntax-ok.ini",
		       "\xEF\xBB\xBF; byte order mark, then a comment\r\n"
		       "# hash comment\n"
		       "  [limits]  \n"
		       "    memory = 512M ; inline comment\n"
		       "    pids: 99\n"
		       "\tmemory = 384M\n"
		       "[security]\n"
		       "allow_syscalls = ptrace\n"
		       "allow_syscalls = mount\n"
		       "[env]\n"
		       "PATH_EXTRA = /a:/b\n",
		       &err, &path);
	expect_ok(rc, &err, "BOM, CRLF, indentation, ';'/'#' comments, ':' delimiter all load");
	tap(p.memory_bytes == 384 * MiB && p.pids == 99, NULL,
	    "indented keys are keys (not continuations); a repeated key: last wins");
	tap(p.n_allow_syscalls == 2, NULL, "a repeatable key appends across lines");
	tap(strcmp(p.name, "syntax-ok") == 0 && strcmp(p.path, path) == 0, p.name,
	    "load sets name (basename without .ini) and path");
	policy_free(&p);
}

static void test_precedence(void)
{
	char *envp[] = { "MLRUN_MEMORY=768M", "MLRUN_NET=none", "MLRUN_POLICY=strict", NULL };
	struct policy p;
	struct error err = { 0 };
	const char *path;
	int rc;

	policy_init(&p);
	tap(p.memory_bytes == GiB, NULL, "precedence: defaults give memory 1G");
	rc = load_text(&p, "prec.ini",
		       "[limits]\nmemory = 512M\ntimeout = 5s\n[network]\nnet = loopback\n", &err,
		       &path);
	tap(rc == 0 && p.memory_bytes == 512 * MiB && p.timeout_ms == 5000 && p.net == NET_LOOPBACK &&
		    p.pids == 256,
	    err.msg, "precedence: the file overrides defaults, keeps what it does not set");
	rc = policy_apply_env(&p, envp, &err);
	tap(rc == 0 && p.memory_bytes == 768 * MiB && p.net == NET_NONE && p.timeout_ms == 5000, err.msg,
	    "precedence: MLRUN_* overrides the file");
	tap(set(&p, "limits", "memory", "2G") == 0 && p.memory_bytes == 2 * GiB, NULL,
	    "precedence: policy_set after env (flags) wins");
	policy_free(&p);
}

/* Returns what policy_check_file printed (malloc'd) and its count in *count. */
static char *check_output(const char *path, int *count)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	*count = policy_check_file(path, out);
	fclose(out);
	return buf;
}

static void test_check_file(void)
{
	const char *path = write_file("many.ini", "[limits]\n"
						  "memroy = 1G\n"
						  "memory = lots\n"
						  "[network]\n"
						  "net = host\n"
						  "[bogus]\n"
						  "key = 1\n"
						  "this line is junk\n"
						  "[security]\n"
						  "allow_syscalls = ptrace\n"
						  "deny_syscalls = ptrace, Bad-Name\n"
						  "deny_syscalls = ptrace\n");
	const char *good = write_file("good.ini", "[limits]\nmemory = 1G\n");
	char *want, *got;
	int count;

	if (asprintf(&want,
		     "%1$s:2: unknown key 'memroy' in [limits]\n"
		     "%1$s:3: bad size 'lots' for [limits] memory (expected bytes or K/M/G/T like 256M, or unlimited)\n"
		     "%1$s:6: unknown section [bogus]\n"
		     "%1$s:8: expected 'key = value', '[section]' or a comment\n"
		     "%1$s:11: bad syscall name 'Bad-Name' for [security] deny_syscalls (expected [a-z0-9_]+)\n"
		     "%1$s:5: net = host but [network] allow_host is false\n"
		     "%1$s:12: syscall 'ptrace' is in both allow_syscalls and deny_syscalls\n",
		     path) < 0)
		abort();
	got = check_output(path, &count);
	tap(count == 7, got, "check: every problem counted (7)");
	tap(strcmp(got, want) == 0, got, "check: one FILE:LINE: message line per problem, in order");
	free(got);
	free(want);

	got = check_output(good, &count);
	tap(count == 0 && got[0] == '\0', got, "check: a valid file has no problems, prints nothing");
	free(got);
	got = check_output("/nonexistent/mlrun.ini", &count);
	tap(count == -ENOENT && got[0] == '\0', got, "check: an unreadable file is -errno");
	free(got);
}

/* Every key a shipped policy must spell out (the repeatable binds stay commented). */
static const char *const all_keys[] = {
	"sandbox.hostname",	  "sandbox.interpreter.py",  "sandbox.interpreter.js",
	"sandbox.uid",		  "sandbox.gid",	     "sandbox.proc",	"sandbox.hostname_required", "limits.memory",
	"limits.swap",		  "limits.cpus",	     "limits.pids",
	"limits.timeout",	  "limits.cpu_time",	     "limits.tmp_size",
	"limits.shm_size",	  "limits.file_size",	     "limits.open_files",
	"limits.io_read_bps",	  "limits.io_write_bps",     "filesystem.workdir",
	"network.net",		  "network.allow_host",	     "security.seccomp",
	"security.allow_syscalls", "security.deny_syscalls", "security.on_violation",
	"security.landlock",	  "monitor.interval",	     "env.keep",
};

static int count_key(void *user, const char *section, const char *name, const char *value)
{
	unsigned *seen = user;
	char full[128];

	(void)value;
	snprintf(full, sizeof(full), "%s.%s", section, name);
	for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++)
		if (strcmp(full, all_keys[i]) == 0)
			seen[i]++;
	return 1;
}

static bool same_policy(const struct policy *a, const struct policy *b)
{
	bool same = !strcmp(a->hostname, b->hostname) && !strcmp(a->interpreter_py, b->interpreter_py) &&
		    !strcmp(a->interpreter_js, b->interpreter_js) && a->uid == b->uid && a->gid == b->gid && a->proc == b->proc &&
		    a->hostname_required == b->hostname_required &&
		    a->memory_bytes == b->memory_bytes && a->swap_bytes == b->swap_bytes &&
		    a->cpus == b->cpus && a->pids == b->pids && a->timeout_ms == b->timeout_ms &&
		    a->cpu_time_ms == b->cpu_time_ms && a->tmp_bytes == b->tmp_bytes &&
		    a->shm_bytes == b->shm_bytes && a->file_size_bytes == b->file_size_bytes &&
		    a->open_files == b->open_files && a->io_read_bps == b->io_read_bps &&
		    a->io_write_bps == b->io_write_bps && a->workdir == b->workdir &&
		    a->n_binds == b->n_binds && a->net == b->net && a->allow_host == b->allow_host &&
		    !strcmp(a->seccomp, b->seccomp) && a->n_allow_syscalls == b->n_allow_syscalls &&
		    a->n_deny_syscalls == b->n_deny_syscalls && a->on_violation == b->on_violation &&
		    a->landlock == b->landlock && a->sample_interval_ms == b->sample_interval_ms &&
		    a->n_env == b->n_env;

	for (size_t i = 0; same && i < a->n_env; i++)
		same = !strcmp(a->env[i].name, b->env[i].name) &&
		       (a->env[i].value ? b->env[i].value && !strcmp(a->env[i].value, b->env[i].value)
					: !b->env[i].value);
	return same;
}

static void test_shipped(void)
{
	static const char *const names[] = { "strict", "default", "permissive" };
	struct policy p, builtin, bare;
	struct error err;
	char path[64], desc[128], *out;
	int count;

	for (size_t i = 0; i < 3; i++) {
		unsigned seen[sizeof(all_keys) / sizeof(all_keys[0])] = { 0 };
		bool all = true;

		snprintf(path, sizeof(path), "policies/%s.ini", names[i]);
		err = (struct error){ 0 };
		policy_init(&p);
		snprintf(desc, sizeof(desc), "%s loads", path);
		expect_ok(policy_load_file(&p, path, &err), &err, desc);
		tap(strcmp(p.name, names[i]) == 0, p.name, "%s: name is '%s'", path, names[i]);
		snprintf(desc, sizeof(desc), "%s validates", path);
		expect_ok(policy_validate(&p, &err), &err, desc);
		out = check_output(path, &count);
		tap(count == 0, out, "%s: mlrun check finds no problem", path);
		free(out);
		ini_parse(path, count_key, seen);
		for (size_t k = 0; k < sizeof(seen) / sizeof(seen[0]); k++) {
			if (seen[k] != 1) {
				printf("# %s: %s appears %u times\n", path, all_keys[k], seen[k]);
				all = false;
			}
		}
		tap(all, "see above", "%s: every key is present once", path);
		policy_free(&p);
	}

	policy_init(&p);
	policy_load_file(&p, "policies/strict.ini", &err);
	tap(p.net == NET_NONE && p.workdir == WORKDIR_RO && p.tmp_bytes == 64 * MiB &&
		    p.memory_bytes == 256 * MiB && p.swap_bytes == 0 && p.cpus == 0.5 && p.pids == 64 &&
		    p.timeout_ms == 10000 && !strcmp(p.seccomp, "strict") && p.landlock &&
		    p.cpu_time_ms == 10000 && p.file_size_bytes == 64 * MiB && !p.allow_host,
	    NULL, "strict.ini holds what SPEC.md promises");
	policy_free(&p);
	policy_init(&p);
	policy_load_file(&p, "policies/permissive.ini", &err);
	tap(p.net == NET_LOOPBACK && p.workdir == WORKDIR_RW && p.memory_bytes == 4 * GiB &&
		    p.cpus == 2.0 && p.pids == 1024 && p.timeout_ms == 600000 && p.tmp_bytes == GiB &&
		    !strcmp(p.seccomp, "default") && p.allow_host && !p.landlock,
	    NULL, "permissive.ini: loopback, rw, 4G, 2 cpus, 1024 pids, 10m, allow_host, no landlock");
	policy_free(&p);

	/* default.ini loaded onto nothing must give exactly the built-in defaults. */
	policy_init(&builtin);
	bare = (struct policy){ 0 };
	err = (struct error){ 0 };
	expect_ok(policy_load_file(&bare, "policies/default.ini", &err), &err,
		  "default.ini loads onto an empty policy");
	tap(same_policy(&builtin, &bare), NULL, "default.ini is exactly the built-in defaults");
	policy_free(&builtin);
	policy_free(&bare);
}

static void test_resolve(void)
{
	char *datadir, *out = NULL, *want;
	const char *mine;
	struct error err = { 0 };
	int rc;

	write_file("share/policies/custom.ini", "[limits]\n");
	write_file("share/policies/strict.ini", "[limits]\n");
	write_file("share/policies/loose.ini", "[limits]\n");
	mine = write_file("mine.conf", "[limits]\n");
	if (asprintf(&datadir, "%s/share", tmpdir) < 0)
		abort();
	const char *dirs[] = { "/nonexistent-mlrun-dir", datadir, NULL };

	tap(policy_resolve(mine, dirs, &out, &err) == 0 && !strcmp(out, mine), out,
	    "resolve: a path with '/' is used as is");
	free(out);
	err = (struct error){ 0 };
	rc = policy_resolve("mine.ini", dirs, &out, &err);
	expect_err(rc, &err, "cannot open policy mine.ini", false,
		   "resolve: a name ending in .ini is a path, opened as is");
	if (asprintf(&want, "%s/policies/strict.ini", datadir) < 0)
		abort();
	tap(policy_resolve("strict", dirs, &out, &err) == 0 && !strcmp(out, want), out,
	    "resolve: a bare name comes from the first data directory that has it");
	free(out);
	free(want);
	/* The repository (the cwd of this test) has policies/permissive.ini: never used. */
	err = (struct error){ 0 };
	rc = policy_resolve("permissive", dirs, &out, &err);
	expect_err(rc, &err, "policy 'permissive' not found in ", false,
		   "resolve: ./policies in the current directory is never searched");
	tap(rc == -ENOENT, NULL, "resolve: an unknown name is -ENOENT");
	err = (struct error){ 0 };
	rc = policy_resolve("default", (const char *const[]){ NULL }, &out, &err);
	expect_err(rc, &err, "policy 'default' not found in (no data directory)", false,
		   "resolve: no data directory, no policy by name");
	if (asprintf(&want, "%s/policies/loose.ini", datadir) < 0 || chmod(want, 0666) < 0)
		abort();
	err = (struct error){ 0 };
	rc = policy_resolve("loose", dirs, &out, &err);
	expect_err(rc, &err, "refusing policy ", false, "resolve: a world-writable policy is refused by name");
	free(want);
	err = (struct error){ 0 };
	rc = policy_resolve("../x", dirs, &out, &err);
	tap(rc < 0, NULL, "resolve: '../x' is a path, not a name");
	err = (struct error){ 0 };
	expect_err(policy_resolve("a.b", dirs, &out, &err), &err, "bad policy name 'a.b'", false,
		   "resolve: a name has no dots");
	err = (struct error){ 0 };
	expect_err(policy_resolve("", dirs, &out, &err), &err, "empty policy name", true,
		   "resolve: an empty name fails");
	free(datadir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_file_errors();
	test_file_syntax();
	test_precedence();
	test_check_file();
	test_shipped();
	test_resolve();
	remove_temp_files();
	return tap_done();
}
