/*
 * The floor for serial rhq: the least a libcurl client can do per ID.  One
 * reused easy handle, curl_easy_perform per ID, the same body and headers as
 * rhq, no reply parsing, and a row flushed per ID as rhq must.  make bench
 * runs it beside rhq to show what libcurl itself costs per request.
 *
 * usage: floor URL < ids   (the key comes from RUNNINGHUB_API_KEY)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

int
main(int argc, char *argv[])
{
	const char *key = getenv("RUNNINGHUB_API_KEY");
	char id[64], body[256], auth[160];
	struct curl_slist *headers = NULL;
	long code;
	CURL *h;
	int n;

	if (argc != 2 || key == NULL) {
		fputs("usage: RUNNINGHUB_API_KEY=KEY floor URL < ids\n", stderr);
		return 2;
	}
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, auth);
	if ((h = curl_easy_init()) == NULL || headers == NULL)
		return 2;
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "floor");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	/* As rhq has it: no signals, so no alarm() around name resolution. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	while (fgets(id, sizeof id, stdin) != NULL) {
		id[strcspn(id, "\r\n")] = '\0';
		n = snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"taskId\":\"%s\"}", key, id);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)n);
		code = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		printf("%s\t%s\n", id, code == 200 ? "SUCCESS" : "ERROR");
		fflush(stdout);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	return 0;
}
