/*
 * quarantine.c - `certfed quarantine release NODE`: after an operator has
 * looked at the evidence of a fork (`certfed audit verify`, the log's ALARM
 * line) and dealt with its cause (a revoked key, a store restored by hand),
 * the node hears that origin again. The evidence is kept.
 */
#include "node/cli/client.h"

static const char usage_text[] =
    "usage: certfed quarantine release NODE [--config NODE.CONF | --socket PATH] [--json]\n"
    "  hear NODE again after a fork quarantined it (certfed status lists them);\n"
    "  the envelopes kept as evidence stay\n";

static void
print_released(const cJSON *r)
{
    printf("%s released from quarantine; the evidence of its fork is kept\n", cli_s(r, "node"));
}

int
cli_quarantine(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"release", "quarantine.release", NULL, 0, "node", NULL, print_released},
    };

    return cli_run_sub(argc, argv, subs, CF_ARRAY_LEN(subs), usage_text);
}
