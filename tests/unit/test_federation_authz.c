/*
 * test_federation_authz.c - the authorization table (federation/authz.c):
 * its shape, that its flows close (whatever a node may send arrives where
 * the receiver may accept it, and nothing may be accepted that no one may
 * send), that cf_rule_originate and cf_rule_receive follow it, that the
 * nats-server permissions of every node of the sample topology are exactly
 * its cells for every type (what the table forbids on any inbox or down
 * subject the server refuses), and that federation/AUTHORIZATION.md prints
 * it exactly.
 * Needs CERTFED_SOURCE (ctest sets it) for the docs and the sample.
 */
#include "check.h"
#include "federation/federation.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const cf_role roles[] = {CF_ROLE_COUNCIL,    CF_ROLE_NCERT,       CF_ROLE_SECTORAL,
                                CF_ROLE_PROVINCIAL, CF_ROLE_CONSTITUENT, CF_ROLE_ROOT};

#define ALL_RELATIONS                                                                              \
    (CF_AUTHZ_SELF | CF_AUTHZ_RELATIVES | CF_AUTHZ_SUBTREE | CF_AUTHZ_OTHERS | CF_AUTHZ_OFFLINE)

static unsigned
sends(cf_role role, int type)
{
    return cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_ORIGINATE) |
           cf_authz_scope(role, (cf_msg_type)type, CF_AUTHZ_RELAY);
}

/* Read a file under $CERTFED_SOURCE; NULL (and a failed check) if absent. */
static char *
source_file(const char *rel)
{
    const char *src = getenv("CERTFED_SOURCE");
    char path[4096];
    uint8_t *data = NULL;
    size_t len = 0;

    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "  CERTFED_SOURCE is not set (run the test through ctest)\n");
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/%s", src, rel);
    CHECK_ST(cf_file_read(path, 1 << 20, &data, &len), CF_OK);
    if (!data)
        fprintf(stderr, "  cannot read %s\n", path);
    return (char *)data;
}

/* ---- the table itself ------------------------------------------------------ */

static void
test_lookup(void)
{
    CHECK_STR(cf_authz_dir_name(CF_AUTHZ_ORIGINATE), "originate");
    CHECK_STR(cf_authz_dir_name(CF_AUTHZ_RELAY), "relay");
    CHECK_STR(cf_authz_dir_name(CF_AUTHZ_RECEIVE), "receive");
    CHECK(cf_authz_dir_name(0) == NULL);
    CHECK(cf_authz_dir_name(CF_AUTHZ_DIR_MAX + 1) == NULL);
    /* outside the table: nothing is allowed */
    for (int dir = 0; dir <= CF_AUTHZ_DIR_MAX + 1; dir++) {
        CHECK(cf_authz_scope(CF_ROLE_NONE, CF_MSG_INCIDENT, (cf_authz_dir)dir) == 0);
        CHECK(cf_authz_scope(CF_ROLE_COUNCIL, (cf_msg_type)0, (cf_authz_dir)dir) == 0);
        CHECK(cf_authz_scope(CF_ROLE_COUNCIL, (cf_msg_type)(CF_MSG_TYPE_MAX + 1),
                             (cf_authz_dir)dir) == 0);
        CHECK(cf_authz_scope((cf_role)(CF_ROLE_MAX + 1), CF_MSG_ACK, (cf_authz_dir)dir) == 0);
    }
    CHECK(cf_authz_scope(CF_ROLE_COUNCIL, CF_MSG_DIRECTIVE, (cf_authz_dir)0) == 0);
    CHECK(cf_authz_scope(CF_ROLE_COUNCIL, CF_MSG_DIRECTIVE, (cf_authz_dir)4) == 0);
    /* a few cells spelled out, as DESIGN.md section 4 says them */
    CHECK(cf_authz_scope(CF_ROLE_COUNCIL, CF_MSG_DIRECTIVE, CF_AUTHZ_ORIGINATE) ==
          (CF_AUTHZ_SUBTREE | CF_AUTHZ_CHILDREN | CF_AUTHZ_DESCENDANTS));
    CHECK(cf_authz_scope(CF_ROLE_PROVINCIAL, CF_MSG_INCIDENT, CF_AUTHZ_ORIGINATE) ==
          CF_AUTHZ_PARENT);
    CHECK(cf_authz_scope(CF_ROLE_NCERT, CF_MSG_INCIDENT, CF_AUTHZ_RELAY) == CF_AUTHZ_PARENT);
    CHECK(cf_authz_scope(CF_ROLE_CONSTITUENT, CF_MSG_INCIDENT, CF_AUTHZ_RECEIVE) == 0);
    CHECK(cf_authz_scope(CF_ROLE_CONSTITUENT, CF_MSG_TASKING, CF_AUTHZ_ORIGINATE) == 0);
    CHECK(cf_authz_scope(CF_ROLE_ROOT, CF_MSG_MEMBER_CERT, CF_AUTHZ_ORIGINATE) == CF_AUTHZ_OFFLINE);
    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        const char *why = cf_authz_refusal((cf_msg_type)type, CF_AUTHZ_ORIGINATE);
        CHECK(why && why[0]);
        why = cf_authz_refusal((cf_msg_type)type, CF_AUTHZ_RECEIVE);
        CHECK(why && why[0]);
    }
    CHECK(cf_authz_refusal((cf_msg_type)0, CF_AUTHZ_RECEIVE) != NULL);
}

