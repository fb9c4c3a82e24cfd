/*
 * test_cli_interchange.c - the STIX 2.1 and MISP mappings of
 * node/cli/interchange.c, both ways, field by field: the samples of
 * tests/data/interchange/ (found through CERTFED_SOURCE), every TLP level,
 * severity and status, the errors that name the field they could not map,
 * and export -> import round trips. No node, no network.
 */
#include "check.h"
#include "node/cli/interchange.h"

#include <stdlib.h>
#include <string.h>

#define NOW_MS 1773000000000LL /* 2026-03-08T20:00:00Z */

static const char *const tlp2_ids[6] = {
    NULL,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};
static const char *const tlp_names[6] = {"", "clear", "green", "amber", "amber+strict", "red"};

/* ---- helpers ------------------------------------------------------------------------- */

static char *
read_sample(const char *name, size_t *len)
{
    const char *src = getenv("CERTFED_SOURCE");
    char path[4096];
    uint8_t *data = NULL;

    if (!src) {
        fprintf(stderr, "CERTFED_SOURCE is not set (run the test through ctest)\n");
        CHECK(src != NULL);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/tests/data/interchange/%s", src, name);
    cf_status st = cf_file_read(path, CF_IX_MAX_DOCUMENT, &data, len);
    CHECK_ST(st, CF_OK);
    return (char *)data;
}

static cf_status
import_text(const char *text, cf_ix_format fmt, cf_ix_import_result *r)
{
    return cf_ix_import(text, strlen(text), fmt, NOW_MS, r);
}

static const char *
s(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const cJSON *
report(const cf_ix_import_result *r, int k)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r->incidents, k), "report");
}

/* The observable (type, value) of a report, with its to_block; false if absent. */
static bool
has_obs(const cJSON *rep, const char *type, const char *value, bool to_block)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rep, "observables"))
    {
        if (strcmp(s(x, "type"), type) == 0 && strcmp(s(x, "value"), value) == 0)
            return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block")) == to_block;
    }
    fprintf(stderr, "  no observable %s %s\n", type, value);
    return false;
}

/* Whether one of a list of strings contains want. */
static bool
list_has(const cJSON *list, const char *want)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, list) if (strstr(x->valuestring, want)) return true;
    fprintf(stderr, "  no line with \"%s\" in:\n", want);
    cJSON_ArrayForEach(x, list) fprintf(stderr, "    %s\n", x->valuestring);
    return false;
}

/* The first object of a bundle with this type (and this property equal to value). */
static const cJSON *
find_obj(const cJSON *bundle, const char *type, const char *prop, const char *value)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(bundle, "objects"))
    {
        if (strcmp(s(o, "type"), type) != 0)
            continue;
        if (!prop || (s(o, prop) && strcmp(s(o, prop), value) == 0))
            return o;
    }
    return NULL;
}

static bool
str_in_array(const cJSON *a, const char *want)
{
    const cJSON *x;

    cJSON_ArrayForEach(x,
                       a) if (cJSON_IsString(x) && strcmp(x->valuestring, want) == 0) return true;
    return false;
}

static bool
misp_tag(const cJSON *event, const char *name)
{
    const cJSON *t;

    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
                              event, "Tag")) if (strcmp(s(t, "name"), name) == 0) return true;
    return false;
}

static const cJSON *
misp_attr(const cJSON *event, const char *type, const char *value)
{
    const cJSON *a;

    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(event, "Attribute"))
    {
        if (strcmp(s(a, "type"), type) == 0 && strcmp(s(a, "value"), value) == 0)
            return a;
    }
    fprintf(stderr, "  no MISP attribute %s %s\n", type, value);
    return NULL;
}

/* An incident as the node answers incident.show. */
static cJSON *
node_incident(const char *id, const char *tlp, const char *severity, const char *status)
{
    static const char base[] =
        "{\"id\":\"\",\"revision\":2,\"title\":\"Phishing wave against bank customers\","
        "\"description\":\"Lure mails with a fake login page.\\nSecond line.\","
        "\"severity\":\"\",\"tlp\":\"\",\"status\":\"\",\"rsit_class\":\"fraud\","
        "\"rsit_type\":\"phishing\",\"confidence\":85,\"owner\":\"banking\","
        "\"analyst\":\"a.khan\",\"sector\":\"banking\",\"province\":\"punjab\","
        "\"detected\":\"2026-03-02T06:55:00.000Z\",\"reported\":\"2026-03-02T07:12:00.000Z\","
        "\"updated\":\"2026-03-02T09:00:00.000Z\",\"note\":\"\",\"source\":\"\","
        "\"observables\":["
        "{\"type\":\"ip\",\"value\":\"203.0.113.7\",\"to_block\":true},"
        "{\"type\":\"ip\",\"value\":\"2001:db8::7\",\"to_block\":false},"
        "{\"type\":\"domain\",\"value\":\"secure-login-bank.example\",\"to_block\":true},"
        "{\"type\":\"url\",\"value\":\"https://secure-login-bank.example/it's\",\"to_block\":true},"
        "{\"type\":\"email\",\"value\":\"alerts@bank.example\",\"to_block\":false},"
        "{\"type\":\"sha256\",\"value\":"
        "\"5f2b7c1a9e3d4b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4c\",\"to_block\":true},"
        "{\"type\":\"md5\",\"value\":\"0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e\",\"to_block\":false},"
        "{\"type\":\"filename\",\"value\":\"invoice.js\",\"to_block\":false},"
        "{\"type\":\"asn\",\"value\":\"AS64500\",\"to_block\":false},"
        "{\"type\":\"cve\",\"value\":\"CVE-2024-3400\",\"to_block\":false},"
        "{\"type\":\"mutex\",\"value\":\"Global\\\\updsvc\",\"to_block\":true}],"
        "\"message_id\":\"00112233\"}";
    cJSON *o = cJSON_Parse(base);

    cJSON_ReplaceItemInObject(o, "id", cJSON_CreateString(id));
    cJSON_ReplaceItemInObject(o, "tlp", cJSON_CreateString(tlp));
    cJSON_ReplaceItemInObject(o, "severity", cJSON_CreateString(severity));
    cJSON_ReplaceItemInObject(o, "status", cJSON_CreateString(status));
    return o;
}

static cJSON *
one(cJSON *incident)
{
    cJSON *a = cJSON_CreateArray();

    cJSON_AddItemToArray(a, incident);
    return a;
}

/* Export incidents in fmt and import the result; the import's status. */
static cf_status
through(cf_ix_format fmt, const cJSON *incidents, cf_ix_import_result *r, cJSON **out_doc)
{
    cJSON *doc = NULL;
    char err[256], *text;
    cf_status st = fmt == CF_IX_STIX ? cf_ix_export_stix(incidents, &doc, err, sizeof(err))
                                     : cf_ix_export_misp(incidents, &doc, err, sizeof(err));

    CHECK_ST(st, CF_OK);
    if (st != CF_OK) {
        fprintf(stderr, "  export: %s\n", err);
        memset(r, 0, sizeof(*r));
        return st;
    }
    text = cJSON_PrintUnformatted(doc);
    st = cf_ix_import(text, strlen(text), CF_IX_AUTO, NOW_MS, r);
    if (st != CF_OK)
        list_has(r->errors, "(an error)");
    free(text);
    if (out_doc)
        *out_doc = doc;
    else
        cJSON_Delete(doc);
    return st;
}

