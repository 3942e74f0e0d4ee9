/*
 * rhq - ask RunningHub for the state of many tasks at once.
 *
 * Task IDs come in one a line (or as arguments); `ID<TAB>STATE` rows go out in
 * the same order (with -o, `ID<TAB>STATE<TAB>DETAIL`: a row per output file,
 * or why the task failed).  Every request travels over libcurl easy handles
 * that are created once and reused, so one keep-alive connection serves a
 * whole list; every reply is parsed with jsmn.  Two APIs: v1 asks the status
 * endpoint and, for -o, then the outputs endpoint; v2 has one query endpoint
 * that answers both.
 *
 * The file reads in the order the data flows:
 *
 *   prologue   limits, defaults, types, all file-scope state, prototypes
 *   text       what of the network's text may be printed, and how it is cleaned
 *   input      records from stdin or the arguments, and what each asks for
 *   state      the state file (--state): its lock, its lines checked and indexed
 *              by task ID, and the tasks it answers
 *   task       the window of tasks, in input order, and how records become tasks
 *   request    the request body and the reused easy handles that carry it
 *   classify   a finished attempt becomes an outcome value (pure)
 *   apply      an outcome changes its task, and what rhq knows of the API:
 *              outages and the pace of requests (the only code that does)
 *   output     rows, the summary and the progress line; what the state file
 *              learns, appended, and its compaction
 *   scheduler  one heap of due tasks, the rate, the loop that ties it together
 *   main       options, the key, setup and teardown
 *
 * SPDX-License-Identifier: MIT
 */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <curl/curl.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

/* ------------------------------------------------------------ prologue */

#define RHQ_VERSION	"0.1.0"
#define STATUS_PATH	"/task/openapi/status"
#define OUTPUTS_PATH	"/task/openapi/outputs"
#define V2_QUERY_PATH	"/openapi/v2/query"
#define SITE_CN		"https://www.runninghub.cn"
#define SITE_AI		"https://www.runninghub.ai"

#define ID_MAX		32		/* digits in a task ID */
#define STATE_MAX	32		/* characters in a state word */
#define MSG_MAX		256		/* bytes of an API message we keep */
#define WHY_MAX		512		/* bytes of a reason shown on stderr */
#define SHOW_MAX	256		/* bytes of a bad line we echo back */
#define RECORD_MAX	((size_t)64 * 1024)	/* longest input record */
#define INBUF_SIZE	(2 * RECORD_MAX)
#define REPLY_MAX	((size_t)64 * 1024)	/* largest status reply we read */
#define RESULTS_REPLY_MAX ((size_t)1024 * 1024)	/* outputs and v2: tracebacks, batches */
#define RESULTS_KEEP	((size_t)64 * 1024)	/* larger results are freed with their row */
#define DETAIL_MAX	512		/* bytes of a failure reason in a TSV row */
#define KEY_MAX		4096		/* longest API key */
#define KEY_WAIT	2		/* seconds for a writer to open a key FIFO */
#define JOBS_MAX	64
#define WINDOW_ROWS	4096		/* rows the reorder window holds (no --wait) */
#define BACKOFF_CAP	30.0		/* seconds */
#define RETRY_AFTER_CAP	60.0		/* seconds */
#define TICK		0.25		/* longest sleep between signal checks */
#define RATE_BURST	0.005		/* seconds of rate slots a late wake-up makes up */
#define RATE_MIN	0.5		/* requests a second throttling leaves at least */
#define PACE_BETA	0.5		/* the share of the pace a cut keeps */
#define PACE_K		1.0		/* seconds a cut rate takes to grow back */
#define PACE_LIFT	2.0		/* no --rate: a cut's limit goes at this many times */
#define METER_N		32		/* requests the measured rate looks back over */
#define METER_MIN	0.001		/* seconds: a rate is measured over no less */
#define STATE_VERSION	1		/* of the state file's format */
#define STATE_LOCK_WAIT	10		/* seconds to wait for another rhq's lock */
#define STATE_BAD_SHOWN	10		/* bad lines of a state file named one by one */

/* Defaults, used by both the options and --help. */
#define DEF_TIMEOUT		30
#define DEF_CONNECT_TIMEOUT	10
#define DEF_RETRIES		3
#define DEF_RETRY_DELAY		1
#define DEF_INTERVAL		5
#define DEF_JOBS		1
#define DEF_MAX_OUTAGE		600	/* with --wait and no --deadline */
#define DEF_MAX_FAILURES	5

#define STR(x)		STR_(x)
#define STR_(x)		#x
#define NELEM(a)	(sizeof (a) / sizeof *(a))

/* Exit statuses, as documented in rhq(1). */
enum { EXIT_OK = 0, EXIT_ROWS = 1, EXIT_FATAL = 2, EXIT_DEADLINE = 3 };

static struct options {
	const char *base_url;
	const char *key_file;
	const char *cacert;
	double timeout, connect_timeout;
	double retry_delay;
	double rate;
	double interval, deadline;
	double max_outage;	/* 0: no limit */
	int retries;
	int max_failures;	/* 0: no limit */
	int jobs;
	int field;		/* 0: the whole record is the ID */
	char delim;
	char sep;		/* record separator: '\n', or '\0' with -0 */
	int append, json, summary, verbose, wait, insecure_http;
	int outputs, traceback;	/* -o; --traceback */
	enum api { API_V1 = 1, API_V2 = 2 } api;
	int progress;		/* -1 never, 0 when stderr is a terminal, 1 always */
	const char *state;	/* --state or RHQ_STATE; NULL: none */
	int refresh;		/* --refresh */
	double state_max_age;	/* --state-max-age; negative: none */
} opt = {
	.api = API_V1,
	.timeout = DEF_TIMEOUT, .connect_timeout = DEF_CONNECT_TIMEOUT,
	.retry_delay = DEF_RETRY_DELAY, .retries = DEF_RETRIES,
	.jobs = DEF_JOBS, .interval = DEF_INTERVAL, .delim = '\t', .sep = '\n',
	.max_failures = DEF_MAX_FAILURES, .state_max_age = -1,
};

/*
 * What the options said, beyond opt: which were given (so that the
 * environment is only the default, and options that exclude each other are
 * caught).
 */
static const char *base_option, *api_option, *state_option;
static int base_url_set, site_set, deadline_set, delim_set, interval_set, max_outage_set;

/*
 * Input.  Records are lines (or NUL-terminated items with -0) read from a
 * descriptor through a fixed buffer, or command-line arguments.
 */
struct input {
	int fd;
	char *buf;
	size_t pos, len;	/* unread bytes are buf[pos..len) */
	int eof;
	int skipping;		/* dropping the tail of an over-long record */
	unsigned long n;	/* records started so far */
};

struct record {
	const char *p;
	size_t len;
	unsigned long n;	/* line, item or argument number */
	int too_long;
};

/* Where records come from next: the arguments, and stdin at "-" or without any. */
static struct {
	char **argv;
	int argc, argi;
	int from_stdin;		/* reading stdin now */
	int done;		/* no more records anywhere */
	int ready;		/* stdin has bytes (or EOF) to read */
	int starved;		/* the buffer holds no whole record: wait for stdin */
	const char *what;	/* "line" or "item" */
	struct input in;
} src;

enum item { ITEM_SKIP, ITEM_ID, ITEM_INVALID, ITEM_NO_FIELD, ITEM_TOO_LONG };

/*
 * The states rhq decides itself, as opposed to the words the API answers.
 * A row's state is one of these, or (OWN_NONE) the API's word.
 */
enum own { OWN_NONE, OWN_ERROR, OWN_NOT_FOUND, OWN_INVALID, OWN_UNKNOWN };

static const struct {
	const char *name;
	int is_error;		/* makes the exit status 1 */
} own_states[] = {
	[OWN_NONE] = { NULL, 0 },
	[OWN_ERROR] = { "ERROR", 1 },
	[OWN_NOT_FOUND] = { "NOT_FOUND", 1 },
	[OWN_INVALID] = { "INVALID", 1 },
	[OWN_UNKNOWN] = { "UNKNOWN", 0 },
};

/*
 * What a request asks, and so where it goes.  Under v1 a task's first request
 * asks its status; with -o a SUCCESS or FAILED task then asks the outputs
 * endpoint, which lists the files or says why the task failed.  Under v2 one
 * query answers both.  Replies of the last two can carry tracebacks and long
 * lists of files, so they get a larger cap, still bounded.
 */
enum req { REQ_STATUS, REQ_OUTPUTS, REQ_V2 };

static const struct endpoint {
	const char *path;
	size_t reply_max;
} endpoints[] = {
	[REQ_STATUS] = { STATUS_PATH, REPLY_MAX },
	[REQ_OUTPUTS] = { OUTPUTS_PATH, RESULTS_REPLY_MAX },
	[REQ_V2] = { V2_QUERY_PATH, RESULTS_REPLY_MAX },
};

/*
 * What a finished task made (-o): its output files, its cost, and why it
 * failed.  Strings are decoded into one pool, each ended by a NUL, and named
 * by offset, so a whole set is copied with two memcpy calls; offset 0 is the
 * empty string, "not given".  Everything here was decoded from one reply, so
 * its size is bounded by the reply cap.
 */
struct output {
	size_t url, type, node, text;
};

enum reason_field { R_NODE_ID, R_NODE_NAME, R_EXC_TYPE, R_EXC_MSG, R_TRACEBACK, R_NFIELDS };

/* The API's names of the failedReason fields, which the JSON rows use too. */
static const char *const reason_keys[R_NFIELDS] = {
	[R_NODE_ID] = "node_id", [R_NODE_NAME] = "node_name",
	[R_EXC_TYPE] = "exception_type", [R_EXC_MSG] = "exception_message",
	[R_TRACEBACK] = "traceback",
};

struct results {
	char *pool;
	size_t len, cap;
	struct output *v;
	size_t n, vcap;
	int read;			/* a reply gave them: "outputs" means something */
	size_t cost;			/* taskCostTime */
	size_t reason[R_NFIELDS];
	size_t err_code, err_msg;	/* v2: errorCode and errorMessage */
};

/*
 * Tasks.  A task is one input record that needs a row.  Tasks live in a
 * window indexed by sequence number (input order).  Without --wait the
 * window holds at most WINDOW_ROWS tasks: a finished row waits there only
 * until every earlier row is out, so memory is bounded, not by the input;
 * and as the window is far larger than -j, a task that waits to be retried
 * holds up the rows after it, but not the requests.  With --wait it grows to
 * hold every unfinished task.
 */
struct task {
	enum { T_DUE, T_SENDING, T_DONE, T_GONE } phase;
	unsigned long seq;		/* its place in the input */
	char id[ID_MAX + 1];		/* empty for an invalid record */
	enum own own;			/* the row's state is rhq's own... */
	char state[STATE_MAX + 1];	/* ...or this word from the API */
	char *text;			/* the record (-a), or the bad text shown */
	size_t text_len, text_cap;
	size_t show_off, show_len;	/* an INVALID row shows text[show_off..] */
	int has_code, has_msg;
	long code;
	char *msg;			/* the API's msg, kept for --json */
	size_t msg_cap;
	char *why;			/* the cause of an own error row, for --json */
	size_t why_cap;
	int attempts;			/* tries of the current poll */
	int polls;			/* answered polls, with --wait */
	double failing_since;		/* when the first failed try of this poll was sent */
	enum req req;			/* what its next request asks */
	struct results res;		/* -o: what it made, or why it failed */
	enum { FROM_NOTHING, FROM_API, FROM_STATE } from;	/* what settled its row */
	/*
	 * With a state file, under v1 with -o: the status reply's code and msg,
	 * kept when the outputs reply's replace them in the row.
	 */
	int has_status_code, has_status_msg;
	long status_code;
	char *status_msg;
	size_t status_msg_cap;
};

static struct {
	struct task *t;
	unsigned long cap, head, tail;	/* tasks [head, tail) are in the window */
	unsigned long live;		/* tasks whose row is not written yet */
} window;

/*
 * Requests.  A job is one easy handle, created once and reused for every
 * request it makes; its options are set once, and only the body changes.
 * It names its task by sequence number, not by pointer, because the window
 * may grow (--wait) and move its tasks while a request is under way.
 */
struct job {
	CURL *h;
	unsigned long seq;		/* the task it serves */
	enum req kind;			/* the endpoint its handle is set to */
	int busy;
	double sent;			/* when the request started */
	char *body;
	size_t body_len;
	char *reply;
	size_t reply_len, reply_cap;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct results res;		/* decoded from its last reply, for apply() to copy */
};

static CURLM *multi;
static struct job jobs[JOBS_MAX];
static int in_flight;			/* jobs with a request under way */
static struct curl_slist *headers;
static char *urls[NELEM(endpoints)];
static CURLU *curlus[NELEM(endpoints)];	/* each URL parsed once */
static char *body_prefix;		/* the body up to the ID: the same for all */
static size_t body_prefix_len;

/*
 * Classify and apply.  A finished attempt (what libcurl and the server gave)
 * becomes an outcome; the outcome is applied to its task.
 */
struct attempt {
	enum req kind;			/* what was asked */
	const char *id;			/* about which task; NULL: any */
	CURLcode rc;
	const char *errtext;		/* libcurl's words for rc */
	long http;
	double retry_after;		/* seconds from Retry-After, 0 without */
	const char *body;
	size_t len;
	int too_big;
	double sent;			/* when the request started */
	struct results *res;		/* where to decode results (-o), or NULL */
	int traceback;			/* keep the traceback (--traceback) */
};

struct reply {
	int has_code, has_msg;
	long code;
	enum { DATA_ABSENT, DATA_STRING, DATA_NULL, DATA_OTHER, DATA_ARRAY, DATA_OBJECT }
	    data_kind;
	char data[STATE_MAX + 2];	/* decoded; longer strings are cut... */
	size_t data_len;		/* ...but this is the whole length */
	char msg[MSG_MAX];		/* decoded UTF-8, cut at a character boundary */
};

/* A v2 reply: a flat object, its errorCode a string or a number (or neither). */
struct v2_reply {
	struct reply r;			/* errorCode and errorMessage as code and msg */
	char status[STATE_MAX + 2];	/* decoded; longer strings are cut... */
	size_t status_len;		/* ...but this is the whole length */
	char code_text[24];		/* an errorCode that is not a whole number */
	char task_id[ID_MAX + 2];	/* taskId, a string or a number, cut... */
	size_t task_id_len;		/* ...but this is the whole length; 0: none */
};

/*
 * What a finished attempt says about the API as a whole, apart from the
 * task: it answered; it gave no answer (a transport failure, a gateway's
 * status, an empty reply, a transient error of its own); or it asked to be
 * called less often.  Outages and throttling are judged from this.
 */
enum said { SAID_ANSWER, SAID_NOTHING, SAID_SLOW_DOWN };

enum outcome_kind {
	OUT_STATE,	/* the API said the task's state */
	OUT_NOT_FOUND,	/* the API does not know the task */
	OUT_RETRY,	/* a transient failure: try again after delay */
	OUT_ERROR,	/* this task failed: an ERROR row */
	OUT_FATAL,	/* nothing will work (the key, the URL): stop */
	OUT_INVALID,	/* the record is not a task ID: nothing was sent */
	OUT_DEADLINE,	/* --deadline came: the last known state stands */
	OUT_RESULTS,	/* v1 outputs: the files or the failure; the state stands */
	OUT_STORED,	/* the state file knows the task: nothing was sent */
};

struct outcome {
	enum outcome_kind kind;
	enum said said;
	double sent;			/* when the attempt's request started */
	char state[STATE_MAX + 1];	/* OUT_STATE */
	double delay;			/* OUT_RETRY: the least pause */
	char why[WHY_MAX];		/* what went wrong, safe to print */
	const char *hint;		/* OUT_FATAL: what to check */
	int has_code, has_msg;		/* what the reply said, for --json */
	long code;
	char msg[MSG_MAX];
	const struct results *res;	/* OUT_STATE (v2), OUT_RESULTS: for -o */
};

/*
 * What each API code means.  Any other non-zero code is an ERROR row.
 * C_TRANSIENT and C_THROTTLE are retried; C_THROTTLE also slows the run.
 */
enum code_class { C_STATE, C_NOT_FOUND, C_TRANSIENT, C_THROTTLE, C_FATAL };

#define SITE_HINT	"a key works on one site only: a runninghub.cn key fails on " \
			"runninghub.ai and vice versa (see --site)"

static const struct api_code {
	long code;
	const char *name;
	enum code_class class;
	const char *extra;		/* C_STATE: the state; C_FATAL: a hint */
} api_codes[] = {
	{ 412, "TOKEN_INVALID", C_FATAL, "the API path was rejected: check --base-url" },
	{ 421, "TASK_QUEUE_MAXED", C_THROTTLE, NULL },
	{ 423, "TASK_NOT_FOUNED", C_NOT_FOUND, NULL },
	{ 500, "UNKNOWN_ERROR", C_TRANSIENT, NULL },
	{ 801, "APIKEY_UNSUPPORTED_FREE_USER", C_FATAL, NULL },
	{ 802, "APIKEY_UNAUTHORIZED", C_FATAL, SITE_HINT },
	{ 804, "APIKEY_TASK_IS_RUNNING", C_STATE, "RUNNING" },
	{ 806, "APIKEY_USER_NOT_FOUND", C_FATAL, SITE_HINT },
	{ 807, "APIKEY_TASK_NOT_FOUND", C_NOT_FOUND, NULL },
	{ 811, "CORPAPIKEY_INVALID", C_FATAL, NULL },
	{ 812, "CORPAPIKEY_INSUFFICIENT_FUNDS", C_FATAL, NULL },
	{ 813, "APIKEY_TASK_IS_QUEUED", C_STATE, "QUEUED" },
	{ 1002, "INVALID_API_KEY", C_FATAL, NULL },
	{ 1003, "RATE_LIMIT_EXCEEDED", C_THROTTLE, NULL },
	{ 1004, "TASK_NOT_FOUND_OR_EXPIRED", C_NOT_FOUND, NULL },
	{ 1005, "SERVER_ERROR", C_TRANSIENT, NULL },
	{ 1007, "TASK_NOT_FOUND", C_NOT_FOUND, NULL },	/* v2, with taskId "" */
	{ 1010, "SERVER_ERROR", C_TRANSIENT, NULL },
	{ 1011, "SERVER_ERROR", C_TRANSIENT, NULL },
	{ 1520, "CONCURRENCY_LIMIT", C_THROTTLE, NULL },
};

/*
 * The outputs endpoint answers a failed task with this code, and the failure
 * in data.failedReason.  Its other codes mean what the table says, except
 * that 804 and 813 there mean "the files are not ready yet": retried.
 */
#define CODE_TASK_FAILED	805

/*
 * What each HTTP status means before the body is read; the first row that
 * holds it wins.  H_TRANSIENT is a gateway or server in trouble: retried, and
 * no answer from the API.  H_THROTTLE is retried, and slows the run.
 */
enum http_class { H_OK, H_REDIRECT, H_TRANSIENT, H_THROTTLE, H_ERROR };

static const struct {
	long lo, hi;
	enum http_class class;
} http_classes[] = {
	{ 200, 200, H_OK },
	{ 300, 399, H_REDIRECT },
	{ 408, 408, H_TRANSIENT },
	{ 429, 429, H_THROTTLE },
	{ 501, 501, H_ERROR },		/* not implemented: it never will be */
	{ 505, 505, H_ERROR },		/* HTTP version not supported */
	{ 500, 599, H_TRANSIENT },
};

/* libcurl failures that say nothing about the task: worth another try. */
static const CURLcode transient_curl_codes[] = {
	CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
	CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
	CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
};

/*
 * Characters that text from the network must not bring to a terminal: what
 * a terminal may act on, what some programs take for a line break, and
 * what can make a line read differently from what it says.  This table
 * alone decides; every way rhq prints such text (below) replaces them.
 */
static const struct {
	unsigned long lo, hi;
} unsafe_chars[] = {
	{ 0x00, 0x1f },		/* C0 controls: ESC, BEL, CR, newline, TAB... */
	{ 0x7f, 0x9f },		/* DEL and the C1 controls (CSI, NEL...) */
	{ 0x2028, 0x2029 },	/* line and paragraph separators */
	{ 0x202a, 0x202e },	/* bidirectional embeddings and overrides */
	{ 0x2066, 0x2069 },	/* bidirectional isolates */
};

/*
 * The ways text from the API is printed, each with unsafe characters and
 * bytes that are not part of a UTF-8 character replaced as suits it:
 *
 *   CLEAN_LINE  words on one line (a failure reason, a cause on stderr):
 *               a run of unsafe characters and spaces is one space, and
 *               there is none at either end; a bad byte is U+FFFD
 *   CLEAN_TEXT  a TSV field of text (a text output, an INVALID row's bad
 *               text): TAB, newline, carriage return, backslash and NUL
 *               are escaped as jq's @tsv does; any other unsafe character,
 *               and a bad byte, is U+FFFD
 *   CLEAN_URL   a URL in a TSV field: each byte of an unsafe character, of
 *               a space, '"' or '\', and a bad byte is %XX (RFC 3986), so
 *               the field needs no unescaping, and curl and xargs take it
 *               as one word
 *
 * --json escapes unsafe characters as \uXXXX instead: see json_escape().
 */
enum clean { CLEAN_LINE, CLEAN_TEXT, CLEAN_URL };

#define CLEAN_OUT_MAX	12	/* bytes a character becomes at most: 4, %XX each */

/*
 * A line of words for a TSV field or a message: at most max bytes of UTF-8
 * without an unsafe character, of rhq's own words and of text from the API.
 */
struct line {
	char *d;
	size_t max;
	size_t len;
	int space;		/* a space is due before the next character */
	int cut;		/* the text did not fit */
};

/* Output: the counts behind the exit status, --summary and --progress. */
static struct {
	unsigned long rows, errors;
	struct { char name[STATE_MAX + 1]; unsigned long n; } states[32];
	int nstates;
	unsigned long other;		/* rows of states beyond the table */
	unsigned long requests;		/* requests sent */
	unsigned long stored;		/* rows the state file answered */
} tally;

/*
 * The progress line: LIVE redraws it in place on a terminal, DUMB too but
 * without escape sequences (TERM=dumb or unset), LINES writes a plain line
 * at most once a second (stderr is a file or a pipe).
 */
