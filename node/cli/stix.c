/*
 * stix.c - STIX 2.1 bundles in and out (the tables are in interchange.c).
 *
 * In: every incident SDO becomes an incident; the indicators, observed-data,
 * cyber-observable objects and vulnerabilities related to it (by a
 * relationship either way, or through an observed-data's object_refs; in a
 * bundle of one incident, all of them) become its observables, and the
 * strictest TLP marking among them and the incident is its TLP. Several
 * versions of one object: the latest (by "modified") counts.
 *
 * Out: one bundle; ids derive from the incidents' ids (ix_uuid), so one
 * incident keeps its STIX id across revisions, as STIX versioning expects.
 */
#include "node/cli/interchange_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP2_CREATED "2022-10-01T00:00:00.000Z"

/* The TLP marking-definitions' fixed ids: TLP 2.0 (OASIS, cti-stix-common-
 * objects) first, as export writes them; then TLP 1.0, predefined by STIX
 * 2.1 itself (section 7.2.1.4), read on import. */
static const struct {
    const char *id;
    int level;
} tlp_ids[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", IX_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", IX_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", IX_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", IX_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", IX_TLP_RED},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", IX_TLP_CLEAR}, /* white */
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", IX_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", IX_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", IX_TLP_RED},
};

static const char *
tlp2_id(int level)
{
    for (size_t i = 0; i < CF_ARRAY_LEN(tlp_ids); i++)
        if (tlp_ids[i].level == level)
            return tlp_ids[i].id;
    return NULL;
}

/* The cyber-observable objects certfed maps, and how. */
static const struct {
    const char *sco;
    const char *type; /* certfed's; NULL: by the object's properties (file) */
} scos[] = {
    {"ipv4-addr", "ip"},     {"ipv6-addr", "ip"}, {"domain-name", "domain"},    {"url", "url"},
    {"email-addr", "email"}, {"file", NULL},      {"autonomous-system", "asn"},
};
/* The other STIX 2.1 cyber-observable objects: observables certfed has no type for. */
static const char *const other_scos[] = {
    "artifact",         "directory", "email-message", "mac-addr",     "mutex",
    "network-traffic",  "process",   "software",      "user-account", "windows-registry-key",
    "x509-certificate",
};
/* Objects that frame a bundle and have no note when they are read or left. */
static const char *const plumbing[] = {"marking-definition", "identity", "relationship",
                                       "extension-definition", "language-content"};

enum kind {
    K_SKIP,       /* broken, revoked or an older version: not used */
    K_PLUMBING,   /* markings, identities, relationships */
    K_INCIDENT,   /* an incident SDO */
    K_OBS,        /* an indicator, a vulnerability or a mapped cyber-observable */
    K_OBSERVED,   /* observed-data: its object_refs are the observables */
    K_UNMAPPABLE, /* a cyber-observable certfed has no type for */
    K_CONTEXT,    /* malware, attack-pattern, report, ...: no place in an incident */
};

typedef struct sobj {
    const cJSON *o;
    const char *type, *id;
    enum kind kind;
    int tlp;     /* its markings' strictest level */
    int defines; /* a marking-definition: the TLP level it defines */
    bool linked;
    bool mapped;
    ix_incident part; /* K_OBS: the observables it maps to */
} sobj;

typedef struct slink {
    size_t inc, obj;
} slink;

typedef struct stix_in {
    ix_ctx *c;
    sobj *v;
    size_t n;
    size_t *by_id; /* indices of v sorted by id */
    size_t n_by_id;
    slink *links;
    size_t n_links, cap_links;
    size_t n_incidents;
} stix_in;

static bool
obs_bearing(enum kind k)
{
    return k == K_OBS || k == K_OBSERVED || k == K_UNMAPPABLE;
}

static int
by_id_cmp(const void *a, const void *b, void *arg)
{
    const sobj *v = arg, *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
    int r = strcmp(x->id, y->id);

    return r ? r : (x < y ? -1 : x > y);
}

static size_t
find(const stix_in *s, const char *id)
{
    size_t lo = 0, hi = s->n_by_id;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(s->v[s->by_id[mid]].id, id);
        if (r == 0)
            return s->by_id[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

static bool
in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static enum kind
classify(const char *type)
{
    if (strcmp(type, "incident") == 0)
        return K_INCIDENT;
    if (strcmp(type, "indicator") == 0 || strcmp(type, "vulnerability") == 0)
        return K_OBS;
    if (strcmp(type, "observed-data") == 0)
        return K_OBSERVED;
    for (size_t i = 0; i < CF_ARRAY_LEN(scos); i++)
        if (strcmp(scos[i].sco, type) == 0)
            return K_OBS;
    if (in_list(other_scos, CF_ARRAY_LEN(other_scos), type))
        return K_UNMAPPABLE;
    if (in_list(plumbing, CF_ARRAY_LEN(plumbing), type))
        return K_PLUMBING;
    return K_CONTEXT;
}

/* ---- markings ---------------------------------------------------------------------- */

/* The TLP level a marking-definition object defines (0: none). */
static int
marking_defines(ix_ctx *c, const sobj *m, size_t i)
{
    char path[IX_PATH], q[80];
    const cJSON *ext, *def;
    const char *v;
    int level;

    for (size_t k = 0; k < CF_ARRAY_LEN(tlp_ids); k++)
        if (strcmp(tlp_ids[k].id, m->id) == 0)
            return tlp_ids[k].level; /* the id is the definition */
    ext = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->o, "extensions"),
                                           TLP2_EXTENSION);
    if (ext) {
        ix_path(path, "objects[%zu].extensions.%s", i, TLP2_EXTENSION);
        v = ix_str(c, ext, "tlp_2_0", IX_SHORT, path);
        char tag[IX_SHORT + 8];
        snprintf(tag, sizeof(tag), "tlp:%s", v ? v : "");
        level = v ? ix_tag_tlp(tag) : -2;
        if (level < 0 || strcasecmp(v, "white") == 0) {
            ix_error(c, path, "tlp_2_0 %s is not a TLP 2.0 level", ix_quote(v, q));
            return 0;
        }
        return level;
    }
    def = cJSON_GetObjectItemCaseSensitive(m->o, "definition");
    v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m->o, "definition_type"));
    if (v && strcmp(v, "tlp") == 0) {
        ix_path(path, "objects[%zu].definition", i);
        v = ix_str(c, def, "tlp", IX_SHORT, path);
        char tag[IX_SHORT + 8];
        snprintf(tag, sizeof(tag), "tlp:%s", v ? v : "");
        level = v ? ix_tag_tlp(tag) : -2;
        if (level < 0) {
            ix_error(c, path, "tlp %s is not a TLP level", ix_quote(v, q));
            return 0;
        }
        return level;
    }
    return 0; /* a statement, a copyright: not TLP */
}

