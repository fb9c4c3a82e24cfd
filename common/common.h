/*
 * common.h - the small vocabulary every certfed module shares: status codes,
 * the logging facade, the clock, byte buffers, base64 and careful file I/O.
 * Uses libc and libsodium only. Everything here may be called from any thread
 * except where a comment says otherwise (the log sink is set once at start).
 */
#ifndef CF_COMMON_H
#define CF_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_MUST_CHECK __attribute__((warn_unused_result))
#define CF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Status codes. Rejections of untrusted input have their own reasons so that
 * callers can count and log them; keep cf_status_str() and CF_STATUS_COUNT in
 * step with this list.
 */
typedef enum cf_status {
    CF_OK = 0,
    /* programming and environment errors */
    CF_E_INVALID_ARG, /* a caller passed something unusable */
    CF_E_NOMEM,       /* allocation failed */
    CF_E_IO,          /* a system call failed (see errno in the log) */
    CF_E_NOT_FOUND,   /* a file, key or record is absent */
    CF_E_EXISTS,      /* refusing to overwrite something that exists */
    CF_E_PERMISSIONS, /* a secret file is readable by others */
    CF_E_CONFIG,      /* a config or topology file is wrong */
    CF_E_PASSPHRASE,  /* a sealed key needs a passphrase, or it is wrong */
    CF_E_CRYPTO,      /* libsodium refused an operation */
    /* rejections of untrusted input */
    CF_E_OVERSIZE,         /* larger than the configured limit */
    CF_E_MALFORMED,        /* does not decode, or violates the schema's rules */
    CF_E_UNSIGNED,         /* no signer or no signature */
    CF_E_BAD_SIGNATURE,    /* signature does not verify */
    CF_E_UNKNOWN_SIGNER,   /* the signer has no certificate we know */
    CF_E_WRONG_TYPE,       /* not the type expected, or an unknown type */
    CF_E_WRONG_FEDERATION, /* the header names another federation */
    CF_E_EXPIRED,          /* past its expiry, or a certificate past not_after */
    CF_E_NOT_YET_VALID,    /* before a certificate's not_before */
    CF_E_REVOKED,          /* a key in the chain is revoked */
    CF_E_BAD_CHAIN,        /* the chain does not lead to the trusted root */
    CF_E_UNAUTHORIZED,     /* the signer's role may not do this */
    CF_E_DUPLICATE,        /* already received: has no second effect */
    CF_E_FORK,             /* a second, different envelope for one (origin, seq) */
    CF_E_UNSUPPORTED,      /* a valid message this node cannot handle yet */
    CF_E_FULL,             /* the store or the outbox is full */
    CF_E_UNREACHABLE,      /* the NATS server does not answer */
    CF_E_LIMIT,            /* too many repeated fields, too long a string */
    CF_E_THROTTLED,        /* its sender is over its rate: not taken now, sent again later */
} cf_status;

#define CF_STATUS_COUNT (CF_E_THROTTLED + 1)

/** A short, stable, lower-case name for a status ("bad-signature"). */
const char *cf_status_str(cf_status st);

/* ---- logging facade ---------------------------------------------------- */

typedef enum cf_log_level {
    CF_LOG_DEBUG,
    CF_LOG_INFO,
    CF_LOG_WARN,
    CF_LOG_ERROR,
} cf_log_level;

typedef void (*cf_log_sink)(cf_log_level level, const char *line, void *ctx);

/** Set where log lines go (default: stderr, level INFO). Call once at start. */
void cf_log_set_sink(cf_log_sink sink, void *ctx);
void cf_log_set_level(cf_log_level min_level);
/** Log one line. Library code does not log; programs do. */
void cf_log(cf_log_level level, const char *fmt, ...) CF_PRINTF(2, 3);

/* ---- clock ------------------------------------------------------------- */

/** Wall-clock time in milliseconds since the Unix epoch; never less than
 * any time returned before or the floor (a wall clock set back stands still
 * until it catches up). Thread-safe. */
