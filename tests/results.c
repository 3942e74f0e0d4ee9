/*
 * Tests of results and reasons (-o, --api v2, --traceback): unit tests of the
 * reply parsers of the outputs and the v2 query endpoint, of classify() for
 * them and of the reason line, then system tests of ./rhq against the
 * stand-in, as rows of tables where a row is enough.
 *
 * This file includes rhq.c, as check_rhq.c does, to reach its static
 * functions; each test program file has its own copy of them.
 */
#define _GNU_SOURCE
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"

#include "suites.h"

/* U+FFFD REPLACEMENT CHARACTER and U+2026 HORIZONTAL ELLIPSIS in UTF-8. */
#define REPL	"\xef\xbf\xbd"
#define ELLIPSIS "\xe2\x80\xa6"

/* The stand-in's standard failure reason, as one line. */
#define STD_LINE "node 276 SONIC_PreData: TypeError: SONIC_PreData.sampler_main() missing " \
	"2 required positional arguments: 'clip_vision' and 'vae'"
#define STD_REASON_JSON "\"reason\":{\"node_id\":\"276\",\"node_name\":\"SONIC_PreData\"," \
	"\"exception_type\":\"TypeError\",\"exception_message\":\"SONIC_PreData.sampler_main() " \
	"missing 2 required positional arguments: 'clip_vision' and 'vae'\"}"

/* ------------------------------------------------------------ helpers */

/* A copy of s with every "{BASE}" replaced by the stand-in's root URL. */
static char *
with_base(const char *s)
{
	size_t blen = strlen(harness_base_url), n = 0;
	const char *p;
	char *out, *d;

	for (p = s; (p = strstr(p, "{BASE}")) != NULL; p += 6)
		n++;
	d = out = malloc(strlen(s) + n * blen + 1);
	ck_assert_ptr_nonnull(out);
	for (p = s; *p;) {
		if (strncmp(p, "{BASE}", 6) == 0) {
			memcpy(d, harness_base_url, blen);
			d += blen;
			p += 6;
		} else {
			*d++ = *p++;
		}
	}
	*d = '\0';
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that got holds the same lines as want, in any order. */
static void
assert_same_lines(const char *got, const char *want)
{
	char *g = strdup(got), *w = strdup(want), *gl[64], *wl[64], *p, *nl;
	size_t gn = 0, wn = 0, i;

	for (p = g; *p && gn < 64 && (nl = strchr(p, '\n')) != NULL; p = nl + 1, *nl = '\0')
		gl[gn++] = p;
	for (p = w; *p && wn < 64 && (nl = strchr(p, '\n')) != NULL; p = nl + 1, *nl = '\0')
		wl[wn++] = p;
	qsort(gl, gn, sizeof *gl, cmp_str);
	qsort(wl, wn, sizeof *wl, cmp_str);
	ck_assert_msg(gn == wn, "got:\n%s\nwant (any order):\n%s", got, want);
	for (i = 0; i < gn; i++)
		ck_assert_msg(strcmp(gl[i], wl[i]) == 0, "got:\n%s\nwant (any order):\n%s",
		    got, want);
	free(g);
	free(w);
}

/*
 * A strict JSON checker (RFC 8259): valid UTF-8, no raw control characters,
 * valid escapes and numbers.  Returns the end of the value at s, or NULL.
 */
static const char *jvalue(const char *s, const char *e, int depth);

static const char *
jws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

static const char *
jstr(const char *s, const char *e)
{
	size_t k;

	if (s >= e || *s++ != '"')
		return NULL;
	while (s < e && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			if (++s >= e)
				return NULL;
			if (*s == 'u') {
				if (e - s < 5 || strspn(s + 1, "0123456789abcdefABCDEF") < 4)
					return NULL;
				s += 5;
			} else if (strchr("\"\\/bfnrt", *s) != NULL && *s) {
				s++;
			} else {
				return NULL;
			}
			continue;
		}
		if ((k = utf8_len((const unsigned char *)s, e - s)) == 0)
			return NULL;
		s += k;
	}
	return s < e ? s + 1 : NULL;
}

static const char *
jvalue(const char *s, const char *e, int depth)
{
	char close;

	s = jws(s, e);
	if (s >= e || depth > 32)
		return NULL;
	if (*s == '"')
		return jstr(s, e);
	if (*s == '{' || *s == '[') {
		close = *s == '{' ? '}' : ']';
		s = jws(s + 1, e);
		if (s < e && *s == close)
			return s + 1;
		for (;;) {
			if (close == '}') {
				if ((s = jstr(jws(s, e), e)) == NULL)
					return NULL;
				s = jws(s, e);
				if (s >= e || *s++ != ':')
					return NULL;
			}
			if ((s = jvalue(s, e, depth + 1)) == NULL)
				return NULL;
			s = jws(s, e);
			if (s < e && *s == ',') {
				s++;
				continue;
			}
			return s < e && *s == close ? s + 1 : NULL;
		}
	}
	if (strncmp(s, "null", 4) == 0 || strncmp(s, "true", 4) == 0)
		return s + 4;
	if (strncmp(s, "false", 5) == 0)
		return s + 5;
	if (*s == '-')
		s++;
	if (s >= e || !isdigit((unsigned char)*s))
		return NULL;
	while (s < e && isdigit((unsigned char)*s))
		s++;
	return s;
}

