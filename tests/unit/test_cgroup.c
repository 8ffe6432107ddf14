/* test_cgroup.c - unit tests for cgroup/'s pure parsers and formatters, and for the leaf
 * logic run against a fake cgroup tree of plain files in a temporary directory (no cgroupfs is
 * touched). TAP output; exit 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"

static int n_tests, n_failed;

static void ok(int cond, const char *desc)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, desc);
}

static void ok_str(const char *got, const char *want, const char *desc)
{
	int same = got && strcmp(got, want) == 0;
	ok(same, desc);
	if (!same)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)", want);
}

static void test_u64(void)
{
	uint64_t v = 0;
	ok(cgroup_parse_u64("123\n", &v) == 0 && v == 123, "u64: number with newline");
	ok(cgroup_parse_u64("max\n", &v) == 0 && v == UINT64_MAX, "u64: max");
	ok(cgroup_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "u64: largest value");
	ok(cgroup_parse_u64("18446744073709551616", &v) == -ERANGE, "u64: overflow is ERANGE");
	ok(cgroup_parse_u64("", &v) == -EINVAL, "u64: empty is EINVAL");
	ok(cgroup_parse_u64("12a", &v) == -EINVAL, "u64: trailing junk is EINVAL");
	ok(cgroup_parse_u64("-1", &v) == -EINVAL, "u64: negative is EINVAL");
}

static void test_flat_keys(void)
{
	const char *cpu = "usage_usec 5231\nuser_usec 4000\nsystem_usec 1231\nnr_periods 30\n"
			  "nr_throttled 12\nthrottled_usec 800123\n";
	const char *mem = "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 1\n";
	uint64_t v = 0;

	ok(cgroup_parse_flat_key(cpu, "usage_usec", &v) == 0 && v == 5231, "flat: first key");
	ok(cgroup_parse_flat_key(cpu, "throttled_usec", &v) == 0 && v == 800123, "flat: last key");
	ok(cgroup_parse_flat_key(cpu, "nr_throttled", &v) == 0 && v == 12, "flat: middle key");
	ok(cgroup_parse_flat_key(cpu, "usage", &v) == -ENOENT, "flat: a key prefix does not match");
	ok(cgroup_parse_flat_key(mem, "oom", &v) == 0 && v == 1, "flat: oom is not oom_kill");
	ok(cgroup_parse_flat_key(mem, "oom_kill", &v) == 0 && v == 1, "flat: oom_kill");
	ok(cgroup_parse_flat_key(mem, "max", &v) == 0 && v == 3, "flat: 'max' key is a key, not a value");
	ok(cgroup_parse_flat_key("populated 0\nfrozen 0\n", "populated", &v) == 0 && v == 0,
	   "flat: cgroup.events populated 0");
	ok(cgroup_parse_flat_key("populated 1", "populated", &v) == 0 && v == 1, "flat: no final newline");
	ok(cgroup_parse_flat_key("", "oom", &v) == -ENOENT, "flat: empty text");
	ok(cgroup_parse_flat_key("oom x\n", "oom", &v) == -EINVAL, "flat: bad value is EINVAL");
}

static void test_io_stat(void)
{
	const char *two = "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
			  "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n";
	uint64_t r = 1, w = 1;

	ok(cgroup_parse_io_stat(two, &r, &w) == 0 && r == 1459200 + 90430464ULL && w == 314773504 + 299008000ULL,
	   "io.stat: two devices summed");
	ok(cgroup_parse_io_stat("", &r, &w) == 0 && r == 0 && w == 0, "io.stat: empty file is zero");
	ok(cgroup_parse_io_stat("253:0 rios=3 wios=4\n", &r, &w) == 0 && r == 0 && w == 0,
	   "io.stat: device without byte counters counts 0");
	ok(cgroup_parse_io_stat("8:0 xrbytes=5 rbytes=7 wbytes=9\n", &r, &w) == 0 && r == 7 && w == 9,
	   "io.stat: field names match whole words");
	ok(cgroup_parse_io_stat("garbage\n", &r, &w) == -EINVAL, "io.stat: garbage is EINVAL");
	ok(cgroup_parse_io_stat("8:0 rbytes=x\n", &r, &w) == -EINVAL, "io.stat: bad number is EINVAL");
}

static void test_own_path(void)
{
	char path[64];
	const char *hybrid = "9:name=systemd:/\n4:memory:/a/b\n0::/user.slice/user-1000.slice/s.scope\n";

	ok(cgroup_parse_own_path(hybrid, path, sizeof(path)) == 0, "own path: found among v1 lines");
	ok_str(path, "/user.slice/user-1000.slice/s.scope", "own path: value");
	ok(cgroup_parse_own_path("0::/\n", path, sizeof(path)) == 0 && strcmp(path, "/") == 0, "own path: root");
	ok(cgroup_parse_own_path("0::/a/b (deleted)\n", path, sizeof(path)) == 0 && strcmp(path, "/a/b") == 0,
	   "own path: ' (deleted)' removed");
	ok(cgroup_parse_own_path("4:memory:/x\n", path, sizeof(path)) == -ENOENT, "own path: v1 only is ENOENT");
	ok(cgroup_parse_own_path("0::/a/very/long/path/that/does/not/fit/in/a/sixteen/byte/buffer\n", path, 16) ==
		   -ENAMETOOLONG,
	   "own path: too long");
}

static void test_list_has(void)
{
	const char *list = "cpuset cpu io memory hugetlb pids rdma misc\n";
	ok(cgroup_list_has(list, "cpu"), "list: cpu");
	ok(cgroup_list_has(list, "misc"), "list: last entry before newline");
	ok(cgroup_list_has(list, "cpuset"), "list: cpuset");
	ok(!cgroup_list_has(list, "mem"), "list: prefix is not a match");
	ok(!cgroup_list_has("", "cpu"), "list: empty");
}

static void test_cpu_max(void)
{
	char buf[48];
	ok(cgroup_format_cpu_max(0.5, buf, sizeof(buf)) == 0, "cpu.max: 0.5 formats");
	ok_str(buf, "50000 100000", "cpu.max: 0.5 cores");
	cgroup_format_cpu_max(0.2, buf, sizeof(buf));
	ok_str(buf, "20000 100000", "cpu.max: 0.2 cores");
	cgroup_format_cpu_max(2, buf, sizeof(buf));
	ok_str(buf, "200000 100000", "cpu.max: 2 cores");
	cgroup_format_cpu_max(0, buf, sizeof(buf));
	ok_str(buf, "max 100000", "cpu.max: 0 means unlimited");
	cgroup_format_cpu_max(0.001, buf, sizeof(buf));
	ok_str(buf, "1000 100000", "cpu.max: below 1 ms quota raised to 1 ms");
	cgroup_format_cpu_max(1.234567, buf, sizeof(buf));
	ok_str(buf, "123457 100000", "cpu.max: rounded to the microsecond");
	ok(cgroup_format_cpu_max(-1, buf, sizeof(buf)) == -EINVAL, "cpu.max: negative is EINVAL");
	ok(cgroup_format_cpu_max(NAN, buf, sizeof(buf)) == -EINVAL, "cpu.max: NaN is EINVAL");
	ok(cgroup_format_cpu_max(1e12, buf, sizeof(buf)) == -ERANGE, "cpu.max: absurd is ERANGE");
	ok(cgroup_format_cpu_max(0.5, buf, 4) == -ENOBUFS, "cpu.max: small buffer is ENOBUFS");
}

static void test_io_max(void)
{
	char buf[96];
	ok(cgroup_format_io_max(8, 0, 1048576, 0, buf, sizeof(buf)) == 0, "io.max: formats");
	ok_str(buf, "8:0 rbps=1048576 wbps=max", "io.max: read limit only");
	cgroup_format_io_max(259, 0, 0, 2097152, buf, sizeof(buf));
	ok_str(buf, "259:0 rbps=max wbps=2097152", "io.max: write limit only");
}

static void test_ids(void)
{
	char long_id[CGROUP_ID_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ok(cgroup_id_valid("r-8f3a_1.x"), "id: letters digits - _ .");
	ok(!cgroup_id_valid(""), "id: empty refused");
	ok(!cgroup_id_valid(".."), "id: .. refused");
	ok(!cgroup_id_valid("a/b"), "id: slash refused");
	ok(!cgroup_id_valid("a b"), "id: space refused");
	ok(!cgroup_id_valid(long_id), "id: too long refused");
}

static void test_reason(void)
{
	char r[16] = "";
	cgroup_reason_add(r, sizeof(r), "one");
	cgroup_reason_add(r, sizeof(r), "two");
	ok_str(r, "one; two", "reason: joined with '; '");
	cgroup_reason_add(r, sizeof(r), "a long tail");
	ok(strlen(r) == sizeof(r) - 1 && strncmp(r, "one; two; a lon", 15) == 0, "reason: truncated, terminated");
	cgroup_reason_set(r, sizeof(r), "x%d", 1);
	ok_str(r, "x1", "reason: set replaces");
}

/* ---- against a fake tree of plain files ---- */

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *get(const char *dir, const char *name)
{
	static char text[256];
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return text;
}

