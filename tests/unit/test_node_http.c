/*
 * test_node_http.c - the pure parts of the HTTP API (node/http.h): routing
 * requests into control requests or 4xx answers, the event ring (commit,
 * abort, readers that fall behind), the Server-Sent Events and Prometheus
 * text formats, the receipt latency histogram, the [http] config section
 * and the token file's checks.
 */
#include "check.h"
#include "harness/harness.h"
#include "node/http.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Route method path?query with body; the query is "k=v&k2=v2" (no escapes). */
static void
route(const char *method, const char *target, const char *body, const char *ctype, cf_routed *out)
{
    static char buf[512];
    const char *kv[2 * (CF_HTTP_QUERY_MAX + 4)];
    size_t n = 0;
    cf_http_request r;

    snprintf(buf, sizeof(buf), "%s", target);
    char *q = strchr(buf, '?');
    if (q) {
        *q++ = 0;
        for (char *tok = strtok(q, "&"); tok && n < CF_HTTP_QUERY_MAX + 4;
             tok = strtok(NULL, "&")) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq++ = 0;
            kv[2 * n] = tok;
            kv[2 * n + 1] = eq;
            n++;
        }
    }
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = buf;
    r.query = kv;
    r.n_query = n;
    r.content_type = ctype;
    r.body = (const uint8_t *)body;
    r.body_len = body ? strlen(body) : 0;
    cf_http_route(&r, out);
}

/* The routed request as compact JSON (freed by the next call). */
static const char *
request_text(const cf_routed *rt)
{
    static char *text;

    free(text);
    text = rt->request ? cJSON_PrintUnformatted(rt->request) : NULL;
    return text ? text : "";
}

static void
expect_command(const char *method, const char *target, const char *body, int status,
               const char *want)
{
    cf_routed rt;

    route(method, target, body, "application/json", &rt);
    CHECK(rt.kind == CF_ROUTE_COMMAND);
    CHECK(rt.status == status);
    CHECK_STR(request_text(&rt), want);
    if (rt.kind != CF_ROUTE_COMMAND)
        fprintf(stderr, "  %s %s: %d %s\n", method, target, rt.status, rt.error);
    cJSON_Delete(rt.request);
}

static void
expect_refusal(const char *method, const char *target, const char *body, const char *ctype,
               int status, const char *reason, const char *in_error)
{
    cf_routed rt;

    route(method, target, body, ctype, &rt);
    CHECK(rt.kind == CF_ROUTE_ERROR);
    CHECK(rt.request == NULL);
    CHECK(rt.status == status);
    CHECK_STR(rt.reason, reason);
    CHECK(strstr(rt.error, in_error) != NULL);
    if (rt.status != status || !strstr(rt.error, in_error))
        fprintf(stderr, "  %s %s: %d %s\n", method, target, rt.status, rt.error);
    cJSON_Delete(rt.request);
}

