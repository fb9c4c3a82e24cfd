/*
 * link.c - nats.c on the node's libuv loop (DESIGN.md section 10).
 *
 * The adapter's header defines functions, so it is included here only. The
 * first connect must happen on the loop thread (the adapter refuses a first
 * attach from another thread), so while the server is down at start the
 * link retries from a loop timer instead of nats.c's background retry; once
 * connected, nats.c reconnects by itself. The subscriptions are
 * synchronous: the adapter reads the socket on the loop thread, and a check
 * handle, which runs right after each poll, moves what nats.c parsed into a
 * bounded queue and hands it to the node. No delivery thread stands between
 * the socket and the node: a thread per subscription cost two thread
 * switches per message, and on a busy machine each waited for a core. When
 * the queue is full, the rest waits in nats.c's subscription, within its
 * pending limits. Nothing blocking runs on the loop thread: the flush before
 * closing runs on the libuv thread pool.
 */
#include "node/link.h"

#include <nats/adapters/libuv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBS 64
/* Messages taken from nats.c are destroyed in bunches (discard): at most
 * this many, or this many bytes, or after this long. */
#define TRASH_MAX 64
#define TRASH_BYTES (1u << 20)
#define TRASH_MS 1000

struct cf_link {
    uv_loop_t *loop;
    cf_link_options opt;
    char *url;
    char *name;
    cf_link_callbacks cb;
    void *ctx;
    natsOptions *nopts;
    natsConnection *nc;
    natsSubscription *subs[MAX_SUBS];
    char *subjects[MAX_SUBS];
    size_t n_subs;
    uv_async_t wake;
    uv_timer_t retry;
    uv_check_t drain;          /* after each poll: what nats.c read goes to the queue */
    size_t drain_first;        /* the subscription a drain begins with: each in turn */
    bool backlog;              /* a drain stopped at a full queue: nats.c holds more */
    natsMsg *held;             /* taken by that drain, with no room in the queue for it */
    natsMsg *trash[TRASH_MAX]; /* copied into the queue, to destroy (discard) */
    size_t n_trash, trash_bytes;
    uv_timer_t sweep;         /* destroys the trash TRASH_MS after its first message */
    cf_link_msg *head, *tail; /* the queue (the loop thread's alone) */
    size_t queued, queued_bytes;
    /* under mu: what nats.c's threads report */
    uv_mutex_t mu;
    int state_changes; /* connection events not yet seen by the loop */
    bool nats_closed;  /* nats.c's closed callback ran: no more callbacks */
    atomic_bool connected;
    atomic_bool zero_sig; /* the last nonce signature began with a zero byte */
    /* closing */
    uv_work_t flush;
    void (*done)(void *);
    void *done_ctx;
    bool closing;
    int handles_open;
#ifdef CF_UNSAFE_NO_DURABILITY
    natsConnection *side; /* see cf_link_publish_at_once */
#endif
};

static natsStatus
sign_nonce(char **err_txt, unsigned char **sig, int *sig_len, const char *nonce, void *arg)
{
    cf_link *l = arg;

    /* a server without nkey users sends no nonce (nats.c still asks us to
     * sign): the transport permissions the node relies on are not there,
     * so the link refuses it with a reason instead of signing nothing */
    if (!nonce) {
        *err_txt = strdup("the server sent no nonce to sign: it does not check nkeys "
                          "(use the nats-server configuration made by certfed bootstrap)");
        return NATS_ERR;
    }
    *sig = malloc(CF_SIG_LEN);
    if (!*sig)
        return NATS_NO_MEMORY;
    cf_nkey_sign(l->opt.transport, (const uint8_t *)nonce, strlen(nonce), *sig);
    *sig_len = CF_SIG_LEN;
    atomic_store(&l->zero_sig, (*sig)[0] == 0);
    return NATS_OK;
}

/*
 * nats.c 3.4.1 (Debian 12) sends no signature at all when its first byte is
 * zero, so the server refuses one login in 256 with a good key. Connect
 * again at once in that case only: a new connection signs a new nonce.
 */
static natsStatus
connect_signed(cf_link *l, natsConnection **nc, natsOptions *o)
{
    natsStatus s;

    for (int attempt = 1;; attempt++) {
        atomic_store(&l->zero_sig, false);
        s = natsConnection_Connect(nc, o);
        if (s == NATS_OK || !atomic_load(&l->zero_sig) || attempt == 4)
            return s;
    }
}

