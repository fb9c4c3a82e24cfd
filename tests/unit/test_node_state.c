/*
 * test_node_state.c - node/state.c over a real LMDB store: recording (duplicates,
 * forks, marks); what incidents, taskings, statuses, directives and acks do to the
 * tables and queries; the store-side checks; the outbox; meta. Temporary dirs only.
 */
#include "check.h"
#include "harness/harness.h"
#include "federation/federation.h"
#include "node/state.h"
#include "node/store.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FED "cf-test"
#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define MAP_SIZE ((size_t)32 << 20)

static uint8_t pk[CF_PK_LEN], sk[CF_SK_LEN];

static void
die(const char *what)
{
    fprintf(stderr, "test helper failed: %s\n", what);
    abort();
}

/* ---- a store in a temporary directory ------------------------------------- */

typedef struct fixture {
    char *dir;
    cf_store *s;
    cf_txn *t; /* a write transaction */
} fixture;

static size_t n_chain; /* the chain links made so far (below) */

static void
fx_open(fixture *f, const char *tag)
{
    char err[256] = "";

    n_chain = 0; /* a new store: a new federation's history */
    f->dir = h_tmpdir(tag);
    if (!f->dir)
        die("h_tmpdir");
    if (cf_store_open(f->dir, MAP_SIZE, &f->s, err, sizeof(err)) != CF_OK) {
        fprintf(stderr, "%s\n", err);
        die("cf_store_open");
    }
    if (cf_txn_begin(f->s, true, &f->t) != CF_OK)
        die("cf_txn_begin");
}

/* Commit what the test did (it must commit), close, remove everything. */
static void
fx_close(fixture *f)
{
    if (f->t)
        CHECK_ST(cf_txn_commit(f->t), CF_OK);
    cf_store_close(f->s);
    h_rmtree(f->dir);
    free(f->dir);
    memset(f, 0, sizeof(*f));
}

/* ---- messages, made as a node makes them and opened as a receiver would ------- */

typedef struct tmsg {
    cf_message *m;
    cf_buf wire;
} tmsg;

static cf_message *
open_wire(const cf_buf *wire)
{
    cf_envelope env;
    cf_message *m = NULL;

    if (cf_envelope_verify(wire->data, wire->len, NULL, &env) != CF_OK)
        die("cf_envelope_verify");
    if (cf_message_decode(&env, NULL, &m) != CF_OK) {
        cf_envelope_clear(&env);
        die("cf_message_decode");
    }
    return m;
}

/* Each origin's hash chain, as its node keeps it: the first message made
 * for (origin, seq) is the one the message made for seq + 1 names. */
#define CHAIN_MAX 1024

static struct chain_link {
    const char *origin;
    uint64_t seq;
    uint8_t id[CF_ID_LEN];
} chain[CHAIN_MAX];

static const struct chain_link *
chain_find(const char *origin, uint64_t seq)
{
    for (size_t i = 0; i < n_chain; i++)
        if (chain[i].seq == seq && strcmp(chain[i].origin, origin) == 0)
            return &chain[i];
    return NULL;
}

static void
tmsg_make(const cf_body *b_in, tmsg *out)
{
    cf_body copy = *b_in, *b = &copy;
    const struct chain_link *prev =
        b->header.seq > 1 ? chain_find(b->header.origin, b->header.seq - 1) : NULL;
    cf_buf body;

    if (prev && !b->header.has_prev_hash) {
        b->header.has_prev_hash = true;
        memcpy(b->header.prev_hash, prev->id, CF_ID_LEN);
    }

    cf_buf_init(&body);
    cf_buf_init(&out->wire);
    if (cf_body_encode(b, NULL, &body) != CF_OK)
        die("cf_body_encode");
    if (cf_envelope_seal(b->type, body.data, body.len, sk, &out->wire) != CF_OK)
        die("cf_envelope_seal");
    cf_buf_clear(&body);
    out->m = open_wire(&out->wire);
    if (b->header.seq && !chain_find(b->header.origin, b->header.seq) && n_chain < CHAIN_MAX) {
        chain[n_chain].origin = b->header.origin;
        chain[n_chain].seq = b->header.seq;
        memcpy(chain[n_chain].id, out->m->env.id, CF_ID_LEN);
        n_chain++;
    }
}

static void
tmsg_free(tmsg *x)
{
    cf_message_free(x->m);
    cf_buf_clear(&x->wire);
    x->m = NULL;
}

static int64_t
created_at(uint64_t seq)
{
    return T0 + (int64_t)seq * 1000;
}

static void
header(cf_body *b, cf_msg_type type, const char *origin, uint64_t seq)
{
    memset(b, 0, sizeof(*b));
    b->type = type;
    b->header.federation = FED;
    b->header.origin = origin;
    b->header.seq = seq;
    b->header.created_ms = created_at(seq);
}

typedef struct inc_spec {
    const char *id;
    uint32_t revision;
    int severity, tlp, status;
    const char *sector, *province, *note;
} inc_spec;

static void
incident(tmsg *out, const char *origin, uint64_t seq, inc_spec s)
{
    cf_body b;

    header(&b, CF_MSG_INCIDENT, origin, seq);
    b.u.incident.id = s.id;
    b.u.incident.revision = s.revision;
    b.u.incident.title = "phishing wave";
    b.u.incident.severity = s.severity;
    b.u.incident.tlp = s.tlp;
    b.u.incident.status = s.status;
    b.u.incident.owner = origin;
    b.u.incident.sector = s.sector;
    b.u.incident.province = s.province;
    b.u.incident.note = s.note;
    tmsg_make(&b, out);
}

static void
tasking(tmsg *out, const char *origin, uint64_t seq, const char *id, cf_strv assignees,
        int64_t due_ms)
{
    cf_body b;

    header(&b, CF_MSG_TASKING, origin, seq);
    b.u.tasking.id = id;
    b.u.tasking.issuer = origin;
    b.u.tasking.assignees = assignees;
    b.u.tasking.kind = 1;
    b.u.tasking.instructions = "look into it";
    b.u.tasking.due_ms = due_ms;
    tmsg_make(&b, out);
}

static void
task_status(tmsg *out, const char *origin, uint64_t seq, const char *task, int state,
            const char *reason, const char *result)
{
    cf_body b;

    header(&b, CF_MSG_TASK_STATUS, origin, seq);
    b.u.task_status.task = task;
    b.u.task_status.assignee = origin;
    b.u.task_status.state = state;
    b.u.task_status.reason = reason;
    b.u.task_status.result = result;
    tmsg_make(&b, out);
}

static void
directive(tmsg *out, const char *origin, uint64_t seq, const char *number, uint32_t version,
          const int *roles, size_t n_roles, cf_strv sectors, cf_strv provinces)
{
    cf_body b;

    header(&b, CF_MSG_DIRECTIVE, origin, seq);
    b.u.directive.number = number;
    b.u.directive.version = version;
    b.u.directive.kind = 3;
    b.u.directive.title = "patch the VPN concentrators";
    b.u.directive.roles = roles;
    b.u.directive.n_roles = n_roles;
    b.u.directive.sectors = sectors;
    b.u.directive.provinces = provinces;
    b.u.directive.ack_required = true;
    tmsg_make(&b, out);
}

static void
ack(tmsg *out, const char *origin, uint64_t seq, const uint8_t id[CF_ID_LEN], int state,
    int64_t at_ms)
{
    cf_body b;

    header(&b, CF_MSG_ACK, origin, seq);
    memcpy(b.u.ack.message_id, id, CF_ID_LEN);
    b.u.ack.node = origin;
    b.u.ack.state = state;
    b.u.ack.at_ms = at_ms;
    tmsg_make(&b, out);
}

/* A receipt of origin's for several messages at once. */
static void
receipt_for(tmsg *out, const char *origin, uint64_t seq, const uint8_t *ids, size_t n)
{
    cf_body b;

    header(&b, CF_MSG_ACK, origin, seq);
    memcpy(b.u.ack.message_id, ids, CF_ID_LEN);
    b.u.ack.more_ids = ids + CF_ID_LEN;
    b.u.ack.n_more = n - 1;
    b.u.ack.node = origin;
    b.u.ack.state = 1;
    b.u.ack.at_ms = T0 + 20000;
    tmsg_make(&b, out);
}

/* What a node does with an accepted message: record, then apply. */
static cf_status
deliver(cf_txn *t, const tmsg *x, int64_t now_ms)
{
    cf_status st = cf_state_record(t, x->m, x->wire.data, x->wire.len, true);

    if (st == CF_OK)
        st = cf_state_apply(t, x->m, now_ms);
    return st;
}

/* The same, with the store-side check first (an inbound ack or status). */
static cf_status
deliver_checked(cf_txn *t, const char *self, const tmsg *x, int64_t now_ms)
{
    const char *why = NULL;
    cf_status st = cf_state_check(t, self, x->m, &why);

    if (st == CF_OK)
        st = deliver(t, x, now_ms);
    return st;
}

/* ---- JSON helpers ------------------------------------------------------------------ */

static const char *
jstr(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static bool
jnull(const cJSON *o, const char *name)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, name));
}

static const cJSON *
jarr(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsArray(x) ? x : NULL;
}

/* The element of arr whose field is value, or NULL. */
static const cJSON *
row(const cJSON *arr, const char *field, const char *value)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, arr)
    {
        const char *v = jstr(x, field);
        if (v && strcmp(v, value) == 0)
            return x;
    }
    return NULL;
}

/* The values of a string field of each element, joined by ','. */
static const char *
joined(const cJSON *arr, const char *field, char *out, size_t outlen)
{
    const cJSON *x;
    bool first = true;

    out[0] = 0;
    cJSON_ArrayForEach(x, arr)
    {
        const char *v = jstr(x, field);
        if (!first)
            strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, v ? v : "?", outlen - strlen(out) - 1);
        first = false;
    }
    return out;
}

/* Revisions of the elements of arr, joined by ','. */
static const char *
revisions(const cJSON *arr, char *out, size_t outlen)
{
    const cJSON *x;

    out[0] = 0;
    cJSON_ArrayForEach(x, arr)
    {
        char n[16];
        snprintf(n, sizeof(n), "%s%d", out[0] ? "," : "", (int)jnum(x, "revision"));
        strncat(out, n, outlen - strlen(out) - 1);
    }
    return out;
}

static const char *
fmt(int64_t ms, char out[32])
{
    cf_format_ms(ms, out);
    return out;
}

static const char *
hex_id(const uint8_t id[CF_ID_LEN], char out[2 * CF_ID_LEN + 1])
{
    cf_hex_encode(id, CF_ID_LEN, out);
    return out;
}

/* ---- record ---------------------------------------------------------------------- */

static void
test_logkey(void)
{
    cf_logkey k;
    static const uint8_t want[] = {'n', 'c', 'e', 'r', 't', 0, 1, 2, 3, 4, 5, 6, 7, 8};

    cf_logkey_make("ncert", UINT64_C(0x0102030405060708), &k);
    CHECK(k.len == sizeof(want) && memcmp(k.k, want, sizeof(want)) == 0);
}

