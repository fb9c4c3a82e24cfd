/*
 * body.c - message bodies: between the generated protobuf-c structs and the
 * plain cf_body structs of proto.h, with the limits a peer may not exceed.
 *
 * Decoding keeps the unpacked protobuf-c message alive inside the cf_message,
 * and the cf_body points into it. Encoding builds protobuf-c structs on the
 * stack and heap that borrow the caller's strings, packs them, and frees only
 * what it allocated.
 */
#include "proto/proto.h"
#include "proto_private.h"

#include <stdlib.h>
#include <string.h>

/* Identifiers and labels are short; only free text may use max_text. */
#define SHORT_TEXT 256

/*
 * protobuf-c allocates a whole body before we can count its repeated fields,
 * and a hostile signer can pack a million empty sub-messages into a 1 MiB
 * body. Decoding therefore draws from a budget proportional to the input;
 * past it the unpack fails as malformed instead of using ~50x the input.
 */
#define DECODE_BUDGET(len) (16 * (len) + 64 * 1024)

typedef struct message_priv {
    ProtobufCMessage *pb;
    void *arrays[2]; /* plain arrays built from repeated sub-messages */
    size_t budget;   /* bytes the decoder may still allocate */
    ProtobufCAllocator alloc;
} message_priv;

static void *
budget_alloc(void *data, size_t size)
{
    message_priv *priv = data;

    if (size > priv->budget)
        return NULL;
    priv->budget -= size;
    return malloc(size);
}

static void
budget_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* ---- limits ------------------------------------------------------------ */

static bool
text_ok(const char *s, size_t max)
{
    return !s || strnlen(s, max + 1) <= max;
}

static bool
strv_ok(char *const *v, size_t n, const cf_limits *lim, size_t max_len)
{
    if (n > lim->max_repeated)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!text_ok(v[i], max_len))
            return false;
    return true;
}

static bool
plain_strv_ok(cf_strv v, const cf_limits *lim, size_t max_len)
{
    return strv_ok((char *const *)v.v, v.n, lim, max_len);
}

static size_t
short_max(const cf_limits *lim)
{
    return lim->max_text < SHORT_TEXT ? lim->max_text : SHORT_TEXT;
}

/* ---- decoding ------------------------------------------------------------ */

static cf_strv
strv_from(char **v, size_t n)
{
    cf_strv s = {(const char *const *)v, n};
    return s;
}

static bool
copy_key(const ProtobufCBinaryData *b, uint8_t out[32], bool required)
{
    if (b->len == 0 && !required)
        return true;
    if (b->len != 32)
        return false;
    memcpy(out, b->data, 32);
    return true;
}

static cf_status
header_from(const Certfed__Header *h, const cf_limits *lim, cf_header *out)
{
    if (!h)
        return CF_E_MALFORMED;
    if (!text_ok(h->federation, short_max(lim)) || !cf_id_valid(h->origin))
        return CF_E_MALFORMED;
    out->federation = h->federation;
    out->origin = h->origin;
    out->seq = h->seq;
    out->has_prev_hash = h->prev_hash.len != 0;
    if (!copy_key(&h->prev_hash, out->prev_hash, false))
        return CF_E_MALFORMED;
    out->created_ms = h->created_ms;
    out->expires_ms = h->expires_ms;
    if (h->audience) {
        const Certfed__Audience *a = h->audience;
        if (!strv_ok(a->nodes, a->n_nodes, lim, SHORT_TEXT) ||
            !strv_ok(a->subtrees, a->n_subtrees, lim, SHORT_TEXT) ||
            !strv_ok(a->roles, a->n_roles, lim, SHORT_TEXT))
            return CF_E_LIMIT;
        out->audience.nodes = strv_from(a->nodes, a->n_nodes);
        out->audience.subtrees = strv_from(a->subtrees, a->n_subtrees);
        out->audience.roles = strv_from(a->roles, a->n_roles);
    }
    return CF_OK;
}

static cf_status
incident_from(const Certfed__Incident *p, const cf_limits *lim, message_priv *priv, cf_incident *o)
{
    size_t sm = short_max(lim), tm = lim->max_text;

    if (!text_ok(p->id, sm) || !text_ok(p->title, sm) || !text_ok(p->description, tm) ||
        !text_ok(p->rsit_class, sm) || !text_ok(p->rsit_type, sm) || !text_ok(p->owner, sm) ||
        !text_ok(p->analyst, sm) || !text_ok(p->sector, sm) || !text_ok(p->province, sm) ||
        !text_ok(p->constituent, sm) || !text_ok(p->duplicate_of, sm) ||
        !text_ok(p->supersedes, sm) || !text_ok(p->note, tm) || !text_ok(p->source, sm) ||
        !strv_ok(p->related, p->n_related, lim, sm) || p->n_observables > lim->max_repeated)
        return CF_E_LIMIT;
    if (p->confidence > 100 || (int)p->severity < 0 || (int)p->severity > 5)
        return CF_E_MALFORMED;
    o->id = p->id;
    o->revision = p->revision;
    o->title = p->title;
    o->description = p->description;
    o->rsit_class = p->rsit_class;
    o->rsit_type = p->rsit_type;
    o->severity = (int)p->severity;
    o->confidence = p->confidence;
    o->determination = (int)p->determination;
    o->tlp = (int)p->tlp;
    o->pap = (int)p->pap;
    o->status = (int)p->status;
    o->owner = p->owner;
    o->analyst = p->analyst;
    o->sector = p->sector;
    o->province = p->province;
    o->constituent = p->constituent;
    o->detected_ms = p->detected_ms;
    o->reported_ms = p->reported_ms;
    o->related = strv_from(p->related, p->n_related);
    o->duplicate_of = p->duplicate_of;
    o->supersedes = p->supersedes;
    o->note = p->note;
    o->source = p->source;
    if (p->n_observables) {
        cf_observable *obs = calloc(p->n_observables, sizeof(*obs));
        if (!obs)
            return CF_E_NOMEM;
        priv->arrays[0] = obs;
        for (size_t i = 0; i < p->n_observables; i++) {
            const Certfed__Observable *x = p->observables[i];
            if (!text_ok(x->type, sm) || !text_ok(x->value, tm))
                return CF_E_LIMIT;
            obs[i].type = x->type;
            obs[i].value = x->value;
            obs[i].to_block = x->to_block;
        }
        o->observables = obs;
        o->n_observables = p->n_observables;
    }
    return CF_OK;
}

