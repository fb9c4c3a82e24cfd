/*
 * replay.c - runs a fuzz target over every file of the corpus folders it is
 * given, once each, so the normal (non-fuzzing) build checks that no seed
 * or regression input crashes, leaks or trips a target's own checks. The
 * first folder is the target's own corpus and must not be empty; the others
 * (the other targets' corpora) are fed to it as foreign input. A target's
 * LLVMFuzzerInitialize, if it has one, runs first, as under libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* weak: only the targets that need a set-up define it */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Feed every file of dir to the target; -1 if dir cannot be read. */
static int
replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;

    if (!d) {
        fprintf(stderr, "cannot open corpus %s\n", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        FILE *f;
        uint8_t *buf;
        long n;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        if (!f)
            continue;
        if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
            fclose(f); /* a folder, or not a regular file */
            continue;
        }
        buf = malloc(n > 0 ? (size_t)n : 1);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            LLVMFuzzerTestOneInput(buf, (size_t)n);
            files++;
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
    return files;
}

int
main(int argc, char **argv)
{
    int own = 0, foreign = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s OWN-CORPUS [OTHER-CORPUS...]\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize && LLVMFuzzerInitialize(&argc, &argv) != 0)
        return 1;
    for (int i = 1; i < argc; i++) {
        int n = replay_dir(argv[i]);
        if (n < 0)
            return 1;
        if (i == 1)
            own = n;
        else
            foreign += n;
    }
    printf("replayed %d corpus files and %d of other targets\n", own, foreign);
    return own > 0 ? 0 : 1;
}
