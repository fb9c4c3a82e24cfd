/*
 * envelope.c - sealing and verifying signed envelopes (DESIGN.md section 3).
 *
 * The signature covers "certfed/v1" 0x00 || type (u32 BE) || len(body)
 * (u64 BE) || body. Verification runs over the bytes as received: nothing is
 * re-serialized, and the body is not parsed here. The size limit is checked
 * before the first byte is decoded.
 */
#include "proto/proto.h"
#include "proto_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [CF_MSG_INCIDENT] = "incident",
    [CF_MSG_TASKING] = "tasking",
    [CF_MSG_TASK_STATUS] = "taskstatus",
    [CF_MSG_DIRECTIVE] = "directive",
    [CF_MSG_ACK] = "ack",
    [CF_MSG_MEMBER_CERT] = "cert",
    [CF_MSG_REVOCATION] = "revocation",
    [CF_MSG_CATCHUP_REQUEST] = "catchup",
    [CF_MSG_CATCHUP_BATCH] = "catchupbatch",
    [CF_MSG_SEALED] = "sealed",
};

const char *
cf_msg_type_name(int type)
{
    if (type < 1 || type > CF_MSG_TYPE_MAX)
        return NULL;
    return type_names[type];
}

static const char *const role_names[] = {
    [CF_ROLE_ROOT] = "root",
    [CF_ROLE_COUNCIL] = "council",
    [CF_ROLE_NCERT] = "ncert",
    [CF_ROLE_SECTORAL] = "sectoral",
    [CF_ROLE_PROVINCIAL] = "provincial",
    [CF_ROLE_CONSTITUENT] = "constituent",
};

const char *
cf_role_name(int role)
{
    if (role < 1 || role > CF_ROLE_MAX)
        return NULL;
    return role_names[role];
}

cf_role
cf_role_parse(const char *name)
{
    for (int r = 1; name && r <= CF_ROLE_MAX; r++)
        if (strcmp(name, role_names[r]) == 0)
            return (cf_role)r;
    return CF_ROLE_NONE;
}

cf_limits
cf_limits_default(void)
{
    cf_limits lim = {
        .max_envelope = CF_DEFAULT_MAX_ENVELOPE,
        .max_repeated = CF_DEFAULT_MAX_REPEATED,
        .max_text = CF_DEFAULT_MAX_TEXT,
    };
    return lim;
}

/* The fixed-width prefix that precedes the body in the signed bytes. */
#define PREFIX_LEN (CF_SIGN_DOMAIN_LEN + 4 + 8)

static void
signed_prefix(cf_msg_type type, size_t body_len, uint8_t out[PREFIX_LEN])
{
    uint8_t *p = out + CF_SIGN_DOMAIN_LEN;
    uint64_t n = body_len;

    memcpy(out, CF_SIGN_DOMAIN, CF_SIGN_DOMAIN_LEN); /* includes the 0x00 */
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)((uint32_t)type >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        p[4 + i] = (uint8_t)(n >> (56 - 8 * i));
}

/* The signed bytes in one malloc'ed buffer, as Ed25519 needs them whole. */
static uint8_t *
signed_bytes(cf_msg_type type, const uint8_t *body, size_t body_len, size_t *out_len)
{
    uint8_t *m = malloc(PREFIX_LEN + body_len);

    if (!m)
        return NULL;
    signed_prefix(type, body_len, m);
    if (body_len)
        memcpy(m + PREFIX_LEN, body, body_len);
    *out_len = PREFIX_LEN + body_len;
    return m;
}

void
cf_message_id(cf_msg_type type, const uint8_t *body, size_t body_len, uint8_t out[CF_ID_LEN])
{
    crypto_generichash_state st;
    uint8_t prefix[PREFIX_LEN];

    signed_prefix(type, body_len, prefix);
    crypto_generichash_init(&st, NULL, 0, CF_ID_LEN);
    crypto_generichash_update(&st, prefix, sizeof(prefix));
    crypto_generichash_update(&st, body, body_len);
    crypto_generichash_final(&st, out, CF_ID_LEN);
}

cf_status
cf_envelope_seal(cf_msg_type type, const uint8_t *body, size_t body_len,
                 const uint8_t sk[CF_SK_LEN], cf_buf *out)
{
    Certfed__Envelope env = CERTFED__ENVELOPE__INIT;
    uint8_t sig[CF_SIG_LEN];
    size_t mlen = 0;
    uint8_t *m;
    cf_status st;

    if (!cf_msg_type_name((int)type) || (!body && body_len))
        return CF_E_INVALID_ARG;
    m = signed_bytes(type, body, body_len, &mlen);
    if (!m)
        return CF_E_NOMEM;
    if (crypto_sign_detached(sig, NULL, m, mlen, sk) != 0) {
        free(m);
        return CF_E_CRYPTO;
    }
    free(m);
    env.type = (Certfed__MsgType)type;
    env.body.data = (uint8_t *)body;
    env.body.len = body_len;
    env.signer.data = (uint8_t *)sk + 32; /* libsodium keeps the public key there */
    env.signer.len = CF_PK_LEN;
    env.signature.data = sig;
    env.signature.len = CF_SIG_LEN;
    size_t n = certfed__envelope__get_packed_size(&env);
    st = cf_buf_reserve(out, n);
    if (st != CF_OK)
        return st;
    certfed__envelope__pack(&env, out->data + out->len);
    out->len += n;
    return CF_OK;
}

