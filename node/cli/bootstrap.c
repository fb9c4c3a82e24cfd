/*
 * bootstrap.c - `certfed bootstrap TOPOLOGY OUTDIR`: everything a federation
 * needs, from a topology file. Layout of OUTDIR:
 *
 *   topology.ini              the topology it was made from
 *   root/root.key, root.cert  the Council's root (keep root.key offline)
 *   federation.certs          every node's certificate
 *   nats/nats-server.conf     users = transport nkeys, permissions by hierarchy
 *   nats/layout               "single" or "hub-leaf": which servers to run
 *   nats/hub.conf,            with --layout hub-leaf: the national hub (one
 *   nats/leaf-<id>.conf       account per CERT) and each CERT's leaf server
 *   nodes/<id>/               one self-contained folder per node: node.conf,
 *                             keys/ (0700), root.cert, chain.certs,
 *                             federation.certs
 *
 * Running it again keeps every existing key (it never overwrites one) and
 * issues fresh certificates and configs, so a node added to the topology
 * joins without disturbing the others.
 */
#include "node/cli/cli.h"
#include "node/cli/progress.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: certfed bootstrap TOPOLOGY OUTDIR [--nats-url URL] [--days N]\n"
    "                         [--layout single|hub-leaf] [--hub HOST:PORT] [--json]\n"
    "\n"
    "Creates keys, certificates, node configs and nats-server configs for every\n"
    "node of TOPOLOGY in OUTDIR. Existing keys in OUTDIR are kept, never replaced.\n"
    "  --nats-url URL  where the nodes find NATS (default nats://127.0.0.1:4222;\n"
    "                  at most 150 characters, no spaces or control characters)\n"
    "  --days N        validity of the node certificates (default 730)\n"
    "  --layout L      single (default): one nats-server, nats/nats-server.conf;\n"
    "                  hub-leaf: also a national hub, nats/hub.conf, and a leaf\n"
    "                  server per CERT, nats/leaf-<id>.conf, that its node uses\n"
    "  --hub HOST:PORT where leaf servers find the hub's leaf-node port (default\n"
    "                  127.0.0.1:7422); the hub listens on that port\n"
    "  --json          print the result as JSON\n";

#define NATS_MAX_PAYLOAD (2 * 1024 * 1024)
/* topologies of this many nodes or more show their progress on stderr */
#define BOOTSTRAP_PROGRESS_MIN 50
/* The URL is written into every node.conf, whose lines must stay short
 * (node/config.c refuses lines over 198 characters). */
#define NATS_URL_MAX 150
/* A leaf server's password: 24 bytes, in hex. */
#define LEAF_PASSWORD_BYTES 24
#define LEAF_PASSWORD_HEX (2 * LEAF_PASSWORD_BYTES + 1)
typedef char leaf_password[LEAF_PASSWORD_HEX];

typedef struct boot {
    const char *outdir;
    const char *nats_url;
    long days;
    bool hub_leaf;   /* --layout hub-leaf */
    const char *hub; /* where leaf servers find the hub */
    cf_topology *topo;
    cf_identity *root_key;
    cf_cert *root_cert;
    cf_identity **ids; /* per node, topology order */
    cf_cert **certs;   /* per node */
    char **nkeys;      /* per node, public "U..." */
    bool *kept;        /* per node: keys existed */
} boot;

static char *
path2(const char *a, const char *b)
{
    return cf_path_join(a, b);
}

static char *
node_dir(const boot *b, size_t i)
{
    char *nodes = path2(b->outdir, "nodes");
    char *dir = nodes ? path2(nodes, b->topo->nodes[i].id) : NULL;

    free(nodes);
    return dir;
}

static int
write_text(const char *path, const cf_buf *text, unsigned mode)
{
    cf_status st = cf_file_write(path, text->data, text->len, mode, false);

    if (st != CF_OK)
        return cli_fail("cannot write %s: %s", path, cli_reason(st));
    return CLI_OK;
}

