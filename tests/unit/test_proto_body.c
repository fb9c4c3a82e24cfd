/*
 * test_proto_body.c - proto/body.c: encode, seal and open every body type and
 * compare every field; repeated-field and text limits in the encoder and, on
 * crafted wire bytes, the decoder; invalid header origins; wrong key lengths.
 */
#include "check.h"
#include "proto/proto.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define FED "cf-test"

static uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN];

/* ---- wire helpers ------------------------------------------------------------ */

static void
app(cf_buf *b, const void *p, size_t n)
{
    if (cf_buf_append(b, p, n) != CF_OK) {
        fprintf(stderr, "out of memory in a test helper\n");
        abort();
    }
}

static void
put_varint(cf_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;

    do {
        x[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            x[n] |= 0x80;
        n++;
    } while (v);
    app(b, x, n);
}

static void
put_bytes(cf_buf *b, uint32_t field, const void *p, size_t n)
{
    put_varint(b, ((uint64_t)field << 3) | 2);
    put_varint(b, n);
    if (n)
        app(b, p, n);
}

static void
put_uint(cf_buf *b, uint32_t field, uint64_t v)
{
    put_varint(b, ((uint64_t)field << 3) | 0);
    put_varint(b, v);
}

/* Seal body bytes with our key and open them as a receiver of FED at NOW_MS. */
static cf_status
open_bytes(cf_msg_type type, const uint8_t *body, size_t len, const cf_limits *lim,
           cf_message **out)
{
    cf_buf wire;
    cf_status st;

    cf_buf_init(&wire);
    if (cf_envelope_seal(type, body, len, sk, &wire) != CF_OK) {
        fprintf(stderr, "cf_envelope_seal failed in a test helper\n");
        abort();
    }
    st = cf_envelope_open(wire.data, wire.len, lim, (int)type, FED, NOW_MS, out);
    cf_buf_clear(&wire);
    return st;
}

/* ---- comparisons --------------------------------------------------------------- */

static bool
str_eq(const char *got, const char *want)
{
    /* a field left NULL when encoding comes back as "" */
    return got && strcmp(got, want ? want : "") == 0;
}

static bool
strv_eq(cf_strv got, cf_strv want)
{
    if (got.n != want.n)
        return false;
    for (size_t i = 0; i < got.n; i++)
        if (!str_eq(got.v[i], want.v[i]))
            return false;
    return true;
}

static void
check_header(const cf_header *g, const cf_header *w)
{
    CHECK(str_eq(g->federation, w->federation));
    CHECK(str_eq(g->origin, w->origin));
    CHECK(g->seq == w->seq);
    CHECK(g->has_prev_hash == w->has_prev_hash);
    CHECK(!w->has_prev_hash || memcmp(g->prev_hash, w->prev_hash, CF_ID_LEN) == 0);
    CHECK(g->created_ms == w->created_ms);
    CHECK(g->expires_ms == w->expires_ms);
    CHECK(strv_eq(g->audience.nodes, w->audience.nodes));
    CHECK(strv_eq(g->audience.subtrees, w->audience.subtrees));
    CHECK(strv_eq(g->audience.roles, w->audience.roles));
}

static void
check_incident(const cf_incident *g, const cf_incident *w)
{
    CHECK(str_eq(g->id, w->id));
    CHECK(g->revision == w->revision);
    CHECK(str_eq(g->title, w->title));
    CHECK(str_eq(g->description, w->description));
    CHECK(str_eq(g->rsit_class, w->rsit_class));
    CHECK(str_eq(g->rsit_type, w->rsit_type));
    CHECK(g->severity == w->severity);
    CHECK(g->confidence == w->confidence);
    CHECK(g->determination == w->determination);
    CHECK(g->tlp == w->tlp);
    CHECK(g->pap == w->pap);
    CHECK(g->status == w->status);
    CHECK(str_eq(g->owner, w->owner));
    CHECK(str_eq(g->analyst, w->analyst));
    CHECK(str_eq(g->sector, w->sector));
    CHECK(str_eq(g->province, w->province));
    CHECK(str_eq(g->constituent, w->constituent));
    CHECK(g->detected_ms == w->detected_ms);
    CHECK(g->reported_ms == w->reported_ms);
    CHECK(g->n_observables == w->n_observables);
    for (size_t i = 0; i < g->n_observables && i < w->n_observables; i++) {
        CHECK(str_eq(g->observables[i].type, w->observables[i].type));
        CHECK(str_eq(g->observables[i].value, w->observables[i].value));
        CHECK(g->observables[i].to_block == w->observables[i].to_block);
    }
    CHECK(strv_eq(g->related, w->related));
    CHECK(str_eq(g->duplicate_of, w->duplicate_of));
    CHECK(str_eq(g->supersedes, w->supersedes));
    CHECK(str_eq(g->note, w->note));
    CHECK(str_eq(g->source, w->source));
}

static void
check_tasking(const cf_tasking *g, const cf_tasking *w)
{
    CHECK(str_eq(g->id, w->id));
    CHECK(str_eq(g->issuer, w->issuer));
    CHECK(strv_eq(g->assignees, w->assignees));
    CHECK(g->kind == w->kind);
    CHECK(str_eq(g->instructions, w->instructions));
    CHECK(str_eq(g->deliverable, w->deliverable));
    CHECK(str_eq(g->incident, w->incident));
    CHECK(g->priority == w->priority);
    CHECK(g->due_ms == w->due_ms);
}

static void
check_task_status(const cf_task_status *g, const cf_task_status *w)
{
    CHECK(str_eq(g->task, w->task));
    CHECK(str_eq(g->assignee, w->assignee));
    CHECK(g->state == w->state);
    CHECK(str_eq(g->reason, w->reason));
    CHECK(str_eq(g->result, w->result));
}

static void
check_directive(const cf_directive *g, const cf_directive *w)
{
    CHECK(str_eq(g->number, w->number));
    CHECK(g->version == w->version);
    CHECK(g->kind == w->kind);
    CHECK(str_eq(g->title, w->title));
    CHECK(str_eq(g->summary, w->summary));
    CHECK(strv_eq(g->actions, w->actions));
    CHECK(g->n_roles == w->n_roles);
    for (size_t i = 0; i < g->n_roles && i < w->n_roles; i++)
        CHECK(g->roles[i] == w->roles[i]);
    CHECK(strv_eq(g->sectors, w->sectors));
    CHECK(strv_eq(g->provinces, w->provinces));
    CHECK(g->severity == w->severity);
    CHECK(g->effective_ms == w->effective_ms);
    CHECK(g->comply_by_ms == w->comply_by_ms);
    CHECK(g->ack_required == w->ack_required);
    CHECK(g->ack_by_ms == w->ack_by_ms);
}

static void
check_ack(const cf_ack *g, const cf_ack *w)
{
    CHECK(memcmp(g->message_id, w->message_id, CF_ID_LEN) == 0);
    CHECK(g->n_more == w->n_more);
    if (g->n_more == w->n_more && w->n_more)
        CHECK(memcmp(g->more_ids, w->more_ids, w->n_more * CF_ID_LEN) == 0);
    CHECK(str_eq(g->node, w->node));
    CHECK(str_eq(g->analyst, w->analyst));
    CHECK(g->state == w->state);
    CHECK(str_eq(g->reason, w->reason));
    CHECK(g->at_ms == w->at_ms);
}

static void
check_cert(const cf_member_cert *g, const cf_member_cert *w)
{
    CHECK(str_eq(g->node, w->node));
    CHECK(g->role == w->role);
    CHECK(str_eq(g->parent, w->parent));
    CHECK(memcmp(g->identity_key, w->identity_key, CF_PK_LEN) == 0);
    CHECK(memcmp(g->transport_key, w->transport_key, CF_PK_LEN) == 0);
    CHECK(memcmp(g->encryption_key, w->encryption_key, CF_PK_LEN) == 0);
    CHECK(g->serial == w->serial);
    CHECK(g->not_before_ms == w->not_before_ms);
    CHECK(g->not_after_ms == w->not_after_ms);
    CHECK(memcmp(g->issuer_key, w->issuer_key, CF_PK_LEN) == 0);
}

static void
check_revocation(const cf_revocation *g, const cf_revocation *w)
{
    CHECK(memcmp(g->key, w->key, CF_PK_LEN) == 0);
    CHECK(str_eq(g->node, w->node));
    CHECK(g->serial == w->serial);
    CHECK(g->last_good_seq == w->last_good_seq);
    CHECK(str_eq(g->reason, w->reason));
    CHECK(g->revoked_ms == w->revoked_ms);
}

static void
check_catchup_request(const cf_catchup_request *g, const cf_catchup_request *w)
{
    CHECK(g->max_batch == w->max_batch);
    CHECK(g->has_trust_digest == w->has_trust_digest);
    CHECK(!w->has_trust_digest || memcmp(g->trust_digest, w->trust_digest, CF_ID_LEN) == 0);
    CHECK(g->n_marks == w->n_marks);
    for (size_t i = 0; i < g->n_marks && i < w->n_marks; i++) {
        CHECK(str_eq(g->marks[i].origin, w->marks[i].origin));
        CHECK(g->marks[i].seq == w->marks[i].seq);
        CHECK(g->marks[i].has_head == w->marks[i].has_head);
        CHECK(!w->marks[i].has_head || memcmp(g->marks[i].head, w->marks[i].head, CF_ID_LEN) == 0);
    }
}

static void
check_catchup_batch(const cf_catchup_batch *g, const cf_catchup_batch *w)
{
    CHECK(memcmp(g->request, w->request, CF_ID_LEN) == 0);
    CHECK(g->more == w->more);
    CHECK(g->n_envelopes == w->n_envelopes);
    for (size_t i = 0; i < g->n_envelopes && i < w->n_envelopes; i++) {
        CHECK(g->envelopes[i].len == w->envelopes[i].len);
        CHECK(g->envelopes[i].len == w->envelopes[i].len &&
              (w->envelopes[i].len == 0 ||
               memcmp(g->envelopes[i].data, w->envelopes[i].data, w->envelopes[i].len) == 0));
    }
}

static void
check_sealed(const cf_sealed *g, const cf_sealed *w)
{
    CHECK(g->inner_type == w->inner_type);
    CHECK(g->n_recipients == w->n_recipients);
    for (size_t i = 0; i < g->n_recipients && i < w->n_recipients; i++) {
        CHECK(str_eq(g->recipients[i].node, w->recipients[i].node));
        CHECK(memcmp(g->recipients[i].wrapped_key, w->recipients[i].wrapped_key,
                     CF_SEAL_WRAPPED_LEN) == 0);
    }
    CHECK(memcmp(g->nonce, w->nonce, CF_SEAL_NONCE_LEN) == 0);
    CHECK(g->ciphertext_len == w->ciphertext_len &&
          memcmp(g->ciphertext, w->ciphertext, w->ciphertext_len) == 0);
}

static void
check_body(const cf_body *g, const cf_body *w)
{
    CHECK(g->type == w->type);
    check_header(&g->header, &w->header);
    if (g->type != w->type)
        return;
    switch (w->type) {
    case CF_MSG_INCIDENT:
        check_incident(&g->u.incident, &w->u.incident);
        break;
    case CF_MSG_TASKING:
        check_tasking(&g->u.tasking, &w->u.tasking);
        break;
    case CF_MSG_TASK_STATUS:
        check_task_status(&g->u.task_status, &w->u.task_status);
        break;
    case CF_MSG_DIRECTIVE:
        check_directive(&g->u.directive, &w->u.directive);
        break;
    case CF_MSG_ACK:
        check_ack(&g->u.ack, &w->u.ack);
        break;
    case CF_MSG_MEMBER_CERT:
        check_cert(&g->u.cert, &w->u.cert);
        break;
    case CF_MSG_REVOCATION:
        check_revocation(&g->u.revocation, &w->u.revocation);
        break;
    case CF_MSG_CATCHUP_REQUEST:
        check_catchup_request(&g->u.catchup_request, &w->u.catchup_request);
        break;
    case CF_MSG_CATCHUP_BATCH:
        check_catchup_batch(&g->u.catchup_batch, &w->u.catchup_batch);
        break;
    case CF_MSG_SEALED:
        check_sealed(&g->u.sealed, &w->u.sealed);
        break;
    }
}

/* ---- sample bodies --------------------------------------------------------------- */

#define STRV(a) ((cf_strv){(a), CF_ARRAY_LEN(a)})

static const char *const aud_nodes[] = {"node-b", "node-c"};
static const char *const aud_subtrees[] = {"ncert"};
static const char *const aud_roles[] = {"sectoral", "provincial", "constituent"};
static const char *const four_ids[] = {"node-w", "node-x", "node-y", "node-z"};

static const cf_observable observables[] = {
    {"ip", "192.0.2.17", true},
    {"domain", "login-ministry.example", false},
    {"hash", "d41d8cd98f00b204e9800998ecf8427e", true},
    {"url", "https://login-ministry.example/x", false},
};
static const char *const related[] = {"node-b-7", "node-c-12"};
static const char *const assignees[] = {"node-b", "node-c", "node-d"};
static const char *const actions[] = {"Patch CVE-2026-0001 on all gateways.",
                                      "Report exposure within 48 hours."};
static const int roles[] = {CF_ROLE_NCERT, CF_ROLE_SECTORAL, CF_ROLE_PROVINCIAL, CF_ROLE_COUNCIL};
static const char *const sectors[] = {"energy", "finance"};
static const char *const provinces[] = {"north", "south"};

static uint8_t key_a[CF_PK_LEN], key_b[CF_PK_LEN], key_c[CF_PK_LEN], key_d[CF_PK_LEN];
static uint8_t inner1[200], inner2[120];
static cf_bytes inner_envs[4];
static cf_high_water_mark marks[4];
static cf_sealed_recipient sealed_to[4] = {
    {"node-a", {1}}, {"node-b", {2}}, {"node-c", {3}}, {"node-d", {4}}};
static const uint8_t ciphertext[48] = {9, 8, 7};

static void
fill_header(cf_header *h)
{
    h->federation = FED;
    h->origin = "node-a";
    h->seq = (UINT64_C(1) << 40) + 42; /* needs all 64 bits */
    h->has_prev_hash = true;
    for (int i = 0; i < CF_ID_LEN; i++)
        h->prev_hash[i] = (uint8_t)(i * 7 + 1);
    h->created_ms = NOW_MS - 5000;
    h->expires_ms = NOW_MS + 3600 * 1000;
    h->audience.nodes = STRV(aud_nodes);
    h->audience.subtrees = STRV(aud_subtrees);
    h->audience.roles = STRV(aud_roles);
}

/* A body of the given type with every field set away from its default and
 * every repeated field holding at most 3 entries. */
static void
make_sample(cf_msg_type type, cf_body *b)
{
    memset(b, 0, sizeof(*b));
    b->type = type;
    fill_header(&b->header);
    switch (type) {
    case CF_MSG_INCIDENT: {
        cf_incident *i = &b->u.incident;
        i->id = "node-a-17";
        i->revision = 3;
        i->title = "Credential phishing against a ministry";
        i->description = "Several mailboxes received a fake login page.\nLine two.";
        i->rsit_class = "fraud";
        i->rsit_type = "phishing";
        i->severity = 4;
        i->confidence = 85;
        i->determination = 2;
        i->tlp = 3;
        i->pap = 2;
        i->status = 2;
        i->owner = "node-a";
        i->analyst = "a.analyst";
        i->sector = "government";
        i->province = "north";
        i->constituent = "ministry-of-x";
        i->detected_ms = NOW_MS - 86400000;
        i->reported_ms = NOW_MS - 3600000;
        i->observables = observables;
        i->n_observables = 3;
        i->related = STRV(related);
        i->duplicate_of = "node-b-3";
        i->supersedes = "node-a-16";
        i->note = "Update: contained at the mail gateway.";
        i->source = "misp event 5e2b7c1a-3f4d-4e6b-9a1c-2d8e0f7a6b54 from \"CERT-X\"";
        break;
    }
    case CF_MSG_TASKING: {
        cf_tasking *t = &b->u.tasking;
        t->id = "node-a-t9";
        t->issuer = "node-a";
        t->assignees = STRV(assignees);
        t->kind = 2;
        t->instructions = "Block the listed indicators at the perimeter.";
        t->deliverable = "Confirmation with a timestamp.";
        t->incident = "node-a-17";
        t->priority = 1;
        t->due_ms = -5; /* negative int64 values survive */
        break;
    }
    case CF_MSG_TASK_STATUS: {
        cf_task_status *t = &b->u.task_status;
        t->task = "node-a-t9";
        t->assignee = "node-b";
        t->state = 5;
        t->reason = "No such device in our constituency.";
        t->result = "n/a";
        break;
    }
    case CF_MSG_DIRECTIVE: {
        cf_directive *d = &b->u.directive;
        d->number = "2026-014";
        d->version = 2;
        d->kind = 3;
        d->title = "Patch the gateway vulnerability";
        d->summary = "A remotely exploitable flaw is being used in the wild.";
        d->actions = STRV(actions);
        d->roles = roles;
        d->n_roles = 3;
        d->sectors = STRV(sectors);
        d->provinces = STRV(provinces);
        d->severity = 5;
        d->effective_ms = NOW_MS;
        d->comply_by_ms = NOW_MS + 7 * 86400000LL;
        d->ack_required = true;
        d->ack_by_ms = NOW_MS + 86400000LL;
        break;
    }
    case CF_MSG_ACK: {
        cf_ack *a = &b->u.ack;
        for (int i = 0; i < CF_ID_LEN; i++)
            a->message_id[i] = (uint8_t)(0xf0 ^ i);
        a->node = "node-b";
        a->analyst = "b.analyst";
        a->state = 4;
        a->reason = "Not applicable to us.";
        a->at_ms = NOW_MS - 10;
        break;
    }
    case CF_MSG_MEMBER_CERT: {
        cf_member_cert *c = &b->u.cert;
        b->header.seq = 0; /* a certificate made offline */
        b->header.has_prev_hash = false;
        c->node = "energy-cert";
        c->role = CF_ROLE_SECTORAL;
        c->parent = "ncert";
        memcpy(c->identity_key, key_a, CF_PK_LEN);
        memcpy(c->transport_key, key_b, CF_PK_LEN);
        memcpy(c->encryption_key, key_c, CF_PK_LEN);
        c->serial = 12345678901ULL;
        c->not_before_ms = NOW_MS - 1000;
        c->not_after_ms = NOW_MS + 365LL * 86400000;
        memcpy(c->issuer_key, key_d, CF_PK_LEN);
        break;
    }
    case CF_MSG_REVOCATION: {
        cf_revocation *r = &b->u.revocation;
        memcpy(r->key, key_b, CF_PK_LEN);
        r->node = "energy-cert";
        r->serial = 7;
        r->last_good_seq = UINT64_MAX;
        r->reason = "Key compromised.";
        r->revoked_ms = NOW_MS - 1;
        break;
    }
    case CF_MSG_CATCHUP_REQUEST: {
        cf_catchup_request *r = &b->u.catchup_request;
        r->marks = marks;
        r->n_marks = 3;
        r->max_batch = 50;
        r->has_trust_digest = true;
        for (int i = 0; i < CF_ID_LEN; i++)
            r->trust_digest[i] = (uint8_t)(200 - i);
        break;
    }
    case CF_MSG_CATCHUP_BATCH: {
        cf_catchup_batch *c = &b->u.catchup_batch;
        for (int i = 0; i < CF_ID_LEN; i++)
            c->request[i] = (uint8_t)(i + 100);
        c->envelopes = inner_envs;
        c->n_envelopes = 3;
        c->more = true;
        break;
    }
    case CF_MSG_SEALED: {
        cf_sealed *x = &b->u.sealed;
        x->inner_type = CF_MSG_INCIDENT;
        x->recipients = sealed_to;
        x->n_recipients = 3;
        for (int i = 0; i < CF_SEAL_NONCE_LEN; i++)
            x->nonce[i] = (uint8_t)(i + 3);
        x->ciphertext = ciphertext;
        x->ciphertext_len = sizeof(ciphertext);
        break;
    }
    }
}

static void
init_samples(void)
{
    randombytes_buf(key_a, sizeof(key_a));
    randombytes_buf(key_b, sizeof(key_b));
    randombytes_buf(key_c, sizeof(key_c));
    randombytes_buf(key_d, sizeof(key_d));
    randombytes_buf(inner1, sizeof(inner1));
    randombytes_buf(inner2, sizeof(inner2));
    inner_envs[0] = (cf_bytes){inner1, sizeof(inner1)};
    inner_envs[1] = (cf_bytes){inner2, sizeof(inner2)};
    inner_envs[2] = (cf_bytes){inner1, 1};
    inner_envs[3] = (cf_bytes){inner2, 7};
    for (size_t i = 0; i < CF_ARRAY_LEN(marks); i++) {
        marks[i].origin = four_ids[i];
        marks[i].seq = 1000 * (i + 1);
        marks[i].has_head = i != 1; /* one mark without a head */
        for (int k = 0; k < CF_ID_LEN; k++)
            marks[i].head[k] = (uint8_t)(k ^ (int)(i * 31));
    }
}

/* ---- round trips ----------------------------------------------------------------- */

/* Encode with the default limits, seal, open, compare. */
static void
round_trip(const cf_body *want, const char *what)
{
    int failures = check_failures;
    cf_buf body;
    cf_message *m = NULL;

    cf_buf_init(&body);
    CHECK_ST(cf_body_encode(want, NULL, &body), CF_OK);
    CHECK_ST(open_bytes(want->type, body.data, body.len, NULL, &m), CF_OK);
    if (m) {
        uint8_t id[CF_ID_LEN];

        CHECK(m->env.type == want->type);
        CHECK(m->env.body_len == body.len && memcmp(m->env.body, body.data, body.len) == 0);
        cf_message_id(want->type, body.data, body.len, id);
        CHECK(memcmp(m->env.id, id, CF_ID_LEN) == 0);
        CHECK(memcmp(m->env.signer, pk, CF_PK_LEN) == 0);
        check_body(&m->body, want);
        cf_message_free(m);
    }
    cf_buf_clear(&body);
    if (check_failures != failures)
        fprintf(stderr, "  (in the round trip of %s)\n", what);
}

static void
test_round_trips(void)
{
    cf_body b;

    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        make_sample((cf_msg_type)t, &b);
        round_trip(&b, cf_msg_type_name(t));

        /* the same with a minimal header: no prev_hash, no audience */
        b.header.has_prev_hash = false;
        memset(b.header.prev_hash, 0, CF_ID_LEN);
        memset(&b.header.audience, 0, sizeof(b.header.audience));
        b.header.seq = 1;
        round_trip(&b, cf_msg_type_name(t));
    }

    /* strings left NULL come back as empty strings; no repeated entries */
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_INCIDENT;
    b.header.federation = FED;
    b.header.origin = "node-a";
    round_trip(&b, "an empty incident");

    /* the catch-up batch carries whole, real envelopes unchanged */
    {
        cf_buf e1, e2, body;
        cf_body inner;
        cf_bytes envs[2];
        cf_message *m = NULL;
        size_t inner_len;

        cf_buf_init(&e1);
        cf_buf_init(&e2);
        cf_buf_init(&body);
        make_sample(CF_MSG_INCIDENT, &inner);
        CHECK_ST(cf_body_encode(&inner, NULL, &body), CF_OK);
        inner_len = body.len;
        CHECK_ST(cf_envelope_seal(CF_MSG_INCIDENT, body.data, body.len, sk, &e1), CF_OK);
        CHECK_ST(cf_envelope_seal(CF_MSG_ACK, NULL, 0, sk, &e2), CF_OK);
        envs[0] = (cf_bytes){e1.data, e1.len};
        envs[1] = (cf_bytes){e2.data, e2.len};
        make_sample(CF_MSG_CATCHUP_BATCH, &b);
        b.u.catchup_batch.envelopes = envs;
        b.u.catchup_batch.n_envelopes = 2;
        b.u.catchup_batch.more = false;
        round_trip(&b, "a batch of real envelopes");

        body.len = 0;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_BATCH, body.data, body.len, NULL, &m), CF_OK);
        if (m && m->body.u.catchup_batch.n_envelopes == 2) {
            cf_envelope env;
            const cf_bytes *x = &m->body.u.catchup_batch.envelopes[0];

            CHECK_ST(cf_envelope_verify(x->data, x->len, NULL, &env), CF_OK);
            CHECK(env.type == CF_MSG_INCIDENT && env.body_len == inner_len);
            cf_envelope_clear(&env);
            x = &m->body.u.catchup_batch.envelopes[1];
            CHECK_ST(cf_envelope_verify(x->data, x->len, NULL, &env), CF_OK);
            CHECK(env.type == CF_MSG_ACK && env.body_len == 0);
            cf_envelope_clear(&env);
        }
        cf_message_free(m);
        cf_buf_clear(&e1);
        cf_buf_clear(&e2);
        cf_buf_clear(&body);
    }

    /* an origin id of exactly 32 characters is valid */
    make_sample(CF_MSG_TASK_STATUS, &b);
    b.header.origin = "abcdefghijklmnopqrstuvwxyz-01234";
    round_trip(&b, "a 32-character origin");
}

