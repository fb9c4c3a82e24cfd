/*
 * messages.c - the steps a node takes with envelope bytes, for the fuzz
 * targets (messages.h), and the promises of a decoded message checked
 * field by field. A broken promise aborts, which libFuzzer reports as a
 * crash with the input that caused it.
 */
#include "messages.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* What body.c caps identifiers and labels at (its SHORT_TEXT). */
#define SHORT_TEXT 256
/* "Now" for header checks: fixed, so a run is reproducible. */
#define FUZZ_NOW_MS 1796000000000
#define FUZZ_FEDERATION "pk"

cf_limits
fuzz_limits(void)
{
    return cf_limits_default();
}

/* The key every re-signed body is signed with (fixed: runs reproduce). */
static const uint8_t *
fuzz_sk(void)
{
    static uint8_t sk[CF_SK_LEN];
    static bool ready;

    if (!ready) {
        uint8_t seed[32], pk[CF_PK_LEN];
        if (sodium_init() < 0)
            abort();
        memset(seed, 0x42, sizeof(seed));
        crypto_sign_seed_keypair(pk, sk, seed);
        ready = true;
    }
    return sk;
}

/* ---- the promises of a decoded message ---------------------------------------- */

static void
text(const char *s, size_t max)
{
    if (s && strnlen(s, max + 1) > max)
        abort();
}

static void
strv(cf_strv v, const cf_limits *lim, size_t max)
{
    if (v.n > lim->max_repeated || (v.n && !v.v))
        abort();
    for (size_t i = 0; i < v.n; i++) {
        if (!v.v[i])
            abort();
        text(v.v[i], max);
    }
}

static void
id(const char *s)
{
    if (!s || !cf_id_valid(s))
        abort();
}

static void
marks(const cf_high_water_mark *m, size_t n, const cf_limits *lim)
{
    if (n > lim->max_repeated || (n && !m))
        abort();
    for (size_t i = 0; i < n; i++)
        id(m[i].origin);
}

static void
check_message(const cf_message *m, const cf_limits *lim)
{
    const cf_body *b = &m->body;
    const cf_header *h = &b->header;
    size_t sm = lim->max_text < SHORT_TEXT ? lim->max_text : SHORT_TEXT, tm = lim->max_text;

    if (b->type != m->env.type || !cf_msg_type_name((int)b->type))
        abort();
    if (m->env.body_len && !m->env.body)
        abort();
    id(h->origin);
    text(h->federation, sm);
    strv(h->audience.nodes, lim, SHORT_TEXT);
    strv(h->audience.subtrees, lim, SHORT_TEXT);
    strv(h->audience.roles, lim, SHORT_TEXT);
    switch (b->type) {
    case CF_MSG_INCIDENT: {
        const cf_incident *i = &b->u.incident;
        const char *shorts[] = {i->id,          i->title,        i->rsit_class, i->rsit_type,
                                i->owner,       i->analyst,      i->sector,     i->province,
                                i->constituent, i->duplicate_of, i->supersedes, i->source};
        for (size_t k = 0; k < CF_ARRAY_LEN(shorts); k++)
            text(shorts[k], sm);
        text(i->description, tm);
        text(i->note, tm);
        strv(i->related, lim, sm);
        if (i->severity < 0 || i->severity > 5 || i->confidence > 100)
            abort();
        if (i->n_observables > lim->max_repeated || (i->n_observables && !i->observables))
            abort();
        for (size_t k = 0; k < i->n_observables; k++) {
            text(i->observables[k].type, sm);
            text(i->observables[k].value, tm);
        }
        break;
    }
    case CF_MSG_TASKING:
        text(b->u.tasking.id, sm);
        text(b->u.tasking.issuer, sm);
        strv(b->u.tasking.assignees, lim, sm);
        text(b->u.tasking.instructions, tm);
        text(b->u.tasking.deliverable, tm);
        text(b->u.tasking.incident, sm);
        break;
    case CF_MSG_TASK_STATUS:
        text(b->u.task_status.task, sm);
        text(b->u.task_status.assignee, sm);
        text(b->u.task_status.reason, tm);
        text(b->u.task_status.result, tm);
        break;
    case CF_MSG_DIRECTIVE: {
        const cf_directive *d = &b->u.directive;
        text(d->number, sm);
        text(d->title, sm);
        text(d->summary, tm);
        strv(d->actions, lim, tm);
        strv(d->sectors, lim, sm);
        strv(d->provinces, lim, sm);
        if (d->n_roles > lim->max_repeated || (d->n_roles && !d->roles))
            abort();
        int roles = 0;
        for (size_t k = 0; k < d->n_roles; k++)
            roles += d->roles[k] != 0; /* readable */
        (void)roles;
        break;
    }
    case CF_MSG_ACK: {
        const cf_ack *a = &b->u.ack;
        text(a->node, sm);
        text(a->analyst, sm);
        text(a->reason, tm);
        if (a->n_more > lim->max_repeated || (a->n_more && (!a->more_ids || a->state != 1)))
            abort();
        unsigned x = 0;
        for (size_t k = 0; k < cf_ack_count(a); k++)
            x += cf_ack_id(a, k)[CF_ID_LEN - 1]; /* readable */
        (void)x;
        break;
    }
    case CF_MSG_MEMBER_CERT:
        id(b->u.cert.node);
        if (!b->u.cert.parent || (b->u.cert.parent[0] && !cf_id_valid(b->u.cert.parent)))
            abort();
        if (!cf_role_name((int)b->u.cert.role))
            abort();
        break;
    case CF_MSG_REVOCATION:
        id(b->u.revocation.node);
        text(b->u.revocation.reason, tm);
        break;
    case CF_MSG_CATCHUP_REQUEST:
        marks(b->u.catchup_request.marks, b->u.catchup_request.n_marks, lim);
        break;
    case CF_MSG_CATCHUP_BATCH: {
        const cf_catchup_batch *c = &b->u.catchup_batch;
        marks(c->scanned, c->n_scanned, lim);
        if (c->n_envelopes > lim->max_repeated || (c->n_envelopes && !c->envelopes))
            abort();
        for (size_t k = 0; k < c->n_envelopes; k++)
            if (c->envelopes[k].len && !c->envelopes[k].data)
                abort();
        break;
    }
    case CF_MSG_SEALED: {
        const cf_sealed *x = &b->u.sealed;
        if (x->inner_type != CF_MSG_INCIDENT || x->n_recipients == 0 ||
            x->n_recipients > lim->max_repeated || !x->recipients ||
            x->ciphertext_len < CF_SEAL_MAC_LEN || !x->ciphertext)
            abort();
        for (size_t k = 0; k < x->n_recipients; k++)
            id(x->recipients[k].node);
        break;
    }
    }
}

