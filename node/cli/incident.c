/*
 * incident.c - `certfed incident report|update|note|list|show`. A report or an
 * update is signed and stored by the node before it answers, and sent when
 * the link is up (at once) or when it returns. `import` and `export` (STIX
 * 2.1, MISP) are in incident_interchange.c.
 */
#include "node/cli/client.h"

#include <string.h>

const char cli_incident_usage[] =
    "usage:\n"
    "  certfed incident report --title TEXT [--description TEXT] [--severity S]\n"
    "          [--tlp L] [--rsit-class C] [--rsit-type T] [--confidence 0-100]\n"
    "          [--sector S] [--province P] [--constituent C] [--analyst NAME]\n"
    "          [--observable TYPE:VALUE[:block]]... [--related ID]... [--detected WHEN]\n"
    "          [--pap P] [--determination D] [--duplicate-of ID] [--supersedes ID]\n"
    "          [--to NODE]...\n"
    "  certfed incident update ID [--status S] [--severity S] [--tlp L] [--pap P]\n"
    "          [--determination D] [--title TEXT] [--description TEXT] [--note TEXT]\n"
    "          [--constituent C] [--related ID]... [--duplicate-of ID] [--supersedes ID]\n"
    "          [--to NODE]...\n"
    "  certfed incident note ID --text TEXT [--analyst NAME]\n"
    "  certfed incident list [--min-severity S] [--tlp L] [--status S]\n"
    "          [--sector S] [--province P] [--determination D]\n"
    "  certfed incident show ID\n"
    "  certfed incident export [ID...] [--format stix|misp] [--out FILE]\n"
    "          [--min-severity S] [--tlp L] [--status S] [--sector S] [--province P]\n"
    "          [--determination D]\n"
    "  certfed incident import FILE [--format stix|misp] [--to NODE]... [--dry-run]\n"
    "every command also takes --config NODE.CONF or --socket PATH, and --json\n"
    "severity: baseline low medium high severe emergency\n"
    "tlp: clear green amber amber+strict red; status: new triaged contained resolved closed\n"
    "pap: clear green amber red; determination: suspected confirmed false-positive\n"
    "update replaces the related list, the links and the constituent when given\n"
    "only the owner node updates an incident; another node that holds it adds a\n"
    "note, sent to the owner (both list it); notes travel unencrypted, so they are\n"
    "refused on amber+strict and red incidents\n"
    "amber+strict and red incidents are encrypted end to end to this node and the\n"
    "ancestors named with --to (by default the parent); relays carry only ciphertext\n"
    "export writes a STIX 2.1 bundle (default) or MISP event JSON, of the given\n"
    "incidents or of all that match the filters; import reads either (the format is\n"
    "told from the file) into new incidents, reported as `incident report` does,\n"
    "after checking all of it: a field it cannot map is named and nothing is sent\n";

static const cli_opt report_opts[] = {
    {"title", CLI_STR, "title"},
    {"description", CLI_STR, "description"},
    {"severity", CLI_STR, "severity"},
    {"tlp", CLI_STR, "tlp"},
    {"rsit-class", CLI_STR, "rsit_class"},
    {"rsit-type", CLI_STR, "rsit_type"},
    {"confidence", CLI_NUM, "confidence"},
    {"sector", CLI_STR, "sector"},
    {"province", CLI_STR, "province"},
    {"constituent", CLI_STR, "constituent"},
    {"analyst", CLI_STR, "analyst"},
    {"observable", CLI_OBS, "observables"},
    {"related", CLI_LIST, "related"},
    {"detected", CLI_WHEN, "detected_ms"},
    {"pap", CLI_STR, "pap"},
    {"determination", CLI_STR, "determination"},
    {"duplicate-of", CLI_STR, "duplicate_of"},
    {"supersedes", CLI_STR, "supersedes"},
    {"to", CLI_LIST, "to"},
};

static const cli_opt update_opts[] = {
    {"status", CLI_STR, "status"},
    {"severity", CLI_STR, "severity"},
    {"tlp", CLI_STR, "tlp"},
    {"title", CLI_STR, "title"},
    {"description", CLI_STR, "description"},
    {"note", CLI_STR, "note"},
    {"pap", CLI_STR, "pap"},
    {"determination", CLI_STR, "determination"},
    {"constituent", CLI_STR, "constituent"},
    {"related", CLI_LIST, "related"},
    {"duplicate-of", CLI_STR, "duplicate_of"},
    {"supersedes", CLI_STR, "supersedes"},
    {"to", CLI_LIST, "to"},
};

static const cli_opt note_opts[] = {
    {"text", CLI_STR, "text"},
    {"analyst", CLI_STR, "analyst"},
};

static const cli_opt list_opts[] = {
    {"min-severity", CLI_STR, "min_severity"},
    {"tlp", CLI_STR, "tlp"},
    {"status", CLI_STR, "status"},
    {"sector", CLI_STR, "sector"},
    {"province", CLI_STR, "province"},
    {"determination", CLI_STR, "determination"},
};

