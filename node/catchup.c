/*
 * catchup.c - anti-entropy between a node and its neighbours (DESIGN.md
 * section 6). On every (re)connect, and every catchup_interval_ms, a
 * node sends its parent and each child its per-origin high-water marks;
 * each answers with the stored envelopes above those marks that the asker
 * would have been sent, as the original signed bytes, in bounded batches.
 * The asker takes each envelope exactly as if it came from the bus, so a
 * copy from a neighbour is as good as the original and a node catches up
 * while the origin itself is offline.
 *
 * At start a node first asks only for its own envelopes: a store restored
 * from an old backup learns the messages it signed after that backup, so
 * it never signs a second message under one sequence number.
 *
 * Requests and batches are not part of any stream (Header.seq 0), are not
 * stored, and expire after CATCHUP_TTL_MS, so a replay has no effect.
 *
 * A request also carries a digest of the certificates and revocations the
 * asker holds; a neighbour holding others answers with its own first
 * (trustdocs.c), so a node cut off while one went round still gets it.
 */
#include "node/internal.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CATCHUP_TTL_MS (60 * 60 * 1000) /* generous: clocks may be minutes apart */

/* ---- peers ------------------------------------------------------------------ */

cf_peer_sync *
cf_catchup_peer(cf_node *n, const char *id)
{
    for (size_t i = 0; i < n->n_peers; i++)
        if (strcmp(n->peers[i].id, id) == 0)
            return &n->peers[i];
    return NULL;
}

static bool
is_peer(const cf_node *n, const cf_topo_node *x)
{
    size_t me = (size_t)(n->me - n->topo->nodes);

    return x != n->me && (x->parent_idx == me || n->me->parent_idx == (size_t)(x - n->topo->nodes));
}

cf_status
cf_catchup_peers_rebuild(cf_node *n)
{
    cf_peer_sync *v;
    size_t count = 0, k = 0;

    for (size_t i = 0; i < n->topo->n; i++)
        count += is_peer(n, &n->topo->nodes[i]);
    v = calloc(count ? count : 1, sizeof(*v));
    if (!v)
        return CF_E_NOMEM;
    for (size_t i = 0; i < n->topo->n; i++) {
        const cf_topo_node *x = &n->topo->nodes[i];
        if (!is_peer(n, x))
            continue;
        cf_peer_sync *old = cf_catchup_peer(n, x->id);
        if (old) {
            v[k] = *old;
            old->scanned = NULL; /* moved */
        } else {
            snprintf(v[k].id, sizeof(v[k].id), "%s", x->id);
        }
        k++;
    }
    cf_catchup_peers_free(n);
    n->peers = v;
    n->n_peers = count;
    return CF_OK;
}

void
cf_catchup_peers_free(cf_node *n)
{
    free(n->peers_before);
    n->peers_before = NULL;
    free(n->staged);
    free(n->staged_peer);
    n->staged = NULL;
    n->staged_peer = NULL;
    n->n_staged = 0;
    for (size_t i = 0; i < n->n_peers; i++)
        free(n->peers[i].scanned);
    free(n->peers);
    n->peers = NULL;
    n->n_peers = 0;
}

static cf_status
scanned_raise(cf_peer_sync *p, const char *origin, uint64_t seq)
{
    for (size_t i = 0; i < p->n_scanned; i++) {
        if (strcmp(p->scanned[i].origin, origin) == 0) {
            if (p->scanned[i].seq < seq)
                p->scanned[i].seq = seq;
            return CF_OK;
        }
    }
    if (p->n_scanned >= CF_TOPOLOGY_MAX_NODES)
        return CF_OK;
    cf_scan_mark *v = realloc(p->scanned, (p->n_scanned + 1) * sizeof(*v));
    if (!v)
        return CF_E_NOMEM;
    p->scanned = v;
    snprintf(v[p->n_scanned].origin, sizeof(v[0].origin), "%s", origin);
    v[p->n_scanned].seq = seq;
    p->n_scanned++;
    return CF_OK;
}

/* A scanned mark to raise if the open transaction commits; only for
 * origins of the federation, so a peer cannot make the list grow. */
