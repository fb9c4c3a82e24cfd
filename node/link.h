/*
 * link.h - the node's NATS connection: nats.c on the node's libuv loop, logged
 * in with the node's transport nkey.
 *
 * Thread rule: every function here is called on the loop thread, where the
 * callbacks run too. Messages are read and queued on the loop thread;
 * nats.c reports connection events on its own threads, and the link wakes
 * the loop for them.
 */
#ifndef CF_NODE_LINK_H
#define CF_NODE_LINK_H

#include "keys/keys.h"

#include <uv.h>

typedef struct cf_link cf_link;

/* A message taken from the bus: owned by whoever took it. */
typedef struct cf_link_msg {
    struct cf_link_msg *next;
    char *subject;
    size_t len;
    uint8_t data[]; /* len bytes */
} cf_link_msg;

typedef struct cf_link_callbacks {
    /* messages are waiting: take them with cf_link_take() */
    void (*on_messages)(void *ctx);
    /* the connection came up (first time or again) or went down */
    void (*on_state)(void *ctx, bool connected);
} cf_link_callbacks;

typedef struct cf_link_options {
    const char *url;
    const char *name;         /* shown by the server: the node id */
    const cf_nkey *transport; /* borrowed; must outlive the link */
    size_t max_queue;         /* messages queued for the node; then nats.c holds them */
    size_t max_queue_bytes;   /* bytes queued for the node; then nats.c holds them */
    int pending_msgs;         /* nats.c holds this many per subscription (0: 100000);
                               * past it, it drops them (cf_link_dropped) */
    int retry_ms;             /* between attempts while the server is down */
} cf_link_options;

/** Create a link; nothing connects yet. @return CF_OK, CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_link_new(uv_loop_t *loop, const cf_link_options *opt,
                                    const cf_link_callbacks *cb, void *ctx, cf_link **out);
/** Subscribe to a subject (kept across reconnects). Call before cf_link_start. */
CF_MUST_CHECK cf_status cf_link_subscribe(cf_link *l, const char *subject);
/**
 * Connect. If the server does not answer: with retry, try again every
 * retry_ms in the background and return CF_OK; without, CF_E_UNREACHABLE.
 * @param err  why the first attempt failed, if it did ("" otherwise)
 */
CF_MUST_CHECK cf_status cf_link_start(cf_link *l, bool retry, char *err, size_t errlen);
bool cf_link_connected(const cf_link *l);
/** Publish (buffered by nats.c). @return CF_OK, CF_E_UNREACHABLE (not connected), CF_E_IO */
CF_MUST_CHECK cf_status cf_link_publish(cf_link *l, const char *subject, const uint8_t *data,
                                        size_t len);
#ifdef CF_UNSAFE_NO_DURABILITY
/** The fault tests' control build only: publish at once, even with the loop blocked. */
CF_MUST_CHECK cf_status cf_link_publish_at_once(cf_link *l, const char *subject,
                                                const uint8_t *data, size_t len);
#endif
/** Loop thread: take up to max queued messages, oldest first; free each
 * with free(). If more remain, the loop is woken again for them. */
cf_link_msg *cf_link_take(cf_link *l, size_t max);
/** Messages nats.c dropped as a slow consumer (past its pending limits). Loop
 * thread. */
uint64_t cf_link_dropped(const cf_link *l);
/** The server URL and a short state for status output. */
const char *cf_link_url(const cf_link *l);

/**
 * Flush what is buffered (off the loop thread, at most a few seconds), close
 * the connection and free the link; then call done on the loop thread.
 */
void cf_link_close(cf_link *l, void (*done)(void *ctx), void *ctx);

/** Release nats.c's process-wide state; call once, after the loop has ended. */
void cf_link_shutdown(void);

#endif
