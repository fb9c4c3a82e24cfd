/*
 * fuzz_control.c - libFuzzer target for the control socket: each input is
 * what a local client sent before closing its side, taken through the
 * daemon's own path (cf_control_answer: the line framing, the JSON parse,
 * cf_node_handle's dispatch and argument checks, and the command itself,
 * writes included) by a real node. The node is made once, in
 * LLVMFuzzerInitialize: a federation from `certfed bootstrap` in a
 * temporary folder, its Council node started on that store with an
 * unreachable NATS server (so it works locally, as it must be able to),
 * done waiting for its peers (a directive.wait the socket would hold is
 * answered as at its timeout). The answer must be a well-formed one, and no
 * request may leave the node's own stream half-moved.
 */
#include "harness/harness.h"
#include "node/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the build put the CLI and the topology; the environment may say
 * otherwise (CERTFED_BIN, CERTFED_SOURCE), as for the integration tests. */
#ifndef FUZZ_CERTFED_BIN
#error "the build defines FUZZ_CERTFED_BIN"
#endif
#ifndef FUZZ_SOURCE_DIR
#error "the build defines FUZZ_SOURCE_DIR"
#endif

/* Bounds that keep the store small however many writes a run makes: past
 * them writes are refused as full, through the same checks. */
#define FUZZ_LIMITS "outbox_max = 2000\nstore_mib = 64\n"

static uv_loop_t loop;
static cf_node *node;
static char *dir;

static void
remove_dir(void)
{
    h_rmtree(dir);
}

/* A private folder for the federation: on tmpfs when there is one and
 * TMPDIR does not say otherwise, as LMDB syncs every commit. */
static char *
make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *p;

    if ((!base || !base[0]) && access("/dev/shm", W_OK | X_OK) == 0)
        base = "/dev/shm";
    if (!base || !base[0])
        base = "/tmp";
    p = malloc(strlen(base) + 32);
    if (!p)
        return NULL;
    sprintf(p, "%s/certfed-fuzz-XXXXXX", base);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static void
discard(cf_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)line;
    (void)ctx;
}

static int
setup_failed(const char *what)
{
    fprintf(stderr, "fuzz_control: %s\n", what);
    abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *certfed = getenv("CERTFED_BIN"), *src = getenv("CERTFED_SOURCE");
    char topo[4096], fed[4096], conf[4200], err[1024] = "";
    char *out = NULL, *errout = NULL;
    FILE *f;

    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        return setup_failed("libsodium failed to initialise");
    cf_log_set_sink(discard, NULL); /* refusals are the point: no log lines */
    if (!certfed || !certfed[0])
        certfed = FUZZ_CERTFED_BIN;
    if (!src || !src[0])
        src = FUZZ_SOURCE_DIR;
    dir = make_dir();
    if (!dir)
        return setup_failed("cannot make a temporary folder");
    atexit(remove_dir);
    snprintf(topo, sizeof(topo), "%s/federation/topologies/national.ini", src);
    snprintf(fed, sizeof(fed), "%s/fed", dir);
    snprintf(conf, sizeof(conf), "%s/nodes/council/node.conf", fed);
    const char *boot[] = {certfed, "bootstrap", topo, fed, NULL};
    if (h_run(boot, &out, &errout) != 0) {
        fprintf(stderr, "%s%s", out ? out : "", errout ? errout : "");
        return setup_failed("certfed bootstrap failed");
    }
    free(out);
    free(errout);
    /* [limits] is the file's last section */
    f = fopen(conf, "a");
    if (!f || fputs(FUZZ_LIMITS, f) < 0 || fclose(f) != 0)
        return setup_failed("cannot extend the node's config");
    if (uv_loop_init(&loop) != 0)
        return setup_failed("cannot make a loop");
    cf_node_options o = {conf, "nats://127.0.0.1:1", true};
    if (cf_node_start(&loop, &o, &node, err, sizeof(err)) != CF_OK) {
        fprintf(stderr, "%s\n", err);
        return setup_failed("the node did not start");
    }
    /* it has no peers to wait for: writes are answered at once */
    cf_node_learning_done(node, "fuzzing");
    return 0;
}

/* An answer as the client reads it: {"ok": true, "result": ...} or
 * {"ok": false, "error": "...", "reason": "<status name>"}. */
static void
check_answer(const cJSON *a)
{
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(a, "ok");

    if (!cJSON_IsObject(a) || !cJSON_IsBool(ok))
        abort();
    if (cJSON_IsTrue(ok)) {
        if (!cJSON_GetObjectItemCaseSensitive(a, "result"))
            abort();
        return;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "error");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(a, "reason");
    if (!cJSON_IsString(e) || !e->valuestring[0] || !cJSON_IsString(r))
        abort();
    bool known = false;
    for (int st = 0; st < CF_STATUS_COUNT; st++)
        known |= strcmp(r->valuestring, cf_status_str((cf_status)st)) == 0;
    if (!known)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *held = NULL;
    cJSON *a = cf_control_answer(node, data, size, true, &held);
    char *text;

    /* once the node has started, only a directive.wait is held (until its
     * directive is complete): answer it as its timeout would */
    if (held && cf_node_hold_ms(held) <= 0)
        abort();
    if (held) {
        a = cf_node_handle(node, held);
        cJSON_Delete(held);
    }
    if (!a)
        abort();
    check_answer(a);
    text = cJSON_PrintUnformatted(a); /* as it is sent */
    if (!text)
        abort();
    free(text);
    cJSON_Delete(a);
    /* every write transaction ended, committed or not */
    if (node->pending_seq != node->seq || memcmp(node->pending_head, node->head, CF_ID_LEN) != 0)
        abort();
    return 0;
}
