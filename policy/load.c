/* load.c - where settings come from: INI files (inih), MLRUN_* variables, policy names.
 *
 * inih does not pass line numbers to the handler and only returns the first bad line, so we
 * feed it through our own reader, one whole line per call: the reader counts lines, spots
 * the syntax inih would reject, and lets `mlrun check` report every problem of a file. */
#define _GNU_SOURCE /* asprintf */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define SECTION_NAME_MAX 64
#define KEY_LINES_MAX 64 /* more than there are keys outside [env] */
#define INI_NO_MEMORY (-2) /* ini_parse_stream() could not allocate */

/* check_syntax() mirrors inih as ini.h configures it; these are the settings it assumes. */
#if !INI_ALLOW_INLINE_COMMENTS || INI_ALLOW_NO_VALUE || INI_HANDLER_LINENO
#error "policy/load.c expects inih with inline comments, no value-less keys, 4-argument handlers"
#endif

/* Where a key was last set, for pointing cross-key problems at a line. */
struct key_line {
	char key[32];
	int line;
};

struct parse_state {
	struct policy *p;
	const char *path;
	FILE *f;
	char *buf; /* getline()'s */
	size_t cap;
	int line;
	int first_syntax_line; /* the first line inih itself will call an error */
	int read_errno;
	bool check; /* report every problem to out; otherwise stop at the first, into err */
	bool stop;
	FILE *out;
	int problems;
	struct error *err;
	int code; /* -errno of the first problem */
	struct key_line lines[KEY_LINES_MAX];
	size_t n_lines;
};

static const struct {
	const char *var, *section, *key;
} env_keys[] = {
	{ "MLRUN_MEMORY", "limits", "memory" },	  { "MLRUN_SWAP", "limits", "swap" },
	{ "MLRUN_CPUS", "limits", "cpus" },	  { "MLRUN_PIDS", "limits", "pids" },
	{ "MLRUN_TIMEOUT", "limits", "timeout" }, { "MLRUN_CPU_TIME", "limits", "cpu_time" },
	{ "MLRUN_TMP_SIZE", "limits", "tmp_size" }, { "MLRUN_FILE_SIZE", "limits", "file_size" },
	{ "MLRUN_NET", "network", "net" },	  { "MLRUN_WORKDIR", "filesystem", "workdir" },
	{ "MLRUN_SECCOMP", "security", "seccomp" }, { "MLRUN_HOSTNAME", "sandbox", "hostname" },
	{ "MLRUN_QUIET", "sandbox", "quiet" },	  { "MLRUN_PROC", "sandbox", "proc" },
	{ "MLRUN_HOSTNAME_REQUIRED", "sandbox", "hostname_required" },
};

__attribute__((format(printf, 4, 5))) static void problem(struct parse_state *st, int line,
							   int code, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->problems++;
	if (st->check) {
		if (line > 0)
			fprintf(st->out, "%s:%d: %s\n", st->path, line, msg);
		else
			fprintf(st->out, "%s: %s\n", st->path, msg);
		return;
	}
	if (st->code == 0) {
		bool fresh = st->err && !st->err->msg[0];

		st->code = code < 0 ? code : -EINVAL;
		error_set(st->err, 0, "%s:%d: %s", st->path, line, msg);
		if (fresh)
			st->err->code = -st->code; /* ENOMEM stays ENOMEM */
	}
	st->stop = true;
}

/* inih's rule: the first of chars, or an inline comment (a prefix after whitespace). */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && !strchr(chars, *s) && !(was_space && strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* The problems inih would only count, found with inih's own rules, plus unknown sections
 * (named once here, at the header, rather than at each of their keys). */
static void check_syntax(struct parse_state *st, const char *s)
{
	const char *end;

	if (strchr(INI_START_COMMENT_PREFIXES, *s)) /* also true for "" */
		return;
	if (*s == '[') {
		char name[SECTION_NAME_MAX];

		end = find_chars_or_comment(s + 1, "]");
		if (*end != ']') {
			st->first_syntax_line = st->first_syntax_line ?: st->line;
			problem(st, st->line, -EINVAL, "missing ']' in section header");
			return;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - s - 1), s + 1);
		if (!policy_section_known(name))
			problem(st, st->line, -EINVAL, "unknown section [%s]", name);
		return;
	}
	end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		st->first_syntax_line = st->first_syntax_line ?: st->line;
		problem(st, st->line, -EINVAL, "expected 'key = value', '[section]' or a comment");
	}
}