cf_status
cf_sig_verify(const uint8_t pk[CF_PK_LEN], const uint8_t *msg, size_t msg_len, const uint8_t *sig,
              size_t sig_len)
{
    /* A longer signature is never cut down to 64 bytes: trailing bytes would
     * make one signature many (Wycheproof's SignatureWithGarbage). */
    if (!sig || sig_len != CF_SIG_LEN)
        return CF_E_MALFORMED;
    if (!msg && msg_len)
        return CF_E_MALFORMED;
    /* libsodium 1.0.18 refuses a non-canonical S, a small-order R and a
     * non-canonical or small-order key before it computes anything, and
     * compares R byte for byte with a canonical encoding. */
    if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
        return CF_E_BAD_SIGNATURE;
    return CF_OK;
}

cf_status
cf_envelope_verify(const uint8_t *wire, size_t len, const cf_limits *lim, cf_envelope *out)
{
    cf_limits def = cf_limits_default();
    Certfed__Envelope *env;
    cf_status st;
    uint8_t *m = NULL;
    size_t mlen = 0;

    if (!lim)
        lim = &def;
    if (len > lim->max_envelope)
        return CF_E_OVERSIZE;
    if (!wire || len == 0)
        return CF_E_MALFORMED;
    env = certfed__envelope__unpack(NULL, len, wire);
    if (!env)
        return CF_E_MALFORMED;
    /* The envelope is our frame: nothing we do not know may ride in it. */
    if (env->base.n_unknown_fields != 0) {
        st = CF_E_MALFORMED;
        goto out;
    }
    if (env->signer.len == 0 || env->signature.len == 0) {
        st = CF_E_UNSIGNED;
        goto out;
    }
    if (env->signer.len != CF_PK_LEN || env->signature.len != CF_SIG_LEN) {
        st = CF_E_MALFORMED;
        goto out;
    }
    if (!cf_msg_type_name((int)env->type)) {
        st = CF_E_WRONG_TYPE;
        goto out;
    }
    m = signed_bytes((cf_msg_type)env->type, env->body.data, env->body.len, &mlen);
    if (!m) {
        st = CF_E_NOMEM;
        goto out;
    }
    st = cf_sig_verify(env->signer.data, m, mlen, env->signature.data, env->signature.len);
    if (st != CF_OK)
        goto out;
    memset(out, 0, sizeof(*out));
    out->type = (cf_msg_type)env->type;
    out->body = env->body.data;
    out->body_len = env->body.len;
    memcpy(out->signer, env->signer.data, CF_PK_LEN);
    crypto_generichash(out->id, CF_ID_LEN, m, mlen, NULL, 0);
    out->priv = env;
    env = NULL;
    st = CF_OK;
out:
    free(m);
    if (env)
        certfed__envelope__free_unpacked(env, NULL);
    return st;
}

cf_status
cf_envelope_parse_stored(const uint8_t *wire, size_t len, cf_envelope *out)
{
    Certfed__Envelope *env = certfed__envelope__unpack(NULL, len, wire);

    if (!env)
        return CF_E_MALFORMED;
    if (!cf_msg_type_name((int)env->type) || env->signer.len != CF_PK_LEN) {
        certfed__envelope__free_unpacked(env, NULL);
        return CF_E_MALFORMED;
    }
    memset(out, 0, sizeof(*out));
    out->type = (cf_msg_type)env->type;
    out->body = env->body.data;
    out->body_len = env->body.len;
    memcpy(out->signer, env->signer.data, CF_PK_LEN);
    cf_message_id(out->type, out->body, out->body_len, out->id);
    out->priv = env;
    return CF_OK;
}

void
cf_envelope_clear(cf_envelope *e)
{
    if (!e)
        return;
    if (e->priv)
        certfed__envelope__free_unpacked(e->priv, NULL);
    memset(e, 0, sizeof(*e));
}

cf_status
cf_header_check(const cf_header *h, const char *federation, int64_t now_ms)
{
    if (!h->origin || !h->origin[0] || !h->federation)
        return CF_E_MALFORMED;
    if (federation && strcmp(h->federation, federation) != 0)
        return CF_E_WRONG_FEDERATION;
    if (h->expires_ms != 0 && now_ms >= h->expires_ms)
        return CF_E_EXPIRED;
    return CF_OK;
}

cf_status
cf_envelope_open(const uint8_t *wire, size_t len, const cf_limits *lim, int expected_type,
                 const char *federation, int64_t now_ms, cf_message **out)
{
    cf_envelope env;
    cf_message *m = NULL;
    cf_status st = cf_envelope_verify(wire, len, lim, &env);

    if (st != CF_OK)
        return st;
    if (expected_type != 0 && (int)env.type != expected_type) {
        cf_envelope_clear(&env);
        return CF_E_WRONG_TYPE;
    }
    st = cf_message_decode(&env, lim, &m);
    if (st != CF_OK) {
        cf_envelope_clear(&env);
        return st;
    }
    st = cf_header_check(&m->body.header, federation, now_ms);
    if (st != CF_OK) {
        cf_message_free(m);
        return st;
    }
    *out = m;
    return CF_OK;
}