/* ---- limits -------------------------------------------------------------------- */

/*
 * over has one repeated field (or string) just over strict, at the same
 * body with that field just at it. The encoder refuses over with CF_E_LIMIT
 * and leaves its buffer alone; forced onto the wire (encoded with the default
 * limits), the decoder refuses it with CF_E_LIMIT.
 */
static void
limit_case(const char *what, const cf_body *over, const cf_body *at, const cf_limits *strict)
{
    int failures = check_failures;
    cf_buf body, wire;
    cf_message *m = NULL;
    cf_envelope env;

    cf_buf_init(&body);
    cf_buf_init(&wire);

    app(&body, "ab", 2);
    CHECK_ST(cf_body_encode(over, strict, &body), CF_E_LIMIT);
    CHECK(body.len == 2 && memcmp(body.data, "ab", 2) == 0);

    if (at) {
        body.len = 0;
        CHECK_ST(cf_body_encode(at, strict, &body), CF_OK);
        CHECK_ST(open_bytes(at->type, body.data, body.len, strict, &m), CF_OK);
        cf_message_free(m);
        m = NULL;
    }

    body.len = 0;
    CHECK_ST(cf_body_encode(over, NULL, &body), CF_OK);
    CHECK_ST(open_bytes(over->type, body.data, body.len, strict, &m), CF_E_LIMIT);
    CHECK(m == NULL);
    CHECK_ST(open_bytes(over->type, body.data, body.len, NULL, &m), CF_OK);
    cf_message_free(m);
    m = NULL;

    /* cf_message_decode directly: refused, and the envelope is not consumed */
    CHECK_ST(cf_envelope_seal(over->type, body.data, body.len, sk, &wire), CF_OK);
    CHECK_ST(cf_envelope_verify(wire.data, wire.len, NULL, &env), CF_OK);
    {
        cf_envelope before = env;
        CHECK_ST(cf_message_decode(&env, strict, &m), CF_E_LIMIT);
        CHECK(m == NULL);
        CHECK(memcmp(&before, &env, sizeof(env)) == 0);
    }
    cf_envelope_clear(&env);

    cf_buf_clear(&body);
    cf_buf_clear(&wire);
    if (check_failures != failures)
        fprintf(stderr, "  (in the limit case \"%s\")\n", what);
}