static void
test_record(void)
{
    fixture f;
    tmsg first, fork, s2, s3, other, fork2;
    cf_message *again, *m = NULL;
    cf_logkey key;
    cf_buf v;
    cf_store_stats stats;

    fx_open(&f, "state-record");
    cf_buf_init(&v);
    incident(&first, "banking", 1, (inc_spec){"INC-1", 1, 2, 2, 1, "banking", NULL, "first"});
    incident(&fork, "banking", 1, (inc_spec){"INC-1", 1, 2, 2, 1, "banking", NULL, "other"});
    CHECK(memcmp(first.m->env.id, fork.m->env.id, CF_ID_LEN) != 0);

    CHECK_ST(cf_state_record(f.t, first.m, first.wire.data, first.wire.len, true), CF_OK);
    /* the very same envelope again, opened anew as a receiver would */
    again = open_wire(&first.wire);
    CHECK_ST(cf_state_record(f.t, again, first.wire.data, first.wire.len, true), CF_E_DUPLICATE);
    cf_message_free(again);
    /* another envelope for the same origin and seq */
    CHECK_ST(cf_state_record(f.t, fork.m, fork.wire.data, fork.wire.len, true), CF_E_FORK);

    /* the log still holds the first one; the fork is not indexed */
    cf_logkey_make("banking", 1, &key);
    CHECK_ST(cf_state_load(f.t, &key, &m), CF_OK);
    if (m) {
        CHECK(memcmp(m->env.id, first.m->env.id, CF_ID_LEN) == 0);
        CHECK_STR(m->body.u.incident.note, "first");
        CHECK(m->body.type == CF_MSG_INCIDENT && m->body.header.seq == 1);
        cf_message_free(m);
        m = NULL;
    }
    CHECK_ST(cf_txn_get(f.t, CF_T_LOG, key.k, key.len, &v), CF_OK);
    CHECK(v.len == first.wire.len && memcmp(v.data, first.wire.data, v.len) == 0);
    CHECK_ST(cf_state_load_id(f.t, first.m->env.id, &m), CF_OK);
    if (m) {
        CHECK_STR(m->body.header.origin, "banking");
        cf_message_free(m);
        m = NULL;
    }
    CHECK_ST(cf_state_load_id(f.t, fork.m->env.id, &m), CF_E_NOT_FOUND);
    CHECK(m == NULL);
    cf_logkey_make("banking", 2, &key);
    CHECK_ST(cf_state_load(f.t, &key, &m), CF_E_NOT_FOUND);

    /* the mark: seq 1 and the first one's id */
    CHECK_ST(cf_txn_get(f.t, CF_T_MARKS, "banking", 7, &v), CF_OK);
    CHECK(v.len == 8 + CF_ID_LEN);
    CHECK(v.len == 8 + CF_ID_LEN && cf_get_u64(v.data) == 1 &&
          memcmp(v.data + 8, first.m->env.id, CF_ID_LEN) == 0);

    /* seq 3 before seq 2: the mark is the highest, with its id */
    incident(&s2, "banking", 2, (inc_spec){"INC-2", 1, 1, 1, 1, NULL, NULL, NULL});
    incident(&s3, "banking", 3, (inc_spec){"INC-3", 1, 1, 1, 1, NULL, NULL, NULL});
    CHECK_ST(cf_state_record(f.t, s3.m, s3.wire.data, s3.wire.len, true), CF_OK);
    /* s2 without an ids row (an incident the node does not pass on) */
    CHECK_ST(cf_state_record(f.t, s2.m, s2.wire.data, s2.wire.len, false), CF_OK);
    CHECK_ST(cf_txn_get(f.t, CF_T_MARKS, "banking", 7, &v), CF_OK);
    CHECK(v.len == 8 + CF_ID_LEN && cf_get_u64(v.data) == 3 &&
          memcmp(v.data + 8, s3.m->env.id, CF_ID_LEN) == 0);
    /* in the log, not found by id, yet known again and forked like any */
    cf_logkey_make("banking", 2, &key);
    CHECK_ST(cf_state_load(f.t, &key, &m), CF_OK);
    cf_message_free(m);
    m = NULL;
    CHECK_ST(cf_state_load_id(f.t, s2.m->env.id, &m), CF_E_NOT_FOUND);
    CHECK_ST(cf_state_record(f.t, s2.m, s2.wire.data, s2.wire.len, false), CF_E_DUPLICATE);
    CHECK_ST(cf_state_record(f.t, s2.m, s2.wire.data, s2.wire.len, true), CF_E_DUPLICATE);
    incident(&fork2, "banking", 2, (inc_spec){"INC-2", 1, 1, 1, 1, NULL, NULL, "other"});
    CHECK_ST(cf_state_record(f.t, fork2.m, fork2.wire.data, fork2.wire.len, false), CF_E_FORK);
    CHECK_ST(cf_state_load_id(f.t, s2.m->env.id, &m), CF_E_NOT_FOUND);
    /* cf_state_index gives it its row (a forward), once */
    /* our own receipt for it, taken back after a restore (catch-up
     * applies it): nothing to change, and no error */
    tmsg own;
    ack(&own, "ncert", 4, s2.m->env.id, 1, T0);
    CHECK_ST(cf_state_apply(f.t, own.m, T0), CF_OK);
    tmsg_free(&own);
    CHECK_ST(cf_state_index(f.t, s2.m->env.id, &key), CF_OK);
    CHECK_ST(cf_state_index(f.t, s2.m->env.id, &key), CF_OK);
    CHECK_ST(cf_state_load_id(f.t, s2.m->env.id, &m), CF_OK);
    CHECK(m && m->body.header.seq == 2);
    cf_message_free(m);
    m = NULL;

    /* another origin has its own mark */
    incident(&other, "telecom", 7, (inc_spec){"INC-7", 1, 1, 1, 1, NULL, NULL, NULL});
    CHECK_ST(cf_state_record(f.t, other.m, other.wire.data, other.wire.len, true), CF_OK);
    CHECK_ST(cf_txn_get(f.t, CF_T_MARKS, "telecom", 7, &v), CF_OK);
    CHECK(v.len == 8 + CF_ID_LEN && cf_get_u64(v.data) == 7);
    CHECK_ST(cf_txn_get(f.t, CF_T_MARKS, "banking", 7, &v), CF_OK);
    CHECK(v.len == 8 + CF_ID_LEN && cf_get_u64(v.data) == 3);

    /* committed, a duplicate is still one */
    CHECK_ST(cf_txn_commit(f.t), CF_OK);
    CHECK_ST(cf_txn_begin(f.s, true, &f.t), CF_OK);
    CHECK_ST(cf_state_record(f.t, first.m, first.wire.data, first.wire.len, true), CF_E_DUPLICATE);
    CHECK_ST(cf_state_record(f.t, s2.m, s2.wire.data, s2.wire.len, true), CF_E_DUPLICATE);
    CHECK_ST(cf_state_record(f.t, fork.m, fork.wire.data, fork.wire.len, true), CF_E_FORK);
    CHECK_ST(cf_txn_commit(f.t), CF_OK);
    f.t = NULL;
    CHECK_ST(cf_store_stats_get(f.s, &stats), CF_OK);
    CHECK(stats.entries[CF_T_LOG] == 4);
    CHECK(stats.entries[CF_T_IDS] == 4);
    CHECK(stats.entries[CF_T_MARKS] == 2);

    tmsg_free(&first);
    tmsg_free(&fork);
    tmsg_free(&s2);
    tmsg_free(&s3);
    tmsg_free(&other);
    tmsg_free(&fork2);
    cf_buf_clear(&v);
    fx_close(&f);
}

/* ---- incidents ----------------------------------------------------------------------- */

/* Each origin's hash chain: a receiver holding part of a stream checks
 * every link it can see, and keeps and quarantines what breaks one. */
typedef struct mark_seen {
    char origins[256];
    uint64_t banking_seq;
} mark_seen;

static cf_status
note_mark(const char *origin, uint64_t seq, const uint8_t head[CF_ID_LEN], void *ctx)
{
    mark_seen *ms = ctx;

    (void)head;
    if (ms->origins[0])
        strcat(ms->origins, ",");
    strcat(ms->origins, origin);
    if (strcmp(origin, "banking") == 0)
        ms->banking_seq = seq;
    return CF_OK;
}

static void
test_chain(void)
{
    fixture f;
    tmsg a, b, c, d, b_other, d_bad;
    cf_body x;
    cf_buf v;
    bool q = true;
    uint64_t seq = 9;
    mark_seen ms = {"", 0};

    fx_open(&f, "state-chain");
    cf_buf_init(&v);
    incident(&a, "banking", 1, (inc_spec){"banking-1", 1, 1, 1, 1, NULL, NULL, "one"});
    incident(&b, "banking", 2, (inc_spec){"banking-2", 1, 1, 1, 1, NULL, NULL, "two"});
    incident(&c, "banking", 3, (inc_spec){"banking-3", 1, 1, 1, 1, NULL, NULL, "three"});
    /* another seq 2 that names seq 1 correctly: only seq 3 shows it is not
     * the one banking built on */
    incident(&b_other, "banking", 2, (inc_spec){"banking-2", 1, 1, 1, 1, NULL, NULL, "other"});
    /* seq 4 naming something that is not seq 3 */
    header(&x, CF_MSG_INCIDENT, "banking", 4);
    x.u.incident.id = "banking-4";
    x.u.incident.revision = 1;
    x.u.incident.owner = "banking";
    x.u.incident.title = "t";
    x.header.has_prev_hash = true;
    memset(x.header.prev_hash, 0x5a, CF_ID_LEN);
    tmsg_make(&x, &d_bad);
    incident(&d, "banking", 4, (inc_spec){"banking-4", 1, 1, 1, 1, NULL, NULL, "four"});
    CHECK(b.m->body.header.has_prev_hash &&
          memcmp(b.m->body.header.prev_hash, a.m->env.id, CF_ID_LEN) == 0);

    /* a receiver that has 1 and 3: the gap is filled only by the real 2 */
    CHECK_ST(cf_state_record(f.t, a.m, a.wire.data, a.wire.len, true), CF_OK);
    CHECK_ST(cf_state_record(f.t, c.m, c.wire.data, c.wire.len, true), CF_OK);
    CHECK_ST(cf_state_record(f.t, b_other.m, b_other.wire.data, b_other.wire.len, true), CF_E_FORK);
    CHECK_ST(cf_state_record(f.t, b.m, b.wire.data, b.wire.len, true), CF_OK);
    /* the next one must name the last one */
    CHECK_ST(cf_state_record(f.t, d_bad.m, d_bad.wire.data, d_bad.wire.len, true), CF_E_FORK);
    CHECK_ST(cf_state_record(f.t, d.m, d.wire.data, d.wire.len, true), CF_OK);
    /* nothing of the rejected ones is in the log */
    CHECK_ST(cf_state_load_id(f.t, b_other.m->env.id, &(cf_message *){NULL}), CF_E_NOT_FOUND);
    CHECK_ST(cf_state_load_id(f.t, d_bad.m->env.id, &(cf_message *){NULL}), CF_E_NOT_FOUND);

    /* evidence and quarantine */
    CHECK_ST(cf_state_quarantined(f.t, "banking", &q), CF_OK);
    CHECK(!q);
    CHECK_ST(cf_state_evidence_put(f.t, b_other.m, b_other.wire.data, b_other.wire.len), CF_OK);
    CHECK_ST(cf_state_quarantine(f.t, "banking", T0, "forked at 2"), CF_OK);
    CHECK_ST(cf_state_quarantine(f.t, "banking", T0 + 5, "again"), CF_OK);
    CHECK_ST(cf_state_quarantined(f.t, "banking", &q), CF_OK);
    CHECK(q);
    CHECK_ST(cf_state_quarantined(f.t, "telecom", &q), CF_OK);
    CHECK(!q);
    /* the first reason stays */
    CHECK_ST(cf_txn_get(f.t, CF_T_QUARANTINE, "banking", 7, &v), CF_OK);
    CHECK(v.len == 8 + strlen("forked at 2") && cf_get_u64(v.data) == (uint64_t)T0 &&
          memcmp(v.data + 8, "forked at 2", v.len - 8) == 0);
    CHECK(cf_txn_count(f.t, CF_T_EVIDENCE) == 1);

    /* marks */
    CHECK_ST(cf_state_marks_scan(f.t, note_mark, &ms), CF_OK);
    CHECK_STR(ms.origins, "banking");
    CHECK(ms.banking_seq == 4);
    CHECK_ST(cf_state_mark(f.t, "banking", &seq), CF_OK);
    CHECK(seq == 4);
    CHECK_ST(cf_state_mark(f.t, "nobody", &seq), CF_OK);
    CHECK(seq == 0);

    /* the audit: intact now; then a stored link replaced and bytes flipped */
    cJSON *au = NULL;
    CHECK_ST(cf_state_audit(f.t, NULL, &au), CF_OK);
    if (au) {
        const cJSON *row = cJSON_GetArrayItem(jarr(au, "origins"), 0);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(au, "intact")));
        CHECK_STR(jstr(row, "origin"), "banking");
        CHECK(jnum(row, "messages") == 4 && jnum(row, "first") == 1 && jnum(row, "last") == 4);
        CHECK(jnum(row, "gaps") == 0 && jnum(row, "broken_links") == 0);
        CHECK(jnum(au, "evidence") == 1 && jnum(au, "quarantined") == 1);
        cJSON_Delete(au);
        au = NULL;
    }
    cf_logkey lk;
    cf_logkey_make("banking", 4, &lk);
    CHECK_ST(cf_txn_put(f.t, CF_T_LOG, lk.k, lk.len, d_bad.wire.data, d_bad.wire.len, false),
             CF_OK);
    cf_logkey_make("banking", 2, &lk);
    b.wire.data[b.wire.len - 1] ^= 1; /* the signature */
    CHECK_ST(cf_txn_put(f.t, CF_T_LOG, lk.k, lk.len, b.wire.data, b.wire.len, false), CF_OK);
    CHECK_ST(cf_state_audit(f.t, NULL, &au), CF_OK);
    if (au) {
        const cJSON *row = cJSON_GetArrayItem(jarr(au, "origins"), 0);
        CHECK(!cJSON_IsTrue(cJSON_GetObjectItem(au, "intact")));
        CHECK(jnum(row, "bad_envelopes") == 1);
        CHECK(jnum(row, "broken_links") == 1);
        cJSON_Delete(au);
    }

    cf_buf_clear(&v);
    tmsg_free(&a);
    tmsg_free(&b);
    tmsg_free(&c);
    tmsg_free(&d);
    tmsg_free(&b_other);
    tmsg_free(&d_bad);
    fx_close(&f);
}

