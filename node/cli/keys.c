/*
 * keys.c - `certfed keys gen|root|certify|revoke|seal|show`: the offline side of
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
    "  certfed keys gen DIR [--transport NKEYFILE] [--passphrase-file F] [--json]\n"
    "      new identity.key, transport.nk and node.pub in DIR (0700; keys 0600);\n"
    "      with --transport, a new identity key only, beside a copy of NKEYFILE\n"
    "      (a stolen identity key replaced, the NATS login kept)\n"
    "  certfed keys root --federation NAME --node ID --key FILE --out CERT\n"
    "                    [--days N] [--passphrase-file F] [--json]\n"
    "      the Council's self-signed root certificate; creates the root key FILE\n"
    "      if it does not exist\n"
    "  certfed keys certify --issuer-key FILE --issuer-cert CERT --request node.pub\n"
    "                       --node ID --role ROLE [--parent ID] --out CERT\n"
    "                       [--days N] [--passphrase-file F] [--json]\n"
    "      certify a node's public keys (node.pub, or the first certificate of a\n"
    "      file: a renewal) as a member of the federation; the root certifying a\n"
    "      new root key with --role root is a root rotation\n"
    "  certfed keys revoke --issuer-key FILE --issuer-cert CERT --cert CERT --out FILE\n"
    "                      [--last-good-seq N] [--reason TEXT] [--passphrase-file F]\n"
    "                      [--json]\n"
    "      revoke a certificate's key; its messages after N are rejected\n"
    "  certfed keys seal FILE --passphrase-file F [--old-passphrase-file F]\n"
    "      seal an identity key file with a passphrase, in place (or change its\n"
    "      passphrase); the node then needs passphrase_file in its node.conf\n"
    "  certfed keys show FILE [--json]\n"
    "      show a certificate (or chain), revocation, node.pub or key file\n"
    "      (public parts only)\n"
    "A passphrase file holds the passphrase on its first line, which must not be\n"
    "empty, and must be private (0600). With --json the result is printed as JSON.\n";

/* Options all keys subcommands understand; each uses those it needs. */
typedef struct keys_opts {
    const char *federation, *node, *key, *out, *issuer_key, *issuer_cert, *request;
    const char *role, *parent, *cert, *reason, *passphrase_file, *old_passphrase_file;
    const char *transport;
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
    OPT_OLD_PASSPHRASE_FILE,
    OPT_DAYS,
    OPT_LAST_GOOD,
    OPT_JSON,
    OPT_HELP,
    OPT_TRANSPORT,
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
        {"old-passphrase-file", required_argument, NULL, OPT_OLD_PASSPHRASE_FILE},
        {"days", required_argument, NULL, OPT_DAYS},
        {"last-good-seq", required_argument, NULL, OPT_LAST_GOOD},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
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
        case OPT_OLD_PASSPHRASE_FILE:
            o->old_passphrase_file = optarg;
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
        case OPT_TRANSPORT:
            o->transport = optarg;
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

/* ---- JSON ------------------------------------------------------------------ */

/* Each add returns false when out of memory (or when o is NULL), so a builder
 * can `ok &= add...` every field and check once. */
static bool
add_str(cJSON *o, const char *name, const char *value)
{
    return cJSON_AddStringToObject(o, name, value) != NULL;
}

static bool
add_key(cJSON *o, const char *name, const uint8_t *k)
{
    char *s = b64(k, CF_PK_LEN);
    bool ok = s && add_str(o, name, s);

    free(s);
    return ok;
}

static bool
add_nkey(cJSON *o, const char *name, const uint8_t *k)
{
    char nkey[CF_NKEY_PUBLIC_LEN + 1];

    cf_nkey_public_encode(k, nkey);
    return add_str(o, name, nkey);
}

static bool
add_time(cJSON *o, const char *name, int64_t ms)
{
    char t[32];

    cli_format_time(ms, t, sizeof(t));
    return add_str(o, name, t);
}

/* Add item to list (an array); takes ownership of item, which may be NULL. */
static bool
add_item(cJSON *list, cJSON *item)
{
    if (item && cJSON_AddItemToArray(list, item))
        return true;
    cJSON_Delete(item);
    return false;
}

/* A certificate as `keys show --json` prints it; NULL when out of memory. */
static cJSON *
cert_json(const cf_cert *c)
{
    const cf_member_cert *b = c->body;
    cJSON *o = cJSON_CreateObject();
    char serial[17], id[2 * CF_ID_LEN + 1];
    bool ok = o != NULL;

    snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)b->serial);
    cf_hex_encode(c->msg->env.id, CF_ID_LEN, id);
    ok &= add_str(o, "kind", "certificate");
    ok &= add_str(o, "federation", c->federation);
    ok &= add_str(o, "node", b->node);
    ok &= add_str(o, "role", cf_role_name(b->role));
    ok &= add_str(o, "parent", b->parent);
    ok &= add_str(o, "issuer", c->msg->body.header.origin);
    ok &= cJSON_AddBoolToObject(o, "self_signed",
                                memcmp(b->identity_key, b->issuer_key, CF_PK_LEN) == 0) != NULL;
    ok &= add_str(o, "serial", serial);
    ok &= add_time(o, "not_before", b->not_before_ms);
    ok &= add_time(o, "not_after", b->not_after_ms);
    ok &= add_key(o, "identity_key", b->identity_key);
    ok &= add_nkey(o, "transport_nkey", b->transport_key);
    ok &= add_key(o, "encryption_key", b->encryption_key);
    ok &= add_key(o, "issuer_key", b->issuer_key);
    ok &= add_str(o, "id", id);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/*
 * A revocation (its signed bytes) as an object. last_good_seq is a string of
 * its exact decimal value: a uint64 does not fit a JSON number (a double).
 * @return CF_OK, CF_E_NOMEM, or why the bytes are not a revocation
 */
