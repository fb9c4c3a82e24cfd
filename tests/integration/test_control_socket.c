/*
 * test_control_socket.c - the node's control socket against hostile local
 * clients: junk and oversized requests get an error answer, too many
 * connections are cut off, and a node with idle connections open still
 * stops cleanly on SIGTERM (no use of freed memory, no hang). The socket is
 * 0600, or 0660 and the group's with control_group = NAME in node.conf
 * (tried with the user's primary group); a group that does not exist is a
 * config error. The node runs without NATS (an unreachable URL), as it must
 * be able to.
 */
#include "check.h"
#include "harness/harness.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char sock_path[100];

static int
connect_node(void)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Read until EOF or ms pass; returns what was read (free it), NULL on timeout. */
static char *
read_answer(int fd, int ms)
{
    cf_buf b;
    int64_t deadline = h_now_ms() + ms;

    cf_buf_init(&b);
    if (cf_buf_reserve(&b, 1) != CF_OK)
        return NULL;
    b.data[0] = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(deadline - h_now_ms());
        char chunk[4096];
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            cf_buf_clear(&b);
            return NULL;
        }
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        if (cf_buf_append(&b, chunk, (size_t)n) != CF_OK)
            break;
    }
    return (char *)cf_buf_steal(&b, NULL);
}