static void
test_routes(void)
{
    cf_routed rt;

    expect_command("GET", "/api/status", NULL, 200, "{\"cmd\":\"status\",\"args\":{}}");
    expect_command("GET", "/api/peers", NULL, 200, "{\"cmd\":\"peers\",\"args\":{}}");
    expect_command("GET", "/api/incidents?min_severity=high&sector=banking", NULL, 200,
                   "{\"cmd\":\"incident.list\",\"args\":{\"min_severity\":\"high\","
                   "\"sector\":\"banking\"}}");
    /* an enum by number, as arg_enum takes it; a sector stays a string */
    expect_command("GET", "/api/incidents?tlp=2&province=42", NULL, 200,
                   "{\"cmd\":\"incident.list\",\"args\":{\"tlp\":2,\"province\":\"42\"}}");
    expect_command(
        "POST", "/api/incidents", "{\"title\":\"x\",\"severity\":\"high\"}", 201,
        "{\"cmd\":\"incident.report\",\"args\":{\"title\":\"x\",\"severity\":\"high\"}}");
    expect_command("GET", "/api/incidents/punjab-1", NULL, 200,
                   "{\"cmd\":\"incident.show\",\"args\":{\"id\":\"punjab-1\"}}");
    expect_command("POST", "/api/incidents/punjab-1", "{\"status\":\"contained\"}", 200,
                   "{\"cmd\":\"incident.update\",\"args\":{\"status\":\"contained\","
                   "\"id\":\"punjab-1\"}}");
    expect_command("GET", "/api/tasks", NULL, 200, "{\"cmd\":\"task.list\",\"args\":{}}");
    expect_command("POST", "/api/tasks", "{\"assignees\":[\"banking\"],\"priority\":1}", 201,
                   "{\"cmd\":\"task.assign\",\"args\":{\"assignees\":[\"banking\"],"
                   "\"priority\":1}}");
    expect_command("POST", "/api/tasks/ncert-t1/status", "{\"state\":\"done\"}", 200,
                   "{\"cmd\":\"task.update\",\"args\":{\"state\":\"done\",\"id\":\"ncert-t1\"}}");
    expect_command("GET", "/api/directives", NULL, 200, "{\"cmd\":\"directive.list\",\"args\":{}}");
    expect_command(
        "POST", "/api/directives", "{\"title\":\"t\",\"ack_required\":false}", 201,
        "{\"cmd\":\"directive.issue\",\"args\":{\"title\":\"t\",\"ack_required\":false}}");
    expect_command("GET", "/api/directives/2026-001", NULL, 200,
                   "{\"cmd\":\"directive.status\",\"args\":{\"number\":\"2026-001\"}}");
    /* a flag in the query is a JSON boolean */
    expect_command("GET", "/api/directives/2026-001?counts_only=true", NULL, 200,
                   "{\"cmd\":\"directive.status\",\"args\":{\"counts_only\":true,"
                   "\"number\":\"2026-001\"}}");
    expect_command("GET", "/api/directives/2026-001?counts_only=false", NULL, 200,
                   "{\"cmd\":\"directive.status\",\"args\":{\"counts_only\":false,"
                   "\"number\":\"2026-001\"}}");
    /* an ack needs no body */
    expect_command("POST", "/api/directives/2026-001/ack", "", 200,
                   "{\"cmd\":\"ack\",\"args\":{\"number\":\"2026-001\"}}");
    expect_command("POST", "/api/directives/2026-001/ack", " \r\n", 200,
                   "{\"cmd\":\"ack\",\"args\":{\"number\":\"2026-001\"}}");
    expect_command("GET", "/api/audit", NULL, 200, "{\"cmd\":\"audit.verify\",\"args\":{}}");
    expect_command("POST", "/api/incidents",
                   "{\"title\":\"x\",\"observables\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\","
                   "\"to_block\":true}]}",
                   201,
                   "{\"cmd\":\"incident.report\",\"args\":{\"title\":\"x\",\"observables\":[{"
                   "\"type\":\"ip\",\"value\":\"192.0.2.1\",\"to_block\":true}]}}");

    route("GET", "/metrics", NULL, NULL, &rt);
    CHECK(rt.kind == CF_ROUTE_METRICS && rt.status == 200 && !rt.request);
    route("GET", "/api/events?token=abc", NULL, NULL, &rt);
    CHECK(rt.kind == CF_ROUTE_EVENTS && rt.status == 200);
    /* content types with parameters and in any case */
    route("POST", "/api/incidents", "{\"title\":\"x\"}", "Application/JSON; charset=utf-8", &rt);
    CHECK(rt.kind == CF_ROUTE_COMMAND);
    cJSON_Delete(rt.request);
    route("POST", "/api/incidents", "{\"title\":\"x\"}", NULL, &rt);
    CHECK(rt.kind == CF_ROUTE_COMMAND);
    cJSON_Delete(rt.request);
}

