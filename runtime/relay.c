/* relay.c - the caller's regular-file stdout/stderr, copied from a pipe (relay.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "relay.h"

#define RELAY_BUF_BYTES 65536
#define RELAY_DRAIN_WAIT_MS 10000 /* after the program ended: a pipe quiet this long is given up */

static void reset(struct out_relay *r)
{
	for (int i = 0; i < 2; i++)
		r->rd[i] = r->wr[i] = r->dst[i] = -1;
	for (int fd = 0; fd < 3; fd++)
		r->for_fd[fd] = -1;
	r->error = 0;
	r->error_fd = -1;
}

int relay_open(struct out_relay *r, bool needed, struct error *err)
{
	struct stat st[3];
	int n = 0;

	reset(r);
	if (!needed)
		return 0;
	for (int fd = 1; fd < 3; fd++) {
		if (fstat(fd, &st[fd]) < 0 || !S_ISREG(st[fd].st_mode))
			continue;
		if (fd == 2 && r->for_fd[1] >= 0 && st[1].st_dev == st[2].st_dev && st[1].st_ino == st[2].st_ino) {
			r->for_fd[2] = r->for_fd[1]; /* 2>&1 (or the same file): one pipe keeps the order */
			continue;
		}
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			relay_close(r);
			return error_set(err, errno, "cannot create a pipe for the program's fd %d", fd);
		}
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		r->rd[n] = p[0];
		r->wr[n] = p[1];
		r->dst[n] = fd;
		r->for_fd[fd] = p[1];
		n++;
	}
	return 0;
}

void relay_started(struct out_relay *r)
{
	for (int i = 0; i < 2; i++)
		closep(&r->wr[i]), r->wr[i] = -1;
	for (int fd = 0; fd < 3; fd++)
		r->for_fd[fd] = -1;
}

void relay_pollfds(const struct out_relay *r, struct pollfd *fds)
{
	for (int i = 0; i < RELAY_POLLFDS; i++)
		fds[i] = (struct pollfd){ .fd = r->rd[i], .events = POLLIN };
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what is there from pipe i. Returns the bytes copied, 0 at EOF (the pipe is closed then),
 * -EAGAIN when nothing was ready. A failed write to the caller's file (its disk is full, its own
 * limit) is remembered for the message and ends the copy: the program's next write gets EPIPE,
 * as a write of its own to that file would have failed. */
static ssize_t copy_once(struct out_relay *r, int i)
{
	char buf[RELAY_BUF_BYTES];
	ssize_t n = read(r->rd[i], buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	int w = n > 0 ? write_all(r->dst[i], buf, (size_t)n) : 0;
	if (n == 0 || w < 0) {
		if (w < 0 && !r->error)
			r->error = -w, r->error_fd = r->dst[i];
		closep(&r->rd[i]);
		r->rd[i] = -1;
		return 0;
	}
	return n;
}

void relay_handle(struct out_relay *r, const struct pollfd *fds)
{
	for (int i = 0; i < RELAY_POLLFDS; i++)
		if (r->rd[i] >= 0 && fds[i].fd == r->rd[i] && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			copy_once(r, i);
}

void relay_drain(struct out_relay *r)
{
	for (;;) {
		struct pollfd fds[RELAY_POLLFDS];
		relay_pollfds(r, fds);
		if (fds[0].fd < 0 && fds[1].fd < 0)
			return;
		int n = poll(fds, RELAY_POLLFDS, RELAY_DRAIN_WAIT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* a writer that outlived the sandbox (it cannot) or a poll error: stop */
			return;
		relay_handle(r, fds);
	}
}

void relay_close(struct out_relay *r)
{
	for (int i = 0; i < 2; i++) {
		closep(&r->rd[i]);
		closep(&r->wr[i]);
		r->rd[i] = r->wr[i] = -1;
	}
}
