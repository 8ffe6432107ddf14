/* syscalls.h - syscall names and the built-in profiles, as data (pure logic, no OS state).
 *
 * A profile is a verdict per syscall number of the native architecture: allowed, denied
 * (the supervisor answers: errno, kill or log), ENOSYS (clone3, so libc falls back to clone
 * whose flags the filter can see), or argument-filtered (clone, socket, socketpair, ioctl, personality:
 * the dangerous argument values are denied, the rest allowed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* Syscall numbers of the native architecture the profiles cover; above the kernel's table a
 * syscall fails with ENOSYS anyway. */
#define SYSCALL_NR_MAX 512

enum syscall_verdict {
	SV_UNSET,  /* the profile's default applies */
	SV_ALLOW,
	SV_DENY,
	SV_ENOSYS, /* fails with ENOSYS, not counted as a violation */
	SV_ARGS,   /* allowed except for the argument values listed in filter.c */
};

struct syscall_profile {
	bool default_allow;		 /* deny-list (true) or allow-list (false) */
	uint8_t verdict[SYSCALL_NR_MAX]; /* enum syscall_verdict, by syscall number */
};

/* The native syscall number of name (libseccomp's table, then the syscalls newer than it),
 * or -1 if unknown. */
int syscall_resolve(const char *name);
/* The name of nr, "syscall_NR" if unknown; buf holds at least 32 bytes. */
const char *syscall_name(int nr, char *buf, size_t len);

/* Syscalls the payload makes between loading the filter and execve (send the listener fd,
 * close it, exec, report a failed exec): never deniable, or the payload would wait forever
 * for a supervisor that cannot yet hear it. */
bool syscall_is_required(const char *name);

/* Policy validation: NULL if name is fine for [security] key (allow_syscalls or deny_syscalls),
 * else the problem, written into buf: an unknown name, or a required syscall denied. */
const char *syscall_list_problem(const char *name, const char *key, char *buf, size_t len);

/* Fill a profile from a built-in name: "default" (deny-list) or "strict" (allow-list).
 * Returns -ENOENT for another name. */
int syscall_profile_builtin(struct syscall_profile *sp, const char *name);

/* A profile file: '#' comments; "default allow" or "default deny" (the default: an
 * allow-list); "allow NAME..." / "deny NAME..."; a line holding only NAME means allow NAME.
 * Errors are "FILE:LINE: message". */
int syscall_profile_load(struct syscall_profile *sp, const char *path, struct error *err);

/* allow_syscalls / deny_syscalls on top of the profile; then the required syscalls are
 * allowed and clone3 answers ENOSYS unless explicitly allowed. */
int syscall_profile_adjust(struct syscall_profile *sp, char *const *allow, size_t n_allow, char *const *deny,
			   size_t n_deny, struct error *err);
