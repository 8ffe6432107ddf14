/* pty.c - the program's own terminal, and the caller's terminal and fds kept out of its reach.
 *
 * A terminal handed to the program is the caller's: TIOCSETD (line discipline), tcflow
 * (TCOOFF), tcsetattr, TIOCSWINSZ and O_NONBLOCK on its open file description all outlive the
 * run, and a backgrounded sandbox in a session of its own reads keystrokes meant for the
 * foreground. So the program never gets it: like sudo's use_pty, systemd-run --pty and
 * docker -t, the supervisor opens a pty from the host's /dev/ptmx, the child makes the slave
 * its fds 0-2 (those that were terminals) and its controlling terminal, and the supervisor
 * relays bytes both ways with bounded buffers, in its single poll loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "pty.h"

#define PTY_BACKGROUND_RECHECK_MS 200 /* in the background: how often to look for `fg` */
#define PTY_DRAIN_WAIT_MS 10000	      /* a caller's terminal that takes no output for this long is given up */

/* What term_save() saw. A file-scope variable because the fatal-signal handler needs it; only
 * async-signal-safe calls (fcntl, ioctl) read it there. */
static struct {
	int flags[3];
	bool have_flags[3];
	int tty_fd; /* the first of fds 0-2 that is a terminal, -1 if none */
	struct termios tio;
	bool have_tio;
	volatile sig_atomic_t tio_changed; /* mlrun put the terminal in raw mode */
} saved = { .tty_fd = -1 };

/* Signals that end mlrun with their default action (the forwarded ones are blocked). */
static const int fatal[] = { SIGPIPE, SIGXFSZ, SIGXCPU, SIGPROF, SIGVTALRM, SIGPWR, SIGSTKFLT, SIGABRT };

static void restore_termios(void)
{
	if (!saved.tio_changed)
		return;
	/* In the background tcsetattr would stop mlrun with SIGTTOU; blocked, it goes through. */
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetattr(saved.tty_fd, TCSANOW, &saved.tio);
	sigprocmask(SIG_SETMASK, &old, NULL);
	saved.tio_changed = 0;
}

void term_restore(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (!saved.have_flags[fd])
			continue;
		int now = fcntl(fd, F_GETFL);
		if (now >= 0 && now != saved.flags[fd])
			fcntl(fd, F_SETFL, saved.flags[fd]);
	}
	restore_termios();
}

static void restore_and_die(int sig)
{
	term_restore();
	raise(sig); /* SA_RESETHAND: the default action now */
}

void term_save(void)
{
	for (int fd = 0; fd < 3; fd++) {
		saved.flags[fd] = fcntl(fd, F_GETFL);
		saved.have_flags[fd] = saved.flags[fd] >= 0;
		if (saved.tty_fd < 0 && isatty(fd))
			saved.tty_fd = fd;
	}
	saved.have_tio = saved.tty_fd >= 0 && tcgetattr(saved.tty_fd, &saved.tio) == 0;
	struct sigaction sa = { .sa_handler = restore_and_die, .sa_flags = SA_RESETHAND };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++) {
		struct sigaction old;
		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(fatal[i], &sa, NULL);
	}
}

/* Not our controlling terminal (tcgetpgrp fails): no job control to respect. */
static bool in_foreground(const struct pty_relay *p)
{
	pid_t fg = tcgetpgrp(p->ctl_fd);
	return fg < 0 || fg == getpgrp();
}

/* Raw mode on the caller's terminal while the program runs, so that the program's pty does the
 * line discipline (echo, editing, Ctrl-C as SIGINT inside), as ssh and docker -t do. ISIG
 * stays on for the suspend character only: Ctrl-Z belongs to the caller's shell and stops the
 * whole run (docs/design.md). Only in the foreground: a background job leaves the terminal to
 * the shell. */
static void set_raw(struct pty_relay *p)
{
	if (!p->relay_input || !saved.have_tio || saved.tio_changed || !in_foreground(p))
		return;
	struct termios t = saved.tio;
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_cc[VINTR] = _POSIX_VDISABLE;
	t.c_cc[VQUIT] = _POSIX_VDISABLE;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(p->ctl_fd, TCSANOW, &t) == 0)
		saved.tio_changed = 1;
}

int pty_open(struct pty_relay *p, struct error *err)
{
	*p = (struct pty_relay){ .master = -1, .slave = -1, .in_fd = -1, .out_fd = -1, .ctl_fd = -1 };
	for (int fd = 0; fd < 3; fd++) {
		p->slave_for[fd] = isatty(fd);
		if (p->slave_for[fd] && p->ctl_fd < 0)
			p->ctl_fd = fd;
	}
	if (p->ctl_fd < 0)
		return 0;
	p->relay_input = p->slave_for[0];

	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return error_set(err, errno, "cannot open a pty for the program (/dev/ptmx)");
	if (unlockpt(master) < 0)
		return error_set(err, errno, "cannot unlock the program's pty");
	/* TIOCGPTPEER: the slave from the master itself, no path to resolve (and race). */
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return error_set(err, errno, "cannot open the program's pty");
	/* The program starts with the caller's settings and window size. */
	if (saved.have_tio && tcsetattr(slave, TCSANOW, &saved.tio) < 0)
		return error_set(err, errno, "cannot set up the program's pty");
	struct winsize ws;
	if (ioctl(p->ctl_fd, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	if (fcntl(master, F_SETFL, O_NONBLOCK) < 0)
		return error_set(err, errno, "cannot set up the program's pty");

	/* A new open file description of the caller's terminal: O_NONBLOCK on it is mlrun's alone
	 * (the inherited one is shared with the caller's shell). If the terminal cannot be
	 * reopened (it belongs to another user after su), the inherited fds serve. */
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p->ctl_fd);
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		p->in_fd = p->out_fd = fd;
	} else {
		p->in_fd = p->relay_input ? 0 : -1;
		p->out_fd = p->slave_for[1] ? 1 : p->slave_for[2] ? 2 : 0;
	}
	p->master = TAKE_FD(master);
	p->slave = TAKE_FD(slave);
	return 0;
}