static bool
send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static pid_t
start_node(const char *certfedd, const char *conf)
{
    pid_t pid = fork();

    if (pid == 0) {
        execl(certfedd, certfedd, "--config", conf, "--nats-url", "nats://127.0.0.1:1",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Connect once the node listens (at most 15 s); -1 if it never does. */
static int
wait_node(void)
{
    int fd = -1;

    for (int64_t deadline = h_now_ms() + 15000; fd < 0 && h_now_ms() < deadline;) {
        fd = connect_node();
        if (fd < 0)
            poll(NULL, 0, 20);
    }
    return fd;
}

/* SIGTERM, and wait (at most 10 s) for a clean exit; SIGKILL if it hangs. */
static bool
stop_node(pid_t node)
{
    int status = 0;
    pid_t w = 0;

    kill(node, SIGTERM);
    for (int64_t deadline = h_now_ms() + 10000;
         h_now_ms() < deadline && (w = waitpid(node, &status, WNOHANG)) == 0;)
        poll(NULL, 0, 20);
    if (w != node) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
        return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* node.conf with "control_group = group" as the first line of [node] (the
 * bootstrapped file, kept in orig). */
static bool
write_conf_with_group(const char *conf, const char *orig, const char *group)
{
    const char *sec = strstr(orig, "[node]\n");
    FILE *f = fopen(conf, "w");
    bool ok;

    if (!f || !sec) {
        if (f)
            fclose(f);
        return false;
    }
    sec += strlen("[node]\n");
    ok = fprintf(f, "%.*scontrol_group = %s\n%s", (int)(sec - orig), orig, group, sec) > 0;
    return fclose(f) == 0 && ok;
}

int
main(void)
{
    const char *certfed = getenv("CERTFED_BIN"), *certfedd = getenv("CERTFEDD_BIN");
    const char *src = getenv("CERTFED_SOURCE");
    char *dir = h_tmpdir("control");
    char topo[4096], fed[4200], conf[4400];
    int idle[80], n_idle = 0, status = 0;
    pid_t node;
    char *ans;

    signal(SIGPIPE, SIG_IGN);
    if (!certfed || !certfedd || !src || !dir) {
        fprintf(stderr, "needs CERTFED_BIN, CERTFEDD_BIN, CERTFED_SOURCE (run through ctest)\n");
        return 1;
    }
    snprintf(topo, sizeof(topo), "%s/federation/topologies/national.ini", src);
    snprintf(fed, sizeof(fed), "%s/fed", dir);
    snprintf(conf, sizeof(conf), "%s/nodes/kp/node.conf", fed);
    if (strlen(fed) + 24 >= sizeof(sock_path)) {
        fprintf(stderr, "temporary folder %s too deep for a Unix socket path\n", fed);
        return 1;
    }
    memcpy(sock_path, fed, strlen(fed));
    memcpy(sock_path + strlen(fed), "/nodes/kp/control.sock", 23);
    const char *boot[] = {certfed, "bootstrap", topo, fed, NULL};
    CHECK(h_run(boot, NULL, NULL) == 0);

    node = start_node(certfedd, conf);
    int fd = wait_node();
    CHECK(fd >= 0);
    if (fd < 0)
        goto out;

    /* without control_group: the owner's alone */
    struct stat sb;
    CHECK(lstat(sock_path, &sb) == 0 && S_ISSOCK(sb.st_mode));
    CHECK((sb.st_mode & 07777) == 0600);
    CHECK(sb.st_uid == getuid());

    /* junk: an error answer, not a crash */
    CHECK(send_all(fd, "hello\n", 6));
    ans = read_answer(fd, 5000);
    CHECK(ans && strstr(ans, "\"ok\":false") && strstr(ans, "not a JSON object"));
    free(ans);
    close(fd);

    /* more than 1 MiB without a newline: refused, and the node goes on */
    fd = connect_node();
    CHECK(fd >= 0);
    char *big = malloc(1100 * 1024);
    memset(big, 'x', 1100 * 1024);
    send_all(fd, big, 1100 * 1024);
    free(big);
    ans = read_answer(fd, 5000);
    CHECK(ans && strstr(ans, "request too large"));
    free(ans);
    close(fd);

    /* a valid request still works */
    fd = connect_node();
    CHECK(send_all(fd, "{\"cmd\":\"status\"}\n", 17));
    ans = read_answer(fd, 5000);
    CHECK(ans && strstr(ans, "\"ok\":true") && strstr(ans, "\"node\":\"kp\""));
    free(ans);
    close(fd);

    /* a flag that is not a boolean is refused, not taken as false */
    static const char not_bool[] = "{\"cmd\":\"directive.status\",\"args\":{\"number\":\"x\","
                                   "\"counts_only\":\"yes\"}}\n";
    fd = connect_node();
    CHECK(send_all(fd, not_bool, sizeof(not_bool) - 1));
    ans = read_answer(fd, 5000);
    printf("counts_only \"yes\": %s\n", ans ? ans : "(no answer)");
    CHECK(ans && strstr(ans, "\"ok\":false") && strstr(ans, "invalid"));
    free(ans);
    close(fd);

    /* directive.wait: a bad argument or an unknown directive is answered
     * at once, not held until a timeout */
    static const char *const waits[][2] = {
        {"{\"cmd\":\"directive.wait\",\"args\":{\"number\":\"x\",\"timeout_ms\":-5}}\n", "invalid"},
        {"{\"cmd\":\"directive.wait\",\"args\":{\"number\":\"x\",\"timeout_ms\":\"1\"}}\n",
         "invalid"},
        {"{\"cmd\":\"directive.wait\",\"args\":{\"number\":\"x\",\"until\":\"later\"}}\n",
         "invalid"},
        {"{\"cmd\":\"directive.wait\",\"args\":{\"number\":\"x\",\"timeout_ms\":30000}}\n",
         "not found"},
    };
    for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
        int64_t t0 = h_now_ms();
        fd = connect_node();
        CHECK(send_all(fd, waits[i][0], strlen(waits[i][0])));
        ans = read_answer(fd, 5000);
        printf("wait %zu: %s in %lld ms\n", i, ans ? ans : "(no answer)",
               (long long)(h_now_ms() - t0));
        CHECK(ans && strstr(ans, "\"ok\":false") && strstr(ans, waits[i][1]));
        free(ans);
        close(fd);
    }

    /* too many idle connections: those past the cap are closed at once */
    int cut = 0;
    for (n_idle = 0; n_idle < 80; n_idle++) {
        idle[n_idle] = connect_node();
        if (idle[n_idle] < 0)
            break;
    }
    for (int i = 0; i < n_idle; i++) {
        struct pollfd p = {idle[i], POLLIN, 0};
        char c;
        if (poll(&p, 1, 20) == 1 && read(idle[i], &c, 1) == 0)
            cut++;
    }
    CHECK(n_idle == 80);
    CHECK(cut >= 80 - 64);
    CHECK(cut < 80);

    /* SIGTERM with idle connections open: a clean, prompt stop */
    kill(node, SIGTERM);
    int64_t deadline = h_now_ms() + 10000;
    pid_t w = 0;
    while (h_now_ms() < deadline && (w = waitpid(node, &status, WNOHANG)) == 0)
        poll(NULL, 0, 20);
    CHECK(w == node);
    CHECK(w == node && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (w != node) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
    }
    node = 0;
    /* writing to a connection of the stopped node fails, nothing else */
    for (int i = 0; i < n_idle; i++) {
        if (idle[i] >= 0) {
            send_all(idle[i], "{\"cmd\":\"status\"}\n", 17);
            close(idle[i]);
        }
    }

    /* control_group = the user's primary group: 0660, that group's */
    uint8_t *orig = NULL;
    size_t orig_len = 0;
    const struct group *gr = getgrgid(getgid());
    CHECK(gr != NULL);
    CHECK(cf_file_read(conf, 65536, &orig, &orig_len) == CF_OK);
    if (!gr || !orig) {
        free(orig);
        goto out;
    }
    char group[256];
    snprintf(group, sizeof(group), "%s", gr->gr_name);
    CHECK(write_conf_with_group(conf, (const char *)orig, group));
    node = start_node(certfedd, conf);
    fd = wait_node();
    CHECK(fd >= 0);
    CHECK(lstat(sock_path, &sb) == 0 && S_ISSOCK(sb.st_mode));
    CHECK((sb.st_mode & 07777) == 0660);
    CHECK(sb.st_gid == getgid());
    CHECK(sb.st_uid == getuid());
    if (fd >= 0) {
        CHECK(send_all(fd, "{\"cmd\":\"status\"}\n", 17));
        ans = read_answer(fd, 5000);
        CHECK(ans && strstr(ans, "\"ok\":true"));
        free(ans);
        close(fd);
    }
    CHECK(stop_node(node));
    node = 0;

    /* a group that does not exist: a config error that names it */
    CHECK(write_conf_with_group(conf, (const char *)orig, "no-such-group-of-certfed"));
    char *err_out = NULL;
    const char *check_argv[] = {certfedd, "--config", conf, "--check", NULL};
    CHECK(h_run(check_argv, NULL, &err_out) == 1);
    CHECK(err_out && strstr(err_out, "control_group 'no-such-group-of-certfed' is not a group"));
    free(err_out);
    err_out = NULL;
    const char *run_argv[] = {certfedd, "--config", conf, "--nats-url", "nats://127.0.0.1:1", NULL};
    CHECK(h_run_timeout(run_argv, 15000, NULL, &err_out) == 1);
    CHECK(err_out && strstr(err_out, "is not a group on this system"));
    free(err_out);
    free(orig);
out:
    if (node > 0) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
    }
    if (check_failures == 0)
        h_rmtree(dir);
    else
        fprintf(stderr, "kept %s\n", dir);
    free(dir);
    return check_done("test_control_socket");
}
