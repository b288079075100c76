// Measures the desktop app the way BENCHMARKS.md reports it: start to interactive window,
// idle memory of all its processes, Run to first row painted for a 1,000,000-row query, and
// the tree's expansion of a schema with 20,000 tables. Run by scripts/bench-app.sh (release
// build, test PostgreSQL, Xvfb); prints JSON.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { By, Key, closeApp, eventually, metrics, openApp, setEditor, stopDriver } from "../e2e/harness.mjs";
import { pg, psql } from "../e2e/pg.mjs";

const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function appPid() {
  return Number(execFileSync("pgrep", ["-n", "-f", process.env.DBHIVE_APP], { encoding: "utf8" }).trim());
}

function processStartEpochMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return Date.now() - uptime * 1000 + (Number(stat[19]) / 100) * 1000;
}

/** The app and every process under it (WebKit's web and network processes). */
function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone
    }
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function memory(pids) {
  let rss = 0;
  let pss = 0;
  const per = [];
  for (const pid of pids) {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
    const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    rss += kb("Rss");
    pss += kb("Pss");
    per.push({ name, rssMb: Math.round(kb("Rss") / 1024), pssMb: Math.round(kb("Pss") / 1024) });
  }
  return { rssMb: Math.round(rss / 1024), pssMb: Math.round(pss / 1024), per };
}

async function addPg(d) {
  await (await d.findElement(By.css('[data-testid="new-connection"]'))).click();
  const dialog = await d.findElement(By.css('[data-testid="connection-dialog"]'));
  await (await dialog.findElement(By.css('[data-testid="engine-postgres"]'))).click();
  for (const [id, value] of [
    ["field-name", "Bench PostgreSQL"],
    ["field-host", pg.host],
    ["field-port", pg.port],
    ["field-user", pg.user],
    ["field-password", pg.password],
    ["field-database", pg.database],
  ]) {
    const el = await dialog.findElement(By.css(`[data-testid="${id}"]`));
    await el.clear();
    await el.sendKeys(value);
  }
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const conn = await eventually(async () => {
    for (const el of await d.findElements(By.css('[data-testid^="conn-"][data-name="Bench PostgreSQL"]'))) return el;
    return null;
  }, "the bench connection");
  return (await conn.getAttribute("data-testid")).replace("conn-", "");
}

async function treeNode(d, connId, path) {
  const selector = `[data-testid="tree-node"][data-conn="${connId}"][data-path="${path.join("/")}"]`;
  return eventually(async () => {
    const el = await d.executeScript((sel) => {
      const found = document.querySelector(sel);
      found?.scrollIntoView({ block: "nearest" });
      return found;
    }, selector);
    return el;
  }, path.join("/"));
}

const result = {
  startToInteractiveMs: [],
  startToPageLoadMs: [],
  pageLoadToInteractiveMs: [],
  idle: [],
  blankWebKitIdle: [],
  firstRowPaintedMs: [],
  runToDoneMs: [],
  treeExpand20kMs: [],
};

// The floor: WebKitGTK's own MiniBrowser showing about:blank, measured the same way, so the
// app's idle memory can be read against what any WebKitGTK window costs on this machine.
const miniBrowser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
// In the mode the app runs in: its own choice (no GPU render node: off) unless forced.
const hasRenderNode = existsSync("/dev/dri") && readdirSync("/dev/dri").some((n) => n.startsWith("renderD"));
const compositingOff = process.env.WEBKIT_DISABLE_COMPOSITING_MODE ?? (hasRenderNode ? "0" : "1");
if (existsSync(miniBrowser)) {
  for (let i = 0; i < runs; i++) {
    const child = spawn(miniBrowser, ["about:blank"], { stdio: "ignore", env: { ...process.env, WEBKIT_DISABLE_COMPOSITING_MODE: compositingOff } });
    await new Promise((r) => setTimeout(r, 6000));
    result.blankWebKitIdle.push(memory(processTree(child.pid)));
    child.kill();
    await new Promise((r) => child.once("exit", r));
  }
}

