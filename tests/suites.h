/*
 * What the system test suites share: the stand-in fixture, the table rows
 * and the one runner that runs them, and the assertion helpers.
 */
#ifndef SUITES_H
#define SUITES_H

#include <check.h>

#include "harness.h"
#include "ids.h"
#include "seam.h"
#include "standin.h"

Suite *system_suite(void);
Suite *faults_suite(void);
Suite *workflow_suite(void);
Suite *outage_suite(void);
Suite *results_suite(void);
Suite *state_suite(void);

/* The stand-in server of the running test, started by the fixture. */
extern struct standin *srv;

/* A test case whose tests each get a fresh stand-in on a free loopback port. */
TCase *server_tcase(const char *name);

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV		((const char *const *)NULL)
#define NOARGS		((const char *const *)NULL)
#define NELEM(a)	(sizeof (a) / sizeof *(a))

/* Stdin with NUL bytes in it: for a row's .in, sets .in_len too. */
#define BYTES(s)	.in = (s), .in_len = sizeof (s) - 1

/* How many requests the stand-in saw that named one task ID. */
struct seen {
	const char *id;
	unsigned n;
};

/*
 * One run of rhq and all it must do: a row of a test table.  A row says
 * every outcome; what it leaves zero is asserted to be nothing:
 *
 *   status       the exit status (0 unless given)
 *   out          stdout exactly (NULL: empty), or else
 *   out_start    what stdout starts with, or
 *   out_any      its lines, in any order
 *   err          stderr exactly (NULL: empty), or else
 *   err_lines    its lines, in this order, or
 *   err_any      its lines, in any order, or
 *   usage        a usage error: exit 2, nothing on stdout, and stderr's
 *                first line starts with this, its second with "usage: rhq ", or
 *   err_check    a function that asserts what stderr must be
 *   requests     how many requests the stand-in saw (up to requests_max,
 *                when given); with none, it saw no connection either
 *   seen         how many of them named each of these IDs (0: none)
 *   connections  how many connections it accepted (up to connections_max),
 *                when given
 *   body         the first request's body
 *   auth         every request's Authorization header (by default "Bearer "
 *                and the key in the environment, unless a key file has it)
 *   secret       text that must appear in neither stdout nor stderr
 *   took_min, took_max  bounds on how long the run took (took_max widened
 *                under a wrapper); in rhq's own time when the row is warped
 *   check        a function with any further assertions
 *
 * In every row, each request must be a POST of JSON to the status URL
 * with rhq's User-Agent, and with --json every stdout line must be a JSON
 * object.  Line patterns (out_any, err_lines, err_any) match exactly, but
 * for '*', which stands for any text.  In argv, env, err, err_lines and
 * usage, "%FILE" stands for the path of `file` (made before the run),
 * "%BASE" for the stand-in's base URL; in out, "%VERSION" for rhq's.
 */
struct row {
	const char *name;

	/* The run. */
	const char *const *argv;	/* without "rhq" */
	const char *const *env;		/* as proc_spawn() takes it */
	const char *in;			/* stdin (NULL: empty) */
	size_t in_len;			/* its length, when it holds NUL bytes */
	struct {			/* stdin: n ordinary IDs from first on; */
		unsigned long first;	/* stdout: their rows */
		int n;
	} ids;
	struct {			/* a file made first (its path: %FILE) */
		const char *name, *text;
		int mode;
	} file;
	unsigned how;			/* HOW_*: descriptors and signals */
	int warp;			/* on a clock that skips idle waits */

	/* What it must do. */
	int status;
	const char *out, *out_start;
	const char *const *out_any;
	const char *err;
	const char *const *err_lines, *const *err_any;
	const char *usage;
	void (*err_check)(const char *err);
	unsigned requests, requests_max;
	struct seen seen[8];
	unsigned connections, connections_max;
	const char *body, *auth;
	const char *secret;
	double took_min, took_max;
	void (*check)(const struct proc *p);
};

/* Runs a row and asserts everything it says. */
void run_row(const struct row *r);

/* A test that runs row _i of a table; ADD_ROWS() adds one for each row. */
#define ROW_TEST(table)							\
	START_TEST(table##_row)						\
	{								\
		run_row(&table[_i]);					\
	}								\
	END_TEST

#define ADD_ROWS(tc, table)	add_rows((tc), table##_row, NELEM(table))

/*
 * Adds a test, or a looping test for rows 0 to n-1, to a test case: all of
 * them, or with RHQ_SHARD=k/n in the environment (make check's valgrind
 * pass, split in shards that run at once) every n-th test from the k-th.
 */
void add_test(TCase *tc, const TTest *t);
void add_rows(TCase *tc, const TTest *t, int n);

/* A row for a usage error: the given arguments, and stdin that is never read. */
#define USAGE(first, ...)						\
	{ .name = (first), .argv = ARGS(__VA_ARGS__), .in = "3\n", .status = 2,	\
	    .usage = (first) }

/*
 * Starts rhq's code like proc_start(), but on a virtual clock that moves only
 * while rhq waits (see tests/check_rhq.c): a request takes no time on it, so
 * what a test asserts of time is the same on a busy machine.  It does not
 * run under $RHQ_WRAPPER.
 */
void proc_start_warped(struct proc *p, const char *const env[], const char *const argv[]);

/*
 * rhq's clock in a warped run: seconds since the run began (0 before it
 * starts).  A stand-in given it (standin_set_clock) keeps time with rhq.
 */
double rhq_clock(void);

/* Runs rhq to the end on that clock; returns how long it took there, in seconds. */
double rhq_run_warped(struct proc *p, const char *in, size_t len,
    const char *const env[], const char *const argv[]);

/* Asserts a run's exit status, stdout and stderr exactly. */
#define ck_assert_run(p, st, out, err) do {				\
	ck_assert_msg((p)->status == (st), "exit status %d, want %d; stderr: %s",	\
	    (p)->status, (st), (p)->err_buf);				\
	ck_assert_str_eq((p)->out_buf, (out));				\
	ck_assert_str_eq((p)->err_buf, (err));				\
} while (0)

/* Does line [s, s+n) match the fnmatch(3) pattern? */
int glob_line(const char *s, size_t n, const char *pattern);

/* Asserts that text's lines match the patterns (NULL-terminated), in order. */
void assert_lines(const char *text, const char *const want[]);

/* The same, in any order. */
void assert_lines_any_order(const char *text, const char *const want[]);

/* Asserts that output ends on a row boundary and each row is ID TAB STATE. */
void assert_complete_rows(const char *out);

/* Asserts that every line of out is a JSON object (RFC 8259, strictly); returns how many. */
size_t assert_json_lines(const char *out);

/* Asserts that JSON line `line` (0-based) is an INVALID row whose decoded id is want[0..len). */
void assert_json_invalid(const char *out, size_t line, const char *want, size_t len);

/* The n-th line (0-based) of s, copied into buf. */
const char *nth_line(const char *s, size_t n, char *buf, size_t size);

/* Stdin of n ordinary IDs from `first` on, and the rows rhq prints for them. */
void make_ids(unsigned long first, int n, char *in, char *want);

/* Waits until the stand-in has seen n requests for id. */
void wait_for_request(const char *id, unsigned n);

#endif