static cf_status
revocation_obj(const uint8_t *data, size_t len, cJSON **out)
{
    cf_message *m = NULL;
    cf_status st = cf_envelope_open(data, len, NULL, CF_MSG_REVOCATION, NULL, 0, &m);
    char serial[17], seq[21];
    cJSON *o;
    bool ok;

    if (st != CF_OK)
        return st;
    const cf_revocation *r = &m->body.u.revocation;
    o = cJSON_CreateObject();
    ok = o != NULL;
    snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)r->serial);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->last_good_seq);
    ok &= add_str(o, "kind", "revocation");
    ok &= add_str(o, "federation", m->body.header.federation);
    ok &= add_str(o, "node", r->node);
    ok &= add_str(o, "serial", serial);
    ok &= add_str(o, "last_good_seq", seq);
    ok &= add_str(o, "reason", r->reason);
    ok &= add_str(o, "revoked_by", m->body.header.origin);
    ok &= add_time(o, "revoked_at", r->revoked_ms);
    ok &= add_key(o, "key", r->key);
    ok &= add_key(o, "signer", m->env.signer);
    cf_message_free(m);
    if (!ok) {
        cJSON_Delete(o);
        return CF_E_NOMEM;
    }
    *out = o;
    return CF_OK;
}

int
cli_print_json(cJSON *o)
{
    char *s = o ? cJSON_Print(o) : NULL;

    cJSON_Delete(o);
    if (!s)
        return cli_fail("out of memory");
    puts(s);
    free(s);
    return CLI_OK;
}

/* ---- keys ------------------------------------------------------------------ */

void
cli_unusable_transport_key(uint8_t out[CF_PK_LEN])
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

    /* crypto_sign_keypair cannot fail; its secret half is wiped at once, so
     * nobody holds the key that matches this public key */
    (void)crypto_sign_keypair(pk, sk);
    sodium_memzero(sk, sizeof(sk));
    memcpy(out, pk, CF_PK_LEN);
}

/* Read --passphrase-file (none: NULL), failing with a message that says what
 * is wrong with the file. */
