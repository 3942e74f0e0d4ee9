/*
 * System tests of the state file (issue 15): --state FILE and RHQ_STATE,
 * --refresh, --state-max-age.  A run that asks the stand-in fills FILE; a
 * second run must then write the same rows, byte for byte, without a
 * request.  And FILE must survive what cron runs go through: two runs at
 * once, a SIGKILL, a torn last line, a full disk.
 *
 * Each test has a state file of its own in its temporary directory:
 * state_path() names it, new_state() makes it.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"

#define HEADER		"{\"rhq_state\":1}\n"
#define WAIT		"--wait", "--interval", "0.05"
#define V2		"--api", "v2"
#define MAX_ARGS	32

/* ----------------------------------------------------------------- helpers */

static char state[512];

/* The path of this test's state file, which new_state() named. */
static const char *
state_path(void)
{
	ck_assert(state[0] != '\0');
	return state;
}

/* Makes the state file with this text; NULL: no file at all. */
static const char *
new_state(const char *text)
{
	state[0] = '\0';
	snprintf(state, sizeof state, "%s", harness_file("state", text ? text : "", 0, 0600));
	if (text == NULL)
		ck_assert_int_eq(unlink(state), 0);
	return state;
}

/* The state file's text (free it); it must be there. */
static char *
state_text(void)
{
	char *text = file_text(state_path());

	ck_assert_msg(text != NULL, "%s: %s", state_path(), strerror(errno));
	return text;
}

/* How many lines the state file has. */
static size_t
state_lines(void)
{
	char *text = state_text();
	size_t n = count_lines(text);

	free(text);
	return n;
}

/* An entry of the state file, learned `age` seconds ago. */
static void
entry(char *buf, size_t size, const char *id, const char *st, long age)
{
	snprintf(buf, size, "{\"id\":\"%s\",\"state\":\"%s\",\"learned\":%lld,\"api\":\"v1\","
	    "\"code\":0,\"msg\":\"success\"}\n", id, st, (long long)time(NULL) - age);
}

/* argv with "--state FILE" in front, in args (MAX_ARGS of them). */
static const char *const *
with_state(const char *args[MAX_ARGS], const char *const argv[])
{
	int n = 0;

	args[n++] = "--state";
	args[n++] = state_path();
	for (; argv != NULL && *argv != NULL && n < MAX_ARGS - 1; argv++)
		args[n++] = *argv;
	args[n] = NULL;
	return args;
}

/*
 * Runs rhq to the end with these arguments and stdin (NULL: none), with
 * --state FILE in front unless bare; returns the requests it made.
 */
static unsigned
run(struct proc *p, int bare, const char *in, const char *const env[],
    const char *const argv[])
{
	const char *args[MAX_ARGS];
	unsigned before = standin_requests(srv);

	rhq_run(p, in, env, bare ? argv : with_state(args, argv));
	return standin_requests(srv) - before;
}

/* Asserts that two runs ended alike: status, stdout and stderr. */
static void
assert_same_run(const char *name, const struct proc *a, const struct proc *b)
{
	ck_assert_msg(a->status == b->status, "%s: exit status %d, then %d; stderr:\n%s",
	    name, a->status, b->status, b->err_buf);
	ck_assert_msg(strcmp(a->out_buf, b->out_buf) == 0, "%s: stdout was:\n%s\nthen:\n%s",
	    name, a->out_buf, b->out_buf);
	ck_assert_msg(strcmp(a->err_buf, b->err_buf) == 0, "%s: stderr was:\n%s\nthen:\n%s",
	    name, a->err_buf, b->err_buf);
}

/* -------------------------------------------- rows from FILE, in each mode */

/*
 * Each mode twice: the first run asks and fills FILE, the second writes
 * the same rows from FILE and asks only for the tasks that were not final
 * (again of them), and appends nothing.
 */
