/*
 * System tests of rhq when the API stalls, throttles or goes away, and of
 * the holes a hostile review found (issue 10).  Each test runs rhq against a
 * fresh stand-in; replies that no special task ID gives are scripted with
 * standin_script(), outages with standin_set_fault() on rhq's own clock.
 *
 * Only 127.0.0.1 is ever contacted.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "suites.h"

/* ------------------------------------------------------------ helpers */

/* How many lines of text match pattern. */
static size_t
count_matching(const char *text, const char *pattern)
{
	const char *s, *e;
	size_t n = 0;

	for (s = text; (e = strchr(s, '\n')) != NULL; s = e + 1)
		n += glob_line(s, e - s, pattern);
	return n;
}

/*
 * Puts an outage in rhq's time: from `from` to `until` seconds after the
 * start of the warped run that follows, every connection is reset.
 */
static void
outage(enum standin_fault kind, double from, double until)
{
	standin_set_clock(srv, rhq_clock);
	standin_set_fault(srv, kind, from, until);
}

/* With RHQ_TEST_FIGURES set, a test tells the figures it measured. */
static void
figure(const char *fmt, ...)
{
	va_list ap;

	if (getenv("RHQ_TEST_FIGURES") == NULL)
		return;
	va_start(ap, fmt);
	fputs("figure: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Scripts a reply with HTTP 200 for id, for every request. */
static void
script(const char *id, const char *body)
{
	ck_assert_int_eq(standin_script(srv, id, 200, body, NULL, 0), 0);
}

/* ------------------------------------------- section 5: hostile input */

/* A plain-http URL never goes through a proxy: the key would travel in clear to it. */
START_TEST(no_proxy_over_plain_http)
{
	struct standin *proxy = standin_start(0, 0);
	char url[64], env[4][96];
	const char *envp[5];
	struct proc p;
	int i;

	ck_assert_ptr_nonnull(proxy);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", standin_port(proxy));
	snprintf(env[0], sizeof env[0], "http_proxy=%s", url);
	snprintf(env[1], sizeof env[1], "HTTPS_PROXY=%s", url);
	snprintf(env[2], sizeof env[2], "ALL_PROXY=%s", url);
	snprintf(env[3], sizeof env[3], "all_proxy=%s", url);
	for (i = 0; i < 4; i++)
		envp[i] = env[i];
	envp[4] = NULL;
	rhq_run(&p, "3\n", envp, NOARGS);
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests(proxy), 0);
	ck_assert_uint_eq(standin_requests(srv), 1);
	proc_free(&p);

	/* --insecure-http: the user said plain http is fine, proxies included. */
	rhq_run(&p, "3\n", envp, ARGS("--insecure-http", "--retries", "0"));
	ck_assert_uint_eq(standin_requests(proxy), 1);
	ck_assert_uint_eq(standin_requests(srv), 1);
	proc_free(&p);
	standin_stop(proxy);
}
END_TEST

/* A state word that does not fit is not cut to fit. */
START_TEST(cut_off_state_is_error)
{
	static const char *ids[] = { "9201", "9202", "9203", "9204" };
	struct proc p;

	/* 32 A and an é; 31 A and a €; 32 A and an escaped NUL; 33 A. */
	script("9201", "{\"code\":0,\"data\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9\"}");
	script("9202", "{\"code\":0,\"data\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xe2\x82\xac\"}");
	script("9203", "{\"code\":0,\"data\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\u0000\"}");
	script("9204", "{\"code\":0,\"data\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
	rhq_run(&p, "9201\n9202\n9203\n9204\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9201\tERROR\n9202\tERROR\n9203\tERROR\n9204\tERROR\n",
	    "rhq: 9201: reply has an unexpected state\n"
	    "rhq: 9202: reply has an unexpected state\n"
	    "rhq: 9203: reply has an unexpected state\n"
	    "rhq: 9204: reply has an unexpected state\n");
	ck_assert_uint_eq(standin_requests_for(srv, ids[0]), 1);
	proc_free(&p);
}
END_TEST

/* The states rhq decides itself cannot come from the server. */
START_TEST(reserved_states_are_errors)
{
	struct proc p;

	script("9211", "{\"code\":0,\"data\":\"ERROR\"}");
	script("9212", "{\"code\":0,\"data\":\"UNKNOWN\"}");
	script("9213", "{\"code\":0,\"data\":\"INVALID\"}");
	script("9214", "{\"code\":0,\"data\":\"NOT_FOUND\"}");
	script("9215", "{\"code\":0,\"data\":\"NOT_FOUNDX\"}");
	rhq_run(&p, "9211\n9212\n9213\n9214\n9215\n", NOENV, ARGS("--json"));
	ck_assert_run(&p, 1,
	    "{\"id\":\"9211\",\"state\":\"ERROR\",\"code\":0,"
	    "\"error\":\"reply has a reserved state (ERROR)\"}\n"
	    "{\"id\":\"9212\",\"state\":\"ERROR\",\"code\":0,"
	    "\"error\":\"reply has a reserved state (UNKNOWN)\"}\n"
	    "{\"id\":\"9213\",\"state\":\"ERROR\",\"code\":0,"
	    "\"error\":\"reply has a reserved state (INVALID)\"}\n"
	    "{\"id\":\"9214\",\"state\":\"ERROR\",\"code\":0,"
	    "\"error\":\"reply has a reserved state (NOT_FOUND)\"}\n"
	    "{\"id\":\"9215\",\"state\":\"NOT_FOUNDX\",\"code\":0}\n",
	    "rhq: 9211: reply has a reserved state (ERROR)\n"
	    "rhq: 9212: reply has a reserved state (UNKNOWN)\n"
	    "rhq: 9213: reply has a reserved state (INVALID)\n"
	    "rhq: 9214: reply has a reserved state (NOT_FOUND)\n");
	proc_free(&p);

	/* Under --wait too: the row ends the wait, as an ERROR. */
	rhq_run(&p, "9212\n", NOENV, ARGS("--wait", "--interval", "0.01"));
	ck_assert_run(&p, 1, "9212\tERROR\n", "rhq: 9212: reply has a reserved state (UNKNOWN)\n");
	proc_free(&p);
}
END_TEST

/* Runs rhq with argv and asserts exit 2, no rows, stderr, and no request sent. */
static void
assert_config_error(const char *const env[], const char *const argv[], const char *err)
{
	struct proc p;

	rhq_run(&p, "3\n", env, argv);
	ck_assert_msg(p.status == 2, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(glob_line(p.err_buf, strcspn(p.err_buf, "\n"), err),
	    "stderr '%s', want '%s'", p.err_buf, err);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}

START_TEST(cacert_must_be_a_ca_file)
{
	char url[64], missing[600];
	const char *dir, *notca;
	const char *env[2] = { url, NULL };

	snprintf(url, sizeof url, "RUNNINGHUB_BASE_URL=https://127.0.0.1:%u", standin_port(srv));
	notca = harness_file("notca.pem", "hello\n", 0, 0600);
	assert_config_error(env, ARGS("--cacert", notca),
	    "rhq: --cacert: *notca.pem: no certificate in it (PEM expected)");
	dir = harness_file("x", "", 0, 0600);
	snprintf(missing, sizeof missing, "%s.missing", dir);
	assert_config_error(env, ARGS("--cacert", missing),
	    "rhq: --cacert: *x.missing: No such file or directory");
	/* The directory of the files above. */
	snprintf(missing, sizeof missing, "%.*s", (int)(strrchr(dir, '/') - dir), dir);
	assert_config_error(env, ARGS("--cacert", missing),
	    "rhq: --cacert: *: Is a directory");
}
END_TEST

START_TEST(base_url_with_query_or_fragment)
{
	char url[128], env[160];
	const char *envp[2] = { env, NULL };

	snprintf(url, sizeof url, "http://127.0.0.1:%u/?x=1#f", standin_port(srv));
	assert_config_error(NOENV, ARGS("--base-url", url),
	    "rhq: --base-url: '*': a query or fragment is not allowed");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/api#frag", standin_port(srv));
	assert_config_error(NOENV, ARGS("--base-url", url),
	    "rhq: --base-url: '*': a query or fragment is not allowed");
	snprintf(env, sizeof env, "RUNNINGHUB_BASE_URL=http://127.0.0.1:%u?", standin_port(srv));
	assert_config_error(envp, NOARGS,
	    "rhq: --base-url: '*': a query or fragment is not allowed");
}
END_TEST

/*
 * C1 controls, bidirectional overrides, line separators and broken UTF-8
 * never reach the terminal: a cause is one line, as a reason is, each run
 * of them one space.
 */
START_TEST(terminal_controls_in_messages)
{
	struct proc p;

	/*
	 * Escaped: CSI (U+009B), RLO (U+202E), LRI (U+2066), NEL (U+0085), PDF
	 * (U+202C), PS (U+2029).
	 */
	script("9221", "{\"code\":301,\"msg\":\"\\u009b31mred\\u202eevil\\u2066x\\u0085y"
	    "\\u202cz\\u00a0ok\\u2029!\",\"data\":null}");
	/* Raw UTF-8: CSI, LRE (U+202A), PDI (U+2069); then a lone 0x9b byte. */
	script("9222", "{\"code\":301,\"msg\":\"\xc2\x9b" "1m\xe2\x80\xaa" "a\xe2\x81\xa9"
	    "b\x9b" "2J\xe4\xbb\xbb\",\"data\":null}");
	rhq_run(&p, "9221\n9222\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9221\tERROR\n9222\tERROR\n",
	    "rhq: 9221: API error 301 ( 31mred evil x y z\xc2\xa0ok !)\n"
	    "rhq: 9222: API error 301 ( 1m a b\xef\xbf\xbd" "2J\xe4\xbb\xbb)\n");
	proc_free(&p);
}
END_TEST

START_TEST(key_file_fifo_without_writer)
{
	const char *path = harness_file("key.fifo", "", 0, 0600);
	struct proc p;
	double t0, took;

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	t0 = clock_now();
	rhq_run(&p, "3\n", NOENV, ARGS("--api-key-file", path));
	took = clock_now() - t0;
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(glob_line(p.err_buf, strlen(p.err_buf) - 1,
	    "rhq: *key.fifo (from --api-key-file): no key within 2 s "
	    "(a FIFO that nothing writes to?)"),
	    "stderr: %s", p.err_buf);
	ck_assert_msg(took >= 1.9 && took < slack(6), "gave up after %.3f s", took);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(key_file_directory)
{
	const char *file = harness_file("d", "", 0, 0600);
	char dir[600];

	snprintf(dir, sizeof dir, "%s.dir", file);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	assert_config_error(NOENV, ARGS("--api-key-file", dir),
	    "rhq: *d.dir (from --api-key-file): Is a directory");
	{
		struct proc p;

		rhq_run(&p, "3\n", NOENV, ARGS("--api-key-file", dir));
		ck_assert_uint_eq(count_lines(p.err_buf), 1);	/* no warning first */
		proc_free(&p);
	}
	rmdir(dir);
}
END_TEST

START_TEST(verbose_says_no_connection)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("--retries", "0", "-v"));
	ck_assert_int_eq(p.status, 1);
	assert_lines(p.err_buf, ARGS(
	    "rhq: 3: HTTP 000, * s, no connection",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *"));
	proc_free(&p);
}
END_TEST

/* Replies jsmn takes but that are not JSON. */
START_TEST(malformed_json_is_unparseable)
{
	static const char *const bad[] = {
		"{\"code\":0,,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"data\":\"SUCCESS\",}",
		"{\"code\":0,\"data\":\"SUCCESS\",\"x\":tru}",
		"{\"code\":0,\"x\":1.2.3,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":[1,],\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":[,1],\"data\":\"SUCCESS\"}",
		"{,\"code\":0,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":01,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":-,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":1e,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":nulll,\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"x\":{\"a\":1,},\"data\":\"SUCCESS\"}",
		"{\"code\":0,\"msg\":\"tab\there\",\"data\":\"SUCCESS\"}",
		"{\"code\":0 \"data\":\"SUCCESS\"}",
		"{\"code\":0,\"data\":\"SUCCESS\"  ,  }",
		"{\"code\":-0x1,\"data\":\"SUCCESS\"}",
	};
	static const char *const good[] = {
		"{\"code\":0,\"x\":[1,-2.5e+3,true,false,null,{},[]],\"data\":\"SUCCESS\"}",
		" { \"code\" : 0 , \"data\" : \"SUCCESS\" } ",
		"{\"code\":0,\"x\":-0.0E-0,\"data\":\"SUCCESS\"}",
	};
	char id[16], in[1024] = "", out[4096] = "", err[4096] = "";
	struct proc p;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(id, sizeof id, "%zu", 9300 + i);
		script(id, bad[i]);
		snprintf(in + strlen(in), sizeof in - strlen(in), "%s\n", id);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s\tERROR\n", id);
		snprintf(err + strlen(err), sizeof err - strlen(err),
		    "rhq: %s: unparseable reply\n", id);
	}
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(id, sizeof id, "%zu", 9400 + i);
		script(id, good[i]);
		snprintf(in + strlen(in), sizeof in - strlen(in), "%s\n", id);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s\tSUCCESS\n", id);
	}
	rhq_run(&p, in, NOENV, NOARGS);
	ck_assert_run(&p, 1, out, err);
	proc_free(&p);
}
END_TEST


/* ------------------------------------------ section 1: outage-proof --wait */

#define RUNNING_BODY	"{\"code\":0,\"msg\":\"success\",\"data\":\"RUNNING\"}"

/*
 * The case: a 12-second outage in a --wait --interval 1 --deadline
 * 25 run.  Every task keeps its state through it and finishes after it; one
 * line says the API went away, one that it came back.
 */
START_TEST(wait_rides_out_an_outage)
{
	static const char in[] = "9601\n9602\n9603\n9604\n9605\n9606\n9607\n9608\n";
	char id[8];
	struct proc p;
	double took;
	int i;

	/* RUNNING for the first 5 polls (2 or 3 of them before the outage), then SUCCESS. */
	for (i = 1; i <= 8; i++) {
		snprintf(id, sizeof id, "960%d", i);
		ck_assert_int_eq(standin_script(srv, id, 200, RUNNING_BODY, NULL, 5), 0);
	}
	outage(STANDIN_FAULT_RESET, 2.5, 14.5);
	took = rhq_run_warped(&p, in, 0, NOENV,
	    ARGS("--wait", "--interval", "1", "--deadline", "25", "-j", "4"));
	figure("12 s outage in --wait --interval 1 --deadline 25: done in %.2f s", took);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 8);
	ck_assert_uint_eq(count_matching(p.out_buf, "960?\tSUCCESS"), 8);
	assert_lines(p.err_buf, ARGS(
	    "rhq: API unreachable (*); polling on",
	    "rhq: API answers again after 1[1-3].? s"));
	ck_assert_msg(took > 14.5 && took < 20, "took %.3f s", took);
	proc_free(&p);
}
END_TEST

/* A blip that the retries get over says nothing. */
START_TEST(wait_blip_is_silent)
{
	struct proc p;

	outage(STANDIN_FAULT_RESET, 0.5, 1.2);
	ck_assert_int_eq(standin_script(srv, "9611", 200, RUNNING_BODY, NULL, 3), 0);
	rhq_run_warped(&p, "9611\n", 0, NOENV, ARGS("--wait", "--interval", "0.4"));
	ck_assert_run(&p, 0, "9611\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

/*
 * With no --deadline, an API that stays away ends the wait after
 * --max-outage seconds (default 600): exit 2, the unfinished tasks with
 * their last known state.  While it is away, rhq sends one request at a
 * time, one an --interval.
 */
START_TEST(wait_gives_up_after_max_outage)
{
	char in[1024] = "", id[16];
	struct proc p;
	double took;
	size_t requests;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof id, "%d", 9700 + i);
		ck_assert_int_eq(standin_script(srv, id, 200, RUNNING_BODY, NULL, 0), 0);
		snprintf(in + strlen(in), sizeof in - strlen(in), "%s\n", id);
	}
	outage(STANDIN_FAULT_RESET, 1.5, 1e9);
	took = rhq_run_warped(&p, in, 0, NOENV,
	    ARGS("--wait", "--interval", "1", "--max-outage", "60", "-j", "8", "-v"));
	figure("--max-outage 60: gave up after %.2f s, %zu requests", took,
	    count_matching(p.err_buf, "rhq: 97??: HTTP 000, *"));
	ck_assert_msg(p.status == 2, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 40);
	ck_assert_uint_eq(count_matching(p.out_buf, "97??\tRUNNING"), 40);
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: API unreachable (*); polling on"), 1);
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: no answer from the API for 60 s "
	    "(the last failure: *); giving up with 40 tasks unfinished (see --max-outage)"), 1);
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: API answers again*"), 0);
	ck_assert_msg(took > 61 && took < 64, "took %.3f s", took);
	/* Each task's retries, then about one probe a second: not 40 tasks each polling on. */
	requests = count_matching(p.err_buf, "rhq: 97??: HTTP 000, *");
	ck_assert_msg(requests <= 40 * 4 + 60 + 10, "%zu requests", requests);
	proc_free(&p);
}
END_TEST