/* The strictest TLP of one list of marking references (object_marking_refs,
 * or granular_markings, taken for the whole object). */
static int
refs_level(stix_in *s, const cJSON *refs, const char *path, bool granular)
{
    const cJSON *r;
    char p[IX_PATH];
    int level = 0, k = 0;

    if (!refs)
        return 0;
    if (!cJSON_IsArray(refs)) {
        ix_error(s->c, path, "%s is not a list",
                 granular ? "granular_markings" : "object_marking_refs");
        return 0;
    }
    cJSON_ArrayForEach(r, refs)
    {
        const cJSON *ref = granular ? cJSON_GetObjectItemCaseSensitive(r, "marking_ref") : r;
        int l = 0;
        if (!cJSON_IsString(ref)) {
            if (!granular || ref) /* a granular marking may name a language instead */
                ix_error(s->c,
                         ix_path(p, "%s.%s[%d]", path,
                                 granular ? "granular_markings" : "object_marking_refs", k),
                         "a marking reference must be a string");
            k++;
            continue;
        }
        for (size_t t = 0; t < CF_ARRAY_LEN(tlp_ids); t++)
            if (strcmp(tlp_ids[t].id, ref->valuestring) == 0)
                l = tlp_ids[t].level;
        if (!l) {
            size_t m = find(s, ref->valuestring);
            if (m != SIZE_MAX)
                l = s->v[m].defines;
        }
        if (l > level)
            level = l;
        k++;
    }
    return level;
}

/* ---- patterns ------------------------------------------------------------------------ */

typedef struct pat {
    ix_ctx *c;
    ix_incident *part;
    const char *s;
    size_t i;
    const char *path;
    bool to_block;
} pat;

static void
pat_ws(pat *p)
{
    while (p->s[p->i] && isspace((unsigned char)p->s[p->i]))
        p->i++;
}

/* The keyword k at p->i, as a whole word. */
static bool
pat_kw(const pat *p, const char *k)
{
    size_t n = strlen(k);
    char after = p->s[p->i + (strncmp(p->s + p->i, k, n) == 0 ? n : 0)];

    return strncmp(p->s + p->i, k, n) == 0 && !isalnum((unsigned char)after) && after != '_';
}

static bool
pat_fail(pat *p, const char *why)
{
    char tok[16], q[80];
    size_t n = 0;

    while (p->s[p->i + n] && n < sizeof(tok) - 1 &&
           (n == 0 || !isspace((unsigned char)p->s[p->i + n])))
        n++;
    memcpy(tok, p->s + p->i, n);
    tok[n] = 0;
    if (n)
        ix_error(p->c, p->path, "cannot map %s (character %zu): %s", ix_quote(tok, q), p->i + 1,
                 why);
    else
        ix_error(p->c, p->path, "the pattern ends early (character %zu): %s", p->i + 1, why);
    return false;
}

#define PAT_ONLY "only comparisons [type:property = 'value'] joined by OR map to observables"

/* One comparison's object path, mapped to a certfed type; NULL with an error. */
static const char *
pat_type(pat *p, const char *objtype, char segs[][IX_SHORT + 1], int nseg, bool number)
{
    char what[IX_SHORT * 2 + 8], q[80];

    if (!number && nseg == 1 && strcmp(segs[0], "value") == 0) {
        for (size_t i = 0; i < CF_ARRAY_LEN(scos); i++)
            if (scos[i].type && strcmp(scos[i].sco, objtype) == 0 &&
                strcmp(objtype, "autonomous-system"))
                return scos[i].type;
    }
    if (!number && strcmp(objtype, "email-message") == 0 && nseg == 2 &&
        (strcmp(segs[0], "from_ref") == 0 || strcmp(segs[0], "sender_ref") == 0) &&
        strcmp(segs[1], "value") == 0)
        return "email";
    if (!number && strcmp(objtype, "file") == 0) {
        if (nseg == 1 && strcmp(segs[0], "name") == 0)
            return "filename";
        if (nseg == 2 && strcmp(segs[0], "hashes") == 0) {
            const ix_hash *h = ix_hash_by_stix(segs[1]);
            if (h)
                return h->type;
            ix_error(p->c, p->path,
                     "%s is a hash certfed has no type for (MD5, SHA-1, SHA-256, "
                     "SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH)",
                     ix_quote(segs[1], q));
            return NULL;
        }
    }
    if (number && strcmp(objtype, "autonomous-system") == 0 && nseg == 1 &&
        strcmp(segs[0], "number") == 0)
        return "asn";
    /* each part cut at 160 bytes: the three fit in what */
    snprintf(what, sizeof(what), "%.160s:%.160s%s%.160s", objtype, segs[0], nseg > 1 ? "." : "",
             nseg > 1 ? segs[1] : "");
    ix_error(p->c, p->path,
             "%s%s has no certfed observable type (ipv4-addr, ipv6-addr, domain-name, url, "
             "email-addr:value; file:hashes.*, file:name; autonomous-system:number)",
             ix_quote(what, q), number ? " = a number" : "");
    return NULL;
}

