/*
 * trust.c - the trust store: the configured root, every certificate that
 * chains to it, and accepted revocations. One thread owns a cf_trust.
 *
 * Chains are short (root -> NCERT -> sectoral -> constituent), so each check
 * walks issuer links up to a trust anchor; MAX_DEPTH bounds a hostile loop.
 * The anchors are the configured self-signed root and every root rotation
 * accepted since (a ROOT certificate signed by an anchor): a rotation makes
 * its new key an anchor of its own and ends the signing anchor's trust
 * CF_ROOT_OVERLAP_MS after the rotation's not_before.
 *
 * Every received message looks its signer up, and each link of its chain its
 * issuer: a national federation holds hundreds of certificates, so lookups
 * by key go through an index sorted by key (by_key), not a scan. Keys are
 * public: they are compared with memcmp.
 */
#include "keys_private.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8

typedef struct revoked_key {
    uint8_t key[CF_PK_LEN];
    uint64_t last_good_seq;
} revoked_key;

/* A root the store trusts by itself, until until_ms. */
typedef struct anchor {
    const cf_cert *cert; /* in certs */
    int64_t until_ms;
} anchor;

struct cf_trust {
    cf_cert *root;
    cf_cert **certs;  /* root included, in the order they were added */
    cf_cert **by_key; /* the same, sorted by identity key */
    size_t n, cap;
    revoked_key *revs;
    size_t n_revs;
    anchor *anchors; /* [0] is the configured root */
    size_t n_anchors;
};

static cf_status
cert_copy(const cf_cert *c, cf_cert **out)
{
    return cf_cert_parse(c->wire, c->len, out);
}

static bool
self_signed(const cf_cert *c)
{
    return memcmp(c->body->identity_key, c->body->issuer_key, CF_PK_LEN) == 0;
}

/* The first place in by_key whose key is not below key. */
static size_t
key_lower_bound(const cf_trust *t, const uint8_t key[CF_PK_LEN])
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(t->by_key[mid]->body->identity_key, key, CF_PK_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static cf_status
push_cert(cf_trust *t, cf_cert *c)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        cf_cert **v = realloc(t->certs, cap * sizeof(*v));
        if (!v)
            return CF_E_NOMEM;
        t->certs = v;
        v = realloc(t->by_key, cap * sizeof(*v));
        if (!v)
            return CF_E_NOMEM; /* certs grew; cap stays, so both grow next time */
        t->by_key = v;
        t->cap = cap;
    }
    size_t at = key_lower_bound(t, c->body->identity_key);
    memmove(&t->by_key[at + 1], &t->by_key[at], (t->n - at) * sizeof(*t->by_key));
    t->by_key[at] = c;
    t->certs[t->n++] = c;
    return CF_OK;
}

cf_status
cf_trust_new(const cf_cert *root, cf_trust **out)
{
    cf_trust *t;
    cf_status st;

    if (root->body->role != CF_ROLE_ROOT || !self_signed(root))
        return CF_E_BAD_CHAIN;
    t = calloc(1, sizeof(*t));
    if (!t)
        return CF_E_NOMEM;
    st = cert_copy(root, &t->root);
    if (st == CF_OK)
        st = push_cert(t, t->root);
    if (st == CF_OK) {
        t->anchors = malloc(sizeof(*t->anchors));
        st = t->anchors ? CF_OK : CF_E_NOMEM;
    }
    if (st != CF_OK) {
        if (t->n == 0)
            cf_cert_free(t->root);
        cf_certv_free(t->certs, t->n);
        free(t->by_key);
        free(t);
        return st;
    }
    t->anchors[0].cert = t->root;
    t->anchors[0].until_ms = INT64_MAX;
    t->n_anchors = 1;
    *out = t;
    return CF_OK;
}

void
cf_trust_free(cf_trust *t)
{
    if (!t)
        return;
    cf_certv_free(t->certs, t->n);
    free(t->by_key);
    free(t->revs);
    free(t->anchors);
    free(t);
}

const cf_cert *
cf_trust_root(const cf_trust *t)
{
    return t->root;
}

const char *
cf_trust_federation(const cf_trust *t)
{
    return t->root->federation;
}

size_t
cf_trust_count(const cf_trust *t)
{
    return t->n;
}

