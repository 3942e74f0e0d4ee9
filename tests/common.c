/*
 * What the system suites share: the stand-in fixture, the runner of table
 * rows, and the assertion helpers; and main(), which runs every suite.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

struct standin *srv;

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
 * The warped clock runs in this very program, started afresh with WARPED
 * first among its arguments; its time (seconds since the run began) comes
 * back in a file mapped by both.
 */
#define WARPED	"--rhq-on-a-warped-clock"

static const char *self;		/* this program, as main() was called */
static double *warp_clock;

void
proc_start_warped(struct proc *p, const char *const env[], const char *const argv[])
{
	static const double zero;
	static char var[600];
	const char *envw[64], *path;
	size_t n = 0;
	int fd;

	path = harness_file("warp", (const char *)&zero, sizeof zero, 0600);
	if (warp_clock == NULL) {
		ck_assert_int_ge(fd = open(path, O_RDWR), 0);
		warp_clock = mmap(NULL, sizeof *warp_clock, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		ck_assert_ptr_ne(warp_clock, MAP_FAILED);
		close(fd);
	}
	snprintf(var, sizeof var, "RHQ_WARP_FILE=%s", path);
	for (; env != NULL && *env != NULL && n < NELEM(envw) - 2; env++)
		envw[n++] = *env;
	envw[n++] = var;
	envw[n] = NULL;
	proc_spawn(p, &(struct spawn){ .argv = argv, .env = envw,
	    .instead = ARGS(self, WARPED) });
}

double
rhq_clock(void)
{
	/* The warped run moves it on while the stand-in's threads read it. */
	return warp_clock != NULL ? *(volatile double *)warp_clock : 0;
}

double
rhq_run_warped(struct proc *p, const char *in, size_t len, const char *const env[],
    const char *const argv[])
{
	proc_start_warped(p, env, argv);
	if (in != NULL)
		proc_write(p, in, len ? len : strlen(in));
	proc_finish(p, harness_timeout());
	return rhq_clock();
}

/* ------------------------------------------------------------ line matching */

/* Does line [s, s+n) match the fnmatch(3) pattern ('*' stands for any text)? */
int
glob_line(const char *s, size_t n, const char *pattern)
{
	char line[4096];

	if (n >= sizeof line)
		return 0;
	memcpy(line, s, n);
	line[n] = '\0';
	return fnmatch(pattern, line, FNM_NOESCAPE) == 0;
}

void
assert_lines(const char *text, const char *const want[])
{
	const char *s = text, *e;
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		e = strchr(s, '\n');
		ck_assert_msg(e != NULL, "line %zu missing, want '%s'; got:\n%s", i + 1, want[i],
		    text);
		ck_assert_msg(glob_line(s, e - s, want[i]),
		    "line %zu is '%.*s', want '%s'; all:\n%s", i + 1, (int)(e - s), s, want[i],
		    text);
		s = e + 1;
	}
	ck_assert_msg(*s == '\0', "unexpected extra output: %s", s);
}

void
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
			if (!used[i] && glob_line(s, e - s, want[i]))
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

void
assert_complete_rows(const char *out)
{
	const char *s, *e;

	ck_assert_msg(*out == '\0' || out[strlen(out) - 1] == '\n', "partial row: %s", out);
	for (s = out; (e = strchr(s, '\n')) != NULL; s = e + 1)
		ck_assert_msg(memchr(s, '\t', e - s) != NULL, "row without a TAB: '%.*s'",
		    (int)(e - s), s);
}

const char *
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

/* ----------------------------------------------------------- the stand-in */

/* The state the stand-in gives an ordinary ID. */
static const char *
state_of(unsigned long id)
{
	static const char *states[] = { "QUEUED", "RUNNING", "FAILED", "SUCCESS" };

	return states[id % 4];
}

void
make_ids(unsigned long first, int n, char *in, char *want)
{
	char *i = in, *w = want;
	int k;

	*in = *want = '\0';
	for (k = 0; k < n; k++) {
		i += sprintf(i, "%lu\n", first + k);
		w += sprintf(w, "%lu\t%s\n", first + k, state_of(first + k));
	}
}

