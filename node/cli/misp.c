/*
 * misp.c - MISP event JSON in and out (the tables are in interchange.c).
 *
 * In: {"Event": {...}}, {"response": [{"Event": ...}, ...]} (MISP's REST
 * search) or a list of {"Event": ...}; each event is an incident, its
 * attributes and its objects' attributes its observables (text, comment,
 * other and link attributes its description), its tags its TLP, severity,
 * RSIT class and certfed fields; the strictest TLP tag of the event and its
 * attributes wins. MISP writes numbers as strings ("threat_level_id": "2");
 * both are read.
 *
 * Out: the same shape, one event per incident.
 */
#include "node/cli/interchange_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* MISP attribute types certfed reads as observables, and the type and
 * category export writes for each certfed type (the first of a type). */
static const struct {
    const char *misp;
    const char *type;
    const char *category;
} attr_types[] = {
    {"ip-dst", "ip", "Network activity"},
    {"ip-src", "ip", "Network activity"},
    {"domain", "domain", "Network activity"},
    {"hostname", "domain", "Network activity"},
    {"url", "url", "Network activity"},
    {"email-src", "email", "Payload delivery"},
    {"email", "email", "Payload delivery"},
    {"email-dst", "email", "Payload delivery"},
    {"filename", "filename", "Payload delivery"},
    {"AS", "asn", "Network activity"},
    {"vulnerability", "cve", "External analysis"},
};
#define HASH_CATEGORY "Payload delivery"

/* Attribute types that are text about the event, not observables. */
static const char *const text_types[] = {"text", "comment", "other", "link"};

/* A MISP number from min to max: a JSON number or a string of digits; -1 if
 * absent, -2 (and an error naming PATH.name) if it is something else. */
static long
misp_num(ix_ctx *c, const cJSON *o, const char *name, long min, long max, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    char q[80], p[IX_PATH];
    long n = -1;

    if (!v || cJSON_IsNull(v))
        return -1;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= (double)max &&
        v->valuedouble == (double)(long)v->valuedouble)
        n = (long)v->valuedouble;
    else if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < 6 &&
             strspn(v->valuestring, "0123456789") == strlen(v->valuestring))
        n = strtol(v->valuestring, NULL, 10);
    if (n < min || n > max) {
        ix_error(c, ix_path(p, "%s.%s", path, name), "%s is not a number from %ld to %ld",
                 cJSON_IsString(v) ? ix_quote(v->valuestring, q) : "the value", min, max);
        return -2;
    }
    return n;
}

/* A MISP boolean: true/false, 1/0, "1"/"0", "true"/"false". */
static bool
misp_bool(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return strcmp(v->valuestring, "1") == 0 || strcasecmp(v->valuestring, "true") == 0;
    return false;
}

typedef struct misp_in {
    ix_ctx *c;
    ix_incident *inc;
    cf_buf description;
    bool description_too_long;
} misp_in;

static void
describe(misp_in *m, const char *prefix, const char *text)
{
    if (m->description.len && cf_buf_append_str(&m->description, "\n\n") != CF_OK)
        m->c->nomem = true;
    if ((prefix && cf_buf_append_str(&m->description, prefix) != CF_OK) ||
        cf_buf_append_str(&m->description, text) != CF_OK)
        m->c->nomem = true;
}

/* The strictest TLP tag of a tag list, raising the incident's (path: the
 * owner of the list, an attribute or an object). */
static void
tlp_tags(misp_in *m, const cJSON *tags, const char *path)
{
    const cJSON *t;
    char p[IX_PATH], q[80];
    size_t k = 0;

    cJSON_ArrayForEach(t, tags)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "name"));
        int level = name ? ix_tag_tlp(name) : -1;
        ix_path(p, "%s.Tag[%zu].name", path, k++);
        if (level == -2)
            ix_error(m->c, p, "%s is not a TLP level", ix_quote(name, q));
        else if (level > 0)
            ix_tlp_raise(m->inc, level, path);
    }
}

