/*
 * System tests of rhq under faults (issue 3): retries, replies, limits,
 * signals and pipes.  Each test runs the real rhq against a fresh stand-in;
 * the special task IDs (ids.h) select the stand-in's fault modes.
 *
 * Only 127.0.0.1 is ever contacted.  The one non-loopback name used,
 * rhq-test.invalid, cannot resolve (RFC 6761).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

/* Fast retries: the tests are about how often, not how long. */
#define FAST	"--retry-delay", "0.01"

/* The hint after a fatal key error. */
#define SITE_HINT	"rhq: a key works on one site only: a runninghub.cn key fails on " \
			"runninghub.ai and vice versa (see --site)\n"

/* ----------------------------------------------------------------- retries */

static const struct row retries[] = {
	/* The drop first: a reused connection that dies is retried inside libcurl. */
	{ .name = "transient once, then OK",
	  .in = ID_DROP_ONCE "\n" ID_500_ONCE "\n" ID_CUT_ONCE "\n" ID_502_ONCE "\n"
		ID_EMPTY_ONCE "\n" ID_CODE_421_ONCE "\n" ID_CODE_500_ONCE "\n"
		ID_CODE_1003_ONCE "\n",
	  .argv = ARGS(FAST),
	  .out = ID_DROP_ONCE "\tSUCCESS\n" ID_500_ONCE "\tSUCCESS\n" ID_CUT_ONCE "\tSUCCESS\n"
		 ID_502_ONCE "\tSUCCESS\n" ID_EMPTY_ONCE "\tSUCCESS\n"
		 ID_CODE_421_ONCE "\tSUCCESS\n" ID_CODE_500_ONCE "\tSUCCESS\n"
		 ID_CODE_1003_ONCE "\tSUCCESS\n",
	  .requests = 16,
	  .seen = { { ID_DROP_ONCE, 2 }, { ID_500_ONCE, 2 }, { ID_CUT_ONCE, 2 },
	      { ID_502_ONCE, 2 }, { ID_EMPTY_ONCE, 2 }, { ID_CODE_421_ONCE, 2 },
	      { ID_CODE_500_ONCE, 2 }, { ID_CODE_1003_ONCE, 2 } } },
	{ .name = "Retry-After is honoured", .warp = 1, .in = ID_429_ONCE "\n",
	  .argv = ARGS(FAST), .out = ID_429_ONCE "\tSUCCESS\n", .requests = 2,
	  .took_min = 0.9, .took_max = 10 },
	/* Empty, dropped and truncated replies are transient too: ERROR with no retries left. */
	{ .name = "no retries",
	  .in = ID_DROP_ONCE "\n" ID_CUT_ONCE "\n" ID_EMPTY_ONCE "\n3\n" ID_ALWAYS_503 "\n"
		ID_500_ONCE "\n" ID_CODE_421_ONCE "\n",
	  .argv = ARGS("--retries", "0", FAST), .status = 1,
	  .out = ID_DROP_ONCE "\tERROR\n" ID_CUT_ONCE "\tERROR\n" ID_EMPTY_ONCE "\tERROR\n"
		 "3\tSUCCESS\n" ID_ALWAYS_503 "\tERROR\n" ID_500_ONCE "\tERROR\n"
		 ID_CODE_421_ONCE "\tERROR\n",
	  .err_lines = ARGS("rhq: " ID_DROP_ONCE ": Empty reply from server*",
	      "rhq: " ID_CUT_ONCE ": transfer closed with*",
	      "rhq: " ID_EMPTY_ONCE ": *",
	      "rhq: " ID_ALWAYS_503 ": HTTP 503",
	      "rhq: " ID_500_ONCE ": HTTP 500",
	      "rhq: " ID_CODE_421_ONCE ": API error 421 (TASK_QUEUE_MAXED)"),
	  .requests = 7 },
	{ .name = "retries are reported under -v",
	  .in = ID_DROP_ONCE "\n" ID_500_ONCE "\n" ID_EMPTY_ONCE "\n", .argv = ARGS(FAST, "-v"),
	  .out = ID_DROP_ONCE "\tSUCCESS\n" ID_500_ONCE "\tSUCCESS\n" ID_EMPTY_ONCE "\tSUCCESS\n",
	  /* Each request has its line; each retry is reported after it. */
	  .err_lines = ARGS("rhq: " ID_DROP_ONCE ": HTTP *",
	      "rhq: " ID_DROP_ONCE ": Empty reply from server*retr*",
	      "rhq: " ID_DROP_ONCE ": HTTP 200, * connection",
	      "rhq: " ID_500_ONCE ": HTTP 500, * connection",
	      "rhq: " ID_500_ONCE ": HTTP 500*retr*",
	      "rhq: " ID_500_ONCE ": HTTP 200, * connection",
	      "rhq: " ID_EMPTY_ONCE ": HTTP 200, * connection",
	      "rhq: " ID_EMPTY_ONCE ": *retr*",
	      "rhq: " ID_EMPTY_ONCE ": HTTP 200, * connection"),
	  .requests = 6 },
	/* The backoff: 0.2 s then 0.4 s, each jittered into [0.5, 1.0] of itself. */
	{ .name = "always 503: backoff, then give up", .warp = 1,
	  .in = ID_ALWAYS_503 "\n3\n", .argv = ARGS("--retries", "2", "--retry-delay", "0.2"),
	  .status = 1, .out = ID_ALWAYS_503 "\tERROR\n3\tSUCCESS\n",
	  .err = "rhq: " ID_ALWAYS_503 ": HTTP 503\n",
	  .requests = 4, .seen = { { ID_ALWAYS_503, 3 }, { "3", 1 } },
	  .took_min = 0.29, .took_max = 5 },
	{ .name = "three retries by default", .in = ID_ALWAYS_500 "\n", .argv = ARGS(FAST),
	  .status = 1, .out = ID_ALWAYS_500 "\tERROR\n",
	  .err = "rhq: " ID_ALWAYS_500 ": HTTP 500\n",
	  .requests = 4 },
	/* libcurl's own timer: real time. */
	{ .name = "a slow reply times out", .in = ID_SLOW "\n3\n",
	  .argv = ARGS("--timeout", "0.5", "--retries", "1", FAST), .status = 1,
	  .out = ID_SLOW "\tERROR\n3\tSUCCESS\n",
	  .err_lines = ARGS("rhq: " ID_SLOW ": Operation timed out after *"),
	  .requests = 3, .seen = { { ID_SLOW, 2 } }, .took_min = 0.9, .took_max = 2.9 },
	{ .name = "connection refused is retried",
	  .env = ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"), .in = "3\n",
	  .argv = ARGS("--retries", "2", FAST, "-v"), .status = 1, .out = "3\tERROR\n",
	  /* Under -v: three request lines, two retry lines, then the failure. */
	  .err_lines = ARGS("rhq: 3: HTTP *",
	      "rhq: 3: Failed to connect to 127.0.0.1 port 1 *retr*",
	      "rhq: 3: HTTP *",
	      "rhq: 3: Failed to connect to 127.0.0.1 port 1 *retr*",
	      "rhq: 3: HTTP *",
	      "rhq: 3: Failed to connect to 127.0.0.1 port 1 *") },
	/* Retries never reorder rows, also with several requests in flight. */
	{ .name = "retries keep input order",
	  .in = ID_ALWAYS_503 "\n3\n" ID_500_ONCE "\n5\n" ID_DROP_ONCE "\n6\n" ID_502_ONCE "\n7\n"
		ID_EMPTY_ONCE "\n8\n",
	  .argv = ARGS("-j", "4", "--retries", "2", FAST), .status = 1,
	  .out = ID_ALWAYS_503 "\tERROR\n3\tSUCCESS\n" ID_500_ONCE "\tSUCCESS\n5\tRUNNING\n"
		 ID_DROP_ONCE "\tSUCCESS\n6\tFAILED\n" ID_502_ONCE "\tSUCCESS\n7\tSUCCESS\n"
		 ID_EMPTY_ONCE "\tSUCCESS\n8\tQUEUED\n",
	  .err = "rhq: " ID_ALWAYS_503 ": HTTP 503\n",
	  .requests = 16, .seen = { { ID_ALWAYS_503, 3 }, { ID_500_ONCE, 2 }, { "3", 1 } } },
};

