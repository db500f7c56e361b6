#!/usr/bin/env bash
# Installs what weijian needs to build, test and run, and nothing else:
# Debian packages with apt-get, npm packages with `npm ci` against the committed lock file.
# Idempotent: a package that is already installed is not touched, and npm runs only when the
# lock file is newer than the installed tree.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config sqlite3 clang-format
  libboost1.74-dev nlohmann-json3-dev libsimdjson-dev libpugixml-dev libsqlite3-dev libpq-dev libpqxx-dev
  libkainjow-mustache-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
  libargon2-dev libsodium-dev libcli11-dev libspdlog-dev libfmt-dev
  libopencc-dev libopencc-data libqrencode-dev libxlsxwriter-dev libzip-dev zlib1g-dev
  libpango1.0-dev libcairo2-dev poppler-utils libreoffice-writer-nogui
  libgtest-dev libbenchmark-dev postgresql curl python3 time nodejs npm
  chromium fonts-noto-cjk fonts-noto-cjk-extra fonts-lxgw-wenkai libicu-dev clang libclang-rt-14-dev
)

# `--bench`: also what the benchmarks compare against or drive (make bench).
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from somewhere other than Debian's package (as on the development machines).
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp=node_modules/.weijian-lock-stamp
# A node_modules that is a symlink is a tree shared with other checkouts (development machines):
# `npm ci` would empty the target for all of them, so it is left alone here.
if [ -L node_modules ]; then
  [ -f "$stamp" ] || echo "install-deps: node_modules is a symlink without $stamp; not running npm ci" >&2
elif [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
