#!/usr/bin/env python3
"""Instructions per request of each route of a demo service, counted by valgrind's callgrind.

Wall-clock throughput on a shared machine moves by ±10 % from run to run; instruction counts
do not. This runs one service under callgrind, sends N keep-alive requests per route over one
loopback connection, and reads callgrind's counter before and after each batch
(`callgrind_control --dump`). User-space instructions only: the kernel's share of a request
(the socket system calls) is not counted, so a route's share of a bare route is larger here
than in requests per second.

    python3 bench/http/instructions.py target/release/axum-demo [N]
    python3 bench/http/instructions.py target/release/examples/tower_sessions_baseline [N]

The tower-sessions baseline (`bench/examples/tower_sessions_baseline.rs`) takes its address as
its only argument, logs in with a bare `POST /login` and has no token route.
"""
import glob, http.client, json, os, re, socket, subprocess, sys, tempfile, time, urllib.parse

binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
out = tempfile.mkdtemp(prefix="cg-")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, AUTH_JWT_KEY="YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI", RUST_LOG="warn")
baseline = "tower_sessions_baseline" in binary
args = [f"127.0.0.1:{port}"] if baseline else ["--addr", f"127.0.0.1:{port}"]
proc = subprocess.Popen(
    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.out", binary, *args],
    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(1200):  # Argon2 hashing at start is slow under valgrind
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("service did not start")
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    if baseline:
        c.request("POST", "/login")
    else:
        c.request("POST", "/login",
                  urllib.parse.urlencode({"username": "ada", "password": "lovelace-1815"}),
                  {**origin, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    routes = [("/hello", {}), ("/api/me", {"Cookie": cookie})]
    if not baseline:
        c.request("POST", "/api/token", json.dumps({"username": "ada", "password": "lovelace-1815"}),
                  {"Content-Type": "application/json"})
        r = c.getresponse(); token = json.loads(r.read())["access_token"]
        routes.append(("/api/token/me", {"Authorization": f"Bearer {token}"}))

    def batch(path, headers, count):
        for _ in range(count):
            c.request("GET", path, headers=headers)
            r = c.getresponse(); r.read()
            if r.status != 200:
                sys.exit(f"{path}: {r.status}")

    def total():
        files = sorted(glob.glob(f"{out}/cg.out.*"), key=os.path.getmtime)
        text = open(files[-1]).read()
        return int(re.search(r"^summary: (\d+)", text, re.M).group(1))

    results = {}
    for path, headers in routes:
        batch(path, headers, 200)  # warm up
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True)
        batch(path, headers, n)
        subprocess.run(["callgrind_control", f"--dump={path}", str(proc.pid)], check=True, capture_output=True)
        time.sleep(0.5)
        results[path] = total() / n
    base = results["/hello"]
    print(f"| route | instructions per request | above /hello |")
    print(f"|---|---:|---:|")
    for path, v in results.items():
        print(f"| `{path}` | {v:,.0f} | {v - base:+,.0f} ({(v - base) / base:+.1%}) |")
    print(f"(callgrind dumps in {out})")
finally:
    proc.terminate(); proc.wait()