static void
test_repeated_limits(void)
{
    cf_limits strict = cf_limits_default();
    cf_body over, at;
    static const int four_roles[] = {1, 2, 3, 4};
    static const char *const four_actions[] = {"a", "b", "c", "d"};

    strict.max_repeated = 3;

#define CASE(type, what, set_over, set_at)                                                         \
    do {                                                                                           \
        make_sample(type, &over);                                                                  \
        make_sample(type, &at);                                                                    \
        set_over;                                                                                  \
        set_at;                                                                                    \
        limit_case(what, &over, &at, &strict);                                                     \
    } while (0)

    CASE(CF_MSG_INCIDENT, "incident observables", over.u.incident.n_observables = 4,
         at.u.incident.n_observables = 3);
    CASE(CF_MSG_INCIDENT, "incident related", over.u.incident.related = STRV(four_ids),
         at.u.incident.related = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_TASKING, "tasking assignees", over.u.tasking.assignees = STRV(four_ids),
         at.u.tasking.assignees = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_DIRECTIVE, "directive actions", over.u.directive.actions = STRV(four_actions),
         at.u.directive.actions = ((cf_strv){four_actions, 3}));
    CASE(CF_MSG_DIRECTIVE, "directive roles",
         (over.u.directive.roles = four_roles, over.u.directive.n_roles = 4),
         (at.u.directive.roles = four_roles, at.u.directive.n_roles = 3));
    CASE(CF_MSG_DIRECTIVE, "directive sectors", over.u.directive.sectors = STRV(four_ids),
         at.u.directive.sectors = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_DIRECTIVE, "directive provinces", over.u.directive.provinces = STRV(four_ids),
         at.u.directive.provinces = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_TASK_STATUS, "audience nodes", over.header.audience.nodes = STRV(four_ids),
         at.header.audience.nodes = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_ACK, "audience subtrees", over.header.audience.subtrees = STRV(four_ids),
         at.header.audience.subtrees = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_REVOCATION, "audience roles", over.header.audience.roles = STRV(four_ids),
         at.header.audience.roles = ((cf_strv){four_ids, 3}));
    CASE(CF_MSG_CATCHUP_REQUEST, "catch-up marks", over.u.catchup_request.n_marks = 4,
         at.u.catchup_request.n_marks = 3);
    CASE(CF_MSG_CATCHUP_BATCH, "catch-up envelopes", over.u.catchup_batch.n_envelopes = 4,
         at.u.catchup_batch.n_envelopes = 3);
    CASE(CF_MSG_SEALED, "sealed recipients", over.u.sealed.n_recipients = 4,
         at.u.sealed.n_recipients = 3);
#undef CASE
}

