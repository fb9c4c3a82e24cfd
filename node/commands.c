/*
 * commands.c - the control socket's commands: what `certfed status`,
 * `incident ...`, `task ...`, `directive ...` and `ack` ask of the node.
 * Each request is {"cmd": NAME, "args": {...}}; strings in a request are
 * borrowed for the length of the call. Writes go through cf_node_originate,
 * the same path as everything the node signs; reads use a read
 * transaction. Loop thread only.
 */
#include "node/http.h"
#include "node/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- answers -------------------------------------------------------------- */

static cJSON *fail(cf_status st, const char *fmt, ...) CF_PRINTF(2, 3);

static cJSON *
fail(cf_status st, const char *fmt, ...)
{
    cJSON *o = cJSON_CreateObject();
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON_AddBoolToObject(o, "ok", false);
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddStringToObject(o, "reason", cf_status_str(st));
    return o;
}

static cJSON *
ok(cJSON *result)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddItemToObject(o, "result", result ? result : cJSON_CreateNull());
    return o;
}

/* ---- reading arguments ------------------------------------------------------- */

static const char *
arg_str(const cJSON *args, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
arg_has(const cJSON *args, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(args, name) != NULL;
}

/* A number, or a name from a table ("high"); -1 if absent or unknown. */
static int
arg_enum(const cJSON *args, const char *name, const char *const *names, int count)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);

    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < count)
        return (int)v->valuedouble;
    if (cJSON_IsString(v))
        return cf_parse_name(names, count, v->valuestring);
    return -1;
}

/* A number as an int64_t, 0 if absent. A client may send 1e300: beyond the
 * range of int64_t it saturates, as converting it would be undefined. */
static int64_t
arg_i64(const cJSON *args, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);

    if (!cJSON_IsNumber(v))
        return 0;
    if (v->valuedouble >= 9223372036854775808.0) /* 2^63 */
        return INT64_MAX;
    if (v->valuedouble < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v->valuedouble;
}

/* A list of strings from a JSON array: borrowed pointers, the array freed by caller. */
static bool
arg_strv(const cJSON *args, const char *name, const char ***out, size_t *out_n, size_t max)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(args, name), *x;
    const char **v;
    size_t n = 0;

    *out = NULL;
    *out_n = 0;
    if (!a)
        return true;
    if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) > max)
        return false;
    v = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*v));
    if (!v)
        return false;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsString(x)) {
            free(v);
            return false;
        }
        v[n++] = x->valuestring;
    }
    *out = v;
    *out_n = n;
    return true;
}

static const char *
id_hex(const uint8_t id[CF_ID_LEN], char out[2 * CF_ID_LEN + 1])
{
    cf_hex_encode(id, CF_ID_LEN, out);
    return out;
}

static cJSON *
refused(cf_status st, const char *what, const char *why)
{
    if (st == CF_E_UNAUTHORIZED)
        return fail(st, "refused: %s", why ? why : "not allowed");
    if (st == CF_E_MALFORMED)
        return fail(st, "%s: %s", what, why ? why : "malformed");
    if (st == CF_E_INVALID_ARG)
        return fail(st, "%s: %s", what, why ? why : "a field is out of its range");
    if (st == CF_E_LIMIT)
        return fail(st, "%s: a field is too long or a list too large", what);
    if (st == CF_E_FULL)
        return fail(st, "%s: %s; nothing was created", what, why ? why : "the store is full");
    return fail(st, "%s failed: %s", what, cf_status_str(st));
}

/* A message looked up by a name (incident id, tasking id, directive number). */
typedef cf_status (*lookup_fn)(cf_txn *t, const char *name, cf_message **out);

/*
 * Read one message in its own read transaction. On failure *err is the
 * answer to give ("no incident X on this node", ...) and NULL is returned.
 */
static cf_message *
read_one(cf_node *n, lookup_fn lookup, const char *what, const char *name, cJSON **err)
{
    cf_message *m = NULL;
    cf_txn *t = NULL;
    cf_status st = cf_txn_begin(n->store, false, &t);

    if (st == CF_OK)
        st = lookup(t, name, &m);
    cf_txn_abort(t);
    if (st == CF_E_NOT_FOUND)
        *err = fail(st, "no %s %s on this node", what, name);
    else if (st != CF_OK)
        *err = fail(st, "cannot read %s %s: %s", what, name, cf_status_str(st));
    return st == CF_OK ? m : NULL;
}

/* The next number of a per-node counter ("incidents", "tasks"), in its own txn. */
static cf_status
next_counter(cf_node *n, const char *name, uint64_t *out)
{
    cf_txn *t = NULL;
    uint64_t v = 0;
    cf_status st = cf_txn_begin(n->store, true, &t);

    if (st != CF_OK)
        return st;
    st = cf_state_meta_get_u64(t, name, &v);
    if (st == CF_E_NOT_FOUND)
        st = CF_OK;
    if (st == CF_OK)
        st = cf_state_meta_put_u64(t, name, v + 1);
    if (st == CF_OK)
        st = cf_txn_commit(t);
    else
        cf_txn_abort(t);
    if (st == CF_OK)
        *out = v + 1;
    return st;
}

/*
 * A fresh id for an incident ("<self>-<n>") or a tasking ("<self>-t<n>"),
 * numbered inside the transaction that signs it, so that one commit takes
 * the number and stores the message. An incident's number skips ids already
 * held (a store restored from a backup takes its later incidents back from
 * its peers).
 */
typedef struct numbering {
    const char *counter; /* its name in the meta table */
    const char *prefix;  /* between "<self>-" and the number */
    char id[CF_NODE_ID_MAX + 32];
} numbering;

static cf_status
number_body(cf_node *n, cf_txn *t, cf_body *b, void *ctx)
{
    numbering *nb = ctx;
    uint64_t v = 0;
    cf_status st = cf_state_meta_get_u64(t, nb->counter, &v);

    if (st == CF_E_NOT_FOUND)
        st = CF_OK;
    for (bool taken = true; st == CF_OK && taken;) {
        cf_message *m = NULL;
        v++;
        snprintf(nb->id, sizeof(nb->id), "%s-%s%llu", n->cfg->id, nb->prefix,
                 (unsigned long long)v);
        if (b->type != CF_MSG_INCIDENT)
            break;
        st = cf_state_incident_latest(t, nb->id, &m);
        cf_message_free(m);
        taken = st == CF_OK;
        if (st == CF_E_NOT_FOUND)
            st = CF_OK;
    }
    if (st == CF_OK)
        st = cf_state_meta_put_u64(t, nb->counter, v);
    if (st == CF_OK && b->type == CF_MSG_INCIDENT)
        b->u.incident.id = nb->id;
    else if (st == CF_OK)
        b->u.tasking.id = nb->id;
    return st;
}

/* ---- status and peers --------------------------------------------------------- */

/* Outbox entries still waiting for each peer (a forward waits for the parent). */
typedef struct peer_depth {
    cf_node *n;
    size_t *depth; /* per n->peers */
} peer_depth;