static int
read_passphrase(const char *path, char **out)
{
    cf_status st = cf_passphrase_read(path, out);

    if (st == CF_E_PASSPHRASE)
        return cli_fail("passphrase file %s is empty", path);
    if (st != CF_OK)
        return cli_fail("passphrase file %s: %s", path, cf_passphrase_error_hint(st));
    return CLI_OK;
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
    cf_pubkeys pk;
    struct stat sb;
    cf_status st = CF_E_NOMEM;
    bool have_id, have_nk, kept = false;

    snprintf(err, errlen, "out of memory");
    if (!idp || !nkp || !pubp)
        goto out;
    st = cf_dir_make(dir, 0700);
    if (st != CF_OK) {
        snprintf(err, errlen, "cannot create %s: %s", dir, cli_reason(st));
        goto out;
    }
    /* keys are only as private as their folder: one that others may list or
     * write lets them swap a key file (ssh checks ~/.ssh the same way) */
    if (stat(dir, &sb) != 0) {
        st = CF_E_IO;
        snprintf(err, errlen, "cannot check %s: %s", dir, strerror(errno));
        goto out;
    }
    if ((sb.st_mode & 077) != 0) {
        st = CF_E_PERMISSIONS;
        snprintf(err, errlen,
                 "key directory %s: group or others may access it (mode %03o); run chmod 700 "
                 "on it",
                 dir, (unsigned)(sb.st_mode & 0777));
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
        kept = true;
    } else {
        st = cf_identity_generate(&id);
        if (st == CF_OK)
            st = cf_nkey_generate(&nk);
        if (st == CF_OK)
            st = cf_identity_save(id, idp, passphrase);
        if (st == CF_OK)
            st = cf_nkey_save(nk, nkp);
        if (st != CF_OK) {
            snprintf(err, errlen, "cannot write keys in %s: %s", dir, cli_reason(st));
            goto out;
        }
    }
    memcpy(pk.identity, id->sign_pk, CF_PK_LEN);
    memcpy(pk.transport, nk->pk, CF_PK_LEN);
    memcpy(pk.encryption, id->box_pk, CF_PK_LEN);
    if (stat(pubp, &sb) != 0) {
        st = cf_pubkeys_save(&pk, pubp);
        if (st != CF_OK) {
            snprintf(err, errlen, "cannot write %s: %s", pubp, cli_reason(st));
            goto out;
        }
    }
    *out = pk;
    *out_kept = kept;
    st = CF_OK;
out:
    cf_identity_free(id);
    cf_nkey_free(nk);
    free(idp);
    free(nkp);
    free(pubp);
    return st;
}

/*
 * A key directory with a new identity key and a copy of an existing
 * transport key: the identity key was stolen and is revoked, the NATS
 * login (whose permissions the servers know) stays. Never overwrites.
 */
static cf_status
keydir_new_identity(const char *dir, const char *passphrase, const char *nkfile, cf_pubkeys *out,
                    char *err, size_t errlen)
{
    char *idp = cf_path_join(dir, "identity.key");
    char *nkp = cf_path_join(dir, "transport.nk");
    char *pubp = cf_path_join(dir, "node.pub");
    cf_identity *id = NULL;
    cf_nkey *nk = NULL;
    cf_pubkeys pk;
    cf_status st = CF_E_NOMEM;

    snprintf(err, errlen, "out of memory");
    if (!idp || !nkp || !pubp)
        goto out;
    st = cf_nkey_load(nkfile, &nk);
    if (st != CF_OK) {
        snprintf(err, errlen, "transport key %s: %s", nkfile, cf_key_error_hint(st));
        goto out;
    }
    st = cf_dir_make(dir, 0700);
    if (st != CF_OK) {
        snprintf(err, errlen, "cannot create %s: %s", dir, cli_reason(st));
        goto out;
    }
    struct stat sb;
    if (stat(idp, &sb) == 0 || stat(nkp, &sb) == 0 || stat(pubp, &sb) == 0)
        st = CF_E_EXISTS;
    if (st == CF_OK)
        st = cf_identity_generate(&id);
    if (st == CF_OK)
        st = cf_identity_save(id, idp, passphrase);
    if (st == CF_OK)
        st = cf_nkey_save(nk, nkp);
    if (st == CF_OK) {
        memcpy(pk.identity, id->sign_pk, CF_PK_LEN);
        memcpy(pk.transport, nk->pk, CF_PK_LEN);
        memcpy(pk.encryption, id->box_pk, CF_PK_LEN);
        st = cf_pubkeys_save(&pk, pubp);
    }
    if (st != CF_OK) {
        snprintf(err, errlen, "cannot write keys in %s: %s%s", dir,
                 st == CF_E_EXISTS ? "a key file exists" : cli_reason(st),
                 st == CF_E_EXISTS ? ", refusing to overwrite it" : "");
        goto out;
    }
    *out = pk;
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
    rc = read_passphrase(o.passphrase_file, &pass);
    if (rc != CLI_OK)
        return rc;
    st = o.transport ? keydir_new_identity(argv[optind], pass, o.transport, &pk, err, sizeof(err))
                     : cli_keydir_create(argv[optind], pass, false, &pk, &kept, err, sizeof(err));
    cf_passphrase_free(pass);
    if (st != CF_OK)
        return cli_fail("%s", err);
    if (o.json) {
        cJSON *j = cJSON_CreateObject();
        bool ok = j != NULL;
        ok &= add_key(j, "identity_key", pk.identity);
        ok &= add_nkey(j, "transport_nkey", pk.transport);
        ok &= add_key(j, "encryption_key", pk.encryption);
        ok &= add_str(j, "dir", argv[optind]);
        if (!ok) {
            cJSON_Delete(j);
            return cli_fail("out of memory");
        }
        return cli_print_json(j);
    }
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
    int rc = read_passphrase(passphrase_file, &pass);

    if (rc != CLI_OK)
        return rc;
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
        return cli_fail("cannot write %s: %s", path, cli_reason(st));
    return CLI_OK;
}

