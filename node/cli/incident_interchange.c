/*
 * incident_interchange.c - `certfed incident import FILE` and `certfed
 * incident export [ID...]`: STIX 2.1 bundles and MISP events to and from the
 * node's incidents. The mapping is interchange.c's (pure); this file reads
 * and writes files and asks the node with the requests `incident report`,
 * `list` and `show` use, so an imported incident is signed, stored, sealed
 * (TLP:AMBER+STRICT, RED) and sent like any report, and an export holds what
 * `incident show` shows: a sealed incident only where it can be read.
 *
 * Import checks the whole document before it sends anything: one field it
 * cannot map and nothing is sent. The node may still refuse a report (its
 * outbox full, a TLP:RED incident with no recipient); then the import stops
 * there and says which incidents were made.
 */
#include "node/cli/client.h"
#include "node/cli/interchange.h"
#include "node/cli/progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Fewer incidents than this are reported without a progress line. */
#define PROGRESS_MIN 10
/* A failed import names at most this many of the incidents it made. */
#define NAMED_MAX 10

/* The document: a file, or standard input for "-"; at most CF_IX_MAX_DOCUMENT
 * bytes. */
static int
read_document(const char *path, char **out, size_t *out_len)
{
    uint8_t *data = NULL;
    size_t len = 0;
    cf_status st;

    if (strcmp(path, "-") != 0) {
        st = cf_file_read(path, CF_IX_MAX_DOCUMENT, &data, &len);
        if (st == CF_E_OVERSIZE)
            return cli_fail("%s: larger than %u MiB, more than an import reads (split it)", path,
                            CF_IX_MAX_DOCUMENT >> 20);
        if (st == CF_E_NOT_FOUND)
            return cli_fail("%s: no such file", path);
        if (st != CF_OK)
            return cli_fail("%s: %s", path, cli_reason(st));
        *out = (char *)data;
        *out_len = len;
        return CLI_OK;
    }
    cf_buf b;
    cf_buf_init(&b);
    for (;;) {
        char chunk[65536];
        ssize_t r = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cf_buf_clear(&b);
            return cli_fail("standard input: %s", strerror(errno));
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > CF_IX_MAX_DOCUMENT) {
            cf_buf_clear(&b);
            return cli_fail("standard input: larger than %u MiB, more than an import reads "
                            "(split it)",
                            CF_IX_MAX_DOCUMENT >> 20);
        }
        if (cf_buf_append(&b, chunk, (size_t)r) != CF_OK) {
            cf_buf_clear(&b);
            return cli_fail("out of memory");
        }
    }
    if (cf_buf_reserve(&b, 0) != CF_OK)
        return cli_fail("out of memory");
    b.data[b.len] = 0;
    *out_len = b.len;
    *out = (char *)cf_buf_steal(&b, NULL);
    return CLI_OK;
}

static const char *
format_label(cf_ix_format f)
{
    return f == CF_IX_STIX ? "STIX 2.1" : "MISP";
}

static bool
sealed(const cJSON *report)
{
    const char *tlp = cli_s(report, "tlp");

    return strcmp(tlp, "amber+strict") == 0 || strcmp(tlp, "red") == 0;
}

static void
print_item(const char *id, const cJSON *entry)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(entry, "report");
    const char *tlp = cli_s(r, "tlp");

    printf("  %-16s %-30s TLP:%-13s %s\n", id, cli_s(entry, "where"),
           tlp[0] ? tlp : "amber (default)", cli_s(r, "title"));
}

/* The incidents made before a refusal, for the message: "a, b, c and 4 more". */
static void
made_list(const cJSON *made, char *out, size_t len)
{
    const cJSON *x;
    size_t n = 0, used = 0, total = (size_t)cJSON_GetArraySize(made);

    out[0] = 0;
    cJSON_ArrayForEach(x, made)
    {
        if (n == NAMED_MAX) {
            snprintf(out + used, len - used, " and %zu more", total - n);
            return;
        }
        int w = snprintf(out + used, len - used, "%s%s", n ? ", " : "", x->valuestring);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
        n++;
    }
}

