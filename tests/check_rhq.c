/*
 * The unit tests of rhq's pure parts, and the time seam: this file includes
 * rhq.c to reach its static functions.  The system tests, in the other
 * files, run the real binary against the libmicrohttpd stand-in.
 */
#define _GNU_SOURCE
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"

#include <sys/mman.h>

#include <err.h>

#include <stdlib.h>

#include "seam.h"

const char rhq_version[] = RHQ_VERSION;

/*
 * The time seam: rhq's code on a virtual clock, which moves only when rhq
 * waits.  A wait with nothing to wait for (nothing in flight, stdin not
 * watched) jumps over its whole timeout at once.  A wait for replies or
 * stdin polls them for real: if one comes, the clock does not move; if the
 * wait times out, the clock moves by its timeout (or by less, when libcurl
 * ended the poll early for a timer of its own).  So a request takes no time
 * at all, however busy the machine is: a rate, a backoff or a Retry-After
 * gives the same figure under ASan as in a plain build, and only a reply
 * slower than rhq's own wait (the stand-in's ID_SLOW, a timeout) lets time
 * pass as it passes outside.  The clock is kept in a file the test maps too
 * ($RHQ_WARP_FILE), as seconds since the run began, so the test can assert
 * how long the run took in rhq's time, and the stand-in can keep that time.
 * The test program runs this as a fresh process (not a fork of one with the
 * stand-in's threads), so the sanitizers see it as they see rhq.
 */
#define WARP_EPOCH	1000.0		/* where the clock starts: any time but 0 */

static double *warp;

static double
warped_now(void)
{
	return WARP_EPOCH + *warp;
}

static CURLMcode
warped_wait(struct curl_waitfd *fds, unsigned nfds, int timeout_ms)
{
	double start = monotonic_now(), took;
	CURLMcode rc = CURLM_OK;
	int ready = 0;

	if (nfds == 0 && in_flight == 0) {
		*warp += timeout_ms / 1e3;
		return CURLM_OK;
	}
	rc = curl_multi_poll(multi, fds, nfds, timeout_ms, &ready);
	if (ready == 0) {
		took = monotonic_now() - start;
		*warp += took < timeout_ms / 1e3 ? took : timeout_ms / 1e3;
	}
	return rc;
}