static cf_status
tasking_from(const Certfed__Tasking *p, const cf_limits *lim, cf_tasking *o)
{
    size_t sm = short_max(lim);

    if (!text_ok(p->id, sm) || !text_ok(p->issuer, sm) ||
        !strv_ok(p->assignees, p->n_assignees, lim, sm) ||
        !text_ok(p->instructions, lim->max_text) || !text_ok(p->deliverable, lim->max_text) ||
        !text_ok(p->incident, sm))
        return CF_E_LIMIT;
    o->id = p->id;
    o->issuer = p->issuer;
    o->assignees = strv_from(p->assignees, p->n_assignees);
    o->kind = (int)p->kind;
    o->instructions = p->instructions;
    o->deliverable = p->deliverable;
    o->incident = p->incident;
    o->priority = p->priority;
    o->due_ms = p->due_ms;
    return CF_OK;
}

static cf_status
task_status_from(const Certfed__TaskStatus *p, const cf_limits *lim, cf_task_status *o)
{
    size_t sm = short_max(lim);

    if (!text_ok(p->task, sm) || !text_ok(p->assignee, sm) || !text_ok(p->reason, lim->max_text) ||
        !text_ok(p->result, lim->max_text))
        return CF_E_LIMIT;
    o->task = p->task;
    o->assignee = p->assignee;
    o->state = (int)p->state;
    o->reason = p->reason;
    o->result = p->result;
    return CF_OK;
}

static cf_status
directive_from(const Certfed__Directive *p, const cf_limits *lim, cf_directive *o)
{
    size_t sm = short_max(lim);

    if (!text_ok(p->number, sm) || !text_ok(p->title, sm) || !text_ok(p->summary, lim->max_text) ||
        !strv_ok(p->actions, p->n_actions, lim, lim->max_text) ||
        !strv_ok(p->sectors, p->n_sectors, lim, sm) ||
        !strv_ok(p->provinces, p->n_provinces, lim, sm) || p->n_roles > lim->max_repeated)
        return CF_E_LIMIT;
    o->number = p->number;
    o->version = p->version;
    o->kind = (int)p->kind;
    o->title = p->title;
    o->summary = p->summary;
    o->actions = strv_from(p->actions, p->n_actions);
    /* protobuf-c stores a repeated enum as an array of C enums (ints) */
    o->roles = (const int *)p->roles;
    o->n_roles = p->n_roles;
    o->sectors = strv_from(p->sectors, p->n_sectors);
    o->provinces = strv_from(p->provinces, p->n_provinces);
    o->severity = (int)p->severity;
    o->effective_ms = p->effective_ms;
    o->comply_by_ms = p->comply_by_ms;
    o->ack_required = p->ack_required;
    o->ack_by_ms = p->ack_by_ms;
    return CF_OK;
}

static cf_status
ack_from(const Certfed__Ack *p, const cf_limits *lim, message_priv *priv, cf_ack *o)
{
    if (!text_ok(p->node, short_max(lim)) || !text_ok(p->analyst, short_max(lim)) ||
        !text_ok(p->reason, lim->max_text))
        return CF_E_LIMIT;
    if (!copy_key(&p->message_id, o->message_id, true))
        return CF_E_MALFORMED;
    if (p->n_more_ids > lim->max_repeated)
        return CF_E_LIMIT;
    /* only a receipt stands for several messages */
    if (p->n_more_ids > 0 && p->state != CERTFED__ACK_STATE__ACK_RECEIVED)
        return CF_E_MALFORMED;
    if (p->n_more_ids > 0) {
        uint8_t *ids = malloc(p->n_more_ids * CF_ID_LEN);
        if (!ids)
            return CF_E_NOMEM;
        priv->arrays[0] = ids;
        for (size_t i = 0; i < p->n_more_ids; i++) {
            if (p->more_ids[i].len != CF_ID_LEN)
                return CF_E_MALFORMED;
            memcpy(ids + i * CF_ID_LEN, p->more_ids[i].data, CF_ID_LEN);
        }
        o->more_ids = ids;
        o->n_more = p->n_more_ids;
    }
    o->node = p->node;
    o->analyst = p->analyst;
    o->state = (int)p->state;
    o->reason = p->reason;
    o->at_ms = p->at_ms;
    return CF_OK;
}

