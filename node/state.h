/*
 * state.h - what the node knows, on top of the store: the log of accepted
 * envelopes, the materialized incidents, taskings and directives with their
 * acknowledgement tables, the outbox, and the queries the CLI asks.
 *
 * Every function works inside a caller's transaction, so one inbound
 * message changes all tables in one commit. Loop thread only.
 */
#ifndef CF_NODE_STATE_H
#define CF_NODE_STATE_H

#include "federation/federation.h"
#include "node/store.h"

#include <cjson/cJSON.h>

/* The key of an envelope in the log: origin, 0x00, seq (8 bytes, BE). */
#define CF_LOGKEY_MAX (32 + 1 + 8)

typedef struct cf_logkey {
    uint8_t k[CF_LOGKEY_MAX];
    size_t len;
} cf_logkey;

void cf_logkey_make(const char *origin, uint64_t seq, cf_logkey *out);

/**
 * Record an accepted envelope in the log and the origin's high-water mark,
 * after checking it against the origin's hash chain as far as we hold it;
 * with by_id, in the id index too.
 *
 * The id index is what finds a message by its id: what an ack or a receipt
 * names. A node receives acks only for what it originated or passed on, and
 * looks up its own receipts by their first id (catch-up): incidents it
 * neither originates nor passes on need no row (cf_state_index adds one
 * when it forwards one, or answers its parent's catch-up with one, and for
 * a receipt's first message), and a `received` receipt, which nothing
 * acknowledges, none at all. Each row is a random write into a large
 * B-tree: at thousands of incidents a second it was most of what a commit
 * wrote, and a directive's origin takes a receipt from every node.
 * @return CF_OK, CF_E_DUPLICATE (this very envelope is already here),
 *         CF_E_FORK (another envelope holds this origin and sequence, or
 *         the previous or next envelope we hold does not chain with it),
 *         store errors
 */
CF_MUST_CHECK cf_status cf_state_record(cf_txn *t, const cf_message *m, const uint8_t *wire,
                                        size_t len, bool by_id);
/** The id index row of a message in the log (kept if it has one). */
CF_MUST_CHECK cf_status cf_state_index(cf_txn *t, const uint8_t id[CF_ID_LEN],
                                       const cf_logkey *key);

/**
 * Checks that need the store: a task status must answer a tasking self
 * issued, from one of its assignees; an ack must be for a message self
 * originated.
 * @return CF_OK, CF_E_UNAUTHORIZED (why says what), store errors
 */
CF_MUST_CHECK cf_status cf_state_check(cf_txn *t, const char *self, const cf_message *m,
                                       const char **why);

/** Apply a recorded message's effect on the materialized tables. */
CF_MUST_CHECK cf_status cf_state_apply(cf_txn *t, const cf_message *m, int64_t now_ms);
/** cf_state_apply for an ack whose messages cf_state_ack_origin found:
 * keys, where each is in the log (a receipt names up to 1,000, each found
 * by a lookup in the id index: once is enough). */
CF_MUST_CHECK cf_status cf_state_apply_ack(cf_txn *t, const cf_message *m, const cf_logkey *keys);
/**
 * What self's receipt (signed at at_ms) for m, just recorded, changes:
 * applying the receipt would, but would read every message it stands for
 * back from the store. opened: m's inner message if m was sealed to self.
 * The node's own receipts are not applied again (originate_in).
 */
CF_MUST_CHECK cf_status cf_state_receipted(cf_txn *t, const char *self, const cf_message *m,
                                           const cf_message *opened, int64_t at_ms);

/* ---- forks ----------------------------------------------------------------- */

/** Keep an envelope that forks its origin's stream, as proof. */
CF_MUST_CHECK cf_status cf_state_evidence_put(cf_txn *t, const cf_message *m, const uint8_t *wire,
                                              size_t len);
/** Refuse origin's messages from now on (kept if already quarantined). */
CF_MUST_CHECK cf_status cf_state_quarantine(cf_txn *t, const char *origin, int64_t now_ms,
                                            const char *reason);
CF_MUST_CHECK cf_status cf_state_quarantined(cf_txn *t, const char *origin, bool *yes);

/**
 * Check the whole log: every stored envelope still verifies and sits where
 * its header says, and each origin's hash chain links where we hold
 * neighbours. Per origin: messages, first and last sequence, gaps (numbers
 * between them we do not hold: normal, a node sees part of a stream),
 * broken links and bad envelopes (never normal). "intact" is false if any
 * link is broken or any envelope bad. lim: the node's limits (NULL: the
 * defaults), so an envelope it accepted is not called bad.
 */
