/* scan.h - running the Python analyzer (tools/scan/mlrun_scan.py) in its own strict sandbox. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

/* Run the analyzer on in_fd (its stdin) with its output on out_fd: JSON, or the table when
 * json is false; name is the file name it reports. 0 when it exited 0. Used by `mlrun scan`. */
int scan_run_fd(const char *name, int in_fd, int out_fd, bool json, struct error *err);

/* Run the analyzer (in its own strict sandbox) on exactly the bytes src[0..len) and return its
 * JSON in *json (malloc'd); name is the file name it reports. Used by `mlrun run` when the
 * policy's [analysis] python is not off: the caller read the file once and runs these bytes. */
int scan_bytes_json(const char *name, const char *src, size_t len, char **json, struct error *err);
