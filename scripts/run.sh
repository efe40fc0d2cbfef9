#!/usr/bin/env bash
# Runs the product locally: the sync server on its embedded SQLite (127.0.0.1:8787, data in
# .livecard-dev/server) and the desktop app connected to it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cargo build --release -p livecard-server -p livecard-app

mkdir -p .livecard-dev/server
LISTEN=${LIVECARD_LISTEN:-127.0.0.1:8787}
target=${CARGO_TARGET_DIR:-target}
"$target/release/livecard-server" --listen "$LISTEN" --data-dir .livecard-dev/server \
  --public-url "http://$LISTEN" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "livecard-server is listening on http://$LISTEN"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY/WAYLAND_DISPLAY unset): the server keeps running; start the app"
  echo "from a desktop session with: LIVECARD_SERVER=http://$LISTEN $target/release/livecard-app"
  wait $server
else
  LIVECARD_SERVER="http://$LISTEN" "$target/release/livecard-app"
fi
