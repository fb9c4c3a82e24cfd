/*
 * interchange.c - what STIX 2.1 (stix.c) and MISP (misp.c) share: telling
 * the formats apart, the incident being built and its checks, the tags both
 * formats carry, names and times. Pure: cJSON in, cJSON out; the only
 * library besides cJSON is libsodium's BLAKE2b for deterministic ids.
 *
 * Mapping tables (also in the README):
 *
 *   certfed            STIX 2.1                              MISP
 *   -----------------  ------------------------------------  ---------------------------------
 *   title              incident.name                         Event.info
 *   description        incident.description                  a "text" attribute (comment
 *                                                            "description"); on import all
 *                                                            text/comment/other/link attributes
 *   TLP clear..red     object_marking_refs: the TLP 2.0       Tag tlp:clear|green|amber|
 *                      marking-definitions (fixed ids);       amber+strict|red (tlp:white is
 *                      TLP 1.0 ids read as well (white =      clear); none: distribution 0 is
 *                      clear); the strictest marking of the   amber+strict, else the node's
 *                      incident and its parts wins            default (amber); strictest wins
 *   severity 0..5      label priority-level:baseline-minor|   threat_level_id 4,4,3,2,1,1 and
 *                      low|medium|high|severe|emergency       Tag priority-level:... (the tag
 *                      (CISA NCISS levels, MISP taxonomy)     wins on import; threat level 1 ->
 *                                                            severe, 2 -> high, 3 -> medium)
 *   rsit class/type    label rsit:CLASS="TYPE"               Tag rsit:CLASS="TYPE"
 *   status             label certfed:status="contained"      Tag certfed:status=...; analysis
 *                                                            0 new, 1 triaged|contained,
 *                                                            2 resolved|closed (tag wins)
 *   sector, province   labels certfed:sector="...",          Tags certfed:sector=...,
 *                      certfed:province="..."                certfed:province=...
 *   PAP                label PAP:CLEAR|GREEN|AMBER|RED       the same Tags (MISP's PAP
 *                      (PAP:WHITE read as clear; the         taxonomy)
 *                      strictest wins)
 *   determination,     labels certfed:determination="...",   the same Tags
 *   constituent        certfed:constituent="..."
 *   related,           labels certfed:related="ID" (each),   the same Tags
 *   duplicate of,      certfed:duplicate-of="ID",
 *   supersedes         certfed:supersedes="ID"
 *   confidence         confidence (0-100)                    - (the node's default, 50)
 *   analyst            x_certfed_analyst                     -
 *   detected           x_certfed_detected                    Event.date (a day)
 *   owner              created_by_ref -> identity (name)     Orgc.name
 *   source (import)    "stix INCIDENT-ID in BUNDLE-ID from   "misp event UUID from \"ORG\""
 *                      \"CREATOR\""
 *   observable to      indicator (pattern, related-to the    attribute to_ids true
 *   block              incident)
 *   observable seen    a cyber-observable object (related-   attribute to_ids false
 *                      to the incident)
 *
 *   observable type    STIX 2.1 (pattern path / object)      MISP type (category)
 *   ip                 ipv4-addr:value, ipv6-addr:value      ip-dst (Network activity); ip-src
 *   domain             domain-name:value                     domain (Network activity); hostname
 *   url                url:value                             url (Network activity)
 *   email              email-addr:value (email-message:      email-src (Payload delivery);
 *                      from_ref.value, sender_ref.value)     email, email-dst
 *   md5 sha1 sha256    file:hashes.MD5 'SHA-1' 'SHA-256'     md5 sha1 sha256 sha512 sha3-256
 *   sha512 sha3-256    'SHA-512' 'SHA3-256' 'SHA3-512'       sha3-512 ssdeep tlsh (Payload
 *   sha3-512 ssdeep    SSDEEP TLSH                           delivery)
 *   tlsh (hash: by
 *   its length)
 *   filename           file:name                             filename (Payload delivery)
 *   asn                autonomous-system:number              AS (Network activity)
 *   cve                a vulnerability (name CVE-..., and    vulnerability (External analysis)
 *                      an external reference "cve")
 *   anything else      x_certfed_observables on the incident other (Other), comment certfed:TYPE
 *
 * A pattern is mapped when it is comparisons "[type:path = 'value']" joined
 * by OR; anything else (AND, other operators, qualifiers) is an error naming
 * the field, as is any observable-bearing object (indicator, observed-data,
 * vulnerability, cyber-observable object) that cannot be mapped or, in a
 * bundle of several incidents, is related to none. Objects with no place in
 * an incident (malware, attack-pattern, report, ...) and tags with no field
 * are named in notes.
 */
#include "node/cli/interchange_private.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *const ix_tlp_names[6] = {"", "clear", "green", "amber", "amber+strict", "red"};
const char *const ix_severity_names[6] = {"baseline", "low",    "medium",
                                          "high",     "severe", "emergency"};
const char *const ix_status_names[6] = {"", "new", "triaged", "contained", "resolved", "closed"};
const char *const ix_determination_names[4] = {"", "suspected", "confirmed", "false-positive"};
const char *const ix_pap_names[5] = {"", "clear", "green", "amber", "red"};

