/*
 * status.c - `certfed status` and `certfed peers`: what the node is, its
 * link to NATS, its counters and store; and the nodes it talks to.
 */
#include "node/cli/client.h"

#include <string.h>

static const char status_usage[] =
    "usage: certfed status [--config NODE.CONF | --socket PATH] [--json]\n"
    "  the node's identity, NATS link, counters of received, accepted and\n"
    "  rejected messages (by reason), outbox depth, store usage, quarantined\n"
    "  origins, and per peer (parent, children) the link, last contact, what\n"
    "  waits for it in the outbox and how far catch-up with it has come\n";

static const char peers_usage[] =
    "usage: certfed peers [--config NODE.CONF | --socket PATH] [--json]\n"
    "  the node's parent, children and the rest of its line, with last contact\n";

int
cli_status(int argc, char **argv)
{
    cli_common c;
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    int rc = cli_parse(argc, argv, NULL, 0, status_usage, args, &c);

    if (rc != CLI_OK || c.n_positional) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc ? rc : cli_usage(status_usage, "status takes no arguments");
    }
    rc = cli_request(&c, "status", args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json) {
        cli_show_json(r);
    } else {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "counters");
        const cJSON *rej = cJSON_GetObjectItemCaseSensitive(k, "rejected"), *x;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "store");
        printf("node        %s (%s) in federation %s, path %s\n", cli_s(r, "node"),
               cli_s(r, "role"), cli_s(r, "federation"), cli_s(r, "path"));
        printf("nats        %s %s (since %s)\n",
               cJSON_IsTrue(cJSON_GetObjectItem(r, "connected")) ? "connected to"
                                                                 : "DISCONNECTED from",
               cli_s(r, "nats_url"), cli_s(r, "link_since"));
        printf("started     %s, own sequence %.0f\n", cli_s(r, "started"), cli_num(r, "seq"));
        printf("messages    %.0f received, %.0f accepted, %.0f not for this node, %.0f rejected\n",
               cli_num(k, "received"), cli_num(k, "accepted"), cli_num(k, "ignored"),
               cli_num(k, "rejected_total"));
        cJSON_ArrayForEach(x, rej) printf("  rejected  %-18s %.0f\n", x->string, x->valuedouble);
        printf("sent        %.0f originated, %.0f published; outbox %.0f waiting (of %.0f)%s\n",
               cli_num(k, "originated"), cli_num(k, "published"), cli_num(r, "outbox"),
               cli_num(r, "outbox_max"),
               cJSON_IsTrue(cJSON_GetObjectItem(r, "outbox_full"))
                   ? "  ALARM: OUTBOX FULL, new work is refused"
                   : "");
        printf("store       %.1f MiB used of %.0f MiB\n", cli_num(st, "used_bytes") / 1048576.0,
               cli_num(st, "map_size") / 1048576.0);
        if (cJSON_IsTrue(cJSON_GetObjectItem(r, "store_full")))
            printf("  ALARM: STORE FULL: received messages are not stored, new work is refused\n");
        if (cJSON_IsTrue(cJSON_GetObjectItem(r, "starting")))
            printf("starting    confirming its own sequence with its peers\n");
        printf("catch-up    %.0f envelopes taken from peers; %.0f fork(s) seen\n",
               cli_num(k, "caught_up"), cli_num(k, "forks"));
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "quarantined"))
            printf("  ALARM: %s QUARANTINED since %s: %s\n", cli_s(x, "node"), cli_s(x, "since"),
                   cli_s(x, "reason"));
        printf("%-14s %-8s %-8s %-26s %-7s %s\n", "PEER", "RELATION", "LINK", "LAST CONTACT",
               "OUTBOX", "CATCH-UP");
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "peers"))
        {
            const cJSON *cu = cJSON_GetObjectItem(x, "catchup");
            const char *lc = cli_s(x, "last_contact");
            printf("%-14s %-8s %-8s %-26s %-7.0f %.0f in, %.0f out%s\n", cli_s(x, "node"),
                   cli_s(x, "relation"), cli_s(x, "link"), lc[0] ? lc : "-", cli_num(x, "outbox"),
                   cli_num(cu, "received"), cli_num(cu, "served"),
                   cJSON_IsTrue(cJSON_GetObjectItem(cu, "waiting")) ? ", waiting for an answer"
                   : cJSON_IsTrue(cJSON_GetObjectItem(cu, "more"))  ? ", more to come"
                                                                    : "");
        }
    }
    cJSON_Delete(r);
    return CLI_OK;
}

int
cli_peers(int argc, char **argv)
{
    cli_common c;
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    const cJSON *p;
    int rc = cli_parse(argc, argv, NULL, 0, peers_usage, args, &c);

    if (rc != CLI_OK || c.n_positional) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc ? rc : cli_usage(peers_usage, "peers takes no arguments");
    }
    rc = cli_request(&c, "peers", args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json) {
        cli_show_json(r);
    } else {
        printf("link: %s\n",
               cJSON_IsTrue(cJSON_GetObjectItem(r, "connected")) ? "connected" : "DISCONNECTED");
        printf("%-14s %-12s %-11s %-26s %s\n", "NODE", "ROLE", "RELATION", "LAST CONTACT",
               "SEQ SEEN");
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "peers"))
        {
            const char *lc = cli_s(p, "last_contact");
            printf("%-14s %-12s %-11s %-26s %.0f\n", cli_s(p, "node"), cli_s(p, "role"),
                   cli_s(p, "relation"), lc[0] ? lc : "-",
                   cJSON_GetObjectItem(p, "highest_seq_seen")->valuedouble);
        }
    }
    cJSON_Delete(r);
    return CLI_OK;
}
