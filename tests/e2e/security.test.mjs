// The credential rules as a person meets them in the window: a server that asks for the
// password in clear text gets an explanation and an opt-in instead of the password; an
// unverified certificate is pinned on first connect and a changed one is shown with both
// fingerprints before it is trusted; an edited address does not get the saved password;
// a mistyped SQLite path is not silently a new database; the limits for stored results; a
// read-only connection whose writes the server refuses.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { By, Key, eventually, finishedState, runAll, screenshot, typeInto, waitVisible, windowSuite } from "./harness.mjs";
import { pg, psql } from "./pg.mjs";
import { makeCertificate, startTlsProxy } from "./tls-proxy.mjs";

let d;
let proxy = null;

const { test } = windowSuite({
  opened: (driver) => {
    d = driver;
  },
  closing: async () => {
    if (proxy !== null) await proxy.close();
  },
});

const css = (s) => d.findElement(By.css(s));
const all = (s) => d.findElements(By.css(s));

/** The saved connections as the app wrote them. */
function savedConnections() {
  const file = path.join(process.env.XDG_CONFIG_HOME, "dev.dbhive.app", "connections.json");
  return JSON.parse(readFileSync(file, "utf8")).connections;
}

function saved(name) {
  const c = savedConnections().find((x) => x.name === name);
  assert.ok(c !== undefined, `no saved connection ${name}`);
  return c;
}

/** Fills the new-connection dialog; returns it, not yet saved. */
async function newConnection(engine, fields) {
  await (await css('[data-testid="new-connection"]')).click();
  const dialog = await waitVisible(d, '[data-testid="connection-dialog"]');
  await (await dialog.findElement(By.css(`[data-testid="engine-${engine}"]`))).click();
  for (const [id, value] of Object.entries(fields)) {
    await typeInto(await dialog.findElement(By.css(`[data-testid="${id}"]`)), value);
  }
  return dialog;
}

async function connState(id) {
  return (await css(`[data-testid="conn-state-${id}"]`)).getAttribute("data-state");
}

/** Opens the tree menu of connection `id` and picks `label`. */
async function connMenu(id, label) {
  // A click selects it (and folds or unfolds it: a connected one only).
  const row = await css(`[data-testid="conn-${id}"]`);
  await d.executeScript((el) => el.scrollIntoView({ block: "nearest" }), row);
  await row.click();
  await (await css('[data-testid="tree"]')).sendKeys(Key.chord(Key.SHIFT, Key.F10));
  const menu = await waitVisible(d, '[data-testid="context-menu"]');
  await (await menu.findElement(By.xpath(`.//*[text()='${label}']`))).click();
}

test("a mistyped SQLite path asks before it becomes a new database", async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "dbhive-e2e-sqlite-")), "new.sqlite");
  const dialog = await newConnection("sqlite", { "field-name": "New SQLite", "field-file": file });
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const ask = await waitVisible(d, '[data-testid="sqlite-create"]');
  assert.match(await ask.getText(), /There is no SQLite database at .*new\.sqlite/);
  assert.equal(existsSync(file), false, "nothing was created before the answer");
  await screenshot(d, "sqlite-create-ask");
  await (await ask.findElement(By.css('[data-testid="sqlite-create-confirm"]'))).click();
  const id = saved("New SQLite").id;
  await eventually(async () => (await connState(id)) === "connected", "connected");
  assert.equal(existsSync(file), true, "created once the user said yes");
});

test("a server that asks for the password in clear text gets an explanation, not the password", async () => {
  const dialog = await newConnection("postgres", {
    "field-name": "Clear-text account",
    "field-host": pg.host,
    "field-port": pg.port,
    "field-user": "dbhive_clear",
    "field-password": pg.password,
    "field-database": pg.database,
  });
  // What the dialog says about these settings (fetched once the typing pauses).
  const summary = await eventually(async () => {
    const found = await dialog.findElements(By.css('[data-testid="security-summary"]'));
    return found.length > 0 ? found[0].getText() : null;
  }, "the security summary");
  assert.match(summary, /not verified/, summary);
  assert.match(summary, /clear text or as MD5 is refused/, summary);
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const refusal = await waitVisible(d, '[data-testid="unverified-server"]');
  const message = await (await refusal.findElement(By.css('[data-testid="unverified-message"]'))).getText();
  assert.match(message, /asked for the password in clear text/);
  assert.match(message, /certificate was not verified/);
  await screenshot(d, "cleartext-refused");
  const id = saved("Clear-text account").id;
  assert.equal(await connState(id), "disconnected");

  // The opt-in, for this connection only.
  await (await refusal.findElement(By.css('[data-testid="allow-unverified-password"]'))).click();
  await eventually(async () => (await connState(id)) === "connected", "connected after the opt-in");
  assert.equal(saved("Clear-text account").config.allow_unverified_password, true);
  for (const other of savedConnections().filter((c) => c.name !== "Clear-text account")) {
    assert.equal(other.config.allow_unverified_password ?? false, false, `${other.name} did not change`);
  }
});

