/*
 * check.h - the tiny assertion vocabulary of certfed's C tests. A failed
 * check prints where and what, and the test goes on, so one run shows every
 * failure; check_done() turns the count into the exit status ctest reads.
 */
#ifndef CF_TEST_CHECK_H
#define CF_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* Compare two cf_status values and name both on failure. */
#define CHECK_ST(got, want)                                                                        \
    do {                                                                                           \
        int got_ = (int)(got), want_ = (int)(want);                                                \
        check_count++;                                                                             \
        if (got_ != want_) {                                                                       \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s is %s, expected %s\n", __FILE__, __LINE__, #got,            \
                    cf_status_str((cf_status)got_), cf_status_str((cf_status)want_));              \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *got_ = (got), *want_ = (want);                                                 \
        check_count++;                                                                             \
        if (!got_ || !want_ || strcmp(got_, want_) != 0) {                                         \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got,    \
                    got_ ? got_ : "(null)", want_ ? want_ : "(null)");                             \
        }                                                                                          \
    } while (0)

/* Call at the end of main: prints a summary, returns the exit status. */
static inline int
check_done(const char *name)
{
    if (check_count == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