/* Write a new certificate to path; with json, print it as `keys show --json`
 * does plus "file" (built first, so running out of memory writes nothing). */
static int
write_cert_report(const cf_cert *c, const char *path, bool json)
{
    cJSON *j = NULL;
    int rc;

    if (json) {
        j = cert_json(c);
        if (!j || !add_str(j, "file", path)) {
            cJSON_Delete(j);
            return cli_fail("out of memory");
        }
    }
    rc = write_cert(c, path);
    if (rc != CLI_OK) {
        cJSON_Delete(j);
        return rc;
    }
    return json ? cli_print_json(j) : CLI_OK;
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
        rc = read_passphrase(o.passphrase_file, &pass);
        if (rc != CLI_OK)
            return rc;
        st = cf_identity_generate(&id);
        if (st == CF_OK)
            st = cf_identity_save(id, o.key, pass);
        cf_passphrase_free(pass);
        if (st != CF_OK) {
            cf_identity_free(id);
            return cli_fail("cannot write root key %s: %s", o.key, cli_reason(st));
        }
    }
    memset(&req, 0, sizeof(req));
    req.federation = o.federation;
    req.node = o.node;
    req.role = CF_ROLE_ROOT;
    memcpy(req.keys.identity, id->sign_pk, CF_PK_LEN);
    /* a root never logs in to NATS, but one key never serves both signing
     * and a NATS login (DESIGN.md section 2): a random key nobody holds */
    cli_unusable_transport_key(req.keys.transport);
    memcpy(req.keys.encryption, id->box_pk, CF_PK_LEN);
    req.not_before_ms = cf_clock_now_ms() - CF_CERT_BACKDATE_MS;
    req.not_after_ms = req.not_before_ms + (o.days ? o.days : CLI_ROOT_DAYS) * 86400000LL;
    st = cf_cert_issue(id, NULL, &req, &cert);
    cf_identity_free(id);
    if (st != CF_OK)
        return cli_fail("cannot issue the root certificate: %s", cf_status_str(st));
    rc = write_cert_report(cert, o.out, o.json);
    if (rc == CLI_OK && !o.json)
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
        return cli_fail("certificate %s: %s", path,
                        st == CF_E_NOT_FOUND ? "no such file" : cli_reason(st));
    if (n == 0) {
        cf_certv_free(v, n);
        return cli_fail("certificate %s: holds no certificate", path);
    }
    *out = v[0];
    v[0] = NULL;
    cf_certv_free(v, n);
    return CLI_OK;
}

/* The keys to certify: a node.pub, or the first certificate of a file (a
 * renewal, or a new root's self-signed certificate for a rotation). */
