/*
 * subjects.c - NATS subjects that follow the hierarchy, and the transport
 * permissions derived from them (DESIGN.md section 4).
 *
 *   certfed.<path>.in.<type>     a node's inbox
 *   certfed.<path>.down.<type>   a broadcast to the node's whole subtree
 *
 * Transport permissions are the outer wall; receivers check signatures and
 * roles all the same. The nats-server configurations carry them: one server
 * for a demo, or a national hub and a leaf server per CERT (DESIGN.md
 * section 9).
 */
#include "federation/federation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cf_status
subject(const char *path, const char *kind, int type, cf_buf *out)
{
    const char *name = type ? cf_msg_type_name(type) : ">";

    if (!name)
        return CF_E_INVALID_ARG;
    return cf_buf_printf(out, CF_SUBJECT_ROOT ".%s.%s.%s", path, kind, name);
}

cf_status
cf_subject_inbox(const char *path, int type, cf_buf *out)
{
    return subject(path, "in", type, out);
}

cf_status
cf_subject_down(const char *path, int type, cf_buf *out)
{
    return subject(path, "down", type, out);
}

bool
cf_role_may_broadcast(cf_role role, cf_msg_type type)
{
    unsigned to =
        cf_authz_scope(role, type, CF_AUTHZ_ORIGINATE) | cf_authz_scope(role, type, CF_AUTHZ_RELAY);

    return (to & CF_AUTHZ_SUBTREE) != 0;
}

/* The relations a node of this role may send this message type to: its
 * originate and relay cells (nats-server cannot tell a relayed copy from an
 * original, so one grant covers both). */
static unsigned
may_send(cf_role role, int type)
{
    return cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_ORIGINATE) |
           cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_RELAY);
}

void
cf_strlist_clear(cf_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Append the subject built in b (which is cleared) to l. */
static cf_status
take(cf_strlist *l, cf_buf *b)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

    if (!v) {
        cf_buf_clear(b);
        return CF_E_NOMEM;
    }
    l->v = v;
    l->v[l->n++] = (char *)cf_buf_steal(b, NULL);
    return CF_OK;
}

cf_status
cf_permissions(const cf_topology *t, const cf_topo_node *node, cf_strlist *out_pub,
               cf_strlist *out_sub)
{
    cf_strlist pub = {NULL, 0}, sub = {NULL, 0};
    cf_buf b;
    cf_status st = CF_OK;

    cf_buf_init(&b);
    /* publish: the inbox of each relative, type by type, exactly for the
     * types whose originate or relay cell of this role covers how that
     * relative is related to it (a sectoral CERT's incidents to its parent,
     * taskings to its children, acks both ways). Granting whole inboxes
     * would let the server pass what the table forbids (a tasking up to the
     * parent, a directive into a child's inbox); this way the server refuses
     * every forbidden publish, and the receivers' own checks are the second
     * wall, not the only one. */
    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        const cf_topo_node *o = &t->nodes[i];
        unsigned rel = cf_authz_relation(t, node, o) & CF_AUTHZ_RELATIVES;
        for (int type = 1; st == CF_OK && rel && type <= CF_MSG_TYPE_MAX; type++) {
            if (!(may_send(node->role, type) & rel))
                continue;
            st = cf_subject_inbox(o->path, type, &b);
            if (st == CF_OK)
                st = take(&pub, &b);
        }
    }
    /* publish: its own down subjects, for the types the table lets its role
     * broadcast (originate or relay to its subtree) */
    for (int type = 1; st == CF_OK && type <= CF_MSG_TYPE_MAX; type++) {
        if (!cf_role_may_broadcast(node->role, (cf_msg_type)type))
            continue;
        st = cf_subject_down(node->path, type, &b);
        if (st == CF_OK)
            st = take(&pub, &b);
    }
    /* subscribe: its own inbox and its ancestors' down subjects */
    if (st == CF_OK)
        st = cf_subject_inbox(node->path, 0, &b);
    if (st == CF_OK)
        st = take(&sub, &b);
    for (const cf_topo_node *a = node; st == CF_OK && a->parent_idx != SIZE_MAX;) {
        a = &t->nodes[a->parent_idx];
        st = cf_subject_down(a->path, 0, &b);
        if (st == CF_OK)
            st = take(&sub, &b);
    }
    cf_buf_clear(&b);
    if (st != CF_OK) {
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
        return st;
    }
    *out_pub = pub;
    *out_sub = sub;
    return CF_OK;
}

