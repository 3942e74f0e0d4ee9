/*
 * ids.h - the stand-in's special task IDs, by name.
 *
 * The stand-in (standin.c) builds its table of special replies from these
 * names, and the tests ask for the replies by the same names, so the list
 * exists once.  Adding a special reply is adding a line here and a line to
 * the table in standin.c.
 *
 * Any other ID is "ordinary": HTTP 200 and
 *   {"code":0,"msg":"success","data":"<STATE>"}
 * where STATE is chosen by the ID's value modulo 4:
 *   0 QUEUED, 1 RUNNING, 2 FAILED, 3 SUCCESS.
 *
 * "Once" means: only the first request naming the ID misbehaves; every
 * later one gets {"code":0,"msg":"success","data":"SUCCESS"} (the count
 * lives as long as the stand-in).
 */
#ifndef IDS_H
#define IDS_H

/* API error codes: HTTP 200, body {"code":N,"msg":"M","data":null}. */
#define ID_CODE_301	"9301"	/* 301 PARAMS_INVALID */
#define ID_CODE_412	"9412"	/* 412 TOKEN_INVALID */
#define ID_CODE_415	"9415"	/* 415 TASK_INSTANCE_MAXED */
#define ID_CODE_423	"9423"	/* 423 TASK_NOT_FOUNED (sic, as the real API spells it) */
#define ID_CODE_801	"9801"	/* 801 APIKEY_UNSUPPORTED_FREE_USER */
#define ID_CODE_802	"9802"	/* 802 APIKEY_UNAUTHORIZED */
#define ID_CODE_804	"9804"	/* 804 APIKEY_TASK_IS_RUNNING */
#define ID_CODE_805	"9805"	/* 805 APIKEY_TASK_STATUS_ERROR */
#define ID_CODE_806	"9806"	/* 806 APIKEY_USER_NOT_FOUND */
#define ID_CODE_807	"9807"	/* 807 APIKEY_TASK_NOT_FOUND */
#define ID_CODE_811	"9811"	/* 811 CORPAPIKEY_INVALID */
#define ID_CODE_812	"9812"	/* 812 CORPAPIKEY_INSUFFICIENT_FUNDS */
#define ID_CODE_813	"9813"	/* 813 APIKEY_TASK_IS_QUEUED */
#define ID_CODE_1002	"91002"	/* 1002 invalid API key */
#define ID_CODE_1004	"91004"	/* 1004 task not found or expired */
#define ID_CODE_888	"9888"	/* 888, msg "\u4efb\u52a1\u5931\u8d25" ("task failed") */

