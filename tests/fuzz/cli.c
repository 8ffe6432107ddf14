/* The command line of `mlrun [run]`: cli_parse_run, then every flag that is a policy key
 * through policy_set() and the cross-key checks, as run.c merges them (without a policy file
 * or MLRUN_* variables). The input is argv: words separated by NUL bytes. */
#include "fuzz.h"

#include "../../policy/policy.h"
#include "../../runtime/run.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strdup(data, size), *argv[MAX_ARGS + 2];
	int argc = 0;
	struct run_options o;
	struct error err = { 0 };

	argv[argc++] = "mlrun";
	for (size_t i = 0; i <= size && argc < MAX_ARGS + 1; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	if (cli_parse_run(argc, argv, &o, &err) == 0) {
		struct policy p;
		int r = 0;

		policy_init(&p);
		for (size_t i = 0; i < o.n_sets && r == 0; i++) {
			struct error e = { 0 };
			r = policy_set(&p, o.sets[i].section, o.sets[i].key, o.sets[i].value, &e);
		}
		if (r == 0)
			policy_validate(&p, &err);
		policy_free(&p);
	}
	free(buf);
	return 0;
}
