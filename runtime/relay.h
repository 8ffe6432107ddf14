/* relay.h - the caller's stdout/stderr, when they are regular files, reached through a pipe.
 *
 * RLIMIT_FSIZE (file_size) is a limit on what the program writes: the kernel applies it to every
 * regular file the process writes, at the file's offset. An inherited stdout or stderr that is a
 * file (`mlrun ... > out`, `>> log`) is the caller's, not the program's: the limit would stop
 * the output at file_size (EFBIG), or kill the program with SIGXFSZ before a byte is written
 * when the caller's log is already past the limit. So such an fd reaches the program as a pipe,
 * and the supervisor, which has no such limit, copies what comes through to the caller's file
 * (at its offset, with its O_APPEND). It also keeps the program from seeking in, truncating or
 * reading back the caller's file. fd 1 and fd 2 on the same file share one pipe: the order of
 * their writes is kept. */
#pragma once

#include <poll.h>
#include <stdbool.h>

#include "../lib/error.h"

#define RELAY_POLLFDS 2

struct out_relay {
	int rd[2];	/* the supervisor's read ends, -1 when unused or at EOF */
	int wr[2];	/* the program's write ends until the clone, then -1 */
	int dst[2];	/* the caller's fd (1 or 2) each pipe is copied to */
	int for_fd[3];	/* fds 0-2: the write end that replaces it in the sandbox, -1 to keep it */
	int error;	/* first errno writing to the caller's file (the copy stopped), 0 if none */
	int error_fd;	/* which of the caller's fds it was */
};

/* When `needed` (a file_size limit is set), a pipe for each of fds 1-2 that is a regular file. */
int relay_open(struct out_relay *r, bool needed, struct error *err);
/* After the clone: drop the supervisor's copies of the write ends. */
void relay_started(struct out_relay *r);
/* Fill fds[0..RELAY_POLLFDS) for the supervisor's poll (fd -1 for nothing). */
void relay_pollfds(const struct out_relay *r, struct pollfd *fds);
/* Copy what is readable after poll() returned. */
void relay_handle(struct out_relay *r, const struct pollfd *fds);
/* The program ended: copy the rest, until EOF (or until nothing came for a while). */
void relay_drain(struct out_relay *r);
void relay_close(struct out_relay *r);
