/*
 * keys_private.h - what keys/'s files share: the key=value text format of
 * key files. Only files of keys/ include this.
 */
#ifndef CF_KEYS_PRIVATE_H
#define CF_KEYS_PRIVATE_H

#include "keys/keys.h"

/* Largest key file we read; real ones are a few hundred bytes. */
#define KEYFILE_MAX 8192

/*
 * Find "name = value" in a key file's text and return a pointer to the value
 * and its length (up to the end of the line, trailing blanks removed).
 * Lines starting with '#' are comments. Returns false if absent.
 */
bool keyfile_get(const char *text, const char *name, const char **out, size_t *out_len);
/* Decode a base64 value of exactly n bytes into out. */
CF_MUST_CHECK cf_status keyfile_get_bytes(const char *text, const char *name, uint8_t *out,
                                          size_t n);
/* Read a secret key file after checking it is private; wipe with keyfile_free. */
CF_MUST_CHECK cf_status keyfile_read_private(const char *path, char **out, size_t *out_len);
void keyfile_free(char *text, size_t len);

/*
 * Does subject's place in the hierarchy fit its issuer? The issuer's role
 * must be allowed to certify the subject's, and the subject's parent must be
 * the issuer's node; the root (whose node id is the Council's) certifies the
 * Council's own node, which has no parent, and NCERT, whose parent is the
 * Council.
 */
bool cf_cert_relation_ok(const cf_member_cert *issuer, const cf_member_cert *subject);

#endif
