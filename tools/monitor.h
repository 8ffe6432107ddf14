/* monitor.h - `mlrun ps`, `stats`, `top`, `kill`, `gc` (argv[0] is the subcommand). */
#pragma once

int monitor_ps(int argc, char **argv);
int monitor_stats(int argc, char **argv);
int monitor_top(int argc, char **argv);
int monitor_kill(int argc, char **argv);
int monitor_gc(int argc, char **argv);
