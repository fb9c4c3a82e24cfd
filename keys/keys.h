/*
 * keys.h - identities and the chain of trust (DESIGN.md section 2).
 *
 * A node has an identity (an Ed25519 signing key and an X25519 encryption key)
 * and a separate NATS transport nkey used only to log in to NATS. Member
 * certificates are signed envelopes of type CF_MSG_MEMBER_CERT, issued by the
 * parent; the Council's offline root certificate is self-signed and is the
 * only thing a node is configured to trust. A cf_trust holds the root, every
 * certificate that chains to it, and the revocations it has accepted.
 *
 * Secret keys live in sodium_malloc memory and are wiped when freed. No
 * network, no LMDB, no logging. A cf_trust is not thread-safe: one thread owns
 * it (the node's loop thread); the rest of the API is reentrant.
 */
#ifndef CF_KEYS_H
#define CF_KEYS_H

#include "proto/proto.h"

/* ---- identities ------------------------------------------------------------ */

typedef struct cf_identity {
    uint8_t *sign_sk; /* 64 bytes, sodium_malloc; second half is sign_pk */
    uint8_t sign_pk[CF_PK_LEN];
    uint8_t *box_sk; /* 32 bytes, sodium_malloc */
    uint8_t box_pk[CF_PK_LEN];
} cf_identity;

/** Generate a new identity. Free with cf_identity_free(). */
CF_MUST_CHECK cf_status cf_identity_generate(cf_identity **out);
void cf_identity_free(cf_identity *id);

/**
 * Write an identity key file, mode 0600, never replacing an existing file.
 * @param passphrase  NULL or "" writes it unsealed; otherwise sealed with
 *                    crypto_pwhash (Argon2id) and crypto_secretbox
 * @return CF_OK, CF_E_EXISTS, CF_E_IO, CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_identity_save(const cf_identity *id, const char *path,
                                         const char *passphrase);
/**
 * Write an identity key file in place of an existing one, atomically (a
 * synced temporary file renamed over it), mode 0600: to seal a key with a
 * passphrase, or to change its passphrase.
 * @return CF_OK, CF_E_IO, CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_identity_replace(const cf_identity *id, const char *path,
                                            const char *passphrase);
/**
 * Load an identity key file. Refuses a file that group or others may access.
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_PERMISSIONS, CF_E_IO, CF_E_MALFORMED,
 *         CF_E_PASSPHRASE (sealed and no or a wrong passphrase), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_identity_load(const char *path, const char *passphrase,
                                         cf_identity **out);

/* ---- end-to-end encryption (TLP:RED, TLP:AMBER+STRICT) -------------------- */

/** A recipient of a sealed message: its node id and certified X25519 key. */
typedef struct cf_seal_to {
    const char *node; /* borrowed */
    uint8_t box_pk[CF_PK_LEN];
} cf_seal_to;

/**
 * Encrypt inner (a signed envelope's bytes) to n recipients: a fresh key
 * encrypts it once (crypto_secretbox), and is wrapped for each recipient
 * with crypto_box_seal.
 * @param out_recipients  n entries, filled (node borrowed from to)
 * @param out_ciphertext  appended to (len + CF_SEAL_MAC_LEN bytes); untouched
 *                        on failure
 * @return CF_OK, CF_E_INVALID_ARG (nothing to seal or no recipient),
 *         CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_seal_encrypt(const uint8_t *inner, size_t len, const cf_seal_to *to,
                                        size_t n, cf_sealed_recipient *out_recipients,
                                        uint8_t out_nonce[CF_SEAL_NONCE_LEN],
                                        cf_buf *out_ciphertext);

/**
 * Decrypt a sealed body with the key wrapped for node self. Says nothing
 * about the inner bytes: the caller verifies them as an envelope.
 * @param out_inner  appended to; untouched on failure
 * @return CF_OK, CF_E_NOT_FOUND (self is not a recipient), CF_E_CRYPTO (the
 *         wrapped key or the ciphertext does not open with our key),
 *         CF_E_MALFORMED, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_seal_open(const cf_identity *id, const char *self, const cf_sealed *s,
                                     cf_buf *out_inner);

/* ---- NATS transport nkeys ------------------------------------------------ */