START_TEST(wait_max_outage_default)
{
	struct proc p;
	double took;

	outage(STANDIN_FAULT_RESET, 0, 1e9);
	took = rhq_run_warped(&p, "3\n", 0, NOENV, ARGS("--wait"));
	figure("default --max-outage: gave up after %.2f s", took);
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "3\tUNKNOWN\n");
	assert_lines(p.err_buf, ARGS(
	    "rhq: API unreachable (*); polling on",
	    "rhq: no answer from the API for 600 s (the last failure: *); giving up with "
	    "1 task unfinished (see --max-outage)"));
	ck_assert_msg(took >= 600 && took < 603, "took %.3f s", took);
	proc_free(&p);

	/* A --deadline is the bound then; --max-outage 0 turns the limit off. */
	took = rhq_run_warped(&p, "3\n", 0, NOENV, ARGS("--wait", "--deadline", "700"));
	ck_assert_int_eq(p.status, 3);
	ck_assert_msg(took >= 700 && took < 703, "took %.3f s", took);
	proc_free(&p);
	took = rhq_run_warped(&p, "3\n", 0, NOENV,
	    ARGS("--wait", "--deadline", "800", "--max-outage", "0"));
	ck_assert_int_eq(p.status, 3);
	ck_assert_msg(took >= 800 && took < 803, "took %.3f s", took);
	proc_free(&p);
}
END_TEST