static void
print_list(const cJSON *r)
{
    const cJSON *i;

    printf("%-16s %-4s %-10s %-13s %-10s %-10s %s\n", "ID", "REV", "SEVERITY", "TLP", "STATUS",
           "OWNER", "TITLE");
    cJSON_ArrayForEach(i, r)
    {
        printf("%-16s %-4.0f %-10s %-13s %-10s %-10s %s\n", cli_s(i, "id"),
               cJSON_GetObjectItem(i, "revision")->valuedouble, cli_s(i, "severity"),
               cli_s(i, "tlp"), cli_s(i, "status"), cli_s(i, "owner"), cli_s(i, "title"));
    }
}

static void
print_show(const cJSON *r)
{
    const cJSON *x;

    printf("incident    %s (revision %.0f)\n", cli_s(r, "id"),
           cJSON_GetObjectItem(r, "revision")->valuedouble);
    printf("title       %s\n", cli_s(r, "title"));
    printf("severity    %s   TLP:%s   status %s   confidence %.0f\n", cli_s(r, "severity"),
           cli_s(r, "tlp"), cli_s(r, "status"), cJSON_GetObjectItem(r, "confidence")->valuedouble);
    printf("owner       %s   analyst %s\n", cli_s(r, "owner"), cli_s(r, "analyst"));
    if (strcmp(cli_s(r, "determination"), "unspecified") != 0 ||
        strcmp(cli_s(r, "pap"), "unspecified") != 0)
        printf("determination %s   PAP:%s\n", cli_s(r, "determination"), cli_s(r, "pap"));
    if (cli_s(r, "rsit_class")[0] || cli_s(r, "rsit_type")[0])
        printf("RSIT        %s / %s\n", cli_s(r, "rsit_class"), cli_s(r, "rsit_type"));
    static const char *const where[] = {"sector", "province", "constituent"};
    for (size_t k = 0; k < CF_ARRAY_LEN(where); k++)
        if (cli_s(r, where[k])[0])
            printf("%-11s %s\n", where[k], cli_s(r, where[k]));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "related"))
    {
        if (cJSON_IsString(x))
            printf("related     %s\n", x->valuestring);
    }
    if (cli_s(r, "duplicate_of")[0])
        printf("duplicate of %s\n", cli_s(r, "duplicate_of"));
    if (cli_s(r, "supersedes")[0])
        printf("supersedes  %s\n", cli_s(r, "supersedes"));
    if (cli_s(r, "description")[0])
        printf("description %s\n", cli_s(r, "description"));
    if (cli_s(r, "source")[0])
        printf("source      %s\n", cli_s(r, "source"));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "observables"))
        printf("observable  %s %s%s\n", cli_s(x, "type"), cli_s(x, "value"),
               cJSON_IsTrue(cJSON_GetObjectItem(x, "to_block")) ? " (to block)" : "");
    printf("revisions:\n");
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "revisions"))
        printf("  %3.0f  %s  by %-10s %-10s %s\n", cJSON_GetObjectItem(x, "revision")->valuedouble,
               cli_s(x, "at"), cli_s(x, "by"), cli_s(x, "status"), cli_s(x, "note"));
    printf("held by:\n");
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "holders"))
        printf("  %-14s since %s\n", cli_s(x, "node"), cli_s(x, "since"));
    const cJSON *notes = cJSON_GetObjectItem(r, "notes");
    if (cJSON_GetArraySize(notes) > 0)
        printf("notes:\n");
    cJSON_ArrayForEach(x, notes)
    {
        const cJSON *rev = cJSON_GetObjectItem(x, "revision");
        printf("  %s  by %s%s%s on revision %.0f: %s\n", cli_s(x, "at"), cli_s(x, "by"),
               cli_s(x, "analyst")[0] ? " / " : "", cli_s(x, "analyst"),
               cJSON_IsNumber(rev) ? rev->valuedouble : 0, cli_s(x, "text"));
    }
}

static void
print_noted(const cJSON *r)
{
    printf("note on incident %s revision %.0f signed and stored; it goes to %s%s\n", cli_s(r, "id"),
           cJSON_GetObjectItem(r, "revision")->valuedouble, cli_s(r, "owner"),
           cJSON_IsFalse(cJSON_GetObjectItem(r, "sent")) ? " when the link returns" : "");
}

static void
print_done(const cJSON *r)
{
    printf("incident %s revision %.0f signed and stored%s\n", cli_s(r, "id"),
           cJSON_GetObjectItem(r, "revision")->valuedouble,
           cJSON_IsFalse(cJSON_GetObjectItem(r, "sent"))
               ? "; the node is offline: it is sent when the link returns"
               : "");
}

int
cli_incident(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"report", "incident.report", report_opts, CF_ARRAY_LEN(report_opts), NULL, "title",
         print_done},
        {"update", "incident.update", update_opts, CF_ARRAY_LEN(update_opts), "id", NULL,
         print_done},
        {"note", "incident.note", note_opts, CF_ARRAY_LEN(note_opts), "id", "text", print_noted},
        {"list", "incident.list", list_opts, CF_ARRAY_LEN(list_opts), NULL, NULL, print_list},
        {"show", "incident.show", NULL, 0, "id", NULL, print_show},
    };

    if (argc > 1 && strcmp(argv[1], "import") == 0)
        return cli_incident_import(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "export") == 0)
        return cli_incident_export(argc - 1, argv + 1);
    return cli_run_sub(argc, argv, subs, CF_ARRAY_LEN(subs), cli_incident_usage);
}