int
warped_main(int argc, char *argv[])
{
	const char *path = getenv("RHQ_WARP_FILE");
	int fd;

	if (path == NULL || (fd = open(path, O_RDWR)) < 0)
		err(EXIT_FATAL, "RHQ_WARP_FILE");
	warp = mmap(NULL, sizeof *warp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (warp == MAP_FAILED)
		err(EXIT_FATAL, "mmap");
	close(fd);
	now = warped_now;
	wait_events = warped_wait;
	jitter_seed = 1;
	return rhq_main(argc, argv);
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

/*
 * The unsafe characters, as ranges of code points: each one in the middle
 * of "a" and "b", printed each way (see enum clean), must be replaced if
 * the row says it is unsafe and kept if not.
 */
static const struct unsafe_case {
	unsigned long lo, hi;
	int unsafe;
} unsafe_cases[] = {
	{ 0x00, 0x1f, 1 },		/* C0, each: NUL, BEL, BS, TAB, newline, CR, ESC... */
	{ 0x20, 0x7e, 0 },		/* printable ASCII */
	{ 0x7f, 0x7f, 1 },		/* DEL */
	{ 0x80, 0x9f, 1 },		/* C1, each: PAD... NEL, CSI, OSC */
	{ 0xa0, 0xff, 0 },		/* NBSP, Latin-1: é */
	{ 0x061c, 0x061c, 0 },		/* ALM, a mark that overrides nothing */
	{ 0x200e, 0x200f, 0 },		/* LRM, RLM: the same */
	{ 0x2027, 0x2027, 0 },
	{ 0x2028, 0x2029, 1 },		/* line and paragraph separators */
	{ 0x202a, 0x202e, 1 },		/* LRE, RLE, PDF, LRO, RLO */
	{ 0x202f, 0x202f, 0 },
	{ 0x2065, 0x2065, 0 },
	{ 0x2066, 0x2069, 1 },		/* LRI, RLI, FSI, PDI */
	{ 0x206a, 0x206a, 0 },
	{ 0x4e2d, 0x4e2d, 0 },		/* 中 */
	{ 0xfffd, 0xfffd, 0 },		/* the replacement character itself */
	{ 0x1f600, 0x1f600, 0 },	/* an emoji, four bytes */
};

/* U+FFFD REPLACEMENT CHARACTER and U+2026 HORIZONTAL ELLIPSIS in UTF-8. */
#define REPL	"\xef\xbf\xbd"
#define ELLIPSIS "\xe2\x80\xa6"

/* What put_clean() writes for n bytes at s; the caller frees it. */
static char *
put_cleaned(const char *s, size_t n, enum clean how)
{
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(stdout = open_memstream(&buf, &len));
	put_clean(s, n, how);
	ck_assert_int_eq(fclose(stdout), 0);
	stdout = saved;
	return buf;
}

/* What line_add() and line_end() make of s, in buf (DETAIL_MAX + 1 bytes). */
static const char *
line_cleaned(const char *s, char *buf)
{
	struct line l = { .d = buf, .max = DETAIL_MAX };

	line_add(&l, s);
	line_end(&l);
	return buf;
}

/* Writes code point cp as UTF-8 at d; returns the length. */
static size_t
utf8_put(char *d, unsigned long cp)
{
	char *e = d;

	put_utf8(&e, cp);
	return e - d;
}

START_TEST(unsafe_table)
{
	const struct unsafe_case *c = &unsafe_cases[_i];
	char in[16], want[64], json[64], line[DETAIL_MAX + 1], *got, *w;
	unsigned long cp;
	size_t n, k;

	for (cp = c->lo; cp <= c->hi; cp++) {
		in[0] = 'a';
		n = 1 + utf8_put(in + 1, cp);
		in[n++] = 'b';
		in[n] = '\0';
		ck_assert_msg(unsafe_char(cp) == c->unsafe, "U+%04lX", cp);

		/* A line: a space for an unsafe character (and a space). */
		if (cp != 0)
			ck_assert_msg(strcmp(line_cleaned(in, line),
			    c->unsafe ? "a b" : in) == 0, "U+%04lX as a line: %s", cp, line);

		/* Text: TSV escapes, or U+FFFD. */
		got = put_cleaned(in, n, CLEAN_TEXT);
		if (cp < 0x80 && strchr("\t\n\r\\", (int)cp) != NULL)
			snprintf(want, sizeof want, "a\\%cb", cp == '\t' ? 't' : cp == '\n' ? 'n' :
			    cp == '\r' ? 'r' : cp == 0 ? '0' : '\\');
		else
			snprintf(want, sizeof want, "%s", c->unsafe ? "a" REPL "b" : in);
		ck_assert_msg(strcmp(got, want) == 0, "U+%04lX as text: %s", cp, got);
		free(got);

		/* A URL: every byte of the character as %XX, also for ' ', '"' and '\'. */
		got = put_cleaned(in, n, CLEAN_URL);
		w = want;
		*w++ = 'a';
		for (k = 1; k < n - 1; k++)
			if (c->unsafe || cp == ' ' || cp == '"' || cp == '\\')
				w += sprintf(w, "%%%02X", (unsigned char)in[k]);
			else
				*w++ = in[k];
		strcpy(w, "b");
		ck_assert_msg(strcmp(got, want) == 0, "U+%04lX as a URL: %s", cp, got);
		free(got);

		/* JSON: an escape, the short one where JSON has one. */
		json_escape(json, in, n);
		if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '"' || cp == '\\')
			snprintf(want, sizeof want, "a\\%cb", cp == '\t' ? 't' : cp == '\n' ? 'n' :
			    cp == '\r' ? 'r' : (int)cp);
		else if (c->unsafe)
			snprintf(want, sizeof want, "a\\u%04lxb", cp);
		else
			snprintf(want, sizeof want, "%s", in);
		ck_assert_msg(strcmp(json, want) == 0, "U+%04lX in JSON: %s", cp, json);
	}
}
END_TEST

/*
 * Text as the API may give it, and what each way of printing makes of it:
 * a line (reasons, causes), a TSV text field (text outputs, bad input) and
 * a URL.
 */
static const struct clean_case {
	const char *name, *in, *line, *text, *url;
} clean_cases[] = {
	{ "an escape sequence", "https://x/\x1b[31mred",
	    "https://x/ [31mred", "https://x/" REPL "[31mred", "https://x/%1B[31mred" },
	{ "a right-to-left override", "https://x/\xe2\x80\xae" "evil.png",
	    "https://x/ evil.png", "https://x/" REPL "evil.png", "https://x/%E2%80%AEevil.png" },
	{ "space, quote, backslash", "a b\"c\\d",
	    "a b\"c\\d", "a b\"c\\\\d", "a%20b%22c%5Cd" },
	{ "TAB, newline, CR", "a\tb\nc\rd", "a b c d", "a\\tb\\nc\\rd", "a%09b%0Ac%0Dd" },
	{ "runs and ends", " \t a \x1b\x1b  b \xe2\x80\xa8",
	    "a b", " \\t a " REPL REPL "  b " REPL, "%20%09%20a%20%1B%1B%20%20b%20%E2%80%A8" },
	{ "C1 as UTF-8, and as a raw byte", "a\xc2\x9b" "1m\x9b" "2J",
	    "a 1m" REPL "2J", "a" REPL "1m" REPL "2J", "a%C2%9B1m%9B2J" },
	{ "a byte never in UTF-8", "a\xff" "b", "a" REPL "b", "a" REPL "b", "a%FFb" },
	{ "a lone continuation byte", "a\x80" "b", "a" REPL "b", "a" REPL "b", "a%80b" },
	{ "a cut character", "a\xc3(", "a" REPL "(", "a" REPL "(", "a%C3(" },
	{ "a cut character at the end", "a\xe4\xbd", "a" REPL REPL, "a" REPL REPL, "a%E4%BD" },
	{ "overlong '/'", "\xc0\xaf", REPL REPL, REPL REPL, "%C0%AF" },
	{ "an encoded surrogate", "\xed\xa0\x80", REPL REPL REPL, REPL REPL REPL, "%ED%A0%80" },
	{ "beyond U+10FFFF", "\xf4\x90\x80\x80", REPL REPL REPL REPL, REPL REPL REPL REPL,
	    "%F4%90%80%80" },
	{ "kept: accents, CJK, emoji", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
	    "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
	    "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80" },
	{ "kept: a URL already encoded", "https://x/a%20b?q=1&r='2'#f",
	    "https://x/a%20b?q=1&r='2'#f", "https://x/a%20b?q=1&r='2'#f",
	    "https://x/a%20b?q=1&r='2'#f" },
};

START_TEST(clean_table)
{
	const struct clean_case *c = &clean_cases[_i];
	char line[DETAIL_MAX + 1], *got;

	ck_assert_msg(strcmp(line_cleaned(c->in, line), c->line) == 0, "%s: line '%s'",
	    c->name, line);
	got = put_cleaned(c->in, strlen(c->in), CLEAN_TEXT);
	ck_assert_msg(strcmp(got, c->text) == 0, "%s: text '%s'", c->name, got);
	free(got);
	got = put_cleaned(c->in, strlen(c->in), CLEAN_URL);
	ck_assert_msg(strcmp(got, c->url) == 0, "%s: URL '%s'", c->name, got);
	free(got);
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
	    OUT_NOT_FOUND, "API error 807 (X)", 0, NULL },
	{ "not found 1004", CURLE_OK, 200, 0, "{\"code\":1004,\"data\":null}", 0,
	    OUT_NOT_FOUND, "API error 1004 (TASK_NOT_FOUND_OR_EXPIRED)", 0, NULL },
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
	    OUT_ERROR, "API error 301 (a b)", 0, NULL },
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

/* ---------------------------------------------- results and reasons */

/* The stand-in's standard failure reason, as one line. */
#define STD_LINE "node 276 SONIC_PreData: TypeError: SONIC_PreData.sampler_main() missing " \
	"2 required positional arguments: 'clip_vision' and 'vae'"

/* The outputs parser. */