/* Which relations a node of this role can have at all, from cf_role_may_parent. */
static unsigned
possible_relations(cf_role r)
{
    unsigned rel = 0;

    if (r == CF_ROLE_ROOT)
        return 0;
    for (size_t i = 0; i < CF_ARRAY_LEN(roles); i++) {
        cf_role x = roles[i];
        if (cf_role_may_parent(x, r)) {
            rel |= CF_AUTHZ_PARENT;
            for (size_t k = 0; k < CF_ARRAY_LEN(roles); k++)
                if (cf_role_may_parent(roles[k], x))
                    rel |= CF_AUTHZ_ANCESTORS;
        }
        if (cf_role_may_parent(r, x)) {
            rel |= CF_AUTHZ_CHILDREN | CF_AUTHZ_SUBTREE;
            for (size_t k = 0; k < CF_ARRAY_LEN(roles); k++)
                if (cf_role_may_parent(x, roles[k]))
                    rel |= CF_AUTHZ_DESCENDANTS;
        }
    }
    return rel;
}

static void
test_shape(void)
{
    for (size_t i = 0; i < CF_ARRAY_LEN(roles); i++) {
        cf_role r = roles[i];
        unsigned can = possible_relations(r);
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
            unsigned o = cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_ORIGINATE);
            unsigned y = cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_RELAY);
            unsigned v = cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_RECEIVE);
            int before = check_failures;

            /* a cell names only relations a node of the role can have;
             * "itself" and "others" are relations every node has */
            CHECK((o & ~(can | CF_AUTHZ_SELF | CF_AUTHZ_OFFLINE)) == 0);
            CHECK((y & ~can) == 0);
            if (v != (CF_AUTHZ_SELF | CF_AUTHZ_RELATIVES | CF_AUTHZ_OTHERS)) /* "any member" */
                CHECK((v & ~(can | CF_AUTHZ_SELF | CF_AUTHZ_OTHERS)) == 0);
            /* receive names the origin, never a subject; only the root signs offline */
            CHECK((v & (CF_AUTHZ_SUBTREE | CF_AUTHZ_OFFLINE)) == 0);
            CHECK(((o & CF_AUTHZ_OFFLINE) != 0) == (r == CF_ROLE_ROOT && o != 0));
            /* the root only signs: certificates and revocations */
            if (r == CF_ROLE_ROOT) {
                CHECK(y == 0 && v == 0);
                CHECK((o != 0) == (type == CF_MSG_MEMBER_CERT || type == CF_MSG_REVOCATION));
            }
            if (check_failures != before)
                fprintf(stderr, "  cell of %s, %s: originate %#x relay %#x receive %#x\n",
                        cf_role_name(r), cf_msg_type_name(type), o, y, v);
        }
        /* issuers are those cf_role_may_certify allows; every member relays
         * and receives the public trust documents */
        bool certifies = false;
        for (int s = CF_ROLE_NONE; s <= CF_ROLE_MAX; s++)
            certifies |= cf_role_may_certify(r, (cf_role)s);
        for (int type = CF_MSG_MEMBER_CERT; type <= CF_MSG_REVOCATION; type++) {
            CHECK((cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_ORIGINATE) != 0) == certifies);
            if (r != CF_ROLE_ROOT) {
                CHECK(cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_RELAY) != 0);
                CHECK(cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_RECEIVE) ==
                      (CF_AUTHZ_SELF | CF_AUTHZ_RELATIVES | CF_AUTHZ_OTHERS));
            }
        }
        /* directives: the Council alone issues them, everyone else receives */
        CHECK((cf_authz_scope(r, CF_MSG_DIRECTIVE, CF_AUTHZ_ORIGINATE) != 0) ==
              (r == CF_ROLE_COUNCIL));
        CHECK((cf_authz_scope(r, CF_MSG_DIRECTIVE, CF_AUTHZ_RECEIVE) != 0) ==
              (r != CF_ROLE_COUNCIL && r != CF_ROLE_ROOT));
        /* only incidents (plain or sealed) and trust documents are relayed */
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++)
            if (type != CF_MSG_INCIDENT && type != CF_MSG_SEALED && type != CF_MSG_MEMBER_CERT &&
                type != CF_MSG_REVOCATION)
                CHECK(cf_authz_scope(r, (cf_msg_type)type, CF_AUTHZ_RELAY) == 0);
        /* cf_role_may_broadcast is the table's subtree column */
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++)
            CHECK(cf_role_may_broadcast(r, (cf_msg_type)type) ==
                  ((sends(r, type) & CF_AUTHZ_SUBTREE) != 0));
    }
}

