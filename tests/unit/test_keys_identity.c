/*
 * test_keys_identity.c - key files (keys/identity.c, keys/nkey.c,
 * keys/keyfile.c): identity save/load, file modes and refusals, passphrase
 * sealing, NATS nkeys against published test vectors, public key files.
 */
#include "check.h"
#include "harness/harness.h"
#include "keys/keys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASS "correct horse"

/*
 * Published NATS user nkeys: seed, public key, and for the first one the
 * signature of a nonce (nats.py and nkeys.rb tests; the second pair is the
 * example of the NATS server documentation's nkey page).
 */
#define VEC1_SEED "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
#define VEC1_PUBLIC "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L"
#define VEC1_NONCE "PXoWU7zWAMt75FY"
#define VEC1_SIG                                                                                   \
    "ZaAiVDgB5CeYoXoQ7cBCmq+ZllzUnGUoDVb8C7PilWvCs8XKfUchAUhz2P4BYAF++Dg3w05CqyQFRDiGL6LrDw=="
#define VEC2_SEED "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"
#define VEC2_PUBLIC "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
/* Valid seeds of other key types (nats.go tests): an account and an operator. */
#define ACCOUNT_SEED "SAAASUPRY3ONU4GJR7J5RUVYRUFZXG56F4WEXELLLORQ65AEPSMIFTOJGE"
#define OPERATOR_SEED "SOAL7GTNI66CTVVNXBNQMG6V2HTDRWC3HGEP7D2OUTWNWSNYZDXWFOX4SU"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* ---- helpers -------------------------------------------------------------- */

static char *
make_tmpdir(void)
{
    return h_tmpdir("keys-identity");
}

/* Remove a flat temporary directory and everything in it. */
static void
remove_tmpdir(char *dir)
{
    h_rmtree(dir);
    free(dir);
}

static size_t
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

/* A path in dir; the tests own the returned string. */
static char *
path_in(const char *dir, const char *name)
{
    return cf_path_join(dir, name);
}

/* Create a new file with exactly this mode and content. */
static bool
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    bool ok;

    if (fd < 0)
        return false;
    ok = fchmod(fd, mode) == 0 && write(fd, data, len) == (ssize_t)len;
    return close(fd) == 0 && ok;
}

static bool
write_str(const char *path, const char *text, mode_t mode)
{
    return write_file(path, text, strlen(text), mode);
}

/* The whole file, NUL-terminated, or NULL. */
static char *
read_text(const char *path, size_t *out_len)
{
    uint8_t *data = NULL;
    size_t len = 0;

    if (cf_file_read(path, 1 << 20, &data, &len) != CF_OK)
        return NULL;
    if (out_len)
        *out_len = len;
    return (char *)data;
}

static unsigned
file_mode(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0xffffu;
    return (unsigned)(sb.st_mode & 07777);
}

static bool
same_identity(const cf_identity *a, const cf_identity *b)
{
    return a && b && memcmp(a->sign_pk, b->sign_pk, CF_PK_LEN) == 0 &&
           memcmp(a->sign_sk, b->sign_sk, CF_SK_LEN) == 0 &&
           memcmp(a->box_pk, b->box_pk, CF_PK_LEN) == 0 && memcmp(a->box_sk, b->box_sk, 32) == 0;
}

