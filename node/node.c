/*
 * node.c - the node's life: start, receive, originate, flush the outbox on
 * (re)connect, stop.
 *
 * Receiving: every message taken from the link in one loop turn goes
 * through process_one() inside one write transaction: verify the
 * signature, look the signer up before the body is decoded, decode, check
 * the header, the signer's chain and revocation, the rules of federation/
 * and the store's own checks, record and apply. Acks and forwards made on
 * the way are signed and logged in the same transaction and published only
 * after it commits. Everything runs on the loop thread.
 */
#include "node/http.h"
#include "node/internal.h"

#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cf_status
cf_effects_add(cf_effects *fx, const char *subject, const uint8_t *data, size_t len)
{
    size_t slen = strlen(subject);
    cf_effect *e = malloc(sizeof(*e) + len + slen + 1);

    if (!e)
        return CF_E_NOMEM;
    e->next = NULL;
    e->len = len;
    memcpy(e->data, data, len);
    e->subject = (char *)e->data + len;
    memcpy(e->subject, subject, slen + 1);
    if (fx->tail)
        fx->tail->next = e;
    else
        fx->head = e;
    fx->tail = e;
    return CF_OK;
}

void
cf_effects_clear(cf_effects *fx)
{
    cf_effect *e = fx->head;

    while (e) {
        cf_effect *next = e->next;
        free(e);
        e = next;
    }
    fx->head = fx->tail = NULL;
}

void
cf_effects_publish(cf_node *n, cf_effects *fx)
{
    for (cf_effect *e = fx->head; e; e = e->next) {
        if (cf_link_publish(n->link, e->subject, e->data, e->len) == CF_OK)
            n->counters.published++;
        /* not connected: the outbox holds what must reach its recipients */
    }
    cf_effects_clear(fx);
}

static void
note_contact(cf_node *n, const char *origin, int64_t now_ms)
{
    for (size_t i = 0; i < n->topo->n && i < n->n_last_contact; i++) {
        if (strcmp(n->topo->nodes[i].id, origin) == 0) {
            n->last_contact[i] = now_ms;
            return;
        }
    }
}

/*
 * Take one message of origin off its token bucket: sender_rate a second,
 * up to sender_burst at once. A message over the rate is refused before
 * anything is stored or answered, and unacknowledged, so its origin sends
 * it again with backoff: a flooding node slows itself down and the others
 * keep their service. The signature is checked first, so that nobody can
 * spend another node's allowance.
 */
static bool
rate_take(cf_node *n, const char *origin, int64_t now_ms)
{
    const cf_topo_node *o = cf_topology_find(n->topo, origin);
    size_t i = o ? (size_t)(o - n->topo->nodes) : SIZE_MAX;
    double burst = (double)n->cfg->sender_burst;

    if (i >= n->n_last_contact)
        return true; /* not a member: refused by the rules anyway */
    cf_rate *r = &n->rates[i];
    if (r->at_ms == 0) {
        r->tokens = burst;
    } else if (now_ms > r->at_ms) {
        r->tokens += (double)(now_ms - r->at_ms) * (double)n->cfg->sender_rate / 1000.0;
        if (r->tokens > burst)
            r->tokens = burst;
    }
    r->at_ms = now_ms;
    if (r->tokens >= 1.0) {
        r->tokens -= 1.0;
        return true;
    }
    r->throttled++;
    n->counters.throttled++;
    if (now_ms - r->logged_ms >= 1000) {
        r->logged_ms = now_ms;
        cf_log(CF_LOG_WARN,
               "throttled %s: over %zu messages a second ([limits] sender_rate); %" PRIu64
               " of its messages refused so far, to be sent again by it",
               origin, n->cfg->sender_rate, r->throttled);
    }
    return false;
}

/* Rebuild the hierarchy after the trust store changed. */
static cf_status
rebuild_topology(cf_node *n, int64_t now_ms, char *err, size_t errlen)
{
    cf_topology *t = NULL;
    const cf_topo_node *me;
    int64_t *lc;
    cf_rate *rates;
    cf_status st = cf_topology_from_trust(n->keys->trust, now_ms, &t, err, errlen);

    if (st != CF_OK)
        return st;
    me = cf_topology_find(t, n->cfg->id);
    if (!me) {
        snprintf(err, errlen, "node '%s' has no valid place in the hierarchy", n->cfg->id);
        cf_topology_free(t);
        return CF_E_BAD_CHAIN;
    }
    lc = calloc(t->n ? t->n : 1, sizeof(*lc));
    rates = calloc(t->n ? t->n : 1, sizeof(*rates));
    if (!lc || !rates) {
        free(lc);
        free(rates);
        cf_topology_free(t);
        return CF_E_NOMEM;
    }
    /* carry last-contact times and rates over by node id */
    for (size_t i = 0; n->topo && i < t->n; i++) {
        const cf_topo_node *old = cf_topology_find(n->topo, t->nodes[i].id);
        if (old) {
            lc[i] = n->last_contact[old - n->topo->nodes];
            rates[i] = n->rates[old - n->topo->nodes];
        }
    }
    cf_topology_free(n->topo);
    free(n->last_contact);
    free(n->rates);
    n->topo = t;
    n->me = me;
    n->rates = rates;
    n->last_contact = lc;
    n->n_last_contact = t->n;
    return cf_catchup_peers_rebuild(n);
}

void
cf_node_trust_changed(cf_node *n, int64_t now_ms)
{
    char err[256];

    if (rebuild_topology(n, now_ms, err, sizeof(err)) != CF_OK)
        cf_log(CF_LOG_ERROR, "the hierarchy could not be rebuilt: %s", err);
}

static int64_t resend_delay(const cf_node *n, uint32_t attempts, uint32_t jitter);
static bool probe_takes(cf_node *n, const cf_logkey *key);
static void probe_start(cf_node *n, const cf_logkey *key, const uint8_t id[CF_ID_LEN],
                        int64_t now_ms);
static void probe_answered(cf_node *n, const cf_ack *a, bool timed, int64_t now_ms);

/* Is the outbox at its cap? (LMDB keeps the count: no scan.) */
static bool
outbox_full(const cf_node *n, cf_txn *t)
{
    return cf_txn_count(t, CF_T_OUTBOX) >= n->cfg->outbox_max;
}

/* ---- the sequence floor ------------------------------------------------------ */

/*
 * Sequence numbers are reserved in blocks in a small file beside the store
 * (<store>.seq), written and synced before a number of a new block is
 * used. A store restored from an old backup is then behind the floor, and
 * the node continues above it: it cannot sign a second message under a
 * number it used after the backup, even one its neighbours never saw.
 */
#define CF_SEQ_BLOCK 1000

static char *
floor_path(const cf_node *n)
{
    cf_buf p;

    cf_buf_init(&p);
    if (cf_buf_printf(&p, "%s.seq", n->cfg->store) != CF_OK) {
        cf_buf_clear(&p);
        return NULL;
    }
    return (char *)p.data; /* NUL-terminated; freed with free() */
}

static cf_status
reserve_seq(cf_node *n, uint64_t seq, const char **why)
{
    char text[32];
    char *path;
    cf_status st;

    if (seq <= n->seq_reserved)
        return CF_OK;
    path = floor_path(n);
    if (!path)
        return CF_E_NOMEM;
    uint64_t upto = seq + CF_SEQ_BLOCK - 1;
    int len = snprintf(text, sizeof(text), "%" PRIu64 "\n", upto);
    st = cf_file_write(path, text, (size_t)len, 0600, false);
    if (st == CF_OK) {
        n->seq_reserved = upto;
    } else {
        cf_log(CF_LOG_ERROR, "cannot reserve sequence numbers in %s: %s", path, cf_status_str(st));
        if (why)
            *why = "sequence numbers cannot be reserved (the store's folder is not writable?)";
    }
    free(path);
    return st;
}

/* At start: a store behind its floor was restored from an old backup. */
static cf_status
load_seq_floor(cf_node *n)
{
    char *path = floor_path(n);
    uint8_t *text = NULL;
    size_t len = 0;
    cf_status st;

    if (!path)
        return CF_E_NOMEM;
    st = cf_file_read(path, 64, &text, &len);
    if (st == CF_E_NOT_FOUND) {
        st = CF_OK; /* a new node, or one made before the floor existed */
    } else if (st == CF_OK) {
        char *end = NULL;
        unsigned long long v = strtoull((const char *)text, &end, 10);
        if (!end || end == (char *)text || (*end && *end != '\n')) {
            cf_log(CF_LOG_ERROR, "%s: not a sequence number", path);
            st = CF_E_CONFIG;
        } else {
            n->seq_reserved = v;
            /* numbers of the block reserved before this start may have been
             * used after the store's last backup: skip what is left of it
             * (a store restored from a backup then never reuses a number) */
            if (v > n->seq) {
                cf_log(CF_LOG_INFO,
                       "own sequence continues after %llu, the last number reserved before "
                       "this start (the store's last is %" PRIu64 ")",
                       v + 1, n->seq);
                n->seq = v + 1; /* nobody holds v + 1: no chain link to break */
            }
        }
    }
    free(text);
    free(path);
    return st;
}

/* ---- originating ----------------------------------------------------------- */

/*
 * Sign and store a message of this node inside t; its publication is added
 * to fx. Messages that must reach recipients are kept in the outbox until
 * they ack (acks themselves are not: a lost ack is answered by a resend).
 */