test("a changed certificate is shown with both fingerprints before it is trusted", async () => {
  const first = makeCertificate("first");
  proxy = await startTlsProxy({ upstreamHost: pg.host, upstreamPort: Number(pg.port), certificate: first });
  const dialog = await newConnection("postgres", {
    "field-name": "Behind a proxy",
    "field-host": "127.0.0.1",
    "field-port": String(proxy.port),
    "field-user": pg.user,
    "field-password": pg.password,
    "field-database": pg.database,
  });
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const id = await eventually(async () => savedConnections().find((c) => c.name === "Behind a proxy")?.id, "saved");
  await eventually(async () => (await connState(id)) === "connected", "connected");
  await eventually(async () => saved("Behind a proxy").config.tls_pin === first.fingerprint, "the certificate pinned on first connect");

  // The dialog shows the pin and what the settings mean.
  await connMenu(id, "Edit connection…");
  const edit = await waitVisible(d, '[data-testid="connection-dialog"]');
  const pinned = await (await edit.findElement(By.css('[data-testid="pinned-certificate"]'))).getText();
  assert.equal(pinned.replace(/\s+/g, ""), `Pinnedcertificate:SHA-256${first.fingerprint}`);
  await eventually(async () => (await (await edit.findElement(By.css('[data-testid="security-summary"]'))).getText()).includes("pinned to the certificate"), "the summary");
  await screenshot(d, "dialog-pinned-certificate");
  await (await css("body")).sendKeys(Key.ESCAPE);

  // The same address, another certificate.
  await connMenu(id, "Disconnect");
  await eventually(async () => (await connState(id)) === "disconnected", "disconnected");
  const port = proxy.port;
  await proxy.close();
  const second = makeCertificate("second");
  proxy = await startTlsProxy({ port, upstreamHost: pg.host, upstreamPort: Number(pg.port), certificate: second });
  await (await css(`[data-testid="conn-${id}"]`)).click();
  const changed = await waitVisible(d, '[data-testid="certificate-changed"]');
  const text = async (testid) => (await (await changed.findElement(By.css(`[data-testid="${testid}"]`))).getText()).replace(/\s+/g, "");
  assert.equal(await text("pinned-fingerprint"), first.fingerprint);
  assert.equal(await text("presented-fingerprint"), second.fingerprint);
  assert.equal(await connState(id), "disconnected", "nothing was sent before the answer");
  await screenshot(d, "certificate-changed");
  await (await changed.findElement(By.css('[data-testid="trust-certificate"]'))).click();
  await eventually(async () => (await connState(id)) === "connected", "connected with the new certificate");
  assert.equal(saved("Behind a proxy").config.tls_pin, second.fingerprint);
});

test("a saved password is not sent to an edited address", async () => {
  const id = saved("Behind a proxy").id;
  await connMenu(id, "Edit connection…");
  const edit = await waitVisible(d, '[data-testid="connection-dialog"]');
  await typeInto(await edit.findElement(By.css('[data-testid="field-port"]')), pg.port);
  await waitVisible(d, '[data-testid="password-moved"]');
  await (await edit.findElement(By.css('[data-testid="test-connection"]'))).click();
  const result = await eventually(async () => {
    const r = await edit.findElements(By.css('[data-testid="test-result"]'));
    return r.length > 0 ? r[0].getText() : null;
  }, "the test result");
  assert.match(result, /none was given/);
  assert.match(result, /The saved password was not sent: it belongs to/);
  await d.executeScript(() => document.querySelector('[data-testid="test-result"]')?.scrollIntoView({ block: "end" }));
  await screenshot(d, "edited-address-no-password");
  await (await css("body")).sendKeys(Key.ESCAPE);
});

test("the limits for stored results are settings", async () => {
  await (await css('[data-testid="open-settings"]')).click();
  let dialog = await waitVisible(d, '[data-testid="settings-dialog"]');
  const memory = await dialog.findElement(By.css('[data-testid="setting-memory-mb"]'));
  assert.equal(await memory.getAttribute("value"), "1024");
  await typeInto(memory, "256");
  await (await dialog.findElement(By.css('[data-testid="settings-save"]'))).click();
  await eventually(async () => (await all('[data-testid="settings-dialog"]')).length === 0, "the dialog closed");
  const file = path.join(process.env.XDG_CONFIG_HOME, "dev.dbhive.app", "settings.json");
  assert.equal(JSON.parse(readFileSync(file, "utf8")).result_memory_mb, 256);
  await (await css('[data-testid="open-settings"]')).click();
  dialog = await waitVisible(d, '[data-testid="settings-dialog"]');
  assert.equal(await (await dialog.findElement(By.css('[data-testid="setting-memory-mb"]'))).getAttribute("value"), "256");
  await screenshot(d, "settings");
  await (await dialog.findElement(By.css('[data-testid="settings-cancel"]'))).click();
});

test("a read-only connection's writes are refused by the server", async () => {
  const dialog = await newConnection("postgres", {
    "field-name": "Read-only",
    "field-host": pg.host,
    "field-port": pg.port,
    "field-user": pg.user,
    "field-password": pg.password,
    "field-database": pg.database,
  });
  const box = await dialog.findElement(By.css('[data-testid="field-read-only"]'));
  await d.executeScript((el) => el.scrollIntoView({ block: "center" }), box);
  await box.click();
  await screenshot(d, "read-only-switch");
  await (await dialog.findElement(By.css('[data-testid="save-and-connect"]'))).click();
  const id = await eventually(async () => savedConnections().find((c) => c.name === "Read-only")?.id ?? null, "saved");
  await eventually(async () => (await connState(id)) === "connected", "connected");
  assert.equal(saved("Read-only").config.read_only, true);
  await connMenu(id, "New query");
  await runAll(d, "CREATE TABLE e2e_read_only_probe (x int)");
  assert.equal(await finishedState(d), "Error");
  const error = await (await css('.querytab:not([hidden]) [data-testid="error"]')).getText();
  assert.match(error, /read-only transaction/);
  await screenshot(d, "read-only-refused");
  assert.equal(psql("SELECT count(*) FROM pg_class WHERE relname = 'e2e_read_only_probe'"), "0");
  await runAll(d, "SELECT 42 AS answer");
  assert.equal(await finishedState(d), "Done");
});