static struct {
	enum { PROG_OFF, PROG_LIVE, PROG_DUMB, PROG_LINES } mode;
	int shown;		/* bytes of the line on the terminal now */
	int over_rows;		/* stdout is the same terminal: erase before rows */
	double start, last;
} prog;

static int stdout_is_pipe;		/* worth watching for a reader that left */

/*
 * The scheduler.  Every task that waits for a request sits in a binary heap
 * ordered by the time it is due, ties broken by input order, so that no
 * wake-up scans the tasks: in `polls` for its first request or its next poll
 * under --wait, in `retries` after a transient failure.  A retry goes as
 * soon as it is due, before new tasks, as TCP sends a retransmission before
 * new data: a task under way finishes first, so that the rows after it need
 * not wait for the last new task, nor the retries go out in one burst at the
 * end.  Otherwise the earlier of the two goes first; but once as many
 * requests in a row as may be in flight got no answer, only retries go until
 * one is answered, so that a dead API is found out by a few tasks' retries
 * rather than by a request for every task.
 */
struct due {
	double at;
	unsigned long seq;
};

struct heap {
	struct due *v;
	size_t n, cap;
};

static struct heap polls, retries;

static double next_send;		/* earliest start of the next request (the rate) */
static double not_before;		/* no request starts earlier (Retry-After, probes) */

/*
 * The pace of requests: how many may be in flight, and how many may start a
 * second.  One small state machine, pace_step(), moves it on three events: a
 * request is sent, the API answers, the API says "too fast".
 *
 *   state  event                                    next  what it does
 *   any    a request is sent                        same  the meter counts it
 *   FULL   too fast                                 CUT   cut, pause
 *   CUT    too fast, of the last throttle event     CUT   no growth till the trial ends
 *   CUT    too fast, a new throttle event           CUT   cut, pause
 *   CUT    answer                                   CUT   grow
 *   CUT    answer, and back at -j and --rate        FULL  -
 *
 * FULL is the pace of the options: -j, and --rate (0: no limit).  A cut
 * starts from the pace before the event: the jobs allowed, and the rate the
 * last requests were sent at, or the rate allowed if less; it keeps
 * PACE_BETA of both, and the whole run pauses for the reply's Retry-After.
 * The meter's clock stops during a pause, so that a rate is never measured
 * across one.  As TCP cuts once per loss event, a "too fast" is of the last
 * event when its request was sent up to the cut, or in the trial of the new
 * pace (one Retry-After after the pause) while the trial's 429s are
 * stragglers: fewer than two, or no more than its answers.  After the pause
 * the rate grows back along CUBIC's curve, as the AWS SDKs' adaptive retries
 * do: to the rate before the cut in PACE_K seconds, flat near it, then faster
 * above it; the jobs by one a round of answers, as TCP's window; never above
 * -j and --rate.  Without --rate, the limit goes when the curve reaches
 * PACE_LIFT times the rate it was cut from.
 */
struct pace {
	enum { PACE_FULL, PACE_CUT } state;
	double max_jobs, max_rate;	/* -j and --rate (0: none): the pace never goes above */
	double jobs;			/* requests in flight allowed, 1 to -j */
	double rate;			/* requests a second allowed; 0: no limit */
	double from_rate;		/* CUT: the rate the last cut started from */
	double cut_at, resume_at;	/* CUT: the last cut, and the end of its pause */
	double trial_until;		/* CUT: one Retry-After after the pause */
	unsigned long trial_answered;	/* CUT: of the requests sent in the trial, */
	unsigned long trial_throttled;	/* ...those answered, and those throttled */
	double paused;			/* seconds of pauses before the last cut */
	unsigned long sent;		/* the meter: requests sent, and when the last */
	double sent_at[METER_N];	/* METER_N were, on its clock (by sent % METER_N) */
};

enum pace_event { PACE_SENT, PACE_ANSWER, PACE_TOO_FAST };
enum pace_move { PACE_STAYS, PACE_CUTS, PACE_GROWS, PACE_FULL_AGAIN };

static struct pace pace;
static int shown_jobs;			/* the pace -v said last */
static double shown_rate;
static double deadline_at = INFINITY;
static int fatal_stop, gave_up, outage_stop;
static char stop_why[WHY_MAX + 128];	/* why rhq stopped, said after the last rows */

/*
 * How the API is doing.  An outage starts with a request that gets no
 * answer and lasts until one gets an answer.  Under --wait it is reported
 * once a task has used up its retries in it, and rhq then sends one request
 * at a time, one an --interval, until the API answers again.
 */
static struct {
	double since;		/* when the outage's first failed request was sent; 0: none */
	int down;		/* the outage was reported */
	unsigned long failed;	/* tasks in a row that failed for want of an answer */
	unsigned long silent;	/* requests in a row that got no answer */
	char why[WHY_MAX];	/* the last failure */
} api;
static volatile sig_atomic_t got_signal;

/*
 * The state file (--state): what earlier runs learned of finished tasks, so
 * that a cron job asks only about the tasks it does not know yet.  JSON
 * Lines: a first line that names the format and its version, then a line a
 * task (see rhq(1), FILES).  It is locked for the whole run, read whole and
 * checked line by line; each good line is indexed by task ID in an
 * open-addressing table of offsets into the buffer, a later line replacing
 * an earlier one, and is read in full only when a task asks for it.  What a
 * run learns is appended, a line per write(2), as soon as it is known.
 *
 * A slot of the table is 0 (empty), or the offset of an entry's ID in buf
 * plus one, with bits of the ID's hash beside it (most slots that do not
 * hold an ID are told so without reading buf) and what a task must know of
 * the entry before it reads more of it.
 */
#define SLOT_OFFSET	(((uint64_t)1 << 40) - 1)	/* the ID's offset in buf, plus one */
#define SLOT_TAG_SHIFT	40
#define SLOT_TAG	((((uint64_t)1 << 18) - 1) << SLOT_TAG_SHIFT)	/* its hash's top bits */
#define SLOT_V2		((uint64_t)1 << 58)	/* the entry is of v2 */
#define SLOT_FAILED	((uint64_t)1 << 59)	/* FAILED, not SUCCESS */
#define SLOT_RESULTS	((uint64_t)1 << 60)	/* it has results (-o) */
#define SLOT_TRACEBACK	((uint64_t)1 << 61)	/* its reason has a traceback */
#define SLOT_REPLACED	((uint64_t)1 << 62)	/* this run appended a newer line */
#define SLOT_EXPIRED	((uint64_t)1 << 63)	/* older than --state-max-age */
#define SLOT_FACTS	(SLOT_V2 | SLOT_FAILED | SLOT_RESULTS | SLOT_TRACEBACK)

/* What loading a line of the state file finds out of it. */
struct entry_head {
	size_t id_at, id_len;		/* where its ID is in the line */
	long long learned;
	uint64_t facts;			/* SLOT_FACTS */
};

static struct {
	int fd;				/* -1: no state file */
	char *buf;			/* the file as read */
	size_t len;			/* its bytes, all of them whole lines */
	size_t entries;			/* where the entries start: after the first line */
	uint64_t *slots;
	size_t mask;			/* slots - 1, a power of two less one */
	unsigned long live, dead;	/* lines still of use, and not (a run's estimate) */
	unsigned long bad;		/* lines that are no entry, skipped */
	off_t size;			/* the file's length: whole lines only */
	unsigned long appended;
	int failed;			/* a write failed: no more appends, exit 2 */
	long long now;			/* the wall clock when the run started */
	FILE *mem;			/* one entry, written as the JSON rows are */
	char *mem_buf;
	size_t mem_len;
	struct results res;		/* an entry's results, read for a task */
} sfile = { .fd = -1 };

/*
 * The time seam.  Every reading of the clock and every wait for sockets or
 * stdin goes through these two pointers, so the tests can run the scheduler
 * on a clock of their own that moves only while rhq waits, instead of
 * sleeping; with a seed of their own for the backoff's jitter, a run on that
 * clock takes the same time however busy the machine is.
 */
static double monotonic_now(void);
static CURLMcode multi_poll(struct curl_waitfd *, unsigned, int);
static double (*now)(void) = monotonic_now;
static CURLMcode (*wait_events)(struct curl_waitfd *, unsigned, int) = multi_poll;
static unsigned jitter_seed;		/* 0: from the pid and the time; the tests set one */

/* Messages and memory */
static void note(const char *, ...);
static _Noreturn void die(const char *, ...);
static _Noreturn void die_errno(const char *, ...);
static void *xmalloc(size_t);
static void *xrealloc(void *, size_t);
static void *xcalloc(size_t, size_t);
static char *xstrdup(const char *);
static char *xasprintf(const char *, ...);
static void wipe(void *, size_t);
/* Text from the API */
static int unsafe_char(unsigned long);
static int clean_char(const unsigned char *, size_t, enum clean, size_t *, char *);
static void line_raw(struct line *, const char *);
static void line_add(struct line *, const char *);
static size_t line_end(struct line *);
/* Input */
static int input_fill(struct input *);
static int input_next(struct input *, struct record *);
static enum item parse_item(const char *, size_t, int, char[ID_MAX + 1], const char **,
    size_t *);
static int next_record(struct record *, const char **);
/* State */
static void state_open(void);
static int state_header(const char *, size_t, long *);
static void state_index(int);
static const char *entry_check(const char *, size_t, struct entry_head *);
static int state_answer(struct task *);
/* Task */
static struct task *task_at(unsigned long);
static int add_tasks(void);
static void results_reset(struct results *);
static void results_copy(struct results *, const struct results *);
static void results_free(struct results *);
/* Request */
static size_t json_escape(char *, const char *, size_t);
static size_t build_body(char *, const char *);
static void start_request(struct job *, unsigned long, double);
static void finish_request(struct job *, CURLcode);
/* Classify and apply; the JSON readers there serve the state file too */
static long json_unescape(const char *, size_t, char *, size_t);
static int tokenize(const char *, size_t, jsmntok_t *, int, jsmntok_t **);
static int skip_value(const jsmntok_t *, int, int);
static int is_member(const jsmntok_t *, int, int);
static int member(const char *, const jsmntok_t *, int, int, const char *);
static int tok_is(const char *, const jsmntok_t *, const char *);
static int parse_code(const char *, const jsmntok_t *, long *);
static int pool_add(struct results *, const char *, const jsmntok_t *, size_t *);
static int read_reason(struct results *, const char *, const jsmntok_t *, int, int, int);
static int parse_reply(const char *, size_t, struct reply *);
static int parse_outputs_reply(const char *, size_t, struct reply *, struct results *, int);
static int parse_v2_reply(const char *, size_t, struct v2_reply *, struct results *, int);
static void classify(const struct attempt *, struct outcome *);
static void apply(struct task *, const struct outcome *, double);
static struct pace pace_start(int, double);
static enum pace_move pace_step(struct pace *, enum pace_event, double, double, double);
/* Output */
static void put_clean(const char *, size_t, enum clean);
static size_t reason_line(const struct results *, char[DETAIL_MAX + 1]);
static void row_ready(struct task *);
static void state_append(const struct task *);
static int state_write(const char *, size_t);
static int state_finish(int);
static int write_rows(void);
static void put_summary(void);
static void progress_draw(double);
static void progress_erase(void);
static void flush_output(void);
/* Scheduler */
static void schedule(unsigned long, double);
static void schedule_retry(unsigned long, double);
static int jobs_allowed(void);
static void rate_take_slot(double);
static int run(void);
static int exit_status(void);

/* ---------------------------------------------------- messages, memory */

/* Every message goes through here so that a live progress line is erased first. */
static void
vmessage(const char *fmt, va_list ap, int with_errno)
{
	int e = errno;

	progress_erase();
	fputs("rhq: ", stderr);
	if (fmt != NULL)
		vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s%s", fmt != NULL ? ": " : "", strerror(e));
	fputc('\n', stderr);
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
}

static _Noreturn void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
	exit(EXIT_FATAL);
}

/* Like die(), with the reason errno gives. */
static _Noreturn void
die_errno(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, 1);
	va_end(ap);
	exit(EXIT_FATAL);
}

/* One policy for running out of memory: say so and stop. */
static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		die("out of memory");
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("out of memory");
	return p;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	s = xmalloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(s, n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Clears a secret; the volatile access keeps the compiler from dropping it. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static CURLMcode
multi_poll(struct curl_waitfd *fds, unsigned nfds, int timeout_ms)
{
	return curl_multi_poll(multi, fds, nfds, timeout_ms, NULL);
}

/* ----------------------------------------------------------------- text */

/*
 * The length of the UTF-8 character at s (at most n bytes), with its code
 * point in *cp; 0 when s does not start a well-formed, shortest-form,
 * non-surrogate character.
 */
static size_t
utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned c = s[0];
	size_t len, k;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
	    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	*cp = c & (0x7f >> len);
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
	    (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return len;
}

/* Is code point cp one of unsafe_chars? */
static int
unsafe_char(unsigned long cp)
{
	size_t i;

	for (i = 0; i < NELEM(unsafe_chars); i++)
		if (cp >= unsafe_chars[i].lo && cp <= unsafe_chars[i].hi)
			return 1;
	return 0;
}

/*
 * One character of text from the API at s (n > 0 bytes left), printed the
 * way how says: *used gets the bytes it takes up, out the bytes to print
 * (CLEAN_OUT_MAX at most).  Returns their count, or -1 for a blank of
 * CLEAN_LINE, which line_add() folds with its neighbours into one space.
 */
static int
clean_char(const unsigned char *s, size_t n, enum clean how, size_t *used, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char replacement[] = { (char)0xef, (char)0xbf, (char)0xbd };	/* U+FFFD */
	unsigned long cp = 0;
	size_t len = utf8_char(s, n, &cp), i;
	int bad = len == 0 || unsafe_char(cp);
	char esc = 0;

	*used = len > 0 ? len : 1;
	if (how == CLEAN_URL) {
		if (!bad && cp != ' ' && cp != '"' && cp != '\\') {
			memcpy(out, s, len);
			return len;
		}
		for (i = 0; i < *used; i++) {
			out[3 * i] = '%';
			out[3 * i + 1] = hex[s[i] >> 4];
			out[3 * i + 2] = hex[s[i] & 15];
		}
		return 3 * *used;
	}
	if (how == CLEAN_LINE && len > 0 && (bad || cp == ' '))
		return -1;
	if (how == CLEAN_TEXT && len == 1) {
		switch (cp) {
		case '\t': esc = 't'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		case '\\': esc = '\\'; break;
		case '\0': esc = '0'; break;
		default: break;
		}
	}
	if (esc != 0) {
		out[0] = '\\';
		out[1] = esc;
		return 2;
	}
	if (bad) {
		memcpy(out, replacement, sizeof replacement);
		return sizeof replacement;
	}
	memcpy(out, s, len);
	return len;
}

/* Adds rhq's own words (ASCII, clean) to a line. */
static void
line_raw(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->cut || l->len + n > l->max) {
		l->cut = 1;
		return;
	}
	memcpy(l->d + l->len, s, n);
	l->len += n;
	l->space = 0;
}

/* Adds text from the API to a line, cleaned as CLEAN_LINE says. */
static void
line_add(struct line *l, const char *p)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t n = strlen(p), used;
	char out[CLEAN_OUT_MAX];
	int k, started = 0;

	l->space = 0;
	for (; n > 0 && !l->cut; s += used, n -= used) {
		if ((k = clean_char(s, n, CLEAN_LINE, &used, out)) < 0) {
			l->space = started;
			continue;
		}
		if (l->len + l->space + k > l->max) {
			l->cut = 1;
			break;
		}
		if (l->space)
			l->d[l->len++] = ' ';
		memcpy(l->d + l->len, out, k);
		l->len += k;
		l->space = 0;
		started = 1;
	}
}

/* Ends the line with a NUL; a cut one loses whole characters to make room for "…". */
static size_t
line_end(struct line *l)
{
	if (l->cut) {
		while (l->len > l->max - (sizeof "\xe2\x80\xa6" - 1)) {
			l->len--;
			while (l->len > 0 && (l->d[l->len] & 0xc0) == 0x80)
				l->len--;
		}
	}
	while (l->len > 0 && l->d[l->len - 1] == ' ')
		l->len--;
	if (l->cut) {
		memcpy(l->d + l->len, "\xe2\x80\xa6", 3);
		l->len += 3;
	}
	l->d[l->len] = '\0';
	return l->len;
}

/* ---------------------------------------------------------------- input */

/*
 * A record longer than RECORD_MAX is reported by its first SHOW_MAX bytes and
 * the rest is skipped, so memory stays bounded whatever the input.
 */

/* Reads once from the descriptor (bytes, EOF or an interruption); -1 on error. */
static int
input_fill(struct input *in)
{
	ssize_t r;

	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	r = read(in->fd, in->buf + in->len, INBUF_SIZE - in->len);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		in->eof = 1;
	in->len += r;
	return 0;
}

/* A record longer than RECORD_MAX is shown by its head and is invalid. */
static void
cut_long_record(struct record *rec)
{
	rec->too_long = rec->len > RECORD_MAX;
	if (rec->too_long)
		rec->len = SHOW_MAX;
}

/* Takes the next record from the buffer: 1 got one, 0 need more bytes, -1 done. */
static int
input_next(struct input *in, struct record *rec)
{
	char *start, *end;
	size_t avail;

	for (;;) {
		start = in->buf + in->pos;
		avail = in->len - in->pos;
		end = memchr(start, opt.sep, avail);
		if (in->skipping) {
			if (end == NULL) {
				in->pos = in->len = 0;
				return in->eof ? -1 : 0;
			}
			in->pos += end - start + 1;
			in->skipping = 0;
			continue;
		}
		if (end != NULL) {
			rec->len = end - start;
			in->pos += rec->len + 1;
		} else if (avail > RECORD_MAX || (in->eof && avail > 0)) {
			/* The caller copies what it shows before the next fill. */
			rec->len = avail;
			in->pos = in->len;
			in->skipping = avail > RECORD_MAX;
		} else {
			return in->eof ? -1 : 0;
		}
		rec->p = start;
		rec->n = ++in->n;
		cut_long_record(rec);
		return 1;
	}
}

/* A record's length without the carriage return a CRLF file leaves at its end. */
static size_t
without_cr(const char *p, size_t len)
{
	return len > 0 && p[len - 1] == '\r' ? len - 1 : len;
}

static size_t
trim(const char **p, size_t n)
{
	while (n > 0 && isspace((unsigned char)**p))
		(*p)++, n--;
	while (n > 0 && isspace((unsigned char)(*p)[n - 1]))
		n--;
	return n;
}

