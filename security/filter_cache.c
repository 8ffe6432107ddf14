/* filter_cache.c - compiled seccomp filters cached per profile, so that a run whose profile
 * was seen before skips libseccomp's compilation (1.5-4 ms, most of the parent's set-up).
 *
 * The key is the whole compilation input (struct syscall_profile: the verdict of every syscall
 * number), plus the libseccomp and mlrun versions: the cached file stores the key in full and a
 * hit needs an exact match, so the file name's hash only finds the candidate. The cache lives
 * in the caller's own state directory (0700): only a process of the same user could replace an
 * entry, and that user could as well run without a filter. Entries are written to a temporary
 * file and renamed, so concurrent runs never read half a filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/cleanup.h"
#include "../runtime/state.h"
#include "security.h"

#define CACHE_MAGIC "MLRUNBPF"
#define CACHE_FORMAT 62 /* 62: foreign ABIs notify; socket argument rules; NUMA calls allowed */

struct cache_header {
	char magic[8];
	uint32_t format;
	uint32_t insns; /* BPF instructions that follow the header */
	char versions[64]; /* "libseccomp 2.5.4 / mlrun 0.1.0" */
	struct syscall_profile key;
};

static void versions(char *buf, size_t len)
{
	const struct scmp_version *v = seccomp_version();
	snprintf(buf, len, "libseccomp %u.%u.%u / mlrun %s", v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0,
		 MLRUN_VERSION);
}

/* FNV-1a over the key: names the file only, a hit compares the stored key in full. */
static uint64_t key_hash(const struct syscall_profile *sp)
{
	const unsigned char *b = (const unsigned char *)sp;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < sizeof(*sp); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int cache_path(const struct syscall_profile *sp, char *buf, size_t len, bool create)
{
	char dir[512];
	if (state_dir(dir, sizeof(dir), create, NULL) < 0)
		return -ENOENT;
	size_t n = strlen(dir);
	if (n + 16 >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir + n, "/seccomp", 9);
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(buf, len, "%s/%016llx.bpf", dir, (unsigned long long)key_hash(sp));
	return 0;
}

static void header_init(struct cache_header *h, const struct syscall_profile *sp, uint32_t insns)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CACHE_MAGIC, sizeof(h->magic));
	h->format = CACHE_FORMAT;
	h->insns = insns;
	versions(h->versions, sizeof(h->versions));
	h->key = *sp;
}

static int cache_read(const struct syscall_profile *sp, struct sock_fprog *prog)
{
	char path[640];
	if (cache_path(sp, path, sizeof(path), false) < 0)
		return -ENOENT;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct cache_header want, got;
	header_init(&want, sp, 0);
	if (pread(fd, &got, sizeof(got), 0) != (ssize_t)sizeof(got) || memcmp(got.magic, want.magic, 8) ||
	    got.format != want.format || strcmp(got.versions, want.versions) || memcmp(&got.key, sp, sizeof(*sp)) ||
	    got.insns == 0 || got.insns > BPF_MAXINSNS)
		return -ESTALE;
	size_t bytes = (size_t)got.insns * sizeof(struct sock_filter);
	struct sock_filter *f = malloc(bytes);
	if (!f)
		return -ENOMEM;
	if (pread(fd, f, bytes, sizeof(got)) != (ssize_t)bytes) {
		free(f);
		return -ESTALE;
	}
	prog->filter = f;
	prog->len = (unsigned short)got.insns;
	return 0;
}

/* Best effort: a cache that cannot be written costs only the next compilation. */
static void cache_write(const struct syscall_profile *sp, const struct sock_fprog *prog)
{
	char path[640], tmp[700];
	if (cache_path(sp, path, sizeof(path), true) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct cache_header h;
	header_init(&h, sp, prog->len);
	size_t bytes = (size_t)prog->len * sizeof(struct sock_filter);
	bool ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) && write(fd, prog->filter, bytes) == (ssize_t)bytes;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}

int seccomp_filter_get(const struct syscall_profile *sp, struct sock_fprog *prog, bool *hit, struct error *err)
{
	*hit = cache_read(sp, prog) == 0;
	if (*hit)
		return 0;
	int r = seccomp_filter_compile(sp, prog, err);
	if (r == 0)
		cache_write(sp, prog);
	return r;
}
