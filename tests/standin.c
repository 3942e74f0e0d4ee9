/*
 * standin.c - a local stand-in for the RunningHub task-status API.
 *
 * See standin.h for what it answers.  The server is built on libmicrohttpd
 * with one thread per connection, so a handler may simply sleep to simulate
 * a slow service without holding up other connections.
 *
 * Everything shared between connection threads (counters, the request
 * records, the per-taskId counters, the redirect target and the "stopping"
 * flag) is protected by one mutex; the server is test infrastructure, and
 * the critical sections are tiny.
 */
/* strdup, clock_gettime, pthread_condattr_setclock and friends are POSIX,
 * not C11: ask for them here, so that the file does not depend on
 * the build adding -D_POSIX_C_SOURCE. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "standin.h"
#include "ids.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#define API_PATH "/task/openapi/status"
#define OUTPUTS_PATH "/task/openapi/outputs"
#define V2_PATH "/openapi/v2/query"
#define FILE_PREFIX "/output/"
#define DEFAULT_REDIRECT "http://127.0.0.1:9/"

/* The longest taskId we accept (digits); real ones have 19. */
#define ID_MAX 63

/* Extra sleep of the "slow" taskId ID_SLOW; the tests use --timeout 0.5. */
#define SLOW_MS 3000

/* The truncated reply (ID_CUT_ONCE) announces this many bytes and sends fewer. */
#define TRUNC_DECLARED 60u
#define TRUNC_SENT 20u

/* The chunked reply (ID_CHUNKED) is produced in pieces of this size, so
 * that it really arrives as several chunks. */
#define CHUNK_PIECE 8u

/* The huge reply (ID_HUGE): a JSON object whose msg is 4 MiB of 'a'. */
#define HUGE_PREFIX "{\"code\":0,\"msg\":\""
#define HUGE_SUFFIX "\",\"data\":\"SUCCESS\"}"
#define HUGE_FILL (4u * 1024u * 1024u)
#define HUGE_TOTAL ((uint64_t) (sizeof HUGE_PREFIX - 1) + HUGE_FILL + (sizeof HUGE_SUFFIX - 1))

/* ------------------------------------------------------------------------ */
/* Reply bodies                                                              */

#define STATE_BODY(s) "{\"code\":0,\"msg\":\"success\",\"data\":\"" s "\"}"
#define ERROR_BODY(code, msg) "{\"code\":" #code ",\"msg\":\"" msg "\",\"data\":null}"

#define QUEUED_BODY STATE_BODY("QUEUED")
#define RUNNING_BODY STATE_BODY("RUNNING")
#define FAILED_BODY STATE_BODY("FAILED")
#define SUCCESS_BODY STATE_BODY("SUCCESS")

/* Ordinary taskIds: the state is the taskId modulo 4. */
static const char *const state_bodies[4] = {
    QUEUED_BODY, RUNNING_BODY, FAILED_BODY, SUCCESS_BODY,
};

#define PARAMS_INVALID_BODY ERROR_BODY(301, "PARAMS_INVALID")

#define HTML(title) "<html><body><h1>" title "</h1></body></html>"

/* A valid reply that a naive parser gets wrong: whitespace everywhere,
 * "data" before "code", and a nested object with its own "code", "data"
 * and "msg" members.  The msg is "成功" ("success") in \u escapes. */
static const char tricky_body[] =
    "{ \"data\" : \"SUCCESS\",\n"
    "  \"extra\": {\"code\": 5, \"data\": \"QUEUED\", \"list\": [1, {\"msg\": \"x\"}]},\n"
    "  \"msg\": \"\\u6210\\u529f\",\n"
    "  \"code\" : 0 }\n";

/*
 * The ID_GZIP_BOMB reply: a gzip member (real deflate compression, 171
 * bytes) that inflates to 102436 bytes,
 * {"code":0,"msg":"<102400 x 'a'>","data":"SUCCESS"}.
 * A client that caps the decoded body at 64 KiB must notice it, even though
 * the wire size is tiny.  Generated once with
 *
 *   python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.compress(
 *       b"{\"code\":0,\"msg\":\"" + b"a"*102400 + b"\",\"data\":\"SUCCESS\"}",
 *       mtime=0))' | xxd -i
 */
static const unsigned char big_gzip[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1,
    0xb1, 0x0d, 0x40, 0x40, 0x00, 0x05, 0xd0, 0x5d, 0x7e, 0xad, 0x50, 0x5f,
    0x2b, 0x26, 0xb8, 0x18, 0xe0, 0xe2, 0x44, 0x25, 0x0a, 0x3a, 0xb1, 0xbb,
    0x41, 0xbc, 0xf7, 0x9e, 0xac, 0x67, 0xdf, 0x52, 0xc6, 0x21, 0xc7, 0xb5,
    0xa7, 0xa4, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x44, 0x86, 0xf4, 0x76, 0xb7, 0x94,
    0xd4, 0x65, 0x9a, 0xe6, 0x5a, 0xf3, 0x7e, 0x67, 0x8e, 0xd5, 0xf5, 0x24,
    0x90, 0x01, 0x00,
};

/* ------------------------------------------------------------------------ */
/* The table of special taskIds                                             */

/* How a reply is produced. */
enum action {
    A_BODY,      /* the fixed body (HTTP status `status`) */
    A_STATES,    /* the n-th request for the ID gets seq[n-1] (the last one repeats) */
    A_DROP,      /* no reply: the connection is closed */
    A_TRUNCATE,  /* Content-Length 60, 20 bytes sent, then the connection is closed */
    A_CHUNKED,   /* SUCCESS_BODY in CHUNK_PIECE-byte chunks */
    A_GZIP,      /* SUCCESS_BODY as a gzip member with stored blocks (built at start) */
    A_GZIP_BIG,  /* big_gzip */
    A_HUGE,      /* the 4 MiB reply, produced on the fly */
    A_REDIRECT,  /* 307 to the redirect target */
    A_TEMPLATE,  /* body with {ID}, {BASE} and {TRACEBACK} filled in */
};

/* Modifiers of a reply. */
enum {
    F_ONCE = 1,         /* only the first request for the ID; later ones get SUCCESS */
    F_HTML = 2,         /* Content-Type text/html instead of application/json */
    F_RETRY_AFTER = 4,  /* add Retry-After: 1 */
    F_CLOSE = 8,        /* add Connection: close (MHD then closes the connection) */
    F_SLOW = 16,        /* sleep SLOW_MS more before replying */
    F_ALLOW = 32,       /* add Allow: POST (for 405) */
    F_FILE = 64,        /* Content-Type application/octet-stream */
};

struct special {
    const char *id;
    enum action action;
    unsigned status;
    const char *body;      /* A_BODY and A_REDIRECT */
    unsigned flags;
    const char *seq[3];    /* A_STATES */
};