static int
make_dir(const char *path, unsigned mode)
{
    cf_status st = cf_dir_make(path, mode);

    if (st != CF_OK)
        return cli_fail("cannot create %s: %s", path, cli_reason(st));
    return CLI_OK;
}

/* A URL goes into node.conf as one line: nothing that could end it or hide
 * in it. */
static bool
url_acceptable(const char *url)
{
    if (strlen(url) > NATS_URL_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* A hub address for a leaf's remote URL: "host:port", a port of 1 to 65535,
 * nothing that could end the URL or the config string. Sets *out_port. */
static bool
hub_acceptable(const char *hub, long *out_port)
{
    const char *colon = strrchr(hub, ':');
    char *end;
    long port;

    if (!colon || colon == hub || strlen(hub) > NATS_URL_MAX ||
        strspn(hub, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]") !=
            strlen(hub))
        return false;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
        return false;
    *out_port = port;
    return true;
}

/* The root key is kept if it exists; its certificate is reused if it still
 * belongs to that key and federation. */
static int
make_root(boot *b)
{
    char *dir = path2(b->outdir, "root");
    char *keyp = dir ? path2(dir, "root.key") : NULL;
    char *certp = dir ? path2(dir, "root.cert") : NULL;
    const char *council = NULL;
    struct stat sb;
    cf_status st;
    int rc = CLI_FAIL;

    if (!keyp || !certp) {
        rc = cli_fail("out of memory");
        goto out;
    }
    for (size_t i = 0; i < b->topo->n; i++)
        if (b->topo->nodes[i].role == CF_ROLE_COUNCIL)
            council = b->topo->nodes[i].id;
    rc = make_dir(dir, 0700);
    if (rc != CLI_OK)
        goto out;
    if (stat(keyp, &sb) == 0) {
        st = cf_identity_load(keyp, NULL, &b->root_key);
        if (st != CF_OK) {
            rc = cli_fail("existing root key %s: %s", keyp, cf_key_error_hint(st));
            goto out;
        }
    } else {
        st = cf_identity_generate(&b->root_key);
        if (st == CF_OK)
            st = cf_identity_save(b->root_key, keyp, NULL);
        if (st != CF_OK) {
            rc = cli_fail("cannot write root key %s: %s", keyp, cli_reason(st));
            goto out;
        }
    }
    cf_cert **old = NULL;
    size_t n_old = 0;
    if (cf_cert_load_file(certp, &old, &n_old) == CF_OK && n_old == 1 &&
        memcmp(old[0]->body->identity_key, b->root_key->sign_pk, CF_PK_LEN) == 0 &&
        /* one from before roots had a transport key of their own is replaced */
        memcmp(old[0]->body->transport_key, b->root_key->sign_pk, CF_PK_LEN) != 0 &&
        strcmp(old[0]->federation, b->topo->federation) == 0 &&
        strcmp(old[0]->body->node, council) == 0 &&
        old[0]->body->not_after_ms > cf_clock_now_ms()) {
        b->root_cert = old[0];
        old[0] = NULL;
        cf_certv_free(old, n_old);
        rc = CLI_OK;
        goto out;
    }
    cf_certv_free(old, n_old);

    cf_cert_request req;
    memset(&req, 0, sizeof(req));
    req.federation = b->topo->federation;
    req.node = council;
    req.role = CF_ROLE_ROOT;
    memcpy(req.keys.identity, b->root_key->sign_pk, CF_PK_LEN);
    /* a root never logs in to NATS, but one key never serves both signing
     * and a NATS login (DESIGN.md section 2): a random key nobody holds */
    cli_unusable_transport_key(req.keys.transport);
    memcpy(req.keys.encryption, b->root_key->box_pk, CF_PK_LEN);
    req.not_before_ms = cf_clock_now_ms() - CF_CERT_BACKDATE_MS;
    req.not_after_ms = req.not_before_ms + CLI_ROOT_DAYS * 86400000LL;
    st = cf_cert_issue(b->root_key, NULL, &req, &b->root_cert);
    if (st != CF_OK) {
        rc = cli_fail("cannot issue the root certificate: %s", cf_status_str(st));
        goto out;
    }
    cf_buf text;
    cf_buf_init(&text);
    st = cf_armor_encode(CF_ARMOR_CERT, b->root_cert->wire, b->root_cert->len, &text);
    rc = st == CF_OK ? write_text(certp, &text, 0644) : cli_fail("out of memory");
    cf_buf_clear(&text);
out:
    free(dir);
    free(keyp);
    free(certp);
    return rc;
}

static int
make_node(boot *b, size_t i)
{
    const cf_topo_node *n = &b->topo->nodes[i];
    char *dir = node_dir(b, i);
    char *keys = dir ? path2(dir, "keys") : NULL;
    const cf_identity *issuer_key;
    const cf_cert *issuer_cert;
    cf_cert_request req;
    char err[512];
    char *idp = NULL;
    cf_status st;
    int rc = CLI_FAIL;

    if (!keys) {
        rc = cli_fail("out of memory");
        goto out;
    }
    memset(&req, 0, sizeof(req));
    st = cli_keydir_create(keys, NULL, true, &req.keys, &b->kept[i], err, sizeof(err));
    if (st != CF_OK) {
        rc = cli_fail("node %s: %s", n->id, err);
        goto out;
    }
    idp = path2(keys, "identity.key");
    if (!idp) {
        rc = cli_fail("out of memory");
        goto out;
    }
    st = cf_identity_load(idp, NULL, &b->ids[i]);
    if (st != CF_OK) {
        rc = cli_fail("node %s: identity key %s: %s", n->id, idp, cf_key_error_hint(st));
        goto out;
    }
    /* the Council's root certifies the Council's node and NCERT; every
     * other node is certified by its parent */
    if (n->role == CF_ROLE_COUNCIL || n->role == CF_ROLE_NCERT) {
        issuer_key = b->root_key;
        issuer_cert = b->root_cert;
    } else {
        issuer_key = b->ids[n->parent_idx];
        issuer_cert = b->certs[n->parent_idx];
    }
    req.federation = b->topo->federation;
    req.node = n->id;
    req.role = n->role;
    req.parent = n->parent ? n->parent : "";
    req.not_before_ms = cf_clock_now_ms() - CF_CERT_BACKDATE_MS;
    req.not_after_ms = req.not_before_ms + b->days * 86400000LL;
    st = cf_cert_issue(issuer_key, issuer_cert, &req, &b->certs[i]);
    if (st != CF_OK) {
        rc = cli_fail("node %s: cannot issue its certificate: %s", n->id, cf_status_str(st));
        goto out;
    }
    b->nkeys[i] = malloc(CF_NKEY_PUBLIC_LEN + 1);
    if (!b->nkeys[i]) {
        rc = cli_fail("out of memory");
        goto out;
    }
    cf_nkey_public_encode(req.keys.transport, b->nkeys[i]);
    rc = CLI_OK;
out:
    free(dir);
    free(keys);
    free(idp);
    return rc;
}

/* The chain of node i, leaf first, ending with the root. */
static cf_status
chain_text(const boot *b, size_t i, cf_buf *out)
{
    cf_status st = CF_OK;

    for (size_t cur = i; st == CF_OK;) {
        const cf_topo_node *n = &b->topo->nodes[cur];
        st = cf_armor_encode(CF_ARMOR_CERT, b->certs[cur]->wire, b->certs[cur]->len, out);
        if (n->role == CF_ROLE_COUNCIL || n->role == CF_ROLE_NCERT)
            break;
        cur = n->parent_idx;
    }
    if (st == CF_OK)
        st = cf_armor_encode(CF_ARMOR_CERT, b->root_cert->wire, b->root_cert->len, out);
    return st;
}

static int
write_node_files(const boot *b, size_t i, const cf_buf *all_certs, const cf_buf *root_text)
{
    const cf_topo_node *n = &b->topo->nodes[i];
    char *dir = node_dir(b, i);
    static const char *const names[] = {"node.conf", "root.cert", "chain.certs",
                                        "federation.certs"};
    char *paths[4] = {NULL, NULL, NULL, NULL};
    cf_buf conf, chain;
    int rc = CLI_FAIL;

    cf_buf_init(&conf);
    cf_buf_init(&chain);
    for (size_t k = 0; dir && k < 4; k++)
        if (!(paths[k] = path2(dir, names[k])))
            break;
    if (!dir || !paths[3]) {
        rc = cli_fail("out of memory");
        goto out;
    }
    if (cf_buf_printf(&conf,
                      "# certfed node configuration of '%s' (%s) in federation '%s',\n"
                      "# written by certfed bootstrap. Paths are relative to this file.\n"
                      "[node]\n"
                      "id = %s\n"
                      "federation = %s\n"
                      "keys = keys\n"
                      "root = root.cert\n"
                      "chain = chain.certs\n"
                      "certs = federation.certs\n"
                      "store = store\n"
                      "control = control.sock\n"
                      "\n"
                      "[nats]\n"
                      "url = %s\n"
                      "\n"
                      "[limits]\n"
                      "max_envelope = %d\n",
                      n->id, cf_role_name(n->role), b->topo->federation, n->id, b->topo->federation,
                      b->nats_url, CF_DEFAULT_MAX_ENVELOPE) != CF_OK ||
        chain_text(b, i, &chain) != CF_OK) {
        rc = cli_fail("out of memory");
        goto out;
    }
    rc = write_text(paths[0], &conf, 0644);
    if (rc == CLI_OK)
        rc = write_text(paths[1], root_text, 0644);
    if (rc == CLI_OK)
        rc = write_text(paths[2], &chain, 0644);
    if (rc == CLI_OK)
        rc = write_text(paths[3], all_certs, 0644);
out:
    for (size_t k = 0; k < 4; k++)
        free(paths[k]);
    free(dir);
    cf_buf_clear(&conf);
    cf_buf_clear(&chain);
    return rc;
}

/* The password node i's leaf server logs in to the hub with: a keyed hash
 * of its transport key's seed, so a re-run gives the same password and no
 * new secret needs a file of its own. The transport key's one job stays
 * logging in to NATS; the hash reveals nothing of the key to the hub. */
static int
derive_leaf_password(const boot *b, size_t i, leaf_password out)
{
    static const char context[] = "certfed leaf uplink password v1";
    char *dir = node_dir(b, i);
    char *keys = dir ? path2(dir, "keys") : NULL;
    char *path = keys ? path2(keys, "transport.nk") : NULL;
    uint8_t pw[LEAF_PASSWORD_BYTES];
    cf_nkey *nk = NULL;
    cf_status st;
    int rc = CLI_FAIL;

    if (!path) {
        rc = cli_fail("out of memory");
        goto out;
    }
    st = cf_nkey_load(path, &nk);
    if (st != CF_OK) {
        rc = cli_fail("node %s: transport key %s: %s", b->topo->nodes[i].id, path,
                      cf_key_error_hint(st));
        goto out;
    }
    /* the first half of a libsodium Ed25519 secret key is its seed */
    if (crypto_generichash(pw, sizeof(pw), (const uint8_t *)context, sizeof(context) - 1, nk->sk,
                           crypto_sign_SEEDBYTES) != 0) {
        rc = cli_fail("node %s: cannot derive its leaf password", b->topo->nodes[i].id);
        goto out;
    }
    cf_hex_encode(pw, sizeof(pw), out);
    sodium_memzero(pw, sizeof(pw));
    rc = CLI_OK;
out:
    cf_nkey_free(nk);
    free(dir);
    free(keys);
    free(path);
    return rc;
}

/* nats/hub.conf and nats/leaf-<id>.conf, 0600 as they hold passwords. */
static int
write_hub_leaf_files(const boot *b, const char *natsdir)
{
    leaf_password *pw = calloc(b->topo->n, sizeof(*pw));
    const char **pws = calloc(b->topo->n, sizeof(*pws));
    char listen[32];
    cf_buf conf;
    cf_status st;
    long port = CF_HUB_LEAF_PORT;
    int rc = CLI_OK;

    cf_buf_init(&conf);
    if (!pw || !pws) {
        rc = cli_fail("out of memory");
        goto out;
    }
    (void)hub_acceptable(b->hub, &port); /* checked when the options were read */
    snprintf(listen, sizeof(listen), "0.0.0.0:%ld", port);
    for (size_t i = 0; rc == CLI_OK && i < b->topo->n; i++) {
        rc = derive_leaf_password(b, i, pw[i]);
        pws[i] = pw[i];
    }
    for (size_t i = 0; rc == CLI_OK && i < b->topo->n; i++) {
        char name[64];
        char *path;
        snprintf(name, sizeof(name), "leaf-%s.conf", b->topo->nodes[i].id);
        cf_buf_clear(&conf);
        st = cf_nats_leaf_config(b->topo, &b->topo->nodes[i], b->nkeys[i], pw[i], b->hub,
                                 NATS_MAX_PAYLOAD, &conf);
        if (st != CF_OK) {
            rc = cli_fail("node %s: cannot make its leaf server's configuration: %s",
                          b->topo->nodes[i].id, cf_status_str(st));
            break;
        }
        path = path2(natsdir, name);
        rc = path ? write_text(path, &conf, 0600) : cli_fail("out of memory");
        free(path);
    }
    if (rc == CLI_OK) {
        char *path = path2(natsdir, "hub.conf");
        cf_buf_clear(&conf);
        st = cf_nats_hub_config(b->topo, pws, listen, NATS_MAX_PAYLOAD, &conf);
        if (st != CF_OK)
            rc = cli_fail("cannot make the hub's nats-server configuration: %s", cf_status_str(st));
        else
            rc = path ? write_text(path, &conf, 0600) : cli_fail("out of memory");
        free(path);
    }
out:
    if (pw)
        sodium_memzero(pw, b->topo->n * sizeof(*pw));
    free(pw);
    free(pws);
    if (conf.data)
        sodium_memzero(conf.data, conf.len);
    cf_buf_clear(&conf);
    return rc;
}

static int
write_shared_files(const boot *b, const cf_buf *all_certs, const char *topology_text)
{
    char *fed = path2(b->outdir, "federation.certs");
    char *topo = path2(b->outdir, "topology.ini");
    char *natsdir = path2(b->outdir, "nats");
    char *natsconf = natsdir ? path2(natsdir, "nats-server.conf") : NULL;
    char *layoutp = natsdir ? path2(natsdir, "layout") : NULL;
    cf_buf conf, topo_buf, layout;
    cf_status st;
    int rc = CLI_FAIL;

    cf_buf_init(&conf);
    cf_buf_init(&topo_buf);
    cf_buf_init(&layout);
    if (!fed || !topo || !natsconf || !layoutp ||
        cf_buf_append_str(&topo_buf, topology_text) != CF_OK ||
        cf_buf_append_str(&layout, b->hub_leaf ? "hub-leaf\n" : "single\n") != CF_OK) {
        rc = cli_fail("out of memory");
        goto out;
    }
    rc = make_dir(natsdir, 0755);
    if (rc != CLI_OK)
        goto out;
    st = cf_nats_server_config(b->topo, (const char *const *)b->nkeys, NATS_MAX_PAYLOAD, &conf);
    if (st != CF_OK) {
        rc = cli_fail("cannot make the nats-server configuration: %s", cf_status_str(st));
        goto out;
    }
    rc = write_text(fed, all_certs, 0644);
    if (rc == CLI_OK)
        rc = write_text(topo, &topo_buf, 0644);
    if (rc == CLI_OK)
        rc = write_text(natsconf, &conf, 0644);
    if (rc == CLI_OK && b->hub_leaf)
        rc = write_hub_leaf_files(b, natsdir);
    /* last: a script that reads "hub-leaf" finds every file it needs */
    if (rc == CLI_OK)
        rc = write_text(layoutp, &layout, 0644);
out:
    free(fed);
    free(topo);
    free(natsdir);
    free(natsconf);
    free(layoutp);
    cf_buf_clear(&conf);
    cf_buf_clear(&topo_buf);
    cf_buf_clear(&layout);
    return rc;
}

static void
boot_clear(boot *b)
{
    for (size_t i = 0; b->topo && i < b->topo->n; i++) {
        if (b->ids)
            cf_identity_free(b->ids[i]);
        if (b->certs)
            cf_cert_free(b->certs[i]);
        if (b->nkeys)
            free(b->nkeys[i]);
    }
    free(b->ids);
    free(b->certs);
    free(b->nkeys);
    free(b->kept);
    cf_identity_free(b->root_key);
    cf_cert_free(b->root_cert);
    cf_topology_free(b->topo);
}

/* What was made, for an operator. */
static int
print_text(const boot *b)
{
    size_t kept = 0;

    for (size_t i = 0; i < b->topo->n; i++) {
        const cf_topo_node *n = &b->topo->nodes[i];
        kept += b->kept[i];
        printf("%-12s %-11s %-40s %s\n", n->id, cf_role_name(n->role), n->path,
               b->kept[i] ? "kept existing keys" : "new keys");
    }
    printf("federation %s: %zu nodes (%zu with existing keys kept) in %s\n", b->topo->federation,
           b->topo->n, kept, b->outdir);
    if (b->hub_leaf)
        printf("layout hub-leaf: a national hub (nats/hub.conf; leaf servers find it at %s) and "
               "a leaf server per CERT (nats/leaf-<id>.conf)\n",
               b->hub);
    return CLI_OK;
}

/* What was made, for a script: {"federation", "outdir", "layout": "single"
 * or "hub-leaf", "nodes": [{"id", "role", "path", "keys": "new" or "kept"}]}. */
static int
print_json(const boot *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *nodes = NULL;
    bool ok = cJSON_AddStringToObject(o, "federation", b->topo->federation) &&
              cJSON_AddStringToObject(o, "outdir", b->outdir) &&
              cJSON_AddStringToObject(o, "layout", b->hub_leaf ? "hub-leaf" : "single") &&
              (nodes = cJSON_AddArrayToObject(o, "nodes")) != NULL;

    for (size_t i = 0; ok && i < b->topo->n; i++) {
        const cf_topo_node *n = &b->topo->nodes[i];
        cJSON *j = cJSON_CreateObject();
        ok = cJSON_AddStringToObject(j, "id", n->id) &&
             cJSON_AddStringToObject(j, "role", cf_role_name(n->role)) &&
             cJSON_AddStringToObject(j, "path", n->path) &&
             cJSON_AddStringToObject(j, "keys", b->kept[i] ? "kept" : "new") &&
             cJSON_AddItemToArray(nodes, j);
        if (!ok)
            cJSON_Delete(j); /* NULL, or not in nodes */
    }
    if (!ok) {
        cJSON_Delete(o);
        return cli_fail("out of memory");
    }
    return cli_print_json(o);
}

int
cli_bootstrap(int argc, char **argv)
{
    static const struct option opts[] = {
        {"nats-url", required_argument, NULL, 'u'},
        {"days", required_argument, NULL, 'd'},
        {"layout", required_argument, NULL, 'l'},
        {"hub", required_argument, NULL, 'H'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    boot b;
    uint8_t *text = NULL;
    size_t len;
    char err[512];
    cf_buf all, root_text;
    int c, rc = CLI_FAIL;
    char *end;
    bool json = false;
    long hub_port;
    cf_status st;

    memset(&b, 0, sizeof(b));
    b.nats_url = "nats://127.0.0.1:4222";
    b.days = CLI_NODE_DAYS;
    b.hub = "127.0.0.1:7422";
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            b.nats_url = optarg;
            break;
        case 'd':
            errno = 0;
            b.days = strtol(optarg, &end, 10);
            if (errno || *end || b.days < 1 || b.days > 36500)
                return cli_usage(usage_text, "--days must be a number from 1 to 36500");
            break;
        case 'l':
            if (strcmp(optarg, "single") != 0 && strcmp(optarg, "hub-leaf") != 0)
                return cli_usage(usage_text, "--layout must be single or hub-leaf");
            b.hub_leaf = strcmp(optarg, "hub-leaf") == 0;
            break;
        case 'H':
            b.hub = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return CLI_OK;
        default:
            return cli_usage(usage_text, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 2)
        return cli_usage(usage_text, "bootstrap takes a topology file and an output directory");
    if (strncmp(b.nats_url, "nats://", 7) != 0 && strncmp(b.nats_url, "tls://", 6) != 0)
        return cli_usage(usage_text, "--nats-url must start with nats:// or tls://");
    if (!url_acceptable(b.nats_url))
        return cli_usage(usage_text,
                         "--nats-url must be at most %d characters, without spaces or control "
                         "characters",
                         NATS_URL_MAX);
    if (!hub_acceptable(b.hub, &hub_port))
        return cli_usage(usage_text, "--hub must be HOST:PORT, with a port from 1 to 65535");
    const char *topo_path = argv[optind];
    b.outdir = argv[optind + 1];
    if (!topo_path[0] || !b.outdir[0])
        return cli_usage(usage_text, "the topology file and the output directory must not be "
                                     "empty");
    st = cf_file_read(topo_path, 4 * 1024 * 1024, &text, &len);
    if (st != CF_OK)
        return cli_fail("%s: %s", topo_path,
                        st == CF_E_NOT_FOUND ? "no such file" : cli_reason(st));
    st = cf_topology_parse((const char *)text, &b.topo, err, sizeof(err));
    if (st != CF_OK) {
        free(text);
        return cli_fail("%s: %s", topo_path, st == CF_E_CONFIG ? err : cf_status_str(st));
    }
    cf_buf_init(&all);
    cf_buf_init(&root_text);
    b.ids = calloc(b.topo->n, sizeof(*b.ids));
    b.certs = calloc(b.topo->n, sizeof(*b.certs));
    b.nkeys = calloc(b.topo->n, sizeof(*b.nkeys));
    b.kept = calloc(b.topo->n, sizeof(*b.kept));
    if (!b.ids || !b.certs || !b.nkeys || !b.kept) {
        rc = cli_fail("out of memory");
        goto out;
    }
    rc = make_dir(b.outdir, 0755);
    if (rc == CLI_OK)
        rc = make_root(&b);
    /* a large topology takes a while (keys, certificates, a NATS account
     * each): say how far it is */
    cf_progress pr;
    bool show = b.topo->n >= BOOTSTRAP_PROGRESS_MIN;
    if (show)
        cf_progress_begin(&pr, stderr, isatty(STDERR_FILENO), "bootstrap", "nodes", b.topo->n);
    /* parents come before children in a parsed topology */
    for (size_t i = 0; rc == CLI_OK && i < b.topo->n; i++) {
        rc = make_node(&b, i);
        if (show && rc == CLI_OK)
            cf_progress_update(&pr, i + 1, cf_progress_now_ms());
    }
    if (show) {
        if (rc == CLI_OK)
            cf_progress_end(&pr);
        else
            cf_progress_interrupt(&pr);
    }
    if (rc != CLI_OK)
        goto out;
    if (cf_armor_encode(CF_ARMOR_CERT, b.root_cert->wire, b.root_cert->len, &root_text) != CF_OK) {
        rc = cli_fail("out of memory");
        goto out;
    }
    for (size_t i = 0; i < b.topo->n; i++) {
        if (cf_armor_encode(CF_ARMOR_CERT, b.certs[i]->wire, b.certs[i]->len, &all) != CF_OK) {
            rc = cli_fail("out of memory");
            goto out;
        }
    }
    for (size_t i = 0; rc == CLI_OK && i < b.topo->n; i++)
        rc = write_node_files(&b, i, &all, &root_text);
    if (rc == CLI_OK)
        rc = write_shared_files(&b, &all, (const char *)text);
    if (rc != CLI_OK)
        goto out;
    rc = json ? print_json(&b) : print_text(&b);
out:
    free(text);
    cf_buf_clear(&all);
    cf_buf_clear(&root_text);
    boot_clear(&b);
    return rc;
}
