/*
 * state.c - the node's tables and what a message does to them.
 *
 * Layouts (keys ':' = 0x00 separator; seq, revision and times big-endian):
 *   log         origin:seq8            -> envelope bytes as received
 *   ids         id32                   -> origin:seq8 [receipt-seq8]: where the
 *                                         envelope is, for what may be named by
 *                                         id (cf_state_record), and our receipt's
 *                                         seq for such a message
 *   receipted   origin:seq8            -> seq8 of our own receipt for one
 *                                         without an ids row (an incident)
 *   marks       origin                 -> seq8 id32 (the highest seen)
 *   meta        name                   -> value ("layout" 3: this layout; the
 *                                         counters; older versions kept seq, head
 *                                         and clock here, now read from our mark)
 *   revisions   incident-id:revision4  -> origin:seq8 ms8 (when we first had it;
 *                                         layout 1 had no ms8); the last
 *                                         revision of an id is the incident
 *   holders     incident-id:node       -> ms8 (when another node had it; our
 *                                         own row is the first revision's ms8)
 *   tasks       tasking-id             -> origin:seq8
 *   task_states tasking-id:assignee    -> state1 ms8 seq8 [origin:seq8 of the status]
 *   directives  number:version4        -> id32
 *   acks        id32 node              -> received-ms8 state1 state-ms8 (self's
 *                                         receipt has none: it is in the log)
 *   outbox      origin:seq8            -> lines "S subject" and "R recipient"
 *   evidence    origin:seq8 id32       -> an envelope that forked origin's stream
 *   quarantine  origin                 -> ms8 reason (why its messages are refused)
 *   opened      origin:seq8            -> the inner envelope of a sealed message that
 *                                         was sealed to us (TLP:RED), decrypted
 *   notes       incident-id:node seq8  -> origin:seq8 of the revision it is on: a
 *                                         non-owner's word on an incident (an ack
 *                                         of a revision, state 2-5), at node:seq8
 * Layout 1 had two more tables, emptied by cf_state_upgrade: incidents
 * (the latest revision, now the last key of revisions) and receipts (now
 * in the ids value). Every incident cost one index row less, the log is
 * appended to with full pages where it can be (bench footprint). Layout 2
 * indexed every message by id and noted receipts in the ids rows; layout 3
 * reads those rows as they are.
 * Everything runs inside the caller's transaction, on the loop thread.
 */
#include "node/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

const char *const cf_severity_names[6] = {"baseline", "low",    "medium",
                                          "high",     "severe", "emergency"};
const char *const cf_tlp_names[6] = {"unspecified", "clear",        "green",
                                     "amber",       "amber+strict", "red"};
const char *const cf_incident_status_names[6] = {"unspecified", "new",      "triaged",
                                                 "contained",   "resolved", "closed"};
const char *const cf_task_state_names[6] = {"assigned",    "received", "accepted",
                                            "in-progress", "done",     "declined"};
const char *const cf_task_kind_names[6] = {"unspecified", "investigate", "block",
                                           "patch",       "notify",      "report"};
const char *const cf_directive_kind_names[4] = {"unspecified", "advisory", "alert", "mandatory"};
const char *const cf_ack_state_names[6] = {"none",     "received", "acknowledged",
                                           "accepted", "declined", "completed"};
const char *const cf_determination_names[4] = {"unspecified", "suspected", "confirmed",
                                               "false-positive"};
const char *const cf_pap_names[5] = {"unspecified", "clear", "green", "amber", "red"};

static const char *
name_of(const char *const *names, int count, int v)
{
    return v >= 0 && v < count ? names[v] : "unknown";
}

const char *
cf_name_severity(int v)
{
    return name_of(cf_severity_names, 6, v);
}

const char *
cf_name_tlp(int v)
{
    return name_of(cf_tlp_names, 6, v);
}

const char *
cf_name_incident_status(int v)
{
    return name_of(cf_incident_status_names, 6, v);
}

const char *
cf_name_determination(int v)
{
    return name_of(cf_determination_names, 4, v);
}

const char *
cf_name_pap(int v)
{
    return name_of(cf_pap_names, 5, v);
}

const char *
cf_name_task_state(int v)
{
    return name_of(cf_task_state_names, 6, v);
}

const char *
cf_name_task_kind(int v)
{
    return name_of(cf_task_kind_names, 6, v);
}

const char *
cf_name_directive_kind(int v)
{
    return name_of(cf_directive_kind_names, 4, v);
}

const char *
cf_name_ack_state(int v)
{
    return name_of(cf_ack_state_names, 6, v);
}

int
cf_parse_name(const char *const *names, int count, const char *s)
{
    for (int i = 0; s && i < count; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

void
cf_format_ms(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char base[24];

    if (ms == 0) {
        out[0] = 0;
        return;
    }
    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

void
cf_logkey_make(const char *origin, uint64_t seq, cf_logkey *out)
{
    size_t n = strnlen(origin, 32);

    memcpy(out->k, origin, n);
    out->k[n] = 0;
    cf_put_u64(out->k + n + 1, seq);
    out->len = n + 1 + 8;
}

static bool
logkey_from(const uint8_t *p, size_t n, cf_logkey *out)
{
    if (n < 10 || n > CF_LOGKEY_MAX || p[n - 9] != 0)
        return false;
    memcpy(out->k, p, n);
    out->len = n;
    return true;
}

/* A log key at the start of p[0..n), with more after it: its length in
 * *used, or false if p does not start with one. */
static bool
logkey_head(const uint8_t *p, size_t n, cf_logkey *out, size_t *used)
{
    const uint8_t *nul = memchr(p, 0, n < CF_LOGKEY_MAX ? n : CF_LOGKEY_MAX);
    size_t len = nul ? (size_t)(nul - p) + 1 + 8 : 0;

    if (!nul || len > n || !logkey_from(p, len, out))
        return false;
    *used = len;
    return true;
}

/* An ids value: where the envelope is, and our receipt's seq (0: none). */
static bool
ids_value(const uint8_t *p, size_t n, cf_logkey *key, uint64_t *receipt_seq)
{
    size_t used;

    if (!logkey_head(p, n, key, &used) || (n != used && n != used + 8))
        return false;
    *receipt_seq = n == used + 8 ? cf_get_u64(p + used) : 0;
    return true;
}

/* Read and parse the ids row of id. @return CF_OK, CF_E_NOT_FOUND,
 * CF_E_MALFORMED, store errors */
static cf_status
ids_row(cf_txn *t, const uint8_t id[CF_ID_LEN], cf_logkey *key, uint64_t *receipt_seq)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_IDS, id, CF_ID_LEN, &v);
    if (st == CF_OK && !ids_value(v.data, v.len, key, receipt_seq))
        st = CF_E_MALFORMED;
    cf_buf_clear(&v);
    return st;
}

/* "a:b" keys built in a buffer; cf_buf keeps the NUL out of len. */
static cf_status
key2(cf_buf *k, const char *a, const void *b, size_t blen)
{
    k->len = 0;
    cf_status st = cf_buf_append(k, a, strlen(a) + 1);
    if (st == CF_OK)
        st = cf_buf_append(k, b, blen);
    return st;
}

/* ---- record ----------------------------------------------------------- */

/* The id of the stored envelope at key into id; CF_E_NOT_FOUND if none. */
static cf_status
stored_id(cf_txn *t, const cf_logkey *key, uint8_t id[CF_ID_LEN])
{
    cf_message *m = NULL;
    cf_status st = cf_state_load(t, key, &m);

    if (st == CF_OK)
        memcpy(id, m->env.id, CF_ID_LEN);
    cf_message_free(m);
    return st;
}

/*
 * Does m fit the links of its origin's hash chain that we hold: the
 * envelope before it is the one m names, and the one after it (when m
 * fills a gap) names m? A mismatch means the origin signed two histories.
 * mark/has_mark: the origin's high-water mark (seq8 id32).
 */
static cf_status
chain_check(cf_txn *t, const cf_message *m, const uint8_t *mark, bool has_mark)
{
    const cf_header *h = &m->body.header;
    uint8_t id[CF_ID_LEN];
    cf_logkey key;
    cf_message *next = NULL;
    cf_status st;

    if (h->seq > 1) {
        if (has_mark && cf_get_u64(mark) == h->seq - 1) {
            memcpy(id, mark + 8, CF_ID_LEN);
            st = CF_OK;
        } else {
            cf_logkey_make(h->origin, h->seq - 1, &key);
            st = stored_id(t, &key, id);
        }
        if (st == CF_OK && (!h->has_prev_hash || sodium_memcmp(id, h->prev_hash, CF_ID_LEN) != 0))
            return CF_E_FORK;
        if (st != CF_OK && st != CF_E_NOT_FOUND)
            return st;
    }
    if (!has_mark || cf_get_u64(mark) <= h->seq)
        return CF_OK;
    cf_logkey_make(h->origin, h->seq + 1, &key);
    st = cf_state_load(t, &key, &next);
    if (st == CF_OK && (!next->body.header.has_prev_hash ||
                        sodium_memcmp(next->body.header.prev_hash, m->env.id, CF_ID_LEN) != 0))
        st = CF_E_FORK;
    cf_message_free(next);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_record(cf_txn *t, const cf_message *m, const uint8_t *wire, size_t len, bool by_id)
{
    const cf_header *h = &m->body.header;
    cf_logkey key;
    cf_buf v;
    cf_status st;
    uint8_t mark[8 + CF_ID_LEN];
    bool has_mark;

    cf_buf_init(&v);
    cf_logkey_make(h->origin, h->seq, &key);
    /* this very message again is where it was stored: the id hashes the
     * body, so one id is one origin and seq (other bytes with the same id
     * differ only outside the body) */
    st = cf_txn_get(t, CF_T_LOG, key.k, key.len, &v);
    if (st == CF_OK) {
        bool same = v.len == len && memcmp(v.data, wire, len) == 0;
        cf_envelope held;
        if (!same && cf_envelope_parse_stored(v.data, v.len, &held) == CF_OK) {
            same = memcmp(held.id, m->env.id, CF_ID_LEN) == 0;
            cf_envelope_clear(&held);
        }
        if (same) {
            st = CF_E_DUPLICATE;
            goto out;
        }
        /* another message there: the chain check or the append says fork */
    } else if (st != CF_E_NOT_FOUND) {
        goto out;
    }
    st = cf_txn_get(t, CF_T_MARKS, h->origin, strlen(h->origin), &v);
    has_mark = st == CF_OK && v.len == sizeof(mark);
    if (has_mark)
        memcpy(mark, v.data, sizeof(mark));
    if (st != CF_OK && st != CF_E_NOT_FOUND)
        goto out;
    st = chain_check(t, m, mark, has_mark);
    if (st != CF_OK)
        goto out;
    st = cf_txn_append(t, CF_T_LOG, key.k, key.len, wire, len);
    if (st == CF_E_EXISTS) {
        st = CF_E_FORK; /* same origin and seq, other bytes */
        goto out;
    }
    if (st == CF_OK && by_id)
        st = cf_txn_put(t, CF_T_IDS, m->env.id, CF_ID_LEN, key.k, key.len, true);
    if (st != CF_OK)
        goto out;
    if (!has_mark || cf_get_u64(mark) < h->seq) {
        cf_put_u64(mark, h->seq);
        memcpy(mark + 8, m->env.id, CF_ID_LEN);
        st = cf_txn_put(t, CF_T_MARKS, h->origin, strlen(h->origin), mark, sizeof(mark), false);
    }
out:
    cf_buf_clear(&v);
    return st;
}

/* ---- audit ------------------------------------------------------------------ */

typedef struct audit_ctx {
    const cf_limits *lim;
    cJSON *origins;
    cJSON *cur; /* the current origin's row */
    char origin[CF_NODE_ID_MAX + 1];
    uint64_t first, last, count, gaps, broken, bad;
    uint64_t last_good; /* the previous envelope, if it was good: last_id is its id */
    uint8_t last_id[CF_ID_LEN];
    bool intact;
} audit_ctx;

static void
audit_flush(audit_ctx *c)
{
    if (!c->origin[0])
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "origin", c->origin);
    cJSON_AddNumberToObject(o, "messages", (double)c->count);
    cJSON_AddNumberToObject(o, "first", (double)c->first);
    cJSON_AddNumberToObject(o, "last", (double)c->last);
    cJSON_AddNumberToObject(o, "gaps", (double)c->gaps);
    cJSON_AddNumberToObject(o, "broken_links", (double)c->broken);
    cJSON_AddNumberToObject(o, "bad_envelopes", (double)c->bad);
    cJSON_AddItemToArray(c->origins, o);
    if (c->broken || c->bad)
        c->intact = false;
}

static cf_status
audit_visit(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, void *arg)
{
    audit_ctx *c = arg;
    const uint8_t *sep = klen > 9 ? memchr(k, 0, klen - 8) : NULL;
    cf_envelope env;
    cf_message *m = NULL;

    if (!sep || (size_t)(sep - k) != klen - 9 || klen - 9 > CF_NODE_ID_MAX)
        return CF_OK; /* not a log key */
    size_t olen = klen - 9;
    uint64_t seq = cf_get_u64(k + klen - 8);
    if (strlen(c->origin) != olen || memcmp(c->origin, k, olen) != 0) {
        audit_flush(c);
        memcpy(c->origin, k, olen);
        c->origin[olen] = 0;
        c->first = seq;
        c->last = c->last_good = 0;
        c->count = c->gaps = c->broken = c->bad = 0;
    }
    c->count++;
    /* the bytes as stored must still verify, and say what the key says */
    bool good = cf_envelope_verify(v, vlen, c->lim, &env) == CF_OK;
    if (good && cf_message_decode(&env, NULL, &m) != CF_OK) {
        cf_envelope_clear(&env);
        good = false;
    }
    if (good)
        good = m->body.header.seq == seq && m->body.header.origin &&
               strcmp(m->body.header.origin, c->origin) == 0;
    if (c->last && seq > c->last + 1)
        c->gaps += seq - c->last - 1;
    if (!good) {
        c->bad++;
    } else {
        /* a link is judged only between two good neighbours */
        if (c->last_good && seq == c->last_good + 1 &&
            (!m->body.header.has_prev_hash ||
             memcmp(m->body.header.prev_hash, c->last_id, CF_ID_LEN) != 0))
            c->broken++;
        memcpy(c->last_id, m->env.id, CF_ID_LEN);
    }
    c->last = seq;
    c->last_good = good ? seq : 0;
    cf_message_free(m);
    return CF_OK;
}

cf_status
cf_state_audit(cf_txn *t, const cf_limits *lim, cJSON **out)
{
    audit_ctx c;
    cf_status st;

    memset(&c, 0, sizeof(c));
    c.lim = lim;
    c.intact = true;
    c.origins = cJSON_CreateArray();
    st = cf_txn_scan(t, CF_T_LOG, NULL, 0, audit_visit, &c);
    audit_flush(&c);
    if (st != CF_OK) {
        cJSON_Delete(c.origins);
        return st;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "intact", c.intact);
    cJSON_AddNumberToObject(o, "evidence", (double)cf_txn_count(t, CF_T_EVIDENCE));
    cJSON_AddNumberToObject(o, "quarantined", (double)cf_txn_count(t, CF_T_QUARANTINE));
    cJSON_AddItemToObject(o, "origins", c.origins);
    *out = o;
    return CF_OK;
}

/* ---- forks: evidence and quarantine ------------------------------------------- */

cf_status
cf_state_evidence_put(cf_txn *t, const cf_message *m, const uint8_t *wire, size_t len)
{
    uint8_t k[CF_LOGKEY_MAX + CF_ID_LEN];
    cf_logkey key;

    cf_logkey_make(m->body.header.origin, m->body.header.seq, &key);
    memcpy(k, key.k, key.len);
    memcpy(k + key.len, m->env.id, CF_ID_LEN);
    return cf_txn_put(t, CF_T_EVIDENCE, k, key.len + CF_ID_LEN, wire, len, false);
}

cf_status
cf_state_quarantine(cf_txn *t, const char *origin, int64_t now_ms, const char *reason)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_QUARANTINE, origin, strlen(origin), &v);
    if (st == CF_E_NOT_FOUND) {
        uint8_t ms[8];
        cf_put_u64(ms, (uint64_t)now_ms);
        v.len = 0;
        st = cf_buf_append(&v, ms, sizeof(ms));
        if (st == CF_OK)
            st = cf_buf_append_str(&v, reason);
        if (st == CF_OK)
            st = cf_txn_put(t, CF_T_QUARANTINE, origin, strlen(origin), v.data, v.len, false);
    }
    cf_buf_clear(&v);
    return st;
}

