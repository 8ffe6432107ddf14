/* analysis.c - [analysis] python: scan what the run will execute before anything is created.
 *
 * What runs is read from the command line the way CPython reads it: a script (read once; the
 * sandbox gets exactly the scanned bytes, rootfs/script.c), -c CODE (the code is scanned; argv
 * reaches the sandbox unchanged), or code that cannot be scanned beforehand (-m MODULE, stdin,
 * -i): refused under reject-*, a warning under warn. ADVISORY all the same (analysis.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../rootfs/rootfs.h"
#include "analysis.h"
#include "../lib/cleanup.h"
#include "run.h"
#include "scan.h"

#define ANALYSIS_SOURCE_MAX (64u << 20) /* a script above 64 MiB is not source anyone reviews */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *s)
{
	const char *slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

/* python, python3, python3.11 - or the policy's own interpreter for .py files. */
static bool is_python(const char *prog, const char *interp_py)
{
	const char *b = base_name(prog);
	if (interp_py && strcmp(b, base_name(interp_py)) == 0)
		return true;
	if (strncmp(b, "python", 6) != 0)
		return false;
	return b[6 + strspn(b + 6, "0123456789.")] == '\0';
}

/* CPython's own options (3.8-3.13): those taking a value, and flags. */
#define PY_OPTS_WITH_VALUE "cmWX"
#define PY_FLAGS "bBdEiIOPqRsStuvx"
#define PY_EXIT_OPTS "hV?" /* print and exit: nothing runs */

void analysis_classify(int argc, char *const *argv, const char *interp_py, struct analysis_source *out)
{
	*out = (struct analysis_source){ ANALYSIS_SRC_NONE, 0, 0 };
	if (argc < 1)
		return;
	if (has_suffix(argv[0], ".py")) { /* PROGRAM.py: run with the policy's interpreter, or its #! */
		*out = (struct analysis_source){ ANALYSIS_SRC_SCRIPT, 0, 0 };
		return;
	}
	if (!is_python(argv[0], interp_py)) {
		/* Not Python itself: only the old shape "INTERPRETER FILE.py" is recognised. */
		if (argc > 1 && has_suffix(argv[1], ".py"))
			*out = (struct analysis_source){ ANALYSIS_SRC_SCRIPT, 1, 0 };
		return;
	}
	bool interactive = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') /* the script, or "-" (stdin) */
			break;
		if (a[1] == '-') { /* long options */
			if (strcmp(a, "--check-hash-based-pycs") == 0 && i + 1 < argc) {
				i++;
				continue;
			}
			out->kind = strcmp(a, "--version") == 0 || strncmp(a, "--help", 6) == 0 ? ANALYSIS_SRC_NONE
											      : ANALYSIS_SRC_UNKNOWN;
			out->index = i;
			return;
		}
		for (size_t k = 1; a[k]; k++) {
			char c = a[k];
			if (strchr(PY_EXIT_OPTS, c)) {
				*out = (struct analysis_source){ ANALYSIS_SRC_NONE, i, 0 };
				return;
			}
			if (c == 'i')
				interactive = true;
			if (strchr(PY_FLAGS, c))
				continue;
			if (!strchr(PY_OPTS_WITH_VALUE, c)) {
				*out = (struct analysis_source){ ANALYSIS_SRC_UNKNOWN, i, 0 };
				return;
			}
			/* The value is the rest of this word, else the next word. */
			int vi = a[k + 1] ? i : i + 1;
			size_t off = a[k + 1] ? k + 1 : 0;
			if (vi >= argc) { /* python itself refuses: "Argument expected" */
				*out = (struct analysis_source){ ANALYSIS_SRC_NONE, i, 0 };
				return;
			}
			if (c == 'c' || c == 'm') {
				*out = (struct analysis_source){ c == 'c' ? ANALYSIS_SRC_CODE : ANALYSIS_SRC_MODULE, vi, off };
				if (interactive)
					out->kind = ANALYSIS_SRC_STDIN;
				return;
			}
			i = vi; /* -W / -X: skip the value */
			break;
		}
	}
	if (interactive || i >= argc || strcmp(argv[i], "-") == 0)
		*out = (struct analysis_source){ ANALYSIS_SRC_STDIN, i < argc ? i : 0, 0 };
	else
		*out = (struct analysis_source){ ANALYSIS_SRC_SCRIPT, i, 0 };
}

/* The script, read once into memory: these bytes are scanned and these bytes run. */
static int read_source(const char *path, struct analysis_pin *pin, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode))
		return error_set(err, EISDIR, "%s", path);
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > ANALYSIS_SOURCE_MAX)
		cap = ANALYSIS_SOURCE_MAX;
	pin->path = path;
	pin->mode = st.st_mode & 0111 ? 0555 : 0444;
	for (;;) {
		if (pin->len == cap) {
			char *grown = cap >= ANALYSIS_SOURCE_MAX ? NULL : realloc(pin->bytes, cap * 2);
			if (!grown)
				return error_set(err, cap >= ANALYSIS_SOURCE_MAX ? EFBIG : ENOMEM,
						 "%s: [analysis] reads at most %u MiB of source", path, ANALYSIS_SOURCE_MAX >> 20);
			pin->bytes = grown, cap *= 2;
		}
		if (!pin->bytes && !(pin->bytes = malloc(cap)))
			return error_set(err, ENOMEM, "out of memory");
		ssize_t n = read(fd, pin->bytes + pin->len, cap - pin->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, errno, "%s", path);
		if (n == 0)
			return 0;
		pin->len += (size_t)n;
	}
}