static const struct twice {
	const char *name;
	const char *const *argv;
	const char *in;			/* stdin (NULL: none)... */
	size_t in_len;			/* ...and its length, when it holds NUL bytes */
	unsigned again;
} twice[] = {
	{ "TSV: unfinished, unknown and bad rows are asked again",
	  ARGS("3", "1", "4", ID_CODE_807, ID_CODE_301, "2", ID_CANCEL, "x"), NULL, 0, 5 },
	{ "-o -j 4", ARGS("-o", "-j", "4", ID_ONE_FILE, ID_MANY_FILES, "2", "1", ID_NO_OUTPUTS,
	      ID_FAILED, "7", ID_HOSTILE_REASON), NULL, 0, 1 },
	{ "--json", ARGS("--json", "3", "2", ID_TRICKY), NULL, 0, 0 },
	{ "--json -o --traceback", ARGS("--json", "-o", "--traceback", ID_FAILED, "2",
	      ID_HOSTILE_REASON, "3"), NULL, 0, 0 },
	{ "-a -f 2", ARGS("-a", "-f", "2"), "job1\t3\r\njob2\t2\nlonely\n", 0, 0 },
	{ "--json -o -a -f 2 -d ,", ARGS("--json", "-o", "-a", "-f", "2", "-d", ","),
	  "a," ID_MANY_FILES ",x\nb,2\n", 0, 0 },
	/* Finished in input order, as the rows from FILE come. */
	{ "--wait", ARGS(WAIT, "3", "2", ID_THEN_SUCCESS), NULL, 0, 0 },
	{ "--wait -o --json", ARGS(WAIT, "-o", "--json", ID_WAIT_SUCCESS, ID_WAIT_FAILED), NULL,
	  0, 0 },
	{ "v2 -o", ARGS(V2, "-o", ID_ONE_FILE, ID_MANY_FILES, ID_TEXT_OUTPUT, ID_NO_OUTPUTS,
	      ID_FAILED, ID_HOSTILE_REASON, ID_V2_FAILED_CODE, ID_V2_NULLS), NULL, 0, 0 },
	{ "v2 --json -o --traceback", ARGS(V2, "--json", "-o", "--traceback", ID_TEXT_OUTPUT,
	      ID_FAILED, ID_V2_NULLS, ID_V2_FAILED_CODE, ID_HOSTILE_REASON, "1"), NULL, 0, 1 },
};

START_TEST(same_rows_from_file)
{
	const struct twice *c = &twice[_i];
	size_t in_len = c->in_len ? c->in_len : c->in ? strlen(c->in) : 0;
	const char *args[MAX_ARGS];
	struct proc a, b;
	unsigned before;
	char *filled, *after;

	new_state(NULL);
	before = standin_requests(srv);
	proc_start(&a, NOENV, with_state(args, c->argv));
	if (c->in != NULL)
		proc_write(&a, c->in, in_len);
	proc_finish(&a, harness_timeout());
	ck_assert_msg(standin_requests(srv) - before > c->again, "%s: the first run asked "
	    "nothing", c->name);
	filled = state_text();
	ck_assert_msg(strncmp(filled, HEADER, strlen(HEADER)) == 0, "%s: FILE is:\n%s", c->name,
	    filled);
	assert_json_lines(filled);

	before = standin_requests(srv);
	proc_start(&b, NOENV, with_state(args, c->argv));
	if (c->in != NULL)
		proc_write(&b, c->in, in_len);
	proc_finish(&b, harness_timeout());
	assert_same_run(c->name, &a, &b);
	ck_assert_msg(standin_requests(srv) - before == c->again, "%s: %u requests from FILE, "
	    "want %u", c->name, standin_requests(srv) - before, c->again);
	after = state_text();
	ck_assert_msg(strcmp(filled, after) == 0, "%s: FILE was:\n%s\nthen:\n%s", c->name,
	    filled, after);
	free(filled);
	free(after);
	proc_free(&a);
	proc_free(&b);
}
END_TEST

/*
 * What one mode stored, read by another: its rows are those of a run
 * without FILE, and nothing is asked unless the entry lacks what the mode
 * needs (asked: the requests for that).
 */
static const struct across {
	const char *name;
	const char *const *fill, *const *use;
	unsigned asked;
} across[] = {
	{ "-o, then --json: the status reply's code and msg",
	  ARGS("-o", "3", ID_FAILED, ID_NO_OUTPUTS), ARGS("--json", "3", ID_FAILED, ID_NO_OUTPUTS),
	  0 },
	{ "--json -o --traceback, then -o", ARGS("--json", "-o", "--traceback", ID_FAILED, "3"),
	  ARGS("-o", ID_FAILED, "3"), 0 },
	{ "TSV, then -o: asked again for the outputs", ARGS("3", "2"), ARGS("-o", "3", "2"),
	  4 },
	{ "--json -o, then --traceback: a failure asked again",
	  ARGS("--json", "-o", ID_FAILED, "3"), ARGS("--json", "-o", "--traceback", ID_FAILED, "3"),
	  2 },
	{ "v1, then v2: the other API's entries are not used", ARGS("3", "2"),
	  ARGS(V2, "3", "2"), 2 },
};