/* Asserts that every line of out is one valid JSON object; returns how many. */
static size_t
assert_json_lines(const char *out)
{
	const char *s, *nl, *end;
	size_t n = 0;

	for (s = out; *s; s = nl + 1, n++) {
		ck_assert_ptr_nonnull(nl = strchr(s, '\n'));
		end = jvalue(s, nl, 0);
		ck_assert_msg(*jws(s, nl) == '{' && end != NULL && jws(end, nl) == nl,
		    "not a valid JSON object: %.*s", (int)(nl - s), s);
	}
	return n;
}

/* ------------------------------------------------- the outputs parser */

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

/* ------------------------------------------------------ the v2 parser */

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
		ck_assert_uint_eq(v.status_len, strlen(v.status));
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

/* ------------------------------------------------- classify, results */

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
} results_classify_cases[] = {
	{ "files", REQ_OUTPUTS, "{\"code\":0,\"msg\":\"success\",\"data\":[]}", 0,
	    OUT_RESULTS, "", NULL, 1, 0 },
	{ "failure", REQ_OUTPUTS, "{\"code\":805,\"data\":{\"failedReason\":{}}}", 0,
	    OUT_RESULTS, "", NULL, 1, 805 },
	{ "804 after SUCCESS: not ready", REQ_OUTPUTS,
	    "{\"code\":804,\"msg\":\"APIKEY_TASK_IS_RUNNING\",\"data\":null}", 0,
	    OUT_RETRY, "API error 804 (APIKEY_TASK_IS_RUNNING)", NULL, 1, 804 },
	{ "813 after SUCCESS: not ready", REQ_OUTPUTS, "{\"code\":813,\"data\":null}", 0,
	    OUT_RETRY, "API error 813 (APIKEY_TASK_IS_QUEUED)", NULL, 1, 813 },
	{ "code 0 without a list", REQ_OUTPUTS, "{\"code\":0,\"msg\":\"running\"}", 0,
	    OUT_RETRY, "outputs not ready (running)", NULL, 1, 0 },
	{ "outputs: not found", REQ_OUTPUTS, "{\"code\":807,\"data\":null}", 0,
	    OUT_NOT_FOUND, "", NULL, 1, 807 },
	{ "outputs: bad key", REQ_OUTPUTS, "{\"code\":802,\"msg\":\"APIKEY_UNAUTHORIZED\"}", 0,
	    OUT_FATAL, "API error 802 (APIKEY_UNAUTHORIZED)", SITE_HINT, 1, 802 },
	{ "outputs: other code", REQ_OUTPUTS, "{\"code\":301,\"msg\":\"PARAMS_INVALID\"}", 0,
	    OUT_ERROR, "API error 301 (PARAMS_INVALID)", NULL, 1, 301 },
	{ "outputs: unparseable", REQ_OUTPUTS, "{\"data\":[]}", 0,
	    OUT_ERROR, "unparseable reply", NULL, 0, 0 },
	{ "outputs: larger cap", REQ_OUTPUTS, "", 1,
	    OUT_ERROR, "reply larger than 1024 KiB", NULL, 0, 0 },
	{ "v2 state", REQ_V2, "{\"status\":\"RUNNING\",\"errorCode\":\"\"}", 0,
	    OUT_STATE, "RUNNING", NULL, 0, 0 },
	{ "v2 failed with a code", REQ_V2,
	    "{\"status\":\"FAILED\",\"errorCode\":\"1505\",\"errorMessage\":\"refused\"}", 0,
	    OUT_STATE, "FAILED", NULL, 1, 1505 },
	{ "v2 future state", REQ_V2, "{\"status\":\"CANCEL\"}", 0, OUT_STATE, "CANCEL", NULL,
	    0, 0 },
	{ "v2 lower case", REQ_V2, "{\"status\":\"success\"}", 0,
	    OUT_ERROR, "reply has an unexpected state", NULL, 0, 0 },
	{ "v2 bad key, string", REQ_V2,
	    "{\"status\":\"\",\"errorCode\":\"806\",\"errorMessage\":\"APIKEY_USER_NOT_FOUND\"}", 0,
	    OUT_FATAL, "API error 806 (APIKEY_USER_NOT_FOUND)", SITE_HINT, 1, 806 },
	{ "v2 bad key, number, no message", REQ_V2, "{\"status\":\"\",\"errorCode\":1002}", 0,
	    OUT_FATAL, "API error 1002 (INVALID_API_KEY)", NULL, 1, 1002 },
	{ "v2 unknown task 1007", REQ_V2, "{\"taskId\":\"\",\"errorCode\":\"1007\"}", 0,
	    OUT_NOT_FOUND, "", NULL, 1, 1007 },
	{ "v2 not found 1004", REQ_V2, "{\"errorCode\":1004}", 0,
	    OUT_NOT_FOUND, "", NULL, 1, 1004 },
	{ "v2 rate limit", REQ_V2, "{\"errorCode\":\"1003\",\"errorMessage\":\"slow down\"}", 0,
	    OUT_RETRY, "API error 1003 (slow down)", NULL, 1, 1003 },
	{ "v2 other code", REQ_V2, "{\"errorCode\":\"1501\",\"errorMessage\":\"a\\nb\"}", 0,
	    OUT_ERROR, "API error 1501 (a?b)", NULL, 1, 1501 },
	{ "v2 code that is no number", REQ_V2, "{\"errorCode\":\"E42\"}", 0,
	    OUT_ERROR, "API error E42 (no message)", NULL, 0, 0 },
	{ "v2 nothing", REQ_V2, "{\"taskId\":\"1\",\"errorCode\":\"0\"}", 0,
	    OUT_ERROR, "reply has no status", NULL, 1, 0 },
	{ "v2 not JSON", REQ_V2, "<html>", 0, OUT_ERROR, "unparseable reply", NULL, 0, 0 },
	{ "v2 larger cap", REQ_V2, "", 1, OUT_ERROR, "reply larger than 1024 KiB", NULL, 0, 0 },
};

