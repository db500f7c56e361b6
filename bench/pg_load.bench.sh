#!/usr/bin/env bash
# Month-end load with two servers on one PostgreSQL (issue 16 item 7c): the load benchmark of
# issue 13 (bench/load.bench.sh: 200 clerks saving cells through sessions, 20 officers on
# dashboards and the pivot, 500 portal readers, idle keep-alive connections up to 1,000, a
# ~1.1M-value CSV import at 20 s) against two `weijian serve` on one PostgreSQL store, each
# client signing in on one server and sending its requests to both in turn (a round-robin load
# balancer), the import to the first. Store: the demo and BENCH_MONTHS (36) months of the benchmark
# values, made on SQLite and moved up with `weijian migrate`. Then the heavy analytics query
# (27 elements × 36 months × 88 townships) over HTTP with one ApiToken on each server.
# Throwaway cluster as bench/pg.sh, shared_buffers 1 GB. Prints each server's and PostgreSQL's CPU
# seconds (from /proc) and the load average: the machine is shared, wall time is not the work's.
# BENCH_DIRTY_BACKGROUND_BYTES=N (as root): the kernel starts writing dirty pages back once N bytes
# are dirty (vm.dirty_background_bytes) for the run, and gets its settings back at the end: the
# setting README.md gives a database host (session 32, bench/README.md (c)). The run prints the
# writeback settings it ran with either way.
# Not part of `make test`. Usage: pg_load.bench.sh path/to/weijian
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_RUN=${BENCH_LOAD_SECONDS:-60}
MONTHS=${BENCH_MONTHS:-36}
source "$SRC/bench/pg.sh"
bench_setup pgload
PIDS=()
DIRTY_WAS=""
restore_dirty() {  # the kernel's writeback settings as they were before the run
  [ -n "$DIRTY_WAS" ] || return 0
  local bytes ratio
  read -r bytes ratio <<<"$DIRTY_WAS"
  if [ "$bytes" != 0 ]; then sysctl -q -w vm.dirty_background_bytes="$bytes"; else sysctl -q -w vm.dirty_background_ratio="$ratio"; fi
}
trap '[ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; pg_stop; restore_dirty; rm -rf "$TMP"' EXIT
if [ -n "${BENCH_DIRTY_BACKGROUND_BYTES:-}" ]; then
  DIRTY_WAS="$(sysctl -n vm.dirty_background_bytes) $(sysctl -n vm.dirty_background_ratio)"
  sysctl -q -w vm.dirty_background_bytes="$BENCH_DIRTY_BACKGROUND_BYTES"
fi
echo "writeback: vm.dirty_background_bytes $(sysctl -n vm.dirty_background_bytes), vm.dirty_background_ratio $(sysctl -n vm.dirty_background_ratio), vm.dirty_expire_centisecs $(sysctl -n vm.dirty_expire_centisecs)"
PASSWORD=load-bench-password-2024
# BENCH_PG_STATEMENTS=1: PostgreSQL counts its statements (pg_stat_statements, in Debian's
# postgresql package) and the run ends with those that took the most of its time during the load.
PG_EXTRA=""
[ "${BENCH_PG_STATEMENTS:-0}" = 1 ] && PG_EXTRA="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
pg_start "-c shared_buffers=1GB $PG_EXTRA" || { echo "PostgreSQL: skipped (no server binaries or postgres user)"; exit 0; }
"${PSQL[@]}" -c "CREATE DATABASE wj"
DB="postgresql://postgres@127.0.0.1:$PG_PORT/wj"
q() { "${PSQL[@]}" -d wj -At -c "$1"; }

# The store is built on SQLite (the demo, 36 months of values for the analytics query) and moved
# up with `weijian migrate`, as a county outgrowing its file would: an import of 10M values into
# PostgreSQL checks five foreign keys a row (bench/pg_import.bench.sh) and takes far longer. The
# 4 months of 2018 are the import's payload during the run. gen_values.py reads the unit codes.
"$WJ" init --db "$TMP/l.db" --divisions 1506 --demo >/dev/null
python3 "$SRC/bench/gen_values.py" "$TMP/l.db" "$TMP/base" "$MONTHS" 2021 >/dev/null
python3 "$SRC/bench/gen_values.py" "$TMP/l.db" "$TMP/imp" 4 2018 >/dev/null
rm -f "$TMP/base/values.json" "$TMP/imp/values.json"
"$WJ" metadata import --db "$TMP/l.db" "$TMP/base/metadata.json" >/dev/null
"$WJ" import --db "$TMP/l.db" --idScheme code "$TMP/base/values.csv" >/dev/null
rm -rf "$TMP/base"
echo "== pg load: migrating the store to PostgreSQL (load average $(load_avg)) =="
/usr/bin/time -f "migrate: %e s wall, %U + %S s CPU" "$WJ" migrate --from "$TMP/l.db" --to "$DB" >"$TMP/migrate.out"
head -1 "$TMP/migrate.out"
echo "$PASSWORD" | "$WJ" user add --db "$DB" --name loadroot --role superuser --ou 1506 \
  --password-stdin >/dev/null
"${PSQL[@]}" -d wj -c "VACUUM ANALYZE" -c "CHECKPOINT"
ulimit -n 8192 2>/dev/null || true
# The portal's pages need the built front end (make build): beside the binary, or BENCH_WEB_DIR.
WEB=${BENCH_WEB_DIR:-$(dirname "$WJ")/web}
[ -d "$WEB/templates" ] || { echo "no front end in $WEB (make build, or set BENCH_WEB_DIR)"; exit 1; }

