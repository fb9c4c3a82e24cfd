/*
 * test_node_store.c - node/store.c, the LMDB wrapper: open (and refusing a file),
 * put/get/del in every table, no_overwrite, abort vs commit across a reopen,
 * prefix scans with early stop, a full map, stats. One temporary dir per test.
 */
#include "check.h"
#include "harness/harness.h"
#include "node/store.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAP_SIZE ((size_t)16 << 20)

/* ---- temporary directories ------------------------------------------------- */

static char *
tmpdir_new(const char *tag)
{
    char *path = h_tmpdir(tag);

    if (!path)
        abort();
    return path;
}

static void
tmpdir_free(char *dir)
{
    h_rmtree(dir);
    free(dir);
}

/* dir/name, malloc'ed */
static char *
join(const char *dir, const char *name)
{
    char *p = cf_path_join(dir, name);

    if (!p)
        abort();
    return p;
}

static cf_store *
open_or_die(const char *dir, size_t map_size)
{
    cf_store *s = NULL;
    char err[256] = "";

    if (cf_store_open(dir, map_size, &s, err, sizeof(err)) != CF_OK) {
        fprintf(stderr, "cannot open a store in %s: %s\n", dir, err);
        abort();
    }
    return s;
}

/* Does key hold exactly want (a NUL-terminated string) in table? */
static bool
holds(cf_txn *t, cf_table table, const char *key, const char *want)
{
    cf_buf v;
    bool ok;

    cf_buf_init(&v);
    ok = cf_txn_get(t, table, key, strlen(key), &v) == CF_OK && v.len == strlen(want) &&
         memcmp(v.data, want, v.len) == 0;
    cf_buf_clear(&v);
    return ok;
}

static cf_status
put_str(cf_txn *t, cf_table table, const char *key, const char *val, bool no_overwrite)
{
    return cf_txn_put(t, table, key, strlen(key), val, strlen(val), no_overwrite);
}

/* ---- open ------------------------------------------------------------------- */

static void
test_open(void)
{
    char *dir = tmpdir_new("store-open");
    char *sub = join(dir, "store");
    char *file = join(dir, "plain-file");
    char *deep = join(dir, "missing/parent/store");
    cf_store *s = NULL;
    char err[256] = "";
    struct stat sb;
    FILE *f;

    /* a new directory is created, private to us */
    CHECK_ST(cf_store_open(sub, MAP_SIZE, &s, err, sizeof(err)), CF_OK);
    CHECK(s != NULL);
    CHECK(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700);
    cf_store_close(s);

    /* an existing one opens again */
    s = NULL;
    CHECK_ST(cf_store_open(sub, MAP_SIZE, &s, err, sizeof(err)), CF_OK);
    CHECK(s != NULL);
    cf_store_close(s);

    /* a path that is a regular file */
    f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("not a store\n", f);
        fclose(f);
    }
    s = NULL;
    err[0] = 0;
    CHECK_ST(cf_store_open(file, MAP_SIZE, &s, err, sizeof(err)), CF_E_IO);
    CHECK(err[0] != 0);
    CHECK(s == NULL);

    /* a directory whose parent does not exist */
    err[0] = 0;
    CHECK_ST(cf_store_open(deep, MAP_SIZE, &s, err, sizeof(err)), CF_E_IO);
    CHECK(err[0] != 0);
    CHECK(s == NULL);

    cf_store_close(NULL); /* accepted, does nothing */
    cf_txn_abort(NULL);

    free(sub);
    free(file);
    free(deep);
    tmpdir_free(dir);
}

/* ---- put, get, del ------------------------------------------------------------- */

