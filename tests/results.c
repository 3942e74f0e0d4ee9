/*
 * System tests of results and reasons (-o, --api v2, --traceback): the real
 * rhq against the stand-in's outputs and v2 endpoints, as table rows run by
 * run_row().  The unit tests of their reply parsers are in check_rhq.c.
 *
 * "%BASE" in a row's stdout is the stand-in's root URL, which its output
 * URLs name; seen counts "outputs:ID" and "v2:ID" are the requests to those
 * endpoints, "ID" alone those to the status endpoint.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

/* U+FFFD REPLACEMENT CHARACTER and U+2026 HORIZONTAL ELLIPSIS in UTF-8. */
#define REPL		"\xef\xbf\xbd"
#define ELLIPSIS	"\xe2\x80\xa6"
#define L10		"\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7" \
			"\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7"
#define L100		L10 L10 L10 L10 L10 L10 L10 L10 L10 L10

/* The longest reason line, in bytes, and the stand-in's standard reason. */
#define DETAIL_MAX	512
#define STD_LINE	"node 276 SONIC_PreData: TypeError: SONIC_PreData.sampler_main() " \
			"missing 2 required positional arguments: 'clip_vision' and 'vae'"
#define STD_REASON_JSON	"\"reason\":{\"node_id\":\"276\",\"node_name\":\"SONIC_PreData\"," \
			"\"exception_type\":\"TypeError\",\"exception_message\":" \
			"\"SONIC_PreData.sampler_main() missing 2 required positional " \
			"arguments: 'clip_vision' and 'vae'\"}"

/* Rows of -o: ID, state and detail; a file's detail is its URL on the stand-in. */
#define LINE(id, st, detail)	id "\t" st "\t" detail
#define FILE_LINE(id, n, type)	LINE(id, "SUCCESS", "%BASE/output/" id "_" n "." type)
#define ROW(id, st, detail)	LINE(id, st, detail) "\n"
#define FILE_ROW(id, n, type)	FILE_LINE(id, n, type) "\n"
/* The same as a pattern of out_any, where '*' stands for the stand-in's root. */
#define FILE_PAT(id, n, type)	LINE(id, "SUCCESS", "*/output/" id "_" n "." type)
#define TEXT_DETAIL		"a cat\\ton a mat\\nline 2 \\\\ \xc3\xa9"

/*
 * ID_HOSTILE_URLS's rows: URLs with an escape sequence, an override, a space,
 * TAB, quote, backslash and a bad byte, percent-encoded; letters kept.  Under
 * v2, its text output: TSV escapes, U+FFFD for the rest.
 */
#define HOSTILE_URL_ROWS \
	ROW(ID_HOSTILE_URLS, "SUCCESS", "%BASE/output/%1B[31mred") \
	ROW(ID_HOSTILE_URLS, "SUCCESS", "%BASE/output/%E2%80%AEevil.png") \
	ROW(ID_HOSTILE_URLS, "SUCCESS", "%BASE/output/a%20b%09%22c%5Cd%FF.png") \
	ROW(ID_HOSTILE_URLS, "SUCCESS", "%BASE/output/\xc3\xa9\xe4\xb8\xad.png")
#define HOSTILE_TEXT_ROW \
	ROW(ID_HOSTILE_URLS, "SUCCESS", "red " REPL "[31m, " REPL "evil" REPL "end\\ttab")
/* The same in JSON: as the API gave them, escaped. */
#define HOSTILE_URLS_JSON \
	"\"outputs\":[{\"url\":\"%BASE/output/\\u001b[31mred\",\"type\":\"\",\"node\":\"\"}," \
	"{\"url\":\"%BASE/output/\\u202eevil.png\",\"type\":\"\",\"node\":\"\"}," \
	"{\"url\":\"%BASE/output/a b\\t\\\"c\\\\d" REPL ".png\",\"type\":\"\",\"node\":\"\"}," \
	"{\"url\":\"%BASE/output/\xc3\xa9\xe4\xb8\xad.png\",\"type\":\"\",\"node\":\"\"}"
/* ID_BIDI_REASON's reason: each override, isolate and its end a space. */
#define BIDI_LINE	"node 9 Save IMG: ValueError: bad file gnp.exe , see log"
#define BIDI_REASON_JSON "\"reason\":{\"node_id\":\"9\",\"node_name\":\"Save\\u202eIMG\"," \
			"\"exception_type\":\"ValueError\",\"exception_message\":\"bad file " \
			"\\u202egnp.exe\\u202c, see \\u2066log\\u2069\"}"

