/*
 * clock.c - the wall clock in milliseconds. Kept in one place so that the
 * node's "now never moves backwards" rule can be enforced here later.
 */
#include "common.h"

#include <time.h>

int64_t
cf_clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
