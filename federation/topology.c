/*
 * topology.c - the topology file: which nodes exist, their roles and
 * parents. Parsed with libinih; a reader that counts lines lets every error
 * name its line. After parsing, nodes are ordered parents first and each has
 * its subject path.
 */
#include "federation/federation.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_state {
    const char *text; /* the rest of the input */
    int line;         /* number of the line the reader returned last */
    bool in_node;     /* the current section is a [node ...] */
    cf_topology *t;
    int federation_line;
    char *err;
    size_t errlen;
    bool failed;
    bool nomem;
} parse_state;

static void fail(parse_state *ps, int line, const char *fmt, ...) CF_PRINTF(3, 4);

static void
fail(parse_state *ps, int line, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (ps->failed)
        return; /* report the first error only */
    ps->failed = true;
    if (!ps->err || !ps->errlen)
        return;
    if (line > 0)
        n = snprintf(ps->err, ps->errlen, "line %d: ", line);
    if (n < 0 || (size_t)n >= ps->errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static cf_topo_node *
node_by_id(cf_topology *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->nodes[i].id, id) == 0)
            return &t->nodes[i];
    return NULL;
}

/* A [federation] or [node ID] header: libinih reports only key = value
 * lines, so sections are tracked here, where the line number is known. */
static void
begin_section(parse_state *ps, const char *section)
{
    cf_topology *t = ps->t;

    ps->in_node = false;
    if (strcmp(section, "federation") == 0) {
        if (ps->federation_line)
            fail(ps, ps->line, "second [federation] section (first at line %d)",
                 ps->federation_line);
        ps->federation_line = ps->line;
        return;
    }
    if (strncmp(section, "node ", 5) != 0) {
        fail(ps, ps->line, "unknown section [%s] (expected [federation] or [node ID])", section);
        return;
    }
    const char *id = section + 5;
    cf_topo_node *dup = node_by_id(t, id);
    if (!cf_id_valid(id)) {
        fail(ps, ps->line,
             "invalid node id '%s' (use [a-z0-9-]{1,32}; 'in' and 'down' are reserved)", id);
        return;
    }
    if (dup) {
        fail(ps, ps->line, "duplicate node id '%s' (first at line %d)", id, dup->line);
        return;
    }
    if (t->n >= CF_TOPOLOGY_MAX_NODES) {
        fail(ps, ps->line, "too many nodes (at most %d)", CF_TOPOLOGY_MAX_NODES);
        return;
    }
    cf_topo_node *v = realloc(t->nodes, (t->n + 1) * sizeof(*v));
    if (!v) {
        ps->nomem = true;
        return;
    }
    t->nodes = v;
    memset(&v[t->n], 0, sizeof(v[t->n]));
    v[t->n].line = ps->line;
    v[t->n].parent_idx = SIZE_MAX;
    if (!(v[t->n].id = strdup(id))) {
        ps->nomem = true;
        return;
    }
    t->n++;
    ps->in_node = true;
}

