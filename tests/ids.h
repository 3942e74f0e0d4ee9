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

#endif