static cf_status
originate_in(cf_node *n, cf_txn *t, cf_body *b, const char *reply_to, cf_effects *fx,
             uint8_t out_id[CF_ID_LEN], const char **why)
{
    cf_strlist subjects = {NULL, 0}, recipients = {NULL, 0}, sealed_to = {NULL, 0};
    const cf_strv named = b->header.audience.nodes;
    const bool seal = cf_tlp_needs_sealing(b);
    const cf_body *sent = b; /* what goes on the wire: b, or b sealed */
    cf_body outer;
    cf_sealing sealing;
    cf_buf body, wire, inner_wire;
    cf_envelope env;
    cf_message *m = NULL, *inner = NULL;
    cf_logkey key;
    cf_status st;

    memset(&sealing, 0, sizeof(sealing));
    b->header.federation = n->cfg->federation;
    b->header.origin = n->cfg->id;
    b->header.seq = n->pending_seq + 1;
    st = reserve_seq(n, b->header.seq, why);
    if (st != CF_OK)
        return st;
    b->header.has_prev_hash = n->pending_seq > 0;
    memcpy(b->header.prev_hash, n->pending_head, CF_ID_LEN);
    b->header.created_ms = cf_clock_now_ms();
    /* a sealed incident is addressed to its recipients, ourselves included */
    if (seal) {
        st = cf_tlp_recipients(n, named, &sealed_to, why);
        if (st != CF_OK)
            return st;
        b->header.audience.nodes.v = (const char *const *)sealed_to.v;
        b->header.audience.nodes.n = sealed_to.n;
    }
    st = cf_rule_originate(n->topo, b, why);
    if (st != CF_OK) {
        b->header.audience.nodes = named;
        cf_strlist_clear(&sealed_to);
        return st;
    }
    /* the outbox never grows without bound: past its cap, new work (but
     * not a receipt, which never waits in it) is refused, loudly */
    if (b->type != CF_MSG_ACK && outbox_full(n, t)) {
        if (why)
            *why = "the outbox is full: recipients have not acknowledged earlier messages";
        cf_log(CF_LOG_ERROR,
               "ALARM outbox full (%zu messages waiting for receipts): refusing "
               "new work until recipients catch up",
               n->cfg->outbox_max);
        b->header.audience.nodes = named;
        cf_strlist_clear(&sealed_to);
        return CF_E_FULL;
    }
    cf_buf_init(&body);
    cf_buf_init(&wire);
    cf_buf_init(&inner_wire);
    st = cf_body_encode(b, &n->limits, &body);
    if (st == CF_E_INVALID_ARG && why)
        *why = "a field is out of its range";
    if (st == CF_OK)
        st = cf_envelope_seal(b->type, body.data, body.len, n->keys->identity->sign_sk, &wire);
    /* sealed: what was signed is the inner envelope; encrypt it to the
     * recipients and sign the ciphertext with the recipient list */
    if (st == CF_OK && seal) {
        cf_buf tmp = inner_wire;
        inner_wire = wire;
        wire = tmp;
        st = cf_envelope_parse_stored(inner_wire.data, inner_wire.len, &env);
        if (st == CF_OK) {
            st = cf_message_decode(&env, &n->limits, &inner);
            if (st != CF_OK)
                cf_envelope_clear(&env);
        }
        if (st == CF_OK)
            st = cf_tlp_seal(n, b, inner_wire.data, inner_wire.len, b->header.created_ms, &sealing,
                             &outer, why);
        if (st == CF_OK) {
            sent = &outer;
            st = cf_rule_originate(n->topo, sent, why);
        }
        body.len = 0;
        if (st == CF_OK)
            st = cf_body_encode(sent, &n->limits, &body);
        if (st == CF_E_LIMIT && why)
            *why = "the sealed message would exceed the size or recipient limits";
        if (st == CF_OK)
            st = cf_envelope_seal(sent->type, body.data, body.len, n->keys->identity->sign_sk,
                                  &wire);
    }
    if (st == CF_OK)
        st = cf_envelope_parse_stored(wire.data, wire.len, &env);
    if (st == CF_OK) {
        st = cf_message_decode(&env, &n->limits, &m);
        if (st != CF_OK)
            cf_envelope_clear(&env);
    }
    if (st == CF_OK)
        st = cf_route(n->topo, n->cfg->id, sent, reply_to, &subjects, &recipients);
    /* what our receipt means was recorded with each message it stands for
     * (receipt_owed): applying it would read them all back; and nothing
     * names a receipt by its id */
    bool is_receipt = b->type == CF_MSG_ACK && b->u.ack.state == 1;
    if (st == CF_OK)
        st = cf_state_record(t, m, wire.data, wire.len, !is_receipt);
    if (st == CF_OK && inner)
        st = cf_state_opened_put(t, m, inner_wire.data, inner_wire.len);
    if (st == CF_OK && !is_receipt)
        st = cf_state_apply(t, inner ? inner : m, b->header.created_ms);
    /* our sequence, head and last signature's time are read back from
     * our own mark and log entry (cf_state_own_head): no table more in
     * this commit */
    cf_logkey_make(n->cfg->id, b->header.seq, &key);
    /* everything that must arrive waits in the outbox for its receipts; a
     * receipt itself does not (a resend of the message brings it again) */
    if (st == CF_OK && !is_receipt && recipients.n > 0) {
        st = cf_state_outbox_put(t, &key, &subjects, &recipients,
                                 b->header.created_ms + resend_delay(n, 1, randombytes_random()),
                                 b->header.expires_ms);
        if (st == CF_OK && probe_takes(n, &key))
            probe_start(n, &key, m->env.id, b->header.created_ms);
    }
    for (size_t i = 0; st == CF_OK && i < subjects.n; i++)
        st = cf_effects_add(fx, subjects.v[i], wire.data, wire.len);
    if (st == CF_OK) {
        n->pending_seq = b->header.seq;
        memcpy(n->pending_head, m->env.id, CF_ID_LEN);
        if (out_id)
            memcpy(out_id, m->env.id, CF_ID_LEN);
        n->counters.originated++;
        cf_metrics_originated(n, b, m->env.id);
    }
    cf_message_free(m);
    cf_message_free(inner);
    cf_strlist_clear(&subjects);
    cf_strlist_clear(&recipients);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
    if (inner_wire.data)
        sodium_memzero(inner_wire.data, inner_wire.cap);
    cf_buf_clear(&inner_wire);
    cf_sealing_clear(&sealing);
    b->header.audience.nodes = named;
    cf_strlist_clear(&sealed_to);
    return st;
}

static void
txn_done(cf_node *n, bool committed)
{
    cf_metrics_txn_done(n, committed);
    if (committed) {
        n->seq = n->pending_seq;
        memcpy(n->head, n->pending_head, CF_ID_LEN);
    } else {
        n->pending_seq = n->seq;
        memcpy(n->pending_head, n->head, CF_ID_LEN);
    }
}

cf_status
cf_node_originate(cf_node *n, cf_body *b, const char *reply_to, uint8_t out_id[CF_ID_LEN],
                  const char **why)
{
    return cf_node_originate_prep(n, b, reply_to, NULL, NULL, out_id, why);
}

cf_status
cf_node_originate_prep(cf_node *n, cf_body *b, const char *reply_to, cf_originate_prep prep,
                       void *ctx, uint8_t out_id[CF_ID_LEN], const char **why)
{
    cf_effects fx = {NULL, NULL};
    cf_txn *t = NULL;
    cf_status st;

    if (n->store_full) {
        if (why)
            *why = "the store is full: messages from the federation cannot be stored either";
        return CF_E_FULL;
    }
    st = cf_txn_begin(n->store, true, &t);
    if (st != CF_OK)
        return st;
    /* what the body's id needs (a counter) is taken in the same commit */
    if (prep)
        st = prep(n, t, b, ctx);
    if (st == CF_OK)
        st = originate_in(n, t, b, reply_to, &fx, out_id, why);
    if (st == CF_OK)
        st = cf_txn_commit(t);
    else
        cf_txn_abort(t);
    txn_done(n, st == CF_OK);
    if (st == CF_OK)
        cf_effects_publish(n, &fx);
    else
        cf_effects_clear(&fx);
    return st;
}

static void flush_outbox(cf_node *n, bool all);

/* ---- receiving ------------------------------------------------------------------ */

static bool
store_error(cf_status st)
{
    return st == CF_E_IO || st == CF_E_FULL || st == CF_E_NOMEM;
}

/*
 * Messages come up the tree only (incidents), so one that did not come
 * from our own child was forwarded to us by the child on the way to its
 * origin: that relay waits for our receipt too. NULL when origin is our
 * child (or not below us).
 */
static const cf_topo_node *
relaying_child(const cf_node *n, const char *origin)
{
    const cf_topo_node *o = cf_topology_find(n->topo, origin);
    size_t me = (size_t)(n->me - n->topo->nodes);

    if (!o || o->parent_idx == me || !cf_topology_is_ancestor(n->topo, n->me, o))
        return NULL;
    while (o->parent_idx != SIZE_MAX && o->parent_idx != me)
        o = &n->topo->nodes[o->parent_idx];
    return o->parent_idx == me ? o : NULL;
}

/* Publish (after the commit) our receipt of seq seq to the ack inboxes
 * of a and b (either may be NULL). */
static cf_status
send_receipt(cf_node *n, cf_txn *t, uint64_t seq, const cf_topo_node *a, const cf_topo_node *b,
             cf_effects *fx)
{
    const cf_topo_node *to[] = {a, b};
    cf_logkey key;
    cf_buf wire, subj;
    cf_status st;

    cf_logkey_make(n->cfg->id, seq, &key);
    cf_buf_init(&wire);
    cf_buf_init(&subj);
    st = cf_txn_get(t, CF_T_LOG, key.k, key.len, &wire);
    for (size_t i = 0; st == CF_OK && i < CF_ARRAY_LEN(to); i++) {
        if (!to[i])
            continue;
        subj.len = 0;
        st = cf_subject_inbox(to[i]->path, CF_MSG_ACK, &subj);
        if (st == CF_OK)
            st = cf_effects_add(fx, (const char *)subj.data, wire.data, wire.len);
    }
    cf_buf_clear(&wire);
    cf_buf_clear(&subj);
    return st;
}

/* m came again: our stored receipt for it goes again to its origin and to
 * the relay that forwarded it, once a turn (CF_E_EXISTS: it already went in
 * this turn, for another message it stands for). */
static cf_status
publish_receipt(cf_node *n, cf_txn *t, const cf_message *m, cf_effects *fx)
{
    const cf_topo_node *origin = cf_topology_find(n->topo, m->body.header.origin);
    /* only incidents are forwarded up the tree */
    const cf_topo_node *relay = m->body.type == CF_MSG_INCIDENT || m->body.type == CF_MSG_SEALED
                                    ? relaying_child(n, m->body.header.origin)
                                    : NULL;
    uint64_t seq;
    cf_status st;

    if (!origin)
        return CF_E_NOT_FOUND;
    st = cf_state_receipt_seq(t, m, &seq);
    for (size_t i = 0; st == CF_OK && i < n->n_resent; i++)
        if (n->resent[i] == seq)
            return CF_E_EXISTS;
    if (st == CF_OK)
        st = send_receipt(n, t, seq, origin, relay, fx);
    if (st == CF_OK && n->n_resent < CF_ARRAY_LEN(n->resent))
        n->resent[n->n_resent++] = seq;
    return st; /* CF_E_NOT_FOUND: we hold no receipt for it */
}

/*
 * A receipt for messages we forwarded: the acked messages are in our log,
 * come from (one origin) below us, and the receipt from above us. It
 * clears our relay outbox entries; it is not a receipt for something we
 * originated.
 */
static bool
is_relay_receipt(cf_node *n, cf_txn *t, const cf_message *m)
{
    const cf_topo_node *acker = cf_topology_find(n->topo, m->body.header.origin);
    char origin[CF_NODE_ID_MAX + 1];
    const char *why = NULL;

    if (m->body.type != CF_MSG_ACK || m->body.u.ack.state != 1 || !acker ||
        !cf_topology_is_ancestor(n->topo, acker, n->me))
        return false;
    size_t count = cf_ack_count(&m->body.u.ack);
    if (count > n->acked_cap) {
        cf_logkey *k = realloc(n->acked, count * sizeof(*k));
        if (!k)
            return false; /* cf_state_check finds them itself */
        n->acked = k;
        n->acked_cap = count;
    }
    if (cf_state_ack_origin(t, &m->body.u.ack, origin, n->acked, &why) != CF_OK)
        return false; /* cf_state_check says why */
    const cf_topo_node *o = cf_topology_find(n->topo, origin);
    return o && cf_topology_is_ancestor(n->topo, n->me, o);
}

/* Note that m, just stored, needs our receipt before the commit, and
 * record what that receipt means here (opened: m's inner message if m was
 * sealed to us). */
