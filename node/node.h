/*
 * node.h - a running certfed node: one libuv loop owning the NATS link, the
 * LMDB store, the trust store and the control socket (DESIGN.md section 6).
 *
 * Thread rule: everything here runs on the loop thread. Messages from NATS
 * arrive through the link's queue; everything received in one loop turn is
 * verified, checked against the rules and committed in one write
 * transaction, and only then acknowledged.
 */
#ifndef CF_NODE_NODE_H
#define CF_NODE_NODE_H

#include "node/config.h"
#include "node/link.h"
#include "node/metrics.h"
#include "node/state.h"

#include <cjson/cJSON.h>
#include <uv.h>

typedef struct cf_control cf_control;
typedef struct cf_http cf_http;

/* Resending what is not acked yet: the outbox is checked every tick, and an
 * entry sent n times waits about resend_first_ms * 2^(n-1) (at most
 * resend_max_ms, both from the config) before the next send, with jitter. */
#define CF_RESEND_TICK_MS 500
/* The resend window a node works with (send_window) is [delivery]
 * resend_window at most, and at least this many envelopes. */
#define CF_SEND_WINDOW_MIN 10

/* Receiving: at most this many envelopes per loop turn (one transaction),
 * and at most this many bytes waiting for the loop; beyond, nats.c holds
 * them, and beyond its own bounds they are dropped and counted. */
#define CF_BATCH_MAX 1000

#define CF_QUEUE_BYTES_MAX (64 * 1024 * 1024)

/* Receipts: what one loop turn received from one origin is acknowledged
 * by one signed receipt for at most this many messages (DESIGN.md section
 * 5), so that a node signs once per turn and origin, not once per message. */
#define CF_RECEIPT_IDS_MAX 1000

/* Catch-up (anti-entropy) with the parent and the children: asked on every
 * (re)connect and every catchup_interval_ms (config); a request unanswered for
 * CF_CATCHUP_RETRY_MS is asked again. An answer carries at most
 * CF_CATCHUP_BATCH envelopes, examines at most CF_CATCHUP_SCAN_MAX stored
 * ones, and stays under half the envelope size limit. */
#define CF_CATCHUP_RETRY_MS 10000
#define CF_CATCHUP_TICK_MS 1000
/* A catch-up run that goes on logs how far it is this often. */
#define CF_CATCHUP_PROGRESS_MS 2000
/* A peer's next request sooner than this after an answer that did not say
 * "more" is refused (counted as over-limit). */
#define CF_CATCHUP_MIN_GAP_MS 200
#define CF_CATCHUP_BATCH 500
/* After a batch with envelopes refused as over their origin's rate, the
 * peer is asked again this much later (not at once). */
#define CF_CATCHUP_THROTTLED_MS 1000
#define CF_CATCHUP_SCAN_MAX 20000

/* At start a node asks its parent and children for its own latest messages
 * before it signs anything new (a store restored from an old backup must
 * not reuse a sequence number). It waits at most this long for them;
 * meanwhile received messages wait and local write commands are held. */
#define CF_LEARN_MAX_MS 3000
#define CF_DEFERRED_MAX 200000

typedef struct cf_counters {
    uint64_t received;         /* envelopes taken from the bus */
    uint64_t accepted;         /* verified, allowed and stored */
    uint64_t ignored;          /* valid but not for this node (a directive out of scope) */
    uint64_t originated;       /* messages this node signed */
    uint64_t published;        /* envelopes handed to NATS */
    uint64_t forks;            /* envelopes that forked their origin's stream */
    uint64_t caught_up;        /* envelopes that came in catch-up batches */
    uint64_t receipts_resent;  /* stored receipts sent again for duplicates */
    uint64_t receipts_signed;  /* receipts signed (each for up to CF_RECEIPT_IDS_MAX messages) */
    uint64_t sig_checks;       /* signatures verified (on the loop or the thread pool) */
    uint64_t deferred_dropped; /* held at start past CF_DEFERRED_MAX: resent by origins */
    uint64_t throttled;        /* refused because their origin was over its rate */
    uint64_t resent;           /* envelopes sent again from the outbox */
    uint64_t resend_windows;   /* outbox passes that stopped at [delivery] resend_window */
    uint64_t rtt_samples;      /* receipts timed (rtt_sample) */
    uint64_t rejected[CF_STATUS_COUNT];
    uint64_t accepted_by_type[CF_MSG_TYPE_MAX + 1];
} cf_counters;