static void
test_tables(void)
{
    char *dir = tmpdir_new("store-tables");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    cf_txn *t = NULL;
    cf_buf v;
    char val[32];

    cf_buf_init(&v);
    /* the same key in every table holds a value of its own */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        snprintf(val, sizeof(val), "value-of-table-%d", i);
        CHECK_ST(put_str(t, (cf_table)i, "key", val, false), CF_OK);
    }
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        snprintf(val, sizeof(val), "value-of-table-%d", i);
        CHECK(holds(t, (cf_table)i, "key", val));
    }
    CHECK_ST(cf_txn_commit(t), CF_OK);

    /* committed: a read transaction sees them all */
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        snprintf(val, sizeof(val), "value-of-table-%d", i);
        CHECK(holds(t, (cf_table)i, "key", val));
    }
    /* a read transaction refuses a write */
    CHECK_ST(put_str(t, CF_T_META, "other", "x", false), CF_E_IO);
    cf_txn_abort(t);

    /* overwrite, no_overwrite, delete, in each table */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        snprintf(val, sizeof(val), "value-of-table-%d", i);
        CHECK_ST(put_str(t, (cf_table)i, "key", "clobber", true), CF_E_EXISTS);
        CHECK(holds(t, (cf_table)i, "key", val)); /* unchanged */
        CHECK_ST(put_str(t, (cf_table)i, "key", "replaced", false), CF_OK);
        CHECK(holds(t, (cf_table)i, "key", "replaced"));
        CHECK_ST(put_str(t, (cf_table)i, "fresh", "new", true), CF_OK);
        CHECK(holds(t, (cf_table)i, "fresh", "new"));
        CHECK_ST(cf_txn_del(t, (cf_table)i, "key", 3), CF_OK);
        CHECK_ST(cf_txn_get(t, (cf_table)i, "key", 3, &v), CF_E_NOT_FOUND);
        CHECK_ST(cf_txn_del(t, (cf_table)i, "key", 3), CF_E_NOT_FOUND);
        /* deleting in one table leaves the next one alone */
        if (i + 1 < CF_TABLE_COUNT) {
            snprintf(val, sizeof(val), "value-of-table-%d", i + 1);
            CHECK(holds(t, (cf_table)(i + 1), "key", val));
        }
    }
    CHECK_ST(cf_txn_commit(t), CF_OK);

    /* binary keys and values, NULs included, and an empty value */
    {
        const uint8_t bkey[] = {0, 1, 2, 0, 0xff};
        const uint8_t bval[] = {0xde, 0, 0xad, 0, 0xbe, 0xef};
        CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
        CHECK_ST(cf_txn_put(t, CF_T_LOG, bkey, sizeof(bkey), bval, sizeof(bval), true), CF_OK);
        CHECK_ST(cf_txn_put(t, CF_T_LOG, "empty", 5, "", 0, true), CF_OK);
        CHECK_ST(cf_txn_commit(t), CF_OK);
        CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
        CHECK_ST(cf_txn_get(t, CF_T_LOG, bkey, sizeof(bkey), &v), CF_OK);
        CHECK(v.len == sizeof(bval) && memcmp(v.data, bval, sizeof(bval)) == 0);
        /* a prefix of a key is another key */
        CHECK_ST(cf_txn_get(t, CF_T_LOG, bkey, sizeof(bkey) - 1, &v), CF_E_NOT_FOUND);
        CHECK_ST(cf_txn_get(t, CF_T_LOG, "empty", 5, &v), CF_OK);
        CHECK(v.len == 0);
        cf_txn_abort(t);
    }

    cf_buf_clear(&v);
    cf_store_close(s);
    tmpdir_free(dir);
}

/* A missing key: CF_E_NOT_FOUND, and the out buffer keeps what it had (the
 * rule for out-parameters: untouched on failure). */
static void
test_get_missing(void)
{
    char *dir = tmpdir_new("store-missing");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    cf_txn *t = NULL;
    cf_buf v;

    cf_buf_init(&v);
    CHECK_ST(cf_buf_append(&v, "previous", 8), CF_OK);
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    CHECK_ST(cf_txn_get(t, CF_T_TASKS, "nope", 4, &v), CF_E_NOT_FOUND);
    CHECK(v.len == 8 && memcmp(v.data, "previous", 8) == 0);
    cf_txn_abort(t);

    /* a found value replaces the buffer's contents, it is not appended */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(put_str(t, CF_T_TASKS, "yes", "v", false), CF_OK);
    CHECK_ST(cf_txn_get(t, CF_T_TASKS, "yes", 3, &v), CF_OK);
    CHECK(v.len == 1 && v.data[0] == 'v');
    CHECK_ST(cf_txn_commit(t), CF_OK);

    cf_buf_clear(&v);
    cf_store_close(s);
    tmpdir_free(dir);
}