START_TEST(max_outage_usage)
{
	struct proc p;

	rhq_run(&p, "3\n", NOENV, ARGS("--max-outage", "5"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_msg(strncmp(p.err_buf, "rhq: --max-outage needs --wait\nusage: rhq ", 42) == 0,
	    "stderr: %s", p.err_buf);
	proc_free(&p);
	rhq_run(&p, "3\n", NOENV, ARGS("--wait", "--max-outage", "-1"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_msg(strncmp(p.err_buf, "rhq: --max-outage: invalid value '-1'", 37) == 0,
	    "stderr: %s", p.err_buf);
	proc_free(&p);
	rhq_run(&p, "3\n", NOENV, ARGS("--max-failures", "x"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_msg(strncmp(p.err_buf, "rhq: --max-failures: invalid value 'x'", 38) == 0,
	    "stderr: %s", p.err_buf);
	proc_free(&p);
	ck_assert_uint_eq(standin_requests(srv), 0);
}
END_TEST

/* Transient by the tables: 5xx but 501 and 505, API 1005, 1010 and 1011. */
START_TEST(more_transient_failures)
{
	struct proc p;

	ck_assert_int_eq(standin_script(srv, "9621", 520, "<html>origin</html>", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9622", 507, "<html>full</html>", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9623", 200,
	    "{\"code\":1005,\"msg\":\"server error\",\"data\":null}", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9624", 200,
	    "{\"code\":1010,\"msg\":\"server error\",\"data\":null}", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9625", 200,
	    "{\"code\":1011,\"msg\":\"server error\",\"data\":null}", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9626", 505, "<html>version</html>", NULL, 1), 0);
	rhq_run_warped(&p, "9621\n9622\n9623\n9624\n9625\n9626\n", 0, NOENV, NOARGS);
	ck_assert_run(&p, 1, "9621\tSUCCESS\n9622\tSUCCESS\n9623\tSUCCESS\n9624\tSUCCESS\n"
	    "9625\tSUCCESS\n9626\tERROR\n", "rhq: 9626: HTTP 505\n");
	proc_free(&p);
}
END_TEST

/* -------------------------------------- section 2: a dead API fails fast */

START_TEST(dead_api_stops_after_max_failures)
{
	static const char in[] = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
	struct proc p;
	double took;

	took = rhq_run_warped(&p, in, 0, ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"), NOARGS);
	figure("dead API, 12 IDs: stopped after %.2f s", took);
	ck_assert_int_eq(p.status, 2);
	/* While nothing answers, a failing task's retries come before new tasks. */
	ck_assert_str_eq(p.out_buf, "1\tERROR\n2\tERROR\n3\tERROR\n4\tERROR\n5\tERROR\n");
	assert_lines(p.err_buf, ARGS(
	    "rhq: 1: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 2: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 4: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 5: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: no answer from the API for 5 tasks in a row (the last: Failed to connect "
	    "to 127.0.0.1 port 1 *); stopping (see --max-failures)"));
	/* Five tasks' retries (0.5 + 1 + 2 s at least, 1 + 2 + 4 s at most), not twelve. */
	ck_assert_msg(took > 5 * 3.5 && took < 5 * 7 + 1, "took %.3f s", took);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);

	/* -j 4: the tasks in flight when it stops get no row. */
	rhq_run_warped(&p, in, 0, ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("-j", "4", "--retry-delay", "0.1"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_uint_le(count_lines(p.out_buf), 5);
	ck_assert_uint_eq(count_matching(p.out_buf, "*\tERROR"), count_lines(p.out_buf));
	/* Each row written has its message; then the reason for stopping. */
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: [0-9]*: Failed to connect to "
	    "127.0.0.1 port 1 *"), count_lines(p.out_buf));
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: no answer from the API for 5 tasks "
	    "in a row *"), 1);
	ck_assert_uint_eq(count_lines(p.err_buf), count_lines(p.out_buf) + 1);
	proc_free(&p);

	/* With --retries 0 and -j 1 the tasks fail in input order. */
	rhq_run_warped(&p, in, 0, ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("--max-failures", "3", "--retries", "0"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "1\tERROR\n2\tERROR\n3\tERROR\n");
	assert_lines(p.err_buf, ARGS(
	    "rhq: 1: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 2: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: 3: Failed to connect to 127.0.0.1 port 1 *",
	    "rhq: no answer from the API for 3 tasks in a row (the last: Failed to connect "
	    "to 127.0.0.1 port 1 *); stopping (see --max-failures)"));
	proc_free(&p);

	/* 0 turns it off: every task gets its row. */
	rhq_run_warped(&p, in, 0, ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("--max-failures", "0", "--retries", "0", "-j", "4"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_uint_eq(count_matching(p.out_buf, "*\tERROR"), 12);
	proc_free(&p);
}
END_TEST

/* An answer in between starts the count again; gateways' 5xx count as no answer. */
START_TEST(max_failures_counts_in_a_row)
{
#define F503	ID_ALWAYS_503 "\n"
	static const char in[] = F503 F503 F503 F503 "3\n" F503 F503 F503 F503 F503 "7\n";
	struct proc p;

	rhq_run_warped(&p, in, 0, NOENV, ARGS("--retries", "0"));
	ck_assert_int_eq(p.status, 2);
#define E503	ID_ALWAYS_503 "\tERROR\n"
	ck_assert_str_eq(p.out_buf, E503 E503 E503 E503 "3\tSUCCESS\n" E503 E503 E503 E503 E503);
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: " ID_ALWAYS_503 ": HTTP 503"), 9);
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: no answer from the API for 5 tasks "
	    "in a row (the last: HTTP 503); stopping (see --max-failures)"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "7"), 0);
	proc_free(&p);

	/* Errors the API itself answers are answers. */
#define C301	ID_CODE_301 "\n"
	rhq_run_warped(&p, C301 C301 C301 C301 C301 C301 "3\n", 0, NOENV, NOARGS);
	ck_assert_int_eq(p.status, 1);
	ck_assert_uint_eq(count_lines(p.out_buf), 7);
	proc_free(&p);
}
END_TEST

/* ------------------------------- section 3: throttling slows the whole run */

/* n IDs whose state is final (FAILED or SUCCESS), one a line, from first on. */
static char *
final_ids(unsigned long first, int n)
{
	char *in = malloc((size_t)n * 24 + 1), *p = in;
	unsigned long id = first - first % 4 + 6;	/* 2 mod 4: FAILED */
	int i;

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++, id += (i % 2 ? 1 : 3))
		p += sprintf(p, "%lu\n", id);
	return in;
}

/* Every tenth ID of in answers status and body, with Retry-After: 1, once. */
static void
script_every_tenth(const char *in, unsigned status, const char *body)
{
	const char *s;
	char id[32];
	int i;

	for (i = 0, s = in; *s != '\0'; i++, s = strchr(s, '\n') + 1) {
		if (i % 10 != 9)
			continue;
		snprintf(id, sizeof id, "%.*s", (int)strcspn(s, "\n"), s);
		ck_assert_int_eq(standin_script(srv, id, status, body, "1", 1), 0);
	}
}

/* A Retry-After holds back every new request, not only its task's. */
START_TEST(retry_after_holds_the_run)
{
	char *in = final_ids(20000, 18), all[1024];
	struct proc p;
	double took;

	ck_assert_int_eq(standin_script(srv, "9501", 429, "<html>slow down</html>", "2", 1), 0);
	ck_assert_int_eq(standin_script(srv, "9502", 429, "<html>slow down</html>", "2", 1), 0);
	snprintf(all, sizeof all, "9501\n%s9502\n", in);
	/* --wait: no reorder window to hold the rows up either way. */
	took = rhq_run_warped(&p, all, 0, NOENV, ARGS("--wait"));
	figure("two 429s with Retry-After 2: %.2f s", took);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 20);
	/* 9501's pause comes before 9502 is asked at all, then 9502's own. */
	ck_assert_msg(took >= 4 && took < 5, "took %.3f s", took);
	ck_assert_uint_eq(standin_requests(srv), 22);
	free(in);
	proc_free(&p);
}
END_TEST

/*
 * Against an API that throttles above 100 requests a second, -j 8 halves its
 * pace on a 429 and grows it back within a second: every task gets its state,
 * with few throttled replies, and -v tells each change.
 */
START_TEST(throttling_slows_the_run)
{
	char *in = final_ids(30000, 300);
	struct proc p;
	double took;
	unsigned throttled;

	standin_set_clock(srv, rhq_clock);
	ck_assert_int_eq(standin_set_throttle(srv, 100, 10, NULL), 0);
	took = rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "8", "-v"));
	throttled = standin_throttled(srv);
	figure("300 IDs, -j 8, API throttling above 100/s: %.2f s, %u throttled", took, throttled);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 300);
	ck_assert_msg(throttled < 40, "%u throttled replies", throttled);
	ck_assert_msg(took > 2.5 && took < 6, "took %.3f s", took);
	ck_assert_uint_ge(count_matching(p.err_buf, "rhq: slowing down (HTTP 429): at most "
	    "4 requests at once, * a second"), 1);
	ck_assert_uint_ge(count_matching(p.err_buf, "rhq: speeding up: at most *"), 1);
	free(in);
	proc_free(&p);
}
END_TEST

/* Never above -j and --rate, however long it grows back. */
START_TEST(throttling_never_above_the_limits)
{
	char *in = final_ids(40000, 400);
	const char *s, *e;
	struct proc p;
	double rate, most = 0;
	int jobs, most_jobs = 0;

	standin_set_clock(srv, rhq_clock);
	ck_assert_int_eq(standin_set_throttle(srv, 150, 5, NULL), 0);
	rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "4", "--rate", "200", "-v"));
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	for (s = p.err_buf; (e = strchr(s, '\n')) != NULL; s = e + 1) {
		const char *m = strstr(s, ": at most "), *r;

		if (m == NULL || m > e)
			continue;
		/* "1 request at once" as well as "2 requests at once". */
		r = strstr(m, " at once, ");
		ck_assert_int_eq(sscanf(m, ": at most %d", &jobs), 1);
		ck_assert(r != NULL && r < e && sscanf(r, " at once, %lf", &rate) == 1);
		most = rate > most ? rate : most;
		most_jobs = jobs > most_jobs ? jobs : most_jobs;
	}
	ck_assert_msg(most > 0 && most <= 200, "rate up to %g", most);
	ck_assert_int_le(most_jobs, 4);
	free(in);
	proc_free(&p);
}
END_TEST

