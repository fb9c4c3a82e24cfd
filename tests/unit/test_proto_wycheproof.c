/*
 * test_proto_wycheproof.c - Ed25519 edge cases: every vector of Wycheproof's
 * ed25519_test.json (tests/data/wycheproof/, found through CERTFED_SOURCE)
 * goes through cf_sig_verify, the one signature check of cf_envelope_verify,
 * and must get Wycheproof's verdict. Then the same classes of bad signature
 * (the vectors' own bytes, and malleated copies of a good envelope signature)
 * go through the whole envelope path, which must refuse each one.
 */
#include "check.h"
#include "proto/proto.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "tests/data/wycheproof/ed25519_test.json"
#define MAX_FILE (4 * 1024 * 1024)
#define MAX_FLAGS 32

/* The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t group_order[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/*
 * Encodings of points of small order (1, 2, 4 and 8). A verifier that lets one
 * stand as R or as the key can be made to accept a signature it should not.
 */
static const char *const small_order_points[] = {
    "0100000000000000000000000000000000000000000000000000000000000000", /* identity */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* order 2 */
    "0000000000000000000000000000000000000000000000000000000000000000", /* order 4 */
    "0000000000000000000000000000000000000000000000000000000000000080", /* order 4 */
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", /* order 8 */
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", /* order 8 */
};

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

/* An outer Envelope built by hand (proto/certfed.proto: type 1, body 2,
 * signer 3, signature 4), every field present even when empty. */
static void
raw_envelope(uint32_t type, const uint8_t *body, size_t body_len, const uint8_t *signer,
             size_t signer_len, const uint8_t *sig, size_t sig_len, cf_buf *out)
{
    out->len = 0;
    put_varint(out, (1 << 3) | 0);
    put_varint(out, type);
    put_varint(out, (2 << 3) | 2);
    put_varint(out, body_len);
    app(out, body, body_len);
    put_varint(out, (3 << 3) | 2);
    put_varint(out, signer_len);
    app(out, signer, signer_len);
    put_varint(out, (4 << 3) | 2);
    put_varint(out, sig_len);
    app(out, sig, sig_len);
}

/* Verify, and check that a failure left out untouched (proto.h's promise). */
static cf_status
envelope_verdict(const cf_buf *wire)
{
    cf_envelope env, pattern;
    cf_status st;

    memset(&pattern, 0xa5, sizeof(pattern));
    memcpy(&env, &pattern, sizeof(env));
    st = cf_envelope_verify(wire->data, wire->len, NULL, &env);
    if (st == CF_OK)
        cf_envelope_clear(&env);
    else
        CHECK(memcmp(&env, &pattern, sizeof(env)) == 0);
    return st;
}

/* Decode a hex string of any even length into a new buffer (free() it; a
 * non-NULL pointer even for ""). False if it is not hex. */
static bool
hex_dup(const char *hex, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(hex);
    uint8_t *p;

    if (n % 2 != 0)
        return false;
    p = malloc(n / 2 + 1);
    if (!p)
        abort();
    if (n && cf_hex_decode(hex, p, n / 2) != CF_OK) {
        free(p);
        return false;
    }
    *out = p;
    *out_len = n / 2;
    return true;
}

static void
hex32(const char *hex, uint8_t out[32])
{
    if (strlen(hex) != 64 || cf_hex_decode(hex, out, 32) != CF_OK)
        abort();
}