/* Standard base64 (what the key file uses) of n bytes, into out. */
static void
b64(const uint8_t *bin, size_t n, char *out, size_t out_len)
{
    sodium_bin2base64(out, out_len, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

/* Replace the value of "name = value" in a key file's text. */
static char *
replace_value(const char *text, const char *name, const char *value)
{
    char key[64];
    const char *p, *eol;
    char *out;
    size_t n;

    snprintf(key, sizeof(key), "\n%s = ", name);
    p = strstr(text, key);
    if (!p)
        return NULL;
    p += strlen(key);
    eol = strchr(p, '\n');
    if (!eol)
        eol = p + strlen(p);
    n = (size_t)(p - text) + strlen(value) + strlen(eol) + 1;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s%s%s", (int)(p - text), text, value, eol);
    return out;
}

/* ---- identities ----------------------------------------------------------- */

static void
test_identity_roundtrip(const char *dir)
{
    char *path = path_in(dir, "plain.key");
    char *path_empty = path_in(dir, "empty-pass.key");
    char *path_umask = path_in(dir, "umask.key");
    cf_identity *a = NULL, *b = NULL, *loaded = NULL;
    char *before = NULL, *after = NULL, *text = NULL;
    size_t before_len = 0, after_len = 0, entries;
    char seed_b64[64], x_b64[64];
    mode_t old_umask;

    if (!path || !path_empty || !path_umask)
        goto out;
    CHECK_ST(cf_identity_generate(&a), CF_OK);
    CHECK_ST(cf_identity_generate(&b), CF_OK);
    if (!a || !b)
        goto out;
    /* the public halves belong to the secret halves */
    CHECK(memcmp(a->sign_sk + 32, a->sign_pk, CF_PK_LEN) == 0);
    CHECK(memcmp(a->sign_pk, b->sign_pk, CF_PK_LEN) != 0);

    CHECK_ST(cf_identity_save(a, path, NULL), CF_OK);
    CHECK(file_mode(path) == 0600);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_OK);
    CHECK(same_identity(a, loaded));
    cf_identity_free(loaded);
    loaded = NULL;

    /* an unsealed file holds the seed and secret in base64: the sealed test
     * below relies on this encoding to show they are absent there */
    text = read_text(path, NULL);
    b64(a->sign_sk, 32, seed_b64, sizeof(seed_b64));
    b64(a->box_sk, 32, x_b64, sizeof(x_b64));
    CHECK(text && strstr(text, seed_b64) != NULL);
    CHECK(text && strstr(text, x_b64) != NULL);
    CHECK(text && strstr(text, "sealing") == NULL);
    free(text);
    text = NULL;

    /* "" is the same as no passphrase */
    CHECK_ST(cf_identity_save(a, path_empty, ""), CF_OK);
    CHECK_ST(cf_identity_load(path_empty, NULL, &loaded), CF_OK);
    CHECK(same_identity(a, loaded));
    cf_identity_free(loaded);
    loaded = NULL;

    /* the mode does not depend on the umask */
    old_umask = umask(0);
    CHECK_ST(cf_identity_save(a, path_umask, NULL), CF_OK);
    umask(old_umask);
    CHECK(file_mode(path_umask) == 0600);

    /* never replace an existing key file, and leave nothing behind */
    before = read_text(path, &before_len);
    entries = count_entries(dir);
    CHECK_ST(cf_identity_save(b, path, NULL), CF_E_EXISTS);
    after = read_text(path, &after_len);
    CHECK(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
    CHECK(count_entries(dir) == entries);
    CHECK(file_mode(path) == 0600);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_OK);
    CHECK(same_identity(a, loaded));
    CHECK(!same_identity(b, loaded));
out:
    cf_identity_free(loaded);
    cf_identity_free(a);
    cf_identity_free(b);
    free(before);
    free(after);
    free(path);
    free(path_empty);
    free(path_umask);
}

static void
test_identity_refusals(const char *dir)
{
    char *path = path_in(dir, "perm.key");
    char *missing = path_in(dir, "missing.key");
    char *garbage = path_in(dir, "garbage.key");
    char *binary = path_in(dir, "binary.key");
    char *empty = path_in(dir, "empty.key");
    char *short_seed = path_in(dir, "short.key");
    char *version = path_in(dir, "version.key");
    char *big = path_in(dir, "big.key");
    cf_identity *id = NULL, *loaded = NULL;
    char *text = NULL, *edited = NULL;

    if (!path || !missing || !garbage || !binary || !empty || !short_seed || !version || !big)
        goto out;
    CHECK_ST(cf_identity_generate(&id), CF_OK);
    if (!id)
        goto out;
    CHECK_ST(cf_identity_save(id, path, NULL), CF_OK);

    /* readable by the group, or by others: refused */
    CHECK(chmod(path, 0640) == 0);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_E_PERMISSIONS);
    CHECK(loaded == NULL);
    CHECK(chmod(path, 0604) == 0);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_E_PERMISSIONS);
    CHECK(chmod(path, 0620) == 0);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_E_PERMISSIONS);
    CHECK(chmod(path, 0601) == 0);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_E_PERMISSIONS);
    CHECK(loaded == NULL);
    CHECK(chmod(path, 0400) == 0);
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_OK);
    CHECK(same_identity(id, loaded));
    cf_identity_free(loaded);
    loaded = NULL;

    CHECK_ST(cf_identity_load(missing, NULL, &loaded), CF_E_NOT_FOUND);
    CHECK(loaded == NULL);

    CHECK(write_str(garbage, "this is not a key file\n", 0600));
    CHECK_ST(cf_identity_load(garbage, NULL, &loaded), CF_E_MALFORMED);
    {
        uint8_t junk[300];
        randombytes_buf(junk, sizeof(junk));
        CHECK(write_file(binary, junk, sizeof(junk), 0600));
        CHECK_ST(cf_identity_load(binary, NULL, &loaded), CF_E_MALFORMED);
    }
    CHECK(write_str(empty, "", 0600));
    CHECK_ST(cf_identity_load(empty, NULL, &loaded), CF_E_MALFORMED);
    CHECK(loaded == NULL);

    /* a real file with one field damaged */
    text = read_text(path, NULL);
    if (text) {
        edited = replace_value(text, "ed25519-seed", "AAAAAAAAAAAAAAAAAAAAAA==");
        CHECK(edited != NULL);
        if (edited)
            CHECK(write_str(short_seed, edited, 0600));
        CHECK_ST(cf_identity_load(short_seed, NULL, &loaded), CF_E_MALFORMED);
        free(edited);
        edited = replace_value(text, "format", "certfed-identity-v2");
        CHECK(edited != NULL);
        if (edited)
            CHECK(write_str(version, edited, 0600));
        CHECK_ST(cf_identity_load(version, NULL, &loaded), CF_E_MALFORMED);
        free(edited);
        edited = NULL;
    }
    /* far larger than any key file */
    {
        size_t n = 64 * 1024;
        char *huge = malloc(n);
        if (huge) {
            memset(huge, '#', n);
            CHECK(write_file(big, huge, n, 0600));
            CHECK_ST(cf_identity_load(big, NULL, &loaded), CF_E_MALFORMED);
            free(huge);
        }
    }
    CHECK(loaded == NULL);
