/*
 * identity.c - a node's identity: Ed25519 signing key and X25519 encryption
 * key, their key file (optionally sealed with a passphrase), and the public
 * key file a node hands its parent to be certified.
 *
 * Key file, unsealed:               sealed:
 *   format = certfed-identity-v1      format = certfed-identity-v1
 *   ed25519-seed = <base64 32>        sealing = argon2id13-secretbox
 *   x25519-secret = <base64 32>       salt, opslimit, memlimit, nonce
 *                                     sealed = <base64 secretbox(seed||secret)>
 */
#include "keys_private.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "certfed-identity-v1"
#define SEALING "argon2id13-secretbox"
#define SECRET_LEN 64 /* ed25519 seed || x25519 secret */
#define TEXT_MAX 1024

static cf_status
identity_alloc(cf_identity **out)
{
    cf_identity *id = calloc(1, sizeof(*id));

    if (!id)
        return CF_E_NOMEM;
    id->sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    id->box_sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
    if (!id->sign_sk || !id->box_sk) {
        cf_identity_free(id);
        return CF_E_NOMEM;
    }
    *out = id;
    return CF_OK;
}

/* Fill an allocated identity from its 64 secret bytes. */
static cf_status
identity_from_secret(cf_identity *id, const uint8_t secret[SECRET_LEN])
{
    if (crypto_sign_seed_keypair(id->sign_pk, id->sign_sk, secret) != 0)
        return CF_E_CRYPTO;
    memcpy(id->box_sk, secret + 32, crypto_box_SECRETKEYBYTES);
    if (crypto_scalarmult_base(id->box_pk, id->box_sk) != 0)
        return CF_E_CRYPTO;
    return CF_OK;
}

cf_status
cf_identity_generate(cf_identity **out)
{
    cf_identity *id = NULL;
    cf_status st = identity_alloc(&id);

    if (st != CF_OK)
        return st;
    crypto_sign_keypair(id->sign_pk, id->sign_sk);
    crypto_box_keypair(id->box_pk, id->box_sk);
    *out = id;
    return CF_OK;
}

void
cf_identity_free(cf_identity *id)
{
    if (!id)
        return;
    sodium_free(id->sign_sk); /* sodium_free wipes */
    sodium_free(id->box_sk);
    free(id);
}

/* Append "name = base64" to a text buffer of TEXT_MAX bytes. */
static cf_status
put_b64(char *text, const char *name, const uint8_t *bin, size_t len)
{
    char b64[sodium_base64_ENCODED_LEN(256, sodium_base64_VARIANT_ORIGINAL)];
    size_t used = strlen(text);
    int n;

    if (len > 256)
        return CF_E_INVALID_ARG;
    sodium_bin2base64(b64, sizeof(b64), bin, len, sodium_base64_VARIANT_ORIGINAL);
    n = snprintf(text + used, TEXT_MAX - used, "%s = %s\n", name, b64);
    sodium_memzero(b64, sizeof(b64));
    return n > 0 && (size_t)n < TEXT_MAX - used ? CF_OK : CF_E_NOMEM;
}

static cf_status
identity_write(const cf_identity *id, const char *path, const char *passphrase, bool exclusive)
{
    uint8_t *secret = sodium_malloc(SECRET_LEN);
    char *text = sodium_malloc(TEXT_MAX);
    uint8_t *key = sodium_malloc(crypto_secretbox_KEYBYTES);
    cf_status st = CF_E_NOMEM;

    if (!secret || !text || !key)
        goto out;
    /* libsodium's secret key is seed || public key */
    memcpy(secret, id->sign_sk, 32);
    memcpy(secret + 32, id->box_sk, 32);
    snprintf(text, TEXT_MAX,
             "# certfed identity key: keep secret, never share (mode 0600)\n"
             "format = " FORMAT "\n");
    if (!passphrase || !passphrase[0]) {
        st = put_b64(text, "ed25519-seed", secret, 32);
        if (st == CF_OK)
            st = put_b64(text, "x25519-secret", secret + 32, 32);
    } else {
        uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
        uint8_t boxed[SECRET_LEN + crypto_secretbox_MACBYTES];
        unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        size_t used;

        randombytes_buf(salt, sizeof(salt));
        randombytes_buf(nonce, sizeof(nonce));
        if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, ops,
                          mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            st = CF_E_CRYPTO;
            goto out;
        }
        crypto_secretbox_easy(boxed, secret, SECRET_LEN, nonce, key);
        used = strlen(text);
        snprintf(text + used, TEXT_MAX - used,
                 "sealing = " SEALING "\nopslimit = %llu\nmemlimit = %zu\n", ops, mem);
        st = put_b64(text, "salt", salt, sizeof(salt));
        if (st == CF_OK)
            st = put_b64(text, "nonce", nonce, sizeof(nonce));
        if (st == CF_OK)
            st = put_b64(text, "sealed", boxed, sizeof(boxed));
    }
    if (st == CF_OK)
        st = cf_file_write(path, text, strlen(text), 0600, exclusive);
out:
    sodium_free(secret);
    sodium_free(text);
    sodium_free(key);
    return st;
}

cf_status
cf_identity_save(const cf_identity *id, const char *path, const char *passphrase)
{
    return identity_write(id, path, passphrase, true);
}

cf_status
cf_identity_replace(const cf_identity *id, const char *path, const char *passphrase)
{
    return identity_write(id, path, passphrase, false);
}