/* ----------------------------------------------------------------- replies */

/* A fatal key error: rows before it are out, rows after it never asked for. */
#define FATAL(id, code, msg, hint)					\
	{ .name = "code " #code " is fatal", .in = "3\n" id "\n5\n", .status = 2,	\
	  .out = "3\tSUCCESS\n",						\
	  .err = "rhq: API error " #code " (" msg ") for task " id "\n" hint,	\
	  .requests = 2, .seen = { { id, 1 }, { "5", 0 } } }

/*
 * One run for many kinds of reply where the exit status stays what each
 * would give alone; a fatal error ends the run, so it has a row of its own.
 */
static const struct row replies[] = {
	{ .name = "replies that are states",
	  .in = ID_CODE_804 "\n" ID_CODE_813 "\n" ID_TRICKY "\n" ID_CHUNKED "\n" ID_GZIP "\n",
	  .out = ID_CODE_804 "\tRUNNING\n" ID_CODE_813 "\tQUEUED\n" ID_TRICKY "\tSUCCESS\n"
		 ID_CHUNKED "\tSUCCESS\n" ID_GZIP "\tSUCCESS\n",
	  .requests = 5 },
	/* NOT_FOUND rows alone make the exit status 1. */
	{ .name = "replies that are not found",
	  .in = ID_CODE_807 "\n" ID_CODE_423 "\n" ID_CODE_1004 "\n3\n", .status = 1,
	  .out = ID_CODE_807 "\tNOT_FOUND\n" ID_CODE_423 "\tNOT_FOUND\n"
		 ID_CODE_1004 "\tNOT_FOUND\n3\tSUCCESS\n",
	  .requests = 4 },
	/* Errors are not retried; a state with a TAB or newline never breaks a row. */
	{ .name = "replies that are errors",
	  .in = ID_CODE_301 "\n" ID_CODE_415 "\n" ID_CODE_805 "\n" ID_CODE_888 "\n"
		ID_HTTP_404 "\n3\n" ID_CUT_JSON "\n" ID_NOT_OBJECT "\n" ID_DATA_NULL "\n"
		ID_DATA_TAB "\n" ID_DATA_NEWLINE "\n" ID_LOWER_CASE "\n" ID_CANCEL "\n",
	  .status = 1,
	  .out = ID_CODE_301 "\tERROR\n" ID_CODE_415 "\tERROR\n" ID_CODE_805 "\tERROR\n"
		 ID_CODE_888 "\tERROR\n" ID_HTTP_404 "\tERROR\n3\tSUCCESS\n"
		 ID_CUT_JSON "\tERROR\n" ID_NOT_OBJECT "\tERROR\n"
		 ID_DATA_NULL "\tERROR\n" ID_DATA_TAB "\tERROR\n" ID_DATA_NEWLINE "\tERROR\n"
		 ID_LOWER_CASE "\tERROR\n" ID_CANCEL "\tCANCEL\n",
	  .err = "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n"
		 "rhq: " ID_CODE_415 ": API error 415 (TASK_INSTANCE_MAXED)\n"
		 "rhq: " ID_CODE_805 ": API error 805 (APIKEY_TASK_STATUS_ERROR)\n"
		 "rhq: " ID_CODE_888 ": API error 888 "
		 "(\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5)\n"
		 "rhq: " ID_HTTP_404 ": HTTP 404\n"
		 "rhq: " ID_CUT_JSON ": unparseable reply\n"
		 "rhq: " ID_NOT_OBJECT ": unparseable reply\n"
		 "rhq: " ID_DATA_NULL ": reply has no state (data is null)\n"
		 "rhq: " ID_DATA_TAB ": reply has an unexpected state\n"
		 "rhq: " ID_DATA_NEWLINE ": reply has an unexpected state\n"
		 "rhq: " ID_LOWER_CASE ": reply has an unexpected state\n",
	  /* A row each, so one request each. */
	  .requests = 13 },
	FATAL(ID_CODE_801, 801, "APIKEY_UNSUPPORTED_FREE_USER", ""),
	FATAL(ID_CODE_802, 802, "APIKEY_UNAUTHORIZED", SITE_HINT),
	FATAL(ID_CODE_806, 806, "APIKEY_USER_NOT_FOUND", SITE_HINT),
	FATAL(ID_CODE_811, 811, "CORPAPIKEY_INVALID", ""),
	FATAL(ID_CODE_812, 812, "CORPAPIKEY_INSUFFICIENT_FUNDS", ""),
	FATAL(ID_CODE_1002, 1002, "invalid API key", ""),
	{ .name = "Connection: close on every reply",
	  .in = ID_CLOSE "\n" ID_CLOSE "\n" ID_CLOSE "\n" ID_CLOSE "\n" ID_CLOSE "\n",
	  .argv = ARGS(FAST, "-v"),
	  .out = ID_CLOSE "\tSUCCESS\n" ID_CLOSE "\tSUCCESS\n" ID_CLOSE "\tSUCCESS\n"
		 ID_CLOSE "\tSUCCESS\n" ID_CLOSE "\tSUCCESS\n",
	  .err_lines = ARGS("rhq: " ID_CLOSE ": HTTP 200, * s, new connection",
	      "rhq: " ID_CLOSE ": HTTP 200, * s, new connection",
	      "rhq: " ID_CLOSE ": HTTP 200, * s, new connection",
	      "rhq: " ID_CLOSE ": HTTP 200, * s, new connection",
	      "rhq: " ID_CLOSE ": HTTP 200, * s, new connection"),
	  .requests = 5, .connections = 5 },
};