static void
test_incident_revisions(void)
{
    fixture f;
    tmsg r1, r2, r2b, i2r1, i2r2, i10;
    cJSON *o = NULL;
    cf_message *m = NULL;
    char buf[256], t[32], hex[2 * CF_ID_LEN + 1];

    fx_open(&f, "state-incident");
    incident(&r1, "banking", 1, (inc_spec){"INC-1", 1, 2, 3, 1, "banking", NULL, "seen"});
    incident(&r2, "banking", 2, (inc_spec){"INC-1", 2, 3, 3, 2, "banking", NULL, "triaged"});
    CHECK_ST(deliver(f.t, &r1, T0 + 10000), CF_OK);
    CHECK_ST(deliver(f.t, &r2, T0 + 20000), CF_OK);

    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-1", &o), CF_OK);
    if (o) {
        CHECK_STR(jstr(o, "id"), "INC-1");
        CHECK(jnum(o, "revision") == 2);
        CHECK_STR(jstr(o, "status"), "triaged");
        CHECK_STR(jstr(o, "severity"), "high");
        CHECK_STR(jstr(o, "tlp"), "amber");
        CHECK_STR(jstr(o, "owner"), "banking");
        CHECK_STR(jstr(o, "note"), "triaged");
        CHECK_STR(jstr(o, "message_id"), hex_id(r2.m->env.id, hex));
        CHECK_STR(revisions(jarr(o, "revisions"), buf, sizeof(buf)), "1,2");
        const cJSON *rv = cJSON_GetArrayItem(jarr(o, "revisions"), 0);
        CHECK_STR(jstr(rv, "by"), "banking");
        CHECK_STR(jstr(rv, "status"), "new");
        CHECK_STR(jstr(rv, "at"), fmt(created_at(1), t));
        CHECK_STR(jstr(rv, "message_id"), hex_id(r1.m->env.id, hex));
        /* self holds it since it first had it; its origin since it
         * signed its first revision */
        const cJSON *h = jarr(o, "holders");
        CHECK_STR(joined(h, "node", buf, sizeof(buf)), "banking,ncert");
        CHECK_STR(jstr(row(h, "node", "ncert"), "since"), fmt(T0 + 10000, t));
        CHECK_STR(jstr(row(h, "node", "banking"), "since"), fmt(created_at(1), t));
        cJSON_Delete(o);
        o = NULL;
    }

    /* revision 1 once more after 2 (a late arrival) does not move it back */
    CHECK_ST(cf_state_apply(f.t, r1.m, T0 + 30000), CF_OK);
    CHECK_ST(cf_state_incident_latest(f.t, "INC-1", &m), CF_OK);
    if (m) {
        CHECK(m->body.u.incident.revision == 2);
        CHECK(memcmp(m->env.id, r2.m->env.id, CF_ID_LEN) == 0);
        cf_message_free(m);
        m = NULL;
    }
    /* a second message for revision 2 stays in the log only */
    incident(&r2b, "banking", 4, (inc_spec){"INC-1", 2, 5, 3, 3, "banking", NULL, "again"});
    CHECK_ST(deliver(f.t, &r2b, T0 + 40000), CF_OK);
    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-1", &o), CF_OK);
    if (o) {
        CHECK(jnum(o, "revision") == 2);
        CHECK_STR(jstr(o, "note"), "triaged");
        CHECK_STR(jstr(o, "message_id"), hex_id(r2.m->env.id, hex));
        CHECK_STR(revisions(jarr(o, "revisions"), buf, sizeof(buf)), "1,2");
        CHECK_STR(joined(jarr(o, "holders"), "node", buf, sizeof(buf)), "banking,ncert");
        cJSON_Delete(o);
        o = NULL;
    }

    /* revision 2 arriving before revision 1 */
    incident(&i2r1, "telecom", 1, (inc_spec){"INC-2", 1, 1, 2, 1, "telecom", NULL, NULL});
    incident(&i2r2, "telecom", 2, (inc_spec){"INC-2", 2, 1, 2, 3, "telecom", NULL, NULL});
    CHECK_ST(deliver(f.t, &i2r2, T0 + 50000), CF_OK);
    CHECK_ST(deliver(f.t, &i2r1, T0 + 60000), CF_OK);
    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-2", &o), CF_OK);
    if (o) {
        CHECK(jnum(o, "revision") == 2);
        CHECK_STR(jstr(o, "status"), "contained");
        CHECK_STR(revisions(jarr(o, "revisions"), buf, sizeof(buf)), "1,2");
        CHECK_STR(jstr(cJSON_GetArrayItem(jarr(o, "holders"), 0), "since"), fmt(T0 + 50000, t));
        cJSON_Delete(o);
        o = NULL;
    }

    /* an id that starts like another one is another incident */
    incident(&i10, "banking", 5, (inc_spec){"INC-10", 1, 0, 1, 1, NULL, NULL, NULL});
    CHECK_ST(deliver(f.t, &i10, T0 + 70000), CF_OK);
    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-1", &o), CF_OK);
    if (o) {
        CHECK_STR(revisions(jarr(o, "revisions"), buf, sizeof(buf)), "1,2");
        CHECK_STR(joined(jarr(o, "holders"), "node", buf, sizeof(buf)), "banking,ncert");
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-10", &o), CF_OK);
    if (o) {
        CHECK(jnum(o, "revision") == 1);
        CHECK_STR(revisions(jarr(o, "revisions"), buf, sizeof(buf)), "1");
        cJSON_Delete(o);
        o = NULL;
    }

    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-404", &o), CF_E_NOT_FOUND);
    CHECK(o == NULL);
    CHECK_ST(cf_state_incident_latest(f.t, "INC-404", &m), CF_E_NOT_FOUND);
    CHECK(m == NULL);

    tmsg_free(&r1);
    tmsg_free(&r2);
    tmsg_free(&r2b);
    tmsg_free(&i2r1);
    tmsg_free(&i2r2);
    tmsg_free(&i10);
    fx_close(&f);
}

/* The ids cf_state_incidents lists for a filter, joined by ','. */
static const char *
listed(cf_txn *t, const cf_incident_filter *flt, char *out, size_t outlen)
{
    cJSON *a = NULL;

    out[0] = 0;
    if (cf_state_incidents(t, flt, &a) != CF_OK || !a)
        return "(error)";
    joined(a, "id", out, outlen);
    cJSON_Delete(a);
    return out;
}

static void
test_incident_filters(void)
{
    fixture f;
    tmsg x[6];
    cJSON *a = NULL;
    char buf[256];

    fx_open(&f, "state-filters");
    /* severity, tlp, status: low/green/new, high/amber/triaged, emergency/green/new,
     * severe/red/resolved; E is baseline/clear/new, then severe/clear/contained */
    incident(&x[0], "banking", 1, (inc_spec){"A", 1, 1, 2, 1, "banking", NULL, NULL});
    incident(&x[1], "telecom", 1, (inc_spec){"B", 1, 3, 3, 2, "telecom", NULL, NULL});
    incident(&x[2], "punjab", 1, (inc_spec){"C", 1, 5, 2, 1, NULL, "punjab", NULL});
    incident(&x[3], "banking", 2, (inc_spec){"D", 1, 4, 5, 4, "banking", NULL, NULL});
    incident(&x[4], "banking", 3, (inc_spec){"E", 1, 0, 1, 1, NULL, NULL, NULL});
    incident(&x[5], "banking", 4, (inc_spec){"E", 2, 4, 1, 3, NULL, NULL, NULL});
    for (int i = 0; i < 6; i++)
        CHECK_ST(deliver(f.t, &x[i], T0), CF_OK);

    CHECK_STR(listed(f.t, NULL, buf, sizeof(buf)), "A,B,C,D,E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 0, NULL, NULL, 0}, buf, sizeof(buf)),
              "A,B,C,D,E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){0, 0, 0, NULL, NULL, 0}, buf, sizeof(buf)),
              "A,B,C,D,E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){3, 0, 0, NULL, NULL, 0}, buf, sizeof(buf)),
              "B,C,D,E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){5, 0, 0, NULL, NULL, 0}, buf, sizeof(buf)), "C");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 2, 0, NULL, NULL, 0}, buf, sizeof(buf)), "A,C");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 1, 0, NULL, NULL, 0}, buf, sizeof(buf)), "E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 4, 0, NULL, NULL, 0}, buf, sizeof(buf)), "");
    /* E's latest revision is contained, not new */
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 1, NULL, NULL, 0}, buf, sizeof(buf)), "A,C");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 3, NULL, NULL, 0}, buf, sizeof(buf)), "E");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 5, NULL, NULL, 0}, buf, sizeof(buf)), "");
    CHECK_STR(listed(f.t, &(cf_incident_filter){3, 2, 0, NULL, NULL, 0}, buf, sizeof(buf)), "C");
    CHECK_STR(listed(f.t, &(cf_incident_filter){3, 0, 2, NULL, NULL, 0}, buf, sizeof(buf)), "B");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 0, "banking", NULL, 0}, buf, sizeof(buf)),
              "A,D");
    CHECK_STR(listed(f.t, &(cf_incident_filter){-1, 0, 0, NULL, "punjab", 0}, buf, sizeof(buf)),
              "C");
    CHECK_STR(listed(f.t, &(cf_incident_filter){4, 0, 0, "banking", NULL, 0}, buf, sizeof(buf)),
              "D");

    /* the fields of a listed incident */
    CHECK_ST(cf_state_incidents(f.t, &(cf_incident_filter){-1, 0, 0, NULL, "punjab", 0}, &a),
             CF_OK);
    if (a) {
        const cJSON *c = cJSON_GetArrayItem(a, 0);
        CHECK_STR(jstr(c, "severity"), "emergency");
        CHECK_STR(jstr(c, "tlp"), "green");
        CHECK_STR(jstr(c, "status"), "new");
        CHECK_STR(jstr(c, "owner"), "punjab");
        CHECK(jnum(c, "revision") == 1);
        cJSON_Delete(a);
    }

    for (int i = 0; i < 6; i++)
        tmsg_free(&x[i]);
    fx_close(&f);
}

