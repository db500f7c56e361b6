#!/usr/bin/env bash
# The analytics engine built from PostgreSQL (issue 16 item 7b): the analytics benchmark's 20
# million values (1,011 villages × 72 months, 2019–2024 × 275 element/option pairs,
# bench/gen_values.py) imported into a SQLite store and moved to PostgreSQL by `weijian migrate`, then
# bench/analytics_bench builds the engine from it and runs the issue's three queries; side by
# side, the same build from a SQLite store of the same values (BENCH_SQLITE=0 leaves it out).
# Throwaway cluster as bench/pg.sh (initdb in a temporary directory, loopback port).
# Prints wall and CPU seconds of the build (weijian's from getrusage, PostgreSQL's processes' from
# /proc), peak RSS, and the load average around each run.
# BENCH_ANALYTICS_MONTHS=12 makes a quick run (≈3.3M values); BENCH_COMPARE=path/to/analytics_bench
# also builds the engine from the same PostgreSQL store with another build (before/after a change).
# Each timed step is stopped after BENCH_STEP_SECONDS (3600).
set -euo pipefail
WJ=$(realpath "$1")
BUILD=$(dirname "$WJ")
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_ANALYTICS_MONTHS:-72}
LIMIT=${BENCH_STEP_SECONDS:-3600}
over() { echo "stopped: a step took more than $LIMIT s (BENCH_STEP_SECONDS)"; exit 1; }
source "$SRC/bench/pg.sh"
bench_setup pganalytics
pg_start "" || { echo "PostgreSQL: skipped (no server binaries or postgres user)"; exit 0; }
"${PSQL[@]}" -c "CREATE DATABASE wj"
DB="postgresql://postgres@127.0.0.1:$PG_PORT/wj"

# The values reach PostgreSQL the way a store moves up from SQLite (`weijian migrate`): an import
# into PostgreSQL checks five foreign keys a row (bench/pg_import.bench.sh), a migrate builds the
# keys once after its COPY, which is what makes 20M values affordable here.
"$WJ" init --db "$TMP/a.db" --divisions 1506 >/dev/null
rows=$(python3 "$SRC/bench/gen_values.py" "$TMP/a.db" "$TMP/in" "$MONTHS" 2019)
"$WJ" metadata import --db "$TMP/a.db" "$TMP/in/metadata.json" >/dev/null
"$WJ" import --db "$TMP/a.db" --idScheme code "$TMP/in/values.csv" >"$TMP/summary.json"
grep -q '"status": "SUCCESS"' "$TMP/summary.json" || { head -c 1500 "$TMP/summary.json"; exit 1; }
rm -rf "$TMP/in"
echo "== migrating $rows values into PostgreSQL (load average $(load_avg)) =="
timeout "$LIMIT" /usr/bin/time -f "migrate: %e s wall, %U + %S s CPU, peak RSS %M KB" "$WJ" migrate \
  --from "$TMP/a.db" --to "$DB" >"$TMP/migrate.out" || over
head -1 "$TMP/migrate.out"
"${PSQL[@]}" -d wj -c "CHECKPOINT"

echo "== engine built from PostgreSQL (load average before $(load_avg)) =="
pg0=$(pg_cpu)
timeout "$LIMIT" /usr/bin/time -f "analytics_bench: %e s wall, %U + %S s CPU, peak RSS %M KB" \
  "$BUILD/bench/analytics_bench" "$DB" 7 2>&1 || over
echo "PostgreSQL CPU during the build and queries: $(echo "$(pg_cpu) - $pg0" | bc) s; load average after $(load_avg)"
if [ -n "${BENCH_COMPARE:-}" ]; then  # another build's analytics_bench on the same store
  echo "== the same, built by $BENCH_COMPARE (load average before $(load_avg)) =="
  pg0=$(pg_cpu)
  timeout "$LIMIT" /usr/bin/time -f "analytics_bench: %e s wall, %U + %S s CPU, peak RSS %M KB" \
    "$BENCH_COMPARE" "$DB" 7 2>&1 || over
  echo "PostgreSQL CPU: $(echo "$(pg_cpu) - $pg0" | bc) s; load average after $(load_avg)"
fi

if [ "${BENCH_SQLITE:-1}" != 0 ]; then
  echo "== the same engine built from SQLite (load average before $(load_avg)) =="
  # The SQLite GROUP BY comparisons are analytics.bench.sh's; here only the build matters.
  /usr/bin/time -f "analytics_bench: %e s wall, %U + %S s CPU, peak RSS %M KB" \
    "$BUILD/bench/analytics_bench" "$TMP/a.db" 7 2>&1 | grep -v '^  SQL:'
  echo "load average after $(load_avg)"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB"
echo "target (as for SQLite): engine built in ≤ 20 s at 20M values"
