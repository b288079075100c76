// DB-Hive as a person uses it: the real window, the sample database, a PostgreSQL connection
// added through the dialog, the tree, queries, a million streamed rows, cancel, a server
// restart, and a schema with 20,000 tables. Each step leaves a screenshot.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import {
  By,
  Key,
  doubleClick,
  editorText,
  eventually,
  gridRows,
  metrics,
  screenshot,
  setEditor,
  typeInto,
  waitVisible,
  windowSuite,
} from "./harness.mjs";
import { pg, psql, restartServer } from "./pg.mjs";
import { my, mariadb } from "./mariadb.mjs";

let d;
const timings = {};

const { test } = windowSuite({
  opened: (driver) => {
    d = driver;
  },
  closing: () => {
    if (process.env.DBHIVE_E2E_METRICS) writeFileSync(process.env.DBHIVE_E2E_METRICS, JSON.stringify(timings, null, 2));
  },
});

const css = (s) => d.findElement(By.css(s));
const all = (s) => d.findElements(By.css(s));

/** Finds a tree row, scrolling the (virtualized) tree as a person would until it shows. */
async function scrollTreeTo(selector, what) {
  return eventually(async () => {
    const el = await d.executeScript((sel) => {
      const tree = document.querySelector('[data-testid="tree"]');
      const found = document.querySelector(sel);
      if (found) {
        found.scrollIntoView({ block: "nearest" });
        return found;
      }
      // Not rendered: page down, wrapping to the top at the end.
      tree.scrollTop = tree.scrollTop + tree.clientHeight >= tree.scrollHeight ? 0 : tree.scrollTop + tree.clientHeight * 0.8;
      return null;
    }, selector);
    return el;
  }, what);
}

/** The tree node at a path of a connection. */
async function nodeAt(connId, path) {
  const selector = `[data-testid="tree-node"][data-conn="${connId}"][data-path="${path.join("/")}"]`;
  return scrollTreeTo(selector, `tree node ${path.join("/")}`);
}

/** A tree node by kind and name (the first one). */
async function node(kind, name) {
  return scrollTreeTo(`[data-testid="tree-node"][data-kind="${kind}"][data-name="${name}"]`, `tree node ${kind} ${name}`);
}

async function runEditor(sql) {
  await setEditor(d, sql);
  await (await css(".querytab:not([hidden]) .cm-content")).sendKeys(Key.chord(Key.CONTROL, Key.ENTER));
}

async function state() {
  return (await css(".querytab:not([hidden]) [data-testid=state]")).getText();
}

async function waitDone() {
  return eventually(async () => {
    const s = await state();
    return s !== "Running…" && s !== "Ready" ? s : null;
  }, "the query to finish", 60_000);
}

async function rowCount() {
  const el = await all(".querytab:not([hidden]) [data-testid=row-count]");
  return el.length === 0 ? null : Number((await el[0].getText()).replaceAll(",", ""));
}

async function setTheme(theme) {
  const now = await d.executeScript(() => document.documentElement.dataset.theme);
  if (now !== theme) await (await css('[data-testid="theme-toggle"]')).click();
  await eventually(async () => (await d.executeScript(() => document.documentElement.dataset.theme)) === theme, `theme ${theme}`);
}

test("starts with the sample connection, ready in the window", async () => {
  // The window starts hidden and the UI shows it with its first content.
  assert.equal(await d.executeScript("return document.visibilityState"), "visible", "the window is shown");
  const m = await eventually(async () => {
    const x = await metrics(d);
    return x?.readyAt ? x : null;
  }, "the window to be interactive");
  const pid = Number(execFileSync("pgrep", ["-n", "-f", "target/debug/db-hive"], { encoding: "utf8" }).trim());
  // Process start, from /proc: seconds since boot in clock ticks, turned into epoch ms.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const startTicks = Number(stat[19]);
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  const bootEpochMs = Date.now() - uptime * 1000;
  const startEpochMs = bootEpochMs + (startTicks / 100) * 1000;
  timings.startToInteractiveMs = Math.round(m.readyAt - startEpochMs);
  // Without a GPU (Xvfb has none) the app turns WebKit's accelerated compositing off; its web
  // process inherits the switch (src-tauri/src/rendering.rs).
  if (!existsSync("/dev/dri") && !process.env.WEBKIT_DISABLE_COMPOSITING_MODE) {
    const web = execFileSync("pgrep", ["-P", String(pid), "-f", "WebKitWebProcess"], { encoding: "utf8" }).trim().split("\n");
    const env = readFileSync(`/proc/${web[0]}/environ`, "utf8").split("\0");
    assert.ok(env.includes("WEBKIT_DISABLE_COMPOSITING_MODE=1"), "the web process runs without compositing");
  }
  assert.ok(await (await css('[data-testid="conn-sample"]')).isDisplayed());
  assert.equal(await (await css('[data-testid="conn-sample"]')).getAttribute("data-name"), "Sample (SQLite)");
  await setTheme("light");
  await screenshot(d, "start-light");
  await setTheme("dark");
  await screenshot(d, "start-dark");
  await setTheme("light");
});

