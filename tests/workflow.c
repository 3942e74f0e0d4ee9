/*
 * System tests of the workflow options: --wait, --deadline, -f/-d, -a, -0,
 * --json, --summary, --progress, and -j/--rate.
 *
 * The stand-in's 9120/9121 answer QUEUED, RUNNING, then SUCCESS/FAILED from
 * the third request on; 9122 stays RUNNING; 9106 answers only after 3 s;
 * ordinary IDs get QUEUED/RUNNING/FAILED/SUCCESS by their value mod 4.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suites.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define REPL	"\xef\xbf\xbd"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs rhq with stdin of exactly `len` bytes (NULs allowed). */
static void
run_bytes(struct proc *p, const char *in, size_t len, const char *const argv[])
{
	proc_start(p, NOENV, argv);
	proc_write(p, in, len);
	proc_finish(p, harness_timeout());
}

/* Runs rhq and returns how many seconds it took. */
static double
timed_run(struct proc *p, const char *in, const char *const argv[])
{
	double t0 = mono();

	rhq_run(p, in, NOENV, argv);
	return mono() - t0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a copy of s into lines, sorted. */
static size_t
sorted_lines(const char *s, char **copy, char *lines[], size_t max)
{
	size_t n = 0;
	char *p, *nl;

	*copy = strdup(s);
	for (p = *copy; *p && n < max; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			ck_abort_msg("unterminated last line in: %s", s);
		*nl = '\0';
		lines[n++] = p;
	}
	qsort(lines, n, sizeof *lines, cmp_str);
	return n;
}

/* Asserts that got holds the same lines as want, in any order. */
static void
assert_same_lines(const char *got, const char *want)
{
	char *gl[256], *wl[256], *gc, *wc;
	size_t gn = sorted_lines(got, &gc, gl, 256), wn = sorted_lines(want, &wc, wl, 256), i;

	ck_assert_msg(gn == wn, "%zu lines, want %zu:\n%s\nwant (any order):\n%s", gn, wn,
	    got, want);
	for (i = 0; i < gn; i++)
		ck_assert_msg(strcmp(gl[i], wl[i]) == 0, "got:\n%s\nwant (any order):\n%s",
		    got, want);
	free(gc);
	free(wc);
}

/* The n-th line (0-based) of s, copied into buf. */
static const char *
nth_line(const char *s, size_t n, char *buf, size_t size)
{
	const char *e;

	for (; n > 0 && s; n--)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	ck_assert_ptr_nonnull(s);
	e = strchr(s, '\n');
	ck_assert_ptr_nonnull(e);
	snprintf(buf, size, "%.*s", (int)(e - s), s);
	return buf;
}

/* A usage error: exit 2, nothing on stdout, the message, then the usage. */
static void
assert_usage_error(const char *const argv[], const char *first)
{
	struct proc p;

	rhq_run(&p, "3\n", NOENV, argv);
	ck_assert_msg(p.status == 2, "exit status %d, want 2; stderr: %s", p.status,
	    p.err_buf);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(strncmp(p.err_buf, first, strlen(first)) == 0,
	    "stderr starts: %s\nwant: %s", p.err_buf, first);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "\nusage: rhq "));
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}

/* ------------------------------------------------------ a tiny JSON reader */

/*
 * Reads one flat JSON object of string and integer members, strictly (RFC
 * 8259: no raw control characters, valid UTF-8, valid escapes, no lone
 * surrogates), decoding strings to UTF-8.
 */
struct jmem {
	char key[16];
	int is_str;
	char str[1024];
	size_t len;
	long num;
};

static const char *
jws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

static int
put_utf8(char *out, size_t *n, size_t cap, unsigned long c)
{
	char b[4];
	size_t k;

	if (c < 0x80) {
		b[0] = c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = 0xc0 | c >> 6;
		b[1] = 0x80 | (c & 0x3f);
		k = 2;
	} else if (c < 0x10000) {
		b[0] = 0xe0 | c >> 12;
		b[1] = 0x80 | (c >> 6 & 0x3f);
		b[2] = 0x80 | (c & 0x3f);
		k = 3;
	} else {
		b[0] = 0xf0 | c >> 18;
		b[1] = 0x80 | (c >> 12 & 0x3f);
		b[2] = 0x80 | (c >> 6 & 0x3f);
		b[3] = 0x80 | (c & 0x3f);
		k = 4;
	}
	if (*n + k >= cap)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* One strictly valid UTF-8 character from s, or -1. */
static long
utf8_char(const unsigned char **s, const unsigned char *e)
{
	const unsigned char *p = *s;
	unsigned long c, min;
	int k, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 1; c = p[0] & 0x1f; min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 2; c = p[0] & 0x0f; min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 3; c = p[0] & 0x07; min = 0x10000;
	} else
		return -1;
	if (e - p <= k)
		return -1;
	for (i = 1; i <= k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*s = p + k + 1;
	return c;
}

static long
hex4(const char *s, const char *e)
{
	long v = 0;
	int i;

	if (e - s < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string starting at its opening quote; returns the byte after the closing one. */
static const char *
jstring(const char *s, const char *e, char *out, size_t cap, size_t *len)
{
	const unsigned char *u;
	long c, lo;

	*len = 0;
	if (s >= e || *s != '"')
		return NULL;
	for (s++; s < e && *s != '"';) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s != '\\') {
			u = (const unsigned char *)s;
			if ((c = utf8_char(&u, (const unsigned char *)e)) < 0)
				return NULL;
			s = (const char *)u;
		} else {
			if (++s >= e)
				return NULL;
			switch (*s++) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if ((c = hex4(s, e)) < 0)
					return NULL;
				s += 4;
				if (c >= 0xdc00 && c <= 0xdfff)
					return NULL;
				if (c >= 0xd800 && c <= 0xdbff) {
					if (e - s < 6 || s[0] != '\\' || s[1] != 'u' ||
					    (lo = hex4(s + 2, e)) < 0xdc00 || lo > 0xdfff)
						return NULL;
					c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
					s += 6;
				}
				break;
			default:
				return NULL;
			}
		}
		if (put_utf8(out, len, cap, c) < 0)
			return NULL;
	}
	if (s >= e)
		return NULL;
	out[*len] = '\0';
	return s + 1;
}

