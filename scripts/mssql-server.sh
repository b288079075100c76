#!/usr/bin/env bash
# Starts (or stops) the SQL Server-protocol test server on 127.0.0.1: Babelfish for
# PostgreSQL (a real TDS 7.4 server with T-SQL), from ../shared/tds (its tds-server.sh and
# tarball) or from the tarball named by DBHIVE_TDS_TARBALL (with the tds-server.sh beside
# it), on its own ports and data dir. No SQL Server can be installed here; to test against
# one, set DBHIVE_TEST_MSSQL_URL instead (README, "SQL Server").
#   scripts/mssql-server.sh start|stop|restart [DIR]   -> DIR/env with DBHIVE_TEST_MSSQL_URL
# The URL verifies the server's self-signed certificate (encrypt=verify-full with it as the
# root), so the password goes only to that server.
set -euo pipefail

cmd=${1:-start}
here=$(cd "$(dirname "$0")/.." && pwd)
root=${2:-${DBHIVE_SERVICES_DIR:-/tmp/dbhive-services-$(id -u)-$(printf '%s' "$here" | cksum | cut -d' ' -f1)}}
dir="$root/mssql"

launcher() {
    local candidates=()
    if [ -n "${DBHIVE_TDS_TARBALL:-}" ]; then
        [ -f "$DBHIVE_TDS_TARBALL" ] || { echo "mssql-server: DBHIVE_TDS_TARBALL=$DBHIVE_TDS_TARBALL does not exist" >&2; exit 1; }
        export TDS_TARBALL
        TDS_TARBALL=$(realpath "$DBHIVE_TDS_TARBALL")
        candidates+=("$(dirname "$TDS_TARBALL")/tds-server.sh")
    fi
    candidates+=("$here/../shared/tds/tds-server.sh")
    for c in "${candidates[@]}"; do
        if [ -x "$c" ] || [ -f "$c" ]; then
            realpath "$c"
            return
        fi
    done
    echo "mssql-server: no TDS test server found: expected ../shared/tds/tds-server.sh (beside this checkout) or DBHIVE_TDS_TARBALL naming its tarball next to tds-server.sh" >&2
    exit 3
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

settings() {
    export TDS_DATA="$dir/data" TDS_CACHE="${TDS_CACHE:-/tmp/dbhive-tds-cache}"
    mkdir -p "$dir"
    # The server runs as an unprivileged user: it must be able to reach its data dir.
    chmod a+rx "$root" "$dir" 2>/dev/null || true
}

start() {
    local script
    script=$(launcher)
    settings
    if [ -f "$dir/env" ]; then
        TDS_PORT=$(sed -n 's/^DBHIVE_TEST_MSSQL_PORT=//p' "$dir/env")
        TDS_PG_PORT=$(sed -n 's/^DBHIVE_TDS_PG_PORT=//p' "$dir/env")
        export TDS_PORT TDS_PG_PORT
        if bash "$script" status >/dev/null 2>&1; then
            cat "$dir/env"
            return
        fi
    fi
    local port=${DBHIVE_MSSQL_PORT:-51433} pg_port=${DBHIVE_TDS_PG_PORT:-55433}
    if [ -f "$TDS_DATA/PG_VERSION" ]; then
        # tds-server.sh writes both ports into postgresql.conf when it creates the data dir
        # and ignores TDS_PORT later: a stopped server restarts on its old ports, or, when
        # another process took one of them, on a fresh data dir.
        if [ -n "${TDS_PORT:-}" ] && port_free "$TDS_PORT" && port_free "$TDS_PG_PORT"; then
            port=$TDS_PORT pg_port=$TDS_PG_PORT
        else
            echo "mssql-server: the old ports of $TDS_DATA are unknown or taken; starting on a new data dir" >&2
            rm -rf "$TDS_DATA"
        fi
    fi
    while ! port_free "$port"; do port=$((port + 1)); done
    while ! port_free "$pg_port" || [ "$pg_port" = "$port" ]; do pg_port=$((pg_port + 1)); done
    export TDS_PORT=$port TDS_PG_PORT=$pg_port
    local out
    out=$(bash "$script" start) || { echo "mssql-server: $script start failed (see above)" >&2; exit 1; }
    local user password
    user=$(printf '%s\n' "$out" | sed -n 's/^DBHIVE_TEST_MSSQL_USER=//p')
    password=$(printf '%s\n' "$out" | sed -n 's/^DBHIVE_TEST_MSSQL_PASSWORD=//p')
    [ -f "$TDS_DATA/server.crt" ] || { echo "mssql-server: the server has no certificate at $TDS_DATA/server.crt" >&2; exit 1; }
    {
        echo "DBHIVE_TEST_MSSQL_URL=sqlserver://$user:$password@127.0.0.1:$port/master?encrypt=verify-full&sslrootcert=$TDS_DATA/server.crt"
        echo "DBHIVE_TEST_MSSQL_PORT=$port"
        echo "DBHIVE_TEST_MSSQL_CA=$TDS_DATA/server.crt"
        echo "DBHIVE_TDS_PG_PORT=$pg_port"
    } > "$dir/env"
    cat "$dir/env"
}

stop() {
    [ -f "$dir/env" ] || return 0
    local script
    script=$(launcher 2>/dev/null) || return 0
    settings
    TDS_PORT=$(sed -n 's/^DBHIVE_TEST_MSSQL_PORT=//p' "$dir/env")
    TDS_PG_PORT=$(sed -n 's/^DBHIVE_TDS_PG_PORT=//p' "$dir/env")
    export TDS_PORT TDS_PG_PORT
    bash "$script" stop >&2 || true
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|restart [DIR]" >&2; exit 2 ;;
esac
