/* pty.h - the program's own terminal, and the caller's terminal and fds kept out of its reach.
 *
 * When any of fds 0-2 is a terminal, the program gets a pty of its own (the slave as those
 * fds, its controlling terminal) and the supervisor relays bytes and window sizes between the
 * caller's terminal and the master. The caller's terminal settings and the file status flags
 * of fds 0-2 are saved before the run and restored after it, also when mlrun dies of a
 * signal. */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

#define PTY_BUF_BYTES 4096
#define PTY_POLLFDS 3

struct pty_relay {
	int master;	      /* -1: no terminal, nothing to relay */
	int slave;	      /* the program's side until the child has it; -1 after */
	int in_fd, out_fd;    /* the caller's terminal, reopened non-blocking (or the inherited fds) */
	int ctl_fd;	      /* the caller's fd (0-2) that is the terminal: termios, pgrp, winsize */
	bool slave_for[3];    /* which of fds 0-2 become the slave in the sandbox */
	bool relay_input;     /* fd 0 is a terminal: keystrokes go to the program */
	bool in_done, master_done, out_done;
	char to_master[PTY_BUF_BYTES];
	size_t to_master_len;
	char to_caller[PTY_BUF_BYTES];
	size_t to_caller_len;
};

/* Before anything else of a run: remember the file status flags of fds 0-2 and the caller's
 * terminal settings; install handlers that put them back if mlrun dies of a signal. */
void term_save(void);
/* Put back what term_save() saw (safe to call more than once). */
void term_restore(void);

/* Open a pty when any of fds 0-2 is a terminal (p->master stays -1 otherwise). */
int pty_open(struct pty_relay *p, struct error *err);
/* After the clone: the supervisor drops its copy of the slave, then takes over the caller's
 * terminal (raw mode when in the foreground). */
void pty_started(struct pty_relay *p);
/* Fill fds[0..PTY_POLLFDS) for the supervisor's poll; returns a poll timeout bound in ms (-1
 * none): in the background the relay re-checks the foreground now and then. */
int pty_pollfds(struct pty_relay *p, struct pollfd *fds);
/* Move bytes after poll() returned. */
void pty_handle(struct pty_relay *p, const struct pollfd *fds);
/* SIGWINCH: the caller's window size onto the program's pty. */
void pty_resize(struct pty_relay *p);
/* Before mlrun stops (SIGTSTP): the caller's terminal gets its settings back. */
void pty_suspend(struct pty_relay *p);
/* After SIGCONT: raw mode again if mlrun is in the foreground, and the current window size. */
void pty_resume(struct pty_relay *p);
/* The program ended: write out what it printed until the master reports EOF. */
void pty_drain(struct pty_relay *p);
void pty_close(struct pty_relay *p);