out:
    cf_identity_free(id);
    cf_identity_free(loaded);
    free(text);
    free(path);
    free(missing);
    free(garbage);
    free(binary);
    free(empty);
    free(short_seed);
    free(version);
    free(big);
}

/*
 * Each sealed load with a passphrase costs one crypto_pwhash (~64 MiB, a
 * fraction of a second): this test makes four such calls in all.
 */
static void
test_identity_sealed(const char *dir)
{
    char *path = path_in(dir, "sealed.key");
    char *hostile = path_in(dir, "hostile.key");
    char *hostile2 = path_in(dir, "hostile2.key");
    char *tampered = path_in(dir, "tampered.key");
    cf_identity *id = NULL, *loaded = NULL;
    char *text = NULL, *edited = NULL;
    char seed_b64[64], x_b64[64];

    if (!path || !hostile || !hostile2 || !tampered)
        goto out;
    CHECK_ST(cf_identity_generate(&id), CF_OK);
    if (!id)
        goto out;
    CHECK_ST(cf_identity_save(id, path, PASS), CF_OK); /* pwhash 1 */
    CHECK(file_mode(path) == 0600);
    text = read_text(path, NULL);
    CHECK(text != NULL);
    if (!text)
        goto out;
    b64(id->sign_sk, 32, seed_b64, sizeof(seed_b64));
    b64(id->box_sk, 32, x_b64, sizeof(x_b64));
    CHECK(strstr(text, seed_b64) == NULL);
    CHECK(strstr(text, x_b64) == NULL);
    CHECK(strstr(text, "ed25519-seed") == NULL);
    CHECK(strstr(text, "sealing = argon2id13-secretbox") != NULL);

    /* no passphrase, an empty one, a wrong one */
    CHECK_ST(cf_identity_load(path, NULL, &loaded), CF_E_PASSPHRASE);
    CHECK_ST(cf_identity_load(path, "", &loaded), CF_E_PASSPHRASE);
    CHECK(loaded == NULL);
    CHECK_ST(cf_identity_load(path, "wrong horse", &loaded), CF_E_PASSPHRASE); /* pwhash 2 */
    CHECK(loaded == NULL);
    /* the right one */
    CHECK_ST(cf_identity_load(path, PASS, &loaded), CF_OK); /* pwhash 3 */
    CHECK(same_identity(id, loaded));
    cf_identity_free(loaded);
    loaded = NULL;

    /* a hostile file must not make the loader burn unbounded memory or time:
     * refused before any key derivation */
    edited = replace_value(text, "memlimit", "1125899906842624");
    CHECK(edited && write_str(hostile, edited, 0600));
    CHECK_ST(cf_identity_load(hostile, PASS, &loaded), CF_E_MALFORMED);
    free(edited);
    edited = replace_value(text, "opslimit", "4294967295");
    CHECK(edited && write_str(hostile2, edited, 0600));
    CHECK_ST(cf_identity_load(hostile2, PASS, &loaded), CF_E_MALFORMED);
    free(edited);
    edited = NULL;

    /* a damaged box does not open, even with the right passphrase */
    {
        char *sealed = strstr(text, "\nsealed = ");
        CHECK(sealed != NULL);
        if (sealed) {
            char *c = sealed + strlen("\nsealed = ") + 5;
            *c = *c == 'A' ? 'B' : 'A';
            CHECK(write_str(tampered, text, 0600));
            CHECK_ST(cf_identity_load(tampered, PASS, &loaded), CF_E_PASSPHRASE); /* pwhash 4 */
        }
    }
    CHECK(loaded == NULL);
out:
    cf_identity_free(id);
    cf_identity_free(loaded);
    free(text);
    free(edited);
    free(path);
    free(hostile);
    free(hostile2);
    free(tampered);
}