/* ---- the STIX sample ------------------------------------------------------------------------ */

static void
test_stix_sample(void)
{
    size_t len;
    char *text = read_sample("stix-bundle.json", &len);
    cf_ix_import_result r;
    const cJSON *rep;

    if (!text)
        return;
    CHECK_ST(cf_ix_import(text, len, CF_IX_AUTO, NOW_MS, &r), CF_OK);
    CHECK(r.format == CF_IX_STIX);
    CHECK(cJSON_GetArraySize(r.incidents) == 4);
    CHECK(cJSON_GetArraySize(r.errors) == 0);

    /* 1: TLP:AMBER phishing; indicators to block, SCOs seen, one through observed-data */
    CHECK_STR(s(cJSON_GetArrayItem(r.incidents, 0), "where"), "objects[5]");
    rep = report(&r, 0);
    CHECK_STR(s(rep, "title"), "Credential phishing against online banking customers");
    CHECK(strncmp(s(rep, "description"), "SMS and e-mail lures", 20) == 0);
    CHECK_STR(s(rep, "tlp"), "amber");
    CHECK_STR(s(rep, "severity"), "high");
    CHECK_STR(s(rep, "rsit_class"), "fraud");
    CHECK_STR(s(rep, "rsit_type"), "phishing");
    CHECK_STR(s(rep, "sector"), "banking");
    CHECK(num(rep, "confidence") == 80);
    CHECK(s(rep, "status") == NULL); /* the node's default, new */
    CHECK_STR(s(rep, "source"), "stix incident--0b1d4c5e-7a2f-4e3b-8c6d-9f1a2b3c4d5e in "
                                "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d from \"Gulf "
                                "Regional CSIRT\"");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "observables")) == 5);
    CHECK(has_obs(rep, "domain", "secure-login-bank.example", true));
    CHECK(has_obs(rep, "url", "https://secure-login-bank.example/auth/otp.php?s=1", true));
    CHECK(has_obs(rep, "ip", "203.0.113.7", true));
    CHECK(has_obs(rep, "email", "alerts@secure-login-bank.example", false));
    CHECK(has_obs(rep, "ip", "2001:db8:7a1::25", false));

    /* 2: TLP:RED ransomware; a pattern of two hashes, a file SCO, a CVE */
    rep = report(&r, 1);
    CHECK_STR(s(rep, "title"), "Ransomware on hospital file servers");
    CHECK_STR(s(rep, "tlp"), "red");
    CHECK_STR(s(rep, "severity"), "severe");
    CHECK_STR(s(rep, "status"), "contained");
    CHECK_STR(s(rep, "rsit_class"), "malicious-code");
    CHECK_STR(s(rep, "rsit_type"), "ransomware");
    CHECK(num(rep, "confidence") == 95);
    CHECK(has_obs(rep, "sha256", "5f2b7c1a9e3d4b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4c",
                  true));
    CHECK(has_obs(rep, "md5", "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", true));
    CHECK(has_obs(rep, "sha1", "6a1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4", false));
    CHECK(has_obs(rep, "filename", "README_RESTORE.txt", false));
    CHECK(has_obs(rep, "cve", "CVE-2023-4966", false));

    /* 3: TLP 1.0 WHITE is TLP:CLEAR; a network; an autonomous system */
    rep = report(&r, 2);
    CHECK_STR(s(rep, "tlp"), "clear");
    CHECK_STR(s(rep, "severity"), "low");
    CHECK(s(rep, "description") == NULL);
    CHECK(has_obs(rep, "ip", "198.51.100.0/28", true));
    CHECK(has_obs(rep, "asn", "AS64500", false));

    /* 4: a GREEN incident whose indicator is AMBER+STRICT is AMBER+STRICT */
    rep = report(&r, 3);
    CHECK_STR(s(rep, "tlp"), "amber+strict");
    CHECK_STR(s(rep, "severity"), "medium");
    CHECK(has_obs(rep, "email", "h4x0r@mail.example", true));
    CHECK(list_has(r.notes, "objects[29]: TLP:AMBER+STRICT, as objects[30] is marked so (the "
                            "incident itself: TLP:GREEN)"));
    /* what has no place in an incident is named */
    CHECK(list_has(r.notes, "objects[19]: a malware object: no place in a certfed incident"));
    CHECK(list_has(r.notes, "objects[32]: an attack-pattern object"));
    cf_ix_import_result_clear(&r);
    free(text);
}

/* ---- the MISP sample ------------------------------------------------------------------------ */

static void
test_misp_sample(void)
{
    size_t len;
    char *text = read_sample("misp-events.json", &len);
    cf_ix_import_result r;
    const cJSON *rep;

    if (!text)
        return;
    CHECK_ST(cf_ix_import(text, len, CF_IX_AUTO, NOW_MS, &r), CF_OK);
    CHECK(r.format == CF_IX_MISP);
    CHECK(cJSON_GetArraySize(r.incidents) == 2);

    CHECK_STR(s(cJSON_GetArrayItem(r.incidents, 0), "where"), "response[0].Event");
    rep = report(&r, 0);
    CHECK_STR(s(rep, "title"), "Emotet-style malspam wave against provincial government mailboxes");
    /* tlp:green on the event, tlp:amber on an attribute: amber */
    CHECK_STR(s(rep, "tlp"), "amber");
    CHECK(list_has(r.notes, "response[0].Event: TLP:AMBER, as response[0].Event.Attribute[2] is "
                            "marked so"));
    CHECK_STR(s(rep, "severity"), "high");  /* threat level 2 */
    CHECK_STR(s(rep, "status"), "triaged"); /* analysis 1 */
    CHECK_STR(s(rep, "rsit_class"), "malicious-code");
    CHECK_STR(s(rep, "rsit_type"), "malware-distribution");
    CHECK_STR(s(rep, "province"), "sindh");
    CHECK(num(rep, "detected_ms") == 1772841600000.0); /* 2026-03-07 */
    CHECK(num(rep, "confidence") == -1);
    CHECK_STR(s(rep, "description"), "Lures are Urdu-language invoices; the ZIP holds a JScript "
                                     "downloader.\n\nReference: "
                                     "https://cert.example/advisories/2026-011");
    CHECK_STR(s(rep, "source"), "misp event c9a1d2e3-4f5a-4b6c-8d7e-9f0a1b2c3d4e from \"Sindh "
                                "Provincial CERT\"");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "observables")) == 7);
    CHECK(has_obs(rep, "email", "invoice@accounts-payable.example", true));
    CHECK(has_obs(rep, "url", "http://cdn-invoices.example/inv/2026-03.zip", true));
    CHECK(has_obs(rep, "ip", "192.0.2.44", true));
    CHECK(has_obs(rep, "domain", "cdn-invoices.example", false)); /* a hostname */
    /* an object's attributes; the hash in lower case */
    CHECK(has_obs(rep, "sha256", "8e4f2a6c0b9d1e3f5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e",
                  true));
    CHECK(has_obs(rep, "md5", "9a8b7c6d5e4f30211f2e3d4c5b6a7988", true));
    CHECK(has_obs(rep, "filename", "invoice_2026-03.js", false));
    CHECK(list_has(r.notes, "response[0].Event.Galaxy"));
    CHECK(list_has(r.notes, "1 tag with no certfed field not imported ('osint:source-type"));

    rep = report(&r, 1);
    CHECK_STR(s(rep, "tlp"), "red");
    CHECK_STR(s(rep, "severity"), "emergency"); /* the priority-level tag beats threat level 1 */
    CHECK_STR(s(rep, "status"), "new");
    CHECK_STR(s(rep, "sector"), "telecom");
    CHECK(has_obs(rep, "ip", "2001:db8:bad::10", true));
    CHECK(has_obs(rep, "domain", "sync-backup.example", true));
    CHECK(has_obs(rep, "cve", "CVE-2024-3400", false));
    CHECK(has_obs(rep, "asn", "AS64511", false));
    CHECK_STR(s(rep, "description"),
              "About 2.1 million subscriber records; the operator has been notified.");
    cf_ix_import_result_clear(&r);
    free(text);
}