/* An API error: HTTP 200 with a non-zero code and "data":null. */
#define API(id, code, msg) { id, A_BODY, 200, ERROR_BODY(code, msg), 0, { NULL } }
#define REPLY(id, status, body, flags) { id, A_BODY, status, body, flags, { NULL } }
#define DO(id, action, status, flags) { id, action, status, NULL, flags, { NULL } }
#define STATES(id, a, b, c) { id, A_STATES, 200, NULL, 0, { a, b, c } }

/* The special IDs and what each does: see ids.h. */
static const struct special specials[] = {
    API(ID_CODE_301, 301, "PARAMS_INVALID"),
    API(ID_CODE_412, 412, "TOKEN_INVALID"),
    API(ID_CODE_415, 415, "TASK_INSTANCE_MAXED"),
    API(ID_CODE_423, 423, "TASK_NOT_FOUNED"),
    API(ID_CODE_801, 801, "APIKEY_UNSUPPORTED_FREE_USER"),
    API(ID_CODE_802, 802, "APIKEY_UNAUTHORIZED"),
    API(ID_CODE_804, 804, "APIKEY_TASK_IS_RUNNING"),
    API(ID_CODE_805, 805, "APIKEY_TASK_STATUS_ERROR"),
    API(ID_CODE_806, 806, "APIKEY_USER_NOT_FOUND"),
    API(ID_CODE_807, 807, "APIKEY_TASK_NOT_FOUND"),
    API(ID_CODE_811, 811, "CORPAPIKEY_INVALID"),
    API(ID_CODE_812, 812, "CORPAPIKEY_INSUFFICIENT_FUNDS"),
    API(ID_CODE_813, 813, "APIKEY_TASK_IS_QUEUED"),
    API(ID_CODE_1002, 1002, "invalid API key"),
    API(ID_CODE_1004, 1004, "task not found or expired"),
    API(ID_CODE_888, 888, "\\u4efb\\u52a1\\u5931\\u8d25"),

    REPLY(ID_500_ONCE, 500, ERROR_BODY(500, "INTERNAL_SERVER_ERROR"), F_ONCE),
    REPLY(ID_429_ONCE, 429, HTML("429 Too Many Requests"), F_ONCE | F_HTML | F_RETRY_AFTER),
    DO(ID_DROP_ONCE, A_DROP, 0, F_ONCE),
    DO(ID_CUT_ONCE, A_TRUNCATE, 200, F_ONCE),
    REPLY(ID_502_ONCE, 502, HTML("502 Bad Gateway"), F_ONCE | F_HTML),
    REPLY(ID_ALWAYS_503, 503, HTML("503 Service Temporarily Unavailable"), F_HTML),
    REPLY(ID_SLOW, 200, SUCCESS_BODY, F_SLOW),
    REPLY(ID_CUT_JSON, 200, "{\"code\":0,\"msg\":\"success\",\"data\":\"SUCC", 0),
    REPLY(ID_DATA_NULL, 200, "{\"code\":0,\"msg\":\"success\",\"data\":null}", 0),
    REPLY(ID_DATA_TAB, 200, STATE_BODY("RUN\\tNING"), 0),
    REPLY(ID_DATA_NEWLINE, 200, STATE_BODY("SUC\\nCESS"), 0),
    DO(ID_CHUNKED, A_CHUNKED, 200, 0),
    DO(ID_GZIP, A_GZIP, 200, 0),
    REPLY(ID_CLOSE, 200, SUCCESS_BODY, F_CLOSE),
    { ID_REDIRECT, A_REDIRECT, 307, HTML("307 Temporary Redirect"), F_HTML, { NULL } },
    DO(ID_HUGE, A_HUGE, 200, 0),
    REPLY(ID_ALWAYS_500, 500, ERROR_BODY(500, "INTERNAL_SERVER_ERROR"), 0),
    REPLY(ID_CODE_421_ONCE, 200, ERROR_BODY(421, "TASK_QUEUE_MAXED"), F_ONCE),
    REPLY(ID_CODE_500_ONCE, 200, ERROR_BODY(500, "UNKNOWN_ERROR"), F_ONCE),
    REPLY(ID_CODE_1003_ONCE, 200, ERROR_BODY(1003, "rate limit exceeded"), F_ONCE),
    STATES(ID_THEN_SUCCESS, QUEUED_BODY, RUNNING_BODY, SUCCESS_BODY),
    STATES(ID_THEN_FAILED, QUEUED_BODY, RUNNING_BODY, FAILED_BODY),
    STATES(ID_RUNNING, RUNNING_BODY, RUNNING_BODY, RUNNING_BODY),
    REPLY(ID_TRICKY, 200, tricky_body, 0),
    REPLY(ID_HTTP_404, 404, HTML("404 Not Found"), F_HTML),
    REPLY(ID_CANCEL, 200, STATE_BODY("CANCEL"), 0),
    REPLY(ID_LOWER_CASE, 200, STATE_BODY("success"), 0),
    REPLY(ID_EMPTY_ONCE, 200, "", F_ONCE),
    DO(ID_GZIP_BOMB, A_GZIP_BIG, 200, 0),
    REPLY(ID_NOT_OBJECT, 200, "[1,2]", 0),
};

