/* /proc/PID/stat lines, as `mlrun ps`/`stats`/`top` read them for a sandbox without a cgroup
 * leaf (snapshot_parse_proc_stat). The command field (2) is whatever name the sandboxed
 * program gave itself: spaces, parentheses, digits. The input is cut to what fgets() returns
 * into the reader's 1024-byte buffer: up to the first newline, at most 1023 bytes. */
#include "fuzz.h"

#include "../../runtime/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - data) + 1 : size;
	char state;
	unsigned long long ut, st, rss;

	if (len > 1023)
		len = 1023;
	char *line = fuzz_strdup(data, len);
	snapshot_parse_proc_stat(line, &state, &ut, &st, &rss);
	free(line);
	return 0;
}
