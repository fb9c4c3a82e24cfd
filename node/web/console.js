// console.js - certfed's web console: one page, plain JavaScript, served by
// the node itself (node/web/, built into certfedd). It talks to the node's
// HTTP API with the operator's bearer token (kept in sessionStorage, this
// tab only) and listens to GET /api/events to refresh what it shows.
// Everything the API returns is attacker-controlled text (incident titles
// come from other CERTs): it is rendered with textContent only, never as HTML.
"use strict";

const TOKEN_KEY = "certfed.token";
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem(TOKEN_KEY);
let me = null; // GET /api/status
let current = "federation";
let shownIncident = null;
let shownDirective = null;
let source = null;
let refreshTimer = null;
let seenIncidents = null; // ids listed last time, to mark the new ones

// ---- building DOM from data, as text --------------------------------------------------------

// el("td", {class: "x"}, "text", otherNode): attributes and text children only
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "onclick") e.addEventListener("click", v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function when(ts) {
  if (!ts) return "—";
  const d = new Date(ts);
  return isNaN(d) ? String(ts) : d.toLocaleString();
}

const TLPS = ["clear", "green", "amber", "amber+strict", "red"];
function tlpBadge(tlp) {
  const t = TLPS.includes(tlp) ? tlp : "unspecified";
  return el("span", { class: "tlp tlp-" + t, dataset: { tlp: t } }, "TLP:" + t.toUpperCase());
}

// The API leaves out what this node cannot open; should it ever return a
// sealed incident, show that it is sealed rather than an empty row.
function isSealed(inc) {
  return inc.sealed === true || (inc.title === undefined && inc.tlp === "red");
}

function flash(text, isError) {
  const f = $("#flash");
  f.textContent = text;
  f.className = isError ? "flash error" : "flash";
  f.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => (f.hidden = true), isError ? 10000 : 4000);
}

// ---- the API ---------------------------------------------------------------------------------

class ApiError extends Error {}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  try {
    data = await r.json();
  } catch (e) {
    data = null;
  }
  if (r.status === 401) {
    logout("The token was refused.");
    throw new ApiError("unauthenticated");
  }
  if (!r.ok) throw new ApiError((data && data.error) || "HTTP " + r.status);
  return data;
}

// ---- login -----------------------------------------------------------------------------------

function logout(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  if (source) source.close();
  source = null;
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = why || "";
  setLive(false);
}

async function login(t) {
  token = t;
  try {
    me = await api("GET", "/api/status");
  } catch (e) {
    if (!(e instanceof ApiError) || e.message !== "unauthenticated")
      $("#login-error").textContent = "The node did not answer: " + e.message;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, t);
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  $("#whoami").textContent = `${me.node} (${me.role}) of ${me.federation}`;
  $("#issue-box").hidden = me.role !== "council";
  listen();
  await refresh();
}

// ---- live updates ----------------------------------------------------------------------------

function setLive(on) {
  const l = $("#live");
  l.textContent = on ? "live" : "offline";
  l.className = on ? "live on" : "live off";
}

function listen() {
  if (source) source.close();
  // EventSource cannot send a header: the API takes the token in the query
  // on this endpoint only
  source = new EventSource("/api/events?token=" + encodeURIComponent(token));
  source.onopen = () => setLive(true);
  source.onerror = () => setLive(false); // it reconnects by itself
  source.onmessage = () => refreshSoon();
  source.addEventListener("reset", () => refreshSoon());
}

// A form inside what a refresh redraws (a task's status, a directive's ack,
// an incident's update) that the operator is using: redrawing would throw
// away what they typed.
const TYPING_MS = 30000;
const EDITED_FORMS = "#task-list form, #directive-detail form, #incident-detail form";
function busy() {
  const a = document.activeElement;
  if (a && a.closest && a.closest(EDITED_FORMS)) return true;
  for (const f of document.querySelectorAll(EDITED_FORMS))
    if (Date.now() - Number(f.dataset.touched || 0) < TYPING_MS) return true;
  return false;
}
document.addEventListener("input", (ev) => {
  const f = ev.target.closest && ev.target.closest("form");
  if (f) f.dataset.touched = String(Date.now());
});