static int
request_keys(const char *path, cf_pubkeys *out)
{
    uint8_t *text = NULL;
    size_t len;
    cf_cert *c = NULL;
    bool is_cert;
    cf_status st = cf_file_read(path, 16 * 1024 * 1024, &text, &len);

    if (st == CF_OK) {
        is_cert = strstr((const char *)text, "-----BEGIN " CF_ARMOR_CERT "-----") != NULL;
        free(text);
        if (is_cert) {
            int rc = load_first_cert(path, &c);
            if (rc != CLI_OK)
                return rc;
            memcpy(out->identity, c->body->identity_key, CF_PK_LEN);
            memcpy(out->transport, c->body->transport_key, CF_PK_LEN);
            memcpy(out->encryption, c->body->encryption_key, CF_PK_LEN);
            cf_cert_free(c);
            return CLI_OK;
        }
        st = cf_pubkeys_load(path, out);
    }
    if (st != CF_OK)
        return cli_fail("public key file %s: %s", path,
                        st == CF_E_NOT_FOUND   ? "no such file"
                        : st == CF_E_MALFORMED ? "not a certfed node.pub"
                                               : cli_reason(st));
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
    rc = request_keys(o.request, &req.keys);
    if (rc != CLI_OK)
        return rc;
    rc = load_first_cert(o.issuer_cert, &issuer);
    if (rc == CLI_OK)
        rc = load_signer(o.issuer_key, o.passphrase_file, &id);
    if (rc != CLI_OK)
        goto out;
    req.federation = issuer->federation;
    req.node = o.node;
    /* the parent defaults to the issuer; the Council's node and a root have none */
    req.parent = o.parent                                                  ? o.parent
                 : req.role == CF_ROLE_COUNCIL || req.role == CF_ROLE_ROOT ? ""
                                                                           : issuer->body->node;
    req.not_before_ms = cf_clock_now_ms() - CF_CERT_BACKDATE_MS;
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
    rc = write_cert_report(cert, o.out, o.json);
    if (rc == CLI_OK && !o.json)
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
    cJSON *j = NULL;
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
    memset(&req, 0, sizeof(req));
    req.subject = subject;
    req.last_good_seq = o.last_good_seq;
    req.reason = o.reason;
    req.now_ms = cf_clock_now_ms();
    st = cf_revocation_issue(id, issuer, &req, &wire);
    if (st == CF_OK)
        st = cf_armor_encode(CF_ARMOR_REVOCATION, wire.data, wire.len, &text);
    if (st != CF_OK) {
        rc = cli_fail("cannot revoke: %s%s", cf_status_str(st),
                      st == CF_E_UNAUTHORIZED ? " (only the issuer or the root may revoke)" : "");
        goto out;
    }
    /* the JSON comes from the signed bytes, and before the file is written */
    if (o.json) {
        st = revocation_obj(wire.data, wire.len, &j);
        if (st == CF_OK && !add_str(j, "file", o.out))
            st = CF_E_NOMEM;
        if (st != CF_OK) {
            rc = cli_fail("cannot describe the revocation: %s", cf_status_str(st));
            goto out;
        }
    }
    st = cf_file_write(o.out, text.data, text.len, 0644, true);
    if (st == CF_E_EXISTS) {
        rc = cli_fail("%s exists: refusing to overwrite it", o.out);
        goto out;
    }
    if (st != CF_OK) {
        rc = cli_fail("cannot write %s: %s", o.out, cli_reason(st));
        goto out;
    }
    if (o.json) {
        rc = cli_print_json(j);
        j = NULL;
        goto out;
    }
    printf("revoked %s (serial %016llx) after sequence %llu: %s\n", subject->body->node,
           (unsigned long long)subject->body->serial, (unsigned long long)o.last_good_seq, o.out);
out:
    cJSON_Delete(j);
    cf_buf_clear(&wire);
    cf_buf_clear(&text);
    cf_identity_free(id);
    cf_cert_free(issuer);
    cf_cert_free(subject);
    return rc;
}

/* ---- show ------------------------------------------------------------------ */