/* a += b over 32 little-endian bytes; the callers keep the sum below 2^256. */
static void
add32(uint8_t a[32], const uint8_t b[32])
{
    unsigned carry = 0;

    for (int i = 0; i < 32; i++) {
        carry += (unsigned)a[i] + b[i];
        a[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

static const char *
json_str(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ---- the vectors ------------------------------------------------------------- */

/* What one flag saw: the vectors that carry it and their verdicts. */
typedef struct flag_tally {
    char name[48];
    int run, accepted, rejected;
} flag_tally;

typedef struct tally {
    int run, valid, invalid, acceptable;
    int valid_accepted, invalid_rejected;
    int envelopes, envelopes_rejected;
    flag_tally flags[MAX_FLAGS];
    size_t n_flags;
} tally;

static void
count_flags(tally *t, const cJSON *flags, bool accepted)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, flags)
    {
        size_t i;

        if (!cJSON_IsString(f))
            continue;
        for (i = 0; i < t->n_flags; i++)
            if (strcmp(t->flags[i].name, f->valuestring) == 0)
                break;
        if (i == t->n_flags) {
            if (t->n_flags == MAX_FLAGS)
                continue;
            snprintf(t->flags[i].name, sizeof(t->flags[i].name), "%s", f->valuestring);
            t->n_flags++;
        }
        t->flags[i].run++;
        if (accepted)
            t->flags[i].accepted++;
        else
            t->flags[i].rejected++;
    }
}

/*
 * Wycheproof's verdict, as cf_sig_verify must give it. "invalid" has two
 * shapes: a signature of the wrong length is malformed before any
 * arithmetic, one of the right length does not verify. The file has no
 * "acceptable" vector (nor one that libsodium judges more strictly than
 * Wycheproof); should a new copy bring one, this test fails until its
 * verdict is pinned here with the reason.
 */
static void
run_vector(tally *t, const uint8_t pk[CF_PK_LEN], const cJSON *test)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(test, "tcId");
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(test, "flags");
    const char *msg_hex = json_str(test, "msg"), *sig_hex = json_str(test, "sig");
    const char *result = json_str(test, "result");
    uint8_t *msg = NULL, *sig = NULL;
    size_t msg_len = 0, sig_len = 0;
    int tc = cJSON_IsNumber(id) ? id->valueint : -1;
    cf_status st, want_env;
    cf_buf wire;

    CHECK(tc > 0 && msg_hex && sig_hex && result);
    if (!msg_hex || !sig_hex || !result)
        return;
    if (!hex_dup(msg_hex, &msg, &msg_len) || !hex_dup(sig_hex, &sig, &sig_len)) {
        fprintf(stderr, "tcId %d: msg or sig is not hex\n", tc);
        CHECK(!"vector hex decodes");
        free(msg);
        return;
    }

    st = cf_sig_verify(pk, msg, msg_len, sig, sig_len);
    t->run++;
    count_flags(t, flags, st == CF_OK);
    if (strcmp(result, "valid") == 0) {
        t->valid++;
        if (st == CF_OK)
            t->valid_accepted++;
        else
            fprintf(stderr, "tcId %d (valid) rejected: %s\n", tc, cf_status_str(st));
        CHECK_ST(st, CF_OK);
    } else if (strcmp(result, "invalid") == 0) {
        t->invalid++;
        if (st != CF_OK)
            t->invalid_rejected++;
        else
            fprintf(stderr, "tcId %d (invalid) accepted\n", tc);
        CHECK_ST(st, sig_len == CF_SIG_LEN ? CF_E_BAD_SIGNATURE : CF_E_MALFORMED);
    } else if (strcmp(result, "acceptable") == 0) {
        t->acceptable++;
        fprintf(stderr,
                "tcId %d is \"acceptable\" and libsodium says %s: pin that verdict "
                "in run_vector with the reason\n",
                tc, cf_status_str(st));
        CHECK(!"every acceptable vector has a pinned verdict");
    } else {
        fprintf(stderr, "tcId %d: unknown result \"%s\"\n", tc, result);
        CHECK(!"result is valid, invalid or acceptable");
    }

    /*
     * The same bytes as an envelope: the vector's signature covers msg alone,
     * never the domain-separated bytes, so not even a valid vector's
     * signature may verify as the envelope of body msg. The status says
     * which check refused it.
     */
    cf_buf_init(&wire);
    raw_envelope(CF_MSG_INCIDENT, msg, msg_len, pk, CF_PK_LEN, sig, sig_len, &wire);
    if (sig_len == 0)
        want_env = CF_E_UNSIGNED;
    else if (sig_len != CF_SIG_LEN)
        want_env = CF_E_MALFORMED;
    else
        want_env = CF_E_BAD_SIGNATURE;
    st = envelope_verdict(&wire);
    t->envelopes++;
    if (st != CF_OK)
        t->envelopes_rejected++;
    if (st != want_env)
        fprintf(stderr, "tcId %d as an envelope: %s\n", tc, cf_status_str(st));
    CHECK_ST(st, want_env);
    cf_buf_clear(&wire);
    free(msg);
    free(sig);
}

static void
test_vectors(void)
{
    const char *src = getenv("CERTFED_SOURCE");
    char *path = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    const cJSON *groups, *group, *n_tests;
    tally t;

    memset(&t, 0, sizeof(t));
    /* ctest always sets it; without the vectors this test proves nothing */
    CHECK(src && src[0]);
    if (!src || !src[0]) {
        fprintf(stderr, "CERTFED_SOURCE is not set: cannot find %s\n", VECTORS);
        return;
    }
    path = cf_path_join(src, VECTORS);
    CHECK(path != NULL);
    if (!path)
        return;
    CHECK_ST(cf_file_read(path, MAX_FILE, &data, &len), CF_OK);
    if (!data)
        goto out;
    root = cJSON_ParseWithLength((const char *)data, len);
    CHECK(root != NULL);
    if (!root)
        goto out;
    CHECK_STR(json_str(root, "algorithm"), "EDDSA");
    groups = cJSON_GetObjectItemCaseSensitive(root, "testGroups");
    CHECK(cJSON_IsArray(groups));

    cJSON_ArrayForEach(group, groups)
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(group, "publicKey");
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(group, "tests"), *test;
        const char *pk_hex = json_str(key, "pk");
        uint8_t pk[CF_PK_LEN];

        CHECK_STR(json_str(group, "type"), "EddsaVerify");
        CHECK_STR(json_str(key, "curve"), "edwards25519");
        /* every key of this file is 32 bytes; cf_sig_verify takes no other */
        CHECK(pk_hex && strlen(pk_hex) == 2 * CF_PK_LEN);
        if (!pk_hex || strlen(pk_hex) != 2 * CF_PK_LEN ||
            cf_hex_decode(pk_hex, pk, CF_PK_LEN) != CF_OK)
            continue;
        cJSON_ArrayForEach(test, tests)
        {
            run_vector(&t, pk, test);
        }
    }

    /* all of them ran: a truncated or re-shaped file must not pass quietly */
    n_tests = cJSON_GetObjectItemCaseSensitive(root, "numberOfTests");
    CHECK(cJSON_IsNumber(n_tests) && n_tests->valueint == t.run);
    CHECK(t.run >= 150);
    CHECK(t.valid > 0 && t.invalid > 0);
    CHECK(t.valid + t.invalid + t.acceptable == t.run);

    printf("test_proto_wycheproof: %d vectors run: %d valid (%d accepted), %d invalid "
           "(%d rejected), %d acceptable\n",
           t.run, t.valid, t.valid_accepted, t.invalid, t.invalid_rejected, t.acceptable);
    printf("test_proto_wycheproof: as envelopes: %d of %d rejected\n", t.envelopes_rejected,
           t.envelopes);
    printf("  %-24s %5s %9s %9s\n", "flag", "run", "accepted", "rejected");
    for (size_t i = 0; i < t.n_flags; i++)
        printf("  %-24s %5d %9d %9d\n", t.flags[i].name, t.flags[i].run, t.flags[i].accepted,
               t.flags[i].rejected);
out:
    cJSON_Delete(root);
    free(data);
    free(path);
}

