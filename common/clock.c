/*
 * clock.c - the wall clock in milliseconds, which never runs backwards: a
 * node's "now" stamps what it signs and judges what expires, so a wall
 * clock set back (by an operator, NTP stepping, a VM resumed) must not make
 * it re-live a moment. The floor is the latest time handed out, or raised
 * from the store at start (the time of the last message signed).
 */
#include "common.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t floor_ms;
static atomic_uint_fast64_t behind_count;

int64_t
cf_clock_now_ms(void)
{
    struct timespec ts;
    int64_t now, prev;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    prev = atomic_load(&floor_ms);
    while (now > prev) {
        if (atomic_compare_exchange_weak(&floor_ms, &prev, now))
            return now;
    }
    if (now < prev)
        atomic_fetch_add(&behind_count, 1);
    return prev;
}

void
cf_clock_raise_floor(int64_t ms)
{
    int64_t prev = atomic_load(&floor_ms);

    while (ms > prev && !atomic_compare_exchange_weak(&floor_ms, &prev, ms))
        ;
}

uint64_t
cf_clock_behind_count(void)
{
    return atomic_load(&behind_count);
}
