/*
 * store.c - the LMDB wrapper: one environment, a named database per table,
 * LMDB's codes translated in one place. Values are copied out of LMDB's
 * memory before the transaction ends. One thread uses a store.
 */
#include "node/store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const table_names[CF_TABLE_COUNT] = {
    [CF_T_LOG] = "log",
    [CF_T_IDS] = "ids",
    [CF_T_MARKS] = "marks",
    [CF_T_META] = "meta",
    [CF_T_OLD_INCIDENTS] = "incidents",
    [CF_T_REVISIONS] = "revisions",
    [CF_T_HOLDERS] = "holders",
    [CF_T_TASKS] = "tasks",
    [CF_T_TASK_STATES] = "task_states",
    [CF_T_DIRECTIVES] = "directives",
    [CF_T_ACKS] = "acks",
    [CF_T_OUTBOX] = "outbox",
    [CF_T_CERTS] = "certs",
    [CF_T_REVOKED] = "revoked",
    [CF_T_OLD_RECEIPTS] = "receipts",
    [CF_T_EVIDENCE] = "evidence",
    [CF_T_QUARANTINE] = "quarantine",
    [CF_T_OPENED] = "opened",
    [CF_T_TRUSTDOCS] = "trustdocs",
    [CF_T_RECEIPTED] = "receipted",
    [CF_T_NOTES] = "notes",
};

const char *
cf_table_name(cf_table t)
{
    return table_names[t];
}

bool
cf_table_retired(cf_table t)
{
    return t == CF_T_OLD_INCIDENTS || t == CF_T_OLD_RECEIPTS;
}

struct cf_store {
    MDB_env *env;
    MDB_dbi dbi[CF_TABLE_COUNT];
    uint64_t commits; /* write transactions committed */
};

struct cf_txn {
    cf_store *s;
    MDB_txn *txn;
    bool write;
};

/* LMDB's codes, translated once. */
static cf_status
from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return CF_OK;
    case MDB_NOTFOUND:
        return CF_E_NOT_FOUND;
    case MDB_KEYEXIST:
        return CF_E_EXISTS;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case ENOSPC:
        return CF_E_FULL;
    case ENOMEM:
        return CF_E_NOMEM;
    default:
        return CF_E_IO;
    }
}

cf_status
cf_store_open(const char *dir, size_t map_size, cf_store **out, char *err, size_t errlen)
{
    cf_store *s = calloc(1, sizeof(*s));
    MDB_txn *txn = NULL;
    int rc;

    if (!s)
        return CF_E_NOMEM;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create store directory %s: %s", dir, strerror(errno));
        free(s);
        return CF_E_IO;
    }
    rc = mdb_env_create(&s->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(s->env, CF_TABLE_COUNT);
    if (rc == 0)
        rc = mdb_env_set_mapsize(s->env, map_size);
    /* MDB_NOTLS: transactions belong to our loop thread, not to a TLS slot */
    if (rc == 0)
        rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open store %s: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < CF_TABLE_COUNT; i++)
        rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &s->dbi[i]);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot open the tables of store %s: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    *out = s;
    return CF_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (s->env)
        mdb_env_close(s->env);
    free(s);
    return rc == ENOMEM ? CF_E_NOMEM : CF_E_IO;
}

void
cf_store_close(cf_store *s)
{
    if (!s)
        return;
    mdb_env_close(s->env);
    free(s);
}

cf_status
cf_store_stats_get(cf_store *s, cf_store_stats *out)
{
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn;
    cf_store_stats r;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = mdb_env_info(s->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(s->env, &st);
    if (rc != 0)
        return from_mdb(rc);
    r.map_size = info.me_mapsize;
    r.used_bytes = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return from_mdb(rc);
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        if (mdb_stat(txn, s->dbi[i], &st) == 0)
            r.entries[i] = st.ms_entries;
    }
    mdb_txn_abort(txn);
    *out = r;
    return CF_OK;
}

cf_status
cf_txn_begin(cf_store *s, bool write, cf_txn **out)
{
    cf_txn *t = calloc(1, sizeof(*t));
    int rc;

    if (!t)
        return CF_E_NOMEM;
    rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc != 0) {
        free(t);
        return from_mdb(rc);
    }
    t->s = s;
    t->write = write;
    *out = t;
    return CF_OK;
}

cf_status
cf_txn_commit(cf_txn *t)
{
    int rc = mdb_txn_commit(t->txn);

    if (rc == 0 && t->write)
        t->s->commits++;
    free(t);
    return from_mdb(rc);
}

uint64_t
cf_store_commits(const cf_store *s)
{
    return s->commits;
}

void
cf_txn_abort(cf_txn *t)
{
    if (!t)
        return;
    mdb_txn_abort(t->txn);
    free(t);
}

cf_status
cf_txn_put(cf_txn *t, cf_table table, const void *key, size_t klen, const void *val, size_t vlen,
           bool no_overwrite)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

    return from_mdb(mdb_put(t->txn, t->s->dbi[table], &k, &v, no_overwrite ? MDB_NOOVERWRITE : 0));
}

cf_status
cf_txn_append(cf_txn *t, cf_table table, const void *key, size_t klen, const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_put(t->txn, t->s->dbi[table], &k, &v, MDB_APPEND);

    /* MDB_KEYEXIST: the key does not sort after the last one (or is it) */
    if (rc == MDB_KEYEXIST)
        rc = mdb_put(t->txn, t->s->dbi[table], &k, &v, MDB_NOOVERWRITE);
    return from_mdb(rc);
}

cf_status
cf_txn_empty(cf_txn *t, cf_table table)
{
    return from_mdb(mdb_drop(t->txn, t->s->dbi[table], 0));
}

cf_status
cf_txn_get(cf_txn *t, cf_table table, const void *key, size_t klen, cf_buf *out)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(t->txn, t->s->dbi[table], &k, &v);

    if (rc != 0)
        return from_mdb(rc);
    out->len = 0;
    return cf_buf_append(out, v.mv_data, v.mv_size);
}

size_t
cf_txn_count(cf_txn *t, cf_table table)
{
    MDB_stat st;

    return mdb_stat(t->txn, t->s->dbi[table], &st) == 0 ? st.ms_entries : 0;
}

cf_status
cf_txn_del(cf_txn *t, cf_table table, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};

    return from_mdb(mdb_del(t->txn, t->s->dbi[table], &k, NULL));
}

cf_status
cf_txn_scan(cf_txn *t, cf_table table, const void *prefix, size_t plen, cf_scan_cb cb, void *ctx)
{
    return cf_txn_scan_from(t, table, prefix, plen, prefix, plen, cb, ctx);
}

cf_status
cf_txn_scan_from(cf_txn *t, cf_table table, const void *prefix, size_t plen, const void *start,
                 size_t slen, cf_scan_cb cb, void *ctx)
{
    MDB_cursor *cur;
    MDB_val k = {slen, (void *)start}, v;
    cf_status st = CF_OK;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[table], &cur);

    if (rc != 0)
        return from_mdb(rc);
    rc = slen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
            break;
        st = cb(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx);
        if (st != CF_OK)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (st == CF_E_EXISTS)
        return CF_OK;
    if (st != CF_OK)
        return st;
    return rc == 0 || rc == MDB_NOTFOUND ? CF_OK : from_mdb(rc);
}
