/*
 * internal.h - what node.c (the receive pipeline), catchup.c, trustdocs.c
 * and commands.c share. Not an API: loop thread only, like everything of a
 * cf_node.
 */
#ifndef CF_NODE_INTERNAL_H
#define CF_NODE_INTERNAL_H

#include "node/node.h"

/* Something to publish once the transaction that made it has committed. */
typedef struct cf_effect {
    struct cf_effect *next;
    char *subject;
    size_t len;
    uint8_t data[];
} cf_effect;

typedef struct cf_effects {
    cf_effect *head, *tail;
} cf_effects;

/** Add a publication (copied). @return CF_OK or CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_effects_add(cf_effects *fx, const char *subject, const uint8_t *data,
                                       size_t len);
void cf_effects_clear(cf_effects *fx);
/** Publish (after the commit) and clear. */
void cf_effects_publish(cf_node *n, cf_effects *fx);

/*
 * Take one envelope into the open transaction t: verify, check, record,
 * apply, acknowledge, forward; count it and log a rejection. via names the
 * peer whose catch-up batch carried it (NULL from the bus). verdict (may be
 * NULL) gets what became of it: CF_OK, or the rejection reason.
 * @return CF_OK (accepted, ignored or rejected: counted and logged), or a
 *         store error, after which the transaction must be abandoned
 */
CF_MUST_CHECK cf_status cf_node_receive(cf_node *n, cf_txn *t, const uint8_t *data, size_t len,
                                        const char *subject, const char *via, int64_t now_ms,
                                        cf_effects *fx, bool *trust_changed, cf_status *verdict);

/**
 * Sign the receipts owed for what the open transaction t received (one per
 * origin, for up to CF_RECEIPT_IDS_MAX messages each), store them and
 * publish them after the commit with fx. Call before committing a
 * transaction in which cf_node_receive ran; cf_node_receipts_forget if it is
 * abandoned.
 * @return CF_OK, or a store error (the transaction must be abandoned)
 */
CF_MUST_CHECK cf_status cf_node_receipts_sign(cf_node *n, cf_txn *t, int64_t now_ms,
                                              cf_effects *fx);
void cf_node_receipts_forget(cf_node *n);

/**
 * One turn of the receive loop: take msgs (from the bus, in order) in one
 * write transaction, commit, then publish what they caused (receipts,
 * forwards). Frees msgs.
 */
void cf_node_receive_batch(cf_node *n, cf_link_msg *msgs, int64_t now_ms);

/**
 * The same through the thread pool, as with [limits] verify_pool: msgs go
 * to verify jobs in parts of at most CF_VERIFY_JOB_MAX, and the loop takes
 * them as turns once checked; the caller runs the loop until n->jobs is
 * NULL. Frees msgs.
 */
void cf_node_receive_pooled(cf_node *n, cf_link_msg *msgs);

/**
 * A recipient is back (catch-up.c, after its outbox entries were made due):
 * what was resent while it was away is written off, so the resend window is
 * open, and the outbox goes at the end of this turn instead of after
 * resend_first_ms of silence.
 */
void cf_node_outbox_reopen(cf_node *n);

/** The least wait before an envelope without a receipt is sent again:
 * resend_first_ms / 2, or longer while receipts take longer (node.c). */
int64_t cf_node_resend_after_ms(const cf_node *n);

/* ---- catch-up (catchup.c) -------------------------------------------------- */

/** The peer with this id, or NULL if id is neither our parent nor a child. */
cf_peer_sync *cf_catchup_peer(cf_node *n, const char *id);
/** Rebuild the peer list after the hierarchy changed, keeping known state. */
CF_MUST_CHECK cf_status cf_catchup_peers_rebuild(cf_node *n);
void cf_catchup_peers_free(cf_node *n);

/**
 * Ask a peer for what we lack (own_only: only our own messages, at start).
 * The request is added to fx; the caller commits and publishes.
 */
CF_MUST_CHECK cf_status cf_catchup_ask(cf_node *n, cf_txn *t, cf_peer_sync *p, bool own_only,
                                       int64_t now_ms, cf_effects *fx);
/** Ask every peer, in a transaction of its own, and publish at once. */
void cf_catchup_ask_all(cf_node *n, bool own_only);

/** Answer a verified catch-up request from a peer (the answer goes to fx). */
CF_MUST_CHECK cf_status cf_catchup_answer(cf_node *n, cf_txn *t, const cf_message *m,
                                          int64_t now_ms, cf_effects *fx, const char **why);
/** Take a verified catch-up batch from a peer: each envelope is received as
 * if from the bus. */
CF_MUST_CHECK cf_status cf_catchup_take(cf_node *n, cf_txn *t, const cf_message *m, int64_t now_ms,
                                        cf_effects *fx, bool *trust_changed, const char **why);
/**
 * One of our own envelopes came back from a peer: if it is beyond our
 * sequence (a store restored from an old backup), take it and continue the
 * stream after it; if we hold another envelope for its sequence, raise an
 * alarm (our key signed elsewhere).
 * @return CF_OK (taken), CF_E_DUPLICATE, CF_E_FORK, store errors
 */
CF_MUST_CHECK cf_status cf_catchup_adopt_own(cf_node *n, cf_txn *t, const cf_message *m,
                                             const uint8_t *wire, size_t len, int64_t now_ms,
                                             const char *via);

/*
 * Catch-up state a receiving transaction changes (requests asked, batches
 * taken, how far peers looked) is kept only if the transaction commits:
 * begin before it, end after it with whether it committed.
 */
