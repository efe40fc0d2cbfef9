#!/usr/bin/env bash
# Installs everything livecard needs to build, run and test on Debian 12, then builds the web UI.
# Idempotent: skips what is already there. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages: webkit for the desktop app, Xvfb + WebKitWebDriver for its end-to-end tests,
# Chromium for the share page's browser test, zbar for the independent QR decoder in tests,
# chromium-driver for WebDriver, keyutils for the kernel keyring, python3-pip for ndeflib (independent NDEF decoder in tests),
# mold to link (.cargo/config.toml → scripts/cc-fast-link; the default linker when it is absent).
APT_PACKAGES=(
  build-essential pkg-config curl ca-certificates mold
  libwebkit2gtk-4.1-dev
  xvfb webkit2gtk-driver
  chromium chromium-driver
  zbar-tools
  keyutils
  fonts-wqy-microhei
  python3 python3-pip
  nodejs npm
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  # node/npm may come from elsewhere (nvm, nodesource): only install them if absent.
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust toolchain (a newcomer may not have one).
if ! command -v cargo >/dev/null; then
  echo "setup: installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

# tauri-driver (WebDriver bridge for the desktop app's end-to-end tests). Pin major 2.
if ! command -v tauri-driver >/dev/null; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --locked --version '^2' -q
fi

# Python: ndeflib, an NDEF implementation independent of ours, used by tests.
if ! python3 -c 'import ndef' 2>/dev/null; then
  echo "setup: pip install ndeflib"
  python3 -m pip install -q ndeflib 2>/dev/null || python3 -m pip install -q --break-system-packages ndeflib
fi

# Node.js: Vite 7 needs Node 20.19 or newer (Debian 12's own nodejs is 18).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node --version 2>/dev/null || echo missing) is too old: the UI build needs Node 20.19+." >&2
  echo "setup: install Node 20 or 22 (e.g. from your distribution's backports or nodejs.org), then rerun." >&2
  exit 1
fi

# The web UI: the app embeds ui/dist at compile time, so build it before any cargo build.
if [ -f ui/package.json ]; then
  echo "setup: building the web UI"
  (cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
fi
echo "setup: done"