static void
attribute(misp_in *m, const cJSON *a, const char *path)
{
    char p[IX_PATH], q[80];
    const char *type, *value, *comment;
    bool to_block;

    if (!cJSON_IsObject(a)) {
        ix_error(m->c, path, "an attribute must be an object");
        return;
    }
    if (misp_bool(cJSON_GetObjectItemCaseSensitive(a, "deleted")))
        return;
    type = ix_str(m->c, a, "type", IX_SHORT, path);
    value = ix_str(m->c, a, "value", IX_TEXT, path);
    comment = ix_str(m->c, a, "comment", IX_TEXT, path);
    if (!type || !value) {
        if (!cJSON_GetObjectItemCaseSensitive(a, type ? "value" : "type"))
            ix_error(m->c, ix_path(p, "%s.%s", path, type ? "value" : "type"),
                     "an attribute needs a type and a value");
        return;
    }
    tlp_tags(m, cJSON_GetObjectItemCaseSensitive(a, "Tag"), path);
    to_block = misp_bool(cJSON_GetObjectItemCaseSensitive(a, "to_ids"));
    ix_path(p, "%s.value", path);
    if (strcmp(type, "other") == 0 && comment && strncmp(comment, "certfed:", 8) == 0 &&
        comment[8]) {
        /* what certfed exported with no MISP type comes back as it was */
        ix_obs_add(m->c, m->inc, comment + 8, value, to_block, p);
        return;
    }
    for (size_t k = 0; k < CF_ARRAY_LEN(text_types); k++) {
        if (strcmp(type, text_types[k]) != 0)
            continue;
        describe(m, strcmp(type, "link") == 0 ? "Reference: " : NULL, value);
        return;
    }
    for (size_t k = 0; k < CF_ARRAY_LEN(attr_types); k++) {
        if (strcmp(type, attr_types[k].misp) == 0) {
            ix_obs_add(m->c, m->inc, attr_types[k].type, value, to_block, p);
            return;
        }
    }
    for (size_t k = 0; k < ix_n_hashes; k++) {
        if (strcmp(type, ix_hashes[k].misp) == 0) {
            ix_obs_add(m->c, m->inc, ix_hashes[k].type, value, to_block, p);
            return;
        }
    }
    ix_error(m->c, ix_path(p, "%s.type", path),
             "%s is not a MISP type certfed maps (ip-src, ip-dst, domain, hostname, url, email, "
             "email-src, email-dst, md5, sha1, sha256, sha512, sha3-256, sha3-512, ssdeep, tlsh, "
             "filename, AS, vulnerability; text, comment, other and link go to the description)",
             ix_quote(type, q));
}

static void
attributes(misp_in *m, const cJSON *list, const char *path)
{
    const cJSON *a;
    char p[IX_PATH];
    size_t k = 0;

    if (list && !cJSON_IsArray(list)) {
        ix_error(m->c, path, "not a list");
        return;
    }
    cJSON_ArrayForEach(a, list)
    {
        ix_path(p, "%s[%zu]", path, k++);
        attribute(m, a, p);
    }
}

