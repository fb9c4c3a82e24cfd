/*
 * test_proto_envelope.c - proto/envelope.c: seal/verify round trips against the
 * signed-bytes contract (DESIGN.md 3); rejection reasons for flipped, truncated,
 * oversize, unsigned, re-typed and malformed envelopes; cf_envelope_open's checks.
 */
#include "check.h"
#include "proto/proto.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A fixed "now" keeps the tests independent of the clock. */
#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define FED "cf-test"

static uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN];

/* ---- small helpers --------------------------------------------------------- */

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

/* A length-delimited field (wire type 2). */
static void
put_bytes(cf_buf *b, uint32_t field, const void *p, size_t n)
{
    put_varint(b, ((uint64_t)field << 3) | 2);
    put_varint(b, n);
    if (n)
        app(b, p, n);
}

/* A varint field (wire type 0). */
static void
put_uint(cf_buf *b, uint32_t field, uint64_t v)
{
    put_varint(b, ((uint64_t)field << 3) | 0);
    put_varint(b, v);
}

/*
 * The bytes DESIGN.md section 3 says are signed, built here independently of
 * envelope.c: "certfed/v1" 0x00 || type (u32 BE) || len(body) (u64 BE) || body.
 */
static void
contract_bytes(uint32_t type, const uint8_t *body, size_t len, cf_buf *out)
{
    uint8_t hdr[11 + 4 + 8];

    memcpy(hdr, "certfed/v1", 11); /* the literal's NUL is the 0x00 separator */
    for (int i = 0; i < 4; i++)
        hdr[11 + i] = (uint8_t)(type >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        hdr[15 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    app(out, hdr, sizeof(hdr));
    if (len)
        app(out, body, len);
}

static void
contract_sign(uint32_t type, const uint8_t *body, size_t len, uint8_t sig[CF_SIG_LEN])
{
    cf_buf m;

    cf_buf_init(&m);
    contract_bytes(type, body, len, &m);
    if (crypto_sign_detached(sig, NULL, m.data, m.len, sk) != 0)
        abort();
    cf_buf_clear(&m);
}

/* An outer Envelope built by hand; a NULL pointer leaves its field out. */
typedef struct raw_env {
    bool has_type;
    uint64_t type;
    const uint8_t *body;
    size_t body_len;
    const uint8_t *signer;
    size_t signer_len;
    const uint8_t *sig;
    size_t sig_len;
} raw_env;

static void
raw_env_build(const raw_env *r, cf_buf *out)
{
    if (r->has_type)
        put_uint(out, 1, r->type);
    if (r->body)
        put_bytes(out, 2, r->body, r->body_len);
    if (r->signer)
        put_bytes(out, 3, r->signer, r->signer_len);
    if (r->sig)
        put_bytes(out, 4, r->sig, r->sig_len);
}

/* A real incident body from cf_body_encode. */
static void
make_body(const char *federation, int64_t expires_ms, cf_buf *out)
{
    cf_body b;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_INCIDENT;
    b.header.federation = federation;
    b.header.origin = "node-a";
    b.header.seq = 1;
    b.header.created_ms = NOW_MS - 1000;
    b.header.expires_ms = expires_ms;
    b.u.incident.id = "node-a-1";
    b.u.incident.revision = 1;
    b.u.incident.title = "Phishing wave against a ministry";
    b.u.incident.description = "Several mailboxes received credential phishing.";
    b.u.incident.severity = 3;
    b.u.incident.confidence = 80;
    b.u.incident.owner = "node-a";
    if (cf_body_encode(&b, NULL, out) != CF_OK) {
        fprintf(stderr, "cf_body_encode failed in a test helper\n");
        abort();
    }
}

static void
seal(cf_msg_type type, const uint8_t *body, size_t len, cf_buf *out)
{
    if (cf_envelope_seal(type, body, len, sk, out) != CF_OK) {
        fprintf(stderr, "cf_envelope_seal failed in a test helper\n");
        abort();
    }
}

/* Verify, and check that a failure left out untouched (proto.h's promise). */
static cf_status
verify_untouched(const uint8_t *wire, size_t len, const cf_limits *lim)
{
    cf_envelope env, pattern;
    cf_status st;

    memset(&pattern, 0xa5, sizeof(pattern));
    memcpy(&env, &pattern, sizeof(env));
    st = cf_envelope_verify(wire, len, lim, &env);
    if (st == CF_OK)
        cf_envelope_clear(&env);
    else
        CHECK(memcmp(&env, &pattern, sizeof(env)) == 0);
    return st;
}

/* ---- tests ------------------------------------------------------------------- */

static void
test_round_trip(void)
{
    cf_buf body, wire, m;
    cf_envelope env;
    uint8_t id[CF_ID_LEN], want_id[CF_ID_LEN];
    uint8_t *copy;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    cf_buf_init(&m);
    make_body(FED, 0, &body);

    /* seal appends: what was in the buffer stays in front */
    app(&wire, "xyz", 3);
    CHECK_ST(cf_envelope_seal(CF_MSG_INCIDENT, body.data, body.len, sk, &wire), CF_OK);
    CHECK(wire.len > 3 && memcmp(wire.data, "xyz", 3) == 0);

    /* verify from a private copy that is freed before the body is read: the
     * verified body must be owned by the envelope, not borrowed from wire */
    copy = malloc(wire.len - 3);
    if (!copy)
        abort();
    memcpy(copy, wire.data + 3, wire.len - 3);
    CHECK_ST(cf_envelope_verify(copy, wire.len - 3, NULL, &env), CF_OK);
    free(copy);

    CHECK(env.type == CF_MSG_INCIDENT);
    CHECK(env.body_len == body.len);
    CHECK(env.body && env.body_len == body.len && memcmp(env.body, body.data, body.len) == 0);
    CHECK(memcmp(env.signer, pk, CF_PK_LEN) == 0);
    cf_message_id(CF_MSG_INCIDENT, body.data, body.len, id);
    CHECK(memcmp(env.id, id, CF_ID_LEN) == 0);
    /* the id is BLAKE2b-256 of the signed bytes as the contract spells them */
    contract_bytes(CF_MSG_INCIDENT, body.data, body.len, &m);
    crypto_generichash(want_id, sizeof(want_id), m.data, m.len, NULL, 0);
    CHECK(memcmp(id, want_id, CF_ID_LEN) == 0);
    /* the id depends on the type */
    cf_message_id(CF_MSG_TASKING, body.data, body.len, id);
    CHECK(memcmp(id, want_id, CF_ID_LEN) != 0);
    cf_envelope_clear(&env);
    CHECK(env.body == NULL && env.priv == NULL);
    cf_envelope_clear(&env); /* twice is harmless */
    cf_envelope_clear(NULL);

    /* an envelope built by hand, signed over the contract's bytes, verifies:
     * envelope.c signs exactly what DESIGN.md says */
    {
        uint8_t sig[CF_SIG_LEN];
        raw_env r = {true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN};
        cf_buf hand;

        cf_buf_init(&hand);
        contract_sign(CF_MSG_INCIDENT, body.data, body.len, sig);
        raw_env_build(&r, &hand);
        CHECK_ST(cf_envelope_verify(hand.data, hand.len, NULL, &env), CF_OK);
        CHECK(env.type == CF_MSG_INCIDENT);
        CHECK(env.body_len == body.len && memcmp(env.body, body.data, body.len) == 0);
        CHECK(memcmp(env.id, want_id, CF_ID_LEN) == 0);
        cf_envelope_clear(&env);
        cf_buf_clear(&hand);
    }

    /* every type round-trips, and an empty body is a body like any other */
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        cf_buf w;

        cf_buf_init(&w);
        CHECK_ST(cf_envelope_seal((cf_msg_type)t, NULL, 0, sk, &w), CF_OK);
        CHECK_ST(cf_envelope_verify(w.data, w.len, NULL, &env), CF_OK);
        CHECK((int)env.type == t);
        CHECK(env.body_len == 0);
        cf_message_id((cf_msg_type)t, NULL, 0, id);
        CHECK(memcmp(env.id, id, CF_ID_LEN) == 0);
        cf_envelope_clear(&env);
        cf_buf_clear(&w);
    }

    /* seal refuses an unknown type and leaves out alone */
    {
        size_t before = wire.len;
        CHECK_ST(cf_envelope_seal((cf_msg_type)0, body.data, body.len, sk, &wire),
                 CF_E_INVALID_ARG);
        CHECK_ST(
            cf_envelope_seal((cf_msg_type)(CF_MSG_TYPE_MAX + 1), body.data, body.len, sk, &wire),
            CF_E_INVALID_ARG);
        CHECK(wire.len == before);
    }

    cf_buf_clear(&m);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_byte_flips(void)
{
    static const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    cf_buf body, wire;
    size_t accepted = 0, tried = 0;
    uint8_t *w;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    make_body(FED, 0, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);
    w = malloc(wire.len);
    if (!w)
        abort();

    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_OK);
    for (size_t pos = 0; pos < wire.len; pos++) {
        for (size_t k = 0; k < CF_ARRAY_LEN(masks); k++) {
            cf_status st;

            memcpy(w, wire.data, wire.len);
            w[pos] ^= masks[k];
            st = verify_untouched(w, wire.len, NULL);
            tried++;
            if (st == CF_OK) {
                accepted++;
                fprintf(stderr, "flip accepted: byte %zu of %zu xor 0x%02x\n", pos, wire.len,
                        masks[k]);
            }
            /* the same through cf_envelope_open */
            {
                cf_message *m = NULL;
                st = cf_envelope_open(w, wire.len, NULL, 0, FED, NOW_MS, &m);
                if (st == CF_OK) {
                    accepted++;
                    cf_message_free(m);
                }
            }
        }
    }
    CHECK(tried == wire.len * CF_ARRAY_LEN(masks));
    CHECK(accepted == 0);
    free(w);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_type_confusion(void)
{
    cf_buf body, wire;
    uint8_t sig[CF_SIG_LEN];
    cf_envelope env;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    make_body(FED, 0, &body);
    contract_sign(CF_MSG_INCIDENT, body.data, body.len, sig);

    /* control: the same fields under the signed type verify */
    {
        raw_env r = {true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN};
        raw_env_build(&r, &wire);
        CHECK_ST(cf_envelope_verify(wire.data, wire.len, NULL, &env), CF_OK);
        cf_envelope_clear(&env);
        wire.len = 0;
    }
    /* under any other known type, the incident's signature does not verify */
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        raw_env r = {true, (uint64_t)t, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN};

        if (t == CF_MSG_INCIDENT)
            continue;
        raw_env_build(&r, &wire);
        CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_BAD_SIGNATURE);
        wire.len = 0;
    }
    /* the type left out (0 on the wire) is not a type at all */
    {
        raw_env r = {false, 0, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN};
        raw_env_build(&r, &wire);
        CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_WRONG_TYPE);
        wire.len = 0;
    }
    /* a signature from another key does not verify either */
    {
        uint8_t pk2[CF_PK_LEN], sk2[CF_SK_LEN];
        raw_env r = {true, CF_MSG_INCIDENT, body.data, body.len, pk2, CF_PK_LEN, sig, CF_SIG_LEN};

        if (crypto_sign_keypair(pk2, sk2) != 0)
            abort();
        raw_env_build(&r, &wire);
        CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_BAD_SIGNATURE);
        wire.len = 0;
    }
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_oversize(void)
{
    cf_buf body, wire;
    cf_limits lim = cf_limits_default();
    cf_message *m = NULL;
    uint8_t *garbage;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    make_body(FED, 0, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);

    lim.max_envelope = wire.len;
    CHECK_ST(verify_untouched(wire.data, wire.len, &lim), CF_OK);
    lim.max_envelope = wire.len - 1;
    CHECK_ST(verify_untouched(wire.data, wire.len, &lim), CF_E_OVERSIZE);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, &lim, 0, FED, NOW_MS, &m), CF_E_OVERSIZE);
    CHECK(m == NULL);

    /* garbage: refused for its size before anyone tries to parse it */
    garbage = malloc(CF_DEFAULT_MAX_ENVELOPE + 1);
    if (!garbage)
        abort();
    memset(garbage, 0xff, CF_DEFAULT_MAX_ENVELOPE + 1);
    lim.max_envelope = 100;
    CHECK_ST(verify_untouched(garbage, 101, &lim), CF_E_OVERSIZE);
    CHECK_ST(verify_untouched(garbage, 100, &lim), CF_E_MALFORMED); /* control */
    CHECK_ST(verify_untouched(garbage, CF_DEFAULT_MAX_ENVELOPE + 1, NULL), CF_E_OVERSIZE);
    CHECK_ST(verify_untouched(garbage, CF_DEFAULT_MAX_ENVELOPE, NULL), CF_E_MALFORMED);
    free(garbage);

    /* a correctly sealed envelope over the default limit */
    {
        size_t n = CF_DEFAULT_MAX_ENVELOPE;
        uint8_t *big = calloc(1, n);
        cf_buf w;

        if (!big)
            abort();
        cf_buf_init(&w);
        seal(CF_MSG_INCIDENT, big, n, &w);
        CHECK(w.len > CF_DEFAULT_MAX_ENVELOPE);
        CHECK_ST(verify_untouched(w.data, w.len, NULL), CF_E_OVERSIZE);
        lim.max_envelope = w.len;
        CHECK_ST(verify_untouched(w.data, w.len, &lim), CF_OK);
        cf_buf_clear(&w);
        free(big);
    }
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_truncation(void)
{
    cf_buf body, wire;
    const uint8_t *at;
    size_t body_off, accepted = 0;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    make_body(FED, 0, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);

    for (size_t n = 0; n < wire.len; n++) {
        /* a fresh allocation of exactly n bytes, so ASan sees any over-read */
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
            abort();
        memcpy(p, wire.data, n);
        if (verify_untouched(p, n, NULL) == CF_OK) {
            accepted++;
            fprintf(stderr, "prefix of %zu of %zu bytes accepted\n", n, wire.len);
        }
        free(p);
    }
    CHECK(accepted == 0);
    CHECK_ST(verify_untouched(wire.data, 0, NULL), CF_E_MALFORMED);
    CHECK_ST(verify_untouched(NULL, 0, NULL), CF_E_MALFORMED);

    at = memmem(wire.data, wire.len, body.data, body.len);
    CHECK(at != NULL);
    if (at) {
        body_off = (size_t)(at - wire.data);
        /* cut in the middle of the body: the length-delimited field runs off the end */
        CHECK_ST(verify_untouched(wire.data, body_off + body.len / 2, NULL), CF_E_MALFORMED);
        CHECK_ST(verify_untouched(wire.data, body_off + body.len - 1, NULL), CF_E_MALFORMED);
        /* cut right after the body: no signer, no signature */
        CHECK_ST(verify_untouched(wire.data, body_off + body.len, NULL), CF_E_UNSIGNED);
    }
    /* cut inside the signature */
    CHECK_ST(verify_untouched(wire.data, wire.len - 1, NULL), CF_E_MALFORMED);
    CHECK_ST(verify_untouched(wire.data, wire.len - CF_SIG_LEN / 2, NULL), CF_E_MALFORMED);
    /* one stray byte appended is not a valid field */
    {
        cf_buf w;
        cf_buf_init(&w);
        app(&w, wire.data, wire.len);
        app(&w, "\0", 1);
        CHECK_ST(verify_untouched(w.data, w.len, NULL), CF_E_MALFORMED);
        cf_buf_clear(&w);
    }
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_signer_and_fields(void)
{
    cf_buf body, wire;
    uint8_t sig[CF_SIG_LEN], sig99[CF_SIG_LEN], longkey[CF_PK_LEN + 1];
    cf_envelope env;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    make_body(FED, 0, &body);
    contract_sign(CF_MSG_INCIDENT, body.data, body.len, sig);
    memcpy(longkey, pk, CF_PK_LEN);
    longkey[CF_PK_LEN] = 0;

#define RAW(...)                                                                                   \
    do {                                                                                           \
        raw_env r_ = {__VA_ARGS__};                                                                \
        wire.len = 0;                                                                              \
        raw_env_build(&r_, &wire);                                                                 \
    } while (0)

    /* no signature field, and a present but empty one */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, NULL, 0);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_UNSIGNED);
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, 0);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_UNSIGNED);
    /* no signer field, and a present but empty one */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, NULL, 0, sig, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_UNSIGNED);
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, 0, sig, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_UNSIGNED);
    /* neither */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, NULL, 0, NULL, 0);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_UNSIGNED);

    /* a signer of the wrong length */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN - 1, sig, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, longkey, CF_PK_LEN + 1, sig, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);
    /* a signature of the wrong length */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN - 1);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);

    /* control for what follows: the hand-built envelope is accepted */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_OK);

    /* an unknown type, although the signature over that type is good */
    contract_sign(99, body.data, body.len, sig99);
    RAW(true, 99, body.data, body.len, pk, CF_PK_LEN, sig99, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_WRONG_TYPE);
    contract_sign(CF_MSG_TYPE_MAX + 1, body.data, body.len, sig99);
    RAW(true, CF_MSG_TYPE_MAX + 1, body.data, body.len, pk, CF_PK_LEN, sig99, CF_SIG_LEN);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_WRONG_TYPE);

    /* an unknown outer field next to a valid signature, of each wire type */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN);
    put_uint(&wire, 5, 1);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN);
    put_bytes(&wire, 15, "extra", 5);
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);
    /* ... also in front of the known fields */
    wire.len = 0;
    put_bytes(&wire, 100, "", 0);
    {
        raw_env r = {true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN};
        raw_env_build(&r, &wire);
    }
    CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_E_MALFORMED);

    /* verify fills env on success with what was signed */
    RAW(true, CF_MSG_INCIDENT, body.data, body.len, pk, CF_PK_LEN, sig, CF_SIG_LEN);
    CHECK_ST(cf_envelope_verify(wire.data, wire.len, NULL, &env), CF_OK);
    CHECK(memcmp(env.signer, pk, CF_PK_LEN) == 0);
    cf_envelope_clear(&env);
