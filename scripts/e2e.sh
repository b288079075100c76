#!/usr/bin/env bash
# End-to-end tests of the real DB-Hive window: builds the UI and the app, then drives it
# through tauri-driver and WebKitWebDriver under Xvfb, with a real Secret Service
# (gnome-keyring in a private D-Bus session) and the test PostgreSQL and MariaDB
# (DBHIVE_TEST_PG_URL, DBHIVE_TEST_MYSQL_URL, DBHIVE_TEST_MONGO_URL, started by scripts/test.sh). Screenshots land in the folder printed at the start.
# DBHIVE_E2E_TESTS=tests/e2e/security.test.mjs runs one file of the suite.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
for var in DBHIVE_TEST_PG_URL DBHIVE_TEST_MYSQL_URL DBHIVE_TEST_MONGO_URL DBHIVE_TEST_MONGO_PYTHON; do
    [ -n "${!var:-}" ] || {
        echo "e2e: $var is not set: run scripts/test.sh, or start scripts/pg-server.sh, scripts/mariadb-server.sh and scripts/mongo-server.sh and export their output" >&2
        exit 1
    }
done
for tool in xvfb-run dbus-run-session gnome-keyring-daemon WebKitWebDriver secret-tool psql mariadb import; do
    command -v "$tool" >/dev/null || { echo "e2e: $tool is missing (scripts/setup.sh test installs it)" >&2; exit 1; }
done
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0

# SQL Server's window test needs a TDS server (scripts/test.sh starts one when it can, and
# says loudly when it cannot); without one the other files run.
if [ -z "${DBHIVE_TEST_MSSQL_URL:-}" ] && [ -z "${DBHIVE_E2E_TESTS:-}" ]; then
    echo "e2e: !! DBHIVE_TEST_MSSQL_URL is not set: the SQL Server window test (tests/e2e/mssql.test.mjs) does not run" >&2
    DBHIVE_E2E_TESTS=$(ls tests/e2e/*.test.mjs | grep -v '/mssql\.test\.mjs$' | tr '\n' ' ')
    export DBHIVE_E2E_TESTS
fi

npm run build >/dev/null
cargo build --locked -p dbhive-app

export DBHIVE_SCREENSHOTS="$here/target/e2e-screenshots"
export DBHIVE_E2E_METRICS="$here/target/e2e-metrics.json"
rm -rf "$DBHIVE_SCREENSHOTS"
mkdir -p "$DBHIVE_SCREENSHOTS"
echo "e2e: screenshots in $DBHIVE_SCREENSHOTS"

# A throwaway home: config, data (connections.json, the sample, the keyring) and runtime dir.
home=$(mktemp -d /tmp/dbhive-e2e-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/config" "$home/data" "$home/cache" "$home/runtime"
chmod 700 "$home/runtime"
export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache"
export XDG_RUNTIME_DIR="$home/runtime" NO_AT_BRIDGE=1

# The suite takes a few minutes. Each test has its own bound (harness.mjs), each file 10
# minutes, the whole run 15; whatever outlives it (see closeApp in harness.mjs) is stopped,
# so a hang fails the run in bounded time instead of holding it until CI's own limit.
status=0
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
    printf "%s" e2e-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    status=0
    timeout --kill-after=10 900 node --test --test-concurrency=1 --test-timeout=600000 ${DBHIVE_E2E_TESTS:-tests/e2e/} || status=$?
    pkill -KILL -f -x "$0( .*)?" && echo "e2e: stopped a copy of the app left running" >&2
    exit "$status"
' "$here/target/debug/db-hive" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "e2e: the suite did not finish within 15 minutes (something hung; see above)" >&2
fi
exit "$status"