static void test_policy(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->memory_bytes = 268435456;
	p->swap_bytes = 0;
	p->cpus = 0.5;
	p->pids = 64;
	p->io_read_bps = p->io_write_bps = 0;
}

static void test_enable(const char *tmp)
{
	char why[CG_NCTRL][CGROUP_WHY_MAX] = { { 0 } };
	const bool want[CG_NCTRL] = { true, true, true, true };
	int fd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);

	put(tmp, "cgroup.controllers", "cpu memory pids\n");
	put(tmp, "cgroup.subtree_control", "");
	ok(cgroup_enable_controllers(fd, tmp, want, why) == 0, "enable: returns 0");
	ok(!why[CG_MEMORY][0] && !why[CG_CPU][0] && !why[CG_PIDS][0], "enable: offered ones have no reason");
	ok(strstr(why[CG_IO], "io controller not offered") != NULL, "enable: io not offered is explained");
	/* A plain file keeps every write at offset 0: the last one, +pids, shows at its start. */
	ok(strncmp(get(tmp, "cgroup.subtree_control"), "+pids", 5) == 0, "enable: one write per controller");
	close(fd);
}

static void test_limits(const char *tmp)
{
	struct cgroup_leaf leaf = { .dirfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC) };
	char why[CG_NCTRL][CGROUP_WHY_MAX] = { { 0 } };
	struct error err = { 0 };
	struct policy p;

	test_policy(&p);
	snprintf(leaf.path, sizeof(leaf.path), "%s", tmp);
	leaf.enforced_memory = leaf.enforced_cpu = leaf.enforced_pids = true;
	snprintf(why[CG_IO], CGROUP_WHY_MAX, "io controller not offered");
	p.io_write_bps = 1 << 20;
	for (const char *const *f = (const char *const[]){ "memory.max", "memory.swap.max", "memory.oom.group",
							  "cpu.max", "pids.max", NULL };
	     *f; f++)
		put(tmp, *f, "");
	ok(cgroup_limits_apply(&leaf, &p, why, &err) == 0, "limits: applied");
	ok_str(get(tmp, "memory.max"), "268435456", "limits: memory.max in bytes");
	ok_str(get(tmp, "memory.swap.max"), "0", "limits: swap 0 by default");
	ok_str(get(tmp, "memory.oom.group"), "1", "limits: oom.group 1");
	ok_str(get(tmp, "cpu.max"), "50000 100000", "limits: cpu.max");
	ok_str(get(tmp, "pids.max"), "64", "limits: pids.max");
	ok(!leaf.enforced_io && strstr(leaf.reason, "io limit not enforced: io controller not offered"),
	   "limits: missing io controller is a reason, not an error");

	char pids_max[512];
	snprintf(pids_max, sizeof(pids_max), "%s/pids.max", tmp);
	unlink(pids_max);
	memset(&leaf.reason, 0, sizeof(leaf.reason));
	ok(cgroup_limits_apply(&leaf, &p, why, &err) == -ENOENT, "limits: a failed write is an error");
	ok(strstr(err.msg, "cannot write 64 to ") && strstr(err.msg, "/pids.max: No such file or directory"),
	   "limits: the error names value and path");
	if (strstr(err.msg, "cannot write 64") == NULL)
		printf("#   %s\n", err.msg);
	close(leaf.dirfd);
}

