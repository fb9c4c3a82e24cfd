/*
 * test_federation_topology.c - cf_topology_parse on the sample topology (paths,
 * parents-first order, ancestry, CRLF, comments) and on broken ones, each
 * rejected with CF_E_CONFIG and a message naming the offending line and thing.
 */
#include "check.h"
#include "federation/federation.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A copy of federation/topologies/national.ini (DESIGN.md section 8); line
 * numbers below refer to it. If CERTFED_SOURCE is set, the copy is compared
 * with the file so the two cannot drift apart unnoticed. */
static const char national_ini[] =
    "# A national CERT federation: the CERT Council at the apex, the National\n"
    "# CERT below it, sectoral CERTs for critical sectors, provincial CERTs, and\n"
    "# a few constituents below them. Node ids are [a-z0-9-]{1,32}.\n"
    "[federation]\n"
    "name = pk\n"
    "\n"
    "[node council]\n"
    "role = council\n"
    "\n"
    "[node ncert]\n"
    "role = ncert\n"
    "parent = council\n"
    "\n"
    "[node banking]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node telecom]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node energy]\n"
    "role = sectoral\n"
    "parent = ncert\n"
    "\n"
    "[node punjab]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node sindh]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node kp]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node balochistan]\n"
    "role = provincial\n"
    "parent = ncert\n"
    "\n"
    "[node state-bank]\n"
    "role = constituent\n"
    "parent = banking\n"
    "\n"
    "[node lahore-it]\n"
    "role = constituent\n"
    "parent = punjab\n";

/* The first four lines of most broken topologies below; nodes start at line 5. */
#define HEAD                                                                                       \
    "[federation]\n"                                                                               \
    "name = pk\n"                                                                                  \
    "[node council]\n"                                                                             \
    "role = council\n"

static const struct {
    const char *id;
    cf_role role;
    const char *parent;
    const char *path;
    int line;
} national_nodes[] = {
    {"council", CF_ROLE_COUNCIL, NULL, "council", 7},
    {"ncert", CF_ROLE_NCERT, "council", "council.ncert", 10},
    {"banking", CF_ROLE_SECTORAL, "ncert", "council.ncert.banking", 14},
    {"telecom", CF_ROLE_SECTORAL, "ncert", "council.ncert.telecom", 18},
    {"energy", CF_ROLE_SECTORAL, "ncert", "council.ncert.energy", 22},
    {"punjab", CF_ROLE_PROVINCIAL, "ncert", "council.ncert.punjab", 26},
    {"sindh", CF_ROLE_PROVINCIAL, "ncert", "council.ncert.sindh", 30},
    {"kp", CF_ROLE_PROVINCIAL, "ncert", "council.ncert.kp", 34},
    {"balochistan", CF_ROLE_PROVINCIAL, "ncert", "council.ncert.balochistan", 38},
    {"state-bank", CF_ROLE_CONSTITUENT, "banking", "council.ncert.banking.state-bank", 42},
    {"lahore-it", CF_ROLE_CONSTITUENT, "punjab", "council.ncert.punjab.lahore-it", 46},
};

/* Every node's parent comes before it, and parent_idx, parent and path agree. */
static void
check_structure(const cf_topology *t)
{
    size_t councils = 0;

    for (size_t i = 0; i < t->n; i++) {
        const cf_topo_node *n = &t->nodes[i];
        if (n->parent_idx == SIZE_MAX) {
            councils++;
            CHECK(n->parent == NULL);
            CHECK(n->role == CF_ROLE_COUNCIL);
            CHECK_STR(n->path, n->id);
            continue;
        }
        CHECK(n->parent_idx < i);
        if (n->parent_idx >= i)
            continue;
        const cf_topo_node *p = &t->nodes[n->parent_idx];
        CHECK_STR(n->parent, p->id);
        CHECK(cf_role_may_parent(p->role, n->role));
        /* path = parent's path + "." + id */
        size_t pl = strlen(p->path);
        CHECK(strncmp(n->path, p->path, pl) == 0 && n->path[pl] == '.' &&
              strcmp(n->path + pl + 1, n->id) == 0);
    }
    CHECK(councils == 1);
}

