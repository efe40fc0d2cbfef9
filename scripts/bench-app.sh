#!/usr/bin/env bash
# App bench (issue 15). NOT run by CI.
#
# The real desktop app with 10,000 received cards (imported by the real `livecard` CLI into a
# fresh data directory), driven through tauri-driver + WebKitWebDriver under Xvfb by
# tests/examples/bench_app.rs: launch → first list rows (5 launches), keystroke → updated list
# (p50/p95), scroll jumps, the IPC cost of each data path, and RSS of the app plus its WebKit
# processes. Writes the section between <!-- bench-app:begin --> and <!-- bench-app:end --> in
# docs/PERFORMANCE.md (other sections are left as they are).
#
# Usage: scripts/bench-app.sh [--release|--debug] [extra bench_app flags, e.g. --launches 3]
#   --release      (the default) build and measure the release app (target/release), with the
#                  UI built for production (`npm run build`, embedded in the binary).
#   --debug        measure the debug app (target/debug) instead.
# Each build writes its own section (<!-- bench-app:begin release|debug -->).
#   BENCH_NO_BUILD=1  use the binaries already built.
# Needs what scripts/e2e.sh needs (xvfb webkit2gtk-driver, tauri-driver, npm).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PATH="$HOME/.cargo/bin:$PATH"

PROFILE=release
case "${1:-}" in
  --debug) PROFILE=debug; shift ;;
  --release) shift ;;
esac

for tool in tauri-driver WebKitWebDriver npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-app: $tool not found (see scripts/e2e.sh)" >&2; exit 2; }
done

if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
  (cd ui && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run --silent build)
  flags=(--locked)
  [[ "$PROFILE" == release ]] && flags+=(--release)
  cargo build "${flags[@]}" -p livecard-app -p livecard-cli
  # The bench itself in the same profile: it reuses the dependencies just built.
  cargo build "${flags[@]}" -p livecard-tests --example bench_app
fi

xvfb_pid=""
cleanup() {
  if [[ -n "$xvfb_pid" ]]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [[ -z "${DISPLAY:-}" ]]; then
  command -v Xvfb >/dev/null || { echo "bench-app: no DISPLAY and no Xvfb" >&2; exit 2; }
  display=99
  while [[ -e "/tmp/.X${display}-lock" || -e "/tmp/.X11-unix/X${display}" ]]; do
    display=$((display + 1))
  done
  Xvfb ":${display}" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY=":${display}"
  for _ in $(seq 1 100); do
    [[ -S "/tmp/.X11-unix/X${display}" ]] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { echo "bench-app: Xvfb failed to start" >&2; exit 1; }
    sleep 0.1
  done
fi

"$CARGO_TARGET_DIR/$PROFILE/examples/bench_app" \
  --app "$CARGO_TARGET_DIR/$PROFILE/livecard-app" \
  --cli "$CARGO_TARGET_DIR/$PROFILE/livecard" \
  --build "$PROFILE" \
  --doc docs/PERFORMANCE.md "$@"