#define CF_NKEY_PUBLIC_LEN 56 /* "U" + base32 of prefix, key and CRC */
#define CF_NKEY_SEED_LEN 58   /* "SU" + ... */

typedef struct cf_nkey {
    uint8_t *sk; /* 64 bytes, sodium_malloc */
    uint8_t pk[CF_PK_LEN];
} cf_nkey;

CF_MUST_CHECK cf_status cf_nkey_generate(cf_nkey **out);
void cf_nkey_free(cf_nkey *k);
/** Write the seed in the standard NATS text form ("SU..."), 0600, never replacing. */
CF_MUST_CHECK cf_status cf_nkey_save(const cf_nkey *k, const char *path);
/** Load a seed file; refuses files readable by others. Same statuses as cf_identity_load. */
CF_MUST_CHECK cf_status cf_nkey_load(const char *path, cf_nkey **out);
/** The public nkey of a user ("U..."), NUL-terminated. */
void cf_nkey_public_encode(const uint8_t pk[CF_PK_LEN], char out[CF_NKEY_PUBLIC_LEN + 1]);
/** Decode a public user nkey. @return CF_OK or CF_E_MALFORMED (bad prefix, length or CRC) */
CF_MUST_CHECK cf_status cf_nkey_public_decode(const char *text, uint8_t out[CF_PK_LEN]);
/** Sign a server nonce for the NATS login. */
void cf_nkey_sign(const cf_nkey *k, const uint8_t *msg, size_t len, uint8_t sig[CF_SIG_LEN]);

/* ---- public key files (what a node hands its parent to be certified) ---- */

typedef struct cf_pubkeys {
    uint8_t identity[CF_PK_LEN];
    uint8_t transport[CF_PK_LEN];
    uint8_t encryption[CF_PK_LEN];
} cf_pubkeys;

/** Write node.pub (mode 0644, never replacing). */
CF_MUST_CHECK cf_status cf_pubkeys_save(const cf_pubkeys *pk, const char *path);
/** @return CF_OK, CF_E_NOT_FOUND, CF_E_IO, CF_E_MALFORMED */
CF_MUST_CHECK cf_status cf_pubkeys_load(const char *path, cf_pubkeys *out);

/* ---- ASCII armour -------------------------------------------------------- */

#define CF_ARMOR_CERT "CERTFED CERTIFICATE"
#define CF_ARMOR_REVOCATION "CERTFED REVOCATION"

/** Append one armoured block ("-----BEGIN LABEL-----", base64, END) to out. */
CF_MUST_CHECK cf_status cf_armor_encode(const char *label, const uint8_t *data, size_t len,
                                        cf_buf *out);

typedef cf_status (*cf_armor_cb)(const uint8_t *data, size_t len, void *ctx);
/**
 * Call cb for every block with the given label in text, in order. Stops at
 * the first status other than CF_OK that cb returns, and returns it.
 * @return CF_OK, CF_E_MALFORMED (unterminated or empty block, bad base64),
 *         CF_E_OVERSIZE, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_armor_decode(const char *text, const char *label, cf_armor_cb cb,
                                        void *ctx);

/* ---- certificates ------------------------------------------------------------ */

/** A parsed, signature-checked certificate. Free with cf_cert_free(). */
typedef struct cf_cert {
    uint8_t *wire; /* the signed envelope bytes */
    size_t len;
    cf_message *msg;            /* the decoded envelope */
    const cf_member_cert *body; /* &msg->body.u.cert */
    const char *federation;     /* msg->body.header.federation */
} cf_cert;

/** May a certificate of role issuer sign one of role subject? */
bool cf_role_may_certify(cf_role issuer, cf_role subject);