/* An ini_reader: hands inih exactly one line per call, so st->line is the line the handler
 * is looking at. Leading whitespace goes, so an indented "key = value" is never taken for a
 * continuation of the previous key's value (inih's multi-line mode). */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	ssize_t n;
	size_t len;
	char *s;

	if (st->stop)
		return NULL;
	errno = 0;
	n = getline(&st->buf, &st->cap, st->f);
	if (n < 0) {
		if (ferror(st->f))
			st->read_errno = errno ?: EIO;
		return NULL;
	}
	st->line++;
	s = st->buf;
	if (st->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3; /* UTF-8 byte order mark */
	while (isspace((unsigned char)*s))
		s++;
	len = strcspn(s, "\n");
	if (len + 2 > (size_t)num) {
		problem(st, st->line, -EINVAL, "line too long (at most %d characters)", num - 2);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	check_syntax(st, str);
	strcpy(str + len, "\n");
	return str;
}

static void note_line(struct parse_state *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->n_lines && strcmp(st->lines[i].key, key) != 0; i++)
		;
	if (i == KEY_LINES_MAX || strlen(key) >= sizeof(st->lines[i].key))
		return;
	if (i == st->n_lines) {
		strcpy(st->lines[i].key, key);
		st->n_lines++;
	}
	st->lines[i].line = st->line;
}

static int line_of(const struct parse_state *st, const char *key)
{
	for (size_t i = 0; key && i < st->n_lines; i++)
		if (strcmp(st->lines[i].key, key) == 0)
			return st->lines[i].line;
	return 0;
}

/* Always returns 1: problems are counted here, so inih's own error line means syntax only. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	struct error e = { 0 };
	int r;

	if (st->stop)
		return 1;
	if (!section[0]) {
		problem(st, st->line, -EINVAL, "key '%s' is outside any [section]", name);
		return 1;
	}
	if (!policy_section_known(section))
		return 1; /* already named at its header */
	char origin[PATH_MAX + 32];
	snprintf(origin, sizeof(origin), "%s:%d", st->path, st->line);
	r = policy_set_from(st->p, section, name, value, origin, &e);
	if (r < 0)
		problem(st, st->line, r, "%s", e.msg);
	else if (strcmp(section, "env") != 0)
		note_line(st, name);
	return 1;
}

static int parse(struct parse_state *st)
{
	int r = ini_parse_stream(read_line, st, on_key, st);

	if (st->read_errno)
		return error_set(st->err, st->read_errno, "cannot read %s", st->path);
	if (r == INI_NO_MEMORY)
		return error_set(st->err, ENOMEM, "cannot parse %s", st->path);
	/* Our syntax check mirrors inih's; should they ever disagree, inih's verdict stands. */
	if (r > 0 && r != st->first_syntax_line && !st->stop)
		problem(st, r, -EINVAL, "syntax error");
	return st->code;
}

/* "policies/strict.ini" -> "strict" */
static char *policy_name_of(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".ini") == 0)
		len -= 4;
	return strndup(base, len);
}

/* Open a policy or profile file once and check it is a regular file; everything after reads
 * this fd, so the file checked is the file parsed. O_NONBLOCK: a FIFO must not hang the start. */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

static int check_regular(int fd, const char *path, const char *what, struct error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot open %s %s", what, path);
	if (!S_ISREG(st.st_mode))
		return error_set(err, 0, "%s %s is not a regular file", what, path);
	return 0;
}

int policy_open_file(const char *path, const char *what, struct error *err)
{
	_cleanup_close_ int fd = open(path, OPEN_FLAGS);
	int r;

	if (fd < 0)
		return error_set(err, errno, "cannot open %s %s", what, path);
	if ((r = check_regular(fd, path, what, err)) < 0)
		return r;
	return TAKE_FD(fd);
}

int policy_load_fd(struct policy *p, int fd, const char *path, struct error *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	char *name, *copy;
	struct parse_state st = { .p = p, .path = path, .err = err };
	int r;

	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return error_set(err, errno, "cannot read policy %s", path);
	}
	name = policy_name_of(path);
	copy = strdup(path);
	if (!name || !copy) {
		free(name);
		free(copy);
		return error_set(err, ENOMEM, "cannot load policy %s", path);
	}
	free(p->name);
	free(p->path);
	p->name = name;
	p->path = copy;

	st.f = f;
	r = parse(&st);
	free(st.buf);
	return r;
}

int policy_load_file(struct policy *p, const char *path, struct error *err)
{
	int fd = policy_open_file(path, "policy", err);

	return fd < 0 ? fd : policy_load_fd(p, fd, path, err);
}

static void print_problem(void *ctx, const char *key1, const char *key2, const char *msg)
{
	struct parse_state *st = ctx;
	int l1 = line_of(st, key1), l2 = line_of(st, key2);

	/* The later of the two lines is where the contradiction became one. */
	problem(st, l1 > l2 ? l1 : l2, -EINVAL, "%s", msg);
}

