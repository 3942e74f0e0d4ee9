/*
 * The tests of rhq: unit tests of its pure parts (this file includes rhq.c
 * to reach its static functions), then system tests in the other files that
 * run the real binary against the libmicrohttpd stand-in.
 */
#define _GNU_SOURCE
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"

#include <sys/mman.h>

#include <stdlib.h>

#include "suites.h"

struct standin *srv;
const char rhq_version[] = RHQ_VERSION;

static void
server_setup(void)
{
	srv = standin_start(0, 0);
	ck_assert_ptr_nonnull(srv);
	snprintf(harness_base_url, sizeof harness_base_url, "http://127.0.0.1:%u",
	    standin_port(srv));
}

static void
server_teardown(void)
{
	standin_stop(srv);
	srv = NULL;
}

TCase *
server_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, server_setup, server_teardown);
	tcase_set_timeout(tc, harness_timeout() * 2);
	return tc;
}

/*
 * The time seam: rhq's code run in a child process on a clock that jumps
 * over every idle wait (nothing in flight, not waiting for stdin) instead of
 * sleeping through it.  Requests still take real time.  The jumps add up in
 * memory shared with the parent, so a test can assert how long the run took
 * in rhq's own time.
 */
static double *warp;

static double
warped_now(void)
{
	return monotonic_now() + *warp;
}

static CURLMcode
warped_wait(struct curl_waitfd *fds, unsigned nfds, int timeout_ms)
{
	if (nfds == 0 && in_flight == 0) {
		*warp += timeout_ms / 1e3;
		return CURLM_OK;
	}
	return multi_poll(fds, nfds, timeout_ms);
}

static int
warped_main(int argc, char *argv[])
{
	now = warped_now;
	wait_events = warped_wait;
	return rhq_main(argc, argv);
}

double
rhq_run_warped(struct proc *p, const char *in, const char *const env[],
    const char *const argv[])
{
	double t0;

	if (warp == NULL) {
		warp = mmap(NULL, sizeof *warp, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(warp, MAP_FAILED);
	}
	*warp = 0;
	t0 = monotonic_now();
	proc_start_fn(p, env, argv, warped_main);
	if (in != NULL)
		proc_write(p, in, strlen(in));
	proc_finish(p, harness_timeout());
	return monotonic_now() - t0 + *warp;
}

/* ---------------------------------------------------------- ID validation */

START_TEST(ids_valid)
{
	ck_assert(valid_task_id("1", 1));
	ck_assert(valid_task_id("1904152026220003329", 19));
	ck_assert(valid_task_id("00000000000000000000000000000001", 32));
	ck_assert(valid_task_id("007", 3));
}
END_TEST

START_TEST(ids_invalid)
{
	ck_assert(!valid_task_id("", 0));
	ck_assert(!valid_task_id("0", 1));
	ck_assert(!valid_task_id("0000", 4));
	ck_assert(!valid_task_id("000000000000000000000000000000001", 33));
	ck_assert(!valid_task_id("12a4", 4));
	ck_assert(!valid_task_id("12 4", 4));
	ck_assert(!valid_task_id("-12", 3));
	ck_assert(!valid_task_id("+12", 3));
	ck_assert(!valid_task_id("1\0002", 3));
	ck_assert(!valid_task_id("\xd9\xa1", 2));	/* ARABIC-INDIC DIGIT ONE */
}
END_TEST

static enum item
item(const char *line, char id[ID_MAX + 1], char *shown)
{
	const char *s;
	size_t n;
	enum item k = parse_item(line, strlen(line), 0, id, &s, &n);

	memcpy(shown, s, n);
	shown[n] = '\0';
	return k;
}

START_TEST(items_trim_and_skip)
{
	char id[ID_MAX + 1], shown[512];

	ck_assert_int_eq(item("  123 \r", id, shown), ITEM_ID);
	ck_assert_str_eq(id, "123");
	ck_assert_int_eq(item("\t\r", id, shown), ITEM_SKIP);
	ck_assert_int_eq(item("", id, shown), ITEM_SKIP);
	ck_assert_int_eq(item("  # a comment", id, shown), ITEM_SKIP);
	ck_assert_int_eq(item("12 34", id, shown), ITEM_INVALID);
	ck_assert_str_eq(shown, "12 34");
}
END_TEST

START_TEST(items_fields)
{
	char id[ID_MAX + 1], shown[512];

	opt.field = 2;
	ck_assert_int_eq(item("job\t 42 \tx", id, shown), ITEM_ID);
	ck_assert_str_eq(id, "42");
	ck_assert_int_eq(item("job", id, shown), ITEM_NO_FIELD);
	ck_assert_int_eq(item("\t7\r", id, shown), ITEM_ID);
	ck_assert_str_eq(id, "7");
	ck_assert_int_eq(item("a\tb", id, shown), ITEM_INVALID);
	ck_assert_str_eq(shown, "b");
	opt.delim = ',';
	opt.field = 3;
	ck_assert_int_eq(item("a,b,99", id, shown), ITEM_ID);
	ck_assert_str_eq(id, "99");
	ck_assert_int_eq(item("a,b", id, shown), ITEM_NO_FIELD);
}
END_TEST

/* ----------------------------------------------------------- input reader */

START_TEST(reader_records)
{
	int fds[2];
	struct input in = { 0 };
	struct record r;
	const char data[] = "1\n\n22\r\nlast";

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], data, sizeof data - 1), sizeof data - 1);
	close(fds[1]);
	in.fd = fds[0];
	in.buf = malloc(INBUF_SIZE);
	ck_assert_int_eq(input_next(&in, &r), 0);
	ck_assert_int_eq(input_fill(&in), 0);
	ck_assert_int_eq(input_next(&in, &r), 1);
	ck_assert(r.len == 1 && r.n == 1 && r.p[0] == '1');
	ck_assert_int_eq(input_next(&in, &r), 1);
	ck_assert(r.len == 0 && r.n == 2);
	ck_assert_int_eq(input_next(&in, &r), 1);
	ck_assert(r.len == 3 && r.n == 3 && memcmp(r.p, "22\r", 3) == 0);
	ck_assert_int_eq(input_next(&in, &r), 0);	/* "last" may go on */
	ck_assert_int_eq(input_fill(&in), 0);		/* EOF */
	ck_assert_int_eq(input_next(&in, &r), 1);
	ck_assert(r.len == 4 && r.n == 4 && !r.too_long);
	ck_assert_int_eq(input_next(&in, &r), -1);
	free(in.buf);
	close(fds[0]);
}
END_TEST

