/*
 * libFuzzer target: the reply parsers of the outputs endpoint and of the v2
 * query, and the rows made from what they read.  The first byte picks the
 * endpoint (bit 0: v2), whether the traceback is kept (bit 1) and the rows
 * (bit 2: JSON); the rest is the reply.  Any bytes must be read or refused
 * without reading out of bounds; an outcome's state must be a state word;
 * results must stay within the reply's size; the reason line must be one
 * clean TSV field, and the rows must be written without a fault.
 */
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
	if (t.id[0] == '\0' && freopen("/dev/null", "w", stdout) == NULL)
		return 0;
	/* An exact-size copy, so reading one byte past the reply is caught. */
	if ((copy = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	a.kind = data[0] & 1 ? REQ_V2 : REQ_OUTPUTS;
	a.traceback = (data[0] & 2) != 0;
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
	check_reason_line(&res);

	/* The rows of a task with these results: TSV, or JSON with the traceback. */
	strcpy(t.id, "1");
	t.own = OWN_NONE;
	snprintf(t.state, sizeof t.state, "%s", o.kind == OUT_STATE ? o.state : "FAILED");
	results_copy(&t.res, &res);
	opt.outputs = 1;
	opt.json = opt.traceback = (data[0] & 4) != 0;
	put_row(&t);
	free(copy);
	return 0;
}
