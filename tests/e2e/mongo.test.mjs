// MongoDB as a person meets it in the window: a mongodb:// URL pasted into the dialog, the
// tree down to a collection's fields and indexes, a find shown as a grid and as JSON, an
// aggregation, an insert with its counts, a parse error marked in the editor, and a long
// aggregation cancelled with the tab still usable.
import assert from "node:assert/strict";
import { By, Key, doubleClick, editorText, eventually, gridRows, finishedState, runAll, screenshot, setEditor, treeNode, typeInto, waitVisible, windowSuite } from "./harness.mjs";
import { mongoDb, mongoUrl, pymongo } from "./mongo.mjs";

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

/** The grid's header names, in order. */
async function header() {
  return d.executeScript(() =>
    [...document.querySelectorAll(".querytab:not([hidden]) .grid-header .gc .name")].map((e) => e.textContent),
  );
}

let id;

test("a mongodb:// URL pasted into the dialog connects", async () => {
  pymongo(`
db.client.drop_database(db.name)
db.people.insert_many([
    {"_id": 1, "name": "Ada", "born": 1815, "address": {"city": "London", "zip": "W1"}, "tags": ["math"]},
    {"_id": 2, "name": "Grace", "born": 1906, "address": {"city": "New York"}},
    {"_id": 3, "name": "Linus", "born": 1969, "languages": ["C"]},
])
db.people.create_index("name", unique=True)
db.big.insert_many([{"_id": i, "n": i % 97, "s": "x" * 40} for i in range(60000)])
`);
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css('[data-testid="engine-mongodb"]'))).click();
  await typeInto(await dialog.findElement(By.css('[data-testid="url-input"]')), mongoUrl());
  await (await dialog.findElement(By.css('[data-testid="url-import"]'))).click();
  await typeInto(await dialog.findElement(By.css('[data-testid="field-name"]')), "Test MongoDB");
  await (await dialog.findElement(By.css('[data-testid="test-connection"]'))).click();
  const result = await eventually(async () => {
    const r = await dialog.findElements(By.css('[data-testid="test-result"]'));
    const t = r.length > 0 ? await r[0].getText() : "";
    return t.startsWith("Connected") || t.includes("failed") || t.includes("error") ? t : null;
  }, "the test result");
  assert.match(result, /^Connected: \d+\.\d+/);
  await screenshot(d, "mongo-dialog");
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const conn = await eventually(async () => {
    for (const el of await all('[data-testid^="conn-"][data-name]')) {
      if ((await el.getAttribute("data-name")) === "Test MongoDB") return el;
    }
    return null;
  }, "the new connection in the tree");
  id = (await conn.getAttribute("data-testid")).replace("conn-", "");
  await eventually(async () => (await (await css(`[data-testid="conn-state-${id}"]`)).getAttribute("data-state")) === "connected", "connected");
});

test("the tree opens down to fields and indexes", async () => {
  await (await css(`[data-testid="conn-${id}"]`)).click();
  await (await nodeAt(id, [mongoDb])).click();
  await (await nodeAt(id, [mongoDb, "collections"])).click();
  await (await (await nodeAt(id, [mongoDb, "collections", "people"])).findElement(By.css('[data-testid="twisty"]'))).click();
  await (await nodeAt(id, [mongoDb, "collections", "people", "fields"])).click();
  const address = await nodeAt(id, [mongoDb, "collections", "people", "fields", "address"]);
  assert.match(await address.getAttribute("title"), /object/);
  await (await address.findElement(By.css('[data-testid="twisty"]'))).click();
  const city = await nodeAt(id, [mongoDb, "collections", "people", "fields", "address", "city"]);
  assert.match(await city.getAttribute("title"), /string/);
  await (await nodeAt(id, [mongoDb, "collections", "people", "indexes"])).click();
  const index = await nodeAt(id, [mongoDb, "collections", "people", "indexes", "name_1"]);
  assert.match(await index.getAttribute("title"), /UNIQUE \(name\)/);
  await screenshot(d, "mongo-tree");
});

test("a find shows as a grid whose columns are the fields, and as JSON", async () => {
  await doubleClick(d, await nodeAt(id, [mongoDb, "collections", "people"]));
  await eventually(async () => (await gridRows(d)).filter((r) => r[0] !== "…").length === 3, "three people");
  assert.deepEqual(await header(), ["_id", "name", "born", "address", "tags", "languages"]);
  const rows = await gridRows(d);
  assert.deepEqual(rows[0].slice(0, 3), ["1", "Ada", "1815"]);
  assert.equal(rows[0][3], '{"city":"London","zip":"W1"}');
  assert.equal(rows[1][4], "", "Grace has no tags: missing, not NULL");
  assert.equal(rows[0][5], "", "Ada has no languages, though the column came after her row");
  await screenshot(d, "mongo-grid");
  await (await css('.querytab:not([hidden]) [data-testid="view-typed"]')).click();
  const docs = await eventually(async () => {
    const el = await all('.querytab:not([hidden]) [data-testid="document"]');
    return el.length === 3 ? el : null;
  }, "three documents");
  const first = await docs[0].getText();
  assert.match(first, /"name": "Ada"/);
  assert.match(first, /"city": "London"/);
  await screenshot(d, "mongo-json");
  await (await css('.querytab:not([hidden]) [data-testid="view-grid"]')).click();
});

