/* `mlrun batch` job files: plain command lines and JSONL objects (batch_load_jobs), then the
 * check that a job does not loosen the batch's limits (batch_check_tighten, built-in policy). */
#include "fuzz.h"

#include "../../tools/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct batch b = { .dirfd = -1, .sigfd = -1, .file = path };
	struct error err = { 0 };

	unsetenv("MLRUN_POLICY"); /* the batch's ceiling: the built-in policy, no file read */
	fuzz_memfd(data, size, path, sizeof(path));
	b.trust_jobs = size && data[0] & 1;
	int r = batch_load_jobs(&b, &err);
	if (r == -ENOENT)
		abort(); /* the memfd must be readable: else nothing is being fuzzed */
	if (r == 0)
		batch_check_tighten(&b, &err);
	for (size_t i = 0; i < b.n_jobs; i++)
		batch_job_free(&b.jobs[i]);
	free(b.jobs);
	return 0;
}
