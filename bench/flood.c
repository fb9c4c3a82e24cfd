/*
 * flood.c - cf_bench_flood: a node's child that never stops reporting. It
 * logs in to NATS with the child's transport key, signs COUNT incidents of
 * 512 bytes each with the child's identity key (sequence 1.., hash-chained,
 * as the child's own node would), publishes them to the parent's inbox with
 * at most WINDOW unacknowledged, and counts the distinct signed `received`
 * receipts the parent sends back. The child's own certfedd must not run.
 *
 * Messages are signed ahead, in chunks of CHUNK, outside the timed part; the
 * rate is receipts per second of sending time. A message without a receipt
 * after 3 s of silence is sent again (a parent may refuse or drop it). A
 * receipt is decoded and checked (type, node, state, message id), not
 * verified: verification would take the CPU the measured node needs.
 *
 * cf_bench_flood URL NKEYFILE IDKEYFILE FEDERATION ORIGIN TO-SUBJECT
 *                ACK-SUBJECT PARENT COUNT WINDOW
 * Prints "name=value" lines; exit 0 when every message has its receipt,
 * 1 otherwise, 2 on bad usage.
 */
#include "common/common.h"
#include "keys/keys.h"

#include <nats/nats.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define ENVELOPE_LEN 512
#define CHUNK 100000
#define STALL_S 3.0
#define DEADLINE_S 1800.0

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t *slots; /* open addressing: first 8 bytes of an id, 0 = empty */
    uint32_t *index; /* the message each slot names */
    size_t mask;
    uint8_t *acked;
    size_t n_acked;
    uint64_t foreign;  /* receipts for nothing of ours, or not receipts */
    uint64_t receipts; /* signed receipts (each for one or more messages) */
    const char *parent;
} g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, NULL, 0, 0, 0, NULL};

static cf_nkey *nkey;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds this process has used, all threads */
static double
cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t
id_key(const uint8_t id[CF_ID_LEN])
{
    uint64_t k;

    memcpy(&k, id, sizeof(k));
    return k ? k : 1;
}

static void
id_add(const uint8_t id[CF_ID_LEN], uint32_t i)
{
    size_t h = (size_t)id_key(id) & g.mask;

    while (g.slots[h])
        h = (h + 1) & g.mask;
    g.slots[h] = id_key(id);
    g.index[h] = i;
}

/* The message an id names, or -1. Ids are BLAKE2b hashes: 8 bytes suffice. */
static long
id_find(const uint8_t id[CF_ID_LEN])
{
    uint64_t k = id_key(id);

    for (size_t h = (size_t)k & g.mask; g.slots[h]; h = (h + 1) & g.mask)
        if (g.slots[h] == k)
            return (long)g.index[h];
    return -1;
}

/* nats.c thread: a receipt from the parent. */
static void
on_ack(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    cf_envelope env;
    cf_message *m = NULL;
    cf_limits lim = cf_limits_default();
    long i = -1;

    (void)nc;
    (void)sub;
    (void)arg;
    if (cf_envelope_parse_stored((const uint8_t *)natsMsg_GetData(msg),
                                 (size_t)natsMsg_GetDataLength(msg), &env) == CF_OK) {
        if (cf_message_decode(&env, &lim, &m) != CF_OK)
            cf_envelope_clear(&env);
    }
    bool receipt = m && m->body.type == CF_MSG_ACK && m->body.u.ack.state == 1 &&
                   m->body.u.ack.node && strcmp(m->body.u.ack.node, g.parent) == 0;
    pthread_mutex_lock(&g.mu);
    if (!receipt)
        g.foreign++;
    /* one receipt stands for every message of ours the parent took in one turn */
    for (size_t k = 0; receipt && k < cf_ack_count(&m->body.u.ack); k++) {
        i = id_find(cf_ack_id(&m->body.u.ack, k));
        if (i < 0) {
            g.foreign++;
        } else if (!g.acked[i]) {
            g.acked[i] = 1;
            g.n_acked++;
        }
    }
    if (receipt)
        g.receipts++;
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
    cf_message_free(m);
    natsMsg_Destroy(msg);
}

static natsStatus
sign_nonce(char **err_txt, unsigned char **sig, int *sig_len, const char *nonce, void *arg)
{
    (void)err_txt;
    (void)arg;
    *sig = malloc(CF_SIG_LEN);
    if (!*sig)
        return NATS_NO_MEMORY;
    cf_nkey_sign(nkey, (const uint8_t *)nonce, strlen(nonce), *sig);
    *sig_len = CF_SIG_LEN;
    return NATS_OK;
}