static cf_status
stage_scanned(cf_node *n, cf_peer_sync *p, const char *origin, uint64_t seq)
{
    if (!cf_topology_find(n->topo, origin))
        return CF_OK;
    cf_scan_mark *v = realloc(n->staged, (n->n_staged + 1) * sizeof(*v));
    if (!v)
        return CF_E_NOMEM;
    n->staged = v;
    size_t *w = realloc(n->staged_peer, (n->n_staged + 1) * sizeof(*w));
    if (!w)
        return CF_E_NOMEM;
    n->staged_peer = w;
    snprintf(v[n->n_staged].origin, sizeof(v[0].origin), "%s", origin);
    v[n->n_staged].seq = seq;
    w[n->n_staged] = (size_t)(p - n->peers);
    n->n_staged++;
    return CF_OK;
}

cf_status
cf_catchup_txn_begin(cf_node *n)
{
    free(n->peers_before);
    n->peers_before = NULL;
    n->n_staged = 0;
    n->learn_waiting_before = n->learn_waiting;
    if (!n->n_peers)
        return CF_OK;
    n->peers_before = malloc(n->n_peers * sizeof(*n->peers_before));
    if (!n->peers_before)
        return CF_E_NOMEM;
    memcpy(n->peers_before, n->peers, n->n_peers * sizeof(*n->peers_before));
    return CF_OK;
}

void
cf_catchup_txn_end(cf_node *n, bool committed)
{
    if (committed) {
        for (size_t i = 0; i < n->n_staged; i++)
            if (n->staged_peer[i] < n->n_peers &&
                scanned_raise(&n->peers[n->staged_peer[i]], n->staged[i].origin,
                              n->staged[i].seq) != CF_OK)
                cf_log(CF_LOG_WARN, "catch-up: out of memory keeping how far a peer looked");
    } else {
        /* as before the transaction, but for the scanned lists, which only
         * a commit changes */
        for (size_t i = 0; n->peers_before && i < n->n_peers; i++) {
            cf_scan_mark *sc = n->peers[i].scanned;
            size_t nsc = n->peers[i].n_scanned;
            n->peers[i] = n->peers_before[i];
            n->peers[i].scanned = sc;
            n->peers[i].n_scanned = nsc;
        }
        n->learn_waiting = n->learn_waiting_before;
    }
    free(n->peers_before);
    n->peers_before = NULL;
    n->n_staged = 0;
}

/* ---- marks, as a list we can put in a message -------------------------------- */

typedef struct mark_list {
    cf_high_water_mark *v;
    cf_scan_mark *names; /* storage for v[i].origin */
    size_t n, cap;
} mark_list;

static void
marks_clear(mark_list *l)
{
    free(l->v);
    free(l->names);
    memset(l, 0, sizeof(*l));
}

static cf_status
marks_add(mark_list *l, const char *origin, uint64_t seq, const uint8_t *head)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        cf_high_water_mark *v = realloc(l->v, cap * sizeof(*v));
        if (v)
            l->v = v;
        cf_scan_mark *names = v ? realloc(l->names, cap * sizeof(*names)) : NULL;
        if (names)
            l->names = names;
        if (!v || !names)
            return CF_E_NOMEM;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    snprintf(l->names[l->n].origin, sizeof(l->names[0].origin), "%s", origin);
    l->names[l->n].seq = seq;
    l->v[l->n].seq = seq;
    if (head) {
        l->v[l->n].has_head = true;
        memcpy(l->v[l->n].head, head, CF_ID_LEN);
    }
    l->n++;
    return CF_OK;
}

/* Point each mark at its name, once the arrays no longer move. */
static void
marks_fix(mark_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->v[i].origin = l->names[i].origin;
}

static cf_status
collect_mark(const char *origin, uint64_t seq, const uint8_t head[CF_ID_LEN], void *ctx)
{
    return marks_add(ctx, origin, seq, head);
}

/* ---- asking ------------------------------------------------------------------------ */

