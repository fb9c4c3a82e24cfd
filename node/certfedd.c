/*
 * certfedd.c - the certfed node daemon: one libuv loop running a node until
 * SIGTERM or SIGINT. Logs one line per event to stderr.
 *
 * Exit status: 0 after a clean stop (or a successful --check), 1 when the
 * node cannot start (bad config, key or chain, store, control socket, NATS
 * unreachable with --no-retry), 2 on bad usage.
 */
#include "node/http.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
usage(FILE *f)
{
    fprintf(f, "usage: certfedd --config FILE [--nats-url URL] [--no-retry] [--check]\n"
               "\n"
               "Runs the certfed node described by FILE until SIGTERM or SIGINT.\n"
               "  --nats-url URL  use this NATS server instead of the config's [nats] url\n"
               "  --no-retry      exit with status 1 if NATS is unreachable at start\n"
               "                  (by default the node keeps trying, and works locally)\n"
               "  --check         check the config, keys and certificate chain, and exit\n");
}

static void
format_time(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --check: what the daemon validates before it starts, reported and done. */
static int
check_only(const char *config)
{
    cf_node_config *cfg = NULL;
    cf_node_keys *keys = NULL;
    char err[1024] = "", until[32];
    int rc = 1;
    cf_status st = cf_node_config_load(config, &cfg, err, sizeof(err));

    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "bad config: %s", err[0] ? err : cf_status_str(st));
        goto out;
    }
    st = cf_node_keys_load(cfg, cf_clock_now_ms(), &keys, err, sizeof(err));
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "node %s: %s", cfg->id, err[0] ? err : cf_status_str(st));
        goto out;
    }
    uint8_t token[32];
    if (cfg->http_listen &&
        cf_http_token_load(cfg->http_token_file, token, err, sizeof(err)) != CF_OK) {
        cf_log(CF_LOG_ERROR, "node %s: %s", cfg->id, err);
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
    rc = 0;
out:
    cf_node_keys_free(keys);
    cf_node_config_free(cfg);
    return rc;
}

static void
stopped(void *ctx)
{
    *(bool *)ctx = true;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"nats-url", required_argument, NULL, 'u'},
        {"no-retry", no_argument, NULL, 'r'},     {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    cf_node_options o = {NULL, NULL, true};
    bool check = false, clean = false;
    cf_node *node = NULL;
    char err[1024] = "";
    uv_loop_t loop;
    int c;
    cf_status st;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o.config = optarg;
            break;
        case 'u':
            o.nats_url = optarg;
            break;
        case 'r':
            o.retry_at_start = false;
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!o.config || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        cf_log(CF_LOG_ERROR, "libsodium failed to initialise");
        return 1;
    }
    if (check)
        return check_only(o.config);
    if (uv_loop_init(&loop) != 0) {
        cf_log(CF_LOG_ERROR, "cannot create the event loop");
        return 1;
    }
    st = cf_node_start(&loop, &o, &node, err, sizeof(err));
    if (st != CF_OK) {
        cf_log(CF_LOG_ERROR, "cannot start: %s", err[0] ? err : cf_status_str(st));
        uv_run(&loop, UV_RUN_DEFAULT); /* let what was opened close */
        uv_loop_close(&loop);
        return 1;
    }
    node->on_stopped = stopped;
    node->stopped_ctx = &clean;
    cf_log(CF_LOG_INFO, "node %s (%s) of federation %s running: NATS %s, store %s, control %s",
           node->cfg->id, cf_role_name(node->me->role), node->cfg->federation, node->cfg->nats_url,
           node->cfg->store, node->cfg->control);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        cf_log(CF_LOG_WARN, "some handles were still open at exit");
    cf_link_shutdown();
    cf_log(CF_LOG_INFO, "stopped%s", clean ? " cleanly" : "");
    return clean ? 0 : 1;
}
