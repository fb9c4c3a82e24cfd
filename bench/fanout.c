/*
 * fanout.c - cf_bench_fanout: the Council's operator, with a stopwatch.
 * Issues COUNT directives through the Council's control socket, one at a
 * time, and for each asks `directive.wait`, which the Council answers once
 * every node in scope has a stored signed `received` receipt there (as
 * `certfed directive wait` does); the time from the issue request to that
 * answer, which must count EXPECTED nodes, is the directive's fan-out
 * time. Also times the issue request alone.
 *
 * cf_bench_fanout SOCKET COUNT EXPECTED PREFIX
 * Prints "name=value" lines; exit 0 if every directive reached EXPECTED
 * nodes within 60 s, 1 otherwise, 2 on bad usage.
 *
 * cf_bench_fanout stored SOCKET COUNT TIMEOUT_S
 * The catch-up's stopwatch, started just before the node: asks the
 * node's `status` every STORED_POLL_US (a connection and a request, no
 * process, so that it costs the machine next to nothing) until its store
 * holds COUNT incident revisions. Prints seconds= from its own start and
 * first_status_s= (the first answer that says the node has started);
 * exit 1 if TIMEOUT_S passed first.
 */
#include "common/common.h"

#include <cjson/cJSON.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (4 * 1024 * 1024)
#define STORED_POLL_US 20000

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request on a fresh connection, as the CLI does; the answer's
 * "result" (the caller frees it with cJSON_Delete), or NULL if there is
 * none within 75 s. */
static cJSON *
ask(const char *path, const char *request)
{
    struct sockaddr_un sa;
    static char answer[ANSWER_MAX];
    size_t got = 0, len = strlen(request);
    cJSON *doc = NULL, *result = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0)
        return NULL;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(fd, request, len) != (ssize_t)len)
        goto out;
    while (got < sizeof(answer) - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 75000) <= 0)
            goto out;
        ssize_t r = read(fd, answer + got, sizeof(answer) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(answer + got - (size_t)r, '\n', (size_t)r))
            break;
    }
    answer[got] = 0;
    doc = cJSON_Parse(answer);
    if (doc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok")))
        result = cJSON_DetachItemFromObjectCaseSensitive(doc, "result");
out:
    cJSON_Delete(doc);
    close(fd);
    return result;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
percentile(const double *v, size_t n, double p)
{
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);

    return v[rank ? rank - 1 : 0];
}

static void
print_latencies(const char *prefix, double *ms, size_t n)
{
    qsort(ms, n, sizeof(*ms), cmp_double);
    printf("%s_p50_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n", prefix, percentile(ms, n, 50),
           prefix, percentile(ms, n, 99), prefix, ms[n - 1]);
}

/* cf_bench_fanout stored SOCKET COUNT TIMEOUT_S */
static int
stored(const char *socket, double count, double timeout_s)
{
    double t0 = now_s(), first = -1, revisions = 0;

    while (revisions < count) {
        if (now_s() - t0 > timeout_s) {
            fprintf(stderr, "cf_bench_fanout: the store holds %.0f of %.0f after %.0f s\n",
                    revisions, count, timeout_s);
            return 1;
        }
        usleep(STORED_POLL_US);
        cJSON *r = ask(socket, "{\"cmd\":\"status\"}\n"); /* NULL until the node listens */
        const cJSON *store = cJSON_GetObjectItemCaseSensitive(r, "store");
        const cJSON *entries = cJSON_GetObjectItemCaseSensitive(store, "entries");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(entries, "revisions");
        if (cJSON_IsNumber(n))
            revisions = n->valuedouble;
        if (first < 0 && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "starting")))
            first = now_s() - t0;
        cJSON_Delete(r);
    }
    printf("seconds=%.3f\nfirst_status_s=%.3f\npoll_interval_ms=%.0f\n", now_s() - t0, first,
           STORED_POLL_US / 1000.0);
    return 0;
}

int
main(int argc, char **argv)
{
    char request[512];
    long count, expected;
    double *total, *issue;
    int rc = 0;

    if (argc == 5 && strcmp(argv[1], "stored") == 0) {
        double n = strtod(argv[3], NULL), secs = strtod(argv[4], NULL);
        if (n < 1 || secs <= 0) {
            fputs("usage: cf_bench_fanout stored SOCKET COUNT TIMEOUT_S\n", stderr);
            return 2;
        }
        return stored(argv[2], n, secs);
    }
    if (argc != 5 || (count = strtol(argv[2], NULL, 10)) < 1 ||
        (expected = strtol(argv[3], NULL, 10)) < 1 || strlen(argv[4]) > 64) {
        fputs("usage: cf_bench_fanout SOCKET COUNT EXPECTED PREFIX\n", stderr);
        return 2;
    }
    total = calloc((size_t)count, sizeof(*total));
    issue = calloc((size_t)count, sizeof(*issue));
    if (!total || !issue)
        return 1;
    for (long i = 0; i < count && rc == 0; i++) {
        char number[96];
        snprintf(number, sizeof(number), "%s-%ld", argv[4], i + 1);
        snprintf(request, sizeof(request),
                 "{\"cmd\":\"directive.issue\",\"args\":{\"number\":\"%s\",\"kind\":\"advisory\","
                 "\"title\":\"bench fan-out %ld\"}}\n",
                 number, i + 1);
        double t0 = now_s();
        cJSON *r = ask(argv[1], request);
        issue[i] = (now_s() - t0) * 1000.0;
        if (!r) {
            fprintf(stderr, "cf_bench_fanout: directive %s was not issued\n", number);
            rc = 1;
            break;
        }
        cJSON_Delete(r);
        snprintf(request, sizeof(request),
                 "{\"cmd\":\"directive.wait\",\"args\":{\"number\":\"%s\",\"timeout_ms\":60000}}\n",
                 number);
        r = ask(argv[1], request);
        total[i] = (now_s() - t0) * 1000.0;
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(r, "received");
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "complete")) ||
            !cJSON_IsNumber(got) || got->valuedouble < (double)expected) {
            fprintf(stderr, "cf_bench_fanout: directive %s: not %ld receipts in 60 s\n", number,
                    expected);
            rc = 1;
        }
        cJSON_Delete(r);
    }
    if (rc == 0) {
        /* in issue order, before sorting: where the slow ones fall */
        printf("fanout_series_ms=");
        for (long i = 0; i < count; i++)
            printf("%s%.1f", i ? "," : "", total[i]);
        printf("\n");
        print_latencies("fanout", total, (size_t)count);
        print_latencies("issue", issue, (size_t)count);
    }
    free(total);
    free(issue);
    return rc;
}