static cf_status
count_pending(const cf_logkey *key, const cf_outbox_entry *e, void *ctx)
{
    peer_depth *d = ctx;

    (void)key;
    for (size_t i = 0; i < d->n->n_peers; i++)
        for (size_t k = 0; k < e->pending.n; k++)
            if (strcmp(e->pending.v[k], d->n->peers[i].id) == 0)
                d->depth[i]++;
    return CF_OK;
}

/* Per neighbour: the link as far as we can tell, last contact, what waits
 * for it, and how far catch-up with it has come. */
static cJSON *
peer_states(cf_node *n, int64_t now_ms)
{
    cJSON *a = cJSON_CreateArray();
    size_t *depth = calloc(n->n_peers ? n->n_peers : 1, sizeof(*depth));
    peer_depth d = {n, depth};
    cf_txn *t = NULL;
    char ts[32];

    if (depth && cf_txn_begin(n->store, false, &t) == CF_OK) {
        if (cf_state_outbox_scan(t, count_pending, &d) != CF_OK)
            memset(depth, 0, n->n_peers * sizeof(*depth));
        cf_txn_abort(t);
    }
    for (size_t i = 0; i < n->n_peers; i++) {
        const cf_peer_sync *p = &n->peers[i];
        const cf_topo_node *x = cf_topology_find(n->topo, p->id);
        int64_t contact = x && (size_t)(x - n->topo->nodes) < n->n_last_contact
                              ? n->last_contact[x - n->topo->nodes]
                              : 0;
        const char *state = !cf_link_connected(n->link)                                 ? "down"
                            : p->waiting && now_ms - p->asked_ms >= CF_CATCHUP_RETRY_MS ? "silent"
                            : p->answered_ms || contact                                 ? "up"
                                                                                        : "unknown";
        cJSON *o = cJSON_CreateObject(), *c;
        cJSON_AddStringToObject(o, "node", p->id);
        cJSON_AddStringToObject(o, "relation",
                                x && x->parent_idx == (size_t)(n->me - n->topo->nodes) ? "child"
                                                                                       : "parent");
        cJSON_AddStringToObject(o, "link", state);
        cf_format_ms(contact > p->answered_ms ? contact : p->answered_ms, ts);
        cJSON_AddStringToObject(o, "last_contact", ts);
        cJSON_AddNumberToObject(o, "outbox", depth ? (double)depth[i] : 0);
        c = cJSON_AddObjectToObject(o, "catchup");
        cf_format_ms(p->asked_ms, ts);
        cJSON_AddStringToObject(c, "asked", ts);
        cf_format_ms(p->answered_ms, ts);
        cJSON_AddStringToObject(c, "answered", ts);
        cJSON_AddBoolToObject(c, "waiting", p->waiting);
        cJSON_AddBoolToObject(c, "more", p->more);
        cJSON_AddNumberToObject(c, "batches", (double)p->batches);
        cJSON_AddNumberToObject(c, "received", (double)p->envelopes);
        cJSON_AddNumberToObject(c, "served", (double)p->served);
        cJSON_AddItemToArray(a, o);
    }
    free(depth);
    return a;
}

static cf_status
add_quarantined(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, void *ctx)
{
    cJSON *o = cJSON_CreateObject();
    char since[32];
    char *id = strndup((const char *)k, klen);

    cJSON_AddStringToObject(o, "node", id ? id : "");
    free(id);
    cf_format_ms(vlen >= 8 ? (int64_t)cf_get_u64(v) : 0, since);
    cJSON_AddStringToObject(o, "since", since);
    char *why = vlen > 8 ? strndup((const char *)v + 8, vlen - 8) : NULL;
    cJSON_AddStringToObject(o, "reason", why ? why : "");
    free(why);
    cJSON_AddItemToArray(ctx, o);
    return CF_OK;
}

static cJSON *
cmd_status(cf_node *n, const cJSON *args)
{
    cJSON *o = cJSON_CreateObject(), *c, *rej, *by_type, *tables;
    cf_store_stats ss;
    char t[32];

    (void)args;
    cJSON_AddStringToObject(o, "node", n->cfg->id);
    cJSON_AddStringToObject(o, "role", cf_role_name(n->me->role));
    cJSON_AddStringToObject(o, "federation", n->cfg->federation);
    cJSON_AddStringToObject(o, "path", n->me->path);
    cJSON_AddBoolToObject(o, "connected", cf_link_connected(n->link));
    cJSON_AddStringToObject(o, "nats_url", cf_link_url(n->link));
    cf_format_ms(n->link_since_ms, t);
    cJSON_AddStringToObject(o, "link_since", t);
    cf_format_ms(n->started_ms, t);
    cJSON_AddStringToObject(o, "started", t);
    cJSON_AddNumberToObject(o, "seq", (double)n->seq);
    cJSON_AddBoolToObject(o, "starting", n->learning);
    cJSON_AddBoolToObject(o, "store_full", n->store_full);
    cJSON_AddBoolToObject(o, "verify_pool", n->cfg->verify_pool != 0);
    cJSON_AddNumberToObject(o, "verify_threads", (double)n->cfg->verify_threads);
    cJSON_AddNumberToObject(o, "certificates", (double)cf_trust_count(n->keys->trust));
    cJSON_AddNumberToObject(o, "revoked_keys", (double)cf_trust_revoked_count(n->keys->trust));
    cJSON_AddNumberToObject(o, "roots", (double)cf_trust_root_count(n->keys->trust));
    c = cJSON_AddObjectToObject(o, "counters");
    cJSON_AddNumberToObject(c, "received", (double)n->counters.received);
    cJSON_AddNumberToObject(c, "accepted", (double)n->counters.accepted);
    cJSON_AddNumberToObject(c, "ignored", (double)n->counters.ignored);
    cJSON_AddNumberToObject(c, "originated", (double)n->counters.originated);
    cJSON_AddNumberToObject(c, "published", (double)n->counters.published);
    cJSON_AddNumberToObject(c, "dropped", (double)cf_link_dropped(n->link));
    cJSON_AddNumberToObject(c, "caught_up", (double)n->counters.caught_up);
    cJSON_AddNumberToObject(c, "receipts_resent", (double)n->counters.receipts_resent);
    cJSON_AddNumberToObject(c, "receipts_signed", (double)n->counters.receipts_signed);
    cJSON_AddNumberToObject(c, "sig_checks", (double)n->counters.sig_checks);
    cJSON_AddNumberToObject(c, "forks", (double)n->counters.forks);
    cJSON_AddNumberToObject(c, "clock_behind", (double)cf_clock_behind_count());
    cJSON_AddNumberToObject(c, "deferred_dropped", (double)n->counters.deferred_dropped);
    cJSON_AddNumberToObject(c, "throttled", (double)n->counters.throttled);
    cJSON_AddNumberToObject(c, "resent", (double)n->counters.resent);
    cJSON_AddNumberToObject(c, "resend_windows", (double)n->counters.resend_windows);
    cJSON_AddNumberToObject(c, "send_window", (double)n->send_window);
    cJSON_AddNumberToObject(c, "rtt_ms", (double)n->srtt_ms);
    cJSON_AddNumberToObject(c, "rtt_samples", (double)n->counters.rtt_samples);
    cJSON_AddNumberToObject(c, "resend_after_ms", (double)cf_node_resend_after_ms(n));
    cJSON_AddNumberToObject(c, "store_commits", (double)cf_store_commits(n->store));
    uint64_t total = 0;
    rej = cJSON_AddObjectToObject(c, "rejected");
    for (int i = 1; i < CF_STATUS_COUNT; i++) {
        if (n->counters.rejected[i]) {
            cJSON_AddNumberToObject(rej, cf_status_str((cf_status)i),
                                    (double)n->counters.rejected[i]);
            total += n->counters.rejected[i];
        }
    }
    cJSON_AddNumberToObject(c, "rejected_total", (double)total);
    by_type = cJSON_AddObjectToObject(c, "accepted_by_type");
    for (int i = 1; i <= CF_MSG_TYPE_MAX; i++)
        if (n->counters.accepted_by_type[i])
            cJSON_AddNumberToObject(by_type, cf_msg_type_name(i),
                                    (double)n->counters.accepted_by_type[i]);
    if (cf_store_stats_get(n->store, &ss) == CF_OK) {
        cJSON *s = cJSON_AddObjectToObject(o, "store");
        cJSON_AddNumberToObject(s, "used_bytes", (double)ss.used_bytes);
        cJSON_AddNumberToObject(s, "map_size", (double)ss.map_size);
        tables = cJSON_AddObjectToObject(s, "entries");
        for (int i = 0; i < CF_TABLE_COUNT; i++)
            if (!cf_table_retired((cf_table)i))
                cJSON_AddNumberToObject(tables, cf_table_name((cf_table)i), (double)ss.entries[i]);
        cJSON_AddNumberToObject(o, "outbox", (double)ss.entries[CF_T_OUTBOX]);
        cJSON_AddNumberToObject(o, "outbox_max", (double)n->cfg->outbox_max);
        cJSON_AddBoolToObject(o, "outbox_full", ss.entries[CF_T_OUTBOX] >= n->cfg->outbox_max);
        cJSON_AddNumberToObject(o, "evidence", (double)ss.entries[CF_T_EVIDENCE]);
        cJSON_AddNumberToObject(o, "trust_documents", (double)(ss.entries[CF_T_TRUSTDOCS] / 2));
    }
    cJSON *qa = cJSON_AddArrayToObject(o, "quarantined");
    cf_txn *rt = NULL;
    if (cf_txn_begin(n->store, false, &rt) == CF_OK) {
        if (cf_txn_scan(rt, CF_T_QUARANTINE, NULL, 0, add_quarantined, qa) != CF_OK)
            cf_log(CF_LOG_WARN, "status: cannot read the quarantine table");
        cf_txn_abort(rt);
    }
    cJSON_AddItemToObject(o, "peers", peer_states(n, cf_clock_now_ms()));
    if (n->http)
        cJSON_AddItemToObject(o, "http", cf_http_status(n->http));
    return ok(o);
}

