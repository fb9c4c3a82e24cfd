/*
 * control.c - the control socket: a Unix socket (mode 0600, or 0660 and
 * the group's with [node] control_group) on which the certfed CLI sends one
 * JSON request line and reads one JSON answer line (protocol in node.h).
 * Requests are capped at 1 MiB; a client that sends more, or junk, gets an
 * error answer and the connection is closed. A request that must wait is
 * held, its connection open, and answered by cf_control_resume once it may
 * be: a write until the node has learnt its own sequence at start, a
 * directive.wait until its directive is complete or its timeout is up.
 * Loop thread only.
 */
#include "node/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REQUEST (1024 * 1024)
#define MAX_CLIENTS 64          /* connections at once; more are closed at once */
#define CLIENT_TIMEOUT_MS 10000 /* to send a whole request */
/* held requests at once: a client that gave up on a long directive.wait
 * holds its connection until the wait's timeout, and the others must
 * still get in */
#define MAX_HELD (MAX_CLIENTS / 2)

typedef struct client client;

struct cf_control {
    cf_node *node;
    uv_pipe_t server;
    char *path;
    client *clients; /* every open connection, so closing can reach them */
    size_t n_clients;
    size_t n_held; /* clients whose request is held */
    bool closing;
    int open_handles; /* the server and every client's two handles */
    void (*done)(void *);
    void *done_ctx;
};

struct client {
    uv_pipe_t pipe;
    uv_timer_t timer;
    cf_control *c;
    client *prev, *next;
    cf_buf in;
    cJSON *held; /* a write request waiting for the node to finish starting */
    bool answered;
    int handles;
};

static void control_maybe_done(cf_control *c);

typedef struct answer {
    uv_write_t req;
    client *cl;
    char *text;
} answer;

static void
client_closed(uv_handle_t *h)
{
    client *cl = h->data;
    cf_control *c = cl->c;

    if (--cl->handles > 0)
        return;
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        c->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    c->n_clients--;
    if (cl->held)
        c->n_held--;
    cf_buf_clear(&cl->in);
    cJSON_Delete(cl->held);
    free(cl);
    c->open_handles--;
    control_maybe_done(c);
}

static void
client_close(client *cl)
{
    if (uv_is_closing((uv_handle_t *)&cl->pipe))
        return;
    uv_close((uv_handle_t *)&cl->timer, client_closed);
    uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void
client_timeout(uv_timer_t *t)
{
    client_close(t->data);
}

static void send_answer(client *cl, cJSON *resp);

/* A held directive.wait's time is up: its answer says how far it got. */
static void
held_timeout(uv_timer_t *t)
{
    client *cl = t->data;
    cJSON *req = cl->held;

    if (!req || cl->answered)
        return;
    cl->held = NULL;
    cl->c->n_held--;
    cJSON *resp = cf_node_handle(cl->c->node, req);
    cJSON_Delete(req);
    send_answer(cl, resp);
}

static void
answer_written(uv_write_t *w, int status)
{
    answer *a = (answer *)w;

    (void)status;
    client_close(a->cl);
    free(a->text);
    free(a);
}

static void
send_answer(client *cl, cJSON *resp)
{
    char *text = cJSON_PrintUnformatted(resp);
    answer *a = calloc(1, sizeof(*a));
    size_t len;
    uv_buf_t buf;

    cJSON_Delete(resp);
    cl->answered = true;
    uv_read_stop((uv_stream_t *)&cl->pipe);
    uv_timer_stop(&cl->timer);
    if (!text || !a) {
        free(text);
        free(a);
        client_close(cl);
        return;
    }
    len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        free(a);
        client_close(cl);
        return;
    }
    line[len] = '\n';
    line[len + 1] = 0;
    a->cl = cl;
    a->text = line;
    buf = uv_buf_init(line, (unsigned)(len + 1));
    if (uv_write(&a->req, (uv_stream_t *)&cl->pipe, &buf, 1, answer_written) != 0) {
        free(line);
        free(a);
        client_close(cl);
    }
}

static cJSON *
error_answer(const char *msg, cf_status why)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "ok", false);
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddStringToObject(o, "reason", cf_status_str(why));
    return o;
}

cJSON *
cf_control_answer(cf_node *n, const uint8_t *data, size_t len, bool eof, cJSON **out_held)
{
    const uint8_t *nl = len ? memchr(data, '\n', len) : NULL;

    if (!nl && !eof)
        return NULL;
    if (nl)
        len = (size_t)(nl - data);
    cJSON *req = cJSON_ParseWithLength((const char *)data, len);
    if (!req || !cJSON_IsObject(req)) {
        cJSON_Delete(req);
        return error_answer("the request is not a JSON object", CF_E_MALFORMED);
    }
    if (!cf_node_ready_for(n, req, false)) {
        *out_held = req;
        return NULL;
    }
    cJSON *resp = cf_node_handle(n, req);
    cJSON_Delete(req);
    return resp;
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client *cl = s->data;

    if (nread > 0 && !cl->answered) {
        if (cl->in.len + (size_t)nread > MAX_REQUEST) {
            free(buf->base);
            send_answer(cl, error_answer("request too large (at most 1 MiB)", CF_E_OVERSIZE));
            return;
        }
        if (cf_buf_append(&cl->in, buf->base, (size_t)nread) != CF_OK) {
            free(buf->base);
            send_answer(cl, error_answer("out of memory", CF_E_NOMEM));
            return;
        }
    }
    free(buf->base);
    if (cl->answered || cl->c->closing)
        return;
    if (nread < 0 && nread != UV_EOF) {
        client_close(cl);
        return;
    }
    cJSON *held = NULL;
    cJSON *resp = cf_control_answer(cl->c->node, cl->in.data, cl->in.len, nread == UV_EOF, &held);
    if (held) {
        /* answered by cf_control_resume: a write well before the client's
         * timeout, a directive.wait by its own timeout at the latest */
        int64_t hold_ms = cf_node_hold_ms(held);
        if (hold_ms > 0 && cl->c->n_held >= MAX_HELD) {
            cJSON_Delete(held);
            send_answer(cl,
                        error_answer("too many requests are waiting; try again later", CF_E_LIMIT));
            return;
        }
        uv_read_stop((uv_stream_t *)&cl->pipe);
        cl->held = held;
        cl->c->n_held++;
        if (hold_ms > 0)
            uv_timer_start(&cl->timer, held_timeout, (uint64_t)hold_ms, 0);
        return;
    }
    if (resp)
        send_answer(cl, resp);
    /* else wait for the rest of the line */
}