static void
test_refusals(void)
{
    cf_routed rt;
    const char *json = "application/json";

    expect_refusal("GET", "/api/nothing", NULL, NULL, 404, "not-found", "no such endpoint");
    expect_refusal("GET", "/api/incidents/", NULL, NULL, 404, "not-found", "");
    expect_refusal("GET", "/api//incidents", NULL, NULL, 404, "not-found", "");
    expect_refusal("GET", "/api/incidents/a/b", NULL, NULL, 404, "not-found", "");
    expect_refusal("GET", "", NULL, NULL, 404, "not-found", "");
    route("DELETE", "/api/incidents", NULL, NULL, &rt);
    CHECK(rt.status == 405);
    CHECK_STR(rt.allow, "GET, POST");
    route("GET", "/api/tasks/x/status", NULL, NULL, &rt);
    CHECK(rt.status == 405);
    CHECK_STR(rt.allow, "POST");
    route("POST", "/metrics", "", json, &rt);
    CHECK(rt.status == 405);
    CHECK_STR(rt.allow, "GET");
    expect_refusal("POST", "/api/incidents", "{\"title\":", json, 400, "malformed", "not valid");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\"} {}", json, 400, "malformed",
                   "follows");
    expect_refusal("POST", "/api/incidents", "[1]", json, 400, "malformed", "object");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\",\"colour\":1}", json, 400,
                   "invalid-argument", "unknown field 'colour'");
    /* the path gives the id: the body may not */
    expect_refusal("POST", "/api/incidents/a-1", "{\"id\":\"b-1\"}", json, 400, "invalid-argument",
                   "unknown field 'id'");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\",\"title\":\"y\"}", json, 400,
                   "invalid-argument", "'title' given twice");
    expect_refusal("POST", "/api/incidents", "{\"title\":1}", json, 400, "invalid-argument",
                   "'title' must be a string");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\",\"confidence\":\"high\"}", json, 400,
                   "invalid-argument", "'confidence' must be a number");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\",\"related\":[\"a\",2]}", json, 400,
                   "invalid-argument", "'related' must be a list of strings");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\",\"severity\":[]}", json, 400,
                   "invalid-argument", "'severity' must be a name or a number");
    expect_refusal("POST", "/api/directives", "{\"title\":\"x\",\"ack_required\":0}", json, 400,
                   "invalid-argument", "'ack_required' must be true or false");
    expect_refusal("POST", "/api/incidents", "{\"observables\":[{\"type\":\"ip\",\"port\":1}]}",
                   json, 400, "invalid-argument", "unknown field 'observables[0].port'");
    expect_refusal("POST", "/api/incidents", "{\"observables\":[1]}", json, 400, "invalid-argument",
                   "'observables[0]' must be an object");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\"}", "text/plain", 415,
                   "unsupported-media-type", "JSON");
    expect_refusal("POST", "/api/incidents", "{\"title\":\"x\"}", "application/jsonx", 415,
                   "unsupported-media-type", "JSON");
    expect_refusal("GET", "/api/incidents?colour=red", NULL, NULL, 400, "invalid-argument",
                   "unknown query parameter 'colour'");
    expect_refusal("GET", "/api/directives/2026-001?counts_only=yes", NULL, NULL, 400,
                   "invalid-argument", "'counts_only' must be true or false");
    expect_refusal("GET", "/api/incidents?tlp=red&tlp=green", NULL, NULL, 400, "invalid-argument",
                   "'tlp' given twice");
    expect_refusal("GET", "/api/status", "{}", json, 400, "invalid-argument", "no body");
    /* the token travels in the query for the event stream only */
    expect_refusal("GET", "/api/status?token=abc", NULL, NULL, 400, "invalid-argument", "token");
    expect_refusal("POST", "/api/incidents?token=abc", "{\"title\":\"x\"}", json, 400,
                   "invalid-argument", "token");
    expect_refusal("GET", "/api/events?token=a&since=1", NULL, NULL, 400, "invalid-argument",
                   "since");
    expect_refusal("GET",
                   "/api/incidents?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&"
                   "n=14&o=15&p=16&q=17",
                   NULL, NULL, 400, "invalid-argument", "too many");
    char longpath[400];
    snprintf(longpath, sizeof(longpath), "/api/incidents/%0300d", 7);
    expect_refusal("GET", longpath, NULL, NULL, 400, "invalid-argument", "too long");
    expect_refusal("GET", "/api/incidents/a\x01", NULL, NULL, 400, "invalid-argument", "control");
    /* a body that is not NUL-terminated is read to its length only */
    cf_http_request r;
    const char raw[] = "{\"title\":\"x\"}GARBAGE";
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/api/incidents";
    r.body = (const uint8_t *)raw;
    r.body_len = 13;
    cf_http_route(&r, &rt);
    CHECK(rt.kind == CF_ROUTE_COMMAND);
    cJSON_Delete(rt.request);

    CHECK(cf_http_status_for("not-found") == 404);
    CHECK(cf_http_status_for("unauthorized") == 403);
    CHECK(cf_http_status_for("invalid-argument") == 400);
    CHECK(cf_http_status_for("exists") == 409);
    CHECK(cf_http_status_for("full") == 503);
    CHECK(cf_http_status_for("io-error") == 500);
    CHECK(cf_http_status_for(NULL) == 500);
}

static cf_event
incident_event(const char *id, int rev)
{
    cf_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = CF_EVENT_MESSAGE;
    ev.type = CF_MSG_INCIDENT;
    snprintf(ev.id, sizeof(ev.id), "%s", id);
    snprintf(ev.node, sizeof(ev.node), "punjab");
    ev.number = rev;
    return ev;
}