/* One comparison "type:path = literal" at p->i. */
static bool
pat_comparison(pat *p)
{
    char objtype[64], segs[3][IX_SHORT + 1], *lit = NULL;
    int nseg = 0;
    size_t n = 0;
    bool number = false, ok = false;
    const char *type;

    while (islower((unsigned char)p->s[p->i]) || isdigit((unsigned char)p->s[p->i]) ||
           p->s[p->i] == '-') {
        if (n + 1 >= sizeof(objtype))
            return pat_fail(p, "an object type too long");
        objtype[n++] = p->s[p->i++];
    }
    objtype[n] = 0;
    if (!n || p->s[p->i] != ':')
        return pat_fail(p, "expected an object type and ':' (" PAT_ONLY ")");
    p->i++;
    for (;;) {
        size_t k = 0;
        if (nseg == (int)CF_ARRAY_LEN(segs))
            return pat_fail(p, "a property path deeper than certfed maps");
        if (p->s[p->i] == '\'') {
            p->i++;
            while (p->s[p->i] && p->s[p->i] != '\'' && k < IX_SHORT)
                segs[nseg][k++] = p->s[p->i++];
            if (p->s[p->i] != '\'')
                return pat_fail(p, "an unterminated quoted property name");
            p->i++;
        } else {
            while ((isalnum((unsigned char)p->s[p->i]) || p->s[p->i] == '_' || p->s[p->i] == '-') &&
                   k < IX_SHORT)
                segs[nseg][k++] = p->s[p->i++];
        }
        segs[nseg][k] = 0;
        if (!k)
            return pat_fail(p, "expected a property name");
        nseg++;
        if (p->s[p->i] == '[')
            return pat_fail(p, "list indexes in a property path are not mapped");
        if (p->s[p->i] != '.')
            break;
        p->i++;
    }
    pat_ws(p);
    if (p->s[p->i] != '=')
        return pat_fail(p, "only '=' compares to a value certfed can take (" PAT_ONLY ")");
    p->i++;
    pat_ws(p);
    if (p->s[p->i] == '\'') {
        cf_buf b;
        cf_buf_init(&b);
        p->i++;
        while (p->s[p->i] && p->s[p->i] != '\'') {
            char ch = p->s[p->i];
            if (ch == '\\') {
                if (p->s[p->i + 1] != '\\' && p->s[p->i + 1] != '\'') {
                    cf_buf_clear(&b);
                    return pat_fail(p, "only \\' and \\\\ escape in a string");
                }
                ch = p->s[++p->i];
            }
            if (cf_buf_append(&b, &ch, 1) != CF_OK) {
                cf_buf_clear(&b);
                p->c->nomem = true;
                return false;
            }
            p->i++;
        }
        if (p->s[p->i] != '\'') {
            cf_buf_clear(&b);
            return pat_fail(p, "an unterminated string");
        }
        p->i++;
        if (cf_buf_reserve(&b, 0) != CF_OK) {
            cf_buf_clear(&b);
            p->c->nomem = true;
            return false;
        }
        b.data[b.len] = 0;
        lit = (char *)cf_buf_steal(&b, NULL);
    } else if (isdigit((unsigned char)p->s[p->i])) {
        size_t start = p->i;
        while (isdigit((unsigned char)p->s[p->i]))
            p->i++;
        lit = strndup(p->s + start, p->i - start);
        number = true;
    } else {
        return pat_fail(p, "only a 'string' or a whole number is a value certfed takes");
    }
    if (!lit) {
        p->c->nomem = true;
        return false;
    }
    type = pat_type(p, objtype, segs, nseg, number);
    if (type) {
        ix_obs_add(p->c, p->part, type, lit, p->to_block, p->path);
        ok = true;
    }
    free(lit);
    return ok;
}

/* A whole pattern: [cmp OR cmp ...] OR [ ... ] */
static void
pat_parse(ix_ctx *c, ix_incident *part, const char *s, bool to_block, const char *path)
{
    pat p = {c, part, s, 0, path, to_block};

    pat_ws(&p);
    for (;;) {
        if (p.s[p.i] != '[') {
            pat_fail(&p, "expected '[' (" PAT_ONLY ")");
            return;
        }
        p.i++;
        for (;;) {
            pat_ws(&p);
            if (!pat_comparison(&p))
                return;
            pat_ws(&p);
            if (p.s[p.i] == ']') {
                p.i++;
                break;
            }
            if (!pat_kw(&p, "OR")) {
                pat_fail(&p, PAT_ONLY);
                return;
            }
            p.i += 2;
        }
        pat_ws(&p);
        if (!p.s[p.i])
            return;
        if (!pat_kw(&p, "OR")) {
            pat_fail(&p, PAT_ONLY " (no qualifiers, AND or FOLLOWEDBY)");
            return;
        }
        p.i += 2;
        pat_ws(&p);
    }
}

/* ---- objects to observables ---------------------------------------------------------------- */

static void
map_indicator(stix_in *s, size_t i, ix_incident *part)
{
    const cJSON *o = s->v[i].o, *types, *t;
    char path[IX_PATH], q[80];
    const char *ptype, *pattern, *until;
    bool to_block = true;
    int64_t until_ms;

    ix_path(path, "objects[%zu]", i);
    ptype = ix_str(s->c, o, "pattern_type", IX_SHORT, path);
    if (ptype && strcmp(ptype, "stix") != 0) {
        ix_error(s->c, ix_path(path, "objects[%zu].pattern_type", i),
                 "%s patterns are not mapped (only stix)", ix_quote(ptype, q));
        return;
    }
    pattern = ix_str(s->c, o, "pattern", IX_TEXT, path);
    if (!pattern) {
        if (!cJSON_GetObjectItemCaseSensitive(o, "pattern"))
            ix_error(s->c, ix_path(path, "objects[%zu].pattern", i),
                     "an indicator needs a pattern");
        return;
    }
    types = cJSON_GetObjectItemCaseSensitive(o, "indicator_types");
    cJSON_ArrayForEach(t, types) if (cJSON_IsString(t) && strcmp(t->valuestring, "benign") == 0)
        to_block = false;
    until = ix_str(s->c, o, "valid_until", 64, path);
    if (until) {
        if (!ix_time_parse(until, &until_ms))
            ix_error(s->c, ix_path(path, "objects[%zu].valid_until", i), "%s is not a time",
                     ix_quote(until, q));
        else if (until_ms < s->c->now_ms && to_block) {
            to_block = false;
            ix_note(s->c, path, "expired (valid_until %s): its observables are not marked to block",
                    until);
        }
    }
    pat_parse(s->c, part, pattern, to_block, ix_path(path, "objects[%zu].pattern", i));
}

static void
map_vulnerability(stix_in *s, size_t i, ix_incident *part)
{
    const cJSON *o = s->v[i].o, *refs, *r;
    char path[IX_PATH], q[80];
    const char *name;

    ix_path(path, "objects[%zu]", i);
    name = ix_str(s->c, o, "name", IX_SHORT, path);
    if (name && strncasecmp(name, "cve-", 4) == 0) {
        ix_obs_add(s->c, part, "cve", name, false, ix_path(path, "objects[%zu].name", i));
        return;
    }
    refs = cJSON_GetObjectItemCaseSensitive(o, "external_references");
    cJSON_ArrayForEach(r, refs)
    {
        const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "source_name"));
        const char *ext = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "external_id"));
        if (src && ext && strcasecmp(src, "cve") == 0) {
            ix_obs_add(s->c, part, "cve", ext, false,
                       ix_path(path, "objects[%zu].external_references", i));
            return;
        }
    }
    ix_error(s->c, ix_path(path, "objects[%zu].name", i),
             "%s is not a CVE id, and no external reference names one", ix_quote(name, q));
}