/* `name: { allow: [...] }`, each subject on a line of its own, indented. */
static cf_status
put_list(cf_buf *out, const char *indent, const char *name, const cf_strlist *l)
{
    cf_status st = cf_buf_printf(out, "%s%s: { allow: [", indent, name);

    for (size_t i = 0; st == CF_OK && i < l->n; i++)
        st = cf_buf_printf(out, "%s\n%s  \"%s\"", i ? "," : "", indent, l->v[i]);
    if (st == CF_OK)
        st = l->n ? cf_buf_printf(out, "\n%s] }\n", indent) : cf_buf_append_str(out, "] }\n");
    return st;
}

cf_status
cf_nats_server_config(const cf_topology *t, const char *const *nkeys, size_t max_payload,
                      cf_buf *out)
{
    size_t start = out->len;
    cf_status st =
        cf_buf_printf(out,
                      "# nats-server configuration of federation '%s', written by\n"
                      "# certfed bootstrap from the topology: do not edit by hand.\n"
                      "# Each user is a node's transport nkey; its permissions follow\n"
                      "# the hierarchy. The listen address is given on the command line.\n"
                      "max_payload: %zu\n"
                      "authorization {\n  users: [\n",
                      t->federation, max_payload);

    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        cf_strlist pub, sub;

        st = cf_permissions(t, n, &pub, &sub);
        if (st != CF_OK)
            break;
        st = cf_buf_printf(out, "    # %s (%s)\n    {\n      nkey: \"%s\"\n      permissions: {\n",
                           n->id, cf_role_name(n->role), nkeys[i]);
        if (st == CF_OK)
            st = put_list(out, "        ", "publish", &pub);
        if (st == CF_OK)
            st = put_list(out, "        ", "subscribe", &sub);
        if (st == CF_OK)
            st = cf_buf_append_str(out, "      }\n    }\n");
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    if (st == CF_OK)
        st = cf_buf_append_str(out, "  ]\n}\n");
    if (st != CF_OK && out->data) {
        out->len = start; /* no half-written config */
        out->data[start] = 0;
    }
    return st;
}

/* ---- the hub-and-leaf layout ------------------------------------------------
 *
 * The hub keeps one account per CERT. A leaf server logs in to its CERT's
 * account, and messages cross from one account to another only along stream
 * exports and imports: a grant (from, subject, to) for every subject `from`
 * may publish that `to` may subscribe to. A hostile leaf can put anything
 * into its own account, but nothing of it beyond its grants reaches another
 * CERT; nats-server 2.9 does not check a leaf's messages against its user's
 * publish permissions by itself, so the accounts are the wall.
 */

typedef struct grant {
    size_t from;         /* the publishing node */
    const char *subject; /* one of its publish subjects (borrowed) */
    size_t to;           /* a node whose subscribe permissions cover it */
} grant;

typedef struct sub_ref {
    const char *subject;
    size_t node;
} sub_ref;

typedef struct to_ref {
    size_t to;
    size_t grant; /* index in grants.v */
} to_ref;

typedef struct grants {
    size_t n_nodes;
    cf_strlist *pub, *sub; /* per node, from cf_permissions() */
    grant *v;              /* ordered by from, then by the publisher's subjects */
    size_t n, cap;
    size_t *first; /* per node: its first grant as a publisher in v */
    to_ref *by_to; /* v's indexes ordered by to, then as in v */
} grants;

static void
grants_clear(grants *g)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->pub)
            cf_strlist_clear(&g->pub[i]);
        if (g->sub)
            cf_strlist_clear(&g->sub[i]);
    }
    free(g->pub);
    free(g->sub);
    free(g->v);
    free(g->first);
    free(g->by_to);
    memset(g, 0, sizeof(*g));
}