static void test_leaf_degraded(void)
{
	struct cgroup_host host = { .hybrid = true };
	struct cgroup_leaf leaf;
	struct cgroup_stats st;
	struct error err = { 0 };
	struct policy p;

	test_policy(&p);
	snprintf(host.reason, sizeof(host.reason), "hybrid cgroup layout");
	ok(cgroup_leaf_create(&leaf, &host, "r-1", &p, &err) == 0, "degraded: create succeeds");
	ok(leaf.dirfd == -1 && !leaf.path[0], "degraded: no leaf");
	ok(!leaf.enforced_memory && !leaf.enforced_cpu && !leaf.enforced_pids && !leaf.enforced_io,
	   "degraded: nothing claimed enforced");
	ok_str(leaf.reason, "no cgroup limits: hybrid cgroup layout", "degraded: reason from the probe");
	ok(cgroup_leaf_kill(&leaf) == -EBADF, "degraded: kill says there is no cgroup");
	ok(cgroup_stats_read(&leaf, &st) == -EBADF, "degraded: no stats");
	ok(cgroup_leaf_destroy(&leaf, &err) == 0, "degraded: destroy is a no-op");
	ok(cgroup_leaf_create(&leaf, &host, "../x", &p, &err) == -EINVAL && strstr(err.msg, "invalid sandbox id"),
	   "bad id refused");
}