/* New certificates are valid from this long before they are made, so that
 * a node whose clock runs behind (by up to this much) accepts them. */
#define CF_CERT_BACKDATE_MS (60 * 60 * 1000)

typedef struct cf_cert_request {
    const char *federation;
    const char *node;
    cf_role role;
    const char *parent; /* NULL or "" for the apex */
    cf_pubkeys keys;
    int64_t not_before_ms;
    int64_t not_after_ms;
} cf_cert_request;

/**
 * Issue a certificate. With issuer_cert NULL it is a self-signed root: the
 * request's role must be CF_ROLE_ROOT and its identity key the issuer's.
 * Otherwise the issuer's role must be allowed to certify the request's role
 * and the request's parent must be the issuer's node (or, for the Council
 * node certified by the root, the root's own node id).
 * @return CF_OK, CF_E_INVALID_ARG (also: identity and transport keys equal),
 *         CF_E_UNAUTHORIZED, CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_cert_issue(const cf_identity *issuer, const cf_cert *issuer_cert,
                                      const cf_cert_request *req, cf_cert **out);

/**
 * Parse a certificate and check that it is signed by the key it names as its
 * issuer. Says nothing about trust: see cf_trust_add_cert().
 * @return CF_OK, any status of cf_envelope_verify and cf_message_decode,
 *         CF_E_WRONG_TYPE, CF_E_BAD_SIGNATURE (signer is not the issuer key)
 */
CF_MUST_CHECK cf_status cf_cert_parse(const uint8_t *wire, size_t len, cf_cert **out);
void cf_cert_free(cf_cert *c);

/** Parse every certificate of an armoured file. *out is freed with cf_certv_free. */
CF_MUST_CHECK cf_status cf_cert_load_file(const char *path, cf_cert ***out, size_t *out_n);
void cf_certv_free(cf_cert **v, size_t n);

/* ---- revocations ---------------------------------------------------------- */

typedef struct cf_revoke_request {
    const cf_cert *subject; /* the certificate being revoked */
    uint64_t last_good_seq;
    const char *reason;
    int64_t now_ms;
} cf_revoke_request;

/**
 * Sign a revocation of subject's key as a stand-alone document (Header.seq 0).
 * Offline only the subject's direct issuer or the root can be checked, so
 * only they may sign here; receivers (cf_trust_add_revocation) accept a
 * revocation from any ancestor.
 * @return CF_OK, CF_E_UNAUTHORIZED, CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_revocation_issue(const cf_identity *issuer, const cf_cert *issuer_cert,
                                            const cf_revoke_request *req, cf_buf *out);

/* ---- the trust store ------------------------------------------------------ */

typedef struct cf_trust cf_trust;

/*
 * Root rotation: the root signs a certificate of role ROOT for a new key
 * (same node, no parent). A store that accepts it trusts the new key as an
 * anchor of its own from then on, and the old root stays trusted for this
 * long after the rotation's not_before, so that the Council and NCERT can
 * be certified again under the new root and their certificates reach every
 * node. Every node computes the same end from the signed document.
 */
#define CF_ROOT_OVERLAP_MS (30LL * 24 * 60 * 60 * 1000)

