/*
 * http.h - the node's HTTP API (off unless the config has [http] listen):
 * JSON endpoints for what the CLI does, a Server-Sent Events stream of what
 * the node stores, and Prometheus metrics. libmicrohttpd serves it on
 * threads of its own, one per connection; they never touch the node. Each
 * request is translated into a control request ({"cmd", "args"}, the CLI's
 * very protocol) and handed to the loop thread, which answers it with
 * cf_node_handle, as the control socket does; the connection's thread
 * waits for the answer. So every read and write takes the CLI's code path.
 *
 *   method path                               control command
 *   GET    /api/status                        status
 *   GET    /api/peers                         peers
 *   GET    /api/incidents?min_severity=&tlp=&status=&sector=&province=
 *                                             incident.list
 *   POST   /api/incidents                     incident.report   (201)
 *   GET    /api/incidents/{id}                incident.show
 *   POST   /api/incidents/{id}                incident.update
 *   GET    /api/tasks                         task.list
 *   POST   /api/tasks                         task.assign       (201)
 *   POST   /api/tasks/{id}/status             task.update
 *   GET    /api/directives                    directive.list
 *   POST   /api/directives                    directive.issue   (201)
 *   GET    /api/directives/{number}           directive.status  (the ack table)
 *   POST   /api/directives/{number}/ack       ack
 *   GET    /api/audit                         audit.verify
 *   GET    /api/events                        (Server-Sent Events, below)
 *   GET    /metrics                           (Prometheus text format 0.0.4)
 *   GET    /, /ui/NAME                        the web console (web.c; no token)
 *
 * A POST body is a JSON object of the command's arguments (the CLI's
 * names, e.g. {"title": ..., "severity": "high"}); ids come from the path.
 * A field the command does not take, or of the wrong JSON type, is refused
 * (400, naming it). An answer is the command's result (2xx) or
 * {"error": "...", "reason": "..."} (4xx/5xx). quarantine.release and
 * trust.publish change what the node trusts: they stay on the control
 * socket, whose file permissions are the stronger wall.
 */
#ifndef CF_NODE_HTTP_H
#define CF_NODE_HTTP_H

#include "node/node.h"

/* ---- metrics (metrics.c) ------------------------------------------------------------ */

/*
 * The node's hooks, loop thread only. received: an envelope went through
 * cf_node_receive with status st (store_failed: a store error, the batch is
 * abandoned and nothing is counted); m is NULL if it did not decode, inner
 * is the opened content of a sealed message. originated: b was signed as
 * the message id. txn_done: the transaction those happened in committed or
 * was abandoned (the events of the HTTP API are published only on commit).
 */
void cf_metrics_received(cf_node *n, const cf_message *m, const cf_message *inner, bool ignored,
                         cf_status st, bool store_failed, int64_t now_ms);
void cf_metrics_originated(cf_node *n, const cf_body *b, const uint8_t id[CF_ID_LEN]);
void cf_metrics_txn_done(cf_node *n, bool committed);

/**
 * The node's metrics in the Prometheus text exposition format (0.0.4),
 * appended to out. Loop thread only.
 * @return CF_OK, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_metrics_render(cf_node *n, int64_t now_ms, cf_buf *out);

/** "# HELP name help\n# TYPE name type\n". @return CF_OK, CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_prom_family(cf_buf *out, const char *name, const char *type,
                                       const char *help);
/**
 * One sample: name{k1="v1",...} value. labels: n_labels pairs (key, value),
 * the values escaped as the format says (\\, \", \n). Integral values are
 * written without a fraction.
 * @return CF_OK, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_prom_sample(cf_buf *out, const char *name, const char *const *labels,
                                       size_t n_labels, double value);

/* ---- events (events.c) ------------------------------------------------------------------ */

/*
 * What the node stored, for GET /api/events: a bounded ring that the loop
 * writes and the connections' threads read, under a mutex. Events of a
 * transaction are staged (loop only, no lock) and enter the ring when it
 * commits, so nothing is announced that was not stored. A reader that
 * falls more than the ring's size behind gets a reset (it should reload
 * what it shows) instead of the events it missed: memory stays bounded
 * whatever the clients do.
 */
#define CF_EVENTS_RING 1024
#define CF_EVENTS_STAGE 256 /* per transaction; beyond, readers get a reset */
#define CF_EVENT_ID_MAX 128

typedef enum cf_event_kind {
    CF_EVENT_RESET = 0, /* readers missed events: reload */
    CF_EVENT_MESSAGE,   /* a message was stored (type says which) */
} cf_event_kind;

typedef struct cf_event {
    uint64_t seq; /* set by the ring: 1, 2, ... */
    cf_event_kind kind;
    cf_msg_type type;
    bool originated; /* signed by this node, else received */
    bool truncated;  /* the id was longer than CF_EVENT_ID_MAX: left out */
    /* incident id, tasking id, directive number, or the acked message id (hex) */
    char id[CF_EVENT_ID_MAX + 1];
    /* the origin (incident, tasking, directive), assignee (task status) or
     * acknowledging node (ack) */
    char node[CF_NODE_ID_MAX + 1];
    int64_t number; /* revision, directive version, task or ack state; -1 if none */
} cf_event;

typedef struct cf_events cf_events;

CF_MUST_CHECK cf_status cf_events_new(cf_events **out);
void cf_events_free(cf_events *e);
/** Loop thread: stage an event of the open transaction. */
void cf_events_stage(cf_events *e, const cf_event *ev);
/** Loop thread: the transaction committed (staged events enter the ring) or not. */
void cf_events_commit(cf_events *e, bool committed);
/** Wake every reader and make reads return CF_E_UNREACHABLE from now on. */
void cf_events_shutdown(cf_events *e);
/** The sequence number of the newest event in the ring (0: none yet). */
uint64_t cf_events_head(cf_events *e);

