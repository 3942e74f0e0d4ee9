/*
 * System tests of rhq under faults (issue 3): retries, limits, signals and
 * pipes.  Each test runs the real rhq against a fresh stand-in; the special
 * task IDs 91xx select the stand-in's fault modes (see standin.h).
 *
 * Only 127.0.0.1 is ever contacted.  The one non-loopback name used,
 * rhq-test.invalid, cannot resolve (RFC 6761).
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"

/* Fast retries: the tests are about how often, not how long. */
#define FAST	"--retry-delay", "0.01"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Does line [s, s+n) match pattern?  '*' in a pattern stands for any text (libcurl's). */
static int
line_matches(const char *s, size_t n, const char *pattern)
{
	char line[4096];

	if (n >= sizeof line)
		return 0;
	memcpy(line, s, n);
	line[n] = '\0';
	return fnmatch(pattern, line, FNM_NOESCAPE) == 0;
}

/*
 * Asserts that text consists of exactly the lines in want (NULL-terminated),
 * in that order.
 */
static void
assert_lines(const char *text, const char *const want[])
{
	const char *s = text, *e;
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		e = strchr(s, '\n');
		ck_assert_msg(e != NULL, "line %zu missing, want '%s'; got:\n%s", i + 1, want[i],
		    text);
		ck_assert_msg(line_matches(s, e - s, want[i]),
		    "line %zu is '%.*s', want '%s'; all:\n%s", i + 1, (int)(e - s), s, want[i],
		    text);
		s = e + 1;
	}
	ck_assert_msg(*s == '\0', "unexpected extra output: %s", s);
}

/* The same, in any order (stderr lines of different IDs, rows of --jobs). */
static void
assert_lines_any_order(const char *text, const char *const want[])
{
	size_t nwant = 0, i, nlines = 0;
	char used[256] = { 0 };
	const char *s, *e;

	while (want[nwant] != NULL)
		nwant++;
	ck_assert(nwant < sizeof used);
	for (s = text; (e = strchr(s, '\n')) != NULL; s = e + 1) {
		nlines++;
		for (i = 0; i < nwant; i++)
			if (!used[i] && line_matches(s, e - s, want[i]))
				break;
		ck_assert_msg(i < nwant, "unexpected line '%.*s'; all:\n%s", (int)(e - s), s,
		    text);
		used[i] = 1;
	}
	ck_assert_msg(*s == '\0', "unterminated line '%s'", s);
	for (i = 0; i < nwant; i++)
		ck_assert_msg(used[i], "missing line '%s'; got:\n%s", want[i], text);
	ck_assert_uint_eq(nlines, nwant);
}

/* Output ends on a row boundary and each row is ID TAB STATE. */
static void
assert_complete_rows(const char *out)
{
	const char *s, *e;

	ck_assert_msg(*out == '\0' || out[strlen(out) - 1] == '\n', "partial row: %s", out);
	for (s = out; (e = strchr(s, '\n')) != NULL; s = e + 1)
		ck_assert_msg(memchr(s, '\t', e - s) != NULL, "row without a TAB: '%.*s'",
		    (int)(e - s), s);
}

/* Waits until the stand-in has seen n requests for id. */
static void
wait_for_request(const char *id, unsigned n)
{
	double end = now() + harness_timeout();

	while (standin_requests_for(srv, id) < n && now() < end)
		nap(0.005);
	ck_assert_uint_ge(standin_requests_for(srv, id), n);
}

/* Reads rhq's output until it has closed both stdout and stderr (it ended). */
static void
wait_for_exit_output(struct proc *p, double seconds)
{
	proc_wait_lines(p, (size_t)-1, seconds);
}

/* -------------------------------------------------- transient, once, then OK */

START_TEST(server_error_once_is_retried)
{
	struct proc p;

	rhq_run(&p, "9100\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9100\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9100"), 2);
	proc_free(&p);
}
END_TEST

START_TEST(retry_after_is_honoured)
{
	struct proc p;
	double t0 = now(), took;

	rhq_run(&p, "9101\n", NOENV, ARGS(FAST));
	took = now() - t0;
	ck_assert_run(&p, 0, "9101\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9101"), 2);
	ck_assert_msg(took >= 0.9, "retried after %.3f s despite Retry-After: 1", took);
	ck_assert_msg(took < slack(10), "took %.3f s", took);
	proc_free(&p);
}
END_TEST

