/*
 * standin_main.c - the RunningHub stand-in (standin.h) as a program, for
 * `make demo` and the benchmarks.
 *
 *   tests/standin [--port N] [--delay-ms N] [--throttle N] [--retry-after S]
 *                 [--throttle-once ID]... [--busy-once ID]...
 *
 * It listens on 127.0.0.1 (port 0, the default, picks a free port), prints
 * the bound port as one line on stdout, and then serves until it receives
 * SIGTERM or SIGINT, whereupon it stops cleanly and exits 0.  With
 * --throttle N it answers HTTP 429 to the requests beyond N a second (a
 * token bucket that holds N / 10 requests, at least 1).  --throttle-once ID
 * answers the first request for ID with HTTP 429 and the API's code 1003
 * (RATE_LIMIT_EXCEEDED), --busy-once ID with HTTP 503 and an HTML page, and
 * later ones with SUCCESS; each may be given many times.  --retry-after S
 * adds the header Retry-After: S to all of these.  It does not
 * watch stdin: a server started in the background from a script often has
 * stdin at EOF from the start (/dev/null, a closed pipe), so the caller must
 * signal it, e.g.
 *
 *   tests/standin > port.txt & pid=$!
 *   ... wait until port.txt is not empty, use http://127.0.0.1:$(cat port.txt) ...
 *   kill $pid; wait $pid
 *
 * On stopping it prints "standin: N requests, M connections, K throttled" on
 * stderr.
 *
 * Exit status: 0 after a signal, 1 if the server cannot start (e.g. the
 * port is in use) or the port cannot be printed, 2 for bad arguments.
 */
/* sigwait and pthread_sigmask are POSIX, not C11: ask for them here, so
 * that the file does not depend on the build adding -D_POSIX_C_SOURCE. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "standin.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: standin [--port N] [--delay-ms N] [--throttle N] [--retry-after S]\n"
    "               [--throttle-once ID]... [--busy-once ID]...\n"
    "  --port N             TCP port on 127.0.0.1 (default 0: any free port)\n"
    "  --delay-ms N         sleep N ms before every reply (default 0)\n"
    "  --throttle N         answer 429 beyond N requests a second (default 0: never)\n"
    "  --retry-after S      send Retry-After: S with every 429 and 503 reply\n"
    "  --throttle-once ID   answer ID's first request 429, API code 1003\n"
    "  --busy-once ID       answer ID's first request 503\n"
    "Prints the port on stdout, then serves until SIGTERM or SIGINT.\n";

/* The replies of --throttle-once and --busy-once. */
#define THROTTLE_BODY "{\"code\":1003,\"msg\":\"RATE_LIMIT_EXCEEDED\",\"data\":null}"
#define BUSY_BODY "<html><body><h1>503 Service Unavailable</h1></body></html>"

/* Is s a task ID the stand-in reads: 1 to 63 digits? */
static int is_id(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n < 64 && s[n] == '\0';
}

/* Parses a whole decimal number in [0, max]; returns 0 on success. */
static int parse_num(const char *s, long max, long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("standin: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(usage, stderr);
    return 2;
}

int main(int argc, char **argv)
{
    long port = 0, delay_ms = 0, throttle = 0, retry_after = -1;
    char ra[24] = "";
    /* Where in argv each --throttle-once and --busy-once is: scripted once it runs. */
    int *once = calloc((size_t) argc, sizeof *once), nonce = 0;

    if (once == NULL) {
        fputs("standin: out of memory\n", stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = NULL;
        long *dst, max;

        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(opt, "--throttle-once") == 0 || strcmp(opt, "--busy-once") == 0) {
            if (i + 1 >= argc)
                return bad_usage("%s needs a task ID", opt);
            if (!is_id(argv[i + 1]))
                return bad_usage("bad task ID '%s'", argv[i + 1]);
            once[nonce++] = i++;
            continue;
        }
        if (strncmp(opt, "--port", 6) == 0 && (opt[6] == '\0' || opt[6] == '=')) {
            dst = &port;
            max = 65535;
            val = opt[6] == '=' ? opt + 7 : NULL;
        } else if (strncmp(opt, "--delay-ms", 10) == 0 && (opt[10] == '\0' || opt[10] == '=')) {
            dst = &delay_ms;
            max = INT_MAX;
            val = opt[10] == '=' ? opt + 11 : NULL;
        } else if (strncmp(opt, "--throttle", 10) == 0 && (opt[10] == '\0' || opt[10] == '=')) {
            dst = &throttle;
            max = 10000000;
            val = opt[10] == '=' ? opt + 11 : NULL;
        } else if (strncmp(opt, "--retry-after", 13) == 0 &&
                   (opt[13] == '\0' || opt[13] == '=')) {
            dst = &retry_after;
            max = 3600;
            val = opt[13] == '=' ? opt + 14 : NULL;
        } else {
            return bad_usage("unknown argument '%s'", opt);
        }
        if (val == NULL) {
            if (i + 1 >= argc)
                return bad_usage("%s needs a value", opt);
            val = argv[++i];
        }
        if (parse_num(val, max, dst) != 0)
            return bad_usage("bad number '%s'", val);
    }

    /* Block the stop signals before the server starts its threads (which
     * inherit the mask), so that sigwait() below is the only place they
     * are delivered.  A client closing its end must not kill us either. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct standin *s = standin_start((unsigned short) port, (int) delay_ms);
    if (s == NULL) {
        fprintf(stderr, "standin: cannot listen on 127.0.0.1 port %ld\n", port);
        return 1;
    }

    if (retry_after >= 0)
        snprintf(ra, sizeof ra, "%ld", retry_after);
    int failed = throttle > 0 &&
        standin_set_throttle(s, (double) throttle, throttle / 10.0, ra[0] ? ra : NULL) != 0;
    for (int k = 0; k < nonce && !failed; k++) {
        int busy = strcmp(argv[once[k]], "--busy-once") == 0;
        failed = standin_script(s, argv[once[k] + 1], busy ? 503 : 429,
                                busy ? BUSY_BODY : THROTTLE_BODY, ra[0] ? ra : NULL, 1) != 0;
    }
    free(once);
    if (failed) {
        fputs("standin: out of memory\n", stderr);
        standin_stop(s);
        return 1;
    }

    printf("%u\n", (unsigned) standin_port(s));
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("standin: stdout");
        standin_stop(s);
        return 1;
    }

    int sig;
    while (sigwait(&stop, &sig) != 0)
        ;

    /* What the benchmarks count: requests served, connections accepted, 429s. */
    fprintf(stderr, "standin: %u requests, %u connections, %u throttled\n",
            standin_requests(s), standin_connections(s), standin_throttled(s));

    standin_stop(s);
    return 0;
}