static const struct special *find_special(const char *id)
{
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        if (strcmp(specials[i].id, id) == 0)
            return &specials[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The results endpoints: outputs (v1) and query (v2)                       */

/* The three API endpoints. */
enum endpoint { EP_STATUS, EP_OUTPUTS, EP_V2 };

/*
 * Replies of these endpoints are templates: "{ID}" becomes the taskId,
 * "{BASE}" http://127.0.0.1:PORT (so that output URLs can be fetched from
 * the stand-in), "{TRACEBACK}" the long traceback of ID_FAILED.
 */
#define OUT_FILE(n, type, node) \
    "{\"fileUrl\":\"{BASE}/output/{ID}_" n "." type "\",\"fileType\":\"" type "\"," \
    "\"taskCostTime\":\"12\",\"nodeId\":\"" node "\",\"consumeCoins\":\"5\"," \
    "\"consumeMoney\":null,\"thirdPartyConsumeMoney\":null}"
#define OUTPUTS_BODY(items) "{\"code\":0,\"msg\":\"success\",\"data\":[" items "]}"
#define OUTPUTS_FAILED(reason) \
    "{\"code\":805,\"msg\":\"APIKEY_TASK_STATUS_ERROR\",\"data\":{\"failedReason\":" reason "}}"

#define REASON(tb) \
    "{\"node_id\":\"276\",\"node_name\":\"SONIC_PreData\",\"exception_type\":\"TypeError\"," \
    "\"exception_message\":\"SONIC_PreData.sampler_main() missing 2 required positional " \
    "arguments: 'clip_vision' and 'vae'\",\"traceback\":\"" tb "\"," \
    "\"current_inputs\":\"{}\",\"current_outputs\":\"{}\"}"
#define TB_FIRST "Traceback (most recent call last):\\n"
#define TB_LAST "TypeError: SONIC_PreData.sampler_main() missing 2 required positional arguments"
#define STD_REASON REASON(TB_FIRST "  File \\\"/opt/ComfyUI/execution.py\\\", line 151, " \
                          "in recursive_execute\\n" TB_LAST)
#define LONG_REASON REASON("{TRACEBACK}")
/* Tabs, line breaks, escape sequences, C1 controls, bytes that are not UTF-8,
 * and more than 512 bytes: all of it must end up as one clean TSV field. */
#define HOSTILE_REASON \
    "{\"node_id\":\"77\",\"node_name\":\"Bad\\tNode\\r\\n\"," \
    "\"exception_type\":\"Value\\u2028Error\",\"exception_message\":\"line one\\nline two" \
    "\\ttabbed \\u001b[31mred\\u001b[0m \\u0085next \xff\xfe end " L200 "\"," \
    "\"traceback\":\"\\u001b]0;title\\u0007\"}"
#define L10 "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7" \
            "\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7\xe9\x95\xb7"
#define L200 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10

#define V2_FILE(n, type, node) \
    "{\"url\":\"{BASE}/output/{ID}_" n "." type "\",\"nodeId\":\"" node "\"," \
    "\"outputType\":\"" type "\",\"text\":null}"
#define USAGE \
    "{\"consumeMoney\":null,\"consumeCoins\":null,\"taskCostTime\":\"12\"," \
    "\"thirdPartyConsumeMoney\":null}"
#define V2_BODY(task, status, code, msg, reason, usage, results) \
    "{\"taskId\":\"" task "\",\"status\":\"" status "\",\"errorCode\":" code "," \
    "\"errorMessage\":\"" msg "\",\"failedReason\":" reason ",\"usage\":" usage "," \
    "\"results\":" results ",\"clientId\":\"\",\"promptTips\":\"\"}"
#define V2_DONE(results) V2_BODY("{ID}", "SUCCESS", "\"\"", "", "{}", USAGE, "[" results "]")
#define V2_FAILED(reason) V2_BODY("{ID}", "FAILED", "\"\"", "", reason, USAGE, "null")
#define V2_STATE(state) V2_BODY("{ID}", state, "\"\"", "", "null", "null", "null")
#define V2_ERROR(code, msg) V2_BODY("", "", code, msg, "null", "null", "null")

/* The replies of ID_HOSTILE_URLS and ID_BIDI_REASON (ids.h). */
#define HOSTILE_URLS(key) \
    "{\"" key "\":\"{BASE}/output/\\u001b[31mred\"}," \
    "{\"" key "\":\"{BASE}/output/\\u202eevil.png\"}," \
    "{\"" key "\":\"{BASE}/output/a b\\t\\\"c\\\\d\xff.png\"}," \
    "{\"" key "\":\"{BASE}/output/\\u00e9\xe4\xb8\xad.png\"}"
#define HOSTILE_TEXT \
    "{\"url\":null,\"outputType\":\"txt\"," \
    "\"text\":\"red \\u001b[31m, \\u202eevil\\u2028end\\ttab\"}"
#define BIDI_REASON \
    "{\"node_id\":\"9\",\"node_name\":\"Save\xe2\x80\xae" "IMG\"," \
    "\"exception_type\":\"ValueError\",\"exception_message\":\"bad file " \
    "\\u202egnp.exe\\u202c, see \\u2066log\\u2069\"}"

/* Ordinary taskIds, by value modulo 4: QUEUED, RUNNING, FAILED, SUCCESS. */
static const char *const ordinary_outputs[4] = {
    ERROR_BODY(813, "APIKEY_TASK_IS_QUEUED"), ERROR_BODY(804, "APIKEY_TASK_IS_RUNNING"),
    OUTPUTS_FAILED(STD_REASON), OUTPUTS_BODY(OUT_FILE("1", "png", "9")),
};
static const char *const ordinary_v2[4] = {
    V2_STATE("QUEUED"), V2_STATE("RUNNING"), V2_FAILED(STD_REASON),
    V2_DONE(V2_FILE("1", "png", "9")),
};

/* Stands for the 4 MiB reply of 9115 in the table below. */
static const char huge_reply[] = "";

struct result_special {
    const char *id;
    const char *status[3];   /* status replies, the last one repeating; NULL: ordinary */
    const char *outputs[2];  /* outputs replies: the first, then every later one */
    const char *v2[3];       /* v2 replies, the last one repeating */
};

/* Keep in step with the table in standin.h. */
static const struct result_special result_specials[] = {
    { ID_ONE_FILE, { SUCCESS_BODY }, { OUTPUTS_BODY(OUT_FILE("1", "png", "9")) },
      { V2_DONE(V2_FILE("1", "png", "9")) } },
    { ID_MANY_FILES, { SUCCESS_BODY },
      { OUTPUTS_BODY(OUT_FILE("1", "png", "9") "," OUT_FILE("2", "png", "9") ","
                     OUT_FILE("3", "mp4", "12")) },
      { V2_DONE(V2_FILE("1", "png", "9") "," V2_FILE("2", "png", "9") ","
                V2_FILE("3", "mp4", "12")) } },
    { ID_TEXT_OUTPUT, { SUCCESS_BODY }, { OUTPUTS_BODY(OUT_FILE("1", "txt", "15")) },
      { V2_DONE("{\"url\":null,\"nodeId\":\"15\",\"outputType\":\"txt\","
                "\"text\":\"a cat\\ton a mat\\nline 2 \\\\ \\u00e9\"},"
                V2_FILE("2", "png", "9")) } },
    { ID_NO_OUTPUTS, { SUCCESS_BODY }, { OUTPUTS_BODY("") }, { V2_DONE("") } },
    { ID_FAILED, { FAILED_BODY }, { OUTPUTS_FAILED(LONG_REASON) }, { V2_FAILED(LONG_REASON) } },
    { ID_HOSTILE_REASON, { FAILED_BODY }, { OUTPUTS_FAILED(HOSTILE_REASON) },
      { V2_FAILED(HOSTILE_REASON) } },
    { ID_OUTPUTS_LATE, { SUCCESS_BODY },
      { ERROR_BODY(804, "APIKEY_TASK_IS_RUNNING"), OUTPUTS_BODY(OUT_FILE("1", "png", "9")) },
      { V2_DONE(V2_FILE("1", "png", "9")) } },
    { ID_OUTPUTS_NEVER, { SUCCESS_BODY }, { ERROR_BODY(804, "APIKEY_TASK_IS_RUNNING") },
      { V2_STATE("RUNNING") } },
    { ID_WAIT_SUCCESS, { QUEUED_BODY, RUNNING_BODY, SUCCESS_BODY },
      { OUTPUTS_BODY(OUT_FILE("1", "png", "9")) },
      { V2_STATE("QUEUED"), V2_STATE("RUNNING"), V2_DONE(V2_FILE("1", "png", "9")) } },
    { ID_WAIT_FAILED, { QUEUED_BODY, RUNNING_BODY, FAILED_BODY },
      { OUTPUTS_FAILED(STD_REASON) },
      { V2_STATE("QUEUED"), V2_STATE("RUNNING"), V2_FAILED(STD_REASON) } },
    { ID_V2_UNKNOWN, { NULL }, { NULL }, { V2_ERROR("\"1007\"", "task not found") } },
    { ID_V2_BAD_KEY, { NULL }, { NULL }, { V2_ERROR("\"806\"", "APIKEY_USER_NOT_FOUND") } },
    { ID_V2_BAD_KEY_NUM, { NULL }, { NULL }, { V2_ERROR("1002", "invalid api key") } },
    { ID_V2_RATE_LIMITED, { NULL }, { NULL },
      { V2_ERROR("\"1003\"", "rate limit exceeded"), V2_DONE(V2_FILE("1", "png", "9")) } },
    { ID_V2_NOT_FOUND_NUM, { NULL }, { NULL },
      { V2_ERROR("1004", "task not found or expired") } },
    { ID_V2_NULLS, { NULL }, { NULL },
      { "{\"taskId\":\"{ID}\",\"status\":\"SUCCESS\",\"errorCode\":null,\"errorMessage\":null,"
        "\"failedReason\":null,\"usage\":null,\"results\":null,\"clientId\":null,"
        "\"promptTips\":null}" } },
    { ID_V2_BARE, { NULL }, { NULL },
      { "{\"extra\":{\"status\":\"FAILED\",\"errorCode\":\"806\","
        "\"results\":[{\"url\":\"{BASE}/bogus\"}]},\"list\":[{\"status\":\"RUNNING\"}],"
        "\"status\":\"SUCCESS\",\"note\":\"\\u4efb\\u52a1\"}" } },
    { ID_V2_FAILED_CODE, { NULL }, { NULL },
      { V2_BODY("{ID}", "FAILED", "\"1505\"", "content refused", "{}", USAGE, "null") } },
    { ID_V2_OTHER_CODE, { NULL }, { NULL }, { V2_ERROR("\"1501\"", "content refused") } },
    { ID_OUTPUTS_HUGE, { SUCCESS_BODY }, { huge_reply }, { huge_reply } },
    { ID_OUTPUTS_CODE0, { SUCCESS_BODY },
      { "{\"code\":0,\"msg\":\"task is running\",\"data\":null}",
        OUTPUTS_BODY(OUT_FILE("1", "png", "9")) },
      { V2_DONE(V2_FILE("1", "png", "9")) } },
    { ID_HOSTILE_URLS, { SUCCESS_BODY }, { OUTPUTS_BODY(HOSTILE_URLS("fileUrl")) },
      { V2_DONE(HOSTILE_URLS("url") "," HOSTILE_TEXT) } },
    { ID_BIDI_REASON, { FAILED_BODY }, { OUTPUTS_FAILED(BIDI_REASON) },
      { V2_FAILED(BIDI_REASON) } },
    { ID_V2_HOSTILE_ERROR, { NULL }, { NULL },
      { V2_ERROR("\"1005\"", "too \\u202efast\\u001b\\u2028now"),
        V2_ERROR("\"1501\"", "refused\\u0085\\u202eyes\xff") } },
    { ID_V2_OTHER_TASK, { NULL }, { NULL },
      { V2_BODY("1904152026220003329", "SUCCESS", "\"\"", "", "{}", USAGE,
                "[" V2_FILE("1", "png", "9") "]") } },
    { ID_V2_HOSTILE_TASK, { NULL }, { NULL },
      { V2_BODY("\\u202e{ID}\\u001b[2J", "SUCCESS", "\"\"", "", "{}", USAGE,
                "[" V2_FILE("1", "png", "9") "]") } },
};

static const struct result_special *find_result_special(const char *id)
{
    for (size_t i = 0; i < sizeof result_specials / sizeof result_specials[0]; i++)
        if (strcmp(result_specials[i].id, id) == 0)
            return &result_specials[i];
    return NULL;
}

/* The n-th (1-based) of up to max replies, the last one given repeating. */
static const char *nth_reply(const char *const *seq, size_t max, unsigned n)
{
    size_t k = n < max ? n - 1 : max - 1;
    while (k > 0 && seq[k] == NULL)
        k--;
    return seq[k];
}

/* ------------------------------------------------------------------------ */
/* Per-taskId request counters: a small chained hash table that doubles    */
/* when it fills up, since benchmarks may use many distinct IDs.            */

struct idcount {
    struct idcount *next;
    unsigned count;
    char id[];
};

struct idtab {
    struct idcount **buckets;
    size_t nbuckets;
    size_t n;
};

static size_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;               /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 16777619u;
    return h;
}

