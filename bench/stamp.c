/* stamp.c - print CLOCK_MONOTONIC in ns and exit at once (static: no dynamic loader).
 *
 * Run as the sandboxed program, it splits a tool's overhead into the part before the program's
 * first instruction (stamp - spawn time) and the part after its exit (the caller's wait returns
 * - stamp): the exit path (pid 1, namespace teardown, reaping, report) on its own. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;
	char buf[32];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(buf, sizeof(buf), "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write(1, buf, (size_t)n) != n)
		_exit(1);
	_exit(0);
}