test("the sample tree expands down to columns, and a table opens with its data", async () => {
  await (await css('[data-testid="conn-sample"]')).click();
  await (await node("database", "main")).click();
  await (await node("folder", "Tables")).click();
  const customers = await node("table", "customers");
  await (await customers.findElement(By.css('[data-testid="twisty"]'))).click();
  const email = await node("column", "email");
  assert.match(await email.getAttribute("title"), /TEXT NOT NULL/);
  await screenshot(d, "sample-tree-columns");

  // The menu key (Shift+F10) opens the same menu a right click does. (WebKitWebDriver's
  // right click leaves Shift broken for the rest of the session, so the tests use the key.)
  const orders = await node("table", "orders");
  await orders.click();
  await (await css('[data-testid="tree"]')).sendKeys(Key.chord(Key.SHIFT, Key.F10));
  const menu = await waitVisible(d, '[data-testid="context-menu"]');
  await (await menu.findElement(By.xpath(".//*[text()='Query first 1000 rows']"))).click();
  await eventually(async () => (await gridRows(d)).length > 5, "order rows in the grid");
  assert.equal(await waitDone(), "Done");
  assert.equal(await rowCount(), 1000);
  const rows = await gridRows(d);
  assert.deepEqual(rows[0].slice(0, 4), ["1", String(1 + (7907 % 1500)), "3", "delivered"]);
  await screenshot(d, "sample-orders-light");
  await setTheme("dark");
  await screenshot(d, "sample-orders-dark");
  await setTheme("light");
});

test("a query shows NULL apart from the empty string", async () => {
  await runEditor("SELECT id, email, notes FROM customers WHERE id IN (1, 23, 50) ORDER BY id");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d)).filter((r) => r[0] !== "…").length === 3, "three rows");
  const rows = await gridRows(d);
  assert.deepEqual(
    rows.map((r) => r[0]),
    ["1", "23", "50"],
  );
  const cells = await d.executeScript(() => {
    const tab = [...document.querySelectorAll(".querytab")].find((t) => !t.hidden);
    return [...tab.querySelectorAll('.grid-row .gc[data-col="2"]')].map((c) => ({ text: c.textContent, isNull: c.classList.contains("null") }));
  });
  assert.deepEqual(cells[0], { text: "NULL", isNull: true });
  assert.deepEqual(cells[1], { text: "", isNull: false });
  assert.match(cells[2].text, /^Prefers delivery/);
  await screenshot(d, "sample-null-vs-empty");
});

test("a syntax error is shown in place and marked in the editor", async () => {
  await runEditor("SELECT 1;\nSELECT * FORM customers;");
  // The cursor sits in the second statement: only that one runs.
  assert.equal(await waitDone(), "Error");
  const box = await waitVisible(d, ".querytab:not([hidden]) [data-testid=error]");
  const text = await box.getText();
  assert.match(text, /Syntax error/);
  assert.match(text, /near "FORM": syntax error/);
  assert.match(text, /line 2, column 10/);
  const marked = await eventually(async () => {
    const m = await all(".querytab:not([hidden]) .cm-error-mark");
    return m.length > 0 ? m[0].getText() : null;
  }, "the error mark");
  assert.equal(marked, "FORM");
  await screenshot(d, "syntax-error");
});