/* Sign a seq-0 catch-up message of ours for one peer; its id to id_out. */
static cf_status
seal_for(cf_node *n, cf_body *b, const char *to, int64_t now_ms, cf_buf *wire,
         uint8_t id_out[CF_ID_LEN])
{
    const char *aud[1] = {to};
    cf_envelope env;
    cf_buf body;
    cf_status st;

    b->header.federation = n->cfg->federation;
    b->header.origin = n->cfg->id;
    b->header.seq = 0;
    b->header.created_ms = now_ms;
    b->header.expires_ms = now_ms + CATCHUP_TTL_MS;
    b->header.audience.nodes.v = aud;
    b->header.audience.nodes.n = 1;
    cf_buf_init(&body);
    st = cf_body_encode(b, &n->limits, &body);
    if (st == CF_OK)
        st = cf_envelope_seal(b->type, body.data, body.len, n->keys->identity->sign_sk, wire);
    if (st == CF_OK)
        st = cf_envelope_parse_stored(wire->data, wire->len, &env);
    if (st == CF_OK) {
        memcpy(id_out, env.id, CF_ID_LEN);
        cf_envelope_clear(&env);
    }
    cf_buf_clear(&body);
    return st;
}

static cf_status
publish_to(cf_node *n, const char *to, cf_msg_type type, const cf_buf *wire, cf_effects *fx)
{
    const cf_topo_node *x = cf_topology_find(n->topo, to);
    cf_buf subj;
    cf_status st;

    if (!x)
        return CF_E_INVALID_ARG;
    cf_buf_init(&subj);
    st = cf_subject_inbox(x->path, (int)type, &subj);
    if (st == CF_OK)
        st = cf_effects_add(fx, (const char *)subj.data, wire->data, wire->len);
    cf_buf_clear(&subj);
    return st;
}

cf_status
cf_catchup_ask(cf_node *n, cf_txn *t, cf_peer_sync *p, bool own_only, int64_t now_ms,
               cf_effects *fx)
{
    mark_list marks = {0};
    cf_body b;
    cf_buf wire;
    cf_status st = CF_OK;

    memset(&b, 0, sizeof(b));
    cf_buf_init(&wire);
    if (own_only) {
        st = marks_add(&marks, n->cfg->id, n->pending_seq, n->pending_seq ? n->pending_head : NULL);
    } else {
        st = cf_state_marks_scan(t, collect_mark, &marks);
        /* what the peer told us it looked through counts as seen */
        for (size_t i = 0; st == CF_OK && i < p->n_scanned; i++) {
            size_t k = 0;
            while (k < marks.n && strcmp(marks.names[k].origin, p->scanned[i].origin) != 0)
                k++;
            if (k == marks.n)
                st = marks_add(&marks, p->scanned[i].origin, p->scanned[i].seq, NULL);
            else if (marks.v[k].seq < p->scanned[i].seq) {
                marks.v[k].seq = p->scanned[i].seq;
                marks.v[k].has_head = false;
            }
        }
    }
    if (st == CF_OK && marks.n > n->limits.max_repeated) {
        cf_log(CF_LOG_WARN, "catch-up: %zu origins known, asking about the first %zu only", marks.n,
               n->limits.max_repeated);
        marks.n = n->limits.max_repeated;
    }
    marks_fix(&marks);
    b.type = CF_MSG_CATCHUP_REQUEST;
    b.u.catchup_request.marks = marks.v;
    b.u.catchup_request.n_marks = marks.n;
    b.u.catchup_request.max_batch = CF_CATCHUP_BATCH;
    b.u.catchup_request.own_only = own_only;
    /* and which trust documents we hold: a neighbour with others sends them */
    if (st == CF_OK)
        st = cf_trustdocs_digest(t, b.u.catchup_request.trust_digest);
    b.u.catchup_request.has_trust_digest = true;
    if (st == CF_OK)
        st = seal_for(n, &b, p->id, now_ms, &wire, p->request);
    if (st == CF_OK)
        st = publish_to(n, p->id, CF_MSG_CATCHUP_REQUEST, &wire, fx);
    if (st == CF_OK) {
        p->asked_ms = now_ms;
        p->waiting = true;
        p->own_only = own_only;
    }
    marks_clear(&marks);
    cf_buf_clear(&wire);
    return st;
}