/* An fgets() over a string that counts lines and notices section headers. */
static char *
read_line(char *str, int num, void *stream)
{
    parse_state *ps = stream;
    size_t len;
    const char *nl, *p;

    if (!*ps->text || ps->failed || ps->nomem)
        return NULL;
    nl = strchr(ps->text, '\n');
    len = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
    /* inih's buffer holds num - 1 bytes, newline included */
    if (len - (nl ? 1 : 0) > (size_t)num - 2) {
        fail(ps, ps->line + 1, "line too long (at most %d characters)", num - 2);
        return NULL;
    }
    memcpy(str, ps->text, len);
    str[len] = 0;
    ps->text += len;
    ps->line++;
    /* libinih skips a UTF-8 byte order mark at the start of the file */
    const char *start = ps->line == 1 && memcmp(str, "\xEF\xBB\xBF", 3) == 0 ? str + 3 : str;
    /* ...and takes any white space (form feeds too) as indentation */
    for (p = start; *p == ' ' || *p == '\t' || *p == '\f' || *p == '\v'; p++)
        ;
    /* libinih would take an indented line as the continuation of the value
     * above it; our format has no continuations, so say so plainly */
    if (p != start && *p && *p != '\r' && *p != '\n' && *p != '#' && *p != ';') {
        fail(ps, ps->line, "indented line: start keys and sections in the first column");
        return NULL;
    }
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (end) {
            char section[INI_MAX_LINE];
            size_t n = (size_t)(end - p - 1);
            memcpy(section, p + 1, n);
            section[n] = 0;
            begin_section(ps, section);
        }
    }
    return str;
}

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
    parse_state *ps = user;
    cf_topology *t = ps->t;

    if (ps->failed || ps->nomem)
        return 0;
    if (!section[0]) {
        fail(ps, ps->line, "'%s' outside any section", name);
        return 0;
    }
    if (!ps->in_node) {
        if (strcmp(name, "name") == 0) {
            if (!cf_id_valid(value))
                fail(ps, ps->line, "invalid federation name '%s' (use [a-z0-9-]{1,32})", value);
            else if (t->federation)
                fail(ps, ps->line, "federation name given twice");
            else if (!(t->federation = strdup(value)))
                ps->nomem = true;
        } else {
            fail(ps, ps->line, "unknown key '%s' in [federation] (known: name)", name);
        }
        return !ps->failed && !ps->nomem;
    }
    cf_topo_node *n = &t->nodes[t->n - 1];
    if (strcmp(name, "role") == 0) {
        if (n->role != CF_ROLE_NONE) {
            fail(ps, ps->line, "role of '%s' given twice", n->id);
            return 0;
        }
        n->role = cf_role_parse(value);
        if (n->role == CF_ROLE_NONE || n->role == CF_ROLE_ROOT)
            fail(ps, ps->line,
                 "unknown role '%s' for node '%s' (known: council, ncert, sectoral, provincial, "
                 "constituent)",
                 value, n->id);
    } else if (strcmp(name, "parent") == 0) {
        if (n->parent)
            fail(ps, ps->line, "parent of '%s' given twice", n->id);
        else if (!(n->parent = strdup(value)))
            ps->nomem = true;
    } else {
        fail(ps, ps->line, "unknown key '%s' in [node %s] (known: role, parent)", name, n->id);
    }
    return !ps->failed && !ps->nomem;
}

bool
cf_role_may_parent(cf_role parent, cf_role child)
{
    switch (child) {
    case CF_ROLE_NCERT:
        return parent == CF_ROLE_COUNCIL;
    case CF_ROLE_SECTORAL:
    case CF_ROLE_PROVINCIAL:
        return parent == CF_ROLE_NCERT;
    case CF_ROLE_CONSTITUENT:
        return parent == CF_ROLE_SECTORAL || parent == CF_ROLE_PROVINCIAL;
    case CF_ROLE_COUNCIL:
    case CF_ROLE_ROOT:
    case CF_ROLE_NONE:
        return false;
    }
    return false;
}

