/*
 * events.c - the ring of stored-message events behind GET /api/events.
 * The loop stages a transaction's events without a lock and moves them into
 * the ring under the mutex when it commits; readers (libmicrohttpd's
 * connection threads) copy out under the mutex and wait on the condition.
 * The ring never grows: a reader that falls behind gets a reset.
 */
#include "node/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cf_events {
    /* loop thread only */
    cf_event stage[CF_EVENTS_STAGE];
    size_t n_stage;
    bool stage_overflow;
    /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cf_event ring[CF_EVENTS_RING]; /* event seq s is at ring[s % CF_EVENTS_RING] */
    uint64_t head;                 /* the newest seq (0: none) */
    bool shutdown;
};

cf_status
cf_events_new(cf_events **out)
{
    cf_events *e = calloc(1, sizeof(*e));
    pthread_condattr_t ca;

    if (!e)
        return CF_E_NOMEM;
    /* waits are measured on the monotonic clock: a wall clock set back
     * must not make a reader sleep for hours */
    if (pthread_condattr_init(&ca) != 0) {
        free(e);
        return CF_E_NOMEM;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&e->mu, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        free(e);
        return CF_E_NOMEM;
    }
    if (pthread_cond_init(&e->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&e->mu);
        free(e);
        return CF_E_NOMEM;
    }
    pthread_condattr_destroy(&ca);
    *out = e;
    return CF_OK;
}

void
cf_events_free(cf_events *e)
{
    if (!e)
        return;
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void
cf_events_stage(cf_events *e, const cf_event *ev)
{
    if (e->n_stage == CF_EVENTS_STAGE) {
        e->stage_overflow = true;
        return;
    }
    e->stage[e->n_stage++] = *ev;
}

/* Under mu: put one event at the head of the ring. */
static void
push(cf_events *e, const cf_event *ev)
{
    e->head++;
    cf_event *slot = &e->ring[e->head % CF_EVENTS_RING];
    *slot = *ev;
    slot->seq = e->head;
}

void
cf_events_commit(cf_events *e, bool committed)
{
    if (committed && (e->n_stage || e->stage_overflow)) {
        pthread_mutex_lock(&e->mu);
        /* too many for the stage: what was kept would mislead; say reload */
        if (e->stage_overflow) {
            cf_event reset;
            memset(&reset, 0, sizeof(reset));
            reset.kind = CF_EVENT_RESET;
            reset.number = -1;
            push(e, &reset);
        } else {
            for (size_t i = 0; i < e->n_stage; i++)
                push(e, &e->stage[i]);
        }
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
    }
    e->n_stage = 0;
    e->stage_overflow = false;
}

void
cf_events_shutdown(cf_events *e)
{
    pthread_mutex_lock(&e->mu);
    e->shutdown = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

uint64_t
cf_events_head(cf_events *e)
{
    pthread_mutex_lock(&e->mu);
    uint64_t h = e->head;
    pthread_mutex_unlock(&e->mu);
    return h;
}

cf_status
cf_events_read(cf_events *e, uint64_t *next, cf_event *out, size_t max, int timeout_ms,
               size_t *out_n)
{
    struct timespec until;
    size_t n = 0;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->mu);
    while (!e->shutdown && *next > e->head) {
        if (pthread_cond_timedwait(&e->cv, &e->mu, &until) == ETIMEDOUT)
            break;
    }
    if (e->shutdown) {
        pthread_mutex_unlock(&e->mu);
        *out_n = 0;
        return CF_E_UNREACHABLE;
    }
    /* the oldest event still in the ring */
    uint64_t oldest = e->head >= CF_EVENTS_RING ? e->head - CF_EVENTS_RING + 1 : 1;
    if (*next < oldest && max > 0) {
        memset(&out[0], 0, sizeof(out[0]));
        out[0].kind = CF_EVENT_RESET;
        out[0].seq = e->head;
        out[0].number = -1;
        n = 1;
        *next = e->head + 1;
    }
    while (n < max && *next <= e->head) {
        out[n++] = e->ring[*next % CF_EVENTS_RING];
        (*next)++;
    }
    pthread_mutex_unlock(&e->mu);
    *out_n = n;
    return CF_OK;
}

/* s as a JSON string (quoted, escaped) into out. */
static cf_status
json_str(cf_buf *out, const char *s)
{
    cf_status st = cf_buf_append(out, "\"", 1);

    for (const unsigned char *p = (const unsigned char *)s; st == CF_OK && *p; p++) {
        if (*p == '"' || *p == '\\')
            st = cf_buf_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            st = cf_buf_printf(out, "\\u%04x", *p);
        else
            st = cf_buf_append(out, p, 1);
    }
    return st == CF_OK ? cf_buf_append(out, "\"", 1) : st;
}

/* The name of the number an event carries, by type. */
static const char *
number_name(cf_msg_type t)
{
    switch (t) {
    case CF_MSG_INCIDENT:
        return "revision";
    case CF_MSG_DIRECTIVE:
        return "version";
    case CF_MSG_TASK_STATUS:
    case CF_MSG_ACK:
        return "state";
    case CF_MSG_TASKING:
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
    case CF_MSG_SEALED:
        break;
    }
    return NULL;
}

/* The name of the node an event names, by type. */
static const char *
node_name(cf_msg_type t)
{
    return t == CF_MSG_TASK_STATUS ? "assignee" : t == CF_MSG_ACK ? "node" : "origin";
}

cf_status
cf_event_format(const cf_event *ev, cf_buf *out)
{
    cf_status st;

    if (ev->kind == CF_EVENT_RESET)
        return cf_buf_printf(out,
                             "id: %llu\nevent: reset\ndata: {\"seq\":%llu,\"type\":\"reset\"}\n\n",
                             (unsigned long long)ev->seq, (unsigned long long)ev->seq);
    const char *type = cf_msg_type_name(ev->type);
    st = cf_buf_printf(out, "id: %llu\ndata: {\"seq\":%llu,\"type\":\"%s\",\"stored\":\"%s\"",
                       (unsigned long long)ev->seq, (unsigned long long)ev->seq,
                       type ? type : "unknown", ev->originated ? "originated" : "received");
    if (st == CF_OK && ev->truncated)
        st = cf_buf_append_str(out, ",\"truncated\":true");
    else if (st == CF_OK) {
        st = cf_buf_append_str(out, ",\"id\":");
        if (st == CF_OK)
            st = json_str(out, ev->id);
    }
    if (st == CF_OK && ev->node[0]) {
        st = cf_buf_printf(out, ",\"%s\":", node_name(ev->type));
        if (st == CF_OK)
            st = json_str(out, ev->node);
    }
    const char *num = number_name(ev->type);
    if (st == CF_OK && num && ev->number >= 0) {
        /* states are named as the CLI names them */
        const char *name = ev->type == CF_MSG_TASK_STATUS ? cf_name_task_state((int)ev->number)
                           : ev->type == CF_MSG_ACK       ? cf_name_ack_state((int)ev->number)
                                                          : NULL;
        if (name)
            st = cf_buf_printf(out, ",\"%s\":\"%s\"", num, name);
        else
            st = cf_buf_printf(out, ",\"%s\":%lld", num, (long long)ev->number);
    }
    return st == CF_OK ? cf_buf_append_str(out, "}\n\n") : st;
}