int64_t cf_clock_now_ms(void);
/** Never return less than ms from now on (e.g. the last time the store saw). */
void cf_clock_raise_floor(int64_t ms);
/** How often the wall clock was found behind the floor (for status). */
uint64_t cf_clock_behind_count(void);

/* ---- byte buffers -------------------------------------------------------- */

/** A growable byte buffer. Embedded: cf_buf_init / cf_buf_clear. */
typedef struct cf_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} cf_buf;

void cf_buf_init(cf_buf *b);
/** Free the memory; the buffer is empty and reusable afterwards. */
void cf_buf_clear(cf_buf *b);
CF_MUST_CHECK cf_status cf_buf_reserve(cf_buf *b, size_t extra);
CF_MUST_CHECK cf_status cf_buf_append(cf_buf *b, const void *p, size_t n);
CF_MUST_CHECK cf_status cf_buf_append_str(cf_buf *b, const char *s);
CF_MUST_CHECK cf_status cf_buf_printf(cf_buf *b, const char *fmt, ...) CF_PRINTF(2, 3);
/** Hand the bytes to the caller (free() them); the buffer becomes empty. */
uint8_t *cf_buf_steal(cf_buf *b, size_t *out_len);

/* ---- encodings ------------------------------------------------------------ */

/** Standard base64 with padding. *out is malloc'ed and NUL-terminated. */
CF_MUST_CHECK cf_status cf_base64_encode(const uint8_t *bin, size_t len, char **out);
/**
 * Decode standard base64 (whitespace ignored) into at most max bytes.
 * @return CF_OK, CF_E_MALFORMED, CF_E_OVERSIZE
 */
CF_MUST_CHECK cf_status cf_base64_decode(const char *text, size_t text_len, uint8_t *out,
                                         size_t max, size_t *out_len);
/** Lower-case hex of len bytes into out (2*len+1 bytes). */
void cf_hex_encode(const uint8_t *bin, size_t len, char *out);
/** Decode exactly len bytes of hex. @return CF_OK or CF_E_MALFORMED */
CF_MUST_CHECK cf_status cf_hex_decode(const char *hex, uint8_t *out, size_t len);

/* ---- files ---------------------------------------------------------------- */

/**
 * Read a whole regular file, refusing files larger than max bytes (and,
 * without blocking, anything that is not a regular file: CF_E_IO with errno
 * EISDIR or EINVAL). The result is NUL-terminated (not counted in *out_len)
 * and freed with free().
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_IO, CF_E_OVERSIZE, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len);
/**
 * Write a file atomically (a new temporary file with a random name, never
 * following a symlink; fsync; rename) with the given mode. With exclusive, an
 * existing file is never replaced (CF_E_EXISTS).
 * @return CF_OK, CF_E_EXISTS, CF_E_IO (errno says why), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_file_write(const char *path, const void *data, size_t len, unsigned mode,
                                      bool exclusive);
/**
 * Check that a secret file is owned by us and not accessible by group or
 * others, as ssh does for private keys.
 * @return CF_OK, CF_E_NOT_FOUND, CF_E_PERMISSIONS, CF_E_IO
 */
CF_MUST_CHECK cf_status cf_file_check_private(const char *path);
/** mkdir -p with the given mode for created directories.
 * @return CF_OK, CF_E_INVALID_ARG (empty path), CF_E_IO (errno; ENOTDIR when
 *         a part of the path is not a directory), CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_dir_make(const char *path, unsigned mode);
/** Join dir and name into a malloc'ed path; NULL on allocation failure. */
char *cf_path_join(const char *dir, const char *name);

/* ---- small string helpers ---------------------------------------------- */

/** strdup that returns NULL for NULL. */
char *cf_strdup(const char *s);
/* The longest node id. */
#define CF_NODE_ID_MAX 32
/** True if s is a valid node id: [a-z0-9-]{1,CF_NODE_ID_MAX}. */
bool cf_id_valid(const char *s);

#endif