static void
test_text_limits(void)
{
    cf_limits strict = cf_limits_default();
    char *big;
    cf_body b, at;
    cf_buf body;
    cf_message *m = NULL;
    size_t huge = CF_DEFAULT_MAX_TEXT + 1;

    big = malloc(huge + 1);
    if (!big)
        abort();
    cf_buf_init(&body);

    /* titles are capped at 256 bytes whatever max_text says (body.c) */
    memset(big, 't', 257);
    big[257] = '\0';
    make_sample(CF_MSG_INCIDENT, &b);
    b.u.incident.title = big;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_LIMIT);
    CHECK(body.len == 0);
    big[256] = '\0';
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    body.len = 0;
    big[256] = 't';
    /* so is an imported incident's source */
    make_sample(CF_MSG_INCIDENT, &b);
    b.u.incident.source = big;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_LIMIT);
    CHECK(body.len == 0);
    big[256] = '\0';
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    body.len = 0;
    big[256] = 't';
    make_sample(CF_MSG_DIRECTIVE, &b);
    b.u.directive.title = big;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_LIMIT);
    CHECK(body.len == 0);

    /* an over-long title forced onto the wire: a lower max_text on receipt */
    strict.max_text = 100;
    memset(big, 't', 200);
    big[200] = '\0';
    make_sample(CF_MSG_INCIDENT, &b);
    b.u.incident.title = big;
    at = b;
    at.u.incident.title = big + 100; /* 100 bytes */
    limit_case("incident title over max_text", &b, &at, &strict);
    make_sample(CF_MSG_DIRECTIVE, &b);
    b.u.directive.title = big;
    at = b;
    at.u.directive.title = big + 100;
    limit_case("directive title over max_text", &b, &at, &strict);

    /* a 257-byte title spliced onto the wire by hand, checked with the default
     * limits (a later occurrence of a string field replaces an earlier one) */
    make_sample(CF_MSG_INCIDENT, &b);
    b.u.incident.title = NULL; /* not on the wire at all */
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    {
        size_t base = body.len;

        memset(big, 'T', 257);
        put_bytes(&body, 4, big, 256); /* control: at the cap, accepted */
        CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_OK);
        if (m) {
            CHECK(strlen(m->body.u.incident.title) == 256);
            CHECK(memcmp(m->body.u.incident.title, big, 256) == 0);
            cf_message_free(m);
        }
        m = NULL;
        body.len = base;
        put_bytes(&body, 4, big, 257);
        CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_E_LIMIT);
        CHECK(m == NULL);
    }

    /* free text is bounded by max_text */
    memset(big, 'd', huge);
    big[huge] = '\0';
    make_sample(CF_MSG_INCIDENT, &b);
    b.u.incident.description = big;
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_LIMIT);
    big[huge - 1] = '\0';
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);

    /* a revocation reason over max_text is a limit too, on both sides */
    memset(big, 'r', 200);
    big[200] = '\0';
    make_sample(CF_MSG_REVOCATION, &b);
    b.u.revocation.reason = big;
    at = b;
    at.u.revocation.reason = big + 100;
    limit_case("revocation reason over max_text", &b, &at, &strict);

    cf_buf_clear(&body);
    free(big);
}