/* Transport and HTTP faults. */
#define ID_500_ONCE	"9100"	/* HTTP 500, JSON code 500 INTERNAL_SERVER_ERROR, once */
#define ID_429_ONCE	"9101"	/* HTTP 429, Retry-After: 1, small HTML body, once */
#define ID_DROP_ONCE	"9102"	/* the connection closed without any reply, once */
#define ID_CUT_ONCE	"9103"	/* Content-Length: 60, 20 bytes sent, then closed, once */
#define ID_502_ONCE	"9104"	/* HTTP 502, an HTML "502 Bad Gateway" page, once */
#define ID_ALWAYS_503	"9105"	/* HTTP 503, HTML body, always */
#define ID_SLOW		"9106"	/* SUCCESS, but only after 3 s more, always */
#define ID_CUT_JSON	"9107"	/* a whole reply of cut JSON {"code":0,...,"data":"SUCC */
#define ID_DATA_NULL	"9108"	/* {"code":0,"msg":"success","data":null} */
#define ID_DATA_TAB	"9109"	/* data "RUN\tNING" (JSON escape \t) */
#define ID_DATA_NEWLINE	"9110"	/* data "SUC\nCESS" (JSON escape \n) */
#define ID_CHUNKED	"9111"	/* SUCCESS, Transfer-Encoding: chunked, in small pieces */
#define ID_GZIP		"9112"	/* SUCCESS, Content-Encoding: gzip (stored blocks) */
#define ID_CLOSE	"9113"	/* SUCCESS with Connection: close */
#define ID_REDIRECT	"9114"	/* HTTP 307 to standin_set_redirect()'s target
				   (default http://127.0.0.1:9/), small HTML body */
#define ID_HUGE		"9115"	/* a 4 MiB reply: msg is 4194304 'a', data SUCCESS */
#define ID_ALWAYS_500	"9116"	/* HTTP 500, JSON {"code":500,...}, always */
#define ID_CODE_421_ONCE "9117"	/* code 421 TASK_QUEUE_MAXED, once */
#define ID_CODE_500_ONCE "9118"	/* code 500 UNKNOWN_ERROR, once */
#define ID_CODE_1003_ONCE "9119" /* code 1003 "rate limit exceeded", once */
#define ID_THEN_SUCCESS	"9120"	/* QUEUED, RUNNING, then SUCCESS from the 3rd on */
#define ID_THEN_FAILED	"9121"	/* QUEUED, RUNNING, then FAILED from the 3rd on */
#define ID_RUNNING	"9122"	/* RUNNING forever */
#define ID_TRICKY	"9123"	/* valid but tricky JSON: spaces and newlines, members out
				   of order, a nested object with its own "code"/"data"/"msg",
				   msg "\u6210\u529f"; top-level code 0, data SUCCESS */
#define ID_HTTP_404	"9124"	/* HTTP 404, HTML body */
#define ID_CANCEL	"9125"	/* data "CANCEL" */
#define ID_LOWER_CASE	"9126"	/* data "success" (lower case) */
#define ID_EMPTY_ONCE	"9127"	/* an empty body (Content-Length: 0), once */
#define ID_GZIP_BOMB	"9128"	/* Content-Encoding: gzip, 171 bytes on the wire that
				   inflate to 102436: {"code":0,"msg":"aaa...","data":"SUCCESS"} */
#define ID_NOT_OBJECT	"9129"	/* [1,2]  (JSON, but not an object) */

/*
 * The outputs endpoint (v1) and the query endpoint (v2); see standin.h for
 * ordinary IDs there and for the "standard reason".  Each line says what
 * the status endpoint answers ("-": as for an ordinary ID), then what the
 * outputs endpoint (v1) and the query endpoint (v2) answer; "a, then b":
 * the first request to that endpoint gets a, every later one b.
 */
#define ID_ONE_FILE	"9200"	/* SUCCESS; v1, v2: one file <ID>_1.png */
#define ID_MANY_FILES	"9201"	/* SUCCESS; v1, v2: <ID>_1.png, <ID>_2.png (node 9),
				   <ID>_3.mp4 (node 12) */
#define ID_TEXT_OUTPUT	"9202"	/* SUCCESS; v1: one file <ID>_1.txt; v2: a text output
				   (url null, text "a cat\ton a mat\nline 2 \\ \u00e9"),
				   then <ID>_2.png */
#define ID_NO_OUTPUTS	"9203"	/* SUCCESS; v1: data []; v2: results [] */
#define ID_FAILED	"9204"	/* FAILED; v1: 805, v2: FAILED; the standard reason with a
				   traceback of STANDIN_TRACEBACK_LINES lines (over 100 KiB) */
#define ID_HOSTILE_REASON "9205" /* FAILED; v1: 805, v2: FAILED; node_id "77", node_name
				   "Bad\tNode\r\n", exception_type "Value\u2028Error", and an
				   exception_message with \n, \t, ESC sequences, U+0085, the
				   raw bytes FF FE, then 200 x U+9577 (600 bytes) */
#define ID_OUTPUTS_LATE	"9206"	/* SUCCESS; v1: 804, then one file; v2: one file */
#define ID_OUTPUTS_NEVER "9207"	/* SUCCESS; v1: 804 always; v2: RUNNING */
#define ID_WAIT_SUCCESS	"9208"	/* QUEUED, RUNNING, then SUCCESS from the 3rd request on;
				   v1: one file; v2: QUEUED, RUNNING, then SUCCESS, one file */
#define ID_WAIT_FAILED	"9209"	/* QUEUED, RUNNING, then FAILED from the 3rd request on;
				   v1: 805; v2: QUEUED, RUNNING, then FAILED; the standard
				   reason */
#define ID_V2_UNKNOWN	"9210"	/* -; v2: taskId "", status "", errorCode "1007",
				   errorMessage "task not found" */
#define ID_V2_BAD_KEY	"9211"	/* -; v2: status "", errorCode "806",
				   errorMessage "APIKEY_USER_NOT_FOUND" */
#define ID_V2_BAD_KEY_NUM "9212" /* -; v2: status "", errorCode 1002 (a number),
				   errorMessage "invalid api key" */
#define ID_V2_RATE_LIMITED "9213" /* -; v2: status "", errorCode "1003", then SUCCESS with
				   one file */
#define ID_V2_NOT_FOUND_NUM "9214" /* -; v2: status "", errorCode 1004 (a number),
				   errorMessage "task not found or expired" */
#define ID_V2_NULLS	"9215"	/* -; v2: SUCCESS; errorCode, errorMessage, failedReason,
				   usage, results, clientId and promptTips all null */
#define ID_V2_BARE	"9216"	/* -; v2: status SUCCESS and unknown members only, some
				   with their own "status", "errorCode" and "results" */
#define ID_V2_FAILED_CODE "9217" /* -; v2: FAILED, errorCode "1505", errorMessage
				   "content refused", failedReason {} */
#define ID_V2_OTHER_CODE "9218"	/* -; v2: status "", errorCode "1501", errorMessage
				   "content refused" */
#define ID_OUTPUTS_HUGE	"9219"	/* SUCCESS; v1, v2: the 4 MiB reply of ID_HUGE */
#define ID_OUTPUTS_CODE0 "9220"	/* SUCCESS; v1: {"code":0,"msg":"task is running",
				   "data":null}, then one file; v2: one file */

/*
 * Text that must not reach a terminal as it is: C0 and C1 controls, line
 * separators, bidirectional controls, bytes that are not UTF-8.
 */
#define ID_HOSTILE_URLS	"9230"	/* SUCCESS; v1, v2: four files, their URLs <BASE>/output/
				   then "\u001b[31mred", "\u202eevil.png",
				   "a b\t\"c\\d" and a raw FF byte ".png",
				   "\u00e9" and a raw U+4E2D ".png"; v2 then a text
				   output "red \u001b[31m, \u202eevil\u2028end\ttab" */
#define ID_BIDI_REASON	"9231"	/* FAILED; v1: 805, v2: FAILED; node_id "9", node_name
				   "Save", raw U+202E, "IMG", exception_type
				   "ValueError", exception_message "bad file
				   \u202egnp.exe\u202c, see \u2066log\u2069" */
#define ID_V2_HOSTILE_ERROR "9232" /* -; v2: status "", errorCode "1005", errorMessage
				   "too \u202efast\u001b\u2028now", then errorCode
				   "1501", errorMessage "refused\u0085\u202eyes" and a
				   raw FF byte */
#define ID_V2_OTHER_TASK "9233"	/* -; v2: SUCCESS, one file, but taskId
				   "1904152026220003329" */
#define ID_V2_HOSTILE_TASK "9234" /* -; v2: SUCCESS, one file, but taskId
				   "\u202e<ID>\u001b[2J" */

#endif