/* ---- acks ------------------------------------------------------------------------------- */

static const char *const TWO[] = {"banking", "telecom"};
#define ASSIGNEES ((cf_strv){TWO, 2})

/* The row of assignee in the states of the task with this id. */
static const cJSON *
task_row(const cJSON *tasks, const char *id, const char *assignee)
{
    return row(jarr(row(tasks, "id", id), "states"), "assignee", assignee);
}

static void
test_acks(void)
{
    fixture f;
    tmsg inc, a1, a2, tk, ab, st, at, d, ad, ar, foreign, afor, aunk, aown;
    cJSON *o = NULL;
    cf_topology *topo = NULL;
    char buf[256], t[32], err[256] = "";
    uint8_t unknown[CF_ID_LEN];
    const char *why;

    /* an incident of banking, acked by ncert: ncert holds it */
    fx_open(&f, "state-acks-inc");
    incident(&inc, "banking", 1, (inc_spec){"INC-B", 1, 2, 2, 1, "banking", NULL, NULL});
    CHECK_ST(deliver(f.t, &inc, T0 + 5000), CF_OK);
    ack(&a1, "ncert", 1, inc.m->env.id, 1, T0 + 7000);
    CHECK_ST(deliver_checked(f.t, "banking", &a1, T0 + 8000), CF_OK);
    /* without its own time an ack counts from its creation */
    ack(&a2, "council", 9, inc.m->env.id, 1, 0);
    CHECK_ST(deliver_checked(f.t, "banking", &a2, T0 + 9000), CF_OK);
    CHECK_ST(cf_state_incident(f.t, "banking", "INC-B", &o), CF_OK);
    if (o) {
        const cJSON *h = jarr(o, "holders");
        CHECK_STR(joined(h, "node", buf, sizeof(buf)), "banking,council,ncert");
        /* self is the origin: it had it when it signed it, before it
         * stored it here (listed once, with the earlier time) */
        CHECK_STR(jstr(row(h, "node", "banking"), "since"), fmt(created_at(1), t));
        CHECK_STR(jstr(row(h, "node", "ncert"), "since"), fmt(T0 + 7000, t));
        CHECK_STR(jstr(row(h, "node", "council"), "since"), fmt(created_at(9), t));
        cJSON_Delete(o);
        o = NULL;
    }
    tmsg_free(&inc);
    tmsg_free(&a1);
    tmsg_free(&a2);
    fx_close(&f);

    /* a tasking of ncert: a received ack sets the assignee's state, unless
     * an answer came first */
    fx_open(&f, "state-acks-task");
    tasking(&tk, "ncert", 2, "T-1", ASSIGNEES, 0);
    CHECK_ST(deliver(f.t, &tk, T0), CF_OK);
    ack(&ab, "banking", 1, tk.m->env.id, 1, T0 + 11000);
    CHECK_ST(deliver_checked(f.t, "ncert", &ab, T0 + 12000), CF_OK);
    ack(&at, "telecom", 1, tk.m->env.id, 1, T0 + 13000);  /* sent first, arrives last */
    task_status(&st, "telecom", 2, "T-1", 2, NULL, NULL); /* accepted */
    CHECK_ST(deliver_checked(f.t, "ncert", &st, T0 + 14000), CF_OK);
    CHECK_ST(deliver_checked(f.t, "ncert", &at, T0 + 15000), CF_OK);
    CHECK_ST(cf_state_tasks(f.t, "ncert", &o), CF_OK);
    if (o) {
        CHECK_STR(jstr(task_row(o, "T-1", "banking"), "state"), "received");
        CHECK_STR(jstr(task_row(o, "T-1", "banking"), "at"), fmt(T0 + 11000, t));
        CHECK_STR(jstr(task_row(o, "T-1", "telecom"), "state"), "accepted");
        CHECK_STR(jstr(task_row(o, "T-1", "telecom"), "at"), fmt(created_at(2), t));
        cJSON_Delete(o);
        o = NULL;
    }
    /* the refusals: an ack for a message self did not originate, and for an
     * unknown one */
    incident(&foreign, "banking", 5, (inc_spec){"INC-F", 1, 1, 1, 1, NULL, NULL, NULL});
    CHECK_ST(deliver(f.t, &foreign, T0), CF_OK);
    ack(&afor, "council", 1, foreign.m->env.id, 1, T0);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "ncert", afor.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why != NULL && why[0] != 0);
    memset(unknown, 0x5a, sizeof(unknown));
    ack(&aunk, "banking", 9, unknown, 1, T0);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "ncert", aunk.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why != NULL && why[0] != 0);
    /* while one for self's own message passes */
    ack(&aown, "punjab", 3, tk.m->env.id, 2, T0);
    CHECK_ST(cf_state_check(f.t, "ncert", aown.m, &why), CF_OK);
    tmsg_free(&tk);
    tmsg_free(&ab);
    tmsg_free(&st);
    tmsg_free(&at);
    tmsg_free(&foreign);
    tmsg_free(&afor);
    tmsg_free(&aunk);
    tmsg_free(&aown);
    fx_close(&f);

    /* a directive of the Council, acknowledged (state 2) by banking */
    static const char topo_text[] = "[federation]\nname = " FED "\n"
                                    "[node council]\nrole = council\n"
                                    "[node ncert]\nrole = ncert\nparent = council\n"
                                    "[node banking]\nrole = sectoral\nparent = ncert\n"
                                    "[node telecom]\nrole = sectoral\nparent = ncert\n"
                                    "[node punjab]\nrole = provincial\nparent = ncert\n"
                                    "[node state-bank]\nrole = constituent\nparent = banking\n";
    CHECK_ST(cf_topology_parse(topo_text, &topo, err, sizeof(err)), CF_OK);
    if (!topo) {
        fprintf(stderr, "topology: %s\n", err);
        return;
    }
    fx_open(&f, "state-acks-dir");
    directive(&d, "council", 3, "2026-001", 1, NULL, 0, (cf_strv){NULL, 0}, (cf_strv){NULL, 0});
    CHECK_ST(deliver(f.t, &d, T0), CF_OK);
    ack(&ar, "banking", 3, d.m->env.id, 1, T0 + 20000);
    ack(&ad, "banking", 4, d.m->env.id, 2, T0 + 21000);
    CHECK_ST(deliver_checked(f.t, "council", &ad, T0 + 22000), CF_OK);
    /* its automatic receipt, sent before and arriving after, changes nothing */
    CHECK_ST(deliver_checked(f.t, "council", &ar, T0 + 23000), CF_OK);
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-001", &o), CF_OK);
    if (o) {
        const cJSON *nodes = jarr(o, "nodes");
        const cJSON *b = row(nodes, "node", "banking");
        CHECK_STR(jstr(b, "state"), "acknowledged");
        CHECK_STR(jstr(b, "acknowledged"), fmt(T0 + 21000, t));
        CHECK(jstr(b, "received") != NULL);
        const cJSON *tc = row(nodes, "node", "telecom");
        CHECK_STR(jstr(tc, "state"), "none");
        CHECK(jnull(tc, "received") && jnull(tc, "acknowledged"));
        CHECK(row(nodes, "node", "council") == NULL); /* the issuer is not in the table */
        CHECK(jnum(o, "in_scope") == 5);
        CHECK(jnum(o, "acknowledged") == 1);
        CHECK(jnum(o, "received") == 1);
        cJSON_Delete(o);
        o = NULL;
    }
    tmsg_free(&d);
    tmsg_free(&ad);
    tmsg_free(&ar);
    fx_close(&f);
    cf_topology_free(topo);
}

/* An operator's ack of origin's with words: a note (incident.note). */
static void
note_ack(tmsg *out, const char *origin, uint64_t seq, const uint8_t id[CF_ID_LEN], const char *text,
         int64_t at_ms)
{
    cf_body b;

    header(&b, CF_MSG_ACK, origin, seq);
    memcpy(b.u.ack.message_id, id, CF_ID_LEN);
    b.u.ack.node = origin;
    b.u.ack.state = 2;
    b.u.ack.analyst = "duty officer";
    b.u.ack.reason = text;
    b.u.ack.at_ms = at_ms;
    tmsg_make(&b, out);
}

/* Notes: other holders' acks (not receipts) of an incident's revisions,
 * listed with it in time order, each with the revision it is on. */
static void
test_notes(void)
{
    fixture f;
    tmsg r1, r2, n1, n2, rc, nt;
    cJSON *o = NULL;
    char t[32];

    fx_open(&f, "state-notes");
    incident(&r1, "banking", 1, (inc_spec){"INC-B", 1, 2, 2, 1, "banking", NULL, NULL});
    incident(&r2, "banking", 2, (inc_spec){"INC-B", 2, 3, 2, 2, "banking", NULL, "triaged"});
    CHECK_ST(deliver(f.t, &r1, T0), CF_OK);
    CHECK_ST(deliver(f.t, &r2, T0), CF_OK);
    /* the Council's note (on revision 2) is later than NCERT's (on 1),
     * though "council" sorts first */
    note_ack(&n1, "council", 4, r2.m->env.id, "ask CERT-EU", T0 + 30000);
    note_ack(&n2, "ncert", 7, r1.m->env.id, "seen in telecom too", T0 + 20000);
    CHECK_ST(deliver_checked(f.t, "banking", &n1, T0 + 31000), CF_OK);
    CHECK_ST(deliver_checked(f.t, "banking", &n2, T0 + 32000), CF_OK);
    /* a receipt says nothing: no note */
    ack(&rc, "telecom", 2, r2.m->env.id, 1, T0 + 33000);
    CHECK_ST(deliver_checked(f.t, "banking", &rc, T0 + 34000), CF_OK);
    /* a note on a tasking is no incident's */
    tasking(&nt, "banking", 3, "T-9", ASSIGNEES, 0);
    CHECK_ST(deliver(f.t, &nt, T0), CF_OK);
    tmsg_free(&rc);
    note_ack(&rc, "ncert", 8, nt.m->env.id, "on it", T0 + 35000);
    CHECK_ST(deliver_checked(f.t, "banking", &rc, T0 + 36000), CF_OK);
    CHECK_ST(cf_state_incident(f.t, "banking", "INC-B", &o), CF_OK);
    if (o) {
        const cJSON *notes = jarr(o, "notes");
        CHECK(cJSON_GetArraySize(notes) == 2);
        const cJSON *a = cJSON_GetArrayItem(notes, 0), *b = cJSON_GetArrayItem(notes, 1);
        CHECK_STR(jstr(a, "by"), "ncert");
        CHECK_STR(jstr(a, "text"), "seen in telecom too");
        CHECK_STR(jstr(a, "analyst"), "duty officer");
        CHECK_STR(jstr(a, "state"), "acknowledged");
        CHECK_STR(jstr(a, "at"), fmt(T0 + 20000, t));
        CHECK(jnum(a, "revision") == 1);
        CHECK_STR(jstr(b, "by"), "council");
        CHECK_STR(jstr(b, "text"), "ask CERT-EU");
        CHECK(jnum(b, "revision") == 2);
        /* a note changes no revision */
        CHECK(jnum(o, "revision") == 2);
        CHECK(cJSON_GetObjectItem(o, "notes_not_shown") == NULL);
        cJSON_Delete(o);
        o = NULL;
    }
    /* the latest CF_NOTES_SHOWN_MAX are listed, and how many more there are */
    for (int i = 0; i < CF_NOTES_SHOWN_MAX; i++) {
        tmsg x;
        note_ack(&x, "council", 10 + (uint64_t)i, r2.m->env.id, "again", T0 + 40000 + i);
        CHECK_ST(deliver_checked(f.t, "banking", &x, T0 + 50000), CF_OK);
        tmsg_free(&x);
    }
    CHECK_ST(cf_state_incident(f.t, "banking", "INC-B", &o), CF_OK);
    if (o) {
        const cJSON *notes = jarr(o, "notes");
        CHECK(cJSON_GetArraySize(notes) == CF_NOTES_SHOWN_MAX);
        CHECK(jnum(o, "notes_not_shown") == 2);
        CHECK_STR(jstr(cJSON_GetArrayItem(notes, 0), "at"), fmt(T0 + 40000, t));
        CHECK_STR(jstr(cJSON_GetArrayItem(notes, CF_NOTES_SHOWN_MAX - 1), "at"),
                  fmt(T0 + 40000 + CF_NOTES_SHOWN_MAX - 1, t));
        cJSON_Delete(o);
    }
    tmsg_free(&r1);
    tmsg_free(&r2);
    tmsg_free(&n1);
    tmsg_free(&n2);
    tmsg_free(&rc);
    tmsg_free(&nt);
    fx_close(&f);
}

