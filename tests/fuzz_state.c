/*
 * libFuzzer target: the state file's loader.  The first byte picks the run's
 * options (bit 0: -o, bit 1: --json, bit 2: --traceback, bit 3: --api v2,
 * bit 4: --state-max-age); the rest is the file.  Any bytes must be checked
 * and indexed without reading out of bounds; every indexed ID must be a task
 * ID that the index finds again; every entry a task can use must read, give
 * sane results and rows, and one this run would use be written back as an
 * entry that loads again, with the same ID, state and API.
 */
#define RHQ_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../rhq.c"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The entry of a task, written back, must load again as the same task. */
static void
check_written(const struct task *t, uint64_t facts)
{
	struct entry_head h;
	long len;

	rewind(sfile.mem);
	put_entry(sfile.mem, t);
	if (fflush(sfile.mem) == EOF || (len = ftell(sfile.mem)) < 1 ||
	    sfile.mem_buf[len - 1] != '\n' || memchr(sfile.mem_buf, '\n', len - 1) != NULL)
		abort();
	if (entry_check(sfile.mem_buf, len - 1, &h) != NULL ||
	    h.id_len != strlen(t->id) || memcmp(sfile.mem_buf + h.id_at, t->id, h.id_len) != 0 ||
	    (h.facts & (SLOT_FAILED | SLOT_V2)) != (facts & (SLOT_FAILED | SLOT_V2)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct task t;
	const char *nl, *id;
	struct outcome o;
	uint64_t s, tag;
	size_t i, n;
	long version;
	char *copy;

	if (size == 0)
		return 0;
	if (sfile.mem == NULL) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    (sfile.mem = open_memstream(&sfile.mem_buf, &sfile.mem_len)) == NULL)
			return 0;
	}
	opt.outputs = data[0] & 1;
	opt.json = (data[0] & 2) != 0;
	opt.traceback = opt.outputs && opt.json && (data[0] & 4);
	opt.api = data[0] & 8 ? API_V2 : API_V1;
	opt.state_max_age = data[0] & 16 ? 100 : -1;
	/* An exact-size copy, so reading one byte past the file is caught. */
	if ((copy = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	sfile.buf = copy;
	sfile.len = size - 1;
	sfile.now = 1000;
	nl = memchr(copy, '\n', sfile.len);
	if (!state_header(copy, nl != NULL ? (size_t)(nl - copy) : sfile.len, &version) ||
	    nl == NULL) {
		free(copy);
		return 0;
	}
	sfile.entries = nl + 1 - copy;
	state_index(0);
	for (i = 0; i <= sfile.mask; i++) {
		if ((s = sfile.slots[i]) == 0)
			continue;
		id = copy + (s & SLOT_OFFSET) - 1;
		for (n = 0; id + n < copy + sfile.len && id[n] != '"'; n++)
			;
		if (id < copy + sfile.entries || id + n >= copy + sfile.len || n > ID_MAX ||
		    !valid_task_id(id, n) || state_slot(id, n, &tag) != &sfile.slots[i])
			abort();
		memcpy(t.id, id, n);
		t.id[n] = '\0';
		/* What a task does with it, as state_answer() would. */
		memset(&o, 0, sizeof o);
		o.kind = OUT_STORED;
		strcpy(o.state, s & SLOT_FAILED ? "FAILED" : "SUCCESS");
		if (!entry_details((s & SLOT_OFFSET) - 1, &o))
			abort();
		if (o.res != NULL)
			check_results(o.res, sfile.len);
		t.req = opt.api == API_V2 ? REQ_V2 : REQ_STATUS;
		results_reset(&t.res);
		apply(&t, &o, 0);
		if (t.own != OWN_NONE || t.from != FROM_STATE)
			abort();
		put_row(&t);
		/* Written back by a run that would have used it: the same entry. */
		if (((s & SLOT_V2) != 0) == (opt.api == API_V2) &&
		    (!opt.outputs || (s & SLOT_RESULTS)) &&
		    (!opt.traceback || !(s & SLOT_FAILED) || (s & SLOT_TRACEBACK)))
			check_written(&t, s);
	}
	free(sfile.slots);
	sfile.slots = NULL;
	free(copy);
	return 0;
}