#define RETRY		"--retry-delay", "0.01"
#define WAIT		"--wait", "--interval", "0.05"
#define V2		"--api", "v2"

/* ------------------------------------------------------------------ checks */

/* Is s well-formed UTF-8 with no control byte but TAB? */
static int
clean_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int k, i;

	while (*s) {
		if (*s < 0x80) {
			if ((*s < ' ' && *s != '\t') || *s == 0x7f)
				return 0;
			s++;
			continue;
		}
		k = *s >= 0xc2 && *s <= 0xdf ? 1 : *s >= 0xe0 && *s <= 0xef ? 2 :
		    *s >= 0xf0 && *s <= 0xf4 ? 3 : -1;
		if (k < 0)
			return 0;
		for (i = 1; i <= k; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += k + 1;
	}
	return 1;
}

/* The hostile reason's row: one clean line of three fields, cut at a character. */
static void
hostile_row(const struct proc *p)
{
	static const char head[] = ID_HOSTILE_REASON "\tFAILED\t";
	static const char detail[] = "node 77 Bad Node: Value Error: line one line two tabbed "
	    "[31mred [0m next " REPL REPL " end ";
	char want[1024], *w;
	size_t room;

	/* As many whole U+9577 (3 bytes) as fit in 512 bytes with the ellipsis. */
	w = want + sprintf(want, "%s%s", head, detail);
	for (room = DETAIL_MAX - 3 - (sizeof detail - 1); room >= 3; room -= 3)
		w += sprintf(w, "\xe9\x95\xb7");
	sprintf(w, ELLIPSIS "\n");
	ck_assert_str_eq(p->out_buf, want);
	ck_assert_uint_eq(count_lines(p->out_buf), 1);
	ck_assert_uint_le(strlen(strrchr(p->out_buf, '\t') + 1), DETAIL_MAX + 1);
	*strchr(want, '\n') = '\0';
	ck_assert(clean_utf8(want));
}

/* ID_FAILED's traceback in a JSON row: the stand-in's, whole and escaped. */
static void
whole_traceback(const struct proc *p)
{
	char *want, *w;
	const char *tb;
	unsigned i;

	want = malloc(STANDIN_TRACEBACK_LINES * 2 * sizeof STANDIN_TRACEBACK_LINE + 256);
	ck_assert_ptr_nonnull(want);
	w = want + sprintf(want, "\"traceback\":\"Traceback (most recent call last):\\n");
	for (i = 0; i < STANDIN_TRACEBACK_LINES; i++)
		w += sprintf(w, "  File \\\"/opt/ComfyUI/execution.py\\\", line 151, "
		    "in recursive_execute\\n");
	sprintf(w, "TypeError: SONIC_PreData.sampler_main() missing 2 required positional "
	    "arguments\"}}\n");
	ck_assert_uint_gt(p->out_len, 100 * 1024);
	ck_assert_ptr_nonnull(tb = strstr(p->out_buf, "\"traceback\":"));
	ck_assert_str_eq(tb, want);
	free(want);
}

/* v1 asks the outputs endpoint with the status request's body, on the same connection. */
static void
v1_requests(const struct proc *p)
{
	static const char *const urls[] = { "/task/openapi/status", "/task/openapi/outputs",
	    "/task/openapi/status", "/task/openapi/outputs" };
	static const char *const bodies[] = {
	    "{\"apiKey\":\"testkey\",\"taskId\":\"9200\"}",
	    "{\"apiKey\":\"testkey\",\"taskId\":\"9200\"}",
	    "{\"apiKey\":\"testkey\",\"taskId\":\"2\"}",
	    "{\"apiKey\":\"testkey\",\"taskId\":\"2\"}",
	};
	const struct standin_req *q;
	unsigned i;

	(void)p;
	for (i = 0; i < NELEM(urls); i++) {
		ck_assert_ptr_nonnull(q = standin_request(srv, i));
		ck_assert_str_eq(q->url, urls[i]);
		ck_assert_str_eq(q->body, bodies[i]);
	}
}

