/* paths.h - where mlrun's data (policies, the scan analyzer, the audit probe) lives, and how
 * it creates the files it writes for the caller. */
#pragma once

#include <stdbool.h>

#include "error.h"

/* The installed data directory: <prefix>/share/mlrun next to the running binary
 * (<prefix>/bin/mlrun) when it exists, so an install stays relocatable whatever PREFIX the
 * binary was built with; else the compiled-in MLRUN_DATADIR. */
const char *mlrun_datadir(void);

/* Where a bare policy name (-p strict) is looked up, in order, NULL-terminated: the data
 * directory above, then the running binary's own directory (a build tree: ./mlrun next to
 * policies/). Never the caller's current directory. */
const char *const *mlrun_policy_dirs(void);
/* Where mlrun's own helper programs are (mlrun-ids): the running binary's directory (a
 * checkout), PREFIX/libexec/mlrun beside its PREFIX/bin, then MLRUN_LIBEXECDIR (make install).
 * NULL-terminated. */
const char *const *mlrun_helper_dirs(void);

/* Open a file mlrun writes for the caller (--report, profile output, batch reports) at PATH
 * relative to DIRFD (AT_FDCWD for a plain path), without following a symlink in its last
 * component and without truncating before the checks: it must be a regular file owned by
 * the effective uid. Then it is truncated, unless keep is set. *created (may be NULL) says
 * whether this call created it. Returns the fd or -errno; what names the output in messages. */
int paths_open_output(int dirfd, const char *path, const char *what, bool keep, bool *created,
		      struct error *err);
