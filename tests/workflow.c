/*
 * System tests of the workflow options: --wait, --deadline, -f/-d, -a, -0,
 * --json, --summary, --progress, and -j/--rate.
 *
 * Rows that are about time run on the warped clock (.warp), which skips
 * rhq's idle waits and counts them: their bounds are in rhq's own time.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define REPL	"\xef\xbf\xbd"

#define WAIT	"--wait", "--interval", "0.05"

/* ------------------------------------------------------------------ --wait */

/* Everything but ID_THEN_SUCCESS finishes on its first answer (or without one). */
static void
then_success_last(const struct proc *p)
{
	char last[64];

	ck_assert_str_eq(nth_line(p->out_buf, 3, last, sizeof last), ID_THEN_SUCCESS "\tSUCCESS");
}

/* The three tasks finished at their first poll come out first. */
static void
polled_tasks_last(const struct proc *p)
{
	char line[64];
	size_t i;

	for (i = 3; i < 5; i++) {
		nth_line(p->out_buf, i, line, sizeof line);
		ck_assert_msg(strcmp(line, ID_THEN_SUCCESS "\tSUCCESS") == 0 ||
		    strcmp(line, ID_THEN_FAILED "\tFAILED") == 0, "row %zu: %s", i + 1, line);
	}
}

static const struct row waiting[] = {
	/* Two pauses of 0.2 s between the three polls. */
	{ .name = "--wait until finished, at --interval", .warp = 1, .in = ID_THEN_SUCCESS "\n",
	  .argv = ARGS("--wait", "--interval", "0.2"), .out = ID_THEN_SUCCESS "\tSUCCESS\n",
	  .requests = 3, .took_min = 0.38 },
	{ .name = "--wait until failed", .argv = ARGS("-w", "--interval", "0.05", ID_THEN_FAILED),
	  .out = ID_THEN_FAILED "\tFAILED\n", .requests = 3 },
	{ .name = "--wait: rows in completion order", .in = ID_THEN_SUCCESS "\n3\n",
	  .argv = ARGS(WAIT), .out = "3\tSUCCESS\n" ID_THEN_SUCCESS "\tSUCCESS\n",
	  .requests = 4, .seen = { { ID_THEN_SUCCESS, 3 }, { "3", 1 } } },
	/* It is still waiting when the SUCCESS and FAILED rows go out. */
	{ .name = "--wait: rows in completion order, failed", .in = ID_THEN_FAILED "\n7\n6\n",
	  .argv = ARGS(WAIT), .out = "7\tSUCCESS\n6\tFAILED\n" ID_THEN_FAILED "\tFAILED\n",
	  .requests = 5 },
	{ .name = "--wait: bad rows finish at once",
	  .in = ID_THEN_SUCCESS "\n" ID_CODE_807 "\nabc\n" ID_CODE_301 "\n", .argv = ARGS(WAIT),
	  .status = 1,
	  .out_any = ARGS(ID_THEN_SUCCESS "\tSUCCESS", ID_CODE_807 "\tNOT_FOUND", "abc\tINVALID",
	      ID_CODE_301 "\tERROR"),
	  .check = then_success_last,
	  .err_any = ARGS("rhq: line 3: invalid task ID",
	      "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)"),
	  .requests = 5,
	  .seen = { { ID_CODE_807, 1 }, { ID_CODE_301, 1 }, { ID_THEN_SUCCESS, 3 } } },
	/* CANCEL is neither QUEUED, RUNNING nor CREATE: finished. */
	{ .name = "--wait: other final states", .in = ID_CANCEL "\n", .argv = ARGS(WAIT),
	  .out = ID_CANCEL "\tCANCEL\n", .requests = 1 },
	{ .name = "--wait with -j",
	  .in = ID_THEN_SUCCESS "\n" ID_THEN_FAILED "\n3\n6\n7\n", .argv = ARGS(WAIT, "-j", "4"),
	  .out_any = ARGS(ID_THEN_SUCCESS "\tSUCCESS", ID_THEN_FAILED "\tFAILED", "3\tSUCCESS",
	      "6\tFAILED", "7\tSUCCESS"),
	  .check = polled_tasks_last,
	  .requests = 9, .seen = { { ID_THEN_SUCCESS, 3 }, { ID_THEN_FAILED, 3 } },
	  .connections = 1, .connections_max = 4 },
};

