/* numa.c - the probe's NUMA memory-policy calls (tests/seccomp.bats). Same conventions as
 * probe.c: print what happened, exit 0 when every call that should work did.
 *
 *   probe numa    on a page of its own: mbind(MPOL_BIND node 0), set_mempolicy_home_node,
 *                 set_mempolicy(MPOL_DEFAULT), get_mempolicy; one "NAME ok" or "NAME errno E"
 *                 line each; then mbind with MPOL_MF_MOVE_ALL (pages other processes map too),
 *                 which the kernel refuses without CAP_SYS_NICE: "mbind-move-all errno EPERM". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <numaif.h> is libnuma's; the values are the kernel's uapi/linux/mempolicy.h. */
#define MPOL_DEFAULT 0
#define MPOL_BIND 2
#define MPOL_MF_MOVE_ALL (1 << 2)
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif

/* "NAME ok" or "NAME errno ENAME"; 1 on failure (probe.c) */
int probe_report(const char *name, long r);

int probe_numa(int argc, char **argv);

int probe_numa(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "numa"))
		return -1;
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return probe_report("mmap", -1);
	unsigned long node0 = 1;
	int mode = -1, bad = 0;
	bad |= probe_report("mbind", syscall(SYS_mbind, p, page, MPOL_BIND, &node0, 64, 0));
	bad |= probe_report("set_mempolicy_home_node", syscall(SYS_set_mempolicy_home_node, p, page, 0, 0));
	bad |= probe_report("set_mempolicy", syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0));
	bad |= probe_report("get_mempolicy", syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0));
	probe_report("mbind-move-all", syscall(SYS_mbind, p, page, MPOL_BIND, &node0, 64, MPOL_MF_MOVE_ALL));
	return bad;
}