/* ---- abort, commit, reopen ------------------------------------------------------- */

static void
test_abort_commit(void)
{
    char *dir = tmpdir_new("store-durable");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    cf_store_stats stats;
    cf_txn *t = NULL;
    cf_buf v;

    cf_buf_init(&v);
    /* an aborted write leaves nothing */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(put_str(t, CF_T_OUTBOX, "aborted", "1", false), CF_OK);
    CHECK_ST(put_str(t, CF_T_MARKS, "aborted", "1", false), CF_OK);
    cf_txn_abort(t);
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    CHECK_ST(cf_txn_get(t, CF_T_OUTBOX, "aborted", 7, &v), CF_E_NOT_FOUND);
    CHECK_ST(cf_txn_get(t, CF_T_MARKS, "aborted", 7, &v), CF_E_NOT_FOUND);
    cf_txn_abort(t);
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_OUTBOX] == 0 && stats.entries[CF_T_MARKS] == 0);

    /* a committed one survives a close and a reopen */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(put_str(t, CF_T_OUTBOX, "kept", "yes", false), CF_OK);
    CHECK_ST(put_str(t, CF_T_MARKS, "kept", "also", false), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);
    /* and an abort after it takes back only its own writes */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(cf_txn_del(t, CF_T_OUTBOX, "kept", 4), CF_OK);
    CHECK_ST(put_str(t, CF_T_MARKS, "kept", "changed", false), CF_OK);
    cf_txn_abort(t);
    cf_store_close(s);

    s = open_or_die(dir, MAP_SIZE);
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    CHECK(holds(t, CF_T_OUTBOX, "kept", "yes"));
    CHECK(holds(t, CF_T_MARKS, "kept", "also"));
    CHECK_ST(cf_txn_get(t, CF_T_OUTBOX, "aborted", 7, &v), CF_E_NOT_FOUND);
    cf_txn_abort(t);
    cf_store_close(s);

    cf_buf_clear(&v);
    tmpdir_free(dir);
}

/* ---- scans ----------------------------------------------------------------------- */

typedef struct scan_log {
    char seen[16][16];
    char vals[16][16];
    int n;
    int stop_after; /* 0: never */
    cf_status stop_with;
} scan_log;

static cf_status
record_key(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *ctx)
{
    scan_log *l = ctx;

    if (l->n < 16 && klen < 16 && vlen < 16) {
        memcpy(l->seen[l->n], key, klen);
        l->seen[l->n][klen] = 0;
        memcpy(l->vals[l->n], val, vlen);
        l->vals[l->n][vlen] = 0;
    }
    l->n++;
    if (l->stop_after && l->n >= l->stop_after)
        return l->stop_with;
    return CF_OK;
}

/* The keys a scan saw, joined by ',' */
static const char *
seen(const scan_log *l, char *out, size_t outlen)
{
    out[0] = 0;
    for (int i = 0; i < l->n && i < 16; i++) {
        if (i)
            strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, l->seen[i], outlen - strlen(out) - 1);
    }
    return out;
}