static struct idcount *idtab_find(const struct idtab *t, const char *id)
{
    if (t->nbuckets == 0)
        return NULL;
    for (struct idcount *e = t->buckets[hash_id(id) % t->nbuckets]; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* Makes room for one more entry.  A failed resize is harmless: the table
 * just gets fuller. */
static int idtab_grow(struct idtab *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 256;
    struct idcount **b = calloc(nb, sizeof *b);
    if (b == NULL)
        return t->nbuckets ? 0 : -1;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct idcount *e = t->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            size_t k = hash_id(e->id) % nb;
            e->next = b[k];
            b[k] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return 0;
}

/* Counts one more request for id; returns the new count (1 for the first
 * request), or 0 when out of memory. */
static unsigned idtab_bump(struct idtab *t, const char *id)
{
    struct idcount *e = idtab_find(t, id);
    if (e == NULL) {
        if (t->n >= t->nbuckets && idtab_grow(t) != 0)
            return 0;
        size_t len = strlen(id);
        e = malloc(sizeof *e + len + 1);
        if (e == NULL)
            return 0;
        memcpy(e->id, id, len + 1);
        e->count = 0;
        size_t k = hash_id(id) % t->nbuckets;
        e->next = t->buckets[k];
        t->buckets[k] = e;
        t->n++;
    }
    return ++e->count;
}

static void idtab_free(struct idtab *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct idcount *e = t->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(t->buckets);
}

/* ------------------------------------------------------------------------ */
/* The server                                                                */

struct standin {
    struct MHD_Daemon *daemon;
    unsigned short port;
    int delay_ms;

    pthread_mutex_t lock;
    pthread_cond_t wake;      /* broadcast on stop, to cut delays short */
    int stopping;
    unsigned connections;
    unsigned requests;
    unsigned nrecords;
    struct standin_req *records[STANDIN_RECORD_MAX];
    struct idtab ids;
    char *redirect;           /* NULL: DEFAULT_REDIRECT */

    unsigned char *gzip;      /* the ID_GZIP reply, built by make_gzip() */
    size_t gzip_len;

    /* The test controls (standin.h): all under lock. */
    double (*clock)(void);    /* seconds; NULL: CLOCK_MONOTONIC */
    struct script *scripts;
    enum standin_fault fault;
    double fault_from, fault_until;
    double throttle_rate, throttle_burst, tokens, tokens_at;
    char *throttle_retry_after;
    unsigned throttled;
    char *traceback;          /* ID_FAILED's, JSON-escaped, built at start */
};

/* The state of one request while its body arrives. */
struct reqctx {
    char *body;
    size_t len, cap;
};

/* What to send back for one request. */
struct plan {
    enum action action;
    unsigned status;
    const char *body;
    unsigned flags;
    const char *id;          /* A_TEMPLATE: the taskId */
};

/* A reply set by standin_script(). */
struct script {
    struct script *next;
    unsigned status, times;
    char *body, *retry_after;
    char id[];
};

static int control_plan(struct standin *s, const char *id, unsigned n, struct plan *p);

/* The Retry-After value a test control chose for the reply being sent by
 * this connection's thread, or ""; send_reply() uses it and clears it. */
static _Thread_local char control_retry_after[32];
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len);

/* CRC-32 as used by gzip (reflected polynomial 0xEDB88320), bit by bit:
 * it only ever runs over a few dozen bytes at start-up. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static unsigned char *put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (unsigned char) (v >> (8 * i));
    return p;
}

/* Wraps data in a gzip member (RFC 1952) whose deflate stream (RFC 1951)
 * consists of stored, i.e. uncompressed, blocks of at most 65535 bytes.
 * That is a perfectly valid gzip body, and it needs no zlib. */
static unsigned char *make_gzip(const char *data, size_t len, size_t *out_len)
{
    static const unsigned char header[10] = {
        0x1f, 0x8b,    /* magic */
        8,             /* method: deflate */
        0,             /* flags: no name, comment or extra field */
        0, 0, 0, 0,    /* mtime: none */
        0,             /* extra flags */
        255,           /* OS: unknown */
    };
    size_t nblocks = len ? (len + 65534) / 65535 : 1;
    size_t total = sizeof header + nblocks * 5 + len + 8;
    unsigned char *buf = malloc(total), *p = buf;
    if (buf == NULL)
        return NULL;
    memcpy(p, header, sizeof header);
    p += sizeof header;
    size_t left = len;
    const char *src = data;
    do {
        size_t n = left < 65535 ? left : 65535;
        *p++ = n == left;                       /* BFINAL on the last block; BTYPE 00 = stored */
        *p++ = (unsigned char) n;               /* LEN, little-endian */
        *p++ = (unsigned char) (n >> 8);
        *p++ = (unsigned char) ~n;              /* NLEN = one's complement of LEN */
        *p++ = (unsigned char) (~n >> 8);
        memcpy(p, src, n);
        p += n;
        src += n;
        left -= n;
    } while (left > 0);
    p = put_le32(p, crc32_of((const unsigned char *) data, len));
    p = put_le32(p, (uint32_t) len);            /* ISIZE: length mod 2^32 */
    *out_len = (size_t) (p - buf);
    return buf;
}

/* Sleeps ms milliseconds, or less if the server is being stopped, so that
 * standin_stop() never waits for a simulated slow reply. */
static void nap(struct standin *s, long ms)
{
    if (ms <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping)
        if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->lock);
}

