/* scan.h - `mlrun scan FILE.py [--json]` (argv[0] is "scan"). */
#pragma once

int scan_main(int argc, char **argv);
