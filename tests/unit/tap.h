/* tap.h - the few lines of TAP the C unit tests share: `ok N - description`, `not ok N` with a
 * `# got ...` line, and the plan at the end (tests/run-all.sh counts these lines). */
#pragma once

#include <stdarg.h>
#include <stdio.h>

static int tests_run, tests_failed;

/* Record one check; got (may be NULL) says what was observed when it fails. Returns pass. */
__attribute__((format(printf, 3, 4), unused)) static int tap(int pass, const char *got, const char *fmt, ...)
{
	va_list ap;

	tests_run++;
	printf("%s %d - ", pass ? "ok" : "not ok", tests_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		tests_failed++;
		printf("# got %s\n", got ? got : "(nothing)");
	}
	return pass;
}

/* Print the plan; the exit status of the test binary. */
__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tests_run);
	return tests_failed ? 1 : 0;
}