static cf_status
receipt_owed(cf_node *n, cf_txn *t, const cf_message *m, const cf_message *opened, int64_t now_ms)
{
    cf_status st = cf_state_receipted(t, n->cfg->id, m, opened, now_ms);

    if (st != CF_OK)
        return st;
    if (n->n_due == n->cap_due) {
        size_t cap = n->cap_due ? 2 * n->cap_due : 64;
        cf_receipt_due *d = realloc(n->due, cap * sizeof(*d));
        if (!d)
            return CF_E_NOMEM;
        n->due = d;
        n->cap_due = cap;
    }
    cf_receipt_due *d = &n->due[n->n_due];
    memcpy(d->id, m->env.id, CF_ID_LEN);
    cf_logkey_make(m->body.header.origin, m->body.header.seq, &d->key);
    snprintf(d->origin, sizeof(d->origin), "%s", m->body.header.origin);
    d->order = n->n_due++;
    /* only incidents are forwarded up the tree */
    d->relayed = (m->body.type == CF_MSG_INCIDENT || m->body.type == CF_MSG_SEALED) &&
                 relaying_child(n, m->body.header.origin) != NULL;
    /* recorded by id (process_one): everything we receipt but incidents */
    d->indexed = m->body.type != CF_MSG_INCIDENT;
    return CF_OK;
}

static int
due_cmp(const void *a, const void *b)
{
    const cf_receipt_due *x = a, *y = b;
    int c = strcmp(x->origin, y->origin);

    return c ? c : (x->order > y->order) - (x->order < y->order);
}

void
cf_node_receipts_forget(cf_node *n)
{
    n->n_due = 0;
    n->n_resent = 0;
}

/* One receipt for due[0..count): messages of one origin. */
static cf_status
sign_receipt(cf_node *n, cf_txn *t, const cf_receipt_due *due, size_t count, int64_t now_ms,
             cf_effects *fx)
{
    uint8_t *more = count > 1 ? malloc((count - 1) * CF_ID_LEN) : NULL;
    const char *why = NULL;
    bool relayed = false;
    cf_body ack;
    cf_status st;

    if (count > 1 && !more)
        return CF_E_NOMEM;
    memset(&ack, 0, sizeof(ack));
    ack.type = CF_MSG_ACK;
    memcpy(ack.u.ack.message_id, due[0].id, CF_ID_LEN);
    for (size_t i = 1; i < count; i++)
        memcpy(more + (i - 1) * CF_ID_LEN, due[i].id, CF_ID_LEN);
    ack.u.ack.more_ids = more;
    ack.u.ack.n_more = count - 1;
    ack.u.ack.node = n->cfg->id;
    ack.u.ack.state = 1; /* received */
    ack.u.ack.at_ms = now_ms;
    st = originate_in(n, t, &ack, due[0].origin, fx, NULL, &why);
    free(more);
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "cannot sign a receipt for %zu messages of %s: %s%s%s", count,
               due[0].origin, cf_status_str(st), why ? ": " : "", why ? why : "");
        /* nothing of them may be stored without its receipt */
        return store_error(st) ? st : CF_E_IO;
    }
    /* in the message's ids row if it has one: that row was written in this
     * transaction already, and a receipted row would add a table to it */
    for (size_t i = 0; i < count && st == CF_OK; i++) {
        st = due[i].indexed ? cf_state_receipt_note_id(t, due[i].id, &due[i].key, n->pending_seq)
                            : cf_state_receipt_note(t, &due[i].key, n->pending_seq);
        relayed |= due[i].relayed;
    }
    /* a receipt is looked up by its first id (whom it answers, catch-up's
     * entitled) */
    if (st == CF_OK)
        st = cf_state_index(t, due[0].id, &due[0].key);
    /* the relay that forwarded them waits for this receipt as well */
    const cf_topo_node *relay = relayed ? relaying_child(n, due[0].origin) : NULL;
    if (st == CF_OK && relay)
        st = send_receipt(n, t, n->pending_seq, relay, NULL, fx);
    return st;
}

cf_status
cf_node_receipts_sign(cf_node *n, cf_txn *t, int64_t now_ms, cf_effects *fx)
{
    cf_status st = CF_OK;
    size_t i = 0;

    n->n_resent = 0;
    if (n->n_due == 0)
        return CF_OK;
    qsort(n->due, n->n_due, sizeof(*n->due), due_cmp);
    while (i < n->n_due && st == CF_OK) {
        size_t j = i + 1;
        while (j < n->n_due && j - i < CF_RECEIPT_IDS_MAX &&
               strcmp(n->due[j].origin, n->due[i].origin) == 0)
            j++;
        st = sign_receipt(n, t, &n->due[i], j - i, now_ms, fx);
        if (st == CF_OK)
            n->counters.receipts_signed++;
        i = j;
    }
    n->n_due = 0;
    return st;
}

/*
 * Two envelopes for one place in an origin's stream: the origin (or
 * whoever holds its key) signed two histories. Keep the newcomer beside
 * the stored one as proof, refuse the origin from now on, and say so
 * loudly. The evidence is committed with the batch.
 */
static cf_status
fork_found(cf_node *n, cf_txn *t, const cf_message *m, const uint8_t *wire, size_t len,
           int64_t now_ms, const char **why)
{
    const cf_header *h = &m->body.header;
    char reason[160];
    cf_status st;

    snprintf(reason, sizeof(reason),
             "two different envelopes signed for sequence %" PRIu64 " or its chain", h->seq);
    st = cf_state_evidence_put(t, m, wire, len);
    if (st == CF_OK)
        st = cf_state_quarantine(t, h->origin, now_ms, reason);
    if (st != CF_OK)
        return st;
    n->counters.forks++;
    cf_log(CF_LOG_ERROR,
           "ALARM fork: %s signed %s; both envelopes are kept as evidence and %s is "
           "quarantined (its messages are refused until an operator releases it)",
           h->origin, reason, h->origin);
    *why = "it forks its origin's hash chain";
    return CF_E_FORK;
}

/* Do we hold these very bytes (a resend, its signature checked when it was
 * stored)? Looked up where the header, not yet verified, says they would
 * be: only the same bytes there count. */
static cf_status
holds_envelope(cf_txn *t, const uint8_t *body, size_t body_len, const uint8_t *data, size_t len,
               bool *held)
{
    char origin[CF_NODE_ID_MAX + 1];
    uint64_t seq;

    *held = false;
    if (cf_body_peek_key(body, body_len, origin, &seq) != CF_OK)
        return CF_OK; /* the decoder says what is wrong with it, once it is verified */
    return cf_state_holds(t, origin, seq, data, len, held);
}

/*
 * One envelope from the bus. Returns CF_OK when it was accepted (or ignored
 * as not for us, *ignored set), a rejection reason otherwise; a store error
 * means the whole transaction must be abandoned.
 */