/* A token bucket per origin ([limits] sender_rate, sender_burst). */
typedef struct cf_rate {
    double tokens;
    int64_t at_ms;      /* when tokens was last brought up to date; 0: full */
    uint64_t throttled; /* its messages refused as over the rate */
    int64_t logged_ms;  /* when that was last logged (once a second at most) */
} cf_rate;

/* How far a node has caught up with one neighbour. */
typedef struct cf_scan_mark {
    char origin[CF_NODE_ID_MAX + 1];
    uint64_t seq;
} cf_scan_mark;

typedef struct cf_peer_sync {
    char id[CF_NODE_ID_MAX + 1];
    int64_t asked_ms;           /* when the last request went */
    int64_t answered_ms;        /* when the last batch came */
    int64_t heard_ms;           /* when it last asked us */
    int64_t due_reset_ms;       /* when its outbox entries were last made due at once */
    bool told_more;             /* our last answer to it said more remain */
    uint8_t request[CF_ID_LEN]; /* the last request's id */
    bool waiting;               /* asked and not answered yet */
    bool own_only;              /* the last request asked only for our own stream */
    bool more;                  /* its last batch said more remain */
    int64_t resume_ms;          /* ask again then: its last batch was partly throttled */
    /* the catch-up run under way with it (answers saying "more"), for the
     * progress lines of the log */
    int64_t run_ms;              /* when its first answer came; 0: none under way */
    int64_t run_logged_ms;       /* when its progress was last logged */
    uint64_t run_taken, run_new; /* envelopes it brought, and of them new ones */
    uint64_t batches, envelopes; /* received from it by catch-up */
    uint64_t served;             /* envelopes it was sent by catch-up */
    cf_scan_mark *scanned;       /* how far its answers looked, per origin */
    size_t n_scanned;
    uint64_t trust_next; /* our next trust document for it if digests differ (0: the first) */
} cf_peer_sync;

typedef struct cf_node_options {
    const char *config;
    const char *nats_url; /* overrides the config's [nats] url when set */
    bool retry_at_start;  /* keep trying an unreachable NATS server at start */
} cf_node_options;

/* Verify jobs on the thread pool ([limits] verify_pool): a turn's messages
 * go in parts of at most CF_VERIFY_JOB_MAX, so that every core checks a part
 * of a big turn, and the loop takes new messages while fewer than
 * CF_VERIFY_JOBS are out (checked or not), so that the pool checks the next
 * turn while the loop commits the last. Consecutive checked parts make one
 * turn of at most CF_BATCH_MAX again: one commit, one receipt per origin.
 * (bench catchup: with whole turns as jobs, two at most, one core idled
 * while a big job ran and a small one, checked, waited for it.) */
#define CF_VERIFY_JOB_MAX 250
#define CF_VERIFY_JOBS 16
/* Fewer messages than this, with no verify job out, are checked on the loop
 * at once: a round trip through the pool costs more latency than it saves
 * (bench fanout: a directive to 50 nodes, p99 1.72x the reference with
 * every turn on the pool, 1.36x with none). */
#define CF_VERIFY_POOL_MIN 16

typedef struct cf_verify_job cf_verify_job;

/* A message received in the open transaction that still needs its receipt. */
typedef struct cf_receipt_due {
    uint8_t id[CF_ID_LEN];
    cf_logkey key; /* where it is stored */
    char origin[CF_NODE_ID_MAX + 1];
    size_t order; /* the order in which they came */
    bool relayed; /* a relay forwarded it: it waits for the receipt too */
    bool indexed; /* it has an ids row (not an incident): the receipt is noted there */
} cf_receipt_due;

