/* isolation.c - what a process' isolation is, as it sees it (mlrun-oci exec's tests):
 *   isolation   one line each: "ns NAME INODE" for its 7 namespaces, "Seccomp N", "NoNewPrivs N",
 *               "CapEff HEX" (from /proc/self/status), "fds 0 1 2" (its open fds, but the
 *               one listing them), "uid U gid G", "cwd PATH". */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmd_isolation(void)
{
	static const char *const ns[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		if (stat(path, &st) == 0)
			printf("ns %s %lu\n", ns[i], (unsigned long)st.st_ino);
		else
			printf("ns %s ?\n", ns[i]);
	}
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8) || !strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "CapEff:", 7) ||
		    !strncmp(line, "CapPrm:", 7) || !strncmp(line, "CapBnd:", 7)) {
			char *colon = strchr(line, ':');
			*colon = ' ';
			char *v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			printf("%.*s %s", (int)(colon - line), line, v);
		}
	if (f)
		fclose(f);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	printf("fds");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			printf(" %s", de->d_name);
	printf("\n");
	if (d)
		closedir(d);
	char cwd[4096];
	printf("uid %u gid %u\ncwd %s\n", (unsigned)getuid(), (unsigned)getgid(), getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	return 0;
}

int probe_isolation(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "isolation"))
		return cmd_isolation();
	return -1;
}
