/*
 * test_federation_rules.c - who may send what to whom (federation/rules.c):
 * originate, receive, directive scope, forward-up and cf_route on a small
 * topology, and cf_topology_from_trust before and after a revocation.
 */
#include "check.h"
#include "federation/federation.h"
#include "keys/keys.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* council; ncert; banking, telecom (sectoral); punjab, sindh (provincial);
 * state-bank under banking, lahore-it under punjab. */
static const char topo_ini[] = "[federation]\n"
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
                               "[node punjab]\n"
                               "role = provincial\n"
                               "parent = ncert\n"
                               "\n"
                               "[node sindh]\n"
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

static const char *const all_nodes[] = {"council", "ncert", "banking",    "telecom",
                                        "punjab",  "sindh", "state-bank", "lahore-it"};

/* Run a rule call that sets `why`; on refusal `why` must say something. */
#define CHECK_RULE(expr, want)                                                                     \
    do {                                                                                           \
        cf_status want_st_ = (want);                                                               \
        why = NULL;                                                                                \
        CHECK_ST((expr), want_st_);                                                                \
        if (want_st_ != CF_OK)                                                                     \
            CHECK(why != NULL && why[0] != '\0');                                                  \
    } while (0)

static cf_body
body_of(cf_msg_type type, const char *origin)
{
    cf_body b;

    memset(&b, 0, sizeof(b));
    b.type = type;
    b.header.federation = "pk";
    b.header.origin = origin;
    b.header.seq = 1;
    b.header.created_ms = 1;
    return b;
}

static cf_body
incident(const char *origin, const char *owner, const char *id, uint32_t revision, int severity)
{
    cf_body b = body_of(CF_MSG_INCIDENT, origin);

    b.u.incident.id = id;
    b.u.incident.revision = revision;
    b.u.incident.title = "phishing wave";
    b.u.incident.severity = severity;
    b.u.incident.owner = owner;
    return b;
}

static cf_body
tasking(const char *origin, const char *issuer, const char *const *assignees, size_t n)
{
    cf_body b = body_of(CF_MSG_TASKING, origin);

    b.u.tasking.id = "task-1";
    b.u.tasking.issuer = issuer;
    b.u.tasking.assignees.v = assignees;
    b.u.tasking.assignees.n = n;
    b.u.tasking.instructions = "block the listed domains";
    return b;
}

static cf_body
task_status(const char *origin, const char *assignee, int state, const char *reason)
{
    cf_body b = body_of(CF_MSG_TASK_STATUS, origin);

    b.u.task_status.task = "task-1";
    b.u.task_status.assignee = assignee;
    b.u.task_status.state = state;
    b.u.task_status.reason = reason;
    return b;
}

static cf_body
directive(const char *origin, const char *number)
{
    cf_body b = body_of(CF_MSG_DIRECTIVE, origin);

    b.u.directive.number = number;
    b.u.directive.version = 1;
    b.u.directive.title = "patch the VPN concentrators";
    return b;
}

static cf_body
ack(const char *origin, const char *node, int state)
{
    cf_body b = body_of(CF_MSG_ACK, origin);

    memset(b.u.ack.message_id, 0xab, CF_ID_LEN);
    b.u.ack.node = node;
    b.u.ack.state = state;
    return b;
}

static bool
has(const cf_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] && strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static void
dump(const char *what, const cf_strlist *l)
{
    fprintf(stderr, "  %s (%zu):\n", what, l->n);
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "    %s\n", l->v[i]);
}