static void
test_events(void)
{
    cf_events *e = NULL;
    cf_event out[8], ev;
    uint64_t next = 1;
    size_t n = 99;

    CHECK_ST(cf_events_new(&e), CF_OK);
    /* nothing yet: the wait times out */
    CHECK_ST(cf_events_read(e, &next, out, 8, 10, &n), CF_OK);
    CHECK(n == 0);
    /* an abandoned transaction announces nothing */
    ev = incident_event("punjab-1", 1);
    cf_events_stage(e, &ev);
    cf_events_commit(e, false);
    CHECK(cf_events_head(e) == 0);
    cf_events_stage(e, &ev);
    ev = incident_event("punjab-2", 1);
    cf_events_stage(e, &ev);
    cf_events_commit(e, true);
    CHECK(cf_events_head(e) == 2);
    CHECK_ST(cf_events_read(e, &next, out, 8, 10, &n), CF_OK);
    CHECK(n == 2 && next == 3);
    CHECK(out[0].seq == 1 && strcmp(out[0].id, "punjab-1") == 0);
    CHECK(out[1].seq == 2 && strcmp(out[1].id, "punjab-2") == 0);
    /* a reader that falls behind the ring gets one reset, then the newest */
    for (int i = 0; i < CF_EVENTS_RING + 5; i++) {
        char id[32];
        snprintf(id, sizeof(id), "punjab-%d", i + 3);
        ev = incident_event(id, 1);
        cf_events_stage(e, &ev);
        cf_events_commit(e, true);
    }
    CHECK_ST(cf_events_read(e, &next, out, 8, 10, &n), CF_OK);
    CHECK(n == 1 && out[0].kind == CF_EVENT_RESET);
    CHECK(next == cf_events_head(e) + 1);
    /* more than a stage holds: a reset instead of a partial story */
    for (int i = 0; i < CF_EVENTS_STAGE + 1; i++)
        cf_events_stage(e, &ev);
    cf_events_commit(e, true);
    CHECK_ST(cf_events_read(e, &next, out, 8, 10, &n), CF_OK);
    CHECK(n == 1 && out[0].kind == CF_EVENT_RESET);
    cf_events_shutdown(e);
    CHECK_ST(cf_events_read(e, &next, out, 8, 1000, &n), CF_E_UNREACHABLE);
    cf_events_free(e);
    cf_events_free(NULL);
}

static void
test_event_format(void)
{
    cf_buf b;
    cf_event ev = incident_event("a\"b\\c\n", 3);

    cf_buf_init(&b);
    ev.seq = 7;
    CHECK_ST(cf_event_format(&ev, &b), CF_OK);
    CHECK_ST(cf_buf_append(&b, "", 1), CF_OK);
    CHECK_STR((const char *)b.data,
              "id: 7\ndata: {\"seq\":7,\"type\":\"incident\",\"stored\":\"received\","
              "\"id\":\"a\\\"b\\\\c\\u000a\",\"origin\":\"punjab\",\"revision\":3}\n\n");
    b.len = 0;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CF_EVENT_MESSAGE;
    ev.type = CF_MSG_ACK;
    ev.originated = true;
    ev.number = 2;
    snprintf(ev.id, sizeof(ev.id), "00ff");
    snprintf(ev.node, sizeof(ev.node), "sindh");
    ev.seq = 8;
    CHECK_ST(cf_event_format(&ev, &b), CF_OK);
    CHECK_ST(cf_buf_append(&b, "", 1), CF_OK);
    CHECK_STR((const char *)b.data,
              "id: 8\ndata: {\"seq\":8,\"type\":\"ack\",\"stored\":\"originated\",\"id\":\"00ff\","
              "\"node\":\"sindh\",\"state\":\"acknowledged\"}\n\n");
    b.len = 0;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CF_EVENT_RESET;
    ev.seq = 9;
    CHECK_ST(cf_event_format(&ev, &b), CF_OK);
    CHECK_ST(cf_buf_append(&b, "", 1), CF_OK);
    CHECK_STR((const char *)b.data,
              "id: 9\nevent: reset\ndata: {\"seq\":9,\"type\":\"reset\"}\n\n");
    cf_buf_clear(&b);
}

