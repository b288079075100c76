// The test PostgreSQL, from the e2e tests' side: its address, and psql for setup and checks.
import { execFileSync } from "node:child_process";
import path from "node:path";

const raw = process.env.DBHIVE_TEST_PG_URL;
if (raw === undefined) throw new Error("DBHIVE_TEST_PG_URL is not set: run scripts/e2e.sh through scripts/test.sh");
const url = new URL(raw);

export const pg = {
  host: url.hostname,
  port: url.port || "5432",
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1) || "postgres",
};

/** Runs SQL with psql; returns its unaligned, tuples-only output. */
export function psql(sql) {
  return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", pg.host, "-p", pg.port, "-U", pg.user, "-d", pg.database, "-c", sql], {
    env: { ...process.env, PGPASSWORD: pg.password },
    encoding: "utf8",
  }).trim();
}

/** Restarts the test server (same port and data). */
export function restartServer() {
  const script = path.resolve(import.meta.dirname, "../../scripts/pg-server.sh");
  execFileSync(script, ["restart"], { stdio: ["ignore", "ignore", "inherit"] });
}