CF_MUST_CHECK cf_status cf_catchup_txn_begin(cf_node *n);
void cf_catchup_txn_end(cf_node *n, bool committed);

/** Stop waiting for our own messages at start: hold no more. */
void cf_node_learning_done(cf_node *n, const char *how);
/** The trust store changed: rebuild the hierarchy from it (logs a failure). */
void cf_node_trust_changed(cf_node *n, int64_t now_ms);

/* ---- trust documents (trustdocs.c) ----------------------------------------------- */

/* The most certificates and revocations a node keeps learnt; beyond, new
 * ones are refused (over-limit). Only certifying nodes sign them. */
#define CF_TRUSTDOCS_MAX 10000

/**
 * Take a certificate or revocation whose signer process_one checked: add it
 * to the trust store, keep it (CF_T_CERTS or CF_T_REVOKED, and in order in
 * CF_T_TRUSTDOCS) and pass it on to the parent and the subtree (to fx).
 * @return CF_OK (new: *trust_changed set), CF_E_DUPLICATE (held already),
 *         CF_E_LIMIT, any refusal of cf_trust_add_cert or
 *         cf_trust_add_revocation, store errors
 */
CF_MUST_CHECK cf_status cf_trustdocs_learn(cf_node *n, cf_txn *t, const cf_message *m,
                                           const uint8_t *wire, size_t len, int64_t now_ms,
                                           cf_effects *fx, bool *trust_changed);
/** At start: put what the store learnt into the trust store, in the order learnt. */
CF_MUST_CHECK cf_status cf_trustdocs_load(cf_node *n, cf_txn *t, int64_t now_ms);
/** BLAKE2b-256 of the ids of the held trust documents, in id order. */
CF_MUST_CHECK cf_status cf_trustdocs_digest(cf_txn *t, uint8_t out[CF_ID_LEN]);
/** How many trust documents the store holds. */
size_t cf_trustdocs_count(cf_txn *t);
/** Is this stored or received envelope a certificate or a revocation? */
bool cf_trustdocs_is_doc(const uint8_t *data, size_t len);
/**
 * The trust documents for a catch-up answer: none if the request's digest
 * is ours (or absent); else at most max of them, within budget bytes,
 * from where the last answer to p stopped. *out (malloc'd copies in a
 * malloc'd array of *out_cap) is the caller's. *out_more: some were left.
 * The out-parameters are set on CF_OK only.
 * @return CF_OK, store errors, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_trustdocs_answer(cf_txn *t, const cf_catchup_request *r, cf_peer_sync *p,
                                            size_t max, size_t budget, cf_bytes **out,
                                            size_t *out_n, size_t *out_cap, size_t *out_bytes,
                                            bool *out_more);
/**
 * Publish a certificate or revocation handed to this node (trust.publish):
 * received as if from the bus in a transaction of its own, so a new one is
 * checked, kept and passed on. *verdict: CF_OK (new), CF_E_DUPLICATE, or
 * why it was refused. out_id: its id. Both set on CF_OK only.
 * @return CF_OK (see *verdict), CF_E_MALFORMED, CF_E_WRONG_TYPE, store errors
 */
CF_MUST_CHECK cf_status cf_trustdocs_publish(cf_node *n, const uint8_t *wire, size_t len,
                                             cf_status *verdict, uint8_t out_id[CF_ID_LEN]);

/* ---- TLP:RED and TLP:AMBER+STRICT (tlp.c) ---------------------------------- */

/** Is this body one that travels encrypted (an incident at TLP:AMBER+STRICT or RED)? */
bool cf_tlp_needs_sealing(const cf_body *b);

/**
 * The recipients of a sealed incident of ours: the nodes named (by default
 * our parent) and ourselves, in topology order. Each must be an ancestor.
 * @return CF_OK, CF_E_INVALID_ARG, CF_E_UNAUTHORIZED (why says which), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_tlp_recipients(cf_node *n, const cf_strv named, cf_strlist *out,
                                          const char **why);

/* What a sealed body built by cf_tlp_seal points into. */
typedef struct cf_sealing {
    cf_sealed_recipient *recipients;
    uint8_t nonce[CF_SEAL_NONCE_LEN];
    cf_buf ciphertext;
} cf_sealing;
void cf_sealing_clear(cf_sealing *s);

/**
 * Encrypt the signed inner envelope (wire) of inner to its audience's nodes
 * and build the outer Sealed body (out points into s until cf_sealing_clear).
 * @return CF_OK, CF_E_UNKNOWN_SIGNER (a recipient without a valid
 *         certificate), CF_E_NOMEM, CF_E_CRYPTO
 */
CF_MUST_CHECK cf_status cf_tlp_seal(cf_node *n, const cf_body *inner, const uint8_t *wire,
                                    size_t len, int64_t now_ms, cf_sealing *s, cf_body *out,
                                    const char **why);

/**
 * Open a verified sealed message if it was sealed to us: decrypt, verify the
 * inner envelope, check it against the outer one (signer, header,
 * recipients) and the rules. out_wire gets the inner bytes.
 * @return CF_OK, CF_E_NOT_FOUND (not sealed to us: a relay passes it on),
 *         or the rejection (why says it)
 */
CF_MUST_CHECK cf_status cf_tlp_open(cf_node *n, const cf_message *outer, cf_buf *out_wire,
                                    cf_message **out, const char **why);

#endif
