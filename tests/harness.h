/*
 * Runs the real rhq binary the way a user does, with stdin, arguments and
 * environment, and collects its stdout, stderr and exit status.
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
	int in, out, err;		/* our ends of its stdin, stdout, stderr */
	char *out_buf, *err_buf;	/* everything read so far, NUL-terminated */
	size_t out_len, err_len;
	int status;			/* exit status, 128 + signal, or -1 on timeout */
};

/* The base URL rhq is pointed at (RUNNINGHUB_BASE_URL), set by each test. */
extern char harness_base_url[256];

/*
 * Starts rhq with argv (NULL-terminated, without "rhq") and the environment
 * RUNNINGHUB_API_KEY=testkey, RUNNINGHUB_BASE_URL=harness_base_url, PATH,
 * plus env (NULL-terminated "NAME=value" strings that replace those, or
 * "NAME" alone to leave NAME out).
 */
void proc_start(struct proc *p, const char *const env[], const char *const argv[]);

/*
 * The same, but the child calls fn(argc, argv) (rhq's own main function,
 * linked into the test program) instead of running a binary, so a test can
 * change what rhq's code sees: its clock, for one.
 */
void proc_start_fn(struct proc *p, const char *const env[], const char *const argv[],
    int (*fn)(int, char *[]));

/* Sends bytes to its stdin. */
void proc_write(struct proc *p, const char *data, size_t len);

/* Reads its output until stdout holds at least `lines` newlines or `seconds` pass. */
int proc_wait_lines(struct proc *p, size_t lines, double seconds);

/* Closes its stdin, reads everything, and reaps it (killing it after `seconds`). */
void proc_finish(struct proc *p, double seconds);

void proc_free(struct proc *p);

/* Runs rhq to the end with the given stdin (NULL: an empty one). */
void rhq_run(struct proc *p, const char *in, const char *const env[],
    const char *const argv[]);

/* An upper time limit for a native run, widened when rhq runs under a wrapper. */
double slack(double seconds);

/* How many seconds a run may take before it counts as hung. */
double harness_timeout(void);

/* A fresh file with the given contents and mode in a private temporary directory. */
const char *harness_file(const char *name, const char *contents, int mode);

/* Counts lines in a buffer. */
size_t count_lines(const char *s);

#endif
