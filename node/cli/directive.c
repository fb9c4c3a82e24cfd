/*
 * directive.c - `certfed directive issue|list|status|wait` and `certfed ack`.
 * Only the Council issues directives; every node in scope answers with a
 * signed receipt, and an operator's `certfed ack` with its word.
 */
#include "node/cli/client.h"

#include <string.h>

static const char usage_text[] =
    "usage:\n"
    "  certfed directive issue --title TEXT [--number N] [--version V] [--kind K]\n"
    "          [--summary TEXT] [--action TEXT]... [--role R]... [--sector ID]...\n"
    "          [--province ID]... [--severity S] [--effective WHEN] [--comply-by WHEN]\n"
    "          [--ack-by WHEN] [--expires WHEN] [--no-ack-required]\n"
    "  certfed directive list\n"
    "  certfed directive status NUMBER [--counts-only]\n"
    "  certfed directive wait NUMBER [--until received|acknowledged] [--timeout SECONDS]\n"
    "      at the Council: wait until every node in scope has received (or\n"
    "      acknowledged) it; exit 0 then, 1 if the timeout (60 s) came first\n"
    "every command also takes --config NODE.CONF or --socket PATH, and --json\n"
    "kind: advisory alert mandatory; WHEN: +30m, +2h, +3d or 2026-12-01T10:00:00Z\n";

static const char ack_usage[] =
    "usage: certfed ack NUMBER [--state S] [--reason TEXT] [--analyst NAME]\n"
    "                  [--config NODE.CONF | --socket PATH] [--json]\n"
    "  acknowledge a directive to the Council; state: acknowledged (default),\n"
    "  accepted, declined, completed\n";

static const cli_opt issue_opts[] = {
    {"title", CLI_STR, "title"},
    {"number", CLI_STR, "number"},
    {"version", CLI_NUM, "version"},
    {"kind", CLI_STR, "kind"},
    {"summary", CLI_STR, "summary"},
    {"action", CLI_LIST, "actions"},
    {"role", CLI_LIST, "roles"},
    {"sector", CLI_LIST, "sectors"},
    {"province", CLI_LIST, "provinces"},
    {"severity", CLI_STR, "severity"},
    {"effective", CLI_WHEN, "effective_ms"},
    {"comply-by", CLI_WHEN, "comply_by_ms"},
    {"ack-by", CLI_WHEN, "ack_by_ms"},
    {"expires", CLI_WHEN, "expires_ms"},
    {"no-ack-required", CLI_FALSE, "ack_required"},
};

static const cli_opt status_opts[] = {
    {"counts-only", CLI_TRUE, "counts_only"},
};

static const cli_opt wait_opts[] = {
    {"until", CLI_STR, "until"},
    {"timeout", CLI_NUM, "timeout_s"},
};

static const cli_opt ack_opts[] = {
    {"state", CLI_STR, "state"},
    {"reason", CLI_STR, "reason"},
    {"analyst", CLI_STR, "analyst"},
};

static void
print_status(const cJSON *r)
{
    const cJSON *x;

    printf("directive %s v%.0f: %s (%s)\n", cli_s(r, "number"),
           cJSON_GetObjectItem(r, "version")->valuedouble, cli_s(r, "title"), cli_s(r, "kind"));
    printf("in scope %.0f, received %.0f, acknowledged %.0f\n",
           cJSON_GetObjectItem(r, "in_scope")->valuedouble,
           cJSON_GetObjectItem(r, "received")->valuedouble,
           cJSON_GetObjectItem(r, "acknowledged")->valuedouble);
    if (!cJSON_GetObjectItem(r, "nodes"))
        return; /* --counts-only */
    printf("%-14s %-12s %-26s %-26s %s\n", "NODE", "ROLE", "RECEIVED", "ACKNOWLEDGED", "STATE");
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "nodes"))
    {
        const char *rc = cli_s(x, "received"), *ac = cli_s(x, "acknowledged");
        printf("%-14s %-12s %-26s %-26s %s\n", cli_s(x, "node"), cli_s(x, "role"), rc[0] ? rc : "-",
               ac[0] ? ac : "-", cli_s(x, "state"));
    }
}

static void
print_list(const cJSON *r)
{
    const cJSON *d;

    printf("%-12s %-4s %-10s %-10s %-26s %s\n", "NUMBER", "VER", "KIND", "SEVERITY", "ISSUED",
           "TITLE");
    cJSON_ArrayForEach(d, r)
        printf("%-12s %-4.0f %-10s %-10s %-26s %s\n", cli_s(d, "number"),
               cJSON_GetObjectItem(d, "version")->valuedouble, cli_s(d, "kind"),
               cli_s(d, "severity"), cli_s(d, "issued"), cli_s(d, "title"));
}

static void
print_issued(const cJSON *r)
{
    printf("directive %s v%.0f signed, stored and sent to every node in scope\n",
           cli_s(r, "number"), cJSON_GetObjectItem(r, "version")->valuedouble);
}

/* certfed directive wait: argv[0] is "wait" */
static int
directive_wait(int argc, char **argv)
{
    cli_common c;
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    int rc = cli_parse(argc, argv, wait_opts, CF_ARRAY_LEN(wait_opts), usage_text, args, &c);
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(args, "timeout_s");

    if (rc == CLI_OK && c.n_positional != 1)
        rc = cli_usage(usage_text, "directive wait takes one argument (number)");
    if (rc == CLI_OK && secs && (secs->valuedouble < 1 || secs->valuedouble > 86400))
        rc = cli_usage(usage_text, "--timeout is 1 to 86400 seconds");
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    if (secs) {
        double ms = secs->valuedouble * 1000;
        cJSON_DeleteItemFromObjectCaseSensitive(args, "timeout_s");
        cJSON_AddNumberToObject(args, "timeout_ms", ms);
    }
    cJSON_AddStringToObject(args, "number", c.positional[0]);
    rc = cli_request(&c, "directive.wait", args, &r);
    if (rc != CLI_OK)
        return rc;
    bool complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "complete"));
    if (c.json)
        cli_show_json(r);
    else
        print_status(r);
    if (!complete)
        rc = cli_fail("directive %s: not every node in scope has %s it yet", cli_s(r, "number"),
                      cli_s(r, "until"));
    cJSON_Delete(r);
    return rc;
}

int
cli_directive(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"issue", "directive.issue", issue_opts, CF_ARRAY_LEN(issue_opts), NULL, "title",
         print_issued},
        {"list", "directive.list", NULL, 0, NULL, NULL, print_list},
        {"status", "directive.status", status_opts, CF_ARRAY_LEN(status_opts), "number", NULL,
         print_status},
    };

    if (argc > 1 && strcmp(argv[1], "wait") == 0)
        return directive_wait(argc - 1, argv + 1);
    return cli_run_sub(argc, argv, subs, CF_ARRAY_LEN(subs), usage_text);
}

int
cli_ack(int argc, char **argv)
{
    cli_common c;
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    int rc = cli_parse(argc, argv, ack_opts, CF_ARRAY_LEN(ack_opts), ack_usage, args, &c);

    if (rc == CLI_OK && c.n_positional != 1)
        rc = cli_usage(ack_usage, "ack takes one directive number");
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    cJSON_AddStringToObject(args, "number", c.positional[0]);
    rc = cli_request(&c, "ack", args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json)
        cli_show_json(r);
    else
        printf("directive %s: %s, signed and sent to its issuer\n", cli_s(r, "number"),
               cli_s(r, "state"));
    cJSON_Delete(r);
    return CLI_OK;
}