/* ---- what cannot be mapped is named -------------------------------------------------------------
 */

static void
test_unmappable_samples(void)
{
    size_t len;
    char *text = read_sample("stix-unmappable.json", &len);
    cf_ix_import_result r;

    if (text) {
        CHECK_ST(cf_ix_import(text, len, CF_IX_AUTO, NOW_MS, &r), CF_E_INVALID_ARG);
        CHECK(cJSON_GetArraySize(r.incidents) == 0); /* nothing half-mapped */
        CHECK(cJSON_GetArraySize(r.errors) == 1);
        CHECK(list_has(r.errors, "objects[3].pattern: 'network-traffic:dst_ref.value' has no "
                                 "certfed observable type"));
        cf_ix_import_result_clear(&r);
        free(text);
    }
    text = read_sample("misp-unmappable.json", &len);
    if (text) {
        CHECK_ST(cf_ix_import(text, len, CF_IX_AUTO, NOW_MS, &r), CF_E_INVALID_ARG);
        CHECK(cJSON_GetArraySize(r.incidents) == 0);
        CHECK(list_has(r.errors, "Event.Attribute[2].type: 'regkey|value' is not a MISP type"));
        cf_ix_import_result_clear(&r);
        free(text);
    }
}

#define BUNDLE_HEAD                                                                                \
    "{\"type\":\"bundle\",\"id\":\"bundle--11111111-1111-4111-8111-111111111111\",\"objects\":["
#define INCIDENT(n, extra)                                                                         \
    "{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"incident--2222222" n                 \
    "-2222-4222-8222-222222222222\",\"created\":\"2026-03-01T00:00:00Z\",\"modified\":\"2026-03-"  \
    "01T00:00:00Z\",\"name\":\"Incident " n "\"" extra "}"
#define INDICATOR(n, pattern)                                                                      \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--3333333" n               \
    "-3333-4333-8333-333333333333\",\"created\":\"2026-03-01T00:00:00Z\",\"modified\":\"2026-03-"  \
    "01T00:00:00Z\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-03-01T00:00:00Z\","            \
    "\"pattern\":\"" pattern "\"}"

static void
expect_error(const char *doc, cf_ix_format fmt, cf_status want, const char *field)
{
    cf_ix_import_result r;
    cf_status st = import_text(doc, fmt, &r);

    CHECK_ST(st, want);
    CHECK(cJSON_GetArraySize(r.incidents) == 0);
    CHECK(list_has(r.errors, field));
    if (st != want || !list_has(r.errors, field))
        fprintf(stderr, "  (in the document %.120s...)\n", doc);
    cf_ix_import_result_clear(&r);
}

