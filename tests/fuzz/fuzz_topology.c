/*
 * fuzz_topology.c - libFuzzer target for the topology parser, which reads
 * the file an operator hands to `certfed bootstrap`. The input, NUL
 * terminated, is parsed; a topology that parses must hold what its users
 * rely on, or the target aborts: one council at index 0, parents before
 * children, paths that spell the ancestry, ids that are valid and unique;
 * one that does not parse must say why.
 */
#include "federation/federation.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The topology's invariants; abort() tells libFuzzer an input broke one. */
static void
check(const cf_topology *t)
{
    size_t councils = 0;

    if (!t->federation || !cf_id_valid(t->federation) || t->n == 0 ||
        t->n > CF_TOPOLOGY_MAX_NODES || t->nodes[0].role != CF_ROLE_COUNCIL)
        abort();
    for (size_t i = 0; i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        if (!cf_id_valid(n->id) || cf_topology_find(t, n->id) != n || n->line < 1)
            abort();
        if (n->role == CF_ROLE_COUNCIL) {
            councils++;
            if (n->parent || n->parent_idx != SIZE_MAX || strcmp(n->path, n->id) != 0)
                abort();
            continue;
        }
        if (n->parent_idx >= i) /* parents first */
            abort();
        const cf_topo_node *p = &t->nodes[n->parent_idx];
        size_t plen = strlen(p->path);
        if (!n->parent || strcmp(n->parent, p->id) != 0 || !cf_role_may_parent(p->role, n->role) ||
            !cf_topology_is_ancestor(t, p, n) || cf_topology_is_ancestor(t, n, p) ||
            strncmp(n->path, p->path, plen) != 0 || n->path[plen] != '.' ||
            strcmp(n->path + plen + 1, n->id) != 0)
            abort();
    }
    if (councils != 1)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char err[256];
    cf_topology *t = NULL;
    cf_status st;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    st = cf_topology_parse(text, &t, err, sizeof(err));
    if (st == CF_OK) {
        check(t);
        cf_topology_free(t);
    } else if (st != CF_E_NOMEM && !err[0]) {
        abort(); /* a rejection says why */
    }
    free(text);
    return 0;
}