START_TEST(classify_results_table)
{
	const struct results_classify_case *c = &results_classify_cases[_i];
	struct results res = { 0 };
	struct attempt a = { .kind = c->kind, .rc = c->too_big ? CURLE_WRITE_ERROR : CURLE_OK,
	    .http = 200, .body = c->body, .len = strlen(c->body), .too_big = c->too_big,
	    .res = &res };
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

/* ----------------------------------------------------- the reason line */

#define L10 "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7" \
	"\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7"
#define L100 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10

static const struct reason_case {
	const char *name, *failed_reason, *error;	/* JSON of failedReason; of errorCode etc. */
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

/* ------------------------------------------------------ system: rows */

/*
 * One run of ./rhq: arguments, environment and stdin; the exit status,
 * stdout and stderr it must give ({BASE} stands for the stand-in's root,
 * http://127.0.0.1:PORT), and how many requests the stand-in must see (-1:
 * not checked).  Under --wait, stdout may come in any order.
 */
struct run_case {
	const char *name;
	const char *const *argv;
	const char *const *env;
	const char *in;
	int status;
	const char *out, *err;
	int requests;
	int any_order;
};

#define ROW(id, st, detail)	id "\t" st "\t" detail "\n"
#define FILE_ROW(id, n, type)	ROW(id, "SUCCESS", "{BASE}/output/" id "_" n "." type)
#define RETRY		"--retry-delay", "0.01"
#define WAIT		"--wait", "--interval", "0.05"
#define V2		"--api", "v2"

static const struct run_case run_cases[] = {
	/* v1: status first, then outputs for SUCCESS and FAILED. */
	{ "v1 rows: files, none, a failure (reply over 64 KiB), unfinished",
	    ARGS("-o", ID_ONE_FILE, ID_MANY_FILES, ID_NO_OUTPUTS, ID_FAILED, "3", "2", "1", "4"),
	    NOENV, NULL, 0,
	    FILE_ROW(ID_ONE_FILE, "1", "png") FILE_ROW(ID_MANY_FILES, "1", "png")
	    FILE_ROW(ID_MANY_FILES, "2", "png") FILE_ROW(ID_MANY_FILES, "3", "mp4")
	    ROW(ID_NO_OUTPUTS, "SUCCESS", "") ROW(ID_FAILED, "FAILED", STD_LINE)
	    FILE_ROW("3", "1", "png") ROW("2", "FAILED", STD_LINE) ROW("1", "RUNNING", "")
	    ROW("4", "QUEUED", ""), "", 14, 0 },
	{ "v1 other rows: empty detail, no outputs asked",
	    ARGS("-o", "9125", "9807", "9124", "abc"), NOENV, NULL, 1,
	    ROW("9125", "CANCEL", "") ROW("9807", "NOT_FOUND", "") ROW("9124", "ERROR", "")
	    ROW("abc", "INVALID", ""),
	    "rhq: 9124: HTTP 404\nrhq: argument 4: invalid task ID\n", 3, 0 },
	{ "v1 not ready right after SUCCESS (804, code 0 without a list): retried",
	    ARGS("-o", RETRY, ID_OUTPUTS_LATE, ID_OUTPUTS_CODE0), NOENV, NULL, 0,
	    FILE_ROW(ID_OUTPUTS_LATE, "1", "png") FILE_ROW(ID_OUTPUTS_CODE0, "1", "png"), "", 6, 0 },
	{ "v1 outputs never ready, or over 1 MiB: ERROR rows",
	    ARGS("-o", RETRY, "--retries", "1", ID_OUTPUTS_NEVER, ID_OUTPUTS_HUGE), NOENV, NULL, 1,
	    ROW(ID_OUTPUTS_NEVER, "ERROR", "") ROW(ID_OUTPUTS_HUGE, "ERROR", ""),
	    "rhq: " ID_OUTPUTS_NEVER ": API error 804 (APIKEY_TASK_IS_RUNNING)\n"
	    "rhq: " ID_OUTPUTS_HUGE ": reply larger than 1024 KiB\n", 5, 0 },
	{ "v1 -a appends state and detail", ARGS("-o", "-a", "-f", "2"), NOENV,
	    "job1\t" ID_MANY_FILES "\r\njob2\t2\nlonely\n", 1,
	    "job1\t" FILE_ROW(ID_MANY_FILES, "1", "png") "job1\t" FILE_ROW(ID_MANY_FILES, "2", "png")
	    "job1\t" FILE_ROW(ID_MANY_FILES, "3", "mp4") "job2\t2\tFAILED\t" STD_LINE "\n"
	    "lonely\tINVALID\t\n", "rhq: line 3: no field 2\n", 4, 0 },
	{ "v1 -j 4 keeps input order and a task's rows together", ARGS("-o", "-j", "4"), NOENV,
	    ID_MANY_FILES "\n2\n1\n" ID_NO_OUTPUTS "\n7\n" ID_ONE_FILE "\n" ID_FAILED "\n11\n", 0,
	    FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	    FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE) ROW("1", "RUNNING", "")
	    ROW(ID_NO_OUTPUTS, "SUCCESS", "") FILE_ROW("7", "1", "png")
	    FILE_ROW(ID_ONE_FILE, "1", "png") ROW(ID_FAILED, "FAILED", STD_LINE)
	    FILE_ROW("11", "1", "png"), "", 15, 0 },
	{ "v1 --wait asks outputs once finished", ARGS("-o", WAIT, ID_WAIT_SUCCESS,
	    ID_WAIT_FAILED, "3"), NOENV, NULL, 0,
	    FILE_ROW(ID_WAIT_SUCCESS, "1", "png") ROW(ID_WAIT_FAILED, "FAILED", STD_LINE)
	    FILE_ROW("3", "1", "png"), "", 10, 1 },
	{ "v1 --wait --deadline: unfinished rows", ARGS("-o", WAIT, "--deadline", "0.4", "9122",
	    "3"), NOENV, NULL, 3, FILE_ROW("3", "1", "png") ROW("9122", "RUNNING", ""),
	    "rhq: deadline reached with 1 task unfinished\n", -1, 0 },
	{ "v1 --summary counts tasks, not rows", ARGS("-o", "-s", ID_MANY_FILES, "2"), NOENV,
	    NULL, 0, FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	    FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE),
	    "rhq: 2 tasks: 1 FAILED, 1 SUCCESS\n", 4, 0 },
	{ "v1 --rate counts outputs requests too", ARGS("-o", "--rate", "100", "3", "7"), NOENV,
	    NULL, 0, FILE_ROW("3", "1", "png") FILE_ROW("7", "1", "png"), "", 4, 0 },
	{ "v1 JSON", ARGS("-o", "--json", ID_ONE_FILE, ID_NO_OUTPUTS, ID_FAILED, "1", "x"),
	    NOENV, NULL, 1,
	    "{\"id\":\"9200\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\",\"outputs\":"
	    "[{\"url\":\"{BASE}/output/9200_1.png\",\"type\":\"png\",\"node\":\"9\"}],"
	    "\"cost_time\":\"12\"}\n"
	    "{\"id\":\"9203\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\",\"outputs\":[]}\n"
	    "{\"id\":\"9204\",\"state\":\"FAILED\",\"code\":805,\"msg\":\"APIKEY_TASK_STATUS_ERROR\","
	    STD_REASON_JSON "}\n"
	    "{\"id\":\"1\",\"state\":\"RUNNING\",\"code\":0,\"msg\":\"success\"}\n"
	    "{\"id\":\"x\",\"state\":\"INVALID\"}\n", "rhq: argument 5: invalid task ID\n", 7, 0 },
	{ "v1 JSON with -a and --wait", ARGS("-o", "--json", "-a", "-f", "2", WAIT), NOENV,
	    "a\t" ID_WAIT_SUCCESS "\n", 0,
	    "{\"id\":\"9208\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	    "\"record\":\"a\\t9208\",\"outputs\":[{\"url\":\"{BASE}/output/9208_1.png\","
	    "\"type\":\"png\",\"node\":\"9\"}],\"cost_time\":\"12\"}\n", "", 4, 0 },
	{ "--api v1 is the default", ARGS("--api", "v1", "3"), ARGS("RUNNINGHUB_API=v2"), NULL, 0,
	    "3\tSUCCESS\n", "", 1, 0 },

	/* v2: one query answers state, files and failure. */
	{ "v2 rows", ARGS(V2, "-o", ID_ONE_FILE, ID_MANY_FILES, ID_TEXT_OUTPUT, ID_NO_OUTPUTS,
	    ID_FAILED, "1", "4"), NOENV, NULL, 0,
	    FILE_ROW(ID_ONE_FILE, "1", "png") FILE_ROW(ID_MANY_FILES, "1", "png")
	    FILE_ROW(ID_MANY_FILES, "2", "png") FILE_ROW(ID_MANY_FILES, "3", "mp4")
	    ROW(ID_TEXT_OUTPUT, "SUCCESS", "a cat\\ton a mat\\nline 2 \\\\ \xc3\xa9")
	    FILE_ROW(ID_TEXT_OUTPUT, "2", "png") ROW(ID_NO_OUTPUTS, "SUCCESS", "")
	    ROW(ID_FAILED, "FAILED", STD_LINE) ROW("1", "RUNNING", "") ROW("4", "QUEUED", ""),
	    "", 7, 0 },
	{ "v2 from the environment", ARGS("-o", ID_ONE_FILE), ARGS("RUNNINGHUB_API=v2"), NULL, 0,
	    FILE_ROW(ID_ONE_FILE, "1", "png"), "", 1, 0 },
	{ "v2 without -o", ARGS(V2, "3", "2", "1", ID_FAILED, ID_V2_FAILED_CODE), NOENV, NULL, 0,
	    "3\tSUCCESS\n2\tFAILED\n1\tRUNNING\n9204\tFAILED\n9217\tFAILED\n", "", 5, 0 },
	{ "v2 tolerant replies", ARGS(V2, "-o", ID_V2_NULLS, ID_V2_BARE, ID_V2_FAILED_CODE),
	    NOENV, NULL, 0, ROW(ID_V2_NULLS, "SUCCESS", "") ROW(ID_V2_BARE, "SUCCESS", "")
	    ROW(ID_V2_FAILED_CODE, "FAILED", "error 1505: content refused"), "", 3, 0 },
	{ "v2 error codes", ARGS(V2, "-o", RETRY, ID_V2_UNKNOWN, ID_V2_NOT_FOUND_NUM,
	    ID_V2_RATE_LIMITED, ID_V2_OTHER_CODE), NOENV, NULL, 1,
	    ROW(ID_V2_UNKNOWN, "NOT_FOUND", "") ROW(ID_V2_NOT_FOUND_NUM, "NOT_FOUND", "")
	    FILE_ROW(ID_V2_RATE_LIMITED, "1", "png") ROW(ID_V2_OTHER_CODE, "ERROR", ""),
	    "rhq: " ID_V2_OTHER_CODE ": API error 1501 (content refused)\n", 5, 0 },
	{ "v2 bad key: errorCode a string", ARGS(V2, "3", ID_V2_BAD_KEY, "7"), NOENV, NULL, 2,
	    "3\tSUCCESS\n", "rhq: API error 806 (APIKEY_USER_NOT_FOUND) for task 9211\n"
	    "rhq: a key works on one site only: a runninghub.cn key fails on runninghub.ai "
	    "and vice versa (see --site)\n", 2, 0 },
	{ "v2 bad key: errorCode a number", ARGS(V2, "-o", ID_V2_BAD_KEY_NUM), NOENV, NULL, 2,
	    "", "rhq: API error 1002 (invalid api key) for task 9212\n", 1, 0 },
	{ "v2 reply over 1 MiB", ARGS(V2, ID_OUTPUTS_HUGE), NOENV, NULL, 1,
	    "9219\tERROR\n", "rhq: 9219: reply larger than 1024 KiB\n", 1, 0 },
	{ "v2 --wait", ARGS(V2, "-o", WAIT, ID_WAIT_SUCCESS, ID_WAIT_FAILED, "3"), NOENV, NULL,
	    0, FILE_ROW(ID_WAIT_SUCCESS, "1", "png") ROW(ID_WAIT_FAILED, "FAILED", STD_LINE)
	    FILE_ROW("3", "1", "png"), "", 7, 1 },
	{ "v2 -j 4", ARGS(V2, "-o", "-j", "4"), NOENV,
	    ID_MANY_FILES "\n2\n1\n" ID_NO_OUTPUTS "\n7\n" ID_TEXT_OUTPUT "\n", 0,
	    FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	    FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE) ROW("1", "RUNNING", "")
	    ROW(ID_NO_OUTPUTS, "SUCCESS", "") FILE_ROW("7", "1", "png")
	    ROW(ID_TEXT_OUTPUT, "SUCCESS", "a cat\\ton a mat\\nline 2 \\\\ \xc3\xa9")
	    FILE_ROW(ID_TEXT_OUTPUT, "2", "png"), "", 6, 0 },
	{ "v2 JSON", ARGS(V2, "-o", "--json", ID_TEXT_OUTPUT, ID_FAILED, ID_V2_NULLS,
	    ID_V2_FAILED_CODE, "1", ID_V2_UNKNOWN), NOENV, NULL, 1,
	    "{\"id\":\"9202\",\"state\":\"SUCCESS\",\"outputs\":[{\"url\":\"\",\"type\":\"txt\","
	    "\"node\":\"15\",\"text\":\"a cat\\ton a mat\\nline 2 \\\\ \xc3\xa9\"},"
	    "{\"url\":\"{BASE}/output/9202_2.png\",\"type\":\"png\",\"node\":\"9\"}],"
	    "\"cost_time\":\"12\"}\n"
	    "{\"id\":\"9204\",\"state\":\"FAILED\",\"cost_time\":\"12\"," STD_REASON_JSON "}\n"
	    "{\"id\":\"9215\",\"state\":\"SUCCESS\",\"outputs\":[]}\n"
	    "{\"id\":\"9217\",\"state\":\"FAILED\",\"code\":1505,\"msg\":\"content refused\","
	    "\"cost_time\":\"12\"}\n"
	    "{\"id\":\"1\",\"state\":\"RUNNING\"}\n"
	    "{\"id\":\"9210\",\"state\":\"NOT_FOUND\",\"code\":1007,\"msg\":\"task not found\"}\n",
	    "", 6, 0 },
};

