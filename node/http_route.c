/*
 * http_route.c - the HTTP API's routing: an HTTP request (method, path,
 * query, body) becomes the control request the CLI would send, or a 4xx
 * answer. Pure: no I/O, no node, any thread, so it is unit-tested and
 * fuzzed on its own. Every field a command takes is listed here with its
 * JSON type; anything else is refused before the node sees it.
 */
#include "node/http.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a field must be. */
typedef enum field_kind {
    F_STR,  /* a string */
    F_NUM,  /* a number */
    F_BOOL, /* true or false */
    F_ENUM, /* a name ("high") or its number */
    F_STRV, /* a list of strings */
    F_OBS,  /* a list of observables: {"type", "value", "to_block"} */
} field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
} field;

/* The arguments of each command, as commands.c reads them. */
static const field report_fields[] = {
    {"title", F_STR},       {"description", F_STR},    {"severity", F_ENUM},
    {"tlp", F_ENUM},        {"rsit_class", F_STR},     {"rsit_type", F_STR},
    {"confidence", F_NUM},  {"sector", F_STR},         {"province", F_STR},
    {"constituent", F_STR}, {"analyst", F_STR},        {"observables", F_OBS},
    {"related", F_STRV},    {"detected_ms", F_NUM},    {"to", F_STRV},
    {"pap", F_ENUM},        {"determination", F_ENUM}, {"duplicate_of", F_STR},
    {"supersedes", F_STR},
};
static const field update_fields[] = {
    {"status", F_ENUM},        {"severity", F_ENUM},   {"tlp", F_ENUM},     {"title", F_STR},
    {"description", F_STR},    {"note", F_STR},        {"to", F_STRV},      {"pap", F_ENUM},
    {"determination", F_ENUM}, {"constituent", F_STR}, {"related", F_STRV}, {"duplicate_of", F_STR},
    {"supersedes", F_STR},
};
static const field note_fields[] = {
    {"text", F_STR},
    {"analyst", F_STR},
};
static const field list_fields[] = {
    {"min_severity", F_ENUM}, {"tlp", F_ENUM},     {"status", F_ENUM},
    {"sector", F_STR},        {"province", F_STR}, {"determination", F_ENUM},
};
static const field status_fields[] = {
    {"counts_only", F_BOOL},
};
static const field assign_fields[] = {
    {"assignees", F_STRV}, {"kind", F_ENUM},    {"instructions", F_STR}, {"deliverable", F_STR},
    {"incident", F_STR},   {"priority", F_NUM}, {"due_ms", F_NUM},
};
static const field task_status_fields[] = {
    {"state", F_ENUM},
    {"reason", F_STR},
    {"result", F_STR},
};
static const field issue_fields[] = {
    {"title", F_STR},      {"number", F_STR},     {"version", F_NUM},       {"kind", F_ENUM},
    {"summary", F_STR},    {"actions", F_STRV},   {"roles", F_STRV},        {"sectors", F_STRV},
    {"provinces", F_STRV}, {"severity", F_ENUM},  {"effective_ms", F_NUM},  {"comply_by_ms", F_NUM},
    {"ack_by_ms", F_NUM},  {"expires_ms", F_NUM}, {"ack_required", F_BOOL},
};
static const field ack_fields[] = {
    {"state", F_ENUM},
    {"reason", F_STR},
    {"analyst", F_STR},
};
static const field observable_fields[] = {
    {"type", F_STR},
    {"value", F_STR},
    {"to_block", F_BOOL},
};

typedef struct route_def {
    const char *method;
    const char *pattern; /* segments; "*" is an id, given to the command as id_arg */
    cf_route_kind kind;
    const char *cmd;
    const char *id_arg;
    const field *fields; /* the body's (POST) or the query's (GET) */
    size_t n_fields;
    int ok_status;
} route_def;

