/*
 * System tests of the core filter: the real ./rhq against the stand-in,
 * asserting stdout, stderr and exit status as a user would see them.  Most
 * are rows of the tables below (see struct row in suites.h).
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

#define NO_SUCH_FILE	"rhq: no/such/file (from --api-key-file): No such file or directory\n"
#define NO_KEY		"rhq: no API key: set RUNNINGHUB_API_KEY, or put the key in a " \
			"file and use --api-key-file FILE (or RUNNINGHUB_API_KEY_FILE)\n"

/* Every long option in --help must be findable in the man page and the completions. */
static void
options_documented(const struct proc *p)
{
	static const char *files[] = { "rhq.1", "completions/rhq.bash", "completions/_rhq",
	    "completions/rhq.fish" };
	char *s, *e, name[64], pat[80], *text[NELEM(files)];
	size_t i, n = 0;
	FILE *f;
	long len;

	for (i = 0; i < NELEM(files); i++) {
		ck_assert_msg((f = fopen(files[i], "r")) != NULL, "%s: cannot open", files[i]);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		text[i] = calloc(1, len + 1);
		ck_assert_int_eq(fread(text[i], 1, len, f), len);
		fclose(f);
	}
	for (s = p->out_buf; (s = strstr(s, " --")) != NULL; s = e) {
		s += 3;
		for (e = s; (*e >= 'a' && *e <= 'z') || *e == '-'; e++)
			;
		snprintf(name, sizeof name, "%.*s", (int)(e - s), s);
		n++;
		for (i = 0; i < NELEM(files); i++) {
			if (strcmp(files[i], "rhq.1") == 0)
				snprintf(pat, sizeof pat, "Fl \\-%s", name);
			else if (strstr(files[i], ".fish"))
				snprintf(pat, sizeof pat, "-l %s ", name);
			else
				snprintf(pat, sizeof pat, "--%s", name);
			ck_assert_msg(strstr(text[i], pat) != NULL, "--%s missing from %s", name,
			    files[i]);
		}
	}
	ck_assert_uint_ge(n, 20);
	for (i = 0; i < NELEM(files); i++)
		free(text[i]);
}

/* ---------------------------------------------------------- reading input */

static const struct row input[] = {
	{ .name = "request bytes", .in = "1904152026220003329\n",
	  .out = "1904152026220003329\tRUNNING\n", .requests = 1,
	  .body = "{\"apiKey\":\"testkey\",\"taskId\":\"1904152026220003329\"}",
	  .auth = "Bearer testkey" },
	/* One after the other on one connection, without pauses (a tenth of a second each). */
	{ .name = "many IDs, one connection", .ids = { 1904152026220003300, 50 },
	  .requests = 50, .connections = 1, .took_max = 5.0 },
	{ .name = "the key is JSON-escaped", .env = ARGS("RUNNINGHUB_API_KEY=k\"e\\y"),
	  .argv = ARGS("3"), .out = "3\tSUCCESS\n", .requests = 1,
	  .body = "{\"apiKey\":\"k\\\"e\\\\y\",\"taskId\":\"3\"}", .auth = "Bearer k\"e\\y" },
	{ .name = "bad lines are INVALID and not sent",
	  BYTES("# a comment\n"
		"\n"
		"  1 \r\n"
		"12a\n"
		"1 2\n"
		"x\ty\\z\n"
		"0000\n"
		"123456789012345678901234567890123\n"
		"\xff\xfe\n"
		"   \t\n"
		"  # indented comment\n"
		"1\0002\n"
		"\x1b[2J\xe2\x80\xae" "9\n"
		"7"),
	  .status = 1,
	  .out = "1\tRUNNING\n"
		 "12a\tINVALID\n"
		 "1 2\tINVALID\n"
		 "x\\ty\\\\z\tINVALID\n"
		 "0000\tINVALID\n"
		 "123456789012345678901234567890123\tINVALID\n"
		 /* Bytes that are not UTF-8, ESC and U+202E: U+FFFD each. */
		 "\xef\xbf\xbd\xef\xbf\xbd\tINVALID\n"
		 "1\\02\tINVALID\n"
		 "\xef\xbf\xbd[2J\xef\xbf\xbd" "9\tINVALID\n"
		 "7\tSUCCESS\n",
	  .err = "rhq: line 4: invalid task ID\n"
		 "rhq: line 5: invalid task ID\n"
		 "rhq: line 6: invalid task ID\n"
		 "rhq: line 7: invalid task ID\n"
		 "rhq: line 8: invalid task ID\n"
		 "rhq: line 9: invalid task ID\n"
		 "rhq: line 12: invalid task ID\n"
		 "rhq: line 13: invalid task ID\n",
	  .requests = 2 },
	{ .name = "IDs as arguments", .argv = ARGS("4", "x", "5"), .status = 1,
	  .out = "4\tQUEUED\nx\tINVALID\n5\tRUNNING\n",
	  .err = "rhq: argument 2: invalid task ID\n", .requests = 2 },
	{ .name = "- reads stdin in its place", .argv = ARGS("4", "-", "5"), .in = "6\n7\n",
	  .out = "4\tQUEUED\n6\tFAILED\n7\tSUCCESS\n5\tRUNNING\n", .requests = 4 },
	{ .name = "empty input", .in = "" },
	{ .name = "closed stdin is empty", .how = HOW_STDIN_CLOSED, .argv = ARGS("-s"),
	  .err = "rhq: 0 tasks\n" },
	{ .name = "option values at their limits: decimal timeouts, -j 64, a URL ending in /",
	  .argv = ARGS("--timeout", "2.5", "--connect-timeout", "0.75", "-j", "64",
	      "--base-url", "%BASE/", "3", "2"),
	  .out = "3\tSUCCESS\n2\tFAILED\n", .requests = 2 },
	{ .name = "--help", .argv = ARGS("--help"), .out_start = "usage: rhq [options] [ID ...]\n",
	  .check = options_documented },
	{ .name = "-h", .argv = ARGS("-h"), .out_start = "usage: rhq [options] [ID ...]\n" },
	{ .name = "-V", .argv = ARGS("-V"), .out = "rhq %VERSION\n" },
	{ .name = "--version", .argv = ARGS("--version"), .out = "rhq %VERSION\n" },
};

