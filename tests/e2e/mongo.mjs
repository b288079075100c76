// The test MongoDB server (SecantusDB, scripts/mongo-server.sh), from the e2e tests' side:
// its URL for a database of the tests, and pymongo for setup and checks.
import { execFileSync } from "node:child_process";

const raw = process.env.DBHIVE_TEST_MONGO_URL;
const python = process.env.DBHIVE_TEST_MONGO_PYTHON;
if (raw === undefined || python === undefined) {
  throw new Error("DBHIVE_TEST_MONGO_URL and DBHIVE_TEST_MONGO_PYTHON are not set: run scripts/e2e.sh through scripts/test.sh");
}

export const mongoDb = "dbhive_e2e";

/** The server's URL with the tests' database as its path. */
export function mongoUrl() {
  const url = new URL(raw);
  url.pathname = `/${mongoDb}`;
  return url.toString();
}

/** Runs Python with pymongo; `db` is the tests' database. Returns what it prints. */
export function pymongo(code) {
  const script = `import sys, pymongo\ndb = pymongo.MongoClient(sys.argv[1])[${JSON.stringify(mongoDb)}]\n${code}`;
  return execFileSync(python, ["-c", script, raw], { encoding: "utf8" }).trim();
}
