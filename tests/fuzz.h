/*
 * What the libFuzzer targets that read results (fuzz_results.c, fuzz_state.c)
 * check of them, after including rhq.c: every string of a set of results is
 * in its pool and ended there, the set is no larger than the text it was
 * read from (len bytes), every output has a URL or a text, and the reason
 * line is one clean TSV field.
 */
#ifndef FUZZ_H
#define FUZZ_H

static void
check_string(const struct results *r, size_t off)
{
	if (off >= (r->len ? r->len : 1) || (off != 0 && memchr(r->pool + off, '\0',
	    r->len - off) == NULL))
		abort();
}

static void
check_results(const struct results *r, size_t len)
{
	size_t i;

	if (r->len > len + 1 || r->n > len)
		abort();
	for (i = 0; i < r->n; i++) {
		check_string(r, r->v[i].url);
		check_string(r, r->v[i].type);
		check_string(r, r->v[i].node);
		check_string(r, r->v[i].text);
		if (r->v[i].url == 0 && r->v[i].text == 0)
			abort();
	}
	check_string(r, r->cost);
	check_string(r, r->err_code);
	check_string(r, r->err_msg);
	for (i = 0; i < R_NFIELDS; i++)
		check_string(r, r->reason[i]);
}

static void
check_reason_line(const struct results *r)
{
	char line[DETAIL_MAX + 1];
	const unsigned char *s;
	size_t n, k;

	n = reason_line(r, line);
	if (n > DETAIL_MAX || n != strlen(line))
		abort();
	for (s = (const unsigned char *)line; *s; s += k)
		if (*s < ' ' || *s == 0x7f || (k = utf8_len(s, strlen((const char *)s))) == 0)
			abort();
}

#endif
