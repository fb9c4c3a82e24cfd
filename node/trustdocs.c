/*
 * trustdocs.c - certificates and revocations as documents that travel the
 * whole federation: published at one node (`certfed trust publish`), passed
 * on by every node that accepts one it did not hold, to its parent's inbox
 * and to its own subtree's down subject, and carried by catch-up to a node
 * that was cut off when they went round.
 *
 * A node keeps every trust document it accepted in CF_T_TRUSTDOCS, in the
 * order it accepted them: "o" || n (u64 BE, from 1) -> the signed bytes, and
 * "i" || id -> n. That order is one in which each document's issuer was
 * already known, so start-up replays it and catch-up answers send it as is.
 * Entries are never deleted. A catch-up request carries the BLAKE2b-256 of
 * the held ids in id order; a neighbour whose digest differs answers with
 * its documents first (bounded, from where its last such answer stopped).
 * Duplicates are dropped by id, so relaying ends. Loop thread only.
 */
#include "node/internal.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ORDER 'o'
#define KEY_ID 'i'

static void
order_key(uint64_t n, uint8_t out[9])
{
    out[0] = KEY_ORDER;
    cf_put_u64(out + 1, n);
}

static void
id_key(const uint8_t id[CF_ID_LEN], uint8_t out[1 + CF_ID_LEN])
{
    out[0] = KEY_ID;
    memcpy(out + 1, id, CF_ID_LEN);
}

size_t
cf_trustdocs_count(cf_txn *t)
{
    /* two entries per document, none ever deleted */
    return cf_txn_count(t, CF_T_TRUSTDOCS) / 2;
}

bool
cf_trustdocs_is_doc(const uint8_t *data, size_t len)
{
    cf_envelope env;
    bool yes;

    if (cf_envelope_parse_stored(data, len, &env) != CF_OK)
        return false;
    yes = env.type == CF_MSG_MEMBER_CERT || env.type == CF_MSG_REVOCATION;
    cf_envelope_clear(&env);
    return yes;
}

/* ---- learning ---------------------------------------------------------------- */

/* Keep the revocation with the earliest cut-off in CF_T_REVOKED (the trust
 * store keeps the earliest; a restart must not widen it). */
static cf_status
put_revoked(cf_txn *t, const cf_revocation *r, const uint8_t *wire, size_t len)
{
    cf_buf old;
    cf_message *m = NULL;
    cf_status st;

    cf_buf_init(&old);
    st = cf_txn_get(t, CF_T_REVOKED, r->key, CF_PK_LEN, &old);
    if (st == CF_OK) {
        cf_envelope env;
        bool keep_old = false;
        if (cf_envelope_parse_stored(old.data, old.len, &env) == CF_OK) {
            if (cf_message_decode(&env, NULL, &m) == CF_OK)
                keep_old = m->body.type == CF_MSG_REVOCATION &&
                           m->body.u.revocation.last_good_seq <= r->last_good_seq;
            else
                cf_envelope_clear(&env);
        }
        cf_message_free(m);
        st = keep_old ? CF_OK : cf_txn_put(t, CF_T_REVOKED, r->key, CF_PK_LEN, wire, len, false);
    } else if (st == CF_E_NOT_FOUND) {
        st = cf_txn_put(t, CF_T_REVOKED, r->key, CF_PK_LEN, wire, len, false);
    }
    cf_buf_clear(&old);
    return st;
}

/* Pass a document we just accepted on: up to the parent, down to the subtree. */
static cf_status
relay(cf_node *n, cf_msg_type type, const uint8_t *wire, size_t len, cf_effects *fx)
{
    size_t me = (size_t)(n->me - n->topo->nodes);
    bool children = false;
    cf_buf subj;
    cf_status st = CF_OK;

    for (size_t i = 0; i < n->topo->n && !children; i++)
        children = n->topo->nodes[i].parent_idx == me;
    cf_buf_init(&subj);
    if (n->me->parent_idx != SIZE_MAX) {
        st = cf_subject_inbox(n->topo->nodes[n->me->parent_idx].path, (int)type, &subj);
        if (st == CF_OK)
            st = cf_effects_add(fx, (const char *)subj.data, wire, len);
    }
    if (st == CF_OK && children && cf_role_may_broadcast(n->me->role, type)) {
        subj.len = 0;
        st = cf_subject_down(n->me->path, (int)type, &subj);
        if (st == CF_OK)
            st = cf_effects_add(fx, (const char *)subj.data, wire, len);
    }
    cf_buf_clear(&subj);
    return st;
}

