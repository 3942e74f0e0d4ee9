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
 * Special taskIds of these endpoints.  "status" is what the status endpoint
 * answers for them (the n-th request, the last one repeating); "v1" is the
 * outputs endpoint, "v2" the query endpoint.  A sequence a, b means: the
 * first request to that endpoint gets a, every later one b.
 *
 *   name                taskId  status    replies
 *   ID_ONE_FILE         9200    SUCCESS   v1, v2: one file <ID>_1.png
 *   ID_MANY_FILES       9201    SUCCESS   v1, v2: <ID>_1.png, <ID>_2.png
 *                                         (node 9), <ID>_3.mp4 (node 12)
 *   ID_TEXT_OUTPUT      9202    SUCCESS   v1: one file <ID>_1.txt; v2: a text
 *                                         output (url null, text
 *                                         "a cat<TAB>on a mat<LF>line 2 \ é")
 *                                         then <ID>_2.png
 *   ID_NO_OUTPUTS       9203    SUCCESS   v1: data []; v2: results []
 *   ID_FAILED           9204    FAILED    v1: 805, v2: FAILED; the standard
 *                                         reason with a traceback of
 *                                         STANDIN_TRACEBACK_LINES lines
 *                                         (over 100 KiB)
 *   ID_HOSTILE_REASON   9205    FAILED    v1: 805, v2: FAILED; node_id "77",
 *                                         node_name "Bad	Node
",
 *                                         exception_type "Value Error",
 *                                         exception_message with 
, 	,
 *                                         ESC sequences, U+0085, the raw bytes
 *                                         FF FE, then 200 x U+9577 (600 bytes)
 *   ID_OUTPUTS_LATE     9206    SUCCESS   v1: 804, then one file; v2: one file
 *   ID_OUTPUTS_NEVER    9207    SUCCESS   v1: 804 always; v2: RUNNING
 *   ID_WAIT_SUCCESS     9208    QUEUED, RUNNING, SUCCESS (3rd request on)
 *                                         v1: one file; v2: QUEUED, RUNNING,
 *                                         then SUCCESS with one file
 *   ID_WAIT_FAILED      9209    QUEUED, RUNNING, FAILED (3rd request on)
 *                                         v1: 805; v2: QUEUED, RUNNING, then
 *                                         FAILED; the standard reason
 *   ID_V2_UNKNOWN       9210    -         v2: taskId "", status "",
 *                                         errorCode "1007", "task not found"
 *   ID_V2_BAD_KEY       9211    -         v2: status "", errorCode "806",
 *                                         errorMessage "APIKEY_USER_NOT_FOUND"
 *   ID_V2_BAD_KEY_NUM   9212    -         v2: status "", errorCode 1002 (a
 *                                         number), "invalid api key"
 *   ID_V2_RATE_LIMITED  9213    -         v2: status "", errorCode "1003",
 *                                         then SUCCESS with one file
 *   ID_V2_NOT_FOUND_NUM 9214    -         v2: status "", errorCode 1004 (a
 *                                         number), "task not found or expired"
 *   ID_V2_NULLS         9215    -         v2: SUCCESS; errorCode, errorMessage,
 *                                         failedReason, usage, results,
 *                                         clientId and promptTips all null
 *   ID_V2_BARE          9216    -         v2: status SUCCESS and unknown
 *                                         members only, some with their own
 *                                         "status", "errorCode" and "results"
 *   ID_V2_FAILED_CODE   9217    -         v2: FAILED, errorCode "1505",
 *                                         errorMessage "content refused",
 *                                         failedReason {}
 *   ID_V2_OTHER_CODE    9218    -         v2: status "", errorCode "1501",
 *                                         errorMessage "content refused"
 *   ID_OUTPUTS_HUGE     9219    SUCCESS   v1, v2: the 4 MiB reply of 9115
 *   ID_OUTPUTS_CODE0    9220    SUCCESS   v1: {"code":0,"msg":"task is
 *                                         running","data":null}, then one file
 *
 * "-" means: the status endpoint treats the ID as an ordinary one.  A
 * request without a taskId gets, from v2, status "" and errorCode "301".
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

/* The special taskIds of the results endpoints (see above). */
#define ID_ONE_FILE         "9200"
#define ID_MANY_FILES       "9201"
#define ID_TEXT_OUTPUT      "9202"
#define ID_NO_OUTPUTS       "9203"
#define ID_FAILED           "9204"
#define ID_HOSTILE_REASON   "9205"
#define ID_OUTPUTS_LATE     "9206"
#define ID_OUTPUTS_NEVER    "9207"
#define ID_WAIT_SUCCESS     "9208"
#define ID_WAIT_FAILED      "9209"
#define ID_V2_UNKNOWN       "9210"
#define ID_V2_BAD_KEY       "9211"
#define ID_V2_BAD_KEY_NUM   "9212"
#define ID_V2_RATE_LIMITED  "9213"
#define ID_V2_NOT_FOUND_NUM "9214"
#define ID_V2_NULLS         "9215"
#define ID_V2_BARE          "9216"
#define ID_V2_FAILED_CODE   "9217"
#define ID_V2_OTHER_CODE    "9218"
#define ID_OUTPUTS_HUGE     "9219"
#define ID_OUTPUTS_CODE0    "9220"

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

/* Sets the Location of the 9114 redirect (copied; NULL restores the
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

/* Stops the server (interrupting any delay), frees everything. */
void standin_stop(struct standin *);

#endif
