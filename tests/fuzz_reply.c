/*
 * libFuzzer target: the reply parser.  Any bytes a server sends must parse
 * or be refused without reading out of bounds, and a reply must classify to
 * an outcome whose state, if any, is a proper state word and not one of
 * rhq's own.  The row it makes, TSV and JSON, and the cause said with an
 * error row must be clean (see fuzz.h).
 */
#define _GNU_SOURCE
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct task t;
	struct attempt a = { .kind = REQ_STATUS, .rc = CURLE_OK, .http = 200 };
	struct outcome o;
	struct reply r;
	char *copy;
	int json;

	/* An exact-size copy, so reading one byte past the reply is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (parse_reply(copy, size, &r) == 0 &&
	    (strlen(r.msg) >= sizeof r.msg || strlen(r.data) >= sizeof r.data))
		abort();
	a.body = copy;
	a.len = size;
	classify(&a, &o);
	if (o.kind == OUT_STATE && (!is_state_word(o.state, strlen(o.state)) ||
	    own_state(o.state) != OWN_NONE))
		abort();

	/* The task's row as the outcome leaves it, with the reply's msg for JSON. */
	strcpy(t.id, "1");
	snprintf(t.state, sizeof t.state, "%s", o.state);
	t.own = o.kind == OUT_STATE ? OWN_NONE : o.kind == OUT_NOT_FOUND ? OWN_NOT_FOUND :
	    OWN_ERROR;
	set_why(&t, o.why);
	t.has_code = o.has_code;
	t.code = o.code;
	t.has_msg = o.has_msg;
	set_msg(&t, o.msg);
	for (json = 0; json <= 1; json++)
		check_rows(&t, json, 1);
	free(copy);
	return 0;
}
