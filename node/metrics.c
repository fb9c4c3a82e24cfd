/*
 * metrics.c - the node's metrics: the hooks node.c calls on the receive and
 * originate paths (array increments and one table slot; no allocation, no
 * store access), and their rendering in the Prometheus text exposition
 * format (0.0.4) for GET /metrics, with what status knows besides. Loop
 * thread only, except the pure formatting helpers.
 */
#include "node/http.h"
#include "node/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bookkeeping (hot path) ------------------------------------------------------------ */

static cf_sent_slot *
sent_slot(cf_metrics *mx, const uint8_t id[CF_ID_LEN])
{
    /* ids are hashes: their first bytes are as good as any hash of them */
    uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16;
    return &mx->sent[h % CF_SENT_SLOTS];
}

void
cf_metrics_observe_ack(cf_metrics *mx, int64_t latency_ms)
{
    static const int64_t bounds[CF_ACK_BUCKETS] = CF_ACK_BUCKETS_MS;
    size_t i = 0;

    if (latency_ms < 0)
        latency_ms = 0;
    while (i < CF_ACK_BUCKETS && latency_ms > bounds[i])
        i++;
    mx->ack_buckets[i]++;
    mx->ack_count++;
    mx->ack_sum_ms += (uint64_t)latency_ms;
}

/* The event of a stored message of a kind the API shows; false for others. */
static bool
event_of(const cf_body *b, bool originated, cf_event *ev)
{
    const char *id = NULL, *node = NULL;
    char hex[2 * CF_ID_LEN + 1];

    memset(ev, 0, sizeof(*ev));
    ev->kind = CF_EVENT_MESSAGE;
    ev->type = b->type;
    ev->originated = originated;
    ev->number = -1;
    switch (b->type) {
    case CF_MSG_INCIDENT:
        id = b->u.incident.id;
        node = b->header.origin;
        ev->number = b->u.incident.revision;
        break;
    case CF_MSG_TASKING:
        id = b->u.tasking.id;
        node = b->header.origin;
        break;
    case CF_MSG_TASK_STATUS:
        id = b->u.task_status.task;
        node = b->u.task_status.assignee;
        ev->number = b->u.task_status.state;
        break;
    case CF_MSG_DIRECTIVE:
        id = b->u.directive.number;
        node = b->header.origin;
        ev->number = b->u.directive.version;
        break;
    case CF_MSG_ACK:
        cf_hex_encode(b->u.ack.message_id, CF_ID_LEN, hex);
        id = hex;
        node = b->u.ack.node;
        ev->number = b->u.ack.state;
        break;
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
    case CF_MSG_SEALED:
        return false;
    }
    if (!id || strlen(id) > CF_EVENT_ID_MAX)
        ev->truncated = true;
    else
        memcpy(ev->id, id, strlen(id) + 1);
    if (node && strlen(node) <= CF_NODE_ID_MAX)
        memcpy(ev->node, node, strlen(node) + 1);
    return true;
}

void
cf_metrics_received(cf_node *n, const cf_message *m, const cf_message *inner, bool ignored,
                    cf_status st, bool store_failed, int64_t now_ms)
{
    cf_metrics *mx = &n->metrics;
    int type = m && m->body.type >= 1 && m->body.type <= CF_MSG_TYPE_MAX ? (int)m->body.type : 0;

    if (store_failed)
        return;
    if (st != CF_OK) {
        mx->messages[type][CF_RESULT_REJECTED]++;
        mx->rejected[type][(int)st >= 0 && (int)st < CF_STATUS_COUNT ? (int)st : 0]++;
        return;
    }
    if (ignored || !m) {
        mx->messages[type][CF_RESULT_IGNORED]++;
        return;
    }
    mx->messages[type][CF_RESULT_ACCEPTED]++;
    const cf_body *b = inner ? &inner->body : &m->body;
    /* a receipt for messages of ours (one or more): how long each took */
    for (size_t i = 0; b->type == CF_MSG_ACK && b->u.ack.state == 1 && i < cf_ack_count(&b->u.ack);
         i++) {
        const uint8_t *id = cf_ack_id(&b->u.ack, i);
        cf_sent_slot *s = sent_slot(mx, id);
        if (s->created_ms && memcmp(s->id, id, CF_ID_LEN) == 0)
            cf_metrics_observe_ack(mx, now_ms - s->created_ms);
    }
    cf_event ev;
    if (n->http && event_of(b, false, &ev))
        cf_http_event(n->http, &ev);
}

