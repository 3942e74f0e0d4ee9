/*
 * System tests of the core filter: the real ./rhq against the stand-in,
 * asserting stdout, stderr and exit status as a user would see them.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

/* IDs whose stand-in state follows the last digits mod 4. */
static const char *
state_of(unsigned long id)
{
	static const char *states[] = { "QUEUED", "RUNNING", "FAILED", "SUCCESS" };

	return states[id % 4];
}

START_TEST(many_ids_one_connection)
{
	char in[4096] = "", want[8192] = "", line[128];
	struct proc p;
	unsigned long id;

	for (id = 1904152026220003300; id < 1904152026220003350; id++) {
		snprintf(line, sizeof line, "%lu\n", id);
		strcat(in, line);
		snprintf(line, sizeof line, "%lu\t%s\n", id, state_of(id));
		strcat(want, line);
	}
	rhq_run(&p, in, NOENV, NOARGS);
	ck_assert_run(&p, 0, want, "");
	ck_assert_uint_eq(standin_requests(srv), 50);
	ck_assert_uint_eq(standin_connections(srv), 1);
	proc_free(&p);
}
END_TEST

START_TEST(request_bytes)
{
	const struct standin_req *q;
	struct proc p;

	rhq_run(&p, "1904152026220003329\n", NOENV, NOARGS);
	ck_assert_run(&p, 0, "1904152026220003329\tRUNNING\n", "");
	ck_assert_uint_eq(standin_requests(srv), 1);
	q = standin_request(srv, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q->method, "POST");
	ck_assert_str_eq(q->url, "/task/openapi/status");
	ck_assert_str_eq(q->content_type, "application/json");
	ck_assert_str_eq(q->authorization, "Bearer testkey");
	ck_assert(strncmp(q->user_agent, "rhq/", 4) == 0);
	ck_assert_str_eq(q->user_agent + 4, rhq_version);
	ck_assert_uint_eq(q->body_len, strlen(q->body));
	ck_assert_str_eq(q->body, "{\"apiKey\":\"testkey\",\"taskId\":\"1904152026220003329\"}");
	proc_free(&p);
}
END_TEST

START_TEST(key_is_json_escaped)
{
	struct proc p;

	rhq_run(&p, NULL, ARGS("RUNNINGHUB_API_KEY=k\"e\\y"), ARGS("3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_str_eq(standin_request(srv, 0)->body,
	    "{\"apiKey\":\"k\\\"e\\\\y\",\"taskId\":\"3\"}");
	ck_assert_str_eq(standin_request(srv, 0)->authorization, "Bearer k\"e\\y");
	proc_free(&p);
}
END_TEST

START_TEST(base_url_trailing_slash)
{
	char url[300];
	struct proc p;

	snprintf(url, sizeof url, "%s/", harness_base_url);
	rhq_run(&p, NULL, NOENV, ARGS("--base-url", url, "2"));
	ck_assert_run(&p, 0, "2\tFAILED\n", "");
	ck_assert_str_eq(standin_request(srv, 0)->url, "/task/openapi/status");
	proc_free(&p);
}
END_TEST

START_TEST(bad_lines_are_invalid_and_not_sent)
{
	static const char in[] =
	    "# a comment\n"
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
	    "7";
	struct proc p;

	rhq_run(&p, in, NOENV, NOARGS);
	ck_assert_run(&p, 1,
	    "1\tRUNNING\n"
	    "12a\tINVALID\n"
	    "1 2\tINVALID\n"
	    "x\\ty\\\\z\tINVALID\n"
	    "0000\tINVALID\n"
	    "123456789012345678901234567890123\tINVALID\n"
	    "\xff\xfe\tINVALID\n"
	    "7\tSUCCESS\n",
	    "rhq: line 4: invalid task ID\n"
	    "rhq: line 5: invalid task ID\n"
	    "rhq: line 6: invalid task ID\n"
	    "rhq: line 7: invalid task ID\n"
	    "rhq: line 8: invalid task ID\n"
	    "rhq: line 9: invalid task ID\n");
	ck_assert_uint_eq(standin_requests(srv), 2);
	proc_free(&p);
}
END_TEST

START_TEST(nul_byte_in_line)
{
	static const char in[] = "5\n1\0002\n3\n";
	struct proc p;

	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, in, sizeof in - 1);
	proc_finish(&p, harness_timeout());
	ck_assert_run(&p, 1, "5\tRUNNING\n1\\02\tINVALID\n3\tSUCCESS\n",
	    "rhq: line 2: invalid task ID\n");
	ck_assert_uint_eq(standin_requests(srv), 2);
	proc_free(&p);
}
END_TEST

