/*
 * task.c - `certfed task assign|update|list`: taskings go from a node to
 * its descendants; assignees answer with status updates to the issuer.
 */
#include "node/cli/client.h"

#include <string.h>

static const char usage_text[] =
    "usage:\n"
    "  certfed task assign --to NODE[,NODE...] [--kind K] [--instructions TEXT]\n"
    "          [--deliverable TEXT] [--incident ID] [--priority 1-5] [--due WHEN]\n"
    "  certfed task update ID --state S [--reason TEXT] [--result TEXT]\n"
    "  certfed task list\n"
    "every command also takes --config NODE.CONF or --socket PATH, and --json\n"
    "kind: investigate block patch notify report\n"
    "state: accepted in-progress done declined (declined needs --reason)\n"
    "WHEN: +30m, +2h, +3d or 2026-12-01T10:00:00Z\n";

static const cli_opt assign_opts[] = {
    {"to", CLI_LIST, "assignees"},
    {"kind", CLI_STR, "kind"},
    {"instructions", CLI_STR, "instructions"},
    {"deliverable", CLI_STR, "deliverable"},
    {"incident", CLI_STR, "incident"},
    {"priority", CLI_NUM, "priority"},
    {"due", CLI_WHEN, "due_ms"},
};

static const cli_opt update_opts[] = {
    {"state", CLI_STR, "state"},
    {"reason", CLI_STR, "reason"},
    {"result", CLI_STR, "result"},
};

static void
print_list(const cJSON *r)
{
    const cJSON *t, *s;

    printf("%-14s %-9s %-10s %-12s %-25s %s\n", "ID", "DIRECTION", "ISSUER", "KIND", "DUE",
           "ASSIGNEES (STATE)");
    cJSON_ArrayForEach(t, r)
    {
        const char *due = cli_s(t, "due");
        printf("%-14s %-9s %-10s %-12s %-25s", cli_s(t, "id"), cli_s(t, "direction"),
               cli_s(t, "issuer"), cli_s(t, "kind"), due[0] ? due : "-");
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(t, "states"))
            printf(" %s(%s)", cli_s(s, "assignee"), cli_s(s, "state"));
        if (cJSON_IsTrue(cJSON_GetObjectItem(t, "overdue")))
            printf("  OVERDUE");
        putchar('\n');
    }
}

static void
print_assigned(const cJSON *r)
{
    printf("tasking %s signed and stored\n", cli_s(r, "id"));
}

static void
print_updated(const cJSON *r)
{
    printf("tasking %s: %s, signed and stored\n", cli_s(r, "id"), cli_s(r, "state"));
}

int
cli_task(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"assign", "task.assign", assign_opts, CF_ARRAY_LEN(assign_opts), NULL, "assignees",
         print_assigned},
        {"update", "task.update", update_opts, CF_ARRAY_LEN(update_opts), "id", "state",
         print_updated},
        {"list", "task.list", NULL, 0, NULL, NULL, print_list},
    };

    return cli_run_sub(argc, argv, subs, CF_ARRAY_LEN(subs), usage_text);
}
