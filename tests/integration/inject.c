/*
 * inject.c - a hostile or replaying client for the integration tests. It
 * speaks NATS with a node's transport key (as a compromised machine or a
 * hostile server could) and makes envelopes no honest node would send.
 *
 * cf_inject forge KIND FEDERATION ORIGIN KEYFILE|random OUT [ARG]
 *     writes a message signed by KEYFILE's identity (or a fresh key) that
 *     claims ORIGIN. KIND: directive; tasking (ARG: the assignee);
 *     incident (ARG: the owner; an update of ARG-1 at revision 2);
 *     catchup (a catch-up request to ARG, sequence 0).
 *     Its sequence number is 1000000, or $CERTFED_INJECT_SEQ.
 * cf_inject publish URL NKEYFILE SUBJECT FILE [COUNT]
 *     publishes FILE's bytes (COUNT times, at once).
 * cf_inject capture URL NKEYFILE SUBJECT OUT SECONDS
 *     saves the first message on SUBJECT.
 *
 * Exit 0 on success, 1 on failure (with a message), 2 on bad usage.
 */
#include "common/common.h"
#include "keys/keys.h"

#include <nats/nats.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
forge(const char *kind, const char *federation, const char *origin, const char *keyfile,
      const char *out, const char *arg)
{
    char incident_id[64];
    const char *assignees[1] = {arg};
    cf_identity *id = NULL;
    cf_body b;
    cf_buf body, wire;
    cf_status st;

    st = strcmp(keyfile, "random") == 0 ? cf_identity_generate(&id)
                                        : cf_identity_load(keyfile, NULL, &id);
    if (st != CF_OK) {
        fprintf(stderr, "cf_inject: key %s: %s\n", keyfile, cf_status_str(st));
        return 1;
    }
    memset(&b, 0, sizeof(b));
    b.header.federation = federation;
    b.header.origin = origin;
    b.header.seq = 1000000; /* far above anything real: it must still be refused */
    /* or a sequence the origin has used: a second history (a fork) */
    const char *seq = getenv("CERTFED_INJECT_SEQ");
    if (seq && *seq)
        b.header.seq = strtoull(seq, NULL, 10);
    b.header.created_ms = cf_clock_now_ms();
    if (strcmp(kind, "directive") == 0) {
        b.type = CF_MSG_DIRECTIVE;
        b.u.directive.number = "FORGED-1";
        b.u.directive.version = 1;
        b.u.directive.kind = 3;
        b.u.directive.title = "Disconnect all banks from the Internet now";
    } else if (strcmp(kind, "tasking") == 0 && arg) {
        b.type = CF_MSG_TASKING;
        b.u.tasking.id = "forged-t1";
        b.u.tasking.issuer = origin;
        b.u.tasking.assignees.v = assignees;
        b.u.tasking.assignees.n = 1;
        b.u.tasking.kind = 1;
        b.u.tasking.instructions = "Hand over your logs";
    } else if (strcmp(kind, "incident") == 0 && arg) {
        snprintf(incident_id, sizeof(incident_id), "%s-1", arg);
        b.type = CF_MSG_INCIDENT;
        b.u.incident.id = incident_id;
        b.u.incident.owner = arg;
        b.u.incident.revision = 2;
        b.u.incident.title = "Nothing happened";
        b.u.incident.status = 5;
        b.u.incident.tlp = 1;
    } else if (strcmp(kind, "catchup") == 0 && arg) {
        b.type = CF_MSG_CATCHUP_REQUEST;
        b.header.seq = 0;
        b.header.expires_ms = b.header.created_ms + 3600 * 1000;
        b.header.audience.nodes.v = assignees; /* {arg}, alive to the end */
        b.header.audience.nodes.n = 1;
        b.u.catchup_request.max_batch = 500;
    } else {
        cf_identity_free(id);
        fprintf(stderr, "cf_inject: unknown kind %s (or missing ARG)\n", kind);
        return 2;
    }
    cf_buf_init(&body);
    cf_buf_init(&wire);
    st = cf_body_encode(&b, NULL, &body);
    if (st == CF_OK)
        st = cf_envelope_seal(b.type, body.data, body.len, id->sign_sk, &wire);
    if (st == CF_OK)
        st = cf_file_write(out, wire.data, wire.len, 0644, false);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
    cf_identity_free(id);
    if (st != CF_OK) {
        fprintf(stderr, "cf_inject: forge: %s\n", cf_status_str(st));
        return 1;
    }
    return 0;
}