/*
 * cf_body_encode promises that nothing is sent that a receiver with the same
 * limits would refuse: whatever it accepts must open.
 */
static void
test_encode_implies_decode(void)
{
    cf_body b;
    cf_buf body;

    cf_buf_init(&body);
    for (int k = 0; k < 4; k++) {
        cf_status enc, dec = CF_OK;
        cf_message *m = NULL;

        make_sample(CF_MSG_INCIDENT, &b);
        if (k == 0)
            b.u.incident.confidence = 101;
        else if (k == 1)
            b.u.incident.severity = 6;
        else if (k == 2)
            b.u.incident.severity = -1;
        else
            b.u.incident.confidence = 100; /* control: in range */
        body.len = 0;
        enc = cf_body_encode(&b, NULL, &body);
        if (enc == CF_OK) {
            dec = open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m);
            cf_message_free(m);
        }
        if (enc == CF_OK && dec != CF_OK)
            fprintf(stderr, "case %d: cf_body_encode accepted an incident that opens as %s\n", k,
                    cf_status_str(dec));
        CHECK(enc != CF_OK || dec == CF_OK);
        if (k == 3)
            CHECK_ST(dec, CF_OK);
        else /* the encoder refuses what every receiver would reject */
            CHECK_ST(enc, CF_E_INVALID_ARG);
    }
    cf_buf_clear(&body);
}

/* ---- headers and keys -------------------------------------------------------------- */

/* cf_body_peek_key reads a body's origin and seq without decoding it, from
 * every type; it never reads past the end, and refuses what names none. */
static void
test_peek_key(void)
{
    char origin[CF_NODE_ID_MAX + 1];
    uint64_t seq = 0;
    cf_buf body, hdr;
    cf_body b;
    cf_status st;

    cf_buf_init(&body);
    cf_buf_init(&hdr);
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        make_sample((cf_msg_type)t, &b);
        b.header.seq = 1000 + (uint64_t)t;
        body.len = 0;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_OK);
        CHECK_STR(origin, b.header.origin);
        CHECK(seq == b.header.seq);
        /* cut short anywhere (ASan watches the reads): refused, or the
         * header was whole before the cut */
        for (size_t cut = 0; cut < body.len; cut++) {
            st = cf_body_peek_key(body.data, cut, origin, &seq);
            CHECK(st == CF_E_MALFORMED || (st == CF_OK && strcmp(origin, b.header.origin) == 0));
        }
    }

    /* by hand: any order, other fields stepped over, a repeated header's
     * last values win */
    put_uint(&hdr, 3, 5);
    put_uint(&hdr, 5, 123456789);
    put_bytes(&hdr, 2, "node-a", 6);
    put_bytes(&hdr, 1, FED, strlen(FED));
    body.len = 0;
    put_bytes(&body, 2, "node-a-1", 8);
    put_bytes(&body, 1, hdr.data, hdr.len);
    put_uint(&body, 3, 2);
    CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_OK);
    CHECK_STR(origin, "node-a");
    CHECK(seq == 5);
    hdr.len = 0;
    put_uint(&hdr, 3, 7);
    put_bytes(&body, 1, hdr.data, hdr.len);
    CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_OK);
    CHECK_STR(origin, "node-a");
    CHECK(seq == 7);

    /* no header; a header without an origin; an origin too long */
    body.len = 0;
    put_bytes(&body, 2, "node-a-1", 8);
    CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_E_MALFORMED);
    CHECK_ST(cf_body_peek_key(body.data, 0, origin, &seq), CF_E_MALFORMED);
    put_bytes(&body, 1, hdr.data, hdr.len);
    CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_E_MALFORMED);
    hdr.len = 0;
    put_bytes(&hdr, 2, "abcdefghijklmnopqrstuvwxyz-0123456", 34);
    body.len = 0;
    put_bytes(&body, 1, hdr.data, hdr.len);
    CHECK_ST(cf_body_peek_key(body.data, body.len, origin, &seq), CF_E_MALFORMED);
    /* a length past the end, a wire type protobuf has not, a varint of 11 bytes */
    static const uint8_t past[] = {0x0a, 0x05, 0x12, 0x01, 'a'};
    static const uint8_t group[] = {0x13, 0x0a, 0x03, 0x12, 0x01, 'a'};
    static const uint8_t endless[] = {0x18, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_ST(cf_body_peek_key(past, sizeof(past), origin, &seq), CF_E_MALFORMED);
    CHECK_ST(cf_body_peek_key(group, sizeof(group), origin, &seq), CF_E_MALFORMED);
    CHECK_ST(cf_body_peek_key(endless, sizeof(endless), origin, &seq), CF_E_MALFORMED);
    /* the control: the same bytes as past, whole */
    static const uint8_t whole[] = {0x0a, 0x03, 0x12, 0x01, 'a'};
    CHECK_ST(cf_body_peek_key(whole, sizeof(whole), origin, &seq), CF_OK);
    CHECK_STR(origin, "a");
    cf_buf_clear(&body);
    cf_buf_clear(&hdr);
}

/* cf_envelope_peek reads an envelope's type, body and signer in place, as
 * cf_envelope_parse_stored decodes them, for every type. */
