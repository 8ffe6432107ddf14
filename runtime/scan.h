/* scan.h - `mlrun scan FILE.py [--json]` (argv[0] is "scan"). */
#pragma once

#include "error.h"

int scan_main(int argc, char **argv);

/* Run the analyzer on FILE (in its own strict sandbox) and return its JSON in *json
 * (malloc'd). Used by `mlrun run` when the policy's [analysis] python is not off. */
int scan_file_json(const char *file, char **json, struct error *err);