static const struct outputs_case {
	const char *name, *json;
	int ret;		/* of parse_outputs_reply */
	long code;
	int data_kind;
	size_t n;		/* outputs */
	const char *url, *type, *node;	/* of the first */
	const char *cost, *node_id, *message;
} outputs_cases[] = {
	{ "one file, extra fields",
	    "{\"code\":0,\"msg\":\"success\",\"data\":[{\"fileUrl\":\"https://x/a.png\","
	    "\"fileType\":\"png\",\"taskCostTime\":\"0\",\"nodeId\":\"9\",\"consumeCoins\":\"3\","
	    "\"consumeMoney\":null,\"extra\":{\"fileUrl\":\"inner\"}}]}",
	    0, 0, DATA_ARRAY, 1, "https://x/a.png", "png", "9", "0", "", "" },
	{ "two files, members in any order",
	    " {\"data\" : [ {\"nodeId\":\"3\",\"fileUrl\":\"u1\"}, {\"fileUrl\":\"u\\/2\","
	    "\"fileType\":\"mp4\"} ] , \"code\" : 0 }\n",
	    0, 0, DATA_ARRAY, 2, "u1", "", "3", "", "", "" },
	{ "no files", "{\"code\":0,\"msg\":\"success\",\"data\":[]}",
	    0, 0, DATA_ARRAY, 0, NULL, NULL, NULL, "", "", "" },
	{ "items that are no files are left out",
	    "{\"code\":0,\"data\":[1,\"s\",null,[],{},{\"fileType\":\"png\"},{\"fileUrl\":\"u\"}]}",
	    0, 0, DATA_ARRAY, 1, "u", "", "", "", "", "" },
	{ "a number as a node ID and a cost",
	    "{\"code\":0,\"data\":[{\"fileUrl\":\"u\",\"nodeId\":12,\"taskCostTime\":7.5}]}",
	    0, 0, DATA_ARRAY, 1, "u", "", "12", "7.5", "", "" },
	{ "failure reason",
	    "{\"code\":805,\"msg\":\"APIKEY_TASK_STATUS_ERROR\",\"data\":{\"failedReason\":{"
	    "\"node_id\":\"276\",\"node_name\":\"N\",\"exception_type\":\"T\","
	    "\"exception_message\":\"m\\u00e9\",\"traceback\":\"tb\",\"current_inputs\":\"{}\"}}}",
	    0, 805, DATA_OBJECT, 0, NULL, NULL, NULL, "", "276", "m\xc3\xa9" },
	{ "failedReason null", "{\"code\":805,\"data\":{\"failedReason\":null}}",
	    0, 805, DATA_OBJECT, 0, NULL, NULL, NULL, "", "", "" },
	{ "not ready", "{\"code\":804,\"msg\":\"APIKEY_TASK_IS_RUNNING\",\"data\":null}",
	    0, 804, DATA_NULL, 0, NULL, NULL, NULL, "", "", "" },
	{ "code 0, no list", "{\"code\":0,\"msg\":\"running\",\"data\":\"RUNNING\"}",
	    0, 0, DATA_OTHER, 0, NULL, NULL, NULL, "", "", "" },
	{ "no code", "{\"data\":[]}", -1, 0, 0, 0, NULL, NULL, NULL, "", "", "" },
	{ "not an object", "[{\"code\":0}]", -1, 0, 0, 0, NULL, NULL, NULL, "", "", "" },
	{ "trailing bytes", "{\"code\":0,\"data\":[]} x", -1, 0, 0, 0, NULL, NULL, NULL, "", "",
	    "" },
	{ "bad escape in a URL", "{\"code\":0,\"data\":[{\"fileUrl\":\"a\\qb\"}]}",
	    -1, 0, 0, 0, NULL, NULL, NULL, "", "", "" },
	{ "truncated", "{\"code\":0,\"data\":[{\"fileUrl\":\"a", -1, 0, 0, 0, NULL, NULL, NULL,
	    "", "", "" },
	/* jsmn takes a name without a value; pairing tokens there would read the next item. */
	{ "a name without a value", "{\"code\":0,\"data\":[{\"nodeId\" \"x\",\"y\":1},"
	    "{\"fileUrl\":\"u\"}]}", -1, 0, 0, 0, NULL, NULL, NULL, "", "", "" },
	{ "a name without a value, at the top", "{\"code\" 0}", -1, 0, 0, 0, NULL, NULL, NULL,
	    "", "", "" },
};

START_TEST(parse_outputs_table)
{
	const struct outputs_case *c = &outputs_cases[_i];
	struct results res = { 0 };
	struct reply r;
	int ret = parse_outputs_reply(c->json, strlen(c->json), &r, &res, 0);

	ck_assert_msg(ret == c->ret, "%s: returned %d", c->name, ret);
	ck_assert(res.read == (ret == 0));
	if (ret == 0) {
		ck_assert_msg(r.code == c->code && (int)r.data_kind == c->data_kind,
		    "%s: code %ld, data kind %d", c->name, r.code, r.data_kind);
		ck_assert_msg(res.n == c->n, "%s: %zu outputs", c->name, res.n);
		if (c->n > 0) {
			ck_assert_str_eq(res_str(&res, res.v[0].url), c->url);
			ck_assert_str_eq(res_str(&res, res.v[0].type), c->type);
			ck_assert_str_eq(res_str(&res, res.v[0].node), c->node);
		}
		ck_assert_str_eq(res_str(&res, res.cost), c->cost);
		ck_assert_str_eq(res_str(&res, res.reason[R_NODE_ID]), c->node_id);
		ck_assert_str_eq(res_str(&res, res.reason[R_EXC_MSG]), c->message);
		ck_assert_uint_eq(res.reason[R_TRACEBACK], 0);	/* not asked for */
	}
	/* What parses with results parses without (which reads no results at all). */
	if (c->ret == 0)
		ck_assert_int_eq(parse_outputs_reply(c->json, strlen(c->json), &r, NULL, 1), 0);
	results_free(&res);
}
END_TEST

/* The v2 parser. */