const cf_cert *
cf_trust_at(const cf_trust *t, size_t i)
{
    return i < t->n ? t->certs[i] : NULL;
}

size_t
cf_trust_root_count(const cf_trust *t)
{
    return t->n_anchors;
}

size_t
cf_trust_revoked_count(const cf_trust *t)
{
    return t->n_revs;
}

/* The anchor that is exactly this certificate, or NULL. */
static anchor *
find_anchor(const cf_trust *t, const cf_cert *c)
{
    for (size_t i = 0; i < t->n_anchors; i++) {
        const cf_cert *a = t->anchors[i].cert;
        if (a->len == c->len && memcmp(a->wire, c->wire, c->len) == 0)
            return &t->anchors[i];
    }
    return NULL;
}

static bool
valid_at(const cf_cert *c, int64_t now_ms)
{
    return c->body->not_before_ms <= now_ms && now_ms < c->body->not_after_ms;
}

/* The certificate of a key: the newest one valid at now if there is one,
 * else the newest. All certificates of one key name the same node, role
 * and parent (cf_trust_add_cert sees to that); they differ in validity. */
static const cf_cert *
find_key_at(const cf_trust *t, const uint8_t key[CF_PK_LEN], int64_t now_ms)
{
    const cf_cert *best = NULL;
    bool best_valid = false;

    for (size_t i = key_lower_bound(t, key); i < t->n; i++) {
        const cf_cert *c = t->by_key[i];
        if (memcmp(c->body->identity_key, key, CF_PK_LEN) != 0)
            break;
        bool v = valid_at(c, now_ms);
        if (!best || (v && !best_valid) ||
            (v == best_valid && c->body->not_before_ms > best->body->not_before_ms)) {
            best = c;
            best_valid = v;
        }
    }
    return best;
}

const cf_cert *
cf_trust_find_key(const cf_trust *t, const uint8_t key[CF_PK_LEN])
{
    return find_key_at(t, key, cf_clock_now_ms());
}

bool
cf_trust_is_revoked(const cf_trust *t, const uint8_t key[CF_PK_LEN], uint64_t *out_last_good)
{
    for (size_t i = 0; i < t->n_revs; i++) {
        if (memcmp(t->revs[i].key, key, CF_PK_LEN) == 0) {
            if (out_last_good)
                *out_last_good = t->revs[i].last_good_seq;
            return true;
        }
    }
    return false;
}

/*
 * Validate c's chain up to the root. The leaf's own revocation is checked
 * only when check_leaf is set: a revoked signer's messages up to its last
 * good sequence number stay valid, and the caller decides that.
 */
static cf_status
check_chain(const cf_trust *t, const cf_cert *c, int64_t now_ms, bool check_leaf)
{
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
        const cf_cert *issuer;

        if (strcmp(c->federation, t->root->federation) != 0)
            return CF_E_WRONG_FEDERATION;
        if (now_ms < c->body->not_before_ms)
            return CF_E_NOT_YET_VALID;
        if (now_ms >= c->body->not_after_ms)
            return CF_E_EXPIRED;
        if ((depth > 0 || check_leaf) && cf_trust_is_revoked(t, c->body->identity_key, NULL))
            return CF_E_REVOKED;
        if (c->body->role == CF_ROLE_ROOT) {
            /* our root, or a rotation we accepted: trusted by itself, a
             * retired one only until its overlap with its successor ends */
            const anchor *a = find_anchor(t, c);
            if (a)
                return now_ms < a->until_ms ? CF_OK : CF_E_EXPIRED;
        }
        /* only an anchor may sign itself */
        if (self_signed(c))
            return CF_E_BAD_CHAIN;
        issuer = find_key_at(t, c->body->issuer_key, now_ms);
        if (!issuer)
            return CF_E_BAD_CHAIN;
        if (!cf_cert_relation_ok(issuer->body, c->body))
            return CF_E_UNAUTHORIZED;
        c = issuer;
    }
    return CF_E_BAD_CHAIN;
}

/*
 * One key and one node id belong to one place in the hierarchy. A public
 * key is public, and any certifying node can put any key or name into a
 * certificate of its own; without this rule telecom could certify
 * state-bank's key as its own constituent and then revoke it, or banking
 * could certify a "lahore-it" of its own and take over that name. So:
 * - a key already certified must keep its node, role and parent (a
 *   renewal); the first certificate to arrive holds the place;
 * - a node id held by a valid certificate must keep its role and parent (a
 *   re-certification with a new key by the same parent is fine);
 * - a node's identity key is never also its transport key (DESIGN.md 2).
 * The root's own certificate is not a node and takes no part.
 */
