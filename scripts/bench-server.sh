#!/usr/bin/env bash
# Server load benchmark (issue 3 "Must show", issue 4 batch-vs-GET ratio). NOT run by CI.
#
# Builds livecard-server and crates/livecard-loadgen in release mode, then, on 127.0.0.1 only:
# nginx serving a static file with ETag → 304 (the ceiling), and the real server on SQLite and
# on PostgreSQL (a scratch database `livecard_bench` on the server at 127.0.0.1:5432, dropped
# afterwards, so the conformance tests' database `test` is left alone), measured in the same
# run by the same client. Writes the numbers, the method and the machine into the
# "## Server" section of docs/PERFORMANCE.md (other sections are left as they are; text of
# the old section after the line `<!-- notes kept by bench-server.sh -->` is kept).
#
# Also (issue 15): the full download of 1,000 cards (time, bytes per card, with and without
# gzip), server RSS under the 304 load, growth curves at BENCH_GROWTH cards (default
# 1000,10000,100000) on both backends (a second scratch database `livecard_bench_growth`), and
# Radicale side by side (pip-installed into $CARGO_TARGET_DIR/bench-radicale-venv on first use,
# never committed; skipped when pip cannot install it).
#
# Needs: nginx (apt-get install nginx-light), PostgreSQL at 127.0.0.1:5432 (trust auth) for the
# PostgreSQL rows, python3 with venv/pip for Radicale. Extra arguments go to livecard-loadgen
# (e.g. --seconds 10 --cards 10000 --radicale-cards 1000,10000).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# Built separately so the server binary gets livecard-format without the `secret` feature.
cargo build --release --locked -p livecard-server
cargo build --release --locked -p livecard-loadgen

NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$NGINX" ] || echo "bench-server: nginx not found (apt-get install nginx-light): no ceiling row" >&2

PG_HOST_URL="${LIVECARD_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PG_ARGS=()
PG_DB=""
if command -v psql >/dev/null && pg_isready -h 127.0.0.1 -q 2>/dev/null; then
  if psql "$PG_HOST_URL/test" -qc 'DROP DATABASE IF EXISTS livecard_bench' -c 'CREATE DATABASE livecard_bench' 2>/dev/null; then
    PG_DB=livecard_bench
  else
    echo "bench-server: cannot create livecard_bench; using database test" >&2
    PG_DB=test
  fi
  PG_ARGS=(--postgres-url "$PG_HOST_URL/$PG_DB")
else
  echo "bench-server: PostgreSQL not reachable at 127.0.0.1:5432: no PostgreSQL rows" >&2
fi

GROWTH_ARGS=(--growth "${BENCH_GROWTH:-1000,10000,100000}")
if [ "$PG_DB" = livecard_bench ] &&
  psql "$PG_HOST_URL/test" -qc 'DROP DATABASE IF EXISTS livecard_bench_growth' -c 'CREATE DATABASE livecard_bench_growth' 2>/dev/null; then
  GROWTH_ARGS+=(--growth-postgres-url "$PG_HOST_URL/livecard_bench_growth")
fi

# Radicale (the CardDAV server a user would pick instead), pinned, in a venv under the target dir.
RADICALE_VENV="$CARGO_TARGET_DIR/bench-radicale-venv"
RADICALE_ARGS=()
if [ ! -x "$RADICALE_VENV/bin/radicale" ]; then
  python3 -m venv "$RADICALE_VENV" && "$RADICALE_VENV/bin/pip" install -q radicale==3.9.0 ||
    echo "bench-server: could not install Radicale from PyPI: no Radicale rows" >&2
fi
[ -x "$RADICALE_VENV/bin/radicale" ] && RADICALE_ARGS=(--radicale "$RADICALE_VENV/bin/radicale")

LOAD_BEFORE="$(cut -d" " -f1-3 /proc/loadavg)"
REPORT="$(mktemp)"
trap 'rm -f "$REPORT"' EXIT
"$CARGO_TARGET_DIR/release/livecard-loadgen" \
  --server-bin "$CARGO_TARGET_DIR/release/livecard-server" \
  --nginx "$NGINX" "${PG_ARGS[@]}" "${GROWTH_ARGS[@]}" "${RADICALE_ARGS[@]}" --out "$REPORT" "$@"