/* ---- NATS nkeys ----------------------------------------------------------- */

static bool
all_base32(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(b32_alphabet, s[i]))
            return false;
    return true;
}

static void
test_nkey_roundtrip(const char *dir)
{
    char *path = path_in(dir, "nats.nk");
    char *perm = path_in(dir, "perm.nk");
    cf_nkey *k = NULL, *k2 = NULL, *loaded = NULL;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    uint8_t back[CF_PK_LEN];
    char *text = NULL;
    size_t len = 0;

    if (!path || !perm)
        goto out;
    CHECK_ST(cf_nkey_generate(&k), CF_OK);
    CHECK_ST(cf_nkey_generate(&k2), CF_OK);
    if (!k || !k2)
        goto out;
    CHECK(memcmp(k->sk + 32, k->pk, CF_PK_LEN) == 0);
    CHECK_ST(cf_nkey_save(k, path), CF_OK);
    CHECK(file_mode(path) == 0600);
    text = read_text(path, &len);
    CHECK(text != NULL);
    if (text) {
        /* one line: "SU" and 56 more base32 characters */
        CHECK(len == CF_NKEY_SEED_LEN + 1);
        CHECK(strlen(text) == len);
        CHECK(strchr(text, '\n') == text + CF_NKEY_SEED_LEN);
        CHECK(strncmp(text, "SU", 2) == 0);
        CHECK(all_base32(text, CF_NKEY_SEED_LEN));
    }
    CHECK_ST(cf_nkey_load(path, &loaded), CF_OK);
    CHECK(loaded && memcmp(loaded->pk, k->pk, CF_PK_LEN) == 0 &&
          memcmp(loaded->sk, k->sk, CF_SK_LEN) == 0);
    /* never replaced */
    CHECK_ST(cf_nkey_save(k2, path), CF_E_EXISTS);
    cf_nkey_free(loaded);
    loaded = NULL;
    CHECK_ST(cf_nkey_load(path, &loaded), CF_OK);
    CHECK(loaded && memcmp(loaded->pk, k->pk, CF_PK_LEN) == 0);
    cf_nkey_free(loaded);
    loaded = NULL;

    /* a seed file that others may read is refused */
    CHECK_ST(cf_nkey_save(k, perm), CF_OK);
    CHECK(chmod(perm, 0640) == 0);
    CHECK_ST(cf_nkey_load(perm, &loaded), CF_E_PERMISSIONS);
    CHECK(chmod(perm, 0604) == 0);
    CHECK_ST(cf_nkey_load(perm, &loaded), CF_E_PERMISSIONS);
    CHECK(loaded == NULL);

    /* the public form */
    cf_nkey_public_encode(k->pk, pub);
    CHECK(strlen(pub) == CF_NKEY_PUBLIC_LEN);
    CHECK(pub[0] == 'U');
    CHECK(all_base32(pub, CF_NKEY_PUBLIC_LEN));
    memset(back, 0, sizeof(back));
    CHECK_ST(cf_nkey_public_decode(pub, back), CF_OK);
    CHECK(memcmp(back, k->pk, CF_PK_LEN) == 0);

    /* any single changed character is caught (prefix, key or CRC) */
    {
        size_t caught = 0;
        for (size_t i = 0; i < CF_NKEY_PUBLIC_LEN; i++) {
            char bad[CF_NKEY_PUBLIC_LEN + 1];
            memcpy(bad, pub, sizeof(bad));
            bad[i] = bad[i] == 'A' ? 'B' : 'A';
            if (cf_nkey_public_decode(bad, back) == CF_E_MALFORMED)
                caught++;
            else
                fprintf(stderr, "changed character %zu of %s accepted as %s\n", i, pub, bad);
        }
        CHECK(caught == CF_NKEY_PUBLIC_LEN);
    }
    /* a change in the middle of the key: only the CRC can notice */
    {
        char bad[CF_NKEY_PUBLIC_LEN + 1];
        memcpy(bad, pub, sizeof(bad));
        bad[28] = bad[28] == '7' ? '2' : '7';
        memset(back, 0x5a, sizeof(back));
        CHECK_ST(cf_nkey_public_decode(bad, back), CF_E_MALFORMED);
        /* out is untouched on failure */
        {
            uint8_t expect[CF_PK_LEN];
            memset(expect, 0x5a, sizeof(expect));
            CHECK(memcmp(back, expect, CF_PK_LEN) == 0);
        }
    }
    /* wrong lengths, case, alphabet and kinds */
    {
        char buf[CF_NKEY_PUBLIC_LEN + 2];
        memcpy(buf, pub, CF_NKEY_PUBLIC_LEN - 1);
        buf[CF_NKEY_PUBLIC_LEN - 1] = 0;
        CHECK_ST(cf_nkey_public_decode(buf, back), CF_E_MALFORMED);
        memcpy(buf, pub, CF_NKEY_PUBLIC_LEN);
        buf[CF_NKEY_PUBLIC_LEN] = 'A';
        buf[CF_NKEY_PUBLIC_LEN + 1] = 0;
        CHECK_ST(cf_nkey_public_decode(buf, back), CF_E_MALFORMED);
        memcpy(buf, pub, CF_NKEY_PUBLIC_LEN + 1);
        buf[10] = (char)(buf[10] >= 'A' && buf[10] <= 'Z' ? buf[10] - 'A' + 'a' : '1');
        CHECK_ST(cf_nkey_public_decode(buf, back), CF_E_MALFORMED);
        CHECK_ST(cf_nkey_public_decode("", back), CF_E_MALFORMED);
        if (text) {
            text[CF_NKEY_SEED_LEN] = 0; /* the seed is not a public key */
            CHECK_ST(cf_nkey_public_decode(text, back), CF_E_MALFORMED);
        }
    }
out:
    cf_nkey_free(k);
    cf_nkey_free(k2);
    cf_nkey_free(loaded);
    free(text);
    free(path);
    free(perm);
}