/* Loop thread: destroy what was copied into the queue. */
static void
empty_trash(cf_link *l)
{
    for (size_t i = 0; i < l->n_trash; i++)
        natsMsg_Destroy(l->trash[i]);
    l->n_trash = 0;
    l->trash_bytes = 0;
    uv_timer_stop(&l->sweep);
}

static void
on_sweep(uv_timer_t *t)
{
    empty_trash(t->data);
}

/*
 * Loop thread: msg was copied into the queue. nats.c hands a destroyed
 * message to its collector thread, and wakes that thread when its list was
 * empty: a thread switch for each message when they come one at a time (a
 * directive at each of 50 nodes, on two cores). Destroyed in bunches, they
 * cost one switch a bunch.
 */
static void
discard(cf_link *l, natsMsg *msg)
{
    int len = natsMsg_GetDataLength(msg);

    l->trash[l->n_trash++] = msg;
    l->trash_bytes += len > 0 ? (size_t)len : 0;
    if (l->n_trash == TRASH_MAX || l->trash_bytes >= TRASH_BYTES)
        empty_trash(l);
    else if (!uv_is_active((uv_handle_t *)&l->sweep))
        uv_timer_start(&l->sweep, on_sweep, TRASH_MS, 0);
}

/* Loop thread: queue a message for the node, if the queue has room. */
static bool
queue_msg(cf_link *l, natsMsg *msg)
{
    int len = natsMsg_GetDataLength(msg);
    const char *subject = natsMsg_GetSubject(msg);
    size_t slen = strlen(subject);
    cf_link_msg *m;

    if (len < 0 || l->queued >= l->opt.max_queue ||
        l->queued_bytes + (size_t)len > l->opt.max_queue_bytes)
        return false;
    m = malloc(sizeof(*m) + (size_t)len + slen + 1);
    if (!m)
        return false;
    m->next = NULL;
    m->len = (size_t)len;
    memcpy(m->data, natsMsg_GetData(msg), (size_t)len);
    m->subject = (char *)m->data + len;
    memcpy(m->subject, subject, slen + 1);
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
    l->queued++;
    l->queued_bytes += (size_t)len;
    return true;
}

/*
 * Loop thread: move what nats.c holds for the subscriptions into the queue,
 * one message from each subscription in turn (a flood on one does not keep
 * the others waiting), until they are empty or the queue is full. A message
 * is taken only when nats.c says one is pending: a take from an empty
 * subscription costs nats.c an error record. True if any was queued.
 */
static bool
drain_subs(cf_link *l)
{
    bool any = false, more = true;

    if (l->closing || l->done)
        return false;
    l->backlog = false;
    if (l->held) { /* taken from nats.c before, and no room for it then */
        if (!queue_msg(l, l->held)) {
            l->backlog = true;
            return false;
        }
        discard(l, l->held);
        l->held = NULL;
        any = true;
    }
    while (more) {
        more = false;
        for (size_t k = 0; k < l->n_subs; k++) {
            size_t i = (l->drain_first + k) % l->n_subs;
            natsMsg *msg = NULL;
            int pending = 0;
            if (!l->subs[i] || natsSubscription_GetPending(l->subs[i], &pending, NULL) != NATS_OK ||
                pending <= 0)
                continue;
            natsStatus s = natsSubscription_NextMsg(&msg, l->subs[i], 0);
            if (s == NATS_SLOW_CONSUMER) /* said once after nats.c dropped (cf_link_dropped) */
                s = natsSubscription_NextMsg(&msg, l->subs[i], 0);
            if (s != NATS_OK)
                continue;
            if (!queue_msg(l, msg)) {
                /* no room: it waits here, the rest in nats.c */
                l->held = msg;
                l->backlog = true;
                return any;
            }
            discard(l, msg);
            any = more = true;
        }
    }
    if (l->n_subs)
        l->drain_first = (l->drain_first + 1) % l->n_subs;
    return any;
}

static void
state_changed(cf_link *l, bool up)
{
    atomic_store(&l->connected, up);
    uv_mutex_lock(&l->mu);
    l->state_changes++;
    uv_async_send(&l->wake);
    uv_mutex_unlock(&l->mu);
}

/* nats.c thread: the last connection callback nats.c makes. */
static void
on_closed(natsConnection *nc, void *arg)
{
    cf_link *l = arg;

    (void)nc;
    atomic_store(&l->connected, false);
    uv_mutex_lock(&l->mu);
    l->nats_closed = true;
    uv_async_send(&l->wake);
    uv_mutex_unlock(&l->mu);
}