START_TEST(megabyte_line)
{
	size_t big = 1024 * 1024, i;
	char *in = malloc(big + 16), want[600];
	struct proc p;

	for (i = 0; i < big; i++)
		in[i] = i % 2 ? '1' : 'x';
	strcpy(in + big, "\n3\n");
	proc_start(&p, NOENV, NOARGS);
	proc_write(&p, in, strlen(in));
	proc_finish(&p, harness_timeout());
	memcpy(want, in, 256);
	strcpy(want + 256, "\tINVALID\n3\tSUCCESS\n");
	ck_assert_run(&p, 1, want, "rhq: line 1: line too long\n");
	ck_assert_uint_eq(standin_requests(srv), 1);
	proc_free(&p);
	free(in);
}
END_TEST

START_TEST(long_invalid_line_is_cut)
{
	char in[1100], want[600];
	struct proc p;

	memset(in, 'a', 1000);
	strcpy(in + 1000, "\n");
	rhq_run(&p, in, NOENV, NOARGS);
	memset(want, 'a', 256);
	strcpy(want + 256, "\tINVALID\n");
	ck_assert_run(&p, 1, want, "rhq: line 1: invalid task ID\n");
	proc_free(&p);
}
END_TEST

START_TEST(ids_as_arguments)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("4", "x", "5"));
	ck_assert_run(&p, 1, "4\tQUEUED\nx\tINVALID\n5\tRUNNING\n",
	    "rhq: argument 2: invalid task ID\n");
	proc_free(&p);
}
END_TEST