static void
test_errors_name_the_field(void)
{
    cf_ix_import_result r;
    char big[64];

    /* the document as a whole */
    expect_error("", CF_IX_AUTO, CF_E_MALFORMED, "document: empty: not JSON");
    expect_error("{\"type\": \"bundle\",\n \"objects\": [}", CF_IX_AUTO, CF_E_MALFORMED,
                 "document: not JSON (malformed near line 2, column 14)");
    expect_error("{} {}", CF_IX_AUTO, CF_E_MALFORMED, "text after the end of the document");
    expect_error("{\"hello\": 1}", CF_IX_AUTO, CF_E_MALFORMED,
                 "neither a STIX 2.1 bundle ({\"type\": \"bundle\", ...}) nor a MISP event");
    expect_error("{\"Event\": {}}", CF_IX_STIX, CF_E_MALFORMED,
                 "type: a STIX document is a bundle");
    expect_error("{\"type\": \"bundle\"}", CF_IX_MISP, CF_E_MALFORMED, "document: a MISP document");
    /* a NUL would cut a string short in silence (found by fuzz_interchange:
     * an event whose info was cut to nothing passed, and the node would have
     * refused it halfway through an import) */
    expect_error("{\"Event\": {\"info\": \"\\u0000Skimmers\"}}", CF_IX_AUTO, CF_E_MALFORMED,
                 "document: a NUL character (line 1, column 21)");
    CHECK_ST(cf_ix_import("{\"Event\": {\"info\": \"\0x\"}}", 25, CF_IX_AUTO, NOW_MS, &r),
             CF_E_MALFORMED);
    CHECK(list_has(r.errors, "document: a NUL character (line 1, column 21)"));
    cf_ix_import_result_clear(&r);
    /* an escaped backslash before u0000 is text, not a NUL */
    CHECK_ST(import_text("{\"Event\": {\"info\": \"C:\\\\u0000\"}}", CF_IX_AUTO, &r), CF_OK);
    CHECK_STR(s(report(&r, 0), "title"), "C:\\u0000");
    cf_ix_import_result_clear(&r);
    expect_error("{\"Event\": {\"info\": \"\"}}", CF_IX_AUTO, CF_E_INVALID_ARG,
                 "Event.info: an event needs its info (the title)");
    expect_error(BUNDLE_HEAD "{\"type\":\"incident\",\"id\":\"incident--22222221-2222-4222-8222-"
                             "222222222222\",\"name\":\"\"}]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG, "objects[0].name: an incident needs a name");
    /* more than 16 MiB is refused before a byte is read */
    CHECK_ST(cf_ix_import(big, (size_t)CF_IX_MAX_DOCUMENT + 1, CF_IX_AUTO, NOW_MS, &r),
             CF_E_OVERSIZE);
    CHECK(list_has(r.errors, "document: 16777217 bytes, more than the 16 MiB an import reads"));
    cf_ix_import_result_clear(&r);

    /* STIX */
    expect_error(BUNDLE_HEAD INDICATOR("1", "[ipv4-addr:value = '192.0.2.1']") "]}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "objects: the bundle holds no incident object");
    expect_error(BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR(
                     "1", "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[1].pattern: cannot map 'AND' (character 32): only comparisons");
    expect_error(BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR(
                     "1", "[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG, "objects[1].pattern: cannot map 'WITHIN'");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR("1", "[ipv4-addr:value != '192.0.2.1']") "]}",
        CF_IX_AUTO, CF_E_INVALID_ARG, "objects[1].pattern: cannot map '!=");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR("1", "[ipv4-addr:value = '999.0.2.1']") "]}",
        CF_IX_AUTO, CF_E_INVALID_ARG,
        "objects[1].pattern: '999.0.2.1' is not an IP address or network");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR("1", "[file:hashes.'SHA-256' = 'abc']") "]}",
        CF_IX_AUTO, CF_E_INVALID_ARG, "'abc' is not a SHA-256 hash (64 hex digits)");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR("1", "[file:hashes.'XXH64' = 'abc']") "]}",
        CF_IX_AUTO, CF_E_INVALID_ARG, "'XXH64' is a hash certfed has no type for");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") "," INDICATOR("1", "[ipv4-addr:value = '192.0.2.1'") "]}",
        CF_IX_AUTO, CF_E_INVALID_ARG, "objects[1].pattern: the pattern ends early");
    expect_error(
        BUNDLE_HEAD INCIDENT("1", "") ","
                                      "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":"
                                      "\"indicator--33333331-3333-4333-8333-333333333333\","
                                      "\"pattern_type\":\"sigma\",\"pattern\":\"title: x\"}]}",
        CF_IX_AUTO, CF_E_INVALID_ARG,
        "objects[1].pattern_type: 'sigma' patterns are not mapped (only stix)");
    expect_error(BUNDLE_HEAD INCIDENT(
                     "1", "") ","
                              "{\"type\":\"mutex\",\"spec_version\":\"2.1\",\"id\":\"mutex--"
                              "44444444-4444-4444-8444-444444444444\",\"name\":\"Global\\\\x\"}]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[1].type: 'mutex' has no certfed observable type");
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"confidence\":101") "]}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "objects[0].confidence: confidence must be a whole number");
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"labels\":[\"tlp:orange\"]") "]}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "objects[0].labels[0]: 'tlp:orange' is not a TLP level");
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"labels\":[\"priority-level:urgent\"]") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[0].labels[0]: 'priority-level:urgent' is not a priority level");
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"labels\":[\"certfed:status=\\\"done\\\"\"]") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[0].labels[0]: 'certfed:status=\"done\"': "
                 "not a certfed status");
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"x_certfed_detected\":\"yesterday\"") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[0].x_certfed_detected: 'yesterday' is not a time");
    expect_error(BUNDLE_HEAD "{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"incident--"
                             "22222221-2222-4222-8222-222222222222\"}]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG, "objects[0].name: an incident needs a name");
    expect_error(BUNDLE_HEAD "{\"type\":\"incident\",\"id\":\"indicator--22222221-2222-4222-8222-"
                             "222222222222\",\"name\":\"x\"}]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[0].id: 'indicator--22222221-2222-4222-8222-222222222222' is not an "
                 "id of the form incident--UUID");
    /* two incidents: an indicator related to neither cannot be placed */
    expect_error(BUNDLE_HEAD INCIDENT("1", "") "," INCIDENT("2", "") "," INDICATOR(
                     "1", "[domain-name:value = 'x.example']") "]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "objects[2]: this indicator is related to none of the bundle's 2 incidents");
    /* a title longer than the node takes */
    {
        char doc[2048], title[300];
        memset(title, 'T', 257);
        title[257] = 0;
        snprintf(doc, sizeof(doc),
                 BUNDLE_HEAD "{\"type\":\"incident\",\"id\":\"incident--22222221-2222-4222-8222-"
                             "222222222222\",\"name\":\"%s\"}]}",
                 title);
        expect_error(doc, CF_IX_AUTO, CF_E_INVALID_ARG,
                     "objects[0]: name is 257 bytes, more than the 256 a certfed incident takes");
    }
    /* invalid UTF-8 */
    expect_error(BUNDLE_HEAD "{\"type\":\"incident\",\"id\":\"incident--22222221-2222-4222-8222-"
                             "222222222222\",\"name\":\"bad \xc3\x28\"}]}",
                 CF_IX_AUTO, CF_E_INVALID_ARG, "objects[0]: name is not valid UTF-8");

    /* MISP */
    expect_error("{\"Event\":{\"uuid\":\"c9a1d2e3-4f5a-4b6c-8d7e-9f0a1b2c3d4e\"}}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "Event.info: an event needs its info");
    expect_error("{\"Event\":{\"info\":\"x\",\"uuid\":\"not-a-uuid\"}}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "Event.uuid: 'not-a-uuid' is not a UUID");
    expect_error("{\"Event\":{\"info\":\"x\",\"date\":\"2026-02-30\"}}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "Event.date: '2026-02-30' is not a date");
    expect_error("{\"Event\":{\"info\":\"x\",\"threat_level_id\":\"9\"}}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "Event.threat_level_id: '9' is not a number from 1 to 4");
    expect_error(
        "{\"Event\":{\"info\":\"x\",\"Attribute\":[{\"type\":\"md5\",\"value\":\"xyz\"}]}}",
        CF_IX_AUTO, CF_E_INVALID_ARG,
        "Event.Attribute[0].value: 'xyz' is not a MD5 hash (32 hex digits)");
    expect_error("{\"Event\":{\"info\":\"x\",\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"1.2.3."
                 "4\",\"Tag\":[{\"name\":\"tlp:purple\"}]}]}}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "Event.Attribute[0].Tag[0].name: 'tlp:purple' is not a TLP level");
    expect_error("{\"Event\":{\"info\":\"x\",\"Object\":[{\"name\":\"file\",\"Attribute\":[{"
                 "\"type\":\"size-in-bytes\",\"value\":\"10\"}]}]}}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "Event.Object[0].Attribute[0].type: 'size-in-bytes'");
    expect_error("{\"response\":[{\"Event\":{\"info\":\"x\"}},{\"nope\":1}]}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "response[1].Event: each entry needs its Event");
    expect_error("{\"Event\":{\"info\":\"x\",\"Tag\":[{\"name\":\"priority-level:high\"},{\"name\":"
                 "\"priority-level:low\"}]}}",
                 CF_IX_AUTO, CF_E_INVALID_ARG,
                 "Event.Tag[1].name: a second priority level, 'priority-level:low', disagrees");

    /* every problem is listed, up to a limit, then counted */
    {
        cf_buf b;
        cf_buf_init(&b);
        CHECK_ST(cf_buf_append_str(&b, "{\"Event\":{\"info\":\"x\",\"Attribute\":["), CF_OK);
        for (int i = 0; i < 40; i++)
            CHECK_ST(
                cf_buf_printf(&b, "%s{\"type\":\"regkey\",\"value\":\"k%d\"}", i ? "," : "", i),
                CF_OK);
        CHECK_ST(cf_buf_append_str(&b, "]}}"), CF_OK);
        CHECK_ST(import_text((const char *)b.data, CF_IX_AUTO, &r), CF_E_INVALID_ARG);
        CHECK(cJSON_GetArraySize(r.errors) == CF_IX_MAX_ERRORS + 1);
        CHECK(r.n_errors == 40);
        CHECK(list_has(r.errors, "... and 15 more"));
        cf_ix_import_result_clear(&r);
        cf_buf_clear(&b);
    }
}

/* ---- each TLP level, both ways
 * ------------------------------------------------------------------- */

static void
test_tlp_levels(void)
{
    static const char *const misp_distribution[6] = {"", "3", "2", "1", "0", "0"};
    static const char *const tlp1_ids[6] = {
        NULL,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", /* white */
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        NULL,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    };

    for (int l = 1; l <= 5; l++) {
        cJSON *incs = one(node_incident("banking-1", tlp_names[l], "high", "new")), *doc = NULL;
        cf_ix_import_result r;
        const cJSON *inc, *md, *ext;
        char tag[32];

        /* STIX: the fixed TLP 2.0 id on every object, and its marking-definition */
        CHECK_ST(through(CF_IX_STIX, incs, &r, &doc), CF_OK);
        inc = find_obj(doc, "incident", NULL, NULL);
        CHECK(str_in_array(cJSON_GetObjectItem(inc, "object_marking_refs"), tlp2_ids[l]));
        CHECK(str_in_array(
            cJSON_GetObjectItem(find_obj(doc, "indicator", NULL, NULL), "object_marking_refs"),
            tlp2_ids[l]));
        md = find_obj(doc, "marking-definition", "id", tlp2_ids[l]);
        CHECK(md != NULL);
        ext = cJSON_GetObjectItem(cJSON_GetObjectItem(md, "extensions"),
                                  "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");
        CHECK_STR(s(ext, "tlp_2_0"), tlp_names[l]);
        CHECK_STR(s(ext, "extension_type"), "property-extension");
        CHECK_STR(s(md, "created"), "2022-10-01T00:00:00.000Z");
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(md, "object_marking_refs")) == 0);
        CHECK_STR(s(report(&r, 0), "tlp"), tlp_names[l]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);

        /* MISP: the tlp: tag and a distribution to match */
        CHECK_ST(through(CF_IX_MISP, incs, &r, &doc), CF_OK);
        snprintf(tag, sizeof(tag), "tlp:%s", tlp_names[l]);
        CHECK(misp_tag(cJSON_GetObjectItem(doc, "Event"), tag));
        CHECK_STR(s(cJSON_GetObjectItem(doc, "Event"), "distribution"), misp_distribution[l]);
        CHECK_STR(s(report(&r, 0), "tlp"), tlp_names[l]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
        cJSON_Delete(incs);

        /* STIX 2.1's own TLP 1.0 markings read as the same level (white: clear) */
        if (tlp1_ids[l]) {
            char bundle[1024];
            snprintf(bundle, sizeof(bundle),
                     BUNDLE_HEAD INCIDENT("1", ",\"object_marking_refs\":[\"%s\"]") "]}",
                     tlp1_ids[l]);
            CHECK_ST(import_text(bundle, CF_IX_AUTO, &r), CF_OK);
            CHECK_STR(s(report(&r, 0), "tlp"), tlp_names[l]);
            cf_ix_import_result_clear(&r);
        }
    }
    /* a marking-definition the bundle defines itself, TLP 1.0 style */
    {
        cf_ix_import_result r;
        CHECK_ST(import_text(BUNDLE_HEAD
                             "{\"type\":\"marking-definition\",\"id\":\"marking-definition--"
                             "55555555-5555-4555-8555-555555555555\",\"definition_type\":\"tlp\","
                             "\"definition\":{\"tlp\":\"red\"}}," INCIDENT(
                                 "1", ",\"object_marking_refs\":[\"marking-definition--55555555-"
                                      "5555-4555-8555-555555555555\"]") "]}",
                             CF_IX_AUTO, &r),
                 CF_OK);
        CHECK_STR(s(report(&r, 0), "tlp"), "red");
        cf_ix_import_result_clear(&r);
        /* no marking at all: the node's default, and a note saying so */
        CHECK_ST(import_text(BUNDLE_HEAD INCIDENT("1", "") "]}", CF_IX_AUTO, &r), CF_OK);
        CHECK(s(report(&r, 0), "tlp") == NULL);
        CHECK(list_has(r.notes, "objects[0]: no TLP marking: reported as TLP:AMBER"));
        cf_ix_import_result_clear(&r);
        /* MISP: tlp:white is clear; no tag and distribution 0 is amber+strict */
        CHECK_ST(import_text("{\"Event\":{\"info\":\"x\",\"Tag\":[{\"name\":\"tlp:white\"}]}}",
                             CF_IX_AUTO, &r),
                 CF_OK);
        CHECK_STR(s(report(&r, 0), "tlp"), "clear");
        cf_ix_import_result_clear(&r);
        CHECK_ST(import_text("{\"Event\":{\"info\":\"x\",\"distribution\":\"0\"}}", CF_IX_AUTO, &r),
                 CF_OK);
        CHECK_STR(s(report(&r, 0), "tlp"), "amber+strict");
        CHECK(list_has(r.notes, "distribution 0 (your organisation only)"));
        cf_ix_import_result_clear(&r);
        CHECK_ST(import_text("{\"Event\":{\"info\":\"x\",\"distribution\":3}}", CF_IX_AUTO, &r),
                 CF_OK);
        CHECK(s(report(&r, 0), "tlp") == NULL);
        cf_ix_import_result_clear(&r);
    }
}

/* ---- severity and status ------------------------------------------------------------------------
 */

static void
test_severity_and_status(void)
{
    static const char *const sev[6] = {"baseline", "low", "medium", "high", "severe", "emergency"};
    static const char *const label[6] = {
        "priority-level:baseline-minor", "priority-level:low",    "priority-level:medium",
        "priority-level:high",           "priority-level:severe", "priority-level:emergency"};
    static const char *const threat[6] = {"4", "4", "3", "2", "1", "1"};
    static const char *const status[6] = {"", "new", "triaged", "contained", "resolved", "closed"};
    static const char *const analysis[6] = {"", "0", "1", "1", "2", "2"};
    cf_ix_import_result r;

    for (int v = 0; v < 6; v++) {
        cJSON *incs = one(node_incident("banking-1", "green", sev[v], status[v ? v : 1])), *doc;
        char want[48];
        CHECK_ST(through(CF_IX_STIX, incs, &r, &doc), CF_OK);
        CHECK(str_in_array(cJSON_GetObjectItem(find_obj(doc, "incident", NULL, NULL), "labels"),
                           label[v]));
        CHECK_STR(s(report(&r, 0), "severity"), sev[v]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
        CHECK_ST(through(CF_IX_MISP, incs, &r, &doc), CF_OK);
        CHECK_STR(s(cJSON_GetObjectItem(doc, "Event"), "threat_level_id"), threat[v]);
        CHECK(misp_tag(cJSON_GetObjectItem(doc, "Event"), label[v]));
        CHECK_STR(s(report(&r, 0), "severity"), sev[v]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
        cJSON_Delete(incs);
        if (v == 0)
            continue;
        /* status */
        incs = one(node_incident("banking-1", "green", "low", status[v]));
        CHECK_ST(through(CF_IX_MISP, incs, &r, &doc), CF_OK);
        CHECK_STR(s(cJSON_GetObjectItem(doc, "Event"), "analysis"), analysis[v]);
        snprintf(want, sizeof(want), "certfed:status=\"%s\"", status[v]);
        CHECK(misp_tag(cJSON_GetObjectItem(doc, "Event"), want));
        CHECK_STR(s(report(&r, 0), "status"), status[v]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
        CHECK_ST(through(CF_IX_STIX, incs, &r, NULL), CF_OK);
        CHECK_STR(s(report(&r, 0), "status"), status[v]);
        cf_ix_import_result_clear(&r);
        cJSON_Delete(incs);
    }
    /* a MISP event with no tags: threat level and analysis alone */
    {
        static const struct {
            const char *threat, *analysis, *severity, *status;
        } cases[] = {{"1", "0", "severe", "new"},
                     {"2", "1", "high", "triaged"},
                     {"3", "2", "medium", "resolved"},
                     {"4", "2", NULL, "resolved"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char doc[256];
            snprintf(doc, sizeof(doc),
                     "{\"Event\":{\"info\":\"x\",\"threat_level_id\":\"%s\",\"analysis\":%s}}",
                     cases[i].threat, cases[i].analysis);
            CHECK_ST(import_text(doc, CF_IX_AUTO, &r), CF_OK);
            if (cases[i].severity)
                CHECK_STR(s(report(&r, 0), "severity"), cases[i].severity);
            else
                CHECK(s(report(&r, 0), "severity") == NULL);
            CHECK_STR(s(report(&r, 0), "status"), cases[i].status);
            cf_ix_import_result_clear(&r);
        }
    }
}

/* ---- PAP, the determination, the constituent and the links ----------------------------- */

/* the report's related ids, joined by commas, into buf */
static const char *
related_of(const cJSON *rep, char *buf, size_t cap)
{
    const cJSON *x;
    size_t used = 0;

    buf[0] = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rep, "related")) used +=
        (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s", used ? "," : "",
                         cJSON_IsString(x) ? x->valuestring : "?");
    return buf;
}

/* set (or add) a field of an incident JSON */
static void
set_field(cJSON *o, const char *name, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    cJSON_AddItemToObject(o, name, v);
}

static void
test_pap_determination_links(void)
{
    cf_ix_import_result r;
    char buf[128];

    /* MISP tags: PAP:WHITE is clear; of two PAP tags the stricter wins */
    CHECK_ST(import_text("{\"Event\":{\"info\":\"x\",\"Tag\":[{\"name\":\"PAP:WHITE\"},"
                         "{\"name\":\"certfed:determination=\\\"confirmed\\\"\"},"
                         "{\"name\":\"certfed:constituent=\\\"state-bank\\\"\"},"
                         "{\"name\":\"certfed:related=\\\"punjab-1\\\"\"},"
                         "{\"name\":\"certfed:related=\\\"sindh-4\\\"\"},"
                         "{\"name\":\"certfed:duplicate-of=\\\"punjab-2\\\"\"},"
                         "{\"name\":\"certfed:supersedes=\\\"punjab-0\\\"\"}]}}",
                         CF_IX_AUTO, &r),
             CF_OK);
    CHECK_STR(s(report(&r, 0), "pap"), "clear");
    CHECK_STR(s(report(&r, 0), "determination"), "confirmed");
    CHECK_STR(s(report(&r, 0), "constituent"), "state-bank");
    CHECK_STR(related_of(report(&r, 0), buf, sizeof(buf)), "punjab-1,sindh-4");
    CHECK_STR(s(report(&r, 0), "duplicate_of"), "punjab-2");
    CHECK_STR(s(report(&r, 0), "supersedes"), "punjab-0");
    /* none of them is "a tag with no field" */
    const cJSON *note;
    cJSON_ArrayForEach(note, r.notes) CHECK(!strstr(note->valuestring, "with no certfed field"));
    cf_ix_import_result_clear(&r);
    CHECK_ST(import_text("{\"Event\":{\"info\":\"x\",\"Tag\":[{\"name\":\"PAP:RED\"},"
                         "{\"name\":\"pap:green\"}]}}",
                         CF_IX_AUTO, &r),
             CF_OK);
    CHECK_STR(s(report(&r, 0), "pap"), "red");
    cf_ix_import_result_clear(&r);
    /* STIX labels, the same */
    CHECK_ST(import_text(BUNDLE_HEAD INCIDENT(
                             "1", ",\"labels\":[\"PAP:AMBER\","
                                  "\"certfed:determination=\\\"false-positive\\\"\"]") "]}",
                         CF_IX_AUTO, &r),
             CF_OK);
    CHECK_STR(s(report(&r, 0), "pap"), "amber");
    CHECK_STR(s(report(&r, 0), "determination"), "false-positive");
    cf_ix_import_result_clear(&r);
    /* an unknown value is an error naming the field */
    expect_error(BUNDLE_HEAD INCIDENT("1", ",\"labels\":[\"PAP:purple\"]") "]}", CF_IX_AUTO,
                 CF_E_INVALID_ARG, "objects[0].labels[0]: 'PAP:purple' is not a PAP level");
    expect_error("{\"Event\":{\"info\":\"x\",\"Tag\":[{\"name\":"
                 "\"certfed:determination=\\\"maybe\\\"\"}]}}",
                 CF_IX_AUTO, CF_E_INVALID_ARG, "Event.Tag[0].name: 'certfed:determination=");

    /* more links than an incident carries: refused before anything is sent */
    {
        size_t cap = 64 + 1100 * 48, used = 0;
        char *doc = malloc(cap);
        CHECK(doc != NULL);
        if (doc) {
            used += (size_t)snprintf(doc, cap, "{\"Event\":{\"info\":\"x\",\"Tag\":[");
            for (int k = 0; k < 1025; k++)
                used += (size_t)snprintf(doc + used, cap - used,
                                         "%s{\"name\":\"certfed:related=\\\"i-%d\\\"\"}",
                                         k ? "," : "", k);
            snprintf(doc + used, cap - used, "]}}");
            expect_error(doc, CF_IX_AUTO, CF_E_INVALID_ARG,
                         "Event: 1025 related incidents, more than the 1024");
            free(doc);
        }
    }

    /* export: both formats carry them as tags, and they come back */
    cJSON *inc = node_incident("banking-7", "amber", "high", "contained");
    set_field(inc, "pap", cJSON_CreateString("green"));
    set_field(inc, "determination", cJSON_CreateString("suspected"));
    set_field(inc, "constituent", cJSON_CreateString("state-bank"));
    cJSON *rel = cJSON_CreateArray();
    cJSON_AddItemToArray(rel, cJSON_CreateString("banking-3"));
    cJSON_AddItemToArray(rel, cJSON_CreateString("ncert-9"));
    set_field(inc, "related", rel);
    set_field(inc, "duplicate_of", cJSON_CreateString("banking-5"));
    set_field(inc, "supersedes", cJSON_CreateString("banking-1"));
    cJSON *incs = one(inc);
    for (int f = CF_IX_STIX; f <= CF_IX_MISP; f++) {
        cJSON *doc = NULL;
        CHECK_ST(through((cf_ix_format)f, incs, &r, &doc), CF_OK);
        char *text = cJSON_PrintUnformatted(doc);
        CHECK(text && strstr(text, "\"PAP:GREEN\""));
        CHECK(text && strstr(text, "certfed:related=\\\"ncert-9\\\""));
        free(text);
        CHECK_STR(s(report(&r, 0), "pap"), "green");
        CHECK_STR(s(report(&r, 0), "determination"), "suspected");
        CHECK_STR(s(report(&r, 0), "constituent"), "state-bank");
        CHECK_STR(related_of(report(&r, 0), buf, sizeof(buf)), "banking-3,ncert-9");
        CHECK_STR(s(report(&r, 0), "duplicate_of"), "banking-5");
        CHECK_STR(s(report(&r, 0), "supersedes"), "banking-1");
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
    }
    cJSON_Delete(incs);
}

/* ---- export, field by field
 * ------------------------------------------------------------------------ */

static void
test_export_stix_fields(void)
{
    cJSON *incs = one(node_incident("banking-7", "amber", "high", "contained")), *doc = NULL,
          *again;
    char err[256], *a, *b;
    const cJSON *inc, *o, *ref;

    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(incs, 0), "source",
                              cJSON_CreateString("misp event c9a1d2e3 from \"X\""));
    CHECK_ST(cf_ix_export_stix(incs, &doc, err, sizeof(err)), CF_OK);
    CHECK_STR(s(doc, "type"), "bundle");
    CHECK(strncmp(s(doc, "id"), "bundle--", 8) == 0);
    inc = find_obj(doc, "incident", NULL, NULL);
    CHECK_STR(s(inc, "spec_version"), "2.1");
    CHECK_STR(s(inc, "name"), "Phishing wave against bank customers");
    CHECK_STR(s(inc, "description"), "Lure mails with a fake login page.\nSecond line.");
    CHECK_STR(s(inc, "created"), "2026-03-02T07:12:00.000Z");
    CHECK_STR(s(inc, "modified"), "2026-03-02T09:00:00.000Z");
    CHECK(num(inc, "confidence") == 85);
    CHECK_STR(s(inc, "x_certfed_analyst"), "a.khan");
    CHECK_STR(s(inc, "x_certfed_detected"), "2026-03-02T06:55:00.000Z");
    CHECK_STR(s(inc, "x_certfed_source"), "misp event c9a1d2e3 from \"X\"");
    CHECK(str_in_array(cJSON_GetObjectItem(inc, "labels"), "rsit:fraud=\"phishing\""));
    CHECK(str_in_array(cJSON_GetObjectItem(inc, "labels"), "priority-level:high"));
    CHECK(str_in_array(cJSON_GetObjectItem(inc, "labels"), "certfed:status=\"contained\""));
    CHECK(str_in_array(cJSON_GetObjectItem(inc, "labels"), "certfed:sector=\"banking\""));
    CHECK(str_in_array(cJSON_GetObjectItem(inc, "labels"), "certfed:province=\"punjab\""));
    ref = cJSON_GetArrayItem(cJSON_GetObjectItem(inc, "external_references"), 0);
    CHECK_STR(s(ref, "source_name"), "certfed");
    CHECK_STR(s(ref, "external_id"), "banking-7");
    /* the reporting CERT */
    o = find_obj(doc, "identity", "name", "banking");
    CHECK(o != NULL);
    CHECK_STR(s(o, "identity_class"), "organization");
    CHECK_STR(s(inc, "created_by_ref"), s(o, "id"));
    /* to block: indicators with patterns */
    o = find_obj(doc, "indicator", "pattern", "[ipv4-addr:value = '203.0.113.7']");
    CHECK(o != NULL);
    CHECK_STR(s(o, "pattern_type"), "stix");
    CHECK_STR(s(o, "valid_from"), "2026-03-02T06:55:00.000Z");
    CHECK(
        find_obj(doc, "indicator", "pattern", "[domain-name:value = 'secure-login-bank.example']"));
    CHECK(find_obj(doc, "indicator", "pattern",
                   "[url:value = 'https://secure-login-bank.example/it\\'s']"));
    CHECK(find_obj(doc, "indicator", "pattern",
                   "[file:hashes.'SHA-256' = "
                   "'5f2b7c1a9e3d4b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4c']"));
    /* seen: cyber-observable objects */
    CHECK(find_obj(doc, "ipv6-addr", "value", "2001:db8::7"));
    CHECK(find_obj(doc, "email-addr", "value", "alerts@bank.example"));
    CHECK(find_obj(doc, "file", "name", "invoice.js"));
    o = find_obj(doc, "autonomous-system", NULL, NULL);
    CHECK(num(o, "number") == 64500);
    o = find_obj(doc, "vulnerability", "name", "CVE-2024-3400");
    CHECK(o != NULL);
    CHECK_STR(
        s(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "external_references"), 0), "external_id"),
        "CVE-2024-3400");
    /* what STIX has no object for stays on the incident */
    o = cJSON_GetArrayItem(cJSON_GetObjectItem(inc, "x_certfed_observables"), 0);
    CHECK_STR(s(o, "type"), "mutex");
    CHECK_STR(s(o, "value"), "Global\\updsvc");
    /* each observable object is related to the incident */
    {
        int rel = 0;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(doc, "objects"))
        {
            if (strcmp(s(o, "type"), "relationship") == 0) {
                CHECK_STR(s(o, "source_ref"), s(inc, "id"));
                CHECK_STR(s(o, "relationship_type"), "related-to");
                rel++;
            }
        }
        CHECK(rel == 10);
    }
    /* the same revisions give the same bundle */
    CHECK_ST(cf_ix_export_stix(incs, &again, err, sizeof(err)), CF_OK);
    a = cJSON_PrintUnformatted(doc);
    b = cJSON_PrintUnformatted(again);
    CHECK(a && b && strcmp(a, b) == 0);
    free(a);
    free(b);
    cJSON_Delete(again);
    cJSON_Delete(doc);
    /* an incident with no id cannot be exported */
    cJSON_DeleteItemFromObject(cJSON_GetArrayItem(incs, 0), "id");
    doc = NULL;
    CHECK_ST(cf_ix_export_stix(incs, &doc, err, sizeof(err)), CF_E_MALFORMED);
    CHECK(doc == NULL);
    CHECK_STR(err, "incident 1 has no id");
    /* nor one whose related links are not a list */
    cJSON *bad = node_incident("banking-8", "amber", "high", "new");
    set_field(bad, "related", cJSON_CreateString("banking-1"));
    cJSON *bads = one(bad);
    doc = NULL;
    CHECK_ST(cf_ix_export_stix(bads, &doc, err, sizeof(err)), CF_E_MALFORMED);
    CHECK(doc == NULL);
    CHECK_STR(err, "incident banking-8: related is not a list");
    cJSON_Delete(bads);
    cJSON_Delete(incs);
}

static void
test_export_misp_fields(void)
{
    cJSON *incs = one(node_incident("banking-7", "amber", "severe", "resolved")), *doc = NULL;
    char err[256];
    const cJSON *ev, *a;

    CHECK_ST(cf_ix_export_misp(incs, &doc, err, sizeof(err)), CF_OK);
    ev = cJSON_GetObjectItem(doc, "Event");
    CHECK(ev != NULL);
    CHECK_STR(s(ev, "info"), "Phishing wave against bank customers");
    CHECK_STR(s(ev, "date"), "2026-03-02");
    CHECK_STR(s(ev, "threat_level_id"), "1");
    CHECK_STR(s(ev, "analysis"), "2");
    CHECK_STR(s(ev, "distribution"), "1");
    CHECK_STR(s(ev, "timestamp"), "1772442000");
    CHECK_STR(s(cJSON_GetObjectItem(ev, "Orgc"), "name"), "banking");
    CHECK(strlen(s(ev, "uuid")) == 36);
    CHECK(misp_tag(ev, "tlp:amber"));
    CHECK(misp_tag(ev, "rsit:fraud=\"phishing\""));
    CHECK(misp_tag(ev, "certfed:province=\"punjab\""));
    a = misp_attr(ev, "text", "Lure mails with a fake login page.\nSecond line.");
    CHECK_STR(s(a, "comment"), "description");
    a = misp_attr(ev, "ip-dst", "203.0.113.7");
    CHECK_STR(s(a, "category"), "Network activity");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(a, "to_ids")));
    a = misp_attr(ev, "ip-dst", "2001:db8::7");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(a, "to_ids")));
    CHECK_STR(s(misp_attr(ev, "domain", "secure-login-bank.example"), "category"),
              "Network activity");
    CHECK(misp_attr(ev, "url", "https://secure-login-bank.example/it's"));
    CHECK_STR(s(misp_attr(ev, "email-src", "alerts@bank.example"), "category"), "Payload delivery");
    CHECK_STR(s(misp_attr(ev, "sha256",
                          "5f2b7c1a9e3d4b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4c"),
                "category"),
              "Payload delivery");
    CHECK(misp_attr(ev, "md5", "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"));
    CHECK(misp_attr(ev, "filename", "invoice.js"));
    CHECK(misp_attr(ev, "AS", "64500"));
    CHECK_STR(s(misp_attr(ev, "vulnerability", "CVE-2024-3400"), "category"), "External analysis");
    a = misp_attr(ev, "other", "Global\\updsvc");
    CHECK_STR(s(a, "comment"), "certfed:mutex");
    cJSON_Delete(doc);
    /* several incidents: MISP's list */
    cJSON_AddItemToArray(incs, node_incident("banking-8", "red", "low", "new"));
    CHECK_ST(cf_ix_export_misp(incs, &doc, err, sizeof(err)), CF_OK);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "response")) == 2);
    CHECK(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "response"), 1), "Event"));
    cJSON_Delete(doc);
    cJSON_Delete(incs);
}