LOAD_AFTER="$(cut -d" " -f1-3 /proc/loadavg)"

if [ "$PG_DB" = livecard_bench ]; then
  psql "$PG_HOST_URL/test" -qc 'DROP DATABASE IF EXISTS livecard_bench' \
    -c 'DROP DATABASE IF EXISTS livecard_bench_growth' || true
fi

CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
MEM="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
PGV="$( (psql "$PG_HOST_URL/test" -Atc 'SHOW server_version' 2>/dev/null || echo none) | head -1)"
NGV="$("$NGINX" -v 2>&1 | sed 's/^nginx version: //' || echo none)"
SECTION="$(mktemp)"
trap 'rm -f "$REPORT" "$SECTION"' EXIT
{
  echo "## Server"
  echo
  echo "Measured by \`scripts/bench-server.sh\` (load generator: \`crates/livecard-loadgen\`) on"
  DIRTY=""
  git diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || DIRTY=" plus uncommitted changes under crates/"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$DIRTY."
  echo "Machine: ${CPU:-unknown CPU}, $(nproc) cores, $MEM, $(uname -sr); $(rustc --version);"
  echo "nginx $NGV; PostgreSQL $PGV; SQLite bundled with sqlx (WAL). Load average before the run:"
  echo "$LOAD_BEFORE, after: $LOAD_AFTER (1/5/15 min; other work on the machine makes the numbers"
  echo "noisier)."
  echo
  echo "Method:"
  echo
  echo "- Everything on 127.0.0.1 on the same machine: the server and nginx compete with the load"
  echo "  generator for the same cores, so these are lower bounds for a server on its own box."
  echo "- The real \`livecard-server\` release binary is started as its own process per backend with"
  echo "  its defaults except \`--rate-per-second 0\` (the per-IP rate limit would otherwise answer"
  echo "  429 to a one-IP benchmark); SQLite is a fresh file, PostgreSQL a fresh database."
  echo "- The cards are real sealed records (\`livecard_format::crypto::seal\`), published with PUT."
  echo "- Client: one thread (tokio current-thread), hyper HTTP/1.1 keep-alive connections, each"
  echo "  sending its next request when the last answer is read in full; every answer's status is"
  echo "  checked (304 / 200 with an empty sync answer), so errors cannot count as speed."
  echo "- Conditional GET: \`If-None-Match: \"1\"\` on ids in turn → 304. nginx: the same client and"
  echo "  connection count on a static file with its own ETag → 304, measured in the same run."
  echo "- Batch sync: \`POST /v1/sync\` listing every published id at the version held → nothing changed."
  echo "- Latency percentiles are per request, over all requests of the phase."
  echo
  cat "$REPORT"
} > "$SECTION"

python3 - "$SECTION" docs/PERFORMANCE.md <<'PY'
import re, sys, pathlib
section = pathlib.Path(sys.argv[1]).read_text()
doc_path = pathlib.Path(sys.argv[2])
doc = doc_path.read_text() if doc_path.exists() else "# Performance\n"
marker = "<!-- notes kept by bench-server.sh -->"
m = re.search(r"(?m)^## Server[ \t]*\n", doc)
if m:
    nxt = re.search(r"(?m)^## ", doc[m.end():])
    end = m.end() + nxt.start() if nxt else len(doc)
    old = doc[m.start():end]
    kept = old[old.index(marker):].rstrip() + "\n" if marker in old else ""
    new = section.rstrip() + "\n\n" + kept
    doc = doc[:m.start()] + new + ("\n" if nxt and not new.endswith("\n\n") else "") + doc[end:]
else:
    doc = doc.rstrip() + "\n\n" + section.rstrip() + "\n"
doc_path.write_text(doc)
PY
echo "bench-server: wrote the \"## Server\" section of docs/PERFORMANCE.md"
