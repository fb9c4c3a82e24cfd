/*
 * rules.c - who may send what to whom (DESIGN.md section 4), as pure
 * functions over the hierarchy. Senders check cf_rule_originate before they
 * store anything; receivers check it again from the signer's certificate,
 * then cf_rule_receive. Both ask the authorization table (authz.c) for the
 * role-level decision first, then apply the finer rules here (owners, ids,
 * assignees, subtrees). Nothing here trusts a subject or a relaying node.
 */
#include "federation/federation.h"

#include <stdlib.h>
#include <string.h>

static cf_status
refuse(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return CF_E_UNAUTHORIZED;
}

static cf_status
malformed(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return CF_E_MALFORMED;
}

static bool
strv_has(cf_strv v, const char *s)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.v[i] && strcmp(v.v[i], s) == 0)
            return true;
    return false;
}

static bool
is_recipient(const cf_sealed *s, const char *node)
{
    for (size_t i = 0; i < s->n_recipients; i++)
        if (strcmp(s->recipients[i].node, node) == 0)
            return true;
    return false;
}

/* Is node a recipient of a sealed body, or on the way up to one? */
static bool
sealed_for(const cf_topology *t, const cf_topo_node *node, const cf_sealed *s)
{
    if (is_recipient(s, node->id))
        return true;
    for (size_t i = 0; i < s->n_recipients; i++) {
        const cf_topo_node *r = cf_topology_find(t, s->recipients[i].node);
        if (r && cf_topology_is_ancestor(t, r, node))
            return true;
    }
    return false;
}

cf_status
cf_rule_originate(const cf_topology *t, const cf_body *b, const char **why)
{
    const cf_topo_node *o = cf_topology_find(t, b->header.origin);

    if (!o)
        return refuse(why, "the origin is not a member of the federation");
    if (!cf_msg_type_name((int)b->type))
        return malformed(why, "unknown message type");
    /* the role-level rule is the table's; the finer rules follow */
    if (!cf_authz_scope(cf_authz_role(o, b->type), b->type, CF_AUTHZ_ORIGINATE))
        return refuse(why, cf_authz_refusal(b->type, CF_AUTHZ_ORIGINATE));
    switch (b->type) {
    case CF_MSG_INCIDENT: {
        const cf_incident *i = &b->u.incident;
        if (!i->id || !i->id[0] || i->revision < 1)
            return malformed(why, "an incident needs an id and a revision from 1");
        /* only the owner node reports and updates an incident, and an
         * incident's id names its owner ("<owner>-<n>"), so no node can
         * report or update under another's id */
        if (!i->owner || strcmp(i->owner, o->id) != 0)
            return refuse(why, "only the incident's owner node may report or update it");
        size_t olen = strlen(o->id);
        if (strncmp(i->id, o->id, olen) != 0 || i->id[olen] != '-' || !i->id[olen + 1])
            return refuse(why, "an incident's id must start with its owner's id");
        return CF_OK;
    }
    case CF_MSG_TASKING: {
        const cf_tasking *k = &b->u.tasking;
        if (!k->id || !k->id[0] || k->assignees.n == 0)
            return malformed(why, "a tasking needs an id and at least one assignee");
        if (!k->issuer || strcmp(k->issuer, o->id) != 0)
            return refuse(why, "a tasking's issuer must be the node that sends it");
        for (size_t n = 0; n < k->assignees.n; n++) {
            const cf_topo_node *a = cf_topology_find(t, k->assignees.v[n]);
            if (!a || !cf_topology_is_ancestor(t, o, a))
                return refuse(why, "a node may task only its descendants");
        }
        return CF_OK;
    }
    case CF_MSG_TASK_STATUS: {
        const cf_task_status *s = &b->u.task_status;
        if (!s->task || !s->task[0] || s->state < 1 || s->state > 5)
            return malformed(why, "a task status needs a task id and a known state");
        if (!s->assignee || strcmp(s->assignee, o->id) != 0)
            return refuse(why, "an assignee answers only for itself");
        if (s->state == 5 && (!s->reason || !s->reason[0]))
            return malformed(why, "declining a task needs a reason");
        return CF_OK;
    }
    case CF_MSG_DIRECTIVE:
        if (!b->u.directive.number || !b->u.directive.number[0])
            return malformed(why, "a directive needs a number");
        if (o->role != CF_ROLE_COUNCIL)
            return refuse(why, "only the Council issues national directives");
        return CF_OK;
    case CF_MSG_ACK:
        if (b->u.ack.state < 1 || b->u.ack.state > 5)
            return malformed(why, "an ack needs a known state");
        if (!b->u.ack.node || strcmp(b->u.ack.node, o->id) != 0)
            return refuse(why, "a node acknowledges only for itself");
        return CF_OK;
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
        /* the trust store checks the issuer's place in the hierarchy */
        return CF_OK;
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        return CF_OK;
    case CF_MSG_SEALED: {
        /* a sealed incident travels up like any incident, to recipients
         * that are its origin and the origin's ancestors */
        const cf_sealed *x = &b->u.sealed;
        bool self = false;
        for (size_t i = 0; i < x->n_recipients; i++) {
            const cf_topo_node *r = cf_topology_find(t, x->recipients[i].node);
            for (size_t j = 0; j < i; j++)
                if (strcmp(x->recipients[j].node, x->recipients[i].node) == 0)
                    return malformed(why, "a sealed message names a recipient twice");
            if (r == o)
                self = true;
            else if (!r || !cf_topology_is_ancestor(t, r, o))
                return refuse(why, "a sealed incident goes only to its origin's ancestors");
        }
        if (!self || x->n_recipients < 2)
            return malformed(why, "a sealed message needs its origin and another recipient");
        return CF_OK;
    }
    }
    return malformed(why, "unknown message type");
}

