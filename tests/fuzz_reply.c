/*
 * libFuzzer target: the reply parser.  Any bytes a server sends must parse
 * or be refused without reading out of bounds, and a parsed reply must judge
 * to a verdict whose state, if any, is a proper state word.
 */
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char state[STATE_MAX + 1], *copy;
	const char *why;
	struct reply r;

	/* An exact-size copy, so reading one byte past the reply is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (parse_reply(copy, size, &r) == 0) {
		if (strlen(r.msg) >= sizeof r.msg || r.data_len > STATE_MAX + 1)
			abort();
		if (judge_reply(&r, state, &why) == V_STATE &&
		    !is_state_word(state, strlen(state)))
			abort();
	}
	free(copy);
	return 0;
}
