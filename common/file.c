/*
 * file.c - careful file I/O: bounded reads, atomic writes with an explicit
 * mode, and the ssh-style check that a secret file is private.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cf_status
cf_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    cf_status st = CF_E_IO;
    struct stat sb;
    uint8_t *data = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? CF_E_NOT_FOUND : CF_E_IO;
    if (fstat(fd, &sb) != 0)
        goto out;
    if (!S_ISREG(sb.st_mode)) {
        errno = EINVAL;
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
    free(data);
    close(fd);
    return st;
}

cf_status
cf_file_write(const char *path, const void *data, size_t len, unsigned mode, bool exclusive)
{
    cf_status st = CF_E_IO;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    const uint8_t *p = data;
    int fd = -1;

    if (!tmp)
        return CF_E_NOMEM;
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        goto out;
    /* the umask must not widen or narrow what the caller asked for */
    if (fchmod(fd, (mode_t)mode) != 0)
        goto out;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
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
        /* link() fails if the target exists, so nothing is ever replaced */
        if (link(tmp, path) != 0) {
            st = errno == EEXIST ? CF_E_EXISTS : CF_E_IO;
            goto out;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        goto out;
    }
    st = CF_OK;
out:
    if (fd >= 0)
        close(fd);
    if (st != CF_OK) {
        int saved = errno;
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

cf_status
cf_dir_make(const char *path, unsigned mode)
{
    char *p = strdup(path);
    cf_status st = CF_OK;

    if (!p)
        return CF_E_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != 0)
            continue;
        char saved = *s;
        *s = 0;
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
            st = CF_E_IO;
            break;
        }
        *s = saved;
        if (!saved)
            break;
    }
    free(p);
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