/* The sample topology, as parsed from text (LF or CRLF, with or without
 * extra comments): the same nodes, roles, parents and paths. */
static void
check_national(const cf_topology *t, bool check_lines)
{
    CHECK_STR(t->federation, "pk");
    CHECK(t->n == CF_ARRAY_LEN(national_nodes));
    if (t->n != CF_ARRAY_LEN(national_nodes))
        return;
    check_structure(t);
    for (size_t i = 0; i < CF_ARRAY_LEN(national_nodes); i++) {
        const cf_topo_node *n = cf_topology_find(t, national_nodes[i].id);
        CHECK(n != NULL);
        if (!n)
            continue;
        CHECK_STR(n->id, national_nodes[i].id);
        CHECK(n->role == national_nodes[i].role);
        if (national_nodes[i].parent)
            CHECK_STR(n->parent, national_nodes[i].parent);
        else
            CHECK(n->parent == NULL && n->parent_idx == SIZE_MAX);
        CHECK_STR(n->path, national_nodes[i].path);
        if (check_lines)
            CHECK(n->line == national_nodes[i].line);
    }
}

static void
test_national(void)
{
    char err[256] = "";
    cf_topology *t = NULL;

    CHECK_ST(cf_topology_parse(national_ini, &t, err, sizeof(err)), CF_OK);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "  national.ini: %s\n", err);
        return;
    }
    CHECK_STR(err, "");
    check_national(t, true);
    CHECK(t->n == 11);
    if (t->n == 11) {
        /* the file is already parents first, so its order is kept */
        for (size_t i = 0; i < t->n; i++)
            CHECK_STR(t->nodes[i].id, national_nodes[i].id);
    }

    const cf_topo_node *council = cf_topology_find(t, "council");
    const cf_topo_node *ncert = cf_topology_find(t, "ncert");
    const cf_topo_node *banking = cf_topology_find(t, "banking");
    const cf_topo_node *telecom = cf_topology_find(t, "telecom");
    const cf_topo_node *punjab = cf_topology_find(t, "punjab");
    const cf_topo_node *state_bank = cf_topology_find(t, "state-bank");
    const cf_topo_node *lahore = cf_topology_find(t, "lahore-it");
    CHECK(council && ncert && banking && telecom && punjab && state_bank && lahore);
    CHECK(cf_topology_find(t, "nowhere") == NULL);
    CHECK(cf_topology_find(t, "") == NULL);
    CHECK(cf_topology_find(t, "Banking") == NULL);
    if (!(council && ncert && banking && telecom && punjab && state_bank && lahore)) {
        cf_topology_free(t);
        return;
    }
    CHECK_STR(banking->path, "council.ncert.banking");
    CHECK_STR(lahore->path, "council.ncert.punjab.lahore-it");
    CHECK(council->parent_idx == SIZE_MAX);
    CHECK(&t->nodes[ncert->parent_idx] == council);
    CHECK(&t->nodes[banking->parent_idx] == ncert);
    CHECK(&t->nodes[punjab->parent_idx] == ncert);
    CHECK(&t->nodes[state_bank->parent_idx] == banking);
    CHECK(&t->nodes[lahore->parent_idx] == punjab);

    /* ancestry */
    CHECK(cf_topology_is_ancestor(t, council, lahore));
    CHECK(cf_topology_is_ancestor(t, council, ncert));
    CHECK(cf_topology_is_ancestor(t, ncert, state_bank));
    CHECK(cf_topology_is_ancestor(t, banking, state_bank));
    CHECK(cf_topology_is_ancestor(t, punjab, lahore));
    CHECK(!cf_topology_is_ancestor(t, punjab, state_bank));
    CHECK(!cf_topology_is_ancestor(t, banking, lahore));
    CHECK(!cf_topology_is_ancestor(t, state_bank, banking)); /* descendant, not ancestor */
    CHECK(!cf_topology_is_ancestor(t, lahore, council));
    CHECK(!cf_topology_is_ancestor(t, telecom, banking)); /* siblings */
    CHECK(!cf_topology_is_ancestor(t, banking, telecom));
    CHECK(!cf_topology_is_ancestor(t, banking, banking)); /* a != d */
    CHECK(!cf_topology_is_ancestor(t, council, council));
    cf_topology_free(t);

    /* err may be NULL */
    t = NULL;
    CHECK_ST(cf_topology_parse(national_ini, &t, NULL, 0), CF_OK);
    CHECK(t != NULL);
    cf_topology_free(t);
    cf_topology_free(NULL);
}