cf_status
cf_state_quarantined(cf_txn *t, const char *origin, bool *yes)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_QUARANTINE, origin, strlen(origin), &v);
    *yes = st == CF_OK;
    cf_buf_clear(&v);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

typedef struct marks_ctx {
    cf_mark_cb cb;
    void *ctx;
} marks_ctx;

static cf_status
mark_visit(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, void *arg)
{
    marks_ctx *c = arg;
    char origin[33];

    if (klen == 0 || klen >= sizeof(origin) || vlen != 8 + CF_ID_LEN)
        return CF_OK;
    memcpy(origin, k, klen);
    origin[klen] = 0;
    return c->cb(origin, cf_get_u64(v), v + 8, c->ctx);
}

cf_status
cf_state_marks_scan(cf_txn *t, cf_mark_cb cb, void *ctx)
{
    marks_ctx c = {cb, ctx};

    return cf_txn_scan(t, CF_T_MARKS, NULL, 0, mark_visit, &c);
}

cf_status
cf_state_mark(cf_txn *t, const char *origin, uint64_t *seq)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    *seq = 0;
    st = cf_txn_get(t, CF_T_MARKS, origin, strlen(origin), &v);
    if (st == CF_OK && v.len == 8 + CF_ID_LEN)
        *seq = cf_get_u64(v.data);
    cf_buf_clear(&v);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_own_head(cf_txn *t, const char *self, uint64_t *out_seq, uint8_t out_head[CF_ID_LEN],
                  int64_t *out_signed_ms)
{
    cf_message *m = NULL;
    cf_logkey key;
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_MARKS, self, strlen(self), &v);
    if (st == CF_E_NOT_FOUND || (st == CF_OK && v.len != 8 + CF_ID_LEN)) {
        cf_buf_clear(&v);
        *out_seq = 0;
        *out_signed_ms = 0;
        return CF_OK;
    }
    if (st != CF_OK) {
        cf_buf_clear(&v);
        return st;
    }
    uint64_t seq = cf_get_u64(v.data);
    cf_logkey_make(self, seq, &key);
    /* nothing deletes from the log; should the entry be gone all the
     * same, the sequence still stands (the clock floor then does not) */
    st = cf_state_load(t, &key, &m);
    if (st == CF_OK || st == CF_E_NOT_FOUND) {
        *out_seq = seq;
        memcpy(out_head, v.data + 8, CF_ID_LEN);
        *out_signed_ms = m ? m->body.header.created_ms : 0;
        st = CF_OK;
    }
    cf_message_free(m);
    cf_buf_clear(&v);
    return st;
}

/* The envelope stored under key in table, decoded (it was verified before
 * it was stored). */
static cf_status
decode_stored(const uint8_t *wire, size_t len, cf_message **out)
{
    cf_envelope env;
    cf_status st = cf_envelope_parse_stored(wire, len, &env);

    if (st == CF_OK) {
        st = cf_message_decode(&env, NULL, out);
        if (st != CF_OK)
            cf_envelope_clear(&env);
    }
    return st;
}

static cf_status
load_from(cf_txn *t, cf_table table, const cf_logkey *key, cf_message **out)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, table, key->k, key->len, &v);
    if (st == CF_OK)
        st = decode_stored(v.data, v.len, out);
    cf_buf_clear(&v);
    return st;
}

cf_status
cf_state_load(cf_txn *t, const cf_logkey *key, cf_message **out)
{
    return load_from(t, CF_T_LOG, key, out);
}

cf_status
cf_state_load_readable(cf_txn *t, const cf_logkey *key, cf_message **out)
{
    cf_status st = load_from(t, CF_T_OPENED, key, out);

    return st == CF_E_NOT_FOUND ? load_from(t, CF_T_LOG, key, out) : st;
}

cf_status
cf_state_opened_put(cf_txn *t, const cf_message *outer, const uint8_t *inner, size_t len)
{
    cf_logkey key;

    cf_logkey_make(outer->body.header.origin, outer->body.header.seq, &key);
    return cf_txn_put(t, CF_T_OPENED, key.k, key.len, inner, len, false);
}

cf_status
cf_state_has_id(cf_txn *t, const uint8_t id[CF_ID_LEN], bool *yes)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_IDS, id, CF_ID_LEN, &v);
    cf_buf_clear(&v);
    *yes = st == CF_OK;
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_index(cf_txn *t, const uint8_t id[CF_ID_LEN], const cf_logkey *key)
{
    cf_status st = cf_txn_put(t, CF_T_IDS, id, CF_ID_LEN, key->k, key->len, true);

    return st == CF_E_EXISTS ? CF_OK : st;
}

