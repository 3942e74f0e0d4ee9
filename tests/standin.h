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
 * An ordinary taskId gets HTTP 200 and exactly
 *   {"code":0,"msg":"success","data":"<STATE>"}
 * where STATE is chosen by the numeric value of the taskId modulo 4:
 *   0 QUEUED, 1 RUNNING, 2 FAILED, 3 SUCCESS.
 *
 * Special taskIds (exact match).  "once" means: only the first request
 * naming this taskId misbehaves; every later one gets the normal reply
 *   {"code":0,"msg":"success","data":"SUCCESS"}
 * (the per-ID request counter lives as long as the stand-in).
 *
 *   taskId  HTTP  reply
 *   ------  ----  -----------------------------------------------------------
 *   API error codes, HTTP 200, body {"code":N,"msg":"M","data":null}:
 *   9301    200   301  PARAMS_INVALID
 *   9412    200   412  TOKEN_INVALID
 *   9415    200   415  TASK_INSTANCE_MAXED
 *   9423    200   423  TASK_NOT_FOUNED          (sic, as the real API spells it)
 *   9801    200   801  APIKEY_UNSUPPORTED_FREE_USER
 *   9802    200   802  APIKEY_UNAUTHORIZED
 *   9804    200   804  APIKEY_TASK_IS_RUNNING
 *   9805    200   805  APIKEY_TASK_STATUS_ERROR
 *   9806    200   806  APIKEY_USER_NOT_FOUND
 *   9807    200   807  APIKEY_TASK_NOT_FOUND
 *   9811    200   811  CORPAPIKEY_INVALID
 *   9812    200   812  CORPAPIKEY_INSUFFICIENT_FUNDS
 *   9813    200   813  APIKEY_TASK_IS_QUEUED
 *   91002   200   1002 invalid API key
 *   91004   200   1004 task not found or expired
 *   9888    200   888  "\u4efb\u52a1\u5931\u8d25" (JSON \u escapes, "task failed")
 *
 *   Transport and HTTP faults:
 *   9100    500   JSON {"code":500,"msg":"INTERNAL_SERVER_ERROR","data":null}, once
 *   9101    429   Retry-After: 1, small HTML body, once
 *   9102    -     connection closed without any reply, once
 *   9103    200   Content-Length: 60 but only 20 bytes sent, then the
 *                 connection is closed, once
 *   9104    502   <html><body><h1>502 Bad Gateway</h1></body></html>, once
 *   9105    503   HTML body, always
 *   9106    200   SUCCESS, but only after an extra 3 s sleep, always
 *   9107    200   truncated JSON {"code":0,"msg":"success","data":"SUCC
 *                 (a complete HTTP reply; Content-Length matches)
 *   9108    200   {"code":0,"msg":"success","data":null}
 *   9109    200   data "RUN\tNING"  (JSON escape \t)
 *   9110    200   data "SUC\nCESS"  (JSON escape \n)
 *   9111    200   SUCCESS with Transfer-Encoding: chunked, in small pieces
 *   9112    200   SUCCESS, Content-Encoding: gzip (stored deflate blocks)
 *   9113    200   SUCCESS with Connection: close
 *   9114    307   Location: standin_set_redirect() target
 *                 (default http://127.0.0.1:9/), small HTML body
 *   9115    200   4 MiB reply: msg is 4194304 'a' characters, data SUCCESS
 *   9116    500   JSON {"code":500,...}, always
 *   9117    200   code 421 TASK_QUEUE_MAXED, once
 *   9118    200   code 500 UNKNOWN_ERROR, once
 *   9119    200   code 1003 "rate limit exceeded", once
 *   9120    200   QUEUED, RUNNING, then SUCCESS from the 3rd request on
 *   9121    200   QUEUED, RUNNING, then FAILED from the 3rd request on
 *   9122    200   RUNNING forever
 *   9123    200   valid but tricky JSON: spaces and newlines, members out of
 *                 order, a nested object with its own "code"/"data"/"msg",
 *                 msg "\u6210\u529f"; top-level code 0, data SUCCESS
 *   9124    404   HTML body
 *   9125    200   data "CANCEL"
 *   9126    200   data "success" (lower case)
 *   9127    200   empty body (Content-Length: 0), once
 *   9128    200   Content-Encoding: gzip, 171 bytes on the wire that inflate
 *                 to 102436 bytes: {"code":0,"msg":"aaa...","data":"SUCCESS"}
 *   9129    200   [1,2]  (JSON, but not an object)
 *
 * Test controls (below) come before all of this: a fault window, then the
 * throttle, then the scripted replies of standin_script(); only requests
 * they leave alone get the replies above.
 *
 * Counters and records are updated when a request has been received
 * completely, before any delay, so a request the client gave up on
 * (9106 with a short timeout) is counted too.
 *
 * All functions are thread-safe; the server runs its own threads (one per
 * connection).
 */
#ifndef STANDIN_H
#define STANDIN_H

#include <stddef.h>

/* The number of requests standin_request() can return (the first ones). */
#define STANDIN_RECORD_MAX 4096u

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

/* Sets the Location of the 9114 redirect (copied; NULL restores the
 * default http://127.0.0.1:9/). */
void standin_set_redirect(struct standin *, const char *location);

/* TCP connections accepted so far. */
unsigned standin_connections(struct standin *);

/* Requests received so far (answered, being answered or dropped). */
unsigned standin_requests(struct standin *);

/* How many requests named this taskId. */
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
