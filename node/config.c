/*
 * config.c - loading the node configuration and the keys and certificates
 * it names, with error messages an operator can act on.
 */
#include "node/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <libgen.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct load_state {
    cf_node_config *c;
    char *dir;
    char *err;
    size_t errlen;
    bool failed;
    bool nomem;
    uint32_t numbers_set; /* which of numbers[] were given */
    bool http_keys;       /* some key of [http] was given */
    bool metrics_public_set;
} load_state;

static void fail(load_state *ls, const char *fmt, ...) CF_PRINTF(2, 3);

static void
fail(load_state *ls, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ls->failed)
        return;
    ls->failed = true;
    n = snprintf(ls->err, ls->errlen, "%s: ", ls->c->path);
    if (n < 0 || (size_t)n >= ls->errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(ls->err + n, ls->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A path from the file, made absolute against the file's directory. */
static char *
resolve(const load_state *ls, const char *value)
{
    return value[0] == '/' ? strdup(value) : cf_path_join(ls->dir, value);
}

static bool
set_path(load_state *ls, char **slot, const char *name, const char *value)
{
    if (*slot) {
        fail(ls, "'%s' given twice", name);
        return false;
    }
    if (!value[0]) {
        fail(ls, "'%s' is empty", name);
        return false;
    }
    *slot = resolve(ls, value);
    if (!*slot)
        ls->nomem = true;
    return *slot != NULL;
}

/*
 * [node] control_group: the members of this group may use the control
 * socket too (it is made 0660 and given to the group, instead of 0600). The
 * name is looked up here, so a group that does not exist is a config error
 * that names the file, not a surprise when the socket is made.
 */
static bool
set_group(load_state *ls, const char *value)
{
    struct group gr, *found = NULL;
    long max = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t size = max > 0 ? (size_t)max : 4096;
    char *buf = NULL;
    int rc;

    if (ls->c->control_group) {
        fail(ls, "'control_group' given twice");
        return false;
    }
    if (!value[0]) {
        fail(ls, "'control_group' is empty");
        return false;
    }
    /* a long member list needs a larger buffer: grow it, within reason */
    for (;;) {
        char *bigger = realloc(buf, size);
        if (!bigger) {
            free(buf);
            ls->nomem = true;
            return false;
        }
        buf = bigger;
        rc = getgrnam_r(value, &gr, buf, size, &found);
        if (rc != ERANGE || size >= (1u << 24))
            break;
        size *= 2;
    }
    if (!found) {
        free(buf);
        if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
            fail(ls, "[node] control_group '%s' is not a group on this system", value);
        else
            fail(ls, "[node] control_group '%s': cannot look it up: %s", value, strerror(rc));
        return false;
    }
    ls->c->control_gid = gr.gr_gid;
    free(buf);
    if (!(ls->c->control_group = strdup(value)))
        ls->nomem = true;
    return ls->c->control_group != NULL;
}

/*
 * [http] listen = HOST:PORT, HOST an IPv4 literal or a bracketed IPv6 one
 * ("127.0.0.1:8443", "[::1]:8443"); a bare PORT means 127.0.0.1. Names are
 * not looked up: where the API listens must not depend on DNS. Port 0 takes
 * any free port (status says which).
 */
static bool
set_listen(load_state *ls, const char *value)
{
    cf_node_config *c = ls->c;
    char host[64];
    const char *colon = strrchr(value, ':'), *port_s;
    char *end;

    if (c->http_listen) {
        fail(ls, "[http] listen given twice");
        return false;
    }
    if (!colon) {
        snprintf(host, sizeof(host), "127.0.0.1");
        port_s = value;
    } else {
        size_t hl = (size_t)(colon - value);
        const char *h = value;
        if (hl >= 2 && value[0] == '[' && value[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        if (hl == 0 || hl >= sizeof(host))
            goto bad;
        memcpy(host, h, hl);
        host[hl] = 0;
        port_s = colon + 1;
    }
    errno = 0;
    unsigned long port = strtoul(port_s, &end, 10);
    if (errno || *end || !port_s[0] || port_s[0] == '-' || port_s[0] == '+' || port > 65535)
        goto bad;
    memset(&c->http_addr, 0, sizeof(c->http_addr));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&c->http_addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->http_addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        c->http_addr_len = sizeof(*a4);
    } else if (value[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        c->http_addr_len = sizeof(*a6);
    } else {
        goto bad;
    }
    if (!(c->http_listen = strdup(value)))
        ls->nomem = true;
    return c->http_listen != NULL;
bad:
    fail(ls,
         "[http] listen '%s' must be HOST:PORT with an IP address (127.0.0.1:8443, "
         "[::1]:8443) or a port (on 127.0.0.1)",
         value);
    return false;
}

static bool
set_bool(load_state *ls, bool *slot, bool *seen, const char *section, const char *name,
         const char *value)
{
    if (*seen) {
        fail(ls, "[%s] %s given twice", section, name);
        return false;
    }
    *seen = true;
    if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
        *slot = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
        *slot = false;
    else
        fail(ls, "[%s] %s '%s' must be true or false", section, name, value);
    return !ls->failed;
}

/* The numeric settings: where each goes, its bounds, its unit. */
typedef struct number_key {
    const char *section, *name, *unit;
    unsigned long long min, max;
    size_t off;
    int shift;  /* size_t settings: value << shift */
    bool is_ms; /* an int64_t of milliseconds */
} number_key;

static const number_key numbers[] = {
    {"limits", "max_envelope", "bytes", 1024, 64ull << 20, offsetof(cf_node_config, max_envelope),
     0, false},
    {"limits", "outbox_max", "messages", 1, 100000000ull, offsetof(cf_node_config, outbox_max), 0,
     false},
    {"limits", "store_mib", "MiB", 1, 1024ull * 1024, offsetof(cf_node_config, store_bytes), 20,
     false},
    {"limits", "sender_rate", "messages per second", 1, 10000000ull,
     offsetof(cf_node_config, sender_rate), 0, false},
    {"limits", "sender_burst", "messages", 1, 100000000ull, offsetof(cf_node_config, sender_burst),
     0, false},
    {"limits", "receive_queue", "messages", 1, 10000000ull, offsetof(cf_node_config, receive_queue),
     0, false},
    {"limits", "nats_pending", "messages", 1, 10000000ull, offsetof(cf_node_config, nats_pending),
     0, false},
    {"limits", "verify_pool", "on/off (1/0)", 0, 1, offsetof(cf_node_config, verify_pool), 0,
     false},
    {"limits", "verify_threads", "threads", 0, 64, offsetof(cf_node_config, verify_threads), 0,
     false},
    {"delivery", "resend_first_ms", "milliseconds", 100, 3600000,
     offsetof(cf_node_config, resend_first_ms), 0, true},
    {"delivery", "resend_max_ms", "milliseconds", 100, 86400000,
     offsetof(cf_node_config, resend_max_ms), 0, true},
    {"delivery", "catchup_interval_ms", "milliseconds", 1000, 86400000,
     offsetof(cf_node_config, catchup_interval_ms), 0, true},
    {"delivery", "resend_window", "envelopes", 10, 1000000, offsetof(cf_node_config, resend_window),
     0, false},
    {"http", "max_body", "bytes", 1024, 64ull << 20, offsetof(cf_node_config, http_max_body), 0,
     false},
};

_Static_assert(sizeof(numbers) / sizeof(numbers[0]) <= 32, "numbers_set has 32 bits");

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
    load_state *ls = user;
    cf_node_config *c = ls->c;

    if (ls->failed || ls->nomem)
        return 0;
    if (strcmp(section, "node") == 0) {
        if (strcmp(name, "id") == 0 || strcmp(name, "federation") == 0) {
            char **slot = name[0] == 'i' ? &c->id : &c->federation;
            if (!cf_id_valid(value))
                fail(ls, "invalid %s '%s' (use [a-z0-9-]{1,32})", name, value);
            else if (*slot)
                fail(ls, "'%s' given twice", name);
            else if (!(*slot = strdup(value)))
                ls->nomem = true;
            return !ls->failed && !ls->nomem;
        }
        static const struct {
            const char *name;
            size_t off;
        } paths[] = {
            {"keys", offsetof(cf_node_config, keys_dir)},
            {"passphrase_file", offsetof(cf_node_config, passphrase_file)},
            {"root", offsetof(cf_node_config, root)},
            {"chain", offsetof(cf_node_config, chain)},
            {"certs", offsetof(cf_node_config, certs)},
            {"store", offsetof(cf_node_config, store)},
            {"control", offsetof(cf_node_config, control)},
        };
        if (strcmp(name, "control_group") == 0)
            return set_group(ls, value);
        for (size_t i = 0; i < CF_ARRAY_LEN(paths); i++)
            if (strcmp(name, paths[i].name) == 0)
                return set_path(ls, (char **)((char *)c + paths[i].off), name, value);
        fail(ls, "unknown key '%s' in [node]", name);
        return 0;
    }
    if (strcmp(section, "nats") == 0 && strcmp(name, "url") == 0) {
        if (c->nats_url)
            fail(ls, "'url' given twice");
        else if (strncmp(value, "nats://", 7) != 0 && strncmp(value, "tls://", 6) != 0)
            fail(ls, "[nats] url '%s' must start with nats:// or tls://", value);
        else if (!(c->nats_url = strdup(value)))
            ls->nomem = true;
        return !ls->failed && !ls->nomem;
    }
    if (strcmp(section, "http") == 0) {
        ls->http_keys = true;
        if (strcmp(name, "listen") == 0)
            return set_listen(ls, value);
        if (strcmp(name, "token_file") == 0)
            return set_path(ls, &c->http_token_file, name, value);
        if (strcmp(name, "metrics_public") == 0)
            return set_bool(ls, &c->http_metrics_public, &ls->metrics_public_set, section, name,
                            value);
    }
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const number_key *k = &numbers[i];
        if (strcmp(section, k->section) != 0 || strcmp(name, k->name) != 0)
            continue;
        if (ls->numbers_set & (1u << i)) {
            fail(ls, "[%s] %s given twice", k->section, k->name);
            return 0;
        }
        ls->numbers_set |= 1u << i;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || *end || !value[0] || value[0] == '-' || v < k->min || v > k->max) {
            fail(ls, "[%s] %s '%s' must be a number of %s from %llu to %llu", k->section, k->name,
                 value, k->unit, k->min, k->max);
            return 0;
        }
        if (k->is_ms)
            *(int64_t *)(void *)((char *)c + k->off) = (int64_t)v;
        else
            *(size_t *)(void *)((char *)c + k->off) = (size_t)(v << k->shift);
        return 1;
    }
    fail(ls, "unknown key '%s' in [%s]", name, section);
    return 0;
}

/*
 * libinih reads a line into a buffer of INI_MAX_LINE (200) bytes and parses
 * whatever did not fit as a line of its own, so the tail of a long line (a
 * comment, say) could set a key. Refuse such lines before inih sees them:
 * MAX_LINE characters, the newline and the NUL fit its buffer.
 */
#define MAX_LINE 198

/* The number of the first line longer than MAX_LINE, or 0. */
static int
long_line(const char *text, size_t len)
{
    int line = 1;
    size_t col = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            line++;
            col = 0;
        } else if (++col > MAX_LINE) {
            return line;
        }
    }
    return 0;
}

