/* /proc/PID/stat lines, as `mlrun ps`/`stats`/`top` read them for a sandbox without a cgroup
 * leaf (snapshot_parse_proc_stat). The command field (2) is whatever name the sandboxed
 * program gave itself: spaces, parentheses, digits. The input is cut to what fgets() returns
 * into the reader's 1024-byte buffer: up to the first newline, at most 1023 bytes. The line ends
 * right before a PROT_NONE page, so that a read past its NUL (inside libc's sscanf, which ASan
 * does not see) faults at once. */
#include "fuzz.h"

#include "../../tools/snapshot.h"

#define PAGE 4096

/* A two-page mapping whose second page cannot be touched; made once. */
static char *guarded(void)
{
	static char *m;

	if (!m) {
		m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || mprotect(m + PAGE, PAGE, PROT_NONE) < 0)
			abort();
	}
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - data) + 1 : size;
	char state;
	unsigned long long ut, st, rss;

	if (len > 1023)
		len = 1023;
	char *line = guarded() + PAGE - (len + 1);
	memcpy(line, data, len);
	line[len] = '\0';
	snapshot_parse_proc_stat(line, &state, &ut, &st, &rss);
	return 0;
}
