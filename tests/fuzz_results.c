/*
 * libFuzzer target: the reply parsers of the outputs endpoint and of the v2
 * query, and the rows made from what they read.  The first byte picks the
 * endpoint (bit 0: v2), whether the traceback is kept (bit 1), the rows
 * (bit 2: JSON) and whether the reply must be about task 1 (bit 3); the
 * rest is the reply.  Any bytes must be read or refused
 * without reading out of bounds; an outcome's state must be a state word;
 * results must stay within the reply's size; the reason line must be one
 * clean TSV field; and the rows, their URLs, texts and reason, and the
 * cause said with an error row, must be clean (see fuzz.h).
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
	static struct results res;
	static struct task t;
	struct attempt a = { .rc = CURLE_OK, .http = 200, .res = &res };
	struct outcome o;
	char *copy;

	if (size == 0)
		return 0;
	/* An exact-size copy, so reading one byte past the reply is caught. */
	if ((copy = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	a.kind = data[0] & 1 ? REQ_V2 : REQ_OUTPUTS;
	a.traceback = (data[0] & 2) != 0;
	a.id = data[0] & 8 ? "1" : NULL;
	a.body = copy;
	a.len = size - 1;
	results_reset(&res);	/* an empty reply is not parsed: nothing of the last one stays */
	classify(&a, &o);
	if (o.kind == OUT_STATE && (!is_state_word(o.state, strlen(o.state)) ||
	    own_state(o.state) != OWN_NONE))
		abort();
	if (o.res != NULL && o.res != &res)
		abort();
	check_results(&res, a.len);

	/* The rows of a task with these results: TSV, or JSON with the traceback. */
	strcpy(t.id, "1");
	t.own = OWN_NONE;
	snprintf(t.state, sizeof t.state, "%s", o.kind == OUT_STATE ? o.state : "FAILED");
	results_copy(&t.res, &res);
	opt.outputs = 1;
	opt.traceback = (data[0] & 4) != 0;
	check_rows(&t, opt.traceback, 2);
	/* An outcome with a cause: the error row and its message. */
	if (o.kind != OUT_STATE && o.kind != OUT_RESULTS) {
		t.own = OWN_ERROR;
		set_why(&t, o.why);
		results_reset(&t.res);
		check_rows(&t, opt.traceback, 2);
	}
	free(copy);
	return 0;
}