/* v2 asks one endpoint, with the key in the Authorization header only. */
static void
v2_requests(const struct proc *p)
{
	const struct standin_req *q;
	unsigned i;

	(void)p;
	for (i = 0; i < 2; i++) {
		ck_assert_ptr_nonnull(q = standin_request(srv, i));
		ck_assert_str_eq(q->url, "/openapi/v2/query");
		ck_assert_str_eq(q->body, i == 0 ? "{\"taskId\":\"9200\"}" : "{\"taskId\":\"2\"}");
		ck_assert_ptr_null(strstr(q->body, "testkey"));
	}
}

/* -------------------------------------------------------------------- v1 */

static const struct row v1[] = {
	{ .name = "rows: files, none, a failure (reply over 64 KiB), unfinished",
	  .argv = ARGS("-o", ID_ONE_FILE, ID_MANY_FILES, ID_NO_OUTPUTS, ID_FAILED, "3", "2",
	      "1", "4"),
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") FILE_ROW(ID_MANY_FILES, "1", "png")
	      FILE_ROW(ID_MANY_FILES, "2", "png") FILE_ROW(ID_MANY_FILES, "3", "mp4")
	      ROW(ID_NO_OUTPUTS, "SUCCESS", "") ROW(ID_FAILED, "FAILED", STD_LINE)
	      FILE_ROW("3", "1", "png") ROW("2", "FAILED", STD_LINE) ROW("1", "RUNNING", "")
	      ROW("4", "QUEUED", ""),
	  .requests = 14, .connections = 1,
	  .seen = { { ID_ONE_FILE, 1 }, { "outputs:" ID_ONE_FILE, 1 },
	      { "outputs:" ID_FAILED, 1 }, { "outputs:1", 0 }, { "outputs:4", 0 } } },
	{ .name = "other rows: an empty detail, no outputs asked",
	  .argv = ARGS("-o", ID_CANCEL, ID_CODE_807, ID_HTTP_404, "abc"), .status = 1,
	  .out = ROW(ID_CANCEL, "CANCEL", "") ROW(ID_CODE_807, "NOT_FOUND", "")
	      ROW(ID_HTTP_404, "ERROR", "") ROW("abc", "INVALID", ""),
	  .err = "rhq: " ID_HTTP_404 ": HTTP 404\nrhq: argument 4: invalid task ID\n",
	  .requests = 3, .seen = { { "outputs:" ID_CANCEL, 0 }, { "outputs:" ID_CODE_807, 0 } } },
	{ .name = "not ready right after SUCCESS (804, code 0 without a list): retried",
	  .argv = ARGS("-o", RETRY, ID_OUTPUTS_LATE, ID_OUTPUTS_CODE0),
	  .out = FILE_ROW(ID_OUTPUTS_LATE, "1", "png") FILE_ROW(ID_OUTPUTS_CODE0, "1", "png"),
	  .requests = 6,
	  .seen = { { "outputs:" ID_OUTPUTS_LATE, 2 }, { "outputs:" ID_OUTPUTS_CODE0, 2 } } },
	{ .name = "outputs never ready, or over 1 MiB: ERROR rows",
	  .argv = ARGS("-o", RETRY, "--retries", "1", ID_OUTPUTS_NEVER, ID_OUTPUTS_HUGE),
	  .status = 1,
	  .out = ROW(ID_OUTPUTS_NEVER, "ERROR", "") ROW(ID_OUTPUTS_HUGE, "ERROR", ""),
	  .err = "rhq: " ID_OUTPUTS_NEVER ": API error 804 (APIKEY_TASK_IS_RUNNING)\n"
	      "rhq: " ID_OUTPUTS_HUGE ": reply larger than 1024 KiB\n",
	  .requests = 5, .seen = { { "outputs:" ID_OUTPUTS_NEVER, 2 } } },
	{ .name = "-a appends state and detail", .argv = ARGS("-o", "-a", "-f", "2"),
	  .in = "job1\t" ID_MANY_FILES "\r\njob2\t2\nlonely\n", .status = 1,
	  .out = "job1\t" FILE_ROW(ID_MANY_FILES, "1", "png")
	      "job1\t" FILE_ROW(ID_MANY_FILES, "2", "png")
	      "job1\t" FILE_ROW(ID_MANY_FILES, "3", "mp4")
	      "job2\t" ROW("2", "FAILED", STD_LINE) "lonely\tINVALID\t\n",
	  .err = "rhq: line 3: no field 2\n", .requests = 4 },
	{ .name = "-0", .argv = ARGS("-0", "-o"), BYTES(ID_ONE_FILE "\0" "x\ny\0" "2"),
	  .status = 1,
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") "x\\ny\tINVALID\t\n"
	      ROW("2", "FAILED", STD_LINE),
	  .err = "rhq: item 2: invalid task ID\n", .requests = 4 },
	{ .name = "-j 4 keeps input order and a task's rows together",
	  .argv = ARGS("-o", "-j", "4"),
	  .in = ID_MANY_FILES "\n2\n1\n" ID_NO_OUTPUTS "\n7\n" ID_ONE_FILE "\n" ID_FAILED "\n11\n",
	  .out = FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	      FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE)
	      ROW("1", "RUNNING", "") ROW(ID_NO_OUTPUTS, "SUCCESS", "") FILE_ROW("7", "1", "png")
	      FILE_ROW(ID_ONE_FILE, "1", "png") ROW(ID_FAILED, "FAILED", STD_LINE)
	      FILE_ROW("11", "1", "png"),
	  .requests = 15, .connections = 1, .connections_max = 4 },
	{ .name = "--wait asks the outputs once a task is finished",
	  .argv = ARGS("-o", WAIT, ID_WAIT_SUCCESS, ID_WAIT_FAILED, "3"),
	  .out_any = ARGS(FILE_PAT(ID_WAIT_SUCCESS, "1", "png"),
	      LINE(ID_WAIT_FAILED, "FAILED", STD_LINE), FILE_PAT("3", "1", "png")),
	  .requests = 10,
	  .seen = { { ID_WAIT_SUCCESS, 3 }, { "outputs:" ID_WAIT_SUCCESS, 1 },
	      { "outputs:" ID_WAIT_FAILED, 1 } } },
	{ .name = "--deadline: an unfinished task's row", .warp = 1,
	  .argv = ARGS("-o", WAIT, "--deadline", "0.4", ID_RUNNING, "3"), .status = 3,
	  .out = FILE_ROW("3", "1", "png") ROW(ID_RUNNING, "RUNNING", ""),
	  .err = "rhq: deadline reached with 1 task unfinished\n",
	  .requests = 3, .requests_max = 20, .seen = { { "outputs:3", 1 } } },
	{ .name = "--summary counts tasks, not rows", .argv = ARGS("-o", "-s", ID_MANY_FILES, "2"),
	  .out = FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	      FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE),
	  .err = "rhq: 2 tasks: 1 FAILED, 1 SUCCESS\n", .requests = 4 },
	{ .name = "--rate counts the outputs requests too", .warp = 1,
	  .argv = ARGS("-o", "--rate", "10", "3", "7"),
	  .out = FILE_ROW("3", "1", "png") FILE_ROW("7", "1", "png"), .requests = 4,
	  .took_min = 0.25 },
	{ .name = "JSON", .argv = ARGS("-o", "--json", ID_ONE_FILE, ID_NO_OUTPUTS, ID_FAILED, "1",
	      "x"), .status = 1,
	  .out = "{\"id\":\"9200\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	      "\"outputs\":[{\"url\":\"%BASE/output/9200_1.png\",\"type\":\"png\",\"node\":\"9\"}],"
	      "\"cost_time\":\"12\"}\n"
	      "{\"id\":\"9203\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	      "\"outputs\":[]}\n"
	      "{\"id\":\"9204\",\"state\":\"FAILED\",\"code\":805,"
	      "\"msg\":\"APIKEY_TASK_STATUS_ERROR\"," STD_REASON_JSON "}\n"
	      "{\"id\":\"1\",\"state\":\"RUNNING\",\"code\":0,\"msg\":\"success\"}\n"
	      "{\"id\":\"x\",\"state\":\"INVALID\",\"error\":\"argument 5: invalid task ID\"}\n",
	  .err = "rhq: argument 5: invalid task ID\n", .requests = 7 },
	{ .name = "JSON with -a and --wait", .argv = ARGS("-o", "--json", "-a", "-f", "2", WAIT),
	  .in = "a\t" ID_WAIT_SUCCESS "\n",
	  .out = "{\"id\":\"9208\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	      "\"record\":\"a\\t9208\",\"outputs\":[{\"url\":\"%BASE/output/9208_1.png\","
	      "\"type\":\"png\",\"node\":\"9\"}],\"cost_time\":\"12\"}\n",
	  .requests = 4 },
	{ .name = "the hostile reason stays one clean row", .argv = ARGS("-o", ID_HOSTILE_REASON),
	  .out_start = ID_HOSTILE_REASON "\tFAILED\tnode 77 Bad Node: ", .check = hostile_row,
	  .requests = 2 },
	{ .name = "URLs: controls, spaces and bidi controls percent-encoded",
	  .argv = ARGS("-o", ID_HOSTILE_URLS), .out = HOSTILE_URL_ROWS, .requests = 2 },
	{ .name = "a reason with bidi controls: one clean line",
	  .argv = ARGS("-o", ID_BIDI_REASON), .out = ROW(ID_BIDI_REASON, "FAILED", BIDI_LINE),
	  .requests = 2 },
	{ .name = "JSON: URLs and reasons as the API gave them, escaped",
	  .argv = ARGS("-o", "--json", ID_HOSTILE_URLS, ID_BIDI_REASON),
	  .out = "{\"id\":\"9230\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
	      HOSTILE_URLS_JSON "]}\n"
	      "{\"id\":\"9231\",\"state\":\"FAILED\",\"code\":805,"
	      "\"msg\":\"APIKEY_TASK_STATUS_ERROR\"," BIDI_REASON_JSON "}\n",
	  .requests = 4 },
	{ .name = "--traceback: the whole traceback",
	  .argv = ARGS("-o", "--json", "--traceback", ID_FAILED),
	  .out_start = "{\"id\":\"9204\",\"state\":\"FAILED\",\"code\":805,"
	      "\"msg\":\"APIKEY_TASK_STATUS_ERROR\",\"reason\":{\"node_id\":\"276\",",
	  .check = whole_traceback, .requests = 2 },
	{ .name = "request bytes: the outputs request is the status request, sent elsewhere",
	  .argv = ARGS("-o", ID_ONE_FILE, "2"),
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") ROW("2", "FAILED", STD_LINE),
	  .body = "{\"apiKey\":\"testkey\",\"taskId\":\"9200\"}", .check = v1_requests,
	  .requests = 4, .connections = 1 },
	{ .name = "-v names the outputs requests", .argv = ARGS("-o", "-v", ID_ONE_FILE),
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png"),
	  .err_lines = ARGS("rhq: 9200: HTTP 200, * s, new connection",
	      "rhq: 9200: outputs: HTTP 200, * s, reused connection"),
	  .requests = 2 },
	{ .name = "--api v1 is the default, and beats the environment",
	  .argv = ARGS("--api", "v1", "3"), .env = ARGS("RUNNINGHUB_API=v2"),
	  .out = "3\tSUCCESS\n", .requests = 1, .seen = { { "3", 1 } },
	  .body = "{\"apiKey\":\"testkey\",\"taskId\":\"3\"}" },
	USAGE("rhq: --traceback needs --json", "-o", "--traceback"),
	USAGE("rhq: --traceback needs --outputs", "--json", "--traceback"),
	USAGE("rhq: --api: 'v3' is neither v1 nor v2", "--api", "v3"),
	USAGE("rhq: --api: 'V2' is neither v1 nor v2", "--api", "V2"),
	USAGE("rhq: --api: '' is neither v1 nor v2", "--api", ""),
	USAGE("rhq: option '--api' requires an argument", "--api"),
	{ .name = "RUNNINGHUB_API=2", .env = ARGS("RUNNINGHUB_API=2"), .in = "3\n", .status = 2,
	  .usage = "rhq: RUNNINGHUB_API: '2' is neither v1 nor v2" },
};

