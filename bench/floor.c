/*
 * The floor for serial rhq: the least a libcurl client can do per ID.  One
 * reused easy handle, curl_easy_perform per ID, the same body and headers as
 * rhq, no reply parsing, and a row flushed per ID as rhq must.  make bench
 * runs it beside rhq to show what libcurl itself costs per request.
 *
 * usage: floor [--http1.1 | --http2] [--cacert FILE] URL < ids
 *
 * The key comes from RUNNINGHUB_API_KEY.  --http1.1 and --http2 ask libcurl
 * for that HTTP version (over https, by ALPN); without either, libcurl's
 * default (HTTP/2 over https when the server offers it).  Like rhq, it sets
 * CURLOPT_NOSIGNAL, so that it is a true floor.
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

static int
usage(void)
{
	fputs("usage: RUNNINGHUB_API_KEY=KEY floor [--http1.1 | --http2] [--cacert FILE] "
	    "URL < ids\n", stderr);
	return 2;
}

int
main(int argc, char *argv[])
{
	const char *key = getenv("RUNNINGHUB_API_KEY"), *cacert = NULL;
	char id[64], body[256], auth[160];
	struct curl_slist *headers = NULL;
	long code, version = CURL_HTTP_VERSION_NONE;
	CURL *h;
	int n, i;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--http1.1") == 0)
			version = CURL_HTTP_VERSION_1_1;
		else if (strcmp(argv[i], "--http2") == 0)
			version = CURL_HTTP_VERSION_2TLS;
		else if (strcmp(argv[i], "--cacert") == 0 && i + 2 < argc)
			cacert = argv[++i];
		else
			return usage();
	}
	if (i != argc - 1 || key == NULL)
		return usage();
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, auth);
	if ((h = curl_easy_init()) == NULL || headers == NULL)
		return 2;
	curl_easy_setopt(h, CURLOPT_URL, argv[i]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "floor");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, version);
	if (cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
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
