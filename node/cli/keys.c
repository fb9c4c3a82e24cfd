/*
 * keys.c - `certfed keys gen|root|certify|revoke|show`: the offline side of
 * the chain of trust. Secret keys never leave the files they are written to;
 * a node hands its parent only node.pub, and gets back a certificate.
 */
#include "node/cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage:\n"
    "  certfed keys gen DIR [--passphrase-file F]\n"
    "      new identity.key, transport.nk and node.pub in DIR (0700; keys 0600)\n"
    "  certfed keys root --federation NAME --node ID --key FILE --out CERT\n"
    "                    [--days N] [--passphrase-file F]\n"
    "      the Council's self-signed root certificate; creates the root key FILE\n"
    "      if it does not exist\n"
    "  certfed keys certify --issuer-key FILE --issuer-cert CERT --request node.pub\n"
    "                       --node ID --role ROLE [--parent ID] --out CERT\n"
    "                       [--days N] [--passphrase-file F]\n"
    "      certify a node's public keys as a member of the federation\n"
    "  certfed keys revoke --issuer-key FILE --issuer-cert CERT --cert CERT --out FILE\n"
    "                      [--last-good-seq N] [--reason TEXT] [--passphrase-file F]\n"
    "      revoke a certificate's key; its messages after N are rejected\n"
    "  certfed keys show FILE [--json]\n"
    "      show a certificate (or chain), revocation, node.pub or key file\n"
    "      (public parts only)\n";

/* Options all keys subcommands understand; each uses those it needs. */
typedef struct keys_opts {
    const char *federation, *node, *key, *out, *issuer_key, *issuer_cert, *request;
    const char *role, *parent, *cert, *reason, *passphrase_file;
    long days;
    uint64_t last_good_seq;
    bool json;
} keys_opts;

enum {
    OPT_FEDERATION = 256,
    OPT_NODE,
    OPT_KEY,
    OPT_OUT,
    OPT_ISSUER_KEY,
    OPT_ISSUER_CERT,
    OPT_REQUEST,
    OPT_ROLE,
    OPT_PARENT,
    OPT_CERT,
    OPT_REASON,
    OPT_PASSPHRASE_FILE,
    OPT_DAYS,
    OPT_LAST_GOOD,
    OPT_JSON,
    OPT_HELP,
};