/* Load a published seed, check its public key, and save it back unchanged. */
static void
check_vector(const char *dir, const char *name, const char *seed, const char *public_key,
             cf_nkey **out)
{
    char file[64], saved_file[64];
    char *path, *saved;
    char line[CF_NKEY_SEED_LEN + 2];
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    uint8_t decoded[CF_PK_LEN];
    cf_nkey *k = NULL;
    char *text = NULL;

    snprintf(file, sizeof(file), "%s.nk", name);
    snprintf(saved_file, sizeof(saved_file), "%s-saved.nk", name);
    snprintf(line, sizeof(line), "%s\n", seed);
    path = path_in(dir, file);
    saved = path_in(dir, saved_file);
    if (!path || !saved)
        goto out;
    CHECK(write_str(path, line, 0600));
    CHECK_ST(cf_nkey_load(path, &k), CF_OK);
    if (!k)
        goto out;
    cf_nkey_public_encode(k->pk, pub);
    CHECK_STR(pub, public_key);
    CHECK_ST(cf_nkey_public_decode(public_key, decoded), CF_OK);
    CHECK(memcmp(decoded, k->pk, CF_PK_LEN) == 0);
    /* our encoder writes the seed exactly as NATS does, CRC included */
    CHECK_ST(cf_nkey_save(k, saved), CF_OK);
    text = read_text(saved, NULL);
    CHECK_STR(text, line);
    *out = k;
    k = NULL;
out:
    cf_nkey_free(k);
    free(text);
    free(path);
    free(saved);
}

