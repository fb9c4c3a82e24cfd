/*
 * interchange_private.h - what the STIX (stix.c) and MISP (misp.c) mappers
 * share with interchange.c: the vocabularies, the incident being built and
 * its checks, problems with their JSON paths, names and times.
 */
#ifndef CF_CLI_INTERCHANGE_PRIVATE_H
#define CF_CLI_INTERCHANGE_PRIVATE_H

#include "node/cli/interchange.h"

#include <stdbool.h>
#include <stdint.h>

/* The node's limits (proto/body.c, proto/proto.h defaults): titles, names and
 * labels are short; descriptions and observable values are free text. */
#define IX_SHORT 256
#define IX_TEXT (64 * 1024)
#define IX_MAX_OBSERVABLES 1024
/* A path into a document, as errors name it. */
#define IX_PATH 160

/* Levels as the node numbers them (proto/certfed.proto). */
enum { IX_TLP_NONE = 0, IX_TLP_CLEAR, IX_TLP_GREEN, IX_TLP_AMBER, IX_TLP_AMBER_STRICT, IX_TLP_RED };
extern const char *const ix_tlp_names[6];           /* "", "clear", ..., "red" */
extern const char *const ix_severity_names[6];      /* "baseline" .. "emergency" */
extern const char *const ix_status_names[6];        /* "", "new" .. "closed" */
extern const char *const ix_determination_names[4]; /* "", "suspected" .. "false-positive" */
extern const char *const ix_pap_names[5];           /* "", "clear", "green", "amber", "red" */
/** The index of name in names (exact match), or -1. */
int ix_lookup(const char *const *names, int count, const char *name);

/* ---- problems ---------------------------------------------------------------- */

typedef struct ix_ctx {
    cJSON *errors;
    cJSON *notes;
    size_t n_errors; /* all of them, listed or not */
    bool nomem;
    int64_t now_ms;
} ix_ctx;

/** Record "PATH: text" as a problem that stops the import. */
void ix_error(ix_ctx *c, const char *path, const char *fmt, ...) CF_PRINTF(3, 4);
/** Record "PATH: text" as a note (something left out or decided). */
void ix_note(ix_ctx *c, const char *path, const char *fmt, ...) CF_PRINTF(3, 4);
/** A value for a message: quoted, at most ~60 bytes, control bytes as '?'. */
const char *ix_quote(const char *s, char out[80]);
/** snprintf into a path buffer (IX_PATH bytes). */
const char *ix_path(char out[IX_PATH], const char *fmt, ...) CF_PRINTF(2, 3);

/* ---- reading a document ------------------------------------------------------------ */

/**
 * The string member name of o, checked: NULL if absent (or JSON null);
 * if present but not a string, not valid UTF-8, or longer than max bytes,
 * an error naming PATH.name and NULL.
 */
const char *ix_str(ix_ctx *c, const cJSON *o, const char *name, size_t max, const char *path);
/** Whether s is valid UTF-8 with no NUL bytes in its first len bytes. */
bool ix_utf8_ok(const char *s, size_t len);

/* ---- the incident being built --------------------------------------------------------- */

typedef struct ix_incident {
    char where[IX_PATH];  /* where it is in the document: "objects[2]", "Event" */
    cJSON *report;        /* the args of incident.report being filled */
    cJSON *observables;   /* the "observables" array in report */
    int tlp;              /* the most restrictive TLP seen so far, IX_TLP_NONE if none */
    int incident_tlp;     /* the incident's own marking, before its parts raised it */
    char tlp_by[IX_PATH]; /* the part that raised it, if one did */
    size_t n_observables; /* distinct ones, counted past the limit */
    bool has_rsit;        /* a RSIT tag was taken */
    bool has_severity_tag;
    bool has_status_tag;
    int pap; /* the most restrictive PAP tag seen so far, 0 if none */
    char rsit_where[IX_PATH];
    int n_other_tags; /* tags with no certfed field */
    char other_tag[80];
} ix_incident;

/** Start an incident found at where. @return false on out of memory */
bool ix_incident_init(ix_incident *inc, const char *where);
void ix_incident_clear(ix_incident *inc);
/** Set a string field of the report (not set if s is NULL or empty). */
void ix_set_str(ix_incident *inc, const char *key, const char *s);
/** Raise the incident's TLP to level if that is more restrictive; path says
 * which part of the document carried it (NULL: the incident itself). */
void ix_tlp_raise(ix_incident *inc, int level, const char *path);
/**
 * Add an observable (certfed type and value), checking the value's form for
 * the types that have one (an IP address, a hash's hex length, a CVE id):
 * the same (type, value) twice is one observable, to block if either says
 * so. A bad value is an error naming path.
 */
void ix_obs_add(ix_ctx *c, ix_incident *inc, const char *type, const char *value, bool to_block,
                const char *path);
/** Add every observable of src to inc (as ix_obs_add would, without checks). */
void ix_obs_merge_all(ix_ctx *c, ix_incident *inc, const ix_incident *src);
/** Set "source": prefix, then ` from "CREATOR"` if creator is given, cut to
 * the IX_SHORT bytes the node takes (at a character boundary). */