cf_status
cf_state_holds(cf_txn *t, const char *origin, uint64_t seq, const uint8_t *wire, size_t len,
               bool *yes)
{
    cf_buf stored;
    cf_logkey key;
    cf_status st;

    *yes = false;
    cf_buf_init(&stored);
    cf_logkey_make(origin, seq, &key);
    st = cf_txn_get(t, CF_T_LOG, key.k, key.len, &stored);
    if (st == CF_OK)
        *yes = stored.len == len && memcmp(stored.data, wire, len) == 0;
    cf_buf_clear(&stored);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_load_id(cf_txn *t, const uint8_t id[CF_ID_LEN], cf_message **out)
{
    cf_logkey key;
    uint64_t receipt;
    cf_status st = ids_row(t, id, &key, &receipt);

    return st == CF_OK ? cf_state_load(t, &key, out) : st;
}

/* Keyed by the message's place in the log, these rows go in the order the
 * messages came, a few pages a commit. */
cf_status
cf_state_receipt_note(cf_txn *t, const cf_logkey *key, uint64_t seq)
{
    uint8_t val[8];

    cf_put_u64(val, seq);
    return cf_txn_put(t, CF_T_RECEIPTED, key->k, key->len, val, sizeof(val), false);
}

cf_status
cf_state_receipt_note_id(cf_txn *t, const uint8_t id[CF_ID_LEN], const cf_logkey *key, uint64_t seq)
{
    uint8_t val[CF_LOGKEY_MAX + 8];

    memcpy(val, key->k, key->len);
    cf_put_u64(val + key->len, seq);
    return cf_txn_put(t, CF_T_IDS, id, CF_ID_LEN, val, key->len + 8, false);
}

cf_status
cf_state_receipt_seq(cf_txn *t, const cf_message *m, uint64_t *seq)
{
    cf_logkey key;
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    cf_logkey_make(m->body.header.origin, m->body.header.seq, &key);
    st = cf_txn_get(t, CF_T_RECEIPTED, key.k, key.len, &v);
    if (st == CF_OK && v.len != 8)
        st = CF_E_MALFORMED;
    if (st == CF_OK)
        *seq = cf_get_u64(v.data);
    cf_buf_clear(&v);
    if (st == CF_E_NOT_FOUND) { /* noted in its ids row */
        st = ids_row(t, m->env.id, &key, seq);
        if (st == CF_OK && *seq == 0)
            st = CF_E_NOT_FOUND;
    }
    return st;
}

/* ---- checks that need the store ----------------------------------------- */

static bool
strv_has(cf_strv v, const char *s)
{
    for (size_t i = 0; i < v.n; i++)
        if (strcmp(v.v[i], s) == 0)
            return true;
    return false;
}

cf_status
cf_state_ack_origin(cf_txn *t, const cf_ack *a, char origin[CF_NODE_ID_MAX + 1], cf_logkey *keys,
                    const char **why)
{
    cf_status st = CF_OK;

    /* the origin is the first part of where the ids row says it is: no
     * need to read the messages (a receipt may stand for 1,000) */
    origin[0] = 0;
    for (size_t i = 0; i < cf_ack_count(a) && st == CF_OK; i++) {
        cf_logkey key;
        uint64_t receipt;
        st = ids_row(t, cf_ack_id(a, i), &key, &receipt);
        if (st == CF_E_NOT_FOUND) {
            *why = "an ack for a message this node does not have";
            return CF_E_UNAUTHORIZED;
        }
        if (st != CF_OK)
            return st;
        if (keys)
            keys[i] = key;
        /* a log key is origin, 0x00, seq8, its origin CF_NODE_ID_MAX at most */
        const char *o = (const char *)key.k;
        if (i == 0) {
            memcpy(origin, o, key.len - 9 + 1);
        } else if (strcmp(origin, o) != 0) {
            *why = "a receipt for messages of more than one origin";
            st = CF_E_MALFORMED;
        }
    }
    return st;
}

cf_status
cf_state_check(cf_txn *t, const char *self, const cf_message *m, const char **why)
{
    cf_message *orig = NULL;
    cf_status st;

    switch (m->body.type) {
    case CF_MSG_TASK_STATUS:
        st = cf_state_task(t, m->body.u.task_status.task, &orig);
        if (st == CF_E_NOT_FOUND) {
            *why = "a status for a tasking this node does not know";
            return CF_E_UNAUTHORIZED;
        }
        if (st != CF_OK)
            return st;
        st = CF_OK;
        if (strcmp(orig->body.u.tasking.issuer, self) != 0) {
            *why = "a status for a tasking this node did not issue";
            st = CF_E_UNAUTHORIZED;
        } else if (!strv_has(orig->body.u.tasking.assignees, m->body.header.origin)) {
            *why = "a status from a node that is not an assignee of the tasking";
            st = CF_E_UNAUTHORIZED;
        }
        cf_message_free(orig);
        return st;
    case CF_MSG_ACK: {
        char origin[CF_NODE_ID_MAX + 1];
        st = cf_state_ack_origin(t, &m->body.u.ack, origin, NULL, why);
        if (st == CF_OK && strcmp(origin, self) != 0) {
            *why = "an ack for a message this node did not originate";
            st = CF_E_UNAUTHORIZED;
        }
        return st;
    }
    case CF_MSG_INCIDENT:
    case CF_MSG_TASKING:
    case CF_MSG_DIRECTIVE:
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
    case CF_MSG_SEALED:
        return CF_OK;
    }
    return CF_OK;
}

/* ---- apply ------------------------------------------------------------------ */

static cf_status
apply_incident(cf_txn *t, const cf_message *m, int64_t now_ms)
{
    const cf_incident *i = &m->body.u.incident;
    cf_logkey key;
    cf_buf k;
    uint8_t rev[4], val[CF_LOGKEY_MAX + 8];
    cf_status st;

    cf_buf_init(&k);
    cf_logkey_make(m->body.header.origin, m->body.header.seq, &key);
    rev[0] = (uint8_t)(i->revision >> 24);
    rev[1] = (uint8_t)(i->revision >> 16);
    rev[2] = (uint8_t)(i->revision >> 8);
    rev[3] = (uint8_t)i->revision;
    memcpy(val, key.k, key.len);
    cf_put_u64(val + key.len, (uint64_t)now_ms);
    st = key2(&k, i->id, rev, 4);
    if (st == CF_OK) {
        /* one message per revision: a second one for the same revision is
         * kept in the log as evidence but does not replace the first */
        st = cf_txn_put(t, CF_T_REVISIONS, k.data, k.len, val, key.len + 8, true);
        if (st == CF_E_EXISTS)
            st = CF_OK;
    }
    cf_buf_clear(&k);
    return st;
}

static cf_status
apply_tasking(cf_txn *t, const cf_message *m)
{
    const cf_tasking *k = &m->body.u.tasking;
    cf_logkey key;
    cf_buf tk;
    uint8_t zero[1 + 8 + 8] = {0};
    cf_status st;

    cf_buf_init(&tk);
    cf_logkey_make(m->body.header.origin, m->body.header.seq, &key);
    st = cf_txn_put(t, CF_T_TASKS, k->id, strlen(k->id), key.k, key.len, true);
    if (st == CF_E_EXISTS)
        st = CF_OK; /* a second tasking with the same id stays in the log only */
    for (size_t i = 0; st == CF_OK && i < k->assignees.n; i++) {
        st = key2(&tk, k->id, k->assignees.v[i], strlen(k->assignees.v[i]));
        if (st == CF_OK)
            st = cf_txn_put(t, CF_T_TASK_STATES, tk.data, tk.len, zero, sizeof(zero), true);
        if (st == CF_E_EXISTS)
            st = CF_OK;
    }
    cf_buf_clear(&tk);
    return st;
}

/* Set a task state if it moves forward (a later message of the assignee). */
static cf_status
set_task_state(cf_txn *t, const char *task, const char *assignee, int state, int64_t at_ms,
               uint64_t seq, const cf_logkey *status_key)
{
    cf_buf k, v;
    uint8_t val[1 + 8 + 8 + CF_LOGKEY_MAX];
    size_t vlen = 17;
    cf_status st;

    cf_buf_init(&k);
    cf_buf_init(&v);
    st = key2(&k, task, assignee, strlen(assignee));
    if (st == CF_OK)
        st = cf_txn_get(t, CF_T_TASK_STATES, k.data, k.len, &v);
    if (st == CF_OK && v.len >= 17) {
        int cur = v.data[0];
        uint64_t cur_seq = cf_get_u64(v.data + 9);
        /* the automatic "received" never overrides an answer */
        bool later = status_key ? seq > cur_seq : cur == 0;
        if (later) {
            val[0] = (uint8_t)state;
            cf_put_u64(val + 1, (uint64_t)at_ms);
            cf_put_u64(val + 9, status_key ? seq : cur_seq);
            if (status_key) {
                memcpy(val + 17, status_key->k, status_key->len);
                vlen += status_key->len;
            }
            st = cf_txn_put(t, CF_T_TASK_STATES, k.data, k.len, val, vlen, false);
        }
    } else if (st == CF_E_NOT_FOUND) {
        st = CF_OK; /* not an assignee: cf_state_check refused it already */
    }
    cf_buf_clear(&k);
    cf_buf_clear(&v);
    return st;
}

static cf_status
apply_directive(cf_txn *t, const cf_message *m)
{
    const cf_directive *d = &m->body.u.directive;
    uint8_t ver[4] = {(uint8_t)(d->version >> 24), (uint8_t)(d->version >> 16),
                      (uint8_t)(d->version >> 8), (uint8_t)d->version};
    cf_buf k;
    cf_status st;

    cf_buf_init(&k);
    st = key2(&k, d->number, ver, 4);
    if (st == CF_OK)
        st = cf_txn_put(t, CF_T_DIRECTIVES, k.data, k.len, m->env.id, CF_ID_LEN, true);
    if (st == CF_E_EXISTS)
        st = CF_OK;
    cf_buf_clear(&k);
    return st;
}

/* Drop a recipient from the outbox entry of a message; drop the entry when
 * nobody is left to ack. (Defined with the outbox, below.) */
static cf_status outbox_acked(cf_txn *t, const cf_logkey *key, const char *node);

/* What an ack changes reads of the acked message: its type, place in the
 * log, and the id of the incident or tasking it is (its inner message's, if
 * it was sealed and we could open it). */
typedef struct acked_msg {
    cf_msg_type type;
    cf_logkey key;
    const char *incident; /* NULL: not a (readable) incident */
    const char *tasking;  /* NULL: not a (readable) tasking */
} acked_msg;

static acked_msg
acked_from(const cf_message *orig, const cf_message *opened)
{
    const cf_message *readable = opened ? opened : orig;
    acked_msg a = {orig->body.type, {{0}, 0}, NULL, NULL};

    cf_logkey_make(orig->body.header.origin, orig->body.header.seq, &a.key);
    if (readable->body.type == CF_MSG_INCIDENT)
        a.incident = readable->body.u.incident.id;
    else if (readable->body.type == CF_MSG_TASKING)
        a.tasking = readable->body.u.tasking.id;
    return a;
}

/* What node's ack (state, at) of the message with this id changes. */
static cf_status
ack_effects(cf_txn *t, const char *node, int state, int64_t at, const uint8_t id[CF_ID_LEN],
            const acked_msg *a)
{
    cf_buf k, v;
    uint8_t val[17] = {0};
    cf_status st = CF_OK;

    cf_buf_init(&k);
    cf_buf_init(&v);
    /* the acknowledgement table is the directives' (directive status);
     * who holds an incident and where a tasking stands are kept below */
    if (a->type == CF_MSG_DIRECTIVE) {
        st = cf_buf_append(&k, id, CF_ID_LEN);
        if (st == CF_OK)
            st = cf_buf_append(&k, node, strlen(node));
        if (st == CF_OK)
            st = cf_txn_get(t, CF_T_ACKS, k.data, k.len, &v);
        if (st == CF_OK && v.len == sizeof(val))
            memcpy(val, v.data, sizeof(val));
        else if (st == CF_E_NOT_FOUND)
            st = CF_OK;
        if (st != CF_OK)
            goto out;
        if (state == 1) {
            if (cf_get_u64(val) == 0)
                cf_put_u64(val, (uint64_t)at);
        } else {
            if (cf_get_u64(val) == 0)
                cf_put_u64(val, (uint64_t)at); /* an answer implies receipt */
            val[8] = (uint8_t)state;
            cf_put_u64(val + 9, (uint64_t)at);
        }
        st = cf_txn_put(t, CF_T_ACKS, k.data, k.len, val, sizeof(val), false);
        if (st != CF_OK)
            goto out;
    }
    st = outbox_acked(t, &a->key, node);
    /* who holds a sealed incident: only if we could open it ourselves */
    if (st == CF_OK && a->incident) {
        uint8_t ms[8];
        cf_put_u64(ms, (uint64_t)at);
        st = key2(&k, a->incident, node, strlen(node));
        if (st == CF_OK)
            st = cf_txn_put(t, CF_T_HOLDERS, k.data, k.len, ms, 8, true);
        if (st == CF_E_EXISTS)
            st = CF_OK;
    } else if (st == CF_OK && a->tasking && state == 1) {
        st = set_task_state(t, a->tasking, node, 1, at, 0, NULL);
    }
out:
    cf_buf_clear(&k);
    cf_buf_clear(&v);
    return st;
}

/* The id of a stored incident, read without decoding it (most of what a
 * receipt names, thousands a second in a backlog): false if it is not an
 * incident, or the peek cannot tell. */
static bool
peek_incident_id(const uint8_t *wire, size_t len, char *id, size_t id_size)
{
    cf_envelope_view e;
    int severity;

    return cf_envelope_peek(wire, len, &e) == CF_OK && e.type == CF_MSG_INCIDENT &&
           cf_body_peek_incident(e.body, e.body_len, id, id_size, &severity) == CF_OK;
}

/* An operator's ack of an incident's revision (not a receipt): a note on
 * the incident, listed with it (cf_state_incident); the words stay in the
 * ack, in the log. */
static cf_status
note_put(cf_txn *t, const char *incident, const cf_message *ack, const cf_logkey *noted)
{
    const cf_header *h = &ack->body.header;
    uint8_t seq[8];
    cf_buf k;
    cf_status st;

    if (ack->body.u.ack.state < 2)
        return CF_OK;
    cf_buf_init(&k);
    cf_put_u64(seq, h->seq);
    st = key2(&k, incident, h->origin, strlen(h->origin));
    if (st == CF_OK)
        st = cf_buf_append(&k, seq, sizeof(seq));
    if (st == CF_OK)
        st = cf_txn_put(t, CF_T_NOTES, k.data, k.len, noted->k, noted->len, false);
    cf_buf_clear(&k);
    return st;
}

/* What an ack (or one of the messages a receipt stands for, id) changes. */
static cf_status
apply_ack_one(cf_txn *t, const cf_message *m, const uint8_t id[CF_ID_LEN], const cf_logkey *key)
{
    const cf_ack *a = &m->body.u.ack;
    int64_t at = a->at_ms ? a->at_ms : m->body.header.created_ms;
    cf_message *orig = NULL, *inner = NULL;
    char incident[257]; /* a short text: 256 bytes at most */
    uint64_t receipt;
    acked_msg what;
    cf_buf v;
    cf_status st = CF_OK;

    if (key)
        what.key = *key;
    else
        st = ids_row(t, id, &what.key, &receipt);
    cf_buf_init(&v);
    if (st == CF_OK)
        st = cf_txn_get(t, CF_T_LOG, what.key.k, what.key.len, &v);
    if (st == CF_OK && peek_incident_id(v.data, v.len, incident, sizeof(incident))) {
        cf_buf_clear(&v);
        what.type = CF_MSG_INCIDENT;
        what.incident = incident;
        what.tasking = NULL;
        st = ack_effects(t, m->body.header.origin, a->state, at, id, &what);
        return st == CF_OK ? note_put(t, incident, m, &what.key) : st;
    }
    if (st == CF_OK)
        st = decode_stored(v.data, v.len, &orig);
    cf_buf_clear(&v);
    /* not found: our own receipt taken back by catch-up after a restore,
     * for an incident we hold without an id row (cf_state_record) or not
     * at all; it changes nothing here (another node's ack names only what
     * cf_state_check found) */
    if (st == CF_E_NOT_FOUND)
        return CF_OK;
    /* a relay has only the envelope of a sealed message */
    if (st == CF_OK && orig->body.type == CF_MSG_SEALED) {
        st = load_from(t, CF_T_OPENED, &what.key, &inner);
        if (st == CF_E_NOT_FOUND)
            st = CF_OK;
    }
    if (st == CF_OK) {
        what = acked_from(orig, inner);
        st = ack_effects(t, m->body.header.origin, a->state, at, id, &what);
    }
    if (st == CF_OK && what.incident)
        st = note_put(t, what.incident, m, &what.key);
    cf_message_free(inner);
    cf_message_free(orig);
    return st;
}

cf_status
cf_state_receipted(cf_txn *t, const char *self, const cf_message *m, const cf_message *opened,
                   int64_t at_ms)
{
    const cf_message *readable = opened ? opened : m;

    /* what self holds is read from the revisions (list_revision), when
     * self received a directive from its own receipt (directive_status),
     * and nothing waits in self's outbox for self: only an assignee's task
     * state needs a row */
    if (readable->body.type != CF_MSG_TASKING)
        return CF_OK;
    acked_msg what = acked_from(m, opened);
    return ack_effects(t, self, 1, at_ms, m->env.id, &what);
}

static cf_status
apply_ack(cf_txn *t, const cf_message *m, const cf_logkey *keys)
{
    cf_status st = CF_OK;

    for (size_t i = 0; i < cf_ack_count(&m->body.u.ack) && st == CF_OK; i++)
        st = apply_ack_one(t, m, cf_ack_id(&m->body.u.ack, i), keys ? &keys[i] : NULL);
    return st;
}

cf_status
cf_state_apply_ack(cf_txn *t, const cf_message *m, const cf_logkey *keys)
{
    return m->body.type == CF_MSG_ACK ? apply_ack(t, m, keys) : CF_E_INVALID_ARG;
}

cf_status
cf_state_apply(cf_txn *t, const cf_message *m, int64_t now_ms)
{
    cf_logkey key;

    switch (m->body.type) {
    case CF_MSG_INCIDENT:
        return apply_incident(t, m, now_ms);
    case CF_MSG_TASKING:
        return apply_tasking(t, m);
    case CF_MSG_TASK_STATUS:
        cf_logkey_make(m->body.header.origin, m->body.header.seq, &key);
        return set_task_state(t, m->body.u.task_status.task, m->body.header.origin,
                              m->body.u.task_status.state, m->body.header.created_ms,
                              m->body.header.seq, &key);
    case CF_MSG_DIRECTIVE:
        return apply_directive(t, m);
    case CF_MSG_ACK:
        return apply_ack(t, m, NULL);
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
    case CF_MSG_SEALED:
        /* a sealed message's inner one is applied by whoever opened it */
        return CF_OK;
    }
    return CF_OK;
}

/* ---- meta ------------------------------------------------------------------ */

cf_status
cf_state_meta_get(cf_txn *t, const char *name, cf_buf *out)
{
    return cf_txn_get(t, CF_T_META, name, strlen(name), out);
}

cf_status
cf_state_meta_put(cf_txn *t, const char *name, const void *v, size_t n)
{
    return cf_txn_put(t, CF_T_META, name, strlen(name), v, n, false);
}

/* The meta row of an incident passed up to the parent: "forwarded:<id>". */
static cf_status
forwarded_key(cf_buf *k, const char *incident)
{
    static const char prefix[] = "forwarded:";
    cf_status st = cf_buf_append(k, prefix, sizeof(prefix) - 1);

    return st == CF_OK ? cf_buf_append(k, incident, strlen(incident)) : st;
}

cf_status
cf_state_forwarded(cf_txn *t, const char *incident, bool *yes)
{
    cf_buf k, v;
    cf_status st;

    *yes = false;
    cf_buf_init(&k);
    cf_buf_init(&v);
    st = forwarded_key(&k, incident);
    if (st == CF_OK)
        st = cf_txn_get(t, CF_T_META, k.data, k.len, &v);
    *yes = st == CF_OK;
    cf_buf_clear(&k);
    cf_buf_clear(&v);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_forwarded_note(cf_txn *t, const char *incident)
{
    cf_buf k;
    cf_status st;

    cf_buf_init(&k);
    st = forwarded_key(&k, incident);
    if (st == CF_OK)
        st = cf_txn_put(t, CF_T_META, k.data, k.len, "1", 1, false);
    cf_buf_clear(&k);
    return st;
}

cf_status
cf_state_meta_get_u64(cf_txn *t, const char *name, uint64_t *out)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = cf_state_meta_get(t, name, &v);
    if (st == CF_OK && v.len != 8)
        st = CF_E_MALFORMED;
    if (st == CF_OK)
        *out = cf_get_u64(v.data);
    cf_buf_clear(&v);
    return st;
}

cf_status
cf_state_meta_put_u64(cf_txn *t, const char *name, uint64_t v)
{
    uint8_t b[8];

    cf_put_u64(b, v);
    return cf_state_meta_put(t, name, b, 8);
}

/* ---- layout ------------------------------------------------------------------ */

#define LAYOUT 3 /* the layout of state.c's header */

typedef struct fold_ctx {
    cf_txn *t;
    const char *self;
} fold_ctx;

/* A layout 1 receipts row (id -> self:seq8 of our receipt), into receipted. */
static cf_status
fold_receipt(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    fold_ctx *c = arg;
    cf_logkey lk, mine, at;
    uint64_t had;
    cf_status st;

    if (klen != CF_ID_LEN || !logkey_from(val, vlen, &lk))
        return CF_OK;
    cf_logkey_make(c->self, cf_get_u64(lk.k + lk.len - 8), &mine);
    if (mine.len != lk.len || memcmp(mine.k, lk.k, lk.len) != 0)
        return CF_OK; /* not a receipt of ours */
    st = ids_row(c->t, key, &at, &had);
    if (st == CF_OK)
        st = cf_state_receipt_note(c->t, &at, cf_get_u64(lk.k + lk.len - 8));
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_upgrade(cf_txn *t, const char *self, bool *upgraded)
{
    fold_ctx c = {t, self};
    uint64_t layout = 0;
    cf_status st = cf_state_meta_get_u64(t, "layout", &layout);

    *upgraded = false;
    if (st == CF_OK && layout == LAYOUT)
        return CF_OK;
    if (st == CF_OK && layout > LAYOUT)
        return CF_E_UNSUPPORTED;
    if (st != CF_OK && st != CF_E_NOT_FOUND)
        return st;
    *upgraded = cf_txn_count(t, CF_T_OLD_RECEIPTS) > 0 || cf_txn_count(t, CF_T_OLD_INCIDENTS) > 0;
    st = cf_txn_scan(t, CF_T_OLD_RECEIPTS, NULL, 0, fold_receipt, &c);
    if (st == CF_OK)
        st = cf_txn_empty(t, CF_T_OLD_RECEIPTS);
    /* the latest revision of each incident is the last row of revisions */
    if (st == CF_OK)
        st = cf_txn_empty(t, CF_T_OLD_INCIDENTS);
    if (st == CF_OK)
        st = cf_state_meta_put_u64(t, "layout", LAYOUT);
    return st;
}

/* ---- outbox ------------------------------------------------------------------- */

static void
outbox_entry_clear(cf_outbox_entry *e)
{
    cf_strlist_clear(&e->subjects);
    cf_strlist_clear(&e->pending);
}

/* outbox_write's first line: "T due attempts expires". */
static cf_status
outbox_t_line(cf_buf *v, int64_t due_ms, uint32_t attempts, int64_t expires_ms)
{
    return cf_buf_printf(v, "T %lld %u %lld\n", (long long)due_ms, attempts, (long long)expires_ms);
}

static cf_status
outbox_write(cf_txn *t, const cf_logkey *key, const cf_outbox_entry *e)
{
    cf_buf v;
    cf_status st;

    cf_buf_init(&v);
    st = outbox_t_line(&v, e->next_due_ms, e->attempts, e->expires_ms);
    for (size_t i = 0; st == CF_OK && i < e->subjects.n; i++)
        st = cf_buf_printf(&v, "S %s\n", e->subjects.v[i]);
    for (size_t i = 0; st == CF_OK && i < e->pending.n; i++)
        st = cf_buf_printf(&v, "R %s\n", e->pending.v[i]);
    if (st == CF_OK)
        st = cf_txn_put(t, CF_T_OUTBOX, key->k, key->len, v.data, v.len, false);
    cf_buf_clear(&v);
    return st;
}

cf_status
cf_state_outbox_put(cf_txn *t, const cf_logkey *key, const cf_strlist *subjects,
                    const cf_strlist *recipients, int64_t next_due_ms, int64_t expires_ms)
{
    cf_outbox_entry e = {*subjects, *recipients, next_due_ms, 0, expires_ms};

    return outbox_write(t, key, &e);
}

/* An outbox value's lines: "X text\n", X being T (times), S (a subject) or
 * R (a recipient yet to ack); any other letter counts as R, and a line
 * too short or too long is ignored. */
#define OUTBOX_TEXT_MAX 511

typedef struct outbox_line {
    char kind; /* 'T', 'S', 'R', or 0: ignore it */
    const char *text;
    size_t text_len;
    size_t len; /* with its newline, if it has one */
} outbox_line;

/* The line at offset at of an outbox value of len bytes (at < len). */
static outbox_line
outbox_line_at(const uint8_t *val, size_t len, size_t at)
{
    const char *p = (const char *)val + at;
    const char *nl = memchr(p, '\n', len - at);
    size_t n = nl ? (size_t)(nl - p) : len - at;
    outbox_line l = {0, n >= 2 ? p + 2 : p, n >= 2 ? n - 2 : 0, nl ? n + 1 : n};

    if (n >= 2 && n - 2 <= OUTBOX_TEXT_MAX)
        l.kind = p[0] == 'T' || p[0] == 'S' ? p[0] : 'R';
    return l;
}

/* "due attempts [expires]" (a T line's text) into e; left as they are if
 * the first two are not there. strtoll, not sscanf: a backlog's flush reads
 * every entry, and sscanf was 8% of a sender's CPU. */
static void
outbox_times(const outbox_line *l, cf_outbox_entry *e)
{
    char line[OUTBOX_TEXT_MAX + 1], *end;
    const char *p = line;

    memcpy(line, l->text, l->text_len);
    line[l->text_len] = 0;
    long long due = strtoll(p, &end, 10);
    if (end == p)
        return;
    p = end;
    unsigned long attempts = strtoul(p, &end, 10);
    if (end == p || attempts > UINT32_MAX)
        return;
    p = end;
    long long expires = strtoll(p, &end, 10);
    e->next_due_ms = due;
    e->attempts = (uint32_t)attempts;
    e->expires_ms = end == p ? -1 : expires;
}

/* Split an outbox value into its lines. */
static cf_status
outbox_parse(const uint8_t *val, size_t len, cf_outbox_entry *e)
{
    cf_status st = CF_OK;

    memset(e, 0, sizeof(*e));
    e->expires_ms = -1;
    for (size_t at = 0; st == CF_OK && at < len;) {
        outbox_line l = outbox_line_at(val, len, at);
        char text[OUTBOX_TEXT_MAX + 1];
        at += l.len;
        if (l.kind == 'T') {
            outbox_times(&l, e);
        } else if (l.kind) {
            memcpy(text, l.text, l.text_len);
            text[l.text_len] = 0;
            st = cf_strlist_add(l.kind == 'S' ? &e->subjects : &e->pending, text);
        }
    }
    if (st != CF_OK)
        outbox_entry_clear(e);
    return st;
}

/* The times of an outbox value, read from its first line, where
 * outbox_write puts them, without parsing the rest (false if that line is
 * not a T line); *t_len: that line's length. */
static bool
outbox_times_only(const uint8_t *val, size_t len, cf_outbox_entry *e, size_t *t_len)
{
    outbox_line l;

    if (!len || (l = outbox_line_at(val, len, 0)).kind != 'T')
        return false;
    memset(e, 0, sizeof(*e));
    e->expires_ms = -1;
    outbox_times(&l, e);
    *t_len = l.len;
    return true;
}

static bool
line_names(const outbox_line *l, const char *node)
{
    return l->kind == 'R' && l->text_len == strlen(node) && memcmp(l->text, node, l->text_len) == 0;
}

/* Does an outbox value name node as a recipient yet to ack? */
static bool
outbox_waits(const uint8_t *val, size_t len, const char *node)
{
    for (size_t at = 0; at < len;) {
        outbox_line l = outbox_line_at(val, len, at);
        if (line_names(&l, node))
            return true;
        at += l.len;
    }
    return false;
}

/* node acked the message at key: drop it from the entry's recipients, and
 * the entry when nobody is left (rewriting its lines, not parsing them:
 * a backlog's receipts name thousands of entries a second). */
static cf_status
outbox_acked(cf_txn *t, const cf_logkey *key, const char *node)
{
    cf_buf v, w;
    size_t left = 0;
    bool named = false;
    cf_status st;

    cf_buf_init(&v);
    cf_buf_init(&w);
    st = cf_txn_get(t, CF_T_OUTBOX, key->k, key->len, &v);
    for (size_t at = 0; st == CF_OK && at < v.len;) {
        outbox_line l = outbox_line_at(v.data, v.len, at);
        if (line_names(&l, node)) {
            named = true;
        } else {
            left += l.kind == 'R';
            st = cf_buf_append(&w, v.data + at, l.len);
            if (st == CF_OK && v.data[at + l.len - 1] != '\n')
                st = cf_buf_append(&w, "\n", 1);
        }
        at += l.len;
    }
    if (st == CF_OK && named)
        st = left ? cf_txn_put(t, CF_T_OUTBOX, key->k, key->len, w.data, w.len, false)
                  : cf_txn_del(t, CF_T_OUTBOX, key->k, key->len);
    cf_buf_clear(&v);
    cf_buf_clear(&w);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

cf_status
cf_state_outbox_reschedule(cf_txn *t, const cf_logkey *key, int64_t next_due_ms, uint32_t attempts)
{
    cf_outbox_entry e;
    cf_buf v, w;
    size_t t_len;
    cf_status st;

    cf_buf_init(&v);
    cf_buf_init(&w);
    st = cf_txn_get(t, CF_T_OUTBOX, key->k, key->len, &v);
    /* a new T line, the rest as it is */
    if (st == CF_OK && outbox_times_only(v.data, v.len, &e, &t_len)) {
        st = outbox_t_line(&w, next_due_ms, attempts, e.expires_ms);
        if (st == CF_OK)
            st = cf_buf_append(&w, v.data + t_len, v.len - t_len);
        if (st == CF_OK)
            st = cf_txn_put(t, CF_T_OUTBOX, key->k, key->len, w.data, w.len, false);
    } else if (st == CF_OK && (st = outbox_parse(v.data, v.len, &e)) == CF_OK) {
        e.next_due_ms = next_due_ms;
        e.attempts = attempts;
        st = outbox_write(t, key, &e);
        outbox_entry_clear(&e);
    }
    cf_buf_clear(&v);
    cf_buf_clear(&w);
    return st;
}

typedef struct due_ctx {
    const char *node;
    int64_t now_ms;
    cf_logkey *keys;
    uint32_t *attempts;
    size_t n;
} due_ctx;

static cf_status
note_due(const cf_logkey *key, const cf_outbox_entry *e, void *arg)
{
    due_ctx *c = arg;
    bool waits = false;

    for (size_t i = 0; i < e->pending.n && !waits; i++)
        waits = strcmp(e->pending.v[i], c->node) == 0;
    if (!waits || e->next_due_ms <= c->now_ms)
        return CF_OK;
    cf_logkey *k = realloc(c->keys, (c->n + 1) * sizeof(*k));
    if (!k)
        return CF_E_NOMEM;
    c->keys = k;
    uint32_t *a = realloc(c->attempts, (c->n + 1) * sizeof(*a));
    if (!a)
        return CF_E_NOMEM;
    c->attempts = a;
    c->keys[c->n] = *key;
    c->attempts[c->n] = e->attempts;
    c->n++;
    return CF_OK;
}

cf_status
cf_state_outbox_due_now(cf_txn *t, const char *node, int64_t now_ms, size_t *out_n)
{
    due_ctx c = {node, now_ms, NULL, NULL, 0};
    cf_status st = cf_state_outbox_scan(t, note_due, &c);

    for (size_t i = 0; st == CF_OK && i < c.n; i++)
        st = cf_state_outbox_reschedule(t, &c.keys[i], now_ms, c.attempts[i]);
    if (out_n)
        *out_n = st == CF_OK ? c.n : 0;
    free(c.keys);
    free(c.attempts);
    return st;
}

typedef struct outbox_scan_ctx {
    cf_outbox_cb cb;
    void *ctx;
    int64_t due_by;
} outbox_scan_ctx;

static cf_status
outbox_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    outbox_scan_ctx *c = arg;
    cf_outbox_entry e;
    size_t t_len;
    cf_logkey lk;
    cf_status st;

    if (!logkey_from(key, klen, &lk))
        return CF_OK; /* not ours to judge here; leave it */
    if (c->due_by != INT64_MAX && outbox_times_only(val, vlen, &e, &t_len) &&
        e.next_due_ms > c->due_by)
        return CF_OK;
    st = outbox_parse(val, vlen, &e);
    if (st == CF_OK)
        st = c->cb(&lk, &e, c->ctx);
    outbox_entry_clear(&e);
    return st;
}

cf_status
cf_state_outbox_scan(cf_txn *t, cf_outbox_cb cb, void *ctx)
{
    outbox_scan_ctx c = {cb, ctx, INT64_MAX};

    return cf_txn_scan(t, CF_T_OUTBOX, NULL, 0, outbox_visit, &c);
}

cf_status
cf_state_outbox_scan_from(cf_txn *t, const cf_logkey *from, int64_t due_by, cf_outbox_cb cb,
                          void *ctx)
{
    outbox_scan_ctx c = {cb, ctx, due_by};

    return from->len
               ? cf_txn_scan_from(t, CF_T_OUTBOX, NULL, 0, from->k, from->len, outbox_visit, &c)
               : cf_txn_scan(t, CF_T_OUTBOX, NULL, 0, outbox_visit, &c);
}

cf_status
cf_state_outbox_waits_for(cf_txn *t, const cf_logkey *key, const char *node, bool *yes)
{
    cf_buf v;
    cf_status st;

    *yes = false;
    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_OUTBOX, key->k, key->len, &v);
    if (st == CF_OK)
        *yes = outbox_waits(v.data, v.len, node);
    cf_buf_clear(&v);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

typedef struct waiting_ctx {
    const char *node;
    uint64_t last; /* the last seq to look at */
    cf_seq_set *out;
    bool past; /* the pass stopped at an entry past last */
} waiting_ctx;

static cf_status
note_waiting(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    waiting_ctx *c = arg;
    cf_seq_set *s = c->out;

    if (klen < 9)
        return CF_OK;
    uint64_t seq = cf_get_u64(key + klen - 8);
    if (seq > c->last) {
        c->past = true;
        return CF_E_EXISTS; /* far enough: stop */
    }
    if (!outbox_waits(val, vlen, c->node))
        return CF_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        uint64_t *v = realloc(s->seqs, cap * sizeof(*v));
        if (!v)
            return CF_E_NOMEM;
        s->seqs = v;
        s->cap = cap;
    }
    s->seqs[s->n++] = seq;
    return CF_OK;
}

cf_status
cf_state_outbox_waiting(cf_txn *t, const char *origin, uint64_t first, uint64_t last,
                        const char *node, cf_seq_set *out)
{
    waiting_ctx c = {node, last, out, false};
    cf_logkey prefix, start;
    cf_status st;

    out->n = 0;
    out->at = 0;
    out->upto = UINT64_MAX; /* the outbox has nothing more of origin's */
    cf_logkey_make(origin, 0, &prefix);
    cf_logkey_make(origin, first, &start);
    st = cf_txn_scan_from(t, CF_T_OUTBOX, prefix.k, prefix.len - 8, start.k, start.len,
                          note_waiting, &c);
    if (c.past)
        out->upto = last;
    return st;
}

bool
cf_seq_set_has(cf_seq_set *s, uint64_t seq)
{
    while (s->at < s->n && s->seqs[s->at] < seq)
        s->at++;
    return s->at < s->n && s->seqs[s->at] == seq;
}

void
cf_seq_set_clear(cf_seq_set *s)
{
    free(s->seqs);
    memset(s, 0, sizeof(*s));
}

cf_status
cf_state_outbox_del(cf_txn *t, const cf_logkey *key)
{
    cf_status st = cf_txn_del(t, CF_T_OUTBOX, key->k, key->len);

    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

/* ---- queries ------------------------------------------------------------------ */

static void
add_time(cJSON *o, const char *name, int64_t ms)
{
    char t[32];

    cf_format_ms(ms, t);
    if (ms)
        cJSON_AddStringToObject(o, name, t);
    else
        cJSON_AddNullToObject(o, name);
}

static void
add_id(cJSON *o, const char *name, const uint8_t id[CF_ID_LEN])
{
    char hex[2 * CF_ID_LEN + 1];

    cf_hex_encode(id, CF_ID_LEN, hex);
    cJSON_AddStringToObject(o, name, hex);
}

static cJSON *
strv_json(cf_strv v)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < v.n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v.v[i]));
    return a;
}

