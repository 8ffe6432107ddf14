/* analysis.h - the policy's [analysis] python gate, applied to what the run will execute.
 *
 * ADVISORY: a program can always build code at run time (exec of a downloaded string, a
 * module it writes and imports), so the gate is a review aid that refuses obviously hostile
 * jobs, never a security boundary; the sandbox is (docs/scan.md, docs/security.md). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "../policy/policy.h"
#include "../lib/error.h"

struct run_options;
struct run_result;

/* What a command line makes Python execute. */
enum analysis_kind {
	ANALYSIS_SRC_NONE,    /* not a Python program, or one that runs no code (python3 --version) */
	ANALYSIS_SRC_SCRIPT,  /* a script file: argv[index] */
	ANALYSIS_SRC_CODE,    /* -c CODE: argv[index] + offset ("-c CODE" or "-cCODE") */
	ANALYSIS_SRC_MODULE,  /* -m MODULE: found on sys.path at run time; argv[index] + offset */
	ANALYSIS_SRC_STDIN,   /* code read from stdin: "-", no script, or -i (interactive after it) */
	ANALYSIS_SRC_UNKNOWN, /* an option this parser does not know: what runs cannot be told */
};

struct analysis_source {
	enum analysis_kind kind;
	int index;
	size_t offset;
};

/* Classify argv (PROGRAM [ARG...]) the way CPython parses its own command line. interp_py is
 * the policy's interpreter for .py programs (its name also counts as Python). Pure. */
void analysis_classify(int argc, char *const *argv, const char *interp_py, struct analysis_source *out);

/* The script's bytes, read once: what was scanned, and what the sandbox will run. */
struct analysis_pin {
	const char *path; /* as given on the command line (argv[i]) */
	char *bytes;	  /* malloc'd */
	size_t len;
	mode_t mode; /* 0444, or 0555 when the file was executable */
};

/* The gate: scan what will run (status "rejected" and -EPERM at or above the policy's level,
 * or when it cannot be scanned under reject-*); under warn, print and go on. A script's bytes
 * are left in *pin (to be placed over it in the sandbox, analysis_place()). */
int analysis_check(const struct policy *p, const struct run_options *o, struct run_result *res,
		   struct analysis_pin *pin, struct error *err);

/* Append the op that makes the sandbox run exactly pin's bytes (no-op without a pin). */
struct rootfs_plan;
int analysis_place(const struct analysis_pin *pin, struct rootfs_plan *plan, struct error *err);

void analysis_pin_free(struct analysis_pin *pin);