/* A task ID is 1 to ID_MAX ASCII digits, not all zeros. */
static int
valid_task_id(const char *s, size_t n)
{
	size_t i;
	int nonzero = 0;

	if (n == 0 || n > ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero;
}

/* Finds field n (1-based) of a record; returns 0 when the record has fewer fields. */
static int
record_field(const char *p, size_t len, int n, char delim, const char **fp, size_t *flen)
{
	const char *end = p + len, *d;

	for (; n > 1; n--) {
		d = memchr(p, delim, end - p);
		if (d == NULL)
			return 0;
		p = d + 1;
	}
	d = memchr(p, delim, end - p);
	*fp = p;
	*flen = (d ? d : end) - p;
	return 1;
}

/*
 * Decides what a record asks for.  Blank records and comments are skipped; an
 * ID (taken from field opt.field with -f) is copied to id; anything else is
 * invalid, and shown (shownlen bytes) is the text to echo back in its row.
 */
static enum item
parse_item(const char *p, size_t len, int too_long, char id[ID_MAX + 1],
    const char **shown, size_t *shownlen)
{
	const char *t = p, *f;
	size_t tlen = trim(&t, len), flen;

	*shown = t;
	*shownlen = tlen;
	if (too_long)
		return ITEM_TOO_LONG;
	if (tlen == 0 || *t == '#')
		return ITEM_SKIP;
	f = t;
	flen = tlen;
	if (opt.field > 0) {
		if (!record_field(p, without_cr(p, len), opt.field, opt.delim, &f, &flen))
			return ITEM_NO_FIELD;
		flen = trim(&f, flen);
		*shown = f;
		*shownlen = flen;
	}
	if (!valid_task_id(f, flen))
		return ITEM_INVALID;
	memcpy(id, f, flen);
	id[flen] = '\0';
	return ITEM_ID;
}


/*
 * Takes the next record from the arguments or stdin, without ever blocking:
 * 1 got one (what names its kind for messages), 0 stdin has no whole record
 * yet, -1 there are no more records anywhere.  A record from stdin points into
 * the reader's buffer and is good until the next call.
 */
static int
next_record(struct record *rec, const char **what)
{
	memset(rec, 0, sizeof *rec);
	while (!src.done) {
		if (src.from_stdin) {
			switch (input_next(&src.in, rec)) {
			case 1:
				*what = src.what;
				return 1;
			case 0:
				if (!src.ready) {
					src.starved = 1;
					return 0;
				}
				src.ready = 0;
				if (input_fill(&src.in) < 0)
					die_errno("stdin");
				continue;
			}
			src.from_stdin = 0;	/* stdin is done: back to the arguments */
		}
		if (src.argi >= src.argc) {
			src.done = 1;
		} else if (strcmp(src.argv[src.argi], "-") == 0) {
			src.argi++;
			src.from_stdin = 1;
		} else {
			rec->p = src.argv[src.argi];
			rec->len = strlen(rec->p);
			rec->n = ++src.argi;
			cut_long_record(rec);
			*what = "argument";
			return 1;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- state */

/*
 * The members of an entry of the state file and what each holds: a
 * string, a whole number, the list of outputs (objects of strings) or the
 * reason (an object of strings).  The first four every entry has.  They are
 * named as the JSON rows name them; "outputs_code" and "outputs_msg" are
 * the code and msg that the rows of -o show under v1, those of the outputs
 * reply; "error_code" and "error_message" what a v2 reply said beside a
 * failure, from which a TSV row of -o words it when there is no reason.
 */
enum entry_member {
	E_ID, E_STATE, E_LEARNED, E_API, E_CODE, E_MSG, E_OUTPUTS_CODE, E_OUTPUTS_MSG,
	E_OUTPUTS, E_COST, E_REASON, E_ERROR_CODE, E_ERROR_MSG, E_NMEMBERS
};

static const struct {
	const char *key;
	enum { M_STRING, M_NUMBER, M_LIST, M_OBJECT } kind;
} entry_members[E_NMEMBERS] = {
	[E_ID] = { "id", M_STRING }, [E_STATE] = { "state", M_STRING },
	[E_LEARNED] = { "learned", M_NUMBER }, [E_API] = { "api", M_STRING },
	[E_CODE] = { "code", M_NUMBER }, [E_MSG] = { "msg", M_STRING },
	[E_OUTPUTS_CODE] = { "outputs_code", M_NUMBER },
	[E_OUTPUTS_MSG] = { "outputs_msg", M_STRING },
	[E_OUTPUTS] = { "outputs", M_LIST }, [E_COST] = { "cost_time", M_STRING },
	[E_REASON] = { "reason", M_OBJECT }, [E_ERROR_CODE] = { "error_code", M_STRING },
	[E_ERROR_MSG] = { "error_message", M_STRING },
};

/* The members of an output in an entry, named as the JSON rows name them. */
static const struct {
	const char *key;
	size_t field;
} entry_output_keys[] = {
	{ "url", offsetof(struct output, url) },
	{ "type", offsetof(struct output, type) },
	{ "node", offsetof(struct output, node) },
	{ "text", offsetof(struct output, text) },
};

/*
 * Is the token a whole number (no fraction, no exponent) of at most 18
 * digits, which cannot overflow?  Its value goes to *v.
 */
static int
whole_number(const char *js, const jsmntok_t *t, long long *v)
{
	const char *s = js + t->start, *e = js + t->end;
	int minus = s < e && *s == '-';
	long long x = 0;

	s += minus;
	if (t->type != JSMN_PRIMITIVE || s == e || e - s > 18)
		return 0;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		x = x * 10 + (*s - '0');
	}
	*v = minus ? -x : x;
	return 1;
}

/* Is the token at o an object whose members are all strings? */
static int
object_of_strings(const jsmntok_t *t, int n, int o)
{
	int i = o + 1, k;

	if (t[o].type != JSMN_OBJECT)
		return 0;
	for (k = 0; k < t[o].size; k++, i += 2)
		if (!is_member(t, i, n) || t[i + 1].type != JSMN_STRING)
			return 0;
	return 1;
}

/* Is the token at a an array of objects of strings? */
static int
list_of_objects(const jsmntok_t *t, int n, int a)
{
	int i = a + 1, k;

	if (t[a].type != JSMN_ARRAY)
		return 0;
	for (k = 0; k < t[a].size && i < n; k++, i = skip_value(t, i, n))
		if (!object_of_strings(t, n, i))
			return 0;
	return k == t[a].size;
}

/*
 * Finds the members of an entry, tokenized (n tokens), that rhq reads:
 * at[m] is the token of member m's value, or -1.  Other members are left
 * alone.  Returns NULL, or what is wrong with the entry.
 */
static const char *
entry_read(const char *js, const jsmntok_t *t, int n, int at[E_NMEMBERS])
{
	static const char *const wrong[] = {
		[M_STRING] = "is not a string", [M_NUMBER] = "is not a whole number",
		[M_LIST] = "is not a list of objects of strings",
		[M_OBJECT] = "is not an object of strings",
	};
	static char why[64];
	const jsmntok_t *v;
	long long number;
	int i, k, m, ok = 0;

	for (m = 0; m < E_NMEMBERS; m++)
		at[m] = -1;
	for (i = 1, k = 0; k < t[0].size && i < n; k++, i = skip_value(t, i, n)) {
		if (!is_member(t, i, n))
			return "not a JSON object";
		for (m = 0; m < E_NMEMBERS && (js[t[i].start] != entry_members[m].key[0] ||
		    !tok_is(js, &t[i], entry_members[m].key)); m++)
			;
		if (m == E_NMEMBERS)
			continue;
		v = &t[i + 1];
		switch (entry_members[m].kind) {
		case M_STRING:
			ok = v->type == JSMN_STRING;
			break;
		case M_NUMBER:
			ok = whole_number(js, v, &number);
			break;
		case M_LIST:
			ok = list_of_objects(t, n, i + 1);
			break;
		case M_OBJECT:
			ok = object_of_strings(t, n, i + 1);
			break;
		}
		if (!ok) {
			snprintf(why, sizeof why, "\"%s\" %s", entry_members[m].key,
			    wrong[entry_members[m].kind]);
			return why;
		}
		at[m] = i + 1;
	}
	for (m = E_ID; m <= E_API; m++)
		if (at[m] < 0) {
			snprintf(why, sizeof why, "no \"%s\"", entry_members[m].key);
			return why;
		}
	v = &t[at[E_ID]];
	if (!valid_task_id(js + v->start, v->end - v->start))
		return "\"id\" is not a task ID";
	if (!tok_is(js, &t[at[E_STATE]], "SUCCESS") && !tok_is(js, &t[at[E_STATE]], "FAILED"))
		return "\"state\" is neither SUCCESS nor FAILED";
	if (!tok_is(js, &t[at[E_API]], "v1") && !tok_is(js, &t[at[E_API]], "v2"))
		return "\"api\" is neither v1 nor v2";
	if (js[t[at[E_LEARNED]].start] == '-')
		return "\"learned\" is not a time";
	return NULL;
}

/*
 * Checks one line of the state file (without its newline): what loading it
 * finds out, or what is wrong with it.
 */
static const char *
entry_check(const char *p, size_t len, struct entry_head *h)
{
	jsmntok_t stack_tokens[64], *t;
	int n, at[E_NMEMBERS];
	const char *why;

	if (len == 0)
		return "empty line";
	if ((n = tokenize(p, len, stack_tokens, NELEM(stack_tokens), &t)) < 0) {
		why = "not a JSON object";
	} else if ((why = entry_read(p, t, n, at)) == NULL) {
		h->id_at = t[at[E_ID]].start;
		h->id_len = t[at[E_ID]].end - t[at[E_ID]].start;
		whole_number(p, &t[at[E_LEARNED]], &h->learned);
		h->facts = (tok_is(p, &t[at[E_API]], "v2") ? SLOT_V2 : 0) |
		    (tok_is(p, &t[at[E_STATE]], "FAILED") ? SLOT_FAILED : 0) |
		    (at[E_OUTPUTS] >= 0 ? SLOT_RESULTS : 0) |
		    (at[E_REASON] >= 0 && member(p, t, n, at[E_REASON], "traceback") >= 0 ?
		    SLOT_TRACEBACK : 0);
	}
	if (t != stack_tokens)
		free(t);
	return why;
}

/*
 * Reads the first line of a state file: 1, and its version in *version, when
 * it is a JSON object whose "rhq_state" is a whole number above 0; 0 when it
 * is anything else, which rhq did not write.
 */
static int
state_header(const char *p, size_t len, long *version)
{
	jsmntok_t stack_tokens[16], *t;
	int n, v, ok = 0;

	if ((n = tokenize(p, len, stack_tokens, NELEM(stack_tokens), &t)) >= 0 &&
	    (v = member(p, t, n, 0, "rhq_state")) >= 0)
		ok = parse_code(p, &t[v], version) == 0 && *version > 0;
	if (t != stack_tokens)
		free(t);
	return ok;
}

static uint64_t
id_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037u;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/*
 * The slot of the table that holds task ID id (n digits), or the empty slot
 * where it would go; *tag is the slot's tag for it.  The table always has
 * empty slots: it has twice as many as the file has lines.  An ID in the
 * buffer is followed by its closing quote, so comparing stops there, inside
 * the line.
 */
static uint64_t *
state_slot(const char *id, size_t n, uint64_t *tag)
{
	uint64_t h = id_hash(id, n), s;
	size_t i = h & sfile.mask, k;
	const char *p;

	*tag = h >> (64 - 18) << SLOT_TAG_SHIFT;
	for (;; i = (i + 1) & sfile.mask) {
		if ((s = sfile.slots[i]) == 0)
			return &sfile.slots[i];
		if ((s & SLOT_TAG) != *tag)
			continue;
		p = sfile.buf + (s & SLOT_OFFSET) - 1;
		for (k = 0; k < n && p[k] == id[k]; k++)
			;
		if (k == n && p[n] == '"')
			return &sfile.slots[i];
	}
}

/*
 * Checks and indexes the entries of the buffer, which end in newlines (only
 * the fuzzer gives a last line without one).  A bad line is named, with its
 * number, when report says so (the first STATE_BAD_SHOWN of them), and
 * skipped.  Counts the lines still of use, live, and the others, dead: bad,
 * replaced by a later line, or older than --state-max-age.
 */
static void
state_index(int report)
{
	const char *p = sfile.buf + sfile.entries, *end = sfile.buf + sfile.len, *nl, *why;
	unsigned long line = 1, lines = 0;
	struct entry_head h;
	uint64_t *slot, tag;
	size_t cap, i;

	for (nl = p; nl < end && (nl = memchr(nl, '\n', end - nl)) != NULL; nl++)
		lines++;
	lines += end > p && end[-1] != '\n';
	for (cap = 16; cap < 2 * lines; cap *= 2)
		;
	sfile.slots = xcalloc(cap, sizeof *sfile.slots);
	sfile.mask = cap - 1;
	sfile.bad = 0;
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if ((why = entry_check(p, nl - p, &h)) != NULL) {
			if (report && sfile.bad < STATE_BAD_SHOWN)
				note("%s:%lu: %s; skipped", opt.state, line, why);
			sfile.bad++;
			continue;
		}
		slot = state_slot(p + h.id_at, h.id_len, &tag);
		*slot = (uint64_t)(p + h.id_at - sfile.buf + 1) | tag | h.facts;
		if (opt.state_max_age >= 0 && sfile.now - h.learned > opt.state_max_age)
			*slot |= SLOT_EXPIRED;
	}
	if (report && sfile.bad > STATE_BAD_SHOWN)
		note("%s: %lu more bad lines skipped", opt.state, sfile.bad - STATE_BAD_SHOWN);
	sfile.live = 0;
	for (i = 0; i < cap; i++)
		sfile.live += sfile.slots[i] != 0 && !(sfile.slots[i] & SLOT_EXPIRED);
	sfile.dead = lines - sfile.live;
}

/*
 * Reads the whole state file into the buffer, which then holds whole lines
 * only.  A new (empty) file gets its first line.  A last line without its
 * newline was torn by a crash or a full disk: it is named and cut off the
 * file, so that what is appended starts a line of its own.  A file whose
 * first line is not that of a state file is left alone: rhq exits.
 */
static void
state_read(void)
{
	const char *nl;
	size_t cap = 65536, n = 0, k;
	unsigned long line;
	ssize_t r;
	long version;
	struct stat st;
	char header[32];

	if (fstat(sfile.fd, &st) == 0 && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	if (cap > SLOT_OFFSET)
		die("%s: too large for a state file", opt.state);
	sfile.buf = xmalloc(cap);
	while ((r = pread(sfile.fd, sfile.buf + n, cap - n, n)) != 0) {
		if (r < 0 && errno != EINTR)
			die_errno("%s", opt.state);
		n += r > 0 ? r : 0;
		if (n == cap)
			sfile.buf = xrealloc(sfile.buf, cap *= 2);
	}
	sfile.len = n;
	sfile.size = n;
	if (n == 0) {
		k = snprintf(header, sizeof header, "{\"rhq_state\":%d}\n", STATE_VERSION);
		state_write(header, k);
		return;
	}
	nl = memchr(sfile.buf, '\n', n);
	if (!state_header(sfile.buf, nl != NULL ? (size_t)(nl - sfile.buf) : n, &version))
		die("%s: not an rhq state file", opt.state);
	if (version > STATE_VERSION)
		die("%s: state file version %ld is newer than this rhq reads (%d)", opt.state,
		    version, STATE_VERSION);
	if (nl == NULL) {
		/* The first line alone, without its newline: whole, but not ended. */
		state_write("\n", 1);
		sfile.entries = sfile.len;
		return;
	}
	sfile.entries = nl + 1 - sfile.buf;
	if (sfile.buf[n - 1] == '\n')
		return;
	for (k = n; sfile.buf[k - 1] != '\n'; k--)
		;
	for (line = 1, nl = sfile.buf; (nl = memchr(nl, '\n', k - (nl - sfile.buf))) != NULL;
	    nl++)
		line++;
	note("%s:%lu: truncated line; skipped", opt.state, line);
	if (ftruncate(sfile.fd, k) < 0)
		die_errno("%s: cannot cut off its truncated last line", opt.state);
	sfile.len = sfile.size = k;
}

/*
 * Opens and locks the state file, waiting up to STATE_LOCK_WAIT seconds for
 * another rhq that holds it, on rhq's clock.  Once it is locked, the file at
 * the path must still be the one opened: another rhq that compacted it has
 * put a new one there, and that is opened instead.  Then reads and indexes
 * it.
 */
static void
state_open(void)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	double until = now() + STATE_LOCK_WAIT;
	struct stat st, at_path;
	int said = 0;

	for (;;) {
		sfile.fd = open(opt.state, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
		if (sfile.fd < 0 || fstat(sfile.fd, &st) < 0)
			die_errno("%s", opt.state);
		if (!S_ISREG(st.st_mode))
			die("%s: not a regular file", opt.state);
		while (fcntl(sfile.fd, F_SETLK, &lock) < 0) {
			struct flock held = lock;

			if (errno != EACCES && errno != EAGAIN)
				die_errno("%s: cannot lock it", opt.state);
			if (fcntl(sfile.fd, F_GETLK, &held) < 0)
				held.l_pid = 0;		/* held, by whom is not known */
			else if (held.l_type == F_UNLCK)
				continue;		/* let go meanwhile: try again */
			if (now() >= until)
				die("%s: in use by another rhq (pid %ld); giving up after %d s",
				    opt.state, (long)held.l_pid, STATE_LOCK_WAIT);
			if (opt.verbose && !said++)
				note("%s: in use by another rhq (pid %ld); waiting up to %d s",
				    opt.state, (long)held.l_pid, STATE_LOCK_WAIT);
			wait_events(NULL, 0, 100);
		}
		if (stat(opt.state, &at_path) == 0 && at_path.st_dev == st.st_dev &&
		    at_path.st_ino == st.st_ino)
			break;
		close(sfile.fd);
		if (now() >= until)
			die("%s: replaced again and again by another rhq; giving up", opt.state);
	}
	sfile.now = time(NULL);
	state_read();
	state_index(1);
	if ((sfile.mem = open_memstream(&sfile.mem_buf, &sfile.mem_len)) == NULL)
		die("out of memory");
}

/* Reads an entry's results (-o) into r, as a reply's are read. */
static int
entry_results(const char *js, const jsmntok_t *t, int n, const int at[E_NMEMBERS],
    struct results *r)
{
	int a = at[E_OUTPUTS], i, j, k, m;
	size_t e;

	results_reset(r);
	r->read = a >= 0;
	if (a >= 0 && t[a].size > 0 && (size_t)t[a].size > r->vcap) {
		r->vcap = t[a].size;
		r->v = xrealloc(r->v, r->vcap * sizeof *r->v);
	}
	for (i = a + 1, k = 0; a >= 0 && k < t[a].size; k++, i = skip_value(t, i, n)) {
		struct output out = { 0 };

		for (j = i + 1, m = 0; m < t[i].size; m++, j += 2)
			for (e = 0; e < NELEM(entry_output_keys); e++)
				if (tok_is(js, &t[j], entry_output_keys[e].key) &&
				    pool_add(r, js, &t[j + 1],
				    (size_t *)((char *)&out + entry_output_keys[e].field)) < 0)
					return -1;
		if (out.url != 0 || out.text != 0)
			r->v[r->n++] = out;
	}
	if ((at[E_REASON] >= 0 && read_reason(r, js, t, n, at[E_REASON], 1) < 0) ||
	    (at[E_COST] >= 0 && pool_add(r, js, &t[at[E_COST]], &r->cost) < 0) ||
	    (at[E_ERROR_CODE] >= 0 && pool_add(r, js, &t[at[E_ERROR_CODE]], &r->err_code) < 0) ||
	    (at[E_ERROR_MSG] >= 0 && pool_add(r, js, &t[at[E_ERROR_MSG]], &r->err_msg) < 0))
		return -1;
	return 0;
}

/*
 * Reads the details of the entry whose ID is at offset id_off of the buffer
 * into its outcome, as a reply's are read: the code and msg the JSON rows
 * show and, with -o, its results.  Returns 1, or 0 when it cannot.
 */
static int
entry_details(size_t id_off, struct outcome *o)
{
	const char *js = sfile.buf + id_off, *end = sfile.buf + sfile.len, *nl;
	jsmntok_t stack_tokens[64], *t;
	int n, at[E_NMEMBERS], ok = 0, c, m;

	while (js > sfile.buf + sfile.entries && js[-1] != '\n')
		js--;
	if ((nl = memchr(js, '\n', end - js)) == NULL)
		nl = end;
	if ((n = tokenize(js, nl - js, stack_tokens, NELEM(stack_tokens), &t)) < 0 ||
	    entry_read(js, t, n, at) != NULL)
		goto out;
	/* Under v1 the rows of -o show the outputs reply's code and msg. */
	c = opt.outputs && opt.api == API_V1 ? E_OUTPUTS_CODE : E_CODE;
	m = opt.outputs && opt.api == API_V1 ? E_OUTPUTS_MSG : E_MSG;
	if (at[c] >= 0)
		o->has_code = parse_code(js, &t[at[c]], &o->code) == 0;
	if (at[m] >= 0)
		o->has_msg = json_unescape(js + t[at[m]].start, t[at[m]].end - t[at[m]].start,
		    o->msg, sizeof o->msg) >= 0;
	if (opt.outputs) {
		if (entry_results(js, t, n, at, &sfile.res) < 0)
			goto out;
		o->res = &sfile.res;
	}
	ok = 1;
out:
	if (t != stack_tokens)
		free(t);
	return ok;
}

/*
 * Answers a task from the state file when its entry there does for this run:
 * an entry of the same API, not older than --state-max-age, with the results
 * that -o needs and, when FAILED, the traceback that --traceback needs.  Its
 * row is settled as a reply would settle it, and nothing is sent; the rest
 * of the entry is read only for the rows that show it (--json, -o).
 * Returns 1 when it did.
 */
static int
state_answer(struct task *t)
{
	struct outcome o = { .kind = OUT_STORED };
	uint64_t s, tag;

	if (sfile.fd < 0 || opt.refresh)
		return 0;
	s = *state_slot(t->id, strlen(t->id), &tag);
	if (s == 0 || (s & SLOT_EXPIRED) || ((s & SLOT_V2) != 0) != (opt.api == API_V2) ||
	    (opt.outputs && !(s & SLOT_RESULTS)) ||
	    (opt.traceback && (s & SLOT_FAILED) && !(s & SLOT_TRACEBACK)) ||
	    ((opt.json || opt.outputs) && !entry_details((s & SLOT_OFFSET) - 1, &o)))
		return 0;
	strcpy(o.state, s & SLOT_FAILED ? "FAILED" : "SUCCESS");
	apply(t, &o, 0);
	return 1;
}

/* ----------------------------------------------------------------- task */

static struct task *
task_at(unsigned long seq)
{
	return &window.t[seq % window.cap];
}

/* Copies n bytes to a buffer of the task's own, grown as needed and kept for reuse. */
static void
copy_into(char **buf, size_t *cap, const char *p, size_t n)
{
	if (n + 1 > *cap) {
		*buf = xrealloc(*buf, n + 1);
		*cap = n + 1;
	}
	memcpy(*buf, p, n);
	(*buf)[n] = '\0';
}

static void
set_text(struct task *t, const char *p, size_t n)
{
	copy_into(&t->text, &t->text_cap, p, n);
	t->text_len = n;
}

static void
set_msg(struct task *t, const char *msg)
{
	copy_into(&t->msg, &t->msg_cap, msg, strlen(msg));
}

/* Empties a set of results, keeping its buffers for reuse. */
static void
results_reset(struct results *r)
{
	r->len = r->n = 0;
	r->read = 0;
	r->cost = r->err_code = r->err_msg = 0;
	memset(r->reason, 0, sizeof r->reason);
}

static void
results_copy(struct results *dst, const struct results *src)
{
	if (src->len > dst->cap) {
		dst->pool = xrealloc(dst->pool, src->len);
		dst->cap = src->len;
	}
	if (src->n > dst->vcap) {
		dst->v = xrealloc(dst->v, src->n * sizeof *dst->v);
		dst->vcap = src->n;
	}
	if (src->len > 0)
		memcpy(dst->pool, src->pool, src->len);
	if (src->n > 0)
		memcpy(dst->v, src->v, src->n * sizeof *dst->v);
	dst->len = src->len;
	dst->n = src->n;
	dst->read = src->read;
	dst->cost = src->cost;
	memcpy(dst->reason, src->reason, sizeof dst->reason);
	dst->err_code = src->err_code;
	dst->err_msg = src->err_msg;
}

static void
results_free(struct results *r)
{
	free(r->pool);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* A string of a set of results by its offset: "" for 0, "not given". */
static const char *
res_str(const struct results *r, size_t off)
{
	return off != 0 ? r->pool + off : "";
}

/*
 * Keeps why a row is an error: said on stderr when the row is written, and
 * in the row with --json.
 */
static void
set_why(struct task *t, const char *why)
{
	copy_into(&t->why, &t->why_cap, why, strlen(why));
}

static void
window_grow(void)
{
	unsigned long cap = window.cap * 2, s;
	struct task *t = xcalloc(cap, sizeof *t);

	/* The window grows only when full, so every slot moves. */
	for (s = window.head; s < window.tail; s++)
		t[s % cap] = *task_at(s);
	free(window.t);
	window.t = t;
	window.cap = cap;
}

/* Is the window full?  Without --wait that is the reorder window: stop reading. */
static int
window_full(void)
{
	return !opt.wait && window.tail - window.head >= window.cap;
}

/* Makes room for one more task if it can: with --wait the window grows. */
static int
room_for_task(void)
{
	if (window.tail - window.head < window.cap)
		return 1;
	if (!opt.wait)
		return 0;
	window_grow();
	return 1;
}

/* An invalid record becomes a row at once, with the reason on stderr. */
static void
reject_record(struct task *t, const struct record *rec, const char *what, enum item kind)
{
	struct outcome o = { .kind = OUT_INVALID };

	if (kind == ITEM_NO_FIELD)
		snprintf(o.why, sizeof o.why, "%s %lu: no field %d", what, rec->n, opt.field);
	else
		snprintf(o.why, sizeof o.why, "%s %lu: %s", what, rec->n,
		    kind == ITEM_TOO_LONG ? "line too long" : "invalid task ID");
	apply(t, &o, 0);
}

/* Turns one record into a task at the tail of the window; returns 0 for a skipped one. */
static int
add_task(const struct record *rec, const char *what)
{
	unsigned long seq = window.tail;
	struct task *t = task_at(seq);
	const char *shown;
	size_t shownlen;
	enum item kind;

	kind = parse_item(rec->p, rec->len, rec->too_long, t->id, &shown, &shownlen);
	if (kind == ITEM_SKIP)
		return 0;
	t->phase = T_DUE;
	t->seq = seq;
	t->own = OWN_UNKNOWN;
	t->state[0] = '\0';
	t->has_code = t->has_msg = 0;
	t->attempts = t->polls = 0;
	t->req = opt.api == API_V2 ? REQ_V2 : REQ_STATUS;
	t->from = FROM_NOTHING;
	results_reset(&t->res);
	t->show_len = shownlen < SHOW_MAX ? shownlen : SHOW_MAX;
	if (opt.append && !rec->too_long) {
		set_text(t, rec->p, without_cr(rec->p, rec->len));
		t->show_off = shown - rec->p;
	} else if (kind != ITEM_ID) {
		set_text(t, shown, t->show_len);
		t->show_off = 0;
	}
	window.tail++;
	window.live++;
	if (kind == ITEM_ID) {
		if (!state_answer(t))
			schedule(seq, 0);
	} else {
		t->id[0] = '\0';
		reject_record(t, rec, what, kind);
	}
	return 1;
}

/* Reads records while there is room, without ever blocking; returns the tasks added. */
static int
add_tasks(void)
{
	struct record rec;
	const char *what;
	int added = 0;

	while (!src.done && room_for_task() && next_record(&rec, &what) == 1)
		added += add_task(&rec, what);
	return added;
}

/* -------------------------------------------------------------- request */

/*
 * Escapes a string for a JSON string literal.  Unsafe characters (see
 * unsafe_chars) are escaped too, so that a row shows none of them raw, and
 * bytes that are not valid UTF-8 become U+FFFD, so the result is valid JSON
 * whatever the input.  dst needs room for 6 * n + 1 bytes; returns the
 * length written.
 */
static size_t
json_escape(char *dst, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char *d = dst;
	size_t i, len;
	unsigned long cp = 0;

	for (i = 0; i < n; i += len) {
		if ((len = utf8_char(s + i, n - i, &cp)) == 0) {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			len = 1;
		} else if (cp == '"' || cp == '\\') {
			*d++ = '\\';
			*d++ = cp;
		} else if (cp == '\n' || cp == '\t' || cp == '\r') {
			*d++ = '\\';
			*d++ = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
		} else if (unsafe_char(cp)) {
			/* Every unsafe character is below U+10000: one escape. */
			memcpy(d, "\\u", 2);
			d[2] = hex[cp >> 12 & 15];
			d[3] = hex[cp >> 8 & 15];
			d[4] = hex[cp >> 4 & 15];
			d[5] = hex[cp & 15];
			d += 6;
		} else {
			memcpy(d, s + i, len);
			d += len;
		}
	}
	*d = '\0';
	return d - dst;
}

/*
 * The request body is `{"apiKey":"<key>","taskId":"<ID>"}` under v1, for the
 * status and the outputs endpoint alike, and `{"taskId":"<ID>"}` under v2,
 * whose key travels in the Authorization header only.  Everything up to the
 * ID is the same for every request of a run, so it is built once.
 */
#define BODY_SUFFIX	"\"}"
#define BODY_MAX_EXTRA	(ID_MAX + sizeof BODY_SUFFIX)

static int
make_body_prefix(const char *key)
{
	size_t n = strlen(key);

	if (opt.api == API_V2) {
		body_prefix = xstrdup("{\"taskId\":\"");
		body_prefix_len = strlen(body_prefix);
		return 0;
	}
	body_prefix = xmalloc(sizeof "{\"apiKey\":\"\",\"taskId\":\"" + 6 * n);
	body_prefix_len = strlen(strcpy(body_prefix, "{\"apiKey\":\""));
	body_prefix_len += json_escape(body_prefix + body_prefix_len, key, n);
	strcpy(body_prefix + body_prefix_len, "\",\"taskId\":\"");
	body_prefix_len += strlen(body_prefix + body_prefix_len);
	return 0;
}

/* Writes the body for one ID into dst, which has body_prefix_len + BODY_MAX_EXTRA bytes. */
static size_t
build_body(char *dst, const char *id)
{
	size_t n = strlen(id), len = body_prefix_len + n + sizeof BODY_SUFFIX - 1;

	memcpy(dst, body_prefix, body_prefix_len);
	memcpy(dst + body_prefix_len, id, n);
	memcpy(dst + body_prefix_len + n, BODY_SUFFIX, sizeof BODY_SUFFIX - 1);
	dst[len] = '\0';
	return len;
}


static size_t
write_reply(char *data, size_t size, size_t nmemb, void *arg)
{
	struct job *j = arg;
	size_t n = size * nmemb, cap, max = endpoints[j->kind].reply_max;

	if (j->reply_len + n > max) {
		/* Read no further: the transfer fails with CURLE_WRITE_ERROR. */
		j->too_big = 1;
		return 0;
	}
	if (j->reply_len + n + 1 > j->reply_cap) {
		cap = j->reply_cap * 2;
		while (cap < j->reply_len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		j->reply = xrealloc(j->reply, cap);
		j->reply_cap = cap;
	}
	memcpy(j->reply + j->reply_len, data, n);
	j->reply_len += n;
	return n;
}

/* Only http and https, however libcurl was built; PROTOCOLS_STR came in 7.85. */
static CURLcode
allow_http_only(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	return curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	return curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static int
job_init(struct job *j)
{
	CURL *h;
	int https = strncmp(urls[REQ_STATUS], "https:", 6) == 0;
	/* A proxy would see the key in clear: over plain http, none at all. */
	int no_proxy = !https && !opt.insecure_http;

	if ((h = curl_easy_init()) == NULL)
		return -1;
	j->h = h;
	j->kind = opt.api == API_V2 ? REQ_V2 : REQ_STATUS;
	j->reply_cap = 1024;
	j->body = xmalloc(body_prefix_len + BODY_MAX_EXTRA);
	j->reply = xmalloc(j->reply_cap);
	if (curl_easy_setopt(h, CURLOPT_CURLU, curlus[j->kind]) ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->body) ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "rhq/" RHQ_VERSION) ||
	    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
	    allow_http_only(h) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(opt.timeout * 1000)) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(opt.connect_timeout * 1000)) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_reply) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, j) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->errbuf) ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, j) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    (opt.cacert && curl_easy_setopt(h, CURLOPT_CAINFO, opt.cacert)) ||
	    (no_proxy && (curl_easy_setopt(h, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"))) ||
	    (https && opt.jobs > 1 && curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L)) ||
	    /* One stream gains nothing from HTTP/2, and pays for its framing. */
	    (opt.jobs == 1 && curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1)))
		return -1;
	return 0;
}