/* -------------------------------------------------------------------- v2 */

static const struct row v2[] = {
	{ .name = "rows: files, a text output, none, a failure, unfinished",
	  .argv = ARGS(V2, "-o", ID_ONE_FILE, ID_MANY_FILES, ID_TEXT_OUTPUT, ID_NO_OUTPUTS,
	      ID_FAILED, "1", "4"),
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") FILE_ROW(ID_MANY_FILES, "1", "png")
	      FILE_ROW(ID_MANY_FILES, "2", "png") FILE_ROW(ID_MANY_FILES, "3", "mp4")
	      ROW(ID_TEXT_OUTPUT, "SUCCESS", TEXT_DETAIL) FILE_ROW(ID_TEXT_OUTPUT, "2", "png")
	      ROW(ID_NO_OUTPUTS, "SUCCESS", "") ROW(ID_FAILED, "FAILED", STD_LINE)
	      ROW("1", "RUNNING", "") ROW("4", "QUEUED", ""),
	  .requests = 7, .connections = 1,
	  .seen = { { "v2:" ID_ONE_FILE, 1 }, { ID_ONE_FILE, 0 }, { "outputs:" ID_ONE_FILE, 0 },
	      { "v2:" ID_FAILED, 1 } } },
	{ .name = "from the environment", .argv = ARGS("-o", ID_ONE_FILE),
	  .env = ARGS("RUNNINGHUB_API=v2"), .out = FILE_ROW(ID_ONE_FILE, "1", "png"),
	  .requests = 1, .seen = { { "v2:" ID_ONE_FILE, 1 } } },
	{ .name = "without -o", .argv = ARGS(V2, "3", "2", "1", ID_FAILED, ID_V2_FAILED_CODE),
	  .out = "3\tSUCCESS\n2\tFAILED\n1\tRUNNING\n" ID_FAILED "\tFAILED\n"
	      ID_V2_FAILED_CODE "\tFAILED\n",
	  .requests = 5 },
	{ .name = "tolerant replies: nulls, bare members, a code beside FAILED",
	  .argv = ARGS(V2, "-o", ID_V2_NULLS, ID_V2_BARE, ID_V2_FAILED_CODE),
	  .out = ROW(ID_V2_NULLS, "SUCCESS", "") ROW(ID_V2_BARE, "SUCCESS", "")
	      ROW(ID_V2_FAILED_CODE, "FAILED", "error 1505: content refused"),
	  .requests = 3 },
	{ .name = "error codes, strings and numbers",
	  .argv = ARGS(V2, "-o", RETRY, ID_V2_UNKNOWN, ID_V2_NOT_FOUND_NUM, ID_V2_RATE_LIMITED,
	      ID_V2_OTHER_CODE), .status = 1,
	  .out = ROW(ID_V2_UNKNOWN, "NOT_FOUND", "") ROW(ID_V2_NOT_FOUND_NUM, "NOT_FOUND", "")
	      FILE_ROW(ID_V2_RATE_LIMITED, "1", "png") ROW(ID_V2_OTHER_CODE, "ERROR", ""),
	  .err = "rhq: " ID_V2_OTHER_CODE ": API error 1501 (content refused)\n",
	  .requests = 5, .seen = { { "v2:" ID_V2_RATE_LIMITED, 2 } } },
	{ .name = "a bad key, errorCode a string: the site hint",
	  .argv = ARGS(V2, "3", ID_V2_BAD_KEY, "7"), .status = 2, .out = "3\tSUCCESS\n",
	  .err = "rhq: API error 806 (APIKEY_USER_NOT_FOUND) for task " ID_V2_BAD_KEY "\n"
	      "rhq: a key works on one site only: a runninghub.cn key fails on runninghub.ai "
	      "and vice versa (see --site)\n",
	  .requests = 2, .seen = { { "v2:7", 0 } } },
	{ .name = "a bad key, errorCode a number", .argv = ARGS(V2, "-o", ID_V2_BAD_KEY_NUM),
	  .status = 2, .err = "rhq: API error 1002 (invalid api key) for task 9212\n",
	  .requests = 1 },
	{ .name = "a reply over 1 MiB", .argv = ARGS(V2, ID_OUTPUTS_HUGE), .status = 1,
	  .out = ID_OUTPUTS_HUGE "\tERROR\n",
	  .err = "rhq: " ID_OUTPUTS_HUGE ": reply larger than 1024 KiB\n", .requests = 1 },
	{ .name = "--wait", .argv = ARGS(V2, "-o", WAIT, ID_WAIT_SUCCESS, ID_WAIT_FAILED, "3"),
	  .out_any = ARGS(FILE_PAT(ID_WAIT_SUCCESS, "1", "png"),
	      LINE(ID_WAIT_FAILED, "FAILED", STD_LINE), FILE_PAT("3", "1", "png")),
	  .requests = 7, .seen = { { "v2:" ID_WAIT_SUCCESS, 3 }, { "v2:" ID_WAIT_FAILED, 3 } } },
	{ .name = "-j 4", .argv = ARGS(V2, "-o", "-j", "4"),
	  .in = ID_MANY_FILES "\n2\n1\n" ID_NO_OUTPUTS "\n7\n" ID_TEXT_OUTPUT "\n",
	  .out = FILE_ROW(ID_MANY_FILES, "1", "png") FILE_ROW(ID_MANY_FILES, "2", "png")
	      FILE_ROW(ID_MANY_FILES, "3", "mp4") ROW("2", "FAILED", STD_LINE)
	      ROW("1", "RUNNING", "") ROW(ID_NO_OUTPUTS, "SUCCESS", "") FILE_ROW("7", "1", "png")
	      ROW(ID_TEXT_OUTPUT, "SUCCESS", TEXT_DETAIL) FILE_ROW(ID_TEXT_OUTPUT, "2", "png"),
	  .requests = 6, .connections = 1, .connections_max = 4 },
	{ .name = "JSON",
	  .argv = ARGS(V2, "-o", "--json", ID_TEXT_OUTPUT, ID_FAILED, ID_V2_NULLS,
	      ID_V2_FAILED_CODE, "1", ID_V2_UNKNOWN), .status = 1,
	  .out = "{\"id\":\"9202\",\"state\":\"SUCCESS\","
	      "\"outputs\":[{\"url\":\"\",\"type\":\"txt\",\"node\":\"15\","
	      "\"text\":\"a cat\\ton a mat\\nline 2 \\\\ \xc3\xa9\"},"
	      "{\"url\":\"%BASE/output/9202_2.png\",\"type\":\"png\",\"node\":\"9\"}],"
	      "\"cost_time\":\"12\"}\n"
	      "{\"id\":\"9204\",\"state\":\"FAILED\",\"cost_time\":\"12\"," STD_REASON_JSON "}\n"
	      "{\"id\":\"9215\",\"state\":\"SUCCESS\",\"outputs\":[]}\n"
	      "{\"id\":\"9217\",\"state\":\"FAILED\",\"code\":1505,\"msg\":\"content refused\","
	      "\"cost_time\":\"12\"}\n"
	      "{\"id\":\"1\",\"state\":\"RUNNING\"}\n"
	      "{\"id\":\"9210\",\"state\":\"NOT_FOUND\",\"code\":1007,\"msg\":\"task not found\","
	      "\"error\":\"API error 1007 (task not found)\"}\n",
	  .requests = 6 },
	{ .name = "the hostile reason stays one clean row",
	  .argv = ARGS(V2, "-o", ID_HOSTILE_REASON),
	  .out_start = ID_HOSTILE_REASON "\tFAILED\tnode 77 Bad Node: ", .check = hostile_row,
	  .requests = 1 },
	{ .name = "the hostile reason in JSON, traceback and all",
	  .argv = ARGS(V2, "-o", "--json", "--traceback", ID_HOSTILE_REASON),
	  .out = "{\"id\":\"9205\",\"state\":\"FAILED\",\"cost_time\":\"12\",\"reason\":{"
	      "\"node_id\":\"77\",\"node_name\":\"Bad\\tNode\\r\\n\","
	      "\"exception_type\":\"Value\\u2028Error\",\"exception_message\":\"line one\\n"
	      "line two\\ttabbed \\u001b[31mred\\u001b[0m \\u0085next " REPL REPL " end " L100 L100
	      "\",\"traceback\":\"\\u001b]0;title\\u0007\"}}\n",
	  .requests = 1 },
	{ .name = "URLs and a text output with controls and bidi controls",
	  .argv = ARGS(V2, "-o", ID_HOSTILE_URLS), .out = HOSTILE_URL_ROWS HOSTILE_TEXT_ROW,
	  .requests = 1 },
	{ .name = "a reason with bidi controls: one clean line",
	  .argv = ARGS(V2, "-o", ID_BIDI_REASON),
	  .out = ROW(ID_BIDI_REASON, "FAILED", BIDI_LINE), .requests = 1 },
	{ .name = "JSON: URLs, text and reasons as the API gave them, escaped",
	  .argv = ARGS(V2, "-o", "--json", ID_HOSTILE_URLS, ID_BIDI_REASON),
	  .out = "{\"id\":\"9230\",\"state\":\"SUCCESS\"," HOSTILE_URLS_JSON ","
	      "{\"url\":\"\",\"type\":\"txt\",\"node\":\"\","
	      "\"text\":\"red \\u001b[31m, \\u202eevil\\u2028end\\ttab\"}],\"cost_time\":\"12\"}\n"
	      "{\"id\":\"9231\",\"state\":\"FAILED\",\"cost_time\":\"12\"," BIDI_REASON_JSON "}\n",
	  .requests = 2 },
	{ .name = "causes on stderr and -v lines: one clean line",
	  .argv = ARGS(V2, "-o", "-v", RETRY, ID_V2_HOSTILE_ERROR), .status = 1,
	  .out = ROW(ID_V2_HOSTILE_ERROR, "ERROR", ""),
	  .err_lines = ARGS("rhq: 9232: HTTP 200, * s, new connection",
	      "rhq: 9232: API error 1005 (too fast now), retrying in * s",
	      "rhq: 9232: HTTP 200, * s, reused connection",
	      "rhq: 9232: API error 1501 (refused yes" REPL ")"),
	  .requests = 2 },
	{ .name = "a reply for another task: an ERROR row, its taskId cleaned in the cause",
	  .argv = ARGS(V2, "-o", ID_ONE_FILE, ID_V2_OTHER_TASK, ID_V2_HOSTILE_TASK, ID_V2_UNKNOWN),
	  .status = 1,
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") ROW(ID_V2_OTHER_TASK, "ERROR", "")
	      ROW(ID_V2_HOSTILE_TASK, "ERROR", "") ROW(ID_V2_UNKNOWN, "NOT_FOUND", ""),
	  .err = "rhq: 9233: reply is for task 1904152026220003329\n"
	      "rhq: 9234: reply is for task 9234 [2J\n",
	  .requests = 4 },
	{ .name = "a reply for another task in JSON",
	  .argv = ARGS(V2, "-o", "--json", ID_V2_OTHER_TASK), .status = 1,
	  .out = "{\"id\":\"9233\",\"state\":\"ERROR\","
	      "\"error\":\"reply is for task 1904152026220003329\"}\n",
	  .err = "rhq: 9233: reply is for task 1904152026220003329\n", .requests = 1 },
	{ .name = "--traceback: the whole traceback",
	  .argv = ARGS(V2, "-o", "--json", "--traceback", ID_FAILED),
	  .out_start = "{\"id\":\"9204\",\"state\":\"FAILED\",\"cost_time\":\"12\",\"reason\":{",
	  .check = whole_traceback, .requests = 1 },
	{ .name = "request bytes: no key in the body",
	  .argv = ARGS(V2, "-o", ID_ONE_FILE, "2"),
	  .out = FILE_ROW(ID_ONE_FILE, "1", "png") ROW("2", "FAILED", STD_LINE),
	  .body = "{\"taskId\":\"9200\"}", .check = v2_requests, .requests = 2,
	  .connections = 1 },
};