START_TEST(dash_reads_stdin_in_place)
{
	struct proc p;

	rhq_run(&p, "6\n7\n", NOENV, ARGS("4", "-", "5"));
	ck_assert_run(&p, 0, "4\tQUEUED\n6\tFAILED\n7\tSUCCESS\n5\tRUNNING\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(empty_input)
{
	struct proc p;

	rhq_run(&p, "", NOENV, NOARGS);
	ck_assert_run(&p, 0, "", "");
	ck_assert_uint_eq(standin_connections(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(api_key_file)
{
	const char *f = harness_file("key", "filekey\n", 0600);
	char env[600];
	struct proc p;

	rhq_run(&p, NULL, ARGS("RUNNINGHUB_API_KEY"), ARGS("--api-key-file", f, "3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_str_eq(standin_request(srv, 0)->body,
	    "{\"apiKey\":\"filekey\",\"taskId\":\"3\"}");
	proc_free(&p);

	/* The environment variable names the file too. */
	snprintf(env, sizeof env, "RUNNINGHUB_API_KEY_FILE=%s", f);
	rhq_run(&p, NULL, ARGS("RUNNINGHUB_API_KEY", env), ARGS("3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_str_eq(standin_request(srv, 1)->authorization, "Bearer filekey");
	proc_free(&p);
}
END_TEST

START_TEST(api_key_file_readable_by_others_warns)
{
	const char *f = harness_file("key", "filekey", 0644);
	char want[700];
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: warning: %s is readable by others; chmod 600 %s\n",
	    f, f);
	ck_assert_run(&p, 0, "3\tSUCCESS\n", want);
	ck_assert_str_eq(standin_request(srv, 0)->authorization, "Bearer filekey");
	proc_free(&p);
}
END_TEST

START_TEST(api_key_file_errors)
{
	const char *f;
	char want[700];
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", "no/such/file", "3"));
	ck_assert_run(&p, 2, "", "rhq: no/such/file: No such file or directory\n");
	proc_free(&p);

	f = harness_file("empty", "\n", 0600);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: %s: the API key is empty\n", f);
	ck_assert_run(&p, 2, "", want);
	proc_free(&p);

	f = harness_file("ctl", "key\rwith\ncontrol\n", 0600);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: %s: the API key contains control characters\n", f);
	ck_assert_run(&p, 2, "", want);
	proc_free(&p);

	rhq_run(&p, NULL, ARGS("RUNNINGHUB_API_KEY=a\tb"), ARGS("3"));
	ck_assert_run(&p, 2, "",
	    "rhq: RUNNINGHUB_API_KEY: the API key contains control characters\n");
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

START_TEST(api_key_file_size_limit)
{
	char key[4100], want[700];
	const char *f;
	struct proc p;

	/* 4 KiB of key and its newline are fine; one byte more is not. */
	memset(key, 'k', 4096);
	strcpy(key + 4096, "\n");
	f = harness_file("big", key, 0600);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	proc_free(&p);
	strcpy(key + 4096, "k\n");
	f = harness_file("bigger", key, 0600);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: %s: too long for an API key\n", f);
	ck_assert_run(&p, 2, "", want);
	proc_free(&p);
}
END_TEST

START_TEST(api_key_file_odd_contents)
{
	char key[4200], want[700];
	const char *f;
	struct proc p;
	FILE *k;

	/* A NUL byte is a control character too, not the end of the key. */
	f = harness_file("nul", "", 0600);
	ck_assert_ptr_nonnull(k = fopen(f, "w"));
	ck_assert_uint_eq(fwrite("ab\0cd\n", 1, 6, k), 6);
	ck_assert_int_eq(fclose(k), 0);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: %s: the API key contains control characters\n", f);
	ck_assert_run(&p, 2, "", want);
	proc_free(&p);

	/* Text after a full-length key and its CRLF is not dropped silently. */
	memset(key, 'k', 4096);
	strcpy(key + 4096, "\r\nEXTRA\n");
	f = harness_file("extra", key, 0600);
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", f, "3"));
	snprintf(want, sizeof want, "rhq: %s: too long for an API key\n", f);
	ck_assert_run(&p, 2, "", want);
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

/* A key file that is a pipe may deliver the key in pieces. */
START_TEST(api_key_from_a_pipe)
{
	const char *f = harness_file("fifo", "", 0600);
	char path[512];
	struct proc p;
	pid_t pid;
	int fd;

	snprintf(path, sizeof path, "%s", f);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	if ((pid = fork()) == 0) {
		fd = open(path, O_WRONLY);
		if (write(fd, "abc", 3) != 3)
			_exit(1);
		usleep(200000);
		if (write(fd, "def\n", 4) != 4)
			_exit(1);
		_exit(0);
	}
	rhq_run(&p, NULL, NOENV, ARGS("--api-key-file", path, "3"));
	waitpid(pid, NULL, 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	ck_assert_str_eq(standin_request(srv, 0)->authorization, "Bearer abcdef");
	proc_free(&p);
}
END_TEST

START_TEST(no_key)
{
	struct proc p;

	rhq_run(&p, NULL, ARGS("RUNNINGHUB_API_KEY"), ARGS("3"));
	ck_assert_run(&p, 2, "", "rhq: no API key: set RUNNINGHUB_API_KEY, or put the key "
	    "in a file and use --api-key-file FILE (or RUNNINGHUB_API_KEY_FILE)\n");
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}
END_TEST

static void
assert_usage_error(const char *const argv[], const char *first_line)
{
	struct proc p;

	rhq_run(&p, "3\n", NOENV, argv);
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out_buf, "");
	ck_assert_msg(strncmp(p.err_buf, first_line, strlen(first_line)) == 0,
	    "stderr: %s", p.err_buf);
	ck_assert_ptr_nonnull(strstr(p.err_buf, "\nusage: rhq "));
	ck_assert_uint_eq(standin_requests(srv), 0);
	proc_free(&p);
}

START_TEST(usage_errors)
{
	assert_usage_error(ARGS("--no-such-option"), "rhq: unrecognized option");
	assert_usage_error(ARGS("-Z"), "rhq: invalid option -- 'Z'");
	assert_usage_error(ARGS("--timeout", "abc"), "rhq: --timeout: invalid value 'abc'");
	assert_usage_error(ARGS("--timeout", "-1"), "rhq: --timeout: invalid value '-1'");
	assert_usage_error(ARGS("--timeout", "nan"), "rhq: --timeout: invalid value 'nan'");
	assert_usage_error(ARGS("--connect-timeout", "1x"),
	    "rhq: --connect-timeout: invalid value '1x'");
	assert_usage_error(ARGS("--site", "de"), "rhq: --site: 'de' is neither cn nor ai");
	assert_usage_error(ARGS("--timeout"), "rhq: option '--timeout' requires an argument");
	assert_usage_error(ARGS("--base-url", "ftp://127.0.0.1/"),
	    "rhq: --base-url: 'ftp://127.0.0.1/': only http and https are allowed");
	assert_usage_error(ARGS("--base-url", "::"), "rhq: --base-url: '::' is not a URL");
}
END_TEST

START_TEST(decimal_timeouts_accepted)
{
	struct proc p;

	rhq_run(&p, NULL, NOENV, ARGS("--timeout", "2.5", "--connect-timeout", "0.75", "3"));
	ck_assert_run(&p, 0, "3\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(help_and_version)
{
	struct proc p;
	char want[64];

	rhq_run(&p, NULL, NOENV, ARGS("--help"));
	ck_assert_int_eq(p.status, 0);
	ck_assert(strncmp(p.out_buf, "usage: rhq [options] [ID ...]\n", 30) == 0);
	ck_assert_str_eq(p.err_buf, "");
	proc_free(&p);
	rhq_run(&p, NULL, NOENV, ARGS("-h"));
	ck_assert_int_eq(p.status, 0);
	proc_free(&p);
	snprintf(want, sizeof want, "rhq %s\n", rhq_version);
	rhq_run(&p, NULL, NOENV, ARGS("-V"));
	ck_assert_run(&p, 0, want, "");
	proc_free(&p);
	rhq_run(&p, NULL, NOENV, ARGS("--version"));
	ck_assert_run(&p, 0, want, "");
	proc_free(&p);
}
END_TEST

START_TEST(not_found_codes)
{
	struct proc p;

	rhq_run(&p, "9807\n9423\n91004\n3\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9807\tNOT_FOUND\n9423\tNOT_FOUND\n91004\tNOT_FOUND\n3\tSUCCESS\n",
	    "");
	proc_free(&p);
}
END_TEST

START_TEST(outputs_codes_are_states)
{
	struct proc p;

	rhq_run(&p, "9804\n9813\n", NOENV, NOARGS);
	ck_assert_run(&p, 0, "9804\tRUNNING\n9813\tQUEUED\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(fatal_key_codes_stop_at_once)
{
	static const char *codes[] = { "9801", "9802", "9806", "9811", "9812", "91002" };
	char in[64];
	struct proc p;
	size_t i;

	for (i = 0; i < sizeof codes / sizeof *codes; i++) {
		unsigned before = standin_requests(srv);

		snprintf(in, sizeof in, "3\n%s\n5\n", codes[i]);
		rhq_run(&p, in, NOENV, NOARGS);
		ck_assert_int_eq(p.status, 2);
		ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n");
		ck_assert_msg(strncmp(p.err_buf, "rhq: API error ", 15) == 0, "%s", p.err_buf);
		ck_assert_ptr_nonnull(strstr(p.err_buf, codes[i] + 1));
		ck_assert_uint_eq(standin_requests(srv) - before, 2);	/* 5 never asked */
		proc_free(&p);
	}
}
END_TEST

START_TEST(wrong_site_hint)
{
	struct proc p;

	rhq_run(&p, "9806\n", NOENV, NOARGS);
	ck_assert_run(&p, 2, "",
	    "rhq: API error 806 (APIKEY_USER_NOT_FOUND) for task 9806\n"
	    "rhq: a key works on one site only: a runninghub.cn key fails on runninghub.ai "
	    "and vice versa (see --site)\n");
	proc_free(&p);
}
END_TEST

START_TEST(other_codes_are_errors)
{
	struct proc p;

	rhq_run(&p, "9301\n9415\n9805\n3\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9301\tERROR\n9415\tERROR\n9805\tERROR\n3\tSUCCESS\n",
	    "rhq: 9301: API error 301 (PARAMS_INVALID)\n"
	    "rhq: 9415: API error 415 (TASK_INSTANCE_MAXED)\n"
	    "rhq: 9805: API error 805 (APIKEY_TASK_STATUS_ERROR)\n");
	proc_free(&p);
}
END_TEST

START_TEST(unicode_message_decoded)
{
	struct proc p;

	rhq_run(&p, "9888\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9888\tERROR\n",
	    "rhq: 9888: API error 888 (\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xa4\xb1\xe8\xb4\xa5)\n");
	proc_free(&p);
}
END_TEST

START_TEST(http_error_status)
{
	struct proc p;

	rhq_run(&p, "9124\n3\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9124\tERROR\n3\tSUCCESS\n", "rhq: 9124: HTTP 404\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9124"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(unparseable_reply)
{
	struct proc p;

	rhq_run(&p, "9107\n9129\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9107\tERROR\n9129\tERROR\n",
	    "rhq: 9107: unparseable reply\nrhq: 9129: unparseable reply\n");
	ck_assert_uint_eq(standin_requests_for(srv, "9107"), 1);
	proc_free(&p);
}
END_TEST

START_TEST(odd_data_is_error)
{
	struct proc p;

	rhq_run(&p, "9108\n9109\n9110\n9126\n9125\n", NOENV, NOARGS);
	ck_assert_run(&p, 1, "9108\tERROR\n9109\tERROR\n9110\tERROR\n9126\tERROR\n9125\tCANCEL\n",
	    "rhq: 9108: reply has no state (data is null)\n"
	    "rhq: 9109: reply has an unexpected state\n"
	    "rhq: 9110: reply has an unexpected state\n"
	    "rhq: 9126: reply has an unexpected state\n");
	proc_free(&p);
}
END_TEST

START_TEST(tricky_reply)
{
	struct proc p;

	rhq_run(&p, "9123\n", NOENV, NOARGS);
	ck_assert_run(&p, 0, "9123\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

START_TEST(transport_failure)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://127.0.0.1:1"),
	    ARGS("--retries", "0"));
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out_buf, "3\tERROR\n");
	ck_assert_msg(strncmp(p.err_buf, "rhq: 3: Failed to connect to 127.0.0.1 port 1 ", 46) == 0,
	    "%s", p.err_buf);
	ck_assert_uint_eq(count_lines(p.err_buf), 1);
	proc_free(&p);
}
END_TEST

START_TEST(verbose_lines)
{
	struct proc p;
	char *second;

	rhq_run(&p, "1\n2\n", ARGS("RUNNINGHUB_API_KEY=sekrit-key"), ARGS("-v"));
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out_buf, "1\tRUNNING\n2\tFAILED\n");
	ck_assert_uint_eq(count_lines(p.err_buf), 2);
	ck_assert(strncmp(p.err_buf, "rhq: 1: HTTP 200, ", 18) == 0);
	ck_assert_ptr_nonnull(strstr(p.err_buf, " s, new connection\n"));
	second = strchr(p.err_buf, '\n') + 1;
	ck_assert(strncmp(second, "rhq: 2: HTTP 200, ", 18) == 0);
	ck_assert_ptr_nonnull(strstr(second, " s, reused connection\n"));
	ck_assert_ptr_null(strstr(p.err_buf, "sekrit"));
	proc_free(&p);
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

START_TEST(failed_write_is_an_error)
{
	char url[300];
	const char *rhq = getenv("RHQ") ? getenv("RHQ") : "./rhq";
	char *argv[] = { (char *)rhq, "3", NULL };
	char *envp[] = { "RUNNINGHUB_API_KEY=testkey", url, NULL };
	int fds[2], st, fd;
	char err[512] = "";
	size_t len;
	ssize_t n;
	pid_t pid;

	snprintf(url, sizeof url, "RUNNINGHUB_BASE_URL=%s", harness_base_url);
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		fd = open("/dev/full", O_WRONLY);
		dup2(fd, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execve(rhq, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	/* Read to the end: the message may come in several writes. */
	len = 0;
	while (len < sizeof err - 1 && (n = read(fds[0], err + len, sizeof err - 1 - len)) > 0)
		len += n;
	err[len] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 2);
	ck_assert_str_eq(err, "rhq: stdout: No space left on device\n");
}
END_TEST

START_TEST(plain_http_only_to_loopback)
{
	struct proc p;

	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://example.com"), NOARGS);
	ck_assert_run(&p, 2, "", "rhq: refusing to send the API key over plain http to "
	    "example.com: use https (or --insecure-http)\n");
	proc_free(&p);
	rhq_run(&p, "3\n", ARGS("RUNNINGHUB_BASE_URL=http://localhost:1"),
	    ARGS("--retries", "0"));
	ck_assert_int_eq(p.status, 1);		/* allowed; nothing listens there */
	proc_free(&p);
}
END_TEST

/* Runs rhq with one of its standard descriptors closed, or SIGINT ignored. */
static int
run_odd(int close_fd, int ignore_int, const char *const argv[], char *err, size_t size,
    double kill_after)
{
	char url[300];
	const char *rhq = getenv("RHQ") ? getenv("RHQ") : "./rhq";
	char *args[16] = { (char *)rhq };
	char *envp[] = { "RUNNINGHUB_API_KEY=testkey", url, NULL };
	int fds[2], st, i;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	for (i = 0; argv[i] && i < 14; i++)
		args[i + 1] = (char *)argv[i];
	snprintf(url, sizeof url, "RUNNINGHUB_BASE_URL=%s", harness_base_url);
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		if (close_fd != 1)
			dup2(open("/dev/null", O_WRONLY), 1);
		if (close_fd >= 0)
			close(close_fd);
		if (ignore_int)
			signal(SIGINT, SIG_IGN);
		execve(rhq, args, envp);
		_exit(127);
	}
	close(fds[1]);
	if (kill_after > 0) {
		usleep(kill_after * 1e6);
		kill(pid, SIGINT);
	}
	while (len < size - 1 && (n = read(fds[0], err + len, size - 1 - len)) > 0)
		len += n;
	err[len] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(closed_stdin_is_empty)
{
	char err[512];

	ck_assert_int_eq(run_odd(0, 0, ARGS("-s"), err, sizeof err, 0), 0);
	ck_assert_str_eq(err, "rhq: 0 tasks\n");
}
END_TEST

START_TEST(closed_stdout_is_refused)
{
	char err[512];

	ck_assert_int_eq(run_odd(1, 0, ARGS("3"), err, sizeof err, 0), 2);
	ck_assert_str_eq(err, "rhq: stdout is closed\n");
	ck_assert_uint_eq(standin_requests(srv), 0);
}
END_TEST

START_TEST(ignored_sigint_stays_ignored)
{
	char err[512];

	/* Interrupted 0.3 s in, it must go on to its deadline (exit 3). */
	ck_assert_int_eq(run_odd(-1, 1, ARGS("--wait", "--interval", "0.05", "--deadline",
	    "1", "9122"), err, sizeof err, 0.3), 3);
	ck_assert_str_eq(err, "rhq: deadline reached with 1 task unfinished\n");
}
END_TEST

START_TEST(json_rows_for_hostile_lines)
{
	char in[1024], want[4096], *w = want;
	struct proc p;
	int i;

	/* Control bytes grow six-fold when escaped; invalid bytes become U+FFFD. */
	for (i = 0; i < 100; i++)
		memcpy(in + 3 * i, "ab\001", 3);
	in[300] = '\n';
	memset(in + 301, 0xff, 256);
	strcpy(in + 557, "\n");
	w += sprintf(w, "{\"id\":\"");
	for (i = 0; i < 85; i++)
		w += sprintf(w, "ab\\u0001");
	w += sprintf(w, "a\",\"state\":\"INVALID\"}\n{\"id\":\"");
	for (i = 0; i < 256; i++)
		w += sprintf(w, "\xef\xbf\xbd");
	sprintf(w, "\",\"state\":\"INVALID\"}\n");
	rhq_run(&p, in, NOENV, ARGS("--json"));
	ck_assert_run(&p, 1, want, "rhq: line 1: invalid task ID\nrhq: line 2: invalid task ID\n");
	proc_free(&p);
}
END_TEST

START_TEST(json_append_invalid_shows_field)
{
	struct proc p;

	rhq_run(&p, "job4,abc,x\r\n", NOENV, ARGS("--json", "-a", "-f", "2", "-d", ","));
	ck_assert_run(&p, 1, "{\"id\":\"abc\",\"state\":\"INVALID\",\"record\":\"job4,abc,x\"}\n",
	    "rhq: line 1: invalid task ID\n");
	proc_free(&p);
}
END_TEST

/*
 * Every long option in --help must be findable in the man page and the
 * completions.  The README points at the man page instead of listing them.
 */
START_TEST(options_documented)
{
	static const char *files[] = { "rhq.1", "completions/rhq.bash",
	    "completions/_rhq", "completions/rhq.fish" };
	struct proc p;
	char *s, *e, name[64], pat[80], *text;
	size_t i, n = 0;
	FILE *f;
	long len;

	rhq_run(&p, NULL, NOENV, ARGS("--help"));
	ck_assert_int_eq(p.status, 0);
	for (s = p.out_buf; (s = strstr(s, " --")) != NULL; s = e) {
		s += 3;
		for (e = s; (*e >= 'a' && *e <= 'z') || *e == '-'; e++)
			;
		snprintf(name, sizeof name, "%.*s", (int)(e - s), s);
		n++;
		for (i = 0; i < sizeof files / sizeof *files; i++) {
			ck_assert_ptr_nonnull(f = fopen(files[i], "r"));
			fseek(f, 0, SEEK_END);
			len = ftell(f);
			rewind(f);
			text = calloc(1, len + 1);
			ck_assert_int_eq(fread(text, 1, len, f), len);
			fclose(f);
			if (strcmp(files[i], "rhq.1") == 0)
				snprintf(pat, sizeof pat, "Fl \\-%s", name);
			else if (strstr(files[i], ".fish"))
				snprintf(pat, sizeof pat, "-l %s ", name);
			else
				snprintf(pat, sizeof pat, "--%s", name);
			ck_assert_msg(strstr(text, pat) != NULL, "--%s missing from %s", name,
			    files[i]);
			free(text);
		}
	}
	ck_assert_uint_ge(n, 20);
	proc_free(&p);
}
END_TEST

Suite *
system_suite(void)
{
	Suite *s = suite_create("system");
	TCase *tc = server_tcase("core");

	tcase_add_test(tc, many_ids_one_connection);
	tcase_add_test(tc, request_bytes);
	tcase_add_test(tc, key_is_json_escaped);
	tcase_add_test(tc, base_url_trailing_slash);
	tcase_add_test(tc, bad_lines_are_invalid_and_not_sent);
	tcase_add_test(tc, nul_byte_in_line);
	tcase_add_test(tc, megabyte_line);
	tcase_add_test(tc, long_invalid_line_is_cut);
	tcase_add_test(tc, ids_as_arguments);
	tcase_add_test(tc, dash_reads_stdin_in_place);
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, api_key_file);
	tcase_add_test(tc, api_key_file_readable_by_others_warns);
	tcase_add_test(tc, api_key_file_errors);
	tcase_add_test(tc, api_key_file_size_limit);
	tcase_add_test(tc, api_key_file_odd_contents);
	tcase_add_test(tc, api_key_from_a_pipe);
	tcase_add_test(tc, no_key);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, decimal_timeouts_accepted);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, not_found_codes);
	tcase_add_test(tc, outputs_codes_are_states);
	tcase_add_test(tc, fatal_key_codes_stop_at_once);
	tcase_add_test(tc, wrong_site_hint);
	tcase_add_test(tc, other_codes_are_errors);
	tcase_add_test(tc, unicode_message_decoded);
	tcase_add_test(tc, http_error_status);
	tcase_add_test(tc, unparseable_reply);
	tcase_add_test(tc, odd_data_is_error);
	tcase_add_test(tc, tricky_reply);
	tcase_add_test(tc, transport_failure);
	tcase_add_test(tc, verbose_lines);
	tcase_add_test(tc, rows_stream_while_input_is_open);
	tcase_add_test(tc, failed_write_is_an_error);
	tcase_add_test(tc, plain_http_only_to_loopback);
	tcase_add_test(tc, options_documented);
	tcase_add_test(tc, closed_stdin_is_empty);
	tcase_add_test(tc, closed_stdout_is_refused);
	tcase_add_test(tc, ignored_sigint_stays_ignored);
	tcase_add_test(tc, json_rows_for_hostile_lines);
	tcase_add_test(tc, json_append_invalid_shows_field);
	suite_add_tcase(s, tc);
	return s;
}
