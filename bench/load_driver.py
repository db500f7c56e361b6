#!/usr/bin/env python3
"""Month-end load on one weijian server (bench/load.bench.sh): asyncio clients over keep-alive
HTTP/1.1 connections on loopback. Classes: clerks saving cells through sessions (POST
/api/dataValues with the CSRF token), officers on dashboards and the pivot (GET /api/analytics),
readers on portal pages (/, /api/organisationUnits, /static), and idle keep-alive connections
up to --connections. A large import (POST /api/dataValueSets, CSV) starts at --import-at seconds.
Prints p50/p99/max per class before the import and while it runs, timeouts, errors, and the
server's RSS over time. The driver is Python on the same 2 cores: its own scheduling delay is
part of every figure (an upper bound on the server's latency).

Several servers on one database (bench/pg_load.bench.sh): PORT and PID are comma-separated
lists; each client signs in on one server and sends its requests to the servers in turn (a
round-robin load balancer: its session must hold on every server), the import goes to the
first. The figures are then also given per server, with each server's CPU seconds in the run.
STORE is the SQLite file to read the units' and elements' uids from.

Usage: load_driver.py PORT[,PORT…] PID[,PID…] USER PASSWORD IMPORT_CSV SECONDS STORE"""
import asyncio
import json
import random
import sys
import time

PORTS = [int(p) for p in sys.argv[1].split(",")]
PIDS = [int(p) for p in sys.argv[2].split(",")]
USER, PASSWORD, IMPORT_CSV, SECONDS = sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
CLERKS, OFFICERS, READERS, CONNECTIONS, IMPORT_AT = 200, 20, 500, 1000, 20.0
TIMEOUT = 10.0
samples = []  # (class, start offset s, latency ms, status, server index)
errors = {"timeout": 0, "error": 0}
t0 = 0.0
import_window = [None, None]


class Conn:
    def __init__(self, server=0):
        self.r = self.w = None
        self.server = server

    async def open(self):
        self.r, self.w = await asyncio.open_connection("127.0.0.1", PORTS[self.server], limit=1 << 24)

    async def request(self, method, target, headers=None, body=b""):
        if self.w is None:
            await self.open()
        h = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for k, v in (headers or {}).items():
            h += f"{k}: {v}\r\n"
        if body or method == "POST":
            h += f"Content-Length: {len(body)}\r\n"
        self.w.write(h.encode() + b"\r\n" + body)
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = k.strip().lower()
                if k == "set-cookie":  # one per cookie (the session and the device cookie)
                    hdrs[k] = (hdrs[k] + "\n" if k in hdrs else "") + v.strip()
                else:
                    hdrs.setdefault(k, v.strip())
        n = int(hdrs.get("content-length", "0"))
        data = await self.r.readexactly(n) if method != "HEAD" else b""
        if hdrs.get("connection", "").lower() == "close":
            self.w.close()
            self.r = self.w = None
        return status, hdrs, data


async def timed(cls, conn, method, target, headers=None, body=b""):
    start = time.monotonic()
    try:
        status, _, data = await asyncio.wait_for(conn.request(method, target, headers, body), TIMEOUT)
    except asyncio.TimeoutError:
        errors["timeout"] += 1
        conn.w = None
        return None
    except Exception:
        errors["error"] += 1
        conn.w = None
        return None
    samples.append((cls, start - t0, (time.monotonic() - start) * 1000, status, conn.server))
    return data


class Balanced:
    """One keep-alive connection per server; each request goes to the next server in turn."""

    def __init__(self, first):
        self.conns = [Conn(s) for s in range(len(PORTS))]
        self.next = first

    def pick(self):
        c = self.conns[self.next % len(self.conns)]
        self.next += 1
        return c


