/*
 * test_node_batch.c - a regression guard of the receive loop's costs that
 * needs no timing: a real node (NCERT of the sample federation, its store
 * on disk, no NATS) takes 1,000 signed incidents from a child in one loop
 * turn, and the test counts what that costs: write transactions committed
 * (each a synced write: the loop must batch them, one per turn) and heap
 * allocations made by certfed's own code per message (malloc, calloc and
 * realloc, counted with the linker's --wrap). A change that commits per
 * message, or allocates far more per message, fails here whatever the
 * machine's speed. It also counts the receipts NCERT signs: one for all of
 * an origin's messages of a turn (each signature costs about as much as a
 * verification), and checks that the one receipt stands for every message.
 * Then 1,000 go through the thread pool in parts, five of them with a
 * broken signature, and exactly those five are refused. Last, an incident
 * NCERT stored without an id row and escalated in a later revision is
 * found by id once a catch-up answer passed it up to the Council, and that
 * answer costs few allocations an entry of the log it looked at.
 */
#include "check.h"
#include "harness/harness.h"
#include "node/internal.h"
#include "node/state.h"
#include "signed_msg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MESSAGES 1000
/* Bounds: per 1,000 messages, at most 2 commits (one per turn; a spare for
 * bookkeeping that might move to its own); per message, at most 50
 * allocations (47 measured with a receipt per message, 30 with one receipt
 * per turn: the bound is ~1.7x). */
#define COMMITS_PER_1000_MAX 2
#define ALLOCS_PER_MESSAGE_MAX 50
/* receipts signed per 1,000 messages of one origin in one turn (1 measured:
 * CF_RECEIPT_IDS_MAX is 1,000; a per-message receipt would make 1,000) */
#define RECEIPTS_PER_1000_MAX 2
/* allocations an entry of the log costs a catch-up answer that looks at it
 * and finds the asker not entitled to it (13.0 measured decoding each, 2.1
 * reading it in place) */
#define ANSWER_ALLOCS_PER_ENTRY_MAX 3.0

/* ---- counting allocations --------------------------------------------------- */

static size_t allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *
__wrap_malloc(size_t n)
{
    allocs++;
    return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
    allocs++;
    return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
    allocs++;
    return __real_realloc(p, n);
}

/* ---- counting log lines ------------------------------------------------------ */

static size_t duplicate_lines; /* lines that say a duplicate was refused */

static void
count_sink(cf_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    duplicate_lines += strstr(line, ": duplicate") != NULL;
}

/* ---- the messages ------------------------------------------------------------ */

/* origin's incidents 1..count for NCERT, chained, as its node would sign them */
static cf_link_msg *
make_incidents(const cf_identity *signer, const char *origin, int count, int64_t now_ms)
{
    cf_link_msg *head = NULL, **tail = &head;
    uint8_t prev[CF_ID_LEN] = {0};
    char id[32], title[64];

    for (int i = 1; i <= count; i++) {
        cf_body b;
        memset(&b, 0, sizeof(b));
        b.type = CF_MSG_INCIDENT;
        b.header.federation = "pk";
        b.header.origin = origin;
        b.header.seq = (uint64_t)i;
        b.header.has_prev_hash = i > 1;
        memcpy(b.header.prev_hash, prev, CF_ID_LEN);
        b.header.created_ms = now_ms;
        snprintf(id, sizeof(id), "%s-%d", origin, i);
        snprintf(title, sizeof(title), "Phishing wave, report %d", i);
        b.u.incident.id = id;
        b.u.incident.revision = 1;
        b.u.incident.title = title;
        b.u.incident.description = "Credential phishing against bank customers; "
                                   "landing pages on fresh domains, taken down daily.";
        b.u.incident.severity = 1; /* low: NCERT keeps it and passes nothing up */
        b.u.incident.tlp = 3;
        b.u.incident.status = 1;
        b.u.incident.owner = origin;
        cf_link_msg *m = signed_msg(signer, &b, prev);
        if (!m)
            break;
        *tail = m;
        tail = &m->next;
    }
    return head;
}

static bool
is_broken(const int *broken, size_t n, int i)
{
    for (size_t b = 0; b < n; b++)
        if (broken[b] == i)
            return true;
    return false;
}

