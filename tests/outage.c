/*
 * System tests of rhq when the API stalls, throttles or goes away, and of
 * the holes a hostile review found (issue 10).  Each test runs rhq against a
 * fresh stand-in; replies that no special task ID gives are scripted with
 * standin_script(), outages with standin_set_fault() on rhq's own clock.
 *
 * Only 127.0.0.1 is ever contacted.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

/* ------------------------------------------------------------ helpers */

/* Does line [s, s+n) match pattern?  '*' stands for any text. */
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

/* Asserts that text is exactly the lines of want (patterns), in order. */
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
	    "{\"id\":\"9211\",\"state\":\"ERROR\",\"code\":0}\n"
	    "{\"id\":\"9212\",\"state\":\"ERROR\",\"code\":0}\n"
	    "{\"id\":\"9213\",\"state\":\"ERROR\",\"code\":0}\n"
	    "{\"id\":\"9214\",\"state\":\"ERROR\",\"code\":0}\n"
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
	ck_assert_msg(line_matches(p.err_buf, strcspn(p.err_buf, "\n"), err),
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
	notca = harness_file("notca.pem", "hello\n", 0600);
	assert_config_error(env, ARGS("--cacert", notca),
	    "rhq: --cacert: *notca.pem: no certificate in it (PEM expected)");
	dir = harness_file("x", "", 0600);
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

/* C1 controls, bidirectional overrides and broken UTF-8 never reach the terminal. */
START_TEST(terminal_controls_in_messages)
{
	struct proc p;

	/* Escaped: CSI (U+009B), RLO (U+202E), LRI (U+2066), NEL (U+0085), PDF (U+202C). */
	script("9221", "{\"code\":301,\"msg\":\"\\u009b31mred\\u202eevil\\u2066x\\u0085y"
	    "\\u202cz\\u00a0ok\",\"data\":null}");
	/* Raw UTF-8: CSI, LRE (U+202A), PDI (U+2069); then a lone 0x9b byte. */
	script("9222", "{\"code\":301,\"msg\":\"\xc2\x9b" "1m\xe2\x80\xaa" "a\xe2\x81\xa9"
	    "b\x9b" "2J\xe4\xbb\xbb\",\"data\":null}");
	rhq_run(&p, "9221\n9222\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9221\tERROR\n9222\tERROR\n",
	    "rhq: 9221: API error 301 (?31mred?evil?x?y?z\xc2\xa0ok)\n"
	    "rhq: 9222: API error 301 (?1m?a?b?2J\xe4\xbb\xbb)\n");
	proc_free(&p);
}
END_TEST

START_TEST(key_file_fifo_without_writer)
{
	const char *path = harness_file("key.fifo", "", 0600);
	struct proc p;
	double t0, took;

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	t0 = rhq_clock();
	rhq_run(&p, "3\n", NOENV, ARGS("--api-key-file", path));
	took = rhq_clock() - t0;
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(line_matches(p.err_buf, strlen(p.err_buf) - 1,
	    "rhq: *key.fifo: no key within 2 s (a FIFO that nothing writes to?)"),
	    "stderr: %s", p.err_buf);
	ck_assert_msg(took >= 1.9 && took < slack(6), "gave up after %.3f s", took);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(key_file_directory)
{
	const char *file = harness_file("d", "", 0600);
	char dir[600];

	snprintf(dir, sizeof dir, "%s.dir", file);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	assert_config_error(NOENV, ARGS("--api-key-file", dir), "rhq: *d.dir: Is a directory");
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

Suite *
outage_suite(void)
{
	Suite *s = suite_create("outage");
	TCase *tc = server_tcase("hostile");

	tcase_add_test(tc, no_proxy_over_plain_http);
	tcase_add_test(tc, cut_off_state_is_error);
	tcase_add_test(tc, reserved_states_are_errors);
	tcase_add_test(tc, cacert_must_be_a_ca_file);
	tcase_add_test(tc, base_url_with_query_or_fragment);
	tcase_add_test(tc, terminal_controls_in_messages);
	tcase_add_test(tc, key_file_fifo_without_writer);
	tcase_add_test(tc, key_file_directory);
	tcase_add_test(tc, verbose_says_no_connection);
	tcase_add_test(tc, malformed_json_is_unparseable);
	suite_add_tcase(s, tc);
	return s;
}