START_TEST(reader_long_line_bounded)
{
	FILE *f = tmpfile();
	struct input in = { 0 };
	struct record r;
	size_t i, big = 3 * RECORD_MAX + 5;
	int got = 0, r1;

	for (i = 0; i < big; i++)
		fputc('7', f);
	fputs("\n42\n", f);
	fflush(f);
	rewind(f);
	in.fd = fileno(f);
	in.buf = malloc(INBUF_SIZE);
	/* Bounded: the loop reads a file of known size. */
	for (i = 0; i < 100; i++) {
		r1 = input_next(&in, &r);
		if (r1 < 0)
			break;
		if (r1 == 0) {
			ck_assert_int_eq(input_fill(&in), 0);
			continue;
		}
		if (got == 0) {
			ck_assert(r.too_long);
			ck_assert_uint_eq(r.len, SHOW_MAX);
			ck_assert_uint_eq(r.n, 1);
		} else {
			ck_assert(!r.too_long);
			ck_assert(r.len == 2 && memcmp(r.p, "42", 2) == 0 && r.n == 2);
		}
		got++;
	}
	ck_assert_int_eq(got, 2);
	free(in.buf);
	fclose(f);
}
END_TEST

/* ------------------------------------------------------------ escaping */

START_TEST(tsv_escaping)
{
	char out[64];

	tsv_escape(out, "a\tb\nc\rd\\e", 9);
	ck_assert_str_eq(out, "a\\tb\\nc\\rd\\\\e");
	tsv_escape(out, "x\0y", 3);
	ck_assert_str_eq(out, "x\\0y");
}
END_TEST