START_TEST(rows_across_modes)
{
	const struct across *c = &across[_i];
	struct proc fill, use, plain;
	unsigned n;

	new_state(NULL);
	ck_assert_uint_gt(run(&fill, 0, NULL, NOENV, c->fill), 0);
	ck_assert_int_eq(fill.status, 0);
	n = run(&use, 0, NULL, NOENV, c->use);
	ck_assert_msg(n == c->asked, "%s: %u requests, want %u", c->name, n, c->asked);
	run(&plain, 1, NULL, NOENV, c->use);
	assert_same_run(c->name, &plain, &use);
	/* What was asked again is kept: a third run asks nothing. */
	if (c->asked > 0) {
		proc_free(&use);
		ck_assert_uint_eq(run(&use, 0, NULL, NOENV, c->use), 0);
		assert_same_run(c->name, &plain, &use);
	}
	proc_free(&fill);
	proc_free(&use);
	proc_free(&plain);
}
END_TEST

/* ------------------------------------------------ what is kept, and when */

/* Only SUCCESS and FAILED as the API said them: FILE keeps nothing else. */
static const struct row not_kept[] = {
	{ .name = "RUNNING, QUEUED, NOT_FOUND, ERROR, CANCEL, INVALID are not kept",
	  .argv = ARGS("--state", "%FILE", "--retries", "1", "--retry-delay", "0.01", "1", "4",
	      ID_CODE_807, ID_CODE_301, ID_ALWAYS_503, ID_CANCEL, "x"),
	  .file = { "state", "", 0600 }, .status = 1,
	  .out = "1\tRUNNING\n4\tQUEUED\n" ID_CODE_807 "\tNOT_FOUND\n" ID_CODE_301 "\tERROR\n"
	      ID_ALWAYS_503 "\tERROR\n" ID_CANCEL "\tCANCEL\nx\tINVALID\n",
	  .err = "rhq: " ID_CODE_301 ": API error 301 (PARAMS_INVALID)\n"
	      "rhq: " ID_ALWAYS_503 ": HTTP 503\nrhq: argument 7: invalid task ID\n",
	  .requests = 7 },
	/* The status said SUCCESS, but the deadline came before the outputs. */
	{ .name = "a row given up at the deadline is not kept", .warp = 1,
	  .argv = ARGS("--state", "%FILE", "-o", WAIT, "--deadline", "0.5", "--retry-delay",
	      "0.01", ID_OUTPUTS_NEVER),
	  .file = { "state", "", 0600 }, .status = 3, .out = ID_OUTPUTS_NEVER "\tSUCCESS\t\n",
	  .err = "rhq: deadline reached with 1 task unfinished\n", .requests = 2,
	  .requests_max = 40 },
};

START_TEST(nothing_but_final_states)
{
	char *text;

	new_state("");
	run_row(&not_kept[_i]);
	text = state_text();
	ck_assert_str_eq(text, HEADER);
	free(text);
}
END_TEST

/* --refresh asks every ID and keeps what it learns; a run after it asks nothing. */
START_TEST(refresh_asks_again)
{
	struct proc p;

	new_state(NULL);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 2);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("--refresh", "3", "2", "1")), 3);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n1\tRUNNING\n", "");
	ck_assert_uint_eq(state_lines(), 5);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

/*
 * More dead lines than live ones: at the end of the run FILE is rewritten
 * with the live ones, in their order, keeping its mode; a symbolic link to
 * it stays a link.
 */
START_TEST(compaction)
{
	char link[600], *text;
	struct stat st;
	struct proc p;

	new_state(NULL);
	snprintf(link, sizeof link, "%s.link", state_path());
	ck_assert_int_eq(symlink(state_path(), link), 0);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2", "7")), 3);
	proc_free(&p);
	ck_assert_int_eq(chmod(state_path(), 0640), 0);
	/* 3 live, 3 dead: kept as it is. */
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("--refresh", "2", "7", "3")), 3);
	ck_assert_uint_eq(state_lines(), 7);
	proc_free(&p);
	/* 3 live, 6 dead, through the link, with -v. */
	rhq_run(&p, NULL, NOENV, ARGS("--state", link, "-v", "--refresh", "3", "7"));
	ck_assert_int_eq(p.status, 0);
	assert_lines(p.err_buf, ARGS("rhq: 3: HTTP 200, * connection",
	    "rhq: 7: HTTP 200, * connection",
	    "rhq: *.link: 0 rows answered from it, 2 learned; 2 requests sent",
	    "rhq: *.link: compacted: 3 lines kept of 8"));
	proc_free(&p);
	text = state_text();
	ck_assert_uint_eq(count_lines(text), 4);
	ck_assert(strncmp(text, HEADER, strlen(HEADER)) == 0);
	/* The order they were learned in: 2 from the first refresh, then 3 and 7. */
	ck_assert_ptr_nonnull(strstr(text, HEADER "{\"id\":\"2\","));
	ck_assert(strstr(text, "\"id\":\"3\"") < strstr(text, "\"id\":\"7\""));
	free(text);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(state_path(), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2", "7")), 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n7\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

/* Entries older than --state-max-age are unknown: asked again, and kept anew. */
START_TEST(max_age)
{
	char text[1024], e[256];
	struct proc p;

	entry(e, sizeof e, "3", "SUCCESS", 1000);
	snprintf(text, sizeof text, HEADER "%s", e);
	entry(e, sizeof e, "2", "FAILED", 10);
	strcat(text, e);
	new_state(text);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("--state-max-age", "2000", "3", "2")), 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("--state-max-age", "500", "3", "2")), 1);
	ck_assert_uint_eq(standin_requests_for(srv, "3"), 1);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("--state-max-age", "500", "3", "2")), 0);
	proc_free(&p);
	/* Without the option, the old entry would have done. */
	ck_assert_uint_eq(state_lines(), 4);
}
END_TEST