static void
map_sco(stix_in *s, size_t i, ix_incident *part)
{
    const cJSON *o = s->v[i].o, *num, *hashes, *h;
    const char *type = s->v[i].type, *v;
    char path[IX_PATH], p2[IX_PATH], q[80], asn[16];
    bool any = false;

    ix_path(path, "objects[%zu]", i);
    if (strcmp(type, "file") == 0) {
        hashes = cJSON_GetObjectItemCaseSensitive(o, "hashes");
        if (hashes && !cJSON_IsObject(hashes))
            ix_error(s->c, ix_path(p2, "%s.hashes", path), "hashes is not an object");
        cJSON_ArrayForEach(h, hashes)
        {
            const ix_hash *hh = ix_hash_by_stix(h->string);
            ix_path(p2, "%s.hashes.%s", path, h->string);
            if (!hh)
                ix_error(s->c, p2, "%s is a hash certfed has no type for", ix_quote(h->string, q));
            else if (!cJSON_IsString(h))
                ix_error(s->c, p2, "a hash must be a string");
            else
                ix_obs_add(s->c, part, hh->type, h->valuestring, false, p2);
            any = true;
        }
        v = ix_str(s->c, o, "name", IX_TEXT, path);
        if (v) {
            ix_obs_add(s->c, part, "filename", v, false, ix_path(p2, "%s.name", path));
            any = true;
        }
        if (!any)
            ix_error(s->c, path, "a file with neither hashes nor a name");
        return;
    }
    if (strcmp(type, "autonomous-system") == 0) {
        num = cJSON_GetObjectItemCaseSensitive(o, "number");
        if (!cJSON_IsNumber(num) || num->valuedouble < 0 || num->valuedouble > 4294967295.0 ||
            num->valuedouble != (double)(uint32_t)num->valuedouble) {
            ix_error(s->c, ix_path(p2, "%s.number", path), "an autonomous system needs its number");
            return;
        }
        snprintf(asn, sizeof(asn), "AS%u", (uint32_t)num->valuedouble);
        ix_obs_add(s->c, part, "asn", asn, false, ix_path(p2, "%s.number", path));
        return;
    }
    for (size_t k = 0; k < CF_ARRAY_LEN(scos); k++) {
        if (strcmp(scos[k].sco, type) != 0)
            continue;
        v = ix_str(s->c, o, "value", IX_TEXT, path);
        if (v)
            ix_obs_add(s->c, part, scos[k].type, v, false, ix_path(p2, "%s.value", path));
        else if (!cJSON_GetObjectItemCaseSensitive(o, "value"))
            ix_error(s->c, ix_path(p2, "%s.value", path), "a %s needs its value", type);
        return;
    }
}

static void
map_object(stix_in *s, size_t i)
{
    sobj *x = &s->v[i];
    char path[IX_PATH], q[80];

    if (x->mapped)
        return;
    x->mapped = true;
    if (x->kind == K_UNMAPPABLE) {
        ix_error(s->c, ix_path(path, "objects[%zu].type", i),
                 "%s has no certfed observable type (ip, domain, url, email, file hashes and "
                 "names, autonomous systems, CVEs)",
                 ix_quote(x->type, q));
        return;
    }
    if (x->kind != K_OBS)
        return;
    if (!ix_incident_init(&x->part, ix_path(path, "objects[%zu]", i))) {
        s->c->nomem = true;
        return;
    }
    if (strcmp(x->type, "indicator") == 0)
        map_indicator(s, i, &x->part);
    else if (strcmp(x->type, "vulnerability") == 0)
        map_vulnerability(s, i, &x->part);
    else
        map_sco(s, i, &x->part);
}

/* ---- links between incidents and observables --------------------------------------------------
 */

static void
link_add(stix_in *s, size_t inc, size_t obj)
{
    if (s->n_links == s->cap_links) {
        size_t cap = s->cap_links ? 2 * s->cap_links : 64;
        slink *l = realloc(s->links, cap * sizeof(*l));
        if (!l) {
            s->c->nomem = true;
            return;
        }
        s->links = l;
        s->cap_links = cap;
    }
    s->links[s->n_links].inc = inc;
    s->links[s->n_links].obj = obj;
    s->n_links++;
    s->v[obj].linked = true;
}

