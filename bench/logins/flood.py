#!/usr/bin/env python3
"""A flood of logins with made-up user names against a demo, on loopback: the demo's resident
memory before, at its peak and after, and how long a real user's login takes meanwhile.

    cargo build --release -p axum-demo
    python3 bench/logins/flood.py target/release/axum-demo [CONCURRENT]

CONCURRENT (default 128) logins at once, each with its own made-up name (so that no throttle
counter slows them: every name is its own), each sent once. While they run, `ada` logs in with
her password every 250 ms; the script reports those answers' statuses and times. Memory is
read from /proc/<pid>/status (VmRSS) every 20 ms.
"""
import http.client
import os
import socket
import subprocess
import sys
import threading
import time

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 128


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def login(port, user, password, timeout=60):
    body = f"username={user}&password={password}"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.monotonic()
    c.request("POST", "/login", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
        "Host": f"127.0.0.1:{port}",
    })
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, time.monotonic() - start


def main():
    port = free_port()
    env = dict(os.environ, RUST_LOG="warn")
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([BIN, "--addr", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if login(port, "nobody", "x", 5)[0] in (401, 429):
                    break
            except OSError:
                time.sleep(0.05)
        # Warm: a few sequential checks, so that the allocator holds what one check needs.
        for i in range(4):
            login(port, f"warm{i}", "x")
        time.sleep(0.5)
        base = rss_kib(proc.pid)
        peak = [base]
        done = threading.Event()

        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(proc.pid))
                time.sleep(0.02)

        real = []

        def real_user():
            while not done.is_set():
                real.append(login(port, "ada", "lovelace-1815"))
                time.sleep(0.25)

        statuses = []
        lock = threading.Lock()

        def made_up(i):
            status, secs = login(port, f"mallory{i:04d}", "guess")
            with lock:
                statuses.append((status, secs))

        threads = [threading.Thread(target=watch), threading.Thread(target=real_user)]
        for t in threads:
            t.start()
        start = time.monotonic()
        flood = [threading.Thread(target=made_up, args=(i,)) for i in range(N)]
        for t in flood:
            t.start()
        for t in flood:
            t.join()
        elapsed = time.monotonic() - start
        done.set()
        for t in threads:
            t.join()
        time.sleep(1)
        after = rss_kib(proc.pid)
        counts = {}
        for s, _ in statuses:
            counts[s] = counts.get(s, 0) + 1
        slowest = max(secs for _, secs in statuses)
        print(f"{N} made-up logins at once: answered {counts} in {elapsed:.1f} s "
              f"(slowest answer {slowest:.1f} s)")
        print(f"resident memory: {base / 1024:.0f} MiB before, peak {peak[0] / 1024:.0f} MiB "
              f"(+{(peak[0] - base) / 1024:.0f} MiB), {after / 1024:.0f} MiB after")
        if real:
            times = sorted(secs for _, secs in real)
            print(f"ada meanwhile: {len(real)} logins, statuses "
                  f"{sorted(set(s for s, _ in real))}, median {times[len(times) // 2]:.2f} s, "
                  f"slowest {times[-1]:.2f} s")
    finally:
        proc.kill()
        proc.wait()


main()
