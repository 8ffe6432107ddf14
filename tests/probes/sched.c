/* sched.c - the probe's own-process scheduling and locking calls (tests/seccomp.bats). Same
 * conventions as probe.c: print what happened, exit 0 when every call that should work did.
 *
 *   probe sched   sched_rr_get_interval, ioprio_get (own process), mlockall(MCL_FUTURE),
 *                 munlockall: one "NAME ok" or "NAME errno E" line each.
 *   probe sched-rt   take SCHED_FIFO priority 1, then nice -5: "sched_setscheduler ok|errno E",
 *                 "setpriority ok|errno E"; exit 0 when both were refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IOPRIO_WHO_PROCESS 1 /* uapi/linux/ioprio.h */

/* "NAME ok" or "NAME errno ENAME"; 1 on failure (probe.c) */
int probe_report(const char *name, long r);

int probe_sched(int argc, char **argv);

int probe_sched(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "sched-rt")) {
		struct sched_param sp = { .sched_priority = 1 };
		int taken = !probe_report("sched_setscheduler", sched_setscheduler(0, SCHED_FIFO, &sp));
		taken |= !probe_report("setpriority", setpriority(PRIO_PROCESS, 0, -5));
		return taken;
	}
	if (argc != 2 || strcmp(argv[1], "sched"))
		return -1;
	struct timespec ts;
	int bad = 0;
	bad |= probe_report("sched_rr_get_interval", syscall(SYS_sched_rr_get_interval, 0, &ts));
	bad |= probe_report("ioprio_get", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
	bad |= probe_report("mlockall", mlockall(MCL_FUTURE));
	bad |= probe_report("munlockall", munlockall());
	return bad;
}