static void finish_close(cf_link *l);
static void send_now(cf_link *l);

static void
on_disconnected(natsConnection *nc, void *arg)
{
    (void)nc;
    state_changed(arg, false);
}

static void
on_reconnected(natsConnection *nc, void *arg)
{
    (void)nc;
    state_changed(arg, true);
}

/* Loop thread: connection events, and the node's turn at what is queued. */
static void
on_wake(uv_async_t *h)
{
    cf_link *l = h->data;
    int changes;

    uv_mutex_lock(&l->mu);
    changes = l->state_changes;
    l->state_changes = 0;
    /* free only when nats.c will call us no more: the connection closed */
    bool closed = l->nats_closed;
    uv_mutex_unlock(&l->mu);
    if (l->done || l->closing) {
        if (closed)
            finish_close(l);
        return;
    }
    if (changes && l->cb.on_state)
        l->cb.on_state(l->ctx, atomic_load(&l->connected));
    drain_subs(l);
    if (l->head && l->cb.on_messages)
        l->cb.on_messages(l->ctx);
    send_now(l);
}

/*
 * Loop thread: send what this loop turn published. nats.c would ask the
 * adapter to watch the socket for room, the loop would poll again to hear
 * that there is, and only then write, and stop watching: for a receipt
 * published alone, two epoll_ctl and one more poll. The socket nearly
 * always has room, and a write that finds none sends nothing and leaves
 * the watch on (nats.c's own write event does exactly this).
 */
