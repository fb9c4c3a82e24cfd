/*
 * config.h - the node configuration file (INI) and the identity, keys and
 * trust store it points to. Used by certfedd at start and by the CLI.
 * Paths in the file are relative to the file's own directory, so a node's
 * folder can be moved as a whole. Loading happens before any thread starts.
 */
#ifndef CF_NODE_CONFIG_H
#define CF_NODE_CONFIG_H

#include "federation/federation.h"

#include <sys/socket.h>
#include <sys/types.h>

/* The store's size limit unless [limits] store_mib says otherwise. A full
 * store refuses new work and keeps everything it has; restart the node with
 * a larger store_mib to go on. */
#define CF_DEFAULT_STORE_MIB 4096
/* The most messages the outbox holds waiting for receipts; past it new
 * local work is refused (an alarm in the log and in status). */
#define CF_DEFAULT_OUTBOX_MAX 100000
/* [delivery]: an unacknowledged message is sent again after about
 * resend_first_ms, doubling (with jitter) up to resend_max_ms; catch-up is
 * asked of the parent and children every catchup_interval_ms. */
#define CF_DEFAULT_RESEND_FIRST_MS 1000
#define CF_DEFAULT_RESEND_MAX_MS 60000
#define CF_DEFAULT_CATCHUP_INTERVAL_MS 30000
/* [delivery] resend_window: the most envelopes resent from the outbox that
 * no receipt has come for yet; more go as receipts come back, so a backlog
 * flows at the pace the recipients take it rather than in one burst that
 * buries everything else they are sent (node.c, flush_outbox). It is the
 * most: a node works with a window that halves when nothing comes back
 * and grows with the receipts (shrink_window). */
#define CF_DEFAULT_RESEND_WINDOW 5000
/* [limits]: each origin may have this many messages a second taken from the
 * bus, in bursts of up to sender_burst; past it its messages are refused as
 * throttled, unacknowledged, so that it sends them again later. */
#define CF_DEFAULT_SENDER_RATE 2000
#define CF_DEFAULT_SENDER_BURST 20000
/* [limits] receive_queue: messages read from NATS that wait for the node's
 * loop; past it nats.c holds up to nats_pending more, and past that it
 * drops them (counted and logged; their senders send again what has no
 * receipt). */
#define CF_DEFAULT_RECEIVE_QUEUE 200000
#define CF_DEFAULT_NATS_PENDING 100000
/* [http]: the largest request body the HTTP API reads unless max_body says
 * otherwise (the control socket's cap too). */
#define CF_DEFAULT_HTTP_MAX_BODY (1024 * 1024)

typedef struct cf_node_config {
    char *path;                  /* the config file */
    char *id;                    /* [node] id */
    char *federation;            /* [node] federation */
    char *keys_dir;              /* [node] keys: holds identity.key, transport.nk */
    char *passphrase_file;       /* [node] passphrase_file: NULL if the key is not sealed */
    char *root;                  /* [node] root: the Council root certificate */
    char *chain;                 /* [node] chain: this node's certificate chain */
    char *certs;                 /* [node] certs: the federation's certificates */
    char *store;                 /* [node] store: the LMDB directory */
    char *control;               /* [node] control: the control socket */
    char *control_group;         /* [node] control_group: NULL, or the group (a name on this
                                  * system) whose members may use the socket too (0660) */
    gid_t control_gid;           /* that group's id, looked up when the file is parsed */
    char *nats_url;              /* [nats] url */
    size_t max_envelope;         /* [limits] max_envelope */
    size_t store_bytes;          /* [limits] store_mib: the most the LMDB store may grow to */
    size_t outbox_max;           /* [limits] outbox_max: messages waiting for receipts */
    int64_t resend_first_ms;     /* [delivery] resend_first_ms */
    int64_t resend_max_ms;       /* [delivery] resend_max_ms */
    int64_t catchup_interval_ms; /* [delivery] catchup_interval_ms */
    size_t resend_window;        /* [delivery] resend_window: envelopes a resend pass sends */
    size_t sender_rate;          /* [limits] sender_rate: messages per second per origin */
    size_t sender_burst;         /* [limits] sender_burst: what an origin may send at once */
    size_t receive_queue;        /* [limits] receive_queue: read messages waiting for the loop */
    size_t nats_pending;         /* [limits] nats_pending: more held by nats.c, then dropped */
    size_t verify_pool;    /* [limits] verify_pool: 1 = signatures are checked on the libuv thread
                            * pool while the loop commits (default where more than one core is
                            * available), 0 = on the loop thread */
    size_t verify_threads; /* [limits] verify_threads: threads of the libuv pool checking
                            * them (with verify_pool; the process's pool, set at the
                            * node's start); 0 = libuv's own (4, or UV_THREADPOOL_SIZE) */
    /* [http]: the HTTP API (node/http.h), off unless listen is given */
    char *http_listen;                 /* [http] listen: "HOST:PORT" as written, or NULL */
    struct sockaddr_storage http_addr; /* that address (IPv4 or IPv6 literal); port 0: any free */
    socklen_t http_addr_len;
    char *http_token_file;    /* [http] token_file: the bearer token, a private (0600) file */
    size_t http_max_body;     /* [http] max_body: bytes of a request body */
    bool http_metrics_public; /* [http] metrics_public: /metrics without the token */
} cf_node_config;