static cf_status
cert_from(const Certfed__MemberCert *p, const cf_limits *lim, cf_member_cert *o)
{
    (void)lim;
    if (!cf_id_valid(p->node) || (p->parent[0] && !cf_id_valid(p->parent)))
        return CF_E_MALFORMED;
    if (!cf_role_name((int)p->role))
        return CF_E_MALFORMED;
    if (!copy_key(&p->identity_key, o->identity_key, true) ||
        !copy_key(&p->transport_key, o->transport_key, true) ||
        !copy_key(&p->encryption_key, o->encryption_key, true) ||
        !copy_key(&p->issuer_key, o->issuer_key, true))
        return CF_E_MALFORMED;
    o->node = p->node;
    o->role = (cf_role)p->role;
    o->parent = p->parent;
    o->serial = p->serial;
    o->not_before_ms = p->not_before_ms;
    o->not_after_ms = p->not_after_ms;
    return CF_OK;
}

static cf_status
revocation_from(const Certfed__Revocation *p, const cf_limits *lim, cf_revocation *o)
{
    if (!cf_id_valid(p->node))
        return CF_E_MALFORMED;
    if (!text_ok(p->reason, lim->max_text))
        return CF_E_LIMIT;
    if (!copy_key(&p->key, o->key, true))
        return CF_E_MALFORMED;
    o->node = p->node;
    o->serial = p->serial;
    o->last_good_seq = p->last_good_seq;
    o->reason = p->reason;
    o->revoked_ms = p->revoked_ms;
    return CF_OK;
}

/* Plain copies of repeated HighWaterMarks, kept in priv->arrays[slot]. */
static cf_status
marks_from(Certfed__HighWaterMark *const *pm, size_t n, const cf_limits *lim, message_priv *priv,
           int slot, const cf_high_water_mark **out, size_t *out_n)
{
    cf_high_water_mark *marks;

    if (n > lim->max_repeated)
        return CF_E_LIMIT;
    if (!n)
        return CF_OK;
    marks = calloc(n, sizeof(*marks));
    if (!marks)
        return CF_E_NOMEM;
    priv->arrays[slot] = marks;
    for (size_t i = 0; i < n; i++) {
        const Certfed__HighWaterMark *x = pm[i];
        if (!cf_id_valid(x->origin))
            return CF_E_MALFORMED;
        marks[i].origin = x->origin;
        marks[i].seq = x->seq;
        marks[i].has_head = x->head.len != 0;
        if (!copy_key(&x->head, marks[i].head, false))
            return CF_E_MALFORMED;
    }
    *out = marks;
    *out_n = n;
    return CF_OK;
}

static cf_status
catchup_request_from(const Certfed__CatchupRequest *p, const cf_limits *lim, message_priv *priv,
                     cf_catchup_request *o)
{
    o->max_batch = p->max_batch;
    o->own_only = p->own_only;
    o->has_trust_digest = p->trust_digest.len != 0;
    if (!copy_key(&p->trust_digest, o->trust_digest, false))
        return CF_E_MALFORMED;
    return marks_from(p->marks, p->n_marks, lim, priv, 0, &o->marks, &o->n_marks);
}

static cf_status
catchup_batch_from(const Certfed__CatchupBatch *p, const cf_limits *lim, message_priv *priv,
                   cf_catchup_batch *o)
{
    cf_bytes *envs;

    if (p->n_envelopes > lim->max_repeated)
        return CF_E_LIMIT;
    if (!copy_key(&p->request, o->request, true))
        return CF_E_MALFORMED;
    o->more = p->more;
    cf_status st = marks_from(p->scanned, p->n_scanned, lim, priv, 1, &o->scanned, &o->n_scanned);
    if (st != CF_OK)
        return st;
    if (!p->n_envelopes)
        return CF_OK;
    envs = calloc(p->n_envelopes, sizeof(*envs));
    if (!envs)
        return CF_E_NOMEM;
    priv->arrays[0] = envs;
    for (size_t i = 0; i < p->n_envelopes; i++) {
        envs[i].data = p->envelopes[i].data;
        envs[i].len = p->envelopes[i].len;
    }
    o->envelopes = envs;
    o->n_envelopes = p->n_envelopes;
    return CF_OK;
}

static cf_status
sealed_from(const Certfed__Sealed *p, const cf_limits *lim, message_priv *priv, cf_sealed *o)
{
    cf_sealed_recipient *rs;

    /* only bodies that carry a TLP label are sealed: incidents */
    if (p->inner_type != CERTFED__MSG_TYPE__MSG_INCIDENT)
        return CF_E_MALFORMED;
    if (p->n_recipients > lim->max_repeated)
        return CF_E_LIMIT;
    if (p->n_recipients == 0 || p->nonce.len != CF_SEAL_NONCE_LEN ||
        p->ciphertext.len < CF_SEAL_MAC_LEN)
        return CF_E_MALFORMED;
    rs = calloc(p->n_recipients, sizeof(*rs));
    if (!rs)
        return CF_E_NOMEM;
    priv->arrays[0] = rs;
    for (size_t i = 0; i < p->n_recipients; i++) {
        const Certfed__SealedRecipient *r = p->recipients[i];
        if (!cf_id_valid(r->node) || r->wrapped_key.len != CF_SEAL_WRAPPED_LEN)
            return CF_E_MALFORMED;
        rs[i].node = r->node;
        memcpy(rs[i].wrapped_key, r->wrapped_key.data, CF_SEAL_WRAPPED_LEN);
    }
    o->inner_type = (cf_msg_type)p->inner_type;
    o->recipients = rs;
    o->n_recipients = p->n_recipients;
    memcpy(o->nonce, p->nonce.data, CF_SEAL_NONCE_LEN);
    o->ciphertext = p->ciphertext.data;
    o->ciphertext_len = p->ciphertext.len;
    return CF_OK;
}