static void
test_prometheus(void)
{
    cf_buf b;
    const char *labels[] = {"type", "incident", "why", "a\"b\\c\nd"};

    cf_buf_init(&b);
    CHECK_ST(cf_prom_family(&b, "certfed_x_total", "counter", "Things."), CF_OK);
    CHECK_ST(cf_prom_sample(&b, "certfed_x_total", labels, 2, 42), CF_OK);
    CHECK_ST(cf_prom_sample(&b, "certfed_y", NULL, 0, 0.25), CF_OK);
    CHECK_ST(cf_prom_sample(&b, "certfed_z", labels, 1, 1795968362.736), CF_OK);
    CHECK_ST(cf_prom_sample(&b, "certfed_n", NULL, 0, 0.0 / 0.0), CF_OK);
    CHECK_ST(cf_prom_sample(&b, "certfed_i", NULL, 0, 1.0 / 0.0), CF_OK);
    CHECK_ST(cf_buf_append(&b, "", 1), CF_OK);
    CHECK_STR((const char *)b.data,
              "# HELP certfed_x_total Things.\n"
              "# TYPE certfed_x_total counter\n"
              "certfed_x_total{type=\"incident\",why=\"a\\\"b\\\\c\\nd\"} 42\n"
              "certfed_y 0.25\n"
              "certfed_z{type=\"incident\"} 1795968362.736\n"
              "certfed_n NaN\n"
              "certfed_i +Inf\n");
    cf_buf_clear(&b);

    /* receipt latencies land in their buckets (upper bounds inclusive) */
    cf_metrics *m = calloc(1, sizeof(*m));
    CHECK(m != NULL);
    cf_metrics_observe_ack(m, -5);
    cf_metrics_observe_ack(m, 5);
    cf_metrics_observe_ack(m, 6);
    cf_metrics_observe_ack(m, 999999999);
    CHECK(m->ack_buckets[0] == 2 && m->ack_buckets[1] == 1);
    CHECK(m->ack_buckets[CF_ACK_BUCKETS] == 1);
    CHECK(m->ack_count == 4 && m->ack_sum_ms == 11 + 999999999ull);
    free(m);
}

static cf_status
parse(const char *http, cf_node_config **out, char *err, size_t errlen)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "[node]\nid = ncert\nfederation = pk\nkeys = keys\nroot = root.cert\n"
             "chain = chain.certs\nstore = store\ncontrol = control.sock\n"
             "[nats]\nurl = nats://127.0.0.1:4222\n%s",
             http);
    err[0] = 0;
    return cf_node_config_parse("/etc/certfed/node.conf", text, strlen(text), out, err, errlen);
}

static void
test_config(void)
{
    cf_node_config *c = NULL;
    char err[512];

    CHECK_ST(parse("", &c, err, sizeof(err)), CF_OK);
    CHECK(c && !c->http_listen && c->http_max_body == CF_DEFAULT_HTTP_MAX_BODY);
    cf_node_config_free(c);
    c = NULL;
    CHECK_ST(parse("[http]\nlisten = 127.0.0.1:8443\ntoken_file = http.token\n"
                   "max_body = 2048\nmetrics_public = true\n",
                   &c, err, sizeof(err)),
             CF_OK);
    CHECK(c && c->http_addr.ss_family == AF_INET && c->http_max_body == 2048 &&
          c->http_metrics_public);
    CHECK(c && strcmp(c->http_token_file, "/etc/certfed/http.token") == 0);
    cf_node_config_free(c);
    c = NULL;
    CHECK_ST(parse("[http]\nlisten = [::1]:0\ntoken_file = /t\n", &c, err, sizeof(err)), CF_OK);
    CHECK(c && c->http_addr.ss_family == AF_INET6);
    cf_node_config_free(c);
    c = NULL;
    /* a bare port listens on the loopback */
    CHECK_ST(parse("[http]\nlisten = 8443\ntoken_file = /t\n", &c, err, sizeof(err)), CF_OK);
    CHECK(c && c->http_addr.ss_family == AF_INET &&
          ((struct sockaddr_in *)&c->http_addr)->sin_addr.s_addr == htonl(0x7f000001));
    cf_node_config_free(c);
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"[http]\nlisten = 127.0.0.1:8443\n", "no token_file"},
        {"[http]\ntoken_file = /t\n", "no listen"},
        {"[http]\nlisten = localhost:8443\ntoken_file = /t\n", "IP address"},
        {"[http]\nlisten = 127.0.0.1:65536\ntoken_file = /t\n", "IP address"},
        {"[http]\nlisten = 127.0.0.1:\ntoken_file = /t\n", "IP address"},
        {"[http]\nlisten = ::1:80\ntoken_file = /t\n", "IP address"},
        {"[http]\nlisten = 127.0.0.1:-1\ntoken_file = /t\n", "IP address"},
        {"[http]\nlisten = 1\nlisten = 2\ntoken_file = /t\n", "given twice"},
        {"[http]\nlisten = 1\ntoken_file = /t\nmax_body = 10\n", "max_body"},
        {"[http]\nlisten = 1\ntoken_file = /t\nmetrics_public = maybe\n", "true or false"},
        {"[http]\nlisten = 1\ntoken_file = /t\nport = 1\n", "unknown key 'port'"},
    };
    for (size_t i = 0; i < CF_ARRAY_LEN(bad); i++) {
        c = NULL;
        CHECK_ST(parse(bad[i].text, &c, err, sizeof(err)), CF_E_CONFIG);
        CHECK(c == NULL);
        CHECK(strstr(err, bad[i].says) != NULL);
        if (!strstr(err, bad[i].says))
            fprintf(stderr, "  %s -> %s\n", bad[i].text, err);
    }
}

