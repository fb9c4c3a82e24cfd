/*
 * test_federation_subjects.c - hierarchy subjects, each sample node's transport
 * permissions, who may broadcast what, and the generated nats-server configs:
 * the single server, and the hub-and-leaf layout's hub (one account per CERT,
 * exports and imports exactly along the permissions) and leaf servers (all
 * also checked with a real `nats-server -t` when one is installed).
 */
#include "check.h"
#include "federation/federation.h"
#include "harness/harness.h"
#include "keys/keys.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A copy of federation/topologies/national.ini (DESIGN.md section 8). */
static const char national_ini[] =
    "# A national CERT federation: the CERT Council at the apex, the National\n"
    "# CERT below it, sectoral CERTs for critical sectors, provincial CERTs, and\n"
    "# a few constituents below them. Node ids are [a-z0-9-]{1,32}.\n"
    "[federation]\n"
    "name = pk\n"
    "\n"
    "[node council]\n"
    "role = council\n"
    "\n"
    "[node ncert]\n"
    "role = ncert\n"
    "parent = council\n"
    "\n"
    "[node banking]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node telecom]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node energy]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node punjab]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node sindh]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node kp]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node balochistan]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node state-bank]\n"
    "role = constituent\n"
    "parent = banking\n"
    "\n"
    "[node lahore-it]\n"
    "role = constituent\n"
    "parent = punjab\n";

static cf_topology *
national(void)
{
    char err[256] = "";
    cf_topology *t = NULL;

    CHECK_ST(cf_topology_parse(national_ini, &t, err, sizeof(err)), CF_OK);
    if (!t)
        fprintf(stderr, "  national.ini: %s\n", err);
    return t;
}

static bool
has(const cf_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static size_t
count_containing(const cf_strlist *l, const char *part)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], part))
            n++;
    return n;
}

static void
dump(const char *what, const cf_strlist *l)
{
    fprintf(stderr, "  %s (%zu):\n", what, l->n);
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "    %s\n", l->v[i]);
}

/* Build a subject with f and compare it with want. */
static void
check_subject(cf_status (*f)(const char *, int, cf_buf *), const char *path, int type,
              const char *want)
{
    cf_buf b;

    cf_buf_init(&b);
    CHECK_ST(f(path, type, &b), CF_OK);
    CHECK(b.data != NULL);
    if (b.data) {
        CHECK_STR((const char *)b.data, want);
        CHECK(b.len == strlen(want));
    }
    cf_buf_clear(&b);
}

static void
test_subject_names(void)
{
    cf_buf b;

    check_subject(cf_subject_inbox, "council.ncert.banking", CF_MSG_INCIDENT,
                  "certfed.council.ncert.banking.in.incident");
    check_subject(cf_subject_inbox, "council.ncert.banking", 0,
                  "certfed.council.ncert.banking.in.>");
    check_subject(cf_subject_down, "council", CF_MSG_DIRECTIVE, "certfed.council.down.directive");
    check_subject(cf_subject_down, "council", 0, "certfed.council.down.>");
    check_subject(cf_subject_down, "council.ncert.punjab", 0,
                  "certfed.council.ncert.punjab.down.>");
    check_subject(cf_subject_inbox, "council.ncert.punjab.lahore-it", CF_MSG_ACK,
                  "certfed.council.ncert.punjab.lahore-it.in.ack");

    /* every known type is one token after "in" or "down" */
    for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
        char want[128];
        const char *name = cf_msg_type_name(type);
        CHECK(name != NULL);
        if (!name)
            continue;
        CHECK(strchr(name, '.') == NULL && strchr(name, '*') == NULL && strchr(name, '>') == NULL &&
              name[0]);
        snprintf(want, sizeof(want), "certfed.council.ncert.in.%s", name);
        check_subject(cf_subject_inbox, "council.ncert", type, want);
        snprintf(want, sizeof(want), "certfed.council.ncert.down.%s", name);
        check_subject(cf_subject_down, "council.ncert", type, want);
    }

    /* unknown types are refused */
    cf_buf_init(&b);
    CHECK_ST(cf_subject_inbox("council", CF_MSG_TYPE_MAX + 1, &b), CF_E_INVALID_ARG);
    CHECK_ST(cf_subject_down("council", -1, &b), CF_E_INVALID_ARG);
    CHECK(b.len == 0);
    cf_buf_clear(&b);
}

static void
test_may_broadcast(void)
{
    for (int role = CF_ROLE_NONE; role <= CF_ROLE_MAX; role++) {
        CHECK(cf_role_may_broadcast((cf_role)role, CF_MSG_DIRECTIVE) == (role == CF_ROLE_COUNCIL));
        /* incidents, taskings, acks and catch-up go to inboxes, never down */
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_INCIDENT));
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_TASKING));
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_TASK_STATUS));
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_ACK));
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_CATCHUP_REQUEST));
        CHECK(!cf_role_may_broadcast((cf_role)role, CF_MSG_CATCHUP_BATCH));
    }
    /* constituents certify no one, so they announce nothing */
    CHECK(!cf_role_may_broadcast(CF_ROLE_CONSTITUENT, CF_MSG_MEMBER_CERT));
    CHECK(!cf_role_may_broadcast(CF_ROLE_CONSTITUENT, CF_MSG_REVOCATION));
    CHECK(!cf_role_may_broadcast(CF_ROLE_NONE, CF_MSG_MEMBER_CERT));
    CHECK(!cf_role_may_broadcast(CF_ROLE_NONE, CF_MSG_REVOCATION));
}