static int
link_cmp(const void *a, const void *b)
{
    const slink *x = a, *y = b;

    if (x->inc != y->inc)
        return x->inc < y->inc ? -1 : 1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static void
links_from_relationships(stix_in *s)
{
    char path[IX_PATH];

    for (size_t i = 0; i < s->n; i++) {
        const sobj *r = &s->v[i];
        if (r->kind != K_PLUMBING || strcmp(r->type, "relationship") != 0)
            continue;
        ix_path(path, "objects[%zu]", i);
        const char *src = ix_str(s->c, r->o, "source_ref", IX_SHORT, path);
        const char *dst = ix_str(s->c, r->o, "target_ref", IX_SHORT, path);
        if (!src || !dst) {
            if (!cJSON_GetObjectItemCaseSensitive(r->o, src ? "target_ref" : "source_ref"))
                ix_error(s->c, path, "a relationship needs a source_ref and a target_ref");
            continue;
        }
        size_t a = find(s, src), b = find(s, dst);
        if (a == SIZE_MAX || b == SIZE_MAX)
            continue; /* to something outside the bundle */
        if (s->v[a].kind == K_INCIDENT && obs_bearing(s->v[b].kind))
            link_add(s, a, b);
        else if (s->v[b].kind == K_INCIDENT && obs_bearing(s->v[a].kind))
            link_add(s, b, a);
    }
}

/* An observed-data's observables are those of its object_refs. */
static void
links_through_observed(stix_in *s)
{
    size_t n = s->n_links;
    char path[IX_PATH], q[80];

    for (size_t l = 0; l < n; l++) {
        size_t od = s->links[l].obj, inc = s->links[l].inc, k = 0;
        const cJSON *refs, *r;
        if (s->v[od].kind != K_OBSERVED)
            continue;
        refs = cJSON_GetObjectItemCaseSensitive(s->v[od].o, "object_refs");
        if (!cJSON_IsArray(refs)) {
            ix_error(s->c, ix_path(path, "objects[%zu].object_refs", od),
                     cJSON_GetObjectItemCaseSensitive(s->v[od].o, "objects")
                         ? "observables embedded in observed-data (STIX 2.0) are not read; "
                           "give them as objects and list them in object_refs"
                         : "observed-data needs its object_refs");
            continue;
        }
        cJSON_ArrayForEach(r, refs)
        {
            size_t m = cJSON_IsString(r) ? find(s, r->valuestring) : SIZE_MAX;
            ix_path(path, "objects[%zu].object_refs[%zu]", od, k++);
            if (m == SIZE_MAX)
                ix_error(s->c, path, "%s is not in the bundle",
                         ix_quote(cJSON_GetStringValue(r), q));
            else if (s->v[m].kind == K_OBS || s->v[m].kind == K_UNMAPPABLE)
                link_add(s, inc, m);
        }
    }
}

/* ---- the bundle
 * ---------------------------------------------------------------------------------- */

/* Read each object's type, id and markings; keep only the latest version of
 * each id. */
static cf_status
read_objects(stix_in *s, const cJSON *objects)
{
    const cJSON *o;
    char path[IX_PATH], q[80];
    size_t i = 0;

    s->n = (size_t)cJSON_GetArraySize(objects);
    s->v = calloc(s->n ? s->n : 1, sizeof(*s->v));
    s->by_id = calloc(s->n ? s->n : 1, sizeof(*s->by_id));
    if (!s->v || !s->by_id)
        return CF_E_NOMEM;
    cJSON_ArrayForEach(o, objects)
    {
        sobj *x = &s->v[i];
        ix_path(path, "objects[%zu]", i);
        x->o = o;
        x->kind = K_SKIP;
        x->type = x->id = "";
        if (!cJSON_IsObject(o)) {
            ix_error(s->c, path, "an object of a bundle must be a JSON object");
            i++;
            continue;
        }
        const char *type = ix_str(s->c, o, "type", IX_SHORT, path);
        const char *id = ix_str(s->c, o, "id", IX_SHORT, path);
        if (!type || !id) {
            if (!cJSON_GetObjectItemCaseSensitive(o, type ? "id" : "type"))
                ix_error(s->c, path, "a STIX object needs a type and an id");
        } else if (!ix_stix_id_ok(id, type)) {
            ix_error(s->c, ix_path(path, "objects[%zu].id", i),
                     "%s is not an id of the form %s--UUID", ix_quote(id, q), type);
        } else {
            x->type = type;
            x->id = id;
            x->kind = classify(type);
            s->by_id[s->n_by_id++] = i;
        }
        i++;
    }
    if (s->n_by_id)
        qsort_r(s->by_id, s->n_by_id, sizeof(*s->by_id), by_id_cmp, s->v);
    /* several versions of one object: the latest "modified" stands */
    size_t w = 0;
    for (size_t k = 0; k < s->n_by_id;) {
        size_t e = k + 1, best = s->by_id[k];
        int64_t best_ms = 0, ms;
        const char *m =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->v[best].o, "modified"));
        if (m && ix_time_parse(m, &ms))
            best_ms = ms;
        while (e < s->n_by_id && strcmp(s->v[s->by_id[e]].id, s->v[best].id) == 0) {
            size_t cand = s->by_id[e];
            m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->v[cand].o, "modified"));
            ms = 0;
            if (m && !ix_time_parse(m, &ms))
                ms = 0;
            if (ms >= best_ms) {
                best = cand;
                best_ms = ms;
            }
            e++;
        }
        for (size_t d = k; d < e; d++) {
            size_t idx = s->by_id[d];
            if (idx == best)
                continue;
            s->v[idx].kind = K_SKIP;
            ix_note(s->c, ix_path(path, "objects[%zu]", idx),
                    "an older version of %s (objects[%zu] is the latest); not imported",
                    s->v[idx].id, best);
        }
        s->by_id[w++] = best;
        k = e;
    }
    s->n_by_id = w;
    /* revoked objects are withdrawn by their creator */
    for (i = 0; i < s->n; i++) {
        if (s->v[i].kind == K_SKIP || s->v[i].kind == K_PLUMBING)
            continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->v[i].o, "revoked"))) {
            ix_note(s->c, ix_path(path, "objects[%zu]", i), "revoked by its creator; not imported");
            s->v[i].kind = K_SKIP;
        }
    }
    /* markings: first what each marking-definition defines, then each object's */
    for (i = 0; i < s->n; i++)
        if (strcmp(s->v[i].type, "marking-definition") == 0)
            s->v[i].defines = marking_defines(s->c, &s->v[i], i);
    for (i = 0; i < s->n; i++) {
        sobj *x = &s->v[i];
        int l;
        if (x->kind == K_SKIP)
            continue;
        ix_path(path, "objects[%zu]", i);
        x->tlp = refs_level(s, cJSON_GetObjectItemCaseSensitive(x->o, "object_marking_refs"), path,
                            false);
        l = refs_level(s, cJSON_GetObjectItemCaseSensitive(x->o, "granular_markings"), path, true);
        if (l > x->tlp)
            x->tlp = l;
    }
    return CF_OK;
}

/* One note per kind of object left out: "objects[4] and 3 more: 4 malware
 * objects ...", found by sorting (a bundle may hold 100,000 objects). */
static bool
noted(const sobj *x)
{
    return x->kind == K_CONTEXT || (x->kind == K_UNMAPPABLE && !x->linked);
}

static int
by_type_cmp(const void *a, const void *b, void *arg)
{
    const sobj *v = arg;
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    int r = strcmp(v[i].type, v[k].type);

    return r ? r : (i < k ? -1 : i > k);
}