/* The embedded copy is the file in the source tree, when we know where it is. */
static void
test_national_file(void)
{
    const char *src = getenv("CERTFED_SOURCE");
    char *path;
    uint8_t *data = NULL;
    size_t len = 0;

    if (!src || !src[0]) {
        printf("test_federation_topology: CERTFED_SOURCE not set, not comparing the embedded "
               "national.ini with the file (skipped)\n");
        return;
    }
    path = cf_path_join(src, "federation/topologies/national.ini");
    CHECK(path != NULL);
    if (!path)
        return;
    CHECK_ST(cf_file_read(path, 1 << 20, &data, &len), CF_OK);
    if (data) {
        CHECK(len == strlen(national_ini));
        CHECK_STR((const char *)data, national_ini);
    }
    free(data);
    free(path);
}

static void
test_child_before_parent(void)
{
    static const char text[] = "[federation]\n"     /* 1 */
                               "name = pk\n"        /* 2 */
                               "[node lahore-it]\n" /* 3 */
                               "role = constituent\n"
                               "parent = punjab\n"
                               "[node state-bank]\n" /* 6 */
                               "role = constituent\n"
                               "parent = banking\n"
                               "[node punjab]\n" /* 9 */
                               "role = provincial\n"
                               "parent = ncert\n"
                               "[node banking]\n" /* 12 */
                               "role = sectoral\n"
                               "parent = ncert\n"
                               "[node ncert]\n" /* 15 */
                               "role = ncert\n"
                               "parent = council\n"
                               "[node council]\n" /* 18 */
                               "role = council\n";
    char err[256] = "";
    cf_topology *t = NULL;

    CHECK_ST(cf_topology_parse(text, &t, err, sizeof(err)), CF_OK);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "  child-before-parent: %s\n", err);
        return;
    }
    CHECK(t->n == 6);
    check_structure(t);
    if (t->n == 6) {
        CHECK_STR(t->nodes[0].id, "council");
        CHECK_STR(t->nodes[1].id, "ncert");
    }
    const cf_topo_node *lahore = cf_topology_find(t, "lahore-it");
    const cf_topo_node *bank = cf_topology_find(t, "state-bank");
    const cf_topo_node *punjab = cf_topology_find(t, "punjab");
    const cf_topo_node *council = cf_topology_find(t, "council");
    CHECK(lahore && bank && punjab && council);
    if (lahore && bank && punjab && council) {
        CHECK_STR(lahore->path, "council.ncert.punjab.lahore-it");
        CHECK_STR(bank->path, "council.ncert.banking.state-bank");
        CHECK(&t->nodes[lahore->parent_idx] == punjab);
        CHECK(cf_topology_is_ancestor(t, council, lahore));
        CHECK(!cf_topology_is_ancestor(t, punjab, bank));
        /* lines stay those of the file, whatever the new order */
        CHECK(lahore->line == 3);
        CHECK(bank->line == 6);
        CHECK(punjab->line == 9);
        CHECK(council->line == 18);
    }
    cf_topology_free(t);
}

/* Turn "\n" into "\r\n"; free() the result. */
static char *
to_crlf(const char *s)
{
    size_t n = 0;
    char *out, *o;

    for (const char *p = s; *p; p++)
        n += *p == '\n' ? 2 : 1;
    out = malloc(n + 1);
    if (!out)
        return NULL;
    o = out;
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            *o++ = '\r';
        *o++ = *p;
    }
    *o = 0;
    return out;
}

