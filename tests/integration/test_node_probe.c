/*
 * test_node_probe.c - how a node learns how long receipts take (node.c's
 * probe), on the paths test_resend_wait cannot reach in its time: a real
 * node (punjab of the sample federation, its store on disk, no NATS) times
 * one envelope at a time, from its send to its first receipt, which here
 * comes from NCERT's key, built by the test.
 *
 * - A receipt that came on the bus is a sample (rtt_samples counts it).
 * - A receipt that came in a catch-up batch ends the timing without a
 *   sample: how long a catch-up took says nothing of how long receipts take.
 * - A probe whose receipt never comes is given up after resend_max_ms, so
 *   the next envelope is timed: without that, one lost receipt would leave
 *   the node timing nothing, its resend wait fixed at what it last learnt.
 *   A late receipt of a probe given up is no sample either.
 */
#include "check.h"
#include "harness/harness.h"
#include "node/internal.h"
#include "signed_msg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* the resend_max_ms punjab runs with (the least the config takes is 100) */
#define RESEND_MAX_MS 300

static uint8_t ncert_prev[CF_ID_LEN];
static uint64_t ncert_seq;

/* NCERT's receipt for the message with this id, signed with its key, as
 * its node would sign it (the next in its chain). */
static cf_link_msg *
receipt_for(const cf_identity *ncert, const uint8_t id[CF_ID_LEN], int64_t now_ms)
{
    cf_body b;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_ACK;
    b.header.federation = "pk";
    b.header.origin = "ncert";
    b.header.seq = ++ncert_seq;
    b.header.has_prev_hash = ncert_seq > 1;
    memcpy(b.header.prev_hash, ncert_prev, CF_ID_LEN);
    b.header.created_ms = now_ms;
    memcpy(b.u.ack.message_id, id, CF_ID_LEN);
    b.u.ack.node = "ncert";
    b.u.ack.state = 1; /* received */
    b.u.ack.at_ms = now_ms;
    return signed_msg(ncert, &b, ncert_prev);
}

/* punjab reports an incident; its id to id */
static void
report(cf_node *n, int i, uint8_t id[CF_ID_LEN])
{
    char iid[32], title[64];
    const char *why = NULL;
    cf_body b;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_INCIDENT;
    snprintf(iid, sizeof(iid), "punjab-probe-%d", i);
    snprintf(title, sizeof(title), "Defacement of a district portal, report %d", i);
    b.u.incident.id = iid;
    b.u.incident.revision = 1;
    b.u.incident.title = title;
    b.u.incident.description = "A district government portal shows a defacement page.";
    b.u.incident.severity = 2;
    b.u.incident.tlp = 3;
    b.u.incident.status = 1;
    b.u.incident.owner = "punjab";
    CHECK_ST(cf_node_originate(n, &b, NULL, id, &why), CF_OK);
    if (why)
        fprintf(stderr, "refused: %s\n", why);
}

/* the receipt in m, as it came from the bus (via NULL) or in a catch-up
 * batch from NCERT; it must be accepted */
static void
take(cf_node *n, cf_link_msg *m, const char *via)
{
    cf_effects fx = {NULL, NULL};
    cf_txn *t = NULL;
    bool trust_changed = false;
    cf_status verdict = CF_E_IO;

    if (!m)
        return;
    CHECK_ST(cf_txn_begin(n->store, true, &t), CF_OK);
    if (t) {
        CHECK_ST(cf_node_receive(n, t, m->data, m->len, "certfed.council.ncert.punjab.in.ack", via,
                                 cf_clock_now_ms(), &fx, &trust_changed, &verdict),
                 CF_OK);
        CHECK_ST(verdict, CF_OK);
        CHECK_ST(cf_txn_commit(t), CF_OK);
    }
    cf_effects_clear(&fx);
    free(m);
}

static bool
timing(const cf_node *n, const uint8_t id[CF_ID_LEN])
{
    return n->probe.active && memcmp(n->probe.id, id, CF_ID_LEN) == 0;
}