static int
parse_opts(int argc, char **argv, keys_opts *o)
{
    static const struct option opts[] = {
        {"federation", required_argument, NULL, OPT_FEDERATION},
        {"node", required_argument, NULL, OPT_NODE},
        {"key", required_argument, NULL, OPT_KEY},
        {"out", required_argument, NULL, OPT_OUT},
        {"issuer-key", required_argument, NULL, OPT_ISSUER_KEY},
        {"issuer-cert", required_argument, NULL, OPT_ISSUER_CERT},
        {"request", required_argument, NULL, OPT_REQUEST},
        {"role", required_argument, NULL, OPT_ROLE},
        {"parent", required_argument, NULL, OPT_PARENT},
        {"cert", required_argument, NULL, OPT_CERT},
        {"reason", required_argument, NULL, OPT_REASON},
        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
        {"days", required_argument, NULL, OPT_DAYS},
        {"last-good-seq", required_argument, NULL, OPT_LAST_GOOD},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;

    memset(o, 0, sizeof(*o));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FEDERATION:
            o->federation = optarg;
            break;
        case OPT_NODE:
            o->node = optarg;
            break;
        case OPT_KEY:
            o->key = optarg;
            break;
        case OPT_OUT:
            o->out = optarg;
            break;
        case OPT_ISSUER_KEY:
            o->issuer_key = optarg;
            break;
        case OPT_ISSUER_CERT:
            o->issuer_cert = optarg;
            break;
        case OPT_REQUEST:
            o->request = optarg;
            break;
        case OPT_ROLE:
            o->role = optarg;
            break;
        case OPT_PARENT:
            o->parent = optarg;
            break;
        case OPT_CERT:
            o->cert = optarg;
            break;
        case OPT_REASON:
            o->reason = optarg;
            break;
        case OPT_PASSPHRASE_FILE:
            o->passphrase_file = optarg;
            break;
        case OPT_DAYS:
            errno = 0;
            o->days = strtol(optarg, &end, 10);
            if (errno || *end || o->days < 1 || o->days > 36500)
                return cli_usage(usage_text, "--days must be a number from 1 to 36500");
            break;
        case OPT_LAST_GOOD:
            errno = 0;
            o->last_good_seq = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-')
                return cli_usage(usage_text, "--last-good-seq must be a sequence number");
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return -1;
        default:
            return cli_usage(usage_text, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return CLI_OK;
}

static char *
b64(const uint8_t *p, size_t n)
{
    char *s = NULL;

    return cf_base64_encode(p, n, &s) == CF_OK ? s : NULL;
}

cf_status
cli_keydir_create(const char *dir, const char *passphrase, bool keep_existing, cf_pubkeys *out,
                  bool *out_kept, char *err, size_t errlen)
{
    char *idp = cf_path_join(dir, "identity.key");
    char *nkp = cf_path_join(dir, "transport.nk");
    char *pubp = cf_path_join(dir, "node.pub");
    cf_identity *id = NULL;
    cf_nkey *nk = NULL;
    struct stat sb;
    cf_status st = CF_E_NOMEM;
    bool have_id, have_nk;

    *out_kept = false;
    if (!idp || !nkp || !pubp)
        goto out;
    st = cf_dir_make(dir, 0700);
    if (st != CF_OK) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    have_id = stat(idp, &sb) == 0;
    have_nk = stat(nkp, &sb) == 0;
    if (have_id || have_nk) {
        if (!keep_existing || !have_id || !have_nk) {
            st = CF_E_EXISTS;
            snprintf(err, errlen, "%s already holds %s: refusing to overwrite keys", dir,
                     have_id ? "identity.key" : "transport.nk");
            goto out;
        }
        st = cf_identity_load(idp, passphrase, &id);
        if (st != CF_OK) {
            snprintf(err, errlen, "existing identity key %s: %s", idp, cf_key_error_hint(st));
            goto out;
        }
        st = cf_nkey_load(nkp, &nk);
        if (st != CF_OK) {
            snprintf(err, errlen, "existing transport key %s: %s", nkp, cf_key_error_hint(st));
            goto out;
        }
        *out_kept = true;
    } else {
        st = cf_identity_generate(&id);
        if (st == CF_OK)
            st = cf_nkey_generate(&nk);
        if (st == CF_OK)
            st = cf_identity_save(id, idp, passphrase);
        if (st == CF_OK)
            st = cf_nkey_save(nk, nkp);
        if (st != CF_OK) {
            snprintf(err, errlen, "cannot write keys in %s: %s", dir, cf_status_str(st));
            goto out;
        }
    }
    memcpy(out->identity, id->sign_pk, CF_PK_LEN);
    memcpy(out->transport, nk->pk, CF_PK_LEN);
    memcpy(out->encryption, id->box_pk, CF_PK_LEN);
    if (stat(pubp, &sb) != 0) {
        st = cf_pubkeys_save(out, pubp);
        if (st != CF_OK)
            snprintf(err, errlen, "cannot write %s: %s", pubp, cf_status_str(st));
    }
out:
    cf_identity_free(id);
    cf_nkey_free(nk);
    free(idp);
    free(nkp);
    free(pubp);
    return st;
}

static int
cmd_gen(int argc, char **argv)
{
    keys_opts o;
    cf_pubkeys pk;
    char err[512], nkey[CF_NKEY_PUBLIC_LEN + 1], *pass = NULL, *idb64;
    bool kept;
    int rc = parse_opts(argc, argv, &o);
    cf_status st;

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc - 1)
        return cli_usage(usage_text, "keys gen takes one directory");
    if (cf_passphrase_read(o.passphrase_file, &pass) != CF_OK)
        return cli_fail("cannot read passphrase file %s (it must exist and be mode 0600)",
                        o.passphrase_file);
    st = cli_keydir_create(argv[optind], pass, false, &pk, &kept, err, sizeof(err));
    cf_passphrase_free(pass);
    if (st != CF_OK)
        return cli_fail("%s", err);
    cf_nkey_public_encode(pk.transport, nkey);
    idb64 = b64(pk.identity, CF_PK_LEN);
    printf("identity  %s\ntransport %s\nwritten   %s/{identity.key,transport.nk,node.pub}\n",
           idb64 ? idb64 : "?", nkey, argv[optind]);
    free(idb64);
    return CLI_OK;
}

/* Load a secret key file for signing, with the passphrase if one is given. */
static int
load_signer(const char *path, const char *passphrase_file, cf_identity **out)
{
    char *pass = NULL;
    cf_status st;

    if (cf_passphrase_read(passphrase_file, &pass) != CF_OK)
        return cli_fail("cannot read passphrase file %s (it must exist and be mode 0600)",
                        passphrase_file);
    st = cf_identity_load(path, pass, out);
    cf_passphrase_free(pass);
    if (st != CF_OK)
        return cli_fail("key %s: %s", path, cf_key_error_hint(st));
    return CLI_OK;
}

static int
write_cert(const cf_cert *c, const char *path)
{
    cf_buf text;
    cf_status st;

    cf_buf_init(&text);
    st = cf_armor_encode(CF_ARMOR_CERT, c->wire, c->len, &text);
    if (st == CF_OK)
        st = cf_file_write(path, text.data, text.len, 0644, true);
    cf_buf_clear(&text);
    if (st == CF_E_EXISTS)
        return cli_fail("%s exists: refusing to overwrite it", path);
    if (st != CF_OK)
        return cli_fail("cannot write %s: %s", path, cf_status_str(st));
    return CLI_OK;
}

static int
cmd_root(int argc, char **argv)
{
    keys_opts o;
    cf_identity *id = NULL;
    cf_cert *cert = NULL;
    cf_cert_request req;
    struct stat sb;
    int rc = parse_opts(argc, argv, &o);
    cf_status st;

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc || !o.federation || !o.node || !o.key || !o.out)
        return cli_usage(usage_text, "keys root needs --federation, --node, --key and --out");
    if (!cf_id_valid(o.federation) || !cf_id_valid(o.node))
        return cli_fail("federation and node ids must match [a-z0-9-]{1,32}");
    if (stat(o.key, &sb) == 0) {
        rc = load_signer(o.key, o.passphrase_file, &id);
        if (rc != CLI_OK)
            return rc;
    } else {
        char *pass = NULL;
        if (cf_passphrase_read(o.passphrase_file, &pass) != CF_OK)
            return cli_fail("cannot read passphrase file %s", o.passphrase_file);
        st = cf_identity_generate(&id);
        if (st == CF_OK)
            st = cf_identity_save(id, o.key, pass);
        cf_passphrase_free(pass);
        if (st != CF_OK) {
            cf_identity_free(id);
            return cli_fail("cannot write root key %s: %s", o.key, cf_status_str(st));
        }
    }
    memset(&req, 0, sizeof(req));
    req.federation = o.federation;
    req.node = o.node;
    req.role = CF_ROLE_ROOT;
    memcpy(req.keys.identity, id->sign_pk, CF_PK_LEN);
    memcpy(req.keys.transport, id->sign_pk, CF_PK_LEN); /* a root never logs in to NATS */
    memcpy(req.keys.encryption, id->box_pk, CF_PK_LEN);
    req.not_before_ms = cf_clock_now_ms() - 60 * 1000; /* tolerate a little clock skew */
    req.not_after_ms = req.not_before_ms + (o.days ? o.days : CLI_ROOT_DAYS) * 86400000LL;
    st = cf_cert_issue(id, NULL, &req, &cert);
    cf_identity_free(id);
    if (st != CF_OK)
        return cli_fail("cannot issue the root certificate: %s", cf_status_str(st));
    rc = write_cert(cert, o.out);
    if (rc == CLI_OK)
        printf("root certificate of federation %s written to %s\n", o.federation, o.out);
    cf_cert_free(cert);
    return rc;
}

