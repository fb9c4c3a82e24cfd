/*
 * fuzz_http.c - libFuzzer target for the HTTP API's routing (cf_http_route,
 * node/http_route.c): what a client's method, path, query and body become.
 * An input is a request line "METHOD /path?k=v&k2=v2 [CONTENT-TYPE]", a
 * newline, and the body. Whatever it is, the answer must be whole: an error
 * with a 4xx or 5xx status, a reason and a message and no request; or a
 * control request {"cmd": a command, "args": an object} whose every
 * argument is one the command takes (the router checked it), with a 2xx
 * status; or the metrics or the event stream, for a GET.
 */
#include "node/http.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const commands[] = {
    "status",        "peers",           "incident.list",   "incident.report",
    "incident.show", "incident.update", "task.list",       "task.assign",
    "task.update",   "directive.list",  "directive.issue", "directive.status",
    "ack",           "audit.verify",
};

static void
check(const cf_http_request *r, const cf_routed *rt)
{
    switch (rt->kind) {
    case CF_ROUTE_ERROR:
        if (rt->request || rt->status < 400 || rt->status > 599 || !rt->reason || !rt->error[0])
            abort();
        if (rt->status == 405 && !rt->allow)
            abort();
        return;
    case CF_ROUTE_METRICS:
    case CF_ROUTE_EVENTS:
        if (rt->request || rt->status != 200 || strcmp(r->method, "GET") != 0)
            abort();
        return;
    case CF_ROUTE_COMMAND:
        break;
    }
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(rt->request, "cmd");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(rt->request, "args");
    bool known = false;
    if (!cJSON_IsString(cmd) || !cJSON_IsObject(args) || (rt->status != 200 && rt->status != 201))
        abort();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        known |= strcmp(cmd->valuestring, commands[i]) == 0;
    if (!known)
        abort();
    /* the id of the path is an argument and nothing else set it */
    const cJSON *a;
    size_t n = 0;
    cJSON_ArrayForEach(a, args)
    {
        if (!a->string)
            abort();
        n++;
    }
    if (n > 64 && strcmp(r->method, "GET") == 0)
        abort(); /* a GET's arguments come from at most CF_HTTP_QUERY_MAX parameters */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line_len = nl ? (size_t)(nl - data) : size;
    char *line = malloc(line_len + 1);
    const char *kv[2 * (CF_HTTP_QUERY_MAX + 4)];
    size_t n = 0;
    cf_http_request r;
    cf_routed rt;

    if (!line)
        return 0;
    memcpy(line, data, line_len);
    line[line_len] = 0;
    if (strlen(line) != line_len) { /* a NUL in the request line: libmicrohttpd refuses it */
        free(line);
        return 0;
    }
    memset(&r, 0, sizeof(r));
    char *sp = strchr(line, ' ');
    r.method = line;
    r.path = "";
    if (sp) {
        *sp++ = 0;
        r.path = sp;
        char *ct = strchr(sp, ' ');
        if (ct) {
            *ct++ = 0;
            r.content_type = ct;
        }
        char *q = strchr(sp, '?');
        if (q) {
            *q++ = 0;
            while (q && n < CF_HTTP_QUERY_MAX + 4) {
                char *amp = strchr(q, '&');
                if (amp)
                    *amp++ = 0;
                char *eq = strchr(q, '=');
                if (eq)
                    *eq++ = 0;
                kv[2 * n] = q;
                kv[2 * n + 1] = eq;
                n++;
                q = amp;
            }
        }
    }
    r.query = kv;
    r.n_query = n;
    if (nl) {
        r.body = nl + 1;
        r.body_len = size - line_len - 1;
    }
    cf_http_route(&r, &rt);
    check(&r, &rt);
    cJSON_Delete(rt.request);
    free(line);
    return 0;
}
