#!/usr/bin/env bash
# Starts (or stops) a throwaway MongoDB-compatible server on 127.0.0.1 for the tests and
# benchmarks: SecantusDB (PyPI, GPL-2.0, a test dependency only; no real mongod can be
# installed here, see docs/mongo.md), its own port and data dir, SCRAM authentication. The
# user is created on a first start without --auth, then the server restarts with --auth.
# Also installs pymongo beside it, which the tests compare DB-Hive's Extended JSON with.
#   scripts/mongo-server.sh start|stop|restart [DIR]   -> DIR/env with DBHIVE_TEST_MONGO_URL
set -euo pipefail

cmd=${1:-start}
here=$(cd "$(dirname "$0")/.." && pwd)
root=${2:-${DBHIVE_SERVICES_DIR:-/tmp/dbhive-services-$(id -u)-$(printf '%s' "$here" | cksum | cut -d' ' -f1)}}
dir="$root/mongo"
venv="$here/target/mongo-venv"
version=0.7.0b3
user=dbhive
password=dbhive-test-pw

install() {
    command -v python3 >/dev/null || {
        echo "mongo-server: python3 not found; install it with: apt-get install -y python3 python3-venv" >&2
        exit 1
    }
    if [ ! -x "$venv/bin/secantusd-py" ] || ! "$venv/bin/python" -c "import pymongo" 2>/dev/null \
        || [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("SecantusDB"))' 2>/dev/null)" != "$version" ]; then
        echo "mongo-server: installing SecantusDB $version and pymongo (PyPI) into $venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" 2>/dev/null || {
            echo "mongo-server: python3 -m venv failed; install it with: apt-get install -y python3-venv" >&2
            exit 1
        }
        "$venv/bin/pip" install --quiet --disable-pip-version-check "SecantusDB==$version" pymongo >&2 \
            || { echo "mongo-server: pip could not install SecantusDB $version" >&2; exit 1; }
    fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
    [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null
}

launch() {
    local port=$1
    shift
    setsid "$venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$dir/data" \
        --standalone "$@" >"$dir/server.log" 2>&1 < /dev/null &
    echo $! > "$dir/server.pid"
    # A cold start (first import after boot, .pyc files written) takes over 10 s here.
    for _ in $(seq 1 600); do
        port_free "$port" || return 0
        kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$dir/server.log" >&2
    echo "mongo-server: SecantusDB did not start on port $port" >&2
    exit 1
}

stop() {
    if running; then
        local pid
        pid=$(cat "$dir/server.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/server.pid"
}

start() {
    install
    mkdir -p "$dir"
    if running && [ -f "$dir/env" ]; then
        cat "$dir/env"
        return
    fi
    port=${DBHIVE_MONGO_PORT:-$(sed -n 's/^DBHIVE_TEST_MONGO_PORT=//p' "$dir/env" 2>/dev/null || true)}
    port=${port:-27099}
    while ! port_free "$port"; do port=$((port + 1)); done
    if [ ! -f "$dir/data/.dbhive-user" ]; then
        rm -rf "$dir/data"
        mkdir -p "$dir/data"
        # No localhost exception: the user is made while auth is off, then auth goes on.
        launch "$port"
        "$venv/bin/python" - "$port" "$user" "$password" <<'PY' >&2
import sys, pymongo
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = pymongo.MongoClient("127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=10000)
client.admin.command("createUser", user, pwd=password, roles=[{"role": "root", "db": "admin"}])
client["dbhive_test"]["seed"].insert_one({"_id": 1, "created_by": "mongo-server.sh"})
PY
        stop
        touch "$dir/data/.dbhive-user"
    fi
    launch "$port" --auth
    {
        echo "DBHIVE_TEST_MONGO_URL=mongodb://$user:$password@127.0.0.1:$port/dbhive_test?authSource=admin&directConnection=true"
        echo "DBHIVE_TEST_MONGO_PORT=$port"
        echo "DBHIVE_TEST_MONGO_PYTHON=$venv/bin/python"
    } > "$dir/env"
    cat "$dir/env"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|restart [DIR]" >&2; exit 2 ;;
esac