int
main(void)
{
    char conf[4200], key[4200], err[1024] = "";
    char *dir = NULL;
    uv_loop_t loop;
    cf_node *node = NULL;
    cf_identity *ncert = NULL;
    uint8_t id1[CF_ID_LEN], id2[CF_ID_LEN], id3[CF_ID_LEN], id4[CF_ID_LEN], id5[CF_ID_LEN];

    if (sodium_init() < 0)
        return 1;
    dir = h_sample_federation("probe");
    CHECK(dir != NULL);
    if (!dir)
        return check_done("test_node_probe");
    snprintf(conf, sizeof(conf), "%s/fed/nodes/punjab/node.conf", dir);
    snprintf(key, sizeof(key), "%s/fed/nodes/ncert/keys/identity.key", dir);
    CHECK_ST(cf_identity_load(key, NULL, &ncert), CF_OK);
    FILE *f = fopen(conf, "a");
    CHECK(f != NULL);
    if (f) {
        fprintf(f, "\n[delivery]\nresend_first_ms = 100\nresend_max_ms = %d\n", RESEND_MAX_MS);
        fclose(f);
    }
    CHECK(uv_loop_init(&loop) == 0);
    cf_node_options o = {conf, "nats://127.0.0.1:1", true};
    CHECK_ST(cf_node_start(&loop, &o, &node, err, sizeof(err)), CF_OK);
    if (!node || !ncert) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    cf_node_learning_done(node, "a test without peers");
    CHECK(node->cfg->resend_max_ms == RESEND_MAX_MS);

    /* 1. timed, and answered on the bus: a sample */
    report(node, 1, id1);
    CHECK(timing(node, id1));
    take(node, receipt_for(ncert, id1, cf_clock_now_ms()), NULL);
    printf("BUS receipt: probe %s, %llu sample(s)\n", node->probe.active ? "still out" : "ended",
           (unsigned long long)node->counters.rtt_samples);
    CHECK(!node->probe.active);
    CHECK(node->counters.rtt_samples == 1);

    /* 2. answered in a catch-up batch: the timing ends, no sample */
    report(node, 2, id2);
    CHECK(timing(node, id2));
    take(node, receipt_for(ncert, id2, cf_clock_now_ms()), "ncert");
    printf("CATCH-UP receipt: probe %s, %llu sample(s)\n",
           node->probe.active ? "still out" : "ended",
           (unsigned long long)node->counters.rtt_samples);
    CHECK(!node->probe.active);
    CHECK(node->counters.rtt_samples == 1);

    /* 3. never answered: while the probe is out, nothing else is timed;
     * after resend_max_ms it is given up (the resend tick, every 500 ms) */
    report(node, 3, id3);
    CHECK(timing(node, id3));
    report(node, 4, id4);
    CHECK(timing(node, id3));
    int64_t deadline = h_now_ms() + 5000;
    while (node->probe.active && h_now_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    int64_t waited = cf_clock_now_ms() - node->probe.sent_ms;
    printf("LOST receipt: probe %s after %lld ms (resend_max_ms %d)\n",
           node->probe.active ? "still out" : "given up", (long long)waited, RESEND_MAX_MS);
    CHECK(!node->probe.active);
    CHECK(waited > RESEND_MAX_MS);
    /* the next envelope is timed again, and its receipt is a sample */
    report(node, 5, id5);
    CHECK(timing(node, id5));
    take(node, receipt_for(ncert, id5, cf_clock_now_ms()), NULL);
    CHECK(node->counters.rtt_samples == 2);
    /* a late receipt of the given-up probe is no sample */
    take(node, receipt_for(ncert, id3, cf_clock_now_ms()), NULL);
    CHECK(node->counters.rtt_samples == 2);

out:
    if (node) {
        cf_node_stop(node, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT); /* the stop frees the node */
    }
    uv_loop_close(&loop);
    cf_identity_free(ncert);
    h_rmtree(dir);
    free(dir);
    return check_done("test_node_probe");
}