static cJSON *
cmd_peers(cf_node *n, const cJSON *args)
{
    cJSON *a = cJSON_CreateArray();
    cf_txn *t = NULL;
    char ts[32];

    (void)args;
    if (cf_txn_begin(n->store, false, &t) != CF_OK)
        t = NULL;
    for (size_t i = 0; i < n->topo->n; i++) {
        const cf_topo_node *p = &n->topo->nodes[i];
        const char *rel = p == n->me                                          ? NULL
                          : n->me->parent_idx == i                            ? "parent"
                          : p->parent_idx == (size_t)(n->me - n->topo->nodes) ? "child"
                          : cf_topology_is_ancestor(n->topo, p, n->me)        ? "ancestor"
                          : cf_topology_is_ancestor(n->topo, n->me, p)        ? "descendant"
                                                                              : "other";
        if (!rel)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node", p->id);
        cJSON_AddStringToObject(o, "role", cf_role_name(p->role));
        cJSON_AddStringToObject(o, "relation", rel);
        if (p->parent_idx != SIZE_MAX)
            cJSON_AddStringToObject(o, "parent", n->topo->nodes[p->parent_idx].id);
        else
            cJSON_AddNullToObject(o, "parent");
        cf_format_ms(i < n->n_last_contact ? n->last_contact[i] : 0, ts);
        if (ts[0])
            cJSON_AddStringToObject(o, "last_contact", ts);
        else
            cJSON_AddNullToObject(o, "last_contact");
        uint64_t seen = 0;
        if (t && cf_state_mark(t, p->id, &seen) != CF_OK)
            seen = 0;
        cJSON_AddNumberToObject(o, "highest_seq_seen", (double)seen);
        cJSON_AddItemToArray(a, o);
    }
    cf_txn_abort(t);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "connected", cf_link_connected(n->link));
    cJSON_AddItemToObject(r, "peers", a);
    return ok(r);
}

/* ---- incidents -------------------------------------------------------------- */