static cf_status
process_one(cf_node *n, cf_txn *t, const uint8_t *data, size_t len, bool sig_checked,
            const char *via, int64_t now_ms, cf_effects *fx, bool *ignored, bool *trust_changed,
            const char **why, cf_message **out_m, cf_message **out_inner, cf_buf *inner_wire)
{
    cf_envelope env;
    cf_message *m = NULL;
    const cf_cert *signer = NULL;
    cf_status st;

    *ignored = false;
    *why = NULL;
    /* Cheap checks first: the size, then whether we know the signer at all
     * (decoding the outer envelope only), and only then the signature, so
     * junk from unknown keys costs no Ed25519 verification. */
    if (len > n->limits.max_envelope)
        return CF_E_OVERSIZE;
    st = cf_envelope_parse_stored(data, len, &env);
    if (st != CF_OK) {
        /* the precise reason (unsigned, wrong type, ...): found before any
         * signature check, so it costs no verification either */
        st = cf_envelope_verify(data, len, &n->limits, &env);
        if (st == CF_OK)
            cf_envelope_clear(&env);
        return st == CF_OK ? CF_E_MALFORMED : st;
    }
    bool known = cf_trust_find_key(n->keys->trust, env.signer) != NULL;
    if (!known) {
        cf_envelope_clear(&env);
        return CF_E_UNKNOWN_SIGNER;
    }
    /* the signature of these very bytes was checked on the thread pool
     * (verify_work), or when they were stored (a resend, byte for byte, of
     * what we hold: it gets its receipt again below without costing a
     * verification): the envelope as parsed is the verified one */
    if (!sig_checked) {
        st = holds_envelope(t, env.body, env.body_len, data, len, &sig_checked);
        if (st != CF_OK) {
            cf_envelope_clear(&env);
            return st;
        }
    }
    if (!sig_checked) {
        cf_envelope_clear(&env);
        n->counters.sig_checks++;
        st = cf_envelope_verify(data, len, &n->limits, &env);
        if (st != CF_OK)
            return st;
    }
    st = cf_message_decode(&env, &n->limits, &m);
    if (st != CF_OK) {
        cf_envelope_clear(&env);
        return st;
    }
    *out_m = m;
    const cf_body *b = &m->body;
    /* Our own messages come back only by catch-up, after a restore. They
     * are taken back even if expired since (so that their sequence numbers
     * are never signed again), when our own key signed them. */
    if (via && b->header.origin && strcmp(b->header.origin, n->cfg->id) == 0 &&
        b->type != CF_MSG_CATCHUP_REQUEST && b->type != CF_MSG_CATCHUP_BATCH &&
        b->type != CF_MSG_MEMBER_CERT && b->type != CF_MSG_REVOCATION) {
        if (sodium_memcmp(m->env.signer, n->keys->identity->sign_pk, CF_PK_LEN) != 0 ||
            !b->header.federation || strcmp(b->header.federation, n->cfg->federation) != 0) {
            *why = "a message in this node's name that this node's key did not sign";
            return CF_E_UNAUTHORIZED;
        }
        return cf_catchup_adopt_own(n, t, m, data, len, now_ms, via);
    }
    st = cf_header_check(&b->header, n->cfg->federation, now_ms);
    if (st != CF_OK)
        return st;
    /* env was moved into m by cf_message_decode: use m->env from here on */
    st = cf_trust_check_signer(n->keys->trust, m->env.signer, b->header.seq, now_ms, &signer);
    if (st != CF_OK)
        return st;
    /* a certificate is signed by its issuer, everything else by its origin */
    if (strcmp(signer->body->node, b->header.origin) != 0) {
        *why = "the signer's certificate is not the origin's";
        return CF_E_UNAUTHORIZED;
    }
    /* each origin's share of this node, from the bus or by catch-up (a
     * flooding child's stream must not come in unthrottled when we ask it
     * what we lack); catch-up messages themselves have limits of their own */
    if (b->type != CF_MSG_CATCHUP_REQUEST && b->type != CF_MSG_CATCHUP_BATCH &&
        !rate_take(n, b->header.origin, now_ms))
        return CF_E_THROTTLED;
    switch (b->type) {
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
        return cf_trustdocs_learn(n, t, m, data, len, now_ms, fx, trust_changed);
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        if (via) {
            *why = "a catch-up message inside a catch-up batch";
            return CF_E_MALFORMED;
        }
        if (b->type == CF_MSG_CATCHUP_REQUEST)
            return cf_catchup_answer(n, t, m, now_ms, fx, why);
        return cf_catchup_take(n, t, m, now_ms, fx, trust_changed, why);
    case CF_MSG_INCIDENT:
    case CF_MSG_TASKING:
    case CF_MSG_TASK_STATUS:
    case CF_MSG_DIRECTIVE:
    case CF_MSG_ACK:
    case CF_MSG_SEALED:
        break;
    }
    if (b->header.seq == 0) {
        *why = "a message needs a sequence number";
        return CF_E_MALFORMED;
    }
    st = cf_rule_originate(n->topo, b, why);
    if (st == CF_OK && strcmp(b->header.origin, n->cfg->id) == 0) {
        /* nothing of ours is ever addressed to us; one that is was made with
         * our key somewhere else */
        *why = "a message signed with this node's own key, not sent by it";
        st = CF_E_UNAUTHORIZED;
    }
    if (st == CF_OK)
        st = cf_rule_receive(n->topo, n->cfg->id, b, why);
    if (st != CF_OK)
        return st;
    if (b->type == CF_MSG_DIRECTIVE &&
        !cf_rule_directive_applies(n->topo, n->me, &b->u.directive)) {
        *ignored = true;
        return CF_OK;
    }
    /* sealed to us: open it now, before anything is written (unless it is
     * a resend we hold: recording it below finds the duplicate without
     * decrypting and verifying it again); a relay stores and passes on what
     * it cannot read */
    bool held = false;
    if (b->type == CF_MSG_SEALED) {
        st = cf_state_has_id(t, m->env.id, &held);
        if (st != CF_OK)
            return st;
    }
    if (b->type == CF_MSG_SEALED && !held) {
        st = cf_tlp_open(n, m, inner_wire, out_inner, why);
        if (st != CF_OK && st != CF_E_NOT_FOUND)
            return st;
    }
    /* The Council gets an incident from below NCERT only by escalation: a
     * node that sends it one straight, under the threshold, skips NCERT's
     * filter (later revisions of an escalated incident are welcome). */
    if (b->type == CF_MSG_INCIDENT && n->me->role == CF_ROLE_COUNCIL &&
        b->u.incident.severity < CF_SEVERITY_ESCALATE) {
        const cf_topo_node *o = cf_topology_find(n->topo, b->header.origin);
        bool child = o && o->parent_idx == (size_t)(n->me - n->topo->nodes);
        if (!child) {
            cf_message *known_inc = NULL;
            st = cf_state_incident_latest(t, b->u.incident.id, &known_inc);
            cf_message_free(known_inc);
            if (st == CF_E_NOT_FOUND) {
                *why = "an incident under the escalation threshold that did not come by NCERT";
                return CF_E_UNAUTHORIZED;
            }
            if (st != CF_OK)
                return st;
        }
    }
    /* an origin caught signing two histories is heard no more */
    bool quarantined = false;
    st = cf_state_quarantined(t, b->header.origin, &quarantined);
    if (st != CF_OK)
        return st;
    if (quarantined) {
        *why = "its origin is quarantined after signing two different histories";
        return CF_E_FORK;
    }
    /* everything but a receipt gets a receipt */
    bool receipted = b->type != CF_MSG_ACK || b->u.ack.state >= 2;
    bool relay = is_relay_receipt(n, t, m);
    st = relay ? CF_OK : cf_state_check(t, n->cfg->id, m, why);
    /* incidents come by the thousand and are named by id only in receipts
     * for those we pass on (cf_state_index: below when forwarded, and in
     * catch-up answers to our parent); a receipt is named by nothing (it
     * gets no receipt): the origin of a directive takes one from every
     * node, and each row was a random write into its largest B-tree */
    if (st == CF_OK)
        st = cf_state_record(t, m, data, len, receipted && b->type != CF_MSG_INCIDENT);
    if (st == CF_E_FORK)
        return fork_found(n, t, m, data, len, now_ms, why);
    if (st == CF_E_DUPLICATE && receipted) {
        /* the origin sends again because our receipt never reached it:
         * send the same receipt again, and nothing else happens */
        cf_status rs = publish_receipt(n, t, m, fx);
        if (rs == CF_OK)
            n->counters.receipts_resent++;
        return store_error(rs) ? rs : CF_E_DUPLICATE;
    }
    if (st == CF_OK)
        st = relay ? cf_state_apply_ack(t, m, n->acked) : cf_state_apply(t, m, now_ms);
    if (st == CF_OK && b->type == CF_MSG_ACK) { /* room in the resend window */
        size_t count = cf_ack_count(&b->u.ack);
        n->outbox_inflight -= count < n->outbox_inflight ? count : n->outbox_inflight;
        n->outbox_silent_ms = now_ms;
        probe_answered(n, &b->u.ack, via == NULL, now_ms);
        /* what arrived says the recipients take that much more */
        n->send_window += count;
        if (n->send_window > n->cfg->resend_window)
            n->send_window = n->cfg->resend_window;
    }
    if (st == CF_OK && *out_inner)
        st = cf_state_opened_put(t, m, inner_wire->data, inner_wire->len);
    if (st == CF_OK && *out_inner)
        st = cf_state_apply(t, *out_inner, now_ms);
    if (st != CF_OK)
        return st;
    /* acknowledge what was stored: a signed receipt to the origin, made
     * for all of the origin's messages of this transaction before it
     * commits (cf_node_receipts_sign) */
    if (receipted) {
        st = receipt_owed(n, t, m, *out_inner, now_ms);
        if (st != CF_OK)
            return st;
    }
    /* pass incidents of the subtree up (NCERT: only the severe ones, and
     * then every later revision of them too, so the Council sees a severe
     * incident resolved or downgraded) */
    bool forward = cf_rule_forward_up(n->topo, n->cfg->id, b);
    if (b->type == CF_MSG_INCIDENT && n->me->parent_idx != SIZE_MAX) {
        st = forward ? cf_state_forwarded_note(t, b->u.incident.id)
                     : cf_state_forwarded(t, b->u.incident.id, &forward);
        if (st != CF_OK)
            return st;
    }
    if (forward) {
        const cf_topo_node *parent = &n->topo->nodes[n->me->parent_idx];
        cf_strlist subjects = {NULL, 0}, recipients = {NULL, 0};
        cf_buf subj;
        cf_logkey key;
        cf_buf_init(&subj);
        st = cf_subject_inbox(parent->path, b->type, &subj);
        if (st == CF_OK)
            st = cf_strlist_add(&subjects, (const char *)subj.data);
        cf_logkey_make(b->header.origin, b->header.seq, &key);
        /* kept and resent until the parent's receipt, which names it by
         * id, comes back to us */
        if (st == CF_OK)
            st = cf_state_index(t, m->env.id, &key);
        if (st == CF_OK)
            st = cf_strlist_add(&recipients, parent->id);
        if (st == CF_OK)
            st = cf_state_outbox_put(t, &key, &subjects, &recipients,
                                     now_ms + resend_delay(n, 1, randombytes_random()),
                                     b->header.expires_ms);
        if (st == CF_OK && probe_takes(n, &key))
            probe_start(n, &key, m->env.id, now_ms);
        if (st == CF_OK)
            st = cf_effects_add(fx, (const char *)subj.data, data, len);
        cf_strlist_clear(&recipients);
        cf_strlist_clear(&subjects);
        cf_buf_clear(&subj);
    }
    return st;
}

static cf_status
receive_one(cf_node *n, cf_txn *t, const uint8_t *data, size_t len, bool sig_checked,
            const char *subject, const char *via, int64_t now_ms, cf_effects *fx,
            bool *trust_changed, cf_status *verdict)
{
    cf_message *m = NULL, *inner = NULL;
    cf_buf inner_wire;
    const char *why = NULL;
    bool ignored = false;
    cf_status st;

    n->counters.received++;
    if (via)
        n->counters.caught_up++;
    cf_buf_init(&inner_wire);
    st = process_one(n, t, data, len, sig_checked, via, now_ms, fx, &ignored, trust_changed, &why,
                     &m, &inner, &inner_wire);
    cf_metrics_received(n, m, inner, ignored, st, store_error(st), now_ms);
    if (inner_wire.data)
        sodium_memzero(inner_wire.data, inner_wire.cap);
    cf_buf_clear(&inner_wire);
    cf_message_free(inner);
    if (verdict)
        *verdict = st;
    if (st == CF_OK) {
        if (ignored) {
            n->counters.ignored++;
        } else {
            n->counters.accepted++;
            n->counters.accepted_by_type[m->body.type]++;
        }
        /* a relayed copy says nothing of its origin's reachability */
        if (!via)
            note_contact(n, m->body.header.origin, now_ms);
    } else if (store_error(st)) {
        cf_log(CF_LOG_ERROR,
               "store error while receiving on %s: %s; the batch is abandoned "
               "and will be resent by its origins",
               subject, cf_status_str(st));
    } else if (st == CF_E_THROTTLED) {
        n->counters.rejected[st]++; /* logged once a second by rate_take */
        st = CF_OK;
    } else if (st == CF_E_DUPLICATE && m) {
        /* resends are normal, and come by the thousand after a cut: a
         * line a second per type at most */
        int type = m->body.type;
        n->counters.rejected[st]++;
        if (now_ms - n->dups_logged_ms[type] < 1000) {
            n->dups_unlogged[type]++;
        } else {
            char more[96] = "";
            if (n->dups_unlogged[type])
                snprintf(more, sizeof(more),
                         " (and %" PRIu64 " more since the last line like this)",
                         n->dups_unlogged[type]);
            cf_log(CF_LOG_INFO, "rejected %s from %s on %s: duplicate%s",
                   cf_msg_type_name(m->body.type), m->body.header.origin, subject, more);
            n->dups_unlogged[type] = 0;
            n->dups_logged_ms[type] = now_ms;
        }
        st = CF_OK;
    } else {
        n->counters.rejected[st]++;
        cf_log(CF_LOG_WARN, "rejected %s from %s on %s: %s%s%s",
               m ? cf_msg_type_name(m->body.type) : "envelope", m ? m->body.header.origin : "?",
               subject, cf_status_str(st), why ? ": " : "", why ? why : "");
        st = CF_OK;
    }
    cf_message_free(m);
    return st;
}

cf_status
cf_node_receive(cf_node *n, cf_txn *t, const uint8_t *data, size_t len, const char *subject,
                const char *via, int64_t now_ms, cf_effects *fx, bool *trust_changed,
                cf_status *verdict)
{
    return receive_one(n, t, data, len, false, subject, via, now_ms, fx, trust_changed, verdict);
}

/* Is this (not yet verified) envelope a catch-up message? */
static bool
is_catchup(const cf_link_msg *lm)
{
    cf_envelope env;
    bool yes;

    if (cf_envelope_parse_stored(lm->data, lm->len, &env) != CF_OK)
        return true; /* junk: rejected as such, never held */
    yes = env.type == CF_MSG_CATCHUP_REQUEST || env.type == CF_MSG_CATCHUP_BATCH;
    cf_envelope_clear(&env);
    return yes;
}

/*
 * While a node confirms its own sequence at start it must not sign
 * anything, receipts included: what would need one waits in memory (up to
 * CF_DEFERRED_MAX messages and CF_QUEUE_BYTES_MAX bytes; beyond, it is
 * dropped and its origin sends it again).
 * Returns the messages to handle now.
 */
