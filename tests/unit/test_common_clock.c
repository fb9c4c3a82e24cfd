/*
 * test_common_clock.c - "now" never runs backwards: not between calls, not
 * below a floor raised from the store, and it counts how often the wall
 * clock was found behind.
 */
#include "check.h"
#include "common/common.h"

#include <time.h>

int
main(void)
{
    int64_t a = cf_clock_now_ms(), b;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    CHECK(a > 1700000000000LL);          /* a wall clock, in milliseconds */
    CHECK(a <= wall && wall - a < 1000); /* and the real one */
    for (int i = 0; i < 100000; i++) {
        b = cf_clock_now_ms();
        if (b < a) {
            CHECK(b >= a);
            break;
        }
        a = b;
    }
    CHECK(cf_clock_behind_count() == 0);

    /* a floor an hour ahead, as if the wall clock had been set back an
     * hour since the last signature: time stands still there */
    int64_t floor = cf_clock_now_ms() + 3600 * 1000;
    cf_clock_raise_floor(floor);
    CHECK(cf_clock_now_ms() == floor);
    CHECK(cf_clock_now_ms() == floor);
    CHECK(cf_clock_behind_count() >= 2);
    /* a lower floor changes nothing */
    cf_clock_raise_floor(floor - 5000);
    CHECK(cf_clock_now_ms() == floor);
    return check_done("test_common_clock");
}