static cf_status
get_ulong(const char *text, const char *name, unsigned long long *out)
{
    const char *v;
    size_t len;
    char num[32];
    char *end;

    if (!keyfile_get(text, name, &v, &len) || len == 0 || len >= sizeof(num))
        return CF_E_MALFORMED;
    memcpy(num, v, len);
    num[len] = 0;
    *out = strtoull(num, &end, 10);
    return *end ? CF_E_MALFORMED : CF_OK;
}

static cf_status
unseal(const char *text, const char *passphrase, uint8_t secret[SECRET_LEN])
{
    uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
    uint8_t boxed[SECRET_LEN + crypto_secretbox_MACBYTES];
    unsigned long long ops, mem;
    uint8_t *key;
    cf_status st;

    if (get_ulong(text, "opslimit", &ops) != CF_OK || get_ulong(text, "memlimit", &mem) != CF_OK ||
        keyfile_get_bytes(text, "salt", salt, sizeof(salt)) != CF_OK ||
        keyfile_get_bytes(text, "nonce", nonce, sizeof(nonce)) != CF_OK ||
        keyfile_get_bytes(text, "sealed", boxed, sizeof(boxed)) != CF_OK)
        return CF_E_MALFORMED;
    /* a hostile file must not make us burn unbounded memory or time */
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return CF_E_MALFORMED;
    if (!passphrase || !passphrase[0])
        return CF_E_PASSPHRASE;
    key = sodium_malloc(crypto_secretbox_KEYBYTES);
    if (!key)
        return CF_E_NOMEM;
    if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        st = CF_E_NOMEM;
    else if (crypto_secretbox_open_easy(secret, boxed, sizeof(boxed), nonce, key) != 0)
        st = CF_E_PASSPHRASE;
    else
        st = CF_OK;
    sodium_free(key);
    return st;
}

cf_status
cf_identity_load(const char *path, const char *passphrase, cf_identity **out)
{
    char *text = NULL;
    size_t len = 0;
    uint8_t *secret = NULL;
    cf_identity *id = NULL;
    const char *v;
    size_t vlen;
    cf_status st = keyfile_read_private(path, &text, &len);

    if (st != CF_OK)
        return st;
    if (!keyfile_get(text, "format", &v, &vlen) || vlen != strlen(FORMAT) ||
        memcmp(v, FORMAT, vlen) != 0) {
        st = CF_E_MALFORMED;
        goto out;
    }
    secret = sodium_malloc(SECRET_LEN);
    if (!secret) {
        st = CF_E_NOMEM;
        goto out;
    }
    if (keyfile_get(text, "sealing", &v, &vlen)) {
        if (vlen != strlen(SEALING) || memcmp(v, SEALING, vlen) != 0) {
            st = CF_E_MALFORMED;
            goto out;
        }
        st = unseal(text, passphrase, secret);
    } else {
        st = keyfile_get_bytes(text, "ed25519-seed", secret, 32);
        if (st == CF_OK)
            st = keyfile_get_bytes(text, "x25519-secret", secret + 32, 32);
    }
    if (st != CF_OK)
        goto out;
    st = identity_alloc(&id);
    if (st == CF_OK)
        st = identity_from_secret(id, secret);
    if (st == CF_OK) {
        *out = id;
        id = NULL;
    }
out:
    cf_identity_free(id);
    sodium_free(secret);
    keyfile_free(text, len);
    return st;
}

cf_status
cf_pubkeys_save(const cf_pubkeys *pk, const char *path)
{
    char *text = sodium_malloc(TEXT_MAX); /* put_b64 expects TEXT_MAX bytes */
    char nkey[CF_NKEY_PUBLIC_LEN + 1];
    cf_status st;

    if (!text)
        return CF_E_NOMEM;
    cf_nkey_public_encode(pk->transport, nkey);
    snprintf(text, TEXT_MAX,
             "# certfed public keys: hand this file to the parent to be certified\n"
             "format = certfed-public-v1\ntransport-nkey = %s\n",
             nkey);
    st = put_b64(text, "identity", pk->identity, CF_PK_LEN);
    if (st == CF_OK)
        st = put_b64(text, "encryption", pk->encryption, CF_PK_LEN);
    if (st == CF_OK)
        st = cf_file_write(path, text, strlen(text), 0644, true);
    sodium_free(text);
    return st;
}

cf_status
cf_pubkeys_load(const char *path, cf_pubkeys *out)
{
    uint8_t *text;
    size_t len;
    const char *v;
    size_t vlen;
    char nkey[CF_NKEY_PUBLIC_LEN + 1];
    cf_pubkeys pk;
    cf_status st = cf_file_read(path, KEYFILE_MAX, &text, &len);

    if (st == CF_E_OVERSIZE)
        return CF_E_MALFORMED;
    if (st != CF_OK)
        return st;
    st = CF_E_MALFORMED;
    if (!keyfile_get((char *)text, "transport-nkey", &v, &vlen) || vlen != CF_NKEY_PUBLIC_LEN)
        goto out;
    memcpy(nkey, v, vlen);
    nkey[vlen] = 0;
    if (cf_nkey_public_decode(nkey, pk.transport) != CF_OK ||
        keyfile_get_bytes((char *)text, "identity", pk.identity, CF_PK_LEN) != CF_OK ||
        keyfile_get_bytes((char *)text, "encryption", pk.encryption, CF_PK_LEN) != CF_OK)
        goto out;
    *out = pk;
    st = CF_OK;
out:
    free(text);
    return st;
}