/**
 * A reader's turn: copy up to max events from *next on into out, waiting
 * up to timeout_ms for one if there is none. A reader behind the ring gets
 * one CF_EVENT_RESET and continues with the newest events. *next moves past
 * what was returned.
 * @return CF_OK (*out_n may be 0: the wait timed out), CF_E_UNREACHABLE
 *         (shut down)
 */
CF_MUST_CHECK cf_status cf_events_read(cf_events *e, uint64_t *next, cf_event *out, size_t max,
                                       int timeout_ms, size_t *out_n);

/**
 * One event as Server-Sent Events text: "id: SEQ\ndata: {JSON}\n\n", or
 * "id: SEQ\nevent: reset\ndata: {...}\n\n". @return CF_OK, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_event_format(const cf_event *ev, cf_buf *out);

/* ---- routing (http_route.c): pure, no I/O ------------------------------------------------ */

typedef enum cf_route_kind {
    CF_ROUTE_ERROR,   /* answer status with error and reason */
    CF_ROUTE_COMMAND, /* answer with cf_node_handle(request) */
    CF_ROUTE_METRICS, /* GET /metrics */
    CF_ROUTE_EVENTS,  /* GET /api/events */
} cf_route_kind;

typedef struct cf_http_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded, without the query */
    const char *const *query; /* n_query pairs (key, value; a value may be NULL) */
    size_t n_query;
    const char *content_type; /* NULL if absent */
    const uint8_t *body;      /* body_len bytes, need not end in a NUL */
    size_t body_len;
} cf_http_request;

typedef struct cf_routed {
    cf_route_kind kind;
    int status;         /* the HTTP status of an error, or of success (200, 201) */
    cJSON *request;     /* CF_ROUTE_COMMAND: {"cmd": ..., "args": {...}}; cJSON_Delete it */
    const char *reason; /* CF_ROUTE_ERROR: a short stable name ("invalid-argument") */
    char error[256];    /* CF_ROUTE_ERROR: one line for a person */
    const char *allow;  /* 405: the methods the path takes */
} cf_routed;

/* Query parameters, body fields and path segments beyond these are refused. */
#define CF_HTTP_QUERY_MAX 16
#define CF_HTTP_PATH_ID_MAX 256

/**
 * Translate an HTTP request into what answers it: a control request, the
 * metrics, the event stream, or an error (404 unknown path, 405 wrong
 * method, 415 a body that is not JSON, 400 malformed JSON, an unknown
 * field, a field of the wrong type, a query parameter given twice). The
 * query parameter "token" is taken (and ignored here) on /api/events only.
 * Never fails otherwise; out is always set (out->request on
 * CF_ROUTE_COMMAND only).
 */
void cf_http_route(const cf_http_request *r, cf_routed *out);

/** The HTTP status for a control answer's reason ("not-found" -> 404). */
int cf_http_status_for(const char *reason);

/* ---- the web console (web.c, node/web/) ----------------------------------------------------- */

/* A file of node/web/, built into the binary (node/web/embed.cmake). */
typedef struct cf_web_asset {
    const char *name;          /* "console.js" */
    const unsigned char *data; /* len bytes (and a NUL) */
    size_t len;
} cf_web_asset;

extern const cf_web_asset cf_web_assets[];
extern const size_t cf_web_n_assets;

/*
 * The console's file at path: "/" (and "/ui/") is index.html, "/ui/NAME"
 * is NAME. They are served without the token, with a strict
 * Content-Security-Policy (CF_WEB_CSP). Any thread.
 * @return true and *out, *out_type (the Content-Type) set; false: none
 */
bool cf_web_find(const char *path, const cf_web_asset **out, const char **out_type);

/* No script, style or connection from anywhere but the node itself. */
#define CF_WEB_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

/* ---- the server (http.c) ---------------------------------------------------------------- */

/**
 * Read the bearer token of [http] token_file: the file must be private
 * (0600, ours) and its first line at least 16 printable characters. Only
 * its BLAKE2b-256 hash is kept (compared with sodium_memcmp).
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_PERMISSIONS, CF_E_IO, CF_E_CONFIG
 *         (err says why)
 */
CF_MUST_CHECK cf_status cf_http_token_load(const char *path, uint8_t out_hash[32], char *err,
                                           size_t errlen);

/**
 * Start the HTTP API if the config has [http] listen (else CF_OK and
 * n->http stays NULL): load the token, listen, log where. Loop thread.
 * @return CF_OK, the statuses of cf_http_token_load, CF_E_IO (cannot
 *         listen), CF_E_NOMEM; err says why
 */
CF_MUST_CHECK cf_status cf_http_start(cf_node *n, char *err, size_t errlen);
/**
 * Stop: answer what waits with 503, end the event streams, stop
 * libmicrohttpd (its threads are joined before this returns), then close
 * the loop handles and call done(ctx). Loop thread.
 */
void cf_http_close(cf_http *h, void (*done)(void *ctx), void *ctx);
/** For status: where it listens and what it answered and refused. Loop thread. */
cJSON *cf_http_status(cf_http *h);
/** Stage an event (loop thread; the node's hooks call it). */
void cf_http_event(cf_http *h, const cf_event *ev);
/** The transaction of the staged events committed or not (loop thread). */
void cf_http_commit(cf_http *h, bool committed);
/** Append the HTTP server's own metrics (any thread). @return CF_OK, CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_http_metrics(cf_http *h, cf_buf *out);

#endif
