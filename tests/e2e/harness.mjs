// Drives the real DB-Hive window through tauri-driver and WebKitWebDriver, as a person
// would: clicks, typing, reading what the grid shows, and screenshots of every step.
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, test as nodeTest } from "node:test";
import { Builder, By, Key, until } from "selenium-webdriver";

export { By, Key, until };

const execFileAsync = promisify(execFile);

const root = path.resolve(import.meta.dirname, "../..");
export const appBinary = process.env.DBHIVE_APP ?? path.join(root, "target/debug/db-hive");
export const shotsDir = process.env.DBHIVE_SCREENSHOTS ?? path.join(root, "target/e2e-screenshots");
mkdirSync(shotsDir, { recursive: true });

let driverProcess = null;
let driverPort = 0;

/** Starts tauri-driver once for the whole run. */
async function ensureDriver() {
  if (driverProcess !== null) return;
  if (!existsSync(appBinary)) throw new Error(`the app binary ${appBinary} is missing: build it first (scripts/e2e.sh does)`);
  driverPort = 4444 + Math.floor(Math.random() * 1000);
  const native = process.env.DBHIVE_NATIVE_DRIVER ?? "/usr/bin/WebKitWebDriver";
  // Its output (and that of WebKitWebDriver and the app, which inherit it) comes through
  // a pipe of this process, not the test runner's: if this file is stopped before its
  // after() hook, nothing left behind holds the runner's stdout open.
  driverProcess = spawn("tauri-driver", ["--port", String(driverPort), "--native-driver", native, "--native-port", String(driverPort + 1000)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  driverProcess.stdout.on("data", (b) => process.stderr.write(b));
  driverProcess.stderr.on("data", (b) => process.stderr.write(b));
  driverProcess.on("error", (e) => {
    throw new Error(`cannot start tauri-driver (cargo install tauri-driver --locked): ${e.message}`);
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${driverPort}/status`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tauri-driver did not start within 15 s");
}

/** The pids of running copies of the app binary. */
function appPids() {
  try {
    return execFileSync("pgrep", ["-f", "-x", `${appBinary}( .*)?`], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

const alive = (pid) => existsSync(`/proc/${pid}`);
/** Signals a process that may have just exited. */
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the WebDriver session and makes sure the app is gone. WebKitWebDriver normally closes
 * the app with the session, but a run once left it alive after the last test (its web
 * process gone, the app still up), and the app inherits the test runner's stdout: node
 * waited for that pipe's end for 20 minutes. So: quit, give the app 5 s, then stop it.
 */
export async function closeApp(driver) {
  const pids = appPids();
  await Promise.race([driver.quit().catch(() => {}), sleep(20_000)]);
  for (let waited = 0; waited < 5_000 && pids.some(alive); waited += 100) await sleep(100);
  const left = pids.filter(alive);
  if (left.length > 0) {
    console.error(`e2e: the app (pid ${left.join(", ")}) outlived its WebDriver session; stopping it`);
    for (const pid of left) signal(pid, "SIGTERM");
    for (let waited = 0; waited < 3_000 && left.some(alive); waited += 100) await sleep(100);
    for (const pid of left.filter(alive)) signal(pid, "SIGKILL");
  }
}

// The test runner stops a file that overruns its timeout with SIGTERM, and its after()
// hooks do not run then: stop the app and the drivers here, or they outlive the run.
process.once("SIGTERM", () => {
  console.error("e2e: this test file was stopped; stopping the app and tauri-driver");
  for (const pid of appPids()) signal(pid, "SIGKILL");
  killDriver("SIGKILL");
  process.exit(1);
});

/** Stops tauri-driver and the WebKitWebDriver it started (which would outlive it). */
function killDriver(sig) {
  const pid = driverProcess?.pid;
  if (pid === undefined) return;
  let children = [];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter((l) => l.trim() !== "").map(Number);
  } catch {
    // pgrep exits 1 when there is none
  }
  for (const child of children) signal(child, sig);
  driverProcess.kill(sig);
}

export async function stopDriver() {
  if (driverProcess !== null) {
    killDriver("SIGTERM");
    // A WebKitWebDriver left behind keeps the pipe open; this process must still exit.
    driverProcess.stdout.destroy();
    driverProcess.stderr.destroy();
    driverProcess = null;
  }
}

/** Opens the app; returns a WebDriver session. */
export async function openApp() {
  await ensureDriver();
  const capabilities = {
    browserName: "wry",
    "tauri:options": { application: appBinary },
  };
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${driverPort}`)
    .withCapabilities(capabilities)
    .build();
  await driver.wait(until.elementLocated(By.css(".sidebar .tree")), 20_000);
  return driver;
}

/**
 * A test file's window: opens the app before the file's tests (`opened` gets the WebDriver
 * session) and closes it after them (`closing` runs first). Returns `test`, which runs a
 * test and leaves a screenshot of the window when it fails.
 */
export function windowSuite({ opened, closing } = {}) {
  let driver;
  before(async () => {
    driver = await openApp();
    opened?.(driver);
  });
  after(async () => {
    await closing?.();
    if (driver !== undefined) await closeApp(driver);
    await stopDriver();
  });
  // Each test has its own bound, well inside the file's (scripts/e2e.sh), so one stuck
  // step fails that test and the file still closes its window.
  const test = (name, fn) =>
    nodeTest(name, { timeout: 120_000 }, async () => {
      try {
        await fn();
      } catch (e) {
        await screenshot(driver, `FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`).catch(() => undefined);
        throw e;
      }
    });
  return { test };
}

let shotCounter = 0;
// Each test file runs in a process of its own: its name keeps the files' screenshots apart.
const shotPrefix = path.basename(process.argv[1] ?? "e2e").replace(/\.test\.mjs$/, "");
/**
 * Saves a screenshot of the X screen; returns its path. Taken from X, not through
 * WebDriver: it shows what a person sees, and WebKitWebDriver's own screenshot never returns
 * when WebKitGTK runs without accelerated compositing, which is how the app runs on a machine
 * without a GPU (src-tauri/src/rendering.rs), Xvfb included.
 */
export async function screenshot(driver, name) {
  shotCounter += 1;
  const file = path.join(shotsDir, `${shotPrefix}-${String(shotCounter).padStart(2, "0")}-${name}.png`);
  // Two animation frames, so what the DOM holds now has been painted.
  await driver.executeAsyncScript(
    "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
  );
  const display = process.env.DISPLAY;
  if (!display) throw new Error("screenshot: DISPLAY is unset (run under xvfb-run, as scripts/e2e.sh does)");
  await execFileAsync("import", ["-display", display, "-window", "root", file]);
  return file;
}

export async function waitFor(driver, css, timeout = 15_000) {
  return driver.wait(until.elementLocated(By.css(css)), timeout, `waiting for ${css}`);
}

export async function waitVisible(driver, css, timeout = 15_000) {
  const el = await waitFor(driver, css, timeout);
  await driver.wait(until.elementIsVisible(el), timeout, `waiting for ${css} to show`);
  return el;
}

/** Waits until fn() returns a truthy value (re-evaluated every 100 ms). */
export async function eventually(fn, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${last}`);
}

/** Double-click. (A right click through WebKitWebDriver leaves Shift lost for the rest of
 *  the session; menus are opened with Shift+F10 instead.) */
export async function doubleClick(driver, element) {
  await driver.actions().doubleClick(element).perform();
  await driver.actions().clear();
}

/**
 * Replaces an input's text with `value`, as a person does: select all, delete, type. (The
 * WebDriver clear() fires no input event, so the form's state keeps the old text, and the
 * next render puts it back.)
 */
export async function typeInto(element, value) {
  const mod = process.platform === "darwin" ? Key.COMMAND : Key.CONTROL;
  await element.sendKeys(Key.chord(mod, "a"), Key.BACK_SPACE);
  if (value !== "") await element.sendKeys(value);
}

/** Replaces the editor's text with `sql`, typed as a person would. */
export async function setEditor(driver, sql) {
  // The editor loads with the first query tab; right after, its element may still be swapped
  // in, so a failed first keystroke is retried on the element found again.
  const selector = By.css(".querytab:not([hidden]) .cm-content");
  const mod = process.platform === "darwin" ? Key.COMMAND : Key.CONTROL;
  let content;
  for (let attempt = 0; ; attempt++) {
    try {
      content = await driver.wait(until.elementLocated(selector), 15_000);
      await content.click();
      await content.sendKeys(Key.chord(mod, "a"), Key.BACK_SPACE);
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  // WebKitWebDriver drops "\n" in typed text: line breaks are sent as the Enter key.
  const lines = sql.split("\n");
  for (const [i, line] of lines.entries()) {
    if (i > 0) await content.sendKeys(Key.ENTER);
    if (line !== "") await content.sendKeys(line);
  }
}

/** The editor's text as it is now. */
export async function editorText(driver) {
  return driver.executeScript(() => {
    const tab = [...document.querySelectorAll(".querytab")].find((t) => !t.hidden);
    return [...(tab?.querySelectorAll(".cm-line") ?? [])].map((l) => l.textContent).join("\n");
  });
}

/** The visible query tab's element. */
export async function activeTab(driver) {
  return driver.findElement(By.css(".querytab:not([hidden])"));
}

/** Text of the grid's data cells of the active tab, row by row (what is rendered). */
export async function gridRows(driver) {
  return driver.executeScript(() => {
    const tab = [...document.querySelectorAll(".querytab")].find((t) => !t.hidden);
    const rows = [...(tab?.querySelectorAll(".grid-row") ?? [])].sort((a, b) => Number(a.dataset.row) - Number(b.dataset.row));
    return rows.map((r) => [...r.querySelectorAll(".gc[data-col]")].map((c) => c.textContent));
  });
}

export async function metrics(driver) {
  return driver.executeScript(() => window.__dbhive);
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** A tree row of connection `connId` at `path`, paged into view as a person scrolls (the
 * tree is virtualized, and earlier suites may leave other connections above). */
export async function treeNode(driver, connId, path) {
  const selector = `[data-testid="tree-node"][data-conn="${connId}"][data-path="${path.join("/")}"]`;
  return eventually(
    () =>
      driver.executeScript((sel) => {
        const tree = document.querySelector('[data-testid="tree"]');
        const el = document.querySelector(sel);
        if (el) {
          el.scrollIntoView({ block: "nearest" });
          return el;
        }
        tree.scrollTop = tree.scrollTop + tree.clientHeight >= tree.scrollHeight ? 0 : tree.scrollTop + tree.clientHeight * 0.8;
        return null;
      }, selector),
    `tree node ${path.join("/")}`,
  );
}

/** Types `text` into the visible tab's editor and runs all of it (Ctrl+Shift+Enter). */
export async function runAll(driver, text) {
  await setEditor(driver, text);
  await (await driver.findElement(By.css(".querytab:not([hidden]) .cm-content"))).sendKeys(Key.chord(Key.CONTROL, Key.SHIFT, Key.ENTER));
}

/** The visible tab's state once its query has finished (Done, Error, Cancelled...). */
export async function finishedState(driver, timeout = 60_000) {
  return eventually(
    async () => {
      const s = await (await driver.findElement(By.css(".querytab:not([hidden]) [data-testid=state]"))).getText();
      return s !== "Running…" && s !== "Ready" ? s : null;
    },
    "the query to finish",
    timeout,
  );
}