#undef RAW

    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_open(void)
{
    static cf_message sentinel;
    cf_buf body, wire;
    cf_message *m;

    cf_buf_init(&body);
    cf_buf_init(&wire);

    /* accepted: any type (0), the right type, our federation, before expiry */
    make_body(FED, NOW_MS + 1, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);
    m = NULL;
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_INCIDENT, FED, NOW_MS, &m), CF_OK);
    CHECK(m != NULL);
    if (m) {
        uint8_t id[CF_ID_LEN];
        CHECK(m->env.type == CF_MSG_INCIDENT && m->body.type == CF_MSG_INCIDENT);
        CHECK_STR(m->body.header.federation, FED);
        CHECK_STR(m->body.header.origin, "node-a");
        CHECK_STR(m->body.u.incident.id, "node-a-1");
        cf_message_id(CF_MSG_INCIDENT, body.data, body.len, id);
        CHECK(memcmp(m->env.id, id, CF_ID_LEN) == 0);
        CHECK(memcmp(m->env.signer, pk, CF_PK_LEN) == 0);
        cf_message_free(m);
    }
    m = NULL;
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m), CF_OK);
    cf_message_free(m);
    cf_message_free(NULL);

    /* another type expected */
    m = &sentinel;
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_TASKING, FED, NOW_MS, &m),
             CF_E_WRONG_TYPE);
    CHECK(m == &sentinel);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_DIRECTIVE, FED, NOW_MS, &m),
             CF_E_WRONG_TYPE);
    /* another federation */
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_INCIDENT, "cf-real", NOW_MS, &m),
             CF_E_WRONG_FEDERATION);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, "cf-tes", NOW_MS, &m),
             CF_E_WRONG_FEDERATION);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, "", NOW_MS, &m), CF_E_WRONG_FEDERATION);
    /* expiry in the past (the message expires at NOW_MS + 1) */
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS + 1000, &m), CF_E_EXPIRED);
    CHECK(m == &sentinel);

    /* a header that expired before now */
    body.len = 0;
    wire.len = 0;
    make_body(FED, NOW_MS - 60000, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_INCIDENT, FED, NOW_MS, &m),
             CF_E_EXPIRED);
    CHECK(m == &sentinel);

    /* expires_ms 0 never expires */
    body.len = 0;
    wire.len = 0;
    make_body(FED, 0, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);
    m = NULL;
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, INT64_MAX, &m), CF_OK);
    cf_message_free(m);

    /* a federation in the body other than ours */
    body.len = 0;
    wire.len = 0;
    make_body("cf-other", 0, &body);
    seal(CF_MSG_INCIDENT, body.data, body.len, &wire);
    m = &sentinel;
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m),
             CF_E_WRONG_FEDERATION);
    CHECK(m == &sentinel);

    /* a correctly signed body that is garbage */
    {
        static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
        wire.len = 0;
        seal(CF_MSG_INCIDENT, junk, sizeof(junk), &wire);
        CHECK_ST(verify_untouched(wire.data, wire.len, NULL), CF_OK); /* the signature is fine */
        CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m), CF_E_MALFORMED);
        CHECK(m == &sentinel);
    }
    /* a body cut short, correctly signed */
    wire.len = 0;
    seal(CF_MSG_INCIDENT, body.data, body.len / 2, &wire);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m), CF_E_MALFORMED);
    /* an empty body (no header), correctly signed, for every type */
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        wire.len = 0;
        seal((cf_msg_type)t, NULL, 0, &wire);
        CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m), CF_E_MALFORMED);
    }
    /* a body that parses but has no header */
    {
        cf_buf b;
        cf_buf_init(&b);
        put_bytes(&b, 2, "node-a-1", 8);
        wire.len = 0;
        seal(CF_MSG_INCIDENT, b.data, b.len, &wire);
        CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, 0, FED, NOW_MS, &m), CF_E_MALFORMED);
        cf_buf_clear(&b);
    }
    /* an incident body signed as a tasking is a tasking, not an incident */
    wire.len = 0;
    seal(CF_MSG_TASKING, body.data, body.len, &wire);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_INCIDENT, FED, NOW_MS, &m),
             CF_E_WRONG_TYPE);
    CHECK(m == &sentinel);

    cf_buf_clear(&body);
    cf_buf_clear(&wire);
}