/** 20,000 tables in schema "wide", created once (kept between runs of the suite). */
function ensureWideSchema() {
  const have = psql("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'wide' AND c.relkind = 'r'");
  if (have !== "20000") {
    psql("DROP SCHEMA IF EXISTS wide CASCADE; CREATE SCHEMA wide;");
    for (let i = 0; i < 20; i++) {
      psql(`DO $$ BEGIN FOR i IN ${i * 1000 + 1}..${(i + 1) * 1000} LOOP EXECUTE format('CREATE TABLE wide.t%s (id int, v int)', i); END LOOP; END $$;`);
    }
  }
}

test("a PostgreSQL connection is added through the dialog, its password in the keychain only", async () => {
  ensureWideSchema();
  psql(`DROP SCHEMA IF EXISTS e2e CASCADE; CREATE SCHEMA e2e;
        CREATE TABLE e2e.people (id int PRIMARY KEY, name text NOT NULL, nickname text, born date);
        CREATE SEQUENCE e2e.ticket_no START 100 INCREMENT 5;
        INSERT INTO e2e.people VALUES (1, 'Ada', NULL, '1815-12-10'), (2, 'Grace', '', '1906-12-09');`);
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css('[data-testid="engine-postgres"]'))).click();
  const field = async (id, value) => {
    await typeInto(await dialog.findElement(By.css(`[data-testid="${id}"]`)), value);
  };
  await field("field-name", "Test PostgreSQL");
  await field("field-host", pg.host);
  await field("field-port", pg.port);
  await field("field-user", pg.user);
  await field("field-password", pg.password);
  await field("field-database", pg.database);
  const save = await dialog.findElement(By.css('[data-testid="field-save-password"]'));
  assert.equal(await save.isEnabled(), true, "a keychain is available in this session");
  if (!(await save.isSelected())) await save.click();
  await (await dialog.findElement(By.css('[data-testid="test-connection"]'))).click();
  const result = await eventually(async () => {
    const r = await dialog.findElements(By.css('[data-testid="test-result"]'));
    return r.length > 0 ? r[0].getText() : null;
  }, "the test result");
  assert.match(result, /^Connected: PostgreSQL 1\d/);
  await screenshot(d, "pg-dialog-tested");
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();

  const conn = await eventually(async () => {
    for (const el of await all('[data-testid^="conn-"][data-name]')) {
      if ((await el.getAttribute("data-name")) === "Test PostgreSQL") return el;
    }
    return null;
  }, "the new connection in the tree");
  const id = (await conn.getAttribute("data-testid")).replace("conn-", "");
  await eventually(async () => (await (await css(`[data-testid="conn-state-${id}"]`)).getAttribute("data-state")) === "connected", "connected");

  const file = path.join(process.env.XDG_CONFIG_HOME, "dev.dbhive.app", "connections.json");
  const saved = readFileSync(file, "utf8");
  assert.ok(saved.includes('"Test PostgreSQL"'));
  assert.ok(!saved.includes(pg.password), "the saved JSON holds no password");
  const secret = execFileSync("secret-tool", ["lookup", "service", "DB-Hive", "username", `connection:${id}`], { encoding: "utf8" });
  assert.equal(secret, pg.password, "the keychain holds it");
  timings.pgConnectionId = id;
});

test("the PostgreSQL tree expands down to columns", async () => {
  const id = timings.pgConnectionId;
  await (await css(`[data-testid="conn-${id}"]`)).click();
  await (await nodeAt(id, [pg.database])).click();
  await (await nodeAt(id, [pg.database, "e2e"])).click();
  await (await nodeAt(id, [pg.database, "e2e", "tables"])).click();
  await (await (await nodeAt(id, [pg.database, "e2e", "tables", "people"])).findElement(By.css('[data-testid="twisty"]'))).click();
  const name = await nodeAt(id, [pg.database, "e2e", "tables", "people", "name"]);
  assert.match(await name.getAttribute("title"), /text NOT NULL/);
  await nodeAt(id, [pg.database, "e2e", "tables", "people", "born"]);
  await screenshot(d, "pg-tree-columns");

  // A sequence's menu offers its DDL: the CREATE SEQUENCE, not the table that stores it.
  await (await nodeAt(id, [pg.database, "e2e", "sequences"])).click();
  await (await nodeAt(id, [pg.database, "e2e", "sequences", "ticket_no"])).click();
  await (await css('[data-testid="tree"]')).sendKeys(Key.chord(Key.SHIFT, Key.F10));
  const menu = await waitVisible(d, '[data-testid="context-menu"]');
  await (await menu.findElement(By.xpath(".//*[text()='Show DDL']"))).click();
  const ddl = await waitVisible(d, '[data-testid="ddl"]');
  const text = await (await ddl.findElement(By.css('[data-testid="viewer-text"]'))).getText();
  assert.match(text, /^CREATE SEQUENCE e2e\.ticket_no\n {4}AS bigint\n {4}START WITH 100\n {4}INCREMENT BY 5\n/);
  await screenshot(d, "pg-sequence-ddl");
  await (await css("body")).sendKeys(Key.ESCAPE);
});

