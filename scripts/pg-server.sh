#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on 127.0.0.1 for the tests and benchmarks:
# its own data dir and port, password (SCRAM) auth over TCP, fsync off. Prints the URL.
#   scripts/pg-server.sh start [DIR]   -> writes DIR/env with DBHIVE_TEST_PG_URL
#   scripts/pg-server.sh stop  [DIR]
set -euo pipefail

cmd=${1:-start}
here=$(cd "$(dirname "$0")/.." && pwd)
# Under /tmp, not the checkout: the postgres user must be able to reach it even when the
# checkout lives in a private home directory, and socket paths must stay short.
root=${2:-${DBHIVE_SERVICES_DIR:-/tmp/dbhive-services-$(id -u)-$(printf '%s' "$here" | cksum | cut -d' ' -f1)}}
dir="$root/postgres"
user=dbhive
password=dbhive-test-pw

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "pg-server: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin." >&2
        echo "pg-server: install them with: apt-get install -y postgresql" >&2
        exit 1
    fi
    echo "$bin"
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    local bin port
    bin=$(pg_bin)
    mkdir -p "$dir"
    chmod 755 "$root"
    if [ -f "$dir/env" ] && [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        cat "$dir/env"
        return
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        rm -rf "$dir/data"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir"
        printf '%s\n' "$password" > "$dir/pwfile"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
        as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" \
            --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        rm -f "$dir/pwfile"
        # A self-signed certificate for localhost / 127.0.0.1, so TLS modes can be tested.
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >/dev/null 2>&1 \
            || { echo "pg-server: openssl failed to make a test certificate" >&2; exit 1; }
        cp "$dir/data/server.crt" "$dir/ca.crt"
        chmod 600 "$dir/data/server.key"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/data/server.key" "$dir/data/server.crt"
    fi
    # Accounts that authenticate the old ways, for the tests of where a password may go:
    # dbhive_clear with the clear-text "password" method (over TCP and the socket),
    # dbhive_md5 with "md5". First match wins in pg_hba.conf, so they go on top.
    if ! grep -q '^host all dbhive_clear' "$dir/data/pg_hba.conf"; then
        local hba
        hba=$(mktemp)
        {
            echo "host all dbhive_clear 127.0.0.1/32 password"
            echo "local all dbhive_clear password"
            echo "host all dbhive_md5 127.0.0.1/32 md5"
            cat "$dir/data/pg_hba.conf"
        } > "$hba"
        cat "$hba" > "$dir/data/pg_hba.conf"
        rm -f "$hba"
    fi
    # A restart keeps the port the clients were given.
    port=${DBHIVE_PG_PORT:-$(sed -n 's/^DBHIVE_TEST_PG_PORT=//p' "$dir/env" 2>/dev/null || true)}
    port=${port:-54329}
    while ! port_free "$port"; do port=$((port + 1)); done
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c ssl=on" >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/psql" -X -q -h "$dir" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL \
        || { echo "pg-server: could not create the test accounts" >&2; exit 1; }
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbhive_clear') THEN
        CREATE ROLE dbhive_clear LOGIN PASSWORD '$password';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbhive_md5') THEN
        SET LOCAL password_encryption = 'md5';
        CREATE ROLE dbhive_md5 LOGIN PASSWORD '$password';
    END IF;
END \$\$;
SQL
    {
        echo "DBHIVE_TEST_PG_URL=postgres://$user:$password@127.0.0.1:$port/postgres"
        echo "DBHIVE_TEST_PG_PORT=$port"
        echo "DBHIVE_TEST_PG_SOCKET_DIR=$dir"
        echo "DBHIVE_TEST_PG_BIN=$bin"
        echo "DBHIVE_TEST_PG_CA=$dir/ca.crt"
    } > "$dir/env"
    cat "$dir/env"
}

stop() {
    local bin
    bin=$(pg_bin)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|restart [DIR]" >&2; exit 2 ;;
esac