static cf_link_msg *
hold_while_learning(cf_node *n, cf_link_msg *msgs)
{
    cf_link_msg *now = NULL, **now_tail = &now;

    while (msgs) {
        cf_link_msg *lm = msgs;
        msgs = lm->next;
        lm->next = NULL;
        if (is_catchup(lm)) {
            *now_tail = lm;
            now_tail = &lm->next;
        } else if (n->n_deferred >= CF_DEFERRED_MAX ||
                   n->deferred_bytes + lm->len > CF_QUEUE_BYTES_MAX) {
            n->counters.deferred_dropped++;
            free(lm);
        } else {
            if (n->deferred_tail)
                n->deferred_tail->next = lm;
            else
                n->deferred = lm;
            n->deferred_tail = lm;
            n->n_deferred++;
            n->deferred_bytes += lm->len;
        }
    }
    return now;
}

static void stop_step(cf_node *n);
static void receive_batch(cf_node *n, cf_link_msg *msgs, const bool *good, int64_t now_ms);

/* The next turn's messages: what was held at start first, in the order
 * it came, then the bus's. */
static cf_link_msg *
take_messages(cf_node *n)
{
    cf_link_msg *msgs;

    if (!n->learning && n->deferred) {
        msgs = n->deferred;
        n->deferred_tail->next = cf_link_take(n->link, CF_BATCH_MAX);
        n->deferred = n->deferred_tail = NULL;
        n->n_deferred = 0;
        n->deferred_bytes = 0;
    } else {
        msgs = cf_link_take(n->link, CF_BATCH_MAX);
    }
    if (n->learning)
        msgs = hold_while_learning(n, msgs);
    return msgs;
}

/*
 * Checking signatures on the libuv thread pool ([limits] verify_pool): a
 * turn's messages go to a verify job, and the loop takes them (in the
 * order they came, job after job) once their signatures are checked, so
 * that the pool verifies the next turn while the loop commits this one. A
 * turn of a few messages with nothing on the pool is checked on the loop at
 * once (CF_VERIFY_POOL_MIN): what counts for it is latency.
 * Only envelopes of signers the trust store knows are checked there (junk
 * costs no verification); the loop checks again, as always, everything
 * but the signature of a message whose bytes verified. A job holds the
 * loop's limits by value: nothing of the node is touched off the loop.
 */
struct cf_verify_job {
    uv_work_t req;
    cf_node *n;
    cf_limits limits;
    cf_link_msg *msgs;
    size_t count;
    bool *want; /* per message: check it (its signer is known) */
    bool *good; /* per message: its signature verified (there, or when it was stored) */
    /* set by the pool thread when it is through: good may be read */
    atomic_bool checked;
    bool done;  /* verify_done ran (on the loop) */
    bool taken; /* its messages went into a turn before verify_done ran: that frees it */
    cf_verify_job *next;
};

static void
verify_job_free(cf_verify_job *j)
{
    while (j->msgs) {
        cf_link_msg *next = j->msgs->next;
        free(j->msgs);
        j->msgs = next;
    }
    free(j->want);
    free(j->good);
    free(j);
}

static void
verify_work(uv_work_t *req)
{
    cf_verify_job *j = req->data;
    size_t i = 0;

    for (cf_link_msg *lm = j->msgs; lm; lm = lm->next, i++) {
        cf_envelope env;
        if (!j->want[i])
            continue;
        j->good[i] = cf_envelope_verify(lm->data, lm->len, &j->limits, &env) == CF_OK;
        if (j->good[i])
            cf_envelope_clear(&env);
    }
    atomic_store(&j->checked, true);
}

static void pool_take(cf_node *n);

/* The checked jobs at the head of the queue (the first done), in the order
 * they came, as one turn of at most CF_BATCH_MAX messages. A job the pool is
 * through with goes too before its verify_done has run: verify_done runs
 * once per job, and the turn would otherwise be one job. */
static void
receive_checked(cf_node *n)
{
    cf_verify_job *first = n->jobs, *last = first;
    size_t total = first->count, parts = 1;
    bool *good = NULL;

    while (last->next && atomic_load(&last->next->checked) &&
           total + last->next->count <= CF_BATCH_MAX) {
        last = last->next;
        total += last->count;
        parts++;
    }
    if (parts > 1 && !(good = malloc(total * sizeof(*good)))) {
        /* no room to join them: the first alone */
        last = first;
        total = first->count;
        parts = 1;
    }
    n->jobs = last->next;
    if (!n->jobs)
        n->jobs_tail = NULL;
    last->next = NULL;
    n->jobs_queued -= parts;

    /* one list of their messages, and of their verdicts */
    cf_link_msg *msgs = NULL, **tail = &msgs;
    size_t at = 0;
    for (cf_verify_job *j = first; j; j = j->next) {
        *tail = j->msgs;
        j->msgs = NULL;
        while (*tail)
            tail = &(*tail)->next;
        if (good)
            memcpy(good + at, j->good, j->count * sizeof(*good));
        at += j->count;
    }
    receive_batch(n, msgs, good ? good : first->good, cf_clock_now_ms());
    free(good);
    while (first) {
        cf_verify_job *next = first->next;
        if (first->done)
            verify_job_free(first);
        else
            first->taken = true;
        first = next;
    }
}

static void
verify_done(uv_work_t *req, int status)
{
    cf_verify_job *j = req->data;
    cf_node *n = j->n;

    (void)status; /* never cancelled: a job runs to its end */
    j->done = true;
    n->jobs_running--;
    for (size_t i = 0; i < j->count; i++)
        n->counters.sig_checks += j->want[i];
    if (j->taken)
        verify_job_free(j); /* its messages went with an earlier job's turn */
    if (n->stopping) {
        stop_step(n); /* the jobs are freed with the node */
        return;
    }
    /* the pool gets what waits before the loop commits (and waits for
     * the disk), so that it does not idle meanwhile */
    pool_take(n);
    while (n->jobs && n->jobs->done && !n->stopping)
        receive_checked(n);
    if (!n->stopping)
        pool_take(n);
}

/* Hand msgs (count of them) to a verify job on the pool; t, if not NULL, is
 * a read transaction of the store. False if there was no room: the caller
 * checks them on the loop, as without a pool. */
static bool
verify_job_start(cf_node *n, cf_link_msg *msgs, size_t count, cf_txn *t)
{
    cf_verify_job *j = calloc(1, sizeof(*j));

    if (j) {
        j->want = calloc(count, sizeof(bool));
        j->good = calloc(count, sizeof(bool));
    }
    if (!j || !j->want || !j->good) {
        if (j)
            verify_job_free(j);
        return false;
    }
    j->req.data = j;
    j->n = n;
    j->limits = n->limits;
    j->count = count;
    /* what is worth checking there: envelopes of known signers that we do
     * not hold already, byte for byte */
    size_t i = 0;
    for (cf_link_msg *lm = msgs; lm; lm = lm->next, i++) {
        cf_envelope_view env; /* read in place: no copy, no hash */
        bool held = false;
        if (lm->len <= n->limits.max_envelope &&
            cf_envelope_peek(lm->data, lm->len, &env) == CF_OK && env.signer) {
            j->want[i] = cf_trust_find_key(n->keys->trust, env.signer) != NULL;
            /* held byte for byte: verified when stored, so the loop need
             * not look again either */
            if (j->want[i] && t &&
                holds_envelope(t, env.body, env.body_len, lm->data, lm->len, &held) == CF_OK &&
                held) {
                j->want[i] = false;
                j->good[i] = true;
            }
        }
    }
    j->msgs = msgs;
    if (uv_queue_work(n->loop, &j->req, verify_work, verify_done) != 0) {
        j->msgs = NULL; /* the caller's still */
        verify_job_free(j);
        return false;
    }
    if (n->jobs_tail)
        n->jobs_tail->next = j;
    else
        n->jobs = j;
    n->jobs_tail = j;
    n->jobs_running++;
    n->jobs_queued++;
    return true;
}

/* A turn's messages to verify jobs, in parts of at most CF_VERIFY_JOB_MAX
 * (internal.h: tests call it too). */
void
cf_node_receive_pooled(cf_node *n, cf_link_msg *msgs)
{
    cf_txn *t = NULL;

    if (cf_txn_begin(n->store, false, &t) != CF_OK)
        t = NULL;
    while (msgs) {
        /* the next part: msgs up to last, the rest after it */
        cf_link_msg *last = msgs, *rest;
        size_t part = 1;
        while (last->next && part < CF_VERIFY_JOB_MAX) {
            last = last->next;
            part++;
        }
        rest = last->next;
        last->next = NULL;
        if (!verify_job_start(n, msgs, part, t))
            receive_batch(n, msgs, NULL, cf_clock_now_ms());
        msgs = rest;
    }
    cf_txn_abort(t);
}

/* Hand what waits to verify jobs while fewer than CF_VERIFY_JOBS are out (on
 * the pool, or checked and waiting for an earlier one). */
static void
pool_take(cf_node *n)
{
    while (n->jobs_queued < CF_VERIFY_JOBS) {
        cf_link_msg *msgs = take_messages(n);
        if (!msgs)
            return;
        size_t count = 0;
        for (cf_link_msg *lm = msgs; lm; lm = lm->next)
            count++;
        if (count < CF_VERIFY_POOL_MIN && !n->jobs)
            receive_batch(n, msgs, NULL, cf_clock_now_ms());
        else
            cf_node_receive_pooled(n, msgs);
    }
}

static void
on_messages(void *ctx)
{
    cf_node *n = ctx;
    cf_link_msg *msgs;

    if (n->stopping)
        return;
    if (n->cfg->verify_pool) {
        pool_take(n);
        return;
    }
    msgs = take_messages(n);
    if (msgs)
        receive_batch(n, msgs, NULL, cf_clock_now_ms());
}

void
cf_node_receive_batch(cf_node *n, cf_link_msg *msgs, int64_t now_ms)
{
    receive_batch(n, msgs, NULL, now_ms);
}

/*
 * After the store was full: is there room again? A turn that stored
 * something is not enough: turns vary in size (a part of a turn checked on
 * the pool may come alone), and a small one may still fit where a big one
 * did not, which would switch the alarm off and on by turns. Room means
 * pages never used: a sixteenth of the map and at least 4 MiB (a failed
 * turn leaves up to its own size unused at the end). A full map gets room
 * with a bigger store_mib and a restart; a full disk when it has space
 * again.
 */
static bool
store_has_room(cf_node *n)
{
    cf_store_stats s;
    size_t want;

    if (cf_store_stats_get(n->store, &s) != CF_OK || s.used_bytes >= s.map_size)
        return false;
    want = s.map_size / 16 > ((size_t)4 << 20) ? s.map_size / 16 : ((size_t)4 << 20);
    return s.map_size - s.used_bytes >= want;
}

/* One turn: msgs in one transaction; good (may be NULL) says which of
 * them verified on the thread pool. */
