/*
 * keyfile.c - the key=value text format shared by identity and public key
 * files. Secret file contents are wiped from memory after use.
 */
#include "keys_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool
keyfile_get(const char *text, const char *name, const char **out, size_t *out_len)
{
    size_t nlen = strlen(name);
    const char *line = text;

    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '#' && strncmp(p, name, nlen) == 0) {
            const char *q = p + nlen;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '=') {
                q++;
                while (*q == ' ' || *q == '\t')
                    q++;
                size_t vlen = (size_t)(line + len - q);
                while (vlen && (q[vlen - 1] == ' ' || q[vlen - 1] == '\t' || q[vlen - 1] == '\r'))
                    vlen--;
                *out = q;
                *out_len = vlen;
                return true;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

cf_status
keyfile_get_bytes(const char *text, const char *name, uint8_t *out, size_t n)
{
    const char *v;
    size_t vlen, got = 0;

    if (!keyfile_get(text, name, &v, &vlen))
        return CF_E_MALFORMED;
    if (cf_base64_decode(v, vlen, out, n, &got) != CF_OK || got != n)
        return CF_E_MALFORMED;
    return CF_OK;
}

cf_status
keyfile_read_private(const char *path, char **out, size_t *out_len)
{
    cf_status st = cf_file_check_private(path);
    uint8_t *data;

    if (st != CF_OK)
        return st;
    st = cf_file_read(path, KEYFILE_MAX, &data, out_len);
    if (st == CF_E_OVERSIZE)
        return CF_E_MALFORMED;
    if (st != CF_OK)
        return st;
    *out = (char *)data;
    return CF_OK;
}

void
keyfile_free(char *text, size_t len)
{
    if (!text)
        return;
    sodium_memzero(text, len);
    free(text);
}