/* --format, if given, into *fmt (left as it is otherwise). */
static int
format_option(const cJSON *args, cf_ix_format *fmt)
{
    if (cJSON_GetObjectItem(args, "format") &&
        cf_ix_format_parse(cli_s(args, "format"), fmt) != CF_OK)
        return cli_usage(cli_incident_usage, "unknown format '%s' (stix or misp)",
                         cli_s(args, "format"));
    return CLI_OK;
}

int
cli_incident_import(int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"format", CLI_STR, "format"},
        {"to", CLI_LIST, "to"},
        {"dry-run", CLI_FALSE, "dry_run"}, /* present: do not send */
    };
    cJSON *args = cJSON_CreateObject(), *out_json = NULL, *made = NULL;
    cf_ix_import_result r;
    cf_ix_format fmt = CF_IX_AUTO;
    cli_common c;
    char *text = NULL;
    size_t len = 0, total;
    const cJSON *x, *to;
    const char *file;
    bool dry, progress_on;
    cf_progress pr;
    cf_status st;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = cli_parse(argc, argv, opts, CF_ARRAY_LEN(opts), cli_incident_usage, args, &c);
    if (rc == CLI_OK && c.n_positional != 1)
        rc = cli_usage(cli_incident_usage, "incident import takes one argument (the file, or - "
                                           "for standard input)");
    if (rc == CLI_OK)
        rc = format_option(args, &fmt);
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    file = c.positional[0];
    dry = cJSON_GetObjectItemCaseSensitive(args, "dry_run") != NULL;
    to = cJSON_GetObjectItemCaseSensitive(args, "to");
    rc = read_document(file, &text, &len);
    if (rc != CLI_OK)
        goto out;
    st = cf_ix_import(text, len, fmt, cf_clock_now_ms(), &r);
    if (st == CF_E_NOMEM) {
        rc = cli_fail("out of memory");
        goto out;
    }
    if (st != CF_OK) {
        if (r.n_errors == 1) {
            rc = cli_fail("%s: %s; nothing was imported", file, r.errors->child->valuestring);
        } else {
            cJSON_ArrayForEach(x, r.errors) fprintf(stderr, "  %s\n", x->valuestring);
            rc = cli_fail("%s: %zu problems (above), the first: %s; nothing was imported", file,
                          r.n_errors, r.errors->child->valuestring);
        }
        goto out;
    }
    if (!c.json)
        cJSON_ArrayForEach(x, r.notes) fprintf(stderr, "note: %s: %s\n", file, x->valuestring);
    total = (size_t)cJSON_GetArraySize(r.incidents);
    if (dry) {
        if (c.json) {
            out_json = cJSON_CreateObject();
            cJSON_AddStringToObject(out_json, "format", cf_ix_format_name(r.format));
            cJSON_AddItemToObject(out_json, "would_import", r.incidents);
            cJSON_AddItemToObject(out_json, "notes", r.notes);
            r.incidents = r.notes = NULL;
            rc = cli_print_json(out_json);
            out_json = NULL;
            goto out;
        }
        printf("%s (%s) would import %zu incident%s; nothing was sent:\n", file,
               format_label(r.format), total, total == 1 ? "" : "s");
        cJSON_ArrayForEach(x, r.incidents) print_item("-", x);
        rc = CLI_OK;
        goto out;
    }
    /* send them, each as `incident report` would. The sealed ones go first:
     * a node that cannot seal (no parent, a --to that is no ancestor)
     * refuses the first of them, before anything else was sent. */
    made = cJSON_CreateArray();
    progress_on = total >= PROGRESS_MIN;
    if (progress_on)
        cf_progress_begin(&pr, stderr, isatty(STDERR_FILENO), "importing", "incidents", total);
    size_t k = 0;
    bool offline = false;
    for (int pass = 0; pass < 2; pass++) {
        cJSON_ArrayForEach(x, r.incidents)
        {
            cJSON *entry = (cJSON *)x, *res = NULL, *report;
            char err[1024], names[512];
            if (sealed(cJSON_GetObjectItemCaseSensitive(x, "report")) != (pass == 0))
                continue;
            report = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(x, "report"), true);
            if (to && sealed(report))
                cJSON_AddItemToObject(report, "to", cJSON_Duplicate(to, true));
            if (cli_request_quiet(&c, "incident.report", report, &res, err, sizeof(err)) !=
                CLI_OK) {
                if (progress_on)
                    cf_progress_interrupt(&pr);
                made_list(made, names, sizeof(names));
                if (k == 0)
                    rc = cli_fail("%s: the node refused the incident at %s: %s; nothing was "
                                  "imported",
                                  file, cli_s(x, "where"), err);
                else
                    rc = cli_fail("%s: the node refused the incident at %s (the %zu. of %zu "
                                  "sent): %s; the %zu before it were imported (%s), the rest "
                                  "were not",
                                  file, cli_s(x, "where"), k + 1, total, err, k, names);
                goto out;
            }
            cJSON_AddStringToObject(entry, "id", cli_s(res, "id"));
            cJSON_AddStringToObject(entry, "message_id", cli_s(res, "message_id"));
            bool sent = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "sent"));
            offline |= !sent;
            cJSON_AddBoolToObject(entry, "sent", sent);
            cJSON_AddItemToArray(made, cJSON_CreateString(cli_s(res, "id")));
            cJSON_Delete(res);
            k++;
            if (progress_on)
                cf_progress_update(&pr, k, cf_progress_now_ms());
        }
    }
    if (progress_on)
        cf_progress_end(&pr);
    if (to && !dry) {
        bool any = false;
        cJSON_ArrayForEach(x, r.incidents) any |= sealed(cJSON_GetObjectItem(x, "report"));
        if (!any && !c.json)
            fprintf(stderr,
                    "note: --to names recipients of TLP:AMBER+STRICT and RED incidents; "
                    "%s has none\n",
                    file);
    }
    if (c.json) {
        cJSON *list;
        out_json = cJSON_CreateObject();
        cJSON_AddStringToObject(out_json, "format", cf_ix_format_name(r.format));
        list = cJSON_AddArrayToObject(out_json, "imported");
        cJSON_ArrayForEach(x, r.incidents)
        {
            const cJSON *rep = cJSON_GetObjectItemCaseSensitive(x, "report");
            cJSON *item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "id", cli_s(x, "id"));
            cJSON_AddStringToObject(item, "where", cli_s(x, "where"));
            cJSON_AddStringToObject(item, "title", cli_s(rep, "title"));
            cJSON_AddStringToObject(item, "tlp",
                                    cli_s(rep, "tlp")[0] ? cli_s(rep, "tlp") : "amber");
            cJSON_AddStringToObject(item, "source", cli_s(rep, "source"));
            cJSON_AddStringToObject(item, "message_id", cli_s(x, "message_id"));
            cJSON_AddItemToObject(item, "sent",
                                  cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(x, "sent"), 1));
            cJSON_AddItemToArray(list, item);
        }
        cJSON_AddItemToObject(out_json, "notes", r.notes);
        r.notes = NULL;
        rc = cli_print_json(out_json);
        out_json = NULL;
        goto out;
    }
    printf("imported %zu incident%s from %s (%s):\n", total, total == 1 ? "" : "s", file,
           format_label(r.format));
    cJSON_ArrayForEach(x, r.incidents) print_item(cli_s(x, "id"), x);
    if (offline)
        printf("the node is offline: they are sent when the link returns\n");
    rc = CLI_OK;