static void
test_nkey_vectors(const char *dir)
{
    cf_nkey *k1 = NULL, *k2 = NULL, *k = NULL;
    static const struct {
        const char *name;
        const char *text;
    } bad_seeds[] = {
        {"account", ACCOUNT_SEED "\n"},            /* valid CRC, not a user seed */
        {"operator", OPERATOR_SEED "\n"},          /* valid CRC, not a user seed */
        {"public", VEC1_PUBLIC "\n"},              /* a public key, not a seed */
        {"short", "SUAMLK2ZNL35WSMW37E7UD4VZ7\n"}, /* truncated */
        {"garbage", "not a seed at all\n"},        /* not base32 */
        {"empty", ""},                             /* nothing */
        {"lower", "suamlk2znl35wsmw37e7ud4vz7elpkw7dhc3bwbsd2gcz7iuqqxziorrbu\n"},
    };

    check_vector(dir, "vec1", VEC1_SEED, VEC1_PUBLIC, &k1);
    check_vector(dir, "vec2", VEC2_SEED, VEC2_PUBLIC, &k2);
    /* Ed25519 is deterministic: the published nonce signature */
    if (k1) {
        uint8_t sig[CF_SIG_LEN];
        char *sig_b64 = NULL;
        cf_nkey_sign(k1, (const uint8_t *)VEC1_NONCE, strlen(VEC1_NONCE), sig);
        CHECK_ST(cf_base64_encode(sig, sizeof(sig), &sig_b64), CF_OK);
        CHECK_STR(sig_b64, VEC1_SIG);
        CHECK(crypto_sign_verify_detached(sig, (const uint8_t *)VEC1_NONCE, strlen(VEC1_NONCE),
                                          k1->pk) == 0);
        free(sig_b64);
    }

    /* one changed character of a published seed fails its CRC, at every
     * position past the prefix */
    {
        size_t caught = 0, tried = 0;
        for (size_t i = 2; i < CF_NKEY_SEED_LEN; i++) {
            char line[CF_NKEY_SEED_LEN + 2], name[32];
            char *path;
            snprintf(line, sizeof(line), "%s\n", VEC1_SEED);
            line[i] = line[i] == 'A' ? 'B' : 'A';
            snprintf(name, sizeof(name), "vec1-bad-%zu.nk", i);
            path = path_in(dir, name);
            if (!path || !write_str(path, line, 0600)) {
                free(path);
                continue;
            }
            tried++;
            if (cf_nkey_load(path, &k) == CF_E_MALFORMED)
                caught++;
            else
                fprintf(stderr, "seed with character %zu changed was not refused\n", i);
            cf_nkey_free(k);
            k = NULL;
            unlink(path);
            free(path);
        }
        CHECK(tried == CF_NKEY_SEED_LEN - 2);
        CHECK(caught == tried);
    }
    for (size_t i = 0; i < CF_ARRAY_LEN(bad_seeds); i++) {
        char name[32];
        char *path;
        snprintf(name, sizeof(name), "bad-%s.nk", bad_seeds[i].name);
        path = path_in(dir, name);
        if (!path)
            continue;
        CHECK(write_str(path, bad_seeds[i].text, 0600));
        {
            cf_status st = cf_nkey_load(path, &k);
            if (st != CF_E_MALFORMED)
                fprintf(stderr, "seed file \"%s\":\n", bad_seeds[i].name);
            CHECK_ST(st, CF_E_MALFORMED);
        }
        CHECK(k == NULL);
        cf_nkey_free(k);
        k = NULL;
        free(path);
    }
    {
        char *path = path_in(dir, "missing.nk");
        if (path)
            CHECK_ST(cf_nkey_load(path, &k), CF_E_NOT_FOUND);
        CHECK(k == NULL);
        free(path);
    }
    /* a seed without the final newline is still a seed */
    {
        char *path = path_in(dir, "no-newline.nk");
        if (path && write_str(path, VEC2_SEED, 0600)) {
            CHECK_ST(cf_nkey_load(path, &k), CF_OK);
            CHECK(k && k2 && memcmp(k->pk, k2->pk, CF_PK_LEN) == 0);
        }
        cf_nkey_free(k);
        k = NULL;
        free(path);
    }
    cf_nkey_free(k1);
    cf_nkey_free(k2);
}