static cf_nkey *nkey;

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
connect_as(const char *url, const char *nkfile)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    natsStatus s;

    if (cf_nkey_load(nkfile, &nkey) != CF_OK) {
        fprintf(stderr, "cf_inject: cannot load %s\n", nkfile);
        return NULL;
    }
    cf_nkey_public_encode(nkey->pk, pub);
    s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetNKey(o, pub, sign_nonce, NULL);
    /* a loaded test machine (sanitizers, parallel tests) may be slow */
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    for (int attempt = 0; s == NATS_OK && attempt < 3; attempt++) {
        s = natsConnection_Connect(&nc, o);
        if (s == NATS_OK)
            break;
        fprintf(stderr, "cf_inject: connect %s: %s (attempt %d)\n", url, natsStatus_GetText(s),
                attempt + 1);
        s = attempt < 2 ? NATS_OK : s;
    }
    natsOptions_Destroy(o);
    return s == NATS_OK ? nc : NULL;
}

int
main(int argc, char **argv)
{
    natsConnection *nc;
    int rc = 1;

    if (sodium_init() < 0)
        return 1;
    if ((argc == 7 || argc == 8) && strcmp(argv[1], "forge") == 0)
        return forge(argv[2], argv[3], argv[4], argv[5], argv[6], argc == 8 ? argv[7] : NULL);
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "publish") == 0) {
        uint8_t *data = NULL;
        size_t len = 0;
        int count = argc == 7 ? atoi(argv[6]) : 1;
        if (count < 1 || cf_file_read(argv[5], 64 * 1024 * 1024, &data, &len) != CF_OK) {
            fprintf(stderr, "cf_inject: cannot read %s (or bad COUNT)\n", argv[5]);
            return 1;
        }
        nc = connect_as(argv[2], argv[3]);
        natsStatus ps = nc ? NATS_OK : NATS_ERR;
        for (int i = 0; ps == NATS_OK && i < count; i++)
            ps = natsConnection_Publish(nc, argv[4], data, (int)len);
        if (ps == NATS_OK && natsConnection_FlushTimeout(nc, 15000) == NATS_OK)
            rc = 0;
        else if (nc)
            fprintf(stderr, "cf_inject: publish to %s failed: %s\n", argv[4],
                    nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "?");
        free(data);
    } else if (argc == 7 && strcmp(argv[1], "capture") == 0) {
        natsSubscription *sub = NULL;
        natsMsg *m = NULL;
        nc = connect_as(argv[2], argv[3]);
        if (nc && natsConnection_SubscribeSync(&sub, nc, argv[4]) == NATS_OK &&
            natsConnection_Flush(nc) == NATS_OK) {
            printf("ready\n");
            fflush(stdout);
            if (natsSubscription_NextMsg(&m, sub, atoi(argv[6]) * 1000) == NATS_OK &&
                cf_file_write(argv[5], natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0644,
                              false) == CF_OK)
                rc = 0;
            else
                fprintf(stderr, "cf_inject: nothing captured on %s\n", argv[4]);
            natsMsg_Destroy(m);
        }
        natsSubscription_Destroy(sub);
    } else {
        fprintf(stderr, "usage: see the comment at the top of tests/integration/inject.c\n");
        return 2;
    }
    natsConnection_Destroy(nc);
    cf_nkey_free(nkey);
    nats_Close();
    return rc;
}
