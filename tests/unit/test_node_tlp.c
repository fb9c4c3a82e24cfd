/*
 * test_node_tlp.c - opening sealed incidents (node/tlp.c): a recipient
 * takes only an inner envelope that the outer one vouches for (same
 * signer, header and recipients, an incident its origin may send), so a
 * sealed message can be neither re-addressed nor re-wrapped, and a node
 * that is not named gets nothing out of it.
 */
#include "check.h"
#include "node/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char topo_ini[] = "[federation]\nname = pk\n"
                               "[node council]\nrole = council\n"
                               "[node ncert]\nrole = ncert\nparent = council\n"
                               "[node punjab]\nrole = provincial\nparent = ncert\n"
                               "[node sindh]\nrole = provincial\nparent = ncert\n"
                               "[node lahore-it]\nrole = constituent\nparent = punjab\n";

enum { LAHORE, NCERT, SINDH, N_IDS };
static const char *const names[N_IDS] = {"lahore-it", "ncert", "sindh"};
static cf_identity *ids[N_IDS];
static cf_topology *topo;

/* How the outer message is to differ from an honest one. */
typedef struct twist {
    const char *const *audience; /* the inner audience (NULL-ended) */
    const char *const *to;       /* the outer recipients (NULL-ended) */
    int inner_signer;            /* whose key signs the inner envelope */
    uint64_t inner_seq;
    cf_msg_type inner_type;
    const char *owner; /* the incident's owner */
    bool garbage;      /* encrypt junk instead of an envelope */
    bool bad_wrap;     /* ncert's wrapped key is damaged */
} twist;

static const char *const honest_to[] = {"ncert", "lahore-it", NULL};
static const char secret[] = "the minister's mailbox password";

