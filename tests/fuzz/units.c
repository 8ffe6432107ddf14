/* The unit parsers of policy/units.c (sizes, durations, counts, cpus, booleans) on any string,
 * as a flag (--memory 1.5G), an MLRUN_* variable or an INI value hands them over. */
#include "fuzz.h"

#include "../../policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	uint64_t u;
	double d;
	bool b;

	parse_size(s, &u);
	parse_duration_ms(s, &u);
	parse_count(s, &u);
	parse_cpus(s, &d);
	parse_bool(s, &b);
	free(s);
	return 0;
}
