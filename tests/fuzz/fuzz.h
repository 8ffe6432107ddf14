/* fuzz.h - shared by the libFuzzer harnesses (tests/fuzz/, docs/testing.md).
 *
 * A harness must not touch the OS: parsers that read a path get the input through a memfd,
 * named /proc/self/fd/N (a regular file, opened afresh at offset 0 by each open). */
#pragma once

#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process' one memfd, holding exactly data; its /proc/self/fd path in path. */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t len)
{
	static int fd = -1;

	if (fd < 0 && (fd = memfd_create("mlrun-fuzz", MFD_CLOEXEC)) < 0) {
		perror("fuzz: memfd_create");
		abort();
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz: memfd write");
		abort();
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* data as a NUL-terminated string (malloc'd; the caller frees). Embedded NULs stay: a C
 * parser sees the text up to the first one, as it would reading a C string. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
