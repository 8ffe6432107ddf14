/* Policy INI files, through the entry points `mlrun check` (policy_check_file: every problem)
 * and `mlrun run --policy` (policy_load_fd, then policy_validate) use; the size, duration,
 * count, cpus and bool parsers (policy/units.c) are reached through the keys' values. */
#include "fuzz.h"

#include <fcntl.h>

#include "../../policy/policy.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct policy p;
	struct error err = { 0 };

	if (!devnull && !(devnull = fopen("/dev/null", "we")))
		abort();
	fuzz_memfd(data, size, path, sizeof(path));
	if (policy_check_file(path, devnull) == -ENOENT)
		abort(); /* the memfd must be readable: else nothing is being fuzzed */

	policy_init(&p);
	int fd = policy_open_file(path, "policy", &err);
	if (fd < 0)
		abort();
	if (policy_load_fd(&p, fd, path, &err) == 0)
		policy_validate(&p, &err);
	policy_free(&p);
	return 0;
}