static cJSON *
cmd_incident_report(cf_node *n, const cJSON *args)
{
    cf_body b;
    cf_incident *i = &b.u.incident;
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(args, "observables"), *x;
    cf_observable *ov = NULL;
    const char **related = NULL;
    size_t n_related = 0;
    char hex[2 * CF_ID_LEN + 1];
    uint8_t mid[CF_ID_LEN];
    const char *why = NULL;
    cf_status st;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_INCIDENT;
    i->title = arg_str(args, "title");
    if (!i->title || !i->title[0])
        return fail(CF_E_INVALID_ARG, "an incident needs a title");
    i->severity = arg_has(args, "severity") ? arg_enum(args, "severity", cf_severity_names, 6) : 2;
    i->tlp = arg_has(args, "tlp") ? arg_enum(args, "tlp", cf_tlp_names, 6) : 3;
    /* a new report is new; an imported one may come with its status */
    i->status = arg_has(args, "status") ? arg_enum(args, "status", cf_incident_status_names, 6) : 1;
    if (i->status < 1)
        return fail(CF_E_INVALID_ARG, "unknown status (new, triaged, contained, resolved, closed)");
    if (i->severity < 0)
        return fail(CF_E_INVALID_ARG, "unknown severity (baseline, low, medium, high, severe, "
                                      "emergency)");
    if (i->tlp < 1)
        return fail(CF_E_INVALID_ARG, "unknown TLP (clear, green, amber, amber+strict, red)");
    i->pap = arg_has(args, "pap") ? arg_enum(args, "pap", cf_pap_names, 5) : 0;
    if (i->pap < 0)
        return fail(CF_E_INVALID_ARG, "unknown PAP (clear, green, amber, red)");
    i->determination = arg_has(args, "determination")
                           ? arg_enum(args, "determination", cf_determination_names, 4)
                           : 0;
    if (i->determination < 0)
        return fail(CF_E_INVALID_ARG,
                    "unknown determination (suspected, confirmed, false-positive)");
    i->duplicate_of = arg_str(args, "duplicate_of");
    i->supersedes = arg_str(args, "supersedes");
    i->description = arg_str(args, "description");
    i->rsit_class = arg_str(args, "rsit_class");
    i->rsit_type = arg_str(args, "rsit_type");
    i->analyst = arg_str(args, "analyst");
    i->sector = arg_str(args, "sector");
    i->province = arg_str(args, "province");
    i->constituent = arg_str(args, "constituent");
    i->source = arg_str(args, "source");
    i->confidence = arg_has(args, "confidence") ? (uint32_t)arg_i64(args, "confidence") : 50;
    i->detected_ms = arg_i64(args, "detected_ms");
    i->reported_ms = cf_clock_now_ms();
    i->owner = n->cfg->id;
    i->revision = 1;
    if (cJSON_IsArray(obs)) {
        size_t k = 0, cnt = (size_t)cJSON_GetArraySize(obs);
        if (cnt > n->limits.max_repeated)
            return fail(CF_E_LIMIT, "too many observables (at most %zu)", n->limits.max_repeated);
        ov = calloc(cnt ? cnt : 1, sizeof(*ov));
        if (!ov)
            return fail(CF_E_NOMEM, "out of memory");
        cJSON_ArrayForEach(x, obs)
        {
            ov[k].type = arg_str(x, "type");
            ov[k].value = arg_str(x, "value");
            ov[k].to_block = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "to_block"));
            if (!ov[k].type || !ov[k].value) {
                free(ov);
                return fail(CF_E_INVALID_ARG, "an observable needs a type and a value");
            }
            k++;
        }
        i->observables = ov;
        i->n_observables = k;
    }
    if (!arg_strv(args, "related", &related, &n_related, n->limits.max_repeated)) {
        free(ov);
        return fail(CF_E_INVALID_ARG, "related must be a list of incident ids");
    }
    i->related.v = related;
    i->related.n = n_related;
    /* TLP:AMBER+STRICT and RED travel encrypted to named recipients */
    const char **to = NULL;
    size_t n_to = 0;
    if (!arg_strv(args, "to", &to, &n_to, n->limits.max_repeated)) {
        free(ov);
        free(related);
        return fail(CF_E_INVALID_ARG, "to must be a list of node ids");
    }
    if (n_to && i->tlp < 4) {
        free(ov);
        free(related);
        free(to);
        return fail(CF_E_INVALID_ARG, "recipients (to) are named only for TLP:AMBER+STRICT and "
                                      "TLP:RED incidents, which are encrypted to them");
    }
    b.header.audience.nodes.v = to;
    b.header.audience.nodes.n = n_to;
    numbering nb = {"incidents", "", ""};
    i->id = "unnumbered";
    st = cf_node_originate_prep(n, &b, NULL, number_body, &nb, mid, &why);
    free(ov);
    free(related);
    free(to);
    if (st != CF_OK)
        return refused(st, "incident report", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", nb.id);
    cJSON_AddNumberToObject(r, "revision", 1);
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    cJSON_AddBoolToObject(r, "sent", cf_link_connected(n->link));
    return ok(r);
}

