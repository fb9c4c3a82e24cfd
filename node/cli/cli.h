/*
 * cli.h - what the certfed CLI's command files share: exit codes, error
 * output, and small helpers. One file per command (keys.c, bootstrap.c).
 * Exit 0 on success, 1 on failure with one "certfed: ..." line on stderr,
 * 2 on bad usage (DESIGN.md section 7).
 */
#ifndef CF_CLI_H
#define CF_CLI_H

#include "node/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/** Print "certfed: <message>" to stderr and return CLI_FAIL. */
int cli_fail(const char *fmt, ...) CF_PRINTF(1, 2);
/** Print "certfed: <message>" and the usage text to stderr; return CLI_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) CF_PRINTF(2, 3);
/** "2026-11-29T08:00:00Z" */
void cli_format_time(int64_t ms, char *out, size_t len);

/**
 * Why a common/ or keys/ call failed with st, for a message: errno's text for
 * CF_E_IO (which leaves errno set), the status name otherwise. Call it before
 * anything else can change errno.
 */
static inline const char *
cli_reason(cf_status st)
{
    return st == CF_E_IO ? strerror(errno) : cf_status_str(st);
}

/**
 * Print o as JSON on stdout (the --json output of a command). Takes ownership
 * of o, which may be NULL (out of memory while building it).
 * @return CLI_OK, or CLI_FAIL with a "certfed: out of memory" line
 */
int cli_print_json(cJSON *o);

/**
 * A fresh random Ed25519 public key whose secret half is thrown away: the
 * transport key of a root certificate, as a root never logs in to NATS and
 * one key never serves both signing and a NATS login (DESIGN.md section 2).
 */
void cli_unusable_transport_key(uint8_t out[CF_PK_LEN]);

/**
 * Make a node's key directory (0700): identity.key, transport.nk (0600) and
 * node.pub. Existing keys are never overwritten: with keep_existing they are
 * loaded and reused (*out_kept set), otherwise CF_E_EXISTS. An existing
 * directory that group or others may access is refused (CF_E_PERMISSIONS).
 * @param out, out_kept  set on CF_OK only; untouched otherwise
 * @param err            on failure, a message naming the file and the problem
 * @return CF_OK, CF_E_EXISTS, CF_E_PERMISSIONS, CF_E_IO, CF_E_NOMEM, or why an
 *         existing key did not load (cf_identity_load, cf_nkey_load)
 */
CF_MUST_CHECK cf_status cli_keydir_create(const char *dir, const char *passphrase,
                                          bool keep_existing, cf_pubkeys *out, bool *out_kept,
                                          char *err, size_t errlen);

int cli_keys(int argc, char **argv);
int cli_bootstrap(int argc, char **argv);

/* Validity defaults, in days. */
#define CLI_ROOT_DAYS 3650
#define CLI_NODE_DAYS 730

#endif
