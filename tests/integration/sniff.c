/*
 * sniff.c - what a hostile or curious NATS operator sees: a client with
 * the right to subscribe to every subject records every message, and the
 * recording is then searched for plaintext and tried against a node's keys.
 *
 *   cf_sniff capture URL USER PASSWORD FILE   record until SIGTERM; prints
 *                                             "ready" once subscribed
 *   cf_sniff count FILE TEXT                  messages whose bytes contain TEXT
 *   cf_sniff open FILE KEYFILE NODE           sealed messages, and how many
 *                                             open with NODE's identity key
 * A recording is a sequence of (u32 length, message bytes).
 */
#include "common/common.h"
#include "keys/keys.h"
#include "proto/proto.h"

#include <nats/nats.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static FILE *out;

static void
on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void
on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    uint8_t len[4];
    uint32_t n = (uint32_t)natsMsg_GetDataLength(msg);

    (void)nc;
    (void)sub;
    (void)closure;
    len[0] = (uint8_t)(n >> 24);
    len[1] = (uint8_t)(n >> 16);
    len[2] = (uint8_t)(n >> 8);
    len[3] = (uint8_t)n;
    fwrite(len, 1, 4, out);
    fwrite(natsMsg_GetData(msg), 1, n, out);
    fflush(out);
    natsMsg_Destroy(msg);
}

static int
capture(const char *url, const char *user, const char *pass, const char *path)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsStatus s;

    out = fopen(path, "wb");
    if (!out) {
        perror(path);
        return 1;
    }
    signal(SIGTERM, on_term);
    s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetUserInfo(o, user, pass);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, nc, ">", on_msg, NULL);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(nc);
    if (s != NATS_OK) {
        fprintf(stderr, "cf_sniff: %s: %s\n", url, natsStatus_GetText(s));
        natsOptions_Destroy(o);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!stop)
        nats_Sleep(20);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    fclose(out);
    return 0;
}

/* Call fn for each recorded message; returns how many there were, or -1. */
static long
each(const char *path, void (*fn)(const uint8_t *, size_t, void *), void *arg)
{
    size_t len = 0;
    uint8_t *data = NULL;
    long count = 0;

    if (cf_file_read(path, 1 << 30, &data, &len) != CF_OK) {
        fprintf(stderr, "cf_sniff: cannot read %s\n", path);
        return -1;
    }
    for (size_t i = 0; i + 4 <= len;) {
        size_t n = (size_t)data[i] << 24 | (size_t)data[i + 1] << 16 | (size_t)data[i + 2] << 8 |
                   data[i + 3];
        if (i + 4 + n > len)
            break;
        fn(data + i + 4, n, arg);
        i += 4 + n;
        count++;
    }
    free(data);
    return count;
}

typedef struct grep_ctx {
    const char *text;
    long found;
} grep_ctx;

static void
grep_one(const uint8_t *p, size_t n, void *arg)
{
    grep_ctx *c = arg;

    if (memmem(p, n, c->text, strlen(c->text)))
        c->found++;
}

typedef struct open_ctx {
    cf_identity *id;
    const char *node;
    long sealed, opened, secret_seen;
    const char *secret;
} open_ctx;

static void
open_one(const uint8_t *p, size_t n, void *arg)
{
    open_ctx *c = arg;
    cf_message *m = NULL;
    cf_buf inner;

    if (cf_envelope_open(p, n, NULL, CF_MSG_SEALED, NULL, 0, &m) != CF_OK)
        return;
    c->sealed++;
    cf_buf_init(&inner);
    if (cf_seal_open(c->id, c->node, &m->body.u.sealed, &inner) == CF_OK) {
        c->opened++;
        if (c->secret && memmem(inner.data, inner.len, c->secret, strlen(c->secret)))
            c->secret_seen++;
    }
    cf_buf_clear(&inner);
    cf_message_free(m);
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 6 && strcmp(argv[1], "capture") == 0)
        return capture(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 4 && strcmp(argv[1], "count") == 0) {
        grep_ctx c = {argv[3], 0};
        long total = each(argv[2], grep_one, &c);
        if (total < 0)
            return 1;
        printf("messages=%ld found=%ld\n", total, c.found);
        return 0;
    }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "open") == 0) {
        open_ctx c = {NULL, argv[4], 0, 0, 0, argc == 6 ? argv[5] : NULL};
        cf_status st = cf_identity_load(argv[3], NULL, &c.id);
        if (st != CF_OK) {
            fprintf(stderr, "cf_sniff: %s: %s\n", argv[3], cf_status_str(st));
            return 1;
        }
        long total = each(argv[2], open_one, &c);
        cf_identity_free(c.id);
        if (total < 0)
            return 1;
        printf("messages=%ld sealed=%ld opened=%ld secret=%ld\n", total, c.sealed, c.opened,
               c.secret_seen);
        return 0;
    }
    fprintf(stderr, "usage: cf_sniff capture URL USER PASSWORD FILE | count FILE TEXT |\n"
                    "       open FILE KEYFILE NODE [SECRET]\n");
    return 2;
}