START_TEST(json_escaping)
{
	char out[128];

	json_escape(out, "a\"b\\c\n\x01", 7);
	ck_assert_str_eq(out, "a\\\"b\\\\c\\n\\u0001");
	json_escape(out, "\xe4\xbd\xa0", 3);		/* valid UTF-8 stays */
	ck_assert_str_eq(out, "\xe4\xbd\xa0");
	json_escape(out, "a\xff" "b", 3);		/* an invalid byte */
	ck_assert_str_eq(out, "a\xef\xbf\xbd" "b");
	json_escape(out, "\xed\xa0\x80", 3);		/* an encoded surrogate */
	ck_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_escape(out, "\xc0\xaf", 2);		/* overlong '/' */
	ck_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

/* ------------------------------------------------------------ the body */

START_TEST(body_bytes)
{
	char body[256];
	size_t n;

	ck_assert_int_eq(make_body_prefix("k\"e\\y"), 0);
	n = build_body(body, "1904152026220003329");
	ck_assert_str_eq(body, "{\"apiKey\":\"k\\\"e\\\\y\",\"taskId\":\"1904152026220003329\"}");
	ck_assert_uint_eq(n, strlen(body));
	free(body_prefix);
}
END_TEST

/* ----------------------------------------------------------- the reply */

/* What the old judge said, in the words of the tests below. */
enum verdict { V_STATE, V_NOT_FOUND, V_ERROR, V_RETRY, V_FATAL };

static enum verdict
verdict_of(const char *json, char *state, struct reply *r)
{
	static const enum verdict of[] = { [OUT_STATE] = V_STATE,
	    [OUT_NOT_FOUND] = V_NOT_FOUND, [OUT_RETRY] = V_RETRY, [OUT_ERROR] = V_ERROR,
	    [OUT_FATAL] = V_FATAL };
	struct attempt a = { .rc = CURLE_OK, .http = 200, .body = json, .len = strlen(json) };
	struct outcome o;

	ck_assert_int_eq(parse_reply(json, strlen(json), r), 0);
	classify(&a, &o);
	ck_assert(o.kind <= OUT_FATAL);
	strcpy(state, o.state);
	return of[o.kind];
}

/*
 * classify() as a table: what libcurl and the server gave, and the outcome
 * with the reason rhq prints.
 */
static const struct classify_case {
	const char *name;
	CURLcode rc;
	long http;
	double retry_after;
	const char *body;
	int too_big;
	enum outcome_kind kind;
	const char *state_or_why;
	double delay;
	const char *hint;
} classify_cases[] = {
	{ "state", CURLE_OK, 200, 0, "{\"code\":0,\"msg\":\"success\",\"data\":\"RUNNING\"}", 0,
	    OUT_STATE, "RUNNING", 0, NULL },
	{ "future state", CURLE_OK, 200, 0, "{\"code\":0,\"data\":\"CANCEL\"}", 0,
	    OUT_STATE, "CANCEL", 0, NULL },
	{ "804 is RUNNING", CURLE_OK, 200, 0, "{\"code\":804,\"data\":null}", 0,
	    OUT_STATE, "RUNNING", 0, NULL },
	{ "813 is QUEUED", CURLE_OK, 200, 0, "{\"code\":813,\"data\":null}", 0,
	    OUT_STATE, "QUEUED", 0, NULL },
	{ "null data", CURLE_OK, 200, 0, "{\"code\":0,\"data\":null}", 0,
	    OUT_ERROR, "reply has no state (data is null)", 0, NULL },
	{ "no data", CURLE_OK, 200, 0, "{\"code\":0}", 0,
	    OUT_ERROR, "reply has no data", 0, NULL },
	{ "lower case", CURLE_OK, 200, 0, "{\"code\":0,\"data\":\"success\"}", 0,
	    OUT_ERROR, "reply has an unexpected state", 0, NULL },
	{ "not found 807", CURLE_OK, 200, 0, "{\"code\":807,\"msg\":\"X\",\"data\":null}", 0,
	    OUT_NOT_FOUND, "", 0, NULL },
	{ "not found 1004", CURLE_OK, 200, 0, "{\"code\":1004,\"data\":null}", 0,
	    OUT_NOT_FOUND, "", 0, NULL },
	{ "fatal 802 with the site hint", CURLE_OK, 200, 0,
	    "{\"code\":802,\"msg\":\"APIKEY_UNAUTHORIZED\",\"data\":null}", 0,
	    OUT_FATAL, "API error 802 (APIKEY_UNAUTHORIZED)", 0, SITE_HINT },
	{ "fatal 412 with the URL hint", CURLE_OK, 200, 0, "{\"code\":412,\"data\":null}", 0,
	    OUT_FATAL, "API error 412 (TOKEN_INVALID)", 0,
	    "the API path was rejected: check --base-url" },
	{ "fatal 801, no hint", CURLE_OK, 200, 0, "{\"code\":801,\"msg\":\"m\"}", 0,
	    OUT_FATAL, "API error 801 (m)", 0, NULL },
	{ "transient 421", CURLE_OK, 200, 0, "{\"code\":421,\"msg\":\"TASK_QUEUE_MAXED\"}", 0,
	    OUT_RETRY, "API error 421 (TASK_QUEUE_MAXED)", 0, NULL },
	{ "transient 1003", CURLE_OK, 200, 0, "{\"code\":1003,\"msg\":\"\"}", 0,
	    OUT_RETRY, "API error 1003 (RATE_LIMIT_EXCEEDED)", 0, NULL },
	{ "other code, no message", CURLE_OK, 200, 0, "{\"code\":888}", 0,
	    OUT_ERROR, "API error 888 (no message)", 0, NULL },
	{ "other code", CURLE_OK, 200, 0, "{\"code\":301,\"msg\":\"a\\nb\"}", 0,
	    OUT_ERROR, "API error 301 (a?b)", 0, NULL },
	{ "429 with Retry-After", CURLE_OK, 429, 7, "<html>", 0,
	    OUT_RETRY, "HTTP 429", 7, NULL },
	{ "503", CURLE_OK, 503, 0, "", 0, OUT_RETRY, "HTTP 503", 0, NULL },
	{ "408", CURLE_OK, 408, 0, "", 0, OUT_RETRY, "HTTP 408", 0, NULL },
	{ "404", CURLE_OK, 404, 0, "<html>", 0, OUT_ERROR, "HTTP 404", 0, NULL },
	{ "501", CURLE_OK, 501, 0, "", 0, OUT_ERROR, "HTTP 501", 0, NULL },
	{ "redirect", CURLE_OK, 307, 0, "", 0,
	    OUT_ERROR, "redirect (HTTP 307) not followed", 0, NULL },
	{ "empty 200", CURLE_OK, 200, 0, "", 0, OUT_RETRY, "empty reply", 0, NULL },
	{ "not JSON", CURLE_OK, 200, 0, "{\"code\":0,", 0,
	    OUT_ERROR, "unparseable reply", 0, NULL },
	{ "too big", CURLE_WRITE_ERROR, 200, 0, "", 1,
	    OUT_ERROR, "reply larger than 64 KiB", 0, NULL },
	{ "refused", CURLE_COULDNT_CONNECT, 0, 0, "", 0,
	    OUT_RETRY, "Couldn't connect to server", 0, NULL },
	{ "timed out", CURLE_OPERATION_TIMEDOUT, 0, 0, "", 0,
	    OUT_RETRY, "Timeout was reached", 0, NULL },
	{ "TLS failure is final", CURLE_PEER_FAILED_VERIFICATION, 0, 0, "", 0,
	    OUT_ERROR, "SSL peer certificate or SSH remote key was not OK", 0, NULL },
};

START_TEST(classify_table)
{
	const struct classify_case *c = &classify_cases[_i];
	struct attempt a = { .rc = c->rc, .errtext = curl_easy_strerror(c->rc),
	    .http = c->http, .retry_after = c->retry_after, .body = c->body,
	    .len = strlen(c->body), .too_big = c->too_big };
	struct outcome o;

	classify(&a, &o);
	ck_assert_msg(o.kind == c->kind, "%s: kind %d, want %d", c->name, o.kind, c->kind);
	if (c->kind == OUT_STATE)
		ck_assert_str_eq(o.state, c->state_or_why);
	else
		ck_assert_str_eq(o.why, c->state_or_why);
	ck_assert_msg(o.delay == c->delay, "%s: delay %g", c->name, o.delay);
	if (c->hint == NULL)
		ck_assert_ptr_null(o.hint);
	else
		ck_assert_str_eq(o.hint, c->hint);
}
END_TEST

START_TEST(reply_plain)
{
	struct reply r;
	char state[STATE_MAX + 1];

	ck_assert_int_eq(verdict_of("{\"code\":0,\"msg\":\"success\",\"data\":\"RUNNING\"}",
	    state, &r), V_STATE);
	ck_assert_str_eq(state, "RUNNING");
	ck_assert_str_eq(r.msg, "success");
}
END_TEST

START_TEST(reply_tricky_json)
{
	struct reply r;
	char state[STATE_MAX + 1];
	const char *js = " {\n \"data\" : \"SUCCESS\" ,\"extra\":{\"code\":5,\"data\":\"QUEUED\","
	    "\"list\":[1,{\"msg\":\"x\"},[\"code\"]]},\"msg\":\"\\u6210\\u529f\",\"code\" : 0 }\n";

	ck_assert_int_eq(verdict_of(js, state, &r), V_STATE);
	ck_assert_str_eq(state, "SUCCESS");
	ck_assert_str_eq(r.msg, "\xe6\x88\x90\xe5\x8a\x9f");
	ck_assert_int_eq(r.code, 0);
}
END_TEST

START_TEST(reply_escapes)
{
	struct reply r;
	char state[STATE_MAX + 1];
	const char *js;

	/* An escaped state word decodes to the word itself. */
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"\\u0051UEUED\"}", state, &r),
	    V_STATE);
	ck_assert_str_eq(state, "QUEUED");
	/* A surrogate pair: U+1F600. */
	js = "{\"code\":1,\"msg\":\"\\ud83d\\ude00\"}";
	ck_assert_int_eq(parse_reply(js, strlen(js), &r), 0);
	ck_assert_str_eq(r.msg, "\xf0\x9f\x98\x80");
	/* An escaped NUL would cut the message short: it becomes U+FFFD too. */
	js = "{\"code\":1,\"msg\":\"a\\u0000b\"}";
	ck_assert_int_eq(parse_reply(js, strlen(js), &r), 0);
	ck_assert_str_eq(r.msg, "a\xef\xbf\xbd" "b");
	/* A lone surrogate becomes U+FFFD. */
	js = "{\"code\":1,\"msg\":\"\\ud83d!\"}";
	ck_assert_int_eq(parse_reply(js, strlen(js), &r), 0);
	ck_assert_str_eq(r.msg, "\xef\xbf\xbd!");
}
END_TEST

