/* expect.h - checks on a call that fills a struct error, shared by the policy unit tests. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/error.h"
#include "tap.h"

/* The call succeeded and left no message. */
__attribute__((unused)) static void expect_ok(int rc, const struct error *err, const char *desc)
{
	char got[ERROR_MSG_MAX + 32];

	snprintf(got, sizeof(got), "rc=%d msg='%s'", rc, err->msg);
	tap(rc == 0 && !err->msg[0], got, "%s", desc);
}

/* The call failed and its message equals want (exact) or contains it. */
__attribute__((unused)) static void expect_err(int rc, const struct error *err, const char *want, bool exact,
					      const char *desc)
{
	char got[ERROR_MSG_MAX + 32];
	bool match = exact ? strcmp(err->msg, want) == 0 : strstr(err->msg, want) != NULL;

	snprintf(got, sizeof(got), "rc=%d msg='%s'", rc, err->msg);
	tap(rc < 0 && err->code > 0 && match, got, "%s", desc);
}
