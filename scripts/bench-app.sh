#!/usr/bin/env bash
# Measures the desktop app (release build) for BENCHMARKS.md: start to interactive window,
# idle memory of all its processes, Run to first row painted for a 1,000,000-row query on
# the test PostgreSQL, and the tree's expansion of a 20,000-table schema. Needs what
# scripts/setup.sh test installs; starts and stops the test PostgreSQL itself.
#   scripts/bench-app.sh [RUNS]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export BENCH_RUNS=${1:-5}
npm run build >/dev/null
cargo build --release --locked -p dbhive-app >&2
export DBHIVE_APP="$here/target/release/db-hive"

trap 'scripts/pg-server.sh stop >/dev/null || true' EXIT
while IFS='=' read -r key value; do export "$key=$value"; done < <(scripts/pg-server.sh start)
# The 20,000 tables (kept between runs).
if [ "$(psql "$DBHIVE_TEST_PG_URL" -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'wide'")" != 20000 ]; then
    psql "$DBHIVE_TEST_PG_URL" -Xq -c "DROP SCHEMA IF EXISTS wide CASCADE; CREATE SCHEMA wide;"
    for i in $(seq 0 19); do
        psql "$DBHIVE_TEST_PG_URL" -Xq -c "DO \$\$ BEGIN FOR i IN $((i * 1000 + 1))..$(((i + 1) * 1000)) LOOP EXECUTE format('CREATE TABLE wide.t%s (id int, v int)', i); END LOOP; END \$\$;"
    done
fi

if [ "$(psql "$DBHIVE_TEST_PG_URL" -XAtc "SELECT count(*) FROM pg_tables WHERE tablename = 'bench_1m'")" != 1 ]; then
    psql "$DBHIVE_TEST_PG_URL" -Xq -f tests/fixtures/bench_1m.sql
    psql "$DBHIVE_TEST_PG_URL" -Xq -c "VACUUM ANALYZE bench_1m"
fi

# Each mode in a fresh home (config, data, keyring): first as the app ships, which on a
# machine without a GPU turns WebKit's accelerated compositing off (src-tauri/src/rendering.rs),
# then with compositing forced on, WebKitGTK's own default, for comparison.
homes=()
trap 'rm -rf "${homes[@]}"; scripts/pg-server.sh stop >/dev/null || true' EXIT
for mode in auto on; do
    home=$(mktemp -d /tmp/dbhive-bench-home.XXXXXX)
    homes+=("$home")
    mkdir -p "$home/config" "$home/data" "$home/cache" "$home/runtime"
    chmod 700 "$home/runtime"
    (
        export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache"
        export XDG_RUNTIME_DIR="$home/runtime" NO_AT_BRIDGE=1 DBHIVE_SCREENSHOTS="$home/shots"
        if [ "$mode" = on ]; then export WEBKIT_DISABLE_COMPOSITING_MODE=0; fi
        xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
            printf "%s" bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            exec node tests/bench/app.mjs
        '
    )
done
