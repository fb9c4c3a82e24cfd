/*
 * client.c - the CLI side of the control socket (protocol in node/node.h):
 * find the socket, send one request line, read one answer line; and the
 * option parser the node commands share.
 *
 * The socket is found from --socket, else from the control path of
 * --config's node.conf, else from $CERTFED_SOCKET, else $CERTFED_CONFIG.
 */
#include "node/cli/client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_ANSWER (64 * 1024 * 1024)
#define ANSWER_TIMEOUT_MS 30000

double
cli_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *
cli_s(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

void
cli_show_json(const cJSON *result)
{
    char *s = cJSON_Print(result);

    puts(s ? s : "null");
    free(s);
}

/* "+2h", "+3d", "+30m", "2026-12-01T10:00:00Z" or a number of ms. */
static bool
parse_when(const char *s, int64_t *out)
{
    char *end;
    struct tm tm;

    if (s[0] == '+') {
        long long v = strtoll(s + 1, &end, 10);
        int64_t unit = *end == 'm' ? 60000 : *end == 'h' ? 3600000 : *end == 'd' ? 86400000 : 0;
        if (end == s + 1 || v < 0 || !unit || end[1])
            return false;
        *out = cf_clock_now_ms() + (int64_t)v * unit;
        return true;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end && !*end) {
        *out = (int64_t)timegm(&tm) * 1000;
        return true;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return false;
    *out = v;
    return true;
}

static bool
add_value(cJSON *args, const cli_opt *o, const char *value)
{
    char *end;
    cJSON *list;

    switch (o->kind) {
    case CLI_STR:
        cJSON_AddStringToObject(args, o->key, value);
        return true;
    case CLI_NUM: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || *end || !value[0])
            return false;
        cJSON_AddNumberToObject(args, o->key, (double)v);
        return true;
    }
    case CLI_WHEN: {
        int64_t ms;
        if (!parse_when(value, &ms))
            return false;
        cJSON_AddNumberToObject(args, o->key, (double)ms);
        return true;
    }
    case CLI_LIST:
        list = cJSON_GetObjectItemCaseSensitive(args, o->key);
        if (!list)
            list = cJSON_AddArrayToObject(args, o->key);
        for (const char *p = value; *p;) {
            size_t n = strcspn(p, ",");
            if (n) {
                char *item = strndup(p, n);
                if (!item)
                    return false;
                cJSON_AddItemToArray(list, cJSON_CreateString(item));
                free(item);
            }
            p += n + (p[n] == ',');
        }
        return true;
    case CLI_OBS: {
        const char *c1 = strchr(value, ':');
        if (!c1 || c1 == value || !c1[1])
            return false;
        char *type = strndup(value, (size_t)(c1 - value));
        const char *rest = c1 + 1;
        size_t vlen = strlen(rest);
        bool block = vlen > 6 && strcmp(rest + vlen - 6, ":block") == 0;
        char *val = strndup(rest, block ? vlen - 6 : vlen);
        list = cJSON_GetObjectItemCaseSensitive(args, o->key);
        if (!list)
            list = cJSON_AddArrayToObject(args, o->key);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "type", type ? type : "");
        cJSON_AddStringToObject(x, "value", val ? val : "");
        cJSON_AddBoolToObject(x, "to_block", block);
        cJSON_AddItemToArray(list, x);
        free(type);
        free(val);
        return true;
    }
    case CLI_FALSE:
        cJSON_AddFalseToObject(args, o->key);
        return true;
    case CLI_TRUE:
        cJSON_AddTrueToObject(args, o->key);
        return true;
    }
    return false;
}

int
cli_parse(int argc, char **argv, const cli_opt *specs, size_t n_specs, const char *usage,
          cJSON *args, cli_common *common)
{
    memset(common, 0, sizeof(*common));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-c") == 0 || strcmp(a, "-s") == 0) && i + 1 < argc) {
            if (a[1] == 'c')
                common->config = argv[++i];
            else
                common->socket = argv[++i];
            continue;
        }
        if (a[0] == '-' && a[1] != '-' && a[1] != 0)
            return cli_usage(usage, "unknown option '%s'", a);
        if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0 || a[2] == 0) {
            if (common->n_positional == (int)CF_ARRAY_LEN(common->positional))
                return cli_usage(usage, "too many arguments");
            common->positional[common->n_positional++] = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (nlen == 4 && strncmp(name, "help", 4) == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (nlen == 4 && strncmp(name, "json", 4) == 0) {
            common->json = true;
            continue;
        }
        bool is_config = nlen == 6 && strncmp(name, "config", 6) == 0;
        bool is_socket = nlen == 6 && strncmp(name, "socket", 6) == 0;
        const cli_opt *o = NULL;
        for (size_t k = 0; !is_config && !is_socket && k < n_specs; k++)
            if (strlen(specs[k].name) == nlen && strncmp(specs[k].name, name, nlen) == 0)
                o = &specs[k];
        if (!o && !is_config && !is_socket)
            return cli_usage(usage, "unknown option '--%.*s'", (int)nlen, name);
        if (o && (o->kind == CLI_FALSE || o->kind == CLI_TRUE)) {
            add_value(args, o, "");
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return cli_usage(usage, "option '--%.*s' needs a value", (int)nlen, name);
            value = argv[++i];
        }
        if (is_config)
            common->config = value;
        else if (is_socket)
            common->socket = value;
        else if (!add_value(args, o, value))
            return cli_usage(usage, "bad value '%s' for --%s%s", value, o->name,
                             o->kind == CLI_WHEN  ? " (use +30m, +2h, +3d or 2026-12-01T10:00:00Z)"
                             : o->kind == CLI_OBS ? " (use TYPE:VALUE or TYPE:VALUE:block)"
                                                  : "");
    }
    return CLI_OK;
}