// events come in bursts (a batch, a catch-up): one refresh for a burst;
// none while a form in the view is in use (it comes once it is not)
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => (busy() ? refreshSoon() : refresh().catch(() => {})), busy() ? 1000 : 150);
}

async function refresh() {
  try {
    if (current === "federation") await showFederation();
    else if (current === "incidents") await showIncidents();
    else if (current === "tasks") await showTasks();
    else if (current === "directives") await showDirectives();
  } catch (e) {
    if (e.message !== "unauthenticated") flash(e.message, true);
  }
}

function selectTab(name) {
  current = name;
  for (const b of document.querySelectorAll("#tabs button"))
    b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll("section.tab")) s.hidden = s.id !== "tab-" + name;
  refresh();
}

// ---- federation ------------------------------------------------------------------------------

function nodeBox(name, role, self, peer) {
  const box = el("span", { class: "node" + (self ? " self" : ""), dataset: { node: name } },
    el("strong", {}, name), el("span", { class: "muted" }, role || ""));
  if (self) {
    box.append(el("span", { class: "link " + (me.connected ? "link-up" : "link-down") },
      me.connected ? "this node: NATS connected" : "this node: NATS down"));
  } else if (peer) {
    box.append(el("span", { class: "link link-" + (peer.link || "unknown") }, peer.link || "unknown"),
      el("span", { class: "muted" }, "last contact " + when(peer.last_contact)));
  }
  return box;
}

// The whole national tree from the topology every node holds: this node's
// parent and children with their link state, every other node with the
// last time a message of it reached this node.
async function showFederation() {
  const [status, peers] = await Promise.all([api("GET", "/api/status"), api("GET", "/api/peers")]);
  me = status;
  const links = new Map((status.peers || []).map((p) => [p.node, p]));
  const all = (peers.peers || []).slice();
  all.push({ node: status.node, role: status.role, parent: null, self: true });
  const parentOf = new Map(all.filter((p) => p.parent).map((p) => [p.node, p.parent]));
  if (!parentOf.has(status.node)) {
    const up = all.find((p) => p.relation === "parent");
    if (up) parentOf.set(status.node, up.node);
  }
  const kids = new Map();
  for (const p of all) {
    const up = parentOf.get(p.node);
    if (!kids.has(up || "")) kids.set(up || "", []);
    kids.get(up || "").push(p);
  }
  const item = (p) => {
    const direct = p.relation === "parent" || p.relation === "child";
    const box = nodeBox(p.node, p.role, !!p.self, direct ? links.get(p.node) || {} : null);
    if (!p.self && !direct)
      box.append(el("span", { class: "muted" }, "last heard " + when(p.last_contact)));
    const li = el("li", {}, box);
    const below = kids.get(p.node) || [];
    if (below.length) li.append(el("ul", {}, ...below.map(item)));
    return li;
  };
  const roots = kids.get("") || [];
  const tree = $("#fed-tree");
  tree.replaceChildren(el("ul", { class: "tree" }, ...roots.map(item)),
    el("p", { class: "muted" },
      `${all.length} nodes. Path ${status.path}; own sequence ${status.seq}; outbox ${status.outbox}; started ${when(status.started)}.`));
}

// ---- incidents -------------------------------------------------------------------------------

function incidentQuery() {
  const f = new FormData($("#incident-filters"));
  const q = new URLSearchParams();
  for (const [k, v] of f) if (String(v).trim()) q.set(k, String(v).trim());
  const s = q.toString();
  return "/api/incidents" + (s ? "?" + s : "");
}

