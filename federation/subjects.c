/*
 * subjects.c - NATS subjects that follow the hierarchy, and the transport
 * permissions derived from them (DESIGN.md section 4).
 *
 *   certfed.<path>.in.<type>     a node's inbox
 *   certfed.<path>.down.<type>   a broadcast to the node's whole subtree
 *
 * Transport permissions are the outer wall; receivers check signatures and
 * roles all the same.
 */
#include "federation/federation.h"

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
    switch (type) {
    case CF_MSG_DIRECTIVE:
        return role == CF_ROLE_COUNCIL; /* national directives: the Council only */
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
        /* a certifying node announces the certificates and revocations it
         * signs to the subtree below it */
        return role == CF_ROLE_COUNCIL || role == CF_ROLE_NCERT || role == CF_ROLE_SECTORAL ||
               role == CF_ROLE_PROVINCIAL;
    case CF_MSG_INCIDENT:
    case CF_MSG_TASKING:
    case CF_MSG_TASK_STATUS:
    case CF_MSG_ACK:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        return false; /* addressed to inboxes, never broadcast */
    }
    return false;
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
    /* publish: the inboxes of every ancestor and descendant */
    for (size_t i = 0; st == CF_OK && i < t->n; i++) {
        const cf_topo_node *o = &t->nodes[i];
        if (!cf_topology_is_ancestor(t, o, node) && !cf_topology_is_ancestor(t, node, o))
            continue;
        st = cf_subject_inbox(o->path, 0, &b);
        if (st == CF_OK)
            st = take(&pub, &b);
    }
    /* publish: its own down subjects, for the types its role broadcasts */
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

static cf_status
put_list(cf_buf *out, const char *name, const cf_strlist *l)
{
    cf_status st = cf_buf_printf(out, "        %s: { allow: [", name);

    for (size_t i = 0; st == CF_OK && i < l->n; i++)
        st = cf_buf_printf(out, "%s\n          \"%s\"", i ? "," : "", l->v[i]);
    if (st == CF_OK)
        st = cf_buf_append_str(out, l->n ? "\n        ] }\n" : "] }\n");
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
            st = put_list(out, "publish", &pub);
        if (st == CF_OK)
            st = put_list(out, "subscribe", &sub);
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
