/*
 * test_common_file.c - common/file.c: atomic writes that never follow a
 * planted link, reads that refuse what is not a regular file (and never block
 * on a FIFO), mkdir -p on odd input, passphrase files (node/config.c, the
 * careful reader of a secret file); and the harness's h_run, which every
 * test that runs a program relies on to capture output without hanging.
 * Temporary directories only. An alarm turns a hang into a failure.
 */
#include "check.h"
#include "common/common.h"
#include "harness/harness.h"
#include "node/config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the test is doing, for the alarm's message. */
static const char *volatile doing = "starting";

static void
on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_common_file: hung while: ";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    w += write(2, doing, strlen(doing));
    w += write(2, "\n", 1);
    (void)w;
    _exit(1);
}

/* Arm a deadline of s seconds for the step named what. */
static void
step(const char *what, unsigned s)
{
    doing = what;
    alarm(s);
}

static char *
join(const char *dir, const char *name)
{
    char *p = cf_path_join(dir, name);

    if (!p)
        abort();
    return p;
}

/* The whole file as a string, or NULL. */
static char *
slurp(const char *path)
{
    uint8_t *data = NULL;
    size_t len;

    if (cf_file_read(path, 1 << 20, &data, &len) != CF_OK)
        return NULL;
    return (char *)data;
}

static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

/* How many entries dir holds (besides . and ..). */
static int
entries(const char *dir)
{
    char cmd[4200];
    char *out = NULL;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    if (h_run(argv, &out, NULL) == 0 && out)
        n = atoi(out);
    free(out);
    return n;
}

static void
test_write_roundtrip(const char *dir)
{
    char *path = join(dir, "plain");
    char *text;
    struct stat sb;

    mode_t old = umask(077);
    CHECK_ST(cf_file_write(path, "hello\n", 6, 0644, false), CF_OK);
    umask(old);
    CHECK((text = slurp(path)) != NULL && strcmp(text, "hello\n") == 0);
    free(text);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644);
    /* a non-exclusive write replaces the file */
    CHECK_ST(cf_file_write(path, "again", 5, 0600, false), CF_OK);
    CHECK((text = slurp(path)) != NULL && strcmp(text, "again") == 0);
    free(text);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600);
    /* an exclusive write never does */
    CHECK_ST(cf_file_write(path, "third", 5, 0600, true), CF_E_EXISTS);
    CHECK((text = slurp(path)) != NULL && strcmp(text, "again") == 0);
    free(text);
    /* and no temporary file is left behind either way */
    CHECK(entries(dir) == 1);
    free(path);
}

/* The old temporary name was "<path>.tmp<pid>": a symlink planted there made
 * cf_file_write overwrite the symlink's target. */
static void
test_write_planted_temp_symlink(const char *dir)
{
    char *path = join(dir, "target");
    char *victim = join(dir, "victim");
    char planted[4200];
    char *text;

    put(victim, "precious\n");
    snprintf(planted, sizeof(planted), "%s.tmp%ld", path, (long)getpid());
    CHECK(symlink(victim, planted) == 0);
    CHECK_ST(cf_file_write(path, "attacker-chosen\n", 16, 0644, false), CF_OK);
    CHECK((text = slurp(victim)) != NULL && strcmp(text, "precious\n") == 0);
    free(text);
    CHECK((text = slurp(path)) != NULL && strcmp(text, "attacker-chosen\n") == 0);
    free(text);
    /* the same with an exclusive write */
    free(path);
    path = join(dir, "target2");
    snprintf(planted, sizeof(planted), "%s.tmp%ld", path, (long)getpid());
    CHECK(symlink(victim, planted) == 0);
    CHECK_ST(cf_file_write(path, "attacker-chosen\n", 16, 0644, true), CF_OK);
    CHECK((text = slurp(victim)) != NULL && strcmp(text, "precious\n") == 0);
    free(text);
    free(path);
    free(victim);
}

