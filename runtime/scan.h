/* scan.h - `mlrun scan FILE.py [--json]` (argv[0] is "scan"). */
#pragma once

#include "../lib/error.h"

int scan_main(int argc, char **argv);

/* Run the analyzer (in its own strict sandbox) on exactly the bytes src[0..len) and return its
 * JSON in *json (malloc'd); name is the file name it reports. Used by `mlrun run` when the
 * policy's [analysis] python is not off: the caller read the file once and runs these bytes. */
int scan_bytes_json(const char *name, const char *src, size_t len, char **json, struct error *err);
