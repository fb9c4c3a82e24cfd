/*
 * log.c - the logging facade: one line per event, to stderr by default.
 * Library code never logs; programs set the sink once before starting threads.
 */
#include "common.h"

#include <stdio.h>
#include <time.h>

static void
stderr_sink(cf_log_level level, const char *line, void *ctx)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    struct timespec ts;
    struct tm tm;
    char when[32];

    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s\n", when, ts.tv_nsec / 1000000, names[level], line);
}

static cf_log_sink sink = stderr_sink;
static void *sink_ctx;
static cf_log_level min_level = CF_LOG_INFO;

void
cf_log_set_sink(cf_log_sink s, void *ctx)
{
    sink = s ? s : stderr_sink;
    sink_ctx = ctx;
}

void
cf_log_set_level(cf_log_level level)
{
    min_level = level;
}

void
cf_log(cf_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    sink(level, line, sink_ctx);
}