/**
 * A trust store rooted in one self-signed root certificate.
 * @param root  copied; must be a self-signed CF_ROLE_ROOT certificate
 * @return CF_OK, CF_E_BAD_CHAIN (not a self-signed root), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_trust_new(const cf_cert *root, cf_trust **out);
void cf_trust_free(cf_trust *t);
const cf_cert *cf_trust_root(const cf_trust *t);
const char *cf_trust_federation(const cf_trust *t);

/**
 * Validate a certificate's chain to the root at time now (its issuer must
 * already be in the store) and add it. Adding a certificate already present is
 * CF_OK. A ROOT certificate signed by a trusted root (a rotation) becomes a
 * root itself, and the one that signed it is trusted until
 * CF_ROOT_OVERLAP_MS after the rotation's not_before.
 * @return CF_OK, CF_E_WRONG_FEDERATION, CF_E_BAD_CHAIN (issuer unknown, or a
 *         self-signed certificate that is not our root), CF_E_EXPIRED,
 *         CF_E_NOT_YET_VALID, CF_E_REVOKED, CF_E_UNAUTHORIZED (the issuer's
 *         role may not certify the subject's, the parent does not match, the
 *         identity key is already certified for another place, the node id is
 *         held by a valid certificate of another role or parent, or the
 *         identity key is also the transport key),
 *         CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_trust_add_cert(cf_trust *t, const cf_cert *c, int64_t now_ms);

/**
 * Add certificates in any order (a bundle): repeats passes until no more
 * can be added. Reports the first failure of a certificate that could not be
 * added in *out_failed (may be NULL) and returns its status.
 */
CF_MUST_CHECK cf_status cf_trust_add_certs(cf_trust *t, cf_cert *const *v, size_t n, int64_t now_ms,
                                           size_t *out_failed);

/**
 * Check a certificate's chain as cf_trust_add_cert does, without adding it.
 */
CF_MUST_CHECK cf_status cf_trust_check_cert(const cf_trust *t, const cf_cert *c, int64_t now_ms);

/**
 * Accept a signed revocation: it must be signed by the root or by an
 * ancestor of the revoked certificate.
 * @return CF_OK, any status of cf_envelope_open, CF_E_UNKNOWN_SIGNER,
 *         CF_E_UNAUTHORIZED, CF_E_NOT_FOUND (the revoked certificate is
 *         unknown), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_trust_add_revocation(cf_trust *t, const uint8_t *wire, size_t len,
                                                int64_t now_ms);

/** The certificate of this identity key (the newest valid now, else the newest), or NULL. */
const cf_cert *cf_trust_find_key(const cf_trust *t, const uint8_t key[CF_PK_LEN]);
/** The newest valid certificate of a node id, or NULL. */
const cf_cert *cf_trust_find_node(const cf_trust *t, const char *node, int64_t now_ms);
/**
 * A node's place in the hierarchy: its newest valid certificate, or failing
 * that the newest whose only fault is that its own key is revoked (the
 * node keeps its place: its messages up to the last good sequence number
 * stay valid, and a new key may be certified for it). NULL if neither.
 */
const cf_cert *cf_trust_find_place(const cf_trust *t, const char *node, int64_t now_ms);

/**
 * May this key sign a message with sequence number seq now? Its certificate
 * must be known, its whole chain valid at now and unrevoked, except that a
 * revoked key's messages up to the revocation's last good sequence number
 * stay valid (seq 0, a stand-alone document, never does).
 * @param out_cert  may be NULL; on CF_OK the signer's certificate (borrowed)
 * @return CF_OK, CF_E_UNKNOWN_SIGNER, CF_E_EXPIRED, CF_E_NOT_YET_VALID,
 *         CF_E_REVOKED, CF_E_BAD_CHAIN, CF_E_UNAUTHORIZED
 */
CF_MUST_CHECK cf_status cf_trust_check_signer(const cf_trust *t, const uint8_t key[CF_PK_LEN],
                                              uint64_t seq, int64_t now_ms,
                                              const cf_cert **out_cert);

/** Is this key revoked (at any sequence)? Sets *out_last_good if so. */
bool cf_trust_is_revoked(const cf_trust *t, const uint8_t key[CF_PK_LEN], uint64_t *out_last_good);

/** Certificates in the store, for listing (borrowed, valid until the next change). */
size_t cf_trust_count(const cf_trust *t);
/** Trusted roots: the configured one and accepted rotations (retired ones included). */
size_t cf_trust_root_count(const cf_trust *t);
/** Revoked keys. */
size_t cf_trust_revoked_count(const cf_trust *t);
const cf_cert *cf_trust_at(const cf_trust *t, size_t i);

#endif
