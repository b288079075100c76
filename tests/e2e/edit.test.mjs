// Table data as a person edits it in the window: a table opened from the tree, sorted by its
// headers and filtered on the server with the query shown; three cells edited and a row
// added, the statements reviewed, committed and read back from the server; a concurrent
// change shown as a conflict with the edit kept; a view that says why it is read-only; and
// a query tab in manual-commit mode rolled back and committed.
import assert from "node:assert/strict";
import { By, Key, doubleClick, eventually, finishedState, gridRows, runAll, screenshot, treeNode, typeInto, waitVisible, windowSuite } from "./harness.mjs";
import { my, mariadb } from "./mariadb.mjs";
import { pg, psql } from "./pg.mjs";

let d;
const { test } = windowSuite({
  opened: (driver) => {
    d = driver;
  },
});

const css = (s) => d.findElement(By.css(s));
const all = (s) => d.findElements(By.css(s));
const inTab = (s) => css(`.querytab:not([hidden]) ${s}`);
const nodeAt = (connId, path) => treeNode(d, connId, path);
let id;

/** The visible grid's rows, once `count` of them are drawn. */
async function rowsWhen(count, what) {
  return eventually(async () => {
    const rows = (await gridRows(d)).filter((r) => r[0] !== "…");
    return rows.length === count ? rows : null;
  }, what);
}

async function browseSql() {
  return d.executeScript(() => document.querySelector('.querytab:not([hidden]) [data-testid="browse-sql"]')?.textContent ?? "");
}

/** Types `text` into cell (row, col) of the visible grid, as a person does: double-click,
 *  replace, Enter. */
async function editCell(row, col, text) {
  const cell = await inTab(`.grid-row[data-row="${row}"] .gc[data-col="${col}"]`);
  await doubleClick(d, cell);
  const editor = await waitVisible(d, '.querytab:not([hidden]) [data-testid="cell-editor"]');
  await typeInto(editor, text);
  await editor.sendKeys(Key.ENTER);
}

/** Picks `value` in a select of the visible tab. (WebKitWebDriver does not click options.) */
async function choose(selector, value) {
  const select = await inTab(selector);
  await d.executeScript(
    (el, v) => {
      Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value").set.call(el, v);
      el.dispatchEvent(new Event("change", { bubbles: true }));
    },
    select,
    value,
  );
}

/** Saves and connects a connection made in the dialog; returns its id. */
async function addConnection(engine, name, server, switches = []) {
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css(`[data-testid="engine-${engine}"]`))).click();
  for (const [field, value] of Object.entries({ "field-name": name, "field-host": server.host, "field-port": server.port, "field-user": server.user, "field-password": server.password, "field-database": server.database })) {
    await typeInto(await dialog.findElement(By.css(`[data-testid="${field}"]`)), value);
  }
  for (const testid of switches) {
    const box = await dialog.findElement(By.css(`[data-testid="${testid}"]`));
    await d.executeScript((el) => el.scrollIntoView({ block: "center" }), box);
    await box.click();
  }
  if (switches.length > 0) await screenshot(d, "edit-11-dialog-safety");
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const conn = await eventually(async () => {
    for (const el of await all('[data-testid^="conn-"][data-name]')) if ((await el.getAttribute("data-name")) === name) return el;
    return null;
  }, "the saved connection");
  const connId = (await conn.getAttribute("data-testid")).replace("conn-", "");
  await eventually(async () => (await (await css(`[data-testid="conn-state-${connId}"]`)).getAttribute("data-state")) === "connected", "connected");
  return connId;
}

async function pendingCount() {
  const el = await all('.querytab:not([hidden]) [data-testid="pending-count"]');
  return el.length === 0 ? 0 : Number((await el[0].getText()).split(" ")[0]);
}