/* Parses a whole line as one object; returns its member count or -1. */
static int
jobject(const char *s, size_t n, struct jmem m[], int max)
{
	const char *e = s + n;
	size_t klen;
	char *end;
	int k = 0;

	s = jws(s, e);
	if (s >= e || *s++ != '{')
		return -1;
	s = jws(s, e);
	if (s < e && *s == '}')
		return jws(s + 1, e) == e ? 0 : -1;
	for (;;) {
		if (k >= max)
			return -1;
		if ((s = jstring(s, e, m[k].key, sizeof m[k].key, &klen)) == NULL)
			return -1;
		s = jws(s, e);
		if (s >= e || *s++ != ':')
			return -1;
		s = jws(s, e);
		if (s < e && *s == '"') {
			m[k].is_str = 1;
			if ((s = jstring(s, e, m[k].str, sizeof m[k].str, &m[k].len)) == NULL)
				return -1;
		} else if (s < e && (*s == '-' || (*s >= '0' && *s <= '9'))) {
			m[k].is_str = 0;
			m[k].num = strtol(s, &end, 10);
			if (end == s || end > e || (*s == '0' && end - s > 1))
				return -1;
			s = end;
		} else
			return -1;
		k++;
		s = jws(s, e);
		if (s < e && *s == ',') {
			s = jws(s + 1, e);
			continue;
		}
		if (s < e && *s == '}')
			return jws(s + 1, e) == e ? k : -1;
		return -1;
	}
}

static const struct jmem *
jget(const struct jmem m[], int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return &m[i];
	return NULL;
}

/* Asserts that every stdout line is a valid JSON object; returns how many. */
static size_t
assert_json_lines(const char *out)
{
	struct jmem m[8];
	const char *s, *nl;
	size_t n = 0;

	for (s = out; *s; s = nl + 1) {
		ck_assert_ptr_nonnull(nl = strchr(s, '\n'));
		ck_assert_msg(jobject(s, nl - s, m, 8) >= 0, "not valid JSON: %.*s",
		    (int)(nl - s), s);
		n++;
	}
	return n;
}

/* Asserts that JSON line `line` (0-based) is an INVALID row whose decoded id is want[0..len). */
static void
assert_json_invalid(const char *out, size_t line, const char *want, size_t len)
{
	struct jmem m[8];
	const char *s = out, *nl;
	const struct jmem *id, *st;
	int n;

	for (; line > 0; line--)
		s = strchr(s, '\n') + 1;
	nl = strchr(s, '\n');
	n = jobject(s, nl - s, m, 8);
	ck_assert_msg(n == 2, "want exactly id and state: %.*s", (int)(nl - s), s);
	ck_assert_ptr_nonnull(id = jget(m, n, "id"));
	ck_assert_ptr_nonnull(st = jget(m, n, "state"));
	ck_assert(id->is_str && st->is_str);
	ck_assert_str_eq(st->str, "INVALID");
	ck_assert_msg(id->len == len && memcmp(id->str, want, len) == 0,
	    "id decodes wrong in: %.*s", (int)(nl - s), s);
}

/* ------------------------------------------------------------------ --wait */

START_TEST(wait_until_finished)
{
	struct proc p;

	rhq_run(&p, "9120\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0, "9120\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9120"), 3);
	proc_free(&p);
}
END_TEST

START_TEST(wait_until_failed)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("-w", "--interval", "0.05", "9121"));
	ck_assert_run(&p, 0, "9121\tFAILED\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9121"), 3);
	proc_free(&p);
}
END_TEST