/* ---- the flows close, on the sample topology ------------------------------ */

/* Does node y, holding a message of this type, send it on to node n? */
static bool
passes(const cf_topology *t, const cf_topo_node *y, unsigned to, const cf_topo_node *n)
{
    unsigned rel = cf_authz_relation(t, y, n);

    if (rel & to & CF_AUTHZ_RELATIVES)
        return true;
    return (to & CF_AUTHZ_SUBTREE) && cf_topology_is_ancestor(t, y, n);
}

/*
 * For every origin x that may originate a type: the nodes the message
 * reaches through originate and relay cells (the root's documents start at
 * the Council's node, which relays them) are exactly the nodes whose
 * receive cell accepts it from x.
 */
static void
test_flows_close(const cf_topology *t)
{
    bool *got = calloc(t->n, sizeof(*got));

    CHECK(got != NULL);
    if (!got)
        return;
    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        for (size_t xi = 0; xi < t->n; xi++) {
            const cf_topo_node *x = &t->nodes[xi];
            cf_role xr = cf_authz_role(x, (cf_msg_type)type);
            unsigned first = xr == CF_ROLE_ROOT
                                 ? cf_authz_scope(x->role, (cf_msg_type)type, CF_AUTHZ_RELAY)
                                 : cf_authz_scope(xr, (cf_msg_type)type, CF_AUTHZ_ORIGINATE);
            if (!cf_authz_scope(xr, (cf_msg_type)type, CF_AUTHZ_ORIGINATE))
                continue;
            memset(got, 0, t->n * sizeof(*got));
            for (size_t n = 0; n < t->n; n++)
                got[n] = passes(t, x, first, &t->nodes[n]);
            /* relays pass on what they got, until nothing changes */
            for (bool changed = true; changed;) {
                changed = false;
                for (size_t y = 0; y < t->n; y++) {
                    if (!got[y])
                        continue;
                    unsigned to =
                        cf_authz_scope(t->nodes[y].role, (cf_msg_type)type, CF_AUTHZ_RELAY);
                    for (size_t n = 0; n < t->n; n++)
                        if (!got[n] && passes(t, &t->nodes[y], to, &t->nodes[n]))
                            got[n] = changed = true;
                }
            }
            for (size_t n = 0; n < t->n; n++) {
                const cf_topo_node *nn = &t->nodes[n];
                bool accepts = (cf_authz_scope(nn->role, (cf_msg_type)type, CF_AUTHZ_RECEIVE) &
                                cf_authz_relation(t, nn, x)) != 0;
                CHECK(got[n] == accepts);
                if (got[n] != accepts)
                    fprintf(stderr, "  %s from %s: reaches %s %d, accepted there %d\n",
                            cf_msg_type_name(type), x->id, nn->id, got[n], accepts);
            }
        }
    }
    free(got);
}

/* ---- the rules follow the table ------------------------------------------ */

/* A body of this type from origin that passes the finer checks when it can:
 * a tasking goes to to_node (or, if NULL, to origin's first child). */
