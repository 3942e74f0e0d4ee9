/*
 * Runs rhq as a child process the way a user does, with stdin, arguments
 * and environment, and collects its stdout, stderr, exit status, duration
 * and peak memory.  Every test that starts a process starts it here.
 *
 * The binary is $RHQ (default ./rhq); $RHQ_WRAPPER, when set, is a command
 * put in front of it (valgrind, in `make check-valgrind`).
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct proc {
	pid_t pid;
	int group;			/* it leads a process group of its own */
	int in, out, err;		/* our ends of its stdin, stdout, stderr; -1: none */
	char *out_buf, *err_buf;	/* everything read so far, NUL-terminated */
	size_t out_len, err_len;
	int status;			/* exit status, 128 + signal, or -1 on timeout */
	double start;			/* clock_now() when it started */
	double took;			/* seconds from its start to its end */
	long maxrss_kib;		/* its peak memory (the wrapper's, under one) */
};

/* How a run is started, beyond its arguments and environment: */
enum {
	HOW_STDIN_CLOSED = 1,		/* with descriptor 0 closed */
	HOW_STDOUT_CLOSED = 2,		/* with descriptor 1 closed */
	HOW_STDOUT_FULL = 4,		/* with stdout on /dev/full */
	HOW_SIGINT_IGNORED = 8,		/* with SIGINT ignored */
};

struct spawn {
	const char *const *argv;	/* NULL-terminated, without "rhq" */
	const char *const *env;		/* see below */
	unsigned how;			/* HOW_* */
	const char *const *instead;	/* run this command (and first arguments), unwrapped */
	const char *shell;		/* or run `sh -c shell`, with $RHQ naming the command */
};

/* The base URL rhq is pointed at (RUNNINGHUB_BASE_URL), set by each test. */
extern char harness_base_url[256];

/*
 * Starts rhq (or s->instead, or the shell) with s->argv and the environment
 * RUNNINGHUB_API_KEY=testkey, RUNNINGHUB_BASE_URL=harness_base_url, PATH,
 * plus s->env (NULL-terminated "NAME=value" strings that replace those, or
 * "NAME" alone to leave NAME out).
 */
void proc_spawn(struct proc *p, const struct spawn *s);

/* proc_spawn() with arguments and environment only. */
void proc_start(struct proc *p, const char *const env[], const char *const argv[]);

/* Sends bytes to its stdin. */
void proc_write(struct proc *p, const char *data, size_t len);

/* Reads its output until stdout holds at least `lines` newlines or `seconds` pass. */
int proc_wait_lines(struct proc *p, size_t lines, double seconds);

/* Reads its output until stderr holds text or `seconds` pass; returns whether it does. */
int proc_wait_err(struct proc *p, const char *text, double seconds);

/*
 * Reads its output until it has closed both stdout and stderr (it ended),
 * for at most `seconds`; returns how many seconds that took.
 */
double proc_wait_end(struct proc *p, double seconds);

/* Closes its stdin, reads everything, and reaps it (killing it after `seconds`). */
void proc_finish(struct proc *p, double seconds);

void proc_free(struct proc *p);

/* Runs rhq to the end with the given stdin (NULL: an empty one). */
void rhq_run(struct proc *p, const char *in, const char *const env[],
    const char *const argv[]);

/* The monotonic clock, in seconds. */
double clock_now(void);

/* Sleeps for `seconds`. */
void nap(double seconds);

/* An upper time limit for a native run, widened when rhq runs under a wrapper. */
double slack(double seconds);

/* How many seconds a run may take before it counts as hung. */
double harness_timeout(void);

/* A fresh file with the given contents and mode in a private temporary directory. */
const char *harness_file(const char *name, const char *contents, size_t len, int mode);

/* Counts lines in a buffer. */
size_t count_lines(const char *s);

/* The whole text of a file, NUL-terminated (free it), or NULL when it cannot be read. */
char *file_text(const char *path);

#endif
