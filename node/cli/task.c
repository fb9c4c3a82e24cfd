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

int
cli_task(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    const cli_opt *opts = NULL;
    size_t n_opts = 0;
    const char *cmd;
    int want_pos = 0;
    cli_common c;
    cJSON *args, *r = NULL;
    int rc;

    if (strcmp(sub, "assign") == 0) {
        opts = assign_opts, n_opts = CF_ARRAY_LEN(assign_opts), cmd = "task.assign";
    } else if (strcmp(sub, "update") == 0) {
        opts = update_opts, n_opts = CF_ARRAY_LEN(update_opts), cmd = "task.update";
        want_pos = 1;
    } else if (strcmp(sub, "list") == 0) {
        cmd = "task.list";
    } else if (strcmp(sub, "--help") == 0) {
        fputs(usage_text, stdout);
        return CLI_OK;
    } else {
        return cli_usage(usage_text, "task needs assign, update or list");
    }
    args = cJSON_CreateObject();
    rc = cli_parse(argc - 1, argv + 1, opts, n_opts, usage_text, args, &c);
    if (rc == CLI_OK && c.n_positional != want_pos)
        rc = cli_usage(usage_text,
                       want_pos ? "task %s takes one tasking id"
                                : "task %s takes no arguments, only options",
                       sub);
    if (rc == CLI_OK && strcmp(sub, "assign") == 0 && !cJSON_GetObjectItem(args, "assignees"))
        rc = cli_usage(usage_text, "task assign needs --to");
    if (rc == CLI_OK && strcmp(sub, "update") == 0 && !cJSON_GetObjectItem(args, "state"))
        rc = cli_usage(usage_text, "task update needs --state");
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    if (want_pos)
        cJSON_AddStringToObject(args, "id", c.positional[0]);
    rc = cli_request(&c, cmd, args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json)
        cli_show_json(r);
    else if (strcmp(sub, "list") == 0)
        print_list(r);
    else if (strcmp(sub, "assign") == 0)
        printf("tasking %s signed and stored\n", cli_s(r, "id"));
    else
        printf("tasking %s: %s, signed and stored\n", cli_s(r, "id"), cli_s(r, "state"));
    cJSON_Delete(r);
    return CLI_OK;
}