void
cf_metrics_originated(cf_node *n, const cf_body *b, const uint8_t id[CF_ID_LEN])
{
    cf_metrics *mx = &n->metrics;
    cf_event ev;

    if (b->type >= 1 && b->type <= CF_MSG_TYPE_MAX)
        mx->originated[b->type]++;
    /* a receipt is not announced (the message it answers was) and gets no
     * receipt itself */
    if (b->type == CF_MSG_ACK && b->u.ack.state == 1)
        return;
    cf_sent_slot *s = sent_slot(mx, id);
    memcpy(s->id, id, CF_ID_LEN);
    s->created_ms = b->header.created_ms ? b->header.created_ms : 1;
    if (n->http && event_of(b, true, &ev))
        cf_http_event(n->http, &ev);
}

void
cf_metrics_txn_done(cf_node *n, bool committed)
{
    if (n->http)
        cf_http_commit(n->http, committed);
}

/* ---- the text format ---------------------------------------------------------------------- */

cf_status
cf_prom_family(cf_buf *out, const char *name, const char *type, const char *help)
{
    return cf_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static cf_status
label_value(cf_buf *out, const char *v)
{
    cf_status st = CF_OK;

    for (const char *p = v ? v : ""; st == CF_OK && *p; p++) {
        if (*p == '\\')
            st = cf_buf_append_str(out, "\\\\");
        else if (*p == '"')
            st = cf_buf_append_str(out, "\\\"");
        else if (*p == '\n')
            st = cf_buf_append_str(out, "\\n");
        else
            st = cf_buf_append(out, p, 1);
    }
    return st;
}

cf_status
cf_prom_sample(cf_buf *out, const char *name, const char *const *labels, size_t n_labels,
               double value)
{
    cf_status st = cf_buf_append_str(out, name);

    for (size_t i = 0; st == CF_OK && i < n_labels; i++) {
        st = cf_buf_printf(out, "%s%s=\"", i == 0 ? "{" : ",", labels[2 * i]);
        if (st == CF_OK)
            st = label_value(out, labels[2 * i + 1]);
        if (st == CF_OK)
            st = cf_buf_append_str(out, "\"");
    }
    if (st == CF_OK && n_labels)
        st = cf_buf_append_str(out, "}");
    if (st != CF_OK)
        return st;
    if (isnan(value))
        return cf_buf_append_str(out, " NaN\n");
    if (isinf(value))
        return cf_buf_append_str(out, value > 0 ? " +Inf\n" : " -Inf\n");
    if (value == floor(value) && fabs(value) < 9007199254740992.0) /* 2^53 */
        return cf_buf_printf(out, " %.0f\n", value);
    return cf_buf_printf(out, " %.15g\n", value);
}

/* ---- rendering the node's metrics -------------------------------------------------------- */

typedef struct render {
    cf_buf *out;
    cf_status st;
} render;

static void
family(render *r, const char *name, const char *type, const char *help)
{
    if (r->st == CF_OK)
        r->st = cf_prom_family(r->out, name, type, help);
}

static void
sample(render *r, const char *name, const char *const *labels, size_t n_labels, double value)
{
    if (r->st == CF_OK)
        r->st = cf_prom_sample(r->out, name, labels, n_labels, value);
}

/* A metric of one unlabelled sample. */
static void
single(render *r, const char *name, const char *type, const char *help, double value)
{
    family(r, name, type, help);
    sample(r, name, NULL, 0, value);
}

static const char *
type_label(int type)
{
    const char *name = type ? cf_msg_type_name(type) : NULL;
    return name ? name : "unknown";
}

/* Outbox entries still waiting for each peer's receipt. */
typedef struct peer_waiting {
    cf_node *n;
    double *count;
} peer_waiting;

static cf_status
count_waiting(const cf_logkey *key, const cf_outbox_entry *e, void *ctx)
{
    peer_waiting *w = ctx;

    (void)key;
    for (size_t i = 0; i < w->n->n_peers; i++)
        for (size_t k = 0; k < e->pending.n; k++)
            if (strcmp(e->pending.v[k], w->n->peers[i].id) == 0)
                w->count[i]++;
    return CF_OK;
}

static void
render_messages(render *r, const cf_node *n)
{
    static const char *const results[CF_RESULT_COUNT] = {"accepted", "ignored", "rejected"};
    const cf_metrics *mx = &n->metrics;

    family(r, "certfed_messages_total", "counter",
           "Envelopes received from the bus or by catch-up, by type and what became of them "
           "(type unknown: did not decode).");
    for (int t = 0; t <= CF_MSG_TYPE_MAX; t++)
        for (int k = 0; k < CF_RESULT_COUNT; k++) {
            /* the unknown type can only be rejected */
            if (t == 0 && k != CF_RESULT_REJECTED)
                continue;
            const char *l[] = {"type", type_label(t), "result", results[k]};
            sample(r, "certfed_messages_total", l, 2, (double)mx->messages[t][k]);
        }
    family(r, "certfed_messages_rejected_total", "counter",
           "Received envelopes refused, by type and reason.");
    for (int t = 0; t <= CF_MSG_TYPE_MAX; t++)
        for (int s = 0; s < CF_STATUS_COUNT; s++)
            if (mx->rejected[t][s]) {
                const char *l[] = {"type", type_label(t), "reason", cf_status_str((cf_status)s)};
                sample(r, "certfed_messages_rejected_total", l, 2, (double)mx->rejected[t][s]);
            }
    family(r, "certfed_messages_originated_total", "counter",
           "Messages this node signed, by type (receipts included).");
    for (int t = 1; t <= CF_MSG_TYPE_MAX; t++) {
        const char *l[] = {"type", type_label(t)};
        sample(r, "certfed_messages_originated_total", l, 1, (double)mx->originated[t]);
    }
    single(r, "certfed_messages_published_total", "counter", "Envelopes handed to NATS.",
           (double)n->counters.published);
    single(r, "certfed_messages_caught_up_total", "counter",
           "Envelopes that came in catch-up batches.", (double)n->counters.caught_up);
    single(r, "certfed_receipts_resent_total", "counter",
           "Stored receipts sent again for duplicates.", (double)n->counters.receipts_resent);
    single(r, "certfed_forks_total", "counter",
           "Envelopes that forked their origin's stream (the origin is quarantined).",
           (double)n->counters.forks);
    single(r, "certfed_deferred_dropped_total", "counter",
           "Messages held at start past the bound, left for their origins to resend.",
           (double)n->counters.deferred_dropped);
    single(r, "certfed_clock_behind_total", "counter",
           "Times the wall clock was found behind the node's last signature.",
           (double)cf_clock_behind_count());
}

static void
render_ack_latency(render *r, const cf_metrics *mx)
{
    static const int64_t bounds[CF_ACK_BUCKETS] = CF_ACK_BUCKETS_MS;
    uint64_t cum = 0;
    char le[32];

    family(r, "certfed_ack_latency_seconds", "histogram",
           "Time from signing a message of this node to storing a recipient's receipt for it.");
    for (size_t i = 0; i <= CF_ACK_BUCKETS; i++) {
        cum += mx->ack_buckets[i];
        if (i < CF_ACK_BUCKETS)
            snprintf(le, sizeof(le), "%g", (double)bounds[i] / 1000.0);
        else
            snprintf(le, sizeof(le), "+Inf");
        const char *l[] = {"le", le};
        sample(r, "certfed_ack_latency_seconds_bucket", l, 1, (double)cum);
    }
    sample(r, "certfed_ack_latency_seconds_sum", NULL, 0, (double)mx->ack_sum_ms / 1000.0);
    sample(r, "certfed_ack_latency_seconds_count", NULL, 0, (double)mx->ack_count);
}

static void
render_store(render *r, cf_node *n)
{
    cf_store_stats ss;

    if (cf_store_stats_get(n->store, &ss) != CF_OK)
        return;
    single(r, "certfed_store_used_bytes", "gauge", "Bytes the LMDB store's pages use.",
           (double)ss.used_bytes);
    single(r, "certfed_store_map_size_bytes", "gauge",
           "The most bytes the LMDB store may grow to ([limits] store_mib).", (double)ss.map_size);
    single(r, "certfed_store_map_usage_ratio", "gauge", "used_bytes / map_size of the store.",
           ss.map_size ? (double)ss.used_bytes / (double)ss.map_size : 0);
    family(r, "certfed_store_entries", "gauge", "Entries of each table of the store.");
    for (int i = 0; i < CF_TABLE_COUNT; i++) {
        if (cf_table_retired((cf_table)i))
            continue;
        const char *l[] = {"table", cf_table_name((cf_table)i)};
        sample(r, "certfed_store_entries", l, 1, (double)ss.entries[i]);
    }
    single(r, "certfed_outbox_messages", "gauge",
           "Messages waiting in the outbox for recipients' receipts.",
           (double)ss.entries[CF_T_OUTBOX]);
    single(r, "certfed_outbox_max_messages", "gauge",
           "The outbox's bound ([limits] outbox_max); past it new work is refused.",
           (double)n->cfg->outbox_max);
}

static void
render_peers(render *r, cf_node *n, int64_t now_ms)
{
    double *waiting = calloc(n->n_peers ? n->n_peers : 1, sizeof(*waiting));
    peer_waiting w = {n, waiting};
    cf_txn *t = NULL;

    if (!waiting) {
        r->st = CF_E_NOMEM;
        return;
    }
    if (cf_txn_begin(n->store, false, &t) == CF_OK) {
        if (cf_state_outbox_scan(t, count_waiting, &w) != CF_OK)
            memset(waiting, 0, n->n_peers * sizeof(*waiting));
        cf_txn_abort(t);
    }
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"certfed_peer_up", "gauge",
         "1 if the peer (parent or child) was heard from or answered catch-up and the link is "
         "up."},
        {"certfed_peer_last_contact_timestamp_seconds", "gauge",
         "When a message of the peer, or its catch-up answer, last arrived (0: never)."},
        {"certfed_peer_outbox_messages", "gauge",
         "Messages in the outbox still waiting for the peer's receipt."},
        {"certfed_peer_catchup_lag_seconds", "gauge",
         "How long this node's catch-up request to the peer has waited for its answer (0: "
         "none waits)."},
        {"certfed_peer_catchup_more", "gauge",
         "1 if the peer's last catch-up answer said more remain."},
        {"certfed_peer_catchup_received_total", "counter",
         "Envelopes received from the peer by catch-up."},
        {"certfed_peer_catchup_served_total", "counter", "Envelopes sent to the peer by catch-up."},
    };
    for (size_t f = 0; f < CF_ARRAY_LEN(fams); f++) {
        family(r, fams[f].name, fams[f].type, fams[f].help);
        for (size_t i = 0; i < n->n_peers; i++) {
            const cf_peer_sync *p = &n->peers[i];
            const cf_topo_node *x = cf_topology_find(n->topo, p->id);
            size_t xi = x ? (size_t)(x - n->topo->nodes) : SIZE_MAX;
            int64_t contact = xi < n->n_last_contact ? n->last_contact[xi] : 0;
            if (p->answered_ms > contact)
                contact = p->answered_ms;
            bool child = x && x->parent_idx == (size_t)(n->me - n->topo->nodes);
            const char *l[] = {"peer", p->id, "relation", child ? "child" : "parent"};
            double v = 0;
            switch (f) {
            case 0:
                v = cf_link_connected(n->link) && contact &&
                    !(p->waiting && now_ms - p->asked_ms >= CF_CATCHUP_RETRY_MS);
                break;
            case 1:
                v = (double)contact / 1000.0;
                break;
            case 2:
                v = waiting[i];
                break;
            case 3:
                v = p->waiting && now_ms > p->asked_ms ? (double)(now_ms - p->asked_ms) / 1000.0
                                                       : 0;
                break;
            case 4:
                v = p->more;
                break;
            case 5:
                v = (double)p->envelopes;
                break;
            default:
                v = (double)p->served;
                break;
            }
            sample(r, fams[f].name, l, 2, v);
        }
    }
    free(waiting);
}