static cJSON *
incident_json(const cf_message *m)
{
    const cf_incident *i = &m->body.u.incident;
    cJSON *o = cJSON_CreateObject(), *obs = cJSON_CreateArray();

    cJSON_AddStringToObject(o, "id", i->id);
    cJSON_AddNumberToObject(o, "revision", i->revision);
    cJSON_AddStringToObject(o, "title", i->title);
    cJSON_AddStringToObject(o, "description", i->description);
    cJSON_AddStringToObject(o, "severity", cf_name_severity(i->severity));
    cJSON_AddStringToObject(o, "tlp", cf_name_tlp(i->tlp));
    cJSON_AddStringToObject(o, "status", cf_name_incident_status(i->status));
    cJSON_AddStringToObject(o, "rsit_class", i->rsit_class);
    cJSON_AddStringToObject(o, "rsit_type", i->rsit_type);
    cJSON_AddNumberToObject(o, "confidence", i->confidence);
    cJSON_AddStringToObject(o, "determination", cf_name_determination(i->determination));
    cJSON_AddStringToObject(o, "pap", cf_name_pap(i->pap));
    cJSON_AddStringToObject(o, "owner", i->owner);
    cJSON_AddStringToObject(o, "analyst", i->analyst);
    cJSON_AddStringToObject(o, "sector", i->sector);
    cJSON_AddStringToObject(o, "province", i->province);
    cJSON_AddStringToObject(o, "constituent", i->constituent);
    cJSON_AddItemToObject(o, "related", strv_json(i->related));
    cJSON_AddStringToObject(o, "duplicate_of", i->duplicate_of);
    cJSON_AddStringToObject(o, "supersedes", i->supersedes);
    add_time(o, "detected", i->detected_ms);
    add_time(o, "reported", i->reported_ms);
    add_time(o, "updated", m->body.header.created_ms);
    cJSON_AddStringToObject(o, "note", i->note);
    cJSON_AddStringToObject(o, "source", i->source ? i->source : "");
    for (size_t k = 0; k < i->n_observables; k++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "type", i->observables[k].type);
        cJSON_AddStringToObject(x, "value", i->observables[k].value);
        cJSON_AddBoolToObject(x, "to_block", i->observables[k].to_block);
        cJSON_AddItemToArray(obs, x);
    }
    cJSON_AddItemToObject(o, "observables", obs);
    add_id(o, "message_id", m->env.id);
    return o;
}