#define FIELDS(a) a, CF_ARRAY_LEN(a)
static const route_def routes[] = {
    {"GET", "/api/status", CF_ROUTE_COMMAND, "status", NULL, NULL, 0, 200},
    {"GET", "/api/peers", CF_ROUTE_COMMAND, "peers", NULL, NULL, 0, 200},
    {"GET", "/api/incidents", CF_ROUTE_COMMAND, "incident.list", NULL, FIELDS(list_fields), 200},
    {"POST", "/api/incidents", CF_ROUTE_COMMAND, "incident.report", NULL, FIELDS(report_fields),
     201},
    {"GET", "/api/incidents/*", CF_ROUTE_COMMAND, "incident.show", "id", NULL, 0, 200},
    {"POST", "/api/incidents/*", CF_ROUTE_COMMAND, "incident.update", "id", FIELDS(update_fields),
     200},
    {"POST", "/api/incidents/*/notes", CF_ROUTE_COMMAND, "incident.note", "id", FIELDS(note_fields),
     201},
    {"GET", "/api/tasks", CF_ROUTE_COMMAND, "task.list", NULL, NULL, 0, 200},
    {"POST", "/api/tasks", CF_ROUTE_COMMAND, "task.assign", NULL, FIELDS(assign_fields), 201},
    {"POST", "/api/tasks/*/status", CF_ROUTE_COMMAND, "task.update", "id",
     FIELDS(task_status_fields), 200},
    {"GET", "/api/directives", CF_ROUTE_COMMAND, "directive.list", NULL, NULL, 0, 200},
    {"POST", "/api/directives", CF_ROUTE_COMMAND, "directive.issue", NULL, FIELDS(issue_fields),
     201},
    {"GET", "/api/directives/*", CF_ROUTE_COMMAND, "directive.status", "number",
     FIELDS(status_fields), 200},
    {"POST", "/api/directives/*/ack", CF_ROUTE_COMMAND, "ack", "number", FIELDS(ack_fields), 200},
    {"GET", "/api/audit", CF_ROUTE_COMMAND, "audit.verify", NULL, NULL, 0, 200},
    {"GET", "/api/events", CF_ROUTE_EVENTS, NULL, NULL, NULL, 0, 200},
    {"GET", "/metrics", CF_ROUTE_METRICS, NULL, NULL, NULL, 0, 200},
};

static void refuse(cf_routed *out, int status, const char *reason, const char *fmt, ...)
    CF_PRINTF(4, 5);

static void
refuse(cf_routed *out, int status, const char *reason, const char *fmt, ...)
{
    va_list ap;

    cJSON_Delete(out->request);
    out->request = NULL;
    out->kind = CF_ROUTE_ERROR;
    out->status = status;
    out->reason = reason;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof(out->error), fmt, ap);
    va_end(ap);
}

/*
 * Does path match pattern? Segments are compared one by one; "*" takes
 * any non-empty segment, whose start and length go to id / id_len.
 */
static bool
match(const char *pattern, const char *path, const char **id, size_t *id_len)
{
    const char *p = pattern, *s = path;

    *id = NULL;
    *id_len = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
        if (sl == 0)
            return false; /* an empty segment ("//", a trailing "/") */
        if (pl == 1 && p[0] == '*') {
            *id = s;
            *id_len = sl;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return false;
        }
        p += pl;
        s += sl;
    }
    return !*p && !*s;
}

static const field *
find_field(const field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static const char *
kind_text(field_kind k)
{
    switch (k) {
    case F_STR:
        return "a string";
    case F_NUM:
        return "a number";
    case F_BOOL:
        return "true or false";
    case F_ENUM:
        return "a name or a number";
    case F_STRV:
        return "a list of strings";
    case F_OBS:
        return "a list of observables ({\"type\", \"value\", \"to_block\"})";
    }
    return "?";
}

static bool
is_string_list(const cJSON *v)
{
    const cJSON *x;

    if (!cJSON_IsArray(v))
        return false;
    cJSON_ArrayForEach(x, v)
    {
        if (!cJSON_IsString(x))
            return false;
    }
    return true;
}

static bool
is_finite_number(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble);
}

/* Check the members of obj against fields; what names the object in messages. */
static bool check_object(const cJSON *obj, const field *fields, size_t n, const char *what,
                         cf_routed *out);

static bool
check_value(const cJSON *v, const field *f, const char *name, cf_routed *out)
{
    bool good = false;

    switch (f->kind) {
    case F_STR:
        good = cJSON_IsString(v);
        break;
    case F_NUM:
        good = is_finite_number(v);
        break;
    case F_BOOL:
        good = cJSON_IsBool(v);
        break;
    case F_ENUM:
        good = cJSON_IsString(v) || is_finite_number(v);
        break;
    case F_STRV:
        good = is_string_list(v);
        break;
    case F_OBS: {
        const cJSON *o;
        int i = 0;
        if (!cJSON_IsArray(v))
            break;
        cJSON_ArrayForEach(o, v)
        {
            char where[192];
            snprintf(where, sizeof(where), "%.160s[%d]", name, i++);
            if (!cJSON_IsObject(o)) {
                refuse(out, 400, "invalid-argument", "field '%s' must be an object", where);
                return false;
            }
            if (!check_object(o, FIELDS(observable_fields), where, out))
                return false;
        }
        good = true;
        break;
    }
    }
    if (!good)
        refuse(out, 400, "invalid-argument", "field '%s' must be %s", name, kind_text(f->kind));
    return good;
}

