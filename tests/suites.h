/* The test suites of check_rhq and what they share. */
#ifndef SUITES_H
#define SUITES_H

#include <check.h>

#include "harness.h"
#include "standin.h"

Suite *unit_suite(void);
Suite *system_suite(void);
Suite *faults_suite(void);
Suite *workflow_suite(void);
Suite *results_suite(void);

/* The stand-in server of the running test, started by the fixture. */
extern struct standin *srv;

/* The version rhq reports, for comparing with what it sends and prints. */
extern const char rhq_version[];

/* A test case whose tests each get a fresh stand-in on a free loopback port. */
TCase *server_tcase(const char *name);

/*
 * Runs rhq's code like rhq_run(), but on a clock that skips idle waits;
 * returns how long the run took on that clock, in seconds.
 */
double rhq_run_warped(struct proc *p, const char *in, const char *const env[],
    const char *const argv[]);

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV		((const char *const *)NULL)
#define NOARGS		((const char *const *)NULL)

/* Asserts a run's exit status, stdout and stderr exactly. */
#define ck_assert_run(p, st, out, err) do {				\
	ck_assert_msg((p)->status == (st), "exit status %d, want %d; stderr: %s",	\
	    (p)->status, (st), (p)->err_buf);				\
	ck_assert_str_eq((p)->out_buf, (out));				\
	ck_assert_str_eq((p)->err_buf, (err));				\
} while (0)

#endif
