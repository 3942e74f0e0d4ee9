/*
 * standin.h - a local stand-in for the RunningHub task-status API.
 *
 * The stand-in is an HTTP/1.1 server (libmicrohttpd) bound to 127.0.0.1.
 * It answers `POST /task/openapi/status` the way the real service does,
 * so that rhq can be tested and benchmarked without a network and without
 * a real API key.  The test suite links it in-process; tests/standin_main.c
 * wraps it as a standalone program for `make demo` and the benchmarks.
 *
 * Routing:
 *   POST /task/openapi/status   the API (below)
 *   POST /task/openapi/outputs  the results of a task (v1; see "Results" below)
 *   POST /openapi/v2/query      state and results at once (v2; see "Results")
 *   GET  /output/<name>         HTTP 200 and a small body: an output file
 *   any method, any other path  HTTP 404, small HTML body
 *   other method on the API     HTTP 405 (Allow: POST), small HTML body
 *
 * The request body is scanned for `"taskId"` followed by `:` and a string
 * (or bare number) of 1 to 63 digits; whitespace around the colon is allowed.
 * Without such a taskId the reply is HTTP 200 with
 *   {"code":301,"msg":"PARAMS_INVALID","data":null}
 *
 * Every reply (including 404/405 and dropped connections) is preceded by
 * the start-up delay `delay_ms`.  JSON replies carry
 * `Content-Type: application/json`, HTML replies `text/html`.
 *
 * An ordinary taskId gets HTTP 200 and its state by the ID's value modulo
 * 4; special taskIds (exact match) get the replies named and described in
 * ids.h, the one list of them, which the stand-in and the tests share.
 *
 * Results: the outputs endpoint (v1) and the query endpoint (v2)
 * -----------------------------------------------------------------------
 * Output URLs point at the stand-in itself, BASE/output/<ID>_<n>.<type>
 * (BASE is http://127.0.0.1:PORT), so that they can be downloaded.  The
 * "standard reason" is RunningHub's documented failure: node_id "276",
 * node_name "SONIC_PreData", exception_type "TypeError", exception_message
 * "SONIC_PreData.sampler_main() missing 2 required positional arguments:
 * 'clip_vision' and 'vae'", a short traceback, current_inputs/outputs "{}".
 *
 * An ordinary taskId, by its value modulo 4 as above:
 *   outputs: QUEUED 813 APIKEY_TASK_IS_QUEUED, RUNNING 804
 *            APIKEY_TASK_IS_RUNNING, FAILED 805 APIKEY_TASK_STATUS_ERROR with
 *            data {"failedReason": the standard reason}, SUCCESS code 0 with
 *            data [one file <ID>_1.png, fileType "png", nodeId "9",
 *            taskCostTime "12", and consumeCoins and other extra fields]
 *   v2:      {"taskId","status","errorCode":"","errorMessage":"",
 *            "failedReason","usage","results","clientId","promptTips"}:
 *            status by the same rule; SUCCESS has results [<ID>_1.png] and
 *            usage.taskCostTime "12", FAILED the standard reason; QUEUED and
 *            RUNNING have results, failedReason and usage null
 *
 * Special taskIds of these endpoints are named and described in ids.h with
 * the others.  A request without a taskId gets, from v2, status "" and
 * errorCode "301".
 * Test controls (below) come before all of this: a fault window, then the
 * throttle, then the scripted replies of standin_script(); only requests
 * they leave alone get the replies above.
 *
 * Counters and records are updated when a request has been received
 * completely, before any delay, so a request the client gave up on
 * (ID_SLOW with a short timeout) is counted too.
 *
 * All functions are thread-safe; the server runs its own threads (one per
 * connection).
 */
#ifndef STANDIN_H
#define STANDIN_H

#include <stddef.h>

/* The number of requests standin_request() can return (the first ones). */
#define STANDIN_RECORD_MAX 4096u