async def login(conn):
    body = json.dumps({"username": USER, "password": PASSWORD}).encode()
    status, hdrs, data = await conn.request("POST", "/api/auth/login",
                                            {"Content-Type": "application/json"}, body)
    assert status == 200, (status, data[:200])
    cookies = "; ".join(c.split(";", 1)[0] for c in hdrs["set-cookie"].split("\n"))
    return {"Cookie": cookies, "X-CSRF-Token": json.loads(data)["csrfToken"]}


async def clerk(i, auth, villages, elements, coc, stop):
    conns = Balanced(i)
    rnd = random.Random(i)
    await asyncio.sleep(rnd.random() * 2)
    while time.monotonic() < stop:
        ou = villages[rnd.randrange(len(villages))]
        de = elements[rnd.randrange(len(elements))]
        target = f"/api/dataValues?de={de}&pe=202611&ou={ou}&co={coc}&value={rnd.randrange(1000)}"
        await timed("clerk", conns.pick(), "POST", target, auth)
        await asyncio.sleep(1.5 + rnd.random())


async def officer(i, auth, stop):
    conns = Balanced(i)
    rnd = random.Random(1000 + i)
    await asyncio.sleep(rnd.random() * 2)
    while time.monotonic() < stop:
        if rnd.random() < 0.5:  # dashboard: ten indicators by county over two months
            dx = ";".join(f"BIND{k:02d}" for k in range(10))
            target = f"/api/analytics?dimension=dx:{dx}&dimension=pe:202301;202302&dimension=ou:1506;LEVEL-3"
        else:  # pivot: five elements by township for one month
            dx = ";".join(f"BDE{k:02d}" for k in range(rnd.randrange(40), 45)[:5])
            target = f"/api/analytics?dimension=dx:{dx}&dimension=pe:202301&dimension=ou:1506;LEVEL-4"
        await timed("officer", conns.pick(), "GET", target, auth)
        await asyncio.sleep(1.5 + rnd.random())


async def reader(i, pages, stop):
    conns = Balanced(i)
    rnd = random.Random(5000 + i)
    await asyncio.sleep(rnd.random() * 2)
    while time.monotonic() < stop:
        await timed("portal", conns.pick(), "GET", pages[rnd.randrange(len(pages))],
                    {"Accept-Encoding": "gzip"})
        await asyncio.sleep(0.5 + rnd.random())


async def idle(i, stop):
    conn = Conn(i % len(PORTS))
    while time.monotonic() < stop:
        await timed("idle", conn, "GET", "/api/organisationUnits/1506")
        await asyncio.sleep(8 + (i % 4))


async def importer(auth_basic, stop):
    await asyncio.sleep(IMPORT_AT)
    with open(IMPORT_CSV, "rb") as f:
        body = f.read()
    conn = Conn()
    start = time.monotonic()
    import_window[0] = start - t0
    try:
        status, _, data = await conn.request("POST", "/api/dataValueSets?idScheme=code",
                                             {"Content-Type": "text/csv", "Authorization": auth_basic}, body)
    except Exception as e:
        status, data = str(e), b""
    import_window[1] = time.monotonic() - t0
    rows = body.count(b"\n") - 1
    print(f"import: {rows} values, HTTP {status}, {import_window[1] - import_window[0]:.1f} s "
          f"(from {import_window[0]:.1f} s to {import_window[1]:.1f} s)", flush=True)