static const struct v2_case {
	const char *name, *json;
	int ret;
	const char *status;
	int has_code;
	long code;
	const char *code_text, *msg;
	size_t n;
	const char *detail;	/* the first output's URL, or its text */
	const char *cost, *node_id;
} v2_cases[] = {
	{ "as documented",
	    "{\"taskId\":\"2013508786110730241\",\"status\":\"SUCCESS\",\"errorCode\":\"\","
	    "\"errorMessage\":\"\",\"failedReason\":{},\"usage\":{\"consumeMoney\":null,"
	    "\"consumeCoins\":null,\"taskCostTime\":\"0\",\"thirdPartyConsumeMoney\":null},"
	    "\"results\":[{\"url\":\"https://x/1.png\",\"nodeId\":\"2\",\"outputType\":\"png\","
	    "\"text\":null}],\"clientId\":\"\",\"promptTips\":\"\"}",
	    0, "SUCCESS", 0, 0, "", "", 1, "https://x/1.png", "0", "" },
	{ "a text output", "{\"status\":\"SUCCESS\",\"results\":[{\"url\":null,\"text\":"
	    "\"a\\tb\\n\\u00e9\",\"outputType\":\"txt\"}]}",
	    0, "SUCCESS", 0, 0, "", "", 1, "a\tb\n\xc3\xa9", "", "" },
	{ "errorCode a string", "{\"taskId\":\"\",\"status\":\"\",\"errorCode\":\"806\","
	    "\"errorMessage\":\"APIKEY_USER_NOT_FOUND\"}",
	    0, "", 1, 806, "", "APIKEY_USER_NOT_FOUND", 0, NULL, "", "" },
	{ "errorCode a number", "{\"status\":\"\",\"errorCode\":1002,\"errorMessage\":\"bad\"}",
	    0, "", 1, 1002, "", "bad", 0, NULL, "", "" },
	{ "errorCode with spaces", "{\"errorCode\":\" 1007 \"}", 0, "", 1, 1007, "", "", 0, NULL,
	    "", "" },
	{ "errorCode not a number", "{\"errorCode\":\"E42\",\"errorMessage\":\"odd\"}",
	    0, "", 0, 0, "E42", "odd", 0, NULL, "", "" },
	{ "errorCode a fraction", "{\"errorCode\":4.5}", 0, "", 0, 0, "4.5", "", 0, NULL, "",
	    "" },
	{ "errorCode empty, null, false, an object",
	    "{\"errorCode\":\"\",\"errorCode\":null,\"errorCode\":false,\"errorCode\":{\"a\":1},"
	    "\"status\":\"RUNNING\"}",
	    0, "RUNNING", 0, 0, "", "", 0, NULL, "", "" },
	{ "everything null",
	    "{\"taskId\":null,\"status\":null,\"errorCode\":null,\"errorMessage\":null,"
	    "\"failedReason\":null,\"usage\":null,\"results\":null}",
	    0, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "everything absent", "{}", 0, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "results empty, usage empty", "{\"status\":\"SUCCESS\",\"results\":[],\"usage\":{}}",
	    0, "SUCCESS", 0, 0, "", "", 0, NULL, "", "" },
	{ "nested members are not the reply's",
	    "{\"x\":{\"status\":\"FAILED\",\"errorCode\":\"806\",\"results\":[{\"url\":\"no\"}]},"
	    "\"y\":[{\"status\":\"X\"}],\"status\":\"SUCCESS\"}",
	    0, "SUCCESS", 0, 0, "", "", 0, NULL, "", "" },
	{ "failure with a code",
	    "{\"status\":\"FAILED\",\"errorCode\":\"1505\",\"errorMessage\":\"refused\","
	    "\"failedReason\":{\"node_id\":7,\"exception_type\":\"E\"}}",
	    0, "FAILED", 1, 1505, "", "refused", 0, NULL, "", "7" },
	{ "a long status is cut", "{\"status\":\"ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ\"}",
	    0, "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABC", 0, 0, "", "", 0, NULL, "", "" },
	{ "not an object", "\"SUCCESS\"", -1, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "an HTML page", "<html>502</html>", -1, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "bad escape in status", "{\"status\":\"\\x\"}", -1, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "bad escape in a result", "{\"results\":[{\"url\":\"\\u12\"}]}", -1, "", 0, 0, "", "",
	    0, NULL, "", "" },
	{ "a name without a value", "{\"results\":[{\"url\"\"\",\"x\",\"text\":\"b\"},"
	    "{\"url\":\"u\",\"text\":\"b\"}]}", -1, "", 0, 0, "", "", 0, NULL, "", "" },
	{ "a name without a value, at the top", "{\"status\" \"SUCCESS\"}", -1, "", 0, 0, "", "",
	    0, NULL, "", "" },
	{ "a name without a value in failedReason", "{\"failedReason\":{\"node_id\" \"1\"}}",
	    -1, "", 0, 0, "", "", 0, NULL, "", "" },
};

START_TEST(parse_v2_table)
{
	const struct v2_case *c = &v2_cases[_i];
	struct results res = { 0 };
	struct v2_reply v;
	const struct output *o;
	int ret = parse_v2_reply(c->json, strlen(c->json), &v, &res, 0);

	ck_assert_msg(ret == c->ret, "%s: returned %d", c->name, ret);
	if (ret == 0) {
		ck_assert_str_eq(v.status, c->status);
		/* The whole length: more than the buffer holds when the status was cut. */
		ck_assert_msg(v.status_len == strlen(v.status) ||
		    (strlen(v.status) == sizeof v.status - 1 && v.status_len > strlen(v.status)),
		    "%s: status_len %zu", c->name, v.status_len);
		ck_assert_msg(v.r.has_code == c->has_code && v.r.code == c->code,
		    "%s: code %d %ld", c->name, v.r.has_code, v.r.code);
		ck_assert_str_eq(v.code_text, c->code_text);
		ck_assert_str_eq(v.r.msg, c->msg);
		ck_assert_int_eq(v.r.has_msg, c->msg[0] != '\0');
		ck_assert_msg(res.n == c->n, "%s: %zu outputs", c->name, res.n);
		if (c->n > 0) {
			o = &res.v[0];
			ck_assert_str_eq(res_str(&res, o->url ? o->url : o->text), c->detail);
		}
		ck_assert_str_eq(res_str(&res, res.cost), c->cost);
		ck_assert_str_eq(res_str(&res, res.reason[R_NODE_ID]), c->node_id);
	}
	if (c->ret == 0)
		ck_assert_int_eq(parse_v2_reply(c->json, strlen(c->json), &v, NULL, 1), 0);
	results_free(&res);
}
END_TEST

