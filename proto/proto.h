/*
 * proto.h - the signed envelope and the message bodies of certfed
 * (DESIGN.md section 3, proto/certfed.proto).
 *
 * Receiving: cf_envelope_verify() checks the size before any parsing, decodes
 * only the outer Envelope, and verifies the signature over the bytes exactly as
 * received; only then may cf_message_decode() parse the body. Sending: fill a
 * cf_body, cf_body_encode() it, then cf_envelope_seal() the bytes.
 *
 * Plain C structs stand for the protobuf messages, so that no other module
 * includes protobuf-c. In a decoded message every pointer points into memory
 * owned by the cf_message; in a struct filled for encoding every pointer is
 * borrowed. All functions are thread-safe (no shared state).
 */
#ifndef CF_PROTO_H
#define CF_PROTO_H

#include "common/common.h"

#define CF_ID_LEN 32  /* message id: BLAKE2b-256 of the signed bytes */
#define CF_PK_LEN 32  /* Ed25519 / X25519 public key */
#define CF_SK_LEN 64  /* Ed25519 secret key as libsodium keeps it */
#define CF_SIG_LEN 64 /* Ed25519 signature */

/* The domain separation tag that starts the signed bytes, NUL included. */
#define CF_SIGN_DOMAIN "certfed/v1"
#define CF_SIGN_DOMAIN_LEN 11

/* Default limits; a node may configure its own (cf_limits). */
#define CF_DEFAULT_MAX_ENVELOPE (1024 * 1024)
#define CF_DEFAULT_MAX_REPEATED 1024
#define CF_DEFAULT_MAX_TEXT (64 * 1024) /* titles are capped lower, see body.c */

/* Message types; the values are the wire values of certfed.MsgType. */
typedef enum cf_msg_type {
    CF_MSG_INCIDENT = 1,
    CF_MSG_TASKING = 2,
    CF_MSG_TASK_STATUS = 3,
    CF_MSG_DIRECTIVE = 4,
    CF_MSG_ACK = 5,
    CF_MSG_MEMBER_CERT = 6,
    CF_MSG_REVOCATION = 7,
    CF_MSG_CATCHUP_REQUEST = 8,
    CF_MSG_CATCHUP_BATCH = 9,
    CF_MSG_SEALED = 10,
} cf_msg_type;

#define CF_MSG_TYPE_MAX CF_MSG_SEALED

/** The subject token of a type ("incident"); NULL for an unknown value. */
const char *cf_msg_type_name(int type);

/* Roles; the values are the wire values of certfed.Role. */
typedef enum cf_role {
    CF_ROLE_NONE = 0,
    CF_ROLE_ROOT = 1,
    CF_ROLE_COUNCIL = 2,
    CF_ROLE_NCERT = 3,
    CF_ROLE_SECTORAL = 4,
    CF_ROLE_PROVINCIAL = 5,
    CF_ROLE_CONSTITUENT = 6,
} cf_role;

#define CF_ROLE_MAX CF_ROLE_CONSTITUENT

/** "council", "ncert", ...; NULL for an unknown value. */
const char *cf_role_name(int role);
/** Parse a role name; CF_ROLE_NONE if unknown. */
cf_role cf_role_parse(const char *name);

typedef struct cf_limits {
    size_t max_envelope; /* bytes of a whole envelope */
    size_t max_repeated; /* entries of any repeated field */
    size_t max_text;     /* bytes of any string field */
} cf_limits;

/** The default limits. */
cf_limits cf_limits_default(void);

/* A list of strings. */
typedef struct cf_strv {
    const char *const *v;
    size_t n;
} cf_strv;

typedef struct cf_audience {
    cf_strv nodes;
    cf_strv subtrees;
    cf_strv roles;
} cf_audience;

typedef struct cf_header {
    const char *federation;
    const char *origin;
    uint64_t seq;
    bool has_prev_hash;
    uint8_t prev_hash[CF_ID_LEN];
    int64_t created_ms;
    int64_t expires_ms; /* 0: never */
    cf_audience audience;
} cf_header;