START_TEST(wait_finished_task_polled_once)
{
	struct proc p;

	rhq_run(&p, "3\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "3"), 1);
	ck_assert_uint_eq(standin_requests(srv), 1);
	proc_free(&p);
}
END_TEST

START_TEST(wait_rows_in_completion_order)
{
	struct proc p;

	rhq_run(&p, "9120\n3\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n9120\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9120"), 3);
	ck_assert_uint_eq(standin_requests_for(srv, "3"), 1);
	proc_free(&p);

	/* 9121 (3 polls) is still waiting when the SUCCESS and FAILED rows go out. */
	rhq_run(&p, "9121\n7\n6\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0, "7\tSUCCESS\n6\tFAILED\n9121\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(wait_honours_interval)
{
	struct proc p;
	double t;

	/* Two pauses of 0.2 s between the three polls of 9120. */
	t = timed_run(&p, "9120\n", ARGS("--wait", "--interval", "0.2"));
	ck_assert_run(&p, 0, "9120\tSUCCESS\n", "");
	ck_assert_msg(t >= 0.38, "finished after %.3f s, want >= 0.4 s", t);
	ck_assert_uint_eq(standin_requests(srv), 3);
	proc_free(&p);
}
END_TEST

START_TEST(wait_bad_rows_finish_at_once)
{
	char last[64];
	struct proc p;

	rhq_run(&p, "9120\n9807\nabc\n9301\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_msg(p.status == 1, "exit status %d, want 1; stderr: %s", p.status, p.err_buf);
	/* Everything but 9120 finishes on its first answer (or without one). */
	assert_same_lines(p.out_buf,
	    "9120\tSUCCESS\n9807\tNOT_FOUND\nabc\tINVALID\n9301\tERROR\n");
	ck_assert_str_eq(nth_line(p.out_buf, 3, last, sizeof last), "9120\tSUCCESS");
	assert_same_lines(p.err_buf,
	    "rhq: line 3: invalid task ID\n"
	    "rhq: 9301: API error 301 (PARAMS_INVALID)\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9807"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9301"), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "9120"), 3);
	ck_assert_uint_eq(standin_requests(srv), 5);
	proc_free(&p);
}
END_TEST

START_TEST(wait_other_final_states)
{
	struct proc p;

	/* CANCEL is neither QUEUED, RUNNING nor CREATE: finished. */
	rhq_run(&p, "9125\n", NOENV, ARGS("--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0, "9125\tCANCEL\n", "");
	ck_assert_uint_eq(standin_requests_for(srv, "9125"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(wait_with_jobs)
{
	char line[64];
	struct proc p;

	rhq_run(&p, "9120\n9121\n3\n6\n7\n", NOENV,
	    ARGS("--wait", "--interval", "0.05", "-j", "4"));
	ck_assert_msg(p.status == 0, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.err_buf, "");
	assert_same_lines(p.out_buf,
	    "9120\tSUCCESS\n9121\tFAILED\n3\tSUCCESS\n6\tFAILED\n7\tSUCCESS\n");
	/* The three tasks finished at their first poll come out first. */
	nth_line(p.out_buf, 3, line, sizeof line);
	ck_assert_msg(strncmp(line, "912", 3) == 0, "4th row: %s", line);
	nth_line(p.out_buf, 4, line, sizeof line);
	ck_assert_msg(strncmp(line, "912", 3) == 0, "5th row: %s", line);
	ck_assert_uint_eq(standin_requests_for(srv, "9120"), 3);
	ck_assert_uint_eq(standin_requests_for(srv, "9121"), 3);
	ck_assert_uint_eq(standin_requests(srv), 9);
	ck_assert_uint_le(standin_connections(srv), 4);
	proc_free(&p);
}
END_TEST

START_TEST(wait_rows_stream_out)
{
	struct proc p;

	/* The finished row comes out long before the deadline ends the run. */
	proc_start(&p, NOENV, ARGS("--wait", "--interval", "0.05", "--deadline", "1.2"));
	proc_write(&p, "3\n9122\n", 7);
	ck_assert_msg(proc_wait_lines(&p, 1, slack(0.8)), "no row within 0.8 s: '%s'",
	    p.out_buf);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 3, "3\tSUCCESS\n9122\tRUNNING\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	proc_free(&p);
}
END_TEST

/* --------------------------------------------------------------- --deadline */

START_TEST(deadline_reached)
{
	struct proc p;
	double t;

	t = timed_run(&p, "9122\n",
	    ARGS("--wait", "--interval", "0.05", "--deadline", "0.5"));
	ck_assert_run(&p, 3, "9122\tRUNNING\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	ck_assert_msg(t >= 0.45, "stopped after %.3f s, before the deadline", t);
	ck_assert_msg(t < slack(1.5), "stopped after %.3f s, want < 1.5 s", t);
	/* Polled every 0.05 s, not more often. */
	ck_assert_uint_ge(standin_requests_for(srv, "9122"), 2);
	ck_assert_uint_le(standin_requests_for(srv, "9122"), 11);
	proc_free(&p);
}
END_TEST

START_TEST(deadline_mixed)
{
	struct proc p;

	/* Finished rows in completion order, then the unfinished in input order. */
	rhq_run(&p, "9122\n3\n4\n9121\n", NOENV,
	    ARGS("--wait", "--interval", "0.05", "--deadline", "0.5"));
	ck_assert_run(&p, 3, "3\tSUCCESS\n9121\tFAILED\n9122\tRUNNING\n4\tQUEUED\n",
	    "rhq: deadline reached with 2 tasks unfinished\n");
	proc_free(&p);
}
END_TEST

START_TEST(deadline_wins_over_bad_rows)
{
	struct proc p;

	rhq_run(&p, "9807\n9122\n", NOENV,
	    ARGS("--wait", "--interval", "0.05", "--deadline", "0.3"));
	ck_assert_run(&p, 3, "9807\tNOT_FOUND\n9122\tRUNNING\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	proc_free(&p);
}
END_TEST

START_TEST(deadline_never_answered_is_unknown)
{
	struct proc p;
	double t;

	/* 9106 answers after 3 s: the deadline does not wait for it. */
	t = timed_run(&p, "9106\n",
	    ARGS("--wait", "--interval", "0.05", "--deadline", "0.5"));
	ck_assert_run(&p, 3, "9106\tUNKNOWN\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	ck_assert_msg(t < slack(1.5), "stopped after %.3f s, want < 1.5 s", t);
	proc_free(&p);
}
END_TEST

START_TEST(deadline_usage_errors)
{
	struct proc p;

	rhq_run(&p, "3\n", NOENV, ARGS("--deadline", "1"));
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(strncmp(p.err_buf, "rhq: --deadline needs --wait\nusage: rhq ",
	    strlen("rhq: --deadline needs --wait\nusage: rhq ")) == 0, "stderr: %s", p.err_buf);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);

	assert_usage_error(ARGS("--wait", "--deadline", "x"),
	    "rhq: --deadline: invalid value 'x'");
	assert_usage_error(ARGS("--wait", "--deadline", "-1"),
	    "rhq: --deadline: invalid value '-1'");
	assert_usage_error(ARGS("--wait", "--interval", "abc"),
	    "rhq: --interval: invalid value 'abc'");
}
END_TEST

/* ------------------------------------------------------------------ -f, -d */

START_TEST(field_tsv)
{
	struct proc p;

	rhq_run(&p, "first\t3\tx\nsecond\t2\ty\n# comment\n\nthird\t 7 \tz\r\n", NOENV,
	    ARGS("-f", "2"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n7\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests(srv), 3);
	proc_free(&p);

	rhq_run(&p, "a\tb\t5\n", NOENV, ARGS("--field", "3"));
	ck_assert_run(&p, 0, "5\tRUNNING\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(field_csv)
{
	struct proc p;

	rhq_run(&p, "x,y,3\nx,y, 6\r\na b,c,1,extra\n", NOENV, ARGS("-f", "3", "-d", ","));
	ck_assert_run(&p, 0, "3\tSUCCESS\n6\tFAILED\n1\tRUNNING\n", "");
	proc_free(&p);

	rhq_run(&p, "4;z\n", NOENV, ARGS("--field", "1", "--delimiter", ";"));
	ck_assert_run(&p, 0, "4\tQUEUED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(field_missing)
{
	struct proc p;

	rhq_run(&p, "a\t3\nonly\nb\\c\n", NOENV, ARGS("-f", "2"));
	ck_assert_run(&p, 1, "3\tSUCCESS\nonly\tINVALID\nb\\\\c\tINVALID\n",
	    "rhq: line 2: no field 2\nrhq: line 3: no field 2\n");
	ck_assert_uint_eq(standin_requests(srv), 1);
	proc_free(&p);

	/* The first column is the whole record, escaped. */
	rhq_run(&p, "a\tb\n", NOENV, ARGS("-f", "3"));
	ck_assert_run(&p, 1, "a\\tb\tINVALID\n", "rhq: line 1: no field 3\n");
	proc_free(&p);

	rhq_run(&p, "x,y\n", NOENV, ARGS("-f", "3", "-d", ","));
	ck_assert_run(&p, 1, "x,y\tINVALID\n", "rhq: line 1: no field 3\n");
	proc_free(&p);
}
END_TEST

START_TEST(field_invalid_id)
{
	struct proc p;

	/* The first column is the ID column: it shows the field taken as the ID. */
	rhq_run(&p, "job\tabc\n", NOENV, ARGS("-f", "2"));
	ck_assert_run(&p, 1, "abc\tINVALID\n", "rhq: line 1: invalid task ID\n");
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(field_usage_errors)
{
	assert_usage_error(ARGS("-f", "0"), "rhq: --field: invalid value '0'");
	assert_usage_error(ARGS("-f", "x"), "rhq: --field: invalid value 'x'");
	assert_usage_error(ARGS("-f", "-1"), "rhq: --field: invalid value '-1'");
	assert_usage_error(ARGS("-f", "2", "-d", "ab"), "rhq: --delimiter");
	assert_usage_error(ARGS("-f", "2", "-d", ""), "rhq: --delimiter");
	assert_usage_error(ARGS("-d", ","), "rhq: --delimiter");
}
END_TEST

/* ---------------------------------------------------------------------- -a */

START_TEST(append_with_field)
{
	struct proc p;

	rhq_run(&p, "job1\t3\tnote\r\njob2\t6\na\\b\t5\n", NOENV, ARGS("-f", "2", "-a"));
	ck_assert_run(&p, 0,
	    "job1\t3\tnote\tSUCCESS\njob2\t6\tFAILED\na\\b\t5\tRUNNING\n", "");
	proc_free(&p);

	rhq_run(&p, "r1,4,x\n", NOENV, ARGS("-a", "-f", "2", "-d", ","));
	ck_assert_run(&p, 0, "r1,4,x\tQUEUED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(append_invalid_rows)
{
	struct proc p;

	rhq_run(&p, "ok\t3\nbad\tx\r\nlonely\n", NOENV, ARGS("-f", "2", "--append"));
	ck_assert_run(&p, 1, "ok\t3\tSUCCESS\nbad\tx\tINVALID\nlonely\tINVALID\n",
	    "rhq: line 2: invalid task ID\nrhq: line 3: no field 2\n");
	proc_free(&p);
}
END_TEST

START_TEST(append_without_field)
{
	struct proc p;

	rhq_run(&p, "  3 \r\n# skipped\n12a\n", NOENV, ARGS("-a"));
	ck_assert_run(&p, 1, "  3 \tSUCCESS\n12a\tINVALID\n",
	    "rhq: line 3: invalid task ID\n");
	proc_free(&p);
}
END_TEST

/* ---------------------------------------------------------------------- -0 */

START_TEST(null_separated)
{
	static const char in[] = "1\0002\0003";
	struct proc p;

	run_bytes(&p, in, sizeof in - 1, ARGS("-0"));
	ck_assert_run(&p, 0, "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n", "");
	ck_assert_uint_eq(standin_requests(srv), 3);
	proc_free(&p);
}
END_TEST

START_TEST(null_separated_terminated_and_empty)
{
	static const char in[] = "5\000\0004\n\000";
	struct proc p;

	/* An empty item is skipped; a trailing newline is whitespace. */
	run_bytes(&p, in, sizeof in - 1, ARGS("--null"));
	ck_assert_run(&p, 0, "5\tRUNNING\n4\tQUEUED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(null_item_with_newline)
{
	static const char in[] = "3\0001\n2\0007\0";
	struct proc p;

	run_bytes(&p, in, sizeof in - 1, ARGS("-0"));
	ck_assert_run(&p, 1, "3\tSUCCESS\n1\\n2\tINVALID\n7\tSUCCESS\n",
	    "rhq: item 2: invalid task ID\n");
	ck_assert_uint_eq(standin_requests(srv), 2);
	proc_free(&p);
}
END_TEST

START_TEST(null_append)
{
	static const char in[] = " 3 \000line\nbreak\0";
	static const char in2[] = "name one\t3\000name\ntwo\t6\0";
	static const char in3[] = "a\n3\000b\n6";
	struct proc p;

	run_bytes(&p, in, sizeof in - 1, ARGS("-0", "-a"));
	ck_assert_run(&p, 1, " 3 \tSUCCESS\nline\\nbreak\tINVALID\n",
	    "rhq: item 2: invalid task ID\n");
	proc_free(&p);

	run_bytes(&p, in2, sizeof in2 - 1, ARGS("-0", "-f", "2", "-a"));
	ck_assert_run(&p, 0, "name one\t3\tSUCCESS\nname\\ntwo\t6\tFAILED\n", "");
	proc_free(&p);

	/* With -0 a newline is a usable delimiter. */
	run_bytes(&p, in3, sizeof in3 - 1, ARGS("-0", "-f", "2", "-d", "\n", "-a"));
	ck_assert_run(&p, 0, "a\\n3\tSUCCESS\nb\\n6\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ --json */

START_TEST(json_states)
{
	struct proc p;

	rhq_run(&p, "3\n2\n4\n5\n", NOENV, ARGS("--json"));
	ck_assert_run(&p, 0,
	    "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\"}\n"
	    "{\"id\":\"2\",\"state\":\"FAILED\",\"code\":0,\"msg\":\"success\"}\n"
	    "{\"id\":\"4\",\"state\":\"QUEUED\",\"code\":0,\"msg\":\"success\"}\n"
	    "{\"id\":\"5\",\"state\":\"RUNNING\",\"code\":0,\"msg\":\"success\"}\n",
	    "");
	proc_free(&p);
}
END_TEST

START_TEST(json_api_codes)
{
	struct proc p;

	rhq_run(&p, "9807\n9804\n9301\n9124\n", NOENV, ARGS("--json"));
	ck_assert_run(&p, 1,
	    "{\"id\":\"9807\",\"state\":\"NOT_FOUND\",\"code\":807,"
	    "\"msg\":\"APIKEY_TASK_NOT_FOUND\"}\n"
	    "{\"id\":\"9804\",\"state\":\"RUNNING\",\"code\":804,"
	    "\"msg\":\"APIKEY_TASK_IS_RUNNING\"}\n"
	    "{\"id\":\"9301\",\"state\":\"ERROR\",\"code\":301,\"msg\":\"PARAMS_INVALID\"}\n"
	    "{\"id\":\"9124\",\"state\":\"ERROR\"}\n",
	    "rhq: 9301: API error 301 (PARAMS_INVALID)\nrhq: 9124: HTTP 404\n");
	proc_free(&p);
}
END_TEST

START_TEST(json_unicode_msg)
{
	struct proc p;

	rhq_run(&p, "9888\n9123\n", NOENV, ARGS("--json"));
	ck_assert_run(&p, 1,
	    "{\"id\":\"9888\",\"state\":\"ERROR\",\"code\":888,"
	    "\"msg\":\"\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5\"}\n"
	    "{\"id\":\"9123\",\"state\":\"SUCCESS\",\"code\":0,"
	    "\"msg\":\"\xe6\x88\x90\xe5\x8a\x9f\"}\n",
	    "rhq: 9888: API error 888 (\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5)\n");
	ck_assert_uint_eq(assert_json_lines(p.out_buf), 2);
	proc_free(&p);
}
END_TEST

START_TEST(json_invalid_escaped)
{
	struct proc p;

	rhq_run(&p, "a\"b\\c\n3\n", NOENV, ARGS("--json"));
	ck_assert_run(&p, 1,
	    "{\"id\":\"a\\\"b\\\\c\",\"state\":\"INVALID\"}\n"
	    "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\"}\n",
	    "rhq: line 1: invalid task ID\n");
	proc_free(&p);
}
END_TEST

START_TEST(json_valid_for_any_input)
{
	static const char in[] =
	    "a\"b\\c\n"				/* 1 quote, backslash */
	    "c\x01\x1f\x7f" "d\n"		/* 2 control bytes, DEL */
	    "e\xff\xfe" "f\n"			/* 3 bytes never valid in UTF-8 */
	    "g\xc0\xaf" "h\n"			/* 4 overlong '/' */
	    "i\xed\xa0\x80" "j\n"		/* 5 encoded surrogate */
	    "k\xf4\x90\x80\x80" "l\n"		/* 6 beyond U+10FFFF */
	    "m\xc3\xa9n\xe4\xbb\xbbo\n"		/* 7 valid UTF-8 */
	    "p\0q\n"				/* 8 NUL */
	    "r\ts\n"				/* 9 TAB */
	    "\xe2\x80\xa8\n"			/* 10 U+2028, valid */
	    "t\x08\x0c\ru\n";			/* 11 \b \f \r */
	static const struct { const char *s; size_t n; } want[] = {
#define W(s)	{ s, sizeof s - 1 }
		W("a\"b\\c"),
		W("c\x01\x1f\x7f" "d"),
		W("e" REPL REPL "f"),
		W("g" REPL REPL "h"),
		W("i" REPL REPL REPL "j"),
		W("k" REPL REPL REPL REPL "l"),
		W("m\xc3\xa9n\xe4\xbb\xbbo"),
		W("p\0q"),
		W("r\ts"),
		W("\xe2\x80\xa8"),
		W("t\x08\x0c\ru"),
#undef W
	};
	struct proc p;
	size_t i;

	run_bytes(&p, in, sizeof in - 1, ARGS("--json"));
	ck_assert_msg(p.status == 1, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.err_buf,
	    "rhq: line 1: invalid task ID\nrhq: line 2: invalid task ID\n"
	    "rhq: line 3: invalid task ID\nrhq: line 4: invalid task ID\n"
	    "rhq: line 5: invalid task ID\nrhq: line 6: invalid task ID\n"
	    "rhq: line 7: invalid task ID\nrhq: line 8: invalid task ID\n"
	    "rhq: line 9: invalid task ID\nrhq: line 10: invalid task ID\n"
	    "rhq: line 11: invalid task ID\n");
	ck_assert_uint_eq(p.out_len, strlen(p.out_buf));	/* no raw NUL */
	ck_assert_uint_eq(assert_json_lines(p.out_buf), sizeof want / sizeof *want);
	for (i = 0; i < sizeof want / sizeof *want; i++)
		assert_json_invalid(p.out_buf, i, want[i].s, want[i].n);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(json_append_record)
{
	struct proc p;

	rhq_run(&p, "job\t3\r\nlonely\n", NOENV, ARGS("--json", "-f", "2", "-a"));
	ck_assert_run(&p, 1,
	    "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	    "\"record\":\"job\\t3\"}\n"
	    "{\"id\":\"lonely\",\"state\":\"INVALID\",\"record\":\"lonely\"}\n",
	    "rhq: line 2: no field 2\n");
	proc_free(&p);
}
END_TEST

START_TEST(json_with_wait)
{
	struct proc p;

	rhq_run(&p, "9120\n", NOENV, ARGS("--json", "--wait", "--interval", "0.05"));
	ck_assert_run(&p, 0,
	    "{\"id\":\"9120\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\"}\n", "");
	proc_free(&p);
}
END_TEST

/* --------------------------------------------------------------- --summary */

START_TEST(summary_counts)
{
	struct proc p;

	rhq_run(&p, "1\n2\n3\n4\n5\n6\n7\n8\n", NOENV, ARGS("-s"));
	ck_assert_run(&p, 0,
	    "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n4\tQUEUED\n"
	    "5\tRUNNING\n6\tFAILED\n7\tSUCCESS\n8\tQUEUED\n",
	    "rhq: 8 tasks: 2 QUEUED, 2 RUNNING, 2 FAILED, 2 SUCCESS\n");
	proc_free(&p);
}
END_TEST

START_TEST(summary_one_task)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--summary", "3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "rhq: 1 task: 1 SUCCESS\n");
	proc_free(&p);
}
END_TEST

START_TEST(summary_order_and_others)
{
	struct proc p;

	rhq_run(&p, "9125\n3\n9807\nx\n9301\n9125\n4\n", NOENV, ARGS("-s"));
	ck_assert_run(&p, 1,
	    "9125\tCANCEL\n3\tSUCCESS\n9807\tNOT_FOUND\nx\tINVALID\n9301\tERROR\n"
	    "9125\tCANCEL\n4\tQUEUED\n",
	    "rhq: line 4: invalid task ID\n"
	    "rhq: 9301: API error 301 (PARAMS_INVALID)\n"
	    "rhq: 7 tasks: 1 QUEUED, 1 SUCCESS, 1 NOT_FOUND, 1 ERROR, 1 INVALID, 2 CANCEL\n");
	proc_free(&p);
}
END_TEST

START_TEST(summary_at_deadline)
{
	struct proc p;

	rhq_run(&p, "9122\n3\n", NOENV,
	    ARGS("-s", "--wait", "--interval", "0.05", "--deadline", "0.3"));
	ck_assert_msg(p.status == 3, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n9122\tRUNNING\n");
	assert_same_lines(p.err_buf,
	    "rhq: deadline reached with 1 task unfinished\n"
	    "rhq: 2 tasks: 1 RUNNING, 1 SUCCESS\n");
	proc_free(&p);

	/* Other states in order of first appearance: CANCEL, then UNKNOWN. */
	rhq_run(&p, "9106\n9125\n", NOENV,
	    ARGS("-s", "-j", "2", "--wait", "--interval", "0.05", "--deadline", "0.5"));
	ck_assert_msg(p.status == 3, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, "9125\tCANCEL\n9106\tUNKNOWN\n");
	assert_same_lines(p.err_buf,
	    "rhq: deadline reached with 1 task unfinished\n"
	    "rhq: 2 tasks: 1 CANCEL, 1 UNKNOWN\n");
	proc_free(&p);
}
END_TEST

/* -------------------------------------------------------------- --progress */

/* 25 IDs at 20 a second: a run of about 1.2 s. */
static const char slow_ids[] =
    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"
    "21\n22\n23\n24\n25\n";

static const char slow_rows[] =
    "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n4\tQUEUED\n5\tRUNNING\n6\tFAILED\n7\tSUCCESS\n"
    "8\tQUEUED\n9\tRUNNING\n10\tFAILED\n11\tSUCCESS\n12\tQUEUED\n13\tRUNNING\n"
    "14\tFAILED\n15\tSUCCESS\n16\tQUEUED\n17\tRUNNING\n18\tFAILED\n19\tSUCCESS\n"
    "20\tQUEUED\n21\tRUNNING\n22\tFAILED\n23\tSUCCESS\n24\tQUEUED\n25\tRUNNING\n";

/* stderr holds nothing but progress lines drawn in place, erased at the end. */
static void
assert_only_progress(const char *err)
{
	const char *s, *e;
	size_t len = strlen(err), texts = 0;

	ck_assert_msg(strstr(err, "\rrhq: ") != NULL, "no progress line: '%s'", err);
	ck_assert_msg(strstr(err, " done") != NULL, "no 'done': '%s'", err);
	ck_assert_msg(len >= 4 && strcmp(err + len - 4, "\r\033[K") == 0,
	    "not erased at the end: '%s'", err);
	ck_assert_msg(strchr(err, '\n') == NULL, "a newline on stderr: '%s'", err);
	/* Every piece between carriage returns is an erase and/or a counter line. */
	ck_assert_msg(err[0] == '\r', "stderr starts with text: '%s'", err);
	for (s = err; *s; s = e) {
		s++;				/* the '\r' */
		if (strncmp(s, "\033[K", 3) == 0)
			s += 3;
		e = s + strcspn(s, "\r");
		if (e == s)
			continue;
		ck_assert_msg(strncmp(s, "rhq: ", 5) == 0, "stray text: '%.*s'", (int)(e - s), s);
		ck_assert_msg(memchr(s, '\033', e - s) == NULL ||
		    (e - s > 3 && strncmp(e - 3, "\033[K", 3) == 0 &&
		    memchr(s, '\033', e - s - 3) == NULL),
		    "stray escape in: '%.*s'", (int)(e - s), s);
		texts++;
	}
	ck_assert_uint_ge(texts, 1);
}

START_TEST(progress_forced)
{
	struct proc p;

	rhq_run(&p, slow_ids, NOENV, ARGS("--progress", "--rate", "20"));
	ck_assert_msg(p.status == 0, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, slow_rows);
	assert_only_progress(p.err_buf);
	proc_free(&p);
}
END_TEST

START_TEST(progress_erased_before_messages)
{
	char in[sizeof slow_ids + 16];
	struct proc p;

	/* An error late in a run that shows the counter. */
	snprintf(in, sizeof in, "%s9301\n", slow_ids);
	rhq_run(&p, in, NOENV, ARGS("--progress", "--rate", "20"));
	ck_assert_msg(p.status == 1, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_msg(strstr(p.err_buf, "\r\033[Krhq: 9301: API error 301 (PARAMS_INVALID)\n")
	    != NULL, "message not preceded by an erase: '%s'", p.err_buf);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "\rrhq: "));
	proc_free(&p);
}
END_TEST

START_TEST(progress_off_when_not_a_terminal)
{
	struct proc p;

	/* The cron-mail promise: stderr is a pipe, nothing went wrong, stderr stays empty. */
	rhq_run(&p, slow_ids, NOENV, ARGS("--rate", "20"));
	ck_assert_run(&p, 0, slow_rows, "");
	proc_free(&p);
}
END_TEST

START_TEST(progress_never)
{
	struct proc p;

	rhq_run(&p, slow_ids, NOENV, ARGS("--no-progress", "--rate", "20"));
	ck_assert_run(&p, 0, slow_rows, "");
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------------- -j, --rate */

static const char *
state_of(unsigned long id)
{
	static const char *states[] = { "QUEUED", "RUNNING", "FAILED", "SUCCESS" };

	return states[id % 4];
}

/* n IDs from `first` on, and their rows. */
static void
make_ids(unsigned long first, int n, char *in, char *want)
{
	char line[128];
	int i;

	*in = *want = '\0';
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%lu\n", first + i);
		strcat(in, line);
		snprintf(line, sizeof line, "%lu\t%s\n", first + i, state_of(first + i));
		strcat(want, line);
	}
}

START_TEST(jobs_keep_input_order)
{
	char in[4096], want[8192];
	struct proc p;

	make_ids(1904152026220003300, 40, in, want);
	rhq_run(&p, in, NOENV, ARGS("-j", "8"));
	ck_assert_run(&p, 0, want, "");
	ck_assert_uint_eq(standin_requests(srv), 40);
	ck_assert_uint_ge(standin_connections(srv), 1);
	ck_assert_uint_le(standin_connections(srv), 8);
	proc_free(&p);
}
END_TEST

START_TEST(jobs_order_with_slow_and_bad_rows)
{
	char in[4096], want[8192], ids[4096], rows[8192];
	struct proc p;

	/* 9117 needs a retry, so its row is ready last but still comes out first. */
	make_ids(1904152026220003300, 30, ids, rows);
	snprintf(in, sizeof in, "9117\n%sx\n9807\n9301\n3\n", ids);
	snprintf(want, sizeof want,
	    "9117\tSUCCESS\n%sx\tINVALID\n9807\tNOT_FOUND\n9301\tERROR\n3\tSUCCESS\n", rows);
	rhq_run(&p, in, NOENV, ARGS("--jobs", "8", "--retry-delay", "0.2"));
	ck_assert_run(&p, 1, want,
	    "rhq: line 32: invalid task ID\nrhq: 9301: API error 301 (PARAMS_INVALID)\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9117"), 2);
	ck_assert_uint_le(standin_connections(srv), 8);
	proc_free(&p);
}
END_TEST

START_TEST(jobs_one_connection)
{
	char in[4096], want[8192];
	struct proc p;
	double t;

	make_ids(1904152026220003300, 10, in, want);
	t = timed_run(&p, in, ARGS("-j", "1"));
	ck_assert_run(&p, 0, want, "");
	ck_assert_uint_eq(standin_connections(srv), 1);
	/* One after the other, but without pauses between them. */
	ck_assert_msg(t < slack(1.0), "10 requests with -j 1 took %.3f s", t);
	proc_free(&p);

	rhq_run(&p, "3\n2\n", NOENV, ARGS("-j", "64"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(jobs_usage_errors)
{
	assert_usage_error(ARGS("-j", "0"), "rhq: --jobs: invalid value '0'");
	assert_usage_error(ARGS("-j", "65"), "rhq: --jobs: invalid value '65'");
	assert_usage_error(ARGS("--jobs", "x"), "rhq: --jobs: invalid value 'x'");
	assert_usage_error(ARGS("--rate", "abc"), "rhq: --rate: invalid value 'abc'");
	assert_usage_error(ARGS("--rate", "-1"), "rhq: --rate: invalid value '-1'");
}
END_TEST

START_TEST(rate_limits_requests)
{
	char in[4096], want[8192];
	struct proc p;
	double t;

	/* 10 requests at 20 a second: 9 gaps of 0.05 s at least. */
	make_ids(1904152026220003300, 10, in, want);
	t = timed_run(&p, in, ARGS("--rate", "20"));
	ck_assert_run(&p, 0, want, "");
	ck_assert_msg(t >= 0.4, "10 requests at --rate 20 took %.3f s", t);
	/* ...and not much more: the rate is a bound, not a pace of its own. */
	ck_assert_msg(t < slack(1.5), "10 requests at --rate 20 took %.3f s", t);
	proc_free(&p);

	/* The bound holds across all jobs. */
	t = timed_run(&p, in, ARGS("--rate", "20", "-j", "4"));
	ck_assert_run(&p, 0, want, "");
	ck_assert_msg(t >= 0.4, "10 requests at --rate 20 -j 4 took %.3f s", t);
	ck_assert_msg(t < slack(1.5), "10 requests at --rate 20 -j 4 took %.3f s", t);
	proc_free(&p);
}
END_TEST

Suite *
workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc;

	tc = server_tcase("wait");
	tcase_add_test(tc, wait_until_finished);
	tcase_add_test(tc, wait_until_failed);
	tcase_add_test(tc, wait_finished_task_polled_once);
	tcase_add_test(tc, wait_rows_in_completion_order);
	tcase_add_test(tc, wait_honours_interval);
	tcase_add_test(tc, wait_bad_rows_finish_at_once);
	tcase_add_test(tc, wait_other_final_states);
	tcase_add_test(tc, wait_with_jobs);
	tcase_add_test(tc, wait_rows_stream_out);
	suite_add_tcase(s, tc);

	tc = server_tcase("deadline");
	tcase_add_test(tc, deadline_reached);
	tcase_add_test(tc, deadline_mixed);
	tcase_add_test(tc, deadline_wins_over_bad_rows);
	tcase_add_test(tc, deadline_never_answered_is_unknown);
	tcase_add_test(tc, deadline_usage_errors);
	suite_add_tcase(s, tc);

	tc = server_tcase("records");
	tcase_add_test(tc, field_tsv);
	tcase_add_test(tc, field_csv);
	tcase_add_test(tc, field_missing);
	tcase_add_test(tc, field_invalid_id);
	tcase_add_test(tc, field_usage_errors);
	tcase_add_test(tc, append_with_field);
	tcase_add_test(tc, append_invalid_rows);
	tcase_add_test(tc, append_without_field);
	tcase_add_test(tc, null_separated);
	tcase_add_test(tc, null_separated_terminated_and_empty);
	tcase_add_test(tc, null_item_with_newline);
	tcase_add_test(tc, null_append);
	suite_add_tcase(s, tc);

	tc = server_tcase("json");
	tcase_add_test(tc, json_states);
	tcase_add_test(tc, json_api_codes);
	tcase_add_test(tc, json_unicode_msg);
	tcase_add_test(tc, json_invalid_escaped);
	tcase_add_test(tc, json_valid_for_any_input);
	tcase_add_test(tc, json_append_record);
	tcase_add_test(tc, json_with_wait);
	suite_add_tcase(s, tc);

	tc = server_tcase("summary");
	tcase_add_test(tc, summary_counts);
	tcase_add_test(tc, summary_one_task);
	tcase_add_test(tc, summary_order_and_others);
	tcase_add_test(tc, summary_at_deadline);
	suite_add_tcase(s, tc);

	tc = server_tcase("progress");
	tcase_add_test(tc, progress_forced);
	tcase_add_test(tc, progress_erased_before_messages);
	tcase_add_test(tc, progress_off_when_not_a_terminal);
	tcase_add_test(tc, progress_never);
	suite_add_tcase(s, tc);

	tc = server_tcase("jobs");
	tcase_add_test(tc, jobs_keep_input_order);
	tcase_add_test(tc, jobs_order_with_slow_and_bad_rows);
	tcase_add_test(tc, jobs_one_connection);
	tcase_add_test(tc, jobs_usage_errors);
	tcase_add_test(tc, rate_limits_requests);
	suite_add_tcase(s, tc);

	return s;
}