void
cf_catchup_ask_all(cf_node *n, bool own_only)
{
    cf_effects fx = {NULL, NULL};
    cf_txn *t = NULL;
    int64_t now_ms = cf_clock_now_ms();
    cf_status st = CF_OK;

    if (!cf_link_connected(n->link))
        return;
#ifdef CF_UNSAFE_NO_DURABILITY
    /* the control build of the fault tests: nothing repairs a loss */
    cf_node_learning_done(n, "catch-up is off in this test build");
    return;
#endif
    if (n->n_peers == 0) {
        if (own_only) {
            n->learn_asked = true;
            n->learn_waiting = 0;
            cf_node_learning_done(n, "no parent and no children");
        }
        return;
    }
    st = cf_txn_begin(n->store, false, &t);
    for (size_t i = 0; st == CF_OK && i < n->n_peers; i++)
        st = cf_catchup_ask(n, t, &n->peers[i], own_only, now_ms, &fx);
    cf_txn_abort(t);
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "catch-up: cannot ask the peers: %s", cf_status_str(st));
        cf_effects_clear(&fx);
        return;
    }
    cf_effects_publish(n, &fx);
    n->catchup_ms = now_ms;
    if (own_only) {
        if (!n->learn_asked)
            n->learn_asked_ms = now_ms;
        n->learn_asked = true;
        n->learn_waiting = n->n_peers;
    }
}

/* ---- answering ------------------------------------------------------------------ */

typedef struct answer_ctx {
    cf_node *n;
    cf_txn *t;
    const char *to;
    bool to_parent; /* the asker is our parent */
    const char *origin;
    uint64_t last_seq; /* the last sequence looked at in origin's stream */
    cf_bytes *envs;
    size_t n_envs, cap, bytes, budget, max, examined;
    bool full;         /* the answer is full: more remain */
    cf_seq_set queued; /* origin's messages our outbox still sends the asker */
} answer_ctx;

/* Did we pass the incident with this id up to our parent ourselves? (A
 * store error counts as no: the answer leaves it out.) */
static bool
forwarded_by_us(answer_ctx *c, const char *incident)
{
    bool yes = false;

    return cf_state_forwarded(c->t, incident, &yes) == CF_OK && yes;
}

/* Would the asker have been sent this stored message? */
static bool
entitled(answer_ctx *c, const cf_message *m)
{
    const cf_body *b = &m->body;
    char answered[CF_NODE_ID_MAX + 1] = "";
    cf_message *x = NULL;

    if (b->type == CF_MSG_ACK && cf_state_load_id(c->t, b->u.ack.message_id, &x) == CF_OK)
        snprintf(answered, sizeof(answered), "%s", x->body.header.origin);
    else if (b->type == CF_MSG_TASK_STATUS && b->u.task_status.task &&
             cf_state_task(c->t, b->u.task_status.task, &x) == CF_OK)
        snprintf(answered, sizeof(answered), "%s", x->body.header.origin);
    cf_message_free(x);
    if (cf_rule_entitled(c->n->topo, c->to, b, answered[0] ? answered : NULL))
        return true;
    return b->type == CF_MSG_INCIDENT && c->to_parent && forwarded_by_us(c, b->u.incident.id);
}

/*
 * False only for an incident the asker is not entitled to, told from what
 * entitled() reads of an incident (its origin, severity and id) without
 * decoding it: most of a log is others' incidents, and most of those are
 * not the asker's (the Council's, at NCERT). Everything else, entitled()
 * decides.
 */
static bool
maybe_entitled(answer_ctx *c, const uint8_t *v, size_t vlen)
{
    cf_envelope_view e;
    char id[257]; /* an incident id is a short text (256 bytes at most) */
    int severity;

    if (cf_envelope_peek(v, vlen, &e) != CF_OK || e.type != CF_MSG_INCIDENT ||
        cf_body_peek_incident(e.body, e.body_len, id, sizeof(id), &severity) != CF_OK)
        return true;
    return cf_rule_incident_entitled(c->n->topo, c->to, c->origin, severity) ||
           (c->to_parent && forwarded_by_us(c, id));
}

