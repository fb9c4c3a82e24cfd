/*
 * seal.c - end-to-end encryption of a signed envelope to named recipients
 * (TLP:RED and TLP:AMBER+STRICT, DESIGN.md section 4).
 *
 * The inner envelope bytes are encrypted once with a fresh random key
 * (crypto_secretbox: XSalsa20-Poly1305); the key is wrapped for each
 * recipient's certified X25519 key with crypto_box_seal, which needs no
 * sender key, so only the recipients can read it. Authenticity comes from
 * the signatures around it: the inner envelope is signed by the origin, and
 * the Sealed body, recipients included, is signed again as the outer one.
 */
#include "keys_private.h"

#include <sodium.h>
#include <string.h>

_Static_assert(CF_SEAL_NONCE_LEN == crypto_secretbox_NONCEBYTES, "nonce size");
_Static_assert(CF_SEAL_MAC_LEN == crypto_secretbox_MACBYTES, "mac size");
_Static_assert(CF_SEAL_WRAPPED_LEN == crypto_box_SEALBYTES + crypto_secretbox_KEYBYTES,
               "wrapped key size");

cf_status
cf_seal_encrypt(const uint8_t *inner, size_t len, const cf_seal_to *to, size_t n,
                cf_sealed_recipient *out_recipients, uint8_t out_nonce[CF_SEAL_NONCE_LEN],
                cf_buf *out_ciphertext)
{
    uint8_t *key;
    uint8_t nonce[CF_SEAL_NONCE_LEN];
    size_t start = out_ciphertext->len;
    cf_status st;

    if (!inner || len == 0 || n == 0)
        return CF_E_INVALID_ARG;
    key = sodium_malloc(crypto_secretbox_KEYBYTES);
    if (!key)
        return CF_E_NOMEM;
    crypto_secretbox_keygen(key);
    randombytes_buf(nonce, sizeof(nonce));
    st = cf_buf_reserve(out_ciphertext, len + crypto_secretbox_MACBYTES);
    if (st == CF_OK &&
        crypto_secretbox_easy(out_ciphertext->data + start, inner, len, nonce, key) != 0)
        st = CF_E_CRYPTO;
    for (size_t i = 0; st == CF_OK && i < n; i++) {
        out_recipients[i].node = to[i].node;
        if (crypto_box_seal(out_recipients[i].wrapped_key, key, crypto_secretbox_KEYBYTES,
                            to[i].box_pk) != 0)
            st = CF_E_CRYPTO;
    }
    sodium_free(key);
    if (st != CF_OK)
        return st;
    out_ciphertext->len = start + len + crypto_secretbox_MACBYTES;
    memcpy(out_nonce, nonce, sizeof(nonce));
    return CF_OK;
}

cf_status
cf_seal_open(const cf_identity *id, const char *self, const cf_sealed *s, cf_buf *out_inner)
{
    const cf_sealed_recipient *mine = NULL;
    uint8_t *key;
    size_t start = out_inner->len, len;
    cf_status st;

    for (size_t i = 0; i < s->n_recipients && !mine; i++)
        if (s->recipients[i].node && strcmp(s->recipients[i].node, self) == 0)
            mine = &s->recipients[i];
    if (!mine)
        return CF_E_NOT_FOUND;
    if (s->ciphertext_len < crypto_secretbox_MACBYTES)
        return CF_E_MALFORMED;
    len = s->ciphertext_len - crypto_secretbox_MACBYTES;
    key = sodium_malloc(crypto_secretbox_KEYBYTES);
    if (!key)
        return CF_E_NOMEM;
    st = CF_OK;
    if (crypto_box_seal_open(key, mine->wrapped_key, CF_SEAL_WRAPPED_LEN, id->box_pk, id->box_sk) !=
        0)
        st = CF_E_CRYPTO;
    if (st == CF_OK)
        st = cf_buf_reserve(out_inner, len + 1);
    if (st == CF_OK && crypto_secretbox_open_easy(out_inner->data + start, s->ciphertext,
                                                  s->ciphertext_len, s->nonce, key) != 0)
        st = CF_E_CRYPTO;
    sodium_free(key);
    if (st != CF_OK) {
        if (out_inner->data)
            sodium_memzero(out_inner->data + start, out_inner->cap - start);
        return st;
    }
    out_inner->len = start + len;
    return CF_OK;
}
