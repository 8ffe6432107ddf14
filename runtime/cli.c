/* cli.c - `mlrun [run] [OPTIONS] [--] PROGRAM [ARG...]`.
 *
 * Flags that correspond to policy keys are not interpreted here: they are recorded as
 * (section, key, value) and go through policy_set() like the file and the environment. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

enum {
	OPT_MEMORY = 1000, OPT_SWAP, OPT_CPUS, OPT_PIDS, OPT_TIMEOUT, OPT_CPU_TIME, OPT_TMP_SIZE,
	OPT_FILE_SIZE, OPT_NET, OPT_RO_BIND, OPT_BIND, OPT_WORKDIR, OPT_ENV, OPT_KEEP_ENV, OPT_REPORT,
	OPT_REPORT_FD, OPT_NAME, OPT_SUMMARY, OPT_SECCOMP, OPT_HOSTNAME, OPT_CGROUP_PARENT,
	OPT_SHM_SIZE, OPT_LANDLOCK,
};

/* Flags that are policy keys. */
static const struct {
	int opt;
	const char *flag, *section, *key;
} policy_flags[] = {
	{ OPT_MEMORY, "--memory", "limits", "memory" },
	{ OPT_SWAP, "--swap", "limits", "swap" },
	{ OPT_CPUS, "--cpus", "limits", "cpus" },
	{ OPT_PIDS, "--pids", "limits", "pids" },
	{ OPT_TIMEOUT, "--timeout", "limits", "timeout" },
	{ OPT_CPU_TIME, "--cpu-time", "limits", "cpu_time" },
	{ OPT_TMP_SIZE, "--tmp-size", "limits", "tmp_size" },
	{ OPT_SHM_SIZE, "--shm-size", "limits", "shm_size" },
	{ OPT_FILE_SIZE, "--file-size", "limits", "file_size" },
	{ OPT_NET, "--net", "network", "net" },
	{ OPT_RO_BIND, "--ro-bind", "filesystem", "ro_bind" },
	{ OPT_BIND, "--bind", "filesystem", "bind" },
	{ OPT_WORKDIR, "--workdir", "filesystem", "workdir" },
	{ OPT_KEEP_ENV, "--keep-env", "env", "keep" },
	{ OPT_SECCOMP, "--seccomp", "security", "seccomp" },
	{ OPT_LANDLOCK, "--landlock", "security", "landlock" },
	{ OPT_HOSTNAME, "--hostname", "sandbox", "hostname" },
};

static const struct option long_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "swap", required_argument, NULL, OPT_SWAP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "cpu-time", required_argument, NULL, OPT_CPU_TIME },
	{ "tmp-size", required_argument, NULL, OPT_TMP_SIZE },
	{ "shm-size", required_argument, NULL, OPT_SHM_SIZE },
	{ "file-size", required_argument, NULL, OPT_FILE_SIZE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "ro-bind", required_argument, NULL, OPT_RO_BIND },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "keep-env", required_argument, NULL, OPT_KEEP_ENV },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "landlock", required_argument, NULL, OPT_LANDLOCK },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "report-fd", required_argument, NULL, OPT_REPORT_FD },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("usage: mlrun [run] [OPTIONS] [--] PROGRAM [ARG...]\n"
	      "       mlrun check POLICY...\n"
	      "       mlrun features [--json]\n"
	      "       mlrun ps [--json] | stats ID [--json] | top | kill ID [SIGNAL] | gc\n"
	      "       mlrun batch [--jobs N] [--policy P] [--report-dir D] [--json] FILE|-\n"
	      "       mlrun profile [--interval 50ms] [--format csv|json] [--output F] [--plot F.svg] [OPTIONS] -- PROGRAM\n"
	      "       mlrun scan FILE.py [--json]\n"
	      "       mlrun audit [--policy P] [--json] [RUN OPTIONS...]\n"
	      "       mlrun --version | --help\n"
	      "\n"
	      "Run options (each also settable in the policy; the flag wins):\n"
	      "  -p, --policy FILE|NAME   INI policy (strict, default, permissive or a path)\n"
	      "  --memory SIZE            memory limit (K/M/G, powers of 1024)\n"
	      "  --swap SIZE              swap limit (default 0)\n"
	      "  --cpus N                 CPU bandwidth in cores (fractional)\n"
	      "  --pids N                 process/thread limit\n"
	      "  --timeout DURATION       wall-clock limit (1500ms, 10s, 2m)\n"
	      "  --cpu-time DURATION      CPU-time limit (user+sys)\n"
	      "  --tmp-size SIZE          size of the tmpfs on /tmp\n"
	      "  --shm-size SIZE          size of the tmpfs on /dev/shm\n"
	      "  --file-size SIZE         largest file the program may write (RLIMIT_FSIZE)\n"
	      "  --net none|loopback|host network namespace (host only if the policy allows)\n"
	      "  --ro-bind SRC[:DST]      expose a host path read-only\n"
	      "  --bind SRC[:DST]         expose a host path read-write\n"
	      "  --workdir ro|rw|none     how the current directory is exposed\n"
	      "  --env NAME=VALUE         set a variable in the sandbox\n"
	      "  --keep-env NAME          keep the caller's value of NAME\n"
	      "  --seccomp PROFILE        strict|default|off|FILE\n"
	      "  --hostname NAME          the sandbox's hostname\n"
	      "  --report FILE            write the JSON report there (- = stderr)\n"
	      "  --report-fd N            write the JSON report to fd N\n"
	      "  --name ID                sandbox id\n"
	      "  --cgroup-parent DIR      create the run's cgroup under DIR\n"
	      "  -v, --verbose            trace every setup step with its duration\n"
	      "  --summary                print a short table of the report at the end\n"
	      "  -q, --quiet              no messages except fatal errors\n"
	      "\n"
	      "Exit status: the program's; 128+N if killed by signal N; 124 timeout; 125 mlrun failed;\n"
	      "126 program not executable; 127 program not found.\n",
	      f);
}