test("a PostgreSQL table's and query's values are read from the grid", async () => {
  const people = await nodeAt(timings.pgConnectionId, [pg.database, "e2e", "tables", "people"]);
  await doubleClick(d, people);
  await eventually(async () => (await gridRows(d)).filter((r) => r[0] !== "…").length === 2, "two people");
  const rows = await gridRows(d);
  assert.deepEqual(rows[0], ["1", "Ada", "NULL", "1815-12-10"]);
  assert.deepEqual(rows[1], ["2", "Grace", "", "1906-12-09"]);
  // The table opened in a table tab; queries go in a query tab.
  await (await css('[data-testid="new-tab"]')).click();
  await runEditor("SELECT 1::int AS one, 'x y'::text AS t, true AS b, '{\"a\": [1, 2]}'::jsonb AS j, NULL::int AS n, 12.50::numeric AS amount");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d)).length === 1 && (await gridRows(d))[0][0] !== "…", "one row");
  assert.deepEqual((await gridRows(d))[0], ["1", "x y", "true", '{"a": [1, 2]}', "NULL", "12.50"]);
  await screenshot(d, "pg-values");
});

test("a million rows stream in; the first rows paint at once and the grid pages to the end", async () => {
  await runEditor("SELECT g AS n, md5(g::text) AS hash, g % 7 = 0 AS lucky FROM generate_series(1, 1000000) g");
  await eventually(async () => (await gridRows(d)).length > 0 && (await gridRows(d))[0][0] === "1", "the first row");
  await screenshot(d, "million-streaming");
  assert.equal(await waitDone(), "Done", undefined);
  assert.equal(await rowCount(), 1_000_000);
  const m = await metrics(d);
  timings.runToFirstRowPaintedMs = Math.round(m.lastRun.firstRowMs);
  timings.runToDoneMs = Math.round(m.lastRun.doneMs);
  // Jump to the last row: its page comes from the result store (spilled to disk past 64 MB).
  await d.executeScript(() => {
    const grid = [...document.querySelectorAll(".querytab")].find((t) => !t.hidden).querySelector('[data-testid="grid"]');
    grid.scrollTop = grid.scrollHeight;
  });
  await eventually(async () => {
    const rows = await gridRows(d);
    const last = rows[rows.length - 1];
    return last !== undefined && last[0] === "1000000";
  }, "the last row", 20_000);
  const last = (await gridRows(d)).at(-1);
  assert.deepEqual(last, ["1000000", execFileSync("sh", ["-c", "printf 1000000 | md5sum | cut -d' ' -f1"], { encoding: "utf8" }).trim(), "false"]);
  // The row numbers fit their column: no "9999…" at a million.
  const cutRowNumbers = await d.executeScript(() => {
    const grid = [...document.querySelectorAll(".querytab")].find((t) => !t.hidden).querySelector('[data-testid="grid"]');
    return [...grid.querySelectorAll(".grid-row .gc.rn")].filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent);
  });
  assert.deepEqual(cutRowNumbers, [], "row numbers cut off");
  await screenshot(d, "million-last-row");
});

