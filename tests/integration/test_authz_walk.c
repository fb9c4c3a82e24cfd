/*
 * test_authz_walk.c - walks the whole authorization table (federation/
 * authz.c) against a real nats-server. The server runs on a free loopback
 * port with the configuration cf_nats_server_config() writes for the sample
 * topology, with freshly made transport nkeys, plus one privileged monitor
 * user (test only) that may subscribe to everything and publish nothing.
 *
 * One node of each role publishes every message type to every node's inbox
 * and down subject. What the table lets that role send there must reach the
 * node (its own connection, subscribed as its permissions allow) and the
 * monitor; everything else, a type the table forbids on a relative's inbox
 * included, must be refused by the server: a permissions violation reported
 * to the publisher, and nothing at the monitor or at any node. A publish the
 * permissions let through though the table forbids it is counted as
 * "unfiltered" and fails the walk (federation/AUTHORIZATION.md).
 */
#include "check.h"
#include "federation/federation.h"
#include "harness/harness.h"
#include "keys/keys.h"

#include <nats/nats.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum { PERMITTED, FORBIDDEN };

typedef struct probe {
    size_t walker; /* index of the publishing node */
    int type;
    size_t target; /* the node whose inbox or down subject it is */
    bool down;
    int kind;
    char subject[256];
} probe;

typedef struct client {
    natsConnection *nc;
    cf_nkey *key;
    pthread_mutex_t mu;
    int violations;     /* permission errors the server reported */
    bool zero_sig;      /* the last nonce signature began with a zero byte */
    unsigned char *got; /* per payload index: received */
    size_t n_got;
} client;

static natsStatus
sign_nonce(char **err_txt, unsigned char **sig, int *sig_len, const char *nonce, void *arg)
{
    client *c = arg;

    (void)err_txt;
    *sig = malloc(CF_SIG_LEN);
    if (!*sig)
        return NATS_NO_MEMORY;
    cf_nkey_sign(c->key, (const uint8_t *)nonce, strlen(nonce), *sig);
    *sig_len = CF_SIG_LEN;
    c->zero_sig = (*sig)[0] == 0;
    return NATS_OK;
}

static void
on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *arg)
{
    client *c = arg;

    (void)nc;
    (void)sub;
    pthread_mutex_lock(&c->mu);
    if (err == NATS_NOT_PERMITTED)
        c->violations++;
    pthread_mutex_unlock(&c->mu);
}

static void
on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
    client *c = arg;
    const char *data = natsMsg_GetData(m);
    int len = natsMsg_GetDataLength(m);
    char text[32];

    (void)nc;
    (void)sub;
    if (len > 0 && (size_t)len < sizeof(text)) {
        memcpy(text, data, (size_t)len);
        text[len] = 0;
        char *end = NULL;
        unsigned long idx = strncmp(text, "walk ", 5) == 0 ? strtoul(text + 5, &end, 10) : 0;
        if (end && !*end) {
            pthread_mutex_lock(&c->mu);
            if (idx < c->n_got)
                c->got[idx] = 1;
            pthread_mutex_unlock(&c->mu);
        }
    }
    natsMsg_Destroy(m);
}

static bool
got(client *c, size_t idx)
{
    bool r;

    pthread_mutex_lock(&c->mu);
    r = idx < c->n_got && c->got[idx];
    pthread_mutex_unlock(&c->mu);
    return r;
}

static int
violations(client *c)
{
    int n;

    pthread_mutex_lock(&c->mu);
    n = c->violations;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static natsStatus
client_connect(client *c, const char *url, size_t n_got)
{
    natsOptions *o = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    natsStatus s;

    cf_nkey_public_encode(c->key->pk, pub);
    c->got = calloc(n_got, 1);
    c->n_got = n_got;
    if (!c->got)
        return NATS_NO_MEMORY;
    s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetNKey(o, pub, sign_nonce, c);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, on_error, c);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(o, false);
    /* sanitizers and parallel tests make a slow machine */
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    /* nats.c 3.4.1 (Debian 12) sends no signature at all when its first
     * byte is zero, so the server refuses one login in 256 with a good key;
     * only then is it tried again (a new connection signs a new nonce) */
    for (int attempt = 1; s == NATS_OK; attempt++) {
        c->zero_sig = false;
        s = natsConnection_Connect(&c->nc, o);
        if (s == NATS_OK || !c->zero_sig || attempt == 4)
            break;
        s = NATS_OK;
    }
    natsOptions_Destroy(o);
    return s;
}