async def rss(stop, out):
    while time.monotonic() < stop:
        mb = []
        for pid in PIDS:
            with open(f"/proc/{pid}/status") as f:
                mb += [int(line.split()[1]) // 1024 for line in f if line.startswith("VmRSS:")]
        out.append((time.monotonic() - t0, "+".join(map(str, mb))))
        await asyncio.sleep(5)


def cpu_seconds(pid):
    """User + system seconds of a process so far, from /proc (the load does not distort it)."""
    import os
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


async def main():
    global t0
    import base64
    import sqlite3
    db = sys.argv[7]
    c = sqlite3.connect(db)
    villages = [r[0] for r in c.execute(
        "SELECT uid FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code LIMIT 400")]
    elements = [r[0] for r in c.execute("SELECT uid FROM data_element WHERE code LIKE 'BDE%' ORDER BY code")]
    coc = c.execute("SELECT uid FROM category_option_combo WHERE code = 'COC0'").fetchone()[0]
    articles = [r[0] for r in c.execute("SELECT uid FROM article WHERE status = 'published' LIMIT 20")] \
        if c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'article'").fetchone()[0] else []
    c.close()
    pages = ["/", "/api/organisationUnits/1506", "/api/organisationUnits/150624", "/static/portal.css",
             "/search?q=%E5%8D%AB%E7%94%9F"] + [f"/article/{a}" for a in articles]
    # Sessions: one sign-in per clerk and officer (argon2 each; done before the clock starts).
    sem = asyncio.Semaphore(4)

    async def one_login(k):
        async with sem:
            conn = Conn(k % len(PORTS))
            a = await login(conn)
            conn.w.close()
            return a

    # Client k signs in on server k mod n and starts its round-robin on the next one.
    auths = await asyncio.gather(*[one_login(k + 1) for k in range(CLERKS + OFFICERS)])
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    cpu0 = [cpu_seconds(p) for p in PIDS]
    t0 = time.monotonic()
    stop = t0 + SECONDS
    rss_samples = []
    tasks = [clerk(i, auths[i], villages, elements, coc, stop) for i in range(CLERKS)]
    tasks += [officer(i, auths[CLERKS + i], stop) for i in range(OFFICERS)]
    tasks += [reader(i, pages, stop) for i in range(READERS)]
    tasks += [idle(i, stop) for i in range(CONNECTIONS - CLERKS - OFFICERS - READERS)]
    tasks += [importer(basic, stop), rss(stop, rss_samples)]
    await asyncio.gather(*tasks)
    cpu = [cpu_seconds(p) - c for p, c in zip(PIDS, cpu0)]

    lo, hi = import_window[0] or SECONDS, import_window[1] or SECONDS
    print(f"{'class':8} {'window':16} {'requests':>9} {'non-2xx':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for cls in ("clerk", "officer", "portal", "idle"):
        for name, keep in (("before import", lambda s: s < lo), ("during import", lambda s: lo <= s < hi),
                           ("after import", lambda s: s >= hi)):
            xs = [ms for k, s, ms, st, srv in samples if k == cls and keep(s)]
            bad = sum(1 for k, s, ms, st, srv in samples if k == cls and keep(s) and not 200 <= st < 300)
            if xs:
                print(f"{cls:8} {name:16} {len(xs):9d} {bad:8d} {pct(xs, .5):8.1f} {pct(xs, .99):8.1f} {max(xs):8.1f}")
    codes = {}
    if len(PORTS) > 1:
        for n, port in enumerate(PORTS):
            xs = [ms for k, s, ms, st, srv in samples if srv == n]
            bad = sum(1 for k, s, ms, st, srv in samples if srv == n and not 200 <= st < 300)
            print(f"server {n} (port {port}): {len(xs)} requests, {bad} non-2xx, p50 {pct(xs, .5):.1f} ms,"
                  f" p99 {pct(xs, .99):.1f} ms")
    print("server CPU seconds in the run: " + ", ".join(f"{c:.1f}" for c in cpu) +
          f" (over {time.monotonic() - t0:.0f} s of wall time)")
    for k, s, ms, st, srv in samples:
        codes[st] = codes.get(st, 0) + 1
    print("statuses: " + ", ".join(f"{st}: {n}" for st, n in sorted(codes.items())))
    print(f"timeouts (> {TIMEOUT:.0f} s): {errors['timeout']}, connection errors: {errors['error']}")
    print("server RSS (MB) over time: " + ", ".join(f"{t:.0f}s {m}" for t, m in rss_samples))


asyncio.run(main())