cf_status
cf_trustdocs_learn(cf_node *n, cf_txn *t, const cf_message *m, const uint8_t *wire, size_t len,
                   int64_t now_ms, cf_effects *fx, bool *trust_changed)
{
    uint8_t ik[1 + CF_ID_LEN], ok[9], nb[8];
    size_t held = cf_trustdocs_count(t);
    cf_buf v;
    cf_status st;

    id_key(m->env.id, ik);
    cf_buf_init(&v);
    st = cf_txn_get(t, CF_T_TRUSTDOCS, ik, sizeof(ik), &v);
    cf_buf_clear(&v);
    if (st == CF_OK)
        return CF_E_DUPLICATE;
    if (st != CF_E_NOT_FOUND)
        return st;
    if (held >= CF_TRUSTDOCS_MAX)
        return CF_E_LIMIT;
    if (m->body.type == CF_MSG_MEMBER_CERT) {
        cf_cert *c = NULL;
        uint8_t key[CF_PK_LEN + 8];
        st = cf_cert_parse(wire, len, &c);
        if (st == CF_OK)
            st = cf_trust_add_cert(n->keys->trust, c, now_ms);
        if (st == CF_OK) {
            memcpy(key, c->body->identity_key, CF_PK_LEN);
            cf_put_u64(key + CF_PK_LEN, c->body->serial);
            st = cf_txn_put(t, CF_T_CERTS, key, sizeof(key), wire, len, false);
        }
        if (st == CF_OK)
            cf_log(CF_LOG_INFO, "trust: certificate of %s (%s) from %s accepted%s", c->body->node,
                   cf_role_name(c->body->role), m->body.header.origin,
                   c->body->role == CF_ROLE_ROOT ? ": a new root of trust (root rotation)" : "");
        cf_cert_free(c);
    } else {
        const cf_revocation *r = &m->body.u.revocation;
        st = cf_trust_add_revocation(n->keys->trust, wire, len, now_ms);
        if (st == CF_OK)
            st = put_revoked(t, r, wire, len);
        if (st == CF_OK)
            cf_log(CF_LOG_WARN,
                   "trust: %s revoked a key of %s: its messages after #%" PRIu64
                   " are refused (%s)",
                   m->body.header.origin, r->node, r->last_good_seq, r->reason);
        if (st == CF_OK && sodium_memcmp(r->key, n->keys->identity->sign_pk, CF_PK_LEN) == 0)
            cf_log(CF_LOG_ERROR,
                   "ALARM this node's identity key is revoked: what it signs after #%" PRIu64
                   " is refused everywhere; install the new key its parent certifies and "
                   "restart",
                   r->last_good_seq);
    }
    if (st != CF_OK)
        return st;
    order_key((uint64_t)held + 1, ok);
    cf_put_u64(nb, (uint64_t)held + 1);
    st = cf_txn_put(t, CF_T_TRUSTDOCS, ok, sizeof(ok), wire, len, true);
    if (st == CF_OK)
        st = cf_txn_put(t, CF_T_TRUSTDOCS, ik, sizeof(ik), nb, sizeof(nb), true);
    if (st == CF_OK)
        st = relay(n, m->body.type, wire, len, fx);
    if (st == CF_OK)
        *trust_changed = true;
    return st;
}

/* ---- start-up ------------------------------------------------------------------ */

typedef struct load_ctx {
    cf_node *n;
    int64_t now_ms;
    size_t taken, refused;
    cf_cert **legacy; /* certificates of CF_T_CERTS, added as a bundle */
    size_t n_legacy;
} load_ctx;

