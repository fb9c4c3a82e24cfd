/*
 * status.c - names of cf_status values. The names are stable: logs, counters
 * and `--json` output use them, so never rename one.
 */
#include "common.h"

const char *
cf_status_str(cf_status st)
{
    switch (st) {
    case CF_OK:
        return "ok";
    case CF_E_INVALID_ARG:
        return "invalid-argument";
    case CF_E_NOMEM:
        return "out-of-memory";
    case CF_E_IO:
        return "io-error";
    case CF_E_NOT_FOUND:
        return "not-found";
    case CF_E_EXISTS:
        return "exists";
    case CF_E_PERMISSIONS:
        return "bad-permissions";
    case CF_E_CONFIG:
        return "bad-config";
    case CF_E_PASSPHRASE:
        return "bad-passphrase";
    case CF_E_CRYPTO:
        return "crypto-error";
    case CF_E_OVERSIZE:
        return "oversize";
    case CF_E_MALFORMED:
        return "malformed";
    case CF_E_UNSIGNED:
        return "unsigned";
    case CF_E_BAD_SIGNATURE:
        return "bad-signature";
    case CF_E_UNKNOWN_SIGNER:
        return "unknown-signer";
    case CF_E_WRONG_TYPE:
        return "wrong-type";
    case CF_E_WRONG_FEDERATION:
        return "wrong-federation";
    case CF_E_EXPIRED:
        return "expired";
    case CF_E_NOT_YET_VALID:
        return "not-yet-valid";
    case CF_E_REVOKED:
        return "revoked";
    case CF_E_BAD_CHAIN:
        return "bad-chain";
    case CF_E_UNAUTHORIZED:
        return "unauthorized";
    case CF_E_DUPLICATE:
        return "duplicate";
    case CF_E_FORK:
        return "fork";
    case CF_E_UNSUPPORTED:
        return "unsupported";
    case CF_E_FULL:
        return "full";
    case CF_E_UNREACHABLE:
        return "unreachable";
    case CF_E_LIMIT:
        return "over-limit";
    case CF_E_THROTTLED:
        return "throttled";
    }
    return "unknown-status";
}