static cJSON *
cmd_incident_update(cf_node *n, const cJSON *args)
{
    const char *id = arg_str(args, "id"), *why = NULL;
    cf_message *cur = NULL;
    uint8_t mid[CF_ID_LEN];
    char hex[2 * CF_ID_LEN + 1];
    cf_body b;
    cf_status st;

    if (!id)
        return fail(CF_E_INVALID_ARG, "which incident? (id)");
    cJSON *err = NULL;
    cur = read_one(n, cf_state_incident_latest, "incident", id, &err);
    if (!cur)
        return err;
    st = CF_OK;
    /* start from the latest revision; the body's strings stay in cur; a
     * sealed incident stays sealed to the same recipients unless told */
    b = cur->body;
    memset(&b.header, 0, sizeof(b.header));
    b.header.audience.nodes = cur->body.header.audience.nodes;
    const char **to = NULL;
    size_t n_to = 0;
    if (!arg_strv(args, "to", &to, &n_to, n->limits.max_repeated)) {
        cf_message_free(cur);
        return fail(CF_E_INVALID_ARG, "to must be a list of node ids");
    }
    if (n_to) {
        b.header.audience.nodes.v = to;
        b.header.audience.nodes.n = n_to;
    }
    cf_incident *i = &b.u.incident;
    i->revision++;
    i->note = arg_str(args, "note");
    if (arg_has(args, "status") &&
        (i->status = arg_enum(args, "status", cf_incident_status_names, 6)) < 1)
        st = CF_E_INVALID_ARG;
    if (arg_has(args, "severity") &&
        (i->severity = arg_enum(args, "severity", cf_severity_names, 6)) < 0)
        st = CF_E_INVALID_ARG;
    if (arg_has(args, "tlp") && (i->tlp = arg_enum(args, "tlp", cf_tlp_names, 6)) < 1)
        st = CF_E_INVALID_ARG;
    if (arg_has(args, "pap") && (i->pap = arg_enum(args, "pap", cf_pap_names, 5)) < 0)
        st = CF_E_INVALID_ARG;
    if (arg_has(args, "determination") &&
        (i->determination = arg_enum(args, "determination", cf_determination_names, 4)) < 0)
        st = CF_E_INVALID_ARG;
    /* the links and the constituent are replaced when given ("" clears one) */
    static const char *const strs[] = {"title", "description", "constituent", "duplicate_of",
                                       "supersedes"};
    const char **dst[] = {&i->title, &i->description, &i->constituent, &i->duplicate_of,
                          &i->supersedes};
    for (size_t k = 0; k < CF_ARRAY_LEN(strs); k++)
        if (arg_str(args, strs[k]))
            *dst[k] = arg_str(args, strs[k]);
    const char **related = NULL;
    size_t n_related = 0;
    if (arg_has(args, "related")) {
        if (!arg_strv(args, "related", &related, &n_related, n->limits.max_repeated)) {
            cf_message_free(cur);
            free(to);
            return fail(CF_E_INVALID_ARG, "related must be a list of incident ids");
        }
        i->related.v = related;
        i->related.n = n_related;
    }
    if (st == CF_OK && n_to && i->tlp < 4) {
        cf_message_free(cur);
        free(to);
        free(related);
        return fail(CF_E_INVALID_ARG, "recipients (to) are named only for TLP:AMBER+STRICT and "
                                      "TLP:RED incidents");
    }
    if (st != CF_OK) {
        cf_message_free(cur);
        free(to);
        free(related);
        return fail(st, "unknown status, severity, TLP, PAP or determination name");
    }
    if (i->tlp < 4)
        memset(&b.header.audience, 0, sizeof(b.header.audience));
    /* the same rule every receiver applies: only the owner edits */
    if (strcmp(i->owner, n->cfg->id) != 0) {
        cJSON *r = fail(CF_E_UNAUTHORIZED,
                        "refused: incident %s belongs to %s; only its owner node may update it", id,
                        i->owner);
        cf_message_free(cur);
        free(to);
        free(related);
        return r;
    }
    st = cf_node_originate(n, &b, NULL, mid, &why);
    uint32_t rev = i->revision;
    cf_message_free(cur);
    free(to);
    free(related);
    if (st != CF_OK)
        return refused(st, "incident update", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddNumberToObject(r, "revision", rev);
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    return ok(r);
}

/* What a note is on: the latest revision in the note's own transaction. */
typedef struct note_target {
    const char *id;
    uint32_t revision;
    int tlp;
    bool sealed; /* the latest revision is sealed (amber+strict, red) */
} note_target;

static cf_status
note_on_latest(cf_node *n, cf_txn *t, cf_body *b, void *ctx)
{
    note_target *nt = ctx;
    cf_message *m = NULL;
    cf_logkey key;
    cf_status st = cf_state_incident_latest_at(t, nt->id, &key, b->u.ack.message_id, &m);

    (void)n;
    /* a sealed one that this node cannot open is none it can read */
    if (st == CF_OK && m->body.type != CF_MSG_INCIDENT)
        st = CF_E_NOT_FOUND;
    if (st == CF_OK) {
        nt->revision = m->body.u.incident.revision;
        nt->tlp = m->body.u.incident.tlp;
        /* an ack travels in clear: words on a sealed incident would not */
        nt->sealed = cf_tlp_needs_sealing(&m->body);
        if (nt->sealed)
            st = CF_E_UNAUTHORIZED;
    }
    /* named by id: the ack applies here as at the owner, and catch-up
     * knows whom it answers */
    if (st == CF_OK)
        st = cf_state_index(t, b->u.ack.message_id, &key);
    cf_message_free(m);
    return st;
}

/*
 * A note on another node's incident (DESIGN section 5: only the owner edits
 * an incident, others add notes): an ack of its latest revision with the
 * words as its reason, sent to the owner like every ack, until the owner's
 * receipt comes. Both list it with the incident.
 */
static cJSON *
cmd_incident_note(cf_node *n, const cJSON *args)
{
    const char *id = arg_str(args, "id"), *text = arg_str(args, "text"), *why = NULL;
    uint8_t mid[CF_ID_LEN];
    char hex[2 * CF_ID_LEN + 1];
    char owner[CF_NODE_ID_MAX + 1];
    cf_body b;
    cf_status st;

    if (!id)
        return fail(CF_E_INVALID_ARG, "which incident? (id)");
    if (!text || !text[0])
        return fail(CF_E_INVALID_ARG, "a note needs its text");
    cJSON *err = NULL;
    cf_message *cur = read_one(n, cf_state_incident_latest, "incident", id, &err);
    if (!cur)
        return err;
    /* the owner is the same in every revision (the id names it) */
    snprintf(owner, sizeof(owner), "%s", cur->body.u.incident.owner);
    cf_message_free(cur);
    if (strcmp(owner, n->cfg->id) == 0)
        return fail(CF_E_INVALID_ARG,
                    "incident %s is this node's own: its note goes in an update (--note)", id);
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_ACK;
    b.u.ack.state = 2; /* acknowledged (cf_ack_state_names), with words */
    b.u.ack.node = n->cfg->id;
    b.u.ack.analyst = arg_str(args, "analyst");
    b.u.ack.reason = text;
    b.u.ack.at_ms = cf_clock_now_ms();
    note_target nt = {id, 0, 0, false};
    st = cf_node_originate_prep(n, &b, owner, note_on_latest, &nt, mid, &why);
    if (st == CF_E_NOT_FOUND)
        return fail(st, "no incident %s on this node", id);
    if (st == CF_E_UNAUTHORIZED && nt.sealed)
        return fail(st,
                    "refused: incident %s is TLP:%s; a note would travel unencrypted, so "
                    "notes are only for incidents up to TLP:AMBER",
                    id, cf_tlp_names[nt.tlp > 5 ? 5 : nt.tlp]);
    if (st != CF_OK)
        return refused(st, "incident note", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddNumberToObject(r, "revision", nt.revision);
    cJSON_AddStringToObject(r, "owner", owner);
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    cJSON_AddBoolToObject(r, "sent", cf_link_connected(n->link));
    return ok(r);
}

static cJSON *
with_read(cf_node *n, cf_status (*fn)(cf_node *, cf_txn *, const cJSON *, cJSON **),
          const cJSON *args)
{
    cf_txn *t = NULL;
    cJSON *r = NULL;
    cf_status st = cf_txn_begin(n->store, false, &t);

    if (st == CF_OK)
        st = fn(n, t, args, &r);
    cf_txn_abort(t);
    if (st == CF_E_NOT_FOUND)
        return fail(st, "not found on this node");
    if (st == CF_E_INVALID_ARG)
        return fail(st, "a required argument is missing, or a name is unknown");
    if (st != CF_OK)
        return fail(st, "cannot read the store: %s", cf_status_str(st));
    return ok(r);
}

static cf_status
read_incidents(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    cf_incident_filter f = {-1, 0, 0, arg_str(args, "sector"), arg_str(args, "province"), 0};

    (void)n;
    if (arg_has(args, "min_severity"))
        f.min_severity = arg_enum(args, "min_severity", cf_severity_names, 6);
    if (arg_has(args, "tlp"))
        f.tlp = arg_enum(args, "tlp", cf_tlp_names, 6);
    if (arg_has(args, "status"))
        f.status = arg_enum(args, "status", cf_incident_status_names, 6);
    if (arg_has(args, "determination"))
        f.determination = arg_enum(args, "determination", cf_determination_names, 4);
    if (f.min_severity < -1 || f.tlp < 0 || f.status < 0 || f.determination < 0)
        return CF_E_INVALID_ARG;
    return cf_state_incidents(t, &f, out);
}

static cf_status
read_incident(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    const char *id = arg_str(args, "id");

    return id ? cf_state_incident(t, n->cfg->id, id, out) : CF_E_INVALID_ARG;
}

/* ---- taskings ------------------------------------------------------------------ */

static cJSON *
cmd_task_assign(cf_node *n, const cJSON *args)
{
    cf_body b;
    cf_tasking *k = &b.u.tasking;
    const char **assignees = NULL, *why = NULL;
    size_t n_assignees = 0;
    char hex[2 * CF_ID_LEN + 1];
    uint8_t mid[CF_ID_LEN];
    cf_status st;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_TASKING;
    if (!arg_strv(args, "assignees", &assignees, &n_assignees, n->limits.max_repeated) ||
        n_assignees == 0) {
        free(assignees);
        return fail(CF_E_INVALID_ARG, "a tasking needs a list of assignees");
    }
    k->assignees.v = assignees;
    k->assignees.n = n_assignees;
    k->issuer = n->cfg->id;
    k->kind = arg_has(args, "kind") ? arg_enum(args, "kind", cf_task_kind_names, 6) : 1;
    k->instructions = arg_str(args, "instructions");
    k->deliverable = arg_str(args, "deliverable");
    k->incident = arg_str(args, "incident");
    k->priority = arg_has(args, "priority") ? (uint32_t)arg_i64(args, "priority") : 3;
    k->due_ms = arg_i64(args, "due_ms");
    if (k->kind < 1) {
        free(assignees);
        return fail(CF_E_INVALID_ARG, "unknown task kind (investigate, block, patch, notify, "
                                      "report)");
    }
    /* numbered in the transaction that signs it: a refusal uses no number */
    numbering nb = {"tasks", "t", ""};
    k->id = "unnumbered";
    st = cf_node_originate_prep(n, &b, NULL, number_body, &nb, mid, &why);
    free(assignees);
    if (st != CF_OK)
        return refused(st, "task assign", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", nb.id);
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    return ok(r);
}

static cJSON *
cmd_task_update(cf_node *n, const cJSON *args)
{
    const char *id = arg_str(args, "id"), *why = NULL;
    cf_message *task = NULL;
    uint8_t mid[CF_ID_LEN];
    char hex[2 * CF_ID_LEN + 1];
    cf_body b;
    cf_status st;

    if (!id)
        return fail(CF_E_INVALID_ARG, "which tasking? (id)");
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_TASK_STATUS;
    b.u.task_status.task = id;
    b.u.task_status.assignee = n->cfg->id;
    b.u.task_status.state = arg_enum(args, "state", cf_task_state_names, 6);
    b.u.task_status.reason = arg_str(args, "reason");
    b.u.task_status.result = arg_str(args, "result");
    if (b.u.task_status.state < 2)
        return fail(CF_E_INVALID_ARG,
                    "state must be accepted, in-progress, done or declined (with a reason)");
    cJSON *err = NULL;
    task = read_one(n, cf_state_task, "tasking", id, &err);
    if (!task)
        return err;
    bool mine = false;
    for (size_t i = 0; i < task->body.u.tasking.assignees.n; i++)
        mine |= strcmp(task->body.u.tasking.assignees.v[i], n->cfg->id) == 0;
    if (!mine) {
        cf_message_free(task);
        return fail(CF_E_UNAUTHORIZED, "refused: this node is not an assignee of %s", id);
    }
    st = cf_node_originate(n, &b, task->body.u.tasking.issuer, mid, &why);
    cf_message_free(task);
    if (st != CF_OK)
        return refused(st, "task update", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddStringToObject(r, "state", cf_name_task_state(b.u.task_status.state));
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    return ok(r);
}

static cf_status
read_tasks(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    (void)args;
    return cf_state_tasks(t, n->cfg->id, out);
}

/* ---- directives and acks ------------------------------------------------------------ */

static cJSON *
cmd_directive_issue(cf_node *n, const cJSON *args)
{
    cf_body b;
    cf_directive *d = &b.u.directive;
    const char **actions = NULL, **sectors = NULL, **provinces = NULL, **role_names = NULL;
    size_t n_actions = 0, n_sectors = 0, n_provinces = 0, n_roles = 0;
    int roles[8];
    char number[64], hex[2 * CF_ID_LEN + 1];
    uint8_t mid[CF_ID_LEN];
    const char *why = NULL;
    cJSON *err = NULL;
    cf_status st = CF_OK;

    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_DIRECTIVE;
    /* the same rule every receiver applies, before anything else */
    if (n->me->role != CF_ROLE_COUNCIL)
        return fail(CF_E_UNAUTHORIZED,
                    "refused: only the Council issues national directives "
                    "(this node is a %s)",
                    cf_role_name(n->me->role));
    d->title = arg_str(args, "title");
    if (!d->title || !d->title[0])
        return fail(CF_E_INVALID_ARG, "a directive needs a title");
    if (!arg_strv(args, "actions", &actions, &n_actions, n->limits.max_repeated) ||
        !arg_strv(args, "sectors", &sectors, &n_sectors, n->limits.max_repeated) ||
        !arg_strv(args, "provinces", &provinces, &n_provinces, n->limits.max_repeated) ||
        !arg_strv(args, "roles", &role_names, &n_roles, CF_ARRAY_LEN(roles))) {
        err = fail(CF_E_INVALID_ARG, "actions, sectors, provinces and roles must be lists");
        goto out;
    }
    for (size_t i = 0; i < n_roles; i++) {
        roles[i] = (int)cf_role_parse(role_names[i]);
        if (roles[i] == CF_ROLE_NONE || roles[i] == CF_ROLE_ROOT) {
            err = fail(CF_E_INVALID_ARG, "unknown role '%s'", role_names[i]);
            goto out;
        }
    }
    d->kind = arg_has(args, "kind") ? arg_enum(args, "kind", cf_directive_kind_names, 4) : 1;
    d->severity = arg_has(args, "severity") ? arg_enum(args, "severity", cf_severity_names, 6) : 3;
    if (d->kind < 1 || d->severity < 0) {
        err = fail(CF_E_INVALID_ARG, "unknown kind (advisory, alert, mandatory) or severity");
        goto out;
    }
    d->summary = arg_str(args, "summary");
    d->actions.v = actions;
    d->actions.n = n_actions;
    d->sectors.v = sectors;
    d->sectors.n = n_sectors;
    d->provinces.v = provinces;
    d->provinces.n = n_provinces;
    d->roles = roles;
    d->n_roles = n_roles;
    d->version = arg_has(args, "version") ? (uint32_t)arg_i64(args, "version") : 1;
    d->effective_ms = arg_i64(args, "effective_ms");
    d->comply_by_ms = arg_i64(args, "comply_by_ms");
    d->ack_required = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(args, "ack_required"));
    d->ack_by_ms = arg_i64(args, "ack_by_ms");
    b.header.expires_ms = arg_i64(args, "expires_ms");
    if (arg_str(args, "number")) {
        snprintf(number, sizeof(number), "%s", arg_str(args, "number"));
    } else {
        uint64_t num = 0;
        st = next_counter(n, "directives", &num);
        snprintf(number, sizeof(number), "D-%llu", (unsigned long long)num);
    }
    d->number = number;
    /* a number and version name one directive: a second one would be
     * hidden behind the first everywhere */
    if (st == CF_OK) {
        cf_txn *t = NULL;
        cf_message *old = NULL;
        if (cf_txn_begin(n->store, false, &t) == CF_OK &&
            cf_state_directive(t, number, &old) == CF_OK &&
            old->body.u.directive.version >= d->version) {
            err = fail(CF_E_EXISTS, "directive %s version %u exists; issue version %u to change it",
                       number, old->body.u.directive.version, old->body.u.directive.version + 1);
        }
        cf_message_free(old);
        cf_txn_abort(t);
        if (err)
            goto out;
    }
    if (st == CF_OK)
        st = cf_node_originate(n, &b, NULL, mid, &why);
    if (st != CF_OK) {
        err = refused(st, "directive issue", why);
        goto out;
    }
out:
    free(actions);
    free(sectors);
    free(provinces);
    free(role_names);
    if (err)
        return err;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "number", number);
    cJSON_AddNumberToObject(r, "version", d->version);
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    return ok(r);
}

static cf_status
read_directives(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    (void)n;
    (void)args;
    return cf_state_directives(t, out);
}

static cf_status
read_audit(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    (void)args;
    return cf_state_audit(t, &n->limits, out);
}

static cf_status
read_directive_status(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    const char *number = arg_str(args, "number");
    const cJSON *counts_only = cJSON_GetObjectItemCaseSensitive(args, "counts_only");
    cf_directive_counts c;

    /* "counts_only": true leaves out the row of each node, for a poller;
     * a flag is true or false, as the HTTP API says too */
    if (!number || (counts_only && !cJSON_IsBool(counts_only)))
        return CF_E_INVALID_ARG;
    if (cJSON_IsTrue(counts_only))
        return cf_state_directive_counts(t, n->topo, n->cfg->id, number, &c, out);
    return cf_state_directive_status(t, n->topo, n->cfg->id, number, out);
}

/*
 * directive.wait: the directive's counts once every node in its scope has
 * sent its signed receipt ("until": "received", the default) or its
 * operator's word ("acknowledged"), or once "timeout_ms" (default
 * CF_WAIT_DEFAULT_MS, at most CF_WAIT_MAX_MS) has passed; "complete" says
 * which. The control socket holds the request meanwhile (cf_node_ready_for)
 * and asks again after each commit that took receipts or acks. Only the
 * directive's origin, the Council, collects the receipts.
 * *complete says whether it is through; the answer goes to *out unless out
 * is NULL (the control socket's check).
 */
static cf_status
wait_state(cf_node *n, cf_txn *t, const cJSON *args, bool *complete, cJSON **out)
{
    const char *number = arg_str(args, "number");
    const cJSON *until = cJSON_GetObjectItemCaseSensitive(args, "until");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(args, "timeout_ms");
    cf_directive_counts c;
    bool acked = false;
    cf_status st;

    *complete = false;
    if (!number || (until && !cJSON_IsString(until)) ||
        (timeout && (!cJSON_IsNumber(timeout) || timeout->valuedouble < 0 ||
                     timeout->valuedouble > CF_WAIT_MAX_MS)))
        return CF_E_INVALID_ARG;
    if (until) {
        acked = strcmp(until->valuestring, "acknowledged") == 0;
        if (!acked && strcmp(until->valuestring, "received") != 0)
            return CF_E_INVALID_ARG;
    }
    st = cf_state_directive_counts(t, n->topo, n->cfg->id, number, &c, out);
    if (st != CF_OK)
        return st;
    *complete = (acked ? c.acknowledged : c.received) >= c.in_scope;
    if (out) {
        cJSON_AddStringToObject(*out, "until", acked ? "acknowledged" : "received");
        cJSON_AddBoolToObject(*out, "complete", *complete);
    }
    return CF_OK;
}

static cf_status
read_directive_wait(cf_node *n, cf_txn *t, const cJSON *args, cJSON **out)
{
    bool complete;

    return wait_state(n, t, args, &complete, out);
}

int64_t
cf_node_hold_ms(const cJSON *req)
{
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(args, "timeout_ms");

    if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, "directive.wait") != 0)
        return 0;
    if (!cJSON_IsNumber(timeout))
        return CF_WAIT_DEFAULT_MS;
    /* wait_state refuses what is out of range before anything is held */
    return timeout->valuedouble < 1 ? 1 : (int64_t)timeout->valuedouble;
}

