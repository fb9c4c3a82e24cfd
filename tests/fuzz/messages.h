/*
 * messages.h - what fuzz_envelope and fuzz_body share: the steps a node
 * takes with envelope bytes from the bus or from a catch-up batch, and the
 * checks that every decoded message keeps the decoder's promises (strings
 * and lists within the limits, ids valid, every pointer readable).
 * Single-threaded, like a fuzz target.
 */
#ifndef CF_FUZZ_MESSAGES_H
#define CF_FUZZ_MESSAGES_H

#include "proto/proto.h"

/* Catch-up batches nest envelopes; this deep is followed, no deeper. */
#define FUZZ_MAX_DEPTH 3

/** The limits the fuzz targets decode with: a node's defaults. */
cf_limits fuzz_limits(void);

/**
 * Take wire as a node takes bytes from the bus: the size, the outer frame
 * read before verification (as process_one and catch-up read it), the
 * signature, the body and the header. Then, because random bytes never
 * carry a valid signature, sign the frame's body again with the fuzz key
 * and open that, so the body goes through the opener as a hostile but
 * certified signer could send it. Catch-up batches recurse into their
 * envelopes. Aborts if a decoded message breaks a promise.
 */
void fuzz_take_envelope(const uint8_t *wire, size_t len, int depth);

/**
 * Sign body as a message of type (any byte: unknown types are refused by
 * the sealer, and decoded directly, which must refuse them too) and open
 * it as fuzz_take_envelope does.
 */
void fuzz_take_body(int type, const uint8_t *body, size_t len, int depth);

#endif