static void
event(ix_ctx *c, const cJSON *e, const char *path, cJSON *out)
{
    static const int threat_to_severity[5] = {-1, 4, 3, 2, -1}; /* 1 high .. 4 undefined */
    static const int analysis_to_status[3] = {1, 2, 4};         /* initial, ongoing, completed */
    ix_incident inc;
    misp_in m;
    const cJSON *tags, *t, *objects, *o, *orgc;
    const char *uuid, *date, *creator = NULL;
    char p[IX_PATH], q[80], prefix[IX_SHORT];
    long threat, analysis, distribution;
    int64_t ms;
    size_t k = 0;

    if (!cJSON_IsObject(e)) {
        ix_error(c, path, "an event must be an object");
        return;
    }
    if (!ix_incident_init(&inc, path)) {
        c->nomem = true;
        return;
    }
    memset(&m, 0, sizeof(m));
    m.c = c;
    m.inc = &inc;
    cf_buf_init(&m.description);
    size_t errors = c->n_errors;
    const char *info = ix_str(c, e, "info", IX_SHORT, path);
    if ((!info || !info[0]) && c->n_errors == errors)
        ix_error(c, ix_path(p, "%s.info", path), "an event needs its info (the title)");
    ix_set_str(&inc, "title", info);
    uuid = ix_str(c, e, "uuid", IX_SHORT, path);
    if (uuid && !ix_uuid_ok(uuid)) {
        ix_error(c, ix_path(p, "%s.uuid", path), "%s is not a UUID", ix_quote(uuid, q));
        uuid = NULL;
    }
    date = ix_str(c, e, "date", 64, path);
    if (date && !ix_time_parse(date, &ms))
        ix_error(c, ix_path(p, "%s.date", path), "%s is not a date (YYYY-MM-DD)",
                 ix_quote(date, q));
    else if (date)
        cJSON_AddNumberToObject(inc.report, "detected_ms", (double)ms);
    orgc = cJSON_GetObjectItemCaseSensitive(e, "Orgc");
    if (orgc)
        creator = ix_str(c, orgc, "name", IX_TEXT, ix_path(p, "%s.Orgc", path));
    tags = cJSON_GetObjectItemCaseSensitive(e, "Tag");
    if (tags && !cJSON_IsArray(tags))
        ix_error(c, ix_path(p, "%s.Tag", path), "not a list");
    cJSON_ArrayForEach(t, tags)
    {
        ix_path(p, "%s.Tag[%zu]", path, k++);
        const char *name = ix_str(c, t, "name", IX_SHORT * 2, p);
        if (name)
            ix_tag(c, &inc, name, ix_path(p, "%s.Tag[%zu].name", path, k - 1));
        else if (!cJSON_IsObject(t) || !cJSON_GetObjectItemCaseSensitive(t, "name"))
            ix_error(c, p, "a tag needs a name");
    }
    /* the threat level and analysis when no tag said better */
    threat = misp_num(c, e, "threat_level_id", 1, 4, path);
    if (threat > 0 && !inc.has_severity_tag && threat_to_severity[threat] >= 0)
        ix_set_str(&inc, "severity", ix_severity_names[threat_to_severity[threat]]);
    analysis = misp_num(c, e, "analysis", 0, 2, path);
    if (analysis >= 0 && !inc.has_status_tag)
        ix_set_str(&inc, "status", ix_status_names[analysis_to_status[analysis]]);
    distribution = misp_num(c, e, "distribution", 0, 5, path);
    attributes(&m, cJSON_GetObjectItemCaseSensitive(e, "Attribute"),
               ix_path(p, "%s.Attribute", path));
    objects = cJSON_GetObjectItemCaseSensitive(e, "Object");
    if (objects && !cJSON_IsArray(objects))
        ix_error(c, ix_path(p, "%s.Object", path), "not a list");
    k = 0;
    cJSON_ArrayForEach(o, objects)
    {
        char op[IX_PATH];
        ix_path(op, "%s.Object[%zu]", path, k++);
        if (!cJSON_IsObject(o)) {
            ix_error(c, op, "an object must be an object");
            continue;
        }
        if (misp_bool(cJSON_GetObjectItemCaseSensitive(o, "deleted")))
            continue;
        tlp_tags(&m, cJSON_GetObjectItemCaseSensitive(o, "Tag"), op);
        attributes(&m, cJSON_GetObjectItemCaseSensitive(o, "Attribute"),
                   ix_path(p, "%s.Attribute", op));
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "Galaxy")) > 0)
        ix_note(c, ix_path(p, "%s.Galaxy", path),
                "galaxy clusters have no place in a certfed incident; not imported");
    if (m.description.len > IX_TEXT)
        ix_error(c, path,
                 "its text attributes make a description of %zu bytes, more than the %d a "
                 "certfed incident takes",
                 m.description.len, IX_TEXT);
    else if (m.description.len)
        ix_set_str(&inc, "description", (const char *)m.description.data);
    if (inc.tlp == IX_TLP_NONE && distribution == 0) {
        ix_tlp_raise(&inc, IX_TLP_AMBER_STRICT, NULL);
        ix_note(c, path,
                "no TLP tag; distribution 0 (your organisation only) is taken as "
                "TLP:AMBER+STRICT");
    }
    if (uuid)
        snprintf(prefix, sizeof(prefix), "misp event %s", uuid);
    else
        snprintf(prefix, sizeof(prefix), "misp event");
    ix_set_source(&inc, prefix, creator);
    ix_incident_finish(c, &inc, out);
    ix_incident_clear(&inc);
    cf_buf_clear(&m.description);
}