START_TEST(reply_states)
{
	struct reply r;
	char state[STATE_MAX + 1];

	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"CANCEL\"}", state, &r), V_STATE);
	ck_assert_str_eq(state, "CANCEL");
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":null}", state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"success\"}", state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"RUN\\tNING\"}", state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"A23456789012345678901234567890123\"}",
	    state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":\"A2345678901234567890123456789012\"}",
	    state, &r), V_STATE);
	ck_assert_int_eq(verdict_of("{\"code\":0,\"data\":7}", state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":0}", state, &r), V_ERROR);
}
END_TEST

START_TEST(reply_codes)
{
	struct reply r;
	char state[STATE_MAX + 1];

	ck_assert_int_eq(verdict_of("{\"code\":807,\"msg\":\"APIKEY_TASK_NOT_FOUND\",\"data\":null}",
	    state, &r), V_NOT_FOUND);
	ck_assert_int_eq(verdict_of("{\"code\":423,\"data\":null}", state, &r), V_NOT_FOUND);
	ck_assert_int_eq(verdict_of("{\"code\":1004,\"data\":null}", state, &r), V_NOT_FOUND);
	ck_assert_int_eq(verdict_of("{\"code\":802,\"data\":null}", state, &r), V_FATAL);
	ck_assert_int_eq(verdict_of("{\"code\":806,\"data\":null}", state, &r), V_FATAL);
	ck_assert_int_eq(verdict_of("{\"code\":1002,\"data\":null}", state, &r), V_FATAL);
	ck_assert_int_eq(verdict_of("{\"code\":421,\"data\":null}", state, &r), V_RETRY);
	ck_assert_int_eq(verdict_of("{\"code\":301,\"data\":null}", state, &r), V_ERROR);
	ck_assert_int_eq(verdict_of("{\"code\":804,\"data\":null}", state, &r), V_STATE);
	ck_assert_str_eq(state, "RUNNING");
	ck_assert_int_eq(verdict_of("{\"code\":-1,\"data\":null}", state, &r), V_ERROR);
}
END_TEST

