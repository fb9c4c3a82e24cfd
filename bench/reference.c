/*
 * reference.c - cf_bench_ref: the yardsticks bench/run measures certfed
 * against, on this machine and in the same run. Nothing here is certfed
 * code: libsodium, LMDB and nats.c used plainly, so that each figure is
 * the floor of the work, not a competitor to tune.
 *
 * cf_bench_ref verify SECONDS
 *     Ed25519 verifications of 512-byte messages a second, one thread, per
 *     second of wall time and per second of the thread's CPU time.
 * cf_bench_ref jetstream URL COUNT WINDOW
 *     COUNT 512-byte messages into a JetStream file stream: one at a time
 *     (js_Publish waits for each ack), then with up to WINDOW acks pending.
 * cf_bench_ref rtt URL COUNT
 *     COUNT request/reply round trips between two connections (SendAsap).
 * cf_bench_ref fanout URL RESPONDERS COUNT DIR
 *     RESPONDERS processes each verify a signed 512-byte message, commit it
 *     with one durable LMDB put (DIR/r<i>) and reply with a signed ack; the
 *     sender verifies the acks and commits them (one transaction per batch
 *     of acks it has in hand). COUNT rounds, one at a time. Also prints
 *     the CPU milliseconds a round cost, sender and responders together.
 *
 * Prints "name=value" lines; exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <lmdb.h>
#include <nats/nats.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 512

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds this thread has used: a rate per CPU second does not depend
 * on what else the machine runs */
static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) process pid has used so far, all its
 * threads: 0 if it cannot be read */
static double
proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long utime = 0, stime = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* the fields after the command, which is in parentheses and may hold
     * spaces: state is the 3rd field, utime the 14th and stime the 15th */
    const char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of this process and its n children */
static double
tree_cpu_s(const pid_t *children, int n)
{
    double sum = proc_cpu_s(getpid());

    for (int i = 0; i < n; i++)
        sum += proc_cpu_s(children[i]);
    return sum;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p (0..100) of n sorted values. */
static double
percentile(const double *v, size_t n, double p)
{
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);

    return v[rank ? rank - 1 : 0];
}

static void
print_latencies(const char *prefix, double *ms, size_t n)
{
    qsort(ms, n, sizeof(*ms), cmp_double);
    printf("%s_p50_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n", prefix, percentile(ms, n, 50),
           prefix, percentile(ms, n, 99), prefix, ms[n - 1]);
}

static int
verify_rate(double seconds)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t msg[MSG_LEN], sig[crypto_sign_BYTES];
    unsigned long long done = 0;
    double start, end, cpu0;

    crypto_sign_keypair(pk, sk);
    randombytes_buf(msg, sizeof(msg));
    crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
    cpu0 = cpu_s();
    start = now_s();
    end = start + seconds;
    do {
        for (int i = 0; i < 1000; i++)
            if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
                return 1;
        done += 1000;
    } while (now_s() < end);
    printf("verify_per_s=%.0f\nverify_per_cpu_s=%.0f\n", (double)done / (now_s() - start),
           (double)done / (cpu_s() - cpu0));
    return 0;
}

static natsConnection *
connect_to(const char *url, bool asap)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsStatus s = natsOptions_Create(&o);

    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(o, asap);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK)
        fprintf(stderr, "cf_bench_ref: connect %s: %s\n", url, natsStatus_GetText(s));
    return s == NATS_OK ? nc : NULL;
}