START_TEST(redirect_not_followed)
{
	struct standin *other = standin_start(0, 0);
	char location[128];

	ck_assert_ptr_nonnull(other);
	snprintf(location, sizeof location, "http://127.0.0.1:%u/task/openapi/status",
	    standin_port(other));
	standin_set_redirect(srv, location);
	run_row(&(struct row){ .name = "a redirect is not followed",
	    .in = ID_REDIRECT "\n3\n", .argv = ARGS(FAST), .status = 1,
	    .out = ID_REDIRECT "\tERROR\n3\tSUCCESS\n",
	    .err = "rhq: " ID_REDIRECT ": redirect (HTTP 307) not followed\n",
	    .requests = 2, .seen = { { ID_REDIRECT, 1 } } });
	ck_assert_uint_eq(standin_requests(other), 0);
	ck_assert_uint_eq(standin_connections(other), 0);
	standin_stop(other);
}
END_TEST

/* ------------------------------------------------------------------ limits */

static const struct row limits[] = {
	{ .name = "no plain http off loopback",
	  .env = ARGS("RUNNINGHUB_BASE_URL=http://example.com"), .in = "3\n", .status = 2,
	  .err = "rhq: refusing to send the API key over plain http to example.com: "
		 "use https (or --insecure-http)\n" },
	{ .name = "no plain http off loopback (--base-url)", .in = "3\n",
	  .argv = ARGS("--base-url", "http://rhq-test.invalid:8080/"), .status = 2,
	  .err = "rhq: refusing to send the API key over plain http to rhq-test.invalid: "
		 "use https (or --insecure-http)\n" },
	/* Allowed; nothing listens there. */
	{ .name = "plain http to localhost", .env = ARGS("RUNNINGHUB_BASE_URL=http://localhost:1"),
	  .argv = ARGS("--retries", "0"), .in = "3\n", .status = 1, .out = "3\tERROR\n",
	  .err_lines = ARGS("rhq: 3: *") },
	/* --insecure-http gets past the check: the name is then looked up (and cannot resolve). */
	{ .name = "--insecure-http lets it proceed",
	  .env = ARGS("RUNNINGHUB_BASE_URL=http://rhq-test.invalid"),
	  .argv = ARGS("--insecure-http", "--retries", "0", "--connect-timeout", "5"),
	  .in = "3\n", .status = 1, .out = "3\tERROR\n",
	  .err_lines = ARGS("rhq: 3: Could not resolve host: rhq-test.invalid*") },
	/* Loopback never needs it. */
	{ .name = "--insecure-http to loopback", .argv = ARGS("--insecure-http"), .in = "3\n",
	  .out = "3\tSUCCESS\n", .requests = 1 },
};

