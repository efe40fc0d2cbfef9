#!/usr/bin/env bash
# Type-checks the app (package livecard-app, with every cfg(mobile) plugin) for Android:
#   cargo check -Zbuild-std --target aarch64-linux-android
# using only Debian packages: rustc-web / cargo-web / rust-web-src (Rust 1.96 with std's
# source, so std is built for the target: no rustup target, no Android NDK) and
# gcc-aarch64-linux-gnu as a stand-in C compiler for the build scripts that compile C
# (libsqlite3-sys, ring/aws-lc…): in check mode nothing is linked. No Kotlin/Swift, no APK.
# See docs/MOBILE.md, "Compiled for Android in CI".
#
# Usage: scripts/check-android.sh [--target TRIPLE] [extra cargo args]
# CARGO_TARGET_DIR is respected (default: target/android, so this compiler never mixes with
# the main target/). Run as root or with sudo (installs the Debian packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-linux-android
if [ "${1:-}" = "--target" ]; then
  TARGET="$2"
  shift 2
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# libc6-dev-arm64-cross: C headers for the stand-in compiler (aws-lc-sys, sqlite include stdlib.h).
APT_PACKAGES=(rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-android: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The app embeds ui/dist at compile time (tauri::generate_context!); setup.sh builds it.
if [ ! -f ui/dist/index.html ]; then
  ./scripts/setup.sh
fi

# Debian's cargo and rustc (1.96, the version rust-web-src matches), not rustup's: build-std
# compiles std from /usr/lib/rustlib/src/rust/library, which must be that rustc's source.
CARGO=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
# -Zbuild-std is unstable: allowed on the stable toolchain with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/android}"
# Stand-in C toolchain for the target's build scripts (objects are compiled, never linked).
triple_env=${TARGET//-/_}
export "CC_${triple_env}=aarch64-linux-gnu-gcc"
export "AR_${triple_env}=aarch64-linux-gnu-ar"
# aws-lc-sys, if it is in the tree: build with the cc crate, not CMake.
export AWS_LC_SYS_CMAKE_BUILDER=0
# glibc's headers hide pthread_rwlock_t & co. under -std=c11 unless asked (Android's bionic
# always has them): aws-lc-sys needs them.
export "CFLAGS_${triple_env}=-D_GNU_SOURCE"

echo "check-android: $($CARGO --version) / $($RUSTC --version), target $TARGET, dir $CARGO_TARGET_DIR"
start=$(date +%s)
# Warnings in our own crates fail the check, as clippy -D warnings does on desktop (phone-only
# code is invisible to the desktop clippy).
"$CARGO" check -Zbuild-std=std,panic_abort -Zwarnings --config 'build.warnings="deny"' \
  --target "$TARGET" -p livecard-app --locked "$@"
echo "check-android: $TARGET check passed in $(($(date +%s) - start)) s"