CF_MUST_CHECK cf_status cf_state_audit(cf_txn *t, const cf_limits *lim, cJSON **out);

/* ---- high-water marks --------------------------------------------------------- */

typedef cf_status (*cf_mark_cb)(const char *origin, uint64_t seq, const uint8_t head[CF_ID_LEN],
                                void *ctx);
/** Visit each origin's highest sequence seen and that envelope's id. */
CF_MUST_CHECK cf_status cf_state_marks_scan(cf_txn *t, cf_mark_cb cb, void *ctx);
/** The highest sequence of origin seen (0 if none). */
CF_MUST_CHECK cf_status cf_state_mark(cf_txn *t, const char *origin, uint64_t *seq);
/**
 * Where this node's own stream stands: its highest sequence (its mark,
 * 0 if it signed nothing yet), that envelope's id and when it was signed
 * (read from the log; 0 if the log lacks it). The head is left alone when
 * the sequence is 0. @return CF_OK, CF_E_MALFORMED, CF_E_IO, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_state_own_head(cf_txn *t, const char *self, uint64_t *out_seq,
                                          uint8_t out_head[CF_ID_LEN], int64_t *out_signed_ms);

/** Decode a stored envelope by its log key or its id. Free with cf_message_free. */
CF_MUST_CHECK cf_status cf_state_load(cf_txn *t, const cf_logkey *key, cf_message **out);
/**
 * Load what the message at key says for reading: the decrypted inner
 * envelope if it was sealed to us (cf_state_opened_put), else the stored one.
 */
CF_MUST_CHECK cf_status cf_state_load_readable(cf_txn *t, const cf_logkey *key, cf_message **out);
/** Keep the decrypted inner envelope of a sealed message sealed to us. */
CF_MUST_CHECK cf_status cf_state_opened_put(cf_txn *t, const cf_message *outer,
                                            const uint8_t *inner, size_t len);
/** Does the id index have the message with this id? */
CF_MUST_CHECK cf_status cf_state_has_id(cf_txn *t, const uint8_t id[CF_ID_LEN], bool *yes);
/** The message with this id, if the id index has it (cf_state_record). */
CF_MUST_CHECK cf_status cf_state_load_id(cf_txn *t, const uint8_t id[CF_ID_LEN], cf_message **out);
/** Note the seq of our own receipt for the stored message at key. */
CF_MUST_CHECK cf_status cf_state_receipt_note(cf_txn *t, const cf_logkey *key, uint64_t seq);
/** The same in the ids row of a message recorded by id (it has one): its
 * value becomes the key and the seq. */
CF_MUST_CHECK cf_status cf_state_receipt_note_id(cf_txn *t, const uint8_t id[CF_ID_LEN],
                                                 const cf_logkey *key, uint64_t seq);
/** The seq of our receipt for a stored message: noted in the receipted
 * table, or in the message's ids row (cf_state_receipt_note_id; a store of
 * layout 2 noted every receipt there).
 * @return CF_OK, CF_E_NOT_FOUND (no receipt noted), store errors */
CF_MUST_CHECK cf_status cf_state_receipt_seq(cf_txn *t, const cf_message *m, uint64_t *seq);
/**
 * Bring a store of an older layout to this one (state.c's header): the
 * retired tables are folded into the others and emptied, and meta "layout"
 * is set. Does nothing to a store of this layout.
 * @param upgraded  set when anything was changed
 */
CF_MUST_CHECK cf_status cf_state_upgrade(cf_txn *t, const char *self, bool *upgraded);

/**
 * Does the log hold exactly these bytes at (origin, seq) (a resend of what
 * was stored, its signature checked then)? Other bytes there, or none, are
 * not the same.
 * @return CF_OK (*yes set), or a store error
 */
CF_MUST_CHECK cf_status cf_state_holds(cf_txn *t, const char *origin, uint64_t seq,
                                       const uint8_t *wire, size_t len, bool *yes);

/**
 * The origin of the messages an ack stands for (a receipt may stand for
 * several: they must all be stored here, and all of one origin).
 * @param keys  NULL, or room for cf_ack_count(a): where each is in the log
 * @return CF_OK; CF_E_UNAUTHORIZED (a message not stored here) or
 *         CF_E_MALFORMED (of several origins), *why set; a store error
 */