static cf_status
answer_visit(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, void *arg)
{
    answer_ctx *c = arg;
    cf_envelope env;
    cf_message *m = NULL;

    if (klen < 8)
        return CF_OK;
    if (c->n_envs >= c->max || c->examined >= CF_CATCHUP_SCAN_MAX ||
        (c->n_envs > 0 && c->bytes + vlen > c->budget)) {
        c->full = true;
        return CF_E_EXISTS; /* stop here; the asker asks again */
    }
    c->examined++;
    uint64_t seq = cf_get_u64(k + klen - 8);
    /* what our outbox still sends the asker goes from there (in windows
     * paced by its receipts), not twice */
    cf_logkey key;
    bool queued = false;
    cf_logkey_make(c->origin, seq, &key);
    if (seq <= c->queued.upto) {
        queued = cf_seq_set_has(&c->queued, seq);
    } else {
        cf_status st = cf_state_outbox_waits_for(c->t, &key, c->to, &queued);
        if (st != CF_OK)
            return st;
    }
    if (queued || !maybe_entitled(c, v, vlen))
        goto done;
    if (cf_envelope_parse_stored(v, vlen, &env) != CF_OK)
        goto done;
    if (cf_message_decode(&env, NULL, &m) != CF_OK) {
        cf_envelope_clear(&env);
        goto done;
    }
    /* (one that could not fit in a batch at all is left out) */
    if (vlen + 1024 <= c->budget * 2 && entitled(c, m)) {
        if (c->n_envs == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 64;
            cf_bytes *e = realloc(c->envs, cap * sizeof(*e));
            if (!e) {
                cf_message_free(m);
                return CF_E_NOMEM;
            }
            c->envs = e;
            c->cap = cap;
        }
        uint8_t *copy = malloc(vlen);
        if (!copy) {
            cf_message_free(m);
            return CF_E_NOMEM;
        }
        memcpy(copy, v, vlen);
        c->envs[c->n_envs].data = copy;
        c->envs[c->n_envs].len = vlen;
        c->n_envs++;
        c->bytes += vlen + 8;
        /* passed up: the parent's receipt for it comes back to us as its
         * relay, and names it by id (an earlier revision of an incident we
         * escalated later was not indexed when it came) */
        if (c->to_parent) {
            cf_status ist = cf_state_index(c->t, m->env.id, &key);
            if (ist != CF_OK) {
                cf_message_free(m);
                return ist;
            }
        }
    }
    cf_message_free(m);
done:
    c->last_seq = seq;
    return CF_OK;
}

static uint64_t
asked_seq(const cf_catchup_request *r, const char *origin)
{
    for (size_t i = 0; i < r->n_marks; i++)
        if (strcmp(r->marks[i].origin, origin) == 0)
            return r->marks[i].seq;
    return 0;
}

