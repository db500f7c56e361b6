#!/usr/bin/env bash
# Analytics benchmark (issue: analytics engine): ~20 million values over the 鄂尔多斯 tree
# (1,011 villages × 72 months × 275 element/option pairs), the issue's three queries answered by
# the weijian engine and, side by side, by SQLite (same file) and PostgreSQL 15 (same rows,
# indexed, ANALYZEd, the equivalent GROUP BY). BENCH_ANALYTICS_MONTHS=12 makes a quick run;
# BENCH_ANALYTICS_MONTHS=360 BENCH_ANALYTICS_FIRST_YEAR=1995 the 100-million-value run
# (BENCH_ANALYTICS_PG=0 leaves PostgreSQL out).
set -euo pipefail
WJ=$1
BUILD=$(dirname "$WJ")
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_ANALYTICS_MONTHS:-72}
FIRST_YEAR=${BENCH_ANALYTICS_FIRST_YEAR:-2019}
source "$SRC/bench/pg.sh"
bench_setup analytics

"$WJ" init --db "$TMP/a.db" --divisions 1506 >/dev/null
rows=$(python3 "$SRC/bench/gen_values.py" "$TMP/a.db" "$TMP/in" "$MONTHS" "$FIRST_YEAR")
"$WJ" metadata import --db "$TMP/a.db" "$TMP/in/metadata.json" >/dev/null
"$WJ" import --db "$TMP/a.db" --idScheme code "$TMP/in/values.csv" >"$TMP/summary.json"
grep -q '"status": "SUCCESS"' "$TMP/summary.json" || { head -c 1500 "$TMP/summary.json"; exit 1; }
rm -f "$TMP/in/values.json"
"$BUILD/bench/analytics_bench" "$TMP/a.db" 7 | tee "$TMP/wj.txt"
# weijian's p50 per query, for the ratios below.
wj_ms() { grep "^Q$1 " "$TMP/wj.txt" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "ms") { print $i; exit } }'; }

if [ "${BENCH_ANALYTICS_PG:-1}" != 0 ] && [ -n "$PG_BIN" ] && id postgres >/dev/null 2>&1; then
  # The hierarchy for SQL: village code → township code → banner code.
  sqlite3 -csv "$TMP/a.db" "SELECT v.code, t.code, c.code FROM org_unit v JOIN org_unit t ON t.id = v.parent_id
    JOIN org_unit c ON c.id = t.parent_id WHERE v.level = 5 AND v.facility_type = ''" >"$TMP/in/units.csv"
  chmod 755 "$TMP/in" && chmod 644 "$TMP/in/"*.csv
  pg_start "-c shared_buffers=2GB -c work_mem=256MB"
  "${PSQL[@]}" -c "CREATE TABLE data_value (dataelement text, period text, orgunit text, catoptcombo text,
    attroptcombo text, value double precision, storedby text, lastupdated text, comment text, followup text)"
  "${PSQL[@]}" -c "COPY data_value FROM '$TMP/in/values.csv' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (catoptcombo, attroptcombo))"
  "${PSQL[@]}" -c "CREATE TABLE unit (village text PRIMARY KEY, township text, county text)"
  "${PSQL[@]}" -c "COPY unit FROM '$TMP/in/units.csv' WITH (FORMAT csv)"
  "${PSQL[@]}" -c "CREATE INDEX ON data_value (dataelement, period, orgunit)" -c "ANALYZE"
  pg_p50() {  # pg_p50 SQL → median milliseconds of 3 runs after a warm-up
    for i in 1 2 3 4; do
      "${PSQL[@]}" -c '\timing on' -c "$1" | grep -o 'Time: [0-9.]*' | awk '{ print $2 }'
    done | tail -n 3 | sort -n | sed -n 2p
  }
  in_list() { local s=""; for i in $(seq -f "%02g" "$1" "$2"); do s="$s${s:+,}'BDE$i'"; done; echo "$s"; }
  q1=$(pg_p50 "SELECT u.county, v.period, v.dataelement, sum(v.value) FROM data_value v JOIN unit u ON u.village = v.orgunit WHERE v.dataelement IN ($(in_list 0 10)) AND v.period BETWEEN '202401' AND '202412' GROUP BY 1, 2, 3")
  q2=$(pg_p50 "SELECT u.township, v.period, v.dataelement, sum(v.value) FROM data_value v JOIN unit u ON u.village = v.orgunit WHERE v.dataelement IN ($(in_list 0 26)) AND v.period BETWEEN '202201' AND '202412' GROUP BY 1, 2, 3")
  q3=$(pg_p50 "SELECT v.orgunit, sum(CASE WHEN v.dataelement = 'BDE00' THEN v.value END) / sum(CASE WHEN v.dataelement = 'BDE01' THEN v.value END) * 100 AS r FROM data_value v WHERE v.dataelement IN ('BDE00', 'BDE01') AND v.period BETWEEN '202401' AND '202412' GROUP BY 1 ORDER BY r DESC")
  printf '%-52s %12s %12s %10s\n' "PostgreSQL 15 (same rows, indexed, ANALYZEd)" "p50" "weijian p50" "PG/wj"
  for n in 1 2 3; do
    pg=$(eval echo "\$q$n")
    wj=$(wj_ms "$n")
    awk -v n="$n" -v pg="$pg" -v wj="$wj" 'BEGIN { printf "%-52s %9.0f ms %9.2f ms %9.0fx\n", "Q" n, pg, wj, pg / wj }'
  done
else
  echo "PostgreSQL: skipped (no server binaries or postgres user)"
fi
echo "targets: Q1 ≤ 5 ms, Q2 ≤ 50 ms, Q3 ≤ 20 ms warm p50; ≥ 20× PostgreSQL, ≥ 5× SQLite; ≤ 24 bytes/value"