test("Cancel stops a long query on the server and the tab goes on", async () => {
  await runEditor("SELECT pg_sleep(30) /* e2e-cancel */");
  const cancel = await waitVisible(d, ".querytab:not([hidden]) [data-testid=cancel]");
  await eventually(() => psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%e2e-cancel */'") === "1", "the sleep on the server");
  await eventually(async () => /\d/.test(await (await css(".querytab:not([hidden]) [data-testid=elapsed]")).getText()), "elapsed time shown");
  await screenshot(d, "cancel-running");
  await cancel.click();
  // "Cancelled", not "Done": the sleep would otherwise run its 30 s. The server marks the
  // backend idle a moment after the client has the error, so its check polls.
  assert.equal(await waitDone(), "Cancelled");
  await eventually(() => psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%e2e-cancel */'") === "0", "the sleep gone from the server");
  assert.match(await (await waitVisible(d, ".querytab:not([hidden]) [data-testid=cancelled-note]")).getText(), /^Cancelled before any rows came back/);
  await screenshot(d, "cancelled");
  await runEditor("SELECT 'after cancel' AS still_here");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d))[0]?.[0] === "after cancel", "the next query");
});

test("after the server restarts, the next query reconnects and says so", async () => {
  restartServer();
  await runEditor("SELECT 'back' AS status");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d))[0]?.[0] === "back", "the query after the restart");
  await (await css(".querytab:not([hidden]) [data-testid=messages-tab]")).click();
  const messages = await (await css(".querytab:not([hidden]) [data-testid=messages]")).getText();
  assert.match(messages, /reconnected/);
  await screenshot(d, "reconnected");
  // The tree works again too: a level not loaded before the restart.
  await (await nodeAt(timings.pgConnectionId, [pg.database, "e2e", "tables", "people", "indexes"])).click();
  await nodeAt(timings.pgConnectionId, [pg.database, "e2e", "tables", "people", "indexes", "people_pkey"]);
});

