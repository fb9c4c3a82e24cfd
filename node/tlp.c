/*
 * tlp.c - TLP:RED and TLP:AMBER+STRICT incidents, encrypted end to end.
 *
 * An origin signs the incident as usual (the inner envelope, its audience
 * the recipients), encrypts those bytes to each recipient's certified X25519
 * key (keys/seal.c) and signs the Sealed body, recipients included, as the
 * outer envelope: the one stored, chained, relayed and acknowledged. Relays
 * and the NATS server see only ciphertext; a recipient opens it, checks the
 * inner envelope against the outer one (same signer, same header, same
 * recipients, so it cannot have been re-addressed) and applies the inner
 * incident. Loop thread only.
 */
#include "node/internal.h"
#include "node/state.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool
cf_tlp_needs_sealing(const cf_body *b)
{
    return b->type == CF_MSG_INCIDENT && b->u.incident.tlp >= 4; /* AMBER+STRICT, RED */
}

static bool
strlist_has(const cf_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

cf_status
cf_tlp_recipients(cf_node *n, const cf_strv named, cf_strlist *out, const char **why)
{
    cf_strlist l = {NULL, 0};
    cf_status st = CF_OK;

    /* in topology order (parents first), ourselves included, each once */
    for (size_t i = 0; st == CF_OK && i < n->topo->n; i++) {
        const cf_topo_node *t = &n->topo->nodes[i];
        bool wanted = t == n->me;
        for (size_t k = 0; k < named.n && !wanted; k++)
            wanted = strcmp(named.v[k], t->id) == 0;
        if (named.n == 0 && n->me->parent_idx == i)
            wanted = true; /* by default the parent, as an incident goes */
        if (wanted && !strlist_has(&l, t->id))
            st = cf_strlist_add(&l, t->id);
    }
    for (size_t k = 0; st == CF_OK && k < named.n; k++) {
        const cf_topo_node *t = cf_topology_find(n->topo, named.v[k]);
        if (!t) {
            *why = "a recipient is not a member of the federation";
            st = CF_E_INVALID_ARG;
        } else if (t != n->me && !cf_topology_is_ancestor(n->topo, t, n->me)) {
            *why = "a TLP:RED or AMBER+STRICT incident goes only to this node's ancestors "
                   "(incidents flow up)";
            st = CF_E_UNAUTHORIZED;
        }
    }
    if (st == CF_OK && l.n < 2) {
        *why = "a TLP:RED or AMBER+STRICT incident needs a recipient besides this node";
        st = CF_E_INVALID_ARG;
    }
    if (st != CF_OK) {
        cf_strlist_clear(&l);
        return st;
    }
    *out = l;
    return CF_OK;
}

void
cf_sealing_clear(cf_sealing *s)
{
    free(s->recipients);
    if (s->ciphertext.data)
        sodium_memzero(s->ciphertext.data, s->ciphertext.cap);
    cf_buf_clear(&s->ciphertext);
    memset(s, 0, sizeof(*s));
}

cf_status
cf_tlp_seal(cf_node *n, const cf_body *inner, const uint8_t *wire, size_t len, int64_t now_ms,
            cf_sealing *s, cf_body *out, const char **why)
{
    const cf_strv r = inner->header.audience.nodes;
    cf_seal_to *to = calloc(r.n ? r.n : 1, sizeof(*to));
    cf_status st = CF_OK;

    memset(s, 0, sizeof(*s));
    cf_buf_init(&s->ciphertext);
    s->recipients = calloc(r.n ? r.n : 1, sizeof(*s->recipients));
    if (!to || !s->recipients)
        st = CF_E_NOMEM;
    for (size_t i = 0; st == CF_OK && i < r.n; i++) {
        const cf_cert *c = cf_trust_find_node(n->keys->trust, r.v[i], now_ms);
        if (!c) {
            *why = "a recipient has no valid certificate, so no key to encrypt to";
            st = CF_E_UNKNOWN_SIGNER;
            break;
        }
        to[i].node = r.v[i];
        memcpy(to[i].box_pk, c->body->encryption_key, CF_PK_LEN);
    }
    if (st == CF_OK)
        st = cf_seal_encrypt(wire, len, to, r.n, s->recipients, s->nonce, &s->ciphertext);
    free(to);
    if (st != CF_OK) {
        cf_sealing_clear(s);
        return st;
    }
    memset(out, 0, sizeof(*out));
    out->type = CF_MSG_SEALED;
    out->header = inner->header;
    out->u.sealed.inner_type = inner->type;
    out->u.sealed.recipients = s->recipients;
    out->u.sealed.n_recipients = r.n;
    memcpy(out->u.sealed.nonce, s->nonce, CF_SEAL_NONCE_LEN);
    out->u.sealed.ciphertext = s->ciphertext.data;
    out->u.sealed.ciphertext_len = s->ciphertext.len;
    return CF_OK;
}

static bool
same_header(const cf_header *a, const cf_header *b)
{
    return a->federation && b->federation && strcmp(a->federation, b->federation) == 0 &&
           strcmp(a->origin, b->origin) == 0 && a->seq == b->seq &&
           a->has_prev_hash == b->has_prev_hash &&
           (!a->has_prev_hash || memcmp(a->prev_hash, b->prev_hash, CF_ID_LEN) == 0) &&
           a->created_ms == b->created_ms && a->expires_ms == b->expires_ms;
}

cf_status
cf_tlp_open(cf_node *n, const cf_message *outer, cf_buf *out_wire, cf_message **out,
            const char **why)
{
    const cf_sealed *s = &outer->body.u.sealed;
    cf_buf plain;
    cf_envelope env;
    cf_message *m = NULL;
    cf_status st;

    cf_buf_init(&plain);
    st = cf_seal_open(n->keys->identity, n->cfg->id, s, &plain);
    if (st == CF_E_NOT_FOUND)
        return st; /* not sealed to us: we only pass it on */
    if (st == CF_E_CRYPTO)
        *why = "sealed to this node, but it does not open with this node's key";
    if (st == CF_OK) {
        st = cf_envelope_verify(plain.data, plain.len, &n->limits, &env);
        if (st != CF_OK)
            *why = "the sealed envelope inside is not a valid signed envelope";
    }
    if (st == CF_OK && env.type != s->inner_type) {
        cf_envelope_clear(&env);
        *why = "the sealed envelope inside is not of the type the outer one names";
        st = CF_E_WRONG_TYPE;
    }
    if (st == CF_OK) {
        st = cf_message_decode(&env, &n->limits, &m);
        if (st != CF_OK) {
            cf_envelope_clear(&env);
            *why = "the sealed envelope inside does not decode";
        }
    }
    if (st == CF_OK) {
        const cf_strv r = m->body.header.audience.nodes;
        bool same = sodium_memcmp(m->env.signer, outer->env.signer, CF_PK_LEN) == 0 &&
                    same_header(&m->body.header, &outer->body.header) && r.n == s->n_recipients;
        for (size_t i = 0; same && i < r.n; i++)
            same = strcmp(r.v[i], s->recipients[i].node) == 0;
        if (!same) {
            *why = "the sealed message's signer, header or recipients differ from the "
                   "inner message's (re-addressed or re-wrapped)";
            st = CF_E_UNAUTHORIZED;
        }
    }
    if (st == CF_OK)
        st = cf_rule_originate(n->topo, &m->body, why);
    /* our own, come back by catch-up after a restore, is not received */
    if (st == CF_OK && strcmp(m->body.header.origin, n->cfg->id) != 0)
        st = cf_rule_receive(n->topo, n->cfg->id, &m->body, why);
    if (st == CF_OK)
        st = cf_buf_append(out_wire, plain.data, plain.len);
    if (plain.data)
        sodium_memzero(plain.data, plain.cap);
    cf_buf_clear(&plain);
    if (st != CF_OK) {
        cf_message_free(m);
        return st;
    }
    *out = m;
    return CF_OK;
}