static size_t
count(const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

/* The wire bytes of a sealed message from lahore-it, twisted as told. */
static void
make_sealed(const twist *tw, cf_buf *wire)
{
    cf_body in, out;
    cf_buf body, inner, ct;
    cf_seal_to to[4];
    cf_sealed_recipient rs[4];
    size_t n_to = count(tw->to);

    memset(&in, 0, sizeof(in));
    in.type = tw->inner_type;
    in.header.federation = "pk";
    in.header.origin = "lahore-it";
    in.header.seq = tw->inner_seq;
    in.header.created_ms = 1796000000000;
    in.header.audience.nodes.v = tw->audience;
    in.header.audience.nodes.n = count(tw->audience);
    if (in.type == CF_MSG_INCIDENT) {
        in.u.incident.id = "lahore-it-1";
        in.u.incident.revision = 1;
        in.u.incident.title = secret;
        in.u.incident.tlp = 5;
        in.u.incident.owner = tw->owner;
    } else {
        static const char *const assignees[] = {"punjab"};
        in.u.tasking.id = "lahore-it-t1";
        in.u.tasking.issuer = "lahore-it";
        in.u.tasking.assignees.v = assignees;
        in.u.tasking.assignees.n = 1;
    }
    cf_buf_init(&body);
    cf_buf_init(&inner);
    cf_buf_init(&ct);
    CHECK_ST(cf_body_encode(&in, NULL, &body), CF_OK);
    if (tw->garbage)
        CHECK_ST(cf_buf_append(&inner, "not an envelope at all", 22), CF_OK);
    else
        CHECK_ST(
            cf_envelope_seal(in.type, body.data, body.len, ids[tw->inner_signer]->sign_sk, &inner),
            CF_OK);
    for (size_t i = 0; i < n_to; i++) {
        int who = strcmp(tw->to[i], "ncert") == 0   ? NCERT
                  : strcmp(tw->to[i], "sindh") == 0 ? SINDH
                                                    : LAHORE;
        to[i].node = tw->to[i];
        memcpy(to[i].box_pk, ids[who]->box_pk, CF_PK_LEN);
    }
    memset(&out, 0, sizeof(out));
    out.type = CF_MSG_SEALED;
    out.header = in.header;
    out.header.seq = 7;
    out.u.sealed.inner_type = CF_MSG_INCIDENT;
    CHECK_ST(cf_seal_encrypt(inner.data, inner.len, to, n_to, rs, out.u.sealed.nonce, &ct), CF_OK);
    for (size_t i = 0; tw->bad_wrap && i < n_to; i++)
        if (strcmp(rs[i].node, "ncert") == 0)
            rs[i].wrapped_key[10] ^= 0x40;
    out.u.sealed.recipients = rs;
    out.u.sealed.n_recipients = n_to;
    out.u.sealed.ciphertext = ct.data;
    out.u.sealed.ciphertext_len = ct.len;
    body.len = 0;
    CHECK_ST(cf_body_encode(&out, NULL, &body), CF_OK);
    CHECK_ST(cf_envelope_seal(CF_MSG_SEALED, body.data, body.len, ids[LAHORE]->sign_sk, wire),
             CF_OK);
    cf_buf_clear(&body);
    cf_buf_clear(&inner);
    cf_buf_clear(&ct);
}

/* What node `as` makes of it: cf_tlp_open's status (and the inner title). */
static cf_status
open_as(int as, const twist *tw, bool *saw_secret)
{
    cf_node_config cfg;
    cf_node_keys keys;
    cf_node n;
    cf_buf wire, inner;
    cf_message *outer = NULL, *m = NULL;
    const char *why = NULL;
    cf_status st;

    memset(&cfg, 0, sizeof(cfg));
    memset(&keys, 0, sizeof(keys));
    memset(&n, 0, sizeof(n));
    cfg.id = (char *)names[as];
    cfg.federation = "pk";
    keys.identity = ids[as];
    n.cfg = &cfg;
    n.keys = &keys;
    n.topo = topo;
    n.me = cf_topology_find(topo, names[as]);
    n.limits = cf_limits_default();
    cf_buf_init(&wire);
    cf_buf_init(&inner);
    make_sealed(tw, &wire);
    CHECK_ST(cf_envelope_open(wire.data, wire.len, NULL, CF_MSG_SEALED, "pk", 0, &outer), CF_OK);
    st = outer ? cf_tlp_open(&n, outer, &inner, &m, &why) : CF_E_MALFORMED;
    if (st != CF_OK && st != CF_E_NOT_FOUND)
        CHECK(why && why[0]);
    if (st == CF_OK) {
        CHECK(m && m->body.type == CF_MSG_INCIDENT && inner.len > 0);
        *saw_secret = m && strcmp(m->body.u.incident.title, secret) == 0;
    } else {
        CHECK(m == NULL && inner.len == 0);
    }
    cf_message_free(m);
    cf_message_free(outer);
    cf_buf_clear(&wire);
    cf_buf_clear(&inner);
    return st;
}

int
main(void)
{
    char err[256];
    bool seen = false;

    CHECK_ST(sodium_init() < 0 ? CF_E_CRYPTO : CF_OK, CF_OK);
    CHECK_ST(cf_topology_parse(topo_ini, &topo, err, sizeof(err)), CF_OK);
    for (int i = 0; i < N_IDS; i++)
        CHECK_ST(cf_identity_generate(&ids[i]), CF_OK);
    if (!topo || !ids[0] || !ids[1] || !ids[2])
        return check_done("test_node_tlp");

    const twist honest = {honest_to,       honest_to,   LAHORE, 7,
                          CF_MSG_INCIDENT, "lahore-it", false,  false};
    /* the recipients read it; the origin reads its own */
    CHECK_ST(open_as(NCERT, &honest, &seen), CF_OK);
    CHECK(seen);
    seen = false;
    CHECK_ST(open_as(LAHORE, &honest, &seen), CF_OK);
    CHECK(seen);
    /* a node that is not named is only a relay */
    CHECK_ST(open_as(SINDH, &honest, &seen), CF_E_NOT_FOUND);

    twist tw = honest;
    /* re-addressed: the outer recipients are not those the origin signed */
    static const char *const more[] = {"ncert", "sindh", "lahore-it", NULL};
    tw.to = more;
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_UNAUTHORIZED);
    CHECK_ST(open_as(SINDH, &tw, &seen), CF_E_UNAUTHORIZED); /* sindh opens, and refuses */
    /* re-wrapped: another key signed what is inside */
    tw = honest;
    tw.inner_signer = NCERT;
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_UNAUTHORIZED);
    /* another place in the stream inside than outside */
    tw = honest;
    tw.inner_seq = 8;
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_UNAUTHORIZED);
    /* another type inside than the outer one names */
    tw = honest;
    tw.inner_type = CF_MSG_TASKING;
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_WRONG_TYPE);
    /* an incident its origin may not send (someone else's) */
    tw = honest;
    tw.owner = "punjab";
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_UNAUTHORIZED);
    /* junk inside, a damaged wrapped key */
    tw = honest;
    tw.garbage = true;
    CHECK(open_as(NCERT, &tw, &seen) != CF_OK);
    tw = honest;
    tw.bad_wrap = true;
    CHECK_ST(open_as(NCERT, &tw, &seen), CF_E_CRYPTO);
    CHECK_ST(open_as(LAHORE, &tw, &seen), CF_OK); /* the others' keys are intact */

    for (int i = 0; i < N_IDS; i++)
        cf_identity_free(ids[i]);
    cf_topology_free(topo);
    return check_done("test_node_tlp");
}