static void copy_str(char *dst, size_t size, const char *src)
{
    if (src == NULL)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static size_t skip_ws(const char *s, size_t len, size_t p)
{
    while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
        p++;
    return p;
}

/* Finds `"taskId"`, optional whitespace, `:`, optional whitespace and then
 * a string of 1..ID_MAX digits (or the same digits unquoted) in a request
 * body, and copies the digits to id.  This is deliberately not a JSON
 * parser: rhq sends a flat object, and anything odd should simply fail to
 * match.  Returns 1 if found. */
static int find_task_id(const char *body, size_t len, char id[ID_MAX + 1])
{
    static const char key[] = "\"taskId\"";
    const size_t klen = sizeof key - 1;

    for (size_t i = 0; i + klen <= len; i++) {
        if (memcmp(body + i, key, klen) != 0)
            continue;
        size_t p = skip_ws(body, len, i + klen);
        if (p >= len || body[p] != ':')
            continue;
        p = skip_ws(body, len, p + 1);
        int quoted = p < len && body[p] == '"';
        if (quoted)
            p++;
        size_t start = p;
        while (p < len && body[p] >= '0' && body[p] <= '9')
            p++;
        size_t n = p - start;
        if (n == 0 || n > ID_MAX)
            continue;
        /* The digits must be followed by the closing quote or, unquoted,
         * by whatever may follow a JSON number. */
        int ended = quoted ? p < len && body[p] == '"'
                           : p == len || body[p] == ',' || body[p] == '}' || skip_ws(body, len, p) > p;
        if (!ended)
            continue;
        memcpy(id, body + start, n);
        id[n] = '\0';
        return 1;
    }
    return 0;
}

/* The state of an ordinary taskId: its value modulo 4, which only depends
 * on its last two digits. */
static unsigned state_index(const char *id)
{
    size_t n = strlen(id);
    unsigned v = (unsigned) (id[n - 1] - '0');
    if (n >= 2)
        v += 10u * (unsigned) (id[n - 2] - '0');
    return v % 4;
}

static const char *ordinary_body(const char *id)
{
    return state_bodies[state_index(id)];
}

/* Decides the reply to the n-th request (1-based) naming taskId id. */
static struct plan plan_for(const char *id, unsigned n)
{
    const struct special *sp = find_special(id);
    const struct result_special *rs = find_result_special(id);
    if (rs != NULL && rs->status[0] != NULL)
        return (struct plan) { A_BODY, 200, nth_reply(rs->status, 3, n), 0, NULL };
    if (sp == NULL)
        return (struct plan) { A_BODY, 200, ordinary_body(id), 0, NULL };
    if ((sp->flags & F_ONCE) && n > 1)
        return (struct plan) { A_BODY, 200, SUCCESS_BODY, 0, NULL };
    if (sp->action == A_STATES) {
        unsigned k = n < 3 ? n : 3;
        return (struct plan) { A_BODY, 200, sp->seq[k ? k - 1 : 0], 0, NULL };
    }
    return (struct plan) { sp->action, sp->status, sp->body, sp->flags, NULL };
}

/* Decides the reply of the outputs or the query endpoint (ep) to the n-th
 * request there naming taskId id. */
static struct plan plan_results(enum endpoint ep, const char *id, unsigned n)
{
    const struct result_special *rs = find_result_special(id);
    const char *body;

    if (rs != NULL && (ep == EP_OUTPUTS ? rs->outputs[0] : rs->v2[0]) != NULL)
        body = ep == EP_OUTPUTS ? nth_reply(rs->outputs, 2, n) : nth_reply(rs->v2, 3, n);
    else
        body = (ep == EP_OUTPUTS ? ordinary_outputs : ordinary_v2)[state_index(id)];
    if (body == huge_reply)
        return (struct plan) { A_HUGE, 200, NULL, 0, NULL };
    return (struct plan) { A_TEMPLATE, 200, body, 0, id };
}

/* JSON text of the long traceback: STANDIN_TRACEBACK_LINES lines. */
static char *make_traceback(void)
{
    static const char first[] = TB_FIRST, line[] = STANDIN_TRACEBACK_LINE, last[] = TB_LAST;
    /* Escaping the line's quotes and newline for JSON at most doubles it. */
    char *tb = malloc(sizeof first + STANDIN_TRACEBACK_LINES * 2 * sizeof line + sizeof last);
    char *p = tb;

    if (tb == NULL)
        return NULL;
    p += sprintf(p, "%s", first);
    for (unsigned i = 0; i < STANDIN_TRACEBACK_LINES; i++)
        for (const char *c = line; *c; c++) {
            if (*c == '"' || *c == '\\' || *c == '\n')
                *p++ = '\\';
            *p++ = *c == '\n' ? 'n' : *c;
        }
    sprintf(p, "%s", last);
    return tb;
}

/* Fills in a template: {ID}, {BASE} and {TRACEBACK}.  Returns a malloc'd
 * string (its length in *len), or NULL when out of memory. */
static char *expand(const struct standin *s, const char *tmpl, const char *id, size_t *len)
{
    char base[32];
    const char *keys[] = { "{ID}", "{BASE}", "{TRACEBACK}" };
    const char *vals[] = { id, base, s->traceback };
    char *out = NULL, *d = NULL;

    snprintf(base, sizeof base, "http://127.0.0.1:%u", (unsigned) s->port);
    /* Two passes: the first measures, the second writes. */
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        for (const char *p = tmpl; *p;) {
            size_t k = 0;
            while (k < 3 && strncmp(p, keys[k], strlen(keys[k])) != 0)
                k++;
            const char *add = k < 3 ? vals[k] : p;
            size_t addlen = k < 3 ? strlen(vals[k]) : 1;
            if (d != NULL)
                memcpy(d + n, add, addlen);
            n += addlen;
            p += k < 3 ? strlen(keys[k]) : 1;
        }
        if (d != NULL) {
            d[n] = '\0';
            *len = n;
        } else if ((out = d = malloc(n + 1)) == NULL) {
            return NULL;
        }
    }
    return out;
}

