#!/usr/bin/env bash
# Instruction profile of the full download (issue 15 item 2): the release livecard-server under
# `valgrind --tool=callgrind`, driven by livecard-loadgen's --only-full-download (binary records
# answer, the app's request) — instruction counts do not depend on the machine's load, unlike
# wall time. NOT run by CI.
#
#   scripts/profile-download.sh [ROUNDS] [CARDS]        (defaults 10 and 1000)
#
# Per backend (SQLite in a temp dir; PostgreSQL in a scratch database `livecard_profile` when
# 127.0.0.1:5432 answers): start the server under callgrind, publish CARDS typical cards and
# download them once (warm-up), zero the counters, download them ROUNDS times, dump. Prints the
# instructions per full download (whole server process: HTTP, handler, sqlx, SQLite; not the
# PostgreSQL server's own work) and the top functions, and for PostgreSQL the EXPLAIN ANALYZE of
# the two sync queries. Output files stay in $OUT (default target/profile-download).
#
# Binaries: $SERVER_BIN / $LOADGEN_BIN, default target/release/… (build them first:
# cargo build --release -p livecard-server -p livecard-loadgen).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-10}"
CARDS="${2:-1000}"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
SERVER_BIN="${SERVER_BIN:-$TARGET/release/livecard-server}"
LOADGEN_BIN="${LOADGEN_BIN:-$TARGET/release/livecard-loadgen}"
OUT="${OUT:-$TARGET/profile-download}"
PG_HOST_URL="${LIVECARD_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
for b in "$SERVER_BIN" "$LOADGEN_BIN"; do
  [ -x "$b" ] || { echo "profile-download: $b missing (cargo build --release -p livecard-server -p livecard-loadgen)" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "profile-download: valgrind not installed" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*

profile() { # name database-url
  local name="$1" url="$2" log="$OUT/$1.server.log" ids="$OUT/$1.ids"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind" \
    "$SERVER_BIN" --listen 127.0.0.1:0 --database-url "$url" --rate-per-second 0 \
    --request-timeout-secs 600 >"$log" 2>"$OUT/$name.valgrind.log" &
  local pid=$!
  local addr=""
  for _ in $(seq 1 600); do
    addr="$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$log" | head -1)"
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$OUT/$name.valgrind.log" >&2; exit 1; }
    sleep 0.5
  done
  [ -n "$addr" ] || { echo "profile-download: $name server did not listen" >&2; kill "$pid"; exit 1; }
  "$LOADGEN_BIN" --only-full-download --binary-only --server-url "http://$addr" \
    --ids-file "$ids" --full-download-ids "$CARDS" --rounds 1 >/dev/null
  callgrind_control -z "$pid" >/dev/null
  "$LOADGEN_BIN" --only-full-download --binary-only --server-url "http://$addr" \
    --ids-file "$ids" --rounds "$ROUNDS" >/dev/null
  callgrind_control -d "$pid" >/dev/null
  kill -TERM "$pid"
  wait "$pid" || true
  # The dump after zeroing is the file with the highest number.
  local dump
  dump="$(ls -1 "$OUT/$name.callgrind".* 2>/dev/null | sort -t. -k3 -n | tail -1)"
  local total
  total="$(grep -m1 '^summary:' "$dump" | awk '{print $2}')"
  echo "== $name: $total instructions for $ROUNDS full downloads of $CARDS cards = $((total / ROUNDS)) per download ($dump)"
  callgrind_annotate --inclusive=yes "$dump" >"$OUT/$name.inclusive.txt" 2>/dev/null || true
  callgrind_annotate "$dump" >"$OUT/$name.self.txt" 2>/dev/null || true
  echo "   top functions (self): $OUT/$name.self.txt, inclusive: $OUT/$name.inclusive.txt"
}

profile sqlite "sqlite://$OUT/profile.db"

if command -v psql >/dev/null && pg_isready -h 127.0.0.1 -q 2>/dev/null &&
  psql "$PG_HOST_URL/test" -qc 'DROP DATABASE IF EXISTS livecard_profile' -c 'CREATE DATABASE livecard_profile' 2>/dev/null; then
  profile postgres "$PG_HOST_URL/livecard_profile"
  ARR="ARRAY[$(sed "s/.*/'&'/" "$OUT/postgres.ids" | paste -sd,)]"
  {
    # The two queries of POST /v1/sync as src/store/postgres.rs sends them (versions_each,
    # get_each: unprepared, so planned with the real array as here).
    echo "-- versions_each()"
    psql "$PG_HOST_URL/livecard_profile" -qAt -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, version, deleted, length(ciphertext)::BIGINT FROM cards WHERE id = ANY($ARR)"
    echo "-- get_each()"
    psql "$PG_HOST_URL/livecard_profile" -qAt -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, public_key, version, nonce, ciphertext, signature, deleted FROM cards WHERE id = ANY($ARR)"
  } >"$OUT/postgres.explain.txt"
  grep -E '^--|Execution Time|Planning Time' "$OUT/postgres.explain.txt"
  psql "$PG_HOST_URL/test" -qc 'DROP DATABASE IF EXISTS livecard_profile' || true
else
  echo "profile-download: PostgreSQL not reachable at 127.0.0.1:5432 (or no psql): SQLite only" >&2
fi