START_TEST(huge_reply_is_cut_off)
{
	struct proc p;
	long base;

	/* Also when the reply is small on the wire: a gzip bomb. */
	run_row(&(struct row){ .name = "huge replies are cut off",
	    .in = ID_HUGE "\n" ID_GZIP_BOMB "\n3\n", .argv = ARGS(FAST), .status = 1,
	    .out = ID_HUGE "\tERROR\n" ID_GZIP_BOMB "\tERROR\n3\tSUCCESS\n",
	    .err = "rhq: " ID_HUGE ": reply larger than 64 KiB\n"
		   "rhq: " ID_GZIP_BOMB ": reply larger than 64 KiB\n",
	    .requests = 3, .seen = { { ID_HUGE, 1 }, { ID_GZIP_BOMB, 1 } }, .took_max = 5 });

	/* Bounded memory: a 4 MiB reply costs no more than a small one (valgrind aside). */
	if (getenv("RHQ_WRAPPER") == NULL || *getenv("RHQ_WRAPPER") == '\0') {
		rhq_run(&p, "3\n", NOENV, ARGS(FAST));
		ck_assert_int_eq(p.status, 0);
		base = p.maxrss_kib;
		proc_free(&p);
		rhq_run(&p, ID_HUGE "\n" ID_HUGE "\n" ID_HUGE "\n", NOENV, ARGS(FAST));
		ck_assert_int_eq(p.status, 1);
		ck_assert_msg(p.maxrss_kib - base < 2048,
		    "peak memory %ld KiB, %ld KiB for a small reply", p.maxrss_kib, base);
		proc_free(&p);
	}
}
END_TEST