typedef struct cf_observable {
    const char *type;
    const char *value;
    bool to_block;
} cf_observable;

typedef struct cf_incident {
    const char *id;
    uint32_t revision;
    const char *title;
    const char *description;
    const char *rsit_class;
    const char *rsit_type;
    int severity; /* 0..5 */
    uint32_t confidence;
    int determination;
    int tlp;
    int pap;
    int status;
    const char *owner;
    const char *analyst;
    const char *sector;
    const char *province;
    const char *constituent;
    int64_t detected_ms;
    int64_t reported_ms;
    const cf_observable *observables;
    size_t n_observables;
    cf_strv related;
    const char *duplicate_of;
    const char *supersedes;
    const char *note;
    const char *source; /* where an imported incident came from; "" or NULL if reported here */
} cf_incident;

typedef struct cf_tasking {
    const char *id;
    const char *issuer;
    cf_strv assignees;
    int kind;
    const char *instructions;
    const char *deliverable;
    const char *incident;
    uint32_t priority;
    int64_t due_ms;
} cf_tasking;

typedef struct cf_task_status {
    const char *task;
    const char *assignee;
    int state;
    const char *reason;
    const char *result;
} cf_task_status;

typedef struct cf_directive {
    const char *number;
    uint32_t version;
    int kind;
    const char *title;
    const char *summary;
    cf_strv actions;
    const int *roles;
    size_t n_roles;
    cf_strv sectors;
    cf_strv provinces;
    int severity;
    int64_t effective_ms;
    int64_t comply_by_ms;
    bool ack_required;
    int64_t ack_by_ms;
} cf_directive;

typedef struct cf_ack {
    uint8_t message_id[CF_ID_LEN];
    /* a receipt (state 1) for several messages of one origin: the ids after
     * message_id, n_more * CF_ID_LEN bytes (cf_ack_id) */
    const uint8_t *more_ids;
    size_t n_more;
    const char *node;
    const char *analyst;
    int state;
    const char *reason;
    int64_t at_ms;
} cf_ack;

/* The ids a receipt stands for: i = 0 .. cf_ack_count(a) - 1. */
static inline size_t
cf_ack_count(const cf_ack *a)
{
    return 1 + a->n_more;
}
static inline const uint8_t *
cf_ack_id(const cf_ack *a, size_t i)
{
    return i == 0 ? a->message_id : a->more_ids + (i - 1) * CF_ID_LEN;
}

typedef struct cf_member_cert {
    const char *node;
    cf_role role;
    const char *parent;
    uint8_t identity_key[CF_PK_LEN];
    uint8_t transport_key[CF_PK_LEN];
    uint8_t encryption_key[CF_PK_LEN];
    uint64_t serial;
    int64_t not_before_ms;
    int64_t not_after_ms;
    uint8_t issuer_key[CF_PK_LEN];
} cf_member_cert;

typedef struct cf_revocation {
    uint8_t key[CF_PK_LEN];
    const char *node;
    uint64_t serial;
    uint64_t last_good_seq;
    const char *reason;
    int64_t revoked_ms;
} cf_revocation;

typedef struct cf_high_water_mark {
    const char *origin;
    uint64_t seq;
    bool has_head;
    uint8_t head[CF_ID_LEN];
} cf_high_water_mark;

typedef struct cf_catchup_request {
    const cf_high_water_mark *marks;
    size_t n_marks;
    uint32_t max_batch;
    bool own_only; /* only the requester's own envelopes */
    bool has_trust_digest;
    uint8_t trust_digest[CF_ID_LEN]; /* the trust documents the requester holds */
} cf_catchup_request;

typedef struct cf_bytes {
    const uint8_t *data;
    size_t len;
} cf_bytes;

typedef struct cf_catchup_batch {
    uint8_t request[CF_ID_LEN];
    const cf_bytes *envelopes;
    size_t n_envelopes;
    bool more;
    const cf_high_water_mark *scanned; /* (has_head unused) */
    size_t n_scanned;
} cf_catchup_batch;