async function showIncidents() {
  const list = await api("GET", incidentQuery());
  const body = $("#incident-list tbody");
  const rows = [];
  const ids = new Set();
  for (const inc of list) {
    ids.add(inc.id);
    const sealed = isSealed(inc);
    const fresh = seenIncidents && !seenIncidents.has(inc.id);
    rows.push(el("tr", { dataset: { id: inc.id }, class: fresh ? "fresh" : null, onclick: () => showIncident(inc.id) },
      el("td", {}, inc.id), el("td", {}, tlpBadge(inc.tlp)),
      el("td", { class: "sev-" + inc.severity }, inc.severity || ""), el("td", {}, inc.status || ""),
      sealed ? el("td", { class: "sealed" }, "sealed: not readable on this node") : el("td", { class: "title" }, inc.title || ""),
      el("td", {}, inc.sector || ""), el("td", {}, inc.province || ""), el("td", {}, inc.owner || ""),
      el("td", {}, when(inc.updated))));
  }
  seenIncidents = ids;
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No incident matches.")));
  body.replaceChildren(...rows);
  if (shownIncident) await showIncident(shownIncident, true);
}

function dl(pairs) {
  const d = el("dl");
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== "") d.append(el("dt", {}, k), el("dd", {}, v));
  return d;
}

async function showIncident(id, quiet) {
  const box = $("#incident-detail");
  let inc;
  try {
    inc = await api("GET", "/api/incidents/" + encodeURIComponent(id));
  } catch (e) {
    if (!quiet) flash(e.message, true);
    return;
  }
  shownIncident = id;
  const parts = [el("h3", {}, "Incident ", inc.id, " ", tlpBadge(inc.tlp), " revision " + inc.revision)];
  if (isSealed(inc)) {
    parts.push(el("p", { class: "sealed" }, "sealed: not readable on this node"));
  } else {
    parts.push(dl([["Title", inc.title], ["Description", inc.description], ["Severity", inc.severity],
      ["Status", inc.status], ["Owner", inc.owner], ["Analyst", inc.analyst], ["Sector", inc.sector],
      ["Province", inc.province], ["Constituent", inc.constituent],
      ["RSIT", [inc.rsit_class, inc.rsit_type].filter(Boolean).join(" / ")],
      ["Confidence", inc.confidence], ["Determination", inc.determination === "unspecified" ? "" : inc.determination],
      ["PAP", inc.pap === "unspecified" ? "" : inc.pap], ["Related", (inc.related || []).join(", ")],
      ["Duplicate of", inc.duplicate_of], ["Supersedes", inc.supersedes],
      ["Detected", inc.detected && when(inc.detected)],
      ["Reported", when(inc.reported)], ["Updated", when(inc.updated)], ["Note", inc.note]]));
    if ((inc.observables || []).length) {
      parts.push(el("h3", {}, "Observables"));
      const t = el("table", { class: "list" }, el("tr", {}, el("th", {}, "Type"), el("th", {}, "Value"), el("th", {}, "Block")));
      for (const o of inc.observables) t.append(el("tr", {}, el("td", {}, o.type), el("td", {}, o.value), el("td", {}, o.to_block ? "yes" : "")));
      parts.push(t);
    }
  }
  parts.push(el("h3", {}, "Revisions"));
  const rt = el("table", { class: "list revisions" }, el("tr", {}, el("th", {}, "Revision"), el("th", {}, "At"), el("th", {}, "By"), el("th", {}, "Status"), el("th", {}, "Severity"), el("th", {}, "Note")));
  for (const r of inc.revisions || []) rt.append(el("tr", {}, el("td", {}, r.revision), el("td", {}, when(r.at)), el("td", {}, r.by), el("td", {}, r.status), el("td", {}, r.severity), el("td", {}, r.note)));
  parts.push(rt, el("h3", {}, "Who has it"));
  const holders = inc.holders || [];
  const ht = el("table", { class: "list holders" }, el("tr", {}, el("th", {}, "Node"), el("th", {}, "Since")));
  for (const h of holders) ht.append(el("tr", {}, el("td", {}, h.node), el("td", {}, when(h.since))));
  parts.push(holders.length ? ht : el("p", { class: "muted" }, "No other node has confirmed it yet."));
  const notes = inc.notes || [];
  if (notes.length) {
    const nt = el("table", { class: "list notes" }, el("tr", {}, el("th", {}, "At"), el("th", {}, "By"), el("th", {}, "Revision"), el("th", {}, "Note")));
    for (const n of notes)
      nt.append(el("tr", {}, el("td", {}, when(n.at)), el("td", {}, [n.by, n.analyst].filter(Boolean).join(" / ")),
        el("td", {}, n.revision ?? ""), el("td", {}, n.text)));
    parts.push(el("h3", {}, "Notes"), nt);
  }
  // only the owner node signs a new revision (every receiver refuses one
  // from anyone else): the form is offered there only; another holder adds
  // a note, which travels in clear: none on a sealed (amber+strict, red) one
  if (me && inc.owner === me.node && !isSealed(inc)) parts.push(el("h3", {}, "Update"), incidentUpdateForm(inc));
  else if (me && !isSealed(inc) && !["amber+strict", "red"].includes(inc.tlp)) parts.push(el("h3", {}, "Add a note"), incidentNoteForm(inc));
  box.replaceChildren(...parts);
  box.hidden = false;
}