ROW_TEST(v1)
ROW_TEST(v2)

/* The README's download recipe, up to the download: awk picks the URLs to fetch. */
START_TEST(cookbook_download)
{
	char want[2048];
	struct proc p;

	proc_spawn(&p, &(struct spawn){ .shell = "printf '%s\\n' 9200 9201 9203 2 | $RHQ -o | "
	    "awk -F'\\t' '$2 == \"SUCCESS\" && $3 != \"\" {print $3}'" });
	proc_finish(&p, harness_timeout());
	snprintf(want, sizeof want, "%s/output/9200_1.png\n%s/output/9201_1.png\n"
	    "%s/output/9201_2.png\n%s/output/9201_3.mp4\n", harness_base_url, harness_base_url,
	    harness_base_url, harness_base_url);
	ck_assert_run(&p, 0, want, "");
	proc_free(&p);
}
END_TEST

/* URLs go through xargs to a command one word each, whatever the API put in them. */
START_TEST(urls_through_xargs)
{
	char want[2048];
	struct proc p;

	proc_spawn(&p, &(struct spawn){ .shell = "$RHQ -o " ID_HOSTILE_URLS " | cut -f 3 | "
	    "xargs -n 1 printf '<%s>\\n'" });
	proc_finish(&p, harness_timeout());
	snprintf(want, sizeof want, "<%s/output/%%1B[31mred>\n<%s/output/%%E2%%80%%AEevil.png>\n"
	    "<%s/output/a%%20b%%09%%22c%%5Cd%%FF.png>\n<%s/output/\xc3\xa9\xe4\xb8\xad.png>\n",
	    harness_base_url, harness_base_url, harness_base_url, harness_base_url);
	ck_assert_run(&p, 0, want, "");
	proc_free(&p);
}
END_TEST

Suite *
results_suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc;

	tc = server_tcase("v1");
	ADD_ROWS(tc, v1);
	add_test(tc, cookbook_download);
	add_test(tc, urls_through_xargs);
	suite_add_tcase(s, tc);

	tc = server_tcase("v2");
	ADD_ROWS(tc, v2);
	suite_add_tcase(s, tc);
	return s;
}