void
wait_for_request(const char *id, unsigned n)
{
	double end = clock_now() + harness_timeout();

	while (standin_requests_for(srv, id) < n && clock_now() < end)
		nap(0.005);
	ck_assert_uint_ge(standin_requests_for(srv, id), n);
}

/* ------------------------------------------------------ a tiny JSON reader */

/*
 * Reads one JSON object of string and integer members, strictly (RFC 8259:
 * no raw control characters, valid UTF-8, valid escapes, no lone
 * surrogates), decoding strings to UTF-8.  Members that are arrays or
 * objects (those of -o) are checked as strictly, but not kept.
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

/*
 * Checks a value inside a member (-o's "outputs" and "reason"): an array or
 * object of strings, integers and more of them, as strictly as jstring()
 * checks strings.  buf has room for any string of the line, decoded.
 * Returns the byte after the value, or NULL.
 */
static const char *
jnested(const char *s, const char *e, char *buf, size_t cap, int depth)
{
	char close;
	size_t len;
	char *end;

	s = jws(s, e);
	if (s >= e || depth > 16)
		return NULL;
	if (*s == '"')
		return jstring(s, e, buf, cap, &len);
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		strtol(s, &end, 10);
		return end == s || end > e || (*s == '0' && end - s > 1) ? NULL : end;
	}
	if (*s != '{' && *s != '[')
		return NULL;
	close = *s == '{' ? '}' : ']';
	s = jws(s + 1, e);
	if (s < e && *s == close)
		return s + 1;
	for (;;) {
		if (close == '}') {
			if ((s = jstring(s, e, buf, cap, &len)) == NULL)
				return NULL;
			s = jws(s, e);
			if (s >= e || *s++ != ':')
				return NULL;
		}
		if ((s = jnested(s, e, buf, cap, depth + 1)) == NULL)
			return NULL;
		s = jws(s, e);
		if (s < e && *s == ',') {
			s = jws(s + 1, e);
			continue;
		}
		return s < e && *s == close ? s + 1 : NULL;
	}
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
		} else if (s < e && (*s == '[' || *s == '{')) {
			/* Checked, not kept: a test reads such members with its own eyes. */
			char *buf = malloc(e - s + 1);

			ck_assert_ptr_nonnull(buf);
			m[k].is_str = 0;
			m[k].num = 0;
			s = jnested(s, e, buf, e - s + 1, 0);
			free(buf);
			if (s == NULL)
				return -1;
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

size_t
assert_json_lines(const char *out)
{
	struct jmem m[16];
	const char *s, *nl;
	size_t n = 0;

	for (s = out; *s; s = nl + 1) {
		ck_assert_ptr_nonnull(nl = strchr(s, '\n'));
		ck_assert_msg(jobject(s, nl - s, m, NELEM(m)) >= 0, "not valid JSON: %.*s",
		    (int)(nl - s), s);
		n++;
	}
	return n;
}

void
assert_json_invalid(const char *out, size_t line, const char *want, size_t len)
{
	struct jmem m[8];
	const char *s = out, *nl;
	const struct jmem *id, *st, *er;
	int n;

	for (; line > 0; line--)
		s = strchr(s, '\n') + 1;
	nl = strchr(s, '\n');
	n = jobject(s, nl - s, m, 8);
	ck_assert_msg(n == 3, "want exactly id, state and error: %.*s", (int)(nl - s), s);
	ck_assert_ptr_nonnull(id = jget(m, n, "id"));
	ck_assert_ptr_nonnull(st = jget(m, n, "state"));
	ck_assert_ptr_nonnull(er = jget(m, n, "error"));
	ck_assert(id->is_str && st->is_str && er->is_str);
	ck_assert_str_eq(st->str, "INVALID");
	ck_assert_msg(strstr(er->str, ": invalid task ID") != NULL, "error: %s", er->str);
	ck_assert_msg(id->len == len && memcmp(id->str, want, len) == 0,
	    "id decodes wrong in: %.*s", (int)(nl - s), s);
}

/* ------------------------------------------------------------ table rows */

/* A row's text with %FILE, %BASE and %VERSION put in (a fresh string, or NULL). */
static char *
expand(const char *s, const char *file)
{
	static const char *const names[] = { "%FILE", "%BASE", "%VERSION" };
	const char *values[] = { file ? file : "", harness_base_url, rhq_version };
	const char *c;
	char *out, *o;
	size_t i, n, size;

	if (s == NULL)
		return NULL;
	size = strlen(s) + 1;
	for (c = s; (c = strchr(c, '%')) != NULL; c++)
		for (i = 0; i < NELEM(values); i++)
			size += strlen(values[i]);
	out = o = malloc(size);
	ck_assert_ptr_nonnull(out);
	while (*s) {
		for (i = 0; i < NELEM(names); i++) {
			n = strlen(names[i]);
			if (strncmp(s, names[i], n) == 0)
				break;
		}
		if (i < NELEM(names)) {
			o = stpcpy(o, values[i]);
			s += n;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* The same for a NULL-terminated list (a fresh one, or NULL). */
static char **
expand_list(const char *const *list, const char *file)
{
	char **out;
	size_t n = 0, i;

	if (list == NULL)
		return NULL;
	while (list[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof *out);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i++)
		out[i] = expand(list[i], file);
	return out;
}

static void
free_list(char **list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static int
has_arg(const char *const *argv, const char *arg)
{
	for (; argv != NULL && *argv != NULL; argv++)
		if (strcmp(*argv, arg) == 0)
			return 1;
	return 0;
}

/* The Authorization header rhq must send: the row's, or of the key in its environment. */
static void
want_auth(const struct row *r, char *buf, size_t size)
{
	const char *const *e;
	const char *key = "testkey";

	if (r->auth != NULL) {
		snprintf(buf, size, "%s", r->auth);
		return;
	}
	for (e = r->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "RUNNINGHUB_API_KEY=", 19) == 0)
			key = *e + 19;
	/* A key from a file: the row says which. */
	if (has_arg(r->argv, "--api-key-file"))
		key = NULL;
	for (e = r->env; e != NULL && *e != NULL; e++)
		if (strcmp(*e, "RUNNINGHUB_API_KEY") == 0 ||
		    strncmp(*e, "RUNNINGHUB_API_KEY_FILE=", 24) == 0)
			key = NULL;
	if (key != NULL)
		snprintf(buf, size, "Bearer %s", key);
	else
		buf[0] = '\0';
}

/* The stand-in's counts before a run: a test may run several rows. */
struct counts {
	unsigned requests, connections, seen[NELEM(((struct row *)0)->seen)];
};

static void
take_counts(const struct row *r, struct counts *c)
{
	size_t i;

	c->requests = standin_requests(srv);
	c->connections = standin_connections(srv);
	for (i = 0; i < NELEM(r->seen) && r->seen[i].id != NULL; i++)
		c->seen[i] = standin_requests_for(srv, r->seen[i].id);
}

/* The endpoints of the API: v1's status and outputs, and v2's query. */
static int
is_endpoint(const char *url)
{
	return strcmp(url, "/task/openapi/status") == 0 ||
	    strcmp(url, "/task/openapi/outputs") == 0 || strcmp(url, "/openapi/v2/query") == 0;
}

/*
 * Every request of the run must be what rhq always sends, with this row's
 * key, to one of the endpoints (which ones, the rows of -o and --api say
 * with seen: "outputs:ID" and "v2:ID" count those of the other two).
 */
static void
assert_requests(const struct row *r, const struct counts *before)
{
	const struct standin_req *q;
	char ua[64], auth[256];
	unsigned i, n = standin_requests(srv);

	snprintf(ua, sizeof ua, "rhq/%s", rhq_version);
	want_auth(r, auth, sizeof auth);
	for (i = before->requests; i < n && (q = standin_request(srv, i)) != NULL; i++) {
		ck_assert_msg(strcmp(q->method, "POST") == 0 && is_endpoint(q->url) &&
		    strcmp(q->content_type, "application/json") == 0 &&
		    strcmp(q->user_agent, ua) == 0,
		    "%s: request %u is %s %s, Content-Type '%s', User-Agent '%s'", r->name, i,
		    q->method, q->url, q->content_type, q->user_agent);
		if (auth[0] != '\0')
			ck_assert_msg(strcmp(q->authorization, auth) == 0,
			    "%s: request %u has Authorization '%s', want '%s'", r->name, i,
			    q->authorization, auth);
	}
	if (r->body != NULL) {
		ck_assert_msg(n > before->requests, "%s: no request", r->name);
		q = standin_request(srv, before->requests);
		ck_assert_uint_eq(q->body_len, strlen(q->body));
		ck_assert_msg(strcmp(q->body, r->body) == 0, "%s: request body %s, want %s",
		    r->name, q->body, r->body);
	}
}

/* Asserts text equals want exactly (NULL: empty). */
static void
assert_text(const struct row *r, const char *what, const char *got, const char *want)
{
	if (want == NULL)
		want = "";
	ck_assert_msg(strcmp(got, want) == 0, "%s: %s is:\n%s\nwant:\n%s", r->name, what, got,
	    want);
}

static void
assert_stderr(const struct row *r, const struct proc *p, const char *file)
{
	char **lines, *want, *nl;

	if (r->err_lines != NULL || r->err_any != NULL) {
		lines = expand_list(r->err_lines ? r->err_lines : r->err_any, file);
		if (r->err_lines != NULL)
			assert_lines(p->err_buf, (const char *const *)lines);
		else
			assert_lines_any_order(p->err_buf, (const char *const *)lines);
		free_list(lines);
	} else if (r->err_check != NULL) {
		r->err_check(p->err_buf);
	} else if (r->usage != NULL) {
		want = expand(r->usage, file);
		ck_assert_msg(strncmp(p->err_buf, want, strlen(want)) == 0,
		    "%s: stderr starts: %s\nwant: %s", r->name, p->err_buf, want);
		nl = strchr(p->err_buf, '\n');
		ck_assert_msg(nl != NULL && strncmp(nl + 1, "usage: rhq ", 11) == 0,
		    "%s: no usage on the second line of stderr: %s", r->name, p->err_buf);
		free(want);
	} else {
		want = expand(r->err, file);
		assert_text(r, "stderr", p->err_buf, want);
		free(want);
	}
}

static void
assert_stdout(const struct row *r, const struct proc *p, const char *rows)
{
	char *want;

	if (r->out_start != NULL) {
		ck_assert_msg(strncmp(p->out_buf, r->out_start, strlen(r->out_start)) == 0,
		    "%s: stdout starts:\n%s\nwant:\n%s", r->name, p->out_buf, r->out_start);
	} else if (r->out_any != NULL) {
		assert_lines_any_order(p->out_buf, r->out_any);
	} else {
		want = expand(rows ? rows : r->out, NULL);
		assert_text(r, "stdout", p->out_buf, want);
		free(want);
	}
	ck_assert_msg(p->out_len == strlen(p->out_buf), "%s: a NUL byte on stdout", r->name);
	if (has_arg(r->argv, "--json"))
		assert_json_lines(p->out_buf);
}

static void
assert_counts(const struct row *r, const struct counts *before)
{
	unsigned n = standin_requests(srv) - before->requests;
	unsigned c = standin_connections(srv) - before->connections, k, max;
	size_t i;

	max = r->requests_max > r->requests ? r->requests_max : r->requests;
	ck_assert_msg(n >= r->requests && n <= max, "%s: %u requests, want %u to %u", r->name,
	    n, r->requests, max);
	for (i = 0; i < NELEM(r->seen) && r->seen[i].id != NULL; i++) {
		k = standin_requests_for(srv, r->seen[i].id) - before->seen[i];
		ck_assert_msg(k == r->seen[i].n, "%s: %u requests for %s, want %u", r->name, k,
		    r->seen[i].id, r->seen[i].n);
	}
	if (r->connections > 0 || r->connections_max > 0) {
		max = r->connections_max > r->connections ? r->connections_max : r->connections;
		ck_assert_msg(c >= r->connections && c <= max, "%s: %u connections, want %u to %u",
		    r->name, c, r->connections, max);
	} else if (max == 0) {
		ck_assert_msg(c == 0, "%s: %u connections without a request", r->name, c);
	}
}

void
run_row(const struct row *r)
{
	const char *file = NULL, *in = r->in;
	char **argv, **env, *ids_in = NULL, *ids_out = NULL;
	size_t in_len = r->in_len;
	struct counts before;
	struct proc p;
	double took;

	if (r->file.name != NULL)
		file = harness_file(r->file.name, r->file.text, 0, r->file.mode);
	if (r->ids.n > 0) {
		ck_assert_ptr_nonnull(ids_in = malloc(r->ids.n * 32 + 1));
		ck_assert_ptr_nonnull(ids_out = malloc(r->ids.n * 48 + 1));
		make_ids(r->ids.first, r->ids.n, ids_in, ids_out);
		in = ids_in;
	}
	argv = expand_list(r->argv, file);
	env = expand_list(r->env, file);
	take_counts(r, &before);
	ck_assert_msg(!r->warp || r->how == 0, "%s: a warped row runs with the usual descriptors",
	    r->name);
	if (r->warp) {
		took = rhq_run_warped(&p, in, in_len, (const char *const *)env,
		    (const char *const *)argv);
	} else {
		proc_spawn(&p, &(struct spawn){ .argv = (const char *const *)argv,
		    .env = (const char *const *)env, .how = r->how });
		if (in != NULL)
			proc_write(&p, in, in_len ? in_len : strlen(in));
		proc_finish(&p, harness_timeout());
		took = p.took;
	}

	ck_assert_msg(p.status == r->status, "%s: exit status %d, want %d; stderr:\n%s",
	    r->name, p.status, r->status, p.err_buf);
	assert_stdout(r, &p, ids_out);
	assert_stderr(r, &p, file);
	assert_counts(r, &before);
	assert_requests(r, &before);
	if (r->secret != NULL) {
		ck_assert_msg(strstr(p.out_buf, r->secret) == NULL, "%s: secret on stdout: %s",
		    r->name, p.out_buf);
		ck_assert_msg(strstr(p.err_buf, r->secret) == NULL, "%s: secret on stderr: %s",
		    r->name, p.err_buf);
	}
	if (r->took_min > 0)
		ck_assert_msg(took >= r->took_min, "%s: took %.3f s, want %.3f s at least",
		    r->name, took, r->took_min);
	if (r->took_max > 0)
		ck_assert_msg(took < slack(r->took_max), "%s: took %.3f s, want less than %.3f s",
		    r->name, took, slack(r->took_max));
	if (r->check != NULL)
		r->check(&p);
	proc_free(&p);
	free_list(argv);
	free_list(env);
	free(ids_in);
	free(ids_out);
}

/* ------------------------------------------------------------------ main */

static int shard = 1, shards = 1;	/* from RHQ_SHARD=k/n */
static int tests_seen;

/* Is the next test in this shard? */
static int
in_shard(void)
{
	return tests_seen++ % shards == shard - 1;
}

void
add_test(TCase *tc, const TTest *t)
{
	if (in_shard())
		tcase_add_test(tc, t);
}

void
add_rows(TCase *tc, const TTest *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (in_shard())
			tcase_add_loop_test(tc, t, i, i + 1);
}

int
main(int argc, char *argv[])
{
	const char *e;
	SRunner *sr;
	int failed;

	if (argc > 1 && strcmp(argv[1], WARPED) == 0) {
		argv[1] = "rhq";
		return warped_main(argc - 1, argv + 1);
	}
	self = argv[0];
	/* rhq may end before it has read all its stdin (a usage error): not our death. */
	signal(SIGPIPE, SIG_IGN);
	/* A shard runs system tests only: the unit tests start no rhq to watch. */
	if ((e = getenv("RHQ_SHARD")) != NULL && *e != '\0') {
		if (sscanf(e, "%d/%d", &shard, &shards) != 2 || shards < 1 || shard < 1 ||
		    shard > shards) {
			fprintf(stderr, "RHQ_SHARD=%s: want k/n, 1 <= k <= n\n", e);
			return EXIT_FAILURE;
		}
		sr = srunner_create(system_suite());
	} else {
		sr = srunner_create(unit_suite());
		srunner_add_suite(sr, system_suite());
	}
	srunner_add_suite(sr, faults_suite());
	srunner_add_suite(sr, workflow_suite());
	srunner_add_suite(sr, outage_suite());
	srunner_add_suite(sr, results_suite());
	srunner_add_suite(sr, state_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
