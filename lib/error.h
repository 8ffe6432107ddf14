/* error.h - how failures travel: functions return 0 or -errno and fill a struct error once,
 * at the failure site, with what failed and on which path. Only runtime/main.c prints it. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define ERROR_MSG_MAX 512

struct error {
	int code;		  /* positive errno, 0 when unset */
	char msg[ERROR_MSG_MAX];  /* "cannot mount tmpfs on /tmp: No space left on device" */
};

/* Fill err (if non-NULL and still empty) with a formatted message; when errnum != 0 its
 * strerror is appended as ": <reason>". Returns -errnum (or -EINVAL when errnum is 0), so a
 * failure site reads: return error_set(err, errno, "cannot open %s", path); */
int error_set(struct error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Whether err carries a message. */
static inline int error_isset(const struct error *err) { return err && err->msg[0]; }