/* The long traceback of ID_FAILED: a first line, this many lines
 * STANDIN_TRACEBACK_LINE, and the exception's line. */
#define STANDIN_TRACEBACK_LINES 2000u
#define STANDIN_TRACEBACK_LINE \
    "  File \"/opt/ComfyUI/execution.py\", line 151, in recursive_execute\n"

/* Recorded request bodies are cut at this many bytes. */
#define STANDIN_BODY_MAX (1024u * 1024u)

struct standin;                       /* opaque */

/* One recorded request.  String fields are NUL-terminated and cut to fit;
 * a missing header is recorded as "".  body is NUL-terminated (body_len
 * excludes the NUL) and is never NULL. */
struct standin_req {
    char method[8];
    char url[128];
    char content_type[64];
    char authorization[160];
    char user_agent[64];
    char *body;
    size_t body_len;
};

/* Starts the server on 127.0.0.1:port (0 = any free port), sleeping
 * delay_ms before every reply.  Returns NULL on failure. */
struct standin *standin_start(unsigned short port, int delay_ms);

/* The port actually bound. */
unsigned short standin_port(const struct standin *);

/* Sets the Location of the ID_REDIRECT reply (copied; NULL restores the
 * default http://127.0.0.1:9/). */
void standin_set_redirect(struct standin *, const char *location);

/* TCP connections accepted so far. */
unsigned standin_connections(struct standin *);

/* Requests received so far (answered, being answered or dropped). */
unsigned standin_requests(struct standin *);

/* How many requests named this taskId: at the status endpoint for "ID",
 * at the other two for "outputs:ID" and "v2:ID". */
unsigned standin_requests_for(struct standin *, const char *id);

/* The i-th recorded request (0-based), NULL past the end or past
 * STANDIN_RECORD_MAX.  Valid until standin_stop(). */
const struct standin_req *standin_request(struct standin *, unsigned i);

/*
 * Test controls.  They act on requests received from the call on, and on
 * connections accepted from then on.
 */

/* Answers taskId id with HTTP `status` and `body` (Content-Type
 * application/json), plus the header Retry-After: retry_after unless it is
 * NULL.  Only the first `times` requests naming id get it (0: every one);
 * later ones get {"code":0,"msg":"success","data":"SUCCESS"}.  A script
 * replaces the special meaning of an ID.  Returns 0, or -1 when out of
 * memory. */
int standin_script(struct standin *, const char *id, unsigned status, const char *body,
                   const char *retry_after, unsigned times);

/* The clock of the fault windows and the throttle, in seconds (default:
 * CLOCK_MONOTONIC).  A test running rhq on a warped clock passes that
 * clock, so that the windows are in rhq's own time. */
void standin_set_clock(struct standin *, double (*clock)(void));

/* The time on that clock. */
double standin_now(struct standin *);

enum standin_fault {
    STANDIN_FAULT_NONE,
    STANDIN_FAULT_RESET,    /* new connections are closed as soon as accepted, and
                             * requests on open ones are dropped without a reply */
    STANDIN_FAULT_503,      /* every request gets HTTP 503 with an HTML body */
};

/* From time `from` until time `until` (the clock above), the stand-in
 * behaves as `kind` says, whatever the taskId.  One window at a time: a
 * call replaces the window before. */
void standin_set_fault(struct standin *, enum standin_fault kind, double from, double until);

/* Answers HTTP 429 (HTML body, plus Retry-After: retry_after unless NULL)
 * to every request beyond `rate` a second, measured by a token bucket that
 * holds `burst` requests and starts full; rate 0 turns throttling off.
 * Returns 0, or -1 when out of memory. */
int standin_set_throttle(struct standin *, double rate, double burst, const char *retry_after);

/* The 429 replies of the throttle so far. */
unsigned standin_throttled(struct standin *);

/* Stops the server (interrupting any delay), frees everything. */
void standin_stop(struct standin *);

#endif