CF_MUST_CHECK cf_status cf_state_ack_origin(cf_txn *t, const cf_ack *a,
                                            char origin[CF_NODE_ID_MAX + 1], cf_logkey *keys,
                                            const char **why);

/* ---- the node's own counters -------------------------------------------- */

/** Did we pass the incident with this id up to our parent (its later
 * revisions go up too, and the parent is entitled to all of them)? */
CF_MUST_CHECK cf_status cf_state_forwarded(cf_txn *t, const char *incident, bool *yes);
/** Note that we passed the incident with this id up to our parent. */
CF_MUST_CHECK cf_status cf_state_forwarded_note(cf_txn *t, const char *incident);

CF_MUST_CHECK cf_status cf_state_meta_get_u64(cf_txn *t, const char *name, uint64_t *out);
CF_MUST_CHECK cf_status cf_state_meta_put_u64(cf_txn *t, const char *name, uint64_t v);
CF_MUST_CHECK cf_status cf_state_meta_get(cf_txn *t, const char *name, cf_buf *out);
CF_MUST_CHECK cf_status cf_state_meta_put(cf_txn *t, const char *name, const void *v, size_t n);

/* ---- the outbox ------------------------------------------------------------- */

/* An outbox entry: where an envelope goes, who has yet to ack it, and when
 * it is due to be sent again. */
typedef struct cf_outbox_entry {
    cf_strlist subjects;
    cf_strlist pending; /* recipients still to ack; empty for a forward */
    int64_t next_due_ms;
    uint32_t attempts;  /* sends so far */
    int64_t expires_ms; /* the message's expiry: 0 never; -1 not noted (older entries) */
} cf_outbox_entry;

/** Keep an envelope to (re)send to subjects until each recipient has acked
 * it (or it expires at expires_ms, 0: never); the first resend is due at
 * next_due_ms. */
CF_MUST_CHECK cf_status cf_state_outbox_put(cf_txn *t, const cf_logkey *key,
                                            const cf_strlist *subjects,
                                            const cf_strlist *recipients, int64_t next_due_ms,
                                            int64_t expires_ms);

typedef cf_status (*cf_outbox_cb)(const cf_logkey *key, const cf_outbox_entry *e, void *ctx);
/** Visit every outbox entry, in log-key order. */
CF_MUST_CHECK cf_status cf_state_outbox_scan(cf_txn *t, cf_outbox_cb cb, void *ctx);
/** The same, from the entry at key from on (from->len 0: from the first),
 * passing over entries due after due_by (INT64_MAX: none) without parsing
 * them; a callback's CF_E_EXISTS stops the scan early. */
CF_MUST_CHECK cf_status cf_state_outbox_scan_from(cf_txn *t, const cf_logkey *from, int64_t due_by,
                                                  cf_outbox_cb cb, void *ctx);
/** Record that an entry was sent (attempts) and when it is due again. */
CF_MUST_CHECK cf_status cf_state_outbox_reschedule(cf_txn *t, const cf_logkey *key,
                                                   int64_t next_due_ms, uint32_t attempts);
/** Make every entry still waiting for node's receipt due now (node is back).
 * @param out_n  may be NULL; how many entries */
CF_MUST_CHECK cf_status cf_state_outbox_due_now(cf_txn *t, const char *node, int64_t now_ms,
                                                size_t *out_n);
/** Forget an outbox entry (for entries without recipients, once sent). */
CF_MUST_CHECK cf_status cf_state_outbox_del(cf_txn *t, const cf_logkey *key);
/** Does the outbox entry at key wait for node's receipt (so the outbox
 * sends it to node, whatever else does)? @return CF_OK (*yes set), store errors */
CF_MUST_CHECK cf_status cf_state_outbox_waits_for(cf_txn *t, const cf_logkey *key, const char *node,
                                                  bool *yes);

/* Sequence numbers of one origin, ascending, asked in ascending order. */
typedef struct cf_seq_set {
    uint64_t *seqs;
    size_t n, cap, at;
    uint64_t upto; /* what is known: up to this seq (UINT64_MAX: all) */
} cf_seq_set;

/** The seqs of origin's messages, from first to last, whose outbox entries
 * wait for node's receipt: read in one pass in key order (a catch-up answer
 * leaves those to the outbox; a lookup for each entry was about half of what
 * answering a neighbour back after a cut cost). out->upto: what the pass
 * covered; beyond it, ask cf_state_outbox_waits_for. */