cf_status
cf_node_config_parse(const char *path, const char *text, size_t len, cf_node_config **out,
                     char *err, size_t errlen)
{
    load_state ls;
    char *str = NULL, *copy = NULL;
    cf_status st;
    int rc;

    memset(&ls, 0, sizeof(ls));
    ls.err = err;
    ls.errlen = errlen;
    ls.c = calloc(1, sizeof(*ls.c));
    if (!ls.c || !(ls.c->path = strdup(path))) {
        free(ls.c);
        return CF_E_NOMEM;
    }
    /* libinih wants a string: text need not end in a NUL, and inih stops at
     * the first NUL inside it, as it always has for a file */
    str = malloc(len + 1);
    copy = strdup(path);
    if (!str || !copy) {
        st = CF_E_NOMEM;
        goto out;
    }
    memcpy(str, text, len);
    str[len] = 0;
    ls.dir = strdup(dirname(copy));
    if (!ls.dir) {
        st = CF_E_NOMEM;
        goto out;
    }
    ls.c->max_envelope = CF_DEFAULT_MAX_ENVELOPE;
    ls.c->store_bytes = (size_t)CF_DEFAULT_STORE_MIB << 20;
    ls.c->outbox_max = CF_DEFAULT_OUTBOX_MAX;
    ls.c->sender_rate = CF_DEFAULT_SENDER_RATE;
    ls.c->sender_burst = CF_DEFAULT_SENDER_BURST;
    ls.c->receive_queue = CF_DEFAULT_RECEIVE_QUEUE;
    ls.c->nats_pending = CF_DEFAULT_NATS_PENDING;
    /* checking signatures beside the loop pays only with a core to spare */
    ls.c->verify_pool = uv_available_parallelism() > 1;
    ls.c->resend_first_ms = CF_DEFAULT_RESEND_FIRST_MS;
    ls.c->resend_max_ms = CF_DEFAULT_RESEND_MAX_MS;
    ls.c->catchup_interval_ms = CF_DEFAULT_CATCHUP_INTERVAL_MS;
    ls.c->resend_window = CF_DEFAULT_RESEND_WINDOW;
    ls.c->http_max_body = CF_DEFAULT_HTTP_MAX_BODY;
    rc = long_line(str, len);
    if (rc > 0) {
        fail(&ls, "line %d: line too long (at most %d characters)", rc, MAX_LINE);
        st = CF_E_CONFIG;
        goto out;
    }
    rc = ini_parse_string(str, on_entry, &ls);
    if (ls.nomem) {
        st = CF_E_NOMEM;
        goto out;
    }
    if (rc > 0 && !ls.failed)
        fail(&ls, "line %d: syntax error (expected [section] or key = value)", rc);
    if (!ls.failed) {
        const char *missing = !ls.c->id           ? "[node] id"
                              : !ls.c->federation ? "[node] federation"
                              : !ls.c->keys_dir   ? "[node] keys"
                              : !ls.c->root       ? "[node] root"
                              : !ls.c->chain      ? "[node] chain"
                              : !ls.c->store      ? "[node] store"
                              : !ls.c->control    ? "[node] control"
                              : !ls.c->nats_url   ? "[nats] url"
                                                  : NULL;
        if (missing)
            fail(&ls, "missing %s", missing);
        else if (ls.c->resend_max_ms < ls.c->resend_first_ms)
            fail(&ls, "[delivery] resend_max_ms (%lld) is below resend_first_ms (%lld)",
                 (long long)ls.c->resend_max_ms, (long long)ls.c->resend_first_ms);
        /* the API is off without listen, and never on without a token */
        else if (ls.http_keys && !ls.c->http_listen)
            fail(&ls, "[http] has no listen: say where the HTTP API listens, or remove [http]");
        else if (ls.c->http_listen && !ls.c->http_token_file)
            fail(&ls, "[http] has no token_file: the HTTP API needs a bearer token (a 0600 "
                      "file)");
    }
    st = ls.failed ? CF_E_CONFIG : CF_OK;
out:
    free(str);
    free(copy);
    free(ls.dir);
    if (st != CF_OK) {
        cf_node_config_free(ls.c);
        return st;
    }
    *out = ls.c;
    return CF_OK;
}