static void test_set_parent(void)
{
	struct cgroup_host host = { .hybrid = true };
	struct error err = { 0 };

	ok(cgroup_host_set_parent(&host, "relative/dir", &err) == -EINVAL, "set_parent: relative refused");
	err.msg[0] = '\0';
	ok(cgroup_host_set_parent(&host, "/sys/fs/cgroup/a/../b", &err) == -EINVAL, "set_parent: '..' refused");
	err.msg[0] = '\0';
	ok(cgroup_host_set_parent(&host, "/sys/fs/cgroup/", &err) == -EINVAL, "set_parent: the root refused");
	ok(cgroup_host_set_parent(&host, "/my.slice", &err) == 0 && !host.parent_path[0] && !host.can_write_parent,
	   "set_parent: changes nothing without pure cgroup v2");
}

/* A parent that is a plain directory: mkdir works, reading the leaf's cgroup.controllers does
 * not, so create must fail and leave nothing behind. */
static void test_leaf_cleanup(const char *tmp)
{
	struct cgroup_host host = { .unified = true, .can_write_parent = true };
	struct cgroup_leaf leaf;
	struct error err = { 0 };
	struct policy p;
	char leafdir[512];

	test_policy(&p);
	snprintf(host.parent_path, sizeof(host.parent_path), "%s", tmp);
	snprintf(host.leaf_prefix, sizeof(host.leaf_prefix), "mlrun-");
	snprintf(leafdir, sizeof(leafdir), "%s/mlrun-r-2", tmp);
	ok(cgroup_leaf_create(&leaf, &host, "r-2", &p, &err) == -ENOENT, "cleanup: create fails on a non-cgroup");
	ok(strstr(err.msg, "mlrun-r-2/cgroup.controllers") != NULL, "cleanup: error names the leaf's file");
	ok(access(leafdir, F_OK) < 0 && errno == ENOENT, "cleanup: the leaf directory was removed");
	ok(leaf.dirfd == -1 && !leaf.path[0], "cleanup: leaf reset");
}