static void
test_envelope_peek(void)
{
    cf_buf body, wire;
    cf_body b;
    cf_envelope env;
    cf_envelope_view e;
    cf_status st;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        make_sample((cf_msg_type)t, &b);
        body.len = wire.len = 0;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        CHECK_ST(cf_envelope_seal((cf_msg_type)t, body.data, body.len, sk, &wire), CF_OK);
        CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_OK);
        CHECK(e.type == (cf_msg_type)t);
        CHECK(e.body_len == body.len && memcmp(e.body, body.data, body.len) == 0);
        CHECK(e.body >= wire.data && e.body + e.body_len <= wire.data + wire.len); /* in place */
        CHECK(e.signer && memcmp(e.signer, pk, CF_PK_LEN) == 0);
        CHECK_ST(cf_envelope_parse_stored(wire.data, wire.len, &env), CF_OK);
        CHECK(env.type == e.type && env.body_len == e.body_len);
        cf_envelope_clear(&env);
        /* cut short anywhere (ASan watches the reads) */
        for (size_t cut = 0; cut < wire.len; cut++) {
            st = cf_envelope_peek(wire.data, cut, &e);
            CHECK(st == CF_E_MALFORMED || (st == CF_OK && e.type == (cf_msg_type)t &&
                                           e.body + e.body_len <= wire.data + cut));
        }
    }
    /* by hand: a repeated body, type and signer, the last wins; unknown
     * fields are stepped over; a signer of the wrong length is none */
    static const uint8_t one_key[CF_PK_LEN] = {1}, other_key[CF_PK_LEN] = {2};
    wire.len = 0;
    put_bytes(&wire, 2, "first", 5);
    put_uint(&wire, 1, CF_MSG_ACK);
    put_bytes(&wire, 3, one_key, sizeof(one_key));
    put_bytes(&wire, 9, "other", 5);
    put_bytes(&wire, 2, "second", 6);
    put_uint(&wire, 1, CF_MSG_INCIDENT);
    put_bytes(&wire, 3, other_key, sizeof(other_key));
    CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_OK);
    CHECK(e.type == CF_MSG_INCIDENT && e.body_len == 6 && memcmp(e.body, "second", 6) == 0);
    CHECK(e.signer && memcmp(e.signer, other_key, CF_PK_LEN) == 0);
    put_bytes(&wire, 3, one_key, CF_PK_LEN - 1);
    CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_OK);
    CHECK(e.signer == NULL);
    /* no type, an unknown one, an empty envelope */
    wire.len = 0;
    put_bytes(&wire, 2, "body", 4);
    CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_E_MALFORMED);
    put_uint(&wire, 1, 99);
    CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_E_MALFORMED);
    CHECK_ST(cf_envelope_peek(wire.data, 0, &e), CF_E_MALFORMED);
    /* the control: the same bytes with a known type last */
    put_uint(&wire, 1, CF_MSG_DIRECTIVE);
    CHECK_ST(cf_envelope_peek(wire.data, wire.len, &e), CF_OK);
    CHECK(e.type == CF_MSG_DIRECTIVE && e.body_len == 4 && e.signer == NULL);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

/* cf_body_peek_incident reads an incident's id and severity as the decoder
 * does, and says when it cannot tell. */
static void
test_peek_incident(void)
{
    char id[257];
    int severity = -1;
    cf_buf body;
    cf_body b;
    cf_message *m = NULL;
    cf_status st;

    cf_buf_init(&body);
    for (int sev = 0; sev <= 5; sev++) {
        make_sample(CF_MSG_INCIDENT, &b);
        b.u.incident.severity = sev;
        body.len = 0;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_OK);
        CHECK_STR(id, b.u.incident.id);
        CHECK(severity == sev);
        CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_OK);
        CHECK(m && m->body.u.incident.severity == severity);
        CHECK(m && strcmp(m->body.u.incident.id, id) == 0);
        cf_message_free(m);
        m = NULL;
        /* cut short anywhere (ASan watches the reads): refused, or what
         * was read before the cut (the id whole or not yet, the severity
         * as sent or not yet) */
        for (size_t cut = 0; cut < body.len; cut++) {
            st = cf_body_peek_incident(body.data, cut, id, sizeof(id), &severity);
            CHECK(st == CF_E_MALFORMED ||
                  (st == CF_OK && (id[0] == 0 || strcmp(id, b.u.incident.id) == 0) &&
                   (severity == 0 || severity == sev)));
        }
    }
    /* by hand: repeated fields, the last wins, as protobuf-c decodes them */
    body.len = 0;
    put_uint(&body, 8, 5);
    put_bytes(&body, 2, "kp-1", 4);
    put_bytes(&body, 4, "a title", 7);
    put_uint(&body, 8, 1);
    put_bytes(&body, 2, "kp-22", 5);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_OK);
    CHECK_STR(id, "kp-22");
    CHECK(severity == 1);
    /* no severity is severity 0 */
    body.len = 0;
    put_bytes(&body, 2, "kp-1", 4);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_OK);
    CHECK(severity == 0);
    /* an id that just fits; one byte more cannot be told (decode it) */
    char long_id[257];
    memset(long_id, 'a', sizeof(long_id));
    body.len = 0;
    put_bytes(&body, 2, long_id, 256);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_OK);
    CHECK(strlen(id) == 256);
    body.len = 0;
    put_bytes(&body, 2, long_id, 257);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_E_MALFORMED);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, 0, &severity), CF_E_INVALID_ARG);
    /* a severity the decoder refuses: 6, and -1 (ten bytes) */
    body.len = 0;
    put_uint(&body, 8, 6);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_E_MALFORMED);
    body.len = 0;
    put_uint(&body, 8, UINT64_MAX);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_E_MALFORMED);
    /* the control: in range */
    body.len = 0;
    put_uint(&body, 8, 4);
    CHECK_ST(cf_body_peek_incident(body.data, body.len, id, sizeof(id), &severity), CF_OK);
    CHECK(severity == 4);
    cf_buf_clear(&body);
}

static void
test_header_origin(void)
{
    static const char *const bad[] = {
        "Node-A",   "node a", "node_a",
        "",         "in",     "down",
        "node-a/x", "node.a", "abcdefghijklmnopqrstuvwxyz-012345", /* 33 characters */
    };
    cf_buf body;
    cf_body b;

    cf_buf_init(&body);
    app(&body, "ab", 2);
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        make_sample((cf_msg_type)t, &b);
        for (size_t i = 0; i < CF_ARRAY_LEN(bad); i++) {
            b.header.origin = bad[i];
            CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
        }
        b.header.origin = NULL;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
    }
    CHECK(body.len == 2 && memcmp(body.data, "ab", 2) == 0);

    /* on the wire: an incident whose header is built by hand */
    for (size_t i = 0; i <= CF_ARRAY_LEN(bad) + 1; i++) {
        cf_buf hdr;
        cf_message *m = NULL;
        const char *origin = i < CF_ARRAY_LEN(bad)    ? bad[i]
                             : i == CF_ARRAY_LEN(bad) ? NULL
                                                      : "node-a";

        cf_buf_init(&hdr);
        put_bytes(&hdr, 1, FED, strlen(FED));
        if (origin)
            put_bytes(&hdr, 2, origin, strlen(origin));
        put_uint(&hdr, 3, 5);
        body.len = 0;
        put_bytes(&body, 1, hdr.data, hdr.len);
        put_bytes(&body, 2, "node-a-1", 8);
        if (origin && strcmp(origin, "node-a") == 0) {
            /* control: the same bytes with a valid origin open */
            CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_OK);
            if (m) {
                CHECK_STR(m->body.header.origin, "node-a");
                CHECK(m->body.header.seq == 5);
                CHECK_STR(m->body.u.incident.id, "node-a-1");
            }
            cf_message_free(m);
        } else {
            CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_E_MALFORMED);
            CHECK(m == NULL);
        }
        cf_buf_clear(&hdr);
    }

    /* a prev_hash of the wrong length in a hand-built header */
    {
        static const uint8_t h31[31] = {1};
        cf_buf hdr;
        cf_message *m = NULL;

        cf_buf_init(&hdr);
        put_bytes(&hdr, 1, FED, strlen(FED));
        put_bytes(&hdr, 2, "node-a", 6);
        put_bytes(&hdr, 4, h31, sizeof(h31));
        body.len = 0;
        put_bytes(&body, 1, hdr.data, hdr.len);
        CHECK_ST(open_bytes(CF_MSG_INCIDENT, body.data, body.len, NULL, &m), CF_E_MALFORMED);
        cf_buf_clear(&hdr);
    }
    cf_buf_clear(&body);
}

