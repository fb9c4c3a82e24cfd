/*
 * progress.h - how far a long CLI operation is (an import now; bootstrap and
 * catch-up later). On a terminal one line is redrawn in place ("\r"), at most
 * ten times a second; otherwise (a log, a pipe) plain lines, one per tenth
 * of the way, or every `every` items when the total is unknown, so a log
 * stays short. Writes only to the FILE it is given; one thread.
 */
#ifndef CF_CLI_PROGRESS_H
#define CF_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The least time between two drawings of a terminal line. */
#define CF_PROGRESS_REDRAW_MS 100
/* Total unknown and not a terminal: a line every this many items by default. */
#define CF_PROGRESS_EVERY 1000

typedef struct cf_progress {
    FILE *out;
    bool tty;          /* redraw one line, or print lines */
    const char *label; /* "importing" (borrowed) */
    const char *unit;  /* "incidents" (borrowed) */
    uint64_t total;    /* 0: unknown */
    uint64_t done;
    uint64_t every;   /* total unknown, not a terminal: a line every this many */
    int64_t drawn_ms; /* when the terminal line was last drawn; -1: never */
    int tenth;        /* not a terminal: the last tenth printed; -1: none */
    uint64_t printed; /* not a terminal: the count of the last line printed */
    bool open;        /* a terminal line is drawn and not ended */
} cf_progress;

/**
 * Start reporting on out (borrowed, usually stderr; tty says whether it is a
 * terminal, e.g. isatty(fileno(stderr))). Nothing is printed yet.
 */
void cf_progress_begin(cf_progress *p, FILE *out, bool tty, const char *label, const char *unit,
                       uint64_t total);
/** The monotonic clock's milliseconds, for cf_progress_update. */
int64_t cf_progress_now_ms(void);
/** done items of total are done, at now_ms (any monotonic milliseconds). */
void cf_progress_update(cf_progress *p, uint64_t done, int64_t now_ms);
/** The last word: the final count (a terminal line is ended with a newline). */
void cf_progress_end(cf_progress *p);
/** End a terminal line where it is, so a message that follows stands on its
 * own line; no final count. Nothing on a non-terminal. */
void cf_progress_interrupt(cf_progress *p);

#endif
