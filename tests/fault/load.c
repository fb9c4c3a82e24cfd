/*
 * load.c - cf_load: an analyst who never stops. Sends COUNT requests of one
 * kind to one node through its control socket, one request per connection
 * as the CLI does, and says how many the node signed and stored. A refused
 * or unanswered request is tried again (the node may be busy or
 * restarting) until DEADLINE seconds have passed.
 *
 * cf_load SOCKET COUNT KIND [ARG [DEADLINE]]
 *     KIND: incident (ARG: severity, default medium), directive (the
 *     Council's; ARG unused), task (ARG: the assignee).
 *     Prints "sent N of COUNT KINDs in S s (R/s), F retries" and exits 0 if
 *     all were sent, 1 otherwise, 2 on bad usage.
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
    if (argc < 4 || argc > 6) {
        fputs("usage: cf_load SOCKET COUNT incident|directive|task [ARG [DEADLINE]]\n", stderr);
        return 2;
    }
    const char *path = argv[1];
    long count = strtol(argv[2], NULL, 10);
    const char *kind = argv[3];
    const char *arg = argc > 4 ? argv[4] : strcmp(kind, "incident") == 0 ? "medium" : "";
    long deadline_s = argc > 5 ? strtol(argv[5], NULL, 10) : 120;
    int64_t start = cf_clock_now_ms(), deadline = start + deadline_s * 1000;
    long done = 0, retries = 0;
    char request[256];

    if (count < 1 || deadline_s < 1 || strlen(arg) > 32 ||
        (strcmp(kind, "incident") != 0 && strcmp(kind, "directive") != 0 &&
         (strcmp(kind, "task") != 0 || !arg[0]))) {
        fputs("cf_load: COUNT and DEADLINE must be positive; KIND incident, directive or "
              "task ASSIGNEE\n",
              stderr);
        return 2;
    }
    while (done < count && cf_clock_now_ms() < deadline) {
        if (strcmp(kind, "incident") == 0)
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"incident.report\",\"args\":{\"title\":\"load %ld\","
                     "\"severity\":\"%s\"}}\n",
                     done + 1, arg);
        else if (strcmp(kind, "directive") == 0)
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"directive.issue\",\"args\":{\"title\":\"load %ld\"}}\n", done + 1);
        else
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"task.assign\",\"args\":{\"assignees\":[\"%s\"],"
                     "\"kind\":\"investigate\",\"instructions\":\"load %ld\"}}\n",
                     arg, done + 1);
        if (report(path, request)) {
            done++;
        } else {
            retries++;
            usleep(20000);
        }
    }
    double secs = (double)(cf_clock_now_ms() - start) / 1000.0;
    printf("sent %ld of %ld %ss in %.1f s (%.0f/s), %ld retries\n", done, count, kind, secs,
           secs > 0 ? (double)done / secs : 0.0, retries);
    return done == count ? 0 : 1;
}