static natsConnection *
connect_as(const char *url)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    natsStatus s;

    cf_nkey_public_encode(nkey->pk, pub);
    s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetNKey(o, pub, sign_nonce, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    /* a large window of receipts must not be dropped as a slow consumer */
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK)
        fprintf(stderr, "cf_bench_flood: connect %s: %s\n", url, natsStatus_GetText(s));
    return s == NATS_OK ? nc : NULL;
}

typedef struct chain {
    const cf_identity *id;
    const char *federation, *origin;
    uint64_t seq;
    uint8_t head[CF_ID_LEN];
    size_t overhead; /* envelope bytes around a body of about ENVELOPE_LEN */
    char *pad;
} chain;

/* Sign the next incident of the chain into out (exactly ENVELOPE_LEN bytes
 * when the padding can make it so). */
static cf_status
next_incident(chain *c, cf_buf *out)
{
    char id[64], title[64];
    cf_body b;
    cf_buf body;
    size_t want, pad = 0;
    cf_status st;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_INCIDENT;
    b.header.federation = c->federation;
    b.header.origin = c->origin;
    b.header.seq = ++c->seq;
    b.header.has_prev_hash = c->seq > 1;
    memcpy(b.header.prev_hash, c->head, CF_ID_LEN);
    b.header.created_ms = cf_clock_now_ms();
    snprintf(id, sizeof(id), "%s-%llu", c->origin, (unsigned long long)c->seq);
    snprintf(title, sizeof(title), "bench flood %llu", (unsigned long long)c->seq);
    b.u.incident.id = id;
    b.u.incident.revision = 1;
    b.u.incident.title = title;
    b.u.incident.severity = 2; /* medium: NCERT keeps it, the Council never sees it */
    b.u.incident.tlp = 3;      /* amber: not sealed */
    b.u.incident.status = 1;
    b.u.incident.confidence = 50;
    b.u.incident.owner = c->origin;
    b.u.incident.reported_ms = b.header.created_ms;
    b.u.incident.rsit_class = "fraud";
    b.u.incident.rsit_type = "phishing";
    cf_buf_init(&body);
    /* pad the description until the envelope is ENVELOPE_LEN bytes: the
     * field's own tag and length make the first guess short or long */
    want = ENVELOPE_LEN - c->overhead;
    for (int attempt = 0; attempt < 4; attempt++) {
        c->pad[pad] = 0;
        b.u.incident.description = pad ? c->pad : NULL;
        body.len = 0;
        st = cf_body_encode(&b, NULL, &body);
        c->pad[pad] = 'x';
        if (st != CF_OK || body.len == want || (body.len > want && pad == 0))
            break;
        if (body.len > want)
            pad -= body.len - want < pad ? body.len - want : pad;
        else if (pad + (want - body.len) < ENVELOPE_LEN)
            pad += want - body.len;
    }
    if (st == CF_OK)
        st = cf_envelope_seal(CF_MSG_INCIDENT, body.data, body.len, c->id->sign_sk, out);
    if (st == CF_OK)
        cf_message_id(CF_MSG_INCIDENT, body.data, body.len, c->head);
    cf_buf_clear(&body);
    return st;
}

/* Wait until fewer than `window` of the first `sent` lack a receipt; resend
 * the ones without a receipt after STALL_S of silence. */
static bool
wait_window(natsConnection *nc, const char *subject, uint8_t **wire, size_t base, size_t sent,
            size_t window, double deadline, uint64_t *resent)
{
    size_t last = SIZE_MAX;
    double quiet_since = now_s();

    pthread_mutex_lock(&g.mu);
    while (sent - g.n_acked >= window && sent > g.n_acked) {
        if (g.n_acked != last) {
            last = g.n_acked;
            quiet_since = now_s();
        }
        if (now_s() > deadline) {
            pthread_mutex_unlock(&g.mu);
            return false;
        }
        if (now_s() - quiet_since > STALL_S) {
            for (size_t i = base; i < sent; i++)
                if (!g.acked[i] &&
                    natsConnection_Publish(nc, subject, wire[i - base], ENVELOPE_LEN) == NATS_OK)
                    (*resent)++;
            quiet_since = now_s();
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g.cv, &g.mu, &ts);
    }
    pthread_mutex_unlock(&g.mu);
    return true;
}