/* ---- public key files ----------------------------------------------------- */

static void
test_pubkeys(const char *dir)
{
    char *path = path_in(dir, "node.pub");
    char *missing = path_in(dir, "missing.pub");
    char *garbage = path_in(dir, "garbage.pub");
    char *bad_nkey = path_in(dir, "bad-nkey.pub");
    char *no_identity = path_in(dir, "no-identity.pub");
    cf_identity *id = NULL;
    cf_nkey *nk = NULL;
    cf_pubkeys pk, pk2, got, untouched;
    char pub[CF_NKEY_PUBLIC_LEN + 1];
    char *text = NULL, *edited = NULL;
    mode_t old_umask;

    if (!path || !missing || !garbage || !bad_nkey || !no_identity)
        goto out;
    CHECK_ST(cf_identity_generate(&id), CF_OK);
    CHECK_ST(cf_nkey_generate(&nk), CF_OK);
    if (!id || !nk)
        goto out;
    memcpy(pk.identity, id->sign_pk, CF_PK_LEN);
    memcpy(pk.transport, nk->pk, CF_PK_LEN);
    memcpy(pk.encryption, id->box_pk, CF_PK_LEN);

    old_umask = umask(077);
    CHECK_ST(cf_pubkeys_save(&pk, path), CF_OK);
    umask(old_umask);
    CHECK(file_mode(path) == 0644);
    memset(&got, 0, sizeof(got));
    CHECK_ST(cf_pubkeys_load(path, &got), CF_OK);
    CHECK(memcmp(got.identity, pk.identity, CF_PK_LEN) == 0);
    CHECK(memcmp(got.transport, pk.transport, CF_PK_LEN) == 0);
    CHECK(memcmp(got.encryption, pk.encryption, CF_PK_LEN) == 0);

    /* the transport key is written as the NATS public nkey */
    text = read_text(path, NULL);
    cf_nkey_public_encode(nk->pk, pub);
    CHECK(text && strstr(text, pub) != NULL);

    /* never replaced */
    pk2 = pk;
    pk2.identity[0] ^= 0xff;
    CHECK_ST(cf_pubkeys_save(&pk2, path), CF_E_EXISTS);
    CHECK_ST(cf_pubkeys_load(path, &got), CF_OK);
    CHECK(memcmp(got.identity, pk.identity, CF_PK_LEN) == 0);

    /* refusals leave the output untouched */
    memset(&untouched, 0xa5, sizeof(untouched));
    got = untouched;
    CHECK_ST(cf_pubkeys_load(missing, &got), CF_E_NOT_FOUND);
    CHECK(write_str(garbage, "hello\n", 0644));
    CHECK_ST(cf_pubkeys_load(garbage, &got), CF_E_MALFORMED);
    if (text) {
        char bad[CF_NKEY_PUBLIC_LEN + 1];
        memcpy(bad, pub, sizeof(bad));
        bad[30] = bad[30] == 'Q' ? 'R' : 'Q';
        edited = replace_value(text, "transport-nkey", bad);
        CHECK(edited && write_str(bad_nkey, edited, 0644));
        CHECK_ST(cf_pubkeys_load(bad_nkey, &got), CF_E_MALFORMED);
        free(edited);
        edited = replace_value(text, "identity", "");
        CHECK(edited && write_str(no_identity, edited, 0644));
        CHECK_ST(cf_pubkeys_load(no_identity, &got), CF_E_MALFORMED);
    }
    CHECK(memcmp(&got, &untouched, sizeof(got)) == 0);
out:
    cf_identity_free(id);
    cf_nkey_free(nk);
    free(text);
    free(edited);
    free(path);
    free(missing);
    free(garbage);
    free(bad_nkey);
    free(no_identity);
}

int
main(void)
{
    char *dir;

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    dir = make_tmpdir();
    CHECK(dir != NULL);
    if (dir) {
        test_identity_roundtrip(dir);
        test_identity_refusals(dir);
        test_identity_sealed(dir);
        test_nkey_roundtrip(dir);
        test_nkey_vectors(dir);
        test_pubkeys(dir);
    }
    remove_tmpdir(dir);
    return check_done("test_keys_identity");
}