static void
job_free(struct job *j)
{
	if (j->h != NULL) {
		if (j->busy)
			curl_multi_remove_handle(multi, j->h);
		curl_easy_cleanup(j->h);
	}
	free(j->body);
	free(j->reply);
	results_free(&j->res);
}

static struct job *
idle_job(void)
{
	int i;

	for (i = 0; i < opt.jobs; i++)
		if (!jobs[i].busy)
			return &jobs[i];
	return NULL;
}

static void
start_request(struct job *j, unsigned long seq, double tn)
{
	struct task *t = task_at(seq);
	size_t len;

	j->seq = seq;
	j->busy = 1;
	j->sent = tn;
	in_flight++;
	j->reply_len = 0;
	j->too_big = 0;
	j->errbuf[0] = '\0';
	if (t->req != j->kind) {
		/* Another endpoint: the handle keeps its connection, only the URL changes. */
		j->kind = t->req;
		curl_easy_setopt(j->h, CURLOPT_CURLU, curlus[j->kind]);
	}
	len = build_body(j->body, t->id);
	if (len != j->body_len) {
		/* IDs are mostly of one length: set the size only when it changes. */
		j->body_len = len;
		curl_easy_setopt(j->h, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	t->phase = T_SENDING;
	t->attempts++;
	tally.requests++;
	rate_take_slot(tn);
	if (curl_multi_add_handle(multi, j->h) != CURLM_OK)
		die("cannot start a transfer");
}

static void
release_job(struct job *j)
{
	curl_multi_remove_handle(multi, j->h);
	j->busy = 0;
	in_flight--;
}

/* Seconds from a Retry-After header, capped; 0 when there is none. */
static double
retry_after(CURL *h)
{
	curl_off_t s = 0;

	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &s) != CURLE_OK || s < 0)
		return 0;
	return s > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : (double)s;
}

/* Gathers what a finished transfer gave, for classify(). */
static void
read_attempt(struct job *j, CURLcode rc, struct attempt *a)
{
	a->kind = j->kind;
	a->id = task_at(j->seq)->id;
	a->rc = rc;
	a->errtext = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);
	a->http = 0;
	curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &a->http);
	a->retry_after = retry_after(j->h);
	a->body = j->reply;
	a->len = j->reply_len;
	a->too_big = j->too_big;
	a->sent = j->sent;
	a->res = opt.outputs ? &j->res : NULL;
	a->traceback = opt.traceback;
}

static void
log_request(const struct task *t, const struct job *j, long http)
{
	long conns = 0, port = 0;
	curl_off_t usec = 0;

	/* A connection that failed to open has no local port. */
	curl_easy_getinfo(j->h, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(j->h, CURLINFO_LOCAL_PORT, &port);
	curl_easy_getinfo(j->h, CURLINFO_TOTAL_TIME_T, &usec);
	note("%s: %sHTTP %03ld, %.3f s, %s connection", t->id,
	    j->kind == REQ_OUTPUTS ? "outputs: " : "", http, usec / 1e6,
	    conns > 0 ? "new" : port == 0 ? "no" : "reused");
}

/* A transfer is over: free its job, and apply what it means to its task. */
static void
finish_request(struct job *j, CURLcode rc)
{
	struct task *t = task_at(j->seq);
	struct attempt a;
	struct outcome o;

	release_job(j);
	read_attempt(j, rc, &a);
	if (opt.verbose)
		log_request(t, j, a.http);
	classify(&a, &o);
	apply(t, &o, now());
}

/* ------------------------------------------------------------- classify */

static void
put_utf8(char **d, unsigned long cp)
{
	unsigned char *u = (unsigned char *)*d;

	if (cp < 0x80) {
		*u++ = cp;
	} else if (cp < 0x800) {
		*u++ = 0xc0 | cp >> 6;
		*u++ = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		*u++ = 0xe0 | cp >> 12;
		*u++ = 0x80 | (cp >> 6 & 0x3f);
		*u++ = 0x80 | (cp & 0x3f);
	} else {
		*u++ = 0xf0 | cp >> 18;
		*u++ = 0x80 | (cp >> 12 & 0x3f);
		*u++ = 0x80 | (cp >> 6 & 0x3f);
		*u++ = 0x80 | (cp & 0x3f);
	}
	*d = (char *)u;
}

static long
hex4(const char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decodes the body of a JSON string (escapes included, quotes excluded) into
 * at most cap - 1 bytes of UTF-8 plus a NUL, cutting at a character boundary.
 * A lone surrogate or an escaped NUL becomes U+FFFD.  Returns the length of
 * the whole decoded text, which is cap or more when it was cut, or -1 when an
 * escape is malformed.
 */
static long
json_unescape(const char *s, size_t n, char *dst, size_t cap)
{
	char tmp[4], *d = dst, *t;
	size_t i = 0, total = 0;
	long cp, lo;
	int full = 0;

	while (i < n) {
		t = tmp;
		if (s[i] != '\\') {
			/* A raw multibyte character is copied whole, or not at all. */
			*t++ = s[i++];
			while (i < n && (s[i] & 0xc0) == 0x80 && (tmp[0] & 0xc0) == 0xc0 &&
			    t < tmp + sizeof tmp)
				*t++ = s[i++];
		} else if (i + 1 >= n) {
			return -1;
		} else if (s[i + 1] != 'u') {
			switch (s[i + 1]) {
			case '"': case '\\': case '/': *t++ = s[i + 1]; break;
			case 'b': *t++ = '\b'; break;
			case 'f': *t++ = '\f'; break;
			case 'n': *t++ = '\n'; break;
			case 'r': *t++ = '\r'; break;
			case 't': *t++ = '\t'; break;
			default: return -1;
			}
			i += 2;
		} else {
			if (i + 6 > n || (cp = hex4(s + i + 2)) < 0)
				return -1;
			i += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= n &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    (lo = hex4(s + i + 2)) >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0) {
				/* A lone surrogate, or a NUL that would cut the text. */
				cp = 0xfffd;
			}
			put_utf8(&t, cp);
		}
		/* Stop copying, but keep validating and counting, once the buffer is full. */
		total += t - tmp;
		if (!full && (size_t)(d - dst) + (t - tmp) < cap) {
			memcpy(d, tmp, t - tmp);
			d += t - tmp;
		} else {
			full = 1;
		}
	}
	*d = '\0';
	return total;
}

/* Index of the token after the value that starts at token i (a whole subtree). */
static int
skip_value(const jsmntok_t *t, int i, int n)
{
	int pending = 1;

	while (pending > 0 && i < n) {
		pending += t[i].size - 1;
		i++;
	}
	return i;
}

static int
tok_is(const char *js, const jsmntok_t *t, const char *s)
{
	size_t n = strlen(s);

	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
	    memcmp(js + t->start, s, n) == 0;
}

static int
parse_code(const char *js, const jsmntok_t *t, long *code)
{
	char num[24], *end;
	size_t n = t->end - t->start;

	if (t->type != JSMN_PRIMITIVE || n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, js + t->start, n);
	num[n] = '\0';
	if (num[0] != '-' && (num[0] < '0' || num[0] > '9'))
		return -1;
	errno = 0;
	*code = strtol(num, &end, 10);
	return *end != '\0' || errno ? -1 : 0;
}

/*
 * jsmn's strict mode still lets through text that is not JSON: doubled and
 * trailing commas, primitives such as `tru` or `1.2.3`, raw control
 * characters in strings.  These checks, over jsmn's tokens and the text
 * between them, refuse what RFC 8259 does not allow.
 */

/* Is [s, s+n) a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0, k;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (k = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == k)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (k = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == k)
			return 0;
	}
	return i == n;
}

static int
json_primitive(const char *s, size_t n)
{
	return (n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
	    (n == 4 && memcmp(s, "null", 4) == 0) || json_number(s, n);
}

/* Is [s, s+n) whitespace, at most one sep (0: none) and whitespace? */
static int
json_gap(const char *s, size_t n, char sep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (sep != 0 && s[i] == sep)
			sep = 0;
		else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	}
	return sep == 0;
}

/* Where a token's text starts, with the quote of a string. */
static size_t
tok_from(const jsmntok_t *t)
{
	return t->start - (t->type == JSMN_STRING);
}

/* Where a token's text ends, after the quote of a string. */
static size_t
tok_to(const jsmntok_t *t)
{
	return t->end + (t->type == JSMN_STRING);
}

/* Is the scalar token t valid JSON by itself? */
static int
json_scalar(const char *js, const jsmntok_t *t)
{
	int i;

	if (t->type == JSMN_PRIMITIVE)
		return json_primitive(js + t->start, t->end - t->start);
	for (i = t->start; i < t->end; i++)
		if ((unsigned char)js[i] < 0x20)
			return 0;
	return 1;
}

/*
 * Checks the n tokens of js, which start with an object or array, in the
 * order jsmn gives them (a container before its members).  A stack holds
 * each open container and how many of its values are left; between two
 * tokens only whitespace and the one right separator may stand.
 */
static int
json_valid(const char *js, const jsmntok_t *t, int n)
{
	struct open { int tok, left, first; } small[32], *stack = small;
	int depth = 0, i = 1, ok = 0;
	size_t pos = t[0].start + 1;
	const jsmntok_t *c, *v;

	if (n > (int)NELEM(small))
		stack = xcalloc(n, sizeof *stack);
	stack[0] = (struct open){ 0, t[0].size, 1 };
	while (depth >= 0) {
		struct open *f = &stack[depth];

		c = &t[f->tok];
		if (f->left == 0) {
			if (!json_gap(js + pos, c->end - 1 - pos, 0))
				goto out;
			pos = c->end;
			depth--;
			continue;
		}
		if (i >= n || !json_gap(js + pos, tok_from(&t[i]) - pos, f->first ? 0 : ','))
			goto out;
		if (c->type == JSMN_OBJECT) {
			/* A key, a colon, then its value. */
			if (t[i].type != JSMN_STRING || !json_scalar(js, &t[i]) || i + 1 >= n ||
			    !json_gap(js + tok_to(&t[i]), tok_from(&t[i + 1]) - tok_to(&t[i]), ':'))
				goto out;
			i++;
		}
		f->left--;
		f->first = 0;
		v = &t[i++];
		if (v->type == JSMN_OBJECT || v->type == JSMN_ARRAY) {
			stack[++depth] = (struct open){ i - 1, v->size, 1 };
			pos = v->start + 1;
		} else if (json_scalar(js, v)) {
			pos = tok_to(v);
		} else {
			goto out;
		}
	}
	ok = i == n;
out:
	if (stack != small)
		free(stack);
	return ok;
}

/*
 * Tokenizes a reply that must be one JSON object, valid (json_valid), with
 * nothing but whitespace after it.  The tokens go to stack (nstack of them)
 * or, when there are more, to an array that the caller frees: *tp says
 * which.  Returns the number of tokens, or -1.
 */
static int
tokenize(const char *js, size_t len, jsmntok_t *stack, int nstack, jsmntok_t **tp)
{
	jsmntok_t *t = stack;
	jsmn_parser p;
	int n;

	*tp = stack;
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, t, nstack);
	if (n == JSMN_ERROR_NOMEM) {
		/* Rare: a reply with many tokens.  Count them, then parse again. */
		jsmn_init(&p);
		n = jsmn_parse(&p, js, len, NULL, 0);
		if (n <= 0)
			return -1;
		*tp = t = xcalloc(n, sizeof *t);
		jsmn_init(&p);
		n = jsmn_parse(&p, js, len, t, n);
	}
	if (n < 1 || t[0].type != JSMN_OBJECT)
		return -1;
	if (!json_gap(js + t[0].end, len - t[0].end, 0) || !json_valid(js, t, n))
		return -1;
	return n;
}

static int
tok_null(const char *js, const jsmntok_t *t)
{
	return t->type == JSMN_PRIMITIVE && t->end - t->start == 4 &&
	    memcmp(js + t->start, "null", 4) == 0;
}

/*
 * The members of an object, as jsmn builds them: a name is a child of the
 * object and its value the name's one child, so the next member comes after
 * the name's whole subtree.  jsmn also accepts a name without a value
 * ({"a" "b"}); walking by pairs there would leave the object and read its
 * neighbours' tokens, so the parsers take such a reply for what it is: not
 * JSON.
 */
static int
is_member(const jsmntok_t *t, int i, int n)
{
	return t[i].type == JSMN_STRING && t[i].size == 1 && i + 1 < n;
}

/*
 * The envelope of v1 replies, status and outputs alike: code and msg.
 * Returns 1 when key is one of them, 0 for another member, -1 for a bad value.
 */
static int
read_envelope(const char *js, const jsmntok_t *key, const jsmntok_t *val, struct reply *r)
{
	if (tok_is(js, key, "code")) {
		if (parse_code(js, val, &r->code) < 0)
			return -1;
		r->has_code = 1;
		return 1;
	}
	if (tok_is(js, key, "msg") && val->type == JSMN_STRING) {
		if (json_unescape(js + val->start, val->end - val->start,
		    r->msg, sizeof r->msg) < 0)
			return -1;
		r->has_msg = 1;
		return 1;
	}
	return 0;
}

/*
 * Reads the top-level code, msg and data of a reply.  Keys may come in any
 * order and nested values are skipped whole, so an inner "code" cannot be
 * mistaken for the outer one.  Returns 0, or -1 when the reply is not a JSON
 * object with an integer code.
 */
static int
parse_reply(const char *js, size_t len, struct reply *r)
{
	jsmntok_t stack_tokens[64], *t;
	int n, i, k, e, ret = -1;
	long dlen;

	memset(r, 0, sizeof *r);
	if ((n = tokenize(js, len, stack_tokens, NELEM(stack_tokens), &t)) < 0)
		goto out;
	for (i = 1, k = 0; k < t[0].size && i < n; k++, i = skip_value(t, i, n)) {
		const jsmntok_t *key = &t[i], *val = &t[i + 1];

		if (!is_member(t, i, n) || (e = read_envelope(js, key, val, r)) < 0)
			goto out;
		if (e == 0 && tok_is(js, key, "data")) {
			r->data_kind = DATA_OTHER;
			r->data_len = 0;
			r->data[0] = '\0';
			if (val->type == JSMN_STRING) {
				dlen = json_unescape(js + val->start, val->end - val->start,
				    r->data, sizeof r->data);
				if (dlen < 0)
					goto out;
				r->data_kind = DATA_STRING;
				r->data_len = dlen;
			} else if (tok_null(js, val)) {
				r->data_kind = DATA_NULL;
			}
		}
	}
	if (k == t[0].size && r->has_code)
		ret = 0;
out:
	if (t != stack_tokens)
		free(t);
	return ret;
}


/* Index of the value of member key of the object at token o, or -1. */
static int
member(const char *js, const jsmntok_t *t, int n, int o, const char *key)
{
	int i = o + 1, k;

	for (k = 0; k < t[o].size && i < n && is_member(t, i, n); k++, i = skip_value(t, i, n))
		if (tok_is(js, &t[i], key))
			return i + 1;
	return -1;
}

/*
 * Adds a value to the pool of r: a string decoded, a number as written.  Its
 * offset goes to *off; null, "", objects and arrays leave *off alone, as does
 * a NULL r.  Returns -1 for a string with a malformed escape.
 */