/* The API's own "too fast" codes slow the run as a 429 does. */
START_TEST(throttling_api_codes)
{
	struct proc p;

	ck_assert_int_eq(standin_script(srv, "9511", 200,
	    "{\"code\":1520,\"msg\":\"concurrency limit\",\"data\":null}", NULL, 1), 0);
	ck_assert_int_eq(standin_script(srv, "9512", 200,
	    "{\"code\":421,\"msg\":\"TASK_QUEUE_MAXED\",\"data\":null}", NULL, 1), 0);
	rhq_run_warped(&p, "9511\n9512\n", 0, NOENV, ARGS("-j", "4", "-v", "--retry-delay", "0.1"));
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, "9511\tSUCCESS\n9512\tSUCCESS\n");
	/* One cut: the second reply is to a request sent before the first cut. */
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: slowing down (API error *): at most 2 "
	    "requests at once, * a second"), 1);
	proc_free(&p);
}
END_TEST

/*
 * Issue 14: the pace must not collapse.  Every tenth of 200 IDs answers 429
 * (API 1003, Retry-After: 1) once: one throttle event, one pause of a second
 * for the whole run, and the throttled tasks' own retries a second after
 * their 429s.  About 2 s, where cutting the pace for every 429 took 86 s.
 */
START_TEST(throttled_once_every_tenth)
{
	char *in = final_ids(70000, 200);
	struct proc p;
	double took;

	script_every_tenth(in, 429, "{\"code\":1003,\"msg\":\"RATE_LIMIT_EXCEEDED\",\"data\":null}");
	took = rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "16", "-v"));
	figure("200 IDs, -j 16, every tenth 429 + Retry-After 1 once: %.3f s, %u requests, "
	    "%zu cuts", took, standin_requests(srv),
	    count_matching(p.err_buf, "rhq: slowing down *"));
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 200);
	ck_assert_uint_eq(count_matching(p.out_buf, "*\tSUCCESS"), 100);
	ck_assert_uint_eq(standin_requests(srv), 220);
	/* One pause of a second, then the twenty retries a second after their 429s. */
	ck_assert_uint_eq(count_matching(p.err_buf, "rhq: slowing down (HTTP 429): *"), 1);
	ck_assert_msg(took >= 2 && took <= 2.5, "took %.3f s", took);
	free(in);
	proc_free(&p);
}
END_TEST