void
cf_control_resume(cf_control *c)
{
    if (!c->n_held)
        return; /* (called after commits) nothing held, nothing to do */
    for (client *cl = c->clients; cl; cl = cl->next) {
        if (!cl->held || cl->answered || uv_is_closing((uv_handle_t *)&cl->pipe) ||
            !cf_node_ready_for(c->node, cl->held, false))
            continue;
        cJSON *req = cl->held;
        cl->held = NULL;
        c->n_held--;
        cJSON *resp = cf_node_handle(c->node, req);
        cJSON_Delete(req);
        send_answer(cl, resp);
    }
}

static void
on_connection(uv_stream_t *server, int status)
{
    cf_control *c = server->data;
    client *cl;

    if (status < 0 || c->closing)
        return;
    cl = calloc(1, sizeof(*cl));
    if (!cl)
        return;
    cf_buf_init(&cl->in);
    cl->c = c;
    cl->handles = 2;
    uv_pipe_init(server->loop, &cl->pipe, 0);
    uv_timer_init(server->loop, &cl->timer);
    cl->pipe.data = cl;
    cl->timer.data = cl;
    cl->next = c->clients;
    if (c->clients)
        c->clients->prev = cl;
    c->clients = cl;
    c->n_clients++;
    c->open_handles++;
    /* a slow or idle client is cut off; so is one too many */
    if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0 || c->n_clients > MAX_CLIENTS ||
        uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, on_read) != 0 ||
        uv_timer_start(&cl->timer, client_timeout, CLIENT_TIMEOUT_MS, 0) != 0)
        client_close(cl);
}

cf_status
cf_control_start(cf_node *n, const char *path, cf_control **out, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    cf_control *c;
    mode_t old;
    int rc;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "control socket path %s is too long (at most %zu characters)", path,
                 sizeof(sa.sun_path) - 1);
        return CF_E_CONFIG;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return CF_E_NOMEM;
    }
    c->node = n;
    uv_pipe_init(n->loop, &c->server, 0);
    c->server.data = c;
    c->open_handles = 1;
    /* a socket left by a node that did not stop cleanly: remove it, unless
     * another node answers on it */
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        bool in_use = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
            close(fd);
        if (in_use) {
            snprintf(err, errlen, "control socket %s is in use: is this node already running?",
                     path);
            goto fail;
        }
        unlink(path);
    }
    old = umask(0177); /* the socket is born 0600 */
    rc = uv_pipe_bind(&c->server, path);
    umask(old);
    /* with a control group, the group gets it before it may connect: no
     * moment in which the node user's primary group may */
    if (rc == 0 && n->cfg->control_group &&
        (chown(path, (uid_t)-1, n->cfg->control_gid) != 0 || chmod(path, 0660) != 0)) {
        int e = errno;
        snprintf(err, errlen, "cannot give control socket %s to group %s: %s%s", path,
                 n->cfg->control_group, strerror(e),
                 e == EPERM ? " (the node's user must be a member of that group)" : "");
        unlink(path); /* ours: just made */
        goto fail;
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&c->server, 16, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on control socket %s: %s", path, uv_strerror(rc));
        goto fail;
    }
    *out = c;
    return CF_OK;
fail:
    /* the handle is initialised: close it through the loop, free after;
     * the path may be another node's socket, so leave it alone */
    free(c->path);
    c->path = NULL;
    *out = NULL;
    cf_control_close(c, NULL, NULL);
    return CF_E_IO;
}

/* Free the control once the server and every client have closed. */
static void
control_maybe_done(cf_control *c)
{
    if (!c->closing || c->open_handles > 0)
        return;
    void (*done)(void *) = c->done;
    void *ctx = c->done_ctx;
    free(c->path);
    free(c);
    if (done)
        done(ctx);
}

static void
server_closed(uv_handle_t *h)
{
    cf_control *c = h->data;

    c->open_handles--;
    control_maybe_done(c);
}

void
cf_control_close(cf_control *c, void (*done)(void *ctx), void *ctx)
{
    c->done = done;
    c->done_ctx = ctx;
    c->closing = true;
    if (c->path)
        unlink(c->path);
    /* every open connection goes too: nothing may point at us afterwards */
    for (client *cl = c->clients; cl; cl = cl->next)
        client_close(cl);
    uv_close((uv_handle_t *)&c->server, server_closed);
}
