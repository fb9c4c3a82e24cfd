/*
 * make_corpus.c - writes the seed corpus of fuzz_envelope: one valid signed
 * envelope of every message type (federation "pk"), and the same bodies
 * prefixed by their type byte for the direct body decoder. Run it to
 * regenerate tests/fuzz/corpus/envelope: make_corpus DIR.
 */
#include "proto/proto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void
write_file(const char *dir, const char *name, const uint8_t *a, size_t alen, const uint8_t *b,
           size_t blen)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(a, 1, alen, f);
    if (b)
        fwrite(b, 1, blen, f);
    fclose(f);
}

int
main(int argc, char **argv)
{
    uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN], id[CF_ID_LEN];
    const char *nodes[] = {"banking", "telecom"};
    cf_observable obs[] = {{"ip", "203.0.113.7", true}, {"domain", "evil.example", false}};
    cf_high_water_mark marks[] = {{"punjab", 41, true, {0}}};
    int roles[] = {CF_ROLE_SECTORAL};
    cf_bytes envs[1];
    uint8_t inner_buf[256];
    size_t inner_len = 0;

    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: make_corpus DIR\n");
        return 2;
    }
    memset(sk, 0x42, 32);
    crypto_sign_seed_keypair(pk, sk, sk); /* a fixed key: the corpus is stable */
    memset(id, 0x17, sizeof(id));
    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        cf_body b;
        cf_buf body, wire;
        char name[64];
        uint8_t t = (uint8_t)type;

        memset(&b, 0, sizeof(b));
        b.type = (cf_msg_type)type;
        b.header.federation = "pk";
        b.header.origin = "punjab";
        b.header.seq = 42;
        b.header.has_prev_hash = true;
        memcpy(b.header.prev_hash, id, CF_ID_LEN);
        b.header.created_ms = 1796000000000;
        b.header.audience.nodes.v = nodes;
        b.header.audience.nodes.n = 2;
        switch (b.type) {
        case CF_MSG_INCIDENT:
            b.u.incident.id = "punjab-1";
            b.u.incident.revision = 1;
            b.u.incident.title = "Phishing wave against bank customers";
            b.u.incident.severity = 3;
            b.u.incident.tlp = 3;
            b.u.incident.observables = obs;
            b.u.incident.n_observables = 2;
            break;
        case CF_MSG_TASKING:
            b.u.tasking.id = "ncert-t1";
            b.u.tasking.assignees.v = nodes;
            b.u.tasking.assignees.n = 2;
            break;
        case CF_MSG_TASK_STATUS:
            b.u.task_status.task = "ncert-t1";
            b.u.task_status.state = 2;
            break;
        case CF_MSG_DIRECTIVE:
            b.u.directive.number = "2026-014";
            b.u.directive.roles = roles;
            b.u.directive.n_roles = 1;
            break;
        case CF_MSG_ACK:
            memcpy(b.u.ack.message_id, id, CF_ID_LEN);
            b.u.ack.node = "banking";
            b.u.ack.state = 1;
            break;
        case CF_MSG_MEMBER_CERT:
            b.u.cert.node = "banking";
            b.u.cert.role = CF_ROLE_SECTORAL;
            b.u.cert.parent = "ncert";
            memcpy(b.u.cert.identity_key, pk, CF_PK_LEN);
            memcpy(b.u.cert.issuer_key, pk, CF_PK_LEN);
            b.u.cert.not_after_ms = 1900000000000;
            break;
        case CF_MSG_REVOCATION:
            memcpy(b.u.revocation.key, pk, CF_PK_LEN);
            b.u.revocation.node = "banking";
            b.u.revocation.last_good_seq = 7;
            break;
        case CF_MSG_CATCHUP_REQUEST:
            b.u.catchup_request.marks = marks;
            b.u.catchup_request.n_marks = 1;
            b.u.catchup_request.max_batch = 100;
            break;
        case CF_MSG_CATCHUP_BATCH:
            envs[0].data = inner_buf;
            envs[0].len = inner_len;
            memcpy(b.u.catchup_batch.request, id, CF_ID_LEN);
            b.u.catchup_batch.envelopes = envs;
            b.u.catchup_batch.n_envelopes = inner_len ? 1 : 0;
            break;
        case CF_MSG_SEALED: {
            static cf_sealed_recipient rs[2] = {{"punjab", {0}}, {"ncert", {0}}};
            static const uint8_t ct[40] = {1, 2, 3};
            b.u.sealed.inner_type = CF_MSG_INCIDENT;
            b.u.sealed.recipients = rs;
            b.u.sealed.n_recipients = 2;
            b.u.sealed.ciphertext = ct;
            b.u.sealed.ciphertext_len = sizeof(ct);
            break;
        }
        }
        cf_buf_init(&body);
        cf_buf_init(&wire);
        if (cf_body_encode(&b, NULL, &body) != CF_OK ||
            cf_envelope_seal(b.type, body.data, body.len, sk, &wire) != CF_OK) {
            fprintf(stderr, "cannot build type %d\n", type);
            return 1;
        }
        if (type == CF_MSG_TASK_STATUS && wire.len <= sizeof(inner_buf)) {
            memcpy(inner_buf, wire.data, wire.len); /* nested in the batch seed */
            inner_len = wire.len;
        }
        snprintf(name, sizeof(name), "envelope-%s", cf_msg_type_name(type));
        write_file(argv[1], name, wire.data, wire.len, NULL, 0);
        snprintf(name, sizeof(name), "body-%s", cf_msg_type_name(type));
        write_file(argv[1], name, &t, 1, body.data, body.len);
        cf_buf_clear(&body);
        cf_buf_clear(&wire);
    }
    return 0;
}