static cf_body
body_for(const cf_topology *t, int type, const cf_topo_node *origin, const char *to_node, char *id,
         size_t id_len, const char **assignee)
{
    cf_body b;

    memset(&b, 0, sizeof(b));
    b.type = (cf_msg_type)type;
    b.header.federation = t->federation;
    b.header.origin = origin->id;
    b.header.seq = 1;
    b.header.created_ms = 1;
    switch ((cf_msg_type)type) {
    case CF_MSG_INCIDENT:
        snprintf(id, id_len, "%s-1", origin->id);
        b.u.incident.id = id;
        b.u.incident.revision = 1;
        b.u.incident.owner = origin->id;
        b.u.incident.severity = 5;
        break;
    case CF_MSG_TASKING:
        *assignee = to_node;
        for (size_t i = 0; !*assignee && i < t->n; i++)
            if (t->nodes[i].parent_idx == (size_t)(origin - t->nodes))
                *assignee = t->nodes[i].id;
        if (!*assignee)
            *assignee = origin->parent ? origin->parent : origin->id;
        b.u.tasking.id = "task-1";
        b.u.tasking.issuer = origin->id;
        b.u.tasking.assignees.v = assignee;
        b.u.tasking.assignees.n = 1;
        break;
    case CF_MSG_TASK_STATUS:
        b.u.task_status.task = "task-1";
        b.u.task_status.assignee = origin->id;
        b.u.task_status.state = 2;
        break;
    case CF_MSG_DIRECTIVE:
        b.u.directive.number = "ND-1";
        break;
    case CF_MSG_ACK:
        b.u.ack.node = origin->id;
        b.u.ack.state = 1;
        break;
    case CF_MSG_MEMBER_CERT:
    case CF_MSG_REVOCATION:
    case CF_MSG_CATCHUP_REQUEST:
    case CF_MSG_CATCHUP_BATCH:
        break;
    case CF_MSG_SEALED: {
        /* sealed to to_node when it is an ancestor of origin (else to the
         * parent) and to origin itself */
        static cf_sealed_recipient rs[2];
        static const uint8_t ct[CF_SEAL_MAC_LEN + 1];
        const cf_topo_node *r = to_node ? cf_topology_find(t, to_node) : NULL;
        size_t n = 0;
        memset(rs, 0, sizeof(rs));
        if (r && cf_topology_is_ancestor(t, r, origin))
            rs[n++].node = r->id;
        else if (origin->parent)
            rs[n++].node = origin->parent;
        rs[n++].node = origin->id;
        b.u.sealed.inner_type = CF_MSG_INCIDENT;
        b.u.sealed.recipients = rs;
        b.u.sealed.n_recipients = n;
        b.u.sealed.ciphertext = ct;
        b.u.sealed.ciphertext_len = sizeof(ct);
        break;
    }
    }
    return b;
}

