/*
 * file.c - careful file I/O: bounded reads of regular files only, atomic
 * writes with an explicit mode through a temporary file nobody can plant a
 * link at, and the ssh-style check that a secret file is private. Every
 * CF_E_IO leaves errno saying why.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often cf_file_write draws a new temporary name after a collision. */
#define TMP_ATTEMPTS 8

cf_status
cf_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    cf_status st = CF_E_IO;
    struct stat sb;
    uint8_t *data = NULL;
    size_t got = 0;
    int saved;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; the type check
     * below refuses it, and reads of regular files ignore the flag */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return errno == ENOENT ? CF_E_NOT_FOUND : CF_E_IO;
    if (fstat(fd, &sb) != 0)
        goto out;
    if (!S_ISREG(sb.st_mode)) {
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        goto out;
    }
    if ((uint64_t)sb.st_size > max) {
        st = CF_E_OVERSIZE;
        goto out;
    }
    data = malloc((size_t)sb.st_size + 1);
    if (!data) {
        st = CF_E_NOMEM;
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, data + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* it shrank while we read it */
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    data[got] = 0;
    *out = data;
    *out_len = got;
    data = NULL;
    st = CF_OK;
out:
    saved = errno;
    free(data);
    close(fd);
    errno = saved;
    return st;
}

/*
 * Create a new temporary file next to path, with a random name, never
 * following or reusing anything already there: a name planted in advance
 * (a symlink to a victim file) makes open fail instead of writing through it.
 */
static cf_status
open_temp(const char *path, unsigned mode, char **out_tmp, int *out_fd)
{
    size_t n = strlen(path) + sizeof(".tmp-") + 16;
    char *tmp = malloc(n);

    if (!tmp)
        return CF_E_NOMEM;
    /* sodium_init() makes the random source safe to use from any thread */
    if (sodium_init() < 0) {
        free(tmp);
        errno = EIO;
        return CF_E_IO;
    }
    for (int i = 0; i < TMP_ATTEMPTS; i++) {
        uint64_t r;
        randombytes_buf(&r, sizeof(r));
        snprintf(tmp, n, "%s.tmp-%016llx", path, (unsigned long long)r);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
        if (fd >= 0) {
            *out_tmp = tmp;
            *out_fd = fd;
            return CF_OK;
        }
        if (errno != EEXIST)
            break;
    }
    int saved = errno;
    free(tmp);
    errno = saved;
    return CF_E_IO;
}

cf_status
cf_file_write(const char *path, const void *data, size_t len, unsigned mode, bool exclusive)
{
    cf_status st;
    const uint8_t *p = data;
    char *tmp = NULL;
    int fd = -1;

    st = open_temp(path, mode, &tmp, &fd);
    if (st != CF_OK)
        return st;
    st = CF_E_IO;
    /* the umask must not widen or narrow what the caller asked for */
    if (fchmod(fd, (mode_t)mode) != 0)
        goto out;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO;
        if (n <= 0)
            goto out;
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (exclusive) {
        /* link() fails if the target exists, even as a dangling symlink, so
         * nothing is ever replaced or written through */
        if (link(tmp, path) != 0) {
            if (errno == EEXIST)
                st = CF_E_EXISTS;
            goto out;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        goto out;
    }
    st = CF_OK;
out:
    if (st != CF_OK) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return st;
}

cf_status
cf_file_check_private(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return errno == ENOENT ? CF_E_NOT_FOUND : CF_E_IO;
    if (sb.st_uid != geteuid() || (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return CF_E_PERMISSIONS;
    return CF_OK;
}

/* mkdir that accepts an existing directory, and only a directory. */
static bool
make_one(const char *path, unsigned mode)
{
    struct stat sb;

    if (mkdir(path, (mode_t)mode) == 0)
        return true;
    if (errno != EEXIST)
        return false;
    if (stat(path, &sb) != 0)
        return false;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

cf_status
cf_dir_make(const char *path, unsigned mode)
{
    char *p;
    cf_status st = CF_OK;
    int saved_errno;

    if (!path || !path[0])
        return CF_E_INVALID_ARG;
    p = strdup(path);
    if (!p)
        return CF_E_NOMEM;
    /* create each ancestor in turn; p[0] is never a separator to stop at,
     * so "/a" does not try to create "" */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != 0)
            continue;
        char saved = *s;
        *s = 0;
        if (!make_one(p, mode)) {
            st = CF_E_IO;
            break;
        }
        *s = saved;
        if (!saved)
            break;
    }
    saved_errno = errno;
    free(p);
    errno = saved_errno;
    return st;
}

char *
cf_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}
