/*
 * cert.c - member certificates and revocations: issuing, parsing, and the
 * rule of which role may certify which.
 *
 * A certificate is an Envelope of type CF_MSG_MEMBER_CERT signed by the
 * issuer's identity key, whose MemberCert names that key as issuer_key. The
 * root is self-signed. Certificates and offline revocations are stand-alone
 * documents: Header.seq is 0 and Header.origin is the issuer's node id.
 */
#include "keys_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool
cf_role_may_certify(cf_role issuer, cf_role subject)
{
    switch (issuer) {
    case CF_ROLE_ROOT:
        /* the Council's root certifies the Council's node, NCERT, and (for
         * rotation) a new root */
        return subject == CF_ROLE_COUNCIL || subject == CF_ROLE_NCERT || subject == CF_ROLE_ROOT;
    case CF_ROLE_NCERT:
        return subject == CF_ROLE_SECTORAL || subject == CF_ROLE_PROVINCIAL;
    case CF_ROLE_SECTORAL:
    case CF_ROLE_PROVINCIAL:
        return subject == CF_ROLE_CONSTITUENT;
    case CF_ROLE_COUNCIL:
    case CF_ROLE_CONSTITUENT:
    case CF_ROLE_NONE:
        return false;
    }
    return false;
}

bool
cf_cert_relation_ok(const cf_member_cert *issuer, const cf_member_cert *subject)
{
    if (!cf_role_may_certify(issuer->role, subject->role))
        return false;
    if (subject->role == CF_ROLE_ROOT)
        return strcmp(subject->node, issuer->node) == 0 && !subject->parent[0];
    if (subject->role == CF_ROLE_COUNCIL)
        return strcmp(subject->node, issuer->node) == 0 && !subject->parent[0];
    return strcmp(subject->parent, issuer->node) == 0;
}

cf_status
cf_cert_parse(const uint8_t *wire, size_t len, cf_cert **out)
{
    cf_message *m = NULL;
    cf_cert *c;
    cf_status st = cf_envelope_open(wire, len, NULL, CF_MSG_MEMBER_CERT, NULL, 0, &m);

    if (st != CF_OK)
        return st;
    if (sodium_memcmp(m->env.signer, m->body.u.cert.issuer_key, CF_PK_LEN) != 0) {
        cf_message_free(m);
        return CF_E_BAD_SIGNATURE;
    }
    c = calloc(1, sizeof(*c));
    if (c)
        c->wire = malloc(len);
    if (!c || !c->wire) {
        free(c);
        cf_message_free(m);
        return CF_E_NOMEM;
    }
    memcpy(c->wire, wire, len);
    c->len = len;
    c->msg = m;
    c->body = &m->body.u.cert;
    c->federation = m->body.header.federation;
    *out = c;
    return CF_OK;
}

void
cf_cert_free(cf_cert *c)
{
    if (!c)
        return;
    cf_message_free(c->msg);
    free(c->wire);
    free(c);
}

/* Encode, sign and parse a body as a document of the given signer. */
static cf_status
seal_body(const cf_body *body, const cf_identity *signer, cf_buf *out)
{
    cf_buf bytes;
    cf_status st;

    cf_buf_init(&bytes);
    st = cf_body_encode(body, NULL, &bytes);
    if (st == CF_OK)
        st = cf_envelope_seal(body->type, bytes.data, bytes.len, signer->sign_sk, out);
    cf_buf_clear(&bytes);
    return st;
}