/* Does permission s cover subject p (equal, or "x.>" over a longer p)? */
static bool
covers(const char *s, const char *p)
{
    size_t n = strlen(s);

    if (strcmp(s, p) == 0)
        return true;
    return n >= 2 && s[n - 1] == '>' && s[n - 2] == '.' && strncmp(s, p, n - 1) == 0 &&
           strlen(p) > n - 1;
}

static bool
covered(const cf_strlist *l, const char *p)
{
    for (size_t i = 0; i < l->n; i++)
        if (covers(l->v[i], p))
            return true;
    return false;
}

/* The nodes a probe must reach when it is let through. */
static bool
reaches(const cf_topology *t, const probe *p, size_t n)
{
    if (p->down)
        return cf_topology_is_ancestor(t, &t->nodes[p->walker], &t->nodes[n]);
    return n == p->target;
}

static unsigned
sends(cf_role role, int type)
{
    return cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_ORIGINATE) |
           cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_RELAY);
}

/* The config with one more user: the monitor, who may read everything. */
static cf_status
with_monitor(cf_buf *conf, const char *monitor_nkey)
{
    static const char tail[] = "  ]\n}\n";
    size_t tl = strlen(tail);

    if (conf->len < tl || memcmp(conf->data + conf->len - tl, tail, tl) != 0)
        return CF_E_INVALID_ARG;
    conf->len -= tl;
    conf->data[conf->len] = 0;
    return cf_buf_printf(conf,
                         "    # the walk's monitor: reads everything, sends nothing (test only)\n"
                         "    {\n"
                         "      nkey: \"%s\"\n"
                         "      permissions: {\n"
                         "        publish: { deny: [\">\"] }\n"
                         "        subscribe: { allow: [\">\"] }\n"
                         "      }\n"
                         "    }\n%s",
                         monitor_nkey, tail);
}

/* Find the probe of walker w, type, target and kind of subject; or NULL. */
static const probe *
find_probe(const probe *v, size_t n, const cf_topology *t, const char *walker, int type,
           const char *target, bool down)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t->nodes[v[i].walker].id, walker) == 0 && v[i].type == type &&
            strcmp(t->nodes[v[i].target].id, target) == 0 && v[i].down == down)
            return &v[i];
    return NULL;
}