/* RHQ_STATE names FILE; --state beats it. */
START_TEST(from_the_environment)
{
	char var[600], other[600];
	struct proc p;

	new_state(NULL);
	snprintf(var, sizeof var, "RHQ_STATE=%s", state_path());
	snprintf(other, sizeof other, "%s.other", state_path());
	ck_assert_uint_eq(run(&p, 1, NULL, ARGS(var), ARGS("3", "2")), 2);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 1, NULL, ARGS(var), ARGS("-s", "3", "2")), 0);
	ck_assert_msg(strstr(p.err_buf, "; 2 from ") != NULL, "%s", p.err_buf);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 1, NULL, ARGS(var), ARGS("--state", other, "3", "2")), 2);
	proc_free(&p);
	ck_assert_uint_eq(state_lines(), 3);
}
END_TEST

/* --summary and -v say how many rows came from FILE and how many requests went. */
START_TEST(summary_and_verbose)
{
	char want[1024], verbose[1024];
	struct proc p;

	new_state(NULL);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("-s", "3", "2", "1")), 3);
	snprintf(want, sizeof want, "rhq: 3 tasks: 1 RUNNING, 1 FAILED, 1 SUCCESS; "
	    "0 from %s, 3 requests\n", state_path());
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n1\tRUNNING\n", want);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("-s", "-v", "3", "2", "1")), 1);
	ck_assert_int_eq(p.status, 0);
	snprintf(want, sizeof want, "rhq: 3 tasks: 1 RUNNING, 1 FAILED, 1 SUCCESS; "
	    "2 from %s, 1 request", state_path());
	snprintf(verbose, sizeof verbose, "rhq: %s: 2 rows answered from it, 0 learned; "
	    "1 request sent", state_path());
	assert_lines(p.err_buf, ARGS("rhq: 1: HTTP 200, * connection", want, verbose));
	proc_free(&p);
}
END_TEST

/* ------------------------------------------------------- the 99% case */

/*
 * 100,000 final tasks (20,000 under a wrapper), 99% of them in FILE:
 * exactly the other 1% are asked, and then kept.
 */
START_TEST(ninety_nine_percent)
{
	const unsigned long first = 1904152026220000000;	/* a multiple of 4 */
	int n = slack(1) > 1 ? 20000 : 100000, i, asked = n / 100;
	size_t size = (size_t)n * 128;
	char *text = malloc(size), *in = malloc(size), *want = malloc(size);
	char *t = text, *w = want, *s = in;
	long long now = time(NULL);
	unsigned long id;
	struct proc p;

	ck_assert(text != NULL && in != NULL && want != NULL);
	t = stpcpy(t, HEADER);
	for (i = 0; i < n; i++) {
		/* 2 and 3 modulo 4: FAILED and SUCCESS. */
		id = first + 4 * (i / 2) + 2 + i % 2;
		s += sprintf(s, "%lu\n", id);
		w += sprintf(w, "%lu\t%s\n", id, i % 2 ? "SUCCESS" : "FAILED");
		if (i % 100 != 50)
			t += sprintf(t, "{\"id\":\"%lu\",\"state\":\"%s\",\"learned\":%lld,"
			    "\"api\":\"v1\",\"code\":0,\"msg\":\"success\"}\n", id,
			    i % 2 ? "SUCCESS" : "FAILED", now);
	}
	new_state(text);
	ck_assert_uint_eq(run(&p, 0, in, NOENV, NOARGS), (unsigned)asked);
	ck_assert_run(&p, 0, want, "");
	ck_assert_uint_eq(state_lines(), (size_t)n + 1);
	proc_free(&p);
	ck_assert_uint_eq(run(&p, 0, in, NOENV, NOARGS), 0);
	proc_free(&p);
	free(text);
	free(in);
	free(want);
}
END_TEST

/* ----------------------------------------------------- two runs at once */

