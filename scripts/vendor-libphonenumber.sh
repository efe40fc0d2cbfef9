#!/usr/bin/env bash
# Rebuilds crates/livecard-server/assets/libphonenumber.mjs: libphonenumber-js (MIT) with its
# "min" metadata, bundled into one ES module for the share page, which formats phone numbers
# for the viewer's region (assets/phone.mjs; why in docs/DEPENDENCIES.md). Pinned version;
# needs npm and the UI's esbuild (cd ui && npm ci). Run it only to update the library, then
# run `cargo test -p livecard-server --test share_page_js`.
set -euo pipefail
VERSION=1.13.18
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ESBUILD="$ROOT/ui/node_modules/.bin/esbuild"
OUT="$ROOT/crates/livecard-server/assets/libphonenumber.mjs"
[ -x "$ESBUILD" ] || { echo "esbuild missing: run npm ci in ui/ first" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "libphonenumber-js@$VERSION" >/dev/null
echo "export { parsePhoneNumberFromString } from 'libphonenumber-js/min';" > entry.mjs
BANNER="/* libphonenumber-js $VERSION (https://gitlab.com/catamphetamine/libphonenumber-js) with its
\"min\" metadata (from Google's libphonenumber, Apache-2.0), bundled by
scripts/vendor-libphonenumber.sh: do not edit.

$(sed 's|\*/|* /|g' node_modules/libphonenumber-js/LICENSE)
*/"
"$ESBUILD" entry.mjs --bundle --format=esm --minify --legal-comments=none \
  --banner:js="$BANNER" --outfile="$OUT" --log-level=warning
echo "wrote $OUT ($(wc -c < "$OUT") bytes)"