static int
jetstream(const char *url, int count, int window)
{
    natsConnection *nc = connect_to(url, false);
    jsCtx *js = NULL;
    jsOptions jo;
    jsStreamConfig sc;
    jsErrCode jerr = 0;
    const char *subjects[] = {"bench.sync", "bench.async"};
    uint8_t msg[MSG_LEN];
    natsStatus s;
    double t0;
    int rc = 1;

    if (!nc)
        return 1;
    randombytes_buf(msg, sizeof(msg));
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = window;
    s = natsConnection_JetStream(&js, nc, &jo);
    jsStreamConfig_Init(&sc);
    sc.Name = "BENCH";
    sc.Subjects = subjects;
    sc.SubjectsLen = 2;
    sc.Storage = js_FileStorage;
    if (s == NATS_OK)
        s = js_AddStream(NULL, js, &sc, NULL, &jerr);
    t0 = now_s();
    for (int i = 0; s == NATS_OK && i < count; i++)
        s = js_Publish(NULL, js, "bench.sync", msg, MSG_LEN, NULL, &jerr);
    if (s == NATS_OK)
        printf("js_sync_per_s=%.0f\n", count / (now_s() - t0));
    t0 = now_s();
    for (int i = 0; s == NATS_OK && i < count; i++)
        s = js_PublishAsync(js, "bench.async", msg, MSG_LEN, NULL);
    if (s == NATS_OK)
        s = js_PublishAsyncComplete(js, NULL);
    if (s == NATS_OK) {
        printf("js_async_per_s=%.0f\n", count / (now_s() - t0));
        rc = 0;
    } else {
        fprintf(stderr, "cf_bench_ref: jetstream: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}

static void
echo(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
    (void)sub;
    (void)arg;
    if (natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m),
                               natsMsg_GetDataLength(m)) != NATS_OK)
        fputs("cf_bench_ref: echo failed\n", stderr);
    natsMsg_Destroy(m);
}

static int
rtt(const char *url, int count)
{
    natsConnection *a = connect_to(url, true), *b = connect_to(url, true);
    natsSubscription *sub = NULL;
    double *ms = calloc((size_t)count, sizeof(*ms));
    uint8_t msg[64] = {0};
    natsStatus s = a && b && ms ? NATS_OK : NATS_ERR;
    int rc = 1;

    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, b, "bench.rtt", echo, NULL);
    if (s == NATS_OK)
        s = natsConnection_Flush(b);
    for (int i = 0; s == NATS_OK && i < count; i++) {
        natsMsg *reply = NULL;
        double t0 = now_s();
        s = natsConnection_Request(&reply, a, "bench.rtt", msg, sizeof(msg), 5000);
        ms[i] = (now_s() - t0) * 1000.0;
        natsMsg_Destroy(reply);
    }
    if (s == NATS_OK) {
        print_latencies("rtt", ms, (size_t)count);
        rc = 0;
    } else {
        fprintf(stderr, "cf_bench_ref: rtt: %s\n", natsStatus_GetText(s));
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(a);
    natsConnection_Destroy(b);
    free(ms);
    return rc;
}

/* ---- the reference fan-out ------------------------------------------------------ */

/* A message: seq (8 bytes) || payload, signed; an ack: seq (8) || responder (4), signed. */
#define ACK_LEN 12

static MDB_env *
open_env(const char *path)
{
    MDB_env *env = NULL;

    mkdir(path, 0700);
    if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, 64u << 20) != 0 ||
        mdb_env_open(env, path, 0, 0600) != 0) {
        fprintf(stderr, "cf_bench_ref: cannot open LMDB at %s\n", path);
        exit(1);
    }
    return env;
}

/* One durable put in its own transaction when commit is set, else in *txn. */
static bool
put(MDB_env *env, MDB_txn **txn, const void *key, size_t klen, const void *val, size_t vlen)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

    if (!*txn && mdb_txn_begin(env, NULL, 0, txn) != 0)
        return false;
    return mdb_dbi_open(*txn, NULL, 0, &dbi) == 0 && mdb_put(*txn, dbi, &k, &v, 0) == 0;
}

