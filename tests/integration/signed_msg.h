/*
 * signed_msg.h - for the C tests that drive a node in-process
 * (test_node_batch, test_node_probe): a body signed as its origin's node
 * would sign it, as the link hands a message to the node. Include after
 * check.h and node/internal.h.
 */
#ifndef CF_TEST_SIGNED_MSG_H
#define CF_TEST_SIGNED_MSG_H

#include <stdlib.h>
#include <string.h>

/* One link message: body b signed by signer; its message id to id_out
 * (if not NULL). NULL (and a failed check) if it cannot be built. */
static cf_link_msg *
signed_msg(const cf_identity *signer, const cf_body *b, uint8_t id_out[CF_ID_LEN])
{
    cf_buf body, wire;
    cf_link_msg *m = NULL;

    cf_buf_init(&body);
    cf_buf_init(&wire);
    if (cf_body_encode(b, NULL, &body) == CF_OK &&
        cf_envelope_seal(b->type, body.data, body.len, signer->sign_sk, &wire) == CF_OK)
        m = malloc(sizeof(*m) + wire.len);
    if (m) {
        m->next = NULL;
        m->subject = NULL;
        m->len = wire.len;
        memcpy(m->data, wire.data, wire.len);
        if (id_out)
            cf_message_id(b->type, body.data, body.len, id_out);
    }
    CHECK(m != NULL);
    cf_buf_clear(&body);
    cf_buf_clear(&wire);
    return m;
}

#endif