/* Sizes of a sealed body's parts (libsodium's secretbox and sealed box). */
#define CF_SEAL_NONCE_LEN 24
#define CF_SEAL_WRAPPED_LEN 80 /* crypto_box_SEALBYTES + a 32-byte key */
#define CF_SEAL_MAC_LEN 16

typedef struct cf_sealed_recipient {
    const char *node;
    uint8_t wrapped_key[CF_SEAL_WRAPPED_LEN];
} cf_sealed_recipient;

/* A body encrypted to named recipients (certfed.proto, message Sealed). */
typedef struct cf_sealed {
    cf_msg_type inner_type;
    const cf_sealed_recipient *recipients;
    size_t n_recipients;
    uint8_t nonce[CF_SEAL_NONCE_LEN];
    const uint8_t *ciphertext;
    size_t ciphertext_len;
} cf_sealed;

/* A body: its header and the type-specific part. */
typedef struct cf_body {
    cf_msg_type type;
    cf_header header;
    union {
        cf_incident incident;
        cf_tasking tasking;
        cf_task_status task_status;
        cf_directive directive;
        cf_ack ack;
        cf_member_cert cert;
        cf_revocation revocation;
        cf_catchup_request catchup_request;
        cf_catchup_batch catchup_batch;
        cf_sealed sealed;
    } u;
} cf_body;

/**
 * Serialize a body. Checks the same limits a receiver checks, so nothing is
 * sent that a receiver with the same limits would refuse.
 * @param out  appended to; unchanged on failure
 * @return CF_OK, CF_E_INVALID_ARG (unknown type, invalid origin or node id,
 *         a value out of its range), CF_E_LIMIT, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_body_encode(const cf_body *body, const cf_limits *lim, cf_buf *out);

/* ---- envelopes ------------------------------------------------------------ */

/**
 * Sign body bytes as a message of the given type and append the serialized
 * Envelope to out.
 * @param sk  the signer's Ed25519 secret key (libsodium's 64-byte form; its
 *            second half is the public key)
 * @return CF_OK, CF_E_INVALID_ARG, CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_envelope_seal(cf_msg_type type, const uint8_t *body, size_t body_len,
                                         const uint8_t sk[CF_SK_LEN], cf_buf *out);

/**
 * Verify a detached Ed25519 signature over msg: the one signature check of
 * cf_envelope_verify, callable on raw bytes (tests feed it published vectors).
 * It is libsodium's strict verification: S must be canonical (S < L), and R
 * and the key must be canonical encodings of points that are not of small
 * order, so a signature has exactly one accepted encoding.
 * @param pk   the signer's public key (borrowed)
 * @param sig  sig_len bytes (borrowed); anything but CF_SIG_LEN is refused
 *             before any arithmetic
 * @return CF_OK, CF_E_MALFORMED (sig_len is not CF_SIG_LEN),
 *         CF_E_BAD_SIGNATURE
 */
CF_MUST_CHECK cf_status cf_sig_verify(const uint8_t pk[CF_PK_LEN], const uint8_t *msg,
                                      size_t msg_len, const uint8_t *sig, size_t sig_len);

/** A verified envelope. Embedded: filled by cf_envelope_verify, cf_envelope_clear. */
typedef struct cf_envelope {
    cf_msg_type type;
    const uint8_t *body; /* owned by this struct */
    size_t body_len;
    uint8_t signer[CF_PK_LEN];
    uint8_t id[CF_ID_LEN];
    void *priv;
} cf_envelope;

