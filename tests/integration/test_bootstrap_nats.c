/*
 * test_bootstrap_nats.c - bootstraps the sample topology with the real
 * certfed program, starts a real nats-server with the generated config on a
 * free loopback port, and proves the transport permissions with real nats.c
 * connections logged in with the nodes' own transport nkeys: banking may
 * publish to its parent's inbox, and is refused on the Council's directive
 * subject and on another node's inbox.
 */
#include "check.h"
#include "harness/harness.h"
#include "keys/keys.h"

#include <nats/nats.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct client {
    natsConnection *nc;
    cf_nkey *key;
    pthread_mutex_t mu;
    int violations; /* permission errors the server reported */
    char last_error[256];
    bool zero_sig; /* the last nonce signature began with a zero byte */
} client;

static natsStatus
sign_nonce(char **err_txt, unsigned char **sig, int *sig_len, const char *nonce, void *arg)
{
    client *c = arg;

    (void)err_txt;
    *sig = malloc(CF_SIG_LEN);
    if (!*sig)
        return NATS_NO_MEMORY;
    cf_nkey_sign(c->key, (const uint8_t *)nonce, strlen(nonce), *sig);
    *sig_len = CF_SIG_LEN;
    c->zero_sig = (*sig)[0] == 0;
    return NATS_OK;
}

static void
on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *arg)
{
    client *c = arg;
    const char *txt = NULL;

    (void)sub;
    natsConnection_GetLastError(nc, &txt);
    pthread_mutex_lock(&c->mu);
    if (err == NATS_NOT_PERMITTED || (txt && strstr(txt, "Permissions Violation")))
        c->violations++;
    snprintf(c->last_error, sizeof(c->last_error), "%s", txt ? txt : natsStatus_GetText(err));
    pthread_mutex_unlock(&c->mu);
}

static int
violations(client *c)
{
    int n;

    pthread_mutex_lock(&c->mu);
    n = c->violations;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Connect with a node's transport key file; returns the natsStatus. */
static natsStatus
client_connect(client *c, const char *url, const char *nk_path)
{
    natsOptions *o = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    natsStatus s;

    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    if (nk_path && cf_nkey_load(nk_path, &c->key) != CF_OK)
        return NATS_ERR;
    if (!nk_path && cf_nkey_generate(&c->key) != CF_OK) /* a key the server never saw */
        return NATS_ERR;
    cf_nkey_public_encode(c->key->pk, pub);
    s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetNKey(o, pub, sign_nonce, c);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, on_error, c);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(o, false);
    /* sanitizers and parallel tests make a slow machine */
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 15000);
    /* nats.c 3.4.1 (Debian 12) sends no signature at all when its first
     * byte is zero, so the server refuses one login in 256 with a good key;
     * only then is it tried again (a new connection signs a new nonce) */
    for (int attempt = 1; s == NATS_OK; attempt++) {
        c->zero_sig = false;
        s = natsConnection_Connect(&c->nc, o);
        if (s == NATS_OK || !c->zero_sig || attempt == 4)
            break;
        s = NATS_OK;
    }
    natsOptions_Destroy(o);
    return s;
}

static void
client_close(client *c)
{
    natsConnection_Destroy(c->nc);
    cf_nkey_free(c->key);
    pthread_mutex_destroy(&c->mu);
}

