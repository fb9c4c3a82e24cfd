/*
 * trust.c - `certfed trust publish FILE`: hand certificates and revocations
 * (an armoured file: `certfed keys certify|revoke` output, or a bundle) to
 * the local node, which checks them against its trust store, keeps them and
 * passes them on until every node of the federation has them.
 */
#include "node/cli/client.h"

#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: certfed trust publish FILE [--config NODE.CONF | --socket PATH] [--json]\n"
    "  hand the certificates and revocations of FILE (armoured) to the node: each\n"
    "  is checked against its trust store, kept, and passed on to the whole\n"
    "  federation; a revocation's key is refused everywhere after its last good\n"
    "  sequence number, a root rotation (a root certificate signed by the root)\n"
    "  is trusted without a restart. Exit status 1 if the node refuses any.\n";

static void
print_published(const cJSON *r)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, cJSON_GetObjectItem(r, "documents"))
        printf("%s  %s\n", cli_s(o, "verdict"), cli_s(o, "id"));
    printf("%.0f accepted, %.0f held already; the node now knows %.0f revoked key(s) and "
           "%.0f root(s) of trust\n",
           cli_num(r, "accepted"), cli_num(r, "held"), cli_num(r, "revoked_keys"),
           cli_num(r, "roots"));
}

int
cli_trust(int argc, char **argv)
{
    cli_common c;
    cJSON *args, *r = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    cf_status st;
    int rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (argc < 2 || strcmp(argv[1], "publish") != 0)
        return cli_usage(usage_text, argc < 2 ? "trust needs a subcommand" : "unknown trust '%s'",
                         argc < 2 ? "" : argv[1]);
    args = cJSON_CreateObject();
    if (!args)
        return cli_fail("out of memory");
    rc = cli_parse(argc - 1, argv + 1, NULL, 0, usage_text, args, &c);
    if (rc != CLI_OK || c.n_positional != 1) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc ? rc : cli_usage(usage_text, "trust publish takes one file");
    }
    st = cf_file_read(c.positional[0], 512 * 1024, &text, &len);
    if (st != CF_OK) {
        cJSON_Delete(args);
        return cli_fail("%s: %s", c.positional[0],
                        st == CF_E_NOT_FOUND  ? "no such file"
                        : st == CF_E_OVERSIZE ? "too large for one request"
                                              : cli_reason(st));
    }
    if (!cJSON_AddStringToObject(args, "text", (const char *)text)) {
        free(text);
        cJSON_Delete(args);
        return cli_fail("out of memory");
    }
    free(text);
    rc = cli_request(&c, "trust.publish", args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json)
        cli_show_json(r);
    else
        print_published(r);
    cJSON_Delete(r);
    return CLI_OK;
}
