/*
 * libFuzzer target: the reply parser.  Any bytes a server sends must parse
 * or be refused without reading out of bounds, and a reply must classify to
 * an outcome whose state, if any, is a proper state word and not one of
 * rhq's own.
 */
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attempt a = { .kind = REQ_STATUS, .rc = CURLE_OK, .http = 200 };
	struct outcome o;
	struct reply r;
	char *copy;

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
	free(copy);
	return 0;
}
