/*
 * armor.c - ASCII armour for certificates and revocations, so that they can
 * be mailed, pasted and concatenated into bundles:
 *   -----BEGIN CERTFED CERTIFICATE-----
 *   <base64, 64 columns>
 *   -----END CERTFED CERTIFICATE-----
 */
#include "keys_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cf_status
cf_armor_encode(const char *label, const uint8_t *data, size_t len, cf_buf *out)
{
    char *b64 = NULL;
    size_t n;
    cf_status st = cf_base64_encode(data, len, &b64);

    if (st != CF_OK)
        return st;
    st = cf_buf_printf(out, "-----BEGIN %s-----\n", label);
    n = strlen(b64);
    for (size_t i = 0; st == CF_OK && i < n; i += 64) {
        st = cf_buf_append(out, b64 + i, n - i < 64 ? n - i : 64);
        if (st == CF_OK)
            st = cf_buf_append(out, "\n", 1);
    }
    if (st == CF_OK)
        st = cf_buf_printf(out, "-----END %s-----\n", label);
    free(b64);
    return st;
}

cf_status
cf_armor_decode(const char *text, const char *label, cf_armor_cb cb, void *ctx)
{
    char begin[96], end[96];
    const char *p = text;

    snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    snprintf(end, sizeof(end), "-----END %s-----", label);
    while ((p = strstr(p, begin)) != NULL) {
        const char *body = p + strlen(begin);
        const char *stop = strstr(body, end);
        const char *next_begin = strstr(body, "-----BEGIN ");
        size_t b64_len, max, got = 0;
        uint8_t *bin;
        cf_status st;

        if (!stop || (next_begin && next_begin < stop))
            return CF_E_MALFORMED;
        b64_len = (size_t)(stop - body);
        max = b64_len / 4 * 3 + 3;
        bin = malloc(max);
        if (!bin)
            return CF_E_NOMEM;
        st = cf_base64_decode(body, b64_len, bin, max, &got);
        /* an empty block holds no document: the file is damaged */
        if (st == CF_OK && got == 0)
            st = CF_E_MALFORMED;
        if (st == CF_OK)
            st = cb(bin, got, ctx);
        free(bin);
        if (st != CF_OK)
            return st;
        p = stop + strlen(end);
    }
    return CF_OK;
}