static int add_set(struct run_options *o, const char *flag, const char *section, const char *key, const char *value,
		   struct error *err)
{
	if (o->n_sets >= RUN_MAX_SETS)
		return error_set(err, E2BIG, "%s: too many options (at most %d)", flag, RUN_MAX_SETS);
	o->sets[o->n_sets++] = (struct run_set){ flag, section, key, value };
	return 0;
}

static int parse_fd(const char *s, int *fd)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1 << 20)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

int cli_parse_run(int argc, char **argv, struct run_options *o, struct error *err)
{
	int c, r, li;

	memset(o, 0, sizeof(*o));
	o->report_fd = -1;
	opterr = 0;
	optind = 0; /* glibc: 0 also resets the scan inside a grouped option ("-qv") an earlier parse left */
	/* '+': stop at PROGRAM, so its own options are left alone. */
	while ((li = -1, c = getopt_long(argc, argv, "+:p:vq", long_opts, &li)) != -1) {
		/* `--memory -- true`: getopt takes "--" as the value; the caller forgot one. */
		if (optarg && strcmp(optarg, "--") == 0 && c != ':' && c != '?')
			return error_set(err, 0, "option '%s%s' needs a value before '--' (see mlrun --help)",
					 li >= 0 ? "--" : "-", li >= 0 ? long_opts[li].name : (char[]){ (char)c, 0 });
		switch (c) {
		case 'p':
			o->policy = optarg;
			continue;
		case 'v':
			o->verbose = true;
			continue;
		case 'q':
			o->quiet = true;
			continue;
		case OPT_SUMMARY:
			o->summary = true;
			continue;
		case OPT_REPORT:
			o->report_path = optarg;
			continue;
		case OPT_REPORT_FD:
			if (parse_fd(optarg, &o->report_fd) < 0)
				return error_set(err, 0, "--report-fd: '%s' is not a file descriptor", optarg);
			continue;
		case OPT_NAME:
			o->name = optarg;
			continue;
		case OPT_CGROUP_PARENT:
			o->cgroup_parent = optarg;
			continue;
		case OPT_ENV: {
			/* NAME=VALUE is the [env] section's "NAME = VALUE". */
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return error_set(err, 0, "--env: expected NAME=VALUE, got '%s'", optarg);
			*eq = '\0';
			if ((r = add_set(o, "--env", "env", optarg, eq + 1, err)) < 0)
				return r;
			continue;
		}
		case ':':
			return error_set(err, 0, "option '%s' needs a value (see mlrun --help)", argv[optind - 1]);
		case '?':
			if (optopt)
				return error_set(err, 0, "unknown option '-%c' (see mlrun --help)", optopt);
			return error_set(err, 0, "unknown option '%s' (see mlrun --help)", argv[optind - 1]);
		case OPT_KEEP_ENV:
			/* One NAME per flag, as --help says (the policy's keep = takes a list). */
			if (optarg[strcspn(optarg, ", \t")])
				return error_set(err, 0, "--keep-env: '%s' is not one variable name (repeat --keep-env "
							 "for each NAME)", optarg);
			break;
		default:
			break;
		}
		for (size_t i = 0; i < sizeof(policy_flags) / sizeof(policy_flags[0]); i++)
			if (policy_flags[i].opt == c) {
				if ((r = add_set(o, policy_flags[i].flag, policy_flags[i].section, policy_flags[i].key, optarg,
						 err)) < 0)
					return r;
				break;
			}
	}
	if (optind >= argc)
		return error_set(err, 0, "no program given (usage: mlrun [OPTIONS] [--] PROGRAM [ARG...])");
	o->argv = argv + optind;
	o->argc = argc - optind;
	return 0;
}
