/* test_policy.c - every policy key through policy_set(), refused values and their messages,
 * MLRUN_* variables, cross-key checks. TAP on stdout; exit 1 on any failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#include "expect.h"
#include "tap.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)
#define UNL POLICY_UNLIMITED



static int set(struct policy *p, const char *section, const char *key, const char *value)
{
	return policy_set(p, section, key, value, NULL);
}

static const char *env_value(const struct policy *p, const char *name, bool *found)
{
	*found = false;
	for (size_t i = 0; i < p->n_env; i++) {
		if (strcmp(p->env[i].name, name) == 0) {
			*found = true;
			return p->env[i].value;
		}
	}
	return NULL;
}

static void test_defaults(void)
{
	struct policy p;
	bool found;

	policy_init(&p);
	tap(strcmp(p.name, "builtin") == 0 && p.path == NULL, p.name, "defaults: name builtin, no path");
	tap(strcmp(p.hostname, "mlrun") == 0 && strcmp(p.interpreter_py, "/usr/bin/python3") == 0 &&
		    strcmp(p.interpreter_js, "/usr/bin/node") == 0 && p.uid == 60000 && p.gid == 60000 &&
		    p.proc == PROC_CONTAINER && !p.hostname_required,
	    p.hostname, "defaults: [sandbox]");
	tap(p.memory_bytes == GiB && p.swap_bytes == 0 && p.cpus == 1.0 && p.pids == 256 &&
		    p.timeout_ms == 60000 && p.cpu_time_ms == 60000 && p.tmp_bytes == 256 * MiB &&
		    p.shm_bytes == 64 * MiB && p.file_size_bytes == GiB && p.open_files == 1024 &&
		    p.io_read_bps == UNL && p.io_write_bps == UNL,
	    "a [limits] value differs", "defaults: [limits]");
	tap(p.workdir == WORKDIR_RO && p.n_binds == 0 && p.net == NET_NONE && !p.allow_host,
	    "a value differs", "defaults: [filesystem] and [network]");
	tap(strcmp(p.seccomp, "default") == 0 && p.n_allow_syscalls == 0 && p.n_deny_syscalls == 0 &&
		    p.on_violation == VIOLATION_ERRNO && p.landlock && p.sample_interval_ms == 100,
	    p.seccomp, "defaults: [security] and [monitor]");
	tap(env_value(&p, "TERM", &found) == NULL && found && env_value(&p, "LANG", &found) == NULL &&
		    found && p.n_env == 2,
	    "env differs", "defaults: [env] keeps TERM and LANG");
	tap(policy_validate(&p, NULL) == 0, "invalid", "defaults validate");
	policy_free(&p);
	policy_free(&p);
	tap(p.name == NULL && p.n_env == 0, "fields left", "policy_free twice is safe and zeroes");
}

static void test_set_each_key(void)
{
	struct policy p;

	policy_init(&p);
	tap(set(&p, "sandbox", "hostname", "box-1.local") == 0 && strcmp(p.hostname, "box-1.local") == 0,
	    p.hostname, "set [sandbox] hostname");
	tap(set(&p, "sandbox", "interpreter.py", "/opt/py/bin/python3") == 0 &&
		    strcmp(p.interpreter_py, "/opt/py/bin/python3") == 0,
	    p.interpreter_py, "set [sandbox] interpreter.py");
	tap(set(&p, "sandbox", "interpreter.js", "/usr/local/bin/node") == 0 &&
		    strcmp(p.interpreter_js, "/usr/local/bin/node") == 0,
	    p.interpreter_js, "set [sandbox] interpreter.js");
	tap(set(&p, "sandbox", "uid", "1000") == 0 && p.uid == 1000, NULL, "set [sandbox] uid");
	tap(set(&p, "sandbox", "gid", "2147483646") == 0 && p.gid == 2147483646U, NULL,
	    "set [sandbox] gid (largest)");
	tap(set(&p, "limits", "memory", "512M") == 0 && p.memory_bytes == 512 * MiB, NULL,
	    "set [limits] memory");
	tap(set(&p, "limits", "memory", "unlimited") == 0 && p.memory_bytes == UNL, NULL,
	    "set [limits] memory unlimited");
	tap(set(&p, "limits", "swap", "128M") == 0 && p.swap_bytes == 128 * MiB, NULL,
	    "set [limits] swap");
	tap(set(&p, "limits", "cpus", "0.25") == 0 && p.cpus == 0.25, NULL, "set [limits] cpus");
	tap(set(&p, "limits", "cpus", "unlimited") == 0 && p.cpus == 0.0, NULL,
	    "set [limits] cpus unlimited is 0.0");
	tap(set(&p, "limits", "pids", "unlimited") == 0 && p.pids == UNL, NULL, "set [limits] pids");
	tap(set(&p, "limits", "timeout", "1.5s") == 0 && p.timeout_ms == 1500, NULL,
	    "set [limits] timeout");
	tap(set(&p, "limits", "timeout", "0") < 0 && set(&p, "limits", "cpu_time", "0s") < 0 && p.timeout_ms == 1500,
	    NULL, "set [limits] timeout/cpu_time 0 is refused (unlimited is written unlimited)");
	tap(set(&p, "limits", "cpu_time", "2m") == 0 && p.cpu_time_ms == 120000, NULL,
	    "set [limits] cpu_time");
	tap(set(&p, "limits", "tmp_size", "32M") == 0 && p.tmp_bytes == 32 * MiB, NULL,
	    "set [limits] tmp_size");
	tap(set(&p, "limits", "shm_size", "16MiB") == 0 && p.shm_bytes == 16 * MiB, NULL,
	    "set [limits] shm_size");
	tap(set(&p, "limits", "file_size", "0") == 0 && p.file_size_bytes == 0, NULL,
	    "set [limits] file_size 0 (no file writes)");
	tap(set(&p, "limits", "open_files", "64") == 0 && p.open_files == 64, NULL,
	    "set [limits] open_files");
	tap(set(&p, "limits", "io_read_bps", "10M") == 0 && p.io_read_bps == 10 * MiB, NULL,
	    "set [limits] io_read_bps");
	tap(set(&p, "limits", "io_write_bps", "1M") == 0 && p.io_write_bps == MiB &&
		    set(&p, "limits", "io_write_bps", "0") < 0 && p.io_write_bps == MiB &&
		    set(&p, "limits", "io_write_bps", "unlimited") == 0 && p.io_write_bps == UNL,
	    NULL, "set [limits] io_write_bps: 0 is refused, unlimited is no limit");
	tap(set(&p, "filesystem", "workdir", "rw") == 0 && p.workdir == WORKDIR_RW &&
		    set(&p, "filesystem", "workdir", "none") == 0 && p.workdir == WORKDIR_NONE,
	    NULL, "set [filesystem] workdir");
	tap(set(&p, "sandbox", "proc", "fresh") == 0 && p.proc == PROC_FRESH &&
		    set(&p, "sandbox", "proc", "none") == 0 && p.proc == PROC_NONE &&
		    set(&p, "sandbox", "proc", "container") == 0 && p.proc == PROC_CONTAINER &&
		    strcmp(policy_proc_name(PROC_FRESH), "fresh") == 0 &&
		    strcmp(policy_proc_name((enum proc_mode)42), "?") == 0,
	    NULL, "set [sandbox] proc");
	tap(set(&p, "sandbox", "hostname_required", "true") == 0 && p.hostname_required &&
		    set(&p, "sandbox", "hostname_required", "no") == 0 && !p.hostname_required &&
		    policy_hostname_valid("ci-job.example") && !policy_hostname_valid("ci_job") &&
		    !policy_hostname_valid("-x") && !policy_hostname_valid(""),
	    NULL, "set [sandbox] hostname_required; policy_hostname_valid");
	tap(set(&p, "network", "net", "loopback") == 0 && p.net == NET_LOOPBACK, NULL,
	    "set [network] net");
	tap(set(&p, "network", "allow_host", "yes") == 0 && p.allow_host, NULL,
	    "set [network] allow_host");
	tap(set(&p, "security", "seccomp", "strict") == 0 && strcmp(p.seccomp, "strict") == 0 &&
		    set(&p, "security", "seccomp", "/etc/mlrun/ml.json") == 0 &&
		    strcmp(p.seccomp, "/etc/mlrun/ml.json") == 0,
	    p.seccomp, "set [security] seccomp (name and profile path)");
	tap(set(&p, "security", "on_violation", "kill") == 0 && p.on_violation == VIOLATION_KILL &&
		    set(&p, "security", "on_violation", "log") == 0 && p.on_violation == VIOLATION_LOG,
	    NULL, "set [security] on_violation");
	tap(set(&p, "security", "landlock", "off") == 0 && !p.landlock, NULL, "set [security] landlock");
	tap(set(&p, "monitor", "interval", "250ms") == 0 && p.sample_interval_ms == 250, NULL,
	    "set [monitor] interval");
	tap(strcmp(policy_net_name(p.net), "loopback") == 0 &&
		    strcmp(policy_workdir_name(p.workdir), "none") == 0 &&
		    strcmp(policy_on_violation_name(p.on_violation), "log") == 0 &&
		    strcmp(policy_net_name((enum net_mode)42), "?") == 0,
	    NULL, "mode names for reports");
	policy_free(&p);
}

static void test_lists(void)
{
	struct policy p;
	bool found;

	policy_init(&p);
	tap(set(&p, "security", "allow_syscalls", "ptrace mount,kexec_load , ptrace") == 0 &&
		    set(&p, "security", "allow_syscalls", "io_uring_setup") == 0 &&
		    p.n_allow_syscalls == 4 && strcmp(p.allow_syscalls[0], "ptrace") == 0 &&
		    strcmp(p.allow_syscalls[3], "io_uring_setup") == 0,
	    NULL, "allow_syscalls: comma/space separated, appended, deduplicated");
	tap(set(&p, "security", "deny_syscalls", "bpf, perf_event_open") == 0 && p.n_deny_syscalls == 2,
	    NULL, "deny_syscalls appends");
	tap(set(&p, "security", "allow_syscalls", "") == 0 && p.n_allow_syscalls == 4, NULL,
	    "an empty syscall list adds nothing");
	tap(set(&p, "security", "allow_syscalls", "chroot, Bad") < 0 && p.n_allow_syscalls == 4, NULL,
	    "a bad name rejects the whole list");

	tap(set(&p, "filesystem", "ro_bind", "/opt/models") == 0 && p.n_binds == 1 &&
		    strcmp(p.binds[0].src, "/opt/models") == 0 &&
		    strcmp(p.binds[0].dst, "/opt/models") == 0 && !p.binds[0].rw,
	    NULL, "ro_bind SRC: DST defaults to SRC");
	tap(set(&p, "filesystem", "bind", "data://mnt/data/") == 0 && p.n_binds == 2 &&
		    strcmp(p.binds[1].src, "data") == 0 && strcmp(p.binds[1].dst, "/mnt/data") == 0 &&
		    p.binds[1].rw,
	    p.n_binds > 1 ? p.binds[1].dst : NULL, "bind SRC:DST with a relative SRC, DST normalized");
	tap(set(&p, "filesystem", "bind", "/opt/models") == 0 && p.n_binds == 2 && p.binds[0].rw,
	    NULL, "a later bind onto the same DST replaces the earlier one");
	tap(set(&p, "filesystem", "ro_bind", "./cache") == 0 && p.n_binds == 3 &&
		    strcmp(p.binds[2].src, "./cache") == 0 && p.binds[2].dst == NULL,
	    NULL, "ro_bind of a relative SRC alone: DST left to the runtime (NULL)");
	tap(set(&p, "filesystem", "bind", "./cache") == 0 && p.n_binds == 3 && p.binds[2].rw, NULL,
	    "the same relative SRC again replaces it");

	tap(set(&p, "env", "FOO", "bar=baz") == 0 &&
		    strcmp(env_value(&p, "FOO", &found), "bar=baz") == 0,
	    NULL, "[env] NAME = VALUE sets");
	tap(set(&p, "env", "FOO", "") == 0 && strcmp(env_value(&p, "FOO", &found), "") == 0, NULL,
	    "[env] a second value replaces the first, empty allowed");
	tap(set(&p, "env", "keep", "HOME, FOO,TZ") == 0 && env_value(&p, "FOO", &found) == NULL &&
		    found && env_value(&p, "TZ", &found) == NULL && found && p.n_env == 5,
	    NULL, "[env] keep appends kept names; last wins over a set value");
	tap(set(&p, "env", "keep", "TERM") == 0 && p.n_env == 5, NULL, "[env] keep twice adds nothing");
	policy_free(&p);
}

static const struct {
	const char *section, *key, *value, *want;
} bad_values[] = {
	{ "sandbox", "hostname", "-bad", "bad hostname '-bad' for [sandbox] hostname" },
	{ "sandbox", "hostname", "a b", "bad hostname 'a b' for [sandbox] hostname" },
	{ "sandbox", "interpreter.py", "python3", "bad path 'python3' for [sandbox] interpreter.py" },
	{ "sandbox", "interpreter.js", "node", "bad path 'node' for [sandbox] interpreter.js" },
	{ "sandbox", "uid", "0", "bad id '0' for [sandbox] uid" },
	{ "sandbox", "uid", "root", "bad id 'root' for [sandbox] uid" },
	{ "sandbox", "gid", "4294967295", "bad id '4294967295' for [sandbox] gid" },
	{ "sandbox", "gid", "42", "bad id '42' for [sandbox] gid (expected an unprivileged id" },
	{ "sandbox", "uid", "999", "bad id '999' for [sandbox] uid" },
	{ "sandbox", "uid", "65534", "bad id '65534' for [sandbox] uid" },
	{ "sandbox", "gid", "65535", "bad id '65535' for [sandbox] gid" },
	{ "sandbox", "uid", "2147483647", "bad id '2147483647' for [sandbox] uid" },
	{ "limits", "memory", "12Q", "bad size '12Q' for [limits] memory (expected" },
	{ "limits", "memory", "0", "bad size '0' for [limits] memory (0 is not allowed" },
	{ "limits", "memory", "99999999T", "size '99999999T' is out of range for [limits] memory" },
	{ "limits", "swap", "-1", "bad size '-1' for [limits] swap" },
	{ "limits", "cpus", "fast", "bad cpus 'fast' for [limits] cpus" },
	{ "limits", "cpus", "0", "cpus '0' is out of range for [limits] cpus" },
	{ "limits", "pids", "-5", "bad number '-5' for [limits] pids" },
	{ "limits", "pids", "0", "bad number '0' for [limits] pids" },
	{ "limits", "timeout", "10 years", "bad duration '10 years' for [limits] timeout" },
	{ "limits", "cpu_time", "-1s", "bad duration '-1s' for [limits] cpu_time" },
	{ "limits", "tmp_size", "0", "bad size '0' for [limits] tmp_size" },
	{ "limits", "shm_size", "1X", "bad size '1X' for [limits] shm_size" },
	{ "limits", "file_size", "big", "bad size 'big' for [limits] file_size" },
	{ "limits", "open_files", "unlimited", "bad number 'unlimited' for [limits] open_files" },
	{ "limits", "io_read_bps", "fast", "bad size 'fast' for [limits] io_read_bps" },
	{ "limits", "io_write_bps", "-1", "bad size '-1' for [limits] io_write_bps" },
	{ "filesystem", "workdir", "rwx", "bad value 'rwx' for [filesystem] workdir (expected none, ro or rw)" },
	{ "sandbox", "proc", "host", "bad value 'host' for [sandbox] proc (expected fresh, container or none)" },
	{ "filesystem", "bind", "/a:b", "bad bind '/a:b' for [filesystem] bind (DST must be an absolute" },
	{ "filesystem", "bind", "/a:/x/../etc", "(DST must not contain '..')" },
	{ "filesystem", "bind", ":/x", "bad bind ':/x' for [filesystem] bind (SRC is empty" },
	{ "filesystem", "ro_bind", "/srv:/", "(cannot bind over the sandbox's /)" },
	{ "filesystem", "ro_bind", "//", "bad bind '//' for [filesystem] ro_bind (cannot bind over" },
	{ "filesystem", "ro_bind", "/srv/../etc", "(DST must not contain '..')" },
	{ "network", "net", "wifi", "bad value 'wifi' for [network] net (expected none, loopback or host)" },
	{ "network", "allow_host", "maybe", "bad boolean 'maybe' for [network] allow_host" },
	{ "security", "seccomp", "lenient", "bad value 'lenient' for [security] seccomp" },
	{ "security", "seccomp", "profiles/ml.json", "bad value 'profiles/ml.json' for [security] seccomp" },
	{ "security", "allow_syscalls", "ptrace, Open", "bad syscall name 'Open' for [security] allow_syscalls" },
	{ "security", "deny_syscalls", "a-b", "bad syscall name 'a-b' for [security] deny_syscalls" },
	{ "security", "on_violation", "panic", "bad value 'panic' for [security] on_violation (expected errno, kill or log)" },
	{ "security", "landlock", "2", "bad boolean '2' for [security] landlock" },
	{ "monitor", "interval", "0", "bad duration '0' for [monitor] interval" },
	{ "monitor", "interval", "unlimited", "bad duration 'unlimited' for [monitor] interval" },
	{ "env", "1BAD", "x", "bad variable name '1BAD' in [env]" },
	{ "env", "keep", "TERM, 9X", "bad variable name '9X' for [env] keep" },
	{ "limitz", "memory", "1G", "unknown section [limitz]" },
	{ "limits", "memroy", "1G", "unknown key 'memroy' in [limits]" },
	{ "network", "memory", "1G", "unknown key 'memory' in [network]" },
};

static void test_bad_values(void)
{
	struct policy p;

	policy_init(&p);
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		struct error err = { 0 };
		int rc = policy_set(&p, bad_values[i].section, bad_values[i].key, bad_values[i].value, &err);
		char desc[256];

		snprintf(desc, sizeof(desc), "[%s] %s = '%s' is refused, naming key and value",
			 bad_values[i].section, bad_values[i].key, bad_values[i].value);
		expect_err(rc, &err, bad_values[i].want, false, desc);
	}
	tap(p.memory_bytes == GiB && p.uid == 60000 && strcmp(p.hostname, "mlrun") == 0 &&
		    p.n_binds == 0 && p.n_allow_syscalls == 0,
	    NULL, "refused values leave the policy unchanged");
	policy_free(&p);
}

static void test_env(void)
{
	char *all[] = { "MLRUN_MEMORY=100M",  "MLRUN_SWAP=10M",	    "MLRUN_CPUS=1.5",
			"MLRUN_PIDS=32",      "MLRUN_TIMEOUT=3s",   "MLRUN_CPU_TIME=2s",
			"MLRUN_TMP_SIZE=8M",  "MLRUN_FILE_SIZE=1M", "MLRUN_NET=loopback",
			"MLRUN_WORKDIR=rw",   "MLRUN_SECCOMP=off",  "MLRUN_HOSTNAME=envbox",
			"MLRUN_MEMORY_X=1K",  "XMLRUN_PIDS=1",	    NULL };
	char *bad[] = { "HOME=/root", "MLRUN_MEMORY=lots", NULL };
	char *ignored[] = { "MLRUN_POLICY=/x.ini", "MLRUN_MEMORY=", "MLRUN_UNKNOWN=1", NULL };
	struct policy p;
	struct error err = { 0 };
	int rc;

	policy_init(&p);
	rc = policy_apply_env(&p, all, &err);
	tap(rc == 0 && p.memory_bytes == 100 * MiB && p.swap_bytes == 10 * MiB && p.cpus == 1.5 &&
		    p.pids == 32 && p.timeout_ms == 3000 && p.cpu_time_ms == 2000 &&
		    p.tmp_bytes == 8 * MiB && p.file_size_bytes == MiB && p.net == NET_LOOPBACK &&
		    p.workdir == WORKDIR_RW && strcmp(p.seccomp, "off") == 0 &&
		    strcmp(p.hostname, "envbox") == 0,
	    err.msg, "every MLRUN_* variable maps to its key; look-alike names are ignored");
	policy_free(&p);

	policy_init(&p);
	rc = policy_apply_env(&p, ignored, &err);
	tap(rc == 0 && p.memory_bytes == GiB, err.msg,
	    "MLRUN_POLICY, unknown MLRUN_* and empty values are left alone");
	tap(policy_apply_env(&p, NULL, &err) == 0, err.msg, "a NULL environment is empty");
	rc = policy_apply_env(&p, bad, &err);
	expect_err(rc, &err, "environment variable MLRUN_MEMORY: bad size 'lots' for [limits] memory (",
		   false, "a bad MLRUN_* value names the variable, key and value");
	policy_free(&p);
}

static void validate_case(const char *const settings[][3], size_t n, const char *want,
			  const char *desc)
{
	struct policy p;
	struct error err = { 0 };
	int rc;

	policy_init(&p);
	for (size_t i = 0; i < n; i++)
		set(&p, settings[i][0], settings[i][1], settings[i][2]);
	rc = policy_validate(&p, &err);
	if (want)
		expect_err(rc, &err, want, true, desc);
	else
		expect_ok(rc, &err, desc);
	policy_free(&p);
}

static void test_validate(void)
{
	const char *const host[][3] = { { "network", "net", "host" } };
	const char *const host_ok[][3] = { { "network", "net", "host" },
					   { "network", "allow_host", "true" } };
	const char *const both[][3] = { { "security", "allow_syscalls", "ptrace, bpf" },
					{ "security", "deny_syscalls", "bpf" } };
	const char *const off[][3] = { { "security", "seccomp", "off" },
				       { "security", "deny_syscalls", "bpf" } };

	validate_case(host, 1, "net = host but [network] allow_host is false",
		      "validate: net = host without allow_host");
	validate_case(host_ok, 2, NULL, "validate: net = host with allow_host");
	validate_case(both, 2, "syscall 'bpf' is in both allow_syscalls and deny_syscalls",
		      "validate: a syscall both allowed and denied");
	validate_case(off, 2, "deny_syscalls is set but seccomp = off",
		      "validate: syscall lists with seccomp off");
}

int main(void)
{
	test_defaults();
	test_set_each_key();
	test_lists();
	test_bad_values();
	test_env();
	test_validate();
	return tap_done();
}
