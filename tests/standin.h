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
 * An ordinary taskId gets HTTP 200 and its state by the ID's value modulo
 * 4; special taskIds (exact match) get the replies named and described in
 * ids.h, the one list of them, which the stand-in and the tests share.
 *
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
