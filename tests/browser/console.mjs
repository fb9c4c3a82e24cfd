// console.mjs - the web console end to end (run by test_console.sh): log in
// on NCERT's console, report an incident through the form, and watch it
// appear on the Council's console without a reload (the event stream);
// check the TLP badges' colours, that the incident's text is shown as text,
// the detail (revisions, holders), an update by the owner through the
// detail's form, an overdue tasking, and a directive
// issued on the Council and acknowledged on NCERT. Screenshots to $SHOTS.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NPM_DIR, "package.json"));
const { chromium } = require("playwright-core");

const { CHROMIUM, TOKEN, NCERT_URL, COUNCIL_URL, SHOTS } = process.env;
// what crosses the federation (a node signs, stores, sends; the other
// verifies, commits and tells its console) on a loaded CI machine, under
// the sanitizers, may take seconds: a wait fails only after this long
const WAIT_MS = 40000;
let failed = 0;
let passed = 0;
function check(cond, what) {
  if (cond) passed++;
  else {
    failed++;
    console.error("FAIL: " + what);
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const problems = [];
async function open(url, name) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${name}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${name}: ${e.message}`));
  // every request stays on the node (no CDN)
  page.on("request", (r) => {
    if (!r.url().startsWith(url)) problems.push(`${name}: request elsewhere: ${r.url()}`);
  });
  await page.goto(url + "/");
  return page;
}
async function login(page, node) {
  await page.locator("#token").waitFor();
  check(await page.locator("#login").isVisible(), `${node}: the token form shows first`);
  await page.fill("#token", TOKEN);
  await page.click("#login-form button");
  await page.locator("#whoami", { hasText: node }).waitFor();
  await page.locator("#live.on").waitFor();
}
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });
// the colours of the element sel names, read in one go in the page (the
// list may be redrawn by a live update at any moment)
async function colour(page, sel) {
  const h = await page.waitForFunction((s) => {
    const e = document.querySelector(s);
    const cs = e && e.isConnected ? getComputedStyle(e) : null;
    return cs && cs.color ? [cs.color, cs.backgroundColor] : null;
  }, sel);
  return h.jsonValue();
}

try {
  // ---- log in on both consoles -----------------------------------------------------------
  const ncert = await open(NCERT_URL, "ncert");
  // a wrong token is refused and the form stays
  await ncert.fill("#token", "not-the-token-0123456789");
  await ncert.click("#login-form button");
  await ncert.locator("#login-error", { hasText: "refused" }).waitFor();
  problems.length = 0; // the browser logs that 401: it was meant
  await login(ncert, "ncert");
  await ncert.locator("#fed-tree [data-node=council] .link-up").waitFor();
  check(await ncert.locator("#fed-tree [data-node=council]").textContent().then((t) => /last contact/.test(t)),
    "ncert: the tree shows the Council's last contact");
  await shot(ncert, "ncert-federation");

  const council = await open(COUNCIL_URL, "council");
  await login(council, "council");
  await council.locator("#fed-tree [data-node=ncert] .link-up").waitFor();
  // the whole tree: banking, NCERT's child, two levels below the Council
  const banking = council.locator("#fed-tree li:has(> [data-node=council]) li:has(> [data-node=ncert]) [data-node=banking]");
  await banking.waitFor({ timeout: WAIT_MS });
  check(/last heard/.test(await banking.textContent()), "council: the tree shows banking under NCERT, with when it was last heard");
  await shot(council, "council-federation");
  await council.click("#tabs [data-tab=incidents]");
  await council.locator("#incident-list tbody tr").first().waitFor();
  // to prove there is no reload: this survives only if the page stays
  await council.evaluate(() => (window.__still = "same page"));
  let navigations = 0;
  council.on("framenavigated", () => navigations++);

  // ---- report on NCERT through the form ---------------------------------------------------
  const title = '<img src=x onerror="window.__pwned=1">Phishing wave & "friends"';
  await ncert.click("#tabs [data-tab=incidents]");
  await ncert.click("#report-box summary");
  await ncert.fill("#report-form [name=title]", title);
  await ncert.fill("#report-form [name=description]", "<script>window.__pwned=2</script>lures to evil.example");
  await ncert.selectOption("#report-form [name=severity]", "high");
  await ncert.selectOption("#report-form [name=tlp]", "amber");
  await ncert.fill("#report-form [name=sector]", "banking");
  await ncert.fill("#report-form [name=obs_type]", "domain");
  await ncert.fill("#report-form [name=obs_value]", "evil.example");
  await ncert.click("#report-form button[type=submit]");
  await ncert.locator("#flash", { hasText: "Reported ncert-1" }).waitFor();
  await ncert.locator("#incident-list tr[data-id=ncert-1]").waitFor();

  // ---- it appears on the Council, live --------------------------------------------------------
  const row = council.locator("#incident-list tr[data-id=ncert-1]");
  await row.waitFor({ timeout: WAIT_MS });
  check((await row.locator("td.title").textContent()) === title, "council: the title is shown as text, as sent");
  check((await row.locator("img").count()) === 0, "council: no element from the incident's text");
  check(navigations === 0 && (await council.evaluate(() => window.__still)) === "same page",
    "council: the incident appeared without a reload");
  const amber = await colour(council, "#incident-list tr[data-id=ncert-1] .tlp");
  check(amber[0] === "rgb(255, 192, 0)" && amber[1] === "rgb(0, 0, 0)",
    `council: TLP:AMBER is #FFC000 on black (got ${amber})`);
  check((await row.locator(".tlp").textContent()) === "TLP:AMBER", "council: the badge says TLP:AMBER");
  await row.click();
  await council.locator("#incident-detail .holders").waitFor();
  check((await council.locator("#incident-detail .revisions tr").count()) === 2, "council: one revision listed");
  await shot(council, "council-incident");

  // filters: a severity above it hides it, the sector shows it
  await council.selectOption("#incident-filters [name=min_severity]", "severe");
  await council.click("#incident-filters button");
  await council.locator("#incident-list tr[data-id=ncert-1]").waitFor({ state: "detached" });
  await council.selectOption("#incident-filters [name=min_severity]", "");
  await council.fill("#incident-filters [name=sector]", "banking");
  await council.click("#incident-filters button");
  await council.locator("#incident-list tr[data-id=ncert-1]").waitFor();

  // NCERT sees who holds it once the Council has confirmed
  await ncert.locator("#incident-list tr[data-id=ncert-1]").click();
  await ncert.locator("#incident-detail .holders td", { hasText: "council" }).waitFor({ timeout: WAIT_MS });

  // the owner updates it through the detail's form; the Council, which may
  // not, is offered none, and sees revision 2 arrive
  check((await council.locator("#incident-detail .update-form").count()) === 0, "council: no update form for NCERT's incident");
  await ncert.selectOption("#incident-detail .update-form [name=status]", "contained");
  await ncert.selectOption("#incident-detail .update-form [name=determination]", "confirmed");
  await ncert.fill("#incident-detail .update-form [name=note]", "domain taken down");
  await ncert.click("#incident-detail .update-form button[type=submit]");
  await ncert.locator("#flash", { hasText: "Updated ncert-1: revision 2" }).waitFor();
  await ncert.locator("#incident-detail .revisions td", { hasText: "domain taken down" }).waitFor();
  await council.locator("#incident-list tr[data-id=ncert-1] td", { hasText: "contained" }).waitFor({ timeout: WAIT_MS });
  await council.locator("#incident-detail .revisions td", { hasText: "domain taken down" }).waitFor({ timeout: WAIT_MS });
  check((await council.locator("#incident-detail .revisions tr").count()) === 3, "council: two revisions listed");
  check((await council.locator("#incident-detail dd", { hasText: "confirmed" }).count()) === 1,
    "council: the detail shows the determination");
  check((await council.locator("#incident-detail dd", { hasText: "false" }).count()) === 0,
    "council: an unset field is left out, not shown as false");
  // the determination filter: a false positive it is not, confirmed it is
  await council.selectOption("#incident-filters [name=determination]", "false-positive");
  await council.click("#incident-filters button");
  await council.locator("#incident-list tr[data-id=ncert-1]").waitFor({ state: "detached" });
  await council.selectOption("#incident-filters [name=determination]", "confirmed");
  await council.click("#incident-filters button");
  await council.locator("#incident-list tr[data-id=ncert-1]").waitFor();
  await council.selectOption("#incident-filters [name=determination]", "");
  await council.click("#incident-filters button");

  // the Council, which may not update it, adds a note through the detail's
  // note form; the owner is offered none, and sees the note arrive
  check((await ncert.locator("#incident-detail .note-form").count()) === 0, "ncert: no note form on its own incident");
  // (the filters' refresh may still redraw the detail once: what is typed
  // after that stays, since no refresh redraws a form in use)
  const noteText = council.locator("#incident-detail .note-form [name=text]");
  for (let i = 0; i < 10 && (await noteText.inputValue()) !== "seen at the Council too"; i++) {
    await noteText.fill("seen at the Council too");
    await council.waitForTimeout(300);
  }
  await council.click("#incident-detail .note-form button[type=submit]");
  await council.locator("#flash", { hasText: "Noted ncert-1 (revision 2) for ncert." }).waitFor();
  await council.locator("#incident-detail .notes td", { hasText: "seen at the Council too" }).waitFor();
  await ncert.locator("#incident-detail .notes td", { hasText: "seen at the Council too" }).waitFor({ timeout: WAIT_MS });
  check((await ncert.locator("#incident-detail .revisions tr").count()) === 3, "ncert: a note is no revision");

  // a TLP:RED one, sealed to the Council: its badge is red on black
  await ncert.fill("#report-form [name=title]", "Red one");
  await ncert.selectOption("#report-form [name=tlp]", "red");
  await ncert.fill("#report-form [name=to]", "council");
  await ncert.click("#report-form button[type=submit]");
  const red = council.locator("#incident-list tr[data-id=ncert-2] .tlp");
  await council.fill("#incident-filters [name=sector]", "");
  await council.click("#incident-filters button");
  await red.waitFor({ timeout: WAIT_MS });
  const redc = await colour(council, "#incident-list tr[data-id=ncert-2] .tlp");
  check(redc[0] === "rgb(255, 43, 43)" && redc[1] === "rgb(0, 0, 0)", `council: TLP:RED is #FF2B2B on black (got ${redc})`);
  await shot(ncert, "ncert-incidents");

  // ---- a tasking, overdue -------------------------------------------------------------------
  await council.click("#tabs [data-tab=tasks]");
  await council.click("#assign-box summary");
  await council.fill("#assign-form [name=assignees]", "ncert");
  await council.selectOption("#assign-form [name=kind]", "block");
  await council.fill("#assign-form [name=instructions]", "block evil.example at the resolvers");
  await council.fill("#assign-form [name=due]", "2020-01-01T09:00");
  await council.click("#assign-form button[type=submit]");
  await ncert.click("#tabs [data-tab=tasks]");
  await ncert.locator("#task-list tr.overdue[data-id=council-t1]").waitFor({ timeout: WAIT_MS });
  await ncert.selectOption("#task-list tr[data-id=council-t1] .task-status [name=state]", "done");
  await ncert.fill("#task-list tr[data-id=council-t1] .task-status [name=text]", "blocked");
  await ncert.click("#task-list tr[data-id=council-t1] .task-status button");
  await council.locator("#task-list tr[data-id=council-t1] td", { hasText: "ncert: done" }).waitFor({ timeout: WAIT_MS });
  await shot(ncert, "ncert-tasks");

  // ---- a directive: issued on the Council only, acknowledged on NCERT ---------------------------
  await ncert.click("#tabs [data-tab=directives]");
  check(await ncert.locator("#issue-box").isHidden(), "ncert: no form to issue a directive");
  await council.click("#tabs [data-tab=directives]");
  await council.click("#issue-box summary");
  await council.fill("#issue-form [name=number]", "2026-001");
  await council.fill("#issue-form [name=title]", "Patch the VPN concentrators");
  await council.selectOption("#issue-form [name=kind]", "mandatory");
  await council.fill("#issue-form [name=actions]", "patch\nreport");
  await council.click("#issue-form button[type=submit]");
  await council.locator("#directive-detail .ack-matrix tr[data-node=ncert]").waitFor({ timeout: WAIT_MS });
  await ncert.locator("#directive-list tr[data-number='2026-001']").click({ timeout: WAIT_MS });
  await ncert.locator("#directive-detail .ack-form").waitFor();
  await ncert.fill("#directive-detail .ack-form [name=analyst]", "duty officer");
  await ncert.click("#directive-detail .ack-form button");
  await council.locator("#directive-detail .ack-matrix tr[data-node=ncert] td.ack-acknowledged").waitFor({ timeout: WAIT_MS });
  await shot(council, "council-directive");

  check((await council.evaluate(() => window.__pwned)) === undefined &&
    (await ncert.evaluate(() => window.__pwned)) === undefined, "no script from the incident's text ran");
  check(problems.length === 0, "no console error, CSP violation or foreign request: " + problems.join("; "));
} catch (e) {
  failed++;
  console.error("FAIL: " + (e.stack || e));
  for (const p of problems) console.error("  page: " + p);
} finally {
  await browser.close();
}
console.log(`console.mjs: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