cf_status
ix_misp_import(ix_ctx *c, const cJSON *doc, cJSON *incidents)
{
    const cJSON *list = NULL, *x;
    char p[IX_PATH];
    size_t k = 0;

    if (cJSON_IsObject(doc) && cJSON_GetObjectItemCaseSensitive(doc, "Event")) {
        event(c, cJSON_GetObjectItemCaseSensitive(doc, "Event"), "Event", incidents);
        return c->nomem ? CF_E_NOMEM : CF_OK;
    }
    if (cJSON_IsObject(doc))
        list = cJSON_GetObjectItemCaseSensitive(doc, "response");
    else if (cJSON_IsArray(doc))
        list = doc;
    if (!cJSON_IsArray(list)) {
        ix_error(c, "document",
                 "a MISP document is {\"Event\": {...}}, {\"response\": [{\"Event\": "
                 "...}, ...]} or a list of {\"Event\": ...}");
        return CF_E_MALFORMED;
    }
    cJSON_ArrayForEach(x, list)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(x, "Event");
        if (list == doc)
            ix_path(p, "[%zu].Event", k++);
        else
            ix_path(p, "response[%zu].Event", k++);
        if (!e)
            ix_error(c, p, "each entry needs its Event");
        else
            event(c, e, p, incidents);
    }
    if (k == 0)
        ix_error(c, list == doc ? "document" : "response", "no event in the document");
    return c->nomem ? CF_E_NOMEM : CF_OK;
}

/* ---- export -----------------------------------------------------------------------------------
 */

static void
add_tag(cJSON *tags, const char *name)
{
    cJSON *t = cJSON_CreateObject();

    cJSON_AddStringToObject(t, "name", name);
    cJSON_AddItemToArray(tags, t);
}

static void
add_attribute(cJSON *attrs, const ix_export_incident *e, const char *type, const char *category,
              const char *value, bool to_ids, const char *comment)
{
    cJSON *a = cJSON_CreateObject();
    char uuid[37];

    ix_uuid("misp-attribute", e->id, type, value, uuid);
    cJSON_AddStringToObject(a, "uuid", uuid);
    cJSON_AddStringToObject(a, "type", type);
    cJSON_AddStringToObject(a, "category", category);
    cJSON_AddStringToObject(a, "value", value);
    cJSON_AddBoolToObject(a, "to_ids", to_ids);
    cJSON_AddStringToObject(a, "distribution", "5"); /* as the event */
    cJSON_AddStringToObject(a, "comment", comment ? comment : "");
    cJSON_AddItemToArray(attrs, a);
}

