/*
 * interchange.h - incidents in and out of STIX 2.1 and MISP: pure functions
 * between documents (a STIX 2.1 bundle, a MISP event) and certfed's incident
 * JSON (what the node's incident.list and incident.show answer, and the
 * arguments incident.report takes). No I/O and no node, so every mapping is
 * unit-tested and fuzzed on its own; `certfed incident import|export`
 * (incident_interchange.c) does the talking. Any thread; nothing global.
 *
 * The mapping tables are at the top of interchange.c and in the README
 * ("Exchanging incidents: STIX 2.1 and MISP").
 */
#ifndef CF_CLI_INTERCHANGE_H
#define CF_CLI_INTERCHANGE_H

#include "common/common.h"

#include <cjson/cJSON.h>

typedef enum cf_ix_format {
    CF_IX_AUTO = 0, /* import: tell from the document */
    CF_IX_STIX = 1, /* a STIX 2.1 bundle */
    CF_IX_MISP = 2, /* a MISP event {"Event": ...}, or several {"response": [...]} */
} cf_ix_format;

/* The largest document import reads (a file of a feed, not a database dump). */
#define CF_IX_MAX_DOCUMENT (16u * 1024 * 1024)
/* At most this many problems are listed; the count says how many more. */
#define CF_IX_MAX_ERRORS 25
/* What one incident.report request may hold: the node reads control requests
 * of at most 1 MiB (node/control.c), and a signed incident must fit in an
 * envelope (1 MiB by default); the rest is headroom for the request line. */
#define CF_IX_MAX_REPORT (1000u * 1024)

/** "stix", "misp"; NULL for CF_IX_AUTO or an unknown value. */
const char *cf_ix_format_name(cf_ix_format f);
/** Parse "stix" or "misp". @return CF_OK or CF_E_INVALID_ARG */
CF_MUST_CHECK cf_status cf_ix_format_parse(const char *name, cf_ix_format *out);

/** What an import found in a document. */
typedef struct cf_ix_import_result {
    cf_ix_format format; /* the document's format (told or detected) */
    /* one entry per incident, in document order:
     * {"where": "objects[2]", "report": {...the args of incident.report...}} */
    cJSON *incidents;
    /* what was left out or decided on the way, as "PATH: text" strings
     * ("objects[7]: a malware object has no place in a certfed incident ...") */
    cJSON *notes;
    /* what cannot be mapped, as "PATH: text" strings, PATH a JSON path into
     * the document ("objects[3].pattern"); at most CF_IX_MAX_ERRORS, then one
     * "... and N more" */
    cJSON *errors;
    size_t n_errors; /* how many problems in all, listed or not */
} cf_ix_import_result;

/**
 * Map a document to the incident.report requests that would create its
 * incidents. Every incident is checked in full first (every field mapped,
 * every string valid UTF-8 and within the limits the node applies): with
 * any problem nothing is to be sent, and all of them are listed.
 * @param text, len  the document (borrowed; need not be NUL-terminated)
 * @param format     CF_IX_AUTO to tell STIX from MISP by the document's shape
 * @param now_ms     what "now" is (an indicator whose valid_until has passed
 *                   is not marked to block)
 * @param out        filled on every return but CF_E_NOMEM (incidents empty
 *                   unless CF_OK); free with cf_ix_import_result_clear()
 * @return CF_OK; CF_E_OVERSIZE (more than CF_IX_MAX_DOCUMENT bytes);
 *         CF_E_MALFORMED (not JSON, or not the shape of either format);
 *         CF_E_INVALID_ARG (a field that cannot be mapped, listed in errors);
 *         CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_ix_import(const char *text, size_t len, cf_ix_format format,
                                     int64_t now_ms, cf_ix_import_result *out);
/** Free what cf_ix_import filled; accepts a zeroed or cleared result. */
void cf_ix_import_result_clear(cf_ix_import_result *r);

/**
 * A STIX 2.1 bundle of incidents: an incident SDO each, the identity of
 * each owner CERT, indicators (to block) or cyber-observable objects (seen),
 * vulnerabilities, the relationships between them, and the TLP 2.0
 * marking-definition objects the objects reference. Ids are derived from
 * the incidents' ids and revisions, so exporting the same revisions again
 * gives the same bundle.
 * @param incidents  an array of incident JSON as the node answers it (borrowed)
 * @param out        on CF_OK the bundle; untouched otherwise
 * @param err        on failure, which incident and field were wrong
 * @return CF_OK, CF_E_MALFORMED (an incident lacks its id or title, or a
 *         field has the wrong type), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_ix_export_stix(const cJSON *incidents, cJSON **out, char *err,
                                          size_t errlen);

/**
 * MISP event JSON: {"Event": {...}} for one incident, {"response": [{"Event":
 * ...}, ...]} for several or none (what MISP's REST search answers). Same
 * parameters and returns as cf_ix_export_stix().
 */
CF_MUST_CHECK cf_status cf_ix_export_misp(const cJSON *incidents, cJSON **out, char *err,
                                          size_t errlen);

#endif
