/*
 * metrics.h - what a node counts for its Prometheus metrics (GET /metrics,
 * node/http.h) beyond the status counters: messages by type and result,
 * rejections by type and reason, what it signed by type, and the latency
 * of the receipts for its own messages. Plain arrays embedded in cf_node:
 * the receive path only adds to them, never allocates. Loop thread only.
 */
#ifndef CF_NODE_METRICS_H
#define CF_NODE_METRICS_H

#include "proto/proto.h"

/* What became of a received envelope. */
typedef enum cf_result {
    CF_RESULT_ACCEPTED, /* verified, allowed and stored */
    CF_RESULT_IGNORED,  /* valid but not for this node */
    CF_RESULT_REJECTED, /* refused: see rejected[type][reason] */
} cf_result;

#define CF_RESULT_COUNT (CF_RESULT_REJECTED + 1)

/* Upper bounds (milliseconds) of the receipt latency histogram's buckets;
 * one more bucket takes everything above the last. */
#define CF_ACK_BUCKETS_MS                                                                          \
    {                                                                                              \
        5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 1800000       \
    }
#define CF_ACK_BUCKETS 15

/*
 * The ids of this node's recent messages and when they were signed, so
 * that a receipt for one gives its latency without reading the store: a
 * direct-mapped table, slot by the id's first bytes. A slot taken by a
 * newer message forgets the older one (its later receipts are not
 * measured); so does a restart.
 */
#define CF_SENT_SLOTS 2048

typedef struct cf_sent_slot {
    uint8_t id[CF_ID_LEN];
    int64_t created_ms; /* 0: empty */
} cf_sent_slot;

typedef struct cf_metrics {
    /* index 0 of a type: an envelope that did not decode far enough to say */
    uint64_t messages[CF_MSG_TYPE_MAX + 1][CF_RESULT_COUNT];
    uint64_t rejected[CF_MSG_TYPE_MAX + 1][CF_STATUS_COUNT];
    uint64_t originated[CF_MSG_TYPE_MAX + 1];
    /* receipts (acks "received") for this node's own messages: the time from
     * signing to storing the receipt; bucket i counts latencies up to the
     * i-th bound and above the one before, the last one the rest */
    uint64_t ack_buckets[CF_ACK_BUCKETS + 1];
    uint64_t ack_count;
    uint64_t ack_sum_ms;
    cf_sent_slot sent[CF_SENT_SLOTS];
} cf_metrics;

/** Count one receipt latency (milliseconds; negative counts as 0). */
void cf_metrics_observe_ack(cf_metrics *m, int64_t latency_ms);

#endif
