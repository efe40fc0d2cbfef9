#!/usr/bin/env bash
# End-to-end tests of the real desktop app: builds the UI and the app, starts Xvfb when there
# is no display, and runs tests/tests/e2e_app.rs (each test starts its own tauri-driver on
# free ports and a fresh data directory; the live-card tours also start a real livecard-server
# on 127.0.0.1 and publish with the real livecard CLI). Screenshots land in docs/screenshots/.
# Every test gives the app the test-only file keystore except the_shipped_keystore_…, which
# runs tauri-driver (so the app) in its own `keyctl session` keyring (needs keyutils).
#
# Needs (Debian): libwebkit2gtk-4.1-dev build-essential xvfb webkit2gtk-driver, Node 20+ with
# npm, and `cargo install tauri-driver --locked --version ^2`.
# Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PATH="$HOME/.cargo/bin:$PATH"

for tool in tauri-driver WebKitWebDriver npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "e2e: $tool not found (see the header of $0 for what to install)" >&2
    exit 2
  fi
done

xvfb_pid=""
cleanup() {
  if [[ -n "$xvfb_pid" ]]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [[ -z "${DISPLAY:-}" ]]; then
  command -v Xvfb >/dev/null || { echo "e2e: no DISPLAY and no Xvfb (apt-get install xvfb)" >&2; exit 2; }
  # The first free display number from :99 up.
  display=99
  while [[ -e "/tmp/.X${display}-lock" || -e "/tmp/.X11-unix/X${display}" ]]; do
    display=$((display + 1))
  done
  Xvfb ":${display}" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY=":${display}"
  # Wait until the server accepts clients (its socket exists), failing if it died.
  for _ in $(seq 1 100); do
    [[ -S "/tmp/.X11-unix/X${display}" ]] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { echo "e2e: Xvfb failed to start" >&2; exit 1; }
    sleep 0.1
  done
  [[ -S "/tmp/.X11-unix/X${display}" ]] || { echo "e2e: Xvfb did not come up on $DISPLAY" >&2; exit 1; }
fi

echo "== e2e: UI (npm ci, vitest, build)"
(
  cd ui
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  npm run --silent check
  npm test --silent
  # --mode e2e keeps the test hooks (window.__livecardDev) that the production build drops.
  npm run --silent build -- --mode e2e
)

# The app (embeds ui/dist), the sync server, the CLI and this E2E test as the workspace's test
# build makes them: after scripts/test.sh's `cargo test --workspace` only the app (for the e2e UI
# bundle) and livecard-tests (its `e2e` feature) are compiled again. Never `cargo build -p …` nor
# `cargo test --test e2e_app`: both build fewer targets, cargo resolves the dependencies' features
# for those alone (resolver 2: other packages' dev-dependencies then add none), and ~150 crates
# were compiled again (seen on CI: minutes). So the test
# binary is taken from this build's own report and run directly, from its package's directory
# as `cargo test` would.
echo "== e2e: app (embeds ui/dist), sync server, CLI and the E2E test: cargo test --workspace --no-run"
e2e_bin="$(cargo test --workspace --locked --no-run --features livecard-tests/e2e \
  --message-format=json-render-diagnostics | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    t = m.get("target") or {}
    if m.get("reason") == "compiler-artifact" and t.get("name") == "e2e_app" and "test" in t.get("kind", []):
        print(m["executable"])
')"
[[ -x "$e2e_bin" ]] || { echo "e2e: the e2e_app test binary was not built" >&2; exit 1; }

echo "== e2e: driving the app on $DISPLAY"
cd tests
"$e2e_bin" "$@"
