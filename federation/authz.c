/*
 * authz.c - the authorization table: for each message type, role and
 * direction (originate, relay, receive), the relations a node may send the
 * message to or accept it from. It is the one statement of the role-level
 * rule: rules.c consults it before its finer checks, subjects.c derives the
 * nats-server permissions from it, and federation/AUTHORIZATION.md prints
 * it (tests/unit/test_federation_authz.c keeps the file and the table
 * equal). Constant data and pure functions: any thread may call them.
 */
#include "federation/federation.h"

#include <stddef.h>

/* The table's columns, in the order the docs print them. */
enum { COL_COUNCIL, COL_NCERT, COL_SECTORAL, COL_PROVINCIAL, COL_CONSTITUENT, COL_ROOT, N_COLS };

static const char *const col_names[N_COLS] = {"Council",    "NCERT",       "sectoral",
                                              "provincial", "constituent", "root"};

typedef struct authz_row {
    const char *name;         /* the message as the docs call it */
    const char *no_originate; /* why a role with an empty originate cell is refused */
    const char *no_receive;   /* why a receiver outside the receive cell is refused */
    unsigned cell[CF_AUTHZ_DIR_MAX][N_COLS]; /* [dir - 1][column] */
} authz_row;

/* Short names for the relations, for the table below only. */
#define SELF CF_AUTHZ_SELF
#define P CF_AUTHZ_PARENT
#define A CF_AUTHZ_ANCESTORS
#define C CF_AUTHZ_CHILDREN
#define D CF_AUTHZ_DESCENDANTS
#define S CF_AUTHZ_SUBTREE
#define OFFLINE CF_AUTHZ_OFFLINE
/* every member, itself and unrelated nodes included */
#define ANY_MEMBER (CF_AUTHZ_SELF | CF_AUTHZ_RELATIVES | CF_AUTHZ_OTHERS)

/*
 * Only relations a role can have appear in its column: the Council has no
 * parent, NCERT no ancestors above its parent, sectoral and provincial
 * CERTs no descendants below their children (cf_role_may_parent), a
 * constituent no children; the root is no node of the hierarchy.
 *
 * Columns:          Council    NCERT        sectoral     provincial   constituent root
 */
