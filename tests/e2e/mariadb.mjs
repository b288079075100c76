// The test MariaDB, from the e2e tests' side: its address, and the mariadb client for setup
// and checks.
import { execFileSync } from "node:child_process";

const raw = process.env.DBHIVE_TEST_MYSQL_URL;
if (raw === undefined) throw new Error("DBHIVE_TEST_MYSQL_URL is not set: run scripts/e2e.sh through scripts/test.sh");
const url = new URL(raw);

export const my = {
  host: url.hostname,
  port: url.port || "3306",
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: decodeURIComponent(url.pathname.slice(1)),
};

/** Runs SQL with the mariadb client; returns its tab-separated output without headers. */
export function mariadb(sql) {
  return execFileSync(
    "mariadb",
    ["--no-defaults", "--protocol=tcp", "--batch", "--skip-column-names", `--host=${my.host}`, `--port=${my.port}`, `--user=${my.user}`, my.database, "-e", sql],
    { env: { ...process.env, MYSQL_PWD: my.password }, encoding: "utf8" },
  ).trim();
}