/* The finished row comes out while the run goes on. */
START_TEST(wait_rows_stream_out)
{
	struct proc p;

	/* With stdin open, rhq cannot have ended when the row comes. */
	proc_start_warped(&p, NOENV, ARGS(WAIT, "--deadline", "1.2"));
	proc_write(&p, "3\n" ID_RUNNING "\n", 7);
	ck_assert_msg(proc_wait_lines(&p, 1, slack(0.8)), "no row within 0.8 s: '%s'",
	    p.out_buf);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 3, "3\tSUCCESS\n" ID_RUNNING "\tRUNNING\n",
	    "rhq: deadline reached with 1 task unfinished\n");
	proc_free(&p);
}
END_TEST

/* --------------------------------------------------------------- --deadline */

#define UNFINISHED_1	"rhq: deadline reached with 1 task unfinished\n"

static const struct row deadline[] = {
	/* Polled every 0.05 s, not more often. */
	{ .name = "--deadline reached", .warp = 1, .in = ID_RUNNING "\n",
	  .argv = ARGS(WAIT, "--deadline", "0.5"), .status = 3, .out = ID_RUNNING "\tRUNNING\n",
	  .err = UNFINISHED_1, .requests = 2, .requests_max = 11, .took_min = 0.45,
	  .took_max = 1.5 },
	/* Finished rows in completion order, then the unfinished in input order. */
	{ .name = "--deadline: finished rows, then the others", .warp = 1,
	  .in = ID_RUNNING "\n3\n4\n" ID_THEN_FAILED "\n", .argv = ARGS(WAIT, "--deadline", "0.5"),
	  .status = 3,
	  .out = "3\tSUCCESS\n" ID_THEN_FAILED "\tFAILED\n" ID_RUNNING "\tRUNNING\n4\tQUEUED\n",
	  .err = "rhq: deadline reached with 2 tasks unfinished\n",
	  .requests = 6, .requests_max = 26, .seen = { { "3", 1 }, { ID_THEN_FAILED, 3 } } },
	{ .name = "--deadline wins over bad rows", .warp = 1,
	  .in = ID_CODE_807 "\n" ID_RUNNING "\n",
	  .argv = ARGS(WAIT, "--deadline", "0.3"), .status = 3,
	  .out = ID_CODE_807 "\tNOT_FOUND\n" ID_RUNNING "\tRUNNING\n", .err = UNFINISHED_1,
	  .requests = 2, .requests_max = 8, .seen = { { ID_CODE_807, 1 } } },
	/* ID_SLOW answers after 3 s: the deadline does not wait for it. */
	{ .name = "--deadline: never answered is UNKNOWN", .warp = 1, .in = ID_SLOW "\n",
	  .argv = ARGS(WAIT, "--deadline", "0.5"), .status = 3, .out = ID_SLOW "\tUNKNOWN\n",
	  .err = UNFINISHED_1, .requests = 1, .took_max = 1.5 },
};

/* ------------------------------------------------------------------ -f, -d */