static cJSON *
cmd_ack(cf_node *n, const cJSON *args)
{
    const char *number = arg_str(args, "number"), *why = NULL;
    cf_message *d = NULL;
    uint8_t mid[CF_ID_LEN];
    char hex[2 * CF_ID_LEN + 1];
    cf_body b;
    cf_status st;

    if (!number)
        return fail(CF_E_INVALID_ARG, "which directive? (number)");
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_ACK;
    b.u.ack.state = arg_has(args, "state") ? arg_enum(args, "state", cf_ack_state_names, 6) : 2;
    if (b.u.ack.state < 2)
        return fail(CF_E_INVALID_ARG,
                    "state must be acknowledged, accepted, declined or completed");
    cJSON *err = NULL;
    d = read_one(n, cf_state_directive, "directive", number, &err);
    if (!d)
        return err;
    memcpy(b.u.ack.message_id, d->env.id, CF_ID_LEN);
    b.u.ack.node = n->cfg->id;
    b.u.ack.analyst = arg_str(args, "analyst");
    b.u.ack.reason = arg_str(args, "reason");
    b.u.ack.at_ms = cf_clock_now_ms();
    st = cf_node_originate(n, &b, d->body.header.origin, mid, &why);
    cf_message_free(d);
    if (st != CF_OK)
        return refused(st, "ack", why);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "number", number);
    cJSON_AddStringToObject(r, "state", cf_name_ack_state(b.u.ack.state));
    cJSON_AddStringToObject(r, "message_id", id_hex(mid, hex));
    return ok(r);
}