/* Load exactly one certificate (the first of a chain file). */
static int
load_first_cert(const char *path, cf_cert **out)
{
    cf_cert **v = NULL;
    size_t n = 0;
    cf_status st = cf_cert_load_file(path, &v, &n);

    if (st != CF_OK)
        return cli_fail("certificate %s: %s", path, cf_status_str(st));
    *out = v[0];
    v[0] = NULL;
    cf_certv_free(v, n);
    return CLI_OK;
}

static int
cmd_certify(int argc, char **argv)
{
    keys_opts o;
    cf_identity *id = NULL;
    cf_cert *issuer = NULL, *cert = NULL;
    cf_cert_request req;
    int rc = parse_opts(argc, argv, &o);
    cf_status st;

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc || !o.issuer_key || !o.issuer_cert || !o.request || !o.node || !o.role ||
        !o.out)
        return cli_usage(usage_text, "keys certify needs --issuer-key, --issuer-cert, "
                                     "--request, --node, --role and --out");
    memset(&req, 0, sizeof(req));
    req.role = cf_role_parse(o.role);
    if (req.role == CF_ROLE_NONE)
        return cli_usage(usage_text, "unknown role '%s'", o.role);
    st = cf_pubkeys_load(o.request, &req.keys);
    if (st != CF_OK)
        return cli_fail("public key file %s: %s", o.request,
                        st == CF_E_NOT_FOUND ? "no such file" : "not a certfed node.pub");
    rc = load_first_cert(o.issuer_cert, &issuer);
    if (rc == CLI_OK)
        rc = load_signer(o.issuer_key, o.passphrase_file, &id);
    if (rc != CLI_OK)
        goto out;
    req.federation = issuer->federation;
    req.node = o.node;
    /* the parent defaults to the issuer; the Council's node has none */
    req.parent = o.parent ? o.parent : req.role == CF_ROLE_COUNCIL ? "" : issuer->body->node;
    req.not_before_ms = cf_clock_now_ms() - 60 * 1000;
    req.not_after_ms = req.not_before_ms + (o.days ? o.days : CLI_NODE_DAYS) * 86400000LL;
    st = cf_cert_issue(id, issuer, &req, &cert);
    if (st == CF_E_UNAUTHORIZED) {
        rc = cli_fail("a %s ('%s') may not certify '%s' as a %s with parent '%s'",
                      cf_role_name(issuer->body->role), issuer->body->node, o.node,
                      cf_role_name(req.role), req.parent);
        goto out;
    }
    if (st != CF_OK) {
        rc = cli_fail("cannot issue the certificate: %s%s", cf_status_str(st),
                      st == CF_E_INVALID_ARG ? " (does the issuer key match the issuer "
                                               "certificate? is the node id valid?)"
                                             : "");
        goto out;
    }
    rc = write_cert(cert, o.out);
    if (rc == CLI_OK)
        printf("certified %s (%s) under %s: %s\n", o.node, cf_role_name(req.role),
               issuer->body->node, o.out);