/*
 * cf_member_cert holds its keys in fixed 32-byte arrays, so cf_body_encode
 * cannot produce a key of another length. The wrong length is made on the
 * wire instead: a second occurrence of a bytes field replaces the first
 * (protobuf's last-one-wins rule), which a 32-byte control confirms.
 */
static void
key_case(cf_msg_type type, uint32_t field, const char *what)
{
    int failures = check_failures;
    static const size_t bad_lens[] = {0, 1, 31, 33, 64};
    uint8_t key[64];
    cf_buf body;
    cf_body b;
    size_t base;
    cf_message *m = NULL;

    memset(key, 0x77, sizeof(key));
    cf_buf_init(&body);
    make_sample(type, &b);
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    base = body.len;

    put_bytes(&body, field, key, 32);
    CHECK_ST(open_bytes(type, body.data, body.len, NULL, &m), CF_OK);
    if (m) {
        const uint8_t *got = NULL;
        switch (type) {
        case CF_MSG_MEMBER_CERT:
            got = field == 5   ? m->body.u.cert.identity_key
                  : field == 6 ? m->body.u.cert.transport_key
                  : field == 7 ? m->body.u.cert.encryption_key
                               : m->body.u.cert.issuer_key;
            break;
        case CF_MSG_ACK:
            got = m->body.u.ack.message_id;
            break;
        case CF_MSG_REVOCATION:
            got = m->body.u.revocation.key;
            break;
        case CF_MSG_CATCHUP_BATCH:
            got = m->body.u.catchup_batch.request;
            break;
        default:
            break;
        }
        CHECK(got && memcmp(got, key, 32) == 0);
        cf_message_free(m);
        m = NULL;
    }
    for (size_t i = 0; i < CF_ARRAY_LEN(bad_lens); i++) {
        body.len = base;
        put_bytes(&body, field, key, bad_lens[i]);
        CHECK_ST(open_bytes(type, body.data, body.len, NULL, &m), CF_E_MALFORMED);
        CHECK(m == NULL);
    }
    cf_buf_clear(&body);
    if (check_failures != failures)
        fprintf(stderr, "  (in the key case \"%s\")\n", what);
}

/* A receipt for several messages: the ids come back in order; only a
 * receipt may carry more than one; each is 32 bytes; their number is limited. */
static void
test_batch_receipt(void)
{
    uint8_t more[3 * CF_ID_LEN];
    cf_buf body;
    cf_body b;
    cf_message *m = NULL;
    cf_limits lim = cf_limits_default();

    for (size_t i = 0; i < sizeof(more); i++)
        more[i] = (uint8_t)(i * 7);
    make_sample(CF_MSG_ACK, &b);
    b.u.ack.state = 1;
    b.u.ack.more_ids = more;
    b.u.ack.n_more = 3;
    cf_buf_init(&body);
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    CHECK_ST(open_bytes(CF_MSG_ACK, body.data, body.len, NULL, &m), CF_OK);
    if (m) {
        check_ack(&m->body.u.ack, &b.u.ack);
        CHECK(cf_ack_count(&m->body.u.ack) == 4);
        CHECK(memcmp(cf_ack_id(&m->body.u.ack, 0), b.u.ack.message_id, CF_ID_LEN) == 0);
        CHECK(memcmp(cf_ack_id(&m->body.u.ack, 3), more + 2 * CF_ID_LEN, CF_ID_LEN) == 0);
    }
    cf_message_free(m);
    m = NULL;

    /* more ids than a repeated field may hold */
    lim.max_repeated = 2;
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, &lim, &body), CF_E_LIMIT);
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    CHECK_ST(open_bytes(CF_MSG_ACK, body.data, body.len, &lim, &m), CF_E_LIMIT);
    CHECK(m == NULL);

    /* an operator's acknowledgement is for one message */
    b.u.ack.state = 2;
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_MALFORMED);
    b.u.ack.n_more = 0;
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    put_bytes(&body, 8, more, CF_ID_LEN);
    CHECK_ST(open_bytes(CF_MSG_ACK, body.data, body.len, NULL, &m), CF_E_MALFORMED);
    CHECK(m == NULL);

    /* a receipt's further id of the wrong length */
    static const size_t bad_lens[] = {0, 31, 33};
    b.u.ack.state = 1;
    for (size_t i = 0; i < CF_ARRAY_LEN(bad_lens); i++) {
        body.len = 0;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        put_bytes(&body, 8, more, CF_ID_LEN);
        put_bytes(&body, 8, more, bad_lens[i]);
        CHECK_ST(open_bytes(CF_MSG_ACK, body.data, body.len, NULL, &m), CF_E_MALFORMED);
        CHECK(m == NULL);
    }
    cf_buf_clear(&body);
}