static void
receive_batch(cf_node *n, cf_link_msg *msgs, const bool *good, int64_t now_ms)
{
    cf_link_msg *lm;
    cf_effects fx = {NULL, NULL};
    cf_txn *t = NULL;
    bool trust_changed = false;
    size_t count = 0;
    uint64_t accepted_before = n->counters.accepted;
    uint64_t acks_before = n->counters.accepted_by_type[CF_MSG_ACK];
    cf_status st = CF_OK;

    st = cf_txn_begin(n->store, true, &t);
    if (st == CF_OK) {
        st = cf_catchup_txn_begin(n);
        if (st != CF_OK)
            cf_txn_abort(t);
    }
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "cannot begin a store transaction: %s", cf_status_str(st));
        goto out;
    }
    for (lm = msgs; lm && st == CF_OK; lm = lm->next) {
        st = receive_one(n, t, lm->data, lm->len, good && good[count], lm->subject, NULL, now_ms,
                         &fx, &trust_changed, NULL);
        count++;
    }
    if (st == CF_OK)
        st = cf_node_receipts_sign(n, t, now_ms, &fx);
    if (st != CF_OK) {
        cf_node_receipts_forget(n);
        cf_txn_abort(t);
        txn_done(n, false);
        cf_catchup_txn_end(n, false);
    } else {
#ifdef CF_UNSAFE_NO_DURABILITY
        /* the control build of the fault tests: receipts out before the
         * commit, and the commit late */
        for (cf_effect *e = fx.head; e; e = e->next)
            if (cf_link_publish_at_once(n->link, e->subject, e->data, e->len) != CF_OK)
                cf_log(CF_LOG_WARN, "unsafe build: a receipt was not sent");
        cf_effects_clear(&fx);
        uv_sleep(50);
#endif
        st = cf_txn_commit(t);
        if (st != CF_OK)
            cf_log(CF_LOG_ERROR,
                   "store commit of %zu received messages failed: %s; nothing of "
                   "them was acknowledged",
                   count, cf_status_str(st));
        txn_done(n, st == CF_OK);
        cf_catchup_txn_end(n, st == CF_OK);
        if (st == CF_OK)
            cf_effects_publish(n, &fx);
        /* a directive.wait held on the control socket may be through:
         * receipts and acks move a directive's counts, a changed
         * membership its scope */
        if (st == CF_OK && n->control &&
            (n->counters.accepted_by_type[CF_MSG_ACK] > acks_before || trust_changed))
            cf_control_resume(n->control);
        /* receipts made room in the resend window: the next part of the
         * outbox goes now */
        if (st == CF_OK && n->outbox_more && n->outbox_inflight <= n->send_window / 2)
            flush_outbox(n, false);
    }
    /* a store too full for what the federation sends takes no local work:
     * the room left is not for new messages that would wait in the outbox */
    if (st == CF_E_FULL && !n->store_full) {
        n->store_full = true;
        cf_log(CF_LOG_ERROR, "ALARM store full: received messages cannot be stored and are "
                             "not acknowledged (their origins keep them); new local work is "
                             "refused until the store has room ([limits] store_mib, disk)");
    } else if (st == CF_OK && n->store_full && n->counters.accepted > accepted_before &&
               store_has_room(n)) {
        n->store_full = false;
        cf_log(CF_LOG_INFO, "the store has room again: received messages are stored");
    }
    if (trust_changed)
        cf_node_trust_changed(n, now_ms);
    if (n->learning && n->learn_asked && n->learn_waiting == 0 && st == CF_OK)
        cf_node_learning_done(n, "every peer answered");
out:
    cf_effects_clear(&fx);
    while (msgs) {
        lm = msgs->next;
        free(msgs);
        msgs = lm;
    }
}

/* ---- the outbox: sent on (re)connect, and again with backoff ------------------------- */

/* The wait before the next send of an entry sent `attempts` times:
 * exponential from RESEND_FIRST_MS up to RESEND_MAX_MS, with "equal
 * jitter" (half fixed, half from the random jitter) so that nodes healing
 * from one partition do not resend in lockstep. */
