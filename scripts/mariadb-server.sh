#!/usr/bin/env bash
# Starts (or stops) a throwaway MariaDB server on 127.0.0.1 for the tests and benchmarks:
# its own data dir and port, password authentication, TLS with a self-signed certificate,
# max_allowed_packet large enough for 50 MB values, utf8mb4 by default as Debian configures
# it. Prints the URL.
#   scripts/mariadb-server.sh start|stop|restart [DIR]   -> DIR/env with DBHIVE_TEST_MYSQL_URL
set -euo pipefail

cmd=${1:-start}
here=$(cd "$(dirname "$0")/.." && pwd)
root=${2:-${DBHIVE_SERVICES_DIR:-/tmp/dbhive-services-$(id -u)-$(printf '%s' "$here" | cksum | cut -d' ' -f1)}}
dir="$root/mariadb"
user=dbhive
password=dbhive-test-pw

need() {
    for tool in mariadbd mariadb-install-db mariadb openssl; do
        command -v "$tool" >/dev/null || {
            echo "mariadb-server: $tool not found; install it with: apt-get install -y mariadb-server mariadb-client openssl" >&2
            exit 1
        }
    done
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
    [ -f "$dir/mariadbd.pid" ] && kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null
}

start() {
    need
    mkdir -p "$dir"
    chmod 755 "$root" "$dir"
    if running && [ -f "$dir/env" ]; then
        cat "$dir/env"
        return
    fi
    local owner=()
    if [ "$(id -u)" = 0 ]; then
        # As root the server runs as mysql, which must own where it writes its socket,
        # pid file and log.
        owner=(--user=mysql)
        chown mysql: "$dir"
    fi
    if [ ! -d "$dir/data/mysql" ]; then
        rm -rf "$dir/data"
        mkdir -p "$dir/data"
        [ "$(id -u)" = 0 ] && chown mysql: "$dir/data"
        mariadb-install-db --no-defaults "${owner[@]}" --datadir="$dir/data" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
            || { cat "$dir/install.log" >&2; exit 1; }
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1 \
            || { echo "mariadb-server: openssl failed to make a test certificate" >&2; exit 1; }
        cp "$dir/server.crt" "$dir/ca.crt"
        [ "$(id -u)" = 0 ] && chown mysql: "$dir/server.key" "$dir/server.crt"
        touch "$dir/fresh"
    fi
    port=${DBHIVE_MYSQL_PORT:-$(sed -n 's/^DBHIVE_TEST_MYSQL_PORT=//p' "$dir/env" 2>/dev/null || true)}
    port=${port:-33069}
    while ! port_free "$port"; do port=$((port + 1)); done
    mariadbd --no-defaults "${owner[@]}" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
        --pid-file="$dir/mariadbd.pid" --port="$port" --bind-address=127.0.0.1 \
        --log-error="$dir/server.log" --max-allowed-packet=256M --innodb-flush-log-at-trx-commit=0 \
        --innodb-buffer-pool-size=256M --skip-name-resolve --max-connections=300 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --ssl-cert="$dir/server.crt" --ssl-key="$dir/server.key" >/dev/null 2>&1 &
    for _ in $(seq 1 100); do
        [ -S "$dir/mysqld.sock" ] && mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.1
    done
    mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e "SELECT 1" >/dev/null 2>&1 \
        || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    if [ -f "$dir/fresh" ]; then
        # The install creates a passwordless root@<hostname> and anonymous users: only
        # password logins remain, from loopback and the socket.
        mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" <<SQL
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1'));
FLUSH PRIVILEGES;
CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost' WITH GRANT OPTION;
CREATE DATABASE dbhive_test;
SQL
        rm -f "$dir/fresh"
    fi
    {
        echo "DBHIVE_TEST_MYSQL_URL=mysql://$user:$password@127.0.0.1:$port/dbhive_test"
        echo "DBHIVE_TEST_MYSQL_PORT=$port"
        echo "DBHIVE_TEST_MYSQL_SOCKET=$dir/mysqld.sock"
        echo "DBHIVE_TEST_MYSQL_CA=$dir/ca.crt"
    } > "$dir/env"
    cat "$dir/env"
}

stop() {
    if running; then
        local pid
        pid=$(cat "$dir/mariadbd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|restart [DIR]" >&2; exit 2 ;;
esac