START_TEST(reply_unparseable)
{
	static const char *bad[] = {
		"", "   ", "null", "[1,2]", "\"code\"", "{", "{\"code\":0,\"data\":\"SUCC",
		"{\"code\":\"0\",\"data\":\"SUCCESS\"}", "{\"code\":0.5}", "{\"code\":1e3}",
		"{\"msg\":\"no code\"}", "{\"code\":0} trailing", "{\"code\":0}{\"code\":1}",
		"{\"code\":0,\"msg\":\"bad \\x escape\"}", "{\"code\":99999999999999999999999}",
		"<html><body>502 Bad Gateway</body></html>", "{code:0}",
	};
	struct reply r;
	size_t i;

	for (i = 0; i < NELEM(bad); i++)
		ck_assert_msg(parse_reply(bad[i], strlen(bad[i]), &r) < 0, "parsed: %s", bad[i]);
}
END_TEST

START_TEST(reply_many_tokens)
{
	/* More tokens than the parser's first array holds. */
	char js[8192];
	size_t n = 0;
	int i;

	n += sprintf(js + n, "{\"list\":[");
	for (i = 0; i < 1000; i++)
		n += sprintf(js + n, "%s%d", i ? "," : "", i);
	n += sprintf(js + n, "],\"code\":0,\"data\":\"FAILED\"}");
	{
		struct reply r;
		char state[STATE_MAX + 1];

		ck_assert_int_eq(verdict_of(js, state, &r), V_STATE);
		ck_assert_str_eq(state, "FAILED");
	}
}
END_TEST

