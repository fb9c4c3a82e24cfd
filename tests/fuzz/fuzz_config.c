/*
 * fuzz_config.c - libFuzzer target for the node configuration parser
 * (node.conf), as if read from a file in a node's folder. A config that
 * parses must hold what certfedd relies on, or the target aborts: every
 * required setting present, paths resolved against the file's folder,
 * numbers within their bounds, a control group that exists; one that does
 * not must say why.
 */
#include "node/config.h"

#include <grp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Relative, as `certfedd --config nodes/punjab/node.conf` may be given: the
 * paths in it then resolve to DIR/... or stay absolute. */
#define DIR "nodes/punjab"
#define PATH DIR "/node.conf"

static void
check_path(const char *p, bool required)
{
    if (!p ? required : p[0] != '/' && strncmp(p, DIR "/", sizeof(DIR)) != 0)
        abort();
}

static void
check(const cf_node_config *c)
{
    if (strcmp(c->path, PATH) != 0 || !cf_id_valid(c->id) || !cf_id_valid(c->federation) ||
        !c->nats_url)
        abort();
    check_path(c->keys_dir, true);
    check_path(c->passphrase_file, false);
    check_path(c->root, true);
    check_path(c->chain, true);
    check_path(c->certs, false);
    check_path(c->store, true);
    check_path(c->control, true);
    if (strncmp(c->nats_url, "nats://", 7) != 0 && strncmp(c->nats_url, "tls://", 6) != 0)
        abort();
    /* a control group is a group of this system, looked up once */
    if (c->control_group) {
        const struct group *g = getgrnam(c->control_group);
        if (!c->control_group[0] || !g || g->gr_gid != c->control_gid)
            abort();
    }
    if (c->max_envelope < 1024 || c->max_envelope > (64u << 20) || c->outbox_max < 1 ||
        c->store_bytes < (1u << 20) || c->resend_first_ms < 100 ||
        c->resend_max_ms < c->resend_first_ms || c->catchup_interval_ms < 1000 ||
        c->resend_window < 10 || c->resend_window > 1000000)
        abort();
    /* the HTTP API never listens without a token, nor on a name */
    check_path(c->http_token_file, c->http_listen != NULL);
    if (c->http_listen && (c->http_addr.ss_family != AF_INET && c->http_addr.ss_family != AF_INET6))
        abort();
    if (c->http_max_body < 1024 || c->http_max_body > (64u << 20))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_node_config *c = NULL;
    char err[256] = "";
    cf_status st = cf_node_config_parse(PATH, (const char *)data, size, &c, err, sizeof(err));

    if (st == CF_OK) {
        check(c);
        cf_node_config_free(c);
    } else if (st != CF_E_NOMEM && strncmp(err, PATH ": ", sizeof(PATH) + 1) != 0) {
        abort(); /* a rejection names the file and says why */
    }
    return 0;
}