/* ------------------------------------------------------------- the output */

static const struct row output[] = {
	{ .name = "transport failure", .env = ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	  .argv = ARGS("--retries", "0"), .in = "3\n", .status = 1, .out = "3\tERROR\n",
	  .err_lines = ARGS("rhq: 3: Failed to connect to 127.0.0.1 port 1 *") },
	{ .name = "-v: a line for each request", .env = ARGS("RUNNINGHUB_API_KEY=sekrit-key"),
	  .argv = ARGS("-v"), .in = "1\n2\n", .out = "1\tRUNNING\n2\tFAILED\n",
	  .err_lines = ARGS("rhq: 1: HTTP 200, * s, new connection",
	      "rhq: 2: HTTP 200, * s, reused connection"),
	  .secret = "sekrit", .requests = 2 },
	{ .name = "a failed write is an error", .how = HOW_STDOUT_FULL, .argv = ARGS("3"),
	  .status = 2, .err = "rhq: stdout: No space left on device\n", .requests = 1 },
	{ .name = "closed stdout is refused", .how = HOW_STDOUT_CLOSED, .argv = ARGS("3"),
	  .status = 2, .err = "rhq: stdout is closed\n" },
};

/* ---------------------------------------------------------------- the key */

static const struct row keys[] = {
	{ .name = "--api-key-file", .file = { "key", "filekey\n", 0600 },
	  .env = ARGS("RUNNINGHUB_API_KEY"), .argv = ARGS("--api-key-file", "%FILE", "3"),
	  .out = "3\tSUCCESS\n", .requests = 1,
	  .body = "{\"apiKey\":\"filekey\",\"taskId\":\"3\"}", .auth = "Bearer filekey" },
	{ .name = "RUNNINGHUB_API_KEY_FILE", .file = { "key", "filekey\n", 0600 },
	  .env = ARGS("RUNNINGHUB_API_KEY", "RUNNINGHUB_API_KEY_FILE=%FILE"), .argv = ARGS("3"),
	  .out = "3\tSUCCESS\n", .requests = 1, .auth = "Bearer filekey" },
	{ .name = "the key from stdin, the IDs as arguments", .in = "stdinkey\n",
	  .env = ARGS("RUNNINGHUB_API_KEY"), .argv = ARGS("--api-key-file", "-", "3"),
	  .out = "3\tSUCCESS\n", .requests = 1, .auth = "Bearer stdinkey" },
	{ .name = "a missing RUNNINGHUB_API_KEY_FILE is named as such",
	  .env = ARGS("RUNNINGHUB_API_KEY_FILE=no/such/file"), .argv = ARGS("3"), .status = 2,
	  .err = "rhq: no/such/file (from RUNNINGHUB_API_KEY_FILE): No such file or directory\n" },
	{ .name = "a directory as the key file: no permission warning first",
	  .argv = ARGS("--api-key-file", ".", "3"), .status = 2,
	  .err = "rhq: . (from --api-key-file): Is a directory\n" },
	{ .name = "a key file readable by others", .file = { "key", "filekey", 0644 },
	  .argv = ARGS("--api-key-file", "%FILE", "3"), .out = "3\tSUCCESS\n",
	  .err = "rhq: warning: %FILE is readable by others; chmod 600 %FILE\n",
	  .requests = 1, .auth = "Bearer filekey" },
	{ .name = "no key file", .argv = ARGS("--api-key-file", "no/such/file", "3"),
	  .status = 2, .err = NO_SUCH_FILE },
	{ .name = "an empty key file", .file = { "empty", "\n", 0600 },
	  .argv = ARGS("--api-key-file", "%FILE", "3"), .status = 2,
	  .err = "rhq: %FILE (from --api-key-file): the API key is empty\n" },
	{ .name = "control characters in the key file", .file = { "ctl", "key\rwith\ncontrol\n",
	  0600 }, .argv = ARGS("--api-key-file", "%FILE", "3"), .status = 2,
	  .err = "rhq: %FILE (from --api-key-file): the API key contains control characters\n" },
	{ .name = "control characters in the key", .env = ARGS("RUNNINGHUB_API_KEY=a\tb"),
	  .argv = ARGS("3"), .status = 2,
	  .err = "rhq: RUNNINGHUB_API_KEY: the API key contains control characters\n" },
	{ .name = "no key", .env = ARGS("RUNNINGHUB_API_KEY"), .argv = ARGS("3"), .status = 2,
	  .err = NO_KEY },
};

