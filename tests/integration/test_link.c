/*
 * test_link.c - the node's NATS link (node/link.c) against a real
 * nats-server: messages are read on the loop thread, and when the node
 * leaves its queue full, the rest waits in nats.c and comes later, in
 * order, with nothing lost and nothing counted as dropped. The link is
 * woken for that rest by itself: the loop here blocks until something
 * happens, and a link that forgot to wake itself would hang the test
 * (its alarm fails it). Past its pending limit nats.c drops, and the link
 * counts each message dropped: what the node got and what was counted
 * add up to what was sent. A server that checks no nkeys (it sends no nonce to
 * sign) is refused with a reason, not a crash.
 */
#include "check.h"
#include "harness/harness.h"
#include "node/link.h"

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PER_SUBJECT 40
#define QUEUE_MAX 4
#define SLOW_SENT 60   /* to a link whose nats.c holds ... */
#define SLOW_PENDING 5 /* ... this many while the node takes none */

typedef struct rx {
    cf_link *link;
    bool taking;      /* phase two: the node takes what is queued */
    int calls;        /* on_messages calls */
    int got[4];       /* messages taken, per subject (t.a, t.b, t.c, probes t.p.*) */
    int last_c;       /* the number of the last taken on t.c (-1: none) */
    int out_of_order; /* a message that was not the next of its subject */
    int other;        /* a message on neither subject, or malformed */
    bool connected;
} rx;

/* Take all that is queued: the queue empties while nats.c still holds
 * more, and only the link's own wake brings that in. */
static void
take_all(rx *r)
{
    cf_link_msg *m = cf_link_take(r->link, SIZE_MAX);

    while (m) {
        cf_link_msg *next = m->next;
        int which = strcmp(m->subject, "t.a") == 0        ? 0
                    : strcmp(m->subject, "t.b") == 0      ? 1
                    : strcmp(m->subject, "t.c") == 0      ? 2
                    : strncmp(m->subject, "t.p.", 4) == 0 ? 3
                                                          : -1;
        char text[32] = "";
        if (which < 0 || m->len >= sizeof(text)) {
            r->other++;
            free(m);
            m = next;
            continue;
        }
        memcpy(text, m->data, m->len);
        int number = atoi(text);
        if (which == 3) {
            /* a probe (await_subscribed) */
        } else if (which == 2) {
            /* some were dropped: the rest come in order, with gaps */
            if (number <= r->last_c)
                r->out_of_order++;
            r->last_c = number;
        } else if (number != r->got[which]) {
            r->out_of_order++;
        }
        r->got[which]++;
        free(m);
        m = next;
    }
}

static void
on_messages(void *ctx)
{
    rx *r = ctx;

    r->calls++;
    if (r->taking)
        take_all(r);
}

static void
on_state(void *ctx, bool connected)
{
    ((rx *)ctx)->connected = connected;
}

static void
on_sender_messages(void *ctx)
{
    (void)ctx;
}

static void
on_sender_state(void *ctx, bool connected)
{
    (void)ctx;
    (void)connected;
}

/* Phase two begins: the node takes again (as verify_done does in the node). */
static void
start_taking(uv_timer_t *t)
{
    rx *r = t->data;

    r->taking = true;
    take_all(r);
}

/* Run the loop for ms milliseconds. */
static void
run_for(uv_loop_t *loop, int64_t ms)
{
    int64_t until = h_now_ms() + ms;

    while (h_now_ms() < until)
        uv_run(loop, UV_RUN_NOWAIT);
}

/* Until a probe on probe_subject (the last subject r subscribed to) reaches
 * r: the server then has all of r's subscriptions, whatever the machine's
 * load. The probes are all taken before this returns. */
static void
await_subscribed(uv_loop_t *loop, cf_link *sender, rx *r, const char *probe_subject)
{
    bool was = r->taking;
    int64_t deadline = h_now_ms() + 20000;

    r->taking = true;
    while (r->got[3] == 0 && h_now_ms() < deadline) {
        CHECK(cf_link_publish(sender, probe_subject, (const uint8_t *)"p", 1) == CF_OK);
        run_for(loop, 20);
    }
    CHECK(r->got[3] > 0);
    run_for(loop, 100); /* the probes still on their way */
    r->taking = was;
}

