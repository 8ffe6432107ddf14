/* profile.h - `mlrun profile [PROFILE OPTIONS] [RUN OPTIONS] [--] PROGRAM [ARG...]`: run PROGRAM
 * as `mlrun run` does and record its resource timeline (docs/profile.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct profile_sample {
	double elapsed_ms; /* since the child `mlrun run` was started */
	uint64_t memory_bytes, cpu_usec, pids, io_read_bytes, io_write_bytes;
	double cpu_percent; /* of one core, over the time since the previous sample */
	bool from_cgroup;   /* else /proc: io unknown */
};

struct profile_summary {
	double duration_ms; /* the child's whole life, set-up and teardown included */
	double memory_peak_at_ms, cpu_mean_percent, cpu_peak_percent;
	uint64_t memory_peak_bytes, pids_peak;
	int exit_code;
};

/* One profiled run: what the CSV, the JSON and the plot are made of. */
struct profile_timeline {
	const char *id;
	char **command; /* PROGRAM ARG..., NULL-terminated */
	uint64_t interval_ms;
	struct profile_sample *v;
	size_t n, cap;
	struct profile_summary summary;
};

/* argv[0] is the subcommand; returns the exit status (the run's, or 125 when profile itself
 * failed). */
int profile_main(int argc, char **argv);

/* "cgroup" or "proc" (where the first sample came from), "none" without samples. */
const char *profile_source_name(const struct profile_timeline *t);

/* The timeline as an SVG (profile_svg.c): memory and CPU panels over one time axis. */
void profile_write_svg(FILE *f, const struct profile_timeline *t);
