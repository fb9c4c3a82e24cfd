/*
 * buf.c - growable byte buffers, base64/hex helpers and small string helpers.
 */
#include "common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cf_buf_init(cf_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
cf_buf_clear(cf_buf *b)
{
    free(b->data);
    cf_buf_init(b);
}

cf_status
cf_buf_reserve(cf_buf *b, size_t extra)
{
    size_t want;
    uint8_t *p;

    if (extra > SIZE_MAX - b->len - 1)
        return CF_E_NOMEM;
    want = b->len + extra + 1; /* room for a NUL so text stays a C string */
    if (want <= b->cap)
        return CF_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return CF_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return CF_OK;
}

cf_status
cf_buf_append(cf_buf *b, const void *p, size_t n)
{
    cf_status st = cf_buf_reserve(b, n);

    if (st != CF_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return CF_OK;
}

cf_status
cf_buf_append_str(cf_buf *b, const char *s)
{
    return cf_buf_append(b, s, strlen(s));
}

cf_status
cf_buf_printf(cf_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    cf_status st;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CF_E_INVALID_ARG;
    st = cf_buf_reserve(b, (size_t)n);
    if (st != CF_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CF_OK;
}

uint8_t *
cf_buf_steal(cf_buf *b, size_t *out_len)
{
    uint8_t *p = b->data;

    if (out_len)
        *out_len = b->len;
    cf_buf_init(b);
    return p;
}

cf_status
cf_base64_encode(const uint8_t *bin, size_t len, char **out)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);

    if (!s)
        return CF_E_NOMEM;
    sodium_bin2base64(s, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    *out = s;
    return CF_OK;
}

cf_status
cf_base64_decode(const char *text, size_t text_len, uint8_t *out, size_t max, size_t *out_len)
{
    size_t n = 0;
    const char *end = NULL;

    size_t chars = 0;

    for (size_t i = 0; i < text_len; i++)
        chars += !strchr(" \t\r\n", text[i]);
    /* every 4 characters carry 3 bytes, less up to 2 of padding */
    if (chars / 4 * 3 > max + 2)
        return CF_E_OVERSIZE;
    if (sodium_base642bin(out, max, text, text_len, " \t\r\n", &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return chars / 4 * 3 > max ? CF_E_OVERSIZE : CF_E_MALFORMED;
    if (end != text + text_len)
        return CF_E_MALFORMED;
    *out_len = n;
    return CF_OK;
}

void
cf_hex_encode(const uint8_t *bin, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, bin, len);
}

cf_status
cf_hex_decode(const char *hex, uint8_t *out, size_t len)
{
    size_t n = 0;
    const char *end = NULL;

    if (strlen(hex) != len * 2)
        return CF_E_MALFORMED;
    if (sodium_hex2bin(out, len, hex, len * 2, NULL, &n, &end) != 0 || n != len)
        return CF_E_MALFORMED;
    return CF_OK;
}

char *
cf_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

bool
cf_id_valid(const char *s)
{
    size_t n = 0;

    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    /* "in" and "down" are subject tokens of the hierarchy (DESIGN.md 4) */
    return n >= 1 && n <= 32 && strcmp(s, "in") != 0 && strcmp(s, "down") != 0;
}
