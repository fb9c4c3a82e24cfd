/*
 * main.c - the certfed operator CLI: dispatch to one file per command.
 */
#include "node/cli/client.h"

#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "usage: certfed COMMAND [ARGS]\n"
    "\n"
    "commands of a running node (with --config NODE.CONF or --socket PATH):\n"
    "  status                              the node, its NATS link, counters, store\n"
    "  peers                               the nodes it talks to, with last contact\n"
    "  incident report|update|note|list|show\n"
    "                                      incidents; import|export: STIX 2.1, MISP\n"
    "  task assign|update|list             taskings and their status\n"
    "  directive issue|list|status|wait    national directives and who acknowledged\n"
    "  ack NUMBER                          acknowledge a directive\n"
    "  audit verify                        re-check the log's signatures and hash chains\n"
    "  quarantine release NODE             hear a node again after a fork quarantined it\n"
    "  trust publish FILE                  spread certificates, revocations, root rotations\n"
    "offline commands:\n"
    "  keys gen|root|certify|revoke|show   identities, certificates, revocations\n"
    "  bootstrap TOPOLOGY OUTDIR           keys, certificates and configs of a federation\n"
    "\n"
    "Every command takes --json. Run 'certfed COMMAND --help' for its options.\n"
    "Exit status: 0 success, 1 failure (one 'certfed: ...' line), 2 bad usage.\n";

int
cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("certfed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_FAIL;
}

int
cli_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;

    if (fmt) {
        fputs("certfed: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    fputs(usage, stderr);
    return CLI_USAGE;
}

void
cli_format_time(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage_text, NULL);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (sodium_init() < 0)
        return cli_fail("libsodium failed to initialise");
    if (strcmp(argv[1], "keys") == 0)
        return cli_keys(argc - 1, argv + 1);
    if (strcmp(argv[1], "bootstrap") == 0)
        return cli_bootstrap(argc - 1, argv + 1);
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } node_cmds[] = {
        {"status", cli_status}, {"peers", cli_peers},           {"incident", cli_incident},
        {"task", cli_task},     {"directive", cli_directive},   {"ack", cli_ack},
        {"audit", cli_audit},   {"quarantine", cli_quarantine}, {"trust", cli_trust},
    };
    for (size_t i = 0; i < CF_ARRAY_LEN(node_cmds); i++)
        if (strcmp(argv[1], node_cmds[i].name) == 0)
            return node_cmds[i].fn(argc - 1, argv + 1);
    return cli_usage(usage_text, "unknown command '%s'", argv[1]);
}
