/*
 * web.c - the web console's files (node/web/), built into the binary by
 * node/web/embed.cmake: which URL names which file, and as what type. The
 * files are public (no token: they hold no data); what they fetch from
 * /api/ needs the token like any other client.
 */
#include "node/http.h"

#include <string.h>

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

static const char *
type_of(const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < CF_ARRAY_LEN(types); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

bool
cf_web_find(const char *path, const cf_web_asset **out, const char **out_type)
{
    const char *name;

    if (!path)
        return false;
    if (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0 || strcmp(path, "/ui/") == 0)
        name = "index.html";
    else if (strncmp(path, "/ui/", 4) == 0)
        name = path + 4;
    else
        return false;
    for (size_t i = 0; i < cf_web_n_assets; i++)
        if (strcmp(cf_web_assets[i].name, name) == 0) {
            *out = &cf_web_assets[i];
            *out_type = type_of(name);
            return true;
        }
    return false;
}