static cf_status
take_one(load_ctx *c, const uint8_t *val, size_t vlen)
{
    cf_envelope env;
    cf_msg_type type;
    cf_status st;

    if (cf_envelope_parse_stored(val, vlen, &env) != CF_OK) {
        c->refused++;
        return CF_OK;
    }
    type = env.type;
    cf_envelope_clear(&env);
    if (type == CF_MSG_MEMBER_CERT) {
        cf_cert *cert = NULL;
        st = cf_cert_parse(val, vlen, &cert);
        if (st == CF_OK)
            st = cf_trust_add_cert(c->n->keys->trust, cert, c->now_ms);
        cf_cert_free(cert);
    } else if (type == CF_MSG_REVOCATION) {
        st = cf_trust_add_revocation(c->n->keys->trust, val, vlen, c->now_ms);
    } else {
        st = CF_E_WRONG_TYPE;
    }
    if (st == CF_E_NOMEM)
        return st;
    if (st == CF_OK)
        c->taken++;
    else
        c->refused++;
    return CF_OK;
}

static cf_status
load_ordered(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    (void)key;
    (void)klen;
    return take_one(arg, val, vlen);
}

static cf_status
load_legacy_cert(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    load_ctx *c = arg;
    cf_cert *cert = NULL;

    (void)key;
    (void)klen;
    if (cf_cert_parse(val, vlen, &cert) != CF_OK)
        return CF_OK;
    cf_cert **v = realloc(c->legacy, (c->n_legacy + 1) * sizeof(*v));
    if (!v) {
        cf_cert_free(cert);
        return CF_E_NOMEM;
    }
    c->legacy = v;
    c->legacy[c->n_legacy++] = cert;
    return CF_OK;
}

static cf_status
load_legacy_revocation(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    load_ctx *c = arg;

    (void)key;
    (void)klen;
    /* already taken from the ordered table: adding it again is CF_OK */
    if (cf_trust_add_revocation(c->n->keys->trust, val, vlen, c->now_ms) == CF_E_NOMEM)
        return CF_E_NOMEM;
    return CF_OK;
}

cf_status
cf_trustdocs_load(cf_node *n, cf_txn *t, int64_t now_ms)
{
    load_ctx c = {n, now_ms, 0, 0, NULL, 0};
    uint8_t prefix = KEY_ORDER;
    cf_status st = cf_txn_scan(t, CF_T_TRUSTDOCS, &prefix, 1, load_ordered, &c);

    /* certificates and revocations a store kept before the ordered table
     * existed: in any order (a bundle), each already there is CF_OK */
    if (st == CF_OK)
        st = cf_txn_scan(t, CF_T_CERTS, NULL, 0, load_legacy_cert, &c);
    if (st == CF_OK && c.n_legacy &&
        cf_trust_add_certs(n->keys->trust, c.legacy, c.n_legacy, now_ms, NULL) != CF_OK)
        for (size_t i = 0; i < c.n_legacy; i++)
            c.refused += cf_trust_add_cert(n->keys->trust, c.legacy[i], now_ms) != CF_OK;
    if (st == CF_OK)
        st = cf_txn_scan(t, CF_T_REVOKED, NULL, 0, load_legacy_revocation, &c);
    cf_certv_free(c.legacy, c.n_legacy);
    if (c.taken)
        cf_log(CF_LOG_INFO,
               "trust: %zu stored certificate(s) and revocation(s) taken; %zu key(s) revoked, "
               "%zu root(s) of trust",
               c.taken, cf_trust_revoked_count(n->keys->trust),
               cf_trust_root_count(n->keys->trust));
    if (c.refused)
        cf_log(CF_LOG_WARN, "%zu stored certificate(s) or revocation(s) no longer validate",
               c.refused);
    return st;
}

/* ---- the digest, and catch-up answers ---------------------------------------- */

static cf_status
hash_id(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    (void)val;
    (void)vlen;
    if (klen != 1 + CF_ID_LEN)
        return CF_OK;
    crypto_generichash_update(arg, key + 1, CF_ID_LEN);
    return CF_OK;
}

cf_status
cf_trustdocs_digest(cf_txn *t, uint8_t out[CF_ID_LEN])
{
    crypto_generichash_state h;
    uint8_t prefix = KEY_ID, d[CF_ID_LEN];
    cf_status st;

    crypto_generichash_init(&h, NULL, 0, CF_ID_LEN);
    /* LMDB gives the ids in key order: the same set hashes the same */
    st = cf_txn_scan(t, CF_T_TRUSTDOCS, &prefix, 1, hash_id, &h);
    crypto_generichash_final(&h, d, CF_ID_LEN);
    if (st == CF_OK)
        memcpy(out, d, CF_ID_LEN);
    return st;
}

