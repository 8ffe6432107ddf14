/* test_analysis.c - what a command line makes Python execute, as [analysis] sees it.
 * TAP on stdout; exit 1 on any failure. */
#include <stdio.h>
#include <string.h>

#include "runtime/analysis.h"

#include "tap.h"

#define MAX_ARGS 8

struct classify_case {
	const char *argv[MAX_ARGS]; /* NULL-terminated */
	enum analysis_kind kind;
	const char *what; /* the script, code or module: argv[index] + offset; NULL for none */
};

static const char *const kind_names[] = { "none", "script", "code", "module", "stdin", "unknown" };

static const struct classify_case cases[] = {
	/* a .py PROGRAM, and the old "INTERPRETER FILE.py" shape */
	{ { "train.py", "--epochs", "3" }, ANALYSIS_SRC_SCRIPT, "train.py" },
	{ { "/usr/bin/pypy3", "job.py" }, ANALYSIS_SRC_SCRIPT, "job.py" },
	{ { "/bin/sh", "-c", "python3 bad.py" }, ANALYSIS_SRC_NONE, NULL },
	{ { "/bin/echo", "x" }, ANALYSIS_SRC_NONE, NULL },
	/* python itself, whatever its name */
	{ { "python3", "job" }, ANALYSIS_SRC_SCRIPT, "job" },
	{ { "/usr/bin/python3.11", "job.py", "-c", "x" }, ANALYSIS_SRC_SCRIPT, "job.py" },
	{ { "/opt/py/bin/python", "-I", "-B", "bad.py" }, ANALYSIS_SRC_SCRIPT, "bad.py" },
	{ { "python3", "-IBu", "bad.py" }, ANALYSIS_SRC_SCRIPT, "bad.py" },
	{ { "python3", "-W", "ignore", "-X", "dev", "bad.py" }, ANALYSIS_SRC_SCRIPT, "bad.py" },
	{ { "python3", "-Wignore", "bad.py" }, ANALYSIS_SRC_SCRIPT, "bad.py" },
	{ { "python3", "--check-hash-based-pycs", "never", "bad.py" }, ANALYSIS_SRC_SCRIPT, "bad.py" },
	{ { "python3", "--", "-c.py" }, ANALYSIS_SRC_SCRIPT, "-c.py" },
	{ { "/usr/local/bin/myinterp", "bad" }, ANALYSIS_SRC_SCRIPT, "bad" }, /* the policy's interpreter.py */
	/* -c CODE */
	{ { "python3", "-c", "exec(open('bad.py').read())" }, ANALYSIS_SRC_CODE, "exec(open('bad.py').read())" },
	{ { "python3", "-cprint(1)" }, ANALYSIS_SRC_CODE, "print(1)" },
	{ { "python3", "-IBcprint(1)", "x.py" }, ANALYSIS_SRC_CODE, "print(1)" },
	{ { "python3", "-I", "-c", "x", "-m", "y" }, ANALYSIS_SRC_CODE, "x" },
	/* cannot be scanned first */
	{ { "python3", "-m", "bad" }, ANALYSIS_SRC_MODULE, "bad" },
	{ { "python3", "-Impkg.mod", "arg" }, ANALYSIS_SRC_MODULE, "pkg.mod" },
	{ { "python3" }, ANALYSIS_SRC_STDIN, NULL },
	{ { "python3", "-" }, ANALYSIS_SRC_STDIN, NULL },
	{ { "python3", "-I", "--" }, ANALYSIS_SRC_STDIN, NULL },
	{ { "python3", "-i", "good.py" }, ANALYSIS_SRC_STDIN, NULL },
	{ { "python3", "-i", "-c", "x" }, ANALYSIS_SRC_STDIN, NULL },
	{ { "python3", "-Z", "bad.py" }, ANALYSIS_SRC_UNKNOWN, NULL },
	{ { "python3", "--frobnicate", "bad.py" }, ANALYSIS_SRC_UNKNOWN, NULL },
	/* runs no code */
	{ { "python3", "-V" }, ANALYSIS_SRC_NONE, NULL },
	{ { "python3", "--version" }, ANALYSIS_SRC_NONE, NULL },
	{ { "python3", "--help-env" }, ANALYSIS_SRC_NONE, NULL },
	{ { "python3", "-c" }, ANALYSIS_SRC_NONE, NULL }, /* python: "Argument expected for -c" */
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct classify_case *c = &cases[i];
		struct analysis_source s;
		char got[256], cmd[256] = "";
		int argc = 0;
		while (argc < MAX_ARGS && c->argv[argc])
			argc++;
		for (int a = 0; a < argc; a++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", a ? " " : "", c->argv[a]);
		analysis_classify(argc, (char *const *)c->argv, "/usr/local/bin/myinterp", &s);
		const char *what = s.kind == ANALYSIS_SRC_SCRIPT || s.kind == ANALYSIS_SRC_CODE || s.kind == ANALYSIS_SRC_MODULE
					   ? c->argv[s.index] + s.offset
					   : NULL;
		snprintf(got, sizeof(got), "%s '%s'", kind_names[s.kind], what ? what : "");
		tap(s.kind == c->kind && (!c->what || (what && strcmp(what, c->what) == 0)), got, "'%s': %s%s%s", cmd,
		    kind_names[c->kind], c->what ? " " : "", c->what ? c->what : "");
	}
	return tap_done();
}