/* ---- taskings ----------------------------------------------------------------------------- */

/* One receipt for several messages: each is marked held, and the receipt
 * is refused if any of them is unknown or they are of several origins. */
static void
test_batch_receipts(void)
{
    fixture f;
    tmsg i1, i2, other, r, mixed, unknown;
    uint8_t ids[3 * CF_ID_LEN];
    char origin[CF_NODE_ID_MAX + 1], buf[128];
    const char *why = NULL;
    cJSON *o = NULL;

    fx_open(&f, "state-batch-receipt");
    incident(&i1, "banking", 1, (inc_spec){"INC-1", 1, 2, 2, 1, "banking", NULL, NULL});
    incident(&i2, "banking", 2, (inc_spec){"INC-2", 1, 2, 2, 1, "banking", NULL, NULL});
    incident(&other, "telecom", 1, (inc_spec){"INC-T", 1, 2, 2, 1, "telecom", NULL, NULL});
    CHECK_ST(deliver(f.t, &i1, T0), CF_OK);
    CHECK_ST(deliver(f.t, &i2, T0), CF_OK);
    CHECK_ST(deliver(f.t, &other, T0), CF_OK);

    memcpy(ids, i1.m->env.id, CF_ID_LEN);
    memcpy(ids + CF_ID_LEN, i2.m->env.id, CF_ID_LEN);
    receipt_for(&r, "ncert", 1, ids, 2);
    /* where the messages are, found once by id, and applied with */
    cf_logkey keys[2], want;
    CHECK_ST(cf_state_ack_origin(f.t, &r.m->body.u.ack, origin, keys, &why), CF_OK);
    CHECK_STR(origin, "banking");
    for (uint64_t i = 0; i < 2; i++) {
        cf_logkey_make("banking", i + 1, &want);
        CHECK(keys[i].len == want.len && memcmp(keys[i].k, want.k, want.len) == 0);
    }
    CHECK_ST(cf_state_record(f.t, r.m, r.wire.data, r.wire.len, true), CF_OK);
    CHECK_ST(cf_state_apply_ack(f.t, r.m, keys), CF_OK);
    CHECK_ST(cf_state_apply_ack(f.t, i1.m, keys), CF_E_INVALID_ARG); /* not an ack */
    /* messages whose log entries are gone change nothing, and are no error */
    cf_logkey gone[2];
    cf_logkey_make("banking", 99, &gone[0]);
    cf_logkey_make("banking", 98, &gone[1]);
    CHECK_ST(cf_state_apply_ack(f.t, r.m, gone), CF_OK);
    const char *inc_ids[] = {"INC-1", "INC-2"};
    for (size_t i = 0; i < 2; i++) {
        CHECK_ST(cf_state_incident(f.t, "banking", inc_ids[i], &o), CF_OK);
        if (o) {
            CHECK_STR(joined(jarr(o, "holders"), "node", buf, sizeof(buf)), "banking,ncert");
            cJSON_Delete(o);
            o = NULL;
        }
    }

    /* banking's and telecom's messages in one receipt */
    memcpy(ids + CF_ID_LEN, other.m->env.id, CF_ID_LEN);
    receipt_for(&mixed, "ncert", 2, ids, 2);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "banking", mixed.m, &why), CF_E_MALFORMED);
    CHECK(why && strstr(why, "more than one origin"));

    /* one id of three that banking does not have */
    memcpy(ids + CF_ID_LEN, i2.m->env.id, CF_ID_LEN);
    memset(ids + 2 * CF_ID_LEN, 0x5a, CF_ID_LEN);
    receipt_for(&unknown, "ncert", 3, ids, 3);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "banking", unknown.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why && strstr(why, "does not have"));

    tmsg_free(&i1);
    tmsg_free(&i2);
    tmsg_free(&other);
    tmsg_free(&r);
    tmsg_free(&mixed);
    tmsg_free(&unknown);
    fx_close(&f);
}

static void
test_taskings(void)
{
    fixture f;
    tmsg tk, s5, s6, s4, dec, abad, tk2, s2b, sunk, ackdone;
    cJSON *o = NULL;
    cf_message *m = NULL;
    char buf[256], t[32];
    const char *why;
    static const char *const NCERT[] = {"ncert"};

    fx_open(&f, "state-tasks");
    /* due long ago, so overdue while work is open */
    tasking(&tk, "ncert", 1, "T-1", ASSIGNEES, T0 - 1000);
    CHECK_ST(deliver(f.t, &tk, T0), CF_OK);
    CHECK_ST(cf_state_tasks(f.t, "ncert", &o), CF_OK);
    if (o) {
        const cJSON *k = row(o, "id", "T-1");
        CHECK(cJSON_GetArraySize(o) == 1);
        CHECK_STR(jstr(k, "issuer"), "ncert");
        CHECK_STR(jstr(k, "direction"), "issued");
        CHECK_STR(jstr(k, "kind"), "investigate");
        CHECK_STR(joined(jarr(k, "states"), "assignee", buf, sizeof(buf)), "banking,telecom");
        CHECK_STR(joined(jarr(k, "states"), "state", buf, sizeof(buf)), "assigned,assigned");
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "overdue")));
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_task(f.t, "T-1", &m), CF_OK);
    if (m) {
        CHECK_STR(m->body.u.tasking.issuer, "ncert");
        CHECK(m->body.u.tasking.assignees.n == 2);
        cf_message_free(m);
        m = NULL;
    }
    CHECK_ST(cf_state_task(f.t, "T-404", &m), CF_E_NOT_FOUND);

    /* banking: accepted (seq 5), done (seq 6) */
    /* (made in banking's order, so that they chain; delivered out of it) */
    ack(&ackdone, "banking", 3, tk.m->env.id, 1, T0 + 3000);
    task_status(&s4, "banking", 4, "T-1", 3, NULL, "half way");
    task_status(&s5, "banking", 5, "T-1", 2, NULL, NULL);
    task_status(&s6, "banking", 6, "T-1", 4, NULL, "all clear");
    CHECK_ST(deliver_checked(f.t, "ncert", &s5, T0), CF_OK);
    CHECK_ST(deliver_checked(f.t, "ncert", &s6, T0), CF_OK);
    /* a lower seq arriving late: recorded, but it does not overwrite */
    CHECK_ST(deliver_checked(f.t, "ncert", &s4, T0), CF_OK);
    /* nor does banking's late automatic receipt */
    CHECK_ST(deliver_checked(f.t, "ncert", &ackdone, T0), CF_OK);
    CHECK_ST(cf_state_tasks(f.t, "ncert", &o), CF_OK);
    if (o) {
        const cJSON *b = task_row(o, "T-1", "banking");
        CHECK_STR(jstr(b, "state"), "done");
        CHECK_STR(jstr(b, "result"), "all clear");
        CHECK_STR(jstr(b, "at"), fmt(created_at(6), t));
        CHECK_STR(jstr(task_row(o, "T-1", "telecom"), "state"), "assigned");
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row(o, "id", "T-1"), "overdue")));
        cJSON_Delete(o);
        o = NULL;
    }

    /* telecom declines: no work is open, so not overdue any more */
    task_status(&dec, "telecom", 1, "T-1", 5, "no capacity", NULL);
    CHECK_ST(deliver_checked(f.t, "ncert", &dec, T0), CF_OK);
    CHECK_ST(cf_state_tasks(f.t, "ncert", &o), CF_OK);
    if (o) {
        CHECK_STR(jstr(task_row(o, "T-1", "telecom"), "state"), "declined");
        CHECK_STR(jstr(task_row(o, "T-1", "telecom"), "reason"), "no capacity");
        CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(row(o, "id", "T-1"), "overdue")));
        cJSON_Delete(o);
        o = NULL;
    }

    /* a status from a node that is not an assignee */
    task_status(&abad, "punjab", 1, "T-1", 4, NULL, NULL);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "ncert", abad.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why != NULL && why[0] != 0);
    /* for a tasking self did not issue (the Council's, to ncert) */
    tasking(&tk2, "council", 1, "T-2", (cf_strv){NCERT, 1}, 0);
    CHECK_ST(deliver(f.t, &tk2, T0), CF_OK);
    task_status(&s2b, "banking", 7, "T-2", 4, NULL, NULL);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "ncert", s2b.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why != NULL && why[0] != 0);
    /* for a tasking nobody here knows */
    task_status(&sunk, "banking", 8, "T-404", 4, NULL, NULL);
    why = NULL;
    CHECK_ST(cf_state_check(f.t, "ncert", sunk.m, &why), CF_E_UNAUTHORIZED);
    CHECK(why != NULL && why[0] != 0);

    CHECK_ST(cf_state_tasks(f.t, "ncert", &o), CF_OK);
    if (o) {
        CHECK_STR(joined(o, "id", buf, sizeof(buf)), "T-1,T-2");
        CHECK_STR(jstr(row(o, "id", "T-2"), "direction"), "assigned");
        CHECK_STR(joined(jarr(row(o, "id", "T-2"), "states"), "assignee", buf, sizeof(buf)),
                  "ncert");
        cJSON_Delete(o);
        o = NULL;
    }

    tmsg_free(&tk);
    tmsg_free(&s5);
    tmsg_free(&s6);
    tmsg_free(&s4);
    tmsg_free(&dec);
    tmsg_free(&abad);
    tmsg_free(&tk2);
    tmsg_free(&s2b);
    tmsg_free(&sunk);
    tmsg_free(&ackdone);
    fx_close(&f);
}

/* ---- directives ----------------------------------------------------------------------------- */