out:
    cf_identity_free(id);
    cf_cert_free(issuer);
    cf_cert_free(cert);
    return rc;
}

static int
cmd_revoke(int argc, char **argv)
{
    keys_opts o;
    cf_identity *id = NULL;
    cf_cert *issuer = NULL, *subject = NULL;
    cf_revoke_request req;
    cf_buf wire, text;
    int rc = parse_opts(argc, argv, &o);
    cf_status st;

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc || !o.issuer_key || !o.issuer_cert || !o.cert || !o.out)
        return cli_usage(usage_text,
                         "keys revoke needs --issuer-key, --issuer-cert, --cert and --out");
    cf_buf_init(&wire);
    cf_buf_init(&text);
    rc = load_first_cert(o.issuer_cert, &issuer);
    if (rc == CLI_OK)
        rc = load_first_cert(o.cert, &subject);
    if (rc == CLI_OK)
        rc = load_signer(o.issuer_key, o.passphrase_file, &id);
    if (rc != CLI_OK)
        goto out;
    req.subject = subject;
    req.last_good_seq = o.last_good_seq;
    req.reason = o.reason;
    req.now_ms = cf_clock_now_ms();
    st = cf_revocation_issue(id, issuer, &req, &wire);
    if (st == CF_OK)
        st = cf_armor_encode(CF_ARMOR_REVOCATION, wire.data, wire.len, &text);
    if (st == CF_OK)
        st = cf_file_write(o.out, text.data, text.len, 0644, true);
    if (st != CF_OK) {
        rc = cli_fail("cannot revoke: %s%s", cf_status_str(st),
                      st == CF_E_UNAUTHORIZED ? " (only the issuer or the root may revoke)"
                      : st == CF_E_EXISTS     ? " (the output file exists)"
                                              : "");
        goto out;
    }
    printf("revoked %s (serial %016llx) after sequence %llu: %s\n", subject->body->node,
           (unsigned long long)subject->body->serial, (unsigned long long)o.last_good_seq, o.out);
