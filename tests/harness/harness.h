/*
 * harness.h - what certfed's integration tests share: temporary folders,
 * running a program and capturing its output, and a real nats-server on a
 * free loopback port (chosen by the server itself, so parallel runs never
 * clash). Every wait has a deadline; a test kills exactly what it started.
 */
#ifndef CF_TEST_HARNESS_H
#define CF_TEST_HARNESS_H

#include "common/common.h"

#include <sys/types.h>

/** A new private folder under $TMPDIR (or /tmp); free() the path. NULL on failure. */
char *h_tmpdir(const char *tag);
/** Remove a folder and everything in it. */
void h_rmtree(const char *dir);
/**
 * A new private folder (h_tmpdir(tag)) with the sample federation
 * (federation/topologies/national.ini) bootstrapped by $CERTFED_BIN into
 * its "fed" subfolder; free() the path, h_rmtree it when done. NULL, with a
 * line on stderr, if $CERTFED_BIN or $CERTFED_SOURCE is not set (run the
 * test through ctest) or the bootstrap failed.
 */
char *h_sample_federation(const char *tag);

/* How long h_run waits for a program before it kills it. */
#define H_RUN_TIMEOUT_MS 120000

/**
 * Run a program to completion (argv[0] is looked up in PATH) with stdin from
 * /dev/null; capture stdout and stderr (either out may be NULL; free() them).
 * A program still running after H_RUN_TIMEOUT_MS is killed (SIGKILL).
 * @return its exit status, 128+signal if killed by a signal, or -1 if it
 *         could not run (outs untouched) or did not finish in time (outs
 *         hold what it wrote, and a line on stderr says so)
 */
int h_run(const char *const argv[], char **out_stdout, char **out_stderr);
/** h_run with a deadline of timeout_ms instead of H_RUN_TIMEOUT_MS. */
int h_run_timeout(const char *const argv[], int timeout_ms, char **out_stdout, char **out_stderr);

typedef struct h_nats {
    pid_t pid;
    int port;
    char url[64];
} h_nats;

/**
 * Start nats-server on 127.0.0.1 with a free port, with config (may be NULL),
 * and wait (at most 15 s) until it accepts connections. Its log goes to
 * dir/nats-server.log.
 * @return CF_OK, CF_E_IO (it did not start or did not answer in time)
 */
cf_status h_nats_start(const char *config, const char *dir, h_nats *out);
/** Stop a server started by h_nats_start and wait for it. */
void h_nats_stop(h_nats *n);

/** Milliseconds on a monotonic clock, for deadlines. */
int64_t h_now_ms(void);

#endif