static const struct row records[] = {
	{ .name = "-f 2", .in = "first\t3\tx\nsecond\t2\ty\n# comment\n\nthird\t 7 \tz\r\n",
	  .argv = ARGS("-f", "2"), .out = "3\tSUCCESS\n2\tFAILED\n7\tSUCCESS\n", .requests = 3 },
	{ .name = "--field 3", .in = "a\tb\t5\n", .argv = ARGS("--field", "3"),
	  .out = "5\tRUNNING\n", .requests = 1 },
	{ .name = "-f 3 -d ,", .in = "x,y,3\nx,y, 6\r\na b,c,1,extra\n",
	  .argv = ARGS("-f", "3", "-d", ","), .out = "3\tSUCCESS\n6\tFAILED\n1\tRUNNING\n",
	  .requests = 3 },
	{ .name = "--delimiter ;", .in = "4;z\n", .argv = ARGS("--field", "1", "--delimiter", ";"),
	  .out = "4\tQUEUED\n", .requests = 1 },
	/* The first column is the field taken as the ID, or the whole record, escaped. */
	{ .name = "-f: a missing field, an invalid ID", .in = "a\t3\nonly\nb\\c\njob\tabc\n",
	  .argv = ARGS("-f", "2"), .status = 1,
	  .out = "3\tSUCCESS\nonly\tINVALID\nb\\\\c\tINVALID\nabc\tINVALID\n",
	  .err = "rhq: line 2: no field 2\nrhq: line 3: no field 2\n"
		 "rhq: line 4: invalid task ID\n",
	  .requests = 1 },
	{ .name = "-f 3: no field 3", .in = "a\tb\n", .argv = ARGS("-f", "3"), .status = 1,
	  .out = "a\\tb\tINVALID\n", .err = "rhq: line 1: no field 3\n" },
	{ .name = "-f 3 -d ,: no field 3", .in = "x,y\n", .argv = ARGS("-f", "3", "-d", ","),
	  .status = 1, .out = "x,y\tINVALID\n", .err = "rhq: line 1: no field 3\n" },
	{ .name = "-a -f 2", .in = "job1\t3\tnote\r\njob2\t6\na\\b\t5\n",
	  .argv = ARGS("-f", "2", "-a"),
	  .out = "job1\t3\tnote\tSUCCESS\njob2\t6\tFAILED\na\\b\t5\tRUNNING\n", .requests = 3 },
	{ .name = "-a -f 2 -d ,", .in = "r1,4,x\n", .argv = ARGS("-a", "-f", "2", "-d", ","),
	  .out = "r1,4,x\tQUEUED\n", .requests = 1 },
	{ .name = "--append: invalid rows", .in = "ok\t3\nbad\tx\r\nlonely\n",
	  .argv = ARGS("-f", "2", "--append"), .status = 1,
	  .out = "ok\t3\tSUCCESS\nbad\tx\tINVALID\nlonely\tINVALID\n",
	  .err = "rhq: line 2: invalid task ID\nrhq: line 3: no field 2\n", .requests = 1 },
	{ .name = "-a without -f", .in = "  3 \r\n# skipped\n12a\n", .argv = ARGS("-a"),
	  .status = 1, .out = "  3 \tSUCCESS\n12a\tINVALID\n",
	  .err = "rhq: line 3: invalid task ID\n", .requests = 1 },
	{ .name = "-0", BYTES("1\0002\0003"), .argv = ARGS("-0"),
	  .out = "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n", .requests = 3 },
	/* An empty item is skipped; a trailing newline is whitespace. */
	{ .name = "--null: terminated, and empty", BYTES("5\000\0004\n\000"),
	  .argv = ARGS("--null"),
	  .out = "5\tRUNNING\n4\tQUEUED\n", .requests = 2 },
	{ .name = "-0: an item with a newline", BYTES("3\0001\n2\0007\0"), .argv = ARGS("-0"),
	  .status = 1, .out = "3\tSUCCESS\n1\\n2\tINVALID\n7\tSUCCESS\n",
	  .err = "rhq: item 2: invalid task ID\n", .requests = 2 },
	{ .name = "-0 -a", BYTES(" 3 \000line\nbreak\0"), .argv = ARGS("-0", "-a"), .status = 1,
	  .out = " 3 \tSUCCESS\nline\\nbreak\tINVALID\n", .err = "rhq: item 2: invalid task ID\n",
	  .requests = 1 },
	{ .name = "-0 -f 2 -a", BYTES("name one\t3\000name\ntwo\t6\0"),
	  .argv = ARGS("-0", "-f", "2", "-a"),
	  .out = "name one\t3\tSUCCESS\nname\\ntwo\t6\tFAILED\n", .requests = 2 },
	/* With -0 a newline is a usable delimiter. */
	{ .name = "-0 -d '\\n'", BYTES("a\n3\000b\n6"),
	  .argv = ARGS("-0", "-f", "2", "-d", "\n", "-a"),
	  .out = "a\\n3\tSUCCESS\nb\\n6\tFAILED\n", .requests = 2 },
};

/* ------------------------------------------------------------------ --json */

