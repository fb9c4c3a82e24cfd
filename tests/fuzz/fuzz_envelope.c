/*
 * fuzz_envelope.c - libFuzzer target for what a node does with bytes from
 * the bus: open them as an envelope (size check, outer decode, signature,
 * body decode, header check). Random bytes rarely carry a valid signature,
 * so the input is also decoded directly as the body of the type named by
 * its first byte, as a verified-but-hostile signer could send it.
 */
#include "proto/proto.h"

#include <sodium.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_limits lim = cf_limits_default();
    cf_message *m = NULL;

    if (sodium_init() < 0)
        return 0;
    lim.max_envelope = 64 * 1024; /* keep runs fast; the check is the same */
    if (cf_envelope_open(data, size, &lim, 0, "pk", 0, &m) == CF_OK)
        cf_message_free(m);
    if (size >= 1) {
        cf_envelope env;
        memset(&env, 0, sizeof(env));
        env.type = (cf_msg_type)(data[0] % (CF_MSG_TYPE_MAX + 2));
        env.body = data + 1;
        env.body_len = size - 1;
        m = NULL;
        if (cf_message_decode(&env, &lim, &m) == CF_OK) {
            cf_status hs = cf_header_check(&m->body.header, "pk", 0);
            (void)hs; /* any verdict is fine; it must not crash */
            cf_message_free(m);
        }
    }
    return 0;
}