static int
cmp_sub_ref(const void *a, const void *b)
{
    const sub_ref *x = a, *y = b;
    int c = strcmp(x->subject, y->subject);

    if (c)
        return c;
    return x->node < y->node ? -1 : x->node > y->node;
}

static int
cmp_to_ref(const void *a, const void *b)
{
    const to_ref *x = a, *y = b;

    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->grant < y->grant ? -1 : x->grant > y->grant;
}

static cf_status
grant_add(grants *g, size_t from, const char *subject, size_t to)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        grant *v = realloc(g->v, cap * sizeof(*v));
        if (!v)
            return CF_E_NOMEM;
        g->v = v;
        g->cap = cap;
    }
    g->v[g->n++] = (grant){from, subject, to};
    return CF_OK;
}

/* The first entry of subs (sorted) whose subject is not below s. */
static size_t
lower_bound(const sub_ref *subs, size_t n, const char *s)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(subs[mid].subject, s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Grant subject p of node `from` to every other node whose subscribe
 * subjects cover it: p itself, or a prefix of p ending at a token boundary
 * followed by ">" (the only wildcard cf_permissions() uses). mark and group
 * keep one grant per receiver. */
static cf_status
grant_subject(grants *g, const sub_ref *subs, size_t n_subs, size_t from, const char *p,
              size_t *mark, size_t group)
{
    size_t len = strlen(p);
    char *c = malloc(len + 2);
    cf_status st = CF_OK;

    if (!c)
        return CF_E_NOMEM;
    /* k == len + 1 stands for p itself; otherwise the prefix p[0..k) */
    for (size_t k = 0; st == CF_OK && k <= len + 1; k++) {
        if (k <= len && !(k == 0 || p[k - 1] == '.'))
            continue;
        if (k <= len) {
            memcpy(c, p, k);
            c[k] = '>';
            c[k + 1] = 0;
        } else {
            memcpy(c, p, len + 1);
        }
        for (size_t i = lower_bound(subs, n_subs, c);
             st == CF_OK && i < n_subs && strcmp(subs[i].subject, c) == 0; i++) {
            size_t to = subs[i].node;
            if (to == from || mark[to] == group)
                continue;
            mark[to] = group;
            st = grant_add(g, from, p, to);
        }
    }
    free(c);
    return st;
}

static cf_status
grants_make(const cf_topology *t, grants *g)
{
    sub_ref *subs = NULL;
    size_t n_subs = 0, *mark = NULL, group = 0;
    cf_status st = CF_OK;

    memset(g, 0, sizeof(*g));
    g->n_nodes = t->n;
    g->pub = calloc(t->n, sizeof(*g->pub));
    g->sub = calloc(t->n, sizeof(*g->sub));
    g->first = calloc(t->n + 1, sizeof(*g->first));
    mark = malloc(t->n * sizeof(*mark));
    if (!g->pub || !g->sub || !g->first || !mark) {
        st = CF_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        st = cf_permissions(t, &t->nodes[i], &g->pub[i], &g->sub[i]);
        n_subs += st == CF_OK ? g->sub[i].n : 0;
        mark[i] = SIZE_MAX;
    }
    if (st != CF_OK)
        goto out;
    subs = malloc((n_subs ? n_subs : 1) * sizeof(*subs));
    if (!subs) {
        st = CF_E_NOMEM;
        goto out;
    }
    n_subs = 0;
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < g->sub[i].n; k++)
            subs[n_subs++] = (sub_ref){g->sub[i].v[k], i};
    qsort(subs, n_subs, sizeof(*subs), cmp_sub_ref);
    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        g->first[i] = g->n;
        for (size_t k = 0; st == CF_OK && k < g->pub[i].n; k++)
            st = grant_subject(g, subs, n_subs, i, g->pub[i].v[k], mark, group++);
    }
    g->first[t->n] = g->n;
    if (st != CF_OK)
        goto out;
    g->by_to = malloc((g->n ? g->n : 1) * sizeof(*g->by_to));
    if (!g->by_to) {
        st = CF_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < g->n; i++)
        g->by_to[i] = (to_ref){g->v[i].to, i};
    qsort(g->by_to, g->n, sizeof(*g->by_to), cmp_to_ref);