/* ---- the same edge cases on the envelope path -------------------------------- */

/*
 * A good envelope signed with our own key, then its signature malleated the
 * ways Wycheproof's vectors are: each copy keeps the valid-length layout and
 * must be refused for its signature alone.
 */
static void
test_envelope_malleated(void)
{
    static const char body[] = "an incident body the signature covers";
    uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN], good[CF_SIG_LEN], sig[CF_SIG_LEN];
    cf_buf wire, copy;
    size_t sig_at;
    int refused = 0, tried = 0;

    if (crypto_sign_keypair(pk, sk) != 0)
        abort();
    cf_buf_init(&wire);
    cf_buf_init(&copy);
    CHECK_ST(cf_envelope_seal(CF_MSG_INCIDENT, (const uint8_t *)body, sizeof(body), sk, &wire),
             CF_OK);
    /* the signature is the last field: tag 0x22, length 64, 64 bytes */
    CHECK(wire.len > CF_SIG_LEN + 2);
    if (wire.len <= CF_SIG_LEN + 2)
        goto out;
    sig_at = wire.len - CF_SIG_LEN;
    CHECK(wire.data[sig_at - 2] == 0x22 && wire.data[sig_at - 1] == CF_SIG_LEN);
    memcpy(good, wire.data + sig_at, CF_SIG_LEN);
    CHECK_ST(envelope_verdict(&wire), CF_OK); /* the control */