/* The state file names a leaf; only .../mlrun.slice/mlrun-<x>.scope/mlrun-<id> points the host at
 * that scope (a planted path elsewhere must not). */
static void test_use_scope(void)
{
	const char *m = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/mlrun.slice";
	struct cgroup_host h;
	char p[1024];
	memset(&h, 0, sizeof(h));
	h.unified = true;
	snprintf(p, sizeof(p), "%s/mlrun-r1.scope/mlrun-r1", m);
	ok(cgroup_host_use_scope(&h, "r1", p) == 0, "use_scope: a run's own scope");
	snprintf(p, sizeof(p), "%s/mlrun-r1.scope", m);
	ok_str(h.parent_path, p, "use_scope: parent is the scope");
	ok_str(h.leaf_prefix, "mlrun-", "use_scope: leaves are mlrun-<id>");
	snprintf(p, sizeof(p), "%s/mlrun-b-12ab.scope/mlrun-b-12ab-3", m);
	ok(cgroup_host_use_scope(&h, "b-12ab-3", p) == 0, "use_scope: a batch's scope");
	memset(&h, 0, sizeof(h));
	h.unified = true;
	snprintf(p, sizeof(p), "%s/mlrun-r1.scope/mlrun-r2", m);
	ok(cgroup_host_use_scope(&h, "r1", p) == -ENOENT, "use_scope: leaf of another id");
	ok(cgroup_host_use_scope(&h, "r1", "/sys/fs/cgroup/user.slice/mlrun-r1.scope/mlrun-r1") == -ENOENT,
	   "use_scope: not under mlrun.slice");
	ok(cgroup_host_use_scope(&h, "r1", "/sys/fs/cgroup/x/notmlrun.slice/mlrun-r1.scope/mlrun-r1") == -ENOENT,
	   "use_scope: a slice that only ends in mlrun.slice");
	ok(cgroup_host_use_scope(&h, "r1", "/sys/fs/cgroup/x/mlrun.slice/other.scope/mlrun-r1") == -ENOENT,
	   "use_scope: a scope not named mlrun-*.scope");
	ok(cgroup_host_use_scope(&h, "r1", "/sys/fs/cgroup/x/mlrun.slice/../mlrun.slice/mlrun-r1.scope/mlrun-r1") == -ENOENT,
	   "use_scope: '..' in the path");
	ok(cgroup_host_use_scope(&h, "r1", "/tmp/mlrun.slice/mlrun-r1.scope/mlrun-r1") == -ENOENT,
	   "use_scope: outside the cgroup mount");
	ok(h.parent_path[0] == '\0', "use_scope: a refused path leaves the host unchanged");
	h.unified = false;
	snprintf(p, sizeof(p), "%s/mlrun-r1.scope/mlrun-r1", m);
	ok(cgroup_host_use_scope(&h, "r1", p) == -ENOENT, "use_scope: not on a pure v2 host");
}

int main(void)
{
	char tmp[] = "/tmp/test_cgroup.XXXXXX";

	test_u64();
	test_flat_keys();
	test_io_stat();
	test_own_path();
	test_list_has();
	test_cpu_max();
	test_io_max();
	test_ids();
	test_reason();
	test_leaf_degraded();
	test_set_parent();
	test_use_scope();
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_enable(tmp);
	test_leaf_cleanup(tmp);
	test_limits(tmp);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", tmp);
	printf("1..%d\n", n_tests); /* TAP allows the plan last */
	return n_failed ? 1 : 0;
}