START_TEST(traceback_only_when_asked)
{
	static const char js[] = "{\"status\":\"FAILED\",\"failedReason\":{\"node_id\":\"1\","
	    "\"traceback\":\"line 1\\nline 2\"}}";
	struct results res = { 0 };
	struct v2_reply v;

	ck_assert_int_eq(parse_v2_reply(js, sizeof js - 1, &v, &res, 0), 0);
	ck_assert_uint_eq(res.reason[R_TRACEBACK], 0);
	ck_assert_int_eq(parse_v2_reply(js, sizeof js - 1, &v, &res, 1), 0);
	ck_assert_str_eq(res_str(&res, res.reason[R_TRACEBACK]), "line 1\nline 2");
	results_free(&res);
}
END_TEST

START_TEST(many_outputs)
{
	/* More items than the token array on the stack holds, and a pool that grows. */
	size_t n = 5000, i, len = 0;
	char *js = malloc(n * 64 + 64);
	struct results res = { 0 }, copy = { 0 };
	struct reply r;
	char want[64];

	len += sprintf(js, "{\"code\":0,\"data\":[");
	for (i = 0; i < n; i++)
		len += sprintf(js + len, "%s{\"fileUrl\":\"https://x/%zu.png\"}", i ? "," : "", i);
	strcpy(js + len, "]}");
	ck_assert_int_eq(parse_outputs_reply(js, strlen(js), &r, &res, 0), 0);
	ck_assert_uint_eq(res.n, n);
	results_copy(&copy, &res);
	results_reset(&res);
	ck_assert_uint_eq(res.n, 0);
	snprintf(want, sizeof want, "https://x/%zu.png", n - 1);
	ck_assert_str_eq(res_str(&copy, copy.v[n - 1].url), want);
	ck_assert_uint_le(copy.len, strlen(js));	/* bounded by the reply */
	results_free(&res);
	results_free(&copy);
	free(js);
}
END_TEST

/* classify() for the outputs and v2 replies. */

static const struct results_classify_case {
	const char *name;
	enum req kind;
	const char *body;
	int too_big;
	enum outcome_kind out;
	const char *state_or_why;
	const char *hint;
	int has_code;
	long code;
	const char *id;		/* the task asked about (NULL: any) */
} results_classify_cases[] = {
	{ "files", REQ_OUTPUTS, "{\"code\":0,\"msg\":\"success\",\"data\":[]}", 0,
	    OUT_RESULTS, "", NULL, 1, 0, NULL },
	{ "failure", REQ_OUTPUTS, "{\"code\":805,\"data\":{\"failedReason\":{}}}", 0,
	    OUT_RESULTS, "", NULL, 1, 805, NULL },
	{ "804 after SUCCESS: not ready", REQ_OUTPUTS,
	    "{\"code\":804,\"msg\":\"APIKEY_TASK_IS_RUNNING\",\"data\":null}", 0,
	    OUT_RETRY, "API error 804 (APIKEY_TASK_IS_RUNNING)", NULL, 1, 804, NULL },
	{ "813 after SUCCESS: not ready", REQ_OUTPUTS, "{\"code\":813,\"data\":null}", 0,
	    OUT_RETRY, "API error 813 (APIKEY_TASK_IS_QUEUED)", NULL, 1, 813, NULL },
	{ "code 0 without a list", REQ_OUTPUTS, "{\"code\":0,\"msg\":\"running\"}", 0,
	    OUT_RETRY, "outputs not ready (running)", NULL, 1, 0, NULL },
	{ "outputs: not found", REQ_OUTPUTS, "{\"code\":807,\"data\":null}", 0,
	    OUT_NOT_FOUND, "API error 807 (APIKEY_TASK_NOT_FOUND)", NULL, 1, 807, NULL },
	{ "outputs: bad key", REQ_OUTPUTS, "{\"code\":802,\"msg\":\"APIKEY_UNAUTHORIZED\"}", 0,
	    OUT_FATAL, "API error 802 (APIKEY_UNAUTHORIZED)", SITE_HINT, 1, 802, NULL },
	{ "outputs: other code", REQ_OUTPUTS, "{\"code\":301,\"msg\":\"PARAMS_INVALID\"}", 0,
	    OUT_ERROR, "API error 301 (PARAMS_INVALID)", NULL, 1, 301, NULL },
	{ "outputs: unparseable", REQ_OUTPUTS, "{\"data\":[]}", 0,
	    OUT_ERROR, "unparseable reply", NULL, 0, 0, NULL },
	{ "outputs: larger cap", REQ_OUTPUTS, "", 1,
	    OUT_ERROR, "reply larger than 1024 KiB", NULL, 0, 0, NULL },
	{ "v2 state", REQ_V2, "{\"status\":\"RUNNING\",\"errorCode\":\"\"}", 0,
	    OUT_STATE, "RUNNING", NULL, 0, 0, NULL },
	{ "v2 failed with a code", REQ_V2,
	    "{\"status\":\"FAILED\",\"errorCode\":\"1505\",\"errorMessage\":\"refused\"}", 0,
	    OUT_STATE, "FAILED", NULL, 1, 1505, NULL },
	{ "v2 future state", REQ_V2, "{\"status\":\"CANCEL\"}", 0, OUT_STATE, "CANCEL", NULL,
	    0, 0, NULL },
	{ "v2 lower case", REQ_V2, "{\"status\":\"success\"}", 0,
	    OUT_ERROR, "reply has an unexpected state", NULL, 0, 0, NULL },
	{ "v2 bad key, string", REQ_V2,
	    "{\"status\":\"\",\"errorCode\":\"806\",\"errorMessage\":\"APIKEY_USER_NOT_FOUND\"}", 0,
	    OUT_FATAL, "API error 806 (APIKEY_USER_NOT_FOUND)", SITE_HINT, 1, 806, NULL },
	{ "v2 bad key, number, no message", REQ_V2, "{\"status\":\"\",\"errorCode\":1002}", 0,
	    OUT_FATAL, "API error 1002 (INVALID_API_KEY)", NULL, 1, 1002, NULL },
	{ "v2 unknown task 1007", REQ_V2, "{\"taskId\":\"\",\"errorCode\":\"1007\"}", 0,
	    OUT_NOT_FOUND, "API error 1007 (TASK_NOT_FOUND)", NULL, 1, 1007, "9210" },
	{ "v2 not found 1004", REQ_V2, "{\"errorCode\":1004}", 0,
	    OUT_NOT_FOUND, "API error 1004 (TASK_NOT_FOUND_OR_EXPIRED)", NULL, 1, 1004, NULL },
	{ "v2 rate limit", REQ_V2, "{\"errorCode\":\"1003\",\"errorMessage\":\"slow down\"}", 0,
	    OUT_RETRY, "API error 1003 (slow down)", NULL, 1, 1003, NULL },
	{ "v2 other code", REQ_V2, "{\"errorCode\":\"1501\",\"errorMessage\":\"a\\nb\"}", 0,
	    OUT_ERROR, "API error 1501 (a b)", NULL, 1, 1501, NULL },
	{ "v2 code that is no number", REQ_V2, "{\"errorCode\":\"E42\"}", 0,
	    OUT_ERROR, "API error E42 (no message)", NULL, 0, 0, NULL },
	{ "v2 nothing", REQ_V2, "{\"taskId\":\"1\",\"errorCode\":\"0\"}", 0,
	    OUT_ERROR, "reply has no status", NULL, 1, 0, NULL },
	{ "v2 not JSON", REQ_V2, "<html>", 0, OUT_ERROR, "unparseable reply", NULL, 0, 0, NULL },
	{ "v2 the task asked about", REQ_V2, "{\"taskId\":\"42\",\"status\":\"RUNNING\"}", 0,
	    OUT_STATE, "RUNNING", NULL, 0, 0, "42" },
	{ "v2 another task", REQ_V2, "{\"taskId\":\"43\",\"status\":\"SUCCESS\","
	    "\"results\":[{\"url\":\"u\"}]}", 0,
	    OUT_ERROR, "reply is for task 43", NULL, 0, 0, "42" },
	{ "v2 another task, with an error code", REQ_V2,
	    "{\"taskId\":\"43\",\"errorCode\":\"806\"}", 0,
	    OUT_ERROR, "reply is for task 43", NULL, 1, 806, "42" },
	{ "v2 leading zeros do not count", REQ_V2, "{\"taskId\":\"0042\",\"status\":\"QUEUED\"}",
	    0, OUT_STATE, "QUEUED", NULL, 0, 0, "00042" },
	{ "v2 taskId a number", REQ_V2, "{\"taskId\":42,\"status\":\"QUEUED\"}", 0,
	    OUT_STATE, "QUEUED", NULL, 0, 0, "42" },
	{ "v2 taskId another number", REQ_V2, "{\"taskId\":4.2,\"status\":\"QUEUED\"}", 0,
	    OUT_ERROR, "reply is for task 4.2", NULL, 0, 0, "42" },
	{ "v2 taskId null", REQ_V2, "{\"taskId\":null,\"status\":\"QUEUED\"}", 0,
	    OUT_STATE, "QUEUED", NULL, 0, 0, "42" },
	{ "v2 taskId cleaned in the cause", REQ_V2,
	    "{\"taskId\":\"\\u202e42\\u001b[2J\",\"status\":\"SUCCESS\"}", 0,
	    OUT_ERROR, "reply is for task 42 [2J", NULL, 0, 0, "42" },
	{ "v2 taskId too long", REQ_V2,
	    "{\"taskId\":\"1234567890123456789012345678901234567890\",\"status\":\"SUCCESS\"}", 0,
	    OUT_ERROR, "reply is for task 123456789012345678901234567890123" ELLIPSIS, NULL, 0, 0,
	    "42" },
	{ "v2 larger cap", REQ_V2, "", 1, OUT_ERROR, "reply larger than 1024 KiB", NULL, 0, 0,
	    NULL },
};