out:
    cf_buf_clear(&wire);
    cf_buf_clear(&text);
    cf_identity_free(id);
    cf_cert_free(issuer);
    cf_cert_free(subject);
    return rc;
}

/* ---- show ------------------------------------------------------------------ */

static void
add_key(cJSON *o, const char *name, const uint8_t *k)
{
    char *s = b64(k, CF_PK_LEN);

    cJSON_AddStringToObject(o, name, s ? s : "");
    free(s);
}

static void
add_time(cJSON *o, const char *name, int64_t ms)
{
    char t[32];

    cli_format_time(ms, t, sizeof(t));
    cJSON_AddStringToObject(o, name, t);
}

static cJSON *
cert_json(const cf_cert *c)
{
    const cf_member_cert *b = c->body;
    cJSON *o = cJSON_CreateObject();
    char nkey[CF_NKEY_PUBLIC_LEN + 1], serial[17], id[2 * CF_ID_LEN + 1];

    snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)b->serial);
    cf_hex_encode(c->msg->env.id, CF_ID_LEN, id);
    cJSON_AddStringToObject(o, "kind", "certificate");
    cJSON_AddStringToObject(o, "federation", c->federation);
    cJSON_AddStringToObject(o, "node", b->node);
    cJSON_AddStringToObject(o, "role", cf_role_name(b->role));
    cJSON_AddStringToObject(o, "parent", b->parent);
    cJSON_AddStringToObject(o, "issuer", c->msg->body.header.origin);
    cJSON_AddBoolToObject(o, "self_signed", memcmp(b->identity_key, b->issuer_key, 32) == 0);
    cJSON_AddStringToObject(o, "serial", serial);
    add_time(o, "not_before", b->not_before_ms);
    add_time(o, "not_after", b->not_after_ms);
    add_key(o, "identity_key", b->identity_key);
    cf_nkey_public_encode(b->transport_key, nkey);
    cJSON_AddStringToObject(o, "transport_nkey", nkey);
    add_key(o, "encryption_key", b->encryption_key);
    add_key(o, "issuer_key", b->issuer_key);
    cJSON_AddStringToObject(o, "id", id);
    return o;
}

static cf_status
revocation_json(const uint8_t *data, size_t len, void *arg)
{
    cJSON *list = arg, *o;
    cf_message *m = NULL;
    cf_status st = cf_envelope_open(data, len, NULL, CF_MSG_REVOCATION, NULL, 0, &m);
    char serial[17];

    if (st != CF_OK)
        return st;
    const cf_revocation *r = &m->body.u.revocation;
    o = cJSON_CreateObject();
    snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)r->serial);
    cJSON_AddStringToObject(o, "kind", "revocation");
    cJSON_AddStringToObject(o, "federation", m->body.header.federation);
    cJSON_AddStringToObject(o, "node", r->node);
    cJSON_AddStringToObject(o, "serial", serial);
    cJSON_AddNumberToObject(o, "last_good_seq", (double)r->last_good_seq);
    cJSON_AddStringToObject(o, "reason", r->reason);
    cJSON_AddStringToObject(o, "revoked_by", m->body.header.origin);
    add_time(o, "revoked_at", r->revoked_ms);
    add_key(o, "key", r->key);
    add_key(o, "signer", m->env.signer);
    cJSON_AddItemToArray(list, o);
    cf_message_free(m);
    return CF_OK;
}