void ix_set_source(ix_incident *inc, const char *prefix, const char *creator);
/**
 * Take one tag or label (a MISP tag's name, a STIX label): tlp:LEVEL,
 * PAP:LEVEL, priority-level:LEVEL, rsit:CLASS="TYPE",
 * certfed:status|determination|sector|province|constituent="V", and the
 * links certfed:related|duplicate-of|supersedes="INCIDENT-ID".
 * Others are counted and named in one note. A recognised tag with a value
 * certfed does not know is an error naming path.
 */
void ix_tag(ix_ctx *c, ix_incident *inc, const char *tag, const char *path);
/** The TLP level of a tag ("tlp:amber+strict"): the level, -1 if the tag is
 * not a TLP level (tlp:ex:chr is about handling), -2 if it is tlp: with an
 * unknown level. */
int ix_tag_tlp(const char *tag);
/**
 * Check the finished incident (a title, at most IX_MAX_OBSERVABLES
 * observables, the size of its request), note its TLP, add {"where",
 * "report"} to out and take report over.
 */
void ix_incident_finish(ix_ctx *c, ix_incident *inc, cJSON *out);

/* ---- observables: the vocabulary ----------------------------------------------------------- */

/* A file hash: certfed's type, STIX's hashes key, MISP's attribute type, and
 * the hex length of its value (0: not hex). */
typedef struct ix_hash {
    const char *type;
    const char *stix;
    const char *misp;
    size_t hex_len;
} ix_hash;
extern const ix_hash ix_hashes[];
extern const size_t ix_n_hashes;
/** The hash of a certfed type ("sha256"), or of a generic "hash" by the
 * length of its hex value; NULL if neither. */
const ix_hash *ix_hash_of(const char *type, const char *value);
/** The hash whose STIX key is name (case-insensitive, with or without the
 * dash: "SHA-256", "sha256"); NULL if none. */
const ix_hash *ix_hash_by_stix(const char *name);
/** Normalise an autonomous system number ("AS64496", "as64496", "64496") to
 * "AS64496" into out; false if it is none. */
bool ix_asn_parse(const char *s, char out[16], uint32_t *out_number);

/* ---- exporting ---------------------------------------------------------------------------- */

/* An incident JSON's fields, read and checked for export. */
typedef struct ix_export_incident {
    const char *id, *title, *description, *owner, *analyst, *sector, *province;
    const char *rsit_class, *rsit_type, *source, *constituent, *duplicate_of, *supersedes;
    const cJSON *related;                      /* array of incident ids, or NULL */
    int determination;                         /* 0 if absent */
    int pap;                                   /* 0 if absent */
    const char *reported, *updated, *detected; /* ISO 8601 or NULL */
    const char *message_id;                    /* or NULL */
    int severity;                              /* -1 if absent */
    int tlp;                                   /* IX_TLP_NONE if absent */
    int status;                                /* 0 if absent */
    int confidence;                            /* -1 if absent */
    const cJSON *observables;                  /* array or NULL */
} ix_export_incident;

/** Read incident k of an export. @return CF_OK or CF_E_MALFORMED (err says which) */
CF_MUST_CHECK cf_status ix_export_read(const cJSON *j, size_t k, ix_export_incident *out, char *err,
                                       size_t errlen);
/** The machine tags that say what STIX and MISP have no field for: the
 * severity (priority-level:), the RSIT class, PAP (PAP:LEVEL, MISP's PAP
 * taxonomy), and certfed:status, determination, sector, province,
 * constituent, related, duplicate-of, supersedes; with_tlp adds tlp:LEVEL
 * first. Adds strings to out. */
void ix_export_tags(const ix_export_incident *e, bool with_tlp, cJSON *out);

/* ---- names and times ------------------------------------------------------------------------ */

/** A deterministic UUID (RFC 4122 layout, version 4 bits) from BLAKE2b of
 * kind and the n parts: the same inputs give the same id in every export. */
void ix_uuid_of(const char *kind, const char *const *parts, size_t n, char out[37]);
/** ix_uuid_of with one to three parts (b and c may be NULL). */
void ix_uuid(const char *kind, const char *a, const char *b, const char *c, char out[37]);
/** Whether s is "<type>--<uuid>". */
bool ix_stix_id_ok(const char *s, const char *type);
/** Whether s is a UUID (8-4-4-4-12 hex). */
bool ix_uuid_ok(const char *s);
/** Parse an RFC 3339 UTC time ("2026-05-03T10:22:00Z", fractions allowed,
 * "Z" or "+00:00") or a date ("2026-05-03"); false if it is neither. */
bool ix_time_parse(const char *s, int64_t *out_ms);
/** "2026-05-03T10:22:00.000Z" */
void ix_time_format(int64_t ms, char out[32]);

cf_status ix_stix_import(ix_ctx *c, const cJSON *doc, cJSON *incidents);
cf_status ix_misp_import(ix_ctx *c, const cJSON *doc, cJSON *incidents);

#endif
