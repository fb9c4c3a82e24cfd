/*
 * fuzz_envelope.c - libFuzzer target for what a node does with bytes from
 * the bus: the size check, the outer frame read before verification, the
 * signature, the body and the header (messages.c). Random bytes rarely
 * carry a valid signature, so a frame that parses has its body signed
 * again with a fixed key and opened too, as a hostile but certified signer
 * could send it; catch-up batches hand on the envelopes inside them.
 */
#include "messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_take_envelope(data, size, 0);
    return 0;
}