static void
test_directives(void)
{
    fixture f;
    tmsg v1, v10, v2, other, scoped, everyone, prov, roles, ack_sb;
    cJSON *o = NULL;
    cf_message *m = NULL;
    cf_topology *topo = NULL;
    char buf[256], t[32], err[256] = "";
    static const char *const BANKING[] = {"banking"};
    static const char *const PUNJAB[] = {"punjab"};
    static const int SECTORAL[] = {CF_ROLE_SECTORAL};
    static const cf_strv none = {NULL, 0};
    static const char topo_text[] = "[federation]\nname = " FED "\n"
                                    "[node council]\nrole = council\n"
                                    "[node ncert]\nrole = ncert\nparent = council\n"
                                    "[node banking]\nrole = sectoral\nparent = ncert\n"
                                    "[node telecom]\nrole = sectoral\nparent = ncert\n"
                                    "[node punjab]\nrole = provincial\nparent = ncert\n"
                                    "[node state-bank]\nrole = constituent\nparent = banking\n";

    CHECK_ST(cf_topology_parse(topo_text, &topo, err, sizeof(err)), CF_OK);
    if (!topo) {
        fprintf(stderr, "topology: %s\n", err);
        return;
    }
    fx_open(&f, "state-directives");
    /* versions arrive 1, 10, 2: the newest is 10, not the last one applied */
    directive(&v1, "council", 1, "2026-014", 1, NULL, 0, none, none);
    directive(&v10, "council", 2, "2026-014", 10, NULL, 0, none, none);
    directive(&v2, "council", 3, "2026-014", 2, NULL, 0, none, none);
    directive(&other, "council", 4, "2026-01", 5, NULL, 0, none, none);
    CHECK_ST(deliver(f.t, &v1, T0), CF_OK);
    CHECK_ST(deliver(f.t, &v10, T0), CF_OK);
    CHECK_ST(deliver(f.t, &v2, T0), CF_OK);
    CHECK_ST(deliver(f.t, &other, T0), CF_OK);
    CHECK_ST(cf_state_directive(f.t, "2026-014", &m), CF_OK);
    if (m) {
        CHECK(m->body.u.directive.version == 10);
        CHECK(memcmp(m->env.id, v10.m->env.id, CF_ID_LEN) == 0);
        cf_message_free(m);
        m = NULL;
    }
    /* a number that is a prefix of another is its own directive */
    CHECK_ST(cf_state_directive(f.t, "2026-01", &m), CF_OK);
    if (m) {
        CHECK_STR(m->body.u.directive.number, "2026-01");
        CHECK(m->body.u.directive.version == 5);
        cf_message_free(m);
        m = NULL;
    }
    CHECK_ST(cf_state_directive(f.t, "2026-0", &m), CF_E_NOT_FOUND);
    CHECK(m == NULL);
    CHECK_ST(cf_state_directives(f.t, &o), CF_OK);
    if (o) {
        const cJSON *x;
        buf[0] = 0;
        cJSON_ArrayForEach(x, o)
        {
            char n[48];
            snprintf(n, sizeof(n), "%s%s/%d", buf[0] ? "," : "", jstr(x, "number"),
                     (int)jnum(x, "version"));
            strncat(buf, n, sizeof(buf) - strlen(buf) - 1);
        }
        CHECK_STR(buf, "2026-01/5,2026-014/1,2026-014/2,2026-014/10");
        cJSON_Delete(o);
        o = NULL;
    }

    /* scoped to the banking sector: banking and its constituent */
    directive(&scoped, "council", 5, "2026-020", 1, NULL, 0, (cf_strv){BANKING, 1}, none);
    CHECK_ST(deliver(f.t, &scoped, T0), CF_OK);
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-020", &o), CF_OK);
    if (o) {
        CHECK_STR(joined(jarr(o, "nodes"), "node", buf, sizeof(buf)), "banking,state-bank");
        CHECK(jnum(o, "in_scope") == 2);
        CHECK(jnum(o, "received") == 0);
        CHECK(jnum(o, "acknowledged") == 0);
        CHECK_STR(joined(jarr(o, "nodes"), "state", buf, sizeof(buf)), "none,none");
        CHECK_STR(jstr(row(jarr(o, "nodes"), "node", "state-bank"), "role"), "constituent");
        cJSON_Delete(o);
        o = NULL;
    }
    ack(&ack_sb, "state-bank", 1, scoped.m->env.id, 2, T0 + 31000);
    CHECK_ST(cf_state_apply(f.t, ack_sb.m, T0), CF_OK); /* not self's: no check */
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-020", &o), CF_OK);
    if (o) {
        const cJSON *sb = row(jarr(o, "nodes"), "node", "state-bank");
        CHECK_STR(jstr(sb, "state"), "acknowledged");
        CHECK_STR(jstr(sb, "acknowledged"), fmt(T0 + 31000, t));
        CHECK_STR(jstr(sb, "received"), fmt(T0 + 31000, t));
        CHECK_STR(jstr(row(jarr(o, "nodes"), "node", "banking"), "state"), "none");
        CHECK(jnum(o, "in_scope") == 2);
        CHECK(jnum(o, "received") == 1);
        CHECK(jnum(o, "acknowledged") == 1);
        cJSON_Delete(o);
        o = NULL;
    }
    /* the counts only: the same counts and directive, no rows */
    cf_directive_counts dc;
    CHECK_ST(cf_state_directive_counts(f.t, topo, "council", "2026-020", &dc, &o), CF_OK);
    CHECK(dc.in_scope == 2 && dc.received == 1 && dc.acknowledged == 1);
    if (o) {
        CHECK(cJSON_GetObjectItemCaseSensitive(o, "nodes") == NULL);
        CHECK(jnum(o, "in_scope") == 2);
        CHECK(jnum(o, "received") == 1);
        CHECK(jnum(o, "acknowledged") == 1);
        CHECK_STR(jstr(o, "number"), "2026-020");
        cJSON_Delete(o);
        o = NULL;
    }
    /* the counts alone, without JSON */
    CHECK_ST(cf_state_directive_counts(f.t, topo, "council", "2026-020", &dc, NULL), CF_OK);
    CHECK(dc.in_scope == 2 && dc.received == 1 && dc.acknowledged == 1);
    CHECK_ST(cf_state_directive_counts(f.t, topo, "council", "2026-999", &dc, &o), CF_E_NOT_FOUND);
    CHECK(o == NULL);

    /* everyone but the issuer; one province; one role */
    directive(&everyone, "council", 6, "2026-021", 1, NULL, 0, none, none);
    directive(&prov, "council", 7, "2026-022", 1, NULL, 0, none, (cf_strv){PUNJAB, 1});
    directive(&roles, "council", 8, "2026-023", 1, SECTORAL, 1, none, none);
    CHECK_ST(deliver(f.t, &everyone, T0), CF_OK);
    CHECK_ST(deliver(f.t, &prov, T0), CF_OK);
    CHECK_ST(deliver(f.t, &roles, T0), CF_OK);
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-021", &o), CF_OK);
    if (o) {
        CHECK_STR(joined(jarr(o, "nodes"), "node", buf, sizeof(buf)),
                  "ncert,banking,telecom,punjab,state-bank");
        CHECK(jnum(o, "in_scope") == 5);
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-022", &o), CF_OK);
    if (o) {
        CHECK_STR(joined(jarr(o, "nodes"), "node", buf, sizeof(buf)), "punjab");
        CHECK(jnum(o, "in_scope") == 1);
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-023", &o), CF_OK);
    if (o) {
        CHECK_STR(joined(jarr(o, "nodes"), "node", buf, sizeof(buf)), "banking,telecom");
        CHECK(jnum(o, "in_scope") == 2);
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_directive_status(f.t, topo, "council", "2026-999", &o), CF_E_NOT_FOUND);
    CHECK(o == NULL);
    fx_close(&f);

    /* at banking, in its scope: its own receipt (in its log, noted in the
     * directive's ids row) says when it received it; it has no acks row */
    tmsg d, r, own_ack;
    cf_logkey dk;
    fx_open(&f, "state-directives-leaf");
    directive(&d, "council", 1, "2026-030", 1, NULL, 0, none, none);
    CHECK_ST(deliver(f.t, &d, T0), CF_OK);
    CHECK_ST(cf_state_receipted(f.t, "banking", d.m, NULL, T0 + 5000), CF_OK);
    CHECK(cf_txn_count(f.t, CF_T_ACKS) == 0);
    ack(&r, "banking", 1, d.m->env.id, 1, T0 + 5000);
    CHECK_ST(cf_state_record(f.t, r.m, r.wire.data, r.wire.len, false), CF_OK);
    cf_logkey_make("council", 1, &dk);
    CHECK_ST(cf_state_receipt_note_id(f.t, d.m->env.id, &dk, 1), CF_OK);
    CHECK_ST(cf_state_directive_status(f.t, topo, "banking", "2026-030", &o), CF_OK);
    if (o) {
        const cJSON *b = row(jarr(o, "nodes"), "node", "banking");
        CHECK_STR(jstr(b, "state"), "received");
        CHECK_STR(jstr(b, "received"), fmt(T0 + 5000, t));
        CHECK_STR(jstr(row(jarr(o, "nodes"), "node", "telecom"), "state"), "none");
        CHECK(jnum(o, "received") == 1);
        cJSON_Delete(o);
        o = NULL;
    }
    /* its operator's ack later: received stays the receipt's time */
    ack(&own_ack, "banking", 2, d.m->env.id, 2, T0 + 9000);
    CHECK_ST(deliver(f.t, &own_ack, T0 + 9000), CF_OK);
    CHECK_ST(cf_state_directive_counts(f.t, topo, "banking", "2026-030", &dc, NULL), CF_OK);
    CHECK(dc.received == 1 && dc.acknowledged == 1);
    CHECK_ST(cf_state_directive_status(f.t, topo, "banking", "2026-030", &o), CF_OK);
    if (o) {
        const cJSON *b = row(jarr(o, "nodes"), "node", "banking");
        CHECK_STR(jstr(b, "state"), "acknowledged");
        CHECK_STR(jstr(b, "received"), fmt(T0 + 5000, t));
        CHECK_STR(jstr(b, "acknowledged"), fmt(T0 + 9000, t));
        cJSON_Delete(o);
        o = NULL;
    }
    tmsg_free(&d);
    tmsg_free(&r);
    tmsg_free(&own_ack);

    tmsg_free(&v1);
    tmsg_free(&v10);
    tmsg_free(&v2);
    tmsg_free(&other);
    tmsg_free(&scoped);
    tmsg_free(&everyone);
    tmsg_free(&prov);
    tmsg_free(&roles);
    tmsg_free(&ack_sb);
    fx_close(&f);
    cf_topology_free(topo);
}

/* ---- outbox ------------------------------------------------------------------------------------
 */

/* One entry as the scan saw it, flattened to text. */
typedef struct seen_entry {
    char key[48];
    char subjects[256];
    char pending[256];
    int64_t due;
    uint32_t attempts;
    int64_t expires;
} seen_entry;

typedef struct seen_list {
    seen_entry e[8];
    int n;
} seen_list;

static void
flatten(const cf_strlist *l, char *out, size_t outlen)
{
    out[0] = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, l->v[i], outlen - strlen(out) - 1);
    }
}

static cf_status
collect(const cf_logkey *key, const cf_outbox_entry *e, void *ctx)
{
    seen_list *l = ctx;

    if (l->n < 8) {
        seen_entry *s = &l->e[l->n];
        /* "origin/seq" */
        size_t n = strnlen((const char *)key->k, key->len);
        snprintf(s->key, sizeof(s->key), "%.*s/%llu", (int)n, (const char *)key->k,
                 (unsigned long long)cf_get_u64(key->k + key->len - 8));
        flatten(&e->subjects, s->subjects, sizeof(s->subjects));
        flatten(&e->pending, s->pending, sizeof(s->pending));
        s->due = e->next_due_ms;
        s->attempts = e->attempts;
        s->expires = e->expires_ms;
    }
    l->n++;
    return CF_OK;
}

static const seen_entry *
entry(const seen_list *l, const char *key)
{
    for (int i = 0; i < l->n && i < 8; i++)
        if (strcmp(l->e[i].key, key) == 0)
            return &l->e[i];
    return NULL;
}

static const seen_entry *
scan_one(cf_txn *t, seen_list *l, const char *key)
{
    memset(l, 0, sizeof(*l));
    if (cf_state_outbox_scan(t, collect, l) != CF_OK)
        return NULL;
    return entry(l, key);
}