static void
note_context(stix_in *s)
{
    char path[IX_PATH];
    size_t *idx = calloc(s->n ? s->n : 1, sizeof(*idx)), n = 0;

    if (!idx) {
        s->c->nomem = true;
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        if (noted(&s->v[i]))
            idx[n++] = i;
    if (n)
        qsort_r(idx, n, sizeof(*idx), by_type_cmp, s->v);
    for (size_t g = 0; g < n;) {
        const sobj *x = &s->v[idx[g]];
        size_t e = g + 1;
        while (e < n && strcmp(s->v[idx[e]].type, x->type) == 0)
            e++;
        const char *why =
            x->kind == K_CONTEXT ? "no place in a certfed incident" : "related to no incident";
        if (e - g == 1) {
            ix_note(s->c, ix_path(path, "objects[%zu]", idx[g]), "%s %s object: %s; not imported",
                    strchr("aeiou", x->type[0]) ? "an" : "a", x->type, why);
        } else {
            ix_path(path, "objects[%zu] and %zu more", idx[g], e - g - 1);
            ix_note(s->c, path, "%zu %s objects: %s; not imported", e - g, x->type, why);
        }
        g = e;
    }
    free(idx);
}

static void
build_incident(stix_in *s, size_t i, const char *bundle_id, size_t *link_at, cJSON *out)
{
    const sobj *x = &s->v[i];
    const cJSON *o = x->o, *v, *labels;
    ix_incident inc;
    char path[IX_PATH], p2[IX_PATH], q[80], prefix[IX_SHORT];
    const char *str, *creator = NULL;
    int64_t ms;
    size_t k = 0;

    ix_path(path, "objects[%zu]", i);
    if (!ix_incident_init(&inc, path)) {
        s->c->nomem = true;
        return;
    }
    size_t errors = s->c->n_errors;
    str = ix_str(s->c, o, "name", IX_SHORT, path);
    if ((!str || !str[0]) && s->c->n_errors == errors)
        ix_error(s->c, ix_path(p2, "%s.name", path), "an incident needs a name (its title)");
    ix_set_str(&inc, "title", str);
    ix_set_str(&inc, "description", ix_str(s->c, o, "description", IX_TEXT, path));
    v = cJSON_GetObjectItemCaseSensitive(o, "confidence");
    if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100 ||
              v->valuedouble != (int)v->valuedouble))
        ix_error(s->c, ix_path(p2, "%s.confidence", path),
                 "confidence must be a whole number "
                 "from 0 to 100");
    else if (v)
        cJSON_AddNumberToObject(inc.report, "confidence", v->valuedouble);
    labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
    if (labels && !cJSON_IsArray(labels))
        ix_error(s->c, ix_path(p2, "%s.labels", path), "labels is not a list");
    cJSON_ArrayForEach(v, labels)
    {
        ix_path(p2, "%s.labels[%zu]", path, k++);
        if (!cJSON_IsString(v) || !ix_utf8_ok(v->valuestring, strlen(v->valuestring)))
            ix_error(s->c, p2, "a label must be a UTF-8 string");
        else
            ix_tag(s->c, &inc, v->valuestring, p2);
    }
    ix_set_str(&inc, "analyst", ix_str(s->c, o, "x_certfed_analyst", IX_SHORT, path));
    str = ix_str(s->c, o, "x_certfed_detected", 64, path);
    if (str && !ix_time_parse(str, &ms))
        ix_error(s->c, ix_path(p2, "%s.x_certfed_detected", path), "%s is not a time",
                 ix_quote(str, q));
    else if (str)
        cJSON_AddNumberToObject(inc.report, "detected_ms", (double)ms);
    v = cJSON_GetObjectItemCaseSensitive(o, "x_certfed_observables");
    if (v && !cJSON_IsArray(v))
        ix_error(s->c, ix_path(p2, "%s.x_certfed_observables", path), "not a list");
    k = 0;
    for (const cJSON *e = v ? v->child : NULL; e; e = e->next, k++) {
        ix_path(p2, "%s.x_certfed_observables[%zu]", path, k);
        const char *t = ix_str(s->c, e, "type", IX_SHORT, p2);
        const char *val = ix_str(s->c, e, "value", IX_TEXT, p2);
        if (!t || !val || !t[0]) {
            if (!cJSON_IsObject(e) || !cJSON_GetObjectItemCaseSensitive(e, t ? "value" : "type") ||
                (t && !t[0]))
                ix_error(s->c, p2, "an observable needs a type and a value");
            continue;
        }
        ix_obs_add(s->c, &inc, t, val,
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "to_block")), p2);
    }
    ix_tlp_raise(&inc, x->tlp, NULL);
    /* its related observables, in document order */
    for (; *link_at < s->n_links && s->links[*link_at].inc == i; (*link_at)++) {
        size_t m = s->links[*link_at].obj;
        ix_tlp_raise(&inc, s->v[m].tlp, ix_path(p2, "objects[%zu]", m));
        if (s->v[m].kind == K_OBS && s->v[m].part.report)
            ix_obs_merge_all(s->c, &inc, &s->v[m].part);
    }
    str = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "created_by_ref"));
    if (str) {
        size_t m = find(s, str);
        if (m != SIZE_MAX && strcmp(s->v[m].type, "identity") == 0)
            creator = ix_str(s->c, s->v[m].o, "name", IX_TEXT, ix_path(p2, "objects[%zu]", m));
    }
    if (bundle_id)
        snprintf(prefix, sizeof(prefix), "stix %s in %s", x->id, bundle_id);
    else
        snprintf(prefix, sizeof(prefix), "stix %s", x->id);
    ix_set_source(&inc, prefix, creator);
    ix_incident_finish(s->c, &inc, out);
    ix_incident_clear(&inc);
}

cf_status
ix_stix_import(ix_ctx *c, const cJSON *doc, cJSON *incidents)
{
    stix_in s;
    const cJSON *objects;
    const char *bundle_id, *type;
    char path[IX_PATH], q[80];
    size_t single = SIZE_MAX, at = 0;
    cf_status st;

    memset(&s, 0, sizeof(s));
    s.c = c;
    type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "type"));
    if (!cJSON_IsObject(doc) || !type || strcmp(type, "bundle") != 0) {
        ix_error(c, "type",
                 "a STIX document is a bundle ({\"type\": \"bundle\", \"objects\": "
                 "[...]})");
        return CF_E_MALFORMED;
    }
    bundle_id = ix_str(c, doc, "id", IX_SHORT, "bundle");
    if (bundle_id && !ix_stix_id_ok(bundle_id, "bundle")) {
        ix_error(c, "id", "%s is not an id of the form bundle--UUID", ix_quote(bundle_id, q));
        bundle_id = NULL;
    }
    objects = cJSON_GetObjectItemCaseSensitive(doc, "objects");
    if (objects && !cJSON_IsArray(objects)) {
        ix_error(c, "objects", "objects is not a list");
        return CF_E_MALFORMED;
    }
    st = read_objects(&s, objects);
    if (st != CF_OK)
        goto out;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].kind == K_INCIDENT) {
            s.n_incidents++;
            single = i;
        }
    if (s.n_incidents == 0) {
        ix_error(c, "objects",
                 "the bundle holds no incident object; certfed imports incidents (indicators "
                 "alone are no incident to report)");
        goto out;
    }
    if (s.n_incidents == 1) {
        /* one incident: everything observable in the bundle is about it */
        for (size_t i = 0; i < s.n; i++)
            if (obs_bearing(s.v[i].kind))
                link_add(&s, single, i);
    } else {
        links_from_relationships(&s);
        links_through_observed(&s);
        for (size_t i = 0; i < s.n; i++)
            if ((s.v[i].kind == K_OBS || s.v[i].kind == K_OBSERVED) && !s.v[i].linked)
                ix_error(c, ix_path(path, "objects[%zu]", i),
                         "this %s is related to none of the bundle's %zu incidents, so it "
                         "belongs to no incident (relate it to one)",
                         s.v[i].type, s.n_incidents);
    }
    if (s.n_incidents == 1)
        links_through_observed(&s); /* checks object_refs; the objects are linked already */
    if (s.n_links)
        qsort(s.links, s.n_links, sizeof(*s.links), link_cmp);
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].linked)
            map_object(&s, i);
    note_context(&s);
    for (size_t i = 0; i < s.n && !c->nomem; i++) {
        if (s.v[i].kind != K_INCIDENT)
            continue;
        while (at < s.n_links && s.links[at].inc < i)
            at++;
        build_incident(&s, i, bundle_id, &at, incidents);
    }
out:
    for (size_t i = 0; s.v && i < s.n; i++)
        ix_incident_clear(&s.v[i].part);
    free(s.v);
    free(s.by_id);
    free(s.links);
    return c->nomem ? CF_E_NOMEM : st;
}