START_TEST(reply_long_msg_cut)
{
	char js[2048], *p = js;
	struct reply r;
	int i;

	p += sprintf(p, "{\"code\":9,\"msg\":\"");
	for (i = 0; i < 300; i++)
		p += sprintf(p, "\\u4efb");		/* three bytes each */
	sprintf(p, "\"}");
	ck_assert_int_eq(parse_reply(js, strlen(js), &r), 0);
	ck_assert_uint_eq(strlen(r.msg), 255);	/* 85 whole characters */
}
END_TEST

START_TEST(reply_raw_utf8_cut_whole)
{
	char js[512], *p = js;
	struct reply r;
	int i;

	/* Raw (unescaped) three-byte characters: the cut must not split one. */
	p += sprintf(p, "{\"code\":9,\"msg\":\"a");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "\xe4\xbb\xbb");
	sprintf(p, "\"}");
	ck_assert_int_eq(parse_reply(js, strlen(js), &r), 0);
	ck_assert_uint_eq(strlen(r.msg), 1 + 3 * 84);
}
END_TEST

START_TEST(backoff_bounds)
{
	int i;
	double d;

	opt.retry_delay = 1;
	for (i = 0; i < 200; i++) {
		d = backoff(1);
		ck_assert(d >= 0.5 && d <= 1.0);
		d = backoff(3);
		ck_assert(d >= 2.0 && d <= 4.0);
		d = backoff(20);
		ck_assert(d >= 15.0 && d <= 30.0);
	}
}
END_TEST

START_TEST(loopback_hosts)
{
	ck_assert(is_loopback("127.0.0.1"));
	ck_assert(is_loopback("127.1.2.3"));
	ck_assert(is_loopback("localhost"));
	ck_assert(is_loopback("::1"));
	ck_assert(!is_loopback("128.0.0.1"));
	ck_assert(!is_loopback("www.runninghub.cn"));
	ck_assert(!is_loopback("localhost.example.com"));
	ck_assert(!is_loopback("::2"));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("unit");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, ids_valid);
	tcase_add_test(tc, ids_invalid);
	tcase_add_test(tc, items_trim_and_skip);
	tcase_add_test(tc, items_fields);
	tcase_add_test(tc, reader_records);
	tcase_add_test(tc, reader_long_line_bounded);
	tcase_add_test(tc, tsv_escaping);
	tcase_add_test(tc, json_escaping);
	tcase_add_test(tc, body_bytes);
	tcase_add_test(tc, reply_plain);
	tcase_add_test(tc, reply_tricky_json);
	tcase_add_test(tc, reply_escapes);
	tcase_add_test(tc, reply_states);
	tcase_add_test(tc, reply_codes);
	tcase_add_test(tc, reply_unparseable);
	tcase_add_test(tc, reply_many_tokens);
	tcase_add_test(tc, reply_long_msg_cut);
	tcase_add_test(tc, reply_raw_utf8_cut_whole);
	tcase_add_loop_test(tc, classify_table, 0, NELEM(classify_cases));
	tcase_add_test(tc, backoff_bounds);
	tcase_add_test(tc, loopback_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_add_suite(sr, system_suite());
	srunner_add_suite(sr, faults_suite());
	srunner_add_suite(sr, workflow_suite());
	srunner_add_suite(sr, results_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