out:
    free(text);
    cJSON_Delete(args);
    cJSON_Delete(made);
    cJSON_Delete(out_json);
    cf_ix_import_result_clear(&r);
    return rc;
}

int
cli_incident_export(int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"format", CLI_STR, "format"},
        {"out", CLI_STR, "out"},
        {"min-severity", CLI_STR, "min_severity"},
        {"tlp", CLI_STR, "tlp"},
        {"status", CLI_STR, "status"},
        {"sector", CLI_STR, "sector"},
        {"province", CLI_STR, "province"},
        {"determination", CLI_STR, "determination"},
    };
    cJSON *args = cJSON_CreateObject(), *incidents = NULL, *doc = NULL, *res = NULL;
    cf_ix_format fmt = CF_IX_STIX;
    cli_common c;
    char *out_path = NULL, *text = NULL, err[1024];
    size_t n_sealed = 0;
    const cJSON *x;
    cf_status st;
    int rc;

    rc = cli_parse(argc, argv, opts, CF_ARRAY_LEN(opts), cli_incident_usage, args, &c);
    if (rc == CLI_OK)
        rc = format_option(args, &fmt);
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(args, "format");
    if (cJSON_GetObjectItem(args, "out")) {
        out_path = strdup(cli_s(args, "out"));
        cJSON_DeleteItemFromObjectCaseSensitive(args, "out");
    }
    if (c.n_positional && args->child) {
        rc = cli_usage(cli_incident_usage, "incident export takes incident ids or filters, not "
                                           "both");
        goto out;
    }
    if (c.n_positional) {
        incidents = cJSON_CreateArray();
        for (int i = 0; i < c.n_positional; i++) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "id", c.positional[i]);
            if (cli_request_quiet(&c, "incident.show", a, &res, err, sizeof(err)) != CLI_OK) {
                rc = cli_fail("incident %s: %s", c.positional[i], err);
                goto out;
            }
            cJSON_AddItemToArray(incidents, res);
            res = NULL;
        }
    } else {
        rc = cli_request(&c, "incident.list", args, &incidents);
        args = NULL;
        if (rc != CLI_OK)
            goto out;
    }
    cJSON_ArrayForEach(x, incidents)
    {
        const char *tlp = cli_s(x, "tlp");
        n_sealed += strcmp(tlp, "amber+strict") == 0 || strcmp(tlp, "red") == 0;
    }
    st = fmt == CF_IX_STIX ? cf_ix_export_stix(incidents, &doc, err, sizeof(err))
                           : cf_ix_export_misp(incidents, &doc, err, sizeof(err));
    if (st != CF_OK) {
        rc = cli_fail("the node's incidents do not map: %s", err);
        goto out;
    }
    text = cJSON_Print(doc);
    if (!text) {
        rc = cli_fail("out of memory");
        goto out;
    }
    int n = cJSON_GetArraySize(incidents);
    if (!out_path) {
        puts(text);
        rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("standard output: %s", strerror(errno));
        goto out;
    }
    /* what is sealed on the federation is in clear in the file: only its
     * owner may read it */
    st = cf_file_write(out_path, text, strlen(text), n_sealed ? 0600 : 0644, false);
    if (st != CF_OK) {
        rc = cli_fail("%s: %s", out_path, cli_reason(st));
        goto out;
    }
    if (n_sealed && !c.json)
        fprintf(stderr,
                "note: %zu of the incidents are TLP:AMBER+STRICT or RED, in clear in %s "
                "(written 0600)\n",
                n_sealed, out_path);
    if (c.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "exported", n);
        cJSON_AddStringToObject(o, "format", cf_ix_format_name(fmt));
        cJSON_AddStringToObject(o, "out", out_path);
        rc = cli_print_json(o);
    } else {
        printf("exported %d incident%s to %s (%s)\n", n, n == 1 ? "" : "s", out_path,
               fmt == CF_IX_STIX ? "a STIX 2.1 bundle" : "MISP event JSON");
        rc = CLI_OK;
    }
out:
    free(out_path);
    free(text);
    cJSON_Delete(args);
    cJSON_Delete(incidents);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}