/* ---- dispatch ------------------------------------------------------------------ */

static cJSON *
cmd_quarantine_release(cf_node *n, const cJSON *args)
{
    const char *node = arg_str(args, "node");
    cf_txn *t = NULL;
    cf_status st;

    if (!node || !cf_id_valid(node))
        return fail(CF_E_INVALID_ARG, "quarantine release needs a node id");
    st = cf_txn_begin(n->store, true, &t);
    if (st == CF_OK) {
        st = cf_txn_del(t, CF_T_QUARANTINE, node, strlen(node));
        if (st == CF_OK)
            st = cf_txn_commit(t);
        else
            cf_txn_abort(t);
    }
    if (st == CF_E_NOT_FOUND)
        return fail(st, "%s is not quarantined", node);
    if (st != CF_OK)
        return fail(st, "quarantine release: %s", cf_status_str(st));
    cf_log(CF_LOG_WARN, "operator released %s from quarantine; the evidence of its fork is kept",
           node);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "node", node);
    cJSON_AddBoolToObject(r, "released", true);
    return ok(r);
}

/* ---- trust documents ------------------------------------------------------------- */

/* The documents of a trust.publish request, decoded from their armour. */
typedef struct doc_list {
    uint8_t **data;
    size_t *len;
    size_t n;
} doc_list;

#define PUBLISH_MAX 1000 /* documents per request */

static cf_status
collect_doc(const uint8_t *data, size_t len, void *arg)
{
    doc_list *l = arg;

    if (l->n >= PUBLISH_MAX)
        return CF_E_LIMIT;
    uint8_t **d = realloc(l->data, (l->n + 1) * sizeof(*d));
    if (!d)
        return CF_E_NOMEM;
    l->data = d;
    size_t *k = realloc(l->len, (l->n + 1) * sizeof(*k));
    if (!k)
        return CF_E_NOMEM;
    l->len = k;
    if (!(l->data[l->n] = malloc(len ? len : 1)))
        return CF_E_NOMEM;
    memcpy(l->data[l->n], data, len);
    l->len[l->n++] = len;
    return CF_OK;
}

/* Certificates and revocations (armoured text) handed to this node: each
 * is checked as if it came from the bus, kept, and passed on. A bundle may
 * list a certificate before its issuer's: passes repeat while one helps. */