static int
pool_add(struct results *r, const char *js, const jsmntok_t *t, size_t *off)
{
	size_t n = t->end - t->start, cap, at;
	long dlen;

	if (r == NULL || n == 0 || t->type == JSMN_OBJECT || t->type == JSMN_ARRAY ||
	    (t->type == JSMN_PRIMITIVE && js[t->start] != '-' &&
	    !isdigit((unsigned char)js[t->start])))
		return 0;
	/* A decoded string is never longer than its JSON text. */
	if (r->len + n + 2 > r->cap) {
		for (cap = r->cap ? 2 * r->cap : 256; cap < r->len + n + 2; cap *= 2)
			;
		r->pool = xrealloc(r->pool, cap);
		r->cap = cap;
	}
	if (r->len == 0)
		r->pool[r->len++] = '\0';	/* offset 0: the empty string */
	at = r->len;
	if (t->type == JSMN_STRING) {
		if ((dlen = json_unescape(js + t->start, n, r->pool + at, n + 1)) < 0)
			return -1;
	} else {
		memcpy(r->pool + at, js + t->start, n);
		r->pool[at + n] = '\0';
		dlen = n;
	}
	if (dlen > 0) {
		r->len = at + dlen + 1;
		*off = at;
	}
	return 0;
}

/* Where each field of an output comes from: v2 names, then v1 names. */
static const struct {
	const char *key;
	size_t field;
} output_keys[] = {
	{ "url", offsetof(struct output, url) },
	{ "fileUrl", offsetof(struct output, url) },
	{ "outputType", offsetof(struct output, type) },
	{ "fileType", offsetof(struct output, type) },
	{ "nodeId", offsetof(struct output, node) },
	{ "text", offsetof(struct output, text) },
};

/* Reads one item of a list of results; an item with neither URL nor text is left out. */
static int
read_output(struct results *r, const char *js, const jsmntok_t *t, int n, int o)
{
	struct output out = { 0 };
	int i = o + 1, k;
	size_t f;

	for (k = 0; k < t[o].size && i < n; k++, i = skip_value(t, i, n)) {
		if (!is_member(t, i, n))
			return -1;
		for (f = 0; f < NELEM(output_keys); f++)
			if (tok_is(js, &t[i], output_keys[f].key) &&
			    pool_add(r, js, &t[i + 1],
			    (size_t *)((char *)&out + output_keys[f].field)) < 0)
				return -1;
		/* v1 repeats the task's cost in every file. */
		if (r->cost == 0 && tok_is(js, &t[i], "taskCostTime") &&
		    pool_add(r, js, &t[i + 1], &r->cost) < 0)
			return -1;
	}
	if (out.url != 0 || out.text != 0)
		r->v[r->n++] = out;
	return 0;
}

/* Reads the list of results at token a (an array); items that are not objects are skipped. */
static int
read_outputs(struct results *r, const char *js, const jsmntok_t *t, int n, int a)
{
	int i = a + 1, k;

	if (r == NULL)
		return 0;
	if (r->n + t[a].size > r->vcap) {
		r->vcap = r->n + t[a].size;
		r->v = xrealloc(r->v, r->vcap * sizeof *r->v);
	}
	for (k = 0; k < t[a].size && i < n; k++, i = skip_value(t, i, n))
		if (t[i].type == JSMN_OBJECT && read_output(r, js, t, n, i) < 0)
			return -1;
	return 0;
}

/* Reads a failedReason object; the traceback only when asked for. */
static int
read_reason(struct results *r, const char *js, const jsmntok_t *t, int n, int o,
    int traceback)
{
	int i = o + 1, k, f;

	if (r == NULL || t[o].type != JSMN_OBJECT)
		return 0;
	for (k = 0; k < t[o].size && i < n; k++, i = skip_value(t, i, n)) {
		if (!is_member(t, i, n))
			return -1;
		for (f = 0; f < R_NFIELDS; f++)
			if ((f != R_TRACEBACK || traceback) && tok_is(js, &t[i], reason_keys[f]) &&
			    pool_add(r, js, &t[i + 1], &r->reason[f]) < 0)
				return -1;
	}
	return 0;
}

/*
 * Reads a reply of the outputs endpoint: code and msg as parse_reply does, and
 * data, either the list of files or (code 805) an object whose failedReason
 * says why the task failed.  Results are decoded into res, unless it is NULL.
 * Returns 0, or -1 when the reply is not a JSON object with an integer code.
 */
static int
parse_outputs_reply(const char *js, size_t len, struct reply *r, struct results *res,
    int traceback)
{
	jsmntok_t stack_tokens[64], *t;
	int n, i, k, e, fr, ret = -1;

	memset(r, 0, sizeof *r);
	if (res != NULL)
		results_reset(res);
	if ((n = tokenize(js, len, stack_tokens, NELEM(stack_tokens), &t)) < 0)
		goto out;
	for (i = 1, k = 0; k < t[0].size && i < n; k++, i = skip_value(t, i, n)) {
		const jsmntok_t *key = &t[i], *val = &t[i + 1];

		if (!is_member(t, i, n) || (e = read_envelope(js, key, val, r)) < 0)
			goto out;
		if (e == 0 && tok_is(js, key, "data")) {
			r->data_kind = val->type == JSMN_ARRAY ? DATA_ARRAY :
			    val->type == JSMN_OBJECT ? DATA_OBJECT :
			    tok_null(js, val) ? DATA_NULL : DATA_OTHER;
			if (val->type == JSMN_ARRAY && read_outputs(res, js, t, n, i + 1) < 0)
				goto out;
			if (val->type == JSMN_OBJECT &&
			    (fr = member(js, t, n, i + 1, "failedReason")) >= 0 &&
			    read_reason(res, js, t, n, fr, traceback) < 0)
				goto out;
		}
	}
	if (k == t[0].size && r->has_code)
		ret = 0;
out:
	if (t != stack_tokens)
		free(t);
	if (res != NULL)
		res->read = ret == 0;
	return ret;
}

/*
 * errorCode as v2 replies give it: "806", 806, "", null or absent.  A whole
 * number becomes the code; anything else that is not empty is kept as text.
 */
static int
parse_error_code(const char *js, const jsmntok_t *t, struct v2_reply *v)
{
	char buf[sizeof v->code_text] = { 0 };
	const char *p = buf;
	size_t n;
	long code;

	if (t->type == JSMN_PRIMITIVE) {
		if (js[t->start] != '-' && !isdigit((unsigned char)js[t->start]))
			return 0;	/* null, true, false */
		if (parse_code(js, t, &code) == 0) {
			v->r.code = code;
			v->r.has_code = 1;
			return 0;
		}
		n = t->end - t->start;
		snprintf(v->code_text, sizeof v->code_text, "%.*s", (int)n, js + t->start);
		return 0;
	}
	if (t->type != JSMN_STRING)
		return 0;
	if (json_unescape(js + t->start, t->end - t->start, buf, sizeof buf) < 0)
		return -1;
	n = trim(&p, strlen(buf));
	if (n == 0)
		return 0;
	if (strspn(p, "0123456789") == n && n <= 18) {
		v->r.code = strtol(p, NULL, 10);
		v->r.has_code = 1;
	} else {
		snprintf(v->code_text, sizeof v->code_text, "%.*s", (int)n, p);
	}
	return 0;
}

/* taskId as v2 replies give it: a string, or a number as written; null or absent: none. */
static int
read_task_id(const char *js, const jsmntok_t *t, struct v2_reply *v)
{
	long dlen;
	size_t n = t->end - t->start;

	if (t->type == JSMN_STRING) {
		if ((dlen = json_unescape(js + t->start, n, v->task_id, sizeof v->task_id)) < 0)
			return -1;
		v->task_id_len = dlen;
	} else if (t->type == JSMN_PRIMITIVE && isdigit((unsigned char)js[t->start])) {
		snprintf(v->task_id, sizeof v->task_id, "%.*s", (int)n, js + t->start);
		v->task_id_len = n;
	}
	return 0;
}

/*
 * Reads a v2 reply: a flat object with taskId, status, errorCode,
 * errorMessage and, decoded into res unless it is NULL, results,
 * failedReason and usage.  Any of them may be null, empty or absent, and
 * other members may come anywhere.  Returns 0, or -1 when the reply is not
 * a JSON object.
 */
static int
parse_v2_reply(const char *js, size_t len, struct v2_reply *v, struct results *res,
    int traceback)
{
	jsmntok_t stack_tokens[64], *t;
	int n, i, k, c, ret = -1;
	long dlen;

	memset(v, 0, sizeof *v);
	if (res != NULL)
		results_reset(res);
	if ((n = tokenize(js, len, stack_tokens, NELEM(stack_tokens), &t)) < 0)
		goto out;
	for (i = 1, k = 0; k < t[0].size && i < n; k++, i = skip_value(t, i, n)) {
		const jsmntok_t *key = &t[i], *val = &t[i + 1];

		if (!is_member(t, i, n))
			goto out;
		if (tok_is(js, key, "status") && val->type == JSMN_STRING) {
			if ((dlen = json_unescape(js + val->start, val->end - val->start,
			    v->status, sizeof v->status)) < 0)
				goto out;
			v->status_len = dlen;
		} else if (tok_is(js, key, "taskId")) {
			if (read_task_id(js, val, v) < 0)
				goto out;
		} else if (tok_is(js, key, "errorCode")) {
			if (parse_error_code(js, val, v) < 0 ||
			    (res != NULL && pool_add(res, js, val, &res->err_code) < 0))
				goto out;
		} else if (tok_is(js, key, "errorMessage") && val->type == JSMN_STRING) {
			if (json_unescape(js + val->start, val->end - val->start,
			    v->r.msg, sizeof v->r.msg) < 0 ||
			    (res != NULL && pool_add(res, js, val, &res->err_msg) < 0))
				goto out;
			v->r.has_msg = v->r.msg[0] != '\0';
		} else if (tok_is(js, key, "results") && val->type == JSMN_ARRAY) {
			if (read_outputs(res, js, t, n, i + 1) < 0)
				goto out;
		} else if (tok_is(js, key, "failedReason")) {
			if (read_reason(res, js, t, n, i + 1, traceback) < 0)
				goto out;
		} else if (tok_is(js, key, "usage") && val->type == JSMN_OBJECT && res != NULL &&
		    (c = member(js, t, n, i + 1, "taskCostTime")) >= 0) {
			if (pool_add(res, js, &t[c], &res->cost) < 0)
				goto out;
		}
	}
	if (k == t[0].size)
		ret = 0;
out:
	if (t != stack_tokens)
		free(t);
	if (res != NULL)
		res->read = ret == 0;
	return ret;
}

/* The state rhq decides itself that is named s, or OWN_NONE. */
static enum own
own_state(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(own_states); i++)
		if (own_states[i].name != NULL && strcmp(own_states[i].name, s) == 0)
			return i;
	return OWN_NONE;
}

/*
 * A state is an upper-case word: [A-Z][A-Z0-9_]{0,31}.  n is its whole
 * length, which may be more than the bytes at s.
 */
static int
is_state_word(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > STATE_MAX || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	return 1;
}


/*
 * Does a reply's taskId (n bytes, the whole length) name the task asked
 * about?  IDs are numbers, so leading zeros do not count.
 */
static int
same_task(const char *got, size_t n, const char *asked)
{
	if (n >= ID_MAX + 1)
		return 0;
	while (n > 1 && *got == '0')
		got++, n--;
	while (asked[0] == '0' && asked[1] != '\0')
		asked++;
	return strlen(asked) == n && memcmp(got, asked, n) == 0;
}

static enum http_class
http_class_of(long http)
{
	size_t i;

	for (i = 0; i < NELEM(http_classes); i++)
		if (http >= http_classes[i].lo && http <= http_classes[i].hi)
			return http_classes[i].class;
	return H_ERROR;
}

static int
transient_curl(CURLcode rc)
{
	size_t i;

	for (i = 0; i < NELEM(transient_curl_codes); i++)
		if (transient_curl_codes[i] == rc)
			return 1;
	return 0;
}

static const struct api_code *
find_api_code(long code)
{
	size_t i;

	for (i = 0; i < NELEM(api_codes); i++)
		if (api_codes[i].code == code)
			return &api_codes[i];
	return NULL;
}

/*
 * Sets the outcome's kind and its reason, cleaned as a line (CLEAN_LINE):
 * it is printed on stderr, with -v, and in --json.
 */
static void
set_outcome(struct outcome *o, enum outcome_kind kind, const char *fmt, ...)
{
	char raw[2 * WHY_MAX];
	struct line l = { .d = o->why, .max = sizeof o->why - 1 };
	va_list ap;
	int n;

	o->kind = kind;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	line_add(&l, raw);
	l.cut |= n >= (int)sizeof raw;
	line_end(&l);
}

/*
 * The one place that words an API error: "API error 807 (APIKEY_TASK_NOT_FOUND)",
 * with the API's message, or the code's name when the API gave none.
 */
static void
api_error(struct outcome *o, enum outcome_kind kind, const struct reply *r,
    const struct api_code *c)
{
	set_outcome(o, kind, "API error %ld (%s)", r->code, r->msg[0] ? r->msg :
	    c != NULL ? c->name : "no message");
}

/* What a parsed reply means: a state, or the meaning of its code in the table. */
static void
classify_reply(const struct reply *r, struct outcome *o)
{
	const struct api_code *c;

	if (r->code == 0) {
		if (r->data_kind == DATA_STRING && is_state_word(r->data, r->data_len) &&
		    own_state(r->data) != OWN_NONE) {
			/* A reply must not pass for rhq's own verdict. */
			set_outcome(o, OUT_ERROR, "reply has a reserved state (%s)", r->data);
		} else if (r->data_kind == DATA_STRING && is_state_word(r->data, r->data_len)) {
			o->kind = OUT_STATE;
			memcpy(o->state, r->data, r->data_len + 1);
		} else {
			set_outcome(o, OUT_ERROR, "%s", r->data_kind == DATA_NULL ?
			    "reply has no state (data is null)" :
			    r->data_kind == DATA_ABSENT ? "reply has no data" :
			    "reply has an unexpected state");
		}
		return;
	}
	if ((c = find_api_code(r->code)) == NULL) {
		api_error(o, OUT_ERROR, r, NULL);
		return;
	}
	switch (c->class) {
	case C_STATE:
		/* The outputs endpoint's way of saying "not finished yet". */
		o->kind = OUT_STATE;
		snprintf(o->state, sizeof o->state, "%s", c->extra);
		break;
	case C_NOT_FOUND:
		api_error(o, OUT_NOT_FOUND, r, c);
		break;
	case C_TRANSIENT:
		api_error(o, OUT_RETRY, r, c);
		o->said = SAID_NOTHING;
		break;
	case C_THROTTLE:
		api_error(o, OUT_RETRY, r, c);
		o->said = SAID_SLOW_DOWN;
		break;
	case C_FATAL:
		api_error(o, OUT_FATAL, r, c);
		o->hint = c->extra;
		break;
	}
}

/* Keeps what a reply said, for --json. */
static void
keep_reply(struct outcome *o, const struct reply *r)
{
	o->has_code = r->has_code;
	o->code = r->code;
	o->has_msg = r->has_msg;
	memcpy(o->msg, r->msg, sizeof o->msg);
}

static void
classify_status(const struct attempt *a, struct outcome *o)
{
	struct reply r;

	if (parse_reply(a->body, a->len, &r) < 0) {
		set_outcome(o, OUT_ERROR, "unparseable reply");
		return;
	}
	keep_reply(o, &r);
	classify_reply(&r, o);
}

/*
 * A reply of the outputs endpoint.  The status already said SUCCESS or
 * FAILED: the files (code 0 and a list) or the failure (805) are results for
 * that state; "not ready yet" (804, 813, or code 0 without a list, which one
 * client saw) is retried; other codes mean what the table says.
 */
static void
classify_outputs(const struct attempt *a, struct outcome *o)
{
	const struct api_code *c;
	struct reply r;

	if (parse_outputs_reply(a->body, a->len, &r, a->res, a->traceback) < 0) {
		set_outcome(o, OUT_ERROR, "unparseable reply");
		return;
	}
	keep_reply(o, &r);
	c = find_api_code(r.code);
	if ((r.code == 0 && r.data_kind == DATA_ARRAY) || r.code == CODE_TASK_FAILED) {
		o->kind = OUT_RESULTS;
		o->res = a->res;
	} else if (r.code == 0) {
		set_outcome(o, OUT_RETRY, "outputs not ready (%s)",
		    r.msg[0] ? r.msg : "no list of files");
	} else if (c != NULL && c->class == C_STATE) {
		api_error(o, OUT_RETRY, &r, c);
	} else {
		classify_reply(&r, o);
	}
}

/*
 * A v2 reply.  One for another task (a taskId that is not empty names it)
 * says nothing of this one: an ERROR row.  A status is the state (an
 * errorCode beside it only adds detail), and its results and failedReason
 * come with it; without a status, errorCode means what the table says.
 */
static void
classify_v2(const struct attempt *a, struct outcome *o)
{
	struct v2_reply v;

	if (parse_v2_reply(a->body, a->len, &v, a->res, a->traceback) < 0) {
		set_outcome(o, OUT_ERROR, "unparseable reply");
		return;
	}
	keep_reply(o, &v.r);
	if (a->id != NULL && v.task_id_len > 0 && !same_task(v.task_id, v.task_id_len, a->id)) {
		set_outcome(o, OUT_ERROR, "reply is for task %s%s", v.task_id,
		    v.task_id_len >= sizeof v.task_id ? "\xe2\x80\xa6" : "");
	} else if (v.status_len > 0 && is_state_word(v.status, v.status_len) &&
	    own_state(v.status) != OWN_NONE) {
		/* A reply must not pass for rhq's own verdict. */
		set_outcome(o, OUT_ERROR, "reply has a reserved state (%s)", v.status);
	} else if (v.status_len > 0 && is_state_word(v.status, v.status_len)) {
		o->kind = OUT_STATE;
		memcpy(o->state, v.status, v.status_len + 1);
		o->res = a->res;
	} else if (v.status_len > 0) {
		set_outcome(o, OUT_ERROR, "reply has an unexpected state");
	} else if (v.r.has_code && v.r.code != 0) {
		classify_reply(&v.r, o);
	} else if (v.code_text[0] != '\0') {
		set_outcome(o, OUT_ERROR, "API error %s (%s)", v.code_text,
		    v.r.has_msg ? v.r.msg : "no message");
	} else {
		set_outcome(o, OUT_ERROR, "reply has no status");
	}
}

/*
 * Turns a finished attempt into an outcome.  It touches no task, no global
 * and no clock, so the tests call it with a table of replies.  Results (-o)
 * are decoded into the attempt's res, which the outcome then points to.
 */
static void
classify(const struct attempt *a, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->sent = a->sent;
	if (a->too_big) {
		set_outcome(o, OUT_ERROR, "reply larger than %zu KiB",
		    endpoints[a->kind].reply_max / 1024);
		return;
	}
	if (a->rc != CURLE_OK) {
		set_outcome(o, transient_curl(a->rc) ? OUT_RETRY : OUT_ERROR, "%s",
		    a->errtext);
		o->said = SAID_NOTHING;
		return;
	}
	switch (http_class_of(a->http)) {
	case H_REDIRECT:
		set_outcome(o, OUT_ERROR, "redirect (HTTP %ld) not followed", a->http);
		return;
	case H_TRANSIENT:
	case H_THROTTLE:
		set_outcome(o, OUT_RETRY, "HTTP %ld", a->http);
		o->delay = a->retry_after;
		o->said = http_class_of(a->http) == H_THROTTLE ? SAID_SLOW_DOWN : SAID_NOTHING;
		return;
	case H_ERROR:
		set_outcome(o, OUT_ERROR, "HTTP %ld", a->http);
		return;
	case H_OK:
		break;
	}
	if (a->len == 0) {
		set_outcome(o, OUT_RETRY, "empty reply");
		o->said = SAID_NOTHING;
		return;
	}
	switch (a->kind) {
	case REQ_STATUS:
		classify_status(a, o);
		break;
	case REQ_OUTPUTS:
		classify_outputs(a, o);
		break;
	case REQ_V2:
		classify_v2(a, o);
		break;
	}
	if (o->kind == OUT_RETRY && o->delay < a->retry_after)
		o->delay = a->retry_after;	/* a gateway may add one to an API error */
}

/* ---------------------------------------------------------------- apply */

/* The pause before retry number n (1-based): doubling, capped, jittered. */
static double
backoff(int n)
{
	double d = opt.retry_delay * pow(2, n - 1);

	if (d > BACKOFF_CAP)
		d = BACKOFF_CAP;
	return d * (0.5 + 0.5 * (random() / (double)RAND_MAX));
}

/* Polling states after which --wait goes on asking. */
static int
unfinished(const char *state)
{
	return strcmp(state, "QUEUED") == 0 || strcmp(state, "RUNNING") == 0 ||
	    strcmp(state, "CREATE") == 0;
}

/* Final states whose task has results: output files, or why it failed. */
static int
has_results(const char *state)
{
	return strcmp(state, "SUCCESS") == 0 || strcmp(state, "FAILED") == 0;
}

/* The pause between polls of one task: --interval, growing 10% a poll after ten. */
static double
poll_interval(int polls)
{
	double d = opt.interval;

	if (polls > 10)
		d *= pow(1.1, polls - 10);
	return d > 4 * opt.interval ? 4 * opt.interval : d;
}

static const char *
state_name(const struct task *t)
{
	return t->own != OWN_NONE ? own_states[t->own].name : t->state;
}

static void
count_state(const char *state)
{
	int i;

	for (i = 0; i < tally.nstates; i++)
		if (strcmp(tally.states[i].name, state) == 0)
			break;
	if (i == tally.nstates) {
		if (i == (int)NELEM(tally.states)) {
			tally.other++;
			return;
		}
		snprintf(tally.states[i].name, sizeof tally.states[i].name, "%s", state);
		tally.nstates++;
	}
	tally.states[i].n++;
}

/* The task's row is settled: count it, and hand it to the output. */
static void
finish(struct task *t)
{
	tally.rows++;
	if (own_states[t->own].is_error)
		tally.errors++;
	count_state(state_name(t));
	row_ready(t);
}

