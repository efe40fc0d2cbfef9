#!/usr/bin/env bash
# Soak test of livecard-server (issue 17). NOT run by CI.
#
# Builds livecard-server and crates/livecard-loadgen in release mode, then, on 127.0.0.1 only,
# runs `livecard-loadgen --soak-minutes N`: the real server on a fresh SQLite file; its capacity
# measured with the mix (conditional GETs, batch syncs, PUTs) for 15 s; then N minutes of that
# mix paced at half the capacity, with slow (dribbling) connections and malformed requests
# from 127.0.0.2 alongside. Every interval: server RSS, honest p50/p99, honest errors.
# Writes the "## Soak" section of docs/PERFORMANCE.md (other sections are left as they are).
#
# Usage: scripts/soak.sh [MINUTES (default 30)] [extra livecard-loadgen flags]
# Needs: a 127.0.0.2 source address (Linux loopback has all of 127/8).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
MINUTES="${1:-30}"
shift || true
INTERVAL=60
[ "$MINUTES" -le 10 ] && INTERVAL=30

# Built separately so the server binary gets livecard-format without the `secret` feature.
# SOAK_NO_BUILD=1 uses the binaries already in $CARGO_TARGET_DIR/release.
if [ -z "${SOAK_NO_BUILD:-}" ]; then
  cargo build --release --locked -p livecard-server
  cargo build --release --locked -p livecard-loadgen
fi

LOAD_BEFORE="$(cut -d" " -f1-3 /proc/loadavg)"
REPORT="$(mktemp)"
SECTION="$(mktemp)"
trap 'rm -f "$REPORT" "$SECTION"' EXIT
"$CARGO_TARGET_DIR/release/livecard-loadgen" \
  --server-bin "$CARGO_TARGET_DIR/release/livecard-server" \
  --cards 2000 --soak-minutes "$MINUTES" --soak-interval-secs "$INTERVAL" \
  --out "$REPORT" "$@"
LOAD_AFTER="$(cut -d" " -f1-3 /proc/loadavg)"

CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
{
  echo "## Soak"
  echo
  echo "Measured by \`scripts/soak.sh $MINUTES\` (\`livecard-loadgen --soak-minutes\`) on"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Machine: ${CPU:-unknown CPU}, $(nproc) cores; load average before $LOAD_BEFORE, after"
  echo "$LOAD_AFTER (1/5/15 min). The machine is shared: other builds and tests ran during the"
  echo "soak, so capacity and latencies are noisy lower bounds. Mix per honest worker: 70 %"
  echo "conditional GET (304), 15 % batch sync of 100 ids, 15 % PUT of a new version; honest"
  echo "errors = a transport error or any status other than the expected one."
  echo
  cat "$REPORT"
} > "$SECTION"

python3 - "$SECTION" docs/PERFORMANCE.md <<'PY'
import re, sys, pathlib
section = pathlib.Path(sys.argv[1]).read_text()
doc_path = pathlib.Path(sys.argv[2])
doc = doc_path.read_text() if doc_path.exists() else "# Performance\n"
m = re.search(r"(?m)^## Soak[ \t]*\n", doc)
if m:
    nxt = re.search(r"(?m)^## ", doc[m.end():])
    end = m.end() + nxt.start() if nxt else len(doc)
    doc = doc[:m.start()] + section.rstrip() + "\n\n" + doc[end:].lstrip("\n")
else:
    doc = doc.rstrip() + "\n\n" + section.rstrip() + "\n"
doc_path.write_text(doc)
PY
echo "soak: wrote the \"## Soak\" section of docs/PERFORMANCE.md"
