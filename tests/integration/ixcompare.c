/*
 * ixcompare.c - for test_interchange.sh: are the incidents re-imported from
 * an export the same as the ones exported, field by mapped field?
 *
 *   cf_ixcompare stix|misp BEFORE.json AFTER.json
 *
 * BEFORE and AFTER are `certfed incident list --json` answers. Every incident
 * of BEFORE must have one in AFTER that BEFORE lacks, with the same title
 * and a source of that format ("stix incident--...", "misp event ..."), and
 * the same fields: title, description, severity, TLP, status, RSIT class and
 * type, sector, province, PAP, the determination, the constituent, the
 * links (related, duplicate of, supersedes) and the observables (type,
 * value, to block); with
 * stix also confidence, analyst and the detection time; with misp the
 * detection day, where the original had one (MISP carries no confidence or
 * analyst). Prints one line per pair; exits 0 if all are equal, 1 if not, 2
 * on bad input.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *
load(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;
    cJSON *j;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    fclose(f);
    j = cJSON_Parse(buf);
    free(buf);
    return cJSON_IsArray(j) ? j : (cJSON_Delete(j), NULL);
}

static const char *
s(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool
in_list(const cJSON *list, const char *id)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, list) if (strcmp(s(x, "id"), id) == 0) return true;
    return false;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The observables as sorted "type value block" lines, joined. */
static char *
observables(const cJSON *inc)
{
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(inc, "observables"), *x;
    size_t n = (size_t)cJSON_GetArraySize(obs), k = 0, total = 1;
    char **lines = calloc(n + 1, sizeof(*lines)), *out;

    cJSON_ArrayForEach(x, obs)
    {
        const char *t = s(x, "type"), *v = s(x, "value");
        size_t len = strlen(t) + strlen(v) + 16;
        lines[k] = malloc(len);
        snprintf(lines[k], len, "%s %s%s", t, v,
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block")) ? " block" : "");
        total += len + 2;
        k++;
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    out = calloc(1, total);
    for (k = 0; k < n; k++) {
        strcat(out, lines[k]);
        strcat(out, "; ");
        free(lines[k]);
    }
    free(lines);
    return out;
}

static int
same(const char *what, const char *a, const char *b, const cJSON *x, const cJSON *y)
{
    if (strcmp(a, b) == 0)
        return 0;
    printf("DIFF %s -> %s: %s '%s' != '%s'\n", s(x, "id"), s(y, "id"), what, a, b);
    return 1;
}

int
main(int argc, char **argv)
{
    static const char *const fields[] = {
        "title",         "description", "severity",     "tlp",       "status",
        "rsit_class",    "rsit_type",   "sector",       "province",  "pap",
        "determination", "constituent", "duplicate_of", "supersedes"};
    cJSON *before, *after;
    const cJSON *x, *y;
    bool stix;
    int diffs = 0, pairs = 0;

    if (argc != 4 || (strcmp(argv[1], "stix") != 0 && strcmp(argv[1], "misp") != 0)) {
        fprintf(stderr, "usage: cf_ixcompare stix|misp BEFORE.json AFTER.json\n");
        return 2;
    }
    stix = strcmp(argv[1], "stix") == 0;
    before = load(argv[2]);
    after = load(argv[3]);
    if (!before || !after) {
        fprintf(stderr, "cf_ixcompare: cannot read %s or %s as a JSON list\n", argv[2], argv[3]);
        return 2;
    }
    cJSON_ArrayForEach(x, before)
    {
        const cJSON *match = NULL;
        cJSON_ArrayForEach(y, after)
        {
            if (!in_list(before, s(y, "id")) && strcmp(s(y, "title"), s(x, "title")) == 0 &&
                strncmp(s(y, "source"), stix ? "stix incident--" : "misp event ", stix ? 15 : 11) ==
                    0)
                match = y;
        }
        if (!match) {
            printf("MISSING %s (%s): no re-imported incident with its title\n", s(x, "id"),
                   s(x, "title"));
            diffs++;
            continue;
        }
        y = match;
        pairs++;
        int d = 0;
        for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
            d += same(fields[k], s(x, fields[k]), s(y, fields[k]), x, y);
        char *ox = observables(x), *oy = observables(y);
        d += same("observables", ox, oy, x, y);
        free(ox);
        free(oy);
        char *rx = cJSON_PrintUnformatted(cJSON_GetObjectItem(x, "related"));
        char *ry = cJSON_PrintUnformatted(cJSON_GetObjectItem(y, "related"));
        d += same("related", rx ? rx : "", ry ? ry : "", x, y);
        free(rx);
        free(ry);
        if (stix) {
            char a[32], b[32];
            snprintf(a, sizeof(a), "%g", cJSON_GetObjectItem(x, "confidence")->valuedouble);
            snprintf(b, sizeof(b), "%g", cJSON_GetObjectItem(y, "confidence")->valuedouble);
            d += same("confidence", a, b, x, y);
            d += same("analyst", s(x, "analyst"), s(y, "analyst"), x, y);
            d += same("detected", s(x, "detected"), s(y, "detected"), x, y);
        } else if (s(x, "detected")[0]) {
            char a[11] = "", b[11] = "";
            strncpy(a, s(x, "detected"), 10);
            strncpy(b, s(y, "detected"), 10);
            d += same("detected day", a, b, x, y);
        }
        printf("%s %s -> %s (%s)\n", d ? "DIFFERENT" : "same", s(x, "id"), s(y, "id"),
               s(y, "source"));
        diffs += d;
    }
    printf("%d pairs, %d differences\n", pairs, diffs);
    cJSON_Delete(before);
    cJSON_Delete(after);
    return diffs || pairs == 0 ? 1 : 0;
}