static cf_status
check_binding(const cf_trust *t, const cf_member_cert *b, int64_t now_ms)
{
    if (b->role == CF_ROLE_ROOT)
        return CF_OK;
    if (memcmp(b->identity_key, b->transport_key, CF_PK_LEN) == 0)
        return CF_E_UNAUTHORIZED;
    for (size_t i = 0; i < t->n; i++) {
        const cf_cert *oc = t->certs[i];
        const cf_member_cert *o = oc->body;
        bool same_place = o->role == b->role && strcmp(o->node, b->node) == 0 &&
                          strcmp(o->parent, b->parent) == 0;
        if (memcmp(o->identity_key, b->identity_key, CF_PK_LEN) == 0 && !same_place)
            return CF_E_UNAUTHORIZED;
        if (o->role != CF_ROLE_ROOT && strcmp(o->node, b->node) == 0 && !same_place &&
            valid_at(oc, now_ms))
            return CF_E_UNAUTHORIZED;
    }
    return CF_OK;
}

cf_status
cf_trust_check_cert(const cf_trust *t, const cf_cert *c, int64_t now_ms)
{
    return check_chain(t, c, now_ms, true);
}

cf_status
cf_trust_add_cert(cf_trust *t, const cf_cert *c, int64_t now_ms)
{
    cf_cert *copy = NULL;
    cf_status st;

    for (size_t i = 0; i < t->n; i++)
        if (t->certs[i]->len == c->len && memcmp(t->certs[i]->wire, c->wire, c->len) == 0)
            return CF_OK;
    st = check_binding(t, c->body, now_ms);
    if (st != CF_OK)
        return st;
    st = check_chain(t, c, now_ms, true);
    if (st != CF_OK)
        return st;
    /* a root rotation becomes an anchor: room first, so nothing fails
     * after the certificate is in */
    if (c->body->role == CF_ROLE_ROOT) {
        anchor *v = realloc(t->anchors, (t->n_anchors + 1) * sizeof(*v));
        if (!v)
            return CF_E_NOMEM;
        t->anchors = v;
    }
    st = cert_copy(c, &copy);
    if (st == CF_OK)
        st = push_cert(t, copy);
    if (st != CF_OK) {
        cf_cert_free(copy);
        return st;
    }
    if (c->body->role == CF_ROLE_ROOT) {
        /* check_chain let only a ROOT signed by a live anchor through: that
         * anchor retires when the overlap ends (the earliest rotation wins) */
        int64_t end = c->body->not_before_ms > INT64_MAX - CF_ROOT_OVERLAP_MS
                          ? INT64_MAX
                          : c->body->not_before_ms + CF_ROOT_OVERLAP_MS;
        for (size_t i = 0; i < t->n_anchors; i++)
            if (memcmp(t->anchors[i].cert->body->identity_key, c->body->issuer_key, CF_PK_LEN) ==
                    0 &&
                end < t->anchors[i].until_ms)
                t->anchors[i].until_ms = end;
        t->anchors[t->n_anchors].cert = copy;
        t->anchors[t->n_anchors].until_ms = INT64_MAX;
        t->n_anchors++;
    }
    return CF_OK;
}

cf_status
cf_trust_add_certs(cf_trust *t, cf_cert *const *v, size_t n, int64_t now_ms, size_t *out_failed)
{
    bool *done = calloc(n ? n : 1, sizeof(*done));
    size_t left = n;
    cf_status st = CF_OK;

    if (!done)
        return CF_E_NOMEM;
    /* a bundle may list children before parents: retry until no progress */
    for (bool progress = true; progress && left > 0;) {
        progress = false;
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            if (cf_trust_add_cert(t, v[i], now_ms) == CF_OK) {
                done[i] = true;
                left--;
                progress = true;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!done[i]) {
            st = cf_trust_add_cert(t, v[i], now_ms);
            if (out_failed)
                *out_failed = i;
            break;
        }
    }
    free(done);
    return st;
}

