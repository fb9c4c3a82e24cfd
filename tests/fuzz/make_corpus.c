/*
 * make_corpus.c - writes the generated seeds of fuzz_envelope and fuzz_body:
 * one valid envelope of every message type, signed with a fixed key
 * (federation "pk"), into CORPUS/envelope, and the same bodies prefixed by
 * their type byte into CORPUS/body. The catch-up batch carries the
 * envelopes of every other type, and a second batch carries the first one,
 * so the envelopes inside batches start from valid ones too. Run it to
 * regenerate them: make_corpus tests/fuzz/corpus.
 */
#include "proto/proto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int
write_file(const char *dir, const char *sub, const char *name, const uint8_t *a, size_t alen,
           const uint8_t *b, size_t blen)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    ok = fwrite(a, 1, alen, f) == alen && (!b || fwrite(b, 1, blen, f) == blen);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The header every seed carries. */
static void
header(cf_body *b, cf_msg_type type)
{
    static const char *nodes[] = {"banking", "telecom"};

    memset(b, 0, sizeof(*b));
    b->type = type;
    b->header.federation = "pk";
    b->header.origin = "punjab";
    b->header.seq = 42;
    b->header.has_prev_hash = true;
    memset(b->header.prev_hash, 0x17, CF_ID_LEN);
    b->header.created_ms = 1796000000000;
    b->header.audience.nodes.v = nodes;
    b->header.audience.nodes.n = 2;
}

/* Write body b as CORPUS/body/NAME and, signed, as CORPUS/envelope/NAME;
 * the envelope is appended to env (for the batches). */
static int
emit(const char *dir, const char *name, const cf_body *b, const uint8_t sk[CF_SK_LEN], cf_buf *env)
{
    cf_buf body, wire;
    uint8_t t = (uint8_t)b->type;
    int rc = -1;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    if (cf_body_encode(b, NULL, &body) != CF_OK ||
        cf_envelope_seal(b->type, body.data, body.len, sk, &wire) != CF_OK) {
        fprintf(stderr, "cannot build %s\n", name);
        goto out;
    }
    if (write_file(dir, "body", name, &t, 1, body.data, body.len) != 0 ||
        write_file(dir, "envelope", name, wire.data, wire.len, NULL, 0) != 0)
        goto out;
    if (env && cf_buf_append(env, wire.data, wire.len) != CF_OK)
        goto out;
    rc = 0;
out:
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
    return rc;
}