cf_status
cf_node_config_load(const char *path, cf_node_config **out, char *err, size_t errlen)
{
    uint8_t *text = NULL;
    size_t len;
    cf_status st;

    st = cf_file_read(path, CF_NODE_CONFIG_MAX, &text, &len);
    if (st != CF_OK) {
        snprintf(err, errlen, "%s: cannot read: %s", path,
                 st == CF_E_NOT_FOUND ? "no such file" : cf_status_str(st));
        return st;
    }
    st = cf_node_config_parse(path, (const char *)text, len, out, err, errlen);
    free(text);
    return st;
}

void
cf_node_config_free(cf_node_config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->id);
    free(c->federation);
    free(c->keys_dir);
    free(c->passphrase_file);
    free(c->root);
    free(c->chain);
    free(c->certs);
    free(c->store);
    free(c->control);
    free(c->control_group);
    free(c->nats_url);
    free(c->http_listen);
    free(c->http_token_file);
    free(c);
}

cf_status
cf_passphrase_read(const char *path, char **out)
{
    uint8_t *text;
    size_t len, line;
    cf_status st;

    if (!path) {
        *out = NULL;
        return CF_OK;
    }
    st = cf_file_check_private(path);
    if (st == CF_OK)
        st = cf_file_read(path, 4096, &text, &len);
    if (st != CF_OK)
        return st;
    /* only the first line counts; wipe the rest now, as cf_passphrase_free
     * wipes only up to the first NUL */
    line = strcspn((char *)text, "\r\n");
    sodium_memzero(text + line, len - line);
    if (line == 0) {
        /* an empty passphrase would silently leave a key unsealed */
        free(text);
        return CF_E_PASSPHRASE;
    }
    *out = (char *)text;
    return CF_OK;
}