static bool
check_object(const cJSON *obj, const field *fields, size_t n, const char *what, cf_routed *out)
{
    const cJSON *m, *k;

    cJSON_ArrayForEach(m, obj)
    {
        char name[320];
        snprintf(name, sizeof(name), "%s%s%.100s", what ? what : "", what ? "." : "",
                 m->string ? m->string : "");
        const field *f = m->string ? find_field(fields, n, m->string) : NULL;
        if (!f) {
            refuse(out, 400, "invalid-argument", "unknown field '%s'", name);
            return false;
        }
        /* the command would read the first and ignore the second */
        for (k = obj->child; k != m; k = k->next)
            if (k->string && strcmp(k->string, m->string) == 0) {
                refuse(out, 400, "invalid-argument", "field '%s' given twice", name);
                return false;
            }
        if (!check_value(m, f, name, out))
            return false;
    }
    return true;
}

static bool
all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* Query parameters into args (GET): known, once each, strings or names. */
static bool
query_args(const cf_http_request *r, const route_def *d, cJSON *args, cf_routed *out)
{
    if (r->n_query > CF_HTTP_QUERY_MAX) {
        refuse(out, 400, "invalid-argument", "too many query parameters (at most %d)",
               CF_HTTP_QUERY_MAX);
        return false;
    }
    for (size_t i = 0; i < r->n_query; i++) {
        const char *key = r->query[2 * i], *value = r->query[2 * i + 1];
        if (!key)
            key = "";
        if (!value)
            value = "";
        for (size_t j = 0; j < i; j++)
            if (r->query[2 * j] && strcmp(r->query[2 * j], key) == 0) {
                refuse(out, 400, "invalid-argument", "query parameter '%.100s' given twice", key);
                return false;
            }
        /* EventSource cannot send a header: the token may come this way,
         * on the read-only event stream only (see http.c) */
        if (d->kind == CF_ROUTE_EVENTS && strcmp(key, "token") == 0)
            continue;
        const field *f = find_field(d->fields, d->n_fields, key);
        if (!f) {
            refuse(out, 400, "invalid-argument", "unknown query parameter '%.100s'", key);
            return false;
        }
        /* a flag is true or false, nothing else */
        if (f->kind == F_BOOL && strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            refuse(out, 400, "invalid-argument", "'%.100s' must be true or false", key);
            return false;
        }
        cJSON *v = f->kind == F_BOOL ? cJSON_CreateBool(strcmp(value, "true") == 0)
                   : f->kind == F_ENUM && all_digits(value) && strlen(value) < 10
                       ? cJSON_CreateNumber((double)atoi(value))
                       : cJSON_CreateString(value);
        if (!v || !cJSON_AddItemToObject(args, key, v)) {
            cJSON_Delete(v);
            refuse(out, 500, "out-of-memory", "out of memory");
            return false;
        }
    }
    return true;
}

/* "application/json", with parameters or not, in any case. */
static bool
is_json_type(const char *ct)
{
    static const char json[] = "application/json";
    size_t n = sizeof(json) - 1;

    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == 0 || *ct == ';';
}

/* The JSON body of a POST into args: an object of known fields. */
static cJSON *
body_args(const cf_http_request *r, const route_def *d, cf_routed *out)
{
    const char *end = NULL;
    size_t len = r->body_len;

    if (r->content_type && !is_json_type(r->content_type)) {
        refuse(out, 415, "unsupported-media-type",
               "the body must be JSON (Content-Type: application/json)");
        return NULL;
    }
    /* a body of only white space is an empty object: an ack needs nothing */
    size_t i = 0;
    while (i < len &&
           (r->body[i] == ' ' || r->body[i] == '\t' || r->body[i] == '\r' || r->body[i] == '\n'))
        i++;
    if (i == len) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            refuse(out, 500, "out-of-memory", "out of memory");
        return o;
    }
    cJSON *args = cJSON_ParseWithLengthOpts((const char *)r->body, len, &end, false);
    if (!args) {
        refuse(out, 400, "malformed", "the body is not valid JSON");
        return NULL;
    }
    /* nothing may follow the object but white space */
    for (const char *p = end; p && p < (const char *)r->body + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(args);
            refuse(out, 400, "malformed", "the body is not valid JSON (something follows it)");
            return NULL;
        }
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        refuse(out, 400, "malformed", "the body must be a JSON object");
        return NULL;
    }
    if (!check_object(args, d->fields, d->n_fields, NULL, out)) {
        cJSON_Delete(args);
        return NULL;
    }
    return args;
}