// the owner signs a new revision: POST /api/incidents/{id}; what is left
// at "(unchanged)" or empty stays as it is
function incidentUpdateForm(inc) {
  const choice = (name, values) =>
    el("select", { name }, el("option", { value: "" }, "(unchanged)"), ...values.map((v) => el("option", {}, v)));
  const form = el("form", { class: "form update-form" },
    el("label", {}, "Status ", choice("status", ["new", "triaged", "contained", "resolved", "closed"])),
    el("label", {}, "Severity ", choice("severity", ["baseline", "low", "medium", "high", "severe", "emergency"])),
    el("label", {}, "TLP ", choice("tlp", ["clear", "green", "amber", "amber+strict"])),
    el("label", {}, "PAP ", choice("pap", ["clear", "green", "amber", "red"])),
    el("label", {}, "Determination ", choice("determination", ["suspected", "confirmed", "false-positive"])),
    el("label", {}, "Note ", el("input", { name: "note", placeholder: "what changed" })),
    el("button", { type: "submit" }, "Sign revision " + (Number(inc.revision) + 1)));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = {};
    for (const k of ["status", "severity", "tlp", "pap", "determination", "note"])
      if (String(f.get(k)).trim()) body[k] = String(f.get(k)).trim();
    if (!Object.keys(body).length) {
      flash("Nothing to change.", true);
      return;
    }
    api("POST", "/api/incidents/" + encodeURIComponent(inc.id), body)
      .then((r) => { flash(`Updated ${r.id}: revision ${r.revision}.`); return refresh(); }) // the list, and this detail
      .catch((e) => flash(e.message, true));
  });
  return form;
}

// another holder's note: POST /api/incidents/{id}/notes; it goes to the owner
function incidentNoteForm(inc) {
  const form = el("form", { class: "form note-form" },
    el("label", {}, "Note ", el("input", { name: "text", required: "", placeholder: "for " + inc.owner })),
    el("label", {}, "Analyst ", el("input", { name: "analyst" })),
    el("button", { type: "submit" }, "Sign note"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { text: String(f.get("text")).trim() };
    if (String(f.get("analyst")).trim()) body.analyst = String(f.get("analyst")).trim();
    if (!body.text) {
      flash("A note needs its text.", true);
      return;
    }
    api("POST", "/api/incidents/" + encodeURIComponent(inc.id) + "/notes", body)
      .then((r) => { flash(`Noted ${r.id} (revision ${r.revision}) for ${r.owner}.`); return refresh(); })
      .catch((e) => flash(e.message, true));
  });
  return form;
}