static void
send_now(cf_link *l)
{
    if (l->nc && !l->closing && !l->done && natsConnection_Buffered(l->nc) > 0 &&
        natsConnection_Status(l->nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_ProcessWriteEvent(l->nc);
}

/* Loop thread, right after each poll: what the adapter read goes to the
 * node, and what the node (or anything else this turn) published goes out. */
static void
on_check(uv_check_t *h)
{
    cf_link *l = h->data;

    if (drain_subs(l) && l->cb.on_messages)
        l->cb.on_messages(l->ctx);
    send_now(l);
}

cf_status
cf_link_new(uv_loop_t *loop, const cf_link_options *opt, const cf_link_callbacks *cb, void *ctx,
            cf_link **out)
{
    static uv_once_t once = UV_ONCE_INIT;
    cf_link *l = calloc(1, sizeof(*l));
    natsStatus s;

    if (!l)
        return CF_E_NOMEM;
    uv_once(&once, natsLibuv_Init);
    natsLibuv_SetThreadLocalLoop(loop);
    l->loop = loop;
    l->opt = *opt;
    l->url = strdup(opt->url);
    l->name = strdup(opt->name);
    l->cb = *cb;
    l->ctx = ctx;
    if (!l->url || !l->name || uv_mutex_init(&l->mu) != 0) {
        free(l->url);
        free(l->name);
        free(l);
        return CF_E_NOMEM;
    }
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    cf_nkey_public_encode(opt->transport->pk, pub);
    s = natsOptions_Create(&l->nopts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(l->nopts, l->url);
    if (s == NATS_OK)
        s = natsOptions_SetName(l->nopts, l->name);
    if (s == NATS_OK)
        s = natsOptions_SetNKey(l->nopts, pub, sign_nonce, l);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(l->nopts, loop, natsLibuv_Attach, natsLibuv_Read,
                                     natsLibuv_Write, natsLibuv_Detach);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(l->nopts, -1); /* never give up */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(l->nopts, 500);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectJitter(l->nopts, 500, 500);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(l->nopts, 2000);
    /* acks and answers matter more than batching a few microseconds */
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(l->nopts, true);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(l->nopts, on_disconnected, l);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(l->nopts, on_reconnected, l);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(l->nopts, on_closed, l);
    /* the async handle is the one that can fail (it needs an eventfd); once
     * a handle is in the loop, the link can only be freed through uv_close:
     * so it comes first, and the others, which libuv never fails, after it */
    if (s != NATS_OK || uv_async_init(loop, &l->wake, on_wake) != 0) {
        natsOptions_Destroy(l->nopts);
        uv_mutex_destroy(&l->mu);
        free(l->url);
        free(l->name);
        free(l);
        return CF_E_NOMEM;
    }
    uv_timer_init(loop, &l->retry);
    uv_timer_init(loop, &l->sweep);
    uv_check_init(loop, &l->drain);
    uv_check_start(&l->drain, on_check);
    l->wake.data = l;
    l->retry.data = l;
    l->drain.data = l;
    l->sweep.data = l;
    l->handles_open = 4;
    *out = l;
    return CF_OK;
}

cf_status
cf_link_subscribe(cf_link *l, const char *subject)
{
    if (l->n_subs == MAX_SUBS)
        return CF_E_LIMIT;
    if (!(l->subjects[l->n_subs] = strdup(subject)))
        return CF_E_NOMEM;
    l->n_subs++;
    return CF_OK;
}

static natsStatus
try_connect(cf_link *l)
{
    natsStatus s = connect_signed(l, &l->nc, l->nopts);

    for (size_t i = 0; s == NATS_OK && i < l->n_subs; i++) {
        s = natsConnection_SubscribeSync(&l->subs[i], l->nc, l->subjects[i]);
        /* nats.c holds what our queue has no room for yet, within bounds;
         * past them it drops (cf_link_dropped), and the senders send again */
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(
                l->subs[i], l->opt.pending_msgs > 0 ? l->opt.pending_msgs : 100000,
                64 * 1024 * 1024);
    }
    if (s != NATS_OK && l->nc) {
        for (size_t i = 0; i < l->n_subs; i++) {
            natsSubscription_Destroy(l->subs[i]);
            l->subs[i] = NULL;
        }
        natsConnection_Destroy(l->nc);
        l->nc = NULL;
    }
    return s;
}

static void
on_retry(uv_timer_t *t)
{
    cf_link *l = t->data;

    if (l->closing) {
        /* nats.c never reported the close done: do not hang the stop */
        finish_close(l);
        return;
    }
    if (try_connect(l) == NATS_OK) {
        uv_timer_stop(&l->retry);
        state_changed(l, true);
    }
}

cf_status
cf_link_start(cf_link *l, bool retry, char *err, size_t errlen)
{
    natsStatus s = try_connect(l);

    err[0] = 0;
    if (s == NATS_OK) {
        state_changed(l, true);
        return CF_OK;
    }
    /* nats.c's own words when it has them (they carry ours from sign_nonce),
     * without the "(file.c:line): " they begin with */
    const char *why = nats_GetLastError(NULL), *at = why ? strstr(why, "): ") : NULL;
    if (why && why[0] == '(' && at)
        why = at + 3;
    snprintf(err, errlen, "%s: %s", l->url, why && *why ? why : natsStatus_GetText(s));
    if (!retry)
        return CF_E_UNREACHABLE;
    uv_timer_start(&l->retry, on_retry, (uint64_t)l->opt.retry_ms, (uint64_t)l->opt.retry_ms);
    return CF_OK;
}

bool
cf_link_connected(const cf_link *l)
{
    return atomic_load(&((cf_link *)l)->connected);
}

const char *
cf_link_url(const cf_link *l)
{
    return l->url;
}

cf_status
cf_link_publish(cf_link *l, const char *subject, const uint8_t *data, size_t len)
{
    natsStatus s;

    if (!l->nc || !cf_link_connected(l))
        return CF_E_UNREACHABLE;
    s = natsConnection_Publish(l->nc, subject, data, (int)len);
    if (s == NATS_OK)
        return CF_OK;
    return s == NATS_CONNECTION_CLOSED || s == NATS_CONNECTION_DISCONNECTED ? CF_E_UNREACHABLE
                                                                            : CF_E_IO;
}

#ifdef CF_UNSAFE_NO_DURABILITY
/*
 * The fault tests' control build only: publish on a second connection that
 * runs on nats.c's own threads and flush, so the bytes leave while the loop
 * is blocked (the libuv connection writes only when the loop runs).
 */
cf_status
cf_link_publish_at_once(cf_link *l, const char *subject, const uint8_t *data, size_t len)
{
    natsStatus s = NATS_OK;

    if (!l->side) {
        natsOptions *o = NULL;
        char pub[CF_NKEY_PUBLIC_LEN + 1];
        cf_nkey_public_encode(l->opt.transport->pk, pub);
        s = natsOptions_Create(&o);
        if (s == NATS_OK)
            s = natsOptions_SetURL(o, l->url);
        if (s == NATS_OK)
            s = natsOptions_SetNKey(o, pub, sign_nonce, l);
        if (s == NATS_OK)
            s = connect_signed(l, &l->side, o);
        natsOptions_Destroy(o);
    }
    if (s == NATS_OK)
        s = natsConnection_Publish(l->side, subject, data, (int)len);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(l->side, 1000);
    return s == NATS_OK ? CF_OK : CF_E_UNREACHABLE;
}
#endif

cf_link_msg *
cf_link_take(cf_link *l, size_t max)
{
    cf_link_msg *first, *last = NULL, *m;
    size_t n = 0;

    first = l->head;
    for (m = l->head; m && n < max; m = m->next) {
        last = m;
        n++;
        l->queued_bytes -= m->len;
    }
    l->head = m;
    if (!m)
        l->tail = NULL;
    l->queued -= n;
    if (last)
        last->next = NULL;
    /* what is left waits for the next loop turn, so timers and the control
     * socket get their turn between batches; so does what nats.c holds
     * because the queue was full */
    if (l->head || l->backlog)
        uv_async_send(&l->wake);
    return n ? first : NULL;
}

uint64_t
cf_link_dropped(const cf_link *l)
{
    uint64_t n = 0;

    for (size_t i = 0; i < l->n_subs; i++) {
        int64_t d = 0;
        if (l->subs[i] && natsSubscription_GetDropped(l->subs[i], &d) == NATS_OK && d > 0)
            n += (uint64_t)d;
    }
    return n;
}

/* ---- closing ------------------------------------------------------------ */

static void
handle_closed(uv_handle_t *h)
{
    cf_link *l = h->data;

    if (--l->handles_open > 0)
        return;
    cf_link_msg *m = cf_link_take(l, SIZE_MAX);
    while (m) {
        cf_link_msg *next = m->next;
        free(m);
        m = next;
    }
    for (size_t i = 0; i < l->n_subs; i++)
        free(l->subjects[i]);
    uv_mutex_destroy(&l->mu);
    void (*done)(void *) = l->done;
    void *ctx = l->done_ctx;
    free(l->url);
    free(l->name);
    free(l);
    if (done)
        done(ctx);
}

static void
flush_work(uv_work_t *w)
{
    cf_link *l = w->data;

    /* a blocking call: allowed here, on the thread pool, never on the loop */
    if (l->nc && cf_link_connected(l))
        natsConnection_FlushTimeout(l->nc, 3000);
}

/* Loop thread, once nats.c will call us no more: free everything. */
static void
finish_close(cf_link *l)
{
    if (l->handles_open != 4 || uv_is_closing((uv_handle_t *)&l->wake))
        return;
    natsMsg_Destroy(l->held);
    l->held = NULL;
    empty_trash(l);
    for (size_t i = 0; i < l->n_subs; i++) {
        natsSubscription_Destroy(l->subs[i]);
        l->subs[i] = NULL; /* cf_link_dropped may still be asked */
    }
    natsConnection_Destroy(l->nc);
    l->nc = NULL;
#ifdef CF_UNSAFE_NO_DURABILITY
    natsConnection_Destroy(l->side);
    l->side = NULL;
#endif
    natsOptions_Destroy(l->nopts);
    uv_timer_stop(&l->retry);
    uv_close((uv_handle_t *)&l->retry, handle_closed);
    uv_close((uv_handle_t *)&l->wake, handle_closed);
    uv_close((uv_handle_t *)&l->drain, handle_closed);
    uv_close((uv_handle_t *)&l->sweep, handle_closed);
}

static void
flush_done(uv_work_t *w, int status)
{
    cf_link *l = w->data;

    (void)status;
    l->closing = true;
    /* unsubscribe (nothing is drained any more: closing); the
     * subscriptions are destroyed in finish_close */
    for (size_t i = 0; i < l->n_subs; i++)
        if (l->subs[i])
            natsSubscription_Unsubscribe(l->subs[i]);
    if (l->nc) {
        natsConnection_Close(l->nc); /* on_closed wakes us to finish */
        uv_timer_stop(&l->retry);
        uv_timer_start(&l->retry, on_retry, 10000, 0); /* but never wait forever */
    } else {
        finish_close(l);
    }
}

void
cf_link_close(cf_link *l, void (*done)(void *ctx), void *ctx)
{
    l->done = done;
    l->done_ctx = ctx;
    l->flush.data = l;
    if (uv_queue_work(l->loop, &l->flush, flush_work, flush_done) != 0)
        flush_done(&l->flush, 0);
}

void
cf_link_shutdown(void)
{
    nats_Close();
}
