/*
 * libFuzzer target: the input side.  The first byte picks the options (-0,
 * -f, -d, --json); the rest is the input.  Every record must be bounded and
 * classified, and a record that is no ID must make an INVALID row and a
 * message that are clean (see fuzz.h), whatever bytes it holds.
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
	static char json[6 * RECORD_MAX + 1];
	static struct task t;
	struct input in = { 0 };
	struct record rec;
	char id[ID_MAX + 1];
	const char *shown;
	size_t shownlen;
	enum item kind;
	int r, rounds;

	if (size == 0 || size > INBUF_SIZE)
		return 0;
	opt.sep = data[0] & 1 ? '\0' : '\n';
	opt.field = data[0] >> 1 & 3;
	opt.delim = data[0] & 8 ? ',' : '\t';
	opt.json = (data[0] & 16) != 0;
	in.eof = 1;
	in.len = size - 1;
	if ((in.buf = malloc(INBUF_SIZE)) == NULL)
		return 0;
	memcpy(in.buf, data + 1, size - 1);
	for (rounds = 0; rounds < INBUF_SIZE + 1; rounds++) {
		memset(&rec, 0, sizeof rec);
		if ((r = input_next(&in, &rec)) != 1)
			break;
		if (rec.len > RECORD_MAX || (rec.too_long && rec.len != SHOW_MAX))
			abort();
		kind = parse_item(rec.p, rec.len, rec.too_long, id, &shown, &shownlen);
		if (kind == ITEM_ID && !valid_task_id(id, strlen(id)))
			abort();
		if (kind != ITEM_SKIP && kind != ITEM_ID) {
			/* As add_task() makes the row, and retire() writes it. */
			t.show_len = shownlen < SHOW_MAX ? shownlen : SHOW_MAX;
			set_text(&t, shown, t.show_len);
			t.show_off = 0;
			t.id[0] = '\0';
			reject_record(&t, &rec, "line", kind);
			check_rows(&t, opt.json, 1);
			json_escape(json, rec.p, rec.len);
		}
	}
	if (r == 0)
		abort();	/* at EOF the reader must never ask for more */
	free(in.buf);
	return 0;
}