typedef struct list_ctx {
    cf_txn *t;
    cJSON *out;
    const cf_incident_filter *f;
    const char *self;
    cf_status st;
    int64_t self_since; /* when self first had the incident; -1: not known */
    /* cf_state_incident: where each revision is in the log (list_revision),
     * for the notes on them (list_note) */
    struct rev_at {
        cf_logkey key;
        uint32_t revision;
    } * revs;
    size_t n_revs;
} list_ctx;

static bool
incident_matches(const cf_incident *i, const cf_incident_filter *f)
{
    if (!f)
        return true;
    return (f->min_severity < 0 || i->severity >= f->min_severity) &&
           (f->tlp == 0 || i->tlp == f->tlp) && (f->status == 0 || i->status == f->status) &&
           (!f->sector || strcmp(i->sector, f->sector) == 0) &&
           (!f->province || strcmp(i->province, f->province) == 0) &&
           (f->determination == 0 || i->determination == f->determination);
}

/*
 * The latest revision of each incident: revisions are keyed by id then
 * revision, so the last row of an id is its latest. emit is called once per
 * id with that row's log key.
 */
typedef cf_status (*latest_cb)(const cf_logkey *key, void *ctx);

typedef struct latest_ctx {
    cf_buf id; /* the current id and its 0x00 */
    cf_logkey key;
    bool have;
    latest_cb emit;
    void *ctx;
} latest_ctx;

