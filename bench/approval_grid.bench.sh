#!/usr/bin/env bash
# 上报审核 grid benchmark (issue 11): GET /api/approvalGrid for the whole city (鄂尔多斯市: 88
# township health centres, 9 旗/区 for 托育, 1,011 villages) × 12 months, for each of the demo's
# 5 data sets, over HTTP with an API token, on the demo database. Prints the median of 20
# requests per data set (curl's time_total, which includes connecting on loopback).
# Target: ≤ 100 ms for a city's grid.
set -euo pipefail
WJ=$(realpath "$1")
TMP=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$WJ" init --db "$TMP/demo.db" --divisions 1506 --demo >"$TMP/init.log"
PASS='基准测试-审核网格-2026'
printf '%s\n' "$PASS" | "$WJ" user add --db "$TMP/demo.db" --name bench --role superuser --ou 1506 \
  --password-stdin >/dev/null
PORT=$(free_port)
"$WJ" serve --db "$TMP/demo.db" --port "$PORT" >"$TMP/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/api/system/info" -u "bench:$PASS" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -u "bench:$PASS" -H 'Content-Type: application/json' \
  -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/apiToken" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
YEAR=$(( $(date +%Y) - 1 ))
printf '\n== approval grid: city × %s × one data set, median of 20 (ms) ==\n' "$YEAR"
for ds in DS_TOWNSHIP_MONTHLY DS_VILLAGE_MONTHLY DS_CHILDCARE DS_TOWNSHIP_TARGETS DS_VILLAGE_YEARLY; do
  url="http://127.0.0.1:$PORT/api/approvalGrid?ds=$ds&ou=1506&pe=$YEAR"
  curl -sf -H "Authorization: ApiToken $TOKEN" "$url" -o "$TMP/grid.json"  # warm
  rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$TMP/grid.json")
  ms=$(for _ in $(seq 1 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: ApiToken $TOKEN" "$url"
  done | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }')
  printf '%-22s %5s rows %8s ms\n' "$ds" "$rows" "$ms"
done
echo "target: ≤ 100 ms per grid"