test("a PostgreSQL table opens from the tree, sorted and filtered on the server", async () => {
  psql(`DROP SCHEMA IF EXISTS e2e_edit CASCADE;
        SET client_min_messages = warning;
        CREATE SCHEMA e2e_edit;
        CREATE TABLE e2e_edit.items (id serial PRIMARY KEY, name text NOT NULL, qty int, price numeric(12,4), note text, made timestamptz DEFAULT now());
        INSERT INTO e2e_edit.items (name, qty, price, note) VALUES
          ('bolt', 5, 0.1000, 'zinc'), ('nut', 2, 0.0500, NULL), ('gear', 5, 12.5000, ''), ('axle', 1, 40.0000, 'steel'), ('cam', 3, 7.2500, NULL);
        CREATE VIEW e2e_edit.cheap AS SELECT id, name FROM e2e_edit.items WHERE price < 1;`);
  id = await addConnection("postgres", "Edits", pg);
  await (await css(`[data-testid="conn-${id}"]`)).click();
  await (await nodeAt(id, [pg.database])).click();
  await (await nodeAt(id, [pg.database, "e2e_edit"])).click();
  await (await nodeAt(id, [pg.database, "e2e_edit", "tables"])).click();
  await doubleClick(d, await nodeAt(id, [pg.database, "e2e_edit", "tables", "items"]));

  let rows = await rowsWhen(5, "five items");
  assert.deepEqual(rows[0].slice(0, 5), ["1", "bolt", "5", "0.1000", "zinc"]);
  await eventually(async () => (await browseSql()) === 'SELECT * FROM "e2e_edit"."items" LIMIT 1000', "the query shown");
  assert.match(await (await inTab('[data-testid="row-key"]')).getText(), /primary key \(id\)/);

  // A header click sorts on the server; Shift+click adds a second key.
  await (await inTab('[data-testid="grid-header"][data-name="qty"]')).click();
  await eventually(async () => (await browseSql()).includes('ORDER BY "qty"'), "sorted by qty");
  await d.actions().keyDown(Key.SHIFT).click(await inTab('[data-testid="grid-header"][data-name="name"]')).keyUp(Key.SHIFT).perform();
  await eventually(async () => (await browseSql()).includes('ORDER BY "qty", "name"'), "then by name");
  rows = await rowsWhen(5, "sorted items");
  assert.deepEqual(
    rows.map((r) => r[1]),
    ["axle", "nut", "cam", "bolt", "gear"],
  );
  // Twice on the same header: descending.
  await (await inTab('[data-testid="grid-header"][data-name="qty"]')).click();
  await eventually(async () => (await browseSql()).endsWith('ORDER BY "qty" LIMIT 1000'), "one key again");
  await (await inTab('[data-testid="grid-header"][data-name="qty"]')).click();
  await eventually(async () => (await browseSql()).includes('ORDER BY "qty" DESC'), "descending");

  // The user's own WHERE, and a column condition built in the bar.
  const where = await inTab('[data-testid="where"]');
  await typeInto(where, "price < 10");
  await where.sendKeys(Key.ENTER);
  await eventually(async () => (await browseSql()).includes("WHERE (price < 10\n)"), "the WHERE in the query");
  await (await inTab('[data-testid="new-condition"]')).click();
  await choose('[data-testid="condition-column"]', "note");
  await choose('[data-testid="condition-op"]', "is_not_null");
  await (await inTab('[data-testid="condition-add"]')).click();
  await eventually(async () => (await browseSql()).includes('WHERE "note" IS NOT NULL AND (price < 10\n)'), "the condition in the query");
  rows = await rowsWhen(1, "one cheap item with a note");
  assert.equal(rows[0][1], "bolt");
  await screenshot(d, "edit-01-sorted-filtered");
  // Back to every row, in key order.
  await (await inTab('[data-testid="condition"] .x')).click();
  await typeInto(where, "");
  await where.sendKeys(Key.ENTER);
  await eventually(async () => (await browseSql()) === 'SELECT * FROM "e2e_edit"."items" ORDER BY "qty" DESC LIMIT 1000', "no filter");
  await rowsWhen(5, "five items, unfiltered");
  await (await inTab('[data-testid="grid-header"][data-name="id"]')).click();
  await eventually(async () => (await browseSql()) === 'SELECT * FROM "e2e_edit"."items" ORDER BY "id" LIMIT 1000', "every row by id");
  await rowsWhen(5, "five items again");
});