async function reportIncident(form) {
  const f = new FormData(form);
  const body = { title: f.get("title"), severity: f.get("severity"), tlp: f.get("tlp") };
  for (const k of ["description", "sector", "province"]) if (String(f.get(k)).trim()) body[k] = String(f.get(k)).trim();
  if (String(f.get("obs_value")).trim())
    body.observables = [{ type: String(f.get("obs_type")).trim() || "other", value: String(f.get("obs_value")).trim() }];
  const to = String(f.get("to")).split(",").map((s) => s.trim()).filter(Boolean);
  if (to.length) body.to = to;
  const r = await api("POST", "/api/incidents", body);
  flash(`Reported ${r.id}.`);
  form.reset();
  await showIncident(r.id, true);
  await refresh();
}

// ---- taskings --------------------------------------------------------------------------------

async function showTasks() {
  const list = await api("GET", "/api/tasks");
  const rows = [];
  for (const t of list) {
    const states = el("td", {});
    for (const s of t.states || []) states.append(el("div", {}, `${s.assignee}: ${s.state} (${when(s.at)})`));
    const due = t.due ? when(t.due) + (t.overdue ? " (overdue)" : "") : "—";
    if (t.direction === "assigned") states.append(taskStatusForm(t));
    rows.push(el("tr", { dataset: { id: t.id }, class: t.overdue ? "overdue" : null },
      el("td", {}, t.id), el("td", {}, t.direction === "assigned" ? "to us from " + t.issuer : t.direction),
      el("td", {}, t.kind), el("td", {}, t.instructions, t.incident ? ` (incident ${t.incident})` : ""),
      el("td", {}, t.priority), el("td", { class: "due" }, due), states));
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No taskings.")));
  $("#task-list tbody").replaceChildren(...rows);
}

// an assignee reports where it stands: POST /api/tasks/{id}/status
function taskStatusForm(t) {
  const form = el("form", { class: "task-status" },
    el("select", { name: "state" }, ...["accepted", "in-progress", "done", "declined"].map((s) => el("option", {}, s))),
    el("input", { name: "text", placeholder: "result, or why declined", size: 18 }),
    el("button", { type: "submit" }, "Report"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { state: f.get("state") };
    const text = String(f.get("text")).trim();
    if (text) body[body.state === "declined" ? "reason" : "result"] = text;
    api("POST", "/api/tasks/" + encodeURIComponent(t.id) + "/status", body)
      .then(() => { flash(`${t.id}: ${body.state}.`); return refresh(); })
      .catch((e) => flash(e.message, true));
  });
  return form;
}

async function assignTask(form) {
  const f = new FormData(form);
  const body = {
    assignees: String(f.get("assignees")).split(",").map((s) => s.trim()).filter(Boolean),
    kind: f.get("kind"),
  };
  for (const k of ["instructions", "incident"]) if (String(f.get(k)).trim()) body[k] = String(f.get(k)).trim();
  if (f.get("priority")) body.priority = Number(f.get("priority"));
  if (f.get("due")) body.due_ms = new Date(String(f.get("due"))).getTime();
  const r = await api("POST", "/api/tasks", body);
  flash(`Assigned ${r.id}.`);
  form.reset();
  await refresh();
}

// ---- directives ------------------------------------------------------------------------------

async function showDirectives() {
  const list = await api("GET", "/api/directives");
  const rows = [];
  for (const d of list)
    rows.push(el("tr", { dataset: { number: d.number }, onclick: () => showDirective(d.number) },
      el("td", {}, d.number), el("td", {}, d.version), el("td", {}, d.kind),
      el("td", { class: "sev-" + d.severity }, d.severity), el("td", {}, d.title),
      el("td", {}, when(d.issued)), el("td", {}, d.ack_by ? when(d.ack_by) : d.ack_required ? "required" : "—")));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No directives.")));
  $("#directive-list tbody").replaceChildren(...rows);
  if (shownDirective) await showDirective(shownDirective, true);
}

async function showDirective(number, quiet) {
  let d;
  try {
    d = await api("GET", "/api/directives/" + encodeURIComponent(number));
  } catch (e) {
    if (!quiet) flash(e.message, true);
    return;
  }
  shownDirective = number;
  const parts = [el("h3", {}, `Directive ${d.number} v${d.version}: `, d.title),
    dl([["Kind", d.kind], ["Severity", d.severity], ["Issuer", d.issuer], ["Summary", d.summary],
      ["Actions", (d.actions || []).join("\n")], ["Issued", when(d.issued)],
      ["Effective", d.effective && when(d.effective)], ["Comply by", d.comply_by && when(d.comply_by)],
      ["Acknowledge by", d.ack_by && when(d.ack_by)], ["Expires", d.expires && when(d.expires)]])];
  if (d.nodes) {
    parts.push(el("h3", {}, `Acknowledgements: ${d.acknowledged} of ${d.in_scope} (${d.received} received)`));
    const t = el("table", { class: "list ack-matrix" }, el("tr", {}, el("th", {}, "Node"), el("th", {}, "Role"), el("th", {}, "Received"), el("th", {}, "State"), el("th", {}, "Acknowledged")));
    for (const n of d.nodes)
      t.append(el("tr", { dataset: { node: n.node } }, el("td", {}, n.node), el("td", {}, n.role),
        el("td", {}, when(n.received)), el("td", { class: "ack-" + n.state }, n.state), el("td", {}, when(n.acknowledged))));
    parts.push(t);
  }
  if (me && d.issuer !== me.node) {
    const form = el("form", { class: "form ack-form" },
      el("label", {}, "State ", el("select", { name: "state" }, ...["acknowledged", "accepted", "declined", "completed"].map((s) => el("option", {}, s)))),
      el("label", {}, "Analyst ", el("input", { name: "analyst" })),
      el("label", {}, "Reason (to decline) ", el("input", { name: "reason" })),
      el("button", { type: "submit" }, "Acknowledge"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const body = { state: f.get("state") };
      for (const k of ["analyst", "reason"]) if (String(f.get(k)).trim()) body[k] = String(f.get(k)).trim();
      api("POST", "/api/directives/" + encodeURIComponent(d.number) + "/ack", body)
        .then(() => { flash(`Acknowledged ${d.number} (${body.state}).`); return refresh(); })
        .catch((e) => flash(e.message, true));
    });
    parts.push(el("h3", {}, "Acknowledge"), form);
  }
  const box = $("#directive-detail");
  box.replaceChildren(...parts);
  box.hidden = false;
}

async function issueDirective(form) {
  const f = new FormData(form);
  const body = { number: String(f.get("number")).trim(), title: f.get("title"), kind: f.get("kind"), severity: f.get("severity") };
  if (String(f.get("summary")).trim()) body.summary = String(f.get("summary")).trim();
  const actions = String(f.get("actions")).split("\n").map((s) => s.trim()).filter(Boolean);
  if (actions.length) body.actions = actions;
  if (f.get("ack_by")) body.ack_by_ms = new Date(String(f.get("ack_by"))).getTime();
  const r = await api("POST", "/api/directives", body);
  flash(`Issued directive ${r.number} v${r.version}.`);
  form.reset();
  shownDirective = r.number;
  await refresh();
}

// ---- wiring ----------------------------------------------------------------------------------

function onSubmit(sel, fn) {
  $(sel).addEventListener("submit", (ev) => {
    ev.preventDefault();
    fn(ev.target).catch((e) => flash(e.message, true));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    login($("#token").value.trim());
  });
  $("#logout").addEventListener("click", () => logout());
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
  onSubmit("#incident-filters", () => refresh());
  onSubmit("#report-form", reportIncident);
  onSubmit("#assign-form", assignTask);
  onSubmit("#issue-form", issueDirective);
  // link state and last contact change without an event: look again now and then
  setInterval(() => {
    if (token && current === "federation" && !document.hidden) refreshSoon();
  }, 10000);
  if (token) login(token);
  else logout();
});