static const ProtobufCMessageDescriptor *
descriptor_of(cf_msg_type type)
{
    switch (type) {
    case CF_MSG_INCIDENT:
        return &certfed__incident__descriptor;
    case CF_MSG_TASKING:
        return &certfed__tasking__descriptor;
    case CF_MSG_TASK_STATUS:
        return &certfed__task_status__descriptor;
    case CF_MSG_DIRECTIVE:
        return &certfed__directive__descriptor;
    case CF_MSG_ACK:
        return &certfed__ack__descriptor;
    case CF_MSG_MEMBER_CERT:
        return &certfed__member_cert__descriptor;
    case CF_MSG_REVOCATION:
        return &certfed__revocation__descriptor;
    case CF_MSG_CATCHUP_REQUEST:
        return &certfed__catchup_request__descriptor;
    case CF_MSG_CATCHUP_BATCH:
        return &certfed__catchup_batch__descriptor;
    case CF_MSG_SEALED:
        return &certfed__sealed__descriptor;
    }
    return NULL;
}

static void
priv_free(message_priv *priv)
{
    if (!priv)
        return;
    if (priv->pb)
        protobuf_c_message_free_unpacked(priv->pb, &priv->alloc);
    for (size_t i = 0; i < CF_ARRAY_LEN(priv->arrays); i++)
        free(priv->arrays[i]);
    free(priv);
}

/* Every body message has its Header as field 1; find it through the
 * descriptor rather than assuming a struct layout. */
static Certfed__Header **
header_slot(const ProtobufCMessage *pb)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(pb->descriptor, 1);

    return (Certfed__Header **)((char *)pb + f->offset);
}

static cf_status
body_from(cf_msg_type type, const ProtobufCMessage *pb, const cf_limits *lim, message_priv *priv,
          cf_body *out)
{
    cf_status st = header_from(*header_slot(pb), lim, &out->header);

    if (st != CF_OK)
        return st;
    out->type = type;
    switch (type) {
    case CF_MSG_INCIDENT:
        return incident_from((const Certfed__Incident *)pb, lim, priv, &out->u.incident);
    case CF_MSG_TASKING:
        return tasking_from((const Certfed__Tasking *)pb, lim, &out->u.tasking);
    case CF_MSG_TASK_STATUS:
        return task_status_from((const Certfed__TaskStatus *)pb, lim, &out->u.task_status);
    case CF_MSG_DIRECTIVE:
        return directive_from((const Certfed__Directive *)pb, lim, &out->u.directive);
    case CF_MSG_ACK:
        return ack_from((const Certfed__Ack *)pb, lim, priv, &out->u.ack);
    case CF_MSG_MEMBER_CERT:
        return cert_from((const Certfed__MemberCert *)pb, lim, &out->u.cert);
    case CF_MSG_REVOCATION:
        return revocation_from((const Certfed__Revocation *)pb, lim, &out->u.revocation);
    case CF_MSG_CATCHUP_REQUEST:
        return catchup_request_from((const Certfed__CatchupRequest *)pb, lim, priv,
                                    &out->u.catchup_request);
    case CF_MSG_CATCHUP_BATCH:
        return catchup_batch_from((const Certfed__CatchupBatch *)pb, lim, priv,
                                  &out->u.catchup_batch);
    case CF_MSG_SEALED:
        return sealed_from((const Certfed__Sealed *)pb, lim, priv, &out->u.sealed);
    }
    return CF_E_WRONG_TYPE;
}

cf_status
cf_message_decode(cf_envelope *env, const cf_limits *lim, cf_message **out)
{
    cf_limits def = cf_limits_default();
    const ProtobufCMessageDescriptor *desc = descriptor_of(env->type);
    message_priv *priv;
    cf_message *m;
    cf_status st;

    if (!lim)
        lim = &def;
    if (!desc)
        return CF_E_WRONG_TYPE;
    priv = calloc(1, sizeof(*priv));
    m = calloc(1, sizeof(*m));
    if (!priv || !m) {
        free(priv);
        free(m);
        return CF_E_NOMEM;
    }
    priv->budget = DECODE_BUDGET(env->body_len);
    priv->alloc.alloc = budget_alloc;
    priv->alloc.free = budget_free;
    priv->alloc.allocator_data = priv;
    priv->pb = protobuf_c_message_unpack(desc, &priv->alloc, env->body_len, env->body);
    if (!priv->pb) {
        st = CF_E_MALFORMED;
        goto fail;
    }
    st = body_from(env->type, priv->pb, lim, priv, &m->body);
    if (st != CF_OK)
        goto fail;
    m->env = *env;
    memset(env, 0, sizeof(*env));
    m->priv = priv;
    *out = m;
    return CF_OK;
fail:
    priv_free(priv);
    free(m);
    return st;
}

void
cf_message_free(cf_message *m)
{
    if (!m)
        return;
    priv_free(m->priv);
    cf_envelope_clear(&m->env);
    free(m);
}

/* ---- encoding ------------------------------------------------------------ */

/* protobuf-c wants non-const pointers even to data it only reads */
#define S(x) ((char *)((x) ? (x) : ""))
#define STRV(list) ((char **)(list).v)

static ProtobufCBinaryData
bin(const uint8_t *p, size_t n)
{
    ProtobufCBinaryData b = {n, (uint8_t *)p};
    return b;
}

static cf_status
header_plain_check(const cf_header *h, const cf_limits *lim)
{
    if (!cf_id_valid(h->origin))
        return CF_E_INVALID_ARG;
    if (!text_ok(h->federation, short_max(lim)) ||
        !plain_strv_ok(h->audience.nodes, lim, SHORT_TEXT) ||
        !plain_strv_ok(h->audience.subtrees, lim, SHORT_TEXT) ||
        !plain_strv_ok(h->audience.roles, lim, SHORT_TEXT))
        return CF_E_LIMIT;
    return CF_OK;
}