START_TEST(classify_results_table)
{
	const struct results_classify_case *c = &results_classify_cases[_i];
	struct results res = { 0 };
	struct attempt a = { .kind = c->kind, .id = c->id,
	    .rc = c->too_big ? CURLE_WRITE_ERROR : CURLE_OK, .http = 200, .body = c->body,
	    .len = strlen(c->body), .too_big = c->too_big, .res = &res };
	struct outcome o;

	classify(&a, &o);
	ck_assert_msg(o.kind == c->out, "%s: kind %d, want %d (%s)", c->name, o.kind, c->out,
	    o.why);
	if (c->out == OUT_STATE)
		ck_assert_str_eq(o.state, c->state_or_why);
	else
		ck_assert_str_eq(o.why, c->state_or_why);
	if (c->hint == NULL)
		ck_assert_ptr_null(o.hint);
	else
		ck_assert_str_eq(o.hint, c->hint);
	ck_assert_msg(o.has_code == c->has_code && o.code == c->code, "%s: code %d %ld",
	    c->name, o.has_code, o.code);
	/* Results go with a state or results outcome, and only then. */
	ck_assert(o.res == ((o.kind == OUT_STATE && c->kind == REQ_V2) ||
	    o.kind == OUT_RESULTS ? &res : NULL));
	results_free(&res);
}
END_TEST

/* The reason line of a TSV row. */

#define L10 "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7" \
	"\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7"
#define L100 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10