/* ---------------------------------------------------------------- mixed run */

/* One input line: its row's state (NULL: no row), the stderr line, the requests. */
struct mixed {
	const char *line, *state, *err;
	unsigned requests;
};

static const struct mixed mixed[] = {
	{ "1904152026220003300", "QUEUED", NULL, 1 },
	{ ID_500_ONCE, "SUCCESS", NULL, 2 },
	{ "abc", "INVALID", "", 0 },
	{ ID_429_ONCE, "SUCCESS", NULL, 2 },
	{ "1904152026220003301", "RUNNING", NULL, 1 },
	{ ID_DROP_ONCE, "SUCCESS", NULL, 2 },
	{ ID_CUT_ONCE, "SUCCESS", NULL, 2 },
	{ "# a comment", NULL, NULL, 0 },
	{ ID_502_ONCE, "SUCCESS", NULL, 2 },
	{ ID_ALWAYS_503, "ERROR", "rhq: " ID_ALWAYS_503 ": HTTP 503", 3 },
	{ ID_SLOW, "ERROR", "rhq: " ID_SLOW ": Operation timed out after *", 3 },
	{ "12x", "INVALID", "", 0 },
	{ ID_CUT_JSON, "ERROR", "rhq: " ID_CUT_JSON ": unparseable reply", 1 },
	{ ID_DATA_NULL, "ERROR", "rhq: " ID_DATA_NULL ": reply has no state (data is null)", 1 },
	{ ID_DATA_TAB, "ERROR", "rhq: " ID_DATA_TAB ": reply has an unexpected state", 1 },
	{ ID_DATA_NEWLINE, "ERROR", "rhq: " ID_DATA_NEWLINE ": reply has an unexpected state", 1 },
	{ "", NULL, NULL, 0 },
	{ ID_CHUNKED, "SUCCESS", NULL, 1 },
	{ ID_GZIP, "SUCCESS", NULL, 1 },
	{ ID_CLOSE, "SUCCESS", NULL, 1 },
	{ ID_REDIRECT, "ERROR", "rhq: " ID_REDIRECT ": redirect (HTTP 307) not followed", 1 },
	{ "1904152026220003302", "FAILED", NULL, 1 },
	{ ID_HUGE, "ERROR", "rhq: " ID_HUGE ": reply larger than 64 KiB", 1 },
	{ ID_ALWAYS_500, "ERROR", "rhq: " ID_ALWAYS_500 ": HTTP 500", 3 },
	{ ID_CODE_421_ONCE, "SUCCESS", NULL, 2 },
	{ ID_CODE_500_ONCE, "SUCCESS", NULL, 2 },
	{ ID_CODE_1003_ONCE, "SUCCESS", NULL, 2 },
	{ "0000", "INVALID", "", 0 },
	{ ID_THEN_SUCCESS, "QUEUED", NULL, 1 },
	{ ID_THEN_FAILED, "QUEUED", NULL, 1 },
	{ ID_RUNNING, "RUNNING", NULL, 1 },
	{ ID_TRICKY, "SUCCESS", NULL, 1 },
	{ ID_HTTP_404, "ERROR", "rhq: " ID_HTTP_404 ": HTTP 404", 1 },
	{ ID_CANCEL, "CANCEL", NULL, 1 },
	{ ID_LOWER_CASE, "ERROR", "rhq: " ID_LOWER_CASE ": reply has an unexpected state", 1 },
	{ ID_EMPTY_ONCE, "SUCCESS", NULL, 2 },
	{ ID_GZIP_BOMB, "ERROR", "rhq: " ID_GZIP_BOMB ": reply larger than 64 KiB", 1 },
	{ ID_NOT_OBJECT, "ERROR", "rhq: " ID_NOT_OBJECT ": unparseable reply", 1 },
	{ ID_CODE_807, "NOT_FOUND", NULL, 1 },
	{ ID_CODE_423, "NOT_FOUND", NULL, 1 },
	{ ID_CODE_1004, "NOT_FOUND", NULL, 1 },
	{ ID_CODE_301, "ERROR", "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)", 1 },
	{ ID_CODE_804, "RUNNING", NULL, 1 },
	{ ID_CODE_813, "QUEUED", NULL, 1 },
	{ "1904152026220003303", "SUCCESS", NULL, 1 },
};