static const struct row json[] = {
	{ .name = "--json: states", .in = "3\n2\n4\n5\n", .argv = ARGS("--json"),
	  .out = "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\"}\n"
		 "{\"id\":\"2\",\"state\":\"FAILED\",\"code\":0,\"msg\":\"success\"}\n"
		 "{\"id\":\"4\",\"state\":\"QUEUED\",\"code\":0,\"msg\":\"success\"}\n"
		 "{\"id\":\"5\",\"state\":\"RUNNING\",\"code\":0,\"msg\":\"success\"}\n",
	  .requests = 4 },
	{ .name = "--json: codes, messages, escapes",
	  .in = ID_CODE_807 "\n" ID_CODE_804 "\n" ID_CODE_301 "\n" ID_HTTP_404 "\n" ID_CODE_888 "\n"
		ID_TRICKY "\na\"b\\c\n3\n" ID_DATA_TAB "\n" ID_DATA_NEWLINE "\n",
	  .argv = ARGS("--json"), .status = 1,
	  .out = "{\"id\":\"" ID_CODE_807 "\",\"state\":\"NOT_FOUND\",\"code\":807,"
		 "\"msg\":\"APIKEY_TASK_NOT_FOUND\","
		 "\"error\":\"API error 807 (APIKEY_TASK_NOT_FOUND)\"}\n"
		 "{\"id\":\"" ID_CODE_804 "\",\"state\":\"RUNNING\",\"code\":804,"
		 "\"msg\":\"APIKEY_TASK_IS_RUNNING\"}\n"
		 "{\"id\":\"" ID_CODE_301 "\",\"state\":\"ERROR\",\"code\":301,"
		 "\"msg\":\"PARAMS_INVALID\",\"error\":\"API error 301 (PARAMS_INVALID)\"}\n"
		 "{\"id\":\"" ID_HTTP_404 "\",\"state\":\"ERROR\",\"error\":\"HTTP 404\"}\n"
		 "{\"id\":\"" ID_CODE_888 "\",\"state\":\"ERROR\",\"code\":888,"
		 "\"msg\":\"\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5\","
		 "\"error\":\"API error 888 (\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5)\"}\n"
		 "{\"id\":\"" ID_TRICKY "\",\"state\":\"SUCCESS\",\"code\":0,"
		 "\"msg\":\"\xe6\x88\x90\xe5\x8a\x9f\"}\n"
		 "{\"id\":\"a\\\"b\\\\c\",\"state\":\"INVALID\","
		 "\"error\":\"line 7: invalid task ID\"}\n"
		 "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\"}\n"
		 "{\"id\":\"" ID_DATA_TAB "\",\"state\":\"ERROR\",\"code\":0,\"msg\":\"success\","
		 "\"error\":\"reply has an unexpected state\"}\n"
		 "{\"id\":\"" ID_DATA_NEWLINE "\",\"state\":\"ERROR\",\"code\":0,"
		 "\"msg\":\"success\",\"error\":\"reply has an unexpected state\"}\n",
	  .err = "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n"
		 "rhq: " ID_HTTP_404 ": HTTP 404\n"
		 "rhq: " ID_CODE_888 ": API error 888 "
		 "(\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5)\n"
		 "rhq: line 7: invalid task ID\n"
		 "rhq: " ID_DATA_TAB ": reply has an unexpected state\n"
		 "rhq: " ID_DATA_NEWLINE ": reply has an unexpected state\n",
	  .requests = 9 },
	{ .name = "--json -a -f 2", .in = "job\t3\r\nlonely\n",
	  .argv = ARGS("--json", "-f", "2", "-a"),
	  .status = 1,
	  .out = "{\"id\":\"3\",\"state\":\"SUCCESS\",\"code\":0,\"msg\":\"success\","
		 "\"record\":\"job\\t3\"}\n"
		 "{\"id\":\"lonely\",\"state\":\"INVALID\",\"error\":\"line 2: no field 2\","
		 "\"record\":\"lonely\"}\n",
	  .err = "rhq: line 2: no field 2\n", .requests = 1 },
	{ .name = "--json -a: an invalid ID", .in = "job4,abc,x\r\n",
	  .argv = ARGS("--json", "-a", "-f", "2", "-d", ","), .status = 1,
	  .out = "{\"id\":\"abc\",\"state\":\"INVALID\",\"error\":\"line 1: invalid task ID\","
		 "\"record\":\"job4,abc,x\"}\n",
	  .err = "rhq: line 1: invalid task ID\n" },
	{ .name = "--json --wait", .in = ID_THEN_SUCCESS "\n", .argv = ARGS("--json", WAIT),
	  .out = "{\"id\":\"" ID_THEN_SUCCESS "\",\"state\":\"SUCCESS\",\"code\":0,"
		 "\"msg\":\"success\"}\n",
	  .requests = 3 },
};