/* Records a complete request (the first STANDIN_RECORD_MAX of them) and
 * counts it.  Called with s->lock held. */
static void record(struct standin *s, struct MHD_Connection *c, const char *method,
                   const char *url, const struct reqctx *rc)
{
    s->requests++;
    if (s->nrecords >= STANDIN_RECORD_MAX)
        return;
    /* One allocation holds the record and a NUL-terminated copy of the body. */
    struct standin_req *r = malloc(sizeof *r + rc->len + 1);
    if (r == NULL)
        return;
    copy_str(r->method, sizeof r->method, method);
    copy_str(r->url, sizeof r->url, url);
    copy_str(r->content_type, sizeof r->content_type,
             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
    copy_str(r->authorization, sizeof r->authorization,
             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
    copy_str(r->user_agent, sizeof r->user_agent,
             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT));
    r->body = (char *) (r + 1);
    if (rc->len)
        memcpy(r->body, rc->body, rc->len);
    r->body[rc->len] = '\0';
    r->body_len = rc->len;
    s->records[s->nrecords++] = r;
}

/* Content readers.  MHD passes the position in the body, so they need no
 * state of their own. */

static ssize_t read_truncated(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    static const char body[] = SUCCESS_BODY;
    /* After TRUNC_SENT bytes, report an error: MHD then closes the
     * connection although Content-Length promised more. */
    if (pos >= TRUNC_SENT)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = TRUNC_SENT - (size_t) pos;
    if (n > max)
        n = max;
    memcpy(buf, body + pos, n);
    return (ssize_t) n;
}

static ssize_t read_chunked(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    static const char body[] = SUCCESS_BODY;
    if (pos >= sizeof body - 1)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = sizeof body - 1 - (size_t) pos;
    if (n > CHUNK_PIECE)
        n = CHUNK_PIECE;
    if (n > max)
        n = max;
    memcpy(buf, body + pos, n);
    return (ssize_t) n;
}

static ssize_t read_huge(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    static const char prefix[] = HUGE_PREFIX, suffix[] = HUGE_SUFFIX;
    const uint64_t fill_start = sizeof prefix - 1;
    const uint64_t fill_end = fill_start + HUGE_FILL;
    size_t done = 0;

    /* Fill the buffer from the three parts prefix, 'a'*HUGE_FILL, suffix. */
    while (done < max && pos < HUGE_TOTAL) {
        size_t n = max - done;
        uint64_t part_left;
        if (pos < fill_start) {
            part_left = fill_start - pos;
            if (n > part_left)
                n = (size_t) part_left;
            memcpy(buf + done, prefix + pos, n);
        } else if (pos < fill_end) {
            part_left = fill_end - pos;
            if (n > part_left)
                n = (size_t) part_left;
            memset(buf + done, 'a', n);
        } else {
            part_left = HUGE_TOTAL - pos;
            if (n > part_left)
                n = (size_t) part_left;
            memcpy(buf + done, suffix + (pos - fill_end), n);
        }
        done += n;
        pos += n;
    }
    return done ? (ssize_t) done : MHD_CONTENT_READER_END_OF_STREAM;
}

static struct MHD_Response *from_static(const void *data, size_t len)
{
    /* MHD_RESPMEM_PERSISTENT: MHD neither copies nor frees the buffer, and
     * only reads it, so casting away const is safe. */
    return MHD_create_response_from_buffer(len, (void *) data, MHD_RESPMEM_PERSISTENT);
}

/* Set in a connection's thread (there is one thread per connection) when
 * the stand-in breaks that connection on purpose; see log_mhd(). */
static _Thread_local int breaking_connection;

/* Builds and queues the reply described by p.  Returns MHD_NO to make MHD
 * close the connection without replying. */
static enum MHD_Result send_reply(struct standin *s, struct MHD_Connection *c,
                                  const struct plan *p)
{
    struct MHD_Response *resp = NULL;
    char *location = NULL;
    enum MHD_Result ret;

    switch (p->action) {
    case A_BODY:
    case A_STATES:          /* already resolved to a body by plan_for() */
        resp = from_static(p->body, strlen(p->body));
        break;
    case A_DROP:
        breaking_connection = 1;
        return MHD_NO;
    case A_TRUNCATE:
        breaking_connection = 1;
        resp = MHD_create_response_from_callback(TRUNC_DECLARED, 1024, read_truncated, NULL, NULL);
        break;
    case A_CHUNKED:
        /* With an unknown size and an HTTP/1.1 client, MHD uses chunked
         * transfer encoding. */
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, read_chunked, NULL, NULL);
        break;
    case A_GZIP:
        resp = from_static(s->gzip, s->gzip_len);
        break;
    case A_GZIP_BIG:
        resp = from_static(big_gzip, sizeof big_gzip);
        break;
    case A_HUGE:
        resp = MHD_create_response_from_callback(HUGE_TOTAL, 64 * 1024, read_huge, NULL, NULL);
        break;
    case A_REDIRECT:
        resp = from_static(p->body, strlen(p->body));
        pthread_mutex_lock(&s->lock);
        location = strdup(s->redirect ? s->redirect : DEFAULT_REDIRECT);
        pthread_mutex_unlock(&s->lock);
        break;
    case A_TEMPLATE: {
        size_t len = 0;
        char *text = expand(s, p->body, p->id, &len);
        if (text != NULL)
            resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        break;
    }
    }
    if (resp == NULL) {
        free(location);
        return MHD_NO;
    }

    /* MHD copies header names and values, so location can be freed below. */
    int ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                     (p->flags & F_HTML) ? "text/html; charset=utf-8"
                                     : (p->flags & F_FILE) ? "application/octet-stream"
                                                           : "application/json") == MHD_YES;
    if (p->action == A_GZIP || p->action == A_GZIP_BIG)
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") == MHD_YES;
    if (p->flags & F_RETRY_AFTER)
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1") == MHD_YES;
    if (control_retry_after[0] != '\0')
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
                                           control_retry_after) == MHD_YES;
    control_retry_after[0] = '\0';
    if (p->flags & F_CLOSE)
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
    if (p->flags & F_ALLOW)
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST") == MHD_YES;
    if (location != NULL)
        ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location) == MHD_YES;
    else if (p->action == A_REDIRECT)
        ok = 0;                                 /* strdup failed */
    free(location);

    ret = ok ? MHD_queue_response(c, p->status, resp) : MHD_NO;
    MHD_destroy_response(resp);                 /* MHD keeps its own reference */
    return ret;
}

