/*
 * test_keys_cert.c - member certificates, revocations, ASCII armour and the
 * trust store (keys/cert.c, keys/trust.c, keys/armor.c): a small hierarchy
 * built in memory, the exact status of every way a chain can be wrong, and
 * the table of which role may certify which.
 */
#include "check.h"
#include "harness/harness.h"
#include "keys/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FED "pk-federation"
#define OTHER_FED "other-federation"
#define NOW INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define YEAR (365 * DAY)

/* A node of the test hierarchy: its identity and its certificate. */
typedef struct member {
    cf_identity *id;
    cf_cert *cert;
} member;

/* root (node "council") -> council node, root -> ncert, ncert -> banking,
 * telecom (sectoral) and punjab (provincial), punjab -> lahore-isp. */
static member root, council, ncert, banking, telecom, punjab, lahore;

static void
member_free(member *m)
{
    cf_cert_free(m->cert);
    cf_identity_free(m->id);
    m->cert = NULL;
    m->id = NULL;
}

static void
fill_request(cf_cert_request *r, const char *fed, const char *node, cf_role role,
             const char *parent, const cf_identity *subject, int64_t nb, int64_t na)
{
    memset(r, 0, sizeof(*r));
    r->federation = fed;
    r->node = node;
    r->role = role;
    r->parent = parent;
    memcpy(r->keys.identity, subject->sign_pk, CF_PK_LEN);
    randombytes_buf(r->keys.transport, CF_PK_LEN);
    memcpy(r->keys.encryption, subject->box_pk, CF_PK_LEN);
    r->not_before_ms = nb;
    r->not_after_ms = na;
}

/* Issue a certificate through the public API; issuer->cert NULL self-signs. */
static cf_status
issue(const char *fed, const member *issuer, const char *node, cf_role role, const char *parent,
      const cf_identity *subject, int64_t nb, int64_t na, cf_cert **out)
{
    cf_cert_request r;

    fill_request(&r, fed, node, role, parent, subject, nb, na);
    return cf_cert_issue(issuer->id, issuer->cert, &r, out);
}

/* A new identity and its certificate, issued by issuer (or self-signed). */
static cf_status
make_member(member *m, const char *fed, const member *issuer, const char *node, cf_role role,
            const char *parent, int64_t nb, int64_t na)
{
    cf_status st = cf_identity_generate(&m->id);

    if (st != CF_OK)
        return st;
    if (!issuer) {
        member self = {m->id, NULL};
        return issue(fed, &self, node, role, parent, m->id, nb, na, &m->cert);
    }
    return issue(fed, issuer, node, role, parent, m->id, nb, na, &m->cert);
}

/* What a forged certificate body says; the signer is passed separately. */
typedef struct forged {
    const char *federation;
    const char *origin;
    const char *node;
    cf_role role;
    const char *parent;
    const uint8_t *subject_key;
    const uint8_t *issuer_key;
    int64_t not_before_ms;
    int64_t not_after_ms;
} forged;

static cf_status
seal(const cf_body *body, const cf_identity *signer, cf_buf *wire)
{
    cf_buf bytes;
    cf_status st;

    cf_buf_init(&bytes);
    st = cf_body_encode(body, NULL, &bytes);
    if (st == CF_OK)
        st = cf_envelope_seal(body->type, bytes.data, bytes.len, signer->sign_sk, wire);
    cf_buf_clear(&bytes);
    return st;
}

/* Craft a certificate without cf_cert_issue's checks and parse it. */
static cf_status
forge_cert(const forged *f, const cf_identity *signer, cf_cert **out)
{
    cf_body body;
    cf_member_cert *c = &body.u.cert;
    cf_buf wire;
    cf_status st;

    memset(&body, 0, sizeof(body));
    body.type = CF_MSG_MEMBER_CERT;
    body.header.federation = f->federation;
    body.header.origin = f->origin;
    body.header.created_ms = NOW;
    c->node = f->node;
    c->role = f->role;
    c->parent = f->parent;
    memcpy(c->identity_key, f->subject_key, CF_PK_LEN);
    randombytes_buf(c->transport_key, CF_PK_LEN);
    randombytes_buf(c->encryption_key, CF_PK_LEN);
    c->serial = 42;
    c->not_before_ms = f->not_before_ms;
    c->not_after_ms = f->not_after_ms;
    memcpy(c->issuer_key, f->issuer_key, CF_PK_LEN);
    cf_buf_init(&wire);
    st = seal(&body, signer, &wire);
    if (st == CF_OK)
        st = cf_cert_parse(wire.data, wire.len, out);
    cf_buf_clear(&wire);
    return st;
}

/* Craft a revocation of subject signed by signer (cf_revocation_issue refuses some). */
static cf_status
forge_revocation(const char *fed, const char *origin, const cf_identity *signer,
                 const cf_cert *subject, uint64_t last_good, cf_buf *wire)
{
    cf_body body;
    cf_revocation *r = &body.u.revocation;

    memset(&body, 0, sizeof(body));
    body.type = CF_MSG_REVOCATION;
    body.header.federation = fed;
    body.header.origin = origin;
    body.header.created_ms = NOW;
    memcpy(r->key, subject->body->identity_key, CF_PK_LEN);
    r->node = subject->body->node;
    r->serial = subject->body->serial;
    r->last_good_seq = last_good;
    r->reason = "forged";
    r->revoked_ms = NOW;
    return seal(&body, signer, wire);
}

/* Revoke subject through cf_revocation_issue and add it to t. */
static cf_status
revoke_with(cf_trust *t, const member *issuer, const cf_cert *subject, uint64_t last_good)
{
    cf_revoke_request req = {subject, last_good, "key compromise", NOW};
    cf_buf wire;
    cf_status st;

    cf_buf_init(&wire);
    st = cf_revocation_issue(issuer->id, issuer->cert, &req, &wire);
    if (st == CF_OK)
        st = cf_trust_add_revocation(t, wire.data, wire.len, NOW);
    cf_buf_clear(&wire);
    return st;
}

static bool
same_wire(const cf_cert *a, const cf_cert *b)
{
    return a && b && a->len == b->len && memcmp(a->wire, b->wire, a->len) == 0;
}

static cf_status
build_hierarchy(void)
{
    cf_status st;

    st = make_member(&root, FED, NULL, "council", CF_ROLE_ROOT, NULL, NOW - YEAR, NOW + 10 * YEAR);
    if (st == CF_OK)
        st = make_member(&council, FED, &root, "council", CF_ROLE_COUNCIL, NULL, NOW - YEAR,
                         NOW + 5 * YEAR);
    if (st == CF_OK)
        st = make_member(&ncert, FED, &root, "ncert", CF_ROLE_NCERT, "council", NOW - 30 * DAY,
                         NOW + 5 * YEAR);
    if (st == CF_OK)
        st = make_member(&banking, FED, &ncert, "banking", CF_ROLE_SECTORAL, "ncert", NOW - DAY,
                         NOW + 2 * YEAR);
    if (st == CF_OK)
        st = make_member(&telecom, FED, &ncert, "telecom", CF_ROLE_SECTORAL, "ncert", NOW - DAY,
                         NOW + 2 * YEAR);
    if (st == CF_OK)
        st = make_member(&punjab, FED, &ncert, "punjab", CF_ROLE_PROVINCIAL, "ncert", NOW - DAY,
                         NOW + 2 * YEAR);
    if (st == CF_OK)
        st = make_member(&lahore, FED, &punjab, "lahore-isp", CF_ROLE_CONSTITUENT, "punjab",
                         NOW - DAY, NOW + YEAR);
    return st;
}

/* A trust store holding the whole hierarchy, added in order at NOW. */
static cf_status
make_store(cf_trust **out)
{
    const member *order[] = {&council, &ncert, &banking, &telecom, &punjab, &lahore};
    cf_trust *t = NULL;
    cf_status st = cf_trust_new(root.cert, &t);

    for (size_t i = 0; st == CF_OK && i < CF_ARRAY_LEN(order); i++)
        st = cf_trust_add_cert(t, order[i]->cert, NOW);
    if (st != CF_OK) {
        cf_trust_free(t);
        return st;
    }
    *out = t;
    return CF_OK;
}

/* ---- the valid chain ------------------------------------------------------ */