/* Another process holds the lock: rhq waits 10 s (on its own clock), then gives up. */
START_TEST(lock_held_by_another)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const char *args[MAX_ARGS];
	char want[1024], *text;
	struct proc p;
	double took;
	int fd;

	new_state(HEADER);
	ck_assert_int_ge(fd = open(state_path(), O_RDWR), 0);
	ck_assert_int_eq(fcntl(fd, F_SETLK, &lock), 0);
	took = rhq_run_warped(&p, NULL, 0, NOENV, with_state(args, ARGS("3")));
	snprintf(want, sizeof want, "rhq: %s: in use by another rhq (pid %ld); giving up "
	    "after 10 s\n", state_path(), (long)getpid());
	ck_assert_run(&p, 2, "", want);
	ck_assert_msg(took > 9.999 && took < 10.5, "gave up after %.3f s of its time", took);
	ck_assert_uint_eq(standin_requests(srv), 0);
	close(fd);
	text = state_text();
	ck_assert_str_eq(text, HEADER);
	free(text);
	proc_free(&p);
}
END_TEST

/*
 * The holder of the lock replaces FILE, as a compaction does, while rhq
 * waits: rhq then reads and writes the new file, not the one it waited on.
 */
START_TEST(lock_then_replaced)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char text[1024], e[256], fresh[600], *after;
	const char *args[MAX_ARGS];
	struct proc p;
	int fd;

	new_state(HEADER);
	entry(e, sizeof e, "3", "SUCCESS", 0);
	snprintf(text, sizeof text, HEADER "%s", e);
	snprintf(fresh, sizeof fresh, "%s", harness_file("state.new", text, 0, 0600));
	ck_assert_int_ge(fd = open(state_path(), O_RDWR), 0);
	ck_assert_int_eq(fcntl(fd, F_SETLK, &lock), 0);
	proc_start(&p, NOENV, with_state(args, ARGS("-v", "3", "2")));
	ck_assert_msg(proc_wait_err(&p, "waiting up to 10 s\n", harness_timeout() / 2),
	    "rhq did not wait: %s", p.err_buf);
	ck_assert_int_eq(rename(fresh, state_path()), 0);
	close(fd);
	proc_finish(&p, harness_timeout());
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n2\tFAILED\n");
	ck_assert_uint_eq(standin_requests(srv), 1);
	after = state_text();
	ck_assert_uint_eq(count_lines(after), 3);
	ck_assert(strncmp(after, text, strlen(text)) == 0);
	free(after);
	proc_free(&p);
}
END_TEST

/* Is FILE locked (by another process)? */
static int
locked(void)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(state_path(), O_RDWR), ret;

	if (fd < 0)
		return 0;
	ret = fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
	close(fd);
	return ret;
}

/*
 * Two runs at once: the second waits for the first, then both finish, and
 * FILE keeps every entry of both.
 */
START_TEST(two_runs_at_once)
{
	const char *args[MAX_ARGS], *args2[MAX_ARGS];
	double end = clock_now() + harness_timeout();
	char waiting[600];
	struct proc a, b;

	new_state(NULL);
	/* The first holds the lock from its start, and waits for its input. */
	proc_start(&a, NOENV, with_state(args, NOARGS));
	while (!locked() && clock_now() < end)
		nap(0.005);
	ck_assert_msg(locked(), "the first run took no lock");
	proc_start(&b, NOENV, with_state(args2, ARGS("-v", "6", "7", "1")));
	snprintf(waiting, sizeof waiting, "rhq: %s: in use by another rhq (pid %ld); waiting "
	    "up to 10 s\n", state_path(), (long)a.pid);
	ck_assert_msg(proc_wait_err(&b, waiting, harness_timeout() / 2),
	    "the second run did not wait: %s", b.err_buf);
	proc_write(&a, "3\n2\n5\n", 6);
	proc_finish(&a, harness_timeout());
	proc_finish(&b, harness_timeout());
	ck_assert_run(&a, 0, "3\tSUCCESS\n2\tFAILED\n5\tRUNNING\n", "");
	ck_assert_int_eq(b.status, 0);
	ck_assert_str_eq(b.out_buf, "6\tFAILED\n7\tSUCCESS\n1\tRUNNING\n");
	ck_assert(strncmp(b.err_buf, waiting, strlen(waiting)) == 0);
	proc_free(&a);
	proc_free(&b);
	ck_assert_uint_eq(state_lines(), 5);
	ck_assert_uint_eq(run(&a, 0, NULL, NOENV, ARGS("3", "2", "6", "7")), 0);
	ck_assert_run(&a, 0, "3\tSUCCESS\n2\tFAILED\n6\tFAILED\n7\tSUCCESS\n", "");
	proc_free(&a);
}
END_TEST

