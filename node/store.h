/*
 * store.h - the node's LMDB store (DESIGN.md section 6): one environment,
 * one named database per table. Callers compose keys and values; this file
 * only wraps LMDB, translates its errors, and copies values out before a
 * transaction ends (a value never outlives its transaction).
 *
 * Thread rule: one thread (the node's loop thread) opens, writes and reads.
 * A write transaction is durable once cf_txn_commit returns CF_OK.
 */
#ifndef CF_NODE_STORE_H
#define CF_NODE_STORE_H

#include "common/common.h"

/* Tables. Key and value layouts are documented in node/state.c. */
typedef enum cf_table {
    CF_T_LOG,           /* (origin, seq) -> envelope bytes, as received */
    CF_T_IDS,           /* message id -> (origin, seq): what may be named by id (state.h) */
    CF_T_MARKS,         /* origin -> highest seq seen, its id */
    CF_T_META,          /* name -> value: the node's own sequence counter, ... */
    CF_T_OLD_INCIDENTS, /* retired (layout 1): incident id -> latest revision */
    CF_T_REVISIONS,     /* (incident id, revision) -> (origin, seq) */
    CF_T_HOLDERS,       /* (incident id, node) -> when it had it */
    CF_T_TASKS,         /* tasking id -> (origin, seq) */
    CF_T_TASK_STATES,   /* (tasking id, assignee) -> state */
    CF_T_DIRECTIVES,    /* (number, version) -> message id */
    CF_T_ACKS,          /* (directive id, node) -> received and acknowledged times */
    CF_T_OUTBOX,        /* (origin, seq) -> subjects and pending recipients */
    CF_T_CERTS,         /* (identity key, serial) -> certificate bytes */
    CF_T_REVOKED,       /* identity key -> revocation bytes */
    CF_T_OLD_RECEIPTS,  /* retired (layout 1): id of a received message -> our receipt */
    CF_T_EVIDENCE,      /* (origin, seq, id) -> an envelope that forks origin's stream */
    CF_T_QUARANTINE,    /* origin -> since when and why its messages are refused */
    CF_T_OPENED,        /* (origin, seq) of a sealed message -> its decrypted inner envelope */
    CF_T_TRUSTDOCS,     /* certificates and revocations in the order learnt (trustdocs.c) */
    CF_T_RECEIPTED,     /* (origin, seq) of a received message -> the seq of our receipt */
    CF_T_NOTES,         /* (incident id, node, seq) -> the revision a non-owner's word is on */
} cf_table;

#define CF_TABLE_COUNT (CF_T_NOTES + 1)

/** The table's name in the store ("log", "outbox", ...). */
const char *cf_table_name(cf_table t);
/** A table of an older layout: nothing writes it, cf_state_upgrade empties
 * it, and status does not list it. */
bool cf_table_retired(cf_table t);

typedef struct cf_store cf_store;
typedef struct cf_txn cf_txn;

/**
 * Open (creating if needed, mode 0700) the store in dir.
 * @param map_size  the most bytes the store may grow to
 * @param err       on failure, what went wrong in words
 * @return CF_OK, CF_E_IO (cannot create or open; err says why), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_store_open(const char *dir, size_t map_size, cf_store **out, char *err,
                                      size_t errlen);
void cf_store_close(cf_store *s);

typedef struct cf_store_stats {
    size_t map_size;   /* bytes the store may use */
    size_t used_bytes; /* bytes its pages use now */
    size_t entries[CF_TABLE_COUNT];
} cf_store_stats;

CF_MUST_CHECK cf_status cf_store_stats_get(cf_store *s, cf_store_stats *out);

/** Begin a transaction. @return CF_OK, CF_E_IO, CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_txn_begin(cf_store *s, bool write, cf_txn **out);
/**
 * Commit and free a transaction (also on failure).
 * @return CF_OK, CF_E_FULL (the map or the disk is full), CF_E_IO
 */
CF_MUST_CHECK cf_status cf_txn_commit(cf_txn *t);
/** Write transactions committed since the store was opened (each one a
 * synced write to disk: what the receive loop batches). */
uint64_t cf_store_commits(const cf_store *s);
/** Abandon and free a transaction; accepts NULL. */
void cf_txn_abort(cf_txn *t);

/**
 * Store a value. With no_overwrite an existing key is left alone and
 * CF_E_EXISTS returned.
 * @return CF_OK, CF_E_EXISTS, CF_E_FULL, CF_E_IO
 */
CF_MUST_CHECK cf_status cf_txn_put(cf_txn *t, cf_table table, const void *key, size_t klen,
                                   const void *val, size_t vlen, bool no_overwrite);
/**
 * Store a value under a key that should sort after every key of the table
 * (a log entry of the origin with the greatest name): LMDB then leaves full
 * pages behind instead of splitting them in half. A key that does not sort
 * last is stored as by cf_txn_put with no_overwrite.
 * @return CF_OK, CF_E_EXISTS, CF_E_FULL, CF_E_IO
 */
CF_MUST_CHECK cf_status cf_txn_append(cf_txn *t, cf_table table, const void *key, size_t klen,
                                      const void *val, size_t vlen);
/** Delete every entry of a table. @return CF_OK, CF_E_FULL, CF_E_IO */
CF_MUST_CHECK cf_status cf_txn_empty(cf_txn *t, cf_table table);
/**
 * Copy the value of key into out (replacing its contents).
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_IO, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_txn_get(cf_txn *t, cf_table table, const void *key, size_t klen,
                                   cf_buf *out);
/** The number of entries of a table as this transaction sees them. */
size_t cf_txn_count(cf_txn *t, cf_table table);
/** @return CF_OK, CF_E_NOT_FOUND, CF_E_IO */
CF_MUST_CHECK cf_status cf_txn_del(cf_txn *t, cf_table table, const void *key, size_t klen);

/*
 * Called for each entry whose key starts with the prefix, in key order. The
 * key and value are valid only during the call. Return CF_OK to go on,
 * CF_E_EXISTS to stop early (cf_txn_scan then returns CF_OK), anything else
 * to stop and return it.
 */
typedef cf_status (*cf_scan_cb)(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                                void *ctx);
/** Visit the entries of a table whose keys start with prefix (all with plen 0). */
CF_MUST_CHECK cf_status cf_txn_scan(cf_txn *t, cf_table table, const void *prefix, size_t plen,
                                    cf_scan_cb cb, void *ctx);

/** Like cf_txn_scan, but starting at the first key >= start (which should
 * begin with prefix). */
CF_MUST_CHECK cf_status cf_txn_scan_from(cf_txn *t, cf_table table, const void *prefix, size_t plen,
                                         const void *start, size_t slen, cf_scan_cb cb, void *ctx);

/* ---- small helpers for composite keys ---------------------------------- */

static inline void
cf_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t
cf_get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

#endif
