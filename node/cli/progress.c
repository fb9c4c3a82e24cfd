/*
 * progress.c - see progress.h: "importing: 37/120 incidents (30%)", redrawn
 * on a terminal, a line per tenth elsewhere.
 */
#include "node/cli/progress.h"

#include <time.h>

void
cf_progress_begin(cf_progress *p, FILE *out, bool tty, const char *label, const char *unit,
                  uint64_t total)
{
    p->out = out;
    p->tty = tty;
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->every = CF_PROGRESS_EVERY;
    p->drawn_ms = -1;
    p->tenth = -1;
    p->printed = 0;
    p->open = false;
}

static void
line(cf_progress *p)
{
    if (p->tty)
        fputc('\r', p->out);
    if (p->total)
        fprintf(p->out, "%s: %llu/%llu %s (%u%%)", p->label, (unsigned long long)p->done,
                (unsigned long long)p->total, p->unit,
                (unsigned)(p->done >= p->total ? 100 : p->done * 100 / p->total));
    else
        fprintf(p->out, "%s: %llu %s", p->label, (unsigned long long)p->done, p->unit);
    if (p->tty) {
        p->open = true;
    } else {
        fputc('\n', p->out);
        p->printed = p->done;
    }
    fflush(p->out);
}

void
cf_progress_update(cf_progress *p, uint64_t done, int64_t now_ms)
{
    p->done = done;
    if (p->tty) {
        bool last = p->total && done >= p->total;
        if (last || p->drawn_ms < 0 || now_ms - p->drawn_ms >= CF_PROGRESS_REDRAW_MS) {
            line(p);
            p->drawn_ms = now_ms;
        }
        return;
    }
    if (p->total) {
        /* a line each time another tenth is done */
        int tenth = (int)(done >= p->total ? 10 : done * 10 / p->total);
        if (tenth > p->tenth && tenth > 0) {
            p->tenth = tenth;
            line(p);
        }
    } else if (p->every && done / p->every > p->printed / p->every) {
        line(p);
    }
}

void
cf_progress_end(cf_progress *p)
{
    if (p->tty) {
        line(p);
        fputc('\n', p->out);
        fflush(p->out);
        p->open = false;
    } else if (p->printed != p->done || (p->tenth < 0 && p->done == 0)) {
        line(p);
    }
}

void
cf_progress_interrupt(cf_progress *p)
{
    if (p->tty && p->open) {
        fputc('\n', p->out);
        fflush(p->out);
        p->open = false;
    }
}

int64_t
cf_progress_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