START_TEST(api_key_file_limits)
{
	char key[4200], want[700];
	const char *f;

	/* 4 KiB of key and its newline are fine; one byte more is not. */
	memset(key, 'k', 4096);
	strcpy(key + 4096, "\n");
	run_row(&(struct row){ .name = "a 4096-byte key", .file = { "big", key, 0600 },
	    .argv = ARGS("--api-key-file", "%FILE", "3"), .out = "3\tSUCCESS\n",
	    .requests = 1 });
	strcpy(key + 4096, "k\n");
	run_row(&(struct row){ .name = "a 4097-byte key", .file = { "bigger", key, 0600 },
	    .argv = ARGS("--api-key-file", "%FILE", "3"), .status = 2,
	    .err = "rhq: %FILE (from --api-key-file): too long for an API key\n" });

	/* Text after a full-length key and its CRLF is not dropped silently. */
	strcpy(key + 4096, "\r\nEXTRA\n");
	run_row(&(struct row){ .name = "text after the key", .file = { "extra", key, 0600 },
	    .argv = ARGS("--api-key-file", "%FILE", "3"), .status = 2,
	    .err = "rhq: %FILE (from --api-key-file): too long for an API key\n" });

	/* A NUL byte is a control character too, not the end of the key. */
	f = harness_file("nul", "ab\0cd\n", 6, 0600);
	snprintf(want, sizeof want,
	    "rhq: %s (from --api-key-file): the API key contains control characters\n", f);
	run_row(&(struct row){ .name = "a NUL in the key", .argv = ARGS("--api-key-file", f, "3"),
	    .status = 2, .err = want });
}
END_TEST

/* A key file that is a pipe may deliver the key in pieces. */
START_TEST(api_key_from_a_pipe)
{
	char path[512];
	pid_t pid;
	int fd;

	snprintf(path, sizeof path, "%s", harness_file("fifo", "", 0, 0600));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	if ((pid = fork()) == 0) {
		fd = open(path, O_WRONLY);
		if (write(fd, "abc", 3) != 3)
			_exit(1);
		nap(0.2);
		if (write(fd, "def\n", 4) != 4)
			_exit(1);
		_exit(0);
	}
	run_row(&(struct row){ .name = "key from a pipe",
	    .argv = ARGS("--api-key-file", path, "3"), .out = "3\tSUCCESS\n", .requests = 1,
	    .auth = "Bearer abcdef" });
	waitpid(pid, NULL, 0);
}
END_TEST

/* --------------------------------------------------------- usage errors */