static int level_rank(const char *level)
{
	static const char *const levels[] = { "SAFE", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
	for (int i = 0; i < (int)ARRAY_SIZE(levels); i++)
		if (strcmp(level, levels[i]) == 0)
			return i;
	return (int)ARRAY_SIZE(levels); /* unknown: treat as worse than anything */
}

static const char *mode_name(enum analysis_mode m)
{
	return m == ANALYSIS_REJECT_HIGH ? "reject-high" : m == ANALYSIS_REJECT_CRITICAL ? "reject-critical" : "warn";
}

/* -m, stdin, an unknown option: the code is not known before it runs. A refusal under
 * reject-* (a gate that waves through what it cannot see would be no gate), a warning under
 * warn. */
static int unscannable(const struct policy *p, const struct run_options *o, const struct analysis_source *src,
		       struct run_result *res, struct error *err)
{
	char what[256];
	const char *arg = o->argv[src->index] + src->offset, *prog = base_name(o->argv[0]);
	if (src->kind == ANALYSIS_SRC_MODULE)
		snprintf(what, sizeof(what), "%s -m %s: a module is found on sys.path at run time", prog, arg);
	else if (src->kind == ANALYSIS_SRC_STDIN)
		snprintf(what, sizeof(what), "%s: code from standard input (-, no script, or -i)", prog);
	else
		snprintf(what, sizeof(what), "%s: option '%s' is not understood, what runs cannot be told", prog, arg);
	if (p->analysis_python == ANALYSIS_WARN) {
		if (!o->quiet)
			fprintf(stderr, "mlrun: scan: warning: not scanned: %s\n", what);
		return 0;
	}
	res->status = RUN_REJECTED;
	return error_set(err, 0, "%s; [analysis] python = %s cannot scan it before it runs, so it is refused (run a .py file)",
			 what, mode_name(p->analysis_python));
}

/* Warn, or refuse (status "rejected") at or above the policy's level. */
static int verdict(const struct policy *p, const struct run_options *o, const char *name, bool file,
		   struct run_result *res, struct error *err)
{
	json_object *a = json_tokener_parse(res->analysis_json), *v;
	const char *level = a && json_object_object_get_ex(a, "level", &v) ? json_object_get_string(v) : "?";
	int score = a && json_object_object_get_ex(a, "score", &v) ? json_object_get_int(v) : -1, r = 0;
	size_t findings = a && json_object_object_get_ex(a, "findings", &v) ? json_object_array_length(v) : 0;
	int threshold = p->analysis_python == ANALYSIS_REJECT_HIGH	   ? level_rank("HIGH")
			: p->analysis_python == ANALYSIS_REJECT_CRITICAL ? level_rank("CRITICAL")
									   : INT32_MAX;
	char hint[PATH_MAX + 16] = "";
	if (file)
		snprintf(hint, sizeof(hint), " (mlrun scan %s)", name);
	if (level_rank(level) >= threshold) {
		res->status = RUN_REJECTED;
		r = error_set(err, 0, "%s rejected by the policy's [analysis]: level %s, score %d, %zu finding(s)%s", name,
			      level, score, findings, hint);
	} else if (!o->quiet && level_rank(level) > 0)
		fprintf(stderr, "mlrun: scan: %s: level %s, score %d, %zu finding(s)%s\n", name, level, score, findings,
			hint);
	json_object_put(a);
	return r;
}

int analysis_check(const struct policy *p, const struct run_options *o, struct run_result *res,
		   struct analysis_pin *pin, struct error *err)
{
	struct analysis_source src;
	int r;
	memset(pin, 0, sizeof(*pin));
	if (p->analysis_python == ANALYSIS_OFF)
		return 0;
	analysis_classify(o->argc, o->argv, p->interpreter_py, &src);
	switch (src.kind) {
	case ANALYSIS_SRC_NONE:
		return 0;
	case ANALYSIS_SRC_CODE: {
		const char *code = o->argv[src.index] + src.offset;
		if ((r = scan_bytes_json("-c CODE", code, strlen(code), &res->analysis_json, err)) < 0)
			return r;
		char name[64];
		snprintf(name, sizeof(name), "%s -c CODE", base_name(o->argv[0]));
		return verdict(p, o, name, false, res, err);
	}
	case ANALYSIS_SRC_SCRIPT: {
		const char *path = o->argv[src.index];
		if ((r = read_source(path, pin, err)) < 0 ||
		    (r = scan_bytes_json(path, pin->bytes ? pin->bytes : "", pin->len, &res->analysis_json, err)) < 0)
			return r;
		return verdict(p, o, path, true, res, err);
	}
	default:
		return unscannable(p, o, &src, res, err);
	}
}

int analysis_place(const struct analysis_pin *pin, struct rootfs_plan *plan, struct error *err)
{
	if (!pin->path)
		return 0;
	_cleanup_free_ char *dst = NULL;
	/* The path the program opens: as given, from the sandbox's working directory. */
	if (pin->path[0] == '/' ? !(dst = strdup(pin->path)) : asprintf(&dst, "%s/%s", plan->cwd, pin->path) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return rootfs_plan_add_script(plan, dst, pin->bytes ? pin->bytes : "", pin->len, pin->mode, err);
}

void analysis_pin_free(struct analysis_pin *pin)
{
	free(pin->bytes);
	memset(pin, 0, sizeof(*pin));
}
