/*
 * federation.h - the pure rules of the hierarchy (DESIGN.md section 4): the
 * topology file, the NATS subjects a node uses, and the transport
 * permissions each node's nkey gets on the nats-server.
 *
 * No I/O: functions take text and structs and return decisions or text, so
 * every rule is unit-testable. A cf_topology is immutable once parsed and may
 * be read from any thread.
 */
#ifndef CF_FEDERATION_H
#define CF_FEDERATION_H

#include "keys/keys.h"

/* Subjects all start with this token. */
#define CF_SUBJECT_ROOT "certfed"
/* The most nodes a topology may name; a bound on what a file can make us do. */
#define CF_TOPOLOGY_MAX_NODES 10000

typedef struct cf_topo_node {
    char *id;
    cf_role role;
    char *parent;      /* NULL for the Council */
    size_t parent_idx; /* index in nodes, or SIZE_MAX for the Council */
    char *path;        /* ancestry joined by dots: "council.ncert.banking" */
    int line;          /* line of its [node ...] section */
} cf_topo_node;

typedef struct cf_topology {
    char *federation;
    cf_topo_node *nodes; /* parents before children */
    size_t n;
} cf_topology;

/**
 * Parse a topology file's text (DESIGN.md section 8) and check it: known
 * roles, valid and unique ids, exactly one Council, every other node with a
 * known parent of a role that may have it as a child, no cycle.
 * @param err  on failure a message naming the line ("line 12: ..."), may be NULL
 * @return CF_OK, CF_E_CONFIG, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_topology_parse(const char *text, cf_topology **out, char *err,
                                          size_t errlen);
void cf_topology_free(cf_topology *t);
/**
 * The hierarchy as a node knows it at run time: one entry per node with a
 * valid certificate in the trust store (role, parent), checked like a
 * topology file. A receiver decides from this, never from a subject.
 * @return CF_OK, CF_E_CONFIG (err says why: e.g. a node whose parent has
 *         no valid certificate), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_topology_from_trust(const cf_trust *trust, int64_t now_ms,
                                               cf_topology **out, char *err, size_t errlen);
/** The node with this id, or NULL. */
const cf_topo_node *cf_topology_find(const cf_topology *t, const char *id);
/** Is a an ancestor of d (a != d)? */
bool cf_topology_is_ancestor(const cf_topology *t, const cf_topo_node *a, const cf_topo_node *d);

/** May a node of role parent have a direct child of role child? */
bool cf_role_may_parent(cf_role parent, cf_role child);
/** May a node of this role broadcast this message type to its subtree (its
 * own down subject, CF_AUTHZ_SUBTREE in the authorization table)? */
bool cf_role_may_broadcast(cf_role role, cf_msg_type type);

/** A list of owned strings. */
typedef struct cf_strlist {
    char **v;
    size_t n;
} cf_strlist;

void cf_strlist_clear(cf_strlist *l);
/** Append a copy of s. @return CF_OK or CF_E_NOMEM */
CF_MUST_CHECK cf_status cf_strlist_add(cf_strlist *l, const char *s);

/* ---- the authorization table (federation/AUTHORIZATION.md) ----------------
 *
 * One table of role x message type x direction says who may originate,
 * relay and receive each kind of message, and relative to whom. It is the
 * single source of the role-level rule: cf_rule_originate and
 * cf_rule_receive consult it before their finer checks, cf_permissions and
 * cf_role_may_broadcast derive the nats-server permissions from it, and
 * federation/AUTHORIZATION.md prints it (a unit test keeps the two equal).
 */

typedef enum cf_authz_dir {
    CF_AUTHZ_ORIGINATE = 1, /* sign and send a message of one's own */
    CF_AUTHZ_RELAY = 2,     /* pass on another node's signed message unchanged */
    CF_AUTHZ_RECEIVE = 3,   /* accept and store another node's message */
} cf_authz_dir;

#define CF_AUTHZ_DIR_MAX CF_AUTHZ_RECEIVE

/*
 * A cell of the table is a set of these relations; an empty set forbids.
 * For originate and relay they say where the node may send the message,
 * for receive from whom (the message's origin) it may accept it.
 */
#define CF_AUTHZ_SELF 0x01u        /* originate: kept in its own log only; receive: its own */
#define CF_AUTHZ_PARENT 0x02u      /* the parent's inbox / from the parent */
#define CF_AUTHZ_ANCESTORS 0x04u   /* ancestors above the parent */
#define CF_AUTHZ_CHILDREN 0x08u    /* the children */
#define CF_AUTHZ_DESCENDANTS 0x10u /* descendants below the children */
#define CF_AUTHZ_SUBTREE 0x20u     /* originate and relay: its own down subject */
#define CF_AUTHZ_OTHERS 0x40u      /* receive: any node none of the above */
#define CF_AUTHZ_OFFLINE 0x80u     /* originate: signed offline (the root) */
/* Every node that is an inbox away: the nodes a node exchanges messages with. */
#define CF_AUTHZ_RELATIVES                                                                         \
    (CF_AUTHZ_PARENT | CF_AUTHZ_ANCESTORS | CF_AUTHZ_CHILDREN | CF_AUTHZ_DESCENDANTS)