int
main(void)
{
    const char *src = getenv("CERTFED_SOURCE");
    char *dir = h_tmpdir("authz-walk");
    char path[4096], err[256] = "";
    uint8_t *ini = NULL;
    size_t ini_len = 0;
    cf_topology *t = NULL;
    client *clients = NULL, monitor;
    size_t walkers[CF_ROLE_MAX + 1], n_walkers = 0;
    cf_strlist *pub = NULL, *sub = NULL;
    probe *probes = NULL;
    size_t n_probes = 0, cap = 0;
    const char **nkeys = NULL;
    char(*nkey_text)[CF_NKEY_PUBLIC_LEN + 1] = NULL;
    char monitor_pub[CF_NKEY_PUBLIC_LEN + 1];
    h_nats server = {0};
    cf_buf conf, subj;
    size_t counts[2] = {0, 0}, unfiltered = 0, delivered = 0, refused = 0;
    natsSubscription *msub = NULL, **subs = NULL;
    size_t n_subs = 0, n_got;
    char payload[32];
    int64_t started = h_now_ms();

    memset(&monitor, 0, sizeof(monitor));
    pthread_mutex_init(&monitor.mu, NULL);
    cf_buf_init(&conf);
    cf_buf_init(&subj);
    if (sodium_init() < 0 || !src || !dir) {
        fprintf(stderr, "needs CERTFED_SOURCE (run it through ctest)\n");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/federation/topologies/national.ini", src);
    CHECK_ST(cf_file_read(path, 1 << 20, &ini, &ini_len), CF_OK);
    if (ini)
        CHECK_ST(cf_topology_parse((const char *)ini, &t, err, sizeof(err)), CF_OK);
    if (!t) {
        fprintf(stderr, "  %s: %s\n", path, err);
        goto out;
    }

    /* the first node of each role walks */
    for (int r = CF_ROLE_COUNCIL; r <= CF_ROLE_MAX; r++) {
        for (size_t i = 0; i < t->n; i++) {
            if (t->nodes[i].role == (cf_role)r) {
                walkers[n_walkers++] = i;
                break;
            }
        }
    }
    CHECK(n_walkers == 5);

    /* every node's permissions, as the server will have them */
    clients = calloc(t->n, sizeof(*clients));
    pub = calloc(t->n, sizeof(*pub));
    sub = calloc(t->n, sizeof(*sub));
    nkeys = calloc(t->n, sizeof(*nkeys));
    nkey_text = calloc(t->n, sizeof(*nkey_text));
    CHECK(clients && pub && sub && nkeys && nkey_text);
    if (!clients || !pub || !sub || !nkeys || !nkey_text)
        goto out;
    for (size_t i = 0; i < t->n; i++) {
        pthread_mutex_init(&clients[i].mu, NULL);
        CHECK_ST(cf_permissions(t, &t->nodes[i], &pub[i], &sub[i]), CF_OK);
        CHECK_ST(cf_nkey_generate(&clients[i].key), CF_OK);
        if (!clients[i].key)
            goto out;
        cf_nkey_public_encode(clients[i].key->pk, nkey_text[i]);
        nkeys[i] = nkey_text[i];
    }
    CHECK_ST(cf_nkey_generate(&monitor.key), CF_OK);
    if (!monitor.key)
        goto out;
    cf_nkey_public_encode(monitor.key->pk, monitor_pub);

    /* the probes: every type from each walker to every inbox and down subject */
    for (size_t w = 0; w < n_walkers; w++) {
        const cf_topo_node *me = &t->nodes[walkers[w]];
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
            unsigned to = sends(me->role, type);
            for (size_t x = 0; x < t->n; x++) {
                for (int down = 0; down <= 1; down++) {
                    if (n_probes == cap) {
                        cap = cap ? 2 * cap : 256;
                        probe *v = realloc(probes, cap * sizeof(*v));
                        CHECK(v != NULL);
                        if (!v)
                            goto out;
                        probes = v;
                    }
                    probe *p = &probes[n_probes];
                    memset(p, 0, sizeof(*p));
                    p->walker = walkers[w];
                    p->type = type;
                    p->target = x;
                    p->down = down;
                    subj.len = 0;
                    CHECK_ST(down ? cf_subject_down(t->nodes[x].path, type, &subj)
                                  : cf_subject_inbox(t->nodes[x].path, type, &subj),
                             CF_OK);
                    snprintf(p->subject, sizeof(p->subject), "%s", (const char *)subj.data);
                    unsigned rel = cf_authz_relation(t, me, &t->nodes[x]);
                    bool table = down ? (x == walkers[w] && (to & CF_AUTHZ_SUBTREE))
                                      : (to & rel & CF_AUTHZ_RELATIVES) != 0;
                    bool config = covered(&pub[walkers[w]], p->subject);
                    /* the server must let through all the table permits */
                    CHECK(!table || config);
                    if (table && !config)
                        fprintf(stderr,
                                "  the permissions of %s refuse %s, which the table "
                                "permits\n",
                                me->id, p->subject);
                    /* and nothing the table forbids: no gap, on any inbox */
                    CHECK(table || !config);
                    if (config && !table) {
                        fprintf(stderr,
                                "  the permissions of %s let through %s, which the table "
                                "forbids\n",
                                me->id, p->subject);
                        unfiltered++;
                    }
                    p->kind = table ? PERMITTED : FORBIDDEN;
                    counts[p->kind]++;
                    n_probes++;
                }
            }
        }
    }
    /* the cases AUTHORIZATION.md names are in the walk, as forbidden */
    static const struct {
        const char *walker, *target;
        int type;
        bool down;
    } named[] = {
        {"punjab", "council", CF_MSG_DIRECTIVE, true},   /* a provincial on the Council's down */
        {"punjab", "council", CF_MSG_MEMBER_CERT, true}, /* ... of any type */
        {"banking", "banking", CF_MSG_DIRECTIVE, true},  /* a sectoral broadcasting a directive */
        {"banking", "council", CF_MSG_DIRECTIVE, true},
        {"banking", "telecom", CF_MSG_INCIDENT, false}, /* a sibling's inbox */
        {"punjab", "sindh", CF_MSG_ACK, false},
        {"state-bank", "lahore-it", CF_MSG_INCIDENT, false},   /* a cousin's inbox */
        {"state-bank", "state-bank", CF_MSG_REVOCATION, true}, /* a constituent broadcasting */
        {"council", "council", CF_MSG_INCIDENT, false},        /* its own inbox */
        {"ncert", "council", CF_MSG_DIRECTIVE, true},
        /* a type the table forbids on a relative's inbox */
        {"punjab", "ncert", CF_MSG_DIRECTIVE, false},      /* a directive up to its parent */
        {"banking", "ncert", CF_MSG_TASKING, false},       /* a tasking of its parent */
        {"ncert", "council", CF_MSG_DIRECTIVE, false},     /* NCERT issues none */
        {"ncert", "punjab", CF_MSG_DIRECTIVE, false},      /* ... nor into a child's inbox */
        {"banking", "state-bank", CF_MSG_INCIDENT, false}, /* incidents go up only */
        {"state-bank", "council", CF_MSG_INCIDENT, false}, /* ... to the parent only */
        {"council", "ncert", CF_MSG_INCIDENT, false},      /* the Council keeps its own */
        {"state-bank", "banking", CF_MSG_TASKING, false},  /* a constituent tasks no one */
    };
    for (size_t k = 0; k < CF_ARRAY_LEN(named); k++) {
        const probe *p = find_probe(probes, n_probes, t, named[k].walker, named[k].type,
                                    named[k].target, named[k].down);
        CHECK(p != NULL && p->kind == FORBIDDEN);
        if (p && p->kind != FORBIDDEN)
            fprintf(stderr, "  %s is not forbidden to %s\n", p->subject, named[k].walker);
    }
    /* and the types the table permits on those inboxes are in it, as permitted */
    static const struct {
        const char *walker, *target;
        int type;
    } allowed[] = {
        {"banking", "ncert", CF_MSG_INCIDENT},
        {"banking", "ncert", CF_MSG_ACK},
        {"punjab", "council", CF_MSG_ACK},
        {"ncert", "punjab", CF_MSG_TASKING},
        {"council", "ncert", CF_MSG_TASKING},
        {"council", "ncert", CF_MSG_DIRECTIVE}, /* a resend, into the inbox */
        {"state-bank", "banking", CF_MSG_INCIDENT},
        {"state-bank", "council", CF_MSG_TASK_STATUS},
    };
    for (size_t k = 0; k < CF_ARRAY_LEN(allowed); k++) {
        const probe *p = find_probe(probes, n_probes, t, allowed[k].walker, allowed[k].type,
                                    allowed[k].target, false);
        CHECK(p != NULL && p->kind == PERMITTED);
    }

    /* the server: the generated configuration plus the monitor */
    CHECK_ST(cf_nats_server_config(t, nkeys, 1048576, &conf), CF_OK);
    CHECK_ST(with_monitor(&conf, monitor_pub), CF_OK);
    snprintf(path, sizeof(path), "%s/nats-server.conf", dir);
    CHECK_ST(cf_file_write(path, conf.data, conf.len, 0600, true), CF_OK);
    CHECK_ST(h_nats_start(path, dir, &server), CF_OK);
    if (server.pid <= 0 || check_failures)
        goto out;

    /* payload indexes: the probes, then one sentinel per walker */
    n_got = n_probes + n_walkers;
    for (size_t i = 0; i <= t->n; i++) {
        client *c = i < t->n ? &clients[i] : &monitor;
        natsStatus s = client_connect(c, server.url, n_got);
        CHECK(s == NATS_OK);
        if (s != NATS_OK)
            fprintf(stderr, "  %s cannot connect: %s (%s)\n", i < t->n ? t->nodes[i].id : "monitor",
                    natsStatus_GetText(s), nats_GetLastError(NULL));
    }
    if (check_failures)
        goto out;
    CHECK(natsConnection_Subscribe(&msub, monitor.nc, ">", on_msg, &monitor) == NATS_OK);
    CHECK(natsConnection_Flush(monitor.nc) == NATS_OK);
    /* each node listens where its permissions let it: its inbox, its ancestors' down */
    subs = calloc(t->n * 8, sizeof(*subs));
    CHECK(subs != NULL);
    for (size_t i = 0; subs && i < t->n; i++) {
        for (size_t k = 0; k < sub[i].n && n_subs < t->n * 8; k++)
            CHECK(natsConnection_Subscribe(&subs[n_subs++], clients[i].nc, sub[i].v[k], on_msg,
                                           &clients[i]) == NATS_OK);
        CHECK(natsConnection_Flush(clients[i].nc) == NATS_OK);
        CHECK(violations(&clients[i]) == 0);
    }
    if (check_failures)
        goto subs;

    /* walk */
    for (size_t i = 0; i < n_probes; i++) {
        snprintf(payload, sizeof(payload), "walk %zu", i);
        CHECK(natsConnection_PublishString(clients[probes[i].walker].nc, probes[i].subject,
                                           payload) == NATS_OK);
    }
    /* a sentinel from each walker after its probes, on a subject it may use:
     * once the monitor has it, the monitor has all of that walker's probes
     * that the server let through (one server keeps a publisher's order) */
    for (size_t w = 0; w < n_walkers; w++) {
        const probe *p = NULL;
        for (size_t i = 0; !p && i < n_probes; i++)
            if (probes[i].walker == walkers[w] && probes[i].kind == PERMITTED)
                p = &probes[i];
        CHECK(p != NULL);
        if (!p)
            continue;
        snprintf(payload, sizeof(payload), "walk %zu", n_probes + w);
        CHECK(natsConnection_PublishString(clients[walkers[w]].nc, p->subject, payload) == NATS_OK);
        CHECK(natsConnection_Flush(clients[walkers[w]].nc) == NATS_OK);
    }
    int64_t deadline = h_now_ms() + 15000;
    for (bool done = false; !done && h_now_ms() < deadline;) {
        done = true;
        for (size_t w = 0; done && w < n_walkers; w++)
            done = got(&monitor, n_probes + w);
        for (size_t i = 0; done && i < n_probes; i++)
            for (size_t n = 0; done && n < t->n; n++)
                if (probes[i].kind != FORBIDDEN && reaches(t, &probes[i], n))
                    done = got(&clients[n], i);
        for (size_t w = 0; done && w < n_walkers; w++) {
            int want = 0;
            for (size_t i = 0; i < n_probes; i++)
                want += probes[i].walker == walkers[w] && probes[i].kind == FORBIDDEN;
            done = violations(&clients[walkers[w]]) >= want;
        }
        if (!done)
            poll(NULL, 0, 10);
    }
    for (size_t w = 0; w < n_walkers; w++)
        CHECK(got(&monitor, n_probes + w));

    /* judge every probe */
    for (size_t i = 0; i < n_probes; i++) {
        const probe *p = &probes[i];
        bool ok = true;
        for (size_t n = 0; n < t->n; n++) {
            bool want = p->kind != FORBIDDEN && reaches(t, p, n);
            ok &= got(&clients[n], i) == want;
        }
        ok &= got(&monitor, i) == (p->kind != FORBIDDEN);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s publishing %s (%s): %s\n", t->nodes[p->walker].id, p->subject,
                    cf_role_name(t->nodes[p->walker].role),
                    p->kind == PERMITTED ? "permitted but not delivered as it should be"
                                         : "forbidden but not refused");
        if (ok && p->kind == PERMITTED)
            delivered++;
        if (ok && p->kind == FORBIDDEN)
            refused++;
    }
    /* the server said so to each publisher, once per refused publish */
    for (size_t w = 0; w < n_walkers; w++) {
        int want = 0;
        for (size_t i = 0; i < n_probes; i++)
            want += probes[i].walker == walkers[w] && probes[i].kind == FORBIDDEN;
        int v = violations(&clients[walkers[w]]);
        CHECK(v == want);
        if (v != want)
            fprintf(stderr, "  %s: %d permission violations reported, %d publishes refused\n",
                    t->nodes[walkers[w]].id, v, want);
    }
    printf("AUTHZ-WALK roles=%zu types=%d permitted=%zu delivered=%zu forbidden=%zu refused=%zu "
           "unfiltered=%zu (%lld ms)\n",
           n_walkers, CF_MSG_TYPE_MAX, counts[PERMITTED], delivered, counts[FORBIDDEN], refused,
           unfiltered, (long long)(h_now_ms() - started));
    CHECK(counts[PERMITTED] > 0 && counts[FORBIDDEN] > 0);
    CHECK(delivered == counts[PERMITTED]);
    CHECK(refused == counts[FORBIDDEN]);
    CHECK(unfiltered == 0);