/* ---- round trips
 * ------------------------------------------------------------------------------------- */

static void
compare_round_trip(const cJSON *want, const cJSON *got, bool stix)
{
    static const char *const both[] = {"title",      "description", "severity", "tlp",     "status",
                                       "rsit_class", "rsit_type",   "sector",   "province"};
    const cJSON *x;

    for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
        CHECK_STR(s(got, both[i]), s(want, both[i]));
    }
    if (stix) {
        CHECK(num(got, "confidence") == num(want, "confidence"));
        CHECK_STR(s(got, "analyst"), s(want, "analyst"));
        CHECK(num(got, "detected_ms") == 1772434500000.0); /* 2026-03-02T06:55:00Z */
    } else {
        CHECK(num(got, "detected_ms") == 1772409600000.0); /* the day */
    }
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(got, "observables")) ==
          cJSON_GetArraySize(cJSON_GetObjectItem(want, "observables")));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(want, "observables"))
    {
        CHECK(has_obs(got, s(x, "type"), s(x, "value"),
                      cJSON_IsTrue(cJSON_GetObjectItem(x, "to_block"))));
    }
}

static void
test_round_trips(void)
{
    cJSON *incs = cJSON_CreateArray();
    cf_ix_import_result r;

    cJSON_AddItemToArray(incs, node_incident("banking-1", "amber", "high", "triaged"));
    cJSON_AddItemToArray(incs, node_incident("punjab-4", "red", "emergency", "closed"));
    for (int f = 0; f < 2; f++) {
        cJSON *doc = NULL;
        CHECK_ST(through(f ? CF_IX_MISP : CF_IX_STIX, incs, &r, &doc), CF_OK);
        CHECK(cJSON_GetArraySize(r.incidents) == 2);
        for (int k = 0; k < 2; k++)
            compare_round_trip(cJSON_GetArrayItem(incs, k), report(&r, k), f == 0);
        /* the source names the document it came from */
        if (f == 0)
            CHECK(strncmp(s(report(&r, 0), "source"), "stix incident--", 15) == 0 &&
                  strstr(s(report(&r, 0), "source"), "from \"banking\""));
        else
            CHECK(strncmp(s(report(&r, 0), "source"), "misp event ", 11) == 0 &&
                  strstr(s(report(&r, 0), "source"), "from \"banking\""));
        /* and an import's output exports and imports again to the same */
        cf_ix_import_result_clear(&r);
        cJSON_Delete(doc);
    }
    cJSON_Delete(incs);
}

int
main(void)
{
    test_stix_sample();
    test_misp_sample();
    test_unmappable_samples();
    test_errors_name_the_field();
    test_tlp_levels();
    test_severity_and_status();
    test_pap_determination_links();
    test_export_stix_fields();
    test_export_misp_fields();
    test_round_trips();
    return check_done("test_cli_interchange");
}
