# A PostgreSQL for the CLI test scripts (sourced after checks.sh, with TMP set): Debian's binaries
# (/usr/lib/postgresql/N/bin), initdb in "$TMP/pg", a free loopback port, sockets in that
# directory, no fsync; as root the server runs as the `postgres` user. Every loopback connection
# is trusted but the role wj_pw's, which must give its password (right-password-1).
# skip_without_postgres: ends the script with a SKIP line when the binaries are not installed. start_postgres: starts it and makes the role; sets
# PGPORT. psql_ ARGS: psql as the superuser. stop_postgres: for the script's cleanup.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
AS=""
[ "$(id -u)" = 0 ] && AS="runuser -u postgres --"
PGPORT=""
skip_without_postgres() {
  [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && return 0
  echo "SKIP: PostgreSQL's binaries (/usr/lib/postgresql/N/bin) are not installed"
  exit 0
}
stop_postgres() {
  [ -f "$TMP/pg/data/postmaster.pid" ] && $AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1
}
psql_() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres "$@"; }
start_postgres() {
  mkdir -p "$TMP/pg"
  [ -n "$AS" ] && chmod 711 "$TMP" && chown postgres "$TMP/pg"  # the server reaches its directory
  $AS "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1 ||
    { echo "FAIL: initdb"; cat "$TMP/initdb.log"; exit 1; }
  printf 'host all wj_pw 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\nlocal all all trust\n' |
    $AS tee "$TMP/pg/data/pg_hba.conf" >/dev/null
  PGPORT=$(free_port)
  $AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
    -o "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 ||
    { echo "FAIL: pg_ctl start"; cat "$TMP/pg/server.log"; exit 1; }
  psql_ -d postgres -c "CREATE ROLE wj_pw LOGIN PASSWORD 'right-password-1'"
}
