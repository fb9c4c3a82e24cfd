/*
 * proto_private.h - what proto/'s files share: the generated protobuf-c code.
 * Only files of proto/ include this.
 */
#ifndef CF_PROTO_PRIVATE_H
#define CF_PROTO_PRIVATE_H

#include "certfed.pb-c.h"

#endif