/* The largest node configuration file cf_node_config_load() reads. */
#define CF_NODE_CONFIG_MAX (1024 * 1024)

/**
 * Load and check a node configuration: read the file (at most
 * CF_NODE_CONFIG_MAX bytes) and parse it with cf_node_config_parse().
 * @param err  on failure a message naming the file and the problem
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_IO, CF_E_OVERSIZE, CF_E_CONFIG,
 *         CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_node_config_load(const char *path, cf_node_config **out, char *err,
                                            size_t errlen);
/**
 * Parse and check the text of a node configuration, as read from path.
 * @param path  the file it came from (borrowed): named in messages, copied
 *              into the config, and relative paths in text are resolved
 *              against its directory; the file itself is not opened
 * @param text  len bytes (borrowed), need not end in a NUL; parsing stops
 *              at the first NUL, as for a file
 * @param out   on CF_OK a new config, freed with cf_node_config_free();
 *              untouched otherwise
 * @param err   on failure a message naming the file and the problem
 *              ("node.conf: missing [nats] url"); a control_group that
 *              is not a group on this system is one
 * @return CF_OK, CF_E_CONFIG, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_node_config_parse(const char *path, const char *text, size_t len,
                                             cf_node_config **out, char *err, size_t errlen);
void cf_node_config_free(cf_node_config *c);

/* What a node proves itself with, and what it trusts. */
typedef struct cf_node_keys {
    cf_identity *identity;
    cf_nkey *transport;
    cf_trust *trust;
    const cf_cert *self;       /* this node's certificate, inside trust */
    size_t rejected_certs;     /* certificates of [node] certs left out */
    cf_status first_rejection; /* and why the first of them was */
} cf_node_keys;

/**
 * Load the identity and transport keys, the root, the node's chain and the
 * federation's certificates, and check that they fit together: the chain
 * validates to the root at now, and the certificate names this node, this
 * federation, and the keys on disk.
 * @return CF_OK, or the status of the first thing that failed, with err
 *         naming the file and the reason
 */
CF_MUST_CHECK cf_status cf_node_keys_load(const cf_node_config *cfg, int64_t now_ms,
                                          cf_node_keys **out, char *err, size_t errlen);
void cf_node_keys_free(cf_node_keys *k);

/**
 * Read a passphrase file: its first line. The file must be private (as for
 * key files). A NULL path gives *out = NULL and CF_OK.
 * @param out  on CF_OK the passphrase (NULL if path is NULL), wiped and freed
 *             with cf_passphrase_free(); untouched otherwise
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_PERMISSIONS, CF_E_IO, CF_E_OVERSIZE,
 *         CF_E_NOMEM, CF_E_PASSPHRASE (the first line is empty: an empty
 *         passphrase would leave a key unsealed)
 */
CF_MUST_CHECK cf_status cf_passphrase_read(const char *path, char **out);
void cf_passphrase_free(char *p);

/** A hint for an operator after a key file failed to load with st. */
const char *cf_key_error_hint(cf_status st);
/**
 * A hint for an operator after cf_passphrase_read() failed with st ("it is
 * empty", "no such file", ...). Call it before anything else can change errno.
 */
const char *cf_passphrase_error_hint(cf_status st);

#endif
