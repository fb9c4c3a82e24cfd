/*
 * http.c - the HTTP API's server (node/http.h): libmicrohttpd with a thread
 * per connection beside the libuv loop. A connection's thread checks the
 * token, reads the body (at most [http] max_body), routes the request
 * (http_route.c) and, for a command or the metrics, queues a job and waits
 * on a condition variable; the loop takes the queue on a uv_async_t, answers
 * each job with cf_node_handle (or cf_metrics_render) and wakes it. Only the
 * queue, the jobs' states and the counters are shared, under a mutex or
 * atomic; nothing of the node is touched off the loop thread.
 *
 * A job the loop has not taken within WAIT_QUEUED_MS is withdrawn and
 * answered 503: it never runs, so a client that was told it failed changed
 * nothing. A job taken runs to its end before it is answered.
 */
#include "node/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECTIONS_MAX 64      /* at once; libmicrohttpd refuses more */
#define CONNECTION_TIMEOUT_S 60 /* an idle connection is closed */
#define EVENT_CLIENTS_MAX 16    /* event streams at once; more get 503 */
#define KEEPALIVE_MS 15000      /* an idle event stream gets a comment this often */
#define WAIT_QUEUED_MS 30000    /* see the top of the file */
#define HELD_RETRY_MS 100       /* writes held while the node starts are tried this often */
#define TOKEN_MIN 16            /* characters of a bearer token */
#define LOG_PER_SECOND 20       /* refusals logged a second; the rest are counted */

/* The statuses counted one by one; others count as "other". */
static const int codes[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 500, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

typedef enum job_state {
    JOB_QUEUED,
    JOB_TAKEN,
    JOB_DONE,
} job_state;

/* A request for the loop; lives on its connection thread's stack. */
typedef struct job {
    struct job *next;
    cf_route_kind kind;    /* CF_ROUTE_COMMAND or CF_ROUTE_METRICS */
    const cJSON *req;      /* the command (borrowed) */
    job_state state;       /* under mu */
    bool failed;           /* the node stopped first: 503 */
    cJSON *answer;         /* the command's answer (the job's owner deletes it) */
    cf_buf text;           /* the metrics */
    struct job *held_next; /* the loop's list of writes held at start */
} job;

struct cf_http {
    cf_node *node; /* loop thread only */
    struct MHD_Daemon *mhd;
    cf_events *events;
    uv_async_t async;
    uv_timer_t held_timer;
    int open_handles;
    job *held; /* loop thread only */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *queue, *queue_tail; /* under mu */
    bool stopping;           /* under mu */
    uint8_t token_hash[crypto_generichash_BYTES];
    size_t max_body;
    bool metrics_public;
    char bound[80];
    atomic_uint_least64_t by_code[N_CODES + 1];
    atomic_uint_least64_t requests, rejected, event_resets;
    atomic_int event_clients;
    atomic_int_least64_t log_second;
    atomic_int log_count;
    void (*done)(void *);
    void *done_ctx;
};

/* A connection's request as it arrives. */
typedef struct conn {
    cf_buf body;
    bool too_big;
    bool answered; /* a response was queued before the body came */
} conn;

/* ---- the token ---------------------------------------------------------------------------- */

cf_status
cf_http_token_load(const char *path, uint8_t out_hash[32], char *err, size_t errlen)
{
    uint8_t *text = NULL;
    size_t len, line;
    cf_status st = cf_file_check_private(path);

    if (st == CF_OK)
        st = cf_file_read(path, 4096, &text, &len);
    if (st == CF_E_PERMISSIONS) {
        snprintf(err, errlen,
                 "[http] token_file %s: group or others may access it, or another user owns "
                 "it; run chmod 600 on it",
                 path);
        return st;
    }
    if (st != CF_OK) {
        snprintf(err, errlen, "[http] token_file %s: %s", path,
                 st == CF_E_NOT_FOUND ? "no such file"
                 : st == CF_E_IO      ? strerror(errno)
                                      : cf_status_str(st));
        return st;
    }
    line = strcspn((char *)text, "\r\n");
    while (line > 0 && (text[line - 1] == ' ' || text[line - 1] == '\t'))
        line--;
    bool printable = true;
    for (size_t i = 0; i < line; i++)
        printable &= text[i] > 0x20 && text[i] < 0x7f;
    if (line < TOKEN_MIN || !printable) {
        snprintf(err, errlen,
                 "[http] token_file %s: the token (its first line) must be at least %d "
                 "printable characters without spaces",
                 path, TOKEN_MIN);
        sodium_memzero(text, len);
        free(text);
        return CF_E_CONFIG;
    }
    crypto_generichash(out_hash, 32, text, line, NULL, 0);
    sodium_memzero(text, len);
    free(text);
    return CF_OK;
}

/* ---- counting and answering -------------------------------------------------------------------
 */

static void
count(cf_http *h, int status)
{
    size_t i = 0;

    while (i < N_CODES && codes[i] != status)
        i++;
    atomic_fetch_add(&h->by_code[i], 1);
    atomic_fetch_add(&h->requests, 1);
    if (status >= 400 && status < 500)
        atomic_fetch_add(&h->rejected, 1);
}

static const char *
client_address(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(buf, len, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)len);
    return buf;
}