int
main(int argc, char **argv)
{
    uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN], seed[32];
    const char *nodes[] = {"banking", "telecom"}, *related[] = {"punjab-1"};
    const char *actions[] = {"Block the listed domains", "Report matches"};
    cf_observable obs[] = {{"ip", "203.0.113.7", true}, {"domain", "evil.example", false}};
    cf_high_water_mark marks[] = {{"punjab", 41, true, {0}}, {"sindh", 7, false, {0}}};
    int roles[] = {CF_ROLE_SECTORAL, CF_ROLE_PROVINCIAL};
    cf_buf inner[CF_MSG_TYPE_MAX + 1];
    cf_bytes envs[CF_MSG_TYPE_MAX + 1];
    size_t n_envs = 0;
    int rc = 1;

    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: make_corpus CORPUS-DIR (writes its envelope/ and body/)\n");
        return 2;
    }
    memset(seed, 0x42, sizeof(seed)); /* a fixed key: the corpus is stable */
    crypto_sign_seed_keypair(pk, sk, seed);
    for (size_t i = 0; i < CF_ARRAY_LEN(inner); i++)
        cf_buf_init(&inner[i]);
    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        cf_body b;
        header(&b, (cf_msg_type)type);
        switch (b.type) {
        case CF_MSG_INCIDENT: {
            cf_incident *i = &b.u.incident;
            i->id = "punjab-2";
            i->revision = 2;
            i->title = "Phishing wave against bank customers";
            i->description = "Lure mails with a fake login page";
            i->rsit_class = "fraud";
            i->rsit_type = "phishing";
            i->severity = 3;
            i->confidence = 80;
            i->determination = 1;
            i->tlp = 3;
            i->pap = 2;
            i->status = 2;
            i->owner = "punjab";
            i->analyst = "a.khan";
            i->sector = "banking";
            i->province = "punjab";
            i->constituent = "lahore-bank";
            i->detected_ms = 1795990000000;
            i->reported_ms = 1795999000000;
            i->observables = obs;
            i->n_observables = 2;
            i->related.v = related;
            i->related.n = 1;
            i->supersedes = "punjab-1";
            i->note = "second wave";
            i->source = "stix incident--6f1f3e0a-0c8e-4b7e-9d55-0f6b1c1f7a21";
            break;
        }
        case CF_MSG_TASKING:
            b.u.tasking.id = "ncert-t1";
            b.u.tasking.issuer = "punjab";
            b.u.tasking.assignees.v = nodes;
            b.u.tasking.assignees.n = 2;
            b.u.tasking.kind = 2;
            b.u.tasking.instructions = "Block the sender domains";
            b.u.tasking.incident = "punjab-2";
            b.u.tasking.priority = 2;
            b.u.tasking.due_ms = 1796100000000;
            break;
        case CF_MSG_TASK_STATUS:
            b.u.task_status.task = "ncert-t1";
            b.u.task_status.assignee = "punjab";
            b.u.task_status.state = 5;
            b.u.task_status.reason = "not our constituency";
            break;
        case CF_MSG_DIRECTIVE:
            b.u.directive.number = "2026-014";
            b.u.directive.version = 2;
            b.u.directive.kind = 3;
            b.u.directive.title = "Patch the VPN gateways";
            b.u.directive.actions.v = actions;
            b.u.directive.actions.n = 2;
            b.u.directive.roles = roles;
            b.u.directive.n_roles = 2;
            b.u.directive.sectors.v = nodes;
            b.u.directive.sectors.n = 1;
            b.u.directive.ack_required = true;
            b.u.directive.ack_by_ms = 1796200000000;
            b.header.expires_ms = 1797000000000;
            break;
        case CF_MSG_ACK:
            memset(b.u.ack.message_id, 0x17, CF_ID_LEN);
            b.u.ack.node = "punjab";
            b.u.ack.state = 2;
            b.u.ack.at_ms = 1796000000001;
            break;
        case CF_MSG_MEMBER_CERT:
            b.u.cert.node = "banking";
            b.u.cert.role = CF_ROLE_SECTORAL;
            b.u.cert.parent = "ncert";
            memcpy(b.u.cert.identity_key, pk, CF_PK_LEN);
            memcpy(b.u.cert.issuer_key, pk, CF_PK_LEN);
            b.u.cert.serial = 9;
            b.u.cert.not_after_ms = 1900000000000;
            break;
        case CF_MSG_REVOCATION:
            memcpy(b.u.revocation.key, pk, CF_PK_LEN);
            b.u.revocation.node = "banking";
            b.u.revocation.last_good_seq = 7;
            b.u.revocation.reason = "key lost";
            break;
        case CF_MSG_CATCHUP_REQUEST:
            b.u.catchup_request.marks = marks;
            b.u.catchup_request.n_marks = 2;
            b.u.catchup_request.max_batch = 100;
            b.u.catchup_request.own_only = true;
            break;
        case CF_MSG_CATCHUP_BATCH:
            /* every envelope made so far rides in it */
            memset(b.u.catchup_batch.request, 0x17, CF_ID_LEN);
            b.u.catchup_batch.envelopes = envs;
            b.u.catchup_batch.n_envelopes = n_envs;
            b.u.catchup_batch.more = true;
            b.u.catchup_batch.scanned = marks;
            b.u.catchup_batch.n_scanned = 1;
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
        if (emit(argv[1], cf_msg_type_name(type), &b, sk, &inner[n_envs]) != 0)
            goto out;
        envs[n_envs].data = inner[n_envs].data;
        envs[n_envs].len = inner[n_envs].len;
        n_envs++;
    }
    /* a batch inside a batch */
    cf_body nested;
    header(&nested, CF_MSG_CATCHUP_BATCH);
    memset(nested.u.catchup_batch.request, 0x18, CF_ID_LEN);
    nested.u.catchup_batch.envelopes = &envs[n_envs - 1];
    nested.u.catchup_batch.n_envelopes = 1;
    if (emit(argv[1], "catchupbatch-nested", &nested, sk, NULL) != 0)
        goto out;
    /* a receipt for three messages at once */
    static uint8_t more[2 * CF_ID_LEN];
    cf_body receipt;
    memset(more, 0x19, sizeof(more));
    header(&receipt, CF_MSG_ACK);
    memset(receipt.u.ack.message_id, 0x17, CF_ID_LEN);
    receipt.u.ack.more_ids = more;
    receipt.u.ack.n_more = 2;
    receipt.u.ack.node = "ncert";
    receipt.u.ack.state = 1;
    receipt.u.ack.at_ms = 1796000000002;
    if (emit(argv[1], "receipt-batch", &receipt, sk, NULL) != 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < CF_ARRAY_LEN(inner); i++)
        cf_buf_clear(&inner[i]);
    return rc;
}