static const struct reason_case {
	const char *name;
	const char *failed_reason, *error;	/* JSON: failedReason; errorCode and the like */
	const char *line;
} reason_cases[] = {
	{ "documented", "{\"node_id\":\"276\",\"node_name\":\"SONIC_PreData\","
	    "\"exception_type\":\"TypeError\",\"exception_message\":\"SONIC_PreData.sampler_main() "
	    "missing 2 required positional arguments: 'clip_vision' and 'vae'\"}", "", STD_LINE },
	{ "no node", "{\"exception_type\":\"E\",\"exception_message\":\"m\"}", "", "E: m" },
	{ "node name only", "{\"node_name\":\"Save\",\"exception_message\":\"m\"}", "",
	    "node Save: m" },
	{ "node ID a number", "{\"node_id\":12,\"exception_type\":\"E\"}", "", "node 12: E" },
	{ "empty", "{}", "", "" },
	{ "errorCode and errorMessage", "{}",
	    ",\"errorCode\":\"1505\",\"errorMessage\":\"content refused\"",
	    "error 1505: content refused" },
	{ "errorMessage only", "null", ",\"errorMessage\":\"oops\"", "error: oops" },
	{ "failedReason first", "{\"exception_type\":\"E\"}", ",\"errorCode\":\"1\"", "E" },
	{ "blanks become one space", "{\"exception_type\":\" \\t E\\r\\n\","
	    "\"exception_message\":\"a\\n\\n\\tb\\u001b[0m\\u0085c\\u2028d\\u007f\"}", "",
	    "E: a b [0m c d" },
	{ "bytes that are not UTF-8", "{\"exception_message\":\"a\xff" "b\xc3(\xe4\xbd\"}", "",
	    "a" REPL "b" REPL "(" REPL REPL },
	{ "backslash kept (escaped in the row)", "{\"exception_message\":\"C:\\\\x\"}", "",
	    "C:\\x" },
	{ "cut at a character boundary",
	    "{\"exception_message\":\"ab" L100 L100 "\"}", "",
	    /* 2 + 169 * 3 = 509 bytes, then the ellipsis: 512 */
	    "ab" L100 L10 L10 L10 L10 L10 L10 "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7"
	    "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7" ELLIPSIS },
};

START_TEST(reason_line_table)
{
	const struct reason_case *c = &reason_cases[_i];
	char js[2048], line[DETAIL_MAX + 1];
	struct results res = { 0 };
	struct v2_reply v;
	size_t n;

	snprintf(js, sizeof js, "{\"status\":\"FAILED\",\"failedReason\":%s%s}",
	    c->failed_reason, c->error);
	ck_assert_int_eq(parse_v2_reply(js, strlen(js), &v, &res, 0), 0);
	n = reason_line(&res, line);
	ck_assert_uint_eq(n, strlen(line));
	ck_assert_uint_le(n, DETAIL_MAX);
	ck_assert_msg(strcmp(line, c->line) == 0, "%s: '%s'", c->name, line);
	results_free(&res);
}
END_TEST

/* ------------------------------------------------------------- the pace */

/* n requests sent r a second from time t on, told to the pace; returns when the last went. */
static double
pace_send(struct pace *p, int n, double r, double t)
{
	int i;

	for (i = 0; i < n; i++)
		pace_step(p, PACE_SENT, 0, 0, t + i / r);
	return t + (n - 1) / r;
}

/*
 * One cut per throttle event: the 429s of the requests sent before the cut
 * do not cut again; one sent after it does.
 */
START_TEST(pace_one_cut_per_event)
{
	struct pace p = pace_start(16, 0);
	double t = pace_send(&p, 64, 400, 0);
	int i;

	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 0, t + 0.01), PACE_CUTS);
	ck_assert_double_eq_tol(p.from_rate, 400, 1e-9);
	ck_assert_double_eq_tol(p.rate, 200, 1e-9);
	ck_assert_double_eq(p.jobs, 8);
	for (i = 1; i < 16; i++)	/* the rest of those in flight */
		ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t - i / 400.0, 0, t + 0.02),
		    PACE_STAYS);
	ck_assert_double_eq_tol(p.rate, 200, 1e-9);
	t = pace_send(&p, 8, 200, t + 0.015);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 0, t + 0.001), PACE_CUTS);
	ck_assert_double_eq_tol(p.from_rate, 200, 1e-9);	/* what it allowed: less */
	ck_assert_double_eq_tol(p.rate, 100, 1e-9);
	ck_assert_double_eq(p.jobs, 4);
}
END_TEST

/*
 * A Retry-After pauses the run once an event.  In the trial after the pause a
 * 429 or two among answers are of the same event (the pace holds until the
 * trial ends), more 429s than answers are a new one, and so is a 429 after it.
 */
START_TEST(pace_retry_after_event)
{
	struct pace p = pace_start(16, 0), q;
	double t = pace_send(&p, 32, 100, 0);
	int i;

	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 1, t), PACE_CUTS);
	ck_assert_double_eq_tol(p.resume_at, t + 1, 1e-9);
	ck_assert_double_eq_tol(p.rate, 50, 1e-9);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t - 0.05, 1, t + 0.5), PACE_STAYS);
	ck_assert_double_eq_tol(p.resume_at, t + 1, 1e-9);
	t += 1;		/* the pause is over, the trial begins */
	q = p;
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 1, t), PACE_STAYS);
	for (i = 0; i < 9; i++)
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t), PACE_STAYS);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t + 0.1, 1, t + 0.1), PACE_STAYS);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t + 0.5, 0, t + 0.9), PACE_STAYS);
	ck_assert_double_eq_tol(p.rate, 50, 1e-9);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t + 0.5, 0, t + 1), PACE_GROWS);
	ck_assert_double_eq_tol(p.rate, 100, 1e-9);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t + 1, 1, t + 1), PACE_CUTS);
	ck_assert_double_eq_tol(p.resume_at, t + 2, 1e-9);
	/* The same trial, but its first two replies are 429s. */
	ck_assert_int_eq(pace_step(&q, PACE_TOO_FAST, t, 1, t), PACE_STAYS);
	ck_assert_int_eq(pace_step(&q, PACE_TOO_FAST, t, 1, t), PACE_CUTS);
	ck_assert_double_eq_tol(q.rate, 25, 1e-9);
}
END_TEST

/*
 * After a cut the rate is back where it was in PACE_K seconds at any rate,
 * then probes above it; without --rate its limit goes at PACE_LIFT times.
 */
