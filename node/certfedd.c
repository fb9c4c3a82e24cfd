/*
 * certfedd.c - the certfed node daemon.
 *
 * This build loads and checks the node's configuration, keys and certificate
 * chain, reports what it found, and exits: the NATS link, the LMDB store and
 * the control socket come with the node (issue 3). Exit 0 when everything
 * checks out, 1 when something does not, 2 on bad usage.
 */
#include "node/config.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
usage(FILE *f)
{
    fprintf(f, "usage: certfedd --config FILE\n"
               "\n"
               "Checks the node configuration FILE, the keys and the certificate chain it\n"
               "names, and reports the result. Exit status 0 if all is valid, 1 if not.\n");
}

static void
format_time(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    cf_node_config *cfg = NULL;
    cf_node_keys *keys = NULL;
    char err[1024] = "";
    char until[32];
    int c, rc = 1;
    cf_status st;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!config || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        cf_log(CF_LOG_ERROR, "libsodium failed to initialise");
        return 1;
    }
    st = cf_node_config_load(config, &cfg, err, sizeof(err));
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "bad config: %s", err[0] ? err : cf_status_str(st));
        goto out;
    }
    st = cf_node_keys_load(cfg, cf_clock_now_ms(), &keys, err, sizeof(err));
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "node %s: %s", cfg->id, err[0] ? err : cf_status_str(st));
        goto out;
    }
    if (keys->rejected_certs)
        cf_log(CF_LOG_WARN, "node %s: %zu certificate(s) of %s left out (first: %s)", cfg->id,
               keys->rejected_certs, cfg->certs, cf_status_str(keys->first_rejection));
    format_time(keys->self->body->not_after_ms, until, sizeof(until));
    cf_log(CF_LOG_INFO,
           "node %s (%s) of federation %s: configuration, keys and certificate chain are valid "
           "(certificate serial %016llx valid until %s; %zu certificates trusted)",
           cfg->id, cf_role_name(keys->self->body->role), cfg->federation,
           (unsigned long long)keys->self->body->serial, until, cf_trust_count(keys->trust));
    cf_log(CF_LOG_INFO, "this build only checks the node's setup: the NATS link, the store and "
                        "the control socket are not part of it yet; exiting");
    rc = 0;
out:
    cf_node_keys_free(keys);
    cf_node_config_free(cfg);
    return rc;
}