cf_status
cf_catchup_answer(cf_node *n, cf_txn *t, const cf_message *m, int64_t now_ms, cf_effects *fx,
                  const char **why)
{
    const cf_catchup_request *r = &m->body.u.catchup_request;
    const char *asker = m->body.header.origin;
    cf_peer_sync *p = cf_catchup_peer(n, asker);
    const cf_strv *aud = &m->body.header.audience.nodes;
    mark_list mine = {0}, scanned = {0};
    answer_ctx c;
    cf_body b;
    cf_buf wire;
    uint8_t id[CF_ID_LEN];
    cf_status st;

    if (!p) {
        *why = "catch-up is asked only of a node's parent or children";
        return CF_E_UNAUTHORIZED;
    }
    if (aud->n != 1 || !aud->v[0] || strcmp(aud->v[0], n->cfg->id) != 0) {
        *why = "a catch-up request addressed to another node";
        return CF_E_UNAUTHORIZED;
    }
    /* an honest peer asks again at once only after an answer that said
     * "more"; anything faster is a flood, and answering costs us */
    if (p->heard_ms && !p->told_more && now_ms - p->heard_ms < CF_CATCHUP_MIN_GAP_MS) {
        *why = "catch-up asked again too soon";
        return CF_E_LIMIT;
    }
    /* a neighbour back after a silence (a cut link, a restart) gets what
     * waits for it in our outbox now, not at the end of a long backoff (at
     * most once per catch-up interval, however often it restarts) */
    bool back = !p->heard_ms || r->own_only ||
                now_ms - p->heard_ms > n->cfg->catchup_interval_ms + CF_CATCHUP_RETRY_MS;
    if (back && (!p->due_reset_ms || now_ms - p->due_reset_ms >= n->cfg->catchup_interval_ms)) {
        p->due_reset_ms = now_ms;
        size_t due = 0;
        st = cf_state_outbox_due_now(t, asker, now_ms, &due);
        if (st != CF_OK)
            return st;
        if (due) {
            cf_log(CF_LOG_INFO, "%s is back: %zu outbox message(s) for it are due now", asker, due);
            cf_node_outbox_reopen(n);
        }
    }
    p->heard_ms = now_ms;
    memset(&c, 0, sizeof(c));
    c.n = n;
    c.t = t;
    c.to = asker;
    c.to_parent =
        n->me->parent_idx != SIZE_MAX && strcmp(n->topo->nodes[n->me->parent_idx].id, asker) == 0;
    c.max = r->max_batch && r->max_batch < CF_CATCHUP_BATCH ? r->max_batch : CF_CATCHUP_BATCH;
    c.budget = n->limits.max_envelope / 2;
    cf_buf_init(&wire);
    /* certificates and revocations first, as what follows may need them;
     * at most half the answer, so the log always moves on too */
    bool trust_more = false;
    st = cf_trustdocs_answer(t, r, p, c.max / 2, c.budget / 2, &c.envs, &c.n_envs, &c.cap, &c.bytes,
                             &trust_more);
    if (st == CF_OK)
        st = cf_state_marks_scan(t, collect_mark, &mine);
    marks_fix(&mine);
    for (size_t i = 0; st == CF_OK && i < mine.n && !c.full; i++) {
        const char *origin = mine.v[i].origin;
        uint64_t from = asked_seq(r, origin);
        if (r->own_only && strcmp(origin, asker) != 0)
            continue;
        if (mine.v[i].seq <= from)
            continue;
        cf_logkey prefix, start;
        cf_logkey_make(origin, 0, &prefix);
        cf_logkey_make(origin, from + 1, &start);
        c.origin = origin;
        c.last_seq = 0;
        uint64_t last =
            from < UINT64_MAX - CF_CATCHUP_SCAN_MAX ? from + CF_CATCHUP_SCAN_MAX : UINT64_MAX;
        st = cf_state_outbox_waiting(t, origin, from + 1, last, asker, &c.queued);
        if (st == CF_OK)
            st = cf_txn_scan_from(t, CF_T_LOG, prefix.k, prefix.len - 8, start.k, start.len,
                                  answer_visit, &c);
        if (st == CF_OK && c.last_seq > from)
            st = marks_add(&scanned, origin, c.last_seq, NULL);
    }
    marks_fix(&scanned);
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_CATCHUP_BATCH;
    memcpy(b.u.catchup_batch.request, m->env.id, CF_ID_LEN);
    b.u.catchup_batch.envelopes = c.envs;
    b.u.catchup_batch.n_envelopes = c.n_envs;
    b.u.catchup_batch.more = c.full || trust_more;
    b.u.catchup_batch.scanned = scanned.v;
    b.u.catchup_batch.n_scanned = scanned.n;
    if (st == CF_OK)
        st = seal_for(n, &b, asker, now_ms, &wire, id);
    /* the asker refuses an envelope over the size limit: shed envelopes
     * (and the scanned marks, which the shed ones would contradict) until
     * the batch fits; one envelope always fits (see answer_visit) */
    while (st == CF_OK && wire.len > n->limits.max_envelope && b.u.catchup_batch.n_envelopes) {
        b.u.catchup_batch.n_envelopes--;
        b.u.catchup_batch.more = true;
        b.u.catchup_batch.n_scanned = 0;
        wire.len = 0;
        st = seal_for(n, &b, asker, now_ms, &wire, id);
    }
    if (st == CF_OK && wire.len > n->limits.max_envelope)
        st = CF_E_OVERSIZE;
    if (st == CF_OK)
        st = publish_to(n, asker, CF_MSG_CATCHUP_BATCH, &wire, fx);
    if (st == CF_OK) {
        /* after an own-stream answer the full request follows at once */
        p->told_more = b.u.catchup_batch.more || r->own_only;
        p->served += b.u.catchup_batch.n_envelopes;
        if (b.u.catchup_batch.n_envelopes)
            cf_log(CF_LOG_INFO, "catch-up: sent %s %zu envelope(s)%s", asker,
                   b.u.catchup_batch.n_envelopes, b.u.catchup_batch.more ? ", more to come" : "");
    }
    for (size_t i = 0; i < c.n_envs; i++)
        free((void *)c.envs[i].data);
    free(c.envs);
    cf_seq_set_clear(&c.queued);
    marks_clear(&mine);
    marks_clear(&scanned);
    cf_buf_clear(&wire);
    return st;
}