/* ---- export
 * ---------------------------------------------------------------------------------------- */

static cJSON *
new_object(cJSON *objects, const char *type, const char *id, const char *created,
           const char *modified)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddStringToObject(o, "spec_version", "2.1");
    cJSON_AddStringToObject(o, "id", id);
    if (created)
        cJSON_AddStringToObject(o, "created", created);
    if (modified)
        cJSON_AddStringToObject(o, "modified", modified);
    cJSON_AddItemToArray(objects, o);
    return o;
}

static void
add_markings(cJSON *o, int tlp)
{
    if (tlp == IX_TLP_NONE)
        return;
    cJSON *refs = cJSON_AddArrayToObject(o, "object_marking_refs");
    cJSON_AddItemToArray(refs, cJSON_CreateString(tlp2_id(tlp)));
}

static void
marking_object(cJSON *objects, int level)
{
    static const char *const names[] = {"",          "TLP:CLEAR",        "TLP:GREEN",
                                        "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"};
    cJSON *o = new_object(objects, "marking-definition", tlp2_id(level), TLP2_CREATED, NULL), *ext;

    /* the object exactly as OASIS publishes it */
    cJSON_AddStringToObject(o, "name", names[level]);
    ext = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "extensions"), TLP2_EXTENSION);
    cJSON_AddStringToObject(ext, "extension_type", "property-extension");
    cJSON_AddStringToObject(ext, "tlp_2_0", ix_tlp_names[level]);
}

/* A STIX pattern's string literal: ' and \ escaped. */
static char *
pattern_literal(const char *v)
{
    size_t n = 0;
    char *out = malloc(2 * strlen(v) + 3), *p = out;

    if (!out)
        return NULL;
    p[n++] = '\'';
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\')
            p[n++] = '\\';
        p[n++] = *v;
    }
    p[n++] = '\'';
    p[n] = 0;
    return out;
}

/* Whether id is in the array of ids already written; adds it if not. */
static bool
seen(cJSON *written, const char *id)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, written) if (strcmp(x->valuestring, id) == 0) return true;
    cJSON_AddItemToArray(written, cJSON_CreateString(id));
    return false;
}

static void
relate(cJSON *objects, const char *from, const char *to, const char *created, const char *by,
       int tlp)
{
    char uuid[37], id[64];

    ix_uuid("relationship", from, to, NULL, uuid);
    snprintf(id, sizeof(id), "relationship--%s", uuid);
    cJSON *r = new_object(objects, "relationship", id, created, created);
    if (by)
        cJSON_AddStringToObject(r, "created_by_ref", by);
    cJSON_AddStringToObject(r, "relationship_type", "related-to");
    cJSON_AddStringToObject(r, "source_ref", from);
    cJSON_AddStringToObject(r, "target_ref", to);
    add_markings(r, tlp);
}

/* One observable of an incident: an indicator (to block), a cyber-observable
 * (seen) or a vulnerability; false if STIX has no object for it. */
static bool
export_observable(cJSON *objects, cJSON *written, const ix_export_incident *e, const char *inc_id,
                  const char *by, const char *created, const char *valid_from, const char *type,
                  const char *value, bool to_block)
{
    const char *sco = NULL, *prop = "value";
    const ix_hash *h = ix_hash_of(type, value);
    char uuid[37], id[128], asn[16], path[64], *lit;
    uint32_t number = 0;
    cJSON *o;

    if (strcmp(type, "cve") == 0) {
        ix_uuid("vulnerability", e->id, value, NULL, uuid);
        snprintf(id, sizeof(id), "vulnerability--%s", uuid);
        if (seen(written, id))
            return true;
        o = new_object(objects, "vulnerability", id, created, created);
        if (by)
            cJSON_AddStringToObject(o, "created_by_ref", by);
        cJSON_AddStringToObject(o, "name", value);
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "source_name", "cve");
        cJSON_AddStringToObject(ref, "external_id", value);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "external_references"), ref);
        add_markings(o, e->tlp);
        relate(objects, inc_id, id, created, by, e->tlp);
        return true;
    }
    if (strcmp(type, "ip") == 0)
        sco = strchr(value, ':') ? "ipv6-addr" : "ipv4-addr";
    else if (strcmp(type, "domain") == 0)
        sco = "domain-name";
    else if (strcmp(type, "url") == 0)
        sco = "url";
    else if (strcmp(type, "email") == 0)
        sco = "email-addr";
    else if (strcmp(type, "filename") == 0)
        sco = "file", prop = "name";
    else if (h)
        sco = "file", prop = "hashes";
    else if (strcmp(type, "asn") == 0 && ix_asn_parse(value, asn, &number))
        sco = "autonomous-system", prop = "number";
    if (!sco)
        return false;
    if (to_block) {
        ix_uuid("indicator", e->id, type, value, uuid);
        snprintf(id, sizeof(id), "indicator--%s", uuid);
        if (seen(written, id))
            return true;
        if (h)
            snprintf(path, sizeof(path),
                     strchr(h->stix, '-') ? "file:hashes.'%s'" : "file:hashes.%s", h->stix);
        else
            snprintf(path, sizeof(path), "%s:%s", sco, prop);
        cf_buf pattern;
        cf_buf_init(&pattern);
        if (number || strcmp(prop, "number") == 0) {
            (void)!cf_buf_printf(&pattern, "[%s = %u]", path, number);
        } else {
            lit = pattern_literal(value);
            (void)!cf_buf_printf(&pattern, "[%s = %s]", path, lit ? lit : "''");
            free(lit);
        }
        o = new_object(objects, "indicator", id, created, created);
        if (by)
            cJSON_AddStringToObject(o, "created_by_ref", by);
        cJSON_AddStringToObject(o, "name", value);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "indicator_types"),
                             cJSON_CreateString("malicious-activity"));
        cJSON_AddStringToObject(o, "pattern", pattern.data ? (const char *)pattern.data : "");
        cJSON_AddStringToObject(o, "pattern_type", "stix");
        cJSON_AddStringToObject(o, "pattern_version", "2.1");
        cJSON_AddStringToObject(o, "valid_from", valid_from);
        add_markings(o, e->tlp);
        cf_buf_clear(&pattern);
    } else {
        ix_uuid(sco, e->id, type, value, uuid);
        snprintf(id, sizeof(id), "%s--%s", sco, uuid);
        if (seen(written, id))
            return true;
        o = new_object(objects, sco, id, NULL, NULL);
        if (h)
            cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "hashes"), h->stix, value);
        else if (number || strcmp(prop, "number") == 0)
            cJSON_AddNumberToObject(o, "number", number);
        else
            cJSON_AddStringToObject(o, prop, value);
        add_markings(o, e->tlp);
    }
    relate(objects, inc_id, id, created, by, e->tlp);
    return true;
}