static cJSON *
cmd_trust_publish(cf_node *n, const cJSON *args)
{
    const char *text = arg_str(args, "text");
    doc_list l = {NULL, NULL, 0};
    cf_status *verdict = NULL;
    size_t fresh = 0, held = 0, refused = 0;
    cJSON *answer = NULL;
    char hex[2 * CF_ID_LEN + 1];
    cf_status st;

    if (!text)
        return fail(CF_E_INVALID_ARG, "trust publish needs the armoured text of documents");
    st = cf_armor_decode(text, CF_ARMOR_CERT, collect_doc, &l);
    if (st == CF_OK)
        st = cf_armor_decode(text, CF_ARMOR_REVOCATION, collect_doc, &l);
    if (st != CF_OK) {
        answer =
            fail(st, "trust publish: %s", st == CF_E_LIMIT ? "too many documents" : "bad armour");
        goto out;
    }
    if (l.n == 0) {
        answer = fail(CF_E_NOT_FOUND, "trust publish: no certificate or revocation in the text");
        goto out;
    }
    verdict = calloc(l.n, sizeof(*verdict));
    if (!verdict) {
        answer = fail(CF_E_NOMEM, "trust publish: out of memory");
        goto out;
    }
    for (size_t i = 0; i < l.n; i++)
        verdict[i] = CF_E_NOT_FOUND; /* not tried yet */
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < l.n; i++) {
            uint8_t id[CF_ID_LEN];
            if (verdict[i] == CF_OK || verdict[i] == CF_E_DUPLICATE)
                continue;
            st = cf_trustdocs_publish(n, l.data[i], l.len[i], &verdict[i], id);
            if (st == CF_E_MALFORMED || st == CF_E_WRONG_TYPE) {
                verdict[i] = st;
            } else if (st != CF_OK) {
                answer = fail(st, "trust publish: the store failed: %s", cf_status_str(st));
                goto out;
            }
            progress |= verdict[i] == CF_OK;
        }
    }
    cJSON *docs = cJSON_CreateArray();
    const char *first = NULL;
    for (size_t i = 0; i < l.n; i++) {
        cJSON *o = cJSON_CreateObject();
        uint8_t id[CF_ID_LEN] = {0};
        cf_envelope env;
        if (cf_envelope_parse_stored(l.data[i], l.len[i], &env) == CF_OK) {
            memcpy(id, env.id, CF_ID_LEN);
            cf_envelope_clear(&env);
        }
        cJSON_AddStringToObject(o, "id", id_hex(id, hex));
        cJSON_AddStringToObject(o, "verdict",
                                verdict[i] == CF_OK            ? "accepted"
                                : verdict[i] == CF_E_DUPLICATE ? "held"
                                                               : "refused");
        if (verdict[i] == CF_OK)
            fresh++;
        else if (verdict[i] == CF_E_DUPLICATE)
            held++;
        else {
            refused++;
            cJSON_AddStringToObject(o, "reason", cf_status_str(verdict[i]));
            first = first ? first : cf_status_str(verdict[i]);
        }
        cJSON_AddItemToArray(docs, o);
    }
    if (refused) {
        cJSON_Delete(docs);
        answer = fail(CF_E_UNAUTHORIZED,
                      "trust publish: %zu of %zu document(s) refused by this node's trust store "
                      "(first: %s); %zu accepted, %zu held already",
                      refused, l.n, first, fresh, held);
        goto out;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "accepted", (double)fresh);
    cJSON_AddNumberToObject(r, "held", (double)held);
    cJSON_AddNumberToObject(r, "revoked_keys", (double)cf_trust_revoked_count(n->keys->trust));
    cJSON_AddNumberToObject(r, "roots", (double)cf_trust_root_count(n->keys->trust));
    cJSON_AddItemToObject(r, "documents", docs);
    answer = ok(r);
out:
    for (size_t i = 0; i < l.n; i++)
        free(l.data[i]);
    free(l.data);
    free(l.len);
    free(verdict);
    return answer;
}

bool
cf_node_ready_for(cf_node *n, const cJSON *req, bool expired)
{
    static const char *const writes[] = {
        "incident.report", "incident.update", "incident.note", "task.assign",
        "task.update",     "directive.issue", "ack",           "quarantine.release",
        "trust.publish"};
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");

    if (!cJSON_IsString(cmd))
        return true;
    if (strcmp(cmd->valuestring, "directive.wait") == 0) {
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
        cf_txn *t = NULL;
        bool complete = false;
        if (expired || cf_txn_begin(n->store, false, &t) != CF_OK)
            return true;
        /* an error (no such directive, a bad argument) is answered now; the
         * counts alone, no answer built */
        cf_status st = wait_state(n, t, cJSON_IsObject(args) ? args : NULL, &complete, NULL);
        cf_txn_abort(t);
        return st != CF_OK || complete;
    }
    if (!n->learning)
        return true;
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
        if (strcmp(cmd->valuestring, writes[i]) == 0)
            return false;
    return true;
}

cJSON *
cf_node_handle(cf_node *n, const cJSON *req)
{
    const char *cmd = arg_str(req, "cmd");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
    static const cJSON empty = {0};

    if (!cmd)
        return fail(CF_E_MALFORMED, "a request needs a \"cmd\"");
    if (args && !cJSON_IsObject(args))
        return fail(CF_E_MALFORMED, "\"args\" must be an object");
    if (!args)
        args = &empty;
    if (strcmp(cmd, "status") == 0)
        return cmd_status(n, args);
    if (strcmp(cmd, "peers") == 0)
        return cmd_peers(n, args);
    if (strcmp(cmd, "incident.report") == 0)
        return cmd_incident_report(n, args);
    if (strcmp(cmd, "incident.update") == 0)
        return cmd_incident_update(n, args);
    if (strcmp(cmd, "incident.note") == 0)
        return cmd_incident_note(n, args);
    if (strcmp(cmd, "incident.list") == 0)
        return with_read(n, read_incidents, args);
    if (strcmp(cmd, "incident.show") == 0)
        return with_read(n, read_incident, args);
    if (strcmp(cmd, "task.assign") == 0)
        return cmd_task_assign(n, args);
    if (strcmp(cmd, "task.update") == 0)
        return cmd_task_update(n, args);
    if (strcmp(cmd, "task.list") == 0)
        return with_read(n, read_tasks, args);
    if (strcmp(cmd, "directive.issue") == 0)
        return cmd_directive_issue(n, args);
    if (strcmp(cmd, "directive.list") == 0)
        return with_read(n, read_directives, args);
    if (strcmp(cmd, "directive.status") == 0)
        return with_read(n, read_directive_status, args);
    if (strcmp(cmd, "directive.wait") == 0)
        return with_read(n, read_directive_wait, args);
    if (strcmp(cmd, "ack") == 0)
        return cmd_ack(n, args);
    if (strcmp(cmd, "quarantine.release") == 0)
        return cmd_quarantine_release(n, args);
    if (strcmp(cmd, "audit.verify") == 0)
        return with_read(n, read_audit, args);
    if (strcmp(cmd, "trust.publish") == 0)
        return cmd_trust_publish(n, args);
    return fail(CF_E_INVALID_ARG, "unknown command \"%s\"", cmd);
}