static void
test_token(void)
{
    char *dir = h_tmpdir("http");
    char path[512], err[512];
    uint8_t hash[32], want[32];
    const char *token = "0123456789abcdef0123";

    CHECK(dir != NULL);
    if (!dir)
        return;
    snprintf(path, sizeof(path), "%s/token", dir);
    CHECK_ST(cf_http_token_load(path, hash, err, sizeof(err)), CF_E_NOT_FOUND);
    CHECK_ST(cf_file_write(path, "0123456789abcdef0123\n", 21, 0644, false), CF_OK);
    CHECK_ST(cf_http_token_load(path, hash, err, sizeof(err)), CF_E_PERMISSIONS);
    CHECK(strstr(err, "chmod 600") != NULL);
    CHECK(chmod(path, 0600) == 0);
    CHECK_ST(cf_http_token_load(path, hash, err, sizeof(err)), CF_OK);
    crypto_generichash(want, sizeof(want), (const uint8_t *)token, strlen(token), NULL, 0);
    CHECK(memcmp(hash, want, 32) == 0);
    CHECK_ST(cf_file_write(path, "short\n", 6, 0600, false), CF_OK);
    CHECK_ST(cf_http_token_load(path, hash, err, sizeof(err)), CF_E_CONFIG);
    CHECK(strstr(err, "at least 16") != NULL);
    CHECK_ST(cf_file_write(path, "with a space in it, long enough\n", 32, 0600, false), CF_OK);
    CHECK_ST(cf_http_token_load(path, hash, err, sizeof(err)), CF_E_CONFIG);
    h_rmtree(dir);
    free(dir);
}

/* The console's files: which path names which, as what, and nothing else. */
static void
test_web(void)
{
    const cf_web_asset *a = NULL;
    const char *type = NULL;

    CHECK(cf_web_find("/", &a, &type));
    CHECK(a && strcmp(a->name, "index.html") == 0 && a->len > 0 && a->data[a->len] == 0);
    CHECK(type && strcmp(type, "text/html; charset=utf-8") == 0);
    CHECK(a && strstr((const char *)a->data, "/ui/console.js") != NULL);
    CHECK(cf_web_find("/ui/", &a, &type) && strcmp(a->name, "index.html") == 0);
    CHECK(cf_web_find("/ui/console.js", &a, &type));
    CHECK(strcmp(type, "text/javascript; charset=utf-8") == 0);
    CHECK(cf_web_find("/ui/console.css", &a, &type));
    CHECK(strcmp(type, "text/css; charset=utf-8") == 0);
    CHECK(!cf_web_find("/ui/nothing.js", &a, &type));
    CHECK(!cf_web_find("/ui/../http.c", &a, &type));
    CHECK(!cf_web_find("/console.js", &a, &type));
    CHECK(!cf_web_find("/api/status", &a, &type));
    CHECK(!cf_web_find(NULL, &a, &type));
    /* the policy every file is served with */
    CHECK(strncmp(CF_WEB_CSP, "default-src 'self';", 19) == 0);
    CHECK(strstr(CF_WEB_CSP, "unsafe") == NULL);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_routes();
    test_refusals();
    test_events();
    test_event_format();
    test_prometheus();
    test_config();
    test_token();
    test_web();
    return check_done("test_node_http");
}