test("three cells edited and a row added are reviewed as SQL and committed", async () => {
  await editCell(0, 1, "bolt M6");
  await editCell(1, 3, "0.0625");
  // Delete makes a cell NULL; an empty string is typed, and stays apart.
  await (await inTab('.grid-row[data-row="2"] .gc[data-col="4"]')).click();
  await (await inTab('[data-testid="grid"]')).sendKeys(Key.DELETE);
  await (await inTab('[data-testid="add-row"]')).click();
  await editCell(5, 1, "washer");
  await editCell(5, 2, "100");
  assert.equal(await pendingCount(), 4);
  const rows = (await gridRows(d)).filter((r) => r[0] !== "…");
  assert.equal(rows[0][1], "bolt M6");
  assert.equal(rows[2][4], "NULL");
  assert.equal(rows[5][0], "DEFAULT", "the new row's id is left to its sequence");
  const edited = await all('.querytab:not([hidden]) .gc.edited');
  assert.equal(edited.length, 5, "each changed cell is marked");
  await screenshot(d, "edit-02-pending");

  await (await inTab('[data-testid="review"]')).click();
  const review = await waitVisible(d, '[data-testid="review-dialog"]');
  const sql = await (await review.findElement(By.css('[data-testid="review-sql"]'))).getText();
  assert.equal(
    sql,
    [
      `UPDATE "e2e_edit"."items" SET "name" = 'bolt M6' WHERE "id" = 1 AND "name" = 'bolt';`,
      `UPDATE "e2e_edit"."items" SET "price" = '0.0625' WHERE "id" = 2 AND "price" = 0.0500;`,
      `UPDATE "e2e_edit"."items" SET "note" = NULL WHERE "id" = 3 AND "note" = '';`,
      `INSERT INTO "e2e_edit"."items" ("name", "qty") VALUES ('washer', '100');`,
    ].join("\n"),
  );
  await screenshot(d, "edit-03-review");
  await (await review.findElement(By.css('[data-testid="review-commit"]'))).click();
  await eventually(async () => (await pendingCount()) === 0 && (await all('[data-testid="review-dialog"]')).length === 0, "committed");
  assert.equal(
    psql("SELECT string_agg(concat_ws('|', id, name, qty, price, coalesce(note, 'NULL')), ';' ORDER BY id) FROM e2e_edit.items"),
    "1|bolt M6|5|0.1000|zinc;2|nut|2|0.0625|NULL;3|gear|5|12.5000|NULL;4|axle|1|40.0000|steel;5|cam|3|7.2500|NULL;6|washer|100|NULL",
  );
  // The grid reads the rows again: the new row has its own id and default time.
  const after = await rowsWhen(6, "six items");
  assert.deepEqual(after[5].slice(0, 3), ["6", "washer", "100"]);
  assert.notEqual(after[5][5], "NULL");
  await screenshot(d, "edit-04-committed");
});

test("a row changed by someone else is a conflict: nothing is committed and the edit stays", async () => {
  await editCell(3, 2, "2");
  psql("UPDATE e2e_edit.items SET qty = 9 WHERE id = 4");
  await (await inTab('[data-testid="commit"]')).click();
  const error = await waitVisible(d, '.querytab:not([hidden]) [data-testid="commit-error"]');
  assert.match(await error.getText(), /Conflict \(row 4\)/);
  assert.match(await error.getText(), /your changes are still pending/);
  assert.equal(await pendingCount(), 1);
  assert.equal((await gridRows(d))[3][2], "2", "the user's value is still there");
  assert.equal(psql("SELECT qty FROM e2e_edit.items WHERE id = 4"), "9", "the other change stands");
  assert.equal((await all('.querytab:not([hidden]) .grid-row.conflict')).length, 1);
  await screenshot(d, "edit-05-conflict");
  // Undo takes the edit back; Redo brings it again; Discard drops it.
  await (await inTab('[data-testid="undo"]')).click();
  assert.equal(await pendingCount(), 0);
  await (await inTab('[data-testid="redo"]')).click();
  assert.equal(await pendingCount(), 1);
  await (await inTab('[data-testid="discard"]')).click();
  assert.equal(await pendingCount(), 0);
  await (await inTab('[data-testid="refresh"]')).click();
  await eventually(async () => (await gridRows(d))[3]?.[2] === "9", "the row as it is now");
});

test("a view is read-only and says why", async () => {
  await (await nodeAt(id, [pg.database, "e2e_edit", "views"])).click();
  await doubleClick(d, await nodeAt(id, [pg.database, "e2e_edit", "views", "cheap"]));
  const banner = await waitVisible(d, '.querytab:not([hidden]) [data-testid="read-only"]');
  assert.match(await banner.getText(), /Read-only: it is a view/);
  await rowsWhen(2, "two cheap items");
  assert.equal(await (await inTab('[data-testid="add-row"]')).isEnabled(), false);
  await screenshot(d, "edit-06-view-read-only");
});

