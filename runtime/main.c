/* main.c - subcommand dispatch. The only place that chooses mlrun's exit status for its own
 * failures (125); every error message starts with "mlrun: ". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "../tools/audit.h"
#include "../tools/batch.h"
#include "exitcodes.h"
#include "../tools/features.h"
#include "../tools/monitor.h"
#include "../tools/oci.h"
#include "../tools/profile.h"
#include "../tools/scan.h"
#include "run.h"

/* If mlrun is started with fd 0, 1 or 2 closed, the pipes it creates must not land there
 * and be mistaken for the program's standard streams. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (n >= 0 && n != fd)
				close(n);
		}
}

/* A setuid/setgid or file-capability start, or real ids differing from the effective ones,
 * means a less-trusted caller borrowing more rights than its own: every path, policy, uid
 * and environment variable it passes would be honoured with those rights (read /etc/shadow
 * through a bind, write a report over any file). mlrun trusts its caller's intent, so it
 * only runs as the caller. AT_SECURE is the kernel's own verdict on the exec. */
static bool started_with_borrowed_rights(void)
{
	return getauxval(AT_SECURE) != 0 || getuid() != geteuid() || getgid() != getegid();
}

static int check_main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "mlrun: check: no policy file given (usage: mlrun check POLICY...)\n");
		return EXIT_MLRUN_ERROR;
	}
	int problems = 0;
	for (int i = 1; i < argc; i++) {
		int n = policy_check_file(argv[i], stdout);
		if (n < 0) {
			printf("%s: cannot read: %s\n", argv[i], strerror(-n));
			problems++;
		} else
			problems += n;
	}
	return problems ? 1 : 0;
}

/* Started as mlrun-oci (the link `make install` creates): the OCI runtime's command line. */
static bool started_as_oci(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;
	base = base ? base + 1 : argv0;
	return base && strncmp(base, "mlrun-oci", 9) == 0;
}

int main(int argc, char **argv)
{
	ensure_std_fds();
	if (started_with_borrowed_rights()) {
		fprintf(stderr, "mlrun: refusing to run setuid/setgid or with real ids (uid %u, gid %u) other than "
				"the effective ones (uid %u, gid %u): run mlrun as the user it acts for\n",
			(unsigned)getuid(), (unsigned)getgid(), (unsigned)geteuid(), (unsigned)getegid());
		return EXIT_MLRUN_ERROR;
	}
	if (argc >= 1 && started_as_oci(argv[0]))
		return oci_main(argc, argv);
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("mlrun %s\n", MLRUN_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cli_usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "features") == 0)
		return features_main(argc - 1, argv + 1);
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} commands[] = {
		{ "batch", batch_main },
		{ "ps", monitor_ps },	{ "stats", monitor_stats }, { "top", monitor_top },
		{ "kill", monitor_kill }, { "gc", monitor_gc }, { "audit", audit_main },   { "scan", scan_main },
		{ "profile", profile_main },
	};
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "run") == 0) {
		argc--;
		argv++;
	}

	struct run_options o;
	struct error err = { 0 };
	if (cli_parse_run(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return EXIT_MLRUN_ERROR;
	}
	return run_main(&o);
}
