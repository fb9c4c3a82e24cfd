/*
 * load.c - cf_load: an analyst who never stops. Reports COUNT incidents to
 * one node through its control socket, one request per connection as the
 * CLI does, and says how many the node signed and stored. A refused or
 * unanswered request is tried again (the node may be busy or restarting)
 * until DEADLINE seconds have passed.
 *
 * cf_load SOCKET COUNT [SEVERITY [DEADLINE]]
 *     prints "reported N of COUNT in S s (R/s), F retries" and exits 0 if
 *     all were reported, 1 otherwise, 2 on bad usage.
 */
#include "common/common.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* One request, one answer line; true if the node answered "ok": true. */
static bool
report(const char *path, const char *request)
{
    struct sockaddr_un sa;
    char answer[4096];
    size_t got = 0;
    bool ok = false;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0)
        return false;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto out;
    size_t len = strlen(request);
    if (write(fd, request, len) != (ssize_t)len)
        goto out;
    while (got < sizeof(answer) - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 15000) <= 0)
            goto out;
        ssize_t r = read(fd, answer + got, sizeof(answer) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(answer, '\n', got))
            break;
    }
    answer[got] = 0;
    ok = strstr(answer, "\"ok\":true") != NULL;
out:
    close(fd);
    return ok;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fputs("usage: cf_load SOCKET COUNT [SEVERITY [DEADLINE]]\n", stderr);
        return 2;
    }
    const char *path = argv[1];
    long count = strtol(argv[2], NULL, 10);
    const char *severity = argc > 3 ? argv[3] : "medium";
    long deadline_s = argc > 4 ? strtol(argv[4], NULL, 10) : 120;
    int64_t start = cf_clock_now_ms(), deadline = start + deadline_s * 1000;
    long done = 0, retries = 0;
    char request[256];

    if (count < 1 || deadline_s < 1 || strlen(severity) > 16) {
        fputs("cf_load: COUNT and DEADLINE must be positive\n", stderr);
        return 2;
    }
    while (done < count && cf_clock_now_ms() < deadline) {
        snprintf(request, sizeof(request),
                 "{\"cmd\":\"incident.report\",\"args\":{\"title\":\"load %ld\","
                 "\"severity\":\"%s\"}}\n",
                 done + 1, severity);
        if (report(path, request)) {
            done++;
        } else {
            retries++;
            usleep(20000);
        }
    }
    double secs = (double)(cf_clock_now_ms() - start) / 1000.0;
    printf("reported %ld of %ld in %.1f s (%.0f/s), %ld retries\n", done, count, secs,
           secs > 0 ? (double)done / secs : 0.0, retries);
    return done == count ? 0 : 1;
}
