/* oci_int.h - what tools/oci.c shares with tools/oci_exec.c (exec, ps, pause, resume). */
#pragma once

#include <json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_spec;

/* ROOT/ID/state.json */
struct oci_state {
	pid_t pid; /* the supervisor */
	uint64_t pid_start;
	bool started;
	char bundle[PATH_MAX];
	char mlrun_id[64];
	json_object *annotations; /* owned */
};

/* "mlrun-oci: ..." on stderr and in --log; returns 1. */
__attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...);
/* The container's verified private directory (O_PATH), -1 after fail(). */
int open_container_dir(const char *id, bool create, int *rootfd_out);
/* A private regular file of ours with one link in dfd, or -errno. */
int open_private(int dfd, const char *name, int flags);
int read_state(int dfd, const char *id, struct oci_state *s);
bool supervisor_running(const struct oci_state *s);
int write_pid_file(const char *path, pid_t pid);
/* A pty whose master went to socket_path (SCM_RIGHTS); its slave, or -1 after fail(). */
int open_console(const char *socket_path, const struct oci_spec *spec);

/* oci_exec.c */
bool oci_frozen(const struct oci_state *s);
int oci_cmd_exec(int argc, char **argv);
int oci_cmd_ps(int argc, char **argv);
int oci_cmd_pause(int argc, char **argv);
int oci_cmd_resume(int argc, char **argv);