/* Every kind of reply in one run: a row per ID, in input order, and the stderr lines. */
static void
run_mixed(const char *jobs)
{
	static char in[4096], out[4096], errs[NELEM(mixed)][96];
	const char *want_err[NELEM(mixed) + 1];
	size_t i, ne = 0, nrows = 0;
	unsigned requests = 0;

	in[0] = out[0] = '\0';
	for (i = 0; i < NELEM(mixed); i++) {
		strcat(in, mixed[i].line);
		strcat(in, "\n");
		requests += mixed[i].requests;
		if (mixed[i].state == NULL)
			continue;
		nrows++;
		strcat(out, mixed[i].line);
		strcat(out, "\t");
		strcat(out, mixed[i].state);
		strcat(out, "\n");
		if (mixed[i].err == NULL)
			continue;
		if (mixed[i].err[0] == '\0')
			snprintf(errs[ne], sizeof errs[ne], "rhq: line %zu: invalid task ID", i + 1);
		else
			snprintf(errs[ne], sizeof errs[ne], "%s", mixed[i].err);
		want_err[ne] = errs[ne];
		ne++;
	}
	want_err[ne] = NULL;
	ck_assert_uint_ge(nrows, 40);

	/*
	 * The timeout cuts ID_SLOW's 3 s short; under valgrind, with -j 8, it
	 * must not cut the others too.
	 */
	run_row(&(struct row){ .name = "every kind of reply", .in = in,
	    .argv = ARGS("-j", jobs, "--retries", "2", FAST, "--timeout",
	    slack(1) > 1 ? "1.5" : "0.5"), .status = 1,
	    .out = out, .err_any = want_err, .requests = requests });
	for (i = 0; i < NELEM(mixed); i++)
		if (mixed[i].requests > 0)
			ck_assert_msg(standin_requests_for(srv, mixed[i].line) == mixed[i].requests,
			    "%s: %u requests, want %u", mixed[i].line,
			    standin_requests_for(srv, mixed[i].line), mixed[i].requests);
}

START_TEST(mixed_run_one_row_per_id)
{
	run_mixed("1");
}
END_TEST

START_TEST(mixed_run_with_jobs)
{
	run_mixed("8");
}
END_TEST

/* ------------------------------------------------------------ the key stays */

#define SECRET	"some-unique-secret-5f3a9c"

static void
assert_no_key(const struct proc *p)
{
	ck_assert_msg(strstr(p->out_buf, SECRET) == NULL, "key on stdout: %s", p->out_buf);
	ck_assert_msg(strstr(p->err_buf, SECRET) == NULL, "key on stderr: %s", p->err_buf);
	ck_assert_msg(strstr(p->err_buf, "unique-secret") == NULL, "part of the key: %s",
	    p->err_buf);
}