static void
test_rules_follow_table(const cf_topology *t)
{
    char id[64];
    const char *why, *assignee;

    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        for (size_t xi = 0; xi < t->n; xi++) {
            const cf_topo_node *x = &t->nodes[xi];
            bool may = cf_authz_scope(cf_authz_role(x, (cf_msg_type)type), (cf_msg_type)type,
                                      CF_AUTHZ_ORIGINATE) != 0;
            assignee = NULL;
            cf_body b = body_for(t, type, x, NULL, id, sizeof(id), &assignee);
            /* a tasking passes the finer checks only if x has a child to task */
            bool has_child = type != CF_MSG_TASKING;
            for (size_t k = 0; !has_child && k < t->n; k++)
                has_child = t->nodes[k].parent_idx == xi;
            why = NULL;
            cf_status st = cf_rule_originate(t, &b, &why);
            if (!may) {
                /* refused by the table, with the table's reason */
                CHECK_ST(st, CF_E_UNAUTHORIZED);
                CHECK(why &&
                      strcmp(why, cf_authz_refusal((cf_msg_type)type, CF_AUTHZ_ORIGINATE)) == 0);
            } else if (has_child) {
                CHECK_ST(st, CF_OK);
            } else {
                /* a sectoral CERT with no constituent may task no one */
                CHECK_ST(st, CF_E_UNAUTHORIZED);
            }
            if ((st == CF_OK) != (may && has_child))
                fprintf(stderr, "  originate %s by %s: %s (%s)\n", cf_msg_type_name(type), x->id,
                        cf_status_str(st), why ? why : "");

            /* every receiver: the table decides, the finer checks agree on
             * bodies made to pass them (a tasking assigned to the receiver) */
            for (size_t ni = 0; ni < t->n; ni++) {
                const cf_topo_node *n = &t->nodes[ni];
                bool accepts =
                    may && (cf_authz_scope(n->role, (cf_msg_type)type, CF_AUTHZ_RECEIVE) &
                            cf_authz_relation(t, n, x)) != 0;
                assignee = NULL;
                b = body_for(t, type, x, n->id, id, sizeof(id), &assignee);
                why = NULL;
                st = cf_rule_receive(t, n->id, &b, &why);
                CHECK((st == CF_OK) == accepts);
                if (st != CF_OK)
                    CHECK(why && why[0]);
                if (!accepts && may)
                    CHECK(why &&
                          strcmp(why, cf_authz_refusal((cf_msg_type)type, CF_AUTHZ_RECEIVE)) == 0);
                if ((st == CF_OK) != accepts)
                    fprintf(stderr, "  receive %s from %s at %s: %s (%s), table says %d\n",
                            cf_msg_type_name(type), x->id, n->id, cf_status_str(st), why ? why : "",
                            accepts);
            }
        }
    }
    /* the root's documents are in the Council's name; a constituent's are refused */
    cf_body b;
    memset(&b, 0, sizeof(b));
    b.type = CF_MSG_MEMBER_CERT;
    b.header.origin = "council";
    CHECK_ST(cf_rule_originate(t, &b, NULL), CF_OK);
    b.type = CF_MSG_REVOCATION;
    CHECK_ST(cf_rule_originate(t, &b, NULL), CF_OK);
    b.header.origin = "state-bank";
    CHECK_ST(cf_rule_originate(t, &b, NULL), CF_E_UNAUTHORIZED);
    /* an unknown type is malformed, as before the table */
    b.type = (cf_msg_type)(CF_MSG_TYPE_MAX + 1);
    b.header.origin = "ncert";
    CHECK_ST(cf_rule_originate(t, &b, NULL), CF_E_MALFORMED);
    CHECK_ST(cf_rule_receive(t, "council", &b, NULL), CF_E_UNAUTHORIZED);
}

/* ---- the nats-server permissions follow the table ------------------------- */

/* Does subscribe or publish permission s cover subject p ("x.>" or equal)? */
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

static void
test_permissions_follow_table(const cf_topology *t)
{
    size_t unfiltered = 0, checked = 0;
    cf_buf in, down;

    cf_buf_init(&in);
    cf_buf_init(&down);
    for (size_t i = 0; i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        cf_strlist pub = {NULL, 0}, sub = {NULL, 0};
        int before = check_failures;
        size_t permitted = 0;

        CHECK_ST(cf_permissions(t, n, &pub, &sub), CF_OK);
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
            unsigned to = sends(n->role, type);
            unsigned rx = cf_authz_scope(n->role, (cf_msg_type)type, CF_AUTHZ_RECEIVE);
            for (size_t j = 0; j < t->n; j++) {
                const cf_topo_node *x = &t->nodes[j];
                unsigned rel = cf_authz_relation(t, n, x);
                cf_buf_clear(&in);
                cf_buf_clear(&down);
                CHECK_ST(cf_subject_inbox(x->path, type, &in), CF_OK);
                CHECK_ST(cf_subject_down(x->path, type, &down), CF_OK);
                if (!in.data || !down.data)
                    continue;
                const char *is = (const char *)in.data, *ds = (const char *)down.data;
                bool table_in = (to & rel & CF_AUTHZ_RELATIVES) != 0;
                bool table_down = x == n && (to & CF_AUTHZ_SUBTREE);
                checked += 2;
                permitted += table_in + table_down;
                /* publish: exactly the table's, type by type, on inboxes
                 * and down subjects alike */
                CHECK(covered(&pub, is) == table_in);
                CHECK(covered(&pub, ds) == table_down);
                /* a publish the server would pass though the table forbids
                 * it: none may be left */
                if (covered(&pub, is) && !table_in)
                    unfiltered++;
                if (covered(&pub, ds) && !table_down)
                    unfiltered++;
                if (covered(&pub, is) != table_in || covered(&pub, ds) != table_down)
                    fprintf(stderr, "  %s, %s to %s: inbox %d (table %d), down %d (table %d)\n",
                            n->id, cf_msg_type_name(type), x->id, covered(&pub, is), table_in,
                            covered(&pub, ds), table_down);
                /* subscribe: its own inbox for everything it may receive,
                 * and the down subject of every ancestor that broadcasts */
                if (x == n && rx)
                    CHECK(covered(&sub, is));
                if (x != n)
                    CHECK(!covered(&sub, is));
                bool hears =
                    cf_topology_is_ancestor(t, x, n) && (sends(x->role, type) & CF_AUTHZ_SUBTREE);
                if (hears)
                    CHECK((rx & rel) != 0 && covered(&sub, ds));
                if (!cf_topology_is_ancestor(t, x, n))
                    CHECK(!covered(&sub, ds));
            }
        }
        /* one grant per permitted subject and nothing else: no subject
         * outside the inboxes and down subjects of the topology */
        CHECK(pub.n == permitted);
        if (check_failures != before) {
            fprintf(stderr, "  permissions of %s:\n", n->id);
            for (size_t k = 0; k < pub.n; k++)
                fprintf(stderr, "    pub %s\n", pub.v[k]);
            for (size_t k = 0; k < sub.n; k++)
                fprintf(stderr, "    sub %s\n", sub.v[k]);
        }
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    cf_buf_clear(&in);
    cf_buf_clear(&down);
    CHECK(checked == 2 * t->n * t->n * CF_MSG_TYPE_MAX);
    CHECK(unfiltered == 0);
    printf("test_federation_authz: %zu (node, type, subject) cells checked against the table; "
           "%zu pass the server though the table forbids them\n",
           checked, unfiltered);
}