static void
test_key_lengths(void)
{
    key_case(CF_MSG_MEMBER_CERT, 5, "cert identity_key");
    key_case(CF_MSG_MEMBER_CERT, 6, "cert transport_key");
    key_case(CF_MSG_MEMBER_CERT, 7, "cert encryption_key");
    key_case(CF_MSG_MEMBER_CERT, 11, "cert issuer_key");
    key_case(CF_MSG_ACK, 2, "ack message_id");
    key_case(CF_MSG_REVOCATION, 2, "revocation key");
    key_case(CF_MSG_CATCHUP_BATCH, 2, "catch-up batch request");

    /* a catch-up mark whose head is 31 bytes: an extra mark on the wire */
    {
        static const uint8_t h31[31] = {9};
        cf_buf body, mark;
        cf_body b;
        cf_message *m = NULL;
        size_t base;

        cf_buf_init(&body);
        cf_buf_init(&mark);
        make_sample(CF_MSG_CATCHUP_REQUEST, &b);
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        base = body.len;
        put_bytes(&mark, 1, "node-q", 6);
        put_uint(&mark, 2, 9);
        put_bytes(&mark, 3, h31, 31);
        put_bytes(&body, 2, mark.data, mark.len);
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_REQUEST, body.data, body.len, NULL, &m), CF_E_MALFORMED);
        CHECK(m == NULL);
        /* control: the same mark without the head is a fourth, valid mark */
        mark.len = 0;
        put_bytes(&mark, 1, "node-q", 6);
        put_uint(&mark, 2, 9);
        body.len = base;
        put_bytes(&body, 2, mark.data, mark.len);
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_REQUEST, body.data, body.len, NULL, &m), CF_OK);
        if (m) {
            CHECK(m->body.u.catchup_request.n_marks == 4);
            if (m->body.u.catchup_request.n_marks == 4) {
                CHECK_STR(m->body.u.catchup_request.marks[3].origin, "node-q");
                CHECK(!m->body.u.catchup_request.marks[3].has_head);
            }
        }
        cf_message_free(m);
        m = NULL;
        /* a trust digest is 32 bytes or absent (the last field on the wire wins) */
        body.len = base;
        put_bytes(&body, 5, h31, 31);
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_REQUEST, body.data, body.len, NULL, &m), CF_E_MALFORMED);
        CHECK(m == NULL);
        body.len = base;
        put_bytes(&body, 5, h31, 0);
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_REQUEST, body.data, body.len, NULL, &m), CF_OK);
        if (m)
            CHECK(!m->body.u.catchup_request.has_trust_digest);
        cf_message_free(m);
        m = NULL;
        body.len = base;
        CHECK_ST(open_bytes(CF_MSG_CATCHUP_REQUEST, body.data, body.len, NULL, &m), CF_OK);
        if (m) {
            CHECK(m->body.u.catchup_request.has_trust_digest);
            CHECK(m->body.u.catchup_request.trust_digest[0] == 200);
        }
        cf_message_free(m);
        cf_buf_clear(&mark);
        cf_buf_clear(&body);
    }

    /* a cert whose node, parent or role is invalid on the wire (spliced as above) */
    {
        static const struct {
            uint32_t field;
            bool is_uint;
            const char *text;
            uint64_t value;
            cf_status want;
        } cases[] = {
            {2, false, "energy-cert-2", 0, CF_OK}, /* control */
            {2, false, "Energy Cert", 0, CF_E_MALFORMED},
            {2, false, "", 0, CF_E_MALFORMED},
            {4, false, "ncert-2", 0, CF_OK}, /* control */
            {4, false, "", 0, CF_OK},        /* the apex has no parent */
            {4, false, "N_CERT", 0, CF_E_MALFORMED},
            {3, true, NULL, CF_ROLE_CONSTITUENT, CF_OK}, /* control */
            {3, true, NULL, 0, CF_E_MALFORMED},
            {3, true, NULL, CF_ROLE_MAX + 1, CF_E_MALFORMED},
        };
        cf_buf body;
        cf_body b;
        size_t base;

        cf_buf_init(&body);
        make_sample(CF_MSG_MEMBER_CERT, &b);
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
        base = body.len;
        for (size_t i = 0; i < CF_ARRAY_LEN(cases); i++) {
            cf_message *m = NULL;

            body.len = base;
            if (cases[i].is_uint)
                put_uint(&body, cases[i].field, cases[i].value);
            else
                put_bytes(&body, cases[i].field, cases[i].text, strlen(cases[i].text));
            CHECK_ST(open_bytes(CF_MSG_MEMBER_CERT, body.data, body.len, NULL, &m), cases[i].want);
            if (m && cases[i].field == 2)
                CHECK_STR(m->body.u.cert.node, cases[i].text);
            if (m && cases[i].field == 4)
                CHECK_STR(m->body.u.cert.parent, cases[i].text);
            if (m && cases[i].field == 3)
                CHECK((uint64_t)m->body.u.cert.role == cases[i].value);
            if (cases[i].want != CF_OK)
                CHECK(m == NULL);
            cf_message_free(m);
        }
        cf_buf_clear(&body);
    }

    /* the encoder refuses a cert it could not sign for: bad node, parent, role */
    {
        cf_buf body;
        cf_body b;

        cf_buf_init(&body);
        make_sample(CF_MSG_MEMBER_CERT, &b);
        b.u.cert.node = "Energy";
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
        make_sample(CF_MSG_MEMBER_CERT, &b);
        b.u.cert.parent = "N CERT";
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
        make_sample(CF_MSG_MEMBER_CERT, &b);
        b.u.cert.role = CF_ROLE_NONE;
        CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
        CHECK(body.len == 0);
        cf_buf_clear(&body);
    }
}

/* A body of 200,000 tiny sub-messages must not make the decoder allocate
 * twenty times its size (review finding M2): the decode budget refuses it,
 * while the same shape at a sane size decodes. */
static cf_status
decode_marks(size_t count, size_t *out_marks)
{
    static const uint8_t mark[] = {0x12, 0x03, 0x0a, 0x01, 'a'}; /* marks { origin: "a" } */
    cf_limits lim = cf_limits_default();
    cf_body b;
    cf_buf body;
    cf_envelope env;
    cf_message *m = NULL;
    cf_status st;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_CATCHUP_REQUEST;
    b.header.federation = "pk";
    b.header.origin = "punjab";
    cf_buf_init(&body);
    st = cf_body_encode(&b, NULL, &body);
    for (size_t i = 0; st == CF_OK && i < count; i++)
        st = cf_buf_append(&body, mark, sizeof(mark));
    if (st != CF_OK) {
        cf_buf_clear(&body);
        return st;
    }
    lim.max_repeated = SIZE_MAX; /* only the budget may stop it */
    memset(&env, 0, sizeof(env));
    env.type = CF_MSG_CATCHUP_REQUEST;
    env.body = body.data;
    env.body_len = body.len;
    st = cf_message_decode(&env, &lim, &m);
    *out_marks = m ? m->body.u.catchup_request.n_marks : 0;
    cf_message_free(m);
    cf_buf_clear(&body);
    return st;
}

static void
test_decode_budget(void)
{
    size_t got = 0;

    CHECK_ST(decode_marks(100, &got), CF_OK);
    CHECK(got == 100);
    CHECK_ST(decode_marks(200 * 1000, &got), CF_E_MALFORMED);
}

/* A sealed body's parts have fixed sizes, and only incidents are sealed. */
static void
test_sealed_rules(void)
{
    cf_buf body;
    cf_body b;
    cf_message *m = NULL;
    size_t base;
    uint8_t junk[100];

    memset(junk, 0x55, sizeof(junk));
    cf_buf_init(&body);
    make_sample(CF_MSG_SEALED, &b);
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_OK);
    base = body.len;
    CHECK_ST(open_bytes(CF_MSG_SEALED, body.data, body.len, NULL, &m), CF_OK);
    cf_message_free(m);
    m = NULL;
    /* a nonce of another length (last one wins) */
    put_bytes(&body, 4, junk, CF_SEAL_NONCE_LEN - 1);
    CHECK_ST(open_bytes(CF_MSG_SEALED, body.data, body.len, NULL, &m), CF_E_MALFORMED);
    /* a ciphertext too short to hold its MAC */
    body.len = base;
    put_bytes(&body, 5, junk, CF_SEAL_MAC_LEN - 1);
    CHECK_ST(open_bytes(CF_MSG_SEALED, body.data, body.len, NULL, &m), CF_E_MALFORMED);
    /* another inner type (field 2, varint) */
    body.len = base;
    put_varint(&body, 2 << 3);
    put_varint(&body, CF_MSG_DIRECTIVE);
    CHECK_ST(open_bytes(CF_MSG_SEALED, body.data, body.len, NULL, &m), CF_E_MALFORMED);
    /* a recipient whose wrapped key is not 80 bytes */
    cf_buf r;
    cf_buf_init(&r);
    put_bytes(&r, 1, "ncert", 5);
    put_bytes(&r, 2, junk, CF_SEAL_WRAPPED_LEN - 1);
    body.len = base;
    put_bytes(&body, 3, r.data, r.len);
    CHECK_ST(open_bytes(CF_MSG_SEALED, body.data, body.len, NULL, &m), CF_E_MALFORMED);
    CHECK(m == NULL);
    cf_buf_clear(&r);
    /* encoding refuses what decoding would */
    b.u.sealed.inner_type = CF_MSG_TASKING;
    body.len = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
    b.u.sealed.inner_type = CF_MSG_INCIDENT;
    b.u.sealed.n_recipients = 0;
    CHECK_ST(cf_body_encode(&b, NULL, &body), CF_E_INVALID_ARG);
    cf_buf_clear(&body);
}

int
main(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    if (crypto_sign_keypair(pk, sk) != 0) {
        fprintf(stderr, "crypto_sign_keypair failed\n");
        return 1;
    }
    init_samples();

    test_round_trips();
    test_repeated_limits();
    test_text_limits();
    test_encode_implies_decode();
    test_header_origin();
    test_peek_key();
    test_envelope_peek();
    test_peek_incident();
    test_key_lengths();
    test_batch_receipt();
    test_decode_budget();
    test_sealed_rules();
    return check_done("test_proto_body");
}