void
cf_http_route(const cf_http_request *r, cf_routed *out)
{
    const route_def *d = NULL;
    const char *id = NULL;
    size_t id_len = 0;
    static const char *const allows[] = {"GET", "POST", "GET, POST"};

    memset(out, 0, sizeof(out[0]));
    bool get_ok = false, post_ok = false;
    for (size_t i = 0; i < CF_ARRAY_LEN(routes); i++) {
        const char *rid;
        size_t rlen;
        if (!r->path || !match(routes[i].pattern, r->path, &rid, &rlen))
            continue;
        if (strcmp(routes[i].method, "GET") == 0)
            get_ok = true;
        else
            post_ok = true;
        if (r->method && strcmp(routes[i].method, r->method) == 0) {
            d = &routes[i];
            id = rid;
            id_len = rlen;
        }
    }
    if (!d && (get_ok || post_ok)) {
        refuse(out, 405, "method-not-allowed", "%.16s is not allowed here (%s)",
               r->method ? r->method : "?",
               allows[get_ok && post_ok ? 2
                      : post_ok         ? 1
                                        : 0]);
        out->allow = allows[get_ok && post_ok ? 2 : post_ok ? 1 : 0];
        return;
    }
    if (!d) {
        refuse(out, 404, "not-found",
               "no such endpoint (see GET /api/status, /api/incidents, ...)");
        return;
    }
    if (id) {
        if (id_len > CF_HTTP_PATH_ID_MAX) {
            refuse(out, 400, "invalid-argument", "the id in the path is too long (at most %d)",
                   CF_HTTP_PATH_ID_MAX);
            return;
        }
        for (size_t i = 0; i < id_len; i++)
            if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f) {
                refuse(out, 400, "invalid-argument", "the id in the path has a control character");
                return;
            }
    }
    bool is_get = strcmp(d->method, "GET") == 0;
    if (is_get && r->body_len > 0) {
        refuse(out, 400, "invalid-argument", "a GET takes no body");
        return;
    }
    if (!is_get && r->n_query > 0) {
        refuse(out, 400, "invalid-argument",
               "unknown query parameter '%.100s' (a POST takes its arguments in the body)",
               r->query[0] ? r->query[0] : "");
        return;
    }
    cJSON *args = is_get ? cJSON_CreateObject() : body_args(r, d, out);
    if (!args) {
        if (out->kind != CF_ROUTE_ERROR)
            refuse(out, 500, "out-of-memory", "out of memory");
        return;
    }
    if (is_get && !query_args(r, d, args, out)) {
        cJSON_Delete(args);
        return;
    }
    if (d->kind != CF_ROUTE_COMMAND) {
        cJSON_Delete(args);
        out->kind = d->kind;
        out->status = d->ok_status;
        return;
    }
    cJSON *req = cJSON_CreateObject();
    char idbuf[CF_HTTP_PATH_ID_MAX + 1];
    bool good = req && cJSON_AddStringToObject(req, "cmd", d->cmd) != NULL;
    if (good && id) {
        memcpy(idbuf, id, id_len);
        idbuf[id_len] = 0;
        good = cJSON_AddStringToObject(args, d->id_arg, idbuf) != NULL;
    }
    if (!good || !cJSON_AddItemToObject(req, "args", args)) {
        cJSON_Delete(req);
        cJSON_Delete(args);
        refuse(out, 500, "out-of-memory", "out of memory");
        return;
    }
    out->kind = CF_ROUTE_COMMAND;
    out->status = d->ok_status;
    out->request = req;
}

int
cf_http_status_for(const char *reason)
{
    static const struct {
        const char *reason;
        int status;
    } map[] = {
        {"invalid-argument", 400},
        {"malformed", 400},
        {"over-limit", 400},
        {"not-found", 404},
        {"exists", 409},
        {"unauthorized", 403},
        {"full", 503},
        {"out-of-memory", 503},
        {"unreachable", 503},
    };

    for (size_t i = 0; reason && i < CF_ARRAY_LEN(map); i++)
        if (strcmp(map[i].reason, reason) == 0)
            return map[i].status;
    return 500;
}