/* Keeps what the reply said (code, msg) for the task's --json row and the state file. */
static void
take_reply(struct task *t, const struct outcome *o)
{
	t->has_code = o->has_code;
	t->code = o->code;
	t->has_msg = (opt.json || opt.state != NULL) && o->has_msg;
	if (t->has_msg)
		set_msg(t, o->msg);
}

/*
 * A state or NOT_FOUND came: the row is settled, or (--wait) polled again,
 * or (-o under v1) the results of a finished task are asked for next, at
 * once, ahead of the tasks read after it.
 */
static void
settle(struct task *t, enum own own, const struct outcome *o, double tn)
{
	take_reply(t, o);
	t->own = own;
	snprintf(t->state, sizeof t->state, "%s", o->state);
	t->attempts = 0;
	if (opt.wait && own == OWN_NONE && unfinished(o->state)) {
		t->polls++;
		schedule(t->seq, tn + poll_interval(t->polls));
		return;
	}
	if (opt.outputs && t->req == REQ_STATUS && own == OWN_NONE && has_results(o->state)) {
		t->req = REQ_OUTPUTS;
		schedule(t->seq, 0);
		return;
	}
	t->from = FROM_API;
	finish(t);
}

/*
 * With a state file, the status reply's code and msg are kept aside when the
 * outputs reply's take their place in the task's rows (v1, -o): its entry
 * has both.
 */
static void
keep_status_reply(struct task *t)
{
	char *msg = t->status_msg;
	size_t cap = t->status_msg_cap;

	if (opt.state == NULL)
		return;
	t->has_status_code = t->has_code;
	t->status_code = t->code;
	t->has_status_msg = t->has_msg;
	t->status_msg = t->msg;
	t->status_msg_cap = t->msg_cap;
	t->msg = msg;
	t->msg_cap = cap;
}

/*
 * The task's row is ERROR.  When it is so for want of an answer, and
 * --max-failures tasks in a row have failed so, the API is taken for dead:
 * rhq stops as on a fatal error rather than spend every task's retries on it.
 */
static void
fail(struct task *t, const struct outcome *o)
{
	take_reply(t, o);
	set_why(t, o->why);
	t->own = OWN_ERROR;
	t->attempts = 0;
	finish(t);
	if (o->said != SAID_NOTHING || opt.max_failures == 0 ||
	    ++api.failed < (unsigned long)opt.max_failures)
		return;
	/* Said at the end, after the rows (and their messages) that are known. */
	snprintf(stop_why, sizeof stop_why, "no answer from the API for %lu tasks in a row "
	    "(the last: %s); stopping (see --max-failures)", api.failed, o->why);
	fatal_stop = 1;
}

/*
 * Where the pace stands s seconds after a pause, as a share of the pace the
 * cut started from: PACE_BETA at first, all of it after PACE_K seconds, flat
 * there, then growing ever faster.  This is CUBIC's W(t) = C (t - K)^3 + Wmax
 * with C = (1 - PACE_BETA) Wmax / K^3, so it takes the same time at any rate.
 */
static double
pace_curve(double s)
{
	double x = s / PACE_K - 1;

	return 1 + (1 - PACE_BETA) * x * x * x;
}

/* The pace the options allow: -j requests in flight, and --rate (0: no limit). */
static struct pace
pace_start(int jobs, double rate)
{
	return (struct pace){ .state = PACE_FULL, .max_jobs = jobs, .max_rate = rate,
	    .jobs = jobs, .rate = rate };
}

/* The meter's clock: tn, less the pauses, so that idle time is never measured. */
static double
pace_clock(const struct pace *p, double tn)
{
	double in_pause = (tn < p->resume_at ? tn : p->resume_at) - p->cut_at;

	return tn - p->paused - (in_pause > 0 ? in_pause : 0);
}

/*
 * The rate the last METER_N requests were sent at (all of them while there
 * are fewer): requests a second from the first of them to the last, on the
 * meter's clock, over METER_MIN seconds at least; a lone request counts as
 * one in METER_MIN.
 */
static double
pace_measured(const struct pace *p)
{
	unsigned long n = p->sent < METER_N ? p->sent : METER_N;
	double span;

	if (p->sent < 2)
		return p->sent / METER_MIN;
	span = p->sent_at[(p->sent - 1) % METER_N] - p->sent_at[(p->sent - n) % METER_N];
	return (n - 1) / (span > METER_MIN ? span : METER_MIN);
}

/* A new throttle event at tn: cut from the pace before it, pause for `wait` seconds. */
static void
pace_cut(struct pace *p, double wait, double tn)
{
	double measured = pace_measured(p);

	p->from_rate = p->rate > 0 && p->rate < measured ? p->rate : measured;
	/* Not below RATE_MIN (or the rate cut from, when that is less) nor one job. */
	p->rate = fmax(PACE_BETA * p->from_rate, fmin(RATE_MIN, p->from_rate));
	p->jobs = fmax(1, PACE_BETA * p->jobs);
	p->paused += p->resume_at - p->cut_at;		/* the last pause is over */
	p->cut_at = tn;
	p->resume_at = tn + wait;
	p->trial_until = p->resume_at + wait;
	p->trial_answered = p->trial_throttled = 0;
	p->state = PACE_CUT;
}

/* Was a request sent at `sent` in the trial of the pace a cut set? */
static int
pace_in_trial(const struct pace *p, double sent)
{
	return sent >= p->resume_at && sent < p->trial_until;
}

/*
 * Is "too fast", for a request sent at `sent`, of the last throttle event?
 * It is when the request went before the cut (cut_at is 0 before any cut:
 * before any request); and in the trial, where a 429 or two among answers
 * may still come for a pace that is right (a burst the pause did not clear,
 * or the API's own for one task), while more 429s than answers say that the
 * new pace is too fast as well.
 */
static int
pace_same_event(const struct pace *p, double sent)
{
	if (sent <= p->cut_at)
		return 1;
	return p->state == PACE_CUT && pace_in_trial(p, sent) &&
	    (p->trial_throttled < 2 || p->trial_throttled <= p->trial_answered);
}

/*
 * An answer at tn after a cut: the rate follows the curve, the jobs grow by
 * one a round (a jobs-th of one an answer), up to the options' pace; but not
 * in the pause, nor while the trial goes on after a 429 in it.
 */
static enum pace_move
pace_grow(struct pace *p, double tn)
{
	double g = pace_curve(tn - p->resume_at);
	double j = fmin(p->max_jobs, p->jobs + 1 / p->jobs);
	double r = fmax(p->rate, g * p->from_rate);

	if (tn < p->resume_at || (p->trial_throttled > 0 && tn < p->trial_until))
		return PACE_STAYS;
	if (p->max_rate > 0 && r > p->max_rate)
		r = p->max_rate;
	if (j >= p->max_jobs && (p->max_rate > 0 ? r >= p->max_rate : g >= PACE_LIFT)) {
		p->state = PACE_FULL;
		p->jobs = p->max_jobs;
		p->rate = p->max_rate;
		return PACE_FULL_AGAIN;
	}
	if (j == p->jobs && r == p->rate)
		return PACE_STAYS;
	p->jobs = j;
	p->rate = r;
	return PACE_GROWS;
}

/*
 * The pace's state machine (see struct pace): event ev at time tn, of a
 * request sent at `sent`; "too fast" brings the seconds its reply asked to
 * wait (0: none).  Says how the pace moved.
 */
static enum pace_move
pace_step(struct pace *p, enum pace_event ev, double sent, double wait, double tn)
{
	switch (ev) {
	case PACE_SENT:
		p->sent_at[p->sent++ % METER_N] = pace_clock(p, tn);
		break;
	case PACE_ANSWER:
		if (p->state != PACE_CUT)
			break;
		p->trial_answered += pace_in_trial(p, sent);
		return pace_grow(p, tn);
	case PACE_TOO_FAST:
		p->trial_throttled += p->state == PACE_CUT && pace_in_trial(p, sent);
		if (pace_same_event(p, sent))
			break;
		pace_cut(p, wait, tn);
		return PACE_CUTS;
	}
	return PACE_STAYS;
}

/*
 * With -v, says how the pace moved: every cut, and growth when the jobs
 * changed or the rate by a tenth.
 */
static void
show_pace(enum pace_move m, const struct outcome *o)
{
	int n = (int)pace.jobs;
	double r = pace.rate;
	char what[WHY_MAX + 16];

	if (!opt.verbose || m == PACE_STAYS || (m == PACE_GROWS && n == shown_jobs &&
	    (r == shown_rate || (r > 0 && shown_rate > 0 && fabs(r / shown_rate - 1) < 0.1))))
		return;
	shown_jobs = n;
	shown_rate = r;
	if (m == PACE_CUTS)
		snprintf(what, sizeof what, "slowing down (%s)", o->why);
	else
		snprintf(what, sizeof what, "speeding up");
	if (m == PACE_FULL_AGAIN)
		note("%s: back to full speed", what);
	else if (r > 0)
		note("%s: at most %d request%s at once, %.1f a second", what, n,
		    n == 1 ? "" : "s", r);
	else
		note("%s: at most %d request%s at once", what, n, n == 1 ? "" : "s");
}

/*
 * Keeps track of the API's health from each outcome: see `api`.  An answer
 * ends an outage; a failure for want of one starts it or goes on with it.
 */
static void
watch_api(const struct outcome *o, double tn)
{
	enum pace_move m;

	if (o->said == SAID_ANSWER) {
		if (api.down)
			note("API answers again after %.1f s", tn - api.since);
		api.since = 0;
		api.down = 0;
		api.failed = 0;
		api.silent = 0;
		show_pace(pace_step(&pace, PACE_ANSWER, o->sent, 0, tn), o);
	} else if (o->said == SAID_SLOW_DOWN) {
		m = pace_step(&pace, PACE_TOO_FAST, o->sent, o->delay, tn);
		/*
		 * The whole run pauses, once an event; then the rate's slots start
		 * afresh, the first a slot after the pause, so that neither a burst
		 * of slots missed before nor a request at once meets a limit that
		 * has just run out.
		 */
		if (m == PACE_CUTS) {
			if (not_before < pace.resume_at)
				not_before = pace.resume_at;
			next_send = pace.resume_at + (pace.rate > 0 ? 1 / pace.rate : 0);
		}
		show_pace(m, o);
	} else if (o->said == SAID_NOTHING) {
		api.silent++;
		if (api.since == 0)
			api.since = o->sent > 0 ? o->sent : tn;
		snprintf(api.why, sizeof api.why, "%s", o->why);
		/* While it is down, one probe an --interval. */
		if (api.down && not_before < tn + opt.interval)
			not_before = tn + opt.interval;
	}
}

/*
 * A transient failure: the task is tried again after a backoff, or a
 * Retry-After if longer.  Without --wait its retries are counted, and when
 * they are used up the row is ERROR.  With --wait the task keeps its last
 * known state and, its retries used up, is polled on at its normal pace; a
 * task that has used up its retries on a dead API reports the outage, once
 * for all tasks, and from then on the probes of next_start() set the pace.
 */
static void
retry(struct task *t, const struct outcome *o, double tn)
{
	double d;

	if (t->attempts == 1)
		t->failing_since = o->sent;
	if (t->attempts > opt.retries && !opt.wait) {
		fail(t, o);
		return;
	}
	d = t->attempts > opt.retries ? poll_interval(t->polls) : backoff(t->attempts);
	if (o->delay > d)
		d = o->delay;
	if (t->attempts > opt.retries) {
		/* No answer from anyone since this task began to fail: it is down. */
		if (o->said == SAID_NOTHING && !api.down && api.since > 0 &&
		    api.since <= t->failing_since) {
			note("API unreachable (%s); polling on", o->why);
			api.down = 1;
			if (not_before < tn + opt.interval)
				not_before = tn + opt.interval;
		}
	}
	if (opt.verbose)
		note("%s: %s, retrying in %.1f s", t->id, o->why, d);
	schedule_retry(t->seq, tn + d);
}

/*
 * Applies an outcome to its task.  This is the only code that changes a
 * task's state, phase, attempts or due time, the tallies, and what rhq
 * knows of the API.
 */
static void
apply(struct task *t, const struct outcome *o, double tn)
{
	if (o->kind != OUT_DEADLINE && o->kind != OUT_INVALID && o->kind != OUT_STORED)
		watch_api(o, tn);
	if (o->res != NULL)
		results_copy(&t->res, o->res);
	switch (o->kind) {
	case OUT_STATE:
		settle(t, OWN_NONE, o, tn);
		break;
	case OUT_RESULTS:
		keep_status_reply(t);
		take_reply(t, o);
		t->attempts = 0;
		t->from = FROM_API;
		finish(t);	/* with the state the status reply gave */
		break;
	case OUT_STORED:
		take_reply(t, o);
		t->own = OWN_NONE;
		memcpy(t->state, o->state, sizeof t->state);
		t->from = FROM_STATE;
		tally.stored++;
		finish(t);
		break;
	case OUT_NOT_FOUND:
		set_why(t, o->why);
		settle(t, OWN_NOT_FOUND, o, tn);
		break;
	case OUT_RETRY:
		retry(t, o, tn);
		break;
	case OUT_ERROR:
		fail(t, o);
		break;
	case OUT_FATAL:
		note("%s for task %s", o->why, t->id);
		if (o->hint != NULL)
			note("%s", o->hint);
		fatal_stop = 1;
		break;
	case OUT_INVALID:
		set_why(t, o->why);
		t->own = OWN_INVALID;
		finish(t);
		break;
	case OUT_DEADLINE:
		finish(t);	/* with the state it has: the last known, or UNKNOWN */
		break;
	}
}

/* --------------------------------------------------------------- output */

/*
 * Writes n bytes of text from the API as a TSV field, cleaned as how says
 * (CLEAN_TEXT or CLEAN_URL), through a buffer whatever their length.
 */
static void
put_clean(const char *s, size_t n, enum clean how)
{
	const unsigned char *u = (const unsigned char *)s;
	char buf[512];
	size_t len = 0, used;

	for (; n > 0; u += used, n -= used) {
		if (len > sizeof buf - CLEAN_OUT_MAX) {
			fwrite(buf, 1, len, stdout);
			len = 0;
		}
		len += clean_char(u, n, how, &used, buf + len);
	}
	if (len > 0)
		fwrite(buf, 1, len, stdout);
}

/*
 * Why a task failed, on one line for its TSV row: "node 276 SONIC_PreData:
 * TypeError: message", from failedReason; without one, v2's errorCode and
 * errorMessage.  dst has DETAIL_MAX + 1 bytes; returns the length.
 */
static size_t
reason_line(const struct results *r, char dst[DETAIL_MAX + 1])
{
	struct line l = { .d = dst, .max = DETAIL_MAX };
	const char *id = res_str(r, r->reason[R_NODE_ID]);
	const char *name = res_str(r, r->reason[R_NODE_NAME]);
	const char *type = res_str(r, r->reason[R_EXC_TYPE]);
	const char *msg = res_str(r, r->reason[R_EXC_MSG]);
	int parts = 0;

	if (*id || *name) {
		line_raw(&l, "node ");
		line_add(&l, id);
		if (*id && *name)
			line_raw(&l, " ");
		line_add(&l, name);
		parts++;
	}
	if (*type) {
		if (parts++)
			line_raw(&l, ": ");
		line_add(&l, type);
	}
	if (*msg) {
		if (parts++)
			line_raw(&l, ": ");
		line_add(&l, msg);
	}
	if (parts == 0 && (r->err_code || r->err_msg)) {
		line_raw(&l, "error");
		if (r->err_code) {
			line_raw(&l, " ");
			line_add(&l, res_str(r, r->err_code));
		}
		if (r->err_msg) {
			line_raw(&l, ": ");
			line_add(&l, res_str(r, r->err_msg));
		}
	}
	return line_end(&l);
}

/*
 * A failed write to stdout ends rhq at once with _exit(): exit() would flush
 * stdout again and fail again, and there is nothing left worth cleaning up.
 */
static _Noreturn void
output_failed(void)
{
	int e = errno;

	/* A reader that went away is not worth a message: end as filters do. */
	if (e == EPIPE) {
		raise(SIGPIPE);
		/* Still here: SIGPIPE is ignored.  cppcheck-suppress unreachableCode */
		_exit(EXIT_FATAL);
	}
	progress_erase();
	fprintf(stderr, "rhq: stdout: %s\n", strerror(e));
	_exit(EXIT_FATAL);
}

static void
flush_output(void)
{
	if (fflush(stdout) == EOF)
		output_failed();
}

/* Writes a record for -a: as read, but with NUL and newline escaped so a row stays one line. */
static void
put_record(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			fputs("\\0", stdout);
		else if (p[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(p[i]);
	}
}

/* Writes "key":"value" to f with the value escaped for JSON. */
static void
put_json_string(FILE *f, const char *key, const char *s, size_t n)
{
	char buf[6 * SHOW_MAX + 1], *big = NULL, *b;

	b = n <= SHOW_MAX ? buf : (big = xmalloc(6 * n + 1));
	json_escape(b, s, n);
	fprintf(f, "\"%s\":\"%s\"", key, b);
	free(big);
}

/* Writes ,"key":"value" to f for a string of the task's results. */
static void
put_json_member(FILE *f, const char *key, const char *s)
{
	putc(',', f);
	put_json_string(f, key, s, strlen(s));
}

/*
 * With -o: "outputs" (for a SUCCESS, also an empty list), "cost_time" and,
 * for a failure, "reason", as the API gave them.  An entry of the state
 * file (entry) has "outputs" whenever they were read, so that it says so;
 * under --traceback a FAILED one has "reason" with its "traceback", even
 * empty, for the same reason; and it keeps v2's error code and message.
 */
static void
put_json_results(FILE *fp, const struct task *t, int entry)
{
	const struct results *r = &t->res;
	const struct output *o;
	int failed = t->own == OWN_NONE && strcmp(t->state, "FAILED") == 0;
	size_t i;
	int f, any = 0;

	if (r->read && (entry || r->n > 0 ||
	    (t->own == OWN_NONE && strcmp(t->state, "SUCCESS") == 0))) {
		fputs(",\"outputs\":[", fp);
		for (i = 0; i < r->n; i++) {
			o = &r->v[i];
			fputs(i > 0 ? ",{" : "{", fp);
			put_json_string(fp, "url", res_str(r, o->url), strlen(res_str(r, o->url)));
			put_json_member(fp, "type", res_str(r, o->type));
			put_json_member(fp, "node", res_str(r, o->node));
			if (o->text != 0)
				put_json_member(fp, "text", res_str(r, o->text));
			putc('}', fp);
		}
		putc(']', fp);
	}
	if (r->cost != 0)
		put_json_member(fp, "cost_time", res_str(r, r->cost));
	for (f = 0; f < R_NFIELDS; f++)
		any |= r->reason[f] != 0;
	if (any || (entry && opt.traceback && failed)) {
		fputs(",\"reason\":{", fp);
		for (f = 0; f < R_NFIELDS; f++) {
			if (f == R_TRACEBACK && !opt.traceback)
				continue;
			if (f == 0)
				put_json_string(fp, reason_keys[f], res_str(r, r->reason[f]),
				    strlen(res_str(r, r->reason[f])));
			else
				put_json_member(fp, reason_keys[f], res_str(r, r->reason[f]));
		}
		putc('}', fp);
	}
	if (entry && r->err_code != 0)
		put_json_member(fp, "error_code", res_str(r, r->err_code));
	if (entry && r->err_msg != 0)
		put_json_member(fp, "error_message", res_str(r, r->err_msg));
}

static void
put_json_row(const struct task *t, const char *bad)
{
	putchar('{');
	if (bad != NULL)
		put_json_string(stdout, "id", bad, t->show_len);
	else
		printf("\"id\":\"%s\"", t->id);
	printf(",\"state\":\"%s\"", state_name(t));
	if (t->has_code)
		printf(",\"code\":%ld", t->code);
	if (t->has_msg) {
		putchar(',');
		put_json_string(stdout, "msg", t->msg, strlen(t->msg));
	}
	if (own_states[t->own].is_error && t->why != NULL) {
		putchar(',');
		put_json_string(stdout, "error", t->why, strlen(t->why));
	}
	if (opt.append) {
		putchar(',');
		put_json_string(stdout, "record", t->text, t->text_len);
	}
	if (opt.outputs)
		put_json_results(stdout, t, 0);
	fputs("}\n", stdout);
}

/* The first fields of a TSV row: the ID (the record with -a, or the bad text), TAB, the state. */
static void
put_head(const struct task *t, const char *bad)
{
	if (opt.append)
		put_record(t->text, t->text_len);
	else if (bad == NULL)
		fputs(t->id, stdout);
	else
		put_clean(bad, t->show_len, CLEAN_TEXT);
	printf("\t%s", state_name(t));
}

/*
 * With -o a row has a third field: a row per output file with its URL (or a
 * text output's text); for a FAILED task, why; for any other row, nothing.
 * Each is cleaned as it is printed, the URL so that it still works.
 */
static void
put_detail_rows(const struct task *t, const char *bad)
{
	const struct results *r = &t->res;
	const struct output *o;
	char line[DETAIL_MAX + 1];
	const char *d;
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		o = &r->v[i];
		d = res_str(r, o->url != 0 ? o->url : o->text);
		put_head(t, bad);
		putchar('\t');
		put_clean(d, strlen(d), o->url != 0 ? CLEAN_URL : CLEAN_TEXT);
		putchar('\n');
	}
	if (r->n > 0)
		return;
	if (t->own == OWN_NONE && strcmp(t->state, "FAILED") == 0)
		n = reason_line(r, line);
	put_head(t, bad);
	putchar('\t');
	put_clean(line, n, CLEAN_TEXT);
	putchar('\n');
}

static void
put_row(const struct task *t)
{
	const char *bad = t->id[0] == '\0' ? t->text + t->show_off : NULL;

	if (opt.json) {
		put_json_row(t, bad);
	} else if (opt.outputs) {
		put_detail_rows(t, bad);
	} else {
		put_head(t, bad);
		putchar('\n');
	}
	if (ferror(stdout))
		output_failed();
}