int
main(void)
{
    char fed[4096], conf[4200], key[4200], key2[4200], err[1024] = "";
    char *dir = NULL;
    uv_loop_t loop;
    cf_node *node = NULL;
    cf_identity *punjab = NULL, *sindh = NULL, *kp = NULL, *council = NULL;

    if (sodium_init() < 0)
        return 1;
    dir = h_sample_federation("batch");
    CHECK(dir != NULL);
    if (!dir)
        return check_done("test_node_batch");
    snprintf(fed, sizeof(fed), "%s/fed", dir);
    snprintf(conf, sizeof(conf), "%s/nodes/ncert/node.conf", fed);
    snprintf(key, sizeof(key), "%s/nodes/punjab/keys/identity.key", fed);
    snprintf(key2, sizeof(key2), "%s/nodes/sindh/keys/identity.key", fed);
    CHECK_ST(cf_identity_load(key, NULL, &punjab), CF_OK);
    CHECK_ST(cf_identity_load(key2, NULL, &sindh), CF_OK);
    snprintf(key, sizeof(key), "%s/nodes/kp/keys/identity.key", fed);
    CHECK_ST(cf_identity_load(key, NULL, &kp), CF_OK);
    snprintf(key, sizeof(key), "%s/nodes/council/keys/identity.key", fed);
    CHECK_ST(cf_identity_load(key, NULL, &council), CF_OK);
    CHECK(uv_loop_init(&loop) == 0);
    cf_node_options o = {conf, "nats://127.0.0.1:1", true};
    CHECK_ST(cf_node_start(&loop, &o, &node, err, sizeof(err)), CF_OK);
    if (!node || !punjab || !sindh || !kp || !council) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    cf_node_learning_done(node, "a test without peers");

    int64_t now = cf_clock_now_ms();
    cf_link_msg *msgs = make_incidents(punjab, "punjab", MESSAGES, now);
    /* the ids of the first and the last message, to find their receipts */
    uint8_t first_id[CF_ID_LEN] = {0}, last_id[CF_ID_LEN] = {0};
    for (cf_link_msg *lm = msgs; lm; lm = lm->next) {
        cf_envelope e;
        if (cf_envelope_parse_stored(lm->data, lm->len, &e) == CF_OK) {
            memcpy(lm == msgs ? first_id : last_id, e.id, CF_ID_LEN);
            cf_envelope_clear(&e);
        }
    }
    cf_store_stats stats;
    CHECK_ST(cf_store_stats_get(node->store, &stats), CF_OK);
    uint64_t ids_before = stats.entries[CF_T_IDS];
    uint64_t commits = cf_store_commits(node->store), accepted = node->counters.accepted;
    uint64_t receipts = node->counters.receipts_signed;
    size_t before = allocs;
    cf_node_receive_batch(node, msgs, now);
    size_t per_message = (allocs - before) / MESSAGES;
    commits = cf_store_commits(node->store) - commits;
    accepted = node->counters.accepted - accepted;
    receipts = node->counters.receipts_signed - receipts;
    printf("BATCH %d incidents in one turn: accepted %llu, %llu write transaction(s) "
           "committed (bound %d per 1000), %llu receipt(s) signed (bound %d per 1000), "
           "%zu allocations per message (bound %d)\n",
           MESSAGES, (unsigned long long)accepted, (unsigned long long)commits,
           COMMITS_PER_1000_MAX, (unsigned long long)receipts, RECEIPTS_PER_1000_MAX, per_message,
           ALLOCS_PER_MESSAGE_MAX);
    CHECK(accepted == MESSAGES);
    CHECK(commits >= 1 && commits * 1000 <= (uint64_t)COMMITS_PER_1000_MAX * MESSAGES);
    CHECK(receipts >= 1 && receipts * 1000 <= (uint64_t)RECEIPTS_PER_1000_MAX * MESSAGES);
    CHECK(per_message <= ALLOCS_PER_MESSAGE_MAX);
    /* incidents NCERT does not pass on get no id index row (a random write
     * each), nor do its receipts: only the first message each receipt names */
    CHECK_ST(cf_store_stats_get(node->store, &stats), CF_OK);
    printf("BATCH id index rows added: %llu for %d incidents and %llu receipt(s)\n",
           (unsigned long long)(stats.entries[CF_T_IDS] - ids_before), MESSAGES,
           (unsigned long long)receipts);
    CHECK(stats.entries[CF_T_IDS] - ids_before <= receipts);
    /* the messages are really stored: the last one is there */
    cf_txn *t = NULL;
    cf_message *m = NULL;
    char last[32];
    snprintf(last, sizeof(last), "punjab-%d", MESSAGES);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    if (t)
        CHECK_ST(cf_state_incident_latest(t, last, &m), CF_OK);
    cf_message_free(m);
    /* every message has a signed receipt stored, and the first's stands
     * for the last one too */
    uint64_t seq1 = 0, seq2 = 0;
    cf_logkey k1;
    cf_buf wire;
    cf_buf_init(&wire);
    if (t) {
        cf_message *first_m = NULL, *last_m = NULL;
        cf_logkey_make("punjab", 1, &k1);
        CHECK_ST(cf_state_load(t, &k1, &first_m), CF_OK);
        cf_logkey_make("punjab", MESSAGES, &k1);
        CHECK_ST(cf_state_load(t, &k1, &last_m), CF_OK);
        if (first_m && last_m) {
            CHECK_ST(cf_state_receipt_seq(t, first_m, &seq1), CF_OK);
            CHECK_ST(cf_state_receipt_seq(t, last_m, &seq2), CF_OK);
        }
        cf_message_free(first_m);
        cf_message_free(last_m);
        CHECK(seq1 > 0 && seq1 == seq2);
        cf_logkey_make("ncert", seq1, &k1);
        CHECK_ST(cf_txn_get(t, CF_T_LOG, k1.k, k1.len, &wire), CF_OK);
    }
    cf_message *r = NULL;
    if (wire.len)
        CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_ACK, "pk", now, &r), CF_OK);
    if (r) {
        const cf_ack *a = &r->body.u.ack;
        bool has_last = false;
        for (size_t i = 0; i < cf_ack_count(a); i++)
            has_last |= memcmp(cf_ack_id(a, i), last_id, CF_ID_LEN) == 0;
        CHECK(cf_ack_count(a) == MESSAGES && a->state == 1);
        CHECK(memcmp(a->message_id, first_id, CF_ID_LEN) == 0 && has_last);
        CHECK(sodium_memcmp(r->env.signer, node->keys->identity->sign_pk, CF_PK_LEN) == 0);
        /* catch-up learns whom a receipt answers from its first id: that
         * one is in the id index, the last one (passed on to nobody) not */
        cf_message *named = NULL;
        CHECK_ST(cf_state_load_id(t, a->message_id, &named), CF_OK);
        CHECK(named && strcmp(named->body.header.origin, "punjab") == 0);
        cf_message_free(named);
        named = NULL;
        CHECK_ST(cf_state_load_id(t, last_id, &named), CF_E_NOT_FOUND);
        cf_message_free(named);
    }
    cf_message_free(r);
    cf_txn_abort(t);
    t = NULL;

    /* the same 1,000 again (an origin that never got the receipt): each
     * is a duplicate, answered with the stored receipt, which goes once
     * for all of them (it stands for all 1,000), and costs no verification
     * (the bytes are those verified when stored) */
    msgs = make_incidents(punjab, "punjab", MESSAGES, now);
    uint64_t checks = node->counters.sig_checks, resent = node->counters.receipts_resent;
    uint64_t dups = node->counters.rejected[CF_E_DUPLICATE];
    accepted = node->counters.accepted;
    cf_log_set_sink(count_sink, NULL);
    cf_node_receive_batch(node, msgs, now);
    cf_log_set_sink(NULL, NULL);
    checks = node->counters.sig_checks - checks;
    resent = node->counters.receipts_resent - resent;
    printf("RESENT %d incidents again: %llu accepted, %llu receipts sent again, %llu signatures "
           "verified\n",
           MESSAGES, (unsigned long long)(node->counters.accepted - accepted),
           (unsigned long long)resent, (unsigned long long)checks);
    CHECK(node->counters.accepted == accepted);
    CHECK(node->counters.rejected[CF_E_DUPLICATE] == dups + MESSAGES);
    CHECK(resent == 1);
    /* resends are normal: a line a second, not one each */
    printf("LOGGED %zu line(s) for the %d duplicates\n", duplicate_lines, MESSAGES);
    CHECK(duplicate_lines >= 1 && duplicate_lines <= 2);
    CHECK(checks == 0);
    /* a resend with another signature (same body) is verified, and refused */
    msgs = make_incidents(punjab, "punjab", 1, now);
    if (msgs)
        msgs->data[msgs->len - 1] ^= 1; /* the signature is the envelope's last field */
    checks = node->counters.sig_checks;
    uint64_t bad = node->counters.rejected[CF_E_BAD_SIGNATURE];
    cf_node_receive_batch(node, msgs, now);
    CHECK(node->counters.sig_checks == checks + 1);
    CHECK(node->counters.rejected[CF_E_BAD_SIGNATURE] == bad + 1);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    cf_buf_clear(&wire);
    cf_txn_abort(t);
    t = NULL;

    /* sindh's 1,000 through the thread pool, in parts of CF_VERIFY_JOB_MAX,
     * five with a broken signature: the first, either side of the first
     * parts' edge, one inside a later part, the last. Checked parts are
     * joined into turns again; each verdict must stay with its message. */
    static const int broken[] = {0, CF_VERIFY_JOB_MAX - 1, CF_VERIFY_JOB_MAX,
                                 2 * CF_VERIFY_JOB_MAX + 17, MESSAGES - 1};
    msgs = make_incidents(sindh, "sindh", MESSAGES, now);
    int i = 0;
    for (cf_link_msg *lm = msgs; lm; lm = lm->next, i++)
        if (is_broken(broken, CF_ARRAY_LEN(broken), i))
            lm->data[lm->len - 1] ^= 1; /* the signature is the envelope's last field */
    accepted = node->counters.accepted;
    bad = node->counters.rejected[CF_E_BAD_SIGNATURE];
    /* as if the store had been full: a turn stored in a store with room
     * again (this one has nearly all its map unused) ends the alarm
     * (test_fault_disk checks that it stays on while the store is full) */
    node->store_full = true;
    cf_node_receive_pooled(node, msgs);
    while (node->jobs)
        uv_run(&loop, UV_RUN_ONCE);
    accepted = node->counters.accepted - accepted;
    bad = node->counters.rejected[CF_E_BAD_SIGNATURE] - bad;
    printf("POOLED %d incidents through the thread pool, %zu with a broken signature: "
           "%llu accepted, %llu refused as bad signatures\n",
           MESSAGES, CF_ARRAY_LEN(broken), (unsigned long long)accepted, (unsigned long long)bad);
    CHECK(accepted == MESSAGES - CF_ARRAY_LEN(broken));
    CHECK(bad == CF_ARRAY_LEN(broken));
    CHECK(!node->store_full);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    for (size_t b = 0; t && b < CF_ARRAY_LEN(broken); b++) {
        char id[32];
        m = NULL;
        snprintf(id, sizeof(id), "sindh-%d", broken[b] + 1);
        CHECK_ST(cf_state_incident_latest(t, id, &m), CF_E_NOT_FOUND);
        cf_message_free(m);
        m = NULL;
        /* a neighbour with a good signature is there */
        int near =
            broken[b] + 1 < MESSAGES && !is_broken(broken, CF_ARRAY_LEN(broken), broken[b] + 1)
                ? broken[b] + 1
                : broken[b] - 1;
        snprintf(id, sizeof(id), "sindh-%d", near + 1);
        CHECK_ST(cf_state_incident_latest(t, id, &m), CF_OK);
        cf_message_free(m);
    }
    cf_txn_abort(t);
    t = NULL;

    /* kp reports kp-1 as low (NCERT keeps it, no id row: it is not the
     * first message its receipt names either), then raises it to high
     * (escalated: forwarded, indexed). The Council, asking NCERT to catch
     * it up, is sent revision 1 too (an escalated incident's history):
     * its receipt for it comes back to NCERT as the relay, so NCERT must
     * find revision 1 by id once it passed it up. */
    static const struct {
        const char *id;
        uint32_t revision;
        uint32_t severity;
    } kp_msgs[] = {{"kp-2", 1, 1}, {"kp-1", 1, 1}, {"kp-1", 2, CF_SEVERITY_ESCALATE}};
    cf_body b;
    uint8_t prev_id[CF_ID_LEN] = {0}, rev1_id[CF_ID_LEN] = {0};
    cf_link_msg **kp_tail = &msgs;
    msgs = NULL;
    for (size_t k = 0; k < CF_ARRAY_LEN(kp_msgs); k++) {
        memset(&b, 0, sizeof(b));
        b.type = CF_MSG_INCIDENT;
        b.header.federation = "pk";
        b.header.origin = "kp";
        b.header.seq = k + 1;
        b.header.has_prev_hash = k > 0;
        memcpy(b.header.prev_hash, prev_id, CF_ID_LEN);
        b.header.created_ms = now;
        b.u.incident.id = kp_msgs[k].id;
        b.u.incident.revision = kp_msgs[k].revision;
        b.u.incident.title = "Defacement of a district portal";
        b.u.incident.severity = kp_msgs[k].severity;
        b.u.incident.tlp = 3;
        b.u.incident.status = 1;
        b.u.incident.owner = "kp";
        *kp_tail = signed_msg(kp, &b, prev_id);
        if (!*kp_tail)
            break;
        kp_tail = &(*kp_tail)->next;
        if (k == 1)
            memcpy(rev1_id, prev_id, CF_ID_LEN);
    }
    accepted = node->counters.accepted;
    cf_node_receive_batch(node, msgs, now);
    CHECK(node->counters.accepted == accepted + 3);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    m = NULL;
    if (t)
        CHECK_ST(cf_state_load_id(t, rev1_id, &m), CF_E_NOT_FOUND);
    cf_txn_abort(t);
    t = NULL;

    memset(&b, 0, sizeof(b));
    const char *to_ncert[] = {"ncert"};
    b.type = CF_MSG_CATCHUP_REQUEST;
    b.header.federation = "pk";
    b.header.origin = "council";
    b.header.created_ms = now;
    b.header.expires_ms = now + 60000;
    b.header.audience.nodes.v = to_ncert;
    b.header.audience.nodes.n = 1;
    uint64_t answered = node->counters.accepted;
    /* answering, NCERT looks at each of the ~2,000 incidents in its log,
     * none of them the Council's but kp-1's two revisions: it tells them
     * apart without decoding them (cf_envelope_peek; decoding allocates
     * about ten times a message) */
    cf_link_msg *request = signed_msg(council, &b, NULL);
    CHECK_ST(cf_store_stats_get(node->store, &stats), CF_OK);
    uint64_t log_entries = stats.entries[CF_T_LOG];
    before = allocs;
    cf_node_receive_batch(node, request, now);
    double answer_allocs = (double)(allocs - before) / (double)(log_entries ? log_entries : 1);
    printf("ANSWER the Council's catch-up request over %llu log entries: %.2f allocations an "
           "entry (bound %.1f)\n",
           (unsigned long long)log_entries, answer_allocs, ANSWER_ALLOCS_PER_ENTRY_MAX);
    CHECK(log_entries >= 2 * MESSAGES);
    CHECK(answer_allocs <= ANSWER_ALLOCS_PER_ENTRY_MAX);
    CHECK(node->counters.accepted == answered + 1);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    if (t)
        CHECK_ST(cf_state_load_id(t, rev1_id, &m), CF_OK);
    CHECK(m && m->body.u.incident.revision == 1);
    cf_message_free(m);
    m = NULL;
    cf_txn_abort(t);
    t = NULL;

    /* a directive, as a fan-out's leaf gets one: its commit and our receipt
     * write no acks row (directive status reads our receipt from the log)
     * and no meta row (our sequence, head and clock are our own mark and
     * log entry): two B-trees fewer in every such commit */
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_DIRECTIVE;
    b.header.federation = "pk";
    b.header.origin = "council";
    b.header.seq = 1;
    b.header.created_ms = now;
    b.u.directive.number = "2026-B1";
    b.u.directive.version = 1;
    b.u.directive.kind = 1;
    b.u.directive.title = "patch now";
    CHECK_ST(cf_store_stats_get(node->store, &stats), CF_OK);
    uint64_t acks_before = stats.entries[CF_T_ACKS];
    receipts = node->counters.receipts_signed;
    cf_node_receive_batch(node, signed_msg(council, &b, NULL), now);
    CHECK(node->counters.receipts_signed == receipts + 1);
    CHECK_ST(cf_store_stats_get(node->store, &stats), CF_OK);
    CHECK(stats.entries[CF_T_ACKS] == acks_before);
    CHECK_ST(cf_txn_begin(node->store, false, &t), CF_OK);
    uint64_t meta_seq = 0;
    cJSON *status = NULL;
    if (t) {
        CHECK_ST(cf_state_meta_get_u64(t, "seq", &meta_seq), CF_E_NOT_FOUND);
        CHECK_ST(cf_state_directive_status(t, node->topo, "ncert", "2026-B1", &status), CF_OK);
    }
    const cJSON *row = NULL, *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(status, "nodes"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "node")), "ncert") == 0)
            row = x;
    }
    CHECK(row && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "state")), "received") == 0);
    cJSON_Delete(status);
    cf_txn_abort(t);

out:
    if (node) {
        cf_node_stop(node, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT); /* the stop frees the node */
    }
    uv_loop_close(&loop);
    cf_identity_free(punjab);
    cf_identity_free(sindh);
    cf_identity_free(kp);
    cf_identity_free(council);
    h_rmtree(dir);
    free(dir);
    return check_done("test_node_batch");
}