/* A symlink at the final path is never written through. */
static void
test_write_final_symlink(const char *dir)
{
    char *path = join(dir, "link");
    char *victim = join(dir, "victim2");
    char *dangling = join(dir, "dangling");
    char *nowhere = join(dir, "nowhere");
    char *text;
    struct stat sb;

    put(victim, "precious\n");
    CHECK(symlink(victim, path) == 0);
    CHECK_ST(cf_file_write(path, "x", 1, 0644, true), CF_E_EXISTS);
    CHECK((text = slurp(victim)) != NULL && strcmp(text, "precious\n") == 0);
    free(text);
    CHECK(lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode));

    /* a dangling symlink does not make a file appear where it points */
    CHECK(symlink(nowhere, dangling) == 0);
    CHECK_ST(cf_file_write(dangling, "x", 1, 0644, true), CF_E_EXISTS);
    CHECK(lstat(nowhere, &sb) != 0 && errno == ENOENT);

    /* a non-exclusive write replaces the link itself, not its target */
    CHECK_ST(cf_file_write(path, "new", 3, 0644, false), CF_OK);
    CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode));
    CHECK((text = slurp(victim)) != NULL && strcmp(text, "precious\n") == 0);
    free(text);
    free(path);
    free(victim);
    free(dangling);
    free(nowhere);
}

static void
test_write_errors(const char *dir)
{
    char *missing = join(dir, "no/such/dir/file");

    errno = 0;
    CHECK_ST(cf_file_write(missing, "x", 1, 0644, false), CF_E_IO);
    CHECK(errno == ENOENT);
    free(missing);
}

static void
test_read(const char *dir)
{
    char *path = join(dir, "r");
    char *sub = join(dir, "subdir");
    char *none = join(dir, "none");
    uint8_t *data = (uint8_t *)"untouched";
    size_t len = 7;

    put(path, "0123456789");
    CHECK_ST(cf_file_read(path, 9, &data, &len), CF_E_OVERSIZE);
    CHECK(strcmp((char *)data, "untouched") == 0 && len == 7);
    CHECK_ST(cf_file_read(none, 9, &data, &len), CF_E_NOT_FOUND);
    CHECK(mkdir(sub, 0700) == 0);
    errno = 0;
    CHECK_ST(cf_file_read(sub, 1024, &data, &len), CF_E_IO);
    CHECK(errno == EISDIR);
    CHECK(strcmp((char *)data, "untouched") == 0 && len == 7);
    CHECK_ST(cf_file_read(path, 10, &data, &len), CF_OK);
    CHECK(len == 10 && strcmp((char *)data, "0123456789") == 0);
    free(data);
    free(path);
    free(sub);
    free(none);
}

/* Opening a FIFO for reading waits for a writer: cf_file_read must refuse
 * it at once instead. */
static void
test_read_fifo(const char *dir)
{
    char *fifo = join(dir, "fifo");
    uint8_t *data = NULL;
    size_t len = 0;

    CHECK(mkfifo(fifo, 0600) == 0);
    step("cf_file_read of a FIFO", 10);
    int64_t t0 = h_now_ms();
    CHECK_ST(cf_file_read(fifo, 1024, &data, &len), CF_E_IO);
    CHECK(h_now_ms() - t0 < 5000);
    alarm(0);
    CHECK(data == NULL);
    CHECK_ST(cf_file_read("/dev/null", 1024, &data, &len), CF_E_IO);
    CHECK(data == NULL);
    free(fifo);
}