static cf_status
latest_row(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    latest_ctx *c = arg;
    const uint8_t *sep = memchr(key, 0, klen);
    size_t idlen = sep ? (size_t)(sep - key) + 1 : 0, used;
    cf_logkey lk;
    cf_status st = CF_OK;

    if (!sep || !logkey_head(val, vlen, &lk, &used))
        return CF_OK;
    if (c->have && (c->id.len != idlen || memcmp(c->id.data, key, idlen) != 0)) {
        st = c->emit(&c->key, c->ctx);
        c->have = false;
    }
    if (st == CF_OK && !c->have) {
        c->id.len = 0;
        st = cf_buf_append(&c->id, key, idlen);
    }
    if (st == CF_OK) {
        c->key = lk;
        c->have = true;
    }
    return st;
}

/* Emit the latest revision of the incident id, or of every one (id NULL). */
static cf_status
latest_revisions(cf_txn *t, const char *id, latest_cb emit, void *ctx)
{
    latest_ctx c = {.emit = emit, .ctx = ctx};
    cf_status st;

    cf_buf_init(&c.id);
    st = id ? cf_txn_scan(t, CF_T_REVISIONS, id, strlen(id) + 1, latest_row, &c)
            : cf_txn_scan(t, CF_T_REVISIONS, NULL, 0, latest_row, &c);
    if (st == CF_OK && c.have)
        st = emit(&c.key, ctx);
    cf_buf_clear(&c.id);
    return st;
}

static cf_status
list_incident(const cf_logkey *lk, void *arg)
{
    list_ctx *c = arg;
    cf_message *m = NULL;
    cf_status st = cf_state_load_readable(c->t, lk, &m);

    if (st != CF_OK)
        return st;
    if (incident_matches(&m->body.u.incident, c->f))
        cJSON_AddItemToArray(c->out, incident_json(m));
    cf_message_free(m);
    return CF_OK;
}

cf_status
cf_state_incidents(cf_txn *t, const cf_incident_filter *f, cJSON **out)
{
    list_ctx c = {.t = t, .out = cJSON_CreateArray(), .f = f, .st = CF_OK, .self_since = -1};
    cf_status st = c.out ? latest_revisions(t, NULL, list_incident, &c) : CF_E_NOMEM;

    if (st != CF_OK) {
        cJSON_Delete(c.out);
        return st;
    }
    *out = c.out;
    return CF_OK;
}

typedef struct load_latest {
    cf_txn *t;
    cf_message **out;
    bool found;
} load_latest;

static cf_status
load_latest_one(const cf_logkey *lk, void *arg)
{
    load_latest *l = arg;

    l->found = true;
    return cf_state_load_readable(l->t, lk, l->out);
}

cf_status
cf_state_incident_latest(cf_txn *t, const char *id, cf_message **out)
{
    load_latest l = {t, out, false};
    cf_status st = latest_revisions(t, id, load_latest_one, &l);

    return st == CF_OK && !l.found ? CF_E_NOT_FOUND : st;
}

static cf_status
latest_key(const cf_logkey *lk, void *arg)
{
    cf_logkey *out = arg;

    *out = *lk;
    return CF_OK;
}