static void
test_scan(void)
{
    char *dir = tmpdir_new("store-scan");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    /* inserted out of order on purpose */
    static const char *const keys[] = {"b", "ab2", "ac", "ab10", "ab", "a", "ab1", "abc"};
    cf_txn *t = NULL;
    scan_log l;
    char buf[256];

    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    for (size_t i = 0; i < CF_ARRAY_LEN(keys); i++) {
        char val[16];
        snprintf(val, sizeof(val), "v-%s", keys[i]);
        CHECK_ST(put_str(t, CF_T_TASK_STATES, keys[i], val, false), CF_OK);
    }
    /* a key in another table never shows up */
    CHECK_ST(put_str(t, CF_T_TASKS, "ab0", "other table", false), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);

    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);

    memset(&l, 0, sizeof(l));
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "ab", 2, record_key, &l), CF_OK);
    CHECK_STR(seen(&l, buf, sizeof(buf)), "ab,ab1,ab10,ab2,abc");
    CHECK_STR(l.vals[1], "v-ab1"); /* the value goes with its key */

    /* CF_E_EXISTS from the callback stops early, and the scan succeeds */
    memset(&l, 0, sizeof(l));
    l.stop_after = 2;
    l.stop_with = CF_E_EXISTS;
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "ab", 2, record_key, &l), CF_OK);
    CHECK_STR(seen(&l, buf, sizeof(buf)), "ab,ab1");

    /* any other status stops and comes back */
    memset(&l, 0, sizeof(l));
    l.stop_after = 3;
    l.stop_with = CF_E_MALFORMED;
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "ab", 2, record_key, &l), CF_E_MALFORMED);
    CHECK(l.n == 3);

    /* the empty prefix visits everything, in key order */
    memset(&l, 0, sizeof(l));
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, NULL, 0, record_key, &l), CF_OK);
    CHECK_STR(seen(&l, buf, sizeof(buf)), "a,ab,ab1,ab10,ab2,abc,ac,b");

    /* a longer prefix */
    memset(&l, 0, sizeof(l));
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "ab1", 3, record_key, &l), CF_OK);
    CHECK_STR(seen(&l, buf, sizeof(buf)), "ab1,ab10");

    /* a prefix that matches nothing, inside the range and past its end */
    memset(&l, 0, sizeof(l));
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "aa", 2, record_key, &l), CF_OK);
    CHECK(l.n == 0);
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "zz", 2, record_key, &l), CF_OK);
    CHECK(l.n == 0);
    /* a prefix longer than every key that starts like it */
    CHECK_ST(cf_txn_scan(t, CF_T_TASK_STATES, "abcd", 4, record_key, &l), CF_OK);
    CHECK(l.n == 0);

    /* an empty table */
    CHECK_ST(cf_txn_scan(t, CF_T_REVOKED, NULL, 0, record_key, &l), CF_OK);
    CHECK(l.n == 0);
    cf_txn_abort(t);

    cf_store_close(s);
    tmpdir_free(dir);
}

/* A key that starts with a NUL-separated prefix: what state.c builds. */
static void
test_scan_binary_prefix(void)
{
    char *dir = tmpdir_new("store-scan-bin");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    cf_txn *t = NULL;
    scan_log l;

    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(cf_txn_put(t, CF_T_HOLDERS, "inc-1\0ncert", 11, "1", 1, false), CF_OK);
    CHECK_ST(cf_txn_put(t, CF_T_HOLDERS, "inc-1\0banking", 13, "2", 1, false), CF_OK);
    CHECK_ST(cf_txn_put(t, CF_T_HOLDERS, "inc-10\0ncert", 12, "3", 1, false), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    memset(&l, 0, sizeof(l));
    CHECK_ST(cf_txn_scan(t, CF_T_HOLDERS, "inc-1", 6, record_key, &l), CF_OK); /* NUL included */
    CHECK(l.n == 2);
    CHECK(l.n == 2 && strcmp(l.vals[0], "2") == 0 && strcmp(l.vals[1], "1") == 0);
    cf_txn_abort(t);
    cf_store_close(s);
    tmpdir_free(dir);
}

/* ---- a full map ---------------------------------------------------------------------- */

static void
test_full(void)
{
    char *dir = tmpdir_new("store-full");
    cf_store *s = open_or_die(dir, (size_t)64 << 10);
    cf_txn *t = NULL;
    cf_store_stats stats;
    uint8_t val[1000];
    char key[32];
    cf_status st = CF_OK;
    int committed = 0;
    cf_buf v;

    cf_buf_init(&v);
    memset(val, 0xab, sizeof(val));
    /* one value per transaction, so the last good one is known */
    for (int i = 0; i < 1000 && st == CF_OK; i++) {
        snprintf(key, sizeof(key), "key-%04d", i);
        st = cf_txn_begin(s, true, &t);
        if (st != CF_OK)
            break;
        st = cf_txn_put(t, CF_T_LOG, key, strlen(key), val, sizeof(val), false);
        if (st == CF_OK) {
            st = cf_txn_commit(t);
            if (st == CF_OK)
                committed++;
        } else {
            cf_txn_abort(t);
        }
    }
    CHECK_ST(st, CF_E_FULL);
    CHECK(committed > 0 && committed < 1000);

    /* many values in one transaction fail the same way */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    st = CF_OK;
    for (int i = 0; i < 1000 && st == CF_OK; i++) {
        snprintf(key, sizeof(key), "bulk-%04d", i);
        st = cf_txn_put(t, CF_T_OUTBOX, key, strlen(key), val, sizeof(val), false);
    }
    if (st == CF_OK)
        st = cf_txn_commit(t);
    else
        cf_txn_abort(t);
    CHECK_ST(st, CF_E_FULL);

    /* what was committed is still readable; the failed batch left nothing */
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_LOG] == (size_t)committed);
    CHECK(stats.entries[CF_T_OUTBOX] == 0);
    CHECK(stats.map_size == (size_t)64 << 10);
    CHECK(stats.used_bytes > 0 && stats.used_bytes <= stats.map_size);
    cf_store_close(s);

    /* the store opens again and reads */
    s = open_or_die(dir, (size_t)64 << 10);
    CHECK_ST(cf_txn_begin(s, false, &t), CF_OK);
    CHECK_ST(cf_txn_get(t, CF_T_LOG, "key-0000", 8, &v), CF_OK);
    CHECK(v.len == sizeof(val) && memcmp(v.data, val, sizeof(val)) == 0);
    snprintf(key, sizeof(key), "key-%04d", committed - 1);
    CHECK_ST(cf_txn_get(t, CF_T_LOG, key, strlen(key), &v), CF_OK);
    snprintf(key, sizeof(key), "key-%04d", committed);
    CHECK_ST(cf_txn_get(t, CF_T_LOG, key, strlen(key), &v), CF_E_NOT_FOUND);
    cf_txn_abort(t);
    cf_store_close(s);

    /* reopened with a larger map, it takes more */
    s = open_or_die(dir, (size_t)1 << 20);
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(cf_txn_put(t, CF_T_LOG, "after", 5, val, sizeof(val), false), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_LOG] == (size_t)committed + 1);
    cf_store_close(s);

    cf_buf_clear(&v);
    tmpdir_free(dir);
}