/*
 * Packs pb (whose field 1 must be left NULL for the header) after pointing
 * it at a Header built from plain h.
 */
static cf_status
pack_with_header(ProtobufCMessage *pb, const cf_header *h, cf_buf *out)
{
    Certfed__Header hdr = CERTFED__HEADER__INIT;
    Certfed__Audience aud = CERTFED__AUDIENCE__INIT;
    cf_status st;

    hdr.federation = S(h->federation);
    hdr.origin = S(h->origin);
    hdr.seq = h->seq;
    if (h->has_prev_hash)
        hdr.prev_hash = bin(h->prev_hash, CF_ID_LEN);
    hdr.created_ms = h->created_ms;
    hdr.expires_ms = h->expires_ms;
    if (h->audience.nodes.n || h->audience.subtrees.n || h->audience.roles.n) {
        aud.nodes = STRV(h->audience.nodes);
        aud.n_nodes = h->audience.nodes.n;
        aud.subtrees = STRV(h->audience.subtrees);
        aud.n_subtrees = h->audience.subtrees.n;
        aud.roles = STRV(h->audience.roles);
        aud.n_roles = h->audience.roles.n;
        hdr.audience = &aud;
    }
    *header_slot(pb) = &hdr;
    size_t n = protobuf_c_message_get_packed_size(pb);
    st = cf_buf_reserve(out, n);
    if (st == CF_OK) {
        protobuf_c_message_pack(pb, out->data + out->len);
        out->len += n;
    }
    *header_slot(pb) = NULL;
    return st;
}

static cf_status
encode_incident(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_incident *i = &b->u.incident;
    Certfed__Incident p = CERTFED__INCIDENT__INIT;
    Certfed__Observable *obs = NULL, **obsp = NULL;
    size_t sm = short_max(lim), tm = lim->max_text;
    cf_status st;

    if (!text_ok(i->id, sm) || !text_ok(i->title, sm) || !text_ok(i->description, tm) ||
        !text_ok(i->owner, sm) || !text_ok(i->analyst, sm) || !text_ok(i->note, tm) ||
        !text_ok(i->sector, sm) || !text_ok(i->province, sm) || !text_ok(i->constituent, sm) ||
        !text_ok(i->rsit_class, sm) || !text_ok(i->rsit_type, sm) ||
        !text_ok(i->duplicate_of, sm) || !text_ok(i->supersedes, sm) || !text_ok(i->source, sm) ||
        !plain_strv_ok(i->related, lim, sm) || i->n_observables > lim->max_repeated)
        return CF_E_LIMIT;
    /* the same value rules a receiver applies (incident_from) */
    if (i->confidence > 100 || i->severity < 0 || i->severity > 5)
        return CF_E_INVALID_ARG;
    if (i->n_observables) {
        obs = calloc(i->n_observables, sizeof(*obs));
        obsp = calloc(i->n_observables, sizeof(*obsp));
        if (!obs || !obsp) {
            st = CF_E_NOMEM;
            goto out;
        }
        for (size_t k = 0; k < i->n_observables; k++) {
            if (!text_ok(i->observables[k].type, sm) || !text_ok(i->observables[k].value, tm)) {
                st = CF_E_LIMIT;
                goto out;
            }
            certfed__observable__init(&obs[k]);
            obs[k].type = S(i->observables[k].type);
            obs[k].value = S(i->observables[k].value);
            obs[k].to_block = i->observables[k].to_block;
            obsp[k] = &obs[k];
        }
    }
    p.id = S(i->id);
    p.revision = i->revision;
    p.title = S(i->title);
    p.description = S(i->description);
    p.rsit_class = S(i->rsit_class);
    p.rsit_type = S(i->rsit_type);
    p.severity = (Certfed__Severity)i->severity;
    p.confidence = i->confidence;
    p.determination = (Certfed__Determination)i->determination;
    p.tlp = (Certfed__Tlp)i->tlp;
    p.pap = (Certfed__Pap)i->pap;
    p.status = (Certfed__IncidentStatus)i->status;
    p.owner = S(i->owner);
    p.analyst = S(i->analyst);
    p.sector = S(i->sector);
    p.province = S(i->province);
    p.constituent = S(i->constituent);
    p.detected_ms = i->detected_ms;
    p.reported_ms = i->reported_ms;
    p.observables = obsp;
    p.n_observables = i->n_observables;
    p.related = STRV(i->related);
    p.n_related = i->related.n;
    p.duplicate_of = S(i->duplicate_of);
    p.supersedes = S(i->supersedes);
    p.note = S(i->note);
    p.source = S(i->source);
    st = pack_with_header(&p.base, &b->header, out);
out:
    free(obs);
    free(obsp);
    return st;
}

static cf_status
encode_tasking(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_tasking *t = &b->u.tasking;
    Certfed__Tasking p = CERTFED__TASKING__INIT;
    size_t sm = short_max(lim);

    if (!text_ok(t->id, sm) || !text_ok(t->issuer, sm) || !plain_strv_ok(t->assignees, lim, sm) ||
        !text_ok(t->instructions, lim->max_text) || !text_ok(t->deliverable, lim->max_text) ||
        !text_ok(t->incident, sm))
        return CF_E_LIMIT;
    p.id = S(t->id);
    p.issuer = S(t->issuer);
    p.assignees = STRV(t->assignees);
    p.n_assignees = t->assignees.n;
    p.kind = (Certfed__TaskKind)t->kind;
    p.instructions = S(t->instructions);
    p.deliverable = S(t->deliverable);
    p.incident = S(t->incident);
    p.priority = t->priority;
    p.due_ms = t->due_ms;
    return pack_with_header(&p.base, &b->header, out);
}