static cJSON *
export_event(const ix_export_incident *e)
{
    /* severity 0..5 to MISP threat level (proto/certfed.proto): 4 is undefined */
    static const char *const threat[6] = {"4", "4", "3", "2", "1", "1"};
    static const char *const analysis[6] = {"0", "0", "1", "1", "2", "2"};
    static const char *const distribution[6] = {"1", "3", "2", "1", "0", "0"};
    cJSON *wrap = cJSON_CreateObject(), *ev, *tags, *attrs, *names, *orgc;
    const cJSON *x, *n;
    char uuid[37], date[11] = "", ts[24] = "0", comment[IX_SHORT + 16];
    const char *when = e->detected ? e->detected : e->reported;
    int64_t ms;

    ev = cJSON_AddObjectToObject(wrap, "Event");
    ix_uuid("misp-event", e->id, NULL, NULL, uuid);
    cJSON_AddStringToObject(ev, "uuid", uuid);
    cJSON_AddStringToObject(ev, "info", e->title);
    if (when && ix_time_parse(when, &ms)) {
        char full[32];
        ix_time_format(ms, full);
        memcpy(date, full, 10);
        date[10] = 0;
        cJSON_AddStringToObject(ev, "date", date);
    }
    if (e->updated && ix_time_parse(e->updated, &ms))
        snprintf(ts, sizeof(ts), "%lld", (long long)(ms / 1000));
    cJSON_AddStringToObject(ev, "timestamp", ts);
    cJSON_AddStringToObject(ev, "threat_level_id", e->severity >= 0 ? threat[e->severity] : "4");
    cJSON_AddStringToObject(ev, "analysis", analysis[e->status]);
    cJSON_AddStringToObject(ev, "distribution", distribution[e->tlp]);
    cJSON_AddBoolToObject(ev, "published", false);
    if (e->owner) {
        orgc = cJSON_AddObjectToObject(ev, "Orgc");
        ix_uuid("organisation", e->owner, NULL, NULL, uuid);
        cJSON_AddStringToObject(orgc, "name", e->owner);
        cJSON_AddStringToObject(orgc, "uuid", uuid);
    }
    tags = cJSON_AddArrayToObject(ev, "Tag");
    names = cJSON_CreateArray();
    ix_export_tags(e, true, names);
    cJSON_ArrayForEach(n, names) add_tag(tags, n->valuestring);
    cJSON_Delete(names);
    attrs = cJSON_AddArrayToObject(ev, "Attribute");
    if (e->description)
        add_attribute(attrs, e, "text", "Other", e->description, false, "description");
    cJSON_ArrayForEach(x, e->observables)
    {
        const char *type = cJSON_GetObjectItemCaseSensitive(x, "type")->valuestring;
        const char *value = cJSON_GetObjectItemCaseSensitive(x, "value")->valuestring;
        bool block = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block"));
        const ix_hash *h = ix_hash_of(type, value);
        char asn[16];
        bool done = false;
        if (h) {
            add_attribute(attrs, e, h->misp, HASH_CATEGORY, value, block, NULL);
            continue;
        }
        for (size_t k = 0; !done && k < CF_ARRAY_LEN(attr_types); k++) {
            if (strcmp(attr_types[k].type, type) != 0)
                continue;
            if (strcmp(type, "asn") == 0) {
                uint32_t number;
                if (!ix_asn_parse(value, asn, &number))
                    break;
                snprintf(asn, sizeof(asn), "%u", number); /* MISP keeps AS numbers bare */
                add_attribute(attrs, e, attr_types[k].misp, attr_types[k].category, asn, block,
                              NULL);
            } else {
                add_attribute(attrs, e, attr_types[k].misp, attr_types[k].category, value, block,
                              NULL);
            }
            done = true;
        }
        if (done)
            continue;
        /* no MISP type for it: "other", with certfed's type in the comment */
        snprintf(comment, sizeof(comment), "certfed:%s", type);
        add_attribute(attrs, e, "other", "Other", value, block, comment);
    }
    return wrap;
}

cf_status
cf_ix_export_misp(const cJSON *incidents, cJSON **out, char *err, size_t errlen)
{
    size_t n = (size_t)cJSON_GetArraySize(incidents), k = 0;
    const cJSON *j;
    cJSON *doc = NULL, *list = NULL;
    ix_export_incident e;
    cf_status st;

    if (!cJSON_IsArray(incidents)) {
        snprintf(err, errlen, "the incidents are not a list");
        return CF_E_MALFORMED;
    }
    if (n != 1) {
        doc = cJSON_CreateObject();
        list = cJSON_AddArrayToObject(doc, "response");
    }
    cJSON_ArrayForEach(j, incidents)
    {
        st = ix_export_read(j, k++, &e, err, errlen);
        if (st != CF_OK) {
            cJSON_Delete(doc);
            return st;
        }
        cJSON *ev = export_event(&e);
        if (n == 1)
            doc = ev;
        else
            cJSON_AddItemToArray(list, ev);
    }
    if (!doc) {
        snprintf(err, errlen, "out of memory");
        return CF_E_NOMEM;
    }
    *out = doc;
    return CF_OK;
}