cf_status
cf_cert_issue(const cf_identity *issuer, const cf_cert *issuer_cert, const cf_cert_request *req,
              cf_cert **out)
{
    cf_body body;
    cf_member_cert *c = &body.u.cert;
    cf_buf wire;
    cf_status st;

    if (!cf_id_valid(req->node) || !cf_role_name((int)req->role) || !req->federation ||
        req->not_after_ms <= req->not_before_ms)
        return CF_E_INVALID_ARG;
    /* one key never serves both signing and the NATS login (DESIGN.md 2);
     * a root never logs in, so its transport key means nothing */
    if (req->role != CF_ROLE_ROOT &&
        sodium_memcmp(req->keys.identity, req->keys.transport, CF_PK_LEN) == 0)
        return CF_E_INVALID_ARG;
    memset(&body, 0, sizeof(body));
    body.type = CF_MSG_MEMBER_CERT;
    body.header.federation = req->federation;
    body.header.created_ms = cf_clock_now_ms();
    c->node = req->node;
    c->role = req->role;
    c->parent = req->parent ? req->parent : "";
    memcpy(c->identity_key, req->keys.identity, CF_PK_LEN);
    memcpy(c->transport_key, req->keys.transport, CF_PK_LEN);
    memcpy(c->encryption_key, req->keys.encryption, CF_PK_LEN);
    memcpy(c->issuer_key, issuer->sign_pk, CF_PK_LEN);
    randombytes_buf(&c->serial, sizeof(c->serial));
    c->not_before_ms = req->not_before_ms;
    c->not_after_ms = req->not_after_ms;
    if (!issuer_cert) {
        if (req->role != CF_ROLE_ROOT || c->parent[0] ||
            sodium_memcmp(req->keys.identity, issuer->sign_pk, CF_PK_LEN) != 0)
            return CF_E_INVALID_ARG;
        body.header.origin = req->node;
    } else {
        if (sodium_memcmp(issuer_cert->body->identity_key, issuer->sign_pk, CF_PK_LEN) != 0 ||
            strcmp(issuer_cert->federation, req->federation) != 0)
            return CF_E_INVALID_ARG;
        if (!cf_cert_relation_ok(issuer_cert->body, c))
            return CF_E_UNAUTHORIZED;
        body.header.origin = issuer_cert->body->node;
    }
    cf_buf_init(&wire);
    st = seal_body(&body, issuer, &wire);
    if (st == CF_OK)
        st = cf_cert_parse(wire.data, wire.len, out);
    cf_buf_clear(&wire);
    return st;
}

typedef struct load_ctx {
    cf_cert **v;
    size_t n;
} load_ctx;

static cf_status
load_one(const uint8_t *data, size_t len, void *arg)
{
    load_ctx *ctx = arg;
    cf_cert *c = NULL;
    cf_cert **v;
    cf_status st = cf_cert_parse(data, len, &c);

    if (st != CF_OK)
        return st;
    v = realloc(ctx->v, (ctx->n + 1) * sizeof(*v));
    if (!v) {
        cf_cert_free(c);
        return CF_E_NOMEM;
    }
    v[ctx->n++] = c;
    ctx->v = v;
    return CF_OK;
}

cf_status
cf_cert_load_file(const char *path, cf_cert ***out, size_t *out_n)
{
    load_ctx ctx = {NULL, 0};
    uint8_t *text;
    size_t len;
    cf_status st = cf_file_read(path, 16 * 1024 * 1024, &text, &len);

    if (st != CF_OK)
        return st;
    st = cf_armor_decode((const char *)text, CF_ARMOR_CERT, load_one, &ctx);
    free(text);
    if (st == CF_OK && ctx.n == 0)
        st = CF_E_NOT_FOUND;
    if (st != CF_OK) {
        cf_certv_free(ctx.v, ctx.n);
        return st;
    }
    *out = ctx.v;
    *out_n = ctx.n;
    return CF_OK;
}

void
cf_certv_free(cf_cert **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        cf_cert_free(v[i]);
    free(v);
}

cf_status
cf_revocation_issue(const cf_identity *issuer, const cf_cert *issuer_cert,
                    const cf_revoke_request *req, cf_buf *out)
{
    const cf_member_cert *s = req->subject->body;
    cf_body body;
    cf_revocation *r = &body.u.revocation;

    if (sodium_memcmp(issuer_cert->body->identity_key, issuer->sign_pk, CF_PK_LEN) != 0)
        return CF_E_INVALID_ARG;
    /* offline we can check the direct issuer and the root; receivers check
     * the whole ancestry against their trust store */
    if (sodium_memcmp(s->issuer_key, issuer->sign_pk, CF_PK_LEN) != 0 &&
        issuer_cert->body->role != CF_ROLE_ROOT)
        return CF_E_UNAUTHORIZED;
    memset(&body, 0, sizeof(body));
    body.type = CF_MSG_REVOCATION;
    body.header.federation = issuer_cert->federation;
    body.header.origin = issuer_cert->body->node;
    body.header.created_ms = req->now_ms;
    memcpy(r->key, s->identity_key, CF_PK_LEN);
    r->node = s->node;
    r->serial = s->serial;
    r->last_good_seq = req->last_good_seq;
    r->reason = req->reason ? req->reason : "";
    r->revoked_ms = req->now_ms;
    return seal_body(&body, issuer, out);
}