START_TEST(dropped_connection_once_is_retried)
{
	struct proc p;

	rhq_run(&p, "9102\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9102\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9102"), 2);
	proc_free(&p);
}
END_TEST

START_TEST(truncated_reply_once_is_retried)
{
	struct proc p;

	rhq_run(&p, "9103\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9103\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9103"), 2);
	proc_free(&p);
}
END_TEST

START_TEST(html_502_once_is_retried)
{
	struct proc p;

	rhq_run(&p, "9104\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9104\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9104"), 2);
	proc_free(&p);
}
END_TEST

START_TEST(empty_body_once_is_retried)
{
	struct proc p;

	rhq_run(&p, "9127\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9127\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9127"), 2);
	proc_free(&p);
}
END_TEST

START_TEST(transient_api_codes_are_retried)
{
	struct proc p;

	rhq_run(&p, "9117\n9118\n9119\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9117\tSUCCESS\n9118\tSUCCESS\n9119\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9117"), 2);
	ck_assert_uint_eq(standin_requests_for(srv, "9118"), 2);
	ck_assert_uint_eq(standin_requests_for(srv, "9119"), 2);
	proc_free(&p);
}
END_TEST

/* Empty, dropped and truncated replies are transient: with no retries left they are ERROR. */
START_TEST(empty_and_truncated_count_as_transient)
{
	struct proc p;

	rhq_run(&p, "9102\n9103\n9127\n3\n", NOENV, ARGS("--retries", "0"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out_buf, "9102\tERROR\n9103\tERROR\n9127\tERROR\n3\tSUCCESS\n");
	assert_lines(p.err_buf, ARGS(
	    "rhq: 9102: Empty reply from server*",
	    "rhq: 9103: transfer closed with*",
	    "rhq: 9127: *"));
	ck_assert_uint_eq(standin_requests_for(srv, "9102"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9103"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9127"), 1);
	proc_free(&p);

	/* The next run meets the normal replies. */
	rhq_run(&p, "9102\n9103\n9127\n", NOENV, ARGS("--retries", "0"));
	ck_assert_run(&p, 0, "9102\tSUCCESS\n9103\tSUCCESS\n9127\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(retries_are_reported_under_verbose)
{
	struct proc p;

	/* 9102 first: a reused connection that dies is retried inside libcurl. */
	rhq_run(&p, "9102\n9100\n9127\n", NOENV, ARGS(FAST, "-v"));
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out_buf, "9102\tSUCCESS\n9100\tSUCCESS\n9127\tSUCCESS\n");
	/* Each request has its line; each retry is reported after it. */
	assert_lines(p.err_buf, ARGS(
	    "rhq: 9102: HTTP *",
	    "rhq: 9102: Empty reply from server*retr*",
	    "rhq: 9102: HTTP 200, * connection",
	    "rhq: 9100: HTTP 500, * connection",
	    "rhq: 9100: HTTP 500*retr*",
	    "rhq: 9100: HTTP 200, * connection",
	    "rhq: 9127: HTTP 200, * connection",
	    "rhq: 9127: *retr*",
	    "rhq: 9127: HTTP 200, * connection"));
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------ transient, always: give up */

START_TEST(always_503_gives_up)
{
	struct proc p;

	rhq_run(&p, "9105\n3\n", NOENV, ARGS("--retries", "2", FAST));
	ck_assert_run(&p, 1, "9105\tERROR\n3\tSUCCESS\n", "rhq: 9105: HTTP 503\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9105"), 3);
	ck_assert_uint_eq(standin_requests_for(srv, "3"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(default_is_three_retries)
{
	struct proc p;

	rhq_run(&p, "9116\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9116\tERROR\n", "rhq: 9116: HTTP 500\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9116"), 4);
	proc_free(&p);
}
END_TEST

START_TEST(no_retries)
{
	struct proc p;

	rhq_run(&p, "9105\n9100\n9117\n", NOENV, ARGS("--retries", "0", FAST));
	ck_assert_run(&p, 1, "9105\tERROR\n9100\tERROR\n9117\tERROR\n",
	    "rhq: 9105: HTTP 503\n"
	    "rhq: 9100: HTTP 500\n"
	    "rhq: 9117: API error 421 (TASK_QUEUE_MAXED)\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9105"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9100"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9117"), 1);
	proc_free(&p);
}
END_TEST

/* The backoff itself: 0.2 s then 0.4 s, each jittered into [0.5, 1.0] of itself. */
START_TEST(backoff_delays_are_waited)
{
	struct proc p;
	double took;

	took = rhq_run_warped(&p, "9105\n", NOENV, ARGS("--retries", "2", "--retry-delay", "0.2"));
	ck_assert_run(&p, 1, "9105\tERROR\n", "rhq: 9105: HTTP 503\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9105"), 3);
	ck_assert_msg(took >= 0.29, "3 attempts in %.3f s", took);
	ck_assert_msg(took < slack(5), "took %.3f s", took);
	proc_free(&p);
}
END_TEST

START_TEST(slow_reply_times_out)
{
	struct proc p;
	double t0 = now(), took;

	rhq_run(&p, "9106\n3\n", NOENV, ARGS("--timeout", "0.5", "--retries", "1", FAST));
	took = now() - t0;
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out_buf, "9106\tERROR\n3\tSUCCESS\n");
	assert_lines(p.err_buf, ARGS("rhq: 9106: Operation timed out after *"));
	ck_assert_uint_eq(standin_requests_for(srv, "9106"), 2);
	ck_assert_msg(took >= 0.9 && took < slack(2.9), "took %.3f s", took);
	proc_free(&p);
}
END_TEST

START_TEST(connection_refused_is_retried)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("--retries", "2", FAST, "-v"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out_buf, "3\tERROR\n");
	/* Under -v: three request lines, two retry lines, then the failure. */
	assert_lines(p.err_buf, ARGS(
	    "rhq: 3: HTTP *",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *retr*",
	    "rhq: 3: HTTP *",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *retr*",
	    "rhq: 3: HTTP *",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *"));
	proc_free(&p);
}
END_TEST

/* Retries never reorder rows, also with several requests in flight. */
START_TEST(retries_keep_input_order)
{
	static const char in[] = "9105\n3\n9100\n5\n9102\n6\n9104\n7\n9127\n8\n";
	static const char want[] = "9105\tERROR\n3\tSUCCESS\n9100\tSUCCESS\n5\tRUNNING\n"
	    "9102\tSUCCESS\n6\tFAILED\n9104\tSUCCESS\n7\tSUCCESS\n9127\tSUCCESS\n8\tQUEUED\n";
	struct proc p;

	rhq_run(&p, in, NOENV, ARGS("-j", "4", "--retries", "2", FAST));
	ck_assert_run(&p, 1, want, "rhq: 9105: HTTP 503\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9105"), 3);
	ck_assert_uint_eq(standin_requests_for(srv, "9100"), 2);
	ck_assert_uint_eq(standin_requests_for(srv, "3"), 1);
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------- not retried at all */

START_TEST(malformed_json_not_retried)
{
	struct proc p;

	rhq_run(&p, "9107\n9129\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9107\tERROR\n9129\tERROR\n",
	    "rhq: 9107: unparseable reply\nrhq: 9129: unparseable reply\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9107"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9129"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(code_807_is_not_found)
{
	struct proc p;

	rhq_run(&p, "9807\n3\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9807\tNOT_FOUND\n3\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9807"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(code_802_is_fatal)
{
	struct proc p;

	rhq_run(&p, "3\n9802\n5\n", NOENV, ARGS(FAST));
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	assert_lines(p.err_buf, ARGS(
	    "rhq: API error 802 (APIKEY_UNAUTHORIZED)*",
	    "rhq: a key works on one site only: a runninghub.cn key fails on runninghub.ai "
	    "and vice versa (see --site)"));
	ck_assert_uint_eq(standin_requests_for(srv, "9802"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "5"), 0);
	proc_free(&p);
}
END_TEST

START_TEST(data_null_is_error)
{
	struct proc p;

	rhq_run(&p, "9108\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9108\tERROR\n", "rhq: 9108: reply has no state (data is null)\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9108"), 1);
	proc_free(&p);
}
END_TEST

/* A state with a TAB or newline in it must never break a row. */
START_TEST(data_with_tab_or_newline_is_error)
{
	struct proc p;

	rhq_run(&p, "9109\n9110\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9109\tERROR\n9110\tERROR\n",
	    "rhq: 9109: reply has an unexpected state\n"
	    "rhq: 9110: reply has an unexpected state\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9109"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9110"), 1);
	proc_free(&p);

	rhq_run(&p, "9109\n9110\n", NOENV, ARGS("--json"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_uint_eq(count_lines(p.out_buf), 2);
	ck_assert(strncmp(p.out_buf, "{\"id\":\"9109\",\"state\":\"ERROR\"", 28) == 0);
	proc_free(&p);
}
END_TEST

START_TEST(redirect_not_followed)
{
	struct standin *other = standin_start(0, 0);
	char location[128];
	struct proc p;

	ck_assert_ptr_nonnull(other);
	snprintf(location, sizeof location, "http://127.0.0.1:%u/task/openapi/status",
	    standin_port(other));
	standin_set_redirect(srv, location);
	rhq_run(&p, "9114\n3\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9114\tERROR\n3\tSUCCESS\n",
	    "rhq: 9114: redirect (HTTP 307) not followed\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9114"), 1);
	ck_assert_uint_eq(standin_requests(other), 0);
	ck_assert_uint_eq(standin_connections(other), 0);
	proc_free(&p);
	standin_stop(other);
}
END_TEST

/* ------------------------------------------------------------ reply formats */

START_TEST(chunked_reply)
{
	struct proc p;

	rhq_run(&p, "9111\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9111\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9111"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(gzip_reply)
{
	struct proc p;

	rhq_run(&p, "9112\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 0, "9112\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9112"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(connection_close_on_every_reply)
{
	struct proc p;
	const char *s;
	unsigned fresh = 0;

	rhq_run(&p, "9113\n9113\n9113\n9113\n9113\n", NOENV, ARGS(FAST, "-v"));
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out_buf, "9113\tSUCCESS\n9113\tSUCCESS\n9113\tSUCCESS\n"
	    "9113\tSUCCESS\n9113\tSUCCESS\n");
	ck_assert_uint_eq(standin_requests(srv), 5);
	ck_assert_uint_eq(standin_connections(srv), 5);
	for (s = p.err_buf; (s = strstr(s, "new connection\n")) != NULL; s++)
		fresh++;
	ck_assert_uint_eq(fresh, 5);
	ck_assert_uint_eq(count_lines(p.err_buf), 5);
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ limits */

/*
 * The peak memory of one rhq run, in KiB, measured in a child process of
 * its own so that RUSAGE_CHILDREN covers that run only.
 */
static long
peak_kib(const char *in, const char *const argv[])
{
	int fds[2], st;
	long kib = -1;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		struct proc p;
		struct rusage ru;

		close(fds[0]);
		rhq_run(&p, in, NOENV, argv);
		if (getrusage(RUSAGE_CHILDREN, &ru) == 0 && p.status >= 0)
			kib = ru.ru_maxrss;
		if (write(fds[1], &kib, sizeof kib) != sizeof kib)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &kib, sizeof kib), sizeof kib);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(kib > 0, "run failed");
	return kib;
}

START_TEST(huge_reply_is_cut_off)
{
	struct proc p;
	double t0 = now(), took;
	long base, huge;

	rhq_run(&p, "9115\n3\n", NOENV, ARGS(FAST));
	took = now() - t0;
	ck_assert_run(&p, 1, "9115\tERROR\n3\tSUCCESS\n", "rhq: 9115: reply larger than 64 KiB\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9115"), 1);
	ck_assert_msg(took < slack(5), "took %.3f s", took);
	proc_free(&p);

	/* Bounded memory: a 4 MiB reply costs no more than a small one (valgrind aside). */
	if (getenv("RHQ_WRAPPER") == NULL || *getenv("RHQ_WRAPPER") == '\0') {
		base = peak_kib("3\n", ARGS(FAST));
		huge = peak_kib("9115\n9115\n9115\n", ARGS(FAST));
		ck_assert_msg(huge - base < 2048, "peak memory %ld KiB, %ld KiB for a small reply",
		    huge, base);
	}
}
END_TEST

START_TEST(gzip_bomb_is_cut_off)
{
	struct proc p;

	rhq_run(&p, "9128\n3\n", NOENV, ARGS(FAST));
	ck_assert_run(&p, 1, "9128\tERROR\n3\tSUCCESS\n", "rhq: 9128: reply larger than 64 KiB\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9128"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(plain_http_refused_off_loopback)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://example.com"), NOARGS);
	ck_assert_run(&p, 2, "", "rhq: refusing to send the API key over plain http to "
	    "example.com: use https (or --insecure-http)\n");
	proc_free(&p);

	rhq_run(&p, "3\n", NOENV, ARGS("--base-url", "http://rhq-test.invalid:8080/"));
	ck_assert_run(&p, 2, "", "rhq: refusing to send the API key over plain http to "
	    "rhq-test.invalid: use https (or --insecure-http)\n");
	proc_free(&p);
}
END_TEST

/* --insecure-http gets past the check: the name is then looked up (and cannot resolve). */
START_TEST(insecure_http_lets_it_proceed)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://rhq-test.invalid"),
	    ARGS("--insecure-http", "--retries", "0", "--connect-timeout", "5"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out_buf, "3\tERROR\n");
	assert_lines(p.err_buf, ARGS("rhq: 3: Could not resolve host: rhq-test.invalid*"));
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);

	/* Loopback never needs it. */
	rhq_run(&p, "3\n", NOENV, ARGS("--insecure-http"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	proc_free(&p);
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
	{ "9100", "SUCCESS", NULL, 2 },
	{ "abc", "INVALID", "", 0 },
	{ "9101", "SUCCESS", NULL, 2 },
	{ "1904152026220003301", "RUNNING", NULL, 1 },
	{ "9102", "SUCCESS", NULL, 2 },
	{ "9103", "SUCCESS", NULL, 2 },
	{ "# a comment", NULL, NULL, 0 },
	{ "9104", "SUCCESS", NULL, 2 },
	{ "9105", "ERROR", "rhq: 9105: HTTP 503", 3 },
	{ "9106", "ERROR", "rhq: 9106: Operation timed out after *", 3 },
	{ "12x", "INVALID", "", 0 },
	{ "9107", "ERROR", "rhq: 9107: unparseable reply", 1 },
	{ "9108", "ERROR", "rhq: 9108: reply has no state (data is null)", 1 },
	{ "9109", "ERROR", "rhq: 9109: reply has an unexpected state", 1 },
	{ "9110", "ERROR", "rhq: 9110: reply has an unexpected state", 1 },
	{ "", NULL, NULL, 0 },
	{ "9111", "SUCCESS", NULL, 1 },
	{ "9112", "SUCCESS", NULL, 1 },
	{ "9113", "SUCCESS", NULL, 1 },
	{ "9114", "ERROR", "rhq: 9114: redirect (HTTP 307) not followed", 1 },
	{ "1904152026220003302", "FAILED", NULL, 1 },
	{ "9115", "ERROR", "rhq: 9115: reply larger than 64 KiB", 1 },
	{ "9116", "ERROR", "rhq: 9116: HTTP 500", 3 },
	{ "9117", "SUCCESS", NULL, 2 },
	{ "9118", "SUCCESS", NULL, 2 },
	{ "9119", "SUCCESS", NULL, 2 },
	{ "0000", "INVALID", "", 0 },
	{ "9120", "QUEUED", NULL, 1 },
	{ "9121", "QUEUED", NULL, 1 },
	{ "9122", "RUNNING", NULL, 1 },
	{ "9123", "SUCCESS", NULL, 1 },
	{ "9124", "ERROR", "rhq: 9124: HTTP 404", 1 },
	{ "9125", "CANCEL", NULL, 1 },
	{ "9126", "ERROR", "rhq: 9126: reply has an unexpected state", 1 },
	{ "9127", "SUCCESS", NULL, 2 },
	{ "9128", "ERROR", "rhq: 9128: reply larger than 64 KiB", 1 },
	{ "9129", "ERROR", "rhq: 9129: unparseable reply", 1 },
	{ "9807", "NOT_FOUND", NULL, 1 },
	{ "9423", "NOT_FOUND", NULL, 1 },
	{ "91004", "NOT_FOUND", NULL, 1 },
	{ "9301", "ERROR", "rhq: 9301: API error 301 (PARAMS_INVALID)", 1 },
	{ "9804", "RUNNING", NULL, 1 },
	{ "9813", "QUEUED", NULL, 1 },
	{ "1904152026220003303", "SUCCESS", NULL, 1 },
};

#define NMIXED	(sizeof mixed / sizeof *mixed)

static void
run_mixed(const char *jobs)
{
	static char in[4096], out[4096], errs[NMIXED][96];
	const char *want_err[NMIXED + 1];
	size_t i, ne = 0, nrows = 0;
	struct proc p;

	in[0] = out[0] = '\0';
	for (i = 0; i < NMIXED; i++) {
		strcat(in, mixed[i].line);
		strcat(in, "\n");
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

	rhq_run(&p, in, NOENV, ARGS("-j", jobs, "--retries", "2", FAST, "--timeout", "0.5"));
	ck_assert_msg(p.status == 1, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, out);
	assert_lines_any_order(p.err_buf, want_err);
	for (i = 0; i < NMIXED; i++)
		if (mixed[i].requests > 0)
			ck_assert_msg(standin_requests_for(srv, mixed[i].line) == mixed[i].requests,
			    "%s: %u requests, want %u", mixed[i].line,
			    standin_requests_for(srv, mixed[i].line), mixed[i].requests);
	proc_free(&p);
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
	static const char in[] = "3\n9100\n9102\n9103\n9104\n9105\n9106\n9107\n9108\n9109\n"
	    "9114\n9115\n9116\n9124\n9128\n9129\n9301\n9888\nabc\n9807\n9802\n";
	const char *f = harness_file("key", SECRET "\n", 0644);
	struct proc p;

	rhq_run(&p, in, ARGS("RUNNINGHUB_API_KEY=" SECRET),
	    ARGS("-v", "--retries", "1", FAST, "--timeout", "0.5"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "rhq: 9106: Operation timed out"));
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

/* Stops rhq with sig while it waits for more input; returns the seconds it took to end. */
static double
signal_while_reading(struct proc *p, int sig)
{
	double t0;

	proc_start(p, NOENV, NOARGS);
	proc_write(p, "3\n", 2);
	ck_assert(proc_wait_lines(p, 1, harness_timeout() / 2));
	proc_write(p, "5\n", 2);
	ck_assert(proc_wait_lines(p, 2, harness_timeout() / 2));
	t0 = now();
	ck_assert_int_eq(kill(p->pid, sig), 0);
	wait_for_exit_output(p, 5);
	t0 = now() - t0;
	proc_finish(p, harness_timeout());
	return t0;
}

/* The signal arrives while rhq waits for more input: whole rows, exit by the signal. */
static void
assert_stops_on(int sig)
{
	struct proc p;
	double took = signal_while_reading(&p, sig);

	ck_assert_msg(p.status == 128 + sig, "exit status %d, want %d; stderr: %s", p.status,
	    128 + sig, p.err_buf);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n5\tRUNNING\n");
	assert_complete_rows(p.out_buf);
	ck_assert_msg(took < slack(1.5), "ended %.3f s after the signal", took);
	proc_free(&p);
}

START_TEST(sigint_while_reading)
{
	assert_stops_on(SIGINT);
}
END_TEST

START_TEST(sigterm_while_reading)
{
	assert_stops_on(SIGTERM);
}
END_TEST

/* Mid-run, with rows still coming: what was printed is whole rows, a prefix of the run. */
START_TEST(sigint_mid_run)
{
	char in[2048] = "", want[4096] = "", line[64];
	static const char *states[] = { "QUEUED", "RUNNING", "FAILED", "SUCCESS" };
	struct proc p;
	double t0;
	int i;

	for (i = 1; i <= 50; i++) {
		snprintf(line, sizeof line, "%d\n", i);
		strcat(in, line);
		snprintf(line, sizeof line, "%d\t%s\n", i, states[i % 4]);
		strcat(want, line);
	}
	proc_start(&p, NOENV, ARGS("--rate", "20", "-j", "4"));
	proc_write(&p, in, strlen(in));
	ck_assert(proc_wait_lines(&p, 3, harness_timeout() / 2));
	t0 = now();
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	wait_for_exit_output(&p, 5);
	t0 = now() - t0;
	proc_finish(&p, harness_timeout());
	ck_assert_msg(p.status == 130, "exit status %d, want 130; stderr: %s", p.status,
	    p.err_buf);
	assert_complete_rows(p.out_buf);
	ck_assert_uint_ge(count_lines(p.out_buf), 3);
	ck_assert_uint_lt(count_lines(p.out_buf), 50);
	ck_assert_msg(strncmp(p.out_buf, want, strlen(p.out_buf)) == 0, "not a prefix: %s",
	    p.out_buf);
	ck_assert_msg(t0 < slack(1.5), "ended %.3f s after the signal", t0);
	proc_free(&p);
}
END_TEST

START_TEST(sigint_while_waiting_for_slow_reply)
{
	struct proc p;
	double t0;

	proc_start(&p, NOENV, ARGS("--timeout", "10", "3", "9106", "5"));
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	wait_for_request("9106", 1);
	nap(0.1);
	t0 = now();
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	wait_for_exit_output(&p, 5);
	t0 = now() - t0;
	proc_finish(&p, harness_timeout());
	ck_assert_msg(p.status == 130, "exit status %d, want 130; stderr: %s", p.status,
	    p.err_buf);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	ck_assert_msg(t0 < slack(1.5), "ended %.3f s after the signal", t0);
	ck_assert_uint_eq(standin_requests_for(srv, "5"), 0);
	proc_free(&p);
}
END_TEST

/* -------------------------------------------------------------------- pipes */

/*
 * Runs `sh -c script` with rhq's environment plus $RHQ (the command, with
 * $RHQ_WRAPPER) and $ERRFILE, and collects its stdout.  Returns the exit
 * status (-1 if it had to be killed) and the seconds it took.
 */
static int
sh_run(const char *script, const char *errfile, char *out, size_t size, double *took)
{
	static char base[300], path[4096], cmd[1024], errenv[600], asan[512], ubsan[512];
	const char *rhq = getenv("RHQ"), *wrap = getenv("RHQ_WRAPPER");
	char *envp[] = { "RUNNINGHUB_API_KEY=testkey", base, path, cmd, errenv, asan, ubsan,
	    NULL };
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	double t0 = now(), end = t0 + harness_timeout();
	size_t len = 0;
	int fds[2], st, killed = 0;
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;

	snprintf(base, sizeof base, "RUNNINGHUB_BASE_URL=%s", harness_base_url);
	snprintf(path, sizeof path, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/bin:/usr/bin");
	snprintf(cmd, sizeof cmd, "RHQ=%s%s%s", wrap && *wrap ? wrap : "",
	    wrap && *wrap ? " " : "", rhq && *rhq ? rhq : "./rhq");
	snprintf(errenv, sizeof errenv, "ERRFILE=%s", errfile);
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s",
	    getenv("RHQ_ASAN_OPTIONS") ? getenv("RHQ_ASAN_OPTIONS") : "");
	snprintf(ubsan, sizeof ubsan, "UBSAN_OPTIONS=%s",
	    getenv("RHQ_UBSAN_OPTIONS") ? getenv("RHQ_UBSAN_OPTIONS") : "");

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	close(fds[1]);
	out[0] = '\0';
	for (;;) {
		pfd = (struct pollfd){ fds[0], POLLIN, 0 };
		if (now() > end) {
			kill(-pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fds[0], out + len, size - 1 - len);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			len += n;
		out[len] = '\0';
		if (len == size - 1)
			break;
	}
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*took = now() - t0;
	if (killed)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *
slurp_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(head_ends_it_quietly)
{
	char errfile[512], out[4096];
	double took;
	int st;

	snprintf(errfile, sizeof errfile, "%s", harness_file("err", "", 0600));
	st = sh_run("seq 1 500 | $RHQ 2>\"$ERRFILE\" | head -n 1", errfile, out, sizeof out,
	    &took);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "1\tRUNNING\n");
	ck_assert_str_eq(slurp_file(errfile), "");
	ck_assert_msg(took < slack(5), "the pipeline took %.3f s", took);
}
END_TEST

/* head is gone while rhq waits on a slow reply: it notices and ends, quietly. */
START_TEST(head_ends_it_while_waiting_for_reply)
{
	char errfile[512], out[4096];
	double took;
	int st;

	snprintf(errfile, sizeof errfile, "%s", harness_file("err", "", 0600));
	st = sh_run("$RHQ --timeout 10 3 9106 5 2>\"$ERRFILE\" | head -n 1", errfile, out,
	    sizeof out, &took);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "3\tSUCCESS\n");
	ck_assert_str_eq(slurp_file(errfile), "");
	/* The slow reply takes 3 s: rhq must not wait for it. */
	ck_assert_msg(took < slack(2.5), "the pipeline took %.3f s", took);
	ck_assert_uint_eq(standin_requests_for(srv, "5"), 0);
}
END_TEST

/* The reader goes away while rhq waits for input, and while it waits on a reply. */
START_TEST(closed_stdout_noticed_while_waiting)
{
	struct proc p;
	double t0;

	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, "3\n", 2);
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	t0 = now();
	close(p.out);
	p.out = -1;
	wait_for_exit_output(&p, 5);
	t0 = now() - t0;
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 128 + SIGPIPE, "3\tSUCCESS\n", "");
	ck_assert_msg(t0 < slack(2), "ended %.3f s after its reader", t0);
	proc_free(&p);

	proc_start(&p, NOENV, ARGS("--timeout", "10", "3", "9106"));
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	wait_for_request("9106", 1);
	t0 = now();
	close(p.out);
	p.out = -1;
	wait_for_exit_output(&p, 5);
	t0 = now() - t0;
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 128 + SIGPIPE, "3\tSUCCESS\n", "");
	ck_assert_msg(t0 < slack(2), "ended %.3f s after its reader", t0);
	proc_free(&p);
}
END_TEST

Suite *
faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = server_tcase("retries");

	tcase_add_test(tc, server_error_once_is_retried);
	tcase_add_test(tc, retry_after_is_honoured);
	tcase_add_test(tc, dropped_connection_once_is_retried);
	tcase_add_test(tc, truncated_reply_once_is_retried);
	tcase_add_test(tc, html_502_once_is_retried);
	tcase_add_test(tc, empty_body_once_is_retried);
	tcase_add_test(tc, transient_api_codes_are_retried);
	tcase_add_test(tc, empty_and_truncated_count_as_transient);
	tcase_add_test(tc, retries_are_reported_under_verbose);
	tcase_add_test(tc, always_503_gives_up);
	tcase_add_test(tc, default_is_three_retries);
	tcase_add_test(tc, no_retries);
	tcase_add_test(tc, backoff_delays_are_waited);
	tcase_add_test(tc, slow_reply_times_out);
	tcase_add_test(tc, connection_refused_is_retried);
	tcase_add_test(tc, retries_keep_input_order);
	suite_add_tcase(s, tc);

	tc = server_tcase("replies");
	tcase_add_test(tc, malformed_json_not_retried);
	tcase_add_test(tc, code_807_is_not_found);
	tcase_add_test(tc, code_802_is_fatal);
	tcase_add_test(tc, data_null_is_error);
	tcase_add_test(tc, data_with_tab_or_newline_is_error);
	tcase_add_test(tc, redirect_not_followed);
	tcase_add_test(tc, chunked_reply);
	tcase_add_test(tc, gzip_reply);
	tcase_add_test(tc, connection_close_on_every_reply);
	suite_add_tcase(s, tc);

	tc = server_tcase("limits");
	tcase_add_test(tc, huge_reply_is_cut_off);
	tcase_add_test(tc, gzip_bomb_is_cut_off);
	tcase_add_test(tc, plain_http_refused_off_loopback);
	tcase_add_test(tc, insecure_http_lets_it_proceed);
	tcase_add_test(tc, key_never_printed);
	suite_add_tcase(s, tc);

	tc = server_tcase("mixed");
	tcase_add_test(tc, mixed_run_one_row_per_id);
	tcase_add_test(tc, mixed_run_with_jobs);
	suite_add_tcase(s, tc);

	tc = server_tcase("signals");
	tcase_add_test(tc, sigint_while_reading);
	tcase_add_test(tc, sigterm_while_reading);
	tcase_add_test(tc, sigint_mid_run);
	tcase_add_test(tc, sigint_while_waiting_for_slow_reply);
	tcase_add_test(tc, head_ends_it_quietly);
	tcase_add_test(tc, head_ends_it_while_waiting_for_reply);
	tcase_add_test(tc, closed_stdout_noticed_while_waiting);
	suite_add_tcase(s, tc);
	return s;
}