void pty_started(struct pty_relay *p)
{
	if (p->slave >= 0)
		close(p->slave);
	p->slave = -1;
	if (p->master >= 0)
		set_raw(p);
}

int pty_pollfds(struct pty_relay *p, struct pollfd *fds)
{
	int timeout_ms = -1;
	for (int i = 0; i < PTY_POLLFDS; i++)
		fds[i] = (struct pollfd){ .fd = -1 };
	if (p->master < 0)
		return -1;
	if (p->relay_input && !p->in_done) {
		/* A background job does not read the caller's terminal (its own session means no
		 * SIGTTIN would stop it): not even poll it, and look again for `fg` now and then. */
		if (!in_foreground(p))
			timeout_ms = PTY_BACKGROUND_RECHECK_MS;
		else {
			set_raw(p);
			if (p->to_master_len == 0)
				fds[0] = (struct pollfd){ .fd = p->in_fd, .events = POLLIN };
		}
	}
	short ev = (p->to_caller_len < sizeof(p->to_caller) ? POLLIN : 0) | (p->to_master_len ? POLLOUT : 0);
	if (!p->master_done && ev) /* with no events, a hung-up master would still wake poll */
		fds[1] = (struct pollfd){ .fd = p->master, .events = ev };
	if (p->to_caller_len && !p->out_done)
		fds[2] = (struct pollfd){ .fd = p->out_fd, .events = POLLOUT };
	return timeout_ms;
}

/* Write what fits; -1 when fd cannot take anything any more. */
static int write_some(int fd, char *buf, size_t *len)
{
	ssize_t n = write(fd, buf, *len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(buf, buf + n, *len - (size_t)n);
	*len -= (size_t)n;
	return 0;
}

static void flush_out(struct pty_relay *p)
{
	if (p->to_caller_len && !p->out_done && write_some(p->out_fd, p->to_caller, &p->to_caller_len) < 0)
		p->out_done = true;
	if (p->out_done)
		p->to_caller_len = 0; /* nobody to show it to */
}

/* EIO once every slave is closed: the program's output is complete. */
static void read_master(struct pty_relay *p)
{
	size_t room = sizeof(p->to_caller) - p->to_caller_len;
	if (room == 0)
		return;
	ssize_t n = read(p->master, p->to_caller + p->to_caller_len, room);
	if (n > 0)
		p->to_caller_len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		p->master_done = true;
}

void pty_handle(struct pty_relay *p, const struct pollfd *fds)
{
	if (p->master < 0)
		return;
	if (fds[0].revents) {
		ssize_t n = read(p->in_fd, p->to_master, sizeof(p->to_master));
		if (n > 0)
			p->to_master_len = (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			p->in_done = true; /* the caller's terminal hung up */
	}
	if (p->to_master_len && !p->master_done && write_some(p->master, p->to_master, &p->to_master_len) < 0)
		p->to_master_len = 0;
	if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
		read_master(p);
	if (fds[1].revents & (POLLHUP | POLLERR) && !(fds[1].revents & POLLIN))
		p->to_master_len = 0; /* no slave left to read it */
	flush_out(p);
}

void pty_resize(struct pty_relay *p)
{
	struct winsize ws;
	if (p->master >= 0 && ioctl(p->ctl_fd, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws); /* the kernel signals the pty's foreground */
}

void pty_suspend(struct pty_relay *p)
{
	(void)p;
	restore_termios();
}

void pty_resume(struct pty_relay *p)
{
	if (p->master < 0)
		return;
	/* The shell may have changed the settings while mlrun was stopped: those are the ones to
	 * give back at the end. */
	if (p->relay_input && !saved.tio_changed && in_foreground(p))
		saved.have_tio = tcgetattr(p->ctl_fd, &saved.tio) == 0;
	set_raw(p);
	pty_resize(p);
}

/* Blocking flush, bounded: a terminal that takes nothing for PTY_DRAIN_WAIT_MS is given up. */
static void flush_all(struct pty_relay *p)
{
	while (p->to_caller_len && !p->out_done) {
		struct pollfd pfd = { .fd = p->out_fd, .events = POLLOUT };
		int r = poll(&pfd, 1, PTY_DRAIN_WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			p->out_done = true;
			break;
		}
		flush_out(p);
	}
	p->to_caller_len = 0;
}

void pty_drain(struct pty_relay *p)
{
	if (p->master < 0)
		return;
	/* Every slave is closed once pid 1 is reaped: reads give the rest, then EIO. */
	while (!p->master_done && !p->out_done) {
		read_master(p);
		if (!p->to_caller_len)
			break; /* EAGAIN: a slave is still open somewhere; do not wait for it */
		flush_all(p);
	}
	flush_all(p);
}

void pty_close(struct pty_relay *p)
{
	if (p->slave >= 0)
		close(p->slave);
	if (p->in_fd > 2)
		close(p->in_fd);
	else if (p->out_fd > 2)
		close(p->out_fd);
	if (p->master >= 0)
		close(p->master);
	p->master = p->slave = p->in_fd = p->out_fd = -1;
}