/** "originate", "relay", "receive", or NULL. */
const char *cf_authz_dir_name(int dir);

/**
 * The cell of the table for (role, type, direction): the relations a node of
 * this role may send such a message to (originate, relay) or accept it from
 * (receive); 0 when the role may not. The root signs only member
 * certificates and revocations, offline; roles, types and directions
 * outside the table give 0.
 */
unsigned cf_authz_scope(cf_role role, cf_msg_type type, cf_authz_dir dir);

/** How x is related to n: exactly one of the CF_AUTHZ_* relation bits. */
unsigned cf_authz_relation(const cf_topology *t, const cf_topo_node *n, const cf_topo_node *x);

/**
 * The role whose row of the table rules a message of this type from origin:
 * the origin's role, except that member certificates and revocations in the
 * apex's name are the root's (the root certificate names the Council's node;
 * the Council's own node key certifies no one).
 */
cf_role cf_authz_role(const cf_topo_node *origin, cf_msg_type type);

/** Why the table refuses this type in this direction (receive: the
 * receiver's cell; originate and relay: the sender's), for logs and the
 * operator. Never NULL. */
const char *cf_authz_refusal(cf_msg_type type, cf_authz_dir dir);

/**
 * Append the table as Markdown (the text federation/AUTHORIZATION.md holds).
 * @param out  the table is appended; on failure out may hold part of it
 * @return CF_OK, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_authz_markdown(cf_buf *out);

/* ---- who may send what (DESIGN.md section 4) ------------------------------ */

/* Severity from which NCERT escalates an incident to the Council. */
#define CF_SEVERITY_ESCALATE 3 /* SEV_HIGH: high, severe and emergency */

/**
 * May the origin named in b's header originate this body? Checked by the
 * sender before anything is stored, and by every receiver from the signer's
 * certificate (the caller has checked that the signer's certificate is the
 * origin's). First the authorization table: may the origin's role
 * (cf_authz_role) originate this type at all? Then the finer rules: the
 * owner reports and updates an incident; a node tasks only its
 * descendants; an assignee answers for itself; only the Council issues
 * directives; a node acknowledges for itself.
 * @param why  on refusal a short reason for the log and the operator
 * @return CF_OK, CF_E_UNAUTHORIZED, CF_E_MALFORMED (a body missing what its
 *         type needs, e.g. a tasking with no assignee)
 */
CF_MUST_CHECK cf_status cf_rule_originate(const cf_topology *t, const cf_body *b, const char **why);

/**
 * May node self accept this body, which cf_rule_originate allowed? First the
 * authorization table: may the origin's role originate this type, and may
 * self's role receive it from a node related to it as the origin is? Then
 * the finer rules: incidents come only from self's subtree; taskings only
 * to their assignees; task statuses only from self's descendants; acks and
 * directives from wherever the table lets them come. Checks that need the store (is the task ours,
 * is the acked message ours) are the node's.
 * @return CF_OK, CF_E_UNAUTHORIZED
 */
CF_MUST_CHECK cf_status cf_rule_receive(const cf_topology *t, const char *self, const cf_body *b,
                                        const char **why);

/**
 * May a node hand node `to` a copy of this stored message (catch-up)? Only
 * if `to` would have been sent it: its own messages; incidents of its
 * subtree (the Council: those of its children, and from further down only
 * escalated ones); taskings it is assigned; directives that apply to it;
 * task statuses and acks answering `to` (answered: the node the status or
 * ack answers, the task's issuer or the acked message's origin, when the
 * caller knows it; NULL otherwise, and then none is handed out).
 */
bool cf_rule_entitled(const cf_topology *t, const char *to, const cf_body *b, const char *answered);

/** cf_rule_entitled for an incident, from the two things it reads of one:
 * its origin and its severity (a catch-up answer asks before it decodes). */
bool cf_rule_incident_entitled(const cf_topology *t, const char *to, const char *origin,
                               int severity);

/** Does a directive apply to node (its roles, sectors and provinces)? */
bool cf_rule_directive_applies(const cf_topology *t, const cf_topo_node *node,
                               const cf_directive *d);

/**
 * Should self pass an incident it received (or reported) on to its parent?
 * Every node passes its subtree's incidents up, except that NCERT passes to
 * the Council only those of severity CF_SEVERITY_ESCALATE or more.
 */