int policy_check_file(const char *path, FILE *out)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct policy p;
	struct parse_state st = { .p = &p, .path = path, .check = true, .out = out };
	struct error err = { 0 };
	int r;

	int fd = policy_open_file(path, "policy", &err);

	if (fd < 0)
		return fd;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -errno;
	}
	policy_init(&p);
	st.f = f;
	st.err = &err;
	r = parse(&st);
	free(st.buf);
	if (r < 0 && (st.read_errno || r == -ENOMEM)) {
		policy_free(&p);
		return r;
	}
	policy_validate_each(&p, print_problem, &st);
	policy_free(&p);
	return st.problems;
}

static const char *env_lookup(char *const *envp, const char *var)
{
	size_t len = strlen(var);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, var, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

size_t policy_env_settings(char *const *envp, const char **names, const char **values, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(env_keys) && n < max; i++) {
		const char *value = env_lookup(envp, env_keys[i].var);

		if (value && value[0]) {
			names[n] = env_keys[i].var;
			values[n++] = value;
		}
	}
	return n;
}

int policy_apply_env(struct policy *p, char *const *envp, struct error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_keys); i++) {
		const char *value = env_lookup(envp, env_keys[i].var);
		struct error e = { 0 };
		int r;

		if (!value || !value[0])
			continue;
		r = policy_set_from(p, env_keys[i].section, env_keys[i].key, value, env_keys[i].var, &e);
		if (r < 0) {
			bool fresh = err && !err->msg[0];

			error_set(err, 0, "environment variable %s: %s", env_keys[i].var, e.msg);
			if (fresh)
				err->code = -r; /* keep ENOMEM apart from a bad value */
			return r;
		}
	}
	return 0;
}

static char *join_policy_path(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/policies/%s.ini", dir, name) < 0)
		return NULL;
	return path;
}

/* A policy found by name is trusted for what its name says: it must belong to root or to the
 * caller and be writable by no one else, so no other user (or a sandbox running as another
 * uid) can have rewritten "strict". Group write counts only for a group other than root's and
 * the caller's own: a checkout made under umask 002 (user-private groups) stays usable. */
static int check_trusted(int fd, const char *path, struct error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot open policy %s", path);
	bool group_ok = !(st.st_mode & S_IWGRP) || st.st_gid == 0 || st.st_gid == getegid();
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & S_IWOTH) || !group_ok)
		return error_set(err, 0, "refusing policy %s: it must belong to root or uid %u and be writable by "
				 "no one else", path, (unsigned)geteuid());
	return 0;
}

int policy_open(const char *name_or_path, const char *const *dirs, char **out, struct error *err)
{
	size_t len = name_or_path ? strlen(name_or_path) : 0;
	char where[1024] = "";

	if (len == 0)
		return error_set(err, 0, "empty policy name");
	if (strchr(name_or_path, '/') || (len > 4 && strcmp(name_or_path + len - 4, ".ini") == 0)) {
		/* A path is the caller's explicit choice. */
		int fd = policy_open_file(name_or_path, "policy", err);

		if (fd >= 0 && !(*out = strdup(name_or_path))) {
			close(fd);
			return error_set(err, ENOMEM, "cannot resolve policy %s", name_or_path);
		}
		return fd;
	}
	if (strspn(name_or_path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return error_set(err, 0, "bad policy name '%s' (a name is letters, digits, '-' and '_'; a file needs a path)",
				 name_or_path);
	/* Only mlrun's own directories: never the current one, which is usually the untrusted
	 * repository and may have been written by an earlier rw run. */
	for (size_t i = 0; dirs && dirs[i]; i++) {
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = -1;
		size_t used = strlen(where);
		int r;

		if (!dirs[i][0])
			continue;
		if (!(path = join_policy_path(dirs[i], name_or_path)))
			return error_set(err, ENOMEM, "cannot resolve policy %s", name_or_path);
		snprintf(where + used, sizeof(where) - used, "%s%s/policies", used ? " or " : "", dirs[i]);
		fd = open(path, OPEN_FLAGS);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return error_set(err, errno, "cannot open policy %s", path);
		if ((r = check_regular(fd, path, "policy", err)) < 0 || (r = check_trusted(fd, path, err)) < 0)
			return r;
		*out = TAKE_PTR(path);
		return TAKE_FD(fd);
	}
	return error_set(err, ENOENT, "policy '%s' not found in %s (a policy file elsewhere needs a path, e.g. -p ./%s.ini)",
			 name_or_path, where[0] ? where : "(no data directory)", name_or_path);
}

int policy_resolve(const char *name_or_path, const char *const *dirs, char **out, struct error *err)
{
	int fd = policy_open(name_or_path, dirs, out, err);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