static void
test_valid_chain(void)
{
    const member *order[] = {&council, &ncert, &banking, &telecom, &punjab, &lahore};
    const cf_cert *got = NULL;
    cf_trust *t = NULL;

    CHECK_ST(cf_trust_new(root.cert, &t), CF_OK);
    if (!t)
        return;
    CHECK(same_wire(cf_trust_root(t), root.cert));
    CHECK_STR(cf_trust_federation(t), FED);
    CHECK(cf_trust_count(t) == 1);
    for (size_t i = 0; i < CF_ARRAY_LEN(order); i++)
        CHECK_ST(cf_trust_add_cert(t, order[i]->cert, NOW), CF_OK);
    CHECK(cf_trust_count(t) == 1 + CF_ARRAY_LEN(order));
    /* adding a certificate already present is CF_OK and adds nothing */
    CHECK_ST(cf_trust_add_cert(t, banking.cert, NOW), CF_OK);
    CHECK(cf_trust_count(t) == 1 + CF_ARRAY_LEN(order));

    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 1, NOW, &got), CF_OK);
    CHECK(same_wire(got, banking.cert));
    if (got) {
        CHECK_STR(got->body->node, "banking");
        CHECK(got->body->role == CF_ROLE_SECTORAL);
        CHECK_STR(got->body->parent, "ncert");
    }
    got = NULL;
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 7, NOW, &got), CF_OK);
    CHECK(same_wire(got, lahore.cert));
    CHECK_ST(cf_trust_check_signer(t, root.id->sign_pk, 1, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, council.id->sign_pk, 1, NOW, NULL), CF_OK);
    for (size_t i = 0; i < CF_ARRAY_LEN(order); i++)
        CHECK_ST(cf_trust_check_cert(t, order[i]->cert, NOW), CF_OK);

    /* a key the store does not know */
    {
        cf_identity *stranger = NULL;
        CHECK_ST(cf_identity_generate(&stranger), CF_OK);
        if (stranger)
            CHECK_ST(cf_trust_check_signer(t, stranger->sign_pk, 1, NOW, NULL),
                     CF_E_UNKNOWN_SIGNER);
        cf_identity_free(stranger);
    }

    /* look-ups: the Council's node id names both the root and the Council
     * node; find_node returns the node, not the root */
    CHECK(same_wire(cf_trust_find_node(t, "council", NOW), council.cert));
    CHECK(same_wire(cf_trust_find_node(t, "banking", NOW), banking.cert));
    CHECK(cf_trust_find_node(t, "sindh", NOW) == NULL);
    CHECK(same_wire(cf_trust_find_key(t, punjab.id->sign_pk), punjab.cert));
    CHECK(!cf_trust_is_revoked(t, banking.id->sign_pk, NULL));

    /* certificates are stand-alone documents from the issuer's node */
    CHECK(banking.cert->msg->body.header.seq == 0);
    CHECK_STR(banking.cert->msg->body.header.origin, "ncert");
    CHECK_STR(council.cert->msg->body.header.origin, "council");
    CHECK_STR(council.cert->body->parent, "");
    CHECK(memcmp(banking.cert->body->issuer_key, ncert.id->sign_pk, CF_PK_LEN) == 0);
    CHECK(memcmp(banking.cert->body->encryption_key, banking.id->box_pk, CF_PK_LEN) == 0);
    CHECK_STR(banking.cert->federation, FED);
    cf_trust_free(t);
}

/* ---- validity windows ----------------------------------------------------- */

static void
test_validity(void)
{
    cf_trust *t = NULL;
    member old = {0}, early = {0}, ncert2 = {0}, energy = {0}, oil = {0}, wapda = {0};

    CHECK_ST(make_store(&t), CF_OK);
    if (!t)
        return;
    /* a certificate whose window closed a year ago */
    CHECK_ST(make_member(&old, FED, &ncert, "old-bank", CF_ROLE_SECTORAL, "ncert", NOW - 2 * YEAR,
                         NOW - YEAR),
             CF_OK);
    if (old.cert) {
        CHECK_ST(cf_trust_add_cert(t, old.cert, NOW), CF_E_EXPIRED);
        CHECK_ST(cf_trust_check_cert(t, old.cert, NOW), CF_E_EXPIRED);
    }
    /* a certificate that starts tomorrow */
    CHECK_ST(make_member(&early, FED, &ncert, "early-bank", CF_ROLE_SECTORAL, "ncert", NOW + DAY,
                         NOW + YEAR),
             CF_OK);
    if (early.cert) {
        CHECK_ST(cf_trust_add_cert(t, early.cert, NOW), CF_E_NOT_YET_VALID);
        CHECK_ST(cf_trust_check_cert(t, early.cert, NOW), CF_E_NOT_YET_VALID);
        CHECK(cf_trust_find_key(t, early.id->sign_pk) == NULL);
        CHECK_ST(cf_trust_add_cert(t, early.cert, NOW + 2 * DAY), CF_OK);
    }
    /* the whole hierarchy at a time its certificates have not reached */
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 1, NOW - 2 * DAY, NULL),
             CF_E_NOT_YET_VALID);
    /* ... and after the root itself has expired */
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 1, NOW + 20 * YEAR, NULL), CF_E_EXPIRED);
    CHECK_ST(cf_trust_check_signer(t, root.id->sign_pk, 1, NOW + 20 * YEAR, NULL), CF_E_EXPIRED);

    /* a valid leaf whose issuer expires first: an NCERT key good for an hour
     * certifies a sector for a year */
    CHECK_ST(
        make_member(&ncert2, FED, &root, "ncert", CF_ROLE_NCERT, "council", NOW - DAY, NOW + HOUR),
        CF_OK);
    CHECK_ST(make_member(&energy, FED, &ncert2, "energy", CF_ROLE_SECTORAL, "ncert", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    CHECK_ST(
        make_member(&oil, FED, &ncert2, "oil", CF_ROLE_SECTORAL, "ncert", NOW - DAY, NOW + YEAR),
        CF_OK);
    CHECK_ST(make_member(&wapda, FED, &energy, "wapda", CF_ROLE_CONSTITUENT, "energy", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    if (ncert2.cert && energy.cert && oil.cert && wapda.cert) {
        CHECK_ST(cf_trust_add_cert(t, ncert2.cert, NOW), CF_OK);
        CHECK_ST(cf_trust_add_cert(t, energy.cert, NOW), CF_OK);
        CHECK_ST(cf_trust_add_cert(t, wapda.cert, NOW), CF_OK);
        CHECK_ST(cf_trust_check_signer(t, energy.id->sign_pk, 3, NOW, NULL), CF_OK);
        /* two hours later the issuer has expired, the leaf has not */
        CHECK_ST(cf_trust_check_cert(t, energy.cert, NOW + 2 * HOUR), CF_E_EXPIRED);
        CHECK_ST(cf_trust_check_signer(t, energy.id->sign_pk, 3, NOW + 2 * HOUR, NULL),
                 CF_E_EXPIRED);
        CHECK_ST(cf_trust_check_cert(t, wapda.cert, NOW + 2 * HOUR), CF_E_EXPIRED);
        CHECK_ST(cf_trust_add_cert(t, oil.cert, NOW + 2 * HOUR), CF_E_EXPIRED);
        CHECK(cf_trust_find_key(t, oil.id->sign_pk) == NULL);
        /* the other branch is unaffected */
        CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 3, NOW + 2 * HOUR, NULL), CF_OK);
    }
    member_free(&old);
    member_free(&early);
    member_free(&ncert2);
    member_free(&energy);
    member_free(&oil);
    member_free(&wapda);
    cf_trust_free(t);
}

/* ---- a national-size store ------------------------------------------------ */

/* Hundreds of certificates (lookups go through the store's index by key):
 * every key finds its own certificate and chain, an unknown key none, and of
 * two certificates of one key the newest valid one wins, whichever came
 * first. */
static void
test_many_certs(void)
{
    enum { MANY = 300 };
    member *m = calloc(MANY, sizeof(*m));
    cf_trust *t = NULL, *t2 = NULL;
    cf_cert *renewal = NULL;
    const cf_cert *got = NULL;
    uint8_t stranger[CF_PK_LEN];

    CHECK_ST(make_store(&t), CF_OK);
    CHECK(m != NULL);
    if (!t || !m)
        goto out;
    for (size_t i = 0; i < MANY; i++) {
        char node[32];
        snprintf(node, sizeof(node), "isp-%zu", i);
        CHECK_ST(make_member(&m[i], FED, &punjab, node, CF_ROLE_CONSTITUENT, "punjab", NOW - DAY,
                             NOW + YEAR),
                 CF_OK);
        if (m[i].cert)
            CHECK_ST(cf_trust_add_cert(t, m[i].cert, NOW), CF_OK);
    }
    CHECK(cf_trust_count(t) == 7 + MANY);
    for (size_t i = 0; i < MANY; i++) {
        if (!m[i].cert)
            continue;
        got = NULL;
        CHECK_ST(cf_trust_check_signer(t, m[i].id->sign_pk, 1, NOW, &got), CF_OK);
        CHECK(got && same_wire(got, m[i].cert));
    }
    /* the hierarchy's own keys are still found among them */
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 1, NOW, &got), CF_OK);
    CHECK(got && same_wire(got, lahore.cert));
    randombytes_buf(stranger, sizeof(stranger));
    CHECK_ST(cf_trust_check_signer(t, stranger, 1, NOW, NULL), CF_E_UNKNOWN_SIGNER);

    /* a renewal of isp-7's key: valid from NOW, for two years */
    CHECK_ST(issue(FED, &punjab, "isp-7", CF_ROLE_CONSTITUENT, "punjab", m[7].id, NOW,
                   NOW + 2 * YEAR, &renewal),
             CF_OK);
    if (!renewal)
        goto out;
    CHECK_ST(cf_trust_add_cert(t, renewal, NOW), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, m[7].id->sign_pk, 1, NOW + HOUR, &got), CF_OK);
    CHECK(got && same_wire(got, renewal));
    /* before the renewal starts, the first one */
    CHECK_ST(cf_trust_check_signer(t, m[7].id->sign_pk, 1, NOW - HOUR, &got), CF_OK);
    CHECK(got && same_wire(got, m[7].cert));
    /* the renewal first, then the first certificate: the same answers */
    CHECK_ST(make_store(&t2), CF_OK);
    if (t2) {
        CHECK_ST(cf_trust_add_cert(t2, renewal, NOW), CF_OK);
        CHECK_ST(cf_trust_add_cert(t2, m[7].cert, NOW), CF_OK);
        CHECK_ST(cf_trust_check_signer(t2, m[7].id->sign_pk, 1, NOW + HOUR, &got), CF_OK);
        CHECK(got && same_wire(got, renewal));
        CHECK_ST(cf_trust_check_signer(t2, m[7].id->sign_pk, 1, NOW - HOUR, &got), CF_OK);
        CHECK(got && same_wire(got, m[7].cert));
    }