static void
retire(struct task *t)
{
	/*
	 * The cause of an error row is said with the row, so that stderr follows
	 * the rows' order: the window reads far ahead, and a task waiting to be
	 * retried lets later ones finish first.
	 */
	if (t->own == OWN_INVALID)
		note("%s", t->why);
	else if (t->own == OWN_ERROR)
		note("%s: %s", t->id, t->why);
	if (prog.over_rows)
		progress_erase();
	put_row(t);
	t->phase = T_GONE;
	window.live--;
	/* A long record (-a) is not kept in a slot for reuse: the window is large. */
	if (t->text_cap > (size_t)4 * SHOW_MAX) {
		free(t->text);
		t->text = NULL;
		t->text_cap = 0;
	}
	/* With --wait the window has a slot per task waited on: keep no results there. */
	if (opt.wait || t->res.cap > RESULTS_KEEP)
		results_free(&t->res);
}

/*
 * A task's row is known: the state file learns it.  Under --wait rows go out
 * as tasks finish, so it is written now; otherwise it waits until every
 * earlier row is out.
 */
static void
row_ready(struct task *t)
{
	state_append(t);
	if (opt.wait)
		retire(t);
	else
		t->phase = T_DONE;
}

/* Writes the rows at the head of the window that are ready; returns how many. */
static int
write_rows(void)
{
	struct task *t;
	int n = 0;

	for (; window.head < window.tail; window.head++) {
		t = task_at(window.head);
		if (t->phase == T_DONE) {
			retire(t);
			n++;
		} else if (t->phase != T_GONE) {
			break;
		}
	}
	return n;
}

/*
 * Writes a task's entry of the state file to f: its ID and final state, when
 * it was learned, the API, the code and msg its JSON rows show (under v1
 * with -o both those of the status reply and those of the outputs reply),
 * and with -o its results.
 */
static void
put_entry(FILE *f, const struct task *t)
{
	int outputs_reply = t->req == REQ_OUTPUTS;
	int has_code = outputs_reply ? t->has_status_code : t->has_code;
	int has_msg = outputs_reply ? t->has_status_msg : t->has_msg;

	fprintf(f, "{\"id\":\"%s\",\"state\":\"%s\",\"learned\":%lld,\"api\":\"%s\"", t->id,
	    t->state, (long long)time(NULL), opt.api == API_V2 ? "v2" : "v1");
	if (has_code)
		fprintf(f, ",\"code\":%ld", outputs_reply ? t->status_code : t->code);
	if (has_msg)
		put_json_member(f, "msg", outputs_reply ? t->status_msg : t->msg);
	if (outputs_reply && t->has_code)
		fprintf(f, ",\"outputs_code\":%ld", t->code);
	if (outputs_reply && t->has_msg)
		put_json_member(f, "outputs_msg", t->msg);
	if (t->res.read)
		put_json_results(f, t, 1);
	fputs("}\n", f);
}

/*
 * Appends whole lines to the state file, with one write(2).  A failure (a
 * full disk) is said once: what the write left of the line is cut off, and
 * nothing more is appended; the run goes on, and exits 2.  Returns 0, or -1.
 */
static int
state_write(const char *p, size_t n)
{
	size_t done = 0;
	ssize_t w;
	int e;

	while (done < n) {
		if ((w = write(sfile.fd, p + done, n - done)) > 0) {
			done += w;
		} else if (w == 0 || errno != EINTR) {
			e = w == 0 ? ENOSPC : errno;
			if (done > 0 && ftruncate(sfile.fd, sfile.size) < 0)
				note("%s: cannot cut off a partial line: %s", opt.state,
				    strerror(errno));
			note("%s: %s", opt.state, strerror(e));
			sfile.failed = 1;
			return -1;
		}
	}
	sfile.size += n;
	return 0;
}

/*
 * A task's row is settled: when it is a final state the API gave (SUCCESS or
 * FAILED), the state file learns it at once, so that a run that is killed
 * keeps what it learned.  Rows the file answered are not written again; a
 * task asked again (--refresh, --state-max-age, results that -o needs) gets
 * a new line, which replaces the old.  Counts the lines still of use (live)
 * and not (dead), for the compaction at the end.
 */
static void
state_append(const struct task *t)
{
	uint64_t *slot, tag;
	long len;

	if (sfile.fd < 0 || sfile.failed || t->from != FROM_API || t->own != OWN_NONE ||
	    !has_results(t->state))
		return;
	rewind(sfile.mem);
	put_entry(sfile.mem, t);
	if (fflush(sfile.mem) == EOF || (len = ftell(sfile.mem)) < 0)
		die("out of memory");
	if (state_write(sfile.mem_buf, len) < 0)
		return;
	sfile.appended++;
	slot = state_slot(t->id, strlen(t->id), &tag);
	if (*slot == 0 || (*slot & (SLOT_EXPIRED | SLOT_REPLACED)) == SLOT_EXPIRED)
		sfile.live++;
	else
		sfile.dead++;
	if (*slot != 0)
		*slot |= SLOT_REPLACED;
}

static int
by_offset(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Rewrites the state file with its live lines only, in their order: it is
 * read and indexed again, as this run left it; the lines go to a temporary
 * file in the same directory (that of the file a symbolic link names), which
 * is synced to the disk, then renamed over the file.  rename(2) is atomic:
 * the file is the old one or the new one, whole, whatever happens.  Returns 0,
 * or -1 when the file is left as it was.
 */
static int
state_compact(void)
{
	char *target, *tmp = NULL, *slash;
	size_t *lines, n = 0, i, len;
	const char *p;
	struct stat st;
	FILE *f = NULL;
	int fd = -1, e, dir;

	free(sfile.buf);
	free(sfile.slots);
	sfile.entries = 0;
	state_read();
	state_index(0);
	lines = xmalloc((sfile.mask + 1) * sizeof *lines);
	for (i = 0; i <= sfile.mask; i++)
		if (sfile.slots[i] != 0 && !(sfile.slots[i] & SLOT_EXPIRED)) {
			p = sfile.buf + (sfile.slots[i] & SLOT_OFFSET) - 1;
			while (p[-1] != '\n')
				p--;
			lines[n++] = p - sfile.buf;
		}
	qsort(lines, n, sizeof *lines, by_offset);
	if ((target = realpath(opt.state, NULL)) == NULL || fstat(sfile.fd, &st) < 0)
		goto fail;
	tmp = xasprintf("%s.XXXXXX", target);
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, st.st_mode & 07777) < 0 ||
	    (f = fdopen(fd, "w")) == NULL)
		goto fail;
	fprintf(f, "{\"rhq_state\":%d}\n", STATE_VERSION);
	for (i = 0; i < n; i++) {
		p = sfile.buf + lines[i];
		len = (const char *)memchr(p, '\n', sfile.len - lines[i]) + 1 - p;
		fwrite(p, 1, len, f);
	}
	if (fflush(f) == EOF || ferror(f) || fsync(fd) < 0 || rename(tmp, target) < 0)
		goto fail;
	fclose(f);
	/* The rename is on the disk once the directory is. */
	if ((slash = strrchr(target, '/')) != NULL) {
		*slash = '\0';
		if ((dir = open(*target != '\0' ? target : "/", O_RDONLY)) >= 0) {
			fsync(dir);
			close(dir);
		}
	}
	if (opt.verbose)
		note("%s: compacted: %lu lines kept of %lu", opt.state, (unsigned long)n,
		    sfile.live + sfile.dead);
	free(lines);
	free(tmp);
	free(target);
	return 0;
fail:
	e = errno;
	if (f != NULL)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (fd >= 0)
		unlink(tmp);
	note("%s: cannot compact it (%s); it is left as it was", opt.state, strerror(e));
	free(lines);
	free(tmp);
	free(target);
	return -1;
}

/*
 * The run is over: what it appended is synced to the disk, -v says what the
 * state file did, and a file that holds more dead lines than live ones, or
 * bad lines, is compacted (compact: the run was not stopped by a signal).
 * The lock goes with the descriptor.  Returns -1 when a write failed.
 */
static int
state_finish(int compact)
{
	int ret = 0;

	if (sfile.fd < 0)
		return 0;
	if (sfile.appended > 0 && !sfile.failed && fsync(sfile.fd) < 0) {
		note("%s: %s", opt.state, strerror(errno));
		ret = -1;
	}
	if (opt.verbose)
		note("%s: %lu row%s answered from it, %lu learned; %lu request%s sent", opt.state,
		    tally.stored, tally.stored == 1 ? "" : "s", sfile.appended, tally.requests,
		    tally.requests == 1 ? "" : "s");
	if (compact && !sfile.failed && (sfile.dead > sfile.live || sfile.bad > 0) &&
	    state_compact() < 0)
		ret = -1;
	close(sfile.fd);
	sfile.fd = -1;
	free(sfile.buf);
	free(sfile.slots);
	fclose(sfile.mem);
	free(sfile.mem_buf);
	results_free(&sfile.res);
	return ret;
}

/*
 * Is the reader of our stdout gone?  Then there is no point in going on, even
 * while no row is ready to write: without this, `rhq | head -1` would keep
 * polling a slow API long after head left.  Asked at most ten times a second.
 */
static void
check_reader(double tn)
{
	static double last;
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	if (!stdout_is_pipe || tn - last < 0.1)
		return;
	last = tn;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))) {
		errno = EPIPE;
		output_failed();
	}
}

static void
put_summary(void)
{
	static const char *order[] = { "QUEUED", "RUNNING", "FAILED", "SUCCESS",
	    "NOT_FOUND", "ERROR", "INVALID" };
	char line[2048];
	unsigned char shown[NELEM(tally.states)] = { 0 };
	size_t len, j;
	int i, first = 1;

	len = snprintf(line, sizeof line, "%lu task%s%s", tally.rows,
	    tally.rows == 1 ? "" : "s", tally.rows > 0 ? ":" : "");
	/* The four API states and the row states first, then others as they came. */
	for (j = 0; j <= NELEM(order); j++)
		for (i = 0; i < tally.nstates; i++) {
			if (shown[i] || (j < NELEM(order) &&
			    strcmp(order[j], tally.states[i].name) != 0))
				continue;
			len += snprintf(line + len, sizeof line - len, "%s %lu %s",
			    first ? "" : ",", tally.states[i].n, tally.states[i].name);
			shown[i] = 1;
			first = 0;
		}
	if (tally.other > 0)
		len += snprintf(line + len, sizeof line - len, ", %lu other", tally.other);
	if (opt.state != NULL && len < sizeof line)
		snprintf(line + len, sizeof line - len, "; %lu from %s, %lu request%s",
		    tally.stored, opt.state, tally.requests, tally.requests == 1 ? "" : "s");
	note("%s", line);
}

/*
 * The progress line is drawn once the run has lasted a second, at most ten
 * times a second (once a second as plain lines), never while rhq only waits
 * for input, and erased before any other message, before rows that go to
 * the same terminal, and at the end.
 */
static void
progress_draw(double t)
{
	char line[128];
	int n;

	if (prog.mode == PROG_OFF || t - prog.start < 1 ||
	    t - prog.last < (prog.mode == PROG_LINES ? 1 : 0.1))
		return;
	if (in_flight == 0 && polls.n == 0 && retries.n == 0 && src.starved) {
		progress_erase();
		return;
	}
	prog.last = t;
	n = snprintf(line, sizeof line, "rhq: %lu done, %.1f/s, %lu error%s", tally.rows,
	    tally.rows / (t - prog.start), tally.errors, tally.errors == 1 ? "" : "s");
	if (prog.mode == PROG_LINES)
		fprintf(stderr, "%s\n", line);
	else if (prog.mode == PROG_LIVE)
		fprintf(stderr, "\r%s\033[K", line);
	else
		fprintf(stderr, "\r%s%*s", line, prog.shown > n ? prog.shown - n : 0, "");
	fflush(stderr);
	if (prog.mode != PROG_LINES)
		prog.shown = prog.shown > n ? prog.shown : n;
}

static void
progress_erase(void)
{
	if (prog.shown == 0)
		return;
	if (prog.mode == PROG_LIVE)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\r%*s\r", prog.shown, "");
	fflush(stderr);
	prog.shown = 0;
}

/* ------------------------------------------------------------ scheduler */

static int
due_before(const struct due *a, const struct due *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
heap_swap(struct heap *h, size_t i, size_t k)
{
	struct due tmp = h->v[i];

	h->v[i] = h->v[k];
	h->v[k] = tmp;
}

static void
heap_push(struct heap *h, unsigned long seq, double at)
{
	size_t i, up;

	task_at(seq)->phase = T_DUE;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	i = h->n++;
	h->v[i].at = at;
	h->v[i].seq = seq;
	for (; i > 0 && due_before(&h->v[i], &h->v[up = (i - 1) / 2]); i = up)
		heap_swap(h, i, up);
}

/* Takes the task that is due first out of a heap. */
static unsigned long
heap_pop(struct heap *h)
{
	unsigned long seq = h->v[0].seq;
	size_t i = 0, c;

	h->v[0] = h->v[--h->n];
	for (; (c = 2 * i + 1) < h->n; i = c) {
		if (c + 1 < h->n && due_before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!due_before(&h->v[c], &h->v[i]))
			break;
		heap_swap(h, i, c);
	}
	return seq;
}

/* Queues task seq for a request at time at (0: as soon as possible). */
static void
schedule(unsigned long seq, double at)
{
	heap_push(&polls, seq, at);
}

/* Queues task seq to be tried again at time at, after a transient failure. */
static void
schedule_retry(unsigned long seq, double at)
{
	heap_push(&retries, seq, at);
}

/* The heap whose first task goes next at tn, or NULL when none is waiting. */
static struct heap *
next_heap(double tn)
{
	/* No answer to the last requests, as many as may be in flight: retries only. */
	int hold = api.silent >= (unsigned long)jobs_allowed() && retries.n > 0;

	if (polls.n > 0 && !hold && (retries.n == 0 || (retries.v[0].at > tn &&
	    due_before(&polls.v[0], &retries.v[0]))))
		return &polls;
	return retries.n > 0 ? &retries : NULL;
}

/*
 * With a rate (--rate, or one throttling set), requests start on a
 * schedule of slots 1/R apart, so that waking a little late does not lower
 * the rate: the slots a late wake-up missed are made up, up to RATE_BURST
 * seconds of them (at least one), so several requests may start together.
 */
static void
rate_take_slot(double tn)
{
	double burst;

	pace_step(&pace, PACE_SENT, tn, 0, tn);
	if (pace.rate <= 0)
		return;
	burst = floor(pace.rate * RATE_BURST);
	if (burst < 1)
		burst = 1;
	if (next_send == 0)
		next_send = tn;
	else if (next_send < tn - burst / pace.rate)
		next_send = tn - burst / pace.rate;
	next_send += 1 / pace.rate;
}

/* Requests that may be in flight: one while the API is down. */
static int
jobs_allowed(void)
{
	return api.down ? 1 : (int)pace.jobs;
}

/*
 * When the next request may start: a job is free (only one serves while the
 * API is down), its task is due, no pause holds requests back, and (--rate)
 * its slot has come.
 */
static double
next_start(double tn)
{
	struct heap *h = next_heap(tn);
	double at;

	if (h == NULL || in_flight >= jobs_allowed())
		return INFINITY;
	at = h->v[0].at;
	if (not_before > at)
		at = not_before;
	return pace.rate > 0 && next_send > at ? next_send : at;
}

/* Starts requests for due tasks on idle jobs; returns how many it started. */
static int
dispatch(double tn)
{
	struct job *j;
	int started = 0;

	while (!fatal_stop && next_start(tn) <= tn && (j = idle_job()) != NULL) {
		start_request(j, heap_pop(next_heap(tn)), tn);
		started++;
	}
	return started;
}

/* Hands every finished transfer to finish_request(). */
static void
collect_finished(void)
{
	struct job *j;
	CURLMsg *m;
	int running, left;

	curl_multi_perform(multi, &running);
	/* After a fatal stop nothing more counts: the rest are abandoned. */
	while (!fatal_stop && (m = curl_multi_info_read(multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			finish_request(j, m->data.result);
		}
}

/*
 * Sleeps until a socket, stdin, the next due task, the deadline or a tick
 * (so that a signal is seen within TICK).  A request just started needs no
 * wait: libcurl sends it at once.
 */
static void
wait_for_work(double tn, int started)
{
	double wait_s = next_start(tn) - tn;
	struct curl_waitfd wfd = { STDIN_FILENO, CURL_WAIT_POLLIN, 0 };
	int ms;

	if (wait_s > TICK)
		wait_s = TICK;
	if (deadline_at - tn < wait_s)
		wait_s = deadline_at - tn;
	if (wait_s < 0)
		wait_s = 0;
	ms = (int)ceil(wait_s * 1000);
	if (!src.done && src.from_stdin && src.starved && !window_full()) {
		wait_events(&wfd, 1, ms);
		if (wfd.revents) {
			src.ready = 1;
			src.starved = 0;
		}
	} else if (started == 0 && (in_flight > 0 || wait_s > 0)) {
		wait_events(NULL, 0, ms);
	}
}

/*
 * Gives up waiting, at the deadline or (outage) after --max-outage seconds
 * without an answer: every unfinished task gets its last known state.
 */
static void
give_up(int outage, double tn)
{
	struct outcome o = { .kind = OUT_DEADLINE };
	unsigned long s, n = 0;
	struct task *t;
	int i;

	for (i = 0; i < opt.jobs; i++)
		if (jobs[i].busy)
			release_job(&jobs[i]);
	polls.n = retries.n = 0;
	/* In input order, as the rows of unfinished tasks are promised. */
	for (s = window.head; s < window.tail; s++) {
		t = task_at(s);
		if (t->phase == T_DUE || t->phase == T_SENDING) {
			apply(t, &o, 0);
			n++;
		}
	}
	write_rows();
	if (outage) {
		note("no answer from the API for %.0f s (the last failure: %s); giving up with "
		    "%lu task%s unfinished (see --max-outage)", tn - api.since, api.why, n,
		    n == 1 ? "" : "s");
		outage_stop = 1;
	} else {
		note("deadline reached with %lu task%s unfinished", n, n == 1 ? "" : "s");
		gave_up = 1;
	}
}

/* Has the API given no answer for longer than --max-outage allows? */
static int
outage_too_long(double tn)
{
	return opt.max_outage > 0 && api.since > 0 && tn - api.since >= opt.max_outage;
}

/* The loop: read, send, write, wait, collect, until every row is out. */
static int
run(void)
{
	double tn;
	int moved, started;

	prog.start = prog.last = now();
	if (opt.deadline > 0)
		deadline_at = prog.start + opt.deadline;
	for (;;) {
		moved = add_tasks();
		tn = now();
		started = dispatch(tn);
		moved += write_rows();
		if (fatal_stop || got_signal || (src.done && window.live == 0))
			break;
		if (tn >= deadline_at || outage_too_long(tn)) {
			give_up(tn < deadline_at, tn);
			break;
		}
		/* Rows written make room: take more records before sleeping. */
		if (moved > 0 && !src.done && !src.starved && !window_full())
			continue;
		flush_output();
		progress_draw(tn);
		check_reader(tn);
		wait_for_work(tn, started);
		collect_finished();
	}
	write_rows();
	flush_output();
	progress_erase();
	if (stop_why[0] != '\0')
		note("%s", stop_why);
	if (opt.summary && !fatal_stop && !got_signal)
		put_summary();
	return exit_status();
}

/* The exit status, from how the run ended and the rows it wrote. */
static int
exit_status(void)
{
	if (fatal_stop || outage_stop || sfile.failed)
		return EXIT_FATAL;
	if (got_signal)
		return -1;
	if (gave_up)
		return EXIT_DEADLINE;
	return tally.errors > 0 ? EXIT_ROWS : EXIT_OK;
}

/* ----------------------------------------------------------------- main */

static void
on_signal(int sig)
{
	if (got_signal == 0)
		got_signal = sig;
}

static _Noreturn void
usage(void)
{
	fputs("usage: rhq [-0ahosVvw] [-d C] [-f N] [-j N] [--base-url URL | --site cn|ai]\n"
	    "           [--api v1|v2] [--api-key-file FILE] [--timeout SECS]\n"
	    "           [--connect-timeout SECS] [--cacert FILE] [--insecure-http]\n"
	    "           [--retries N] [--retry-delay SECS] [--rate R] [--interval SECS]\n"
	    "           [--deadline SECS] [--max-outage SECS] [--max-failures N]\n"
	    "           [--json [--traceback]]\n"
	    "           [--state FILE [--refresh] [--state-max-age SECS]]\n"
	    "           [--progress | --no-progress] [ID ...]\n"
	    "Try 'rhq --help' for more information.\n", stderr);
	exit(EXIT_FATAL);
}

static _Noreturn void
help(void)
{
	fputs("usage: rhq [options] [ID ...]\n"
	    "Ask RunningHub for the state of each task ID and print ID<TAB>STATE rows.\n"
	    "IDs come from the arguments or, with none (or -), one a line from stdin.\n"
	    "\n"
	    "  -o, --outputs           add a third field: a row per output file with its\n"
	    "                          URL; for a FAILED task, why it failed\n"
	    "  --api v1|v2             the API to ask (default v1, env RUNNINGHUB_API)\n"
	    "  --base-url URL          API root (default " SITE_CN ",\n"
	    "                          env RUNNINGHUB_BASE_URL)\n"
	    "  --site cn|ai            " SITE_CN " or " SITE_AI "\n"
	    "  --api-key-file FILE     read the API key from FILE (env RUNNINGHUB_API_KEY_FILE;\n"
	    "                          otherwise env RUNNINGHUB_API_KEY)\n"
	    "  --timeout SECS          limit for one request (default " STR(DEF_TIMEOUT) ")\n"
	    "  --connect-timeout SECS  limit for connecting (default " STR(DEF_CONNECT_TIMEOUT) ")\n"
	    "  --cacert FILE           CA bundle for TLS verification\n"
	    "  --insecure-http         allow sending the key over http:// to a non-loopback host\n"
	    "  --retries N             retries after a transient failure (default " STR(DEF_RETRIES) ")\n"
	    "  --retry-delay SECS      first pause before a retry, then doubling (default " STR(DEF_RETRY_DELAY) ")\n"
	    "  -j, --jobs N            requests in flight at once, 1 to " STR(JOBS_MAX) " (default " STR(DEF_JOBS) ")\n"
	    "  --rate R                at most R requests a second\n"
	    "  -w, --wait              poll each task until it finishes; rows in finishing order\n"
	    "  --interval SECS         pause between polls of one task (default " STR(DEF_INTERVAL) ")\n"
	    "  --deadline SECS         with --wait: give up after SECS, exit 3\n"
	    "  --max-outage SECS       with --wait: give up when the API has not answered for\n"
	    "                          SECS, exit 2 (default " STR(DEF_MAX_OUTAGE) " without --deadline;\n"
	    "                          0: never)\n"
	    "  --max-failures N        stop, exit 2, when N tasks in a row got no answer from\n"
	    "                          the API (default " STR(DEF_MAX_FAILURES) "; 0: never)\n"
	    "  -f, --field N           take the ID from field N of each line\n"
	    "  -d, --delimiter C       field delimiter for -f (default TAB)\n"
	    "  -a, --append            print the whole input line, TAB, the state\n"
	    "  -0, --null              input items end with NUL, not newline\n"
	    "  --json                  one JSON object a line instead of TSV\n"
	    "  --traceback             with --json -o: add the traceback of a failure\n"
	    "  -s, --summary           count the states on stderr at the end\n"
	    "  --state FILE            answer the tasks FILE knows as finished from it, and\n"
	    "                          keep there every final state learned (env RHQ_STATE)\n"
	    "  --refresh               with --state: ask every ID all the same\n"
	    "  --state-max-age SECS    with --state: take older entries for unknown\n"
	    "  --progress              show a live counter on stderr\n"
	    "  --no-progress           never show the counter\n"
	    "  -v, --verbose           one line on stderr for each request\n"
	    "  -h, --help              show this help and exit\n"
	    "  -V, --version           show the version and exit\n"
	    "\n"
	    "Exit status: 0 every ID got a state; 1 some rows are ERROR, NOT_FOUND or\n"
	    "INVALID; 2 usage, key, configuration or output failure, or no answer from the\n"
	    "API; 3 --deadline reached.\n",
	    stdout);
	exit(fflush(stdout) == EOF ? EXIT_FATAL : EXIT_OK);
}

/*
 * Is s a plain decimal number: digits, and (point) at most one decimal point?
 * strtod() and strtol() would also take signs, spaces, hex, exponents, inf.
 */
static int
plain_decimal(const char *s, int point)
{
	int digits = 0;

	for (; *s; s++) {
		if (*s == '.' && point)
			point = 0;
		else if (*s >= '0' && *s <= '9')
			digits++;
		else
			return 0;
	}
	return digits > 0;
}

/* A decimal number from the command line; what says what it counts. */
static double
number_arg(const char *name, const char *s, double min, double max, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!plain_decimal(s, 1) || *end != '\0' || errno || v < min || v > max) {
		note("%s: invalid value '%s' (a number of %s from %g to %g)", name, s,
		    what, min, max);
		usage();
	}
	return v;
}

static double
seconds_arg(const char *name, const char *s, double min, double max)
{
	return number_arg(name, s, min, max, "seconds");
}

static int
count_arg(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!plain_decimal(s, 0) || *end != '\0' || errno || v < min || v > max) {
		note("%s: invalid value '%s' (a whole number from %ld to %ld)", name, s,
		    min, max);
		usage();
	}
	return v;
}

/*
 * Reads a key file, which may be a pipe or FIFO that delivers the key in
 * pieces, into buf; returns the bytes read.  A FIFO's descriptor does not
 * block, so that a FIFO nobody has opened for writing is told from one whose
 * writer is still at work: a read finds the end at once in the first case
 * and EAGAIN in the second.  The first waits KEY_WAIT seconds for a writer;
 * the second as long as the writer takes, as cat(1) would.
 */
static size_t
read_key_fd(int fd, const char *where, int fifo, char *buf, size_t size)
{
	struct pollfd p = { fd, POLLIN, 0 };
	double since = now();
	int writer = !fifo;
	size_t n = 0;
	ssize_t r;

	while (n < size) {
		if ((r = read(fd, buf + n, size - n)) > 0) {
			n += r;
			writer = 1;
		} else if (r == 0 && writer) {
			break;
		} else if (r < 0 && errno == EAGAIN) {
			writer = 1;
			poll(&p, 1, -1);
		} else if (r < 0 && errno != EINTR) {
			die_errno("%s", where);
		} else if (r == 0) {
			if (now() - since >= KEY_WAIT)
				die("%s: no key within %d s (a FIFO that nothing writes to?)",
				    where, KEY_WAIT);
			poll(NULL, 0, 50);
		}
	}
	return n;
}

/*
 * Reads the API key from a file (or stdin, for "-"): one trailing newline is
 * not part of it.  where names the file and the option or variable that gave
 * it, for messages.
 */
static char *
read_key_file(const char *path, const char *where)
{
	char buf[KEY_MAX + 4], *key;	/* the key, a CRLF, and one byte to see more */
	int from_stdin = strcmp(path, "-") == 0, fd = STDIN_FILENO;
	struct stat st;
	size_t n;

	if ((!from_stdin && (fd = open(path, O_RDONLY | O_NONBLOCK)) < 0) || fstat(fd, &st) < 0)
		die_errno("%s", where);
	if (!from_stdin && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		note("warning: %s is readable by others; chmod 600 %s", path, path);
	n = read_key_fd(fd, where, !from_stdin && S_ISFIFO(st.st_mode), buf, sizeof buf - 1);
	if (!from_stdin)
		close(fd);
	if (memchr(buf, '\0', n) != NULL)
		die("%s: the API key contains control characters", where);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n > KEY_MAX)
		die("%s: too long for an API key", where);
	key = xstrdup(buf);
	wipe(buf, sizeof buf);
	return key;
}

/* The key: from --api-key-file, RUNNINGHUB_API_KEY_FILE or RUNNINGHUB_API_KEY. */
static char *
find_key(void)
{
	const char *file = opt.key_file, *from = "--api-key-file";
	const char *env = getenv("RUNNINGHUB_API_KEY"), *bad = NULL;
	static char *where;		/* static: still reachable when rhq dies */
	char *key;
	size_t i;

	if (file == NULL) {
		file = getenv("RUNNINGHUB_API_KEY_FILE");
		from = "RUNNINGHUB_API_KEY_FILE";
	}
	if (file != NULL && *file != '\0') {
		where = xasprintf("%s (from %s)", strcmp(file, "-") ? file : "stdin", from);
		key = read_key_file(file, where);
	} else if (env != NULL && *env != '\0') {
		where = xstrdup("RUNNINGHUB_API_KEY");
		key = xstrdup(env);
	} else {
		die("no API key: set RUNNINGHUB_API_KEY, or put the key in a "
		    "file and use --api-key-file FILE (or RUNNINGHUB_API_KEY_FILE)");
	}
	for (i = 0; key[i] && bad == NULL; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			bad = "the API key contains control characters";
	if (i == 0)
		bad = "the API key is empty";
	else if (i > KEY_MAX)
		bad = "the API key is too long";
	if (bad != NULL) {
		wipe(key, i);
		free(key);
		die("%s: %s", where, bad);
	}
	free(where);
	where = NULL;
	return key;
}

/*
 * A --cacert that is missing or holds no certificate is a mistake in the
 * configuration, better told once than as an ERROR row for every task.
 * libcurl (with OpenSSL, GnuTLS or others) reads CA files in PEM.
 */
static void
check_cacert(const char *path)
{
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	int fd, found = 0;
	FILE *f;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		die_errno("--cacert: %s", path);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		die_errno("--cacert: %s", path);
	}
	if ((f = fdopen(fd, "r")) == NULL)
		die_errno("--cacert: %s", path);
	while (!found && getline(&line, &cap, f) > 0)
		found = strncmp(line, "-----BEGIN ", 11) == 0 &&
		    strstr(line, "CERTIFICATE-----") != NULL;
	if (ferror(f))
		die_errno("--cacert: %s", path);
	free(line);
	fclose(f);
	if (!found)
		die("--cacert: %s: no certificate in it (PEM expected)", path);
}

/* Loopback hosts are the only ones that may see the key over plain http. */
static int
is_loopback(const char *host)
{
	unsigned char a[16];

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}

/*
 * Checks the API root and makes the URL of each endpoint from it, parsed
 * once: the handles take them parsed (CURLOPT_CURLU), which spares libcurl a
 * parse per request.
 */
static void
make_urls(const char *base)
{
	/* Held by a global from the start, so that it is not lost when rhq dies. */
	CURLU *u = curlus[REQ_STATUS] = curl_url();
	char *scheme = NULL, *host = NULL;
	size_t n = strlen(base), k;

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (u == NULL)
		die("out of memory");
	/* The paths are appended: after a query or fragment they would not be paths. */
	if (strpbrk(base, "?#") != NULL) {
		note("--base-url: '%s': a query or fragment is not allowed", base);
		usage();
	}
	for (k = 0; k < NELEM(endpoints); k++)
		urls[k] = xasprintf("%.*s%s", (int)n, base, endpoints[k].path);
	if (curl_url_set(u, CURLUPART_URL, urls[REQ_STATUS], 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		note("--base-url: '%s' is not a URL", base);
		usage();
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		note("--base-url: '%s': only http and https are allowed", base);
		usage();
	}
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (strcmp(scheme, "http") == 0 && !is_loopback(host) && !opt.insecure_http)
		die("refusing to send the API key over plain http to %s: "
		    "use https (or --insecure-http)", host);
	curl_free(scheme);
	curl_free(host);
	/* The same root with another path: it parses when the status URL did. */
	for (k = 1; k < NELEM(endpoints); k++)
		if ((curlus[k] = curl_url()) == NULL ||
		    curl_url_set(curlus[k], CURLUPART_URL, urls[k], 0) != CURLUE_OK)
			die("cannot parse %s", urls[k]);
}

static void
setup_transfers(const char *key)
{
	char *auth;
	int i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("cannot initialise libcurl");
	make_body_prefix(key);
	auth = xasprintf("Authorization: Bearer %s", key);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, auth);
	wipe(auth, strlen(auth));
	free(auth);
	if (headers == NULL || (multi = curl_multi_init()) == NULL)
		die("cannot initialise libcurl");
	curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opt.jobs);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)opt.jobs);
	for (i = 0; i < opt.jobs; i++)
		if (job_init(&jobs[i]) < 0)
			die("cannot initialise libcurl");
	/* The pace starts at what the options allow; throttling moves it. */
	pace = pace_start(opt.jobs, opt.rate);
	shown_jobs = opt.jobs;
	shown_rate = opt.rate;
}