/* Any input line makes a valid JSON row, its id decoding to the line itself. */
START_TEST(json_valid_for_any_input)
{
	static const char lines[] =
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
	char in[2048], *w = in, hostile[4096], *h = hostile, err[1024], *e = err;
	struct proc p;
	size_t i;
	int k;

	/* Then lines that grow: control bytes six-fold when escaped, invalid bytes to U+FFFD. */
	memcpy(w, lines, sizeof lines - 1);
	w += sizeof lines - 1;
	for (k = 0; k < 100; k++)
		w = stpcpy(w, "ab\001");
	*w++ = '\n';
	memset(w, 0xff, 256);
	w += 256;
	*w++ = '\n';
	h += sprintf(h, "{\"id\":\"");
	for (k = 0; k < 85; k++)
		h += sprintf(h, "ab\\u0001");
	h += sprintf(h, "a\",\"state\":\"INVALID\",\"error\":\"line 12: invalid task ID\"}\n"
	    "{\"id\":\"");
	for (k = 0; k < 256; k++)
		h += sprintf(h, REPL);
	sprintf(h, "\",\"state\":\"INVALID\",\"error\":\"line 13: invalid task ID\"}\n");
	for (k = 1; k <= 13; k++)
		e += sprintf(e, "rhq: line %d: invalid task ID\n", k);

	proc_start(&p, NOENV, ARGS("--json"));
	proc_write(&p, in, w - in);
	proc_finish(&p, harness_timeout());
	ck_assert_msg(p.status == 1, "exit status %d; stderr: %s", p.status, p.err_buf);
	ck_assert_str_eq(p.err_buf, err);
	ck_assert_uint_eq(p.out_len, strlen(p.out_buf));	/* no raw NUL */
	ck_assert_uint_eq(assert_json_lines(p.out_buf), NELEM(want) + 2);
	for (i = 0; i < NELEM(want); i++)
		assert_json_invalid(p.out_buf, i, want[i].s, want[i].n);
	ck_assert_str_eq(strstr(p.out_buf, "{\"id\":\"ab"), hostile);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

/* --------------------------------------------------------------- --summary */

static const struct row summary[] = {
	{ .name = "-s", .in = "1\n2\n3\n4\n5\n6\n7\n8\n", .argv = ARGS("-s"),
	  .out = "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n4\tQUEUED\n"
		 "5\tRUNNING\n6\tFAILED\n7\tSUCCESS\n8\tQUEUED\n",
	  .err = "rhq: 8 tasks: 2 QUEUED, 2 RUNNING, 2 FAILED, 2 SUCCESS\n", .requests = 8 },
	{ .name = "--summary of one task", .argv = ARGS("--summary", "3"), .out = "3\tSUCCESS\n",
	  .err = "rhq: 1 task: 1 SUCCESS\n", .requests = 1 },
	{ .name = "-s: order, and other states",
	  .in = ID_CANCEL "\n3\n" ID_CODE_807 "\nx\n" ID_CODE_301 "\n" ID_CANCEL "\n4\n",
	  .argv = ARGS("-s"), .status = 1,
	  .out = ID_CANCEL "\tCANCEL\n3\tSUCCESS\n" ID_CODE_807 "\tNOT_FOUND\nx\tINVALID\n"
		 ID_CODE_301 "\tERROR\n" ID_CANCEL "\tCANCEL\n4\tQUEUED\n",
	  .err = "rhq: line 4: invalid task ID\n"
		 "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n"
		 "rhq: 7 tasks: 1 QUEUED, 1 SUCCESS, 1 NOT_FOUND, 1 ERROR, 1 INVALID, 2 CANCEL\n",
	  .requests = 6 },
	{ .name = "-s at the deadline", .warp = 1, .in = ID_RUNNING "\n3\n",
	  .argv = ARGS("-s", WAIT, "--deadline", "0.3"), .status = 3,
	  .out = "3\tSUCCESS\n" ID_RUNNING "\tRUNNING\n",
	  .err_any = ARGS("rhq: deadline reached with 1 task unfinished",
	      "rhq: 2 tasks: 1 RUNNING, 1 SUCCESS"),
	  .requests = 2, .requests_max = 8 },
	/* Other states in order of first appearance: CANCEL, then UNKNOWN. */
	{ .name = "-s at the deadline: other states", .warp = 1, .in = ID_SLOW "\n" ID_CANCEL "\n",
	  .argv = ARGS("-s", "-j", "2", WAIT, "--deadline", "0.5"), .status = 3,
	  .out = ID_CANCEL "\tCANCEL\n" ID_SLOW "\tUNKNOWN\n",
	  .err_any = ARGS("rhq: deadline reached with 1 task unfinished",
	      "rhq: 2 tasks: 1 CANCEL, 1 UNKNOWN"),
	  .requests = 2 },
};

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

/*
 * stderr is a pipe: it holds nothing but plain progress lines, no carriage
 * returns or escape sequences (--progress 2>file).
 */
static void
only_progress(const char *err)
{
	const char *s, *e;
	size_t lines = 0;

	ck_assert_msg(strpbrk(err, "\r\033") == NULL, "a CR or an escape: '%s'", err);
	for (s = err; *s; s = e + 1) {
		ck_assert_ptr_nonnull(e = strchr(s, '\n'));
		ck_assert_msg(strncmp(s, "rhq: ", 5) == 0 && strstr(s, " done, ") != NULL &&
		    strstr(s, " done, ") < e, "not a progress line: '%.*s'", (int)(e - s), s);
		lines++;
	}
	ck_assert_uint_ge(lines, 1);
}

/* An error late in a run that shows the counter: a line of its own. */
static void
message_between_lines(const char *err)
{
	ck_assert_msg(strstr(err, " done, ") != NULL, "no progress line: '%s'", err);
	ck_assert_msg(strstr(err, "errors\nrhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n")
	    != NULL || strncmp(err, "rhq: " ID_CODE_301 ":", 10) == 0,
	    "message not on a line of its own: '%s'", err);
	ck_assert_msg(strpbrk(err, "\r\033") == NULL, "a CR or an escape: '%s'", err);
}

static const struct row progress[] = {
	{ .name = "--progress", .warp = 1, .in = slow_ids,
	  .argv = ARGS("--progress", "--rate", "20"),
	  .out = slow_rows, .err_check = only_progress, .requests = 25 },
	{ .name = "--progress: a message between its lines", .warp = 1,
	  .in = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"
		"21\n22\n23\n24\n25\n" ID_CODE_301 "\n",
	  .argv = ARGS("--progress", "--rate", "20"), .status = 1,
	  .err_check = message_between_lines, .requests = 26,
	  .out = "1\tRUNNING\n2\tFAILED\n3\tSUCCESS\n4\tQUEUED\n5\tRUNNING\n6\tFAILED\n"
		 "7\tSUCCESS\n8\tQUEUED\n9\tRUNNING\n10\tFAILED\n11\tSUCCESS\n12\tQUEUED\n"
		 "13\tRUNNING\n14\tFAILED\n15\tSUCCESS\n16\tQUEUED\n17\tRUNNING\n18\tFAILED\n"
		 "19\tSUCCESS\n20\tQUEUED\n21\tRUNNING\n22\tFAILED\n23\tSUCCESS\n24\tQUEUED\n"
		 "25\tRUNNING\n" ID_CODE_301 "\tERROR\n" },
	/* The cron-mail promise: stderr is a pipe, nothing went wrong, stderr stays empty. */
	{ .name = "no progress when stderr is not a terminal", .warp = 1, .in = slow_ids,
	  .argv = ARGS("--rate", "20"), .out = slow_rows, .requests = 25 },
	{ .name = "--no-progress", .warp = 1, .in = slow_ids,
	  .argv = ARGS("--no-progress", "--rate", "20"), .out = slow_rows, .requests = 25 },
};

/* ------------------------------------------------------------- -j, --rate */

static const struct row jobs[] = {
	{ .name = "-j 8 keeps input order", .ids = { 1904152026220003300, 40 },
	  .argv = ARGS("-j", "8"), .requests = 40, .connections = 1, .connections_max = 8 },
	/* 10 requests at 20 a second: 9 gaps of 0.05 s at least, and not much more. */
	{ .name = "--rate", .warp = 1, .ids = { 1904152026220003300, 10 },
	  .argv = ARGS("--rate", "20"), .requests = 10, .took_min = 0.4, .took_max = 1.5 },
	/* The bound holds across all jobs. */
	{ .name = "--rate -j 4", .warp = 1, .ids = { 1904152026220003300, 10 },
	  .argv = ARGS("--rate", "20", "-j", "4"), .requests = 10, .took_min = 0.4,
	  .took_max = 1.5 },
};

START_TEST(jobs_order_with_slow_and_bad_rows)
{
	char in[4096], want[8192], ids[2048], rows[4096];

	/* ID_CODE_421_ONCE needs a retry, so its row is ready last but still comes out first. */
	make_ids(1904152026220003300, 30, ids, rows);
	snprintf(in, sizeof in, ID_CODE_421_ONCE "\n%sx\n" ID_CODE_807 "\n" ID_CODE_301 "\n3\n",
	    ids);
	snprintf(want, sizeof want, ID_CODE_421_ONCE "\tSUCCESS\n%sx\tINVALID\n" ID_CODE_807
	    "\tNOT_FOUND\n" ID_CODE_301 "\tERROR\n3\tSUCCESS\n", rows);
	run_row(&(struct row){ .name = "-j: order with slow and bad rows", .in = in,
	    .argv = ARGS("--jobs", "8", "--retry-delay", "0.2"), .status = 1, .out = want,
	    .err = "rhq: line 32: invalid task ID\n"
		   "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n",
	    .requests = 35, .seen = { { ID_CODE_421_ONCE, 2 } }, .connections = 1,
	    .connections_max = 8 });
}
END_TEST

ROW_TEST(waiting)
ROW_TEST(deadline)
ROW_TEST(records)
ROW_TEST(json)
ROW_TEST(summary)
/*
 * Runs rhq with its stderr (and with both, its stdout too) on a pseudo-
 * terminal, as a person at a terminal runs it, with TERM set to term (NULL:
 * unset); returns what the terminal got.  The binary runs unwrapped: the
 * terminal is the point here, not memory checking.
 */
static char *
run_on_pty(const char *term, int both, const char *const argv[], int *status)
{
	const char *ids = harness_file("ids", slow_ids, strlen(slow_ids), 0600);
	const char *rhq = getenv("RHQ");
	char *shown = calloc(1, 65536), *args[16], env_base[300], env_term[64];
	char *envp[] = { "RUNNINGHUB_API_KEY=testkey", env_base, env_term, NULL };
	size_t len = 0, n = 0;
	double end = clock_now() + harness_timeout();
	struct pollfd pfd;
	int master, slave, st;
	ssize_t r;
	pid_t pid;

	ck_assert_ptr_nonnull(shown);
	snprintf(env_base, sizeof env_base, "RUNNINGHUB_BASE_URL=%s", harness_base_url);
	snprintf(env_term, sizeof env_term, "TERM=%s", term ? term : "");
	if (term == NULL)
		envp[2] = NULL;
	args[n++] = (char *)(rhq && *rhq ? rhq : "./rhq");
	for (; *argv && n < 15; argv++)
		args[n++] = (char *)*argv;
	args[n] = NULL;
	ck_assert_int_ge(master = posix_openpt(O_RDWR | O_NOCTTY), 0);
	ck_assert(grantpt(master) == 0 && unlockpt(master) == 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		setsid();
		if ((slave = open(ptsname(master), O_RDWR)) < 0)
			_exit(126);
		dup2(open(ids, O_RDONLY), 0);
		dup2(both ? slave : open("/dev/null", O_WRONLY), 1);
		dup2(slave, 2);
		execve(args[0], args, envp);
		_exit(127);
	}
	/* Read until every end of the terminal is closed: EIO then. */
	pfd.fd = master;
	pfd.events = POLLIN;
	while (clock_now() < end && len < 65535) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = read(master, shown + len, 65535 - len)) <= 0 && errno != EINTR)
			break;
		if (r > 0)
			len += r;
	}
	close(master);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return shown;
}