out:
    cf_cert_free(renewal);
    for (size_t i = 0; m && i < MANY; i++)
        member_free(&m[i]);
    free(m);
    cf_trust_free(t);
    cf_trust_free(t2);
}

/* ---- wrong issuers -------------------------------------------------------- */

static void
test_wrong_issuer(void)
{
    cf_trust *t = NULL;
    cf_identity *rogue = NULL, *fake_bank = NULL;
    cf_cert *c = NULL;
    size_t count;

    CHECK_ST(make_store(&t), CF_OK);
    CHECK_ST(cf_identity_generate(&rogue), CF_OK);
    CHECK_ST(cf_identity_generate(&fake_bank), CF_OK);
    if (!t || !rogue || !fake_bank)
        goto out;
    count = cf_trust_count(t);

    /* a certificate for banking that names and is signed by a key the store
     * does not know: a well-formed document, but no chain */
    {
        forged f = {FED,
                    "ncert",
                    "banking",
                    CF_ROLE_SECTORAL,
                    "ncert",
                    fake_bank->sign_pk,
                    rogue->sign_pk,
                    NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, rogue, &c), CF_OK);
        if (c) {
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_BAD_CHAIN);
            CHECK_ST(cf_trust_check_cert(t, c, NOW), CF_E_BAD_CHAIN);
            CHECK(cf_trust_count(t) == count);
            CHECK_ST(cf_trust_check_signer(t, fake_bank->sign_pk, 1, NOW, NULL),
                     CF_E_UNKNOWN_SIGNER);
        }
        cf_cert_free(c);
        c = NULL;
    }
    /* the body claims NCERT as issuer but another key signed it */
    {
        forged f = {FED,
                    "ncert",
                    "banking",
                    CF_ROLE_SECTORAL,
                    "ncert",
                    fake_bank->sign_pk,
                    ncert.id->sign_pk,
                    NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, rogue, &c), CF_E_BAD_SIGNATURE);
        CHECK(c == NULL);
        /* signed by the subject itself while naming NCERT */
        CHECK_ST(forge_cert(&f, fake_bank, &c), CF_E_BAD_SIGNATURE);
        CHECK(c == NULL);
    }
    /* cf_cert_issue refuses an issuer certificate that is not the issuer's */
    {
        member liar = {rogue, ncert.cert};
        CHECK_ST(issue(FED, &liar, "fake-bank", CF_ROLE_SECTORAL, "ncert", fake_bank, NOW - DAY,
                       NOW + YEAR, &c),
                 CF_E_INVALID_ARG);
        CHECK(c == NULL);
    }
    /* a flipped byte anywhere in a real certificate is refused */
    {
        uint8_t *copy = malloc(banking.cert->len);
        if (copy) {
            size_t refused = 0;
            for (size_t i = 0; i < banking.cert->len; i++) {
                memcpy(copy, banking.cert->wire, banking.cert->len);
                copy[i] ^= 0x01;
                if (cf_cert_parse(copy, banking.cert->len, &c) != CF_OK)
                    refused++;
                cf_cert_free(c);
                c = NULL;
            }
            if (refused != banking.cert->len)
                fprintf(stderr, "%zu of %zu one-bit changes were accepted\n",
                        banking.cert->len - refused, banking.cert->len);
            CHECK(refused == banking.cert->len);
            free(copy);
        }
    }
out:
    cf_identity_free(rogue);
    cf_identity_free(fake_bank);
    cf_trust_free(t);
}

/* ---- revocations ---------------------------------------------------------- */

static void
test_revocation(void)
{
    cf_trust *t = NULL;
    member hbl = {0};
    uint64_t last_good = 0;

    CHECK_ST(make_store(&t), CF_OK);
    if (!t)
        return;
    CHECK_ST(revoke_with(t, &ncert, banking.cert, 10), CF_OK);
    CHECK(cf_trust_is_revoked(t, banking.id->sign_pk, &last_good));
    CHECK(last_good == 10);
    /* messages up to the last good sequence number stay valid */
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 1, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 10, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 11, NOW, NULL), CF_E_REVOKED);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, UINT64_MAX, NOW, NULL), CF_E_REVOKED);
    /* seq 0 is a stand-alone document, which a revoked key may no longer sign */
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 0, NOW, NULL), CF_E_REVOKED);
    CHECK_ST(cf_trust_check_cert(t, banking.cert, NOW), CF_E_REVOKED);
    CHECK(cf_trust_find_node(t, "banking", NOW) == NULL);
    /* siblings are unaffected */
    CHECK_ST(cf_trust_check_signer(t, telecom.id->sign_pk, 11, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 11, NOW, NULL), CF_OK);

    /* a constituent under the revoked sector, certified after the revocation */
    CHECK_ST(make_member(&hbl, FED, &banking, "hbl", CF_ROLE_CONSTITUENT, "banking", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    if (hbl.cert) {
        CHECK_ST(cf_trust_check_cert(t, hbl.cert, NOW), CF_E_REVOKED);
        CHECK_ST(cf_trust_add_cert(t, hbl.cert, NOW), CF_E_REVOKED);
        CHECK(cf_trust_find_key(t, hbl.id->sign_pk) == NULL);
    }

    /* a later revocation cannot widen the cut-off; an earlier one narrows it */
    CHECK_ST(revoke_with(t, &ncert, banking.cert, 20), CF_OK);
    CHECK(cf_trust_is_revoked(t, banking.id->sign_pk, &last_good) && last_good == 10);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 11, NOW, NULL), CF_E_REVOKED);
    CHECK_ST(revoke_with(t, &root, banking.cert, 5), CF_OK);
    CHECK(cf_trust_is_revoked(t, banking.id->sign_pk, &last_good) && last_good == 5);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 5, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 6, NOW, NULL), CF_E_REVOKED);
    member_free(&hbl);
    cf_trust_free(t);

    /* a constituent already in the store when its intermediate is revoked */
    t = NULL;
    CHECK_ST(make_store(&t), CF_OK);
    if (!t)
        return;
    CHECK_ST(revoke_with(t, &ncert, punjab.cert, 3), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, punjab.id->sign_pk, 3, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, punjab.id->sign_pk, 4, NOW, NULL), CF_E_REVOKED);
    CHECK_ST(cf_trust_check_cert(t, lahore.cert, NOW), CF_E_REVOKED);
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 1, NOW, NULL), CF_E_REVOKED);
    /* punjab keeps its place in the hierarchy (for its messages up to the
     * last good one, and for a new key); lahore, certified by the revoked
     * key, has none */
    CHECK(cf_trust_find_node(t, "punjab", NOW) == NULL);
    CHECK(same_wire(cf_trust_find_place(t, "punjab", NOW), punjab.cert));
    CHECK(cf_trust_find_place(t, "lahore-isp", NOW) == NULL);
    CHECK(cf_trust_revoked_count(t) == 1);
    /* the province certified again with a new key is the node's place */
    {
        member punjab2 = {0};
        CHECK_ST(make_member(&punjab2, FED, &ncert, "punjab", CF_ROLE_PROVINCIAL, "ncert",
                             NOW - HOUR, NOW + YEAR),
                 CF_OK);
        if (punjab2.cert) {
            CHECK_ST(cf_trust_add_cert(t, punjab2.cert, NOW), CF_OK);
            CHECK(same_wire(cf_trust_find_node(t, "punjab", NOW), punjab2.cert));
            CHECK(same_wire(cf_trust_find_place(t, "punjab", NOW), punjab2.cert));
            CHECK_ST(cf_trust_check_signer(t, punjab2.id->sign_pk, 4, NOW, NULL), CF_OK);
            CHECK_ST(cf_trust_check_signer(t, punjab.id->sign_pk, 4, NOW, NULL), CF_E_REVOKED);
        }
        member_free(&punjab2);
    }
    /* the revoked provincial can no longer sign a (seq 0) revocation */
    {
        cf_buf wire;
        cf_buf_init(&wire);
        CHECK_ST(forge_revocation(FED, "punjab", punjab.id, lahore.cert, 0, &wire), CF_OK);
        CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_REVOKED);
        cf_buf_clear(&wire);
        CHECK(!cf_trust_is_revoked(t, lahore.id->sign_pk, NULL));
    }
    cf_trust_free(t);
}