out:
    free(subs);
    free(mark);
    if (st != CF_OK)
        grants_clear(g);
    return st;
}

/* Is s non-empty, at most max characters, each from allowed? */
static bool
text_of(const char *s, size_t max, const char *allowed)
{
    size_t len = s ? strlen(s) : 0;

    return len > 0 && len <= max && strspn(s, allowed) == len;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* Characters safe in a URL's user info and in a quoted config string. */
#define PASSWORD_CHARS ALNUM "._~-"
/* A host (name, IPv4, or IPv6 in brackets) and a port. */
#define HOSTPORT_CHARS ALNUM ".:[]-"
#define HOSTPORT_MAX 255

static cf_status
put_perms(cf_buf *out, const char *indent, const cf_strlist *pub, const cf_strlist *sub)
{
    char inner[64];
    cf_status st;

    snprintf(inner, sizeof(inner), "%s  ", indent);
    st = cf_buf_printf(out, "%spermissions: {\n", indent);
    if (st == CF_OK)
        st = put_list(out, inner, "publish", pub);
    if (st == CF_OK)
        st = put_list(out, inner, "subscribe", sub);
    if (st == CF_OK)
        st = cf_buf_printf(out, "%s}\n", indent);
    return st;
}

/* The exports and imports of node i's account. */
static cf_status
put_grants(cf_buf *out, const cf_topology *t, const grants *g, size_t i)
{
    cf_status st = CF_OK;
    size_t lo = g->first[i], hi = g->first[i + 1];

    if (lo < hi)
        st = cf_buf_append_str(out, "    exports: [\n");
    /* the grants of one subject are adjacent and share its pointer */
    for (size_t k = lo; st == CF_OK && k < hi;) {
        const char *subject = g->v[k].subject;
        st = cf_buf_printf(out, "      { stream: \"%s\", accounts: [", subject);
        for (size_t first = k; st == CF_OK && k < hi && g->v[k].subject == subject; k++)
            st = cf_buf_printf(out, "%s\n        \"%s\"", k > first ? "," : "",
                               t->nodes[g->v[k].to].id);
        if (st == CF_OK)
            st = cf_buf_append_str(out, "\n      ] }\n");
    }
    if (st == CF_OK && lo < hi)
        st = cf_buf_append_str(out, "    ]\n");

    /* the grants to i: a contiguous run of by_to */
    size_t a = 0, b = g->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (g->by_to[mid].to < i)
            a = mid + 1;
        else
            b = mid;
    }
    for (b = a; b < g->n && g->by_to[b].to == i; b++)
        ;
    if (st == CF_OK && a < b)
        st = cf_buf_append_str(out, "    imports: [\n");
    for (size_t k = a; st == CF_OK && k < b; k++) {
        const grant *gr = &g->v[g->by_to[k].grant];
        st = cf_buf_printf(out, "      { stream: { account: \"%s\", subject: \"%s\" } }\n",
                           t->nodes[gr->from].id, gr->subject);
    }
    if (st == CF_OK && a < b)
        st = cf_buf_append_str(out, "    ]\n");
    return st;
}