test("a manual-commit tab keeps its work in a transaction until Commit or Rollback", async () => {
  await (await css('[data-testid="new-tab"]')).click();
  await (await waitVisible(d, '.querytab:not([hidden]) [data-testid="tx-mode"]')).click();
  await runAll(d, "INSERT INTO e2e_edit.items (name) VALUES ('pending')");
  assert.equal(await finishedState(d), "Done");
  await waitVisible(d, '.querytab:not([hidden]) [data-testid="tx-open"]');
  const count = () => psql("SELECT count(*) FROM e2e_edit.items WHERE name = 'pending'");
  assert.equal(count(), "0", "not visible to others before Commit");
  await screenshot(d, "edit-07-transaction-open");

  // Closing the tab asks first.
  await (await css('[data-testid="tabbar"] .tab.active .close')).click();
  const ask = await waitVisible(d, '[data-testid="confirm-dialog"]');
  assert.match(await ask.getText(), /a transaction that is not committed/);
  await screenshot(d, "edit-08-close-asks");
  await (await ask.findElement(By.css('[data-testid="confirm-no"]'))).click();

  await (await inTab('[data-testid="tx-rollback"]')).click();
  await eventually(async () => (await all('.querytab:not([hidden]) [data-testid="tx-open"]')).length === 0, "the transaction ended");
  assert.equal(count(), "0");
  await runAll(d, "INSERT INTO e2e_edit.items (name) VALUES ('pending')");
  assert.equal(await finishedState(d), "Done");
  await waitVisible(d, '.querytab:not([hidden]) [data-testid="tx-open"]');
  await (await inTab('[data-testid="tx-commit"]')).click();
  await eventually(async () => (await all('.querytab:not([hidden]) [data-testid="tx-open"]')).length === 0, "committed");
  assert.equal(count(), "1");
});

test("MariaDB: an enum is picked from its labels, and a table without a key says why it is read-only", async () => {
  mariadb(`DROP TABLE IF EXISTS e2e_tickets, e2e_loose;
           CREATE TABLE e2e_tickets (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(40) NOT NULL, state ENUM('open','doing','done') NOT NULL DEFAULT 'open', tags SET('bug','ui','db'));
           INSERT INTO e2e_tickets (title, tags) VALUES ('crash on save', 'bug'), ('slow tree', 'ui,db');
           CREATE TABLE e2e_loose (v VARCHAR(10));
           INSERT INTO e2e_loose VALUES ('dup'), ('dup');`);
  // Fold the PostgreSQL connection so the new one shows below it.
  await (await css(`[data-testid="conn-${id}"]`)).click();
  const myId = await addConnection("mysql", "Edits MariaDB", my);
  await (await css(`[data-testid="conn-${myId}"]`)).click();
  await (await nodeAt(myId, [my.database])).click();
  await (await nodeAt(myId, [my.database, "tables"])).click();
  await doubleClick(d, await nodeAt(myId, [my.database, "tables", "e2e_tickets"]));
  await rowsWhen(2, "two tickets");
  await doubleClick(d, await inTab('.grid-row[data-row="1"] .gc[data-col="2"]'));
  const list = await waitVisible(d, '.querytab:not([hidden]) select[data-testid="cell-editor"]');
  const labels = await d.executeScript((el) => [...el.options].map((o) => o.value), list);
  assert.deepEqual(labels, ["open", "doing", "done"]);
  await choose('select[data-testid="cell-editor"]', "doing");
  await editCell(0, 3, "bug,db");
  assert.equal(await pendingCount(), 2);
  await screenshot(d, "edit-09-mariadb-enum");
  await (await inTab('[data-testid="review"]')).click();
  const review = await waitVisible(d, '[data-testid="review-dialog"]');
  assert.equal(
    await (await review.findElement(By.css('[data-testid="review-sql"]'))).getText(),
    [
      `UPDATE \`${my.database}\`.\`e2e_tickets\` SET \`tags\` = 'bug,db' WHERE \`id\` = 1 AND \`tags\` = 'bug';`,
      `UPDATE \`${my.database}\`.\`e2e_tickets\` SET \`state\` = 'doing' WHERE \`id\` = 2 AND \`state\` = 'open';`,
    ].join("\n"),
  );
  await (await review.findElement(By.css('[data-testid="review-commit"]'))).click();
  await eventually(async () => (await pendingCount()) === 0, "committed");
  assert.equal(mariadb("SELECT GROUP_CONCAT(CONCAT(state, '/', tags) ORDER BY id) FROM e2e_tickets"), "open/bug,db,doing/ui,db");

  await doubleClick(d, await nodeAt(myId, [my.database, "tables", "e2e_loose"]));
  const banner = await waitVisible(d, '.querytab:not([hidden]) [data-testid="read-only"]');
  assert.match(await banner.getText(), /Read-only: it has no primary key and no unique key on NOT NULL columns/);
  await rowsWhen(2, "both duplicates shown");
  assert.equal(await (await inTab('[data-testid="add-row"]')).isEnabled(), false);
  await screenshot(d, "edit-10-mariadb-keyless");
});

