/*
 * cli.h - what the certfed CLI's command files share: exit codes, error
 * output, and small helpers. One file per command (keys.c, bootstrap.c).
 * Exit 0 on success, 1 on failure with one "certfed: ..." line on stderr,
 * 2 on bad usage (DESIGN.md section 7).
 */
#ifndef CF_CLI_H
#define CF_CLI_H

#include "node/config.h"

#include <stdio.h>

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
 * Make a node's key directory (0700): identity.key, transport.nk (0600) and
 * node.pub. Existing keys are never overwritten: with keep_existing they are
 * loaded and reused (*out_kept set), otherwise CF_E_EXISTS.
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