static void
closed(void *ctx)
{
    (*(int *)ctx)++;
}

int
main(void)
{
    char *dir = h_tmpdir("link");
    h_nats nats;
    cf_nkey *key = NULL, *key2 = NULL;
    uv_loop_t loop;
    rx r = {0};
    cf_link *sender = NULL;
    char err[256];

    CHECK(sodium_init() >= 0);
    CHECK(dir != NULL);
    CHECK(cf_nkey_generate(&key) == CF_OK);
    CHECK(cf_nkey_generate(&key2) == CF_OK);
    CHECK(uv_loop_init(&loop) == 0);
    if (check_failures)
        return check_done("test_link");
    alarm(60); /* a link that never wakes itself for what nats.c holds hangs */

    /* a server that checks no nkeys sends no nonce: the link refuses it
     * (it crashed on the missing nonce once) */
    char *open_dir = h_tmpdir("link-open");
    h_nats open_nats;
    CHECK(open_dir && h_nats_start(NULL, open_dir, &open_nats) == CF_OK);
    if (!check_failures) {
        cf_link *l = NULL;
        cf_link_options oo = {open_nats.url, "open", key, 16, 1 << 20, 0, 500};
        cf_link_callbacks ocb = {on_sender_messages, on_sender_state};
        int done = 0;
        CHECK(cf_link_new(&loop, &oo, &ocb, NULL, &l) == CF_OK);
        CHECK_ST(cf_link_start(l, false, err, sizeof(err)), CF_E_UNREACHABLE);
        if (!strstr(err, "does not check nkeys"))
            fprintf(stderr, "the refusal says: %s\n", err);
        CHECK(strstr(err, ": the server sent no nonce to sign: it does not check nkeys") != NULL);
        CHECK(!cf_link_connected(l));
        cf_link_close(l, closed, &done);
        while (!done)
            uv_run(&loop, UV_RUN_ONCE);
        h_nats_stop(&open_nats);
    }
    h_rmtree(open_dir);
    free(open_dir);

    /* the server the rest uses knows both keys */
    char conf[4096], pub[CF_NKEY_PUBLIC_LEN + 1], pub2[CF_NKEY_PUBLIC_LEN + 1];
    cf_nkey_public_encode(key->pk, pub);
    cf_nkey_public_encode(key2->pk, pub2);
    snprintf(conf, sizeof(conf), "%s/nats.conf", dir);
    FILE *f = fopen(conf, "w");
    CHECK(f != NULL);
    if (f) {
        fprintf(f, "authorization { users = [ { nkey: \"%s\" }, { nkey: \"%s\" } ] }\n", pub, pub2);
        fclose(f);
    }
    CHECK(h_nats_start(conf, dir, &nats) == CF_OK);
    if (check_failures)
        return check_done("test_link");

    cf_link_options lo = {nats.url, "receiver", key, QUEUE_MAX, 1 << 20, 0, 500};
    cf_link_callbacks cb = {on_messages, on_state};
    CHECK(cf_link_new(&loop, &lo, &cb, &r, &r.link) == CF_OK);
    CHECK(cf_link_subscribe(r.link, "t.a") == CF_OK);
    CHECK(cf_link_subscribe(r.link, "t.b") == CF_OK);
    CHECK(cf_link_subscribe(r.link, "t.p.r") == CF_OK);
    CHECK(cf_link_start(r.link, false, err, sizeof(err)) == CF_OK);
    cf_link_options so = {nats.url, "sender", key2, 16, 1 << 20, 0, 500};
    cf_link_callbacks scb = {on_sender_messages, on_sender_state};
    CHECK(cf_link_new(&loop, &so, &scb, NULL, &sender) == CF_OK);
    CHECK(cf_link_start(sender, false, err, sizeof(err)) == CF_OK);
    if (check_failures) {
        fprintf(stderr, "the links did not start: %s\n", err);
        h_nats_stop(&nats);
        return check_done("test_link");
    }
    /* the subscriptions reach the server before anything is published */
    await_subscribed(&loop, sender, &r, "t.p.r");
    CHECK(r.connected);

    /* phase one: 80 messages, and the node takes none; its queue fills */
    for (int i = 0; i < PER_SUBJECT; i++) {
        char text[16];
        int n = snprintf(text, sizeof(text), "%d", i);
        CHECK(cf_link_publish(sender, "t.a", (const uint8_t *)text, (size_t)n) == CF_OK);
        CHECK(cf_link_publish(sender, "t.b", (const uint8_t *)text, (size_t)n) == CF_OK);
    }
    int64_t until = h_now_ms() + 500;
    while (h_now_ms() < until)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(r.calls >= 1);
    CHECK(r.got[0] + r.got[1] == 0);

    /* phase two: the node takes what is queued, a queue's worth a turn;
     * the loop blocks between events, so only the link's own wake moves
     * the rest */
    uv_timer_t t;
    CHECK(uv_timer_init(&loop, &t) == 0);
    t.data = &r;
    CHECK(uv_timer_start(&t, start_taking, 10, 0) == 0);
    while (r.got[0] + r.got[1] < 2 * PER_SUBJECT)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK(r.got[0] == PER_SUBJECT);
    CHECK(r.got[1] == PER_SUBJECT);
    CHECK(r.out_of_order == 0);
    CHECK(r.other == 0);
    CHECK(cf_link_dropped(r.link) == 0);

    /* a link whose nats.c may hold only SLOW_PENDING while the node takes
     * none: nats.c drops the rest, and each one dropped is counted */
    rx slow = {.last_c = -1};
    cf_link_options wo = {nats.url, "slow", key, QUEUE_MAX, 1 << 20, SLOW_PENDING, 500};
    CHECK(cf_link_new(&loop, &wo, &cb, &slow, &slow.link) == CF_OK);
    CHECK(cf_link_subscribe(slow.link, "t.c") == CF_OK);
    CHECK(cf_link_subscribe(slow.link, "t.p.slow") == CF_OK);
    CHECK(cf_link_start(slow.link, false, err, sizeof(err)) == CF_OK);
    await_subscribed(&loop, sender, &slow, "t.p.slow");
    for (int i = 0; i < SLOW_SENT; i++) {
        char text[16];
        int n = snprintf(text, sizeof(text), "%d", i);
        CHECK(cf_link_publish(sender, "t.c", (const uint8_t *)text, (size_t)n) == CF_OK);
    }
    until = h_now_ms() + 500;
    while (h_now_ms() < until)
        uv_run(&loop, UV_RUN_NOWAIT);
    slow.taking = true;
    take_all(&slow);
    /* what a loaded machine delivered late is taken, not dropped */
    int64_t deadline = h_now_ms() + 10000;
    while (slow.got[2] + (int)cf_link_dropped(slow.link) < SLOW_SENT && h_now_ms() < deadline)
        run_for(&loop, 20);
    run_for(&loop, 100); /* and nothing more comes */
    uint64_t dropped = cf_link_dropped(slow.link);
    if (slow.got[2] + (int)dropped != SLOW_SENT)
        fprintf(stderr, "slow link: got %d, dropped %" PRIu64 " of %d\n", slow.got[2], dropped,
                SLOW_SENT);
    CHECK(dropped >= 1);
    CHECK(slow.got[2] >= 1);
    CHECK(slow.got[2] + (int)dropped == SLOW_SENT);
    CHECK(slow.out_of_order == 0);
    CHECK(slow.other == 0);
    CHECK(cf_link_dropped(r.link) == 0);

    /* closing with messages left in nats.c and one taken but not queued
     * frees them (AddressSanitizer's leak check holds the test to it) */
    r.taking = false;
    for (int i = 0; i < 10; i++) {
        char text[16];
        int n = snprintf(text, sizeof(text), "%d", PER_SUBJECT + i);
        CHECK(cf_link_publish(sender, "t.a", (const uint8_t *)text, (size_t)n) == CF_OK);
    }
    until = h_now_ms() + 300;
    while (h_now_ms() < until)
        uv_run(&loop, UV_RUN_NOWAIT);
    int closes = 0;
    uv_close((uv_handle_t *)&t, NULL);
    cf_link_close(r.link, closed, &closes);
    cf_link_close(slow.link, closed, &closes);
    cf_link_close(sender, closed, &closes);
    while (closes < 3)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    alarm(0);
    cf_link_shutdown();
    cf_nkey_free(key);
    cf_nkey_free(key2);
    h_nats_stop(&nats);
    h_rmtree(dir);
    free(dir);
    return check_done("test_link");
}