/* A terminal shows the line redrawn in place and erased at the end. */
START_TEST(progress_on_a_terminal)
{
	char *s;
	int st;

	s = run_on_pty("xterm", 0, ARGS("--rate", "20"), &st);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(s, "\rrhq: ") != NULL && strstr(s, " done, ") != NULL,
	    "no progress line: '%s'", s);
	ck_assert_msg(strstr(s, "\033[K") != NULL, "not drawn in place: '%s'", s);
	ck_assert_msg(strlen(s) >= 4 && strcmp(s + strlen(s) - 4, "\r\033[K") == 0,
	    "not erased at the end: '%s'", s);
	free(s);
}
END_TEST

/* TERM=dumb or unset: carriage returns and spaces only, no escape sequences. */
START_TEST(progress_on_a_dumb_terminal)
{
	const char *terms[] = { "dumb", NULL };
	char *s;
	int i, st;

	for (i = 0; i < 2; i++) {
		s = run_on_pty(terms[i], 0, ARGS("--rate", "20"), &st);
		ck_assert_int_eq(st, 0);
		ck_assert_msg(strstr(s, "\rrhq: ") != NULL, "no progress line: '%s'", s);
		ck_assert_msg(strchr(s, '\033') == NULL, "an escape sequence: '%s'", s);
		ck_assert_msg(s[strlen(s) - 1] == '\r', "not erased at the end: '%s'", s);
		free(s);
	}
}
END_TEST