static void
responder(const char *url, int idx, const uint8_t *sender_pk, const uint8_t *sk, const char *dir)
{
    char path[4096];
    natsConnection *nc;
    natsSubscription *sub = NULL;
    MDB_env *env;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    snprintf(path, sizeof(path), "%s/r%d", dir, idx);
    env = open_env(path);
    nc = connect_to(url, true);
    if (!nc || natsConnection_SubscribeSync(&sub, nc, "ref.fan") != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK)
        exit(1);
    /* subscribed: say so until the sender has heard it */
    for (natsMsg *r = NULL;; r = NULL) {
        natsStatus s = natsConnection_Request(&r, nc, "ref.ready", &idx, sizeof(idx), 500);
        natsMsg_Destroy(r);
        if (s == NATS_OK)
            break;
        if (s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS)
            exit(1);
        usleep(100000);
    }
    for (;;) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, 600000) != NATS_OK)
            exit(1);
        const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
        int len = natsMsg_GetDataLength(m);
        if (len == 0)
            break; /* the end */
        if (len != MSG_LEN + crypto_sign_BYTES ||
            crypto_sign_verify_detached(d + MSG_LEN, d, MSG_LEN, sender_pk) != 0)
            exit(1);
        MDB_txn *txn = NULL;
        if (!put(env, &txn, d, 8, d, MSG_LEN) || mdb_txn_commit(txn) != 0)
            exit(1);
        uint8_t ack[ACK_LEN + crypto_sign_BYTES];
        memcpy(ack, d, 8);
        memcpy(ack + 8, &idx, 4);
        crypto_sign_detached(ack + ACK_LEN, NULL, ack, ACK_LEN, sk);
        if (natsConnection_Publish(nc, natsMsg_GetReply(m), ack, sizeof(ack)) != NATS_OK)
            exit(1);
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    mdb_env_close(env);
    exit(0);
}