static cf_status
encode_task_status(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_task_status *t = &b->u.task_status;
    Certfed__TaskStatus p = CERTFED__TASK_STATUS__INIT;

    if (!text_ok(t->task, short_max(lim)) || !text_ok(t->assignee, short_max(lim)) ||
        !text_ok(t->reason, lim->max_text) || !text_ok(t->result, lim->max_text))
        return CF_E_LIMIT;
    p.task = S(t->task);
    p.assignee = S(t->assignee);
    p.state = (Certfed__TaskState)t->state;
    p.reason = S(t->reason);
    p.result = S(t->result);
    return pack_with_header(&p.base, &b->header, out);
}

static cf_status
encode_directive(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_directive *d = &b->u.directive;
    Certfed__Directive p = CERTFED__DIRECTIVE__INIT;
    size_t sm = short_max(lim);

    if (!text_ok(d->number, sm) || !text_ok(d->title, sm) || !text_ok(d->summary, lim->max_text) ||
        !plain_strv_ok(d->actions, lim, lim->max_text) || !plain_strv_ok(d->sectors, lim, sm) ||
        !plain_strv_ok(d->provinces, lim, sm) || d->n_roles > lim->max_repeated)
        return CF_E_LIMIT;
    p.number = S(d->number);
    p.version = d->version;
    p.kind = (Certfed__DirectiveKind)d->kind;
    p.title = S(d->title);
    p.summary = S(d->summary);
    p.actions = STRV(d->actions);
    p.n_actions = d->actions.n;
    p.roles = (Certfed__Role *)d->roles;
    p.n_roles = d->n_roles;
    p.sectors = STRV(d->sectors);
    p.n_sectors = d->sectors.n;
    p.provinces = STRV(d->provinces);
    p.n_provinces = d->provinces.n;
    p.severity = (Certfed__Severity)d->severity;
    p.effective_ms = d->effective_ms;
    p.comply_by_ms = d->comply_by_ms;
    p.ack_required = d->ack_required;
    p.ack_by_ms = d->ack_by_ms;
    return pack_with_header(&p.base, &b->header, out);
}

static cf_status
encode_ack(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_ack *a = &b->u.ack;
    Certfed__Ack p = CERTFED__ACK__INIT;

    if (!text_ok(a->node, short_max(lim)) || !text_ok(a->analyst, short_max(lim)) ||
        !text_ok(a->reason, lim->max_text))
        return CF_E_LIMIT;
    p.message_id = bin(a->message_id, CF_ID_LEN);
    p.node = S(a->node);
    p.analyst = S(a->analyst);
    p.state = (Certfed__AckState)a->state;
    p.reason = S(a->reason);
    p.at_ms = a->at_ms;
    if (a->n_more == 0)
        return pack_with_header(&p.base, &b->header, out);
    if (a->n_more > lim->max_repeated)
        return CF_E_LIMIT;
    if (a->state != 1)
        return CF_E_MALFORMED;
    ProtobufCBinaryData *more = calloc(a->n_more, sizeof(*more));
    if (!more)
        return CF_E_NOMEM;
    for (size_t i = 0; i < a->n_more; i++)
        more[i] = bin(a->more_ids + i * CF_ID_LEN, CF_ID_LEN);
    p.n_more_ids = a->n_more;
    p.more_ids = more;
    cf_status st = pack_with_header(&p.base, &b->header, out);
    free(more);
    return st;
}

static cf_status
encode_cert(const cf_body *b, cf_buf *out)
{
    const cf_member_cert *c = &b->u.cert;
    Certfed__MemberCert p = CERTFED__MEMBER_CERT__INIT;

    if (!cf_id_valid(c->node) || (c->parent && c->parent[0] && !cf_id_valid(c->parent)) ||
        !cf_role_name((int)c->role))
        return CF_E_INVALID_ARG;
    p.node = S(c->node);
    p.role = (Certfed__Role)c->role;
    p.parent = S(c->parent);
    p.identity_key = bin(c->identity_key, CF_PK_LEN);
    p.transport_key = bin(c->transport_key, CF_PK_LEN);
    p.encryption_key = bin(c->encryption_key, CF_PK_LEN);
    p.serial = c->serial;
    p.not_before_ms = c->not_before_ms;
    p.not_after_ms = c->not_after_ms;
    p.issuer_key = bin(c->issuer_key, CF_PK_LEN);
    return pack_with_header(&p.base, &b->header, out);
}

static cf_status
encode_revocation(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_revocation *r = &b->u.revocation;
    Certfed__Revocation p = CERTFED__REVOCATION__INIT;

    if (!cf_id_valid(r->node))
        return CF_E_INVALID_ARG;
    if (!text_ok(r->reason, lim->max_text))
        return CF_E_LIMIT;
    p.key = bin(r->key, CF_PK_LEN);
    p.node = S(r->node);
    p.serial = r->serial;
    p.last_good_seq = r->last_good_seq;
    p.reason = S(r->reason);
    p.revoked_ms = r->revoked_ms;
    return pack_with_header(&p.base, &b->header, out);
}