/*
 * 1,000 IDs against an API that allows 100 requests a second (a bucket of
 * ten): the pace finds the limit and stays near it, so that the run takes
 * little more than the 10 s the limit allows, with few requests throttled
 * and every task answered.
 */
START_TEST(throttle_at_100_a_second)
{
	char *in = final_ids(80000, 1000);
	struct proc p;
	double took;
	unsigned requests, throttled;

	standin_set_clock(srv, rhq_clock);
	ck_assert_int_eq(standin_set_throttle(srv, 100, 10, NULL), 0);
	took = rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "16"));
	requests = standin_requests(srv);
	throttled = standin_throttled(srv);
	figure("1000 IDs, -j 16, API throttling above 100/s: %.3f s, %u requests, %u throttled "
	    "(%.1f%%)", took, requests, throttled, 100.0 * throttled / requests);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 1000);
	ck_assert_uint_eq(count_matching(p.out_buf, "*\tERROR"), 0);
	ck_assert_msg(throttled <= requests * 0.08, "%u of %u requests throttled", throttled,
	    requests);
	/* The bucket's ten, then 100 a second: 9.9 s at best. */
	ck_assert_msg(took >= 9.9 && took <= 11.5, "took %.3f s", took);
	free(in);
	proc_free(&p);
}
END_TEST