/* The permissions of one node of the sample, fetched or NULL lists. */
static bool
perms(const cf_topology *t, const char *id, const cf_topo_node **out_node, cf_strlist *pub,
      cf_strlist *sub)
{
    const cf_topo_node *n = cf_topology_find(t, id);
    cf_status st;

    CHECK(n != NULL);
    if (!n)
        return false;
    st = cf_permissions(t, n, pub, sub);
    CHECK_ST(st, CF_OK);
    *out_node = n;
    return st == CF_OK;
}

/* Grants into one node's inbox: those that start with "certfed.<path>.in." */
static size_t
count_prefix(const cf_strlist *l, const char *prefix)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++)
        if (strncmp(l->v[i], prefix, strlen(prefix)) == 0)
            n++;
    return n;
}

/* l holds exactly the n subjects of want, each once. */
static bool
exactly(const cf_strlist *l, const char *const *want, size_t n)
{
    bool ok = l->n == n;

    for (size_t i = 0; i < n; i++) {
        size_t seen = 0;
        for (size_t k = 0; k < l->n; k++)
            seen += strcmp(l->v[k], want[i]) == 0;
        if (seen != 1) {
            fprintf(stderr, "  %s granted %zu times, expected once\n", want[i], seen);
            ok = false;
        }
    }
    return ok;
}

static void
test_permissions_banking(const cf_topology *t)
{
    const cf_topo_node *n;
    cf_strlist pub = {NULL, 0}, sub = {NULL, 0};
    int before = check_failures;
    /* the authorization table's cells for a sectoral CERT, spelled out */
    static const char *const want[] = {
        /* its parent: what it reports and relays up, its answers, catch-up */
        "certfed.council.ncert.in.incident",
        "certfed.council.ncert.in.taskstatus",
        "certfed.council.ncert.in.ack",
        "certfed.council.ncert.in.cert",
        "certfed.council.ncert.in.revocation",
        "certfed.council.ncert.in.catchup",
        "certfed.council.ncert.in.catchupbatch",
        "certfed.council.ncert.in.sealed",
        /* the Council, above its parent: answers and trust documents only */
        "certfed.council.in.taskstatus",
        "certfed.council.in.ack",
        "certfed.council.in.cert",
        "certfed.council.in.revocation",
        /* its constituent: taskings, acks, trust documents, catch-up */
        "certfed.council.ncert.banking.state-bank.in.tasking",
        "certfed.council.ncert.banking.state-bank.in.ack",
        "certfed.council.ncert.banking.state-bank.in.cert",
        "certfed.council.ncert.banking.state-bank.in.revocation",
        "certfed.council.ncert.banking.state-bank.in.catchup",
        "certfed.council.ncert.banking.state-bank.in.catchupbatch",
        /* its own subtree: the certificates and revocations it issues */
        "certfed.council.ncert.banking.down.cert",
        "certfed.council.ncert.banking.down.revocation",
    };

    if (!perms(t, "banking", &n, &pub, &sub))
        return;
    CHECK(exactly(&pub, want, CF_ARRAY_LEN(want)));
    /* up to its parent: incidents and acks, never a directive or a tasking */
    CHECK(has(&pub, "certfed.council.ncert.in.incident"));
    CHECK(has(&pub, "certfed.council.ncert.in.ack"));
    CHECK(!has(&pub, "certfed.council.ncert.in.directive"));
    CHECK(!has(&pub, "certfed.council.ncert.in.tasking"));
    CHECK(!has(&pub, "certfed.council.ncert.in.>"));
    /* to the Council: no incident (it goes by NCERT), no tasking */
    CHECK(!has(&pub, "certfed.council.in.incident"));
    CHECK(!has(&pub, "certfed.council.in.tasking"));
    CHECK(!has(&pub, "certfed.council.in.>"));
    /* down to its constituent: no incident, no directive */
    CHECK(!has(&pub, "certfed.council.ncert.banking.state-bank.in.incident"));
    CHECK(!has(&pub, "certfed.council.ncert.banking.state-bank.in.directive"));
    CHECK(!has(&pub, "certfed.council.ncert.banking.state-bank.in.>"));
    /* never a directive, a sibling's inbox or a cousin's, nor its own inbox */
    CHECK(!has(&pub, "certfed.council.down.directive"));
    CHECK(count_containing(&pub, "directive") == 0);
    CHECK(count_containing(&pub, ".telecom.") == 0);
    CHECK(count_containing(&pub, ".punjab.") == 0);
    CHECK(count_containing(&pub, ".lahore-it.") == 0);
    CHECK(count_prefix(&pub, "certfed.council.ncert.banking.in.") == 0);
    /* no down subject of another node, no wildcard at all */
    CHECK(!has(&pub, "certfed.council.down.>"));
    CHECK(!has(&pub, "certfed.council.ncert.down.>"));
    CHECK(!has(&pub, "certfed.>"));
    CHECK(!has(&pub, ">"));
    CHECK(count_containing(&pub, "*") == 0);
    CHECK(count_containing(&pub, ">") == 0);

    /* subscribe: exactly its own inbox and its ancestors' down subjects */
    CHECK(sub.n == 3);
    CHECK(has(&sub, "certfed.council.ncert.banking.in.>"));
    CHECK(has(&sub, "certfed.council.ncert.down.>"));
    CHECK(has(&sub, "certfed.council.down.>"));
    if (check_failures != before) {
        dump("banking publish", &pub);
        dump("banking subscribe", &sub);
    }
    cf_strlist_clear(&pub);
    cf_strlist_clear(&sub);
    CHECK(pub.v == NULL && pub.n == 0);
}