/* ---- taking a batch ---------------------------------------------------------------- */

/* The origin named in an envelope's header, before verification (to hold
 * back others' messages while we learn our own). */
static bool
origin_is(const cf_bytes *e, const char *id)
{
    cf_envelope env;
    cf_message *m = NULL;
    bool yes = false;

    if (cf_envelope_parse_stored(e->data, e->len, &env) != CF_OK)
        return false;
    if (cf_message_decode(&env, NULL, &m) != CF_OK) {
        cf_envelope_clear(&env);
        return false;
    }
    yes = m->body.header.origin && strcmp(m->body.header.origin, id) == 0;
    cf_message_free(m);
    return yes;
}

/*
 * A catch-up run (answers saying "more", then one that does not) says how
 * far it is in the log: a line every CF_CATCHUP_PROGRESS_MS while it goes
 * on, and one at its end if it brought anything new.
 */
static void
catchup_progress(cf_peer_sync *p, size_t taken, uint64_t fresh, bool more, int64_t now_ms)
{
    if (!p->run_ms) {
        p->run_ms = p->run_logged_ms = now_ms;
        p->run_taken = p->run_new = 0;
    }
    p->run_taken += taken;
    p->run_new += fresh;
    double secs = (double)(now_ms - p->run_ms) / 1000.0;
    if (more && now_ms - p->run_logged_ms >= CF_CATCHUP_PROGRESS_MS) {
        cf_log(CF_LOG_INFO,
               "catching up with %s: %" PRIu64 " envelope(s) so far, %" PRIu64
               " new, in %.1f s; more to come",
               p->id, p->run_taken, p->run_new, secs);
        p->run_logged_ms = now_ms;
    } else if (!more) {
        if (p->run_new)
            cf_log(CF_LOG_INFO,
                   "caught up with %s: %" PRIu64 " envelope(s), %" PRIu64 " new, in %.1f s", p->id,
                   p->run_taken, p->run_new, secs);
        p->run_ms = 0;
    }
}

cf_status
cf_catchup_take(cf_node *n, cf_txn *t, const cf_message *m, int64_t now_ms, cf_effects *fx,
                bool *trust_changed, const char **why)
{
    const cf_catchup_batch *c = &m->body.u.catchup_batch;
    cf_peer_sync *p = cf_catchup_peer(n, m->body.header.origin);
    const cf_strv *aud = &m->body.header.audience.nodes;
    bool ours = false, all_taken = true, took_new = false, throttled = false;
    uint64_t n_new = 0;
    char subject[64];
    cf_status st = CF_OK;

    if (!p) {
        *why = "catch-up comes only from a node's parent or children";
        return CF_E_UNAUTHORIZED;
    }
    if (aud->n != 1 || !aud->v[0] || strcmp(aud->v[0], n->cfg->id) != 0) {
        *why = "a catch-up batch addressed to another node";
        return CF_E_UNAUTHORIZED;
    }
    ours = p->waiting && sodium_memcmp(c->request, p->request, CF_ID_LEN) == 0;
    snprintf(subject, sizeof(subject), "catch-up from %s", p->id);
    for (size_t i = 0; st == CF_OK && i < c->n_envelopes; i++) {
        /* while we learn our own stream we sign nothing, receipts included:
         * others' messages come again in the catch-up that follows */
        if (n->learning && !origin_is(&c->envelopes[i], n->cfg->id))
            continue;
        cf_status verdict = CF_OK;
        st = cf_node_receive(n, t, c->envelopes[i].data, c->envelopes[i].len, subject, p->id,
                             now_ms, fx, trust_changed, &verdict);
        /* a trust document refused here is no reason to see the log again */
        if (verdict != CF_OK && verdict != CF_E_DUPLICATE &&
            !cf_trustdocs_is_doc(c->envelopes[i].data, c->envelopes[i].len))
            all_taken = false;
        if (verdict == CF_OK) {
            took_new = true;
            n_new++;
        }
        if (verdict == CF_E_THROTTLED)
            throttled = true;
    }
    if (st != CF_OK)
        return st;
    /* how far the peer looked counts only for the answer to our request,
     * and only if we took everything it gave (a rejected envelope, say of
     * a signer we do not know yet, must come again) */
    for (size_t i = 0; ours && all_taken && !n->learning && i < c->n_scanned; i++) {
        st = stage_scanned(n, p, c->scanned[i].origin, c->scanned[i].seq);
        if (st != CF_OK)
            return st;
    }
    p->batches++;
    p->envelopes += c->n_envelopes;
    p->answered_ms = now_ms;
    if (!ours)
        return CF_OK; /* an older answer: its envelopes are welcome, nothing more */
    p->waiting = false;
    p->more = c->more;
    catchup_progress(p, c->n_envelopes, n_new, c->more, now_ms);
    /* ask for the rest at once only if this answer moved us on: a batch
     * we could take nothing of would come back the same, forever; the
     * periodic catch-up tries again later */
    bool moved = took_new || (all_taken && c->n_scanned > 0);
    /* an origin over its rate ([limits] sender_rate) is not caught up any
     * faster than it may send: ask again once its allowance has grown */
    if (throttled) {
        p->resume_ms = now_ms + CF_CATCHUP_THROTTLED_MS;
        return CF_OK;
    }
    if (c->more && moved && (!n->learning || p->own_only))
        return cf_catchup_ask(n, t, p, p->own_only, now_ms, fx);
    if (p->own_only && n->learning && n->learn_waiting > 0)
        n->learn_waiting--;
    return CF_OK;
}