test("a schema with 20,000 tables expands and filters smoothly", async () => {
  const id = timings.pgConnectionId;
  await (await nodeAt(id, [pg.database, "wide"])).click();
  const folder = await nodeAt(id, [pg.database, "wide", "tables"]);
  await d.executeScript(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const before = (await metrics(d)).treeExpands.length;
  assert.equal(await d.executeScript((el) => el.querySelector(".badge")?.textContent, folder), "20k");
  await folder.click();
  await nodeAt(id, [pg.database, "wide", "tables", "t1"]);
  const expand = await eventually(async () => {
    const e = (await metrics(d)).treeExpands;
    return e.length > before ? e[e.length - 1] : null;
  }, "the expansion timing");
  assert.equal(expand.count, 20000);
  timings.treeExpand20kMs = Math.round(expand.ms);
  await screenshot(d, "tree-20000-tables");
  // Scroll to the end of the list and back: rows render as they come into view.
  await d.executeScript(() => {
    const tree = document.querySelector('[data-testid="tree"]');
    tree.scrollTop = tree.scrollHeight;
  });
  // The last table in name order renders once the list is scrolled to its end.
  await eventually(async () => (await all(`[data-testid="tree-node"][data-path="${pg.database}/wide/tables/t9999"]`)).length === 1, "the last table");
  const filter = await css('[data-testid="tree-filter"]');
  await filter.sendKeys("t19999");
  await nodeAt(id, [pg.database, "wide", "tables", "t19999"]);
  const shown = await all('[data-testid="tree-node"][data-kind="table"]');
  assert.ok(shown.length < 10, `filter leaves few tables: ${shown.length}`);
  await screenshot(d, "tree-filtered");
  await filter.sendKeys(Key.ESCAPE);
});

test("the shortcuts, palette and cell viewer open from the keyboard", async () => {
  await (await css("body")).sendKeys(Key.F1);
  await waitVisible(d, '[data-testid="shortcuts"]');
  await screenshot(d, "shortcuts");
  await (await css("body")).sendKeys(Key.ESCAPE);
  await runEditor("SELECT '{\"deep\": {\"list\": [1, 2, 3], \"text\": \"x\"}}'::jsonb AS doc, repeat('long ', 1000) AS long_text");
  assert.equal(await waitDone(), "Done");
  const cell = await eventually(async () => {
    const c = await all('.querytab:not([hidden]) .grid-row .gc[data-col="0"]');
    return c.length > 0 && (await c[0].getText()) !== "…" ? c[0] : null;
  }, "the JSON cell");
  await setTheme("dark");
  await doubleClick(d, cell);
  const viewer = await waitVisible(d, '[data-testid="cell-viewer"]');
  const text = await (await viewer.findElement(By.css('[data-testid="viewer-text"]'))).getText();
  assert.equal(text, '{\n  "deep": {\n    "list": [\n      1,\n      2,\n      3\n    ],\n    "text": "x"\n  }\n}');
  await screenshot(d, "cell-viewer-dark");
  await (await css("body")).sendKeys(Key.ESCAPE);
  await screenshot(d, "grid-dark");
  await setTheme("light");
  const editorNow = await editorText(d);
  assert.match(editorNow, /long_text/);
});

test("a MariaDB connection: dialog, tree down to columns, values, and Cancel by KILL QUERY", async () => {
  mariadb(`DROP TABLE IF EXISTS e2e_people;
           CREATE TABLE e2e_people (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, nickname VARCHAR(20),
                                    born DATE, score DECIMAL(6,2), flags BIT(4));
           INSERT INTO e2e_people VALUES (1, 'Ada', NULL, '1815-12-10', 99.50, b'1010'),
                                         (2, 'Grace', '', '1906-12-09', NULL, b'0001');`);
  // Fold the PostgreSQL connection (20,000 tables open) so the new one shows below it.
  await (await css(`[data-testid="conn-${timings.pgConnectionId}"]`)).click();
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css('[data-testid="engine-mysql"]'))).click();
  const field = async (id, value) => {
    await typeInto(await dialog.findElement(By.css(`[data-testid="${id}"]`)), value);
  };
  await field("field-name", "Test MariaDB");
  await field("field-host", my.host);
  await field("field-port", my.port);
  await field("field-user", my.user);
  await field("field-password", my.password);
  await field("field-database", my.database);
  await (await dialog.findElement(By.css('[data-testid="test-connection"]'))).click();
  const result = await eventually(async () => {
    const r = await dialog.findElements(By.css('[data-testid="test-result"]'));
    return r.length > 0 ? r[0].getText() : null;
  }, "the test result");
  assert.match(result, /^Connected: MariaDB 1\d/);
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const conn = await eventually(async () => {
    for (const el of await all('[data-testid^="conn-"][data-name]')) {
      if ((await el.getAttribute("data-name")) === "Test MariaDB") return el;
    }
    return null;
  }, "the new connection in the tree");
  const id = (await conn.getAttribute("data-testid")).replace("conn-", "");
  await eventually(async () => (await (await css(`[data-testid="conn-state-${id}"]`)).getAttribute("data-state")) === "connected", "connected");

  await (await css(`[data-testid="conn-${id}"]`)).click();
  await (await nodeAt(id, [my.database])).click();
  await (await nodeAt(id, [my.database, "tables"])).click();
  await (await (await nodeAt(id, [my.database, "tables", "e2e_people"])).findElement(By.css('[data-testid="twisty"]'))).click();
  const name = await nodeAt(id, [my.database, "tables", "e2e_people", "name"]);
  assert.match(await name.getAttribute("title"), /varchar\(20\) NOT NULL/);
  await screenshot(d, "mariadb-tree-columns");

  await doubleClick(d, await nodeAt(id, [my.database, "tables", "e2e_people"]));
  await eventually(async () => (await gridRows(d)).filter((r) => r[0] !== "…").length === 2, "two people");
  const rows = await gridRows(d);
  assert.deepEqual(rows[0], ["1", "Ada", "NULL", "1815-12-10", "99.50", "\\x0a"]);
  assert.deepEqual(rows[1], ["2", "Grace", "", "1906-12-09", "NULL", "\\x01"]);
  await screenshot(d, "mariadb-values");
  await (await css('[data-testid="new-tab"]')).click();

  const sleeping = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE '%e2e-cancel */'";
  await runEditor("SELECT SLEEP(30) /* e2e-cancel */");
  const cancel = await waitVisible(d, ".querytab:not([hidden]) [data-testid=cancel]");
  await eventually(() => mariadb(sleeping) === "1", "the sleep on the server");
  await cancel.click();
  assert.equal(await waitDone(), "Cancelled");
  await eventually(() => mariadb(sleeping) === "0", "the sleep gone from the server");
  await runEditor("SELECT 'after cancel' AS still_here, @@version_comment LIKE '%mariadb%' AS is_maria");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d))[0]?.[0] === "after cancel", "the next query");
  await screenshot(d, "mariadb-after-cancel");
});
