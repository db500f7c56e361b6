#!/usr/bin/env bash
# Import into PostgreSQL (issue 16 item 7a): the import benchmark's 10 million values (1,011
# villages × 36 months × 275 element/option pairs, bench/gen_values.py, DHIS2 CSV by code)
# imported with `weijian import` into a PostgreSQL store, side by side with the floor: a bare
# COPY of the same rows, as weijian stored them (ids, not codes), into the same table of the same
# schema (its primary key; up to migration 0008 also five foreign keys), emptied first; the same
# COPY into a copy of the table without foreign keys; and, when the schema has none (0009 on:
# the store checks each batch's references instead), into a copy with the five foreign keys, as
# the table was. Throwaway cluster: initdb in a temporary directory, loopback port, default settings but max_wal_size=4GB (bench/pg.sh).
# Prints wall seconds, the CPU seconds of weijian and of PostgreSQL's processes (from /proc: the
# machine is shared, wall time is not), and the load average around each run.
# BENCH_MONTHS=3 makes a quick run (≈840k values). Each timed step is stopped after
# BENCH_STEP_SECONDS (3600): on this shared 2-core machine the 10M import took 30 minutes.
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
MONTHS=${BENCH_MONTHS:-36}
LIMIT=${BENCH_STEP_SECONDS:-3600}
over() { echo "stopped: a step took more than $LIMIT s (BENCH_STEP_SECONDS)"; exit 1; }
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
timeout "$LIMIT" /usr/bin/time -f "%e %M %U %S" -o "$TMP/time" "$WJ" import --db "$DB" --idScheme code \
  "$TMP/in/values.csv" >"$TMP/summary.json" || over
pg1=$(pg_cpu)
load1=$(load_avg)
grep -q '"status": "SUCCESS"' "$TMP/summary.json" || { echo "import failed"; head -c 2000 "$TMP/summary.json"; exit 1; }
read -r wj_s wj_kb wj_user wj_sys <"$TMP/time"
stored=$("${PSQL[@]}" -d wj -At -c "SELECT count(*) FROM data_value")

# The floor: the stored rows written out, the table emptied, the same rows COPYed back.
chmod 777 "$TMP/in"
"${PSQL[@]}" -d wj -c "COPY data_value TO '$TMP/in/data_value.copy'"
"${PSQL[@]}" -d wj -c "TRUNCATE data_value" -c "CHECKPOINT"
copy_line() {  # copy_line NAME TABLE: a timed COPY of the stored rows into TABLE, as one result line
  local load_a pg_a start end
  load_a=$(load_avg)
  pg_a=$(pg_cpu)
  start=$(date +%s.%N)
  timeout "$LIMIT" "${PSQL[@]}" -d wj -c "COPY $2 FROM '$TMP/in/data_value.copy'" || over
  end=$(date +%s.%N)
  echo "$end - $start" | bc >"$TMP/$2.seconds"
  awk -v n="$1" -v s="$(cat "$TMP/$2.seconds")" -v r="$stored" -v pg="$(echo "$(pg_cpu) - $pg_a" | bc)" \
    -v l="$load_a → $(load_avg)" 'BEGIN { printf "%-34s %8.1f %11.0f %9s %9.1f %12s  %s\n", n, s, r / s, "—", pg, "—", l }'
}
floor=$(copy_line "bare COPY, same table (floor)" data_value)
[ "$("${PSQL[@]}" -d wj -At -c "SELECT count(*) FROM data_value")" = "$stored" ] || { echo "COPY count differs"; exit 1; }
# The same table, its primary key and defaults, no foreign keys.
"${PSQL[@]}" -d wj -c "CREATE TABLE data_value_nofk (LIKE data_value INCLUDING ALL)" -c "CHECKPOINT"
nofk=$(copy_line "bare COPY, no foreign keys" data_value_nofk)
# Since migration 0009 data_value has no foreign keys (the store checks each batch's references):
# the table as it was before, with the five, for comparison (BENCH_FK_LINE=0 skips it).
fk=""
if [ "${BENCH_FK_LINE:-1}" = 1 ] && [ "$("${PSQL[@]}" -d wj -At -c "SELECT count(*) FROM pg_constraint
    WHERE conrelid = 'data_value'::regclass AND contype = 'f'")" = 0 ]; then
  "${PSQL[@]}" -d wj -c "CREATE TABLE data_value_fk (LIKE data_value INCLUDING ALL,
    FOREIGN KEY (data_element_id) REFERENCES data_element(id), FOREIGN KEY (period_id) REFERENCES period(id),
    FOREIGN KEY (org_unit_id) REFERENCES org_unit(id), FOREIGN KEY (coc_id) REFERENCES category_option_combo(id),
    FOREIGN KEY (aoc_id) REFERENCES category_option_combo(id))" -c "CHECKPOINT"
  fk=$(copy_line "bare COPY, five foreign keys (≤0008)" data_value_fk)
fi

printf '\n== PostgreSQL import: %s values (CSV %s MB) into a weijian store on PostgreSQL %s ==\n' \
  "$rows" "$csv_mb" "$("$PG_BIN/postgres" --version | awk '{ print $3 }')"
printf '%-34s %8s %11s %9s %9s %12s  %s\n' "" "wall s" "values/s" "wj CPU s" "PG CPU s" "peak RSS MB" "load average before → after"
awk -v n="weijian import (CSV, by code)" -v s="$wj_s" -v r="$stored" -v u="$wj_user" -v y="$wj_sys" \
  -v pg="$(echo "$pg1 - $pg0" | bc)" -v kb="$wj_kb" -v l="$load0 → $load1" \
  'BEGIN { printf "%-34s %8.1f %11.0f %9.1f %9.1f %12.0f  %s\n", n, s, r / s, u + y, pg, kb / 1024, l }'
printf '%s\n%s\n' "$floor" "$nofk"
[ -z "$fk" ] || printf '%s\n' "$fk"
awk -v a="$wj_s" -v b="$(cat "$TMP/data_value.seconds")" 'BEGIN { printf "weijian / floor (wall): %.2f×\n", a / b }'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB"