START_TEST(run_table)
{
	const struct run_case *c = &run_cases[_i];
	char *out = with_base(c->out);
	struct proc p;

	rhq_run(&p, c->in, c->env, c->argv);
	ck_assert_msg(p.status == c->status, "%s: exit status %d, want %d; stderr: %s",
	    c->name, p.status, c->status, p.err_buf);
	if (c->any_order)
		assert_same_lines(p.out_buf, out);
	else
		ck_assert_msg(strcmp(p.out_buf, out) == 0, "%s: stdout:\n%s\nwant:\n%s", c->name,
		    p.out_buf, out);
	ck_assert_msg(strcmp(p.err_buf, c->err) == 0, "%s: stderr:\n%s\nwant:\n%s", c->name,
	    p.err_buf, c->err);
	if (c->requests >= 0)
		ck_assert_msg(standin_requests(srv) == (unsigned)c->requests,
		    "%s: %u requests, want %d", c->name, standin_requests(srv), c->requests);
	if (strstr(c->name, "JSON") != NULL)
		assert_json_lines(p.out_buf);
	proc_free(&p);
	free(out);
}
END_TEST

/* --------------------------------------------------- system: requests */

START_TEST(v1_request_bytes)
{
	static const char body[] = "{\"apiKey\":\"testkey\",\"taskId\":\"9200\"}";
	const struct standin_req *q;
	struct proc p;
	int i;

	rhq_run(&p, NULL, NOENV, ARGS("-o", ID_ONE_FILE, "2"));
	ck_assert_int_eq(p.status, 0);
	ck_assert_uint_eq(standin_requests(srv), 4);
	for (i = 0; i < 4; i++) {
		q = standin_request(srv, i);
		ck_assert_str_eq(q->method, "POST");
		ck_assert_str_eq(q->url, i % 2 ? "/task/openapi/outputs" : "/task/openapi/status");
		ck_assert_str_eq(q->content_type, "application/json");
		ck_assert_str_eq(q->authorization, "Bearer testkey");
	}
	/* The outputs request is the status request, sent elsewhere. */
	ck_assert_str_eq(standin_request(srv, 0)->body, body);
	ck_assert_str_eq(standin_request(srv, 1)->body, body);
	ck_assert_str_eq(standin_request(srv, 3)->body, "{\"apiKey\":\"testkey\",\"taskId\":\"2\"}");
	ck_assert_uint_eq(standin_requests_for(srv, ID_ONE_FILE), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "outputs:" ID_ONE_FILE), 1);
	/* One handle, one connection, for both endpoints. */
	ck_assert_uint_eq(standin_connections(srv), 1);
	proc_free(&p);
}
END_TEST