/* ---------------------------------------------------- nothing is lost */

/* A --wait run killed with SIGKILL keeps every entry it wrote before. */
START_TEST(sigkill_mid_run)
{
	const char *args[MAX_ARGS];
	struct proc p;
	char *text;

	new_state(NULL);
	proc_start(&p, NOENV, with_state(args, ARGS(WAIT, "3", ID_RUNNING, "2", "7")));
	ck_assert(proc_wait_lines(&p, 3, harness_timeout() / 2));
	ck_assert_int_eq(kill(p.pid, SIGKILL), 0);
	proc_finish(&p, harness_timeout());
	ck_assert_int_eq(p.status, 128 + SIGKILL);
	ck_assert_str_eq(p.out_buf, "3\tSUCCESS\n2\tFAILED\n7\tSUCCESS\n");
	proc_free(&p);
	text = state_text();
	ck_assert_uint_eq(count_lines(text), 4);
	ck_assert(text[strlen(text) - 1] == '\n');
	free(text);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("7", "2", "3")), 0);
	ck_assert_run(&p, 0, "7\tSUCCESS\n2\tFAILED\n3\tSUCCESS\n", "");
	proc_free(&p);
}
END_TEST

/* A last line torn by a crash is named, skipped and cut off; what follows is whole. */
START_TEST(torn_last_line)
{
	char text[1024], e[256], want[1024], *after;
	struct proc p;

	entry(e, sizeof e, "3", "SUCCESS", 0);
	snprintf(text, sizeof text, HEADER "%s{\"id\":\"2\",\"state\":\"FAI", e);
	new_state(text);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 1);
	snprintf(want, sizeof want, "rhq: %s:3: truncated line; skipped\n", state_path());
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", want);
	proc_free(&p);
	after = state_text();
	ck_assert_uint_eq(count_lines(after), 3);
	ck_assert(strncmp(after, text, strlen(HEADER) + strlen(e)) == 0);
	ck_assert_ptr_nonnull(strstr(after, "\n{\"id\":\"2\",\"state\":\"FAILED\","));
	free(after);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

/* A bad line, and what rhq says of it: it is skipped, never taken for a state. */
/* An entry of 3 whose members after "id" are these. */
#define E3(rest)	"{\"id\":\"3\"," rest "}"
#define GOOD		"\"state\":\"SUCCESS\",\"learned\":1,\"api\":\"v1\""

static const struct bad_line {
	const char *line, *why;
} bad_lines[] = {
	{ "garbage", "not a JSON object" },
	{ "", "empty line" },
	{ E3(GOOD ","), "not a JSON object" },
	{ E3(GOOD) " x", "not a JSON object" },
	{ "[\"3\",\"SUCCESS\"]", "not a JSON object" },
	{ "{" GOOD "}", "no \"id\"" },
	{ E3("\"learned\":1,\"api\":\"v1\""), "no \"state\"" },
	{ E3("\"state\":\"SUCCESS\",\"api\":\"v1\""), "no \"learned\"" },
	{ E3("\"state\":\"SUCCESS\",\"learned\":1"), "no \"api\"" },
	{ "{\"id\":\"x3\"," GOOD "}", "\"id\" is not a task ID" },
	{ "{\"id\":3," GOOD "}", "\"id\" is not a string" },
	{ E3("\"state\":\"RUNNING\",\"learned\":1,\"api\":\"v1\""),
	  "\"state\" is neither SUCCESS nor FAILED" },
	{ E3("\"state\":\"SUCCESS\",\"learned\":1,\"api\":\"v3\""),
	  "\"api\" is neither v1 nor v2" },
	{ E3("\"state\":\"SUCCESS\",\"learned\":1.5,\"api\":\"v1\""),
	  "\"learned\" is not a whole number" },
	{ E3("\"state\":\"SUCCESS\",\"learned\":-1,\"api\":\"v1\""),
	  "\"learned\" is not a time" },
	{ E3(GOOD ",\"msg\":7"), "\"msg\" is not a string" },
	{ E3(GOOD ",\"outputs\":{}"), "\"outputs\" is not a list of objects of strings" },
	{ E3(GOOD ",\"outputs\":[{\"url\":1}]"),
	  "\"outputs\" is not a list of objects of strings" },
	{ E3(GOOD ",\"reason\":[]"), "\"reason\" is not an object of strings" },
};

#define BAD_A_FILE	10	/* rhq names the first ten bad lines of a file */

/*
 * Bad lines, ten of the table in a file, each line N for 3 (or line 2,
 * which comes first), then a good entry of 2: each is named and skipped (3
 * is asked), and the file is compacted, so the next run is silent.
 */