START_TEST(pace_recovers_in_k_seconds)
{
	static const double rates[] = { 2, 100, 20000 };
	struct pace p;
	double t, r;
	size_t i;

	for (i = 0; i < NELEM(rates); i++) {
		r = rates[i];
		p = pace_start(1, 0);
		t = pace_send(&p, 40, r, 0);
		ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 0, t), PACE_CUTS);
		ck_assert_double_eq_tol(p.rate, r / 2, 1e-9 * r);
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + PACE_K / 2), PACE_GROWS);
		ck_assert_double_eq_tol(p.rate, r * (1 - 0.5 / 8), 1e-9 * r);
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + PACE_K), PACE_GROWS);
		ck_assert_double_eq_tol(p.rate, r, 1e-9 * r);
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 2 * PACE_K), PACE_GROWS);
		ck_assert_double_eq_tol(p.rate, 1.5 * r, 1e-9 * r);
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 2.2 * PACE_K), PACE_GROWS);
		ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 2.3 * PACE_K),
		    PACE_FULL_AGAIN);
		ck_assert_int_eq(p.state, PACE_FULL);
		ck_assert_double_eq(p.rate, 0);
		ck_assert_double_eq(p.jobs, 1);
	}
}
END_TEST

/* The requests in flight grow back by about one for each round of answers, as TCP's window. */
START_TEST(pace_jobs_grow_a_round)
{
	struct pace p = pace_start(16, 0);
	double t = pace_send(&p, 40, 100, 0);
	int i;

	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 0, t), PACE_CUTS);
	ck_assert_double_eq(p.jobs, 8);
	for (i = 0; i < 9; i++)
		pace_step(&p, PACE_ANSWER, t, 0, t);
	ck_assert(p.jobs > 9 && p.jobs < 9.1);
	for (i = 0; i < 9; i++)
		pace_step(&p, PACE_ANSWER, t, 0, t);
	ck_assert(p.jobs > 10 && p.jobs < 10.1);
}
END_TEST

/* Never above -j and --rate: at both, the pace is full again. */
START_TEST(pace_never_above_the_options)
{
	struct pace p = pace_start(4, 150);
	double t = pace_send(&p, 40, 150, 0);
	int i;

	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 0, t), PACE_CUTS);
	ck_assert_double_eq_tol(p.rate, 75, 1e-9);
	ck_assert_double_eq(p.jobs, 2);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + PACE_K), PACE_GROWS);
	ck_assert_double_eq(p.rate, 150);
	for (i = 0; i < 10 && pace_step(&p, PACE_ANSWER, t, 0, t + 2 * PACE_K) == PACE_GROWS; i++)
		ck_assert(p.jobs < 4 && p.rate == 150);
	ck_assert_int_eq(p.state, PACE_FULL);
	ck_assert_double_eq(p.jobs, 4);
	ck_assert_double_eq(p.rate, 150);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 3 * PACE_K), PACE_STAYS);

	/* A --rate below RATE_MIN stays below it; nothing grows in the pause. */
	p = pace_start(1, 0.2);
	t = pace_send(&p, 3, 0.2, 0);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 5, t), PACE_CUTS);
	ck_assert_double_eq_tol(p.rate, 0.2, 1e-12);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 4.9), PACE_STAYS);
	ck_assert_int_eq(pace_step(&p, PACE_ANSWER, t, 0, t + 5), PACE_FULL_AGAIN);
}
END_TEST

/*
 * After a cut the run's rate slots start afresh, the first a slot after the
 * pause: a request at once would meet a limit that has just run out, and cut
 * again, and again (in real time; on the warped clock it goes at the instant
 * of the cut, and so is of the same event).
 */
START_TEST(pace_cut_restarts_the_slots)
{
	struct outcome o = { .kind = OUT_RETRY, .said = SAID_SLOW_DOWN, .sent = 10 };

	pace = pace_start(16, 0);
	pace_send(&pace, 40, 1000, 9.961);
	next_send = 9.5;	/* slots a burst would make up */
	watch_api(&o, 10.001);
	ck_assert_int_eq(pace.state, PACE_CUT);
	ck_assert_double_eq_tol(pace.rate, 500, 1e-6);
	ck_assert_double_eq_tol(next_send, 10.001 + 1 / 500.0, 1e-9);
	o.delay = 2;
	o.sent = 10.003;
	watch_api(&o, 10.004);
	ck_assert_double_eq_tol(not_before, 12.004, 1e-9);
	ck_assert_double_eq_tol(next_send, 12.004 + 1 / pace.rate, 1e-9);
}
END_TEST

/*
 * The rate a cut starts from is the one requests were sent at: the meter's
 * clock stops in a pause, so the rate is never measured across one.
 */
START_TEST(pace_measures_only_while_sending)
{
	struct pace p = pace_start(16, 0);
	double t = pace_send(&p, 100, 200, 0);

	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 2, t), PACE_CUTS);
	ck_assert_double_eq_tol(p.from_rate, 200, 1e-9);
	t = pace_send(&p, 10, 100, t + 2);
	/* 22 requests at 200/s, the pause, 10 at 100/s: 31 in 0.195 s. */
	ck_assert_double_eq_tol(pace_measured(&p), 31 / 0.195, 1e-6);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 2, t), PACE_STAYS);
	ck_assert_int_eq(pace_step(&p, PACE_TOO_FAST, t, 2, t), PACE_CUTS);
	ck_assert_double_eq_tol(p.from_rate, 100, 1e-9);
	ck_assert_double_eq_tol(p.rate, 50, 1e-9);
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
	tcase_add_loop_test(tc, unsafe_table, 0, NELEM(unsafe_cases));
	tcase_add_loop_test(tc, clean_table, 0, NELEM(clean_cases));
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

	tc = tcase_create("results");
	tcase_add_loop_test(tc, parse_outputs_table, 0, NELEM(outputs_cases));
	tcase_add_loop_test(tc, parse_v2_table, 0, NELEM(v2_cases));
	tcase_add_test(tc, traceback_only_when_asked);
	tcase_add_test(tc, many_outputs);
	tcase_add_loop_test(tc, classify_results_table, 0, NELEM(results_classify_cases));
	tcase_add_loop_test(tc, reason_line_table, 0, NELEM(reason_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("pace");
	tcase_add_test(tc, pace_one_cut_per_event);
	tcase_add_test(tc, pace_retry_after_event);
	tcase_add_test(tc, pace_recovers_in_k_seconds);
	tcase_add_test(tc, pace_jobs_grow_a_round);
	tcase_add_test(tc, pace_never_above_the_options);
	tcase_add_test(tc, pace_measures_only_while_sending);
	tcase_add_test(tc, pace_cut_restarts_the_slots);
	suite_add_tcase(s, tc);
	return s;
}