/* ---- our own messages, back from a peer ------------------------------------------- */

cf_status
cf_catchup_adopt_own(cf_node *n, cf_txn *t, const cf_message *m, const uint8_t *wire, size_t len,
                     int64_t now_ms, const char *via)
{
    const cf_header *h = &m->body.header;
    cf_status st;

    if (h->seq == 0)
        return CF_E_MALFORMED;
    st = cf_state_record(t, m, wire, len, true);
    if (st == CF_E_DUPLICATE)
        return st;
    if (st == CF_E_FORK) {
        cf_status es = cf_state_evidence_put(t, m, wire, len);
        if (es != CF_OK)
            return es;
        n->counters.forks++;
        cf_log(CF_LOG_ERROR,
               "ALARM fork of this node's own stream: %s holds a different message #%" PRIu64
               " signed with this node's key (the key is used elsewhere, or a restored "
               "store signed again); kept as evidence",
               via, h->seq);
        return CF_E_FORK;
    }
    if (st == CF_OK)
        st = cf_state_apply(t, m, now_ms);
    /* our own sealed incidents are sealed to us too */
    if (st == CF_OK && m->body.type == CF_MSG_SEALED) {
        cf_buf inner_wire;
        cf_message *inner = NULL;
        const char *why = NULL;
        cf_buf_init(&inner_wire);
        cf_status os = cf_tlp_open(n, m, &inner_wire, &inner, &why);
        if (os == CF_OK)
            st = cf_state_opened_put(t, m, inner_wire.data, inner_wire.len);
        if (os == CF_OK && st == CF_OK)
            st = cf_state_apply(t, inner, now_ms);
        if (os != CF_OK)
            cf_log(CF_LOG_WARN, "own sealed message #%" PRIu64 " from %s does not open: %s", h->seq,
                   via, why ? why : cf_status_str(os));
        cf_message_free(inner);
        if (inner_wire.data)
            sodium_memzero(inner_wire.data, inner_wire.cap);
        cf_buf_clear(&inner_wire);
    }
    /* recorded above, it is our mark now (cf_state_own_head) */
    if (st == CF_OK && h->seq > n->pending_seq) {
        cf_log(CF_LOG_WARN,
               "took back own message #%" PRIu64 " from %s: this store was behind "
               "(restored from a backup?); continuing after it",
               h->seq, via);
        n->pending_seq = h->seq;
        memcpy(n->pending_head, m->env.id, CF_ID_LEN);
    }
    return st;
}