/* Handles a completely received request. */
static enum MHD_Result answer(struct standin *s, struct MHD_Connection *c, const char *url,
                              const char *method, const struct reqctx *rc)
{
    char id[ID_MAX + 1], key[ID_MAX + 16];
    struct plan p;
    int ep = strcmp(url, API_PATH) == 0 ? EP_STATUS : strcmp(url, OUTPUTS_PATH) == 0 ? EP_OUTPUTS
             : strcmp(url, V2_PATH) == 0 ? EP_V2 : -1;
    int is_api = ep >= 0;
    int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    int have_id = is_api && is_post && find_task_id(rc->body, rc->len, id);
    int is_file = strcmp(method, MHD_HTTP_METHOD_GET) == 0 &&
                  strncmp(url, FILE_PREFIX, sizeof FILE_PREFIX - 1) == 0;
    unsigned n = 0;

    /* Each endpoint counts its own requests for an ID. */
    if (have_id)
        snprintf(key, sizeof key, "%s%s",
                 ep == EP_OUTPUTS ? "outputs:" : ep == EP_V2 ? "v2:" : "", id);
    pthread_mutex_lock(&s->lock);
    record(s, c, method, url, rc);
    if (have_id)
        n = idtab_bump(&s->ids, key);
    pthread_mutex_unlock(&s->lock);

    if (is_file)
        p = (struct plan) { A_BODY, 200, "stand-in output file\n", F_FILE, NULL };
    else if (!is_api)
        p = (struct plan) { A_BODY, 404, HTML("404 Not Found"), F_HTML, NULL };
    else if (!is_post)
        p = (struct plan) { A_BODY, 405, HTML("405 Method Not Allowed"), F_HTML | F_ALLOW, NULL };
    else if (!have_id && ep == EP_V2)
        p = (struct plan) { A_BODY, 200, V2_ERROR("\"301\"", "PARAMS_INVALID"), 0, NULL };
    else if (!have_id)
        p = (struct plan) { A_BODY, 200, PARAMS_INVALID_BODY, 0, NULL };
    else if (n == 0)
        p = (struct plan) { A_DROP, 0, NULL, 0, NULL };      /* out of memory */
    else if (control_plan(s, ep == EP_STATUS ? id : NULL, n, &p))
        ;                                       /* a test control chose */
    else if (ep == EP_STATUS)
        p = plan_for(id, n);
    else
        p = plan_results(ep, id, n);

    nap(s, s->delay_ms + ((p.flags & F_SLOW) ? SLOW_MS : 0));
    return send_reply(s, c, &p);
}

/* The MHD access handler.  MHD calls it once when the headers are in, once
 * per piece of body, and once more when the request is complete; the body
 * is collected in a per-request context in *req_cls. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct standin *s = cls;
    struct reqctx *rc = *req_cls;
    (void) version;

    if (rc == NULL) {
        /* Returning MHD_YES without a response tells MHD to go on (and to
         * answer "Expect: 100-continue"). */
        rc = calloc(1, sizeof *rc);
        if (rc == NULL)
            return MHD_NO;
        *req_cls = rc;
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        /* Keep up to STANDIN_BODY_MAX bytes; silently drop the rest. */
        size_t n = *upload_data_size;
        if (n > STANDIN_BODY_MAX - rc->len)
            n = STANDIN_BODY_MAX - rc->len;
        if (rc->len + n > rc->cap) {
            size_t cap = rc->cap ? rc->cap : 256;
            while (cap < rc->len + n)
                cap *= 2;
            char *b = realloc(rc->body, cap);
            if (b == NULL)
                return MHD_NO;
            rc->body = b;
            rc->cap = cap;
        }
        if (n)
            memcpy(rc->body + rc->len, upload_data, n);
        rc->len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }

    return answer(s, c, url, method, rc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct reqctx *rc = *req_cls;
    (void) cls;
    (void) c;
    (void) toe;
    if (rc != NULL) {
        free(rc->body);
        free(rc);
        *req_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct standin *s = cls;
    (void) c;
    (void) socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&s->lock);
        s->connections++;
        pthread_mutex_unlock(&s->lock);
    }
}

/* MHD's error messages, marked as coming from the stand-in.  Messages
 * about a deliberately broken connection (ID_DROP_ONCE, ID_CUT_ONCE), or
 * about a client that hung up on a reply it was right to refuse (ID_HUGE's
 * 4 MiB), are not shown: they would only be noise in the test output. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    if (breaking_connection ||
        strncmp(fmt, "Failed to send the response body", 32) == 0)
        return;
    fputs("standin: ", stderr);
    vfprintf(stderr, fmt, ap);
}

static void destroy(struct standin *s)
{
    for (unsigned i = 0; i < s->nrecords; i++)
        free(s->records[i]);
    idtab_free(&s->ids);
    for (struct script *sc = s->scripts, *next; sc; sc = next) {
        next = sc->next;
        free(sc->body);
        free(sc->retry_after);
        free(sc);
    }
    free(s->throttle_retry_after);
    free(s->redirect);
    free(s->gzip);
    free(s->traceback);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

struct standin *standin_start(unsigned short port, int delay_ms)
{
    struct standin *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->delay_ms = delay_ms > 0 ? delay_ms : 0;

    /* Delays are measured on the monotonic clock, immune to clock changes. */
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        free(s);
        return NULL;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int err = pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (err != 0) {
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_cond_destroy(&s->wake);
        free(s);
        return NULL;
    }

    static const char success[] = SUCCESS_BODY;
    s->gzip = make_gzip(success, sizeof success - 1, &s->gzip_len);
    s->traceback = make_traceback();
    if (s->gzip == NULL || s->traceback == NULL) {
        destroy(s);
        return NULL;
    }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* One thread per connection, so handlers may sleep; MHD_USE_AUTO lets
     * MHD pick poll() over select(), which matters beyond 1024 descriptors.
     * Keep-alive is MHD's default for HTTP/1.1. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
                     | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    s->daemon = MHD_start_daemon(flags, port, on_accept, s, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, /* must be first */
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_END);
    if (s->daemon == NULL) {
        destroy(s);
        return NULL;
    }

    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    if (s->port == 0) {
        MHD_stop_daemon(s->daemon);
        destroy(s);
        return NULL;
    }
    return s;
}

