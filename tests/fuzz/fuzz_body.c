/*
 * fuzz_body.c - libFuzzer target for every message body a signer can send,
 * each type on its own: the first byte names the type (1 incident,
 * 2 tasking, 3 task status, 4 directive, 5 ack, 6 member certificate,
 * 7 revocation, 8 catch-up request, 9 catch-up batch, 10 sealed; any other value is
 * an unknown type, which must be refused), the rest is the body. The body
 * is signed with a fixed key and goes through the same opener as bytes
 * from the bus; a catch-up batch's envelopes then go where a node takes
 * them (messages.c), so the envelopes inside a batch are fuzzed as well.
 * cf_body_peek_key reads every body first, as a node does before it checks
 * the signature.
 */
#include "messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_take_body(data[0], data + 1, size - 1, 0);
    return 0;
}