static void
test_crlf_and_comments(void)
{
    /* the sample with CRLF endings */
    char err[256] = "";
    cf_topology *t = NULL;
    char *crlf = to_crlf(national_ini);

    CHECK(crlf != NULL);
    if (crlf) {
        CHECK_ST(cf_topology_parse(crlf, &t, err, sizeof(err)), CF_OK);
        CHECK(t != NULL);
        if (t)
            check_national(t, true);
        else
            fprintf(stderr, "  CRLF national.ini: %s\n", err);
        cf_topology_free(t);
        t = NULL;
    }
    free(crlf);

    /* comments of both kinds, indented ones, blank lines with spaces, spaces
     * around '=' and no final newline */
    static const char commented[] = "; leading comment\n"
                                    "# another\n"
                                    "[federation]\n"
                                    "   ; indented comment\n"
                                    "name=pk\n"
                                    "  \t \n"
                                    "\t# tab-indented comment\n"
                                    "[node council]\n"
                                    "# the apex\n"
                                    "role   =   council\n"
                                    "\n"
                                    "[node ncert]\n"
                                    "; below the council\n"
                                    "role = ncert\n"
                                    "parent = council\n"
                                    "[node banking]\n"
                                    "role = sectoral\n"
                                    "# [node ghost] in a comment is no section\n"
                                    "; [node ghost2]\n"
                                    "parent = ncert";
    char *commented_crlf = to_crlf(commented);
    const char *texts[2] = {commented, commented_crlf};
    CHECK(commented_crlf != NULL);
    for (size_t k = 0; k < 2; k++) {
        if (!texts[k])
            continue;
        t = NULL;
        err[0] = 0;
        CHECK_ST(cf_topology_parse(texts[k], &t, err, sizeof(err)), CF_OK);
        CHECK(t != NULL);
        if (!t) {
            fprintf(stderr, "  commented topology (%s): %s\n", k ? "CRLF" : "LF", err);
            continue;
        }
        CHECK_STR(t->federation, "pk");
        CHECK(t->n == 3);
        check_structure(t);
        CHECK(cf_topology_find(t, "ghost") == NULL);
        CHECK(cf_topology_find(t, "ghost2") == NULL);
        const cf_topo_node *banking = cf_topology_find(t, "banking");
        const cf_topo_node *council = cf_topology_find(t, "council");
        CHECK(banking && council);
        if (banking && council) {
            CHECK_STR(banking->path, "council.ncert.banking");
            CHECK_STR(banking->parent, "ncert"); /* no '\r' left in values */
            CHECK(banking->role == CF_ROLE_SECTORAL);
            CHECK(banking->line == 16);
            CHECK(council->line == 8);
            CHECK(council->role == CF_ROLE_COUNCIL);
        }
        cf_topology_free(t);
    }
    free(commented_crlf);

    /* a file saved with a UTF-8 byte order mark, as some editors do */
    static const char bom[] = "\xEF\xBB\xBF[node council]\n"
                              "role = council\n"
                              "[federation]\n"
                              "name = pk\n";
    t = NULL;
    err[0] = 0;
    CHECK_ST(cf_topology_parse(bom, &t, err, sizeof(err)), CF_OK);
    if (t) {
        CHECK(t->n == 1 && t->nodes[0].role == CF_ROLE_COUNCIL);
        cf_topology_free(t);
    } else {
        fprintf(stderr, "  topology with a BOM: %s\n", err);
    }

    /* errors in a CRLF file name the right line too */
    char *bad = to_crlf(HEAD "[node ncert]\n"
                             "role = ncert\n"
                             "parent = nowhere\n");
    CHECK(bad != NULL);
    if (bad) {
        t = NULL;
        CHECK_ST(cf_topology_parse(bad, &t, err, sizeof(err)), CF_E_CONFIG);
        CHECK(t == NULL);
        CHECK(strncmp(err, "line 5: ", 8) == 0);
        CHECK(strstr(err, "'nowhere'") != NULL);
        CHECK(strchr(err, '\r') == NULL);
        free(bad);
    }
}

/* Parse text that must be rejected: CF_E_CONFIG, *out untouched and a
 * message. Returns the line the message starts with ("line N: "), else 0. */
static int
rejected(const char *text, char *err, size_t errlen)
{
    cf_topology *t = NULL;
    cf_status st;
    int line = 0;

    err[0] = 0;
    st = cf_topology_parse(text, &t, err, errlen);
    CHECK_ST(st, CF_E_CONFIG);
    CHECK(t == NULL);
    if (st == CF_OK)
        cf_topology_free(t);
    CHECK(err[0] != 0);
    if (sscanf(err, "line %d: ", &line) != 1)
        line = 0;
    return line;
}

