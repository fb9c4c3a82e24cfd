/*
 * test_cli_progress.c - node/cli/progress.c: a line redrawn in place on a
 * terminal (at most every CF_PROGRESS_REDRAW_MS), a line per tenth in a log,
 * a line every `every` items when the total is unknown.
 */
#include "check.h"
#include "node/cli/progress.h"

#include <stdlib.h>
#include <string.h>

/* Run fn on a progress writing to memory; the text written. */
static char *
capture(void (*fn)(cf_progress *), bool tty, uint64_t total)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_progress p;

    if (!f)
        abort();
    cf_progress_begin(&p, f, tty, "importing", "incidents", total);
    fn(&p);
    fclose(f);
    return buf;
}

static size_t
count(const char *s, const char *what)
{
    size_t n = 0;

    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* 120 items, 1 ms apart */
static void
steady(cf_progress *p)
{
    for (uint64_t i = 1; i <= 120; i++)
        cf_progress_update(p, i, 1000 + (int64_t)i);
    cf_progress_end(p);
}

static void
slow(cf_progress *p)
{
    for (uint64_t i = 1; i <= 5; i++)
        cf_progress_update(p, i, 1000 + 150 * (int64_t)i);
    cf_progress_end(p);
}

static void
stopped(cf_progress *p)
{
    for (uint64_t i = 1; i <= 37; i++)
        cf_progress_update(p, i, 1000 + 200 * (int64_t)i);
    cf_progress_interrupt(p);
    fputs("certfed: refused\n", p->out);
}

static void
unknown_total(cf_progress *p)
{
    p->every = 10;
    for (uint64_t i = 1; i <= 35; i++)
        cf_progress_update(p, i, 1000);
    cf_progress_end(p);
}

static void
stopped_in_log(cf_progress *p)
{
    for (uint64_t i = 1; i <= 15; i++)
        cf_progress_update(p, i, 1000);
    cf_progress_end(p);
}

int
main(void)
{
    char *out;

    /* a log: ten lines, one per tenth, the last at 100% */
    out = capture(steady, false, 120);
    CHECK(count(out, "\n") == 10);
    CHECK(count(out, "\r") == 0);
    CHECK(strncmp(out, "importing: 12/120 incidents (10%)\n", 34) == 0);
    CHECK(strstr(out, "importing: 60/120 incidents (50%)\n") != NULL);
    CHECK(strstr(out, "importing: 120/120 incidents (100%)\n") != NULL);
    free(out);

    /* a terminal: one line redrawn; 120 updates in 120 ms draw it twice,
     * plus the last count and the final drawing */
    out = capture(steady, true, 120);
    CHECK(count(out, "\n") == 1);
    CHECK(count(out, "\r") >= 3 && count(out, "\r") <= 5);
    CHECK(strncmp(out, "\rimporting: 1/120 incidents (0%)", 32) == 0);
    CHECK(strstr(out, "\rimporting: 120/120 incidents (100%)\n") != NULL);
    free(out);

    /* slow updates are each drawn */
    out = capture(slow, true, 5);
    CHECK(count(out, "\r") == 6);
    free(out);

    /* an interruption ends the line so the message stands alone */
    out = capture(stopped, true, 50);
    CHECK(strstr(out, "(74%)\ncertfed: refused\n") != NULL);
    CHECK(count(out, "\n") == 2);
    free(out);
    out = capture(stopped, false, 50);
    CHECK(strstr(out, "importing: 35/50 incidents (70%)\ncertfed: refused\n") != NULL);
    free(out);

    /* a total not reached: the last count is said at the end */
    out = capture(stopped_in_log, false, 40);
    CHECK(strstr(out, "importing: 12/40 incidents (30%)\nimporting: 15/40 incidents (37%)\n") !=
          NULL);
    free(out);

    /* no total: every `every` items, and the end */
    out = capture(unknown_total, false, 0);
    CHECK(strcmp(out, "importing: 10 incidents\nimporting: 20 incidents\nimporting: 30 "
                      "incidents\nimporting: 35 incidents\n") == 0);
    free(out);
    return check_done("test_cli_progress");
}
