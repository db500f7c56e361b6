#!/usr/bin/env bash
# Import into PostgreSQL (issue 16 item 7a): the import benchmark's 10 million values (1,011
# villages × 36 months × 275 element/option pairs, bench/gen_values.py, DHIS2 CSV by code)
# imported with `weijian import` into a PostgreSQL store, side by side with the floor: a bare
# COPY of the same rows, as weijian stored them (ids, not codes), into the same table of the same
# schema (its primary key and five foreign keys), emptied first; and the same COPY into a copy of
# the table without its foreign keys (what the checks of every row's five references cost).
# Throwaway cluster: initdb in a
# temporary directory, loopback port, default settings but max_wal_size=4GB (bench/pg.sh).
# Prints wall seconds, the CPU seconds of weijian and of PostgreSQL's processes (from /proc: the
# machine is shared, wall time is not), and the load average around each run.
# BENCH_MONTHS=3 makes a quick run (≈840k values).
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_MONTHS:-36}
source "$SRC/bench/pg.sh"
bench_setup pgimport
pg_start "" || { echo "PostgreSQL: skipped (no server binaries or postgres user)"; exit 0; }
"${PSQL[@]}" -c "CREATE DATABASE wj"
DB="postgresql://postgres@127.0.0.1:$PG_PORT/wj"

# The village codes come from a SQLite store of the same divisions (gen_values.py reads one).
"$WJ" init --db "$TMP/codes.db" --divisions 1506 >/dev/null
rows=$(python3 "$SRC/bench/gen_values.py" "$TMP/codes.db" "$TMP/in" "$MONTHS")
rm -f "$TMP/in/values.json"
csv_mb=$(($(stat -c %s "$TMP/in/values.csv") / 1048576))
"$WJ" init --db "$DB" --divisions 1506 >/dev/null
"$WJ" metadata import --db "$DB" "$TMP/in/metadata.json" >/dev/null
"${PSQL[@]}" -d wj -c "CHECKPOINT"

load0=$(load_avg)
pg0=$(pg_cpu)
/usr/bin/time -f "%e %M %U %S" -o "$TMP/time" "$WJ" import --db "$DB" --idScheme code "$TMP/in/values.csv" >"$TMP/summary.json"
pg1=$(pg_cpu)
load1=$(load_avg)
grep -q '"status": "SUCCESS"' "$TMP/summary.json" || { echo "import failed"; head -c 2000 "$TMP/summary.json"; exit 1; }
read -r wj_s wj_kb wj_user wj_sys <"$TMP/time"
stored=$("${PSQL[@]}" -d wj -At -c "SELECT count(*) FROM data_value")

# The floor: the stored rows written out, the table emptied, the same rows COPYed back.
chmod 777 "$TMP/in"
"${PSQL[@]}" -d wj -c "COPY data_value TO '$TMP/in/data_value.copy'"
"${PSQL[@]}" -d wj -c "TRUNCATE data_value" -c "CHECKPOINT"
load2=$(load_avg)
pg2=$(pg_cpu)
start=$(date +%s.%N)
"${PSQL[@]}" -d wj -c "COPY data_value FROM '$TMP/in/data_value.copy'"
end=$(date +%s.%N)
pg3=$(pg_cpu)
load3=$(load_avg)
copy_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
[ "$("${PSQL[@]}" -d wj -At -c "SELECT count(*) FROM data_value")" = "$stored" ] || { echo "COPY count differs"; exit 1; }
# The same table, its primary key and defaults, no foreign keys.
"${PSQL[@]}" -d wj -c "CREATE TABLE data_value_nofk (LIKE data_value INCLUDING ALL)" -c "CHECKPOINT"
load4=$(load_avg)
pg4=$(pg_cpu)
start=$(date +%s.%N)
"${PSQL[@]}" -d wj -c "COPY data_value_nofk FROM '$TMP/in/data_value.copy'"
end=$(date +%s.%N)
pg5=$(pg_cpu)
load5=$(load_avg)
nofk_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')

printf '\n== PostgreSQL import: %s values (CSV %s MB) into a weijian store on PostgreSQL %s ==\n' \
  "$rows" "$csv_mb" "$("$PG_BIN/postgres" --version | awk '{ print $3 }')"
printf '%-34s %8s %11s %9s %9s %12s  %s\n' "" "wall s" "values/s" "wj CPU s" "PG CPU s" "peak RSS MB" "load average before → after"
awk -v n="weijian import (CSV, by code)" -v s="$wj_s" -v r="$stored" -v u="$wj_user" -v y="$wj_sys" \
  -v pg="$(echo "$pg1 - $pg0" | bc)" -v kb="$wj_kb" -v l="$load0 → $load1" \
  'BEGIN { printf "%-34s %8.1f %11.0f %9.1f %9.1f %12.0f  %s\n", n, s, r / s, u + y, pg, kb / 1024, l }'
awk -v n="bare COPY, same table (floor)" -v s="$copy_s" -v r="$stored" \
  -v pg="$(echo "$pg3 - $pg2" | bc)" -v l="$load2 → $load3" \
  'BEGIN { printf "%-34s %8.1f %11.0f %9s %9.1f %12s  %s\n", n, s, r / s, "—", pg, "—", l }'
awk -v n="bare COPY, no foreign keys" -v s="$nofk_s" -v r="$stored" \
  -v pg="$(echo "$pg5 - $pg4" | bc)" -v l="$load4 → $load5" \
  'BEGIN { printf "%-34s %8.1f %11.0f %9s %9.1f %12s  %s\n", n, s, r / s, "—", pg, "—", l }'
awk -v a="$wj_s" -v b="$copy_s" 'BEGIN { printf "weijian / floor (wall): %.2f×\n", a / b }'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB"