unsigned short standin_port(const struct standin *s)
{
    return s->port;
}

void standin_set_redirect(struct standin *s, const char *location)
{
    char *copy = location ? strdup(location) : NULL;
    pthread_mutex_lock(&s->lock);
    free(s->redirect);
    s->redirect = copy;             /* NULL (also if strdup failed): the default */
    pthread_mutex_unlock(&s->lock);
}

unsigned standin_connections(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned n = s->connections;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned standin_requests(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned standin_requests_for(struct standin *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    const struct idcount *e = idtab_find(&s->ids, id);
    unsigned n = e ? e->count : 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const struct standin_req *standin_request(struct standin *s, unsigned i)
{
    pthread_mutex_lock(&s->lock);
    const struct standin_req *r = i < s->nrecords ? s->records[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

void standin_stop(struct standin *s)
{
    if (s == NULL)
        return;
    /* Wake sleeping handlers first: MHD_stop_daemon() joins the
     * connection threads. */
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->daemon);
    destroy(s);
}

/* ------------------------------------------------------------------------ */
/* Test controls: scripted replies, fault windows and throttling            */

/* The controls' clock.  Called with s->lock held. */
static double control_now(const struct standin *s)
{
    struct timespec ts;

    if (s->clock != NULL)
        return s->clock();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is the fault window open?  Called with s->lock held. */
static int fault_on(const struct standin *s, enum standin_fault kind)
{
    double t;

    if (s->fault != kind)
        return 0;
    t = control_now(s);
    return t >= s->fault_from && t < s->fault_until;
}

/* Takes a token from the throttle's bucket; 0 when there is none.  Called
 * with s->lock held. */
static int throttle_take(struct standin *s)
{
    double t = control_now(s);

    if (s->throttle_rate <= 0)
        return 1;
    s->tokens += (t - s->tokens_at) * s->throttle_rate;
    if (s->tokens > s->throttle_burst)
        s->tokens = s->throttle_burst;
    s->tokens_at = t;
    if (s->tokens < 1) {
        s->throttled++;
        return 0;
    }
    s->tokens -= 1;
    return 1;
}

/* The reply the test controls choose for the n-th request naming id (NULL
 * for the results endpoints, which scripts leave alone), if any: a fault,
 * the throttle, or a script.  Returns 1 when *p is set. */
static int control_plan(struct standin *s, const char *id, unsigned n, struct plan *p)
{
    int set = 1;

    pthread_mutex_lock(&s->lock);
    if (fault_on(s, STANDIN_FAULT_RESET)) {
        *p = (struct plan) { A_DROP, 0, NULL, 0, NULL };
    } else if (fault_on(s, STANDIN_FAULT_503)) {
        *p = (struct plan) { A_BODY, 503, HTML("503 Service Unavailable"), F_HTML, NULL };
    } else if (!throttle_take(s)) {
        *p = (struct plan) { A_BODY, 429, HTML("429 Too Many Requests"), F_HTML, NULL };
        copy_str(control_retry_after, sizeof control_retry_after, s->throttle_retry_after);
    } else {
        struct script *sc = id != NULL ? s->scripts : NULL;
        while (sc != NULL && strcmp(sc->id, id) != 0)
            sc = sc->next;
        if (sc != NULL && (sc->times == 0 || n <= sc->times)) {
            *p = (struct plan) { A_BODY, sc->status, sc->body, 0, NULL };
            copy_str(control_retry_after, sizeof control_retry_after, sc->retry_after);
        } else if (sc != NULL) {
            *p = (struct plan) { A_BODY, 200, SUCCESS_BODY, 0, NULL };
        } else {
            set = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return set;
}

/* MHD's accept policy: in a reset window, connections are closed at once. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct standin *s = cls;
    int refuse;

    (void) addr;
    (void) len;
    pthread_mutex_lock(&s->lock);
    refuse = fault_on(s, STANDIN_FAULT_RESET);
    if (refuse)
        s->connections++;       /* counted as an accepted connection */
    pthread_mutex_unlock(&s->lock);
    return refuse ? MHD_NO : MHD_YES;
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d = s != NULL ? strdup(s) : NULL;
    if (s != NULL && d == NULL)
        *failed = 1;
    return d;
}

int standin_script(struct standin *s, const char *id, unsigned status, const char *body,
                   const char *retry_after, unsigned times)
{
    size_t len = strlen(id);
    struct script *sc = malloc(sizeof *sc + len + 1);
    int failed = sc == NULL;

    if (sc == NULL)
        return -1;
    memcpy(sc->id, id, len + 1);
    sc->status = status;
    sc->times = times;
    sc->body = dup_or_null(body != NULL ? body : "", &failed);
    sc->retry_after = dup_or_null(retry_after, &failed);
    if (failed) {
        free(sc->body);
        free(sc->retry_after);
        free(sc);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    sc->next = s->scripts;
    s->scripts = sc;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void standin_set_clock(struct standin *s, double (*clock)(void))
{
    pthread_mutex_lock(&s->lock);
    s->clock = clock;
    pthread_mutex_unlock(&s->lock);
}

double standin_now(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    double t = control_now(s);
    pthread_mutex_unlock(&s->lock);
    return t;
}

void standin_set_fault(struct standin *s, enum standin_fault kind, double from, double until)
{
    pthread_mutex_lock(&s->lock);
    s->fault = kind;
    s->fault_from = from;
    s->fault_until = until;
    pthread_mutex_unlock(&s->lock);
}

int standin_set_throttle(struct standin *s, double rate, double burst, const char *retry_after)
{
    int failed = 0;
    char *ra = dup_or_null(retry_after, &failed);

    if (failed)
        return -1;
    pthread_mutex_lock(&s->lock);
    s->throttle_rate = rate;
    s->throttle_burst = burst >= 1 ? burst : 1;
    s->tokens = s->throttle_burst;
    s->tokens_at = control_now(s);
    free(s->throttle_retry_after);
    s->throttle_retry_after = ra;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

unsigned standin_throttled(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned n = s->throttled;
    pthread_mutex_unlock(&s->lock);
    return n;
}