typedef struct cf_node {
    uv_loop_t *loop;
    cf_node_config *cfg;
    cf_node_keys *keys;
    cf_topology *topo;
    const cf_topo_node *me;
    cf_limits limits;
    cf_store *store;
    cf_link *link;
    cf_control *control;
    cf_http *http;      /* the HTTP API (node/http.h), NULL unless [http] listen */
    cf_metrics metrics; /* for GET /metrics (node/metrics.h) */
    uv_signal_t sigterm, sigint;
    uv_timer_t resend;
    /* the outbox is sent in windows of [delivery] resend_window envelopes */
    bool outbox_more;       /* the last pass stopped at its window: more is due */
    bool outbox_all;        /* a pass over everything (a reconnect) is under way ... */
    cf_logkey outbox_from;  /* ... and goes on from this entry */
    size_t outbox_all_sent; /* what that pass has sent so far */
    size_t outbox_inflight; /* envelopes resent that no receipt has come for yet */
    size_t send_window;     /* what may be out: halved at each write-off, grown by receipts */
    /* since when what is out has had no receipt: the pass that sent with
     * nothing out, or the last receipt that left something out */
    int64_t outbox_silent_ms;
    /* how long receipts take (rtt_sample): one envelope at a time is timed
     * from its send to the first receipt for it */
    struct {
        bool active;
        cf_logkey key, last; /* the envelope timed; the one timed before */
        uint8_t id[CF_ID_LEN];
        int64_t sent_ms;
    } probe;
    int64_t srtt_ms, rttvar_ms; /* RFC 6298's estimate (counters.rtt_samples: from how many) */
    int64_t rto_ms;             /* the least wait before a resend; 0: resend_first_ms / 2 */
    /* where the messages of the relay receipt being taken are in the log
     * (is_relay_receipt finds them, the receipt is applied with them) */
    cf_logkey *acked;
    size_t acked_cap;
    /* duplicates (resends) are logged once a second per type at most */
    uint64_t dups_unlogged[CF_MSG_TYPE_MAX + 1];
    int64_t dups_logged_ms[CF_MSG_TYPE_MAX + 1];
    /* the node's own stream: committed and within the open transaction */
    uint64_t seq, pending_seq;
    uint8_t head[CF_ID_LEN], pending_head[CF_ID_LEN];
    uint64_t seq_reserved; /* sequence numbers up to this are reserved in <store>.seq */
    cf_counters counters;
    int64_t started_ms;
    int64_t *last_contact; /* per topology node: when a message of it last arrived */
    cf_rate *rates;        /* per topology node: its sending rate */
    size_t n_last_contact; /* entries of last_contact and rates */
    int64_t link_since_ms; /* when the link last came up or went down */
    cf_peer_sync *peers;   /* the parent and the children */
    size_t n_peers;
    uv_timer_t catchup;
    int64_t catchup_ms;    /* when catch-up was last asked of every peer */
    uint64_t drops_logged; /* nats.c's slow-consumer drops already in the log */
    /* at start: confirming our own sequence with the peers */
    bool learning;
    bool learn_asked;                      /* the own-stream requests went out */
    int64_t learn_asked_ms;                /* when they first went out */
    size_t learn_waiting;                  /* peers asked that have not answered in full */
    cf_link_msg *deferred, *deferred_tail; /* received while learning */
    /* catch-up state as it was before the open receiving transaction, and
     * the scanned marks it raises, applied only if it commits */
    cf_peer_sync *peers_before;
    size_t learn_waiting_before;
    cf_scan_mark *staged;
    size_t *staged_peer, n_staged;
    size_t n_deferred, deferred_bytes;
    /* receipts owed for what the open transaction received (one each per
     * origin, signed before it commits) */
    cf_receipt_due *due;
    size_t n_due, cap_due;
    /* our stored receipts sent again in the open transaction: a receipt
     * stands for up to 1,000 messages, and goes once however many of them
     * come again in one turn */
    uint64_t resent[32];
    size_t n_resent;
    /* turns whose signatures the thread pool checks, in the order they came */
    cf_verify_job *jobs, *jobs_tail;
    size_t jobs_queued;  /* of them, not taken by the loop yet */
    size_t jobs_running; /* of them, still on the pool */
    bool store_full;     /* the last batch received could not be stored: no local work */
    bool stopping;
    void (*on_stopped)(void *ctx);
    void *stopped_ctx;
    int closing;
} cf_node;

/**
 * Load the configuration, keys and store, connect to NATS and open the
 * control socket.
 * @param err  on failure, one line an operator can act on
 * @return CF_OK; CF_E_CONFIG, CF_E_NOT_FOUND, CF_E_PERMISSIONS, CF_E_PASSPHRASE,
 *         CF_E_BAD_CHAIN, ... (the setup is wrong); CF_E_IO (store or control
 *         socket); CF_E_UNREACHABLE (NATS down and retry_at_start off)
 */