/* Log a refusal, at most LOG_PER_SECOND a second (the counters keep them all). */
static void
log_refusal(cf_http *h, struct MHD_Connection *c, const char *method, const char *url, int status,
            const char *error)
{
    int64_t now_s = cf_clock_now_ms() / 1000;
    char addr[64];

    if (atomic_exchange(&h->log_second, now_s) != now_s)
        atomic_store(&h->log_count, 0);
    int k = atomic_fetch_add(&h->log_count, 1);
    if (k > LOG_PER_SECOND)
        return;
    if (k == LOG_PER_SECOND) {
        cf_log(CF_LOG_WARN, "http: more requests refused this second; counted, not logged");
        return;
    }
    cf_log(CF_LOG_WARN, "http: refused %.16s %.200s from %s: %d %s", method ? method : "?",
           url ? url : "?", client_address(c, addr, sizeof(addr)), status, error);
}

static enum MHD_Result
reply(cf_http *h, struct MHD_Connection *c, int status, const char *type, const char *body,
      size_t len, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"certfed\"");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    count(h, status);
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A file of the console: static, public, and only scripts of ours may run. */
static enum MHD_Result
reply_asset(cf_http *h, struct MHD_Connection *c, const cf_web_asset *a, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->len, (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy", CF_WEB_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* the event stream's URL carries the token: never send it elsewhere */
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    count(h, 200);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
reply_json(cf_http *h, struct MHD_Connection *c, int status, const cJSON *body, const char *allow)
{
    char *text = cJSON_PrintUnformatted(body);
    enum MHD_Result ret;

    if (!text)
        return MHD_NO;
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        return MHD_NO;
    }
    line[len] = '\n';
    line[len + 1] = 0;
    ret = reply(h, c, status, "application/json", line, len + 1, allow);
    free(line);
    return ret;
}

/* {"error": error, "reason": reason}; 4xx are logged as refusals. */
static enum MHD_Result
reply_error(cf_http *h, struct MHD_Connection *c, const char *method, const char *url, int status,
            const char *reason, const char *error, const char *allow)
{
    cJSON *o = cJSON_CreateObject();
    enum MHD_Result ret;

    if (!o || !cJSON_AddStringToObject(o, "error", error) ||
        !cJSON_AddStringToObject(o, "reason", reason)) {
        cJSON_Delete(o);
        return MHD_NO;
    }
    if (status >= 400 && status < 500)
        log_refusal(h, c, method, url, status, error);
    ret = reply_json(h, c, status, o, allow);
    cJSON_Delete(o);
    return ret;
}

/* ---- the loop's side ----------------------------------------------------------------------------
 */

/* Answer one job on the loop thread and wake its connection. */
static void
job_finish(cf_http *h, job *j)
{
    cf_node *n = h->node;

    if (j->kind == CF_ROUTE_COMMAND) {
        j->answer = cf_node_handle(n, j->req);
    } else if (cf_metrics_render(n, cf_clock_now_ms(), &j->text) != CF_OK) {
        j->failed = true;
    }
    pthread_mutex_lock(&h->mu);
    j->state = JOB_DONE;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void
on_held_timer(uv_timer_t *t)
{
    cf_http *h = t->data;
    job **p = &h->held;

    while (*p) {
        job *j = *p;
        /* (expired: no route here is a directive.wait, which would hold a
         * connection's thread; the control socket offers it) */
        if (cf_node_ready_for(h->node, j->req, true)) {
            *p = j->held_next;
            job_finish(h, j);
        } else {
            p = &j->held_next;
        }
    }
    if (!h->held)
        uv_timer_stop(&h->held_timer);
}

static void
on_async(uv_async_t *a)
{
    cf_http *h = a->data;
    job *list;

    pthread_mutex_lock(&h->mu);
    list = h->queue;
    h->queue = h->queue_tail = NULL;
    for (job *j = list; j; j = j->next)
        j->state = JOB_TAKEN;
    pthread_mutex_unlock(&h->mu);
    while (list) {
        job *j = list;
        list = j->next;
        /* a write waits while the node confirms its own sequence at start,
         * as on the control socket */
        if (j->kind == CF_ROUTE_COMMAND && !cf_node_ready_for(h->node, j->req, true)) {
            j->held_next = h->held;
            h->held = j;
            if (!uv_is_active((uv_handle_t *)&h->held_timer))
                uv_timer_start(&h->held_timer, on_held_timer, HELD_RETRY_MS, HELD_RETRY_MS);
            continue;
        }
        job_finish(h, j);
    }
}

/* ---- the connection's side ---------------------------------------------------------------------
 */

static void
deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * Hand a job to the loop and wait for it. false: it never ran (the node is
 * stopping, or too busy to take it in time).
 */
static bool
run_on_loop(cf_http *h, job *j)
{
    struct timespec until;
    bool ran = true;

    deadline_in(&until, WAIT_QUEUED_MS);
    pthread_mutex_lock(&h->mu);
    if (h->stopping) {
        pthread_mutex_unlock(&h->mu);
        return false;
    }
    j->state = JOB_QUEUED;
    j->next = NULL;
    if (h->queue_tail)
        h->queue_tail->next = j;
    else
        h->queue = j;
    h->queue_tail = j;
    /* under mu: the loop closes the handle only after stopping is set */
    uv_async_send(&h->async);
    while (j->state != JOB_DONE) {
        if (j->state == JOB_QUEUED) {
            if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT &&
                j->state == JOB_QUEUED) {
                /* withdraw it: it never runs */
                job **p = &h->queue;
                h->queue_tail = NULL;
                while (*p) {
                    if (*p == j)
                        *p = j->next;
                    else {
                        h->queue_tail = *p;
                        p = &(*p)->next;
                    }
                }
                ran = false;
                break;
            }
        } else {
            pthread_cond_wait(&h->cv, &h->mu);
        }
    }
    if (j->state == JOB_DONE && j->failed)
        ran = false;
    pthread_mutex_unlock(&h->mu);
    return ran;
}

/* The token: "Authorization: Bearer T", or ?token=T on the event stream. */
static bool
authorized(cf_http *h, struct MHD_Connection *c, const char *url)
{
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *tok = NULL;
    uint8_t hash[crypto_generichash_BYTES];

    if (h->metrics_public && strcmp(url, "/metrics") == 0)
        return true;
    if (a && strncasecmp(a, "Bearer ", 7) == 0) {
        tok = a + 7;
        while (*tok == ' ')
            tok++;
    } else if (!a && strcmp(url, "/api/events") == 0) {
        tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    }
    if (!tok)
        return false;
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)tok, strlen(tok), NULL, 0);
    return sodium_memcmp(hash, h->token_hash, sizeof(hash)) == 0;
}

