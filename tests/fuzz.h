/*
 * What the fuzz targets assert of everything rhq prints: each target
 * includes rhq.c, then this file, and writes its rows and messages through
 * rhq's own writer, retire(), into buffers instead of stdout and stderr.
 *
 * No line may carry a C0 control but the row's TABs (exactly `tabs` of
 * them), nor DEL, a C1 control, a line or paragraph separator, or a
 * bidirectional embedding, override or isolate, and every byte must be part
 * of a well-formed UTF-8 character: a lone 0x9b byte is CSI to some
 * terminals.  This judge reads bytes, apart from rhq's own table of unsafe
 * characters, so that a mistake there is caught too.  The targets that read
 * results (fuzz_results.c, fuzz_state.c) check them with check_results().
 */
#ifndef FUZZ_H
#define FUZZ_H

/* Aborts unless buf holds whole lines of clean UTF-8 with `tabs` TABs each. */
static void
assert_clean(const char *buf, size_t len, int tabs)
{
	const unsigned char *s = (const unsigned char *)buf, *end = s + len;
	int k, i, n = 0;

	if (len > 0 && buf[len - 1] != '\n')
		abort();
	while (s < end) {
		if (*s == '\t' || *s == '\n') {
			if (*s++ == '\t')
				n++;
			else if (n == tabs)
				n = 0;
			else
				abort();
			continue;
		}
		if (*s < 0x20 || *s == 0x7f)
			abort();
		k = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 : *s >= 0xe0 && *s <= 0xef ? 3 :
		    *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
		if (k == 0 || end - s < k)
			abort();
		for (i = 1; i < k; i++)
			if ((s[i] & 0xc0) != 0x80)
				abort();
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||		/* overlong */
		    (s[0] == 0xed && s[1] >= 0xa0) ||		/* a surrogate */
		    (s[0] == 0xf0 && s[1] < 0x90) ||		/* overlong */
		    (s[0] == 0xf4 && s[1] >= 0x90) ||		/* beyond U+10FFFF */
		    (s[0] == 0xc2 && s[1] <= 0x9f) ||		/* C1: U+0080 to U+009F */
		    (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
		    (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9))
			abort();	/* the last two: U+2028 to U+202E, U+2066 to U+2069 */
		s += k;
	}
}

/*
 * Writes task t's row or rows (TSV, or JSON with json) and the message that
 * goes with it, as retire() does, and asserts both clean: each TSV row has
 * `tabs` TABs, a JSON row and a message none.
 */
static void
check_rows(struct task *t, int json, int tabs)
{
	FILE *out = stdout, *err = stderr;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;

	opt.json = json;
	if ((stdout = open_memstream(&obuf, &olen)) == NULL ||
	    (stderr = open_memstream(&ebuf, &elen)) == NULL)
		abort();
	window.live = 1;
	retire(t);
	if (fclose(stdout) != 0 || fclose(stderr) != 0)
		abort();
	stdout = out;
	stderr = err;
	assert_clean(obuf, olen, json ? 0 : tabs);
	assert_clean(ebuf, elen, 0);
	free(obuf);
	free(ebuf);
}

/* Is off a string of r's pool, ended there (0: the empty string)? */
static void
check_string(const struct results *r, size_t off)
{
	if (off >= (r->len ? r->len : 1) || (off != 0 && memchr(r->pool + off, '\0',
	    r->len - off) == NULL))
		abort();
}

/*
 * Every string of a set of results is in its pool and ended there, the set
 * is no larger than the text it was read from (len bytes), every output has
 * a URL or a text, and the reason line is one clean TSV field.
 */
static void
check_results(const struct results *r, size_t len)
{
	char line[DETAIL_MAX + 2];
	size_t i, n;

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
	n = reason_line(r, line);
	if (n > DETAIL_MAX || n != strlen(line) || strchr(line, '\t') != NULL)
		abort();
	line[n] = '\n';
	assert_clean(line, n + 1, 0);
}

#endif
