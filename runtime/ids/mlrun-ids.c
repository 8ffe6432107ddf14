/* mlrun-ids UID GID - whether an account on this host has UID or a group has GID, asked through
 * the host's NSS (files, systemd's dynamic users, LDAP, SSSD: whatever nsswitch.conf names).
 * mlrun is linked statically and glibc's NSS cannot load its modules into it, so as root it runs
 * this small dynamically linked program (or, without it, getent twice): docs/performance.md.
 *
 * Exit status: 0 neither is taken; 3 the uid is an account's, 4 the gid is a group's (the name
 * on stdout); 1 a lookup failed (an NSS source answered with an error: the caller refuses the
 * run rather than guess; the reason on stdout); 2 usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && !*end && !errno && *v < 4294967295UL ? 0 : -1;
}

/* The verdict of one getpwuid_r/getgrgid_r: -1 when nothing has the id, else the exit status.
 * "Not found" is 0, ENOENT, ESRCH, EBADF or EPERM by getpwuid_r(3); ERANGE means the entry is
 * larger than the buffer, so it exists. */
static int verdict(int r, const char *name, int taken, const char *call, unsigned long id)
{
	if (name || r == ERANGE) {
		printf("%s\n", name ? name : "?");
		return taken;
	}
	if (r != 0 && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM) {
		printf("%s(%lu): %s\n", call, id, strerror(r));
		return 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long uid, gid;
	if (argc != 3 || parse_id(argv[1], &uid) < 0 || parse_id(argv[2], &gid) < 0) {
		fputs("usage: mlrun-ids UID GID\n", stderr);
		return 2;
	}
	char buf[16384];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int r = getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &pwp);
	int v = verdict(r, pwp ? pw.pw_name : NULL, 3, "getpwuid", uid);
	if (v < 0) {
		r = getgrgid_r((gid_t)gid, &gr, buf, sizeof(buf), &grp);
		v = verdict(r, grp ? gr.gr_name : NULL, 4, "getgrgid", gid);
	}
	return fflush(stdout) == 0 ? (v < 0 ? 0 : v) : 1;
}