test("a MariaDB query's rows are edited through the columns' origins; a join says why it cannot be", async () => {
  await (await css('[data-testid="new-tab"]')).click();
  await runAll(d, "SELECT id, title AS name, UPPER(title) AS shout FROM e2e_tickets ORDER BY id");
  assert.equal(await finishedState(d), "Done");
  const bar = await waitVisible(d, '.querytab:not([hidden]) [data-testid="result-edits"]');
  assert.match(await bar.getText(), /Editable: rows of e2e_tickets, rows named by primary key \(id\)/);
  await editCell(0, 1, "crash on load");
  // The upper-cased copy is the query's, not the table's.
  await doubleClick(d, await inTab('.grid-row[data-row="0"] .gc[data-col="2"]'));
  assert.equal((await all('.querytab:not([hidden]) [data-testid="cell-editor"]')).length, 0);
  await (await inTab('[data-testid="review"]')).click();
  const review = await waitVisible(d, '[data-testid="review-dialog"]');
  assert.equal(
    await (await review.findElement(By.css('[data-testid="review-sql"]'))).getText(),
    `UPDATE \`${my.database}\`.\`e2e_tickets\` SET \`title\` = 'crash on load' WHERE \`id\` = 1 AND \`title\` = 'crash on save';`,
  );
  await screenshot(d, "edit-13-query-result-review");
  await (await review.findElement(By.css('[data-testid="review-commit"]'))).click();
  // The query runs again and shows the row as it is now.
  await eventually(async () => (await gridRows(d))[0]?.[2] === "CRASH ON LOAD", "the query run again");
  assert.equal(mariadb("SELECT title FROM e2e_tickets WHERE id = 1"), "crash on load");

  await runAll(d, "SELECT t.id, l.v FROM e2e_tickets t JOIN e2e_loose l ON true");
  assert.equal(await finishedState(d), "Done");
  const note = await waitVisible(d, '.querytab:not([hidden]) [data-testid="result-read-only"]');
  // (WebKitWebDriver reads no text from a one-line ellipsis box: textContent does.)
  assert.match(await d.executeScript((el) => el.textContent, note), /Read-only result: its columns come from 2 tables \(e2e_tickets, e2e_loose\)/);
  await screenshot(d, "edit-14-join-read-only");
});

test("a production connection is tagged, and an UPDATE or DELETE without WHERE asks first", async () => {
  const prodId = await addConnection("postgres", "Orders (prod)", pg, ["field-production", "field-manual-commit"]);
  await (await css(`[data-testid="conn-${prodId}"]`)).click();
  await (await css('[data-testid="tree"]')).sendKeys(Key.chord(Key.SHIFT, Key.F10));
  const menu = await waitVisible(d, '[data-testid="context-menu"]');
  await (await menu.findElement(By.xpath(".//*[text()='New query']"))).click();
  await waitVisible(d, '[data-testid="tabbar"] .tab.active [data-testid="prod-tag"]');
  await eventually(async () => (await d.getTitle()).startsWith("[PRODUCTION] "), "the window title");
  // The connection's default: this tab starts in manual-commit mode.
  assert.equal(await (await inTab('[data-testid="tx-mode"]')).getText(), "Manual commit");
  await (await inTab('[data-testid="tx-mode"]')).click();
  const before = psql("SELECT count(*) FROM e2e_edit.items");
  await runAll(d, "DELETE FROM e2e_edit.items");
  const ask = await waitVisible(d, '[data-testid="confirm-dialog"]');
  assert.match(await ask.getText(), /no WHERE and will change every row/);
  assert.match(await ask.getText(), /DELETE FROM e2e_edit\.items/);
  await screenshot(d, "edit-12-production-asks");
  await (await ask.findElement(By.css('[data-testid="confirm-no"]'))).click();
  assert.equal(psql("SELECT count(*) FROM e2e_edit.items"), before, "nothing ran");
  await runAll(d, "DELETE FROM e2e_edit.items WHERE name = 'pending'");
  assert.equal(await finishedState(d), "Done");
  assert.equal((await all('[data-testid="confirm-dialog"]')).length, 0, "a bounded DELETE runs at once");
  assert.equal(psql("SELECT count(*) FROM e2e_edit.items WHERE name = 'pending'"), "0");
});