/* Is s one of the n strings of v? */
static bool
in(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* ---- cf_rule_originate --------------------------------------------------- */

static void
test_originate_incident(const cf_topology *t)
{
    const char *why;
    cf_body b;

    b = incident("punjab", "punjab", "punjab-1", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    b = incident("punjab", "punjab", "punjab-1", 7, 2); /* an update by the owner */
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    /* an incident's id names its owner: nobody reports under another's id */
    b = incident("punjab", "punjab", "banking-1", 4000000, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = incident("punjab", "punjab", "inc-1", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = incident("punjab", "punjab", "punjab-", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = incident("punjab", "punjab", "punjabx-1", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* an update by a node that does not own it */
    b = incident("ncert", "punjab", "inc-1", 2, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = incident("lahore-it", "punjab", "inc-1", 2, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = incident("punjab", NULL, "inc-1", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* missing id, revision 0 */
    b = incident("punjab", "punjab", NULL, 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = incident("punjab", "punjab", "", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = incident("punjab", "punjab", "inc-1", 0, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    /* an origin outside the federation */
    b = incident("karachi-isp", "karachi-isp", "inc-1", 1, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* why may be NULL */
    b = incident("ncert", "punjab", "inc-1", 2, 2);
    CHECK_ST(cf_rule_originate(t, &b, NULL), CF_E_UNAUTHORIZED);
}

static void
test_originate_tasking(const cf_topology *t)
{
    const char *why;
    cf_body b;
    static const char *const bank_and_sb[] = {"banking", "state-bank"};
    static const char *const sb[] = {"state-bank"};
    static const char *const nc[] = {"ncert"};
    static const char *const tel[] = {"telecom"};
    static const char *const sb_tel[] = {"state-bank", "telecom"};
    static const char *const unknown[] = {"banking", "karachi-isp"};
    static const char *const lahore[] = {"lahore-it"};

    b = tasking("ncert", "ncert", bank_and_sb, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    b = tasking("banking", "banking", sb, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    b = tasking("council", "council", lahore, 1); /* a grandchild's child */
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    /* up to the parent, across to a sibling, into another subtree */
    b = tasking("banking", "banking", nc, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = tasking("banking", "banking", tel, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = tasking("punjab", "punjab", sb, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* every assignee is checked, not only the first */
    b = tasking("banking", "banking", sb_tel, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* a node is not its own descendant */
    b = tasking("ncert", "ncert", nc, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* the issuer must be the sender */
    b = tasking("ncert", "council", bank_and_sb, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = tasking("ncert", NULL, bank_and_sb, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* no assignee, no id */
    b = tasking("ncert", "ncert", NULL, 0);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = tasking("ncert", "ncert", bank_and_sb, 2);
    b.u.tasking.id = "";
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    /* an assignee that is not a member */
    b = tasking("ncert", "ncert", unknown, 2);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
}

static void
test_originate_task_status(const cf_topology *t)
{
    const char *why;
    cf_body b;

    for (int state = 1; state <= 4; state++) {
        b = task_status("banking", "banking", state, NULL);
        CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    }
    b = task_status("telecom", "banking", 3, NULL);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = task_status("ncert", "banking", 4, NULL);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* declined needs a reason */
    b = task_status("banking", "banking", 5, "");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = task_status("banking", "banking", 5, NULL);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = task_status("banking", "banking", 5, "no staff on the weekend");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    /* unknown states */
    b = task_status("banking", "banking", 0, NULL);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = task_status("banking", "banking", 6, "x");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    /* no task id */
    b = task_status("banking", "banking", 2, NULL);
    b.u.task_status.task = NULL;
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
}

static void
test_originate_directive(const cf_topology *t)
{
    const char *why;
    cf_body b;

    b = directive("council", "ND-2026-001");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    b = directive("punjab", "ND-2026-001");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = directive("ncert", "ND-2026-001");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    /* nobody but the council */
    for (size_t i = 1; i < CF_ARRAY_LEN(all_nodes); i++) {
        b = directive(all_nodes[i], "ND-2026-001");
        CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    }
    b = directive("council", NULL);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = directive("council", "");
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
}

static void
test_originate_ack(const cf_topology *t)
{
    const char *why;
    cf_body b;

    for (int state = 1; state <= 5; state++) {
        b = ack("sindh", "sindh", state);
        CHECK_RULE(cf_rule_originate(t, &b, &why), CF_OK);
    }
    b = ack("sindh", "punjab", 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = ack("sindh", NULL, 1);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = ack("sindh", "sindh", 0);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = ack("sindh", "sindh", 6);
    CHECK_RULE(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
}

/* ---- cf_rule_receive ------------------------------------------------------ */

static void
test_receive(const cf_topology *t)
{
    const char *why;
    cf_body b;
    static const char *const assignees[] = {"banking", "lahore-it"};

    b = incident("punjab", "punjab", "inc-1", 1, 4);
    CHECK_RULE(cf_rule_receive(t, "ncert", &b, &why), CF_OK);
    CHECK_RULE(cf_rule_receive(t, "council", &b, &why), CF_OK);
    CHECK_RULE(cf_rule_receive(t, "banking", &b, &why), CF_E_UNAUTHORIZED);
    CHECK_RULE(cf_rule_receive(t, "sindh", &b, &why), CF_E_UNAUTHORIZED);
    /* a child may not receive its parent's incident */
    CHECK_RULE(cf_rule_receive(t, "lahore-it", &b, &why), CF_E_UNAUTHORIZED);
    /* nor does a node receive its own */
    CHECK_RULE(cf_rule_receive(t, "punjab", &b, &why), CF_E_UNAUTHORIZED);
    /* an unknown receiver */
    CHECK_RULE(cf_rule_receive(t, "karachi-isp", &b, &why), CF_E_UNAUTHORIZED);

    b = tasking("ncert", "ncert", assignees, 2);
    CHECK_RULE(cf_rule_receive(t, "banking", &b, &why), CF_OK);
    CHECK_RULE(cf_rule_receive(t, "lahore-it", &b, &why), CF_OK);
    CHECK_RULE(cf_rule_receive(t, "telecom", &b, &why), CF_E_UNAUTHORIZED);
    CHECK_RULE(cf_rule_receive(t, "state-bank", &b, &why), CF_E_UNAUTHORIZED);

    b = task_status("banking", "banking", 4, NULL);
    CHECK_RULE(cf_rule_receive(t, "ncert", &b, &why), CF_OK);
    CHECK_RULE(cf_rule_receive(t, "telecom", &b, &why), CF_E_UNAUTHORIZED);
    CHECK_RULE(cf_rule_receive(t, "state-bank", &b, &why), CF_E_UNAUTHORIZED);
}

/* ---- cf_rule_directive_applies -------------------------------------------- */

/* For every node: does d apply exactly to the want_n nodes of want? */
static void
check_applies(const cf_topology *t, const cf_directive *d, const char *scope,
              const char *const *want, size_t want_n)
{
    for (size_t i = 0; i < CF_ARRAY_LEN(all_nodes); i++) {
        const cf_topo_node *n = cf_topology_find(t, all_nodes[i]);
        CHECK(n != NULL);
        if (!n)
            continue;
        bool got = cf_rule_directive_applies(t, n, d);
        bool expect = in(want, want_n, all_nodes[i]);
        CHECK(got == expect);
        if (got != expect)
            fprintf(stderr, "  directive scoped %s: applies to %s is %d, expected %d\n", scope,
                    all_nodes[i], got, expect);
    }
}

static void
test_directive_applies(const cf_topology *t)
{
    cf_body b = directive("council", "ND-2026-002");
    cf_directive *d = &b.u.directive;
    static const int provincial[] = {CF_ROLE_PROVINCIAL};
    static const int constituent[] = {CF_ROLE_CONSTITUENT};
    static const char *const banking[] = {"banking"};
    static const char *const punjab[] = {"punjab"};
    static const char *const want_prov[] = {"punjab", "sindh"};
    static const char *const want_bank[] = {"banking", "state-bank"};
    static const char *const want_punjab[] = {"punjab", "lahore-it"};
    static const char *const want_lahore[] = {"lahore-it"};

    check_applies(t, d, "to everyone", all_nodes, CF_ARRAY_LEN(all_nodes));

    d->roles = provincial;
    d->n_roles = 1;
    check_applies(t, d, "roles={provincial}", want_prov, CF_ARRAY_LEN(want_prov));

    d->roles = NULL;
    d->n_roles = 0;
    d->sectors.v = banking;
    d->sectors.n = 1;
    check_applies(t, d, "sectors={banking}", want_bank, CF_ARRAY_LEN(want_bank));

    d->sectors.v = NULL;
    d->sectors.n = 0;
    d->provinces.v = punjab;
    d->provinces.n = 1;
    check_applies(t, d, "provinces={punjab}", want_punjab, CF_ARRAY_LEN(want_punjab));

    d->roles = constituent;
    d->n_roles = 1;
    check_applies(t, d, "roles={constituent} provinces={punjab}", want_lahore,
                  CF_ARRAY_LEN(want_lahore));
}

/* ---- cf_rule_forward_up --------------------------------------------------- */

/* Who may be handed a stored copy by catch-up: exactly who was sent it. */
static void
test_entitled(const cf_topology *t)
{
    static const char *const to_punjab[] = {"punjab"};
    cf_body b;

    /* its own messages, whatever they are */
    b = ack("lahore-it", "lahore-it", 1);
    CHECK(cf_rule_entitled(t, "lahore-it", &b, NULL));
    /* incidents: the subtree above the owner; the Council only from NCERT's
     * children or when severe enough to be escalated */
    b = incident("lahore-it", "lahore-it", "lahore-it-1", 1, 1);
    CHECK(cf_rule_entitled(t, "punjab", &b, NULL));
    CHECK(cf_rule_entitled(t, "ncert", &b, NULL));
    CHECK(!cf_rule_entitled(t, "council", &b, NULL));
    CHECK(!cf_rule_entitled(t, "sindh", &b, NULL));
    CHECK(!cf_rule_entitled(t, "banking", &b, NULL));
    b = incident("lahore-it", "lahore-it", "lahore-it-1", 1, CF_SEVERITY_ESCALATE);
    CHECK(cf_rule_entitled(t, "council", &b, NULL));
    b = incident("ncert", "ncert", "ncert-1", 1, 0);
    CHECK(cf_rule_entitled(t, "council", &b, NULL));
    /* taskings: the assignees only */
    b = tasking("ncert", "ncert", to_punjab, 1);
    CHECK(cf_rule_entitled(t, "punjab", &b, NULL));
    CHECK(!cf_rule_entitled(t, "sindh", &b, NULL));
    CHECK(!cf_rule_entitled(t, "lahore-it", &b, NULL));
    /* directives: where they apply */
    b = directive("council", "ND-1");
    for (size_t i = 0; i < CF_ARRAY_LEN(all_nodes); i++)
        CHECK(cf_rule_entitled(t, all_nodes[i], &b, NULL));
    static const char *const banking_only[] = {"banking"};
    b.u.directive.sectors.v = banking_only;
    b.u.directive.sectors.n = 1;
    CHECK(cf_rule_entitled(t, "state-bank", &b, NULL));
    CHECK(!cf_rule_entitled(t, "punjab", &b, NULL));
    /* answers: only the node answered, and only when the caller knows it */
    b = ack("punjab", "punjab", 1);
    CHECK(cf_rule_entitled(t, "council", &b, "council"));
    CHECK(!cf_rule_entitled(t, "ncert", &b, "council"));
    CHECK(!cf_rule_entitled(t, "council", &b, NULL));
    b = task_status("punjab", "punjab", 2, NULL);
    CHECK(cf_rule_entitled(t, "ncert", &b, "ncert"));
    CHECK(!cf_rule_entitled(t, "sindh", &b, "ncert"));
    /* documents and catch-up messages are never handed on this way */
    b = body_of(CF_MSG_CATCHUP_BATCH, "ncert");
    CHECK(!cf_rule_entitled(t, "punjab", &b, NULL));
    b = body_of(CF_MSG_MEMBER_CERT, "ncert");
    CHECK(!cf_rule_entitled(t, "punjab", &b, NULL));
    /* strangers */
    b = incident("punjab", "punjab", "punjab-1", 1, 5);
    CHECK(!cf_rule_entitled(t, "nobody", &b, NULL));
}

static void
test_forward_up(const cf_topology *t)
{
    cf_body b;

    /* below NCERT everything goes up, whatever its severity */
    for (int sev = 0; sev <= 5; sev++) {
        b = incident("state-bank", "state-bank", "inc-2", 1, sev);
        CHECK(cf_rule_forward_up(t, "banking", &b));
        CHECK(cf_rule_forward_up(t, "state-bank", &b));
    }
    /* NCERT escalates from CF_SEVERITY_ESCALATE up */
    for (int sev = 0; sev <= 5; sev++) {
        b = incident("banking", "banking", "inc-3", 1, sev);
        bool got = cf_rule_forward_up(t, "ncert", &b);
        CHECK(got == (sev >= CF_SEVERITY_ESCALATE));
        if (got != (sev >= CF_SEVERITY_ESCALATE))
            fprintf(stderr, "  ncert forward_up of severity %d is %d\n", sev, got);
    }
    CHECK(CF_SEVERITY_ESCALATE == 3);
    /* the Council has no one above it */
    for (int sev = 0; sev <= 5; sev++) {
        b = incident("ncert", "ncert", "inc-4", 1, sev);
        CHECK(!cf_rule_forward_up(t, "council", &b));
    }
    /* only incidents go up */
    b = task_status("banking", "banking", 4, NULL);
    CHECK(!cf_rule_forward_up(t, "banking", &b));
    b = ack("state-bank", "state-bank", 1);
    CHECK(!cf_rule_forward_up(t, "banking", &b));
    b = directive("council", "ND-1");
    CHECK(!cf_rule_forward_up(t, "ncert", &b));
    /* an unknown node forwards nothing */
    b = incident("state-bank", "state-bank", "inc-2", 1, 5);
    CHECK(!cf_rule_forward_up(t, "karachi-isp", &b));
}

/* ---- cf_route -------------------------------------------------------------- */

static void
test_route(const cf_topology *t)
{
    cf_strlist subj = {NULL, 0}, rcpt = {NULL, 0};
    cf_body b;
    int before;
    static const char *const assignees[] = {"banking", "lahore-it"};
    static const char *const banking[] = {"banking"};

    /* an incident goes to the parent's inbox */
    b = incident("punjab", "punjab", "inc-1", 1, 2);
    CHECK_ST(cf_route(t, "punjab", &b, NULL, &subj, &rcpt), CF_OK);
    CHECK(subj.n == 1);
    CHECK(subj.n >= 1 && strcmp(subj.v[0], "certfed.council.ncert.in.incident") == 0);
    CHECK(rcpt.n == 1);
    CHECK(rcpt.n >= 1 && strcmp(rcpt.v[0], "ncert") == 0);
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    /* a tasking goes to each assignee's inbox */
    before = check_failures;
    b = tasking("ncert", "ncert", assignees, 2);
    CHECK_ST(cf_route(t, "ncert", &b, NULL, &subj, &rcpt), CF_OK);
    CHECK(subj.n == 2);
    CHECK(has(&subj, "certfed.council.ncert.banking.in.tasking"));
    CHECK(has(&subj, "certfed.council.ncert.punjab.lahore-it.in.tasking"));
    CHECK(rcpt.n == 2);
    CHECK(has(&rcpt, "banking"));
    CHECK(has(&rcpt, "lahore-it"));
    if (check_failures != before) {
        dump("tasking subjects", &subj);
        dump("tasking recipients", &rcpt);
    }
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    /* a directive goes down from the Council to everyone else in scope */
    before = check_failures;
    b = directive("council", "ND-2026-003");
    CHECK_ST(cf_route(t, "council", &b, NULL, &subj, &rcpt), CF_OK);
    CHECK(subj.n == 1);
    CHECK(subj.n >= 1 && strcmp(subj.v[0], "certfed.council.down.directive") == 0);
    CHECK(rcpt.n == 7);
    CHECK(!has(&rcpt, "council"));
    for (size_t i = 1; i < CF_ARRAY_LEN(all_nodes); i++)
        CHECK(has(&rcpt, all_nodes[i]));
    if (check_failures != before) {
        dump("directive subjects", &subj);
        dump("directive recipients", &rcpt);
    }
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    before = check_failures;
    b.u.directive.sectors.v = banking;
    b.u.directive.sectors.n = 1;
    CHECK_ST(cf_route(t, "council", &b, NULL, &subj, &rcpt), CF_OK);
    CHECK(subj.n == 1);
    CHECK(subj.n >= 1 && strcmp(subj.v[0], "certfed.council.down.directive") == 0);
    CHECK(rcpt.n == 2);
    CHECK(has(&rcpt, "banking"));
    CHECK(has(&rcpt, "state-bank"));
    if (check_failures != before)
        dump("banking directive recipients", &rcpt);
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    /* answers go to reply_to's inbox */
    b = task_status("banking", "banking", 4, NULL);
    CHECK_ST(cf_route(t, "banking", &b, "ncert", &subj, &rcpt), CF_OK);
    CHECK(subj.n == 1);
    CHECK(subj.n >= 1 && strcmp(subj.v[0], "certfed.council.ncert.in.taskstatus") == 0);
    if (subj.n >= 1 && strcmp(subj.v[0], "certfed.council.ncert.in.taskstatus") != 0)
        fprintf(stderr, "  task status subject: %s\n", subj.v[0]);
    CHECK(rcpt.n == 1);
    CHECK(rcpt.n >= 1 && strcmp(rcpt.v[0], "ncert") == 0);
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    b = ack("state-bank", "state-bank", 1);
    CHECK_ST(cf_route(t, "state-bank", &b, "council", &subj, &rcpt), CF_OK);
    CHECK(subj.n == 1);
    CHECK(subj.n >= 1 && strcmp(subj.v[0], "certfed.council.in.ack") == 0);
    CHECK(rcpt.n == 1 && strcmp(rcpt.v[0], "council") == 0);
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);

    /* an answer with nobody (or a stranger) to answer */
    CHECK_ST(cf_route(t, "state-bank", &b, NULL, &subj, &rcpt), CF_E_INVALID_ARG);
    CHECK(subj.n == 0 && rcpt.n == 0);
    CHECK_ST(cf_route(t, "state-bank", &b, "karachi-isp", &subj, &rcpt), CF_E_INVALID_ARG);
    CHECK(subj.n == 0 && rcpt.n == 0);

    /* an unknown sender */
    b = incident("karachi-isp", "karachi-isp", "inc-9", 1, 2);
    CHECK_ST(cf_route(t, "karachi-isp", &b, NULL, &subj, &rcpt), CF_E_INVALID_ARG);
    CHECK(subj.n == 0 && rcpt.n == 0);

    /* the Council's own incident has nowhere to go */
    b = incident("council", "council", "inc-10", 1, 5);
    CHECK_ST(cf_route(t, "council", &b, NULL, &subj, &rcpt), CF_OK);
    CHECK(subj.n == 0);
    CHECK(rcpt.n == 0);
    cf_strlist_clear(&subj);
    cf_strlist_clear(&rcpt);
}

/* ---- cf_topology_from_trust ----------------------------------------------- */

typedef struct member {
    cf_identity *id;
    cf_cert *cert;
} member;

static void
member_free(member *m)
{
    cf_cert_free(m->cert);
    cf_identity_free(m->id);
    m->cert = NULL;
    m->id = NULL;
}

/* A new identity certified by issuer (NULL: self-signed root). */
static cf_status
make_member(member *m, const member *issuer, const char *node, cf_role role, const char *parent,
            int64_t now)
{
    cf_cert_request r;
    cf_status st = cf_identity_generate(&m->id);

    if (st != CF_OK)
        return st;
    memset(&r, 0, sizeof(r));
    r.federation = "pk";
    r.node = node;
    r.role = role;
    r.parent = parent;
    memcpy(r.keys.identity, m->id->sign_pk, CF_PK_LEN);
    randombytes_buf(r.keys.transport, CF_PK_LEN);
    memcpy(r.keys.encryption, m->id->box_pk, CF_PK_LEN);
    r.not_before_ms = now - INT64_C(86400000);
    r.not_after_ms = now + INT64_C(365) * 86400000;
    if (!issuer)
        return cf_cert_issue(m->id, NULL, &r, &m->cert);
    return cf_cert_issue(issuer->id, issuer->cert, &r, &m->cert);
}

/* Check one node of a topology built from the trust store. */
static void
check_node(const cf_topology *t, const char *id, cf_role role, const char *parent, const char *path)
{
    const cf_topo_node *n = cf_topology_find(t, id);

    CHECK(n != NULL);
    if (!n) {
        fprintf(stderr, "  node %s missing from the topology\n", id);
        return;
    }
    CHECK(n->role == role);
    CHECK_STR(n->path, path);
    if (!parent) {
        CHECK(n->parent == NULL);
        CHECK(n->parent_idx == SIZE_MAX);
        return;
    }
    CHECK_STR(n->parent, parent);
    CHECK(n->parent_idx < t->n);
    if (n->parent_idx < t->n) {
        CHECK_STR(t->nodes[n->parent_idx].id, parent);
        /* parents first */
        CHECK(n->parent_idx < (size_t)(n - t->nodes));
    }
}

static void
test_from_trust(void)
{
    member root = {0}, council = {0}, ncert = {0}, banking = {0}, sbank = {0};
    cf_trust *trust = NULL;
    cf_topology *t = NULL;
    char err[256] = "";
    cf_buf wire;
    int64_t now = cf_clock_now_ms();

    cf_buf_init(&wire);
    CHECK_ST(make_member(&root, NULL, "council", CF_ROLE_ROOT, NULL, now), CF_OK);
    if (!root.cert)
        goto out;
    CHECK_ST(make_member(&council, &root, "council", CF_ROLE_COUNCIL, NULL, now), CF_OK);
    CHECK_ST(make_member(&ncert, &root, "ncert", CF_ROLE_NCERT, "council", now), CF_OK);
    if (!council.cert || !ncert.cert)
        goto out;
    CHECK_ST(make_member(&banking, &ncert, "banking", CF_ROLE_SECTORAL, "ncert", now), CF_OK);
    if (!banking.cert)
        goto out;
    CHECK_ST(make_member(&sbank, &banking, "state-bank", CF_ROLE_CONSTITUENT, "banking", now),
             CF_OK);
    if (!sbank.cert)
        goto out;

    CHECK_ST(cf_trust_new(root.cert, &trust), CF_OK);
    if (!trust)
        goto out;
    CHECK_ST(cf_trust_add_cert(trust, council.cert, now), CF_OK);
    CHECK_ST(cf_trust_add_cert(trust, ncert.cert, now), CF_OK);
    CHECK_ST(cf_trust_add_cert(trust, banking.cert, now), CF_OK);
    CHECK_ST(cf_trust_add_cert(trust, sbank.cert, now), CF_OK);

    CHECK_ST(cf_topology_from_trust(trust, now, &t, err, sizeof(err)), CF_OK);
    if (!t) {
        fprintf(stderr, "  cf_topology_from_trust: %s\n", err);
        goto out;
    }
    CHECK_STR(t->federation, "pk");
    CHECK(t->n == 4);
    check_node(t, "council", CF_ROLE_COUNCIL, NULL, "council");
    check_node(t, "ncert", CF_ROLE_NCERT, "council", "council.ncert");
    check_node(t, "banking", CF_ROLE_SECTORAL, "ncert", "council.ncert.banking");
    check_node(t, "state-bank", CF_ROLE_CONSTITUENT, "banking", "council.ncert.banking.state-bank");
    cf_topology_free(t);
    t = NULL;

    /* NCERT revokes banking's key: banking keeps its place (its messages up
     * to the last good one stay valid, and a new key can be certified for
     * it); its subtree, certified by the revoked key, drops out */
    cf_revoke_request req = {banking.cert, 0, "key compromise", now};
    CHECK_ST(cf_revocation_issue(ncert.id, ncert.cert, &req, &wire), CF_OK);
    if (!wire.len)
        goto out;
    CHECK_ST(cf_trust_add_revocation(trust, wire.data, wire.len, now), CF_OK);
    CHECK_ST(cf_topology_from_trust(trust, now, &t, err, sizeof(err)), CF_OK);
    if (!t) {
        fprintf(stderr, "  cf_topology_from_trust after revocation: %s\n", err);
        goto out;
    }
    CHECK(t->n == 3);
    CHECK(cf_topology_find(t, "state-bank") == NULL);
    check_node(t, "council", CF_ROLE_COUNCIL, NULL, "council");
    check_node(t, "ncert", CF_ROLE_NCERT, "council", "council.ncert");
    check_node(t, "banking", CF_ROLE_SECTORAL, "ncert", "council.ncert.banking");

out:
    cf_topology_free(t);
    cf_trust_free(trust);
    cf_buf_clear(&wire);
    member_free(&sbank);
    member_free(&banking);
    member_free(&ncert);
    member_free(&council);
    member_free(&root);
}

int
main(void)
{
    cf_topology *t = NULL;
    char err[256] = "";

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    CHECK_ST(cf_topology_parse(topo_ini, &t, err, sizeof(err)), CF_OK);
    if (!t) {
        fprintf(stderr, "  topology: %s\n", err);
    } else {
        CHECK(t->n == CF_ARRAY_LEN(all_nodes));
        test_originate_incident(t);
        test_originate_tasking(t);
        test_originate_task_status(t);
        test_originate_directive(t);
        test_originate_ack(t);
        test_receive(t);
        test_directive_applies(t);
        test_forward_up(t);
        test_entitled(t);
        test_route(t);
    }
    cf_topology_free(t);
    test_from_trust();
    return check_done("test_federation_rules");
}
