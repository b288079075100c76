#!/usr/bin/env bash
# Installs what DB-Hive needs to build and test, on Debian/Ubuntu as root; elsewhere, says
# exactly what is missing. Idempotent: installed packages are skipped.
#   scripts/setup.sh test   -> Rust toolchain, C toolchain, OpenSSL headers, PostgreSQL
#                              server and client, sqlite3, openssl
set -euo pipefail

want=${1:-test}
here=$(cd "$(dirname "$0")/.." && pwd)

packages_for() {
    case "$1" in
        test) echo "build-essential pkg-config libssl-dev openssl ca-certificates curl postgresql postgresql-contrib postgresql-client sqlite3" ;;
        *) echo "setup: unknown target '$1' (use: test)" >&2; exit 2 ;;
    esac
}

missing=()
for p in $(packages_for "$want"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "setup: this is not a Debian/Ubuntu system. Install the equivalents of: ${missing[*]}" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing packages. Run as root: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian's postgresql package starts a cluster on 5432 through its own scripts; the tests
    # use their own cluster and never touch it.
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust: edition 2024 needs 1.85 or newer; Debian's own rustc is older, so rustup it is.
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "setup: installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy >/dev/null \
        || { echo "setup: could not install Rust; install Rust 1.85 or newer from https://rustup.rs" >&2; exit 1; }
    export PATH="$HOME/.cargo/bin:$PATH"
fi
version=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n1.85.0\n' "$version" | sort -V | head -n 1)" != "1.85.0" ]; then
    echo "setup: Rust $version is too old; DB-Hive needs 1.85 or newer (rustup update)" >&2
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
cargo fetch --locked >/dev/null