const ix_hash ix_hashes[] = {
    {"md5", "MD5", "md5", 32},
    {"sha1", "SHA-1", "sha1", 40},
    {"sha256", "SHA-256", "sha256", 64},
    {"sha512", "SHA-512", "sha512", 128},
    {"sha3-256", "SHA3-256", "sha3-256", 64},
    {"sha3-512", "SHA3-512", "sha3-512", 128},
    {"ssdeep", "SSDEEP", "ssdeep", 0},
    {"tlsh", "TLSH", "tlsh", 0},
};
const size_t ix_n_hashes = CF_ARRAY_LEN(ix_hashes);

int
ix_lookup(const char *const *names, int count, const char *name)
{
    for (int i = 0; name && i < count; i++)
        if (names[i][0] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *
cf_ix_format_name(cf_ix_format f)
{
    switch (f) {
    case CF_IX_AUTO:
        return NULL;
    case CF_IX_STIX:
        return "stix";
    case CF_IX_MISP:
        return "misp";
    }
    return NULL;
}

cf_status
cf_ix_format_parse(const char *name, cf_ix_format *out)
{
    if (name && strcmp(name, "stix") == 0)
        *out = CF_IX_STIX;
    else if (name && strcmp(name, "misp") == 0)
        *out = CF_IX_MISP;
    else
        return CF_E_INVALID_ARG;
    return CF_OK;
}

/* ---- problems --------------------------------------------------------------------- */

static void add_line(ix_ctx *c, cJSON *to, const char *path, const char *fmt, va_list ap)
    CF_PRINTF(4, 0);

static void
add_line(ix_ctx *c, cJSON *to, const char *path, const char *fmt, va_list ap)
{
    char text[512], line[IX_PATH + 600];
    cJSON *s;

    vsnprintf(text, sizeof(text), fmt, ap);
    snprintf(line, sizeof(line), "%s: %s", path, text);
    s = cJSON_CreateString(line);
    if (!s || !cJSON_AddItemToArray(to, s)) {
        cJSON_Delete(s);
        c->nomem = true;
    }
}

void
ix_error(ix_ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;

    if (c->n_errors++ >= CF_IX_MAX_ERRORS)
        return;
    va_start(ap, fmt);
    add_line(c, c->errors, path, fmt, ap);
    va_end(ap);
}

void
ix_note(ix_ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;

    /* notes are bounded like errors: a document of 100,000 odd objects
     * says so in a few lines */
    if (cJSON_GetArraySize(c->notes) >= 4 * CF_IX_MAX_ERRORS)
        return;
    va_start(ap, fmt);
    add_line(c, c->notes, path, fmt, ap);
    va_end(ap);
}

const char *
ix_quote(const char *s, char out[80])
{
    size_t n = 0, max = 60;

    out[n++] = '\'';
    for (const char *p = s ? s : ""; *p && n < max; p++)
        out[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    if (s && strlen(s) >= max - 1) {
        /* cut at a character boundary, and say it was cut */
        while (n > 1 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
            n--;
        if (n > 1 && (unsigned char)out[n - 1] >= 0xc0)
            n--;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '\'';
    out[n] = 0;
    return out;
}

const char *
ix_path(char out[IX_PATH], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, IX_PATH, fmt, ap);
    va_end(ap);
    return out;
}

/* ---- reading ------------------------------------------------------------------------- */

bool
ix_utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p, need;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return false;
        if ((size_t)(end - p) <= need)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[k] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += need + 1;
    }
    return true;
}

const char *
ix_str(ix_ctx *c, const cJSON *o, const char *name, size_t max, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    size_t n;

    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        ix_error(c, path, "%s must be a string", name);
        return NULL;
    }
    n = strlen(v->valuestring);
    if (!ix_utf8_ok(v->valuestring, n)) {
        ix_error(c, path, "%s is not valid UTF-8", name);
        return NULL;
    }
    if (n > max) {
        ix_error(c, path, "%s is %zu bytes, more than the %zu a certfed incident takes", name, n,
                 max);
        return NULL;
    }
    return v->valuestring;
}

/* ---- the incident being built ---------------------------------------------------------- */

bool
ix_incident_init(ix_incident *inc, const char *where)
{
    memset(inc, 0, sizeof(*inc));
    snprintf(inc->where, sizeof(inc->where), "%s", where);
    inc->report = cJSON_CreateObject();
    inc->observables = inc->report ? cJSON_AddArrayToObject(inc->report, "observables") : NULL;
    if (!inc->observables) {
        cJSON_Delete(inc->report);
        inc->report = NULL;
        return false;
    }
    return true;
}

void
ix_incident_clear(ix_incident *inc)
{
    cJSON_Delete(inc->report);
    inc->report = NULL;
}

void
ix_set_str(ix_incident *inc, const char *key, const char *s)
{
    if (!s || !s[0])
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(inc->report, key);
    cJSON_AddStringToObject(inc->report, key, s);
}

void
ix_tlp_raise(ix_incident *inc, int level, const char *path)
{
    if (level <= inc->tlp)
        return;
    inc->tlp = level;
    if (path)
        snprintf(inc->tlp_by, sizeof(inc->tlp_by), "%s", path);
    else
        inc->incident_tlp = level;
}

static bool
hex_ok(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* An IPv4 or IPv6 address, or a network in CIDR form. */
static bool
ip_ok(const char *s)
{
    char addr[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    unsigned char buf[16];
    bool v6;

    if (n == 0 || n >= sizeof(addr))
        return false;
    memcpy(addr, s, n);
    addr[n] = 0;
    v6 = strchr(addr, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1)
        return false;
    if (slash) {
        char *end;
        long bits;
        if (!isdigit((unsigned char)slash[1]))
            return false;
        bits = strtol(slash + 1, &end, 10);
        if (*end || bits < 0 || bits > (v6 ? 128 : 32))
            return false;
    }
    return true;
}

/* "CVE-2024-3400" (any case in, upper case out). */
static bool
cve_ok(const char *s, char out[32])
{
    size_t n = strlen(s), i;

    if (n < 13 || n > 30 || strncasecmp(s, "cve-", 4) != 0)
        return false;
    for (i = 4; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    if (s[8] != '-')
        return false;
    for (i = 9; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    snprintf(out, 32, "CVE-%s", s + 4);
    return true;
}

bool
ix_asn_parse(const char *s, char out[16], uint32_t *out_number)
{
    const char *p = s;
    char *end;
    unsigned long v;

    if ((p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's'))
        p += 2;
    if (!isdigit((unsigned char)*p) || strlen(p) > 10)
        return false;
    v = strtoul(p, &end, 10);
    if (*end || v > UINT32_MAX)
        return false;
    snprintf(out, 16, "AS%lu", v);
    if (out_number)
        *out_number = (uint32_t)v;
    return true;
}

const ix_hash *
ix_hash_of(const char *type, const char *value)
{
    for (size_t i = 0; i < ix_n_hashes; i++)
        if (strcmp(ix_hashes[i].type, type) == 0)
            return &ix_hashes[i];
    if (strcmp(type, "hash") != 0 || !value)
        return NULL;
    /* the generic type: by the length of its hex, the common SHA-2 first */
    for (size_t i = 0; i < 4; i++)
        if (hex_ok(value, ix_hashes[i].hex_len))
            return &ix_hashes[i];
    return NULL;
}

const ix_hash *
ix_hash_by_stix(const char *name)
{
    for (size_t i = 0; i < ix_n_hashes; i++) {
        const char *a = ix_hashes[i].stix, *b = name;
        /* "SHA-256", "sha256", "Sha-256": compare without dashes and case */
        while (*a || *b) {
            if (*a == '-')
                a++;
            else if (*b == '-')
                b++;
            else if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
                break;
            else
                a++, b++;
        }
        if (!*a && !*b)
            return &ix_hashes[i];
    }
    return NULL;
}

/* The observable already in the incident, or NULL. */
static cJSON *
obs_find(const ix_incident *inc, const char *type, const char *value)
{
    cJSON *x;

    cJSON_ArrayForEach(x, inc->observables)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "type");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, "value");
        if (strcmp(t->valuestring, type) == 0 && strcmp(v->valuestring, value) == 0)
            return x;
    }
    return NULL;
}

static void
obs_merge(ix_ctx *c, ix_incident *inc, const char *type, const char *value, bool to_block)
{
    cJSON *x = obs_find(inc, type, value);

    if (x) {
        if (to_block)
            cJSON_ReplaceItemInObjectCaseSensitive(x, "to_block", cJSON_CreateTrue());
        return;
    }
    /* past the limit only count: finish says how many there were */
    if (++inc->n_observables > IX_MAX_OBSERVABLES)
        return;
    x = cJSON_CreateObject();
    if (!x || !cJSON_AddStringToObject(x, "type", type) ||
        !cJSON_AddStringToObject(x, "value", value) ||
        !cJSON_AddBoolToObject(x, "to_block", to_block) ||
        !cJSON_AddItemToArray(inc->observables, x)) {
        cJSON_Delete(x);
        c->nomem = true;
    }
}

void
ix_obs_merge_all(ix_ctx *c, ix_incident *inc, const ix_incident *src)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, src->observables)
    {
        obs_merge(c, inc, cJSON_GetObjectItemCaseSensitive(x, "type")->valuestring,
                  cJSON_GetObjectItemCaseSensitive(x, "value")->valuestring,
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block")));
    }
    /* what the part counted past the limit counts here too */
    if (src->n_observables > IX_MAX_OBSERVABLES)
        inc->n_observables += src->n_observables - IX_MAX_OBSERVABLES;
}

void
ix_set_source(ix_incident *inc, const char *prefix, const char *creator)
{
    char s[IX_SHORT + 1];
    size_t n = (size_t)snprintf(s, sizeof(s), "%s", prefix);

    if (creator && creator[0] && n + 9 < sizeof(s)) {
        n += (size_t)snprintf(s + n, sizeof(s) - n, " from \"%s", creator);
        if (n >= sizeof(s) - 1) {
            /* cut the creator's name, not a character in two */
            n = sizeof(s) - 5;
            while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                n--;
            memcpy(s + n, "...", 3);
            n += 3;
        }
        s[n++] = '"';
        s[n] = 0;
    }
    ix_set_str(inc, "source", s);
}

void
ix_obs_add(ix_ctx *c, ix_incident *inc, const char *type, const char *value, bool to_block,
           const char *path)
{
    char q[80], norm[32];
    const ix_hash *h;
    size_t n;

    if (!value || !value[0]) {
        ix_error(c, path, "an observable with an empty value");
        return;
    }
    n = strlen(value);
    if (!ix_utf8_ok(value, n) || !ix_utf8_ok(type, strlen(type))) {
        ix_error(c, path, "an observable that is not valid UTF-8");
        return;
    }
    if (n > IX_TEXT || strlen(type) > IX_SHORT) {
        ix_error(c, path, "an observable of %zu bytes, more than the %u a certfed incident takes",
                 n, IX_TEXT);
        return;
    }
    if (strcmp(type, "ip") == 0 && !ip_ok(value)) {
        ix_error(c, path, "%s is not an IP address or network", ix_quote(value, q));
        return;
    }
    if (strcmp(type, "cve") == 0) {
        if (!cve_ok(value, norm)) {
            ix_error(c, path, "%s is not a CVE id (CVE-YYYY-NNNN)", ix_quote(value, q));
            return;
        }
        value = norm;
    }
    if (strcmp(type, "asn") == 0) {
        if (!ix_asn_parse(value, norm, NULL)) {
            ix_error(c, path, "%s is not an autonomous system number", ix_quote(value, q));
            return;
        }
        value = norm;
    }
    if (strcmp(type, "email") == 0 && (!strchr(value, '@') || strpbrk(value, " \t\r\n"))) {
        ix_error(c, path, "%s is not an e-mail address", ix_quote(value, q));
        return;
    }
    if ((strcmp(type, "domain") == 0 || strcmp(type, "url") == 0) && strpbrk(value, " \t\r\n")) {
        ix_error(c, path, "%s is not a %s (it has white space)", ix_quote(value, q),
                 type[0] == 'd' ? "domain name" : "URL");
        return;
    }
    h = ix_hash_of(type, value);
    if (h && h->hex_len) {
        if (!hex_ok(value, h->hex_len)) {
            ix_error(c, path, "%s is not a %s hash (%zu hex digits)", ix_quote(value, q), h->stix,
                     h->hex_len);
            return;
        }
        /* one spelling, so the same hash is one observable */
        char *lower = strdup(value);
        if (!lower) {
            c->nomem = true;
            return;
        }
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        obs_merge(c, inc, type, lower, to_block);
        free(lower);
        return;
    }
    obs_merge(c, inc, type, value, to_block);
}

/* ---- tags ---------------------------------------------------------------------------------- */

/* The value of a machine tag's predicate: `"x"` or `x`; NULL if empty. */
static char *
tag_value(const char *s)
{
    size_t n = strlen(s);

    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        return strndup(s + 1, n - 2);
    return n ? strdup(s) : NULL;
}

int
ix_tag_tlp(const char *tag)
{
    static const char *const names[] = {"clear", "white", "green", "amber", "amber+strict", "red"};
    static const int levels[] = {IX_TLP_CLEAR, IX_TLP_CLEAR,        IX_TLP_GREEN,
                                 IX_TLP_AMBER, IX_TLP_AMBER_STRICT, IX_TLP_RED};

    if (strncasecmp(tag, "tlp:", 4) != 0)
        return -1;
    for (size_t i = 0; i < CF_ARRAY_LEN(names); i++)
        if (strcasecmp(tag + 4, names[i]) == 0)
            return levels[i];
    /* tlp:ex:chr and the like are about handling, not a level */
    return strncasecmp(tag + 4, "ex:", 3) == 0 ? -1 : -2;
}

static void
other_tag(ix_incident *inc, const char *tag)
{
    if (inc->n_other_tags++ == 0) {
        char q[80];
        snprintf(inc->other_tag, sizeof(inc->other_tag), "%s", ix_quote(tag, q));
    }
}

void
ix_tag(ix_ctx *c, ix_incident *inc, const char *tag, const char *path)
{
    char q[80];
    int level = ix_tag_tlp(tag);

    if (level == -2) {
        ix_error(c, path, "%s is not a TLP level (clear, green, amber, amber+strict, red)",
                 ix_quote(tag, q));
        return;
    }
    if (level > 0) {
        ix_tlp_raise(inc, level, NULL);
        return;
    }
    if (strncasecmp(tag, "priority-level:", 15) == 0) {
        const char *v = tag + 15;
        int sev = strcasecmp(v, "baseline-minor") == 0 || strcasecmp(v, "baseline-negligible") == 0
                      ? 0
                  : ix_lookup(ix_severity_names + 1, 5, v) >= 0
                      ? ix_lookup(ix_severity_names + 1, 5, v) + 1
                      : -1;
        const char *had = cJSON_GetStringValue(cJSON_GetObjectItem(inc->report, "severity"));
        if (sev < 0) {
            ix_error(c, path,
                     "%s is not a priority level (baseline-negligible, baseline-minor, low, "
                     "medium, high, severe, emergency)",
                     ix_quote(tag, q));
            return;
        }
        if (had && inc->has_severity_tag && strcmp(had, ix_severity_names[sev]) != 0) {
            ix_error(c, path, "a second priority level, %s, disagrees with the first (%s)",
                     ix_quote(tag, q), had);
            return;
        }
        inc->has_severity_tag = true;
        ix_set_str(inc, "severity", ix_severity_names[sev]);
        return;
    }
    if (strncasecmp(tag, "rsit:", 5) == 0) {
        const char *rest = tag + 5, *eq = strchr(rest, '=');
        char *cls = eq ? strndup(rest, (size_t)(eq - rest)) : strdup(rest);
        char *type = eq ? tag_value(eq + 1) : NULL;
        bool ok = cls && cls[0] && strlen(cls) <= IX_SHORT && (!eq || type) &&
                  (!type || strlen(type) <= IX_SHORT) && !strpbrk(cls, " \"");
        if (!ok) {
            ix_error(c, path, "%s is not a RSIT classification (rsit:CLASS=\"TYPE\")",
                     ix_quote(tag, q));
        } else if (inc->has_rsit) {
            ix_note(c, path, "a second RSIT classification, %s; the first (%s) is kept",
                    ix_quote(tag, q), inc->rsit_where);
        } else {
            inc->has_rsit = true;
            snprintf(inc->rsit_where, sizeof(inc->rsit_where), "%s", path);
            ix_set_str(inc, "rsit_class", cls);
            ix_set_str(inc, "rsit_type", type);
        }
        free(cls);
        free(type);
        return;
    }
    if (strncasecmp(tag, "pap:", 4) == 0) {
        /* MISP's PAP taxonomy: PAP:RED .. PAP:CLEAR (PAP:WHITE before 2.0);
         * of several, the most restrictive */
        int pap = strcasecmp(tag + 4, "white") == 0 ? 1 : -1;
        for (int k = 1; pap < 0 && k < 5; k++)
            if (strcasecmp(tag + 4, ix_pap_names[k]) == 0)
                pap = k;
        if (pap < 0)
            ix_error(c, path, "%s is not a PAP level (clear, green, amber, red)", ix_quote(tag, q));
        else if (pap > inc->pap) {
            inc->pap = pap;
            ix_set_str(inc, "pap", ix_pap_names[pap]);
        }
        return;
    }
    if (strncasecmp(tag, "certfed:", 8) == 0) {
        /* the report's argument each tag sets; a link names an incident */
        static const struct {
            const char *tag, *arg;
            const char *const *names; /* its values, or NULL: any text */
            int n_names;
            const char *values;
        } keys[] = {
            {"status", "status", ix_status_names, 6,
             " (new, triaged, contained, resolved, closed)"},
            {"determination", "determination", ix_determination_names, 4,
             " (suspected, confirmed, false-positive)"},
            {"sector", "sector", NULL, 0, ""},
            {"province", "province", NULL, 0, ""},
            {"constituent", "constituent", NULL, 0, ""},
            {"related", "related", NULL, 0, " incident id"},
            {"duplicate-of", "duplicate_of", NULL, 0, " incident id"},
            {"supersedes", "supersedes", NULL, 0, " incident id"},
        };
        const char *rest = tag + 8, *eq = strchr(rest, '=');
        for (size_t k = 0; eq && k < CF_ARRAY_LEN(keys); k++) {
            if (strlen(keys[k].tag) != (size_t)(eq - rest) ||
                strncmp(rest, keys[k].tag, (size_t)(eq - rest)))
                continue;
            char *v = tag_value(eq + 1);
            if (!v || strlen(v) > IX_SHORT ||
                (keys[k].names && ix_lookup(keys[k].names, keys[k].n_names, v) < 1)) {
                ix_error(c, path, "%s: not a certfed %s%s", ix_quote(tag, q), keys[k].tag,
                         keys[k].values);
            } else if (strcmp(keys[k].arg, "related") == 0) {
                cJSON *rel = cJSON_GetObjectItemCaseSensitive(inc->report, "related");
                if (!rel)
                    rel = cJSON_AddArrayToObject(inc->report, "related");
                if (!rel || !cJSON_AddItemToArray(rel, cJSON_CreateString(v)))
                    c->nomem = true;
            } else {
                ix_set_str(inc, keys[k].arg, v);
                if (k == 0)
                    inc->has_status_tag = true;
            }
            free(v);
            return;
        }
    }
    other_tag(inc, tag);
}

void
ix_incident_finish(ix_ctx *c, ix_incident *inc, cJSON *out)
{
    cJSON *entry;
    char *text;

    if (inc->n_observables > IX_MAX_OBSERVABLES)
        ix_error(c, inc->where, "%zu observables, more than the %d a certfed incident carries",
                 inc->n_observables, IX_MAX_OBSERVABLES);
    int n_related = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(inc->report, "related"));
    if (n_related > IX_MAX_OBSERVABLES)
        ix_error(c, inc->where, "%d related incidents, more than the %d a certfed incident carries",
                 n_related, IX_MAX_OBSERVABLES);
    static const char *const upper[6] = {"no marking", "TLP:CLEAR",        "TLP:GREEN",
                                         "TLP:AMBER",  "TLP:AMBER+STRICT", "TLP:RED"};

    if (inc->tlp == IX_TLP_NONE)
        ix_note(c, inc->where, "no TLP marking: reported as TLP:AMBER, the node's default");
    else
        ix_set_str(inc, "tlp", ix_tlp_names[inc->tlp]);
    if (inc->tlp_by[0])
        ix_note(c, inc->where, "%s, as %s is marked so (the incident itself: %s)", upper[inc->tlp],
                inc->tlp_by, upper[inc->incident_tlp]);
    if (inc->n_other_tags)
        ix_note(c, inc->where, "%d tag%s with no certfed field not imported (%s%s)",
                inc->n_other_tags, inc->n_other_tags == 1 ? "" : "s", inc->other_tag,
                inc->n_other_tags > 1 ? ", ..." : "");
    text = cJSON_PrintUnformatted(inc->report);
    if (!text)
        c->nomem = true;
    else if (strlen(text) > CF_IX_MAX_REPORT)
        ix_error(c, inc->where,
                 "the incident would take %zu bytes, more than one signed message carries (%u)",
                 strlen(text), CF_IX_MAX_REPORT);
    free(text);
    entry = cJSON_CreateObject();
    if (!entry || !cJSON_AddStringToObject(entry, "where", inc->where) ||
        !cJSON_AddItemToArray(out, entry)) {
        cJSON_Delete(entry);
        c->nomem = true;
        return;
    }
    cJSON_AddItemToObject(entry, "report", inc->report);
    inc->report = NULL;
}

