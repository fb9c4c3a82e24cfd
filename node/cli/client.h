/*
 * client.h - what the CLI's node commands share: finding and talking to the
 * node's control socket, and turning command-line options into a request.
 * The node commands are status.c, incident.c, task.c and directive.c.
 */
#ifndef CF_CLI_CLIENT_H
#define CF_CLI_CLIENT_H

#include "node/cli/cli.h"

#include <cjson/cJSON.h>

/* How an option's value goes into the request's "args". */
typedef enum cli_kind {
    CLI_STR,   /* a string */
    CLI_NUM,   /* an integer */
    CLI_LIST,  /* repeatable, or comma-separated: a list of strings */
    CLI_WHEN,  /* a time: "+2h", "+3d", "+30m", an ISO 8601 UTC time, or ms; sent as ms */
    CLI_FALSE, /* a flag that sets the key to false */
    CLI_TRUE,  /* a flag that sets the key to true */
    CLI_OBS,   /* TYPE:VALUE[:block], repeatable: an observable object */
} cli_kind;

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    cli_kind kind;
    const char *key; /* the key in "args" */
} cli_opt;

typedef struct cli_common {
    const char *socket; /* --socket, or found from --config / the environment */
    const char *config;
    bool json;
    const char *positional[64]; /* incident export takes a list of ids */
    int n_positional;
} cli_common;

/**
 * Parse argv (argv[0] is the command word) against specs: options go into
 * args, --json/--config/--socket into common, the rest into
 * common->positional. Prints the usage and returns CLI_USAGE on an unknown
 * option or a bad value; returns -1 after printing the usage for --help.
 */
int cli_parse(int argc, char **argv, const cli_opt *specs, size_t n_specs, const char *usage,
              cJSON *args, cli_common *common);

/**
 * Send {"cmd": cmd, "args": args} (args taken over) to the node and wait for
 * the answer. On {"ok": false} prints "certfed: <error>" and returns
 * CLI_FAIL; on success *out_result is the result (free with cJSON_Delete).
 */
int cli_request(const cli_common *common, const char *cmd, cJSON *args, cJSON **out_result);
/** cli_request that prints nothing: on failure the message (without
 * "certfed: ") is in err. For commands that say more about a failure. */
int cli_request_quiet(const cli_common *common, const char *cmd, cJSON *args, cJSON **out_result,
                      char *err, size_t errlen);

/* One subcommand of a node command ("incident report"): its request, its
 * options, the name of its one positional argument (or NULL), the options
 * it cannot do without, and how to print its result as text. */
typedef struct cli_sub {
    const char *name;
    const char *cmd;
    const cli_opt *opts;
    size_t n_opts;
    const char *pos_key;  /* the args key of the positional argument, or NULL */
    const char *required; /* an args key that must be given, or NULL */
    void (*print)(const cJSON *result);
} cli_sub;

/**
 * Run "GROUP SUB [options]": pick SUB from subs, parse, check, send, and
 * print the result (as JSON with --json). argv[0] is the group's word.
 */
int cli_run_sub(int argc, char **argv, const cli_sub *subs, size_t n_subs, const char *usage);

/** Print a result as JSON (for --json). */
void cli_show_json(const cJSON *result);
/** A string member or "" (for printing). */
const char *cli_s(const cJSON *o, const char *name);
/** A number member or 0 (for printing). */
double cli_num(const cJSON *o, const char *name);

int cli_status(int argc, char **argv);
int cli_peers(int argc, char **argv);
int cli_incident(int argc, char **argv);
/* incident_interchange.c: `incident import` and `incident export` (argv[0] is
 * the subcommand's word) */
int cli_incident_import(int argc, char **argv);
extern const char cli_incident_usage[];
int cli_incident_export(int argc, char **argv);
int cli_task(int argc, char **argv);
int cli_directive(int argc, char **argv);
int cli_ack(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_quarantine(int argc, char **argv);
int cli_trust(int argc, char **argv);

#endif