cf_status
cf_state_incident_latest_at(cf_txn *t, const char *id, cf_logkey *out_key,
                            uint8_t out_env_id[CF_ID_LEN], cf_message **out_readable)
{
    cf_message *stored = NULL, *readable = NULL;
    cf_logkey key = {.len = 0};
    cf_status st = latest_revisions(t, id, latest_key, &key);

    if (st == CF_OK && key.len == 0)
        st = CF_E_NOT_FOUND;
    if (st == CF_OK)
        st = cf_state_load(t, &key, &stored);
    /* the opened message of a sealed one; else the stored one is it */
    if (st == CF_OK && stored->body.type == CF_MSG_SEALED)
        st = cf_state_load_readable(t, &key, &readable);
    if (st != CF_OK) {
        cf_message_free(stored);
        return st;
    }
    *out_key = key;
    memcpy(out_env_id, stored->env.id, CF_ID_LEN);
    if (readable) {
        cf_message_free(stored);
        *out_readable = readable;
    } else {
        *out_readable = stored;
    }
    return CF_OK;
}

static cf_status
list_revision(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    cf_logkey lk;
    cf_message *m = NULL;
    size_t used;
    cf_status st;

    (void)key;
    (void)klen;
    if (!logkey_head(val, vlen, &lk, &used))
        return CF_OK;
    if (vlen == used + 8) { /* layout 1 stored no time here */
        int64_t ms = (int64_t)cf_get_u64(val + used);
        if (c->self_since < 0 || ms < c->self_since)
            c->self_since = ms;
    }
    st = cf_state_load_readable(c->t, &lk, &m);
    if (st != CF_OK)
        return st;
    const cf_incident *i = &m->body.u.incident;
    struct rev_at *revs = realloc(c->revs, (c->n_revs + 1) * sizeof(*revs));
    if (!revs) {
        cf_message_free(m);
        return CF_E_NOMEM;
    }
    c->revs = revs;
    c->revs[c->n_revs++] = (struct rev_at){lk, i->revision};
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "revision", i->revision);
    add_time(r, "at", m->body.header.created_ms);
    cJSON_AddStringToObject(r, "by", m->body.header.origin);
    cJSON_AddStringToObject(r, "status", cf_name_incident_status(i->status));
    cJSON_AddStringToObject(r, "severity", cf_name_severity(i->severity));
    cJSON_AddStringToObject(r, "note", i->note);
    add_id(r, "message_id", m->env.id);
    cJSON_AddItemToArray(c->out, r);
    cf_message_free(m);
    return CF_OK;
}

static cf_status
list_holder(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    const uint8_t *sep = memchr(key, 0, klen);
    char node[40];
    size_t n;

    if (!sep || vlen != 8)
        return CF_OK;
    n = klen - (size_t)(sep + 1 - key);
    if (n >= sizeof(node))
        return CF_OK;
    memcpy(node, sep + 1, n);
    node[n] = 0;
    if (strcmp(node, c->self) == 0) {
        /* a layout 1 store's own row: the revisions' times say it now */
        if (c->self_since < 0)
            c->self_since = (int64_t)cf_get_u64(val);
        return CF_OK;
    }
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "node", node);
    add_time(h, "since", (int64_t)cf_get_u64(val));
    cJSON_AddItemToArray(c->out, h);
    return CF_OK;
}

/* node among the holders, in node order, since then (add_time's text, ""
 * if not known); a node listed already keeps the earlier of the two times */
static void
add_holder(cJSON *holders, const char *node, const char *t)
{
    cJSON *x;
    int at = 0;

    cJSON_ArrayForEach(x, holders)
    {
        const cJSON *name = cJSON_GetObjectItem(x, "node");
        int cmp = cJSON_IsString(name) ? strcmp(name->valuestring, node) : -1;
        if (cmp == 0) {
            /* the times are of one format, in which text order is time order */
            const cJSON *was = cJSON_GetObjectItem(x, "since");
            if (t[0] && (!cJSON_IsString(was) || strcmp(t, was->valuestring) < 0))
                cJSON_ReplaceItemInObject(x, "since", cJSON_CreateString(t));
            return;
        }
        if (cmp > 0)
            break;
        at++;
    }
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "node", node);
    if (t[0])
        cJSON_AddStringToObject(h, "since", t);
    else
        cJSON_AddNullToObject(h, "since");
    if (x)
        cJSON_InsertItemInArray(holders, at, h);
    else
        cJSON_AddItemToArray(holders, h);
}

/* A note (notes row): the ack it is, from the log, and the revision it is
 * on (notes_in_order sorts them). */
static cf_status
list_note(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    const uint8_t *sep = memchr(key, 0, klen);
    char node[CF_NODE_ID_MAX + 1];
    cf_logkey at, noted;
    cf_message *ack = NULL;
    size_t n;

    if (!sep || (size_t)(key + klen - (sep + 1)) <= 8 || !logkey_from(val, vlen, &noted))
        return CF_OK;
    n = (size_t)(key + klen - (sep + 1)) - 8;
    if (n >= sizeof(node))
        return CF_OK;
    memcpy(node, sep + 1, n);
    node[n] = 0;
    cf_logkey_make(node, cf_get_u64(key + klen - 8), &at);
    cf_status st = cf_state_load(c->t, &at, &ack);
    if (st == CF_E_NOT_FOUND)
        return CF_OK;
    if (st != CF_OK)
        return st;
    if (ack->body.type != CF_MSG_ACK) {
        cf_message_free(ack);
        return CF_OK;
    }
    const cf_ack *a = &ack->body.u.ack;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "by", node);
    cJSON_AddStringToObject(o, "analyst", a->analyst ? a->analyst : "");
    add_time(o, "at", a->at_ms ? a->at_ms : ack->body.header.created_ms);
    cJSON_AddStringToObject(o, "state", cf_name_ack_state(a->state));
    cJSON_AddStringToObject(o, "text", a->reason ? a->reason : "");
    /* the revision it is on, among those just listed */
    size_t r = 0;
    while (r < c->n_revs &&
           (c->revs[r].key.len != noted.len || memcmp(c->revs[r].key.k, noted.k, noted.len) != 0))
        r++;
    if (r < c->n_revs)
        cJSON_AddNumberToObject(o, "revision", c->revs[r].revision);
    else
        cJSON_AddNullToObject(o, "revision");
    add_id(o, "message_id", ack->env.id);
    cf_message_free(ack);
    cJSON_AddItemToArray(c->out, o);
    return CF_OK;
}

/* Notes by time ("at": one format, in which text order is time order),
 * then by signer and id, so that one store always lists them alike. */
static int
note_cmp(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    static const char *const keys[] = {"at", "by", "message_id"};

    for (size_t k = 0; k < CF_ARRAY_LEN(keys); k++) {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(x, keys[k]));
        const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(y, keys[k]));
        int c = strcmp(p ? p : "", q ? q : "");
        if (c)
            return c;
    }
    return 0;
}

/* Put the notes of o in time order, the latest CF_NOTES_SHOWN_MAX of them
 * (the holders may write any number: each is a signed message the sender
 * rate allows); how many more there are is "notes_not_shown". */
static cf_status
notes_in_order(cJSON *o, cJSON *notes)
{
    int n = cJSON_GetArraySize(notes);
    cJSON **v;

    if (n < 2)
        return CF_OK;
    v = malloc((size_t)n * sizeof(*v));
    if (!v)
        return CF_E_NOMEM;
    for (int i = 0; i < n; i++)
        v[i] = cJSON_DetachItemFromArray(notes, 0);
    qsort(v, (size_t)n, sizeof(*v), note_cmp);
    int skip = n > CF_NOTES_SHOWN_MAX ? n - CF_NOTES_SHOWN_MAX : 0;
    for (int i = 0; i < n; i++) {
        if (i < skip)
            cJSON_Delete(v[i]);
        else
            cJSON_AddItemToArray(notes, v[i]);
    }
    free(v);
    if (skip)
        cJSON_AddNumberToObject(o, "notes_not_shown", skip);
    return CF_OK;
}

cf_status
cf_state_incident(cf_txn *t, const char *self, const char *id, cJSON **out)
{
    cf_message *m = NULL;
    cf_buf prefix;
    list_ctx c;
    cJSON *o;
    cf_status st = cf_state_incident_latest(t, id, &m);

    if (st != CF_OK)
        return st;
    o = incident_json(m);
    cf_message_free(m);
    cf_buf_init(&prefix);
    st = cf_buf_append(&prefix, id, strlen(id) + 1);
    memset(&c, 0, sizeof(c));
    c.t = t;
    c.self = self;
    c.self_since = -1;
    const cJSON *revs = c.out = cJSON_AddArrayToObject(o, "revisions");
    if (st == CF_OK)
        st = cf_txn_scan(t, CF_T_REVISIONS, prefix.data, prefix.len, list_revision, &c);
    /* the holders: the nodes whose receipts say they have it, self, and
     * the node (or nodes) that signed its revisions, which had it then */
    c.out = cJSON_AddArrayToObject(o, "holders");
    if (st == CF_OK)
        st = cf_txn_scan(t, CF_T_HOLDERS, prefix.data, prefix.len, list_holder, &c);
    if (st == CF_OK && c.self_since >= 0) {
        char since[32];
        cf_format_ms(c.self_since, since);
        add_holder(c.out, self, since);
    }
    const cJSON *r;
    if (st != CF_OK)
        revs = NULL;
    cJSON_ArrayForEach(r, revs)
    {
        const char *by = cJSON_GetStringValue(cJSON_GetObjectItem(r, "by"));
        const char *at = cJSON_GetStringValue(cJSON_GetObjectItem(r, "at"));
        if (by)
            add_holder(c.out, by, at ? at : "");
    }
    /* what the other holders said of it (incident.note) */
    cJSON *notes = c.out = cJSON_AddArrayToObject(o, "notes");
    if (st == CF_OK)
        st = cf_txn_scan(t, CF_T_NOTES, prefix.data, prefix.len, list_note, &c);
    if (st == CF_OK)
        st = notes_in_order(o, notes);
    free(c.revs);
    cf_buf_clear(&prefix);
    if (st != CF_OK) {
        cJSON_Delete(o);
        return st;
    }
    *out = o;
    return CF_OK;
}

cf_status
cf_state_task(cf_txn *t, const char *id, cf_message **out)
{
    cf_buf v;
    cf_logkey lk;
    cf_status st;

    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_TASKS, id, strlen(id), &v);
    if (st == CF_OK)
        st = logkey_from(v.data, v.len, &lk) ? cf_state_load(t, &lk, out) : CF_E_MALFORMED;
    cf_buf_clear(&v);
    return st;
}

static cf_status
list_task_state(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    const uint8_t *sep = memchr(key, 0, klen);
    char node[40];
    size_t n;
    cf_logkey lk;

    if (!sep || vlen < 17)
        return CF_OK;
    n = klen - (size_t)(sep + 1 - key);
    if (n >= sizeof(node))
        return CF_OK;
    memcpy(node, sep + 1, n);
    node[n] = 0;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "assignee", node);
    cJSON_AddStringToObject(s, "state", cf_name_task_state(val[0]));
    add_time(s, "at", (int64_t)cf_get_u64(val + 1));
    if (vlen > 17 && logkey_from(val + 17, vlen - 17, &lk)) {
        cf_message *m = NULL;
        if (cf_state_load(c->t, &lk, &m) == CF_OK) {
            cJSON_AddStringToObject(s, "reason", m->body.u.task_status.reason);
            cJSON_AddStringToObject(s, "result", m->body.u.task_status.result);
            cf_message_free(m);
        }
    }
    cJSON_AddItemToArray(c->out, s);
    return CF_OK;
}

