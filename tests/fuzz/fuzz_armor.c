/*
 * fuzz_armor.c - libFuzzer target for armoured certificate and revocation
 * files: what an operator is handed by another CERT and gives to `certfed
 * trust publish`, `keys show` or a node's config (chain.certs,
 * federation.certs). The input, NUL terminated, is decoded block by block
 * as certificates and as revocations; every block that decodes goes
 * through the parser each would meet (cf_cert_parse, cf_envelope_open). A
 * decoded block must hold what it says, or the target aborts.
 */
#include "keys/keys.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cf_status
take_cert(const uint8_t *data, size_t len, void *ctx)
{
    cf_cert *c = NULL;

    (void)ctx;
    if (len == 0 || !data)
        abort(); /* a block that decodes has bytes */
    if (cf_cert_parse(data, len, &c) == CF_OK) {
        if (!c->body || !c->wire || c->len != len || memcmp(c->wire, data, len) != 0 ||
            !cf_id_valid(c->body->node) || !cf_role_name((int)c->body->role))
            abort();
    }
    cf_cert_free(c);
    return CF_OK;
}

static cf_status
take_revocation(const uint8_t *data, size_t len, void *ctx)
{
    cf_message *m = NULL;

    (void)ctx;
    if (len == 0 || !data)
        abort();
    if (cf_envelope_open(data, len, NULL, CF_MSG_REVOCATION, NULL, 0, &m) == CF_OK) {
        if (m->body.type != CF_MSG_REVOCATION || !cf_id_valid(m->body.u.revocation.node))
            abort();
    }
    cf_message_free(m);
    return CF_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* only the statuses cf_armor_decode documents (the callbacks return CF_OK) */
    for (int i = 0; i < 2; i++) {
        cf_status st = cf_armor_decode(text, i ? CF_ARMOR_REVOCATION : CF_ARMOR_CERT,
                                       i ? take_revocation : take_cert, NULL);
        if (st != CF_OK && st != CF_E_MALFORMED && st != CF_E_OVERSIZE && st != CF_E_NOMEM)
            abort();
    }
    free(text);
    return 0;
}
