// SQL Server as a person meets it in the window: a sqlserver:// URL pasted into the dialog,
// a script with GO run from a new query tab, the tree down to a table's columns, a batch
// with PRINT between two SELECTs shown as two results and the messages in server order, an
// error shown once in its place, and a long statement cancelled with the tab still usable.
import assert from "node:assert/strict";
import { By, Key, eventually, gridRows, finishedState, runAll, screenshot, treeNode, typeInto, waitVisible, windowSuite } from "./harness.mjs";

const url = process.env.DBHIVE_TEST_MSSQL_URL;
if (url === undefined) throw new Error("DBHIVE_TEST_MSSQL_URL is not set: run scripts/e2e.sh through scripts/test.sh");
// Babelfish (scripts/mssql-server.sh, which sets the CA) has no WAITFOR.
const longQuery =
  process.env.DBHIVE_TEST_MSSQL_LONG_QUERY ?? (process.env.DBHIVE_TEST_MSSQL_CA !== undefined ? "EXEC pg_catalog.pg_sleep 30" : "WAITFOR DELAY '00:00:30'");
const database = new URL(url).pathname.replace(/^\//, "") || "master";

let d;
const { test } = windowSuite({
  opened: (driver) => {
    d = driver;
  },
});

const css = (s) => d.findElement(By.css(s));
const all = (s) => d.findElements(By.css(s));

const nodeAt = (connId, path) => treeNode(d, connId, path);
const runEditor = (text) => runAll(d, text);
const waitDone = (timeout) => finishedState(d, timeout);

let id;

/** Opens the tab's Messages pane; the text of its `count` messages, whitespace folded. */
async function messageTexts(count) {
  await (await css('.querytab:not([hidden]) [data-testid="messages-tab"]')).click();
  const messages = await eventually(async () => {
    const m = await all('.querytab:not([hidden]) [data-testid="messages"] .message');
    return m.length >= count ? Promise.all(m.map((e) => e.getText())) : null;
  }, "the messages");
  const texts = messages.map((m) => m.replace(/\s+/g, " ").trim());
  assert.equal(texts.length, count, JSON.stringify(texts));
  return texts;
}

test("a sqlserver:// URL pasted into the dialog connects", async () => {
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css('[data-testid="engine-mssql"]'))).click();
  await typeInto(await dialog.findElement(By.css('[data-testid="url-input"]')), url);
  await (await dialog.findElement(By.css('[data-testid="url-import"]'))).click();
  await typeInto(await dialog.findElement(By.css('[data-testid="field-name"]')), "Test SQL Server");
  await (await dialog.findElement(By.css('[data-testid="test-connection"]'))).click();
  const result = await eventually(async () => {
    const r = await dialog.findElements(By.css('[data-testid="test-result"]'));
    const t = r.length > 0 ? await r[0].getText() : "";
    return t.startsWith("Connected") || t.includes("failed") || t.includes("error") ? t : null;
  }, "the test result");
  assert.match(result, /^Connected/);
  await screenshot(d, "mssql-dialog");
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const conn = await eventually(async () => {
    for (const el of await all('[data-testid^="conn-"][data-name]')) {
      if ((await el.getAttribute("data-name")) === "Test SQL Server") return el;
    }
    return null;
  }, "the new connection in the tree");
  id = (await conn.getAttribute("data-testid")).replace("conn-", "");
  await eventually(async () => (await (await css(`[data-testid="conn-state-${id}"]`)).getAttribute("data-state")) === "connected", "connected");
});

test("a script with GO runs in a new query tab", async () => {
  await (await css(`[data-testid="conn-${id}"]`)).click();
  await (await css('[data-testid="tree"]')).sendKeys(Key.chord(Key.SHIFT, Key.F10));
  const menu = await waitVisible(d, '[data-testid="context-menu"]');
  await (await menu.findElement(By.xpath(".//*[text()='New query']"))).click();
  await runEditor(
    [
      "IF OBJECT_ID('dbo.e2e_people') IS NOT NULL DROP TABLE dbo.e2e_people",
      "GO",
      "CREATE TABLE dbo.e2e_people (id int PRIMARY KEY, name nvarchar(40) NOT NULL, born int NULL)",
      "INSERT INTO dbo.e2e_people VALUES (1, N'Ada', 1815), (2, N'Grace', 1906), (3, N'Édith', NULL)",
    ].join("\n"),
  );
  assert.equal(await waitDone(), "Done");
});

test("the tree opens down to a table's columns", async () => {
  await (await nodeAt(id, [database])).click();
  await (await nodeAt(id, [database, "dbo"])).click();
  await (await nodeAt(id, [database, "dbo", "tables"])).click();
  await (await (await nodeAt(id, [database, "dbo", "tables", "e2e_people"])).findElement(By.css('[data-testid="twisty"]'))).click();
  const name = await nodeAt(id, [database, "dbo", "tables", "e2e_people", "name"]);
  assert.match(await name.getAttribute("title"), /nvarchar\(40\) NOT NULL/);
  const key = await nodeAt(id, [database, "dbo", "tables", "e2e_people", "id"]);
  assert.match(await key.getAttribute("title"), /int PK/);
  await screenshot(d, "mssql-tree");
});

test("PRINT between two SELECTs: two results, and the messages in server order", async () => {
  await runEditor("SELECT name, born FROM dbo.e2e_people WHERE id = 3\nPRINT 'between the two'\nSELECT COUNT(*) AS people FROM dbo.e2e_people");
  assert.equal(await waitDone(), "Done");
  const tabs = await eventually(async () => {
    const t = await all('.querytab:not([hidden]) [data-testid^="result-tab-"]');
    return t.length === 2 ? t : null;
  }, "two result tabs");
  await eventually(async () => JSON.stringify((await gridRows(d))[0]?.slice(0, 2)) === JSON.stringify(["Édith", "NULL"]), "Édith, born NULL");
  await screenshot(d, "mssql-first-result");
  await tabs[1].click();
  await eventually(async () => (await gridRows(d))[0]?.[0] === "3", "three people");
  const texts = await messageTexts(3);
  assert.equal(texts[0], "(1 row affected)");
  assert.match(texts[1], /^INFO ?between the two$/);
  assert.equal(texts[2], "(1 row affected)");
  await screenshot(d, "mssql-messages");
});

test("an error in the middle of a batch shows once, in its place, and the batch goes on", async () => {
  await runEditor("SELECT 1 AS a\nSELECT 1/0 AS boom\nPRINT 'after the error'");
  assert.equal(await waitDone(), "Error");
  const texts = await messageTexts(3);
  assert.equal(texts[0], "(1 row affected)");
  assert.match(texts[1], /^ERROR ?.*Msg 8134, Level 16, State 1, Line 2/);
  assert.match(texts[2], /^INFO ?after the error$/);
  assert.equal((await all('.querytab:not([hidden]) [data-testid="error"]')).length, 1, "the error box above the messages");
  await screenshot(d, "mssql-error-in-place");
});

test("a long statement is cancelled on the server and the tab goes on", async () => {
  await runEditor(longQuery);
  const cancel = await waitVisible(d, ".querytab:not([hidden]) [data-testid=cancel]");
  await new Promise((r) => setTimeout(r, 1000));
  await cancel.click();
  // Not a speed bound: the statement would run 30 s.
  assert.equal(await waitDone(20_000), "Cancelled");
  await screenshot(d, "mssql-cancelled");
  await runEditor("SELECT 7 AS seven");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d))[0]?.[0] === "7", "the next query");
});
