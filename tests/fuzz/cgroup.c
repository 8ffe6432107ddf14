/* What the kernel's cgroup files say, as cgroup/stats.c, leaf.c and probe.c parse them
 * (cgroup/parse.c): single values, flat-keyed files, io.stat, /proc/self/cgroup, controller
 * lists. The input is cut to what cgroup_read() would hold (CGROUP_FILE_MAX, NUL-terminated). */
#include "fuzz.h"

#include "../../cgroup/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "oom_kill", "oom", "max", "usage_usec", "user_usec", "system_usec",
					    "nr_throttled", "throttled_usec", "populated", "frozen" };
	char path[sizeof(((struct cgroup_host *)0)->own_path)];
	uint64_t v, r, w;

	if (size >= CGROUP_FILE_MAX)
		size = CGROUP_FILE_MAX - 1;
	char *s = fuzz_strdup(data, size);
	cgroup_parse_u64(s, &v);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cgroup_parse_flat_key(s, keys[i], &v);
	cgroup_parse_io_stat(s, &r, &w);
	cgroup_parse_own_path(s, path, sizeof(path));
	for (int c = 0; c < CG_NCTRL; c++)
		cgroup_list_has(s, cgroup_ctrl_name[c]);
	cgroup_id_valid(s);
	free(s);
	return 0;
}