static void
test_permissions_roles(const cf_topology *t)
{
    const cf_topo_node *n;
    cf_strlist pub = {NULL, 0}, sub = {NULL, 0};
    int before = check_failures;

    /* the council issues directives to everyone, on its down subject only */
    if (perms(t, "council", &n, &pub, &sub)) {
        CHECK(has(&pub, "certfed.council.down.directive"));
        CHECK(has(&pub, "certfed.council.down.cert"));
        CHECK(has(&pub, "certfed.council.down.revocation"));
        CHECK(count_prefix(&pub, "certfed.council.down.") == 3);
        CHECK(count_containing(&pub, "directive") == 1 + 10); /* down, and resends */
        /* NCERT, its child: taskings, acks, trust documents, catch-up */
        CHECK(has(&pub, "certfed.council.ncert.in.tasking"));
        CHECK(has(&pub, "certfed.council.ncert.in.ack"));
        CHECK(has(&pub, "certfed.council.ncert.in.cert"));
        CHECK(has(&pub, "certfed.council.ncert.in.revocation"));
        CHECK(has(&pub, "certfed.council.ncert.in.catchup"));
        CHECK(has(&pub, "certfed.council.ncert.in.catchupbatch"));
        CHECK(has(&pub, "certfed.council.ncert.in.directive"));
        CHECK(count_prefix(&pub, "certfed.council.ncert.in.") == 7);
        CHECK(!has(&pub, "certfed.council.ncert.in.incident"));
        /* a constituent, below its children: no catch-up */
        CHECK(has(&pub, "certfed.council.ncert.punjab.lahore-it.in.tasking"));
        CHECK(has(&pub, "certfed.council.ncert.punjab.lahore-it.in.ack"));
        CHECK(!has(&pub, "certfed.council.ncert.punjab.lahore-it.in.catchup"));
        CHECK(count_prefix(&pub, "certfed.council.ncert.punjab.lahore-it.in.") == 5);
        CHECK(count_prefix(&pub, "certfed.council.in.") == 0); /* not its own inbox */
        CHECK(pub.n == 3 + 7 + 9 * 5); /* down; NCERT; its nine descendants below */
        CHECK(sub.n == 1);
        CHECK(has(&sub, "certfed.council.in.>"));
        if (check_failures != before)
            dump("council publish", &pub);
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    /* the ncert issues no directive of any kind */
    before = check_failures;
    if (perms(t, "ncert", &n, &pub, &sub)) {
        CHECK(count_containing(&pub, "directive") == 0);
        CHECK(!has(&pub, "certfed.council.down.directive"));
        CHECK(!has(&pub, "certfed.council.ncert.down.directive"));
        CHECK(has(&pub, "certfed.council.in.incident"));
        CHECK(has(&pub, "certfed.council.in.sealed"));
        CHECK(!has(&pub, "certfed.council.in.tasking"));
        CHECK(count_prefix(&pub, "certfed.council.in.") == 8);
        CHECK(has(&pub, "certfed.council.ncert.banking.in.tasking"));
        CHECK(!has(&pub, "certfed.council.ncert.banking.in.incident"));
        CHECK(count_prefix(&pub, "certfed.council.ncert.banking.in.") == 6);
        CHECK(has(&pub, "certfed.council.ncert.banking.state-bank.in.tasking"));
        CHECK(count_prefix(&pub, "certfed.council.ncert.banking.state-bank.in.") == 4);
        CHECK(pub.n == 8 + 7 * 6 + 2 * 4 + 2); /* Council, children, below, down */
        CHECK(sub.n == 2);
        CHECK(has(&sub, "certfed.council.ncert.in.>"));
        CHECK(has(&sub, "certfed.council.down.>"));
        if (check_failures != before)
            dump("ncert publish", &pub);
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    /* constituents broadcast nothing, task no one, and report up only */
    static const char *const constituents[] = {"state-bank", "lahore-it"};
    for (size_t k = 0; k < CF_ARRAY_LEN(constituents); k++) {
        if (!perms(t, constituents[k], &n, &pub, &sub))
            continue;
        CHECK(count_containing(&pub, ".down.") == 0);
        CHECK(count_containing(&pub, "directive") == 0);
        CHECK(count_containing(&pub, "tasking") == 0);
        CHECK(pub.n == 16); /* 8 types to its parent, 4 to the ncert and 4 to the council */
        CHECK(sub.n == 4);  /* its inbox, three ancestors' down */
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    before = check_failures;
    if (perms(t, "lahore-it", &n, &pub, &sub)) {
        static const char *const want[] = {
            "certfed.council.in.taskstatus",
            "certfed.council.in.ack",
            "certfed.council.in.cert",
            "certfed.council.in.revocation",
            "certfed.council.ncert.in.taskstatus",
            "certfed.council.ncert.in.ack",
            "certfed.council.ncert.in.cert",
            "certfed.council.ncert.in.revocation",
            "certfed.council.ncert.punjab.in.incident",
            "certfed.council.ncert.punjab.in.taskstatus",
            "certfed.council.ncert.punjab.in.ack",
            "certfed.council.ncert.punjab.in.cert",
            "certfed.council.ncert.punjab.in.revocation",
            "certfed.council.ncert.punjab.in.catchup",
            "certfed.council.ncert.punjab.in.catchupbatch",
            "certfed.council.ncert.punjab.in.sealed",
        };
        CHECK(exactly(&pub, want, CF_ARRAY_LEN(want)));
        /* a low incident straight to the Council would skip NCERT's filter */
        CHECK(!has(&pub, "certfed.council.in.incident"));
        CHECK(!has(&pub, "certfed.council.ncert.in.incident"));
        CHECK(has(&sub, "certfed.council.ncert.punjab.lahore-it.in.>"));
        CHECK(has(&sub, "certfed.council.ncert.punjab.down.>"));
        CHECK(count_containing(&pub, ".banking.") == 0);
        if (check_failures != before)
            dump("lahore-it publish", &pub);
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
}

/* For every node of the sample: its inbox publish rights are exactly, type
 * by type, the inboxes of its ancestors and descendants that its role's
 * originate or relay cell covers, its down publish rights exactly its own
 * down subjects for what its role may broadcast, and its subscribe rights
 * exactly its inbox plus its ancestors' down (DESIGN.md section 4). */
static void
test_permissions_all(const cf_topology *t)
{
    cf_buf b;

    cf_buf_init(&b);
    for (size_t i = 0; i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        cf_strlist pub = {NULL, 0}, sub = {NULL, 0};
        size_t want_pub = 0, want_sub = 1;
        int before = check_failures;

        CHECK_ST(cf_permissions(t, n, &pub, &sub), CF_OK);
        for (size_t j = 0; j < t->n; j++) {
            const cf_topo_node *o = &t->nodes[j];
            bool related = cf_topology_is_ancestor(t, o, n) || cf_topology_is_ancestor(t, n, o);
            unsigned rel = cf_authz_relation(t, n, o);
            cf_buf_clear(&b);
            CHECK_ST(cf_subject_inbox(o->path, 0, &b), CF_OK);
            CHECK(b.data && !has(&pub, (const char *)b.data)); /* never a whole inbox */
            for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
                unsigned to = cf_authz_scope(n->role, (cf_msg_type)type, CF_AUTHZ_ORIGINATE) |
                              cf_authz_scope(n->role, (cf_msg_type)type, CF_AUTHZ_RELAY);
                bool want = related && (to & rel) != 0;
                cf_buf_clear(&b);
                CHECK_ST(cf_subject_inbox(o->path, type, &b), CF_OK);
                CHECK(b.data && has(&pub, (const char *)b.data) == want);
                want_pub += want;
            }
            cf_buf_clear(&b);
            CHECK_ST(cf_subject_down(o->path, 0, &b), CF_OK);
            CHECK(b.data && has(&sub, (const char *)b.data) == cf_topology_is_ancestor(t, o, n));
            want_sub += cf_topology_is_ancestor(t, o, n);
        }
        for (int type = 1; type <= CF_MSG_TYPE_MAX; type++) {
            bool may = cf_role_may_broadcast(n->role, (cf_msg_type)type);
            for (size_t j = 0; j < t->n; j++) {
                cf_buf_clear(&b);
                CHECK_ST(cf_subject_down(t->nodes[j].path, type, &b), CF_OK);
                CHECK(b.data && has(&pub, (const char *)b.data) == (may && j == i));
            }
            want_pub += may;
        }
        cf_buf_clear(&b);
        CHECK_ST(cf_subject_inbox(n->path, 0, &b), CF_OK);
        CHECK(b.data && has(&sub, (const char *)b.data));
        CHECK(pub.n == want_pub);
        CHECK(sub.n == want_sub);
        for (size_t k = 0; k < pub.n + sub.n; k++) {
            const char *s = k < pub.n ? pub.v[k] : sub.v[k - pub.n];
            CHECK(strncmp(s, "certfed.council.", 16) == 0);
        }
        if (check_failures != before) {
            fprintf(stderr, "  permissions of %s:\n", n->id);
            dump("publish", &pub);
            dump("subscribe", &sub);
        }
        cf_strlist_clear(&pub);
        cf_strlist_clear(&sub);
    }
    cf_buf_clear(&b);
}

/* Occurrences of needle in hay. */
static size_t
count_str(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The text of one user's block: from its nkey to the brace that closes the
 * user (or the next user's nkey, or the end). malloc'ed, or NULL if the nkey
 * is absent. */
static char *
user_block(const char *conf, const char *nkey)
{
    const char *start = strstr(conf, nkey);
    const char *end;
    size_t len;
    char *out;

    if (!start)
        return NULL;
    end = strstr(start + strlen(nkey), "\n    }\n");
    if (!end)
        end = strstr(start + strlen(nkey), "nkey:");
    len = end ? (size_t)(end - start) : strlen(start);
    out = malloc(len + 1);
    if (!out)
        return NULL;
    memcpy(out, start, len);
    out[len] = 0;
    return out;
}

static void
test_server_config_fake_keys(const cf_topology *t)
{
    char keys[16][CF_NKEY_PUBLIC_LEN + 1];
    const char *ptrs[16];
    cf_buf conf;

    CHECK(t->n <= 16);
    if (t->n > 16)
        return;
    for (size_t i = 0; i < t->n; i++) {
        memset(keys[i], 'A', CF_NKEY_PUBLIC_LEN);
        keys[i][0] = 'U';
        /* distinct, and none is a prefix of another */
        keys[i][CF_NKEY_PUBLIC_LEN - 2] = (char)('0' + i / 10);
        keys[i][CF_NKEY_PUBLIC_LEN - 1] = (char)('0' + i % 10);
        keys[i][CF_NKEY_PUBLIC_LEN] = 0;
        CHECK(strlen(keys[i]) == CF_NKEY_PUBLIC_LEN);
        ptrs[i] = keys[i];
    }
    cf_buf_init(&conf);
    CHECK_ST(cf_nats_server_config(t, ptrs, 1048576, &conf), CF_OK);
    CHECK(conf.data != NULL);
    if (!conf.data)
        return;
    const char *text = (const char *)conf.data;
    CHECK(strlen(text) == conf.len);
    for (size_t i = 0; i < t->n; i++)
        CHECK(count_str(text, keys[i]) == 1);
    CHECK(count_str(text, "nkey:") == t->n);
    CHECK(strstr(text, "authorization") != NULL);
    CHECK(strstr(text, "max_payload") != NULL);
    CHECK(strstr(text, "1048576") != NULL);

    /* banking's block carries its own permissions, not its sibling's */
    const cf_topo_node *banking = cf_topology_find(t, "banking");
    CHECK(banking != NULL);
    if (banking) {
        char *block = user_block(text, keys[banking - t->nodes]);
        CHECK(block != NULL);
        if (block) {
            CHECK(strstr(block, "\"certfed.council.ncert.in.incident\"") != NULL);
            CHECK(strstr(block, "\"certfed.council.ncert.in.ack\"") != NULL);
            CHECK(strstr(block, "\"certfed.council.ncert.in.tasking\"") == NULL);
            CHECK(strstr(block, "\"certfed.council.ncert.in.>\"") == NULL);
            CHECK(strstr(block, "\"certfed.council.in.ack\"") != NULL);
            CHECK(strstr(block, "\"certfed.council.in.incident\"") == NULL);
            CHECK(strstr(block, "\"certfed.council.ncert.banking.state-bank.in.tasking\"") != NULL);
            /* its own inbox, to subscribe to, whole */
            CHECK(strstr(block, "\"certfed.council.ncert.banking.in.>\"") != NULL);
            CHECK(strstr(block, "\"certfed.council.down.>\"") != NULL);
            CHECK(strstr(block, "publish") != NULL);
            CHECK(strstr(block, "subscribe") != NULL);
            CHECK(strstr(block, "telecom") == NULL);
            CHECK(strstr(block, "directive") == NULL);
            free(block);
        }
    }
    /* the council's block has the directive */
    const cf_topo_node *council = cf_topology_find(t, "council");
    if (council) {
        char *block = user_block(text, keys[council - t->nodes]);
        CHECK(block && strstr(block, "\"certfed.council.down.directive\"") != NULL);
        free(block);
    }
    cf_buf_clear(&conf);
}

/* Is a nats-server we can run installed? */
static bool
have_nats_server(void)
{
    if (access("/usr/sbin/nats-server", X_OK) == 0 || access("/usr/bin/nats-server", X_OK) == 0)
        return true;
    return system("nats-server --version >/dev/null 2>&1") == 0;
}

/* nats-server -c path -t: 0 when it accepts the configuration. */
static int
nats_server_test(const char *path, char **out_stderr)
{
    const char *argv[] = {"nats-server", "-c", path, "-t", NULL};
    char *out = NULL;
    int rc = h_run(argv, &out, out_stderr);

    free(out);
    return rc;
}

static void
test_server_config_accepted(const cf_topology *t)
{
    cf_nkey *keys[16] = {NULL};
    char pubs[16][CF_NKEY_PUBLIC_LEN + 1];
    const char *ptrs[16];
    cf_buf conf;
    char *dir = NULL, *path = NULL, *bad_path = NULL, *log = NULL;
    int rc;

    if (!have_nats_server()) {
        printf("test_federation_subjects: nats-server is not installed: skipped checking the "
               "generated configuration with nats-server -t\n");
        return;
    }
    CHECK(t->n <= 16);
    if (t->n > 16)
        return;
    cf_buf_init(&conf);
    for (size_t i = 0; i < t->n; i++) {
        CHECK_ST(cf_nkey_generate(&keys[i]), CF_OK);
        if (!keys[i])
            goto out;
        cf_nkey_public_encode(keys[i]->pk, pubs[i]);
        CHECK(pubs[i][0] == 'U' && strlen(pubs[i]) == CF_NKEY_PUBLIC_LEN);
        ptrs[i] = pubs[i];
    }
    CHECK_ST(cf_nats_server_config(t, ptrs, 1048576, &conf), CF_OK);
    dir = h_tmpdir("fed-subjects");
    CHECK(dir != NULL);
    if (!dir || !conf.data)
        goto out;
    path = cf_path_join(dir, "nats-server.conf");
    bad_path = cf_path_join(dir, "bad.conf");
    CHECK(path && bad_path);
    if (!path || !bad_path)
        goto out;
    CHECK_ST(cf_file_write(path, conf.data, conf.len, 0600, true), CF_OK);
    rc = nats_server_test(path, &log);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "  nats-server -t exited %d on:\n%s\n  its stderr:\n%s\n", rc,
                (const char *)conf.data, log ? log : "");
    else
        printf("test_federation_subjects: nats-server -t accepted the generated configuration\n");
    free(log);
    log = NULL;

    /* the check is not vacuous: a config with a malformed nkey is refused */
    static const char bad[] = "authorization {\n  users: [\n    { nkey: \"UNOTAKEY\" }\n  ]\n}\n";
    CHECK_ST(cf_file_write(bad_path, bad, strlen(bad), 0600, true), CF_OK);
    rc = nats_server_test(bad_path, &log);
    CHECK(rc != 0);

out:
    free(log);
    for (size_t i = 0; i < CF_ARRAY_LEN(keys); i++)
        cf_nkey_free(keys[i]);
    cf_buf_clear(&conf);
    if (dir)
        h_rmtree(dir);
    free(path);
    free(bad_path);
    free(dir);
}

/* The text of the account of node id in a hub config: from its `"id": {`
 * line to the line that closes it. malloc'ed, or NULL if absent. */
static char *
account_block(const char *conf, const char *id)
{
    char head[64];
    const char *start, *end;
    char *out;

    snprintf(head, sizeof(head), "\n  \"%s\": {\n", id);
    start = strstr(conf, head);
    if (!start)
        return NULL;
    end = strstr(start + 1, "\n  }\n");
    if (!end)
        return NULL;
    out = malloc((size_t)(end - start) + 1);
    if (!out)
        return NULL;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = 0;
    return out;
}

/* Does subscribe subject s cover publish subject p (equal, or s ends in
 * ">" after a prefix of p)? The test's own, naive reading of NATS. */
static bool
covers(const char *s, const char *p)
{
    size_t n = strlen(s);

    if (strcmp(s, p) == 0)
        return true;
    return n >= 1 && s[n - 1] == '>' && (n == 1 || s[n - 2] == '.') && strncmp(s, p, n - 1) == 0 &&
           strlen(p) > n - 1;
}

static bool
covered_by_any(const cf_strlist *subs, const char *p)
{
    for (size_t i = 0; i < subs->n; i++)
        if (covers(subs->v[i], p))
            return true;
    return false;
}

/* The passwords of fake_passwords(): "pw-<index>". */
static void
fake_passwords(size_t n, char pw[][24], const char **ptrs)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(pw[i], sizeof(pw[i]), "pw-%u", (unsigned)(i % 1000));
        ptrs[i] = pw[i];
    }
}

/* Every grant the hub config makes, checked against a naive reading of the
 * permissions: account R imports subject p from account X, and X exports p
 * naming R, exactly when X may publish p and R may subscribe to it. */
static void
test_hub_config_grants(const cf_topology *t)
{
    char pw[16][24];
    const char *ptrs[16];
    cf_strlist pub[16], sub[16];
    cf_buf conf;
    char line[512];

    CHECK(t->n <= 16);
    if (t->n > 16)
        return;
    fake_passwords(t->n, pw, ptrs);
    cf_buf_init(&conf);
    CHECK_ST(cf_nats_hub_config(t, ptrs, "0.0.0.0:7422", 1048576, &conf), CF_OK);
    if (!conf.data)
        return;
    const char *text = (const char *)conf.data;
    CHECK(strlen(text) == conf.len);
    CHECK(strstr(text, "max_payload: 1048576\n") != NULL);
    /* one leaf-node listen line, the one scripts rewrite */
    CHECK(strstr(text, "\nleafnodes {\n  listen: \"0.0.0.0:7422\"\n}\n") != NULL);
    CHECK(count_str(text, "\n  listen: ") == 1);
    CHECK(count_str(text, "user: \"leaf-") == t->n);
    CHECK(strstr(text, "nkey:") == NULL); /* leaf servers log in with passwords */

    for (size_t i = 0; i < t->n; i++)
        CHECK_ST(cf_permissions(t, &t->nodes[i], &pub[i], &sub[i]), CF_OK);
    for (size_t r = 0; r < t->n; r++) {
        char *block = account_block(text, t->nodes[r].id);
        int before = check_failures;
        CHECK(block != NULL);
        if (!block)
            continue;
        snprintf(line, sizeof(line), "user: \"leaf-%s\"\n        password: \"%s\"\n",
                 t->nodes[r].id, pw[r]);
        CHECK(strstr(block, line) != NULL);
        CHECK(count_str(block, "user:") == 1);
        /* the user's permissions are the node's */
        for (size_t k = 0; k < pub[r].n; k++) {
            snprintf(line, sizeof(line), "\"%s\"", pub[r].v[k]);
            CHECK(strstr(block, line) != NULL);
        }
        size_t imports = 0;
        for (size_t x = 0; x < t->n; x++) {
            for (size_t k = 0; k < pub[x].n; k++) {
                bool want = x != r && covered_by_any(&sub[r], pub[x].v[k]);
                snprintf(line, sizeof(line), "{ stream: { account: \"%s\", subject: \"%s\" } }",
                         t->nodes[x].id, pub[x].v[k]);
                CHECK((strstr(block, line) != NULL) == want);
                imports += want;
            }
        }
        CHECK(count_str(block, "{ stream: { account:") == imports);
        /* exports: each of its publish subjects that someone may receive,
         * naming exactly those receivers */
        for (size_t k = 0; k < pub[r].n; k++) {
            size_t receivers = 0;
            snprintf(line, sizeof(line), "{ stream: \"%s\", accounts: [", pub[r].v[k]);
            const char *e = strstr(block, line);
            const char *e_end = e ? strstr(e, "] }") : NULL;
            for (size_t x = 0; x < t->n; x++)
                receivers += x != r && covered_by_any(&sub[x], pub[r].v[k]);
            CHECK((e != NULL) == (receivers > 0));
            if (!e || !e_end)
                continue;
            for (size_t x = 0; x < t->n; x++) {
                char name[64];
                bool want = x != r && covered_by_any(&sub[x], pub[r].v[k]);
                snprintf(name, sizeof(name), "\"%s\"", t->nodes[x].id);
                const char *at = strstr(e + strlen(line), name);
                CHECK((at != NULL && at < e_end) == want);
            }
        }
        if (check_failures != before)
            fprintf(stderr, "  account of %s:\n%s\n", t->nodes[r].id, block);
        free(block);
    }

    /* in the sample: what crosses to sindh and what does not */
    char *sindh = account_block(text, "sindh");
    CHECK(sindh != NULL);
    if (sindh) {
        CHECK(strstr(sindh, "{ stream: { account: \"council\", subject: "
                            "\"certfed.council.down.directive\" } }") != NULL);
        /* its parent's taskings and acks, type by type; never a directive
         * in its inbox, and no inbox whole */
        CHECK(strstr(sindh, "{ stream: { account: \"ncert\", subject: "
                            "\"certfed.council.ncert.sindh.in.tasking\" } }") != NULL);
        CHECK(strstr(sindh, "{ stream: { account: \"ncert\", subject: "
                            "\"certfed.council.ncert.sindh.in.ack\" } }") != NULL);
        CHECK(count_str(sindh, "{ stream: { account: \"ncert\", subject: "
                               "\"certfed.council.ncert.sindh.in.") == 6);
        CHECK(count_str(sindh, "{ stream: { account: \"council\", subject: "
                               "\"certfed.council.ncert.sindh.in.") == 5);
        CHECK(strstr(sindh,
                     "account: \"ncert\", subject: \"certfed.council.ncert.sindh.in.directive") ==
              NULL);
        CHECK(strstr(sindh, "sindh.in.incident") == NULL);
        CHECK(strstr(sindh, ".in.>\" } }") == NULL);
        /* what it may send its parent, exported to NCERT's account */
        CHECK(strstr(sindh, "{ stream: \"certfed.council.ncert.in.incident\", accounts: [\n"
                            "        \"ncert\"\n      ] }") != NULL);
        CHECK(strstr(sindh, "certfed.council.ncert.in.directive") == NULL);
        CHECK(strstr(sindh, "certfed.council.ncert.in.tasking") == NULL);
        CHECK(strstr(sindh, "certfed.council.in.incident") == NULL);
        CHECK(strstr(sindh, "account: \"punjab\"") == NULL); /* a sibling sends it nothing */
        CHECK(strstr(sindh, "account: \"lahore-it\"") == NULL);
        CHECK(strstr(sindh, "account: \"banking\"") == NULL);
        free(sindh);
    }
    char *council = account_block(text, "council");
    CHECK(council != NULL);
    if (council) {
        const char *d =
            strstr(council, "{ stream: \"certfed.council.down.directive\", accounts: [");
        const char *d_end = d ? strstr(d, "] }") : NULL;
        CHECK(d && d_end);
        if (d && d_end) {
            size_t n = 0;
            for (const char *q = strstr(d, "\n        \""); q && q < d_end;
                 q = strstr(q + 1, "\n        \""))
                n++;
            CHECK(n == t->n - 1); /* every other node's account */
        }
        free(council);
    }
    for (size_t i = 0; i < t->n; i++) {
        cf_strlist_clear(&pub[i]);
        cf_strlist_clear(&sub[i]);
    }
    cf_buf_clear(&conf);
}

static void
test_hub_leaf_refusals(const cf_topology *t)
{
    char pw[16][24];
    const char *ptrs[16];
    const cf_topo_node *punjab = cf_topology_find(t, "punjab");
    char nkey[CF_NKEY_PUBLIC_LEN + 1];
    uint8_t pk[CF_PK_LEN];
    cf_buf b;

    CHECK(t->n <= 16 && punjab != NULL);
    if (t->n > 16 || !punjab)
        return;
    fake_passwords(t->n, pw, ptrs);
    memset(pk, 7, sizeof(pk));
    cf_nkey_public_encode(pk, nkey);
    cf_buf_init(&b);
    CHECK_ST(cf_buf_append_str(&b, "kept"), CF_OK);

    /* passwords and addresses that would break the URL or the file */
    static const char *const bad_passwords[] = {"",    "p@ss", "a\"b", "a b",
                                                "a:b", "a/b",  "a\\b", "x\n"};
    for (size_t k = 0; k < CF_ARRAY_LEN(bad_passwords); k++) {
        const char *saved = ptrs[3];
        ptrs[3] = bad_passwords[k];
        CHECK_ST(cf_nats_hub_config(t, ptrs, "0.0.0.0:7422", 1048576, &b), CF_E_INVALID_ARG);
        CHECK_ST(
            cf_nats_leaf_config(t, punjab, nkey, bad_passwords[k], "127.0.0.1:7422", 1048576, &b),
            CF_E_INVALID_ARG);
        ptrs[3] = saved;
    }
    char longpw[CF_LEAF_PASSWORD_MAX + 2];
    memset(longpw, 'a', sizeof(longpw) - 1);
    longpw[sizeof(longpw) - 1] = 0;
    CHECK_ST(cf_nats_leaf_config(t, punjab, nkey, longpw, "127.0.0.1:7422", 1048576, &b),
             CF_E_INVALID_ARG);
    longpw[CF_LEAF_PASSWORD_MAX] = 0; /* exactly the maximum */
    cf_buf tmp;
    cf_buf_init(&tmp);
    CHECK_ST(cf_nats_leaf_config(t, punjab, nkey, longpw, "127.0.0.1:7422", 1048576, &tmp), CF_OK);
    cf_buf_clear(&tmp);
    static const char *const bad_addrs[] = {"", "host:1\"", "a b:1", "u@h:1", "h/x:1", "h:1\n"};
    for (size_t k = 0; k < CF_ARRAY_LEN(bad_addrs); k++) {
        CHECK_ST(cf_nats_hub_config(t, ptrs, bad_addrs[k], 1048576, &b), CF_E_INVALID_ARG);
        CHECK_ST(cf_nats_leaf_config(t, punjab, nkey, "pw", bad_addrs[k], 1048576, &b),
                 CF_E_INVALID_ARG);
    }
    CHECK_ST(cf_nats_leaf_config(t, punjab, "UNOTAKEY", "pw", "127.0.0.1:7422", 1048576, &b),
             CF_E_INVALID_ARG);
    nkey[5] = nkey[5] == 'A' ? 'B' : 'A'; /* a bad checksum */
    CHECK_ST(cf_nats_leaf_config(t, punjab, nkey, "pw", "127.0.0.1:7422", 1048576, &b),
             CF_E_INVALID_ARG);
    /* out is untouched on failure */
    CHECK(b.len == 4 && b.data && strcmp((const char *)b.data, "kept") == 0);
    cf_buf_clear(&b);
}

static void
test_leaf_config(const cf_topology *t)
{
    const cf_topo_node *punjab = cf_topology_find(t, "punjab");
    char nkey[CF_NKEY_PUBLIC_LEN + 1];
    uint8_t pk[CF_PK_LEN];
    cf_strlist pub, sub;
    char line[256];
    cf_buf conf;

    CHECK(punjab != NULL);
    if (!punjab)
        return;
    memset(pk, 9, sizeof(pk));
    cf_nkey_public_encode(pk, nkey);
    cf_buf_init(&conf);
    CHECK_ST(cf_nats_leaf_config(t, punjab, nkey, "s3cret-pw", "hub.example:7422", 65536, &conf),
             CF_OK);
    if (!conf.data)
        return;
    const char *text = (const char *)conf.data;
    snprintf(line, sizeof(line), "      nkey: \"%s\"\n", nkey);
    CHECK(strstr(text, line) != NULL);
    CHECK(count_str(text, "nkey:") == 1);
    CHECK(strstr(text, "max_payload: 65536\n") != NULL);
    CHECK(strstr(text, "\n      url: \"nats-leaf://leaf-punjab:s3cret-pw@hub.example:7422\"\n") !=
          NULL);
    CHECK(count_str(text, "nats-leaf://") == 1);
    CHECK(strstr(text, "remotes") != NULL);
    CHECK(strstr(text, "listen:") == NULL); /* the client port is the command line's */
    /* exactly the node's permissions */
    CHECK_ST(cf_permissions(t, punjab, &pub, &sub), CF_OK);
    for (size_t k = 0; k < pub.n + sub.n; k++) {
        snprintf(line, sizeof(line), "\"%s\"", k < pub.n ? pub.v[k] : sub.v[k - pub.n]);
        CHECK(count_str(text, line) == 1);
    }
    CHECK(count_str(text, "\"certfed.") == pub.n + sub.n);
    CHECK(strstr(text, "sindh") == NULL);
    CHECK(strstr(text, "directive") == NULL);
    cf_strlist_clear(&pub);
    cf_strlist_clear(&sub);
    cf_buf_clear(&conf);
}

/* The hub's and every leaf server's configuration, with real nkeys, pass
 * nats-server -t. */
static void
test_hub_leaf_accepted(const cf_topology *t)
{
    char pw[16][24];
    const char *ptrs[16];
    cf_nkey *key = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    char name[64];
    cf_buf conf;
    char *dir = NULL, *path = NULL, *log = NULL;
    int rc, before = check_failures;

    if (!have_nats_server())
        return;
    CHECK(t->n <= 16);
    if (t->n > 16)
        return;
    fake_passwords(t->n, pw, ptrs);
    cf_buf_init(&conf);
    dir = h_tmpdir("fed-hub-leaf");
    path = dir ? cf_path_join(dir, "hub.conf") : NULL;
    CHECK(path != NULL);
    if (!path)
        goto out;
    CHECK_ST(cf_nats_hub_config(t, ptrs, "127.0.0.1:7422", 1048576, &conf), CF_OK);
    CHECK_ST(cf_file_write(path, conf.data, conf.len, 0600, true), CF_OK);
    rc = nats_server_test(path, &log);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "  nats-server -t refused the hub config:\n%s\n", log ? log : "");
    for (size_t i = 0; i < t->n; i++) {
        free(log);
        log = NULL;
        cf_nkey_free(key);
        key = NULL;
        CHECK_ST(cf_nkey_generate(&key), CF_OK);
        if (!key)
            break;
        cf_nkey_public_encode(key->pk, pub);
        cf_buf_clear(&conf);
        CHECK_ST(cf_nats_leaf_config(t, &t->nodes[i], pub, pw[i], "127.0.0.1:7422", 1048576, &conf),
                 CF_OK);
        free(path);
        snprintf(name, sizeof(name), "leaf-%s.conf", t->nodes[i].id);
        path = cf_path_join(dir, name);
        CHECK(path != NULL);
        if (!path)
            break;
        CHECK_ST(cf_file_write(path, conf.data, conf.len, 0600, true), CF_OK);
        rc = nats_server_test(path, &log);
        CHECK(rc == 0);
        if (rc != 0)
            fprintf(stderr, "  nats-server -t refused the leaf config of %s:\n%s\n", t->nodes[i].id,
                    log ? log : "");
    }
    if (check_failures == before)
        printf("test_federation_subjects: nats-server -t accepted the hub's and every leaf's "
               "configuration\n");
out:
    free(log);
    cf_nkey_free(key);
    cf_buf_clear(&conf);
    if (dir)
        h_rmtree(dir);
    free(path);
    free(dir);
}

int
main(void)
{
    cf_topology *t;

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    test_subject_names();
    test_may_broadcast();
    t = national();
    if (t) {
        CHECK(t->n == 11);
        test_permissions_banking(t);
        test_permissions_roles(t);
        test_permissions_all(t);
        test_server_config_fake_keys(t);
        test_server_config_accepted(t);
        test_hub_config_grants(t);
        test_hub_leaf_refusals(t);
        test_leaf_config(t);
        test_hub_leaf_accepted(t);
    }
    cf_topology_free(t);
    return check_done("test_federation_subjects");
}