START_TEST(bad_lines_skipped)
{
	char text[8192], *t = text, e[256], want[4096], *w = want;
	size_t i, first = _i * BAD_A_FILE, line = 2;
	struct proc p;

	new_state("");
	t = stpcpy(t, HEADER);
	for (i = first; i < NELEM(bad_lines) && i < first + BAD_A_FILE; i++) {
		t += sprintf(t, "%s\n", bad_lines[i].line);
		w += sprintf(w, "rhq: %s:%zu: %s; skipped\n", state_path(), line++,
		    bad_lines[i].why);
	}
	entry(e, sizeof e, "2", "FAILED", 0);
	strcpy(t, e);
	new_state(text);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 1);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", want);
	proc_free(&p);
	ck_assert_uint_eq(state_lines(), 3);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2")), 0);
	ck_assert_run(&p, 0, "3\tSUCCESS\n2\tFAILED\n", "");
	proc_free(&p);
}
END_TEST

/* Many bad lines: the first ten are named, the others counted. */
START_TEST(many_bad_lines)
{
	char text[4096], *t = text;
	struct proc p;
	int i;

	t = stpcpy(t, HEADER);
	for (i = 0; i < 25; i++)
		t = stpcpy(t, "bad\n");
	new_state(text);
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3")), 1);
	ck_assert_int_eq(p.status, 0);
	assert_lines(p.err_buf, ARGS("rhq: *:2: not a JSON object; skipped",
	    "rhq: *:3: *", "rhq: *:4: *", "rhq: *:5: *", "rhq: *:6: *", "rhq: *:7: *",
	    "rhq: *:8: *", "rhq: *:9: *", "rhq: *:10: *", "rhq: *:11: *",
	    "rhq: *: 15 more bad lines skipped"));
	proc_free(&p);
	ck_assert_uint_eq(state_lines(), 2);
}
END_TEST

/* --------------------------------------- files rhq cannot use: exit 2 */

/* A file rhq did not write, and what rhq says of it. */
static const struct foreign {
	const char *text, *why;
} foreign[] = {
	{ "hello\n", "not an rhq state file" },
	{ "hello", "not an rhq state file" },
	{ "{\"a\":1}\n{\"id\":\"3\"}\n", "not an rhq state file" },
	{ "{\"rhq_state\":\"1\"}\n", "not an rhq state file" },
	{ "{\"id\":\"3\",\"state\":\"SUCCESS\",\"learned\":1,\"api\":\"v1\"}\n",
	  "not an rhq state file" },
	{ "{\"rhq_state\":2}\n{\"id\":\"3\",\"new\":true}\n",
	  "state file version 2 is newer than this rhq reads (1)" },
};

/* Exit 2 before any request, and the file is left as it was: not cut, not written to. */
START_TEST(foreign_file_untouched)
{
	const struct foreign *c = &foreign[_i];
	char want[1024], *text;
	struct proc p;

	new_state(c->text);
	ck_assert_uint_eq(run(&p, 0, "3\n", NOENV, NOARGS), 0);
	snprintf(want, sizeof want, "rhq: %s: %s\n", state_path(), c->why);
	ck_assert_run(&p, 2, "", want);
	proc_free(&p);
	text = state_text();
	ck_assert_str_eq(text, c->text);
	free(text);
}
END_TEST

static const struct row unusable[] = {
	{ .name = "a directory", .argv = ARGS("--state", "/", "3"), .status = 2,
	  .err = "rhq: /: Is a directory\n" },
	{ .name = "in a directory that is not there",
	  .argv = ARGS("--state", "%FILE.d/state", "3"), .file = { "state", "", 0600 },
	  .status = 2, .err = "rhq: %FILE.d/state: No such file or directory\n" },
	{ .name = "under a file", .argv = ARGS("--state", "%FILE/state", "3"),
	  .file = { "state", "", 0600 }, .status = 2,
	  .err = "rhq: %FILE/state: Not a directory\n" },
	{ .name = "not a regular file", .argv = ARGS("--state", "/dev/null", "3"), .status = 2,
	  .err = "rhq: /dev/null: not a regular file\n" },
	{ .name = "from RHQ_STATE", .env = ARGS("RHQ_STATE=/"), .argv = ARGS("3"), .status = 2,
	  .err = "rhq: /: Is a directory\n" },
	USAGE("rhq: --refresh needs --state (or RHQ_STATE)", "--refresh"),
	USAGE("rhq: --state-max-age needs --state (or RHQ_STATE)", "--state-max-age", "60"),
	USAGE("rhq: --state: the file name is empty", "--state", ""),
	USAGE("rhq: --state-max-age: invalid value '-1' (a number of seconds from 0 to 1e+10)",
	    "--state", "x", "--state-max-age", "-1"),
	USAGE("rhq: option '--state' requires an argument", "--state"),
};

