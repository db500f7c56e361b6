#!/usr/bin/env bash
# Tracker import benchmark (issue 17, item 8): children and their doses POSTed to /api/tracker
# (DHIS2's payload, CREATE_AND_UPDATE, atomicMode=ALL) on a loopback server over the 鄂托克旗
# tree, in batches; reports events (doses) imported per second. Target in the issue: ≥ 50,000
# events/s at 1M events. BENCH_CHILDREN (default 100000, 10 doses each = 1M events) and
# BENCH_BATCH (children per request, default 2000) size the run. BENCH_STORE=postgres runs the
# same import into a throwaway PostgreSQL cluster (bench/pg.sh, shared_buffers 1 GB) instead of a
# SQLite file, and prints PostgreSQL's CPU beside the server's.
set -euo pipefail
WJ=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
CHILDREN=${BENCH_CHILDREN:-100000}
BATCH=${BENCH_BATCH:-2000}
STORE=${BENCH_STORE:-sqlite}
source "$SRC/bench/pg.sh"
bench_setup tracker-import
SERVER=
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; pg_stop; rm -rf "$TMP"' EXIT

if [ "$STORE" = postgres ]; then
  pg_start "-c shared_buffers=1GB" || { echo "PostgreSQL: skipped (no server binaries or postgres user)"; exit 0; }
  "${PSQL[@]}" -c "CREATE DATABASE wj"
  DB="postgresql://postgres@127.0.0.1:$PG_PORT/wj"
else
  DB="$TMP/t.db"
fi
"$WJ" init --db "$DB" --divisions 150624 >/dev/null
"$WJ" keys init --db "$DB" --keys "$TMP/person.key" >/dev/null
echo 'bench-password-草原-2024' | "$WJ" user add --db "$DB" --name bench --role superuser \
  --ou 150624 --password-stdin >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WJ" serve --db "$DB" --keys "$TMP/person.key" --port "$PORT" --max-body-mb 256 \
  >"$TMP/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$PORT/api/system/info" >/dev/null && break; sleep 0.2; done

python3 - "$PORT" "$CHILDREN" "$BATCH" <<'PY'
import base64, datetime, json, random, string, sys, time, urllib.request
port, children, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
auth = "Basic " + base64.b64encode("bench:bench-password-草原-2024".encode()).decode()
meta = json.loads(urllib.request.urlopen(urllib.request.Request(
    f"http://127.0.0.1:{port}/api/tracker/programs", headers={"Authorization": auth})).read())
prog = meta["programs"][0]
attr = {a["trackedEntityAttribute"]["code"]: a["trackedEntityAttribute"]["id"]
        for a in prog["programTrackedEntityAttributes"]}
de = {d["dataElement"]["code"]: d["dataElement"]["id"]
      for d in prog["programStages"][0]["programStageDataElements"]}
rnd = random.Random(17)
def uid():
    return rnd.choice(string.ascii_letters) + "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(10))
# Ten doses of the first year, in schedule order (days after birth).
doses = [("HepB", 0), ("BCG", 1), ("HepB", 30), ("IPV", 60), ("DTaP", 61), ("IPV", 91),
         ("DTaP", 121), ("bOPV", 122), ("HepB", 182), ("DTaP", 183)]
units = ["150624100", "150624101", "150624102", "150624103", "150624200", "150624201"]
def child(i):
    birth = datetime.date(2021, 1, 1) + datetime.timedelta(days=i % 700)
    unit = units[i % len(units)]
    events = [{"event": uid(), "programStage": prog["programStages"][0]["id"], "orgUnit": unit,
               "status": "COMPLETED",
               "occurredAt": (birth + datetime.timedelta(days=d)).isoformat(),
               "dataValues": [{"dataElement": de["VACCINE"], "value": v},
                              {"dataElement": de["LOT"], "value": "L%d" % (i % 97)}]}
              for v, d in doses]
    return {"trackedEntity": uid(), "trackedEntityType": prog["trackedEntityType"]["id"],
            "orgUnit": unit,
            "attributes": [{"attribute": attr["NAME"], "value": "儿童%d" % i},
                           {"attribute": attr["SEX"], "value": "MF"[i % 2]},
                           {"attribute": attr["BIRTH_DATE"], "value": birth.isoformat()},
                           {"attribute": attr["GUARDIAN_NAME"], "value": "监护人%d" % i},
                           {"attribute": attr["GUARDIAN_PHONE"], "value": "139%08d" % i}],
            "enrollments": [{"enrollment": uid(), "program": prog["id"], "orgUnit": unit,
                             "enrolledAt": birth.isoformat(), "events": events}]}
total_events, total_s = 0, 0.0
for start in range(0, children, batch):
    body = json.dumps({"trackedEntities": [child(i) for i in range(start, min(children, start + batch))]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/tracker", data=body, method="POST",
                                 headers={"Authorization": auth, "Content-Type": "application/json"})
    t0 = time.time()
    try:
        report = json.loads(urllib.request.urlopen(req, timeout=3600).read())
    except urllib.error.HTTPError as e:
        print(e.read()[:2000].decode(errors="replace")); sys.exit(1)
    total_s += time.time() - t0
    ev = report["bundleReport"]["typeReportMap"]["EVENT"]["stats"]["created"]
    if report["status"] == "ERROR" or ev != sum(len(c) for c in [doses]) * min(batch, children - start):
        print(json.dumps(report["validationReport"]["errorReports"][:3], ensure_ascii=False)); sys.exit(1)
    total_events += ev
print(f"== tracker import: {children} children, {total_events} events in {total_s:.1f} s "
      f"(HTTP time only, batches of {batch} children) = {total_events / total_s:,.0f} events/s ==")
PY
# The server's CPU time (user + system, from /proc): on a shared machine the wall-clock rate
# depends on the others' load; events per CPU-second of the server does much less.
read -r -a STAT < "/proc/$SERVER/stat"
TICKS=$(getconf CLK_TCK)
CPU_S=$(python3 -c "print(f'{(${STAT[13]} + ${STAT[14]}) / $TICKS:.1f}')")
echo "server CPU: $CPU_S s (user + system, start-up included) for $(( CHILDREN * 10 )) events" \
  "= $(python3 -c "print(f'{$CHILDREN * 10 / max($CPU_S, 0.1):,.0f}')") events per CPU-second;" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$STORE" = postgres ]; then
  echo "PostgreSQL CPU: $(pg_cpu) s (the postmaster and its backends)"
  "${PSQL[@]}" -d wj -At -c "SELECT 'database: ' || pg_database_size('wj') / 1048576 || ' MB'"
else
  printf 'database: %s MB\n' "$(( $(stat -c %s "$TMP/t.db") / 1048576 ))"
fi
