/*
 * harness.c - temporary folders, child processes and a real nats-server for
 * the integration tests. See harness.h.
 */
#include "harness/harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t
h_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
h_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;
    size_t n;

    if (!base || !base[0])
        base = "/tmp";
    n = strlen(base) + strlen(tag) + 32;
    path = malloc(n);
    if (!path)
        return NULL;
    snprintf(path, n, "%s/certfed-%s-XXXXXX", base, tag);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

char *
h_sample_federation(const char *tag)
{
    const char *certfed = getenv("CERTFED_BIN"), *src = getenv("CERTFED_SOURCE");
    char topo[4096], fed[4096];
    char *dir;

    if (!certfed || !src) {
        fprintf(stderr, "run through ctest (CERTFED_BIN, CERTFED_SOURCE)\n");
        return NULL;
    }
    dir = h_tmpdir(tag);
    if (!dir) {
        fprintf(stderr, "cannot make a folder for %s\n", tag);
        return NULL;
    }
    snprintf(topo, sizeof(topo), "%s/federation/topologies/national.ini", src);
    snprintf(fed, sizeof(fed), "%s/fed", dir);
    const char *boot[] = {certfed, "bootstrap", topo, fed, NULL};
    if (h_run(boot, NULL, NULL) != 0) {
        fprintf(stderr, "certfed bootstrap %s %s failed\n", topo, fed);
        h_rmtree(dir);
        free(dir);
        return NULL;
    }
    return dir;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
h_rmtree(const char *dir)
{
    if (dir && dir[0] && strcmp(dir, "/") != 0)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Read what is ready on fd into b; false at end of file or on an error. */
static bool
drain(int fd, cf_buf *b)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    return cf_buf_append(b, chunk, (size_t)n) == CF_OK;
}

/* The captured bytes as a malloc'ed string ("" if nothing came). */
static char *
finish_text(cf_buf *b)
{
    if (cf_buf_append(b, "", 1) != CF_OK) {
        cf_buf_clear(b);
        return NULL;
    }
    return (char *)cf_buf_steal(b, NULL);
}

int
h_run(const char *const argv[], char **out_stdout, char **out_stderr)
{
    return h_run_timeout(argv, H_RUN_TIMEOUT_MS, out_stdout, out_stderr);
}

int
h_run_timeout(const char *const argv[], int timeout_ms, char **out_stdout, char **out_stderr)
{
    int out[2], err[2], status = 0;
    pid_t pid;
    cf_buf bufs[2];
    struct pollfd fds[2];
    int64_t deadline = h_now_ms() + timeout_ms;
    const char *failed = NULL;
    bool reaped = false;

    if (pipe2(out, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    cf_buf_init(&bufs[0]);
    cf_buf_init(&bufs[1]);
    fds[0].fd = out[0];
    fds[1].fd = err[0];
    /* Read both pipes as data arrives: a child that fills one pipe while we
     * wait on the other would otherwise block forever. */
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int64_t left = deadline - h_now_ms();
        if (left <= 0) {
            failed = "did not finish in time";
            break;
        }
        fds[0].events = fds[1].events = POLLIN;
        int n = poll(fds, 2, (int)left);
        if (n < 0 && errno != EINTR) {
            failed = "could not be watched (poll failed)";
            break;
        }
        for (int k = 0; n > 0 && k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!drain(fds[k].fd, &bufs[k])) {
                close(fds[k].fd);
                fds[k].fd = -1; /* poll ignores negative descriptors */
            }
        }
    }
    for (int k = 0; k < 2; k++)
        if (fds[k].fd >= 0)
            close(fds[k].fd);
    /* the pipes may close before the program ends: wait for it with the
     * same deadline */
    while (!failed && !reaped) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            reaped = true;
        } else if (w < 0 && errno != EINTR) {
            reaped = true; /* it is gone: nothing left to kill */
            failed = "vanished (waitpid failed)";
        } else if (h_now_ms() >= deadline) {
            failed = "did not finish in time";
        } else {
            poll(NULL, 0, 5);
        }
    }
    if (failed) {
        if (!reaped) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        fprintf(stderr, "h_run: %s %s (deadline %d ms)%s\n", argv[0], failed, timeout_ms,
                reaped ? "" : "; killed it");
    }
    char *o = finish_text(&bufs[0]);
    char *e = finish_text(&bufs[1]);
    if (out_stdout)
        *out_stdout = o;
    else
        free(o);
    if (out_stderr)
        *out_stderr = e;
    else
        free(e);
    if (failed)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

static bool
port_answers(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    if (fd < 0)
        return false;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* nats-server writes <dir>/nats-server_<pid>.ports once it listens. */
static int
read_port(const char *dir, pid_t pid)
{
    char path[4096];
    uint8_t *text = NULL;
    size_t len;
    int port = 0;

    snprintf(path, sizeof(path), "%s/nats-server_%d.ports", dir, (int)pid);
    if (cf_file_read(path, 65536, &text, &len) != CF_OK)
        return 0;
    const char *p = strstr((const char *)text, "nats://");
    if (p && (p = strrchr(p, ':')) != NULL)
        port = atoi(p + 1);
    free(text);
    return port;
}

cf_status
h_nats_start(const char *config, const char *dir, h_nats *out)
{
    char log[4096];
    pid_t pid;
    int64_t deadline;

    snprintf(log, sizeof(log), "%s/nats-server.log", dir);
    pid = fork();
    if (pid < 0)
        return CF_E_IO;
    if (pid == 0) {
        const char *argv[16];
        int i = 0;
        argv[i++] = "nats-server";
        if (config) {
            argv[i++] = "-c";
            argv[i++] = config;
        }
        argv[i++] = "-a";
        argv[i++] = "127.0.0.1";
        argv[i++] = "-p";
        argv[i++] = "-1";
        argv[i++] = "--ports_file_dir";
        argv[i++] = dir;
        argv[i++] = "-l";
        argv[i++] = log;
        argv[i] = NULL;
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run nats-server: %s\n", strerror(errno));
        _exit(127);
    }
    deadline = h_now_ms() + 15000;
    while (h_now_ms() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "nats-server exited early; see %s\n", log);
            return CF_E_IO;
        }
        int port = read_port(dir, pid);
        if (port > 0 && port_answers(port)) {
            out->pid = pid;
            out->port = port;
            snprintf(out->url, sizeof(out->url), "nats://127.0.0.1:%d", port);
            return CF_OK;
        }
        poll(NULL, 0, 20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fprintf(stderr, "nats-server did not answer within 15 s; see %s\n", log);
    return CF_E_IO;
}

void
h_nats_stop(h_nats *n)
{
    int64_t deadline;

    if (n->pid <= 0)
        return;
    kill(n->pid, SIGTERM);
    deadline = h_now_ms() + 5000;
    while (h_now_ms() < deadline) {
        if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
            n->pid = 0;
            return;
        }
        poll(NULL, 0, 20);
    }
    kill(n->pid, SIGKILL);
    waitpid(n->pid, NULL, 0);
    n->pid = 0;
}