static int
fanout(const char *url, int nresp, int count, const char *dir)
{
    uint8_t spk[crypto_sign_PUBLICKEYBYTES], ssk[crypto_sign_SECRETKEYBYTES];
    uint8_t(*pks)[crypto_sign_PUBLICKEYBYTES] = calloc((size_t)nresp, sizeof(*pks));
    uint8_t(*sks)[crypto_sign_SECRETKEYBYTES] = calloc((size_t)nresp, sizeof(*sks));
    double *ms = calloc((size_t)count, sizeof(*ms));
    pid_t *pids = calloc((size_t)nresp, sizeof(*pids));
    natsConnection *nc = NULL;
    natsSubscription *ready = NULL, *acks = NULL;
    natsStatus s = NATS_ERR;
    MDB_env *env;
    char path[4096];
    int rc = 1, started = 0;

    if (!pks || !sks || !ms || !pids)
        return 1;
    crypto_sign_keypair(spk, ssk);
    for (int i = 0; i < nresp; i++)
        crypto_sign_keypair(pks[i], sks[i]);
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/sender", dir);
    env = open_env(path);
    /* the responders first: nats.c's threads must not be forked */
    fflush(NULL);
    for (; started < nresp; started++) {
        pids[started] = fork();
        if (pids[started] < 0)
            goto out;
        if (pids[started] == 0)
            responder(url, started, spk, sks[started], dir);
    }
    nc = connect_to(url, true);
    if (!nc || natsConnection_SubscribeSync(&ready, nc, "ref.ready") != NATS_OK ||
        natsConnection_SubscribeSync(&acks, nc, "ref.ack") != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK)
        goto out;
    /* every responder subscribed (each asks until it is answered) */
    char *heard = calloc((size_t)nresp, 1);
    for (int n_heard = 0; heard && n_heard < nresp;) {
        natsMsg *m = NULL;
        int idx = -1;
        if (natsSubscription_NextMsg(&m, ready, 30000) != NATS_OK)
            break;
        if (natsMsg_GetDataLength(m) == sizeof(idx))
            memcpy(&idx, natsMsg_GetData(m), sizeof(idx));
        if (idx >= 0 && idx < nresp && !heard[idx]) {
            heard[idx] = 1;
            n_heard++;
        }
        /* a lost answer: the responder asks again */
        natsStatus ps = natsConnection_Publish(nc, natsMsg_GetReply(m), NULL, 0);
        (void)ps;
        natsMsg_Destroy(m);
        if (n_heard == nresp)
            s = NATS_OK;
    }
    free(heard);
    if (s != NATS_OK || natsConnection_Flush(nc) != NATS_OK)
        goto out;
    double cpu0 = tree_cpu_s(pids, nresp);
    for (int r = 0; s == NATS_OK && r < count; r++) {
        uint8_t msg[MSG_LEN + crypto_sign_BYTES];
        uint64_t seq = (uint64_t)r + 1;
        int got = 0;
        double t0 = now_s();
        randombytes_buf(msg, MSG_LEN);
        memcpy(msg, &seq, 8);
        crypto_sign_detached(msg + MSG_LEN, NULL, msg, MSG_LEN, ssk);
        s = natsConnection_PublishRequest(nc, "ref.fan", "ref.ack", msg, sizeof(msg));
        MDB_txn *txn = NULL;
        while (s == NATS_OK && got < nresp) {
            natsMsg *m = NULL;
            int pending = 0;
            s = natsSubscription_NextMsg(&m, acks, 10000);
            if (s != NATS_OK)
                break;
            const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
            int idx;
            memcpy(&idx, d + 8, 4);
            if (natsMsg_GetDataLength(m) != ACK_LEN + crypto_sign_BYTES || idx < 0 ||
                idx >= nresp || memcmp(d, &seq, 8) != 0 ||
                crypto_sign_verify_detached(d + ACK_LEN, d, ACK_LEN, pks[idx]) != 0) {
                s = NATS_ERR;
            } else {
                uint8_t key[12];
                memcpy(key, d, ACK_LEN);
                if (!put(env, &txn, key, sizeof(key), d, ACK_LEN + crypto_sign_BYTES))
                    s = NATS_ERR;
                got++;
            }
            natsMsg_Destroy(m);
            /* commit what is in hand: one transaction per batch of acks */
            if (s == NATS_OK)
                s = natsSubscription_GetPending(acks, &pending, NULL);
            if (s == NATS_OK && (pending == 0 || got == nresp)) {
                if (mdb_txn_commit(txn) != 0)
                    s = NATS_ERR;
                txn = NULL;
            }
        }
        if (txn)
            mdb_txn_abort(txn);
        ms[r] = (now_s() - t0) * 1000.0;
    }
    if (s == NATS_OK) {
        print_latencies("ref_fanout", ms, (size_t)count);
        /* the responders are still up: what they and the sender used for
         * the rounds, not for starting */
        printf("ref_fanout_cpu_ms=%.2f\n", (tree_cpu_s(pids, nresp) - cpu0) * 1000.0 / count);
        rc = 0;
    } else {
        fprintf(stderr, "cf_bench_ref: fanout: %s\n", natsStatus_GetText(s));
    }
out:
    if (nc) {
        if (natsConnection_Publish(nc, "ref.fan", NULL, 0) != NATS_OK ||
            natsConnection_Flush(nc) != NATS_OK)
            fputs("cf_bench_ref: could not tell the responders to stop\n", stderr);
    }
    for (int i = 0; i < started; i++) {
        int wst = 0;
        if (rc != 0)
            kill(pids[i], SIGKILL);
        waitpid(pids[i], &wst, 0);
    }
    natsSubscription_Destroy(ready);
    natsSubscription_Destroy(acks);
    natsConnection_Destroy(nc);
    mdb_env_close(env);
    free(pks);
    free(sks);
    free(ms);
    free(pids);
    return rc;
}

int
main(int argc, char **argv)
{
    int rc = 2;

    if (sodium_init() < 0)
        return 1;
    if (argc == 3 && strcmp(argv[1], "verify") == 0)
        rc = verify_rate(atof(argv[2]));
    else if (argc == 5 && strcmp(argv[1], "jetstream") == 0)
        rc = jetstream(argv[2], atoi(argv[3]), atoi(argv[4]));
    else if (argc == 4 && strcmp(argv[1], "rtt") == 0)
        rc = rtt(argv[2], atoi(argv[3]));
    else if (argc == 6 && strcmp(argv[1], "fanout") == 0)
        rc = fanout(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
    else
        fputs("usage: see the comment at the top of bench/reference.c\n", stderr);
    nats_Close();
    return rc;
}