#define TRY(what)                                                                                  \
    do {                                                                                           \
        cf_status st_;                                                                             \
        copy.len = 0;                                                                              \
        app(&copy, wire.data, sig_at);                                                             \
        app(&copy, sig, CF_SIG_LEN);                                                               \
        st_ = envelope_verdict(&copy);                                                             \
        tried++;                                                                                   \
        if (st_ != CF_OK)                                                                          \
            refused++;                                                                             \
        else                                                                                       \
            fprintf(stderr, "envelope accepted with %s\n", what);                                  \
        CHECK_ST(st_, CF_E_BAD_SIGNATURE);                                                         \
    } while (0)

    /* S + L and S + 8L: the same point [S]B, so only the S < L check refuses
     * them (Wycheproof's SignatureMalleability) */
    memcpy(sig, good, CF_SIG_LEN);
    add32(sig + 32, group_order);
    TRY("S + L");
    for (int k = 1; k < 8; k++)
        add32(sig + 32, group_order);
    TRY("S + 8L");
    /* S = 0 and S = L (InvalidSignature) */
    memcpy(sig, good, CF_SIG_LEN);
    memset(sig + 32, 0, 32);
    TRY("S = 0");
    memcpy(sig + 32, group_order, 32);
    TRY("S = L");
    /* R of small order, and R with its sign bit or a low bit flipped
     * (InvalidEncoding) */
    for (size_t i = 0; i < CF_ARRAY_LEN(small_order_points); i++) {
        memcpy(sig, good, CF_SIG_LEN);
        hex32(small_order_points[i], sig);
        TRY(small_order_points[i]);
    }
    memcpy(sig, good, CF_SIG_LEN);
    sig[31] ^= 0x80;
    TRY("R's sign bit flipped");
    memcpy(sig, good, CF_SIG_LEN);
    sig[0] ^= 0x01;
    TRY("R's bit 0 flipped");
    /* R of small order with S = 0 */
    memset(sig, 0, CF_SIG_LEN);
    sig[0] = 0x01;
    TRY("R = identity, S = 0");
#undef TRY

    printf("test_proto_wycheproof: malleated envelope signatures: %d of %d refused\n", refused,
           tried);
out:
    cf_buf_clear(&copy);
    cf_buf_clear(&wire);
}

/*
 * Not in this copy of the vectors: keys of small order. With the identity as
 * key, R = identity and S = 0 satisfy the cofactorless equation for every
 * message, so a verifier that admitted such a key would accept a forgery of
 * anything. libsodium refuses every small-order key (and so do we), raw and
 * as an envelope's signer.
 */
static void
test_small_order_keys(void)
{
    static const uint8_t msg[] = "any message at all";
    uint8_t key[CF_PK_LEN], sig[CF_SIG_LEN];
    cf_buf wire;

    cf_buf_init(&wire);
    for (size_t i = 0; i < CF_ARRAY_LEN(small_order_points); i++) {
        hex32(small_order_points[i], key);
        for (size_t j = 0; j < CF_ARRAY_LEN(small_order_points); j++) {
            hex32(small_order_points[j], sig);
            memset(sig + 32, 0, 32);
            CHECK_ST(cf_sig_verify(key, msg, sizeof(msg), sig, CF_SIG_LEN), CF_E_BAD_SIGNATURE);
            CHECK_ST(cf_sig_verify(key, NULL, 0, sig, CF_SIG_LEN), CF_E_BAD_SIGNATURE);
            raw_envelope(CF_MSG_INCIDENT, msg, sizeof(msg), key, CF_PK_LEN, sig, CF_SIG_LEN, &wire);
            CHECK_ST(envelope_verdict(&wire), CF_E_BAD_SIGNATURE);
        }
    }
    cf_buf_clear(&wire);
}

/* cf_sig_verify's own checks, before libsodium's. */
static void
test_sig_verify_args(void)
{
    static const uint8_t msg[] = "signed";
    uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN], sig[CF_SIG_LEN + 1];

    if (crypto_sign_keypair(pk, sk) != 0 ||
        crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk) != 0)
        abort();
    sig[CF_SIG_LEN] = 0;
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), sig, CF_SIG_LEN), CF_OK);
    /* a good signature with a byte more or less is not a signature */
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), sig, CF_SIG_LEN + 1), CF_E_MALFORMED);
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), sig, CF_SIG_LEN - 1), CF_E_MALFORMED);
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), sig, 0), CF_E_MALFORMED);
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), NULL, CF_SIG_LEN), CF_E_MALFORMED);
    CHECK_ST(cf_sig_verify(pk, NULL, sizeof(msg), sig, CF_SIG_LEN), CF_E_MALFORMED);
    /* another message, another key */
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg) - 1, sig, CF_SIG_LEN), CF_E_BAD_SIGNATURE);
    pk[0] ^= 1;
    CHECK_ST(cf_sig_verify(pk, msg, sizeof(msg), sig, CF_SIG_LEN), CF_E_BAD_SIGNATURE);
}

int
main(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    test_vectors();
    test_envelope_malleated();
    test_small_order_keys();
    test_sig_verify_args();
    return check_done("test_proto_wycheproof");
}
