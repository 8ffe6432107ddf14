#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int error_set(struct error *err, int errnum, const char *fmt, ...)
{
	int ret = errnum > 0 ? -errnum : (errnum < 0 ? errnum : -EINVAL);

	if (!err || err->msg[0])
		return ret;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (errnum != 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum > 0 ? errnum : -errnum));
	err->code = -ret;
	return ret;
}