ROW_TEST(unusable)

/*
 * A file rhq may not read or write.  Root may read any file: as root, rhq
 * runs as nobody (setpriv), in a directory nobody may enter but not list.
 */
START_TEST(unreadable)
{
	char cmd[1024], want[1024], dir[512], *slash;
	int root = geteuid() == 0;
	struct proc p;

	if (root && access("/usr/bin/setpriv", X_OK) != 0)
		return;
	new_state(HEADER);
	snprintf(dir, sizeof dir, "%s", state_path());
	ck_assert_ptr_nonnull(slash = strrchr(dir, '/'));
	*slash = '\0';
	ck_assert_int_eq(chmod(dir, 0711), 0);
	ck_assert_int_eq(chmod(state_path(), 0), 0);
	snprintf(cmd, sizeof cmd, "exec %s$RHQ --state '%s' 3",
	    root ? "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups " : "",
	    state_path());
	proc_spawn(&p, &(struct spawn){ .shell = cmd });
	proc_finish(&p, harness_timeout());
	snprintf(want, sizeof want, "rhq: %s: Permission denied\n", state_path());
	ck_assert_run(&p, 2, "", want);
	ck_assert_uint_eq(standin_requests(srv), 0);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	proc_free(&p);
}
END_TEST

/*
 * A full disk (a file size limit, with SIGXFSZ ignored: writes fail with
 * EFBIG): said once, the partial line cut off, every row still written,
 * exit 2; and FILE holds the whole entries written before.
 */
START_TEST(full_disk)
{
	char cmd[1024], want[1024], *text;
	struct proc p;
	size_t lines;

	new_state(NULL);
	snprintf(cmd, sizeof cmd, "trap '' XFSZ; ulimit -f 1 && exec $RHQ --state '%s' "
	    "3 2 7 6 11 10 15 14 19 18 23 22 27 26 31 30", state_path());
	proc_spawn(&p, &(struct spawn){ .shell = cmd });
	proc_finish(&p, harness_timeout());
	snprintf(want, sizeof want, "rhq: %s: File too large\n", state_path());
	ck_assert_run(&p, 2, "3\tSUCCESS\n2\tFAILED\n7\tSUCCESS\n6\tFAILED\n11\tSUCCESS\n"
	    "10\tFAILED\n15\tSUCCESS\n14\tFAILED\n19\tSUCCESS\n18\tFAILED\n23\tSUCCESS\n"
	    "22\tFAILED\n27\tSUCCESS\n26\tFAILED\n31\tSUCCESS\n30\tFAILED\n", want);
	ck_assert_uint_eq(standin_requests(srv), 16);
	proc_free(&p);
	text = state_text();
	lines = count_lines(text);
	ck_assert_msg(lines > 1 && lines < 17, "%zu lines", lines);
	ck_assert(text[strlen(text) - 1] == '\n');
	assert_json_lines(text);
	free(text);
	/* The next run reads it without a word, and asks for the rest only. */
	ck_assert_uint_eq(run(&p, 0, NULL, NOENV, ARGS("3", "2", "7", "6", "11", "10", "15",
	    "14", "19", "18", "23", "22", "27", "26", "31", "30")), 17 - lines);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err_buf, "");
	proc_free(&p);
}
END_TEST

Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = server_tcase("rows");
	add_rows(tc, same_rows_from_file, NELEM(twice));
	add_rows(tc, rows_across_modes, NELEM(across));
	suite_add_tcase(s, tc);

	tc = server_tcase("kept");
	add_rows(tc, nothing_but_final_states, NELEM(not_kept));
	add_test(tc, refresh_asks_again);
	add_test(tc, compaction);
	add_test(tc, max_age);
	add_test(tc, from_the_environment);
	add_test(tc, summary_and_verbose);
	add_test(tc, ninety_nine_percent);
	suite_add_tcase(s, tc);

	tc = server_tcase("safe");
	add_test(tc, lock_held_by_another);
	add_test(tc, lock_then_replaced);
	add_test(tc, two_runs_at_once);
	add_test(tc, sigkill_mid_run);
	add_test(tc, torn_last_line);
	add_rows(tc, bad_lines_skipped, (NELEM(bad_lines) + BAD_A_FILE - 1) / BAD_A_FILE);
	add_test(tc, many_bad_lines);
	add_rows(tc, foreign_file_untouched, NELEM(foreign));
	ADD_ROWS(tc, unusable);
	add_test(tc, unreadable);
	add_test(tc, full_disk);
	suite_add_tcase(s, tc);
	return s;
}