static void
teardown(void)
{
	unsigned long s;
	int i;

	for (i = 0; i < opt.jobs; i++)
		job_free(&jobs[i]);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	curl_global_cleanup();
	for (s = 0; s < window.cap; s++) {
		free(window.t[s].text);
		free(window.t[s].msg);
		results_free(&window.t[s].res);
		free(window.t[s].why);
		free(window.t[s].status_msg);
	}
	free(window.t);
	free(polls.v);
	free(retries.v);
	free(src.in.buf);
	free(body_prefix);
	for (i = 0; i < (int)NELEM(endpoints); i++) {
		free(urls[i]);
		curl_url_cleanup(curlus[i]);
	}
}

enum {
	OPT_BASE_URL = 256, OPT_SITE, OPT_KEY_FILE, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT,
	OPT_CACERT, OPT_INSECURE_HTTP, OPT_RETRIES, OPT_RETRY_DELAY, OPT_RATE,
	OPT_INTERVAL, OPT_DEADLINE, OPT_JSON, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_API,
	OPT_TRACEBACK, OPT_MAX_OUTAGE, OPT_MAX_FAILURES, OPT_STATE, OPT_REFRESH,
	OPT_STATE_MAX_AGE,
};

static const struct option longopts[] = {
	{ "null", no_argument, NULL, '0' },
	{ "append", no_argument, NULL, 'a' },
	{ "api", required_argument, NULL, OPT_API },
	{ "api-key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "field", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
	{ "max-outage", required_argument, NULL, OPT_MAX_OUTAGE },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "outputs", no_argument, NULL, 'o' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "refresh", no_argument, NULL, OPT_REFRESH },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "site", required_argument, NULL, OPT_SITE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "state-max-age", required_argument, NULL, OPT_STATE_MAX_AGE },
	{ "summary", no_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "traceback", no_argument, NULL, OPT_TRACEBACK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

/* Options about records and rows; returns 0 for an option of another kind. */
static int
take_record_option(int ch, const char *arg)
{
	switch (ch) {
	case '0':
		opt.sep = '\0';
		break;
	case 'a':
		opt.append = 1;
		break;
	case 'd':
		if (strlen(arg) != 1) {
			note("--delimiter: '%s' is not a single character", arg);
			usage();
		}
		opt.delim = arg[0];
		delim_set = 1;
		break;
	case 'f':
		opt.field = count_arg("--field", arg, 1, 1000000);
		break;
	case 's':
		opt.summary = 1;
		break;
	case OPT_JSON:
		opt.json = 1;
		break;
	case OPT_PROGRESS:
		opt.progress = 1;
		break;
	case OPT_NO_PROGRESS:
		opt.progress = -1;
		break;
	case 'o':
		opt.outputs = 1;
		break;
	case OPT_TRACEBACK:
		opt.traceback = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options about the API and its requests; returns 0 for an option of another kind. */
static int
take_request_option(int ch, const char *arg)
{
	switch (ch) {
	case OPT_API:
		api_option = arg;
		break;
	case OPT_BASE_URL:
		base_option = arg;
		base_url_set = 1;
		break;
	case OPT_SITE:
		if (strcmp(arg, "cn") != 0 && strcmp(arg, "ai") != 0) {
			note("--site: '%s' is neither cn nor ai", arg);
			usage();
		}
		base_option = arg[0] == 'c' ? SITE_CN : SITE_AI;
		site_set = 1;
		break;
	case OPT_KEY_FILE:
		opt.key_file = arg;
		break;
	case OPT_TIMEOUT:
		opt.timeout = seconds_arg("--timeout", arg, 0.001, 86400);
		break;
	case OPT_CONNECT_TIMEOUT:
		opt.connect_timeout = seconds_arg("--connect-timeout", arg, 0.001, 86400);
		break;
	case OPT_CACERT:
		opt.cacert = arg;
		break;
	case OPT_INSECURE_HTTP:
		opt.insecure_http = 1;
		break;
	case 'v':
		opt.verbose = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options about pace, retries and waiting; returns 0 for an option of another kind. */
static int
take_schedule_option(int ch, const char *arg)
{
	switch (ch) {
	case 'j':
		opt.jobs = count_arg("--jobs", arg, 1, JOBS_MAX);
		break;
	case 'w':
		opt.wait = 1;
		break;
	case OPT_RETRIES:
		opt.retries = count_arg("--retries", arg, 0, 100);
		break;
	case OPT_RETRY_DELAY:
		opt.retry_delay = seconds_arg("--retry-delay", arg, 0, 3600);
		break;
	case OPT_RATE:
		opt.rate = number_arg("--rate", arg, 0.001, 1e6, "requests a second");
		break;
	case OPT_INTERVAL:
		opt.interval = seconds_arg("--interval", arg, 0.01, 86400);
		interval_set = 1;
		break;
	case OPT_DEADLINE:
		opt.deadline = seconds_arg("--deadline", arg, 0.001, 1e7);
		deadline_set = 1;
		break;
	case OPT_MAX_OUTAGE:
		opt.max_outage = seconds_arg("--max-outage", arg, 0, 1e7);
		max_outage_set = 1;
		break;
	case OPT_MAX_FAILURES:
		opt.max_failures = count_arg("--max-failures", arg, 0, 1000000);
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options about the state file; returns 0 for an option of another kind. */
static int
take_state_option(int ch, const char *arg)
{
	switch (ch) {
	case OPT_STATE:
		state_option = arg;
		break;
	case OPT_REFRESH:
		opt.refresh = 1;
		break;
	case OPT_STATE_MAX_AGE:
		opt.state_max_age = seconds_arg("--state-max-age", arg, 0, 1e10);
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options that make sense only together, or not at all together. */
static void
check_options(int argc, char *argv[])
{
	const char *key_file = opt.key_file ? opt.key_file : getenv("RUNNINGHUB_API_KEY_FILE");
	int i, ids_on_stdin = argc == 0;

	if (deadline_set && !opt.wait) {
		note("--deadline needs --wait");
		usage();
	}
	if (interval_set && !opt.wait) {
		note("--interval needs --wait");
		usage();
	}
	if (max_outage_set && !opt.wait) {
		note("--max-outage needs --wait");
		usage();
	}
	/* A --deadline bounds the wait already; without one, so does an outage. */
	if (!max_outage_set)
		opt.max_outage = deadline_set ? 0 : DEF_MAX_OUTAGE;
	if (base_url_set && site_set) {
		note("--base-url and --site both name the API root: give one");
		usage();
	}
	for (i = 0; i < argc; i++)
		ids_on_stdin |= strcmp(argv[i], "-") == 0;
	if (key_file != NULL && strcmp(key_file, "-") == 0 && ids_on_stdin) {
		note("the API key can come from stdin only when the task IDs are arguments");
		usage();
	}
	if (delim_set && opt.field == 0) {
		note("--delimiter needs --field");
		usage();
	}
	if (opt.delim == opt.sep) {
		note("--delimiter cannot be the record separator");
		usage();
	}
	if (opt.traceback && !opt.json) {
		note("--traceback needs --json");
		usage();
	}
	if (opt.traceback && !opt.outputs) {
		note("--traceback needs --outputs");
		usage();
	}
	if (state_option != NULL && *state_option == '\0') {
		note("--state: the file name is empty");
		usage();
	}
	if (opt.refresh && opt.state == NULL) {
		note("--refresh needs --state (or RHQ_STATE)");
		usage();
	}
	if (opt.state_max_age >= 0 && opt.state == NULL) {
		note("--state-max-age needs --state (or RHQ_STATE)");
		usage();
	}
}

/* The API version, from --api or (what) RUNNINGHUB_API. */
static enum api
api_arg(const char *what, const char *s)
{
	if (strcmp(s, "v1") == 0)
		return API_V1;
	if (strcmp(s, "v2") == 0)
		return API_V2;
	note("%s: '%s' is neither v1 nor v2", what, s);
	usage();
}

static void
parse_options(int argc, char *argv[])
{
	const char *env = getenv("RUNNINGHUB_BASE_URL"), *api_env = getenv("RUNNINGHUB_API");
	const char *state_env = getenv("RHQ_STATE");
	int ch;

	while ((ch = getopt_long(argc, argv, "0ad:f:hj:osVvw", longopts, NULL)) != -1) {
		if (ch == 'h')
			help();
		if (ch == 'V') {
			puts("rhq " RHQ_VERSION);
			exit(fflush(stdout) == EOF ? EXIT_FATAL : EXIT_OK);
		}
		if (!take_record_option(ch, optarg) && !take_request_option(ch, optarg) &&
		    !take_schedule_option(ch, optarg) && !take_state_option(ch, optarg))
			usage();
	}
	opt.state = state_option ? state_option : state_env && *state_env ? state_env : NULL;
	check_options(argc - optind, argv + optind);
	opt.base_url = base_option ? base_option : env && *env ? env : SITE_CN;
	if (api_option != NULL)
		opt.api = api_arg("--api", api_option);
	else if (api_env != NULL && *api_env != '\0')
		opt.api = api_arg("RUNNINGHUB_API", api_env);
}

/*
 * A closed standard descriptor would be taken by libcurl's own sockets and
 * rows written into them: treat a closed stdin as empty, refuse a closed
 * stdout.
 */
static void
guard_std_descriptors(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
				_exit(EXIT_FATAL);
			if (fd == STDOUT_FILENO)
				die("stdout is closed");
		}
}

/*
 * The first SIGINT or SIGTERM asks for a clean stop, and rhq ends with that
 * signal.  The handler then goes back to the default, so the same signal
 * again ends rhq at once (say, while a stalled reader keeps a row from being
 * written).  A signal the caller ignores stays ignored, as for any program
 * run in the background.
 */
static void
catch_signals(void)
{
	int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NELEM(sigs); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

/*
 * As curl does: a progress line by default only when stderr is a terminal
 * and stdout is not (rows and the line would share the screen); --progress
 * forces it.
 */
static void
setup_progress(void)
{
	const char *term = getenv("TERM");
	int err_tty = isatty(STDERR_FILENO), out_tty = isatty(STDOUT_FILENO);

	if (opt.progress < 0 || (opt.progress == 0 && (!err_tty || out_tty)))
		prog.mode = PROG_OFF;
	else if (!err_tty)
		prog.mode = PROG_LINES;
	else if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
		prog.mode = PROG_DUMB;
	else
		prog.mode = PROG_LIVE;
	prog.over_rows = prog.mode != PROG_OFF && err_tty && out_tty;
}

/* Records come from the arguments; from stdin without any, or at "-". */
static void
setup_input(int argc, char *argv[])
{
	struct stat st;

	src.argv = argv;
	src.argc = argc;
	src.from_stdin = argc == 0;
	src.what = opt.sep == '\n' ? "line" : "item";
	src.in.fd = STDIN_FILENO;
	src.in.buf = xmalloc(INBUF_SIZE);
	window.cap = WINDOW_ROWS;
	window.t = xcalloc(window.cap, sizeof *window.t);
	stdout_is_pipe = fstat(STDOUT_FILENO, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	setup_progress();
}

/* The whole program; main() is this, and the tests call it under a fake clock. */
static int
rhq_main(int argc, char *argv[])
{
	char *key;
	int status;

	/* getopt's messages name the program as rhq's own do, however it was run. */
	argv[0] = "rhq";
	guard_std_descriptors();
	parse_options(argc, argv);
	make_urls(opt.base_url);
	if (opt.cacert != NULL)
		check_cacert(opt.cacert);
	key = find_key();
	setup_transfers(key);
	wipe(key, strlen(key));
	free(key);
	if (opt.state != NULL)
		state_open();
	setup_input(argc - optind, argv + optind);
	srandom(jitter_seed != 0 ? jitter_seed : (unsigned)getpid() ^ (unsigned)time(NULL));
	catch_signals();

	status = run();
	if (state_finish(status >= 0) < 0 && status >= 0)
		status = EXIT_FATAL;
	teardown();
	if (status < 0) {
		/* Die of the signal that stopped us, so the shell sees it. */
		signal(got_signal, SIG_DFL);
		raise(got_signal);
		/* cppcheck-suppress unreachableCode */
		status = 128 + got_signal;
	}
	return status;
}

#ifndef RHQ_NO_MAIN
int
main(int argc, char *argv[])
{
	return rhq_main(argc, argv);
}
#endif