/* ---- exporting --------------------------------------------------------------------------------
 */

static const char *
exp_str(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

cf_status
ix_export_read(const cJSON *j, size_t k, ix_export_incident *out, char *err, size_t errlen)
{
    const cJSON *v;
    ix_export_incident e;

    memset(&e, 0, sizeof(e));
    if (!cJSON_IsObject(j)) {
        snprintf(err, errlen, "incident %zu is not an object", k + 1);
        return CF_E_MALFORMED;
    }
    e.id = exp_str(j, "id");
    e.title = exp_str(j, "title");
    if (!e.id || !e.title) {
        snprintf(err, errlen, "incident %zu has no %s", k + 1, e.id ? "title" : "id");
        return CF_E_MALFORMED;
    }
    e.description = exp_str(j, "description");
    e.owner = exp_str(j, "owner");
    e.analyst = exp_str(j, "analyst");
    e.sector = exp_str(j, "sector");
    e.province = exp_str(j, "province");
    e.rsit_class = exp_str(j, "rsit_class");
    e.rsit_type = exp_str(j, "rsit_type");
    e.source = exp_str(j, "source");
    e.constituent = exp_str(j, "constituent");
    e.duplicate_of = exp_str(j, "duplicate_of");
    e.supersedes = exp_str(j, "supersedes");
    e.determination = ix_lookup(ix_determination_names, 4, exp_str(j, "determination"));
    if (e.determination < 0)
        e.determination = 0;
    e.pap = ix_lookup(ix_pap_names, 5, exp_str(j, "pap"));
    if (e.pap < 0)
        e.pap = 0;
    v = cJSON_GetObjectItemCaseSensitive(j, "related");
    if (v && !cJSON_IsArray(v)) {
        snprintf(err, errlen, "incident %s: related is not a list", e.id);
        return CF_E_MALFORMED;
    }
    e.related = v;
    e.reported = exp_str(j, "reported");
    e.updated = exp_str(j, "updated");
    e.detected = exp_str(j, "detected");
    e.message_id = exp_str(j, "message_id");
    e.severity = ix_lookup(ix_severity_names, 6, exp_str(j, "severity"));
    e.tlp = ix_lookup(ix_tlp_names, 6, exp_str(j, "tlp"));
    if (e.tlp < 0)
        e.tlp = IX_TLP_NONE;
    e.status = ix_lookup(ix_status_names, 6, exp_str(j, "status"));
    if (e.status < 0)
        e.status = 0;
    v = cJSON_GetObjectItemCaseSensitive(j, "confidence");
    e.confidence = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 100
                       ? (int)v->valuedouble
                       : -1;
    v = cJSON_GetObjectItemCaseSensitive(j, "observables");
    if (v && !cJSON_IsArray(v)) {
        snprintf(err, errlen, "incident %s: observables is not a list", e.id);
        return CF_E_MALFORMED;
    }
    cJSON_ArrayForEach(j, v)
    {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "type")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "value"))) {
            snprintf(err, errlen, "incident %s: an observable without a type or a value", e.id);
            return CF_E_MALFORMED;
        }
    }
    e.observables = v;
    *out = e;
    return CF_OK;
}