/* A rejection whose message starts with "line N: " (no line prefix when line
 * is 0) and contains each non-NULL needle. */
static void
expect_reject(const char *what, const char *text, int line, const char *needle1,
              const char *needle2)
{
    char err[512];
    int before = check_failures;
    int got = rejected(text, err, sizeof(err));

    CHECK(got == line);
    if (line > 0) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "line %d: ", line);
        CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
    } else {
        CHECK(strncmp(err, "line ", 5) != 0);
    }
    if (needle1)
        CHECK(strstr(err, needle1) != NULL);
    if (needle2)
        CHECK(strstr(err, needle2) != NULL);
    if (check_failures != before)
        fprintf(stderr, "  ^ case '%s' (want line %d): err = \"%s\"\n", what, line, err);
}

/* A cycle must be rejected, and the line named must be that of a node on the
 * cycle, whose id the message also names. */
static void
expect_cycle(const char *what, const char *text, const int *lines, const char *const *ids, size_t n)
{
    char err[512];
    int before = check_failures;
    int got = rejected(text, err, sizeof(err));
    size_t hit = n;

    for (size_t i = 0; i < n; i++)
        if (got == lines[i])
            hit = i;
    CHECK(hit < n); /* the line of one of the nodes on the cycle */
    if (hit < n) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", ids[hit]);
        CHECK(strstr(err, quoted) != NULL);
    }
    CHECK(strstr(err, "cycle") != NULL);
    if (check_failures != before)
        fprintf(stderr, "  ^ case '%s': err = \"%s\"\n", what, err);
}