/* ---- the node's steps ---------------------------------------------------------- */

/* What a node reads of stored bytes without decoding them (catch-up
 * answers, applying receipts) must be what the decoder read: the peeks may
 * say "cannot tell", never something else. */
static void
check_peeks(const uint8_t *wire, size_t len, const cf_message *m)
{
    cf_envelope_view e;
    char id[257];
    int severity;

    if (cf_envelope_peek(wire, len, &e) != CF_OK)
        abort(); /* it decoded: the peek must read it too */
    if (e.type != m->env.type || e.body_len != m->env.body_len ||
        (e.body_len && memcmp(e.body, m->env.body, e.body_len) != 0) || !e.signer ||
        memcmp(e.signer, m->env.signer, CF_PK_LEN) != 0)
        abort();
    if (m->body.type != CF_MSG_INCIDENT)
        return;
    if (cf_body_peek_incident(e.body, e.body_len, id, sizeof(id), &severity) != CF_OK)
        return;
    if (severity != m->body.u.incident.severity ||
        strcmp(id, m->body.u.incident.id ? m->body.u.incident.id : "") != 0)
        abort();
}

/*
 * Everything a node does with received bytes before its trust and rules
 * decisions (node.c process_one): the size, the frame read before the
 * signature, the signature, the body, the header. An opened catch-up batch
 * hands each of its envelopes on, as cf_catchup_take does.
 */
static void
open_steps(const uint8_t *wire, size_t len, int depth)
{
    cf_limits lim = fuzz_limits();
    cf_envelope env;
    cf_message *m = NULL;
    cf_status st;

    if (len > lim.max_envelope)
        return;
    if (cf_envelope_parse_stored(wire, len, &env) == CF_OK)
        cf_envelope_clear(&env);
    st = cf_envelope_open(wire, len, &lim, 0, FUZZ_FEDERATION, FUZZ_NOW_MS, &m);
    if (st != CF_OK)
        return;
    check_message(m, &lim);
    check_peeks(wire, len, m);
    if (m->body.type == CF_MSG_CATCHUP_BATCH && depth < FUZZ_MAX_DEPTH) {
        const cf_catchup_batch *c = &m->body.u.catchup_batch;
        for (size_t i = 0; i < c->n_envelopes; i++)
            fuzz_take_envelope(c->envelopes[i].data, c->envelopes[i].len, depth + 1);
    }
    cf_message_free(m);
}

void
fuzz_take_envelope(const uint8_t *wire, size_t len, int depth)
{
    cf_limits def = cf_limits_default();
    cf_envelope env;
    cf_message *m = NULL;

    open_steps(wire, len, depth);
    /* Catch-up reads an envelope's origin before verifying it (origin_is,
     * with the default limits); a body that decodes there is signed again
     * and opened, to reach past the signature. */
    if (cf_envelope_parse_stored(wire, len, &env) != CF_OK)
        return;
    if (cf_message_decode(&env, NULL, &m) != CF_OK) {
        cf_envelope_clear(&env);
        return;
    }
    check_message(m, &def);
    check_peeks(wire, len, m);
    fuzz_take_body((int)m->env.type, m->env.body, m->env.body_len, depth);
    cf_message_free(m);
}

void
fuzz_take_body(int type, const uint8_t *body, size_t len, int depth)
{
    char origin[CF_NODE_ID_MAX + 1];
    uint64_t seq;
    cf_buf wire;

    /* the header is peeked at before the signature is checked */
    if (cf_body_peek_key(body, len, origin, &seq) == CF_OK && origin[0] == 0)
        abort();
    cf_buf_init(&wire);
    if (cf_envelope_seal((cf_msg_type)type, body, len, fuzz_sk(), &wire) == CF_OK) {
        open_steps(wire.data, wire.len, depth);
    } else {
        /* the sealer refuses only unknown types; so must the decoder */
        cf_limits lim = fuzz_limits();
        cf_envelope env;
        cf_message *m = NULL;
        if (cf_msg_type_name(type))
            abort();
        memset(&env, 0, sizeof(env));
        env.type = (cf_msg_type)type;
        env.body = body;
        env.body_len = len;
        if (cf_message_decode(&env, &lim, &m) != CF_E_WRONG_TYPE)
            abort();
    }
    cf_buf_clear(&wire);
}
