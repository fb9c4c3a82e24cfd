/*
 * inject.c - a hostile or replaying client for the integration and security
 * tests. It speaks NATS with a node's transport key (as a compromised machine
 * or a hostile server could) and makes envelopes no honest node would send.
 *
 * cf_inject forge KIND FEDERATION ORIGIN KEYFILE|random OUT [ARG]
 *     writes a message signed by KEYFILE's identity (or a fresh key) that
 *     claims ORIGIN. KIND: directive; tasking (ARG: the assignee);
 *     incident (ARG: the owner; an update of ARG-1 at revision 2);
 *     catchup (a catch-up request to ARG, sequence 0); ack (ARG:
 *     NODE:MESSAGE-ID-HEX, a receipt in NODE's name).
 *     Its sequence number is 1000000, or $CERTFED_INJECT_SEQ; with
 *     $CERTFED_INJECT_EXPIRES_MS it expires that many milliseconds after
 *     it was made (negative: it expired before it was made); a directive
 *     has $CERTFED_INJECT_ACTIONS required actions (up to 2048).
 * cf_inject rewrite MODE IN OUT [ARG]
 *     rewrites the envelope in file IN without its signing key: type N
 *     (relabels it as type N), reorder (its body's fields in reverse order),
 *     varint (its body's varints in non-minimal form), frame (the envelope's
 *     own fields reversed, with non-minimal varints; body and signature
 *     unchanged), pad N (an unknown N-byte field appended), truncate (its
 *     first half), unsign (no signer, no signature).
 * cf_inject junk MODE OUT [N SEED]
 *     writes bytes that are no envelope: random (N bytes from SEED, the same
 *     for the same seed), badvarint (a varint that never ends).
 * cf_inject inspect FILE
 *     decodes FILE without verifying it and prints what it claims.
 * cf_inject publish URL NKEYFILE SUBJECT[,SUBJECT...] FILE [COUNT]
 *     publishes FILE's bytes on each SUBJECT (COUNT times, at once).
 * cf_inject flood URL NKEYFILE SUBJECT KEYFILE FEDERATION ORIGIN COUNT [SECONDS]
 *     signs COUNT different low-severity incidents of ORIGIN (one hash
 *     chain, from sequence 1000000 or $CERTFED_INJECT_SEQ) and publishes
 *     them as fast as it can, or evenly over SECONDS, saying "published N"
 *     every 500 and, at the end, when it began and ended (Unix ms).
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

/* The sequence number of a forged message: $CERTFED_INJECT_SEQ or 1000000. */
static uint64_t
inject_seq(void)
{
    const char *seq = getenv("CERTFED_INJECT_SEQ");

    return seq && *seq ? strtoull(seq, NULL, 10) : 1000000;
}

