#!/usr/bin/env bash
# Import benchmark (issue: data exchange): 10 million data values over the 鄂尔多斯 tree
# (1,011 villages × 36 months × 275 element/option pairs) as DHIS2 CSV and as DHIS2 JSON into a
# fresh SQLite store (and as DHIS2 DXF2 XML, converted from the same CSV), against PostgreSQL 15
# COPYing the same CSV rows into an equivalent table
# with its primary key, on a throwaway cluster (initdb in a temporary directory, loopback port).
# Targets: ≥ 500,000 values/s for CSV and JSON, peak RSS ≤ 1 GB, faster than PostgreSQL's COPY.
# BENCH_MONTHS=3 makes a quick run (≈840k values).
set -euo pipefail
WJ=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_MONTHS:-36}
source "$SRC/bench/pg.sh"
bench_setup import

"$WJ" init --db "$TMP/base.db" --divisions 1506 >/dev/null
rows=$(python3 "$SRC/bench/gen_values.py" "$TMP/base.db" "$TMP/in" "$MONTHS")
"$WJ" metadata import --db "$TMP/base.db" "$TMP/in/metadata.json" >/dev/null
csv_mb=$(( $(stat -c %s "$TMP/in/values.csv") / 1048576 ))
json_mb=$(( $(stat -c %s "$TMP/in/values.json") / 1048576 ))
# The same rows as DXF2 XML, attributes in DHIS2's order.
python3 - "$TMP/in/values.csv" "$TMP/in/values.xml" <<'PY'
import csv, sys
from xml.sax.saxutils import quoteattr
names = ["dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value"]
with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    rows = csv.reader(f)
    next(rows)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">\n')
    for r in rows:
        out.write("<dataValue" + "".join(" %s=%s" % (n, quoteattr(v)) for n, v in zip(names, r) if v) + "/>\n")
    out.write("</dataValueSet>\n")
PY
xml_mb=$(( $(stat -c %s "$TMP/in/values.xml") / 1048576 ))

run_import() {  # run_import FORMAT FILE → "seconds peak_kb"
  rm -f "$TMP/run.db"*
  cp "$TMP/base.db" "$TMP/run.db"
  [ -f "$TMP/base.db-wal" ] && cp "$TMP/base.db-wal" "$TMP/run.db-wal"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$WJ" import --db "$TMP/run.db" --idScheme code "$2" >"$TMP/summary.json"
  grep -q '"status": "SUCCESS"' "$TMP/summary.json" || { echo "import of $1 failed"; head -c 2000 "$TMP/summary.json"; exit 1; }
  cat "$TMP/time"
}
read -r csv_s csv_kb < <(run_import csv "$TMP/in/values.csv")
read -r json_s json_kb < <(run_import json "$TMP/in/values.json")
read -r xml_s xml_kb < <(run_import xml "$TMP/in/values.xml")

pg_s=""
chmod 755 "$TMP/in" && chmod 644 "$TMP/in/values.csv"
if pg_start ""; then
  "${PSQL[@]}" -c "CREATE TABLE data_value (dataelement text, period text, orgunit text,
    catoptcombo text, attroptcombo text, value text, storedby text, lastupdated text, comment text,
    followup text, PRIMARY KEY (orgunit, period, dataelement, catoptcombo, attroptcombo))"
  start=$(date +%s.%N)
  "${PSQL[@]}" -c "COPY data_value FROM '$TMP/in/values.csv' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (catoptcombo, attroptcombo))"
  end=$(date +%s.%N)
  pg_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
fi

printf '\n== import: %s values (CSV %s MB, JSON %s MB, XML %s MB) into a fresh SQLite store ==\n' "$rows" "$csv_mb" "$json_mb" "$xml_mb"
printf '%-30s %9s %14s %12s %16s\n' "" "seconds" "values/s" "peak RSS MB" "vs PostgreSQL"
line() {  # name seconds kb
  local ratio="—"
  [ -n "$pg_s" ] && ratio=$(awk -v p="$pg_s" -v s="$2" 'BEGIN { printf "%.2f× faster", p / s }')
  awk -v n="$1" -v s="$2" -v kb="$3" -v r="$rows" -v ratio="$ratio" \
    'BEGIN { printf "%-30s %9.2f %14.0f %12.0f %16s\n", n, s, r / s, kb / 1024, ratio }'
}
line "weijian import (CSV)" "$csv_s" "$csv_kb"
line "weijian import (JSON)" "$json_s" "$json_kb"
line "weijian import (DXF2 XML)" "$xml_s" "$xml_kb"
if [ -n "$pg_s" ]; then
  awk -v s="$pg_s" -v r="$rows" 'BEGIN { printf "%-30s %9.2f %14.0f %12s %16s\n", "PostgreSQL COPY (same CSV)", s, r / s, "—", "1.00×" }'
else
  echo "PostgreSQL COPY: skipped (no PostgreSQL server binaries or postgres user)"
fi
echo "targets: ≥ 500,000 values/s, ≤ 1024 MB, faster than COPY"
