#!/usr/bin/env bash
# Web benchmark (issue: web portal): the demo's home page under `wrk -t2 -c64 -d10s`, served by
# weijian and, side by side, the same saved HTML served by nginx (one worker per core, no
# access log); also the bytes a first visit to the home page transfers (HTML + CSS + JS).
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/bench/pg.sh"
bench_setup web
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "web: skipped (wrk or nginx missing; scripts/install-deps.sh --bench installs them)"
  exit 0
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WJ_PORT=$(free_port)
"$WJ" demo --db "$TMP/demo.db" --port "$WJ_PORT" >"$TMP/demo.log" 2>&1 &
WJ_PID=$!
trap 'kill $WJ_PID 2>/dev/null; [ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null; pg_stop; rm -rf "$TMP"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$WJ_PORT/" -o "$TMP/index.html" && break; sleep 0.2; done

# What a first visit transfers before images: the page, its style sheets and its script.
bytes=$(stat -c %s "$TMP/index.html")
for asset in $(grep -o '/static/[a-z.-]*\.\(css\|js\)' "$TMP/index.html" | sort -u); do
  bytes=$((bytes + $(curl -sf "http://127.0.0.1:$WJ_PORT$asset" | wc -c)))
done

NG_PORT=$(free_port)
mkdir -p "$TMP/www" && cp "$TMP/index.html" "$TMP/www/index.html"
cat >"$TMP/nginx.conf" <<CONF
worker_processes 2;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { text/html html; }
  client_body_temp_path $TMP/ngx-body; proxy_temp_path $TMP/ngx-proxy;
  fastcgi_temp_path $TMP/ngx-fcgi; uwsgi_temp_path $TMP/ngx-uwsgi; scgi_temp_path $TMP/ngx-scgi;
  server { listen 127.0.0.1:$NG_PORT; root $TMP/www; }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP"
sleep 0.5

rps() { wrk -t2 -c64 -d10s "$1" | awk '/Requests\/sec/ { print $2 }'; }
wj=$(rps "http://127.0.0.1:$WJ_PORT/")
ng=$(rps "http://127.0.0.1:$NG_PORT/")
printf '\n== web: the demo home page, wrk -t2 -c64 -d10s ==\n'
printf '%-40s %12s\n' "weijian (rendered, cached per setting)" "$wj req/s"
printf '%-40s %12s\n' "nginx 1.22 (the same HTML, static)" "$ng req/s"
awk -v a="$wj" -v b="$ng" 'BEGIN { printf "%-40s %11.2fx\n", "weijian / nginx", a / b }'
awk -v b="$bytes" 'BEGIN { printf "%-40s %9.1f KB\n", "home page: HTML + CSS + JS transferred", b / 1024 }'
echo "targets: ≥ 5,000 req/s; < 100 KB"