/* Protobuf views of plain marks; free *marks and *markp after packing. */
static cf_status
marks_to(const cf_high_water_mark *src, size_t n, const cf_limits *lim,
         Certfed__HighWaterMark **marks, Certfed__HighWaterMark ***markp)
{
    *marks = NULL;
    *markp = NULL;
    if (n > lim->max_repeated)
        return CF_E_LIMIT;
    if (!n)
        return CF_OK;
    *marks = calloc(n, sizeof(**marks));
    *markp = calloc(n, sizeof(**markp));
    if (!*marks || !*markp)
        return CF_E_NOMEM;
    for (size_t k = 0; k < n; k++) {
        if (!cf_id_valid(src[k].origin))
            return CF_E_INVALID_ARG;
        certfed__high_water_mark__init(&(*marks)[k]);
        (*marks)[k].origin = S(src[k].origin);
        (*marks)[k].seq = src[k].seq;
        if (src[k].has_head)
            (*marks)[k].head = bin(src[k].head, CF_ID_LEN);
        (*markp)[k] = &(*marks)[k];
    }
    return CF_OK;
}

static cf_status
encode_catchup_request(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_catchup_request *r = &b->u.catchup_request;
    Certfed__CatchupRequest p = CERTFED__CATCHUP_REQUEST__INIT;
    Certfed__HighWaterMark *marks, **markp;
    cf_status st = marks_to(r->marks, r->n_marks, lim, &marks, &markp);

    if (st == CF_OK) {
        p.marks = markp;
        p.n_marks = r->n_marks;
        p.max_batch = r->max_batch;
        p.own_only = r->own_only;
        if (r->has_trust_digest)
            p.trust_digest = bin(r->trust_digest, CF_ID_LEN);
        st = pack_with_header(&p.base, &b->header, out);
    }
    free(marks);
    free(markp);
    return st;
}

static cf_status
encode_catchup_batch(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_catchup_batch *c = &b->u.catchup_batch;
    Certfed__CatchupBatch p = CERTFED__CATCHUP_BATCH__INIT;
    ProtobufCBinaryData *envs = NULL;
    Certfed__HighWaterMark *marks, **markp;
    cf_status st;

    if (c->n_envelopes > lim->max_repeated)
        return CF_E_LIMIT;
    st = marks_to(c->scanned, c->n_scanned, lim, &marks, &markp);
    if (st == CF_OK && c->n_envelopes && !(envs = calloc(c->n_envelopes, sizeof(*envs))))
        st = CF_E_NOMEM;
    if (st == CF_OK) {
        for (size_t k = 0; k < c->n_envelopes; k++)
            envs[k] = bin(c->envelopes[k].data, c->envelopes[k].len);
        p.request = bin(c->request, CF_ID_LEN);
        p.envelopes = envs;
        p.n_envelopes = c->n_envelopes;
        p.more = c->more;
        p.scanned = markp;
        p.n_scanned = c->n_scanned;
        st = pack_with_header(&p.base, &b->header, out);
    }
    free(envs);
    free(marks);
    free(markp);
    return st;
}

static cf_status
encode_sealed(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    const cf_sealed *c = &b->u.sealed;
    Certfed__Sealed p = CERTFED__SEALED__INIT;
    Certfed__SealedRecipient *rs = NULL, **rp = NULL;
    cf_status st = CF_OK;

    if (c->inner_type != CF_MSG_INCIDENT || c->n_recipients == 0 || !c->ciphertext ||
        c->ciphertext_len < CF_SEAL_MAC_LEN)
        return CF_E_INVALID_ARG;
    if (c->n_recipients > lim->max_repeated)
        return CF_E_LIMIT;
    rs = calloc(c->n_recipients, sizeof(*rs));
    rp = calloc(c->n_recipients, sizeof(*rp));
    if (!rs || !rp)
        st = CF_E_NOMEM;
    for (size_t i = 0; st == CF_OK && i < c->n_recipients; i++) {
        if (!cf_id_valid(c->recipients[i].node)) {
            st = CF_E_INVALID_ARG;
            break;
        }
        certfed__sealed_recipient__init(&rs[i]);
        rs[i].node = S(c->recipients[i].node);
        rs[i].wrapped_key = bin(c->recipients[i].wrapped_key, CF_SEAL_WRAPPED_LEN);
        rp[i] = &rs[i];
    }
    if (st == CF_OK) {
        p.inner_type = (Certfed__MsgType)c->inner_type;
        p.recipients = rp;
        p.n_recipients = c->n_recipients;
        p.nonce = bin(c->nonce, CF_SEAL_NONCE_LEN);
        p.ciphertext = bin(c->ciphertext, c->ciphertext_len);
        st = pack_with_header(&p.base, &b->header, out);
    }
    free(rs);
    free(rp);
    return st;
}

cf_status
cf_body_encode(const cf_body *b, const cf_limits *lim, cf_buf *out)
{
    cf_limits def = cf_limits_default();

    if (!lim)
        lim = &def;
    cf_status st = header_plain_check(&b->header, lim);

    if (st != CF_OK)
        return st;
    switch (b->type) {
    case CF_MSG_INCIDENT:
        return encode_incident(b, lim, out);
    case CF_MSG_TASKING:
        return encode_tasking(b, lim, out);
    case CF_MSG_TASK_STATUS:
        return encode_task_status(b, lim, out);
    case CF_MSG_DIRECTIVE:
        return encode_directive(b, lim, out);
    case CF_MSG_ACK:
        return encode_ack(b, lim, out);
    case CF_MSG_MEMBER_CERT:
        return encode_cert(b, out);
    case CF_MSG_REVOCATION:
        return encode_revocation(b, lim, out);
    case CF_MSG_CATCHUP_REQUEST:
        return encode_catchup_request(b, lim, out);
    case CF_MSG_CATCHUP_BATCH:
        return encode_catchup_batch(b, lim, out);
    case CF_MSG_SEALED:
        return encode_sealed(b, lim, out);
    }
    return CF_E_INVALID_ARG;
}