cf_status
cf_nats_hub_config(const cf_topology *t, const char *const *passwords, const char *listen,
                   size_t max_payload, cf_buf *out)
{
    size_t start = out->len;
    grants g;
    cf_status st;

    if (!text_of(listen, HOSTPORT_MAX, HOSTPORT_CHARS))
        return CF_E_INVALID_ARG;
    for (size_t i = 0; i < t->n; i++)
        if (!text_of(passwords[i], CF_LEAF_PASSWORD_MAX, PASSWORD_CHARS))
            return CF_E_INVALID_ARG;
    st = grants_make(t, &g);
    if (st != CF_OK)
        return st;
    st = cf_buf_printf(out,
                       "# nats-server configuration of the national hub of federation '%s',\n"
                       "# written by certfed bootstrap from the topology: do not edit by hand.\n"
                       "# Each CERT's leaf server logs in as user \"leaf-<id>\" to an account of\n"
                       "# its own, with the permissions of the CERT's transport nkey. An account\n"
                       "# exports exactly what its CERT may publish, to the accounts of the CERTs\n"
                       "# that may receive it, which import it: nothing else crosses between\n"
                       "# CERTs, whatever a leaf server sends. The client listen address is\n"
                       "# given on the command line; scripts/federation rewrites the leaf-node\n"
                       "# listen line below in a private copy when it runs the federation.\n"
                       "max_payload: %zu\n"
                       "leafnodes {\n"
                       "  listen: \"%s\"\n"
                       "}\n"
                       "accounts {\n",
                       t->federation, max_payload, listen);
    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        st = cf_buf_printf(out,
                           "  # %s (%s)\n"
                           "  \"%s\": {\n"
                           "    users: [\n"
                           "      {\n"
                           "        user: \"leaf-%s\"\n"
                           "        password: \"%s\"\n",
                           n->id, cf_role_name(n->role), n->id, n->id, passwords[i]);
        if (st == CF_OK)
            st = put_perms(out, "        ", &g.pub[i], &g.sub[i]);
        if (st == CF_OK)
            st = cf_buf_append_str(out, "      }\n    ]\n");
        if (st == CF_OK)
            st = put_grants(out, t, &g, i);
        if (st == CF_OK)
            st = cf_buf_append_str(out, "  }\n");
    }
    if (st == CF_OK)
        st = cf_buf_append_str(out, "}\n");
    grants_clear(&g);
    if (st != CF_OK && out->data) {
        out->len = start; /* no half-written config */
        out->data[start] = 0;
    }
    return st;
}

cf_status
cf_nats_leaf_config(const cf_topology *t, const cf_topo_node *node, const char *nkey,
                    const char *password, const char *hub, size_t max_payload, cf_buf *out)
{
    size_t start = out->len;
    uint8_t pk[CF_PK_LEN];
    cf_strlist pub, sub;
    cf_status st;

    if (!text_of(hub, HOSTPORT_MAX, HOSTPORT_CHARS) ||
        !text_of(password, CF_LEAF_PASSWORD_MAX, PASSWORD_CHARS) ||
        cf_nkey_public_decode(nkey, pk) != CF_OK)
        return CF_E_INVALID_ARG;
    st = cf_permissions(t, node, &pub, &sub);
    if (st != CF_OK)
        return st;
    st = cf_buf_printf(out,
                       "# nats-server configuration of the leaf server of '%s' (%s) in\n"
                       "# federation '%s', written by certfed bootstrap from the topology: do\n"
                       "# not edit by hand. Its one user is the node's transport nkey, with the\n"
                       "# permissions it has at the hub; it forwards to the national hub as\n"
                       "# \"leaf-%s\". The client listen address is given on the command line\n"
                       "# (the node's [nats] url); scripts/federation rewrites the hub address\n"
                       "# of the url line below in a private copy when it runs the federation.\n"
                       "max_payload: %zu\n"
                       "authorization {\n"
                       "  users: [\n"
                       "    {\n"
                       "      nkey: \"%s\"\n",
                       node->id, cf_role_name(node->role), t->federation, node->id, max_payload,
                       nkey);
    if (st == CF_OK)
        st = put_perms(out, "      ", &pub, &sub);
    if (st == CF_OK)
        st = cf_buf_printf(out,
                           "    }\n"
                           "  ]\n"
                           "}\n"
                           "leafnodes {\n"
                           "  remotes: [\n"
                           "    {\n"
                           "      url: \"nats-leaf://leaf-%s:%s@%s\"\n"
                           "    }\n"
                           "  ]\n"
                           "}\n",
                           node->id, password, hub);
    cf_strlist_clear(&pub);
    cf_strlist_clear(&sub);
    if (st != CF_OK && out->data) {
        out->len = start;
        out->data[start] = 0;
    }
    return st;
}