CF_MUST_CHECK cf_status cf_state_outbox_waiting(cf_txn *t, const char *origin, uint64_t first,
                                                uint64_t last, const char *node, cf_seq_set *out);
/** Is seq in s? The seqs asked must not go down. */
bool cf_seq_set_has(cf_seq_set *s, uint64_t seq);
void cf_seq_set_clear(cf_seq_set *s);

/* ---- queries (JSON for the control socket) --------------------------------- */

typedef struct cf_incident_filter {
    int min_severity; /* -1: any */
    int tlp;          /* 0: any */
    int status;       /* 0: any */
    const char *sector, *province;
    int determination; /* 0: any */
} cf_incident_filter;

CF_MUST_CHECK cf_status cf_state_incidents(cf_txn *t, const cf_incident_filter *f, cJSON **out);
/** The most notes incident show lists (the latest). */
#define CF_NOTES_SHOWN_MAX 256
/** One incident with its revisions, who has it (self since it first had
 * a revision) and the notes of other holders (acks of its revisions with
 * words, in time order; the latest CF_NOTES_SHOWN_MAX). @return CF_OK,
 * CF_E_NOT_FOUND, ... */
CF_MUST_CHECK cf_status cf_state_incident(cf_txn *t, const char *self, const char *id, cJSON **out);
/** The latest revision of an incident (for an update). */
CF_MUST_CHECK cf_status cf_state_incident_latest(cf_txn *t, const char *id, cf_message **out);
/**
 * The latest revision of an incident as stored (what an ack of it names):
 * its place in the log, the id of its envelope (the sealed one's, if it was
 * sealed), and the message as this node reads it (the opened one; still
 * the sealed one if this node cannot open it). Nothing is set on failure.
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_MALFORMED, CF_E_IO, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_state_incident_latest_at(cf_txn *t, const char *id, cf_logkey *out_key,
                                                    uint8_t out_env_id[CF_ID_LEN],
                                                    cf_message **out_readable);
CF_MUST_CHECK cf_status cf_state_tasks(cf_txn *t, const char *self, cJSON **out);
CF_MUST_CHECK cf_status cf_state_task(cf_txn *t, const char *id, cf_message **out);
CF_MUST_CHECK cf_status cf_state_directives(cf_txn *t, cJSON **out);
/** The newest version of a directive by number. */
CF_MUST_CHECK cf_status cf_state_directive(cf_txn *t, const char *number, cf_message **out);
/** Per node in the directive's scope: received and acknowledged, with times
 * (self's receipt read from the log: it has no acks row). */
CF_MUST_CHECK cf_status cf_state_directive_status(cf_txn *t, const cf_topology *topo,
                                                  const char *self, const char *number,
                                                  cJSON **out);
/* How many nodes are in a directive's scope, and how many of them it has a
 * receipt and an acknowledgement from. */
typedef struct cf_directive_counts {
    size_t in_scope, received, acknowledged;
} cf_directive_counts;
/** The same counts without a row per node: what a poller or a held
 * directive.wait asks ("has every CERT received it yet?") at a fraction of
 * the cost; as JSON in *out too unless out is NULL. */
CF_MUST_CHECK cf_status cf_state_directive_counts(cf_txn *t, const cf_topology *topo,
                                                  const char *self, const char *number,
                                                  cf_directive_counts *c, cJSON **out);

/** Names for the CLI and JSON. */
const char *cf_name_severity(int v);
const char *cf_name_tlp(int v);
const char *cf_name_incident_status(int v);
const char *cf_name_determination(int v);
const char *cf_name_pap(int v);
const char *cf_name_task_state(int v);
const char *cf_name_task_kind(int v);
const char *cf_name_directive_kind(int v);
const char *cf_name_ack_state(int v);
/** Parse a name of one of those tables; -1 if unknown. */
int cf_parse_name(const char *const *names, int count, const char *s);
extern const char *const cf_severity_names[6];
extern const char *const cf_tlp_names[6];
extern const char *const cf_incident_status_names[6];
extern const char *const cf_task_state_names[6];
extern const char *const cf_task_kind_names[6];
extern const char *const cf_directive_kind_names[4];
extern const char *const cf_ack_state_names[6];
extern const char *const cf_determination_names[4];
extern const char *const cf_pap_names[5];

/** "2026-11-29T08:00:00.000Z" into out (32 bytes), "" for 0. */
void cf_format_ms(int64_t ms, char out[32]);

#endif
