/* seccomp profile files (`seccomp = /path/to/profile`): syscall_profile_load, then the
 * policy's allow_syscalls/deny_syscalls adjustments on top as a run applies them. */
#include "fuzz.h"

#include "../../policy/syscalls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct syscall_profile sp;
	static char *allow[] = { "ptrace" }, *deny[] = { "bpf" };
	char path[64];
	struct error err = { 0 };

	fuzz_memfd(data, size, path, sizeof(path));
	if (syscall_profile_load(&sp, path, &err) == 0)
		syscall_profile_adjust(&sp, allow, 1, deny, 1, &err);
	else if (strstr(err.msg, "cannot open"))
		abort(); /* the memfd must be readable: else nothing is being fuzzed */
	return 0;
}