/* The control socket path: --socket, --config, $CERTFED_SOCKET, $CERTFED_CONFIG. */
static int
socket_path(const cli_common *common, char *out, size_t len, char *err, size_t errlen)
{
    const char *config = common->config ? common->config : getenv("CERTFED_CONFIG");
    const char *sock = common->socket ? common->socket : NULL;
    cf_node_config *cfg = NULL;

    if (!sock && !common->config && getenv("CERTFED_SOCKET"))
        sock = getenv("CERTFED_SOCKET");
    if (sock) {
        snprintf(out, len, "%s", sock);
        return CLI_OK;
    }
    if (!config) {
        snprintf(err, errlen,
                 "which node? give --config NODE.CONF or --socket PATH (or set CERTFED_CONFIG)");
        return CLI_FAIL;
    }
    if (cf_node_config_load(config, &cfg, err, errlen) != CF_OK)
        return CLI_FAIL;
    snprintf(out, len, "%s", cfg->control);
    cf_node_config_free(cfg);
    return CLI_OK;
}

static bool
write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

int
cli_request(const cli_common *common, const char *cmd, cJSON *args, cJSON **out_result)
{
    char err[1024];
    int rc = cli_request_quiet(common, cmd, args, out_result, err, sizeof(err));

    return rc == CLI_OK ? CLI_OK : cli_fail("%s", err);
}

int
cli_request_quiet(const cli_common *common, const char *cmd, cJSON *args, cJSON **out_result,
                  char *err, size_t errlen)
{
    char path[4096];
    struct sockaddr_un sa;
    cJSON *req = cJSON_CreateObject(), *resp = NULL;
    cf_buf in;
    char *text = NULL;
    int fd = -1, rc = socket_path(common, path, sizeof(path), err, errlen);

    /* a request that waits on the node (directive.wait) says how long */
    const cJSON *wait_ms = args ? cJSON_GetObjectItemCaseSensitive(args, "timeout_ms") : NULL;
    int answer_ms = ANSWER_TIMEOUT_MS;
    if (cJSON_IsNumber(wait_ms) && wait_ms->valuedouble > 0 && wait_ms->valuedouble <= 86400000)
        answer_ms += (int)wait_ms->valuedouble;

    cf_buf_init(&in);
    cJSON_AddStringToObject(req, "cmd", cmd);
    cJSON_AddItemToObject(req, "args", args ? args : cJSON_CreateObject());
    if (rc != CLI_OK)
        goto out;
    rc = CLI_FAIL;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "control socket path %s is too long", path);
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(err, errlen, "cannot reach the node at %s: %s (is certfedd running?)", path,
                 strerror(errno));
        goto out;
    }
    text = cJSON_PrintUnformatted(req);
    if (!text || !write_all(fd, text, strlen(text)) || !write_all(fd, "\n", 1)) {
        snprintf(err, errlen, "cannot send the request to %s: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        char chunk[65536];
        int pr = poll(&p, 1, answer_ms);
        if (pr == 0) {
            snprintf(err, errlen, "the node did not answer within %d s", answer_ms / 1000);
            goto out;
        }
        if (pr < 0 && errno == EINTR)
            continue;
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (in.len + (size_t)r > MAX_ANSWER || cf_buf_append(&in, chunk, (size_t)r) != CF_OK) {
            snprintf(err, errlen, "the node's answer is too large");
            goto out;
        }
    }
    resp = in.len ? cJSON_ParseWithLength((const char *)in.data, in.len) : NULL;
    if (!resp) {
        snprintf(err, errlen, "the node's answer is not JSON");
        goto out;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"))) {
        const char *e = cli_s(resp, "error");
        snprintf(err, errlen, "%s", e[0] ? e : "the node refused the request");
        goto out;
    }
    *out_result = cJSON_DetachItemFromObjectCaseSensitive(resp, "result");
    rc = CLI_OK;
out:
    if (fd >= 0)
        close(fd);
    free(text);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    cf_buf_clear(&in);
    return rc;
}

int
cli_run_sub(int argc, char **argv, const cli_sub *subs, size_t n_subs, const char *usage)
{
    const char *word = argc > 1 ? argv[1] : "";
    const cli_sub *sub = NULL;
    cli_common c;
    cJSON *args, *r = NULL;
    int rc;

    if (strcmp(word, "--help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < n_subs; i++)
        if (strcmp(word, subs[i].name) == 0)
            sub = &subs[i];
    if (!sub)
        return cli_usage(usage, "unknown or missing subcommand of %s", argv[0]);
    args = cJSON_CreateObject();
    rc = cli_parse(argc - 1, argv + 1, sub->opts, sub->n_opts, usage, args, &c);
    if (rc == CLI_OK && c.n_positional != (sub->pos_key ? 1 : 0))
        rc = cli_usage(usage,
                       sub->pos_key ? "%s %s takes one argument (%s)"
                                    : "%s %s takes no arguments, only options%.0s",
                       argv[0], sub->name, sub->pos_key ? sub->pos_key : "");
    if (rc == CLI_OK && sub->required && !cJSON_GetObjectItemCaseSensitive(args, sub->required))
        rc = cli_usage(usage, "%s %s needs its %s", argv[0], sub->name, sub->required);
    if (rc != CLI_OK) {
        cJSON_Delete(args);
        return rc < 0 ? CLI_OK : rc;
    }
    if (sub->pos_key)
        cJSON_AddStringToObject(args, sub->pos_key, c.positional[0]);
    rc = cli_request(&c, sub->cmd, args, &r);
    if (rc != CLI_OK)
        return rc;
    if (c.json)
        cli_show_json(r);
    else
        sub->print(r);
    cJSON_Delete(r);
    return CLI_OK;
}