bool cf_rule_forward_up(const cf_topology *t, const char *self, const cf_body *b);

/**
 * Where a message self sends goes: the subjects to publish it on and the
 * nodes expected to acknowledge it. reply_to is the node a task status or
 * an ack answers (the task's issuer, the acked message's origin); NULL
 * otherwise. Incidents go to the parent's inbox, taskings to each
 * assignee's, directives on the Council's down subject to every node in
 * scope, answers to reply_to's inbox.
 * @return CF_OK, CF_E_INVALID_ARG (self or reply_to unknown), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_route(const cf_topology *t, const char *self, const cf_body *b,
                                 const char *reply_to, cf_strlist *out_subjects,
                                 cf_strlist *out_recipients);

/* ---- subjects ---------------------------------------------------------- */

/** "certfed.<path>.in.<type>", or "certfed.<path>.in.>" when type is 0. */
CF_MUST_CHECK cf_status cf_subject_inbox(const char *path, int type, cf_buf *out);
/** "certfed.<path>.down.<type>", or "certfed.<path>.down.>" when type is 0. */
CF_MUST_CHECK cf_status cf_subject_down(const char *path, int type, cf_buf *out);

/* ---- transport permissions ------------------------------------------------ */

/**
 * The subjects a node's transport key may publish to and subscribe to,
 * derived from the authorization table. It publishes to
 * "certfed.<path>.in.<type>" of a relative exactly for the types whose
 * originate or relay cell of its role covers its relation to that relative
 * (cf_authz_relation: reports to the parent, taskings down, acks back to
 * origins), and to its own down subject of each type the table lets it
 * broadcast; it subscribes to its own inbox ("in.>") and to the down
 * subjects of its ancestors. So the server refuses every publish the table
 * forbids; receivers check the signer's certificate against the table all
 * the same, and never trust a subject (federation/AUTHORIZATION.md).
 * @param out_pub, out_sub  on CF_OK new lists (cf_strlist_clear), untouched
 *                          otherwise
 * @return CF_OK, CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_permissions(const cf_topology *t, const cf_topo_node *node,
                                       cf_strlist *out_pub, cf_strlist *out_sub);

/**
 * A nats-server configuration whose users are the nodes' transport nkeys,
 * each with the permissions of cf_permissions(). The listen port is left to
 * the command line. nkeys[i] is node i's public nkey ("U...").
 */
CF_MUST_CHECK cf_status cf_nats_server_config(const cf_topology *t, const char *const *nkeys,
                                              size_t max_payload, cf_buf *out);

/* ---- the hub-and-leaf layout (DESIGN.md section 9) ------------------------ */

/* Where leaf servers find the hub unless told otherwise: the standard port. */
#define CF_HUB_LEAF_PORT 7422
/* The longest leaf password; its characters are [A-Za-z0-9._~-]. */
#define CF_LEAF_PASSWORD_MAX 128

/**
 * The nats-server configuration of the national hub: each node's leaf
 * server logs in as user "leaf-<id>" with passwords[i] to an account of its
 * own, named after the node, with the permissions of cf_permissions(). Each
 * account exports exactly the subjects its node may publish to the accounts
 * of the nodes whose subscribe permissions cover them, which import them, so
 * nothing a leaf sends beyond its node's permissions reaches another CERT,
 * even from a leaf server that ignores the permissions. The leaf-node
 * listener is `listen` ("host:port"), alone on the line `  listen: "..."`
 * so scripts can rewrite it; the client listen address is left to the
 * command line.
 * @param passwords  per node (topology order), each of CF_LEAF_PASSWORD_MAX
 *                   characters at most from [A-Za-z0-9._~-] (borrowed)
 * @param out        the text is appended; untouched on failure
 * @return CF_OK, CF_E_INVALID_ARG (an empty or unusable password or listen
 *         address), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_nats_hub_config(const cf_topology *t, const char *const *passwords,
                                           const char *listen, size_t max_payload, cf_buf *out);

/**
 * The nats-server configuration of node's leaf server: one user, the node's
 * transport nkey ("U...") with the permissions of cf_permissions(), and one
 * remote, the hub at `hub` ("host:port"), logged in to as "leaf-<id>" with
 * password, on the line `      url: "nats-leaf://leaf-<id>:<password>@<hub>"`.
 * The client listen address is left to the command line.
 * @param out  the text is appended; untouched on failure
 * @return CF_OK, CF_E_INVALID_ARG (a malformed nkey, an unusable password or
 *         hub address), CF_E_NOMEM
 */
CF_MUST_CHECK cf_status cf_nats_leaf_config(const cf_topology *t, const cf_topo_node *node,
                                            const char *nkey, const char *password, const char *hub,
                                            size_t max_payload, cf_buf *out);

#endif