START_TEST(key_never_printed)
{
	static const char in[] = "3\n" ID_500_ONCE "\n" ID_DROP_ONCE "\n" ID_CUT_ONCE "\n"
	    ID_502_ONCE "\n" ID_ALWAYS_503 "\n" ID_SLOW "\n" ID_CUT_JSON "\n" ID_DATA_NULL "\n"
	    ID_DATA_TAB "\n" ID_REDIRECT "\n" ID_HUGE "\n" ID_ALWAYS_500 "\n" ID_HTTP_404 "\n"
	    ID_GZIP_BOMB "\n" ID_NOT_OBJECT "\n" ID_CODE_301 "\n" ID_CODE_888 "\nabc\n"
	    ID_CODE_807 "\n" ID_CODE_802 "\n";
	const char *f = harness_file("key", SECRET "\n", 0, 0644);
	struct proc p;

	rhq_run(&p, in, ARGS("RUNNINGHUB_API_KEY=" SECRET),
	    ARGS("-v", "--retries", "1", FAST, "--timeout", "0.5"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "rhq: " ID_SLOW ": Operation timed out"));
	ck_assert_str_eq(standin_request(srv, 0)->authorization, "Bearer " SECRET);
	assert_no_key(&p);
	proc_free(&p);

	rhq_run(&p, in, ARGS("RUNNINGHUB_API_KEY=" SECRET),
	    ARGS("--json", "-s", "-a", "--retries", "0", "--timeout", "0.5"));
	assert_no_key(&p);
	proc_free(&p);

	/* From a file readable by others (the warning names the file, not the key). */
	rhq_run(&p, in, ARGS("RUNNINGHUB_API_KEY"),
	    ARGS("--api-key-file", f, "-v", "--retries", "0", "--timeout", "0.5"));
	ck_assert_ptr_nonnull(strstr(p.err_buf, "readable by others"));
	assert_no_key(&p);
	proc_free(&p);

	/* Transport failures and refusals. */
	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_API_KEY=" SECRET,
	    "RUNNINGHUB_BASE_URL=http://127.0.0.1:1"), ARGS("-v", "--retries", "1", FAST));
	ck_assert_int_eq(p.status, 1);
	assert_no_key(&p);
	proc_free(&p);
	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_API_KEY=" SECRET,
	    "RUNNINGHUB_BASE_URL=http://rhq-test.invalid"), ARGS("-v"));
	ck_assert_int_eq(p.status, 2);
	assert_no_key(&p);
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ signals */

/*
 * Signals are real: these tests wait for real time, as briefly as they can.
 * rhq must end soon after one, with whole rows on stdout.
 */
static void
assert_ended_by(struct proc *p, int sig, double took)
{
	proc_finish(p, harness_timeout());
	ck_assert_msg(p->status == 128 + sig, "exit status %d, want %d; stderr: %s", p->status,
	    128 + sig, p->err_buf);
	assert_complete_rows(p->out_buf);
	ck_assert_msg(took < slack(1.5), "ended %.3f s after the signal", took);
}

/* The signal arrives while rhq waits for more input. */
static void
assert_stops_while_reading(int sig)
{
	struct proc p;

	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, "3\n", 2);
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	proc_write(&p, "5\n", 2);
	ck_assert(proc_wait_lines(&p, 2, harness_timeout() / 2));
	ck_assert_int_eq(kill(p.pid, sig), 0);
	assert_ended_by(&p, sig, proc_wait_end(&p, 5));
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n5\tRUNNING\n");
	proc_free(&p);
}

START_TEST(sigint_while_reading)
{
	assert_stops_while_reading(SIGINT);
}
END_TEST

START_TEST(sigterm_while_reading)
{
	assert_stops_while_reading(SIGTERM);
}
END_TEST

/* Mid-run, with rows still coming: what was printed is a prefix of the run. */
START_TEST(sigint_mid_run)
{
	char in[2048], want[4096];
	struct proc p;

	make_ids(1, 50, in, want);
	proc_start(&p, NOENV, ARGS("--rate", "20", "-j", "4"));
	proc_write(&p, in, strlen(in));
	ck_assert(proc_wait_lines(&p, 3, harness_timeout() / 2));
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	assert_ended_by(&p, SIGINT, proc_wait_end(&p, 5));
	ck_assert_uint_ge(count_lines(p.out_buf), 3);
	ck_assert_uint_lt(count_lines(p.out_buf), 50);
	ck_assert_msg(strncmp(p.out_buf, want, strlen(p.out_buf)) == 0, "not a prefix: %s",
	    p.out_buf);
	proc_free(&p);
}
END_TEST

