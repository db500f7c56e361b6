#!/usr/bin/env bash
# Migration benchmark (issue 16 item 5): `weijian migrate` of a SQLite store into an empty
# PostgreSQL 15 database on a throwaway cluster (initdb in a temporary directory, loopback port).
# Two stores: the demo (`weijian init --demo`), and the import benchmark's 10 million values
# (bench/gen_values.py over 鄂尔多斯: 1,011 villages × 36 months × 275 element/option pairs),
# imported first. Prints seconds, rows per second and the peak RSS of the command.
# BENCH_MONTHS=3 makes a quick run (≈840k values); BENCH_SKIP_DEMO=1 leaves the demo out.
set -euo pipefail
WJ=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_MONTHS:-36}
source "$SRC/bench/pg.sh"
bench_setup migrate
pg_start "" || { echo "PostgreSQL is not installed"; exit 1; }
ADDR=$(printf '%s' "${PSQL[*]}" | sed -E 's/.* -p ([0-9]+).*/postgresql:\/\/postgres@127.0.0.1:\1/')

migrate() {  # migrate NAME FILE → prints one result line
  "${PSQL[@]}" -c "CREATE DATABASE $1"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$WJ" migrate --from "$2" --to "$ADDR/$1" >"$TMP/$1.out"
  read -r secs kb <"$TMP/time"
  rows=$(head -1 "$TMP/$1.out" | sed -E 's/.*: ([0-9]+) rows in.*/\1/')
  values=$(grep '^  data_value:' "$TMP/$1.out" | sed -E 's/.*: ([0-9]+) rows.*/\1/')
  printf '%-8s %10s rows (%s values) in %6.1f s: %8.0f rows/s, peak RSS %d MB (source %d MB)\n' \
    "$1" "$rows" "$values" "$secs" "$(echo "$rows / $secs" | bc -l)" $((kb / 1024)) \
    $(($(stat -c %s "$2") / 1048576))
  "$WJ" audit verify --db "$ADDR/$1" >/dev/null
}

echo "== migrate (load average before: $(cut -d' ' -f1-3 /proc/loadavg)) =="
if [ -z "${BENCH_SKIP_DEMO:-}" ]; then
  "$WJ" init --db "$TMP/demo.db" --divisions 1506 --demo >/dev/null
  migrate demo "$TMP/demo.db"
fi
"$WJ" init --db "$TMP/big.db" --divisions 1506 >/dev/null
python3 "$SRC/bench/gen_values.py" "$TMP/big.db" "$TMP/in" "$MONTHS" >/dev/null
"$WJ" metadata import --db "$TMP/big.db" "$TMP/in/metadata.json" >/dev/null
"$WJ" import --db "$TMP/big.db" --idScheme code "$TMP/in/values.csv" >/dev/null
rm -rf "$TMP/in"
migrate big "$TMP/big.db"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
