/*
 * test_keys_seal.c - end-to-end encryption to named recipients
 * (keys/seal.c): every recipient opens, nobody else does, and a changed
 * byte anywhere is refused.
 */
#include "check.h"
#include "keys/keys.h"

#include <sodium.h>
#include <string.h>

static const char secret[] = "TLP:RED the minister's mailbox password is hunter2";

int
main(void)
{
    cf_identity *a = NULL, *b = NULL, *c = NULL;
    cf_sealed_recipient rs[2];
    cf_seal_to to[2];
    cf_sealed s;
    cf_buf ct, out;

    CHECK_ST(sodium_init() < 0 ? CF_E_CRYPTO : CF_OK, CF_OK);
    CHECK_ST(cf_identity_generate(&a), CF_OK);
    CHECK_ST(cf_identity_generate(&b), CF_OK);
    CHECK_ST(cf_identity_generate(&c), CF_OK);
    if (!a || !b || !c)
        return check_done("test_keys_seal");
    to[0].node = "punjab";
    memcpy(to[0].box_pk, a->box_pk, CF_PK_LEN);
    to[1].node = "ncert";
    memcpy(to[1].box_pk, b->box_pk, CF_PK_LEN);
    cf_buf_init(&ct);
    cf_buf_init(&out);
    memset(&s, 0, sizeof(s));
    CHECK_ST(cf_seal_encrypt((const uint8_t *)secret, sizeof(secret), to, 2, rs, s.nonce, &ct),
             CF_OK);
    CHECK(ct.len == sizeof(secret) + CF_SEAL_MAC_LEN);
    /* the plaintext appears nowhere in the ciphertext */
    CHECK(ct.len < 8 || !memmem(ct.data, ct.len, "hunter2", 7));
    s.inner_type = CF_MSG_INCIDENT;
    s.recipients = rs;
    s.n_recipients = 2;
    s.ciphertext = ct.data;
    s.ciphertext_len = ct.len;

    /* each recipient opens it */
    CHECK_ST(cf_seal_open(a, "punjab", &s, &out), CF_OK);
    CHECK(out.len == sizeof(secret) && memcmp(out.data, secret, sizeof(secret)) == 0);
    out.len = 0;
    CHECK_ST(cf_seal_open(b, "ncert", &s, &out), CF_OK);
    CHECK(out.len == sizeof(secret) && memcmp(out.data, secret, sizeof(secret)) == 0);
    out.len = 0;

    /* a node that is not named cannot; one that claims a recipient's name
     * holds the wrong key */
    CHECK_ST(cf_seal_open(c, "sindh", &s, &out), CF_E_NOT_FOUND);
    CHECK_ST(cf_seal_open(c, "ncert", &s, &out), CF_E_CRYPTO);
    CHECK(out.len == 0);

    /* a changed byte of the ciphertext, the nonce or a wrapped key */
    ct.data[ct.len / 2] ^= 1;
    CHECK_ST(cf_seal_open(a, "punjab", &s, &out), CF_E_CRYPTO);
    ct.data[ct.len / 2] ^= 1;
    s.nonce[0] ^= 1;
    CHECK_ST(cf_seal_open(a, "punjab", &s, &out), CF_E_CRYPTO);
    s.nonce[0] ^= 1;
    rs[1].wrapped_key[5] ^= 1;
    CHECK_ST(cf_seal_open(b, "ncert", &s, &out), CF_E_CRYPTO);
    rs[1].wrapped_key[5] ^= 1;
    /* one recipient's wrapped key moved to another's name does not help */
    memcpy(rs[1].wrapped_key, rs[0].wrapped_key, CF_SEAL_WRAPPED_LEN);
    CHECK_ST(cf_seal_open(b, "ncert", &s, &out), CF_E_CRYPTO);
    CHECK(out.len == 0);
    s.ciphertext_len = CF_SEAL_MAC_LEN - 1;
    CHECK_ST(cf_seal_open(a, "punjab", &s, &out), CF_E_MALFORMED);

    CHECK_ST(cf_seal_encrypt((const uint8_t *)secret, sizeof(secret), to, 0, rs, s.nonce, &ct),
             CF_E_INVALID_ARG);

    cf_buf_clear(&ct);
    cf_buf_clear(&out);
    cf_identity_free(a);
    cf_identity_free(b);
    cf_identity_free(c);
    return check_done("test_keys_seal");
}