/* ---- the docs print the table ---------------------------------------------- */

static size_t
count_str(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void
test_docs(void)
{
    char *doc = source_file("federation/AUTHORIZATION.md");
    cf_buf md;

    cf_buf_init(&md);
    CHECK_ST(cf_authz_markdown(&md), CF_OK);
    CHECK(md.data != NULL && md.len > 0);
    if (!doc || !md.data)
        goto out;
    const char *table = (const char *)md.data;
    /* 2 header lines, 3 per type */
    CHECK(count_str(table, "\n") == 2 + 3 * CF_MSG_TYPE_MAX);
    CHECK(count_str(table, "| incident | `incident` | originate |") == 1);
    /* the header line once, and from it exactly the rendered table, ended
     * by a line that is not a row */
    const char *nl = strchr(table, '\n');
    char header[256];
    size_t hlen = nl ? (size_t)(nl - table) : 0;
    CHECK(hlen > 0 && hlen < sizeof(header));
    if (hlen == 0 || hlen >= sizeof(header))
        goto out;
    memcpy(header, table, hlen);
    header[hlen] = 0;
    CHECK(count_str(doc, header) == 1);
    const char *at = strstr(doc, header);
    bool same =
        at && (at == doc || at[-1] == '\n') && strncmp(at, table, md.len) == 0 && at[md.len] != '|';
    CHECK(same);
    if (!same)
        fprintf(stderr,
                "  federation/AUTHORIZATION.md does not hold the table of federation/authz.c; "
                "put this in its place:\n%s",
                table);
out:
    free(doc);
    cf_buf_clear(&md);
}

int
main(void)
{
    char err[256] = "";
    cf_topology *t = NULL;
    char *ini;

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    test_lookup();
    test_shape();
    test_docs();
    ini = source_file("federation/topologies/national.ini");
    if (ini) {
        CHECK_ST(cf_topology_parse(ini, &t, err, sizeof(err)), CF_OK);
        if (!t)
            fprintf(stderr, "  national.ini: %s\n", err);
    }
    if (t) {
        /* one node of each role at least */
        for (size_t i = 0; i + 1 < CF_ARRAY_LEN(roles); i++) {
            bool found = false;
            for (size_t k = 0; k < t->n; k++)
                found |= t->nodes[k].role == roles[i];
            CHECK(found);
        }
        test_flows_close(t);
        test_rules_follow_table(t);
        test_permissions_follow_table(t);
    }
    cf_topology_free(t);
    free(ini);
    return check_done("test_federation_authz");
}