typedef struct answer_ctx {
    cf_bytes *v;
    size_t n, cap, bytes, max, budget;
    uint64_t stopped_at; /* the first document left out, 0 if none */
} answer_ctx;

static cf_status
collect(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *arg)
{
    answer_ctx *c = arg;

    if (klen != 9)
        return CF_OK;
    if (c->n >= c->max || (c->n > 0 && c->bytes + vlen > c->budget)) {
        c->stopped_at = cf_get_u64(key + 1);
        return CF_E_EXISTS;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        cf_bytes *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return CF_E_NOMEM;
        c->v = v;
        c->cap = cap;
    }
    uint8_t *copy = malloc(vlen);
    if (!copy)
        return CF_E_NOMEM;
    memcpy(copy, val, vlen);
    c->v[c->n].data = copy;
    c->v[c->n].len = vlen;
    c->n++;
    c->bytes += vlen + 8;
    return CF_OK;
}

cf_status
cf_trustdocs_answer(cf_txn *t, const cf_catchup_request *r, cf_peer_sync *p, size_t max,
                    size_t budget, cf_bytes **out, size_t *out_n, size_t *out_cap,
                    size_t *out_bytes, bool *out_more)
{
    uint8_t mine[CF_ID_LEN], prefix = KEY_ORDER, start[9];
    answer_ctx c;
    cf_status st = CF_OK;

    memset(&c, 0, sizeof(c));
    if (!r->has_trust_digest || r->own_only)
        goto done;
    st = cf_trustdocs_digest(t, mine);
    if (st != CF_OK)
        return st;
    if (sodium_memcmp(mine, r->trust_digest, CF_ID_LEN) == 0) {
        p->trust_next = 0;
        goto done;
    }
    c.max = max;
    c.budget = budget;
    order_key(p->trust_next ? p->trust_next : 1, start);
    st = cf_txn_scan_from(t, CF_T_TRUSTDOCS, &prefix, 1, start, sizeof(start), collect, &c);
    if (st != CF_OK) {
        for (size_t i = 0; i < c.n; i++)
            free((void *)c.v[i].data);
        free(c.v);
        return st;
    }
    /* the next answer to a differing digest goes on from here, and after
     * the last document starts from the first again */
    p->trust_next = c.stopped_at;
done:
    *out = c.v;
    *out_n = c.n;
    *out_cap = c.cap;
    *out_bytes = c.bytes;
    *out_more = c.stopped_at != 0;
    return CF_OK;
}

/* ---- publishing through the control socket -------------------------------------- */

cf_status
cf_trustdocs_publish(cf_node *n, const uint8_t *wire, size_t len, cf_status *verdict,
                     uint8_t out_id[CF_ID_LEN])
{
    cf_effects fx = {NULL, NULL};
    cf_txn *t = NULL;
    cf_envelope env;
    int64_t now_ms = cf_clock_now_ms();
    bool trust_changed = false;
    cf_status st;

    /* only certificates and revocations come this way */
    st = cf_envelope_parse_stored(wire, len, &env);
    if (st != CF_OK)
        return st;
    if (env.type != CF_MSG_MEMBER_CERT && env.type != CF_MSG_REVOCATION) {
        cf_envelope_clear(&env);
        return CF_E_WRONG_TYPE;
    }
    uint8_t id[CF_ID_LEN];
    cf_status v = CF_OK;
    memcpy(id, env.id, CF_ID_LEN);
    cf_envelope_clear(&env);
    st = cf_txn_begin(n->store, true, &t);
    if (st == CF_OK)
        st = cf_node_receive(n, t, wire, len, "the control socket", NULL, now_ms, &fx,
                             &trust_changed, &v);
    if (st == CF_OK)
        st = cf_node_receipts_sign(n, t, now_ms, &fx);
    if (st == CF_OK) {
        st = cf_txn_commit(t);
    } else {
        cf_node_receipts_forget(n);
        cf_txn_abort(t);
    }
    if (st == CF_OK)
        cf_effects_publish(n, &fx);
    cf_effects_clear(&fx);
    if (trust_changed)
        cf_node_trust_changed(n, now_ms);
    if (st == CF_OK) {
        *verdict = v;
        memcpy(out_id, id, CF_ID_LEN);
    }
    return st;
}