cf_status
cf_metrics_render(cf_node *n, int64_t now_ms, cf_buf *out)
{
    render r = {out, CF_OK};
    const char *info[] = {"node",       n->cfg->id,         "role", cf_role_name(n->me->role),
                          "federation", n->cfg->federation, "path", n->me->path};

    family(&r, "certfed_node_info", "gauge", "This node: id, role, federation, path.");
    sample(&r, "certfed_node_info", info, 4, 1);
    single(&r, "certfed_start_time_seconds", "gauge", "When the node started (Unix time).",
           (double)n->started_ms / 1000.0);
    single(&r, "certfed_own_sequence", "gauge", "The sequence number of this node's last message.",
           (double)n->seq);
    single(&r, "certfed_starting", "gauge",
           "1 while the node confirms its own sequence with its peers at start.", n->learning);
    single(&r, "certfed_store_full", "gauge", "1 while the store is too full to take messages.",
           n->store_full);
    single(&r, "certfed_nats_connected", "gauge", "1 if the NATS link is up.",
           cf_link_connected(n->link));
    single(&r, "certfed_nats_link_change_timestamp_seconds", "gauge",
           "When the NATS link last came up or went down (Unix time).",
           (double)n->link_since_ms / 1000.0);
    single(&r, "certfed_nats_dropped_total", "counter",
           "Messages nats.c dropped past its pending limits (slow consumer); they come again.",
           (double)cf_link_dropped(n->link));
    single(&r, "certfed_receipt_rtt_seconds", "gauge",
           "Smoothed time from sending an envelope to its receipt (0: not timed yet).",
           (double)n->srtt_ms / 1000.0);
    single(&r, "certfed_resend_wait_seconds", "gauge",
           "The least wait before an envelope without a receipt is sent again.",
           (double)cf_node_resend_after_ms(n) / 1000.0);
    single(&r, "certfed_certificates", "gauge", "Certificates in the trust store.",
           (double)cf_trust_count(n->keys->trust));
    single(&r, "certfed_revoked_keys", "gauge", "Keys revoked.",
           (double)cf_trust_revoked_count(n->keys->trust));
    render_messages(&r, n);
    render_ack_latency(&r, &n->metrics);
    if (r.st == CF_OK)
        render_store(&r, n);
    if (r.st == CF_OK)
        render_peers(&r, n, now_ms);
    return r.st;
}