static const char *
keys_of(const seen_list *l, char *out, size_t outlen)
{
    out[0] = 0;
    for (int i = 0; i < l->n && i < 8; i++) {
        if (i)
            strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, l->e[i].key, outlen - strlen(out) - 1);
    }
    return out;
}

/* The entries a pass over the outbox reads: those due by due_by. */
static void
scan_due(cf_txn *t, seen_list *l, int64_t due_by)
{
    static const cf_logkey first = {.len = 0};

    memset(l, 0, sizeof(*l));
    if (cf_state_outbox_scan_from(t, &first, due_by, collect, l) != CF_OK)
        l->n = -1;
}

static void
strlist_of(cf_strlist *l, const char *const *v, size_t n)
{
    l->v = NULL;
    l->n = 0;
    for (size_t i = 0; i < n; i++)
        if (cf_strlist_add(l, v[i]) != CF_OK)
            die("cf_strlist_add");
}

static void
test_outbox(void)
{
    fixture f;
    tmsg tk, ab, ap, at;
    seen_list l;
    const seen_entry *e;
    cf_logkey k1, k2, k0, missing;
    cf_strlist subj, rcpt, subj2, rcpt2, subj0, none = {NULL, 0};
    char buf[256];
    static const char *const S1[] = {"certfed.council.ncert.banking.in.tasking",
                                     "certfed.council.ncert.telecom.in.tasking"};
    static const char *const S2[] = {"certfed.council.in.incident"};
    static const char *const S0[] = {"certfed.council.in.incident"};
    static const char *const R2[] = {"council"};

    fx_open(&f, "state-outbox");
    cf_logkey_make("ncert", 1, &k1);
    cf_logkey_make("ncert", 2, &k2);
    cf_logkey_make("banking", 9, &k0);
    cf_logkey_make("ncert", 77, &missing);
    strlist_of(&subj, S1, 2);
    strlist_of(&rcpt, TWO, 2);
    strlist_of(&subj2, S2, 1);
    strlist_of(&rcpt2, R2, 1);
    strlist_of(&subj0, S0, 1);

    /* the tasking the first entry carries, in the log as originate_in puts it */
    tasking(&tk, "ncert", 1, "T-9", ASSIGNEES, 0);
    CHECK_ST(deliver(f.t, &tk, T0), CF_OK);
    CHECK_ST(cf_state_outbox_put(f.t, &k1, &subj, &rcpt, T0 + 5000, T0 + 86400000), CF_OK);
    CHECK_ST(cf_state_outbox_put(f.t, &k2, &subj2, &rcpt2, T0 + 7000, 0), CF_OK);
    CHECK_ST(cf_state_outbox_put(f.t, &k0, &subj0, &none, 0, 0), CF_OK); /* a relay */

    e = scan_one(f.t, &l, "ncert/1");
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "banking/9,ncert/1,ncert/2"); /* log-key order */
    CHECK(e != NULL);
    if (e) {
        CHECK_STR(e->subjects, "certfed.council.ncert.banking.in.tasking,"
                               "certfed.council.ncert.telecom.in.tasking");
        CHECK_STR(e->pending, "banking,telecom");
        CHECK(e->due == T0 + 5000);
        CHECK(e->attempts == 0);
        CHECK(e->expires == T0 + 86400000);
    }
    e = entry(&l, "banking/9");
    CHECK(e != NULL && strcmp(e->pending, "") == 0 && e->due == 0 &&
          strcmp(e->subjects, "certfed.council.in.incident") == 0);
    e = entry(&l, "ncert/2");
    CHECK(e != NULL && strcmp(e->pending, "council") == 0 && e->due == T0 + 7000);
    /* a pass reads only what is due by its time; INT64_MAX: everything */
    scan_due(f.t, &l, T0 + 6000);
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "banking/9,ncert/1");
    scan_due(f.t, &l, T0 + 4999);
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "banking/9");
    scan_due(f.t, &l, INT64_MAX);
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "banking/9,ncert/1,ncert/2");
    /* whom an entry waits for (a catch-up answer leaves those to the outbox) */
    bool waits = false;
    CHECK_ST(cf_state_outbox_waits_for(f.t, &k1, "telecom", &waits), CF_OK);
    CHECK(waits);
    CHECK_ST(cf_state_outbox_waits_for(f.t, &k1, "council", &waits), CF_OK);
    CHECK(!waits);
    CHECK_ST(cf_state_outbox_waits_for(f.t, &k1, "tele", &waits), CF_OK);
    CHECK(!waits); /* a whole name, not a prefix */
    CHECK_ST(cf_state_outbox_waits_for(f.t, &k1, "banking", &waits), CF_OK);
    CHECK(waits);
    /* the same, for a range of an origin's stream in one pass */
    cf_seq_set q = {0};
    CHECK_ST(cf_state_outbox_waiting(f.t, "ncert", 1, 10, "telecom", &q), CF_OK);
    CHECK(q.n == 1 && q.upto == UINT64_MAX); /* the outbox has no more of ncert's */
    CHECK(!cf_seq_set_has(&q, 0) && cf_seq_set_has(&q, 1) && !cf_seq_set_has(&q, 2));
    CHECK_ST(cf_state_outbox_waiting(f.t, "ncert", 1, 1, "council", &q), CF_OK);
    CHECK(q.n == 0 && q.upto == 1); /* it stopped at ncert/2 */
    CHECK_ST(cf_state_outbox_waiting(f.t, "ncert", 1, 10, "council", &q), CF_OK);
    CHECK(q.n == 1 && cf_seq_set_has(&q, 2));
    CHECK_ST(cf_state_outbox_waiting(f.t, "banking", 1, 10, "council", &q), CF_OK);
    CHECK(q.n == 0 && q.upto == UINT64_MAX); /* a forward waits for nobody */
    CHECK_ST(cf_state_outbox_waiting(f.t, "ncert", 2, 10, "banking", &q), CF_OK);
    CHECK(q.n == 0 && !cf_seq_set_has(&q, 2));
    cf_seq_set_clear(&q);
    CHECK_ST(cf_state_outbox_waits_for(f.t, &k0, "council", &waits), CF_OK);
    CHECK(!waits); /* a relay's forward waits for nobody */
    waits = true;
    CHECK_ST(cf_state_outbox_waits_for(f.t, &missing, "telecom", &waits), CF_OK);
    CHECK(!waits);

    /* rescheduled: new due time and attempts, same subjects and recipients */
    CHECK_ST(cf_state_outbox_reschedule(f.t, &k1, T0 + 60000, 3), CF_OK);
    e = scan_one(f.t, &l, "ncert/1");
    CHECK(e != NULL);
    if (e) {
        CHECK(e->due == T0 + 60000);
        CHECK(e->attempts == 3);
        CHECK(e->expires == T0 + 86400000); /* kept */
        CHECK_STR(e->subjects, "certfed.council.ncert.banking.in.tasking,"
                               "certfed.council.ncert.telecom.in.tasking");
        CHECK_STR(e->pending, "banking,telecom");
    }
    CHECK_ST(cf_state_outbox_reschedule(f.t, &missing, T0, 1), CF_E_NOT_FOUND);
    /* an entry an older version wrote does not say when it expires */
    static const char old[] = "T 5 2\nS certfed.council.in.incident\nR council\n";
    CHECK_ST(cf_txn_put(f.t, CF_T_OUTBOX, missing.k, missing.len, old, sizeof(old) - 1, false),
             CF_OK);
    e = scan_one(f.t, &l, "ncert/77");
    CHECK(e != NULL && e->due == 5 && e->attempts == 2 && e->expires == -1);
    /* rescheduled, it still does not say; its lines are kept */
    CHECK_ST(cf_state_outbox_reschedule(f.t, &missing, T0 + 9000, 3), CF_OK);
    e = scan_one(f.t, &l, "ncert/77");
    CHECK(e != NULL && e->due == T0 + 9000 && e->attempts == 3 && e->expires == -1 &&
          strcmp(e->pending, "council") == 0 &&
          strcmp(e->subjects, "certfed.council.in.incident") == 0);
    CHECK_ST(cf_state_outbox_del(f.t, &missing), CF_OK);

    /* banking's receipt drops banking only, and keeps the schedule */
    ack(&ab, "banking", 1, tk.m->env.id, 1, T0 + 1000);
    CHECK_ST(deliver_checked(f.t, "ncert", &ab, T0), CF_OK);
    e = scan_one(f.t, &l, "ncert/1");
    CHECK(e != NULL);
    if (e) {
        CHECK_STR(e->pending, "telecom");
        CHECK_STR(e->subjects, "certfed.council.ncert.banking.in.tasking,"
                               "certfed.council.ncert.telecom.in.tasking");
        CHECK(e->due == T0 + 60000);
        CHECK(e->attempts == 3);
    }
    /* an ack from a node it was not waiting for changes nothing */
    ack(&ap, "punjab", 1, tk.m->env.id, 1, T0 + 1000);
    CHECK_ST(deliver_checked(f.t, "ncert", &ap, T0), CF_OK);
    e = scan_one(f.t, &l, "ncert/1");
    CHECK(e != NULL && strcmp(e->pending, "telecom") == 0);
    /* the last recipient's receipt removes the entry, and only it */
    ack(&at, "telecom", 1, tk.m->env.id, 1, T0 + 1000);
    CHECK_ST(deliver_checked(f.t, "ncert", &at, T0), CF_OK);
    e = scan_one(f.t, &l, "ncert/1");
    CHECK(e == NULL);
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "banking/9,ncert/2");

    /* delete; deleting what is not there is not an error */
    CHECK_ST(cf_state_outbox_del(f.t, &k0), CF_OK);
    CHECK_ST(cf_state_outbox_del(f.t, &missing), CF_OK);
    scan_one(f.t, &l, "");
    CHECK_STR(keys_of(&l, buf, sizeof(buf)), "ncert/2");

    /* the outbox survives a commit */
    CHECK_ST(cf_txn_commit(f.t), CF_OK);
    CHECK_ST(cf_txn_begin(f.s, false, &f.t), CF_OK);
    e = scan_one(f.t, &l, "ncert/2");
    CHECK(e != NULL && strcmp(e->pending, "council") == 0 &&
          strcmp(e->subjects, "certfed.council.in.incident") == 0);

    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);
    cf_strlist_clear(&subj2);
    cf_strlist_clear(&rcpt2);
    cf_strlist_clear(&subj0);
    tmsg_free(&tk);
    tmsg_free(&ab);
    tmsg_free(&ap);
    tmsg_free(&at);
    fx_close(&f);
}

/* ---- meta ------------------------------------------------------------------------------------ */