/*
 * An API that throttles above 2,000 requests a second (a bucket of 200):
 * -j 16 keeps within 15% of that rate.  Under --wait, 4,000 tasks that stay
 * RUNNING ask for twice that, for 5 s of rhq's time; the rate is the
 * requests answered in them (the bench runs it for 10 s).
 */
START_TEST(throttle_at_2000_a_second)
{
	enum { N = 3000, SECS = 2 };
	char *in = malloc(N * 24), *q = in, deadline[16];
	struct proc p;
	unsigned requests, throttled, answered;
	int i;

	ck_assert_ptr_nonnull(in);
	snprintf(deadline, sizeof deadline, "%d", SECS);
	for (i = 0; i < N; i++)		/* 1 mod 4: RUNNING for ever */
		q += sprintf(q, "%d\n", 100001 + 4 * i);
	standin_set_clock(srv, rhq_clock);
	ck_assert_int_eq(standin_set_throttle(srv, 2000, 200, NULL), 0);
	rhq_run_warped(&p, in, 0, NOENV, ARGS("--wait", "--interval", "1", "--deadline",
	    deadline, "-j", "16"));
	requests = standin_requests(srv);
	throttled = standin_throttled(srv);
	answered = requests - throttled;
	figure("%d tasks under --wait, -j 16, API throttling above 2000/s: %u answered in %d s "
	    "(%.0f/s), %u throttled", N, answered, SECS, (double)answered / SECS, throttled);
	ck_assert_msg(p.status == 3, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), N);
	ck_assert_uint_eq(count_matching(p.out_buf, "*\tRUNNING"), N);
	ck_assert_msg(answered >= 0.85 * 2000 * SECS, "%u answered in %d s", answered, SECS);
	free(in);
	proc_free(&p);
}
END_TEST