void
ix_export_tags(const ix_export_incident *e, bool with_tlp, cJSON *out)
{
    char tag[IX_SHORT * 2 + 32];

    if (with_tlp && e->tlp != IX_TLP_NONE) {
        snprintf(tag, sizeof(tag), "tlp:%s", ix_tlp_names[e->tlp]);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->severity >= 0) {
        snprintf(tag, sizeof(tag), "priority-level:%s",
                 e->severity == 0 ? "baseline-minor" : ix_severity_names[e->severity]);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->rsit_class) {
        if (e->rsit_type)
            snprintf(tag, sizeof(tag), "rsit:%s=\"%s\"", e->rsit_class, e->rsit_type);
        else
            snprintf(tag, sizeof(tag), "rsit:%s", e->rsit_class);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->status > 0) {
        snprintf(tag, sizeof(tag), "certfed:status=\"%s\"", ix_status_names[e->status]);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->sector) {
        snprintf(tag, sizeof(tag), "certfed:sector=\"%s\"", e->sector);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->province) {
        snprintf(tag, sizeof(tag), "certfed:province=\"%s\"", e->province);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->pap > 0) {
        static const char *const upper[5] = {"", "CLEAR", "GREEN", "AMBER", "RED"};
        snprintf(tag, sizeof(tag), "PAP:%s", upper[e->pap]);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->determination > 0) {
        snprintf(tag, sizeof(tag), "certfed:determination=\"%s\"",
                 ix_determination_names[e->determination]);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->constituent) {
        snprintf(tag, sizeof(tag), "certfed:constituent=\"%s\"", e->constituent);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, e->related)
    {
        if (!cJSON_IsString(r) || !r->valuestring[0])
            continue;
        snprintf(tag, sizeof(tag), "certfed:related=\"%s\"", r->valuestring);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->duplicate_of) {
        snprintf(tag, sizeof(tag), "certfed:duplicate-of=\"%s\"", e->duplicate_of);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
    if (e->supersedes) {
        snprintf(tag, sizeof(tag), "certfed:supersedes=\"%s\"", e->supersedes);
        cJSON_AddItemToArray(out, cJSON_CreateString(tag));
    }
}

/* ---- names and times ----------------------------------------------------------------------------
 */

void
ix_uuid_of(const char *kind, const char *const *parts, size_t n, char out[37])
{
    crypto_generichash_state st;
    uint8_t h[16];
    char hex[33];

    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const uint8_t *)"certfed-interchange/v1", 23);
    crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
    for (size_t i = 0; i < n; i++)
        crypto_generichash_update(&st, (const uint8_t *)(parts[i] ? parts[i] : ""),
                                  strlen(parts[i] ? parts[i] : "") + 1);
    crypto_generichash_final(&st, h, sizeof(h));
    /* the layout of a version 4 UUID: its bits are pseudo-random, from a
     * hash rather than a generator, so every export of a revision agrees */
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x40);
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
    cf_hex_encode(h, sizeof(h), hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void
ix_uuid(const char *kind, const char *a, const char *b, const char *c, char out[37])
{
    const char *parts[3] = {a, b, c};

    ix_uuid_of(kind, parts, c ? 3 : b ? 2 : 1, out);
}

bool
ix_uuid_ok(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};

    if (strlen(s) != 36)
        return false;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool
ix_stix_id_ok(const char *s, const char *type)
{
    const char *sep = strstr(s, "--");

    if (!sep || sep == s || !ix_uuid_ok(sep + 2))
        return false;
    if (type && (strlen(type) != (size_t)(sep - s) || strncmp(s, type, (size_t)(sep - s)) != 0))
        return false;
    for (const char *p = s; p < sep; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

/* n digits at *p as a number; false if they are not digits */
static bool
digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool
ix_time_parse(const char *s, int64_t *out_ms)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
    struct tm tm;
    time_t t;

    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    if (*p) {
        if ((*p != 'T' && *p != 't') || (p++, !digits(&p, 2, &h)) || *p++ != ':' ||
            !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
            return false;
        if (h > 23 || mi > 59 || sec > 60)
            return false;
        if (*p == '.') {
            int n = 0;
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            for (; isdigit((unsigned char)*p); p++, n++)
                if (n < 3)
                    ms = ms * 10 + (*p - '0');
            for (; n < 3; n++)
                ms *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om, sign = *p == '-' ? -1 : 1;
            p++;
            if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
                return false;
            off = sign * (oh * 60 + om);
        } else {
            return false;
        }
        if (*p)
            return false;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    *out_ms = ((int64_t)t - (int64_t)off * 60) * 1000 + ms;
    return *out_ms > 0;
}

void
ix_time_format(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char base[24];

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

/* ---- import -------------------------------------------------------------------------------------
 */

void
cf_ix_import_result_clear(cf_ix_import_result *r)
{
    cJSON_Delete(r->incidents);
    cJSON_Delete(r->notes);
    cJSON_Delete(r->errors);
    memset(r, 0, sizeof(*r));
}

/* Line and column of a byte offset, for "not JSON (line 12, column 5)". */
static void
line_col(const char *text, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

/*
 * The offset of a NUL character in the document, raw or as \u0000 in a
 * string, or SIZE_MAX if there is none. cJSON would keep the string up to
 * it and drop the rest without a word (a title cut to nothing, a value cut
 * short), and certfed's text holds no NUL anyway.
 */
static size_t
find_nul(const char *text, size_t len)
{
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == 0)
            return i;
        if (!in_string) {
            in_string = text[i] == '"';
            continue;
        }
        if (text[i] == '"') {
            in_string = false;
        } else if (text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && strncmp(text + i + 2, "0000", 4) == 0)
                return i;
            i++; /* the escaped character is never the string's end */
        }
    }
    return SIZE_MAX;
}

static cf_ix_format
detect(const cJSON *doc)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");

    if (cJSON_IsObject(doc) && cJSON_IsString(type) && strcmp(type->valuestring, "bundle") == 0)
        return CF_IX_STIX;
    if (cJSON_IsObject(doc) && (cJSON_GetObjectItemCaseSensitive(doc, "Event") ||
                                cJSON_GetObjectItemCaseSensitive(doc, "response")))
        return CF_IX_MISP;
    if (cJSON_IsArray(doc) && cJSON_GetObjectItemCaseSensitive(doc->child, "Event"))
        return CF_IX_MISP;
    return CF_IX_AUTO;
}

cf_status
cf_ix_import(const char *text, size_t len, cf_ix_format format, int64_t now_ms,
             cf_ix_import_result *out)
{
    ix_ctx c;
    cJSON *doc = NULL;
    const char *end = NULL;
    cf_status st = CF_OK;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    c.now_ms = now_ms;
    out->incidents = cJSON_CreateArray();
    out->notes = c.notes = cJSON_CreateArray();
    out->errors = c.errors = cJSON_CreateArray();
    if (!out->incidents || !c.notes || !c.errors) {
        cf_ix_import_result_clear(out);
        return CF_E_NOMEM;
    }
    out->format = format;
    if (len > CF_IX_MAX_DOCUMENT) {
        ix_error(&c, "document", "%zu bytes, more than the %u MiB an import reads", len,
                 CF_IX_MAX_DOCUMENT >> 20);
        st = CF_E_OVERSIZE;
        goto out;
    }
    size_t nul = find_nul(text, len);
    if (nul != SIZE_MAX) {
        size_t line, col;
        line_col(text, nul, &line, &col);
        ix_error(&c, "document", "a NUL character (line %zu, column %zu): certfed text holds none",
                 line, col);
        st = CF_E_MALFORMED;
        goto out;
    }
    doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (doc) {
        /* one JSON value and nothing after it but white space */
        size_t off = (size_t)(end - text);
        while (off < len && strchr(" \t\r\n", text[off]) && text[off])
            off++;
        if (off < len) {
            size_t line, col;
            line_col(text, off, &line, &col);
            ix_error(&c, "document",
                     "not JSON: text after the end of the document (line %zu, "
                     "column %zu)",
                     line, col);
            st = CF_E_MALFORMED;
            goto out;
        }
    } else {
        size_t line, col, off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        line_col(text, off, &line, &col);
        if (len == 0)
            ix_error(&c, "document", "empty: not JSON");
        else
            ix_error(&c, "document", "not JSON (malformed near line %zu, column %zu)", line, col);
        st = CF_E_MALFORMED;
        goto out;
    }
    if (format == CF_IX_AUTO) {
        format = detect(doc);
        if (format == CF_IX_AUTO) {
            ix_error(&c, "document",
                     "neither a STIX 2.1 bundle ({\"type\": \"bundle\", ...}) nor a MISP event "
                     "({\"Event\": ...}); give --format stix or --format misp");
            st = CF_E_MALFORMED;
            goto out;
        }
    }
    out->format = format;
    st = format == CF_IX_STIX ? ix_stix_import(&c, doc, out->incidents)
                              : ix_misp_import(&c, doc, out->incidents);
    if (st == CF_OK && c.n_errors)
        st = CF_E_INVALID_ARG;
out:
    cJSON_Delete(doc);
    if (c.nomem) {
        cf_ix_import_result_clear(out);
        return CF_E_NOMEM;
    }
    out->n_errors = c.n_errors;
    if (c.n_errors > CF_IX_MAX_ERRORS) {
        char more[64];
        snprintf(more, sizeof(more), "... and %zu more", c.n_errors - CF_IX_MAX_ERRORS);
        cJSON_AddItemToArray(c.errors, cJSON_CreateString(more));
    }
    if (st != CF_OK) {
        /* nothing half-mapped reaches a caller */
        cJSON_Delete(out->incidents);
        out->incidents = cJSON_CreateArray();
        if (!out->incidents) {
            cf_ix_import_result_clear(out);
            return CF_E_NOMEM;
        }
    }
    return st;
}