static int64_t
resend_delay(const cf_node *n, uint32_t attempts, uint32_t jitter)
{
    int64_t d = n->cfg->resend_first_ms, max = n->cfg->resend_max_ms;

    /* never sooner than receipts have been taking (the least wait is d / 2) */
    if (d < 2 * n->rto_ms)
        d = 2 * n->rto_ms;
    for (uint32_t i = 1; i < attempts && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    return d / 2 + (int64_t)(jitter % ((uint32_t)(d / 2) + 1));
}

/*
 * How long receipts take. A recipient that is busy (a node catching up with
 * many children at once, a slow machine, a thin link) answers seconds
 * after the send; resent at resend_first_ms, each envelope would take a
 * second and a third place in the queue it is already waiting in. So one
 * envelope at a time is timed from its send to the first receipt for it,
 * and RFC 6298's smoothed round trip and variation give the least wait
 * before a resend (rto_ms: srtt + 4 rttvar, up to resend_max_ms). An
 * envelope sent again while it is timed is not timed (its receipt could
 * answer either send: Karn's rule), and the next one sent is; a probe
 * that gets no receipt within resend_max_ms is given up (on_resend_timer).
 */
static bool
logkey_eq(const cf_logkey *a, const cf_logkey *b)
{
    return a->len == b->len && memcmp(a->k, b->k, a->len) == 0;
}

/* Is the envelope at key, being sent now, to be timed? (Its second send
 * while timed ends the timing.) */
static bool
probe_takes(cf_node *n, const cf_logkey *key)
{
    if (n->probe.active && logkey_eq(&n->probe.key, key)) {
        n->probe.active = false;
        return false;
    }
    return !n->probe.active && !logkey_eq(&n->probe.last, key);
}

static void
probe_start(cf_node *n, const cf_logkey *key, const uint8_t id[CF_ID_LEN], int64_t now_ms)
{
    n->probe.active = true;
    n->probe.key = *key;
    n->probe.last = *key;
    memcpy(n->probe.id, id, CF_ID_LEN);
    n->probe.sent_ms = now_ms;
}

static void
rtt_sample(cf_node *n, int64_t r_ms)
{
    int64_t was = n->rto_ms;

    if (r_ms < 0)
        r_ms = 0;
    if (n->counters.rtt_samples++ == 0) {
        n->srtt_ms = r_ms;
        n->rttvar_ms = r_ms / 2;
    } else {
        int64_t dev = n->srtt_ms > r_ms ? n->srtt_ms - r_ms : r_ms - n->srtt_ms;
        n->rttvar_ms = (3 * n->rttvar_ms + dev + 2) / 4;
        n->srtt_ms = (7 * n->srtt_ms + r_ms + 4) / 8;
    }
    n->rto_ms = n->srtt_ms + 4 * n->rttvar_ms;
    if (n->rto_ms > n->cfg->resend_max_ms)
        n->rto_ms = n->cfg->resend_max_ms;
    /* said when resends start or stop waiting longer than resend_first_ms
     * asks, and when that wait doubles or halves */
    int64_t first = n->cfg->resend_first_ms / 2;
    bool longer = n->rto_ms > first, was_longer = was > first;
    if (longer != was_longer || (longer && (n->rto_ms >= 2 * was || 2 * n->rto_ms <= was)))
        cf_log(CF_LOG_INFO,
               "receipts come %" PRId64 " ms after the send (smoothed; %" PRId64
               " ms this time): resends wait at least %" PRId64 " ms",
               n->srtt_ms, r_ms, longer ? n->rto_ms : first);
}

/* A receipt came: the timed envelope's, if it names it (timed: it came
 * from the bus; one that came in a catch-up batch says nothing of how long
 * receipts take, but ends the timing all the same). */
static void
probe_answered(cf_node *n, const cf_ack *a, bool timed, int64_t now_ms)
{
    if (!n->probe.active || a->state != 1)
        return;
    for (size_t i = 0; i < cf_ack_count(a); i++) {
        if (memcmp(cf_ack_id(a, i), n->probe.id, CF_ID_LEN) == 0) {
            n->probe.active = false;
            if (timed)
                rtt_sample(n, now_ms - n->probe.sent_ms);
            return;
        }
    }
}

int64_t
cf_node_resend_after_ms(const cf_node *n)
{
    return resend_delay(n, 1, 0);
}

typedef struct flush_ctx {
    cf_node *n;
    cf_txn *t;
    bool all; /* a (re)connect: send everything, due or not */
    int64_t now_ms;
    cf_buf wire;
    size_t sent;
    size_t window;     /* the most envelopes this pass sends */
    bool stopped;      /* it stopped at the window ... */
    cf_logkey stop_at; /* ... before this entry */
    cf_logkey *keys;   /* entries sent: to reschedule, or (expired, or without
                        * recipients, as forwards made by older versions) to forget */
    uint32_t *attempts;
    bool *forget;
    size_t n_keys;
} flush_ctx;

/* Note an entry to reschedule (after `attempts` sends) or to forget. */
static cf_status
remember_sent(flush_ctx *c, const cf_logkey *key, uint32_t attempts, bool forget)
{
    cf_logkey *k = realloc(c->keys, (c->n_keys + 1) * sizeof(*k));
    uint32_t *a = k ? realloc(c->attempts, (c->n_keys + 1) * sizeof(*a)) : NULL;
    bool *f = a ? realloc(c->forget, (c->n_keys + 1) * sizeof(*f)) : NULL;

    if (k)
        c->keys = k;
    if (a)
        c->attempts = a;
    if (f)
        c->forget = f;
    if (!k || !a || !f)
        return CF_E_NOMEM;
    c->keys[c->n_keys] = *key;
    c->attempts[c->n_keys] = attempts;
    c->forget[c->n_keys] = forget;
    c->n_keys++;
    return CF_OK;
}

static cf_status
flush_entry(const cf_logkey *key, const cf_outbox_entry *e, void *arg)
{
    flush_ctx *c = arg;
    cf_status st;

    if (!c->all && e->next_due_ms > c->now_ms)
        return CF_OK;
    if (c->sent >= c->window) { /* the rest goes in the next pass */
        c->stopped = true;
        c->stop_at = *key;
        return CF_E_EXISTS;
    }
    st = cf_txn_get(c->t, CF_T_LOG, key->k, key->len, &c->wire);
    if (st != CF_OK)
        return CF_OK; /* nothing to send for it */
    /* an expired message is refused by every receiver: stop sending it
     * (an entry that does not say when it expires says it in the message) */
    cf_envelope env;
    cf_message *m = NULL;
    bool expired = e->expires_ms > 0 && e->expires_ms <= c->now_ms;
    if (e->expires_ms < 0 && cf_envelope_parse_stored(c->wire.data, c->wire.len, &env) == CF_OK) {
        if (cf_message_decode(&env, NULL, &m) == CF_OK)
            expired = m->body.header.expires_ms && m->body.header.expires_ms <= c->now_ms;
        else
            cf_envelope_clear(&env);
        cf_message_free(m);
    }
    if (expired)
        return remember_sent(c, key, 0, true);
    /* A broadcast that some recipients have not acked goes again only to
     * them, in their inboxes: the others already have it. */
    bool targeted = e->pending.n > 0 && e->attempts > 0 && !c->all;
    for (size_t i = 0; targeted && i < e->subjects.n; i++)
        targeted = strstr(e->subjects.v[i], ".down.") != NULL;
    if (targeted) {
        const char *type = strrchr(e->subjects.v[0], '.') + 1;
        for (size_t i = 0; i < e->pending.n; i++) {
            const cf_topo_node *r = cf_topology_find(c->n->topo, e->pending.v[i]);
            cf_buf subj;
            cf_status ps = CF_OK;
            if (!r)
                continue; /* no longer a member: nothing to send it */
            cf_buf_init(&subj);
            st = cf_buf_printf(&subj, CF_SUBJECT_ROOT ".%s.in.%s", r->path, type);
            if (st == CF_OK)
                ps =
                    cf_link_publish(c->n->link, (const char *)subj.data, c->wire.data, c->wire.len);
            cf_buf_clear(&subj);
            if (st != CF_OK)
                return st;
            if (ps != CF_OK)
                return CF_E_UNREACHABLE;
            c->sent++;
            c->n->counters.published++;
        }
    }
    for (size_t i = 0; !targeted && i < e->subjects.n; i++) {
        if (cf_link_publish(c->n->link, e->subjects.v[i], c->wire.data, c->wire.len) != CF_OK)
            return CF_E_UNREACHABLE; /* the link went down again: stop */
        c->sent++;
        c->n->counters.published++;
    }
    /* timed, if nothing else is (its id is in its bytes) */
    cf_envelope sent;
    if (probe_takes(c->n, key) &&
        cf_envelope_parse_stored(c->wire.data, c->wire.len, &sent) == CF_OK) {
        probe_start(c->n, key, sent.id, c->now_ms);
        cf_envelope_clear(&sent);
    }
    return remember_sent(c, key, e->attempts + 1, e->pending.n == 0);
}

/*
 * One pass over the outbox: what is due (everything, in a pass after a
 * reconnect), as much as the resend window has room for: at most [delivery]
 * resend_window envelopes are out without a receipt. A pass that stops at
 * the window leaves outbox_more set; the next one goes when receipts have
 * brought what is out down to half a window (receive_batch), else at a
 * resend tick. Recipients silent for resend_first_ms (or as long as
 * receipts have been taking, if longer) have what is out written off
 * (their entries' own backoff sends it again): a dead recipient gets a
 * window a resend_first_ms. A pass over everything goes on from where the
 * last one stopped.
 */
static void
flush_outbox(cf_node *n, bool all)
{
    static const cf_logkey first = {.len = 0};
    flush_ctx c;
    cf_status st;

    if (all) { /* a reconnect: what was out before it is lost */
        n->outbox_all = true;
        n->outbox_from.len = 0;
        n->outbox_all_sent = 0;
        n->outbox_inflight = 0;
    }
    if (!cf_link_connected(n->link))
        return;
    if (n->outbox_inflight >= n->send_window)
        return; /* the window is full: receipts, or silence, open it */
    memset(&c, 0, sizeof(c));
    c.n = n;
    c.all = n->outbox_all;
    c.window = n->send_window - n->outbox_inflight;
    c.now_ms = cf_clock_now_ms();
    cf_buf_init(&c.wire);
    st = cf_txn_begin(n->store, true, &c.t);
    if (st == CF_OK)
        st = cf_state_outbox_scan_from(c.t, c.all ? &n->outbox_from : &first,
                                       c.all ? INT64_MAX : c.now_ms, flush_entry, &c);
    /* what was sent is sent, even if the link fell in the middle */
    bool fell = st == CF_E_UNREACHABLE;
    if (fell)
        st = CF_OK;
    /* one random draw a pass, spread over its entries (a draw each was a
     * system call each) */
    uint32_t jitter = randombytes_random();
    for (size_t i = 0; st == CF_OK && i < c.n_keys; i++, jitter += 2654435761u)
        st = c.forget[i]
                 ? cf_state_outbox_del(c.t, &c.keys[i])
                 : cf_state_outbox_reschedule(c.t, &c.keys[i],
                                              c.now_ms + resend_delay(n, c.attempts[i], jitter),
                                              c.attempts[i]);
    if (c.t) {
        if (st == CF_OK)
            st = cf_txn_commit(c.t);
        else
            cf_txn_abort(c.t);
    }
    n->counters.resent += c.sent;
    if (c.sent && n->outbox_inflight == 0)
        n->outbox_silent_ms = c.now_ms;
    n->outbox_inflight += c.sent;
    if (st == CF_OK && !fell) {
        n->counters.resend_windows += c.stopped;
        n->outbox_more = c.stopped;
        if (c.all)
            n->outbox_all_sent += c.sent;
        if (c.all && c.stopped)
            n->outbox_from = c.stop_at;
        if (c.all && !c.stopped) {
            n->outbox_all = false;
            if (n->outbox_all_sent)
                cf_log(CF_LOG_INFO, "sent %zu stored envelope(s) from the outbox",
                       n->outbox_all_sent);
        }
    }
    if (st != CF_OK)
        cf_log(CF_LOG_ERROR, "outbox flush failed: %s", cf_status_str(st));
    free(c.keys);
    free(c.attempts);
    free(c.forget);
    cf_buf_clear(&c.wire);
}

void
cf_node_outbox_reopen(cf_node *n)
{
    n->outbox_inflight = 0;
    n->outbox_more = true; /* receive_batch flushes after its commit */
}

/*
 * Nothing that was out got a receipt for resend_first_ms (or for as long
 * as receipts have been taking, if longer: rto_ms): the recipients
 * are cut off, or took none of it. The next passes send half of what was
 * out at most, down to CF_SEND_WINDOW_MIN, and receipts grow the window
 * again by what each one answers (process_one): a recipient cut off for a
 * day is sent a few envelopes a resend_first_ms, not a window of them, and
 * one that comes back gets its backlog in windows that double as its
 * receipts come.
 */
static void
shrink_window(cf_node *n, int64_t silence_ms)
{
    size_t w = n->outbox_inflight / 2;

    if (w < CF_SEND_WINDOW_MIN)
        w = CF_SEND_WINDOW_MIN;
    if (n->outbox_inflight == 0 || w >= n->send_window)
        return;
    cf_log(CF_LOG_INFO,
           "no receipts for %" PRId64 " ms or more with %zu envelope(s) out: the resend window "
           "goes from %zu to %zu",
           silence_ms, n->outbox_inflight, n->send_window, w);
    n->send_window = w;
}

static void
on_resend_timer(uv_timer_t *t)
{
    cf_node *n = t->data;

    int64_t now_ms = cf_clock_now_ms();

    if (n->stopping)
        return;
    if (n->probe.active && now_ms - n->probe.sent_ms > n->cfg->resend_max_ms)
        n->probe.active = false; /* its receipt is not coming */
    /* what is out to recipients silent since it went (for longer than
     * receipts have been taking) is written off: the silence runs from the
     * first of it, not from the last resend (resends of a few envelopes,
     * each on its own backoff, leave no gap that long for a while) */
    int64_t silence = n->cfg->resend_first_ms > n->rto_ms ? n->cfg->resend_first_ms : n->rto_ms;
    if (n->outbox_inflight > 0 && now_ms - n->outbox_silent_ms >= silence) {
        shrink_window(n, silence);
        n->outbox_inflight = 0;
    }
    flush_outbox(n, false);
}

void
cf_node_learning_done(cf_node *n, const char *how)
{
    if (!n->learning)
        return;
    n->learning = false;
    if (n->learn_asked && n->learn_waiting == 0)
        cf_log(CF_LOG_INFO, "own sequence confirmed with every peer (%s): %" PRIu64, how, n->seq);
    else
        cf_log(CF_LOG_WARN,
               "own sequence not confirmed by %zu peer(s) (%s): continuing from %" PRIu64
               " as the store says",
               n->learn_asked ? n->learn_waiting : n->n_peers, how, n->seq);
    if (n->control)
        cf_control_resume(n->control);
    if (n->deferred)
        on_messages(n);
    if (cf_link_connected(n->link)) {
        flush_outbox(n, true);
        cf_catchup_ask_all(n, false);
    }
}

/*
 * What nats.c dropped past [limits] nats_pending since the last look goes
 * to the log, and is a signal to catch up (DESIGN.md section 10): the
 * peers send what we lack in batches, a batch being one NATS message,
 * rather than one message at a time at the end of each sender's backoff.
 * At most once a second, and not while a request is out.
 */
static void
catch_up_drops(cf_node *n)
{
    uint64_t dropped = cf_link_dropped(n->link);
    bool waiting = false;

    if (dropped <= n->drops_logged)
        return;
    cf_log(CF_LOG_WARN,
           "slow consumer: nats.c dropped %" PRIu64
           " message(s) past [limits] receive_queue (%zu) and nats_pending (%zu); asking the "
           "peers for what is missing",
           dropped - n->drops_logged, n->cfg->receive_queue, n->cfg->nats_pending);
    n->drops_logged = dropped;
    for (size_t i = 0; i < n->n_peers; i++)
        waiting |= n->peers[i].waiting;
    if (!n->learning && !waiting)
        cf_catchup_ask_all(n, false);
}

static void
on_catchup_timer(uv_timer_t *h)
{
    cf_node *n = h->data;
    int64_t now_ms = cf_clock_now_ms();

    if (n->stopping)
        return;
    catch_up_drops(n);
    /* the wait counts from when the peers were asked, if they were in time */
    int64_t asked = n->learn_asked ? n->learn_asked_ms : n->started_ms;
    if (n->learning &&
        now_ms - (asked > n->started_ms ? asked : n->started_ms) >= CF_LEARN_MAX_MS) {
        cf_node_learning_done(n, "waited long enough");
        return;
    }
    if (!cf_link_connected(n->link))
        return;
    if (!n->learning && now_ms - n->catchup_ms >= n->cfg->catchup_interval_ms) {
        cf_catchup_ask_all(n, false);
        return;
    }
    /* a request or its answer was lost (or, at start, the peer was not
     * listening yet), or its last answer was partly throttled: ask again */
    for (size_t i = 0; i < n->n_peers; i++) {
        cf_peer_sync *p = &n->peers[i];
        int64_t retry = n->learning ? CF_CATCHUP_TICK_MS : CF_CATCHUP_RETRY_MS;
        bool resume = !p->waiting && p->resume_ms && now_ms >= p->resume_ms;
        if (resume)
            p->resume_ms = 0;
        if ((p->waiting && now_ms - p->asked_ms >= retry) || resume) {
            cf_effects fx = {NULL, NULL};
            cf_txn *t = NULL;
            cf_status st = cf_txn_begin(n->store, false, &t);
            if (st == CF_OK)
                st = cf_catchup_ask(n, t, p, n->learning, now_ms, &fx);
            cf_txn_abort(t);
            if (st == CF_OK)
                cf_effects_publish(n, &fx);
            cf_effects_clear(&fx);
        }
    }
}

static void
on_link_state(void *ctx, bool connected)
{
    cf_node *n = ctx;

    n->link_since_ms = cf_clock_now_ms();
    if (connected) {
        cf_log(CF_LOG_INFO, "connected to NATS at %s", cf_link_url(n->link));
        /* first our own stream, at start; then whatever we missed */
        cf_catchup_ask_all(n, n->learning);
        if (!n->learning)
            flush_outbox(n, true);
    } else {
        cf_log(CF_LOG_WARN,
               "disconnected from NATS at %s; reconnecting, and storing what is "
               "created meanwhile",
               cf_link_url(n->link));
    }
}

/* ---- start and stop ------------------------------------------------------------------ */

static void on_signal(uv_signal_t *h, int signum);

/* A store of an older layout is brought to this one before anything reads it. */
static cf_status
upgrade_store(cf_node *n, char *err, size_t errlen)
{
    cf_txn *t = NULL;
    bool upgraded = false;
    cf_status st = cf_txn_begin(n->store, true, &t);

    if (st == CF_OK)
        st = cf_state_upgrade(t, n->cfg->id, &upgraded);
    if (st == CF_OK)
        st = cf_txn_commit(t);
    else
        cf_txn_abort(t);
    if (st == CF_E_UNSUPPORTED)
        snprintf(err, errlen,
                 "store %s was written by a newer version of certfed (its layout is "
                 "unknown to this one): run that version",
                 n->cfg->store);
    else if (st != CF_OK)
        snprintf(err, errlen, "store %s: cannot bring it to this version's layout: %s",
                 n->cfg->store, cf_status_str(st));
    else if (upgraded)
        cf_log(CF_LOG_INFO,
               "store %s: brought to this version's layout (receipts kept "
               "with the message ids, incidents read from their revisions)",
               n->cfg->store);
    return st;
}

cf_status
cf_node_start(uv_loop_t *loop, const cf_node_options *opt, cf_node **out, char *err, size_t errlen)
{
    cf_node *n = calloc(1, sizeof(*n));
    cf_txn *t = NULL;
    cf_buf v;
    char why[512] = "";
    cf_status st;

    if (!n)
        return CF_E_NOMEM;
    cf_buf_init(&v);
    n->loop = loop;
    n->started_ms = cf_clock_now_ms();
    st = cf_node_config_load(opt->config, &n->cfg, err, errlen);
    if (st != CF_OK)
        goto fail;
    n->send_window = n->cfg->resend_window;
    if (opt->nats_url) {
        free(n->cfg->nats_url);
        n->cfg->nats_url = strdup(opt->nats_url);
        if (!n->cfg->nats_url) {
            st = CF_E_NOMEM;
            goto fail;
        }
    }
    n->limits = cf_limits_default();
    n->limits.max_envelope = n->cfg->max_envelope;
    if (n->cfg->verify_pool && n->cfg->verify_threads > 0) {
        /* libuv sizes its pool from the environment when the process
         * first uses it, which the node has not done yet (one verifier:
         * 1, checking while the loop commits) */
        char threads[24];
        snprintf(threads, sizeof(threads), "%zu", n->cfg->verify_threads);
        if (setenv("UV_THREADPOOL_SIZE", threads, 1) != 0)
            cf_log(CF_LOG_WARN, "[limits] verify_threads: cannot set UV_THREADPOOL_SIZE");
    }
    st = cf_node_keys_load(n->cfg, n->started_ms, &n->keys, err, errlen);
    if (st != CF_OK)
        goto fail;
    if (n->keys->rejected_certs)
        cf_log(CF_LOG_WARN, "%zu certificate(s) of %s left out (first: %s)",
               n->keys->rejected_certs, n->cfg->certs, cf_status_str(n->keys->first_rejection));
    st = cf_store_open(n->cfg->store, n->cfg->store_bytes, &n->store, err, errlen);
    if (st != CF_OK)
        goto fail;
    st = upgrade_store(n, err, errlen);
    if (st != CF_OK)
        goto fail;
    st = cf_txn_begin(n->store, false, &t);
    if (st == CF_OK)
        st = cf_trustdocs_load(n, t, n->started_ms);
    int64_t last_signed = 0;
    if (st == CF_OK)
        st = cf_state_own_head(t, n->cfg->id, &n->seq, n->head, &last_signed);
    /* a store of an older version kept them in its meta table as well */
    uint64_t meta_seq = 0, meta_clock = 0;
    if (st == CF_OK && cf_state_meta_get_u64(t, "seq", &meta_seq) == CF_OK && meta_seq > n->seq) {
        n->seq = meta_seq;
        if (cf_state_meta_get(t, "head", &v) == CF_OK && v.len == CF_ID_LEN)
            memcpy(n->head, v.data, CF_ID_LEN);
    }
    if (st == CF_OK && cf_state_meta_get_u64(t, "clock", &meta_clock) == CF_OK &&
        (int64_t)meta_clock > last_signed)
        last_signed = (int64_t)meta_clock;
    /* "now" never goes back past the time of our last signature, even if
     * the wall clock was set back while we were down */
    if (st == CF_OK && last_signed > 0) {
        if (last_signed > cf_clock_now_ms())
            cf_log(CF_LOG_WARN, "the wall clock is behind this node's last signature; its "
                                "time stands still until the clock catches up");
        cf_clock_raise_floor(last_signed);
    }
    cf_txn_abort(t);
    t = NULL;
    if (st != CF_OK) {
        snprintf(err, errlen, "store %s: cannot read it back: %s", n->cfg->store,
                 cf_status_str(st));
        goto fail;
    }
    st = load_seq_floor(n);
    if (st != CF_OK) {
        snprintf(err, errlen, "the sequence floor beside store %s: %s", n->cfg->store,
                 cf_status_str(st));
        goto fail;
    }
    n->pending_seq = n->seq;
    memcpy(n->pending_head, n->head, CF_ID_LEN);
    st = rebuild_topology(n, n->started_ms, why, sizeof(why));
    if (st != CF_OK) {
        snprintf(err, errlen, "the hierarchy from the certificates: %s", why);
        goto fail;
    }

    /* nothing is signed until the peers have told us our latest messages */
    n->learning = true;
    cf_link_options lo = {.url = n->cfg->nats_url,
                          .name = n->cfg->id,
                          .transport = n->keys->transport,
                          .max_queue = n->cfg->receive_queue,
                          .max_queue_bytes = CF_QUEUE_BYTES_MAX,
                          .pending_msgs = (int)n->cfg->nats_pending,
                          .retry_ms = 2000};
    cf_link_callbacks cb = {on_messages, on_link_state};
    st = cf_link_new(loop, &lo, &cb, n, &n->link);
    /* our inbox, and the broadcasts of every ancestor */
    cf_buf subj;
    cf_buf_init(&subj);
    if (st == CF_OK)
        st = cf_subject_inbox(n->me->path, 0, &subj);
    if (st == CF_OK)
        st = cf_link_subscribe(n->link, (const char *)subj.data);
    for (const cf_topo_node *a = n->me; st == CF_OK && a->parent_idx != SIZE_MAX;) {
        a = &n->topo->nodes[a->parent_idx];
        subj.len = 0;
        st = cf_subject_down(a->path, 0, &subj);
        if (st == CF_OK)
            st = cf_link_subscribe(n->link, (const char *)subj.data);
    }
    cf_buf_clear(&subj);
    if (st != CF_OK) {
        snprintf(err, errlen, "cannot set up the NATS link: %s", cf_status_str(st));
        goto fail;
    }
    st = cf_control_start(n, n->cfg->control, &n->control, err, errlen);
    if (st == CF_OK)
        st = cf_http_start(n, err, errlen);
    if (st != CF_OK)
        goto fail;
    st = cf_link_start(n->link, opt->retry_at_start, why, sizeof(why));
    if (st != CF_OK) {
        snprintf(err, errlen, "NATS server unreachable: %s (retrying was turned off)", why);
        goto fail;
    }
    if (why[0])
        cf_log(CF_LOG_WARN,
               "NATS server unreachable: %s; retrying every 2 s, and storing "
               "what is created meanwhile",
               why);
    uv_timer_init(loop, &n->catchup);
    n->catchup.data = n;
    uv_timer_start(&n->catchup, on_catchup_timer, CF_CATCHUP_TICK_MS, CF_CATCHUP_TICK_MS);
    uv_timer_init(loop, &n->resend);
    n->resend.data = n;
    uv_timer_start(&n->resend, on_resend_timer, CF_RESEND_TICK_MS, CF_RESEND_TICK_MS);
    uv_signal_init(loop, &n->sigterm);
    uv_signal_init(loop, &n->sigint);
    n->sigterm.data = n->sigint.data = n;
    uv_signal_start(&n->sigterm, on_signal, SIGTERM);
    uv_signal_start(&n->sigint, on_signal, SIGINT);
    cf_buf_clear(&v);
    *out = n;
    return CF_OK;
fail:
    cf_buf_clear(&v);
    /* nothing was started on the loop that needs closing except these */
    if (n->control || n->link) {
        n->stopping = true;
        *out = NULL;
        cf_node_stop(n, NULL, NULL);
        return st;
    }
    cf_store_close(n->store);
    cf_node_keys_free(n->keys);
    cf_node_config_free(n->cfg);
    cf_topology_free(n->topo);
    free(n->last_contact);
    free(n->rates);
    free(n->due);
    free(n->acked);
    cf_catchup_peers_free(n);
    free(n);
    return st;
}

static void
on_signal(uv_signal_t *h, int signum)
{
    cf_node *n = h->data;

    cf_log(CF_LOG_INFO, "%s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    cf_node_stop(n, n->on_stopped, n->stopped_ctx);
}

static void
stop_step(cf_node *n)
{
    if (--n->closing > 0)
        return;
    cf_store_close(n->store);
    void (*done)(void *) = n->on_stopped;
    void *ctx = n->stopped_ctx;
    cf_node_keys_free(n->keys);
    cf_node_config_free(n->cfg);
    cf_topology_free(n->topo);
    free(n->last_contact);
    free(n->rates);
    free(n->due);
    free(n->acked);
    cf_catchup_peers_free(n);
    while (n->jobs) {
        cf_verify_job *next = n->jobs->next;
        verify_job_free(n->jobs);
        n->jobs = next;
    }
    while (n->deferred) {
        cf_link_msg *next = n->deferred->next;
        free(n->deferred);
        n->deferred = next;
    }
    free(n);
    if (done)
        done(ctx);
}

static void
part_closed(void *ctx)
{
    stop_step(ctx);
}

static void
handle_closed(uv_handle_t *h)
{
    stop_step(h->data);
}

void
cf_node_stop(cf_node *n, void (*done)(void *ctx), void *ctx)
{
    if (n->closing > 0)
        return; /* already stopping */
    n->stopping = true;
    n->on_stopped = done;
    n->stopped_ctx = ctx;
    n->closing = 1 + (int)n->jobs_running; /* held until every part below has closed,
                                            * and every verify job has come back */
    if (n->http) { /* first: its threads end before anything they wait for */
        n->closing++;
        cf_http_close(n->http, part_closed, n);
    }
    if (n->control) {
        n->closing++;
        cf_control_close(n->control, part_closed, n);
    }
    if (n->link) {
        n->closing++;
        cf_link_close(n->link, part_closed, n);
    }
    if (n->catchup.data) {
        n->closing++;
        uv_close((uv_handle_t *)&n->catchup, handle_closed);
    }
    if (n->sigterm.data) {
        n->closing += 3;
        uv_close((uv_handle_t *)&n->sigterm, handle_closed);
        uv_close((uv_handle_t *)&n->sigint, handle_closed);
        uv_close((uv_handle_t *)&n->resend, handle_closed);
    }
    stop_step(n);
}