static void
test_dir_make(const char *dir)
{
    char *deep = join(dir, "a/b/c");
    char *file = join(dir, "afile");
    char *under = join(dir, "afile/sub");
    struct stat sb;

    step("cf_dir_make", 10);
    CHECK_ST(cf_dir_make("", 0700), CF_E_INVALID_ARG);
    CHECK_ST(cf_dir_make(deep, 0700), CF_OK);
    CHECK(stat(deep, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK_ST(cf_dir_make(deep, 0700), CF_OK); /* existing: fine */
    put(file, "x");
    errno = 0;
    CHECK_ST(cf_dir_make(file, 0700), CF_E_IO); /* exists, but not a directory */
    CHECK(errno == ENOTDIR);
    CHECK_ST(cf_dir_make(under, 0700), CF_E_IO);
    alarm(0);
    free(deep);
    free(file);
    free(under);
}

/* An empty passphrase would leave a key unsealed without a word: refused.
 * On any failure the out-parameter is left alone. */
static void
test_passphrase(const char *dir)
{
    char *empty = join(dir, "empty.pass");
    char *blank = join(dir, "blank.pass");
    char *good = join(dir, "good.pass");
    char *open_ = join(dir, "open.pass");
    char *none = join(dir, "none.pass");
    char sentinel[] = "sentinel";
    char *p = sentinel;

    put(empty, "");
    put(blank, "\nsecond line\n");
    put(good, "pass phrase\r\nsecond line\n");
    put(open_, "pass phrase\n");
    CHECK(chmod(empty, 0600) == 0 && chmod(blank, 0600) == 0 && chmod(good, 0600) == 0 &&
          chmod(open_, 0644) == 0);
    CHECK_ST(cf_passphrase_read(NULL, &p), CF_OK);
    CHECK(p == NULL);
    p = sentinel;
    CHECK_ST(cf_passphrase_read(empty, &p), CF_E_PASSPHRASE);
    CHECK(p == sentinel);
    CHECK_ST(cf_passphrase_read(blank, &p), CF_E_PASSPHRASE);
    CHECK(p == sentinel);
    CHECK_ST(cf_passphrase_read(open_, &p), CF_E_PERMISSIONS);
    CHECK(p == sentinel);
    CHECK_ST(cf_passphrase_read(none, &p), CF_E_NOT_FOUND);
    CHECK(p == sentinel);
    CHECK_STR(cf_passphrase_error_hint(CF_E_PASSPHRASE), "it is empty");
    CHECK_ST(cf_passphrase_read(good, &p), CF_OK);
    CHECK_STR(p, "pass phrase");
    if (p != sentinel)
        cf_passphrase_free(p);
    free(empty);
    free(blank);
    free(good);
    free(open_);
    free(none);
}

/* A child that writes more to stderr than a pipe holds, before and after
 * writing to stdout, must not hang h_run. */
static void
test_run_fills_both_pipes(void)
{
    const char *argv[] = {"sh", "-c",
                          "head -c 300000 /dev/zero | tr '\\0' e >&2; echo out; "
                          "head -c 300000 /dev/zero | tr '\\0' o; "
                          "head -c 100000 /dev/zero | tr '\\0' e >&2; exit 3",
                          NULL};
    char *out = NULL, *err = NULL;

    step("h_run of a child that fills its stderr pipe", 60);
    CHECK(h_run(argv, &out, &err) == 3);
    alarm(0);
    CHECK(out && strlen(out) == 4 + 300000 && strncmp(out, "out\n", 4) == 0);
    CHECK(err && strlen(err) == 400000 && strspn(err, "e") == 400000);
    free(out);
    free(err);
}

static void
test_run_results(void)
{
    const char *ok[] = {"true", NULL};
    const char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    const char *nonesuch[] = {"certfed-no-such-program", NULL};
    char *out = NULL, *err = NULL;

    step("h_run results", 60);
    CHECK(h_run(ok, &out, &err) == 0);
    CHECK(out && err && out[0] == 0 && err[0] == 0);
    free(out);
    free(err);
    CHECK(h_run(killed, NULL, NULL) == 128 + 9);
    CHECK(h_run(nonesuch, NULL, &err) == 127);
    CHECK(err && strstr(err, "cannot run certfed-no-such-program"));
    free(err);
    alarm(0);
}

/* A program that runs past the deadline is killed and h_run says so. */
static void
test_run_deadline(void)
{
    const char *sleeper[] = {"sh", "-c", "echo started; exec sleep 60", NULL};
    /* the pipes close long before the program ends */
    const char *closer[] = {"sh", "-c", "exec sleep 60 >/dev/null 2>&1", NULL};
    char *out = NULL;

    step("h_run_timeout of a program that runs too long", 30);
    int64_t t0 = h_now_ms();
    CHECK(h_run_timeout(sleeper, 300, &out, NULL) == -1);
    CHECK(h_now_ms() - t0 < 10000);
    CHECK(out && strcmp(out, "started\n") == 0);
    free(out);
    t0 = h_now_ms();
    CHECK(h_run_timeout(closer, 300, NULL, NULL) == -1);
    CHECK(h_now_ms() - t0 < 10000);
    alarm(0);
}

int
main(void)
{
    char *dir = h_tmpdir("file");

    signal(SIGALRM, on_alarm);
    CHECK(dir != NULL);
    if (!dir)
        return check_done("test_common_file");
    test_write_roundtrip(dir);
    char *d2 = join(dir, "w");
    CHECK(mkdir(d2, 0700) == 0);
    test_write_planted_temp_symlink(d2);
    test_write_final_symlink(d2);
    test_write_errors(d2);
    free(d2);
    d2 = join(dir, "r");
    CHECK(mkdir(d2, 0700) == 0);
    test_read(d2);
    test_read_fifo(d2);
    test_dir_make(d2);
    test_passphrase(d2);
    free(d2);
    test_run_fills_both_pipes();
    test_run_results();
    test_run_deadline();
    h_rmtree(dir);
    free(dir);
    return check_done("test_common_file");
}