static cf_status
revocation_json(const uint8_t *data, size_t len, void *arg)
{
    cJSON *list = arg, *o = NULL;
    cf_status st = revocation_obj(data, len, &o);

    if (st != CF_OK)
        return st;
    return add_item(list, o) ? CF_OK : CF_E_NOMEM;
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
        return cli_fail("%s: %s", path, st == CF_E_NOT_FOUND ? "no such file" : cli_reason(st));
    if (strstr(s, "-----BEGIN " CF_ARMOR_CERT "-----")) {
        cf_cert **v = NULL;
        size_t n = 0;
        bool ok = true;
        free(text);
        st = cf_cert_load_file(path, &v, &n);
        if (st != CF_OK)
            return cli_fail("%s: bad certificate: %s", path, cf_status_str(st));
        for (size_t i = 0; ok && i < n; i++)
            ok = add_item(list, cert_json(v[i]));
        cf_certv_free(v, n);
        return ok ? CLI_OK : cli_fail("out of memory");
    }
    if (strstr(s, "-----BEGIN " CF_ARMOR_REVOCATION "-----")) {
        st = cf_armor_decode(s, CF_ARMOR_REVOCATION, revocation_json, list);
        free(text);
        if (st == CF_E_NOMEM)
            return cli_fail("out of memory");
        return st == CF_OK ? CLI_OK : cli_fail("%s: bad revocation: %s", path, cf_status_str(st));
    }
    if (strstr(s, "format = certfed-public-v1")) {
        cf_pubkeys pk;
        free(text);
        st = cf_pubkeys_load(path, &pk);
        if (st != CF_OK)
            return cli_fail("%s: bad public key file: %s", path, cli_reason(st));
        cJSON *o = cJSON_CreateObject();
        bool ok = o != NULL;
        ok &= add_str(o, "kind", "public-keys");
        ok &= add_key(o, "identity_key", pk.identity);
        ok &= add_nkey(o, "transport_nkey", pk.transport);
        ok &= add_key(o, "encryption_key", pk.encryption);
        if (!ok) {
            cJSON_Delete(o);
            o = NULL;
        }
        return add_item(list, o) ? CLI_OK : cli_fail("out of memory");
    }
    bool identity = strstr(s, "format = certfed-identity-v1") != NULL;
    bool sealed = strstr(s, "sealing =") != NULL;
    bool nkey_seed = len >= 2 && s[0] == 'S' && s[1] == 'U';
    sodium_memzero(text, len);
    free(text);
    if (identity) {
        cJSON *o = cJSON_CreateObject();
        cf_identity *id = NULL;
        bool ok = o != NULL;
        ok &= add_str(o, "kind", "identity-key");
        ok &= cJSON_AddBoolToObject(o, "sealed", sealed) != NULL;
        if (!sealed) {
            st = cf_identity_load(path, NULL, &id);
            if (st != CF_OK) {
                cJSON_Delete(o);
                return cli_fail("%s: %s", path, cf_key_error_hint(st));
            }
            ok &= add_key(o, "identity_key", id->sign_pk);
            ok &= add_key(o, "encryption_key", id->box_pk);
            cf_identity_free(id);
        }
        if (!ok) {
            cJSON_Delete(o);
            o = NULL;
        }
        return add_item(list, o) ? CLI_OK : cli_fail("out of memory");
    }
    if (nkey_seed) {
        cf_nkey *k = NULL;
        st = cf_nkey_load(path, &k);
        if (st != CF_OK)
            return cli_fail("%s: %s", path, cf_key_error_hint(st));
        cJSON *o = cJSON_CreateObject();
        bool ok = o != NULL;
        ok &= add_str(o, "kind", "transport-key");
        ok &= add_nkey(o, "transport_nkey", k->pk);
        cf_nkey_free(k);
        if (!ok) {
            cJSON_Delete(o);
            o = NULL;
        }
        return add_item(list, o) ? CLI_OK : cli_fail("out of memory");
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
    if (rc != CLI_OK) {
        cJSON_Delete(list);
        return rc;
    }
    if (o.json)
        return cli_print_json(list);
    print_text(list);
    cJSON_Delete(list);
    return CLI_OK;
}

/*
 * Seal an identity key with a passphrase in place (or change it): the key
 * is loaded with the old passphrase, if any, and written again sealed, the
 * new file renamed over the old one only once it is on disk.
 */
static int
cmd_seal(int argc, char **argv)
{
    keys_opts o;
    cf_identity *id = NULL;
    char *pass = NULL;
    int rc = parse_opts(argc, argv, &o);
    cf_status st;

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (optind != argc - 1)
        return cli_usage(usage_text, "keys seal takes one identity key file");
    if (!o.passphrase_file)
        return cli_usage(usage_text, "keys seal needs --passphrase-file (the new passphrase)");
    rc = load_signer(argv[optind], o.old_passphrase_file, &id);
    if (rc != CLI_OK)
        return rc;
    rc = read_passphrase(o.passphrase_file, &pass);
    if (rc == CLI_OK) {
        st = cf_identity_replace(id, argv[optind], pass);
        if (st != CF_OK)
            rc = cli_fail("cannot write %s: %s", argv[optind], cf_key_error_hint(st));
    }
    cf_passphrase_free(pass);
    cf_identity_free(id);
    if (rc != CLI_OK)
        return rc;
    if (o.json) {
        cJSON *j = cJSON_CreateObject();
        if (!j || !add_str(j, "file", argv[optind]) || !cJSON_AddBoolToObject(j, "sealed", true)) {
            cJSON_Delete(j);
            return cli_fail("out of memory");
        }
        return cli_print_json(j);
    }
    printf("sealed %s; give the node its passphrase with passphrase_file = ... in node.conf\n",
           argv[optind]);
    return CLI_OK;
}

int
cli_keys(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"gen", cmd_gen},       {"root", cmd_root}, {"certify", cmd_certify},
        {"revoke", cmd_revoke}, {"seal", cmd_seal}, {"show", cmd_show},
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