START_TEST(v2_request_bytes)
{
	const struct standin_req *q;
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--api", "v2", "-o", ID_ONE_FILE, "2"));
	ck_assert_int_eq(p.status, 0);
	ck_assert_uint_eq(standin_requests(srv), 2);
	q = standin_request(srv, 0);
	ck_assert_str_eq(q->method, "POST");
	ck_assert_str_eq(q->url, "/openapi/v2/query");
	ck_assert_str_eq(q->content_type, "application/json");
	ck_assert_str_eq(q->authorization, "Bearer testkey");
	ck_assert_str_eq(q->body, "{\"taskId\":\"9200\"}");
	ck_assert_str_eq(standin_request(srv, 1)->body, "{\"taskId\":\"2\"}");
	/* The key travels in the header only. */
	ck_assert_ptr_null(strstr(standin_request(srv, 1)->body, "testkey"));
	ck_assert_uint_eq(standin_requests_for(srv, "v2:" ID_ONE_FILE), 1);
	ck_assert_uint_eq(standin_connections(srv), 1);
	proc_free(&p);
}
END_TEST

START_TEST(verbose_names_outputs_requests)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("-o", "-v", ID_ONE_FILE));
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(strncmp(p.err_buf, "rhq: 9200: HTTP 200, ", 21) == 0, "%s", p.err_buf);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "\nrhq: 9200: outputs: HTTP 200, "));
	ck_assert_ptr_nonnull(strstr(p.err_buf, ", reused connection\n"));
	proc_free(&p);
}
END_TEST