int
main(int argc, char **argv)
{
    cf_identity *id = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    uint8_t **wire = NULL;
    chain c;
    size_t count, window, size = 2, bytes = 0;
    uint64_t resent = 0;
    double busy = 0, busy_cpu = 0, deadline;
    int rc = 1;

    if (argc != 11) {
        fputs("usage: see the comment at the top of bench/flood.c\n", stderr);
        return 2;
    }
    count = strtoul(argv[9], NULL, 10);
    window = strtoul(argv[10], NULL, 10);
    if (sodium_init() < 0 || count < 1 || count > UINT32_MAX || window < 1)
        return 2;
    if (cf_nkey_load(argv[2], &nkey) != CF_OK || cf_identity_load(argv[3], NULL, &id) != CF_OK) {
        fprintf(stderr, "cf_bench_flood: cannot load %s or %s\n", argv[2], argv[3]);
        return 1;
    }
    while (size < 2 * count)
        size <<= 1;
    g.mask = size - 1;
    g.slots = calloc(size, sizeof(*g.slots));
    g.index = calloc(size, sizeof(*g.index));
    g.acked = calloc(count, 1);
    g.parent = argv[8];
    wire = calloc(CHUNK, sizeof(*wire));
    memset(&c, 0, sizeof(c));
    c.id = id;
    c.federation = argv[4];
    c.origin = argv[5];
    c.pad = malloc(ENVELOPE_LEN + 1);
    if (!g.slots || !g.index || !g.acked || !wire || !c.pad)
        goto out;
    memset(c.pad, 'x', ENVELOPE_LEN);
    /* what the envelope adds to a body of about the size we send */
    {
        cf_buf w;
        cf_buf_init(&w);
        if (cf_envelope_seal(CF_MSG_INCIDENT, (const uint8_t *)c.pad, 400, id->sign_sk, &w) !=
            CF_OK) {
            cf_buf_clear(&w);
            goto out;
        }
        c.overhead = w.len - 400;
        cf_buf_clear(&w);
    }
    nc = connect_as(argv[1]);
    if (!nc || natsConnection_Subscribe(&sub, nc, argv[7], on_ack, NULL) != NATS_OK ||
        natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK)
        goto out;
    deadline = now_s() + DEADLINE_S;
    double t0 = now_s(), cpu0 = cpu_s();
    for (size_t base = 0; base < count; base += CHUNK) {
        size_t n = count - base < CHUNK ? count - base : CHUNK;
        for (size_t i = 0; i < n; i++) {
            cf_buf w;
            cf_buf_init(&w);
            if (next_incident(&c, &w) != CF_OK) {
                cf_buf_clear(&w);
                fputs("cf_bench_flood: cannot sign an incident\n", stderr);
                goto out;
            }
            bytes += w.len;
            id_add(c.head, (uint32_t)(base + i));
            wire[i] = cf_buf_steal(&w, NULL);
        }
        t0 = now_s();
        cpu0 = cpu_s();
        for (size_t i = 0; i < n; i++) {
            if (!wait_window(nc, argv[6], wire, base, base + i, window, deadline, &resent))
                goto timeout;
            if (natsConnection_Publish(nc, argv[6], wire[i], ENVELOPE_LEN) != NATS_OK) {
                fputs("cf_bench_flood: publish failed\n", stderr);
                goto out;
            }
        }
        if (!wait_window(nc, argv[6], wire, base, base + n, 1, deadline, &resent))
            goto timeout;
        busy += now_s() - t0;
        busy_cpu += cpu_s() - cpu0;
        for (size_t i = 0; i < n; i++) {
            free(wire[i]);
            wire[i] = NULL;
        }
    }
    rc = 0;
    t0 = now_s();
    cpu0 = cpu_s();
timeout:
    busy += now_s() - t0;
    busy_cpu += cpu_s() - cpu0;
    pthread_mutex_lock(&g.mu);
    printf("sent=%zu\nreceipts=%zu\nreceipt_envelopes=%llu\nresent=%llu\nforeign=%llu\n"
           "seconds=%.3f\nrate_per_s=%.0f\nenvelope_bytes=%.1f\ncpu_us_per_msg=%.1f\n",
           count, g.n_acked, (unsigned long long)g.receipts, (unsigned long long)resent,
           (unsigned long long)g.foreign, busy, busy > 0 ? (double)g.n_acked / busy : 0.0,
           (double)bytes / (double)count, busy_cpu * 1e6 / (double)count);
    if (g.n_acked != count) {
        fprintf(stderr, "cf_bench_flood: %zu of %zu messages without a receipt\n",
                count - g.n_acked, count);
        rc = 1;
    }
    pthread_mutex_unlock(&g.mu);
out:
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    for (size_t i = 0; wire && i < CHUNK; i++)
        free(wire[i]);
    free(wire);
    free(c.pad);
    free(g.slots);
    free(g.index);
    free(g.acked);
    cf_identity_free(id);
    cf_nkey_free(nkey);
    nats_Close();
    return rc;
}
