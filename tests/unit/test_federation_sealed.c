/*
 * test_federation_sealed.c - the rules of sealed (TLP:RED, AMBER+STRICT)
 * incidents in federation/rules.c: recipients are the origin and its
 * ancestors; a node receives one only if it is a recipient or on the way
 * up to one; relays pass it up only towards a recipient; catch-up hands it
 * to the same nodes; it is routed to the parent's inbox.
 */
#include "check.h"
#include "federation/federation.h"

#include <string.h>

static const char topo_ini[] = "[federation]\nname = pk\n"
                               "[node council]\nrole = council\n"
                               "[node ncert]\nrole = ncert\nparent = council\n"
                               "[node punjab]\nrole = provincial\nparent = ncert\n"
                               "[node sindh]\nrole = provincial\nparent = ncert\n"
                               "[node lahore-it]\nrole = constituent\nparent = punjab\n";

static cf_sealed_recipient rs[4];

/* A sealed body from origin to the recipients named in a NULL-ended list. */
static cf_body
sealed(const char *origin, const char *const *to)
{
    static const uint8_t ct[32];
    cf_body b;
    size_t n = 0;

    memset(&b, 0, sizeof(b));
    memset(rs, 0, sizeof(rs));
    b.type = CF_MSG_SEALED;
    b.header.federation = "pk";
    b.header.origin = origin;
    b.header.seq = 1;
    for (; to[n] && n < 4; n++)
        rs[n].node = to[n];
    b.u.sealed.inner_type = CF_MSG_INCIDENT;
    b.u.sealed.recipients = rs;
    b.u.sealed.n_recipients = n;
    b.u.sealed.ciphertext = ct;
    b.u.sealed.ciphertext_len = sizeof(ct);
    return b;
}

int
main(void)
{
    cf_topology *t = NULL;
    const char *why = NULL;
    char err[256];
    cf_body b;

    CHECK_ST(cf_topology_parse(topo_ini, &t, err, sizeof(err)), CF_OK);
    if (!t)
        return check_done("test_federation_sealed");

    /* lahore-it to NCERT: punjab relays, NCERT reads, the Council and sindh
     * have no part in it */
    b = sealed("lahore-it", (const char *const[]){"ncert", "lahore-it", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_OK);
    CHECK_ST(cf_rule_receive(t, "punjab", &b, &why), CF_OK);
    CHECK_ST(cf_rule_receive(t, "ncert", &b, &why), CF_OK);
    CHECK_ST(cf_rule_receive(t, "council", &b, &why), CF_E_UNAUTHORIZED);
    CHECK_ST(cf_rule_receive(t, "sindh", &b, &why), CF_E_UNAUTHORIZED);
    CHECK(cf_rule_forward_up(t, "lahore-it", &b));
    CHECK(cf_rule_forward_up(t, "punjab", &b));
    CHECK(!cf_rule_forward_up(t, "ncert", &b)); /* NCERT is the last recipient */
    CHECK(cf_rule_entitled(t, "punjab", &b, NULL));
    CHECK(cf_rule_entitled(t, "ncert", &b, NULL));
    CHECK(cf_rule_entitled(t, "lahore-it", &b, NULL));
    CHECK(!cf_rule_entitled(t, "council", &b, NULL));
    CHECK(!cf_rule_entitled(t, "sindh", &b, NULL));

    /* whatever the severity, NCERT passes one named for the Council on */
    b = sealed("punjab", (const char *const[]){"council", "punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_OK);
    CHECK(cf_rule_forward_up(t, "ncert", &b));
    CHECK_ST(cf_rule_receive(t, "council", &b, &why), CF_OK);

    /* routed to the parent's inbox, which acknowledges it */
    cf_strlist subjects = {NULL, 0}, recipients = {NULL, 0};
    CHECK_ST(cf_route(t, "punjab", &b, NULL, &subjects, &recipients), CF_OK);
    CHECK(subjects.n == 1 && strcmp(subjects.v[0], "certfed.council.ncert.in.sealed") == 0);
    CHECK(recipients.n == 1 && strcmp(recipients.v[0], "ncert") == 0);
    cf_strlist_clear(&subjects);
    cf_strlist_clear(&recipients);

    /* recipients are the origin and its ancestors, each once */
    b = sealed("punjab", (const char *const[]){"sindh", "punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = sealed("punjab", (const char *const[]){"lahore-it", "punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = sealed("punjab", (const char *const[]){"nobody", "punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_UNAUTHORIZED);
    b = sealed("punjab", (const char *const[]){"ncert", "ncert", "punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_MALFORMED);
    b = sealed("punjab", (const char *const[]){"ncert", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_MALFORMED); /* not to itself */
    b = sealed("punjab", (const char *const[]){"punjab", NULL});
    CHECK_ST(cf_rule_originate(t, &b, &why), CF_E_MALFORMED); /* to nobody else */
    CHECK(!cf_role_may_broadcast(CF_ROLE_COUNCIL, CF_MSG_SEALED));

    cf_topology_free(t);
    return check_done("test_federation_sealed");
}