/* ------------------------------------------- section 4: fair and steady */

/*
 * No head-of-line blocking: one task waiting a second for its retry does
 * not hold up the requests of the tasks after it.
 */
START_TEST(retry_does_not_block_the_line)
{
	char *in = final_ids(50000, 200);
	struct proc p;
	double took;

	script_every_tenth(in, 503, "<html>busy</html>");
	took = rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "16"));
	figure("200 IDs, -j 16, every tenth 503 + Retry-After 1 once: %.2f s", took);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 200);
	/* With a window of -j rows, about ten seconds: one a block of ten IDs. */
	ck_assert_msg(took >= 1 && took < 2, "took %.3f s", took);
	free(in);
	proc_free(&p);
}
END_TEST

/* Under --wait every task is polled once before any task is polled twice. */
START_TEST(wait_polls_every_task_before_any_twice)
{
	enum { N = 1000 };
	char *in = malloc(N * 24), *q = in, id[32];
	unsigned n, lo = -1u, hi = 0;
	struct proc p;
	int i;

	for (i = 0; i < N; i++)		/* 1 mod 4: RUNNING for ever */
		q += sprintf(q, "%d\n", 100001 + 4 * i);
	/* Three polls each: a request takes no time on the virtual clock. */
	rhq_run_warped(&p, in, 0, NOENV,
	    ARGS("--wait", "--interval", "0.4", "--deadline", "1", "-j", "8"));
	ck_assert_int_eq(p.status, 3);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "%d", 100001 + 4 * i);
		n = standin_requests_for(srv, id);
		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	ck_assert_msg(hi >= 2, "no task was polled twice (%u requests)", standin_requests(srv));
	figure("1000 tasks under --wait: polled %u to %u times", lo, hi);
	/*
	 * Every task was polled before any was polled twice; and they stay within
	 * a few polls of each other (one, but for a reply slowed by a loaded machine).
	 */
	ck_assert_msg(lo >= 1 && hi - lo <= 3, "polls per task from %u to %u", lo, hi);
	free(in);
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------ a small HTTPS server */

/*
 * What the stand-in cannot tell: the HTTP versions a client offers over TLS
 * (ALPN).  This server, on a free loopback port with a certificate made at
 * start, answers every request {"code":0,"data":"SUCCESS"} over HTTP/1.1 and
 * keeps the ALPN lists that clients offered.
 */
struct tls_server {
	int fd;
	unsigned short port;
	SSL_CTX *ctx;
	pthread_t thread;
	pthread_t conns[16];	/* a thread a connection, so that -j's wait for none */
	struct tls_conn { struct tls_server *ts; int fd; } conn_args[16];
	int nconns;
	pthread_mutex_t lock;
	char offered[256];	/* the last client's ALPN list, as "h2,http/1.1" */
	unsigned requests;
	char cert_path[600];
};

static int
tls_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned inlen, void *arg)
{
	static const unsigned char mine[] = "\x08http/1.1";
	struct tls_server *ts = arg;
	unsigned i;
	size_t n = 0;

	(void)ssl;
	pthread_mutex_lock(&ts->lock);
	for (i = 0; i < inlen && n + in[i] + 2 < sizeof ts->offered; i += in[i] + 1) {
		n += snprintf(ts->offered + n, sizeof ts->offered - n, "%s%.*s", n ? "," : "",
		    (int)in[i], (const char *)in + i + 1);
	}
	pthread_mutex_unlock(&ts->lock);
	return SSL_select_next_proto((unsigned char **)out, outlen, mine, sizeof mine - 1, in,
	    inlen) == OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Serves one connection: requests until the client closes it. */
static void *
tls_connection(void *arg)
{
	static const char body[] = "{\"code\":0,\"msg\":\"\",\"data\":\"SUCCESS\"}";
	struct tls_server *ts = ((struct tls_conn *)arg)->ts;
	int c = ((struct tls_conn *)arg)->fd;
	char buf[8193], reply[256], *end;
	size_t have = 0, need;
	SSL *ssl = SSL_new(ts->ctx);
	int r;

	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) != 1)
		goto out;
	for (;;) {
		/* A request: headers, then Content-Length bytes of body. */
		while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
			if (have == sizeof buf - 1 ||
			    (r = SSL_read(ssl, buf + have, sizeof buf - 1 - have)) <= 0)
				goto out;
			have += r;
		}
		buf[have] = '\0';
		need = end + 4 - buf;
		{
			const char *cl = strcasestr(buf, "content-length:");

			if (cl != NULL && cl < end)
				need += strtoul(cl + 15, NULL, 10);
		}
		while (have < need && have < sizeof buf - 1) {
			if ((r = SSL_read(ssl, buf + have, sizeof buf - 1 - have)) <= 0)
				goto out;
			have += r;
		}
		if (need > have)
			goto out;
		pthread_mutex_lock(&ts->lock);
		ts->requests++;
		pthread_mutex_unlock(&ts->lock);
		r = snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n\r\n%s", sizeof body - 1, body);
		if (SSL_write(ssl, reply, r) <= 0)
			goto out;
		memmove(buf, buf + need, have - need);
		have -= need;
	}
out:
	SSL_free(ssl);
	close(c);
	return NULL;
}

/* Until tls_stop() shuts the listening socket down, a thread a connection. */
static void *
tls_serve(void *arg)
{
	struct tls_server *ts = arg;
	struct tls_conn *tc;
	int c;

	while ((c = accept(ts->fd, NULL, NULL)) >= 0) {
		if (ts->nconns == (int)NELEM(ts->conns)) {
			close(c);
			continue;
		}
		tc = &ts->conn_args[ts->nconns];
		tc->ts = ts;
		tc->fd = c;
		if (pthread_create(&ts->conns[ts->nconns], NULL, tls_connection, tc) == 0)
			ts->nconns++;
		else
			close(c);
	}
	return NULL;
}