static cf_status
list_task(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    cf_logkey lk;
    cf_message *m = NULL;
    cf_buf prefix;
    cf_status st;

    (void)key;
    (void)klen;
    if (!logkey_from(val, vlen, &lk))
        return CF_OK;
    st = cf_state_load(c->t, &lk, &m);
    if (st != CF_OK)
        return st;
    const cf_tasking *k = &m->body.u.tasking;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", k->id);
    cJSON_AddStringToObject(o, "issuer", k->issuer);
    cJSON_AddStringToObject(o, "direction",
                            strcmp(k->issuer, c->self) == 0 ? "issued" : "assigned");
    cJSON_AddItemToObject(o, "assignees", strv_json(k->assignees));
    cJSON_AddStringToObject(o, "kind", cf_name_task_kind(k->kind));
    cJSON_AddStringToObject(o, "instructions", k->instructions);
    cJSON_AddStringToObject(o, "deliverable", k->deliverable);
    cJSON_AddStringToObject(o, "incident", k->incident);
    cJSON_AddNumberToObject(o, "priority", k->priority);
    add_time(o, "due", k->due_ms);
    add_time(o, "issued", m->body.header.created_ms);
    cJSON_AddBoolToObject(o, "overdue", k->due_ms != 0 && k->due_ms < cf_clock_now_ms());
    add_id(o, "message_id", m->env.id);
    list_ctx sub = *c;
    sub.out = cJSON_AddArrayToObject(o, "states");
    cf_buf_init(&prefix);
    st = cf_buf_append(&prefix, k->id, strlen(k->id) + 1);
    cf_message_free(m);
    if (st == CF_OK)
        st = cf_txn_scan(c->t, CF_T_TASK_STATES, prefix.data, prefix.len, list_task_state, &sub);
    cf_buf_clear(&prefix);
    /* overdue only while some assignee has not finished */
    const cJSON *s;
    bool open_work = false;
    cJSON_ArrayForEach(s, sub.out)
    {
        const char *state = cJSON_GetObjectItem(s, "state")->valuestring;
        open_work |= strcmp(state, "done") != 0 && strcmp(state, "declined") != 0;
    }
    if (!open_work)
        cJSON_ReplaceItemInObject(o, "overdue", cJSON_CreateFalse());
    cJSON_AddItemToArray(c->out, o);
    return st;
}

cf_status
cf_state_tasks(cf_txn *t, const char *self, cJSON **out)
{
    list_ctx c = {.t = t, .out = cJSON_CreateArray(), .self = self, .st = CF_OK, .self_since = -1};
    cf_status st = c.out ? cf_txn_scan(t, CF_T_TASKS, NULL, 0, list_task, &c) : CF_E_NOMEM;

    if (st != CF_OK) {
        cJSON_Delete(c.out);
        return st;
    }
    *out = c.out;
    return CF_OK;
}

static cJSON *
directive_json(const cf_message *m)
{
    const cf_directive *d = &m->body.u.directive;
    cJSON *o = cJSON_CreateObject(), *roles = cJSON_CreateArray();

    cJSON_AddStringToObject(o, "number", d->number);
    cJSON_AddNumberToObject(o, "version", d->version);
    cJSON_AddStringToObject(o, "kind", cf_name_directive_kind(d->kind));
    cJSON_AddStringToObject(o, "title", d->title);
    cJSON_AddStringToObject(o, "summary", d->summary);
    cJSON_AddItemToObject(o, "actions", strv_json(d->actions));
    for (size_t i = 0; i < d->n_roles; i++)
        cJSON_AddItemToArray(
            roles,
            cJSON_CreateString(cf_role_name(d->roles[i]) ? cf_role_name(d->roles[i]) : "unknown"));
    cJSON_AddItemToObject(o, "roles", roles);
    cJSON_AddItemToObject(o, "sectors", strv_json(d->sectors));
    cJSON_AddItemToObject(o, "provinces", strv_json(d->provinces));
    cJSON_AddStringToObject(o, "severity", cf_name_severity(d->severity));
    add_time(o, "issued", m->body.header.created_ms);
    add_time(o, "effective", d->effective_ms);
    add_time(o, "comply_by", d->comply_by_ms);
    cJSON_AddBoolToObject(o, "ack_required", d->ack_required);
    add_time(o, "ack_by", d->ack_by_ms);
    add_time(o, "expires", m->body.header.expires_ms);
    cJSON_AddStringToObject(o, "issuer", m->body.header.origin);
    add_id(o, "message_id", m->env.id);
    return o;
}

static cf_status
list_directive(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    list_ctx *c = arg;
    cf_message *m = NULL;
    cf_status st;

    (void)key;
    (void)klen;
    if (vlen != CF_ID_LEN)
        return CF_OK;
    st = cf_state_load_id(c->t, val, &m);
    if (st != CF_OK)
        return st;
    cJSON_AddItemToArray(c->out, directive_json(m));
    cf_message_free(m);
    return CF_OK;
}

cf_status
cf_state_directives(cf_txn *t, cJSON **out)
{
    list_ctx c = {.t = t, .out = cJSON_CreateArray(), .st = CF_OK, .self_since = -1};
    cf_status st =
        c.out ? cf_txn_scan(t, CF_T_DIRECTIVES, NULL, 0, list_directive, &c) : CF_E_NOMEM;

    if (st != CF_OK) {
        cJSON_Delete(c.out);
        return st;
    }
    *out = c.out;
    return CF_OK;
}

typedef struct newest_ctx {
    uint8_t id[CF_ID_LEN];
    bool found;
} newest_ctx;

static cf_status
newest_version(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    newest_ctx *c = arg;

    (void)key;
    (void)klen;
    if (vlen == CF_ID_LEN) {
        memcpy(c->id, val, CF_ID_LEN); /* versions sort ascending: keep the last */
        c->found = true;
    }
    return CF_OK;
}

cf_status
cf_state_directive(cf_txn *t, const char *number, cf_message **out)
{
    newest_ctx c;
    cf_status st;

    memset(&c, 0, sizeof(c));
    st = cf_txn_scan(t, CF_T_DIRECTIVES, number, strlen(number) + 1, newest_version, &c);
    if (st != CF_OK)
        return st;
    if (!c.found)
        return CF_E_NOT_FOUND;
    return cf_state_load_id(t, c.id, out);
}

/* When self received directive m: when it signed its receipt (0: it has
 * none, it is the issuer). A store of an older version has an acks row as
 * well, which the caller reads first. */
static cf_status
own_receipt_ms(cf_txn *t, const char *self, const cf_message *m, int64_t *out_ms)
{
    cf_message *r = NULL;
    cf_logkey key;
    uint64_t seq = 0;
    cf_status st = cf_state_receipt_seq(t, m, &seq);

    *out_ms = 0;
    if (st == CF_E_NOT_FOUND)
        return CF_OK;
    if (st == CF_OK) {
        cf_logkey_make(self, seq, &key);
        st = cf_state_load(t, &key, &r);
    }
    if (st == CF_OK && r->body.type == CF_MSG_ACK)
        *out_ms = r->body.u.ack.at_ms ? r->body.u.ack.at_ms : r->body.header.created_ms;
    cf_message_free(r);
    return st == CF_E_NOT_FOUND ? CF_OK : st;
}

/* The directive's counts to c; if out, also the directive and its counts
 * as JSON there, with a row per node in its scope if rows. */
static cf_status
directive_status(cf_txn *t, const cf_topology *topo, const char *self, const char *number,
                 bool rows, cf_directive_counts *c, cJSON **out)
{
    cf_message *m = NULL;
    cf_buf k, v;
    cJSON *o = NULL, *table = NULL;
    cf_status st = cf_state_directive(t, number, &m);

    memset(c, 0, sizeof(*c));
    if (st != CF_OK)
        return st;
    if (out)
        o = directive_json(m);
    if (o && rows)
        table = cJSON_AddArrayToObject(o, "nodes");
    cf_buf_init(&k);
    cf_buf_init(&v);
    for (size_t i = 0; st == CF_OK && i < topo->n; i++) {
        const cf_topo_node *n = &topo->nodes[i];
        if (strcmp(n->id, m->body.header.origin) == 0 ||
            !cf_rule_directive_applies(topo, n, &m->body.u.directive))
            continue;
        c->in_scope++;
        k.len = 0;
        st = cf_buf_append(&k, m->env.id, CF_ID_LEN);
        if (st == CF_OK)
            st = cf_buf_append(&k, n->id, strlen(n->id));
        if (st != CF_OK)
            break;
        st = cf_txn_get(t, CF_T_ACKS, k.data, k.len, &v);
        uint8_t val[17] = {0};
        if (st == CF_OK && v.len == sizeof(val))
            memcpy(val, v.data, sizeof(val));
        if (st == CF_E_NOT_FOUND || st == CF_OK)
            st = CF_OK;
        /* self's own receipt has no row: it is in the log */
        int64_t own_ms = 0;
        if (st == CF_OK && strcmp(n->id, self) == 0)
            st = own_receipt_ms(t, self, m, &own_ms);
        if (own_ms > 0 && (cf_get_u64(val) == 0 || (uint64_t)own_ms < cf_get_u64(val)))
            cf_put_u64(val, (uint64_t)own_ms);
        if (table) {
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "node", n->id);
            cJSON_AddStringToObject(row, "role", cf_role_name(n->role));
            add_time(row, "received", (int64_t)cf_get_u64(val));
            cJSON_AddStringToObject(row, "state",
                                    cf_name_ack_state(val[8]            ? val[8]
                                                      : cf_get_u64(val) ? 1
                                                                        : 0));
            add_time(row, "acknowledged", val[8] ? (int64_t)cf_get_u64(val + 9) : 0);
            cJSON_AddItemToArray(table, row);
        }
        c->received += cf_get_u64(val) != 0;
        c->acknowledged += val[8] != 0;
    }
    if (o) {
        cJSON_AddNumberToObject(o, "in_scope", (double)c->in_scope);
        cJSON_AddNumberToObject(o, "received", (double)c->received);
        cJSON_AddNumberToObject(o, "acknowledged", (double)c->acknowledged);
    }
    cf_buf_clear(&k);
    cf_buf_clear(&v);
    cf_message_free(m);
    if (st != CF_OK) {
        cJSON_Delete(o);
        return st;
    }
    if (out)
        *out = o;
    return CF_OK;
}

cf_status
cf_state_directive_status(cf_txn *t, const cf_topology *topo, const char *self, const char *number,
                          cJSON **out)
{
    cf_directive_counts c;

    return directive_status(t, topo, self, number, true, &c, out);
}

cf_status
cf_state_directive_counts(cf_txn *t, const cf_topology *topo, const char *self, const char *number,
                          cf_directive_counts *c, cJSON **out)
{
    return directive_status(t, topo, self, number, false, c, out);
}