/*
 * Rows and the line on one terminal: no line by default, as with curl; with
 * --progress, a row never starts where the line is (it is erased first).
 */
START_TEST(progress_and_rows_share_a_terminal)
{
	const char *p;
	char *s;
	int st;

	s = run_on_pty("xterm", 1, ARGS("--rate", "20"), &st);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(s, " done, ") == NULL, "a progress line by default: '%s'", s);
	ck_assert_ptr_nonnull(strstr(s, "25\tRUNNING\r\n"));
	free(s);

	s = run_on_pty("xterm", 1, ARGS("--progress", "--rate", "20"), &st);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(s, " done, ") != NULL, "no progress line: '%s'", s);
	for (p = s; (p = strstr(p, "errors\033[K")) != NULL; p++)
		ck_assert_msg(p[9] == '\r' || p[9] == '\0', "a row written over the line: '%s'", s);
	ck_assert_ptr_nonnull(strstr(s, "25\tRUNNING\r\n"));
	free(s);
}
END_TEST

ROW_TEST(progress)
ROW_TEST(jobs)

Suite *
workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc;

	tc = server_tcase("wait");
	ADD_ROWS(tc, waiting);
	add_test(tc, wait_rows_stream_out);
	suite_add_tcase(s, tc);

	tc = server_tcase("deadline");
	ADD_ROWS(tc, deadline);
	suite_add_tcase(s, tc);

	tc = server_tcase("records");
	ADD_ROWS(tc, records);
	suite_add_tcase(s, tc);

	tc = server_tcase("json");
	ADD_ROWS(tc, json);
	add_test(tc, json_valid_for_any_input);
	suite_add_tcase(s, tc);

	tc = server_tcase("summary");
	ADD_ROWS(tc, summary);
	suite_add_tcase(s, tc);

	tc = server_tcase("progress");
	ADD_ROWS(tc, progress);
	tcase_add_test(tc, progress_on_a_terminal);
	tcase_add_test(tc, progress_on_a_dumb_terminal);
	tcase_add_test(tc, progress_and_rows_share_a_terminal);
	suite_add_tcase(s, tc);

	tc = server_tcase("jobs");
	ADD_ROWS(tc, jobs);
	add_test(tc, jobs_order_with_slow_and_bad_rows);
	suite_add_tcase(s, tc);
	return s;
}