static const struct row usage[] = {
	USAGE("rhq: unrecognized option", "--no-such-option"),
	USAGE("rhq: invalid option -- 'Z'", "-Z"),
	USAGE("rhq: option '--timeout' requires an argument", "--timeout"),
	USAGE("rhq: --timeout: invalid value 'abc'", "--timeout", "abc"),
	USAGE("rhq: --timeout: invalid value '-1'", "--timeout", "-1"),
	USAGE("rhq: --timeout: invalid value 'nan'", "--timeout", "nan"),
	USAGE("rhq: --connect-timeout: invalid value '1x'", "--connect-timeout", "1x"),
	USAGE("rhq: --site: 'de' is neither cn nor ai", "--site", "de"),
	USAGE("rhq: --base-url: 'ftp://127.0.0.1/': only http and https are allowed",
	    "--base-url", "ftp://127.0.0.1/"),
	USAGE("rhq: --base-url: '::' is not a URL", "--base-url", "::"),
	USAGE("rhq: --jobs: invalid value '0'", "-j", "0"),
	USAGE("rhq: --jobs: invalid value '65'", "-j", "65"),
	USAGE("rhq: --jobs: invalid value 'x'", "--jobs", "x"),
	USAGE("rhq: --rate: invalid value 'abc'", "--rate", "abc"),
	USAGE("rhq: --rate: invalid value '-1'", "--rate", "-1"),
	USAGE("rhq: --deadline needs --wait\n", "--deadline", "1"),
	USAGE("rhq: --deadline: invalid value 'x'", "--wait", "--deadline", "x"),
	USAGE("rhq: --deadline: invalid value '-1'", "--wait", "--deadline", "-1"),
	USAGE("rhq: --interval: invalid value 'abc'", "--wait", "--interval", "abc"),
	USAGE("rhq: --field: invalid value '0'", "-f", "0"),
	USAGE("rhq: --field: invalid value 'x'", "-f", "x"),
	USAGE("rhq: --field: invalid value '-1'", "-f", "-1"),
	USAGE("rhq: --delimiter", "-f", "2", "-d", "ab"),
	USAGE("rhq: --delimiter", "-f", "2", "-d", ""),
	USAGE("rhq: --delimiter", "-d", ","),
	/* Plain decimals only. */
	USAGE("rhq: --timeout: invalid value '0x10'", "--timeout", "0x10"),
	USAGE("rhq: --timeout: invalid value '1e3'", "--timeout", "1e3"),
	USAGE("rhq: --timeout: invalid value 'inf'", "--timeout", "inf"),
	USAGE("rhq: --timeout: invalid value ' 5'", "--timeout", " 5"),
	USAGE("rhq: --jobs: invalid value '+2'", "-j", "+2"),
	USAGE("rhq: --retries: invalid value '0x3'", "--retries", "0x3"),
	USAGE("rhq: --interval needs --wait\n", "--interval", "1"),
	USAGE("rhq: --base-url and --site both name the API root: give one\n",
	    "--site", "cn", "--base-url", "http://127.0.0.1:9"),
	USAGE("rhq: --base-url and --site both name the API root: give one\n",
	    "--base-url", "http://127.0.0.1:9", "--site", "ai"),
	USAGE("rhq: the API key can come from stdin only when the task IDs are arguments\n",
	    "--api-key-file", "-"),
	USAGE("rhq: the API key can come from stdin only when the task IDs are arguments\n",
	    "--api-key-file", "-", "3", "-"),
};

/* ------------------------------------------------------------ long lines */

/* A long line is read to its end, not sent, and shown cut to 256 bytes. */
START_TEST(long_lines_are_cut)
{
	size_t big = 1024 * 1024, i;
	char *in = malloc(1001 + big + 16), *p = in, want[1024];

	memset(p, 'a', 1000);
	p[1000] = '\n';
	p += 1001;
	for (i = 0; i < big; i++)
		p[i] = i % 2 ? '1' : 'x';
	strcpy(p + big, "\n3\n");
	memset(want, 'a', 256);
	strcpy(want + 256, "\tINVALID\n");
	memcpy(want + 265, p, 256);
	strcpy(want + 265 + 256, "\tINVALID\n3\tSUCCESS\n");
	run_row(&(struct row){ .name = "long lines", .in = in, .status = 1, .out = want,
	    .err = "rhq: line 1: invalid task ID\nrhq: line 2: line too long\n", .requests = 1 });
	free(in);
}
END_TEST

START_TEST(rows_stream_while_input_is_open)
{
	struct proc p;

	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, "3\n", 2);
	/* The row must come out while rhq still waits for more input. */
	ck_assert(proc_wait_lines(&p, 1, harness_timeout() / 2));
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
	proc_write(&p, "5\n", 2);
	ck_assert(proc_wait_lines(&p, 2, harness_timeout() / 2));
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 0, "3\tSUCCESS\n5\tRUNNING\n", "");
	proc_free(&p);
}
END_TEST

ROW_TEST(input)
ROW_TEST(output)
ROW_TEST(keys)
ROW_TEST(usage)

Suite *
system_suite(void)
{
	Suite *s = suite_create("system");
	TCase *tc;

	tc = server_tcase("input");
	ADD_ROWS(tc, input);
	add_test(tc, long_lines_are_cut);
	add_test(tc, rows_stream_while_input_is_open);
	suite_add_tcase(s, tc);

	tc = server_tcase("output");
	ADD_ROWS(tc, output);
	suite_add_tcase(s, tc);

	tc = server_tcase("keys");
	ADD_ROWS(tc, keys);
	add_test(tc, api_key_file_limits);
	add_test(tc, api_key_from_a_pipe);
	suite_add_tcase(s, tc);

	tc = server_tcase("usage");
	ADD_ROWS(tc, usage);
	suite_add_tcase(s, tc);
	return s;
}