static int
forge(const char *kind, const char *federation, const char *origin, const char *keyfile,
      const char *out, const char *arg)
{
    char incident_id[64], ack_node[64];
    const char *assignees[1] = {arg};
    const char *actions[2048];
    cf_limits lim = cf_limits_default();
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
    /* far above anything real: it must still be refused; or a sequence the
     * origin has used: a second history (a fork) */
    b.header.seq = inject_seq();
    b.header.created_ms = cf_clock_now_ms();
    const char *expires = getenv("CERTFED_INJECT_EXPIRES_MS");
    if (expires && *expires)
        b.header.expires_ms = b.header.created_ms + strtoll(expires, NULL, 10);
    if (strcmp(kind, "directive") == 0) {
        b.type = CF_MSG_DIRECTIVE;
        b.u.directive.number = "FORGED-1";
        b.u.directive.version = 1;
        b.u.directive.kind = 3;
        b.u.directive.title = "Disconnect all banks from the Internet now";
        /* more required actions than a receiver takes (it must refuse them
         * as over its limit, not allocate for them) */
        const char *n_actions = getenv("CERTFED_INJECT_ACTIONS");
        if (n_actions && *n_actions) {
            b.u.directive.actions.n = strtoul(n_actions, NULL, 10);
            if (b.u.directive.actions.n > sizeof(actions) / sizeof(actions[0]))
                b.u.directive.actions.n = sizeof(actions) / sizeof(actions[0]);
            for (size_t i = 0; i < b.u.directive.actions.n; i++)
                actions[i] = "Disconnect";
            b.u.directive.actions.v = actions;
            lim.max_repeated = b.u.directive.actions.n;
        }
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
    } else if (strcmp(kind, "ack") == 0 && arg && strlen(arg) > 2 * CF_ID_LEN + 1 &&
               arg[strlen(arg) - 2 * CF_ID_LEN - 1] == ':' &&
               cf_hex_decode(arg + strlen(arg) - 2 * CF_ID_LEN, b.u.ack.message_id, CF_ID_LEN) ==
                   CF_OK) {
        snprintf(ack_node, sizeof(ack_node), "%.*s", (int)(strlen(arg) - 2 * CF_ID_LEN - 1), arg);
        b.type = CF_MSG_ACK;
        b.u.ack.node = ack_node;
        b.u.ack.state = 1; /* received */
        b.u.ack.at_ms = b.header.created_ms;
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
    st = cf_body_encode(&b, &lim, &body);
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

/* ---- the protobuf wire, by hand: to re-encode what we cannot sign ---------- */

/* One field as it appeared on the wire. */
typedef struct wire_field {
    uint32_t num;
    int wt;           /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    uint64_t v;       /* wire type 0 */
    const uint8_t *p; /* wire types 1, 2, 5 */
    size_t len;
} wire_field;

#define WIRE_FIELDS_MAX 256

static bool
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Split a message into its top-level fields; false if it does not parse. */
static bool
wire_split(const uint8_t *p, size_t len, wire_field *out, size_t *out_n)
{
    const uint8_t *end = p + len;
    size_t n = 0;

    while (p < end) {
        uint64_t tag, l;
        wire_field *f = &out[n];
        if (n == WIRE_FIELDS_MAX || !get_varint(&p, end, &tag) || tag >> 3 == 0 ||
            tag >> 3 > UINT32_MAX)
            return false;
        f->num = (uint32_t)(tag >> 3);
        f->wt = (int)(tag & 7);
        switch (f->wt) {
        case 0:
            if (!get_varint(&p, end, &f->v))
                return false;
            break;
        case 1:
        case 5:
            f->len = f->wt == 1 ? 8 : 4;
            if ((size_t)(end - p) < f->len)
                return false;
            f->p = p;
            p += f->len;
            break;
        case 2:
            if (!get_varint(&p, end, &l) || l > (uint64_t)(end - p))
                return false;
            f->p = p;
            f->len = (size_t)l;
            p += l;
            break;
        default:
            return false; /* groups: never in certfed's messages */
        }
        n++;
    }
    *out_n = n;
    return true;
}

/* A varint, minimal or one byte longer than it needs to be (a decoder takes
 * both; the longest form, ten bytes, cannot grow). */
static cf_status
put_varint(cf_buf *b, uint64_t v, bool padded)
{
    uint8_t t[11];
    size_t n = 0;

    do {
        t[n++] = (uint8_t)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v);
    t[n - 1] &= 0x7f;
    if (padded && n < 10) {
        t[n - 1] |= 0x80;
        t[n++] = 0;
    }
    return cf_buf_append(b, t, n);
}

static cf_status
put_field(cf_buf *b, const wire_field *f, bool padded)
{
    cf_status st = put_varint(b, (uint64_t)f->num << 3 | (uint64_t)f->wt, padded);

    if (st == CF_OK && f->wt == 0)
        return put_varint(b, f->v, padded);
    if (st == CF_OK && f->wt == 2)
        st = put_varint(b, f->len, padded);
    if (st == CF_OK && f->len)
        st = cf_buf_append(b, f->p, f->len);
    return st;
}

/* Fields in order (or reversed), with minimal (or padded) varints. */
static cf_status
put_fields(cf_buf *b, const wire_field *f, size_t n, bool reversed, bool padded)
{
    cf_status st = CF_OK;

    for (size_t i = 0; st == CF_OK && i < n; i++)
        st = put_field(b, &f[reversed ? n - 1 - i : i], padded);
    return st;
}

static int
rewrite(const char *mode, const char *in, const char *out, const char *arg)
{
    static wire_field env[WIRE_FIELDS_MAX], body[WIRE_FIELDS_MAX];
    uint8_t *data = NULL;
    size_t len = 0, n_env = 0, n_body = 0;
    cf_buf res, nb;
    cf_status st = CF_OK;
    int rc = 1;

    cf_buf_init(&res);
    cf_buf_init(&nb);
    if (cf_file_read(in, 64 * 1024 * 1024, &data, &len) != CF_OK ||
        !wire_split(data, len, env, &n_env)) {
        fprintf(stderr, "cf_inject: %s is not an envelope\n", in);
        goto out;
    }
    if (strcmp(mode, "type") == 0 && arg) {
        wire_field type = {.num = 1, .wt = 0, .v = strtoull(arg, NULL, 10)};
        st = put_field(&res, &type, false);
        for (size_t i = 0; st == CF_OK && i < n_env; i++)
            if (env[i].num != 1)
                st = put_field(&res, &env[i], false);
    } else if (strcmp(mode, "reorder") == 0 || strcmp(mode, "varint") == 0) {
        bool reorder = strcmp(mode, "reorder") == 0;
        size_t bi = SIZE_MAX;
        for (size_t i = 0; i < n_env; i++)
            if (env[i].num == 2 && env[i].wt == 2)
                bi = i;
        if (bi == SIZE_MAX || !wire_split(env[bi].p, env[bi].len, body, &n_body) ||
            (reorder && n_body < 2)) {
            fprintf(stderr, "cf_inject: %s has no body to %s\n", in, mode);
            goto out;
        }
        st = put_fields(&nb, body, n_body, reorder, !reorder);
        /* the same envelope around the new body, signature and all */
        env[bi].p = nb.data;
        env[bi].len = nb.len;
        if (st == CF_OK)
            st = put_fields(&res, env, n_env, false, false);
    } else if (strcmp(mode, "frame") == 0) {
        st = put_fields(&res, env, n_env, true, true);
    } else if (strcmp(mode, "pad") == 0 && arg) {
        size_t pad = strtoull(arg, NULL, 10);
        uint8_t *zeros = calloc(1, pad ? pad : 1);
        wire_field extra = {.num = 15, .wt = 2, .p = zeros, .len = pad};
        st = zeros ? cf_buf_append(&res, data, len) : CF_E_NOMEM;
        if (st == CF_OK)
            st = put_field(&res, &extra, false);
        free(zeros);
    } else if (strcmp(mode, "truncate") == 0) {
        st = cf_buf_append(&res, data, len / 2);
    } else if (strcmp(mode, "unsign") == 0) {
        for (size_t i = 0; st == CF_OK && i < n_env; i++)
            if (env[i].num != 3 && env[i].num != 4)
                st = put_field(&res, &env[i], false);
    } else {
        fprintf(stderr, "cf_inject: unknown rewrite %s (or missing ARG)\n", mode);
        rc = 2;
        goto out;
    }
    if (st == CF_OK && res.len == len && memcmp(res.data, data, len) == 0) {
        fprintf(stderr, "cf_inject: rewrite %s left %s as it was\n", mode, in);
        goto out;
    }
    if (st == CF_OK)
        st = cf_file_write(out, res.data, res.len, 0644, false);
    if (st != CF_OK)
        fprintf(stderr, "cf_inject: rewrite: %s\n", cf_status_str(st));
    else
        rc = 0;
out:
    free(data);
    cf_buf_clear(&res);
    cf_buf_clear(&nb);
    return rc;
}

static int
junk(const char *mode, const char *out, const char *count, const char *seed)
{
    cf_buf b;
    cf_status st = CF_OK;

    cf_buf_init(&b);
    if (strcmp(mode, "random") == 0 && count && seed) {
        /* xorshift64: the same bytes for the same seed, so a run can be redone */
        uint64_t x = strtoull(seed, NULL, 10) | 1;
        size_t n = strtoull(count, NULL, 10);
        st = cf_buf_reserve(&b, n);
        for (size_t i = 0; st == CF_OK && i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.data[b.len++] = (uint8_t)(x >> 32);
        }
    } else if (strcmp(mode, "badvarint") == 0) {
        /* field 1 (the type), a varint whose bytes all say "more follows" */
        static const uint8_t bad[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        st = cf_buf_append(&b, bad, sizeof(bad));
    } else {
        fprintf(stderr, "cf_inject: unknown junk %s (or missing N SEED)\n", mode);
        return 2;
    }
    if (st == CF_OK)
        st = cf_file_write(out, b.data, b.len, 0644, false);
    cf_buf_clear(&b);
    if (st != CF_OK) {
        fprintf(stderr, "cf_inject: junk: %s\n", cf_status_str(st));
        return 1;
    }
    return 0;
}

/* What a message claims, read without verifying it (the tests check that a
 * re-encoded copy still says the same). */
static int
inspect(const char *in)
{
    uint8_t *data = NULL;
    size_t len = 0;
    cf_envelope env;
    cf_message *m = NULL;
    cf_limits lim = cf_limits_default();
    char hex[2 * CF_ID_LEN + 1] = "";

    if (cf_file_read(in, 64 * 1024 * 1024, &data, &len) != CF_OK ||
        cf_envelope_parse_stored(data, len, &env) != CF_OK) {
        free(data);
        fprintf(stderr, "cf_inject: %s is not an envelope\n", in);
        return 1;
    }
    if (cf_message_decode(&env, &lim, &m) != CF_OK) {
        cf_envelope_clear(&env);
        free(data);
        fprintf(stderr, "cf_inject: the body of %s does not decode\n", in);
        return 1;
    }
    const cf_body *b = &m->body;
    const char *what = b->type == CF_MSG_INCIDENT    ? b->u.incident.id
                       : b->type == CF_MSG_TASKING   ? b->u.tasking.id
                       : b->type == CF_MSG_DIRECTIVE ? b->u.directive.number
                                                     : NULL;
    if (b->type == CF_MSG_ACK)
        cf_hex_encode(b->u.ack.message_id, CF_ID_LEN, hex);
    printf("type=%s federation=%s origin=%s seq=%llu expires_ms=%lld what=%s\n",
           cf_msg_type_name(b->type), b->header.federation ? b->header.federation : "",
           b->header.origin ? b->header.origin : "", (unsigned long long)b->header.seq,
           (long long)b->header.expires_ms, what ? what : hex);
    cf_message_free(m);
    free(data);
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

/* COUNT incidents of one origin, each a new message in one hash chain, as
 * fast as nats.c takes them. */
static int
flood(natsConnection *nc, const char *subject, const char *keyfile, const char *federation,
      const char *origin, long count, double seconds)
{
    cf_identity *id = NULL;
    uint8_t prev[CF_ID_LEN];
    char incident_id[64];
    uint64_t seq = inject_seq();
    int64_t t0 = cf_clock_now_ms();
    cf_status st = cf_identity_load(keyfile, NULL, &id);
    natsStatus s = NATS_OK;
    long sent = 0;

    if (st != CF_OK) {
        fprintf(stderr, "cf_inject: key %s: %s\n", keyfile, cf_status_str(st));
        return 1;
    }
    for (; st == CF_OK && s == NATS_OK && sent < count; sent++, seq++) {
        cf_body b;
        cf_buf body, wire;
        memset(&b, 0, sizeof(b));
        b.type = CF_MSG_INCIDENT;
        b.header.federation = federation;
        b.header.origin = origin;
        b.header.seq = seq;
        b.header.created_ms = cf_clock_now_ms();
        if (sent > 0) {
            b.header.has_prev_hash = true;
            memcpy(b.header.prev_hash, prev, CF_ID_LEN);
        }
        snprintf(incident_id, sizeof(incident_id), "%s-%llu", origin, (unsigned long long)seq);
        b.u.incident.id = incident_id;
        b.u.incident.owner = origin;
        b.u.incident.revision = 1;
        b.u.incident.title = "Flood";
        b.u.incident.severity = 1; /* low: it stays with the parent */
        b.u.incident.status = 1;
        b.u.incident.tlp = 2;
        cf_buf_init(&body);
        cf_buf_init(&wire);
        st = cf_body_encode(&b, NULL, &body);
        if (st == CF_OK)
            st = cf_envelope_seal(b.type, body.data, body.len, id->sign_sk, &wire);
        if (st == CF_OK) {
            cf_message_id(b.type, body.data, body.len, prev);
            s = natsConnection_Publish(nc, subject, wire.data, (int)wire.len);
        }
        /* spread over the time asked for: a flood that lasts, so that
         * others' messages arrive in the middle of it */
        int64_t due = t0 + (int64_t)(seconds * 1000.0 * (double)(sent + 1) / (double)count);
        if (s == NATS_OK && seconds > 0 && (sent + 1) % 100 == 0 && cf_clock_now_ms() < due)
            s = natsConnection_Flush(nc);
        while (s == NATS_OK && seconds > 0 && (sent + 1) % 100 == 0 && cf_clock_now_ms() < due)
            nats_Sleep(1);
        /* progress, so that a test can act while the flood goes on */
        if (s == NATS_OK && st == CF_OK && (sent + 1) % 500 == 0) {
            printf("published %ld\n", sent + 1);
            fflush(stdout);
        }
        cf_buf_clear(&body);
        cf_buf_clear(&wire);
    }
    cf_identity_free(id);
    if (st == CF_OK && s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 30000);
    if (st != CF_OK || s != NATS_OK) {
        fprintf(stderr, "cf_inject: flood stopped after %ld: %s\n", sent,
                st != CF_OK ? cf_status_str(st) : natsStatus_GetText(s));
        return 1;
    }
    printf("flood: %ld envelopes published from %lld to %lld\n", sent, (long long)t0,
           (long long)cf_clock_now_ms());
    return 0;
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
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "rewrite") == 0)
        return rewrite(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    if ((argc == 4 || argc == 6) && strcmp(argv[1], "junk") == 0)
        return junk(argv[2], argv[3], argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
    if (argc == 3 && strcmp(argv[1], "inspect") == 0)
        return inspect(argv[2]);
    if ((argc == 9 || argc == 10) && strcmp(argv[1], "flood") == 0) {
        long count = strtol(argv[8], NULL, 10);
        double seconds = argc == 10 ? strtod(argv[9], NULL) : 0;
        if (count < 1 || seconds < 0 || seconds > 3600) {
            fprintf(stderr, "cf_inject: flood needs a COUNT from 1 (and SECONDS up to 3600)\n");
            return 2;
        }
        nc = connect_as(argv[2], argv[3]);
        if (nc)
            rc = flood(nc, argv[4], argv[5], argv[6], argv[7], count, seconds);
        natsConnection_Destroy(nc);
        cf_nkey_free(nkey);
        nats_Close();
        return rc;
    }
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "publish") == 0) {
        uint8_t *data = NULL;
        size_t len = 0;
        int count = argc == 7 ? atoi(argv[6]) : 1;
        if (count < 1 || cf_file_read(argv[5], 64 * 1024 * 1024, &data, &len) != CF_OK) {
            fprintf(stderr, "cf_inject: cannot read %s (or bad COUNT)\n", argv[5]);
            return 1;
        }
        nc = connect_as(argv[2], argv[3]);
        char *subjects = strdup(argv[4]), *save = NULL;
        natsStatus ps = nc && subjects ? NATS_OK : NATS_ERR;
        for (char *subj = strtok_r(subjects, ",", &save); subj && ps == NATS_OK;
             subj = strtok_r(NULL, ",", &save))
            for (int i = 0; ps == NATS_OK && i < count; i++)
                ps = natsConnection_Publish(nc, subj, data, (int)len);
        free(subjects);
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