static void
test_rejections(void)
{
    /* roles */
    expect_reject("unknown role",
                  HEAD "[node ncert]\n"
                       "role = chief\n"
                       "parent = council\n",
                  6, "'chief'", "ncert");
    expect_reject("role root is not a topology role",
                  HEAD "[node ncert]\n"
                       "role = root\n"
                       "parent = council\n",
                  6, "'root'", NULL);
    expect_reject("role is case-sensitive",
                  HEAD "[node ncert]\n"
                       "role = NCERT\n"
                       "parent = council\n",
                  6, "'NCERT'", NULL);
    expect_reject("node without a role",
                  HEAD "[node ncert]\n"
                       "parent = council\n",
                  5, "'ncert'", "role");

    /* parents */
    expect_reject("missing parent",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "\n"
                       "[node banking]\n"
                       "role = sectoral\n",
                  9, "'banking'", "parent");
    expect_reject("unknown parent",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = counsil\n",
                  5, "'ncert'", "'counsil'");
    expect_reject("parent given twice",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "parent = council\n",
                  8, "'ncert'", "twice");

    expect_reject("role given twice",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "role = sectoral\n"
                       "parent = council\n",
                  7, "'ncert'", "twice");
    expect_reject("indented key read as a continuation by inih",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "  parent = council\n",
                  7, "indented", "first column");

    expect_reject("a section hidden behind a form feed",
                  HEAD "[node ncert]\n"
                       "\f[junk]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  6, "indented", "first column");

    /* the council */
    expect_reject("second council",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "[node council2]\n"
                       "role = council\n",
                  8, "'council2'", "council");
    expect_reject("council with a parent",
                  "[federation]\n"
                  "name = pk\n"
                  "[node council]\n"
                  "role = council\n"
                  "parent = ncert\n"
                  "[node ncert]\n"
                  "role = ncert\n"
                  "parent = council\n",
                  3, "'council'", "parent");
    expect_reject("no council at all",
                  "[federation]\n"
                  "name = pk\n"
                  "[node ncert]\n"
                  "role = ncert\n"
                  "parent = ncert2\n"
                  "[node ncert2]\n"
                  "role = ncert\n"
                  "parent = ncert\n",
                  0, "council", NULL);

    /* role rules between parent and child */
    expect_reject("sectoral below a provincial",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "[node punjab]\n"
                       "role = provincial\n"
                       "parent = ncert\n"
                       "[node bank]\n"
                       "role = sectoral\n"
                       "parent = punjab\n",
                  11, "'bank'", "'punjab'");
    expect_reject("constituent directly below the ncert",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "[node shop]\n"
                       "role = constituent\n"
                       "parent = ncert\n",
                  8, "'shop'", "'ncert'");
    expect_reject("sectoral directly below the council",
                  HEAD "[node bank]\n"
                       "role = sectoral\n"
                       "parent = council\n",
                  5, "'bank'", "'council'");

    /* cycles: the line and id named are those of a node on the cycle */
    {
        static const int lines[] = {5, 8};
        static const char *const ids[] = {"a", "b"};
        expect_cycle("two ncerts, each the other's parent",
                     HEAD "[node a]\n"
                          "role = ncert\n"
                          "parent = b\n"
                          "[node b]\n"
                          "role = ncert\n"
                          "parent = a\n",
                     lines, ids, 2);
        expect_cycle("sectoral and provincial, each the other's parent",
                     HEAD "[node a]\n"
                          "role = sectoral\n"
                          "parent = b\n"
                          "[node b]\n"
                          "role = provincial\n"
                          "parent = a\n",
                     lines, ids, 2);
    }
    {
        static const int lines[] = {5};
        static const char *const ids[] = {"a"};
        expect_cycle("own parent",
                     HEAD "[node a]\n"
                          "role = ncert\n"
                          "parent = a\n",
                     lines, ids, 1);
    }
    {
        static const int lines[] = {5, 8, 11};
        static const char *const ids[] = {"a", "b", "c"};
        expect_cycle("three ncerts in a ring",
                     HEAD "[node a]\n"
                          "role = ncert\n"
                          "parent = c\n"
                          "[node b]\n"
                          "role = ncert\n"
                          "parent = a\n"
                          "[node c]\n"
                          "role = ncert\n"
                          "parent = b\n",
                     lines, ids, 3);
    }
    {
        /* a node that hangs below a cycle is declared first: the cycle is
         * a <-> b, and leaf is not on it */
        static const int lines[] = {8, 11};
        static const char *const ids[] = {"a", "b"};
        expect_cycle("cycle below a node declared first",
                     HEAD "[node leaf]\n"
                          "role = constituent\n"
                          "parent = a\n"
                          "[node a]\n"
                          "role = sectoral\n"
                          "parent = b\n"
                          "[node b]\n"
                          "role = provincial\n"
                          "parent = a\n",
                     lines, ids, 2);
    }

    /* ids */
    expect_reject("duplicate id",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent = council\n"
                       "[node banking]\n"
                       "role = sectoral\n"
                       "parent = ncert\n"
                       "\n"
                       "[node banking]\n"
                       "role = sectoral\n"
                       "parent = ncert\n",
                  12, "'banking'", "line 8");
    expect_reject("duplicate council id",
                  HEAD "[node council]\n"
                       "role = council\n",
                  5, "'council'", "line 3");
    expect_reject("uppercase id",
                  HEAD "[node Banking]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'Banking'", NULL);
    expect_reject("33-character id",
                  HEAD "[node abcdefghijklmnopqrstuvwxyz0123456]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'abcdefghijklmnopqrstuvwxyz0123456'", NULL);
    expect_reject("id 'in' is reserved",
                  HEAD "[node in]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'in'", NULL);
    expect_reject("id 'down' is reserved",
                  HEAD "[node down]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'down'", NULL);
    expect_reject("id with a dot",
                  HEAD "[node n.cert]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'n.cert'", NULL);
    expect_reject("id with a wildcard",
                  HEAD "[node n*]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "'n*'", NULL);
    expect_reject("empty id",
                  HEAD "[node ]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "''", NULL);
    expect_reject("invalid council id",
                  "[federation]\n"
                  "name = pk\n"
                  "\n"
                  "[node The_Council]\n"
                  "role = council\n",
                  4, "'The_Council'", NULL);
    {
        /* 32 characters is the most an id may have */
        cf_topology *t = NULL;
        char err[256] = "";
        CHECK_ST(cf_topology_parse(HEAD "[node abcdefghijklmnopqrstuvwxyz-01234]\n"
                                        "role = ncert\n"
                                        "parent = council\n",
                                   &t, err, sizeof(err)),
                 CF_OK);
        if (t) {
            CHECK(t->n == 2);
            CHECK(cf_topology_find(t, "abcdefghijklmnopqrstuvwxyz-01234") != NULL);
        } else {
            fprintf(stderr, "  32-character id: %s\n", err);
        }
        cf_topology_free(t);
    }

    /* sections and keys */
    expect_reject("unknown section",
                  HEAD "[nodes ncert]\n"
                       "role = ncert\n"
                       "parent = council\n",
                  5, "nodes ncert", NULL);
    expect_reject("[node] without an id",
                  HEAD "[node]\n"
                       "role = ncert\n",
                  5, "[node]", NULL);
    expect_reject("unknown key in a node",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "colour = green\n"
                       "parent = council\n",
                  7, "'colour'", NULL);
    expect_reject("unknown key in [federation]",
                  "[federation]\n"
                  "name = pk\n"
                  "owner = someone\n"
                  "[node council]\n"
                  "role = council\n",
                  3, "'owner'", NULL);
    expect_reject("key outside any section",
                  "# a comment first\n"
                  "name = pk\n"
                  "[federation]\n"
                  "name = pk\n"
                  "[node council]\n"
                  "role = council\n",
                  2, "'name'", "section");
    expect_reject("second [federation]",
                  HEAD "[federation]\n"
                       "name = pk\n",
                  5, "[federation]", "line 1");
    expect_reject("federation name twice",
                  "[federation]\n"
                  "name = pk\n"
                  "name = pk\n"
                  "[node council]\n"
                  "role = council\n",
                  3, "name", "twice");
    expect_reject("invalid federation name",
                  "[federation]\n"
                  "name = P.K\n"
                  "[node council]\n"
                  "role = council\n",
                  2, "'P.K'", NULL);
    expect_reject("missing [federation] name",
                  "\n"
                  "[federation]\n"
                  "[node council]\n"
                  "role = council\n",
                  2, "[federation]", "name");
    expect_reject("no [federation] section at all",
                  "[node council]\n"
                  "role = council\n",
                  0, "[federation]", "name");
    expect_reject("syntax error", HEAD "[node ncert\n", 5, "syntax", NULL);
    expect_reject("line that is neither a section nor a key",
                  HEAD "[node ncert]\n"
                       "role = ncert\n"
                       "parent council\n",
                  7, "syntax", NULL);

    /* nothing to parse */
    expect_reject("empty input", "", 0, NULL, NULL);
    expect_reject("comments only",
                  "# nothing\n"
                  "; here\n",
                  0, NULL, NULL);
    expect_reject("federation without nodes",
                  "[federation]\n"
                  "name = pk\n",
                  0, "node", NULL);
}

/* Lines longer than the reader's buffer are refused with their number; the
 * longest line it allows is the one its message names. */
static void
test_long_lines(void)
{
    char err[512];
    char text[1024];
    char comment[600];
    int max = 0;
    cf_topology *t = NULL;

    /* a 300-character comment on line 5 */
    memset(comment, 'x', 300);
    comment[0] = '#';
    comment[300] = 0;
    snprintf(text, sizeof(text), HEAD "%s\n[node ncert]\nrole = ncert\nparent = council\n",
             comment);
    expect_reject("300-character line", text, 5, "too long", NULL);

    /* a long value rather than a comment */
    memset(comment, 'a', 500);
    comment[500] = 0;
    snprintf(text, sizeof(text), HEAD "[node ncert]\nrole = ncert\nparent = %s\n", comment);
    expect_reject("500-character parent", text, 7, "too long", NULL);

    /* the limit the message states is accepted; one more is refused */
    (void)rejected(text, err, sizeof(err));
    CHECK(sscanf(strstr(err, "at most ") ? strstr(err, "at most ") : "", "at most %d", &max) == 1);
    CHECK(max > 40 && max < 500);
    if (max > 40 && max < 500) {
        memset(comment, 'y', (size_t)max);
        comment[0] = '#';
        comment[max] = 0;
        snprintf(text, sizeof(text), HEAD "%s\n[node ncert]\nrole = ncert\nparent = council\n",
                 comment);
        err[0] = 0;
        CHECK_ST(cf_topology_parse(text, &t, err, sizeof(err)), CF_OK);
        if (t)
            CHECK(t->n == 2);
        else
            fprintf(stderr, "  a %d-character line: %s\n", max, err);
        cf_topology_free(t);
        t = NULL;

        comment[max] = 'y';
        comment[max + 1] = 0;
        snprintf(text, sizeof(text), HEAD "%s\n[node ncert]\nrole = ncert\nparent = council\n",
                 comment);
        expect_reject("one character over the limit", text, 5, "too long", NULL);
    }
}

/* A small or absent error buffer is never overrun (ASan watches). */
static void
test_small_err_buffer(void)
{
    char small[8];
    cf_topology *t = NULL;
    static const char bad[] = HEAD "[node ncert]\nrole = chief\nparent = council\n";

    memset(small, 'z', sizeof(small));
    CHECK_ST(cf_topology_parse(bad, &t, small, sizeof(small)), CF_E_CONFIG);
    CHECK(t == NULL);
    CHECK(memchr(small, 0, sizeof(small)) != NULL);
    CHECK(strncmp(small, "line 6:", 7) == 0);
    CHECK_ST(cf_topology_parse(bad, &t, NULL, 0), CF_E_CONFIG);
    CHECK(t == NULL);
    CHECK_ST(cf_topology_parse(bad, &t, small, 0), CF_E_CONFIG);
    CHECK(t == NULL);
}

/* CF_TOPOLOGY_MAX_NODES nodes parse; one more is refused on its line. */
static void
test_max_nodes(void)
{
    cf_buf b;
    cf_status st;
    cf_topology *t = NULL;
    char err[256] = "";
    int line = 7; /* lines used by [federation], the council and the ncert */
    int extra_line;

    cf_buf_init(&b);
    st = cf_buf_append_str(&b, "[federation]\nname = pk\n[node council]\nrole = council\n"
                               "[node ncert]\nrole = ncert\nparent = council\n");
    for (int i = 0; st == CF_OK && i < CF_TOPOLOGY_MAX_NODES - 2; i++) {
        st = cf_buf_printf(&b, "[node s%d]\nrole = sectoral\nparent = ncert\n", i);
        line += 3;
    }
    CHECK_ST(st, CF_OK);
    if (st != CF_OK) {
        cf_buf_clear(&b);
        return;
    }
    CHECK_ST(cf_topology_parse((const char *)b.data, &t, err, sizeof(err)), CF_OK);
    if (t) {
        CHECK(t->n == CF_TOPOLOGY_MAX_NODES);
        check_structure(t);
        const cf_topo_node *last = cf_topology_find(t, "s9997");
        CHECK(last != NULL);
        if (last)
            CHECK_STR(last->path, "council.ncert.s9997");
    } else {
        fprintf(stderr, "  %d nodes: %s\n", CF_TOPOLOGY_MAX_NODES, err);
    }
    cf_topology_free(t);

    extra_line = line + 1;
    st = cf_buf_append_str(&b, "[node one-too-many]\nrole = sectoral\nparent = ncert\n");
    CHECK_ST(st, CF_OK);
    if (st == CF_OK)
        expect_reject("one node over the limit", (const char *)b.data, extra_line, "too many",
                      NULL);
    cf_buf_clear(&b);
}

static void
test_role_may_parent(void)
{
    for (int p = CF_ROLE_NONE; p <= CF_ROLE_MAX; p++) {
        for (int c = CF_ROLE_NONE; c <= CF_ROLE_MAX; c++) {
            bool want =
                (c == CF_ROLE_NCERT && p == CF_ROLE_COUNCIL) ||
                ((c == CF_ROLE_SECTORAL || c == CF_ROLE_PROVINCIAL) && p == CF_ROLE_NCERT) ||
                (c == CF_ROLE_CONSTITUENT && (p == CF_ROLE_SECTORAL || p == CF_ROLE_PROVINCIAL));
            bool got = cf_role_may_parent((cf_role)p, (cf_role)c);
            CHECK(got == want);
            if (got != want)
                fprintf(stderr, "  cf_role_may_parent(%d, %d) is %d\n", p, c, got);
        }
    }
}

int
main(void)
{
    test_national();
    test_national_file();
    test_child_before_parent();
    test_crlf_and_comments();
    test_rejections();
    test_long_lines();
    test_small_err_buffer();
    test_max_nodes();
    test_role_may_parent();
    return check_done("test_federation_topology");
}
