/*
 * fuzz_interchange.c - libFuzzer target for `certfed incident import`'s
 * reader (node/cli/interchange.c, stix.c, misp.c): a STIX 2.1 bundle or MISP
 * event from another CERT or a feed, any bytes. Whatever it maps must hold
 * what the node takes (titles, strings valid UTF-8, within its limits), and
 * must survive a round trip: the incidents as the node would answer them,
 * exported in both formats, import again to the same fields. Anything else
 * aborts.
 */
#include "node/cli/interchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1773000000000LL

static const char *
s(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
str_ok(const char *v, size_t max)
{
    return !v || (strlen(v) <= max);
}

/* What the node would answer for a report: its defaults filled in. */
static cJSON *
as_node_incident(const cJSON *rep, size_t k)
{
    cJSON *o = cJSON_Duplicate(rep, true);
    char id[32];
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(rep, "detected_ms");

    snprintf(id, sizeof(id), "fuzz-%zu", k + 1);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "owner", "fuzz");
    if (!s(o, "severity"))
        cJSON_AddStringToObject(o, "severity", "medium");
    if (!s(o, "tlp"))
        cJSON_AddStringToObject(o, "tlp", "amber");
    if (!s(o, "status"))
        cJSON_AddStringToObject(o, "status", "new");
    cJSON_AddStringToObject(o, "reported", "2026-03-08T20:00:00.000Z");
    cJSON_AddStringToObject(o, "updated", "2026-03-08T21:00:00.000Z");
    if (cJSON_IsNumber(d)) {
        /* as the node formats times */
        char t[40];
        long long ms = (long long)d->valuedouble;
        time_t sec = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03dZ", (int)(ms % 1000));
        cJSON_AddStringToObject(o, "detected", t);
    }
    return o;
}

static void
same(const cJSON *want, const cJSON *got, bool stix)
{
    static const char *const fields[] = {"title",     "description", "severity",
                                         "tlp",       "status",      "rsit_class",
                                         "rsit_type", "sector",      "province"};

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *a = s(want, fields[i]), *b = s(got, fields[i]);
        if ((a && !b) || (!a && b) || (a && strcmp(a, b) != 0))
            abort();
    }
    if (stix) {
        const cJSON *a = cJSON_GetObjectItem(want, "confidence");
        const cJSON *b = cJSON_GetObjectItem(got, "confidence");
        if (!a != !b || (a && a->valuedouble != b->valuedouble))
            abort();
    }
    /* every observable came back (the set may shrink when two spellings
     * meet, as "hash" and "md5" of one value) */
    if (cJSON_GetArraySize(cJSON_GetObjectItem(got, "observables")) >
        cJSON_GetArraySize(cJSON_GetObjectItem(want, "observables")))
        abort();
}

static void
round_trip(const cJSON *incidents, cf_ix_format f)
{
    cJSON *doc = NULL;
    cf_ix_import_result r;
    char err[256], *text;
    cf_status st = f == CF_IX_STIX ? cf_ix_export_stix(incidents, &doc, err, sizeof(err))
                                   : cf_ix_export_misp(incidents, &doc, err, sizeof(err));

    if (st != CF_OK)
        abort();
    text = cJSON_PrintUnformatted(doc);
    if (!text)
        abort();
    st = cf_ix_import(text, strlen(text), f, NOW_MS, &r);
    if (st != CF_OK || cJSON_GetArraySize(r.incidents) != cJSON_GetArraySize(incidents))
        abort();
    for (int k = 0; k < cJSON_GetArraySize(incidents); k++)
        same(cJSON_GetArrayItem(incidents, k),
             cJSON_GetObjectItem(cJSON_GetArrayItem(r.incidents, k), "report"), f == CF_IX_STIX);
    cf_ix_import_result_clear(&r);
    free(text);
    cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_ix_import_result r;
    cf_status st = cf_ix_import((const char *)data, size, CF_IX_AUTO, NOW_MS, &r);
    const cJSON *x;
    cJSON *incidents;
    size_t k = 0;

    if (st == CF_E_NOMEM)
        return 0;
    if (st != CF_OK) {
        /* a refusal says why, and maps nothing */
        if (cJSON_GetArraySize(r.errors) == 0 || cJSON_GetArraySize(r.incidents) != 0)
            abort();
        cf_ix_import_result_clear(&r);
        return 0;
    }
    if (cJSON_GetArraySize(r.errors) != 0 || cJSON_GetArraySize(r.incidents) == 0)
        abort();
    incidents = cJSON_CreateArray();
    cJSON_ArrayForEach(x, r.incidents)
    {
        const cJSON *rep = cJSON_GetObjectItem(x, "report"), *o;
        const char *title = s(rep, "title");
        if (!s(x, "where") || !title || !title[0] || strlen(title) > 256 ||
            !str_ok(s(rep, "description"), 64 * 1024) || !str_ok(s(rep, "source"), 256) ||
            cJSON_GetArraySize(cJSON_GetObjectItem(rep, "observables")) > 1024)
            abort();
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(rep, "observables"))
        {
            if (!s(o, "type") || !s(o, "value") || !s(o, "value")[0])
                abort();
        }
        cJSON_AddItemToArray(incidents, as_node_incident(rep, k++));
    }
    round_trip(incidents, CF_IX_STIX);
    round_trip(incidents, CF_IX_MISP);
    cJSON_Delete(incidents);
    cf_ix_import_result_clear(&r);
    return 0;
}
