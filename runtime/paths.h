/* paths.h - where mlrun's data (policies, the scan analyzer, the audit probe) lives. */
#pragma once

/* The installed data directory: <prefix>/share/mlrun next to the running binary
 * (<prefix>/bin/mlrun) when it exists, so an install stays relocatable whatever PREFIX the
 * binary was built with; else the compiled-in MLRUN_DATADIR. */
const char *mlrun_datadir(void);