cf_status
cf_rule_receive(const cf_topology *t, const char *self, const cf_body *b, const char **why)
{
    const cf_topo_node *me = cf_topology_find(t, self);
    const cf_topo_node *o = cf_topology_find(t, b->header.origin);

    if (!me || !o)
        return refuse(why, "sender or receiver is not a member of the federation");
    if (!cf_msg_type_name((int)b->type))
        return refuse(why, "unknown message type");
    /* the table first: may the origin's role originate it at all, and may
     * our role accept it from a node placed as the origin is to us? */
    if (!cf_authz_scope(cf_authz_role(o, b->type), b->type, CF_AUTHZ_ORIGINATE))
        return refuse(why, cf_authz_refusal(b->type, CF_AUTHZ_ORIGINATE));
    if (!(cf_authz_scope(me->role, b->type, CF_AUTHZ_RECEIVE) & cf_authz_relation(t, me, o)))
        return refuse(why, cf_authz_refusal(b->type, CF_AUTHZ_RECEIVE));
    switch (b->type) {
    case CF_MSG_INCIDENT:
        /* incidents flow up: only from our own subtree */
        if (!cf_topology_is_ancestor(t, me, o))
            return refuse(why, "incidents come only from the receiver's subtree");
        return CF_OK;
    case CF_MSG_TASKING:
        if (!strv_has(b->u.tasking.assignees, self))
            return refuse(why, "the receiver is not an assignee of this tasking");
        return CF_OK;
    case CF_MSG_TASK_STATUS:
        if (!cf_topology_is_ancestor(t, me, o))
            return refuse(why, "task statuses come only from the receiver's descendants");
        return CF_OK;
    case CF_MSG_DIRECTIVE:
    case CF_MSG_ACK:
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        return CF_OK;
    case CF_MSG_SEALED:
        if (!cf_topology_is_ancestor(t, me, o))
            return refuse(why, "incidents come only from the receiver's subtree");
        if (!sealed_for(t, me, &b->u.sealed))
            return refuse(why, "the receiver is neither a recipient nor on the way to one");
        return CF_OK;
    }
    return refuse(why, "unknown message type");
}

/* The id of the sectoral or provincial CERT at or above node, or NULL. */
static const char *
branch_of(const cf_topology *t, const cf_topo_node *node, cf_role role)
{
    for (const cf_topo_node *n = node;;) {
        if (n->role == role)
            return n->id;
        if (n->parent_idx == SIZE_MAX)
            return NULL;
        n = &t->nodes[n->parent_idx];
    }
}

bool
cf_rule_directive_applies(const cf_topology *t, const cf_topo_node *node, const cf_directive *d)
{
    bool role_ok = d->n_roles == 0;

    for (size_t i = 0; i < d->n_roles; i++)
        role_ok |= d->roles[i] == (int)node->role;
    if (!role_ok)
        return false;
    if (d->sectors.n) {
        const char *s = branch_of(t, node, CF_ROLE_SECTORAL);
        if (!s || !strv_has(d->sectors, s))
            return false;
    }
    if (d->provinces.n) {
        const char *p = branch_of(t, node, CF_ROLE_PROVINCIAL);
        if (!p || !strv_has(d->provinces, p))
            return false;
    }
    return true;
}

/* An incident of o, of this severity, for me (not o itself). */
static bool
incident_for(const cf_topology *t, const cf_topo_node *me, const cf_topo_node *o, int severity)
{
    if (!cf_topology_is_ancestor(t, me, o))
        return false;
    /* above NCERT only what NCERT escalates */
    return me->role != CF_ROLE_COUNCIL || o->parent_idx == (size_t)(me - t->nodes) ||
           severity >= CF_SEVERITY_ESCALATE;
}