subs:
    for (size_t i = 0; subs && i < n_subs; i++)
        natsSubscription_Destroy(subs[i]);
    free(subs);
    natsSubscription_Destroy(msub);
out:
    for (size_t i = 0; clients && i < t->n; i++) {
        natsConnection_Destroy(clients[i].nc);
        cf_nkey_free(clients[i].key);
        free(clients[i].got);
        pthread_mutex_destroy(&clients[i].mu);
    }
    natsConnection_Destroy(monitor.nc);
    cf_nkey_free(monitor.key);
    free(monitor.got);
    pthread_mutex_destroy(&monitor.mu);
    h_nats_stop(&server);
    for (size_t i = 0; t && pub && sub && i < t->n; i++) {
        cf_strlist_clear(&pub[i]);
        cf_strlist_clear(&sub[i]);
    }
    free(pub);
    free(sub);
    free(nkeys);
    free(nkey_text);
    free(clients);
    free(probes);
    cf_buf_clear(&conf);
    cf_buf_clear(&subj);
    cf_topology_free(t);
    free(ini);
    if (dir && check_failures == 0)
        h_rmtree(dir);
    else if (dir)
        fprintf(stderr, "kept %s for inspection\n", dir);
    free(dir);
    nats_Close();
    return check_done("test_authz_walk");
}