static void
test_names(void)
{
    const char *unknown = cf_status_str((cf_status)CF_STATUS_COUNT);

    CHECK_STR(unknown, "unknown-status");
    for (int i = 0; i < CF_STATUS_COUNT; i++) {
        const char *a = cf_status_str((cf_status)i);

        CHECK(a != NULL && a[0] != '\0');
        CHECK(a != NULL && strcmp(a, "unknown-status") != 0);
        for (int j = 0; j < i; j++) {
            const char *b = cf_status_str((cf_status)j);
            if (a && b && strcmp(a, b) == 0) {
                fprintf(stderr, "statuses %d and %d share the name \"%s\"\n", j, i, a);
                CHECK(strcmp(a, b) != 0);
            }
        }
    }
    CHECK_STR(cf_status_str(CF_OK), "ok");
    CHECK_STR(cf_status_str(CF_E_BAD_SIGNATURE), "bad-signature");

    /* message type names: one for each type, distinct, none outside the range */
    CHECK(cf_msg_type_name(0) == NULL);
    CHECK(cf_msg_type_name(CF_MSG_TYPE_MAX + 1) == NULL);
    CHECK(cf_msg_type_name(-1) == NULL);
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        const char *a = cf_msg_type_name(t);
        CHECK(a != NULL && a[0] != '\0');
        for (int u = 1; u < t; u++) {
            const char *b = cf_msg_type_name(u);
            CHECK(!a || !b || strcmp(a, b) != 0);
        }
    }
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

    test_round_trip();
    test_byte_flips();
    test_type_confusion();
    test_oversize();
    test_truncation();
    test_signer_and_fields();
    test_open();
    test_names();
    return check_done("test_proto_envelope");
}