const cf_cert *
cf_trust_find_node(const cf_trust *t, const char *node, int64_t now_ms)
{
    const cf_cert *best = NULL;

    for (size_t i = 0; i < t->n; i++) {
        const cf_cert *c = t->certs[i];
        if (c->body->role == CF_ROLE_ROOT || strcmp(c->body->node, node) != 0)
            continue;
        if (check_chain(t, c, now_ms, true) != CF_OK)
            continue;
        if (!best || c->body->not_before_ms > best->body->not_before_ms)
            best = c;
    }
    return best;
}

const cf_cert *
cf_trust_find_place(const cf_trust *t, const char *node, int64_t now_ms)
{
    const cf_cert *best = cf_trust_find_node(t, node, now_ms);

    if (best)
        return best;
    for (size_t i = 0; i < t->n; i++) {
        const cf_cert *c = t->certs[i];
        if (c->body->role == CF_ROLE_ROOT || strcmp(c->body->node, node) != 0)
            continue;
        if (check_chain(t, c, now_ms, false) != CF_OK)
            continue;
        if (!best || c->body->not_before_ms > best->body->not_before_ms)
            best = c;
    }
    return best;
}

cf_status
cf_trust_check_signer(const cf_trust *t, const uint8_t key[CF_PK_LEN], uint64_t seq, int64_t now_ms,
                      const cf_cert **out_cert)
{
    const cf_cert *c = find_key_at(t, key, now_ms);
    uint64_t last_good = 0;
    cf_status st;

    if (!c)
        return CF_E_UNKNOWN_SIGNER;
    if (cf_trust_is_revoked(t, key, &last_good) && (seq == 0 || seq > last_good))
        return CF_E_REVOKED;
    st = check_chain(t, c, now_ms, false);
    if (st == CF_OK && out_cert)
        *out_cert = c;
    return st;
}

/* Is ancestor_key the issuer of c or of one of c's issuers? */
static bool
is_ancestor(const cf_trust *t, const cf_cert *c, const uint8_t ancestor_key[CF_PK_LEN],
            int64_t now_ms)
{
    for (int depth = 0; depth < MAX_DEPTH && c && !self_signed(c); depth++) {
        if (memcmp(c->body->issuer_key, ancestor_key, CF_PK_LEN) == 0)
            return true;
        c = find_key_at(t, c->body->issuer_key, now_ms);
    }
    return false;
}

cf_status
cf_trust_add_revocation(cf_trust *t, const uint8_t *wire, size_t len, int64_t now_ms)
{
    cf_message *m = NULL;
    const cf_cert *signer, *subject;
    const cf_revocation *r;
    cf_status st =
        cf_envelope_open(wire, len, NULL, CF_MSG_REVOCATION, cf_trust_federation(t), now_ms, &m);

    if (st != CF_OK)
        return st;
    r = &m->body.u.revocation;
    st = cf_trust_check_signer(t, m->env.signer, m->body.header.seq, now_ms, &signer);
    if (st != CF_OK)
        goto out;
    subject = find_key_at(t, r->key, now_ms);
    if (!subject) {
        st = CF_E_NOT_FOUND;
        goto out;
    }
    /* the revocation must name the node it revokes, and come from above it */
    if (strcmp(r->node, subject->body->node) != 0 ||
        (signer->body->role != CF_ROLE_ROOT && !is_ancestor(t, subject, m->env.signer, now_ms))) {
        st = CF_E_UNAUTHORIZED;
        goto out;
    }
    for (size_t i = 0; i < t->n_revs; i++) {
        if (memcmp(t->revs[i].key, r->key, CF_PK_LEN) == 0) {
            /* the earliest cut-off wins: a later revocation cannot widen it */
            if (r->last_good_seq < t->revs[i].last_good_seq)
                t->revs[i].last_good_seq = r->last_good_seq;
            st = CF_OK;
            goto out;
        }
    }
    revoked_key *v = realloc(t->revs, (t->n_revs + 1) * sizeof(*v));
    if (!v) {
        st = CF_E_NOMEM;
        goto out;
    }
    t->revs = v;
    memcpy(v[t->n_revs].key, r->key, CF_PK_LEN);
    v[t->n_revs].last_good_seq = r->last_good_seq;
    t->n_revs++;
    st = CF_OK;
out:
    cf_message_free(m);
    return st;
}
