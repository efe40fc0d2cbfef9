#!/usr/bin/env bash
# No test hooks in release builds (issue 14 item 8): builds the release CLI (and, with --app,
# the release desktop app) and the production UI bundle the app embeds, and fails when any of
# them holds a test hook: the env-selected keystore (LIVECARD_KEYSTORE, insecure-file:),
# LIVECARD_EXPORT_DIR, LIVECARD_DEV_HOOKS, window.__livecardDev, or the dev-only
# livecard-testdata crate. A positive control checks that a debug CLI does hold them, so a
# search that cannot find anything does not pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

app=0
[[ "${1:-}" == "--app" ]] && app=1

HOOKS=(LIVECARD_KEYSTORE insecure-file: LIVECARD_EXPORT_DIR LIVECARD_DEV_HOOKS __livecardDev)
fail=0

has() { grep -c -a -F -e "$2" "$1" 2>/dev/null || true; }

check_clean() { # FILE WHAT
  local f="$1" n
  for h in "${HOOKS[@]}"; do
    n=$(has "$f" "$h")
    if [[ "$n" != "0" ]]; then
      echo "check-release: $2 ($f) contains the test hook '$h'" >&2
      fail=1
    fi
  done
}

echo "== release: dependency trees hold no dev-only crate"
for p in livecard-cli livecard-app livecard-server; do
  if cargo tree --locked -e normal,build -p "$p" --prefix none 2>/dev/null | grep -q '^livecard-testdata '; then
    echo "check-release: $p depends on livecard-testdata (a dev-only crate)" >&2
    fail=1
  fi
done

start=$(date +%s)
# Cargo.toml's release-check profile: release's configuration (debug assertions off, which is
# what compiles the hooks out) without the optimiser — what it leaves out, `--release` does too.
echo "== release: cargo build --profile release-check -p livecard-cli"
cargo build --profile release-check --locked -q -p livecard-cli
echo "   built in $(( $(date +%s) - start )) s"
check_clean "$CARGO_TARGET_DIR/release-check/livecard" "the release CLI"

if [[ $app == 1 ]]; then
  start=$(date +%s)
  echo "== release: cargo build --profile release-check -p livecard-app"
  cargo build --profile release-check --locked -q -p livecard-app
  echo "   built in $(( $(date +%s) - start )) s"
  check_clean "$CARGO_TARGET_DIR/release-check/livecard-app" "the release app"
fi

echo "== release: production UI bundle (what the release app embeds)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[[ -d ui/node_modules ]] || (cd ui && npm ci --no-audit --no-fund)
(cd ui && npx vite build --logLevel error --outDir "$out/dist" --emptyOutDir)
for f in "$out"/dist/assets/*.js "$out"/dist/index.html; do
  check_clean "$f" "the production UI bundle"
done

echo "== positive control: a debug CLI holds the hooks (the search works)"
# Built by the tests already in CI; any debug build of it holds the strings.
[[ -x "$CARGO_TARGET_DIR/debug/livecard" ]] || cargo build --locked -q -p livecard-cli
for h in LIVECARD_KEYSTORE insecure-file:; do
  if [[ "$(has "$CARGO_TARGET_DIR/debug/livecard" "$h")" == "0" ]]; then
    echo "check-release: the debug CLI lacks '$h': the search is broken" >&2
    fail=1
  fi
done
(cd ui && npx vite build --logLevel error --mode e2e --outDir "$out/e2e" --emptyOutDir)
if ! grep -q -F __livecardDev "$out"/e2e/assets/*.js; then
  echo "check-release: the e2e UI bundle lacks __livecardDev: the search is broken" >&2
  fail=1
fi

if [[ $fail != 0 ]]; then
  echo "check-release: FAILED" >&2
  exit 1
fi
echo "== release: no test hooks in the release builds"