/* Describe FILE as a JSON array of objects (one per certificate). */
static int
describe(const char *path, cJSON *list)
{
    uint8_t *text = NULL;
    size_t len;
    cf_status st = cf_file_read(path, 16 * 1024 * 1024, &text, &len);
    const char *s = (const char *)text;

    if (st != CF_OK)
        return cli_fail("%s: %s", path, st == CF_E_NOT_FOUND ? "no such file" : cf_status_str(st));
    if (strstr(s, "-----BEGIN " CF_ARMOR_CERT "-----")) {
        cf_cert **v = NULL;
        size_t n = 0;
        free(text);
        st = cf_cert_load_file(path, &v, &n);
        if (st != CF_OK)
            return cli_fail("%s: bad certificate: %s", path, cf_status_str(st));
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(list, cert_json(v[i]));
        cf_certv_free(v, n);
        return CLI_OK;
    }
    if (strstr(s, "-----BEGIN " CF_ARMOR_REVOCATION "-----")) {
        st = cf_armor_decode(s, CF_ARMOR_REVOCATION, revocation_json, list);
        free(text);
        return st == CF_OK ? CLI_OK : cli_fail("%s: bad revocation: %s", path, cf_status_str(st));
    }
    if (strstr(s, "format = certfed-public-v1")) {
        cf_pubkeys pk;
        char nkey[CF_NKEY_PUBLIC_LEN + 1];
        free(text);
        if (cf_pubkeys_load(path, &pk) != CF_OK)
            return cli_fail("%s: bad public key file", path);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", "public-keys");
        add_key(o, "identity_key", pk.identity);
        cf_nkey_public_encode(pk.transport, nkey);
        cJSON_AddStringToObject(o, "transport_nkey", nkey);
        add_key(o, "encryption_key", pk.encryption);
        cJSON_AddItemToArray(list, o);
        return CLI_OK;
    }
    bool identity = strstr(s, "format = certfed-identity-v1") != NULL;
    bool sealed = strstr(s, "sealing =") != NULL;
    bool nkey_seed = len >= 2 && s[0] == 'S' && s[1] == 'U';
    sodium_memzero(text, len);
    free(text);
    if (identity) {
        cJSON *o = cJSON_CreateObject();
        cf_identity *id = NULL;
        cJSON_AddStringToObject(o, "kind", "identity-key");
        cJSON_AddBoolToObject(o, "sealed", sealed);
        if (!sealed) {
            st = cf_identity_load(path, NULL, &id);
            if (st != CF_OK) {
                cJSON_Delete(o);
                return cli_fail("%s: %s", path, cf_key_error_hint(st));
            }
            add_key(o, "identity_key", id->sign_pk);
            add_key(o, "encryption_key", id->box_pk);
            cf_identity_free(id);
        }
        cJSON_AddItemToArray(list, o);
        return CLI_OK;
    }
    if (nkey_seed) {
        cf_nkey *k = NULL;
        char nkey[CF_NKEY_PUBLIC_LEN + 1];
        st = cf_nkey_load(path, &k);
        if (st != CF_OK)
            return cli_fail("%s: %s", path, cf_key_error_hint(st));
        cf_nkey_public_encode(k->pk, nkey);
        cf_nkey_free(k);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", "transport-key");
        cJSON_AddStringToObject(o, "transport_nkey", nkey);
        cJSON_AddItemToArray(list, o);
        return CLI_OK;
    }
    return cli_fail("%s: not a certificate, revocation, node.pub or key file", path);
}

static void
print_text(const cJSON *list)
{
    const cJSON *o, *f;

    cJSON_ArrayForEach(o, list)
    {
        if (o != list->child)
            putchar('\n');
        cJSON_ArrayForEach(f, o)
        {
            if (cJSON_IsString(f))
                printf("%-15s %s\n", f->string, f->valuestring);
            else if (cJSON_IsBool(f))
                printf("%-15s %s\n", f->string, cJSON_IsTrue(f) ? "yes" : "no");
            else if (cJSON_IsNumber(f))
                printf("%-15s %.0f\n", f->string, f->valuedouble);
        }
    }
}

static int
cmd_show(int argc, char **argv)
{
    keys_opts o;
    cJSON *list;
    int rc = parse_opts(argc, argv, &o);

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc - 1)
        return cli_usage(usage_text, "keys show takes one file");
    list = cJSON_CreateArray();
    if (!list)
        return cli_fail("out of memory");
    rc = describe(argv[optind], list);
    if (rc == CLI_OK) {
        if (o.json) {
            char *s = cJSON_Print(list);
            puts(s ? s : "[]");
            free(s);
        } else {
            print_text(list);
        }
    }
    cJSON_Delete(list);
    return rc;
}

int
cli_keys(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"gen", cmd_gen},       {"root", cmd_root}, {"certify", cmd_certify},
        {"revoke", cmd_revoke}, {"show", cmd_show},
    };

    if (argc < 2)
        return cli_usage(usage_text, "keys needs a subcommand");
    if (strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < CF_ARRAY_LEN(cmds); i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    return cli_usage(usage_text, "unknown keys subcommand '%s'", argv[1]);
}