/* Wait up to ms for a message; returns its data (free()) or NULL. */
static char *
next_msg(natsSubscription *sub, int64_t ms)
{
    natsMsg *m = NULL;
    char *data;

    if (natsSubscription_NextMsg(&m, sub, ms) != NATS_OK)
        return NULL;
    data = strndup(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return data;
}

static bool
wait_violations(client *c, int want, int64_t ms)
{
    int64_t deadline = h_now_ms() + ms;

    while (h_now_ms() < deadline) {
        if (violations(c) >= want)
            return true;
        poll(NULL, 0, 10);
    }
    return violations(c) >= want;
}

static char *
node_file(const char *fed, const char *node, const char *file)
{
    size_t n = strlen(fed) + strlen(node) + strlen(file) + 16;
    char *p = malloc(n);

    snprintf(p, n, "%s/nodes/%s/%s", fed, node, file);
    return p;
}

int
main(void)
{
    const char *certfed = getenv("CERTFED_BIN");
    const char *src = getenv("CERTFED_SOURCE");
    char *dir = h_tmpdir("bootstrap-nats");
    char topo[4096], fed[4096], conf[4200];
    char *out = NULL, *err = NULL, *data;
    h_nats server = {0};
    client ncert, banking, council, stranger;
    natsSubscription *inbox = NULL, *down = NULL;
    natsStatus s;

    if (sodium_init() < 0 || !certfed || !src || !dir) {
        fprintf(stderr, "needs CERTFED_BIN and CERTFED_SOURCE (run it through ctest)\n");
        return 1;
    }
    snprintf(topo, sizeof(topo), "%s/federation/topologies/national.ini", src);
    snprintf(fed, sizeof(fed), "%s/fed", dir);
    snprintf(conf, sizeof(conf), "%s/nats/nats-server.conf", fed);

    const char *boot[] = {certfed, "bootstrap", topo, fed, NULL};
    int rc = h_run(boot, &out, &err);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "bootstrap failed: %s\n", err ? err : "");
    free(out);
    free(err);

    const char *check_conf[] = {"nats-server", "-c", conf, "-t", NULL};
    CHECK(h_run(check_conf, NULL, NULL) == 0);

    CHECK_ST(h_nats_start(conf, dir, &server), CF_OK);
    if (server.pid <= 0)
        goto out;

    /* without a key, or with a key the server never saw, nobody gets in */
    natsConnection *anon = NULL;
    s = natsConnection_ConnectTo(&anon, server.url);
    CHECK(s != NATS_OK);
    natsConnection_Destroy(anon);
    s = client_connect(&stranger, server.url, NULL);
    CHECK(s != NATS_OK);
    client_close(&stranger);

    char *nk = node_file(fed, "ncert", "keys/transport.nk");
    s = client_connect(&ncert, server.url, nk);
    free(nk);
    CHECK(s == NATS_OK);
    nk = node_file(fed, "banking", "keys/transport.nk");
    CHECK(client_connect(&banking, server.url, nk) == NATS_OK);
    free(nk);
    nk = node_file(fed, "council", "keys/transport.nk");
    CHECK(client_connect(&council, server.url, nk) == NATS_OK);
    free(nk);
    if (!ncert.nc || !banking.nc || !council.nc)
        goto clients;

    /* NCERT listens on its inbox and on the Council's broadcasts */
    CHECK(natsConnection_SubscribeSync(&inbox, ncert.nc, "certfed.council.ncert.in.>") == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&down, ncert.nc, "certfed.council.down.>") == NATS_OK);
    CHECK(natsConnection_Flush(ncert.nc) == NATS_OK);
    CHECK(violations(&ncert) == 0);

    /* banking -> its parent's inbox: delivered */
    CHECK(natsConnection_PublishString(banking.nc, "certfed.council.ncert.in.incident",
                                       "report-from-banking") == NATS_OK);
    CHECK(natsConnection_Flush(banking.nc) == NATS_OK);
    data = next_msg(inbox, 5000);
    CHECK_STR(data, "report-from-banking");
    free(data);
    CHECK(violations(&banking) == 0);

    /* banking -> the Council's directive subject: refused by the server,
     * and nothing reaches the subscribers */
    CHECK(natsConnection_PublishString(banking.nc, "certfed.council.down.directive",
                                       "forged-directive") == NATS_OK);
    natsConnection_Flush(banking.nc);
    CHECK(wait_violations(&banking, 1, 5000));
    CHECK(strstr(banking.last_error, "certfed.council.down.directive") != NULL);
    data = next_msg(down, 500);
    CHECK(data == NULL);
    free(data);

    /* banking may not read NCERT's inbox either */
    natsSubscription *spy = NULL;
    int before = violations(&banking);
    CHECK(natsConnection_SubscribeSync(&spy, banking.nc, "certfed.council.ncert.in.>") == NATS_OK);
    natsConnection_Flush(banking.nc);
    CHECK(wait_violations(&banking, before + 1, 5000));
    natsSubscription_Destroy(spy);

    /* positive control: the Council itself may broadcast a directive */
    CHECK(natsConnection_PublishString(council.nc, "certfed.council.down.directive",
                                       "real-directive") == NATS_OK);
    CHECK(natsConnection_Flush(council.nc) == NATS_OK);
    data = next_msg(down, 5000);
    CHECK_STR(data, "real-directive");
    free(data);
    CHECK(violations(&council) == 0);

    natsSubscription_Destroy(inbox);
    natsSubscription_Destroy(down);
clients:
    client_close(&ncert);
    client_close(&banking);
    client_close(&council);
out:
    h_nats_stop(&server);
    if (check_failures == 0)
        h_rmtree(dir);
    else
        fprintf(stderr, "kept %s for inspection\n", dir);
    free(dir);
    nats_Close();
    return check_done("test_bootstrap_nats");
}
