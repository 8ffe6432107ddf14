/* test_idmap.c - mlrun-oci's id ranges: which ranges reach id 0 of the parent namespace (read
 * from a uid_map as the kernel writes it), and config.json's uidMappings, gidMappings and
 * additionalGids as oci_spec_parse() takes them. TAP on stdout; exit 1 on any failure. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns/ns.h"
#include "runtime/oci_spec.h"

#include "tap.h"

static char map_path[] = "/tmp/mlrun-test-idmap.XXXXXX";

static void write_map(const char *text)
{
	FILE *f = fopen(map_path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(map_path);
		exit(1);
	}
}

static void test_reaches_root(void)
{
	/* the initial namespace: host 0 is id 0 */
	write_map("         0          0 4294967295\n");
	tap(ns_range_reaches_parent_root(map_path, 0, 1), NULL, "initial ns: id 0 reaches host 0");
	tap(ns_range_reaches_parent_root(map_path, 0, 65536), NULL, "initial ns: a range from 0 reaches host 0");
	tap(!ns_range_reaches_parent_root(map_path, 1, 65536), NULL, "initial ns: a range from 1 does not");
	tap(!ns_range_reaches_parent_root(map_path, 100000, 65536), NULL, "initial ns: 100000+65536 does not");
	/* rootless podman's namespace: its 0 is the user (999), 1.. its subordinate ids */
	write_map("         0        999          1\n         1     300000      65536\n");
	tap(!ns_range_reaches_parent_root(map_path, 0, 65537), NULL, "podman's ns: nothing reaches its parent's 0");
	/* a namespace whose map holds its parent's root somewhere (unshare --map-root-user by root) */
	write_map("         0       1000          1\n      5000          0          1\n");
	tap(ns_range_reaches_parent_root(map_path, 4000, 2000), NULL, "a range over the id mapped to parent 0 reaches it");
	tap(!ns_range_reaches_parent_root(map_path, 0, 5000), NULL, "a range ending before it does not");
	tap(!ns_range_reaches_parent_root(map_path, 5001, 10), NULL, "a range starting after it does not");
	unlink(map_path);
	tap(ns_range_reaches_parent_root(map_path, 1, 1), NULL, "an unreadable map: refused (cannot tell)");
}

#define CONFIG_FMT                                                                                      \
	"{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"                                      \
	" \"process\": {\"args\": [\"true\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0%s}},"     \
	" \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}]%s}}"

static int parse(const char *user_extra, const char *linux_extra, struct oci_spec *s, struct error *err)
{
	char text[8192];
	snprintf(text, sizeof(text), CONFIG_FMT, user_extra, linux_extra);
	memset(err, 0, sizeof(*err));
	return oci_spec_parse(text, strlen(text), s, err);
}

static void test_parse(void)
{
	struct oci_spec s;
	struct error err;
	int r = parse(", \"additionalGids\": [5, 1001]",
		      ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 999, \"size\": 1},"
		      " {\"containerID\": 1, \"hostID\": 100000, \"size\": 65536}],"
		      " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 2000}]",
		      &s, &err);
	if (tap(r == 0, err.msg, "two uid ranges, one gid range and two additional gids parse")) {
		tap(s.n_uid_map == 2 && s.uid_map[1].container == 1 && s.uid_map[1].host == 100000 &&
			    s.uid_map[1].size == 65536,
		    NULL, "the second uid range is kept as given");
		tap(s.n_gid_map == 1 && s.n_groups == 2 && s.groups[1] == 1001, NULL, "the gid range and the groups");
		oci_spec_free(&s);
	}
	r = parse("", ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}]", &s, &err);
	tap(r < 0 && strstr(err.msg, "linux.uidMappings[0]: bad range"), err.msg, "a range past the last id is refused");
	if (r == 0)
		oci_spec_free(&s);
	r = parse("", ", \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}, {\"containerID\": 1, \"size\": 1}]",
		  &s, &err);
	tap(r < 0 && strstr(err.msg, "linux.gidMappings[1]"), err.msg, "a range without hostID is refused naming it");
	if (r == 0)
		oci_spec_free(&s);
	r = parse(", \"additionalGids\": [-1]", "", &s, &err);
	tap(r < 0 && strstr(err.msg, "process.user.additionalGids[0]"), err.msg, "a negative gid is refused naming it");
	if (r == 0)
		oci_spec_free(&s);
}

int main(void)
{
	int fd = mkstemp(map_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_reaches_root();
	test_parse();
	return tap_done();
}