void
cf_passphrase_free(char *p)
{
    if (!p)
        return;
    sodium_memzero(p, strlen(p));
    free(p);
}

const char *
cf_key_error_hint(cf_status st)
{
    /* an if-chain, not a switch: most statuses have no hint of their own,
     * and a switch over cf_status must not hide new ones behind a default */
    if (st == CF_E_NOT_FOUND)
        return "no such file";
    if (st == CF_E_PERMISSIONS)
        return "group or others may access it; run chmod 600 on it (as ssh requires)";
    if (st == CF_E_PASSPHRASE)
        return "the key is sealed: the passphrase is missing or wrong";
    if (st == CF_E_MALFORMED)
        return "not a certfed key file";
    return cf_status_str(st);
}

const char *
cf_passphrase_error_hint(cf_status st)
{
    if (st == CF_E_PASSPHRASE)
        return "it is empty";
    if (st == CF_E_IO)
        return strerror(errno);
    return cf_key_error_hint(st);
}

static cf_status keys_fail(char *err, size_t errlen, cf_status st, const char *fmt, ...)
    CF_PRINTF(4, 5);

static cf_status
keys_fail(char *err, size_t errlen, cf_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

void
cf_node_keys_free(cf_node_keys *k)
{
    if (!k)
        return;
    cf_identity_free(k->identity);
    cf_nkey_free(k->transport);
    cf_trust_free(k->trust);
    free(k);
}

cf_status
cf_node_keys_load(const cf_node_config *cfg, int64_t now_ms, cf_node_keys **out, char *err,
                  size_t errlen)
{
    cf_node_keys *k = calloc(1, sizeof(*k));
    cf_cert **roots = NULL, **chain = NULL, **certs = NULL;
    size_t n_roots = 0, n_chain = 0, n_certs = 0, failed = 0;
    char *idpath = NULL, *nkpath = NULL, *pass = NULL;
    cf_status st;

    if (!k)
        return CF_E_NOMEM;
    idpath = cf_path_join(cfg->keys_dir, "identity.key");
    nkpath = cf_path_join(cfg->keys_dir, "transport.nk");
    if (!idpath || !nkpath) {
        st = CF_E_NOMEM;
        goto out;
    }
    st = cf_passphrase_read(cfg->passphrase_file, &pass);
    if (st != CF_OK) {
        st = keys_fail(err, errlen, st, "passphrase file %s: %s", cfg->passphrase_file,
                       cf_passphrase_error_hint(st));
        goto out;
    }
    st = cf_identity_load(idpath, pass, &k->identity);
    if (st != CF_OK) {
        st = keys_fail(err, errlen, st, "identity key %s: %s", idpath, cf_key_error_hint(st));
        goto out;
    }
    st = cf_nkey_load(nkpath, &k->transport);
    if (st != CF_OK) {
        st = keys_fail(err, errlen, st, "transport key %s: %s", nkpath, cf_key_error_hint(st));
        goto out;
    }
    st = cf_cert_load_file(cfg->root, &roots, &n_roots);
    if (st == CF_OK && n_roots != 1)
        st = CF_E_MALFORMED;
    if (st == CF_OK)
        st = cf_trust_new(roots[0], &k->trust);
    if (st != CF_OK) {
        st = keys_fail(err, errlen, st, "root certificate %s: %s", cfg->root,
                       st == CF_E_BAD_CHAIN ? "not a self-signed root" : cf_status_str(st));
        goto out;
    }
    if (strcmp(cf_trust_federation(k->trust), cfg->federation) != 0) {
        st = keys_fail(err, errlen, CF_E_WRONG_FEDERATION,
                       "root certificate %s is of federation '%s', not '%s'", cfg->root,
                       cf_trust_federation(k->trust), cfg->federation);
        goto out;
    }
    st = cf_cert_load_file(cfg->chain, &chain, &n_chain);
    if (st == CF_OK)
        st = cf_trust_add_certs(k->trust, chain, n_chain, now_ms, &failed);
    if (st != CF_OK) {
        st = keys_fail(err, errlen, st, "certificate chain %s: %s", cfg->chain, cf_status_str(st));
        goto out;
    }
    /* the leaf comes first in a chain file */
    const cf_member_cert *leaf = chain[0]->body;
    if (strcmp(leaf->node, cfg->id) != 0 ||
        sodium_memcmp(leaf->identity_key, k->identity->sign_pk, CF_PK_LEN) != 0 ||
        sodium_memcmp(leaf->transport_key, k->transport->pk, CF_PK_LEN) != 0 ||
        sodium_memcmp(leaf->encryption_key, k->identity->box_pk, CF_PK_LEN) != 0) {
        st = keys_fail(err, errlen, CF_E_BAD_CHAIN,
                       "certificate chain %s: its first certificate is for '%s' and does not "
                       "match node '%s' and the keys in %s",
                       cfg->chain, leaf->node, cfg->id, cfg->keys_dir);
        goto out;
    }
    k->self = cf_trust_find_key(k->trust, k->identity->sign_pk);
    if (cfg->certs) {
        /* Other nodes' certificates, in any order. One that does not
         * validate is left out and counted; the node goes on with the rest
         * and its caller logs them. */
        st = cf_cert_load_file(cfg->certs, &certs, &n_certs);
        if (st != CF_OK) {
            st = keys_fail(err, errlen, st, "certificates %s: %s", cfg->certs, cf_status_str(st));
            goto out;
        }
        cf_status some = cf_trust_add_certs(k->trust, certs, n_certs, now_ms, NULL);
        for (size_t i = 0; some != CF_OK && i < n_certs; i++) {
            /* adding one already present is CF_OK: what fails was left out */
            cf_status why = cf_trust_add_cert(k->trust, certs[i], now_ms);
            if (why != CF_OK && k->rejected_certs++ == 0)
                k->first_rejection = why;
        }
    }
    *out = k;
    k = NULL;
    st = CF_OK;
out:
    cf_certv_free(roots, n_roots);
    cf_certv_free(chain, n_chain);
    cf_certv_free(certs, n_certs);
    cf_passphrase_free(pass);
    free(idpath);
    free(nkpath);
    cf_node_keys_free(k);
    return st;
}