// Start to interactive and idle memory: fresh launches.
for (let i = 0; i < runs; i++) {
  const d = await openApp();
  const m = await eventually(async () => {
    const x = await metrics(d);
    return x?.readyAt ? x : null;
  }, "ready");
  const pid = appPid();
  const started = processStartEpochMs(pid);
  result.startToInteractiveMs.push(Math.round(m.readyAt - started));
  result.startToPageLoadMs.push(Math.round(m.navigationAt - started));
  result.pageLoadToInteractiveMs.push(Math.round(m.readyAt - m.navigationAt));
  await new Promise((r) => setTimeout(r, 5000));
  result.idle.push(memory(processTree(pid)));
  await closeApp(d);
}

// One session for the query and the tree.
const d = await openApp();
const id = await addPg(d);
await eventually(async () => (await (await d.findElement(By.css(`[data-testid="conn-state-${id}"]`))).getAttribute("data-state")) === "connected", "connected");
await (await d.findElement(By.css(`[data-testid="conn-${id}"]`))).click();
await (await treeNode(d, id, [pg.database])).click();
// A table scan streams from the first row (generate_series would make the server build the
// whole set before sending anything).
const query = "SELECT * FROM bench_1m";
for (let i = 0; i < runs; i++) {
  if (i === 0) {
    await (await d.findElement(By.css('[data-testid="new-tab"]'))).click();
  }
  await setEditor(d, query);
  await (await d.findElement(By.css(".querytab:not([hidden]) .cm-content"))).sendKeys(Key.chord(Key.CONTROL, Key.ENTER));
  const run = await eventually(async () => {
    const x = (await metrics(d)).lastRun;
    return x?.firstRowMs !== null && x?.doneMs !== null && x?.doneMs !== undefined ? x : null;
  }, "the run", 60_000);
  result.firstRowPaintedMs.push(Math.round(run.firstRowMs));
  result.runToDoneMs.push(Math.round(run.doneMs));
}

// The 20,000-table folder: expanded, then refreshed (reloaded) for each further run.
await (await treeNode(d, id, [pg.database, "wide"])).click();
const folderPath = [pg.database, "wide", "tables"];
const folder = await treeNode(d, id, folderPath);
for (let i = 0; i < runs; i++) {
  const before = (await metrics(d)).treeExpands.length;
  if (i === 0) {
    await folder.click();
  } else {
    // Collapsing and expanding again uses what is loaded; Refresh (Shift+F10) reloads.
    await (await d.findElement(By.css('[data-testid="tree"]'))).sendKeys(Key.chord(Key.SHIFT, Key.F10));
    const menu = await d.findElement(By.css('[data-testid="context-menu"]'));
    await (await menu.findElement(By.xpath(".//*[text()='Refresh']"))).click();
  }
  const e = await eventually(async () => {
    const x = (await metrics(d)).treeExpands;
    return x.length > before ? x[x.length - 1] : null;
  }, "the expansion", 30_000);
  result.treeExpand20kMs.push(Math.round(e.ms));
}
await closeApp(d);
await stopDriver();

psql("SELECT 1");
console.log(
  JSON.stringify(
    {
      // "auto" is the app's own choice (src-tauri/src/rendering.rs); "0" forces compositing on.
      compositing: process.env.WEBKIT_DISABLE_COMPOSITING_MODE ?? "auto",
      ...result,
      medians: {
        startToInteractiveMs: median(result.startToInteractiveMs),
        startToPageLoadMs: median(result.startToPageLoadMs),
        pageLoadToInteractiveMs: median(result.pageLoadToInteractiveMs),
        runToDoneMs: median(result.runToDoneMs),
        firstRowPaintedMs: median(result.firstRowPaintedMs),
        treeExpand20kMs: median(result.treeExpand20kMs),
        idlePssMb: median(result.idle.map((m) => m.pssMb)),
        idleRssMb: median(result.idle.map((m) => m.rssMb)),
        blankWebKitIdlePssMb: median(result.blankWebKitIdle.map((m) => m.pssMb)),
        blankWebKitIdleRssMb: median(result.blankWebKitIdle.map((m) => m.rssMb)),
      },
    },
    null,
    2,
  ),
);