/* Receipts kept in the ids rows, and a layout 1 store brought to layout 2. */
static void
test_layout(void)
{
    fixture f;
    tmsg i1, i2, old;
    uint64_t seq = 99;
    uint8_t nowhere[CF_ID_LEN], val[CF_LOGKEY_MAX + 8], key[16], ms[8];
    cf_logkey lk, rk;
    bool yes = false, upgraded = false;
    char buf[128], tbuf[32];
    cJSON *o = NULL;
    cf_message *m = NULL;

    fx_open(&f, "state-layout");
    incident(&i1, "banking", 1, (inc_spec){"INC-1", 1, 2, 2, 1, "banking", NULL, NULL});
    CHECK_ST(deliver(f.t, &i1, T0), CF_OK);
    CHECK_ST(cf_state_receipt_seq(f.t, i1.m, &seq), CF_E_NOT_FOUND);
    cf_logkey_make("banking", 1, &lk);
    CHECK_ST(cf_state_receipt_note(f.t, &lk, 7), CF_OK);
    CHECK_ST(cf_state_receipt_seq(f.t, i1.m, &seq), CF_OK);
    CHECK(seq == 7);
    /* the receipt beside it changes nothing of where the message is */
    CHECK_ST(cf_state_holds(f.t, "banking", 1, i1.wire.data, i1.wire.len, &yes), CF_OK);
    CHECK(yes);
    CHECK_ST(cf_state_holds(f.t, "banking", 2, i1.wire.data, i1.wire.len, &yes), CF_OK);
    CHECK(!yes); /* nothing there */
    CHECK_ST(cf_state_holds(f.t, "banking", 1, i1.wire.data, i1.wire.len - 1, &yes), CF_OK);
    CHECK(!yes); /* other bytes there */
    CHECK_ST(cf_state_load_id(f.t, i1.m->env.id, &m), CF_OK);
    CHECK(m && m->body.u.incident.revision == 1);
    cf_message_free(m);
    m = NULL;
    CHECK_ST(cf_state_record(f.t, i1.m, i1.wire.data, i1.wire.len, true), CF_E_DUPLICATE);
    memset(nowhere, 0x33, sizeof(nowhere));
    /* a message never noted has no receipt */
    incident(&i2, "banking", 2, (inc_spec){"INC-2", 1, 2, 2, 1, "banking", NULL, NULL});
    CHECK_ST(cf_state_receipt_seq(f.t, i2.m, &seq), CF_E_NOT_FOUND);
    /* a new store is made at this layout: nothing to upgrade */
    CHECK_ST(cf_state_upgrade(f.t, "ncert", &upgraded), CF_OK);
    CHECK(!upgraded);
    CHECK_ST(cf_state_meta_get_u64(f.t, "layout", &seq), CF_OK);
    CHECK(seq == 3);
    fx_close(&f);

    /* layout 2 noted our receipts in the ids rows: still found there */
    fx_open(&f, "state-layout-2");
    CHECK_ST(cf_state_record(f.t, i2.m, i2.wire.data, i2.wire.len, true), CF_OK);
    cf_logkey_make("banking", 2, &lk);
    memcpy(val, lk.k, lk.len);
    cf_put_u64(val + lk.len, 5);
    CHECK_ST(cf_txn_put(f.t, CF_T_IDS, i2.m->env.id, CF_ID_LEN, val, lk.len + 8, false), CF_OK);
    CHECK_ST(cf_state_meta_put_u64(f.t, "layout", 2), CF_OK);
    CHECK_ST(cf_state_upgrade(f.t, "ncert", &upgraded), CF_OK);
    CHECK_ST(cf_state_meta_get_u64(f.t, "layout", &seq), CF_OK);
    CHECK(seq == 3);
    CHECK_ST(cf_state_receipt_seq(f.t, i2.m, &seq), CF_OK);
    CHECK(seq == 5);
    /* a receipt noted since wins */
    CHECK_ST(cf_state_receipt_note(f.t, &lk, 6), CF_OK);
    CHECK_ST(cf_state_receipt_seq(f.t, i2.m, &seq), CF_OK);
    CHECK(seq == 6);
    fx_close(&f);

    /* a message with an ids row has our receipt noted in it: no receipted
     * row, and the row still finds the message */
    fx_open(&f, "state-receipt-id");
    CHECK_ST(cf_state_record(f.t, i2.m, i2.wire.data, i2.wire.len, true), CF_OK);
    cf_logkey_make("banking", 2, &lk);
    CHECK_ST(cf_state_receipt_note_id(f.t, i2.m->env.id, &lk, 8), CF_OK);
    CHECK_ST(cf_state_receipt_seq(f.t, i2.m, &seq), CF_OK);
    CHECK(seq == 8);
    CHECK(cf_txn_count(f.t, CF_T_RECEIPTED) == 0);
    CHECK(cf_txn_count(f.t, CF_T_IDS) == 1);
    CHECK_ST(cf_state_load_id(f.t, i2.m->env.id, &m), CF_OK);
    CHECK(m && m->body.header.seq == 2);
    cf_message_free(m);
    m = NULL;
    /* indexing it again (a receipt's first id) keeps the note */
    CHECK_ST(cf_state_index(f.t, i2.m->env.id, &lk), CF_OK);
    CHECK_ST(cf_state_receipt_seq(f.t, i2.m, &seq), CF_OK);
    CHECK(seq == 8);
    fx_close(&f);

    /* layout 1, as an older node wrote it: the incident in the incidents
     * table too, revisions without a time, our own holder row, our receipt
     * in the receipts table */
    fx_open(&f, "state-layout-1");
    incident(&old, "banking", 1, (inc_spec){"INC-9", 1, 2, 2, 1, "banking", NULL, NULL});
    CHECK_ST(cf_state_record(f.t, old.m, old.wire.data, old.wire.len, true), CF_OK);
    cf_logkey_make("banking", old.m->body.header.seq, &lk);
    memcpy(key, "INC-9\0\0\0\0\1", 10);
    CHECK_ST(cf_txn_put(f.t, CF_T_REVISIONS, key, 10, lk.k, lk.len, true), CF_OK);
    memcpy(val, "\0\0\0\1", 4);
    memcpy(val + 4, lk.k, lk.len);
    CHECK_ST(cf_txn_put(f.t, CF_T_OLD_INCIDENTS, "INC-9", 5, val, 4 + lk.len, true), CF_OK);
    cf_put_u64(ms, (uint64_t)T0 + 5000);
    CHECK_ST(cf_txn_put(f.t, CF_T_HOLDERS, "INC-9\0ncert", 11, ms, 8, true), CF_OK);
    cf_put_u64(ms, (uint64_t)T0 + 6000);
    CHECK_ST(cf_txn_put(f.t, CF_T_HOLDERS, "INC-9\0council", 13, ms, 8, true), CF_OK);
    cf_logkey_make("ncert", 3, &rk);
    CHECK_ST(cf_txn_put(f.t, CF_T_OLD_RECEIPTS, old.m->env.id, CF_ID_LEN, rk.k, rk.len, true),
             CF_OK);
    /* a receipt row for a message the store does not hold is dropped */
    CHECK_ST(cf_txn_put(f.t, CF_T_OLD_RECEIPTS, nowhere, CF_ID_LEN, rk.k, rk.len, true), CF_OK);

    CHECK_ST(cf_state_upgrade(f.t, "ncert", &upgraded), CF_OK);
    CHECK(upgraded);
    CHECK(cf_txn_count(f.t, CF_T_OLD_RECEIPTS) == 0 && cf_txn_count(f.t, CF_T_OLD_INCIDENTS) == 0);
    CHECK_ST(cf_state_receipt_seq(f.t, old.m, &seq), CF_OK);
    CHECK(seq == 3);
    CHECK_ST(cf_state_incident(f.t, "ncert", "INC-9", &o), CF_OK);
    if (o) {
        CHECK(jnum(o, "revision") == 1);
        const cJSON *h = jarr(o, "holders");
        CHECK_STR(joined(h, "node", buf, sizeof(buf)), "banking,council,ncert");
        CHECK_STR(jstr(row(h, "node", "ncert"), "since"), fmt(T0 + 5000, tbuf));
        cJSON_Delete(o);
        o = NULL;
    }
    CHECK_ST(cf_state_incidents(f.t, NULL, &o), CF_OK);
    CHECK(o && cJSON_GetArraySize(o) == 1);
    cJSON_Delete(o);
    CHECK_ST(cf_state_upgrade(f.t, "ncert", &upgraded), CF_OK);
    CHECK(!upgraded);
    /* a store written by a later layout is not touched */
    CHECK_ST(cf_state_meta_put_u64(f.t, "layout", 4), CF_OK);
    CHECK_ST(cf_state_upgrade(f.t, "ncert", &upgraded), CF_E_UNSUPPORTED);
    tmsg_free(&i1);
    tmsg_free(&i2);
    tmsg_free(&old);
    fx_close(&f);
}

static void
test_meta(void)
{
    fixture f;
    uint64_t v = 7;
    cf_buf b;

    fx_open(&f, "state-meta");
    cf_buf_init(&b);
    CHECK_ST(cf_state_meta_get_u64(f.t, "seq", &v), CF_E_NOT_FOUND);
    CHECK(v == 7); /* untouched */
    CHECK_ST(cf_state_meta_put_u64(f.t, "seq", 42), CF_OK);
    CHECK_ST(cf_state_meta_get_u64(f.t, "seq", &v), CF_OK);
    CHECK(v == 42);
    CHECK_ST(cf_state_meta_put_u64(f.t, "seq", UINT64_MAX), CF_OK);
    CHECK_ST(cf_state_meta_get_u64(f.t, "seq", &v), CF_OK);
    CHECK(v == UINT64_MAX);
    CHECK_ST(cf_state_meta_put_u64(f.t, "seq", UINT64_C(0x0102030405060708)), CF_OK);
    /* a value that is not 8 bytes is no u64 */
    CHECK_ST(cf_state_meta_put(f.t, "head", "abc", 3), CF_OK);
    v = 9;
    CHECK_ST(cf_state_meta_get_u64(f.t, "head", &v), CF_E_MALFORMED);
    CHECK(v == 9);
    CHECK_ST(cf_state_meta_get(f.t, "head", &b), CF_OK);
    CHECK(b.len == 3 && memcmp(b.data, "abc", 3) == 0);
    /* the incidents passed up to the parent; the rows earlier versions
     * wrote ("forwarded:<id>") are read the same */
    bool fw = true;
    CHECK_ST(cf_state_forwarded(f.t, "kp-1", &fw), CF_OK);
    CHECK(!fw);
    CHECK_ST(cf_state_forwarded_note(f.t, "kp-1"), CF_OK);
    CHECK_ST(cf_state_forwarded(f.t, "kp-1", &fw), CF_OK);
    CHECK(fw);
    CHECK_ST(cf_state_forwarded(f.t, "kp-10", &fw), CF_OK);
    CHECK(!fw); /* a whole id, not a prefix */
    CHECK_ST(cf_state_meta_put(f.t, "forwarded:kp-7", "1", 1), CF_OK);
    CHECK_ST(cf_state_forwarded(f.t, "kp-7", &fw), CF_OK);
    CHECK(fw);
    CHECK_ST(cf_state_meta_get(f.t, "forwarded:kp-1", &b), CF_OK);
    CHECK_ST(cf_txn_commit(f.t), CF_OK);

    /* after a commit, in a read transaction */
    CHECK_ST(cf_txn_begin(f.s, false, &f.t), CF_OK);
    CHECK_ST(cf_state_meta_get_u64(f.t, "seq", &v), CF_OK);
    CHECK(v == UINT64_C(0x0102030405060708));
    cf_buf_clear(&b);
    fx_close(&f);
}

/* ---- names ----------------------------------------------------------------------------------- */

static void
test_names(void)
{
    char t[32];

    CHECK_STR(cf_name_severity(5), "emergency");
    CHECK_STR(cf_name_severity(6), "unknown");
    CHECK_STR(cf_name_tlp(4), "amber+strict");
    CHECK_STR(cf_name_task_state(-1), "unknown");
    CHECK(cf_parse_name(cf_tlp_names, 6, "red") == 5);
    CHECK(cf_parse_name(cf_tlp_names, 6, "purple") == -1);
    CHECK(cf_parse_name(cf_tlp_names, 6, NULL) == -1);
    CHECK_STR(fmt(T0 + 123, t), "2026-01-01T00:00:00.123Z");
    CHECK_STR(fmt(0, t), "");
}

int
main(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    crypto_sign_keypair(pk, sk);
    test_logkey();
    test_record();
    test_chain();
    test_incident_revisions();
    test_incident_filters();
    test_acks();
    test_notes();
    test_batch_receipts();
    test_taskings();
    test_directives();
    test_outbox();
    test_layout();
    test_meta();
    test_names();
    return check_done("test_node_state");
}