test("an aggregation and an insert run, with their counts", async () => {
  await runEditor("db.people.aggregate([{$group: {_id: {$gt: ['$born', 1900]}, n: {$sum: 1}}}, {$sort: {_id: 1}}])");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d)).length === 2, "two groups");
  assert.deepEqual((await gridRows(d)).map((r) => r.slice(0, 2)), [["false", "1"], ["true", "2"]]);
  await runEditor("db.people.insertOne({_id: 4, name: 'Barbara', born: 1939})");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await header()).includes("insertedId"), "the insert's result");
  assert.deepEqual((await gridRows(d))[0], ["true", "4"]);
  assert.equal(pymongo("print(db.people.count_documents({}))"), "4");
  await screenshot(d, "mongo-insert");
});

test("Ctrl+Enter runs the statement under the cursor, chained lines included", async () => {
  await setEditor(d, "db.people.countDocuments({})\ndb.people.find({born: {$lt: 1900}})\n.limit(1)");
  await (await css(".querytab:not([hidden]) .cm-content")).sendKeys(Key.chord(Key.CONTROL, Key.ENTER));
  assert.equal(await waitDone(), "Done");
  assert.equal((await all('.querytab:not([hidden]) [data-testid^="result-tab-"]')).length, 1, "one statement ran");
  await eventually(async () => (await gridRows(d))[0]?.[1] === "Ada", "Ada, born before 1900");
});

test("the editor completes collections and their methods, and highlights the shell", async () => {
  const options = () =>
    eventually(async () => {
      const items = await d.executeScript(() => [...document.querySelectorAll(".cm-tooltip-autocomplete li")].map((e) => e.textContent));
      return items.length > 0 ? items : null;
    }, "completion options");
  await setEditor(d, "db.peo");
  assert.ok((await options()).some((o) => o.startsWith("people")), "the collection offered after db.");
  const content = await css(".querytab:not([hidden]) .cm-content");
  await content.sendKeys(Key.ESCAPE);
  // Typed out rather than accepted with Enter: on a busy machine the popup can be
  // refreshing when Enter lands, which then breaks the line instead.
  await setEditor(d, "db.people.fin");
  assert.ok((await options()).some((o) => o.startsWith("find")), "the collection's methods offered");
  await content.sendKeys(Key.ESCAPE);
  await setEditor(d, "db.people.find({name: /^A/, $or: [{born: 1815}]}) // Ada");
  // Each kind of token gets its own colour: the shell, not SQL, is being highlighted.
  const colours = await d.executeScript(() => {
    const colour = (text) => {
      const span = [...document.querySelectorAll(".querytab:not([hidden]) .cm-line span")].find((e) => e.textContent === text);
      return span === undefined ? null : getComputedStyle(span).color;
    };
    return { regex: colour("/^A/"), op: colour("$or"), comment: colour("// Ada"), number: colour("1815") };
  });
  assert.ok(colours.regex !== null && colours.op !== null && colours.comment !== null && colours.number !== null, JSON.stringify(colours));
  assert.equal(new Set(Object.values(colours)).size, 4, JSON.stringify(colours));
  await screenshot(d, "mongo-editor");
});

test("a parse error is shown with its place and marked in the editor", async () => {
  // A new line keeps the indentation of the one before, as in mongosh and most editors:
  // the third line is typed without it and arrives indented like the second.
  await runEditor("db.people.find({born: {$gt: 1900}})\n  .sort({born: -1})\n.limt(2)");
  assert.equal(await editorText(d), "db.people.find({born: {$gt: 1900}})\n  .sort({born: -1})\n  .limt(2)");
  assert.equal(await waitDone(), "Error");
  const text = await (await waitVisible(d, ".querytab:not([hidden]) [data-testid=error]")).getText();
  assert.match(text, /Syntax error/);
  assert.match(text, /line 3, column 4: unknown cursor method 'limt\(\)'/);
  const marked = await eventually(async () => {
    const m = await all(".querytab:not([hidden]) .cm-error-mark");
    return m.length > 0 ? m[0].getText() : null;
  }, "the error mark");
  assert.equal(marked, "limt");
  await screenshot(d, "mongo-parse-error");
});

test("a long aggregation is cancelled and the tab goes on", async () => {
  const openCursors = () => Number(pymongo('print(db.client.admin.command("serverStatus")["metrics"]["cursor"]["open"]["total"])'));
  const before = openCursors();
  await runEditor("db.big.aggregate([{$match: {n: {$gte: 0}}}, {$project: {s: 0}}], {batchSize: 20})");
  const cancel = await waitVisible(d, ".querytab:not([hidden]) [data-testid=cancel]");
  await eventually(async () => (await gridRows(d)).length > 0, "the first documents");
  await cancel.click();
  assert.equal(await waitDone(), "Cancelled");
  await eventually(() => openCursors() <= before, "the cursor killed on the server");
  await screenshot(d, "mongo-cancelled");
  await runEditor("db.big.countDocuments({n: 0})");
  assert.equal(await waitDone(), "Done");
  await eventually(async () => (await gridRows(d))[0]?.[0] === "619", "the next query");
});