START_TEST(sigint_while_waiting_for_slow_reply)
{
	struct proc p;

	proc_start(&p, NOENV, ARGS("--timeout", "10", "3", ID_SLOW, "5"));
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	wait_for_request(ID_SLOW, 1);
	nap(0.1);
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	assert_ended_by(&p, SIGINT, proc_wait_end(&p, 5));
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	ck_assert_uint_eq(standin_requests_for(srv, "5"), 0);
	proc_free(&p);
}
END_TEST

/* Interrupted once it is at work, rhq must go on to its deadline (exit 3). */
START_TEST(ignored_sigint_stays_ignored)
{
	struct proc p;

	proc_spawn(&p, &(struct spawn){ .how = HOW_SIGINT_IGNORED,
	    .argv = ARGS("--wait", "--interval", "0.05", "--deadline", "0.6", ID_RUNNING) });
	wait_for_request(ID_RUNNING, 1);
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 3, ID_RUNNING "\tRUNNING\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	proc_free(&p);
}
END_TEST

/* -------------------------------------------------------------------- pipes */

START_TEST(head_ends_it_quietly)
{
	struct proc p;

	/* rhq's stderr is the shell's: nothing may come out there. */
	proc_spawn(&p, &(struct spawn){ .shell = "seq 1 500 | $RHQ | head -n 1" });
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 0, "1\tRUNNING\n", "");
	ck_assert_msg(p.took < slack(5), "the pipeline took %.3f s", p.took);
	proc_free(&p);
}
END_TEST

/* The reader goes away while rhq waits for input, and while it waits on a reply. */
START_TEST(closed_stdout_noticed_while_waiting)
{
	struct proc p;
	double took;

	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, "3\n", 2);
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	close(p.out);
	p.out = -1;
	took = proc_wait_end(&p, 5);
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 128 + SIGPIPE, "3\tSUCCESS\n", "");
	ck_assert_msg(took < slack(2), "ended %.3f s after its reader", took);
	proc_free(&p);

	/* The slow reply takes 3 s: rhq must not wait for it, nor ask for more. */
	proc_start(&p, NOENV, ARGS("--timeout", "10", "3", ID_SLOW, "5"));
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	wait_for_request(ID_SLOW, 1);
	close(p.out);
	p.out = -1;
	took = proc_wait_end(&p, 5);
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 128 + SIGPIPE, "3\tSUCCESS\n", "");
	ck_assert_msg(took < slack(2), "ended %.3f s after its reader", took);
	ck_assert_uint_eq(standin_requests_for(srv, "5"), 0);
	proc_free(&p);
}
END_TEST

ROW_TEST(retries)
ROW_TEST(replies)
ROW_TEST(limits)

Suite *
faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc;

	tc = server_tcase("retries");
	ADD_ROWS(tc, retries);
	suite_add_tcase(s, tc);

	tc = server_tcase("replies");
	ADD_ROWS(tc, replies);
	add_test(tc, redirect_not_followed);
	suite_add_tcase(s, tc);

	tc = server_tcase("limits");
	ADD_ROWS(tc, limits);
	add_test(tc, huge_reply_is_cut_off);
	add_test(tc, key_never_printed);
	suite_add_tcase(s, tc);

	tc = server_tcase("mixed");
	add_test(tc, mixed_run_one_row_per_id);
	add_test(tc, mixed_run_with_jobs);
	suite_add_tcase(s, tc);

	tc = server_tcase("signals");
	add_test(tc, sigint_while_reading);
	add_test(tc, sigterm_while_reading);
	add_test(tc, sigint_mid_run);
	add_test(tc, sigint_while_waiting_for_slow_reply);
	add_test(tc, ignored_sigint_stays_ignored);
	add_test(tc, head_ends_it_quietly);
	add_test(tc, closed_stdout_noticed_while_waiting);
	suite_add_tcase(s, tc);
	return s;
}