/* A self-signed certificate for 127.0.0.1, written to a file for --cacert. */
static X509 *
tls_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1",
	    -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

static struct tls_server *
tls_start(void)
{
	struct tls_server *ts = calloc(1, sizeof *ts);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert;
	FILE *f;

	ck_assert_ptr_nonnull(ts);
	ck_assert_ptr_nonnull(key);
	/* A client that hangs up must not end the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	cert = tls_cert(key);
	snprintf(ts->cert_path, sizeof ts->cert_path, "%s", harness_file("tls.pem", "", 0, 0600));
	ck_assert_ptr_nonnull(f = fopen(ts->cert_path, "w"));
	PEM_write_X509(f, cert);
	fclose(f);
	ts->ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_int_eq(SSL_CTX_use_certificate(ts->ctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ts->ctx, key), 1);
	SSL_CTX_set_alpn_select_cb(ts->ctx, tls_alpn, ts);
	X509_free(cert);
	EVP_PKEY_free(key);
	pthread_mutex_init(&ts->lock, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(ts->fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(ts->fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ts->fd, 16), 0);
	ck_assert_int_eq(getsockname(ts->fd, (struct sockaddr *)&a, &alen), 0);
	ts->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&ts->thread, NULL, tls_serve, ts), 0);
	return ts;
}

static void
tls_stop(struct tls_server *ts)
{
	int i;

	shutdown(ts->fd, SHUT_RDWR);
	pthread_join(ts->thread, NULL);
	/* rhq has ended: every client has closed its connection. */
	for (i = 0; i < ts->nconns; i++)
		pthread_join(ts->conns[i], NULL);
	close(ts->fd);
	SSL_CTX_free(ts->ctx);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

/*
 * Serial HTTPS offers HTTP/1.1 only: one stream gains nothing from HTTP/2.
 * With -j above 1, HTTP/2 is offered for multiplexing.  (A valid --cacert
 * passes the check of section 5.)
 */
START_TEST(serial_https_offers_http11)
{
	struct tls_server *ts = tls_start();
	char url[64];
	struct proc p;

	snprintf(url, sizeof url, "https://127.0.0.1:%u", ts->port);
	rhq_run(&p, "3\n7\n", NOENV, ARGS("--base-url", url, "--cacert", ts->cert_path));
	ck_assert_run(&p, 0, "3\tSUCCESS\n7\tSUCCESS\n", "");
	ck_assert_str_eq(ts->offered, "http/1.1");
	proc_free(&p);

	rhq_run(&p, "3\n7\n", NOENV, ARGS("--base-url", url, "--cacert", ts->cert_path,
	    "-j", "2"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n7\tSUCCESS\n", "");
	ck_assert_str_eq(ts->offered, "h2,http/1.1");
	ck_assert_uint_eq(ts->requests, 4);
	proc_free(&p);
	tls_stop(ts);
}
END_TEST

/* --rate holds at a rate where one slot a wake-up is far too few. */
START_TEST(rate_holds_when_slots_are_short)
{
	char *in = final_ids(60000, 3000);
	struct proc p;
	double took;

	took = rhq_run_warped(&p, in, 0, NOENV, ARGS("-j", "16", "--rate", "3000"));
	figure("3000 requests at --rate 3000: %.3f s", took);
	ck_assert_msg(p.status == 0, "exit %d; stderr: %s", p.status, p.err_buf);
	ck_assert_uint_eq(count_lines(p.out_buf), 3000);
	/* One slot made up a wake-up gave 2000 a second: 1.5 s. */
	ck_assert_msg(took > 0.98 && took < 1.35, "3000 requests at --rate 3000 took %.3f s",
	    took);
	free(in);
	proc_free(&p);
}
END_TEST

Suite *
outage_suite(void)
{
	Suite *s = suite_create("outage");
	TCase *tc = server_tcase("hostile");

	add_test(tc, no_proxy_over_plain_http);
	add_test(tc, cut_off_state_is_error);
	add_test(tc, reserved_states_are_errors);
	add_test(tc, cacert_must_be_a_ca_file);
	add_test(tc, base_url_with_query_or_fragment);
	add_test(tc, terminal_controls_in_messages);
	add_test(tc, key_file_fifo_without_writer);
	add_test(tc, key_file_directory);
	add_test(tc, verbose_says_no_connection);
	add_test(tc, malformed_json_is_unparseable);
	suite_add_tcase(s, tc);

	tc = server_tcase("outage");
	add_test(tc, wait_rides_out_an_outage);
	add_test(tc, wait_blip_is_silent);
	add_test(tc, wait_gives_up_after_max_outage);
	add_test(tc, wait_max_outage_default);
	add_test(tc, max_outage_usage);
	add_test(tc, more_transient_failures);
	add_test(tc, dead_api_stops_after_max_failures);
	add_test(tc, max_failures_counts_in_a_row);
	suite_add_tcase(s, tc);

	tc = server_tcase("pace");
	add_test(tc, retry_after_holds_the_run);
	add_test(tc, throttling_slows_the_run);
	add_test(tc, throttling_never_above_the_limits);
	add_test(tc, throttling_api_codes);
	add_test(tc, throttled_once_every_tenth);
	add_test(tc, throttle_at_100_a_second);
	add_test(tc, throttle_at_2000_a_second);
	add_test(tc, retry_does_not_block_the_line);
	add_test(tc, wait_polls_every_task_before_any_twice);
	add_test(tc, rate_holds_when_slots_are_short);
	add_test(tc, serial_https_offers_http11);
	suite_add_tcase(s, tc);
	return s;
}
