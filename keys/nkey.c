/*
 * nkey.c - NATS transport nkeys: Ed25519 keys in the NATS text encoding
 * (base32 without padding of prefix byte(s) || key || CRC-16/XMODEM, little
 * endian). A user's public key starts with 'U', its seed with "SU". The seed
 * file holds that text so standard NATS tools can read it too.
 */
#include "keys_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_SEED (18 << 3)
#define PREFIX_USER (20 << 3)

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static uint16_t
crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;

    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

/* out must hold (n*8+4)/5 + 1 characters */
static void
base32_encode(const uint8_t *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    out[o] = 0;
}

/* Decode into exactly n bytes; false on a bad character or length. */
static bool
base32_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    if ((len * 5) / 8 != n)
        return false;
    for (size_t i = 0; i < len; i++) {
        const char *c = strchr(b32, s[i]);
        if (!c || !s[i])
            return false;
        acc = (acc << 5) | (uint32_t)(c - b32);
        bits += 5;
        if (bits >= 8) {
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return o == n;
}

/* raw = prefix bytes || payload, with room for the CRC; returns the text */
static void
encode_with_crc(uint8_t *raw, size_t n, char *out)
{
    uint16_t crc = crc16(raw, n);

    raw[n] = (uint8_t)(crc & 0xff);
    raw[n + 1] = (uint8_t)(crc >> 8);
    base32_encode(raw, n + 2, out);
}

void
cf_nkey_public_encode(const uint8_t pk[CF_PK_LEN], char out[CF_NKEY_PUBLIC_LEN + 1])
{
    uint8_t raw[1 + CF_PK_LEN + 2];

    raw[0] = PREFIX_USER;
    memcpy(raw + 1, pk, CF_PK_LEN);
    encode_with_crc(raw, 1 + CF_PK_LEN, out);
}

cf_status
cf_nkey_public_decode(const char *text, uint8_t out[CF_PK_LEN])
{
    uint8_t raw[1 + CF_PK_LEN + 2];

    if (!text || strlen(text) != CF_NKEY_PUBLIC_LEN ||
        !base32_decode(text, CF_NKEY_PUBLIC_LEN, raw, sizeof(raw)))
        return CF_E_MALFORMED;
    if (raw[0] != PREFIX_USER || crc16(raw, 1 + CF_PK_LEN) != (uint16_t)(raw[33] | (raw[34] << 8)))
        return CF_E_MALFORMED;
    memcpy(out, raw + 1, CF_PK_LEN);
    return CF_OK;
}

static cf_status
nkey_alloc(cf_nkey **out)
{
    cf_nkey *k = calloc(1, sizeof(*k));

    if (!k)
        return CF_E_NOMEM;
    k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->sk) {
        free(k);
        return CF_E_NOMEM;
    }
    *out = k;
    return CF_OK;
}

cf_status
cf_nkey_generate(cf_nkey **out)
{
    cf_nkey *k;
    cf_status st = nkey_alloc(&k);

    if (st != CF_OK)
        return st;
    crypto_sign_keypair(k->pk, k->sk);
    *out = k;
    return CF_OK;
}

void
cf_nkey_free(cf_nkey *k)
{
    if (!k)
        return;
    sodium_free(k->sk);
    free(k);
}

cf_status
cf_nkey_save(const cf_nkey *k, const char *path)
{
    uint8_t *raw = sodium_malloc(2 + 32 + 2);
    char *text = sodium_malloc(CF_NKEY_SEED_LEN + 2);
    cf_status st = CF_E_NOMEM;

    if (raw && text) {
        raw[0] = PREFIX_SEED | (PREFIX_USER >> 5);
        raw[1] = (uint8_t)((PREFIX_USER & 31) << 3);
        memcpy(raw + 2, k->sk, 32); /* the seed is the first half */
        encode_with_crc(raw, 34, text);
        strcat(text, "\n");
        st = cf_file_write(path, text, strlen(text), 0600, true);
    }
    sodium_free(raw);
    sodium_free(text);
    return st;
}

cf_status
cf_nkey_load(const char *path, cf_nkey **out)
{
    char *text = NULL;
    size_t len = 0, n;
    uint8_t *raw = NULL;
    cf_nkey *k = NULL;
    cf_status st = keyfile_read_private(path, &text, &len);

    if (st != CF_OK)
        return st;
    n = strcspn(text, "\r\n");
    raw = sodium_malloc(36);
    if (!raw) {
        st = CF_E_NOMEM;
        goto out;
    }
    st = CF_E_MALFORMED;
    if (n != CF_NKEY_SEED_LEN || !base32_decode(text, n, raw, 36))
        goto out;
    if (raw[0] != (PREFIX_SEED | (PREFIX_USER >> 5)) || raw[1] != ((PREFIX_USER & 31) << 3) ||
        crc16(raw, 34) != (uint16_t)(raw[34] | (raw[35] << 8)))
        goto out;
    st = nkey_alloc(&k);
    if (st != CF_OK)
        goto out;
    crypto_sign_seed_keypair(k->pk, k->sk, raw + 2);
    *out = k;
    st = CF_OK;
out:
    sodium_free(raw);
    keyfile_free(text, len);
    return st;
}

void
cf_nkey_sign(const cf_nkey *k, const uint8_t *msg, size_t len, uint8_t sig[CF_SIG_LEN])
{
    crypto_sign_detached(sig, NULL, msg, len, k->sk);
}