static const authz_row table[CF_MSG_TYPE_MAX + 1] = {
    [CF_MSG_INCIDENT] = {"incident",
                         "this role does not report incidents",
                         "incidents come only from the receiver's subtree",
                         {
                             /* up from the owner to its parent; the Council keeps its own */
                             [CF_AUTHZ_ORIGINATE - 1] = {SELF, P, P, P, P, 0},
                             /* each ancestor passes it up (NCERT: severity high and above) */
                             [CF_AUTHZ_RELAY - 1] = {0, P, P, P, 0, 0},
                             [CF_AUTHZ_RECEIVE - 1] = {C | D, C | D, C, C, 0, 0},
                         }},
    [CF_MSG_TASKING] = {"tasking",
                        "a node may task only its descendants, and this role has none",
                        "taskings come only from the receiver's ancestors",
                        {
                            [CF_AUTHZ_ORIGINATE - 1] = {C | D, C | D, C, C, 0, 0},
                            [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                            [CF_AUTHZ_RECEIVE - 1] = {0, P, P | A, P | A, P | A, 0},
                        }},
    [CF_MSG_TASK_STATUS] = {"task status",
                            "only an assignee answers a tasking, and this role is never tasked",
                            "task statuses come only from the receiver's descendants",
                            {
                                /* from the assignee back to the issuer, an ancestor */
                                [CF_AUTHZ_ORIGINATE - 1] = {0, P, P | A, P | A, P | A, 0},
                                [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                                [CF_AUTHZ_RECEIVE - 1] = {C | D, C | D, C, C, 0, 0},
                            }},
    [CF_MSG_DIRECTIVE] = {"directive",
                          "only the Council issues national directives",
                          "directives come only from the Council, above the receiver",
                          {
                              /* on the Council's down subject, to everyone in scope;
                               * resent into the inbox of each who has not received it */
                              [CF_AUTHZ_ORIGINATE - 1] = {S | C | D, 0, 0, 0, 0, 0},
                              [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                              [CF_AUTHZ_RECEIVE - 1] = {0, P, P | A, P | A, P | A, 0},
                          }},
    [CF_MSG_ACK] = {"ack",
                    "this role does not acknowledge",
                    "acks come only from the nodes the receiver exchanges messages with",
                    {
                        /* to the origin of what it acknowledges (and to the relay
                         * that forwarded it): always a node it exchanges messages with */
                        [CF_AUTHZ_ORIGINATE - 1] = {C | D, P | C | D, P | A | C, P | A | C, P | A,
                                                    0},
                        [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                        [CF_AUTHZ_RECEIVE - 1] = {C | D, P | C | D, P | A | C, P | A | C, P | A, 0},
                    }},
    [CF_MSG_MEMBER_CERT] = {"member certificate",
                            "this role certifies no one",
                            "member certificates come only from members",
                            {
                                /* issued by the roles cf_role_may_certify lets certify; public
                                 * trust documents that every member passes on and keeps */
                                [CF_AUTHZ_ORIGINATE - 1] = {0, S | P | C | D, S | P | A | C,
                                                            S | P | A | C, 0, OFFLINE},
                                [CF_AUTHZ_RELAY - 1] = {S | C | D, S | P | C | D, S | P | A | C,
                                                        S | P | A | C, P | A, 0},
                                [CF_AUTHZ_RECEIVE - 1] = {ANY_MEMBER, ANY_MEMBER,
                                                          ANY_MEMBER, ANY_MEMBER, ANY_MEMBER, 0},
                            }},
    [CF_MSG_REVOCATION] = {"revocation",
                           "this role revokes no one",
                           "revocations come only from members",
                           {
                               [CF_AUTHZ_ORIGINATE - 1] = {0, S | P | C | D, S | P | A | C,
                                                           S | P | A | C, 0, OFFLINE},
                               [CF_AUTHZ_RELAY - 1] = {S | C | D, S | P | C | D, S | P | A | C,
                                                       S | P | A | C, P | A, 0},
                               [CF_AUTHZ_RECEIVE - 1] = {ANY_MEMBER, ANY_MEMBER, ANY_MEMBER,
                                                         ANY_MEMBER, ANY_MEMBER, 0},
                           }},
    [CF_MSG_CATCHUP_REQUEST] = {"catch-up request",
                                "this role does not catch up",
                                "catch-up comes only from the receiver's parent and children",
                                {
                                    [CF_AUTHZ_ORIGINATE - 1] = {C, P | C, P | C, P | C, P, 0},
                                    [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                                    [CF_AUTHZ_RECEIVE - 1] = {C, P | C, P | C, P | C, P, 0},
                                }},
    [CF_MSG_CATCHUP_BATCH] = {"catch-up batch",
                              "this role does not catch up",
                              "catch-up comes only from the receiver's parent and children",
                              {
                                  [CF_AUTHZ_ORIGINATE - 1] = {C, P | C, P | C, P | C, P, 0},
                                  [CF_AUTHZ_RELAY - 1] = {0, 0, 0, 0, 0, 0},
                                  [CF_AUTHZ_RECEIVE - 1] = {C, P | C, P | C, P | C, P, 0},
                              }},
    [CF_MSG_SEALED] = {"sealed incident (TLP:RED, AMBER+STRICT)",
                       "this role reports no sealed incidents: it has no ancestor to seal one to",
                       "sealed incidents come only from the receiver's subtree",
                       {
                           /* up like an incident, to recipients among the origin's
                            * ancestors; a relay passes it on only towards one */
                           [CF_AUTHZ_ORIGINATE - 1] = {0, P, P, P, P, 0},
                           [CF_AUTHZ_RELAY - 1] = {0, P, P, P, 0, 0},
                           [CF_AUTHZ_RECEIVE - 1] = {C | D, C | D, C, C, 0, 0},
                       }},
};

#undef SELF
#undef P
#undef A
#undef C
#undef D
#undef S
#undef OFFLINE

/* The column of a role, or N_COLS for a role outside the table. */
static int
column(cf_role role)
{
    switch (role) {
    case CF_ROLE_COUNCIL:
        return COL_COUNCIL;
    case CF_ROLE_NCERT:
        return COL_NCERT;
    case CF_ROLE_SECTORAL:
        return COL_SECTORAL;
    case CF_ROLE_PROVINCIAL:
        return COL_PROVINCIAL;
    case CF_ROLE_CONSTITUENT:
        return COL_CONSTITUENT;
    case CF_ROLE_ROOT:
        return COL_ROOT;
    case CF_ROLE_NONE:
        return N_COLS;
    }
    return N_COLS;
}

static const authz_row *
row_of(int type)
{
    if (type < 1 || type > CF_MSG_TYPE_MAX)
        return NULL;
    return &table[type];
}

const char *
cf_authz_dir_name(int dir)
{
    switch (dir) {
    case CF_AUTHZ_ORIGINATE:
        return "originate";
    case CF_AUTHZ_RELAY:
        return "relay";
    case CF_AUTHZ_RECEIVE:
        return "receive";
    }
    return NULL;
}

unsigned
cf_authz_scope(cf_role role, cf_msg_type type, cf_authz_dir dir)
{
    const authz_row *r = row_of((int)type);
    int col = column(role);

    if (!r || col == N_COLS || !cf_authz_dir_name((int)dir))
        return 0;
    return r->cell[dir - 1][col];
}

unsigned
cf_authz_relation(const cf_topology *t, const cf_topo_node *n, const cf_topo_node *x)
{
    if (n == x)
        return CF_AUTHZ_SELF;
    if (n->parent_idx != SIZE_MAX && &t->nodes[n->parent_idx] == x)
        return CF_AUTHZ_PARENT;
    if (cf_topology_is_ancestor(t, x, n))
        return CF_AUTHZ_ANCESTORS;
    if (x->parent_idx != SIZE_MAX && &t->nodes[x->parent_idx] == n)
        return CF_AUTHZ_CHILDREN;
    if (cf_topology_is_ancestor(t, n, x))
        return CF_AUTHZ_DESCENDANTS;
    return CF_AUTHZ_OTHERS;
}

cf_role
cf_authz_role(const cf_topo_node *origin, cf_msg_type type)
{
    if ((type == CF_MSG_MEMBER_CERT || type == CF_MSG_REVOCATION) && origin->parent_idx == SIZE_MAX)
        return CF_ROLE_ROOT;
    return origin->role;
}

const char *
cf_authz_refusal(cf_msg_type type, cf_authz_dir dir)
{
    const authz_row *r = row_of((int)type);

    if (!r)
        return "unknown message type";
    return dir == CF_AUTHZ_RECEIVE ? r->no_receive : r->no_originate;
}

/* ---- the table as Markdown ------------------------------------------------- */

static const struct {
    unsigned bit;
    const char *name;
} relation_names[] = {
    {CF_AUTHZ_SELF, "itself"},
    {CF_AUTHZ_PARENT, "parent"},
    {CF_AUTHZ_ANCESTORS, "ancestors"},
    {CF_AUTHZ_CHILDREN, "children"},
    {CF_AUTHZ_DESCENDANTS, "descendants"},
    {CF_AUTHZ_SUBTREE, "subtree"},
    {CF_AUTHZ_OTHERS, "others"},
    {CF_AUTHZ_OFFLINE, "offline"},
};

static cf_status
put_cell(cf_buf *out, unsigned cell)
{
    cf_status st = CF_OK;
    bool first = true;

    if (cell == 0)
        return cf_buf_append_str(out, " no |");
    if (cell == ANY_MEMBER)
        return cf_buf_append_str(out, " any member |");
    for (size_t i = 0; st == CF_OK && i < CF_ARRAY_LEN(relation_names); i++) {
        if (!(cell & relation_names[i].bit))
            continue;
        st = cf_buf_printf(out, "%s%s", first ? " " : ", ", relation_names[i].name);
        first = false;
    }
    if (st == CF_OK)
        st = cf_buf_append_str(out, " |");
    return st;
}

cf_status
cf_authz_markdown(cf_buf *out)
{
    cf_status st = cf_buf_append_str(out, "| message | subject | direction |");

    for (int c = 0; st == CF_OK && c < N_COLS; c++)
        st = cf_buf_printf(out, " %s |", col_names[c]);
    if (st == CF_OK)
        st = cf_buf_append_str(out, "\n|---|---|---|");
    for (int c = 0; st == CF_OK && c < N_COLS; c++)
        st = cf_buf_append_str(out, "---|");
    if (st == CF_OK)
        st = cf_buf_append_str(out, "\n");
    for (int type = 1; st == CF_OK && type <= CF_MSG_TYPE_MAX; type++) {
        const authz_row *r = &table[type];
        for (int dir = 1; st == CF_OK && dir <= CF_AUTHZ_DIR_MAX; dir++) {
            st = cf_buf_printf(out, "| %s | `%s` | %s |", r->name, cf_msg_type_name(type),
                               cf_authz_dir_name(dir));
            for (int c = 0; st == CF_OK && c < N_COLS; c++)
                st = put_cell(out, r->cell[dir - 1][c]);
            if (st == CF_OK)
                st = cf_buf_append_str(out, "\n");
        }
    }
    return st;
}
