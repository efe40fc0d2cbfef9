#!/usr/bin/env bash
# The fuzz targets build (issue 14 item 9): every target in fuzz/ compiled the way cargo-fuzz
# compiles it (`--cfg fuzzing`, libfuzzer-sys's libFuzzer linked in), so an API change in a
# decoder cannot leave the fuzzers broken unnoticed. No sanitizer and no nightly needed (the
# targets are built, not run; docs/FUZZING.md says how to run them). Own target directory: the
# flags differ from the workspace's.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
start=$(date +%s)
RUSTFLAGS="--cfg fuzzing" cargo build -q --bins --examples
n=$(grep -c '^\[\[bin\]\]' Cargo.toml)
for name in $(awk '/^\[\[bin\]\]/{b=1; next} b && /^name = /{gsub(/"/, "", $3); print $3; b=0}' Cargo.toml); do
  [[ -x "$CARGO_TARGET_DIR/debug/$name" ]] || { echo "check-fuzz: target $name was not built" >&2; exit 1; }
done
echo "== fuzz: $n targets built in $(( $(date +%s) - start )) s"