/* Check parents and roles, then order nodes parents first and set paths. */
static cf_status
link_nodes(parse_state *ps)
{
    cf_topology *t = ps->t;
    size_t councils = 0;
    cf_topo_node *sorted;
    bool *placed;
    size_t done = 0;

    if (!t->federation) {
        fail(ps, ps->federation_line, "missing [federation] name");
        return CF_E_CONFIG;
    }
    if (t->n == 0) {
        fail(ps, 0, "no [node ...] sections");
        return CF_E_CONFIG;
    }
    for (size_t i = 0; i < t->n; i++) {
        cf_topo_node *n = &t->nodes[i];
        if (n->role == CF_ROLE_NONE) {
            fail(ps, n->line, "node '%s' has no role", n->id);
            return CF_E_CONFIG;
        }
        if (n->role == CF_ROLE_COUNCIL) {
            if (n->parent) {
                fail(ps, n->line, "the council '%s' is the apex and has no parent", n->id);
                return CF_E_CONFIG;
            }
            if (++councils > 1) {
                fail(ps, n->line, "a second council '%s': a federation has exactly one", n->id);
                return CF_E_CONFIG;
            }
            continue;
        }
        if (!n->parent) {
            fail(ps, n->line, "node '%s' (%s) has no parent", n->id, cf_role_name(n->role));
            return CF_E_CONFIG;
        }
        cf_topo_node *p = node_by_id(t, n->parent);
        if (!p) {
            fail(ps, n->line, "node '%s' names an unknown parent '%s'", n->id, n->parent);
            return CF_E_CONFIG;
        }
        if (p == n) {
            fail(ps, n->line, "node '%s' is its own parent (a cycle)", n->id);
            return CF_E_CONFIG;
        }
        n->parent_idx = (size_t)(p - t->nodes);
    }
    if (councils == 0) {
        fail(ps, 0, "no node has role council: a federation has exactly one");
        return CF_E_CONFIG;
    }
    /* A node whose ancestry does not reach the council within n steps is
     * on a cycle or hangs below one; after n steps up, the walk is inside
     * the cycle, so the node reported is one of those on it. */
    for (size_t i = 0; i < t->n; i++) {
        size_t cur = i, steps = 0;
        while (t->nodes[cur].parent_idx != SIZE_MAX && steps < t->n) {
            cur = t->nodes[cur].parent_idx;
            steps++;
        }
        if (t->nodes[cur].parent_idx != SIZE_MAX) {
            const cf_topo_node *c = &t->nodes[cur];
            fail(ps, c->line, "node '%s' is on a parent cycle (its parent chain comes back to it)",
                 c->id);
            return CF_E_CONFIG;
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        cf_topo_node *n = &t->nodes[i];
        if (n->parent_idx == SIZE_MAX)
            continue;
        cf_topo_node *p = &t->nodes[n->parent_idx];
        if (!cf_role_may_parent(p->role, n->role)) {
            fail(ps, n->line, "a %s ('%s') cannot be the parent of a %s ('%s')",
                 cf_role_name(p->role), p->id, cf_role_name(n->role), n->id);
            return CF_E_CONFIG;
        }
    }
    /* order parents first (a breadth-first pass) and compute paths */
    sorted = calloc(t->n, sizeof(*sorted));
    placed = calloc(t->n, sizeof(*placed));
    size_t *new_idx = calloc(t->n, sizeof(*new_idx));
    if (!sorted || !placed || !new_idx) {
        free(sorted);
        free(placed);
        free(new_idx);
        return CF_E_NOMEM;
    }
    while (done < t->n) {
        for (size_t i = 0; i < t->n; i++) {
            cf_topo_node *n = &t->nodes[i];
            if (placed[i] || (n->parent_idx != SIZE_MAX && !placed[n->parent_idx]))
                continue;
            placed[i] = true;
            new_idx[i] = done;
            sorted[done++] = *n;
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        cf_topo_node *n = &sorted[i];
        if (n->parent_idx != SIZE_MAX)
            n->parent_idx = new_idx[n->parent_idx];
    }
    free(t->nodes);
    free(placed);
    free(new_idx);
    t->nodes = sorted;
    for (size_t i = 0; i < t->n; i++) {
        cf_topo_node *n = &t->nodes[i];
        const char *pp = n->parent_idx == SIZE_MAX ? NULL : t->nodes[n->parent_idx].path;
        size_t len = (pp ? strlen(pp) + 1 : 0) + strlen(n->id) + 1;
        n->path = malloc(len);
        if (!n->path)
            return CF_E_NOMEM;
        snprintf(n->path, len, "%s%s%s", pp ? pp : "", pp ? "." : "", n->id);
    }
    return CF_OK;
}

cf_status
cf_topology_parse(const char *text, cf_topology **out, char *err, size_t errlen)
{
    parse_state ps;
    cf_status st;
    int rc;

    memset(&ps, 0, sizeof(ps));
    ps.text = text;
    ps.err = err;
    ps.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    ps.t = calloc(1, sizeof(*ps.t));
    if (!ps.t)
        return CF_E_NOMEM;
    rc = ini_parse_stream(read_line, &ps, on_entry, &ps);
    if (ps.nomem) {
        st = CF_E_NOMEM;
    } else if (rc != 0 || ps.failed) {
        if (!ps.failed)
            fail(&ps, rc, "syntax error (expected [section] or key = value)");
        st = CF_E_CONFIG;
    } else {
        st = link_nodes(&ps);
    }
    if (st != CF_OK) {
        cf_topology_free(ps.t);
        return st;
    }
    *out = ps.t;
    return CF_OK;
}

cf_status
cf_topology_from_trust(const cf_trust *trust, int64_t now_ms, cf_topology **out, char *err,
                       size_t errlen)
{
    parse_state ps;
    cf_status st = CF_E_NOMEM;

    memset(&ps, 0, sizeof(ps));
    ps.err = err;
    ps.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    ps.t = calloc(1, sizeof(*ps.t));
    if (!ps.t || !(ps.t->federation = strdup(cf_trust_federation(trust))))
        goto out;
    for (size_t i = 0; i < cf_trust_count(trust); i++) {
        const cf_member_cert *c = cf_trust_at(trust, i)->body;
        const cf_cert *valid;
        if (c->role == CF_ROLE_ROOT || node_by_id(ps.t, c->node))
            continue;
        /* the node's current certificate; a node whose key is revoked keeps
         * its place (its messages up to the last good one stay valid) */
        valid = cf_trust_find_place(trust, c->node, now_ms);
        if (!valid)
            continue;
        cf_topo_node *v = realloc(ps.t->nodes, (ps.t->n + 1) * sizeof(*v));
        if (!v)
            goto out;
        ps.t->nodes = v;
        cf_topo_node *n = &v[ps.t->n];
        memset(n, 0, sizeof(*n));
        n->parent_idx = SIZE_MAX;
        n->role = valid->body->role;
        n->id = strdup(valid->body->node);
        n->parent = valid->body->parent[0] ? strdup(valid->body->parent) : NULL;
        ps.t->n++;
        if (!n->id || (valid->body->parent[0] && !n->parent))
            goto out;
    }
    /* a node whose parent has no valid certificate is cut off from the
     * hierarchy: leave it (and so its subtree) out rather than fail */
    for (bool pruned = true; pruned;) {
        pruned = false;
        for (size_t i = 0; i < ps.t->n; i++) {
            cf_topo_node *n = &ps.t->nodes[i];
            if (!n->parent || node_by_id(ps.t, n->parent))
                continue;
            free(n->id);
            free(n->parent);
            ps.t->nodes[i] = ps.t->nodes[--ps.t->n];
            pruned = true;
            break;
        }
    }
    st = link_nodes(&ps);
out:
    if (st != CF_OK) {
        cf_topology_free(ps.t);
        return st;
    }
    *out = ps.t;
    return CF_OK;
}

void
cf_topology_free(cf_topology *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].id);
        free(t->nodes[i].parent);
        free(t->nodes[i].path);
    }
    free(t->nodes);
    free(t->federation);
    free(t);
}

const cf_topo_node *
cf_topology_find(const cf_topology *t, const char *id)
{
    return node_by_id((cf_topology *)t, id);
}

bool
cf_topology_is_ancestor(const cf_topology *t, const cf_topo_node *a, const cf_topo_node *d)
{
    while (d->parent_idx != SIZE_MAX) {
        d = &t->nodes[d->parent_idx];
        if (d == a)
            return true;
    }
    return false;
}
