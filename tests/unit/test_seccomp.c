/* test_seccomp.c - syscall names, the built-in profiles, profile files, allow/deny
 * adjustments and the compiled filters (pure logic: nothing is loaded into the kernel).
 * TAP on stdout; exit 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security/security.h"

#include "tap.h"


/* Checks here need no "got" line. */
#define check(pass, ...) tap(pass, NULL, __VA_ARGS__)

static int verdict(const struct syscall_profile *sp, const char *name)
{
	int nr = syscall_resolve(name);
	return nr < 0 ? -1 : sp->verdict[nr];
}

/* Load a profile file holding text; err receives the message. */
static int load_text(struct syscall_profile *sp, const char *text, struct error *err)
{
	char path[] = "/tmp/mlrun-test-profile.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	int r = syscall_profile_load(sp, path, err);
	unlink(path);
	return r;
}

static void test_names(void)
{
	char buf[32];
	check(syscall_resolve("ptrace") >= 0 && syscall_resolve("nope_nope") == -1, "names resolve, typos do not");
	check(syscall_resolve("open_tree_attr") == 467 && strcmp(syscall_name(467, buf, sizeof(buf)), "open_tree_attr") == 0,
	    "syscalls newer than libseccomp have names both ways");
	check(strcmp(syscall_name(4000, buf, sizeof(buf)), "syscall_4000") == 0, "an unknown number is syscall_N");
	check(syscall_is_required("execve") && syscall_is_required("sendmsg") && !syscall_is_required("ptrace"),
	    "execve and sendmsg are required, ptrace is not");
	check(syscall_list_problem("ptrace", "deny_syscalls", buf, sizeof(buf)) == NULL, "deny ptrace is fine");
	char msg[256];
	check(syscall_list_problem("ptracee", "allow_syscalls", msg, sizeof(msg)) &&
		    strcmp(msg, "unknown syscall 'ptracee' in [security] allow_syscalls") == 0,
	    "a typo names the key");
	check(syscall_list_problem("execve", "deny_syscalls", msg, sizeof(msg)) != NULL &&
		    syscall_list_problem("execve", "allow_syscalls", msg, sizeof(msg)) == NULL,
	    "execve cannot be denied, but can be listed as allowed");
}

static void test_builtin(void)
{
	static struct syscall_profile sp;
	check(syscall_profile_builtin(&sp, "default") == 0 && sp.default_allow, "default is a deny-list");
	check(verdict(&sp, "ptrace") == SV_DENY && verdict(&sp, "mount") == SV_DENY && verdict(&sp, "bpf") == SV_DENY &&
		    verdict(&sp, "io_uring_setup") == SV_DENY && verdict(&sp, "open_tree_attr") == SV_DENY,
	    "default denies ptrace, mount, bpf, io_uring, open_tree_attr");
	check(verdict(&sp, "read") == SV_UNSET && verdict(&sp, "mseal") == SV_ALLOW && sp.verdict[500] == SV_DENY,
	    "default allows read and mseal, denies numbers libseccomp cannot name");
	check(verdict(&sp, "clone") == SV_ARGS && verdict(&sp, "socket") == SV_ARGS && verdict(&sp, "ioctl") == SV_ARGS &&
		    verdict(&sp, "personality") == SV_ARGS && verdict(&sp, "clone3") == SV_ENOSYS,
	    "clone, socket, ioctl, personality are argument-filtered; clone3 is ENOSYS");
	check(syscall_profile_builtin(&sp, "strict") == 0 && !sp.default_allow && verdict(&sp, "read") == SV_ALLOW &&
		    verdict(&sp, "ptrace") == SV_UNSET && verdict(&sp, "seccomp") == SV_UNSET,
	    "strict is an allow-list without ptrace or seccomp");
	check(syscall_profile_builtin(&sp, "lax") == -ENOENT, "an unknown built-in profile");
}

static void test_adjust(void)
{
	static struct syscall_profile sp;
	struct error err = { 0 };
	char *allow[] = { "ptrace" }, *deny[] = { "getppid" }, *bad[] = { "execve" };
	syscall_profile_builtin(&sp, "default");
	check(syscall_profile_adjust(&sp, allow, 1, deny, 1, &err) == 0 && verdict(&sp, "ptrace") == SV_ALLOW &&
		    verdict(&sp, "getppid") == SV_DENY,
	    "allow_syscalls and deny_syscalls adjust default");
	check(syscall_profile_adjust(&sp, NULL, 0, bad, 1, &err) < 0 && strstr(err.msg, "cannot be denied"),
	    "a required syscall cannot be denied");
}

static void test_file(void)
{
	static struct syscall_profile sp;
	struct error err = { 0 };
	int r = load_text(&sp, "# comment\ndefault allow\ndeny ptrace bpf # two\n\nallow mount\n", &err);
	check(r == 0 && sp.default_allow && verdict(&sp, "ptrace") == SV_DENY && verdict(&sp, "bpf") == SV_DENY &&
		    verdict(&sp, "mount") == SV_ALLOW && verdict(&sp, "clone") == SV_ARGS &&
		    verdict(&sp, "clone3") == SV_ENOSYS,
	    "a deny-list file, with the built-in argument rules");
	r = load_text(&sp, "read\nwrite\nexecve\n", &err);
	check(r == 0 && !sp.default_allow && verdict(&sp, "read") == SV_ALLOW && verdict(&sp, "mmap") == SV_UNSET &&
		    verdict(&sp, "ioctl") == SV_UNSET,
	    "bare names make an allow-list");
	memset(&err, 0, sizeof(err));
	check(load_text(&sp, "read\nfrobnicate\n", &err) < 0 && strstr(err.msg, ":2: not a syscall name this libseccomp knows") &&
		    !strstr(err.msg, "frobnicate"),
	    "a typo names its line, not the word (the file may be any file)");
	memset(&err, 0, sizeof(err));
	check(load_text(&sp, "read\ndefault allow\n", &err) < 0 && strstr(err.msg, ":2: expected 'default allow'"),
	    "default comes before the rules");
}

/* Both built-in filters compile, far below the kernel's 4096 instructions. */
static void test_compile(void)
{
	static struct syscall_profile sp;
	const char *names[] = { "default", "strict" };
	for (size_t i = 0; i < 2; i++) {
		struct sock_fprog prog = { 0 };
		struct error err = { 0 };
		syscall_profile_builtin(&sp, names[i]);
		syscall_profile_adjust(&sp, NULL, 0, NULL, 0, &err);
		int r = seccomp_filter_compile(&sp, &prog, &err);
		check(r == 0 && prog.len > 50 && prog.len < 1024, "%s compiles (%u BPF instructions, %zu bytes)", names[i],
		    prog.len, (size_t)prog.len * sizeof(prog.filter[0]));
		free(prog.filter);
	}
}

int main(void)
{
	test_names();
	test_builtin();
	test_adjust();
	test_file();
	test_compile();
	return tap_done();
}