/* ---- stats ----------------------------------------------------------------------------- */

static void
test_stats(void)
{
    char *dir = tmpdir_new("store-stats");
    cf_store *s = open_or_die(dir, MAP_SIZE);
    cf_store_stats stats;
    cf_txn *t = NULL;
    char key[16];

    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.map_size == MAP_SIZE);
    for (int i = 0; i < CF_TABLE_COUNT; i++)
        CHECK(stats.entries[i] == 0);

    /* table i gets i + 1 entries */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        for (int j = 0; j <= i; j++) {
            snprintf(key, sizeof(key), "k%d", j);
            CHECK_ST(put_str(t, (cf_table)i, key, "v", false), CF_OK);
        }
    }
    /* an overwrite is not a new entry */
    CHECK_ST(put_str(t, CF_T_LOG, "k0", "again", false), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    for (int i = 0; i < CF_TABLE_COUNT; i++)
        CHECK(stats.entries[i] == (size_t)i + 1);
    CHECK(stats.used_bytes > 0 && stats.used_bytes <= stats.map_size);

    /* an aborted delete changes no count, a committed one does */
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(cf_txn_del(t, CF_T_REVOKED, "k0", 2), CF_OK);
    cf_txn_abort(t);
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_REVOKED] == (size_t)CF_T_REVOKED + 1);
    CHECK_ST(cf_txn_begin(s, true, &t), CF_OK);
    CHECK_ST(cf_txn_del(t, CF_T_REVOKED, "k0", 2), CF_OK);
    CHECK_ST(cf_txn_commit(t), CF_OK);
    CHECK_ST(cf_store_stats_get(s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_REVOKED] == (size_t)CF_T_REVOKED);
    CHECK(stats.entries[CF_T_LOG] == 1);

    cf_store_close(s);
    tmpdir_free(dir);
}

int
main(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    test_open();
    test_tables();
    test_get_missing();
    test_abort_commit();
    test_scan();
    test_scan_binary_prefix();
    test_full();
    test_stats();
    return check_done("test_node_store");
}