typedef struct query {
    const char *kv[2 * (CF_HTTP_QUERY_MAX + 1)];
    size_t n;
} query;

static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    query *q = cls;

    (void)kind;
    if (q->n > CF_HTTP_QUERY_MAX)
        return MHD_NO;
    q->kv[2 * q->n] = key;
    q->kv[2 * q->n + 1] = value;
    q->n++;
    return MHD_YES;
}

/* ---- the event stream
 * ---------------------------------------------------------------------------- */

typedef struct stream {
    cf_http *h;
    uint64_t next;
    cf_buf pending;
    size_t off;
    bool greeted;
} stream;

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *s = cls;
    cf_event evs[32];
    size_t n = 0;

    (void)pos;
    if (s->off == s->pending.len) {
        s->pending.len = 0;
        s->off = 0;
        if (!s->greeted) {
            s->greeted = true;
            if (cf_buf_append_str(&s->pending, ": certfed events\nretry: 2000\n\n") != CF_OK)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        } else {
            if (cf_events_read(s->h->events, &s->next, evs, CF_ARRAY_LEN(evs), KEEPALIVE_MS, &n) !=
                CF_OK)
                return MHD_CONTENT_READER_END_OF_STREAM;
            cf_status st = n == 0 ? cf_buf_append_str(&s->pending, ": keepalive\n\n") : CF_OK;
            for (size_t i = 0; st == CF_OK && i < n; i++) {
                if (evs[i].kind == CF_EVENT_RESET)
                    atomic_fetch_add(&s->h->event_resets, 1);
                st = cf_event_format(&evs[i], &s->pending);
            }
            if (st != CF_OK)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t k = s->pending.len - s->off;
    if (k > max)
        k = max;
    memcpy(buf, s->pending.data + s->off, k);
    s->off += k;
    return (ssize_t)k;
}

static void
stream_free(void *cls)
{
    stream *s = cls;

    atomic_fetch_sub(&s->h->event_clients, 1);
    cf_buf_clear(&s->pending);
    free(s);
}

static enum MHD_Result
open_stream(cf_http *h, struct MHD_Connection *c, const char *method, const char *url)
{
    if (atomic_fetch_add(&h->event_clients, 1) >= EVENT_CLIENTS_MAX) {
        atomic_fetch_sub(&h->event_clients, 1);
        return reply_error(h, c, method, url, 503, "full", "too many event streams open", NULL);
    }
    stream *s = calloc(1, sizeof(*s));
    if (!s) {
        atomic_fetch_sub(&h->event_clients, 1);
        return MHD_NO;
    }
    s->h = h;
    cf_buf_init(&s->pending);
    uint64_t head = cf_events_head(h->events);
    s->next = head + 1;
    /* a reconnecting EventSource says where it was; an id beyond the head
     * is from before a restart of the node: it gets a reset */
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (last && last[0]) {
        char *end;
        errno = 0;
        unsigned long long id = strtoull(last, &end, 10);
        if (!errno && !*end)
            s->next = id < head ? id + 1 : id == head ? head + 1 : 0;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    if (!r) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    count(h, 200);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- requests ----------------------------------------------------------------------------------
 */

static enum MHD_Result
answer(cf_http *h, struct MHD_Connection *c, const char *method, const char *url, conn *cs)
{
    cf_http_request r;
    cf_routed rt;
    query q;
    enum MHD_Result ret;

    memset(&q, 0, sizeof(q));
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &q);
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = url;
    r.query = q.kv;
    r.n_query = q.n;
    r.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    r.body = cs->body.data;
    r.body_len = cs->body.len;
    cf_http_route(&r, &rt);
    if (rt.kind == CF_ROUTE_ERROR)
        return reply_error(h, c, method, url, rt.status, rt.reason, rt.error, rt.allow);
    if (rt.kind == CF_ROUTE_EVENTS)
        return open_stream(h, c, method, url);
    job j;
    memset(&j, 0, sizeof(j));
    j.kind = rt.kind;
    j.req = rt.request;
    cf_buf_init(&j.text);
    if (!run_on_loop(h, &j)) {
        cJSON_Delete(rt.request);
        cJSON_Delete(j.answer);
        cf_buf_clear(&j.text);
        return reply_error(h, c, method, url, 503, "unreachable",
                           "the node is stopping or too busy to answer; nothing was done", NULL);
    }
    cJSON_Delete(rt.request);
    if (rt.kind == CF_ROUTE_METRICS) {
        if (cf_http_metrics(h, &j.text) != CF_OK) {
            cf_buf_clear(&j.text);
            return MHD_NO;
        }
        ret = reply(h, c, 200, "text/plain; version=0.0.4; charset=utf-8",
                    (const char *)j.text.data, j.text.len, NULL);
        cf_buf_clear(&j.text);
        return ret;
    }
    const cJSON *okv = cJSON_GetObjectItemCaseSensitive(j.answer, "ok");
    if (cJSON_IsTrue(okv)) {
        ret =
            reply_json(h, c, rt.status, cJSON_GetObjectItemCaseSensitive(j.answer, "result"), NULL);
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j.answer, "error");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(j.answer, "reason");
        const char *reason = cJSON_IsString(why) ? why->valuestring : "io-error";
        ret = reply_error(h, c, method, url, cf_http_status_for(reason), reason,
                          cJSON_IsString(e) ? e->valuestring : "failed", NULL);
    }
    cJSON_Delete(j.answer);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    cf_http *h = cls;
    conn *cs = *con_cls;

    (void)version;
    if (!cs) {
        cs = calloc(1, sizeof(*cs));
        if (!cs)
            return MHD_NO;
        cf_buf_init(&cs->body);
        *con_cls = cs;
        /* the console's files need no token: they hold no data */
        const cf_web_asset *asset;
        const char *type;
        if (cf_web_find(url, &asset, &type)) {
            cs->answered = true;
            if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return reply_error(h, c, method, url, 405, "method-not-allowed",
                                   "only GET is allowed here", "GET, HEAD");
            return reply_asset(h, c, asset, type);
        }
        if (strncmp(url, "/ui/", 4) == 0) {
            cs->answered = true;
            return reply_error(h, c, method, url, 404, "not-found", "no such file of the console",
                               NULL);
        }
        /* refused before any body is read */
        if (!authorized(h, c, url)) {
            cs->answered = true;
            return reply_error(h, c, method, url, 401, "unauthenticated",
                               "a valid token is needed (Authorization: Bearer TOKEN)", NULL);
        }
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > h->max_body) {
            cs->answered = true;
            return reply_error(h, c, method, url, 413, "oversize",
                               "the body is larger than [http] max_body", NULL);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cs->answered && !cs->too_big) {
            if (cs->body.len + *upload_size > h->max_body ||
                cf_buf_append(&cs->body, upload, *upload_size) != CF_OK) {
                cs->too_big = true;
                cf_buf_clear(&cs->body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cs->answered)
        return MHD_YES;
    cs->answered = true;
    if (cs->too_big)
        return reply_error(h, c, method, url, 413, "oversize",
                           "the body is larger than [http] max_body", NULL);
    return answer(h, c, method, url, cs);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    conn *cs = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (!cs)
        return;
    cf_buf_clear(&cs->body);
    free(cs);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) CF_PRINTF(2, 0);

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = 0;
    cf_log(CF_LOG_WARN, "http: %s", line);
}

/* ---- start and stop ----------------------------------------------------------------------------
 */

static void
handle_closed(uv_handle_t *hd)
{
    cf_http *h = hd->data;

    if (--h->open_handles > 0)
        return;
    void (*done)(void *) = h->done;
    void *ctx = h->done_ctx;
    cf_events_free(h->events);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    sodium_memzero(h->token_hash, sizeof(h->token_hash));
    free(h);
    if (done)
        done(ctx);
}

cf_status
cf_http_start(cf_node *n, char *err, size_t errlen)
{
    const cf_node_config *cfg = n->cfg;
    pthread_condattr_t ca;
    cf_http *h;
    cf_status st;

    n->http = NULL;
    if (!cfg->http_listen)
        return CF_OK;
    h = calloc(1, sizeof(*h));
    if (!h)
        return CF_E_NOMEM;
    h->node = n;
    h->max_body = cfg->http_max_body;
    h->metrics_public = cfg->http_metrics_public;
    st = cf_http_token_load(cfg->http_token_file, h->token_hash, err, errlen);
    if (st == CF_OK)
        st = cf_events_new(&h->events);
    if (st != CF_OK) {
        free(h);
        return st;
    }
    if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_mutex_init(&h->mu, NULL) != 0) {
        cf_events_free(h->events);
        free(h);
        return CF_E_NOMEM;
    }
    if (pthread_cond_init(&h->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&h->mu);
        cf_events_free(h->events);
        free(h);
        return CF_E_NOMEM;
    }
    pthread_condattr_destroy(&ca);
    uv_async_init(n->loop, &h->async, on_async);
    uv_timer_init(n->loop, &h->held_timer);
    h->async.data = h->held_timer.data = h;
    h->open_handles = 2;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
                     MHD_USE_ERROR_LOG | (cfg->http_addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                         (const struct sockaddr *)&cfg->http_addr, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                         h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errlen, "[http] listen %s: cannot listen there: %s", cfg->http_listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        cf_http_close(h, NULL, NULL);
        return CF_E_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[INET6_ADDRSTRLEN] = "?";
    bool loopback;
    if (cfg->http_addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&cfg->http_addr;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
        snprintf(h->bound, sizeof(h->bound), "[%s]:%u", host, port);
        loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&cfg->http_addr;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
        snprintf(h->bound, sizeof(h->bound), "%s:%u", host, port);
        loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    n->http = h;
    cf_log(CF_LOG_INFO, "HTTP API listening on http://%s (bearer token of %s%s)", h->bound,
           cfg->http_token_file, h->metrics_public ? "; /metrics public" : "");
    if (!loopback)
        cf_log(CF_LOG_WARN,
               "the HTTP API listens beyond this machine (%s) in plain HTTP: put a TLS proxy in "
               "front of it, or the token travels in clear",
               h->bound);
    return CF_OK;
}

void
cf_http_close(cf_http *h, void (*done)(void *ctx), void *ctx)
{
    h->done = done;
    h->done_ctx = ctx;
    if (h->node->http == h)
        h->node->http = NULL;
    /* whatever waits for the loop is told no, and runs never */
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    for (job *j = h->queue; j; j = j->next) {
        j->state = JOB_DONE;
        j->failed = true;
    }
    h->queue = h->queue_tail = NULL;
    for (job *j = h->held; j; j = j->held_next) {
        j->state = JOB_DONE;
        j->failed = true;
    }
    h->held = NULL;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    cf_events_shutdown(h->events);
    /* every connection's thread ends before this returns */
    if (h->mhd)
        MHD_stop_daemon(h->mhd);
    h->mhd = NULL;
    uv_close((uv_handle_t *)&h->async, handle_closed);
    uv_close((uv_handle_t *)&h->held_timer, handle_closed);
}

void
cf_http_event(cf_http *h, const cf_event *ev)
{
    cf_events_stage(h->events, ev);
}

void
cf_http_commit(cf_http *h, bool committed)
{
    cf_events_commit(h->events, committed);
}

cJSON *
cf_http_status(cf_http *h)
{
    cJSON *o = cJSON_CreateObject(), *by;
    char code[8];

    cJSON_AddStringToObject(o, "listen", h->bound);
    cJSON_AddNumberToObject(o, "requests", (double)atomic_load(&h->requests));
    cJSON_AddNumberToObject(o, "rejected", (double)atomic_load(&h->rejected));
    by = cJSON_AddObjectToObject(o, "by_status");
    for (size_t i = 0; i <= N_CODES; i++) {
        uint64_t v = atomic_load(&h->by_code[i]);
        if (!v)
            continue;
        if (i < N_CODES)
            snprintf(code, sizeof(code), "%d", codes[i]);
        else
            snprintf(code, sizeof(code), "other");
        cJSON_AddNumberToObject(by, code, (double)v);
    }
    cJSON_AddNumberToObject(o, "event_clients", atomic_load(&h->event_clients));
    cJSON_AddNumberToObject(o, "event_resets", (double)atomic_load(&h->event_resets));
    cJSON_AddNumberToObject(o, "events", (double)cf_events_head(h->events));
    return o;
}

cf_status
cf_http_metrics(cf_http *h, cf_buf *out)
{
    char code[8];
    cf_status st = cf_prom_family(out, "certfed_http_requests_total", "counter",
                                  "HTTP API requests answered, by status code.");

    for (size_t i = 0; st == CF_OK && i <= N_CODES; i++) {
        if (i < N_CODES)
            snprintf(code, sizeof(code), "%d", codes[i]);
        else
            snprintf(code, sizeof(code), "other");
        const char *l[] = {"code", code};
        st = cf_prom_sample(out, "certfed_http_requests_total", l, 1,
                            (double)atomic_load(&h->by_code[i]));
    }
    if (st == CF_OK)
        st = cf_prom_family(out, "certfed_http_rejected_total", "counter",
                            "HTTP API requests refused with a 4xx status (nothing changed).");
    if (st == CF_OK)
        st = cf_prom_sample(out, "certfed_http_rejected_total", NULL, 0,
                            (double)atomic_load(&h->rejected));
    if (st == CF_OK)
        st = cf_prom_family(out, "certfed_http_event_clients", "gauge",
                            "Event streams (GET /api/events) open.");
    if (st == CF_OK)
        st = cf_prom_sample(out, "certfed_http_event_clients", NULL, 0,
                            atomic_load(&h->event_clients));
    if (st == CF_OK)
        st = cf_prom_family(out, "certfed_http_event_resets_total", "counter",
                            "Resets sent to event streams that fell behind.");
    if (st == CF_OK)
        st = cf_prom_sample(out, "certfed_http_event_resets_total", NULL, 0,
                            (double)atomic_load(&h->event_resets));
    return st;
}
