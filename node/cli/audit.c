/*
 * audit.c - `certfed audit verify`: the node re-checks every envelope in its
 * log (signature, place) and each origin's hash chain where it holds
 * neighbours. Exit 1 when anything is broken, so a script can act on it.
 */
#include "node/cli/client.h"

#include <string.h>

static const char usage_text[] =
    "usage: certfed audit verify [--config NODE.CONF | --socket PATH] [--json]\n"
    "  re-verify every stored envelope and each origin's hash chain; per origin\n"
    "  the messages held, first and last sequence, gaps (numbers not held: a node\n"
    "  sees part of most streams), broken links and bad envelopes (never normal).\n"
    "  Exit status 1 if any link is broken or any envelope bad.\n";

int
cli_audit(int argc, char **argv)
{
    cli_common c;
    cJSON *args, *r = NULL;
    const cJSON *o;
    int rc;

    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(usage_text, stdout);
            return CLI_OK;
        }
        return cli_usage(usage_text, argc < 2 ? "audit needs a subcommand" : "unknown audit '%s'",
                         argc < 2 ? "" : argv[1]);
    }
    args = cJSON_CreateObject();
    rc = cli_parse(argc - 1, argv + 1, NULL, 0, usage_text, args, &c);
    if (rc != CLI_OK || c.n_positional) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc ? rc : cli_usage(usage_text, "audit verify takes no arguments");
    }
    rc = cli_request(&c, "audit.verify", args, &r);
    if (rc != CLI_OK)
        return rc;
    bool intact = cJSON_IsTrue(cJSON_GetObjectItem(r, "intact"));
    if (c.json) {
        cli_show_json(r);
    } else {
        printf("%-14s %9s %9s %9s %9s %7s %5s\n", "ORIGIN", "MESSAGES", "FIRST", "LAST", "GAPS",
               "BROKEN", "BAD");
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(r, "origins"))
            printf("%-14s %9.0f %9.0f %9.0f %9.0f %7.0f %5.0f\n", cli_s(o, "origin"),
                   cli_num(o, "messages"), cli_num(o, "first"), cli_num(o, "last"),
                   cli_num(o, "gaps"), cli_num(o, "broken_links"), cli_num(o, "bad_envelopes"));
        printf("%s; %.0f fork evidence envelope(s), %.0f origin(s) quarantined\n",
               intact ? "log intact" : "LOG DAMAGED", cli_num(r, "evidence"),
               cli_num(r, "quarantined"));
    }
    cJSON_Delete(r);
    if (!intact)
        return cli_fail("audit verify: the log has broken links or bad envelopes");
    return CLI_OK;
}