static void
test_revocation_authority(void)
{
    cf_trust *t = NULL;
    cf_identity *rogue = NULL;
    cf_cert *ghost = NULL;
    cf_buf wire;
    cf_revoke_request req = {banking.cert, 10, "sibling rivalry", NOW};

    cf_buf_init(&wire);
    CHECK_ST(make_store(&t), CF_OK);
    CHECK_ST(cf_identity_generate(&rogue), CF_OK);
    if (!t || !rogue)
        goto out;

    /* a sibling may not revoke: cf_revocation_issue refuses, and a crafted
     * revocation is refused by the store */
    CHECK_ST(cf_revocation_issue(telecom.id, telecom.cert, &req, &wire), CF_E_UNAUTHORIZED);
    CHECK(wire.len == 0);
    cf_buf_clear(&wire);
    CHECK_ST(forge_revocation(FED, "telecom", telecom.id, banking.cert, 10, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNAUTHORIZED);
    CHECK(!cf_trust_is_revoked(t, banking.id->sign_pk, NULL));
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 11, NOW, NULL), CF_OK);
    cf_buf_clear(&wire);

    /* nor may a child revoke its parent, nor a provincial a sector */
    CHECK_ST(forge_revocation(FED, "lahore-isp", lahore.id, punjab.cert, 0, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNAUTHORIZED);
    cf_buf_clear(&wire);
    CHECK_ST(forge_revocation(FED, "punjab", punjab.id, banking.cert, 0, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNAUTHORIZED);
    cf_buf_clear(&wire);
    CHECK(!cf_trust_is_revoked(t, punjab.id->sign_pk, NULL));
    CHECK(!cf_trust_is_revoked(t, banking.id->sign_pk, NULL));

    /* an unknown signer, another federation, an unknown subject */
    CHECK_ST(forge_revocation(FED, "ncert", rogue, banking.cert, 0, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNKNOWN_SIGNER);
    cf_buf_clear(&wire);
    CHECK_ST(forge_revocation(OTHER_FED, "ncert", ncert.id, banking.cert, 0, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_WRONG_FEDERATION);
    cf_buf_clear(&wire);
    CHECK_ST(issue(FED, &ncert, "ghost", CF_ROLE_SECTORAL, "ncert", rogue, NOW - DAY, NOW + YEAR,
                   &ghost),
             CF_OK);
    if (ghost) {
        CHECK_ST(forge_revocation(FED, "ncert", ncert.id, ghost, 0, &wire), CF_OK);
        CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_NOT_FOUND);
        cf_buf_clear(&wire);
    }
    /* a certificate is not a revocation */
    CHECK_ST(cf_trust_add_revocation(t, banking.cert->wire, banking.cert->len, NOW),
             CF_E_WRONG_TYPE);
    CHECK(!cf_trust_is_revoked(t, banking.id->sign_pk, NULL));
    CHECK(!cf_trust_is_revoked(t, rogue->sign_pk, NULL));

    /* any ancestor may revoke: NCERT revokes a constituent two levels down
     * (crafted: cf_revocation_issue checks only the direct issuer and the root
     * offline), and the root revokes anything */
    CHECK_ST(forge_revocation(FED, "ncert", ncert.id, lahore.cert, 2, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_OK);
    cf_buf_clear(&wire);
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 3, NOW, NULL), CF_E_REVOKED);
    CHECK_ST(revoke_with(t, &root, telecom.cert, 0), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, telecom.id->sign_pk, 1, NOW, NULL), CF_E_REVOKED);
out:
    cf_buf_clear(&wire);
    cf_cert_free(ghost);
    cf_identity_free(rogue);
    cf_trust_free(t);
}

/* ---- roles and parents ---------------------------------------------------- */

