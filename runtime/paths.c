#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

const char *mlrun_datadir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	struct stat st;

	if (dir[0])
		return dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(dir, sizeof(dir), "%s/../share/mlrun", exe) < (int)sizeof(dir) && stat(dir, &st) == 0 &&
			    S_ISDIR(st.st_mode))
				return dir;
		}
	}
	snprintf(dir, sizeof(dir), "%s", MLRUN_DATADIR);
	return dir;
}