CF_MUST_CHECK cf_status cf_node_start(uv_loop_t *loop, const cf_node_options *opt, cf_node **out,
                                      char *err, size_t errlen);
/** Stop cleanly: flush NATS, close the socket and the store; then done(ctx) and free. */
void cf_node_stop(cf_node *n, void (*done)(void *ctx), void *ctx);

/**
 * Sign a message of this node, store it, route it, keep it in the outbox
 * and publish it if connected — all before returning. The header is filled
 * here (federation, origin, seq, previous hash, created).
 * @param reply_to  the node a task status or ack answers, else NULL
 * @param out_id    may be NULL; the new message's id
 * @param why       on CF_E_UNAUTHORIZED or CF_E_MALFORMED, the rule that refused it
 * @return CF_OK, CF_E_UNAUTHORIZED, CF_E_MALFORMED, CF_E_LIMIT, CF_E_FULL, CF_E_IO
 */
CF_MUST_CHECK cf_status cf_node_originate(cf_node *n, cf_body *b, const char *reply_to,
                                          uint8_t out_id[CF_ID_LEN], const char **why);

/* Called inside the originating transaction before b is signed (e.g. to
 * number it from a counter in the store, in the same commit). */
typedef cf_status (*cf_originate_prep)(cf_node *n, cf_txn *t, cf_body *b, void *ctx);

/** cf_node_originate, with prep(n, t, b, ctx) first in its transaction. */
CF_MUST_CHECK cf_status cf_node_originate_prep(cf_node *n, cf_body *b, const char *reply_to,
                                               cf_originate_prep prep, void *ctx,
                                               uint8_t out_id[CF_ID_LEN], const char **why);

/** Answer one control request (commands.c). Never NULL. */
cJSON *cf_node_handle(cf_node *n, const cJSON *req);

/* ---- the control socket (control.c) ------------------------------------- */

/**
 * Listen on a Unix socket (mode 0600; 0660 and owned by the config's
 * control_group if it names one) and answer each request with
 * cf_node_handle. The protocol: a client connects, writes one JSON object
 * {"cmd": "...", "args": {...}} followed by a newline, and reads one JSON
 * object {"ok": true, "result": ...} or {"ok": false, "error": "...",
 * "reason": "<status name>"} followed by a newline; then the node closes
 * the connection. Requests are capped at 1 MiB.
 * @return CF_OK, CF_E_IO (err says why: path too long, in use, ...)
 */
CF_MUST_CHECK cf_status cf_control_start(cf_node *n, const char *path, cf_control **out, char *err,
                                         size_t errlen);
void cf_control_close(cf_control *c, void (*done)(void *ctx), void *ctx);
/**
 * What the control socket does with the bytes a client has sent so far
 * (data, borrowed): frame the first line (or, once the client has closed
 * its side, eof, all of it), parse it and answer it with cf_node_handle.
 * @param out_held  a write request that must wait (cf_node_ready_for) is
 *                  handed over here (cJSON_Delete it), and NULL returned
 * @return the answer (cJSON_Delete it), or NULL if the line is not complete
 *         yet or the request is held
 */
cJSON *cf_control_answer(cf_node *n, const uint8_t *data, size_t len, bool eof, cJSON **out_held);
/** Answer the held requests that may be answered now (cf_node_ready_for):
 * after the node has learnt its own sequence, and after each commit that
 * took receipts or acks or changed the membership (a directive.wait may be
 * through). */
void cf_control_resume(cf_control *c);
/** May this request be answered now? Writes wait while the node learns its
 * own sequence at start (at most CF_LEARN_MAX_MS); a directive.wait until
 * its directive is complete, or expired (its timeout passed). */
bool cf_node_ready_for(cf_node *n, const cJSON *req, bool expired);
/** How long the control socket holds this request at most, in ms: a
 * directive.wait's timeout_ms (CF_WAIT_DEFAULT_MS if it names none); 0 for
 * any other (the connection's own timeout). */
int64_t cf_node_hold_ms(const cJSON *req);
/* directive.wait's timeout: by default, and the most a request may ask */
#define CF_WAIT_DEFAULT_MS 60000
#define CF_WAIT_MAX_MS (24 * 60 * 60 * 1000)

#endif