static void
export_incident(cJSON *objects, const ix_export_incident *e)
{
    char uuid[37], inc_id[64], by[64], detected[32] = "";
    const char *created = e->reported ? e->reported : e->updated;
    const char *modified = e->updated ? e->updated : created;
    const cJSON *x;
    cJSON *o, *labels, *unmapped = NULL, *written = cJSON_CreateArray();

    if (!created)
        created = modified = "1970-01-01T00:00:00.000Z";
    if (strcmp(modified, created) < 0)
        modified = created;
    ix_uuid("incident", e->id, NULL, NULL, uuid);
    snprintf(inc_id, sizeof(inc_id), "incident--%s", uuid);
    if (e->owner) {
        ix_uuid("identity", e->owner, NULL, NULL, uuid);
        snprintf(by, sizeof(by), "identity--%s", uuid);
    }
    o = new_object(objects, "incident", inc_id, created, modified);
    if (e->owner)
        cJSON_AddStringToObject(o, "created_by_ref", by);
    cJSON_AddStringToObject(o, "name", e->title);
    if (e->description)
        cJSON_AddStringToObject(o, "description", e->description);
    if (e->confidence >= 0)
        cJSON_AddNumberToObject(o, "confidence", e->confidence);
    labels = cJSON_CreateArray();
    ix_export_tags(e, false, labels);
    if (cJSON_GetArraySize(labels))
        cJSON_AddItemToObject(o, "labels", labels);
    else
        cJSON_Delete(labels);
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "source_name", "certfed");
    cJSON_AddStringToObject(ref, "external_id", e->id);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "external_references"), ref);
    add_markings(o, e->tlp);
    if (e->analyst)
        cJSON_AddStringToObject(o, "x_certfed_analyst", e->analyst);
    if (e->detected)
        cJSON_AddStringToObject(o, "x_certfed_detected", e->detected);
    if (e->source)
        cJSON_AddStringToObject(o, "x_certfed_source", e->source);
    snprintf(detected, sizeof(detected), "%s", e->detected ? e->detected : created);
    cJSON_ArrayForEach(x, e->observables)
    {
        const char *type = cJSON_GetObjectItemCaseSensitive(x, "type")->valuestring;
        const char *value = cJSON_GetObjectItemCaseSensitive(x, "value")->valuestring;
        bool block = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block"));
        if (export_observable(objects, written, e, inc_id, e->owner ? by : NULL, modified, detected,
                              type, value, block))
            continue;
        /* no STIX object for it: kept whole on the incident, for certfed */
        if (!unmapped)
            unmapped = cJSON_AddArrayToObject(o, "x_certfed_observables");
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "type", type);
        cJSON_AddStringToObject(u, "value", value);
        cJSON_AddBoolToObject(u, "to_block", block);
        cJSON_AddItemToArray(unmapped, u);
    }
    cJSON_Delete(written);
}

/* By owner, then by report time (ISO 8601 strings sort as times). */
static int
by_owner_cmp(const void *a, const void *b)
{
    const ix_export_incident *x = *(const ix_export_incident *const *)a;
    const ix_export_incident *y = *(const ix_export_incident *const *)b;
    int r = strcmp(x->owner ? x->owner : "", y->owner ? y->owner : "");

    if (r)
        return r;
    r = strcmp(x->reported ? x->reported : "~", y->reported ? y->reported : "~");
    return r ? r : (x < y ? -1 : x > y);
}

cf_status
cf_ix_export_stix(const cJSON *incidents, cJSON **out, char *err, size_t errlen)
{
    size_t n = (size_t)cJSON_GetArraySize(incidents), k = 0;
    ix_export_incident *v;
    const ix_export_incident **order;
    const char **parts;
    const cJSON *j;
    cJSON *bundle, *objects;
    char uuid[37], id[64];
    bool levels[6] = {false};
    cf_status st = CF_OK;

    if (!cJSON_IsArray(incidents)) {
        snprintf(err, errlen, "the incidents are not a list");
        return CF_E_MALFORMED;
    }
    v = calloc(n ? n : 1, sizeof(*v));
    order = calloc(n ? n : 1, sizeof(*order));
    parts = calloc(2 * n + 1, sizeof(*parts));
    bundle = cJSON_CreateObject();
    if (!v || !order || !parts || !bundle) {
        st = CF_E_NOMEM;
        goto out;
    }
    cJSON_ArrayForEach(j, incidents)
    {
        st = ix_export_read(j, k, &v[k], err, errlen);
        if (st != CF_OK)
            goto out;
        levels[v[k].tlp] = true;
        parts[2 * k] = v[k].id;
        parts[2 * k + 1] = v[k].message_id ? v[k].message_id : v[k].updated;
        k++;
    }
    /* the same revisions, the same bundle */
    ix_uuid_of("bundle", parts, 2 * n, uuid);
    snprintf(id, sizeof(id), "bundle--%s", uuid);
    cJSON_AddStringToObject(bundle, "type", "bundle");
    cJSON_AddStringToObject(bundle, "id", id);
    objects = cJSON_AddArrayToObject(bundle, "objects");
    for (int l = IX_TLP_CLEAR; l <= IX_TLP_RED; l++)
        if (levels[l])
            marking_object(objects, l);
    /* the reporting CERTs, by name, each once; created when its first
     * incident here was reported */
    for (k = 0; k < n; k++)
        order[k] = &v[k];
    if (n)
        qsort(order, n, sizeof(*order), by_owner_cmp);
    for (k = 0; k < n; k++) {
        const ix_export_incident *e = order[k];
        if (!e->owner || (k && order[k - 1]->owner && strcmp(order[k - 1]->owner, e->owner) == 0))
            continue;
        const char *when = e->reported ? e->reported : "1970-01-01T00:00:00.000Z";
        char desc[IX_SHORT + 64];
        ix_uuid("identity", e->owner, NULL, NULL, uuid);
        snprintf(id, sizeof(id), "identity--%s", uuid);
        cJSON *o = new_object(objects, "identity", id, when, when);
        cJSON_AddStringToObject(o, "name", e->owner);
        cJSON_AddStringToObject(o, "identity_class", "organization");
        snprintf(desc, sizeof(desc), "The CERT whose certfed node is %s", e->owner);
        cJSON_AddStringToObject(o, "description", desc);
    }
    for (k = 0; k < n; k++)
        export_incident(objects, &v[k]);
out:
    free(v);
    free(order);
    free(parts);
    if (st != CF_OK) {
        cJSON_Delete(bundle);
        if (st == CF_E_NOMEM)
            snprintf(err, errlen, "out of memory");
        return st;
    }
    *out = bundle;
    return CF_OK;
}