/* A failure reason with TABs, newlines, escape sequences and bad UTF-8 stays one row. */
START_TEST(hostile_reason_is_one_row)
{
	static const char head[] = ID_HOSTILE_REASON "\tFAILED\tnode 77 Bad Node: Value Error: "
	    "line one line two tabbed [31mred [0m next " REPL REPL " end ";
	static const char *const apis[] = { "v1", "v2" };
	char want[1024], *p;
	const unsigned char *s;
	size_t n, k;
	struct proc pr;
	int a;

	/* As many whole U+9577 (3 bytes) as fit in 512 bytes with the ellipsis. */
	p = want + sprintf(want, "%s", head);
	for (n = DETAIL_MAX - 3 - (sizeof head - 1 - strlen(ID_HOSTILE_REASON "\tFAILED\t"));
	    n >= 3; n -= 3)
		p += sprintf(p, "\xe9\x95\xb7");
	sprintf(p, ELLIPSIS "\n");
	for (a = 0; a < 2; a++) {
		rhq_run(&pr, NULL, NOENV, ARGS("--api", apis[a], "-o", ID_HOSTILE_REASON));
		ck_assert_run(&pr, 0, want, "");
		ck_assert_uint_eq(count_lines(pr.out_buf), 1);
		for (s = (const unsigned char *)pr.out_buf, n = 0; *s; s += k) {
			n += *s == '\t';
			ck_assert(*s >= ' ' || *s == '\t' || (*s == '\n' && s[1] == '\0'));
			ck_assert((k = utf8_len(s, strlen((const char *)s))) > 0);
		}
		ck_assert_uint_eq(n, 2);
		ck_assert_uint_le(strlen(strrchr(pr.out_buf, '\t') + 1), DETAIL_MAX + 1);
		proc_free(&pr);
	}
}
END_TEST