/* ---- peeking at a body's header ------------------------------------------------- */

/* A protobuf varint at *p (10 bytes at most), or false. */
static bool
peek_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Step over a field's value of wire type wt, or false. */
static bool
peek_skip(const uint8_t **p, const uint8_t *end, uint64_t wt)
{
    uint64_t n;

    switch (wt) {
    case 0: /* varint */
        return peek_varint(p, end, &n);
    case 1: /* 64-bit */
        n = 8;
        break;
    case 2: /* length-delimited */
        if (!peek_varint(p, end, &n))
            return false;
        break;
    case 5: /* 32-bit */
        n = 4;
        break;
    default:
        return false;
    }
    if (n > (uint64_t)(end - *p))
        return false;
    *p += n;
    return true;
}

/* Every body type has its Header as field 1; Header has origin as field 2
 * and seq as field 3. */
#define TAG_HEADER ((1u << 3) | 2u)
#define TAG_ORIGIN ((2u << 3) | 2u)
#define TAG_SEQ ((3u << 3) | 0u)

cf_status
cf_body_peek_key(const uint8_t *body, size_t len, char origin[CF_NODE_ID_MAX + 1], uint64_t *seq)
{
    const uint8_t *p = body, *end = body + len;
    uint64_t tag, n;

    origin[0] = 0;
    *seq = 0;
    while (p < end) {
        if (!peek_varint(&p, end, &tag))
            return CF_E_MALFORMED;
        if (tag != TAG_HEADER) {
            if (!peek_skip(&p, end, tag & 7))
                return CF_E_MALFORMED;
            continue;
        }
        if (!peek_varint(&p, end, &n) || n > (uint64_t)(end - p))
            return CF_E_MALFORMED;
        const uint8_t *h = p, *hend = p + n;
        p = hend;
        while (h < hend) {
            if (!peek_varint(&h, hend, &tag))
                return CF_E_MALFORMED;
            if (tag == TAG_ORIGIN) {
                if (!peek_varint(&h, hend, &n) || n > (uint64_t)(hend - h) || n > CF_NODE_ID_MAX)
                    return CF_E_MALFORMED;
                memcpy(origin, h, (size_t)n);
                origin[n] = 0;
                h += n;
            } else if (tag == TAG_SEQ) {
                if (!peek_varint(&h, hend, seq))
                    return CF_E_MALFORMED;
            } else if (!peek_skip(&h, hend, tag & 7)) {
                return CF_E_MALFORMED;
            }
        }
    }
    return origin[0] ? CF_OK : CF_E_MALFORMED;
}

/* An Envelope has its type as field 1, its body as field 2 and its signer
 * as field 3. */
#define TAG_ENV_TYPE ((1u << 3) | 0u)
#define TAG_ENV_BODY ((2u << 3) | 2u)
#define TAG_ENV_SIGNER ((3u << 3) | 2u)

cf_status
cf_envelope_peek(const uint8_t *wire, size_t len, cf_envelope_view *out)
{
    const uint8_t *p = wire, *end = wire + len;
    uint64_t tag, v;
    bool typed = false;

    memset(out, 0, sizeof(*out));
    while (p < end) {
        if (!peek_varint(&p, end, &tag))
            return CF_E_MALFORMED;
        if (tag == TAG_ENV_TYPE) {
            if (!peek_varint(&p, end, &v))
                return CF_E_MALFORMED;
            /* protobuf-c reads an enum as the low 32 bits, signed */
            out->type = (cf_msg_type)(int32_t)(uint32_t)v;
            typed = true;
        } else if (tag == TAG_ENV_BODY || tag == TAG_ENV_SIGNER) {
            if (!peek_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return CF_E_MALFORMED;
            if (tag == TAG_ENV_BODY) {
                out->body = p;
                out->body_len = (size_t)v;
            } else {
                out->signer = v == CF_PK_LEN ? p : NULL;
            }
            p += v;
        } else if (!peek_skip(&p, end, tag & 7)) {
            return CF_E_MALFORMED;
        }
    }
    return typed && cf_msg_type_name((int)out->type) ? CF_OK : CF_E_MALFORMED;
}

/* An Incident has its id as field 2 and its severity as field 8. */
#define TAG_INCIDENT_ID ((2u << 3) | 2u)
#define TAG_SEVERITY ((8u << 3) | 0u)

cf_status
cf_body_peek_incident(const uint8_t *body, size_t len, char *id, size_t id_size, int *severity)
{
    const uint8_t *p = body, *end = body + len;
    uint64_t tag, v;

    if (!id_size)
        return CF_E_INVALID_ARG;
    id[0] = 0;
    *severity = 0;
    while (p < end) {
        if (!peek_varint(&p, end, &tag))
            return CF_E_MALFORMED;
        if (tag == TAG_INCIDENT_ID) {
            if (!peek_varint(&p, end, &v) || v > (uint64_t)(end - p) || v >= id_size)
                return CF_E_MALFORMED;
            memcpy(id, p, (size_t)v);
            id[v] = 0;
            p += v;
        } else if (tag == TAG_SEVERITY) {
            if (!peek_varint(&p, end, &v))
                return CF_E_MALFORMED;
            *severity = (int)(int32_t)(uint32_t)v;
        } else if (!peek_skip(&p, end, tag & 7)) {
            return CF_E_MALFORMED;
        }
    }
    return *severity >= 0 && *severity <= 5 ? CF_OK : CF_E_MALFORMED;
}