bool
cf_rule_incident_entitled(const cf_topology *t, const char *to, const char *origin, int severity)
{
    const cf_topo_node *me = cf_topology_find(t, to);
    const cf_topo_node *o = cf_topology_find(t, origin);

    return me && o && (me == o || incident_for(t, me, o, severity));
}

bool
cf_rule_entitled(const cf_topology *t, const char *to, const cf_body *b, const char *answered)
{
    const cf_topo_node *me = cf_topology_find(t, to);
    const cf_topo_node *o = cf_topology_find(t, b->header.origin);

    if (!me || !o)
        return false;
    if (me == o)
        return true;
    switch (b->type) {
    case CF_MSG_INCIDENT:
        return incident_for(t, me, o, b->u.incident.severity);
    case CF_MSG_TASKING:
        return strv_has(b->u.tasking.assignees, to);
    case CF_MSG_DIRECTIVE:
        return cf_rule_directive_applies(t, me, &b->u.directive);
    case CF_MSG_TASK_STATUS:
    case CF_MSG_ACK:
        return answered && strcmp(answered, to) == 0;
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        return false;
    case CF_MSG_SEALED:
        return cf_topology_is_ancestor(t, me, o) && sealed_for(t, me, &b->u.sealed);
    }
    return false;
}

bool
cf_rule_forward_up(const cf_topology *t, const char *self, const cf_body *b)
{
    const cf_topo_node *me = cf_topology_find(t, self);

    if (!me || me->parent_idx == SIZE_MAX)
        return false;
    if (b->type == CF_MSG_SEALED)
        return sealed_for(t, &t->nodes[me->parent_idx], &b->u.sealed);
    if (b->type != CF_MSG_INCIDENT)
        return false;
    if (me->role == CF_ROLE_NCERT)
        return b->u.incident.severity >= CF_SEVERITY_ESCALATE;
    return true;
}

cf_status
cf_strlist_add(cf_strlist *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

    if (!v)
        return CF_E_NOMEM;
    l->v = v;
    if (!(v[l->n] = strdup(s)))
        return CF_E_NOMEM;
    l->n++;
    return CF_OK;
}

static cf_status
add_inbox(const cf_topo_node *n, cf_msg_type type, cf_strlist *subjects, cf_strlist *recipients)
{
    cf_buf b;
    cf_status st;

    cf_buf_init(&b);
    st = cf_subject_inbox(n->path, (int)type, &b);
    if (st == CF_OK)
        st = cf_strlist_add(subjects, (const char *)b.data);
    if (st == CF_OK)
        st = cf_strlist_add(recipients, n->id);
    cf_buf_clear(&b);
    return st;
}

cf_status
cf_route(const cf_topology *t, const char *self, const cf_body *b, const char *reply_to,
         cf_strlist *out_subjects, cf_strlist *out_recipients)
{
    const cf_topo_node *me = cf_topology_find(t, self);
    cf_strlist subjects = {NULL, 0}, recipients = {NULL, 0};
    cf_status st = CF_OK;

    if (!me)
        return CF_E_INVALID_ARG;
    switch (b->type) {
    case CF_MSG_INCIDENT:
    case CF_MSG_SEALED:
        if (me->parent_idx != SIZE_MAX)
            st = add_inbox(&t->nodes[me->parent_idx], b->type, &subjects, &recipients);
        break;
    case CF_MSG_TASKING:
        for (size_t i = 0; st == CF_OK && i < b->u.tasking.assignees.n; i++) {
            const cf_topo_node *a = cf_topology_find(t, b->u.tasking.assignees.v[i]);
            st = a ? add_inbox(a, b->type, &subjects, &recipients) : CF_E_INVALID_ARG;
        }
        break;
    case CF_MSG_DIRECTIVE: {
        cf_buf sb;
        cf_buf_init(&sb);
        st = cf_subject_down(me->path, (int)b->type, &sb);
        if (st == CF_OK)
            st = cf_strlist_add(&subjects, (const char *)sb.data);
        cf_buf_clear(&sb);
        for (size_t i = 0; st == CF_OK && i < t->n; i++) {
            const cf_topo_node *n = &t->nodes[i];
            if (n != me && cf_rule_directive_applies(t, n, &b->u.directive))
                st = cf_strlist_add(&recipients, n->id);
        }
        break;
    }
    case CF_MSG_TASK_STATUS:
    case CF_MSG_ACK:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION: {
        const cf_topo_node *r = reply_to ? cf_topology_find(t, reply_to) : NULL;
        st = r ? add_inbox(r, b->type, &subjects, &recipients) : CF_E_INVALID_ARG;
        break;
    }
    }
    if (st != CF_OK) {
        cf_strlist_clear(&subjects);
        cf_strlist_clear(&recipients);
        return st;
    }
    *out_subjects = subjects;
    *out_recipients = recipients;
    return CF_OK;
}