/**
 * Check the size of received bytes, decode the outer Envelope and verify its
 * signature over the domain-separated bytes. The body is not parsed.
 * @param wire  the bytes exactly as received (borrowed)
 * @param out   filled on CF_OK (release with cf_envelope_clear); untouched otherwise
 * @return CF_OK, CF_E_OVERSIZE, CF_E_MALFORMED, CF_E_UNSIGNED,
 *         CF_E_WRONG_TYPE (unknown type), CF_E_BAD_SIGNATURE, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_envelope_verify(const uint8_t *wire, size_t len, const cf_limits *lim,
                                           cf_envelope *out);
void cf_envelope_clear(cf_envelope *env);

/**
 * Decode an envelope this node verified before it stored it, without
 * verifying the signature again (reading the store back). Never use it on
 * bytes from the network.
 * @return CF_OK, CF_E_MALFORMED, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_envelope_parse_stored(const uint8_t *wire, size_t len, cf_envelope *out);

/**
 * The origin and seq a body's header names, read without decoding the body
 * (which may not be verified yet): a hint for finding what is stored under
 * them, never a reason to trust the bytes. Fields repeated: the last wins.
 * @return CF_OK, CF_E_MALFORMED (no header with an origin, or bad bytes)
 */
CF_MUST_CHECK cf_status cf_body_peek_key(const uint8_t *body, size_t len,
                                         char origin[CF_NODE_ID_MAX + 1], uint64_t *seq);

/** What cf_envelope_peek reads of an envelope (pointing into its bytes). */
typedef struct cf_envelope_view {
    cf_msg_type type;
    const uint8_t *body;
    size_t body_len;
    const uint8_t *signer; /* NULL unless there are CF_PK_LEN bytes of it */
} cf_envelope_view;

/**
 * The type, body and signer of an envelope, read without decoding it. Like
 * cf_body_peek_key, a hint: what it reads is what the decoder reads of
 * well-formed bytes (fields repeated: the last wins), and a caller decodes
 * (or verifies) whatever it does not settle by it.
 * @return CF_OK, CF_E_MALFORMED (no type, an unknown one, or bad bytes)
 */
CF_MUST_CHECK cf_status cf_envelope_peek(const uint8_t *wire, size_t len, cf_envelope_view *out);

/**
 * An incident body's id (into id, id_size bytes with its NUL) and severity,
 * read as cf_body_peek_key reads the header.
 * @return CF_OK, CF_E_MALFORMED (bad bytes, a severity out of range, or an id
 *         of id_size bytes or more: decode it to know), CF_E_INVALID_ARG
 */
CF_MUST_CHECK cf_status cf_body_peek_incident(const uint8_t *body, size_t len, char *id,
                                              size_t id_size, int *severity);

/** The message id of a body: BLAKE2b-256 of the domain-separated bytes. */
void cf_message_id(cf_msg_type type, const uint8_t *body, size_t body_len, uint8_t out[CF_ID_LEN]);

/** A decoded message: the verified envelope and its parsed body. */
typedef struct cf_message {
    cf_envelope env;
    cf_body body;
    void *priv;
} cf_message;

/**
 * Parse the body of a verified envelope and check it against the limits.
 * @param env  consumed: moved into the message on CF_OK; untouched otherwise
 * @param out  on CF_OK a new message, freed with cf_message_free()
 * @return CF_OK, CF_E_MALFORMED (does not decode, no header, bad key length),
 *         CF_E_LIMIT, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_message_decode(cf_envelope *env, const cf_limits *lim, cf_message **out);
void cf_message_free(cf_message *m);

/**
 * Check a header against our federation and the time.
 * @return CF_OK, CF_E_WRONG_FEDERATION, CF_E_EXPIRED, CF_E_MALFORMED (no origin)
 */
CF_MUST_CHECK cf_status cf_header_check(const cf_header *h, const char *federation, int64_t now_ms);

/**
 * Everything a receiver does before trust decisions: verify the envelope,
 * check that it has the expected type (0 accepts any), decode the body and
 * check its header.
 * @return any status of cf_envelope_verify, cf_message_decode and
 *         cf_header_check, or CF_E_WRONG_TYPE
 */
CF_MUST_CHECK cf_status cf_envelope_open(const uint8_t *wire, size_t len, const cf_limits *lim,
                                         int expected_type, const char *federation, int64_t now_ms,
                                         cf_message **out);

#endif
