#!/usr/bin/env bash
# Benchmarks, each printed with the absolute figure and, where there is a peer, the ratio.
# Usage: bench/run.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
WJ=$(realpath "$BUILD/weijian")
HERE=$(cd "$(dirname "$0")" && pwd)
for b in "$HERE"/*.bench.sh; do
  bash "$b" "$WJ"
done