START_TEST(hostile_reason_json)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--api", "v2", "-o", "--json", "--traceback",
	    ID_HOSTILE_REASON));
	ck_assert_run(&p, 0,
	    "{\"id\":\"9205\",\"state\":\"FAILED\",\"cost_time\":\"12\",\"reason\":{"
	    "\"node_id\":\"77\",\"node_name\":\"Bad\\tNode\\r\\n\","
	    "\"exception_type\":\"Value\xe2\x80\xa8" "Error\",\"exception_message\":\"line one\\n"
	    "line two\\ttabbed \\u001b[31mred\\u001b[0m \xc2\x85next " REPL REPL " end " L100 L100
	    "\",\"traceback\":\"\\u001b]0;title\\u0007\"}}\n", "");
	ck_assert_uint_eq(assert_json_lines(p.out_buf), 1);
	proc_free(&p);
}
END_TEST

START_TEST(traceback_with_json)
{
	static const char *const apis[] = { "v1", "v2" };
	char *tb, *want, *w;
	struct proc p;
	unsigned i;
	int a;

	/* The traceback as JSON text: the line with its quotes and newline escaped. */
	want = malloc(STANDIN_TRACEBACK_LINES * 2 * sizeof STANDIN_TRACEBACK_LINE + 256);
	w = want + sprintf(want, "\"traceback\":\"Traceback (most recent call last):\\n");
	for (i = 0; i < STANDIN_TRACEBACK_LINES; i++)
		w += sprintf(w, "  File \\\"/opt/ComfyUI/execution.py\\\", line 151, "
		    "in recursive_execute\\n");
	sprintf(w, "TypeError: SONIC_PreData.sampler_main() missing 2 required positional "
	    "arguments\"}}\n");
	for (a = 0; a < 2; a++) {
		rhq_run(&p, NULL, NOENV, ARGS("--api", apis[a], "-o", "--json", "--traceback",
		    ID_FAILED));
		ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err_buf);
		ck_assert_uint_gt(p.out_len, 100 * 1024);
		ck_assert_ptr_nonnull(tb = strstr(p.out_buf, "\"traceback\":"));
		ck_assert_str_eq(tb, want);
		ck_assert_ptr_nonnull(strstr(p.out_buf, "\"exception_message\":\"SONIC_PreData"));
		ck_assert_uint_eq(assert_json_lines(p.out_buf), 1);
		proc_free(&p);
	}
	/* Without --traceback, none. */
	rhq_run(&p, NULL, NOENV, ARGS("-o", "--json", ID_FAILED));
	ck_assert_ptr_null(strstr(p.out_buf, "traceback"));
	proc_free(&p);
	free(want);
}
END_TEST

