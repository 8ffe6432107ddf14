/* builtin.c - the built-in profiles' seccomp filters, compiled when mlrun was built.
 *
 * security/gen/builtin_filters.c runs at build time with this build's security/ objects and
 * static libseccomp and writes builtin_filters.h: each built-in profile (the exact struct
 * syscall_profile seccomp_filter_compile takes) and its BPF program. A run whose profile equals
 * one of them byte for byte gets that program, which is what compiling would give (unit test
 * test_seccomp_builtin); any other profile is compiled. Nothing is read from disk: the programs
 * are part of the binary, so this trusts nothing the binary did not already. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "security.h"

struct builtin_filter {
	const char *name;
	bool default_allow;
	const uint8_t *verdict; /* SYSCALL_NR_MAX entries */
	const struct sock_filter *bpf;
	unsigned short len;
};

#include "builtin_filters.h" /* generated into $(BUILD)/gen/ */

const char *seccomp_filter_builtin(const struct syscall_profile *sp, struct sock_fprog *prog)
{
	for (size_t i = 0; i < sizeof(builtin_filters) / sizeof(builtin_filters[0]); i++) {
		const struct builtin_filter *b = &builtin_filters[i];
		if (sp->default_allow != b->default_allow || memcmp(sp->verdict, b->verdict, SYSCALL_NR_MAX) != 0)
			continue;
		size_t size = (size_t)b->len * sizeof(*b->bpf);
		struct sock_filter *copy = malloc(size);
		if (!copy)
			return NULL; /* the caller compiles instead, and reports the error if that fails too */
		memcpy(copy, b->bpf, size);
		prog->filter = copy;
		prog->len = b->len;
		return b->name;
	}
	return NULL;
}

const char *seccomp_filter_builtin_libseccomp(void)
{
	return BUILTIN_FILTERS_LIBSECCOMP;
}