echo "== pg load: two servers on one PostgreSQL (load average $(load_avg)) =="
PORTS=()
for n in 0 1; do
  "$WJ" serve --db "$DB" --keys "$TMP/l.db.keys" --web-dir "$WEB" --port 0 --max-body-mb 512 \
    >"$TMP/serve$n.log" 2>&1 &
  PIDS+=($!)
done
start=$(date +%s.%N)
for n in 0 1; do
  for _ in $(seq 1 1200); do grep -q "serving on" "$TMP/serve$n.log" && break; sleep 0.1; done
  PORTS+=("$(grep -o '127.0.0.1:[0-9]*' "$TMP/serve$n.log" | head -1 | cut -d: -f2)")
done
echo "both serving after $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s;" \
  "server CPU so far $(cpu_s "${PIDS[0]}") and $(cpu_s "${PIDS[1]}") s; $(q "SELECT count(*) FROM data_value") stored values"

# Each server builds its analytics engine from PostgreSQL at its first query (no snapshot beside
# an address): done here, before the clock, as a server in service would have it.
for n in 0 1; do
  start=$(date +%s.%N)
  curl -s -o /dev/null -u "loadroot:$PASSWORD" \
    "http://127.0.0.1:${PORTS[$n]}/api/analytics?dimension=dx:BDE00&dimension=pe:202301&dimension=ou:1506"
  echo "server $n: engine built from PostgreSQL in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s;" \
    "server CPU so far $(cpu_s "${PIDS[$n]}") s"
done
# Then the clock waits until the servers and PostgreSQL are quiet (under 0.05 CPU s in a
# second, at most 60 s): after the migration and the two engine builds PostgreSQL and the servers
# go on working for a while (session 26: when the driver's sign-ins got faster, that work
# overlapped the run and cost the servers 3-4 CPU s, PostgreSQL 5 and the import 4-6 s).
quiet_since=$(date +%s.%N)
for _ in $(seq 1 60); do
  c0=$(echo "$(cpu_s "${PIDS[@]}") + $(pg_cpu)" | bc)
  sleep 1
  c1=$(echo "$(cpu_s "${PIDS[@]}") + $(pg_cpu)" | bc)
  [ "$(echo "$c1 - $c0 < 0.05" | bc)" = 1 ] && break
done
echo "quiet after $(awk -v a="$quiet_since" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s"
echo "== pg load: ${SECONDS_RUN} s (load average $(load_avg)) =="
pg0=$(pg_cpu)
if [ "${BENCH_PG_STATEMENTS:-0}" = 1 ]; then
  q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  q "SELECT pg_stat_statements_reset()" >/dev/null
fi
"$(dirname "$WJ")/bench/load_driver" "${PORTS[0]},${PORTS[1]}" "${PIDS[0]},${PIDS[1]}" loadroot "$PASSWORD" \
  "$TMP/imp/values.csv" "$SECONDS_RUN" "$TMP/l.db"  # the same uids as the migrated store
echo "PostgreSQL CPU in the run: $(echo "$(pg_cpu) - $pg0" | bc) s; load average after $(load_avg)"
if [ "${BENCH_PG_STATEMENTS:-0}" = 1 ]; then
  echo "== pg load: PostgreSQL's statements during the run, by total time (pg_stat_statements) =="
  q "SELECT round(total_exec_time::numeric / 1000, 1) || ' s', calls, round((total_exec_time / calls)::numeric, 3) || ' ms',
            regexp_replace(left(query, 160), '\s+', ' ', 'g')
     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25" | tr '|' '\t'
fi

echo "== pg load: the heavy analytics query over HTTP with an ApiToken, on each server =="
login=$(curl -s -c "$TMP/jar" -H 'Content-Type: application/json' \
  -d "{\"username\":\"loadroot\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:${PORTS[0]}/api/auth/login")
csrf=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrfToken"])')
token=$(curl -s -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"name":"load-bench","expiresInDays":1}' "http://127.0.0.1:${PORTS[0]}/api/apiToken" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
dx=$(seq -f "BDE%02g" 0 26 | paste -sd ';')
pe=$(for y in 2021 2022 2023; do for m in $(seq -w 1 12); do printf '%s%s;' "$y" "$m"; done; done)
for n in 0 1; do
  url="http://127.0.0.1:${PORTS[$n]}/api/analytics?dimension=dx:$dx&dimension=pe:${pe%;}&dimension=ou:1506;LEVEL-4&ignoreLimit=true"
  c0=$(cpu_s "${PIDS[$n]}")
  for _ in $(seq 1 12); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: ApiToken $token" "$url"
  done >"$TMP/heavy$n.txt"
  c1=$(cpu_s "${PIDS[$n]}")
  tail -n 10 "$TMP/heavy$n.txt" | awk '{ print $2 * 1000 }' | sort -n |
    awk -v n="$n" -v st="$(tail -1 "$TMP/heavy$n.txt" | cut -d' ' -f1)" -v cpu="$(echo "($c1 - $c0) * 1000 / 12" | bc -l)" \
      '{ a[NR] = $1 } END { printf "server %s: status %s, p50 %.1f ms, max %.1f ms (10 warm runs), %.1f ms server CPU per query\n", n, st, a[int(NR / 2) + 1], a[NR], cpu }'
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB; load average $(load_avg)"
echo "targets: cell save p99 ≤ 50 ms, dashboard p99 ≤ 100 ms, portal p99 ≤ 20 ms, no class held up > 250 ms by the import, no timeouts; heavy query ≤ 20 ms"