START_TEST(null_separated_input)
{
	static const char in[] = ID_ONE_FILE "\0" "x\ny\0" "2";
	char *want = with_base(FILE_ROW(ID_ONE_FILE, "1", "png") "x\\ny\tINVALID\t\n"
	    ROW("2", "FAILED", STD_LINE));
	struct proc p;

	proc_start(&p, NOENV, ARGS("-0", "-o"));
	proc_write(&p, in, sizeof in - 1);
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 1, want, "rhq: item 2: invalid task ID\n");
	proc_free(&p);
	free(want);
}
END_TEST

/* A usage error: exit 2, nothing on stdout, the message, then the usage. */
static void
assert_usage_error(const char *const env[], const char *const argv[], const char *first)
{
	struct proc p;

	rhq_run(&p, "3\n", env, argv);
	ck_assert_msg(p.status == 2, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(strncmp(p.err_buf, first, strlen(first)) == 0, "stderr: %s", p.err_buf);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "\nusage: rhq "));
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}

START_TEST(usage_errors)
{
	assert_usage_error(NOENV, ARGS("-o", "--traceback"), "rhq: --traceback needs --json\n");
	assert_usage_error(NOENV, ARGS("--json", "--traceback"),
	    "rhq: --traceback needs --outputs\n");
	assert_usage_error(NOENV, ARGS("--api", "v3"), "rhq: --api: 'v3' is neither v1 nor v2\n");
	assert_usage_error(NOENV, ARGS("--api", "V2"), "rhq: --api: 'V2' is neither v1 nor v2\n");
	assert_usage_error(NOENV, ARGS("--api"), "rhq: option '--api' requires an argument\n");
	assert_usage_error(ARGS("RUNNINGHUB_API=2"), NOARGS,
	    "rhq: RUNNINGHUB_API: '2' is neither v1 nor v2\n");
}
END_TEST

START_TEST(cookbook_download)
{
	/* The README's recipe, less the download: awk picks the URLs to fetch. */
	char *want = with_base("{BASE}/output/9200_1.png\n{BASE}/output/9201_1.png\n"
	    "{BASE}/output/9201_2.png\n{BASE}/output/9201_3.mp4\n");
	char cmd[512];
	FILE *f;
	size_t n;
	char out[1024];

	snprintf(cmd, sizeof cmd, "printf '%%s\\n' 9200 9201 9203 2 | env -i PATH=\"$PATH\" "
	    "RUNNINGHUB_BASE_URL=%s RUNNINGHUB_API_KEY=k %s%s%s -o | "
	    "awk -F'\\t' '$2 == \"SUCCESS\" && $3 != \"\" {print $3}'", harness_base_url,
	    getenv("RHQ_WRAPPER") ? getenv("RHQ_WRAPPER") : "",
	    getenv("RHQ_WRAPPER") ? " " : "", getenv("RHQ") ? getenv("RHQ") : "./rhq");
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_str_eq(out, want);
	free(want);
}
END_TEST

Suite *
results_suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("parsers");

	tcase_add_loop_test(tc, parse_outputs_table, 0, NELEM(outputs_cases));
	tcase_add_loop_test(tc, parse_v2_table, 0, NELEM(v2_cases));
	tcase_add_test(tc, traceback_only_when_asked);
	tcase_add_test(tc, many_outputs);
	tcase_add_loop_test(tc, classify_results_table, 0, NELEM(results_classify_cases));
	tcase_add_loop_test(tc, reason_line_table, 0, NELEM(reason_cases));
	suite_add_tcase(s, tc);

	tc = server_tcase("rows");
	tcase_add_loop_test(tc, run_table, 0, NELEM(run_cases));
	tcase_add_test(tc, v1_request_bytes);
	tcase_add_test(tc, v2_request_bytes);
	tcase_add_test(tc, verbose_names_outputs_requests);
	tcase_add_test(tc, hostile_reason_is_one_row);
	tcase_add_test(tc, hostile_reason_json);
	tcase_add_test(tc, traceback_with_json);
	tcase_add_test(tc, null_separated_input);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, cookbook_download);
	suite_add_tcase(s, tc);
	return s;
}