static void
test_role_violations(void)
{
    cf_trust *t = NULL;
    cf_identity *subject = NULL;
    cf_cert *c = NULL;

    CHECK_ST(make_store(&t), CF_OK);
    CHECK_ST(cf_identity_generate(&subject), CF_OK);
    if (!t || !subject)
        goto out;

    /* a provincial certifying a sector: refused when issuing ... */
    CHECK_ST(issue(FED, &punjab, "fake-bank", CF_ROLE_SECTORAL, "punjab", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    /* ... and when forced past cf_cert_issue */
    {
        forged f = {FED,       "punjab",         "fake-bank",        CF_ROLE_SECTORAL,
                    "punjab",  subject->sign_pk, punjab.id->sign_pk, NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, punjab.id, &c), CF_OK);
        if (c) {
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
            CHECK_ST(cf_trust_check_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        }
        cf_cert_free(c);
        c = NULL;
    }
    /* the parent field must name the issuer's node */
    CHECK_ST(issue(FED, &punjab, "multan-isp", CF_ROLE_CONSTITUENT, "sindh", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    CHECK_ST(issue(FED, &punjab, "multan-isp", CF_ROLE_CONSTITUENT, NULL, subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    {
        forged f = {FED,       "punjab",         "multan-isp",       CF_ROLE_CONSTITUENT,
                    "sindh",   subject->sign_pk, punjab.id->sign_pk, NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, punjab.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
        /* parent "ncert" is a real node, but not this issuer */
        f.parent = "ncert";
        CHECK_ST(forge_cert(&f, punjab.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
    }
    /* NCERT's parent must be the root's node id; the Council node is the
     * root's own node id and has no parent */
    CHECK_ST(issue(FED, &root, "ncert", CF_ROLE_NCERT, "ncert", subject, NOW - DAY, NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    CHECK_ST(issue(FED, &root, "council", CF_ROLE_COUNCIL, "council", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    CHECK_ST(
        issue(FED, &root, "cabinet", CF_ROLE_COUNCIL, NULL, subject, NOW - DAY, NOW + YEAR, &c),
        CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    /* NCERT may not certify constituents directly, nor the root sectors */
    CHECK_ST(issue(FED, &ncert, "direct-isp", CF_ROLE_CONSTITUENT, "ncert", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK_ST(issue(FED, &root, "banking", CF_ROLE_SECTORAL, "council", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_UNAUTHORIZED);
    CHECK(c == NULL);
    /* the Council's node (not the root) certifies nothing, although it has
     * the root's node id */
    {
        forged f = {FED,
                    "council",
                    "ncert",
                    CF_ROLE_NCERT,
                    "council",
                    subject->sign_pk,
                    council.id->sign_pk,
                    NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, council.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
    }
    /* a constituent certifies nothing; a sector certifies no sector */
    {
        forged f = {FED,          "lahore-isp",     "sub-isp",          CF_ROLE_CONSTITUENT,
                    "lahore-isp", subject->sign_pk, lahore.id->sign_pk, NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, lahore.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
        f.origin = "banking";
        f.node = "sub-bank";
        f.role = CF_ROLE_SECTORAL;
        f.parent = "banking";
        f.issuer_key = banking.id->sign_pk;
        CHECK_ST(forge_cert(&f, banking.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
    }
    /* arguments cf_cert_issue refuses outright */
    CHECK_ST(issue(FED, &punjab, "Bad Node", CF_ROLE_CONSTITUENT, "punjab", subject, NOW - DAY,
                   NOW + YEAR, &c),
             CF_E_INVALID_ARG);
    CHECK_ST(
        issue(FED, &punjab, "multan-isp", CF_ROLE_CONSTITUENT, "punjab", subject, NOW, NOW, &c),
        CF_E_INVALID_ARG);
    {
        member self = {subject, NULL};
        CHECK_ST(
            issue(FED, &self, "council", CF_ROLE_NCERT, NULL, subject, NOW - DAY, NOW + YEAR, &c),
            CF_E_INVALID_ARG);
        /* a self-signed root must carry the signer's own key */
        CHECK_ST(
            issue(FED, &self, "council", CF_ROLE_ROOT, NULL, punjab.id, NOW - DAY, NOW + YEAR, &c),
            CF_E_INVALID_ARG);
    }
    CHECK(c == NULL);
    CHECK(cf_trust_count(t) == 7);
out:
    cf_cert_free(c);
    cf_identity_free(subject);
    cf_trust_free(t);
}

/*
 * Public keys are public: a provincial can certify a constituent that
 * carries someone else's identity key (here NCERT's, then the root's) with a
 * later not_before. That certificate must not change what the other key
 * means, nor break the chains that pass through it. Refusing it is as good as
 * accepting it harmlessly, so its own status is not checked.
 */
static void
test_key_reuse(const member *victim, const char *mirror_node)
{
    cf_trust *t = NULL;
    cf_cert *mirror = NULL;
    const cf_cert *got = NULL;
    member agri = {0};
    cf_status st;

    CHECK_ST(make_store(&t), CF_OK);
    if (!t)
        return;
    CHECK_ST(issue(FED, &punjab, mirror_node, CF_ROLE_CONSTITUENT, "punjab", victim->id, NOW - HOUR,
                   NOW + YEAR, &mirror),
             CF_OK);
    if (!mirror)
        goto out;
    st = cf_trust_add_cert(t, mirror, NOW);
    /* one key belongs to one place in the hierarchy */
    CHECK_ST(st, CF_E_UNAUTHORIZED);

    CHECK_ST(cf_trust_check_signer(t, victim->id->sign_pk, 1, NOW, &got), CF_OK);
    CHECK(same_wire(got, victim->cert));
    CHECK(same_wire(cf_trust_find_key(t, victim->id->sign_pk), victim->cert));
    CHECK_ST(cf_trust_check_cert(t, council.cert, NOW), CF_OK);
    CHECK_ST(cf_trust_check_cert(t, banking.cert, NOW), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 1, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 1, NOW, NULL), CF_OK);
    CHECK_ST(make_member(&agri, FED, &ncert, "agriculture", CF_ROLE_SECTORAL, "ncert", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    if (agri.cert)
        CHECK_ST(cf_trust_add_cert(t, agri.cert, NOW), CF_OK);
out:
    member_free(&agri);
    cf_cert_free(mirror);
    cf_trust_free(t);
}

/* ---- roots and federations -------------------------------------------------- */

/* ---- one key and one name, one place (review findings H1, H2) -------------- */

static void
test_place_binding(void)
{
    cf_trust *t = NULL;
    cf_cert *c = NULL;
    cf_identity *fresh = NULL;
    cf_buf wire;
    const cf_cert *got = NULL;

    CHECK_ST(make_store(&t), CF_OK);
    if (!t)
        return;
    cf_buf_init(&wire);

    /* telecom certifies lahore-isp's real key as its own constituent: refused,
     * so telecom can neither shadow nor revoke the real lahore-isp */
    CHECK_ST(issue(FED, &telecom, "lahore-isp", CF_ROLE_CONSTITUENT, "telecom", lahore.id,
                   NOW - HOUR, NOW + YEAR, &c),
             CF_OK);
    if (c)
        CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
    cf_cert_free(c);
    c = NULL;
    CHECK_ST(forge_revocation(FED, "telecom", telecom.id, lahore.cert, 0, &wire), CF_OK);
    CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNAUTHORIZED);
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 5, NOW, &got), CF_OK);
    CHECK(same_wire(got, lahore.cert));

    /* a short-lived conflicting certificate cannot leave the key "expired" */
    CHECK_ST(issue(FED, &telecom, "lahore-isp", CF_ROLE_CONSTITUENT, "telecom", lahore.id,
                   NOW - HOUR, NOW + 1000, &c),
             CF_OK);
    if (c)
        CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
    cf_cert_free(c);
    c = NULL;
    CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 5, NOW + DAY, NULL), CF_OK);

    /* banking certifies a key of its own under the name lahore-isp: refused */
    CHECK_ST(cf_identity_generate(&fresh), CF_OK);
    if (fresh) {
        CHECK_ST(issue(FED, &banking, "lahore-isp", CF_ROLE_CONSTITUENT, "banking", fresh,
                       NOW - HOUR, NOW + YEAR, &c),
                 CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
        /* nor may a constituent be called "council" or "ncert" */
        CHECK_ST(issue(FED, &banking, "council", CF_ROLE_CONSTITUENT, "banking", fresh, NOW - HOUR,
                       NOW + YEAR, &c),
                 CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
        CHECK_ST(issue(FED, &banking, "ncert", CF_ROLE_CONSTITUENT, "banking", fresh, NOW - HOUR,
                       NOW + YEAR, &c),
                 CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
        cf_cert_free(c);
        c = NULL;
        /* the real parent re-certifying the same name with a new key is fine */
        CHECK_ST(issue(FED, &punjab, "lahore-isp", CF_ROLE_CONSTITUENT, "punjab", fresh, NOW - HOUR,
                       NOW + YEAR, &c),
                 CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_OK);
        cf_cert_free(c);
        c = NULL;
    }

    /* a revocation must name the node whose key it revokes */
    {
        cf_body body;
        cf_revocation *r = &body.u.revocation;
        memset(&body, 0, sizeof(body));
        body.type = CF_MSG_REVOCATION;
        body.header.federation = FED;
        body.header.origin = "ncert";
        body.header.created_ms = NOW;
        memcpy(r->key, banking.cert->body->identity_key, CF_PK_LEN);
        r->node = "telecom";
        r->reason = "mislabelled";
        r->revoked_ms = NOW;
        wire.len = 0;
        CHECK_ST(seal(&body, ncert.id, &wire), CF_OK);
        CHECK_ST(cf_trust_add_revocation(t, wire.data, wire.len, NOW), CF_E_UNAUTHORIZED);
        CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 5, NOW, NULL), CF_OK);
    }

    /* a node certificate whose transport key is its identity key is refused */
    {
        cf_cert_request r;
        fill_request(&r, FED, "energy", CF_ROLE_SECTORAL, "ncert", fresh ? fresh : lahore.id,
                     NOW - HOUR, NOW + YEAR);
        memcpy(r.keys.transport, r.keys.identity, CF_PK_LEN);
        CHECK_ST(cf_cert_issue(ncert.id, ncert.cert, &r, &c), CF_E_INVALID_ARG);
        cf_cert_free(c);
        c = NULL;
    }
    cf_identity_free(fresh);
    cf_buf_clear(&wire);
    cf_trust_free(t);
}

static void
test_foreign_roots(void)
{
    cf_trust *t = NULL, *t2 = NULL;
    member root2 = {0}, ncert2 = {0}, bank2 = {0}, root3 = {0}, ncert3 = {0}, rotated = {0},
           ncert4 = {0};
    cf_cert *c = NULL;
    cf_identity *subject = NULL;

    CHECK_ST(make_store(&t), CF_OK);
    CHECK_ST(cf_identity_generate(&subject), CF_OK);
    if (!t || !subject)
        goto out;

    /* a second self-signed root of the same federation, and its chain */
    CHECK_ST(
        make_member(&root2, FED, NULL, "council", CF_ROLE_ROOT, NULL, NOW - YEAR, NOW + 10 * YEAR),
        CF_OK);
    CHECK_ST(
        make_member(&ncert2, FED, &root2, "ncert", CF_ROLE_NCERT, "council", NOW - DAY, NOW + YEAR),
        CF_OK);
    CHECK_ST(make_member(&bank2, FED, &ncert2, "banking", CF_ROLE_SECTORAL, "ncert", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    if (root2.cert && ncert2.cert && bank2.cert) {
        CHECK_ST(cf_trust_add_cert(t, root2.cert, NOW), CF_E_BAD_CHAIN);
        CHECK_ST(cf_trust_add_cert(t, ncert2.cert, NOW), CF_E_BAD_CHAIN);
        CHECK_ST(cf_trust_add_cert(t, bank2.cert, NOW), CF_E_BAD_CHAIN);
        CHECK_ST(cf_trust_check_cert(t, ncert2.cert, NOW), CF_E_BAD_CHAIN);
        CHECK(cf_trust_count(t) == 7);
        CHECK_ST(cf_trust_check_signer(t, ncert2.id->sign_pk, 1, NOW, NULL), CF_E_UNKNOWN_SIGNER);
        /* and the other way round */
        CHECK_ST(cf_trust_new(root2.cert, &t2), CF_OK);
        if (t2) {
            CHECK_ST(cf_trust_add_cert(t2, ncert.cert, NOW), CF_E_BAD_CHAIN);
            CHECK_ST(cf_trust_add_cert(t2, ncert2.cert, NOW), CF_OK);
        }
    }

    /* only a self-signed root can anchor a store */
    {
        cf_trust *bad = NULL;
        CHECK_ST(cf_trust_new(ncert.cert, &bad), CF_E_BAD_CHAIN);
        CHECK_ST(cf_trust_new(council.cert, &bad), CF_E_BAD_CHAIN);
        CHECK_ST(cf_trust_new(lahore.cert, &bad), CF_E_BAD_CHAIN);
        CHECK(bad == NULL);
        /* self-signed, but not a root */
        forged f = {FED,       "ncert",          "ncert",          CF_ROLE_NCERT,
                    "council", subject->sign_pk, subject->sign_pk, NOW - DAY,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, subject, &c), CF_OK);
        if (c) {
            CHECK_ST(cf_trust_new(c, &bad), CF_E_BAD_CHAIN);
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_BAD_CHAIN);
        }
        cf_cert_free(c);
        c = NULL;
        CHECK(bad == NULL);
        cf_trust_free(bad);
    }

    /* root rotation: the root certifies a new root key (same node, no
     * parent), which is not self-signed and so anchors nothing itself, but
     * chains to the configured root */
    CHECK_ST(make_member(&rotated, FED, &root, "council", CF_ROLE_ROOT, NULL, NOW - DAY,
                         NOW + 10 * YEAR),
             CF_OK);
    if (rotated.cert) {
        cf_trust *bad = NULL;
        CHECK_ST(cf_trust_new(rotated.cert, &bad), CF_E_BAD_CHAIN);
        CHECK(bad == NULL);
        cf_trust_free(bad);
        CHECK_ST(cf_trust_add_cert(t, rotated.cert, NOW), CF_OK);
        CHECK_ST(make_member(&ncert4, FED, &rotated, "ncert", CF_ROLE_NCERT, "council", NOW - DAY,
                             NOW + YEAR),
                 CF_OK);
        if (ncert4.cert)
            CHECK_ST(cf_trust_add_cert(t, ncert4.cert, NOW), CF_OK);
    }

    /* a chain of another federation */
    CHECK_ST(make_member(&root3, OTHER_FED, NULL, "council", CF_ROLE_ROOT, NULL, NOW - YEAR,
                         NOW + 10 * YEAR),
             CF_OK);
    CHECK_ST(make_member(&ncert3, OTHER_FED, &root3, "ncert", CF_ROLE_NCERT, "council", NOW - DAY,
                         NOW + YEAR),
             CF_OK);
    if (root3.cert && ncert3.cert) {
        CHECK_STR(ncert3.cert->federation, OTHER_FED);
        CHECK_ST(cf_trust_add_cert(t, root3.cert, NOW), CF_E_WRONG_FEDERATION);
        CHECK_ST(cf_trust_add_cert(t, ncert3.cert, NOW), CF_E_WRONG_FEDERATION);
        CHECK_ST(cf_trust_check_cert(t, ncert3.cert, NOW), CF_E_WRONG_FEDERATION);
    }
    /* our own NCERT signing for another federation */
    {
        forged f = {OTHER_FED,        "ncert",           "banking", CF_ROLE_SECTORAL, "ncert",
                    subject->sign_pk, ncert.id->sign_pk, NOW - DAY, NOW + YEAR};
        CHECK_ST(forge_cert(&f, ncert.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_WRONG_FEDERATION);
        cf_cert_free(c);
        c = NULL;
        CHECK_ST(issue(OTHER_FED, &ncert, "banking", CF_ROLE_SECTORAL, "ncert", subject, NOW - DAY,
                       NOW + YEAR, &c),
                 CF_E_INVALID_ARG);
        CHECK(c == NULL);
    }
out:
    member_free(&root2);
    member_free(&ncert2);
    member_free(&bank2);
    member_free(&root3);
    member_free(&ncert3);
    member_free(&rotated);
    member_free(&ncert4);
    cf_identity_free(subject);
    cf_trust_free(t);
    cf_trust_free(t2);
}

/* ---- root rotation -------------------------------------------------------- */

static void
test_root_rotation(void)
{
    const int64_t later = NOW + CF_ROOT_OVERLAP_MS + DAY; /* past the overlap */
    cf_trust *t = NULL, *t2 = NULL;
    member rotated = {0}, rogue = {0}, rogue_rot = {0}, self_new = {0}, too_late = {0};
    /* the Council and NCERT keep their keys and are certified again */
    member council2 = {council.id, NULL}, ncert2 = {ncert.id, NULL};
    cf_cert *c = NULL;

    CHECK_ST(make_store(&t), CF_OK);
    CHECK_ST(make_member(&rotated, FED, &root, "council", CF_ROLE_ROOT, NULL, NOW - HOUR,
                         NOW + 10 * YEAR),
             CF_OK);
    if (!t || !rotated.cert)
        goto out;
    CHECK(cf_trust_root_count(t) == 1);
    /* nothing issued by the new key counts before the rotation is known */
    CHECK_ST(issue(FED, &rotated, "council", CF_ROLE_COUNCIL, NULL, council.id, NOW - HOUR,
                   NOW + 5 * YEAR, &council2.cert),
             CF_OK);
    CHECK_ST(issue(FED, &rotated, "ncert", CF_ROLE_NCERT, "council", ncert.id, NOW - HOUR,
                   NOW + 5 * YEAR, &ncert2.cert),
             CF_OK);
    if (!council2.cert || !ncert2.cert)
        goto out;
    CHECK_ST(cf_trust_add_cert(t, ncert2.cert, NOW), CF_E_BAD_CHAIN);

    /* the rotation, signed by the root: the new key is a root from now on */
    CHECK_ST(cf_trust_add_cert(t, rotated.cert, NOW), CF_OK);
    CHECK(cf_trust_root_count(t) == 2);
    CHECK_ST(cf_trust_add_cert(t, council2.cert, NOW), CF_OK);
    CHECK_ST(cf_trust_add_cert(t, ncert2.cert, NOW), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, council.id->sign_pk, 7, NOW, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, ncert.id->sign_pk, 7, NOW, NULL), CF_OK);
    /* within the overlap the old root's certificates are valid too */
    CHECK_ST(cf_trust_check_cert(t, ncert.cert, NOW), CF_OK);
    CHECK_ST(cf_trust_check_cert(t, council.cert, NOW + CF_ROOT_OVERLAP_MS - 2 * HOUR), CF_OK);
    /* after it, only what chains to the new root */
    CHECK_ST(cf_trust_check_cert(t, ncert.cert, later), CF_E_EXPIRED);
    CHECK_ST(cf_trust_check_cert(t, council.cert, later), CF_E_EXPIRED);
    CHECK_ST(cf_trust_check_cert(t, ncert2.cert, later), CF_OK);
    CHECK_ST(cf_trust_check_cert(t, council2.cert, later), CF_OK);
    CHECK(same_wire(cf_trust_find_node(t, "ncert", later), ncert2.cert));
    CHECK(same_wire(cf_trust_find_node(t, "council", later), council2.cert));
    /* what NCERT certified chains through its new certificate */
    CHECK_ST(cf_trust_check_signer(t, banking.id->sign_pk, 3, later, NULL), CF_OK);
    CHECK_ST(cf_trust_check_signer(t, ncert.id->sign_pk, 3, later, NULL), CF_OK);
    /* a retired root rotates nothing */
    CHECK_ST(make_member(&too_late, FED, &root, "council", CF_ROLE_ROOT, NULL, later - HOUR,
                         later + YEAR),
             CF_OK);
    if (too_late.cert)
        CHECK_ST(cf_trust_add_cert(t, too_late.cert, later), CF_E_EXPIRED);
    CHECK(cf_trust_root_count(t) == 2);

    /* a rotation is accepted only from a trusted root: a self-signed new
     * root, one signed by another root, or a ROOT signed by NCERT */
    CHECK_ST(
        make_member(&self_new, FED, NULL, "council", CF_ROLE_ROOT, NULL, NOW - HOUR, NOW + YEAR),
        CF_OK);
    if (self_new.cert)
        CHECK_ST(cf_trust_add_cert(t, self_new.cert, NOW), CF_E_BAD_CHAIN);
    CHECK_ST(make_member(&rogue, FED, NULL, "council", CF_ROLE_ROOT, NULL, NOW - HOUR, NOW + YEAR),
             CF_OK);
    CHECK_ST(
        make_member(&rogue_rot, FED, &rogue, "council", CF_ROLE_ROOT, NULL, NOW - HOUR, NOW + YEAR),
        CF_OK);
    if (rogue_rot.cert)
        CHECK_ST(cf_trust_add_cert(t, rogue_rot.cert, NOW), CF_E_BAD_CHAIN);
    if (self_new.id) {
        forged f = {FED,
                    "ncert",
                    "council",
                    CF_ROLE_ROOT,
                    "",
                    self_new.id->sign_pk,
                    ncert.id->sign_pk,
                    NOW - HOUR,
                    NOW + YEAR};
        CHECK_ST(forge_cert(&f, ncert.id, &c), CF_OK);
        if (c)
            CHECK_ST(cf_trust_add_cert(t, c, NOW), CF_E_UNAUTHORIZED);
    }
    CHECK(cf_trust_root_count(t) == 2);

    /* a store built afresh after the overlap (a restart: the configured
     * root, then the stored rotation) comes to the same trust */
    CHECK_ST(cf_trust_new(root.cert, &t2), CF_OK);
    if (t2) {
        CHECK_ST(cf_trust_add_cert(t2, rotated.cert, later), CF_OK);
        CHECK_ST(cf_trust_add_cert(t2, ncert2.cert, later), CF_OK);
        CHECK_ST(cf_trust_add_cert(t2, ncert.cert, later), CF_E_EXPIRED);
        CHECK_ST(cf_trust_add_cert(t2, banking.cert, later), CF_OK);
        CHECK_ST(cf_trust_check_signer(t2, banking.id->sign_pk, 3, later, NULL), CF_OK);
    }
out:
    cf_cert_free(c);
    member_free(&rotated);
    cf_cert_free(council2.cert);
    cf_cert_free(ncert2.cert);
    member_free(&rogue);
    member_free(&rogue_rot);
    member_free(&self_new);
    member_free(&too_late);
    cf_trust_free(t);
    cf_trust_free(t2);
}

/* ---- armour and bundles --------------------------------------------------- */

#define MAX_BLOCKS 8

typedef struct collected {
    uint8_t *data[MAX_BLOCKS];
    size_t len[MAX_BLOCKS];
    size_t n;
    cf_status reply; /* what the callback returns */
} collected;

static cf_status
collect(const uint8_t *data, size_t len, void *arg)
{
    collected *c = arg;

    if (c->n >= MAX_BLOCKS)
        return CF_E_LIMIT;
    c->data[c->n] = malloc(len ? len : 1);
    if (!c->data[c->n])
        return CF_E_NOMEM;
    memcpy(c->data[c->n], data, len);
    c->len[c->n++] = len;
    return c->reply;
}

static void
collected_clear(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->data[i]);
    memset(c, 0, sizeof(*c));
}

static bool
block_is(const collected *c, size_t i, const cf_cert *cert)
{
    return i < c->n && c->len[i] == cert->len && memcmp(c->data[i], cert->wire, cert->len) == 0;
}

/* A NUL-terminated copy of a buffer's text. */
static char *
buf_text(const cf_buf *b)
{
    char *s = malloc(b->len + 1);

    if (s) {
        memcpy(s, b->data, b->len);
        s[b->len] = 0;
    }
    return s;
}

static void
test_armor(void)
{
    cf_buf text, rev;
    collected got = {0};
    char *s = NULL;

    cf_buf_init(&text);
    cf_buf_init(&rev);
    CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, banking.cert->wire, banking.cert->len, &text), CF_OK);
    CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, punjab.cert->wire, punjab.cert->len, &text), CF_OK);
    s = buf_text(&text);
    if (!s)
        goto out;
    CHECK(strncmp(s, "-----BEGIN CERTFED CERTIFICATE-----\n", 36) == 0);
    /* base64 lines are at most 64 columns */
    {
        size_t longest = 0, cur = 0;
        for (const char *p = s; *p; p++) {
            if (*p == '\n') {
                if (cur > longest && strncmp(p - cur, "-----", 5) != 0)
                    longest = cur;
                cur = 0;
            } else {
                cur++;
            }
        }
        CHECK(longest > 0 && longest <= 64);
    }
    CHECK_ST(cf_armor_decode(s, CF_ARMOR_CERT, collect, &got), CF_OK);
    CHECK(got.n == 2);
    CHECK(block_is(&got, 0, banking.cert));
    CHECK(block_is(&got, 1, punjab.cert));
    collected_clear(&got);
    /* another label finds nothing */
    CHECK_ST(cf_armor_decode(s, CF_ARMOR_REVOCATION, collect, &got), CF_OK);
    CHECK(got.n == 0);
    collected_clear(&got);
    /* the callback's refusal stops the walk and is returned */
    got.reply = CF_E_LIMIT;
    CHECK_ST(cf_armor_decode(s, CF_ARMOR_CERT, collect, &got), CF_E_LIMIT);
    CHECK(got.n == 1);
    collected_clear(&got);

    /* an unterminated block: the second END is cut off */
    {
        char *end = strstr(strstr(s, "-----END ") + 1, "-----END ");
        CHECK(end != NULL);
        if (end) {
            *end = 0;
            CHECK_ST(cf_armor_decode(s, CF_ARMOR_CERT, collect, &got), CF_E_MALFORMED);
            collected_clear(&got);
            *end = '-';
        }
    }
    /* a block whose END is missing, followed by a whole block */
    {
        cf_buf broken;
        char *b = NULL;
        cf_buf_init(&broken);
        CHECK_ST(cf_buf_append_str(&broken, "-----BEGIN CERTFED CERTIFICATE-----\nAAAA\n"), CF_OK);
        CHECK_ST(cf_buf_append(&broken, text.data, text.len), CF_OK);
        b = buf_text(&broken);
        if (b)
            CHECK_ST(cf_armor_decode(b, CF_ARMOR_CERT, collect, &got), CF_E_MALFORMED);
        collected_clear(&got);
        free(b);
        cf_buf_clear(&broken);
    }
    /* bad base64 */
    CHECK_ST(cf_armor_decode("-----BEGIN CERTFED CERTIFICATE-----\n@@not base64@@\n"
                             "-----END CERTFED CERTIFICATE-----\n",
                             CF_ARMOR_CERT, collect, &got),
             CF_E_MALFORMED);
    collected_clear(&got);

    /* a mixed bundle with comments: each label finds its own blocks */
    {
        cf_revoke_request req = {banking.cert, 10, "test", NOW};
        cf_buf mixed;
        char *m = NULL;
        cf_buf_init(&mixed);
        CHECK_ST(cf_revocation_issue(ncert.id, ncert.cert, &req, &rev), CF_OK);
        CHECK_ST(cf_buf_append_str(&mixed, "# bundle of the test federation\n"), CF_OK);
        CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, banking.cert->wire, banking.cert->len, &mixed),
                 CF_OK);
        CHECK_ST(cf_buf_append_str(&mixed, "\nsome prose in between\n"), CF_OK);
        CHECK_ST(cf_armor_encode(CF_ARMOR_REVOCATION, rev.data, rev.len, &mixed), CF_OK);
        CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, lahore.cert->wire, lahore.cert->len, &mixed),
                 CF_OK);
        m = buf_text(&mixed);
        if (m) {
            CHECK_ST(cf_armor_decode(m, CF_ARMOR_CERT, collect, &got), CF_OK);
            CHECK(got.n == 2);
            CHECK(block_is(&got, 0, banking.cert));
            CHECK(block_is(&got, 1, lahore.cert));
            collected_clear(&got);
            CHECK_ST(cf_armor_decode(m, CF_ARMOR_REVOCATION, collect, &got), CF_OK);
            CHECK(got.n == 1 && got.len[0] == rev.len &&
                  memcmp(got.data[0], rev.data, rev.len) == 0);
            collected_clear(&got);
        }
        free(m);
        cf_buf_clear(&mixed);
    }
out:
    collected_clear(&got);
    free(s);
    cf_buf_clear(&text);
    cf_buf_clear(&rev);
}

static char *
make_tmpdir(void)
{
    return h_tmpdir("keys-cert");
}

/* Remove a flat temporary directory and everything in it. */
static void
remove_tmpdir(char *dir)
{
    h_rmtree(dir);
    free(dir);
}

static cf_status
write_text(const char *path, const void *data, size_t len)
{
    return cf_file_write(path, data, len, 0644, true);
}

static void
test_bundle_file(const char *dir)
{
    /* children before parents, the root last */
    const member *order[] = {&lahore, &punjab, &telecom, &banking, &ncert, &council, &root};
    char *path = cf_path_join(dir, "bundle.pem");
    char *path2 = cf_path_join(dir, "orphan.pem");
    char *path3 = cf_path_join(dir, "empty.pem");
    char *path4 = cf_path_join(dir, "missing.pem");
    cf_buf text;
    cf_cert **v = NULL;
    size_t n = 0, failed = SIZE_MAX;
    cf_trust *t = NULL;
    cf_identity *rogue = NULL;
    cf_cert *orphan = NULL;

    cf_buf_init(&text);
    if (!path || !path2 || !path3 || !path4)
        goto out;
    for (size_t i = 0; i < CF_ARRAY_LEN(order); i++)
        CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, order[i]->cert->wire, order[i]->cert->len, &text),
                 CF_OK);
    CHECK_ST(write_text(path, text.data, text.len), CF_OK);
    CHECK_ST(cf_cert_load_file(path, &v, &n), CF_OK);
    CHECK(n == CF_ARRAY_LEN(order));
    for (size_t i = 0; v && i < n && i < CF_ARRAY_LEN(order); i++)
        CHECK(same_wire(v[i], order[i]->cert));
    CHECK_ST(cf_trust_new(root.cert, &t), CF_OK);
    if (t && v) {
        CHECK_ST(cf_trust_add_certs(t, v, n, NOW, &failed), CF_OK);
        CHECK(failed == SIZE_MAX);
        CHECK(cf_trust_count(t) == 7);
        for (size_t i = 0; i < n; i++)
            CHECK(same_wire(cf_trust_find_key(t, v[i]->body->identity_key), v[i]));
        CHECK_ST(cf_trust_check_signer(t, lahore.id->sign_pk, 1, NOW, NULL), CF_OK);
    }
    cf_trust_free(t);
    t = NULL;
    cf_certv_free(v, n);
    v = NULL;
    n = 0;

    /* a bundle with one certificate that chains nowhere: the rest is added,
     * and the orphan's index and status are reported */
    CHECK_ST(cf_identity_generate(&rogue), CF_OK);
    if (rogue) {
        forged f = {FED,       "ncert",        "orphan",       CF_ROLE_SECTORAL,
                    "ncert",   rogue->sign_pk, rogue->sign_pk, NOW - DAY,
                    NOW + YEAR};
        /* identity == issuer: self-signed, and not our root */
        CHECK_ST(forge_cert(&f, rogue, &orphan), CF_OK);
    }
    if (orphan) {
        cf_buf_clear(&text);
        for (size_t i = 0; i < 3; i++)
            CHECK_ST(
                cf_armor_encode(CF_ARMOR_CERT, order[i]->cert->wire, order[i]->cert->len, &text),
                CF_OK);
        CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, orphan->wire, orphan->len, &text), CF_OK);
        for (size_t i = 3; i < CF_ARRAY_LEN(order); i++)
            CHECK_ST(
                cf_armor_encode(CF_ARMOR_CERT, order[i]->cert->wire, order[i]->cert->len, &text),
                CF_OK);
        CHECK_ST(write_text(path2, text.data, text.len), CF_OK);
        CHECK_ST(cf_cert_load_file(path2, &v, &n), CF_OK);
        CHECK(n == CF_ARRAY_LEN(order) + 1);
        CHECK_ST(cf_trust_new(root.cert, &t), CF_OK);
        if (t && v) {
            failed = SIZE_MAX;
            CHECK_ST(cf_trust_add_certs(t, v, n, NOW, &failed), CF_E_BAD_CHAIN);
            CHECK(failed == 3);
            CHECK(cf_trust_count(t) == 7);
        }
        cf_trust_free(t);
        t = NULL;
        cf_certv_free(v, n);
        v = NULL;
        n = 0;
    }

    /* a bundle with a block that is not a valid certificate */
    {
        cf_buf bad;
        cf_buf_init(&bad);
        CHECK_ST(cf_armor_encode(CF_ARMOR_CERT, (const uint8_t *)"not a certificate", 17, &bad),
                 CF_OK);
        CHECK_ST(write_text(path3, bad.data, bad.len), CF_OK);
        CHECK(cf_cert_load_file(path3, &v, &n) != CF_OK);
        CHECK(v == NULL && n == 0);
        cf_buf_clear(&bad);
    }
    CHECK_ST(cf_cert_load_file(path4, &v, &n), CF_E_NOT_FOUND);
    CHECK(v == NULL && n == 0);
out:
    cf_cert_free(orphan);
    cf_identity_free(rogue);
    cf_buf_clear(&text);
    free(path);
    free(path2);
    free(path3);
    free(path4);
}

/* ---- the role table ------------------------------------------------------- */

static void
test_role_table(void)
{
    static const char *const names[] = {"none",     "root",       "council",    "ncert",
                                        "sectoral", "provincial", "constituent"};
    /* may[issuer][subject], in the order of cf_role */
    static const bool may[7][7] = {
        /*                 none root council ncert sectoral provincial constituent */
        /* none */ {false, false, false, false, false, false, false},
        /* root */ {false, true, true, true, false, false, false},
        /* council */ {false, false, false, false, false, false, false},
        /* ncert */ {false, false, false, false, true, true, false},
        /* sectoral */ {false, false, false, false, false, false, true},
        /* provincial */ {false, false, false, false, false, false, true},
        /* constituent */ {false, false, false, false, false, false, false},
    };

    for (int i = 0; i <= CF_ROLE_MAX; i++) {
        for (int j = 0; j <= CF_ROLE_MAX; j++) {
            bool got = cf_role_may_certify((cf_role)i, (cf_role)j);
            if (got != may[i][j])
                fprintf(stderr, "cf_role_may_certify(%s, %s) is %s\n", names[i], names[j],
                        got ? "true" : "false");
            CHECK(got == may[i][j]);
        }
    }
    /* a few by name, so that a wrong table above cannot hide a wrong rule */
    CHECK(cf_role_may_certify(CF_ROLE_ROOT, CF_ROLE_COUNCIL));
    CHECK(cf_role_may_certify(CF_ROLE_ROOT, CF_ROLE_NCERT));
    CHECK(cf_role_may_certify(CF_ROLE_ROOT, CF_ROLE_ROOT));
    CHECK(cf_role_may_certify(CF_ROLE_NCERT, CF_ROLE_SECTORAL));
    CHECK(cf_role_may_certify(CF_ROLE_NCERT, CF_ROLE_PROVINCIAL));
    CHECK(cf_role_may_certify(CF_ROLE_SECTORAL, CF_ROLE_CONSTITUENT));
    CHECK(cf_role_may_certify(CF_ROLE_PROVINCIAL, CF_ROLE_CONSTITUENT));
    CHECK(!cf_role_may_certify(CF_ROLE_PROVINCIAL, CF_ROLE_SECTORAL));
    CHECK(!cf_role_may_certify(CF_ROLE_COUNCIL, CF_ROLE_NCERT));
    CHECK(!cf_role_may_certify(CF_ROLE_NCERT, CF_ROLE_NCERT));
    CHECK(!cf_role_may_certify(CF_ROLE_CONSTITUENT, CF_ROLE_CONSTITUENT));
    /* values outside the enum */
    CHECK(!cf_role_may_certify((cf_role)(CF_ROLE_MAX + 1), CF_ROLE_CONSTITUENT));
    CHECK(!cf_role_may_certify(CF_ROLE_ROOT, (cf_role)(CF_ROLE_MAX + 1)));
    CHECK(!cf_role_may_certify(CF_ROLE_SECTORAL, (cf_role)(CF_ROLE_MAX + 1)));
}

int
main(void)
{
    char *dir;
    member *all[] = {&root, &council, &ncert, &banking, &telecom, &punjab, &lahore};

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    test_role_table();
    CHECK_ST(build_hierarchy(), CF_OK);
    if (check_failures == 0) {
        test_valid_chain();
        test_validity();
        test_many_certs();
        test_wrong_issuer();
        test_revocation();
        test_revocation_authority();
        test_role_violations();
        test_key_reuse(&ncert, "mirror");
        test_key_reuse(&root, "root-mirror");
        test_foreign_roots();
        test_root_rotation();
        test_place_binding();
        test_armor();
        dir = make_tmpdir();
        CHECK(dir != NULL);
        if (dir)
            test_bundle_file(dir);
        remove_tmpdir(dir);
    }
    for (size_t i = 0; i < CF_ARRAY_LEN(all); i++)
        member_free(all[i]);
    return check_done("test_keys_cert");
}
